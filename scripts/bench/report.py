#!/usr/bin/python3
"""Summarise scripts/bench.sh runs: one JSON object per line in, a table and medians out.

Each input line has: program, run, tsc_hz and the fields of measure.py (or "error").
Prints the per-run table, the per-program medians and the ratio dprouter / l3fwd of the median
output rates; with --json FILE also writes the summary as JSON.
"""
import argparse
import json
import statistics
import sys


def per_run(r):
    """Derived figures of one successful run."""
    tsc = r["tsc_hz"]
    out = {
        "tx_mpps": r["tx_pps"] / 1e6,
        "rx_mpps": r["rx_pps"] / 1e6,
        # Worker busy-polls, so every TSC cycle of the window went to the packets it received.
        "cyc_wall": tsc / r["rx_pps"] if r["rx_pps"] else float("nan"),
        "fwd_share": r["tx_packets"] / r["rx_packets"] if r["rx_packets"] else 0.0,
    }
    if r.get("worker_cpu_s") and r["rx_packets"]:
        # Only the cycles the worker thread was actually on a CPU: robust to preemption by
        # other processes on a shared machine.
        out["cyc_cpu"] = tsc * r["worker_cpu_s"] / r["rx_packets"]
        out["cpu_share"] = r["worker_cpu_share"]
    if r.get("worker_cpu_steal_share") is not None:
        out["steal"] = r["worker_cpu_steal_share"]
    return out


def fmt(x, spec):
    return "-" if x is None else format(x, spec)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results", help="JSON lines written by bench.sh")
    ap.add_argument("--json", help="write the summary here")
    ap.add_argument("--baseline", default="l3fwd")
    ap.add_argument("--subject", default="dprouter")
    args = ap.parse_args()

    runs = []
    with open(args.results) as f:
        for line in f:
            line = line.strip()
            if line:
                runs.append(json.loads(line))

    hdr = (f"{'run':>3}  {'program':<9} {'out Mpps':>9} {'in Mpps':>8} {'fwd %':>6} "
           f"{'cyc/pkt':>8} {'cyc/pkt':>8} {'worker':>7} {'steal':>6}")
    hdr2 = (f"{'':>3}  {'':<9} {'(port 1)':>9} {'(port 0)':>8} {'':>6} "
            f"{'(wall)':>8} {'(cpu)':>8} {'cpu %':>7} {'%':>6}")
    print(hdr)
    print(hdr2)
    by_prog = {}
    for r in runs:
        prog = r["program"]
        if "error" in r:
            print(f"{r['run']:>3}  {prog:<9} FAILED: {r['error']}")
            by_prog.setdefault(prog, [])
            continue
        d = per_run(r)
        by_prog.setdefault(prog, []).append(d)
        print(f"{r['run']:>3}  {prog:<9} {d['tx_mpps']:>9.3f} {d['rx_mpps']:>8.3f} "
              f"{100 * d['fwd_share']:>6.1f} {d['cyc_wall']:>8.1f} "
              f"{fmt(d.get('cyc_cpu'), '>8.1f')} {fmt(100 * d['cpu_share'] if 'cpu_share' in d else None, '>7.1f')} "
              f"{fmt(100 * d['steal'] if 'steal' in d else None, '>6.1f')}")

    summary = {"programs": {}}
    print()
    print(f"{'median':<13} {'out Mpps':>9} {'in Mpps':>8} {'cyc/pkt':>8} {'cyc/pkt':>8} {'runs':>5}")
    print(f"{'':<13} {'':>9} {'':>8} {'(wall)':>8} {'(cpu)':>8}")
    for prog, ds in by_prog.items():
        if not ds:
            print(f"{prog:<13} {'no successful run':>30}")
            continue
        med = {k: statistics.median(d[k] for d in ds) for k in ("tx_mpps", "rx_mpps", "cyc_wall")}
        cpu = [d["cyc_cpu"] for d in ds if "cyc_cpu" in d]
        med["cyc_cpu"] = statistics.median(cpu) if cpu else None
        med["runs"] = len(ds)
        summary["programs"][prog] = med
        print(f"{prog:<13} {med['tx_mpps']:>9.3f} {med['rx_mpps']:>8.3f} {med['cyc_wall']:>8.1f} "
              f"{fmt(med['cyc_cpu'], '>8.1f')} {len(ds):>5}")

    base = summary["programs"].get(args.baseline)
    subj = summary["programs"].get(args.subject)
    if base and subj and base["tx_mpps"] > 0:
        ratio = subj["tx_mpps"] / base["tx_mpps"]
        summary["ratio"] = ratio
        cpu_ratio = None
        if base["cyc_cpu"] and subj["cyc_cpu"]:
            cpu_ratio = base["cyc_cpu"] / subj["cyc_cpu"]
            summary["ratio_cpu"] = cpu_ratio
        in_ratio = subj["rx_mpps"] / base["rx_mpps"] if base["rx_mpps"] else float("nan")
        summary["ratio_in"] = in_ratio
        print()
        print(f"ratio {args.subject}/{args.baseline} (median out Mpps): {ratio:.3f}")
        print(f"  also: by median in Mpps {in_ratio:.3f}"
              + (f", by median cycles/packet on CPU {cpu_ratio:.3f}" if cpu_ratio else "")
              + " (>1: dprouter ahead)")
        verdict = "met" if ratio >= 1.0 else "NOT met"
        print(f"target {args.subject} median >= {args.baseline}-LPM median: {verdict}")
        summary["target_met"] = ratio >= 1.0
    shares = [d["cpu_share"] for ds in by_prog.values() for d in ds if "cpu_share" in d]
    steal = [d["steal"] for ds in by_prog.values() for d in ds if "steal" in d]
    if (shares and min(shares) < 0.95) or (steal and max(steal) > 0.02):
        print()
        print(f"warning: the worker did not have its CPU to itself in every run (worker CPU as low "
              f"as {100 * min(shares):.0f}%" + (f", steal up to {100 * max(steal):.0f}%" if steal else "")
              + "): the machine was busy, the Mpps figures understate and scatter; "
              "cycles/packet (cpu) is the steadier comparison. Rerun on a quiet machine.")
        summary["busy_machine"] = True
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=2)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
