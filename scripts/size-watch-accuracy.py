#!/usr/bin/env python3
"""How far the size watch's projection (Sources/NativeEncode/Prediction/SizeWatch.swift) is from
the truth as a title is encoded, replayed from a finished full encode with ffprobe.

    scripts/size-watch-accuracy.py SOURCE FULL_ENCODE.mkv [KEYFRAME_INTERVAL [MINI_GOP]]

Prints the real size ratio, then for each tenth of the title from 10% on ("20%": 20-30% of its
pictures encoded) the worst overshoot
(projected / real - 1, in %) of the projections after every third picture in it. The projection
is the watch's: the encoded pictures' keyframes and other pictures; the keyframes to come at
their mean; the pictures to come at the encoded part's bytes per source byte (the source's
packets in display order, counted to the end of the mini-GOP under way) times the source's bytes
for them; plus the source's audio packets. KEYFRAME_INTERVAL and MINI_GOP are the full encode's
(default 250, ten seconds at 25 fps, and 16).
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
    mini_gop = int(sys.argv[4]) if len(sys.argv) > 4 else 16
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

    def mini_gop_end(frames):
        period = frames // interval * interval
        within = frames - period
        if within == 0:
            return frames
        return min(period + min(1 + (within - 1 + mini_gop - 1) // mini_gop * mini_gop, interval), count)

    worst = {}
    for done in range(-(-count // 10), count, 3):
        part = encoded[:done]
        key_bytes = sum(int(p["size"]) for p in part if "K" in p["flags"])
        keyframes = sum(1 for p in part if "K" in p["flags"])
        other_bytes = sum(int(p["size"]) for p in part if "K" not in p["flags"])
        settled = mini_gop_end(done)
        per_source_byte = other_bytes / (before[settled] * (done - keyframes) / done)
        left = count - done
        keyframes_left = min(max((count + interval - 1) // interval - keyframes, 0), left)
        others_left = (left - keyframes_left) / left if left else 0
        projected = (key_bytes + other_bytes + keyframes_left * key_bytes / keyframes
                     + per_source_byte * (before[count] - before[settled]) * others_left + audio)
        tenth = done * 10 // count
        worst[tenth] = max(worst.get(tenth, -1.0), projected / original / real - 1)
    print(f"{os.path.basename(source):28} real {real:6.3f} "
          + " ".join(f"{tenth * 10}%:{error * 100:+5.1f}" for tenth, error in sorted(worst.items())))


if __name__ == "__main__":
    main()
