"""Latency of one model: init, first invoke, warm-up, and steady-state stats.

Steady state is measured in interleaved blocks so that a shared, noisy machine's drift
hits both measurements alike:

- a *tool* block runs the real per-frame path through :class:`Detector` -- preprocess
  (resize/normalise/quantize + ``set_input``), ``Model.invoke()`` timed on its own, then
  decode (``get_outputs`` dequantization + decoder + class/score filter + NMS);
- a *bare* block times ``Interpreter.invoke()`` alone in a tight loop on the same input,
  which is what TFLite's ``benchmark_model`` reports.

Blocks alternate A B B A A B ... so neither kind always runs first after a context
switch. ``invoke_ms.p50`` vs ``bare_invoke_ms_p50`` shows whether the tool itself adds
anything to the invoke. Both paths yield the core just before each timed invoke (see
``yield_core``). Each invoke is also timed in CPU seconds of the calling thread
(``invoke_cpu_ms``): on an overloaded machine the wall clock includes time spent waiting
for a core, which the CPU time does not.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from ..configbase import PATH_META, bounds
from ..errors import ModelError
from .machine import machine_info
from .progress import Progress
from .rss import RssGrowth, peak_rss_bytes
from .stats import summarize_ms

perf = time.perf_counter
cpu = time.thread_time  # CPU seconds of this thread: a 1-thread invoke runs on it


def yield_core() -> None:
    """Give up the core before each timed invoke, in both paths alike.

    On an idle board this returns at once. On a busy one it makes every timed invoke
    start on a fresh scheduler slice, whether or not preprocessing just used up part of
    the previous one -- otherwise the tool path's invokes are preempted more often than
    the bare loop's and the comparison measures the scheduler, not the tool.
    """
    if hasattr(os, "sched_yield"):
        os.sched_yield()


@dataclass(frozen=True)
class LatencyConfig:
    """What ``edge-tracker bench latency`` measures.

    model: .tflite path. threads: interpreter CPU threads. runs: steady-state frames
    (tool path) -- the bare loop gets as many invokes. warmup: untimed invokes after the
    first. block: frames per interleaved block. frame: image/video path for the input
    picture (None: a synthetic 960x540 frame). decoder: detector type (auto = by outputs).
    """

    model: str = field(metadata=PATH_META)
    threads: int = field(default=1, metadata=bounds(1, 8))
    runs: int = field(default=200, metadata=bounds(1, 1_000_000))
    warmup: int = field(default=10, metadata=bounds(0, 100_000))
    block: int = field(default=1, metadata=bounds(1, 10_000))
    delegate: str | None = None
    delegate_options: dict = field(default_factory=dict)
    decoder: Literal["auto", "ssd", "yolox", "yolov8", "centernet"] = "auto"
    frame: str | None = field(default=None, metadata=PATH_META)
    frame_index: int = field(default=0, metadata=bounds(0, None))
    score_threshold: float = field(default=0.3, metadata=bounds(0.0, 1.0))


def _make_detector(cfg: LatencyConfig) -> Any:
    from ..detect.detector import Detector, DetectorConfig

    dcfg = DetectorConfig(model=cfg.model, type=cfg.decoder, num_threads=cfg.threads,
                          delegate=cfg.delegate, delegate_options=dict(cfg.delegate_options),
                          score_threshold=cfg.score_threshold)
    return Detector.from_config(dcfg)


def _timed_blocks(total: int, block: int) -> list[tuple[str, int]]:
    """[(kind, n)] alternating tool/bare in an ABBA pattern, ``total`` frames of each kind."""
    plan: list[tuple[str, int]] = []
    left = total
    i = 0
    while left > 0:
        n = min(block, left)
        pair = ("tool", "bare") if i % 2 == 0 else ("bare", "tool")
        plan.extend((k, n) for k in pair)
        left -= n
        i += 1
    return plan


def run_latency(cfg: LatencyConfig, progress: bool | None = None,
                detector_factory: Callable[[LatencyConfig], Any] | None = None) -> dict:
    """Measure ``cfg.model``; returns the JSON-ready result (see benchmarks/README.md).

    detector_factory: builds the Detector (tests inject one); default
    ``Detector.from_config`` with the config's threads/delegate/decoder.
    """
    from .frames import load_frame

    if not os.path.isfile(cfg.model):
        raise ModelError(f"model file not found: {cfg.model}")
    image, frame_desc = load_frame(cfg.frame, cfg.frame_index)
    factory = detector_factory or _make_detector

    gc.collect()
    t0 = perf()
    det = factory(cfg)
    init_s = perf() - t0
    model = det.model

    # First invoke (includes lazy allocations/delegate compilation), then warm-up.
    inputs, info = det.preprocess(image)
    for i, x in enumerate(inputs):
        model.set_input(x, i)
    t0 = perf()
    model.invoke()
    first_s = perf() - t0
    warm: list[float] = []
    for _ in range(cfg.warmup):
        t0 = perf()
        model.invoke()
        warm.append(perf() - t0)

    pre_s: list[float] = []
    inv_s: list[float] = []
    dec_s: list[float] = []
    bare_s: list[float] = []
    inv_cpu: list[float] = []
    bare_cpu: list[float] = []
    n_dets: list[int] = []
    growth = RssGrowth()
    plan = _timed_blocks(cfg.runs, cfg.block)
    gc.collect()
    t_start = perf()
    with Progress(2 * cfg.runs, f"bench {os.path.basename(cfg.model)}",
                  enabled=progress) as bar:
        for kind, n in plan:
            if kind == "tool":
                for _ in range(n):
                    t0 = perf()
                    inputs, info = det.preprocess(image)
                    for i, x in enumerate(inputs):
                        model.set_input(x, i)
                    yield_core()
                    t1 = perf()
                    c1 = cpu()
                    model.invoke()
                    c2 = cpu()
                    t2 = perf()
                    dets = det.decode(model.get_outputs(), info)
                    t3 = perf()
                    pre_s.append(t1 - t0)
                    inv_s.append(t2 - t1)
                    inv_cpu.append(c2 - c1)
                    dec_s.append(t3 - t2)
                    n_dets.append(len(dets))
            else:
                # Same input tensors as the tool path: only invoke() inside the timer.
                for _ in range(n):
                    yield_core()
                    t0 = perf()
                    c0 = cpu()
                    model.invoke()
                    c1 = cpu()
                    bare_s.append(perf() - t0)
                    bare_cpu.append(c1 - c0)
            bar.update(n)
    steady_wall_s = perf() - t_start
    growth.stop()

    invoke = summarize_ms(inv_s)
    bare = summarize_ms(bare_s)
    inv_c = summarize_ms(inv_cpu)
    bare_c = summarize_ms(bare_cpu)
    runtime = getattr(model, "runtime", None)
    try:
        from ..runtime import runtime_name

        runtime_full = runtime_name()
    except ModelError:
        runtime_full = runtime
    return {
        "benchmark": "latency",
        "model": os.path.abspath(cfg.model),
        "model_name": os.path.basename(cfg.model),
        "model_size_bytes": os.path.getsize(cfg.model),
        "decoder": getattr(getattr(det, "decoder", None), "name", None),
        "input_shape": [list(t.shape) for t in model.inputs],
        "input_dtype": [t.dtype.name for t in model.inputs],
        "frame": frame_desc,
        "frame_shape": list(image.shape),
        "detections_per_frame_mean": float(np.mean(n_dets)) if n_dets else 0.0,
        "threads": cfg.threads,
        "delegate": cfg.delegate,
        "runtime": runtime_full,
        "runs": cfg.runs,
        "warmup": cfg.warmup,
        "block": cfg.block,
        "init_ms": init_s * 1e3,
        "first_invoke_ms": first_s * 1e3,
        "warmup_mean_ms": float(np.mean(warm) * 1e3) if warm else None,
        "invoke_ms": invoke,
        "preprocess_ms": summarize_ms(pre_s),
        "decode_ms": summarize_ms(dec_s),
        "frame_ms_p50": _sum_p50(pre_s, inv_s, dec_s),
        "bare_invoke_ms": bare,
        "bare_invoke_ms_p50": bare["p50"],
        "invoke_vs_bare_p50_ratio": invoke["p50"] / bare["p50"] if bare["p50"] else None,
        # CPU time of the calling thread (exact for --threads 1, a lower bound otherwise):
        # unlike wall time it excludes waiting for a core on a busy or shared machine.
        "invoke_cpu_ms": inv_c,
        "bare_invoke_cpu_ms": bare_c,
        "invoke_vs_bare_cpu_p50_ratio": (inv_c["p50"] / bare_c["p50"]
                                         if bare_c["p50"] else None),
        "steady_wall_s": steady_wall_s,
        "peak_rss_bytes": peak_rss_bytes(),
        "rss_growth_bytes": growth.growth_bytes,
        "machine": machine_info(runtime_full),
    }


def _sum_p50(*samples: list[float]) -> float | None:
    """p50 of the per-frame sum of stages (ms) -- the tool path's whole frame."""
    if not samples or not samples[0]:
        return None
    total = np.sum(np.asarray(samples, dtype=np.float64), axis=0)
    return float(np.percentile(total, 50) * 1e3)
