#!/usr/bin/env python3
"""Adds ATSC A/53 closed captions (CEA-608 pairs in "GA94" registered user data SEI) to every
picture of a raw H.264 Annex B stream, as broadcast recordings carry them. x264 can only pass
captions through from a source that has them; this makes a source that has them.

    add-a53-captions.py INPUT.h264 OUTPUT.h264
"""
import sys

START = b"\x00\x00\x00\x01"


def nal_units(data):
    """The NAL units of an Annex B stream, without their start codes."""
    parts = data.split(b"\x00\x00\x01")
    return [p.rstrip(b"\x00") for p in parts if p.rstrip(b"\x00")]


def escape(payload):
    """Emulation prevention: no 00 00 0x (x <= 3) inside a NAL unit."""
    out, zeros = bytearray(), 0
    for byte in payload:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def caption_sei(pair):
    cc = bytes([0xFC, pair[0], pair[1], 0xFD, 0x80, 0x80])  # field 1 pair, field 2 padding
    user_data = b"\xb5\x00\x31" + b"GA94" + b"\x03" + bytes([0x40 | 2, 0xFF]) + cc + b"\xff"
    message = bytes([4, len(user_data)]) + user_data  # payload type 4: registered ITU-T T.35
    return START + escape(b"\x06" + message + b"\x80")


def odd_parity(byte):
    return byte | 0x80 if bin(byte).count("1") % 2 == 0 else byte


def main(source, target):
    # Roll-up captions, two rows (RU2, sent twice as broadcasters do), the text, carriage return.
    text = b"\x94\x25\x94\x25" + bytes(odd_parity(b) for b in b"HELLO CAPTIONS") + b"\x94\xad\x94\xad"
    pairs = [text[i:i + 2].ljust(2, b"\x80") for i in range(0, len(text), 2)]
    out, picture = [], 0
    for nal in nal_units(open(source, "rb").read()):
        if nal[0] & 0x1F in (1, 5):  # a slice: one per picture from x264 with one slice
            out.append(caption_sei(pairs[picture % len(pairs)]))
            picture += 1
        out.append(START + nal)
    open(target, "wb").write(b"".join(out))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
