"""HOTA / CLEAR / Identity with TrackEval semantics: hand-computed tiny cases, the
MOTChallenge preprocessing, sequence combination, and cross-checks against TrackEval
(numbers TrackEval 1.3.0 printed for a published tracker on MOT17 train; and the
``trackeval`` package itself when importable)."""

from __future__ import annotations

import configparser
from pathlib import Path

import numpy as np
import pytest

from edge_tracker.evaluation import mot_metrics as mm

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
MOT17 = DATA / "mot" / "MOT17-train"
LIFT = DATA / "mot" / "published-results" / "Lif_T"


def gt_rows(*rows):
    """(frame, id, x, y, w, h[, conf=1, class=1, vis=1]) -> (N, 9) GT rows."""
    out = [list(r) + [1, 1, 1][len(r) - 6:] for r in rows]
    return np.array(out, float).reshape(-1, 9)


def tr_rows(*rows):
    """(frame, id, x, y, w, h) -> (N, 10) tracker rows."""
    return np.array([list(r) + [1, -1, -1, -1] for r in rows], float).reshape(-1, 10)


def scores(gt, tr, frames):
    return mm.summarize(mm.evaluate_sequence(gt, tr, frames))


def test_perfect_tracking_scores_one():
    gt = gt_rows(*[(f, i, 10 + 50 * i, 10, 20, 40) for f in (1, 2, 3) for i in (1, 2)])
    tr = tr_rows(*[(f, 7 + i, 10 + 50 * i, 10, 20, 40) for f in (1, 2, 3) for i in (1, 2)])
    m = scores(gt, tr, 3)
    for k in ("HOTA", "DetA", "AssA", "MOTA", "IDF1", "LocA"):
        assert m[k] == pytest.approx(1.0), k
    assert m["IDSW"] == 0 and m["MT"] == 2


def test_one_id_switch_hand_computed():
    # One person over 4 frames; the tracker calls it 1 then 2 (perfect boxes).
    gt = gt_rows(*[(f, 1, 0, 0, 10, 10) for f in range(1, 5)])
    tr = tr_rows((1, 1, 0, 0, 10, 10), (2, 1, 0, 0, 10, 10),
                 (3, 2, 0, 0, 10, 10), (4, 2, 0, 0, 10, 10))
    m = scores(gt, tr, 4)
    assert m["MOTA"] == pytest.approx((4 - 0 - 1) / 4)       # (TP - FP - IDSW) / GT
    assert m["IDSW"] == 1
    # IDF1: gt 1 <-> tracker 1 for 2 frames: IDTP 2, IDFN 2, IDFP 2 -> 2 / (2 + 1 + 1)
    assert m["IDF1"] == pytest.approx(0.5)
    # HOTA: DetA 1; each TP's association = 2 / (4 + 2 - 2) = 0.5 -> sqrt(0.5)
    assert m["DetA"] == pytest.approx(1.0)
    assert m["AssA"] == pytest.approx(0.5)
    assert m["HOTA"] == pytest.approx(np.sqrt(0.5))


def test_partial_overlap_counts_only_below_its_iou():
    # IoU 0.42: a HOTA TP for alpha 0.05 .. 0.40 (8 of 19), a CLEAR/ID miss (< 0.5).
    gt = gt_rows((1, 1, 0, 0, 10, 10))
    tr = tr_rows((1, 5, 0, 0, 10, 4.2))
    m = scores(gt, tr, 1)
    assert m["HOTA"] == pytest.approx(8 / 19)
    assert m["DetA"] == pytest.approx(8 / 19)
    # LocA per alpha: 0.42 where matched; TrackEval's max(1e-10, 0) / max(1e-10, 0) = 1 else
    assert m["LocA"] == pytest.approx((8 * 0.42 + 11 * 1.0) / 19)
    assert m["MOTA"] == pytest.approx((0 - 1 - 0) / 1)
    assert m["IDF1"] == 0.0 and m["CLR_FN"] == 1 and m["CLR_FP"] == 1


def test_distractors_removed_zero_marked_ignored():
    gt = gt_rows(
        (1, 1, 0, 0, 10, 10),                    # pedestrian
        (1, 2, 100, 0, 10, 10, 0, 7, 1),         # static person (distractor): match removed
        (1, 3, 200, 0, 10, 10, 0, 1, 0.5),       # pedestrian with eval flag 0: not GT...
        (1, 4, 300, 0, 10, 10, 1, 3, 1),         # car: not GT, not a distractor
    )
    tr = tr_rows((1, 1, 0, 0, 10, 10), (1, 2, 100, 0, 10, 10), (1, 3, 200, 0, 10, 10),
                 (1, 4, 300, 0, 10, 10))
    d = mm.preprocess(gt, tr, 1)
    assert d.num_gt_dets == 1 and d.num_tr_dets == 3     # only the distractor match removed
    m = scores(gt, tr, 1)
    assert (m["CLR_TP"], m["CLR_FP"], m["CLR_FN"]) == (1, 2, 0)   # ... the rest are FPs


def test_distractor_needs_iou_half():
    gt = gt_rows((1, 2, 0, 0, 10, 10, 0, 8, 1))
    tr = tr_rows((1, 1, 0, 0, 10, 4.9))                  # IoU 0.49 with the distractor
    assert mm.preprocess(gt, tr, 1).num_tr_dets == 1


@pytest.mark.parametrize("gt, tr, mota", [
    (gt_rows((1, 1, 0, 0, 10, 10)), tr_rows(), 0.0),
    (gt_rows(), tr_rows((1, 1, 0, 0, 10, 10)), -1.0),     # (0 - 1) / max(1, 0 GT)
    (gt_rows(), tr_rows(), 0.0),
])
def test_empty_sides(gt, tr, mota):
    m = scores(gt, tr, 2)
    assert m["HOTA"] == 0.0 and m["IDF1"] == 0.0
    assert m["MOTA"] == mota
    assert m["CLR_FN"] == len(gt) and m["CLR_FP"] == len(tr)


def test_combine_sums_counts_like_trackeval():
    gt = gt_rows(*[(f, 1, 0, 0, 10, 10) for f in range(1, 5)])
    switch = tr_rows((1, 1, 0, 0, 10, 10), (2, 1, 0, 0, 10, 10),
                     (3, 2, 0, 0, 10, 10), (4, 2, 0, 0, 10, 10))
    perfect = tr_rows(*[(f, 1, 0, 0, 10, 10) for f in range(1, 5)])
    a, b = mm.evaluate_sequence(gt, switch, 4), mm.evaluate_sequence(gt, perfect, 4)
    m = mm.summarize(mm.combine([a, b]))
    assert m["MOTA"] == pytest.approx((8 - 1) / 8)
    assert m["IDF1"] == pytest.approx((2 + 4) / (6 + 1 + 1))
    # AssA weighted by HOTA_TP (4 and 4): (0.5 + 1) / 2
    assert m["AssA"] == pytest.approx(0.75)
    assert m["HOTA"] == pytest.approx(np.sqrt(0.75))


def test_frames_outside_sequence_rejected():
    with pytest.raises(ValueError, match="outside"):
        mm.evaluate_sequence(gt_rows((1, 1, 0, 0, 1, 1)), tr_rows((3, 1, 0, 0, 1, 1)), 2)


def test_box_iou_xywh():
    iou = mm.box_iou_xywh(np.array([[0, 0, 10, 10]]), np.array([[5, 0, 10, 10], [0, 0, 0, 0]]))
    np.testing.assert_allclose(iou, [[50 / 150, 0.0]])


# -- cross-checks with TrackEval ------------------------------------------------------------
# TrackEval 1.3.0 (PyPI, MotChallenge2DBox, BENCHMARK MOT17) on the published Lif_T results
# in ../shared/data/mot/published-results/Lif_T: (HOTA, DetA, AssA, MOTA, IDF1) in percent.
TRACKEVAL_LIFT = {
    "MOT17-02-FRCNN": (49.659763, 44.448020, 55.502951, 47.414025, 57.198768),
    "MOT17-04-FRCNN": (66.186099, 60.830007, 72.118130, 67.540005, 74.145829),
    "MOT17-05-FRCNN": (56.371187, 52.879498, 60.142272, 60.185051, 68.905473),
    "MOT17-09-FRCNN": (64.226128, 66.823352, 61.734010, 71.549296, 72.884470),
    "MOT17-10-FRCNN": (63.276293, 63.638090, 62.968033, 73.214425, 76.159636),
    "MOT17-11-FRCNN": (70.671038, 68.904589, 72.506511, 73.124205, 78.762562),
    "MOT17-13-FRCNN": (65.859789, 67.925275, 63.997516, 77.048617, 75.807140),
    "COMBINED_SEQ": (63.205214, 59.598227, 67.154701, 66.050740, 72.124328),
}


def _seq_len(seq: Path) -> int:
    ini = configparser.ConfigParser()
    ini.read(seq / "seqinfo.ini")
    return int(ini["Sequence"]["seqLength"])


@pytest.mark.real_data
def test_matches_trackeval_on_published_results():
    if not LIFT.is_dir() or not MOT17.is_dir():
        pytest.skip(f"{DATA} absent: needs mot/MOT17-train and mot/published-results/Lif_T")
    counts = []
    for name, ref in TRACKEVAL_LIFT.items():
        if name == "COMBINED_SEQ":
            continue
        c = mm.evaluate_files(MOT17 / name / "gt" / "gt.txt", LIFT / f"{name}.txt",
                              _seq_len(MOT17 / name))
        counts.append(c)
        m = mm.summarize(c)
        got = [100 * m[k] for k in ("HOTA", "DetA", "AssA", "MOTA", "IDF1")]
        np.testing.assert_allclose(got, ref, atol=1e-3, err_msg=name)
    m = mm.summarize(mm.combine(counts))
    got = [100 * m[k] for k in ("HOTA", "DetA", "AssA", "MOTA", "IDF1")]
    np.testing.assert_allclose(got, TRACKEVAL_LIFT["COMBINED_SEQ"], atol=1e-3)


def test_matches_trackeval_package_on_random_sequences(tmp_path):
    trackeval = pytest.importorskip(
        "trackeval", reason="trackeval not installed (it pulls opencv-python; the pinned "
                            "cross-check above covers MOT17)")
    import contextlib
    import io

    rng = np.random.default_rng(0)
    seqs = {}
    for s in range(3):
        name = f"SEQ-{s}"
        frames = 20
        gt, tr = [], []
        for pid in range(1, 6):
            x, y = rng.uniform(0, 500, 2)
            cls = 1 if pid < 5 else int(rng.choice([2, 7, 8, 12]))
            for f in range(1, frames + 1):
                x += rng.normal(0, 3)
                gt.append((f, pid, x, y, 30, 80, int(rng.random() > 0.1), cls, 1))
                if rng.random() < 0.8:
                    tid = pid + 10 * (f > rng.integers(5, 25))
                    tr.append((f, tid, x + rng.normal(0, 4), y + rng.normal(0, 4), 30, 80,
                               1, -1, -1, -1))
        seqs[name] = (np.array(gt, float), np.array(tr, float), frames)
        d = tmp_path / "gt" / name
        (d / "gt").mkdir(parents=True)
        np.savetxt(d / "gt" / "gt.txt", seqs[name][0], delimiter=",", fmt="%.4f")
        (d / "seqinfo.ini").write_text(f"[Sequence]\nname={name}\nseqLength={frames}\n")
        t = tmp_path / "trackers" / "mine" / "data"
        t.mkdir(parents=True, exist_ok=True)
        np.savetxt(t / f"{name}.txt", seqs[name][1], delimiter=",", fmt="%.4f")
    (tmp_path / "seqmap.txt").write_text("name\n" + "\n".join(seqs) + "\n")
    ec = trackeval.Evaluator.get_default_eval_config()
    ec.update(PRINT_RESULTS=False, PRINT_CONFIG=False, OUTPUT_SUMMARY=False,
              OUTPUT_DETAILED=False, PLOT_CURVES=False, USE_PARALLEL=False)
    dc = trackeval.datasets.MotChallenge2DBox.get_default_dataset_config()
    dc.update(GT_FOLDER=str(tmp_path / "gt"), TRACKERS_FOLDER=str(tmp_path / "trackers"),
              TRACKERS_TO_EVAL=["mine"], SEQMAP_FILE=str(tmp_path / "seqmap.txt"),
              SKIP_SPLIT_FOL=True, PRINT_CONFIG=False)
    with contextlib.redirect_stdout(io.StringIO()):
        res, _ = trackeval.Evaluator(ec).evaluate(
            [trackeval.datasets.MotChallenge2DBox(dc)],
            [trackeval.metrics.HOTA(), trackeval.metrics.CLEAR(), trackeval.metrics.Identity()])
    ref = res["MotChallenge2DBox"]["mine"]["COMBINED_SEQ"]["pedestrian"]
    m = mm.summarize(mm.combine([mm.evaluate_sequence(*v) for v in seqs.values()]))
    assert m["HOTA"] == pytest.approx(float(np.mean(ref["HOTA"]["HOTA"])), abs=1e-6)
    assert m["MOTA"] == pytest.approx(float(ref["CLEAR"]["MOTA"]), abs=1e-6)
    assert m["IDF1"] == pytest.approx(float(ref["Identity"]["IDF1"]), abs=1e-6)
