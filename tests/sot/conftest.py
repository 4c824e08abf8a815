from __future__ import annotations

from pathlib import Path

import pytest

from .synth import DATA


@pytest.fixture
def crossing_dir() -> Path:
    d = DATA / "sot" / "Crossing"
    if not (d / "groundtruth_rect.txt").is_file():
        pytest.skip(f"../shared/data absent: {d} not found (OTB Crossing sequence)")
    return d
