// The run-to-completion forwarding pipeline a worker applies to each received burst.
// Everything a worker touches per packet is reachable from WorkerContext; the pipeline never
// allocates, locks, logs or makes a system call, so unit tests can drive it with crafted mbufs.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>

#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dprouter/capture_tap.hpp"
#include "dprouter/counters.hpp"
#include "dprouter/icmp.hpp"
#include "dprouter/limits.hpp"
#include "dprouter/neighbor_table.hpp"
#include "dprouter/tables.hpp"

namespace dprouter {

// What a worker tells the control thread about an ARP packet addressed to us, so that the control
// thread (the only writer of the neighbour table) can learn the sender.
struct LearnMessage {
    uint32_t sender_be;
    uint16_t port;
    uint8_t is_reply;
    uint8_t update_only;  // about an ARP not addressed to us: refresh a known entry, create none
    rte_ether_addr mac;
    uint16_t reserved2;
};
static_assert(sizeof(LearnMessage) == 16);

// The same for IPv6 Neighbor Discovery (a solicitation or advertisement that names a link-layer
// address, RFC 4861 7.2.3 - 7.2.5), on a ring of its own with 32-byte elements.
struct LearnMessage6 {
    uint8_t addr[16];
    uint16_t port;
    uint8_t is_advert;     // a Neighbor Advertisement (else a solicitation's source link-layer option)
    uint8_t flags;         // NA flags byte as received (R 0x80, S 0x40, O 0x20)
    rte_ether_addr mac;
    uint16_t update_only;  // 1: refresh a known entry, create none
    uint8_t reserved[4];
};
static_assert(sizeof(LearnMessage6) == 32);

// Packets leaving this burst, per egress port; flushed with rte_eth_tx_burst by the worker loop and
// read directly by the unit tests.
struct TxBatch {
    // A 65535-byte datagram cut for a 68-byte MTU (kMaxFragments pieces) fits, with room to spare.
    static constexpr unsigned kCapacity = 2048;
    uint16_t count[kMaxPorts]{};
    // Frames of a batch that are no received packet's outcome (docs/architecture.md, "Counters"):
    // the router's own (replies, errors, ARP and ND) and the pieces of a fragmented transit
    // datagram but its last. `own` counts them per port, a bit in `own_bits` marks each position;
    // both are zero again after every flush (tx_account), so a batch without such frames costs
    // the flush one compare.
    uint16_t own[kMaxPorts]{};
    uint64_t own_bits[kMaxPorts][kCapacity / 64]{};
    rte_mbuf* pkts[kMaxPorts][kCapacity];
};

// How a frame on its way out counts (docs/architecture.md, "Counters").
enum class Outbound : uint8_t {
    transit,        // a received packet: `forwarded` once a port accepts it, else a drop reason
    transit_piece,  // a fragment of a transit datagram other than its last: an error is owed for
                    // it (the first piece), but the datagram counts once, with the last piece
    own,            // built by the router: never an error about it; its loss is own_frames_dropped
};

// Metadata carried by a packet handed to the control thread to wait for ARP: the address to resolve
// in hash.usr, the egress port in port, and in hash.fdir.hi whether the packet is transit traffic
// (bit 0: its sender is owed a host unreachable if resolution fails) rather than one of our own,
// and (bit 2) whether it is a piece that does not count for its datagram (Outbound::transit_piece).
inline uint32_t held_flags(Outbound o) {
    return o == Outbound::transit ? 1u : o == Outbound::transit_piece ? 5u : 0u;
}
inline void set_held_meta(rte_mbuf* m, uint32_t target_be, uint16_t port, Outbound o) {
    m->hash.usr = target_be;
    m->port = port;
    m->hash.fdir.hi = held_flags(o);
}
inline uint32_t held_next_hop(const rte_mbuf* m) { return m->hash.usr; }
inline bool held_is_transit(const rte_mbuf* m) { return (m->hash.fdir.hi & 1u) != 0; }
// Does the held packet stand for a received one (its release counts `forwarded`, its loss a drop)?
inline bool held_counts(const rte_mbuf* m) { return (m->hash.fdir.hi & 5u) == 1u; }

// An IPv6 packet waiting for Neighbor Discovery: hash.fdir.hi bit 1 marks the family, and the
// 16-byte target travels in the first bytes of the mbuf's headroom (RX mbufs keep
// RTE_PKTMBUF_HEADROOM in front of the frame; callers check rte_pktmbuf_headroom(m) >= 16).
inline void set_held_meta6(rte_mbuf* m, const uint8_t* target, uint16_t port, Outbound o) {
    std::memcpy(m->buf_addr, target, 16);
    m->port = port;
    m->hash.fdir.hi = held_flags(o) | 2u;
}
inline bool held_is_ipv6(const rte_mbuf* m) { return (m->hash.fdir.hi & 2u) != 0; }
inline const uint8_t* held_next_hop6(const rte_mbuf* m) { return static_cast<const uint8_t*>(m->buf_addr); }

// A frame in the inject ring whose port is this is not to be sent: it is a transit packet whose next
// hop failed to resolve, and the worker answers it with ICMP host unreachable.
inline constexpr uint16_t kInjectHostUnreachable = 0xffff;
// Set in m->port (with the egress port) on a released held packet that counts for a received one
// (held_counts): the worker queues it as Outbound::transit. Every other injected frame is the
// router's own (ARP and ND requests, frames from the kernel's mirror, our held replies).
inline constexpr uint16_t kInjectCounted = 0x4000;

struct alignas(RTE_CACHE_LINE_SIZE) WorkerContext {
    unsigned worker_id = 0;
    WorkerCounters* counters = nullptr;
    const NeighborTable* neighbors = nullptr;
    const NeighborTable6* neighbors6 = nullptr;
    rte_ring* hold_ring = nullptr;    // worker -> control: packets waiting for a next hop (SP/SC)
    rte_ring* learn_ring = nullptr;   // worker -> control: LearnMessage elements (SP/SC)
    rte_ring* learn6_ring = nullptr;  // worker -> control: LearnMessage6 elements (SP/SC)
    rte_ring* inject_ring = nullptr;  // control -> worker: complete frames, m->port = egress (SP/SC)
    rte_ring* punt_ring = nullptr;    // worker -> control: frames for the kernel's mirror, m->port = rx port (SP/SC)
    rte_mempool* pool = nullptr;      // for packets the worker originates (ICMP errors, TCP RST)
    rte_mempool* indirect_pool = nullptr;  // fragments point into the original through these
    unsigned n_workers = 1;           // rate limits are split evenly across workers
    uint64_t tsc_hz = 0;
    uint64_t fake_tsc = 0;            // tests: when non-zero, the TSC the worker reads (see worker_tsc)
    // UTC minus TSC in milliseconds (wall_clock.hpp), written by the control thread, read relaxed.
    std::atomic<int64_t> utc_minus_tsc_ms{0};
    uint64_t now_tsc = 0;             // the worker loop's one rte_rdtsc per iteration (0: read it)
    uint16_t next_ip_id = 0;          // IP ID of originated datagrams
    IcmpLimiter limiter;
    CaptureTap capture;               // dprouterctl capture: ports copied, and where to
    TxBatch out;
};

// The worker's clock: the TSC read once per loop iteration (an offending packet reuses it rather
// than paying an rdtsc of its own), or in tests the fake one (rate limiter, timestamps).
inline uint64_t worker_tsc(const WorkerContext& ctx) {
    if (ctx.fake_tsc != 0) return ctx.fake_tsc;
    return ctx.now_tsc != 0 ? ctx.now_tsc : rte_rdtsc();
}

// Runs every stage over `n` packets received on `rx_port`. Each mbuf ends up in ctx.out, in one of
// the rings, or freed with a drop counted. Plain transit IPv4 takes the burst-vector fast path;
// every other packet the scalar stages, at its position in the burst.
void pipeline_run(WorkerContext& ctx, const Tables& t, rte_mbuf** pkts, uint16_t n, uint16_t rx_port);

// The same with the scalar stages alone, packet by packet: the reference the fast path must match
// byte for byte and counter for counter (unit tests run both on copies of the same bursts).
void pipeline_run_scalar(WorkerContext& ctx, const Tables& t, rte_mbuf** pkts, uint16_t n, uint16_t rx_port);

// Moves frames the control thread wants sent into ctx.out, and answers the transit packets it gave
// up on (next hop unresolved) with host unreachable.
void pipeline_take_injected(WorkerContext& ctx, const Tables& t);

// The counting half of a TX flush, for the batch entries [first, end) of `port`, of which the port
// accepted [first, accepted_end): the accepted ones that stand for received packets count
// `forwarded`, the refused ones `tx_full` (or own_frames_dropped for the router's own frames) and
// are freed; the own-frame marks of the range are cleared. Leaves ctx.out.count alone.
void tx_account(WorkerContext& ctx, uint16_t port, uint16_t first, uint16_t accepted_end, uint16_t end);

}  // namespace dprouter
