// IPv6 Neighbor Discovery (RFC 4861): the worker's answers and checks (nd_input), resolution on the
// control thread (Nd6Resolver) through send_to_next_hop6 and the hold/inject rings, reachability
// states, static neighbours, and Redirects (maybe_redirect6). Expected frames are built from the
// RFC's layouts by nd_builder, checksums by the tests' own loop.
#include <rte_ip.h>

#include "dprouter/net.hpp"
#include "dprouter/route_lookup.hpp"
#include "nd_builder.hpp"
#include "packet_builder.hpp"
#include "pipeline/stage_nd.hpp"

namespace dprtest {
namespace {

using namespace dprouter;
using namespace nd6;

// The lab topology with IPv6: lan 2001:db8:1::1/64, wan 2001:db8:2::1/64 (link-local addresses
// from the MACs by modified EUI-64, written out here by hand), 2001:db8:99::/48 via 2001:db8:2::fe
// (a global gateway on wan), 2001:db8:77::/48 via fe80::fe on lan (a link-local gateway).
const Addr6 kLanGlobal = addr6("2001:db8:1::1");
const Addr6 kLanLinkLocal = addr6("fe80::ff:fe00:101");  // 02:00:00:00:01:01
const Addr6 kWanGlobal = addr6("2001:db8:2::1");
const Addr6 kWanLinkLocal = addr6("fe80::ff:fe00:201");  // 02:00:00:00:02:01
const Addr6 kH1 = addr6("2001:db8:1::2");
const Addr6 kH1LinkLocal = addr6("fe80::2");
const Addr6 kH3 = addr6("2001:db8:1::3");  // another host on lan
const Mac kH3Mac{0x02, 0x00, 0x00, 0x00, 0x01, 0x03};
const Addr6 kH2 = addr6("2001:db8:2::2");
const Addr6 kGateway = addr6("2001:db8:2::fe");
const Addr6 kLanRouter = addr6("fe80::fe");  // the gateway to 2001:db8:77::/48, on lan
const Mac kLanRouterMac{0x02, 0x00, 0x00, 0x00, 0x01, 0xfe};
const Addr6 kRemote = addr6("2001:db8:99::5");
const Addr6 kBehindLanRouter = addr6("2001:db8:77::5");
const Addr6 kUnspecified{};
const Addr6 kAllNodes = addr6("ff02::1");

constexpr uint8_t kFlagsSolicitedAnswer = 0xe0;  // R, S, O
constexpr uint8_t kFlagsDadAnswer = 0xa0;        // R, O
constexpr uint8_t kNaSolicitedOverride = 0x60;   // S, O (a host's answer)

Config nd_config() {
    Config cfg = lab_config();
    interface_named(cfg, "lan").addresses6.push_back({*parse_prefix6("2001:db8:1::1/64"), {}});
    interface_named(cfg, "wan").addresses6.push_back({*parse_prefix6("2001:db8:2::1/64"), {}});
    Route6Config remote;
    remote.prefix = *parse_prefix6("2001:db8:99::/48");
    remote.has_via = true;
    remote.via = Ipv6{kGateway};
    cfg.routes6.push_back(remote);
    Route6Config behind;
    behind.prefix = *parse_prefix6("2001:db8:77::/48");
    behind.has_via = true;
    behind.via = Ipv6{kLanRouter};
    behind.interface = "lan";
    cfg.routes6.push_back(behind);
    return cfg;
}

class NdTest : public RouterTest {
protected:
    Config make_config() override { return nd_config(); }

    // What the IPv6 input stage does with an ICMPv6 ND message to us: nd_input on a copy of `frame`.
    void nd_receive(uint16_t port, const Bytes& frame) {
        rte_mbuf* m = make_mbuf(h().pool(), frame);
        ASSERT_NE(m, nullptr);
        m->port = port;
        auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
        auto* ip = reinterpret_cast<rte_ipv6_hdr*>(eth + 1);
        stage::nd_input(h().ctx(), h().tables(), m, eth, ip, kL4Off, rte_be_to_cpu_16(ip->payload_len), port);
    }

    // What the forwarding stage does last: send_to_next_hop6 through the route of the packet's
    // destination (a transit packet's hop limit is already decremented).
    void send6(const Bytes& frame, bool transit = true) {
        rte_mbuf* m = make_mbuf(h().pool(), frame);
        ASSERT_NE(m, nullptr);
        auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
        auto* ip = reinterpret_cast<rte_ipv6_hdr*>(eth + 1);
        const NextHop6* nh = route6_lookup(h().tables(), ip->dst_addr);
        ASSERT_NE(nh, nullptr);
        stage::send_to_next_hop6(h().ctx(), h().tables(), m, eth, *nh, ip->dst_addr,
                                 transit ? dprouter::Outbound::transit : dprouter::Outbound::own);
    }

    // A transit packet arriving on `rx_port` about to leave by its route: maybe_redirect6, then
    // the packet is dropped by the test (forwarding is not what is tested here).
    void route_and_maybe_redirect(uint16_t rx_port, const Bytes& frame) {
        rte_mbuf* m = make_mbuf(h().pool(), frame);
        ASSERT_NE(m, nullptr);
        const auto* ip = rte_pktmbuf_mtod_offset(m, const rte_ipv6_hdr*, RTE_ETHER_HDR_LEN);
        const NextHop6* nh = route6_lookup(h().tables(), ip->dst_addr);
        ASSERT_NE(nh, nullptr);
        stage::maybe_redirect6(h().ctx(), h().tables(), m, ip, *nh, rx_port);
        rte_pktmbuf_free(m);
    }

    static Bytes ns_from_h1(const Addr6& target, uint8_t hop_limit = 255) {
        const Addr6 group = solicited_node(target);
        return icmp6_frame(multicast_mac(group), lab::kH1Mac, kH1, group, hop_limit, kNs, 0,
                           ns_rest(target, link_option(1, lab::kH1Mac)));
    }

    // The datagram H1 sends to H2 (or anywhere), as the router forwards it (hop limit 63).
    static Bytes transit_packet(const Addr6& dst, uint8_t hop_limit = 63, size_t payload = 20) {
        return ethernet_frame(lab::kWanMac, lab::kH1Mac, kEtherIpv6, ipv6_packet(kH1, dst, kProtoUdp, hop_limit, pattern(payload)));
    }

    Bytes expected_ns(uint16_t port, const Mac& our_mac, const Addr6& our_ll, const Addr6& target, const Mac* unicast_to) {
        (void)port;
        const Addr6 dst = unicast_to ? target : solicited_node(target);
        const Mac eth_dst = unicast_to ? *unicast_to : multicast_mac(dst);
        return icmp6_frame(eth_dst, our_mac, our_ll, dst, 255, kNs, 0, ns_rest(target, link_option(1, our_mac)));
    }

    Bytes h2_answer(uint8_t flags = kNaSolicitedOverride, const Mac& mac = lab::kH2Mac) {
        return icmp6_frame(lab::kWanMac, mac, kH2, kWanLinkLocal, 255, kNa, 0, na_rest(flags, kH2, link_option(2, mac)));
    }
};

// ---------------------------------------------------------------------------------------------
// Answers (RFC 4861 7.2.4)

TEST_F(NdTest, SolicitationForOurGlobalAddressIsAnsweredByteForByte) {
    nd_receive(lab::kLanPort, ns_from_h1(kLanGlobal));
    const auto out = h().take_emitted();
    ASSERT_EQ(out.size(), 1u) << h().drops_summary();
    EXPECT_EQ(out[0].port, lab::kLanPort);
    const Bytes expected = icmp6_frame(lab::kH1Mac, lab::kLanMac, kLanGlobal, kH1, 255, kNa, 0,
                                       na_rest(kFlagsSolicitedAnswer, kLanGlobal, link_option(2, lab::kLanMac)));
    EXPECT_TRUE(same_bytes(out[0].bytes, expected));
    EXPECT_TRUE(icmp6_checksum_ok(out[0].bytes));
    EXPECT_EQ(h().counted(Event::nd_solicitations_answered), 1u);
}

TEST_F(NdTest, UnicastSolicitationForLinkLocalWithoutOptionGoesToFrameSource) {
    // A unicast NS (reachability confirmation) need not carry the source option (7.1.1).
    const Bytes ns = icmp6_frame(lab::kLanMac, lab::kH1Mac, kH1LinkLocal, kLanLinkLocal, 255, kNs, 0,
                                 ns_rest(kLanLinkLocal, {}));
    nd_receive(lab::kLanPort, ns);
    const auto out = h().take_emitted();
    ASSERT_EQ(out.size(), 1u) << h().drops_summary();
    const Bytes expected = icmp6_frame(lab::kH1Mac, lab::kLanMac, kLanLinkLocal, kH1LinkLocal, 255, kNa, 0,
                                       na_rest(kFlagsSolicitedAnswer, kLanLinkLocal, link_option(2, lab::kLanMac)));
    EXPECT_TRUE(same_bytes(out[0].bytes, expected));
    EXPECT_EQ(h().learned6_in_ring(), 0u);  // nothing to learn without the option
}

TEST_F(NdTest, DadProbeIsAnsweredToAllNodesWithoutSolicitedFlag) {
    const Addr6 group = solicited_node(kLanGlobal);
    const Bytes dad = icmp6_frame(multicast_mac(group), lab::kH1Mac, kUnspecified, group, 255, kNs, 0,
                                  ns_rest(kLanGlobal, {}));
    nd_receive(lab::kLanPort, dad);
    const auto out = h().take_emitted();
    ASSERT_EQ(out.size(), 1u) << h().drops_summary();
    const Bytes expected = icmp6_frame({0x33, 0x33, 0, 0, 0, 1}, lab::kLanMac, kLanGlobal, kAllNodes, 255, kNa, 0,
                                       na_rest(kFlagsDadAnswer, kLanGlobal, link_option(2, lab::kLanMac)));
    EXPECT_TRUE(same_bytes(out[0].bytes, expected));
    EXPECT_EQ(h().learned6_in_ring(), 0u);  // a probe's sender has no address yet
}

TEST_F(NdTest, DadProbeWithSourceOptionIsMalformed) {
    const Addr6 group = solicited_node(kLanGlobal);
    nd_receive(lab::kLanPort, icmp6_frame(multicast_mac(group), lab::kH1Mac, kUnspecified, group, 255, kNs, 0,
                                          ns_rest(kLanGlobal, link_option(1, lab::kH1Mac))));
    EXPECT_TRUE(h().take_emitted().empty());
    EXPECT_EQ(h().dropped(Drop::nd_malformed), 1u);
}

// ---------------------------------------------------------------------------------------------
// Validation (RFC 4861 6.1, 7.1.1, 7.1.2)

TEST_F(NdTest, HopLimitBelow255IsIgnored) {
    nd_receive(lab::kLanPort, ns_from_h1(kLanGlobal, 254));
    EXPECT_TRUE(h().take_emitted().empty());
    EXPECT_EQ(h().dropped(Drop::nd_bad_hop_limit), 1u);
    EXPECT_EQ(h().learned6_in_ring(), 0u);
}

TEST_F(NdTest, BadChecksumIsDropped) {
    Bytes ns = ns_from_h1(kLanGlobal);
    ns[kL4Off + 2] ^= 0x01;
    nd_receive(lab::kLanPort, ns);
    EXPECT_TRUE(h().take_emitted().empty());
    EXPECT_EQ(h().dropped(Drop::local6_icmp_bad_checksum), 1u);
}

TEST_F(NdTest, NonZeroCodeIsMalformed) {
    const Addr6 group = solicited_node(kLanGlobal);
    nd_receive(lab::kLanPort, icmp6_frame(multicast_mac(group), lab::kH1Mac, kH1, group, 255, kNs, 1,
                                          ns_rest(kLanGlobal, link_option(1, lab::kH1Mac))));
    EXPECT_TRUE(h().take_emitted().empty());
    EXPECT_EQ(h().dropped(Drop::nd_malformed), 1u);
}

TEST_F(NdTest, OptionOfLengthZeroIsMalformed) {
    const Addr6 group = solicited_node(kLanGlobal);
    Bytes opt = link_option(1, lab::kH1Mac);
    opt[1] = 0;
    nd_receive(lab::kLanPort, icmp6_frame(multicast_mac(group), lab::kH1Mac, kH1, group, 255, kNs, 0, ns_rest(kLanGlobal, opt)));
    EXPECT_TRUE(h().take_emitted().empty());
    EXPECT_EQ(h().dropped(Drop::nd_malformed), 1u);
}

TEST_F(NdTest, OptionBeyondTheMessageIsMalformed) {
    const Addr6 group = solicited_node(kLanGlobal);
    Bytes opt = link_option(1, lab::kH1Mac);
    opt[1] = 2;  // claims 16 bytes, 8 are there
    nd_receive(lab::kLanPort, icmp6_frame(multicast_mac(group), lab::kH1Mac, kH1, group, 255, kNs, 0, ns_rest(kLanGlobal, opt)));
    EXPECT_TRUE(h().take_emitted().empty());
    EXPECT_EQ(h().dropped(Drop::nd_malformed), 1u);
}

TEST_F(NdTest, TruncatedSolicitationIsMalformed) {
    const Addr6 group = solicited_node(kLanGlobal);
    Bytes rest = ns_rest(kLanGlobal, {});
    rest.resize(12);  // 16 bytes of message where 24 are the minimum
    nd_receive(lab::kLanPort, icmp6_frame(multicast_mac(group), lab::kH1Mac, kH1, group, 255, kNs, 0, rest));
    EXPECT_EQ(h().dropped(Drop::nd_malformed), 1u);
}

TEST_F(NdTest, MulticastTargetIsMalformed) {
    const Addr6 group = solicited_node(kLanGlobal);
    nd_receive(lab::kLanPort, icmp6_frame(multicast_mac(group), lab::kH1Mac, kH1, group, 255, kNs, 0,
                                          ns_rest(kAllNodes, link_option(1, lab::kH1Mac))));
    EXPECT_EQ(h().dropped(Drop::nd_malformed), 1u);
}

TEST_F(NdTest, SolicitationForAnAddressNotOursIsDropped) {
    nd_receive(lab::kLanPort, ns_from_h1(kH3));
    // Ours, but on the other interface: not answered on this link either.
    nd_receive(lab::kLanPort, ns_from_h1(kWanGlobal));
    EXPECT_TRUE(h().take_emitted().empty());
    EXPECT_EQ(h().dropped(Drop::nd_not_for_us), 2u);
    EXPECT_EQ(h().learned6_in_ring(), 0u);
}

TEST_F(NdTest, RouterAdvertisementsAreCountedAndIgnored) {
    const Bytes ra_rest{64, 0, 0x07, 0x08, 0, 0, 0, 0, 0, 0, 0, 0};  // hop limit, flags, lifetime, timers
    nd_receive(lab::kLanPort, icmp6_frame(multicast_mac(kAllNodes), kLanRouterMac, kLanRouter, kAllNodes, 255, kRa, 0, ra_rest));
    EXPECT_TRUE(h().take_emitted().empty());
    EXPECT_EQ(h().dropped(Drop::nd_ignored), 1u);
}

TEST_F(NdTest, MulticastAdvertisementWithSolicitedFlagIsMalformed) {
    nd_receive(lab::kWanPort, icmp6_frame(multicast_mac(kAllNodes), lab::kH2Mac, kH2, kAllNodes, 255, kNa, 0,
                                          na_rest(kNaSolicitedOverride, kH2, link_option(2, lab::kH2Mac))));
    EXPECT_EQ(h().dropped(Drop::nd_malformed), 1u);
    EXPECT_EQ(h().learned6_in_ring(), 0u);
}

// ---------------------------------------------------------------------------------------------
// Learning (7.2.3, 7.2.5) reaches the resolver and the table the workers read

TEST_F(NdTest, SolicitationSourceOptionCreatesAStaleEntry) {
    nd_receive(lab::kLanPort, ns_from_h1(kLanGlobal));
    h().take_emitted();
    const auto learned = h().take_learned6();
    ASSERT_EQ(learned.size(), 1u);
    std::vector<rte_mbuf*> out;
    h().nd_resolver().on_learn(learned[0], 0, out);  // as control() does, without its timer pass
    EXPECT_TRUE(out.empty());
    auto e = h().nd_entry(kH1, lab::kLanPort);
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->state, Nd6State::stale);
    EXPECT_EQ(from_ether(e->mac), lab::kH1Mac);
    const auto word = h().neighbor6(kH1, lab::kLanPort);
    ASSERT_TRUE(word.has_value());
    EXPECT_EQ(word->state(), NeighborState::reachable);  // workers send to a stale entry (7.3.3)
    rte_ether_addr mac;
    word->copy_mac(&mac);
    EXPECT_EQ(from_ether(mac), lab::kH1Mac);
    // The workers do not report use, so a stale entry is taken as in use: DELAY at the next timer
    // pass, then a unicast probe to the address learnt (7.3.3).
    EXPECT_TRUE(h().timer(0).empty());
    EXPECT_EQ(h().nd_entry(kH1, lab::kLanPort)->state, Nd6State::delay);
    EXPECT_TRUE(h().timer(kNd6DelayMs - 1).empty());
    const auto probe = h().timer(kNd6DelayMs);
    ASSERT_EQ(probe.size(), 1u);
    EXPECT_TRUE(same_bytes(probe[0].bytes, expected_ns(lab::kLanPort, lab::kLanMac, kLanLinkLocal, kH1, &lab::kH1Mac)));
}

TEST_F(NdTest, UnsolicitedAdvertisementCreatesNoEntry) {
    nd_receive(lab::kWanPort, h2_answer(0x20));
    EXPECT_EQ(h().counted(Event::nd_learned), 1u);
    h().control(0);
    EXPECT_FALSE(h().nd_entry(kH2, lab::kWanPort).has_value());
    EXPECT_FALSE(h().neighbor6(kH2, lab::kWanPort).has_value());
}

// ---------------------------------------------------------------------------------------------
// Resolution (7.2.2): hold, solicit, release

TEST_F(NdTest, HeldPacketIsSolicitedThenReleasedWithTheRightMacs) {
    const Bytes pkt = transit_packet(kH2);
    send6(pkt);
    EXPECT_EQ(h().counted(Event::held_for_nd), 1u);
    ASSERT_EQ(h().held_in_ring(), 1u);

    auto out = h().control(0);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].port, lab::kWanPort);
    EXPECT_TRUE(same_bytes(out[0].bytes, expected_ns(lab::kWanPort, lab::kWanMac, kWanLinkLocal, kH2, nullptr)));
    EXPECT_TRUE(icmp6_checksum_ok(out[0].bytes));
    EXPECT_EQ(h().nd_entry(kH2, lab::kWanPort)->state, Nd6State::incomplete);

    nd_receive(lab::kWanPort, h2_answer());
    out = h().control(10);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].port, lab::kWanPort);
    Bytes expected = pkt;
    put_mac(expected, 0, lab::kH2Mac);
    put_mac(expected, 6, lab::kWanMac);
    EXPECT_TRUE(same_bytes(out[0].bytes, expected));
    EXPECT_EQ(h().nd_entry(kH2, lab::kWanPort)->state, Nd6State::reachable);
    EXPECT_EQ(h().nd_resolver().stats().released, 1u);

    // From now on the worker sends directly.
    send6(pkt);
    out = h().take_emitted();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(same_bytes(out[0].bytes, expected));
}

TEST_F(NdTest, GatewayWordIsFilledAndUsed) {
    const Bytes pkt = transit_packet(kRemote);
    send6(pkt);
    auto out = h().control(0);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(same_bytes(out[0].bytes, expected_ns(lab::kWanPort, lab::kWanMac, kWanLinkLocal, kGateway, nullptr)));
    const Mac gw_mac{0x02, 0x00, 0x00, 0x00, 0x02, 0xfe};
    nd_receive(lab::kWanPort, icmp6_frame(lab::kWanMac, gw_mac, kGateway, kWanLinkLocal, 255, kNa, 0,
                                          na_rest(0xe0, kGateway, link_option(2, gw_mac))));
    out = h().control(5);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(get_mac(out[0].bytes, 0), gw_mac);
    const NextHop6* nh = route6_lookup(h().tables(), kRemote.data());
    PackedNeighbor word;
    word.word = nh->l2.load();
    EXPECT_EQ(word.state(), NeighborState::reachable);
    send6(pkt);
    out = h().take_emitted();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(get_mac(out[0].bytes, 0), gw_mac);
    EXPECT_EQ(get_mac(out[0].bytes, 6), lab::kWanMac);
}

TEST_F(NdTest, NoAnswerMeansThreeSolicitationsThenAddressUnreachable) {
    // H1 is known, so the errors owed to it (icmp6_send_error, the ICMPv6 work's) leave at once
    // rather than waiting for a resolution of their own.
    h().set_static_neighbors6({{kH1, lab::kLanPort, to_ether(lab::kH1Mac)}});
    auto only_errors_to_h1 = [](const std::vector<Emitted>& frames) {
        for (const auto& e : frames)
            if (e.port != lab::kLanPort || e.bytes.size() <= kL4Off + 1 || e.bytes[kL4Off] != 1 || e.bytes[kL4Off + 1] != 3)
                return false;  // anything but destination unreachable 1/3 towards H1
        return true;
    };
    send6(transit_packet(kH2));
    size_t solicitations = 0;
    for (uint64_t t : {0, 500, 1000, 1500, 2000, 2500}) {
        for (const auto& e : h().control(t)) {
            EXPECT_TRUE(same_bytes(e.bytes, expected_ns(lab::kWanPort, lab::kWanMac, kWanLinkLocal, kH2, nullptr)));
            ++solicitations;
        }
    }
    EXPECT_EQ(solicitations, 3u);
    EXPECT_EQ(h().dropped(Drop::neighbor_failed), 0u);
    // About 3 s after the first solicitation (Linux: 3 NS 1 s apart), the held packet goes back to
    // the worker, which refuses it (refuse_unresolved6: ICMPv6 address unreachable).
    EXPECT_TRUE(only_errors_to_h1(h().control(3000)));
    EXPECT_EQ(h().dropped(Drop::neighbor_failed), 1u);
    EXPECT_EQ(h().nd_resolver().stats().failed, 1u);
    EXPECT_EQ(h().nd_entry(kH2, lab::kWanPort)->state, Nd6State::failed);
    EXPECT_EQ(h().neighbor6(kH2, lab::kWanPort)->state(), NeighborState::failed);

    // While failed, the worker refuses at once; our own packets are dropped without an error (and
    // are no drop of a received packet: own_frames_dropped).
    send6(transit_packet(kH2));
    send6(transit_packet(kH2), false);
    EXPECT_EQ(h().dropped(Drop::neighbor_failed), 2u);
    EXPECT_EQ(h().counted(Event::own_frames_dropped), 1u);
    EXPECT_EQ(h().held_in_ring(), 0u);
    EXPECT_TRUE(only_errors_to_h1(h().take_emitted()));

    // Then it is forgotten, and the next packet starts over with a fresh solicitation.
    h().control(3000 + kNeighborFailedMs);
    EXPECT_FALSE(h().nd_entry(kH2, lab::kWanPort).has_value());
    send6(transit_packet(kH2));
    EXPECT_EQ(h().held_in_ring(), 1u);
    const auto out = h().control(9000);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(same_bytes(out[0].bytes, expected_ns(lab::kWanPort, lab::kWanMac, kWanLinkLocal, kH2, nullptr)));
}

TEST_F(NdTest, RefusalRestoresTheHopLimitOfTheHeldPacket) {
    // Through the inject ring, as the router does: the worker gets the held packet back with
    // m->port = kInjectHostUnreachable and held_is_ipv6 set.
    send6(transit_packet(kH2, 63));
    auto held = h().take_held_mbufs();
    ASSERT_EQ(held.size(), 1u);
    EXPECT_TRUE(held_is_ipv6(held[0]));
    EXPECT_TRUE(held_is_transit(held[0]));
    EXPECT_EQ(0, std::memcmp(held_next_hop6(held[0]), kH2.data(), 16));
    rte_mbuf* m = held[0];
    rte_mbuf_refcnt_update(m, 1);  // keep it readable after the worker frees it
    m->port = kInjectHostUnreachable;
    ASSERT_EQ(rte_ring_sp_enqueue(h().ctx().inject_ring, m), 0);
    pipeline_take_injected(h().ctx(), h().tables());
    EXPECT_EQ(h().dropped(Drop::neighbor_failed), 1u);
    EXPECT_EQ(rte_pktmbuf_mtod_offset(m, const rte_ipv6_hdr*, RTE_ETHER_HDR_LEN)->hop_limits, 64);  // as it arrived
    rte_pktmbuf_free(m);
}

TEST_F(NdTest, HoldQueuePerNextHopIsBounded) {
    for (unsigned i = 0; i < kHoldPerNextHop + 5; ++i) send6(transit_packet(kH2));
    h().control(0);
    EXPECT_EQ(h().nd_entry(kH2, lab::kWanPort)->held, kHoldPerNextHop);
    EXPECT_EQ(h().nd_resolver().stats().hold_dropped, 5u);
}

// ---------------------------------------------------------------------------------------------
// Reachability (7.3)

TEST_F(NdTest, ReachableGoesThroughDelayAndProbeThenIsRemoved) {
    send6(transit_packet(kH2));
    h().control(0);
    nd_receive(lab::kWanPort, h2_answer());
    h().control(0);  // the released packet
    EXPECT_EQ(h().nd_entry(kH2, lab::kWanPort)->state, Nd6State::reachable);

    EXPECT_TRUE(h().control(kNd6ReachableMs - 1).empty());
    EXPECT_EQ(h().nd_entry(kH2, lab::kWanPort)->state, Nd6State::reachable);
    EXPECT_TRUE(h().control(kNd6ReachableMs).empty());
    EXPECT_EQ(h().nd_entry(kH2, lab::kWanPort)->state, Nd6State::delay);
    // Still sent to while its reachability is in doubt.
    EXPECT_EQ(h().neighbor6(kH2, lab::kWanPort)->state(), NeighborState::reachable);

    uint64_t t = kNd6ReachableMs + kNd6DelayMs;
    for (int i = 0; i < 3; ++i, t += kArpRetryMs) {
        const auto out = h().control(t);
        ASSERT_EQ(out.size(), 1u) << "probe " << i;
        EXPECT_TRUE(same_bytes(out[0].bytes, expected_ns(lab::kWanPort, lab::kWanMac, kWanLinkLocal, kH2, &lab::kH2Mac)));
        EXPECT_EQ(h().nd_entry(kH2, lab::kWanPort)->state, Nd6State::probe);
    }
    EXPECT_TRUE(h().control(t).empty());
    EXPECT_FALSE(h().nd_entry(kH2, lab::kWanPort).has_value());
    EXPECT_FALSE(h().neighbor6(kH2, lab::kWanPort).has_value());
    EXPECT_EQ(h().nd_resolver().stats().expired, 1u);
}

TEST_F(NdTest, SolicitedAnswerToAProbeMakesItReachableAgain) {
    send6(transit_packet(kH2));
    h().control(0);
    nd_receive(lab::kWanPort, h2_answer());
    h().control(0);
    h().control(kNd6ReachableMs);
    ASSERT_EQ(h().control(kNd6ReachableMs + kNd6DelayMs).size(), 1u);  // first unicast probe
    nd_receive(lab::kWanPort, h2_answer());
    h().control(kNd6ReachableMs + kNd6DelayMs + 10);
    EXPECT_EQ(h().nd_entry(kH2, lab::kWanPort)->state, Nd6State::reachable);
}

TEST_F(NdTest, AdvertisementWithoutOverrideDoesNotReplaceTheAddress) {
    send6(transit_packet(kH2));
    h().control(0);
    nd_receive(lab::kWanPort, h2_answer());
    h().control(0);
    const Mac other{0x02, 0x00, 0x00, 0x00, 0x02, 0x99};
    nd_receive(lab::kWanPort, h2_answer(0x40, other));  // solicited, no override, another MAC
    h().control(1);
    auto e = h().nd_entry(kH2, lab::kWanPort);
    // 7.2.5: only doubt about the one we have: STALE, and DELAY at once (timer pass of control()).
    EXPECT_EQ(e->state, Nd6State::delay);
    EXPECT_EQ(from_ether(e->mac), lab::kH2Mac);
    nd_receive(lab::kWanPort, h2_answer(0x20, other));  // unsolicited with override: the new MAC
    h().control(2);
    e = h().nd_entry(kH2, lab::kWanPort);
    EXPECT_EQ(from_ether(e->mac), other);
}

// ---------------------------------------------------------------------------------------------
// Static neighbours

TEST_F(NdTest, StaticNeighboursAreReachableAndNeverAge) {
    Config cfg = nd_config();
    Neighbor6Config n;
    n.address = Ipv6{kH2};
    n.mac = to_mac_addr(lab::kH2Mac);
    n.interface = "wan";
    cfg.neighbors6.push_back(n);
    rebuild(cfg);
    const auto e = h().nd_entry(kH2, lab::kWanPort);
    ASSERT_TRUE(e.has_value());
    EXPECT_TRUE(e->is_static);
    EXPECT_EQ(e->state, Nd6State::reachable);
    const Bytes pkt = transit_packet(kH2);
    send6(pkt);
    auto out = h().take_emitted();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(get_mac(out[0].bytes, 0), lab::kH2Mac);
    EXPECT_TRUE(h().control(10 * kNd6ReachableMs).empty());  // no probe, ever
    EXPECT_EQ(h().nd_entry(kH2, lab::kWanPort)->state, Nd6State::reachable);
    // An advertisement does not change a configured entry.
    nd_receive(lab::kWanPort, h2_answer(0x60, kH3Mac));
    h().control(10 * kNd6ReachableMs + 1);
    EXPECT_EQ(from_ether(h().nd_entry(kH2, lab::kWanPort)->mac), lab::kH2Mac);
}

TEST_F(NdTest, StaticNeighbourReleasesHeldPackets) {
    const Bytes pkt = transit_packet(kH2);
    send6(pkt);
    h().control(0);  // one solicitation out, the packet held
    h().set_static_neighbors6({{kH2, lab::kWanPort, to_ether(lab::kH2Mac)}}, 10);
    const auto out = h().take_emitted();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(get_mac(out[0].bytes, 0), lab::kH2Mac);
}

TEST_F(NdTest, StaticNeighbourRemovedByReloadIsConfirmedByProbes) {
    h().set_static_neighbors6({{kH2, lab::kWanPort, to_ether(lab::kH2Mac)}}, 0);
    h().set_static_neighbors6({}, 100);  // a reload without it
    auto e = h().nd_entry(kH2, lab::kWanPort);
    ASSERT_TRUE(e.has_value());
    EXPECT_FALSE(e->is_static);
    EXPECT_EQ(e->state, Nd6State::stale);
    EXPECT_EQ(h().neighbor6(kH2, lab::kWanPort)->state(), NeighborState::reachable);  // traffic keeps flowing
    h().timer(100);
    EXPECT_EQ(h().nd_entry(kH2, lab::kWanPort)->state, Nd6State::delay);
    const auto probe = h().timer(100 + kNd6DelayMs);
    ASSERT_EQ(probe.size(), 1u);
    EXPECT_TRUE(same_bytes(probe[0].bytes, expected_ns(lab::kWanPort, lab::kWanMac, kWanLinkLocal, kH2, &lab::kH2Mac)));
}

TEST_F(NdTest, HeldPacketsOfBothFamiliesReachTheirResolver) {
    // One IPv4 datagram to H2 (ARP) and one IPv6 packet to H2 (ND) in the same hold ring.
    Ipv4Fields ip;
    ip.src = lab::kH1Addr;
    ip.dst = lab::kH2Addr;
    h().receive(lab::kLanPort, ipv4_frame(lab::kLanMac, lab::kH1Mac, ip, pattern(8)));
    send6(transit_packet(kH2));
    ASSERT_EQ(h().held_in_ring(), 2u);
    const auto out = h().control(0);
    ASSERT_EQ(out.size(), 2u);
    size_t arp = 0, ns = 0;
    for (const auto& e : out) {
        if (get16(e.bytes, 12) == kEtherArp) ++arp;
        if (same_bytes(e.bytes, expected_ns(lab::kWanPort, lab::kWanMac, kWanLinkLocal, kH2, nullptr))) ++ns;
    }
    EXPECT_EQ(arp, 1u);
    EXPECT_EQ(ns, 1u);
    EXPECT_EQ(h().resolver().held_total(), 1u);
    EXPECT_EQ(h().nd_resolver().held_total(), 1u);
}

// ---------------------------------------------------------------------------------------------
// Redirects (8.2)

// What the router must send H1 about `pkt` (the frame as it arrived): from lan's link-local
// address, hop limit 255, target and destination, the target's link-layer option when known,
// and the redirected header (the packet, zero-padded to 8-byte units).
Bytes expected_redirect(const Bytes& pkt, const Addr6& target, const Addr6& dst, const Mac* target_mac,
                        size_t quote_len) {
    Bytes rest(4 + 16 + 16);  // 4 reserved bytes, target, destination
    std::copy(target.begin(), target.end(), rest.begin() + 4);
    std::copy(dst.begin(), dst.end(), rest.begin() + 20);
    if (target_mac) rest = concat(rest, link_option(2, *target_mac));
    Bytes quote(pkt.begin() + kEthHdrLen, pkt.begin() + kEthHdrLen + quote_len);
    quote.resize((quote.size() + 7) / 8 * 8, 0);
    Bytes rh{4, static_cast<uint8_t>(1 + quote.size() / 8), 0, 0, 0, 0, 0, 0};
    rest = concat(rest, concat(rh, quote));
    return icmp6_frame(lab::kH1Mac, lab::kLanMac, kLanLinkLocal, kH1, 255, kRedirect, 0, rest);
}

Bytes from_h1(const Addr6& dst, size_t payload) {
    return ethernet_frame(lab::kLanMac, lab::kH1Mac, kEtherIpv6, ipv6_packet(kH1, dst, kProtoUdp, 64, pattern(payload)));
}

TEST_F(NdTest, RedirectToAnOnLinkDestinationByteForByte) {
    // H3 is known: the target link-layer option is included; target == destination (on-link).
    h().set_static_neighbors6({{kH3, lab::kLanPort, to_ether(kH3Mac)}});
    const Bytes pkt = from_h1(kH3, 45);  // 85 bytes of packet: the quote is padded to 88
    route_and_maybe_redirect(lab::kLanPort, pkt);
    const auto out = h().take_emitted();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].port, lab::kLanPort);
    EXPECT_TRUE(same_bytes(out[0].bytes, expected_redirect(pkt, kH3, kH3, &kH3Mac, pkt.size() - kEthHdrLen)));
    EXPECT_TRUE(icmp6_checksum_ok(out[0].bytes));
    EXPECT_EQ(h().icmp_sent(IcmpKind::icmp6_redirect), 1u);
}

TEST_F(NdTest, RedirectToALinkLocalGatewayWithoutKnownAddress) {
    const Bytes pkt = from_h1(kBehindLanRouter, 40);
    route_and_maybe_redirect(lab::kLanPort, pkt);
    const auto out = h().take_emitted();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(same_bytes(out[0].bytes,
                           expected_redirect(pkt, kLanRouter, kBehindLanRouter, nullptr, pkt.size() - kEthHdrLen)));
}

TEST_F(NdTest, RedirectQuotesAsMuchAsFitsIn1280Bytes) {
    h().set_static_neighbors6({{kLanRouter, lab::kLanPort, to_ether(kLanRouterMac)}});
    const Bytes pkt = from_h1(kBehindLanRouter, 1400);
    route_and_maybe_redirect(lab::kLanPort, pkt);
    const auto out = h().take_emitted();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].bytes.size(), kEthHdrLen + 1280);
    // 1280 - IPv6 header - redirect header - target option - redirected header option header
    EXPECT_TRUE(same_bytes(out[0].bytes, expected_redirect(pkt, kLanRouter, kBehindLanRouter, &kLanRouterMac,
                                                           1280 - 40 - 40 - 8 - 8)));
}

TEST_F(NdTest, NoRedirectForAnOffLinkSource) {
    const Bytes pkt = ethernet_frame(lab::kLanMac, lab::kH1Mac, kEtherIpv6,
                                     ipv6_packet(addr6("2001:db8:5::9"), kH3, kProtoUdp, 64, pattern(20)));
    route_and_maybe_redirect(lab::kLanPort, pkt);
    EXPECT_TRUE(h().take_emitted().empty());
    EXPECT_EQ(h().icmp_sent(IcmpKind::icmp6_redirect), 0u);
}

TEST_F(NdTest, NoRedirectWhenLeavingByAnotherPort) {
    route_and_maybe_redirect(lab::kLanPort, from_h1(kH2, 20));  // lan -> wan: normal forwarding
    EXPECT_TRUE(h().take_emitted().empty());
}

TEST_F(NdTest, NoRedirectWhenTheInterfaceSwitchIsOff) {
    Config cfg = nd_config();
    interface_named(cfg, "lan").icmp_redirects = false;
    rebuild(cfg);
    route_and_maybe_redirect(lab::kLanPort, from_h1(kH3, 20));
    EXPECT_TRUE(h().take_emitted().empty());
}

TEST_F(NdTest, RedirectsAreRateLimitedPerDestination) {
    for (int i = 0; i < 20; ++i) route_and_maybe_redirect(lab::kLanPort, from_h1(kH3, 20));
    // per_destination burst 10 (the default), the clock standing still
    EXPECT_EQ(h().take_emitted().size(), 10u);
    EXPECT_EQ(h().counters().suppressed(IcmpSuppress::rate_destination), 10u);
}

// dprouterctl's `neighbor add` / `neighbor del` for IPv6: a static REACHABLE entry the workers see at
// once and the timers never touch; removing it unpublishes it.
TEST_F(NdTest, LiveStaticAddAndRemove) {
    std::vector<rte_mbuf*> out;
    const Nd6Resolver::Static s{kH2, lab::kWanPort, to_ether(lab::kH2Mac)};
    ASSERT_TRUE(h().nd_resolver().add_static(s, 0, out));
    EXPECT_TRUE(out.empty());
    auto e = h().nd_entry(kH2, lab::kWanPort);
    ASSERT_TRUE(e.has_value());
    EXPECT_TRUE(e->is_static);
    EXPECT_EQ(e->state, Nd6State::reachable);
    EXPECT_EQ(h().neighbor6(kH2, lab::kWanPort)->word,
              PackedNeighbor::make(to_ether(lab::kH2Mac), NeighborState::reachable).word);
    EXPECT_TRUE(h().control(10 * kNd6ReachableMs).empty());
    EXPECT_EQ(h().nd_entry(kH2, lab::kWanPort)->state, Nd6State::reachable);

    EXPECT_FALSE(h().nd_resolver().remove_static(kH2, lab::kLanPort));
    ASSERT_TRUE(h().nd_resolver().remove_static(kH2, lab::kWanPort));
    EXPECT_FALSE(h().nd_entry(kH2, lab::kWanPort).has_value());
    EXPECT_FALSE(h().neighbor6(kH2, lab::kWanPort).has_value());
    EXPECT_FALSE(h().nd_resolver().remove_static(kH2, lab::kWanPort));
}

}  // namespace
}  // namespace dprtest
