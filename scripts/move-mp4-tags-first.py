#!/usr/bin/env python3
"""Moves an MP4's `udta` box (tags and cover art) in front of its tracks inside `moov`, as some
taggers write it. FFmpeg's MP4 demuxer then lists the cover art as stream 0, before the picture
and the sound: the fixture for verification that must not depend on where cover art is listed.

The moov box must come after mdat (FFmpeg's default): reordering inside it moves no sample offsets.

    move-mp4-tags-first.py INPUT.mp4 OUTPUT.mp4
"""
import struct
import sys


def boxes(data):
    offset = 0
    while offset < len(data):
        size, kind = struct.unpack(">I4s", data[offset:offset + 8])
        yield kind, data[offset:offset + size]
        offset += size


def main(source, target):
    data = open(source, "rb").read()
    out = []
    for kind, box in boxes(data):
        if kind == b"moov":
            children = list(boxes(box[8:]))
            tags = [b for k, b in children if k == b"udta"]
            if not tags:
                sys.exit("no udta box in moov")
            header = [b for k, b in children if k == b"mvhd"]
            rest = [b for k, b in children if k not in (b"mvhd", b"udta")]
            box = box[:8] + b"".join(header + tags + rest)
        out.append(box)
    open(target, "wb").write(b"".join(out))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
