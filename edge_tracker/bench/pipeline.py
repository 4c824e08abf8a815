"""The daemon's own frame loop on a file: per-stage latency, fps, deadline misses, teacher.

The real :class:`~edge_tracker.service.daemon.Daemon` is started from the config exactly
as ``edge-tracker run --config`` starts it (sinks, metrics, ``build_pipeline``, the
source), minus signal handlers and the HTTP server. The bench then drives the daemon's
loop itself: ``source.read`` then ``Daemon.process(frame)`` (pipeline + sinks +
metrics), timing each frame (the *frame wall*), collecting ``FrameResult.stage_seconds``
per stage (plus ``sink`` = frame wall - ``Pipeline.process``), and keeping the time from
capture to result (the *frame latency*; the source stamps frames with the clock).

``overhead_ratio`` compares the frame wall p50 with what the student alone costs,
measured in the same run: every ``bare_every`` frames the loop pauses for a block of
bare ``Interpreter.invoke()`` calls on the student, and the student Detector's
preprocess and decode timed standalone on the current frame, so machine noise hits both
sides alike. ratio = frame_wall_p50 / (bare_invoke_p50 + preprocess_p50 + decode_p50).
Those pauses are excluded from ``fps``. ``overhead_ratio_cpu`` is the same ratio in CPU
seconds of the loop thread, which a busy machine's waiting-for-a-core does not inflate.

Deadline misses: frames whose frame wall exceeded the source's frame period (1 / fps),
plus, with ``realtime``, frames the source dropped because the loop was late.
Teacher duty: seconds the teacher worker spent on runs / loop wall time.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..configbase import PATH_META, bounds
from ..errors import EdgeTrackerError
from .latency import yield_core
from .machine import machine_info
from .progress import Progress
from .rss import RssGrowth, peak_rss_bytes
from .stats import percentiles_ms, summarize_ms

perf = time.perf_counter
cpu = time.thread_time  # CPU seconds of the loop's thread


@dataclass(frozen=True)
class PipelineBenchConfig:
    """config: YAML as for ``run --config``. source: file overriding ``source.uri``.
    max_frames: stop after this many (None: the whole file). realtime: pace the file at
    its frame rate. teacher: False disables the teacher whatever the config says.
    bare_every: frames between interleaved bare-student blocks (0: no bare blocks).
    overrides: ``key.path -> value`` as for ``run --set`` (e.g. a JSONL sink path)."""

    config: str = field(metadata=PATH_META)
    source: str | None = field(default=None, metadata=PATH_META)
    max_frames: int | None = field(default=None, metadata=bounds(1, None))
    realtime: bool = False
    teacher: bool = True
    bare_every: int = field(default=5, metadata=bounds(0, 100_000))
    read_timeout_s: float = field(default=5.0, metadata=bounds(0.01, 600))
    overrides: dict = field(default_factory=dict)
    sync_source: bool = False


class SyncFileSource:
    """A file read on the loop's own thread (OpenCV), frames stamped when decoded.

    With ``sync_source`` the bench uses it instead of the daemon's threaded reader so
    that no decoding runs concurrently with the pipeline: on a small or shared machine
    the reader thread competes for the cores, and the frame wall then measures capture
    as well as the loop. Same interface as a Source (start/read/finished/stop/fps).
    """

    def __init__(self, path: str, camera_id: str = "cam0") -> None:
        self.path = path
        self.camera_id = camera_id
        self.frames_dropped = 0
        self.fps: float | None = None
        self._cap: Any = None
        self._index = 0
        self._done = False

    def start(self) -> None:
        import cv2

        from ..errors import SourceError

        self._cap = cv2.VideoCapture(self.path)
        if not self._cap.isOpened():
            raise SourceError(f"cannot open video {self.path}")
        fps = float(self._cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = fps if fps > 0 else None

    def read(self, timeout: float = 0.0) -> Any:
        from ..types import Frame

        if self._done or self._cap is None:
            return None
        ok, img = self._cap.read()
        if not ok:
            self._done = True
            return None
        f = Frame(img, self._index, time.monotonic(), self.camera_id)
        self._index += 1
        return f

    @property
    def finished(self) -> bool:
        return self._done

    def stop(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None

    def describe(self) -> str:
        return f"file {self.path} (read synchronously by the bench)"


def load_app_config(cfg: PipelineBenchConfig) -> Any:
    """The AppConfig of ``cfg.config`` with the bench's overrides: source file, pacing,
    teacher on/off, no HTTP server (a benchmark must not take the daemon's port), no loop,
    clock timestamps (so capture->result latency is real time, not media time)."""
    from ..config import load_config

    over: dict[str, Any] = dict(cfg.overrides)
    if cfg.source is not None:
        over["source.uri"] = os.path.abspath(cfg.source)
        over["source.type"] = "file"
    over["source.realtime"] = cfg.realtime
    over["source.loop"] = False
    over["source.timestamps"] = "clock"
    over["http.enabled"] = False
    if not cfg.teacher:
        over["teacher.enabled"] = False
    return load_config(cfg.config, over)


class _DaemonHarness:
    """The real :class:`Daemon` (sinks, metrics, pipeline, source) minus signals and HTTP;
    the bench drives its per-frame ``process`` itself to time each frame."""

    def __init__(self, app: Any, sync_source: bool = False) -> None:
        from ..service.daemon import Daemon

        self.daemon = Daemon(app, install_signals=False)
        if sync_source:
            def open_sync(cfg: Any) -> SyncFileSource:
                src = SyncFileSource(str(cfg.source.uri), cfg.camera_id)
                src.start()
                return src

            self.daemon._open_source = open_sync  # instance-level: the daemon's own code
        self.daemon.start()
        self.pipeline = self.daemon.pipeline
        self.source = self.daemon.source
        self.pipeline_s = 0.0
        orig = self.pipeline.process

        def timed(frame: Any) -> Any:  # instance attribute shadowing the bound method
            t = perf()
            try:
                return orig(frame)
            finally:
                self.pipeline_s = perf() - t

        self.pipeline.process = timed

    def process(self, frame: Any) -> Any:
        return self.daemon.process(frame)

    def close(self) -> None:
        self.daemon.shutdown()


class _PartsHarness:
    """An injected pipeline + source (tests): process = pipeline.process, no sinks."""

    def __init__(self, pipeline: Any, source: Any) -> None:
        self.pipeline, self.source = pipeline, source
        self.pipeline_s = 0.0
        source.start()

    def process(self, frame: Any) -> Any:
        t = perf()
        r = self.pipeline.process(frame)
        self.pipeline_s = perf() - t
        return r

    def close(self) -> None:
        self.source.stop()
        close = getattr(self.pipeline, "close", None)
        if callable(close):
            close()


class _TeacherLog:
    """Chains onto the teacher worker's ``on_finished(latency_s)`` to record when the
    teacher finished and how long each run took (duty and the time line)."""

    def __init__(self, pipeline: Any, t0: float) -> None:
        self.runs: list[tuple[float, float]] = []  # (finished at, seconds) in loop time
        self.t0 = t0
        teacher = getattr(pipeline, "teacher", None)
        if teacher is None or not hasattr(teacher, "on_finished"):
            self.attached = False
            return
        self.attached = True
        orig = teacher.on_finished

        def on_finished(latency_s: float) -> None:
            self.runs.append((perf() - self.t0, float(latency_s)))
            if orig is not None:
                orig(latency_s)

        teacher.on_finished = on_finished


def _student_of(pipeline: Any) -> Any:
    det = getattr(pipeline, "student", None)
    return det if det is not None and hasattr(det, "model") else None


@dataclass
class Series:
    """Per-frame time series of a run, for the plot (seconds)."""

    t: list[float] = field(default_factory=list)           # loop time at frame end
    wall: list[float] = field(default_factory=list)        # daemon per-frame wall
    cpu: list[float] = field(default_factory=list)         # its CPU time on the loop thread
    latency: list[float] = field(default_factory=list)     # capture -> result (kept)
    latency_t: list[tuple[float, float]] = field(default_factory=list)  # (t, s or nan)
    capture: list[float] = field(default_factory=list)     # source.read wait
    stages: dict[str, list[float]] = field(default_factory=dict)
    teacher_t: list[float] = field(default_factory=list)   # loop time of teacher submits
    teacher_busy: list[tuple[float, float]] = field(default_factory=list)  # (start, dur)
    pauses: list[tuple[float, float]] = field(default_factory=list)  # bench blocks (start, end)


def run_pipeline(cfg: PipelineBenchConfig, progress: bool | None = None,
                 app: Any = None, pipeline: Any = None, source: Any = None
                 ) -> tuple[dict, Series]:
    """Run the loop; (JSON-ready result, per-frame series). ``pipeline`` and ``source``
    may be injected (tests); by default the real Daemon is started from ``cfg``."""
    t_build = perf()
    if pipeline is not None and source is not None:
        harness: Any = _PartsHarness(pipeline, source)
    else:
        app = app if app is not None else load_app_config(cfg)
        harness = _DaemonHarness(app, cfg.sync_source)
    build_s = perf() - t_build
    pipeline, source = harness.pipeline, harness.source
    student = _student_of(pipeline)
    series = Series()
    bare_s: list[float] = []
    pre_s: list[float] = []
    dec_s: list[float] = []
    cpu_s: dict[str, list[float]] = {"bare": [], "pre": [], "dec": []}
    teacher_runs = 0
    frames = 0
    misses_wall = 0
    fps_src = getattr(source, "fps", None)
    period = 1.0 / fps_src if fps_src else None
    total_hint = cfg.max_frames or _frame_count_hint(app)
    growth: RssGrowth | None = None
    first_frame_s = None
    pause_end_mono = float("-inf")  # frames stamped before this waited through a bench block
    skipped_latency = 0
    t0 = perf()
    tlog = _TeacherLog(pipeline, t0)
    try:
        with Progress(total_hint or 1, "bench pipeline",
                      enabled=progress if total_hint else False) as bar:
            while cfg.max_frames is None or frames < cfg.max_frames:
                tr = perf()
                frame = source.read(timeout=cfg.read_timeout_s)
                t_read = perf() - tr
                if frame is None:
                    if getattr(source, "finished", False):
                        break
                    if t_read >= cfg.read_timeout_s:
                        raise EdgeTrackerError(
                            f"bench pipeline: no frame from the source within "
                            f"{cfg.read_timeout_s} s")
                    continue
                yield_core()  # every timed section starts on a fresh slice (see latency.yield_core)
                tp = perf()
                cp = cpu()
                result = harness.process(frame)
                series.cpu.append(cpu() - cp)
                wall = perf() - tp
                latency = time.monotonic() - frame.t_capture
                t_end = perf() - t0
                if first_frame_s is None:
                    first_frame_s = perf() - t_build
                    growth = RssGrowth()  # growth measured after the first frame's set-up
                frames += 1
                series.t.append(t_end)
                series.wall.append(wall)
                series.capture.append(t_read)
                stages = dict(getattr(result, "stage_seconds", {}) or {})
                stages.setdefault("sink", max(wall - harness.pipeline_s, 0.0))
                if frame.t_capture < pause_end_mono:
                    # queued during the bench's own bare block: its wait is not the loop's
                    skipped_latency += 1
                    stages.pop("capture", None)
                    latency = float("nan")
                else:
                    series.latency.append(latency)
                series.latency_t.append((t_end, latency))
                for name, s in stages.items():
                    series.stages.setdefault(name, []).append(float(s))
                if period is not None and wall > period:
                    misses_wall += 1
                if getattr(result, "teacher_ran", False):
                    teacher_runs += 1
                    series.teacher_t.append(t_end)
                if student is not None and cfg.bare_every and frames % cfg.bare_every == 0:
                    p0 = perf()
                    _student_block(student, frame.image, cfg.bare_every, bare_s, pre_s, dec_s,
                                   cpu_s)
                    series.pauses.append((p0 - t0, perf() - t0))
                    pause_end_mono = time.monotonic()
                bar.update()
    finally:
        run_wall = perf() - t0
        harness.close()
    if frames == 0:
        raise EdgeTrackerError("bench pipeline: the source produced no frames")
    if growth is not None:
        growth.stop()
    series.teacher_busy = [(end - dur, dur) for end, dur in tlog.runs]
    busy_s = sum(dur for _, dur in tlog.runs)
    bare_time = sum(bare_s) + sum(pre_s) + sum(dec_s)
    loop_wall = run_wall - bare_time  # the bench's own interleaved blocks excluded
    wall_stats = summarize_ms(series.wall)
    bare_p50 = summarize_ms(bare_s)["p50"]
    pre_p50 = summarize_ms(pre_s)["p50"]
    dec_p50 = summarize_ms(dec_s)["p50"]
    student_sum = (bare_p50 + pre_p50 + dec_p50) if bare_s else None
    cpu_p50 = {k: summarize_ms(v)["p50"] for k, v in cpu_s.items()}
    student_cpu_sum = sum(cpu_p50.values()) if bare_s else None
    frame_cpu = summarize_ms(series.cpu)
    dropped = int(getattr(source, "frames_dropped", 0) or 0)
    app_teacher = getattr(app, "teacher", None) if app is not None else None
    result = {
        "benchmark": "pipeline",
        "config": os.path.abspath(cfg.config),
        "source": source.describe() if hasattr(source, "describe") else str(cfg.source),
        "realtime": cfg.realtime,
        "sync_source": cfg.sync_source,
        "teacher_enabled": getattr(pipeline, "teacher", None) is not None,
        "teacher_policy": getattr(app_teacher, "policy", None),
        "student_model": getattr(getattr(student, "model", None), "path", None),
        "frames": frames,
        "source_fps": fps_src,
        "fps": frames / loop_wall if loop_wall > 0 else None,
        "build_s": build_s,
        "startup_to_first_frame_s": first_frame_s,
        "stages": {k: percentiles_ms(v) for k, v in sorted(series.stages.items())},
        "capture_read_ms": percentiles_ms(series.capture),
        "frame_wall_ms": wall_stats,
        "frame_latency_ms": percentiles_ms(series.latency),
        "frame_latency_excluded": skipped_latency,
        "deadline_period_ms": period * 1e3 if period else None,
        "deadline_misses": misses_wall + (dropped if cfg.realtime else 0),
        "deadline_misses_wall": misses_wall,
        "pipeline_deadline_misses": getattr(pipeline, "deadline_misses", None),
        "frames_dropped": dropped,
        "teacher_runs": teacher_runs,
        "teacher_finished": len(tlog.runs),
        "teacher_frame_fraction": teacher_runs / frames,
        "teacher_busy_s": busy_s if tlog.attached else None,
        "teacher_duty": busy_s / loop_wall if tlog.attached and loop_wall > 0 else None,
        "student_bare_invoke_ms": summarize_ms(bare_s),
        "student_preprocess_ms": summarize_ms(pre_s),
        "student_decode_ms": summarize_ms(dec_s),
        "student_sum_p50_ms": student_sum,
        "overhead_ratio": (wall_stats["p50"] / student_sum) if student_sum else None,
        # The same ratio in CPU time of the loop thread (immune to waiting for a core on a
        # shared machine; misses work done by other threads, e.g. the source reader).
        "frame_cpu_ms": frame_cpu,
        "student_cpu_sum_p50_ms": student_cpu_sum,
        "overhead_ratio_cpu": (frame_cpu["p50"] / student_cpu_sum
                               if student_cpu_sum else None),
        "peak_rss_bytes": peak_rss_bytes(),
        "rss_growth_bytes": growth.growth_bytes if growth is not None else None,
        "machine": machine_info(),
    }
    return result, series


def _student_block(det: Any, image: np.ndarray, n: int, bare_s: list[float],
                   pre_s: list[float], dec_s: list[float], cpu_s: dict[str, list[float]]
                   ) -> None:
    """n bare invokes of the student, then n standalone preprocess + decode timings
    (wall in the lists, CPU time of this thread in ``cpu_s``)."""
    model = det.model
    inputs, info = det.preprocess(image)
    for i, x in enumerate(inputs):
        model.set_input(x, i)
    for _ in range(n):
        yield_core()
        t, c = perf(), cpu()
        model.invoke()
        cpu_s["bare"].append(cpu() - c)
        bare_s.append(perf() - t)
    for _ in range(n):
        yield_core()
        t, c = perf(), cpu()
        inputs, info = det.preprocess(image)
        for i, x in enumerate(inputs):
            model.set_input(x, i)
        c1 = cpu()
        t1 = perf()
        pre_s.append(t1 - t)
        cpu_s["pre"].append(c1 - c)
        model.invoke()
        t2, c2 = perf(), cpu()
        det.decode(model.get_outputs(), info)
        cpu_s["dec"].append(cpu() - c2)
        dec_s.append(perf() - t2)


def _frame_count_hint(app: Any) -> int | None:
    """Number of frames in a file source (for the progress bar), None if unknown."""
    uri = getattr(getattr(app, "source", None), "uri", None)
    if not uri or not os.path.isfile(str(uri)):
        return None
    try:
        import cv2

        cap = cv2.VideoCapture(str(uri))
        n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        cap.release()
        return n if n > 0 else None
    except Exception:  # noqa: BLE001 - only a progress-bar hint
        return None
