#!/usr/bin/python3
"""Writes the seed corpus of fuzz_pipeline (tests/fuzz/corpus/pipeline/): one crafted input per path
of the pipeline, in the target's input format (byte 0: receiving port, byte 1: segment size, then
frames as 2-byte big-endian length + bytes). Addresses and MACs are those of tests/fuzz/pipeline.yaml.

    /usr/bin/python3 tests/fuzz/make_seeds.py [OUTDIR]
"""
import os
import struct
import sys

from scapy.all import ARP, ICMP, IP, TCP, UDP, Ether, IPOption, fragment  # noqa: E402
from scapy.layers.inet6 import (HBHOptUnknown, ICMPv6DestUnreach, ICMPv6EchoRequest, IPv6,  # noqa: E402
                                IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting,
                                Jumbo, PadN, RouterAlert)

LAN, WAN, TINY, SMALL, JUMBO, HOLE = range(6)
ROUTER_MAC = {p: "02:00:00:00:%02x:01" % (p + 1) for p in range(6)}
HOST_MAC = {p: "02:00:00:00:%02x:02" % (p + 1) for p in range(6)}
ROUTER_IP = {p: "10.%d.0.1" % (p + 1) for p in range(6)}
HOST_IP = {p: "10.%d.0.2" % (p + 1) for p in range(6)}


def frame(port, ip_pkt):
    return bytes(Ether(dst=ROUTER_MAC[port], src=HOST_MAC[port]) / ip_pkt)


def seed(port, frames, seg=0):
    out = bytes([port, seg])
    for f in frames:
        out += struct.pack("!H", len(f)) + f
    return out


def data(n):
    return bytes((0x40 + i) & 0xFF for i in range(n))


def seeds():
    h1, h2 = HOST_IP[LAN], HOST_IP[WAN]
    s = {}
    udp = IP(src=h1, dst=h2, id=0x4D2) / UDP(sport=5555, dport=7777) / data(32)
    s["udp-forward"] = seed(LAN, [frame(LAN, udp)])
    s["udp-via-gateway"] = seed(LAN, [frame(LAN, IP(src=h1, dst="10.99.7.9") / UDP() / data(20))])
    s["ttl-1"] = seed(LAN, [frame(LAN, IP(src=h1, dst=h2, ttl=1) / UDP() / data(8))])
    s["options-unknown"] = seed(LAN, [frame(LAN, IP(src=h1, dst=h2, options=[IPOption(b"\x9e\x04\xab\xcd")]) / UDP())])
    s["options-record-route"] = seed(
        LAN, [frame(LAN, IP(src=h1, dst=h2, options=[IPOption(b"\x07\x0b\x04" + bytes(8) + b"\x00")]) / UDP())])
    s["options-bad"] = seed(LAN, [frame(LAN, IP(src=h1, dst=h2, options=[IPOption(b"\x44\x02\x00\x00")]) / UDP())])
    s["options-lsrr"] = seed(
        LAN, [frame(LAN, IP(src=h1, dst=h2, options=[IPOption(b"\x83\x07\x04\x0a\x02\x00\x02\x00")]) / UDP())])
    arp = Ether(dst="ff:ff:ff:ff:ff:ff", src=HOST_MAC[LAN]) / ARP(
        op=1, hwsrc=HOST_MAC[LAN], psrc=h1, pdst=ROUTER_IP[LAN])
    s["arp-request"] = seed(LAN, [bytes(arp)])
    s["arp-reply"] = seed(LAN, [bytes(Ether(dst=ROUTER_MAC[LAN], src=HOST_MAC[LAN]) / ARP(
        op=2, hwsrc=HOST_MAC[LAN], psrc=h1, hwdst=ROUTER_MAC[LAN], pdst=ROUTER_IP[LAN]))])
    s["echo"] = seed(LAN, [frame(LAN, IP(src=h1, dst=ROUTER_IP[LAN], flags="DF") / ICMP(id=0x1234, seq=7) / data(56))])
    s["echo-empty-zero"] = seed(LAN, [frame(LAN, IP(src=h1, dst=ROUTER_IP[LAN]) / ICMP(id=0, seq=0))])
    s["echo-options"] = seed(
        LAN, [frame(LAN, IP(src=h1, dst=ROUTER_IP[LAN], options=[IPOption(b"\x01\x01\x01\x00")]) / ICMP() / data(8))])
    s["echo-1028-small"] = seed(SMALL, [frame(SMALL, IP(src=HOST_IP[SMALL], dst=ROUTER_IP[SMALL]) / ICMP() / data(1000))])
    s["echo-tiny"] = seed(TINY, [frame(TINY, IP(src=HOST_IP[TINY], dst=ROUTER_IP[TINY]) / ICMP() / data(100))])
    syn = IP(src=h1, dst=h2) / TCP(sport=40000, dport=80, flags="S", options=[("NOP", None), ("NOP", None),
                                                                             ("SAckOK", b""), ("MSS", 1460)])
    s["tcp-syn-mss-last"] = seed(LAN, [frame(LAN, syn)])
    s["tcp-syn-mss-first"] = seed(WAN, [frame(WAN, IP(src=h2, dst=h1) / TCP(flags="S", options=[("MSS", 8960)]))])
    s["tcp-to-router"] = seed(LAN, [frame(LAN, IP(src=h1, dst=ROUTER_IP[LAN]) / TCP(flags="S"))])
    s["udp-to-router"] = seed(LAN, [frame(LAN, IP(src=h1, dst=ROUTER_IP[LAN]) / UDP(dport=33434) / data(12))])
    s["proto-to-router"] = seed(LAN, [frame(LAN, IP(src=h1, dst=ROUTER_IP[LAN], proto=47) / data(8))])
    frags = fragment(IP(src=h1, dst=h2, id=77) / UDP() / data(300), fragsize=128)
    s["fragments"] = seed(LAN, [frame(LAN, f) for f in frags])
    s["fragment-to-tiny"] = seed(
        LAN, [frame(LAN, IP(src=h1, dst=HOST_IP[TINY], id=78, frag=16, flags="MF", proto=17) / data(400))])
    s["big-to-tiny"] = seed(LAN, [frame(LAN, IP(src=h1, dst=HOST_IP[TINY]) / UDP() / data(1400))])
    s["big-df-to-small"] = seed(LAN, [frame(LAN, IP(src=h1, dst=HOST_IP[SMALL], flags="DF") / UDP() / data(1400))])
    s["big-chained-to-small"] = seed(LAN, [frame(LAN, IP(src=h1, dst=HOST_IP[SMALL]) / UDP() / data(1400))], seg=200)
    s["big-df-to-hole"] = seed(LAN, [frame(LAN, IP(src=h1, dst="10.95.0.9", flags="DF") / UDP() / data(1400))])
    s["jumbo-to-tiny"] = seed(JUMBO, [frame(JUMBO, IP(src=HOST_IP[JUMBO], dst=HOST_IP[TINY]) / UDP() / data(8900))])
    s["unreachable"] = seed(LAN, [frame(LAN, IP(src=h1, dst="10.66.1.1") / UDP())])
    s["blackhole"] = seed(LAN, [frame(LAN, IP(src=h1, dst="10.67.1.1") / UDP())])
    s["prohibit"] = seed(LAN, [frame(LAN, IP(src=h1, dst="10.68.1.1") / UDP())])
    s["no-route"] = seed(LAN, [frame(LAN, IP(src=h1, dst="192.0.2.1") / UDP())])
    s["failed-gateway"] = seed(LAN, [frame(LAN, IP(src=h1, dst="10.96.0.1") / UDP())])
    s["unresolved-host"] = seed(LAN, [frame(LAN, IP(src=h1, dst="10.5.1.77") / UDP())])
    s["redirect"] = seed(LAN, [frame(LAN, IP(src=h1, dst="10.94.0.1") / UDP())])
    s["broadcast"] = seed(LAN, [bytes(Ether(dst="ff:ff:ff:ff:ff:ff", src=HOST_MAC[LAN]) /
                                      IP(src=h1, dst="10.1.0.255") / UDP())])
    s["burst"] = seed(WAN, [frame(WAN, IP(src=h2, dst=h1, id=i) / UDP() / data(i * 10)) for i in range(6)])
    s.update(seeds6())
    return s


# IPv6, as fuzz_pipeline adds it to the ports of MTU >= 1280: 2001:db8:P::1/64 (P = port + 1),
# hosts ::2, routes 2001:db8:99::/48 via 2001:db8:2::fe, :98::/48 via fe80::fe on wan, :95::/48
# via 2001:db8:6::fe (hole), :66/:67/:68 unreachable/blackhole/prohibit.
def frame6(port, pkt, dst_mac=None):
    return bytes(Ether(dst=dst_mac or ROUTER_MAC[port], src=HOST_MAC[port]) / pkt)


def seeds6():
    h1, h2, r1 = "2001:db8:1::2", "2001:db8:2::2", "2001:db8:1::1"
    ll1, rll1 = "fe80::2", "fe80::ff:fe00:101"
    s = {}
    s["v6-udp-forward"] = seed(LAN, [frame6(LAN, IPv6(src=h1, dst=h2) / UDP() / data(32))])
    s["v6-via-gateways"] = seed(LAN, [frame6(LAN, IPv6(src=h1, dst=d) / UDP() / data(8))
                                      for d in ("2001:db8:99::9", "2001:db8:98::8")])
    s["v6-hop-limit-1"] = seed(LAN, [frame6(LAN, IPv6(src=h1, dst=h2, hlim=1) / UDP() / data(8))])
    s["v6-too-big"] = seed(JUMBO, [frame6(JUMBO, IPv6(src="2001:db8:5::2", dst=h2) / UDP() / data(3000))])
    s["v6-too-big-hole"] = seed(LAN, [frame6(LAN, IPv6(src=h1, dst="2001:db8:95::9") / UDP() / data(1400))])
    s["v6-actions"] = seed(LAN, [frame6(LAN, IPv6(src=h1, dst="2001:db8:%s::1" % n) / UDP())
                                 for n in ("66", "67", "68", "dead")])
    s["v6-echo"] = seed(LAN, [frame6(LAN, IPv6(src=h1, dst=r1, tc=0xb8) / ICMPv6EchoRequest(id=1, seq=2, data=data(56))),
                              frame6(LAN, IPv6(src=ll1, dst=rll1) / ICMPv6EchoRequest(data=data(8)))])
    s["v6-echo-all-nodes"] = seed(LAN, [frame6(LAN, IPv6(src=ll1, dst="ff02::1") / ICMPv6EchoRequest(),
                                               dst_mac="33:33:00:00:00:01")])
    s["v6-udp-tcp-to-router"] = seed(LAN, [frame6(LAN, IPv6(src=h1, dst=r1) / UDP(dport=33434) / data(12)),
                                           frame6(LAN, IPv6(src=h1, dst=r1) / TCP(flags="S"))])
    s["v6-tcp-syn-mss"] = seed(WAN, [frame6(WAN, IPv6(src=h2, dst=h1) / TCP(flags="S", options=[("MSS", 8960)]))])
    s["v6-hop-by-hop"] = seed(LAN, [
        frame6(LAN, IPv6(src=h1, dst=h2) / IPv6ExtHdrHopByHop(options=[RouterAlert()]) / UDP()),
        frame6(LAN, IPv6(src=h1, dst=h2) / IPv6ExtHdrHopByHop(options=[HBHOptUnknown(otype=0x9e, optdata=b"ab")]) / UDP()),
        frame6(LAN, IPv6(src=h1, dst=r1) / IPv6ExtHdrHopByHop(options=[Jumbo(jumboplen=70000)]) / UDP())])
    s["v6-extensions-to-router"] = seed(LAN, [
        frame6(LAN, IPv6(src=h1, dst=r1) / IPv6ExtHdrDestOpt() / IPv6ExtHdrRouting(addresses=[h2], segleft=1) / UDP()),
        frame6(LAN, IPv6(src=h1, dst=r1) / IPv6ExtHdrRouting(type=4, segleft=0) / ICMPv6EchoRequest()),
        frame6(LAN, IPv6(src=h1, dst=r1) / IPv6ExtHdrFragment(offset=0, m=1) / UDP() / data(16)),
        frame6(LAN, IPv6(src=h1, dst=r1, nh=253) / data(16))])
    s["v6-fragment-transit"] = seed(LAN, [frame6(LAN, IPv6(src=h1, dst=h2, hlim=1) / IPv6ExtHdrFragment(offset=9, nh=58)
                                                 / data(24))])
    s["v6-link-local-beyond-scope"] = seed(LAN, [frame6(LAN, IPv6(src=ll1, dst=h2) / UDP())])
    s["v6-error-to-nowhere"] = seed(LAN, [frame6(LAN, IPv6(src=h1, dst="2001:db8:dead::1") /
                                                 ICMPv6DestUnreach() / IPv6(src="2001:db8:dead::1", dst=h1) / UDP())])
    s["v6-chained"] = seed(LAN, [frame6(LAN, IPv6(src=h1, dst=r1) / IPv6ExtHdrDestOpt(options=[PadN(optdata=bytes(60))])
                                        / UDP() / data(200))], seg=64)
    return s


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus", "pipeline")
    os.makedirs(out, exist_ok=True)
    for name, blob in seeds().items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(blob)


if __name__ == "__main__":
    main()
