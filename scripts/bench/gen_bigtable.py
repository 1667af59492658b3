#!/usr/bin/python3
"""Big-table benchmark material: a route list and a pcap whose destinations spread over it.

    gen_bigtable.py --routes-out routes.txt --pcap-out big.pcap [--routes 1000000]
                    [--destinations 65536] [--seed 1] [--via 198.18.9.2] [--size 64]

The route list is in the `routes_file:` format (one "PREFIX via GATEWAY" per line). Prefixes are
random, distinct and seeded, with lengths drawn from a distribution shaped like a full Internet
table (about half /24, most of the rest /16../23, a few shorter and a few longer than /24, so
rte_lpm needs some tbl8 groups). None lies in 0/8, 127/8, 224/3 or overlaps 198.18.0.0/15 (the
benchmark's own subnets). Every route goes via the same gateway, so a checker of the output
knows the next hop's MAC.

The pcap has one 64-byte (--size, FCS included) IPv4/UDP frame per destination: destination i is
a random address inside a random route of the list (so the LPM walks many different tbl24 entries,
tbl8 groups and next hops), source 198.18.0.2..254 (the ingress subnet), UDP source port
1024 + i mod 64512, destination port 9, TTL 64, valid IPv4 and UDP checksums, destination MAC
02:00:00:00:00:01. Written without scapy: 65536 frames take a second, not a minute.
"""
import argparse
import ipaddress
import random
import struct
import sys

FCS_LEN = 4
# (prefix length, weight): roughly the shape of a full IPv4 BGP table.
LENGTHS = [(8, 1), (10, 2), (12, 5), (13, 5), (14, 10), (15, 15), (16, 120), (17, 30), (18, 50),
           (19, 80), (20, 100), (21, 110), (22, 180), (23, 160), (24, 1100), (25, 4), (26, 4),
           (27, 3), (28, 3), (29, 3), (30, 2), (32, 3)]
BENCH_NET = ipaddress.IPv4Network("198.18.0.0/15")


def forbidden(net, length):
    """0/8, 127/8, 224/3 and anything overlapping the benchmark's own subnets."""
    first = net >> 24
    if first == 0 or first == 127 or first >= 224:
        return True
    last = net | ((1 << (32 - length)) - 1)
    lo, hi = int(BENCH_NET.network_address), int(BENCH_NET.broadcast_address)
    return not (last < lo or net > hi)


def gen_routes(count, rng):
    lengths = [length for length, _ in LENGTHS]
    weights = [w for _, w in LENGTHS]
    seen = set()
    routes = []
    while len(routes) < count:
        length = rng.choices(lengths, weights)[0]
        net = rng.getrandbits(32) & (0xFFFFFFFF << (32 - length)) & 0xFFFFFFFF
        if (net, length) in seen or forbidden(net, length):
            continue
        seen.add((net, length))
        routes.append((net, length))
    return routes


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(i, src, dst, wire):
    payload = bytes((j & 0xFF) for j in range(wire - 42))
    udp_len = 8 + len(payload)
    sport = 1024 + i % 64512
    pseudo = struct.pack("!IIBBH", src, dst, 0, 17, udp_len)
    udp = struct.pack("!HHHH", sport, 9, udp_len, 0) + payload
    ucs = checksum(pseudo + udp) or 0xFFFF
    udp = struct.pack("!HHHH", sport, 9, udp_len, ucs) + payload
    ip = struct.pack("!BBHHHBBHII", 0x45, 0, 20 + udp_len, i & 0xFFFF, 0, 64, 17, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    eth = bytes.fromhex("020000000001" "020000000010" "0800")
    return eth + ip + udp


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--routes-out", required=True)
    ap.add_argument("--pcap-out", required=True)
    ap.add_argument("--routes", type=int, default=1000000)
    ap.add_argument("--destinations", type=int, default=65536)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--via", default="198.18.9.2")
    ap.add_argument("--size", type=int, default=64)
    args = ap.parse_args()
    if args.size < 64:
        raise SystemExit("--size must be >= 64")
    if args.routes < 1 or args.destinations < 1:
        raise SystemExit("--routes and --destinations must be >= 1")
    rng = random.Random(args.seed)
    routes = gen_routes(args.routes, rng)
    with open(args.routes_out, "w") as f:
        f.write(f"# {args.routes} random routes, seed {args.seed} (scripts/bench/gen_bigtable.py)\n")
        for net, length in routes:
            f.write(f"{ipaddress.IPv4Address(net)}/{length} via {args.via}\n")
    wire = args.size - FCS_LEN
    src_base = int(ipaddress.IPv4Address("198.18.0.2"))
    with open(args.pcap_out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(args.destinations):
            net, length = routes[rng.randrange(len(routes))]
            host = rng.getrandbits(32 - length) if length < 32 else 0
            data = frame(i, src_base + i % 253, net | host, wire)
            f.write(struct.pack("<IIII", i // 1000000, i % 1000000, len(data), len(data)))
            f.write(data)
    print(f"gen_bigtable: {args.routes_out}: {args.routes} routes via {args.via}; {args.pcap_out}: "
          f"{args.destinations} frames of {wire} bytes ({args.size} with FCS) to as many random "
          f"destinations inside them (seed {args.seed})", file=sys.stderr)


if __name__ == "__main__":
    main()
