#!/usr/bin/python3
"""Check how a router fragmented datagrams (RFC 791, RFC 1812 4.2.2.7/5.2.6), for the dprouter lab tests.

  frag_check.py --pcap F --sent HEXFILE --mtu N [--ttl-dec 1]

For every datagram in HEXFILE (hex lines written by send_frames.py --save; each may itself be a
fragment), collect the captured fragments with the same IP id, addresses and protocol and check:
  * every piece fits the MTU, its IHL and header checksum are right, TTL is the sent TTL - ttl-dec;
  * TOS, id, protocol, addresses and DF are those of the original;
  * offsets are in 8-byte units, contiguous, start at the original's offset and cover exactly its
    payload, which reassembles byte for byte; MF is set on all but the last, and on the last exactly
    when the original had MF;
  * options: the first piece carries all of the original's options; later pieces only those with the
    copy flag (others may be replaced by NOPs, as Linux does, or removed);
  * more than one piece when the original exceeded the MTU.
Prints a line per piece and the problems; exit 0 when all is well.
"""
import argparse
import sys

from scapy.all import rdpcap  # noqa: E402


def csum(b):
    s = sum(int.from_bytes(b[i:i + 2], "big") for i in range(0, len(b), 2))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def options(hdr):
    """(type, bytes) of each option in an IP header, END and NOP included as 1-byte options."""
    out, i, o = [], 20, hdr
    while i < len(o):
        t = o[i]
        if t in (0, 1):
            out.append((t, o[i:i + 1]))
            i += 1
            if t == 0:
                break
            continue
        if i + 1 >= len(o) or o[i + 1] < 2:
            out.append((t, o[i:]))
            break
        ln = o[i + 1]
        out.append((t, o[i:i + ln]))
        i += ln
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pcap", required=True)
    ap.add_argument("--sent", required=True)
    ap.add_argument("--mtu", type=int, required=True)
    ap.add_argument("--ttl-dec", type=int, default=1)
    a = ap.parse_args()

    pkts = []
    for p in rdpcap(a.pcap):
        b = bytes(p)
        if len(b) >= 34 and b[12:14] == b"\x08\x00":
            tot = int.from_bytes(b[16:18], "big")
            pkts.append(b[14:14 + tot])
    bad = []
    for line in open(a.sent):
        if not line.strip():
            continue
        s = bytes.fromhex(line.strip())
        ihl = (s[0] & 0x0f) * 4
        fl = int.from_bytes(s[6:8], "big")
        base, mf, df = (fl & 0x1fff) * 8, bool(fl & 0x2000), bool(fl & 0x4000)
        payload = s[ihl:]
        key = (s[4:6], s[9], s[12:20])
        pieces = [p for p in pkts if (p[4:6], p[9], p[12:20]) == key]
        print(f"datagram id {int.from_bytes(s[4:6], 'big')}: {len(s)} bytes, offset {base}, MF {int(mf)}, "
              f"{len(pieces)} piece(s) captured")
        if not pieces:
            bad.append(f"id {int.from_bytes(s[4:6], 'big')}: nothing captured")
            continue
        pieces.sort(key=lambda p: (int.from_bytes(p[6:8], "big") & 0x1fff))
        data = bytearray()
        expect_off = base
        orig_opts = options(s[:ihl])
        for k, p in enumerate(pieces):
            pihl = (p[0] & 0x0f) * 4
            pfl = int.from_bytes(p[6:8], "big")
            off, pmf, pdf = (pfl & 0x1fff) * 8, bool(pfl & 0x2000), bool(pfl & 0x4000)
            last = k == len(pieces) - 1
            prob = []
            if len(p) > a.mtu:
                prob.append(f"{len(p)} bytes > MTU {a.mtu}")
            if csum(p[:pihl]) != 0:
                prob.append("bad header checksum")
            if p[8] != (s[8] - a.ttl_dec) & 0xff:
                prob.append(f"TTL {p[8]}, expected {s[8] - a.ttl_dec}")
            if p[1] != s[1] or pdf != df:
                prob.append("TOS or DF changed")
            if off != expect_off:
                prob.append(f"offset {off}, expected {expect_off} (gap or overlap)")
            if not last and len(p[pihl:]) % 8:
                prob.append(f"payload {len(p[pihl:])} bytes, not a multiple of 8 in a non-last piece")
            want_mf = True if not last else mf
            if pmf != want_mf:
                prob.append(f"MF {int(pmf)}, expected {int(want_mf)}")
            popts = options(p[:pihl])
            if off == base:
                if p[20:pihl] != s[20:ihl]:
                    prob.append(f"first piece options {p[20:pihl].hex()} differ from the original's {s[20:ihl].hex()}")
            else:
                for t, raw in popts:
                    if t in (0, 1):
                        continue
                    if not t & 0x80:
                        prob.append(f"non-first piece carries option {t:#04x} without the copy flag")
                copied = [raw for t, raw in orig_opts if t & 0x80]
                for raw in copied:
                    if raw not in p[20:pihl]:
                        prob.append(f"non-first piece lacks copied option {raw.hex()}")
            data += p[pihl:]
            expect_off = off + len(p[pihl:])
            print(f"  piece {k}: {len(p)} bytes, ihl {pihl}, offset {off}, MF {int(pmf)}, TTL {p[8]}"
                  + ("" if not prob else "  <- " + "; ".join(prob)))
            bad += prob
        if bytes(data) != payload:
            bad.append(f"reassembled payload ({len(data)} bytes) differs from the original ({len(payload)} bytes)")
            print("  reassembled payload differs")
        if len(s) > a.mtu and len(pieces) < 2:
            bad.append(f"{len(s)}-byte datagram over MTU {a.mtu} was not fragmented")
    for b in bad:
        print("BAD " + b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
