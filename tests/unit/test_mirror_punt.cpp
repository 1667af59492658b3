// The punt path (control_plane.mirror, docs/control-plane.md): with the mirror on, what is addressed
// to the router and not answered by the dataplane reaches the punt ring byte for byte, ARP and
// Neighbor Discovery messages for us are answered and copied, echo stays in the dataplane, a full
// ring drops and counts while transit traffic goes on; and the filter on what the kernel sends.
#include <gtest/gtest.h>

#include <atomic>
#include <string>

#include <rte_ring.h>

#include "control/mirror.hpp"
#include "dprouter/rings.hpp"
#include "ipv6_fixture.hpp"
#include "nd_builder.hpp"

namespace dprtest {
namespace {

using namespace lab;

struct Punted {
    uint16_t port;
    Bytes bytes;
};

std::atomic<unsigned> g_ring_seq{0};

class MirrorPunt : public RouterTest {
protected:
    dprouter::Config make_config() override {
        dprouter::Config cfg = lab6_config();
        cfg.control_plane.mirror = true;
        return cfg;
    }
    void SetUp() override {
        RouterTest::SetUp();
        use_ring(1024);
        add_lab_neighbors();
        set_neighbor6(h(), lab6::kH1, kLanPort, kH1Mac);
        set_neighbor6(h(), lab6::kH1LinkLocal, kLanPort, kH1Mac);
        set_neighbor6(h(), lab6::kH2, kWanPort, kH2Mac);
    }
    void TearDown() override {
        take_punted();
        rte_ring_free(ring_);
        h().ctx().punt_ring = nullptr;
        RouterTest::TearDown();
    }
    void use_ring(unsigned size) {
        if (ring_ != nullptr) {
            take_punted();
            rte_ring_free(ring_);
        }
        ring_ = dprouter::make_spsc_ring("utpunt" + std::to_string(g_ring_seq++), size, sizeof(void*), 0);
        h().ctx().punt_ring = ring_;
    }
    std::vector<Punted> take_punted() {
        std::vector<Punted> v;
        void* p;
        while (ring_ != nullptr && rte_ring_sc_dequeue(ring_, &p) == 0) {
            auto* m = static_cast<rte_mbuf*>(p);
            v.push_back({m->port, mbuf_bytes(m)});
            rte_pktmbuf_free(m);
        }
        return v;
    }
    // The frame as the input stages leave it: Ethernet padding after an IP datagram trimmed
    // (RFC 1812 5.2.2 keeps total-length bytes); everything else as received.
    static Bytes trimmed(const Bytes& frame) {
        size_t len = frame.size();
        if (get16(frame, 12) == kEtherIpv4) len = kEthHdrLen + get16(frame, kEthHdrLen + 2);
        if (get16(frame, 12) == kEtherIpv6) len = kEthHdrLen + 40 + get16(frame, kEthHdrLen + 4);
        return Bytes(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(std::min(len, frame.size())));
    }
    // `frame` arrives on `port`; nothing is sent, and exactly it reaches the punt ring.
    void expect_punted_only(uint16_t port, const Bytes& frame) {
        h().receive(port, frame);
        const auto out = h().take_emitted();
        EXPECT_TRUE(out.empty()) << out.size() << " frame(s) sent; drops: " << h().drops_summary();
        const auto punted = take_punted();
        ASSERT_EQ(punted.size(), 1u) << h().drops_summary();
        EXPECT_EQ(punted[0].port, port);
        EXPECT_TRUE(same_bytes(punted[0].bytes, trimmed(frame)));
        EXPECT_EQ(h().counted(Event::punted), 1u);
        EXPECT_EQ(h().total_dropped(), 0u) << h().drops_summary();
        EXPECT_EQ(h().counters().icmp_sent_total(), 0u);
    }
    static Bytes v4_from_h1(uint32_t dst, uint8_t proto, const Bytes& l4, const Mac& eth_dst = kLanMac) {
        Ipv4Fields f;
        f.src = kH1Addr;
        f.dst = dst;
        f.protocol = proto;
        return ipv4_frame(eth_dst, kH1Mac, f, l4, kEthMinFrame);
    }
    static Bytes v6_from(const Addr6& src, const Addr6& dst, uint8_t nh, const Bytes& l4, const Mac& eth_dst = kLanMac,
                         uint8_t hop_limit = 64) {
        Ipv6Fields f = fields6(src, dst, hop_limit, nh);
        return ipv6_frame(eth_dst, kH1Mac, f, l4, kEthMinFrame);
    }

    rte_ring* ring_ = nullptr;
};

TEST_F(MirrorPunt, TcpSynToRouterIsPuntedInsteadOfReset) {
    TcpFields t;
    t.dport = 179;
    expect_punted_only(kLanPort, v4_from_h1(kLanAddr, kProtoTcp, tcp_segment(kH1Addr, kLanAddr, t, {})));
    EXPECT_EQ(h().dropped(Drop::local_tcp_closed_port), 0u);
}

TEST_F(MirrorPunt, TcpToOtherInterfaceAddressIsPuntedOnArrivalPort) {
    TcpFields t;
    t.dport = 22;
    expect_punted_only(kLanPort, v4_from_h1(kWanAddr, kProtoTcp, tcp_segment(kH1Addr, kWanAddr, t, pattern(100))));
}

TEST_F(MirrorPunt, UdpToRouterIsPuntedInsteadOfPortUnreachable) {
    expect_punted_only(kLanPort, v4_from_h1(kLanAddr, kProtoUdp, udp_segment(kH1Addr, kLanAddr, 5000, 53, pattern(40))));
}

TEST_F(MirrorPunt, OtherProtocolIsPuntedInsteadOfProtocolUnreachable) {
    expect_punted_only(kLanPort, v4_from_h1(kLanAddr, 112, pattern(20)));  // VRRP
}

TEST_F(MirrorPunt, FragmentToRouterIsPuntedForTheKernelToReassemble) {
    Ipv4Fields f;
    f.src = kH1Addr;
    f.dst = kLanAddr;
    f.protocol = kProtoUdp;
    f.frag = kIpMf;  // first fragment
    expect_punted_only(kLanPort, ipv4_frame(kLanMac, kH1Mac, f, pattern(64), kEthMinFrame));
    EXPECT_EQ(h().dropped(Drop::local_unhandled), 0u);
}

TEST_F(MirrorPunt, FragmentedEchoRequestIsPuntedNotAnswered) {
    Ipv4Fields f;
    f.src = kH1Addr;
    f.dst = kLanAddr;
    f.protocol = kProtoIcmp;
    f.frag = kIpMf;
    expect_punted_only(kLanPort, ipv4_frame(kLanMac, kH1Mac, f, icmp_echo(kIcmpEchoRequest, 1, 1, pattern(64)), kEthMinFrame));
    EXPECT_EQ(h().counted(Event::echo_replies), 0u);
}

TEST_F(MirrorPunt, Ipv6FragmentToRouterIsPunted) {
    // Fragment header: next header UDP, offset 0 with M set, identification 7.
    const Bytes frag_hdr{kProtoUdp, 0, 0x00, 0x01, 0, 0, 0, 7};
    expect_punted_only(kLanPort, v6_from(lab6::kH1, lab6::kLanAddr, kNh6Fragment, concat(frag_hdr, pattern(48))));
    EXPECT_EQ(h().dropped(Drop::local6_fragment), 0u);
}

TEST_F(MirrorPunt, OspfHelloToAllSpfRoutersIsPunted) {
    const Mac group{0x01, 0x00, 0x5e, 0x00, 0x00, 0x05};
    Ipv4Fields f;
    f.src = kH1Addr;
    f.dst = ipv4(224, 0, 0, 5);
    f.protocol = 89;
    f.ttl = 1;
    expect_punted_only(kLanPort, ipv4_frame(group, kH1Mac, f, pattern(44), kEthMinFrame));
}

TEST_F(MirrorPunt, MulticastBeyondLinkLocalGroupsIsStillDropped) {
    const Mac group{0x01, 0x00, 0x5e, 0x01, 0x01, 0x01};
    Ipv4Fields f;
    f.src = kH1Addr;
    f.dst = ipv4(239, 1, 1, 1);
    h().receive(kLanPort, ipv4_frame(group, kH1Mac, f, udp_segment(kH1Addr, f.dst, 1, 2, pattern(8)), kEthMinFrame));
    EXPECT_TRUE(take_punted().empty());
    EXPECT_EQ(h().dropped(Drop::multicast_not_forwarded), 1u);
}

TEST_F(MirrorPunt, EchoReplyAndIcmpErrorsToRouterArePunted) {
    expect_punted_only(kLanPort, v4_from_h1(kLanAddr, kProtoIcmp, icmp_echo(kIcmpEchoReply, 7, 1, pattern(16))));
}

TEST_F(MirrorPunt, EchoRequestIsStillAnsweredByTheDataplane) {
    h().receive(kLanPort, v4_from_h1(kLanAddr, kProtoIcmp, icmp_echo(kIcmpEchoRequest, 7, 1, pattern(16))));
    const auto out = h().take_emitted();
    ASSERT_EQ(out.size(), 1u) << h().drops_summary();
    const auto v = icmp_view(out[0].bytes);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->type, kIcmpEchoReply);
    EXPECT_EQ(v->src, kLanAddr);
    EXPECT_TRUE(take_punted().empty());
    EXPECT_EQ(h().counted(Event::echo_replies), 1u);
}

TEST_F(MirrorPunt, ArpRequestIsAnsweredAndACopyPunted) {
    const Bytes request = arp_frame(kBroadcastMac, kH1Mac, kArpRequest, kH1Mac, kH1Addr, kZeroMac, kLanAddr);
    h().receive(kLanPort, request);
    const auto out = h().take_emitted();
    ASSERT_EQ(out.size(), 1u) << h().drops_summary();
    EXPECT_EQ(get16(out[0].bytes, kEthHdrLen + 6), kArpReply);
    const auto punted = take_punted();
    ASSERT_EQ(punted.size(), 1u);
    EXPECT_EQ(punted[0].port, kLanPort);
    EXPECT_TRUE(same_bytes(punted[0].bytes, request));
    EXPECT_EQ(h().take_learned().size(), 1u);  // the dataplane still learns it
}

TEST_F(MirrorPunt, ArpReplyForUsIsPuntedAndLearnt) {
    expect_punted_only(kLanPort, arp_frame(kLanMac, kH1Mac, kArpReply, kH1Mac, kH1Addr, kLanMac, kLanAddr));
    EXPECT_EQ(h().take_learned().size(), 1u);
}

TEST_F(MirrorPunt, ArpNotForUsIsNotPunted) {
    h().receive(kLanPort, arp_frame(kBroadcastMac, kH1Mac, kArpRequest, kH1Mac, kH1Addr, kZeroMac, ipv4(10, 1, 0, 77)));
    EXPECT_TRUE(take_punted().empty());
    EXPECT_EQ(h().dropped(Drop::arp_not_for_us), 1u);
}

TEST_F(MirrorPunt, Ipv6TcpAndUdpToRouterArePunted) {
    TcpFields t;
    t.dport = 179;
    expect_punted_only(kLanPort, v6_from(lab6::kH1, lab6::kLanAddr, kProtoTcp, tcp6_segment(lab6::kH1, lab6::kLanAddr, t, {})));
}

TEST_F(MirrorPunt, Ipv6UdpToLinkLocalIsPunted) {
    expect_punted_only(kLanPort, v6_from(lab6::kH1LinkLocal, lab6::kLanLinkLocal, kProtoUdp,
                                         udp6_segment(lab6::kH1LinkLocal, lab6::kLanLinkLocal, 521, 521, pattern(24))));
}

TEST_F(MirrorPunt, Ospf6HelloToAllSpfRoutersIsPunted) {
    const Addr6 group = ip6("ff02::5");
    expect_punted_only(kLanPort, v6_from(lab6::kH1LinkLocal, group, 89, pattern(40), multicast_mac6(group), 1));
}

TEST_F(MirrorPunt, Ipv6UnknownNextHeaderToUsIsPuntedNotRefused) {
    expect_punted_only(kLanPort, v6_from(lab6::kH1, lab6::kLanAddr, 112, pattern(40)));
}

TEST_F(MirrorPunt, Ipv6EchoReplyIsPuntedRequestAnswered) {
    expect_punted_only(kLanPort, v6_from(lab6::kH1, lab6::kLanAddr, kNh6Icmp,
                                         icmp6_echo(lab6::kH1, lab6::kLanAddr, kIcmp6EchoReply, 9, 1, pattern(16))));
    h().receive(kLanPort, v6_from(lab6::kH1, lab6::kLanAddr, kNh6Icmp,
                                  icmp6_echo(lab6::kH1, lab6::kLanAddr, kIcmp6EchoRequest, 9, 2, pattern(16))));
    const auto out = h().take_emitted();
    ASSERT_EQ(out.size(), 1u) << h().drops_summary();
    const auto v = icmp6_view(out[0].bytes);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->type, kIcmp6EchoReply);
    EXPECT_TRUE(take_punted().empty());
}

TEST_F(MirrorPunt, NeighborSolicitationIsAnsweredAndACopyPunted) {
    using namespace nd6;
    const Bytes ns = icmp6_frame(multicast_mac(solicited_node(lab6::kLanAddr)), kH1Mac, lab6::kH1,
                                 solicited_node(lab6::kLanAddr), 255, kNs, 0,
                                 ns_rest(lab6::kLanAddr, link_option(1, kH1Mac)));
    h().receive(kLanPort, ns);
    const auto out = h().take_emitted();
    ASSERT_EQ(out.size(), 1u) << h().drops_summary();
    EXPECT_EQ(out[0].bytes.at(kL4Off), kNa);
    const auto punted = take_punted();
    ASSERT_EQ(punted.size(), 1u);
    EXPECT_TRUE(same_bytes(punted[0].bytes, ns));
}

TEST_F(MirrorPunt, NeighborAdvertisementIsPunted) {
    using namespace nd6;
    const Bytes na = icmp6_frame(kLanMac, kH1Mac, lab6::kH1, lab6::kLanAddr, 255, kNa, 0,
                                 na_rest(0x60, lab6::kH1, link_option(2, kH1Mac)));
    expect_punted_only(kLanPort, na);
}

TEST_F(MirrorPunt, FullRingDropsAndCountsWhileTransitGoesOn) {
    use_ring(4);  // holds 3
    std::vector<Bytes> burst;
    for (uint16_t i = 0; i < 10; ++i) {
        TcpFields t;
        t.sport = static_cast<uint16_t>(40000 + i);
        t.dport = 179;
        burst.push_back(v4_from_h1(kLanAddr, kProtoTcp, tcp_segment(kH1Addr, kLanAddr, t, {})));
    }
    Ipv4Fields f;
    f.src = kH1Addr;
    f.dst = kH2Addr;
    burst.push_back(ipv4_frame(kLanMac, kH1Mac, f, udp_segment(kH1Addr, kH2Addr, 1000, 2000, pattern(30)), kEthMinFrame));
    h().receive_burst(kLanPort, burst);
    const auto out = h().take_emitted();
    ASSERT_EQ(out.size(), 1u) << h().drops_summary();
    EXPECT_EQ(out[0].port, kWanPort);
    EXPECT_EQ(take_punted().size(), 3u);
    EXPECT_EQ(h().counted(Event::punted), 3u);
    EXPECT_EQ(h().dropped(Drop::punt_queue_full), 7u);
    EXPECT_EQ(h().counted(Event::forwarded), 1u);
}

// Without the mirror nothing changes: the reset and the port unreachable are the dataplane's, and
// no punt ring is needed (the harness has none).
using MirrorOff = RouterTest;

TEST_F(MirrorOff, TcpAndUdpToRouterAreStillAnsweredByTheDataplane) {
    add_lab_neighbors();
    ASSERT_EQ(h().ctx().punt_ring, nullptr);
    TcpFields t;
    t.dport = 179;
    Ipv4Fields f;
    f.src = kH1Addr;
    f.dst = kLanAddr;
    f.protocol = kProtoTcp;
    h().receive(kLanPort, ipv4_frame(kLanMac, kH1Mac, f, tcp_segment(kH1Addr, kLanAddr, t, {}), kEthMinFrame));
    f.protocol = kProtoUdp;
    h().receive(kLanPort, ipv4_frame(kLanMac, kH1Mac, f, udp_segment(kH1Addr, kLanAddr, 5000, 53, pattern(8)), kEthMinFrame));
    EXPECT_EQ(h().take_emitted().size(), 2u);
    EXPECT_EQ(h().dropped(Drop::local_tcp_closed_port), 1u);
    EXPECT_EQ(h().dropped(Drop::local_udp_closed_port), 1u);
    EXPECT_EQ(h().counted(Event::punted), 0u);
}

// What the kernel may send out of a mirror.
class MirrorEgress : public RouterTest {
protected:
    bool may_leave(const Bytes& frame) {
        rte_mbuf* m = make_mbuf(h().pool(), frame);
        const bool ok = dprouter::mirror_frame_may_leave(m);
        rte_pktmbuf_free(m);
        return ok;
    }
};

TEST_F(MirrorEgress, KernelArpRepliesAreDroppedRequestsLeave) {
    EXPECT_FALSE(may_leave(arp_frame(kH1Mac, kLanMac, kArpReply, kLanMac, kLanAddr, kH1Mac, kH1Addr)));
    EXPECT_TRUE(may_leave(arp_frame(kBroadcastMac, kLanMac, kArpRequest, kLanMac, kLanAddr, kZeroMac, kH1Addr)));
}

TEST_F(MirrorEgress, KernelSolicitedAdvertisementsAreDroppedOthersLeave) {
    using namespace nd6;
    EXPECT_FALSE(may_leave(icmp6_frame(kH1Mac, kLanMac, lab6::kLanAddr, lab6::kH1, 255, kNa, 0,
                                       na_rest(0x60, lab6::kLanAddr, link_option(2, kLanMac)))));
    EXPECT_TRUE(may_leave(icmp6_frame(kH1Mac, kLanMac, lab6::kLanAddr, lab6::kAllNodes, 255, kNa, 0,
                                      na_rest(0x20, lab6::kLanAddr, link_option(2, kLanMac)))));
    EXPECT_TRUE(may_leave(icmp6_frame(multicast_mac(solicited_node(lab6::kH1)), kLanMac, lab6::kLanAddr,
                                      solicited_node(lab6::kH1), 255, kNs, 0, ns_rest(lab6::kH1, link_option(1, kLanMac)))));
}

TEST_F(MirrorEgress, KernelTcpLeavesRuntsDoNot) {
    TcpFields t;
    t.sport = 179;
    Ipv4Fields f;
    f.src = kLanAddr;
    f.dst = kH1Addr;
    f.protocol = kProtoTcp;
    EXPECT_TRUE(may_leave(ipv4_frame(kH1Mac, kLanMac, f, tcp_segment(kLanAddr, kH1Addr, t, {}))));
    EXPECT_FALSE(may_leave(Bytes(10, 0)));
}

TEST(MirrorName, LinuxInterfaceNamesOnly) {
    EXPECT_TRUE(dprouter::mirror_name_ok("lan"));
    EXPECT_TRUE(dprouter::mirror_name_ok("eth0.100"));
    EXPECT_TRUE(dprouter::mirror_name_ok("abcdefghijklmno"));  // 15
    EXPECT_FALSE(dprouter::mirror_name_ok("abcdefghijklmnop"));
    EXPECT_FALSE(dprouter::mirror_name_ok(""));
    EXPECT_FALSE(dprouter::mirror_name_ok(".."));
    EXPECT_FALSE(dprouter::mirror_name_ok("a/b"));
    EXPECT_FALSE(dprouter::mirror_name_ok("a,iface=x"));
    EXPECT_FALSE(dprouter::mirror_name_ok("a b"));
}

}  // namespace
}  // namespace dprtest
