#!/usr/bin/python3
"""Generate a pcap of IPv4/UDP or IPv6/UDP frames for the dprouter benchmarks (net_pcap rx_pcap=...,infinite_rx=1).

Run it with /usr/bin/python3 (Debian's python3-scapy).

Frame size follows the RFC 2544 convention: --size counts the whole Ethernet frame including the
4-byte FCS, which a pcap does not store, so a 64-byte frame is 60 bytes in the file.

Every packet belongs to one of --flows flows (distinct source address, destination address and
source port); packets cycle through the flows in order. Options used by later benchmarks:
  --size 1400          big frames (fragmentation benchmark; pair with a small egress MTU)
  --df                 set Don't Fragment (PMTUD / "fragmentation needed" benchmark)
  --ttl-expired-share 0.5   that fraction of packets gets TTL 1 (spread evenly, not in a block)

Defaults match the forwarding benchmark: dst MAC 02:00:00:00:00:01 (the router's port-0 MAC),
sources in 198.18.0.0/24 (the ingress subnet), destinations in 198.18.1.0/24 (routed to port 1
by both dprouter's bench config and l3fwd's built-in LPM table), TTL 64.

  --ipv6               IPv6/UDP instead (the forward6 scenario): sources in 2001:200::/64 from ::2,
                       destinations in 2001:200:0:1::/64 (l3fwd's built-in IPv6 LPM table routes
                       2001:200:0:N::/64 to port N), hop limit 64 (--ttl), traffic class and flow
                       label 0. The smallest such frame is 66 bytes with the FCS (62 in the file:
                       14 Ethernet + 40 IPv6 + 8 UDP, no data), the default size with --ipv6.
"""
import argparse
import ipaddress
import sys

from scapy.all import IP, UDP, Ether, IPv6, Raw, wrpcap  # noqa: E402  (Debian python3-scapy)

FCS_LEN = 4
HDR_LEN = 14 + 20 + 8  # Ethernet + IPv4 (no options) + UDP
HDR_LEN6 = 14 + 40 + 8  # Ethernet + IPv6 + UDP


def hosts(net, count, start=1):
    """`count` host addresses of `net`, cycling through the usable range from host `start`
    (IPv4: neither the network nor the broadcast address; IPv6: not the subnet-router anycast
    address, RFC 4291 2.6.1)."""
    net = ipaddress.ip_network(net)
    if net.version == 4:
        usable = net.num_addresses - 2 if net.prefixlen < 31 else net.num_addresses
        skip = 1 if net.prefixlen < 31 else 0
    else:
        usable = net.num_addresses - 1 if net.prefixlen < 127 else net.num_addresses
        skip = 1 if net.prefixlen < 127 else 0
    base = int(net.network_address) + skip
    first = start - 1
    span = usable - first
    if span <= 0:
        raise ValueError(f"{net}: no usable host addresses from host {start}")
    return [str(ipaddress.ip_address(base + first + (i % span))) for i in range(count)]


def expired_mask(n, share):
    """Evenly spread `round(n*share)` True values over n slots (Bresenham style)."""
    return [int((i + 1) * share) > int(i * share) for i in range(n)]


def build(args):
    hdr_len = HDR_LEN6 if args.ipv6 else HDR_LEN
    if args.size < max(64, hdr_len + FCS_LEN):
        raise SystemExit(f"--size must be >= {max(64, hdr_len + FCS_LEN)} (the headers and the FCS)")
    if args.ipv6 and args.df:
        raise SystemExit("--df is IPv4's: IPv6 routers never fragment (RFC 8200 5)")
    if not 0.0 <= args.ttl_expired_share <= 1.0:
        raise SystemExit("--ttl-expired-share must be in [0, 1]")
    if args.flows < 1 or args.flows > 65536 - 1024:
        raise SystemExit("--flows must be in 1..64512")
    count = args.packets if args.packets else args.flows
    wire = args.size - FCS_LEN
    payload_len = wire - hdr_len

    # Flow i: source address cycles over the ingress subnet (from .2, .1 being the router),
    # destination cycles over the destination subnet, source port is unique per flow.
    srcs = hosts(args.src_net, args.flows, start=2)
    dsts = hosts(args.dst_net, args.flows, start=1)
    # Decorrelate destination from source so flows do not move in lock step.
    dsts = [dsts[(i * 7) % args.flows] for i in range(args.flows)]
    expired = expired_mask(count, args.ttl_expired_share)
    flags = "DF" if args.df else 0

    pad = bytes((i & 0xFF) for i in range(payload_len))
    pkts = []
    for j in range(count):
        i = j % args.flows
        ttl = 1 if expired[j] else args.ttl
        if args.ipv6:
            l3 = IPv6(src=srcs[i], dst=dsts[i], hlim=ttl, tc=0, fl=0)
        else:
            l3 = IP(src=srcs[i], dst=dsts[i], ttl=ttl, flags=flags, id=j & 0xFFFF)
        p = Ether(dst=args.dst_mac, src=args.src_mac) / l3 / UDP(sport=1024 + i, dport=args.dport)
        if pad:
            p = p / Raw(pad)
        p = Ether(bytes(p))  # materialise lengths and checksums (IP and UDP)
        assert len(p) == wire, (len(p), wire)
        pkts.append(p)
    return pkts, count, wire


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-o", "--output", required=True, help="pcap file to write")
    ap.add_argument("--ipv6", action="store_true", help="IPv6/UDP frames (see above)")
    ap.add_argument("--size", type=int, default=None,
                    help="Ethernet frame size including FCS (default 64, with --ipv6 66; pcap holds size-4)")
    ap.add_argument("--flows", type=int, default=1024, help="number of flows (default 1024)")
    ap.add_argument("--packets", type=int, default=0,
                    help="packets in the file (default: one per flow)")
    ap.add_argument("--ttl", type=int, default=64, help="TTL of normal packets (default 64)")
    ap.add_argument("--ttl-expired-share", type=float, default=0.0,
                    help="fraction of packets sent with TTL 1 (default 0)")
    ap.add_argument("--df", action="store_true", help="set the Don't Fragment flag")
    ap.add_argument("--dst-mac", default="02:00:00:00:00:01")
    ap.add_argument("--src-mac", default="02:00:00:00:00:10")
    ap.add_argument("--src-net", default=None, help="default 198.18.0.0/24, with --ipv6 2001:200::/64")
    ap.add_argument("--dst-net", default=None, help="default 198.18.1.0/24, with --ipv6 2001:200:0:1::/64")
    ap.add_argument("--dport", type=int, default=9, help="UDP destination port (default 9)")
    args = ap.parse_args()
    if args.size is None:
        args.size = HDR_LEN6 + FCS_LEN if args.ipv6 else 64
    if args.src_net is None:
        args.src_net = "2001:200::/64" if args.ipv6 else "198.18.0.0/24"
    if args.dst_net is None:
        args.dst_net = "2001:200:0:1::/64" if args.ipv6 else "198.18.1.0/24"
    want = 6 if args.ipv6 else 4
    for n in (args.src_net, args.dst_net):
        if ipaddress.ip_network(n).version != want:
            raise SystemExit(f"{n}: not an IPv{want} network")

    pkts, count, wire = build(args)
    wrpcap(args.output, pkts)
    if args.ipv6:
        n_exp = sum(1 for p in pkts if p[IPv6].hlim <= 1)
        what = "hop limit 1"
    else:
        n_exp = sum(1 for p in pkts if p[IP].ttl == 1)
        what = f"TTL 1, DF={'yes' if args.df else 'no'}"
    print(f"gen_pcap: wrote {args.output}: {count} {'IPv6' if args.ipv6 else 'IPv4'}/UDP packets, "
          f"{args.flows} flows, {wire} bytes each ({wire + FCS_LEN} with FCS), {n_exp} with {what}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
