import json
from pathlib import Path

import numpy as np
import pytest

from edge_tracker.cli import main
from edge_tracker.errors import SourceError
from edge_tracker.evaluation.detection import (
    FrameGT,
    average_precision,
    find_sequences,
    load_gt,
    match_frame,
    summarize,
)

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
MOT_MINI = DATA / "mot" / "MOT17-mini"
SSD = DATA / "models" / "ssd_mobilenet_v1_quant" / "ssd_mobilenet_v1_quant.tflite"
YOLOX640 = DATA / "models" / "yolox_nano_640" / "yolox_nano_640_raw.tflite"

GT_TXT = """\
1,1,10,10,10,20,1,1,1.0
1,2,100,100,10,20,1,1,0.0
1,3,200,200,10,20,0,1,1.0
1,4,300,300,10,20,1,7,1.0
1,5,400,400,10,20,1,1,0.3
2,1,12,10,10,20,1,1,0.9
"""


def test_load_gt_counted_and_ignored(tmp_path):
    p = tmp_path / "gt.txt"
    p.write_text(GT_TXT)
    gt = load_gt(str(p))
    np.testing.assert_array_equal(gt[1].counted, [[10, 10, 20, 30], [400, 400, 410, 420]])
    # invisible, conf 0, class 7 static person -> ignore regions
    np.testing.assert_array_equal(gt[1].ignore[:, 0], [100, 200, 300])
    assert gt[2].counted.shape == (1, 4)
    gt5 = load_gt(str(p), min_visibility=0.5)
    assert gt5[1].counted.shape == (1, 4) and gt5[1].ignore.shape == (4, 4)


def test_load_gt_errors(tmp_path):
    (tmp_path / "bad.txt").write_text("1,2,3\n")
    with pytest.raises(SourceError, match="9 columns"):
        load_gt(str(tmp_path / "bad.txt"))
    with pytest.raises(SourceError, match="cannot read MOT ground truth"):
        load_gt(str(tmp_path / "none.txt"))


def _gt(counted, ignore=()):
    return FrameGT(np.array(counted, np.float32).reshape(-1, 4),
                   np.array(ignore, np.float32).reshape(-1, 4))


def test_match_frame_greedy_by_score_one_to_one():
    gt = _gt([[0, 0, 10, 10], [20, 0, 30, 10]])
    dets = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [20, 0, 30, 10], [50, 50, 60, 60]],
                    np.float32)
    scores = np.array([0.5, 0.9, 0.4, 0.8], np.float32)
    s, tp = match_frame(dets, scores, gt)
    # .9 box (IoU .82) takes GT 0 first; the .5 exact box is then a duplicate -> FP
    assert s.tolist() == pytest.approx([0.9, 0.8, 0.5, 0.4])
    assert tp.tolist() == [True, False, False, True]


def test_match_frame_ignore_regions_and_empty():
    gt = _gt([[0, 0, 10, 10]], ignore=[[100, 100, 110, 110]])
    dets = np.array([[100, 100, 110, 110], [0, 0, 10, 10], [200, 0, 210, 10]], np.float32)
    s, tp = match_frame(dets, np.array([0.9, 0.8, 0.7], np.float32), gt)
    assert s.tolist() == pytest.approx([0.8, 0.7]) and tp.tolist() == [True, False]
    s, tp = match_frame(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), gt)
    assert s.shape == (0,) and tp.shape == (0,)
    s, tp = match_frame(dets[:1], np.array([0.5], np.float32), _gt([]))
    assert tp.tolist() == [False]


@pytest.mark.parametrize("scores, tp, n_gt, expected", [
    ([0.9, 0.8], [True, True], 2, 1.0),
    ([0.9, 0.8], [True, False], 2, 0.5),
    # P/R: (1, .5) (.5, .5) (.67, 1): envelope 1 on [0,.5], .67 on (.5,1] -> .5 + .333
    ([0.9, 0.8, 0.7], [True, False, True], 2, 0.5 + 0.5 * 2 / 3),
    ([0.9], [False], 3, 0.0),
    ([], [], 3, 0.0),
])
def test_average_precision_all_point(scores, tp, n_gt, expected):
    ap = average_precision(np.array(scores, np.float32), np.array(tp, bool), n_gt)
    assert ap == pytest.approx(expected)


def test_average_precision_no_gt_and_summary():
    assert np.isnan(average_precision(np.zeros(0), np.zeros(0, bool), 0))
    s = summarize(np.array([0.9, 0.5, 0.2]), np.array([True, False, True]), 4, 3, 0.3)
    assert (s["recall"], s["precision"], s["tp"], s["fp"]) == (0.25, 0.5, 1, 1)
    assert s["frames"] == 3 and s["gt_boxes"] == 4


def test_find_sequences(tmp_path):
    with pytest.raises(SourceError, match="not found"):
        find_sequences(str(tmp_path / "nope"))
    with pytest.raises(SourceError, match="no sequence with img1"):
        find_sequences(str(tmp_path))
    for name in ("B", "A"):
        (tmp_path / name / "img1").mkdir(parents=True)
        (tmp_path / name / "gt").mkdir()
        (tmp_path / name / "gt" / "gt.txt").write_text(GT_TXT)
    (tmp_path / "C" / "img1").mkdir(parents=True)  # no gt -> skipped
    assert [Path(s).name for s in find_sequences(str(tmp_path))] == ["A", "B"]
    assert find_sequences(str(tmp_path / "A")) == [str(tmp_path / "A")]


@pytest.mark.real_data
@pytest.mark.slow
@pytest.mark.parametrize("model, min_vis, goal", [
    (SSD, 0.0, 0.10), (SSD, 0.5, 0.13), (YOLOX640, 0.0, 0.42), (YOLOX640, 0.5, 0.60)])
def test_eval_detections_recall_goals(tmp_path, capsys, model, min_vis, goal):
    """Issue goals (SSD >= 0.13, YOLOX-640 >= 0.60) hold with counted GT visibility >= 0.5,
    which reproduces the shared data README's numbers; with visibility > 0 (802 boxes
    instead of 534) the same detections reach ~0.12 / ~0.47 (tolerant bounds here)."""
    if not model.exists() or not MOT_MINI.exists():
        pytest.skip("../shared/data absent: models or mot/MOT17-mini not found")
    out = tmp_path / "det.json"
    rc = main(["eval", "detections", "--model", str(model), "--mot-dir", str(MOT_MINI),
               "--score", "0.3", "--min-visibility", str(min_vis), "--json", str(out)])
    assert rc == 0
    res = json.loads(out.read_text())
    assert {"recall", "precision", "ap50", "frames", "gt_boxes"} <= set(res)
    assert res["frames"] == 39 and len(res["sequences"]) == 7
    assert res["gt_boxes"] == (802 if min_vis == 0 else 534)
    assert res["recall"] >= goal
    assert "ALL" in capsys.readouterr().out


def test_eval_mot_without_replay_module(monkeypatch, capsys):
    import sys
    monkeypatch.setitem(sys.modules, "edge_tracker.evaluation.mot_replay", None)
    assert main(["eval", "mot", "--det-replay", "x"]) == 1
    assert "tracker replay module" in capsys.readouterr().err


def test_eval_detections_bad_dir(tmp_path, capsys):
    assert main(["eval", "detections", "--model", str(tmp_path / "m.tflite"),
                 "--mot-dir", str(tmp_path)]) == 2
    assert "model file not found" in capsys.readouterr().err
