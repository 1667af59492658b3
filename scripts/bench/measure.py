#!/usr/bin/python3
"""Measure a running DPDK forwarder through its telemetry socket.

Connects to /var/run/dpdk/<prefix>/dpdk_telemetry.v2 (SOCK_SEQPACKET, DPDK's v2 telemetry protocol),
waits until the Rx port's ipackets starts moving (t = 0), snapshots /ethdev/stats of both ports at
t = warmup and t = warmup + duration, and prints one JSON object:

  rx_pps / tx_pps      ipackets of the Rx port / opackets of the Tx port, delta over the window
  window_s             time between the two readings of the Rx port (monotonic clock, midpoint of
                       each query's round trip; the Tx port's rate uses its own two readings)
  worker_cpu_s         CPU time the poll-mode worker thread of --pid got in the window (schedstat):
                       the busiest thread pinned to --worker-cpu (any thread if not given);
                       worker_cpu_share = worker_cpu_s / window_s
  worker_cpu_steal_share  share of the window the hypervisor took the worker's CPU away (steal)
  *_errors, rx_nombuf  deltas of imissed, ierrors, rx_nombuf, oerrors
  rx_port_tx_packets / rx_port_tx_pps   opackets of the Rx port: what the program sent back out of
                       the port the traffic comes in on (dprouter's ICMP errors)
  router, router_window_s   with --router-stats: the deltas of dprouter's own counters
                       (/dprouter/stats, flattened to "icmp_sent.time_exceeded",
                       "icmp_suppressed_reason.rate_global", "drops.ttl_expired", ...; only the
                       ones that moved) and the time between the two readings of them

Only the Python standard library is used; run it with /usr/bin/python3.
"""
import argparse
import json
import os
import socket
import sys
import time


class Telemetry:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock.connect(path)
        hello = json.loads(self.sock.recv(4096).decode())
        self.max_len = int(hello.get("max_output_len", 16384))

    def query(self, cmd):
        self.sock.send(cmd.encode())
        reply = json.loads(self.sock.recv(self.max_len).decode())
        return reply.get(cmd.split(",", 1)[0])

    def close(self):
        self.sock.close()


def thread_cpu_ns(pid):
    """{tid: on-CPU nanoseconds} for every thread of pid."""
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                out[tid] = int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError, ValueError, IndexError):
            pass
    return out


def thread_name(pid, tid):
    try:
        with open(f"/proc/{pid}/task/{tid}/comm") as f:
            return f.read().strip()
    except OSError:
        return "?"


def cpu_steal_ticks(cpu):
    """Steal ticks (USER_HZ) of one CPU from /proc/stat: time the hypervisor ran something else."""
    try:
        with open("/proc/stat") as f:
            for line in f:
                if line.startswith(f"cpu{cpu} "):
                    return int(line.split()[8])
    except (OSError, IndexError, ValueError):
        pass
    return None


def thread_cpus(pid, tid):
    try:
        with open(f"/proc/{pid}/task/{tid}/status") as f:
            for line in f:
                if line.startswith("Cpus_allowed_list:"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def alive(pid):
    if pid is None:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is not alive for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def timed_query(tel, cmd, max_rtt=0.002, tries=20):
    """(monotonic time, reply) with the time taken as the midpoint of a round trip no longer than
    max_rtt when possible: on a loaded machine this process can be descheduled between sending
    and receiving, and a loose timestamp would skew a rate computed from two replies."""
    best = None
    for _ in range(tries):
        t0 = time.monotonic()
        reply = tel.query(cmd)
        t1 = time.monotonic()
        if best is None or t1 - t0 < best[0]:
            best = (t1 - t0, (t0 + t1) / 2, reply)
        if t1 - t0 <= max_rtt:
            break
    return best[1], best[2], best[0]


def flatten(d, prefix=""):
    """{"a": {"b": 1}} -> {"a.b": 1}, numbers only."""
    out = {}
    for k, v in (d or {}).items():
        if isinstance(v, dict):
            out.update(flatten(v, f"{prefix}{k}."))
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out[f"{prefix}{k}"] = v
    return out


def snapshot(tel, rx_port, tx_port, pid, cpu, router_stats=False):
    t_rx, rx, rtt_rx = timed_query(tel, f"/ethdev/stats,{rx_port}")
    cpu_ns = thread_cpu_ns(pid) if pid else {}
    t_tx, tx, rtt_tx = timed_query(tel, f"/ethdev/stats,{tx_port}")
    snap = {"t": t_rx, "t_tx": t_tx, "rx": rx, "tx": tx, "cpu": cpu_ns,
            "rtt": max(rtt_rx, rtt_tx),
            "steal": cpu_steal_ticks(cpu) if cpu is not None else None}
    if router_stats:
        # The router's own counters (ICMP sent and suppressed, drops, events): a few µs after the
        # port counters, with their own timestamp.
        t_r, r, rtt_r = timed_query(tel, "/dprouter/stats")
        snap.update(t_router=t_r, router=flatten(r) if isinstance(r, dict) else None,
                    rtt=max(snap["rtt"], rtt_r))
    return snap


def fail(msg):
    print(json.dumps({"error": msg}))
    sys.exit(1)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prefix", required=True, help="EAL --file-prefix of the process")
    ap.add_argument("--runtime-dir", default="/var/run/dpdk")
    ap.add_argument("--pid", type=int, help="process to watch (gives up if it exits)")
    ap.add_argument("--rx-port", type=int, default=0)
    ap.add_argument("--tx-port", type=int, default=1)
    ap.add_argument("--worker-cpu", type=int,
                    help="CPU the worker lcore is pinned to; its thread is the one measured")
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--start-timeout", type=float, default=30.0,
                    help="seconds to wait for the socket and for traffic to start")
    ap.add_argument("--router-stats", action="store_true",
                    help="also read dprouter's /dprouter/stats at both ends of the window")
    args = ap.parse_args()

    path = os.path.join(args.runtime_dir, args.prefix, "dpdk_telemetry.v2")
    deadline = time.monotonic() + args.start_timeout
    tel = None
    while tel is None:
        if not alive(args.pid):
            fail("process exited before its telemetry socket appeared")
        try:
            tel = Telemetry(path)
        except (FileNotFoundError, ConnectionRefusedError):
            if time.monotonic() > deadline:
                fail(f"no telemetry socket at {path}")
            time.sleep(0.1)

    # t = 0 is when the Rx port has counted packets: ports started and the worker polling.
    while True:
        if not alive(args.pid):
            fail("process exited before traffic started")
        try:
            stats = tel.query(f"/ethdev/stats,{args.rx_port}")
        except (OSError, ValueError):
            stats = None
        # dprouter answers /dprouter/stats only once its tables are built and its workers run;
        # before that net_pcap's infinite_rx may already count the capture it preloaded.
        ready = True
        if args.router_stats and stats and stats.get("ipackets", 0) > 0:
            try:
                ready = isinstance(tel.query("/dprouter/stats"), dict)
            except (OSError, ValueError):
                ready = False
        if stats and stats.get("ipackets", 0) > 0 and ready:
            break
        if time.monotonic() > deadline:
            fail(f"port {args.rx_port} received nothing within {args.start_timeout} s "
                 f"(last reply: {stats})")
        time.sleep(0.05)
    t_start = time.monotonic()

    time.sleep(max(0.0, t_start + args.warmup - time.monotonic()))
    a = snapshot(tel, args.rx_port, args.tx_port, args.pid, args.worker_cpu, args.router_stats)
    time.sleep(max(0.0, a["t"] + args.duration - time.monotonic()))
    b = snapshot(tel, args.rx_port, args.tx_port, args.pid, args.worker_cpu, args.router_stats)
    tel.close()
    if not alive(args.pid):
        fail("process exited during the measurement")
    if a["rx"] is None or a["tx"] is None or b["rx"] is None or b["tx"] is None:
        fail("telemetry returned no /ethdev/stats for a port (wrong port numbers?)")

    # Each port's rate over the interval between its own two readings.
    window = b["t"] - a["t"]
    window_tx = b["t_tx"] - a["t_tx"]

    def d(side, key):
        return b[side].get(key, 0) - a[side].get(key, 0)

    res = {
        "window_s": round(window, 4),
        "rx_packets": d("rx", "ipackets"),
        "tx_packets": d("tx", "opackets"),
        "rx_pps": d("rx", "ipackets") / window,
        "tx_pps": d("tx", "opackets") / window_tx,
        "rx_imissed": d("rx", "imissed"),
        "rx_ierrors": d("rx", "ierrors"),
        "rx_nombuf": d("rx", "rx_nombuf"),
        "tx_oerrors": d("tx", "oerrors"),
        "rx_port_tx_packets": d("rx", "opackets"),
        "rx_port_tx_pps": d("rx", "opackets") / window,
        "max_query_rtt_ms": round(1000 * max(a["rtt"], b["rtt"]), 3),
    }
    if args.router_stats:
        if a.get("router") is None or b.get("router") is None:
            fail("no /dprouter/stats from telemetry (not dprouter, or too old a build?)")
        res["router_window_s"] = round(b["t_router"] - a["t_router"], 4)
        res["router"] = {k: v - a["router"].get(k, 0) for k, v in sorted(b["router"].items())
                         if v != a["router"].get(k, 0)}
    if a["steal"] is not None and b["steal"] is not None:
        res["worker_cpu_steal_share"] = (b["steal"] - a["steal"]) / os.sysconf("SC_CLK_TCK") / window
    if args.pid:
        deltas = {tid: b["cpu"][tid] - a["cpu"].get(tid, 0) for tid in b["cpu"]}
        res["process_cpu_s"] = sum(deltas.values()) / 1e9
        if args.worker_cpu is not None:
            # EAL pins each lcore thread to its own CPU; other threads (main lcore, control,
            # telemetry) may be spinning too, so pick by affinity, not only by CPU time.
            pinned = {t: v for t, v in deltas.items()
                      if thread_cpus(args.pid, t) == str(args.worker_cpu)}
            deltas = pinned or deltas
        if deltas:
            tid = max(deltas, key=deltas.get)
            res["worker_thread"] = thread_name(args.pid, tid)
            res["worker_cpu_s"] = deltas[tid] / 1e9
            res["worker_cpu_share"] = deltas[tid] / 1e9 / window
    print(json.dumps(res))


if __name__ == "__main__":
    main()
