#!/usr/bin/env python3
"""Regenerate the README's Performance section from benchmarks/results/*.json.

Usage: python benchmarks/perf_table.py [--results DIR] [--readme README.md] [--print]

The table goes between the markers ``<!-- perf-table:start -->`` and
``<!-- perf-table:end -->`` of the README; nothing outside them is touched. Without
the markers (or with --print) the table is printed instead. The machine line (CPU,
cores, runtime) and the date come from the JSON files themselves, never typed by hand.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

START = "<!-- perf-table:start -->"
END = "<!-- perf-table:end -->"
HERE = Path(__file__).resolve().parent


def load_results(folder: Path) -> list[dict]:
    """Every JSON object in ``folder`` (sorted by file name) with its file name in ``_file``."""
    out = []
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            print(f"perf_table: skipping {path.name}: {exc}", file=sys.stderr)
            continue
        if isinstance(data, dict):
            data["_file"] = path.name
            out.append(data)
    return out


def _f(v: object, fmt: str = "{:.1f}") -> str:
    return fmt.format(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else "–"


def _mib(v: object) -> str:
    """Bytes as MB (10^6, as the goals are stated)."""
    return _f(v / 1e6, "{:.0f} MB") if isinstance(v, (int, float)) else "–"


def _p(d: object, key: str) -> object:
    return d.get(key) if isinstance(d, dict) else None


def machine_line(results: list[dict]) -> str:
    """'Measured on <cpu> (<n> cores, <arch>), <runtime>, governor <g>, <date>.'"""
    machines = [r["machine"] for r in results if isinstance(r.get("machine"), dict)]
    if not machines:
        return "Measured on: unknown machine."
    m = machines[0]
    dates = sorted(str(x.get("date", ""))[:10] for x in machines if x.get("date"))
    when = dates[-1] if dates else "unknown date"
    board = f"{m['board']}, " if m.get("board") else ""
    gov = f", governor {m['governor']}" if m.get("governor") else ""
    return (f"Measured on {board}{m.get('cpu') or 'unknown CPU'} ({m.get('cores', '?')} cores, "
            f"{m.get('arch', '?')}), {m.get('runtime', '?')}, Python {m.get('python', '?')}"
            f"{gov}, {when}.")


def make_table(results: list[dict]) -> str:
    """Markdown for the Performance section (machine line + up to three tables)."""
    lines = [machine_line(results), ""]
    lat = [r for r in results if r.get("benchmark") == "latency"]
    if lat:
        lines += [("| model | threads | size | init | invoke p50 | p95 | bare invoke p50 "
                   "| preprocess p50 | decode p50 | peak RSS |"),
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in lat:
            inv = r.get("invoke_ms") or {}
            lines.append(
                f"| {r.get('model_name', '?')} | {r.get('threads', '?')} "
                f"| {_f((r.get('model_size_bytes') or 0) / 2**20, '{:.1f} MiB')} "
                f"| {_f(r.get('init_ms'), '{:.0f} ms')} | {_f(_p(inv, 'p50'), '{:.2f} ms')} "
                f"| {_f(_p(inv, 'p95'), '{:.2f} ms')} "
                f"| {_f(r.get('bare_invoke_ms_p50'), '{:.2f} ms')} "
                f"| {_f(_p(r.get('preprocess_ms'), 'p50'), '{:.2f} ms')} "
                f"| {_f(_p(r.get('decode_ms'), 'p50'), '{:.2f} ms')} "
                f"| {_mib(r.get('peak_rss_bytes'))} |")
        lines.append("")
    pipe = [r for r in results if r.get("benchmark") == "pipeline"]
    if pipe:
        lines += [("| pipeline run | frames | fps | frame wall p50 | p95 "
                   "| capture->result p99 | overhead ratio | teacher runs | deadline misses |"),
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in pipe:
            fw = r.get("frame_wall_ms") or {}
            name = r["_file"].removesuffix(".json")
            lines.append(
                f"| {name} | {r.get('frames', '?')} | {_f(r.get('fps'))} "
                f"| {_f(_p(fw, 'p50'), '{:.2f} ms')} | {_f(_p(fw, 'p95'), '{:.2f} ms')} "
                f"| {_f(_p(r.get('frame_latency_ms'), 'p99'), '{:.1f} ms')} "
                f"| {_f(r.get('overhead_ratio'), '{:.2f}')} | {r.get('teacher_runs', '–')} "
                f"| {r.get('deadline_misses', '–')} |")
        lines.append("")
    foot = [r for r in results if r.get("benchmark") == "footprint"]
    if foot:
        lines += ["| footprint | peak RSS | goal | start-up to first frame | goal |",
                  "|---|---:|---:|---:|---:|"]
        for r in foot:
            lines.append(
                f"| {r.get('description', r['_file'])} | {_mib(r.get('peak_rss_bytes'))} "
                f"| {_mib(r.get('goal_peak_rss_bytes'))} "
                f"| {_f(r.get('startup_to_first_frame_s'), '{:.2f} s')} "
                f"| {_f(r.get('goal_startup_s'), '{:.1f} s')} |")
        lines.append("")
    lines += accuracy_tables({r["_file"]: r for r in results})
    if len(lines) == 2:
        lines.append("No benchmark results yet: run `benchmarks/run_all.sh`.")
        lines.append("")
    lines.append("Generated by `benchmarks/perf_table.py` from `benchmarks/results/*.json`; "
                 "see benchmarks/README.md for what each figure means.")
    return "\n".join(lines)


def _pct(v: object) -> str:
    return _f(v * 100 if isinstance(v, (int, float)) else None, "{:.1f}")


def accuracy_tables(by_file: dict[str, dict]) -> list[str]:
    """Tables of the accuracy benchmarks (teacher/student, MOT, SOT, distillation)."""
    lines: list[str] = []
    ts = by_file.get("teacher_student_summary.json")
    if ts:
        lines += [f"Teacher/student on `{Path(str(ts.get('video', '?'))).name}` "
                  f"(`benchmarks/teacher_student.py`, simulated clock charging each model its "
                  f"measured latency: student {_f(ts.get('student_latency_median_s', 0) * 1e3, '{:.1f}')} ms, "
                  f"teacher {_f(ts.get('teacher_latency_median_s', 0) * 1e3, '{:.1f}')} ms; "
                  f"accuracy against the teacher-on-every-frame reference, mean over "
                  f"{ts.get('phases', 1)} teacher start phases, ± its standard error):", "",
                  "| run | policy | param | teacher compute | IDF1 | MOTA | HOTA |",
                  "|---|---|---:|---:|---:|---:|---:|"]
        for p in ts.get("policies", []):
            lines.append(f"| {p.get('name')} | {p.get('policy')} | {_f(p.get('param'), '{:g}')} "
                         f"| {_f(p.get('teacher_cost_fraction'), '{:.3f}')} "
                         f"| {_f(p.get('idf1_vs_reference'), '{:.3f}')}"
                         f"{' ± ' + _f(p.get('idf1_sem'), '{:.3f}') if p.get('idf1_sem') else ''} "
                         f"| {_f(p.get('mota_vs_reference'), '{:.3f}')} "
                         f"| {_f(p.get('hota_vs_reference'), '{:.3f}')} |")
        lines.append("")
    iso = by_file.get("teacher_student_latency_isolation.json")
    if iso:
        lines += ["| latency isolation (real clock, 1 thread each) | student frame p50 | p99 |",
                  "|---|---:|---:|",
                  f"| no teacher | {_f(iso.get('student_frame_ms_p50_none'), '{:.1f} ms')} "
                  f"| {_f(iso.get('student_frame_ms_p99_none'), '{:.1f} ms')} |",
                  f"| teacher on budget (cost {_f(iso.get('teacher_cost_fraction'), '{:.2f}')}) "
                  f"| {_f(iso.get('student_frame_ms_p50_teacher'), '{:.1f} ms')} "
                  f"| {_f(iso.get('student_frame_ms_p99_teacher'), '{:.1f} ms')} |",
                  "", f"p99 ratio {_f(iso.get('p99_ratio'), '{:.2f}')} (goal <= 1.25)"
                  + (f"; in each third of the run {iso['p99_ratio_by_third']}"
                     if iso.get("p99_ratio_by_third") else "")
                  + (f"; {iso['block_frames']}-frame alternating blocks"
                     if iso.get("block_frames") else "")
                  + f"; load average during the run "
                  f"{[round(x, 2) for x in iso.get('load_average', [])] or '?'}.", ""]
    mot = by_file.get("mot17_train_eval.json")
    if mot:
        lines += ["MOT17-train, public FRCNN detections (`edge-tracker eval mot`, TrackEval "
                  "semantics):", "",
                  "| HOTA | IDF1 | MOTA | tracker CPU us/frame mean | p99 |",
                  "|---:|---:|---:|---:|---:|",
                  f"| {_f(mot.get('HOTA'))} | {_f(mot.get('IDF1'))} | {_f(mot.get('MOTA'))} "
                  f"| {_f(mot.get('per_frame_us_mean'), '{:.0f}')} "
                  f"| {_f(mot.get('per_frame_us_p99'), '{:.0f}')} |", ""]
    sot = by_file.get("sot_otb.json")
    if sot:
        lines += [f"Single-object tracking, OTB `{sot.get('sequence', '?')}` "
                  f"(`benchmarks/sot_otb.py`, one thread, same frames):", "",
                  "| tracker | AUC | precision @20 px | fps |", "|---|---:|---:|---:|",
                  f"| edge_tracker DCF ({sot.get('features', '?')}) | {_f(sot.get('auc'), '{:.3f}')} "
                  f"| {_f(sot.get('precision_20px'), '{:.3f}')} | {_f(sot.get('fps'))} |"]
        for name, peer in (sot.get("peers") or {}).items():
            lines.append(f"| OpenCV {name.upper()} | {_f(_p(peer, 'auc'), '{:.3f}')} "
                         f"| {_f(_p(peer, 'precision_20px'), '{:.3f}')} | {_f(_p(peer, 'fps'))} |")
        lines.append("")
    de = by_file.get("distill_eval.json")
    if de:
        vt = de.get("vs_teacher") or {}
        inv = de.get("invoke") or {}
        lines += ["Bundled models (`benchmarks/distill_eval.py`): F1 against the YOLOX-nano-640 "
                  "teacher on the held-out last 30% of visionworks; person detection on "
                  "MOT17-mini (score 0.3, IoU 0.5, visibility > 0); single-thread invoke median:",
                  "", "| model | F1 vs teacher | MOT17-mini recall | precision | invoke |",
                  "|---|---:|---:|---:|---:|"]
        for key, name in (("student", "bundled student (int8)"),
                          ("bundled_teacher", "bundled teacher (float)"),
                          ("ssd_int8", "SSD MobileNet v1 int8")):
            mm = (de.get("mot17_mini") or {}).get(key) or {}
            lines.append(f"| {name} | {_f(_p(vt.get(key), 'f1'), '{:.3f}')} "
                         f"| {_f(mm.get('recall'), '{:.3f}')} | {_f(mm.get('precision'), '{:.3f}')} "
                         f"| {_f((_p(inv.get(key), 'median_s') or 0) * 1e3 or None, '{:.2f} ms')} |")
        lines.append("")
    soak = by_file.get("soak.json")
    if soak:
        lines += ["| soak (`benchmarks/soak.py`: real time, teacher on budget) | minutes | RSS growth "
                  "| goal | output lines lost |", "|---|---:|---:|---:|---:|",
                  f"| `edge-tracker run`, looping clip | {_f(soak.get('soak_minutes'))} "
                  f"| {_f(soak.get('soak_rss_growth_mb'), '{:.2f} MB')} "
                  f"| {_f(soak.get('goal_growth_mb'), '{:.0f} MB')} "
                  f"| {soak.get('output_lines_lost', '–')} |", ""]
    ab = by_file.get("distill_ablations.json")
    if ab:
        rows = [("attention-transfer feature loss", _p(_p(_p(ab.get("feature_attention"), "quality"), "model"), "all")),
                ("no feature loss", _p(_p(_p(ab.get("feature_none"), "quality"), "model"), "all"))]
        for key, q in ((_p(ab.get("prior_channel"), "quality") or {}).items()):
            rows.append((f"prior-channel student: {key}", _p(q, "all")))
        lines += [f"Distillation ablations (`distill_ablations.json`: {ab.get('note', '')}):", "",
                  "| variant | F1 vs teacher | precision | recall |", "|---|---:|---:|---:|"]
        for name, q in rows:
            lines.append(f"| {name} | {_f(_p(q, 'f1'), '{:.3f}')} "
                         f"| {_f(_p(q, 'precision'), '{:.3f}')} | {_f(_p(q, 'recall'), '{:.3f}')} |")
        lines.append("")
    return lines


def replace_between_markers(text: str, table: str) -> str | None:
    """``text`` with everything strictly between the markers replaced by ``table``;
    None when the markers are missing or out of order."""
    i = text.find(START)
    j = text.find(END, i + len(START)) if i >= 0 else -1
    if i < 0 or j < 0:
        return None
    return text[:i + len(START)] + "\n" + table.rstrip("\n") + "\n" + text[j:]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", type=Path, default=HERE / "results")
    ap.add_argument("--readme", type=Path, default=HERE.parent / "README.md")
    ap.add_argument("--print", dest="print_only", action="store_true",
                    help="print the table, do not touch the README")
    args = ap.parse_args(argv)
    table = make_table(load_results(args.results))
    if args.print_only:
        print(table)
        return 0
    try:
        text = args.readme.read_text(encoding="utf-8")
    except OSError:
        text = ""
    new = replace_between_markers(text, table)
    if new is None:
        print(f"perf_table: markers {START} / {END} not found in {args.readme}; "
              f"the table is:\n", file=sys.stderr)
        print(table)
        return 0
    if new != text:
        args.readme.write_text(new, encoding="utf-8")
        print(f"perf_table: updated {args.readme}", file=sys.stderr)
    else:
        print(f"perf_table: {args.readme} already up to date", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
