"""A tiny end-to-end distillation on synthetic frames (needs TensorFlow: extra `train`).

Teacher: an untrained float CenterNet made by the toolkit itself (heatmap bias raised
so it "detects" something), frames: 8 synthetic images. A few training steps must
give a loadable full-integer int8 model that the project's Detector decodes with
``centernet``, metadata sidecar, report, and a resumable checkpoint.
"""

from __future__ import annotations

import json
import os

import cv2
import numpy as np
import pytest

pytestmark = pytest.mark.train
tf = pytest.importorskip("tensorflow")

from edge_tracker.distill.api import DistillConfig, run_distill
from edge_tracker.distill.export import convert, head_names, metadata, write_model
from edge_tracker.distill.student import NetSpec, build


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("distill")
    frames = root / "frames"
    frames.mkdir()
    rng = np.random.default_rng(0)
    for i in range(8):
        img = np.full((64, 96, 3), 90, np.uint8)
        x = 10 + 5 * i
        cv2.rectangle(img, (x, 12), (x + 14, 50), (20, 200, 240), -1)
        img = np.clip(img + rng.integers(0, 20, img.shape), 0, 255).astype(np.uint8)
        cv2.imwrite(str(frames / f"{i:03d}.png"), img)
    spec = NetSpec(in_w=64, in_h=64, width=4, stride=4)
    _, export = build(spec)
    hm_bias = export.get_layer("heatmap").bias
    hm_bias.assign(np.full(hm_bias.shape, 1.0, np.float32))  # sigmoid(1) = 0.73 peaks
    tfl = convert(export, quantize=False, representative=None)
    teacher = root / "teacher.tflite"
    write_model(str(teacher), tfl, metadata(spec, False, head_names(tfl), {}))
    return root


def _cfg(root, steps, **kw):
    from edge_tracker.distill.teacher_features import list_feature_tensors, open_teacher

    feats = list_feature_tensors(open_teacher(str(root / "teacher.tflite")))
    name = next(f.name for f in feats if f.shape[1] == 8)  # a stride-8 map of the teacher
    return DistillConfig(teacher=str(root / "teacher.tflite"), frames=(str(root / "frames"),),
                         out=str(root / "student.tflite"), in_w=64, in_h=64, width=4,
                         steps=steps, batch=2, train_fraction=0.75, teacher_feature=name,
                         cache_dir=str(root / "cache"), work_dir=str(root / "work"),
                         num_threads=1, representative_frames=4, **kw)


def test_tiny_distillation_gives_loadable_int8_centernet(workdir):
    from edge_tracker.detect.detector import Detector, DetectorConfig

    report = run_distill(_cfg(workdir, steps=3))
    out = workdir / "student.tflite"
    meta = json.loads((workdir / "student.json").read_text())
    assert meta["decoder"] == "centernet" and meta["quantization"] == "int8"
    assert meta["input_size"] == [64, 64] and set(meta["heads"]) == {"heatmap", "size", "offset"}
    det = Detector.from_config(DetectorConfig(model=str(out), score_threshold=0.0))
    assert det.decoder.name == "centernet"
    assert det.model.inputs[0].dtype == np.int8
    assert all(o.dtype == np.int8 for o in det.model.outputs)
    img = cv2.imread(str(workdir / "frames" / "000.png"))
    d = det.detect(img)
    assert d.boxes.shape[1] == 4 and len(d) <= 100
    assert os.path.isfile(workdir / "work" / "report.json")
    assert os.path.isfile(workdir / "work" / "report.png")
    assert report["agreement"]["frames"] >= 1
    assert report["history"]["step"] == [0, 2]


def test_resume_continues_from_checkpoint(workdir):
    report = run_distill(_cfg(workdir, steps=5, feature_loss="none"))
    # steps 0..2 restored from the first test's checkpoint, only 3..4 trained here
    assert report["history"]["step"] == [0, 2, 4]
