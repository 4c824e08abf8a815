"""OTB one-pass evaluation of the correlation-filter tracker, with OpenCV peers.

    python benchmarks/sot_otb.py --seq ../shared/data/sot/Crossing --json OUT.json \
        [--threads 1] [--plot OUT.png] [--features handcrafted|learned|hybrid|auto|MODEL] \
        [--repeats 3] [--variants handcrafted,learned,hybrid] [--peers-python PY | --no-peers]

Writes JSON: ``auc``, ``precision_20px``, ``fps``, ``frames``, ``success_curve``,
``features`` (of the main run, ``--features``), ``variants`` {kind: {auc,
precision_20px, fps}} for the other feature kinds, ``peers`` {csrt, kcf, mosse: {auc,
precision_20px, fps}}, ``goal`` (main run vs CSRT), ``machine``.

fps = frames / (seconds spent in the tracker's init + update calls), frames preloaded in
memory, one thread (cv2.setNumThreads, LiteRT num_threads, OMP/OpenBLAS env = 1). The
run is repeated ``--repeats`` times, ours and the peers interleaved, and the median fps
is reported (the machine is shared: a median of interleaved runs is a fair ratio).

Peers: OpenCV's CSRT, KCF and MOSSE live in ``opencv-contrib-python-headless``, which
installs the same ``cv2`` package as the project's ``opencv-python-headless``, so they
cannot share one venv. This script runs them in a subprocess
(benchmarks/sot_peers_worker.py) with a separate venv that it creates on first use:
``python -m venv $XDG_CACHE_HOME/edge-tracker/sot-peers-venv`` (default ~/.cache/...) then
``pip install opencv-contrib-python-headless==<the project's opencv-python-headless
version>`` (same OpenCV build number, so both sides decode frames identically).
``--peers-python`` uses an existing interpreter instead.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # before NumPy loads its BLAS

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

import cv2
import numpy as np

from edge_tracker.evaluation.otb import SUCCESS_THRESHOLDS, evaluate, load_groundtruth
from edge_tracker.sot.tracker import (
    CorrelationTracker,
    SotConfig,
    default_feature_model,
)

PEERS = ("csrt", "kcf", "mosse")
WORKER = Path(__file__).resolve().parent / "sot_peers_worker.py"


def list_frames(seq: Path) -> list[Path]:
    img = seq / "img"
    frames = sorted(p for p in img.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    if not frames:
        raise SystemExit(f"sot_otb: no images in {img}")
    return frames


def peers_python(explicit: str | None) -> str:
    """Interpreter with opencv-contrib: ``explicit`` or a cached venv created here."""
    if explicit:
        return explicit
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    venv = cache / "edge-tracker" / "sot-peers-venv"
    py = venv / "bin" / "python"
    version = metadata.version("opencv-python-headless")
    stamp = venv / "opencv-contrib.version"
    if py.exists() and stamp.exists() and stamp.read_text().strip() == version:
        return str(py)
    print(f"sot_otb: creating peers venv {venv} with opencv-contrib-python-headless=={version}",
          file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(py), "-m", "pip", "install", "-q",
                    f"opencv-contrib-python-headless=={version}"], check=True)
    stamp.write_text(version)
    return str(py)


def run_ours(images: list[np.ndarray], init: np.ndarray, cfg: SotConfig) -> tuple:
    """(boxes (N, 4) xywh, seconds in init + update, feature name)."""
    tracker = CorrelationTracker(cfg)
    boxes = [np.asarray(init, np.float64)]
    t0 = time.perf_counter()
    tracker.init(images[0], init)
    for img in images[1:]:
        boxes.append(np.asarray(tracker.update(img).box, np.float64))
    return np.stack(boxes), time.perf_counter() - t0, tracker.features.name


def run_peers(py: str, frames: list[Path], init: np.ndarray, threads: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
        fh.write("\n".join(str(p) for p in frames))
        lst = fh.name
    try:
        env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
        out = subprocess.run([py, str(WORKER), "--frames", lst, "--threads", str(threads),
                              "--init", ",".join(f"{v:g}" for v in init)],
                             check=True, capture_output=True, text=True, env=env)
    finally:
        os.unlink(lst)
    return json.loads(out.stdout)


def features_config(value: str) -> dict:
    if value in ("auto", "handcrafted", "learned", "hybrid"):
        return {"features": value}
    return {"features": "learned", "feature_model": value}


def plot(path: str, curves: dict[str, tuple[float, list[float]]], seq: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 4))
    for name, (auc, curve) in sorted(curves.items(), key=lambda kv: -kv[1][0]):
        ax.plot(SUCCESS_THRESHOLDS, curve, label=f"{name} [{auc:.3f}]")
    ax.set_xlabel("overlap threshold")
    ax.set_ylabel("success rate")
    ax.set_title(f"OTB success plot: {seq}")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.legend(loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seq", required=True, help="OTB sequence folder (img/, groundtruth_rect.txt)")
    p.add_argument("--json", required=True, help="output JSON path")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--plot", default=None, help="success plot PNG path")
    p.add_argument("--features", default="handcrafted",
                   help="handcrafted | learned | hybrid | auto | MODEL (the main run)")
    p.add_argument("--repeats", type=int, default=3, help="interleaved runs; median fps")
    p.add_argument("--variants", default="handcrafted,learned,hybrid",
                   help="other feature kinds also measured (reported under 'variants'; "
                        "learned/hybrid only when the bundled net exists); '' = none")
    p.add_argument("--peers-python", default=None, help="python with opencv-contrib")
    p.add_argument("--no-peers", action="store_true")
    args = p.parse_args(argv)

    cv2.setNumThreads(args.threads)
    seq = Path(args.seq)
    gt = load_groundtruth(seq / "groundtruth_rect.txt")
    frames = list_frames(seq)
    n = min(len(frames), len(gt))
    frames, gt = frames[:n], gt[:n]
    images = [cv2.imread(str(f), cv2.IMREAD_COLOR) for f in frames]
    cfg = SotConfig(num_threads=args.threads, **features_config(args.features))
    py = None if args.no_peers else peers_python(args.peers_python)
    have_net = default_feature_model() is not None
    variants = {v: SotConfig(num_threads=args.threads, features=v)
                for v in filter(None, args.variants.split(","))
                if v != cfg.features and (v == "handcrafted" or have_net)}
    var_secs: dict[str, list[float]] = {v: [] for v in variants}
    var_boxes: dict[str, np.ndarray] = {}
    var_names: dict[str, str] = {}

    ours_secs, peer_secs, peer_boxes = [], {k: [] for k in PEERS}, {}
    boxes = None
    feat_name = ""
    opencv_contrib = None
    for _ in range(max(1, args.repeats)):
        boxes, secs, feat_name = run_ours(images, gt[0], cfg)
        ours_secs.append(secs)
        for v, vcfg in variants.items():
            var_boxes[v], vsecs, var_names[v] = run_ours(images, gt[0], vcfg)
            var_secs[v].append(vsecs)
        if py:
            res = run_peers(py, frames, gt[0], args.threads)
            opencv_contrib = res.get("opencv")
            for k in PEERS:
                peer_secs[k].append(res[k]["seconds"])
                peer_boxes[k] = np.asarray(res[k]["boxes"], np.float64)

    ours = evaluate(boxes, gt)
    result = {
        "sequence": seq.name,
        "tracker": "context-aware DCF + DSST scale (edge_tracker.sot)",
        "features": feat_name,
        "auc": round(ours.auc, 4),
        "precision_20px": round(ours.precision_20px, 4),
        "fps": round(n / statistics.median(ours_secs), 1),
        "frames": n,
        "success_curve": [round(v, 4) for v in ours.success_curve],
        "repeats": len(ours_secs),
        "threads": args.threads,
        "peers": {},
        "machine": {"cpu_count": os.cpu_count(), "processor": platform.processor(),
                    "python": platform.python_version(), "opencv": cv2.__version__,
                    "opencv_contrib_peers": opencv_contrib},
    }
    curves = {f"ours ({feat_name})": (ours.auc, list(ours.success_curve))}
    result["variants"] = {}
    for v in variants:
        sv = evaluate(var_boxes[v], gt)
        result["variants"][v] = {"features": var_names[v], "auc": round(sv.auc, 4),
                                 "precision_20px": round(sv.precision_20px, 4),
                                 "fps": round(n / statistics.median(var_secs[v]), 1)}
        curves[f"ours ({v})"] = (sv.auc, list(sv.success_curve))
    for k in PEERS if py else ():
        s = evaluate(peer_boxes[k], gt)
        result["peers"][k] = {"auc": round(s.auc, 4), "precision_20px": round(s.precision_20px, 4),
                              "fps": round(n / statistics.median(peer_secs[k]), 1)}
        curves[k] = (s.auc, list(s.success_curve))
    if "csrt" in result["peers"]:
        c = result["peers"]["csrt"]
        result["goal"] = {"auc_ge_csrt": result["auc"] >= c["auc"],
                          "fps_ge_2x_csrt": result["fps"] >= 2.0 * c["fps"],
                          "fps_ratio_vs_csrt": round(result["fps"] / c["fps"], 2)}
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    with open(args.json, "w", encoding="utf-8") as fh:
        json.dump(result, fh, indent=2)
    if args.plot:
        plot(args.plot, curves, seq.name)
    print(json.dumps({k: v for k, v in result.items() if k not in ("success_curve", "machine")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
