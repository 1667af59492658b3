#!/usr/bin/python3
"""Check what a forwarder sent for one pass over a benchmark pcap.

  verify.py count FILE.pcap                            print the number of packets in it
  verify.py wait  --prefix P --pid PID --rx-count N    wait until port 0 has read the N packets of
                                                       the pcap and both ports' output has settled
  verify.py check --input IN.pcap --output PORT1.pcap --program dprouter|l3fwd
                  [--mtu 1500] [--icmp-output PORT0.pcap] [--global-limit 1000,50] ...

`check` walks the input in order and expects on port 1, in order:

  * a datagram that fits the egress MTU (--mtu): one packet equal to the input with destination
    MAC 02:00:00:00:00:02 (the next hop), TTL one lower, a valid IPv4 header checksum, everything
    else from the IP header on unchanged;
  * a bigger one with DF clear (dprouter only): its fragments, each checked on its own (same ID,
    addresses, protocol and TOS, TTL one lower, DF clear, MF on all but the last, contiguous offsets,
    no more than the MTU, a multiple of 8 data bytes except the last, valid header checksum) and
    their data reassembled equal to the original's;
  * a bigger one with DF set (dprouter): nothing; it is owed a frag needed on port 0;
  * TTL <= 1 (dprouter): nothing; it is owed a time exceeded on port 0. l3fwd does not check TTL
    and forwards such packets (with TTL 0); it never fragments, so --mtu does not apply to it.

IPv6 input (the forward6 scenario) is checked the same way: one packet equal to the input with
destination MAC 02:00:00:00:00:02 and, from dprouter, the hop limit one lower (RFC 8200 3; no
checksum covers it); l3fwd leaves the hop limit as it was (its RFC 1812 step is IPv4 only).
dprouter sends nothing on port 1 for hop limit <= 1 or a packet larger than the MTU (it never
fragments IPv6); the ICMPv6 errors it owes for them are not checked here.

With --icmp-output (dprouter's port 0, written during the same pass), every frame there must be an
ICMP error about one of those offenders, in the order they arrived: Ethernet from the router's MAC
to the static neighbour behind which the sources are, IPv4 from the router's address (--icmp-src)
to the offender's source, TTL 64, DF clear, TOS 0xc0 | (offender TOS & 0x1e), valid IP and ICMP
checksums, the right type and code (11/0; 3/4 with the MTU in the low 16 bits of the second word),
and the offender's IP packet as it arrived (TTL not decremented) quoted up to 576 bytes in all. Their
number must respect the rate limits: at most burst + rate x (time between the first and the last
error) + 1 per bucket, and, since every bucket starts full, at least as many as the buckets allow
(so the errors are really sent, not only counted).
"""
import argparse
import os
import struct
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

NEXT_HOP_MAC = "02:00:00:00:00:02"
ICMP_MAX = 576  # RFC 1812 4.3.2.3: the whole error datagram


def mac_bytes(s):
    return bytes(int(x, 16) for x in s.split(":"))


def ip_bytes(s):
    return bytes(int(x) for x in s.split("."))


def ip_str(b):
    return ".".join(str(x) for x in b)


def cksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def read_pcap(path):
    """[(timestamp_s, frame bytes)] from a classic pcap file (either byte order, µs or ns)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return []
    magic = data[:4]
    table = {b"\xd4\xc3\xb2\xa1": ("<", 1e-6), b"\xa1\xb2\xc3\xd4": (">", 1e-6),
             b"\x4d\x3c\xb2\xa1": ("<", 1e-9), b"\xa1\xb2\x3c\x4d": (">", 1e-9)}
    if magic not in table:
        raise SystemExit(f"verify: {path}: not a pcap file")
    endian, unit = table[magic]
    out = []
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _orig = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        out.append((sec + frac * unit, data[off:off + incl]))
        off += incl
    return out


class Ip:
    """The IPv4 datagram in an Ethernet frame (no VLAN), as raw fields."""

    def __init__(self, frame):
        self.frame = frame
        self.eth_dst, self.eth_src = frame[0:6], frame[6:12]
        self.ethertype = struct.unpack("!H", frame[12:14])[0]
        b = frame[14:]
        self.ok = self.ethertype == 0x0800 and len(b) >= 20 and b[0] >> 4 == 4
        if not self.ok:
            return
        self.ihl = (b[0] & 0xF) * 4
        self.tos = b[1]
        self.len = struct.unpack("!H", b[2:4])[0]
        self.id = struct.unpack("!H", b[4:6])[0]
        fo = struct.unpack("!H", b[6:8])[0]
        self.df = bool(fo & 0x4000)
        self.mf = bool(fo & 0x2000)
        self.offset = (fo & 0x1FFF) * 8
        self.ttl = b[8]
        self.proto = b[9]
        self.src, self.dst = b[12:16], b[16:20]
        self.header = b[:self.ihl]
        self.packet = b[:self.len]          # without Ethernet padding
        self.payload = b[self.ihl:self.len]
        self.ok = self.len >= self.ihl >= 20 and len(b) >= self.len

    def checksum_ok(self):
        return cksum(bytes(self.header)) == 0


class Ip6:
    """The IPv6 packet in an Ethernet frame (no VLAN), as raw fields."""

    def __init__(self, frame):
        self.frame = frame
        self.eth_dst, self.eth_src = frame[0:6], frame[6:12]
        self.ethertype = struct.unpack("!H", frame[12:14])[0]
        b = frame[14:]
        self.ok = self.ethertype == 0x86DD and len(b) >= 40 and b[0] >> 4 == 6
        if not self.ok:
            return
        self.hop_limit = b[7]
        self.len = 40 + struct.unpack("!H", b[4:6])[0]
        self.src, self.dst = b[8:24], b[24:40]
        self.packet = b[:self.len]          # without Ethernet padding
        self.ok = len(b) >= self.len


def parse(frame):
    """Ip or Ip6, by EtherType."""
    return Ip6(frame) if frame[12:14] == b"\x86\xdd" else Ip(frame)


def check_whole6(i, o, inp, program, problems):
    if o.eth_dst != mac_bytes(NEXT_HOP_MAC):
        problems.append(f"input {i}: dst MAC {o.eth_dst.hex(':')}, want {NEXT_HOP_MAC}")
    if not o.ok:
        problems.append(f"input {i}: output is not Ethernet/IPv6")
        return
    want = bytearray(inp.packet)
    if program == "dprouter":
        want[7] -= 1
    if o.packet != bytes(want):
        what = "hop limit - 1" if program == "dprouter" else "the hop limit unchanged (l3fwd)"
        problems.append(f"input {i}: IPv6 bytes differ from the input with {what}")


def forwarded_bytes(inp):
    """The input datagram as a router should forward it whole: TTL - 1, header checksum redone."""
    h = bytearray(inp.header)
    h[8] = (h[8] - 1) & 0xFF
    h[10:12] = b"\0\0"
    h[10:12] = struct.pack("!H", cksum(bytes(h)))
    return bytes(h) + inp.payload


def check_whole(i, o, inp, problems):
    if o.eth_dst != mac_bytes(NEXT_HOP_MAC):
        problems.append(f"input {i}: dst MAC {o.eth_dst.hex(':')}, want {NEXT_HOP_MAC}")
    if not o.ok:
        problems.append(f"input {i}: output is not Ethernet/IPv4")
    elif o.packet != forwarded_bytes(inp):
        problems.append(f"input {i}: IP bytes differ from input with TTL-1 and recomputed checksum")


def check_fragments(i, frags, inp, mtu, problems):
    data = bytearray()
    want_off = 0
    for k, f in enumerate(frags):
        last = k == len(frags) - 1
        where = f"input {i} fragment {k + 1}/{len(frags)}"
        if not f.ok:
            problems.append(f"{where}: not Ethernet/IPv4")
            return
        if f.eth_dst != mac_bytes(NEXT_HOP_MAC):
            problems.append(f"{where}: dst MAC {f.eth_dst.hex(':')}, want {NEXT_HOP_MAC}")
        if not f.checksum_ok():
            problems.append(f"{where}: bad header checksum")
        if (f.id, f.src, f.dst, f.proto, f.tos) != (inp.id, inp.src, inp.dst, inp.proto, inp.tos):
            problems.append(f"{where}: ID/addresses/protocol/TOS differ from the original")
        if f.ttl != inp.ttl - 1:
            problems.append(f"{where}: TTL {f.ttl}, want {inp.ttl - 1}")
        if f.df:
            problems.append(f"{where}: DF set")
        if f.mf != (not last or inp.mf):
            problems.append(f"{where}: MF {'set' if f.mf else 'clear'}")
        if f.offset != inp.offset + want_off:
            problems.append(f"{where}: offset {f.offset}, want {inp.offset + want_off}")
        if f.len > mtu:
            problems.append(f"{where}: {f.len} bytes, more than the {mtu}-byte MTU")
        if not last and len(f.payload) % 8:
            problems.append(f"{where}: {len(f.payload)} data bytes, not a multiple of 8")
        data += f.payload
        want_off += len(f.payload)
    if bytes(data) != inp.payload:
        problems.append(f"input {i}: reassembled data differ from the original's "
                        f"({len(data)} bytes, want {len(inp.payload)})")


def fragment_count(inp, mtu):
    per = ((mtu - inp.ihl) // 8) * 8
    return -(-len(inp.payload) // per) if per > 0 else 0


def limit(s):
    rate, burst = (float(x) for x in s.split(","))
    return rate, burst


def check_icmp(args, offenders, problems):
    """offenders: [(input index, Ip, kind)] in input order; kind 'time_exceeded' or 'frag_needed'."""
    frames = read_pcap(args.icmp_output) if os.path.exists(args.icmp_output) else []
    router_mac, nh_mac = mac_bytes(args.router_mac), mac_bytes(args.icmp_next_hop_mac)
    src = ip_bytes(args.icmp_src)
    types = {"time_exceeded": (11, 0), "frag_needed": (3, 4)}
    pos = 0
    times = {"time_exceeded": [], "frag_needed": []}
    for n, (ts, frame) in enumerate(frames):
        e = Ip(frame)
        where = f"port 0 frame {n + 1}"
        if not e.ok or e.proto != 1:
            problems.append(f"{where}: not an ICMP datagram (ethertype {e.ethertype:#06x})")
            continue
        icmp = e.payload
        quote = icmp[8:]
        # The offender it quotes: the next one, in input order, whose bytes match.
        j = pos
        while j < len(offenders) and not (quote and offenders[j][1].packet.startswith(quote)):
            j += 1
        if j == len(offenders):
            problems.append(f"{where}: quotes no offender (or not in arrival order)")
            continue
        pos = j + 1
        i, o, kind = offenders[j]
        where = f"{where} (about input {i})"
        want_quote = min(o.len, ICMP_MAX - 28)
        if e.eth_src != router_mac or e.eth_dst != nh_mac:
            problems.append(f"{where}: MACs {e.eth_src.hex(':')} -> {e.eth_dst.hex(':')}, want "
                            f"{args.router_mac} -> {args.icmp_next_hop_mac}")
        if len(quote) != want_quote:
            problems.append(f"{where}: quotes {len(quote)} bytes, want {want_quote}")
        if e.src != src or e.dst != o.src:
            problems.append(f"{where}: {ip_str(e.src)} -> {ip_str(e.dst)}, want "
                            f"{args.icmp_src} -> {ip_str(o.src)}")
        if e.ttl != 64 or e.df or e.mf or e.offset or e.ihl != 20:
            problems.append(f"{where}: envelope TTL {e.ttl}, DF {e.df}, MF {e.mf}, offset "
                            f"{e.offset}, header {e.ihl} bytes")
        if e.tos != (0xC0 | (o.tos & 0x1E)):
            problems.append(f"{where}: TOS {e.tos:#04x}")
        if not e.checksum_ok():
            problems.append(f"{where}: bad IP header checksum")
        if cksum(bytes(icmp)) != 0:
            problems.append(f"{where}: bad ICMP checksum")
        want_rest = struct.pack("!HH", 0, args.mtu if kind == "frag_needed" else 0)
        if (icmp[0], icmp[1]) != types[kind] or icmp[4:8] != want_rest:
            problems.append(f"{where}: ICMP {icmp[0]}/{icmp[1]} second word {icmp[4:8].hex()}, "
                            f"want {types[kind][0]}/{types[kind][1]} {want_rest.hex()}")
        times[kind].append(ts)

    # Rate limits. Every bucket starts full; sources repeat per pass at most (packets / flows) times.
    g_rate, g_burst = limit(args.global_limit)
    _, d_burst = limit(args.dest_limit)
    f_rate, f_burst = limit(args.frag_limit)
    per_src = {}
    for _, o, kind in offenders:
        if kind == "time_exceeded":
            per_src[o.src] = per_src.get(o.src, 0) + 1
    n_off = {"time_exceeded": sum(min(c, int(d_burst)) for c in per_src.values()),
             "frag_needed": sum(1 for x in offenders if x[2] == "frag_needed")}
    report = []
    for kind, (rate, burst) in (("time_exceeded", (g_rate, g_burst)), ("frag_needed", (f_rate, f_burst))):
        ts = times[kind]
        offered = sum(1 for x in offenders if x[2] == kind)
        if not offered:
            continue
        span = ts[-1] - ts[0] if len(ts) > 1 else 0.0
        most = int(burst + rate * span) + 1
        least = min(n_off[kind], int(burst))
        report.append(f"{len(ts)} {kind} for {offered} offenders (bucket allows {least}..{most})")
        if len(ts) > most:
            problems.append(f"{len(ts)} {kind} errors within {span * 1e3:.3f} ms: more than the "
                            f"rate limit allows ({most})")
        if len(ts) < least:
            problems.append(f"only {len(ts)} {kind} errors on port 0, at least {least} expected "
                            f"(full buckets)")
    return report


def check(args):
    inp = [parse(f) for _, f in read_pcap(args.input)]
    out = [parse(f) for _, f in read_pcap(args.output)] if os.path.exists(args.output) else []
    problems = []
    offenders = []
    pos = 0
    whole = frags = 0
    short = None  # input at which port 1's output ran out
    refused6 = 0  # IPv6 inputs dprouter must not forward (hop limit, MTU); their errors go unchecked
    for i, p in enumerate(inp):
        if not p.ok:
            raise SystemExit(f"verify: input {i} is neither Ethernet/IPv4 nor Ethernet/IPv6")
        if isinstance(p, Ip6):
            if args.program == "dprouter" and (p.hop_limit <= 1 or p.len > args.mtu):
                refused6 += 1
                continue
            if pos >= len(out):
                short = i
                break
            check_whole6(i, out[pos], p, args.program, problems)
            pos += 1
            whole += 1
            if len(problems) >= 5:
                break
            continue
        if args.program == "dprouter":
            if p.ttl <= 1:
                offenders.append((i, p, "time_exceeded"))
                continue
            if p.len > args.mtu:
                if p.df:
                    offenders.append((i, p, "frag_needed"))
                    continue
                k = fragment_count(p, args.mtu)
                if pos + k > len(out):
                    short = i
                    break
                check_fragments(i, out[pos:pos + k], p, args.mtu, problems)
                pos += k
                frags += k
                continue
        if pos >= len(out):
            short = i
            break
        check_whole(i, out[pos], p, problems)
        pos += 1
        whole += 1
        if len(problems) >= 5:
            break
    if short is not None:
        problems.append(f"port 1 sent {len(out)} packets: fewer than expected (nothing left for "
                        f"input {short} of {len(inp)})")
    elif len(problems) < 5 and pos != len(out):
        problems.append(f"port 1 sent {len(out)} packets, {pos} expected")
    icmp_report = []
    if args.icmp_output and not problems:
        icmp_report = check_icmp(args, offenders, problems)
    if problems:
        for p in problems[:8]:
            print(f"verify: {args.program}: {p}", file=sys.stderr)
        return 1
    what = [f"{whole} forwarded whole"]
    if frags:
        what.append(f"{frags} fragments")
    if args.program == "dprouter":
        what.append(f"{len(offenders) + refused6} refused")
    print(f"verify: {args.program}: port 1 as expected ({', '.join(what)})"
          + ("; port 0: " + "; ".join(icmp_report) if icmp_report else ""), file=sys.stderr)
    return 0


def wait(args):
    from measure import Telemetry, alive  # stdlib only
    path = os.path.join(args.runtime_dir, args.prefix, "dpdk_telemetry.v2")
    deadline = time.monotonic() + args.timeout
    tel = None
    last = None
    settled_since = None
    while time.monotonic() < deadline and alive(args.pid):
        try:
            if tel is None:
                tel = Telemetry(path)
            rx = tel.query(f"/ethdev/stats,{args.rx_port}")
            tx = tel.query(f"/ethdev/stats,{args.tx_port}")
            now = (rx.get("ipackets", 0), rx.get("opackets", 0), tx.get("opackets", 0))
            done = now[0] >= args.rx_count and now[2] >= args.count
            if done and now == last:
                # Read everything and nothing more came out for 0.3 s: done.
                if settled_since is None:
                    settled_since = time.monotonic()
                elif time.monotonic() - settled_since >= 0.3:
                    return 0
            else:
                settled_since = None
            last = now
        except (FileNotFoundError, ConnectionRefusedError, AttributeError):
            pass
        time.sleep(0.05)
    print(f"verify: after {args.timeout} s port {args.rx_port} read/sent {last and last[:2]}, "
          f"port {args.tx_port} sent {last and last[2]} (wanted {args.rx_count} read, "
          f"{args.count} sent)", file=sys.stderr)
    return 1


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("wait")
    w.add_argument("--prefix", required=True)
    w.add_argument("--runtime-dir", default="/var/run/dpdk")
    w.add_argument("--pid", type=int, required=True)
    w.add_argument("--rx-port", type=int, default=0)
    w.add_argument("--tx-port", type=int, default=1)
    w.add_argument("--rx-count", type=int, default=0, help="packets port 0 must have read")
    w.add_argument("--count", type=int, default=0, help="packets port 1 must have sent")
    w.add_argument("--timeout", type=float, default=10.0)
    n = sub.add_parser("count")
    n.add_argument("pcap")
    c = sub.add_parser("check")
    c.add_argument("--input", required=True)
    c.add_argument("--output", required=True, help="what port 1 sent")
    c.add_argument("--program", choices=["dprouter", "l3fwd"], required=True)
    c.add_argument("--mtu", type=int, default=1500, help="dprouter's egress IP MTU (default 1500)")
    c.add_argument("--icmp-output", help="what dprouter's port 0 sent (its ICMP errors)")
    c.add_argument("--icmp-src", default="198.18.0.1", help="router address on port 0")
    c.add_argument("--router-mac", default="02:00:00:00:00:01", help="router MAC on port 0")
    c.add_argument("--icmp-next-hop-mac", default="02:00:00:00:00:10",
                   help="MAC of the neighbour the sources are behind")
    c.add_argument("--global-limit", default="1000,50", help="icmp.rate_limit.global RATE,BURST")
    c.add_argument("--dest-limit", default="10,10", help="icmp.rate_limit.per_destination")
    c.add_argument("--frag-limit", default="1000,100", help="icmp.rate_limit.frag_needed")
    args = ap.parse_args()
    if args.cmd == "count":
        print(len(read_pcap(args.pcap)))
        return 0
    return wait(args) if args.cmd == "wait" else check(args)


if __name__ == "__main__":
    sys.exit(main())
