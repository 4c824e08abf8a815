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


@pytest.mark.real_data
@pytest.mark.slow
def test_replay_writes_reference_policies_summary_and_curve(tmp_path):
    for p in (VIDEO, STUDENT, TEACHER):
        if not p.exists():
            pytest.skip(f"../shared/data absent: {p} not found")
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "teacher_student.py"),
                        "--video", str(VIDEO), "--student", str(STUDENT), "--teacher",
                        str(TEACHER), "--out-dir", str(tmp_path), "--max-frames", "30"],
                       capture_output=True, text=True, timeout=600, check=False)
    assert r.returncode == 0, r.stderr[-2000:]
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
