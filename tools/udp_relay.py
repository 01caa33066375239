#!/usr/bin/env python3
"""Loopback UDP relay that records every datagram it forwards (golden-vector capture).

Used by tools/capture_golden.sh, never by the build or CI. It listens on one
address:port, forwards each client datagram unchanged to the upstream server
from a per-client socket, relays the server's answers back, and writes each
UDP payload to OUT/NNN_request.bin or OUT/NNN_reply.bin (NNN counts all
datagrams of this relay from 001), with one line per datagram in OUT/relay.log (a reply's line names the request it
answers: the latest request from the same client address).

Only loopback addresses (127.0.0.0/8, ::1) are accepted. Standard library only.
"""

import argparse
import ipaddress
import os
import select
import signal
import socket
import sys
import time


def parse_endpoint(text):
    """'127.0.0.3:12345' or '[::1]:12345' -> (family, host, port)."""
    if text.startswith("["):
        host, _, port = text[1:].partition("]:")
    else:
        host, _, port = text.rpartition(":")
    address = ipaddress.ip_address(host)
    if not address.is_loopback:
        raise SystemExit("udp_relay: %s is not a loopback address" % host)
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    return family, host, int(port)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listen", required=True, help="loopback ADDR:PORT to listen on")
    parser.add_argument("--upstream", required=True, help="loopback ADDR:PORT of the real server")
    parser.add_argument("--out", required=True, help="directory for the .bin files and relay.log")
    parser.add_argument("--duration", type=float, default=60.0,
                        help="exit after this many seconds (bounded run)")
    parser.add_argument("--max-datagrams", type=int, default=64,
                        help="exit after recording this many datagrams")
    parser.add_argument("--ready-file", help="created once the listening socket is bound")
    args = parser.parse_args()

    listen_family, listen_host, listen_port = parse_endpoint(args.listen)
    up_family, up_host, up_port = parse_endpoint(args.upstream)
    os.makedirs(args.out, exist_ok=True)

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    signal.signal(signal.SIGINT, lambda *_: stop.append(True))

    listener = socket.socket(listen_family, socket.SOCK_DGRAM)
    listener.bind((listen_host, listen_port))
    if args.ready_file:
        with open(args.ready_file, "w") as ready:
            ready.write("%d\n" % os.getpid())

    upstream_by_client = {}   # client address -> socket towards the server
    client_by_upstream = {}   # socket fileno -> client address
    last_request_by_client = {}  # client address -> file name of its latest request
    log = open(os.path.join(args.out, "relay.log"), "a")
    sequence = 0
    deadline = time.monotonic() + args.duration

    def record(direction, payload, source, destination, answers="-"):
        nonlocal sequence
        sequence += 1
        name = "%03d_%s.bin" % (sequence, direction)
        with open(os.path.join(args.out, name), "wb") as out:
            out.write(payload)
        log.write("%s %s %d bytes %s:%d -> %s:%d answers=%s t=%.6f\n" % (
            name, direction, len(payload), source[0], source[1],
            destination[0], destination[1], answers, time.time()))
        log.flush()
        return name

    while not stop and sequence < args.max_datagrams:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        sockets = [listener] + list(upstream_by_client.values())
        try:
            readable, _, _ = select.select(sockets, [], [], min(remaining, 0.5))
        except InterruptedError:
            continue
        for sock in readable:
            payload, source = sock.recvfrom(65535)
            if sock is listener:
                upstream = upstream_by_client.get(source)
                if upstream is None:
                    upstream = socket.socket(up_family, socket.SOCK_DGRAM)
                    upstream.bind((listen_host, 0))
                    upstream_by_client[source] = upstream
                    client_by_upstream[upstream.fileno()] = source
                last_request_by_client[source] = record(
                    "request", payload, source, (up_host, up_port))
                upstream.sendto(payload, (up_host, up_port))
            else:
                client = client_by_upstream[sock.fileno()]
                record("reply", payload, source, client,
                       last_request_by_client.get(client, "-"))
                listener.sendto(payload, client)

    log.close()
    for sock in upstream_by_client.values():
        sock.close()
    listener.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
