#!/usr/bin/python3
"""Check what a forwarder sent out of port 1 for one pass over the benchmark pcap.

  verify.py wait  --prefix P --pid PID --count N    wait until port 1 has sent N packets (or 10 s)
  verify.py check --input IN.pcap --output OUT.pcap --program dprouter|l3fwd

`check` expects, in order, one output packet per input packet that should be forwarded, equal to
the input with: destination MAC 02:00:00:00:00:02 (the next hop), TTL one lower, a valid IPv4
header checksum, everything else from the IP header on unchanged. dprouter must not forward
packets arriving with TTL <= 1; l3fwd does not check TTL and forwards them (with TTL 0).
Packets bigger than the egress MTU (--mtu) are not checked (fragmentation is another benchmark):
`check` then exits 3.
"""
import argparse
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

NEXT_HOP_MAC = "02:00:00:00:00:02"
SKIPPED = 3  # exit status of `check` when the traffic is not the kind it can check


def wait(args):
    from measure import Telemetry, alive  # stdlib only
    path = os.path.join(args.runtime_dir, args.prefix, "dpdk_telemetry.v2")
    deadline = time.monotonic() + args.timeout
    tel = None
    last = None
    while time.monotonic() < deadline and alive(args.pid):
        try:
            if tel is None:
                tel = Telemetry(path)
            last = tel.query(f"/ethdev/stats,{args.tx_port}")
            if last and last.get("opackets", 0) >= args.count:
                # A little longer, to see packets beyond the expected count if there are any.
                time.sleep(0.3)
                return 0
        except (FileNotFoundError, ConnectionRefusedError):
            pass
        time.sleep(0.05)
    print(f"verify: port {args.tx_port} sent {last and last.get('opackets')} of {args.count} "
          f"packets", file=sys.stderr)
    return 1


def check(args):
    from scapy.all import IP, Ether, rdpcap
    inp = rdpcap(args.input)
    try:
        out = rdpcap(args.output)
    except FileNotFoundError:
        out = []
    expected = []
    for p in inp:
        if len(p[IP]) > args.mtu:
            print(f"verify: packets exceed the {args.mtu}-byte egress MTU; not checking",
                  file=sys.stderr)
            return SKIPPED
        if args.program == "dprouter" and p[IP].ttl <= 1:
            continue
        expected.append(p)
    problems = []
    if len(out) != len(expected):
        problems.append(f"{len(out)} packets out, {len(expected)} expected")
    for i, (o, e) in enumerate(zip(out, expected)):
        if Ether not in o or IP not in o:
            problems.append(f"packet {i}: not Ethernet/IPv4")
        else:
            want = IP(bytes(e[IP]))
            want.ttl = (want.ttl - 1) & 0xFF
            del want.chksum
            want = bytes(IP(bytes(want)))
            if o[Ether].dst != NEXT_HOP_MAC:
                problems.append(f"packet {i}: dst MAC {o[Ether].dst}, want {NEXT_HOP_MAC}")
            if bytes(o[IP]) != want:
                problems.append(f"packet {i}: IP bytes differ from input with TTL-1 and "
                                f"recomputed checksum")
        if len(problems) >= 5:
            break
    if problems:
        for p in problems:
            print(f"verify: {args.program}: {p}", file=sys.stderr)
        return 1
    print(f"verify: {args.program}: {len(out)} packets forwarded as expected", file=sys.stderr)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("wait")
    w.add_argument("--prefix", required=True)
    w.add_argument("--runtime-dir", default="/var/run/dpdk")
    w.add_argument("--pid", type=int, required=True)
    w.add_argument("--tx-port", type=int, default=1)
    w.add_argument("--count", type=int, required=True)
    w.add_argument("--timeout", type=float, default=10.0)
    c = sub.add_parser("check")
    c.add_argument("--input", required=True)
    c.add_argument("--output", required=True)
    c.add_argument("--program", choices=["dprouter", "l3fwd"], required=True)
    c.add_argument("--mtu", type=int, default=1500, help="egress IP MTU (default 1500)")
    args = ap.parse_args()
    return wait(args) if args.cmd == "wait" else check(args)


if __name__ == "__main__":
    sys.exit(main())
