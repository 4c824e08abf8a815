"""The distilled feature network through LiteRT (bundled model) and its distillation
(marked ``train``: needs TensorFlow and the YOLOX teacher from ../shared/data)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from edge_tracker.sot.features import LearnedFeatures, make_features
from edge_tracker.sot.tracker import CorrelationTracker, SotConfig

from .synth import DATA, scene

BUNDLED = Path(__file__).resolve().parents[2] / "edge_tracker" / "models" / "sot_features.tflite"
TEACHER = DATA / "models" / "yolox_nano_416" / "yolox_nano_416_decoded.tflite"


@pytest.fixture
def bundled() -> str:
    if not BUNDLED.is_file():
        pytest.skip(f"bundled SOT feature net absent: {BUNDLED} (made by the command in "
                    f"edge_tracker/models/sot_features.json)")
    return str(BUNDLED)


def test_bundled_net_is_small_int8_with_metadata(bundled):
    f = LearnedFeatures(bundled)
    assert BUNDLED.stat().st_size <= 2 * 1024 * 1024
    assert f.model.input.dtype == np.int8 and f.model.metadata["kind"] == "sot_features"
    assert f.cell == 4 and f.channels == f.model.outputs[0].shape[3]


@pytest.mark.parametrize("h, w", [(96, 96), (64, 128), (120, 80)])
def test_learned_features_any_patch_size(bundled, h, w):
    f = LearnedFeatures(bundled)
    patch = np.random.default_rng(0).integers(0, 255, (h, w, 3), dtype=np.uint8)
    x = f(patch)
    assert x.shape == (h // 4, w // 4, f.channels) and x.dtype == np.float32
    assert np.all(np.isfinite(x)) and x.std() > 0


def test_hybrid_appends_handcrafted_channels(bundled):
    f = make_features("hybrid", 4, 96, bundled)
    g = make_features("learned", 4, 96, bundled)
    patch = np.zeros((32, 48, 3), np.uint8)
    assert f(patch).shape[-1] == g(patch).shape[-1] + 12


def test_tracker_with_learned_features_follows_synthetic_motion(bundled):
    frames, gt = scene(8, velocity=(2.0, 1.0))
    tr = CorrelationTracker(SotConfig(features="learned", feature_model=bundled))
    tr.init(frames[0], gt[0])
    for img in frames[1:]:
        r = tr.update(img)
    c = np.array(r.box[:2]) + np.array(r.box[2:]) / 2
    np.testing.assert_allclose(c, gt[-1, :2] + gt[-1, 2:] / 2, atol=2.0)


@pytest.mark.train
@pytest.mark.real_data
def test_tiny_sot_distillation_end_to_end(tmp_path):
    """A few steps on a few synthetic frames: a loadable int8 feature net + report."""
    pytest.importorskip("tensorflow")
    if not TEACHER.is_file():
        pytest.skip(f"../shared/data absent: {TEACHER} not found")
    from edge_tracker.distill.sot_features import distill_sot

    frames, _ = scene(7, velocity=(2.0, 1.0), shape=(240, 320), start=(150.0, 120.0))
    d = tmp_path / "frames"
    d.mkdir()
    for i, f in enumerate(frames):
        cv2.imwrite(str(d / f"{i:04d}.png"), f)
    out = tmp_path / "sot.tflite"
    report = distill_sot(str(TEACHER), [str(d)], str(out), epochs=1, seed=0, width=8,
                         pairs_per_frame=4, frame_step=1, batch=8)
    assert out.is_file() and (tmp_path / "sot.json").is_file()
    assert report["pairs"] == 5 * 4 and report["metadata"]["quantization"] == "int8"
    f = LearnedFeatures(str(out))
    assert f(np.zeros((96, 96, 3), np.uint8)).shape == (24, 24, 16)
