#!/usr/bin/env python3
"""Gives an MP4's video track the display matrix a phone writes for a portrait recording, for the
tests that av1d turns the pixels upright as the ffmpeg CLI does.

FFmpeg 5.1's CLI cannot set a display matrix (`-display_rotation` came in 6.0), so this rewrites
the 36-byte matrix of the video track's `tkhd` box in place: no size or offset changes.

    set-mp4-rotation.py INPUT.mp4 OUTPUT.mp4 DEGREES     (90, 180 or 270, clockwise on screen)
"""
import struct
import sys

CONTAINERS = {b"moov", b"trak"}
ONE = 0x10000          # 16.16 fixed point for a, b, c, d, x, y
W_ONE = 0x40000000     # 2.30 fixed point for w


def matrix(degrees, width, height):
    # Rows (a b u) (c d v) (x y w) as in ISO 14496-12; x/y move the turned picture back into view.
    a, b, c, d, x, y = {
        90: (0, ONE, -ONE, 0, height, 0),
        180: (-ONE, 0, 0, -ONE, width, height),
        270: (0, -ONE, ONE, 0, 0, width),
    }[degrees]
    return struct.pack(">9i", a, b, 0, c, d, 0, x * ONE, y * ONE, W_ONE)


def patch(data, start, end, degrees, state):
    offset = start
    while offset < end:
        size, kind = struct.unpack(">I4s", data[offset:offset + 8])
        if kind in CONTAINERS:
            patch(data, offset + 8, offset + size, degrees, state)
        elif kind == b"tkhd":
            version = data[offset + 8]
            body = offset + 12 + (32 if version == 1 else 20) + 16
            width, height = struct.unpack(">II", data[body + 36:body + 44])
            if width and height and not state["done"]:   # the video track (audio has 0x0)
                data[body:body + 36] = matrix(degrees, width >> 16, height >> 16)
                state["done"] = True
        offset += size


def main():
    source, target, degrees = sys.argv[1], sys.argv[2], int(sys.argv[3])
    data = bytearray(open(source, "rb").read())
    state = {"done": False}
    patch(data, 0, len(data), degrees, state)
    if not state["done"]:
        sys.exit("set-mp4-rotation: no video track header found")
    open(target, "wb").write(data)


if __name__ == "__main__":
    main()
