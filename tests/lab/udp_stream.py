#!/usr/bin/python3
"""A paced, numbered UDP stream whose receiver counts exactly what arrived (lab tests, run in a netns).

  udp_stream.py recv --port P --ready FILE [--idle S] [--max S]
      bind UDP port P, touch FILE once listening, count datagrams until none came for --idle seconds
      (after the first; default 3) or --max seconds passed (default 300); print one JSON line:
      {"received": distinct sequence numbers, "duplicates": n, "max_seq": n, "missing": [first few]}
  udp_stream.py send --dst ADDR --port P --rate PPS --stop FILE [--size BYTES] [--max-count N]
      send datagrams numbered 0, 1, 2, ... at PPS per second until FILE exists (or N were sent); print
      {"sent": n, "seconds": s, "late_resets": n}. When the sender falls behind (a busy CPU) it does
      not catch up in one burst, which could overflow a receive ring on the way: a backlog beyond
      --max-burst (default 32) is forgiven and counted in late_resets.
"""
import argparse
import json
import os
import socket
import struct
import sys
import time

HDR = struct.Struct("!Q")


def recv(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind(("0.0.0.0", a.port))
    open(a.ready, "w").close()
    seen = set()
    dups = 0
    start = time.monotonic()
    last = None
    s.settimeout(0.2)
    while True:
        now = time.monotonic()
        if now - start > a.max or (last is not None and now - last > a.idle):
            break
        try:
            data = s.recv(65535)
        except socket.timeout:
            continue
        if len(data) < HDR.size:
            continue
        last = time.monotonic()
        (seq,) = HDR.unpack_from(data)
        if seq in seen:
            dups += 1
        seen.add(seq)
    top = max(seen) if seen else -1
    missing = [i for i in range(top + 1) if i not in seen][:20]
    print(json.dumps({"received": len(seen), "duplicates": dups, "max_seq": top, "missing": missing}))
    return 0


def send(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    pad = b"r" * max(0, a.size - HDR.size)
    period = 1.0 / a.rate
    seq = 0
    resets = 0
    t0 = time.monotonic()
    due = t0
    while a.max_count is None or seq < a.max_count:
        if seq % 100 == 0 and os.path.exists(a.stop):
            break
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        elif now - due > a.max_burst * period:
            due = now  # forgive the backlog instead of bursting it out
            resets += 1
        s.sendto(HDR.pack(seq) + pad, (a.dst, a.port))
        seq += 1
        due += period
    print(json.dumps({"sent": seq, "seconds": round(time.monotonic() - t0, 2), "late_resets": resets}))
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("recv")
    r.add_argument("--port", type=int, required=True)
    r.add_argument("--ready", required=True)
    r.add_argument("--idle", type=float, default=3.0)
    r.add_argument("--max", type=float, default=300.0)
    t = sub.add_parser("send")
    t.add_argument("--dst", required=True)
    t.add_argument("--port", type=int, required=True)
    t.add_argument("--rate", type=float, required=True)
    t.add_argument("--stop", required=True)
    t.add_argument("--size", type=int, default=64)
    t.add_argument("--max-count", type=int)
    t.add_argument("--max-burst", type=int, default=32)
    a = ap.parse_args()
    return recv(a) if a.cmd == "recv" else send(a)


if __name__ == "__main__":
    sys.exit(main())
