import numpy as np

from edge_tracker.bench.rss import RssGrowth, current_rss_bytes, peak_rss_bytes


def test_peak_at_least_current():
    cur = current_rss_bytes()
    peak = peak_rss_bytes()
    assert cur is not None and cur > 0
    assert peak >= cur


def test_growth_sees_a_touched_allocation():
    g = RssGrowth()
    block = np.ones(32 * 2**20, np.uint8)  # 32 MiB, every page written
    grown = g.stop()
    assert block.sum() == 32 * 2**20
    assert grown >= 16 * 2**20
    assert peak_rss_bytes() >= g.end_bytes
