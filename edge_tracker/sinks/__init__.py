"""Outputs of the daemon: JSON Lines, MOTChallenge text, MQTT, annotated video.

:class:`SinksConfig` groups the per-sink configs (each declared in its module);
:func:`open_sinks` opens the enabled ones, raising :class:`SinkError` naming the
path for an output that cannot be written at start-up.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .base import Sink
from .jsonl import JsonlConfig
from .mot import MotConfig
from .mqtt import MqttConfig
from .video import VideoConfig


@dataclass(frozen=True)
class SinksConfig:
    jsonl: JsonlConfig = field(default_factory=JsonlConfig)
    mot: MotConfig = field(default_factory=MotConfig)
    mqtt: MqttConfig = field(default_factory=MqttConfig)
    video: VideoConfig = field(default_factory=VideoConfig)


def open_sinks(cfg: SinksConfig, camera_id: str = "cam0", labels: Sequence[str] | None = None,
               on_error: Callable[[str, str], None] | None = None) -> list[Sink]:
    """Open every enabled sink; on failure close those already opened and re-raise."""
    sinks: list[Sink] = []
    try:
        if cfg.jsonl.path:
            from .jsonl import JsonlSink
            sinks.append(JsonlSink(cfg.jsonl, camera_id, labels, on_error))
        if cfg.mot.path:
            from .mot import MotSink
            sinks.append(MotSink(cfg.mot, camera_id, labels, on_error))
        if cfg.mqtt.enabled:
            from .mqtt import MqttSink
            sinks.append(MqttSink(cfg.mqtt, camera_id, labels, on_error))
        if cfg.video.path:
            from .video import VideoSink
            sinks.append(VideoSink(cfg.video, camera_id, labels, on_error))
    except BaseException:
        for s in sinks:
            s.close()
        raise
    return sinks


__all__ = [
    "JsonlConfig",
    "MotConfig",
    "MqttConfig",
    "Sink",
    "SinksConfig",
    "VideoConfig",
    "open_sinks",
]
