#!/usr/bin/python3
"""Send a hand-made ICMP "fragmentation needed and DF set" (type 3 code 4) with scapy.

  forge_frag_needed.py --src A --dst B --mtu N --quote-src C --quote-dst D --sport P --dport Q --seq S
                       [--quote-len 1500] [--show]

The ICMP goes from A to B (A may be spoofed: the kernel's raw socket sends any source) and says that a
datagram C -> D (TCP, ports P -> Q, sequence number S, DF set, total length --quote-len) did not fit a
next hop of MTU N. The quote is what RFC 792 asks for at least: the IP header and the first 8 bytes of
the datagram (ports and sequence number); we quote the whole 20-byte TCP header, like a router would.
Whether the receiver believes it depends on that quote: Linux (tcp_v4_err) looks up the connection by
the quoted addresses and ports and accepts the MTU only when the quoted sequence number lies in
[snd_una, snd_nxt] of that connection. Run it with /usr/bin/python3 (scapy).
"""
import argparse
import sys

from scapy.all import ICMP, IP, TCP, Raw, conf, send  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--src", required=True)
    p.add_argument("--dst", required=True)
    p.add_argument("--mtu", type=int, required=True)
    p.add_argument("--quote-src", required=True)
    p.add_argument("--quote-dst", required=True)
    p.add_argument("--sport", type=int, required=True)
    p.add_argument("--dport", type=int, required=True)
    p.add_argument("--seq", type=lambda s: int(s, 0), required=True)
    p.add_argument("--quote-len", type=int, default=1500)
    p.add_argument("--show", action="store_true", help="print the packet (scapy show2)")
    a = p.parse_args()
    conf.verb = 0
    # The datagram we claim was too big: an ACK carrying data, DF set, as Linux TCP sends it.
    quoted = IP(src=a.quote_src, dst=a.quote_dst, flags="DF", ttl=64, id=0, len=a.quote_len) / \
        TCP(sport=a.sport, dport=a.dport, seq=a.seq & 0xFFFFFFFF, ack=0, flags="PA", window=502)
    quote = bytes(quoted)[:40]  # IP header + TCP header; the data is not there (as if truncated)
    pkt = IP(src=a.src, dst=a.dst, ttl=64) / ICMP(type=3, code=4, nexthopmtu=a.mtu) / Raw(quote)
    if a.show:
        pkt.show2()
    send(pkt)
    print(f"forged: ICMP 3/4 mtu {a.mtu} {a.src} -> {a.dst} quoting TCP {a.quote_src}:{a.sport} -> "
          f"{a.quote_dst}:{a.dport} seq {a.seq & 0xFFFFFFFF}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
