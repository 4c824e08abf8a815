"""Input frames for benchmarks: a real frame from an image or video, or a synthetic one.

Decode time depends on the picture (how many candidates pass the score threshold), so
a benchmark should run on a real-looking frame. The synthetic frame is deterministic:
a smooth background with textured person-sized blobs, (H, W, 3) uint8 BGR.
"""

from __future__ import annotations

import os

import numpy as np

from ..errors import SourceError

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


def synthetic_frame(width: int = 960, height: int = 540, seed: int = 0) -> np.ndarray:
    """(height, width, 3) uint8 BGR: vertical gradient + noise + 12 upright rectangles."""
    rng = np.random.default_rng(seed)
    y = np.linspace(60, 200, height, dtype=np.float32)[:, None, None]
    img = np.broadcast_to(y, (height, width, 3)).astype(np.float32)
    img = img + rng.normal(0, 12, (height, width, 3)).astype(np.float32)
    for _ in range(12):
        h = int(rng.integers(height // 6, height // 2))
        w = max(h // 3, 4)
        x0 = int(rng.integers(0, max(width - w, 1)))
        y0 = int(rng.integers(0, max(height - h, 1)))
        color = rng.integers(0, 255, 3).astype(np.float32)
        img[y0:y0 + h, x0:x0 + w] = color + rng.normal(0, 20, (h, w, 3)).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def load_frame(path: str | None, index: int = 0, width: int = 960, height: int = 540
               ) -> tuple[np.ndarray, str]:
    """(image BGR uint8, description). ``path`` None -> synthetic frame of width x height.

    An image file is read as is; a video is read up to frame ``index`` (0-based; the
    last frame if the clip is shorter).
    """
    if path is None:
        return synthetic_frame(width, height), f"synthetic {width}x{height}"
    import cv2

    if not os.path.isfile(path):
        raise SourceError(f"benchmark frame source not found: {path}")
    if path.lower().endswith(IMAGE_EXTS):
        img = cv2.imread(path, cv2.IMREAD_COLOR)
        if img is None:
            raise SourceError(f"cannot decode image {path}")
        return img, f"{os.path.basename(path)}"
    cap = cv2.VideoCapture(path)
    try:
        if not cap.isOpened():
            raise SourceError(f"cannot open video {path}")
        frame = None
        for i in range(index + 1):
            ok, img = cap.read()
            if not ok:
                break
            frame, got = img, i
    finally:
        cap.release()
    if frame is None:
        raise SourceError(f"video {path} has no decodable frame")
    return frame, f"{os.path.basename(path)} frame {got}"
