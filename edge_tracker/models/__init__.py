"""Bundled default models (made by ``python -m edge_tracker.distill.bundle``).

- ``student.tflite`` + ``student.json``: int8 CenterNet student (decoder ``centernet``).
- ``teacher.tflite`` + ``teacher.json``: a larger float32 CenterNet made by the same
  toolkit (several times the student's multiply-accumulates).
"""

from __future__ import annotations

import os

from ..errors import ModelError

_HERE = os.path.dirname(os.path.abspath(__file__))
KINDS = ("student", "teacher")


def default_model(kind: str) -> str:
    """Path of the bundled ``student`` or ``teacher`` .tflite (ModelError if absent)."""
    if kind not in KINDS:
        raise ModelError(f"default model kind must be one of {list(KINDS)}, got {kind!r}")
    path = os.path.join(_HERE, f"{kind}.tflite")
    if not os.path.isfile(path):
        raise ModelError(f"bundled {kind} model missing: {path} (rebuild it with "
                         f"`python -m edge_tracker.distill.bundle`)")
    return path
