// ARP on the worker (RFC 826, RFC 1122 2.3.2): answers for our addresses on the interface that owns
// them, exact reply bytes, what is passed to the control thread to learn, and what is refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>

#include "packet_builder.hpp"

namespace dprtest {
namespace {

using dprouter::Drop;
using dprouter::Event;
using dprouter::LearnMessage;
using namespace lab;

using Arp = RouterTest;

Bytes request_from_h1(uint32_t target) {
    return arp_frame(kBroadcastMac, kH1Mac, kArpRequest, kH1Mac, kH1Addr, kZeroMac, target);
}

void expect_learned(const LearnMessage& msg, uint32_t sender, uint16_t port, const Mac& mac, bool is_reply) {
    EXPECT_EQ(msg.sender_be, to_be(sender));
    EXPECT_EQ(msg.port, port);
    EXPECT_EQ(msg.is_reply, is_reply ? 1 : 0);
    EXPECT_EQ(from_ether(msg.mac), mac);
}

TEST_F(Arp, AnswersRequestForLanAddressByteExact) {
    h().receive(kLanPort, request_from_h1(kLanAddr));
    const auto out = h().take_emitted();
    ASSERT_EQ(out.size(), 1u) << h().drops_summary();
    EXPECT_EQ(out[0].port, kLanPort);
    // Ethernet to the asker from our lan MAC; ARP reply: we are 10.1.0.1 at the lan MAC, to H1.
    // The 18 bytes of padding of the 60-byte request stay zero.
    const uint8_t head[] = {0x02, 0x00, 0x00, 0x00, 0x01, 0x02,  // destination: H1
                            0x02, 0x00, 0x00, 0x00, 0x01, 0x01,  // source: lan
                            0x08, 0x06,                          // ARP
                            0x00, 0x01, 0x08, 0x00, 0x06, 0x04,  // Ethernet, IPv4, 6, 4
                            0x00, 0x02,                          // reply
                            0x02, 0x00, 0x00, 0x00, 0x01, 0x01,  // sender MAC: lan
                            10,   1,    0,    1,                 // sender IP: 10.1.0.1
                            0x02, 0x00, 0x00, 0x00, 0x01, 0x02,  // target MAC: H1
                            10,   1,    0,    2};                // target IP: 10.1.0.2
    Bytes expected(60, 0);
    std::copy(std::begin(head), std::end(head), expected.begin());
    EXPECT_TRUE(same_bytes(out[0].bytes, expected));
    EXPECT_EQ(h().counted(Event::arp_requests_answered), 1u);
    EXPECT_EQ(h().total_dropped(), 0u) << h().drops_summary();

    const auto learned = h().take_learned();
    ASSERT_EQ(learned.size(), 1u);
    expect_learned(learned[0], kH1Addr, kLanPort, kH1Mac, false);
}

TEST_F(Arp, AnswersRequestForWanAddressOnWanPort) {
    h().receive(kWanPort, arp_frame(kBroadcastMac, kH2Mac, kArpRequest, kH2Mac, kH2Addr, kZeroMac, kWanAddr));
    const auto out = h().take_emitted();
    ASSERT_EQ(out.size(), 1u) << h().drops_summary();
    EXPECT_EQ(out[0].port, kWanPort);
    EXPECT_TRUE(same_bytes(out[0].bytes, arp_frame(kH2Mac, kWanMac, kArpReply, kWanMac, kWanAddr, kH2Mac, kH2Addr)));
    const auto learned = h().take_learned();
    ASSERT_EQ(learned.size(), 1u);
    expect_learned(learned[0], kH2Addr, kWanPort, kH2Mac, false);
}

// A unicast request to our MAC (how Linux refreshes an entry) is answered the same way.
TEST_F(Arp, AnswersUnicastRequest) {
    h().receive(kLanPort, arp_frame(kLanMac, kH1Mac, kArpRequest, kH1Mac, kH1Addr, kLanMac, kLanAddr));
    const auto out = h().take_emitted();
    ASSERT_EQ(out.size(), 1u) << h().drops_summary();
    EXPECT_TRUE(same_bytes(out[0].bytes, arp_frame(kH1Mac, kLanMac, kArpReply, kLanMac, kLanAddr, kH1Mac, kH1Addr)));
}

// The reply is the request rewritten in place: a request delivered without padding (42 bytes, as a
// veth may deliver it) is answered with 42 bytes.
TEST_F(Arp, ReplyKeepsFrameLength) {
    Bytes req = arp_frame(kBroadcastMac, kH1Mac, kArpRequest, kH1Mac, kH1Addr, kZeroMac, kLanAddr);
    req.resize(42);  // no padding at all (a virtual NIC may deliver it so)
    h().receive(kLanPort, req);
    const auto out = h().take_emitted();
    ASSERT_EQ(out.size(), 1u) << h().drops_summary();
    Bytes expected = arp_frame(kH1Mac, kLanMac, kArpReply, kLanMac, kLanAddr, kH1Mac, kH1Addr);
    expected.resize(42);
    EXPECT_TRUE(same_bytes(out[0].bytes, expected));
}

// ARP not addressed to us may refresh a neighbour we already know (RFC 826 merge) but must never
// create one: whatever reaches the control thread is flagged update-only.
void expect_only_updates(const std::vector<dprouter::LearnMessage>& learned) {
    for (const auto& msg : learned) EXPECT_EQ(msg.update_only, 1) << "ARP not for us would create an entry";
}

// 10.2.0.1 is ours, but not on the lan: the lan gets no answer for it (no proxy ARP).
TEST_F(Arp, IgnoresRequestForAddressOwnedByAnotherInterface) {
    h().receive(kLanPort, request_from_h1(kWanAddr));
    EXPECT_EQ(h().dropped(Drop::arp_not_for_us), 1u);
    EXPECT_EQ(h().total_dropped(), 1u) << h().drops_summary();
    EXPECT_TRUE(h().take_emitted().empty());
    expect_only_updates(h().take_learned());
    EXPECT_EQ(h().counted(Event::arp_requests_answered), 0u);
}

TEST_F(Arp, IgnoresRequestForAddressWeDoNotOwn) {
    h().receive(kLanPort, request_from_h1(ipv4(10, 1, 0, 77)));
    EXPECT_EQ(h().dropped(Drop::arp_not_for_us), 1u);
    EXPECT_EQ(h().total_dropped(), 1u) << h().drops_summary();
    EXPECT_TRUE(h().take_emitted().empty());
    expect_only_updates(h().take_learned());
}

TEST_F(Arp, LearnsFromReplyAddressedToUs) {
    const Mac mac{0x02, 0x00, 0x00, 0x00, 0x02, 0x33};
    const uint32_t addr = ipv4(10, 2, 0, 33);
    h().receive(kWanPort, arp_frame(kWanMac, mac, kArpReply, mac, addr, kWanMac, kWanAddr));
    EXPECT_TRUE(h().take_emitted().empty());
    EXPECT_EQ(h().total_dropped(), 0u) << h().drops_summary();
    const auto learned = h().take_learned();
    ASSERT_EQ(learned.size(), 1u);
    expect_learned(learned[0], addr, kWanPort, mac, true);
}

TEST_F(Arp, IgnoresReplyAboutSomeoneElse) {
    h().receive(kLanPort, arp_frame(kLanMac, kH1Mac, kArpReply, kH1Mac, kH1Addr, kH2Mac, ipv4(10, 1, 0, 99)));
    EXPECT_EQ(h().dropped(Drop::arp_not_for_us), 1u);
    EXPECT_TRUE(h().take_emitted().empty());
    expect_only_updates(h().take_learned());
}

// A sender outside the interface's subnets is answered but not learned.
TEST_F(Arp, AnswersOffLinkSenderWithoutLearning) {
    const uint32_t stranger = ipv4(192, 168, 7, 7);
    h().receive(kLanPort, arp_frame(kBroadcastMac, kH1Mac, kArpRequest, kH1Mac, stranger, kZeroMac, kLanAddr));
    const auto out = h().take_emitted();
    ASSERT_EQ(out.size(), 1u) << h().drops_summary();
    EXPECT_TRUE(same_bytes(out[0].bytes, arp_frame(kH1Mac, kLanMac, kArpReply, kLanMac, kLanAddr, kH1Mac, stranger)));
    EXPECT_TRUE(h().take_learned().empty());
}

// RFC 5227 probe (sender 0.0.0.0): answered to the prober's MAC, nothing learned.
TEST_F(Arp, AnswersProbeWithoutLearning) {
    h().receive(kLanPort, arp_frame(kBroadcastMac, kH1Mac, kArpRequest, kH1Mac, 0, kZeroMac, kLanAddr));
    const auto out = h().take_emitted();
    ASSERT_EQ(out.size(), 1u) << h().drops_summary();
    EXPECT_TRUE(same_bytes(out[0].bytes, arp_frame(kH1Mac, kLanMac, kArpReply, kLanMac, kLanAddr, kH1Mac, 0)));
    EXPECT_TRUE(h().take_learned().empty());
}

TEST_F(Arp, DropsRequestInForeignUnicastFrame) {
    h().receive(kLanPort, arp_frame(kH2Mac, kH1Mac, kArpRequest, kH1Mac, kH1Addr, kZeroMac, kLanAddr));
    EXPECT_EQ(h().dropped(Drop::eth_foreign_unicast), 1u);
    EXPECT_TRUE(h().take_emitted().empty());
    EXPECT_TRUE(h().take_learned().empty());
}

// ---------------------------------------------------------------------------------------------
// Malformed: counted as arp_malformed, nothing answered, nothing learned

void expect_malformed(RouterHarness& h) {
    EXPECT_EQ(h.dropped(Drop::arp_malformed), 1u) << h.drops_summary();
    EXPECT_EQ(h.total_dropped(), 1u) << h.drops_summary();
    EXPECT_TRUE(h.take_emitted().empty());
    EXPECT_TRUE(h.take_learned().empty());
}

TEST_F(Arp, DropsHardwareLength8) {
    Bytes f = request_from_h1(kLanAddr);
    f[kEthHdrLen + 4] = 8;
    h().receive(kLanPort, f);
    expect_malformed(h());
}

TEST_F(Arp, DropsTruncated) {
    Bytes f = request_from_h1(kLanAddr);
    f.resize(kEthHdrLen + 27);
    h().receive(kLanPort, f);
    expect_malformed(h());
}

TEST_F(Arp, DropsOpcode3) {
    Bytes f = request_from_h1(kLanAddr);
    put16(f, kEthHdrLen + 6, 3);
    h().receive(kLanPort, f);
    expect_malformed(h());
}

TEST_F(Arp, DropsNonEthernetHardwareType) {
    Bytes f = request_from_h1(kLanAddr);
    put16(f, kEthHdrLen, 6);  // IEEE 802
    h().receive(kLanPort, f);
    expect_malformed(h());
}

TEST_F(Arp, DropsNonIpv4ProtocolType) {
    Bytes f = request_from_h1(kLanAddr);
    put16(f, kEthHdrLen + 2, kEtherIpv6);
    h().receive(kLanPort, f);
    expect_malformed(h());
}

TEST_F(Arp, DropsProtocolLength16) {
    Bytes f = request_from_h1(kLanAddr);
    f[kEthHdrLen + 5] = 16;
    h().receive(kLanPort, f);
    expect_malformed(h());
}

TEST_F(Arp, DropsMulticastSenderMac) {
    const Mac bad{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
    h().receive(kLanPort, arp_frame(kBroadcastMac, kH1Mac, kArpRequest, bad, kH1Addr, kZeroMac, kLanAddr));
    expect_malformed(h());
}

// ---------------------------------------------------------------------------------------------

// When the learn ring is full, the request is still answered; the lost message is counted.
TEST_F(Arp, LearnRingFullStillAnswers) {
    HarnessOptions opt;
    opt.ring_size = 4;  // 3 usable slots
    rebuild(lab_config(), opt);
    std::vector<Bytes> reqs;
    for (uint8_t i = 0; i < 5; ++i) {
        const Mac mac{0x02, 0, 0, 0, 0x01, static_cast<uint8_t>(0x20 + i)};
        reqs.push_back(arp_frame(kBroadcastMac, mac, kArpRequest, mac, ipv4(10, 1, 0, static_cast<uint8_t>(20 + i)),
                                 kZeroMac, kLanAddr));
    }
    h().receive_burst(kLanPort, reqs);
    EXPECT_EQ(h().take_emitted().size(), 5u);
    EXPECT_EQ(h().take_learned().size(), 3u);
    // The requests themselves went on (answered): a lost report is no drop of theirs.
    EXPECT_EQ(h().counted(Event::learn_messages_lost), 2u);
    EXPECT_EQ(h().total_dropped(), 0u) << h().drops_summary();
    EXPECT_EQ(h().counted(Event::arp_requests_answered), 5u);
    EXPECT_EQ(h().counted(Event::local_delivered), 5u);
}

// RFC 826 ("merge"): a packet from a sender already in the table updates its hardware address
// before the "am I the target?" test, so a gratuitous ARP (target = sender) from a neighbour that
// changed its MAC takes effect at once. Linux does the same for existing entries.
TEST_F(Arp, GratuitousArpFromKnownNeighbourUpdatesItsMac) {
    // H1 becomes known the normal way.
    h().receive(kLanPort, request_from_h1(kLanAddr));
    h().take_emitted();
    h().control(0);
    ASSERT_TRUE(h().neighbor(kH1Addr, kLanPort).has_value());

    // H1's address moves to a new MAC, announced by gratuitous ARP.
    const Mac moved{0x02, 0x00, 0x00, 0x00, 0x01, 0x99};
    h().receive(kLanPort, arp_frame(kBroadcastMac, moved, kArpRequest, moved, kH1Addr, kZeroMac, kH1Addr));
    EXPECT_TRUE(h().take_emitted().empty());
    h().control(10);

    // Traffic to H1 now goes to the new MAC.
    Ipv4Fields ip;
    ip.src = kH2Addr;
    ip.dst = kH1Addr;
    const Bytes l4 = udp_segment(ip.src, ip.dst, 1, 2, pattern(8));
    h().receive(kWanPort, ipv4_frame(kWanMac, kH2Mac, ip, l4));
    const auto out = h().take_emitted();
    ASSERT_EQ(out.size(), 1u) << h().drops_summary();
    EXPECT_EQ(get_mac(out[0].bytes, 0), moved) << "still sending to the MAC H1 gave up";
}

}  // namespace
}  // namespace dprtest
