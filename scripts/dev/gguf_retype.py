#!/usr/bin/env python3
"""Rewrites a GGUF file with its 2-D F32 tensors converted to BF16 (round to
nearest even), everything else byte-identical. Used to make the BF16 test
fixtures (fixtures/models/variants/*-bf16.gguf) from F32 ones. Standard
library only.

Usage: gguf_retype.py IN.gguf OUT.gguf
"""
import struct
import sys

F32, BF16 = 0, 30
SCALAR = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}


def main(src, dst):
    data = open(src, "rb").read()
    pos = 0

    def take(n):
        nonlocal pos
        pos += n
        return data[pos - n:pos]

    def u32():
        return struct.unpack("<I", take(4))[0]

    def u64():
        return struct.unpack("<Q", take(8))[0]

    def skip_value(t):
        if t == 8:
            take(u64())
        elif t == 9:
            et, n = u32(), u64()
            for _ in range(n):
                skip_value(et)
        else:
            take(SCALAR[t])

    magic, version = take(4), u32()
    assert magic == b"GGUF" and version in (2, 3), "not a GGUF v2/v3 file"
    n_tensors, n_kv = u64(), u64()
    alignment = 32
    for _ in range(n_kv):
        key = take(u64()).decode()
        t = u32()
        if key == "general.alignment":
            alignment = struct.unpack("<I", data[pos:pos + 4])[0]
        skip_value(t)
    kv_end = pos
    tensors = []
    for _ in range(n_tensors):
        name = take(u64())
        dims = [u64() for _ in range(u32())]
        ttype, offset = u32(), u64()
        tensors.append([name, dims, ttype, offset])
    data_start = (pos + alignment - 1) // alignment * alignment

    def nbytes(dims, ttype):
        n = 1
        for d in dims:
            n *= d
        return {F32: 4 * n, BF16: 2 * n, 1: 2 * n, 8: n // 32 * 34, 2: n // 32 * 18}[ttype]

    payloads = []
    for t in tensors:
        raw = data[data_start + t[3]:data_start + t[3] + nbytes(t[1], t[2])]
        if t[2] == F32 and len(t[1]) == 2:
            words = struct.unpack("<%dI" % (len(raw) // 4), raw)
            # Round to nearest even on the upper 16 bits.
            raw = struct.pack("<%dH" % len(words),
                              *[((w + 0x7FFF + ((w >> 16) & 1)) >> 16) & 0xFFFF for w in words])
            t[2] = BF16
        payloads.append(raw)

    out = bytearray(data[:kv_end])
    offset = 0
    for t, raw in zip(tensors, payloads):
        out += struct.pack("<Q", len(t[0])) + t[0] + struct.pack("<I", len(t[1]))
        out += b"".join(struct.pack("<Q", d) for d in t[1])
        out += struct.pack("<IQ", t[2], offset)
        offset += (len(raw) + alignment - 1) // alignment * alignment
    out += b"\0" * (-len(out) % alignment)
    for raw in payloads:
        out += raw + b"\0" * (-len(raw) % alignment)
    open(dst, "wb").write(out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
