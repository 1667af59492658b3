#!/usr/bin/python3
"""A TCP transfer whose both ends check every byte (lab tests, run in a netns).

  tcp_transfer.py serve --port P --ready FILE [--max S]
      listen on [::]:P (IPv4 too, v4-mapped), touch FILE once listening; for each connection read to
      EOF and answer one line "BYTES SHA256-HEX" of what arrived, until --max seconds passed (default 120).
  tcp_transfer.py send --dst ADDR --port P --bytes N [--timeout S]
      connect, send N bytes of a fixed pattern, shut down the write side, read the answer; print one
      JSON line {"sent": N, "echoed": n, "ok": bool, "seconds": s, "mbit_s": r}; exit 1 unless the
      server saw exactly the bytes sent.
"""
import argparse
import hashlib
import json
import socket
import sys
import time


def pattern(n):
    block = bytes(range(256)) * 256  # 64 KiB
    whole, rest = divmod(n, len(block))
    return block * whole + block[:rest]


def serve(a):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", a.port))
    s.listen(16)
    s.settimeout(1.0)
    open(a.ready, "w").close()
    end = time.monotonic() + a.max
    while time.monotonic() < end:
        try:
            c, _ = s.accept()
        except socket.timeout:
            continue
        c.settimeout(30)
        h = hashlib.sha256()
        n = 0
        try:
            while True:
                b = c.recv(1 << 16)
                if not b:
                    break
                h.update(b)
                n += len(b)
            c.sendall(f"{n} {h.hexdigest()}\n".encode())
        except OSError:
            pass
        finally:
            c.close()


def send(a):
    data = pattern(a.bytes)
    family = socket.AF_INET6 if ":" in a.dst else socket.AF_INET
    start = time.monotonic()
    c = socket.create_connection((a.dst, a.port), timeout=a.timeout) if family == socket.AF_INET else None
    if c is None:
        c = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        c.settimeout(a.timeout)
        c.connect((a.dst, a.port))
    c.sendall(data)
    c.shutdown(socket.SHUT_WR)
    answer = b""
    while not answer.endswith(b"\n"):
        b = c.recv(256)
        if not b:
            break
        answer += b
    c.close()
    secs = time.monotonic() - start
    parts = answer.decode(errors="replace").split()
    echoed = int(parts[0]) if parts else -1
    ok = len(parts) == 2 and echoed == len(data) and parts[1] == hashlib.sha256(data).hexdigest()
    print(json.dumps({"sent": len(data), "echoed": echoed, "ok": ok, "seconds": round(secs, 3),
                      "mbit_s": round(len(data) * 8 / secs / 1e6, 1)}))
    return 0 if ok else 1


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--ready", required=True)
    s.add_argument("--max", type=float, default=120)
    c = sub.add_parser("send")
    c.add_argument("--dst", required=True)
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--bytes", type=int, required=True)
    c.add_argument("--timeout", type=float, default=20)
    a = p.parse_args()
    if a.cmd == "serve":
        serve(a)
        return 0
    return send(a)


if __name__ == "__main__":
    sys.exit(main())
