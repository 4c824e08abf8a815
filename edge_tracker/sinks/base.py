"""Sink interface and the whole-line file writer every text sink shares.

A sink receives one :class:`FrameResult` per processed frame (duck-typed: it needs
``frame_index``, ``t_capture`` and ``tracks``: list of
:class:`~edge_tracker.types.TrackView` with ``box`` xyxy source pixels).

Whole lines: :class:`LineFile` writes each batch of complete lines with one
``os.write`` on an ``O_APPEND`` descriptor; if the kernel accepts only part of it
(disk full), the file is truncated back to its previous size, so a reader (or a
crash) never sees half a line and nothing written before is touched.
"""

from __future__ import annotations

import errno
import logging
import os
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, Literal

from ..errors import SinkError

log = logging.getLogger(__name__)

FsyncPolicy = Literal["never", "interval", "always"]


class Sink(ABC):
    """One output. ``write`` emits whole lines/messages only; errors at run time are
    logged and counted (``errors``), never raised into the frame loop."""

    name = "sink"

    def __init__(self, camera_id: str = "cam0", labels: Sequence[str] | None = None,
                 on_error: Callable[[str, str], None] | None = None) -> None:
        self.camera_id = camera_id
        self.labels = list(labels or [])
        self.errors = 0
        self._on_error = on_error

    @abstractmethod
    def write(self, result: Any) -> None: ...

    def flush(self) -> None:
        """Push buffered output to its destination."""

    def close(self) -> None:
        """Flush and release the output."""

    def label_name(self, label: int) -> str:
        """Label name of class id ``label`` (the id as text when unknown)."""
        if 0 <= label < len(self.labels):
            return self.labels[label]
        return str(label)

    def _error(self, kind: str, message: str) -> None:
        """Log and count a run-time output error (the daemon keeps going)."""
        self.errors += 1
        if self.errors <= 5 or self.errors % 100 == 0:
            log.error("%s sink: %s (error %d)", self.name, message, self.errors)
        if self._on_error is not None:
            self._on_error(self.name, kind)


class FileSink(Sink):
    """A sink writing whole lines to ``self.file`` (a :class:`LineFile`) at ``self.cfg.path``;
    subclasses set both in ``__init__`` and implement ``write``."""

    file: LineFile
    cfg: Any

    def _write_text(self, text: str, frame_index: int) -> None:
        try:
            self.file.write_lines(text)
        except OSError as exc:
            self._error("write", f"{self.cfg.path}: frame {frame_index} not written: "
                                 f"{exc.strerror or exc}")

    def flush(self) -> None:
        try:
            self.file.sync()
        except OSError as exc:
            self._error("flush", f"{self.cfg.path}: fsync failed: {exc.strerror or exc}")

    def close(self) -> None:
        try:
            self.file.close()
        except OSError as exc:
            self._error("close", f"{self.cfg.path}: close failed: {exc.strerror or exc}")


def frame_record(result: Any, camera_id: str, label_name: Callable[[int], str]) -> dict:
    """The JSON object of one frame: ``{frame, t, camera, tracks: [{id, box, score, label}]}``.

    ``box`` is ``[x1, y1, x2, y2]`` in source pixels rounded to 0.01 px.
    """
    return {
        "frame": int(result.frame_index),
        "t": round(float(result.t_capture), 6),
        "camera": camera_id,
        "tracks": [
            {"id": int(tr.id), "box": [round(float(v), 2) for v in tr.box],
             "score": round(float(tr.score), 4), "label": label_name(int(tr.label))}
            for tr in result.tracks
        ],
    }


def check_writable(path: str, key: str) -> None:
    """Raise :class:`SinkError` naming ``path`` if it cannot be created or appended to."""
    if path == "-":
        return
    folder = os.path.dirname(os.path.abspath(path)) or "."
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise SinkError(f"{key}: {folder} is not a folder (for {path})")
    if not os.path.isdir(folder):
        raise SinkError(f"{key}: output folder {folder} does not exist (for {path})")
    if os.path.isdir(path):
        raise SinkError(f"{key}: output path {path} is a directory")
    if os.path.exists(path):
        ok = os.access(path, os.W_OK)
    else:
        ok = os.access(folder, os.W_OK | os.X_OK)
    if not ok:
        raise SinkError(f"{key}: output path {path} is not writable")


class LineFile:
    """Append-only text file (or stdout for ``-``) written in whole lines.

    rotate_bytes > 0: before a write that would push the file past it, ``path`` is
    renamed to ``path.1`` (``path.1`` to ``path.2`` ... up to ``backups``) and a new
    file is started. fsync: ``always`` after each write, ``interval`` at most every
    ``fsync_interval_s``, ``never`` (left to the OS).
    """

    def __init__(self, path: str, key: str, rotate_bytes: int = 0, backups: int = 3,
                 fsync: FsyncPolicy = "interval", fsync_interval_s: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self.key = key
        self.rotate_bytes = rotate_bytes
        self.backups = backups
        self.fsync_policy = fsync
        self.fsync_interval_s = fsync_interval_s
        self._clock = clock
        self._last_sync = clock()
        self._dirty = False
        self.lines_written = 0
        self.rotations = 0
        check_writable(path, key)
        self._fd = 1 if path == "-" else self._open()
        self._size = 0 if path == "-" else os.fstat(self._fd).st_size

    def _open(self) -> int:
        try:
            return os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC,
                           0o644)
        except OSError as exc:
            raise SinkError(f"{self.key}: cannot open {self.path}: {exc.strerror}") from exc

    def _rotate(self) -> None:
        os.close(self._fd)
        self._fd = -1
        if self.backups > 0:
            for i in range(self.backups - 1, 0, -1):
                src = f"{self.path}.{i}"
                if os.path.exists(src):
                    os.replace(src, f"{self.path}.{i + 1}")
            os.replace(self.path, f"{self.path}.1")
        else:
            os.unlink(self.path)
        self._fd = self._open()
        self._size = 0
        self.rotations += 1

    def write_lines(self, text: str) -> None:
        """Append ``text`` (one or more lines, each ending in a newline) whole.

        Raises OSError (e.g. ENOSPC) with the file left exactly as before the call.
        """
        data = text.encode("utf-8")
        if not data:
            return
        if self._fd == 1:
            self._write_stdout(data)
            return
        if self._fd < 0:
            self._fd = self._open()
            self._size = os.fstat(self._fd).st_size
        if self.rotate_bytes and self._size > 0 and self._size + len(data) > self.rotate_bytes:
            self._rotate()
        before = self._size
        try:
            n = os.write(self._fd, data)
            if n != len(data):
                # A short write (disk full): complete it or fail; never leave a torn line.
                n += os.write(self._fd, data[n:])
                if n != len(data):
                    raise OSError(errno.ENOSPC, "short write")
        except OSError:
            try:
                os.ftruncate(self._fd, before)
            except OSError as exc2:
                log.error("%s: could not truncate %s back to %d bytes: %s",
                          self.key, self.path, before, exc2)
            raise
        self._size = before + len(data)
        self.lines_written += data.count(b"\n")
        self._dirty = True
        self._maybe_sync()

    def _write_stdout(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            n = os.write(1, view)
            view = view[n:]
        self.lines_written += data.count(b"\n")

    def _maybe_sync(self) -> None:
        if self.fsync_policy == "always" or self.fsync_policy == "interval" and \
                self._clock() - self._last_sync >= self.fsync_interval_s:
            self.sync()

    def sync(self) -> None:
        if self._fd > 2 and self._dirty:
            os.fsync(self._fd)
            self._dirty = False
        self._last_sync = self._clock()

    def close(self) -> None:
        if self._fd > 2:
            try:
                self.sync()
            finally:
                os.close(self._fd)
        self._fd = -1
