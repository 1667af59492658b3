// IPv6 packets addressed to the router (RFC 8200 4, RFC 4443 4, RFC 5095): echo for every
// router address and the groups it listens to, UDP and TCP answered, extension headers processed
// as a destination must. Expected frames built independently, checksums verified by the test.
#include <gtest/gtest.h>

#include "dprouter/counters.hpp"
#include "dprouter/icmp.hpp"
#include "ipv6_fixture.hpp"
#include "packet_builder.hpp"

namespace dprtest {
namespace {

using Ipv6Local = Ipv6Test;
using Ipv6Extensions = Ipv6Test;

constexpr uint16_t kIdent = 0x4242;
constexpr uint16_t kSeq = 7;

// An echo request from `src` to `dst`, carrying `ext` (extension headers, whose chain ends with
// next header 58) when given.
Bytes echo_request(const Addr6& src, const Addr6& dst, uint8_t hop_limit = 64, uint8_t tclass = 0, size_t data = 56,
                   const Bytes& ext = {}, uint8_t first_nh = kNh6Icmp) {
    Ipv6Fields f = fields6(src, dst, hop_limit, ext.empty() ? kNh6Icmp : first_nh);
    f.tclass = tclass;
    f.flow = 0x12345;
    return ipv6_packet(f, concat(ext, icmp6_echo(src, dst, kIcmp6EchoRequest, kIdent, kSeq, pattern(data, 0x20))));
}

// The reply the router owes: from `from` to `to`, traffic class copied, flow label 0, hop limit 64.
Bytes echo_reply(const Mac& eth_dst, const Mac& eth_src, const Addr6& from, const Addr6& to, uint8_t tclass = 0,
                 size_t data = 56) {
    Ipv6Fields f = fields6(from, to, 64, kNh6Icmp);
    f.tclass = tclass;
    return ipv6_frame(eth_dst, eth_src, f, icmp6_echo(from, to, kIcmp6EchoReply, kIdent, kSeq, pattern(data, 0x20)));
}

Bytes reply_to_h1(const Addr6& from, const Addr6& to = lab6::kH1, uint8_t tclass = 0) {
    return echo_reply(lab::kH1Mac, lab::kLanMac, from, to, tclass);
}

// =============================================================================================
// Echo (RFC 4443 4.1, 4.2)

TEST_F(Ipv6Local, EchoToEachAddressRepliesFromIt) {
    expect_one(lab::kLanPort, from_h1(echo_request(lab6::kH1, lab6::kLanAddr, 64, 0xb8)), lab::kLanPort,
               reply_to_h1(lab6::kLanAddr, lab6::kH1, 0xb8));
    // The far interface's address, reached through the lan.
    expect_one(lab::kLanPort, from_h1(echo_request(lab6::kH1, lab6::kWanAddr)), lab::kLanPort,
               reply_to_h1(lab6::kWanAddr));
    // Link-local, from a link-local and from a global source.
    expect_one(lab::kLanPort, from_h1(echo_request(lab6::kH1LinkLocal, lab6::kLanLinkLocal)), lab::kLanPort,
               reply_to_h1(lab6::kLanLinkLocal, lab6::kH1LinkLocal));
    expect_one(lab::kLanPort, from_h1(echo_request(lab6::kH1, lab6::kLanLinkLocal)), lab::kLanPort,
               reply_to_h1(lab6::kLanLinkLocal, lab6::kH1));
    EXPECT_EQ(h().counted(Event::echo_replies), 4u);
    EXPECT_EQ(h().total_dropped(), 0u) << h().drops_summary();
}

TEST_F(Ipv6Local, EchoAnsweredWhateverTheHopLimit) {
    for (uint8_t hl : {uint8_t{1}, uint8_t{0}})
        expect_one(lab::kLanPort, from_h1(echo_request(lab6::kH1, lab6::kWanAddr, hl)), lab::kLanPort,
                   reply_to_h1(lab6::kWanAddr));
    EXPECT_EQ(h().dropped(Drop::hop_limit_exceeded), 0u);
}

TEST_F(Ipv6Local, EchoToTheGroupsWeListenTo) {
    // All-nodes, all-routers and the solicited-node group of the lan address, in their 33:33
    // frames; the reply comes from the arrival port's link-local address.
    for (const Addr6& g : {lab6::kAllNodes, lab6::kAllRouters, solicited_node6(lab6::kLanAddr),
                           solicited_node6(lab6::kLanLinkLocal)}) {
        const Bytes req = echo_request(lab6::kH1LinkLocal, g);
        expect_one(lab::kLanPort, ethernet_frame(multicast_mac6(g), lab::kH1Mac, kEtherIpv6, req), lab::kLanPort,
                   reply_to_h1(lab6::kLanLinkLocal, lab6::kH1LinkLocal));
    }
    // The solicited-node group of the wan address is not joined on the lan.
    const Addr6 wan_sn = solicited_node6(lab6::kWanLinkLocal);
    expect_nothing(lab::kLanPort,
                   ethernet_frame(multicast_mac6(wan_sn), lab::kH1Mac, kEtherIpv6, echo_request(lab6::kH1LinkLocal, wan_sn)));
    EXPECT_EQ(h().dropped(Drop::ipv6_group_not_joined), 1u) << h().drops_summary();
}

TEST_F(Ipv6Local, EchoFromTheUnspecifiedAddressIsDropped) {
    const Bytes req = echo_request(ip6("::"), lab6::kAllNodes);
    expect_nothing(lab::kLanPort, ethernet_frame(multicast_mac6(lab6::kAllNodes), lab::kH1Mac, kEtherIpv6, req));
    expect_only_drop(Drop::ipv6_bad_source);
}

TEST_F(Ipv6Local, BadChecksum) {
    Bytes req = echo_request(lab6::kH1, lab6::kLanAddr);
    req.at(40 + 2) ^= 0x01;
    expect_nothing(lab::kLanPort, from_h1(req));
    expect_only_drop(Drop::local6_icmp_bad_checksum);
    // Checksummed without the pseudo-header: wrong too.
    Bytes raw = req;
    raw.at(42) = raw.at(43) = 0;
    put16(raw, 42, internet_checksum(raw.data() + 40, raw.size() - 40));
    expect_nothing(lab::kLanPort, from_h1(raw));
    EXPECT_EQ(h().dropped(Drop::local6_icmp_bad_checksum), 2u);
}

TEST_F(Ipv6Local, NeighborDiscoveryGoesToTheNdStage) {
    // A Neighbor Solicitation for the lan address: checked here, answered by stage::nd_input.
    Bytes ns_body(16 + 8);
    std::copy(lab6::kLanAddr.begin(), lab6::kLanAddr.end(), ns_body.begin());
    ns_body[16] = 1;  // source link-layer address option
    ns_body[17] = 1;
    for (size_t i = 0; i < 6; ++i) ns_body[18 + i] = lab::kH1Mac[i];
    const Addr6 sn = solicited_node6(lab6::kLanAddr);
    Ipv6Fields f = fields6(lab6::kH1LinkLocal, sn, 255, kNh6Icmp);
    Bytes ns = ipv6_packet(f, icmp6_message(lab6::kH1LinkLocal, sn, 135, 0, 0, ns_body));
    ns.at(43) ^= 0x10;
    h().receive(lab::kLanPort, ethernet_frame(multicast_mac6(sn), lab::kH1Mac, kEtherIpv6, ns));
    EXPECT_EQ(h().dropped(Drop::local6_icmp_bad_checksum), 1u);
    ns.at(43) ^= 0x10;
    h().receive(lab::kLanPort, ethernet_frame(multicast_mac6(sn), lab::kH1Mac, kEtherIpv6, ns));
    EXPECT_EQ(h().dropped(Drop::local6_icmp_bad_checksum), 1u) << h().drops_summary();
    EXPECT_EQ(h().counted(Event::echo_replies), 0u);
    // A Duplicate Address Detection probe comes from :: (RFC 4862 5.4.2): not a bad source.
    const Addr6 any = ip6("::");
    Bytes dad_body(16);
    std::copy(lab6::kLanAddr.begin(), lab6::kLanAddr.end(), dad_body.begin());
    const Bytes dad = ipv6_packet(fields6(any, sn, 255, kNh6Icmp), icmp6_message(any, sn, 135, 0, 0, dad_body));
    h().receive(lab::kLanPort, ethernet_frame(multicast_mac6(sn), lab::kH1Mac, kEtherIpv6, dad));
    EXPECT_EQ(h().dropped(Drop::ipv6_bad_source), 0u) << h().drops_summary();
    EXPECT_EQ(h().dropped(Drop::local6_icmp_bad_checksum), 1u) << h().drops_summary();
    // The two solicitations answered; the one with a bad checksum is a drop (one outcome each).
    EXPECT_EQ(h().counted(Event::local_delivered), 2u);
    h().take_emitted();
}

TEST_F(Ipv6Local, OtherIcmpToUsNeedsNothing) {
    const Bytes reply = ipv6_packet(fields6(lab6::kH1, lab6::kLanAddr, 64, kNh6Icmp),
                                    icmp6_echo(lab6::kH1, lab6::kLanAddr, kIcmp6EchoReply, 1, 1, pattern(8)));
    expect_nothing(lab::kLanPort, from_h1(reply));
    expect_only_drop(Drop::local_unhandled);
}

// =============================================================================================
// UDP and TCP to the router

TEST_F(Ipv6Local, UdpGetsPortUnreachableFromTheTargetedAddress) {
    const Bytes p = udp6_packet(fields6(lab6::kH1, lab6::kWanAddr, 1));
    expect_one(lab::kLanPort, from_h1(p), lab::kLanPort, error_to_h1(lab6::kWanAddr, 1, 4, 0, p));
    expect_only_drop(Drop::local_udp_closed_port);
    const Bytes q = udp6_packet(fields6(lab6::kH1LinkLocal, lab6::kLanLinkLocal));
    expect_one(lab::kLanPort, from_h1(q), lab::kLanPort,
               error_to_h1(lab6::kLanLinkLocal, 1, 4, 0, q, lab6::kH1LinkLocal));
    EXPECT_EQ(h().icmp_sent(IcmpKind::icmp6_port_unreachable), 2u);
}

TEST_F(Ipv6Local, UdpWithBadOrZeroChecksumIsDiscarded) {
    Bytes p = udp6_packet(fields6(lab6::kH1, lab6::kLanAddr));
    p.at(40 + 6) ^= 0x01;
    expect_nothing(lab::kLanPort, from_h1(p));
    put16(p, 46, 0);  // RFC 8200 8.1: IPv6 has no checksum-less UDP
    expect_nothing(lab::kLanPort, from_h1(p));
    EXPECT_EQ(h().dropped(Drop::local_l4_invalid), 2u);
    EXPECT_EQ(total_sent(), 0u);
}

TEST_F(Ipv6Local, UdpToAGroupGetsNoError) {
    const Bytes p = udp6_packet(fields6(lab6::kH1LinkLocal, lab6::kAllNodes));
    expect_nothing(lab::kLanPort, ethernet_frame(multicast_mac6(lab6::kAllNodes), lab::kH1Mac, kEtherIpv6, p));
    EXPECT_EQ(h().dropped(Drop::local_udp_closed_port), 1u);
    EXPECT_EQ(suppressed(IcmpSuppress::offender_broadcast), 1u);
}

// The reset the router owes: from the targeted address, ports swapped, RFC 793 numbers.
Bytes reset_to_h1(const Addr6& from, uint32_t seq, uint32_t ack, uint8_t flags) {
    TcpFields t;
    t.sport = 80;
    t.dport = 40000;
    t.seq = seq;
    t.ack = ack;
    t.flags = flags;
    t.window = 0;
    return ipv6_frame(lab::kH1Mac, lab::kLanMac, fields6(from, lab6::kH1, 64, kProtoTcp),
                      tcp6_segment(from, lab6::kH1, t, {}));
}

TEST_F(Ipv6Local, TcpGetsAReset) {
    TcpFields syn;
    syn.seq = 1000;
    const Bytes a = ipv6_packet(fields6(lab6::kH1, lab6::kWanAddr, 64, kProtoTcp),
                                tcp6_segment(lab6::kH1, lab6::kWanAddr, syn, pattern(10)));
    h().receive(lab::kLanPort, from_h1(a));
    auto out = h().take_emitted();
    ASSERT_EQ(out.size(), 1u) << h().drops_summary();
    EXPECT_TRUE(same_bytes(out[0].bytes, reset_to_h1(lab6::kWanAddr, 0, 1011, 0x14)));  // RST ACK, seq + 10 + SYN
    EXPECT_TRUE(l4_checksum_ok6(out[0].bytes));
    TcpFields ack;
    ack.flags = 0x10;
    ack.seq = 5;
    ack.ack = 0x01020304;
    const Bytes b = ipv6_packet(fields6(lab6::kH1, lab6::kLanAddr, 64, kProtoTcp),
                                tcp6_segment(lab6::kH1, lab6::kLanAddr, ack, {}));
    expect_one(lab::kLanPort, from_h1(b), lab::kLanPort, reset_to_h1(lab6::kLanAddr, 0x01020304, 0, 0x04));
    // Never a reset for a reset.
    ack.flags = 0x04;
    expect_nothing(lab::kLanPort, from_h1(ipv6_packet(fields6(lab6::kH1, lab6::kLanAddr, 64, kProtoTcp),
                                                      tcp6_segment(lab6::kH1, lab6::kLanAddr, ack, {}))));
    EXPECT_EQ(h().dropped(Drop::local_tcp_closed_port), 3u);
    EXPECT_EQ(h().icmp_sent(IcmpKind::tcp_reset), 2u);
}

// =============================================================================================
// Extension headers at the destination (RFC 8200 4)

TEST_F(Ipv6Extensions, EchoBehindDestinationOptionsAndEmptyRoutingHeader) {
    // PadN-only Destination Options, then a routing header with no segments left, then ICMPv6:
    // the reply leaves them out.
    const Bytes dopt = ext_header(kNh6Routing, {1, 4, 0, 0, 0, 0});
    const Bytes rh = ext_header(kNh6Icmp, {4, 0, 0, 0, 0, 0});  // type 4, segments left 0
    const Bytes req = echo_request(lab6::kH1, lab6::kLanAddr, 64, 0, 56, concat(dopt, rh), kNh6DestOpts);
    expect_one(lab::kLanPort, from_h1(req), lab::kLanPort, reply_to_h1(lab6::kLanAddr));
}

TEST_F(Ipv6Extensions, HopByHopThenEcho) {
    const Bytes req = echo_request(lab6::kH1, lab6::kLanAddr, 64, 0, 56, ext_header(kNh6Icmp, {5, 2, 0, 0, 1, 0}),
                                   kNh6HopByHop);
    expect_one(lab::kLanPort, from_h1(req), lab::kLanPort, reply_to_h1(lab6::kLanAddr));
}

TEST_F(Ipv6Extensions, RoutingHeaderWithSegmentsLeft) {
    const Bytes addr(lab6::kRemote.begin(), lab6::kRemote.end());
    // RFC 5095: type 0 -> Parameter Problem code 0 at the Routing Type (octet 42).
    Ipv6Fields f = fields6(lab6::kH1, lab6::kLanAddr, 64, kNh6Routing);
    const Bytes a = ipv6_packet(f, concat(concat(Bytes{kProtoUdp, 2, 0, 1, 0, 0, 0, 0}, addr), pattern(8)));
    expect_one(lab::kLanPort, from_h1(a), lab::kLanPort, error_to_h1(lab6::kLanAddr, 4, 0, 42, a));
    EXPECT_EQ(h().dropped(Drop::ipv6_routing_header_type0), 1u);
    // RFC 8200 4.4: any routing type the router does not implement (here 4, SRH): the same.
    const Bytes b = ipv6_packet(f, concat(concat(Bytes{kProtoUdp, 2, 4, 1, 0, 0, 0, 0}, addr), pattern(8)));
    expect_one(lab::kLanPort, from_h1(b), lab::kLanPort, error_to_h1(lab6::kLanAddr, 4, 0, 42, b));
    EXPECT_EQ(h().dropped(Drop::ipv6_routing_header_unknown), 1u);
}

TEST_F(Ipv6Extensions, UnknownNextHeaderPointsAtTheField) {
    // Directly after the fixed header: pointer 6.
    const Bytes a = ipv6_packet(fields6(lab6::kH1, lab6::kLanAddr, 64, 253), pattern(16));
    expect_one(lab::kLanPort, from_h1(a), lab::kLanPort, error_to_h1(lab6::kLanAddr, 4, 1, 6, a));
    // Named by a Destination Options header at octet 40: pointer 40.
    const Bytes b = ipv6_packet(fields6(lab6::kH1, lab6::kWanAddr, 64, kNh6DestOpts),
                                concat(ext_header(253, {1, 4, 0, 0, 0, 0}), pattern(16)));
    expect_one(lab::kLanPort, from_h1(b), lab::kLanPort, error_to_h1(lab6::kWanAddr, 4, 1, 40, b));
    // Hop-by-Hop anywhere but first is unrecognized (RFC 8200 4.1).
    const Bytes c = ipv6_packet(fields6(lab6::kH1, lab6::kLanAddr, 64, kNh6DestOpts),
                                concat(ext_header(kNh6HopByHop, {1, 4, 0, 0, 0, 0}), pattern(16)));
    expect_one(lab::kLanPort, from_h1(c), lab::kLanPort, error_to_h1(lab6::kLanAddr, 4, 1, 40, c));
    EXPECT_EQ(h().dropped(Drop::ipv6_unknown_next_header), 3u);
    EXPECT_EQ(h().icmp_sent(IcmpKind::icmp6_param_next_header), 3u);
}

TEST_F(Ipv6Extensions, DestinationOptionActions) {
    const Bytes a = ipv6_packet(fields6(lab6::kH1, lab6::kLanAddr, 64, kNh6DestOpts),
                                concat(ext_header(kProtoUdp, {0x80, 4, 0, 0, 0, 0}), pattern(8)));
    expect_one(lab::kLanPort, from_h1(a), lab::kLanPort, error_to_h1(lab6::kLanAddr, 4, 2, 42, a));
    const Bytes b = ipv6_packet(fields6(lab6::kH1, lab6::kLanAddr, 64, kNh6DestOpts),
                                concat(ext_header(kProtoUdp, {0x40, 4, 0, 0, 0, 0}), pattern(8)));
    expect_nothing(lab::kLanPort, from_h1(b));
    EXPECT_EQ(h().dropped(Drop::ipv6_bad_option), 2u);
}

TEST_F(Ipv6Extensions, FragmentsAreNotReassembled) {
    // First fragment (M set): dropped, counted.
    Bytes frag = {kNh6Icmp, 0, 0x00, 0x01, 0, 0, 0, 1};
    const Bytes echo = icmp6_echo(lab6::kH1, lab6::kLanAddr, kIcmp6EchoRequest, kIdent, kSeq, pattern(56, 0x20));
    expect_nothing(lab::kLanPort,
                   from_h1(ipv6_packet(fields6(lab6::kH1, lab6::kLanAddr, 64, kNh6Fragment), concat(frag, echo))));
    expect_only_drop(Drop::local6_fragment);
    // An atomic fragment (offset 0, M clear) is a whole packet (RFC 8200 4.5): answered.
    frag[3] = 0;
    expect_one(lab::kLanPort,
               from_h1(ipv6_packet(fields6(lab6::kH1, lab6::kLanAddr, 64, kNh6Fragment), concat(frag, echo))),
               lab::kLanPort, reply_to_h1(lab6::kLanAddr));
}

TEST_F(Ipv6Extensions, HeadersAcrossMbufSegments) {
    // The chain, the checksum and the quote read across segments of 64 bytes (the fixed header
    // must be in the first): the 72-byte Destination Options header straddles two, and so does
    // the UDP header after it (frame offsets 126..133).
    Bytes pad(70, 0);
    pad[0] = 1;
    pad[1] = 68;
    const Bytes dopt = ext_header(kProtoUdp, pad);
    const Bytes p = ipv6_packet(fields6(lab6::kH1, lab6::kLanAddr, 64, kNh6DestOpts),
                                concat(dopt, udp6_segment(lab6::kH1, lab6::kLanAddr, 5000, 53, pattern(300))));
    h().receive(lab::kLanPort, from_h1(p), 64);
    const auto out = h().take_emitted();
    ASSERT_EQ(out.size(), 1u) << h().drops_summary();
    EXPECT_TRUE(same_bytes(out[0].bytes, error_to_h1(lab6::kLanAddr, 1, 4, 0, p)));
    EXPECT_TRUE(l4_checksum_ok6(out[0].bytes));
    // An unknown option behind it, across segments too.
    const Bytes bad = ipv6_packet(fields6(lab6::kH1, lab6::kLanAddr, 64, kNh6DestOpts),
                                  concat(ext_header(kProtoUdp, {1, 2, 0, 0, 0xbf, 4, 0, 0, 0, 0, 1, 2, 0, 0}),
                                         pattern(16)));
    h().receive(lab::kLanPort, from_h1(bad), 60);  // the option starts the second segment
    const auto out2 = h().take_emitted();
    ASSERT_EQ(out2.size(), 1u) << h().drops_summary();
    EXPECT_TRUE(same_bytes(out2[0].bytes, error_to_h1(lab6::kLanAddr, 4, 2, 46, bad)));
}

TEST_F(Ipv6Extensions, TruncatedChainAndNoNextHeader) {
    expect_nothing(lab::kLanPort, from_h1(ipv6_packet(fields6(lab6::kH1, lab6::kLanAddr, 64, kNh6DestOpts),
                                                      {kProtoUdp, 2, 1, 4, 0, 0, 0, 0})));
    EXPECT_EQ(h().dropped(Drop::ipv6_bad_extension_header), 1u);
    expect_nothing(lab::kLanPort, from_h1(ipv6_packet(fields6(lab6::kH1, lab6::kLanAddr, 64, kNh6None), pattern(8))));
    EXPECT_EQ(h().dropped(Drop::local_unhandled), 1u);
    EXPECT_EQ(total_sent(), 0u);
}

}  // namespace
}  // namespace dprtest
