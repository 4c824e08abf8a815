"""JSON Lines sink: one object per processed frame, to a rotating file or stdout.

Line: ``{"frame": idx, "t": t_capture, "camera": id, "tracks": [{"id", "box":
[x1,y1,x2,y2], "score", "label"}]}`` (box in source pixels). Each line is written
whole (see :class:`~edge_tracker.sinks.base.LineFile`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ..configbase import PATH_META, bounds
from .base import FileSink, LineFile, frame_record


@dataclass(frozen=True)
class JsonlConfig:
    path: str | None = field(default=None, metadata=PATH_META)  # None = off; "-" = stdout
    rotate_bytes: int = field(default=0, metadata=bounds(0))    # 0 = never rotate
    backups: int = field(default=3, metadata=bounds(0, 100))    # rotated files kept
    fsync: Literal["never", "interval", "always"] = "interval"
    fsync_interval_s: float = field(default=1.0, metadata=bounds(0.0, 3600.0))
    empty_frames: bool = True  # also write frames without tracks (one line per frame)


class JsonlSink(FileSink):
    name = "jsonl"

    def __init__(self, cfg: JsonlConfig, camera_id: str = "cam0",
                 labels: Sequence[str] | None = None,
                 on_error: Callable[[str, str], None] | None = None) -> None:
        super().__init__(camera_id, labels, on_error)
        assert cfg.path is not None
        self.cfg = cfg
        self.file = LineFile(cfg.path, "sinks.jsonl.path", cfg.rotate_bytes, cfg.backups,
                             cfg.fsync, cfg.fsync_interval_s)

    def write(self, result: Any) -> None:
        if not result.tracks and not self.cfg.empty_frames:
            return
        rec = frame_record(result, self.camera_id, self.label_name)
        self._write_text(json.dumps(rec, separators=(",", ":")) + "\n", rec["frame"])

