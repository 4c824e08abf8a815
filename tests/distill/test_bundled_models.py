"""The bundled default models (NumPy + LiteRT only: runs in the default test set)."""

from __future__ import annotations

import os

import numpy as np
import pytest

from edge_tracker.detect.detector import Detector, DetectorConfig
from edge_tracker.errors import ModelError
from edge_tracker.models import default_model
from edge_tracker.runtime.metadata import read_metadata


@pytest.mark.parametrize("kind,quant", [("student", "int8"), ("teacher", "float32")])
def test_bundled_model_loads_with_metadata_only(kind, quant):
    path = default_model(kind)
    assert os.path.getsize(path) <= 2 * 1024 * 1024
    meta = read_metadata(path)
    assert meta["decoder"] == "centernet" and meta["quantization"] == quant
    det = Detector.from_config(DetectorConfig(model=path))
    assert det.decoder.name == "centernet"
    assert det.input_size == tuple(meta["input_size"])
    d = det.detect(np.zeros((540, 960, 3), np.uint8))
    assert d.boxes.shape == (len(d), 4)


def test_teacher_has_at_least_4x_student_compute():
    s = read_metadata(default_model("student"))["macs"]
    t = read_metadata(default_model("teacher"))["macs"]
    assert t >= 4 * s


def test_unknown_kind_is_an_error():
    with pytest.raises(ModelError, match="student"):
        default_model("coach")


@pytest.mark.parametrize("kind", ["student", "teacher"])
def test_bundled_frames_are_relative_and_not_the_mot_evaluation_set(kind):
    frames = read_metadata(default_model(kind))["frames"]
    assert frames and all(not os.path.isabs(f) for f in frames)
    assert not any("MOT17" in f for f in frames)   # MOT17-mini is distill_eval's test set
