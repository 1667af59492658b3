#!/usr/bin/python3
"""Clients of the router's metrics endpoint (tests/lab/test_metrics.sh).

  metrics_client.py scrape URL                       print the body of GET URL (exit 1 unless 200)
  metrics_client.py value URL NAME{LABELS}           print one sample's value (exit 1 when missing)
  metrics_client.py abuse HOST PORT SILENT HOLD      open SILENT connections that send nothing, plus one
                                                     that sends 64 KiB of garbage, one that stalls half
                                                     way through a request line and one that sends a
                                                     request header without end; keep them HOLD seconds
"""
import socket
import sys
import time
import urllib.request


def scrape(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        if r.status != 200:
            sys.exit(f"HTTP {r.status}")
        return r.read().decode()


def value(url, key):
    for line in scrape(url).splitlines():
        if line.startswith("#"):
            continue
        name, _, v = line.rpartition(" ")
        if name == key:
            return v
    sys.exit(f"{key} not in the scrape")


def abuse(host, port, silent, hold):
    socks = []
    for _ in range(silent):
        s = socket.create_connection((host, port), timeout=5)
        socks.append(s)
    g = socket.create_connection((host, port), timeout=5)
    try:
        g.sendall(bytes(range(256)) * 256)
    except OSError:
        pass  # the server may close on garbage: that is fine
    socks.append(g)
    h = socket.create_connection((host, port), timeout=5)
    h.sendall(b"GET /metr")
    socks.append(h)
    e = socket.create_connection((host, port), timeout=5)
    e.sendall(b"GET /metrics HTTP/1.1\r\n" + b"X-Pad: " + b"a" * 60000)
    socks.append(e)
    print(f"{len(socks)} connections open", flush=True)
    time.sleep(hold)
    for s in socks:
        s.close()


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "scrape":
        sys.stdout.write(scrape(sys.argv[2]))
    elif len(sys.argv) == 4 and sys.argv[1] == "value":
        print(value(sys.argv[2], sys.argv[3]))
    elif len(sys.argv) == 6 and sys.argv[1] == "abuse":
        abuse(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
