"""Run OpenCV's CSRT / KCF / MOSSE trackers on an OTB sequence (peer baselines).

Runs in a SEPARATE interpreter that has ``opencv-contrib-python-headless`` (the project's
venv has ``opencv-python-headless``; both install the same ``cv2`` package, so they cannot
live in one venv). ``benchmarks/sot_otb.py`` creates that venv and calls this script; it
needs only cv2 and NumPy, never edge_tracker.

Usage: python sot_peers_worker.py --frames LIST.txt --init x,y,w,h [--threads 1]
Prints one JSON object: {name: {"boxes": [[x,y,w,h], ...], "seconds": float}}; boxes are
OTB xywh per frame (frame 0 = the init box); seconds = init + update calls only.
"""

from __future__ import annotations

import argparse
import json
import time


def _factory(cv2, name: str):
    """Tracker constructor: cv2.TrackerX_create (new API) or cv2.legacy.TrackerX_create."""
    new = {"csrt": "TrackerCSRT_create", "kcf": "TrackerKCF_create"}
    if name in new and hasattr(cv2, new[name]):
        return getattr(cv2, new[name])
    legacy = {"csrt": "TrackerCSRT_create", "kcf": "TrackerKCF_create",
              "mosse": "TrackerMOSSE_create"}
    return getattr(cv2.legacy, legacy[name])


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--frames", required=True, help="text file: one image path per line")
    p.add_argument("--init", required=True, help="x,y,w,h of frame 0")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--trackers", default="csrt,kcf,mosse")
    args = p.parse_args()
    import cv2
    cv2.setNumThreads(args.threads)
    with open(args.frames, encoding="utf-8") as fh:
        paths = [ln.strip() for ln in fh if ln.strip()]
    images = [cv2.imread(pth, cv2.IMREAD_COLOR) for pth in paths]
    x, y, w, h = (float(v) for v in args.init.split(","))
    out = {"opencv": cv2.__version__}
    for name in args.trackers.split(","):
        tracker = _factory(cv2, name)()
        box = (round(x), round(y), round(w), round(h))
        boxes = [[x, y, w, h]]
        t0 = time.perf_counter()
        tracker.init(images[0], box)
        for img in images[1:]:
            ok, b = tracker.update(img)
            boxes.append([float(v) for v in b] if ok else list(boxes[-1]))
        seconds = time.perf_counter() - t0
        out[name] = {"boxes": boxes, "seconds": seconds}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
