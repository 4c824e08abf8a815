"""``distill``: teacher .tflite + frames -> CenterNet student .tflite (+ .json, report).

Steps: frames and teacher pseudo-labels/features (cached) -> Keras CenterNet ->
training (train.py) -> TFLite export (int8 with real representative frames, or
float) -> held-out evaluation against the teacher and float-vs-int8 agreement ->
metadata sidecar + report. :class:`DistillConfig` is the typed form of the CLI flags.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from ..configbase import PATH_META, bounds
from ..errors import ConfigError

log = logging.getLogger(__name__)

# YOLOX-nano's stride-8 regression-branch activations (64 ch, after the last SiLU of the
# reg tower; `edge-tracker features` lists candidates). Used when --teacher-feature is unset.
DEFAULT_TEACHER_FEATURE = "model_8/tf.math.multiply_313/Mul"


@dataclass(frozen=True)
class DistillConfig:
    teacher: str = field(metadata=PATH_META)
    frames: tuple[str, ...] = ()                 # PATH or PATH@START:END (fractions)
    out: str = field(default="student.tflite", metadata=PATH_META)
    in_w: int = field(default=320, metadata=bounds(64, 1024))
    in_h: int = field(default=192, metadata=bounds(64, 1024))
    width: int = field(default=16, metadata=bounds(4, 128))
    stride: int = field(default=4, metadata=bounds(4, 8))
    prior_channel: bool = False
    feature_loss: Literal["attention", "fidelity", "none"] = "attention"
    feature_weight: float = field(default=1.0, metadata=bounds(0.0, 100.0))
    teacher_feature: str = DEFAULT_TEACHER_FEATURE
    epochs: float = field(default=0.0, metadata=bounds(0.0, 1000.0))  # 0 -> use steps
    steps: int = field(default=2000, metadata=bounds(1, 1_000_000))
    batch: int = field(default=16, metadata=bounds(1, 256))
    lr: float = field(default=2e-3, metadata=bounds(0.0, 1.0, lo_open=True))
    seed: int = 0
    train_fraction: float = field(default=0.7, metadata=bounds(0.05, 1.0))
    quantize: bool = True                        # False: float32 model (e.g. bundled teacher)
    max_staleness: int = field(default=8, metadata=bounds(0, 100))
    cache_dir: str | None = field(default=None, metadata=PATH_META)
    work_dir: str | None = field(default=None, metadata=PATH_META)
    report: str | None = field(default=None, metadata=PATH_META)
    num_threads: int = field(default=2, metadata=bounds(1, 8))
    representative_frames: int = field(default=100, metadata=bounds(1, 10000))
    scale_augment: bool = True                   # zoom / crop / mosaic (augment.py)
    frames_root: str | None = None               # record frames relative to this folder

    def validate(self, path: str = "") -> None:
        if not self.frames:
            raise ConfigError(f"{path}.frames" if path else "frames", "give at least one "
                              "--frames VIDEO_OR_DIR")
        if self.in_w % 16 or self.in_h % 16:
            raise ConfigError("input", f"width and height must be multiples of 16, got "
                              f"{self.in_w}x{self.in_h}")
        if self.stride not in (4, 8):
            raise ConfigError("stride", f"must be 4 or 8, got {self.stride}")

    def resolved_dirs(self) -> tuple[str, str, str]:
        stem = os.path.splitext(os.path.abspath(self.out))[0]
        cache = self.cache_dir or os.path.join(os.path.expanduser("~"), ".cache",
                                               "edge_tracker", "distill")
        work = self.work_dir or stem + ".work"
        report = self.report or os.path.join(work, "report.json")
        return cache, work, report


def _frames_label(text: str, root: str | None) -> str:
    """A --frames value as recorded in the metadata: relative to ``root`` when given
    (e.g. ``video/clip.mp4@0:0.7``), so no machine-specific absolute path is shipped."""
    if root is None:
        return text
    path, sep, rng = text.partition("@")
    return os.path.relpath(os.path.abspath(path), os.path.abspath(root)) + sep + rng


def run_distill(cfg: DistillConfig) -> dict:
    """Run the whole distillation; returns the report dict (also written to disk)."""
    cfg.validate()
    from .dataset import PriorSim, held_input, load_dataset, prior_for
    from .evaluate import (
        TfliteRunner,
        agreement,
        quality_vs_teacher,
        stale_teacher_baseline,
    )
    from .export import convert, head_names, metadata, representative_from, write_model
    from .frames import parse_frames_arg
    from .pseudo_labels import file_hash
    from .report import write_report
    from .student import NetSpec, build, count_macs
    from .train import TrainSettings, setup_tf, train

    cache, work, report_path = cfg.resolved_dirs()
    os.makedirs(work, exist_ok=True)
    sources = [parse_frames_arg(f) for f in cfg.frames]
    t0 = time.monotonic()
    feat_tensor = cfg.teacher_feature if cfg.feature_loss != "none" else None
    ds = load_dataset(cfg.teacher, sources, cfg.in_w, cfg.in_h, cfg.stride, cache,
                      cfg.train_fraction, feat_tensor, num_threads=1)
    t_data = time.monotonic() - t0
    log.info("data: %d training / %d held-out frames (%.0f s)", len(ds.train_refs),
             len(ds.held_refs), t_data)
    setup_tf(cfg.seed, cfg.num_threads)
    spec = NetSpec(cfg.in_w, cfg.in_h, cfg.width, cfg.stride, 1, cfg.prior_channel)
    train_model, export_model = build(spec)
    steps = cfg.steps
    if cfg.epochs > 0:
        steps = max(1, round(cfg.epochs * len(ds.train_refs) / cfg.batch))
    settings = TrainSettings(steps=steps, batch=cfg.batch, lr=cfg.lr, seed=cfg.seed,
                             feature_loss=cfg.feature_loss, feature_weight=cfg.feature_weight,
                             num_threads=cfg.num_threads, scale_augment=cfg.scale_augment)
    prior = PriorSim(max_staleness=cfg.max_staleness) if cfg.prior_channel else None
    history = train(train_model, ds, settings, prior, work)

    rng = np.random.default_rng(cfg.seed)
    picks = rng.choice(len(ds.train_refs), size=min(cfg.representative_frames,
                                                    len(ds.train_refs)), replace=False)
    reps = []
    for k in picks:
        c, p = ds.train_refs[int(k)]
        pr = prior_for(ds, c, p, int(rng.integers(0, cfg.max_staleness + 1)), None, None) \
            if cfg.prior_channel else None
        reps.append(held_input(ds, c, p, pr))
    tflite = convert(export_model, cfg.quantize, representative_from(reps))
    heads = head_names(tflite)
    extra = {"macs": count_macs(export_model), "params": int(export_model.count_params()),
             "teacher_sha1_16": file_hash(cfg.teacher),
             "teacher": os.path.basename(cfg.teacher), "train_steps": steps,
             "train_seconds": round(history["seconds"], 1), "seed": cfg.seed,
             "feature_loss": cfg.feature_loss, "scale_augment": cfg.scale_augment,
             "frames": [_frames_label(f, cfg.frames_root) for f in cfg.frames]}
    meta = metadata(spec, cfg.quantize, heads, extra)
    write_model(cfg.out, tflite, meta)

    from ..runtime.interpreter import load_model

    runner = TfliteRunner(load_model(cfg.out, num_threads=1))
    held = ds.held_refs
    quality = {}
    if cfg.prior_channel:
        quality["no prior"] = quality_vs_teacher(runner, ds, held, None)
        for k in (0, 4, 8):
            quality[f"prior staleness {k}"] = quality_vs_teacher(runner, ds, held, k)
        for k in (4, 8):
            quality[f"stale teacher alone {k}"] = {
                "all": stale_teacher_baseline(ds, held, k)}
    else:
        quality["model"] = quality_vs_teacher(runner, ds, held, None)
    roles = {v: k for k, v in runner.decoder.heads.items()}

    def float_fn(x):
        out = export_model(x, training=False)
        return [np.asarray(out[roles[i]]) for i in range(len(runner.model.outputs))]

    agree = agreement(float_fn, runner, ds, held[:: max(1, len(held) // 40)]) \
        if cfg.quantize else None
    if agree:
        print(f"int8 vs float on {agree['frames']} held-out frames: detection F1 "
              f"{agree['f1_int8_vs_float']:.3f}, heatmap |diff| mean "
              f"{agree['heatmap_mean_abs_diff']:.4f} max {agree['heatmap_max_abs_diff']:.3f}")
    for name, q in quality.items():
        a = q["all"]
        print(f"held-out vs teacher [{name}]: precision {a['precision']:.3f} recall "
              f"{a['recall']:.3f} F1 {a['f1']:.3f} ({a['n_ref']} teacher boxes)")
    report = {"config": dataclasses.asdict(cfg), "steps": steps, "history": history,
              "quality": quality, "agreement": agree, "macs": extra["macs"],
              "params": extra["params"], "model_bytes": len(tflite),
              "data_seconds": round(t_data, 1), "train_seconds": round(history["seconds"], 1),
              "train_frames": len(ds.train_refs), "held_frames": len(held)}
    png = write_report(report_path, report)
    print(f"wrote {cfg.out} ({len(tflite) / 1024:.0f} KiB, {extra['macs'] / 1e6:.0f} MMAC), "
          f"report {report_path} and {png}")
    return report
