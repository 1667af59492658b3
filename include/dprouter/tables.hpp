// The forwarding tables the workers read. The control thread builds a whole new Tables object for
// every configuration change, publishes it with one atomic pointer store, and frees the old one only
// after every worker has reported a quiescent state (rte_rcu_qsbr). Workers never lock.
#pragma once

#include <atomic>
#include <bit>
#include <cstdint>
#include <cstring>

#include <rte_ether.h>
#include <rte_lpm.h>

#include "dprouter/config.hpp"
#include "dprouter/icmp.hpp"
#include "dprouter/limits.hpp"

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
};

struct alignas(RTE_CACHE_LINE_SIZE / 2) NextHop {
    NextHopAction action = NextHopAction::forward;
    uint16_t port = 0;
    uint32_t gateway_be = 0;  // 0: connected, resolve the destination itself
    // For gateways: the gateway's link-layer address, kept current by the control thread so that the
    // hot path needs no neighbour-table lookup for routed traffic.
    std::atomic<uint64_t> l2{0};
};

struct InterfaceEntry {
    bool in_use = false;
    bool icmp_redirects = true;
    bool pmtud_blackhole = false;  // lab knob: too-big DF datagrams vanish without ICMP
    bool tx_multi_seg = true;      // the PMD sends chained mbufs (fragments by reference)
    uint16_t mtu = 1500;
    bool has_advertised_mtu = false;  // lab knob: report advertised_mtu (even 0) in frag needed
    uint16_t advertised_mtu = 0;
    uint16_t tcp_mss_clamp = 0;    // lab knob: clamp the MSS of SYNs crossing this interface; 0 = off
    rte_ether_addr mac{};
    uint8_t n_addrs = 0;
    uint32_t addr_be[kMaxAddrsPerInterface]{};  // our addresses on this interface
    uint32_t mask_be[kMaxAddrsPerInterface]{};
};

struct Tables {
    uint64_t generation = 0;
    rte_lpm* lpm = nullptr;        // destination -> index into nexthops
    NextHop* nexthops = nullptr;   // rte_zmalloc'd array, one entry per distinct next hop
    uint32_t n_nexthops = 0;
    uint32_t n_routes = 0;         // routes, connected prefixes and our addresses in the LPM
    // rte_lpm has no depth 0, so a default route (0.0.0.0/0) lives here and answers LPM misses.
    const NextHop* default_nh = nullptr;
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

}  // namespace dprouter
