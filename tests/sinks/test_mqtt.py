"""MQTT sink against a real mosquitto broker on 127.0.0.1 (skipped without mosquitto)."""

import json
import shutil
import socket
import subprocess
import threading
import time

import pytest

pytest.importorskip("paho.mqtt.client", reason="paho-mqtt (extra `mqtt`) not installed")

from edge_tracker.sinks.mqtt import MqttConfig, MqttSink

pytestmark = pytest.mark.system


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_broker(tmp_path, port: int) -> subprocess.Popen:
    exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    conf = tmp_path / f"mosquitto-{port}.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\n")
    proc = subprocess.Popen([exe, "-c", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    pytest.fail("mosquitto did not start")


@pytest.fixture
def mosquitto_exe():
    if not (shutil.which("mosquitto") or shutil.os.path.exists("/usr/sbin/mosquitto")):
        pytest.skip("mosquitto binary absent (apt install mosquitto)")


class Subscriber:
    def __init__(self, port: int, topic: str):
        import paho.mqtt.client as mqtt
        self.messages: list[dict] = []
        self.ready = threading.Event()
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-sub-{port}")
        c.on_connect = lambda cl, u, f, rc, p: (cl.subscribe(topic, qos=1), None)
        c.on_subscribe = lambda *a: self.ready.set()
        c.on_message = lambda cl, u, m: self.messages.append(
            {"topic": m.topic, **json.loads(m.payload)})
        c.connect("127.0.0.1", port)
        c.loop_start()
        self.client = c
        assert self.ready.wait(10), "subscriber did not subscribe"

    def wait_for(self, n: int, timeout: float = 10.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < n and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()


def wait_connected(sink, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not sink.connected and time.monotonic() < deadline:
        time.sleep(0.05)
    return sink.connected


def test_frame_messages_reach_a_subscriber(tmp_path, mosquitto_exe, result_factory):
    port = free_port()
    broker = start_broker(tmp_path, port)
    try:
        sub = Subscriber(port, "edge_tracker/+/tracks")
        sink = MqttSink(MqttConfig(enabled=True, port=port), camera_id="gate", labels=["person"])
        assert wait_connected(sink)
        for i in range(5):
            sink.write(result_factory(i, [(1, (0, 0, 10, 20)), (2, (5, 5, 9, 9))]))
        sink.write(result_factory(5, []))  # empty frames not published by default
        sink.close()
        msgs = sub.wait_for(5)
        sub.close()
    finally:
        broker.terminate()
        broker.wait(5)
    assert [m["frame"] for m in msgs] == [0, 1, 2, 3, 4]
    assert all(m["topic"] == "edge_tracker/gate/tracks" and m["camera"] == "gate" for m in msgs)
    assert msgs[0]["tracks"][0] == {"id": 1, "box": [0.0, 0.0, 10.0, 20.0], "score": 0.9,
                                    "label": "person"}


def test_track_events_new_and_lost(tmp_path, mosquitto_exe, result_factory):
    port = free_port()
    broker = start_broker(tmp_path, port)
    try:
        sub = Subscriber(port, "cams/#")
        sink = MqttSink(MqttConfig(enabled=True, port=port, mode="event", lost_after_s=0.25,
                                   topic="cams/{camera}/events"), camera_id="c1")
        assert wait_connected(sink)
        # t = frame/10: id 1 last seen at t=0.2 -> lost at frame 5 (0.3 s > 0.25 s)
        for i in range(7):
            boxes = ([(1, (0, 0, 1, 1))] if i <= 2 else []) + ([(2, (2, 2, 3, 3))] if i >= 1 else [])
            sink.write(result_factory(i, boxes))
        sink.close()
        msgs = sub.wait_for(3)
        sub.close()
    finally:
        broker.terminate()
        broker.wait(5)
    assert [(m["event"], m["id"], m["frame"]) for m in msgs] == [
        ("new", 1, 0), ("new", 2, 1), ("lost", 1, 5)]


def test_broker_down_at_start_then_up_receives_buffered(tmp_path, mosquitto_exe, result_factory):
    port = free_port()
    t0 = time.monotonic()
    sink = MqttSink(MqttConfig(enabled=True, port=port, reconnect_min_s=1, reconnect_max_s=1,
                               offline_buffer=3), camera_id="late")
    assert time.monotonic() - t0 < 1.0, "constructor must not block on a dead broker"
    for i in range(5):  # broker down: 3 kept (bounded), 2 dropped
        sink.write(result_factory(i, [(1, (0, 0, 1, 1))]))
    assert not sink.connected
    assert sink.dropped == 2
    broker = start_broker(tmp_path, port)
    try:
        assert wait_connected(sink, timeout=15)
        sub = Subscriber(port, "edge_tracker/late/tracks")
        # buffered ones went out on connect (before the subscriber); new ones reach it
        sink.write(result_factory(10, [(1, (0, 0, 1, 1))]))
        msgs = sub.wait_for(1)
        sink.close()
        sub.close()
    finally:
        broker.terminate()
        broker.wait(5)
    assert [m["frame"] for m in msgs] == [10]
    assert sink.pending() == 0  # the 3 buffered messages were acknowledged by the broker
