#!/usr/bin/env python3
"""How far the size watch's projection (Sources/NativeEncode/Prediction/SizeWatch.swift) is from
the truth at each share of a title, replayed from a finished full encode with ffprobe.

    scripts/size-watch-accuracy.py SOURCE FULL_ENCODE.mkv [KEYFRAME_INTERVAL]

Prints the real size ratio, then (projected / real - 1) in % after 10, 15, 20, 25, 30, 40 ... 90%
of the pictures. The projection is the watch's: the encoded part's keyframes and other pictures,
the keyframes to come at their mean, the pictures to come at the encoded part's bytes per source
byte times the source's bytes for them (its packets in display order), plus the source's audio.
KEYFRAME_INTERVAL is the full encode's (default 250: ten seconds at 25 fps).
"""
import json
import os
import subprocess
import sys


def packets(path, selector):
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", selector, "-show_entries",
                          "packet=pts,dts,size,flags", "-of", "json", path],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)["packets"]


def time(packet):
    for key in ("pts", "dts"):
        value = packet.get(key)
        if value not in (None, "N/A"):
            return int(value)
    return 0


def main():
    source, output = sys.argv[1], sys.argv[2]
    interval = int(sys.argv[3]) if len(sys.argv) > 3 else 250
    shares = [0.10, 0.15, 0.20, 0.25, 0.30, 0.40, 0.50, 0.60, 0.70, 0.80, 0.90]
    ordered = sorted(enumerate(packets(source, "v:0")), key=lambda entry: (time(entry[1]), entry[0]))
    pictures = [int(packet["size"]) for _, packet in ordered]
    audio = sum(int(packet["size"]) for packet in packets(source, "a"))
    encoded = sorted(packets(output, "v:0"), key=time)
    original = os.path.getsize(source)
    real = os.path.getsize(output) / original
    count = len(pictures)
    before = [0]
    for size in pictures:
        before.append(before[-1] + size)
    errors = []
    for share in shares:
        done = int(share * count)
        part = encoded[:done]
        key_bytes = sum(int(p["size"]) for p in part if "K" in p["flags"])
        keyframes = sum(1 for p in part if "K" in p["flags"])
        other_bytes = sum(int(p["size"]) for p in part if "K" not in p["flags"])
        per_source_byte = other_bytes / (before[done] * (done - keyframes) / done)
        left = count - done
        keyframes_left = max((count + interval - 1) // interval - keyframes, 0)
        others_left = (left - min(keyframes_left, left)) / left if left else 0
        projected = (key_bytes + other_bytes + keyframes_left * key_bytes / keyframes
                     + per_source_byte * (before[count] - before[done]) * others_left + audio)
        errors.append(projected / original / real - 1)
    print(f"{os.path.basename(source):28} real {real:6.3f} "
          + " ".join(f"{share * 100:.0f}%:{error * 100:+5.1f}" for share, error in zip(shares, errors)))


if __name__ == "__main__":
    main()
