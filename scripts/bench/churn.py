#!/usr/bin/python3
"""Route churn for scripts/bench.sh --scenario churn: route changes through dprouter's control socket.

One long-lived client on the router's Unix socket (control_plane.socket) sends JSON-lines requests
(docs/control-plane.md "Protocol"), "route add" and "route del", at --rate changes per second, the
way an external agent or dprouterctl would: every change is decoded, validated like a YAML route,
applied to the live FIB and published (one commit per request) by the router's control thread
while its worker forwards. Requests are pipelined in ticks of 10 ms (the router answers each in
turn); a change counts when its answer is {"ok": true}.

The routes: a sliding window of --window prefixes (default 5,000) in 100.64.0.0/10, outside the
benchmark's traffic: once the window is full every add is paired with the delete of the oldest.
Every eighth prefix is a /25 (its /24 needs a DIR-24-8 tbl8 group, taken and given back), the
others /24s. Gateway: --via (a neighbour of the benchmark configuration).

Runs until SIGTERM/SIGINT (or --duration), then prints one JSON object: sent, ok, refused, seconds
(from the first request), rate (ok / seconds), and the first refusal's text if any; and, from the
router's `show stats` before and after, the publications it made meanwhile (fib.commits: copy
swaps the worker followed) and their rate, and the control socket's rounds (coalesced commits:
docs/control-plane.md "Coalesced commits"). Waits up to
--connect-timeout seconds for the socket to appear. Standard library only.
"""
import argparse
import ipaddress
import json
import os
import signal
import socket
import sys
import time

stop = False


def on_signal(signum, frame):
    global stop
    stop = True


def prefix(k):
    """The k-th churned prefix: /24s and every eighth a /25, in 100.64.0.0/10 (16,384 /24s)."""
    base = int(ipaddress.IPv4Address("100.64.0.0")) + ((k % 16384) << 8)
    if k % 8 == 7:
        return f"{ipaddress.IPv4Address(base + 128)}/25"
    return f"{ipaddress.IPv4Address(base)}/24"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--socket", required=True)
    ap.add_argument("--rate", type=float, default=10000.0, help="route changes per second")
    ap.add_argument("--window", type=int, default=5000, help="routes held at once")
    ap.add_argument("--via", default="198.18.9.2")
    ap.add_argument("--duration", type=float, default=0.0, help="seconds; 0: until a signal")
    ap.add_argument("--connect-timeout", type=float, default=60.0)
    args = ap.parse_args()
    if args.window > 16384:
        ap.error("--window: at most 16384")
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    deadline = time.monotonic() + args.connect_timeout
    sock = None
    while sock is None and not stop:
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(args.socket)
            sock = s
        except OSError:
            s.close()
            if time.monotonic() > deadline:
                print(json.dumps({"error": f"cannot connect to {args.socket}"}))
                return 1
            time.sleep(0.05)
    if sock is None:
        print(json.dumps({"error": "stopped before connecting"}))
        return 1

    reader = sock.makefile("rb")

    def router_stats():
        """fib.commits and control.rounds from show stats, or None (an older router)."""
        sock.sendall(b'{"op": "show stats"}\n')
        a = json.loads(reader.readline() or b"{}").get("result", {})
        if "fib" not in a:
            return None
        return {"commits": a["fib"]["commits"], "rounds": a.get("control", {}).get("rounds", 0)}

    before = router_stats()
    sent = ok = refused = 0
    first_refusal = None
    k = 0          # next prefix to add
    delete_next = False  # the window is full: the oldest goes after each add
    pending = []   # requests of this tick, answered in order
    start = time.monotonic()
    tick = 0.01
    while not stop:
        now = time.monotonic()
        if args.duration and now - start >= args.duration:
            break
        # At most two ticks' worth at once: a router that falls behind is not buried under a
        # backlog (the client would block writing while the router waits for it to read answers).
        due = min(int((now - start) * args.rate) - sent, max(1, int(2 * args.rate * tick)))
        lines = []
        while len(lines) < due:
            if delete_next:
                lines.append({"op": "route del", "prefix": prefix(k - 1 - args.window)})
                delete_next = False
            else:
                lines.append({"op": "route add", "prefix": prefix(k), "via": [args.via]})
                k += 1
                delete_next = k > args.window
        if lines:
            sock.sendall("".join(json.dumps(r) + "\n" for r in lines).encode())
            for _ in lines:
                answer = reader.readline()
                if not answer:
                    print(json.dumps({"error": "the router closed the connection", "sent": sent}))
                    return 1
                sent += 1
                a = json.loads(answer)
                if a.get("ok"):
                    ok += 1
                else:
                    refused += 1
                    if first_refusal is None:
                        first_refusal = a.get("error")
        spare = tick - (time.monotonic() - now)
        if spare > 0:
            time.sleep(spare)
    seconds = time.monotonic() - start
    out = {"sent": sent, "ok": ok, "refused": refused, "seconds": round(seconds, 3),
           "rate": round(ok / seconds, 1) if seconds > 0 else 0.0, "target_rate": args.rate,
           "first_refusal": first_refusal}
    try:
        after = router_stats()
    except (OSError, ValueError):
        after = None
    if before is not None and after is not None and seconds > 0:
        out["publications"] = after["commits"] - before["commits"]
        out["publications_per_s"] = round(out["publications"] / seconds, 1)
        out["rounds"] = after["rounds"] - before["rounds"]
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
