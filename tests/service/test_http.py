import json
import shutil
import subprocess
import urllib.error
import urllib.request

import pytest

from edge_tracker.metrics import Metrics
from edge_tracker.service.http import HealthState, HttpConfig, HttpServer


class FakeClock:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


@pytest.fixture
def server():
    clock = FakeClock()
    health = HealthState(clock)
    metrics = Metrics(camera="cam7", student_model="ssd")
    srv = HttpServer(HttpConfig(port=0, health_max_age_s=5, ready_max_age_s=2), health,
                     metrics.registry).start()
    yield srv, health, clock, metrics
    srv.stop()


def test_binds_loopback_by_default():
    assert HttpConfig().bind == "127.0.0.1"


def test_health_and_ready_follow_the_loop(server):
    srv, health, clock, _ = server
    assert get(srv.url + "/healthz")[0] == 503
    assert get(srv.url + "/readyz") == (503, b'{"ok": false, "detail": "models not loaded"}\n')
    health.tick()
    health.models_loaded = True
    assert get(srv.url + "/healthz")[0] == 200
    assert json.loads(get(srv.url + "/readyz")[1])["detail"] == "no frame yet"
    health.frame()
    assert get(srv.url + "/readyz")[0] == 200
    clock.t += 3  # no frame for 3 s > ready_max_age_s 2, loop tick 3 s old < 5
    assert get(srv.url + "/readyz")[0] == 503
    assert get(srv.url + "/healthz")[0] == 200
    clock.t += 3  # loop stalled 6 s
    status, body = get(srv.url + "/healthz")
    assert status == 503 and b"stalled" in body
    assert get(srv.url + "/nope")[0] == 404


def test_metrics_exposition_passes_promtool(server):
    srv, _, _, metrics = server
    metrics.observe_stage("sink", 0.002)
    metrics.on_frame(0.03, 2, False)
    status, body = get(srv.url + "/metrics")
    assert status == 200
    text = body.decode()
    assert 'edge_tracker_frames_total{camera="cam7"} 1.0' in text
    assert 'edge_tracker_stage_latency_seconds_count{camera="cam7",stage="sink"} 1.0' in text
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool absent (apt install prometheus)")
    proc = subprocess.run(check=False, args=[promtool, "check", "metrics"], input=body, capture_output=True,
                          timeout=30)
    assert proc.returncode == 0, proc.stdout.decode() + proc.stderr.decode()


def test_port_in_use_is_a_config_error(server):
    from edge_tracker.errors import ConfigError
    srv = server[0]
    with pytest.raises(ConfigError, match=f"cannot listen on 127.0.0.1:{srv.port}"):
        HttpServer(HttpConfig(port=srv.port), HealthState())
