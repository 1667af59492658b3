// Counters that tell the truth (docs/architecture.md, "Counters"): every packet received counts
// exactly one outcome (forwarded, a drop reason, local_delivered, punted) once nothing is held,
// `forwarded` only for what a port accepted, a TX refusal `tx_full` for the received packets it
// refuses and own_frames_dropped for the router's own frames. Mixed bursts through the pipeline,
// the harness's TX (transmit, transmit_refusing: what worker_flush counts), the resolver.
#include <gtest/gtest.h>

#include "packet_builder.hpp"

namespace dprtest {
namespace {

using dprouter::Drop;
using dprouter::Event;
using dprouter::kHoldPerNextHop;
using dprouter::WorkerCounters;
using namespace lab;

constexpr uint32_t kH3Addr = ipv4(10, 2, 0, 3);  // a wan host that never answers ARP
constexpr Mac kH3Mac{0x02, 0x00, 0x00, 0x00, 0x02, 0x03};

uint64_t rx_of(const WorkerCounters& c) {
    uint64_t n = 0;
    for (const auto& p : c.ports) n += p.rx;
    return n;
}
uint64_t drops_of(const WorkerCounters& c) {
    uint64_t n = 0;
    for (uint64_t d : c.drops) n += d;
    return n;
}

class CountersTruth : public RouterTest {
protected:
    void SetUp() override {
        RouterTest::SetUp();
        add_lab_neighbors();
    }

    static Bytes udp_from_h1(uint32_t dst, uint16_t id, uint8_t ttl = 64, size_t len = 20) {
        Ipv4Fields f;
        f.src = kH1Addr;
        f.dst = dst;
        f.id = id;
        f.ttl = ttl;
        return ipv4_frame(kLanMac, kH1Mac, f, udp_segment(f.src, f.dst, 4000, 53, pattern(len, static_cast<uint8_t>(id))));
    }
    static Bytes echo_to_router(uint16_t seq) {
        Ipv4Fields f;
        f.src = kH1Addr;
        f.dst = kLanAddr;
        f.protocol = kProtoIcmp;
        return ipv4_frame(kLanMac, kH1Mac, f, icmp_echo(kIcmpEchoRequest, 7, seq, pattern(16)));
    }
    static Bytes arp_request_for_router() {
        return arp_frame(kBroadcastMac, kH1Mac, kArpRequest, kH1Mac, kH1Addr, kZeroMac, kLanAddr);
    }
    size_t held_now() { return h().held_in_ring() + h().resolver().held_total(); }

    // rx = forwarded + dropped + local_delivered + punted + held, over the worker's block and the
    // control thread's (as /dprouter/stats sums them).
    void expect_identity(const char* when) {
        const WorkerCounters& w = h().counters();
        const WorkerCounters& c = h().control_counters();
        const uint64_t outcomes = w.counted(Event::forwarded) + c.counted(Event::forwarded) + drops_of(w) + drops_of(c) +
                                  w.counted(Event::local_delivered) + w.counted(Event::punted) + held_now();
        EXPECT_EQ(rx_of(w), outcomes) << when << ": " << h().drops_summary() << ", forwarded "
                                      << w.counted(Event::forwarded) << ", local " << w.counted(Event::local_delivered)
                                      << ", held " << held_now();
    }
};

// One burst of everything: plain transit (the fast path), expired, echo requests and an ARP request
// to the router, UDP to a closed port, and packets for a next hop that never answers. The wan TX
// queue takes 6 of the 10 transit packets, the lan queue 4 of the router's 7 answers.
TEST_F(CountersTruth, MixedBurstWithRefusingQueuesAddsUp) {
    std::vector<Bytes> in;
    for (uint16_t i = 0; i < 10; ++i) in.push_back(udp_from_h1(kH2Addr, i));
    for (uint16_t i = 0; i < 3; ++i) in.push_back(udp_from_h1(kH2Addr, static_cast<uint16_t>(100 + i), 1));
    in.push_back(echo_to_router(1));
    in.push_back(echo_to_router(2));
    in.push_back(arp_request_for_router());
    {
        Ipv4Fields f;
        f.src = kH1Addr;
        f.dst = kLanAddr;
        in.push_back(ipv4_frame(kLanMac, kH1Mac, f, udp_segment(f.src, f.dst, 4000, 9, pattern(8))));
    }
    for (uint16_t i = 0; i < 4; ++i) in.push_back(udp_from_h1(kH3Addr, static_cast<uint16_t>(200 + i)));
    ASSERT_LE(in.size(), dprouter::kRxBurst);
    h().receive_burst(kLanPort, in);

    EXPECT_EQ(h().ctx().out.count[kWanPort], 10u);
    EXPECT_EQ(h().ctx().out.count[kLanPort], 7u) << "3 time exceeded, 2 echo replies, 1 ARP reply, 1 port unreachable";
    h().transmit_refusing(kWanPort, 6);
    h().transmit_refusing(kLanPort, 4);

    EXPECT_EQ(rx_of(h().counters()), in.size());
    EXPECT_EQ(h().counted(Event::forwarded), 6u) << "only what the port accepted";
    EXPECT_EQ(h().dropped(Drop::tx_full), 4u);
    EXPECT_EQ(h().dropped(Drop::ttl_expired), 3u);
    EXPECT_EQ(h().dropped(Drop::local_udp_closed_port), 1u);
    EXPECT_EQ(h().counted(Event::local_delivered), 3u) << "2 echo requests, 1 ARP request";
    EXPECT_EQ(h().counted(Event::own_frames_dropped), 3u) << "answers refused are not drops of what was received";
    EXPECT_EQ(h().counters().ports[kWanPort].tx, 6u);
    EXPECT_EQ(h().counters().ports[kWanPort].tx_dropped, 4u);
    EXPECT_EQ(h().counters().ports[kLanPort].tx, 4u);
    EXPECT_EQ(h().counters().ports[kLanPort].tx_dropped, 3u);
    EXPECT_EQ(h().held_in_ring(), 4u);
    expect_identity("with 4 held");

    // Nobody answers for 10.2.0.3: three requests, then the four held packets are refused (host
    // unreachable to H1, neighbor_failed).
    h().take_emitted();
    h().control(0);
    h().timer(dprouter::kArpRetryMs);
    h().timer(2 * dprouter::kArpRetryMs);
    const auto out = h().timer(3 * dprouter::kArpRetryMs);
    EXPECT_EQ(out.size(), 4u) << "four host unreachable";
    EXPECT_EQ(h().dropped(Drop::neighbor_failed), 4u);
    EXPECT_EQ(held_now(), 0u);
    EXPECT_EQ(h().counted(Event::forwarded), 6u) << "ARP requests and errors are ours, not forwarded";
    expect_identity("after the next hop failed");
}

// A packet held for ARP counts `forwarded` when the worker sends it after the answer, not before.
TEST_F(CountersTruth, HeldPacketCountsWhenReleasedAndSent) {
    h().receive(kLanPort, udp_from_h1(kH3Addr, 1));
    h().receive(kLanPort, udp_from_h1(kH3Addr, 2));
    EXPECT_EQ(h().counted(Event::forwarded), 0u);
    EXPECT_EQ(h().counted(Event::held_for_arp), 2u);
    const auto request = h().control(0);
    ASSERT_EQ(request.size(), 1u);
    EXPECT_EQ(h().counted(Event::forwarded), 0u) << "our ARP request is not forwarded traffic";
    expect_identity("held");
    h().receive(kWanPort, arp_frame(kWanMac, kH3Mac, kArpReply, kH3Mac, kH3Addr, kWanMac, kWanAddr));
    const auto released = h().control(10);
    ASSERT_EQ(released.size(), 2u);
    EXPECT_EQ(released[0].mbuf_port, kWanPort);
    EXPECT_EQ(h().counted(Event::forwarded), 2u);
    EXPECT_EQ(h().counted(Event::local_delivered), 1u) << "the ARP reply";
    expect_identity("released");
}

// A released packet the TX queue refuses is that packet's tx_full.
TEST_F(CountersTruth, ReleasedPacketRefusedByTheQueueIsTxFull) {
    h().receive(kLanPort, udp_from_h1(kH3Addr, 1));
    h().control(0);
    h().receive(kWanPort, arp_frame(kWanMac, kH3Mac, kArpReply, kH3Mac, kH3Addr, kWanMac, kWanAddr));
    std::vector<rte_mbuf*> none;
    // What control() does, without its TX: learn, release, inject into ctx.out.
    for (const auto& msg : h().take_learned()) h().resolver().on_learn(msg, 10, none);
    ASSERT_EQ(none.size(), 1u);
    ASSERT_EQ(rte_ring_sp_enqueue(h().ctx().inject_ring, none[0]), 0);
    dprouter::pipeline_take_injected(h().ctx(), h().tables());
    h().transmit_refusing(kWanPort, 0);
    EXPECT_EQ(h().counted(Event::forwarded), 0u);
    EXPECT_EQ(h().dropped(Drop::tx_full), 1u);
    expect_identity("refused");
}

// Past kHoldPerNextHop the control thread drops: hold_queue_full, in the control thread's block.
TEST_F(CountersTruth, HoldQueueFullIsADropReason) {
    for (uint16_t i = 0; i < kHoldPerNextHop + 3; ++i) h().receive(kLanPort, udp_from_h1(kH3Addr, i));
    h().control(0);
    EXPECT_EQ(h().control_counters().dropped(Drop::hold_queue_full), 3u);
    EXPECT_EQ(h().resolver().stats().hold_dropped, 3u);
    EXPECT_EQ(held_now(), kHoldPerNextHop);
    expect_identity("hold queue full");
}

// An echo reply whose next hop fails is ours: the request was delivered, the reply is lost.
TEST_F(CountersTruth, EchoReplyHeldAndDroppedIsNotADrop) {
    Ipv4Fields f;
    f.src = kH3Addr;
    f.dst = kWanAddr;
    f.protocol = kProtoIcmp;
    h().receive(kWanPort, ipv4_frame(kWanMac, kH3Mac, f, icmp_echo(kIcmpEchoRequest, 1, 1, pattern(8))));
    EXPECT_EQ(h().counted(Event::local_delivered), 1u);
    h().control(0);
    h().timer(dprouter::kArpRetryMs);
    h().timer(2 * dprouter::kArpRetryMs);
    h().timer(3 * dprouter::kArpRetryMs);
    EXPECT_EQ(held_now(), 0u);
    EXPECT_EQ(h().total_dropped() + drops_of(h().control_counters()), 0u) << h().drops_summary();
    EXPECT_EQ(h().control_counters().counted(Event::own_frames_dropped), 1u);
    expect_identity("reply lost");
}

// A fragmented transit datagram counts once, with its last piece: refused, it is one tx_full and
// the other refused piece is no drop of its own.
TEST_F(CountersTruth, FragmentedDatagramCountsOnceWithItsLastPiece) {
    dprouter::Config cfg = lab_config();
    interface_named(cfg, "wan").mtu = 1280;
    rebuild(cfg);
    add_lab_neighbors();
    h().receive(kLanPort, udp_from_h1(kH2Addr, 1, 64, 3000), 1024);
    ASSERT_EQ(h().ctx().out.count[kWanPort], 3u);
    h().transmit_refusing(kWanPort, 1);
    EXPECT_EQ(h().counted(Event::forwarded), 0u);
    EXPECT_EQ(h().dropped(Drop::tx_full), 1u);
    EXPECT_EQ(h().counted(Event::own_frames_dropped), 1u);
    h().take_emitted();

    h().receive(kLanPort, udp_from_h1(kH2Addr, 2, 64, 3000), 1024);
    EXPECT_EQ(h().take_emitted().size(), 3u);
    EXPECT_EQ(h().counted(Event::forwarded), 1u);
    EXPECT_EQ(h().counted(Event::fragments_created), 6u);
    expect_identity("fragmented");
}

}  // namespace
}  // namespace dprtest
