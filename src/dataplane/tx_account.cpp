// What a TX flush counts (docs/architecture.md, "Counters"): a received packet counts `forwarded`
// only once a port has accepted it, and a refusal is the `tx_full` drop of every received packet
// refused, counted once per flush. The router's own frames share the batches; their positions are
// marked (TxBatch::own_bits) so that they count neither.
#include <rte_mbuf.h>

#include "dprouter/pipeline.hpp"

namespace dprouter {

namespace {

// Set bits of `bits` at positions [from, to).
uint32_t count_bits(const uint64_t* bits, uint32_t from, uint32_t to) {
    uint32_t n = 0;
    while (from < to) {
        const uint32_t word = from / 64;
        const uint32_t lo = from % 64;
        const uint32_t hi = to - word * 64 < 64 ? to - word * 64 : 64;  // exclusive, within the word
        const uint64_t mask = (hi == 64 ? ~uint64_t{0} : (uint64_t{1} << hi) - 1) & ~((uint64_t{1} << lo) - 1);
        n += static_cast<uint32_t>(__builtin_popcountll(bits[word] & mask));
        from = word * 64 + hi;
    }
    return n;
}

}  // namespace

void tx_account(WorkerContext& ctx, uint16_t port, uint16_t first, uint16_t accepted_end, uint16_t end) {
    TxBatch& b = ctx.out;
    WorkerCounters& c = *ctx.counters;
    uint32_t own_accepted = 0;
    uint32_t own_refused = 0;
    if (b.own[port] != 0) [[unlikely]] {
        uint64_t* bits = b.own_bits[port];
        own_accepted = count_bits(bits, first, accepted_end);
        own_refused = count_bits(bits, accepted_end, end);
        // Entries before `first` were accounted (and cleared) earlier: whole words can go.
        for (uint32_t w = first / 64; w < (end + 63u) / 64; ++w) bits[w] = 0;
        b.own[port] = 0;
    }
    const uint32_t accepted = accepted_end - first;
    const uint32_t refused = end - accepted_end;
    PortCounters& pc = c.ports[port];
    pc.tx += accepted;
    c.events[static_cast<size_t>(Event::forwarded)] += accepted - own_accepted;
    if (refused != 0) [[unlikely]] {
        pc.tx_dropped += refused;
        c.drops[static_cast<size_t>(Drop::tx_full)] += refused - own_refused;
        c.events[static_cast<size_t>(Event::own_frames_dropped)] += own_refused;
        rte_pktmbuf_free_bulk(b.pkts[port] + accepted_end, refused);
    }
}

}  // namespace dprouter
