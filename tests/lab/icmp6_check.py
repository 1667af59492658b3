#!/usr/bin/python3
"""Check the ICMPv6 errors in a capture against RFC 4443 (dprouter lab tests).

  icmp6_check.py --pcap F --type T --code C [--src A] [--dst A] [--hlim 64] [--word2 N]
                 [--quote-from PCAP | --no-quote] [--count N | --min N] [--list]

Selects the ICMPv6 error messages (types 1-4) of TYPE/CODE in the capture and checks each one:
  * the ICMPv6 checksum over the pseudo-header (RFC 4443 2.3, RFC 8200 8.1), computed here;
  * hop limit (--hlim, default 64), source (--src) and destination (--dst);
  * the second word (--word2: the MTU of a Packet Too Big, the pointer of a Parameter Problem,
    0 for the others; default: not checked);
  * the message is at most 1280 bytes (RFC 4443 2.4(c)) and the quote is the offending packet
    exactly as it reached the router, cut to what fits: the packet is looked for among the frames
    of --quote-from (default: the same capture, which then must hold what the host sent), and the
    quote must be all of it or its first 1232 bytes. --no-quote skips this.
--count N wants exactly N such messages, --min N at least N (default: at least 1). Prints one line per
message and the problems found; exit 0 when all is well. --list only prints what the capture holds.
"""
import argparse
import ipaddress
import sys

from scapy.all import rdpcap  # noqa: E402

from icmp_check import csum  # the RFC 1071 sum, beside this file

MAX_ERROR = 1280  # RFC 4443 2.4(c): the minimum IPv6 MTU


def addr(b):
    return str(ipaddress.IPv6Address(bytes(b)))


def ipv6_packet(frame):
    """The IPv6 packet of an Ethernet frame (Ethernet padding trimmed), or None."""
    frame = bytes(frame)
    if len(frame) < 14 + 40 or frame[12:14] != b"\x86\xdd":
        return None
    ip = frame[14:]
    return ip[:40 + int.from_bytes(ip[4:6], "big")]


def parse(frame):
    ip = ipv6_packet(frame)
    if ip is None or ip[6] != 58 or len(ip) < 48:
        return None
    icmp = ip[40:]
    pseudo = ip[8:40] + len(icmp).to_bytes(4, "big") + b"\0\0\0" + bytes([58])
    return dict(ip=ip, hlim=ip[7], src=addr(ip[8:24]), dst=addr(ip[24:40]), type=icmp[0], code=icmp[1],
                ok=csum(pseudo + icmp) == 0, word2=int.from_bytes(icmp[4:8], "big"), quote=icmp[8:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pcap", required=True)
    for opt in ("--src", "--dst", "--quote-from"):
        ap.add_argument(opt)
    ap.add_argument("--type", type=int)
    ap.add_argument("--code", type=int)
    ap.add_argument("--hlim", type=int, default=64)
    ap.add_argument("--word2", type=lambda s: int(s, 0))
    ap.add_argument("--no-quote", action="store_true")
    ap.add_argument("--count", type=int)
    ap.add_argument("--min", type=int, default=1)
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()
    frames = rdpcap(a.pcap)
    msgs = [m for m in (parse(f) for f in frames) if m]
    if a.list:
        for m in msgs:
            print(f"icmp6 {m['type']}/{m['code']} {m['src']} -> {m['dst']} hlim {m['hlim']} len {len(m['ip'])} "
                  f"word2 {m['word2']:#x} checksum {'good' if m['ok'] else 'BAD'}")
        return 0
    errors = [m for m in msgs if 1 <= m["type"] <= 4 and m["type"] == a.type and m["code"] == a.code]
    sent = [p for p in (ipv6_packet(f) for f in (rdpcap(a.quote_from) if a.quote_from else frames)) if p]
    problems = []
    for i, m in enumerate(errors):
        where = f"#{i + 1} {m['type']}/{m['code']} {m['src']} -> {m['dst']}"
        print(f"{where}: hlim {m['hlim']}, {len(m['ip'])} bytes, word2 {m['word2']:#x}, "
              f"checksum {'good' if m['ok'] else 'BAD'}, quote {len(m['quote'])} bytes")
        if not m["ok"]:
            problems.append(f"{where}: bad ICMPv6 checksum")
        if m["hlim"] != a.hlim:
            problems.append(f"{where}: hop limit {m['hlim']}, expected {a.hlim}")
        if a.src and m["src"] != str(ipaddress.IPv6Address(a.src)):
            problems.append(f"{where}: source {m['src']}, expected {a.src}")
        if a.dst and m["dst"] != str(ipaddress.IPv6Address(a.dst)):
            problems.append(f"{where}: destination {m['dst']}, expected {a.dst}")
        if a.word2 is not None and m["word2"] != a.word2:
            problems.append(f"{where}: second word {m['word2']:#x}, expected {a.word2:#x}")
        if len(m["ip"]) > MAX_ERROR:
            problems.append(f"{where}: {len(m['ip'])} bytes, more than {MAX_ERROR}")
        if not a.no_quote:
            q = m["quote"]
            room = MAX_ERROR - 48
            match = [p for p in sent if len(q) >= 40 and p[:len(q)] == q]
            if not match:
                problems.append(f"{where}: the quote ({len(q)} bytes, starts {q[:48].hex()}) is no packet of the "
                                f"capture as sent")
            elif not any(len(q) == min(len(p), room) for p in match):
                problems.append(f"{where}: quote of {len(q)} bytes, expected all of the {len(match[0])}-byte packet "
                                f"or its first {room}")
    n = len(errors)
    if a.count is not None and n != a.count:
        problems.append(f"{n} ICMPv6 {a.type}/{a.code} messages, expected exactly {a.count}")
    elif a.count is None and n < a.min:
        problems.append(f"{n} ICMPv6 {a.type}/{a.code} messages, expected at least {a.min}")
    for p in problems:
        print("PROBLEM:", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
