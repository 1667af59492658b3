// ICMP errors the router originates: kinds, suppression reasons, and the per-worker rate limiter.
// The limiter is a token bucket in integer arithmetic driven by the TSC, so the hot path needs no
// floating point, no clock syscall and no shared writes: every worker has its own buckets and its
// share (1/workers) of the configured rates.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include <rte_common.h>

namespace dprouter {

#define DPR_ICMP_KINDS(X)                                     \
    X(net_unreachable, 3, 0)      /* no route */               \
    X(host_unreachable, 3, 1)     /* ARP failed, unreachable route */ \
    X(protocol_unreachable, 3, 2) /* to us, unknown protocol */ \
    X(port_unreachable, 3, 3)     /* to us, UDP */             \
    X(frag_needed, 3, 4)          /* DF set, larger than MTU */ \
    X(admin_prohibited, 3, 13)    /* prohibit route */         \
    X(redirect_host, 5, 1)        /* better first hop on the same link */ \
    X(time_exceeded, 11, 0)       /* transit TTL <= 1 */       \
    X(param_problem, 12, 0)       /* malformed IP options */   \
    X(tcp_reset, 0, 0)            /* not ICMP: TCP RST for TCP to the router */ \
    X(icmp6_no_route, 1, 0)             /* RFC 4443 3.1: no route, unreachable route */ \
    X(icmp6_admin_prohibited, 1, 1)     /* prohibit route */         \
    X(icmp6_beyond_scope, 1, 2)         /* link-local source, other link */ \
    X(icmp6_address_unreachable, 1, 3)  /* Neighbor Discovery failed */ \
    X(icmp6_port_unreachable, 1, 4)     /* to us, UDP */             \
    X(icmp6_packet_too_big, 2, 0)       /* RFC 4443 3.2: larger than the egress MTU */ \
    X(icmp6_time_exceeded, 3, 0)        /* RFC 4443 3.3: hop limit <= 1 in transit */ \
    X(icmp6_param_header, 4, 0)         /* RFC 4443 3.4: erroneous header field */ \
    X(icmp6_param_next_header, 4, 1)    /* unrecognized Next Header */ \
    X(icmp6_param_option, 4, 2)         /* unrecognized IPv6 option */ \
    X(icmp6_redirect, 137, 0)           /* RFC 4861 8.2: better first hop on the same link */

enum class IcmpKind : uint8_t {
#define DPR_ENUM(name, type, code) name,
    DPR_ICMP_KINDS(DPR_ENUM)
#undef DPR_ENUM
        count
};

struct IcmpKindInfo {
    std::string_view name;
    uint8_t type;
    uint8_t code;
};

inline constexpr std::array<IcmpKindInfo, static_cast<size_t>(IcmpKind::count)> kIcmpKinds = {{
#define DPR_INFO(name, type, code) {#name, type, code},
    DPR_ICMP_KINDS(DPR_INFO)
#undef DPR_INFO
}};

// Why an error was not sent (RFC 1812 4.3.2.7 and 4.3.2.8).
#define DPR_ICMP_SUPPRESS(X)                                                   \
    X(offender_icmp_error)  /* never an error about an ICMP error */          \
    X(offender_fragment)    /* only about the first fragment */               \
    X(offender_broadcast)   /* to an IP or link-layer broadcast/multicast */  \
    X(offender_bad_source)  /* source not a unique unicast host */            \
    X(rate_global)          /* router-wide budget spent */                    \
    X(rate_destination)     /* budget for this destination spent */          \
    X(rate_frag_needed)     /* frag-needed budget spent */                    \
    X(rate_packet_too_big)  /* ICMPv6 Packet Too Big budget spent */          \
    X(no_route_back)        /* no route to the offender's source */           \
    X(no_mbuf)              /* mbuf pool empty */

enum class IcmpSuppress : uint8_t {
#define DPR_ENUM(name) name,
    DPR_ICMP_SUPPRESS(DPR_ENUM)
#undef DPR_ENUM
        count
};

inline constexpr std::array<std::string_view, static_cast<size_t>(IcmpSuppress::count)> kIcmpSuppressNames = {
#define DPR_NAME(name) #name,
    DPR_ICMP_SUPPRESS(DPR_NAME)
#undef DPR_NAME
};

// Rates in thousandths of a token per second, depths in thousandths of a token, for the whole
// router; each worker takes its share.
struct BucketLimits {
    uint64_t rate_milli = 0;
    uint64_t burst_milli = 0;
};

// ICMPv6 errors use the same configured limits, with buckets of their own (RFC 4443 2.4(f)):
// `frag_needed` is also the Packet Too Big budget.
struct IcmpLimits {
    BucketLimits global;
    BucketLimits per_destination;
    BucketLimits frag_needed;
};

// 128-bit arithmetic for the bucket level: burst (in thousandths of a token) times the TSC frequency
// overflows 64 bits for bursts above a few million tokens.
__extension__ using BucketLevel = unsigned __int128;

// One token bucket. `level` counts thousandths of a token multiplied by the TSC frequency, so that a
// refill is elapsed_cycles * rate_milli with no division.
struct TokenBucket {
    BucketLevel level = 0;
    uint64_t last_tsc = 0;
    bool primed = false;
    // Once the level is below one token (after a refusal, or after the last whole token went): the
    // first TSC at which the level reaches one token again, and the limits that was worked out
    // for. Until then a refusal is one compare (a flood of offending packets is refused millions
    // of times a second). Skipping the refill of those refusals changes nothing: the level stays
    // below one token, so below the cap, and the next full refill adds the same elapsed time at once.
    uint64_t empty_until = 0;
    BucketLimits empty_for{};

    // Is take() sure to refuse now without changing anything (inside the empty window)? Exact once
    // the bucket has been asked: the window is set whenever the level drops below one token,
    // by a refusal or by the taking of the last whole token.
    bool refusing(uint64_t now_tsc, BucketLimits lim) const {
        return now_tsc < empty_until && lim.rate_milli == empty_for.rate_milli && lim.burst_milli == empty_for.burst_milli;
    }

    // Refills for the time since the last call, then takes one token if there is one.
    bool take(uint64_t now_tsc, uint64_t tsc_hz, BucketLimits lim) {
        if (!ready(now_tsc, tsc_hz, lim)) return false;
        consume(tsc_hz, lim);
        return true;
    }

    // Takes the token ready() found (with the same limits, at the instant it was asked).
    void consume(uint64_t tsc_hz, BucketLimits lim) {
        const BucketLevel one = BucketLevel{1000} * tsc_hz;
        level -= one;
        if (level < one) mark_empty(last_tsc, lim, one, BucketLevel{lim.burst_milli} * tsc_hz);
    }

    // Refills for the time since the last call; is there a whole token? take() without the taking,
    // for a bucket whose token may only go once another bucket has given one too.
    bool ready(uint64_t now_tsc, uint64_t tsc_hz, BucketLimits lim) {
        if (refusing(now_tsc, lim)) [[likely]] return false;
        if (lim.rate_milli == 0 && lim.burst_milli == 0) return false;
        const BucketLevel cap = BucketLevel{lim.burst_milli} * tsc_hz;
        if (!primed) {
            level = cap;  // a new bucket starts full
            primed = true;
        } else if (now_tsc > last_tsc && lim.rate_milli != 0) {
            // Both factors are below 2^64, so the product fits; the cap bounds the sum.
            level += BucketLevel{now_tsc - last_tsc} * lim.rate_milli;
        }
        if (level > cap) level = cap;  // also after a reload lowered the burst
        last_tsc = now_tsc;
        const BucketLevel one = BucketLevel{1000} * tsc_hz;
        if (level < one) {
            mark_empty(now_tsc, lim, one, cap);
            return false;
        }
        return true;
    }

private:
    // The level (below one token) reaches one token after ceil((one - level) / rate) cycles; never
    // without a rate, nor when the cap (burst) is below one token (then every call refuses in full).
    void mark_empty(uint64_t now_tsc, BucketLimits lim, BucketLevel one, BucketLevel cap) {
        if (lim.rate_milli != 0 && cap >= one) {
            const BucketLevel wait = (one - level + lim.rate_milli - 1) / lim.rate_milli;
            empty_until = wait < UINT64_MAX - now_tsc ? now_tsc + static_cast<uint64_t>(wait) : UINT64_MAX;
        } else {
            empty_until = lim.rate_milli == 0 ? UINT64_MAX : 0;
        }
        empty_for = lim;
    }
};

// The per-worker limiter: a global bucket, a frag-needed bucket, and a direct-mapped table of
// per-destination buckets. Destinations that hash to the same slot share its bucket: handing a
// colliding destination a fresh bucket would let two alternating sources escape the limit. The
// hash is seeded per worker at start, so a sender cannot pick addresses that collide with a victim.
struct alignas(RTE_CACHE_LINE_SIZE) IcmpLimiter {
    static constexpr unsigned kDestSlots = 1024;
    struct DestSlot {
        TokenBucket bucket;
    };
    uint32_t dest_seed = 0;
    TokenBucket global;
    TokenBucket frag_needed;
    // ICMPv6: the same limits, separate state, so neither family can starve the other.
    TokenBucket global6;
    TokenBucket packet_too_big6;
    // This worker's share of the limits of the tables generation it last saw; recomputed only when
    // a reload publishes new tables, so the divisions stay off the per-error path.
    uint64_t limits_generation = UINT64_MAX;
    IcmpLimits limits;
    DestSlot dest[kDestSlots];
    DestSlot dest6[kDestSlots];
};

// A worker's share of the router-wide limits.
inline BucketLimits share(BucketLimits lim, unsigned workers) {
    if (workers <= 1) return lim;
    BucketLimits s{lim.rate_milli / workers, lim.burst_milli / workers};
    if (s.burst_milli < 1000 && lim.burst_milli >= 1000) s.burst_milli = 1000;  // at least one token each
    return s;
}

}  // namespace dprouter
