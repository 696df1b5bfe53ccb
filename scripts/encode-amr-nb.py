#!/usr/bin/env python3
"""Encodes 8 kHz mono 16-bit PCM to an AMR-NB file (RFC 4867 storage format, 12.2 kb/s) with
libopencore-amrnb, for the 3GP fixture: Debian's FFmpeg decodes AMR but has no AMR encoder.

    encode-amr-nb.py INPUT.s16le OUTPUT.amr      (needs the libopencore-amrnb0 package)
"""
import ctypes
import sys

FRAME = 160  # samples per 20 ms frame at 8 kHz
MR122 = 7    # the 12.2 kb/s mode, as phones record


def main(source, target):
    amr = ctypes.CDLL("libopencore-amrnb.so.0")
    amr.Encoder_Interface_init.restype = ctypes.c_void_p
    amr.Encoder_Interface_Encode.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(ctypes.c_short),
                                             ctypes.POINTER(ctypes.c_ubyte), ctypes.c_int]
    amr.Encoder_Interface_exit.argtypes = [ctypes.c_void_p]
    state = amr.Encoder_Interface_init(0)
    pcm = open(source, "rb").read()
    out = bytearray(b"#!AMR\n")
    speech = (ctypes.c_short * FRAME)()
    packet = (ctypes.c_ubyte * 64)()
    for offset in range(0, len(pcm) - 2 * FRAME + 1, 2 * FRAME):
        ctypes.memmove(speech, pcm[offset:offset + 2 * FRAME], 2 * FRAME)
        size = amr.Encoder_Interface_Encode(state, MR122, speech, packet, 0)
        out += bytes(packet[:size])
    amr.Encoder_Interface_exit(state)
    open(target, "wb").write(bytes(out))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
