"""Metrics: declared once per registry, exposed over HTTP, parseable, promtool-clean."""

import shutil
import subprocess
import urllib.request

import pytest
from prometheus_client import start_http_server
from prometheus_client.parser import text_string_to_metric_families

from edge_tracker.metrics import SKIP_REASONS, STAGES, Metrics

REQUIRED = [
    "edge_tracker_frames", "edge_tracker_frames_dropped", "edge_tracker_stage_latency_seconds",
    "edge_tracker_frame_latency_seconds", "edge_tracker_teacher_latency_seconds",
    "edge_tracker_teacher_runs", "edge_tracker_teacher_skipped",
    "edge_tracker_teacher_staleness_seconds", "edge_tracker_teacher_budget_utilization_ratio",
    "edge_tracker_deadline_misses", "edge_tracker_active_tracks",
    "edge_tracker_student_score_threshold", "edge_tracker_source_reconnects",
    "edge_tracker_source_up", "edge_tracker_teacher_failures",
]


def exercised(camera="cam7"):
    m = Metrics(camera, student_model="ssd", teacher_model="yolox")
    for s in STAGES:
        m.observe_stage(s, 0.003)
    m.on_frame(0.012, 5, deadline_missed=True)
    m.on_frame(0.010, 4, deadline_missed=False)
    m.on_teacher_run()
    m.on_teacher_skip("no_budget")
    m.on_teacher_done(0.025)
    m.on_teacher_failure("hang")
    m.observe_staleness(0.1)
    m.set_budget_utilization(0.8)
    m.set_score_threshold(0.45)
    m.on_reconnect()
    m.set_up(True)
    m.on_drop(3)
    return m


def parse(text):
    return {f.name: f for f in text_string_to_metric_families(text)}


def test_render_has_every_metric_with_fixed_labels_and_values():
    fams = parse(exercised().render().decode())
    for name in REQUIRED:
        assert name in fams, name
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for f in fams.values() for s in f.samples}
    assert samples[("edge_tracker_frames_total", (("camera", "cam7"),))] == 2
    assert samples[("edge_tracker_deadline_misses_total", (("camera", "cam7"),))] == 1
    assert samples[("edge_tracker_frames_dropped_total", (("camera", "cam7"),))] == 3
    assert samples[("edge_tracker_active_tracks", (("camera", "cam7"),))] == 4
    assert samples[("edge_tracker_student_score_threshold",
                    (("camera", "cam7"), ("model", "ssd")))] == 0.45
    assert samples[("edge_tracker_teacher_skipped_total",
                    (("camera", "cam7"), ("model", "yolox"), ("reason", "no_budget")))] == 1
    # every skip reason exists from start-up (0), stages are the fixed set
    reasons = {s.labels["reason"] for s in fams["edge_tracker_teacher_skipped"].samples}
    assert reasons == set(SKIP_REASONS)
    stages = {s.labels["stage"] for s in fams["edge_tracker_stage_latency_seconds"].samples}
    assert stages == set(STAGES)
    # millisecond buckets: the smallest bucket is 0.5 ms
    les = sorted(float(s.labels["le"]) for s in fams["edge_tracker_stage_latency_seconds"].samples
                 if s.name.endswith("_bucket") and s.labels["stage"] == "student")
    assert les[0] == 0.0005 and les[-1] == float("inf")
    for f in fams.values():
        for s in f.samples:
            assert "track" not in s.labels and "id" not in s.labels


def test_unknown_stage_is_an_error():
    with pytest.raises(KeyError):
        Metrics().observe_stage("nonsense", 0.1)


def test_two_cameras_in_one_process_do_not_collide():
    a, b = exercised("a"), exercised("b")
    assert b"camera=\"b\"" not in a.render() and b"camera=\"a\"" not in b.render()


def test_scrape_over_http():
    m = exercised()
    server, thread = start_http_server(0, addr="127.0.0.1", registry=m.registry)
    try:
        port = server.server_address[1]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            text = r.read().decode()
    finally:
        server.shutdown()
        thread.join(5)
    assert "edge_tracker_teacher_runs_total" in parse(text)["edge_tracker_teacher_runs"].samples[0].name


@pytest.mark.system
@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed "
                    "(Debian package `prometheus`)")
def test_promtool_check_metrics():
    text = exercised().render()
    r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                       timeout=60, check=False)
    assert r.returncode == 0, (r.stdout + r.stderr).decode()
