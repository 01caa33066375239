#!/usr/bin/env python3
"""A hostile NTP server for the operator tools' tests, on loopback only.

usage: hostile_ntp_server.py ADDR PORT MODE SECONDS
MODE: short        answers every request with 47 octets (mode 6: 3 octets)
      zero_origin  a mode 4 reply, stratum 2, with a zero origin timestamp
      escape       a genuine reply (our origin), stratum 0, refid ESC [ 2 J
      other_port   a genuine reply, sent from another port
      silent       reads and never answers
Prints "ready" once bound; exits after SECONDS.
"""
import socket
import struct
import sys
import time

addr, port, mode, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, port))
other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
other.bind((addr, 0))
s.settimeout(0.1)
print("ready", flush=True)
end = time.time() + seconds


def ntp_now():
    t = time.time() + 2208988800
    return (int(t) << 32) | int((t % 1) * 2**32)


while time.time() < end:
    try:
        req, peer = s.recvfrom(2048)
    except socket.timeout:
        continue
    if mode == "short" and len(req) >= 12 and req[0] & 7 == 6:
        s.sendto(bytes([req[0], 0x80 | req[1], req[2]]), peer)  # mode 6: 3 octets
        continue
    if mode == "silent" or len(req) < 48:
        continue
    origin = req[40:48]
    now = ntp_now()
    stratum, refid = 2, b"\x7f\x00\x00\x01"
    if mode == "zero_origin":
        origin = b"\x00" * 8
    if mode == "escape":
        stratum, refid = 0, b"\x1b[2J"
    reply = bytes([0x24, stratum, 6, 0xEC]) + struct.pack(">II", 0, 0x100) + refid
    reply += struct.pack(">Q", now - (1 << 32)) + origin + struct.pack(">QQ", now, now)
    if mode == "short":
        reply = reply[:47]
    (other if mode == "other_port" else s).sendto(reply, peer)
