"""Every Prometheus metric of edge_tracker, declared once, on a per-instance registry.

One :class:`Metrics` object per camera pipeline (or per test): its own
``CollectorRegistry``, so several cameras or tests can live in one process. Labels
are fixed at start-up: ``camera`` and ``model`` (plus ``stage``, ``reason`` or
``kind`` where listed) - never a track id. Latency histograms use buckets from
0.5 ms to 2 s (edge models run in 1..500 ms).

Components never import prometheus_client themselves: sources call
``on_reconnect()``, ``set_up(bool)``, ``on_drop(n)``; the pipeline calls
``observe_stage(stage, seconds)`` and the teacher/scheduler hooks below. The HTTP
endpoint (service/http.py) serves ``render()``.
"""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

PREFIX = "edge_tracker"
STAGES = ("capture", "preprocess", "student", "decode", "fuse", "track", "sink")
# Reasons a teacher run is skipped (scheduler and worker); pre-created so they show as 0.
SKIP_REASONS = ("not_due", "no_budget", "busy", "disabled", "backoff", "no_trigger")
FAILURE_KINDS = ("error", "hang")
# 0.5 ms .. 2 s, roughly x2 steps: edge model latencies from ~1 ms (student on a fast
# core) to ~1 s (a teacher on a Raspberry Pi class board).
LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.004, 0.006, 0.008, 0.010, 0.015, 0.020, 0.030,
                   0.050, 0.075, 0.100, 0.150, 0.250, 0.500, 1.0, 2.0)
STALENESS_BUCKETS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)


class Metrics:
    """The metrics of one camera.

    camera: camera id label. student_model / teacher_model: model names (file stems)
    used as the ``model`` label of model-specific series.
    """

    def __init__(self, camera: str = "cam0", student_model: str = "student",
                 teacher_model: str = "teacher",
                 registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.camera = camera
        self.student_model = student_model
        self.teacher_model = teacher_model
        r = self.registry
        cam = ("camera",)
        cm = ("camera", "model")
        self.frames = Counter(f"{PREFIX}_frames", "Frames processed", cam, registry=r)
        self.frames_dropped = Counter(f"{PREFIX}_frames_dropped",
                                      "Frames dropped before processing (source buffer full)",
                                      cam, registry=r)
        self.stage_latency = Histogram(f"{PREFIX}_stage_latency_seconds",
                                       "Time spent in one stage of the frame loop",
                                       ("camera", "stage"), buckets=LATENCY_BUCKETS, registry=r)
        self.frame_latency = Histogram(f"{PREFIX}_frame_latency_seconds",
                                       "Capture to output latency of one frame", cam,
                                       buckets=LATENCY_BUCKETS, registry=r)
        self.teacher_latency = Histogram(f"{PREFIX}_teacher_latency_seconds",
                                         "Teacher run time (submit to result)", cm,
                                         buckets=LATENCY_BUCKETS, registry=r)
        self.teacher_runs = Counter(f"{PREFIX}_teacher_runs", "Teacher runs started", cm,
                                    registry=r)
        self.teacher_skipped = Counter(f"{PREFIX}_teacher_skipped",
                                       "Frames the teacher did not run on, by reason",
                                       ("camera", "model", "reason"), registry=r)
        self.teacher_failures = Counter(f"{PREFIX}_teacher_failures",
                                        "Teacher runs that raised (error) or hung (hang)",
                                        ("camera", "model", "kind"), registry=r)
        self.teacher_restarts = Counter(f"{PREFIX}_teacher_restarts",
                                        "Teacher interpreters re-created after a failure", cm,
                                        registry=r)
        self.teacher_enabled = Gauge(f"{PREFIX}_teacher_enabled",
                                     "1 while the teacher is usable, 0 once disabled", cm,
                                     registry=r)
        self.teacher_staleness = Histogram(f"{PREFIX}_teacher_staleness_seconds",
                                           "Age of the teacher result fused into a frame", cm,
                                           buckets=STALENESS_BUCKETS, registry=r)
        self.budget_utilization = Gauge(f"{PREFIX}_teacher_budget_utilization_ratio",
                                        "Teacher compute spent / budget granted so far", cm,
                                        registry=r)
        self.deadline_misses = Counter(f"{PREFIX}_deadline_misses",
                                       "Frames whose processing took longer than the frame period",
                                       cam, registry=r)
        self.active_tracks = Gauge(f"{PREFIX}_active_tracks", "Tracks output in the last frame",
                                   cam, registry=r)
        self.score_threshold = Gauge(f"{PREFIX}_student_score_threshold",
                                     "Student score threshold calibrated against the teacher", cm,
                                     registry=r)
        self.source_reconnects = Counter(f"{PREFIX}_source_reconnects",
                                         "Source reconnect attempts", cam, registry=r)
        self.source_up = Gauge(f"{PREFIX}_source_up", "1 while the source delivers frames", cam,
                               registry=r)
        self.sink_errors = Counter(f"{PREFIX}_sink_errors",
                                   "Sink write failures (disk full, broker gone, ...)",
                                   ["camera", "sink", "kind"], registry=r)
        # Children bound once (no label lookups in the frame loop).
        self._frames = self.frames.labels(camera)
        self._dropped = self.frames_dropped.labels(camera)
        self._stages = {s: self.stage_latency.labels(camera, s) for s in STAGES}
        self._frame_latency = self.frame_latency.labels(camera)
        self._t_latency = self.teacher_latency.labels(camera, teacher_model)
        self._t_runs = self.teacher_runs.labels(camera, teacher_model)
        self._t_skips = {r_: self.teacher_skipped.labels(camera, teacher_model, r_)
                         for r_ in SKIP_REASONS}
        self._t_fail = {k: self.teacher_failures.labels(camera, teacher_model, k)
                        for k in FAILURE_KINDS}
        self._t_restarts = self.teacher_restarts.labels(camera, teacher_model)
        self._t_enabled = self.teacher_enabled.labels(camera, teacher_model)
        self._t_staleness = self.teacher_staleness.labels(camera, teacher_model)
        self._budget = self.budget_utilization.labels(camera, teacher_model)
        self._misses = self.deadline_misses.labels(camera)
        self._active = self.active_tracks.labels(camera)
        self._threshold = self.score_threshold.labels(camera, student_model)
        self._reconnects = self.source_reconnects.labels(camera)
        self._up = self.source_up.labels(camera)
        self._t_enabled.set(1)

    # -- sources ------------------------------------------------------------------
    def on_reconnect(self) -> None:
        self._reconnects.inc()

    def set_up(self, up: bool) -> None:
        self._up.set(1 if up else 0)

    def on_drop(self, n: int = 1) -> None:
        if n > 0:
            self._dropped.inc(n)

    # -- sinks --------------------------------------------------------------------
    def on_sink_error(self, sink: str, kind: str) -> None:
        """sink: sink type (jsonl, mot, mqtt, video); kind: error class (e.g. ENOSPC)."""
        self.sink_errors.labels(self.camera, sink, kind).inc()

    # -- frame loop ---------------------------------------------------------------
    def observe_stage(self, stage: str, seconds: float) -> None:
        """stage: one of STAGES (KeyError otherwise: label sets are fixed)."""
        self._stages[stage].observe(seconds)

    def on_frame(self, latency_s: float, active_tracks: int, deadline_missed: bool) -> None:
        self._frames.inc()
        self._frame_latency.observe(max(latency_s, 0.0))
        self._active.set(active_tracks)
        if deadline_missed:
            self._misses.inc()

    def set_score_threshold(self, value: float) -> None:
        self._threshold.set(value)

    # -- teacher ------------------------------------------------------------------
    def on_teacher_run(self) -> None:
        self._t_runs.inc()

    def on_teacher_skip(self, reason: str) -> None:
        self._t_skips[reason].inc()

    def on_teacher_done(self, seconds: float) -> None:
        self._t_latency.observe(seconds)

    def on_teacher_failure(self, kind: str) -> None:
        self._t_fail[kind].inc()

    def on_teacher_restart(self) -> None:
        self._t_restarts.inc()

    def set_teacher_enabled(self, enabled: bool) -> None:
        self._t_enabled.set(1 if enabled else 0)

    def observe_staleness(self, seconds: float) -> None:
        self._t_staleness.observe(max(seconds, 0.0))

    def set_budget_utilization(self, ratio: float) -> None:
        self._budget.set(ratio)

    # -- exposition ---------------------------------------------------------------
    def render(self) -> bytes:
        """The registry in the Prometheus text format."""
        return generate_latest(self.registry)
