// IPv6 in the configuration (docs/configuration.md "IPv6"): both families in `addresses`,
// `routes` and `neighbors`, the `interface:` route key, IPv6 lines in the routes_file, every
// validation error with its exact FILE:LINE:COL, and a YAML file through build_tables to lookups
// on the IPv6 FIB.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <rte_ether.h>

#include "dprouter/config.hpp"
#include "dprouter/route_lookup.hpp"
#include "dprouter/tables.hpp"

namespace dprouter {
namespace {

using Lines = std::vector<std::string>;

Lines check(const std::string& yaml, const std::string& file = "t.yaml") {
    return error_lines(parse_config_text(yaml, file).errors);
}

Ipv6 ip6(const char* s) { return *parse_ipv6(s); }
Ipv6Prefix pfx6(const char* s) { return *parse_prefix6(s); }

std::string write_file(const std::string& name, const std::string& text) {
    const std::string path = testing::TempDir() + name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
}

// Two dual-stack interfaces (lines 1..8); tests append routes and neighbors from line 9. In
// "  - prefix: V" the value starts at column 13, in "    via: V" at 10, in "    interface: V" at 16.
const std::string kDual = R"(interfaces:
  - name: lan
    device: d0
    addresses: ["10.1.0.1/24", "2001:db8:1::1/64"]
  - name: wan
    device: d1
    addresses: ["10.2.0.1/24", "2001:db8:2::1/64", "fe80::1/64"]
    mac: "02:00:00:00:02:01"
)";

std::string route(const std::string& keys) { return kDual + "routes:\n  - " + keys + "\n"; }  // the route on line 10

// One interface whose `addresses` (line 4, list at column 16) and extra keys the test chooses.
Lines with_addresses(const std::string& list, const std::string& extra = "") {
    return check("interfaces:\n  - name: lan\n    device: d0\n    addresses: " + list + "\n" + extra);
}

// ---------------------------------------------------------------------------------------------
// Accepted forms

TEST(ConfigIpv6, DualStackValues) {
    const ConfigResult r = parse_config_text(kDual + R"(routes:
  - {prefix: "2001:db8:9::/48", via: "2001:db8:1::3"}
  - {prefix: "::/0", via: "fe80::2", interface: wan}
  - {prefix: "2001:db8:66::/48", action: unreachable}
  - {prefix: 10.9.0.0/16, via: 10.2.0.2, interface: wan}
neighbors:
  - {address: "2001:db8:2::2", mac: "02:00:00:00:02:02", interface: wan}
  - {address: "fe80::2", mac: "02:00:00:00:02:03", interface: wan}
  - {address: 10.2.0.2, mac: "02:00:00:00:02:02", interface: wan}
)",
                                             "t.yaml");
    ASSERT_EQ(error_lines(r.errors), Lines{});
    const Config& c = r.config;
    ASSERT_EQ(c.interfaces.size(), 2u);
    ASSERT_EQ(c.interfaces[0].addresses.size(), 1u);
    ASSERT_EQ(c.interfaces[0].addresses6.size(), 1u);
    EXPECT_EQ(c.interfaces[0].addresses6[0].prefix, pfx6("2001:db8:1::1/64"));
    EXPECT_EQ(c.interfaces[0].addresses6[0].pos.line, 4);
    EXPECT_EQ(c.interfaces[0].addresses6[0].pos.column, 32);
    ASSERT_EQ(c.interfaces[1].addresses6.size(), 2u);
    EXPECT_EQ(c.interfaces[1].addresses6[1].prefix, pfx6("fe80::1/64"));

    ASSERT_EQ(c.routes6.size(), 3u);
    EXPECT_EQ(c.routes6[0].prefix, pfx6("2001:db8:9::/48"));
    EXPECT_EQ(c.routes6[0].action, RouteAction::forward);
    EXPECT_TRUE(c.routes6[0].has_via);
    EXPECT_EQ(c.routes6[0].via, ip6("2001:db8:1::3"));
    EXPECT_EQ(c.routes6[0].interface, "");
    EXPECT_EQ(c.routes6[1].prefix, pfx6("::/0"));
    EXPECT_EQ(c.routes6[1].via, ip6("fe80::2"));
    EXPECT_EQ(c.routes6[1].interface, "wan");
    EXPECT_EQ(c.routes6[1].interface_pos.line, 11);
    EXPECT_EQ(c.routes6[1].interface_pos.column, 49);
    EXPECT_EQ(c.routes6[2].action, RouteAction::unreachable);
    EXPECT_FALSE(c.routes6[2].has_via);
    ASSERT_EQ(c.routes.size(), 1u);
    EXPECT_EQ(c.routes[0].interface, "wan");

    ASSERT_EQ(c.neighbors6.size(), 2u);
    EXPECT_EQ(c.neighbors6[0].address, ip6("2001:db8:2::2"));
    EXPECT_EQ(c.neighbors6[0].mac, *parse_mac("02:00:00:00:02:02"));
    EXPECT_EQ(c.neighbors6[0].interface, "wan");
    EXPECT_EQ(c.neighbors6[1].address, ip6("fe80::2"));
    ASSERT_EQ(c.neighbors.size(), 1u);
}

TEST(ConfigIpv6, IPv6OnlyInterfaceAndLinkLocalOnly) {
    // Only IPv6 addresses is an interface with addresses; no IPv6 address at all still runs IPv6
    // on its derived link-local address (mtu >= 1280), so a link-local gateway may name it.
    EXPECT_EQ(with_addresses(R"(["2001:db8:1::1/64"])"), Lines{});
    EXPECT_EQ(with_addresses(R"(["fe80::1/64"])"), Lines{});
    EXPECT_EQ(with_addresses(R"(["10.1.0.1/24"])", "routes:\n  - {prefix: \"::/0\", via: \"fe80::2\", interface: lan}\n"),
              Lines{});
    // /127 point-to-point links (RFC 6164) and /128 addresses.
    EXPECT_EQ(with_addresses(R"(["2001:db8:1::/127", "2001:db8:2::1/128"])"), Lines{});
}

// ---------------------------------------------------------------------------------------------
// Structure

TEST(ConfigIpv6, MalformedAddresses) {
    EXPECT_EQ(with_addresses(R"(["10.1.0.1/24", "2001:db8::zz/64"])"),
              Lines{"t.yaml:4:32: error: invalid address '2001:db8::zz/64' (expected an IPv6 address/N, like 2001:db8::/32)"});
    EXPECT_EQ(with_addresses(R"(["2001:db8::1/129"])"), Lines{"t.yaml:4:17: error: prefix length 129 out of range 0..128"});
    EXPECT_EQ(with_addresses(R"(["2001:db8::1"])"),
              Lines{"t.yaml:4:17: error: invalid address '2001:db8::1' (expected an IPv6 address/N, like 2001:db8::/32)"});
    EXPECT_EQ(with_addresses(R"(["fe80::1%eth0/64"])"),
              Lines{"t.yaml:4:17: error: invalid address 'fe80::1%eth0/64' (expected an IPv6 address/N, like 2001:db8::/32)"});
}

TEST(ConfigIpv6, MalformedRoutesAndNeighbors) {
    EXPECT_EQ(check(route("prefix: \"2001:db8:9::/129\"\n    via: \"2001:db8:1::2\"")),
              Lines{"t.yaml:10:13: error: prefix length 129 out of range 0..128"});
    EXPECT_EQ(check(route("prefix: \"2001:db8:9::/48\"\n    via: \"2001:db8:1::zz\"")),
              Lines{"t.yaml:11:10: error: invalid IPv6 address '2001:db8:1::zz'"});
    EXPECT_EQ(check(route("prefix: \"2001:db8:9::/48\"\n    via: 10.1.0.2")),
              Lines{"t.yaml:11:10: error: via 10.1.0.2 is an IPv4 address but the route is IPv6"});
    EXPECT_EQ(check(route("prefix: 10.9.0.0/16\n    via: \"2001:db8:1::2\"")),
              Lines{"t.yaml:11:10: error: via 2001:db8:1::2 is an IPv6 address but the route is IPv4"});
    EXPECT_EQ(check(route("prefix: \"2001:db8:9::/48\"\n    via: \"2001:db8:1::2\"\n    interface: [wan]")),
              Lines{"t.yaml:12:16: error: interface must be a string"});
    EXPECT_EQ(check(route("prefix: \"2001:db8:9::/48\"\n    via: \"2001:db8:1::2\"\n    dev: wan")),
              Lines{"t.yaml:12:5: error: unknown key 'dev' in route"});
    EXPECT_EQ(check(kDual + "neighbors:\n  - {address: \"2001:db8:2::zz\", mac: \"02:00:00:00:02:02\", interface: wan}\n"),
              Lines{"t.yaml:10:15: error: invalid IPv6 address '2001:db8:2::zz'"});
}

// ---------------------------------------------------------------------------------------------
// Interface addresses

TEST(ConfigIpv6, AddressMustBeAUnicastHost) {
    EXPECT_EQ(with_addresses(R"(["ff02::1/64"])"), Lines{"t.yaml:4:17: error: address ff02::1/64 is a multicast address"});
    EXPECT_EQ(with_addresses(R"(["::/64"])"), Lines{"t.yaml:4:17: error: address ::/64 is the unspecified address"});
    EXPECT_EQ(with_addresses(R"(["::1/128"])"), Lines{"t.yaml:4:17: error: address ::1/128 is the loopback address"});
    EXPECT_EQ(with_addresses(R"(["::ffff:10.1.0.1/120"])"),
              Lines{"t.yaml:4:17: error: address ::ffff:10.1.0.1/120 is an IPv4-mapped address"});
    EXPECT_EQ(with_addresses(R"(["2001:db8::1/0"])"),
              Lines{"t.yaml:4:17: error: address 2001:db8::1/0 has prefix length 0, which no interface can use"});
    EXPECT_EQ(with_addresses(R"(["2001:db8:1::/64"])"),
              Lines{"t.yaml:4:17: error: address 2001:db8:1::/64 is the Subnet-Router anycast address of its prefix"});
}

TEST(ConfigIpv6, OneLinkLocalAddressInFe80Slash64) {
    EXPECT_EQ(with_addresses(R"(["fe80::1/64", "fe80::2/64"])"),
              Lines{"t.yaml:4:31: error: interface 'lan' has more than one link-local address (first defined at line 4)"});
    EXPECT_EQ(with_addresses(R"(["fe80::1/10"])"),
              Lines{"t.yaml:4:17: error: link-local address fe80::1/10 must be in fe80::/64 with prefix length 64 (RFC 4291 2.5.6)"});
    EXPECT_EQ(with_addresses(R"(["fe80:1::1/64"])"),
              Lines{"t.yaml:4:17: error: link-local address fe80:1::1/64 must be in fe80::/64 with prefix length 64 (RFC 4291 2.5.6)"});
}

TEST(ConfigIpv6, DuplicateAndOverlappingAddresses) {
    const std::string two = R"(interfaces:
  - name: lan
    device: d0
    addresses: ["2001:db8:1::1/64", "fe80::1/64"]
  - name: wan
    device: d1
    addresses: [%s]
)";
    auto with_wan = [&](const std::string& wan) {
        std::string y = two;
        y.replace(y.find("%s"), 2, wan);
        return check(y);
    };
    EXPECT_EQ(with_wan(R"("2001:db8:1::1/64")"),
              Lines{"t.yaml:7:17: error: duplicate address 2001:db8:1::1 (first defined at line 4)"});
    EXPECT_EQ(with_wan(R"("2001:db8:1::2/64")"),
              Lines{"t.yaml:7:17: error: address 2001:db8:1::2/64 overlaps 2001:db8:1::1/64 on interface 'lan'"});
    EXPECT_EQ(with_wan(R"("2001:db8::1/32")"),
              Lines{"t.yaml:7:17: error: address 2001:db8::1/32 overlaps 2001:db8:1::1/64 on interface 'lan'"});
    // The same link-local address on every interface is common practice and fine.
    EXPECT_EQ(with_wan(R"("2001:db8:2::1/64", "fe80::1/64")"), Lines{});
    // Two prefixes on one interface may overlap, but one address may not be listed twice.
    EXPECT_EQ(with_addresses(R"(["2001:db8:1::1/64", "2001:db8:1::2/48", "2001:db8:1::1/64"])"),
              Lines{"t.yaml:4:57: error: duplicate address 2001:db8:1::1 (first defined at line 4)"});
}

TEST(ConfigIpv6, AtMostEightAddressesPerFamily) {
    std::string list = "[\"10.1.0.1/24\", \"fe80::1/64\"";
    for (int i = 1; i <= 9; ++i) list += ", \"2001:db8:" + std::to_string(i) + "::1/64\"";
    list += "]";
    // Eight IPv4 and eight IPv6 beside the link-local one fit; the ninth IPv6 one is the error.
    const std::size_t ninth = std::string("    addresses: ").size() + list.rfind("\"2001:db8:9") + 1;
    EXPECT_EQ(with_addresses(list), Lines{"t.yaml:4:" + std::to_string(ninth) +
                                          ": error: interface 'lan' has more than 8 IPv6 addresses besides its "
                                          "link-local one (the dataplane keeps at most that many)"});
}

TEST(ConfigIpv6, MtuBelow1280WithIpv6Addresses) {
    EXPECT_EQ(with_addresses(R"(["10.1.0.1/24", "2001:db8:1::1/64"])", "    mtu: 1279\n"),
              Lines{"t.yaml:5:10: error: interface 'lan' has IPv6 addresses but mtu 1279 is below 1280, the IPv6 "
                    "minimum link MTU (RFC 8200 5)"});
    EXPECT_EQ(with_addresses(R"(["10.1.0.1/24", "2001:db8:1::1/64"])", "    mtu: 1280\n"), Lines{});
    // Without IPv6 addresses such an interface simply runs IPv4 only.
    EXPECT_EQ(with_addresses(R"(["10.1.0.1/24"])", "    mtu: 576\n"), Lines{});
    // Below 68 the range error is enough.
    EXPECT_EQ(with_addresses(R"(["2001:db8:1::1/64"])", "    mtu: 60\n"),
              Lines{"t.yaml:5:10: error: mtu 60 out of range 68..9000"});
}

// ---------------------------------------------------------------------------------------------
// Routes

TEST(ConfigIpv6, RouteHostBitsAndDuplicates) {
    EXPECT_EQ(check(route("prefix: \"2001:db8:9::1/48\"\n    via: \"2001:db8:1::2\"")),
              Lines{"t.yaml:10:13: error: prefix 2001:db8:9::1/48 has host bits set"});
    EXPECT_EQ(check(kDual + R"(routes:
  - {prefix: "2001:db8:9::/48", via: "2001:db8:1::2"}
  - {prefix: "2001:db8:9::/56", action: blackhole}
  - {prefix: "2001:db8:9:0::/48", action: unreachable}
  - {prefix: "2001:db8:9::/56", action: prohibit}
)"),
              (Lines{"t.yaml:12:14: error: duplicate route prefix 2001:db8:9::/48 (first defined at line 10)",
                     "t.yaml:13:14: error: duplicate route prefix 2001:db8:9::/56 (first defined at line 11)"}));
    // The same text in both families is two routes, not a duplicate.
    EXPECT_EQ(check(kDual + "routes:\n  - {prefix: \"::/0\", action: blackhole}\n  - {prefix: 0.0.0.0/0, action: blackhole}\n"),
              Lines{});
}

TEST(ConfigIpv6, ActionViaAndInterface) {
    EXPECT_EQ(check(route("prefix: \"2001:db8:9::/48\"")),
              Lines{"t.yaml:10:5: error: route 2001:db8:9::/48 has action forward but no via"});
    EXPECT_EQ(check(route("prefix: \"2001:db8:9::/48\"\n    action: blackhole\n    via: \"2001:db8:1::2\"")),
              Lines{"t.yaml:12:10: error: route 2001:db8:9::/48 with action blackhole must not have a via"});
    EXPECT_EQ(check(route("prefix: \"2001:db8:9::/48\"\n    action: prohibit\n    interface: lan")),
              Lines{"t.yaml:12:16: error: route 2001:db8:9::/48 with action prohibit must not have an interface"});
    EXPECT_EQ(check(route("prefix: \"2001:db8:9::/48\"\n    action: sideways")),
              Lines{"t.yaml:11:13: error: invalid route action 'sideways' (expected forward, blackhole, unreachable or prohibit)"});
}

TEST(ConfigIpv6, ViaMustBeAReachableUnicastNeighbor) {
    auto with_via = [](const std::string& via) {
        return check(route("prefix: \"2001:db8:9::/48\"\n    via: \"" + via + "\""));
    };
    EXPECT_EQ(with_via("2001:db8:1::2"), Lines{});
    EXPECT_EQ(with_via("2001:db8:3::2"),
              Lines{"t.yaml:11:10: error: via 2001:db8:3::2 is not reachable through any connected IPv6 network"});
    EXPECT_EQ(with_via("2001:db8:2::1"), Lines{"t.yaml:11:10: error: via 2001:db8:2::1 is one of our own addresses"});
    EXPECT_EQ(with_via("ff02::2"), Lines{"t.yaml:11:10: error: via ff02::2 is a multicast address"});
    EXPECT_EQ(with_via("::"), Lines{"t.yaml:11:10: error: via :: is the unspecified address"});
    EXPECT_EQ(with_via("::1"), Lines{"t.yaml:11:10: error: via ::1 is the loopback address"});
    EXPECT_EQ(with_via("::ffff:10.1.0.2"), Lines{"t.yaml:11:10: error: via ::ffff:10.1.0.2 is an IPv4-mapped address"});
    EXPECT_EQ(with_via("fe80::2"), Lines{"t.yaml:11:10: error: via fe80::2 is link-local: the route needs 'interface'"});
}

TEST(ConfigIpv6, RouteInterface) {
    auto with = [](const std::string& via, const std::string& ifc) {
        return check(route("prefix: \"2001:db8:9::/48\"\n    via: \"" + via + "\"\n    interface: " + ifc));
    };
    EXPECT_EQ(with("fe80::2", "wan"), Lines{});
    EXPECT_EQ(with("fe80::2", "lan"), Lines{});
    EXPECT_EQ(with("2001:db8:2::2", "wan"), Lines{});
    EXPECT_EQ(with("fe80::2", "dmz"), Lines{"t.yaml:12:16: error: route interface 'dmz' is not defined"});
    EXPECT_EQ(with("2001:db8:2::2", "lan"), Lines{"t.yaml:12:16: error: via 2001:db8:2::2 is on interface 'wan', not 'lan'"});
    // wan lists fe80::1; lan's link-local address comes from its port's MAC (not known here, but
    // wan's `mac:` would give it: see DerivedLinkLocalIsOurs).
    EXPECT_EQ(with("fe80::1", "wan"), Lines{"t.yaml:11:10: error: via fe80::1 is one of our own addresses"});
    EXPECT_EQ(with("fe80::1", "lan"), Lines{});

    const std::string small = "interfaces:\n  - {name: lan, device: d0, addresses: [\"10.1.0.1/24\"], mtu: 1200}\n";
    EXPECT_EQ(check(small + "routes:\n  - {prefix: \"::/0\", via: \"fe80::2\", interface: lan}\n"),
              Lines{"t.yaml:4:49: error: interface 'lan' does not run IPv6 (mtu 1200 is below 1280)"});
}

TEST(ConfigIpv6, DerivedLinkLocalIsOurs) {
    // mac 02:00:00:00:01:01 gives fe80::ff:fe00:101 (modified EUI-64: the U/L bit flipped).
    const std::string y = "interfaces:\n  - {name: lan, device: d0, addresses: [\"10.1.0.1/24\"], mac: \"02:00:00:00:01:01\"}\n";
    EXPECT_EQ(check(y + "routes:\n  - {prefix: \"::/0\", via: \"fe80::ff:fe00:101\", interface: lan}\n"),
              Lines{"t.yaml:4:27: error: via fe80::ff:fe00:101 is one of our own addresses"});
    EXPECT_EQ(check(y + "neighbors:\n  - {address: \"fe80::ff:fe00:101\", mac: \"02:00:00:00:01:02\", interface: lan}\n"),
              Lines{"t.yaml:4:15: error: neighbor fe80::ff:fe00:101 is one of our own addresses"});
}

TEST(ConfigIpv6, Ipv4RouteInterface) {
    auto with = [](const std::string& keys) { return check(route("prefix: 10.9.0.0/16\n    " + keys)); };
    EXPECT_EQ(with("via: 10.2.0.2\n    interface: wan"), Lines{});
    EXPECT_EQ(with("via: 10.2.0.2\n    interface: lan"), Lines{"t.yaml:12:16: error: via 10.2.0.2 is on interface 'wan', not 'lan'"});
    EXPECT_EQ(with("via: 10.2.0.2\n    interface: dmz"), Lines{"t.yaml:12:16: error: route interface 'dmz' is not defined"});
    EXPECT_EQ(with("action: blackhole\n    interface: wan"),
              Lines{"t.yaml:12:16: error: route 10.9.0.0/16 with action blackhole must not have an interface"});
    // An unreachable via is the one error; the interface is not judged against it.
    EXPECT_EQ(with("via: 10.3.0.2\n    interface: wan"),
              Lines{"t.yaml:11:10: error: via 10.3.0.2 is not reachable through any connected network"});
}

// ---------------------------------------------------------------------------------------------
// Neighbors

TEST(ConfigIpv6, Neighbors) {
    auto with = [](const std::string& address, const std::string& ifc, const std::string& mac = "02:00:00:00:02:02") {
        // "  - {address: " puts the address at column 15, the mac at 37.
        return check(kDual + "neighbors:\n  - {address: \"" + address + "\", mac: \"" + mac + "\", interface: " + ifc + "}\n");
    };
    EXPECT_EQ(with("2001:db8:2::2", "wan"), Lines{});
    EXPECT_EQ(with("fe80::2", "lan"), Lines{});  // link-local: on-link wherever it is
    EXPECT_EQ(with("2001:db8:2::2", "lan"),
              Lines{"t.yaml:10:15: error: neighbor 2001:db8:2::2 is not on a connected IPv6 network of interface 'lan'"});
    EXPECT_EQ(with("2001:db8:1::1", "lan"), Lines{"t.yaml:10:15: error: neighbor 2001:db8:1::1 is one of our own addresses"});
    EXPECT_EQ(with("fe80::1", "wan"), Lines{"t.yaml:10:15: error: neighbor fe80::1 is one of our own addresses"});
    EXPECT_EQ(with("ff02::1", "wan"), Lines{"t.yaml:10:15: error: neighbor ff02::1 is a multicast address"});
    EXPECT_EQ(with("::", "wan"), Lines{"t.yaml:10:15: error: neighbor :: is the unspecified address"});
    EXPECT_EQ(with("2001:db8:2::2", "dmz"), Lines{"t.yaml:10:69: error: neighbor interface 'dmz' is not defined"});
    EXPECT_EQ(with("2001:db8:2::2", "wan", "01:00:5e:00:00:01"),
              Lines{"t.yaml:10:37: error: neighbor MAC 01:00:5e:00:00:01 is a multicast address"});
    EXPECT_EQ(check(kDual + R"(neighbors:
  - {address: "fe80::2", mac: "02:00:00:00:02:02", interface: wan}
  - {address: "fe80::2", mac: "02:00:00:00:02:03", interface: lan}
  - {address: "fe80::2", mac: "02:00:00:00:02:04", interface: wan}
)"),
              Lines{"t.yaml:12:15: error: duplicate neighbor fe80::2 on interface 'wan' (first defined at line 10)"});
    const std::string small = "interfaces:\n  - {name: lan, device: d0, addresses: [\"10.1.0.1/24\"], mtu: 1000}\n";
    EXPECT_EQ(check(small + "neighbors:\n  - {address: \"fe80::2\", mac: \"02:00:00:00:02:02\", interface: lan}\n"),
              Lines{"t.yaml:4:63: error: interface 'lan' does not run IPv6 (mtu 1000 is below 1280)"});
}

// A config built in code has no value positions: errors fall back to the item's, and values the
// parser would have refused (a /129) are still caught.
TEST(ConfigIpv6, BuiltInCodeFallsBackToItemPositions) {
    Config cfg;
    cfg.file = "code";
    InterfaceConfig lan;
    lan.name = "lan";
    lan.device = "d0";
    lan.pos = SourcePos{2, 3};
    lan.addresses6.push_back({pfx6("2001:db8:1::1/64"), SourcePos{4, 7}});
    cfg.interfaces.push_back(lan);
    Route6Config r;
    r.prefix = Ipv6Prefix{ip6("2001:db8:9::"), 129};
    r.pos = SourcePos{6, 5};
    cfg.routes6.push_back(r);
    Route6Config ll;
    ll.prefix = pfx6("2001:db8:8::/48");
    ll.has_via = true;
    ll.via = ip6("fe80::2");
    ll.pos = SourcePos{7, 5};
    cfg.routes6.push_back(ll);
    Neighbor6Config nb;
    nb.address = ip6("::ffff:10.1.0.2");
    nb.mac = *parse_mac("02:00:00:00:02:02");
    nb.interface = "lan";
    nb.pos = SourcePos{9, 5};
    cfg.neighbors6.push_back(nb);
    EXPECT_EQ(error_lines(validate_config(cfg)),
              (Lines{"code:6:5: error: prefix length 129 out of range 0..128",
                     "code:7:5: error: via fe80::2 is link-local: the route needs 'interface'",
                     "code:9:5: error: neighbor ::ffff:10.1.0.2 is an IPv4-mapped address"}));
}

// ---------------------------------------------------------------------------------------------
// routes_file

TEST(ConfigIpv6, RoutesFileLines) {
    const std::string list = write_file("dpr_routes6_ok.txt",
                                        "2001:db8:9::/48 via 2001:db8:1::2\n"
                                        "::/0 via fe80::2 interface wan   # default over a link-local gateway\n"
                                        "10.9.0.0/16 via 10.2.0.2 interface wan\n"
                                        "2001:db8:66::/48 unreachable\n"
                                        "2001:db8:67::/48\tblackhole\r\n");
    const ConfigResult r = parse_config_text(kDual + "routes_file: " + list + "\n", "c.yaml");
    ASSERT_EQ(error_lines(r.errors), Lines{});
    ASSERT_EQ(r.config.routes6.size(), 4u);
    ASSERT_EQ(r.config.routes.size(), 1u);
    const Route6Config& a = r.config.routes6[0];
    EXPECT_TRUE(a.from_routes_file);
    EXPECT_EQ(a.prefix, pfx6("2001:db8:9::/48"));
    EXPECT_EQ(a.via, ip6("2001:db8:1::2"));
    EXPECT_EQ(a.via_pos.line, 1);
    EXPECT_EQ(a.via_pos.column, 21);
    const Route6Config& d = r.config.routes6[1];
    EXPECT_EQ(d.prefix, pfx6("::/0"));
    EXPECT_EQ(d.via, ip6("fe80::2"));
    EXPECT_EQ(d.interface, "wan");
    EXPECT_EQ(d.interface_pos.column, 28);
    EXPECT_EQ(r.config.routes[0].interface, "wan");
    EXPECT_EQ(r.config.routes6[2].action, RouteAction::unreachable);
    EXPECT_EQ(r.config.routes6[3].action, RouteAction::blackhole);
}

TEST(ConfigIpv6, RoutesFileErrors) {
    const std::string list = write_file("dpr_routes6_bad.txt",
                                        "2001:db8:9::/129 via 2001:db8:1::2\n"
                                        "2001:db8:9::/48 via 10.1.0.2\n"
                                        "2001:db8:9::/48 via 2001:db8:1::2 interface\n"
                                        "2001:db8:9::/48 via 2001:db8:1::2 dev wan\n"
                                        "2001:db8:9::/48 via 2001:db8:1::2 interface wan extra\n"
                                        "2001:db8:zz::/48 blackhole\n");
    EXPECT_EQ(check(kDual + "routes_file: " + list + "\n", "c.yaml"),
              (Lines{list + ":1:1: error: prefix length 129 out of range 0..128",
                     list + ":2:21: error: via 10.1.0.2 is an IPv4 address but the route is IPv6",
                     list + ":3:35: error: interface needs a name",
                     list + ":4:35: error: unexpected 'dev' after the route",
                     list + ":5:49: error: unexpected 'extra' after the route",
                     list + ":6:1: error: invalid prefix '2001:db8:zz::/48' (expected an IPv6 address/N, like 2001:db8::/32)"}));
    // Validation errors point into the list file, and duplicates are found across both files.
    const std::string list2 = write_file("dpr_routes6_val.txt",
                                         "::/0 via fe80::2\n"
                                         "2001:db8:9::/48 blackhole\n"
                                         "2001:db8:8::/48 via 2001:db8:2::2 interface lan\n");
    EXPECT_EQ(check(kDual + "routes: [{prefix: \"2001:db8:9::/48\", action: unreachable}]\nroutes_file: " + list2 + "\n",
                    "c.yaml"),
              (Lines{list2 + ":1:10: error: via fe80::2 is link-local: the route needs 'interface'",
                     list2 + ":2:1: error: duplicate route prefix 2001:db8:9::/48 (first defined at c.yaml:9)",
                     list2 + ":3:45: error: via 2001:db8:2::2 is on interface 'wan', not 'lan'"}));
}

// Like the IPv4 list: a large table validates in linear time (hash sets, one check per via).
TEST(ConfigIpv6, RoutesFileValidationIsLinear) {
    std::string text;
    char line[96];
    for (unsigned i = 0; i < 200000; ++i) {
        std::snprintf(line, sizeof line, "2001:db8:%x:%x::/64 via 2001:db8:1::%x\n", 0x100 + (i >> 16), i & 0xffff,
                      2 + i % 200);
        text += line;
    }
    const std::string list = write_file("dpr_routes6_big.txt", text);
    const auto t0 = std::chrono::steady_clock::now();
    const ConfigResult r = parse_config_text(kDual + "routes_file: " + list + "\n", "c.yaml");
    const auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_EQ(error_lines(r.errors), Lines{});
    EXPECT_EQ(r.config.routes6.size(), 200000u);
    EXPECT_LT(took, std::chrono::seconds(5));
}

// ---------------------------------------------------------------------------------------------
// From YAML to the IPv6 FIB

struct FreeTables {
    void operator()(Tables* t) const { free_tables(t); }
};

TEST(ConfigIpv6, YamlToFib6RoundTrip) {
    const ConfigResult r = parse_config_text(kDual + R"(  - name: v4only
    device: d2
    addresses: ["10.3.0.1/24"]
    mtu: 1000
routes:
  - {prefix: "2001:db8:9::/48", via: "2001:db8:1::3"}
  - {prefix: "::/0", via: "fe80::2", interface: wan}
  - {prefix: "2001:db8:66::/48", action: unreachable}
  - {prefix: "2001:db8:67::/48", action: prohibit}
  - {prefix: "2001:db8:9:5::/64", action: blackhole}
)",
                                             "t.yaml");
    ASSERT_EQ(error_lines(r.errors), Lines{});
    const uint16_t port_of[] = {0, 1, 2};
    const rte_ether_addr macs[3] = {{{0x02, 0, 0, 0, 1, 1}}, {{0x02, 0, 0, 0, 2, 1}}, {{0x02, 0, 0, 0, 3, 1}}};
    std::unique_ptr<Tables, FreeTables> t(build_tables(r.config, port_of, macs, 9));
    ASSERT_NE(t, nullptr);
    auto hop = [&](const char* a) { return route6_lookup(*t, ip6(a).bytes.data()); };
    auto gateway = [](const NextHop6* nh) {
        Ipv6 g;
        std::copy(nh->gateway, nh->gateway + 16, g.bytes.begin());
        return format_ipv6(g);
    };

    // Link-local addresses: lan's derived from its MAC, wan's as listed; none on the small link.
    EXPECT_TRUE(t->ifaces[0].ipv6);
    EXPECT_TRUE(t->owns6_on(0, ip6("fe80::ff:fe00:101").bytes.data()));
    EXPECT_TRUE(t->owns6_on(1, ip6("fe80::1").bytes.data()));
    EXPECT_FALSE(t->ifaces[2].ipv6);

    const NextHop6* own = hop("2001:db8:2::1");
    ASSERT_NE(own, nullptr);
    EXPECT_EQ(own->action, NextHopAction::local);
    const NextHop6* connected = hop("2001:db8:1::77");
    ASSERT_NE(connected, nullptr);
    EXPECT_EQ(connected->action, NextHopAction::forward);
    EXPECT_EQ(connected->port, 0);
    EXPECT_FALSE(connected->has_gateway());
    const NextHop6* via_lan = hop("2001:db8:9:1::1");
    ASSERT_NE(via_lan, nullptr);
    EXPECT_EQ(via_lan->port, 0);
    EXPECT_EQ(gateway(via_lan), "2001:db8:1::3");
    const NextHop6* longer = hop("2001:db8:9:5::1");
    ASSERT_NE(longer, nullptr);
    EXPECT_EQ(longer->action, NextHopAction::blackhole);
    ASSERT_NE(hop("2001:db8:66::1"), nullptr);
    EXPECT_EQ(hop("2001:db8:66::1")->action, NextHopAction::unreachable);
    ASSERT_NE(hop("2001:db8:67::1"), nullptr);
    EXPECT_EQ(hop("2001:db8:67::1")->action, NextHopAction::prohibit);
    const NextHop6* dflt = hop("2606:4700::1");
    ASSERT_NE(dflt, nullptr);
    EXPECT_EQ(dflt->action, NextHopAction::forward);
    EXPECT_EQ(dflt->port, 1);
    EXPECT_EQ(gateway(dflt), "fe80::2");
}

// rte_fib6 reserves tbl8 groups per route (table_builder6.cpp): 6,000 /64s with no covering route
// reserve five each, 30,000 of the 32,767 the FIB can hold, though they share a few dozen groups.
// The pool was once sized by the groups shared and refused the 833rd route.
std::string many_slash64(unsigned n) {
    std::string text;
    char line[80];
    for (unsigned i = 0; i < n; ++i) {
        std::snprintf(line, sizeof line, "2001:db8:100:%x::/64 via 2001:db8:1::%x\n", i, 2 + i % 50);
        text += line;
    }
    return text;
}

TEST(ConfigIpv6, ThousandsOfIpv6RoutesFitTheFib) {
    const std::string list = write_file("dpr_routes6_fib.txt", many_slash64(6000));
    const ConfigResult r = parse_config_text(kDual + "routes_file: " + list + "\n", "c.yaml");
    ASSERT_EQ(error_lines(r.errors), Lines{});
    const uint16_t port_of[] = {0, 1};
    const rte_ether_addr macs[2] = {{{0x02, 0, 0, 0, 1, 1}}, {{0x02, 0, 0, 0, 2, 1}}};
    std::unique_ptr<Tables, FreeTables> t(build_tables(r.config, port_of, macs, 10));
    for (const char* a : {"2001:db8:100::9", "2001:db8:100:1234::1", "2001:db8:100:176f::ffff"}) {
        const NextHop6* nh = route6_lookup(*t, ip6(a).bytes.data());
        ASSERT_NE(nh, nullptr) << a;
        EXPECT_EQ(nh->port, 0) << a;
        EXPECT_TRUE(nh->has_gateway()) << a;
    }
    EXPECT_EQ(route6_lookup(*t, ip6("2001:db8:100:1770::1").bytes.data()), nullptr);  // the 6,001st
}

TEST(ConfigIpv6, MoreThanTheFibHoldsIsRefusedClearly) {
    const std::string list = write_file("dpr_routes6_toomany.txt", many_slash64(7000));  // 35,000 groups, and 26 for the interfaces
    const ConfigResult r = parse_config_text(kDual + "routes_file: " + list + "\n", "c.yaml");
    ASSERT_EQ(error_lines(r.errors), Lines{});
    const uint16_t port_of[] = {0, 1};
    const rte_ether_addr macs[2] = {};
    try {
        free_tables(build_tables(r.config, port_of, macs, 11));
        FAIL() << "built";
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "the IPv6 routes need 35026 tbl8 groups of the IPv6 FIB, which holds at most 32767 "
                               "(see docs/benchmarking.md \"IPv6 FIB\")");
    }
}

}  // namespace
}  // namespace dprouter
