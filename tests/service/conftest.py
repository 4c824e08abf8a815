"""Shared fixtures: a real detector model and a synthetic street video."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED = (Path(__file__).resolve().parents[2] / ".." / "shared" / "data").resolve()
SSD = SHARED / "models" / "ssd_mobilenet_v1_quant" / "ssd_mobilenet_v1_quant.tflite"
VISIONWORKS = SHARED / "video" / "visionworks_pedestrians_960x540.mp4"
DATA = Path(__file__).resolve().parent / "data"


def bundled_student() -> str | None:
    try:
        from edge_tracker.models import default_model
        return default_model("student")
    except Exception:  # noqa: BLE001 - any failure means "not bundled in this checkout"
        return None


@pytest.fixture(scope="session")
def student_model() -> str:
    """The bundled student, else the SSD int8 model from ../shared/data, else skip."""
    path = bundled_student()
    if path:
        return path
    if SSD.is_file():
        return str(SSD)
    pytest.skip(f"no detector model: bundled student absent and {SSD} absent "
                f"(../shared/data absent)")


@pytest.fixture(scope="session")
def synthetic_video(tmp_path_factory) -> str:
    """A 60-frame 320x180 MJPG .avi of the demo's synthetic street at 15 fps."""
    from edge_tracker.commands.demo import render_scene, write_video
    frames, _ = render_scene(n_frames=60, width=320, height=180, people=3, fps=15)
    path = tmp_path_factory.mktemp("video") / "street.avi"
    return write_video(frames, str(path), 15)


def write_yaml(path: os.PathLike, text: str) -> str:
    Path(path).write_text(text)
    return str(path)
