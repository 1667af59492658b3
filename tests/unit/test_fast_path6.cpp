// The IPv6 phases of the burst-vector fast path (src/pipeline/fast_path_v6.hpp): which packets of a
// mixed burst the classify phase takes as plain transit IPv6, which of those the lookup phase keeps
// (and for which port and MACs), and the bytes the rewrite phase leaves, against frames built here
// independently (hop limit - 1, next hop's and egress port's MACs, nothing else changed).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string>

#include <rte_mbuf.h>

#include "fast_path_twins.hpp"
#include "packet_builder.hpp"
#include "pipeline/fast_path_v4.hpp"
#include "pipeline/fast_path_v6.hpp"
#include "pipeline/stage_ipv6_common.hpp"

namespace dprtest {
namespace {

using dprouter::Config;
using dprouter::InterfaceConfig;
using dprouter::Ipv6;
using dprouter::Route6Config;
using dprouter::RouteAction;
using namespace lab;

using Addr6 = std::array<uint8_t, 16>;

Addr6 a6(const char* text) {
    const auto a = dprouter::parse_ipv6(text);
    EXPECT_TRUE(a.has_value()) << text;
    return a ? a->bytes : Addr6{};
}

// The topology of the lab config plus IPv6 on every interface, a small-MTU interface (dmz, port
// 2) and an MSS-clamping one (clamp, port 3); IPv4 as in test_fast_path.cpp so mixed bursts work.
constexpr uint16_t kDmzPort = 2;
constexpr uint16_t kClampPort = 3;
constexpr uint16_t kNoV6Port = 4;
constexpr Mac kDmzMac{0x02, 0x00, 0x00, 0x00, 0x03, 0x01};
constexpr Mac kClampMac{0x02, 0x00, 0x00, 0x00, 0x04, 0x01};
constexpr Mac kNoV6Mac{0x02, 0x00, 0x00, 0x00, 0x05, 0x01};
constexpr Mac kForeignMac{0x02, 0x00, 0x00, 0x00, 0x09, 0x09};
constexpr Mac kAllNodesMac{0x33, 0x33, 0x00, 0x00, 0x00, 0x01};
// Gateways: on the wan (a global and a link-local one), the dmz, the clamp side, back on the lan.
constexpr Mac kWanGwMac{0x02, 0x00, 0x00, 0x00, 0x02, 0xfe};
constexpr Mac kWanLlGwMac{0x02, 0x00, 0x00, 0x00, 0x02, 0xfd};
constexpr Mac kDmzGwMac{0x02, 0x00, 0x00, 0x00, 0x03, 0xfe};
constexpr Mac kClampGwMac{0x02, 0x00, 0x00, 0x00, 0x04, 0xfe};
constexpr Mac kLanGwMac{0x02, 0x00, 0x00, 0x00, 0x01, 0xfe};
constexpr uint16_t kDmzMtu = 1280;

const char* const kH1 = "2001:db8:1::2";
const char* const kLanAddr6 = "2001:db8:1::1";
const char* const kWanAddr6 = "2001:db8:2::1";

InterfaceConfig interface6(const std::string& name, const std::string& dev, uint32_t addr4, const char* addr6,
                           const Mac& mac) {
    InterfaceConfig i;
    i.name = name;
    i.device = dev;
    i.addresses.push_back({{addr4, 24}, {}});
    i.addresses6.push_back({*dprouter::parse_prefix6(addr6), {}});
    i.has_mac = true;
    i.mac = to_mac_addr(mac);
    return i;
}
Route6Config route6(const char* prefix, const char* via, const std::string& iface = {}) {
    Route6Config r;
    r.prefix = *dprouter::parse_prefix6(prefix);
    r.has_via = true;
    r.via = *dprouter::parse_ipv6(via);
    r.interface = iface;
    return r;
}
Route6Config route6_action(const char* prefix, RouteAction a) {
    Route6Config r;
    r.prefix = *dprouter::parse_prefix6(prefix);
    r.action = a;
    return r;
}

Config config6(bool default_route) {
    Config cfg = lab_config();
    cfg.interfaces[0].addresses6.push_back({*dprouter::parse_prefix6("2001:db8:1::1/64"), {}});
    cfg.interfaces[1].addresses6.push_back({*dprouter::parse_prefix6("2001:db8:2::1/64"), {}});
    InterfaceConfig dmz = interface6("dmz", "net_null2", ipv4(10, 3, 0, 1), "2001:db8:3::1/64", kDmzMac);
    dmz.mtu = kDmzMtu;
    cfg.interfaces.push_back(dmz);
    InterfaceConfig clamp = interface6("clamp", "net_null3", ipv4(10, 4, 0, 1), "2001:db8:4::1/64", kClampMac);
    clamp.tcp_mss_clamp = 1200;
    cfg.interfaces.push_back(clamp);
    // MTU below 1280: no IPv6 on it (RFC 8200 5).
    InterfaceConfig nov6 = interface6("nov6", "net_null4", ipv4(10, 5, 0, 1), "2001:db8:5::1/64", kNoV6Mac);
    nov6.mtu = 1000;
    cfg.interfaces.push_back(nov6);
    cfg.routes6.push_back(route6("2001:db8:99::/48", "2001:db8:2::fe"));
    cfg.routes6.push_back(route6("2001:db8:98::/48", "fe80::fd", "wan"));
    cfg.routes6.push_back(route6("fd00:99::/32", "2001:db8:2::fe"));
    cfg.routes6.push_back(route6("2001:db8:77::/48", "2001:db8:3::fe"));
    cfg.routes6.push_back(route6("2001:db8:78::/48", "2001:db8:4::fe"));
    cfg.routes6.push_back(route6("2001:db8:79::/48", "2001:db8:2::fd"));  // never resolved
    cfg.routes6.push_back(route6("2001:db8:80::/48", "2001:db8:1::fe"));  // back out of the lan
    cfg.routes6.push_back(route6_action("2001:db8:66::/48", RouteAction::unreachable));
    cfg.routes6.push_back(route6_action("2001:db8:67::/48", RouteAction::blackhole));
    cfg.routes6.push_back(route6_action("2001:db8:68::/48", RouteAction::prohibit));
    if (default_route) cfg.routes6.push_back(route6("::/0", "2001:db8:2::fe"));
    return cfg;
}

// What the control thread does for a resolved gateway (static neighbour or Neighbor Discovery):
// the next hop's link-layer word becomes reachable with the gateway's MAC.
void resolve_gateway6(RouterHarness& h, const char* gateway, uint16_t port, const Mac& mac) {
    const Addr6 g = a6(gateway);
    bool found = false;
    dprouter::Tables& t = h.tables();
    for (uint32_t i = 0; i < t.n_nexthops6; ++i) {
        dprouter::NextHop6& nh = t.nexthops6[i];
        if (nh.port != port || std::memcmp(nh.gateway, g.data(), 16) != 0) continue;
        nh.l2.store(dprouter::PackedNeighbor::make(to_ether(mac), dprouter::NeighborState::reachable).word);
        found = true;
    }
    EXPECT_TRUE(found) << "no next hop via " << gateway;
}
void resolve_lab_gateways6(RouterHarness& h) {
    resolve_gateway6(h, "2001:db8:2::fe", kWanPort, kWanGwMac);
    resolve_gateway6(h, "fe80::fd", kWanPort, kWanLlGwMac);
    resolve_gateway6(h, "2001:db8:3::fe", kDmzPort, kDmzGwMac);
    resolve_gateway6(h, "2001:db8:4::fe", kClampPort, kClampGwMac);
    resolve_gateway6(h, "2001:db8:1::fe", kLanPort, kLanGwMac);
}

// ---------------------------------------------------------------------------------------------
// IPv6 frames, built here with the test's own checksum loop.

constexpr uint8_t kNhHopByHop = 0;
constexpr uint8_t kNhFragment = 44;
constexpr uint8_t kNhIcmp6 = 58;

struct V6 {
    Addr6 src = a6(kH1);
    Addr6 dst = a6("2001:db8:99::1");
    uint8_t hop_limit = 64;
    uint8_t next_header = kProtoUdp;
    uint8_t version = 6;
    int payload_length = -1;  // -1: what follows the header
};

// The 40-byte header (traffic class 0x2e, flow label 0x12345: carried unchanged) and `payload`.
Bytes ipv6_packet(const V6& f, const Bytes& payload) {
    Bytes b(40, 0);
    b[0] = static_cast<uint8_t>(f.version << 4 | 0x2);
    b[1] = 0xe1;
    b[2] = 0x23;
    b[3] = 0x45;
    put16(b, 4, static_cast<uint16_t>(f.payload_length < 0 ? payload.size() : static_cast<size_t>(f.payload_length)));
    b[6] = f.next_header;
    b[7] = f.hop_limit;
    std::copy(f.src.begin(), f.src.end(), b.begin() + 8);
    std::copy(f.dst.begin(), f.dst.end(), b.begin() + 24);
    return concat(b, payload);
}
// UDP with the RFC 8200 8.1 pseudo-header checksum (0 is sent as 0xffff).
Bytes udp6(const Addr6& src, const Addr6& dst, uint16_t sport, uint16_t dport, const Bytes& data) {
    Bytes u(8, 0);
    put16(u, 0, sport);
    put16(u, 2, dport);
    put16(u, 4, static_cast<uint16_t>(8 + data.size()));
    u = concat(u, data);
    Bytes pseudo(40, 0);
    std::copy(src.begin(), src.end(), pseudo.begin());
    std::copy(dst.begin(), dst.end(), pseudo.begin() + 16);
    put32(pseudo, 32, static_cast<uint32_t>(u.size()));
    pseudo[39] = kProtoUdp;
    uint16_t ck = internet_checksum(u.data(), u.size(), ones_sum(pseudo.data(), pseudo.size()));
    put16(u, 6, ck == 0 ? 0xffff : ck);
    return u;
}
// UDP from `f.src` to `f.dst` with `n` data bytes, received from H1's MAC by `to`.
Bytes udp_frame6(const V6& f, size_t n = 18, const Mac& to = kLanMac, size_t min_len = 0) {
    return ethernet_frame(to, kH1Mac, kEtherIpv6, ipv6_packet(f, udp6(f.src, f.dst, 1024, 9, pattern(n, f.hop_limit))),
                          min_len);
}
V6 to(const char* dst, uint8_t hop_limit = 64) {
    V6 f;
    f.dst = a6(dst);
    f.hop_limit = hop_limit;
    return f;
}
V6 from(const char* src, const char* dst) {
    V6 f;
    f.src = a6(src);
    f.dst = a6(dst);
    return f;
}
// An extension header of 8 bytes in front of UDP: next header UDP, the rest zero (a Fragment
// header with offset 0 and M clear, or a Routing header type 0 with no segments left, or PadN).
Bytes ext_then_udp(const V6& f, size_t n) {
    Bytes e(8, 0);
    e[0] = kProtoUdp;
    return concat(e, udp6(f.src, f.dst, 1024, 9, pattern(n)));
}

// What a router forwarding `in` out of `port` to a gateway with `gw` leaves: the gateway's MAC,
// the egress port's own, the hop limit one lower and nothing else changed.
Bytes forwarded6(const Bytes& in, const Mac& gw, const Mac& egress) {
    Bytes out = in;
    put_mac(out, 0, gw);
    put_mac(out, 6, egress);
    out[kEthHdrLen + 7] = static_cast<uint8_t>(out[kEthHdrLen + 7] - 1);
    return out;
}

// UDP over IPv4 from H1, received on the lan.
Bytes ipv4_udp(uint32_t dst, uint8_t ttl = 64) {
    Ipv4Fields f;
    f.src = kH1Addr;
    f.dst = dst;
    f.ttl = ttl;
    return ipv4_frame(kLanMac, kH1Mac, f, udp_segment(f.src, f.dst, 1, 2, pattern(18)));
}

// One packet of a test burst and what the phases must make of it.
struct Input6 {
    std::string what;
    Bytes frame;
    bool candidate = false;  // classify takes it as plain transit IPv6
    bool fast = false;       // the lookup keeps it on the fast path
    uint16_t egress = 0;     // ... leaving by this port
    Mac gw{};                // ... to this MAC
    size_t seg_size = 0;
    uint64_t ol_flags = 0;
};
Input6 fast_to(std::string what, Bytes frame, uint16_t port, const Mac& gw, size_t seg_size = 0) {
    return {std::move(what), std::move(frame), true, true, port, gw, seg_size};
}
Input6 slow(std::string what, Bytes frame, bool candidate = false) {
    return {std::move(what), std::move(frame), candidate, false, 0, {}, 0};
}

// Every kind of IPv6 packet the phases must tell apart, received on the lan, plain ones between.
std::vector<Input6> mixed_lan_burst6(bool default_route) {
    std::vector<Input6> v;
    v.push_back(fast_to("plain via the wan gateway", udp_frame6(to("2001:db8:99::1")), kWanPort, kWanGwMac));
    v.push_back(fast_to("hop limit 2", udp_frame6(to("2001:db8:99::2", 2)), kWanPort, kWanGwMac));
    v.push_back(slow("hop limit 1", udp_frame6(to("2001:db8:99::3", 1))));
    v.push_back(slow("hop limit 0", udp_frame6(to("2001:db8:99::3", 0))));
    v.push_back(fast_to("via a link-local gateway", udp_frame6(to("2001:db8:98::1")), kWanPort, kWanLlGwMac));
    v.push_back(fast_to("unique local destination", udp_frame6(to("fd00:99::1")), kWanPort, kWanGwMac));
    {
        V6 f = to("2001:db8:99::4");
        f.next_header = kNhHopByHop;
        v.push_back(slow("Hop-by-Hop header", ethernet_frame(kLanMac, kH1Mac, kEtherIpv6, ipv6_packet(f, ext_then_udp(f, 8)))));
    }
    {
        V6 f = to("2001:db8:99::5");
        f.next_header = kNhFragment;
        v.push_back(fast_to("Fragment header (forwarded unchanged)",
                            ethernet_frame(kLanMac, kH1Mac, kEtherIpv6, ipv6_packet(f, ext_then_udp(f, 8))), kWanPort,
                            kWanGwMac));
    }
    {
        V6 f = to("2001:db8:99::6");
        f.next_header = kNhIcmp6;
        Bytes echo = {128, 0, 0, 0, 0, 7, 0, 1};  // checksum not looked at in transit
        v.push_back(fast_to("ICMPv6 echo in transit", ethernet_frame(kLanMac, kH1Mac, kEtherIpv6, ipv6_packet(f, echo)),
                            kWanPort, kWanGwMac));
    }
    v.push_back(slow("link-local source", udp_frame6(from("fe80::2", "2001:db8:99::7"))));
    v.push_back(slow("link-local destination", udp_frame6(to("fe80::99"))));
    v.push_back(slow("multicast destination", udp_frame6(to("ff0e::101"))));
    v.push_back(slow("multicast destination, group MAC", udp_frame6(to("ff02::1"), 18, kAllNodesMac)));
    v.push_back(slow("multicast source", udp_frame6(from("ff0e::1", "2001:db8:99::8"))));
    v.push_back(slow("unspecified source", udp_frame6(from("::", "2001:db8:99::8"))));
    v.push_back(slow("loopback destination", udp_frame6(to("::1"))));
    v.push_back(slow("IPv4-mapped destination", udp_frame6(to("::ffff:10.99.0.1"))));
    v.push_back(slow("site-local destination (deprecated)", udp_frame6(to("fec0::1"))));
    v.push_back(slow("our own address as source", udp_frame6(from(kWanAddr6, "2001:db8:99::9"))));
    v.push_back(slow("foreign MAC", udp_frame6(to("2001:db8:99::10"), 18, kForeignMac)));
    v.push_back(slow("Ethernet padding (tiny payload)", udp_frame6(to("2001:db8:99::11"), 0, kLanMac, 70)));
    {
        Bytes f = udp_frame6(to("2001:db8:99::12"));
        f.push_back(0);
        v.push_back(slow("trailing bytes", f));
    }
    {
        V6 f = to("2001:db8:99::13");
        f.payload_length = 200;
        v.push_back(slow("truncated (payload length beyond the frame)", udp_frame6(f)));
    }
    {
        V6 f = to("2001:db8:99::14");
        f.version = 4;
        v.push_back(slow("version 4 in an IPv6 EtherType", udp_frame6(f)));
    }
    v.push_back(slow("too big for the dmz (1281 bytes)", udp_frame6(to("2001:db8:77::1"), kDmzMtu - 40 - 8 + 1), true));
    v.push_back(fast_to("exactly the dmz MTU", udp_frame6(to("2001:db8:77::2"), kDmzMtu - 40 - 8), kDmzPort, kDmzGwMac));
    v.push_back(slow("connected destination", udp_frame6(to("2001:db8:2::2")), true));
    v.push_back(slow("unresolved gateway", udp_frame6(to("2001:db8:79::1")), true));
    v.push_back(slow("redirect case (out of the lan again)", udp_frame6(to("2001:db8:80::1")), true));
    v.push_back(slow("to the clamping interface", udp_frame6(to("2001:db8:78::1")), true));
    v.push_back(slow("to our wan address", udp_frame6(to(kWanAddr6)), true));
    v.push_back(slow("to our lan address", udp_frame6(to(kLanAddr6)), true));
    v.push_back(slow("unreachable route", udp_frame6(to("2001:db8:66::1")), true));
    v.push_back(slow("blackhole route", udp_frame6(to("2001:db8:67::1")), true));
    v.push_back(slow("prohibit route", udp_frame6(to("2001:db8:68::1")), true));
    if (default_route)
        v.push_back(fast_to("default route", udp_frame6(to("2001:db8:1234::1")), kWanPort, kWanGwMac));
    else
        v.push_back(slow("no route", udp_frame6(to("2001:db8:1234::1")), true));
    v.push_back(slow("header split across segments", udp_frame6(to("2001:db8:99::15"), 40), false));
    v.back().seg_size = 30;
    v.push_back(fast_to("chained, header in the first segment", udp_frame6(to("2001:db8:99::16"), 120), kWanPort,
                        kWanGwMac, 64));
    v.push_back(slow("runt", Bytes(12, 0xab)));
    v.push_back(slow("IPv4 in between (unreachable route)", ipv4_udp(ipv4(10, 66, 1, 1))));
    v.push_back(fast_to("plain last", udp_frame6(to("2001:db8:99::17", 255)), kWanPort, kWanGwMac));
    return v;
}

// A router with IPv6 routes and resolved gateways; the phases are run by hand on bursts of it.
class FastPath6Phases : public ::testing::TestWithParam<bool> {
protected:
    void SetUp() override {
        h_ = std::make_unique<RouterHarness>(config6(GetParam()));
        resolve_lab_gateways6(*h_);
    }
    void TearDown() override { EXPECT_EQ(h_->shutdown(), 0u) << "mbufs leaked"; }

    std::vector<rte_mbuf*> mbufs(const std::vector<Input6>& in, uint16_t port) { return make_burst(*h_, in, port); }

    // Runs `all` in bursts of at most 32 through the phases and checks, for every packet, whether
    // it was a candidate, whether it stayed fast, its port and its bytes after the rewrite.
    // Returns how many rewritten frames it compared.
    size_t check_phases(const std::vector<Input6>& all, uint16_t port) {
        namespace fast = dprouter::fast;
        size_t rewritten = 0;
        for (size_t off = 0; off < all.size(); off += fast::Burst::kMax) {
            const size_t n = std::min<size_t>(fast::Burst::kMax, all.size() - off);
            const std::vector<Input6> in(all.begin() + static_cast<long>(off), all.begin() + static_cast<long>(off + n));
            auto pkts = mbufs(in, port);
            fast::Burst b;
            b.n = static_cast<uint16_t>(n);
            b.rx_port = port;
            run_phases(h_->tables(), pkts.data(), b);
            uint32_t candidates = 0;
            for (unsigned c = 0; c < b.v6_count; ++c) candidates |= 1u << b.v6_pkt[c];
            for (size_t i = 0; i < n; ++i) {
                SCOPED_TRACE(in[i].what);
                EXPECT_EQ((candidates >> i) & 1u, in[i].candidate ? 1u : 0u) << "classify";
                EXPECT_EQ((b.fast >> i) & 1u, in[i].fast ? 1u : 0u) << "lookup";
                EXPECT_EQ((b.v6 >> i) & 1u, in[i].fast ? 1u : 0u) << "family bit";
                if (!in[i].fast || !((b.fast >> i) & 1u)) continue;
                EXPECT_EQ(b.egress[i], in[i].egress);
                fast::v6_rewrite(b, static_cast<unsigned>(i));
                EXPECT_TRUE(same_bytes(mbuf_bytes(pkts[i]), forwarded6(in[i].frame, in[i].gw, mac_of(in[i].egress))));
                ++rewritten;
            }
            rte_pktmbuf_free_bulk(pkts.data(), static_cast<unsigned>(pkts.size()));
        }
        return rewritten;
    }

    static Mac mac_of(uint16_t port) {
        switch (port) {
        case kLanPort: return kLanMac;
        case kWanPort: return kWanMac;
        case kDmzPort: return kDmzMac;
        case kClampPort: return kClampMac;
        default: return kNoV6Mac;
        }
    }

    std::unique_ptr<RouterHarness> h_;
};

TEST_P(FastPath6Phases, MixedBurstClaimsPlainTransitOnly) {
    const auto in = mixed_lan_burst6(GetParam());
    size_t fast = 0;
    for (const auto& i : in) fast += i.fast;
    ASSERT_GE(fast, 9u);  // the burst really exercises the fast path
    EXPECT_EQ(check_phases(in, kLanPort), fast);
}

// Nothing received on an MSS-clamping interface or on one without IPv6 is a candidate.
TEST_P(FastPath6Phases, IneligibleIngressClaimsNothing) {
    const auto& t = h_->tables();
    EXPECT_TRUE(dprouter::fast::v6_port_eligible(t, kLanPort));
    EXPECT_FALSE(dprouter::fast::v6_port_eligible(t, kClampPort));
    EXPECT_FALSE(dprouter::fast::v6_port_eligible(t, kNoV6Port));
    std::vector<Input6> in;
    in.push_back(slow("from the clamping side", udp_frame6(to("2001:db8:99::1"), 18, kClampMac)));
    check_phases(in, kClampPort);
    in.clear();
    in.push_back(slow("on an interface without IPv6", udp_frame6(to("2001:db8:99::1"), 18, kNoV6Mac)));
    check_phases(in, kNoV6Port);
}

// The benchmark's shape: whole bursts of plain packets to one gateway leave as one piece.
TEST_P(FastPath6Phases, WholeBurstToOnePort) {
    namespace fast = dprouter::fast;
    std::vector<Input6> in;
    for (int i = 0; i < 32; ++i) {
        const std::string dst = "2001:db8:99::" + std::to_string(100 + i);
        in.push_back(fast_to("plain", udp_frame6(to(dst.c_str(), static_cast<uint8_t>(2 + i))), kWanPort, kWanGwMac));
    }
    auto pkts = mbufs(in, kLanPort);
    fast::Burst b;
    b.n = 32;
    b.rx_port = kLanPort;
    run_phases(h_->tables(), pkts.data(), b);
    EXPECT_EQ(b.fast, ~0u);
    EXPECT_EQ(b.v6, ~0u);
    EXPECT_TRUE(b.all_fast_one_port);
    EXPECT_EQ(b.egress[0], kWanPort);
    rte_pktmbuf_free_bulk(pkts.data(), 32);
    // One packet to the dmz breaks the single port; one IPv4 packet makes it a mixed burst.
    in[17] = fast_to("to the dmz", udp_frame6(to("2001:db8:77::9")), kDmzPort, kDmzGwMac);
    pkts = mbufs(in, kLanPort);
    fast::Burst b2;
    b2.n = 32;
    b2.rx_port = kLanPort;
    run_phases(h_->tables(), pkts.data(), b2);
    EXPECT_EQ(b2.fast, ~0u);
    EXPECT_FALSE(b2.all_fast_one_port);
    rte_pktmbuf_free_bulk(pkts.data(), 32);
}

// IPv4 and IPv6 fast packets in one burst: each family's bit, the v4 ones left to v4_rewrite.
TEST_P(FastPath6Phases, MixedFamiliesShareTheMasks) {
    namespace fast = dprouter::fast;
    std::vector<Input6> in;
    for (int i = 0; i < 8; ++i) {
        Ipv4Fields f;
        f.src = kH1Addr;
        f.dst = ipv4(10, 99, 1, static_cast<uint8_t>(i + 1));
        in.push_back(slow("IPv4", ipv4_frame(kLanMac, kH1Mac, f, udp_segment(f.src, f.dst, 1, 2, pattern(18)))));
        in.push_back(fast_to("IPv6", udp_frame6(to("2001:db8:99::1")), kWanPort, kWanGwMac));
    }
    h_->add_static_neighbor(kGatewayAddr, kWanPort, kWanGwMac);
    auto pkts = mbufs(in, kLanPort);
    fast::Burst b;
    b.n = static_cast<uint16_t>(in.size());
    b.rx_port = kLanPort;
    run_phases(h_->tables(), pkts.data(), b);
    EXPECT_EQ(b.v4_count, 8u);
    EXPECT_EQ(b.v6_count, 8u);
    EXPECT_EQ(b.fast, 0xffffu);
    EXPECT_EQ(b.v6, 0xaaaau);
    EXPECT_FALSE(b.all_fast_one_port);
    rte_pktmbuf_free_bulk(pkts.data(), static_cast<unsigned>(pkts.size()));
}

// The same mix starting with an IPv6 frame: the IPv6 classify runs first (fast_path.hpp), the
// IPv4 phases after it, and the burst comes out the same; a burst of IPv6 frames only never has an
// IPv4 candidate.
TEST_P(FastPath6Phases, MixedFamiliesIpv6First) {
    namespace fast = dprouter::fast;
    std::vector<Input6> in;
    for (int i = 0; i < 8; ++i) {
        in.push_back(fast_to("IPv6", udp_frame6(to("2001:db8:99::1")), kWanPort, kWanGwMac));
        Ipv4Fields f;
        f.src = kH1Addr;
        f.dst = ipv4(10, 99, 1, static_cast<uint8_t>(i + 1));
        in.push_back(slow("IPv4", ipv4_frame(kLanMac, kH1Mac, f, udp_segment(f.src, f.dst, 1, 2, pattern(18)))));
    }
    h_->add_static_neighbor(kGatewayAddr, kWanPort, kWanGwMac);
    auto pkts = mbufs(in, kLanPort);
    fast::Burst b;
    b.n = static_cast<uint16_t>(in.size());
    b.rx_port = kLanPort;
    run_phases(h_->tables(), pkts.data(), b);
    EXPECT_EQ(b.v4_count, 8u);
    EXPECT_EQ(b.v4_cand, 0xaaaau);
    EXPECT_EQ(b.v6_count, 8u);
    EXPECT_EQ(b.fast, 0xffffu);
    EXPECT_EQ(b.v6, 0x5555u);
    EXPECT_FALSE(b.one_hop);  // the words are per packet in a mixed burst
    EXPECT_FALSE(b.all_fast_one_port);
    for (unsigned i = 0; i < 16; ++i) EXPECT_EQ(b.egress[i], kWanPort) << i;
    rte_pktmbuf_free_bulk(pkts.data(), static_cast<unsigned>(pkts.size()));

    std::vector<Input6> only6(in.begin(), in.begin() + 1);
    for (int i = 0; i < 7; ++i) only6.push_back(in[2 * static_cast<size_t>(i) + 2]);
    pkts = mbufs(only6, kLanPort);
    fast::Burst b6;
    b6.n = 8;
    b6.rx_port = kLanPort;
    run_phases(h_->tables(), pkts.data(), b6);
    EXPECT_EQ(b6.v4_count, 0u);
    EXPECT_EQ(b6.v4_cand, 0u);
    EXPECT_EQ(b6.fast, 0xffu);
    EXPECT_EQ(b6.v6, 0xffu);
    EXPECT_TRUE(b6.one_hop);
    EXPECT_TRUE(b6.all_fast_one_port);
    EXPECT_EQ(b6.egress[0], kWanPort);
    rte_pktmbuf_free_bulk(pkts.data(), static_cast<unsigned>(pkts.size()));
}

INSTANTIATE_TEST_SUITE_P(DefaultRoute, FastPath6Phases, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) { return p.param ? "WithDefault" : "NoDefault"; });

// The first-byte rule of the IPv6 classify (v6_forwardable_first_byte) never lets through an
// address the input stages refuse or keep on the link: for every first byte it accepts, addresses
// with any second byte and the three other word patterns are neither multicast, link-local,
// unspecified, loopback nor IPv4-mapped by the stages' own predicates (stage_ipv6_common.hpp).
TEST(FastPath6Rule, FirstByteRuleAgreesWithStages) {
    unsigned accepted = 0;
    for (unsigned first = 0; first < 256; ++first) {
        if (!dprouter::fast::v6_forwardable_first_byte(first)) continue;
        ++accepted;
        for (unsigned second = 0; second < 256; ++second) {
            for (const uint8_t fill : {0x00, 0x01, 0xff}) {
                Addr6 a;
                a.fill(fill);
                a[0] = static_cast<uint8_t>(first);
                a[1] = static_cast<uint8_t>(second);
                using namespace dprouter::stage;
                EXPECT_FALSE(v6_multicast(a.data()) || v6_link_local(a.data()) || v6_unspecified(a.data()) ||
                             v6_loopback(a.data()) || v6_v4_mapped(a.data()))
                    << std::hex << first << ":" << second << " fill " << unsigned{fill};
            }
        }
    }
    EXPECT_EQ(accepted, 32u + 2u);  // 2000::/3 and fc00::/7
}

// ---------------------------------------------------------------------------------------------
// The whole pipeline: the vector path against the scalar stages (fast_path_twins.hpp).

// The IPv6 burst with IPv4 packets between (the IPv4 gateway is resolved in the twin routers, so
// "IPv4, plain" is fast too; TTL 1 is not).
std::vector<Input6> with_ipv4(const std::vector<Input6>& v6) {
    std::vector<Input6> v;
    for (size_t i = 0; i < v6.size(); ++i) {
        v.push_back(v6[i]);
        if (i % 4 != 3) continue;
        const auto k = static_cast<uint8_t>(i);
        if (i % 8 == 3)
            v.push_back({"IPv4, plain", ipv4_udp(ipv4(10, 99, 2, k)), true, true, kWanPort, kGatewayMac});
        else
            v.push_back(slow("IPv4, TTL 1", ipv4_udp(ipv4(10, 99, 2, k), 1)));
    }
    return v;
}

class FastPath6 : public TwinRouters<Input6> {
protected:
    void SetUp() override {
        make_twins(config6(GetParam()));
        for (RouterHarness* h : {vec_.get(), ref_.get()}) {
            resolve_lab_gateways6(*h);
            h->add_static_neighbor(kGatewayAddr, kWanPort, kGatewayMac);
            // An on-link neighbour the stages can send to (the fast path leaves on-link
            // destinations to them).
            const Addr6 h2 = a6("2001:db8:2::2");
            h->neighbors6().set(h2.data(), kWanPort,
                                dprouter::PackedNeighbor::make(to_ether(kH2Mac), dprouter::NeighborState::reachable));
        }
    }
};

TEST_P(FastPath6, MixedBurstSameBytesRingsAndCounters) {
    const auto in = with_ipv4(mixed_lan_burst6(GetParam()));
    check_bursts(in, kLanPort);
    expect_same_outcome();
    EXPECT_GT(vec_->counted(dprouter::Event::forwarded), 12u);
    EXPECT_GT(vec_->total_dropped(), 15u);
}

// The same burst in many orders: fast and slow packets of both families interleave differently.
TEST_P(FastPath6, ShuffledBurstsKeepArrivalOrderPerPort) {
    shuffled_rounds(with_ipv4(mixed_lan_burst6(GetParam())), kLanPort, 20, 4242);
}

// Received on the wan: to the wan gateway is now the Redirect case (out of the arrival
// interface), to the lan gateway stays fast.
TEST_P(FastPath6, WanBurstRedirectCasesStaySlow) {
    std::vector<Input6> in;
    for (int i = 0; i < 6; ++i) {
        V6 f = from("2001:db8:2::2", ("2001:db8:99::" + std::to_string(i + 1)).c_str());
        in.push_back(slow("back out of the wan", ethernet_frame(kWanMac, kH2Mac, kEtherIpv6,
                                                                ipv6_packet(f, udp6(f.src, f.dst, 5, 6, pattern(20)))),
                          true));
        V6 g = from("2001:db8:2::2", ("2001:db8:80::" + std::to_string(i + 1)).c_str());
        in.push_back(fast_to("to the lan gateway",
                             ethernet_frame(kWanMac, kH2Mac, kEtherIpv6, ipv6_packet(g, udp6(g.src, g.dst, 5, 6, pattern(20)))),
                             kLanPort, kLanGwMac));
    }
    check_bursts(in, kWanPort);
    expect_same_outcome();
    EXPECT_EQ(vec_->counted(dprouter::Event::forwarded), 12u);
}

// The benchmark's shape: whole bursts of plain packets to one gateway, handed over in one piece.
TEST_P(FastPath6, WholeBurstsToOnePort) {
    std::vector<Input6> in;
    for (int i = 0; i < 96; ++i) {
        const std::string dst = "2001:db8:99::" + std::to_string(i + 1);
        in.push_back(fast_to("plain", udp_frame6(to(dst.c_str(), static_cast<uint8_t>(2 + i))), kWanPort, kWanGwMac));
    }
    check_bursts(in, kLanPort);
    expect_same_outcome();
    EXPECT_EQ(vec_->counted(dprouter::Event::forwarded), 96u);
}

// A TX batch with room for two more: the rest are refused as tx_full, in order, as the stages do.
TEST_P(FastPath6, FullTxBatchRefusesInOrder) {
    prefill_tx(kWanPort, ipv4_udp(kH2Addr), 2);
    std::vector<Input6> in;
    for (int i = 0; i < 5; ++i) {
        const std::string dst = "2001:db8:99::" + std::to_string(i + 1);
        in.push_back(fast_to("plain", udp_frame6(to(dst.c_str())), kWanPort, kWanGwMac));
    }
    check_bursts(in, kLanPort);
    expect_same_outcome();
    EXPECT_EQ(vec_->dropped(dprouter::Drop::tx_full), 3u);
}

INSTANTIATE_TEST_SUITE_P(DefaultRoute, FastPath6, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) { return p.param ? "WithDefault" : "NoDefault"; });

}  // namespace
}  // namespace dprtest
