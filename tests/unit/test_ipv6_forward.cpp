// IPv6 input checks and transit (RFC 8200, RFC 4291, RFC 4443, RFC 8201), through the real
// pipeline with crafted frames; every expected frame is built independently and compared byte for
// byte, every ICMPv6 checksum verified with the test's own loop.
#include <gtest/gtest.h>

#include "dprouter/config.hpp"
#include "dprouter/counters.hpp"
#include "dprouter/icmp.hpp"
#include "ipv6_fixture.hpp"
#include "packet_builder.hpp"

namespace dprtest {
namespace {

using Ipv6Input = Ipv6Test;
using Ipv6Forward = Ipv6Test;
using Ipv6HopByHop = Ipv6Test;

Bytes h1_to_h2(uint8_t hop_limit = 64, size_t payload = 24) {
    return udp6_packet(fields6(lab6::kH1, lab6::kH2, hop_limit), payload);
}

// =============================================================================================
// Forwarding

TEST_F(Ipv6Forward, ConnectedHostHopLimitMinusOne) {
    const Bytes p = h1_to_h2();
    expect_one(lab::kLanPort, from_h1(p), lab::kWanPort, forwarded6(lab::kH2Mac, lab::kWanMac, p));
    EXPECT_EQ(h().counted(Event::forwarded), 1u);
    EXPECT_EQ(h().total_dropped(), 0u) << h().drops_summary();
}

TEST_F(Ipv6Forward, GlobalAndLinkLocalGateways) {
    const Bytes a = udp6_packet(fields6(lab6::kH1, lab6::kRemote));
    expect_one(lab::kLanPort, from_h1(a), lab::kWanPort, forwarded6(lab::kGatewayMac, lab::kWanMac, a));
    const Bytes b = udp6_packet(fields6(lab6::kH1, lab6::kRemoteViaLinkLocal));
    expect_one(lab::kLanPort, from_h1(b), lab::kWanPort, forwarded6(lab::kGatewayMac, lab::kWanMac, b));
}

TEST_F(Ipv6Forward, HopLimitTwoLeavesWithOne) {
    const Bytes p = h1_to_h2(2);
    expect_one(lab::kLanPort, from_h1(p), lab::kWanPort, forwarded6(lab::kH2Mac, lab::kWanMac, p));
}

TEST_F(Ipv6Forward, EthernetPaddingAndTrailingBytesTrimmed) {
    // 40 + 8 bytes: the frame is padded to 60, and junk follows.
    const Bytes p = ipv6_packet(fields6(lab6::kH1, lab6::kH2), udp6_segment(lab6::kH1, lab6::kH2, 1, 2, {}));
    Bytes frame = from_h1(p);
    frame.insert(frame.end(), {0xde, 0xad, 0xbe, 0xef});
    expect_one(lab::kLanPort, frame, lab::kWanPort, forwarded6(lab::kH2Mac, lab::kWanMac, p));
}

TEST_F(Ipv6Forward, ChainedMbufForwarded) {
    const Bytes p = h1_to_h2(64, 600);
    h().receive(lab::kLanPort, from_h1(p), 128);
    const auto out = h().take_emitted();
    ASSERT_EQ(out.size(), 1u) << h().drops_summary();
    EXPECT_TRUE(same_bytes(out[0].bytes, forwarded6(lab::kH2Mac, lab::kWanMac, p)));
}

TEST_F(Ipv6Forward, FragmentsAndRoutingHeadersTravelUnchanged) {
    // RFC 8200 4: a router looks no further than Hop-by-Hop.
    Ipv6Fields f = fields6(lab6::kH1, lab6::kH2, 64, kNh6Fragment);
    const Bytes frag = {kProtoUdp, 0, 0x00, 0x09, 0x12, 0x34, 0x56, 0x78};  // offset 1, M set
    const Bytes p = ipv6_packet(f, concat(frag, pattern(64)));
    expect_one(lab::kLanPort, from_h1(p), lab::kWanPort, forwarded6(lab::kH2Mac, lab::kWanMac, p));
    f.next_header = kNh6Routing;
    // Type 0, segments left 1, one address: refused only by its destination (RFC 5095).
    const Bytes addr(lab6::kRemote.begin(), lab6::kRemote.end());
    const Bytes rh0 = concat(Bytes{kProtoUdp, 2, 0, 1, 0, 0, 0, 0}, addr);
    const Bytes q = ipv6_packet(f, concat(rh0, pattern(16)));
    expect_one(lab::kLanPort, from_h1(q), lab::kWanPort, forwarded6(lab::kH2Mac, lab::kWanMac, q));
}

TEST_F(Ipv6Forward, ExactlyTheMtuPassesOneMoreGetsPacketTooBig) {
    dprouter::Config cfg = lab6_config();
    interface_named(cfg, "wan").mtu = 1400;
    use(cfg);
    const Bytes fits = h1_to_h2(64, 1400 - 48);
    expect_one(lab::kLanPort, from_h1(fits), lab::kWanPort, forwarded6(lab::kH2Mac, lab::kWanMac, fits));
    const Bytes big = h1_to_h2(64, 1400 - 47);
    // From the arrival interface's address, MTU in the second word, quote cut at 1280 bytes in all.
    expect_one(lab::kLanPort, from_h1(big), lab::kLanPort, error_to_h1(lab6::kLanAddr, 2, 0, 1400, big));
    EXPECT_EQ(h().dropped(Drop::ipv6_too_big), 1u);
    EXPECT_EQ(h().icmp_sent(IcmpKind::icmp6_packet_too_big), 1u);
}

TEST_F(Ipv6Forward, PacketTooBigQuotesAsMuchAsFits1280) {
    dprouter::Config cfg = lab6_config();
    interface_named(cfg, "wan").mtu = 1280;
    use(cfg);
    const Bytes big = h1_to_h2(64, 1452);  // a 1500-byte packet
    h().receive(lab::kLanPort, from_h1(big));
    const auto out = h().take_emitted();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].bytes.size(), kEthHdrLen + 1280);
    EXPECT_TRUE(same_bytes(out[0].bytes, error_to_h1(lab6::kLanAddr, 2, 0, 1280, big)));
    EXPECT_TRUE(icmp6_view(out[0].bytes)->checksum_ok);
}

TEST_F(Ipv6Forward, PmtudKnobs) {
    dprouter::Config cfg = lab6_config();
    interface_named(cfg, "wan").mtu = 1400;
    interface_named(cfg, "wan").has_advertised_mtu = true;
    interface_named(cfg, "wan").advertised_mtu = 1300;
    use(cfg);
    const Bytes big = h1_to_h2(64, 1400);
    expect_one(lab::kLanPort, from_h1(big), lab::kLanPort, error_to_h1(lab6::kLanAddr, 2, 0, 1300, big));

    interface_named(cfg, "wan").pmtud_blackhole = true;
    use(cfg);
    expect_nothing(lab::kLanPort, from_h1(big));
    expect_only_drop(Drop::pmtud_blackhole);
    EXPECT_EQ(total_sent(), 0u);
}

// A SYN's MSS option at `mss`, with NOP NOP SACK-permitted-less padding to fill the word.
Bytes syn6(uint16_t mss) {
    TcpFields t;
    t.flags = 0x02;
    Bytes opt = {2, 4, static_cast<uint8_t>(mss >> 8), static_cast<uint8_t>(mss), 1, 1, 4, 2};
    return ipv6_packet(fields6(lab6::kH1, lab6::kH2, 64, kProtoTcp), tcp6_segment(lab6::kH1, lab6::kH2, t, {}, opt));
}

TEST_F(Ipv6Forward, TcpMssClampForIpv6) {
    dprouter::Config cfg = lab6_config();
    interface_named(cfg, "wan").tcp_mss_clamp = 1500 - 40;  // `tcp_mss_clamp: true`: mtu - 40 for IPv4
    use(cfg);
    // IPv6: at most mtu - 60, the checksum right over the IPv6 pseudo-header.
    const Bytes expected = syn6(1440);
    expect_one(lab::kLanPort, from_h1(syn6(1460)), lab::kWanPort, forwarded6(lab::kH2Mac, lab::kWanMac, expected));
    EXPECT_EQ(h().counted(Event::mss_clamped), 1u);
    // A number below that is taken as it is; a smaller MSS is left alone.
    interface_named(cfg, "wan").tcp_mss_clamp = 1000;
    use(cfg);
    expect_one(lab::kLanPort, from_h1(syn6(1460)), lab::kWanPort, forwarded6(lab::kH2Mac, lab::kWanMac, syn6(1000)));
    expect_one(lab::kLanPort, from_h1(syn6(536)), lab::kWanPort, forwarded6(lab::kH2Mac, lab::kWanMac, syn6(536)));
}

TEST_F(Ipv6Forward, HopLimitOneOrZeroGetsTimeExceeded) {
    for (uint8_t hl : {uint8_t{1}, uint8_t{0}}) {
        const Bytes p = h1_to_h2(hl);
        expect_one(lab::kLanPort, from_h1(p), lab::kLanPort, error_to_h1(lab6::kLanAddr, 3, 0, 0, p));
    }
    EXPECT_EQ(h().dropped(Drop::hop_limit_exceeded), 2u);
    EXPECT_EQ(h().icmp_sent(IcmpKind::icmp6_time_exceeded), 2u);
}

TEST_F(Ipv6Forward, TimeExceededFromTheArrivalInterface) {
    const Bytes p = udp6_packet(fields6(lab6::kH2, lab6::kH1, 1));
    expect_one(lab::kWanPort, ethernet_frame(lab::kWanMac, lab::kH2Mac, kEtherIpv6, p), lab::kWanPort,
               icmp6_error(lab::kH2Mac, lab::kWanMac, lab6::kWanAddr, lab6::kH2, 3, 0, 0, p));
}

TEST_F(Ipv6Forward, RouteActions) {
    const Bytes none = udp6_packet(fields6(lab6::kH1, lab6::kNoRoute));
    expect_one(lab::kLanPort, from_h1(none), lab::kLanPort, error_to_h1(lab6::kLanAddr, 1, 0, 0, none));
    EXPECT_EQ(h().dropped(Drop::ipv6_no_route), 1u);
    const Bytes unr = udp6_packet(fields6(lab6::kH1, lab6::kUnreachable));
    expect_one(lab::kLanPort, from_h1(unr), lab::kLanPort, error_to_h1(lab6::kLanAddr, 1, 0, 0, unr));
    EXPECT_EQ(h().dropped(Drop::ipv6_route_unreachable), 1u);
    const Bytes pro = udp6_packet(fields6(lab6::kH1, lab6::kProhibit));
    expect_one(lab::kLanPort, from_h1(pro), lab::kLanPort, error_to_h1(lab6::kLanAddr, 1, 1, 0, pro));
    EXPECT_EQ(h().dropped(Drop::ipv6_route_prohibit), 1u);
    expect_nothing(lab::kLanPort, from_h1(udp6_packet(fields6(lab6::kH1, lab6::kBlackhole))));
    EXPECT_EQ(h().dropped(Drop::ipv6_route_blackhole), 1u);
    EXPECT_EQ(h().icmp_sent(IcmpKind::icmp6_no_route), 2u);
    EXPECT_EQ(h().icmp_sent(IcmpKind::icmp6_admin_prohibited), 1u);
}

TEST_F(Ipv6Forward, DefaultRouteCarriesWhatNothingElseMatches) {
    dprouter::Config cfg = lab6_config();
    dprouter::Route6Config def;
    def.prefix = *dprouter::parse_prefix6("::/0");
    def.has_via = true;
    def.via = *dprouter::parse_ipv6("2001:db8:2::fe");
    cfg.routes6.push_back(def);
    use(cfg);
    set_gateway6_l2(h(), lab6::kNoRoute, lab::kGatewayMac);
    const Bytes p = udp6_packet(fields6(lab6::kH1, lab6::kNoRoute));
    expect_one(lab::kLanPort, from_h1(p), lab::kWanPort, forwarded6(lab::kGatewayMac, lab::kWanMac, p));
}

TEST_F(Ipv6Forward, LeavingByTheArrivalLinkIsStillForwarded) {
    // H1 to another lan host: the redirect case (v6-nd sends the redirect); the packet goes on.
    const Addr6 other = ip6("2001:db8:1::5");
    const Mac other_mac{0x02, 0, 0, 0, 0x01, 0x05};
    set_neighbor6(h(), other, lab::kLanPort, other_mac);
    const Bytes p = udp6_packet(fields6(lab6::kH1, other));
    h().receive(lab::kLanPort, from_h1(p));
    const auto out = h().take_emitted();
    bool found = false;
    for (const Emitted& e : out)
        if (e.bytes == forwarded6(other_mac, lab::kLanMac, p)) found = true;
    EXPECT_TRUE(found) << describe6(out);
}

// =============================================================================================
// Scope (RFC 4291 2.5.6, RFC 4007)

TEST_F(Ipv6Forward, LinkLocalSourceToAnotherLinkIsBeyondScope) {
    const Bytes p = udp6_packet(fields6(lab6::kH1LinkLocal, lab6::kH2));
    // From the arrival port's link-local address to the sender's link-local address, on its link.
    expect_one(lab::kLanPort, from_h1(p), lab::kLanPort,
               error_to_h1(lab6::kLanLinkLocal, 1, 2, 0, p, lab6::kH1LinkLocal));
    expect_only_drop(Drop::ipv6_scope_violation);
    EXPECT_EQ(h().icmp_sent(IcmpKind::icmp6_beyond_scope), 1u);
}

TEST_F(Ipv6Forward, LinkLocalDestinationNotOursIsNeverForwarded) {
    expect_nothing(lab::kLanPort, from_h1(udp6_packet(fields6(lab6::kH1, ip6("fe80::99")))));
    // Our link-local address on the other port is not ours on this link.
    expect_nothing(lab::kLanPort, from_h1(udp6_packet(fields6(lab6::kH1, lab6::kWanLinkLocal))));
    EXPECT_EQ(h().dropped(Drop::ipv6_scope_violation), 2u) << h().drops_summary();
    EXPECT_EQ(total_sent(), 0u);
}

TEST_F(Ipv6Forward, MulticastIsNotForwarded) {
    // A group we do not listen to, in a frame to our MAC and in its own 33:33 frame.
    const Addr6 g = ip6("ff0e::1:3");
    expect_nothing(lab::kLanPort, from_h1(udp6_packet(fields6(lab6::kH1, g))));
    EXPECT_EQ(h().dropped(Drop::ipv6_multicast_not_forwarded), 1u);
    expect_nothing(lab::kLanPort,
                   ethernet_frame(multicast_mac6(g), lab::kH1Mac, kEtherIpv6, udp6_packet(fields6(lab6::kH1, g))));
    EXPECT_EQ(h().dropped(Drop::ipv6_group_not_joined), 1u);
    // Broadcast frames carry no IPv6.
    expect_nothing(lab::kLanPort,
                   ethernet_frame(kBroadcastMac, lab::kH1Mac, kEtherIpv6, udp6_packet(fields6(lab6::kH1, lab6::kAllNodes))));
    EXPECT_EQ(h().dropped(Drop::ipv6_group_not_joined), 2u);
    EXPECT_EQ(total_sent(), 0u);
}

TEST_F(Ipv6Forward, UnicastInALinkMulticastFrameIsNotForwarded) {
    const Bytes p = h1_to_h2();
    expect_nothing(lab::kLanPort, ethernet_frame(multicast_mac6(lab6::kAllNodes), lab::kH1Mac, kEtherIpv6, p));
    expect_only_drop(Drop::ipv6_link_multicast_not_forwarded);
    // Nor answered with an error when it has no route (RFC 4443 2.4(e.3)).
    expect_nothing(lab::kLanPort, ethernet_frame(multicast_mac6(lab6::kAllNodes), lab::kH1Mac, kEtherIpv6,
                                                 udp6_packet(fields6(lab6::kH1, lab6::kNoRoute))));
    EXPECT_EQ(suppressed(IcmpSuppress::offender_broadcast), 1u);
}

// =============================================================================================
// Input checks (RFC 8200 3, RFC 4291)

TEST_F(Ipv6Input, Runt) {
    Bytes p = h1_to_h2();
    p.resize(39);
    expect_nothing(lab::kLanPort, ethernet_frame(lab::kLanMac, lab::kH1Mac, kEtherIpv6, p));
    expect_only_drop(Drop::ipv6_runt);
}

TEST_F(Ipv6Input, Version) {
    Bytes p = h1_to_h2();
    p[0] = 0x40;
    expect_nothing(lab::kLanPort, from_h1(p));
    expect_only_drop(Drop::ipv6_bad_version);
}

TEST_F(Ipv6Input, PayloadLengthBeyondTheFrame) {
    Ipv6Fields f = fields6(lab6::kH1, lab6::kH2);
    const Bytes udp = udp6_segment(lab6::kH1, lab6::kH2, 1, 2, pattern(24));
    f.payload_length = static_cast<int>(udp.size()) + 1;
    expect_nothing(lab::kLanPort, from_h1(ipv6_packet(f, udp)));
    expect_only_drop(Drop::ipv6_bad_length);
}

TEST_F(Ipv6Input, SourcesThatNameNoSingleNode) {
    for (const char* s : {"ff02::1", "ff0e::5", "::"}) {
        expect_nothing(lab::kLanPort, from_h1(udp6_packet(fields6(ip6(s), lab6::kH2))));
        expect_nothing(lab::kLanPort, from_h1(udp6_packet(fields6(ip6(s), lab6::kLanAddr))));
    }
    // Ours, from outside.
    expect_nothing(lab::kLanPort, from_h1(udp6_packet(fields6(lab6::kWanAddr, lab6::kH2))));
    expect_nothing(lab::kLanPort, from_h1(udp6_packet(fields6(lab6::kLanLinkLocal, lab6::kH2))));
    EXPECT_EQ(h().dropped(Drop::ipv6_bad_source), 8u) << h().drops_summary();
    EXPECT_EQ(h().total_dropped(), 8u);
    EXPECT_EQ(total_sent(), 0u);
}

TEST_F(Ipv6Input, LoopbackNeverOnTheWire) {
    expect_nothing(lab::kLanPort, from_h1(udp6_packet(fields6(ip6("::1"), lab6::kH2))));
    expect_nothing(lab::kLanPort, from_h1(udp6_packet(fields6(lab6::kH1, ip6("::1")))));
    EXPECT_EQ(h().dropped(Drop::ipv6_loopback), 2u);
    EXPECT_EQ(h().total_dropped(), 2u);
}

TEST_F(Ipv6Input, UnreachableDestinations) {
    expect_nothing(lab::kLanPort, from_h1(udp6_packet(fields6(lab6::kH1, ip6("::")))));
    expect_nothing(lab::kLanPort, from_h1(udp6_packet(fields6(lab6::kH1, ip6("::ffff:10.2.0.2")))));
    EXPECT_EQ(h().dropped(Drop::ipv6_martian_destination), 2u);
    EXPECT_EQ(h().total_dropped(), 2u);
    EXPECT_EQ(total_sent(), 0u);
}

TEST_F(Ipv6Input, ForeignUnicastFrame) {
    expect_nothing(lab::kLanPort, ethernet_frame(lab::kH2Mac, lab::kH1Mac, kEtherIpv6, h1_to_h2()));
    expect_only_drop(Drop::eth_foreign_unicast);
}

TEST_F(Ipv6Input, InterfaceWithoutIpv6) {
    dprouter::Config cfg = lab6_config();
    interface_named(cfg, "lan").mtu = 1279;  // RFC 8200 5: no IPv6 below 1280
    interface_named(cfg, "lan").addresses6.clear();
    use(cfg);
    expect_nothing(lab::kLanPort, from_h1(h1_to_h2()));
    expect_only_drop(Drop::ipv6_disabled);
}

TEST_F(Ipv6Input, Ipv4IsUntouched) {
    Ipv4Fields f;
    f.src = lab::kH1Addr;
    f.dst = lab::kH2Addr;
    const Bytes dg = ipv4_datagram(f, udp_segment(f.src, f.dst, 1, 2, pattern(20)));
    h().add_static_neighbor(lab::kH2Addr, lab::kWanPort, lab::kH2Mac);
    h().receive(lab::kLanPort, ethernet_frame(lab::kLanMac, lab::kH1Mac, kEtherIpv4, dg, kEthMinFrame));
    const auto out = h().take_emitted();
    ASSERT_EQ(out.size(), 1u) << h().drops_summary();
    Bytes ip = dg;
    ip[8] = 63;
    put16(ip, 10, 0);
    put16(ip, 10, internet_checksum(ip.data(), 20));
    EXPECT_TRUE(same_bytes(out[0].bytes, ethernet_frame(lab::kH2Mac, lab::kWanMac, kEtherIpv4, ip)));
}

// =============================================================================================
// Hop-by-Hop options (RFC 8200 4.2, 4.3), transit and local alike

// A packet to `dst` whose Hop-by-Hop header holds `options` (6 + 8k bytes).
Bytes with_hbh(const Addr6& dst, const Bytes& options, uint8_t hop_limit = 64) {
    Ipv6Fields f = fields6(lab6::kH1, dst, hop_limit, kNh6HopByHop);
    const Bytes udp = udp6_segment(lab6::kH1, dst, 33434, 33435, pattern(16));
    return ipv6_packet(f, concat(ext_header(kProtoUdp, options), udp));
}

TEST_F(Ipv6HopByHop, PaddingRouterAlertAndSkippableOptionsForwarded) {
    for (const Bytes& opts : {Bytes{0, 0, 0, 0, 0, 0},               // Pad1 x6
                              Bytes{1, 4, 0, 0, 0, 0},               // PadN
                              Bytes{5, 2, 0, 0, 1, 0},               // Router Alert, PadN 0
                              Bytes{0x1e, 2, 0xaa, 0xbb, 1, 0}}) {  // unknown, action 00: skip
        const Bytes p = with_hbh(lab6::kH2, opts);
        expect_one(lab::kLanPort, from_h1(p), lab::kWanPort, forwarded6(lab::kH2Mac, lab::kWanMac, p));
    }
    EXPECT_EQ(h().total_dropped(), 0u) << h().drops_summary();
}

TEST_F(Ipv6HopByHop, UnknownOptionActions) {
    // 01: discard silently.
    expect_nothing(lab::kLanPort, from_h1(with_hbh(lab6::kH2, {0x5e, 2, 0, 0, 1, 0})));
    EXPECT_EQ(h().dropped(Drop::ipv6_bad_option), 1u);
    // 10 and 11 to a unicast destination: Parameter Problem code 2 pointing at the option type
    // (octet 42: 40 + 2 into the header); here after a PadN.
    for (uint8_t type : {uint8_t{0x9e}, uint8_t{0xde}}) {
        const Bytes p = with_hbh(lab6::kH2, {1, 0, type, 2, 0, 0});
        expect_one(lab::kLanPort, from_h1(p), lab::kLanPort, error_to_h1(lab6::kLanAddr, 4, 2, 44, p));
    }
    EXPECT_EQ(h().dropped(Drop::ipv6_bad_option), 3u);
    EXPECT_EQ(h().icmp_sent(IcmpKind::icmp6_param_option), 2u);
}

TEST_F(Ipv6HopByHop, UnknownOptionToAMulticastGroup) {
    const Mac all_nodes = multicast_mac6(lab6::kAllNodes);
    // 10: reported even for a multicast destination (RFC 4443 2.4(e.3)).
    const Bytes p = with_hbh(lab6::kAllNodes, {0x9e, 4, 0, 0, 0, 0});
    expect_one(lab::kLanPort, ethernet_frame(all_nodes, lab::kH1Mac, kEtherIpv6, p), lab::kLanPort,
               error_to_h1(lab6::kLanAddr, 4, 2, 42, p));
    // 11: not for a multicast destination.
    expect_nothing(lab::kLanPort,
                   ethernet_frame(all_nodes, lab::kH1Mac, kEtherIpv6, with_hbh(lab6::kAllNodes, {0xde, 4, 0, 0, 0, 0})));
    EXPECT_EQ(h().dropped(Drop::ipv6_bad_option), 2u);
}

TEST_F(Ipv6HopByHop, OptionsOnPacketsToTheRouterToo) {
    // The error comes from the address the packet targeted (RFC 4443 2.2(a)).
    const Bytes p = with_hbh(lab6::kWanAddr, {0x9e, 4, 0, 0, 0, 0});
    expect_one(lab::kLanPort, from_h1(p), lab::kLanPort, error_to_h1(lab6::kWanAddr, 4, 2, 42, p));
    const Bytes q = with_hbh(lab6::kLanLinkLocal, {0x9e, 4, 0, 0, 0, 0});
    expect_one(lab::kLanPort, from_h1(q), lab::kLanPort, error_to_h1(lab6::kLanLinkLocal, 4, 2, 42, q));
}

TEST_F(Ipv6HopByHop, MalformedOptionsAndHeaders) {
    // An option running past its header: code 0 at its length octet.
    const Bytes a = with_hbh(lab6::kH2, {1, 0, 0x1e, 9, 0, 0});
    expect_one(lab::kLanPort, from_h1(a), lab::kLanPort, error_to_h1(lab6::kLanAddr, 4, 0, 45, a));
    // Router Alert of the wrong length: the same.
    const Bytes b = with_hbh(lab6::kH2, {5, 4, 0, 0, 0, 0});
    expect_one(lab::kLanPort, from_h1(b), lab::kLanPort, error_to_h1(lab6::kLanAddr, 4, 0, 43, b));
    EXPECT_EQ(h().dropped(Drop::ipv6_bad_extension_header), 2u);
    // A header longer than the payload: dropped, no field to point at.
    Ipv6Fields f = fields6(lab6::kH1, lab6::kH2, 64, kNh6HopByHop);
    expect_nothing(lab::kLanPort, from_h1(ipv6_packet(f, {kProtoUdp, 3, 1, 4, 0, 0, 0, 0})));
    EXPECT_EQ(h().dropped(Drop::ipv6_bad_extension_header), 3u);
}

TEST_F(Ipv6HopByHop, JumboPayloadOption) {
    // RFC 2675 3: a Jumbo option with a non-zero payload length: code 0 at the option type.
    const Bytes a = with_hbh(lab6::kH2, {0xc2, 4, 0, 1, 0, 0});
    expect_one(lab::kLanPort, from_h1(a), lab::kLanPort, error_to_h1(lab6::kLanAddr, 4, 0, 42, a));
    // Payload length 0 with a Hop-by-Hop header but no Jumbo option: code 0 at the Payload Length.
    Ipv6Fields f = fields6(lab6::kH1, lab6::kH2, 64, kNh6HopByHop);
    f.payload_length = 0;
    const Bytes b = ipv6_packet(f, concat(ext_header(kProtoUdp, {1, 4, 0, 0, 0, 0}), pattern(8)));
    expect_one(lab::kLanPort, from_h1(b), lab::kLanPort, error_to_h1(lab6::kLanAddr, 4, 0, 4, b));
    // A jumbo length below 65536: code 0 at the length.
    const Bytes c = ipv6_packet(f, concat(ext_header(kProtoUdp, {0xc2, 4, 0, 0, 0x10, 0}), pattern(8)));
    expect_one(lab::kLanPort, from_h1(c), lab::kLanPort, error_to_h1(lab6::kLanAddr, 4, 0, 44, c));
    // A well-formed jumbogram cannot fit any link of ours: silently dropped.
    const Bytes d = ipv6_packet(f, concat(ext_header(kProtoUdp, {0xc2, 4, 0, 1, 0, 0}), pattern(8)));
    expect_nothing(lab::kLanPort, from_h1(d));
    EXPECT_EQ(h().dropped(Drop::ipv6_bad_extension_header), 2u) << h().drops_summary();  // a, c
    EXPECT_EQ(h().dropped(Drop::ipv6_bad_length), 2u) << h().drops_summary();            // b, d
    EXPECT_EQ(h().icmp_sent(IcmpKind::icmp6_param_header), 3u);
}

}  // namespace
}  // namespace dprtest
