"""A folder (or glob pattern) of images, read in sorted file-name order (not live).

Unreadable files (truncated, not an image) are returned as corrupt frames (``None``):
the reader counts and skips them. Frame times are ``n / fps`` (fps from the config,
else 30).
"""

from __future__ import annotations

import glob
import os

from ..errors import SourceError
from .base import Backend, Captured, EndOfStream
from .urls import IMAGE_EXTENSIONS

# Rate assumed for image folders when the config gives none (frames/s).
DEFAULT_FPS = 30.0


def list_images(where: str) -> list[str]:
    """Image files of a folder (by extension) or of a glob pattern, sorted by name."""
    if os.path.isdir(where):
        names = [os.path.join(where, n) for n in os.listdir(where)]
    else:
        names = glob.glob(where)
    return sorted(p for p in names
                  if os.path.isfile(p) and os.path.splitext(p)[1].lower() in IMAGE_EXTENSIONS)


class ImageFolderBackend(Backend):
    """Images of a folder, one frame each."""

    live = False

    def __init__(self, where: str, fps: float | None = None) -> None:
        self.where = where
        self.fps = fps or DEFAULT_FPS
        self._files: list[str] = []
        self._pos = 0

    def describe(self) -> str:
        return f"images {self.where}"

    def open(self) -> None:
        if not os.path.isdir(self.where) and not any(c in self.where for c in "*?["):
            raise SourceError(f"image folder {self.where} does not exist")
        self._files = list_images(self.where)
        if not self._files:
            raise SourceError(f"image folder {self.where}: no images "
                              f"({', '.join(IMAGE_EXTENSIONS)})")
        self._pos = 0

    def read(self) -> Captured | None:
        import cv2

        if self._pos >= len(self._files):
            raise EndOfStream(self.where)
        path = self._files[self._pos]
        t = self._pos / self.fps
        self._pos += 1
        image = cv2.imread(path, cv2.IMREAD_COLOR)
        if image is None:
            return None
        return Captured(image, t_media=t)

    def close(self) -> None:
        self._files = []
