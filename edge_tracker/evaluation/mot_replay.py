"""``edge-tracker eval mot``: replay MOTChallenge public detections through the tracker.

For every sequence folder in DIR with ``det/det.txt`` and ``seqinfo.ini``:
detections of frame f (1-based) are fed at ``t = (f - 1) / frameRate`` seconds, the
tracker's output is written to ``OUT/<SEQ>.txt`` (``frame,id,x,y,w,h,score,-1,-1,-1``),
and the CPU time of each ``Tracker.update`` call is measured (``time.process_time``).
With ``gt/gt.txt`` present, HOTA / MOTA / IDF1 (official TrackEval semantics, see
:mod:`.mot_metrics`) are computed per sequence and combined.

Library entry: :func:`replay_mot` (typed arguments); the CLI glue is
:func:`add_arguments` / :func:`main_eval_mot` (called by ``commands/eval.py``).
"""

from __future__ import annotations

import configparser
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import EdgeTrackerError
from ..types import Detections

log = logging.getLogger(__name__)


@dataclass
class MotSequence:
    """One sequence's public detections grouped by frame."""

    name: str
    path: Path
    fps: float
    num_frames: int
    frames: list[np.ndarray]   # per 1-based frame f at index f-1: (N, 5) x1,y1,x2,y2,score


def load_sequence(seq_dir: str | Path) -> MotSequence:
    """Read ``seqinfo.ini`` and ``det/det.txt`` (rows ``frame,-1,x,y,w,h,score,...``)."""
    seq_dir = Path(seq_dir)
    ini = configparser.ConfigParser()
    if not ini.read(seq_dir / "seqinfo.ini"):
        raise EdgeTrackerError(f"{seq_dir / 'seqinfo.ini'}: missing or unreadable")
    try:
        fps = float(ini["Sequence"]["frameRate"])
        length = int(ini["Sequence"]["seqLength"])
    except (KeyError, ValueError) as exc:
        raise EdgeTrackerError(f"{seq_dir / 'seqinfo.ini'}: needs [Sequence] frameRate and "
                               f"seqLength ({exc})") from exc
    det_path = seq_dir / "det" / "det.txt"
    try:
        raw = np.loadtxt(det_path, delimiter=",", ndmin=2)
    except (OSError, ValueError) as exc:
        raise EdgeTrackerError(f"{det_path}: cannot read detections ({exc})") from exc
    frames: list[np.ndarray] = []
    if raw.size:
        f = raw[:, 0].astype(int)
        boxes = np.stack([raw[:, 2], raw[:, 3], raw[:, 2] + raw[:, 4], raw[:, 3] + raw[:, 5],
                          raw[:, 6]], axis=1).astype(np.float32)
        order = np.argsort(f, kind="stable")
        f, boxes = f[order], boxes[order]
        cuts = np.searchsorted(f, np.arange(1, length + 2))
        frames = [boxes[cuts[i]:cuts[i + 1]] for i in range(length)]
    else:
        frames = [np.zeros((0, 5), np.float32) for _ in range(length)]
    return MotSequence(seq_dir.name, seq_dir, fps, length, frames)


def find_sequences(root: str | Path) -> list[Path]:
    """Sequence folders under ``root`` (or ``root`` itself) holding det/det.txt."""
    root = Path(root)
    if (root / "det" / "det.txt").is_file():
        return [root]
    seqs = sorted(p for p in root.iterdir() if (p / "det" / "det.txt").is_file()) \
        if root.is_dir() else []
    if not seqs:
        raise EdgeTrackerError(f"{root}: no sequence folders with det/det.txt found")
    return seqs


def track_sequence(seq: MotSequence, cfg=None) -> tuple[np.ndarray, np.ndarray]:
    """Run a fresh tracker over a sequence.

    Returns MOT rows (R, 10) float64 ``frame,id,x,y,w,h,score,-1,-1,-1`` and the CPU
    seconds of every update call (num_frames,).
    """
    from ..track.tracker import Tracker, TrackerConfig

    tracker = Tracker(cfg or TrackerConfig())
    rows = []
    cpu = np.zeros(seq.num_frames)
    clock = time.process_time
    for i, fr in enumerate(seq.frames):
        dets = Detections(fr[:, :4], fr[:, 4], np.zeros(len(fr), np.int32), frame_index=i)
        t = i / seq.fps
        t0 = clock()
        views = tracker.update(dets, t)
        cpu[i] = clock() - t0
        if views:
            r = np.full((len(views), 10), -1.0)
            r[:, 0] = i + 1
            r[:, 1] = [v.id for v in views]
            b = np.array([v.box for v in views])
            r[:, 2:4] = b[:, :2]
            r[:, 4:6] = b[:, 2:] - b[:, :2]
            r[:, 6] = [v.score for v in views]
            rows.append(r)
    out = np.concatenate(rows) if rows else np.zeros((0, 10))
    return out, cpu


def write_mot(path: str | Path, rows: np.ndarray) -> None:
    """Write MOT rows (R, 10) as ``frame,id,x,y,w,h,score,-1,-1,-1``."""
    lines = [f"{int(r[0])},{int(r[1])},{r[2]:.2f},{r[3]:.2f},{r[4]:.2f},{r[5]:.2f},"
             f"{r[6]:.3f},-1,-1,-1" for r in rows]
    Path(path).write_text("\n".join(lines) + ("\n" if lines else ""))


def replay_mot(det_dir: str | Path, out_dir: str | Path, cfg=None,
               evaluate: bool = True) -> dict:
    """Replay every sequence in ``det_dir``; write ``out_dir/<SEQ>.txt``; return a summary.

    Summary keys: ``sequences`` (per-sequence dict with frames, per_frame_us_mean and
    metrics), ``per_frame_us_mean``, ``per_frame_us_p99``, ``frames`` and — when every
    sequence has ``gt/gt.txt`` and ``evaluate`` — ``HOTA``, ``MOTA``, ``IDF1`` (percent)
    plus DetA, AssA, IDSW, ... over all sequences.
    """
    from . import mot_metrics as mm

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    per_seq: dict[str, dict] = {}
    counts = []
    all_cpu = []
    for path in find_sequences(det_dir):
        seq = load_sequence(path)
        rows, cpu = track_sequence(seq, cfg)
        write_mot(out_dir / f"{seq.name}.txt", rows)
        all_cpu.append(cpu)
        info = {"frames": seq.num_frames, "per_frame_us_mean": float(cpu.mean() * 1e6),
                "tracks": len(np.unique(rows[:, 1])) if len(rows) else 0}
        gt_path = path / "gt" / "gt.txt"
        if evaluate and gt_path.is_file():
            c = mm.evaluate_sequence(mm.load_mot_file(gt_path), rows, seq.num_frames)
            counts.append(c)
            info.update(_percent(mm.summarize(c)))
        per_seq[seq.name] = info
        log.info("%s: %s", seq.name, {k: round(v, 2) if isinstance(v, float) else v
                                      for k, v in info.items()})
    cpu = np.concatenate(all_cpu)
    summary: dict = {"per_frame_us_mean": float(cpu.mean() * 1e6),
                     "per_frame_us_p99": float(np.percentile(cpu, 99) * 1e6),
                     "frames": int(cpu.size), "timer": "time.process_time around update"}
    if counts and len(counts) == len(per_seq):
        summary.update(_percent(mm.summarize(mm.combine(counts))))
    summary["sequences"] = per_seq
    return summary


def _percent(m: dict) -> dict:
    keys_pct = ("HOTA", "DetA", "AssA", "DetRe", "DetPr", "AssRe", "AssPr", "LocA", "MOTA",
                "MOTP", "IDF1", "IDR", "IDP")
    out = {k: round(100.0 * m[k], 3) for k in keys_pct}
    out.update({k: int(m[k]) for k in ("IDSW", "CLR_FP", "CLR_FN", "IDTP", "IDFP", "IDFN",
                                       "MT", "ML", "Frag")})
    return out


# -- CLI glue (commands/eval.py calls these lazily) -----------------------------------------
def add_arguments(parser) -> None:
    """Arguments of ``edge-tracker eval mot``."""
    parser.add_argument("--det-replay", required=True, metavar="DIR",
                        help="MOTChallenge folder: sequences with det/det.txt and seqinfo.ini")
    parser.add_argument("--out-dir", required=True, metavar="OUT",
                        help="folder for OUT/<SEQ>.txt tracker results (MOT format)")
    parser.add_argument("--json", default=None, metavar="SUMMARY",
                        help="write the summary (timing, HOTA/MOTA/IDF1) as JSON here")
    parser.add_argument("--config", default=None, metavar="TRACKER_YAML",
                        help="YAML mapping of TrackerConfig keys (or a full config with a "
                             "'tracker' section); default: built-in TrackerConfig")
    parser.add_argument("--no-metrics", action="store_true",
                        help="skip HOTA/MOTA/IDF1 even when gt/gt.txt exists")


def load_tracker_config(path: str | None):
    """TrackerConfig from a YAML file (a mapping of its keys, or an app config's
    ``tracker`` section); defaults when ``path`` is None."""
    from ..configbase import build
    from ..errors import ConfigError
    from ..track.tracker import TrackerConfig

    if path is None:
        return TrackerConfig()
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(str(path), f"cannot read YAML: {exc}") from exc
    if isinstance(data, dict) and isinstance(data.get("tracker"), dict):
        data = data["tracker"]
    return build(TrackerConfig, data, "tracker")


def main_eval_mot(args) -> int:
    """``eval mot`` command body: namespace -> typed call of :func:`replay_mot`."""
    cfg = load_tracker_config(args.config)
    summary = replay_mot(args.det_replay, args.out_dir, cfg,
                         evaluate=not getattr(args, "no_metrics", False))
    brief = {k: summary[k] for k in ("HOTA", "MOTA", "IDF1", "per_frame_us_mean",
                                     "per_frame_us_p99") if k in summary}
    print(json.dumps({k: round(v, 2) for k, v in brief.items()}))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(summary, indent=2) + "\n")
    return 0
