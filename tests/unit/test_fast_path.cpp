// The burst-vector fast path against the scalar stages: the same mixed bursts go through
// pipeline_run (vector) in one router and pipeline_run_scalar in an identical second router, and
// every frame queued per TX port (in order), everything handed to the control thread (hold and
// learn rings) and every counter must be the same. Also which packets the fast path claims, so
// the comparison cannot pass by sending everything to the stages.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <ostream>
#include <string>

#include <rte_mbuf.h>

#include "fast_path_twins.hpp"
#include "icmp/icmp_error.hpp"
#include "packet_builder.hpp"
#include "pipeline/fast_path_v4.hpp"

namespace dprtest {
namespace {

using dprouter::Config;
using dprouter::InterfaceConfig;
using dprouter::NeighborConfig;
using dprouter::RouteAction;
using dprouter::RouteConfig;
using namespace lab;

// Beyond the lab topology: a small-MTU interface (dmz, port 2), an MSS-clamping one (clamp,
// port 3), a gateway back on the lan (redirect case) and one on the wan that never resolves.
constexpr uint16_t kClampPort = 3;
constexpr Mac kDmzMac{0x02, 0x00, 0x00, 0x00, 0x03, 0x01};
constexpr Mac kClampMac{0x02, 0x00, 0x00, 0x00, 0x04, 0x01};
constexpr Mac kDmzGwMac{0x02, 0x00, 0x00, 0x00, 0x03, 0xfe};
constexpr Mac kClampGwMac{0x02, 0x00, 0x00, 0x00, 0x04, 0xfe};
constexpr Mac kLanGwMac{0x02, 0x00, 0x00, 0x00, 0x01, 0xfe};
constexpr Mac kForeignMac{0x02, 0x00, 0x00, 0x00, 0x09, 0x09};
constexpr uint16_t kDmzMtu = 1000;
constexpr uint32_t kDmzNet = ipv4(10, 77, 0, 0);        // /16 via 10.3.0.254 (dmz)
constexpr uint32_t kClampNet = ipv4(10, 78, 0, 0);      // /16 via 10.4.0.254 (clamp)
constexpr uint32_t kUnresolvedNet = ipv4(10, 79, 0, 0); // /16 via 10.2.0.253: no neighbour
constexpr uint32_t kLanGwNet = ipv4(10, 80, 0, 0);      // /16 via 10.1.0.254 (back out of the lan)

InterfaceConfig extra_interface(const std::string& name, const std::string& dev, uint32_t addr, const Mac& mac) {
    InterfaceConfig i;
    i.name = name;
    i.device = dev;
    i.addresses.push_back({{addr, 24}, {}});
    i.has_mac = true;
    i.mac = to_mac_addr(mac);
    return i;
}
RouteConfig route_via(uint32_t net, uint8_t len, uint32_t via) {
    RouteConfig r;
    r.prefix = {net, len};
    r.has_via = true;
    r.via = via;
    return r;
}
NeighborConfig neighbor(uint32_t addr, const Mac& mac, const std::string& iface) {
    NeighborConfig n;
    n.address = addr;
    n.mac = to_mac_addr(mac);
    n.interface = iface;
    return n;
}

Config mixed_config(bool default_route) {
    Config cfg = lab_config();
    InterfaceConfig dmz = extra_interface("dmz", "net_null2", ipv4(10, 3, 0, 1), kDmzMac);
    dmz.mtu = kDmzMtu;
    cfg.interfaces.push_back(dmz);
    InterfaceConfig clamp = extra_interface("clamp", "net_null3", ipv4(10, 4, 0, 1), kClampMac);
    clamp.tcp_mss_clamp = 1200;
    cfg.interfaces.push_back(clamp);
    cfg.routes.push_back(route_via(kDmzNet, 16, ipv4(10, 3, 0, 254)));
    cfg.routes.push_back(route_via(kClampNet, 16, ipv4(10, 4, 0, 254)));
    cfg.routes.push_back(route_via(kUnresolvedNet, 16, ipv4(10, 2, 0, 253)));
    cfg.routes.push_back(route_via(kLanGwNet, 16, ipv4(10, 1, 0, 254)));
    if (default_route) cfg.routes.push_back(route_via(0, 0, kGatewayAddr));
    cfg.neighbors.push_back(neighbor(kH1Addr, kH1Mac, "lan"));
    cfg.neighbors.push_back(neighbor(kH2Addr, kH2Mac, "wan"));
    cfg.neighbors.push_back(neighbor(kGatewayAddr, kGatewayMac, "wan"));
    cfg.neighbors.push_back(neighbor(ipv4(10, 3, 0, 254), kDmzGwMac, "dmz"));
    cfg.neighbors.push_back(neighbor(ipv4(10, 4, 0, 254), kClampGwMac, "clamp"));
    cfg.neighbors.push_back(neighbor(ipv4(10, 1, 0, 254), kLanGwMac, "lan"));
    return cfg;
}

// One packet of a test burst: its bytes, how it arrives (segment size, Rx checksum flags), and
// whether the fast path must claim it.
struct Input {
    std::string what;
    Bytes frame;
    bool fast = false;
    size_t seg_size = 0;
    uint64_t ol_flags = 0;
};

Ipv4Fields udp_ip(uint32_t src, uint32_t dst, uint8_t ttl = 64, uint16_t frag = 0) {
    Ipv4Fields f;
    f.src = src;
    f.dst = dst;
    f.ttl = ttl;
    f.frag = frag;
    f.protocol = kProtoUdp;
    f.id = 0x2222;
    return f;
}
// UDP from H1 to `dst`, received on the lan, with `n` payload bytes.
Bytes from_h1(uint32_t dst, uint8_t ttl = 64, size_t n = 18, uint16_t frag = 0, const Mac& to = kLanMac) {
    const Ipv4Fields f = udp_ip(kH1Addr, dst, ttl, frag);
    return ipv4_frame(to, kH1Mac, f, udp_segment(f.src, f.dst, 1024, 9, pattern(n, static_cast<uint8_t>(ttl))));
}
Bytes from_src(uint32_t src, uint32_t dst) {
    const Ipv4Fields f = udp_ip(src, dst);
    return ipv4_frame(kLanMac, kH1Mac, f, udp_segment(src, dst, 1024, 9, pattern(18)));
}

// Every kind of packet the pipeline distinguishes, received on the lan, plain ones in between.
std::vector<Input> mixed_lan_burst(bool default_route) {
    std::vector<Input> v;
    const uint32_t remote = ipv4(10, 99, 1, 1);
    v.push_back({"plain via gateway", from_h1(remote), true});
    v.push_back({"plain, TTL 2", from_h1(ipv4(10, 99, 1, 2), 2), true});
    v.push_back({"TTL 1", from_h1(remote, 1)});
    v.push_back({"plain to the dmz", from_h1(ipv4(10, 77, 0, 5)), true});
    {
        Ipv4Fields f = udp_ip(kH1Addr, remote);
        f.options = {1, 1, 1, 0};  // NOP NOP NOP EOL: harmless, but options
        v.push_back({"options", ipv4_frame(kLanMac, kH1Mac, f, udp_segment(f.src, f.dst, 1, 2, pattern(8)))});
    }
    v.push_back({"plain between", from_h1(remote, 30), true});
    v.push_back({"ARP request", arp_frame(kBroadcastMac, kH1Mac, kArpRequest, kH1Mac, kH1Addr, kZeroMac, kLanAddr)});
    v.push_back({"foreign MAC", from_h1(remote, 64, 18, 0, kForeignMac)});
    v.push_back({"link broadcast", from_h1(remote, 64, 18, 0, kBroadcastMac)});
    v.push_back({"too big, DF", from_h1(ipv4(10, 77, 0, 6), 64, kDmzMtu, kIpDf)});
    v.push_back({"too big, DF clear", from_h1(ipv4(10, 77, 0, 7), 64, kDmzMtu)});
    v.push_back({"exactly the MTU, DF", from_h1(ipv4(10, 77, 0, 8), 64, kDmzMtu - 28, kIpDf), true});
    v.push_back({"connected next hop", from_h1(kH2Addr)});
    v.push_back({"plain after a connected one", from_h1(ipv4(10, 99, 2, 2)), true});
    v.push_back({"unresolved gateway", from_h1(ipv4(10, 79, 0, 1))});
    v.push_back({"redirect case (out of the lan again)", from_h1(ipv4(10, 80, 0, 1))});
    {
        Ipv4Fields f = udp_ip(kH1Addr, ipv4(10, 78, 0, 1));
        f.protocol = kProtoTcp;
        Bytes syn = tcp_segment(f.src, f.dst, {}, {});
        v.push_back({"TCP to the clamping interface", ipv4_frame(kLanMac, kH1Mac, f, syn)});
    }
    {
        Bytes bad = from_h1(remote);
        bad[kEthHdrLen + 10] ^= 0x01;  // header checksum
        v.push_back({"bad checksum", bad});
    }
    {
        Bytes ok = from_h1(ipv4(10, 99, 3, 3));
        v.push_back({"good checksum, offload says bad", ok, false, 0, RTE_MBUF_F_RX_IP_CKSUM_BAD});
        v.push_back({"good checksum, offload says good", ok, true, 0, RTE_MBUF_F_RX_IP_CKSUM_GOOD});
        v.push_back({"good checksum, offload has none", ok, true, 0, RTE_MBUF_F_RX_IP_CKSUM_NONE});
    }
    {
        const Ipv4Fields f = udp_ip(kH1Addr, remote);  // 32 bytes of IP in a 60-byte frame
        v.push_back({"Ethernet padding",
                     ipv4_frame(kLanMac, kH1Mac, f, udp_segment(f.src, f.dst, 1, 2, pattern(4)), kEthMinFrame)});
    }
    {
        Bytes frame = from_h1(remote);
        frame.push_back(0);
        frame.push_back(0);
        v.push_back({"trailing bytes after the datagram", frame});
    }
    v.push_back({"martian source 127/8", from_src(ipv4(127, 0, 0, 1), remote)});
    v.push_back({"martian source 0/8", from_src(ipv4(0, 1, 2, 3), remote)});
    v.push_back({"multicast source", from_src(ipv4(224, 1, 1, 1), remote)});
    v.push_back({"our own address as source", from_src(kWanAddr, remote)});
    v.push_back({"martian destination 0/8", from_h1(ipv4(0, 1, 2, 3))});
    v.push_back({"class E destination", from_h1(ipv4(240, 1, 2, 3))});
    v.push_back({"multicast destination", from_h1(ipv4(224, 0, 0, 5))});
    v.push_back({"limited broadcast", from_h1(ipv4(255, 255, 255, 255))});
    v.push_back({"directed broadcast", from_h1(ipv4(10, 2, 0, 255))});
    v.push_back({"echo request to the router",
                 ipv4_frame(kLanMac, kH1Mac, [] {
                     Ipv4Fields f = udp_ip(kH1Addr, kLanAddr);
                     f.protocol = kProtoIcmp;
                     return f;
                 }(), icmp_echo(kIcmpEchoRequest, 7, 1, pattern(16)))});
    v.push_back({"no route (default route if any)", from_h1(ipv4(11, 0, 0, 1)), default_route});
    v.push_back({"unreachable route", from_h1(ipv4(10, 66, 0, 1))});
    v.push_back({"blackhole route", from_h1(ipv4(10, 67, 0, 1))});
    v.push_back({"header split across segments", from_h1(remote, 64, 40), false, 20});
    v.push_back({"chained, header in the first segment", from_h1(ipv4(10, 99, 4, 4), 64, 100), true, 40});
    v.push_back({"runt", Bytes(10, 0xab)});
    v.push_back({"IPv6 ethertype", ethernet_frame(kLanMac, kH1Mac, kEtherIpv6, pattern(60))});
    {
        Bytes ihl4 = from_h1(remote);
        ihl4[kEthHdrLen] = 0x44;
        v.push_back({"IHL 4", ihl4});
    }
    // TTL 1 and 0 on every kind of route: time exceeded only where the route forwards, and
    // before anything else forward_transit would say (redirect, MTU, neighbour).
    for (uint8_t ttl : {1, 0}) {
        v.push_back({"expired, to the router", from_h1(kLanAddr, ttl)});
        v.push_back({"expired, no route", from_h1(ipv4(11, 1, 1, 1), ttl)});
        v.push_back({"expired, unreachable route", from_h1(ipv4(10, 66, 1, 1), ttl)});
        v.push_back({"expired, directed broadcast", from_h1(ipv4(10, 2, 0, 255), ttl)});
        v.push_back({"expired, redirect case", from_h1(ipv4(10, 80, 1, 1), ttl)});
        v.push_back({"expired, unresolved gateway", from_h1(ipv4(10, 79, 1, 1), ttl)});
        v.push_back({"expired, too big with DF", from_h1(ipv4(10, 77, 1, 1), ttl, kDmzMtu, kIpDf)});
        v.push_back({"expired, connected", from_h1(kH2Addr, ttl)});
        v.push_back({"expired, link broadcast", from_h1(ipv4(10, 99, 1, 1), ttl, 18, 0, kBroadcastMac)});
    }
    v.push_back({"plain last", from_h1(ipv4(10, 99, 9, 9), 255), true});
    return v;
}

using dprouter::fast::V4Classify;

// Each test runs with and without a default route, and with each phase-1 variant this CPU has.
struct FastPathParam {
    bool default_route;
    V4Classify classify;
};

void PrintTo(const FastPathParam& p, std::ostream* os) {
    *os << (p.default_route ? "default route, " : "no default route, ")
        << (p.classify == V4Classify::avx512 ? "AVX-512 classify"
            : p.classify == V4Classify::avx2 ? "AVX2 classify"
                                             : "scalar classify");
}

// Forces a phase-1 variant for one test; back to "decide at the next burst" afterwards.
void force_classify(V4Classify c) { dprouter::fast::v4_classify_choice.store(static_cast<int>(c)); }

// Does this CPU (and the EAL's max SIMD bitwidth) run variant `c`? Each wider one implies the
// narrower ones.
bool classify_available(V4Classify c) {
    return static_cast<int>(c) <= static_cast<int>(dprouter::fast::v4_classify_best());
}

// Two identical routers; `vec` runs pipeline_run, `ref` pipeline_run_scalar.
class FastPath : public ::testing::TestWithParam<FastPathParam> {
protected:
    void SetUp() override {
        if (!classify_available(GetParam().classify))
            GTEST_SKIP() << "not on this CPU (or the EAL's max SIMD bitwidth is too low)";
        force_classify(GetParam().classify);
        vec_ = std::make_unique<RouterHarness>(mixed_config(default_route()));
        ref_ = std::make_unique<RouterHarness>(mixed_config(default_route()));
    }
    void TearDown() override {
        force_classify(V4Classify::undecided);
        if (!vec_) return;
        EXPECT_EQ(vec_->shutdown(), 0u) << "mbufs leaked (vector)";
        EXPECT_EQ(ref_->shutdown(), 0u) << "mbufs leaked (scalar)";
    }
    bool default_route() const { return GetParam().default_route; }

    static std::vector<rte_mbuf*> mbufs(RouterHarness& h, const std::vector<Input>& in, uint16_t port) {
        std::vector<rte_mbuf*> v;
        for (const Input& i : in) {
            rte_mbuf* m = make_mbuf(h.pool(), i.frame, i.seg_size);
            EXPECT_NE(m, nullptr);
            m->port = port;
            m->ol_flags = i.ol_flags;
            v.push_back(m);
        }
        return v;
    }

    // The same burst through both routers.
    void run_both(const std::vector<Input>& in, uint16_t port) {
        auto a = mbufs(*vec_, in, port);
        auto b = mbufs(*ref_, in, port);
        dprouter::pipeline_run(vec_->ctx(), vec_->tables(), a.data(), static_cast<uint16_t>(a.size()), port);
        dprouter::pipeline_run_scalar(ref_->ctx(), ref_->tables(), b.data(), static_cast<uint16_t>(b.size()), port);
    }

    // Every frame per TX port in order, the rings and all counters (fast_path_twins.hpp).
    void expect_same_outcome() { dprtest::expect_same_outcome(*vec_, *ref_); }
    void expect_same_counters() { dprtest::expect_same_counters(*vec_, *ref_); }

    // Which packets of `in` the classify and lookup phases give to the fast path.
    uint32_t fast_mask(const std::vector<Input>& in, uint16_t port) {
        auto pkts = mbufs(*vec_, in, port);
        dprouter::fast::Burst b;
        b.n = static_cast<uint16_t>(pkts.size());
        b.rx_port = port;
        if (dprouter::fast::v4_port_eligible(vec_->tables(), port)) {
            dprouter::fast::v4_classify(vec_->tables(), pkts.data(), b);
            if (b.v4_count != 0) dprouter::fast::v4_lookup(vec_->tables(), b);
        }
        rte_pktmbuf_free_bulk(pkts.data(), static_cast<unsigned>(pkts.size()));
        return b.fast;
    }

    // Runs `all` in bursts of at most 32 and checks the fast path's choice for each.
    void check_bursts(const std::vector<Input>& all, uint16_t port) {
        for (size_t off = 0; off < all.size(); off += dprouter::fast::Burst::kMax) {
            const size_t n = std::min<size_t>(dprouter::fast::Burst::kMax, all.size() - off);
            const std::vector<Input> burst(all.begin() + static_cast<long>(off), all.begin() + static_cast<long>(off + n));
            const uint32_t mask = fast_mask(burst, port);
            for (size_t i = 0; i < n; ++i)
                EXPECT_EQ((mask >> i) & 1u, burst[i].fast ? 1u : 0u) << "fast path for: " << burst[i].what;
            run_both(burst, port);
        }
    }

    std::unique_ptr<RouterHarness> vec_;
    std::unique_ptr<RouterHarness> ref_;
};

TEST_P(FastPath, MixedBurstSameBytesRingsAndCounters) {
    const auto in = mixed_lan_burst(default_route());
    check_bursts(in, kLanPort);
    expect_same_outcome();
    EXPECT_GT(vec_->counted(dprouter::Event::forwarded), 8u);
    EXPECT_GT(vec_->total_dropped(), 20u);
}

// The same burst in many orders: fast and slow packets interleave differently on each port.
TEST_P(FastPath, ShuffledBurstsKeepArrivalOrderPerPort) {
    auto in = mixed_lan_burst(default_route());
    uint32_t seed = 12345;
    for (int round = 0; round < 20; ++round) {
        for (size_t i = in.size() - 1; i > 0; --i) {
            seed = seed * 1103515245u + 12345u;
            std::swap(in[i], in[(seed >> 8) % (i + 1)]);
        }
        check_bursts(in, kLanPort);
        vec_->advance_tsc_ms(37);  // let the ICMP buckets refill a little between rounds
        ref_->advance_tsc_ms(37);
        expect_same_outcome();
    }
    // The expired packets outran H1's per-destination budget, so the vector path's cheap refusal
    // (inside the bucket's empty window) was taken and counted like the stages' full one.
    EXPECT_GT(vec_->counters().suppressed(dprouter::IcmpSuppress::rate_destination), 20u);
}

// A flood of expired datagrams from many sources, each with its own per-destination bucket: after
// the global burst (50 errors) the destinations still hold their tokens and the global bucket
// refuses. The vector path's cheap refusal must say rate_global there, as the stages' full one
// does, and leave both limiters alike (the later rounds, after a refill, check that).
TEST_P(FastPath, ExpiredFloodFromManySourcesRefusedByTheGlobalBudget) {
    std::vector<Input> in;
    for (uint32_t host = 3; host < 254; ++host) {
        const uint32_t src = ipv4(10, 1, 0, static_cast<uint8_t>(host));
        const Ipv4Fields f = udp_ip(src, ipv4(10, 99, 1, 1), 1);
        in.push_back({"expired, many sources",
                      ipv4_frame(kLanMac, kH1Mac, f, udp_segment(src, f.dst, 1024, 9, pattern(18)))});
    }
    for (int round = 0; round < 3; ++round) {
        check_bursts(in, kLanPort);
        expect_same_outcome();
        // The cheap refusal itself, at the same instant: a source whose bucket still has tokens
        // is refused on the global budget, without the long way through icmp_send_error.
        EXPECT_EQ(dprouter::icmp_rate_refusal(vec_->ctx(), vec_->tables(), rte_cpu_to_be_32(ipv4(10, 1, 0, 200))),
                  dprouter::IcmpSuppress::rate_global);
        vec_->advance_tsc_ms(20);  // 20 global tokens come back
        ref_->advance_tsc_ms(20);
    }
    EXPECT_GT(vec_->counters().suppressed(dprouter::IcmpSuppress::rate_global), 500u);
    EXPECT_EQ(vec_->counters().suppressed(dprouter::IcmpSuppress::rate_destination), 0u);
}

// Traffic arriving on the wan: the redirect case for the 10.99/16 gateway is now every plain
// packet to it (it would leave by the wan again); traffic to the lan side stays fast.
TEST_P(FastPath, WanBurstRedirectCasesStaySlow) {
    std::vector<Input> in;
    for (int i = 0; i < 6; ++i) {
        const Ipv4Fields f = udp_ip(kH2Addr, ipv4(10, 99, 0, static_cast<uint8_t>(i + 1)));
        in.push_back({"back out of the wan", ipv4_frame(kWanMac, kH2Mac, f, udp_segment(f.src, f.dst, 5, 6, pattern(20)))});
        const Ipv4Fields g = udp_ip(kH2Addr, ipv4(10, 80, 1, static_cast<uint8_t>(i + 1)));
        in.push_back({"to the lan gateway", ipv4_frame(kWanMac, kH2Mac, g, udp_segment(g.src, g.dst, 5, 6, pattern(20))),
                      true});
    }
    check_bursts(in, kWanPort);
    expect_same_outcome();
}

// Nothing received on an MSS-clamping interface takes the fast path: the clamp must see SYNs.
TEST_P(FastPath, ClampingIngressIsAllScalar) {
    std::vector<Input> in;
    for (int i = 0; i < 5; ++i) {
        const Ipv4Fields f = udp_ip(ipv4(10, 4, 0, 9), ipv4(10, 99, 5, static_cast<uint8_t>(i)));
        in.push_back({"from the clamping side", ipv4_frame(kClampMac, kClampGwMac, f, udp_segment(f.src, f.dst, 5, 6, pattern(20)))});
    }
    check_bursts(in, kClampPort);
    expect_same_outcome();
    EXPECT_EQ(vec_->counted(dprouter::Event::forwarded), 5u);
}

// The benchmark's shape: whole bursts of plain packets to one gateway, which leave as one piece.
TEST_P(FastPath, WholeBurstsToOnePort) {
    std::vector<Input> in;
    for (int i = 0; i < 96; ++i)
        in.push_back({"plain", from_h1(ipv4(10, 99, 8, static_cast<uint8_t>(i)), static_cast<uint8_t>(2 + i)), true});
    check_bursts(in, kLanPort);
    expect_same_outcome();
    EXPECT_EQ(vec_->counted(dprouter::Event::forwarded), 96u);
}

// A TX batch with room for two more: the rest of the fast packets are refused as tx_full, in
// order, as the stages refuse them.
TEST_P(FastPath, FullTxBatchRefusesInOrder) {
    constexpr uint16_t kPrefill = dprouter::TxBatch::kCapacity - 2;
    for (RouterHarness* h : {vec_.get(), ref_.get()}) {
        for (uint16_t i = 0; i < kPrefill; ++i) h->ctx().out.pkts[kWanPort][i] = make_mbuf(h->pool(), from_h1(kH2Addr));
        h->ctx().out.count[kWanPort] = kPrefill;
    }
    std::vector<Input> in;
    for (int i = 0; i < 5; ++i)
        in.push_back({"plain", from_h1(ipv4(10, 99, 6, static_cast<uint8_t>(i + 1))), true});
    check_bursts(in, kLanPort);
    expect_same_outcome();
    EXPECT_EQ(vec_->dropped(dprouter::Drop::tx_full), 3u);
}

// Longer arrays than one vector (the unit tests' receive_burst may pass any count) are cut into
// pieces of 32 in order.
TEST_P(FastPath, LongArrayInPiecesOfThirtyTwo) {
    std::vector<Input> in;
    for (int i = 0; i < 70; ++i)
        in.push_back({"plain", i % 7 == 3 ? from_h1(ipv4(10, 99, 7, static_cast<uint8_t>(i)), 1)
                                          : from_h1(ipv4(10, 99, 7, static_cast<uint8_t>(i)))});
    run_both(in, kLanPort);
    expect_same_outcome();
    EXPECT_EQ(vec_->counted(dprouter::Event::forwarded), 60u);
}

INSTANTIATE_TEST_SUITE_P(DefaultRoute, FastPath,
                         ::testing::Values(FastPathParam{false, V4Classify::scalar}, FastPathParam{true, V4Classify::scalar},
                                           FastPathParam{false, V4Classify::avx2}, FastPathParam{true, V4Classify::avx2},
                                           FastPathParam{false, V4Classify::avx512}, FastPathParam{true, V4Classify::avx512}),
                         [](const ::testing::TestParamInfo<FastPathParam>& p) {
                             return std::string(p.param.default_route ? "WithDefault" : "NoDefault") +
                                    (p.param.classify == V4Classify::avx512 ? "Avx512"
                                     : p.param.classify == V4Classify::avx2 ? "Avx2"
                                                                            : "Scalar");
                         });

// The TTL word the classify phase prepares is byte for byte what the stages' ipv4_decrement_ttl
// writes, for every checksum value and a few TTLs.
TEST(FastPathTtlWord, SameBytesAsTheStages) {
    for (const uint8_t ttl : {2, 3, 64, 128, 255}) {
        for (uint32_t hc = 0; hc <= 0xffff; ++hc) {
            rte_ipv4_hdr ip{};
            ip.time_to_live = ttl;
            ip.next_proto_id = kProtoUdp;
            ip.hdr_checksum = static_cast<uint16_t>(hc);
            uint32_t before;
            std::memcpy(&before, &ip.time_to_live, sizeof before);
            dprouter::ipv4_decrement_ttl(&ip);
            uint32_t after;
            std::memcpy(&after, &ip.time_to_live, sizeof after);
            ASSERT_EQ(dprouter::fast::v4_ttl_word_decremented(before), after) << "TTL " << int{ttl} << " checksum " << hc;
        }
    }
}

// The two phase-1 variants agree on every field the later phases read, over plain frames with
// random damage in the headers, random offload flags and segment layouts (and every burst length).
class ClassifyVariants : public RouterTest {
protected:
    Config make_config() override { return mixed_config(true); }
    using Classify = void (*)(const dprouter::Tables&, rte_mbuf* const*, dprouter::fast::Burst&);
    void agrees_with_scalar(Classify variant);
};

TEST_F(ClassifyVariants, AvxAndScalarAgree) {
    if (!classify_available(V4Classify::avx2)) GTEST_SKIP() << "no AVX2 here";
    agrees_with_scalar(dprouter::fast::v4_classify_avx2);
}

TEST_F(ClassifyVariants, Avx512AndScalarAgree) {
    if (!classify_available(V4Classify::avx512)) GTEST_SKIP() << "no AVX-512 here (or the bitwidth is below 512)";
    agrees_with_scalar(dprouter::fast::v4_classify_avx512);
}

void ClassifyVariants::agrees_with_scalar(Classify variant) {
    add_lab_neighbors();
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    auto next = [&seed] {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        return seed;
    };
    constexpr uint64_t kFlags[] = {0, RTE_MBUF_F_RX_IP_CKSUM_GOOD, RTE_MBUF_F_RX_IP_CKSUM_BAD, RTE_MBUF_F_RX_IP_CKSUM_NONE};
    const std::vector<uint32_t> dsts = {ipv4(10, 99, 1, 1), ipv4(10, 77, 0, 5), kH2Addr,     ipv4(127, 0, 0, 1),
                                        ipv4(224, 0, 0, 5), ipv4(0, 1, 2, 3),  ipv4(223, 255, 0, 1), kLanAddr};
    unsigned plain = 0, other = 0, expired = 0;
    for (int round = 0; round < 400; ++round) {
        const unsigned n = 1 + static_cast<unsigned>(next() % dprouter::fast::Burst::kMax);
        std::vector<rte_mbuf*> pkts;
        for (unsigned i = 0; i < n; ++i) {
            const uint64_t r = next();
            Ipv4Fields f = udp_ip(r & 1 ? kH1Addr : ipv4(static_cast<uint8_t>(r >> 8), 2, 3, 4), dsts[(r >> 16) % dsts.size()],
                                  static_cast<uint8_t>(r >> 24) % 4);
            if ((r >> 30) & 1) f.ttl = 64;
            Bytes frame = ipv4_frame(kLanMac, kH1Mac, f, udp_segment(f.src, f.dst, 1, 2, pattern(r >> 40 & 31)));
            if ((r >> 32) % 3 == 0) frame[(r >> 34) % 34] ^= static_cast<uint8_t>(1u << ((r >> 50) & 7));  // damage
            if ((r >> 36) % 8 == 0) frame.resize(frame.size() - (r >> 53) % 20);                          // truncate
            const size_t seg = (r >> 39) % 6 == 0 ? 20 + (r >> 56) % 30 : 0;
            rte_mbuf* m = make_mbuf(h().pool(), frame, seg);
            ASSERT_NE(m, nullptr);
            m->ol_flags = kFlags[(r >> 60) & 3];
            pkts.push_back(m);
        }
        dprouter::fast::Burst a, b;
        a.n = b.n = static_cast<uint16_t>(n);
        a.rx_port = b.rx_port = kLanPort;
        dprouter::fast::v4_classify_scalar(h().tables(), pkts.data(), a);
        variant(h().tables(), pkts.data(), b);
        EXPECT_EQ(a.v4_cand, b.v4_cand) << "round " << round;
        EXPECT_EQ(a.v4_expired, b.v4_expired) << "round " << round;
        EXPECT_EQ(a.v4_count, b.v4_count);
        plain += a.v4_count;
        other += n - a.v4_count;
        expired += static_cast<unsigned>(__builtin_popcount(a.v4_expired));
        for (unsigned i = 0; i < n; ++i) {
            EXPECT_EQ(a.data[i], b.data[i]);
            if (!((a.v4_cand >> i) & 1)) continue;
            EXPECT_EQ(a.v4_dst[i], b.v4_dst[i]) << "round " << round << " packet " << i;
            EXPECT_EQ(a.v4_len[i], b.v4_len[i]) << "round " << round << " packet " << i;
            if (!((a.v4_expired >> i) & 1)) {
                EXPECT_EQ(a.v4_ttl_word[i], b.v4_ttl_word[i]) << "round " << round;
            }
        }
        rte_pktmbuf_free_bulk(pkts.data(), n);
        if (HasFailure()) return;
    }
    // Both outcomes occur often, so the agreement is not that of two functions refusing everything.
    EXPECT_GT(plain, 1000u);
    EXPECT_GT(other, 1000u);
    EXPECT_GT(expired, 300u);
}

}  // namespace
}  // namespace dprtest
