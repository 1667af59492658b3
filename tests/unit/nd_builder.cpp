#include "nd_builder.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "dprouter/net.hpp"

namespace dprtest::nd6 {

Addr6 addr6(std::string_view text) {
    const auto a = dprouter::parse_ipv6(text);
    if (!a) throw std::invalid_argument("bad IPv6 address in a test: " + std::string(text));
    return a->bytes;
}

Mac multicast_mac(const Addr6& g) { return {0x33, 0x33, g[12], g[13], g[14], g[15]}; }

Addr6 solicited_node(const Addr6& a) {
    Addr6 s{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff};
    s[13] = a[13];
    s[14] = a[14];
    s[15] = a[15];
    return s;
}

Bytes ipv6_packet(const Addr6& src, const Addr6& dst, uint8_t next_header, uint8_t hop_limit, const Bytes& payload) {
    Bytes b(40);
    b[0] = 0x60;
    put16(b, 4, static_cast<uint16_t>(payload.size()));
    b[6] = next_header;
    b[7] = hop_limit;
    std::copy(src.begin(), src.end(), b.begin() + 8);
    std::copy(dst.begin(), dst.end(), b.begin() + 24);
    return concat(b, payload);
}

uint32_t pseudo_sum(const Addr6& src, const Addr6& dst, uint32_t len) {
    Bytes ph(40);
    std::copy(src.begin(), src.end(), ph.begin());
    std::copy(dst.begin(), dst.end(), ph.begin() + 16);
    put32(ph, 32, len);
    ph[39] = kIcmp6;
    return ones_sum(ph.data(), ph.size());
}

Bytes icmp6_message(const Addr6& src, const Addr6& dst, uint8_t type, uint8_t code, const Bytes& rest) {
    Bytes m{type, code, 0, 0};
    m = concat(m, rest);
    put16(m, 2, internet_checksum(m.data(), m.size(), pseudo_sum(src, dst, static_cast<uint32_t>(m.size()))));
    return m;
}

bool icmp6_checksum_ok(const Bytes& frame) {
    if (frame.size() < kL4Off) return false;
    Addr6 src, dst;
    std::copy(frame.begin() + kIp6Off + 8, frame.begin() + kIp6Off + 24, src.begin());
    std::copy(frame.begin() + kIp6Off + 24, frame.begin() + kIp6Off + 40, dst.begin());
    const uint32_t len = get16(frame, kIp6Off + 4);
    if (frame.size() < kL4Off + len) return false;
    return ones_sum(frame.data() + kL4Off, len, pseudo_sum(src, dst, len)) == 0xffff;
}

Bytes link_option(uint8_t type, const Mac& mac) {
    Bytes o(2 + mac.size());
    o[0] = type;
    o[1] = 1;  // in units of 8 bytes
    std::copy(mac.begin(), mac.end(), o.begin() + 2);
    return o;
}

Bytes ns_rest(const Addr6& target, const Bytes& options) {
    Bytes b(4 + target.size());  // 4 reserved bytes
    std::copy(target.begin(), target.end(), b.begin() + 4);
    return concat(b, options);
}

Bytes na_rest(uint8_t flags, const Addr6& target, const Bytes& options) {
    Bytes b = ns_rest(target, options);
    b[0] = flags;
    return b;
}

Bytes icmp6_frame(const Mac& eth_dst, const Mac& eth_src, const Addr6& src, const Addr6& dst, uint8_t hop_limit,
                  uint8_t type, uint8_t code, const Bytes& rest) {
    return ethernet_frame(eth_dst, eth_src, kEtherIpv6,
                          ipv6_packet(src, dst, kIcmp6, hop_limit, icmp6_message(src, dst, type, code, rest)));
}

}  // namespace dprtest::nd6
