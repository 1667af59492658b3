#!/usr/bin/python3
"""A stand-in for build/dprouter that makes the Linux kernel of the current network namespace the router,
configured from the same YAML file. It exists to check the lab harness itself:

    tests/lab/run.sh tests/lab/kernel_router.py

Accepts `--config FILE [--check] [--log-level L] [-- EAL...]` like dprouter; configures addresses, MACs,
MTUs, routes and static neighbours, enables forwarding, answers ARP only on the interface that owns the
address (arp_ignore=1), waits for SIGTERM/SIGINT, prints counters, undoes the addresses and exits 0.
IPv6 addresses, routes (a link-local gateway with its `interface`) and neighbours turn IPv6 on for the
interfaces and IPv6 forwarding (the link-local addresses come from the MACs, as the router's do).
It does whatever Linux does about ICMP; the lab's rate limits are ignored.
"""
import re
import signal
import subprocess
import sys
import time

import yaml


def run(*cmd):
    subprocess.run(cmd, check=True)


def main(argv):
    config, check = None, False
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--config":
            config = argv[i + 1]; i += 2; continue
        if a.startswith("--config="):
            config = a.split("=", 1)[1]
        elif a == "--check":
            check = True
        elif a == "--log-level":
            i += 1
        elif a == "--":
            break
        i += 1
    try:
        cfg = yaml.safe_load(open(config))
        devs = {}
        for itf in cfg["interfaces"]:
            devs[itf["name"]] = re.search(r"iface=([^,]+)", itf["device"]).group(1)
    except Exception as e:  # noqa: BLE001
        print(f"{config}:1:1: error: {e}", file=sys.stderr)
        return 2
    if check:
        return 0

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    run("sysctl", "-qw", "net.ipv4.ip_forward=1")
    run("sysctl", "-qw", "net.ipv4.conf.all.arp_ignore=1")
    ipv6 = any(":" in a for itf in cfg["interfaces"] for a in itf.get("addresses", []))
    if ipv6:
        run("sysctl", "-qw", "net.ipv6.conf.all.forwarding=1")
    for itf in cfg["interfaces"]:
        dev = devs[itf["name"]]
        if itf.get("mac"):
            run("ip", "link", "set", dev, "address", itf["mac"])
        run("ip", "link", "set", dev, "mtu", str(itf.get("mtu", 1500)))
        if ipv6:  # after the MAC, so that the link-local address is derived from it
            for k in ("accept_dad=0", "router_solicitations=0", "accept_ra=0", "disable_ipv6=0"):
                run("sysctl", "-qw", f"net.ipv6.conf.{dev}.{k}")
        for a in itf.get("addresses", []):
            run("ip", "addr", "add", a, "dev", dev, *(["nodad"] if ":" in a else []))
        run("ip", "link", "set", dev, "up")
    for r in cfg.get("routes") or []:
        act = r.get("action", "forward")
        if act == "forward":
            dev = ["dev", devs[r["interface"]]] if r.get("interface") else []
            run("ip", "route", "replace", r["prefix"], "via", r["via"], *dev)
        else:
            run("ip", "route", "replace", act, r["prefix"])
    for n in cfg.get("neighbors") or []:
        run("ip", "neigh", "replace", n["address"], "lladdr", n["mac"], "dev", devs[n["interface"]],
            "nud", "permanent")
    print(f"kernel-router: up on {' '.join(devs.values())}", flush=True)
    while not stop:
        time.sleep(0.2)
    print("kernel-router: stopping; counters:", flush=True)
    for dev in devs.values():
        subprocess.run(["ip", "-s", "link", "show", dev])
    with open("/proc/net/snmp") as f:
        lines = f.read().splitlines()
    for hdr, val in zip(lines[::2], lines[1::2]):
        if hdr.startswith("Ip:") or hdr.startswith("Icmp:"):
            for k, v in zip(hdr.split()[1:], val.split()[1:]):
                if k in ("InHdrErrors", "ForwDatagrams", "InAddrErrors", "OutDestUnreachs", "OutTimeExcds",
                         "InEchos", "OutEchoReps"):
                    print(f"  {hdr.split(':')[0]}.{k}: {v}")
    subprocess.run(["ip", "route", "flush", "table", "main"])
    subprocess.run(["ip", "-6", "route", "flush", "table", "main"])
    for dev in devs.values():
        subprocess.run(["ip", "neigh", "flush", "dev", dev, "nud", "all"])
        subprocess.run(["ip", "addr", "flush", "dev", dev])
    run("sysctl", "-qw", "net.ipv4.ip_forward=0")
    if ipv6:
        run("sysctl", "-qw", "net.ipv6.conf.all.forwarding=0")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
