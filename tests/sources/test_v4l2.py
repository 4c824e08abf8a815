"""V4L2 discovery: struct parsing (layouts of linux/videodev2.h) and the sysfs walk."""

from __future__ import annotations

import struct

import pytest

from edge_tracker.sources import v4l2


def test_ioctl_numbers_match_videodev2_h():
    # values as the kernel headers expand them on Linux (x86, arm, arm64)
    assert v4l2.VIDIOC_QUERYCAP == 0x80685600
    assert v4l2.VIDIOC_ENUM_FMT == 0xC0405602
    assert v4l2.VIDIOC_ENUM_FRAMESIZES == 0xC02C564A


@pytest.mark.parametrize("code,text", [(0x47504A4D, "MJPG"), (0x56595559, "YUYV"),
                                       (0x34363248, "H264")])
def test_fourcc_text(code, text):
    assert v4l2.fourcc_text(code) == text


@pytest.mark.parametrize("caps,device_caps,capture", [
    (0x80000000 | 0x04000001, 0x04000001, True),     # device caps say capture
    (0x80000000 | 0x04000001, 0x00800000, False),    # this node is metadata only
    (0x00000001, 0, True),                           # old driver: no device caps
])
def test_parse_capability(caps, device_caps, capture):
    raw = struct.pack(v4l2.CAP_FMT, b"uvcvideo", b"HD Webcam", b"usb-1", 0x60000, caps,
                      device_caps, 0, 0, 0)
    assert v4l2.parse_capability(raw) == ("uvcvideo", "HD Webcam", capture)


def test_parse_fmtdesc_and_frmsize():
    raw = struct.pack(v4l2.FMTDESC_FMT, 0, 1, 1, b"Motion-JPEG", 0x47504A4D, 0, 0, 0, 0)
    assert v4l2.parse_fmtdesc(raw) == ("MJPG", "Motion-JPEG")
    discrete = struct.pack(v4l2.FRMSIZE_FMT, 0, 0x47504A4D, 1, 1280, 720, 0, 0, 0, 0, 0, 0)
    assert v4l2.parse_frmsize(discrete) == "1280x720"
    stepwise = struct.pack(v4l2.FRMSIZE_FMT, 0, 0x56595559, 3, 16, 1920, 2, 16, 1080, 2, 0, 0)
    assert v4l2.parse_frmsize(stepwise) == "16x16..1920x1080"


def test_list_devices_reports_unreadable_nodes_without_raising(tmp_path):
    sys_dir, dev_dir = tmp_path / "sys", tmp_path / "dev"
    for i, name in [(0, "Cam A"), (10, "Cam B"), (2, "Cam C")]:
        (sys_dir / f"video{i}").mkdir(parents=True)
        (sys_dir / f"video{i}" / "name").write_text(name + "\n")
    dev_dir.mkdir()
    (dev_dir / "video2").write_text("")          # a regular file: ioctl fails with ENOTTY
    devices = v4l2.list_devices(str(sys_dir), str(dev_dir))
    assert [d.path.rsplit("/", 1)[1] for d in devices] == ["video0", "video2", "video10"]
    assert [d.name for d in devices] == ["Cam A", "Cam C", "Cam B"]
    assert "No such file" in devices[0].error
    assert devices[1].error and devices[1].capture is None and devices[1].formats == []


def test_list_devices_without_sysfs_is_empty(tmp_path):
    assert v4l2.list_devices(str(tmp_path / "absent")) == []
