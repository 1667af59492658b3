// Phases 1 to 3 of the burst-vector fast path for both families (docs/architecture.md, "Phases
// of a burst"): the classify and lookup phases of fast_path_v4.hpp and fast_path_v6.hpp in the
// order that spends nothing on the family a burst does not carry. pipeline.cpp runs it before
// the rewrite phase, and the unit tests run it on their own (tests/unit/fast_path_twins.cpp).
#pragma once

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "burst.hpp"
#include "dprouter/tables.hpp"
#include "fast_path_v4.hpp"
#include "fast_path_v6.hpp"

namespace dprouter::fast {

// Does the burst start with an IPv6 frame? Only chooses which family's classify runs first: both
// orders give the same Burst (each classify claims only its own EtherType, and v6_lookup works
// after v4_lookup either way), so a runt first frame may answer anything.
inline bool first_frame_ipv6(const rte_mbuf* m) {
    if (rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN) return false;
    uint16_t type;
    std::memcpy(&type, rte_pktmbuf_mtod_offset(m, const uint8_t*, offsetof(rte_ether_hdr, ether_type)), sizeof type);
    return type == RTE_BE16(RTE_ETHER_TYPE_IPV6);
}

// The burst's candidates of each family, looked up: b.fast, b.expired, b.v6 and the per-packet
// words for the rewrite phase. A burst is one family in practice: the family of its first frame is
// classified first, and the other family's classify runs only over bursts the first did not claim
// whole (an IPv6 burst never pays for the IPv4 classify, nor an IPv4 burst for the IPv6 one). The
// lookups always run IPv4 first, as v6_lookup expects.
inline void classify_and_lookup(const Tables& t, rte_mbuf* const* pkts, Burst& b) {
    const uint16_t rx_port = b.rx_port;
    if (!v4_port_eligible(t, rx_port)) return;  // v6_port_eligible includes it
    bool v6_done = false;
    if (first_frame_ipv6(pkts[0]) && v6_port_eligible(t, rx_port)) {
        v6_classify(t, pkts, b);
        v6_done = true;
    }
    if (b.v6_count != b.n) {
        v4_classify(t, pkts, b);
        if (b.v4_cand != 0) v4_lookup(t, b);
    }
    if (!v6_done && b.v4_count != b.n && v6_port_eligible(t, rx_port)) v6_classify(t, pkts, b);
    if (b.v6_count != 0) v6_lookup(t, b);
}

}  // namespace dprouter::fast
