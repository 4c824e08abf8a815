"""Synthetic scenes for the single-object tracker tests: a textured object moving over a
static textured background at known (sub-pixel) positions and sizes."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def texture(h: int, w: int, seed: int, blur: float = 2.0) -> np.ndarray:
    """(h, w, 3) uint8 smooth random colour texture."""
    rng = np.random.default_rng(seed)
    t = rng.random((h, w, 3)).astype(np.float32)
    t = cv2.GaussianBlur(t, (0, 0), blur)
    t = (t - t.min()) / (t.max() - t.min() + 1e-6)
    return (t * 255).astype(np.uint8)


def render(bg: np.ndarray, obj: np.ndarray, cx: float, cy: float, w: float, h: float
           ) -> np.ndarray:
    """``bg`` with ``obj`` resampled to a (w x h) box centred on (cx, cy) (sub-pixel)."""
    oh, ow = obj.shape[:2]
    sx, sy = w / ow, h / oh
    # pixel-centre convention: object pixel centre (u + 0.5) maps to x = cx - w/2 + sx (u + 0.5)
    m = np.array([[sx, 0, cx - w / 2 + 0.5 * sx - 0.5], [0, sy, cy - h / 2 + 0.5 * sy - 0.5]])
    H, W = bg.shape[:2]
    warped = cv2.warpAffine(obj, m, (W, H), flags=cv2.INTER_LINEAR)
    mask = cv2.warpAffine(np.ones((oh, ow), np.float32), m, (W, H), flags=cv2.INTER_LINEAR)
    out = bg.astype(np.float32) * (1 - mask[..., None]) + warped.astype(np.float32) * mask[..., None]
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def scene(n: int, start=(80.0, 70.0), velocity=(0.0, 0.0), size=(30.0, 40.0),
          scale_per_frame: float = 1.0, shape=(160, 200), seed: int = 0):
    """(frames list of (H, W, 3) uint8, boxes (n, 4) xywh ground truth)."""
    bg = texture(shape[0], shape[1], seed + 100, blur=3.0)
    obj = texture(64, 64, seed, blur=2.0)
    frames, boxes = [], []
    for i in range(n):
        cx = start[0] + velocity[0] * i
        cy = start[1] + velocity[1] * i
        s = scale_per_frame ** i
        w, h = size[0] * s, size[1] * s
        frames.append(render(bg, obj, cx, cy, w, h))
        boxes.append((cx - w / 2, cy - h / 2, w, h))
    return frames, np.asarray(boxes, np.float64)
