"""MQTT sink (paho-mqtt 2, extra ``mqtt``): one JSON message per frame or per track event.

Topic: ``topic`` template with ``{camera}`` (default ``edge_tracker/{camera}/tracks``),
QoS 1 by default. The connection is made asynchronously by paho's network thread
(``connect_async`` + ``loop_start``): a broker that is down at start-up neither
blocks nor fails the daemon; paho reconnects with a backoff between
``reconnect_min_s`` and ``reconnect_max_s``. While disconnected, QoS>=1 messages
wait in paho's queue, bounded by ``offline_buffer`` messages; beyond it new
messages are dropped and counted (``dropped``).

Payloads: ``mode: frame`` sends the frame object of the JSONL sink;
``mode: event`` sends ``{"event": "new"|"lost", "camera", "frame", "t", "id",
"box", "score", "label"}`` when a track is first output and when it has not been
output for ``lost_after_s`` seconds of frame time.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ..configbase import PATH_META, bounds
from ..errors import ConfigError, SinkError
from .base import Sink, frame_record

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MqttConfig:
    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = field(default=1883, metadata=bounds(1, 65535))
    topic: str = "edge_tracker/{camera}/tracks"   # {camera} is replaced by camera_id
    qos: int = field(default=1, metadata=bounds(0, 2))
    mode: Literal["frame", "event"] = "frame"
    lost_after_s: float = field(default=1.0, metadata=bounds(0.0, 3600.0))
    empty_frames: bool = False  # mode frame: also publish frames without tracks
    client_id: str = ""         # "" = edge-tracker-<camera>
    username: str | None = None
    password_file: str | None = field(default=None, metadata=PATH_META)
    keepalive_s: int = field(default=30, metadata=bounds(5, 3600))
    reconnect_min_s: float = field(default=1.0, metadata=bounds(0.1, 600.0))
    reconnect_max_s: float = field(default=30.0, metadata=bounds(0.1, 3600.0))
    offline_buffer: int = field(default=1000, metadata=bounds(1, 1_000_000))

    def validate(self, path: str) -> None:
        if self.reconnect_max_s < self.reconnect_min_s:
            raise ConfigError(f"{path}.reconnect_max_s",
                              f"must be >= reconnect_min_s ({self.reconnect_min_s}), "
                              f"got {self.reconnect_max_s}")
        try:
            self.topic.format(camera="x")
        except (KeyError, IndexError, ValueError) as exc:
            raise ConfigError(f"{path}.topic", f"bad template {self.topic!r}: only {{camera}} "
                                               f"may be used ({exc})") from exc


class MqttSink(Sink):
    name = "mqtt"

    def __init__(self, cfg: MqttConfig, camera_id: str = "cam0",
                 labels: Sequence[str] | None = None,
                 on_error: Callable[[str, str], None] | None = None) -> None:
        super().__init__(camera_id, labels, on_error)
        try:
            import paho.mqtt.client as mqtt
        except ImportError as exc:
            raise SinkError("sinks.mqtt: paho-mqtt is not installed; "
                            "pip install 'edge-tracker[mqtt]'") from exc
        self._mqtt = mqtt
        self.cfg = cfg
        self.topic = cfg.topic.format(camera=camera_id)
        self.connected = False
        self._closing = False
        self.published = 0
        self.dropped = 0
        self._seen: dict[int, float] = {}  # track id -> last frame time it was output
        password = None
        if cfg.password_file:
            try:
                with open(cfg.password_file, encoding="utf-8") as fh:
                    password = fh.read().strip()
            except OSError as exc:
                raise SinkError(f"sinks.mqtt.password_file: cannot read {cfg.password_file}: "
                                f"{exc.strerror}") from exc
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
                             client_id=cfg.client_id or f"edge-tracker-{camera_id}-{os.getpid()}")
        if cfg.username is not None:
            client.username_pw_set(cfg.username, password)
        client.reconnect_delay_set(max(1, int(cfg.reconnect_min_s)),
                                   max(1, int(cfg.reconnect_max_s)))
        client.max_queued_messages_set(cfg.offline_buffer)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        self.client = client
        try:
            client.connect_async(cfg.host, cfg.port, cfg.keepalive_s)
        except (OSError, ValueError) as exc:
            raise SinkError(f"sinks.mqtt: bad broker address {cfg.host}:{cfg.port}: {exc}") from exc
        client.loop_start()

    # paho network-thread callbacks
    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        self.connected = not reason_code.is_failure
        if self.connected:
            log.info("mqtt sink: connected to %s:%d, topic %s", self.cfg.host, self.cfg.port,
                     self.topic)
        else:
            log.warning("mqtt sink: broker %s:%d refused: %s", self.cfg.host, self.cfg.port,
                        reason_code)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        if self.connected and not self._closing:
            log.warning("mqtt sink: disconnected from %s:%d (%s); buffering up to %d messages",
                        self.cfg.host, self.cfg.port, reason_code, self.cfg.offline_buffer)
        self.connected = False

    def _publish(self, payload: dict) -> None:
        data = json.dumps(payload, separators=(",", ":"))
        info = self.client.publish(self.topic, data, qos=self.cfg.qos)
        rc = info.rc
        if rc == self._mqtt.MQTT_ERR_SUCCESS or rc == self._mqtt.MQTT_ERR_NO_CONN:
            # NO_CONN with QoS>=1: paho keeps the message and sends it after reconnecting.
            if rc == self._mqtt.MQTT_ERR_NO_CONN and self.cfg.qos == 0:
                self.dropped += 1
            else:
                self.published += 1
            return
        self.dropped += 1
        self._error("dropped", f"message dropped ({self._mqtt.error_string(rc)}); "
                               f"{self.dropped} dropped so far")

    def write(self, result: Any) -> None:
        if self.cfg.mode == "frame":
            if result.tracks or self.cfg.empty_frames:
                self._publish(frame_record(result, self.camera_id, self.label_name))
            return
        t = float(result.t_capture)
        for tr in result.tracks:
            if int(tr.id) not in self._seen:
                self._publish(self._event("new", result, tr))
            self._seen[int(tr.id)] = t
        for tid, t_last in list(self._seen.items()):
            if t - t_last > self.cfg.lost_after_s:
                del self._seen[tid]
                self._publish({"event": "lost", "camera": self.camera_id,
                               "frame": int(result.frame_index), "t": round(t, 6), "id": tid,
                               "t_last_seen": round(t_last, 6)})

    def _event(self, kind: str, result: Any, tr: Any) -> dict:
        return {"event": kind, "camera": self.camera_id, "frame": int(result.frame_index),
                "t": round(float(result.t_capture), 6), "id": int(tr.id),
                "box": [round(float(v), 2) for v in tr.box],
                "score": round(float(tr.score), 4), "label": self.label_name(int(tr.label))}

    def pending(self) -> int:
        """Messages paho still holds (queued or awaiting PUBACK)."""
        return len(getattr(self.client, "_out_messages", {}))

    def flush(self, timeout_s: float = 0.0) -> None:
        """Wait up to ``timeout_s`` for queued messages to be acknowledged (connected only)."""
        import time
        deadline = time.monotonic() + timeout_s
        while self.connected and self.pending() and time.monotonic() < deadline:
            time.sleep(0.02)

    def close(self) -> None:
        self.flush(timeout_s=1.0)
        self._closing = True
        if self.pending():
            log.warning("mqtt sink: %d messages not delivered at shutdown", self.pending())
        self.client.disconnect()
        self.client.loop_stop()
