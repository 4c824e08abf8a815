"""Distillation losses (TensorFlow). Tensors are NHWC float32.

- :func:`soft_focal_heatmap`: focal loss for soft targets y in [0, 1] (the teacher's
  score-scaled Gaussians): ``-|y - p|^gamma * (y log p + (1 - y) log(1 - p))``,
  summed and divided by the number of object centres (>= 1). With gamma = 2 this is
  the "quality focal loss" of Li et al. (GFL, 2020); for hard 0/1 targets it reduces
  to the classic focal loss (alpha = 1).
- :func:`masked_l1`: L1 on size/offset at centre cells only, divided by their count.
- :func:`attention_maps` / :func:`attention_transfer`: Zagoruyko & Komodakis (2017):
  A = mean over channels of F^2, flattened and L2-normalised per image; the loss is
  the mean over images of ||A_s - A_t||_2. Channel counts of student and teacher may
  differ; grids must match (the teacher's maps are resampled when cached).
- :func:`fidelity`: MSE between a 1x1-adapted student feature map and the teacher's
  (Wang et al.'s fidelity loss); the adapter is a trainable layer passed in.
"""

from __future__ import annotations

import tensorflow as tf

EPS = 1e-6


def soft_focal_heatmap(pred: tf.Tensor, target: tf.Tensor, mask: tf.Tensor,
                       gamma: float = 2.0) -> tf.Tensor:
    """pred, target (B,H,W,C) in [0,1]; mask (B,H,W,1) 1 at centres (for normalisation)."""
    p = tf.clip_by_value(pred, EPS, 1.0 - EPS)
    bce = -(target * tf.math.log(p) + (1.0 - target) * tf.math.log(1.0 - p))
    w = tf.pow(tf.abs(target - p), gamma)
    return tf.reduce_sum(w * bce) / tf.maximum(tf.reduce_sum(mask), 1.0)


def masked_l1(pred: tf.Tensor, target: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
    """pred, target (B,H,W,2); mask (B,H,W,1). Mean absolute error over centre cells
    (sum over both channels)."""
    return tf.reduce_sum(tf.abs(pred - target) * mask) / tf.maximum(tf.reduce_sum(mask), 1.0)


def attention_maps(feat: tf.Tensor) -> tf.Tensor:
    """(B,H,W,C) -> (B,H*W) L2-normalised spatial attention (mean of squares over C)."""
    a = tf.reduce_mean(tf.square(feat), axis=-1)
    a = tf.reshape(a, (tf.shape(a)[0], -1))
    return tf.math.l2_normalize(a, axis=1, epsilon=1e-12)


def attention_transfer(student_feat: tf.Tensor, teacher_att: tf.Tensor) -> tf.Tensor:
    """student_feat (B,H,W,Cs); teacher_att (B,H*W) from :func:`attention_maps` of the
    teacher's features (precomputed). Mean over the batch of the L2 distance."""
    d = attention_maps(student_feat) - teacher_att
    return tf.reduce_mean(tf.sqrt(tf.reduce_sum(tf.square(d), axis=1) + 1e-12))


def fidelity(adapted_student: tf.Tensor, teacher_feat: tf.Tensor) -> tf.Tensor:
    """MSE between (B,H,W,Ct) adapted student features and (B,H,W,Ct) teacher features."""
    return tf.reduce_mean(tf.square(adapted_student - teacher_feat))


def detection_loss(outputs: dict, targets: dict, size_weight: float = 0.1,
                   offset_weight: float = 1.0) -> dict:
    """The CenterNet task loss terms (weights from the CenterNet paper: size 0.1, offset 1).

    outputs: heatmap/size/offset tensors; targets: the same keys plus ``mask``.
    Returns {'heatmap', 'size', 'offset', 'det'} scalar tensors (det = weighted sum).
    """
    mask = targets["mask"]
    hm = soft_focal_heatmap(outputs["heatmap"], targets["heatmap"], mask)
    sz = masked_l1(outputs["size"], targets["size"], mask)
    of = masked_l1(outputs["offset"], targets["offset"], mask)
    return {"heatmap": hm, "size": sz, "offset": of,
            "det": hm + size_weight * sz + offset_weight * of}
