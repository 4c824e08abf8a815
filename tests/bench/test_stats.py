import math

import pytest

from edge_tracker.bench.stats import median, percentiles_ms, summarize_ms


def test_summary_hand_computed():
    # seconds 1,2,3,4 -> ms 1000..4000; linear percentiles: rank = q*(n-1)
    s = summarize_ms([0.004, 0.001, 0.003, 0.002])
    assert s["count"] == 4
    assert s["min"] == pytest.approx(1.0)
    assert s["max"] == pytest.approx(4.0)
    assert s["mean"] == pytest.approx(2.5)
    assert s["std"] == pytest.approx(math.sqrt(1.25))  # population std of 1,2,3,4
    assert s["p50"] == pytest.approx(2.5)              # mean of the middle two
    assert s["p95"] == pytest.approx(3.85)             # rank 2.85: 3 + 0.85 * 1
    assert s["p99"] == pytest.approx(3.97)             # rank 2.97


@pytest.mark.parametrize("samples, p50", [([0.010], 10.0), ([0.001, 0.003, 0.002], 2.0),
                                          ([0.005] * 7, 5.0)])
def test_summary_small(samples, p50):
    s = summarize_ms(samples)
    assert s["count"] == len(samples)
    assert s["p50"] == pytest.approx(p50)
    assert s["min"] <= s["p50"] <= s["p95"] <= s["p99"] <= s["max"]


def test_summary_empty_is_null_not_zero():
    s = summarize_ms([])
    assert s == {"count": 0, "min": None, "max": None, "mean": None, "std": None,
                 "p50": None, "p95": None, "p99": None}
    assert percentiles_ms([]) == {"p50": None, "p95": None, "p99": None}


def test_percentiles_only_keys():
    assert set(percentiles_ms([0.001, 0.002])) == {"p50", "p95", "p99"}


def test_median():
    assert median([3.0, 1.0, 2.0, 10.0]) == 2.5
    with pytest.raises(ValueError):
        median([])
