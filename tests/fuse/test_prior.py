import numpy as np
import pytest

from edge_tracker.detect.base import PreprocessInfo
from edge_tracker.fuse.prior import render_prior


def test_one_box_peaks_at_its_centre_with_its_score():
    # source 200x100 -> input 100x50 (scale 0.5): box (40,20)-(80,60) -> (20,10)-(40,30)
    info = PreprocessInfo(200, 100, 100, 50, 0.5, 0.5)
    hm = render_prior(np.array([[40, 20, 80, 60]], np.float32), np.array([0.8]), info)
    assert hm.shape == (50, 100) and hm.dtype == np.float32
    y, x = np.unravel_index(np.argmax(hm), hm.shape)
    assert (x, y) in {(29, 19), (30, 20), (29, 20), (30, 19)}
    assert hm.max() == pytest.approx(0.8, abs=0.02)
    assert hm[0, 99] == 0.0 and hm.min() >= 0.0


def test_letterbox_offset_applied_and_buffer_reused():
    info = PreprocessInfo(100, 50, 100, 100, 1.0, 1.0, pad_x=0.0, pad_y=25.0)
    buf = np.ones((100, 100), np.float32)
    hm = render_prior(np.array([[40, 0, 60, 50]], np.float32), None, info, out=buf)
    assert hm is buf
    y, x = np.unravel_index(np.argmax(hm), hm.shape)
    assert 49 <= y <= 50 and 49 <= x <= 50 and hm.max() == pytest.approx(1.0, abs=0.02)
    assert hm[5, 5] == 0.0                               # old content cleared


def test_empty_boxes_give_zero_map():
    info = PreprocessInfo(10, 10, 8, 8, 0.8, 0.8)
    assert not render_prior(np.zeros((0, 4)), None, info).any()
