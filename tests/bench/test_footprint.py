import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / ".." / "shared" / "data"
SSD = DATA / "models" / "ssd_mobilenet_v1_quant" / "ssd_mobilenet_v1_quant.tflite"
YOLOX416 = DATA / "models" / "yolox_nano_416" / "yolox_nano_416_decoded.tflite"
CLIP = DATA / "video" / "visionworks_pedestrians_960x540.mp4"


def _footprint():
    spec = importlib.util.spec_from_file_location("bench_scripts_footprint",
                                                  ROOT / "benchmarks" / "footprint.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_skips_cleanly_without_data(tmp_path, capsys):
    out = tmp_path / "f.json"
    assert _footprint().main(["--source", str(tmp_path / "absent.mp4"), "--json", str(out)]) == 0
    assert not out.exists()
    assert "skipped" in capsys.readouterr().err


@pytest.mark.real_data
def test_footprint_of_a_short_run(tmp_path):
    for p in (SSD, YOLOX416, CLIP):
        if not p.exists():
            pytest.skip(f"../shared/data absent: {p} not found")
    out = tmp_path / "f.json"
    rc = _footprint().main(["--student", str(SSD), "--teacher", str(YOLOX416),
                            "--max-frames", "3", "--repeat", "1", "--json", str(out)])
    assert rc == 0
    r = json.loads(out.read_text())
    assert r["frames"] == 3
    assert r["runs"][0]["exit_code"] == 0
    assert 0 < r["startup_to_first_frame_s"] < r["runs"][0]["wall_s"]
    # a Python process with NumPy, OpenCV and two interpreters is tens of MB at least
    assert r["peak_rss_bytes"] > 30 * 10**6
    assert r["tree_peak_rss_bytes"] > 0
    assert isinstance(r["peak_rss_goal_met"], bool)
