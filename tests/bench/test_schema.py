import copy

import pytest

from edge_tracker.bench.schema import latency_problems, pipeline_problems, stat_problems
from edge_tracker.bench.stats import summarize_ms

GOOD = summarize_ms([0.001, 0.002, 0.003])


def test_good_stats_pass():
    assert stat_problems("x", GOOD) == []
    assert stat_problems("x", summarize_ms([])) == []


@pytest.mark.parametrize("key, value", [("p50", 0.5), ("p99", 100.0), ("min", -1.0),
                                        ("p95", None), ("max", 0.0)])
def test_bad_stats_fail(key, value):
    bad = dict(GOOD)
    bad[key] = value
    assert stat_problems("x", bad)


def test_missing_keys_fail():
    assert latency_problems({})
    assert pipeline_problems({"fps": 1})
    bad = {k: v for k, v in GOOD.items() if k != "p95"}
    assert stat_problems("x", bad)


def test_pipeline_teacher_runs_cannot_exceed_frames():
    from edge_tracker.bench.machine import machine_info

    good = {"fps": 10.0, "stages": {"student": {"p50": 1.0, "p95": 2.0, "p99": 3.0}},
            "frame_latency_ms": {"p50": 1.0, "p95": 2.0, "p99": 3.0}, "teacher_runs": 1,
            "deadline_misses": 0, "frames": 2, "frame_wall_ms": GOOD, "overhead_ratio": 1.1,
            "peak_rss_bytes": 1, "machine": machine_info("fake")}
    assert pipeline_problems(good) == []
    bad = copy.deepcopy(good)
    bad["teacher_runs"] = 3
    assert pipeline_problems(bad) == ["teacher_runs > frames"]
