// Configuration parsing and validation (src/config): values, defaults, and every error with its
// exact message and position. Positions are 1-based; in the YAML below a key on a
// "  - key: " line starts at column 5 and its value at column 7 + len(key) (e.g. name -> 11).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "dprouter/config.hpp"

namespace dprouter {
namespace {

std::vector<std::string> errors_of(const ConfigResult& r) {
    std::vector<std::string> out;
    for (const auto& e : r.errors) out.push_back(e.to_string());
    return out;
}

// Parses as "t.yaml" and returns the error lines, which is what `--check` prints.
std::vector<std::string> check(const std::string& yaml) { return errors_of(parse_config_text(yaml, "t.yaml")); }

using Lines = std::vector<std::string>;

Ipv4 ip(const char* s) { return *parse_ipv4(s); }
Ipv4Prefix pfx(const char* s) { return *parse_prefix(s); }
MacAddr mac(const char* s) { return *parse_mac(s); }

// The example from docs/design.md, verbatim.
const char* const kDesignExample = R"(dpdk:
  eal_args: ["--no-pci", "--in-memory", "--no-huge", "-m", "1024"]
  workers: 1                 # poll-mode worker lcores; the control thread runs on the main lcore
interfaces:
  - name: lan                # unique, [a-z0-9_-]+
    device: "net_af_packet0,iface=r-h1"   # a vdev devargs string, or a PCI address like 0000:03:00.0
    addresses: ["10.1.0.1/24"]            # one or more interface addresses with prefix length
    mtu: 1500                # IP MTU of this egress interface, 68..9000
    mac: "02:00:00:00:01:01" # optional; default: the port's own MAC
    icmp_redirects: true     # optional, default true: may send ICMP redirects out of this interface
  - name: wan
    device: "net_af_packet1,iface=r-h2"
    addresses: ["10.2.0.1/24"]
    mtu: 1300
routes:                      # connected routes come from interface addresses
  - prefix: 0.0.0.0/0
    via: 10.2.0.2            # gateway; its interface is found through the connected routes
  - prefix: 10.66.0.0/16
    action: unreachable      # forward (default, needs via) | blackhole | unreachable | prohibit
neighbors:                   # optional static ARP entries (pktgen setups)
  - address: 10.2.0.2
    mac: "02:00:00:00:02:02"
    interface: wan
icmp:
  rate_limit:
    global: {rate: 1000, burst: 50}          # ICMP errors per second, whole router
    per_destination: {rate: 10, burst: 10}   # per host that the ICMP error is sent to
)";

// Two interfaces and nothing else; tests append routes/neighbors to it (lines 1..8).
const std::string kTwoInterfaces = R"(interfaces:
  - name: lan
    device: d0
    addresses: ["10.1.0.1/24"]
  - name: wan
    device: d1
    addresses: ["10.2.0.1/24"]
    icmp_redirects: false
)";

// ---------------------------------------------------------------------------------------------
// Values and defaults

TEST(ConfigParse, DesignExampleValues) {
    ConfigResult r = parse_config_text(kDesignExample, "design.yaml");
    ASSERT_EQ(errors_of(r), Lines{});
    const Config& c = r.config;
    EXPECT_EQ(c.file, "design.yaml");
    EXPECT_EQ(c.dpdk.eal_args, (std::vector<std::string>{"--no-pci", "--in-memory", "--no-huge", "-m", "1024"}));
    EXPECT_EQ(c.dpdk.workers, 1u);

    ASSERT_EQ(c.interfaces.size(), 2u);
    const InterfaceConfig& lan = c.interfaces[0];
    EXPECT_EQ(lan.name, "lan");
    EXPECT_EQ(lan.device, "net_af_packet0,iface=r-h1");
    ASSERT_EQ(lan.addresses.size(), 1u);
    EXPECT_EQ(lan.addresses[0].prefix, pfx("10.1.0.1/24"));
    EXPECT_EQ(lan.mtu, 1500u);
    EXPECT_TRUE(lan.has_mac);
    EXPECT_EQ(lan.mac, mac("02:00:00:00:01:01"));
    EXPECT_TRUE(lan.icmp_redirects);
    const InterfaceConfig& wan = c.interfaces[1];
    EXPECT_EQ(wan.name, "wan");
    EXPECT_EQ(wan.device, "net_af_packet1,iface=r-h2");
    ASSERT_EQ(wan.addresses.size(), 1u);
    EXPECT_EQ(wan.addresses[0].prefix, pfx("10.2.0.1/24"));
    EXPECT_EQ(wan.mtu, 1300u);
    EXPECT_FALSE(wan.has_mac);
    EXPECT_TRUE(wan.icmp_redirects);

    ASSERT_EQ(c.routes.size(), 2u);
    EXPECT_EQ(c.routes[0].prefix, pfx("0.0.0.0/0"));
    EXPECT_EQ(c.routes[0].action, RouteAction::forward);
    EXPECT_TRUE(c.routes[0].has_via);
    EXPECT_EQ(c.routes[0].via, ip("10.2.0.2"));
    EXPECT_EQ(c.routes[1].prefix, pfx("10.66.0.0/16"));
    EXPECT_EQ(c.routes[1].action, RouteAction::unreachable);
    EXPECT_FALSE(c.routes[1].has_via);

    ASSERT_EQ(c.neighbors.size(), 1u);
    EXPECT_EQ(c.neighbors[0].address, ip("10.2.0.2"));
    EXPECT_EQ(c.neighbors[0].mac, mac("02:00:00:00:02:02"));
    EXPECT_EQ(c.neighbors[0].interface, "wan");

    EXPECT_EQ(c.icmp.rate_limit.global.rate, 1000);
    EXPECT_EQ(c.icmp.rate_limit.global.burst, 50);
    EXPECT_EQ(c.icmp.rate_limit.per_destination.rate, 10);
    EXPECT_EQ(c.icmp.rate_limit.per_destination.burst, 10);
}

TEST(ConfigParse, DesignExamplePositions) {
    const Config c = parse_config_text(kDesignExample, "design.yaml").config;
    auto at = [](SourcePos p) { return std::to_string(p.line) + ":" + std::to_string(p.column); };
    EXPECT_EQ(at(c.interfaces[0].pos), "5:5");
    EXPECT_EQ(at(c.interfaces[0].name_pos), "5:11");
    EXPECT_EQ(at(c.interfaces[0].device_pos), "6:13");
    EXPECT_EQ(at(c.interfaces[0].addresses[0].pos), "7:17");
    EXPECT_EQ(at(c.interfaces[0].mtu_pos), "8:10");
    EXPECT_EQ(at(c.interfaces[0].mac_pos), "9:10");
    EXPECT_EQ(at(c.interfaces[1].pos), "11:5");
    EXPECT_EQ(at(c.interfaces[1].mac_pos), "0:0");  // not written
    EXPECT_EQ(at(c.routes[0].pos), "16:5");
    EXPECT_EQ(at(c.routes[0].prefix_pos), "16:13");
    EXPECT_EQ(at(c.routes[0].via_pos), "17:10");
    EXPECT_EQ(at(c.routes[1].pos), "18:5");
    EXPECT_EQ(at(c.neighbors[0].pos), "21:5");
    EXPECT_EQ(at(c.neighbors[0].address_pos), "21:14");
    EXPECT_EQ(at(c.neighbors[0].mac_pos), "22:10");
    EXPECT_EQ(at(c.neighbors[0].interface_pos), "23:16");
}

TEST(ConfigParse, Defaults) {
    ConfigResult r = parse_config_text(R"(interfaces:
  - name: lan
    device: d0
    addresses: ["10.1.0.1/24", "10.3.0.1/31"]
routes:
  - prefix: 10.0.0.0/8
    via: 10.1.0.2
)",
                                       "t.yaml");
    ASSERT_EQ(errors_of(r), Lines{});
    const Config& c = r.config;
    EXPECT_TRUE(c.dpdk.eal_args.empty());
    EXPECT_EQ(c.dpdk.workers, 1u);
    ASSERT_EQ(c.interfaces.size(), 1u);
    EXPECT_EQ(c.interfaces[0].mtu, 1500u);
    EXPECT_FALSE(c.interfaces[0].has_mac);
    EXPECT_TRUE(c.interfaces[0].icmp_redirects);
    ASSERT_EQ(c.interfaces[0].addresses.size(), 2u);
    EXPECT_EQ(c.interfaces[0].addresses[1].prefix, pfx("10.3.0.1/31"));
    ASSERT_EQ(c.routes.size(), 1u);
    EXPECT_EQ(c.routes[0].action, RouteAction::forward);
    EXPECT_TRUE(c.neighbors.empty());
    EXPECT_EQ(c.icmp.rate_limit.global.rate, 1000);
    EXPECT_EQ(c.icmp.rate_limit.global.burst, 50);
    EXPECT_EQ(c.icmp.rate_limit.per_destination.rate, 10);
    EXPECT_EQ(c.icmp.rate_limit.per_destination.burst, 10);
}

TEST(ConfigParse, EmptySectionsMeanDefaults) {
    ConfigResult r = parse_config_text(kTwoInterfaces + "dpdk:\nroutes:\nneighbors:\nicmp:\n", "t.yaml");
    ASSERT_EQ(errors_of(r), Lines{});
    EXPECT_EQ(r.config.dpdk.workers, 1u);
    EXPECT_TRUE(r.config.routes.empty());
    EXPECT_FALSE(r.config.interfaces[1].icmp_redirects);
    EXPECT_EQ(r.config.icmp.rate_limit.global.rate, 1000);
}

TEST(ConfigParse, AllValuesReadBack) {
    ConfigResult r = parse_config_text(R"(dpdk:
  eal_args: [-l, "0-3", --file-prefix, x, 1024]
  workers: 64
interfaces:
  - name: up_link-0
    device: "0000:03:00.0"
    addresses: ["192.0.2.1/24", "198.51.100.1/32"]
    mtu: 9000
    mac: "02:AA:bb:cc:dd:ee"
    icmp_redirects: false
  - name: x
    device: y
    addresses: ["203.0.113.9/30"]
    mtu: 68
routes:
  - {prefix: 10.0.0.0/8, action: blackhole}
  - {prefix: 10.1.0.0/16, action: prohibit}
  - {prefix: 10.2.0.0/16, action: forward, via: 203.0.113.10}
icmp:
  rate_limit:
    global: {rate: 0}
    per_destination: {rate: 2.5, burst: 1}
)",
                                       "t.yaml");
    ASSERT_EQ(errors_of(r), Lines{});
    const Config& c = r.config;
    EXPECT_EQ(c.dpdk.eal_args, (std::vector<std::string>{"-l", "0-3", "--file-prefix", "x", "1024"}));
    EXPECT_EQ(c.dpdk.workers, 64u);
    EXPECT_EQ(c.interfaces[0].name, "up_link-0");
    EXPECT_EQ(c.interfaces[0].device, "0000:03:00.0");
    EXPECT_EQ(c.interfaces[0].addresses[1].prefix, pfx("198.51.100.1/32"));
    EXPECT_EQ(c.interfaces[0].mtu, 9000u);
    EXPECT_EQ(c.interfaces[0].mac, mac("02:aa:bb:cc:dd:ee"));
    EXPECT_FALSE(c.interfaces[0].icmp_redirects);
    EXPECT_EQ(c.interfaces[1].mtu, 68u);
    EXPECT_EQ(c.routes[0].action, RouteAction::blackhole);
    EXPECT_EQ(c.routes[1].action, RouteAction::prohibit);
    EXPECT_EQ(c.routes[2].action, RouteAction::forward);
    EXPECT_EQ(c.routes[2].via, ip("203.0.113.10"));
    EXPECT_EQ(c.icmp.rate_limit.global.rate, 0);
    EXPECT_EQ(c.icmp.rate_limit.global.burst, 0);
    EXPECT_EQ(c.icmp.rate_limit.per_destination.rate, 2.5);
    EXPECT_EQ(c.icmp.rate_limit.per_destination.burst, 1);
}

// The shipped examples must stay valid. Found in the source tree the build was configured from;
// skipped when that tree is gone.
TEST(ConfigParse, ShippedExamplesAreValid) {
    namespace fs = std::filesystem;
    const fs::path root = DPR_SOURCE_DIR;
    int found = 0;
    for (const char* name : {"config/example.yaml", "config/lab.yaml"}) {
        fs::path p = root / name;
        if (!fs::exists(p)) continue;
        ++found;
        EXPECT_EQ(errors_of(load_config_file(p.string())), Lines{}) << p;
    }
    if (found == 0) GTEST_SKIP() << "config/ not found next to the sources";
}

// ---------------------------------------------------------------------------------------------
// Files and YAML syntax

TEST(ConfigError, ToStringFormat) {
    ConfigError e{"a/b.yaml", SourcePos{7, 11}, "something is wrong"};
    EXPECT_EQ(e.to_string(), "a/b.yaml:7:11: error: something is wrong");
}

// Found by fuzz_config: yaml-cpp quotes the offending character, and a control character (here a
// line break or another control character after a backslash) must not split the error line.
TEST(ConfigError, ControlCharactersAreEscapedSoTheErrorIsOneLine) {
    ConfigError e{"a.yaml", SourcePos{1, 2}, std::string("bad: ") + '\n' + '\t' + '\x1f' + '\x7f' + " end"};
    EXPECT_EQ(e.to_string(), "a.yaml:1:2: error: bad: \\x0a\\x09\\x1f\\x7f end");
    EXPECT_EQ(check("a: \"x\\\x01\"\n"), Lines{"t.yaml:1:8: error: unknown escape character: \\x01"});
}

TEST(ConfigFile, LoadsFromDisk) {
    const std::string path = testing::TempDir() + "dprouter_test_config.yaml";
    {
        std::ofstream out(path);
        out << kDesignExample;
    }
    ConfigResult r = load_config_file(path);
    std::remove(path.c_str());
    EXPECT_EQ(errors_of(r), Lines{});
    EXPECT_EQ(r.config.file, path);
    EXPECT_EQ(r.config.interfaces.size(), 2u);
}

TEST(ConfigFile, MissingFileIsOneErrorAtZero) {
    ConfigResult r = load_config_file("/nonexistent/dprouter.yaml");
    EXPECT_EQ(errors_of(r), Lines{"/nonexistent/dprouter.yaml:0:0: error: cannot read file: no such file or directory"});
}

TEST(ConfigFile, DirectoryIsAnError) {
    ConfigResult r = load_config_file("/");
    EXPECT_EQ(errors_of(r), Lines{"/:0:0: error: cannot read file: is a directory"});
}

// Message and place are yaml-cpp's (where its scanner gave up); we only make the mark 1-based.
TEST(ConfigSyntax, ParserErrorHasItsPosition) {
    EXPECT_EQ(check("interfaces:\n  - name: [lan\n    device: d0\n"),
              Lines{"t.yaml:3:11: error: end of sequence flow not found"});
    EXPECT_EQ(check("interfaces:\n  - name: lan: x\n"), Lines{"t.yaml:2:14: error: illegal map value"});
    EXPECT_EQ(check("interfaces:\n\t- name: lan\n"), Lines{"t.yaml:2:2: error: illegal block entry"});
}

TEST(ConfigSyntax, EmptyDocument) {
    EXPECT_EQ(check(""), Lines{"t.yaml:1:1: error: missing required key 'interfaces'"});
    EXPECT_EQ(check("# nothing\n"), Lines{"t.yaml:1:1: error: missing required key 'interfaces'"});
}

TEST(ConfigSyntax, TopLevelMustBeMapping) {
    EXPECT_EQ(check("- a\n- b\n"), Lines{"t.yaml:1:1: error: top level must be a mapping"});
    EXPECT_EQ(check("hello\n"), Lines{"t.yaml:1:1: error: top level must be a mapping"});
}

TEST(ConfigSyntax, OnlyOneDocument) {
    EXPECT_EQ(check(kTwoInterfaces + "---\nroutes: []\n"),
              Lines{"t.yaml:10:1: error: only one YAML document is allowed"});
}

// ---------------------------------------------------------------------------------------------
// Structure: unknown, duplicate and missing keys

TEST(ConfigKeys, UnknownKeysEverywhere) {
    EXPECT_EQ(check(R"(dpdk:
  workerz: 2
interfaces:
  - name: lan
    device: d0
    addresses: ["10.1.0.1/24"]
    mtuu: 1500
routes:
  - prefix: 10.0.0.0/8
    gateway: 10.1.0.2
neighbors:
  - address: 10.1.0.2
    mac: "02:00:00:00:00:01"
    interface: lan
    iface: lan
icmp:
  ratelimit: {}
  rate_limit:
    globl: {rate: 1, burst: 1}
    global: {rate: 1, brust: 1}
routing: []
)"),
              (Lines{
                  "t.yaml:2:3: error: unknown key 'workerz' in dpdk",
                  "t.yaml:7:5: error: unknown key 'mtuu' in interface",
                  "t.yaml:10:5: error: unknown key 'gateway' in route",
                  "t.yaml:15:5: error: unknown key 'iface' in neighbor",
                  "t.yaml:17:3: error: unknown key 'ratelimit' in icmp",
                  "t.yaml:19:5: error: unknown key 'globl' in icmp.rate_limit",
                  "t.yaml:20:13: error: icmp.rate_limit.global is missing required key 'burst'",
                  "t.yaml:20:23: error: unknown key 'brust' in icmp.rate_limit.global",
                  "t.yaml:21:1: error: unknown key 'routing' at top level",
              }));
}

TEST(ConfigKeys, DuplicateKey) {
    EXPECT_EQ(check(R"(interfaces:
  - name: lan
    device: d0
    addresses: ["10.1.0.1/24"]
    name: lan2
)"),
              Lines{"t.yaml:5:5: error: duplicate key 'name' in interface"});
    EXPECT_EQ(check(kTwoInterfaces + "routes: []\nroutes: []\n"), Lines{"t.yaml:10:1: error: duplicate key 'routes' at top level"});
}

TEST(ConfigKeys, NonStringKey) {
    EXPECT_EQ(check("interfaces:\n  - name: lan\n    device: d0\n    addresses: [\"10.1.0.1/24\"]\n    [a]: 1\n"),
              Lines{"t.yaml:5:5: error: keys in interface must be strings"});
}

TEST(ConfigKeys, MissingRequiredKeys) {
    EXPECT_EQ(check("dpdk: {workers: 1}\n"), Lines{"t.yaml:1:1: error: missing required key 'interfaces'"});
    EXPECT_EQ(check(R"(interfaces:
  - mtu: 1500
routes:
  - via: 10.1.0.2
neighbors:
  - mac: "02:00:00:00:00:01"
icmp:
  rate_limit:
    per_destination: {burst: 1}
)"),
              (Lines{
                  "t.yaml:2:5: error: interface is missing required key 'name'",
                  "t.yaml:2:5: error: interface is missing required key 'device'",
                  "t.yaml:2:5: error: interface is missing required key 'addresses'",
                  "t.yaml:4:5: error: route is missing required key 'prefix'",
                  "t.yaml:6:5: error: neighbor is missing required key 'address'",
                  "t.yaml:6:5: error: neighbor is missing required key 'interface'",
                  "t.yaml:9:22: error: icmp.rate_limit.per_destination is missing required key 'rate'",
              }));
}

TEST(ConfigKeys, InterfacesMustNotBeEmpty) {
    EXPECT_EQ(check("interfaces: []\n"), Lines{"t.yaml:1:13: error: interfaces must list at least one interface"});
    EXPECT_EQ(check("interfaces:\n"), Lines{"t.yaml:1:1: error: interfaces must list at least one interface"});
    EXPECT_EQ(check("interfaces: {name: lan}\n"), Lines{"t.yaml:1:13: error: interfaces must be a list"});
}

// ---------------------------------------------------------------------------------------------
// Structure: value types

TEST(ConfigTypes, Mtu) {
    auto with_mtu = [](const std::string& v) {
        return check("interfaces:\n  - name: lan\n    device: d0\n    addresses: [\"10.1.0.1/24\"]\n    mtu: " + v +
                     "\n");
    };
    EXPECT_EQ(with_mtu("abc"), Lines{"t.yaml:5:10: error: mtu must be an integer"});
    EXPECT_EQ(with_mtu("\"1500\""), Lines{"t.yaml:5:10: error: mtu must be an integer"});
    EXPECT_EQ(with_mtu("1500.5"), Lines{"t.yaml:5:10: error: mtu must be an integer"});
    EXPECT_EQ(with_mtu("[1500]"), Lines{"t.yaml:5:10: error: mtu must be an integer"});
    EXPECT_EQ(with_mtu(""), Lines{"t.yaml:5:5: error: mtu has no value"});
    EXPECT_EQ(with_mtu("-1"), Lines{"t.yaml:5:10: error: mtu -1 out of range 68..9000"});
    EXPECT_EQ(with_mtu("99999999999999999999"),
              Lines{"t.yaml:5:10: error: mtu 99999999999999999999 out of range 68..9000"});
}

TEST(ConfigTypes, Workers) {
    auto with_workers = [](const std::string& v) {
        return check("dpdk:\n  workers: " + v + "\n" + kTwoInterfaces);
    };
    // kMaxWorkers: the dataplane's per-worker arrays stop at 64, so 65 must be refused here, not at start.
    EXPECT_EQ(with_workers("-1"), Lines{"t.yaml:2:12: error: workers -1 out of range 1..64"});
    EXPECT_EQ(with_workers("0"), Lines{"t.yaml:2:12: error: workers 0 out of range 1..64"});
    EXPECT_EQ(with_workers("65"), Lines{"t.yaml:2:12: error: workers 65 out of range 1..64"});
    EXPECT_EQ(with_workers("127"), Lines{"t.yaml:2:12: error: workers 127 out of range 1..64"});
    EXPECT_EQ(with_workers("64"), Lines{});
    EXPECT_EQ(with_workers("two"), Lines{"t.yaml:2:12: error: workers must be an integer"});
    EXPECT_EQ(with_workers("1"), Lines{});
}

TEST(ConfigTypes, Mbufs) {
    auto with_mbufs = [](const std::string& v) { return check("dpdk:\n  mbufs: " + v + "\n" + kTwoInterfaces); };
    EXPECT_EQ(with_mbufs("1023"), Lines{"t.yaml:2:10: error: mbufs 1023 out of range 1024..16777215"});
    EXPECT_EQ(with_mbufs("16777216"), Lines{"t.yaml:2:10: error: mbufs 16777216 out of range 1024..16777215"});
    EXPECT_EQ(with_mbufs("many"), Lines{"t.yaml:2:10: error: mbufs must be an integer"});
    EXPECT_EQ(with_mbufs("70000"), Lines{});
}

TEST(ConfigTypes, EalArgs) {
    EXPECT_EQ(check("dpdk:\n  eal_args: \"--no-pci -m 512\"\n" + kTwoInterfaces),
              Lines{"t.yaml:2:13: error: eal_args must be a list of strings"});
    EXPECT_EQ(check("dpdk:\n  eal_args: [--no-pci, [-m, 512], {a: b}]\n" + kTwoInterfaces),
              (Lines{"t.yaml:2:24: error: eal_args must be a list of strings",
                     "t.yaml:2:35: error: eal_args must be a list of strings"}));
    EXPECT_EQ(check("dpdk: [--no-pci]\n" + kTwoInterfaces), Lines{"t.yaml:1:7: error: dpdk must be a mapping"});
}

TEST(ConfigTypes, Addresses) {
    auto with_addresses = [](const std::string& v) {
        return check("interfaces:\n  - name: lan\n    device: d0\n    addresses: " + v + "\n");
    };
    EXPECT_EQ(with_addresses("10.1.0.1/24"), Lines{"t.yaml:4:16: error: addresses must be a list"});
    EXPECT_EQ(with_addresses("[]"), Lines{"t.yaml:4:16: error: interface needs at least one address"});
    EXPECT_EQ(with_addresses("[[10.1.0.1/24]]"),
              Lines{"t.yaml:4:17: error: address must be a string like 10.1.0.0/24"});
    EXPECT_EQ(with_addresses("[10.1.0.1]"),
              Lines{"t.yaml:4:17: error: invalid address '10.1.0.1' (expected A.B.C.D/N)"});
    EXPECT_EQ(with_addresses("[10.1.0.1/24, 10.1.300.1/24]"),
              Lines{"t.yaml:4:30: error: invalid address '10.1.300.1/24' (expected A.B.C.D/N)"});
    EXPECT_EQ(with_addresses("[10.1.0.1/33]"), Lines{"t.yaml:4:17: error: prefix length 33 out of range 0..32"});
    EXPECT_EQ(with_addresses("[10.1.0.1/4294967296]"),
              Lines{"t.yaml:4:17: error: invalid address '10.1.0.1/4294967296' (expected A.B.C.D/N)"});
    EXPECT_EQ(with_addresses("[10.1.0.1/024]"),
              Lines{"t.yaml:4:17: error: invalid address '10.1.0.1/024' (expected A.B.C.D/N)"});
}

TEST(ConfigTypes, StringsAndBools) {
    EXPECT_EQ(check(R"(interfaces:
  - name: [lan]
    device: {a: b}
    addresses: ["10.1.0.1/24"]
    icmp_redirects: maybe
  - name: wan
    device: d1
    addresses: ["10.2.0.1/24"]
    icmp_redirects: "true"
    mac:
)"),
              (Lines{
                  "t.yaml:2:11: error: name must be a string",
                  "t.yaml:3:13: error: device must be a string",
                  "t.yaml:5:21: error: icmp_redirects must be true or false",
                  "t.yaml:9:21: error: icmp_redirects must be true or false",
                  "t.yaml:10:5: error: mac has no value",
              }));
}

TEST(ConfigTypes, ListsAndSections) {
    EXPECT_EQ(check(kTwoInterfaces + "routes: {prefix: 0.0.0.0/0}\nneighbors: 5\nicmp: [1]\n"),
              (Lines{
                  "t.yaml:9:9: error: routes must be a list",
                  "t.yaml:10:12: error: neighbors must be a list",
                  "t.yaml:11:7: error: icmp must be a mapping",
              }));
    EXPECT_EQ(check(kTwoInterfaces + "routes: [5]\nneighbors: [x]\n"),
              (Lines{
                  "t.yaml:9:10: error: each route must be a mapping",
                  "t.yaml:10:13: error: each neighbor must be a mapping",
              }));
    EXPECT_EQ(check("interfaces: [lan]\n"), Lines{"t.yaml:1:14: error: each interface must be a mapping"});
    EXPECT_EQ(check(kTwoInterfaces + "icmp:\n  rate_limit: 5\n"),
              Lines{"t.yaml:10:15: error: rate_limit must be a mapping"});
    EXPECT_EQ(check(kTwoInterfaces + "icmp:\n  rate_limit:\n    global: 5\n"),
              Lines{"t.yaml:11:13: error: global must be a mapping like {rate: 10, burst: 10}"});
}

TEST(ConfigTypes, RateLimits) {
    auto with_global = [](const std::string& v) {
        return check(kTwoInterfaces + "icmp:\n  rate_limit:\n    global: " + v + "\n");
    };
    // "    global: {" puts '{' at column 13, so "rate: " values start at 20.
    EXPECT_EQ(with_global("{rate: -1, burst: 5}"), Lines{"t.yaml:11:20: error: rate must be a non-negative number"});
    EXPECT_EQ(with_global("{rate: abc, burst: 5}"), Lines{"t.yaml:11:20: error: rate must be a non-negative number"});
    EXPECT_EQ(with_global("{rate: \"5\", burst: 5}"), Lines{"t.yaml:11:20: error: rate must be a non-negative number"});
    EXPECT_EQ(with_global("{rate: .nan, burst: 5}"), Lines{"t.yaml:11:20: error: rate must be a non-negative number"});
    EXPECT_EQ(with_global("{rate: 5, burst: -2}"), Lines{"t.yaml:11:30: error: burst must be a non-negative number"});
    EXPECT_EQ(with_global("{rate: 5, burst: 0}"),
              Lines{"t.yaml:11:30: error: burst must be at least 1 when rate is above 0"});
    EXPECT_EQ(with_global("{rate: 5, burst: 0.5}"),
              Lines{"t.yaml:11:30: error: burst must be at least 1 when rate is above 0"});
    EXPECT_EQ(with_global("{rate: 5}"), Lines{"t.yaml:11:13: error: icmp.rate_limit.global is missing required key 'burst'"});
    // rate 0 turns that kind of ICMP error off; burst then does not matter.
    EXPECT_EQ(with_global("{rate: 0}"), Lines{});
    EXPECT_EQ(with_global("{rate: 0, burst: 0}"), Lines{});
    EXPECT_EQ(with_global("{rate: 0.5, burst: 1}"), Lines{});
}

TEST(ConfigValues, MalformedValues) {
    EXPECT_EQ(check(kTwoInterfaces + R"(routes:
  - prefix: 10.0.0.0/33
    via: 10.1.0.256
  - prefix: 10.0.0.0
    action: drop
  - prefix: 10.0.0.0/x
    action: blackhole
neighbors:
  - address: 10.1.0
    mac: "02:00:00:00:00"
    interface: lan
)"),
              (Lines{
                  "t.yaml:10:13: error: prefix length 33 out of range 0..32",
                  "t.yaml:11:10: error: invalid IPv4 address '10.1.0.256'",
                  "t.yaml:12:13: error: invalid prefix '10.0.0.0' (expected A.B.C.D/N)",
                  "t.yaml:13:13: error: invalid route action 'drop' (expected forward, blackhole, unreachable or prohibit)",
                  "t.yaml:14:13: error: invalid prefix '10.0.0.0/x' (expected A.B.C.D/N)",
                  "t.yaml:17:14: error: invalid IPv4 address '10.1.0'",
                  "t.yaml:18:10: error: invalid MAC address '02:00:00:00:00'",
              }));
    EXPECT_EQ(check("interfaces:\n  - name: lan\n    device: d0\n    addresses: [\"10.1.0.1/24\"]\n    mac: 02-00-00-00-00-01\n"),
              Lines{"t.yaml:5:10: error: invalid MAC address '02-00-00-00-00-01'"});
    // An empty value is reported at its key; yaml-cpp would place it at the next token.
    EXPECT_EQ(check(kTwoInterfaces + "routes:\n  - prefix:\n    via: 10.1.0.2\n  - prefix: [1]\n    via:\n"),
              (Lines{
                  "t.yaml:10:5: error: prefix has no value",
                  "t.yaml:12:13: error: prefix must be a string like 10.1.0.0/24",
                  "t.yaml:13:5: error: via has no value",
              }));
}

// Every structural problem is reported in one run, in file order.
TEST(ConfigParse, ReportsEveryProblem) {
    EXPECT_EQ(check(R"(dpdk:
  workers: 0
interfaces:
  - name: lan
    device: d0
    addresses: ["10.1.0.1/24"]
    mtu: big
  - name: wan
    addresses: ["10.2.0.1/40"]
    colour: blue
routes:
  - prefix: 0.0.0.0/0
    via: 10.2.0.x
)"),
              (Lines{
                  "t.yaml:2:12: error: workers 0 out of range 1..64",
                  "t.yaml:7:10: error: mtu must be an integer",
                  "t.yaml:8:5: error: interface is missing required key 'device'",
                  "t.yaml:9:17: error: prefix length 40 out of range 0..32",
                  "t.yaml:10:5: error: unknown key 'colour' in interface",
                  "t.yaml:13:10: error: invalid IPv4 address '10.2.0.x'",
              }));
}

// Semantic checks run only on a structurally clean file: half-read items would only produce
// follow-on noise (here, a via that looks unreachable because its interface was not read).
TEST(ConfigParse, ValidationWaitsForCleanStructure) {
    EXPECT_EQ(check(R"(interfaces:
  - name: lan
    device: d0
    addresses: ["10.1.0.1/24"]
    mtuu: 1
routes:
  - prefix: 10.0.0.1/8
    via: 10.9.0.1
)"),
              Lines{"t.yaml:5:5: error: unknown key 'mtuu' in interface"});
}

// ---------------------------------------------------------------------------------------------
// Validation: interfaces

TEST(ConfigValidate, DuplicateInterfaceName) {
    EXPECT_EQ(check(R"(interfaces:
  - name: lan
    device: d0
    addresses: ["10.1.0.1/24"]
  - name: lan
    device: d1
    addresses: ["10.2.0.1/24"]
)"),
              Lines{"t.yaml:5:11: error: duplicate interface name 'lan' (first defined at line 2)"});
}

TEST(ConfigValidate, DuplicateInterfaceDevice) {
    EXPECT_EQ(check(R"(interfaces:
  - name: lan
    device: "net_af_packet0,iface=a"
    addresses: ["10.1.0.1/24"]
  - name: wan
    device: "net_af_packet0,iface=a"
    addresses: ["10.2.0.1/24"]
)"),
              Lines{"t.yaml:6:13: error: duplicate interface device 'net_af_packet0,iface=a' (first defined at line 3)"});
}

TEST(ConfigValidate, InterfaceNameRules) {
    auto with_name = [](const std::string& name) {
        return check("interfaces:\n  - name: " + name + "\n    device: d0\n    addresses: [\"10.1.0.1/24\"]\n");
    };
    EXPECT_EQ(with_name("Lan"), Lines{"t.yaml:2:11: error: invalid interface name 'Lan' (use a-z, 0-9, '_' and '-')"});
    EXPECT_EQ(with_name("\"la n\""), Lines{"t.yaml:2:11: error: invalid interface name 'la n' (use a-z, 0-9, '_' and '-')"});
    EXPECT_EQ(with_name("\"\""), Lines{"t.yaml:2:11: error: invalid interface name '' (use a-z, 0-9, '_' and '-')"});
    EXPECT_EQ(with_name("abcdefghijklmnop"),
              Lines{"t.yaml:2:11: error: interface name 'abcdefghijklmnop' is longer than 15 characters"});
    EXPECT_EQ(with_name("abcdefghijklmno"), Lines{});
    EXPECT_EQ(with_name("wan_0-a"), Lines{});
}

TEST(ConfigValidate, EmptyDevice) {
    EXPECT_EQ(check("interfaces:\n  - name: lan\n    device: \"\"\n    addresses: [\"10.1.0.1/24\"]\n"),
              Lines{"t.yaml:3:13: error: interface device must not be empty"});
}

TEST(ConfigValidate, MtuRange) {
    auto with_mtu = [](const std::string& v) {
        return check("interfaces:\n  - name: lan\n    device: d0\n    addresses: [\"10.1.0.1/24\"]\n    mtu: " + v +
                     "\n");
    };
    EXPECT_EQ(with_mtu("9001"), Lines{"t.yaml:5:10: error: mtu 9001 out of range 68..9000"});
    EXPECT_EQ(with_mtu("67"), Lines{"t.yaml:5:10: error: mtu 67 out of range 68..9000"});
    EXPECT_EQ(with_mtu("0"), Lines{"t.yaml:5:10: error: mtu 0 out of range 68..9000"});
    EXPECT_EQ(with_mtu("68"), Lines{});
    EXPECT_EQ(with_mtu("9000"), Lines{});
}

TEST(ConfigValidate, InterfaceMac) {
    auto with_mac = [](const std::string& v) {
        return check("interfaces:\n  - name: lan\n    device: d0\n    addresses: [\"10.1.0.1/24\"]\n    mac: \"" + v +
                     "\"\n");
    };
    EXPECT_EQ(with_mac("01:00:5e:00:00:01"),
              Lines{"t.yaml:5:10: error: interface MAC 01:00:5e:00:00:01 is a multicast address"});
    EXPECT_EQ(with_mac("FF:FF:FF:FF:FF:FF"),
              Lines{"t.yaml:5:10: error: interface MAC ff:ff:ff:ff:ff:ff is a multicast address"});
    EXPECT_EQ(with_mac("00:00:00:00:00:00"), Lines{"t.yaml:5:10: error: interface MAC 00:00:00:00:00:00 is all zeros"});
    EXPECT_EQ(with_mac("02:00:00:00:01:01"), Lines{});
}

TEST(ConfigValidate, InterfaceAddressMustBeAHost) {
    auto with_address = [](const std::string& a) {
        return check("interfaces:\n  - name: lan\n    device: d0\n    addresses: [\"" + a + "\"]\n");
    };
    EXPECT_EQ(with_address("10.1.0.0/24"), Lines{"t.yaml:4:17: error: address 10.1.0.0/24 is the network address"});
    EXPECT_EQ(with_address("10.1.0.255/24"), Lines{"t.yaml:4:17: error: address 10.1.0.255/24 is the broadcast address"});
    EXPECT_EQ(with_address("10.1.0.4/30"), Lines{"t.yaml:4:17: error: address 10.1.0.4/30 is the network address"});
    EXPECT_EQ(with_address("10.1.0.7/30"), Lines{"t.yaml:4:17: error: address 10.1.0.7/30 is the broadcast address"});
    EXPECT_EQ(with_address("128.0.0.0/1"), Lines{"t.yaml:4:17: error: address 128.0.0.0/1 is the network address"});
    EXPECT_EQ(with_address("10.1.0.1/0"),
              Lines{"t.yaml:4:17: error: address 10.1.0.1/0 has prefix length 0, which no interface can use"});
    EXPECT_EQ(with_address("127.0.0.1/8"), Lines{"t.yaml:4:17: error: address 127.0.0.1/8 is not a unicast host address"});
    EXPECT_EQ(with_address("0.1.2.3/8"), Lines{"t.yaml:4:17: error: address 0.1.2.3/8 is not a unicast host address"});
    EXPECT_EQ(with_address("224.0.0.1/24"), Lines{"t.yaml:4:17: error: address 224.0.0.1/24 is not a unicast host address"});
    EXPECT_EQ(with_address("240.0.0.1/24"), Lines{"t.yaml:4:17: error: address 240.0.0.1/24 is not a unicast host address"});
    // /31 (RFC 3021) and /32 have no network or broadcast address.
    EXPECT_EQ(with_address("10.1.0.0/31"), Lines{});
    EXPECT_EQ(with_address("10.1.0.1/31"), Lines{});
    EXPECT_EQ(with_address("10.1.0.0/32"), Lines{});
    EXPECT_EQ(with_address("10.1.0.1/30"), Lines{});
}

TEST(ConfigValidate, DuplicateAddress) {
    // Twice on one interface...
    EXPECT_EQ(check("interfaces:\n  - name: lan\n    device: d0\n    addresses: [\"10.1.0.1/24\", \"10.1.0.1/25\"]\n"),
              Lines{"t.yaml:4:32: error: duplicate address 10.1.0.1 (first defined at line 4)"});
    // ...and on two interfaces (reported once, not also as an overlap).
    EXPECT_EQ(check(R"(interfaces:
  - name: lan
    device: d0
    addresses: ["10.1.0.1/24"]
  - name: wan
    device: d1
    addresses: ["10.2.0.1/24", "10.1.0.1/24"]
)"),
              Lines{"t.yaml:7:32: error: duplicate address 10.1.0.1 (first defined at line 4)"});
}

TEST(ConfigValidate, OverlappingSubnets) {
    EXPECT_EQ(check(R"(interfaces:
  - name: lan
    device: d0
    addresses: ["10.1.0.1/24"]
  - name: wan
    device: d1
    addresses: ["10.1.0.129/25"]
  - name: dmz
    device: d2
    addresses: ["10.0.0.1/8"]
)"),
              (Lines{
                  "t.yaml:7:17: error: address 10.1.0.129/25 overlaps 10.1.0.1/24 on interface 'lan'",
                  "t.yaml:10:17: error: address 10.0.0.1/8 overlaps 10.1.0.1/24 on interface 'lan'",
              }));
    // Several addresses in one subnet on the same interface are fine (secondary addresses).
    EXPECT_EQ(check("interfaces:\n  - name: lan\n    device: d0\n    addresses: [\"10.1.0.1/24\", \"10.1.0.2/24\"]\n"),
              Lines{});
    // Adjacent subnets do not overlap.
    EXPECT_EQ(check(R"(interfaces:
  - name: lan
    device: d0
    addresses: ["10.1.0.1/25"]
  - name: wan
    device: d1
    addresses: ["10.1.0.129/25"]
)"),
              Lines{});
}

// ---------------------------------------------------------------------------------------------
// Validation: routes

TEST(ConfigValidate, RouteHostBits) {
    EXPECT_EQ(check(kTwoInterfaces + "routes:\n  - prefix: 10.9.0.1/24\n    via: 10.1.0.2\n"),
              Lines{"t.yaml:10:13: error: prefix 10.9.0.1/24 has host bits set"});
    EXPECT_EQ(check(kTwoInterfaces + "routes:\n  - prefix: 0.0.0.1/0\n    via: 10.1.0.2\n"),
              Lines{"t.yaml:10:13: error: prefix 0.0.0.1/0 has host bits set"});
    EXPECT_EQ(check(kTwoInterfaces + "routes:\n  - prefix: 10.9.0.1/32\n    via: 10.1.0.2\n"), Lines{});
}

TEST(ConfigValidate, DuplicateRoutePrefix) {
    EXPECT_EQ(check(kTwoInterfaces + R"(routes:
  - prefix: 10.9.0.0/16
    via: 10.1.0.2
  - prefix: 10.8.0.0/16
    action: blackhole
  - prefix: 10.9.0.0/16
    action: unreachable
)"),
              Lines{"t.yaml:14:13: error: duplicate route prefix 10.9.0.0/16 (first defined at line 10)"});
    // Same address, different length: different routes.
    EXPECT_EQ(check(kTwoInterfaces + "routes:\n  - {prefix: 10.9.0.0/16, action: blackhole}\n"
                                     "  - {prefix: 10.9.0.0/24, action: blackhole}\n"),
              Lines{});
}

// Duplicates are found by sorting (config_validate.cpp): each repeat names the first route of its
// prefix, in file order, however many repeats and whatever lies between them.
TEST(ConfigValidate, EveryRepeatOfAPrefixNamesItsFirstRoute) {
    EXPECT_EQ(check(kTwoInterfaces + "routes:\n"
                                     "  - {prefix: 10.9.0.0/16, action: blackhole}\n"   // line 10
                                     "  - {prefix: 10.7.0.0/16, action: blackhole}\n"
                                     "  - {prefix: 10.9.0.0/16, action: blackhole}\n"   // line 12
                                     "  - {prefix: 10.7.0.0/16, action: blackhole}\n"   // line 13
                                     "  - {prefix: 10.9.0.0/16, action: blackhole}\n"), // line 14
              (Lines{"t.yaml:12:14: error: duplicate route prefix 10.9.0.0/16 (first defined at line 10)",
                     "t.yaml:13:14: error: duplicate route prefix 10.7.0.0/16 (first defined at line 11)",
                     "t.yaml:14:14: error: duplicate route prefix 10.9.0.0/16 (first defined at line 10)"}));
}

TEST(ConfigValidate, ActionAndVia) {
    EXPECT_EQ(check(kTwoInterfaces + R"(routes:
  - prefix: 10.9.0.0/16
  - prefix: 10.8.0.0/16
    action: blackhole
    via: 10.1.0.2
  - prefix: 10.7.0.0/16
    via: 10.1.0.2
    action: unreachable
  - prefix: 10.6.0.0/16
    action: prohibit
    via: 10.1.0.2
)"),
              (Lines{
                  "t.yaml:10:5: error: route 10.9.0.0/16 has action forward but no via",
                  "t.yaml:13:10: error: route 10.8.0.0/16 with action blackhole must not have a via",
                  "t.yaml:15:10: error: route 10.7.0.0/16 with action unreachable must not have a via",
                  "t.yaml:19:10: error: route 10.6.0.0/16 with action prohibit must not have a via",
              }));
}

TEST(ConfigValidate, ViaMustBeReachable) {
    auto with_via = [](const std::string& via) {
        return check(kTwoInterfaces + "routes:\n  - prefix: 10.9.0.0/16\n    via: " + via + "\n");
    };
    EXPECT_EQ(with_via("10.9.0.1"), Lines{"t.yaml:11:10: error: via 10.9.0.1 is not reachable through any connected network"});
    EXPECT_EQ(with_via("10.2.0.1"), Lines{"t.yaml:11:10: error: via 10.2.0.1 is one of our own addresses"});
    EXPECT_EQ(with_via("10.2.0.0"), Lines{"t.yaml:11:10: error: via 10.2.0.0 is the network address of 10.2.0.0/24"});
    EXPECT_EQ(with_via("10.2.0.255"), Lines{"t.yaml:11:10: error: via 10.2.0.255 is the broadcast address of 10.2.0.0/24"});
    EXPECT_EQ(with_via("10.2.0.254"), Lines{});
    EXPECT_EQ(with_via("10.1.0.2"), Lines{});
}

TEST(ConfigValidate, ViaOnPointToPointLinks) {
    auto with = [](const std::string& address, const std::string& via) {
        return check("interfaces:\n  - name: p2p\n    device: d0\n    addresses: [\"" + address +
                     "\"]\nroutes:\n  - prefix: 0.0.0.0/0\n    via: " + via + "\n");
    };
    EXPECT_EQ(with("10.1.0.0/31", "10.1.0.1"), Lines{});
    EXPECT_EQ(with("10.1.0.1/31", "10.1.0.0"), Lines{});
    // A /32 reaches nobody but itself.
    EXPECT_EQ(with("10.1.0.1/32", "10.1.0.2"),
              Lines{"t.yaml:7:10: error: via 10.1.0.2 is not reachable through any connected network"});
}

// ---------------------------------------------------------------------------------------------
// Validation: neighbours

TEST(ConfigValidate, NeighborUnknownInterface) {
    EXPECT_EQ(check(kTwoInterfaces + "neighbors:\n  - address: 10.1.0.2\n    mac: \"02:00:00:00:00:01\"\n    interface: foo\n"),
              Lines{"t.yaml:12:16: error: neighbor interface 'foo' is not defined"});
}

TEST(ConfigValidate, NeighborMustBeOnInterfaceSubnet) {
    auto with = [](const std::string& address, const std::string& ifc) {
        return check(kTwoInterfaces + "neighbors:\n  - address: " + address + "\n    mac: \"02:00:00:00:00:01\"\n    interface: " +
                     ifc + "\n");
    };
    EXPECT_EQ(with("10.2.0.2", "lan"),
              Lines{"t.yaml:10:14: error: neighbor 10.2.0.2 is not on a connected network of interface 'lan'"});
    EXPECT_EQ(with("10.1.0.1", "lan"), Lines{"t.yaml:10:14: error: neighbor 10.1.0.1 is one of our own addresses"});
    EXPECT_EQ(with("10.2.0.1", "lan"), Lines{"t.yaml:10:14: error: neighbor 10.2.0.1 is one of our own addresses"});
    EXPECT_EQ(with("10.1.0.255", "lan"),
              Lines{"t.yaml:10:14: error: neighbor 10.1.0.255 is the broadcast address of 10.1.0.0/24"});
    EXPECT_EQ(with("10.1.0.0", "lan"), Lines{"t.yaml:10:14: error: neighbor 10.1.0.0 is the network address of 10.1.0.0/24"});
    EXPECT_EQ(with("10.2.0.2", "wan"), Lines{});
}

TEST(ConfigValidate, DuplicateNeighbor) {
    EXPECT_EQ(check(kTwoInterfaces + R"(neighbors:
  - address: 10.1.0.2
    mac: "02:00:00:00:00:01"
    interface: lan
  - address: 10.1.0.3
    mac: "02:00:00:00:00:01"
    interface: lan
  - address: 10.1.0.2
    mac: "02:00:00:00:00:02"
    interface: lan
)"),
              Lines{"t.yaml:16:14: error: duplicate neighbor 10.1.0.2 on interface 'lan' (first defined at line 10)"});
}

TEST(ConfigValidate, NeighborMac) {
    auto with_mac = [](const std::string& m) {
        return check(kTwoInterfaces + "neighbors:\n  - address: 10.1.0.2\n    mac: \"" + m + "\"\n    interface: lan\n");
    };
    EXPECT_EQ(with_mac("01:00:5e:01:02:03"), Lines{"t.yaml:11:10: error: neighbor MAC 01:00:5e:01:02:03 is a multicast address"});
    EXPECT_EQ(with_mac("ff:ff:ff:ff:ff:ff"), Lines{"t.yaml:11:10: error: neighbor MAC ff:ff:ff:ff:ff:ff is a multicast address"});
    EXPECT_EQ(with_mac("00:00:00:00:00:00"), Lines{"t.yaml:11:10: error: neighbor MAC 00:00:00:00:00:00 is all zeros"});
}

// Semantic errors from different sections come out together, in file order.
TEST(ConfigValidate, ReportsEverySemanticProblemInOrder) {
    EXPECT_EQ(check(R"(interfaces:
  - name: lan
    device: d0
    addresses: ["10.1.0.0/24"]
    mtu: 9001
  - name: lan
    device: d1
    addresses: ["10.2.0.1/24"]
routes:
  - prefix: 10.9.0.1/16
    via: 10.8.0.1
neighbors:
  - address: 10.2.0.2
    mac: "02:00:00:00:00:01"
    interface: dmz
)"),
              (Lines{
                  "t.yaml:4:17: error: address 10.1.0.0/24 is the network address",
                  "t.yaml:5:10: error: mtu 9001 out of range 68..9000",
                  "t.yaml:6:11: error: duplicate interface name 'lan' (first defined at line 2)",
                  "t.yaml:10:13: error: prefix 10.9.0.1/16 has host bits set",
                  "t.yaml:11:10: error: via 10.8.0.1 is not reachable through any connected network",
                  "t.yaml:15:16: error: neighbor interface 'dmz' is not defined",
              }));
}

// validate_config on a config built in code: positions fall back to the item's.
TEST(ConfigValidate, BuiltInCodeFallsBackToItemPositions) {
    Config c;
    c.file = "built";
    InterfaceConfig lan;
    lan.name = "lan";
    lan.device = "d0";
    lan.mtu = 10000;
    lan.pos = SourcePos{3, 5};
    lan.addresses.push_back(InterfaceAddress{pfx("10.1.0.1/24"), SourcePos{4, 7}});
    c.interfaces.push_back(lan);
    RouteConfig r;
    r.prefix = Ipv4Prefix{ip("10.9.0.0"), 33};
    r.action = RouteAction::blackhole;
    r.pos = SourcePos{8, 5};
    c.routes.push_back(r);
    NeighborConfig n;
    n.address = ip("10.1.0.9");
    n.mac = mac("02:00:00:00:00:09");
    n.interface = "lan";
    n.pos = SourcePos{9, 5};
    c.neighbors.push_back(n);
    c.neighbors.push_back(n);

    std::vector<std::string> got;
    for (const auto& e : validate_config(c)) got.push_back(e.to_string());
    EXPECT_EQ(got, (Lines{
                       "built:3:5: error: mtu 10000 out of range 68..9000",
                       "built:8:5: error: prefix length 33 out of range 0..32",
                       "built:9:5: error: duplicate neighbor 10.1.0.9 on interface 'lan' (first defined at line 9)",
                   }));

    InterfaceConfig empty;
    empty.name = "x";
    empty.device = "d1";
    empty.pos = SourcePos{5, 5};
    c.interfaces.push_back(empty);
    c.neighbors.clear();
    c.routes.clear();
    c.interfaces[0].mtu = 1500;
    got.clear();
    for (const auto& e : validate_config(c)) got.push_back(e.to_string());
    EXPECT_EQ(got, Lines{"built:5:5: error: interface needs at least one address"});
}

}  // namespace
}  // namespace dprouter
