// Neighbour resolution end to end: the pipeline hands packets for unknown next hops to the control
// thread, the ArpResolver (driven by a fake clock: every call passes now_ms) asks, holds, releases,
// gives up, forgets, re-probes and expires. Frames the resolver sends go through the inject ring.
#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>

#include "packet_builder.hpp"

namespace dprtest {
namespace {

using dprouter::Drop;
using dprouter::Event;
using dprouter::kArpRetryMs;
using dprouter::kHoldPerNextHop;
using dprouter::kHoldTotal;
using dprouter::kNeighborFailedMs;
using dprouter::kNeighborReachableMs;
using dprouter::NeighborState;
using dprouter::PackedNeighbor;
using namespace lab;

constexpr uint32_t kH3Addr = ipv4(10, 2, 0, 3);  // a wan host nobody has configured
constexpr Mac kH3Mac{0x02, 0x00, 0x00, 0x00, 0x02, 0x03};

// H1 is a static neighbour (so errors back to it leave at once); nothing on the wan is known.
class NeighborHold : public RouterTest {
protected:
    void SetUp() override {
        RouterTest::SetUp();
        h().set_static_neighbors({{to_be(kH1Addr), kLanPort, to_ether(kH1Mac)}});
    }

    static Ipv4Fields to(uint32_t dst, uint16_t id) {
        Ipv4Fields f;
        f.src = kH1Addr;
        f.dst = dst;
        f.id = id;
        f.protocol = kProtoUdp;
        return f;
    }
    static Bytes l4_of(const Ipv4Fields& f) { return udp_segment(f.src, f.dst, 4000, 53, pattern(20, static_cast<uint8_t>(f.id))); }
    // H1 sends a datagram with this ID through the router.
    void send(uint32_t dst, uint16_t id) {
        const Ipv4Fields f = to(dst, id);
        h().receive(kLanPort, ipv4_frame(kLanMac, kH1Mac, f, l4_of(f)));
    }
    // ... and how it must leave on the wan to `mac`.
    static Bytes forwarded(uint32_t dst, uint16_t id, const Mac& mac) {
        Ipv4Fields f = to(dst, id);
        const Bytes l4 = l4_of(f);
        f.ttl = 63;
        return ipv4_frame(mac, kWanMac, f, l4);
    }
    // The neighbour answers our request.
    void reply_from(uint32_t addr, const Mac& mac) {
        h().receive(kWanPort, arp_frame(kWanMac, mac, kArpReply, mac, addr, kWanMac, kWanAddr));
    }
    static Bytes broadcast_request(uint32_t target, uint32_t sender = kWanAddr) {
        return arp_frame(kBroadcastMac, kWanMac, kArpRequest, kWanMac, sender, kZeroMac, target);
    }
    static Bytes unicast_request(uint32_t target, const Mac& mac) {
        return arp_frame(mac, kWanMac, kArpRequest, kWanMac, kWanAddr, kZeroMac, target);
    }
    const dprouter::ResolverStats& stats() { return h().resolver().stats(); }
};

void expect_single(const std::vector<Emitted>& out, uint16_t port, const Bytes& bytes) {
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].port, port);
    EXPECT_TRUE(same_bytes(out[0].bytes, bytes));
}

// ---------------------------------------------------------------------------------------------

TEST_F(NeighborHold, FirstHeldPacketSendsOneBroadcastRequest) {
    send(kH3Addr, 1);
    send(kH3Addr, 2);
    EXPECT_TRUE(h().take_emitted().empty());
    EXPECT_EQ(h().held_in_ring(), 2u);

    auto out = h().control(0);
    // Who has 10.2.0.3? Tell 10.2.0.1 -- from the wan, padded to 60 bytes.
    const uint8_t head[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // broadcast
                            0x02, 0x00, 0x00, 0x00, 0x02, 0x01,  // wan
                            0x08, 0x06,                          // ARP
                            0x00, 0x01, 0x08, 0x00, 0x06, 0x04,  // Ethernet, IPv4, 6, 4
                            0x00, 0x01,                          // request
                            0x02, 0x00, 0x00, 0x00, 0x02, 0x01,  // sender MAC: wan
                            10,   2,    0,    1,                 // sender IP: 10.2.0.1
                            0,    0,    0,    0,    0,    0,     // target MAC: unknown
                            10,   2,    0,    3};                // target IP
    Bytes expected(60, 0);
    std::copy(std::begin(head), std::end(head), expected.begin());
    expect_single(out, kWanPort, expected);
    EXPECT_EQ(out.at(0).mbuf_port, kWanPort);
    EXPECT_EQ(stats().requests_sent, 1u);
    EXPECT_EQ(h().resolver().held_total(), 2u);

    // Workers now see "incomplete" and keep handing packets over; no second request.
    const auto word = h().neighbor(kH3Addr, kWanPort);
    ASSERT_TRUE(word.has_value());
    EXPECT_EQ(word->state(), NeighborState::incomplete);
    send(kH3Addr, 3);
    EXPECT_TRUE(h().take_emitted().empty());
    EXPECT_TRUE(h().control(10).empty());
    EXPECT_EQ(h().resolver().held_total(), 3u);
    EXPECT_EQ(stats().requests_sent, 1u);
    EXPECT_EQ(h().total_dropped(), 0u) << h().drops_summary();
}

// The request's sender address is ours on the target's subnet, not merely the interface's first.
class NeighborHoldTwoWanSubnets : public NeighborHold {
protected:
    dprouter::Config make_config() override {
        dprouter::Config cfg = lab_config();
        interface_named(cfg, "wan").addresses.push_back({{ipv4(10, 3, 0, 1), 24}, {}});
        return cfg;
    }
};

TEST_F(NeighborHoldTwoWanSubnets, RequestSenderIsOurAddressOnTheTargetsSubnet) {
    send(ipv4(10, 3, 0, 9), 1);
    expect_single(h().control(0), kWanPort, broadcast_request(ipv4(10, 3, 0, 9), ipv4(10, 3, 0, 1)));
    send(ipv4(10, 2, 0, 9), 2);
    expect_single(h().control(1), kWanPort, broadcast_request(ipv4(10, 2, 0, 9), kWanAddr));
}

TEST_F(NeighborHold, HoldsAtMost64PerNextHop) {
    ASSERT_EQ(kHoldPerNextHop, 64u);
    for (uint16_t i = 0; i < 70; ++i) send(kH3Addr, i);
    ASSERT_EQ(h().held_in_ring(), 70u);
    EXPECT_EQ(h().control(0).size(), 1u);  // the request
    EXPECT_EQ(h().resolver().held_total(), 64u);
    EXPECT_EQ(stats().hold_dropped, 6u);

    // The first 64 are the ones kept, and they leave in arrival order.
    reply_from(kH3Addr, kH3Mac);
    const auto out = h().control(5);
    ASSERT_EQ(out.size(), 64u);
    for (uint16_t i = 0; i < 64; ++i) {
        EXPECT_EQ(out[i].port, kWanPort);
        EXPECT_TRUE(same_bytes(out[i].bytes, forwarded(kH3Addr, i, kH3Mac))) << "packet " << i;
    }
    EXPECT_EQ(h().resolver().held_total(), 0u);
}

TEST_F(NeighborHold, HoldsAtMost1024InAll) {
    ASSERT_EQ(kHoldTotal, 1024u);
    ASSERT_EQ(kHoldTotal / kHoldPerNextHop, 16u);
    // 17 next hops with 64 packets each: the 17th finds the global budget spent.
    for (uint8_t hop = 0; hop < 17; ++hop)
        for (uint16_t i = 0; i < 64; ++i) send(ipv4(10, 2, 0, static_cast<uint8_t>(10 + hop)), i);
    EXPECT_EQ(h().total_dropped(), 0u) << h().drops_summary();
    ASSERT_EQ(h().held_in_ring(), 17u * 64u);
    const auto out = h().control(0);
    EXPECT_EQ(out.size(), 17u);  // one request per next hop
    EXPECT_EQ(h().resolver().held_total(), 1024u);
    EXPECT_EQ(stats().hold_dropped, 64u);
    const auto last = h().resolver_entry(ipv4(10, 2, 0, 26), kWanPort);
    ASSERT_TRUE(last.has_value());
    EXPECT_EQ(last->held, 0u);
}

TEST_F(NeighborHold, AnswerReleasesHeldPacketsInOrderAndPublishes) {
    for (uint16_t i = 1; i <= 5; ++i) send(kH3Addr, i);
    ASSERT_EQ(h().control(0).size(), 1u);
    const uint64_t resolved_before = stats().resolved;  // the static H1 counts too

    // The answer arrives on the wan; the worker passes it on; the control thread releases.
    reply_from(kH3Addr, kH3Mac);
    EXPECT_TRUE(h().take_emitted().empty());
    const auto out = h().control(300);
    ASSERT_EQ(out.size(), 5u);
    for (uint16_t i = 0; i < 5; ++i) {
        EXPECT_EQ(out[i].port, kWanPort);
        EXPECT_EQ(out[i].mbuf_port, kWanPort);
        EXPECT_TRUE(same_bytes(out[i].bytes, forwarded(kH3Addr, static_cast<uint16_t>(i + 1), kH3Mac)));
    }
    EXPECT_EQ(stats().resolved, resolved_before + 1);
    EXPECT_EQ(stats().released, 5u);
    EXPECT_EQ(h().resolver().held_total(), 0u);

    const auto word = h().neighbor(kH3Addr, kWanPort);
    ASSERT_TRUE(word.has_value());
    EXPECT_EQ(word->word, PackedNeighbor::make(to_ether(kH3Mac), NeighborState::reachable).word);

    // The next packet goes straight out.
    send(kH3Addr, 6);
    expect_single(h().take_emitted(), kWanPort, forwarded(kH3Addr, 6, kH3Mac));
    EXPECT_EQ(h().held_in_ring(), 0u);
    EXPECT_EQ(h().total_dropped(), 0u) << h().drops_summary();
}

// A packet that was in the hold ring while the answer came is sent at once, not held.
TEST_F(NeighborHold, PacketResolvedWhileInRingIsReleasedImmediately) {
    send(kH3Addr, 1);
    ASSERT_EQ(h().control(0).size(), 1u);
    send(kH3Addr, 2);  // in the ring...
    std::vector<rte_mbuf*> out;
    const dprouter::LearnMessage msg{to_be(kH3Addr), kWanPort, 1, 0, to_ether(kH3Mac), 0};
    h().resolver().on_learn(msg, 100, out);  // ... when the answer is processed
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(same_bytes(mbuf_bytes(out[0]), forwarded(kH3Addr, 1, kH3Mac)));
    rte_pktmbuf_free(out[0]);
    const auto later = h().control(100);
    ASSERT_EQ(later.size(), 1u);
    EXPECT_TRUE(same_bytes(later[0].bytes, forwarded(kH3Addr, 2, kH3Mac)));
    EXPECT_EQ(h().resolver().held_total(), 0u);
}

// No answer: requests at 0, 1000 and 2000 ms; at 3000 ms the next hop has failed. The held transit
// packets are answered with host unreachable, and new ones are refused by the worker at once.
TEST_F(NeighborHold, UnansweredRequestsThenFailed) {
    for (uint16_t i = 0; i < 3; ++i) send(kH3Addr, i);
    expect_single(h().control(0), kWanPort, broadcast_request(kH3Addr));
    EXPECT_TRUE(h().control(kArpRetryMs - 1).empty());
    expect_single(h().control(kArpRetryMs), kWanPort, broadcast_request(kH3Addr));
    EXPECT_TRUE(h().control(2 * kArpRetryMs - 1).empty());
    expect_single(h().control(2 * kArpRetryMs), kWanPort, broadcast_request(kH3Addr));
    EXPECT_TRUE(h().control(3 * kArpRetryMs - 1).empty());
    EXPECT_EQ(h().resolver().held_total(), 3u);
    EXPECT_EQ(stats().failed, 0u);

    const auto out = h().control(3 * kArpRetryMs);
    EXPECT_EQ(stats().requests_sent, 3u);
    EXPECT_EQ(stats().failed, 1u);
    EXPECT_EQ(stats().failed_dropped, 3u);
    EXPECT_EQ(h().resolver().held_total(), 0u);
    // What leaves now is only errors back to H1 (host unreachable), never the packets themselves.
    ASSERT_EQ(out.size(), 3u);
    for (const Emitted& e : out) {
        EXPECT_EQ(e.port, kLanPort);
        const auto v = icmp_view(e.bytes);
        ASSERT_TRUE(v.has_value());
        EXPECT_EQ(v->type, 3);
        EXPECT_EQ(v->code, 1);
        EXPECT_EQ(v->dst, kH1Addr);
    }
    const auto word = h().neighbor(kH3Addr, kWanPort);
    ASSERT_TRUE(word.has_value());
    EXPECT_EQ(word->state(), NeighborState::failed);

    // The worker no longer queues: it refuses.
    const uint64_t before = h().dropped(Drop::neighbor_failed);
    send(kH3Addr, 9);
    EXPECT_EQ(h().held_in_ring(), 0u);
    EXPECT_EQ(h().dropped(Drop::neighbor_failed), before + 1);
    const auto refused = h().take_emitted();
    for (const Emitted& e : refused) EXPECT_EQ(e.port, kLanPort) << "a packet for the failed next hop left";
}

// Our own packets (an echo reply) waiting for a failed neighbour just go: no error about an error.
TEST_F(NeighborHold, OwnPacketsForFailedNeighbourDroppedSilently) {
    const Ipv4Fields ping = [] {
        Ipv4Fields f;
        f.src = kH3Addr;
        f.dst = kWanAddr;
        f.protocol = kProtoIcmp;
        return f;
    }();
    h().receive(kWanPort, ipv4_frame(kWanMac, kH3Mac, ping, icmp_echo(kIcmpEchoRequest, 1, 1, pattern(8))));
    EXPECT_EQ(h().held_in_ring(), 1u) << h().drops_summary();
    for (uint64_t t = 0; t < 3; ++t) EXPECT_EQ(h().control(t * kArpRetryMs).size(), 1u);
    EXPECT_TRUE(h().control(3 * kArpRetryMs).empty());
    EXPECT_EQ(stats().failed_dropped, 1u);
}

TEST_F(NeighborHold, FailedNextHopForgottenAfterTimeout) {
    send(kH3Addr, 1);
    for (uint64_t t = 0; t <= 3; ++t) h().control(t * kArpRetryMs);
    ASSERT_EQ(stats().failed, 1u);
    const uint64_t failed_at = 3 * kArpRetryMs;

    h().control(failed_at + kNeighborFailedMs - 1);
    ASSERT_TRUE(h().neighbor(kH3Addr, kWanPort).has_value());
    EXPECT_EQ(h().neighbor(kH3Addr, kWanPort)->state(), NeighborState::failed);

    EXPECT_TRUE(h().control(failed_at + kNeighborFailedMs).empty());
    EXPECT_FALSE(h().neighbor(kH3Addr, kWanPort).has_value());
    EXPECT_FALSE(h().resolver_entry(kH3Addr, kWanPort).has_value());

    // A new packet starts over: held, and a fresh broadcast request.
    send(kH3Addr, 2);
    EXPECT_EQ(h().held_in_ring(), 1u);
    expect_single(h().control(failed_at + kNeighborFailedMs + 1), kWanPort, broadcast_request(kH3Addr));
    EXPECT_EQ(h().resolver().held_total(), 1u);
}

// Routed traffic reads the gateway's MAC from the next-hop word, which the resolver keeps current.
TEST_F(NeighborHold, GatewayResolutionUpdatesNextHopWord) {
    const uint32_t remote = ipv4(10, 99, 1, 1);
    const dprouter::NextHop* nh = h().route(remote);
    ASSERT_NE(nh, nullptr);
    ASSERT_EQ(nh->gateway_be, to_be(kGatewayAddr));
    EXPECT_EQ(nh->l2.load(), 0u);

    send(remote, 1);
    expect_single(h().control(0), kWanPort, broadcast_request(kGatewayAddr));
    EXPECT_EQ(PackedNeighbor{nh->l2.load()}.state(), NeighborState::incomplete);

    reply_from(kGatewayAddr, kGatewayMac);
    expect_single(h().control(50), kWanPort, forwarded(remote, 1, kGatewayMac));
    EXPECT_EQ(nh->l2.load(), PackedNeighbor::make(to_ether(kGatewayMac), NeighborState::reachable).word);

    send(ipv4(10, 99, 2, 2), 2);
    expect_single(h().take_emitted(), kWanPort, forwarded(ipv4(10, 99, 2, 2), 2, kGatewayMac));
}

TEST_F(NeighborHold, GatewayFailureRefusesRoutedTraffic) {
    const uint32_t remote = ipv4(10, 99, 1, 1);
    send(remote, 1);
    for (uint64_t t = 0; t <= 3; ++t) h().control(t * kArpRetryMs);
    EXPECT_EQ(PackedNeighbor{h().route(remote)->l2.load()}.state(), NeighborState::failed);
    send(remote, 2);
    EXPECT_EQ(h().held_in_ring(), 0u);
    EXPECT_GE(h().dropped(Drop::neighbor_failed), 1u);
    // After the failed period the word is cleared and resolution starts again.
    h().control(3 * kArpRetryMs + kNeighborFailedMs);
    EXPECT_EQ(h().route(remote)->l2.load(), 0u);
}

TEST_F(NeighborHold, StaticNeighbourReachableAtOnceAndNeverAged) {
    h().add_static_neighbor(kH3Addr, kWanPort, kH3Mac);
    const auto info = h().resolver_entry(kH3Addr, kWanPort);
    ASSERT_TRUE(info.has_value());
    EXPECT_TRUE(info->is_static);
    EXPECT_EQ(info->state, NeighborState::reachable);

    send(kH3Addr, 1);
    expect_single(h().take_emitted(), kWanPort, forwarded(kH3Addr, 1, kH3Mac));

    // Far beyond every timer: no probe, still there.
    for (uint64_t t : {kNeighborReachableMs, kNeighborReachableMs + 3 * kArpRetryMs, 100 * kNeighborReachableMs})
        EXPECT_TRUE(h().control(t).empty()) << "at " << t << " ms";
    EXPECT_EQ(stats().requests_sent, 0u);
    EXPECT_EQ(stats().expired, 0u);
    send(kH3Addr, 2);
    expect_single(h().take_emitted(), kWanPort, forwarded(kH3Addr, 2, kH3Mac));
}

TEST_F(NeighborHold, StaticNeighbourNotOverwrittenByLearning) {
    h().add_static_neighbor(kH3Addr, kWanPort, kH3Mac);
    const Mac impostor{0x02, 0x00, 0x00, 0x00, 0x0b, 0xad};
    reply_from(kH3Addr, impostor);
    h().receive(kWanPort, arp_frame(kBroadcastMac, impostor, kArpRequest, impostor, kH3Addr, kZeroMac, kWanAddr));
    h().take_emitted();  // our answer to the request
    h().control(1);
    send(kH3Addr, 1);
    expect_single(h().take_emitted(), kWanPort, forwarded(kH3Addr, 1, kH3Mac));
    EXPECT_EQ(h().neighbor(kH3Addr, kWanPort)->word, PackedNeighbor::make(to_ether(kH3Mac), NeighborState::reachable).word);
}

// Configuring a static neighbour for an address that is being resolved must not lose the packets
// waiting for it: they leave with the configured MAC (at the latest on the next control pass).
TEST_F(NeighborHold, StaticNeighbourConfiguredDuringResolutionReleasesHeldPackets) {
    send(kH3Addr, 1);
    send(kH3Addr, 2);
    ASSERT_EQ(h().control(0).size(), 1u);
    ASSERT_EQ(h().resolver().held_total(), 2u);
    h().set_static_neighbors({{to_be(kH1Addr), kLanPort, to_ether(kH1Mac)},
                              {to_be(kH3Addr), kWanPort, to_ether(kH3Mac)}},
                             10);
    auto out = h().take_emitted();
    const auto later = h().control(20);
    out.insert(out.end(), later.begin(), later.end());
    ASSERT_EQ(out.size(), 2u) << "held packets lost when the static entry was installed (released counter says "
                              << stats().released << ")";
    EXPECT_TRUE(same_bytes(out[0].bytes, forwarded(kH3Addr, 1, kH3Mac)));
    EXPECT_TRUE(same_bytes(out[1].bytes, forwarded(kH3Addr, 2, kH3Mac)));
}

// A reload that drops a static neighbour must not stop the traffic to it (the lab's reload-under-load
// test lost ~20 datagrams a reload this way): the entry stays reachable with its MAC, is confirmed by
// unicast at once, and expires like a learnt one when nobody answers.
TEST_F(NeighborHold, StaticNeighbourRemovedByReloadKeepsForwardingWhileConfirmed) {
    h().add_static_neighbor(kH3Addr, kWanPort, kH3Mac);
    h().set_static_neighbors({{to_be(kH1Addr), kLanPort, to_ether(kH1Mac)}}, 1000);
    const auto info = h().resolver_entry(kH3Addr, kWanPort);
    ASSERT_TRUE(info.has_value()) << "the entry was forgotten";
    EXPECT_FALSE(info->is_static);
    EXPECT_EQ(info->state, NeighborState::reachable);

    send(kH3Addr, 1);
    expect_single(h().take_emitted(), kWanPort, forwarded(kH3Addr, 1, kH3Mac));
    EXPECT_EQ(h().held_in_ring(), 0u);
    expect_single(h().control(1000), kWanPort, unicast_request(kH3Addr, kH3Mac));
    reply_from(kH3Addr, kH3Mac);
    EXPECT_TRUE(h().control(1001).empty());
    send(kH3Addr, 2);
    expect_single(h().take_emitted(), kWanPort, forwarded(kH3Addr, 2, kH3Mac));
    EXPECT_EQ(stats().expired, 0u);

    // Unanswered confirmations: gone after the usual three probes.
    for (uint64_t i = 0; i < 3; ++i)
        expect_single(h().control(1001 + kNeighborReachableMs + i * kArpRetryMs), kWanPort, unicast_request(kH3Addr, kH3Mac));
    EXPECT_TRUE(h().control(1001 + kNeighborReachableMs + 3 * kArpRetryMs).empty());
    EXPECT_EQ(stats().expired, 1u);
    EXPECT_FALSE(h().resolver_entry(kH3Addr, kWanPort).has_value());
}

// dprouterctl's `neighbor add` during resolution: the held packets leave with the given MAC, the
// entry never ages; `neighbor del` forgets it, and the next packet starts a fresh resolution.
TEST_F(NeighborHold, LiveStaticAddReleasesHeldAndRemoveForgetsIt) {
    send(kH3Addr, 1);
    send(kH3Addr, 2);
    expect_single(h().control(0), kWanPort, broadcast_request(kH3Addr));
    ASSERT_TRUE(h().add_static_live(kH3Addr, kWanPort, kH3Mac, 10));
    const auto out = h().take_emitted();
    ASSERT_EQ(out.size(), 2u);
    EXPECT_TRUE(same_bytes(out[0].bytes, forwarded(kH3Addr, 1, kH3Mac)));
    EXPECT_TRUE(same_bytes(out[1].bytes, forwarded(kH3Addr, 2, kH3Mac)));
    const auto info = h().resolver_entry(kH3Addr, kWanPort);
    ASSERT_TRUE(info.has_value());
    EXPECT_TRUE(info->is_static);
    EXPECT_TRUE(h().control(100 * kNeighborReachableMs).empty());  // never probed, never aged

    EXPECT_FALSE(h().resolver().remove_static(to_be(kH1Addr) + 1, kLanPort));  // no such entry
    ASSERT_TRUE(h().resolver().remove_static(to_be(kH3Addr), kWanPort));
    EXPECT_FALSE(h().resolver_entry(kH3Addr, kWanPort).has_value());
    EXPECT_FALSE(h().neighbor(kH3Addr, kWanPort).has_value());
    EXPECT_FALSE(h().resolver().remove_static(to_be(kH3Addr), kWanPort));
    send(kH3Addr, 3);
    EXPECT_EQ(h().held_in_ring(), 1u);
    expect_single(h().control(100 * kNeighborReachableMs + 1), kWanPort, broadcast_request(kH3Addr));
}

// A learnt entry is not `neighbor del`'s to remove.
TEST_F(NeighborHold, LiveStaticRemoveLeavesLearntEntries) {
    send(kH3Addr, 1);
    h().control(0);
    reply_from(kH3Addr, kH3Mac);
    h().control(1);
    h().take_emitted();
    EXPECT_FALSE(h().resolver().remove_static(to_be(kH3Addr), kWanPort));
    EXPECT_TRUE(h().neighbor(kH3Addr, kWanPort).has_value());
}

// Learned entries are confirmed by unicast after kNeighborReachableMs, 3 probes kArpRetryMs apart,
// then removed; forwarding carries on meanwhile.
TEST_F(NeighborHold, ReachableEntryReprobedByUnicastThenExpired) {
    send(kH3Addr, 1);
    h().control(0);
    reply_from(kH3Addr, kH3Mac);
    ASSERT_EQ(h().control(0).size(), 1u);  // the held packet

    EXPECT_TRUE(h().control(kNeighborReachableMs - 1).empty());
    for (uint64_t i = 0; i < 3; ++i) {
        const uint64_t t = kNeighborReachableMs + i * kArpRetryMs;
        expect_single(h().control(t), kWanPort, unicast_request(kH3Addr, kH3Mac));
        EXPECT_TRUE(h().control(t + kArpRetryMs - 1).empty());
        send(kH3Addr, static_cast<uint16_t>(10 + i));
        expect_single(h().take_emitted(), kWanPort, forwarded(kH3Addr, static_cast<uint16_t>(10 + i), kH3Mac));
    }
    EXPECT_TRUE(h().control(kNeighborReachableMs + 3 * kArpRetryMs).empty());
    EXPECT_EQ(stats().expired, 1u);
    EXPECT_FALSE(h().neighbor(kH3Addr, kWanPort).has_value());
    EXPECT_FALSE(h().resolver_entry(kH3Addr, kWanPort).has_value());

    // Unknown again: the next packet waits for a fresh broadcast resolution.
    send(kH3Addr, 20);
    EXPECT_TRUE(h().take_emitted().empty());
    EXPECT_EQ(h().held_in_ring(), 1u);
    expect_single(h().control(kNeighborReachableMs + 3 * kArpRetryMs + 1), kWanPort, broadcast_request(kH3Addr));
}

TEST_F(NeighborHold, AnsweredProbeKeepsEntryReachable) {
    send(kH3Addr, 1);
    h().control(0);
    reply_from(kH3Addr, kH3Mac);
    h().control(0);
    ASSERT_EQ(h().control(kNeighborReachableMs).size(), 1u);  // first probe
    reply_from(kH3Addr, kH3Mac);
    const uint64_t confirmed = kNeighborReachableMs + 500;
    EXPECT_TRUE(h().control(confirmed).empty());
    for (uint64_t t = confirmed; t < confirmed + kNeighborReachableMs; t += kArpRetryMs)
        ASSERT_TRUE(h().control(t).empty()) << "probe at " << t << " ms although confirmed at " << confirmed;
    expect_single(h().control(confirmed + kNeighborReachableMs), kWanPort, unicast_request(kH3Addr, kH3Mac));
    EXPECT_EQ(stats().expired, 0u);
}

// A neighbour that asks for us is learned (it is about to talk to us), RFC 826 style.
TEST_F(NeighborHold, RequestForUsTeachesTheSender) {
    h().receive(kWanPort, arp_frame(kBroadcastMac, kH3Mac, kArpRequest, kH3Mac, kH3Addr, kZeroMac, kWanAddr));
    ASSERT_EQ(h().take_emitted().size(), 1u);  // our reply
    EXPECT_TRUE(h().control(0).empty());
    send(kH3Addr, 1);
    expect_single(h().take_emitted(), kWanPort, forwarded(kH3Addr, 1, kH3Mac));
    EXPECT_EQ(stats().requests_sent, 0u);
}

// A changed MAC in an answer is published, and traffic follows it.
TEST_F(NeighborHold, NewMacInAnswerIsPublished) {
    reply_from(kH3Addr, kH3Mac);
    h().control(0);
    const Mac moved{0x02, 0x00, 0x00, 0x00, 0x02, 0x30};
    reply_from(kH3Addr, moved);
    h().control(10);
    send(kH3Addr, 1);
    expect_single(h().take_emitted(), kWanPort, forwarded(kH3Addr, 1, moved));
}

}  // namespace
}  // namespace dprtest
