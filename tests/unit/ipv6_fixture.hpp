// Shared by the IPv6 stage tests: a dual-stack lab router (lab6_config) with its neighbours in
// place, and the frames it must send, built independently (packet_builder's IPv6 builders).
#pragma once

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dprouter/counters.hpp"
#include "dprouter/icmp.hpp"
#include "packet_builder.hpp"

namespace dprtest {

// The names every IPv6 test file asserts on.
using dprouter::Drop;
using dprouter::Event;
using dprouter::IcmpKind;
using dprouter::IcmpSuppress;

inline constexpr size_t kMaxQuote6 = 1280 - 40 - 8;  // RFC 4443 2.4(c)

// Offender fields from `src` to `dst`.
inline Ipv6Fields fields6(const Addr6& src, const Addr6& dst, uint8_t hop_limit = 64, uint8_t nh = kProtoUdp) {
    Ipv6Fields f;
    f.src = src;
    f.dst = dst;
    f.hop_limit = hop_limit;
    f.next_header = nh;
    return f;
}

// A UDP packet (IPv6 header first) with a recognisable payload.
inline Bytes udp6_packet(Ipv6Fields f, size_t payload_len = 24) {
    f.next_header = kProtoUdp;
    return ipv6_packet(f, udp6_segment(f.src, f.dst, 33434, 33435, pattern(payload_len, 0x40)));
}

// `packet` as it must leave: hop limit one less, nothing else changed (no checksum in IPv6).
inline Bytes forwarded6(const Mac& eth_dst, const Mac& eth_src, const Bytes& packet) {
    Bytes p = packet;
    p.at(7) = static_cast<uint8_t>(p.at(7) - 1);
    return ethernet_frame(eth_dst, eth_src, kEtherIpv6, p);
}

// The ICMPv6 error the router owes: hop limit 64, traffic class and flow label 0, the offender
// (its IPv6 packet as sent) quoted up to 1280 bytes in all, checksum over the pseudo-header.
inline Bytes icmp6_error(const Mac& eth_dst, const Mac& eth_src, const Addr6& src, const Addr6& dst, uint8_t type,
                         uint8_t code, uint32_t rest, const Bytes& offender) {
    const Bytes quote(offender.begin(),
                      offender.begin() + static_cast<std::ptrdiff_t>(std::min(offender.size(), kMaxQuote6)));
    Ipv6Fields f = fields6(src, dst, 64, kNh6Icmp);
    return ipv6_frame(eth_dst, eth_src, f, icmp6_message(src, dst, type, code, rest, quote));
}

inline std::string describe6(const std::vector<Emitted>& out) {
    std::ostringstream s;
    s << out.size() << " frame(s):";
    for (const Emitted& e : out) {
        s << " [port " << e.port << ", " << e.bytes.size() << " bytes";
        if (auto v = icmp6_view(e.bytes)) s << ", icmpv6 " << int{v->type} << "/" << int{v->code};
        s << "]";
    }
    return s.str();
}

class Ipv6Test : public RouterTest {
protected:
    dprouter::Config make_config() override { return lab6_config(); }
    void SetUp() override {
        RouterTest::SetUp();
        neighbours();
    }
    // H1 (global and link-local) on lan, H2 on wan, both gateways' words.
    void neighbours() {
        set_neighbor6(h(), lab6::kH1, lab::kLanPort, lab::kH1Mac);
        set_neighbor6(h(), lab6::kH1LinkLocal, lab::kLanPort, lab::kH1Mac);
        set_neighbor6(h(), lab6::kH2, lab::kWanPort, lab::kH2Mac);
        set_gateway6_l2(h(), lab6::kRemote, lab::kGatewayMac);
        set_gateway6_l2(h(), lab6::kRemoteViaLinkLocal, lab::kGatewayMac);
    }
    void use(const dprouter::Config& cfg) {
        rebuild(cfg);
        neighbours();
    }
    // A frame from H1 to the router's lan MAC, padded as on the wire.
    static Bytes from_h1(const Bytes& packet) {
        return ethernet_frame(lab::kLanMac, lab::kH1Mac, kEtherIpv6, packet, kEthMinFrame);
    }
    // An error to H1 out of the lan from `src`.
    static Bytes error_to_h1(const Addr6& src, uint8_t type, uint8_t code, uint32_t rest, const Bytes& offender,
                             const Addr6& dst = lab6::kH1) {
        return icmp6_error(lab::kH1Mac, lab::kLanMac, src, dst, type, code, rest, offender);
    }
    void expect_one(uint16_t port, const Bytes& frame, uint16_t out_port, const Bytes& expected) {
        h().receive(port, frame);
        const auto out = h().take_emitted();
        ASSERT_EQ(out.size(), 1u) << describe6(out) << "; drops: " << h().drops_summary();
        EXPECT_EQ(out[0].port, out_port);
        EXPECT_TRUE(same_bytes(out[0].bytes, expected));
        // Every checksum verified on its own too, not only through the expected bytes.
        const uint8_t nh = expected.size() > kEthHdrLen + 6 ? expected[kEthHdrLen + 6] : 0;
        if (get16(expected, 12) == kEtherIpv6 && (nh == kNh6Icmp || nh == kProtoUdp || nh == kProtoTcp)) {
            EXPECT_TRUE(l4_checksum_ok6(out[0].bytes)) << "upper-layer checksum";
        }
    }
    void expect_nothing(uint16_t port, const Bytes& frame) {
        h().receive(port, frame);
        const auto out = h().take_emitted();
        EXPECT_TRUE(out.empty()) << describe6(out);
        EXPECT_EQ(h().held_in_ring(), 0u);
    }
    // Exactly one drop, of this reason.
    void expect_only_drop(dprouter::Drop d) {
        EXPECT_EQ(h().dropped(d), 1u) << h().drops_summary();
        EXPECT_EQ(h().total_dropped(), 1u) << h().drops_summary();
    }
    uint64_t suppressed(dprouter::IcmpSuppress why) { return h().counters().suppressed(why); }
    uint64_t total_sent() { return h().counters().icmp_sent_total(); }
};

}  // namespace dprtest
