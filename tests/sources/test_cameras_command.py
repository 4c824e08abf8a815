"""``edge-tracker cameras`` runs here and reports what is absent without a traceback."""

from __future__ import annotations

import json
import subprocess
import sys

from edge_tracker.cli import main


def test_cameras_text_lists_every_section(capsys):
    assert main(["cameras"]) == 0
    out = capsys.readouterr().out
    for heading in ("V4L2 cameras:", "Picamera2 (libcamera) cameras:", "GStreamer (PyGObject):",
                    "OpenCV "):
        assert heading in out
    assert "Traceback" not in out


def test_cameras_json_is_one_object_with_reasons(capsys):
    assert main(["cameras", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"v4l2", "picamera2", "gstreamer", "opencv"}
    for key in ("v4l2", "picamera2", "gstreamer"):
        section = report[key]
        assert isinstance(section["available"], bool)
        assert section["available"] or section["note"]      # absent -> says why
    assert report["opencv"]["ffmpeg"] in (True, False)


def test_cameras_as_a_process_exits_0_without_traceback():
    proc = subprocess.run([sys.executable, "-m", "edge_tracker.cli", "cameras"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "V4L2 cameras:" in proc.stdout
