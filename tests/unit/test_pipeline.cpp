// The forwarding pipeline on crafted frames: what leaves, byte for byte, and what is refused, with the
// counter that names the rule (RFC 1812 5.2.2 input checks, 5.3.7 martians, 5.3.4 link broadcasts,
// 5.3.1 TTL, RFC 2644 directed broadcasts), plus echo replies and the hand-off to ARP resolution.
#include <gtest/gtest.h>

#include <rte_mbuf.h>

#include "packet_builder.hpp"

namespace dprtest {
namespace {

using dprouter::Drop;
using dprouter::Event;
using namespace lab;

// Every test starts with static neighbours for H1 (lan), H2 and the gateway (wan).
class Pipeline : public RouterTest {
protected:
    void SetUp() override {
        RouterTest::SetUp();
        add_lab_neighbors();
    }

    // The only thing that happened to the one packet received was `d`.
    void expect_only_drop(Drop d) {
        EXPECT_EQ(h().dropped(d), 1u) << h().drops_summary();
        EXPECT_EQ(h().total_dropped(), 1u) << h().drops_summary();
        EXPECT_EQ(h().counted(Event::forwarded), 0u);
    }
    // Nothing left the router and nothing went to the control thread.
    void expect_nothing_out() {
        const auto out = h().take_emitted();
        EXPECT_TRUE(out.empty()) << out.size() << " frame(s) emitted, first on port " << out[0].port << ":\n"
                                 << hex(out[0].bytes);
        EXPECT_EQ(h().held_in_ring(), 0u);
        EXPECT_EQ(h().learned_in_ring(), 0u);
    }
    // The packet was not forwarded; the only frame out is one ICMP error of type/code to `to`, out of
    // `port`. (The error's contents are the ICMP tests' business.)
    void expect_only_icmp_error(uint8_t type, uint8_t code, uint32_t to = kH1Addr, uint16_t port = kLanPort) {
        const auto out = h().take_emitted();
        ASSERT_EQ(out.size(), 1u);
        EXPECT_EQ(out[0].port, port);
        const auto v = icmp_view(out[0].bytes);
        ASSERT_TRUE(v.has_value()) << hex(out[0].bytes);
        EXPECT_EQ(v->type, type);
        EXPECT_EQ(v->code, code);
        EXPECT_EQ(v->dst, to);
        EXPECT_EQ(h().held_in_ring(), 0u);
    }
    // The one frame out, which must go out of `port`.
    Bytes single_output(uint16_t port) {
        auto out = h().take_emitted();
        if (out.size() != 1) {
            ADD_FAILURE() << "expected one frame out, got " << out.size() << "; " << h().drops_summary();
            return {};
        }
        EXPECT_EQ(out[0].port, port);
        EXPECT_EQ(h().held_in_ring(), 0u);
        return out[0].bytes;
    }
};

// UDP from H1 to `dst`, as H1 puts it on the lan for the router.
Ipv4Fields from_h1(uint32_t dst, uint8_t ttl = 64) {
    Ipv4Fields f;
    f.src = kH1Addr;
    f.dst = dst;
    f.ttl = ttl;
    f.protocol = kProtoUdp;
    f.id = 0x04d2;
    return f;
}
Bytes udp_for(const Ipv4Fields& f, size_t n = 32) { return udp_segment(f.src, f.dst, 5555, 7777, pattern(n, 0x40)); }
Bytes lan_frame(const Ipv4Fields& f, const Bytes& l4, size_t min_len = 0) {
    return ipv4_frame(kLanMac, kH1Mac, f, l4, min_len);
}
Ipv4Fields with_ttl(Ipv4Fields f, uint8_t ttl) {
    f.ttl = ttl;
    return f;
}

// The echo reply the router owes: a new datagram from `from` (the pinged address) to `to`, TTL 64,
// no options, DF clear; TOS and IP ID as in the request (the implementation reuses the request's
// header); identifier, sequence and data unchanged.
Bytes echo_reply_frame(const Mac& dst_mac, const Mac& src_mac, const Ipv4Fields& request, uint32_t from,
                       uint16_t ident, uint16_t seq, const Bytes& data) {
    Ipv4Fields r;
    r.tos = request.tos;
    r.id = request.id;
    r.frag = 0;
    r.ttl = 64;
    r.protocol = kProtoIcmp;
    r.src = from;
    r.dst = request.src;
    return ipv4_frame(dst_mac, src_mac, r, icmp_echo(kIcmpEchoReply, ident, seq, data));
}

Ipv4Fields echo_request_ip(uint32_t src, uint32_t dst, uint8_t ttl = 64) {
    Ipv4Fields f;
    f.src = src;
    f.dst = dst;
    f.ttl = ttl;
    f.protocol = kProtoIcmp;
    f.id = 0xbeef;
    f.frag = kIpDf;  // as Linux ping sends it
    return f;
}

// ---------------------------------------------------------------------------------------------
// Forwarding

TEST_F(Pipeline, ForwardsToConnectedHostByteExact) {
    const Ipv4Fields ip = from_h1(kH2Addr);
    const Bytes l4 = udp_for(ip);
    h().receive(kLanPort, lan_frame(ip, l4));
    EXPECT_TRUE(same_bytes(single_output(kWanPort), ipv4_frame(kH2Mac, kWanMac, with_ttl(ip, 63), l4)));
    EXPECT_EQ(h().counted(Event::forwarded), 1u);
    EXPECT_EQ(h().total_dropped(), 0u) << h().drops_summary();
    EXPECT_EQ(h().counters().ports[kLanPort].rx, 1u);
}

TEST_F(Pipeline, ForwardsViaGatewayByteExact) {
    Ipv4Fields ip = from_h1(ipv4(10, 99, 7, 9), 17);
    ip.protocol = kProtoTcp;
    ip.tos = 0x28;
    ip.frag = kIpDf;
    const Bytes l4 = tcp_segment(ip.src, ip.dst, {}, pattern(100, 3));
    h().receive(kLanPort, lan_frame(ip, l4));
    EXPECT_TRUE(same_bytes(single_output(kWanPort), ipv4_frame(kGatewayMac, kWanMac, with_ttl(ip, 16), l4)));
    EXPECT_EQ(h().counted(Event::forwarded), 1u);
}

TEST_F(Pipeline, ForwardsWanToLanByteExact) {
    Ipv4Fields ip = echo_request_ip(kH2Addr, kH1Addr, 2);
    const Bytes l4 = icmp_echo(kIcmpEchoRequest, 0x1234, 7, pattern(56));
    h().receive(kWanPort, ipv4_frame(kWanMac, kH2Mac, ip, l4));
    EXPECT_TRUE(same_bytes(single_output(kLanPort), ipv4_frame(kH1Mac, kLanMac, with_ttl(ip, 1), l4)));
}

// RFC 1812 4.2.2.6: options the router does not know travel on unchanged.
TEST_F(Pipeline, ForwardsUnknownOptionsUnchanged) {
    Ipv4Fields ip = from_h1(kH2Addr);
    ip.options = {0x9e, 0x04, 0xab, 0xcd, 0x01, 0x01, 0x01, 0x00};  // experimental option, NOPs, EOL
    const Bytes l4 = udp_for(ip);
    h().receive(kLanPort, lan_frame(ip, l4));
    EXPECT_TRUE(same_bytes(single_output(kWanPort), ipv4_frame(kH2Mac, kWanMac, with_ttl(ip, 63), l4)));
}

TEST_F(Pipeline, ForwardsBurstInOrderPerPort) {
    std::vector<Bytes> in;
    std::vector<Bytes> to_wan;
    for (uint16_t i = 0; i < 40; ++i) {  // more than one prefetch window and more than one rx burst
        Ipv4Fields ip = from_h1(i % 3 == 0 ? ipv4(10, 99, 0, static_cast<uint8_t>(i)) : kH2Addr);
        ip.id = i;
        const Bytes l4 = udp_for(ip, i);
        in.push_back(lan_frame(ip, l4, kEthMinFrame));
        to_wan.push_back(ipv4_frame(i % 3 == 0 ? kGatewayMac : kH2Mac, kWanMac, with_ttl(ip, 63), l4));
    }
    h().receive_burst(kLanPort, in);
    const auto out = h().take_emitted();
    ASSERT_EQ(out.size(), in.size());
    for (size_t i = 0; i < out.size(); ++i) {
        EXPECT_EQ(out[i].port, kWanPort);
        EXPECT_TRUE(same_bytes(out[i].bytes, to_wan[i])) << "packet " << i;
    }
    EXPECT_EQ(h().counted(Event::forwarded), in.size());
}

TEST_F(Pipeline, ForwardsChainedMbufByteExact) {
    const Ipv4Fields ip = from_h1(kH2Addr);
    const Bytes l4 = udp_for(ip, 1200);
    rte_mbuf* m = make_mbuf(h().pool(), lan_frame(ip, l4), 500);
    ASSERT_NE(m, nullptr);
    ASSERT_EQ(m->nb_segs, 3);
    h().receive_mbufs(kLanPort, &m, 1);
    auto out = h().take_emitted();
    ASSERT_EQ(out.size(), 1u) << h().drops_summary();
    EXPECT_EQ(out[0].port, kWanPort);
    EXPECT_TRUE(same_bytes(out[0].bytes, ipv4_frame(kH2Mac, kWanMac, with_ttl(ip, 63), l4)));
}

// The ID is chosen so that after the decrement the header checksum is 0x0000 (never 0xFFFF).
TEST_F(Pipeline, ForwardsWhenChecksumBecomesZero) {
    Ipv4Fields ip = from_h1(kH2Addr);
    const Bytes l4 = udp_for(ip);
    // Sum of the header after forwarding, with ID and checksum zero; then pick the ID that makes it -0.
    Ipv4Fields after = with_ttl(ip, 63);
    after.id = 0;
    after.checksum = 0;
    after.total_length = static_cast<int>(20 + l4.size());
    const Bytes hdr = ipv4_datagram(after, {});
    const uint16_t rest = ones_sum(hdr.data(), 20);
    ip.id = static_cast<uint16_t>(~rest);  // rest + ~rest = 0xFFFF
    const Bytes expected = ipv4_frame(kH2Mac, kWanMac, with_ttl(ip, 63), l4);
    ASSERT_EQ(get16(expected, kEthHdrLen + 10), 0x0000);
    h().receive(kLanPort, lan_frame(ip, l4));
    EXPECT_TRUE(same_bytes(single_output(kWanPort), expected));
}

// 0xFFFF is the other representation of zero: a header carrying it is valid (RFC 1624 section 3)
// and is forwarded with the canonical checksum after the decrement.
TEST_F(Pipeline, ForwardsHeaderWithChecksumFieldFFFF) {
    Ipv4Fields ip = from_h1(kH2Addr);
    const Bytes l4 = udp_for(ip);
    Ipv4Fields probe = ip;
    probe.id = 0;
    probe.checksum = 0;
    probe.total_length = static_cast<int>(20 + l4.size());
    const Bytes hdr = ipv4_datagram(probe, {});
    ip.id = static_cast<uint16_t>(~ones_sum(hdr.data(), 20));  // other words sum to -0: checksum 0x0000
    Ipv4Fields sent = ip;
    sent.checksum = 0xffff;
    const Bytes frame = lan_frame(sent, l4);
    ASSERT_TRUE(ipv4_header_checksum_ok(frame));
    h().receive(kLanPort, frame);
    EXPECT_TRUE(same_bytes(single_output(kWanPort), ipv4_frame(kH2Mac, kWanMac, with_ttl(ip, 63), l4)));
}

// RFC 1812 5.2.2: trailing Ethernet padding is not an error; it is trimmed.
TEST_F(Pipeline, TrimsEthernetPadding) {
    const Ipv4Fields ip = from_h1(kH2Addr);
    const Bytes l4 = udp_for(ip, 0);  // 20 + 8 = 28-byte datagram
    const Bytes frame = lan_frame(ip, l4, kEthMinFrame);
    ASSERT_EQ(frame.size(), 60u);
    h().receive(kLanPort, frame);
    const Bytes out = single_output(kWanPort);
    EXPECT_EQ(out.size(), 42u);
    EXPECT_TRUE(same_bytes(out, ipv4_frame(kH2Mac, kWanMac, with_ttl(ip, 63), l4)));
}

// Bytes after the datagram must go even when they span more than the last segment of a chain
// (scatter RX of a jumbo frame whose IP total length is shorter than the frame).
TEST_F(Pipeline, TrimsTrailingBytesSpanningSegments) {
    const Ipv4Fields ip = from_h1(kH2Addr);
    const Bytes l4 = udp_for(ip, 72);  // 100-byte datagram
    Bytes frame = lan_frame(ip, l4);
    frame.resize(frame.size() + 150, 0xee);  // 150 bytes of trailer
    rte_mbuf* m = make_mbuf(h().pool(), frame, 100);  // segments of 100, 100, 64
    ASSERT_NE(m, nullptr);
    ASSERT_EQ(m->nb_segs, 3);
    h().receive_mbufs(kLanPort, &m, 1);
    auto out = h().take_emitted();
    ASSERT_EQ(out.size(), 1u) << h().drops_summary();
    EXPECT_TRUE(same_bytes(out[0].bytes, ipv4_frame(kH2Mac, kWanMac, with_ttl(ip, 63), l4)));
}

// ---------------------------------------------------------------------------------------------
// RFC 1812 5.2.2: silently discarded, counted, nothing sent

TEST_F(Pipeline, DropsFrameShorterThanEthernetHeader) {
    Bytes frame = lan_frame(from_h1(kH2Addr), {});
    frame.resize(13);
    h().receive(kLanPort, frame);
    expect_only_drop(Drop::eth_runt);
    expect_nothing_out();
}

TEST_F(Pipeline, DropsIpHeaderShorterThan20Bytes) {
    Bytes frame = lan_frame(from_h1(kH2Addr), {});
    frame.resize(kEthHdrLen + 19);
    h().receive(kLanPort, frame);
    expect_only_drop(Drop::ipv4_runt);
    expect_nothing_out();
}

TEST_F(Pipeline, DropsVersion6InIpv4Frame) {
    Ipv4Fields ip = from_h1(kH2Addr);
    ip.version = 6;
    h().receive(kLanPort, lan_frame(ip, udp_for(ip)));
    expect_only_drop(Drop::ipv4_bad_version);
    expect_nothing_out();
}

TEST_F(Pipeline, DropsIhl4) {
    Ipv4Fields ip = from_h1(kH2Addr);
    ip.ihl = 4;
    h().receive(kLanPort, lan_frame(ip, udp_for(ip)));
    expect_only_drop(Drop::ipv4_bad_ihl);
    expect_nothing_out();
}

TEST_F(Pipeline, DropsIhlBeyondFrame) {
    Ipv4Fields ip = from_h1(kH2Addr);
    ip.ihl = 15;  // 60-byte header in a 40-byte datagram
    const Bytes frame = lan_frame(ip, pattern(20));
    ASSERT_EQ(frame.size(), kEthHdrLen + 40);
    h().receive(kLanPort, frame);
    expect_only_drop(Drop::ipv4_bad_ihl);
    expect_nothing_out();
}

TEST_F(Pipeline, DropsBadHeaderChecksum) {
    Ipv4Fields ip = from_h1(kH2Addr);
    Bytes frame = lan_frame(ip, udp_for(ip));
    frame[kEthHdrLen + 11] ^= 0x01;
    h().receive(kLanPort, frame);
    expect_only_drop(Drop::ipv4_bad_checksum);
    expect_nothing_out();
}

TEST_F(Pipeline, DropsWhenNicReportsBadChecksum) {
    const Ipv4Fields ip = from_h1(kH2Addr);
    rte_mbuf* m = make_mbuf(h().pool(), lan_frame(ip, udp_for(ip)));
    ASSERT_NE(m, nullptr);
    m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_BAD;
    h().receive_mbufs(kLanPort, &m, 1);
    expect_only_drop(Drop::ipv4_bad_checksum);
    expect_nothing_out();
}

TEST_F(Pipeline, DropsTotalLengthBelowHeaderLength) {
    Ipv4Fields ip = from_h1(kH2Addr);
    ip.total_length = 19;
    h().receive(kLanPort, lan_frame(ip, udp_for(ip)));
    expect_only_drop(Drop::ipv4_bad_total_length);
    expect_nothing_out();
}

TEST_F(Pipeline, DropsTotalLengthBelowHeaderLengthWithOptions) {
    Ipv4Fields ip = from_h1(kH2Addr);
    ip.options = {1, 1, 1, 0};
    ip.total_length = 22;  // less than IHL*4 = 24
    h().receive(kLanPort, lan_frame(ip, udp_for(ip)));
    expect_only_drop(Drop::ipv4_bad_total_length);
    expect_nothing_out();
}

TEST_F(Pipeline, DropsTotalLengthBeyondFrame) {
    Ipv4Fields ip = from_h1(kH2Addr);
    ip.total_length = 20 + 8 + 32 + 1;
    const Bytes frame = lan_frame(ip, udp_for(ip, 32));
    ASSERT_EQ(frame.size(), kEthHdrLen + 60);
    h().receive(kLanPort, frame);
    expect_only_drop(Drop::ipv4_bad_total_length);
    expect_nothing_out();
}

TEST_F(Pipeline, DropsUnknownEthertype) {
    h().receive(kLanPort, ethernet_frame(kLanMac, kH1Mac, 0x86dc, pattern(46)));
    h().receive(kLanPort, ethernet_frame(kLanMac, kH1Mac, 0x8100, pattern(46)));  // 802.1Q
    EXPECT_EQ(h().dropped(Drop::eth_unsupported_type), 2u);
    EXPECT_EQ(h().total_dropped(), 2u) << h().drops_summary();
    expect_nothing_out();
}

// ---------------------------------------------------------------------------------------------
// RFC 1812 5.3.7: martians

class MartianSource : public Pipeline, public ::testing::WithParamInterface<uint32_t> {};

TEST_P(MartianSource, NotForwarded) {
    Ipv4Fields ip = from_h1(kH2Addr);
    ip.src = GetParam();
    h().receive(kLanPort, lan_frame(ip, udp_for(ip)));
    expect_only_drop(Drop::martian_source);
    expect_nothing_out();
}

TEST_P(MartianSource, EchoRequestToRouterNotAnswered) {
    const Ipv4Fields ip = echo_request_ip(GetParam(), kLanAddr);
    h().receive(kLanPort, lan_frame(ip, icmp_echo(kIcmpEchoRequest, 1, 1, pattern(8))));
    expect_only_drop(Drop::martian_source);
    expect_nothing_out();
}

std::string address_name(const ::testing::TestParamInfo<uint32_t>& info) {
    const uint32_t a = info.param;
    return std::to_string(a >> 24) + "_" + std::to_string(a >> 16 & 0xff) + "_" + std::to_string(a >> 8 & 0xff) + "_" +
           std::to_string(a & 0xff);
}

INSTANTIATE_TEST_SUITE_P(Pipeline, MartianSource,
                         ::testing::Values(ipv4(0, 0, 0, 0), ipv4(0, 1, 2, 3), ipv4(127, 0, 0, 1),
                                           ipv4(127, 9, 9, 9), ipv4(224, 0, 0, 1), ipv4(239, 255, 255, 250),
                                           ipv4(240, 0, 0, 1), ipv4(254, 1, 1, 1), ipv4(255, 255, 255, 255)),
                         address_name);

// A datagram from outside that claims one of our own addresses as its source (spoofed), as Linux's
// fib_validate_source refuses it; including our address on the other interface.
TEST_F(Pipeline, OwnAddressAsSourceIsMartian) {
    for (const uint32_t ours : {kLanAddr, kWanAddr}) {
        Ipv4Fields ip = from_h1(kH2Addr);
        ip.src = ours;
        h().receive(kLanPort, lan_frame(ip, udp_for(ip)));
    }
    EXPECT_EQ(h().dropped(Drop::martian_source), 2u);
    expect_nothing_out();
    // An address that only shares the last octet with ours passes the filter's second look.
    Ipv4Fields ip = from_h1(kH2Addr);
    ip.src = ipv4(172, 16, 0, kLanAddr & 0xff);
    h().receive(kLanPort, lan_frame(ip, udp_for(ip)));
    EXPECT_EQ(h().dropped(Drop::martian_source), 2u);
    EXPECT_EQ(h().counted(Event::forwarded), 1u);
    for (rte_mbuf* m : h().take_held_mbufs()) rte_pktmbuf_free(m);
}

class MartianDestination : public Pipeline, public ::testing::WithParamInterface<uint32_t> {};

TEST_P(MartianDestination, NotForwarded) {
    const Ipv4Fields ip = from_h1(GetParam());
    h().receive(kLanPort, lan_frame(ip, udp_for(ip)));
    expect_only_drop(Drop::martian_destination);
    expect_nothing_out();
}

INSTANTIATE_TEST_SUITE_P(Pipeline, MartianDestination,
                         ::testing::Values(ipv4(0, 0, 0, 0), ipv4(0, 1, 2, 3), ipv4(127, 0, 0, 1),
                                           ipv4(127, 255, 255, 254), ipv4(240, 0, 0, 1),
                                           ipv4(255, 255, 255, 254)),
                         address_name);

// ---------------------------------------------------------------------------------------------
// Broadcasts and multicast

TEST_F(Pipeline, DropsLimitedBroadcast) {
    const Ipv4Fields ip = from_h1(ipv4(255, 255, 255, 255));
    h().receive(kLanPort, ipv4_frame(kBroadcastMac, kH1Mac, ip, udp_for(ip)));
    expect_only_drop(Drop::ip_broadcast_not_forwarded);
    expect_nothing_out();
}

TEST_F(Pipeline, DropsMulticastDestination) {
    for (uint32_t group : {ipv4(224, 0, 0, 5), ipv4(239, 1, 2, 3)}) {
        const Ipv4Fields ip = from_h1(group, 1);
        const Mac mcast{0x01, 0x00, 0x5e, static_cast<uint8_t>(group >> 16 & 0x7f), static_cast<uint8_t>(group >> 8),
                        static_cast<uint8_t>(group)};
        h().receive(kLanPort, ipv4_frame(mcast, kH1Mac, ip, udp_for(ip)));
    }
    EXPECT_EQ(h().dropped(Drop::multicast_not_forwarded), 2u);
    EXPECT_EQ(h().total_dropped(), 2u) << h().drops_summary();
    expect_nothing_out();
}

// RFC 2644: directed broadcasts are not forwarded by default.
TEST_F(Pipeline, DropsDirectedBroadcastOfFarSubnet) {
    const Ipv4Fields ip = from_h1(ipv4(10, 2, 0, 255));
    h().receive(kLanPort, lan_frame(ip, udp_for(ip)));
    expect_only_drop(Drop::ip_broadcast_not_forwarded);
    expect_nothing_out();
}

TEST_F(Pipeline, DropsDirectedBroadcastOfOwnSubnet) {
    const Ipv4Fields ip = from_h1(ipv4(10, 1, 0, 255));
    h().receive(kLanPort, ipv4_frame(kBroadcastMac, kH1Mac, ip, udp_for(ip)));
    expect_only_drop(Drop::ip_broadcast_not_forwarded);
    expect_nothing_out();
}

// af_packet ports are promiscuous: a frame for another station's MAC is not ours to route.
TEST_F(Pipeline, DropsForeignUnicastMac) {
    const Ipv4Fields ip = from_h1(kH2Addr);
    h().receive(kLanPort, ipv4_frame(Mac{0x02, 0, 0, 0, 0x01, 0x77}, kH1Mac, ip, udp_for(ip)));
    // Our wan MAC arriving on the lan port is just as foreign there.
    h().receive(kLanPort, ipv4_frame(kWanMac, kH1Mac, ip, udp_for(ip)));
    EXPECT_EQ(h().dropped(Drop::eth_foreign_unicast), 2u);
    EXPECT_EQ(h().total_dropped(), 2u) << h().drops_summary();
    expect_nothing_out();
}

// RFC 1812 5.3.4: never forwarded when it came in a link-layer broadcast, even to a unicast address.
TEST_F(Pipeline, DropsUnicastDatagramInLinkBroadcastFrame) {
    const Ipv4Fields ip = from_h1(kH2Addr);
    h().receive(kLanPort, ipv4_frame(kBroadcastMac, kH1Mac, ip, udp_for(ip)));
    expect_only_drop(Drop::link_broadcast_not_forwarded);
    expect_nothing_out();
}

TEST_F(Pipeline, DropsUnicastDatagramInLinkMulticastFrame) {
    const Ipv4Fields ip = from_h1(ipv4(10, 99, 1, 1));
    h().receive(kLanPort, ipv4_frame(Mac{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}, kH1Mac, ip, udp_for(ip)));
    expect_only_drop(Drop::link_broadcast_not_forwarded);
    expect_nothing_out();
}

// ... but may still be delivered locally.
TEST_F(Pipeline, AnswersEchoRequestInLinkBroadcastFrame) {
    const Ipv4Fields ip = echo_request_ip(kH1Addr, kLanAddr);
    const Bytes data = pattern(24);
    h().receive(kLanPort, ipv4_frame(kBroadcastMac, kH1Mac, ip, icmp_echo(kIcmpEchoRequest, 77, 3, data)));
    EXPECT_TRUE(same_bytes(single_output(kLanPort), echo_reply_frame(kH1Mac, kLanMac, ip, kLanAddr, 77, 3, data)));
    EXPECT_EQ(h().total_dropped(), 0u) << h().drops_summary();
}

// ---------------------------------------------------------------------------------------------
// Routes that do not forward. Errors owed to the sender, if any, are the only thing that leaves.

TEST_F(Pipeline, DropsWithoutRoute) {
    const Ipv4Fields ip = from_h1(ipv4(192, 0, 2, 1));
    h().receive(kLanPort, lan_frame(ip, udp_for(ip)));
    expect_only_drop(Drop::no_route);
    expect_only_icmp_error(3, 0);
}

TEST_F(Pipeline, DropsBlackholeRoute) {
    const Ipv4Fields ip = from_h1(ipv4(10, 67, 1, 2));
    h().receive(kLanPort, lan_frame(ip, udp_for(ip)));
    expect_only_drop(Drop::route_blackhole);
    expect_nothing_out();
}

TEST_F(Pipeline, DropsUnreachableRoute) {
    const Ipv4Fields ip = from_h1(ipv4(10, 66, 200, 1));
    h().receive(kLanPort, lan_frame(ip, udp_for(ip)));
    expect_only_drop(Drop::route_unreachable);
    expect_only_icmp_error(3, 1);
}

TEST_F(Pipeline, DropsProhibitRoute) {
    const Ipv4Fields ip = from_h1(ipv4(10, 68, 0, 1));
    h().receive(kLanPort, lan_frame(ip, udp_for(ip)));
    expect_only_drop(Drop::route_prohibit);
    expect_only_icmp_error(3, 13);
}

// ---------------------------------------------------------------------------------------------
// TTL (RFC 1812 5.3.1, 4.2.2.9)

TEST_F(Pipeline, DropsTransitTtl1) {
    const Ipv4Fields ip = from_h1(kH2Addr, 1);
    h().receive(kLanPort, lan_frame(ip, udp_for(ip)));
    expect_only_drop(Drop::ttl_expired);
    expect_only_icmp_error(11, 0);
}

TEST_F(Pipeline, DropsTransitTtl0) {
    const Ipv4Fields ip = from_h1(ipv4(10, 99, 1, 1), 0);
    h().receive(kLanPort, lan_frame(ip, udp_for(ip)));
    expect_only_drop(Drop::ttl_expired);
    expect_only_icmp_error(11, 0);
}

TEST_F(Pipeline, ForwardsTransitTtl2) {
    const Ipv4Fields ip = from_h1(kH2Addr, 2);
    const Bytes l4 = udp_for(ip);
    h().receive(kLanPort, lan_frame(ip, l4));
    EXPECT_TRUE(same_bytes(single_output(kWanPort), ipv4_frame(kH2Mac, kWanMac, with_ttl(ip, 1), l4)));
}

TEST_F(Pipeline, AnswersEchoRequestWithTtl1) {
    const Ipv4Fields ip = echo_request_ip(kH1Addr, kLanAddr, 1);
    const Bytes data = pattern(16);
    h().receive(kLanPort, lan_frame(ip, icmp_echo(kIcmpEchoRequest, 9, 1, data)));
    EXPECT_TRUE(same_bytes(single_output(kLanPort), echo_reply_frame(kH1Mac, kLanMac, ip, kLanAddr, 9, 1, data)));
    EXPECT_EQ(h().total_dropped(), 0u) << h().drops_summary();
}

TEST_F(Pipeline, AnswersEchoRequestWithTtl0) {
    const Ipv4Fields ip = echo_request_ip(kH1Addr, kWanAddr, 0);
    const Bytes data = pattern(16);
    h().receive(kLanPort, lan_frame(ip, icmp_echo(kIcmpEchoRequest, 9, 2, data)));
    EXPECT_TRUE(same_bytes(single_output(kLanPort), echo_reply_frame(kH1Mac, kLanMac, ip, kWanAddr, 9, 2, data)));
    EXPECT_EQ(h().total_dropped(), 0u) << h().drops_summary();
}

// ---------------------------------------------------------------------------------------------
// Echo

TEST_F(Pipeline, EchoReplyByteExact) {
    Ipv4Fields ip = echo_request_ip(kH1Addr, kLanAddr);
    ip.tos = 0x10;
    const Bytes data = pattern(56, 0x10);
    h().receive(kLanPort, lan_frame(ip, icmp_echo(kIcmpEchoRequest, 0x4242, 0x0102, data)));
    const Bytes out = single_output(kLanPort);
    EXPECT_TRUE(same_bytes(out, echo_reply_frame(kH1Mac, kLanMac, ip, kLanAddr, 0x4242, 0x0102, data)));
    EXPECT_TRUE(ipv4_header_checksum_ok(out));
    EXPECT_EQ(h().counted(Event::echo_replies), 1u);
    EXPECT_EQ(h().counted(Event::forwarded), 0u);
}

// The far address answers from itself, and the reply leaves by the route back to the requester.
TEST_F(Pipeline, EchoReplyFromFarAddress) {
    const Ipv4Fields ip = echo_request_ip(kH1Addr, kWanAddr);
    const Bytes data = pattern(32);
    h().receive(kLanPort, lan_frame(ip, icmp_echo(kIcmpEchoRequest, 1, 1, data)));
    EXPECT_TRUE(same_bytes(single_output(kLanPort), echo_reply_frame(kH1Mac, kLanMac, ip, kWanAddr, 1, 1, data)));
}

TEST_F(Pipeline, EchoReplyToWanHost) {
    const Ipv4Fields ip = echo_request_ip(kH2Addr, kLanAddr);
    const Bytes data = pattern(8);
    h().receive(kWanPort, ipv4_frame(kWanMac, kH2Mac, ip, icmp_echo(kIcmpEchoRequest, 5, 6, data)));
    EXPECT_TRUE(same_bytes(single_output(kWanPort), echo_reply_frame(kH2Mac, kWanMac, ip, kLanAddr, 5, 6, data)));
}

TEST_F(Pipeline, EchoReplyToRemoteRequesterGoesViaGateway) {
    const Ipv4Fields ip = echo_request_ip(ipv4(10, 99, 3, 4), kWanAddr, 60);
    const Bytes data = pattern(20);
    h().receive(kWanPort, ipv4_frame(kWanMac, kGatewayMac, ip, icmp_echo(kIcmpEchoRequest, 5, 6, data)));
    EXPECT_TRUE(
        same_bytes(single_output(kWanPort), echo_reply_frame(kGatewayMac, kWanMac, ip, kWanAddr, 5, 6, data)));
}

TEST_F(Pipeline, EchoRequestWithOptionsRepliedWithoutOptions) {
    Ipv4Fields ip = echo_request_ip(kH1Addr, kLanAddr);
    ip.options = {0x9e, 0x04, 0xab, 0xcd, 0x01, 0x01, 0x01, 0x00};
    const Bytes data = pattern(40);
    h().receive(kLanPort, lan_frame(ip, icmp_echo(kIcmpEchoRequest, 11, 12, data)));
    const Bytes out = single_output(kLanPort);
    EXPECT_TRUE(same_bytes(out, echo_reply_frame(kH1Mac, kLanMac, ip, kLanAddr, 11, 12, data)));
    ASSERT_GT(out.size(), kEthHdrLen);
    EXPECT_EQ(out[kEthHdrLen], 0x45);
}

TEST_F(Pipeline, EchoReplyOddLengthData) {
    const Ipv4Fields ip = echo_request_ip(kH1Addr, kLanAddr);
    const Bytes data = pattern(37, 0xf1);
    h().receive(kLanPort, lan_frame(ip, icmp_echo(kIcmpEchoRequest, 0xffff, 0xfffe, data)));
    EXPECT_TRUE(same_bytes(single_output(kLanPort),
                           echo_reply_frame(kH1Mac, kLanMac, ip, kLanAddr, 0xffff, 0xfffe, data)));
}

// A minimal echo request arrives padded to 60 bytes; the reply carries no padding.
TEST_F(Pipeline, EchoReplyToPaddedRequest) {
    const Ipv4Fields ip = echo_request_ip(kH1Addr, kLanAddr);
    h().receive(kLanPort, lan_frame(ip, icmp_echo(kIcmpEchoRequest, 3, 4, {}), kEthMinFrame));
    const Bytes out = single_output(kLanPort);
    EXPECT_EQ(out.size(), 42u);
    EXPECT_TRUE(same_bytes(out, echo_reply_frame(kH1Mac, kLanMac, ip, kLanAddr, 3, 4, {})));
}

// The sequence number is chosen so that the reply's ICMP checksum is 0x0000.
TEST_F(Pipeline, EchoReplyWhoseIcmpChecksumIsZero) {
    const Ipv4Fields ip = echo_request_ip(kH1Addr, kLanAddr);
    const Bytes data = pattern(12, 0x33);
    const uint16_t ident = 0x0a0b;
    Bytes partial = icmp_echo(kIcmpEchoReply, ident, 0, data);
    put16(partial, 2, 0);
    const uint16_t seq = static_cast<uint16_t>(~ones_sum(partial.data(), partial.size()));
    const Bytes expected = echo_reply_frame(kH1Mac, kLanMac, ip, kLanAddr, ident, seq, data);
    ASSERT_EQ(get16(expected, kEthHdrLen + 20 + 2), 0x0000);
    h().receive(kLanPort, lan_frame(ip, icmp_echo(kIcmpEchoRequest, ident, seq, data)));
    EXPECT_TRUE(same_bytes(single_output(kLanPort), expected));
}

// Found by fuzzing: identifier 0, sequence 0, no data. The reply is all zeros but for its checksum,
// which must then be 0xFFFF: with 0x0000 the receiver's sum is +0, not -0, and Linux drops it.
TEST_F(Pipeline, EchoReplyOfAllZerosCarriesChecksumFFFF) {
    const Ipv4Fields ip = echo_request_ip(kH1Addr, kLanAddr);
    h().receive(kLanPort, lan_frame(ip, icmp_echo(kIcmpEchoRequest, 0, 0, {})));
    const Bytes expected = echo_reply_frame(kH1Mac, kLanMac, ip, kLanAddr, 0, 0, {});
    ASSERT_EQ(get16(expected, kEthHdrLen + 20 + 2), 0xffff);
    const Bytes out = single_output(kLanPort);
    EXPECT_TRUE(same_bytes(out, expected));
    ASSERT_EQ(out.size(), kEthHdrLen + 28);
    EXPECT_EQ(ones_sum(out.data() + kEthHdrLen + 20, 8), 0xffff) << "the receiver's check";
}

TEST_F(Pipeline, DropsEchoRequestWithBadIcmpChecksum) {
    const Ipv4Fields ip = echo_request_ip(kH1Addr, kLanAddr);
    Bytes icmp = icmp_echo(kIcmpEchoRequest, 1, 2, pattern(16));
    icmp[3] ^= 0x40;
    h().receive(kLanPort, lan_frame(ip, icmp));
    expect_only_drop(Drop::local_icmp_bad_checksum);
    expect_nothing_out();
    EXPECT_EQ(h().counted(Event::echo_replies), 0u);
}

// ---------------------------------------------------------------------------------------------
// Echo replies larger than the egress MTU leave in fragments (DF clear), as Linux sends them.

// The lab with the wan MTU given.
template <unsigned WanMtu>
class PipelineWithWanMtu : public Pipeline {
protected:
    dprouter::Config make_config() override {
        dprouter::Config cfg = lab_config();
        interface_named(cfg, "wan").mtu = WanMtu;
        return cfg;
    }
};
using PipelineWanMtu576 = PipelineWithWanMtu<576>;

// A 1028-byte request from H2 (its link takes it) answered out of a 576-byte wan: two fragments of
// the reply, 552 and 456 ICMP bytes, the reply's header (the request's ID) on both.
TEST_F(PipelineWanMtu576, EchoReplyOf1028BytesIsFragmented) {
    const Ipv4Fields ip = echo_request_ip(kH2Addr, kWanAddr);  // DF set, as Linux ping sends it
    const Bytes data = pattern(1000, 0x21);
    const Bytes request = icmp_echo(kIcmpEchoRequest, 0x77, 3, data);
    ASSERT_EQ(20 + request.size(), 1028u);
    h().receive(kWanPort, ipv4_frame(kWanMac, kH2Mac, ip, request));
    const Bytes reply_icmp = icmp_echo(kIcmpEchoReply, 0x77, 3, data);
    Ipv4Fields r;
    r.tos = ip.tos;
    r.id = ip.id;
    r.ttl = 64;
    r.protocol = kProtoIcmp;
    r.src = kWanAddr;
    r.dst = kH2Addr;
    Ipv4Fields first = r, second = r;
    first.frag = kIpMf;
    second.frag = 552 / 8;
    const auto out = h().take_emitted();
    ASSERT_EQ(out.size(), 2u) << h().drops_summary();
    EXPECT_EQ(out[0].port, kWanPort);
    EXPECT_EQ(out[1].port, kWanPort);
    EXPECT_TRUE(same_bytes(out[0].bytes, ipv4_frame(kH2Mac, kWanMac, first, Bytes(reply_icmp.begin(), reply_icmp.begin() + 552))));
    EXPECT_TRUE(same_bytes(out[1].bytes, ipv4_frame(kH2Mac, kWanMac, second, Bytes(reply_icmp.begin() + 552, reply_icmp.end()))));
    EXPECT_EQ(h().counted(Event::echo_replies), 1u);
    EXPECT_EQ(h().counted(Event::fragments_created), 2u);
    EXPECT_EQ(h().counted(Event::forwarded), 0u) << "a reply of ours is not forwarded traffic";
}

// A reply that fits goes whole.
TEST_F(PipelineWanMtu576, EchoReplyOfExactlyTheMtuIsNotFragmented) {
    const Ipv4Fields ip = echo_request_ip(kH2Addr, kWanAddr);
    const Bytes data = pattern(576 - 28, 0x21);
    h().receive(kWanPort, ipv4_frame(kWanMac, kH2Mac, ip, icmp_echo(kIcmpEchoRequest, 1, 2, data)));
    EXPECT_TRUE(same_bytes(single_output(kWanPort), echo_reply_frame(kH2Mac, kWanMac, ip, kWanAddr, 1, 2, data)));
}

// ---------------------------------------------------------------------------------------------
// Egress MTU (RFC 1191): a DF datagram of exactly the MTU goes, one byte more does not.

using PipelineSmallWanMtu = PipelineWithWanMtu<1300>;

TEST_F(PipelineSmallWanMtu, ForwardsDfDatagramOfExactlyTheMtu) {
    Ipv4Fields ip = from_h1(kH2Addr);
    ip.frag = kIpDf;
    const Bytes l4 = udp_for(ip, 1300 - 28);
    h().receive(kLanPort, lan_frame(ip, l4));
    EXPECT_TRUE(same_bytes(single_output(kWanPort), ipv4_frame(kH2Mac, kWanMac, with_ttl(ip, 63), l4)));
    EXPECT_EQ(h().total_dropped(), 0u) << h().drops_summary();
}

TEST_F(PipelineSmallWanMtu, DropsDfDatagramOneByteOverTheMtu) {
    Ipv4Fields ip = from_h1(kH2Addr);
    ip.frag = kIpDf;
    h().receive(kLanPort, lan_frame(ip, udp_for(ip, 1301 - 28)));
    expect_only_drop(Drop::mtu_exceeded);
    expect_only_icmp_error(3, 4);
}

TEST_F(PipelineSmallWanMtu, LanMtuUnaffected) {
    Ipv4Fields ip = echo_request_ip(kH2Addr, kH1Addr);
    const Bytes l4 = icmp_echo(kIcmpEchoRequest, 1, 1, pattern(1500 - 28));
    h().receive(kWanPort, ipv4_frame(kWanMac, kH2Mac, ip, l4));
    EXPECT_TRUE(same_bytes(single_output(kLanPort), ipv4_frame(kH1Mac, kLanMac, with_ttl(ip, 63), l4)));
}

// ---------------------------------------------------------------------------------------------
// A default route (0.0.0.0/0 via the gateway): the validator accepts it, so the tables must hold it.

class PipelineDefaultRoute : public Pipeline {
protected:
    dprouter::Config make_config() override {
        dprouter::Config cfg = lab_config();
        dprouter::RouteConfig def;
        def.prefix = {0, 0};
        def.has_via = true;
        def.via = kGatewayAddr;
        cfg.routes.push_back(def);
        return cfg;
    }
};

TEST_F(PipelineDefaultRoute, ForwardsViaDefaultRoute) {
    const Ipv4Fields ip = from_h1(ipv4(198, 51, 100, 7));
    const Bytes l4 = udp_for(ip);
    h().receive(kLanPort, lan_frame(ip, l4));
    EXPECT_TRUE(same_bytes(single_output(kWanPort), ipv4_frame(kGatewayMac, kWanMac, with_ttl(ip, 63), l4)));
    // More specific routes still win.
    const Ipv4Fields bh = from_h1(ipv4(10, 67, 0, 1));
    h().receive(kLanPort, lan_frame(bh, udp_for(bh)));
    EXPECT_EQ(h().dropped(Drop::route_blackhole), 1u);
    EXPECT_TRUE(h().take_emitted().empty());
}

// ---------------------------------------------------------------------------------------------
// Unresolved next hops: to the control thread with the next hop and egress port, TTL already spent.

TEST_F(Pipeline, HoldsPacketForUnresolvedConnectedHost) {
    const uint32_t dst = ipv4(10, 2, 0, 3);
    const Ipv4Fields ip = from_h1(dst);
    const Bytes l4 = udp_for(ip);
    h().receive(kLanPort, lan_frame(ip, l4));
    EXPECT_TRUE(h().take_emitted().empty());
    const auto held = h().take_held();
    ASSERT_EQ(held.size(), 1u) << h().drops_summary();
    EXPECT_EQ(held[0].next_hop_be, to_be(dst));
    EXPECT_EQ(held[0].port, kWanPort);
    // The Ethernet header is rewritten when the neighbour is known; the IP header already is.
    EXPECT_TRUE(same_bytes(held[0].bytes, lan_frame(with_ttl(ip, 63), l4)));
    EXPECT_EQ(h().counted(Event::held_for_arp), 1u);
    EXPECT_EQ(h().total_dropped(), 0u) << h().drops_summary();
}

TEST_F(Pipeline, HoldsPacketForUnresolvedGateway) {
    // Only H1 is known; the gateway is not: no longer static, it is a learnt entry whose unicast
    // confirmations go unanswered until it expires.
    h().set_static_neighbors({{to_be(kH1Addr), kLanPort, to_ether(kH1Mac)}});
    for (uint64_t t = 0; t <= 3 * dprouter::kArpRetryMs; t += dprouter::kArpRetryMs) h().control(t);
    h().take_emitted();  // the probes
    ASSERT_FALSE(h().neighbor(kGatewayAddr, kWanPort).has_value());
    const Ipv4Fields ip = from_h1(ipv4(10, 99, 200, 1), 9);
    const Bytes l4 = udp_for(ip);
    h().receive(kLanPort, lan_frame(ip, l4));
    const auto held = h().take_held();
    ASSERT_EQ(held.size(), 1u) << h().drops_summary();
    EXPECT_EQ(held[0].next_hop_be, to_be(kGatewayAddr));
    EXPECT_EQ(held[0].port, kWanPort);
    EXPECT_TRUE(same_bytes(held[0].bytes, lan_frame(with_ttl(ip, 8), l4)));
}

// An echo reply to a requester whose MAC is unknown waits for ARP like any packet.
TEST_F(Pipeline, HoldsEchoReplyForUnresolvedRequester) {
    const uint32_t requester = ipv4(10, 1, 0, 50);
    const Mac requester_mac{0x02, 0, 0, 0, 0x01, 0x50};
    const Ipv4Fields ip = echo_request_ip(requester, kLanAddr);
    const Bytes data = pattern(8);
    h().receive(kLanPort, ipv4_frame(kLanMac, requester_mac, ip, icmp_echo(kIcmpEchoRequest, 1, 1, data)));
    const auto held = h().take_held();
    ASSERT_EQ(held.size(), 1u) << h().drops_summary();
    EXPECT_EQ(held[0].next_hop_be, to_be(requester));
    EXPECT_EQ(held[0].port, kLanPort);
    // Still addressed as the request was: the resolver fills in the MACs.
    EXPECT_TRUE(
        same_bytes(held[0].bytes, echo_reply_frame(kLanMac, requester_mac, ip, kLanAddr, 1, 1, data)));
}

}  // namespace
}  // namespace dprtest
