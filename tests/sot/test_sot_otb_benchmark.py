"""benchmarks/sot_otb.py on a small synthetic OTB folder (schema, not speed)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import cv2
import pytest

from .synth import scene

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "sot_otb.py"


def load_script():
    spec = importlib.util.spec_from_file_location("sot_otb", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture
def otb_seq(tmp_path):
    frames, gt = scene(8, velocity=(1.5, -1.0))
    seq = tmp_path / "Synthetic"
    (seq / "img").mkdir(parents=True)
    for i, f in enumerate(frames, 1):
        cv2.imwrite(str(seq / "img" / f"{i:04d}.png"), f)
    (seq / "groundtruth_rect.txt").write_text(
        "\n".join("\t".join(f"{v:.2f}" for v in b) for b in gt) + "\n")
    return seq


def test_benchmark_json_without_peers(otb_seq, tmp_path):
    out = tmp_path / "r.json"
    png = tmp_path / "r.png"
    assert load_script().main(["--seq", str(otb_seq), "--json", str(out), "--no-peers",
                               "--features", "handcrafted", "--repeats", "1",
                               "--plot", str(png)]) == 0
    r = json.loads(out.read_text())
    assert {"auc", "precision_20px", "fps", "frames", "peers"} <= set(r)
    assert r["frames"] == 8 and r["peers"] == {}
    assert 0.5 < r["auc"] <= 1.0 and r["precision_20px"] == 1.0 and r["fps"] > 0
    assert len(r["success_curve"]) == 21
    assert png.stat().st_size > 0
