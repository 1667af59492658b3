#!/usr/bin/python3
"""Check the counters' identity on a /dprouter/stats reply (dpdk-telemetry.py output in FILE).

  counters_identity.py FILE

Every packet received counts exactly one outcome (docs/architecture.md, "Counters"), so with nothing
held for a next hop: sum of ports' rx = events.forwarded + sum of drops + events.local_delivered +
events.punted. Prints the figures; exit status 0 when they add up, 1 when not, 2 on a bad file.
Also checks that forwarded never exceeds what the ports transmitted.
"""
import json
import sys


def main():
    try:
        stats = next(json.loads(l)["/dprouter/stats"] for l in open(sys.argv[1]) if l.startswith("{"))
    except (OSError, StopIteration, KeyError, ValueError) as e:
        print(f"no /dprouter/stats reply in {sys.argv[1]}: {e}")
        return 2
    rx = sum(p["rx"] for p in stats["ports"].values())
    tx = sum(p["tx"] for p in stats["ports"].values())
    ev = stats["events"]
    dropped = sum(stats["drops"].values())
    outcomes = ev["forwarded"] + dropped + ev["local_delivered"] + ev["punted"]
    nonzero = " ".join(f"{k}={v}" for k, v in sorted(stats["drops"].items()) if v)
    print(f"rx {rx} = forwarded {ev['forwarded']} + dropped {dropped} + local_delivered {ev['local_delivered']}"
          f" + punted {ev['punted']} (= {outcomes}); tx {tx}; drops: {nonzero or 'none'}")
    ok = rx == outcomes and ev["forwarded"] <= tx
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
