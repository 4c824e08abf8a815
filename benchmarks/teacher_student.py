"""Teacher/student scheduling benchmark: accuracy against teacher compute, and latency isolation.

Replay mode (default): the video is replayed with a SimulatedClock that charges each
model its median latency measured in this same run (preprocess + invoke + decode,
one interpreter thread each). Frames arrive at the video's frame rate; the teacher
runs beside the student (SyncTeacherWorker) and its result is fused when the clock
has passed t_start + latency. Per-frame student and teacher detections are computed
once and cached (D/cache.npz, reused when the models and video match) so each policy
replays in well under a second.

Writes:
  D/reference.txt   the teacher on every frame through the same tracker (MOT format)
  D/<name>.txt      one MOT file per policy run
  D/summary.json    {"policies": [{name, policy, param, teacher_cost_fraction,
                     idf1_vs_reference, mota_vs_reference, ...}], latencies, ...}
  D/curve.png       IDF1 (solid) and MOTA (dashed) against teacher compute per policy

teacher_cost_fraction = teacher compute spent / compute of the teacher on every frame.
Accuracy is measured against the reference (its tracks are the ground truth), with
edge_tracker.evaluation.mot_metrics (MOTChallenge CLEAR-MOT and IDF1 semantics).

Each teacher policy is replayed at ``--phases`` start offsets (the teacher becomes
available at frame 0, 1, ..., P-1: PhasedScheduler) and accuracy is the mean over them:
which frames a rhythm happens to land on moves IDF1 by several points on a short clip
(one ID switch more or less), more than the differences between policies. The latencies
charged are the medians measured when the cache was built (``--no-cache`` re-measures;
``--latency-ms S,T`` charges fixed values instead, e.g. quiet-machine numbers).
``--teacher-set KEY=VALUE`` overrides a TeacherConfig key (validated like the YAML) for
every policy, so any configuration reported can be reproduced from the command line.

Latency isolation (``--latency-isolation``): real clock, student and teacher one thread
each, frames paced at the video's frame rate; alternating blocks of ``--latency-block``
frames with the teacher at a 25% budget and with no teacher (short blocks, so both
conditions see the same background load on a shared machine); reports student frame
latency p50/p99 of both in D/latency_isolation.json, and the p99 ratio in each third of
the run to show its spread (goal: p99 with teacher <= 1.25 x p99 without).

Usage:
  python benchmarks/teacher_student.py --video V --student S --teacher T --out-dir D \
      [--max-frames N] [--phases P] [--latency-ms S,T] [--teacher-set KEY=VALUE ...]
      [--latency-isolation] [--publish benchmarks/results]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

import cv2
import numpy as np

from edge_tracker.detect.detector import Detector, DetectorConfig
from edge_tracker.fuse.fusion import Fusion, FusionConfig
from edge_tracker.schedule.clock import MonotonicClock, SimulatedClock
from edge_tracker.schedule.policies import FrameContext, TeacherConfig, make_scheduler
from edge_tracker.schedule.teacher_worker import SyncTeacherWorker
from edge_tracker.service.pipeline import Pipeline
from edge_tracker.track.tracker import Tracker, TrackerConfig
from edge_tracker.types import Detections, Frame

THUMB = (64, 36)   # BGR thumbnail kept per frame for the scene-change trigger in replays
STUDENT_FLOOR = 0.2  # student detections cached down to this score (calibration's lower bound)


# ---------------------------------------------------------------------------- video + cache
def read_frames(video: str, max_frames: int | None):
    cap = cv2.VideoCapture(video)
    if not cap.isOpened():
        sys.exit(f"cannot open video {video}")
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    frames = []
    while max_frames is None or len(frames) < max_frames:
        ok, img = cap.read()
        if not ok:
            break
        frames.append(img)
    cap.release()
    return frames, float(fps)


def timed_detect(det: Detector, image: np.ndarray, index: int, origin: str):
    """(detections, wall seconds, this thread's CPU seconds) of preprocess+invoke+decode.

    With one interpreter thread the invoke runs in the calling thread, so the thread CPU
    time is the model's compute cost without the time spent waiting for a core that
    other processes hold (the dev machine is shared; wall medians swing 3-10x with load).
    """
    t0, c0 = time.perf_counter(), time.thread_time()
    out = det.detect(image, index, origin)
    return out, time.perf_counter() - t0, time.thread_time() - c0


def _pack(dets: list[Detections]) -> dict:
    n = np.array([len(d) for d in dets], np.int64)
    return {"n": n, "boxes": np.concatenate([d.boxes for d in dets]).reshape(-1, 4),
            "scores": np.concatenate([d.scores for d in dets]),
            "classes": np.concatenate([d.classes for d in dets])}


def _unpack(n, boxes, scores, classes, origin) -> list[Detections]:
    out, k = [], 0
    for i, c in enumerate(n):
        out.append(Detections(boxes[k:k + c], scores[k:k + c], classes[k:k + c], i, origin))
        k += c
    return out


def _key(*paths: str, extra: str = "") -> str:
    h = hashlib.sha1(extra.encode())
    for p in paths:
        st = os.stat(p)
        h.update(f"{os.path.abspath(p)}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()


def build_cache(args, out: Path):
    """Per-frame detections of both models, thumbnails and measured latencies."""
    key = _key(args.video, args.student, args.teacher,
               extra=f"{args.max_frames}:{STUDENT_FLOOR}:{args.teacher_score}:v2")
    path = out / "cache.npz"
    if path.exists() and not args.no_cache:
        z = np.load(path)
        if str(z["key"]) == key:
            load = z["load"].tolist() if "load" in z.files else "unknown"
            print(f"using cached detections {path} (latencies measured at load average "
                  f"{load}; --no-cache re-measures them)")
            return (_unpack(z["s_n"], z["s_boxes"], z["s_scores"], z["s_classes"], "student"),
                    _unpack(z["t_n"], z["t_boxes"], z["t_scores"], z["t_classes"], "teacher"),
                    list(z["thumbs"]), float(z["fps"]), z["s_lat"], z["t_lat"])
    frames, fps = read_frames(args.video, args.max_frames)
    student = Detector.from_config(DetectorConfig(model=args.student, num_threads=1,
                                                  score_threshold=STUDENT_FLOOR))
    teacher = Detector.from_config(DetectorConfig(model=args.teacher, num_threads=1,
                                                  score_threshold=args.teacher_score))
    s_dets, t_dets, s_lat, t_lat, thumbs = [], [], [], [], []
    for i, img in enumerate(frames):
        d, wall, cpu = timed_detect(student, img, i, "student")
        s_dets.append(d)
        s_lat.append((wall, cpu))
        d, wall, cpu = timed_detect(teacher, img, i, "teacher")
        t_dets.append(d)
        t_lat.append((wall, cpu))
        thumbs.append(cv2.resize(img, THUMB, interpolation=cv2.INTER_AREA))
    s_lat, t_lat = np.asarray(s_lat), np.asarray(t_lat)
    sp, tp = _pack(s_dets), _pack(t_dets)
    load = np.asarray(os.getloadavg())
    print(f"latencies measured at load average {load[0]:.2f}")
    np.savez_compressed(path, key=key, fps=fps, thumbs=np.stack(thumbs), s_lat=s_lat, load=load,
                        t_lat=t_lat, **{f"s_{k}": v for k, v in sp.items()},
                        **{f"t_{k}": v for k, v in tp.items()})
    return s_dets, t_dets, thumbs, fps, s_lat, t_lat


# ---------------------------------------------------------------------------- replay
class ReplayStudent:
    """Cached student detections behind the Detector interface; ``infer`` charges the clock."""

    has_prior_channel = False

    def __init__(self, dets: list[Detections], latency_s: float, clock: SimulatedClock) -> None:
        self.dets, self.latency_s, self.clock = dets, latency_s, clock

    def preprocess(self, image, prior=None):
        return [], None

    def infer(self, inputs):
        self.clock.advance(self.latency_s)
        return []

    def decode(self, outputs, info, frame_index=-1, origin="student"):
        return self.dets[frame_index]


def write_mot(path: Path, rows: list[tuple]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.writelines(f"{f},{tid},{x1:.2f},{y1:.2f},{x2 - x1:.2f},{y2 - y1:.2f},{s:.3f},-1,-1,-1\n" for f, tid, x1, y1, x2, y2, s in rows)


def track_rows(frame_index: int, tracks) -> list[tuple]:
    return [(frame_index + 1, tr.id, *tr.box, tr.score) for tr in tracks]


def run_reference(t_dets, fps, tracker_cfg) -> list[tuple]:
    tracker = Tracker(tracker_cfg)
    rows = []
    for i, d in enumerate(t_dets):
        rows += track_rows(i, tracker.update(d, i / fps))
    return rows


class PhasedScheduler:
    """A scheduler whose teacher becomes available only at frame ``offset``.

    Frames before it are skipped (reason ``phase``); from it on the inner scheduler sees
    frame indices counted from ``offset`` (``fixed`` runs on offset, offset + k, ...; the
    budget bucket starts filling there). Replaying every policy at several offsets
    averages out the luck of *which* frames a rhythm lands on: on the pedestrians clip
    one ID switch more or less moves IDF1 by several points, and fixed k=10 alone
    ranges 0.57-0.78 IDF1 over its 10 phases.
    """

    def __init__(self, inner, offset: int) -> None:
        self.inner, self.offset = inner, offset

    def _shift(self, ctx: FrameContext) -> FrameContext:
        return replace(ctx, frame_index=ctx.frame_index - self.offset)

    def decide(self, ctx: FrameContext):
        if ctx.frame_index < self.offset:
            return self.inner._skip("phase")
        return self.inner.decide(self._shift(ctx))

    def started(self, ctx: FrameContext, decision) -> None:
        self.inner.started(self._shift(ctx), decision)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def run_policy(s_dets, t_dets, thumbs, fps, s_lat, t_lat, tracker_cfg,
               teacher_cfg: TeacherConfig | None, fusion_cfg: FusionConfig, phase: int = 0):
    """Replay one configuration (teacher available from frame ``phase`` on); returns
    (MOT rows, teacher runs, pipeline)."""
    clock = SimulatedClock(0.0)
    student = ReplayStudent(s_dets, s_lat, clock)
    teacher = scheduler = None
    if teacher_cfg is not None:
        scheduler = make_scheduler(teacher_cfg)
        if phase:
            scheduler = PhasedScheduler(scheduler, phase)
        teacher = SyncTeacherWorker(lambda f: t_dets[f.index], lambda f: t_lat, clock,
                                    on_finished=scheduler.finished)
    pipe = Pipeline(student, Tracker(tracker_cfg), teacher, scheduler, Fusion(fusion_cfg),
                    None, clock, "bench", 1.0 / fps)
    rows = []
    for i, thumb in enumerate(thumbs):
        t = i / fps
        clock.advance_to(t)
        res = pipe.process(Frame(thumb, i, t, "bench"))
        rows += track_rows(i, res.tracks)
    return rows, (teacher.runs if teacher is not None else 0), pipe


# ---------------------------------------------------------------------------- evaluation
def _mot_array(rows: list[tuple], gt: bool) -> np.ndarray:
    """MOT rows (frame, id, x1, y1, x2, y2, score) -> MOTChallenge array (xywh; GT conf=1,
    class=1 pedestrian, visibility=1)."""
    a = np.asarray([(f, i, x1, y1, x2 - x1, y2 - y1, 1.0 if gt else s, 1.0 if gt else -1, 1.0)
                    for f, i, x1, y1, x2, y2, s in rows], np.float64)
    return a.reshape(-1, 9)


def evaluate(ref_rows: list[tuple], rows: list[tuple], num_frames: int) -> dict:
    """HOTA / MOTA / IDF1 of rows against the reference tracks as ground truth
    (edge_tracker.evaluation.mot_metrics: TrackEval semantics)."""
    from edge_tracker.evaluation import mot_metrics

    counts = mot_metrics.evaluate_sequence(_mot_array(ref_rows, True), _mot_array(rows, False),
                                           num_frames)
    m = mot_metrics.summarize(counts)
    return {"idf1": m["IDF1"], "mota": m["MOTA"], "hota": m["HOTA"], "idsw": m["IDSW"]}


# ---------------------------------------------------------------------------- main runs
def teacher_config(args, **fixed) -> TeacherConfig:
    """TeacherConfig from ``--teacher-set KEY=VALUE`` overrides (YAML scalars, validated)."""
    import yaml

    from edge_tracker.configbase import build

    data = {}
    for item in args.teacher_set or ():
        key, _, value = item.partition("=")
        data[key.strip()] = yaml.safe_load(value)
    data.update(fixed)
    cfg = build(TeacherConfig, data, "teacher")
    cfg.validate("teacher")
    return cfg


def teacher_config_dict(cfg: TeacherConfig) -> dict:
    """The scheduling part of a TeacherConfig (the detector is the benchmark's --teacher)."""
    d = asdict(cfg)
    d.pop("detector", None)
    return d


def replay_all(args) -> dict:
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    s_dets, t_dets, thumbs, fps, s_lat_all, t_lat_all = build_cache(args, out)
    col = 1 if args.charge == "cpu" else 0
    s_lat, t_lat = float(np.median(s_lat_all[:, col])), float(np.median(t_lat_all[:, col]))
    if args.latency_ms:
        s_lat, t_lat = (float(v) / 1e3 for v in args.latency_ms.split(","))
    med = {f"{m}_{k}_median_s": float(np.median(a[:, c])) for m, a in
           (("student", s_lat_all), ("teacher", t_lat_all)) for k, c in (("wall", 0), ("cpu", 1))}
    print(f"{len(thumbs)} frames at {fps:.2f} fps; charged ({args.charge}) median latency "
          f"student {s_lat * 1e3:.2f} ms, teacher {t_lat * 1e3:.2f} ms; {med}")
    tracker_cfg = TrackerConfig()
    ref = run_reference(t_dets, fps, tracker_cfg)
    write_mot(out / "reference.txt", ref)
    # The loop runs at the source's frame rate unless the student is slower than that (then
    # at the student's pace): "teacher on every frame" costs t_lat per such frame period.
    period = max(1.0 / fps, s_lat)
    full_rate = t_lat / period         # cores used by the teacher on every frame
    base_t = teacher_config(args, latency_estimate_s=t_lat)
    fus = FusionConfig()
    runs: list[tuple[str, str, float, TeacherConfig | None, FusionConfig]] = [
        ("student_only", "none", 0.0, None, replace(fus, method="student"))]
    for k in (2, 4, 8, 10, 16):
        runs.append((f"fixed_k{k}", "fixed", k, replace(base_t, policy="fixed", interval=k), fus))
    for frac in (0.10, 0.25, 0.50):
        for pol in ("budget", "adaptive"):
            runs.append((f"{pol}_{int(frac * 100)}", pol, frac,
                         replace(base_t, policy=pol, budget=frac * full_rate), fus))
    for k in (2, 4, 10):
        runs.append((f"union_k{k}", "union", k, replace(base_t, policy="fixed", interval=k),
                     replace(fus, method="union")))
    results = []
    for name, pol, param, tcfg, fcfg in runs:
        t0 = time.perf_counter()
        per = []
        for phase in range(args.phases if tcfg is not None else 1):
            rows, n_runs, pipe = run_policy(s_dets, t_dets, thumbs, fps, s_lat, t_lat,
                                            tracker_cfg, tcfg, fcfg, phase)
            if phase == 0:
                write_mot(out / f"{name}.txt", rows)
                first = pipe
            m = evaluate(ref, rows, len(thumbs))
            per.append((n_runs / len(thumbs), m["idf1"], m["mota"], m["hota"], m["idsw"],
                        n_runs))
        a = np.asarray(per, np.float64)
        mean, sem = a.mean(axis=0), a.std(axis=0) / np.sqrt(len(a))
        entry = {"name": name, "policy": pol, "param": param,
                 "teacher_cost_fraction": round(float(mean[0]), 4),
                 "idf1_vs_reference": round(float(mean[1]), 4),
                 "mota_vs_reference": round(float(mean[2]), 4),
                 "phases": len(per),
                 "idf1_sem": round(float(sem[1]), 4), "mota_sem": round(float(sem[2]), 4),
                 "idf1_phase0": round(per[0][1], 4), "mota_phase0": round(per[0][2], 4),
                 "teacher_runs": round(float(mean[5]), 2),
                 "deadline_misses": first.deadline_misses,
                 "score_threshold_final": round(first.fusion.threshold, 3),
                 "replay_seconds": round(time.perf_counter() - t0, 3),
                 "hota_vs_reference": round(float(mean[3]), 4),
                 "id_switches": round(float(mean[4]), 2)}
        if first.scheduler is not None:
            entry["skips"] = dict(first.scheduler.skips)
            entry["run_reasons"] = dict(first.scheduler.run_reasons)
        results.append(entry)
        print(f"{name:14s} cost {entry['teacher_cost_fraction']:.3f} IDF1 {mean[1]:.3f}"
              f"±{sem[1]:.3f} MOTA {mean[2]:.3f}±{sem[2]:.3f} ({len(per)} phases)")
    summary = {"video": args.video, "student": args.student, "teacher": args.teacher,
               "frames": len(thumbs), "fps": fps,
               "charged": args.charge, "student_latency_median_s": s_lat,
               "teacher_latency_median_s": t_lat, "measured": med,
               "metrics_engine": "edge_tracker.evaluation.mot_metrics (TrackEval semantics)",
               "teacher_every_frame_cores": full_rate, "loop_period_s": period,
               "reference_rows": len(ref), "phases": args.phases,
               "accuracy_is": "mean over start phases (PhasedScheduler); *_sem = standard "
                              "error of that mean; *_phase0 = teacher available from frame 0",
               "latency_override_ms": args.latency_ms,
               "teacher_config": teacher_config_dict(base_t),
               "fusion_config": asdict(fus), "policies": results}
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    plot_curve(results, out / "curve.png")
    publish(args, {"summary.json": "teacher_student_summary.json",
                   "curve.png": "teacher_student_curve.png"})
    return summary


def publish(args, names: dict[str, str]) -> None:
    """Copy D/<file> to --publish DIR/<name> (the names benchmarks/perf_table.py reads)."""
    if not args.publish:
        return
    import shutil

    dest = Path(args.publish)
    dest.mkdir(parents=True, exist_ok=True)
    for src, name in names.items():
        shutil.copyfile(Path(args.out_dir) / src, dest / name)
        print(f"published {dest / name}")


def plot_curve(results: list[dict], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    groups: dict[str, list[dict]] = {}
    for r in results:
        groups.setdefault(r["policy"], []).append(r)
    for k, (pol, rs) in enumerate(groups.items()):
        rs = sorted(rs, key=lambda r: r["teacher_cost_fraction"])
        x = [r["teacher_cost_fraction"] for r in rs]
        color = f"C{k}"
        ax.plot(x, [r["idf1_vs_reference"] for r in rs], "o-", color=color, label=f"{pol} IDF1")
        ax.plot(x, [r["mota_vs_reference"] for r in rs], "x--", color=color, alpha=0.6,
                label=f"{pol} MOTA")
    ax.set_xlabel("teacher compute (fraction of teacher on every frame)")
    ax.set_ylabel("accuracy vs reference")
    ax.set_xlim(-0.02, 1.0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ---------------------------------------------------------------------------- latency isolation
class PausableClock(MonotonicClock):
    """The monotonic clock with the no-teacher blocks cut out, for the with-teacher pipeline:
    its budget bucket must not fill while that pipeline is not running (it would spend the
    savings at the start of the next block, above the 25% budget)."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._paused_at: float | None = None

    def now(self) -> float:
        if self._paused_at is not None:
            return self._paused_at
        return time.monotonic() - self._offset

    def pause(self) -> None:
        if self._paused_at is None:
            self._paused_at = self.now()

    def resume(self) -> None:
        if self._paused_at is not None:
            self._offset = time.monotonic() - self._paused_at
            self._paused_at = None


def latency_isolation(args) -> dict:
    """Real clock; alternating blocks with and without the teacher (see module docstring)."""
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    frames, fps = read_frames(args.video, args.max_frames)
    s_cfg = DetectorConfig(model=args.student, num_threads=1, score_threshold=STUDENT_FLOOR)
    t_cfg = DetectorConfig(model=args.teacher, num_threads=1, score_threshold=args.teacher_score)
    probe = Detector.from_config(t_cfg)
    # the budget is compute: 25% of the teacher's CPU time on every frame at the video's rate
    t_lat = float(np.median([timed_detect(probe, frames[i % len(frames)], i, "teacher")[2]
                             for i in range(15)]))
    del probe
    clock, t_clock = MonotonicClock(), PausableClock()
    tcfg = replace(teacher_config(args, policy="budget", budget=0.25 * t_lat * fps,
                                  latency_estimate_s=t_lat, hang_timeout_s=10.0), detector=t_cfg)
    with_t = Pipeline.from_parts(Detector.from_config(s_cfg), Tracker(), tcfg, FusionConfig(),
                                 t_clock, None, "lat", frame_period_s=1.0 / fps)
    without = Pipeline.from_parts(Detector.from_config(s_cfg), Tracker(), None, FusionConfig(),
                                  clock, None, "lat", frame_period_s=1.0 / fps)
    # warm up the teacher thread's interpreter before timing
    with_t.teacher.submit(Frame(frames[0], 0, t_clock.now()))
    warm = None
    while warm is None and with_t.teacher.state == "busy":
        time.sleep(0.01)
        warm = with_t.teacher.poll()
    warm = warm or with_t.teacher.poll()
    if warm is None:
        sys.exit("latency isolation: the teacher failed to run (see the log above)")
    lat = {"teacher": [], "none": []}
    stages = {"teacher": [], "none": []}
    names = ("preprocess", "student", "decode", "fuse", "track")
    block = args.latency_block
    n = args.latency_frames
    period = 1.0 / fps
    t_next = time.monotonic()
    drained = 0.0
    for i in range(n):
        cond = "teacher" if (i // block) % 2 == 0 else "none"
        pipe = with_t if cond == "teacher" else without
        if i % block == 0 and cond == "none":
            # a teacher run still in flight would overlap the no-teacher block: let it end
            # (not timed), then stop the with-teacher pipeline's clock
            t0 = time.monotonic()
            while with_t.teacher.state == "busy" and time.monotonic() - t0 < 5.0:
                time.sleep(0.002)
            t_clock.pause()
            drained += time.monotonic() - t0
            t_next = time.monotonic()
        elif i % block == 0:
            t_clock.resume()
        now = time.monotonic()
        if now < t_next:
            time.sleep(t_next - now)
        t_next = max(t_next + period, time.monotonic() - period)
        img = frames[i % len(frames)]
        t_cap = pipe.clock.now()
        res = pipe.process(Frame(img, i, t_cap, "lat"))
        st = res.stage_seconds
        stages[cond].append([st[k] for k in names])
        lat[cond].append(sum(stages[cond][-1]))
    runs = with_t.teacher.runs
    with_t.close()
    res = {"fps": fps, "frames_per_condition": {k: len(v) for k, v in lat.items()},
           "teacher_cpu_median_s": t_lat, "teacher_budget_cores": tcfg.budget,
           "teacher_thread_nice": tcfg.thread_nice,
           "teacher_yield_to_student": tcfg.yield_to_student,
           "load_average": os.getloadavg(),
           "teacher_runs": runs, "teacher_cost_fraction": runs / max(len(lat["teacher"]), 1),
           "teacher_drain_seconds": round(drained, 3)}
    for k, v in lat.items():
        a = np.asarray(v) * 1e3
        res[f"student_frame_ms_p50_{k}"] = round(float(np.percentile(a, 50)), 3)
        res[f"student_frame_ms_p99_{k}"] = round(float(np.percentile(a, 99)), 3)
    for k, v in stages.items():   # which stage grows in the tail
        a = np.asarray(v) * 1e3
        res[f"stage_ms_p99_{k}"] = {nm: round(float(np.percentile(a[:, j], 99)), 3)
                                    for j, nm in enumerate(names)}
    res["p99_ratio"] = round(res["student_frame_ms_p99_teacher"]
                             / res["student_frame_ms_p99_none"], 3)
    # the same ratio in each third of the run: how much it moves with the machine's load
    thirds = []
    for k in range(3):
        a, b = (np.asarray(lat[c]) for c in ("teacher", "none"))
        sa, sb = (np.array_split(x, 3)[k] for x in (a, b))
        thirds.append(round(float(np.percentile(sa, 99) / np.percentile(sb, 99)), 3))
    res["p99_ratio_by_third"] = thirds
    res["block_frames"] = block
    res["goal_p99_ratio_le_1_25"] = res["p99_ratio"] <= 1.25
    (out / "latency_isolation.json").write_text(json.dumps(res, indent=2))
    print(json.dumps(res, indent=2))
    publish(args, {"latency_isolation.json": "teacher_student_latency_isolation.json"})
    return res


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--video", required=True)
    p.add_argument("--student", required=True)
    p.add_argument("--teacher", required=True)
    p.add_argument("--out-dir", required=True)
    p.add_argument("--max-frames", type=int, default=None)
    p.add_argument("--teacher-score", type=float, default=0.3)
    p.add_argument("--no-cache", action="store_true", help="recompute detections")
    p.add_argument("--charge", choices=("cpu", "wall"), default="cpu",
                   help="charge each model its median thread-CPU time (default) or wall time")
    p.add_argument("--latency-isolation", action="store_true",
                   help="real-clock latency isolation run instead of the replay")
    p.add_argument("--latency-frames", type=int, default=3000,
                   help="frames of the latency isolation run (half with the teacher)")
    p.add_argument("--latency-block", type=int, default=10,
                   help="frames per alternating block (short blocks see the same load)")
    p.add_argument("--phases", type=int, default=10,
                   help="start phases each teacher policy is replayed at (accuracy = mean)")
    p.add_argument("--latency-ms", default=None,
                   help="'S,T': charge student S ms and teacher T ms instead of the measured")
    p.add_argument("--publish", metavar="DIR", default=None,
                   help="also copy the outputs to DIR/teacher_student_{summary.json,curve.png,"
                        "latency_isolation.json} (benchmarks/results naming)")
    p.add_argument("--teacher-set", action="append", metavar="KEY=VALUE",
                   help="override a TeacherConfig key for every policy (repeatable)")
    args = p.parse_args(argv)
    if args.latency_isolation:
        latency_isolation(args)
    else:
        replay_all(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
