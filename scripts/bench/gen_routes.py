#!/usr/bin/python3
"""Generate a large static route table for dprouter (scripts/bench-tables.sh).

The mix resembles a full Internet IPv4 table: about 60% /24, 35% /16../23 and 5% /25../32, all
distinct, overlapping as real tables do (a /24 may sit inside a /16), drawn with a fixed seed from
unicast space (first octet 1..223, not 10 or 127). Every route goes via one of --via (gateways
on a connected subnet of the config it is used with).

  gen_routes.py --count 1000000 --format list --via 10.2.0.2 > routes.txt
  gen_routes.py --count 1000000 --format yaml --via 10.2.0.2 > routes.yaml   # a `routes:` section

--format list writes the route-list file of `routes_file:` ("PREFIX via ADDR" per line);
--format yaml writes a top-level `routes:` list in flow style, one route a line.
"""
import argparse
import random
import sys


def prefix_lengths(rng):
    r = rng.random()
    if r < 0.60:
        return 24
    if r < 0.95:
        return rng.randint(16, 23)
    return rng.randint(25, 32)


def first_octets():
    return [o for o in range(1, 224) if o not in (10, 127)]


def generate(count, seed):
    rng = random.Random(seed)
    octets = first_octets()
    seen = set()
    while len(seen) < count:
        length = prefix_lengths(rng)
        addr = rng.choice(octets) << 24 | rng.getrandbits(24)
        network = addr & (0xFFFFFFFF << (32 - length)) & 0xFFFFFFFF
        key = network << 6 | length
        if key in seen:
            continue
        seen.add(key)
        yield network, length


def dotted(a):
    return f"{a >> 24}.{(a >> 16) & 255}.{(a >> 8) & 255}.{a & 255}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=1000000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--format", choices=("list", "yaml"), default="list")
    ap.add_argument("--via", action="append", help="gateway address (repeat for several; default 10.2.0.2)")
    args = ap.parse_args()
    gateways = args.via or ["10.2.0.2"]
    out = sys.stdout
    if args.format == "yaml":
        out.write("routes:\n")
    lines = []
    for i, (network, length) in enumerate(generate(args.count, args.seed)):
        via = gateways[i % len(gateways)]
        if args.format == "yaml":
            lines.append(f"  - {{prefix: {dotted(network)}/{length}, via: {via}}}\n")
        else:
            lines.append(f"{dotted(network)}/{length} via {via}\n")
        if len(lines) >= 65536:
            out.writelines(lines)
            lines.clear()
    out.writelines(lines)


if __name__ == "__main__":
    main()
