#!/usr/bin/python3
"""Check the ICMP errors in a capture against RFC 1812 4.3.2 (dprouter lab tests).

  icmp_check.py --pcap F --type T --code C [--src A] [--dst A] [--sent HEXFILE] [--count N | --min N]
                [--word2 0xNNNNNNNN] [--ttl 64] [--offender-tos 0x10] [--list]

Selects the ICMP messages of TYPE/CODE in the capture (outer header) and checks each one:
  * IP and ICMP checksums valid, DF clear, IHL 5, TTL (--ttl, default 64);
  * TOS: precedence 6 (0xc0); with --offender-tos, exactly 0xc0 | (tos & 0x1e) (Linux, docs/icmp.md);
  * source (--src) and destination (--dst) addresses;
  * the second header word (--word2; e.g. 0x00000514 for frag needed with MTU 1300, or the gateway);
  * with --sent FILE (hex lines written by send_frames.py --save): the quote is one of those datagrams
    exactly as sent (TTL as received, checksum as received) cut to what fits in 576 bytes, and the
    error is 28 + that many bytes long.
--count N wants exactly N such messages, --min N at least N (default: at least 1). Prints one line per
message and the problems found; exit 0 when all is well. --list only prints what the capture holds.
"""
import argparse
import sys

from scapy.all import rdpcap  # noqa: E402


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(int.from_bytes(b[i:i + 2], "big") for i in range(0, len(b), 2))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def ip4(b):
    return ".".join(str(x) for x in b)


def parse(frame):
    if len(frame) < 14 + 20 or frame[12:14] != b"\x08\x00":
        return None
    ip = frame[14:]
    ihl = (ip[0] & 0x0f) * 4
    tot = int.from_bytes(ip[2:4], "big")
    if ip[9] != 1 or len(ip) < ihl + 8:
        return None
    ip = ip[:tot]
    icmp = ip[ihl:]
    return dict(ip=ip, ihl=ihl, tot=tot, tos=ip[1], ttl=ip[8], df=bool(ip[6] & 0x40),
                frag=int.from_bytes(ip[6:8], "big") & 0x3fff, src=ip4(ip[12:16]), dst=ip4(ip[16:20]),
                ip_ok=csum(ip[:ihl]) == 0, type=icmp[0], code=icmp[1], icmp_ok=csum(icmp) == 0,
                word2=int.from_bytes(icmp[4:8], "big"), quote=icmp[8:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pcap", required=True)
    ap.add_argument("--type", type=int)
    ap.add_argument("--code", type=int)
    ap.add_argument("--src")
    ap.add_argument("--dst")
    ap.add_argument("--sent")
    ap.add_argument("--count", type=int)
    ap.add_argument("--min", type=int, default=1)
    ap.add_argument("--max", type=int)
    ap.add_argument("--word2", type=lambda x: int(x, 0))
    ap.add_argument("--ttl", type=int, default=64)
    ap.add_argument("--offender-tos", type=lambda x: int(x, 0))
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()

    msgs = [m for m in (parse(bytes(p)) for p in rdpcap(a.pcap)) if m]
    if a.list:
        for m in msgs:
            print(f"icmp {m['type']}/{m['code']} {m['src']} -> {m['dst']} len {m['tot']} ttl {m['ttl']}"
                  f" tos {m['tos']:#04x} word2 {m['word2']:#010x}")
        return 0
    sel = [m for m in msgs if m["type"] == a.type and (a.code is None or m["code"] == a.code)]
    sent = []
    if a.sent:
        sent = [bytes.fromhex(x.strip()) for x in open(a.sent) if x.strip()]
    problems = []
    n = len(sel)
    if a.count is not None and n != a.count:
        problems.append(f"expected {a.count} ICMP {a.type}/{a.code}, found {n}")
    elif a.count is None and n < a.min:
        problems.append(f"expected at least {a.min} ICMP {a.type}/{a.code}, found {n}")
    if a.max is not None and n > a.max:
        problems.append(f"expected at most {a.max} ICMP {a.type}/{a.code}, found {n}")
    for i, m in enumerate(sel):
        p = []
        if not m["ip_ok"]:
            p.append("bad IP header checksum")
        if not m["icmp_ok"]:
            p.append("bad ICMP checksum")
        if m["ihl"] != 20:
            p.append(f"IHL {m['ihl'] // 4} (options in an ICMP error)")
        if m["df"]:
            p.append("DF set (RFC 1812 4.3.2.5 wants it clear)")
        if m["frag"]:
            p.append(f"fragment field {m['frag']:#x}")
        if a.ttl is not None and m["ttl"] != a.ttl:
            p.append(f"TTL {m['ttl']}, expected {a.ttl}")
        if m["tos"] >> 5 != 6:
            p.append(f"TOS {m['tos']:#04x}: precedence {m['tos'] >> 5}, expected 6 (internetwork control)")
        if a.offender_tos is not None and m["tos"] != (0xc0 | (a.offender_tos & 0x1e)):
            p.append(f"TOS {m['tos']:#04x}, expected {0xc0 | (a.offender_tos & 0x1e):#04x}")
        if a.src and m["src"] != a.src:
            p.append(f"source {m['src']}, expected {a.src}")
        if a.dst and m["dst"] != a.dst:
            p.append(f"destination {m['dst']}, expected {a.dst}")
        if a.word2 is not None and m["word2"] != a.word2:
            p.append(f"second word {m['word2']:#010x}, expected {a.word2:#010x}")
        if m["tot"] > 576:
            p.append(f"{m['tot']} bytes long, more than 576 (RFC 1812 4.3.2.3)")
        if sent:
            q = m["quote"]
            match = None
            for s in sent:
                want = s[:576 - 28]
                if q == want:
                    match = s
                    break
            if match is None:
                # closest: same IP id and addresses
                near = [s for s in sent if len(q) >= 20 and s[4:6] == q[4:6] and s[12:20] == q[12:20]]
                if near:
                    s = near[0]
                    want = s[:576 - 28]
                    diffs = [k for k in range(max(len(q), len(want)))
                             if k >= len(q) or k >= len(want) or q[k] != want[k]]
                    p.append(f"quote differs from the offender as sent ({len(q)} bytes quoted, expected "
                             f"{len(want)}); first differing offsets {diffs[:12]}"
                             f"{' (TTL byte 8: quoted ' + str(q[8]) + ', sent ' + str(want[8]) + ')' if 8 in diffs[:12] and len(q) > 8 else ''}")
                else:
                    p.append(f"quote matches no offender that was sent: {q[:28].hex()}...")
        desc = (f"ICMP {m['type']}/{m['code']} {m['src']} -> {m['dst']} len {m['tot']} ttl {m['ttl']} "
                f"tos {m['tos']:#04x} word2 {m['word2']:#010x} quote {len(m['quote'])} bytes")
        print(("ok   " if not p else "BAD  ") + desc)
        for x in p:
            print("       - " + x)
        problems += p
    for x in problems[:1] if problems and not sel else []:
        print("BAD  " + x)
    if problems and sel and (a.count is not None and n != a.count or n < a.min or (a.max is not None and n > a.max)):
        print("BAD  " + problems[0])
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
