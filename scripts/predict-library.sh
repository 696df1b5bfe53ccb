#!/usr/bin/env bash
# The prediction gate on a library, judged against the truth: every title goes through the real
# daemon (`av1d run`) twice, with prediction on and with `predict = false` (encode everything),
# each title under its own daemon so that the CPU seconds (user + system of the daemon and its
# workers, from /usr/bin/time) belong to that title alone.
#
#   scripts/predict-library.sh [--av1d PATH] [--library DIR] [--work DIR] [--truth DIR] [KEY=VALUE ...]
#   scripts/predict-library.sh --av1d .build/release/av1d svt_preset=8 crf=30
#
# Without --library it builds one (in WORK/library, kept between runs) from the Big Buck Bunny
# clip (fixtures/generated/bbb720.mp4, made by scripts/make-fixtures.sh): 42 s titles at 480x270,
# the clip seen eight ways (scripts/bbb-views.sh), encoded high (they shrink) and lean (they do
# not). KEY=VALUE pairs are config.toml keys (TOML literals) for both runs; max_size_ratio is
# the daemon's default (0.90) unless given.
#
# Prints one row per title: the truth (the encode-everything run's size ratio and whether it met
# the size gate), the decision with prediction, the predicted ratio and its error, and the CPU
# seconds of both runs; then the totals: CPU of the daemon with prediction vs encoding
# everything, CPU spent on the rejected titles vs their full encodes (goal: at most 0.15x), and
# titles that would have met the size gate but were skipped (goal: none).
#
# --truth DIR takes the encode-everything runs from an earlier run's WORK/runs/false (same
# library, settings and engine: prediction and the size watch do not change a full encode)
# instead of encoding everything again.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
AV1D="$ROOT/.build/release/av1d"
WORK="${TMPDIR:-/tmp}/av1d-predict-library"
LIBRARY=""
TRUTH=""
SETTINGS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --av1d) AV1D="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"; shift 2 ;;
    --library) LIBRARY="$(cd "$2" && pwd)"; shift 2 ;;
    --work) WORK="$2"; shift 2 ;;
    --truth) TRUTH="$(cd "$2" && pwd)"; shift 2 ;;
    *=*) SETTINGS+=("$1"); shift ;;
    *) echo "usage: $0 [--av1d PATH] [--library DIR] [--work DIR] [KEY=VALUE ...]" >&2; exit 64 ;;
  esac
done
[[ -x "$AV1D" ]] || { echo "predict-library: no av1d at $AV1D (swift build -c release, or --av1d)" >&2; exit 1; }
mkdir -p "$WORK"
WORK="$(cd "$WORK" && pwd)"

make_library() {
  local bbb="$ROOT/fixtures/generated/bbb720.mp4" views="$WORK/views.mkv" out="$WORK/library"
  [[ -f "$bbb" ]] || "$ROOT/scripts/make-fixtures.sh" "$ROOT/fixtures/generated" bbb720.mp4
  # shellcheck source=bbb-views.sh
  source "$ROOT/scripts/bbb-views.sh"
  [[ -f "$views" ]] || bbb_views "$bbb" 480 270 "$views"
  mkdir -p "$out"
  local common=(-fflags +bitexact -flags:v +bitexact -flags:a +bitexact -map_metadata -1)
  local x264=(-c:v libx264 -threads 1)
  title() { # NAME FFMPEG-OPTIONS...: one title, unless it exists
    local name="$1"; shift
    [[ -f "$out/$name" ]] && return
    echo "predict-library: making $name" >&2
    ffmpeg -nostdin -hide_banner -loglevel error -y -i "$views" "$@" "${common[@]}" "$out/.tmp-$name"
    mv "$out/.tmp-$name" "$out/$name"
  }
  # High bit rates for so small a picture: AV1 shrinks them.
  title high-x264-crf16.mkv "${x264[@]}" -preset veryfast -crf 16 -c:a aac -b:a 96k
  title high-x264-crf20-gop50.mp4 "${x264[@]}" -preset veryfast -crf 20 -g 50 -c:a aac -b:a 64k
  title dvb-mpeg2-4M.ts -c:v mpeg2video -b:v 4M -minrate 4M -maxrate 4M -bufsize 1835k -g 12 -bf 2 -c:a mp2 -b:a 192k
  # Around the gate: depends on the settings.
  title mid-x264-crf24.mkv "${x264[@]}" -preset medium -crf 24 -c:a aac -b:a 64k
  # Lean: web-release style, slow presets at high CRF; AV1 at the same quality does not shrink them.
  title lean-x264-crf30.mp4 "${x264[@]}" -preset slow -crf 30 -c:a aac -b:a 64k
  title lean-x265-crf30.mp4 -c:v libx265 -preset medium -x265-params log-level=error:pools=1:frame-threads=1 -crf 30 -c:a aac -b:a 64k
  title lean-x264-crf36.mp4 "${x264[@]}" -preset slower -crf 36 -c:a aac -b:a 48k
  LIBRARY="$out"
}

# run_title FILE PREDICT -> writes WORK/runs/PREDICT/NAME/{record.json,time}
run_title() {
  local file="$1" predict="$2" name; name="$(basename "$file")"
  local dir="$WORK/runs/$predict/$name"
  rm -rf "$dir"; mkdir -p "$dir/library" "$dir/state"
  cp "$file" "$dir/library/"
  touch -d '-10 minutes' "$dir/library/$name"
  {
    echo "library_roots = [\"$dir/library\"]"
    echo "job_state_dir = \"$dir/state/jobs\""
    echo "temp_output_dir = \"$dir/state/temp\""
    echo "stable_secs = 0"
    echo "scan_interval_secs = 1"
    echo "min_bytes = 10000"
    echo "predict = $predict"
    for setting in "${SETTINGS[@]}"; do echo "${setting%%=*} = ${setting#*=}"; done
  } >"$dir/config.toml"
  /usr/bin/time -f "%U %S" -o "$dir/time" "$AV1D" run --config "$dir/config.toml" >"$dir/daemon.log" 2>&1 &
  local timer=$! waited=0
  # Wait for the title's final record (Success, Skipped or Failed), an hour at most.
  until python3 - "$dir/state/jobs" <<'EOF'
import json, os, sys
folder = sys.argv[1]
for name in (os.listdir(folder) if os.path.isdir(folder) else []):
    if name.endswith(".json"):
        record = json.load(open(os.path.join(folder, name)))
        if record.get("status") in ("Success", "Skipped", "Failed"):
            json.dump(record, open(os.path.join(folder, "..", "record.json"), "w"))
            sys.exit(0)
sys.exit(1)
EOF
  do
    sleep 1
    if (( ++waited > 3600 )); then
      kill -TERM "$(pgrep -P "$timer")" 2>/dev/null || true
      echo "predict-library: $name has no final record after an hour (see $dir/daemon.log)" >&2
      exit 1
    fi
  done
  kill -TERM "$(pgrep -P "$timer")" 2>/dev/null || true
  wait "$timer" || true
  mv "$dir/state/record.json" "$dir/record.json"
}

[[ -n "$LIBRARY" ]] || make_library
mapfile -t TITLES < <(find "$LIBRARY" -maxdepth 1 -type f ! -name '.*' | sort)
for file in "${TITLES[@]}"; do
  echo "predict-library: $(basename "$file")" >&2
  run_title "$file" true
  if [[ -n "$TRUTH" ]]; then
    rm -rf "$WORK/runs/false/$(basename "$file")"; mkdir -p "$WORK/runs/false"
    cp -r "$TRUTH/$(basename "$file")" "$WORK/runs/false/"
  else
    run_title "$file" false
  fi
done

python3 - "$WORK/runs" "${TITLES[@]}" <<'EOF'
import json, os, sys
runs, titles = sys.argv[1], [os.path.basename(t) for t in sys.argv[2:]]
def load(predict, name):
    folder = os.path.join(runs, predict, name)
    record = json.load(open(os.path.join(folder, "record.json")))
    user, system = open(os.path.join(folder, "time")).read().split()[-2:]
    return record, float(user) + float(system)
def decision(record):
    if record.get("skipped_by_prediction"): return "skip (predicted)"
    if record.get("stopped_at_fraction") is not None: return f"stop at {record['stopped_at_fraction'] * 100:.0f}%"
    if record["status"] == "Success": return "encode, replace"
    if record["status"] == "Skipped": return "encode, keep"
    return record["status"].lower()
print(f"{'title':28} {'real':>6} {'truth':>7} {'decision':>17} {'predicted':>9} {'error':>7} {'pred_cpu':>8} {'cpu':>7} {'all_cpu':>7}")
totals = {"predict": 0.0, "all": 0.0, "rejected": 0.0, "rejected_full": 0.0}
wrong, rejected = [], 0
for name in titles:
    with_prediction, cpu = load("true", name)
    everything, full_cpu = load("false", name)
    real = everything["new_bytes"] / everything["original_bytes"] if everything.get("new_bytes") else None
    meets = everything["status"] == "Success"
    predicted = with_prediction.get("predicted_ratio")
    error = (predicted - real) / real if predicted and real else None
    totals["predict"] += cpu; totals["all"] += full_cpu
    if not meets:
        rejected += 1; totals["rejected"] += cpu; totals["rejected_full"] += full_cpu
    elif with_prediction["status"] != "Success":
        wrong.append(name)
    cell = lambda v, f: format(v, f) if v is not None else "--"
    print(f"{name:28} {cell(real, '6.3f')} {'shrinks' if meets else 'grows':>7} {decision(with_prediction):>17} "
          f"{cell(predicted, '9.3f')} {cell(error and error * 100, '+6.1f')}% {cell(with_prediction.get('prediction_cpu_seconds'), '8.2f')} "
          f"{cpu:7.2f} {full_cpu:7.2f}")
print(f"daemon CPU: {totals['predict']:.1f} s with prediction, {totals['all']:.1f} s encoding everything "
      f"({totals['predict'] / totals['all']:.2f}x)")
if rejected:
    print(f"rejected titles ({rejected}): {totals['rejected']:.1f} s with prediction vs {totals['rejected_full']:.1f} s "
          f"encoding them in full ({totals['rejected'] / totals['rejected_full']:.2f}x; goal 0.15x)")
print(f"wrongly skipped (would have met the size gate): {', '.join(wrong) if wrong else 'none'}")
EOF
