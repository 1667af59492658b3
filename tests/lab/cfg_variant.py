#!/usr/bin/python3
"""Write a variant of a dprouter config for a lab test (the original is never touched).

  cfg_variant.py SRC DST [--mtu IF=N] [--iface-opt IF KEY=VALUE]
                 [--route PREFIX via ADDR [dev IF] | PREFIX ACTION]
                 [--neighbor ADDR MAC IF] [--rate global|per_destination RATE BURST] [--set PATH=YAML]

VALUE and YAML are parsed as YAML (true, 1300, "x"). --set takes a dotted path (icmp.rate_limit.global.rate).
"dev IF" names the interface of a link-local (fe80::) gateway (the route's `interface` key).
"""
import argparse
import sys

import yaml


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--mtu", action="append", default=[])
    ap.add_argument("--iface-opt", nargs=2, action="append", default=[])
    ap.add_argument("--route", action="append", default=[])
    ap.add_argument("--neighbor", nargs=3, action="append", default=[])
    ap.add_argument("--rate", nargs=3, action="append", default=[])
    ap.add_argument("--set", action="append", default=[])
    a = ap.parse_args()
    c = yaml.safe_load(open(a.src))
    ifs = {i["name"]: i for i in c["interfaces"]}
    for m in a.mtu:
        name, val = m.split("=")
        ifs[name]["mtu"] = int(val)
    for name, kv in a.iface_opt:
        k, v = kv.split("=", 1)
        ifs[name][k] = yaml.safe_load(v)
    for r in a.route:
        w = r.split()
        if len(w) == 3 and w[1] == "via":
            c.setdefault("routes", []).insert(0, {"prefix": w[0], "via": w[2]})
        elif len(w) == 5 and w[1] == "via" and w[3] == "dev":
            c.setdefault("routes", []).insert(0, {"prefix": w[0], "via": w[2], "interface": w[4]})
        elif len(w) == 2:
            c.setdefault("routes", []).insert(0, {"prefix": w[0], "action": w[1]})
        else:
            sys.exit(f"bad --route {r!r}")
    for addr, mac, itf in a.neighbor:
        c.setdefault("neighbors", []).append({"address": addr, "mac": mac, "interface": itf})
    for which, rate, burst in a.rate:
        c.setdefault("icmp", {}).setdefault("rate_limit", {})[which] = {"rate": int(rate), "burst": int(burst)}
    for s in a.set:
        path, v = s.split("=", 1)
        d = c
        keys = path.split(".")
        for k in keys[:-1]:
            d = d.setdefault(k, {})
        d[keys[-1]] = yaml.safe_load(v)

    class Dumper(yaml.SafeDumper):
        pass

    # Quote strings with a colon (MACs must stay strings for any YAML reader).
    Dumper.add_representer(str, lambda d, s: d.represent_scalar("tag:yaml.org,2002:str", s,
                                                                style='"' if ":" in s else None))
    with open(a.dst, "w") as f:
        yaml.dump(c, f, Dumper=Dumper, sort_keys=False, default_flow_style=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
