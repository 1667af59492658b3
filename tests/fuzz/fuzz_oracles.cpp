#include "fuzz_oracles.hpp"

#include <rte_byteorder.h>

namespace dprfuzz {

using dprtest::Bytes;
using dprtest::get16;
using dprtest::get32;

namespace {

constexpr size_t kEth = dprtest::kEthHdrLen;

// One's-complement sum of the TCP pseudo-header and segment, as a receiver computes it.
uint16_t tcp_sum(const Bytes& f, size_t ip_off, uint32_t ihl, uint32_t total) {
    const uint32_t l4_len = total - ihl;
    uint32_t acc = 0;
    for (size_t o : {ip_off + 12, ip_off + 14, ip_off + 16, ip_off + 18}) acc += get16(f, o);
    acc += dprtest::kProtoTcp + l4_len;
    return dprtest::ones_sum(f.data() + ip_off + ihl, l4_len, acc);
}

// IPv6: the payload length within the frame and the egress MTU (routers never fragment, and
// nothing leaves larger than the link takes); a packet the router originated (its source is one
// of ours: transit packets claiming one are dropped at input) carries an ICMPv6 or TCP checksum
// that verifies over the pseudo-header, and an ICMPv6 error fits in 1280 bytes (RFC 4443 2.4(c)).
std::string frame_problem6(const dprouter::Tables& t, uint16_t port, const Bytes& f) {
    if (f.size() < kEth + 40) return "IPv6 frame shorter than an IPv6 header";
    if ((f[kEth] >> 4) != 6) return "IPv6 frame without version 6";
    const uint32_t total = 40u + get16(f, kEth + 4);
    if (kEth + total > f.size()) return "IPv6 payload length beyond the frame";
    if (port >= dprouter::kMaxPorts || !t.ifaces[port].in_use || !t.ifaces[port].ipv6)
        return "IPv6 sent to a port without IPv6";
    if (total > t.ifaces[port].mtu)
        return "IPv6 packet of " + std::to_string(total) + " bytes out of a link of MTU " +
               std::to_string(t.ifaces[port].mtu);
    if (!t.is_local6(f.data() + kEth + 8)) return {};
    const uint8_t nh = f[kEth + 6];
    if (nh != dprtest::kNh6Icmp && nh != dprtest::kProtoTcp) return {};
    if (!dprtest::l4_checksum_ok6(f)) return "originated IPv6 message with a checksum that does not verify";
    if (nh == dprtest::kNh6Icmp && total >= 48 && f[kEth + 40] < 128 && total > 1280)
        return "ICMPv6 error larger than 1280 bytes";
    return {};
}

}  // namespace

std::string frame_problem(const dprouter::Tables& t, uint16_t port, const Bytes& f) {
    if (f.size() < kEth) return "runt frame";
    if (get16(f, 12) == dprtest::kEtherIpv6) return frame_problem6(t, port, f);
    if (get16(f, 12) != dprtest::kEtherIpv4) return {};  // ARP: nothing IPv4 to check
    if (f.size() < kEth + 20) return "IPv4 frame shorter than an IPv4 header";
    const uint32_t ihl = (f[kEth] & 0x0f) * 4u;
    if ((f[kEth] >> 4) != 4 || ihl < 20 || kEth + ihl > f.size()) return "bad version or IHL";
    if (dprtest::ones_sum(f.data() + kEth, ihl) != 0xffff) return "bad IPv4 header checksum";
    const uint32_t total = get16(f, kEth + 2);
    if (total < ihl || kEth + total > f.size()) return "total length beyond the frame";
    if (port >= dprouter::kMaxPorts || !t.ifaces[port].in_use) return "sent to a port that does not exist";
    if (total > t.ifaces[port].mtu)
        return "datagram of " + std::to_string(total) + " bytes out of a link of MTU " +
               std::to_string(t.ifaces[port].mtu);

    // Transit datagrams cannot have one of our addresses as source (martian filter), so such a
    // datagram is one we built.
    if (!t.is_local_source(rte_cpu_to_be_32(get32(f, kEth + 12)))) return {};
    const bool fragment = (get16(f, kEth + 6) & 0x3fff) != 0;
    if (fragment) return {};  // a piece of a datagram: its L4 checksum covers all pieces
    const uint8_t proto = f[kEth + 9];
    if (proto == dprtest::kProtoIcmp) {
        if (total - ihl < 8) return "originated ICMP message shorter than 8 bytes";
        if (dprtest::ones_sum(f.data() + kEth + ihl, total - ihl) != 0xffff)
            return "originated ICMP message with a checksum that does not verify";
    } else if (proto == dprtest::kProtoTcp) {
        if (total - ihl < 20) return "originated TCP segment shorter than 20 bytes";
        if (tcp_sum(f, kEth, ihl, total) != 0xffff) return "originated TCP segment with a bad checksum";
    }
    return {};
}

}  // namespace dprfuzz
