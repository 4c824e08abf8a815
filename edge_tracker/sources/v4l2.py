"""V4L2 device discovery without extra packages: /sys/class/video4linux + ioctls (fcntl).

Struct layouts and ioctl numbers come from linux/videodev2.h:

- ``struct v4l2_capability`` (104 bytes): driver[16], card[32], bus_info[32], version,
  capabilities, device_caps, reserved[3]; ``VIDIOC_QUERYCAP = _IOR('V', 0, ...)``.
- ``struct v4l2_fmtdesc`` (64 bytes): index, type, flags, description[32], pixelformat,
  mbus_code, reserved[3]; ``VIDIOC_ENUM_FMT = _IOWR('V', 2, ...)``.
- ``struct v4l2_frmsizeenum`` (44 bytes): index, pixel_format, type, union{discrete
  {width, height} | stepwise{min_w, max_w, step_w, min_h, max_h, step_h}}, reserved[2];
  ``VIDIOC_ENUM_FRAMESIZES = _IOWR('V', 74, ...)``.
"""

from __future__ import annotations

import errno
import fcntl
import os
import struct
from dataclasses import dataclass, field

_IOC_WRITE, _IOC_READ = 1, 2


def _ioc(direction: int, nr: int, size: int) -> int:
    # _IOC(dir, type, nr, size) from asm-generic/ioctl.h: dir<<30 | size<<16 | type<<8 | nr
    return (direction << 30) | (size << 16) | (ord("V") << 8) | nr


CAP_FMT = "<16s32s32sIII3I"
FMTDESC_FMT = "<II I32s II3I"
FRMSIZE_FMT = "<III6I2I"
VIDIOC_QUERYCAP = _ioc(_IOC_READ, 0, struct.calcsize(CAP_FMT))
VIDIOC_ENUM_FMT = _ioc(_IOC_READ | _IOC_WRITE, 2, struct.calcsize(FMTDESC_FMT))
VIDIOC_ENUM_FRAMESIZES = _ioc(_IOC_READ | _IOC_WRITE, 74, struct.calcsize(FRMSIZE_FMT))
V4L2_BUF_TYPE_VIDEO_CAPTURE = 1
V4L2_CAP_VIDEO_CAPTURE = 0x00000001
V4L2_CAP_DEVICE_CAPS = 0x80000000
V4L2_FRMSIZE_TYPE_DISCRETE = 1
# Frame sizes listed per format at most (a stepwise range counts as one entry).
MAX_SIZES = 32


@dataclass
class V4L2Format:
    fourcc: str                       # e.g. "MJPG", "YUYV"
    description: str
    sizes: list[str] = field(default_factory=list)   # "640x480" or "16x16..4096x2160"


@dataclass
class V4L2Device:
    path: str
    name: str
    driver: str = ""
    capture: bool | None = None       # None = could not ask the driver
    formats: list[V4L2Format] = field(default_factory=list)
    error: str = ""


def _cstr(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace")


def fourcc_text(code: int) -> str:
    """A V4L2 pixel format code as its 4 characters (little-endian)."""
    return struct.pack("<I", code).decode("ascii", "replace").rstrip("\0 ")


def parse_capability(raw: bytes) -> tuple[str, str, bool]:
    """(driver, card, is_capture_device) from a v4l2_capability buffer."""
    driver, card, _bus, _ver, caps, device_caps, *_ = struct.unpack(CAP_FMT, raw)
    effective = device_caps if caps & V4L2_CAP_DEVICE_CAPS else caps
    return _cstr(driver), _cstr(card), bool(effective & V4L2_CAP_VIDEO_CAPTURE)


def parse_fmtdesc(raw: bytes) -> tuple[str, str]:
    """(fourcc, description) from a v4l2_fmtdesc buffer."""
    _index, _type, _flags, desc, pixfmt, *_ = struct.unpack(FMTDESC_FMT, raw)
    return fourcc_text(pixfmt), _cstr(desc)


def parse_frmsize(raw: bytes) -> str:
    """"WxH" (discrete) or "minWxminH..maxWxmaxH" (stepwise / continuous)."""
    _index, _fmt, kind, a, b, _c, d, e, _f, *_ = struct.unpack(FRMSIZE_FMT, raw)
    if kind == V4L2_FRMSIZE_TYPE_DISCRETE:
        return f"{a}x{b}"
    return f"{a}x{d}..{b}x{e}"   # stepwise: min_w, max_w, step_w, min_h, max_h


def _query_formats(fd: int) -> list[V4L2Format]:
    formats = []
    for i in range(64):
        buf = bytearray(struct.pack(FMTDESC_FMT, i, V4L2_BUF_TYPE_VIDEO_CAPTURE, 0,
                                    b"", 0, 0, 0, 0, 0))
        try:
            fcntl.ioctl(fd, VIDIOC_ENUM_FMT, buf)
        except OSError as exc:
            if exc.errno == errno.EINVAL:
                break                      # end of the list
            raise
        fourcc, desc = parse_fmtdesc(bytes(buf))
        pixfmt = struct.unpack_from("<I", buf, 44)[0]
        fmt = V4L2Format(fourcc, desc)
        for j in range(MAX_SIZES):
            sbuf = bytearray(struct.pack(FRMSIZE_FMT, j, pixfmt, 0, *([0] * 8)))
            try:
                fcntl.ioctl(fd, VIDIOC_ENUM_FRAMESIZES, sbuf)
            except OSError:
                break
            fmt.sizes.append(parse_frmsize(bytes(sbuf)))
            if struct.unpack_from("<I", sbuf, 8)[0] != V4L2_FRMSIZE_TYPE_DISCRETE:
                break
        formats.append(fmt)
    return formats


def list_devices(sys_dir: str = "/sys/class/video4linux", dev_dir: str = "/dev"
                 ) -> list[V4L2Device]:
    """Every /dev/videoN the kernel lists, with its capture formats when readable."""
    if not os.path.isdir(sys_dir):
        return []
    devices = []
    names = sorted(os.listdir(sys_dir), key=lambda n: (len(n), n))
    for entry in names:
        if not entry.startswith("video"):
            continue
        try:
            with open(os.path.join(sys_dir, entry, "name"), encoding="utf-8") as fh:
                name = fh.read().strip()
        except OSError:
            name = "?"
        dev = V4L2Device(path=os.path.join(dev_dir, entry), name=name)
        try:
            fd = os.open(dev.path, os.O_RDWR | os.O_NONBLOCK)
        except OSError as exc:
            dev.error = exc.strerror or str(exc)
            devices.append(dev)
            continue
        try:
            buf = bytearray(struct.calcsize(CAP_FMT))
            fcntl.ioctl(fd, VIDIOC_QUERYCAP, buf)
            dev.driver, card, dev.capture = parse_capability(bytes(buf))
            dev.name = card or dev.name
            if dev.capture:
                dev.formats = _query_formats(fd)
        except OSError as exc:
            dev.error = exc.strerror or str(exc)
        finally:
            os.close(fd)
        devices.append(dev)
    return devices
