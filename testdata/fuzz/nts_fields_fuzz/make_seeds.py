#!/usr/bin/env python3
"""Writes the seed corpus of //ntp/nts:nts_fields_fuzz with Python's
cryptography AESSIV (an implementation independent of ours), using the fixed
keys of ntp/nts/fuzz_checks.h: master key 1 = 0x11 * 32, C2S = 0x22 * 32,
S2C = 0x33 * 32, and the all-zero generator (so the client's Unique
Identifier and nonces are zeros)."""
import os
import struct

from cryptography.hazmat.primitives.ciphers.aead import AESSIV

MASTER = bytes([0x11]) * 32
C2S = bytes([0x22]) * 32
S2C = bytes([0x33]) * 32
HERE = os.path.dirname(os.path.abspath(__file__))


def field(ftype, value, min_len=16):
    length = max(min_len, 4 + (len(value) + 3) // 4 * 4)
    return struct.pack(">HH", ftype, length) + value + bytes(length - 4 - len(value))


def cookie(key_id=1):
    nonce = bytes(range(16))
    kid = struct.pack(">I", key_id)
    return kid + nonce + AESSIV(MASTER).encrypt(C2S + S2C, [kid, nonce])


def authenticator(key, before, plaintext):
    nonce = bytes([0x5a]) * 16
    sealed = AESSIV(key).encrypt(plaintext, [before, nonce])
    body = struct.pack(">HH", 16, len(sealed)) + nonce + sealed
    return field(0x0404, body)


def header(mode, stratum=2, refid=b"GPS\0"):
    return bytes([(4 << 3) | mode, stratum, 6, 0xEC]) + bytes(8) + refid + bytes(32)


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


# A request our server accepts: UID, cookie, one placeholder, authenticator.
req = header(3) + field(0x0104, bytes([0xAB]) * 32) + field(0x0204, cookie()) + field(0x0304, bytes(100))
write("request_valid.bin", req + authenticator(C2S, req, b""))
# The same under a master key the server does not have: an NTS NAK case.
req = header(3) + field(0x0104, bytes([0xAB]) * 32) + field(0x0204, cookie(7))
write("request_unknown_key.bin", req + authenticator(C2S, req, b""))
# A reply the fuzz client accepts: zero UID, one new cookie inside.
rep = header(4) + field(0x0104, bytes(32))
write("reply_valid.bin", rep + authenticator(S2C, rep, field(0x0204, cookie())))
# An NTS NAK for the fuzz client's request.
write("reply_nak.bin", header(4, 0, b"NTSN") + field(0x0104, bytes(32)))
