"""Smoke test of benchmarks/teacher_student.py on the first frames of the real clip."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / ".." / "shared" / "data"
VIDEO = DATA / "video" / "visionworks_pedestrians_960x540.mp4"
STUDENT = DATA / "models" / "ssd_mobilenet_v1_quant" / "ssd_mobilenet_v1_quant.tflite"
TEACHER = DATA / "models" / "yolox_nano_640" / "yolox_nano_640_raw.tflite"


def run_bench(out_dir: Path, *extra: str) -> None:
    """Run the benchmark on the real clip (skips when ../shared/data is absent)."""
    for p in (VIDEO, STUDENT, TEACHER):
        if not p.exists():
            pytest.skip(f"../shared/data absent: {p} not found")
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "teacher_student.py"),
                        "--video", str(VIDEO), "--student", str(STUDENT), "--teacher",
                        str(TEACHER), "--out-dir", str(out_dir), *extra],
                       capture_output=True, text=True, timeout=600, check=False)
    assert r.returncode == 0, r.stderr[-2000:]


@pytest.mark.real_data
@pytest.mark.slow
def test_replay_writes_reference_policies_summary_and_curve(tmp_path):
    run_bench(tmp_path, "--max-frames", "30")
    summary = json.loads((tmp_path / "summary.json").read_text())
    names = {p["name"] for p in summary["policies"]}
    assert {"student_only", "fixed_k2", "fixed_k4", "fixed_k8", "fixed_k16", "budget_10",
            "budget_25", "budget_50", "adaptive_10", "adaptive_25", "adaptive_50"} <= names
    for p in summary["policies"]:
        assert set(p) >= {"name", "policy", "param", "teacher_cost_fraction",
                          "idf1_vs_reference", "mota_vs_reference"}
        assert 0.0 <= p["teacher_cost_fraction"] <= 1.0
        assert (tmp_path / f"{p['name']}.txt").exists()
    assert (tmp_path / "reference.txt").stat().st_size > 0
    assert (tmp_path / "curve.png").stat().st_size > 0
    only = next(p for p in summary["policies"] if p["name"] == "student_only")
    assert only["teacher_cost_fraction"] == 0.0


def _bench_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "teacher_student_bench", ROOT / "benchmarks" / "teacher_student.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_pausable_clock_cuts_out_the_paused_time(monkeypatch):
    mod = _bench_module()
    now = [100.0]
    monkeypatch.setattr(mod.time, "monotonic", lambda: now[0])
    c = mod.PausableClock()
    assert c.now() == 100.0
    now[0] = 101.0
    c.pause()
    now[0] = 105.0            # 4 s paused: the clock stands still
    assert c.now() == 101.0
    c.pause()                 # pausing twice changes nothing
    c.resume()
    assert c.now() == 101.0
    now[0] = 106.5
    assert c.now() == 102.5
    c.resume()                # resuming a running clock changes nothing
    assert c.now() == 102.5


@pytest.mark.real_data
@pytest.mark.slow
def test_latency_isolation_reports_both_conditions(tmp_path):
    run_bench(tmp_path, "--max-frames", "20", "--latency-isolation", "--latency-frames", "60",
              "--latency-block", "10")
    res = json.loads((tmp_path / "latency_isolation.json").read_text())
    assert res["frames_per_condition"] == {"teacher": 30, "none": 30}
    assert res["block_frames"] == 10 and len(res["p99_ratio_by_third"]) == 3
    assert res["teacher_runs"] >= 1
    for cond in ("teacher", "none"):
        assert res[f"student_frame_ms_p99_{cond}"] >= res[f"student_frame_ms_p50_{cond}"] > 0
        assert set(res[f"stage_ms_p99_{cond}"]) == {"preprocess", "student", "decode", "fuse",
                                                    "track"}
    assert res["p99_ratio"] == pytest.approx(
        res["student_frame_ms_p99_teacher"] / res["student_frame_ms_p99_none"], abs=2e-3)
