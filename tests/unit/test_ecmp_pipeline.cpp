// ECMP through the pipeline, with the live FIB the router uses: a route via two gateways sends
// different flows out via both (bytes compared), and every packet of a flow via the same one.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <set>
#include <vector>

#include "ipv6_fixture.hpp"
#include "packet_builder.hpp"

namespace dprtest {
namespace {

using namespace lab;

constexpr uint32_t kEcmpNet = ipv4(10, 98, 0, 0);  // /16 via [gateway, H2]

class EcmpPipeline : public RouterTest {
protected:
    void SetUp() override {
        RouterTest::SetUp();
        dprouter::Config cfg = lab_config();
        dprouter::RouteConfig r;
        r.prefix = {kEcmpNet, 16};
        r.has_via = true;
        r.via = kGatewayAddr;
        r.more_via = {kH2Addr};
        cfg.routes.push_back(r);
        HarnessOptions opt;
        opt.live_fib = true;
        rebuild(cfg, opt);
        add_lab_neighbors();
    }
};

Bytes flow_frame(uint16_t sport, uint8_t ttl) {
    Ipv4Fields f;
    f.src = kH1Addr;
    f.dst = kEcmpNet | 0x0105;
    f.ttl = ttl;
    f.protocol = kProtoUdp;
    return ipv4_frame(kLanMac, kH1Mac, f, udp_segment(f.src, f.dst, sport, 7777, pattern(40, 0x11)));
}

// What the router must send for flow `sport` if it picked the gateway with MAC `mac`.
Bytes expected_out(uint16_t sport, const Mac& mac) {
    Ipv4Fields f;
    f.src = kH1Addr;
    f.dst = kEcmpNet | 0x0105;
    f.ttl = 63;
    f.protocol = kProtoUdp;
    return ipv4_frame(mac, kWanMac, f, udp_segment(f.src, f.dst, sport, 7777, pattern(40, 0x11)));
}

TEST_F(EcmpPipeline, FlowsSpreadOverBothGatewaysAndEachKeepsItsOwn) {
    std::map<uint16_t, Bytes> first;  // flow -> the frame it left as
    std::set<Mac> used;
    for (int round = 0; round < 2; ++round) {
        for (uint16_t sport = 1000; sport < 1032; ++sport) {
            h().receive(kLanPort, flow_frame(sport, 64));
            auto out = h().take_emitted();
            ASSERT_EQ(out.size(), 1u) << h().drops_summary();
            EXPECT_EQ(out[0].port, kWanPort);
            const Bytes& b = out[0].bytes;
            Mac dst{};
            std::copy(b.begin(), b.begin() + 6, dst.begin());
            ASSERT_TRUE(dst == kGatewayMac || dst == kH2Mac) << hex(b);
            EXPECT_EQ(b, expected_out(sport, dst)) << "flow " << sport;
            used.insert(dst);
            if (round == 0) first[sport] = b;
            else EXPECT_EQ(b, first[sport]) << "flow " << sport << " changed its gateway";
        }
    }
    EXPECT_EQ(used.size(), 2u) << "32 flows all took one gateway";
}

// IPv6: the same with 2001:db8:97::/48 via [H2, the wan gateway], flows told apart by source port.
TEST_F(EcmpPipeline, Ipv6FlowsSpreadOverBothGateways) {
    dprouter::Config cfg = lab6_config();
    dprouter::Route6Config r;
    r.prefix = {dprouter::Ipv6{ip6("2001:db8:97::")}, 48};
    r.has_via = true;
    r.via = dprouter::Ipv6{lab6::kH2};
    r.more_via = {dprouter::Ipv6{lab6::kGateway}};
    cfg.routes6.push_back(r);
    HarnessOptions opt;
    opt.live_fib = true;
    rebuild(cfg, opt);
    // Through the ND resolver, which fills the member next hops' link-layer words.
    h().set_static_neighbors6({{lab6::kH1LinkLocal, kLanPort, to_ether(kH1Mac)},
                               {lab6::kH2, kWanPort, to_ether(kH2Mac)},
                               {lab6::kGateway, kWanPort, to_ether(kGatewayMac)}});
    const Addr6 dst = ip6("2001:db8:97::5");
    std::map<uint16_t, Bytes> first;
    std::set<Mac> used;
    for (int round = 0; round < 2; ++round) {
        for (uint16_t sport = 2000; sport < 2032; ++sport) {
            const Bytes packet = ipv6_packet(fields6(lab6::kH1, dst), udp6_segment(lab6::kH1, dst, sport, 53, pattern(24, 0x22)));
            h().receive(kLanPort, ethernet_frame(kLanMac, kH1Mac, kEtherIpv6, packet, kEthMinFrame));
            auto out = h().take_emitted();
            ASSERT_EQ(out.size(), 1u) << h().drops_summary();
            EXPECT_EQ(out[0].port, kWanPort);
            const Bytes& b = out[0].bytes;
            Mac mac{};
            std::copy(b.begin(), b.begin() + 6, mac.begin());
            ASSERT_TRUE(mac == kGatewayMac || mac == kH2Mac) << hex(b);
            EXPECT_EQ(b, forwarded6(mac, kWanMac, packet)) << "flow " << sport;
            used.insert(mac);
            if (round == 0) first[sport] = b;
            else EXPECT_EQ(b, first[sport]) << "flow " << sport << " changed its gateway";
        }
    }
    EXPECT_EQ(used.size(), 2u) << "32 flows all took one gateway";
}

// A next hop the live FIB creates later (a kernel or cli route) gets its link-layer word from what
// the resolvers already know, so traffic through it is not held for a gateway already resolved.
TEST_F(EcmpPipeline, NextHopsCreatedLaterAreFilledByTheResolvers) {
    dprouter::NextHop nh;
    nh.port = kWanPort;
    nh.gateway_be = to_be(kGatewayAddr);
    h().resolver().fill(nh);
    const dprouter::PackedNeighbor p{nh.l2.load()};
    EXPECT_EQ(p.state(), dprouter::NeighborState::reachable);
    rte_ether_addr mac;
    p.copy_mac(&mac);
    EXPECT_EQ(std::memcmp(mac.addr_bytes, kGatewayMac.data(), 6), 0);
    dprouter::NextHop unknown;
    unknown.port = kWanPort;
    unknown.gateway_be = to_be(ipv4(10, 2, 0, 77));
    unknown.l2.store(123);
    h().resolver().fill(unknown);
    EXPECT_EQ(unknown.l2.load(), 0u);  // nothing known: the worker holds and the resolver asks

    h().set_static_neighbors6({{lab6::kGateway, kWanPort, to_ether(kGatewayMac)}});
    dprouter::NextHop6 nh6;
    nh6.port = kWanPort;
    std::memcpy(nh6.gateway, lab6::kGateway.data(), 16);
    h().nd_resolver().fill(nh6);
    EXPECT_EQ(dprouter::PackedNeighbor{nh6.l2.load()}.state(), dprouter::NeighborState::reachable);
}

}  // namespace
}  // namespace dprtest
