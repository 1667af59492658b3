// ICMPv6 error rules (RFC 4443 2.2, 2.4(c), 2.4(e), 2.4(f)): which packets never get an error,
// where errors come from, how much they quote, and the rate limits with buckets of their own.
#include <gtest/gtest.h>

#include "dprouter/counters.hpp"
#include "dprouter/icmp.hpp"
#include "icmp/icmp6_error.hpp"
#include "ipv6_fixture.hpp"
#include "packet_builder.hpp"

namespace dprtest {
namespace {

using Icmp6Rules = Ipv6Test;
using Icmp6RateLimit = Ipv6Test;

// An ICMPv6 message of `type` from H1 to a destination without a route (hop limit `hl`).
Bytes icmp6_to_nowhere(uint8_t type, uint8_t hl = 64) {
    return ipv6_packet(fields6(lab6::kH1, lab6::kNoRoute, hl, kNh6Icmp),
                       icmp6_message(lab6::kH1, lab6::kNoRoute, type, 0, 0, pattern(40)));
}

// =============================================================================================
// RFC 4443 2.4(e)

TEST_F(Icmp6Rules, NoErrorAboutAnErrorOrARedirect) {
    for (uint8_t type : {uint8_t{1}, uint8_t{2}, uint8_t{3}, uint8_t{4}, uint8_t{127}, uint8_t{137}})
        expect_nothing(lab::kLanPort, from_h1(icmp6_to_nowhere(type)));
    EXPECT_EQ(suppressed(IcmpSuppress::offender_icmp_error), 6u);
    // Informational messages do get one.
    const Bytes echo = icmp6_to_nowhere(kIcmp6EchoRequest);
    expect_one(lab::kLanPort, from_h1(echo), lab::kLanPort, error_to_h1(lab6::kLanAddr, 1, 0, 0, echo));
}

TEST_F(Icmp6Rules, TheErrorIsFoundBehindExtensionHeaders) {
    const Bytes dopt = ext_header(kNh6Icmp, {1, 4, 0, 0, 0, 0});
    const Bytes err = icmp6_message(lab6::kH1, lab6::kNoRoute, 1, 0, 0, pattern(40));
    expect_nothing(lab::kLanPort,
                   from_h1(ipv6_packet(fields6(lab6::kH1, lab6::kNoRoute, 64, kNh6DestOpts), concat(dopt, err))));
    EXPECT_EQ(suppressed(IcmpSuppress::offender_icmp_error), 1u);
    // A fragment other than the first does not show its type: answered (RFC 4443 allows it; Linux too).
    const Bytes frag = {kNh6Icmp, 0, 0x00, 0x08, 0, 0, 0, 9};
    const Bytes p = ipv6_packet(fields6(lab6::kH1, lab6::kH2, 1, kNh6Fragment), concat(frag, pattern(32)));
    expect_one(lab::kLanPort, from_h1(p), lab::kLanPort, error_to_h1(lab6::kLanAddr, 3, 0, 0, p));
}

// The suppression rule alone, for offenders the input stage never lets through.
std::optional<IcmpSuppress> rule(RouterHarness& h, const Bytes& frame, IcmpKind kind, bool link_multicast = false) {
    rte_mbuf* m = make_mbuf(h.pool(), frame);
    m->port = lab::kLanPort;
    auto r = dprouter::icmp6_suppressed(h.tables(), m, kind, link_multicast);
    rte_pktmbuf_free(m);
    return r;
}

TEST_F(Icmp6Rules, SourcesThatAreNotAUniqueNode) {
    for (const char* s : {"::", "::1", "ff02::1", "2001:db8:2::1", "fe80::ff:fe00:101"}) {
        const Bytes f = from_h1(udp6_packet(fields6(ip6(s), lab6::kH2)));
        EXPECT_EQ(rule(h(), f, IcmpKind::icmp6_time_exceeded), IcmpSuppress::offender_bad_source) << s;
        EXPECT_EQ(rule(h(), f, IcmpKind::icmp6_packet_too_big), IcmpSuppress::offender_bad_source) << s;
    }
}

TEST_F(Icmp6Rules, MulticastOnlyForPacketTooBigAndOptionProblems) {
    const Bytes to_group = from_h1(udp6_packet(fields6(lab6::kH1, ip6("ff0e::7"))));
    const Bytes in_group_frame =
        ethernet_frame(multicast_mac6(lab6::kAllNodes), lab::kH1Mac, kEtherIpv6, udp6_packet(fields6(lab6::kH1, lab6::kH2)));
    for (const Bytes* f : {&to_group, &in_group_frame}) {
        const bool lm = f == &in_group_frame;
        EXPECT_EQ(rule(h(), *f, IcmpKind::icmp6_packet_too_big, lm), std::nullopt);
        EXPECT_EQ(rule(h(), *f, IcmpKind::icmp6_param_option, lm), std::nullopt);
        for (IcmpKind k : {IcmpKind::icmp6_time_exceeded, IcmpKind::icmp6_no_route, IcmpKind::icmp6_param_header,
                           IcmpKind::icmp6_param_next_header, IcmpKind::icmp6_port_unreachable})
            EXPECT_EQ(rule(h(), *f, k, lm), IcmpSuppress::offender_broadcast);
    }
}

TEST_F(Icmp6Rules, NoRouteBack) {
    // A source the router has no route to: nothing can be sent.
    const Bytes p = udp6_packet(fields6(ip6("2001:db8:dead::5"), lab6::kH2, 1));
    expect_nothing(lab::kLanPort, from_h1(p));
    EXPECT_EQ(suppressed(IcmpSuppress::no_route_back), 1u);
    EXPECT_EQ(h().dropped(Drop::hop_limit_exceeded), 1u);
}

TEST_F(Icmp6Rules, QuoteFillsExactly1280Bytes) {
    const Bytes p = udp6_packet(fields6(lab6::kH1, lab6::kH2, 1), 1400);
    h().receive(lab::kLanPort, from_h1(p));
    const auto out = h().take_emitted();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].bytes.size(), kEthHdrLen + 1280);
    const auto v = icmp6_view(out[0].bytes);
    ASSERT_TRUE(v);
    EXPECT_TRUE(v->checksum_ok);
    EXPECT_EQ(v->hop_limit, 64);
    EXPECT_EQ(v->body, Bytes(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(kMaxQuote6)));
    // The quote carries the hop limit as received.
    EXPECT_EQ(v->body.at(7), 1);
}

TEST_F(Icmp6Rules, SourceFollowsTheArrivalInterfaceAndScope) {
    // Arrival interface without a global address: the error to a global host still leaves from a
    // global address of ours (RFC 4007): here the wan's, the only one.
    dprouter::Config cfg = lab6_config();
    interface_named(cfg, "lan").addresses6.clear();
    dprouter::Route6Config back;
    back.prefix = *dprouter::parse_prefix6("2001:db8:1::/64");
    back.has_via = true;
    back.via = *dprouter::parse_ipv6("fe80::2");
    back.interface = "lan";
    cfg.routes6.push_back(back);
    use(cfg);
    set_gateway6_l2(h(), lab6::kH1, lab::kH1Mac);
    const Bytes p = udp6_packet(fields6(lab6::kH1, lab6::kH2, 1));
    expect_one(lab::kLanPort, from_h1(p), lab::kLanPort, error_to_h1(lab6::kWanAddr, 3, 0, 0, p));
}

// =============================================================================================
// RFC 4443 2.4(f): rate limits (defaults: per destination 10/s burst 10, global 1000/s burst 50,
// Packet Too Big on the frag-needed budget, 1000/s burst 100, no per-destination token)

TEST_F(Icmp6RateLimit, TracerouteGetsThreeAnswersPerHop) {
    for (int hop = 0; hop < 3; ++hop) {
        for (int probe = 0; probe < 3; ++probe) {
            const Bytes p = udp6_packet(fields6(lab6::kH1, lab6::kH2, 1));
            expect_one(lab::kLanPort, from_h1(p), lab::kLanPort, error_to_h1(lab6::kLanAddr, 3, 0, 0, p));
        }
        h().advance_tsc_ms(1000);
    }
    EXPECT_EQ(h().icmp_sent(IcmpKind::icmp6_time_exceeded), 9u);
}

TEST_F(Icmp6RateLimit, PerDestinationThenRefill) {
    std::vector<Bytes> flood(30, from_h1(udp6_packet(fields6(lab6::kH1, lab6::kH2, 1))));
    h().receive_burst(lab::kLanPort, flood);
    EXPECT_EQ(h().take_emitted().size(), 10u);
    EXPECT_EQ(suppressed(IcmpSuppress::rate_destination), 20u);
    h().advance_tsc_ms(200);  // 2 tokens at 10/s
    h().receive_burst(lab::kLanPort, flood);
    EXPECT_EQ(h().take_emitted().size(), 2u);
}

// As for IPv4: with the global budget spent the error is refused before the route back is looked
// up, so a source with no route back counts rate_global, and no_route_back once a token is back.
TEST_F(Icmp6RateLimit, SpentGlobalBudgetIsAskedBeforeTheRouteBack) {
    std::vector<Bytes> flood;
    for (int host = 0; host < 5; ++host) {
        const Addr6 src = ip6(("2001:db8:1::" + std::to_string(20 + host)).c_str());
        set_neighbor6(h(), src, lab::kLanPort, Mac{0x02, 0, 0, 0, 6, static_cast<uint8_t>(host)});
        for (int k = 0; k < 10; ++k) flood.push_back(from_h1(udp6_packet(fields6(src, lab6::kH2, 1))));
    }
    h().receive_burst(lab::kLanPort, flood);
    ASSERT_EQ(h().take_emitted().size(), 50u);
    ASSERT_EQ(h().icmp_sent(IcmpKind::icmp6_time_exceeded), 50u) << "the global burst";
    const Bytes stray = from_h1(udp6_packet(fields6(ip6("2001:db8:dead::5"), lab6::kH2, 1)));
    expect_nothing(lab::kLanPort, stray);
    EXPECT_EQ(suppressed(IcmpSuppress::rate_global), 1u);
    EXPECT_EQ(suppressed(IcmpSuppress::no_route_back), 0u);
    h().advance_tsc_ms(1);  // one global token (1000/s)
    expect_nothing(lab::kLanPort, stray);
    EXPECT_EQ(suppressed(IcmpSuppress::no_route_back), 1u);
    EXPECT_EQ(suppressed(IcmpSuppress::rate_global), 1u);
}

TEST_F(Icmp6RateLimit, PacketTooBigHasItsOwnBudgetAndNoPerDestinationLimit) {
    dprouter::Config cfg = lab6_config();
    interface_named(cfg, "wan").mtu = 1400;
    use(cfg);
    std::vector<Bytes> big(120, from_h1(udp6_packet(fields6(lab6::kH1, lab6::kH2), 1400)));
    h().receive_burst(lab::kLanPort, big);
    EXPECT_EQ(h().take_emitted().size(), 100u);  // the frag-needed burst, all to one host
    EXPECT_EQ(suppressed(IcmpSuppress::rate_packet_too_big), 20u);
    // Other errors to the same host are not starved by it.
    const Bytes p = udp6_packet(fields6(lab6::kH1, lab6::kH2, 1));
    expect_one(lab::kLanPort, from_h1(p), lab::kLanPort, error_to_h1(lab6::kLanAddr, 3, 0, 0, p));
}

TEST_F(Icmp6RateLimit, FamiliesDoNotShareBuckets) {
    std::vector<Bytes> flood(20, from_h1(udp6_packet(fields6(lab6::kH1, lab6::kH2, 1))));
    h().receive_burst(lab::kLanPort, flood);
    EXPECT_EQ(h().take_emitted().size(), 10u);
    // The IPv4 host behind the same port still gets its time exceeded.
    h().add_static_neighbor(lab::kH1Addr, lab::kLanPort, lab::kH1Mac);
    Ipv4Fields f;
    f.src = lab::kH1Addr;
    f.dst = lab::kH2Addr;
    f.ttl = 1;
    h().receive(lab::kLanPort, ethernet_frame(lab::kLanMac, lab::kH1Mac, kEtherIpv4,
                                              ipv4_datagram(f, udp_segment(f.src, f.dst, 1, 2, pattern(8)))));
    EXPECT_EQ(h().take_emitted().size(), 1u);
    EXPECT_EQ(h().icmp_sent(IcmpKind::time_exceeded), 1u);
}

}  // namespace
}  // namespace dprtest
