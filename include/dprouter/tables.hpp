// The forwarding tables the workers read. The control thread builds a whole new Tables object for
// every configuration change, publishes it with one atomic pointer store, and frees the old one only
// after every worker has reported a quiescent state (rte_rcu_qsbr). Workers never lock.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include <rte_ether.h>
#include <rte_fib.h>
#include <rte_fib6.h>

#include "dprouter/config.hpp"
#include "dprouter/icmp.hpp"
#include "dprouter/limits.hpp"
#include "dprouter/route_store.hpp"

namespace dprouter {

// A resolved link-layer address packed into one word so that it can be read and written atomically:
// bytes 0..5 the MAC as it goes on the wire, byte 7 the state.
enum class NeighborState : uint8_t { incomplete = 0, reachable = 1, failed = 2 };

struct PackedNeighbor {
    uint64_t word = 0;

    // The MAC occupies the word's first six bytes in memory order (x86 and ARM are little-endian),
    // so packing and unpacking are plain 6-byte copies.
    static_assert(std::endian::native == std::endian::little);
    static PackedNeighbor make(const rte_ether_addr& mac, NeighborState state) {
        PackedNeighbor p;
        std::memcpy(&p.word, mac.addr_bytes, RTE_ETHER_ADDR_LEN);
        p.word |= uint64_t{static_cast<uint8_t>(state)} << 56;
        return p;
    }
    NeighborState state() const { return static_cast<NeighborState>(word >> 56); }
    void copy_mac(rte_ether_addr* out) const { std::memcpy(out->addr_bytes, &word, RTE_ETHER_ADDR_LEN); }
};

enum class NextHopAction : uint8_t {
    forward,      // out of `port`, to `gateway` (or to the destination itself when gateway is 0)
    local,        // one of our addresses: deliver to the router
    broadcast,    // the directed broadcast of a connected subnet: never forwarded
    blackhole,    // drop silently
    unreachable,  // drop; ICMP 3/1
    prohibit,     // drop; ICMP 3/13
    // ECMP (live FIB only): `n_paths` member next hops, indices in the family's `groups` array
    // at [slot * kMaxEcmpPaths]; the dataplane picks one by a flow hash (route_lookup.hpp).
    multipath,
};

// What a configured route's action becomes in the FIB (both families).
constexpr NextHopAction next_hop_action(RouteAction a) {
    switch (a) {
    case RouteAction::forward: return NextHopAction::forward;
    case RouteAction::blackhole: return NextHopAction::blackhole;
    case RouteAction::unreachable: return NextHopAction::unreachable;
    case RouteAction::prohibit: return NextHopAction::prohibit;
    }
    return NextHopAction::blackhole;
}

struct alignas(RTE_CACHE_LINE_SIZE / 2) NextHop {
    NextHopAction action = NextHopAction::forward;
    uint8_t n_paths = 0;  // multipath: its members (2..kMaxEcmpPaths)
    uint16_t port = 0;
    uint32_t gateway_be = 0;  // 0: connected, resolve the destination itself
    // For gateways: the gateway's link-layer address, kept current by the control thread so that the
    // hot path needs no neighbour-table lookup for routed traffic.
    std::atomic<uint64_t> l2{0};
};

// An IPv6 next hop: the same actions as IPv4; the gateway is an IPv6 address (often link-local,
// RFC 4861 8: routers advertise and redirect with link-local addresses), all zeros when the
// destination is on-link.
struct alignas(32) NextHop6 {
    NextHopAction action = NextHopAction::forward;
    uint8_t n_paths = 0;  // multipath: its members (2..kMaxEcmpPaths)
    uint16_t port = 0;
    uint8_t gateway[16]{};  // network order; all zero: connected
    std::atomic<uint64_t> l2{0};  // the gateway's PackedNeighbor, kept current by the control thread
    bool has_gateway() const {
        uint64_t a, b;
        std::memcpy(&a, gateway, 8);
        std::memcpy(&b, gateway + 8, 8);
        return (a | b) != 0;
    }
};

// IPv6 addresses of an interface beyond the IPv4 ones: [0] is always the link-local address
// (listed in the config, or derived from the MAC by modified EUI-64), the configured ones follow.
inline constexpr unsigned kMaxAddrs6PerInterface = kMaxAddrsPerInterface + 1;

struct InterfaceEntry {
    bool in_use = false;
    bool icmp_redirects = true;
    bool pmtud_blackhole = false;  // lab knob: too-big DF datagrams vanish without ICMP
    bool tx_multi_seg = true;      // the PMD sends chained mbufs (fragments by reference)
    uint16_t mtu = 1500;
    bool has_advertised_mtu = false;  // lab knob: report advertised_mtu (even 0) in frag needed
    uint16_t advertised_mtu = 0;
    uint16_t tcp_mss_clamp = 0;    // lab knob: clamp the MSS of SYNs crossing this interface; 0 = off
    bool punt = false;             // control_plane.mirror: what the dataplane does not answer goes to the kernel
    rte_ether_addr mac{};
    uint8_t n_addrs = 0;
    uint32_t addr_be[kMaxAddrsPerInterface]{};  // our addresses on this interface
    uint32_t mask_be[kMaxAddrsPerInterface]{};
    // IPv6 runs on the interface when its MTU is at least 1280 (RFC 8200 5); then it has at
    // least its link-local address.
    bool ipv6 = false;
    uint8_t n_addrs6 = 0;
    uint8_t plen6[kMaxAddrs6PerInterface]{};
    uint8_t addr6[kMaxAddrs6PerInterface][16]{};  // network order; [0] link-local
    const uint8_t* link_local() const { return addr6[0]; }
};

// What the FIB answers for a destination no route covers (it is the fib's default_nh). The FIB
// stores next hops in 4 bytes (RTE_FIB_DIR24_8_4B) of which DIR-24-8 reserves the top bit to mark
// tbl8 references, so 2^31 - 1 is the largest value it can hold: the sentinel takes it, and real
// next-hop indices are 0 .. kNoRouteIndex - 1. A default route (0.0.0.0/0) is an ordinary route.
inline constexpr uint64_t kNoRouteIndex = (uint64_t{1} << 31) - 1;
inline constexpr uint64_t kMaxNextHops = kNoRouteIndex;
// Room the FIB is created with beyond the table it is built from, for routes added in place later
// (live updates): routes, and tbl8 groups (one per /24 that gets its first prefix longer than /24).
inline constexpr uint32_t kRouteHeadroom = 65536;
inline constexpr uint32_t kTbl8Headroom = 4096;
// The IPv6 FIB (rte_fib6 TRIE) stores next hops in 4 bytes, like the IPv4 one. Not 2: the TRIE
// numbers its tbl8 groups with next-hop values, so 2-byte entries cap the pool at 32767 groups,
// and since a route reserves one group per byte below /24 that is about 9,000 /48../64 routes
// (docs/benchmarking.md "IPv6 FIB"). 4 bytes cost a 64 MiB tbl24 and 1 KiB per group. The top bit
// marks tbl8 references, so the sentinel is 2^31 - 1.
inline constexpr uint64_t kNoRoute6Index = (uint64_t{1} << 31) - 1;
inline constexpr uint64_t kMaxNextHops6 = kNoRoute6Index;
// It is sized the same way: routes, and tbl8 groups of 256 entries
// (a prefix of length L > 24 takes up to ceil((L - 24) / 8) of them).
inline constexpr uint32_t kRoute6Headroom = 16384;
inline constexpr uint32_t kTbl8Headroom6 = 4096;
// The TRIE's pool holds at most as many tbl8 groups as its largest next-hop value, and it is filled
// by reservation (table_builder6.cpp); memory runs out long before this bound.
inline constexpr uint64_t kMaxTbl8Groups6 = kNoRoute6Index;

struct Tables {
    uint64_t generation = 0;
    rte_fib* fib = nullptr;        // destination (host order) -> index into nexthops, or kNoRouteIndex
    NextHop* nexthops = nullptr;   // rte_zmalloc'd array, one per distinct (action, port, gateway)
    // Live FIB (live_fib.hpp): ECMP members, kMaxEcmpPaths next-hop indices per multipath slot
    // (groups4[slot * kMaxEcmpPaths + k]); null in tables build_tables made.
    const uint32_t* groups4 = nullptr;
    const uint32_t* groups6 = nullptr;
    // Set by the live FIB: the FIBs and next-hop arrays are its own, free_tables leaves them alone.
    bool fib_shared = false;
    uint32_t n_nexthops = 0;
    uint32_t n_routes = 0;         // prefixes in the table: routes, connected subnets, own and broadcast addresses
    uint32_t n_tbl8 = 0;           // DIR-24-8 tbl8 groups the fib was created with (sizing, tests)
    const char* fib_lookup = "";   // the lookup implementation rte_fib_select_lookup chose, for the log
    uint16_t n_ports = 0;
    InterfaceEntry ifaces[kMaxPorts];
    IcmpLimits icmp_limits;  // router-wide; each worker applies its share
    // Our own addresses, for refusing datagrams that arrive claiming one as their source (Linux
    // counts them as martians). A 256-bit filter on the last octet keeps the common case to one test.
    uint64_t local_filter[4]{};
    uint32_t n_local = 0;
    uint32_t local_be[kMaxPorts * kMaxAddrsPerInterface]{};

    bool is_local_source(uint32_t src_be) const {
        const uint8_t last = static_cast<uint8_t>(rte_be_to_cpu_32(src_be));
        if (!(local_filter[last >> 6] & (uint64_t{1} << (last & 63)))) [[likely]] return false;
        for (uint32_t i = 0; i < n_local; ++i)
            if (local_be[i] == src_be) return true;
        return false;
    }

    // IPv6: destination (16 bytes, network order) -> index into nexthops6, or kNoRoute6Index.
    // Holds configured routes, connected prefixes and our global addresses (/128, action local).
    // Link-local addresses are not in it: fe80::/10 exists on every link, so the input stage
    // settles link-local destinations by the receiving interface (RFC 4007 scope rules).
    rte_fib6* fib6 = nullptr;
    NextHop6* nexthops6 = nullptr;
    uint32_t n_nexthops6 = 0;
    uint32_t n_routes6 = 0;
    uint32_t n_tbl8_6 = 0;
    const char* fib6_lookup = "";
    // Our IPv6 addresses (link-local ones included), for the "not one of ours as a source" test
    // and for local delivery; a filter on the last byte keeps the common case to one test.
    uint64_t local6_filter[4]{};
    uint32_t n_local6 = 0;
    uint8_t local6[kMaxPorts * kMaxAddrs6PerInterface][16]{};

    bool is_local6(const uint8_t* a) const {
        const uint8_t last = a[15];
        if (!(local6_filter[last >> 6] & (uint64_t{1} << (last & 63)))) [[likely]] return false;
        for (uint32_t i = 0; i < n_local6; ++i)
            if (std::memcmp(local6[i], a, 16) == 0) return true;
        return false;
    }
    // Is `a` one of our IPv6 addresses on interface `port` (link-local included)?
    bool owns6_on(uint16_t port, const uint8_t* a) const {
        const InterfaceEntry& e = ifaces[port];
        for (unsigned i = 0; i < e.n_addrs6; ++i)
            if (std::memcmp(e.addr6[i], a, 16) == 0) return true;
        return false;
    }
    // Is `a` on one of the connected IPv6 prefixes of interface `port` (fe80::/64 included)?
    bool on_link6(uint16_t port, const uint8_t* a) const {
        const InterfaceEntry& e = ifaces[port];
        for (unsigned i = 0; i < e.n_addrs6; ++i)
            if (prefix6_match(e.addr6[i], a, e.plen6[i])) return true;
        return false;
    }
    // The source for a message we send out of `port` to `peer` (RFC 4443 2.2, RFC 6724 rule 2 in
    // its simplest form): a link-local peer gets our link-local address; otherwise the global
    // address whose prefix holds the peer, else the first global one, else the link-local one.
    const uint8_t* source6_for(uint16_t port, const uint8_t* peer) const {
        const InterfaceEntry& e = ifaces[port];
        const bool peer_ll = peer[0] == 0xfe && (peer[1] & 0xc0) == 0x80;
        if (peer_ll || e.n_addrs6 <= 1) return e.addr6[0];
        for (unsigned i = 1; i < e.n_addrs6; ++i)
            if (prefix6_match(e.addr6[i], peer, e.plen6[i])) return e.addr6[i];
        return e.addr6[1];
    }
    static bool prefix6_match(const uint8_t* a, const uint8_t* b, unsigned len) {
        const unsigned full = len / 8;
        if (std::memcmp(a, b, full) != 0) return false;
        const unsigned rest = len % 8;
        if (rest == 0) return true;
        const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
        return ((a[full] ^ b[full]) & mask) == 0;
    }

    // Is `addr_be` one of our addresses on interface `port`?
    bool owns_on(uint16_t port, uint32_t addr_be) const {
        const InterfaceEntry& e = ifaces[port];
        for (unsigned i = 0; i < e.n_addrs; ++i)
            if (e.addr_be[i] == addr_be) return true;
        return false;
    }
    // Our address on interface `port` to use when talking to `peer_be`: the one whose subnet holds the
    // peer, else the first (RFC 1812 4.3.2.4: an address of the interface the message leaves by).
    uint32_t source_for(uint16_t port, uint32_t peer_be) const {
        const InterfaceEntry& e = ifaces[port];
        for (unsigned i = 0; i < e.n_addrs; ++i)
            if ((peer_be & e.mask_be[i]) == (e.addr_be[i] & e.mask_be[i])) return e.addr_be[i];
        return e.n_addrs ? e.addr_be[0] : 0;
    }
    // Are both addresses on one and the same subnet of interface `port`?
    bool same_subnet(uint16_t port, uint32_t a_be, uint32_t b_be) const {
        const InterfaceEntry& e = ifaces[port];
        for (unsigned i = 0; i < e.n_addrs; ++i) {
            const uint32_t net = e.addr_be[i] & e.mask_be[i];
            if ((a_be & e.mask_be[i]) == net && (b_be & e.mask_be[i]) == net) return true;
        }
        return false;
    }
    // Is `addr_be` on one of the subnets of interface `port`?
    bool on_link(uint16_t port, uint32_t addr_be) const {
        const InterfaceEntry& e = ifaces[port];
        for (unsigned i = 0; i < e.n_addrs; ++i)
            if ((addr_be & e.mask_be[i]) == (e.addr_be[i] & e.mask_be[i])) return true;
        return false;
    }
};

// Builds a Tables object from a validated config. `port_of`, `port_mac` and `port_multi_seg` give, for
// each config interface (by index), its DPDK port id, the MAC it uses and whether its PMD transmits
// chained mbufs (null: all do). Throws std::runtime_error on failure.
Tables* build_tables(const Config& cfg, const uint16_t* port_of, const rte_ether_addr* port_mac, uint64_t generation,
                     const uint8_t* port_multi_seg = nullptr);
void free_tables(Tables* t);
// The same without FIBs or next hops (fib, fib6, nexthops* null): the interface state the live FIB
// puts around its own FIBs. Throws std::runtime_error.
Tables* build_table_shell(const Config& cfg, const uint16_t* port_of, const rte_ether_addr* port_mac, uint64_t generation,
                          const uint8_t* port_multi_seg = nullptr);
// The IPv6 part, called by build_tables (table_builder6.cpp).
void build_tables6(const Config& cfg, const uint16_t* port_of, const rte_ether_addr* port_mac, Tables* t, bool fibs = true);

// Throws std::runtime_error when `n` distinct next hops cannot be encoded in the FIB.
void check_next_hop_count(size_t n);

}  // namespace dprouter
