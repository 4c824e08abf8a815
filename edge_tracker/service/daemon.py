"""The daemon: build the pipeline from an :class:`AppConfig` and run source -> pipeline -> sinks.

Life cycle (:class:`Daemon`):

1. ``start()``: open the sinks (unwritable output -> SinkError, exit 4), load the
   models and build the :class:`~edge_tracker.service.pipeline.Pipeline` (ModelError,
   exit 2), open the source (SourceError, exit 3), start the HTTP thread.
2. ``run()``: every loop iteration ticks ``/healthz`` and the systemd watchdog, then
   reads a frame (``service.read_timeout_s``), processes it and writes the result to
   every sink (timed as stage ``sink``). Ends at ``service.max_frames``, at the end of
   a file, or on SIGTERM/SIGINT.
3. Stop: the frame in progress finishes, every sink is flushed and closed first (so
   outputs are whole), then the teacher, source and HTTP thread stop; a timer makes
   sure the process ends within ``service.drain_timeout_s`` + 1 s.

SIGHUP reloads the config file (with the same CLI overrides) between two frames:
thresholds, teacher policy, tracker and fusion parameters, sinks and models may all
change; the source keeps running (a changed ``source``/``camera_id``/``http`` section
is reported as needing a restart) and the tracker instance is kept when its config
is unchanged, so track ids go on. A new config that fails to load or build is
rejected with a log line and the old one stays in force.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from typing import Any

from ..config import AppConfig, load_config
from ..errors import EdgeTrackerError, SourceError
from ..sinks import Sink, open_sinks
from .http import HealthState, HttpServer
from .notify import Notifier

log = logging.getLogger(__name__)

# Consecutive frames whose processing raised before the run gives up (a persistent bug
# must end in a restart by systemd rather than a silent loop of errors).
MAX_FRAME_FAILURES = 50


def _default_model(role: str) -> str | None:
    """Path of the bundled ``role`` model, or None when it is not installed."""
    try:
        from ..models import default_model
        return default_model(role)
    except (ImportError, EdgeTrackerError, OSError):
        return None


def make_metrics(cfg: AppConfig, student_name: str = "student",
                 teacher_name: str = "teacher") -> Any:
    """The Prometheus metrics of one daemon (its own registry)."""
    from ..metrics import Metrics
    return Metrics(camera=cfg.camera_id, student_model=student_name, teacher_model=teacher_name)


def build_tracker(cfg: AppConfig) -> Any:
    from ..track.tracker import Tracker
    return Tracker(cfg.tracker)


def load_detector(dcfg: Any, role: str, key: str) -> Any:
    """A Detector for ``dcfg`` (bundled ``role`` model when dcfg.model is None); the
    ConfigError of a missing model names ``key`` (``student.model``)."""
    from ..detect.detector import Detector
    from ..errors import ConfigError
    if dcfg.model:
        return Detector.from_config(dcfg)
    try:
        from ..models import default_model
    except ImportError as exc:
        raise ConfigError(key, f"no model given and no bundled {role} model") from exc
    try:
        default = default_model(role)
    except EdgeTrackerError as exc:
        raise ConfigError(key, f"no model given, and {exc}") from exc
    return Detector.from_config(dcfg, default_model=default)


def model_stem(dcfg: Any, role: str) -> str:
    path = dcfg.model or _default_model(role) or role
    return os.path.splitext(os.path.basename(path))[0]


def build_pipeline(cfg: AppConfig, clock: Any = None, metrics: Any = None,
                   tracker: Any = None, student: Any = None) -> Any:
    """A ready :class:`Pipeline` for ``cfg``: student and teacher detectors loaded
    (bundled defaults when no model is given), scheduler, fusion and tracker built.

    The teacher is loaded here once (so a bad teacher file fails start-up, exit 2) and
    handed to the teacher worker; the worker re-loads it after a failure.
    tracker: an existing tracker to keep (reload keeps ids going); None = a new one.
    Raises ModelError / ConfigError.
    """
    from ..schedule.clock import MonotonicClock
    from .pipeline import Pipeline

    clock = clock if clock is not None else MonotonicClock()
    if student is None:
        student = load_detector(cfg.student, "student", "student.model")
    if cfg.mode == "single":
        return _single_pipeline(cfg, student, clock, metrics)
    factory = None
    if cfg.teacher.enabled:
        first = [load_detector(cfg.teacher.detector, "teacher", "teacher.detector.model")]

        def factory() -> Any:
            if first:
                return first.pop()
            return load_detector(cfg.teacher.detector, "teacher", "teacher.detector.model")

    if tracker is None:
        tracker = build_tracker(cfg)
    return Pipeline.from_parts(student, tracker, cfg.teacher, cfg.fusion, clock=clock,
                               metrics=metrics, camera_id=cfg.camera_id,
                               teacher_factory=factory)


def _single_pipeline(cfg: AppConfig, student: Any, clock: Any, metrics: Any) -> Any:
    """``mode: single``: the SOT helper's pipeline (follow one target, student/teacher
    re-detect). Contract: ``build_single_pipeline(app_cfg, student, clock, metrics)`` ->
    an object with ``process(frame) -> FrameResult``, ``close()``, ``frame_period_s``."""
    from ..errors import ConfigError
    try:
        from ..sot.single import build_single_pipeline
    except ImportError as exc:
        raise ConfigError("mode", "'single' is not available in the daemon of this version "
                                  "(use `edge-tracker sot`)") from exc
    return build_single_pipeline(cfg, student=student, clock=clock, metrics=metrics)


def labels_of(pipeline: Any) -> list[str]:
    student = getattr(pipeline, "student", None)
    return list(getattr(student, "labels", []) or [])


class Daemon:
    """One camera's service (see module docstring).

    config_path / overrides: where SIGHUP reloads from. notifier: sd_notify (default
    from the environment). install_signals: set SIGTERM/SIGINT/SIGHUP handlers (main
    thread only). print_tracks: also print a short line per frame (demo).
    """

    def __init__(self, cfg: AppConfig, config_path: str | None = None,
                 overrides: dict[str, Any] | None = None, notifier: Notifier | None = None,
                 install_signals: bool = True, clock: Any = None,
                 on_result: Any = None) -> None:
        self.cfg = cfg
        self.config_path = config_path
        self.overrides = dict(overrides or {})
        self.notifier = notifier if notifier is not None else Notifier()
        self.install_signals = install_signals
        self.clock = clock
        self.on_result = on_result
        self.health = HealthState()
        self.metrics: Any = None
        self.pipeline: Any = None
        self.source: Any = None
        self.sinks: list[Sink] = []
        self.http: HttpServer | None = None
        self.frames = 0
        self.reloads = 0
        self.reloads_rejected = 0
        self.sink_errors = 0
        self.frame_failures = 0
        self._stop = threading.Event()
        self._reload = threading.Event()
        self._stop_reason = ""
        self._old_handlers: dict[int, Any] = {}

    # ------------------------------------------------------------------ start
    def _on_sink_error(self, sink: str, kind: str) -> None:
        self.sink_errors += 1
        hook = getattr(self.metrics, "on_sink_error", None)
        if callable(hook):
            hook(sink, kind)

    def start(self) -> Daemon:
        cfg = self.cfg
        if self.clock is None:
            from ..schedule.clock import MonotonicClock
            self.clock = MonotonicClock()
        if self.install_signals:  # first: a SIGTERM while models load still exits 0
            self._install_signals()
        self.notifier.status("starting: opening outputs")
        try:
            self.sinks = open_sinks(cfg.sinks, cfg.camera_id, None, self._on_sink_error)
            self.notifier.status("starting: loading models")
            student = load_detector(cfg.student, "student", "student.model")
            self.metrics = make_metrics(cfg, student.name, model_stem(cfg.teacher.detector,
                                                                      "teacher"))
            self.pipeline = build_pipeline(cfg, self.clock, self.metrics, student=student)
            for s in self.sinks:
                s.labels = labels_of(self.pipeline)
            self.notifier.status("starting: opening source")
            self.source = self._open_source(cfg)
            self.health.models_loaded = True
            if cfg.http.enabled:
                registry = getattr(self.metrics, "registry", None)
                self.http = HttpServer(cfg.http, self.health, registry).start()
        except BaseException:
            self._close_all()
            self._restore_signals()
            raise
        return self

    def _open_source(self, cfg: AppConfig) -> Any:
        from ..sources import open_source
        source = open_source(cfg.source, clock=self.clock, camera_id=cfg.camera_id,
                             metrics=self.metrics)
        source.start()
        fps = getattr(source, "fps", None)
        if fps:
            self.pipeline.frame_period_s = 1.0 / float(fps)
        return source

    def _install_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for sig, handler in ((signal.SIGTERM, self._on_stop_signal),
                             (signal.SIGINT, self._on_stop_signal),
                             (signal.SIGHUP, self._on_hup)):
            self._old_handlers[sig] = signal.signal(sig, handler)

    def _restore_signals(self) -> None:
        for sig, old in self._old_handlers.items():
            signal.signal(sig, old)
        self._old_handlers.clear()

    def _on_stop_signal(self, signum: int, frame: Any) -> None:
        self.stop(signal.Signals(signum).name)

    def _on_hup(self, signum: int, frame: Any) -> None:
        self._reload.set()

    def stop(self, reason: str = "stop requested") -> None:
        """Ask the loop to end after the current frame (thread- and signal-safe)."""
        self._stop_reason = self._stop_reason or reason
        self._stop.set()

    def request_reload(self) -> None:
        self._reload.set()

    # ------------------------------------------------------------------- loop
    def run(self) -> int:
        """Run until max_frames, end of source or stop; returns the exit code (0)."""
        if self.pipeline is None:
            self.start()
        cfg = self.cfg
        t_start = time.monotonic()
        t_status = t_start
        # READY once models are loaded and the source is open (a camera that is slow to
        # deliver its first frame must not run into systemd's start timeout).
        self.notifier.ready(f"started: {self.source.describe()}")
        ready_sent = False
        try:
            while not self._stop.is_set():
                self.health.tick()
                self.notifier.watchdog()
                if self._reload.is_set():
                    self._reload.clear()
                    self.reload()
                    cfg = self.cfg
                frame = self.source.read(timeout=cfg.service.read_timeout_s)
                if frame is None:
                    if self.source.finished:
                        self._stop_reason = self._stop_reason or "end of source"
                        break
                    wait = cfg.service.first_frame_timeout_s
                    if not ready_sent and wait and time.monotonic() - t_start > wait:
                        raise SourceError(f"source {self.source.describe()}: no frame within "
                                          f"{wait} s (service.first_frame_timeout_s)")
                    continue
                if not self._process_guarded(frame):
                    continue
                if not ready_sent:
                    self.notifier.status(f"tracking {self.source.describe()}")
                    ready_sent = True
                if cfg.service.max_frames and self.frames >= cfg.service.max_frames:
                    self._stop_reason = self._stop_reason or f"max_frames {self.frames}"
                    break
                now = time.monotonic()
                if cfg.logging.status_interval_s and now - t_status >= cfg.logging.status_interval_s:
                    t_status = now
                    self._status(now - t_start)
        finally:
            self.shutdown()
        return 0

    def _process_guarded(self, frame: Any) -> bool:
        """process() with a bug in one frame logged and skipped (the loop goes on);
        MAX_FRAME_FAILURES failures in a row end the run with the last error."""
        try:
            self.process(frame)
        except EdgeTrackerError:
            raise
        except Exception:
            self.frame_failures += 1
            log.exception("frame %s failed (%d in a row)", getattr(frame, "index", "?"),
                          self.frame_failures)
            if self.frame_failures >= MAX_FRAME_FAILURES:
                raise
            return False
        self.frame_failures = 0
        return True

    def process(self, frame: Any) -> Any:
        """One frame through the pipeline and every sink; returns the FrameResult."""
        result = self.pipeline.process(frame)
        t0 = time.perf_counter()
        for sink in self.sinks:
            if getattr(sink, "needs_image", False):
                sink.write(result, frame.image)
            else:
                sink.write(result)
        dt = time.perf_counter() - t0
        observe = getattr(self.metrics, "observe_stage", None)
        if callable(observe):
            observe("sink", dt)
        self.frames += 1
        self.health.frame()
        if self.on_result is not None:
            self.on_result(result)
        return result

    def _status(self, elapsed: float) -> None:
        text = (f"{self.frames} frames in {elapsed:.0f} s ({self.frames / max(elapsed, 1e-9):.1f}"
                f" fps), source {'up' if getattr(self.source, 'up', True) else 'down'}, "
                f"reconnects {getattr(self.source, 'reconnects', 0)}, "
                f"dropped {getattr(self.source, 'frames_dropped', 0)}")
        log.info("status: %s", text)
        self.notifier.status(text)

    # ----------------------------------------------------------------- reload
    def reload(self) -> bool:
        """Re-read the config (SIGHUP). True if applied; False = rejected, old kept."""
        self.notifier.reloading()
        if self.config_path is None:
            log.warning("reload: no config file (started with flags only); nothing to reload")
            self.notifier.status("reload ignored: no config file")
            return False
        try:
            new = load_config(self.config_path, self.overrides)
            applied = self._apply(new)
        except EdgeTrackerError as exc:
            self.reloads_rejected += 1
            log.error("reload rejected, keeping the running config: %s", exc)
            self.notifier.status(f"reload rejected: {exc}")
            self.notifier.ready()
            return False
        self.reloads += 1
        log.info("reload: applied (%s)", ", ".join(applied) or "no changes")
        self.notifier.status(f"reloaded ({', '.join(applied) or 'no changes'})")
        self.notifier.ready()
        return True

    def _apply(self, new: AppConfig) -> list[str]:
        old = self.cfg
        for key in ("camera_id", "source", "http"):
            if getattr(new, key) != getattr(old, key):
                log.warning("reload: '%s' changed; it takes effect after a restart "
                            "(the camera keeps running)", key)
        applied = []
        new_pipeline = None
        new_sinks = None
        try:
            if (new.student, new.teacher, new.tracker, new.fusion, new.mode) != \
                    (old.student, old.teacher, old.tracker, old.fusion, old.mode):
                tracker = self.pipeline.tracker
                if new.tracker != old.tracker:
                    tracker = self._new_tracker_continuing_ids(new, tracker)
                    if tracker is self.pipeline.tracker:
                        new = _replace(new, tracker=old.tracker)
                new_pipeline = build_pipeline(new, self.clock, self.metrics, tracker=tracker)
                new_pipeline.frame_period_s = self.pipeline.frame_period_s
                applied += [k for k in ("student", "teacher", "tracker", "fusion", "mode")
                            if getattr(new, k) != getattr(old, k)]
            if new.sinks != old.sinks:
                labels = labels_of(new_pipeline or self.pipeline)
                new_sinks = open_sinks(new.sinks, old.camera_id, labels, self._on_sink_error)
                applied.append("sinks")
        except BaseException:
            if new_pipeline is not None:
                new_pipeline.close()
            raise
        if new_pipeline is not None:
            old_pipeline, self.pipeline = self.pipeline, new_pipeline
            old_pipeline.close()
            for s in (new_sinks or self.sinks):
                s.labels = labels_of(new_pipeline)
        if new_sinks is not None:
            old_sinks, self.sinks = self.sinks, new_sinks
            self._close_sinks(old_sinks)
        if new.logging != old.logging:
            configure_logging(new.logging.level, new.logging.format)
            applied.append("logging")
        if new.service != old.service:
            applied.append("service")
        # keep the parts that need a restart as they run
        self.cfg = _replace(new, camera_id=old.camera_id, source=old.source, http=old.http)
        return applied

    def _new_tracker_continuing_ids(self, cfg: AppConfig, old: Any) -> Any:
        """A tracker for the new tracker config whose ids continue after ``old``'s;
        ``old`` itself when the tracker cannot continue ids (no ``set_next_id``):
        unique ids matter more than new tracker parameters."""
        tracker = build_tracker(cfg)
        setter = getattr(tracker, "set_next_id", None)
        if not callable(setter):
            log.warning("reload: tracker parameters take effect after a restart (this "
                        "tracker cannot continue the running track ids)")
            return old
        setter(int(old.next_id))
        return tracker

    # ------------------------------------------------------------------- stop
    def _close_sinks(self, sinks: list[Sink]) -> None:
        for s in sinks:
            try:
                s.flush()
                s.close()
            except Exception as exc:  # noqa: BLE001 - closing one sink must not stop the others
                log.error("closing %s sink: %s", s.name, exc)

    def _close_all(self) -> None:
        self._close_sinks(self.sinks)
        self.sinks = []
        for name, obj, method in (("pipeline", self.pipeline, "close"),
                                  ("source", self.source, "stop"),
                                  ("http", self.http, "stop")):
            if obj is None:
                continue
            try:
                getattr(obj, method)()
            except Exception as exc:  # noqa: BLE001 - keep shutting down the rest
                log.error("stopping %s: %s", name, exc)
        self.pipeline = self.source = self.http = None

    def shutdown(self) -> None:
        """Flush and close everything; bounded by service.drain_timeout_s (+1 s hard stop)."""
        self.notifier.stopping()
        log.info("stopping (%s) after %d frames", self._stop_reason or "done", self.frames)
        budget = self.cfg.service.drain_timeout_s
        done = threading.Event()

        def hard_stop() -> None:
            if not done.wait(budget + 1.0):
                log.error("shutdown took longer than %.1f s; exiting now", budget + 1.0)
                logging.shutdown()
                os._exit(0)

        guard = threading.Thread(target=hard_stop, name="shutdown-guard", daemon=True)
        guard.start()
        try:
            self._close_all()
        finally:
            done.set()
            self._restore_signals()
            self.notifier.close()


def _replace(cfg: AppConfig, **kw: Any) -> AppConfig:
    import dataclasses
    return dataclasses.replace(cfg, **kw)


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        import json
        return json.dumps({"t": round(record.created, 3), "level": record.levelname,
                           "logger": record.name, "msg": record.getMessage()})


def configure_logging(level: str, fmt: str = "text") -> None:
    """Set the root logger's level and format (text or one JSON object per line)."""
    root = logging.getLogger()
    root.setLevel(getattr(logging, level))
    if fmt == "json":
        for h in root.handlers:
            h.setFormatter(_JsonFormatter())
