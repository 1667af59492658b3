#!/usr/bin/python3
"""Crafted frames for the dprouter lab tests (scapy). Run inside a lab namespace with /usr/bin/python3.

  send_frames.py arp  --iface IF --target IP [--timeout S]
      Send one ARP who-has for TARGET from IF's own MAC and address; print the answering MAC
      ("is-at MAC") and exit 0, or print "no reply" and exit 1.

  send_frames.py icmp --iface IF --dst IP --dst-mac MAC [--src IP] [--id N] [--seq N] [--ttl N]
                      [--count N] [--bad-checksum] [--payload-len N]
      Send ICMP echo requests in Ethernet frames to DST-MAC (no reply is awaited). --bad-checksum
      corrupts the IP header checksum.

  send_frames.py pkt --iface IF --dst-mac MAC --ip 'SCAPY-EXPR' [--pad N] [--truncate N] [--save FILE]
      Send one frame whose payload is the scapy expression (e.g. "IP(dst='10.2.0.2', ttl=1)/ICMP(id=7)"),
      built with scapy's usual defaults (checksums and lengths filled unless the expression sets them).
      IPv6 expressions work too (IPv6, ICMPv6*, IPv6ExtHdr*, HBHOptUnknown, PadN, UDP, TCP: scapy's names;
      they must name their src=); they go out with EtherType 0x86dd unless --ethertype says otherwise.
      --pad N appends N bytes after the IP datagram (Ethernet trailer); --truncate N cuts the IP datagram
      to N bytes. --save FILE appends the sent IP bytes (hex, one line) for `verify`. --repeat N sends
      the frames N times as fast as possible (a flood; with --spread S evenly over S seconds) and prints
      "elapsed SECONDS".

  send_frames.py verify --saved FILE --pcap PCAP [--ttl-dec 1]
      For every datagram in FILE, find it in PCAP with TTL lowered by --ttl-dec and the header checksum
      recomputed, every other byte identical; print what differs. Exit 0 when all were found.
"""
import argparse
import sys

from scapy.all import (ARP, ICMP, IP, Ether, Raw, conf, get_if_addr, get_if_hwaddr,  # noqa: E402
                       sendp, srp1)

conf.verb = 0


def cmd_arp(a):
    mac = get_if_hwaddr(a.iface)
    src = a.src or get_if_addr(a.iface)
    req = Ether(dst="ff:ff:ff:ff:ff:ff", src=mac) / ARP(op=1, hwsrc=mac, psrc=src, pdst=a.target)
    ans = srp1(req, iface=a.iface, timeout=a.timeout,
               # only an ARP reply about the target counts
               filter=f"arp and arp[6:2] = 2 and arp[14:4] = 0x{''.join('%02x' % int(x) for x in a.target.split('.'))}")
    if ans is None or ARP not in ans or ans[ARP].op != 2 or ans[ARP].psrc != a.target:
        print("no reply")
        return 1
    print(f"is-at {ans[ARP].hwsrc} eth-src {ans[Ether].src} eth-dst {ans[Ether].dst} pdst {ans[ARP].pdst}")
    return 0


def cmd_icmp(a):
    mac = get_if_hwaddr(a.iface)
    src = a.src or get_if_addr(a.iface)
    payload = bytes((i & 0xff for i in range(a.payload_len)))
    ip = IP(src=src, dst=a.dst, ttl=a.ttl)
    pkts = []
    for i in range(a.count):
        p = ip / ICMP(type=8, id=a.id, seq=a.seq + i) / Raw(payload)
        p = IP(bytes(p))  # fill in the checksum
        if a.bad_checksum:
            p.chksum = (p.chksum ^ 0x5a5a) or 0x1234
        pkts.append(Ether(src=mac, dst=a.dst_mac) / p)
    sendp(pkts, iface=a.iface, inter=0.05)
    print(f"sent {len(pkts)} frame(s) to {a.dst_mac} {a.dst} id {a.id}"
          f"{' with a bad IP checksum' if a.bad_checksum else ''}")
    return 0


def cmd_pkt(a):
    from scapy.all import IP, ICMP, UDP, TCP, Raw, IPOption, IPOption_NOP  # noqa: F401
    import scapy.layers.inet6 as inet6
    mac = get_if_hwaddr(a.iface)
    me = get_if_addr(a.iface)
    names = dict(IP=IP, ICMP=ICMP, UDP=UDP, TCP=TCP, Raw=Raw, IPOption=IPOption, IPOption_NOP=IPOption_NOP,
                 bytes=bytes, range=range, len=len)
    names.update({k: getattr(inet6, k) for k in dir(inet6)
                  if k.startswith(("IPv6", "ICMPv6", "HBHOpt", "PadN", "Pad1", "RouterAlert"))})
    frames = []
    for expr in a.ip:
        pkt = eval(expr, {"__builtins__": {}}, names)  # noqa: S307 (test helper, trusted input)
        ipv6 = isinstance(pkt, inet6.IPv6)
        if "src=" not in expr and IP in pkt:
            pkt[IP].src = me
        raw = bytes(pkt)
        if a.truncate is not None:
            raw = raw[:a.truncate]
        if a.save:
            with open(a.save, "a") as f:
                f.write(raw.hex() + "\n")
        etype = a.ethertype if a.ethertype is not None else 0x86DD if ipv6 else 0x0800
        frame = bytes(Ether(src=mac, dst=a.dst_mac, type=etype)) + raw + b"\0" * a.pad
        frames.append(Raw(frame))
        desc = (IP(raw).summary() if len(raw) >= 20 and raw[0] >> 4 == 4 else
                inet6.IPv6(raw).summary() if ipv6 and len(raw) >= 40 else raw.hex())
        print(f"send {len(frame)}-byte frame to {a.dst_mac}: {expr} -> {desc}")
    import time
    t0 = time.monotonic()
    if a.repeat > 1:
        # a flood: the same frames over and over, as fast as one socket takes them
        from scapy.all import conf as sconf
        sock = sconf.L2socket(iface=a.iface)
        raws = [bytes(f) for f in frames]
        # --spread S: the same number of frames in 50 ms slices over S seconds
        slices = max(1, int(a.spread / 0.05)) if a.spread > 0 else 1
        per = -(-a.repeat // slices)
        sent = 0
        for k in range(slices):
            for _ in range(min(per, a.repeat - sent)):
                for r in raws:
                    sock.send(r)
                sent += 1
            if slices > 1:
                time.sleep(max(0.0, t0 + (k + 1) * 0.05 - time.monotonic()))
        sock.close()
    else:
        sendp(frames, iface=a.iface, inter=a.inter)
    print(f"elapsed {time.monotonic() - t0:.3f}")
    return 0


def ip_checksum(hdr):
    s = 0
    for i in range(0, len(hdr), 2):
        s += (hdr[i] << 8) + (hdr[i + 1] if i + 1 < len(hdr) else 0)
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def cmd_verify(a):
    from scapy.all import rdpcap
    got = []
    for p in rdpcap(a.pcap):
        b = bytes(p)
        if len(b) >= 34 and b[12:14] == b"\x08\x00":
            ihl = (b[14] & 0x0f) * 4
            tot = int.from_bytes(b[16:18], "big")
            got.append(b[14:14 + max(tot, ihl)])
    ok = True
    for line in open(a.saved):
        sent = bytes.fromhex(line.strip())
        ihl = (sent[0] & 0x0f) * 4
        exp = bytearray(sent)
        exp[8] = (exp[8] - a.ttl_dec) & 0xff
        exp[10:12] = b"\0\0"
        exp[10:12] = ip_checksum(bytes(exp[:ihl])).to_bytes(2, "big")
        exp = bytes(exp)
        if exp in got:
            print(f"found unchanged: {IP(sent).summary()} ({len(sent)} bytes)")
            continue
        ok = False
        # the closest candidate: same IP id and addresses
        cand = [g for g in got if g[4:6] == sent[4:6] and g[12:20] == sent[12:20]]
        print(f"NOT found as expected: {IP(sent).summary()} ({len(sent)} bytes), expected {exp.hex()}")
        for c in cand:
            diffs = [i for i in range(max(len(c), len(exp))) if i >= len(c) or i >= len(exp) or c[i] != exp[i]]
            print(f"  candidate {len(c)} bytes, differs at offsets {diffs[:20]}: {c.hex()}")
        if not cand:
            print("  no captured datagram with the same IP id and addresses")
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("arp")
    p.add_argument("--iface", required=True)
    p.add_argument("--target", required=True)
    p.add_argument("--src")
    p.add_argument("--timeout", type=float, default=2.0)
    p = sub.add_parser("icmp")
    p.add_argument("--iface", required=True)
    p.add_argument("--dst", required=True)
    p.add_argument("--dst-mac", required=True)
    p.add_argument("--src")
    p.add_argument("--id", type=int, default=0x4242)
    p.add_argument("--seq", type=int, default=1)
    p.add_argument("--ttl", type=int, default=64)
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--payload-len", type=int, default=32)
    p.add_argument("--bad-checksum", action="store_true")
    p = sub.add_parser("pkt")
    p.add_argument("--iface", required=True)
    p.add_argument("--dst-mac", required=True)
    p.add_argument("--ip", required=True, action="append")
    p.add_argument("--ethertype", type=lambda x: int(x, 0))  # default: 0x86dd for IPv6, else 0x0800
    p.add_argument("--pad", type=int, default=0)
    p.add_argument("--truncate", type=int)
    p.add_argument("--save")
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--inter", type=float, default=0.02)
    p.add_argument("--spread", type=float, default=0.0)
    p = sub.add_parser("verify")
    p.add_argument("--saved", required=True)
    p.add_argument("--pcap", required=True)
    p.add_argument("--ttl-dec", type=int, default=1)
    a = ap.parse_args()
    return {"arp": cmd_arp, "icmp": cmd_icmp, "pkt": cmd_pkt, "verify": cmd_verify}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
