// Plain configuration structs, filled from YAML by the parser and checked by the validator.
// Nothing here touches DPDK: `dprouter --check` runs without root or hugepages.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dprouter/net.hpp"

namespace dprouter {

// Where a value came from in the YAML file (1-based, as editors show it).
struct SourcePos {
    int line = 0;
    int column = 0;
};

struct DpdkConfig {
    std::vector<std::string> eal_args;
    unsigned workers = 1;  // 1..RTE_MAX_LCORE-1
};

struct InterfaceAddress {
    Ipv4Prefix prefix;  // address with its prefix length, e.g. 10.1.0.1/24
    SourcePos pos;
};

struct InterfaceConfig {
    std::string name;
    std::string device;  // vdev devargs ("net_af_packet0,iface=x") or PCI address
    std::vector<InterfaceAddress> addresses;
    unsigned mtu = 1500;  // IP MTU, 68..9000
    bool has_mac = false;
    MacAddr mac;
    bool icmp_redirects = true;
    SourcePos pos;
};

enum class RouteAction : uint8_t { forward, blackhole, unreachable, prohibit };

struct RouteConfig {
    Ipv4Prefix prefix;
    RouteAction action = RouteAction::forward;
    bool has_via = false;
    Ipv4 via = 0;
    SourcePos pos;
};

struct NeighborConfig {
    Ipv4 address = 0;
    MacAddr mac;
    std::string interface;
    SourcePos pos;
};

struct TokenBucketConfig {
    double rate = 0;   // tokens per second
    double burst = 0;  // bucket depth
};

struct IcmpRateLimitConfig {
    TokenBucketConfig global{1000, 50};
    TokenBucketConfig per_destination{10, 10};
};

struct IcmpConfig {
    IcmpRateLimitConfig rate_limit;
};

struct Config {
    std::string file;  // path the config was read from, for messages
    DpdkConfig dpdk;
    std::vector<InterfaceConfig> interfaces;
    std::vector<RouteConfig> routes;
    std::vector<NeighborConfig> neighbors;
    IcmpConfig icmp;
};

struct ConfigError {
    std::string file;
    SourcePos pos;
    std::string message;
    // "FILE:LINE:COLUMN: error: MESSAGE"
    std::string to_string() const;
};

struct ConfigResult {
    Config config;
    std::vector<ConfigError> errors;  // empty means valid
    bool ok() const { return errors.empty(); }
};

// Parses YAML text (file is used only in messages) and validates it. Never throws.
ConfigResult parse_config_text(const std::string& text, const std::string& file);
// Reads the file and does the same; an unreadable file is one error at 0:0.
ConfigResult load_config_file(const std::string& path);

}  // namespace dprouter
