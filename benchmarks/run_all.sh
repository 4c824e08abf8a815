#!/usr/bin/env bash
# Run every benchmark on this machine, writing benchmarks/results/*.json (+ PNGs), then
# regenerate the README's Performance table. Needs ../shared/data beside the project root
# (models and clips); without it every benchmark is skipped with a message.
#
#   benchmarks/run_all.sh            # full runs (~10-20 min on a 2-core x86, longer on a Pi)
#   QUICK=1 benchmarks/run_all.sh    # short runs, to check the scripts work
#   THREADS=4 benchmarks/run_all.sh  # interpreter threads for bench latency
#   RUNS_OVERRIDE=100 ...            # steady runs per model (default 200)
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DATA="$ROOT/../shared/data"
OUT="$ROOT/benchmarks/results"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PY" ] || PY=python3
ET=("$PY" -m edge_tracker.cli --log-level WARNING)
THREADS="${THREADS:-1}"
NICE=(nice -n "${NICE_LEVEL:-10}")
if [ -n "${QUICK:-}" ]; then RUNS=30; FRAMES=60; REPEAT=1; else RUNS=200; FRAMES=0; REPEAT=3; fi
RUNS="${RUNS_OVERRIDE:-$RUNS}"
mkdir -p "$OUT"
status=0
note() { printf '== %s\n' "$*" >&2; }
fail() { printf '!! %s failed (exit %s)\n' "$1" "$2" >&2; status=1; }

if [ ! -d "$DATA" ]; then
  note "skipped: $DATA absent (../shared/data holds the models and clips the benchmarks use)"
  exit 0
fi
CLIP="$DATA/video/visionworks_pedestrians_960x540.mp4"
SSD="$DATA/models/ssd_mobilenet_v1_quant/ssd_mobilenet_v1_quant.tflite"
YOLOX640="$DATA/models/yolox_nano_640/yolox_nano_640_raw.tflite"
YOLOX416="$DATA/models/yolox_nano_416/yolox_nano_416_decoded.tflite"
BUNDLED="$ROOT/edge_tracker/models"

# --- model latency (bench latency) -------------------------------------------------------
latency() {  # name model
  note "bench latency $1"
  "${NICE[@]}" "${ET[@]}" bench latency --model "$2" --threads "$THREADS" --runs "$RUNS" \
    --warmup 20 --frame "$CLIP" --frame-index 100 --json "$OUT/latency_$1.json" \
    || fail "latency $1" $?
}
latency ssd_int8 "$SSD"
latency yolox_nano_640 "$YOLOX640"
[ -f "$YOLOX416" ] && latency yolox_nano_416 "$YOLOX416"
[ -f "$BUNDLED/student.tflite" ] && latency bundled_student "$BUNDLED/student.tflite"
[ -f "$BUNDLED/teacher.tflite" ] && latency bundled_teacher "$BUNDLED/teacher.tflite"

# --- pipeline (bench pipeline) -----------------------------------------------------------
pipeline() {  # name config extra-args...
  local name=$1 cfg=$2; shift 2
  local max=()
  [ "$FRAMES" -gt 0 ] && max=(--max-frames "$FRAMES")
  note "bench pipeline $name"
  "${NICE[@]}" "${ET[@]}" bench pipeline --config "$cfg" --source "$CLIP" "${max[@]}" "$@" \
    --set "sinks.jsonl.path=$OUT/.tracks_$name.jsonl" \
    --json "$OUT/pipeline_$name.json" --plot "$OUT/pipeline_$name.png" \
    || fail "pipeline $name" $?
  rm -f "$OUT"/.tracks_"$name".jsonl*
}
# The overhead goal: SSD student only, loop-thread decoding (nothing concurrent with the
# pipeline), bare student blocks every 5 frames.
pipeline ssd_student_only benchmarks/configs/ssd_student_only.yaml --sync-source --bare-every 5
# The daemon as deployed: threaded reader, as fast as possible, then paced in real time.
pipeline ssd_student_only_reader benchmarks/configs/ssd_student_only.yaml --bare-every 5
# Student + teacher on a 25% budget, paced at the clip's frame rate: deadline misses,
# teacher duty and its time line.
pipeline ssd_yolox416_realtime benchmarks/configs/ssd_yolox416_teacher.yaml --realtime \
  --bare-every 0
if [ -f "$BUNDLED/student.tflite" ] && [ -f "$BUNDLED/teacher.tflite" ]; then
  pipeline bundled_realtime benchmarks/configs/bundled.yaml --realtime --bare-every 0
else
  note "skipped bundled pipeline: edge_tracker/models/{student,teacher}.tflite not built yet"
fi

# --- footprint of `edge-tracker run` ----------------------------------------------------
if [ -f "$BUNDLED/student.tflite" ] && [ -f "$BUNDLED/teacher.tflite" ]; then
  note "footprint (bundled student + teacher)"
  "${NICE[@]}" "$PY" benchmarks/footprint.py --repeat "$REPEAT" --json "$OUT/footprint_bundled.json" \
    || fail footprint $?
else
  note "skipped bundled footprint: bundled models not built yet"
fi
note "footprint (SSD student + YOLOX-416 teacher)"
"${NICE[@]}" "$PY" benchmarks/footprint.py --repeat "$REPEAT" --student "$SSD" \
  --teacher "$YOLOX416" --json "$OUT/footprint_ssd_yolox416.json" || fail footprint_ssd $?

# --- tracker on MOT17-train public detections (HOTA / IDF1 / MOTA, CPU time per frame) ----
if [ -d "$DATA/mot/MOT17-train" ]; then
  note "eval mot (MOT17-train, public FRCNN detections)"
  "${ET[@]}" eval mot --det-replay "$DATA/mot/MOT17-train" --out-dir "$OUT/.mot17" \
    --json "$OUT/mot17_train_eval.json" || fail eval_mot $?
  rm -rf "$OUT/.mot17"
fi

# --- other helpers' benchmarks, when present --------------------------------------------
if [ -f benchmarks/teacher_student.py ]; then
  # Issue 3's setting: SSD int8 student, YOLOX-nano-640 teacher, simulated clock charging
  # each model its latency measured in this run; then the real-clock latency isolation.
  note "teacher_student.py (replay)"
  tsmax=(); [ -n "${QUICK:-}" ] && tsmax=(--max-frames 60 --phases 2)
  "${NICE[@]}" "$PY" benchmarks/teacher_student.py --video "$CLIP" --student "$SSD" \
    --teacher "$YOLOX640" --out-dir "$OUT/.teacher_student" --no-cache "${tsmax[@]}" \
    --publish "$OUT" || fail teacher_student $?
  note "teacher_student.py (latency isolation, real clock)"
  limax=(); [ -n "${QUICK:-}" ] && limax=(--latency-frames 100)
  "$PY" benchmarks/teacher_student.py --video "$CLIP" --student "$SSD" --teacher "$YOLOX640" \
    --out-dir "$OUT/.teacher_student" --latency-isolation "${limax[@]}" --publish "$OUT" \
    || fail latency_isolation $?
fi
if [ -f benchmarks/sot_otb.py ] && [ -d "$DATA/sot/Crossing" ]; then
  note "sot_otb.py"
  "${NICE[@]}" "$PY" benchmarks/sot_otb.py --seq "$DATA/sot/Crossing" --json "$OUT/sot_otb.json" \
    --plot "$OUT/sot_otb.png" || fail sot_otb $?
fi
if [ -f benchmarks/distill_eval.py ]; then
  note "distill_eval.py"
  rounds=(); [ -n "${QUICK:-}" ] && rounds=(--rounds 20)
  "${NICE[@]}" "$PY" benchmarks/distill_eval.py "${rounds[@]}" --out "$OUT/distill_eval.json" \
    || fail distill_eval $?
fi

# --- schema / sanity of what was written (never a speed threshold) -------------------------
note "checking results"
"$PY" - "$OUT" <<'PYEOF' || fail "result check" $?
import json, sys
from pathlib import Path
from edge_tracker.bench.schema import latency_problems, pipeline_problems
bad = 0
for p in sorted(Path(sys.argv[1]).glob("*.json")):
    d = json.loads(p.read_text())
    check = {"latency": latency_problems, "pipeline": pipeline_problems}.get(d.get("benchmark"))
    for problem in (check(d) if check else []):
        print(f"{p.name}: {problem}", file=sys.stderr)
        bad += 1
sys.exit(1 if bad else 0)
PYEOF

# --- README Performance table ------------------------------------------------------------
note "perf_table"
"$PY" benchmarks/perf_table.py || fail perf_table $?
exit $status
