// Test helpers for IPv6 Neighbor Discovery (v6-nd): IPv6 packets, ICMPv6 messages with the
// pseudo-header checksum computed by the tests' own RFC 1071 loop (packet_builder's ones_sum),
// ND messages and options, laid out from RFC 4861 section 4 independently of src/.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "packet_builder.hpp"

namespace dprtest::nd6 {

using Addr6 = std::array<uint8_t, 16>;

// Parses RFC 4291 text with dprouter::parse_ipv6 (tested on its own in test_net); throws on error.
Addr6 addr6(std::string_view text);
// 33:33 + the group's last four bytes (RFC 2464 7).
Mac multicast_mac(const Addr6& group);
// ff02::1:ffXX:XXXX (RFC 4291 2.7.1).
Addr6 solicited_node(const Addr6& a);

inline constexpr uint8_t kIcmp6 = 58;
inline constexpr uint8_t kNs = 135;
inline constexpr uint8_t kNa = 136;
inline constexpr uint8_t kRa = 134;
inline constexpr uint8_t kRedirect = 137;
inline constexpr size_t kIp6Off = kEthHdrLen;       // IPv6 header in a frame
inline constexpr size_t kL4Off = kEthHdrLen + 40;    // ICMPv6 header in a frame without extensions

// 40-byte IPv6 header (traffic class and flow label 0) followed by `payload`.
Bytes ipv6_packet(const Addr6& src, const Addr6& dst, uint8_t next_header, uint8_t hop_limit, const Bytes& payload);
// The one's-complement sum of the IPv6 pseudo-header for an ICMPv6 message of `len` bytes.
uint32_t pseudo_sum(const Addr6& src, const Addr6& dst, uint32_t len);
// An ICMPv6 message: type, code, checksum (over the pseudo-header), then `rest` (everything after
// the checksum field).
Bytes icmp6_message(const Addr6& src, const Addr6& dst, uint8_t type, uint8_t code, const Bytes& rest);
// Does the ICMPv6 message at kL4Off of `frame` carry a correct checksum (by the test's loop)?
bool icmp6_checksum_ok(const Bytes& frame);
// A link-layer address option (1 source, 2 target): 8 bytes.
Bytes link_option(uint8_t type, const Mac& mac);
// NS body after the checksum: 4 reserved bytes, target, options.
Bytes ns_rest(const Addr6& target, const Bytes& options);
// NA body after the checksum: flags byte, 3 reserved, target, options.
Bytes na_rest(uint8_t flags, const Addr6& target, const Bytes& options);
// A whole Ethernet/IPv6/ICMPv6 frame.
Bytes icmp6_frame(const Mac& eth_dst, const Mac& eth_src, const Addr6& src, const Addr6& dst, uint8_t hop_limit,
                  uint8_t type, uint8_t code, const Bytes& rest);

}  // namespace dprtest::nd6
