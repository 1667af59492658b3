// The importer's model of the kernel tables: crafted messages in, RouteSink calls out (a recording
// fake), for single-path, ECMP, nexthop objects and groups, replace, delete, metrics, reject routes
// and links.
#include <gtest/gtest.h>

#include "control/kernel_route_table.hpp"
#include "control/kernel_routes_apply.hpp"
#include "netlink_builder.hpp"
#include "../tools/recording_route_sink.hpp"

namespace dprouter {
namespace {

using test::NlMsg;

// Mirror interfaces lan (index 0, kernel ifindex 2) and wan (index 1, ifindex 3); eth9 (ifindex 4)
// is some other kernel interface.
class KernelRouteTableTest : public ::testing::Test {
protected:
    KernelRouteTable table{{"lan", "wan"}};
    RecordingRouteSink sink;

    void SetUp() override {
        feed(NlMsg(RTM_NEWLINK).link(2, "lan"));
        feed(NlMsg(RTM_NEWLINK).link(3, "wan"));
        feed(NlMsg(RTM_NEWLINK).link(4, "eth9"));
        sink.calls.clear();
    }
    KernelRouteTable::Effect feed(NlMsg&& m) { return table.apply(m.decode(), &sink); }
    KernelRouteTable::Effect feed(NlMsg& m) { return table.apply(m.decode(), &sink); }
    std::vector<std::string> lines() const { return sink.lines(); }
    using V = std::vector<std::string>;
};

TEST_F(KernelRouteTableTest, SinglePathBothFamiliesReplaceDelete) {
    feed(NlMsg(RTM_NEWROUTE).route(AF_INET, "10.9.0.0", 24, RTPROT_STATIC).addr(RTA_GATEWAY, AF_INET, "10.2.0.2").u32(RTA_OIF, 3));
    feed(NlMsg(RTM_NEWROUTE).route(AF_INET6, "2001:db8:99::", 64, 196).addr(RTA_GATEWAY, AF_INET6, "fe80::2").u32(RTA_OIF, 3).u32(RTA_PRIORITY, 20));
    feed(NlMsg(RTM_NEWROUTE).route(AF_INET, "10.8.0.0", 16, RTPROT_BOOT).u32(RTA_OIF, 2));
    EXPECT_EQ(lines(), (V{"kernel 10.8.0.0/16 forward dev 0 proto 3 metric 0",
                          "kernel 10.9.0.0/24 forward via 10.2.0.2 dev 1 proto 4 metric 0",
                          "kernel 2001:db8:99::/64 forward via fe80::2 dev 1 proto 196 metric 20"}));
    // Replace: same key, another gateway.
    feed(NlMsg(RTM_NEWROUTE, NLM_F_REPLACE).route(AF_INET, "10.9.0.0", 24, RTPROT_STATIC).addr(RTA_GATEWAY, AF_INET, "10.1.0.7").u32(RTA_OIF, 2));
    EXPECT_EQ(sink.calls.back(), "upsert kernel 10.9.0.0/24 forward via 10.1.0.7 dev 0 proto 4 metric 0");
    // The same message again changes nothing.
    const auto n = sink.calls.size();
    feed(NlMsg(RTM_NEWROUTE, NLM_F_REPLACE).route(AF_INET, "10.9.0.0", 24, RTPROT_STATIC).addr(RTA_GATEWAY, AF_INET, "10.1.0.7").u32(RTA_OIF, 2));
    EXPECT_EQ(sink.calls.size(), n);
    feed(NlMsg(RTM_DELROUTE).route(AF_INET, "10.9.0.0", 24, RTPROT_STATIC).addr(RTA_GATEWAY, AF_INET, "10.1.0.7").u32(RTA_OIF, 2));
    feed(NlMsg(RTM_DELROUTE).route(AF_INET6, "2001:db8:99::", 64, 196).addr(RTA_GATEWAY, AF_INET6, "fe80::2").u32(RTA_OIF, 3).u32(RTA_PRIORITY, 20));
    EXPECT_EQ(lines(), (V{"kernel 10.8.0.0/16 forward dev 0 proto 3 metric 0"}));
    EXPECT_EQ(table.imported().size(), 1u);
}

TEST_F(KernelRouteTableTest, OnlyMirrorInterfacesAndMirrorPathsOfMultipath) {
    feed(NlMsg(RTM_NEWROUTE).route(AF_INET, "10.9.0.0", 24).addr(RTA_GATEWAY, AF_INET, "192.168.0.1").u32(RTA_OIF, 4));
    EXPECT_TRUE(sink.calls.empty());
    feed(NlMsg(RTM_NEWROUTE).route(AF_INET, "10.50.0.0", 16, RTPROT_BGP)
             .multipath(AF_INET, {{"10.2.0.2", 3}, {"192.168.0.1", 4}, {"10.2.0.3", 3}, {"10.2.0.2", 3}}));
    EXPECT_EQ(lines(), (V{"kernel 10.50.0.0/16 forward via 10.2.0.2 dev 1 via 10.2.0.3 dev 1 proto 186 metric 0"}));
    // Dead paths are left out; a route with none left goes.
    feed(NlMsg(RTM_NEWROUTE).route(AF_INET, "10.50.0.0", 16, RTPROT_BGP).multipath(AF_INET, {{"10.2.0.2", 3}}, RTNH_F_DEAD));
    EXPECT_TRUE(lines().empty());
}

TEST_F(KernelRouteTableTest, LowestMetricThroughAMirrorWins) {
    feed(NlMsg(RTM_NEWROUTE).route(AF_INET, "0.0.0.0", 0).addr(RTA_GATEWAY, AF_INET, "192.168.0.1").u32(RTA_OIF, 4).u32(RTA_PRIORITY, 10));
    feed(NlMsg(RTM_NEWROUTE).route(AF_INET, "0.0.0.0", 0).addr(RTA_GATEWAY, AF_INET, "10.2.0.2").u32(RTA_OIF, 3).u32(RTA_PRIORITY, 20));
    EXPECT_EQ(lines(), (V{"kernel 0.0.0.0/0 forward via 10.2.0.2 dev 1 proto 4 metric 20"}));
    feed(NlMsg(RTM_NEWROUTE).route(AF_INET, "0.0.0.0", 0).addr(RTA_GATEWAY, AF_INET, "10.1.0.2").u32(RTA_OIF, 2).u32(RTA_PRIORITY, 5));
    EXPECT_EQ(lines(), (V{"kernel 0.0.0.0/0 forward via 10.1.0.2 dev 0 proto 4 metric 5"}));
    feed(NlMsg(RTM_DELROUTE).route(AF_INET, "0.0.0.0", 0).addr(RTA_GATEWAY, AF_INET, "10.1.0.2").u32(RTA_OIF, 2).u32(RTA_PRIORITY, 5));
    EXPECT_EQ(lines(), (V{"kernel 0.0.0.0/0 forward via 10.2.0.2 dev 1 proto 4 metric 20"}));
    feed(NlMsg(RTM_DELROUTE).route(AF_INET, "0.0.0.0", 0).addr(RTA_GATEWAY, AF_INET, "10.2.0.2").u32(RTA_OIF, 3).u32(RTA_PRIORITY, 20));
    EXPECT_TRUE(lines().empty());
}

TEST_F(KernelRouteTableTest, RejectRoutes) {
    feed(NlMsg(RTM_NEWROUTE).route(AF_INET, "10.66.0.0", 16, RTPROT_STATIC, RTN_BLACKHOLE));
    feed(NlMsg(RTM_NEWROUTE).route(AF_INET, "10.67.0.0", 16, RTPROT_STATIC, RTN_UNREACHABLE));
    feed(NlMsg(RTM_NEWROUTE).route(AF_INET6, "2001:db8:68::", 48, RTPROT_STATIC, RTN_PROHIBIT).u32(RTA_OIF, 1));
    EXPECT_EQ(lines(), (V{"kernel 10.66.0.0/16 blackhole proto 4 metric 0", "kernel 10.67.0.0/16 unreachable proto 4 metric 0",
                          "kernel 2001:db8:68::/48 prohibit proto 4 metric 0"}));
}

TEST_F(KernelRouteTableTest, NexthopObjectsAndGroups) {
    // A route may name an object the table has not seen yet (dump order, a lost message): nothing
    // is imported until it is there.
    feed(NlMsg(RTM_NEWROUTE).route(AF_INET, "10.60.0.0", 24, 196).u32(RTA_NH_ID, 10).addr(RTA_GATEWAY, AF_INET, "10.2.0.9").u32(RTA_OIF, 3));
    EXPECT_TRUE(lines().empty()) << "the inline gateway (nexthop_compat_mode) is not what counts";
    feed(NlMsg(RTM_NEWNEXTHOP).nexthop(AF_INET, 10).addr(NHA_GATEWAY, AF_INET, "10.2.0.2").u32(NHA_OIF, 3));
    EXPECT_EQ(lines(), (V{"kernel 10.60.0.0/24 forward via 10.2.0.2 dev 1 proto 196 metric 0"}));
    // The object changes: every route through it follows.
    feed(NlMsg(RTM_NEWROUTE).route(AF_INET, "10.61.0.0", 24, 196).u32(RTA_NH_ID, 10));
    feed(NlMsg(RTM_NEWNEXTHOP, NLM_F_REPLACE).nexthop(AF_INET, 10).addr(NHA_GATEWAY, AF_INET, "10.2.0.3").u32(NHA_OIF, 3));
    EXPECT_EQ(lines(), (V{"kernel 10.60.0.0/24 forward via 10.2.0.3 dev 1 proto 196 metric 0",
                          "kernel 10.61.0.0/24 forward via 10.2.0.3 dev 1 proto 196 metric 0"}));
    // A group of two: ECMP; a member that changes re-resolves the group's routes.
    feed(NlMsg(RTM_NEWNEXTHOP).nexthop(AF_INET, 11).addr(NHA_GATEWAY, AF_INET, "10.1.0.2").u32(NHA_OIF, 2));
    feed(NlMsg(RTM_NEWNEXTHOP).nexthop(AF_UNSPEC, 20).group({{10, 0}, {11, 0}}));
    feed(NlMsg(RTM_NEWROUTE).route(AF_INET, "10.62.0.0", 24, RTPROT_BGP).u32(RTA_NH_ID, 20));
    EXPECT_EQ(lines().back(), "kernel 10.62.0.0/24 forward via 10.1.0.2 dev 0 via 10.2.0.3 dev 1 proto 186 metric 0");
    feed(NlMsg(RTM_NEWNEXTHOP, NLM_F_REPLACE).nexthop(AF_INET, 11).addr(NHA_GATEWAY, AF_INET, "10.1.0.3").u32(NHA_OIF, 2));
    EXPECT_EQ(lines().back(), "kernel 10.62.0.0/24 forward via 10.1.0.3 dev 0 via 10.2.0.3 dev 1 proto 186 metric 0");
    // Deleting a member takes it out of the group; deleting the last member takes the group and
    // its routes (the kernel does so without a route message).
    feed(NlMsg(RTM_DELNEXTHOP).nexthop(AF_INET, 11));
    EXPECT_EQ(lines().back(), "kernel 10.62.0.0/24 forward via 10.2.0.3 dev 1 proto 186 metric 0");
    feed(NlMsg(RTM_DELNEXTHOP).nexthop(AF_INET, 10));
    EXPECT_TRUE(lines().empty());
    EXPECT_EQ(table.routes_held(), 0u);
    EXPECT_EQ(table.nexthops_held(), 0u);
    // A blackhole object makes a blackhole route; an IPv6 link-local object an IPv6 route.
    feed(NlMsg(RTM_NEWNEXTHOP).nexthop(AF_UNSPEC, 30).flag(NHA_BLACKHOLE));
    feed(NlMsg(RTM_NEWROUTE).route(AF_INET, "10.63.0.0", 24, 196).u32(RTA_NH_ID, 30));
    feed(NlMsg(RTM_NEWNEXTHOP).nexthop(AF_INET6, 31).addr(NHA_GATEWAY, AF_INET6, "fe80::2").u32(NHA_OIF, 3));
    feed(NlMsg(RTM_NEWROUTE).route(AF_INET6, "2001:db8:99::", 64, RTPROT_BGP).u32(RTA_NH_ID, 31).u32(RTA_PRIORITY, 20));
    EXPECT_EQ(lines(), (V{"kernel 10.63.0.0/24 blackhole proto 196 metric 0",
                          "kernel 2001:db8:99::/64 forward via fe80::2 dev 1 proto 186 metric 20"}));
}

TEST_F(KernelRouteTableTest, Ipv6SiblingDeleteRemovesOnlyThatPath) {
    feed(NlMsg(RTM_NEWROUTE).route(AF_INET6, "2001:db8:50::", 48).multipath(AF_INET6, {{"fe80::2", 3}, {"fe80::3", 3}}));
    EXPECT_EQ(lines(), (V{"kernel 2001:db8:50::/48 forward via fe80::2 dev 1 via fe80::3 dev 1 proto 4 metric 0"}));
    feed(NlMsg(RTM_DELROUTE).route(AF_INET6, "2001:db8:50::", 48).addr(RTA_GATEWAY, AF_INET6, "fe80::2").u32(RTA_OIF, 3));
    EXPECT_EQ(lines(), (V{"kernel 2001:db8:50::/48 forward via fe80::3 dev 1 proto 4 metric 0"}));
    feed(NlMsg(RTM_DELROUTE).route(AF_INET6, "2001:db8:50::", 48).addr(RTA_GATEWAY, AF_INET6, "fe80::3").u32(RTA_OIF, 3));
    EXPECT_TRUE(lines().empty());
}

TEST_F(KernelRouteTableTest, LinksRenameDownAndDelete) {
    feed(NlMsg(RTM_NEWROUTE).route(AF_INET, "10.9.0.0", 24).addr(RTA_GATEWAY, AF_INET, "192.168.0.1").u32(RTA_OIF, 4));
    EXPECT_TRUE(lines().empty());
    // eth9 goes down (the kernel flushes its IPv4 routes silently): resynchronise.
    EXPECT_EQ(feed(NlMsg(RTM_NEWLINK).link(4, "eth9", 0)), KernelRouteTable::Effect::resync);
    // Renamed to a mirror's name: the whole set is handed over again, now with the route.
    EXPECT_EQ(feed(NlMsg(RTM_NEWLINK).link(4, "lan", 0)), KernelRouteTable::Effect::recompute_all);
    EXPECT_EQ(table.imported().size(), 1u);
    EXPECT_EQ(feed(NlMsg(RTM_NEWLINK).link(4, "lan", IFF_UP)), KernelRouteTable::Effect::none);
    EXPECT_EQ(feed(NlMsg(RTM_DELLINK).link(4, "lan", 0)), KernelRouteTable::Effect::resync);
    EXPECT_TRUE(table.imported().empty());
}

TEST_F(KernelRouteTableTest, SinkRefusalRemovesTheOldVersion) {
    feed(NlMsg(RTM_NEWROUTE).route(AF_INET, "10.9.0.0", 24).addr(RTA_GATEWAY, AF_INET, "10.2.0.2").u32(RTA_OIF, 3));
    sink.refuse_containing = "10.2.0.99";
    feed(NlMsg(RTM_NEWROUTE, NLM_F_REPLACE).route(AF_INET, "10.9.0.0", 24).addr(RTA_GATEWAY, AF_INET, "10.2.0.99").u32(RTA_OIF, 3));
    EXPECT_TRUE(lines().empty());
    EXPECT_EQ(table.sink_refusals(), 1u);
    EXPECT_EQ(table.last_refusal(), "refused by the test");
}

// IPv4 keeps several entries per (prefix, metric) in order; the first one forwards. The flags of
// the kernel's notification say where a new one went (fib_table_insert).
TEST_F(KernelRouteTableTest, Ipv4AppendedEntryTakesOverWhenTheFirstGoes) {
    // (NlMsg points into its own buffer: built and fed in one expression, never copied.)
    auto route = [&](uint16_t type, uint16_t flags, const char* gw) {
        return feed(NlMsg(type, flags).route(AF_INET, "10.9.0.0", 24).addr(RTA_GATEWAY, AF_INET, gw).u32(RTA_OIF, 3));
    };
    route(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, "10.2.0.2");
    route(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_APPEND, "10.2.0.3");
    EXPECT_EQ(lines(), (V{"kernel 10.9.0.0/24 forward via 10.2.0.2 dev 1 proto 4 metric 0"})) << "the first entry is the one used";
    EXPECT_EQ(table.routes_behind(), 1u);
    // The first goes: the appended one forwards, without a resync.
    EXPECT_EQ(route(RTM_DELROUTE, 0, "10.2.0.2"), KernelRouteTable::Effect::none);
    EXPECT_EQ(lines(), (V{"kernel 10.9.0.0/24 forward via 10.2.0.3 dev 1 proto 4 metric 0"}));
    EXPECT_EQ(table.routes_behind(), 0u);
    // Append again, then delete the appended one: the FIB is not touched.
    route(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_APPEND, "10.2.0.4");
    const auto calls = sink.calls.size();
    EXPECT_EQ(route(RTM_DELROUTE, 0, "10.2.0.4"), KernelRouteTable::Effect::none);
    EXPECT_EQ(sink.calls.size(), calls);
    EXPECT_EQ(lines(), (V{"kernel 10.9.0.0/24 forward via 10.2.0.3 dev 1 proto 4 metric 0"}));
    // `ip route prepend` (NLM_F_CREATE alone) goes first and forwards; deleting it uncovers the old one.
    route(RTM_NEWROUTE, NLM_F_CREATE, "10.2.0.5");
    EXPECT_EQ(lines(), (V{"kernel 10.9.0.0/24 forward via 10.2.0.5 dev 1 proto 4 metric 0"}));
    route(RTM_DELROUTE, 0, "10.2.0.5");
    EXPECT_EQ(lines(), (V{"kernel 10.9.0.0/24 forward via 10.2.0.3 dev 1 proto 4 metric 0"}));
    // The last entry goes: so does the route.
    route(RTM_DELROUTE, 0, "10.2.0.3");
    EXPECT_TRUE(lines().empty());
    EXPECT_TRUE(table.imported().empty());
}

TEST_F(KernelRouteTableTest, Ipv4EntriesOfOneKeyFromADumpKeepTheirOrder) {
    KernelRouteTable t{{"lan", "wan"}};
    t.apply(NlMsg(RTM_NEWLINK).link(3, "wan").decode(), nullptr);
    for (const char* gw : {"10.2.0.7", "10.2.0.8"})
        t.apply(NlMsg(RTM_NEWROUTE, NLM_F_MULTI).route(AF_INET, "10.9.0.0", 24).addr(RTA_GATEWAY, AF_INET, gw).u32(RTA_OIF, 3).decode(),
                nullptr);
    ASSERT_EQ(t.imported().size(), 1u);
    EXPECT_EQ(route_line(t.imported()[0]), "kernel 10.9.0.0/24 forward via 10.2.0.7 dev 1 proto 4 metric 0");
    // The append's notification, held during the dump and replayed after it: already there.
    t.apply(NlMsg(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_APPEND).route(AF_INET, "10.9.0.0", 24).addr(RTA_GATEWAY, AF_INET, "10.2.0.8").u32(RTA_OIF, 3).decode(),
            nullptr);
    EXPECT_EQ(t.routes_behind(), 1u);
    t.apply(NlMsg(RTM_DELROUTE).route(AF_INET, "10.9.0.0", 24).addr(RTA_GATEWAY, AF_INET, "10.2.0.7").u32(RTA_OIF, 3).decode(), nullptr);
    ASSERT_EQ(t.imported().size(), 1u);
    EXPECT_EQ(route_line(t.imported()[0]), "kernel 10.9.0.0/24 forward via 10.2.0.8 dev 1 proto 4 metric 0");
}

// A delete that matches no entry of the key means the copy is wrong: resynchronise.
TEST_F(KernelRouteTableTest, Ipv4DeleteOfAnUnknownEntryAsksForResync) {
    feed(NlMsg(RTM_NEWROUTE, NLM_F_CREATE).route(AF_INET, "10.9.0.0", 24).addr(RTA_GATEWAY, AF_INET, "10.2.0.2").u32(RTA_OIF, 3));
    feed(NlMsg(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_APPEND).route(AF_INET, "10.9.0.0", 24).addr(RTA_GATEWAY, AF_INET, "10.2.0.3").u32(RTA_OIF, 3));
    EXPECT_EQ(feed(NlMsg(RTM_DELROUTE).route(AF_INET, "10.9.0.0", 24).addr(RTA_GATEWAY, AF_INET, "10.2.0.9").u32(RTA_OIF, 3)),
              KernelRouteTable::Effect::resync);
}

// Deleting a nexthop object deletes every entry that uses it, those behind the first included.
TEST_F(KernelRouteTableTest, Ipv4EntryBehindThroughADeletedObjectGoesWithIt) {
    feed(NlMsg(RTM_NEWNEXTHOP).nexthop(AF_INET, 41).addr(NHA_GATEWAY, AF_INET, "10.2.0.41").u32(NHA_OIF, 3));
    feed(NlMsg(RTM_NEWROUTE, NLM_F_CREATE).route(AF_INET, "10.9.0.0", 24).addr(RTA_GATEWAY, AF_INET, "10.2.0.2").u32(RTA_OIF, 3));
    feed(NlMsg(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_APPEND).route(AF_INET, "10.9.0.0", 24).u32(RTA_NH_ID, 41));
    feed(NlMsg(RTM_DELNEXTHOP).nexthop(AF_INET, 41));
    EXPECT_EQ(table.routes_behind(), 0u);
    feed(NlMsg(RTM_DELROUTE).route(AF_INET, "10.9.0.0", 24).addr(RTA_GATEWAY, AF_INET, "10.2.0.2").u32(RTA_OIF, 3));
    EXPECT_TRUE(lines().empty());
}

// The fallback when the sink refuses a whole set: the routes it takes are installed, the refused
// ones counted and left out (their older version removed), the unchanged ones not touched.
TEST(KernelRoutesApply, InstallsWhatTheSinkTakesAndCountsTheRest) {
    auto r4 = [](const char* p, Ipv4 gw) {
        Route r;
        r.origin = RouteOrigin::kernel;
        r.prefix4 = *parse_prefix(p);
        r.via.push_back(RouteVia{gw, {}, 1});
        return r;
    };
    RecordingRouteSink sink;
    sink.upsert(r4("10.1.0.0/24", 0x0a020002));  // unchanged
    sink.upsert(r4("10.2.0.0/24", 0x0a020002));  // changes to a gateway the sink refuses
    sink.upsert(r4("10.3.0.0/24", 0x0a020002));  // gone from the kernel
    Route file = r4("10.4.0.0/24", 0x0a020002);
    file.origin = RouteOrigin::config;  // another origin: not touched
    sink.upsert(file);
    sink.calls.clear();
    sink.refuse_containing = "via 10.2.0.9";
    const uint64_t refused = apply_one_by_one(sink, {r4("10.1.0.0/24", 0x0a020002), r4("10.2.0.0/24", 0x0a020009),
                                                     r4("10.5.0.0/24", 0x0a020003), r4("10.6.0.0/24", 0x0a020009)});
    EXPECT_EQ(refused, 2u);
    EXPECT_EQ(sink.lines(), (std::vector<std::string>{"file 10.4.0.0/24 forward via 10.2.0.2 dev 1 proto 0 metric 0",
                                                      "kernel 10.1.0.0/24 forward via 10.2.0.2 dev 1 proto 0 metric 0",
                                                      "kernel 10.5.0.0/24 forward via 10.2.0.3 dev 1 proto 0 metric 0"}));
    for (const std::string& c : sink.calls) EXPECT_EQ(c.find("10.1.0.0"), std::string::npos) << c;
}

TEST_F(KernelRouteTableTest, WithoutSinkStateChangesSilently) {
    KernelRouteTable t{{"lan"}};
    t.apply(NlMsg(RTM_NEWLINK).link(2, "lan").decode(), nullptr);
    t.apply(NlMsg(RTM_NEWROUTE).route(AF_INET, "10.9.0.0", 24).u32(RTA_OIF, 2).decode(), nullptr);
    ASSERT_EQ(t.imported().size(), 1u);
    EXPECT_EQ(route_line(t.imported()[0]), "kernel 10.9.0.0/24 forward dev 0 proto 4 metric 0");
}

}  // namespace
}  // namespace dprouter

// The importer's sockets against the machine's own kernel (reading routes needs no privilege): the
// first dump runs through links, nexthops and both route families, and with no mirror interface
// of that name nothing is imported, in one replace_origin and one commit.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <thread>

#include <sched.h>
#include <unistd.h>

#include "control/kernel_routes.hpp"

namespace dprouter {
namespace {

TEST(KernelRouteImporter, FirstDumpCompletes) {
    RecordingRouteSink sink;
    KernelRouteImporter imp({"dpr-no-such0"}, sink);
    EXPECT_GE(imp.event_fd(), 0);
    EXPECT_GE(imp.dump_fd(), 0);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!imp.synchronised() && std::chrono::steady_clock::now() < deadline) {
        if (!imp.poll()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_TRUE(imp.synchronised());
    EXPECT_EQ(imp.stats().resyncs, 1u);
    EXPECT_EQ(imp.stats().refused, 0u);
    EXPECT_TRUE(sink.held.empty());
    ASSERT_FALSE(sink.calls.empty());
    EXPECT_EQ(sink.calls.front(), "replace 0");
    EXPECT_EQ(sink.commits, 1u);
}

// A burst of kernel routes waiting on the notification socket is taken by one poll and published by
// one commit (kernel_routes.hpp kMaxReadsPerPoll; before: a commit every 64). Root only: the test
// makes a network namespace of its own on a thread of its own (unshare affects the calling thread;
// `ip`, started from it, runs there too), with a veth named like the mirror interface. The time
// bound is lifted so that a slow machine cannot split the burst.
TEST(KernelRouteImporter, BurstIsTakenByOnePollAndOneCommit) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (a network namespace of its own)";
    constexpr int kRoutes = 2000;
    const std::string batch = "/tmp/dpr-unit-import-burst-" + std::to_string(getpid()) + ".batch";
    {
        std::ofstream f(batch);
        for (int i = 0; i < kRoutes; ++i)
            f << "route add 10." << 100 + i / 256 << "." << i % 256 << ".0/24 via 10.9.0.2 dev lan proto static\n";
    }
    std::thread t([&] {
        ASSERT_EQ(unshare(CLONE_NEWNET), 0);
        ASSERT_EQ(std::system("ip link add lan type veth peer name lan-p && ip link set lan up && "
                              "ip link set lan-p up && ip addr add 10.9.0.1/24 dev lan"), 0);
        RecordingRouteSink sink;
        KernelRouteImporter imp({"lan"}, sink, KernelRouteImporter::kEventBufferBytes, 10'000'000);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (!imp.synchronised() && std::chrono::steady_clock::now() < deadline)
            if (!imp.poll()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        ASSERT_TRUE(imp.synchronised());
        const unsigned commits_before = sink.commits;
        // The kernel queues each notification before `ip`'s request returns: all are waiting now.
        ASSERT_EQ(std::system(("ip -batch " + batch).c_str()), 0);
        EXPECT_TRUE(imp.poll());
        EXPECT_EQ(sink.held.size(), static_cast<size_t>(kRoutes));
        EXPECT_EQ(sink.commits, commits_before + 1);
        EXPECT_EQ(imp.stats().overruns, 0u);
    });  // the namespace and its veth go with the thread
    t.join();
    std::remove(batch.c_str());
}

}  // namespace
}  // namespace dprouter
