#!/usr/bin/python3
"""Writes the seed corpus of fuzz_netlink (tests/fuzz/corpus/netlink/): rtnetlink datagrams as the
kernel route importer reads them (links lan = ifindex 2 and wan = 3, routes of both families, ECMP,
nexthop objects and groups, reject routes, deletes), in host byte order like the kernel's.

    /usr/bin/python3 tests/fuzz/make_netlink_seeds.py [OUTDIR]
"""
import os
import socket
import struct
import sys

RTM_NEWLINK, RTM_NEWROUTE, RTM_DELROUTE, RTM_NEWNEXTHOP, RTM_DELNEXTHOP = 16, 24, 25, 104, 105
RTA_DST, RTA_OIF, RTA_GATEWAY, RTA_PRIORITY, RTA_MULTIPATH, RTA_TABLE, RTA_NH_ID = 1, 4, 5, 6, 9, 15, 30
NHA_ID, NHA_GROUP, NHA_BLACKHOLE, NHA_OIF, NHA_GATEWAY = 1, 2, 4, 5, 6
IFLA_IFNAME = 3


def pad(b):
    return b + bytes(-len(b) % 4)


def attr(t, payload):
    return pad(struct.pack("=HH", 4 + len(payload), t) + payload)


def msg(t, body, flags=0):
    return struct.pack("=IHHII", 16 + len(body), t, flags, 0, 0) + body


def addr(a):
    return socket.inet_pton(socket.AF_INET6 if ":" in a else socket.AF_INET, a)


def link(index, name):
    return msg(RTM_NEWLINK, struct.pack("=BBHiII", 0, 0, 1, index, 1, 0) + attr(IFLA_IFNAME, name.encode() + b"\0"))


def route(family, dst, length, attrs=b"", rtype=1, proto=4, t=RTM_NEWROUTE):
    hdr = struct.pack("=BBBBBBBBI", family, length, 0, 0, 254, proto, 0, rtype, 0)
    return msg(t, hdr + attr(RTA_DST, addr(dst)) + attr(RTA_TABLE, struct.pack("=I", 254)) + attrs)


def multipath(paths):
    body = b""
    for gw, oif in paths:
        a = attr(RTA_GATEWAY, addr(gw))
        body += struct.pack("=HBBi", 8 + len(a), 0, 0, oif) + a
    return attr(RTA_MULTIPATH, body)


def nexthop(nid, family=2, attrs=b"", t=RTM_NEWNEXTHOP):
    return msg(t, struct.pack("=BBBBI", family, 0, 11, 0, 0) + attr(NHA_ID, struct.pack("=I", nid)) + attrs)


def u32(t, v):
    return attr(t, struct.pack("=I", v))


LINKS = link(2, "lan") + link(3, "wan") + link(4, "eth9")
SEEDS = {
    "routes": LINKS + route(2, "10.9.0.0", 24, attr(RTA_GATEWAY, addr("10.2.0.2")) + u32(RTA_OIF, 3))
    + route(10, "2001:db8:99::", 64, attr(RTA_GATEWAY, addr("fe80::2")) + u32(RTA_OIF, 3) + u32(RTA_PRIORITY, 1024))
    + route(2, "10.8.0.0", 16, u32(RTA_OIF, 2) + u32(RTA_PRIORITY, 20)),
    "ecmp": LINKS + route(2, "10.50.0.0", 16, multipath([("10.2.0.2", 3), ("10.1.0.2", 2), ("192.168.0.1", 4)]))
    + route(10, "2001:db8:50::", 48, multipath([("fe80::2", 3), ("fe80::3", 2)]))
    + route(10, "2001:db8:50::", 48, attr(RTA_GATEWAY, addr("fe80::2")) + u32(RTA_OIF, 3), t=RTM_DELROUTE),
    "nexthops": LINKS + nexthop(10, 2, attr(NHA_GATEWAY, addr("10.2.0.2")) + u32(NHA_OIF, 3))
    + nexthop(11, 2, attr(NHA_GATEWAY, addr("10.1.0.2")) + u32(NHA_OIF, 2))
    + nexthop(20, 0, attr(NHA_GROUP, struct.pack("=IBBH", 10, 0, 0, 0) + struct.pack("=IBBH", 11, 0, 0, 0)))
    + nexthop(12, 10, attr(NHA_GATEWAY, addr("fe80::2")) + u32(NHA_OIF, 3))
    + route(2, "10.61.0.0", 24, u32(RTA_NH_ID, 20), proto=186)
    + route(10, "2001:db8:60::", 48, u32(RTA_NH_ID, 12), proto=186)
    + nexthop(11, 2, t=RTM_DELNEXTHOP) + nexthop(30, 0, attr(NHA_BLACKHOLE, b""))
    + route(2, "10.63.0.0", 24, u32(RTA_NH_ID, 30)),
    "reject": LINKS + route(2, "10.66.0.0", 16, rtype=6) + route(2, "10.67.0.0", 16, rtype=7)
    + route(10, "2001:db8:68::", 48, u32(RTA_OIF, 1), rtype=8) + route(2, "10.66.0.0", 16, rtype=6, t=RTM_DELROUTE),
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus", "netlink")
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
