// ICMP errors and TCP resets the router originates (RFC 792, RFC 793, RFC 1191, RFC 1812 4.3.2 and
// 5.2.7), driven through the real pipeline with crafted frames. Every expected frame is built here
// with packet_builder's independent builders and compared byte for byte with what the router sent.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <rte_ip.h>
#include <rte_ring.h>

#include "dprouter/config.hpp"
#include "dprouter/counters.hpp"
#include "dprouter/icmp.hpp"
#include "dprouter/pipeline.hpp"
#include "icmp/icmp_error.hpp"
#include "packet_builder.hpp"

namespace dprtest {
namespace {

using dprouter::Config;
using dprouter::Drop;
using dprouter::Event;
using dprouter::IcmpKind;
using dprouter::IcmpSuppress;

constexpr uint16_t kErrId = 0x7a01;  // IP ID the worker gives the next datagram it originates
constexpr size_t kMaxQuote = 576 - 20 - 8;

// Hosts beyond the lab's.
constexpr uint32_t kR3Addr = ipv4(10, 1, 0, 3);  // a second router on the lan
constexpr Mac kR3Mac{0x02, 0x00, 0x00, 0x00, 0x01, 0x03};
constexpr uint32_t kLanHost5 = ipv4(10, 1, 0, 5);
constexpr Mac kLanHost5Mac{0x02, 0x00, 0x00, 0x00, 0x01, 0x05};
constexpr uint32_t kRedirectNet = ipv4(10, 77, 0, 0);  // /16 via kR3Addr (lan)
constexpr uint32_t kBehindR3Net = ipv4(10, 9, 0, 0);   // /16 via kR3Addr (lan)
constexpr uint32_t kNoRoute = ipv4(192, 0, 2, 1);

dprouter::NeighborConfig neighbor(uint32_t addr, const Mac& mac, const char* ifname) {
    dprouter::NeighborConfig n;
    n.address = addr;
    n.mac = to_mac_addr(mac);
    n.interface = ifname;
    return n;
}

// The lab with static neighbours for H1, H2 and the gateway, so that errors leave at once.
Config icmp_config() {
    Config cfg = lab_config();
    cfg.neighbors.push_back(neighbor(lab::kH1Addr, lab::kH1Mac, "lan"));
    cfg.neighbors.push_back(neighbor(lab::kH2Addr, lab::kH2Mac, "wan"));
    cfg.neighbors.push_back(neighbor(lab::kGatewayAddr, lab::kGatewayMac, "wan"));
    return cfg;
}

dprouter::RouteConfig route_via(uint32_t net, uint8_t len, uint32_t via) {
    dprouter::RouteConfig r;
    r.prefix = {net, len};
    r.action = dprouter::RouteAction::forward;
    r.has_via = true;
    r.via = via;
    return r;
}

// The lab plus a second router R3 on the lan that reaches 10.77.0.0/16 and 10.9.0.0/16.
Config redirect_config() {
    Config cfg = icmp_config();
    cfg.routes.push_back(route_via(kRedirectNet, 16, kR3Addr));
    cfg.routes.push_back(route_via(kBehindR3Net, 16, kR3Addr));
    cfg.neighbors.push_back(neighbor(kR3Addr, kR3Mac, "lan"));
    cfg.neighbors.push_back(neighbor(kLanHost5, kLanHost5Mac, "lan"));
    return cfg;
}

Ipv4Fields ip_fields(uint32_t src, uint32_t dst, uint8_t ttl = 64, uint8_t proto = kProtoUdp) {
    Ipv4Fields f;
    f.src = src;
    f.dst = dst;
    f.ttl = ttl;
    f.protocol = proto;
    return f;
}

// A UDP datagram (IP header first) with a recognisable payload of `payload_len` bytes.
Bytes udp_datagram(Ipv4Fields f, size_t payload_len = 24) {
    f.protocol = kProtoUdp;
    return ipv4_datagram(f, udp_segment(f.src, f.dst, 33434, 33435, pattern(payload_len, 0x40)));
}

// The datagram in a frame for the router, from `src_mac`, padded as on the wire.
Bytes frame_to(const Mac& router_mac, const Mac& src_mac, const Bytes& datagram) {
    return ethernet_frame(router_mac, src_mac, kEtherIpv4, datagram, kEthMinFrame);
}
Bytes from_h1(const Bytes& datagram) { return frame_to(lab::kLanMac, lab::kH1Mac, datagram); }

// The ICMP error the router owes `offender` (its IP datagram as sent), independently built:
// TTL 64, DF clear, ID `id`, TOS 0xc0 | (offender TOS & 0x1e), quote = as much of the offender as
// keeps the error within 576 bytes.
Bytes icmp_error(const Mac& eth_dst, const Mac& eth_src, uint32_t src, uint32_t dst, uint8_t type, uint8_t code,
                 uint32_t rest, const Bytes& offender, uint16_t id = kErrId) {
    const Bytes quote(offender.begin(), offender.begin() + static_cast<std::ptrdiff_t>(std::min(offender.size(), kMaxQuote)));
    Ipv4Fields f = ip_fields(src, dst, 64, kProtoIcmp);
    f.tos = static_cast<uint8_t>(0xc0 | (offender.at(1) & 0x1e));
    f.id = id;
    f.frag = 0;
    return ipv4_frame(eth_dst, eth_src, f, icmp_message(type, code, rest, quote));
}
// An error sent to H1 out of the lan.
Bytes error_to_h1(uint32_t src, uint8_t type, uint8_t code, uint32_t rest, const Bytes& offender, uint16_t id = kErrId) {
    return icmp_error(lab::kH1Mac, lab::kLanMac, src, lab::kH1Addr, type, code, rest, offender, id);
}

// `datagram` as it must leave: TTL one less, header checksum recomputed, nothing else changed.
Bytes forwarded(const Mac& eth_dst, const Mac& eth_src, const Bytes& datagram) {
    Bytes ip = datagram;
    ip.at(8) = static_cast<uint8_t>(ip.at(8) - 1);
    const size_t ihl = (ip[0] & 0x0f) * 4u;
    put16(ip, 10, 0);
    put16(ip, 10, internet_checksum(ip.data(), ihl));
    return ethernet_frame(eth_dst, eth_src, kEtherIpv4, ip);
}

std::string describe(const std::vector<Emitted>& out) {
    std::ostringstream s;
    s << out.size() << " frame(s):";
    for (const Emitted& e : out) {
        s << " [port " << e.port << ", " << e.bytes.size() << " bytes";
        if (auto v = icmp_view(e.bytes)) s << ", icmp " << int{v->type} << "/" << int{v->code};
        s << "]";
    }
    return s.str();
}

std::vector<Emitted> on_port(const std::vector<Emitted>& out, uint16_t port) {
    std::vector<Emitted> v;
    for (const Emitted& e : out)
        if (e.port == port) v.push_back(e);
    return v;
}

// IPv4 protocol of an emitted frame (0 when not IPv4).
uint8_t proto_of(const Emitted& e) {
    return e.bytes.size() >= kEthHdrLen + 20 && get16(e.bytes, 12) == kEtherIpv4 ? e.bytes[kEthHdrLen + 9] : 0;
}

class IcmpTest : public RouterTest {
protected:
    void SetUp() override {
        RouterTest::SetUp();
        use(icmp_config());
    }
    void use(const Config& cfg) {
        rebuild(cfg);
        h().ctx().next_ip_id = kErrId;
    }
    // icmp_config() with the MTU of interface `name` set to `mtu`.
    void use_mtu(const char* name, unsigned mtu) {
        Config cfg = icmp_config();
        interface_named(cfg, name).mtu = mtu;
        use(cfg);
    }
    uint64_t suppressed(IcmpSuppress why) { return h().counters().suppressed(why); }
    uint64_t suppressed_kind(IcmpKind k) { return h().counters().icmp_suppressed[static_cast<size_t>(k)]; }
    uint64_t total_sent() { return h().counters().icmp_sent_total(); }
    uint64_t total_suppressed() { return h().counters().icmp_suppressed_total(); }
    // Receives `frame` on `port` and expects exactly one frame out, on `out_port`, equal to `expected`.
    void expect_one(uint16_t port, const Bytes& frame, uint16_t out_port, const Bytes& expected) {
        h().receive(port, frame);
        const auto out = h().take_emitted();
        ASSERT_EQ(out.size(), 1u) << describe(out) << "; drops: " << h().drops_summary();
        EXPECT_EQ(out[0].port, out_port);
        EXPECT_TRUE(same_bytes(out[0].bytes, expected));
    }
    // Receives `frame` and expects nothing to leave and nothing to be held.
    void expect_nothing(uint16_t port, const Bytes& frame) {
        h().receive(port, frame);
        const auto out = h().take_emitted();
        EXPECT_TRUE(out.empty()) << describe(out);
        EXPECT_EQ(h().held_in_ring(), 0u);
    }
};

// =============================================================================================
// Every message type and code

using IcmpErrors = IcmpTest;

TEST_F(IcmpErrors, TimeExceededForTransitTtl1) {
    const Bytes dg = udp_datagram(ip_fields(lab::kH1Addr, lab::kH2Addr, 1));
    expect_one(lab::kLanPort, from_h1(dg), lab::kLanPort, error_to_h1(lab::kLanAddr, 11, 0, 0, dg));
    EXPECT_EQ(h().dropped(Drop::ttl_expired), 1u);
    EXPECT_EQ(h().icmp_sent(IcmpKind::time_exceeded), 1u);
    EXPECT_EQ(h().counted(Event::forwarded), 0u);
}

TEST_F(IcmpErrors, TimeExceededForTransitTtl0) {
    const Bytes dg = udp_datagram(ip_fields(lab::kH1Addr, lab::kH2Addr, 0));
    expect_one(lab::kLanPort, from_h1(dg), lab::kLanPort, error_to_h1(lab::kLanAddr, 11, 0, 0, dg));
    EXPECT_EQ(h().dropped(Drop::ttl_expired), 1u);
}

TEST_F(IcmpErrors, TimeExceededForRoutedDestination) {
    const Bytes dg = udp_datagram(ip_fields(lab::kH1Addr, ipv4(10, 99, 3, 4), 1));
    expect_one(lab::kLanPort, from_h1(dg), lab::kLanPort, error_to_h1(lab::kLanAddr, 11, 0, 0, dg));
}

TEST_F(IcmpErrors, TimeExceededToRemoteSourceLeavesThroughItsGateway) {
    const uint32_t remote = ipv4(10, 99, 0, 5);
    const Bytes dg = udp_datagram(ip_fields(remote, lab::kH1Addr, 1));
    expect_one(lab::kWanPort, frame_to(lab::kWanMac, lab::kGatewayMac, dg), lab::kWanPort,
               icmp_error(lab::kGatewayMac, lab::kWanMac, lab::kWanAddr, remote, 11, 0, 0, dg));
}

TEST_F(IcmpErrors, Ttl2IsForwardedWithTtl1) {
    const Bytes dg = udp_datagram(ip_fields(lab::kH1Addr, lab::kH2Addr, 2));
    expect_one(lab::kLanPort, from_h1(dg), lab::kWanPort, forwarded(lab::kH2Mac, lab::kWanMac, dg));
    EXPECT_EQ(total_sent(), 0u);
}

TEST_F(IcmpErrors, NetUnreachableWhenNoRoute) {
    const Bytes dg = udp_datagram(ip_fields(lab::kH1Addr, kNoRoute));
    expect_one(lab::kLanPort, from_h1(dg), lab::kLanPort, error_to_h1(lab::kLanAddr, 3, 0, 0, dg));
    EXPECT_EQ(h().dropped(Drop::no_route), 1u);
    EXPECT_EQ(h().icmp_sent(IcmpKind::net_unreachable), 1u);
}

TEST_F(IcmpErrors, HostUnreachableForUnreachableRoute) {
    const Bytes dg = udp_datagram(ip_fields(lab::kH1Addr, lab::kUnreachableNet + 0x0105));
    expect_one(lab::kLanPort, from_h1(dg), lab::kLanPort, error_to_h1(lab::kLanAddr, 3, 1, 0, dg));
    EXPECT_EQ(h().dropped(Drop::route_unreachable), 1u);
    EXPECT_EQ(h().icmp_sent(IcmpKind::host_unreachable), 1u);
}

TEST_F(IcmpErrors, AdminProhibitedForProhibitRoute) {
    const Bytes dg = udp_datagram(ip_fields(lab::kH1Addr, lab::kProhibitNet + 0x0105));
    expect_one(lab::kLanPort, from_h1(dg), lab::kLanPort, error_to_h1(lab::kLanAddr, 3, 13, 0, dg));
    EXPECT_EQ(h().dropped(Drop::route_prohibit), 1u);
    EXPECT_EQ(h().icmp_sent(IcmpKind::admin_prohibited), 1u);
}

TEST_F(IcmpErrors, BlackholeSendsNothing) {
    const Bytes dg = udp_datagram(ip_fields(lab::kH1Addr, lab::kBlackholeNet + 0x0105));
    expect_nothing(lab::kLanPort, from_h1(dg));
    EXPECT_EQ(h().dropped(Drop::route_blackhole), 1u);
    EXPECT_EQ(total_sent(), 0u);
    EXPECT_EQ(total_suppressed(), 0u);
}

TEST_F(IcmpErrors, BlackholeWithTtl1SendsNothingEither) {
    const Bytes dg = udp_datagram(ip_fields(lab::kH1Addr, lab::kBlackholeNet + 0x0105, 1));
    expect_nothing(lab::kLanPort, from_h1(dg));
    EXPECT_EQ(h().dropped(Drop::route_blackhole), 1u);
    EXPECT_EQ(total_sent(), 0u);
}

TEST_F(IcmpErrors, PortUnreachableForUdpToLanAddress) {
    const Bytes dg = udp_datagram(ip_fields(lab::kH1Addr, lab::kLanAddr));
    expect_one(lab::kLanPort, from_h1(dg), lab::kLanPort, error_to_h1(lab::kLanAddr, 3, 3, 0, dg));
    EXPECT_EQ(h().dropped(Drop::local_udp_closed_port), 1u);
    EXPECT_EQ(h().icmp_sent(IcmpKind::port_unreachable), 1u);
}

TEST_F(IcmpErrors, PortUnreachableForUdpToFarAddressComesFromThatAddress) {
    const Bytes dg = udp_datagram(ip_fields(lab::kH1Addr, lab::kWanAddr));
    expect_one(lab::kLanPort, from_h1(dg), lab::kLanPort, error_to_h1(lab::kWanAddr, 3, 3, 0, dg));
}

TEST_F(IcmpErrors, PortUnreachableEvenWithTtl1ToTheRouter) {
    // The last traceroute probe arrives with TTL 1: it is ours, so port unreachable, not time exceeded.
    const Bytes dg = udp_datagram(ip_fields(lab::kH1Addr, lab::kWanAddr, 1));
    expect_one(lab::kLanPort, from_h1(dg), lab::kLanPort, error_to_h1(lab::kWanAddr, 3, 3, 0, dg));
    EXPECT_EQ(h().dropped(Drop::ttl_expired), 0u);
}

TEST_F(IcmpErrors, PortUnreachableForUdpWithoutChecksum) {
    Bytes udp = udp_segment(lab::kH1Addr, lab::kLanAddr, 33434, 33435, pattern(24));
    put16(udp, 6, 0);  // RFC 768: no checksum
    const Bytes dg = ipv4_datagram(ip_fields(lab::kH1Addr, lab::kLanAddr), udp);
    expect_one(lab::kLanPort, from_h1(dg), lab::kLanPort, error_to_h1(lab::kLanAddr, 3, 3, 0, dg));
}

// RFC 1122 4.1.3.4: a UDP datagram with a non-zero, wrong checksum MUST be silently discarded (Linux
// checks it before answering port unreachable; docs/icmp.md: nothing is sent for bad checksums).
TEST_F(IcmpErrors, NoPortUnreachableForUdpWithBadChecksum) {
    Bytes udp = udp_segment(lab::kH1Addr, lab::kLanAddr, 33434, 33435, pattern(24));
    put16(udp, 6, static_cast<uint16_t>(get16(udp, 6) ^ 0x0101));
    expect_nothing(lab::kLanPort, from_h1(ipv4_datagram(ip_fields(lab::kH1Addr, lab::kLanAddr), udp)));
    EXPECT_EQ(h().icmp_sent(IcmpKind::port_unreachable), 0u);
}

TEST_F(IcmpErrors, ProtocolUnreachableForGre) {
    const Bytes dg = ipv4_datagram(ip_fields(lab::kH1Addr, lab::kLanAddr, 64, 47), pattern(20, 0x90));
    expect_one(lab::kLanPort, from_h1(dg), lab::kLanPort, error_to_h1(lab::kLanAddr, 3, 2, 0, dg));
    EXPECT_EQ(h().dropped(Drop::local_unknown_protocol), 1u);
    EXPECT_EQ(h().icmp_sent(IcmpKind::protocol_unreachable), 1u);
}

TEST_F(IcmpErrors, ProtocolUnreachableToFarAddressComesFromThatAddress) {
    const Bytes dg = ipv4_datagram(ip_fields(lab::kH1Addr, lab::kWanAddr, 64, 47), pattern(20, 0x90));
    expect_one(lab::kLanPort, from_h1(dg), lab::kLanPort, error_to_h1(lab::kWanAddr, 3, 2, 0, dg));
}

// A next hop on a connected net that never answers ARP: after 3 requests 1 s apart the held packet
// comes back through the inject ring and its sender gets host unreachable quoting it as it arrived.
TEST_F(IcmpErrors, HostUnreachableWhenNextHopNeverAnswersArp) {
    const uint32_t silent = ipv4(10, 2, 0, 7);
    Ipv4Fields f = ip_fields(lab::kH1Addr, silent, 17);
    f.tos = 0x10;
    const Bytes dg = udp_datagram(f);
    h().receive(lab::kLanPort, from_h1(dg));
    EXPECT_TRUE(h().take_emitted().empty());
    ASSERT_EQ(h().held_in_ring(), 1u);

    auto arp_requests = [](const std::vector<Emitted>& out) {
        size_t n = 0;
        for (const Emitted& e : out) n += (e.port == lab::kWanPort && get16(e.bytes, 12) == kEtherArp);
        return n;
    };
    auto out = h().control(0);
    EXPECT_EQ(arp_requests(out), 1u) << describe(out);
    EXPECT_EQ(out.size(), 1u) << describe(out);
    out = h().timer(999);
    EXPECT_TRUE(out.empty()) << describe(out);
    out = h().timer(1000);
    EXPECT_EQ(arp_requests(out), 1u) << describe(out);
    out = h().timer(2000);
    EXPECT_EQ(arp_requests(out), 1u) << describe(out);
    EXPECT_EQ(h().icmp_sent(IcmpKind::host_unreachable), 0u) << "three requests before giving up";

    out = h().timer(3000);
    ASSERT_EQ(out.size(), 1u) << describe(out);
    EXPECT_EQ(out[0].port, lab::kLanPort);
    // The quote carries TTL 17 (as it arrived, not 16) and the original header checksum.
    EXPECT_TRUE(same_bytes(out[0].bytes, error_to_h1(lab::kLanAddr, 3, 1, 0, dg)));
    EXPECT_EQ(h().icmp_sent(IcmpKind::host_unreachable), 1u);
    EXPECT_EQ(h().dropped(Drop::neighbor_failed), 1u);
    EXPECT_EQ(h().counted(Event::injected), 4u) << "three ARP requests and the refused packet";
}

// The same, driving the resolver by hand: the refused packet comes back marked for the worker.
TEST_F(IcmpErrors, FailedNextHopReturnsTheHeldPacketThroughTheInjectRing) {
    const uint32_t silent = ipv4(10, 2, 0, 8);
    const Bytes dg = udp_datagram(ip_fields(lab::kH1Addr, silent, 64), 40);
    h().receive(lab::kLanPort, from_h1(dg));
    std::vector<rte_mbuf*> held = h().take_held_mbufs();
    ASSERT_EQ(held.size(), 1u);
    std::vector<rte_mbuf*> out;
    h().resolver().on_held(held[0], 0, out);
    for (uint64_t t : {1000u, 2000u, 3000u}) h().resolver().on_timer(t, out);
    size_t marked = 0;
    for (rte_mbuf* m : out) marked += m->port == dprouter::kInjectHostUnreachable;
    EXPECT_EQ(marked, 1u);
    ASSERT_EQ(rte_ring_sp_enqueue_burst(h().ctx().inject_ring, reinterpret_cast<void**>(out.data()),
                                        static_cast<unsigned>(out.size()), nullptr),
              out.size());
    dprouter::pipeline_take_injected(h().ctx(), h().tables());
    const auto lan = on_port(h().take_emitted(), lab::kLanPort);
    ASSERT_EQ(lan.size(), 1u);
    EXPECT_TRUE(same_bytes(lan[0].bytes, error_to_h1(lab::kLanAddr, 3, 1, 0, dg)));
}

TEST_F(IcmpErrors, HostUnreachableAtOnceWhileNextHopIsFailed) {
    const uint32_t silent = ipv4(10, 2, 0, 7);
    h().receive(lab::kLanPort, from_h1(udp_datagram(ip_fields(lab::kH1Addr, silent, 30))));
    h().control(0);
    h().timer(1000);
    h().timer(2000);
    ASSERT_EQ(h().timer(3000).size(), 1u);

    // Within the 5 s the next hop stays failed, new packets are answered at once, by the worker.
    h().ctx().next_ip_id = kErrId;
    const Bytes dg = udp_datagram(ip_fields(lab::kH1Addr, silent, 9), 100);
    expect_one(lab::kLanPort, from_h1(dg), lab::kLanPort, error_to_h1(lab::kLanAddr, 3, 1, 0, dg));
    EXPECT_EQ(h().held_in_ring(), 0u);
    EXPECT_EQ(h().dropped(Drop::neighbor_failed), 2u);
}

TEST_F(IcmpErrors, HostUnreachableForEveryHeldPacketOfAFailedNextHop) {
    const uint32_t silent = ipv4(10, 2, 0, 7);
    std::vector<Bytes> dgs;
    for (uint8_t ttl : {5, 6, 7}) {
        dgs.push_back(udp_datagram(ip_fields(lab::kH1Addr, silent, ttl), ttl));
        h().receive(lab::kLanPort, from_h1(dgs.back()));
    }
    h().control(0);
    h().timer(1000);
    h().timer(2000);
    const auto out = h().timer(3000);
    ASSERT_EQ(out.size(), 3u) << describe(out);
    for (size_t i = 0; i < 3; ++i)
        EXPECT_TRUE(same_bytes(out[i].bytes,
                               error_to_h1(lab::kLanAddr, 3, 1, 0, dgs[i], static_cast<uint16_t>(kErrId + i))))
            << i;
}

TEST_F(IcmpErrors, ParamProblemForOptionLengthZero) {
    Ipv4Fields f = ip_fields(lab::kH1Addr, lab::kH2Addr);
    f.options = {0x07, 0x00, 0x00, 0x00};  // record route with length 0
    const Bytes dg = udp_datagram(f);
    // Pointer: the length octet at offset 21 of the header, in the first octet of the second word.
    expect_one(lab::kLanPort, from_h1(dg), lab::kLanPort, error_to_h1(lab::kLanAddr, 12, 0, 21u << 24, dg));
    EXPECT_EQ(h().dropped(Drop::ipv4_bad_options), 1u);
    EXPECT_EQ(h().icmp_sent(IcmpKind::param_problem), 1u);
    EXPECT_EQ(h().counted(Event::forwarded), 0u);
}

TEST_F(IcmpErrors, ParamProblemForOptionLengthOne) {
    Ipv4Fields f = ip_fields(lab::kH1Addr, lab::kH2Addr);
    f.options = {0x1e, 0x01, 0x00, 0x00};
    const Bytes dg = udp_datagram(f);
    expect_one(lab::kLanPort, from_h1(dg), lab::kLanPort, error_to_h1(lab::kLanAddr, 12, 0, 21u << 24, dg));
}

TEST_F(IcmpErrors, ParamProblemForOptionLengthPastTheHeader) {
    Ipv4Fields f = ip_fields(lab::kH1Addr, lab::kH2Addr);
    f.options = {0x01, 0x01, 0x1e, 0x09, 0x00, 0x00, 0x00, 0x00};  // NOP NOP, then 9 bytes claimed in 6
    const Bytes dg = udp_datagram(f);
    expect_one(lab::kLanPort, from_h1(dg), lab::kLanPort, error_to_h1(lab::kLanAddr, 12, 0, 23u << 24, dg));
}

TEST_F(IcmpErrors, ParamProblemForOptionWithNoRoomForItsLength) {
    Ipv4Fields f = ip_fields(lab::kH1Addr, lab::kH2Addr);
    f.options = {0x01, 0x01, 0x01, 0x44};  // a timestamp type octet in the last byte
    const Bytes dg = udp_datagram(f);
    expect_one(lab::kLanPort, from_h1(dg), lab::kLanPort, error_to_h1(lab::kLanAddr, 12, 0, 23u << 24, dg));
}

TEST_F(IcmpErrors, ParamProblemForMalformedOptionInDatagramToTheRouter) {
    Ipv4Fields f = ip_fields(lab::kH1Addr, lab::kLanAddr);
    f.options = {0x07, 0x00, 0x00, 0x00};
    const Bytes dg = udp_datagram(f);
    expect_one(lab::kLanPort, from_h1(dg), lab::kLanPort, error_to_h1(lab::kLanAddr, 12, 0, 21u << 24, dg));
    EXPECT_EQ(h().icmp_sent(IcmpKind::port_unreachable), 0u);
}

TEST_F(IcmpErrors, LooseSourceRouteDroppedSilently) {
    Ipv4Fields f = ip_fields(lab::kH1Addr, lab::kH2Addr);
    f.options = {0x83, 0x07, 0x04, 10, 99, 0, 5, 0x00};  // LSRR through 10.99.0.5, then EOL
    expect_nothing(lab::kLanPort, from_h1(udp_datagram(f)));
    EXPECT_EQ(h().dropped(Drop::source_route_rejected), 1u);
    EXPECT_EQ(total_sent(), 0u);
}

TEST_F(IcmpErrors, StrictSourceRouteDroppedSilently) {
    Ipv4Fields f = ip_fields(lab::kH1Addr, lab::kH2Addr);
    f.options = {0x01, 0x89, 0x07, 0x04, 10, 99, 0, 5};  // NOP, SSRR
    expect_nothing(lab::kLanPort, from_h1(udp_datagram(f)));
    EXPECT_EQ(h().dropped(Drop::source_route_rejected), 1u);
    EXPECT_EQ(total_sent(), 0u);
}

TEST_F(IcmpErrors, SourceRouteToTheRouterDroppedSilently) {
    Ipv4Fields f = ip_fields(lab::kH1Addr, lab::kLanAddr, 1);
    f.options = {0x83, 0x07, 0x04, 10, 2, 0, 2, 0x00};
    expect_nothing(lab::kLanPort, from_h1(udp_datagram(f)));
    EXPECT_EQ(h().dropped(Drop::source_route_rejected), 1u);
    EXPECT_EQ(total_sent(), 0u);
}

class IcmpFragNeeded : public IcmpTest {
protected:
    void SetUp() override {
        RouterTest::SetUp();
        use_mtu("wan", 1300);
    }
    static Bytes df_datagram(size_t total, uint8_t ttl = 64) {
        Ipv4Fields f = ip_fields(lab::kH1Addr, lab::kH2Addr, ttl);
        f.frag = kIpDf;
        return udp_datagram(f, total - 28);
    }
};

TEST_F(IcmpFragNeeded, OneByteOverTheMtuWithDf) {
    const Bytes dg = df_datagram(1301);
    ASSERT_EQ(dg.size(), 1301u);
    expect_one(lab::kLanPort, from_h1(dg), lab::kLanPort, error_to_h1(lab::kLanAddr, 3, 4, 0x00000514, dg));
    EXPECT_EQ(h().dropped(Drop::mtu_exceeded), 1u);
    EXPECT_EQ(h().icmp_sent(IcmpKind::frag_needed), 1u);
    EXPECT_EQ(h().counted(Event::fragmented), 0u);
}

TEST_F(IcmpFragNeeded, ErrorIs576BytesWithTtlAsArrived) {
    const Bytes dg = df_datagram(1400, 33);
    h().receive(lab::kLanPort, from_h1(dg));
    const auto out = h().take_emitted();
    ASSERT_EQ(out.size(), 1u) << describe(out);
    EXPECT_EQ(out[0].bytes.size(), kEthHdrLen + 576);
    const auto v = icmp_view(out[0].bytes);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->rest, 1300u);
    ASSERT_EQ(v->body.size(), kMaxQuote);
    EXPECT_EQ(v->body[8], 33) << "quoted TTL";
    EXPECT_TRUE(same_bytes(out[0].bytes, error_to_h1(lab::kLanAddr, 3, 4, 1300, dg)));
}

TEST_F(IcmpFragNeeded, ExactlyTheMtuWithDfIsForwarded) {
    const Bytes dg = df_datagram(1300);
    expect_one(lab::kLanPort, from_h1(dg), lab::kWanPort, forwarded(lab::kH2Mac, lab::kWanMac, dg));
    EXPECT_EQ(total_sent(), 0u);
    EXPECT_EQ(h().counted(Event::forwarded), 1u);
}

TEST_F(IcmpFragNeeded, TimeExceededBeforeFragNeeded) {
    const Bytes dg = df_datagram(1400, 1);
    expect_one(lab::kLanPort, from_h1(dg), lab::kLanPort, error_to_h1(lab::kLanAddr, 11, 0, 0, dg));
    EXPECT_EQ(h().icmp_sent(IcmpKind::frag_needed), 0u);
}

TEST_F(IcmpFragNeeded, TheOtherDirectionHasTheBiggerMtu) {
    // 1400 bytes from H2 to H1 leave by the lan (MTU 1500): forwarded whole.
    Ipv4Fields f = ip_fields(lab::kH2Addr, lab::kH1Addr);
    f.frag = kIpDf;
    const Bytes dg = udp_datagram(f, 1400 - 28);
    expect_one(lab::kWanPort, frame_to(lab::kWanMac, lab::kH2Mac, dg), lab::kLanPort,
               forwarded(lab::kH1Mac, lab::kLanMac, dg));
}

// =============================================================================================
// Redirects (RFC 1812 5.2.7.2, RFC 792): host redirect 5/1, and the packet is still forwarded

class IcmpRedirect : public IcmpTest {
protected:
    void SetUp() override {
        RouterTest::SetUp();
        use(redirect_config());
    }
};

TEST_F(IcmpRedirect, SentToSenderAndPacketStillForwarded) {
    const Bytes dg = udp_datagram(ip_fields(lab::kH1Addr, kRedirectNet + 0x0005));
    h().receive(lab::kLanPort, from_h1(dg));
    const auto out = h().take_emitted();
    ASSERT_EQ(out.size(), 2u) << describe(out);
    const auto lan = on_port(out, lab::kLanPort);
    ASSERT_EQ(lan.size(), 2u) << describe(out);
    const Bytes redirect = error_to_h1(lab::kLanAddr, 5, 1, kR3Addr, dg);
    const Bytes fwd = forwarded(kR3Mac, lab::kLanMac, dg);
    const bool first_is_redirect = proto_of(lan[0]) == kProtoIcmp;
    EXPECT_TRUE(same_bytes(lan[first_is_redirect ? 0 : 1].bytes, redirect));
    EXPECT_TRUE(same_bytes(lan[first_is_redirect ? 1 : 0].bytes, fwd));
    EXPECT_EQ(h().icmp_sent(IcmpKind::redirect_host), 1u);
    EXPECT_EQ(h().counted(Event::forwarded), 1u);
    EXPECT_EQ(h().total_dropped(), 0u) << h().drops_summary();
}

TEST_F(IcmpRedirect, ToOnLinkDestinationNamesTheDestination) {
    const Bytes dg = udp_datagram(ip_fields(lab::kH1Addr, kLanHost5));
    h().receive(lab::kLanPort, from_h1(dg));
    const auto out = h().take_emitted();
    ASSERT_EQ(out.size(), 2u) << describe(out);
    const bool first_is_redirect = proto_of(out[0]) == kProtoIcmp;
    EXPECT_TRUE(same_bytes(out[first_is_redirect ? 0 : 1].bytes, error_to_h1(lab::kLanAddr, 5, 1, kLanHost5, dg)));
    EXPECT_TRUE(same_bytes(out[first_is_redirect ? 1 : 0].bytes, forwarded(kLanHost5Mac, lab::kLanMac, dg)));
}

TEST_F(IcmpRedirect, NotSentWhenDisabledOnTheInterface) {
    Config cfg = redirect_config();
    interface_named(cfg, "lan").icmp_redirects = false;
    use(cfg);
    const Bytes dg = udp_datagram(ip_fields(lab::kH1Addr, kRedirectNet + 0x0005));
    expect_one(lab::kLanPort, from_h1(dg), lab::kLanPort, forwarded(kR3Mac, lab::kLanMac, dg));
    EXPECT_EQ(total_sent(), 0u);
}

TEST_F(IcmpRedirect, NotSentWhenSourceIsNotOnTheSubnet) {
    const uint32_t far = ipv4(10, 9, 9, 9);  // behind R3, reached through a route
    const Bytes dg = udp_datagram(ip_fields(far, kRedirectNet + 0x0005));
    expect_one(lab::kLanPort, frame_to(lab::kLanMac, kR3Mac, dg), lab::kLanPort, forwarded(kR3Mac, lab::kLanMac, dg));
    EXPECT_EQ(total_sent(), 0u);
}

// The lan with a second subnet 10.3.0.0/24: host 10.3.0.2 on it, and a router 10.3.0.3 reaching
// 10.88.0.0/16.
Config two_subnet_lan_config() {
    Config cfg = redirect_config();
    interface_named(cfg, "lan").addresses.push_back({{ipv4(10, 3, 0, 1), 24}, {}});
    cfg.neighbors.push_back(neighbor(ipv4(10, 3, 0, 2), Mac{0x02, 0, 0, 0, 3, 2}, "lan"));
    cfg.neighbors.push_back(neighbor(ipv4(10, 3, 0, 3), Mac{0x02, 0, 0, 0, 3, 3}, "lan"));
    cfg.routes.push_back(route_via(ipv4(10, 88, 0, 0), 16, ipv4(10, 3, 0, 3)));
    return cfg;
}

TEST_F(IcmpRedirect, OnASecondSubnetComesFromThatSubnetsAddress) {
    use(two_subnet_lan_config());
    const Mac host{0x02, 0, 0, 0, 3, 2};
    const Bytes dg = udp_datagram(ip_fields(ipv4(10, 3, 0, 2), ipv4(10, 88, 0, 1)));
    h().receive(lab::kLanPort, frame_to(lab::kLanMac, host, dg));
    const auto out = h().take_emitted();
    ASSERT_EQ(out.size(), 2u) << describe(out);
    const bool first_is_redirect = proto_of(out[0]) == kProtoIcmp;
    EXPECT_TRUE(same_bytes(out[first_is_redirect ? 0 : 1].bytes,
                           icmp_error(host, lab::kLanMac, ipv4(10, 3, 0, 1), ipv4(10, 3, 0, 2), 5, 1, ipv4(10, 3, 0, 3), dg)));
    EXPECT_TRUE(same_bytes(out[first_is_redirect ? 1 : 0].bytes, forwarded(Mac{0x02, 0, 0, 0, 3, 3}, lab::kLanMac, dg)));
}

// RFC 1812 5.2.7.2: no redirect unless "the IP source address in the packet is on the same Logical
// IP (sub)network as the next-hop IP address". 10.3.0.2 shares the wire with 10.1.0.3, not a subnet.
TEST_F(IcmpRedirect, NotSentWhenSourceIsOnAnotherSubnetOfTheInterfaceThanTheNextHop) {
    use(two_subnet_lan_config());
    const Mac host{0x02, 0, 0, 0, 3, 2};
    const Bytes dg = udp_datagram(ip_fields(ipv4(10, 3, 0, 2), kRedirectNet + 0x0005));
    expect_one(lab::kLanPort, frame_to(lab::kLanMac, host, dg), lab::kLanPort, forwarded(kR3Mac, lab::kLanMac, dg));
    EXPECT_EQ(h().icmp_sent(IcmpKind::redirect_host), 0u);
}

TEST_F(IcmpRedirect, NotSentWhenEgressInterfaceDiffers) {
    const Bytes dg = udp_datagram(ip_fields(lab::kH1Addr, lab::kH2Addr));
    expect_one(lab::kLanPort, from_h1(dg), lab::kWanPort, forwarded(lab::kH2Mac, lab::kWanMac, dg));
    EXPECT_EQ(total_sent(), 0u);
}

TEST_F(IcmpRedirect, NotSentWhenTheNextHopIsTheSenderItself) {
    Config cfg = redirect_config();
    cfg.routes.push_back(route_via(ipv4(10, 78, 0, 0), 16, lab::kH1Addr));
    use(cfg);
    const Bytes dg = udp_datagram(ip_fields(lab::kH1Addr, ipv4(10, 78, 0, 1)));
    expect_one(lab::kLanPort, from_h1(dg), lab::kLanPort, forwarded(lab::kH1Mac, lab::kLanMac, dg));
    EXPECT_EQ(total_sent(), 0u);
}

TEST_F(IcmpRedirect, Ttl1GetsTimeExceededAndNoRedirect) {
    const Bytes dg = udp_datagram(ip_fields(lab::kH1Addr, kRedirectNet + 0x0005, 1));
    expect_one(lab::kLanPort, from_h1(dg), lab::kLanPort, error_to_h1(lab::kLanAddr, 11, 0, 0, dg));
    EXPECT_EQ(h().icmp_sent(IcmpKind::redirect_host), 0u);
}

TEST_F(IcmpRedirect, RateLimitedPerDestinationButForwardingGoesOn) {
    std::vector<Bytes> frames;
    for (int i = 0; i < 15; ++i)
        frames.push_back(from_h1(udp_datagram(ip_fields(lab::kH1Addr, kRedirectNet + 0x0005), 8 + i)));
    h().receive_burst(lab::kLanPort, frames);
    const auto out = h().take_emitted();
    size_t redirects = 0, forwarded_n = 0;
    for (const Emitted& e : out) (proto_of(e) == kProtoIcmp ? redirects : forwarded_n)++;
    EXPECT_EQ(redirects, 10u);
    EXPECT_EQ(forwarded_n, 15u);
    EXPECT_EQ(suppressed(IcmpSuppress::rate_destination), 5u);
}

// =============================================================================================
// The envelope: TTL, DF, ID, TOS, source address, quote, checksums

using IcmpEnvelope = IcmpTest;

TEST_F(IcmpEnvelope, TosIsPrecedenceSixWithOffenderTosBits) {
    struct Case {
        uint8_t offender;
        uint8_t expected;
    };
    for (const Case c : {Case{0x00, 0xc0}, Case{0xff, 0xde}, Case{0xb8, 0xd8}, Case{0x01, 0xc0}, Case{0x1e, 0xde},
                         Case{0x03, 0xc2}}) {
        SCOPED_TRACE(testing::Message() << "offender TOS 0x" << std::hex << int{c.offender});
        Ipv4Fields f = ip_fields(lab::kH1Addr, kNoRoute);
        f.tos = c.offender;
        const Bytes dg = udp_datagram(f);
        h().ctx().next_ip_id = kErrId;
        h().receive(lab::kLanPort, from_h1(dg));
        const auto out = h().take_emitted();
        ASSERT_EQ(out.size(), 1u) << describe(out);
        EXPECT_EQ(out[0].bytes[kEthHdrLen + 1], c.expected);
        EXPECT_TRUE(same_bytes(out[0].bytes, error_to_h1(lab::kLanAddr, 3, 0, 0, dg)));
        h().advance_tsc_ms(1000);  // keep the per-destination bucket out of the way
    }
}

TEST_F(IcmpEnvelope, Ttl64AndDfClearEvenWhenTheOffenderHadDf) {
    Ipv4Fields f = ip_fields(lab::kH1Addr, lab::kH2Addr, 1);
    f.frag = kIpDf;
    const Bytes dg = udp_datagram(f);
    h().receive(lab::kLanPort, from_h1(dg));
    const auto out = h().take_emitted();
    ASSERT_EQ(out.size(), 1u) << describe(out);
    EXPECT_EQ(out[0].bytes[kEthHdrLen + 8], 64);
    EXPECT_EQ(get16(out[0].bytes, kEthHdrLen + 6), 0u) << "flags and offset";
    EXPECT_TRUE(same_bytes(out[0].bytes, error_to_h1(lab::kLanAddr, 11, 0, 0, dg)));
}

TEST_F(IcmpEnvelope, EachErrorGetsAFreshIpId) {
    const Bytes a = udp_datagram(ip_fields(lab::kH1Addr, kNoRoute));
    const Bytes b = udp_datagram(ip_fields(lab::kH1Addr, lab::kH2Addr, 1));
    h().receive_burst(lab::kLanPort, {from_h1(a), from_h1(b)});
    const auto out = h().take_emitted();
    ASSERT_EQ(out.size(), 2u) << describe(out);
    EXPECT_TRUE(same_bytes(out[0].bytes, error_to_h1(lab::kLanAddr, 3, 0, 0, a, kErrId)));
    EXPECT_TRUE(same_bytes(out[1].bytes, error_to_h1(lab::kLanAddr, 11, 0, 0, b, kErrId + 1)));
}

TEST_F(IcmpEnvelope, ChecksumsValidForOddLengthQuote) {
    const Bytes dg = ipv4_datagram(ip_fields(lab::kH1Addr, kNoRoute, 64, kProtoUdp),
                                   udp_segment(lab::kH1Addr, kNoRoute, 1, 2, pattern(13, 0xa0)));
    ASSERT_EQ(dg.size() % 2, 1u);
    h().receive(lab::kLanPort, from_h1(dg));
    const auto out = h().take_emitted();
    ASSERT_EQ(out.size(), 1u) << describe(out);
    EXPECT_TRUE(ipv4_header_checksum_ok(out[0].bytes));
    const size_t icmp_len = out[0].bytes.size() - kEthHdrLen - 20;
    EXPECT_EQ(icmp_len % 2, 1u);
    EXPECT_EQ(ones_sum(out[0].bytes.data() + kEthHdrLen + 20, icmp_len), 0xffff) << "ICMP checksum";
    EXPECT_TRUE(same_bytes(out[0].bytes, error_to_h1(lab::kLanAddr, 3, 0, 0, dg)));
}

TEST_F(IcmpEnvelope, LargeOffenderQuotedTo576Bytes) {
    const Bytes dg = udp_datagram(ip_fields(lab::kH1Addr, lab::kH2Addr, 1), 1400 - 28);
    ASSERT_EQ(dg.size(), 1400u);
    h().receive(lab::kLanPort, from_h1(dg));
    const auto out = h().take_emitted();
    ASSERT_EQ(out.size(), 1u) << describe(out);
    EXPECT_EQ(out[0].bytes.size(), kEthHdrLen + 576);
    EXPECT_EQ(get16(out[0].bytes, kEthHdrLen + 2), 576u);
    const auto v = icmp_view(out[0].bytes);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->body.size(), 548u);
    EXPECT_TRUE(same_bytes(v->body, Bytes(dg.begin(), dg.begin() + 548)));
    EXPECT_TRUE(same_bytes(out[0].bytes, error_to_h1(lab::kLanAddr, 11, 0, 0, dg)));
}

TEST_F(IcmpEnvelope, OffenderOf548BytesQuotedWholeIn576) {
    const Bytes dg = udp_datagram(ip_fields(lab::kH1Addr, lab::kH2Addr, 1), 548 - 28);
    expect_one(lab::kLanPort, from_h1(dg), lab::kLanPort, error_to_h1(lab::kLanAddr, 11, 0, 0, dg));
}

TEST_F(IcmpEnvelope, LargeOffenderInChainedMbufQuotedTheSame) {
    const Bytes dg = udp_datagram(ip_fields(lab::kH1Addr, lab::kH2Addr, 1), 1400 - 28);
    rte_mbuf* m = make_mbuf(h().pool(), from_h1(dg), 100);
    ASSERT_NE(m, nullptr);
    ASSERT_GT(m->nb_segs, 10);
    h().receive_mbufs(lab::kLanPort, &m, 1);
    const auto out = h().take_emitted();
    ASSERT_EQ(out.size(), 1u) << describe(out);
    EXPECT_TRUE(same_bytes(out[0].bytes, error_to_h1(lab::kLanAddr, 11, 0, 0, dg)));
}

TEST_F(IcmpEnvelope, ShortOffenderQuotedWholeWithoutEthernetPadding) {
    const Bytes dg = udp_datagram(ip_fields(lab::kH1Addr, lab::kH2Addr, 1), 2);  // 30 bytes, frame padded to 60
    const Bytes frame = from_h1(dg);
    ASSERT_EQ(frame.size(), kEthMinFrame);
    h().receive(lab::kLanPort, frame);
    const auto out = h().take_emitted();
    ASSERT_EQ(out.size(), 1u) << describe(out);
    const auto v = icmp_view(out[0].bytes);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->body.size(), 30u);
    EXPECT_TRUE(same_bytes(out[0].bytes, error_to_h1(lab::kLanAddr, 11, 0, 0, dg)));
}

TEST_F(IcmpEnvelope, OffenderOptionsAreQuoted) {
    Ipv4Fields f = ip_fields(lab::kH1Addr, lab::kH2Addr, 1);
    f.options = {0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00};  // router alert, NOPs, EOL
    const Bytes dg = udp_datagram(f);
    expect_one(lab::kLanPort, from_h1(dg), lab::kLanPort, error_to_h1(lab::kLanAddr, 11, 0, 0, dg));
}

// The error fits the link it leaves by (RFC 791), not just 576 bytes: its size is decided after the
// route back is known. At the IPv4 minimum MTU of 68 that leaves 40 bytes of quote, still more than
// the header and 64 bits RFC 792 asks for.
class IcmpEgressMtu : public IcmpTest {
protected:
    void SetUp() override {
        IcmpTest::SetUp();
        use_mtu("lan", 68);
    }
};

// `error` (a whole frame as error_to_h1 builds it) in the pieces a 68-byte link takes: 48 bytes of
// ICMP per fragment, MF on all but the last.
std::vector<Bytes> fragments_of(const Bytes& error) {
    const Bytes dg(error.begin() + kEthHdrLen, error.end());
    std::vector<Bytes> v;
    for (size_t off = 20; off < dg.size(); off += 48) {
        const size_t len = std::min<size_t>(48, dg.size() - off);
        Bytes ip = dg;  // the header, then this piece's bytes in place of the rest
        std::copy_n(dg.begin() + static_cast<std::ptrdiff_t>(off), len, ip.begin() + 20);
        ip.resize(20 + len);
        put16(ip, 2, static_cast<uint16_t>(ip.size()));
        put16(ip, 6, static_cast<uint16_t>((off - 20) / 8 | (off + len < dg.size() ? kIpMf : 0)));
        put16(ip, 10, 0);
        put16(ip, 10, internet_checksum(ip.data(), 20));
        v.push_back(ethernet_frame(get_mac(error, 0), get_mac(error, 6), kEtherIpv4, ip));
    }
    return v;
}

TEST_F(IcmpEgressMtu, ErrorOutOfAMinimumMtuLinkQuotes40Bytes) {
    const Bytes dg = udp_datagram(ip_fields(lab::kH1Addr, lab::kH2Addr, 1), 100);
    const Bytes full = error_to_h1(lab::kLanAddr, 11, 0, 0, dg);
    ASSERT_EQ(full.size(), kEthHdrLen + 20 + 8 + 128u);  // what the router sent before: 156 > 68
    Bytes expected = full;
    expected.resize(kEthHdrLen + 68);
    put16(expected, kEthHdrLen + 2, 68);
    put16(expected, kEthHdrLen + 10, 0);
    put16(expected, kEthHdrLen + 10, internet_checksum(expected.data() + kEthHdrLen, 20));
    put16(expected, kEthHdrLen + 22, 0);
    put16(expected, kEthHdrLen + 22, internet_checksum(expected.data() + kEthHdrLen + 20, 48));
    expect_one(lab::kLanPort, from_h1(dg), lab::kLanPort, expected);
    const auto v = icmp_view(expected);
    ASSERT_TRUE(v);
    EXPECT_TRUE(same_bytes(v->body, Bytes(dg.begin(), dg.begin() + 40)));
}

// The same error leaving by the 1500-byte wan keeps its 576-byte size: the egress decides.
TEST_F(IcmpEgressMtu, TheEgressDecidesNotTheIngress) {
    const Bytes dg = udp_datagram(ip_fields(lab::kH2Addr, lab::kH1Addr, 1), 1000);
    expect_one(lab::kWanPort, frame_to(lab::kWanMac, lab::kH2Mac, dg), lab::kWanPort,
               icmp_error(lab::kH2Mac, lab::kWanMac, lab::kWanAddr, lab::kH2Addr, 11, 0, 0, dg));
}

// A 60-byte offender header plus 64 bits (RFC 792's minimum) cannot fit a 68-byte link whole: the
// error (96 bytes, DF clear) leaves in two fragments rather than with less than the minimum.
TEST_F(IcmpEgressMtu, OffenderWithFullOptionsGetsAFragmentedError) {
    Ipv4Fields f = ip_fields(lab::kH1Addr, lab::kH2Addr, 1);
    f.options = concat(Bytes{0x9e, 40}, pattern(38, 0x70));  // one 40-byte experimental option
    const Bytes dg = udp_datagram(f, 100);
    const Bytes full = icmp_error(lab::kH1Mac, lab::kLanMac, lab::kLanAddr, lab::kH1Addr, 11, 0, 0,
                                  Bytes(dg.begin(), dg.begin() + 68));
    ASSERT_EQ(full.size(), kEthHdrLen + 96u);
    h().receive(lab::kLanPort, from_h1(dg));
    const auto out = h().take_emitted();
    const std::vector<Bytes> expected = fragments_of(full);
    ASSERT_EQ(out.size(), expected.size()) << describe(out) << "; drops: " << h().drops_summary();
    ASSERT_EQ(out.size(), 2u);
    for (size_t i = 0; i < out.size(); ++i) {
        EXPECT_EQ(out[i].port, lab::kLanPort);
        EXPECT_TRUE(same_bytes(out[i].bytes, expected[i])) << "fragment " << i;
    }
    EXPECT_EQ(h().icmp_sent(IcmpKind::time_exceeded), 1u);
}

TEST_F(IcmpEnvelope, SourceIsTheEgressInterfaceNotTheIngress) {
    // Asymmetric: H1's address arrives on the wan; the error goes back by the lan.
    const Bytes dg = udp_datagram(ip_fields(lab::kH1Addr, kNoRoute));
    expect_one(lab::kWanPort, frame_to(lab::kWanMac, lab::kH2Mac, dg), lab::kLanPort,
               error_to_h1(lab::kLanAddr, 3, 0, 0, dg));
}

TEST_F(IcmpEnvelope, SourceIsTheInterfaceAddressOnTheDestinationsSubnet) {
    constexpr uint32_t kSecondLan = ipv4(10, 3, 0, 1);
    constexpr uint32_t kSecondHost = ipv4(10, 3, 0, 2);
    constexpr Mac kSecondHostMac{0x02, 0x00, 0x00, 0x00, 0x03, 0x02};
    Config cfg = icmp_config();
    interface_named(cfg, "lan").addresses.push_back({{kSecondLan, 24}, {}});
    cfg.neighbors.push_back(neighbor(kSecondHost, kSecondHostMac, "lan"));
    use(cfg);

    const Bytes a = udp_datagram(ip_fields(kSecondHost, kNoRoute));
    expect_one(lab::kLanPort, frame_to(lab::kLanMac, kSecondHostMac, a), lab::kLanPort,
               icmp_error(kSecondHostMac, lab::kLanMac, kSecondLan, kSecondHost, 3, 0, 0, a));
    const Bytes b = udp_datagram(ip_fields(lab::kH1Addr, kNoRoute));
    expect_one(lab::kLanPort, from_h1(b), lab::kLanPort, error_to_h1(lab::kLanAddr, 3, 0, 0, b, kErrId + 1));
}

TEST_F(IcmpEnvelope, SourceForARoutedDestinationIsOnTheGatewaysSubnet) {
    constexpr uint32_t kOtherWan = ipv4(10, 4, 0, 1);
    Config cfg = icmp_config();
    auto& wan = interface_named(cfg, "wan");
    dprouter::InterfaceAddress other;
    other.prefix = {kOtherWan, 24};
    wan.addresses.insert(wan.addresses.begin(), other);  // not the gateway's subnet, listed first
    use(cfg);
    const uint32_t remote = ipv4(10, 99, 0, 5);
    const Bytes dg = udp_datagram(ip_fields(remote, lab::kH1Addr, 1));
    expect_one(lab::kWanPort, frame_to(lab::kWanMac, lab::kGatewayMac, dg), lab::kWanPort,
               icmp_error(lab::kGatewayMac, lab::kWanMac, lab::kWanAddr, remote, 11, 0, 0, dg));
}

// =============================================================================================
// Suppression (RFC 1812 4.3.2.7)

using IcmpSuppression = IcmpTest;

Bytes icmp_datagram(uint32_t src, uint32_t dst, uint8_t ttl, const Bytes& icmp) {
    return ipv4_datagram(ip_fields(src, dst, ttl, kProtoIcmp), icmp);
}

TEST_F(IcmpSuppression, NoErrorAboutATimeExceededMessage) {
    const Bytes inner = udp_datagram(ip_fields(lab::kH2Addr, ipv4(10, 99, 0, 1), 1));
    const Bytes dg = icmp_datagram(lab::kH1Addr, lab::kH2Addr, 1, icmp_message(11, 0, 0, inner));
    expect_nothing(lab::kLanPort, from_h1(dg));
    EXPECT_EQ(h().dropped(Drop::ttl_expired), 1u);
    EXPECT_EQ(suppressed(IcmpSuppress::offender_icmp_error), 1u);
    EXPECT_EQ(suppressed_kind(IcmpKind::time_exceeded), 1u);
    EXPECT_EQ(total_sent(), 0u);
}

TEST_F(IcmpSuppression, NoErrorAboutAnyIcmpErrorType) {
    for (uint8_t type : {3, 4, 5, 11, 12, 100, 255}) {
        SCOPED_TRACE(testing::Message() << "ICMP type " << int{type});
        const Bytes dg = icmp_datagram(lab::kH1Addr, kNoRoute, 64, icmp_message(type, 0, 0, pattern(28)));
        expect_nothing(lab::kLanPort, from_h1(dg));
    }
    EXPECT_EQ(suppressed(IcmpSuppress::offender_icmp_error), 7u);
    EXPECT_EQ(suppressed_kind(IcmpKind::net_unreachable), 7u);
    EXPECT_EQ(total_sent(), 0u);
}

TEST_F(IcmpSuppression, EchoRequestWithTtl1InTransitGetsTimeExceeded) {
    const Bytes dg = icmp_datagram(lab::kH1Addr, lab::kH2Addr, 1, icmp_echo(kIcmpEchoRequest, 0x1234, 1, pattern(56)));
    expect_one(lab::kLanPort, from_h1(dg), lab::kLanPort, error_to_h1(lab::kLanAddr, 11, 0, 0, dg));
    EXPECT_EQ(total_suppressed(), 0u);
}

TEST_F(IcmpSuppression, QueriesAndRepliesDoGetErrors) {
    uint16_t id = kErrId;
    for (uint8_t type : {0, 8, 13, 14, 17, 18}) {
        SCOPED_TRACE(testing::Message() << "ICMP type " << int{type});
        const Bytes dg = icmp_datagram(lab::kH1Addr, kNoRoute, 64, icmp_message(type, 0, 0x00010001, pattern(12)));
        expect_one(lab::kLanPort, from_h1(dg), lab::kLanPort, error_to_h1(lab::kLanAddr, 3, 0, 0, dg, id++));
    }
}

TEST_F(IcmpSuppression, NoErrorAboutANonFirstFragment) {
    Ipv4Fields f = ip_fields(lab::kH1Addr, lab::kH2Addr, 1);
    f.frag = kIpMf | 10;
    const Bytes dg = ipv4_datagram(f, pattern(80));
    expect_nothing(lab::kLanPort, from_h1(dg));
    EXPECT_EQ(h().dropped(Drop::ttl_expired), 1u);
    EXPECT_EQ(suppressed(IcmpSuppress::offender_fragment), 1u);
    EXPECT_EQ(suppressed_kind(IcmpKind::time_exceeded), 1u);
}

TEST_F(IcmpSuppression, LastFragmentIsNotFirstEither) {
    Ipv4Fields f = ip_fields(lab::kH1Addr, kNoRoute);
    f.frag = 185;  // MF clear, offset 1480
    expect_nothing(lab::kLanPort, from_h1(ipv4_datagram(f, pattern(40))));
    EXPECT_EQ(suppressed(IcmpSuppress::offender_fragment), 1u);
}

TEST_F(IcmpSuppression, FirstFragmentDoesGetAnError) {
    Ipv4Fields f = ip_fields(lab::kH1Addr, lab::kH2Addr, 1);
    f.frag = kIpMf;
    const Bytes dg = udp_datagram(f, 100);
    expect_one(lab::kLanPort, from_h1(dg), lab::kLanPort, error_to_h1(lab::kLanAddr, 11, 0, 0, dg));
}

TEST_F(IcmpSuppression, NoErrorAboutADatagramInALinkLayerBroadcast) {
    const Bytes dg = udp_datagram(ip_fields(lab::kH1Addr, kNoRoute));
    expect_nothing(lab::kLanPort, frame_to(kBroadcastMac, lab::kH1Mac, dg));
    EXPECT_EQ(h().dropped(Drop::no_route), 1u);
    EXPECT_EQ(suppressed(IcmpSuppress::offender_broadcast), 1u);
    EXPECT_EQ(suppressed_kind(IcmpKind::net_unreachable), 1u);
}

TEST_F(IcmpSuppression, NoErrorAboutADatagramInALinkLayerMulticast) {
    const Bytes dg = udp_datagram(ip_fields(lab::kH1Addr, lab::kProhibitNet + 1));
    expect_nothing(lab::kLanPort, frame_to(Mac{0x01, 0x00, 0x5e, 0x01, 0x02, 0x03}, lab::kH1Mac, dg));
    EXPECT_EQ(suppressed(IcmpSuppress::offender_broadcast), 1u);
    EXPECT_EQ(suppressed_kind(IcmpKind::admin_prohibited), 1u);
}

TEST_F(IcmpSuppression, NoPortUnreachableForUdpToUsInABroadcastFrame) {
    const Bytes dg = udp_datagram(ip_fields(lab::kH1Addr, lab::kLanAddr));
    expect_nothing(lab::kLanPort, frame_to(kBroadcastMac, lab::kH1Mac, dg));
    EXPECT_EQ(suppressed(IcmpSuppress::offender_broadcast), 1u);
    EXPECT_EQ(suppressed_kind(IcmpKind::port_unreachable), 1u);
}

TEST_F(IcmpSuppression, NoParamProblemForABroadcastFrame) {
    Ipv4Fields f = ip_fields(lab::kH1Addr, lab::kH2Addr);
    f.options = {0x07, 0x00, 0x00, 0x00};
    expect_nothing(lab::kLanPort, frame_to(kBroadcastMac, lab::kH1Mac, udp_datagram(f)));
    EXPECT_EQ(suppressed(IcmpSuppress::offender_broadcast), 1u);
    EXPECT_EQ(suppressed_kind(IcmpKind::param_problem), 1u);
}

// RFC 1812 4.3.2.7: no error about "a packet destined to an IP broadcast or IP multicast address".
// A directed broadcast of a connected subnet is one, in a unicast frame too.
TEST_F(IcmpSuppression, NoParamProblemAboutADatagramToADirectedBroadcast) {
    for (uint32_t dst : {ipv4(10, 1, 0, 255), ipv4(10, 2, 0, 255)}) {
        SCOPED_TRACE(testing::Message() << "destination " << std::hex << dst);
        Ipv4Fields f = ip_fields(lab::kH1Addr, dst);
        f.options = {0x07, 0x00, 0x00, 0x00};
        expect_nothing(lab::kLanPort, from_h1(udp_datagram(f)));
    }
    EXPECT_EQ(h().icmp_sent(IcmpKind::param_problem), 0u);
}

// docs/icmp.md: nothing is sent about martians (Linux drops them before looking at options).
TEST_F(IcmpSuppression, NoParamProblemAboutADatagramToAMartianDestination) {
    for (uint32_t dst : {ipv4(127, 0, 0, 1), ipv4(0, 0, 0, 7), ipv4(240, 0, 0, 1)}) {
        SCOPED_TRACE(testing::Message() << "destination " << std::hex << dst);
        Ipv4Fields f = ip_fields(lab::kH1Addr, dst);
        f.options = {0x07, 0x00, 0x00, 0x00};
        expect_nothing(lab::kLanPort, from_h1(udp_datagram(f)));
    }
    EXPECT_EQ(h().icmp_sent(IcmpKind::param_problem), 0u);
}

TEST_F(IcmpSuppression, NoParamProblemAboutADatagramFromAMartianSource) {
    Ipv4Fields f = ip_fields(ipv4(127, 0, 0, 1), lab::kH2Addr);
    f.options = {0x07, 0x00, 0x00, 0x00};
    expect_nothing(lab::kLanPort, from_h1(udp_datagram(f)));
    EXPECT_EQ(h().icmp_sent(IcmpKind::param_problem), 0u);
}

TEST_F(IcmpSuppression, NoTimeExceededForBroadcastFrameWithTtl1) {
    const Bytes dg = udp_datagram(ip_fields(lab::kH1Addr, lab::kH2Addr, 1));
    expect_nothing(lab::kLanPort, frame_to(kBroadcastMac, lab::kH1Mac, dg));
    EXPECT_EQ(h().dropped(Drop::link_broadcast_not_forwarded), 1u);
    EXPECT_EQ(total_sent(), 0u);
}

TEST_F(IcmpSuppression, NoErrorAboutADatagramToAMulticastOrBroadcastAddress) {
    for (uint32_t dst : {ipv4(224, 0, 0, 5), ipv4(239, 1, 2, 3), ipv4(255, 255, 255, 255), ipv4(10, 1, 0, 255),
                         ipv4(10, 2, 0, 255)}) {
        SCOPED_TRACE(testing::Message() << "destination " << std::hex << dst);
        expect_nothing(lab::kLanPort, from_h1(udp_datagram(ip_fields(lab::kH1Addr, dst, 1))));
        expect_nothing(lab::kLanPort, from_h1(udp_datagram(ip_fields(lab::kH1Addr, dst, 64))));
    }
    EXPECT_EQ(total_sent(), 0u);
    EXPECT_EQ(h().counted(Event::forwarded), 0u);
}

TEST_F(IcmpSuppression, NoErrorAboutAMartianSource) {
    for (uint32_t src : {ipv4(0, 0, 0, 0), ipv4(127, 0, 0, 1), ipv4(224, 0, 0, 1), ipv4(240, 0, 0, 1),
                         ipv4(255, 255, 255, 255)}) {
        SCOPED_TRACE(testing::Message() << "source " << std::hex << src);
        expect_nothing(lab::kLanPort, from_h1(udp_datagram(ip_fields(src, kNoRoute, 1))));
    }
    EXPECT_EQ(h().dropped(Drop::martian_source), 5u);
    EXPECT_EQ(total_sent(), 0u);
}

TEST_F(IcmpSuppression, NoErrorWhenThereIsNoRouteBack) {
    const Bytes dg = udp_datagram(ip_fields(ipv4(192, 0, 2, 77), lab::kH2Addr, 1));
    expect_nothing(lab::kLanPort, from_h1(dg));
    EXPECT_EQ(suppressed(IcmpSuppress::no_route_back), 1u);
    EXPECT_EQ(suppressed_kind(IcmpKind::time_exceeded), 1u);
}

TEST_F(IcmpSuppression, NoErrorToTheDirectedBroadcastOfAConnectedSubnet) {
    // RFC 1812 4.3.2.7: a source that is a broadcast address does not name a single host.
    const Bytes dg = udp_datagram(ip_fields(ipv4(10, 1, 0, 255), lab::kH2Addr, 1));
    expect_nothing(lab::kLanPort, from_h1(dg));
    EXPECT_EQ(total_sent(), 0u);
}

// icmp_suppressed() directly: sources the martian filter would have dropped earlier, too.
Bytes header(uint32_t src, uint32_t dst, uint16_t frag = 0, uint8_t proto = kProtoUdp, const Bytes& l4 = pattern(8)) {
    Ipv4Fields f = ip_fields(src, dst, 64, proto);
    f.frag = frag;
    return ipv4_datagram(f, l4);
}
std::optional<IcmpSuppress> suppressed_for(const Bytes& dg, bool link_broadcast = false, size_t len = 0) {
    return dprouter::icmp_suppressed(reinterpret_cast<const rte_ipv4_hdr*>(dg.data()),
                                     static_cast<uint32_t>(len ? len : dg.size()), link_broadcast);
}

TEST(IcmpSuppressionRules, UnicastOffenderIsAnswered) {
    EXPECT_EQ(suppressed_for(header(lab::kH1Addr, lab::kH2Addr)), std::nullopt);
    EXPECT_EQ(suppressed_for(header(lab::kH1Addr, lab::kH2Addr, kIpMf)), std::nullopt) << "first fragment";
    EXPECT_EQ(suppressed_for(header(lab::kH1Addr, lab::kH2Addr, kIpDf)), std::nullopt);
}

TEST(IcmpSuppressionRules, BadSources) {
    for (uint32_t src : {ipv4(0, 0, 0, 0), ipv4(0, 1, 2, 3), ipv4(127, 0, 0, 1), ipv4(127, 255, 0, 9),
                         ipv4(224, 0, 0, 1), ipv4(239, 255, 255, 255), ipv4(240, 0, 0, 1), ipv4(254, 1, 1, 1),
                         ipv4(255, 255, 255, 255)}) {
        EXPECT_EQ(suppressed_for(header(src, lab::kH2Addr)), IcmpSuppress::offender_bad_source) << std::hex << src;
    }
    EXPECT_EQ(suppressed_for(header(ipv4(1, 0, 0, 0), lab::kH2Addr)), std::nullopt);
    EXPECT_EQ(suppressed_for(header(ipv4(126, 255, 255, 255), lab::kH2Addr)), std::nullopt);
    EXPECT_EQ(suppressed_for(header(ipv4(223, 255, 255, 254), lab::kH2Addr)), std::nullopt);
}

TEST(IcmpSuppressionRules, MulticastAndBroadcastDestinations) {
    for (uint32_t dst : {ipv4(224, 0, 0, 1), ipv4(239, 1, 1, 1), ipv4(255, 255, 255, 255)})
        EXPECT_EQ(suppressed_for(header(lab::kH1Addr, dst)), IcmpSuppress::offender_broadcast) << std::hex << dst;
}

TEST(IcmpSuppressionRules, LinkLayerBroadcast) {
    EXPECT_EQ(suppressed_for(header(lab::kH1Addr, lab::kH2Addr), true), IcmpSuppress::offender_broadcast);
}

TEST(IcmpSuppressionRules, NonFirstFragments) {
    EXPECT_EQ(suppressed_for(header(lab::kH1Addr, lab::kH2Addr, 1)), IcmpSuppress::offender_fragment);
    EXPECT_EQ(suppressed_for(header(lab::kH1Addr, lab::kH2Addr, kIpMf | 0x1fff)), IcmpSuppress::offender_fragment);
    EXPECT_EQ(suppressed_for(header(lab::kH1Addr, lab::kH2Addr, kIpDf | 3)), IcmpSuppress::offender_fragment);
}

TEST(IcmpSuppressionRules, IcmpErrorsAndQueries) {
    for (uint8_t type : {0, 8, 13, 14, 15, 16, 17, 18})
        EXPECT_EQ(suppressed_for(header(lab::kH1Addr, lab::kH2Addr, 0, kProtoIcmp, icmp_message(type, 0, 0, {}))),
                  std::nullopt)
            << int{type};
    for (uint8_t type : {3, 4, 5, 11, 12, 1, 2, 7, 19, 40, 200})
        EXPECT_EQ(suppressed_for(header(lab::kH1Addr, lab::kH2Addr, 0, kProtoIcmp, icmp_message(type, 0, 0, {}))),
                  IcmpSuppress::offender_icmp_error)
            << int{type};
    // An ICMP datagram too short to show its type is treated as an error message.
    EXPECT_EQ(suppressed_for(header(lab::kH1Addr, lab::kH2Addr, 0, kProtoIcmp, {}), false, 20),
              IcmpSuppress::offender_icmp_error);
}

// =============================================================================================
// Rate limiting through the pipeline (the harness's clock stands still unless moved)

class IcmpRateLimit : public IcmpTest {
protected:
    // Rebuilds the router with hosts 10.1.0.10 .. 10.1.0.15 on the lan, resolved (so call it
    // before h(), not in its arguments); returns `per_host` expired datagrams from each of the
    // first `senders` of them.
    std::vector<Bytes> lan_hosts_with_expired_datagrams(int senders, int per_host) {
        Config cfg = icmp_config();
        for (uint8_t i = 10; i < 16; ++i)
            cfg.neighbors.push_back(neighbor(ipv4(10, 1, 0, i), Mac{0x02, 0, 0, 0, 1, i}, "lan"));
        use(cfg);
        std::vector<Bytes> frames;
        for (int i = 10; i < 10 + senders; ++i) {
            const auto host = static_cast<uint8_t>(i);
            for (int k = 0; k < per_host; ++k)
                frames.push_back(frame_to(lab::kLanMac, Mac{0x02, 0, 0, 0, 1, host},
                                          udp_datagram(ip_fields(ipv4(10, 1, 0, host), lab::kH2Addr, 1))));
        }
        return frames;
    }
};

TEST_F(IcmpRateLimit, PerDestinationBurstOfTenThenSuppressed) {
    std::vector<Bytes> frames;
    for (int i = 0; i < 16; ++i) frames.push_back(from_h1(udp_datagram(ip_fields(lab::kH1Addr, lab::kH2Addr, 1), 10 + i)));
    h().receive_burst(lab::kLanPort, frames);
    const auto out = h().take_emitted();
    EXPECT_EQ(out.size(), 10u) << describe(out);
    EXPECT_EQ(h().icmp_sent(IcmpKind::time_exceeded), 10u);
    EXPECT_EQ(suppressed(IcmpSuppress::rate_destination), 6u);
    EXPECT_EQ(suppressed_kind(IcmpKind::time_exceeded), 6u);
    EXPECT_EQ(h().dropped(Drop::ttl_expired), 16u);
}

TEST_F(IcmpRateLimit, RefillsAsTheClockMoves) {
    std::vector<Bytes> frames(12, from_h1(udp_datagram(ip_fields(lab::kH1Addr, lab::kH2Addr, 1))));
    h().receive_burst(lab::kLanPort, frames);
    EXPECT_EQ(h().take_emitted().size(), 10u);
    h().advance_tsc_ms(99);
    h().receive(lab::kLanPort, frames[0]);
    EXPECT_EQ(h().take_emitted().size(), 0u);
    h().advance_tsc_ms(1);
    h().receive_burst(lab::kLanPort, {frames[0], frames[0]});
    EXPECT_EQ(h().take_emitted().size(), 1u) << "100 ms at 10/s: one more";
}

TEST_F(IcmpRateLimit, OtherDestinationsHaveTheirOwnBudget) {
    std::vector<Bytes> frames(12, from_h1(udp_datagram(ip_fields(lab::kH1Addr, lab::kH2Addr, 1))));
    h().receive_burst(lab::kLanPort, frames);
    EXPECT_EQ(h().take_emitted().size(), 10u);
    const Bytes dg = udp_datagram(ip_fields(lab::kH2Addr, lab::kH1Addr, 1));
    h().ctx().next_ip_id = kErrId;
    expect_one(lab::kWanPort, frame_to(lab::kWanMac, lab::kH2Mac, dg), lab::kWanPort,
               icmp_error(lab::kH2Mac, lab::kWanMac, lab::kWanAddr, lab::kH2Addr, 11, 0, 0, dg));
}

TEST_F(IcmpRateLimit, FragNeededUsesItsOwnBucket) {
    Config cfg = icmp_config();
    interface_named(cfg, "wan").mtu = 1300;
    use(cfg);
    std::vector<Bytes> frames(11, from_h1(udp_datagram(ip_fields(lab::kH1Addr, lab::kH2Addr, 1))));
    h().receive_burst(lab::kLanPort, frames);
    EXPECT_EQ(h().take_emitted().size(), 10u);
    ASSERT_EQ(suppressed(IcmpSuppress::rate_destination), 1u) << "H1's per-destination bucket is empty";

    Ipv4Fields f = ip_fields(lab::kH1Addr, lab::kH2Addr);
    f.frag = kIpDf;
    const Bytes dg = udp_datagram(f, 1301 - 28);
    h().ctx().next_ip_id = kErrId;
    expect_one(lab::kLanPort, from_h1(dg), lab::kLanPort, error_to_h1(lab::kLanAddr, 3, 4, 1300, dg));
}

TEST_F(IcmpRateLimit, FragNeededFloodIsLimitedByItsBucket) {
    Config cfg = icmp_config();
    interface_named(cfg, "wan").mtu = 1300;
    use(cfg);
    Ipv4Fields f = ip_fields(lab::kH1Addr, lab::kH2Addr);
    f.frag = kIpDf;
    std::vector<Bytes> frames(120, from_h1(udp_datagram(f, 1400 - 28)));
    h().receive_burst(lab::kLanPort, frames);
    EXPECT_EQ(h().take_emitted().size(), 100u);
    EXPECT_EQ(suppressed(IcmpSuppress::rate_frag_needed), 20u);
    EXPECT_EQ(h().dropped(Drop::mtu_exceeded), 120u);
}

TEST_F(IcmpRateLimit, ForwardingContinuesDuringAFlood) {
    std::vector<Bytes> frames(40, from_h1(udp_datagram(ip_fields(lab::kH1Addr, lab::kH2Addr, 1))));
    const Bytes good = udp_datagram(ip_fields(lab::kH1Addr, lab::kH2Addr, 64));
    frames.push_back(from_h1(good));
    h().receive_burst(lab::kLanPort, frames);
    const auto out = h().take_emitted();
    const auto wan = on_port(out, lab::kWanPort);
    ASSERT_EQ(wan.size(), 1u) << describe(out);
    EXPECT_TRUE(same_bytes(wan[0].bytes, forwarded(lab::kH2Mac, lab::kWanMac, good)));
    EXPECT_EQ(on_port(out, lab::kLanPort).size(), 10u);
}

TEST_F(IcmpRateLimit, GlobalBudgetAcrossManySources) {
    // 6 hosts on the lan, 10 errors each allowed per destination, 50 router-wide.
    const std::vector<Bytes> frames = lan_hosts_with_expired_datagrams(6, 10);  // rebuilds h()
    h().receive_burst(lab::kLanPort, frames);
    EXPECT_EQ(h().take_emitted().size(), 50u);
    EXPECT_EQ(suppressed(IcmpSuppress::rate_global), 10u);
}

// With the global budget spent the error is refused before the route back is looked up (as Linux
// asks its global limit before its route lookup): a source with no route back is counted rate_global
// then, and no_route_back once the global bucket has a token again.
TEST_F(IcmpRateLimit, SpentGlobalBudgetIsAskedBeforeTheRouteBack) {
    // 10.1.0.15 sends nothing until the end.
    const std::vector<Bytes> frames = lan_hosts_with_expired_datagrams(5, 10);  // rebuilds h()
    h().receive_burst(lab::kLanPort, frames);
    ASSERT_EQ(h().take_emitted().size(), 50u) << "the global burst";
    // A UDP datagram takes the vector path's shortcut (icmp_global_refusing_for_burst); an echo
    // request goes through icmp_send_error: both must ask the global bucket first.
    const Bytes udp_stray = from_h1(udp_datagram(ip_fields(ipv4(192, 0, 2, 77), lab::kH2Addr, 1)));
    Ipv4Fields echo = ip_fields(ipv4(192, 0, 2, 78), lab::kH2Addr, 1);
    echo.protocol = kProtoIcmp;
    const Bytes echo_stray = from_h1(ipv4_datagram(echo, icmp_echo(8, 7, 1, pattern(8))));
    expect_nothing(lab::kLanPort, udp_stray);
    expect_nothing(lab::kLanPort, echo_stray);
    EXPECT_EQ(suppressed(IcmpSuppress::rate_global), 2u);
    EXPECT_EQ(suppressed(IcmpSuppress::no_route_back), 0u);
    h().advance_tsc_ms(1);  // one global token (1000/s)
    expect_nothing(lab::kLanPort, udp_stray);
    expect_nothing(lab::kLanPort, echo_stray);
    EXPECT_EQ(suppressed(IcmpSuppress::no_route_back), 2u);
    EXPECT_EQ(suppressed(IcmpSuppress::rate_global), 2u);
    // The token is still there for a source that has a route and a budget of its own.
    h().receive_burst(lab::kLanPort, {frame_to(lab::kLanMac, Mac{0x02, 0, 0, 0, 1, 15},
                                               udp_datagram(ip_fields(ipv4(10, 1, 0, 15), lab::kH2Addr, 1)))});
    EXPECT_EQ(h().take_emitted().size(), 1u);
    EXPECT_EQ(h().icmp_sent(IcmpKind::time_exceeded), 51u);
}

// =============================================================================================
// TCP to the router: RFC 793 resets

class IcmpTcpReset : public IcmpTest {
protected:
    // The segment as H1 sends it to `dst` (one of our addresses).
    static Bytes segment(uint32_t dst, const TcpFields& t, const Bytes& payload = {}) {
        return ipv4_datagram(ip_fields(lab::kH1Addr, dst, 64, kProtoTcp), tcp_segment(lab::kH1Addr, dst, t, payload));
    }
    // The reset from `from` to H1.
    static Bytes reset(uint32_t from, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags) {
        Ipv4Fields f = ip_fields(from, lab::kH1Addr, 64, kProtoTcp);
        f.id = kErrId;
        f.tos = 0;
        TcpFields t;
        t.sport = sport;
        t.dport = dport;
        t.seq = seq;
        t.ack = ack;
        t.flags = flags;
        t.window = 0;
        return ipv4_frame(lab::kH1Mac, lab::kLanMac, f, tcp_segment(from, lab::kH1Addr, t, {}));
    }
    static constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;
};

TEST_F(IcmpTcpReset, SynGetsRstAckWithAckOfSeqPlusOne) {
    TcpFields t;
    t.sport = 40000;
    t.dport = 22;
    t.seq = 1000;
    t.flags = kSyn;
    expect_one(lab::kLanPort, from_h1(segment(lab::kLanAddr, t)), lab::kLanPort,
               reset(lab::kLanAddr, 22, 40000, 0, 1001, kRst | kAck));
    EXPECT_EQ(h().icmp_sent(IcmpKind::tcp_reset), 1u);
    EXPECT_EQ(h().dropped(Drop::local_tcp_closed_port), 1u);
}

TEST_F(IcmpTcpReset, AckSegmentGetsRstWithSeqFromItsAck) {
    TcpFields t;
    t.sport = 40001;
    t.dport = 80;
    t.seq = 5000;
    t.ack = 0xdeadbeef;
    t.flags = kAck | kPsh;
    expect_one(lab::kLanPort, from_h1(segment(lab::kLanAddr, t, pattern(30))), lab::kLanPort,
               reset(lab::kLanAddr, 80, 40001, 0xdeadbeef, 0, kRst));
}

TEST_F(IcmpTcpReset, SynWithDataCountsDataAndSyn) {
    TcpFields t;
    t.seq = 0xfffffffa;  // wraps
    t.flags = kSyn;
    expect_one(lab::kLanPort, from_h1(segment(lab::kLanAddr, t, pattern(10))), lab::kLanPort,
               reset(lab::kLanAddr, t.dport, t.sport, 0, 0xfffffffa + 11, kRst | kAck));
}

TEST_F(IcmpTcpReset, FinWithoutAckCountsTheFin) {
    TcpFields t;
    t.seq = 77;
    t.flags = kFin;
    expect_one(lab::kLanPort, from_h1(segment(lab::kLanAddr, t, pattern(3))), lab::kLanPort,
               reset(lab::kLanAddr, t.dport, t.sport, 0, 77 + 3 + 1, kRst | kAck));
}

TEST_F(IcmpTcpReset, FromTheFarAddressThatWasAddressed) {
    TcpFields t;
    t.seq = 9;
    t.flags = kSyn;
    expect_one(lab::kLanPort, from_h1(segment(lab::kWanAddr, t)), lab::kLanPort,
               reset(lab::kWanAddr, t.dport, t.sport, 0, 10, kRst | kAck));
}

// RFC 1122 4.2.2.7 / RFC 793: the receiver MUST check the TCP checksum and discard a bad segment;
// Linux sends no reset for it, and docs/icmp.md says nothing is sent for bad checksums.
TEST_F(IcmpTcpReset, NoResetForSegmentWithBadChecksum) {
    TcpFields t;
    t.seq = 1000;
    t.flags = kSyn;
    Bytes dg = segment(lab::kLanAddr, t);
    put16(dg, 20 + 16, static_cast<uint16_t>(get16(dg, 20 + 16) ^ 0x0101));
    expect_nothing(lab::kLanPort, from_h1(dg));
    EXPECT_EQ(h().icmp_sent(IcmpKind::tcp_reset), 0u);
}

TEST_F(IcmpTcpReset, NeverAnswersAReset) {
    TcpFields t;
    t.flags = kRst;
    expect_nothing(lab::kLanPort, from_h1(segment(lab::kLanAddr, t)));
    t.flags = kRst | kAck;
    expect_nothing(lab::kLanPort, from_h1(segment(lab::kLanAddr, t)));
    EXPECT_EQ(total_sent(), 0u);
}

TEST_F(IcmpTcpReset, NoResetForSegmentInBroadcastFrame) {
    TcpFields t;
    t.flags = kSyn;
    expect_nothing(lab::kLanPort, frame_to(kBroadcastMac, lab::kH1Mac, segment(lab::kLanAddr, t)));
    EXPECT_EQ(total_sent(), 0u);
}

TEST_F(IcmpTcpReset, SynFloodIsRateLimited) {
    TcpFields t;
    t.flags = kSyn;
    std::vector<Bytes> frames(30, from_h1(segment(lab::kLanAddr, t)));
    h().receive_burst(lab::kLanPort, frames);
    EXPECT_EQ(h().take_emitted().size(), 10u);
    EXPECT_EQ(suppressed(IcmpSuppress::rate_destination), 20u);
}

}  // namespace
}  // namespace dprtest
