"""The reader every back-end shares: a thread, a bounded buffer, reconnects, a watchdog.

Threads: a *supervisor* (one per source) opens connections, waits with exponential
backoff + jitter between attempts, and runs the stall watchdog; a *reader* (one per
connection) calls ``backend.read()`` in a loop and fills the buffer. When the watchdog
fires (a read has been running for ``stall_timeout_s`` without a frame), the supervisor
abandons that reader - it may be stuck inside a blocking driver call that cannot be
interrupted - and opens a new connection; the abandoned reader closes its back-end
when its call returns and its frames are discarded (a generation number tells them
apart). Frame indices come from one counter per Source: they keep increasing across
reconnects and loops (gaps = frames dropped by a live source).

Buffer: live sources (cameras, streams) keep the newest ``buffer`` frames and count
the older ones they overwrite as dropped; files and folders block the reader while the
buffer is full, so nothing is dropped (optionally paced to ``fps`` with ``realtime``).

Counters: ``reconnects`` = reconnect attempts after a loss (each also calls
``metrics.on_reconnect()``), ``recoveries`` = attempts that succeeded, ``stalls`` =
watchdog firings, ``frames_corrupt`` = unreadable frames skipped. ``metrics.set_up``
follows ``up`` (True from the first frame of a connection until it is lost).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import SourceError
from ..types import Frame
from .base import Backend, Captured, ConnectionLost, EndOfStream, NullMetrics, to_bgr
from .config import SourceConfig
from .urls import mask_text

log = logging.getLogger("edge_tracker.sources")

# Watchdog / join polling period upper bound (s): short enough that stop() returns fast.
_POLL_S = 0.1
# Wall-time a stop() waits for each thread before giving up on it (s).
_JOIN_S = 2.0


@dataclass
class _Connection:
    """Bookkeeping of one connection's reader thread (shared with the supervisor)."""

    gen: int
    backend: Backend
    busy_since: float | None = None   # time.monotonic() when the pending read began
    outcome: str = "lost"             # eos | lost (set by the reader before it exits)
    frames: int = 0


class _SystemClock:
    def now(self) -> float:
        return time.monotonic()


class Source:
    """A started source hands out :class:`~edge_tracker.types.Frame` objects.

    factory: makes a fresh, unopened back-end for each (re)connection.
    clock: object with ``now()`` seconds (default ``time.monotonic``) for ``t_capture``.
    metrics: object with ``on_reconnect()``, ``set_up(bool)``, ``on_drop(n)``.
    """

    def __init__(self, factory: Callable[[], Backend], cfg: SourceConfig, clock=None,
                 camera_id: str = "cam0", metrics=None) -> None:
        self.cfg = cfg
        self.camera_id = camera_id
        self._factory = factory
        self._clock = clock if clock is not None else _SystemClock()
        self._metrics = metrics if metrics is not None else NullMetrics()
        self._rng = random.Random()
        self._cond = threading.Condition(threading.Lock())
        self._buf: deque[Frame] = deque()
        self._stop = threading.Event()
        self._gen = 0
        self._next_index = 0
        self._live = bool(cfg.live) if cfg.live is not None else True
        self._up = False
        self._ended = False
        self._error: SourceError | None = None
        self._started = False
        self._supervisor: threading.Thread | None = None
        self._readers: list[threading.Thread] = []
        self._conn: _Connection | None = None
        self._describe = "source (not opened)"
        self._fps: float | None = cfg.fps
        self._t0 = 0.0                    # clock time of the first open (media timestamps)
        self._media_offset = 0.0          # media seconds of earlier loops of a file
        self._last_media = 0.0
        self.frames_read = 0
        self.frames_dropped = 0
        self.frames_corrupt = 0
        self.reconnects = 0
        self.recoveries = 0
        self.stalls = 0

    # -- public API -----------------------------------------------------------------
    def start(self) -> Source:
        """Open the source and start reading; SourceError when the first open fails
        (unless ``wait_at_start``, then the supervisor keeps retrying)."""
        if self._started:
            return self
        self._started = True
        self._metrics.set_up(False)
        backend: Backend | None = self._factory()
        self._describe = backend.describe()
        try:
            backend.open()
        except Exception as exc:  # any driver error becomes a SourceError (re-raised)
            self._close_quietly(backend)
            error = exc if isinstance(exc, SourceError) else SourceError(
                f"{self._describe}: {mask_text(f'{type(exc).__name__}: {exc}')}")
            if not self.cfg.wait_at_start:
                self._started = False
                raise error from exc
            log.warning("%s: %s; retrying (wait_at_start)", self._describe, error)
            backend = None
        self._t0 = self._clock.now()
        if backend is not None:
            self._adopt(backend)
        self._supervisor = threading.Thread(target=self._supervise, args=(backend,),
                                            name=f"source-{self.camera_id}", daemon=True)
        self._supervisor.start()
        return self

    def read(self, timeout: float = 0.0) -> Frame | None:
        """The next frame (oldest first), waiting up to ``timeout`` s; None if none came
        (or the source is stopped)."""
        deadline = time.monotonic() + max(0.0, timeout)
        with self._cond:
            if self._stop.is_set():
                return None
            while not self._buf:
                if self._ended or self._error is not None or self._stop.is_set():
                    return None
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._cond.wait(remaining)
            frame = self._buf.popleft()
            self._cond.notify_all()
            return frame

    def stop(self) -> None:
        """Stop the threads and release the device (waits up to ~2 s per thread)."""
        self._stop.set()
        with self._cond:
            self._gen += 1
            self._cond.notify_all()
        if self._conn is not None:
            self._cancel(self._conn)
        threads = ([self._supervisor] if self._supervisor else []) + list(self._readers)
        for thread in threads:
            thread.join(_JOIN_S)
            if thread.is_alive():
                log.warning("%s: thread %s still blocked in the driver after stop",
                            self._describe, thread.name)
        self._set_up(False)

    def __enter__(self) -> Source:  # noqa: PYI034
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def finished(self) -> bool:
        """True when the source ended (file end, gave up reconnecting) and the buffer
        is empty. ``error`` tells a failure from a normal end."""
        with self._cond:
            return (self._ended or self._error is not None) and not self._buf

    @property
    def error(self) -> SourceError | None:
        """Why the source gave up (max_reconnects reached), else None."""
        return self._error

    @property
    def up(self) -> bool:
        return self._up

    @property
    def live(self) -> bool:
        return self._live

    @property
    def fps(self) -> float | None:
        """Nominal frame rate (configured, else reported by the device / file / caps)."""
        if self._fps is None and self._conn is not None and self._conn.backend.fps:
            self._fps = float(self._conn.backend.fps)
        return self._fps

    def describe(self) -> str:
        """What this source reads, credentials masked."""
        return self._describe

    # -- supervisor -----------------------------------------------------------------
    def _adopt(self, backend: Backend) -> None:
        self._describe = backend.describe()
        if self.cfg.fps is None and backend.fps:
            self._fps = float(backend.fps)
        self._live = bool(self.cfg.live) if self.cfg.live is not None else backend.live

    def _backoff_delay(self, failures: int) -> float:
        """initial * 2**failures capped at max, times a jitter factor in [1-j, 1+j]."""
        cfg = self.cfg
        base = min(cfg.reconnect_max_s, cfg.reconnect_initial_s * (2.0 ** min(failures, 30)))
        return base * self._rng.uniform(1.0 - cfg.reconnect_jitter, 1.0 + cfg.reconnect_jitter)

    def _supervise(self, backend: Backend | None) -> None:
        failures = 0      # consecutive attempts that brought no frame
        try:
            while not self._stop.is_set():
                if backend is None:
                    backend = self._reconnect(failures)
                    if backend is None:
                        failures += 1
                        if self._give_up(failures):
                            return
                        continue
                outcome, frames = self._run_connection(backend)
                backend = None
                failures = 0 if frames else failures + 1
                if outcome == "stop" or self._stop.is_set():
                    return
                if outcome == "eos" and (frames or not self.cfg.loop):
                    if not self.cfg.loop:
                        log.info("%s: end of stream after %d frames", self._describe,
                                 self.frames_read)
                        self._set_ended()
                        return
                    self._media_offset += self._last_media + 1.0 / (self._fps or 30.0)
                    backend = self._open_quietly()
                    continue
                # lost, stall, or a looped file that ended without a frame (no busy loop)
                self._set_up(False)
                if self._give_up(failures):
                    return
        except Exception as exc:  # never let the thread die silently: log, mark failed
            log.exception("%s: source supervisor failed", self._describe)
            self._fail(SourceError(f"{self._describe}: {mask_text(str(exc))}"))

    def _give_up(self, failures: int) -> bool:
        limit = self.cfg.max_reconnects
        if limit and failures >= limit:
            self._fail(SourceError(f"{self._describe}: gave up after {failures} connection "
                                   f"attempts in a row without a frame (max_reconnects "
                                   f"{limit})"))
            return True
        return False

    def _reconnect(self, failures: int) -> Backend | None:
        delay = self._backoff_delay(failures)
        log.info("%s: reconnecting in %.2f s (attempt %d)", self._describe, delay, failures + 1)
        if self._stop.wait(delay):
            return None
        self.reconnects += 1
        self._metrics.on_reconnect()
        backend = self._open_quietly()
        if backend is not None:
            self.recoveries += 1
            log.info("%s: reconnected", self._describe)
        return backend

    def _open_quietly(self) -> Backend | None:
        backend = self._factory()
        try:
            backend.open()
        except Exception as exc:  # noqa: BLE001  SourceError, or an unknown driver error
            log.warning("%s: open failed: %s", self._describe, mask_text(str(exc)))
            self._close_quietly(backend)
            return None
        self._adopt(backend)
        return backend

    def _run_connection(self, backend: Backend) -> tuple[str, int]:
        with self._cond:
            self._gen += 1
            conn = _Connection(self._gen, backend)
            self._conn = conn
        reader = threading.Thread(target=self._read_loop, args=(backend, conn),
                                  name=f"source-{self.camera_id}-read{conn.gen}", daemon=True)
        self._readers = [t for t in self._readers if t.is_alive()] + [reader]
        reader.start()
        poll = min(_POLL_S, self.cfg.stall_timeout_s / 4.0)
        while True:
            reader.join(poll)
            if not reader.is_alive():
                return conn.outcome, conn.frames
            if self._stop.is_set():
                return "stop", conn.frames
            busy = conn.busy_since
            if busy is not None and time.monotonic() - busy > self.cfg.stall_timeout_s:
                with self._cond:
                    self._gen += 1          # abandon this reader and its frames
                    self._cond.notify_all()
                self._cancel(conn)
                self.stalls += 1
                log.warning("%s: no frame for %.1f s: reconnecting (stall watchdog)",
                            self._describe, self.cfg.stall_timeout_s)
                return "stall", conn.frames

    # -- reader ---------------------------------------------------------------------
    def _read_loop(self, backend: Backend, conn: _Connection) -> None:
        live = self._live
        period = (1.0 / self._fps) if (self.cfg.realtime and not live and self._fps) else 0.0
        due = time.monotonic()
        bad = 0
        try:
            while not self._stop.is_set() and conn.gen == self._gen:
                if period:
                    due += period
                    wait = due - time.monotonic()
                    if wait < -period:       # fell behind (slow consumer): re-anchor
                        due = time.monotonic()
                    elif wait > 0 and self._stop.wait(wait):
                        return
                if conn.busy_since is None:      # corrupt frames do not reset the watchdog
                    conn.busy_since = time.monotonic()
                try:
                    cap = backend.read()
                except EndOfStream:
                    conn.outcome = "eos"
                    return
                except ConnectionLost as exc:
                    log.warning("%s: connection lost: %s", self._describe, mask_text(str(exc)))
                    conn.outcome = "lost"
                    return
                except Exception as exc:  # noqa: BLE001  a driver error must not kill the daemon
                    log.warning("%s: read failed: %s", self._describe,
                                mask_text(f"{type(exc).__name__}: {exc}"))
                    conn.outcome = "lost"
                    return
                if conn.gen != self._gen:
                    return
                image = to_bgr(cap.image) if cap is not None else None
                if image is None:
                    self.frames_corrupt += 1
                    bad += 1
                    if bad >= self.cfg.max_corrupt:
                        log.warning("%s: %d unreadable frames in a row", self._describe, bad)
                        conn.outcome = "lost" if live else "eos"
                        return
                    continue
                bad = 0
                conn.busy_since = None
                if not self._push(image, cap, conn, live):
                    return
                conn.frames += 1
        finally:
            conn.busy_since = None
            self._close_quietly(backend)

    def _timestamp(self, cap: Captured, live: bool) -> float:
        mode = self.cfg.timestamps
        if mode == "auto":
            mode = "media" if (not live and cap.t_media is not None) else "clock"
        if mode == "media" and cap.t_media is not None:
            self._last_media = cap.t_media
            return self._t0 + self._media_offset + cap.t_media
        now = self._clock.now()
        if cap.t_monotonic is not None:
            return now - max(0.0, time.monotonic() - cap.t_monotonic)
        return now

    def _push(self, image, cap: Captured, conn: _Connection, live: bool) -> bool:
        dropped = 0
        with self._cond:
            if not live:
                while (len(self._buf) >= self.cfg.buffer and conn.gen == self._gen
                       and not self._stop.is_set()):
                    self._cond.wait(_POLL_S)
            if conn.gen != self._gen or self._stop.is_set():
                return False
            frame = Frame(image, self._next_index, self._timestamp(cap, live), self.camera_id)
            self._next_index += 1
            self._buf.append(frame)
            while len(self._buf) > self.cfg.buffer:
                self._buf.popleft()
                dropped += 1
            self.frames_read += 1
            self.frames_dropped += dropped
            self._cond.notify_all()
        if dropped:
            self._metrics.on_drop(dropped)
        self._set_up(True)
        return True

    # -- state ----------------------------------------------------------------------
    def _set_up(self, up: bool) -> None:
        if up != self._up:
            self._up = up
            self._metrics.set_up(up)
            if up:
                log.info("%s: delivering frames", self._describe)

    def _set_ended(self) -> None:
        with self._cond:
            self._ended = True
            self._cond.notify_all()
        self._set_up(False)

    def _fail(self, error: SourceError) -> None:
        log.error("%s", error)
        with self._cond:
            self._error = error
            self._cond.notify_all()
        self._set_up(False)

    def _cancel(self, conn: _Connection) -> None:
        try:
            conn.backend.cancel()
        except Exception as exc:  # noqa: BLE001  best effort: the reader closes it anyway
            log.debug("%s: cancel: %s", self._describe, mask_text(str(exc)))

    def _close_quietly(self, backend: Backend) -> None:
        try:
            backend.close()
        except Exception as exc:  # noqa: BLE001  closing a dead device may raise
            log.debug("%s: close: %s", self._describe, mask_text(str(exc)))
