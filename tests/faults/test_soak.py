"""Shortened soak (SOAK_SECONDS, default 60): the daemon at the clip's frame rate with the
teacher on budget; RSS sampled every second; every output line whole. The full 10-minute
soak is ``python benchmarks/soak.py`` (a benchmark, not a test)."""

from __future__ import annotations

import importlib.util
import os

import pytest

from .conftest import ROOT, shared

GROWTH_GOAL_MB = 5.0


def _soak():
    spec = importlib.util.spec_from_file_location("bench_scripts_soak",
                                                  ROOT / "benchmarks" / "soak.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_check_jsonl_counts_torn_and_gaps(tmp_path):
    p = tmp_path / "t.jsonl"
    p.write_bytes(b'{"frame": 0}\n{"frame": 1}\n{"frame": 4}\nnot json\n{"frame": 5')
    r = _soak().check_jsonl(p)
    assert r["lines"] == 3
    assert r["gaps"] == 2      # frames 2 and 3 missing
    assert r["torn"] == 2      # 'not json' and the last line without its newline


@pytest.mark.slow
def test_short_soak(faults_report, tmp_path):
    clip = shared("video", "visionworks_pedestrians_960x540.mp4")
    soak = _soak()
    bundled = ROOT / "edge_tracker" / "models"
    student = None if (bundled / "student.tflite").exists() else \
        str(shared("models", "ssd_mobilenet_v1_quant", "ssd_mobilenet_v1_quant.tflite"))
    teacher = None if (bundled / "teacher.tflite").exists() else \
        str(shared("models", "yolox_nano_416", "yolox_nano_416_decoded.tflite"))
    seconds = float(os.environ.get("SOAK_SECONDS", "60"))
    r = soak.run_soak(seconds, tmp_path, student, teacher, source=str(clip))
    faults_report.soak(r["soak_minutes"], r["soak_rss_growth_mb"],
                       {k: r[k] for k in ("rss_base_mb", "rss_last_mb", "rss_peak_mb",
                                          "samples", "exit_code", "output")})
    faults_report.lines_lost(r["output_lines_lost"], "soak")
    assert r["alive_at_end"], r["stderr_tail"]
    assert r["exit_code"] == 0, r["stderr_tail"]
    assert r["samples"] >= seconds * 0.8
    assert r["output"]["lines"] > 0
    assert r["output_lines_lost"] == 0, r["output"]
    # Memory goal of the (10-minute) soak; a 1-minute soak must not already exceed it.
    assert r["soak_rss_growth_mb"] is not None
    assert r["soak_rss_growth_mb"] < GROWTH_GOAL_MB, r["rss_series"][-15:]
