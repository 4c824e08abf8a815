"""MOTChallenge text sink: ``frame,id,x,y,w,h,score,-1,-1,-1`` per track, 1-based frames.

x, y is the top-left corner; w, h the size, in source pixels. All lines of one frame
are written with one whole-line write.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ..configbase import PATH_META, bounds
from .base import FileSink, LineFile


@dataclass(frozen=True)
class MotConfig:
    path: str | None = field(default=None, metadata=PATH_META)  # None = off
    fsync: Literal["never", "interval", "always"] = "interval"
    fsync_interval_s: float = field(default=1.0, metadata=bounds(0.0, 3600.0))


def mot_lines(frame_index: int, tracks: Sequence[Any]) -> str:
    """MOT lines of one frame (``frame_index`` 0-based in, 1-based out)."""
    out = []
    for tr in tracks:
        x1, y1, x2, y2 = (float(v) for v in tr.box)
        out.append(f"{frame_index + 1},{int(tr.id)},{x1:.2f},{y1:.2f},{x2 - x1:.2f},"
                   f"{y2 - y1:.2f},{float(tr.score):.4f},-1,-1,-1\n")
    return "".join(out)


class MotSink(FileSink):
    name = "mot"

    def __init__(self, cfg: MotConfig, camera_id: str = "cam0",
                 labels: Sequence[str] | None = None,
                 on_error: Callable[[str, str], None] | None = None) -> None:
        super().__init__(camera_id, labels, on_error)
        assert cfg.path is not None
        self.cfg = cfg
        self.file = LineFile(cfg.path, "sinks.mot.path", 0, 0, cfg.fsync, cfg.fsync_interval_s)

    def write(self, result: Any) -> None:
        self._write_text(mot_lines(int(result.frame_index), result.tracks), result.frame_index)

