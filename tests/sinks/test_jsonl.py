import errno
import json
import os

import pytest

from edge_tracker.errors import SinkError
from edge_tracker.sinks import base as sink_base
from edge_tracker.sinks.base import LineFile
from edge_tracker.sinks.jsonl import JsonlConfig, JsonlSink


def test_one_line_per_frame_with_contract_fields(tmp_path, result_factory):
    path = tmp_path / "out.jsonl"
    sink = JsonlSink(JsonlConfig(path=str(path)), camera_id="door", labels=["person"])
    sink.write(result_factory(0, [(1, (10, 20, 30, 60))]))
    sink.write(result_factory(1, []))
    sink.close()
    lines = path.read_text().splitlines()
    assert [json.loads(x) for x in lines] == [
        {"frame": 0, "t": 0.0, "camera": "door",
         "tracks": [{"id": 1, "box": [10.0, 20.0, 30.0, 60.0], "score": 0.9, "label": "person"}]},
        {"frame": 1, "t": 0.1, "camera": "door", "tracks": []},
    ]


def test_empty_frames_can_be_skipped(tmp_path, result_factory):
    path = tmp_path / "out.jsonl"
    sink = JsonlSink(JsonlConfig(path=str(path), empty_frames=False))
    sink.write(result_factory(0, []))
    sink.write(result_factory(1, [(3, (0, 0, 1, 1))]))
    sink.close()
    assert [json.loads(x)["frame"] for x in path.read_text().splitlines()] == [1]


def test_appends_to_existing_file(tmp_path, result_factory):
    path = tmp_path / "out.jsonl"
    path.write_text('{"old": 1}\n')
    sink = JsonlSink(JsonlConfig(path=str(path)))
    sink.write(result_factory(5, []))
    sink.close()
    assert path.read_text().splitlines()[0] == '{"old": 1}'
    assert len(path.read_text().splitlines()) == 2


@pytest.mark.parametrize("rotate_bytes,backups,frames", [(300, 2, 40), (1000, 1, 30), (200, 0, 10)])
def test_rotation_keeps_whole_lines_and_bounded_backups(tmp_path, result_factory,
                                                        rotate_bytes, backups, frames):
    path = tmp_path / "r.jsonl"
    sink = JsonlSink(JsonlConfig(path=str(path), rotate_bytes=rotate_bytes, backups=backups))
    for i in range(frames):
        sink.write(result_factory(i, [(1, (1, 2, 3, 4))]))
    sink.close()
    files = sorted(p.name for p in tmp_path.iterdir())
    expected = ["r.jsonl"] + [f"r.jsonl.{i}" for i in range(1, backups + 1)]
    assert files == expected
    seen = []
    for name in files:
        data = (tmp_path / name).read_bytes()
        assert len(data) <= rotate_bytes
        assert data.endswith(b"\n")
        seen += [json.loads(x)["frame"] for x in data.decode().splitlines()]
    # the newest frames survive, each once; the oldest rotated away when backups run out
    assert sorted(seen) == list(range(frames - len(seen), frames))
    assert sink.file.rotations > 0


def test_stdout(capfd, result_factory):
    sink = JsonlSink(JsonlConfig(path="-"))
    sink.write(result_factory(7, [(2, (0, 0, 5, 5))]))
    sink.close()
    out = capfd.readouterr().out
    assert json.loads(out)["frame"] == 7


@pytest.mark.parametrize("make", ["missing_dir", "dir_path", "readonly_dir"])
def test_unwritable_path_is_a_sink_error_naming_it(tmp_path, make):
    if make == "missing_dir":
        path = tmp_path / "nope" / "x.jsonl"
    elif make == "dir_path":
        path = tmp_path
    else:
        if os.geteuid() == 0:
            pytest.skip("running as root: permission bits do not stop writes")
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        path = ro / "x.jsonl"
    with pytest.raises(SinkError, match=str(path).replace("\\", "\\\\")):
        JsonlSink(JsonlConfig(path=str(path)))


def test_short_write_rolls_back_to_previous_size(tmp_path, monkeypatch):
    path = tmp_path / "f.jsonl"
    lf = LineFile(str(path), "k")
    lf.write_lines('{"a":1}\n')
    real_write = os.write
    calls = {"n": 0}

    def short_then_enospc(fd, data):
        calls["n"] += 1
        if calls["n"] == 1:
            return real_write(fd, bytes(data[:3]))  # kernel accepted 3 bytes, then disk full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(sink_base.os, "write", short_then_enospc)
    with pytest.raises(OSError):
        lf.write_lines('{"b":2}\n')
    monkeypatch.setattr(sink_base.os, "write", real_write)
    assert path.read_bytes() == b'{"a":1}\n'
    lf.write_lines('{"c":3}\n')
    lf.close()
    assert path.read_bytes() == b'{"a":1}\n{"c":3}\n'


def test_disk_full_is_logged_counted_and_not_raised(result_factory, caplog):
    if not os.path.exists("/dev/full"):
        pytest.skip("/dev/full absent")
    errors = []
    sink = JsonlSink(JsonlConfig(path="/dev/full", fsync="never"),
                     on_error=lambda name, kind: errors.append((name, kind)))
    for i in range(3):
        sink.write(result_factory(i, []))
    sink.close()
    assert sink.errors == 3
    assert errors == [("jsonl", "write")] * 3
    assert "No space left" in caplog.text
