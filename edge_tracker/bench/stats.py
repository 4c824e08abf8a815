"""Summaries of timing samples: count/min/max/mean/std/p50/p95/p99 in milliseconds.

Percentiles use linear interpolation between closest ranks (NumPy's default
``method="linear"``, the same as ``statistics.quantiles(..., method="inclusive")``),
so p50 of an even-sized sample is the mean of the two middle values. ``std`` is the
population standard deviation (ddof=0), as TFLite's ``benchmark_model`` reports it.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

STAT_KEYS = ("count", "min", "max", "mean", "std", "p50", "p95", "p99")
PERCENTILE_KEYS = ("p50", "p95", "p99")


def summarize_ms(samples_s: Iterable[float]) -> dict:
    """Samples in seconds -> {count, min, max, mean, std, p50, p95, p99} in milliseconds.

    An empty sample gives count 0 and None for every other key (JSON ``null``), so a
    missing stage is visible rather than a fake zero.
    """
    a = np.asarray(list(samples_s), dtype=np.float64).reshape(-1) * 1e3
    if a.size == 0:
        return {"count": 0, **{k: None for k in STAT_KEYS[1:]}}
    p50, p95, p99 = np.percentile(a, [50.0, 95.0, 99.0])
    return {
        "count": int(a.size),
        "min": float(a.min()),
        "max": float(a.max()),
        "mean": float(a.mean()),
        "std": float(a.std()),
        "p50": float(p50),
        "p95": float(p95),
        "p99": float(p99),
    }


def percentiles_ms(samples_s: Iterable[float]) -> dict:
    """Only {p50, p95, p99} in ms (None when empty) for compact per-stage tables."""
    s = summarize_ms(samples_s)
    return {k: s[k] for k in PERCENTILE_KEYS}


def median(values: Iterable[float]) -> float:
    """Plain median of a non-empty sample (same units as the input)."""
    a = np.asarray(list(values), dtype=np.float64)
    if a.size == 0:
        raise ValueError("median of an empty sample")
    return float(np.median(a))
