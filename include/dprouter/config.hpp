// Plain configuration structs, filled from YAML by the parser and checked by the validator.
// Nothing here touches DPDK: `dprouter --check` runs without root or hugepages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dprouter/limits.hpp"
#include "dprouter/net.hpp"

namespace dprouter {

// Ranges the parser and validator enforce (documented in docs/configuration.md).
namespace config_limits {
inline constexpr unsigned min_mtu = 68;                // RFC 791: every IPv4 link carries 68 octets
inline constexpr unsigned min_mtu_ipv6 = 1280;         // RFC 8200 5: every IPv6 link carries 1280 octets
inline constexpr unsigned max_mtu = 9000;              // common jumbo-frame ceiling
inline constexpr unsigned max_workers = kMaxWorkers;  // worker lcores the dataplane can run
inline constexpr std::size_t max_interfaces = kMaxPorts;           // ports the dataplane can drive
inline constexpr std::size_t max_addresses = kMaxAddrsPerInterface;  // kept per interface in the fast table
inline constexpr unsigned min_mbufs = 1024;            // dpdk.mbufs: below this nothing runs
inline constexpr unsigned max_mbufs = 16777215;        // 2^24 - 1: pools of 2 KiB mbufs up to 32 GiB
inline constexpr std::size_t max_interface_name = 15;  // IFNAMSIZ - 1, like Linux interface names
// `tcp_mss_clamp: true` clamps to mtu - 40, which must not fall below the smallest clamp accepted.
inline constexpr unsigned min_mss_clamp = 64;
inline constexpr unsigned min_mtu_for_mss_clamp = min_mss_clamp + 40;
// ICMP token buckets: rate (per second) and burst. The table builder keeps them in thousandths
// in 64 bits; a million a second is far beyond any sensible ICMP error rate.
inline constexpr double max_icmp_rate = 1e6;
inline constexpr double max_icmp_burst = 1e6;
// Parsing hostile files: yaml-cpp shares aliased nodes, but everything that walks the tree walks
// an alias as often as it is used, so aliases are counted and the nodes they add are bounded.
inline constexpr std::size_t max_alias_uses = 1000;
inline constexpr std::size_t max_alias_nodes = 10000;  // nodes aliases may add beyond those written
// A route-list file (`routes_file:`) of at most 1 GiB: about 30 million routes.
inline constexpr unsigned long long max_routes_file_bytes = 1ull << 30;
// `--check` and the log print the first errors (by position) and then how many more there were.
inline constexpr std::size_t max_errors_reported = 100;
// dpdk.idle_max_us: the longest sleep of an idle worker; beyond 100 ms a ping would notice.
inline constexpr unsigned max_idle_us = 100000;
// control_plane.socket must fit sockaddr_un::sun_path with its terminating NUL.
inline constexpr std::size_t max_socket_path = 107;
// rx_descriptors / tx_descriptors: powers of two in this range; the device's own limits
// (rte_eth_dev_info desc_lim) are checked when the port starts.
inline constexpr unsigned min_descriptors = 64;
inline constexpr unsigned max_descriptors = 32768;
// control_plane.max_routes / max_routes6: routes beyond the file's the live FIB has room for. A
// full IPv4 Internet table is about 1,000,000 routes, IPv6 about 200,000; the upper bounds are
// far beyond both (the start-up memory check refuses what the EAL memory cannot hold).
inline constexpr unsigned max_live_routes = 1u << 24;
inline constexpr unsigned max_live_routes6 = 1u << 22;
}  // namespace config_limits

// Where a value came from in the YAML file (1-based, as editors show it).
struct SourcePos {
    int line = 0;
    int column = 0;
};

// What a worker does when its queues are empty (`dpdk.idle`): keep polling (NIC deployments), or
// back off in sleeps of up to `idle_max_us` (labs of many routers on few CPUs).
enum class IdleMode : uint8_t { poll, sleep };

struct DpdkConfig {
    std::vector<std::string> eal_args;
    unsigned workers = 1;  // 1..RTE_MAX_LCORE-1
    unsigned mbufs = 0;    // packet mbufs in the pool; 0: sized by the router (never fewer than that)
    IdleMode idle = IdleMode::poll;
    unsigned idle_max_us = 100;  // 1..config_limits::max_idle_us, with idle: sleep
    SourcePos idle_pos;
    SourcePos idle_max_us_pos;
};

// `control_plane:` (../shared/design.md "Linux control plane"): kernel mirror interfaces, routes
// imported from the kernel, and the Unix socket dprouterctl talks to.
struct ControlPlaneConfig {
    bool mirror = false;         // one kernel interface per port, named after the interface
    bool import_routes = false;  // routes the kernel holds on mirror interfaces go to the FIB live
    std::string socket = "/run/dprouter.sock";  // dprouterctl's socket; empty: none
    // Room in the live FIB for routes beyond the file's (imported, cli); 0: the default
    // (live_fib_limits: 262,144 / 65,536 with import_routes, 65,536 / 16,384 without).
    unsigned max_routes = 0;
    unsigned max_routes6 = 0;
    SourcePos pos;
    SourcePos mirror_pos;
    SourcePos import_routes_pos;
    SourcePos socket_pos;
    SourcePos max_routes_pos;
    SourcePos max_routes6_pos;
};

// `metrics:` (../shared/design.md "Metrics"): an OpenMetrics endpoint at http://listen/metrics.
struct MetricsConfig {
    std::string listen;  // "ADDR:PORT" or "[ADDR6]:PORT" as written; empty: no endpoint
    SourcePos listen_pos;
};

struct InterfaceAddress {
    Ipv4Prefix prefix;  // address with its prefix length, e.g. 10.1.0.1/24
    SourcePos pos;
};

// An IPv6 entry of `addresses` (the list holds both families; the parser sorts them).
struct InterfaceAddress6 {
    Ipv6Prefix prefix;  // e.g. 2001:db8:1::1/64
    SourcePos pos;
};

struct InterfaceConfig {
    std::string name;
    std::string device;  // vdev devargs ("net_af_packet0,iface=x") or PCI address
    std::vector<InterfaceAddress> addresses;     // the IPv4 entries of `addresses`
    std::vector<InterfaceAddress6> addresses6;   // the IPv6 entries; the link-local fe80::/64 address
                                                 // derived from the MAC is added by the table
                                                 // builder unless a link-local one is listed here
    unsigned mtu = 1500;  // IP MTU, 68..9000
    bool has_mac = false;
    MacAddr mac;
    bool icmp_redirects = true;
    // Path MTU Discovery lab knobs (docs/pmtud-lab.md).
    unsigned tcp_mss_clamp = 0;    // 0: off; else the MSS SYNs crossing this interface are clamped to
    bool pmtud_blackhole = false;  // drop too-big DF datagrams leaving here without ICMP
    bool has_advertised_mtu = false;
    unsigned advertised_mtu = 0;   // next-hop MTU reported in frag needed instead of `mtu`
    // Descriptor ring sizes of each RX / TX queue (power of two); 0: the router's default (1024,
    // adjusted to the device).
    unsigned rx_descriptors = 0;
    unsigned tx_descriptors = 0;
    SourcePos pos;
    SourcePos mss_clamp_pos;
    // Positions of individual values, so messages point at the offending one (0:0 when the value
    // was not written in the file; messages then fall back to `pos`).
    SourcePos name_pos;
    SourcePos device_pos;
    SourcePos mtu_pos;
    SourcePos mac_pos;
};

enum class RouteAction : uint8_t { forward, blackhole, unreachable, prohibit };

struct RouteConfig {
    Ipv4Prefix prefix;
    RouteAction action = RouteAction::forward;
    bool has_via = false;
    Ipv4 via = 0;
    // ECMP, `via: [A, B, ...]`: `via` is A, the others follow here (empty for `via: A`).
    std::vector<Ipv4> more_via;
    std::vector<SourcePos> more_via_pos;
    // Optional `interface:`: must name the interface whose subnet holds `via` (the table builder
    // finds it through the connected routes either way); empty when not written.
    std::string interface;
    SourcePos pos;
    SourcePos prefix_pos;  // value positions; 0:0 falls back to `pos`
    SourcePos via_pos;
    SourcePos interface_pos;
    bool from_routes_file = false;  // positions are in Config::routes_file, not Config::file
};

// An IPv6 route: same keys as IPv4 (`prefix`, `via`, `action`), plus `interface`, required when
// `via` is link-local (fe80::/10 is on every link) and optional otherwise.
struct Route6Config {
    Ipv6Prefix prefix;
    RouteAction action = RouteAction::forward;
    bool has_via = false;
    Ipv6 via;
    std::vector<Ipv6> more_via;  // ECMP: the paths after the first, as for IPv4
    std::vector<SourcePos> more_via_pos;
    std::string interface;  // empty: the interface whose connected subnet holds `via`
    SourcePos pos;
    SourcePos prefix_pos;
    SourcePos via_pos;
    SourcePos interface_pos;
    bool from_routes_file = false;
};

struct NeighborConfig {
    Ipv4 address = 0;
    MacAddr mac;
    std::string interface;
    SourcePos pos;
    SourcePos address_pos;  // value positions; 0:0 falls back to `pos`
    SourcePos mac_pos;
    SourcePos interface_pos;
};

struct Neighbor6Config {
    Ipv6 address;
    MacAddr mac;
    std::string interface;
    SourcePos pos;
    SourcePos address_pos;
    SourcePos mac_pos;
    SourcePos interface_pos;
};

struct TokenBucketConfig {
    double rate = 0;   // tokens per second
    double burst = 0;  // bucket depth
};

struct IcmpRateLimitConfig {
    TokenBucketConfig global{1000, 50};
    TokenBucketConfig per_destination{10, 10};
    // Frag needed (3/4) draws on its own budget and skips the per-destination one, so that a flood of
    // other errors cannot starve Path MTU Discovery.
    TokenBucketConfig frag_needed{1000, 100};
};

struct IcmpConfig {
    IcmpRateLimitConfig rate_limit;
};

struct Config {
    std::string file;  // path the config was read from, for messages
    std::string routes_file;  // `routes_file:` as resolved (relative to the YAML file's directory); empty if none
    DpdkConfig dpdk;
    std::vector<InterfaceConfig> interfaces;
    std::vector<RouteConfig> routes;          // IPv4 entries of `routes` (and of the routes file)
    std::vector<Route6Config> routes6;        // IPv6 entries
    std::vector<NeighborConfig> neighbors;    // IPv4 entries of `neighbors`
    std::vector<Neighbor6Config> neighbors6;  // IPv6 entries
    IcmpConfig icmp;
    ControlPlaneConfig control_plane;
    MetricsConfig metrics;
};

struct ConfigError {
    std::string file;
    SourcePos pos;
    std::string message;
    // "FILE:LINE:COLUMN: error: MESSAGE" on one line: control characters in the message (a value
    // quoted from the file may hold a newline) are escaped as \xNN.
    std::string to_string() const;
};

struct ConfigResult {
    Config config;
    std::vector<ConfigError> errors;  // empty means valid
    bool ok() const { return errors.empty(); }
};

// The lines `--check` prints: at most config_limits::max_errors_reported errors (they come sorted by
// position), then "FILE:LINE:COL: error: ... and N more errors" at the first one left out.
std::vector<std::string> error_lines(const std::vector<ConfigError>& errors);

// Parses YAML text (file is used only in messages) and validates it. Never throws.
ConfigResult parse_config_text(const std::string& text, const std::string& file);
// Reads the file and does the same; an unreadable file is one error at 0:0. A `routes_file:`
// named in the file is read too; its errors name that file.
ConfigResult load_config_file(const std::string& path);
// Reads a whole file into `out`; on failure returns why ("no such file or directory").
std::optional<std::string> read_whole_file(const std::string& path, std::string& out);
// Semantic checks on structurally valid config (duplicates, reachability, address sanity).
// parse_config_text calls it when the file parsed cleanly; a config built in code can use it
// directly. Errors come sorted by position.
std::vector<ConfigError> validate_config(const Config& config);

}  // namespace dprouter
