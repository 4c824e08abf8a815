import json
import os
from pathlib import Path

import pytest

from edge_tracker.bench.latency import LatencyConfig, _timed_blocks, run_latency
from edge_tracker.bench.schema import latency_problems
from edge_tracker.errors import ModelError

from .fakes import FakeDetector

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
SSD = DATA / "models" / "ssd_mobilenet_v1_quant" / "ssd_mobilenet_v1_quant.tflite"
YOLOX640 = DATA / "models" / "yolox_nano_640" / "yolox_nano_640_raw.tflite"
CLIP = DATA / "video" / "visionworks_pedestrians_960x540.mp4"


@pytest.mark.parametrize("total, block, want", [
    (3, 2, [("tool", 2), ("bare", 2), ("bare", 1), ("tool", 1)]),
    (2, 5, [("tool", 2), ("bare", 2)]),
    (4, 1, [("tool", 1), ("bare", 1), ("bare", 1), ("tool", 1),
            ("tool", 1), ("bare", 1), ("bare", 1), ("tool", 1)]),
])
def test_blocks_interleave_abba_with_equal_counts(total, block, want):
    plan = _timed_blocks(total, block)
    assert plan == want
    assert sum(n for k, n in plan if k == "tool") == total
    assert sum(n for k, n in plan if k == "bare") == total


@pytest.fixture
def fake_model_file(tmp_path):
    p = tmp_path / "fake.tflite"
    p.write_bytes(b"\0\0\0\0TFL3" + b"\0" * 1000)
    return p


def test_schema_with_fake_detector(fake_model_file):
    cfg = LatencyConfig(model=str(fake_model_file), runs=7, warmup=2, block=3)
    r = run_latency(cfg, progress=False, detector_factory=FakeDetector)
    assert latency_problems(r) == []
    assert r["invoke_ms"]["count"] == 7
    assert r["preprocess_ms"]["count"] == 7
    assert r["decode_ms"]["count"] == 7
    assert r["bare_invoke_ms"]["count"] == 7
    assert r["model_size_bytes"] == 1008
    assert r["detections_per_frame_mean"] == 1.0
    assert r["frame"].startswith("synthetic")
    json.dumps(r)  # JSON-ready


def test_zero_warmup_gives_null_mean(fake_model_file):
    r = run_latency(LatencyConfig(model=str(fake_model_file), runs=1, warmup=0),
                    progress=False, detector_factory=FakeDetector)
    assert r["warmup_mean_ms"] is None
    assert latency_problems(r) == []


def test_missing_model_is_a_model_error(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        run_latency(LatencyConfig(model=str(tmp_path / "nope.tflite")),
                    detector_factory=FakeDetector)


def _need(*paths):
    for p in paths:
        if not p.exists():
            pytest.skip(f"../shared/data absent: {p} not found")
    pytest.importorskip("edge_tracker.detect.detector", reason="Detector not built yet")


@pytest.mark.real_data
@pytest.mark.parametrize("model", [SSD, YOLOX640], ids=["ssd", "yolox640"])
def test_cli_real_model(model, tmp_path, capsys):
    _need(model, CLIP)
    from edge_tracker.cli import main

    out = tmp_path / "lat.json"
    rc = main(["bench", "latency", "--model", str(model), "--runs", "6", "--warmup", "1",
               "--block", "3", "--frame", str(CLIP), "--json", str(out)])
    assert rc == 0
    r = json.loads(out.read_text())
    assert latency_problems(r) == []
    assert r["threads"] == 1
    assert r["model_size_bytes"] == os.path.getsize(model)
    assert r["decoder"] in ("ssd", "yolox")
    assert "invoke p50" in capsys.readouterr().err


def test_cli_bad_runs_is_a_config_error(fake_model_file, capsys):
    from edge_tracker.cli import main

    rc = main(["bench", "latency", "--model", str(fake_model_file), "--runs", "0"])
    assert rc == 2
    assert "runs" in capsys.readouterr().err
