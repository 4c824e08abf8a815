"""`edge-tracker run` publishing to a real mosquitto broker on 127.0.0.1."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time

import pytest

from edge_tracker.cli import main

pytest.importorskip("paho.mqtt.client", reason="paho-mqtt (extra `mqtt`) not installed")
pytestmark = pytest.mark.system


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_run_publishes_one_message_per_frame(tmp_path, synthetic_video, student_model):
    import paho.mqtt.client as mqtt
    exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not shutil.os.path.exists(exe):
        pytest.skip("mosquitto binary absent (apt install mosquitto)")
    port = free_port()
    conf = tmp_path / "m.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\n")
    broker = subprocess.Popen([exe, "-c", str(conf)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    msgs, subscribed = [], threading.Event()
    sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="t-sub")
    sub.on_connect = lambda c, u, f, rc, p: c.subscribe("edge_tracker/+/tracks", qos=1)
    sub.on_subscribe = lambda *a: subscribed.set()
    sub.on_message = lambda c, u, m: msgs.append((m.topic, json.loads(m.payload)))
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                sub.connect("127.0.0.1", port)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        sub.loop_start()
        assert subscribed.wait(10)
        rc = main(["run", "--source", synthetic_video, "--student", student_model,
                   "--max-frames", "15", "--no-http", "--camera-id", "porch",
                   "--set", "sinks.mqtt.enabled=true", "--set", f"sinks.mqtt.port={port}",
                   "--set", "sinks.mqtt.empty_frames=true"])
        assert rc == 0
        deadline = time.monotonic() + 10
        while len(msgs) < 15 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        sub.loop_stop()
        broker.terminate()
        broker.wait(10)
    assert [p["frame"] for _, p in msgs] == list(range(15))
    assert {t for t, _ in msgs} == {"edge_tracker/porch/tracks"}
    assert all(set(p) == {"frame", "t", "camera", "tracks"} for _, p in msgs)
