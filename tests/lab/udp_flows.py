#!/usr/bin/python3
"""UDP datagrams over many flows from ordinary sockets (lab tests, run in a netns).

  udp_flows.py --dst ADDR [--port P] [--flows F] [--ttl T] [--seconds S] [--rate PPS] [--size BYTES]

Opens F sockets (F source ports, chosen by the kernel) and sends round robin, socket i to ADDR port
P + i, with IP TTL T (1: every datagram expires at the first router), at about PPS datagrams a second
in all for S seconds. Prints one JSON line: {"sent": n, "seconds": s, "flows": F}. Errors the kernel
reports back on a socket (after an ICMP time exceeded or port unreachable) fail that one send: it is
counted in "errors", not in "sent".
"""
import argparse
import json
import socket
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dst", required=True)
    ap.add_argument("--port", type=int, default=40000)
    ap.add_argument("--flows", type=int, default=64)
    ap.add_argument("--ttl", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--rate", type=float, default=2000.0)
    ap.add_argument("--size", type=int, default=32)
    a = ap.parse_args()
    socks = []
    for _ in range(a.flows):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, a.ttl)
        s.setblocking(False)
        socks.append(s)
    payload = b"f" * a.size
    sent = errors = tries = 0
    start = time.monotonic()
    period = 1.0 / a.rate
    while True:
        now = time.monotonic()
        if now - start >= a.seconds:
            break
        due = int((now - start) / period) + 1
        while tries < due:
            i = tries % a.flows
            tries += 1
            try:
                socks[i].sendto(payload, (a.dst, a.port + i))
                sent += 1
            except OSError:  # an error queued by an earlier ICMP message, or a full buffer
                errors += 1
        time.sleep(min(period * 16, 0.002))
    print(json.dumps({"sent": sent, "seconds": round(time.monotonic() - start, 3), "flows": a.flows, "errors": errors}))


if __name__ == "__main__":
    main()
