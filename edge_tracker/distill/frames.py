"""Training frames: videos or image folders, a fraction of each, cached preprocessed.

A frame set is described by :class:`FrameSource` (path + the fraction range of its
frames to use, e.g. the first 70 % of a clip). :func:`load_frames` decodes them once
and keeps, per frame, the source-size BGR image only as long as needed: the cache
stores the student's preprocessed input (stretch-resized RGB uint8, (H_in, W_in, 3))
in ``CACHE/frames_<key>.npz`` so later runs skip video decoding.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from ..errors import EdgeTrackerError

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp")


@dataclass(frozen=True)
class FrameSource:
    """``path``: a video file or a folder of images (sorted by name).
    ``start``, ``end``: fraction range of the frames to use, 0 <= start < end <= 1."""

    path: str
    start: float = 0.0
    end: float = 1.0

    @property
    def key(self) -> str:
        st = os.stat(self.path)
        raw = f"{os.path.abspath(self.path)}|{st.st_size}|{self.start:.4f}|{self.end:.4f}"
        return hashlib.sha1(raw.encode()).hexdigest()[:16]


def parse_frames_arg(text: str) -> FrameSource:
    """``PATH`` or ``PATH@START:END`` (fractions), e.g. ``clip.mp4@0:0.7``."""
    path, _, rng = text.partition("@")
    if not os.path.exists(path):
        raise EdgeTrackerError(f"--frames {text}: no such file or folder")
    if not rng:
        return FrameSource(path)
    try:
        a, b = (float(v) for v in rng.split(":"))
    except ValueError as exc:
        raise EdgeTrackerError(f"--frames {text}: range must be START:END fractions") from exc
    if not 0.0 <= a < b <= 1.0:
        raise EdgeTrackerError(f"--frames {text}: need 0 <= START < END <= 1, got {a}:{b}")
    return FrameSource(path, a, b)


def _image_paths(folder: str) -> list[str]:
    names = sorted(n for n in os.listdir(folder) if n.lower().endswith(IMAGE_EXTS))
    return [os.path.join(folder, n) for n in names]


def count_frames(src: FrameSource) -> int:
    if os.path.isdir(src.path):
        return len(_image_paths(src.path))
    cap = cv2.VideoCapture(src.path)
    n = 0
    while cap.grab():  # exact count (CAP_PROP_FRAME_COUNT is an estimate for some codecs)
        n += 1
    cap.release()
    return n


def frame_range(src: FrameSource, total: int) -> range:
    """Indices of the frames selected by the fraction range (first 70 % = [0, floor(.7 n)))."""
    return range(int(np.floor(src.start * total)), int(np.floor(src.end * total)))


def iter_frames(src: FrameSource) -> Iterator[tuple[int, np.ndarray]]:
    """(frame index in the clip, BGR uint8 image (H, W, 3)) of the selected range."""
    total = count_frames(src)
    sel = frame_range(src, total)
    if len(sel) == 0:
        raise EdgeTrackerError(f"frames {src.path}: the range {src.start}:{src.end} of "
                               f"{total} frames is empty")
    if os.path.isdir(src.path):
        paths = _image_paths(src.path)
        for i in sel:
            img = cv2.imread(paths[i], cv2.IMREAD_COLOR)
            if img is None:
                raise EdgeTrackerError(f"cannot read image {paths[i]}")
            yield i, img
        return
    cap = cv2.VideoCapture(src.path)
    if not cap.isOpened():
        raise EdgeTrackerError(f"cannot open video {src.path}")
    i = 0
    try:
        while i < sel.stop:
            ok, img = cap.read()
            if not ok:
                break
            if i >= sel.start:
                yield i, img
            i += 1
    finally:
        cap.release()


def to_student_input(img_bgr: np.ndarray, in_w: int, in_h: int) -> np.ndarray:
    """Stretch-resize and BGR->RGB: (H_in, W_in, 3) uint8 (the toolkit's preprocessing)."""
    small = cv2.resize(img_bgr, (in_w, in_h), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(small[:, :, ::-1])


def load_student_inputs(src: FrameSource, in_w: int, in_h: int, cache_dir: str | None
                        ) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """(images (N, H_in, W_in, 3) uint8 RGB, frame indices (N,) int64, source (w, h))."""
    path = None
    if cache_dir:
        os.makedirs(cache_dir, exist_ok=True)
        path = os.path.join(cache_dir, f"frames_{src.key}_{in_w}x{in_h}.npz")
        if os.path.isfile(path):
            z = np.load(path)
            return z["images"], z["index"], (int(z["src_wh"][0]), int(z["src_wh"][1]))
    imgs, idx, wh = [], [], (0, 0)
    for i, img in iter_frames(src):
        wh = (img.shape[1], img.shape[0])
        imgs.append(to_student_input(img, in_w, in_h))
        idx.append(i)
    images = np.stack(imgs).astype(np.uint8)
    index = np.asarray(idx, np.int64)
    if path:
        np.savez(path, images=images, index=index, src_wh=np.asarray(wh, np.int64))
    return images, index, wh
