import numpy as np
import pytest

from edge_tracker.cli import main
from edge_tracker.commands.demo import render_scene


@pytest.mark.parametrize("people", [0, 1, 4])
def test_render_scene_shapes_and_truth(people):
    frames, truth = render_scene(n_frames=10, width=160, height=90, people=people, fps=10)
    assert len(frames) == len(truth) == 10
    assert all(f.shape == (90, 160, 3) and f.dtype == np.uint8 for f in frames)
    assert all(len(t) <= people for t in truth)
    for boxes in truth:
        for _, (x1, y1, x2, y2) in boxes:
            assert x1 < x2 and y1 < y2 and x2 > 0 and x1 < 160
    if people:
        assert not np.array_equal(frames[0], frames[9])  # people move


def test_render_scene_is_deterministic():
    a, _ = render_scene(n_frames=3, width=64, height=36, people=2, seed=3)
    b, _ = render_scene(n_frames=3, width=64, height=36, people=2, seed=3)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))


def test_demo_runs_stops_and_prints(capsys, student_model):
    rc = main(["demo", "--frames", "20", "--seconds", "0", "--http-port", "0", "--no-teacher",
               "--student", student_model, "--set", "source.realtime=false"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "metrics: http://127.0.0.1:" in out
    assert "frame     0  tracks" in out
    assert "demo: 20 frames" in out


def test_demo_stops_by_time(capsys, student_model):
    rc = main(["demo", "--seconds", "1.5", "--http-port", "0", "--no-teacher",
               "--student", student_model])
    assert rc == 0
    assert "demo: " in capsys.readouterr().out
