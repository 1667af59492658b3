#!/usr/bin/python3
"""Write the pcap of the DF-too-big mix that pktgen replays (df-too-big.pkt, run.sh).

Frames alternate: a BIG-byte IPv4/UDP frame with Don't Fragment set, then a 64-byte one without,
both over --flows flows from 198.18.128.0/17 to 198.19.0.0/16, from generator port 0's MAC to the
router's `in` MAC (dprouter-memif.yaml). With the router's `out` MTU below BIG - 18, every big frame
is refused with ICMP fragmentation needed (RFC 1191) and every small one forwarded. Sizes count the
FCS (scripts/bench/gen_pcap.py builds the frames). Run with /usr/bin/python3 (python3-scapy).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
from gen_pcap import build  # noqa: E402  (scripts/bench/gen_pcap.py)
from scapy.all import wrpcap  # noqa: E402


def frames(size, df, flows):
    args = argparse.Namespace(size=size, df=df, flows=flows, packets=0, ttl=64, ttl_expired_share=0.0,
                              ipv6=False, src_net="198.18.128.0/17", dst_net="198.19.0.0/16",
                              dst_mac="02:00:00:00:00:01", src_mac="02:00:00:00:00:02", dport=9)
    return build(args)[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--big", type=int, default=1400, help="size of the DF frames, FCS included (default 1400)")
    ap.add_argument("--flows", type=int, default=1024)
    args = ap.parse_args()
    big, small = frames(args.big, True, args.flows), frames(64, False, args.flows)
    mix = [p for pair in zip(big, small) for p in pair]
    wrpcap(args.output, mix)
    print(f"gen_df_mix: wrote {args.output}: {len(mix)} frames, every other one {args.big} bytes with DF",
          file=sys.stderr)


if __name__ == "__main__":
    main()
