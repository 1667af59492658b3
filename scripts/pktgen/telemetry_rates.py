#!/usr/bin/python3
"""Packet rates of several running DPDK processes at once, read through their telemetry sockets.

Every DPDK program (dprouter, pktgen-dpdk, dpdk-testpmd) answers DPDK's telemetry protocol on
/var/run/dpdk/<file-prefix>/dpdk_telemetry.v2, so one reader measures the generator, the router
and the sink over the same window, with the counters each port itself keeps (/ethdev/stats).

  telemetry_rates.py --proc gen=pg-gen --proc router=dprouter-memif:router --proc sink=pg-sink \\
      --warmup 2 --duration 10 [--wait-traffic gen] [--json FILE]

--proc NAME=PREFIX[:router]   a process by its EAL --file-prefix; ":router" also reads dprouter's
                              /dprouter/stats (forwarded, drops by reason, ICMP sent)
--wait-traffic NAME           t = 0 is when any port of NAME has sent a packet (default: now)

Prints one table: per process and port, packets received and sent per second over the window,
imissed (the port could not keep up: the ring was full), oerrors, and for the router the counters
that moved. --json writes the same as one JSON object. Exit status 1 when a socket is missing or a
process stops answering.
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
from measure import Telemetry, flatten, timed_query  # noqa: E402  (scripts/bench/measure.py)

RUNDIR = "/var/run/dpdk"


def connect(prefix, timeout):
    path = os.path.join(RUNDIR, prefix, "dpdk_telemetry.v2")
    deadline = time.monotonic() + timeout
    while True:
        try:
            return Telemetry(path)
        except (FileNotFoundError, ConnectionRefusedError):
            if time.monotonic() > deadline:
                raise SystemExit(f"telemetry_rates: no telemetry socket at {path}")
            time.sleep(0.1)


def snapshot(procs):
    snap = {}
    for name, p in procs.items():
        ports = {}
        for port in p["ports"]:
            t, stats, _ = timed_query(p["tel"], f"/ethdev/stats,{port}")
            ports[port] = (t, stats or {})
        router = None
        if p["router"]:
            t, r, _ = timed_query(p["tel"], "/dprouter/stats")
            router = (t, flatten(r) if isinstance(r, dict) else {})
        snap[name] = {"ports": ports, "router": router}
    return snap


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--proc", action="append", required=True, help="NAME=PREFIX[:router]")
    ap.add_argument("--warmup", type=float, default=2.0)
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--wait-traffic", help="NAME of the process whose first sent packet is t = 0")
    ap.add_argument("--start-timeout", type=float, default=30.0)
    ap.add_argument("--json", help="also write the result to this file")
    args = ap.parse_args()

    procs = {}
    for spec in args.proc:
        name, _, rest = spec.partition("=")
        prefix, _, kind = rest.partition(":")
        if not name or not prefix or kind not in ("", "router"):
            ap.error(f"--proc {spec}: expected NAME=PREFIX or NAME=PREFIX:router")
        tel = connect(prefix, args.start_timeout)
        ports = tel.query("/ethdev/list") or []
        procs[name] = {"tel": tel, "ports": ports, "router": kind == "router", "prefix": prefix}

    if args.wait_traffic:
        w = procs[args.wait_traffic]
        deadline = time.monotonic() + args.start_timeout
        while not any((w["tel"].query(f"/ethdev/stats,{p}") or {}).get("opackets", 0) for p in w["ports"]):
            if time.monotonic() > deadline:
                raise SystemExit(f"telemetry_rates: {args.wait_traffic} sent nothing within {args.start_timeout} s")
            time.sleep(0.05)
    time.sleep(args.warmup)
    try:
        a = snapshot(procs)
        time.sleep(args.duration)
        b = snapshot(procs)
    except (OSError, ValueError) as e:
        raise SystemExit(f"telemetry_rates: a process stopped answering: {e}")

    result = {}
    print(f"{'process':<10} {'port':>4} {'rx Mpps':>9} {'tx Mpps':>9} {'imissed/s':>10} {'oerrors/s':>10}")
    for name in procs:
        res = {"ports": {}}
        for port in procs[name]["ports"]:
            (t0, s0), (t1, s1) = a[name]["ports"][port], b[name]["ports"][port]
            dt = t1 - t0

            def rate(key):
                return (s1.get(key, 0) - s0.get(key, 0)) / dt

            r = {k: rate(k) for k in ("ipackets", "opackets", "imissed", "oerrors", "rx_nombuf")}
            r["window_s"] = round(dt, 4)
            res["ports"][port] = r
            print(f"{name:<10} {port:>4} {r['ipackets'] / 1e6:>9.3f} {r['opackets'] / 1e6:>9.3f} "
                  f"{r['imissed']:>10.0f} {r['oerrors']:>10.0f}")
        if a[name]["router"]:
            (t0, r0), (t1, r1) = a[name]["router"], b[name]["router"]
            dt = t1 - t0
            moved = {k: (v - r0.get(k, 0)) / dt for k, v in sorted(r1.items()) if v != r0.get(k, 0)}
            res["router_per_s"] = moved
            for k, v in moved.items():
                print(f"{name:<10} {k:<40} {v:>14.1f}/s")
        result[name] = res
    for p in procs.values():
        p["tel"].close()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
