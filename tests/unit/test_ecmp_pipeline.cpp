// ECMP through the pipeline, with the live FIB the router uses: a route via two gateways sends
// different flows out via both (bytes compared), and every packet of a flow via the same one.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <vector>

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

}  // namespace
}  // namespace dprtest
