"""Image folders: sorted by file name, unreadable files counted and skipped."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge_tracker.errors import SourceError
from edge_tracker.sources import SourceConfig, open_source
from edge_tracker.sources.images import list_images

from .helpers import pull


def write(path, value, size=(8, 6)):
    assert cv2.imwrite(str(path), np.full((size[1], size[0], 3), value, np.uint8))
    return path


def test_folder_is_read_in_name_order_and_bad_files_are_skipped(tmp_path):
    write(tmp_path / "b_002.png", 20)
    write(tmp_path / "a_001.png", 10)
    write(tmp_path / "c_003.jpg", 30, size=(16, 12))          # a different size is fine
    (tmp_path / "b_0025.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")   # corrupt image
    (tmp_path / "notes.txt").write_text("ignored: not an image extension")
    cfg = SourceConfig(uri=str(tmp_path), fps=5.0)
    assert cfg.kind == "images"
    src = open_source(cfg).start()
    frames = pull(src, 20)
    src.stop()
    assert [int(f.image[0, 0, 0]) for f in frames] == [10, 20, 30]
    assert [f.index for f in frames] == [0, 1, 2]
    assert [f.shape for f in frames] == [(6, 8), (6, 8), (12, 16)]
    assert src.frames_corrupt == 1 and src.frames_dropped == 0 and src.finished
    # media time: frame n at n / fps (the corrupt file keeps its slot, 0.4 s)
    t0 = frames[0].t_capture
    assert [round(f.t_capture - t0, 6) for f in frames] == [0.0, 0.2, 0.6]


def test_glob_pattern_selects_files(tmp_path):
    for i in range(3):
        write(tmp_path / f"f{i}.png", i)
    write(tmp_path / "other.jpg", 99)
    assert [p.rsplit("/", 1)[1] for p in list_images(str(tmp_path / "f*.png"))] == \
        ["f0.png", "f1.png", "f2.png"]
    assert SourceConfig(uri=str(tmp_path / "f*.png")).kind == "images"


@pytest.mark.parametrize("setup,message", [
    (lambda d: d / "missing", "does not exist"),
    (lambda d: d, "no images"),
])
def test_missing_or_empty_folder_is_a_source_error(tmp_path, setup, message):
    with pytest.raises(SourceError, match=message):
        open_source(SourceConfig(type="images", uri=str(setup(tmp_path)))).start()
