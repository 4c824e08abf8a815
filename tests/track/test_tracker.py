"""Tracker lifecycle frame by frame (seconds-based), sparse detections, IDs per instance,
prediction-only frames, teacher evidence, predict_boxes/snapshot and the config checks."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from edge_tracker.configbase import build, check_defaults
from edge_tracker.errors import ConfigError
from edge_tracker.track.tracker import Tracker, TrackerConfig, _view
from edge_tracker.types import Detections, TrackView

BOX = np.array([100, 100, 140, 200], np.float32)   # a 40x100 pedestrian


def dets(*boxes, score=0.9, teacher=False) -> Detections:
    b = np.array(boxes, np.float32).reshape(-1, 4)
    return Detections(b, np.full(len(b), score, np.float32), np.zeros(len(b), np.int32),
                      from_teacher=np.full(len(b), teacher))


def states(tr: Tracker) -> dict[int, str]:
    return {v.id: v.state for v in tr.snapshot()}


# Explicit config so the lifecycle below does not move when defaults are re-tuned.
LIFE = TrackerConfig(min_hits=2, confirm_window_s=0.5, tentative_max_gap_s=0.15,
                     confirm_first_update=False, track_buffer_s=0.5,
                     teacher_track_buffer_s=1.0, output_coast_s=0.0,
                     instant_confirm_score=0.95)


@pytest.mark.parametrize("fps", [10.0, 30.0])
def test_lifecycle_tentative_confirmed_lost_removed_in_seconds(fps):
    tr = Tracker(LIFE)
    dt = 1.0 / fps
    # frame 0: a new detection -> tentative track 1, not output
    assert tr.update(dets(BOX), 0.0) == []
    assert states(tr) == {1: "tentative"}
    # frame 1: second hit -> confirmed and output
    out = tr.update(dets(BOX + 1), dt)
    assert [(v.id, v.state) for v in out] == [(1, "confirmed")]
    np.testing.assert_allclose(out[0].box, BOX + 1, atol=1.5)
    # prediction-only frames: lost at once, nothing output, kept until 0.5 s after last hit
    t = dt
    removed_at = None
    while t < 2.0:
        t += dt
        assert tr.update(Detections.empty(), t) == []
        if not tr.snapshot():
            removed_at = t
            break
        assert states(tr) == {1: "lost"}
    assert removed_at is not None
    assert 0.5 - 1e-6 <= removed_at - dt <= 0.5 + dt + 1e-6      # seconds, not frames


def test_lost_track_is_found_again_with_same_id():
    tr = Tracker(LIFE)
    tr.update(dets(BOX), 0.0)
    tr.update(dets(BOX), 0.1)
    tr.update(Detections.empty(), 0.2)
    assert states(tr) == {1: "lost"}
    out = tr.update(dets(BOX), 0.3)
    assert [(v.id, v.state) for v in out] == [(1, "confirmed")]
    assert tr.next_id == 2


def test_tentative_track_removed_after_gap():
    tr = Tracker(LIFE)
    tr.update(dets(BOX), 0.0)
    tr.update(Detections.empty(), 0.1)
    assert states(tr) == {1: "tentative"}                 # gap 0.1 s <= 0.15 s
    tr.update(Detections.empty(), 0.2)
    assert states(tr) == {}                                # gap 0.2 s > 0.15 s
    tr.update(dets(BOX), 0.3)
    assert states(tr) == {2: "tentative"}                  # a new id, never reused


# Needs 3 hits within 1 s, gaps up to 0.4 s: a detector every k-th frame at 30 fps (k <= 12).
SPARSE = TrackerConfig(min_hits=3, confirm_window_s=1.0, tentative_max_gap_s=0.4,
                       confirm_first_update=False, output_coast_s=0.0,
                       instant_confirm_score=0.95)


@pytest.mark.parametrize("k", [2, 3, 5, 10])
def test_sparse_detections_every_kth_frame_confirm(k):
    """A teacher running every k-th frame at 30 fps: hits within the time window confirm
    the track although no two detections are on consecutive frames."""
    tr = Tracker(SPARSE)
    outputs = []
    for f in range(40):
        moving = BOX + np.array([2 * f, 0, 2 * f, 0], np.float32)
        d = dets(moving, teacher=True) if f % k == 0 else Detections.empty()
        outputs.append(tr.update(d, f / 30.0))
        if f < 2 * k:
            assert outputs[-1] == [] and states(tr) == {1: "tentative"}
    assert {v.id for out in outputs for v in out} == {1}
    assert outputs[2 * k][0].state == "confirmed" and outputs[2 * k][0].from_teacher
    # Output on updated frames only; the track stays alive (lost) in between.
    assert [f for f in range(40) if outputs[f]] == list(range(2 * k, 40, k))


def test_stock_bytetrack_like_rule_would_not_confirm_sparse():
    """With no tolerance for gaps (ByteTrack's rule) the same sparse stream never confirms:
    the reason for hit-window confirmation."""
    cfg = dataclasses.replace(SPARSE, tentative_max_gap_s=0.0)
    tr = Tracker(cfg)
    seen = []
    for f in range(30):
        d = dets(BOX) if f % 3 == 0 else Detections.empty()
        seen += tr.update(d, f / 30.0)
    assert seen == []


def test_strong_detections_confirm_at_once():
    tr = Tracker(dataclasses.replace(LIFE, instant_confirm_score=0.8))
    assert tr.update(dets(BOX + 300, score=0.7), 0.0) == []    # weak: tentative 1
    assert states(tr) == {1: "tentative"}
    out = tr.update(dets(BOX, BOX + 300, score=0.85), 0.1)
    # the strong new detection (2) is output at once; 1 is confirmed by its second hit
    assert sorted((v.id, v.state) for v in out) == [(1, "confirmed"), (2, "confirmed")]
    assert tr.update(dets(BOX + 600, score=0.7), 0.2) == []
    assert states(tr)[3] == "tentative"


def test_ids_are_per_instance():
    a, b = Tracker(TrackerConfig()), Tracker(TrackerConfig())
    va = a.update(dets(BOX, BOX + 300), 0.0)
    vb = b.update(dets(BOX), 0.0)
    assert sorted(v.id for v in va) == [1, 2]      # first update confirms (ByteTrack frame 1)
    assert [v.id for v in vb] == [1]
    assert a.next_id == 3 and b.next_id == 2


def test_two_people_keep_their_ids_while_crossing_frames():
    tr = Tracker(TrackerConfig())
    left, right = BOX.copy(), BOX + np.array([200, 0, 200, 0], np.float32)
    ids = None
    for f in range(20):
        step = np.array([3 * f, 0, 3 * f, 0], np.float32)
        out = tr.update(dets(left + step, right - step), f / 30.0)
        got = sorted((v.box[0], v.id) for v in out)
        if ids is None:
            ids = [i for _, i in got]
        assert [i for _, i in got] == ids


def test_low_score_detections_only_extend_tracks():
    cfg = TrackerConfig(high_score=0.6, low_score=0.1, new_track_score=0.7, min_hits=1,
                        output_coast_s=0.0)
    tr = Tracker(cfg)
    assert tr.update(dets(BOX, score=0.3), 0.0) == []      # low: never starts a track
    assert tr.snapshot() == []
    tr.update(dets(BOX, score=0.9), 0.1)
    out = tr.update(dets(BOX + 1, score=0.3), 0.2)           # ... but continues one
    assert [v.id for v in out] == [1]
    assert tr.update(dets(BOX + 2, score=0.05), 0.3) == []   # below low_score: ignored


def test_teacher_evidence_extends_buffer():
    tr = Tracker(LIFE)
    tr.update(dets(BOX, teacher=True), 0.0)
    tr.update(dets(BOX + 300), 0.0)      # a same-time second call: student-only track 2
    tr.update(dets(BOX, BOX + 300), 0.1)
    tr.update(dets(BOX, BOX + 300), 0.2)
    assert set(states(tr).values()) == {"confirmed"}
    for t in (0.5, 0.75):
        tr.update(Detections.empty(), t)
    assert states(tr) == {1: "lost"}      # 2 removed after 0.5 s, 1 kept up to 1.0 s
    tr.update(Detections.empty(), 1.25)
    assert states(tr) == {}


def test_output_coast_reports_lost_tracks_briefly():
    cfg = dataclasses.replace(LIFE, output_coast_s=0.15, confirm_first_update=True)
    tr = Tracker(cfg)
    tr.update(dets(BOX), 0.0)
    assert [v.state for v in tr.update(Detections.empty(), 0.1)] == ["lost"]
    assert tr.update(Detections.empty(), 0.2) == []


def test_predict_boxes_does_not_change_state():
    tr = Tracker(TrackerConfig())
    for f in range(10):
        shift = np.array([3 * f, 0, 3 * f, 0], np.float32)    # 90 px/s to the right
        tr.update(dets(BOX + shift), f / 30.0)
    before = tr.snapshot()
    ids, boxes = tr.predict_boxes(9 / 30.0 + 1.0)
    assert ids.tolist() == [1] and boxes.dtype == np.float32
    assert 40 < boxes[0, 0] - before[0].box[0] < 120        # about 90 px further
    assert tr.snapshot() == before
    ids, boxes = Tracker().predict_boxes(1.0)
    assert ids.shape == (0,) and boxes.shape == (0, 4)


def test_output_filters_wide_and_tiny_boxes():
    tr = Tracker(TrackerConfig())
    out = tr.update(dets([0, 0, 100, 50], [0, 0, 3, 3], BOX), 0.0)
    assert [v.box for v in out] == [tuple(BOX.tolist())]


def test_class_aware_matching():
    tr = Tracker(TrackerConfig(min_hits=1, output_coast_s=0.0))
    tr.update(Detections(BOX[None], [0.9], [0]), 0.0)
    out = tr.update(Detections(BOX[None], [0.9], [3]), 0.1)
    assert [(v.id, v.label) for v in out] == [(2, 3)]
    assert {v.id for v in tr.snapshot()} == {1, 2}


def test_fast_view_equals_dataclass():
    args = (3, (1.0, 2.0, 3.0, 4.0), 0.5, 0, "confirmed", 1.5, True)
    assert _view(*args) == TrackView(*args)
    assert hash(_view(*args)) == hash(TrackView(*args))
    with pytest.raises(dataclasses.FrozenInstanceError):
        _view(*args).id = 4


def test_config_defaults_pass_their_bounds():
    check_defaults(TrackerConfig)


@pytest.mark.parametrize("data, key, text", [
    ({"high_score": 1.5}, "tracker.high_score", "<= 1"),
    ({"track_buffer_s": -1}, "tracker.track_buffer_s", ">= 0"),
    ({"low_score": 0.8, "high_score": 0.5}, "tracker.low_score", "high_score"),
    ({"min_hit": 2}, "tracker.min_hit", "did you mean 'min_hits'"),
    ({"kalman_layout": "xyxy"}, "tracker.kalman_layout", "xyah"),
])
def test_config_errors_name_key_bound_and_value(data, key, text):
    with pytest.raises(ConfigError) as e:
        build(TrackerConfig, data, "tracker")
    assert e.value.key_path == key and text in str(e.value)


def test_config_direct_construction_is_checked():
    with pytest.raises(ConfigError, match="tracker.min_hits"):
        TrackerConfig(min_hits=0)
