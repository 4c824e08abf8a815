import json
from pathlib import Path

import pytest

from edge_tracker.bench.pipeline import PipelineBenchConfig, run_pipeline
from edge_tracker.bench.plot import plot_pipeline
from edge_tracker.bench.schema import pipeline_problems

from .fakes import FakePipeline, FakeSource

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
CLIP = DATA / "video" / "visionworks_pedestrians_960x540.mp4"


def _run(n=30, max_frames=None, bare_every=10):
    pipe, src = FakePipeline(), FakeSource(n)
    cfg = PipelineBenchConfig(config="unused.yaml", max_frames=max_frames, bare_every=bare_every)
    result, series = run_pipeline(cfg, progress=False, app=object(), pipeline=pipe, source=src)
    return result, series, pipe, src


def test_schema_and_counts_with_fakes():
    r, series, pipe, src = _run(30)
    assert pipeline_problems(r) == []
    assert r["frames"] == 30
    assert set(r["stages"]) == {"preprocess", "student", "decode", "track", "sink"}
    assert r["teacher_runs"] == 6  # frames 0, 5, ..., 25
    assert r["teacher_frame_fraction"] == pytest.approx(0.2)
    assert r["teacher_finished"] == 6
    assert r["teacher_busy_s"] == pytest.approx(6 * 0.004)
    # duty = busy seconds / loop seconds, and loop seconds = frames / fps
    assert r["teacher_duty"] == pytest.approx(r["teacher_busy_s"] * r["fps"] / r["frames"])
    assert len(series.teacher_busy) == 6
    assert r["student_bare_invoke_ms"]["count"] == 30  # 3 blocks of 10
    assert r["overhead_ratio"] > 0
    assert r["source_fps"] == 30.0
    assert pipe.closed and src.started and src.stopped
    assert len(series.wall) == 30
    json.dumps(r)


def test_max_frames_stops_early():
    r, *_ = _run(30, max_frames=7, bare_every=0)
    assert r["frames"] == 7
    assert r["overhead_ratio"] is None  # no bare blocks -> no ratio, not a fake one
    assert r["student_bare_invoke_ms"]["count"] == 0


def test_plot_writes_png(tmp_path):
    r, series, *_ = _run(20)
    out = plot_pipeline(r, series, str(tmp_path / "p.png"))
    data = Path(out).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 5000


@pytest.mark.real_data
def test_cli_pipeline_real(tmp_path):
    if not CLIP.exists():
        pytest.skip(f"../shared/data absent: {CLIP} not found")
    pytest.importorskip("edge_tracker.service.daemon", reason="daemon not built yet")
    pytest.importorskip("edge_tracker.service.pipeline", reason="pipeline not built yet")
    from edge_tracker.cli import main

    cfg = Path(__file__).resolve().parents[2] / "benchmarks" / "configs" / "ssd_student_only.yaml"
    out, png = tmp_path / "pipe.json", tmp_path / "pipe.png"
    rc = main(["bench", "pipeline", "--config", str(cfg), "--source", str(CLIP),
               "--max-frames", "25", "--bare-every", "5", "--json", str(out),
               "--plot", str(png)])
    assert rc == 0
    r = json.loads(out.read_text())
    assert pipeline_problems(r) == []
    assert r["frames"] == 25
    assert png.read_bytes()[:4] == b"\x89PNG"
