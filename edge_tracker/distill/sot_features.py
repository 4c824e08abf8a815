"""Distil a compact int8 feature network for the correlation-filter tracker
(``edge-tracker distill --task sot``; TensorFlow only here, extra ``train``).

After Wang et al. (a small student distilled from a big feature network for real-time
DCF tracking on one CPU core) the loss has two parts:

- fidelity: MSE between the student's features (through a 1x1 adapter used only in
  training) and the teacher's early feature map over the same image region. The teacher
  is a detector .tflite read through LiteRT with ``experimental_preserve_all_tensors``;
  the tensor is chosen by name (default: YOLOX-nano's stride-4 stem output
  ``model/tf.math.multiply_11/Mul``, 32 channels; list others with
  ``edge-tracker features MODEL``). The teacher sees the whole letterboxed frame once;
  each patch's target is the crop of that map under the patch, resampled to the
  student's grid.
- tracking: a closed-form multi-channel correlation filter (the tracker's own DSST form,
  sot/dcf.py) is fitted on the reference patch's features and applied to the search
  patch (FFT in TensorFlow); its response is regressed to the Gaussian label at the known
  displacement (DCFNet, Wang et al. 2017).

Training pairs are self-supervised: a random box in frame t gives the reference patch;
the search patch is cut from frame t+d (d in 0..2) at a randomly shifted position, so the
target's displacement in the search patch is known. No annotations are needed.

Export: full-integer int8 (``TFLITE_BUILTINS_INT8``; int8 input = x/255 quantized, see
metadata), representative set = real patches; sidecar JSON with ``kind: sot_features``,
input size, normalisation, stride, ``feature_scale`` (1 / RMS of the features on the
training patches, so the tracker's regulariser sees unit-scale features).

The bundled ``edge_tracker/models/sot_features.tflite`` (+ .json, .report.json) is made,
from the project root with ``../shared/data`` beside it, by:

    edge-tracker distill --task sot \
        --teacher ../shared/data/models/yolox_nano_416/yolox_nano_416_decoded.tflite \
        --frames ../shared/data/video/opentracker_oneperson_620x370.mp4 \
        --frames ../shared/data/video/visionworks_pedestrians_960x540.mp4@0:0.7 \
        --out edge_tracker/models/sot_features.tflite --width 16 --epochs 10 --seed 0

(OTB Crossing, the benchmark sequence, is never used for training.)
"""

from __future__ import annotations

import json
import logging
import os
import time

import cv2
import numpy as np

from ..errors import EdgeTrackerError

log = logging.getLogger(__name__)

DEFAULT_TEACHER_FEATURE = "model/tf.math.multiply_11/Mul"   # YOLOX-nano stride-4 stem
PATCH = 96            # student input side (px)
STRIDE = 4            # feature stride; 96 / 4 = 24 x 24 feature map
PADDING = 1.5         # search window = box + PADDING * mean(w, h) (SotConfig.padding)
SIGMA_FACTOR = 0.0625  # label width, SotConfig.output_sigma_factor
LAMBDA = 1e-2         # ridge, relative to the mean feature energy per frequency
FID_WEIGHT = 1.0      # fidelity loss weight
TRACK_WEIGHT = 100.0   # response MSE is ~1e-2 at the start: brings it level with fidelity


# ---------------------------------------------------------------- data (NumPy) -------
def _letterbox(img: np.ndarray, size: int) -> tuple[np.ndarray, float]:
    """Top-left letterbox to size x size, pad 114, BGR 0..255 float32 (YOLOX's input)."""
    h, w = img.shape[:2]
    r = min(size / w, size / h)
    out = np.full((size, size, 3), 114, np.uint8)
    nw, nh = round(w * r), round(h * r)
    out[:nh, :nw] = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_LINEAR)
    return out.astype(np.float32), r


def _crop(img: np.ndarray, cx: float, cy: float, w: float, h: float, ow: int, oh: int
          ) -> np.ndarray:
    from ..sot.scale import crop_resize

    if img.ndim == 3 and img.shape[2] > 4:  # warpAffine handles at most 4 channels
        return np.concatenate([crop_resize(np.ascontiguousarray(img[..., c:c + 4]), cx, cy, w,
                                           h, ow, oh).reshape(oh, ow, -1)
                               for c in range(0, img.shape[2], 4)], axis=2)
    return crop_resize(img, cx, cy, w, h, ow, oh)


def _label(n: int, sigma: float, dy: float, dx: float) -> np.ndarray:
    """(n, n) Gaussian peaked at the circular displacement (dy, dx) cells."""
    ys = np.fft.fftfreq(n, 1.0 / n)
    d_y = (ys - dy + n / 2) % n - n / 2
    d_x = (ys - dx + n / 2) % n - n / 2
    return np.exp(-0.5 * (d_y[:, None] ** 2 + d_x[None, :] ** 2) / sigma ** 2).astype(np.float32)


def build_pairs(frame_args: list[str], teacher_path: str, teacher_feature: str,
                pairs_per_frame: int, frame_step: int, seed: int) -> dict:
    """Reference / search patches (N, 96, 96, 3) uint8 RGB, labels (N, 24, 24), teacher
    feature targets for both patches (N, 24, 24, Ct)."""
    from ..distill.frames import iter_frames, parse_frames_arg
    from ..distill.teacher_features import find_tensor, open_teacher, read_feature

    rng = np.random.default_rng(seed)
    teacher = open_teacher(teacher_path, num_threads=1)
    tensor = find_tensor(teacher, teacher_feature)
    tin = int(teacher.input.shape[1])
    g = PATCH // STRIDE
    ref, srch, lab, tref, tsrch = [], [], [], [], []
    for arg in frame_args:
        src = parse_frames_arg(arg)
        buf: list[np.ndarray] = []
        for i, img in iter_frames(src):
            buf.append(img)
            if len(buf) > 3:
                buf.pop(0)
            if i % frame_step or len(buf) < 3:
                continue
            f0, f1 = buf[0], buf[int(rng.integers(0, 3))]
            h, w = f0.shape[:2]
            lb, r = _letterbox(f1, tin)
            teacher.run(teacher.quantize_input(lb[None]))
            tmap1 = read_feature(teacher, tensor)
            lb0, _ = _letterbox(f0, tin)
            teacher.run(teacher.quantize_input(lb0[None]))
            tmap0 = read_feature(teacher, tensor)
            cell = tin / tmap0.shape[0]     # teacher input px per cell
            for _ in range(pairs_per_frame):
                bw = float(rng.uniform(20, min(160, w / 2)))
                bh = float(bw * rng.uniform(0.8, 3.0))
                bh = min(bh, h / 1.5)
                cx = float(rng.uniform(bw / 2, w - bw / 2))
                cy = float(rng.uniform(bh / 2, h - bh / 2))
                # the tracker's window (box + context), made square with the same area:
                # at run time a window is resampled isotropically to ~96 px sqrt(area)
                side = np.sqrt((bw + PADDING * 0.5 * (bw + bh)) * (bh + PADDING * 0.5 * (bw + bh)))
                ww = wh = float(side)
                # displacement of the target inside the search window, in cells
                sx, sy = rng.uniform(-0.2, 0.2, 2) * np.array([ww, wh])
                ref.append(_crop(f0, cx, cy, ww, wh, PATCH, PATCH)[..., ::-1])
                srch.append(_crop(f1, cx + sx, cy + sy, ww, wh, PATCH, PATCH)[..., ::-1])
                dx_c, dy_c = -sx / ww * g, -sy / wh * g
                sigma = np.sqrt(bw * bh) * (g / ww) * SIGMA_FACTOR
                lab.append(_label(g, max(sigma, 0.5), dy_c, dx_c))
                # teacher targets: the same windows on the teacher's map (cells = px*r/cell)
                k = r / cell
                tref.append(_crop(tmap0, cx * k, cy * k, ww * k, wh * k, g, g))
                tsrch.append(_crop(tmap1, (cx + sx) * k, (cy + sy) * k, ww * k, wh * k, g, g))
    if not ref:
        raise EdgeTrackerError("distill --task sot: no training frames (need >= 3 per source)")
    t = np.stack(tref + tsrch)
    # per-channel standardisation of the teacher targets (fidelity compares shapes)
    mu, sd = t.mean(axis=(0, 1, 2)), t.std(axis=(0, 1, 2)) + 1e-3
    return {"ref": np.stack(ref), "search": np.stack(srch), "label": np.stack(lab),
            "t_ref": (np.stack(tref) - mu) / sd, "t_search": (np.stack(tsrch) - mu) / sd,
            "teacher_channels": int(t.shape[-1])}


# ---------------------------------------------------------------- model (TF) ---------
def build_net(width: int, out_channels: int):
    """Depthwise-separable stride-4 feature net: (B, 96, 96, 3) in [0,1] -> (B, 24, 24, C)."""
    import tensorflow as tf

    L = tf.keras.layers
    inp = L.Input((PATCH, PATCH, 3), name="patch")
    x = L.Conv2D(width, 3, strides=2, padding="same", use_bias=False)(inp)
    x = L.ReLU(6.0)(L.BatchNormalization()(x))
    for stride, ch in ((2, 2 * width), (1, 2 * width)):
        x = L.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False)(x)
        x = L.ReLU(6.0)(L.BatchNormalization()(x))
        x = L.Conv2D(ch, 1, use_bias=False)(x)
        x = L.ReLU(6.0)(L.BatchNormalization()(x))
    feat = L.Conv2D(out_channels, 1, name="features")(x)
    return tf.keras.Model(inp, feat, name="sot_features")


def _cf_response(fr, fs, label):
    """Closed-form DSST filter on fr, applied to fs: (B, g, g, C) x2 -> (B, g, g) response."""
    import tensorflow as tf

    g = fr.shape[1]
    win = np.outer(np.hanning(g + 2)[1:-1], np.hanning(g + 2)[1:-1]).astype(np.float32)
    win = tf.constant(win[None, None])                                   # (1, 1, g, g)
    xr = tf.transpose(fr, (0, 3, 1, 2)) * win                            # (B, C, g, g)
    xs = tf.transpose(fs, (0, 3, 1, 2)) * win
    X = tf.signal.fft2d(tf.complex(xr, tf.zeros_like(xr)))
    Z = tf.signal.fft2d(tf.complex(xs, tf.zeros_like(xs)))
    # the filter's label is centred (displacement 0): Gaussian at [0, 0]
    Y = tf.signal.fft2d(tf.complex(label, tf.zeros_like(label)))[:, None]  # (B, 1, g, g)
    energy = tf.reduce_sum(tf.math.real(X * tf.math.conj(X)), axis=1)    # (B, g, g)
    lam = LAMBDA * tf.reduce_mean(energy, axis=(1, 2), keepdims=True)
    num = tf.reduce_sum(tf.math.conj(X) * Z, axis=1) * Y[:, 0]
    R = num / tf.complex(energy + lam, tf.zeros_like(energy))
    return tf.math.real(tf.signal.ifft2d(R))


def distill_sot(teacher: str, frames: list[str], out: str, epochs: float = 0.0, seed: int = 0,
                width: int = 16, **kw) -> dict:
    """Train and export the SOT feature net; returns the report dict (also written as
    OUT.report.json). kw: teacher_feature, out_channels (16), pairs_per_frame (8),
    frame_step (3), batch (32), lr (2e-3), fid_weight (1.0), track_weight (100),
    threads (2)."""
    import tensorflow as tf

    t_start = time.time()
    tf.keras.utils.set_random_seed(seed)
    threads = int(kw.get("threads", 2))
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError as exc:  # TF already initialised in this process (tests, notebooks)
        log.info("keeping TensorFlow's thread settings: %s", exc)
    epochs = float(epochs) if epochs and epochs > 0 else 6.0
    out_ch = int(kw.get("out_channels", 16))
    tfeat = kw.get("teacher_feature", DEFAULT_TEACHER_FEATURE)
    data = build_pairs(frames, teacher, tfeat, int(kw.get("pairs_per_frame", 8)),
                       int(kw.get("frame_step", 3)), seed)
    n = len(data["ref"])
    log.info("sot distill: %d training pairs, teacher %s [%s]", n, teacher, tfeat)
    net = build_net(width, out_ch)
    adapter = tf.keras.layers.Conv2D(data["teacher_channels"], 1, name="adapter")
    fid_w = float(kw.get("fid_weight", FID_WEIGHT))
    track_w = float(kw.get("track_weight", TRACK_WEIGHT))
    opt = tf.keras.optimizers.Adam(float(kw.get("lr", 2e-3)))
    batch = int(kw.get("batch", 32))

    @tf.function(reduce_retracing=True)
    def step(ref, srch, label, centred, t_ref, t_srch):
        with tf.GradientTape() as tape:
            fr = net(ref, training=True)
            fs = net(srch, training=True)
            resp = _cf_response(fr, fs, centred)
            track = tf.reduce_mean(tf.square(resp - label))
            fid = 0.5 * (tf.reduce_mean(tf.square(adapter(fr) - t_ref))
                         + tf.reduce_mean(tf.square(adapter(fs) - t_srch)))
            loss = track_w * track + fid_w * fid
        vars_ = net.trainable_variables + adapter.trainable_variables
        opt.apply_gradients(zip(tape.gradient(loss, vars_), vars_))
        return loss, track, fid

    # the filter's own label: the pair's label rolled so its peak sits at [0, 0]
    cl = np.empty_like(data["label"])
    for i, lb in enumerate(data["label"]):
        py, px = np.unravel_index(int(np.argmax(lb)), lb.shape)
        cl[i] = np.roll(lb, (-py, -px), axis=(0, 1))
    n_val = max(1, n // 10)  # the last 10 % of pairs (latest frames) are held out
    idx_train = np.arange(n - n_val)
    ref_f = data["ref"].astype(np.float32) / 255.0
    srch_f = data["search"].astype(np.float32) / 255.0
    n_steps = int(np.ceil(epochs * len(idx_train) / batch))
    rng = np.random.default_rng(seed)
    order = np.array([], np.int64)
    history = []
    for it in range(n_steps):
        if len(order) < batch:
            order = np.concatenate([order, rng.permutation(idx_train)])
        b, order = order[:batch], order[batch:]
        loss, track, fid = step(ref_f[b], srch_f[b], data["label"][b], cl[b],
                                data["t_ref"][b], data["t_search"][b])
        if it % 50 == 0 or it == n_steps - 1:
            history.append({"step": it, "loss": float(loss), "track": float(track),
                            "fidelity": float(fid)})
            log.info("sot distill step %d/%d loss %.4f (track %.4f, fidelity %.4f)", it,
                     n_steps, float(loss), float(track), float(fid))
    return _export(net, out, ref_f, srch_f, data, cl, n_val, width, out_ch, teacher, tfeat,
                   epochs, seed, history, time.time() - t_start, _cf_response)


def _peak_error(resp: np.ndarray, label: np.ndarray) -> np.ndarray:
    """(N,) distance in cells between response and label peaks (circular)."""
    g = resp.shape[1]
    out = []
    for r, lb in zip(resp, label):
        a = np.array(np.unravel_index(int(np.argmax(r)), r.shape))
        b = np.array(np.unravel_index(int(np.argmax(lb)), lb.shape))
        d = (a - b + g / 2) % g - g / 2
        out.append(float(np.hypot(*d)))
    return np.asarray(out)


def _export(net, out, ref_f, srch_f, data, cl, n_val, width, out_ch, teacher, tfeat,
            epochs, seed, history, seconds, cf_response) -> dict:
    import tensorflow as tf

    from ..runtime.interpreter import load_model

    val = slice(len(ref_f) - n_val, len(ref_f))
    feats = net(ref_f[: min(len(ref_f), 256)], training=False).numpy()
    rms = float(np.sqrt(np.mean(feats ** 2)) + 1e-6)
    f_err = _peak_error(cf_response(net(ref_f[val], training=False),
                                    net(srch_f[val], training=False), cl[val]).numpy(),
                        data["label"][val])
    # full-integer int8; input x/255 in [0, 1] quantized with scale 1/255, zero -128
    conv = tf.lite.TFLiteConverter.from_keras_model(net)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    rep = ref_f[:: max(1, len(ref_f) // 200)]

    def gen():
        for x in rep:
            yield [x[None]]
    conv.representative_dataset = gen
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    blob = conv.convert()
    os.makedirs(os.path.dirname(os.path.abspath(out)) or ".", exist_ok=True)
    with open(out, "wb") as fh:
        fh.write(blob)
    meta = {"kind": "sot_features", "input_size": [PATCH, PATCH], "channels": "rgb",
            "mean": [0.0, 0.0, 0.0], "scale": [1 / 255.0] * 3, "stride": STRIDE,
            "feature_scale": 1.0 / rms, "out_channels": out_ch, "width": width,
            "quantization": "int8", "teacher": os.path.basename(teacher),
            "teacher_feature": tfeat, "epochs": epochs, "seed": seed}
    with open(os.path.splitext(out)[0] + ".json", "w", encoding="utf-8") as fh:
        json.dump(meta, fh, indent=1, sort_keys=True)
        fh.write("\n")
    # int8 check on the held-out pairs through LiteRT (the run-time path)
    m = load_model(out, num_threads=1)
    q = np.stack([m.run(m.quantize_input(x[None]))[0][0] for x in np.concatenate(
        [ref_f[val], srch_f[val]])])
    q_err = _peak_error(cf_response(tf.constant(q[:n_val]), tf.constant(q[n_val:]),
                                    cl[val]).numpy(), data["label"][val])
    report = {"pairs": len(ref_f), "held_out_pairs": int(n_val),
              "float_peak_error_cells_mean": round(float(f_err.mean()), 3),
              "int8_peak_error_cells_mean": round(float(q_err.mean()), 3),
              "int8_within_1_cell": round(float(np.mean(q_err <= 1.0)), 3),
              "model_bytes": len(blob), "train_seconds": round(seconds, 1),
              "history": history, "metadata": meta}
    with open(os.path.splitext(out)[0] + ".report.json", "w", encoding="utf-8") as fh:
        json.dump(report, fh, indent=1)
    log.info("sot distill: wrote %s (%d bytes); held-out peak error float %.2f, int8 %.2f "
             "cells", out, len(blob), f_err.mean(), q_err.mean())
    return report
