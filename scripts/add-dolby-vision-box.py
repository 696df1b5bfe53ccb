#!/usr/bin/env python3
"""Marks an HEVC MP4 as Dolby Vision (profile 8.1) by adding a `dvcC` configuration box to its
video sample entry, for the test that av1d detects dynamic HDR metadata it cannot keep.

FFmpeg 5.1 cannot write such a file from scratch; its MP4 demuxer reads `dvcC` into the stream's
DOVI configuration, which is exactly what av1d looks for. The moov box must come after mdat
(FFmpeg's default), so growing it moves no sample offsets.

    add-dolby-vision-box.py INPUT.mp4 OUTPUT.mp4
"""
import struct
import sys

CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl"}
SAMPLE_ENTRIES = {b"hvc1", b"hev1"}


def dvcc_box():
    # dv_version 1.0; profile 8, level 4, rpu present, no EL, BL present; BL compatibility 1 (HDR10).
    profile, level = 8, 4
    bits = (profile << 9) | (level << 3) | (1 << 2) | (0 << 1) | 1
    payload = bytes([1, 0]) + struct.pack(">H", bits) + bytes([1 << 4]) + bytes(19)
    return struct.pack(">I", 8 + len(payload)) + b"dvcC" + payload


def boxes(data):
    offset = 0
    while offset < len(data):
        size, kind = struct.unpack(">I4s", data[offset:offset + 8])
        yield kind, data[offset + 8:offset + size]
        offset += size


def rebuild(kind, body):
    if kind in CONTAINERS:
        body = b"".join(rebuild(k, b) for k, b in boxes(body))
    elif kind == b"stsd":
        body = body[:8] + b"".join(rebuild(k, b) for k, b in boxes(body[8:]))
    elif kind in SAMPLE_ENTRIES:
        body = body + dvcc_box()
    return struct.pack(">I", 8 + len(body)) + kind + body


def main():
    source, target = sys.argv[1], sys.argv[2]
    data = open(source, "rb").read()
    kinds = [k for k, _ in boxes(data)]
    if kinds.index(b"moov") < kinds.index(b"mdat"):
        sys.exit("moov must follow mdat (write the MP4 without +faststart)")
    output = b"".join(rebuild(k, b) for k, b in boxes(data))
    if b"dvcC" not in output:
        sys.exit("no HEVC sample entry found")
    open(target, "wb").write(output)


if __name__ == "__main__":
    main()
