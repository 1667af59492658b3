#!/usr/bin/python3
"""RFC 2544 throughput search (section 26.1) through a running pktgen-dpdk: the highest sending rate
at which every frame sent on port 0 comes back on port 1, found by binary search, printed as a table.

pktgen must run with its Lua socket (-G, 127.0.0.1:22022) and its profile loaded but not started
(scripts/pktgen/run.sh --rfc2544 does both). Each trial: set port 0's rate (percent of the port's
link speed, pktgen's unit), clear, send for --trial seconds, stop, wait --drain seconds for the
frames in flight, then compare port 0's opackets with port 1's ipackets, both read through pktgen's
DPDK telemetry socket (the counters the ports keep, not pktgen's screen). A trial passes when
the loss is at most --loss-tolerance (RFC 2544: 0). The search starts at --max-rate and halves the
interval until it is narrower than --resolution percent.

Only profiles in which every frame is forwarded make sense here (64b-1flow, 64b-1024flows, imix);
in ttl-expired and df-too-big the router answers part of the frames instead of forwarding them.
With --proc (as telemetry_rates.py) the router's counters of each trial are shown as well.
"""
import argparse
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
from measure import Telemetry, flatten  # noqa: E402  (scripts/bench/measure.py)


class PktgenLua:
    """pktgen's Lua socket: a line-oriented REPL. Lua's print() writes to pktgen's own stdout, but
    io.stdout is the socket while a client is connected, so io.write answers come back here."""

    def __init__(self, addr, timeout):
        host, _, port = addr.rpartition(":")
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.create_connection((host, int(port)), timeout=10)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"rfc2544: no pktgen Lua socket at {addr} (pktgen -G, built with Lua)")
                time.sleep(0.5)
        self.buf = b""
        self.n = 0

    def run(self, code):
        """Runs one line of Lua and waits until pktgen has executed it."""
        self.n += 1
        mark = f"rfc2544-done-{self.n}"
        self.sock.sendall(f'{code}; io.write("{mark}\\n"); io.flush()\n'.encode())
        while mark.encode() not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise SystemExit(f"rfc2544: pktgen closed its socket after: {code}")
            self.buf += chunk
        answer, _, self.buf = self.buf.partition(mark.encode())
        return answer.decode(errors="replace")


def port_counters(tel):
    return {p: tel.query(f"/ethdev/stats,{p}") or {} for p in (0, 1)}


def trial(lua, gen, router, rate, seconds, drain):
    lua.run(f'pktgen.stop("0"); pktgen.set("0", "rate", {rate:.3f}); pktgen.clr()')
    time.sleep(0.5)
    a, ra = port_counters(gen), flatten(router.query("/dprouter/stats")) if router else {}
    t0 = time.monotonic()
    lua.run('pktgen.start("0")')
    time.sleep(seconds)
    lua.run('pktgen.stop("0")')
    t1 = time.monotonic()
    time.sleep(drain)
    b, rb = port_counters(gen), flatten(router.query("/dprouter/stats")) if router else {}
    sent = b[0].get("opackets", 0) - a[0].get("opackets", 0)
    recv = b[1].get("ipackets", 0) - a[1].get("ipackets", 0)
    moved = {k: v - ra.get(k, 0) for k, v in rb.items() if v != ra.get(k, 0) and "drop" in k}
    return sent, recv, t1 - t0, moved


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gen-prefix", default="pg-gen", help="pktgen's EAL --file-prefix")
    ap.add_argument("--proc", action="append", default=[],
                    help="NAME=PREFIX[:router] as for telemetry_rates.py; a :router one is read per trial")
    ap.add_argument("--lua", default="127.0.0.1:22022", help="pktgen's Lua socket")
    ap.add_argument("--trial", type=float, default=10.0, help="seconds of sending per trial (RFC 2544: 60)")
    ap.add_argument("--drain", type=float, default=2.0)
    ap.add_argument("--max-rate", type=float, default=100.0)
    ap.add_argument("--resolution", type=float, default=0.5, help="stop when the interval is this narrow (percent)")
    ap.add_argument("--loss-tolerance", type=int, default=0, help="frames a passing trial may lose")
    args = ap.parse_args()

    gen = Telemetry(f"/var/run/dpdk/{args.gen_prefix}/dpdk_telemetry.v2")
    router = None
    for spec in args.proc:
        name, _, rest = spec.partition("=")
        prefix, _, kind = rest.partition(":")
        if kind == "router":
            router = Telemetry(f"/var/run/dpdk/{prefix}/dpdk_telemetry.v2")
    lua = PktgenLua(args.lua, 180)  # pktgen takes half a minute to set up its pools

    print(f"{'trial':>5} {'rate %':>8} {'sent Mpps':>10} {'recv Mpps':>10} {'lost':>10} {'loss %':>8}  verdict")
    lo, hi, rate, n, best = 0.0, args.max_rate, args.max_rate, 0, None
    while True:
        n += 1
        sent, recv, secs, drops = trial(lua, gen, router, rate, args.trial, args.drain)
        lost = sent - recv
        ok = sent > 0 and lost <= args.loss_tolerance
        print(f"{n:>5} {rate:>8.3f} {sent / secs / 1e6:>10.3f} {recv / secs / 1e6:>10.3f} {lost:>10} "
              f"{100.0 * lost / max(sent, 1):>8.4f}  {'pass' if ok else 'loss'}"
              + (f"  router: {drops}" if drops and not ok else ""), flush=True)
        if ok:
            lo, best = rate, (rate, sent / secs, recv / secs)
        else:
            hi = rate
        if ok and rate >= args.max_rate:
            break
        if hi - lo <= args.resolution:
            break
        rate = (lo + hi) / 2
    if best:
        print(f"throughput: {best[0]:.3f} % of port 0's link rate, {best[2] / 1e6:.3f} Mpps received "
              f"with no loss over {args.trial:g} s trials")
        return 0
    print("throughput: no rate without loss was found")
    return 1


if __name__ == "__main__":
    sys.exit(main())
