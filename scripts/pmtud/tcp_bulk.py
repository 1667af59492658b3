#!/usr/bin/python3
"""Bulk TCP transfer for the Path MTU Discovery lab (scripts/pmtud-lab.sh). Standard library only.

  tcp_bulk.py server --port P --out FILE [--bind ADDR] [--idle S] [--deadline S] [--ready FILE]
      Accept one connection on ADDR:P (default 0.0.0.0; "::" for IPv6), write everything received to
      FILE until the peer closes.
      Gives up when nothing arrives for --idle seconds (default 20) or after --deadline seconds in all
      (default 120). Prints "received N bytes in T s" (or "... INCOMPLETE ...") and exits 0 only when
      the peer closed the connection normally. --ready FILE is created once the socket listens.

  tcp_bulk.py client --host H --port P --file FILE [--deadline S] [--hold FILE] [--info FILE]
      Connect (H may be an IPv6 address), send FILE, close the sending side and wait for the server to close. Exits 0 when
      everything was sent and acknowledged by the close, 2 when --deadline (default 60) expired first.
      --hold FILE: after connecting, send only the first 6 bytes of FILE (a small segment, so the
      connection is established and has sent data) and sit idle until the file named by --hold exists
      (checked every 0.2 s, at most --deadline seconds), then send the rest. The local address, port and
      the number of bytes sent so far are written to --info FILE as "LOCAL_IP LOCAL_PORT 6" once those
      6 bytes were sent, so the lab can quote the live connection.
"""
import argparse
import os
import socket
import sys
import time


def endpoint(addr):
    """ADDR:PORT, with brackets around an IPv6 address."""
    return f"[{addr[0]}]:{addr[1]}" if ":" in addr[0] else f"{addr[0]}:{addr[1]}"


def server(a):
    ls = socket.socket(socket.AF_INET6 if ":" in a.bind else socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.bind, a.port))
    ls.listen(1)
    if a.ready:
        open(a.ready, "w").close()
    start = time.monotonic()
    ls.settimeout(a.deadline)
    try:
        c, peer = ls.accept()
    except socket.timeout:
        print(f"server: nobody connected within {a.deadline} s", flush=True)
        return 1
    total = 0
    closed = False
    with open(a.out, "wb") as out:
        while True:
            left = a.deadline - (time.monotonic() - start)
            if left <= 0:
                break
            c.settimeout(min(a.idle, left))
            try:
                data = c.recv(1 << 16)
            except socket.timeout:
                break
            except OSError as e:
                print(f"server: {e}", flush=True)
                break
            if not data:
                closed = True
                break
            out.write(data)
            total += len(data)
    took = time.monotonic() - start
    c.close()
    ls.close()
    if closed:
        print(f"server: received {total} bytes from {endpoint(peer)} in {took:.1f} s", flush=True)
        return 0
    print(f"server: INCOMPLETE: received {total} bytes from {endpoint(peer)} in {took:.1f} s, "
          f"then nothing for {a.idle} s or the {a.deadline} s deadline passed", flush=True)
    return 1


def client(a):
    data = open(a.file, "rb").read()
    start = time.monotonic()
    s = socket.create_connection((a.host, a.port), timeout=a.deadline)
    if a.hold:
        s.sendall(data[:6])
        if a.info:
            ip, port = s.getsockname()[:2]
            tmp = a.info + ".tmp"
            with open(tmp, "w") as f:
                f.write(f"{ip} {port} 6\n")
            os.rename(tmp, a.info)
        print(f"client: connected from {endpoint(s.getsockname())}, 6 bytes sent, idle until "
              f"{a.hold} exists", flush=True)
        while not os.path.exists(a.hold):
            if time.monotonic() - start > a.deadline:
                print("client: hold deadline passed", flush=True)
                return 2
            time.sleep(0.2)
        start = time.monotonic()
    sent = 6 if a.hold else 0
    view = memoryview(data)
    try:
        while sent < len(data):
            left = a.deadline - (time.monotonic() - start)
            if left <= 0:
                raise socket.timeout
            s.settimeout(left)
            sent += s.send(view[sent:sent + (1 << 16)])
        s.shutdown(socket.SHUT_WR)
        left = a.deadline - (time.monotonic() - start)
        if left <= 0:
            raise socket.timeout
        s.settimeout(left)
        while s.recv(4096):
            pass
    except socket.timeout:
        print(f"client: TIMEOUT after {a.deadline} s: {sent} of {len(data)} bytes handed to the kernel "
              f"(the rest never left the send buffer)", flush=True)
        return 2
    except OSError as e:
        print(f"client: {e} after {sent} bytes", flush=True)
        return 1
    took = time.monotonic() - start
    print(f"client: sent {len(data)} bytes in {took:.1f} s ({len(data) * 8 / took / 1e6:.1f} Mbit/s), "
          f"server closed", flush=True)
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="mode", required=True)
    ps = sub.add_parser("server")
    ps.add_argument("--port", type=int, required=True)
    ps.add_argument("--out", required=True)
    ps.add_argument("--idle", type=float, default=20)
    ps.add_argument("--deadline", type=float, default=120)
    ps.add_argument("--ready")
    ps.add_argument("--bind", default="0.0.0.0")
    pc = sub.add_parser("client")
    pc.add_argument("--host", required=True)
    pc.add_argument("--port", type=int, required=True)
    pc.add_argument("--file", required=True)
    pc.add_argument("--deadline", type=float, default=60)
    pc.add_argument("--hold")
    pc.add_argument("--info")
    a = p.parse_args()
    return server(a) if a.mode == "server" else client(a)


if __name__ == "__main__":
    sys.exit(main())
