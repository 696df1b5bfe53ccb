#!/usr/bin/env bash
# Reproduces the README's performance table in one run, ratios side by side:
#   av1d encode (the in-process engine, full pipeline from the file)
#   ffmpeg -c:v libsvtav1 (the CLI users run today, same file, same settings)
#   SvtAv1EncApp on pre-decoded .y4m frames (the encoder's own limit: no decode, no mux)
# Equal SVT settings for all three: preset, CRF 30, keyint 240, mini-GOP 16, 10-bit, all CPUs.
# Runs are interleaved (A B C A B C ...) and medians reported, because this machine is shared.
# Sizes are of the video stream alone: av1d and ffmpeg also copy the audio into Matroska, while
# SvtAv1EncApp writes IVF without audio (and IVF keeps the 2-byte temporal delimiters Matroska
# drops), so only the video bytes compare. `av1d bench` measures the same things per preset on a
# segment, with our own encoder-alone limit and quality (benchmarks/bench-goals.sh).
#
#   benchmarks/engine-vs-ffmpeg.sh [INPUT] [PRESETS] [REPEATS]
#   (defaults: fixtures/generated/bbb720-loop.mp4, "10 6", 3)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$PATH:/opt/swift/usr/bin"
INPUT="${1:-fixtures/generated/bbb720-loop.mp4}"
PRESETS="${2:-10 6}"
REPEATS="${3:-3}"

scripts/bootstrap.sh
command -v /usr/bin/time >/dev/null || { apt-get install -y -qq time >/dev/null; }
[[ -f "$INPUT" ]] || scripts/make-fixtures.sh >/dev/null
swift build -c release --product av1d >/dev/null
AV1D=.build/release/av1d
WORK=$(mktemp -d /tmp/av1d-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

ffmpeg -nostdin -v error -i "$INPUT" -map 0:v:0 -pix_fmt yuv420p10le -strict -1 -f yuv4mpegpipe "$WORK/clip.y4m"
frames=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$INPUT")

# video_bytes FILE -> bytes of the first video stream's packets
video_bytes() {
  ffprobe -v error -select_streams v:0 -show_entries packet=size -of csv=p=0 "$1" | awk '{s += $1} END {print s}'
}

# measure NAME OUTPUT COMMAND... -> appends "NAME seconds peakKB videoBytes" to $WORK/results
measure() {
  local name=$1 output=$2; shift 2
  rm -f "$output"
  /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >/dev/null 2>"$WORK/log.$name" || { cat "$WORK/log.$name"; exit 1; }
  echo "$name $(cat "$WORK/time") $(video_bytes "$output")" >> "$WORK/results"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

printf "input %s, %s frames, 10-bit, CRF 30, keyint 240, mini-GOP 16, %s CPUs, %s interleaved runs\n\n" \
  "$INPUT" "$frames" "$(nproc)" "$REPEATS"
printf "%-7s %-28s %9s %8s %11s %12s %10s %10s\n" preset tool "wall s" fps "peak RSS" "video B" "vs ffmpeg" "vs limit"
for preset in $PRESETS; do
  : > "$WORK/results"
  for _ in $(seq "$REPEATS"); do
    measure av1d "$WORK/av1d.mkv" $AV1D encode "$INPUT" -o "$WORK/av1d.mkv" --overwrite --preset "$preset" \
      --crf 30 --keyint 240 --bit-depth 10 --progress none
    measure ffmpeg "$WORK/ffmpeg.mkv" ffmpeg -nostdin -y -i "$INPUT" -map 0:v:0 -map 0:a? -c:a copy -c:v libsvtav1 \
      -preset "$preset" -crf 30 -g 240 -pix_fmt yuv420p10le "$WORK/ffmpeg.mkv"
    measure svtapp "$WORK/svtapp.ivf" SvtAv1EncApp -i "$WORK/clip.y4m" --preset "$preset" --crf 30 --keyint 240 \
      --hierarchical-levels 4 --pin 0 -b "$WORK/svtapp.ivf"
  done
  ffmpeg_wall=$(awk '$1=="ffmpeg" {print $2}' "$WORK/results" | median)
  limit_wall=$(awk '$1=="svtapp" {print $2}' "$WORK/results" | median)
  for tool in av1d ffmpeg svtapp; do
    wall=$(awk -v t=$tool '$1==t {print $2}' "$WORK/results" | median)
    rss=$(awk -v t=$tool '$1==t {print $3}' "$WORK/results" | median)
    size=$(awk -v t=$tool '$1==t {print $4}' "$WORK/results" | median)
    label=$tool
    [[ $tool == av1d ]] && label="av1d encode (file in)"
    [[ $tool == ffmpeg ]] && label="ffmpeg -c:v libsvtav1"
    [[ $tool == svtapp ]] && label="SvtAv1EncApp (y4m, limit)"
    printf "%-7s %-28s %9.2f %8.1f %8.0f MB %12d %9.3fx %9.3fx\n" "$preset" "$label" "$wall" \
      "$(echo "$frames / $wall" | bc -l)" "$(echo "$rss / 1024" | bc -l)" "$size" "$(echo "$ffmpeg_wall / $wall" | bc -l)" \
      "$(echo "$limit_wall / $wall" | bc -l)"
  done
done
echo
echo "vs ffmpeg = ffmpeg's median wall time / this tool's (above 1: faster than ffmpeg);"
echo "vs limit = SvtAv1EncApp's on pre-decoded frames / this tool's (1: as fast as the encoder alone)."
echo "video B = the video stream's bytes (SvtAv1EncApp's IVF has no audio and keeps temporal delimiters)."
# The settings really are equal: SVT-AV1 prints its configuration in both runs.
SVT_LOG=3 $AV1D encode "$INPUT" -o "$WORK/a.mkv" --overwrite --preset 10 --crf 30 --keyint 240 -v --progress none 2>&1 \
  | grep -E "^Svt\[info\]: (SVT \[config\]|Level of|Number of logical|BRC|Sequence)" | sed 's/^/av1d   /' > "$WORK/cfg.av1d" || true
SVT_LOG=3 ffmpeg -nostdin -y -i "$INPUT" -map 0:v:0 -c:v libsvtav1 -preset 10 -crf 30 -g 240 -pix_fmt yuv420p10le \
  "$WORK/b.mkv" 2>&1 | grep -E "^Svt\[info\]: (SVT \[config\]|Level of|Number of logical|BRC|Sequence)" | sed 's/^/ffmpeg /' > "$WORK/cfg.ffmpeg" || true
if diff <(cut -c8- "$WORK/cfg.av1d") <(cut -c8- "$WORK/cfg.ffmpeg") >/dev/null; then
  echo "SVT-AV1 configuration lines identical in av1d and ffmpeg runs:"; cut -c8- "$WORK/cfg.av1d"
else
  echo "SVT-AV1 configuration lines DIFFER:"; diff <(cut -c8- "$WORK/cfg.av1d") <(cut -c8- "$WORK/cfg.ffmpeg") || true
fi
