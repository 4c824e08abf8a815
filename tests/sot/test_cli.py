"""``edge-tracker sot`` end to end on a synthetic video, and on OTB Crossing."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from edge_tracker.cli import main
from edge_tracker.configbase import build
from edge_tracker.evaluation.otb import iou_xywh, load_groundtruth
from edge_tracker.sot.session import SessionConfig, run_single
from edge_tracker.sot.tracker import SotConfig
from edge_tracker.types import Detections

from .synth import DATA, scene

N = 15


@pytest.fixture
def video(tmp_path):
    """A 15-frame MJPG .avi of a textured object moving (2, 1) px per frame, and its
    ground truth (xywh)."""
    frames, gt = scene(N, velocity=(2.0, 1.0), start=(70.0, 60.0))
    path = tmp_path / "synthetic.avi"
    h, w = frames[0].shape[:2]
    wr = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (w, h))
    assert wr.isOpened(), "OpenCV cannot write MJPG .avi here"
    for f in frames:
        wr.write(f)
    wr.release()
    return path, gt


def read_jsonl(path):
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def test_sot_cli_on_synthetic_video(video, tmp_path, capsys):
    path, gt = video
    out = tmp_path / "out.jsonl"
    init = ",".join(f"{v:g}" for v in gt[0])
    assert main(["sot", "--source", str(path), "--init", init, "--features", "handcrafted",
                 "--output-jsonl", str(out)]) == 0
    lines = read_jsonl(out)
    assert [ln["frame"] for ln in lines] == list(range(N))
    for ln, box in zip(lines, gt):
        (t,) = ln["tracks"]
        assert t["id"] == 1 and t["state"] == "confirmed" and t["label"] == "target"
        x1, y1, x2, y2 = t["box"]
        pred = np.array([[x1, y1, x2 - x1, y2 - y1]])
        assert iou_xywh(pred, box[None])[0] > 0.8, (ln["frame"], t["box"], box)
    assert f"{N} frames" in capsys.readouterr().out


def test_sot_cli_max_frames(video, tmp_path):
    path, _gt = video
    out = tmp_path / "out.jsonl"
    assert main(["sot", "--source", str(path), "--init", "60,40,30,40", "--max-frames", "4",
                 "--features", "handcrafted", "--output-jsonl", str(out)]) == 0
    assert len(read_jsonl(out)) == 4


@pytest.mark.parametrize("init, text", [("1,2,3", "expected x,y,w,h"),
                                        ("1,2,0,5", "must be > 0"),
                                        ("a,b,c,d", "expected x,y,w,h")])
def test_sot_cli_bad_init_exit_2(video, init, text, capsys):
    path, _ = video
    assert main(["sot", "--source", str(path), "--init", init]) == 2
    assert text in capsys.readouterr().err


def test_sot_cli_missing_source_exit_3(tmp_path, capsys):
    assert main(["sot", "--source", str(tmp_path / "nope.mp4"), "--init", "1,2,3,4"]) == 3
    assert "edge-tracker sot: error" in capsys.readouterr().err


def test_sot_cli_bad_features_model_exit_2(video, capsys):
    path, _ = video
    assert main(["sot", "--source", str(path), "--init", "60,40,30,40",
                 "--features", "/nonexistent/feat.tflite"]) == 2
    assert "not found" in capsys.readouterr().err


class FakeDetector:
    """Returns one fixed box (xyxy) per call; counts calls."""

    def __init__(self, box):
        self.box = np.asarray(box, np.float32)
        self.calls = 0

    def detect(self, image, frame_index=-1, origin="student", prior=None):
        self.calls += 1
        return Detections(self.box[None], np.array([0.8], np.float32),
                          np.zeros(1, np.int32), frame_index, origin)


def test_session_init_label_uses_the_detector(video, tmp_path):
    path, gt = video
    x, y, w, h = gt[0]
    det = FakeDetector([x, y, x + w, y + h])
    cfg = build(SessionConfig, {"source": str(path), "init_label": "person",
                                "output_jsonl": str(tmp_path / "o.jsonl")})
    s = run_single(cfg, SotConfig(features="handcrafted"), det)
    assert s.frames == N and det.calls == 1  # confident all along: no re-detection
    assert s.init_box == pytest.approx((x, y, x + w, y + h), abs=0.01)
    assert read_jsonl(tmp_path / "o.jsonl")[0]["tracks"][0]["label"] == "person"


def test_session_config_needs_exactly_one_init():
    from edge_tracker.errors import ConfigError

    with pytest.raises(ConfigError, match="exactly one"):
        build(SessionConfig, {"source": "x"})
    with pytest.raises(ConfigError, match="exactly one"):
        build(SessionConfig, {"source": "x", "init_box": [1, 2, 3, 4], "init_label": "person"})


@pytest.mark.real_data
def test_sot_cli_on_crossing(crossing_dir, tmp_path):
    gt = load_groundtruth(crossing_dir / "groundtruth_rect.txt")
    out = tmp_path / "crossing.jsonl"
    init = ",".join(f"{v:g}" for v in gt[0])
    assert main(["sot", "--source", str(crossing_dir / "img"), "--init", init,
                 "--features", "handcrafted", "--output-jsonl", str(out)]) == 0
    lines = read_jsonl(out)
    assert len(lines) == len(gt) == 120
    pred = np.array([[b[0], b[1], b[2] - b[0], b[3] - b[1]]
                     for b in (ln["tracks"][0]["box"] for ln in lines)])
    iou = iou_xywh(pred, gt)
    assert np.mean(iou > 0.5) > 0.8   # tolerant: the benchmark holds the real figures


@pytest.mark.real_data
def test_sot_cli_init_label_on_crossing_with_ssd(crossing_dir, tmp_path):
    ssd = DATA / "models" / "ssd_mobilenet_v1_quant" / "ssd_mobilenet_v1_quant.tflite"
    if not ssd.is_file():
        pytest.skip(f"../shared/data absent: {ssd} not found")
    out = tmp_path / "crossing.jsonl"
    assert main(["sot", "--source", str(crossing_dir / "img"), "--init-label", "person",
                 "--detector", str(ssd), "--max-frames", "10", "--features", "handcrafted",
                 "--output-jsonl", str(out)]) == 0
    lines = read_jsonl(out)
    assert len(lines) == 10 and lines[0]["tracks"][0]["label"] == "person"
