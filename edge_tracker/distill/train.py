"""The training loop (TensorFlow/Keras on CPU): deterministic, resumable, with progress.

Loss = detection loss (focal heatmap + 0.1 L1 size + L1 offset, see losses.py)
     + ``feature_weight`` x (attention transfer | fidelity through a 1x1 adapter).
Adam with a cosine learning-rate decay to 5 % over ``steps``. A checkpoint (weights,
optimizer, step, loss history) is written to ``work_dir/ckpt`` every ``ckpt_every``
steps; a run started again with the same work_dir continues from the last one.
Determinism: Keras/TF/NumPy seeded with ``seed``, TF op determinism on, and batches
drawn from ``default_rng([seed, step])`` (see dataset.py).
"""

from __future__ import annotations

import json
import logging
import math
import os
import sys
import time
from dataclasses import dataclass

import numpy as np

from .augment import AugmentSettings
from .dataset import DataSet, PriorSim, sample_batch

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainSettings:
    steps: int = 2000
    batch: int = 16
    lr: float = 2e-3
    seed: int = 0
    feature_loss: str = "attention"     # attention | fidelity | none
    feature_weight: float = 1.0
    ckpt_every: int = 200
    num_threads: int = 2
    scale_augment: bool = True          # zoom / crop / mosaic (augment.py)


def setup_tf(seed: int, num_threads: int):
    import keras
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(num_threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError as exc:  # TF already initialised in this process (tests, notebooks)
        log.info("keeping TensorFlow's thread settings: %s", exc)
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    return tf


class _Progress:
    """A one-line progress bar on a TTY; a log line every 10 % otherwise."""

    def __init__(self, total: int, start: int) -> None:
        self.total, self.t0, self.start = total, time.monotonic(), start
        self.tty = sys.stderr.isatty()
        self.next_log = start

    def update(self, step: int, loss: float) -> None:
        done = step + 1
        rate = (done - self.start) / max(time.monotonic() - self.t0, 1e-6)
        eta = (self.total - done) / max(rate, 1e-6)
        if self.tty:
            n = int(30 * done / self.total)
            sys.stderr.write(f"\r[{'#' * n}{'.' * (30 - n)}] {done}/{self.total} "
                             f"loss {loss:.4f} {rate:.1f} it/s eta {eta:.0f}s")
            if done == self.total:
                sys.stderr.write("\n")
            sys.stderr.flush()
        elif done >= self.next_log or done == self.total:
            log.info("step %d/%d loss %.4f (%.2f it/s, eta %.0f s)", done, self.total, loss,
                     rate, eta)
            self.next_log = done + max(self.total // 10, 1)


def train(train_model, ds: DataSet, settings: TrainSettings, prior: PriorSim | None,
          work_dir: str) -> dict:
    """Train ``train_model`` (outputs heatmap/size/offset/feat) in place.

    Returns the history {'step': [...], 'loss': [...], 'det': [...], 'feature': [...],
    'heatmap', 'size', 'offset', 'seconds'} (one entry per 10 steps).
    """
    import keras
    import tensorflow as tf

    from .losses import attention_transfer, detection_loss, fidelity

    mode = settings.feature_loss
    adapter = None
    if mode == "fidelity":
        ct = ds.clips[0].feats.shape[-1]
        adapter = keras.layers.Conv2D(ct, 1, name="fidelity_adapter")
        x0 = np.zeros((1, *train_model.input_shape[1:]), np.float32)
        adapter(train_model(x0, training=False)["feat"])  # builds the adapter's weights
    sched = keras.optimizers.schedules.CosineDecay(settings.lr, settings.steps, alpha=0.05)
    opt = keras.optimizers.Adam(sched)
    variables = train_model.trainable_variables + (adapter.trainable_variables if adapter else [])
    opt.build(variables)
    step_var = tf.Variable(0, dtype=tf.int64)
    ckpt = tf.train.Checkpoint(model=train_model, opt=opt, step=step_var,
                               **({"adapter": adapter} if adapter else {}))
    ckpt_dir = os.path.join(work_dir, "ckpt")
    manager = tf.train.CheckpointManager(ckpt, ckpt_dir, max_to_keep=2)
    hist_path = os.path.join(ckpt_dir, "history.json")
    history = {k: [] for k in ("step", "loss", "det", "feature", "heatmap", "size", "offset")}
    seconds = 0.0
    if manager.latest_checkpoint:
        ckpt.restore(manager.latest_checkpoint)
        if os.path.isfile(hist_path):
            with open(hist_path) as fh:
                saved = json.load(fh)
            seconds = saved.pop("seconds", 0.0)
            history = {k: [v for s, v in zip(saved["step"], saved[k]) if s < int(step_var)]
                       for k in history}
        log.info("resumed from %s at step %d", manager.latest_checkpoint, int(step_var))

    @tf.function(reduce_retracing=True)
    def step_fn(x, hm, sz, of, mk, teacher):
        with tf.GradientTape() as tape:
            out = train_model(x, training=True)
            terms = detection_loss(out, {"heatmap": hm, "size": sz, "offset": of, "mask": mk})
            if mode == "attention":
                feat = attention_transfer(out["feat"], teacher)
            elif mode == "fidelity":
                feat = fidelity(adapter(out["feat"]), teacher)
            else:
                feat = tf.constant(0.0)
            loss = terms["det"] + settings.feature_weight * feat
        grads = tape.gradient(loss, variables)
        opt.apply_gradients(zip(grads, variables))
        return loss, terms["det"], feat, terms["heatmap"], terms["size"], terms["offset"]

    augment = AugmentSettings() if settings.scale_augment else None
    start = int(step_var)
    bar = _Progress(settings.steps, start)
    t0 = time.monotonic()
    dummy = np.zeros((1,), np.float32)
    for step in range(start, settings.steps):
        b = sample_batch(ds, step, settings.seed, settings.batch, prior, mode, augment)
        vals = step_fn(b["image"], b["heatmap"], b["size"], b["offset"], b["mask"],
                       b.get("teacher", dummy))
        loss = float(vals[0])
        if not math.isfinite(loss):
            raise FloatingPointError(f"loss became {loss} at step {step}")
        if step % 10 == 0 or step == settings.steps - 1:
            for k, v in zip(("loss", "det", "feature", "heatmap", "size", "offset"), vals):
                history[k].append(float(v))
            history["step"].append(step)
        bar.update(step, loss)
        step_var.assign(step + 1)
        if (step + 1) % settings.ckpt_every == 0 or step + 1 == settings.steps:
            manager.save(checkpoint_number=step + 1)
            with open(hist_path, "w") as fh:
                json.dump({**history, "seconds": seconds + time.monotonic() - t0}, fh)
    history["seconds"] = seconds + time.monotonic() - t0
    return history
