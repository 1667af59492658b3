#!/usr/bin/python3
"""Summarise scripts/bench.sh runs: one JSON object per line in, tables and medians out.

Each input line has: case (older files: program), program, run, tsc_hz, the fields of measure.py
(or "error") and the case's traffic and ICMP limits. Prints the per-run table and the per-case
medians; for cases with dprouter's own counters, what it did with the packets it did not forward
(ICMP errors sent and suppressed per second, against the configured limits); then a summary for the
scenario: the ratio dprouter / l3fwd (forward, forward6), the cost of expired packets (ttl-flood), the cost of
fragmenting and refusing (frag). With --json FILE also writes the summary as JSON.
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
        "port0_out_pps": r.get("rx_port_tx_pps", 0.0),
    }
    if r.get("worker_cpu_s") and r["rx_packets"]:
        # Only the cycles the worker thread was actually on a CPU: robust to preemption by
        # other processes on a shared machine.
        out["cyc_cpu"] = tsc * r["worker_cpu_s"] / r["rx_packets"]
        out["cpu_share"] = r["worker_cpu_share"]
    if r.get("worker_cpu_steal_share") is not None:
        out["steal"] = r["worker_cpu_steal_share"]
    ch = r.get("churn")
    if ch is not None and "rate" in ch:  # churn scenario: the client's achieved change rate
        out["churn_rate"] = ch["rate"]
        out["churn_refused"] = ch.get("refused", 0)
    rt = r.get("router")
    if rt is not None:
        w = r.get("router_window_s") or r["window_s"]

        def rate(prefix):  # (a "total" key, should the router grow one, is not counted twice)
            return sum(v for k, v in rt.items() if k.startswith(prefix) and not k.endswith(".total")) / w
        out["icmp_sent_ps"] = rate("icmp_sent.")
        out["te_sent_ps"] = rate("icmp_sent.time_exceeded")
        out["fn_sent_ps"] = rate("icmp_sent.frag_needed")
        out["supp_global_ps"] = rate("icmp_suppressed_reason.rate_global")
        out["supp_dest_ps"] = rate("icmp_suppressed_reason.rate_destination")
        out["supp_frag_ps"] = rate("icmp_suppressed_reason.rate_frag_needed")
        named = ("rate_global", "rate_destination", "rate_frag_needed")
        out["supp_other_ps"] = sum(v for k, v in rt.items() if k.startswith("icmp_suppressed_reason.")
                                   and k.split(".", 1)[1] not in named) / w
        out["expired_ps"] = rate("drops.ttl_expired")
        out["mtu_exceeded_ps"] = rate("drops.mtu_exceeded")
        out["forwarded_ps"] = rate("events.forwarded")
        out["fragmented_ps"] = rate("events.fragmented")
        out["fragments_ps"] = rate("events.fragments_created")
        out["other_drops_ps"] = sum(v for k, v in rt.items() if k.startswith("drops.")
                                    and k not in ("drops.ttl_expired", "drops.mtu_exceeded")) / w
        out["router_window_s"] = w
        # The limits: the global bucket holds every error but frag needed, which has its own.
        lim = r.get("limits", {})
        g = lim.get("global", [1000, 50])
        f = lim.get("frag_needed", [1000, 100])
        # At most rate x window + burst in a window; "+ 1" for a token being counted at an edge.
        out["within_limits"] = (
            (out["icmp_sent_ps"] - out["fn_sent_ps"]) * w <= g[0] * w + g[1] + 1
            and out["fn_sent_ps"] * w <= f[0] * w + f[1] + 1)
        out["limit_global_ps"] = g[0]
        out["limit_frag_ps"] = f[0]
    return out


def fmt(x, spec):
    return "-" if x is None else format(x, spec)


def med(ds, key):
    vals = [d[key] for d in ds if d.get(key) is not None]
    return statistics.median(vals) if vals else None


def human(x):
    """A rate per second, short."""
    if x is None:
        return "-"
    for div, unit in ((1e6, "M"), (1e3, "k")):
        if abs(x) >= div * 10:
            return f"{x / div:.1f}{unit}" if abs(x) < div * 1000 else f"{x / div:.0f}{unit}"
    return f"{x:.0f}"


def per_round_ratios(subject_runs, baseline_runs):
    """Out Mpps of `subject` over `baseline` in each round both measured."""
    base = {d["run"]: d["tx_mpps"] for d in baseline_runs if d["tx_mpps"] > 0}
    return [d["tx_mpps"] / base[d["run"]] for d in subject_runs if d["run"] in base]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results", help="JSON lines written by bench.sh")
    ap.add_argument("--json", help="write the summary here")
    ap.add_argument("--scenario", default="forward")
    ap.add_argument("--baseline", default="l3fwd")
    ap.add_argument("--subject", default="dprouter")
    ap.add_argument("--target", type=float, default=None,
                    help="forward, forward6: the ratio to reach (default 1.05 for forward, issue 7; "
                         "1.0 for forward6, issue 9)")
    args = ap.parse_args()

    runs = []
    with open(args.results) as f:
        for line in f:
            line = line.strip()
            if line:
                runs.append(json.loads(line))
    w = max([len(r.get("case", r["program"])) for r in runs] + [9])

    hdr = (f"{'run':>3}  {'case':<{w}} {'out Mpps':>9} {'in Mpps':>8} {'fwd %':>6} "
           f"{'cyc/pkt':>8} {'cyc/pkt':>8} {'worker':>7} {'steal':>6}")
    hdr2 = (f"{'':>3}  {'':<{w}} {'(port 1)':>9} {'(port 0)':>8} {'':>6} "
            f"{'(wall)':>8} {'(cpu)':>8} {'cpu %':>7} {'%':>6}")
    print(hdr)
    print(hdr2)
    by_case = {}
    meta = {}
    busy_runs = []
    for r in runs:
        case = r.get("case", r["program"])
        meta.setdefault(case, r)
        if r.get("busy"):
            busy_runs.append(f"{case} {r['run']}: {r['busy']}")
        if "error" in r:
            print(f"{r['run']:>3}  {case:<{w}} FAILED: {r['error']}")
            by_case.setdefault(case, [])
            continue
        d = per_run(r)
        d["run"] = r["run"]
        by_case.setdefault(case, []).append(d)
        print(f"{r['run']:>3}  {case:<{w}} {d['tx_mpps']:>9.3f} {d['rx_mpps']:>8.3f} "
              f"{100 * d['fwd_share']:>6.1f} {d['cyc_wall']:>8.1f} "
              f"{fmt(d.get('cyc_cpu'), '>8.1f')} {fmt(100 * d['cpu_share'] if 'cpu_share' in d else None, '>7.1f')} "
              f"{fmt(100 * d['steal'] if 'steal' in d else None, '>6.1f')}")

    summary = {"scenario": args.scenario, "programs": {}}
    print()
    print(f"{'median':<{w + 5}} {'out Mpps':>9} {'in Mpps':>8} {'cyc/pkt':>8} {'cyc/pkt':>8} {'runs':>5}")
    print(f"{'':<{w + 5}} {'':>9} {'':>8} {'(wall)':>8} {'(cpu)':>8}")
    M = {}
    for case, ds in by_case.items():
        if not ds:
            print(f"{case:<{w + 5}} {'no successful run':>30}")
            continue
        m = {k: med(ds, k) for k in ds[0] if isinstance(ds[0][k], (int, float))
             and not isinstance(ds[0][k], bool) and k != "run"}
        m["runs"] = len(ds)
        if any("within_limits" in d for d in ds):
            m["within_limits_all_runs"] = all(d.get("within_limits", True) for d in ds)
        M[case] = m
        summary["programs"][case] = m
        print(f"{case:<{w + 5}} {m['tx_mpps']:>9.3f} {m['rx_mpps']:>8.3f} {m['cyc_wall']:>8.1f} "
              f"{fmt(m.get('cyc_cpu'), '>8.1f')} {len(ds):>5}")

    # ---- what dprouter did with what it did not forward ----
    rcases = [c for c, ds in by_case.items() if ds and "icmp_sent_ps" in ds[0]]
    if rcases and any(M[c].get("icmp_sent_ps") or M[c].get("expired_ps") or M[c].get("mtu_exceeded_ps")
                      or M[c].get("fragments_ps") for c in rcases):
        print()
        print("dprouter's counters over the window, per second (/dprouter/stats; port 0 out = the"
              " port's own opackets)")
        h = (f"{'run':>3}  {'case':<{w}} {'expired':>8} {'too big':>8} {'ICMP':>8} {'port 0':>8} "
             f"{'limit':>8} {'suppr.':>8} {'suppr.':>8} {'suppr.':>8} {'frags':>8} {'within':>7}")
        h2 = (f"{'':>3}  {'':<{w}} {'TTL<=1':>8} {'DF':>8} {'sent':>8} {'out':>8} "
              f"{'':>8} {'global':>8} {'per dst':>8} {'frag nd':>8} {'out':>8} {'limits':>7}")
        print(h)
        print(h2)
        rows = [(d["run"], c, d) for c in rcases for d in by_case[c]]
        rows.sort(key=lambda x: (x[0], list(by_case).index(x[1])))
        rows += [("med", c, M[c]) for c in rcases]
        for run, c, d in rows:
            lim = d["limit_global_ps"] if not d.get("mtu_exceeded_ps") else d["limit_frag_ps"]
            within = d.get("within_limits", d.get("within_limits_all_runs"))
            print(f"{run:>3}  {c:<{w}} {human(d['expired_ps']):>8} {human(d['mtu_exceeded_ps']):>8} "
                  f"{human(d['icmp_sent_ps']):>8} {human(d['port0_out_pps']):>8} {human(lim):>8} "
                  f"{human(d['supp_global_ps']):>8} {human(d['supp_dest_ps']):>8} "
                  f"{human(d['supp_frag_ps']):>8} {human(d['fragments_ps']):>8} "
                  f"{'yes' if within else 'NO':>7}")
        bad = [f"{c} run {d['run']}" for c in rcases for d in by_case[c] if not d.get("within_limits", True)]
        others = [c for c in rcases if M[c].get("other_drops_ps") or M[c].get("supp_other_ps")]
        if bad:
            print(f"ICMP errors ABOVE the configured rate limit (rate x window + burst) in: {', '.join(bad)}")
        else:
            print("ICMP errors within the configured rate limits (rate x window + burst) in every run")
        for c in others:
            print(f"note: {c}: other drops {human(M[c].get('other_drops_ps'))}/s, other suppression "
                  f"reasons {human(M[c].get('supp_other_ps'))}/s (see results.jsonl)")
        summary["icmp_within_limits"] = not bad

    # ---- scenario summaries ----
    def cyc(c):
        return M[c].get("cyc_cpu") or M[c].get("cyc_wall")

    floor = M.get("testpmd")
    if floor and len(M) > 1:
        # testpmd io does no work on the packets: what the harness itself costs per packet. What a
        # forwarder needs above it is its own work (parsing, checks, lookup, rewrite).
        print()
        print("cycles per packet above the harness (testpmd io, median cycles/packet (cpu) "
              f"{cyc('testpmd'):.1f}):")
        summary["harness_cycles"] = cyc("testpmd")
        for c in M:
            if c == "testpmd":
                continue
            above = cyc(c) - cyc("testpmd")
            M[c]["cycles_above_testpmd"] = above
            print(f"  {c:<{w}} {M[c]['tx_mpps']:>8.3f} Mpps out, {cyc(c):>6.1f} cycles/packet, "
                  f"{above:>+6.1f} above testpmd")

    if args.scenario in ("forward", "forward6"):
        if args.target is None:
            args.target = 1.0 if args.scenario == "forward6" else 1.05
        base = M.get(args.baseline)
        subj = M.get(args.subject)
        if base and subj and base["tx_mpps"] > 0:
            ratio = subj["tx_mpps"] / base["tx_mpps"]
            summary["ratio"] = ratio
            cpu_ratio = None
            if base.get("cyc_cpu") and subj.get("cyc_cpu"):
                cpu_ratio = base["cyc_cpu"] / subj["cyc_cpu"]
                summary["ratio_cpu"] = cpu_ratio
            in_ratio = subj["rx_mpps"] / base["rx_mpps"] if base["rx_mpps"] else float("nan")
            summary["ratio_in"] = in_ratio
            print()
            print(f"ratio {args.subject}/{args.baseline} (median out Mpps): {ratio:.3f}")
            print(f"  also: by median in Mpps {in_ratio:.3f}"
                  + (f", by median cycles/packet on CPU {cpu_ratio:.3f}" if cpu_ratio else "")
                  + " (>1: dprouter ahead)")
            # Paired by round: the programs of one round ran within a minute of each other, so the
            # ratio inside a round is spared the VM's slower drift from round to round.
            for a, b in ((args.subject, args.baseline), ("dprouter-b", args.subject)):
                paired = per_round_ratios(by_case.get(a, []), by_case.get(b, []))
                if paired:
                    key = "ratio_paired" if a == args.subject else "ratio_paired_b"
                    summary[key] = statistics.median(paired)
                    print(f"  median of the per-round ratios {a}/{b}: {statistics.median(paired):.3f} "
                          f"({len(paired)} rounds, {sum(x >= 1 for x in paired)} with {a} ahead)")
            verdict = "met" if ratio >= args.target else "NOT met"
            print(f"target {args.subject} median >= {args.target:g} x {args.baseline}-LPM median: {verdict}")
            summary["target_met"] = ratio >= args.target

    if args.scenario == "bigtable" and "routes-10" in M and "routes-big" in M:
        small, big = M["routes-10"], M["routes-big"]
        ratio = big["tx_mpps"] / small["tx_mpps"] if small["tx_mpps"] else float("nan")
        summary["bigtable_ratio"] = ratio
        print()
        print("bigtable (medians; the same traffic, the same binary, only the table differs):")
        print(f"  routes-10   {small['tx_mpps']:.3f} Mpps out, {cyc('routes-10'):.1f} cycles/packet")
        print(f"  routes-big  {big['tx_mpps']:.3f} Mpps out, {cyc('routes-big'):.1f} cycles/packet "
              f"({cyc('routes-big') - cyc('routes-10'):+.1f})")
        print(f"ratio routes-big/routes-10 (median out Mpps): {ratio:.3f}; target >= 0.9: "
              f"{'met' if ratio >= 0.9 else 'NOT met'}")
        summary["bigtable_target_met"] = ratio >= 0.9

    if args.scenario == "churn" and "static" in M and "churn" in M:
        still, churn = M["static"], M["churn"]
        ratio = churn["tx_mpps"] / still["tx_mpps"] if still["tx_mpps"] else float("nan")
        summary["churn_ratio"] = ratio
        summary["churn_rate"] = churn.get("churn_rate")
        print()
        print("churn (medians; the same traffic, the same binary, only the route changes differ):")
        print(f"  static  {still['tx_mpps']:.3f} Mpps out, {cyc('static'):.1f} cycles/packet")
        print(f"  churn   {churn['tx_mpps']:.3f} Mpps out, {cyc('churn'):.1f} cycles/packet, "
              f"{churn.get('churn_rate', float('nan')):,.0f} route changes/s applied"
              f" ({churn.get('churn_refused', 0):.0f} refused)")
        print(f"ratio churn/static (median out Mpps): {ratio:.3f}; target >= 0.9: "
              f"{'met' if ratio >= 0.9 else 'NOT met'}")
        summary["churn_target_met"] = ratio >= 0.9

    if args.scenario == "ttl-flood" and "ttl-0" in M:
        b = M["ttl-0"]
        print()
        print("ttl-flood (medians; cycles are TSC cycles of the worker per packet received):")
        print(f"  ttl-0    in {b['rx_mpps']:.3f} Mpps, forwarded {b['tx_mpps']:.3f} Mpps "
              f"({b['tx_mpps'] / b['rx_mpps']:.3f} per input packet), {cyc('ttl-0'):.1f} cycles/packet")
        c0 = cyc("ttl-0")
        for c in ("ttl-50", "ttl-100", "ttl-50-nolimit"):
            if c not in M:
                continue
            m = M[c]
            share = meta[c].get("expired_share", 0.0)
            line = (f"  {c:<8} in {m['rx_mpps']:.3f} Mpps, forwarded {m['tx_mpps']:.3f} Mpps "
                    f"({m['tx_mpps'] / m['rx_mpps']:.3f} per input packet), {cyc(c):.1f} cycles/packet; "
                    f"ICMP sent {human(m['icmp_sent_ps'])}/s, suppressed "
                    f"{human(m['supp_global_ps'] + m['supp_dest_ps'] + m['supp_other_ps'])}/s")
            print(line)
            if 0 < share:
                # cycles per packet = (1 - share) x forwarded + share x expired
                per_exp = (cyc(c) - (1 - share) * c0) / share
                m["cyc_per_expired"] = per_exp
                print(f"           => {per_exp:.1f} cycles per expired packet "
                      f"({per_exp / c0:.2f} x a forwarded one), if a forwarded packet costs as in ttl-0")
        if "ttl-50" in M:
            m = M["ttl-50"]
            live = m["tx_mpps"] / (m["rx_mpps"] * (1 - meta["ttl-50"].get("expired_share", 0.5)))
            summary["ttl50_live_forwarded_share"] = live
            summary["ttl50_in_vs_ttl0"] = m["rx_mpps"] / b["rx_mpps"]
            print(f"  live half under the flood: {100 * live:.1f} % of the TTL>1 packets forwarded; "
                  f"input rate {m['rx_mpps'] / b['rx_mpps']:.3f} x the baseline's, "
                  f"cycles/packet {cyc('ttl-50') / c0:.3f} x")
            # The router keeps up with the live traffic when it takes the mixed input as fast as
            # the clean input: every live packet is then forwarded at the rate it arrives.
            rate_ratio = m["rx_mpps"] / b["rx_mpps"]
            summary["ttl50_rate_vs_clean"] = rate_ratio
            print(f"  ttl-50: live traffic forwarded at {m['tx_mpps']:.3f} Mpps "
                  f"({100 * live:.1f} % of it) while taking {m['rx_mpps']:.3f} Mpps in; clean (ttl-0) "
                  f"{b['rx_mpps']:.3f} Mpps; rate ratio {rate_ratio:.3f}, target >= 0.9: "
                  f"{'met' if rate_ratio >= 0.9 and live >= 0.999 else 'NOT met'}")
        if "ttl-50-nolimit" in M and "ttl-50" in M:
            m, l = M["ttl-50-nolimit"], M["ttl-50"]
            extra_err = m["icmp_sent_ps"] - l["icmp_sent_ps"]
            if extra_err > 0:
                per_err = (cyc("ttl-50-nolimit") - cyc("ttl-50")) * m["rx_mpps"] * 1e6 / extra_err
                summary["cyc_per_icmp_error"] = per_err
                print(f"  building and sending an error instead of suppressing it: about {per_err:.0f} "
                      f"cycles more per error (ttl-50-nolimit against ttl-50)")

    if args.scenario == "frag":
        print()
        print("frag (medians; cycles are TSC cycles of the worker per packet received):")
        for c in ("testpmd", "l3fwd", "dpr-fwd", "dpr-frag", "dpr-df"):
            if c not in M:
                continue
            m = M[c]
            size = meta[c].get("size", 0)
            line = (f"  {c:<8} in {m['rx_mpps']:.3f} Mpps ({m['rx_mpps'] * size * 8 / 1e3:.2f} Gbit/s "
                    f"of {size}-byte frames), port 1 {m['tx_mpps']:.3f} Mpps "
                    f"({m['tx_mpps'] / m['rx_mpps']:.3f} per input), {cyc(c):.1f} cycles/packet")
            if c == "dpr-df":
                line += (f"; frag needed sent {human(m['fn_sent_ps'])}/s (limit "
                         f"{human(m['limit_frag_ps'])}/s), suppressed {human(m['supp_frag_ps'])}/s")
            print(line)
        if "dpr-fwd" in M:
            base = cyc("dpr-fwd")
            for c, what in (("dpr-frag", "fragmenting into two"), ("dpr-df", "refusing with frag needed")):
                if c in M:
                    print(f"  {what}: {cyc(c) - base:+.1f} cycles per datagram against forwarding "
                          f"it whole ({cyc(c) / base:.2f} x)")
        if "dpr-df" in M:
            nothing = all(d["tx_mpps"] == 0 for d in by_case["dpr-df"])
            summary["df_nothing_forwarded"] = nothing
            print(f"  dpr-df: port 1 sent {'nothing' if nothing else 'PACKETS'} in every window")
        if "l3fwd" in M and "dpr-fwd" in M:
            print(f"  dpr-fwd / l3fwd (median in Mpps, same frames): "
                  f"{M['dpr-fwd']['rx_mpps'] / M['l3fwd']['rx_mpps']:.3f}")

    shares = [d["cpu_share"] for ds in by_case.values() for d in ds if "cpu_share" in d]
    steal = [d["steal"] for ds in by_case.values() for d in ds if "steal" in d]
    if (shares and min(shares) < 0.95) or (steal and max(steal) > 0.02):
        print()
        print(f"warning: the worker did not have its CPU to itself in every run (worker CPU as low "
              f"as {100 * min(shares):.0f}%" + (f", steal up to {100 * max(steal):.0f}%" if steal else "")
              + "): the machine was busy, the Mpps figures understate and scatter; "
              "cycles/packet (cpu) is the steadier comparison. Rerun on a quiet machine.")
        summary["busy_machine"] = True
    if busy_runs:
        print()
        print("other work running when a run started: " + "; ".join(busy_runs))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=2)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
