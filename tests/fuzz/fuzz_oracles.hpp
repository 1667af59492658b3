// What every frame the router lets out must satisfy, whatever came in: checked by fuzz_pipeline on
// each frame it sends or hands to the control thread. A violation is a finding (the target aborts).
#pragma once

#include <cstdint>
#include <string>

#include "dprouter/tables.hpp"
#include "packet_builder.hpp"

namespace dprfuzz {

// Empty when `frame`, leaving by `port`, is sound; else what is wrong with it:
// - an IPv4 header with a valid checksum and a total length within the frame and the egress MTU
//   (RFC 791: nothing leaves larger than the link takes);
// - a datagram the router originated (ICMP message, TCP reset) carries a checksum that verifies
//   (sums to 0xFFFF, RFC 1071), as a receiver checks it;
// - IPv6: the payload length within the frame and the egress MTU, and the same checksum rule for
//   ICMPv6 and TCP we originate (pseudo-header included), ICMPv6 errors within 1280 bytes.
std::string frame_problem(const dprouter::Tables& t, uint16_t port, const dprtest::Bytes& frame);

}  // namespace dprfuzz
