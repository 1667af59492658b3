// IP options. At input: well-formedness (RFC 1812 5.2.5 asks for a parameter problem pointing at the
// bad octet) and source routing, which the router refuses like Linux does by default
// (accept_source_route=0): honouring LSRR/SSRR lets a sender steer traffic around filters.
// On the way out: the two options a router fills in, Record Route and Internet Timestamp (RFC 791
// 3.1; RFC 1812 5.3.13.5 and 5.3.13.6 make both a MUST for forwarded datagrams). Every other option,
// known or not, travels on unchanged (RFC 1812 4.2.2.6).
//
// The checks that can refuse a datagram all live in check_options, which runs before anything is
// changed; stamp_options, run where the TTL is decremented (or an echo reply leaves), cannot fail.
// So every ICMP error quotes the datagram as it arrived.
#pragma once

#include <cstdint>
#include <cstring>
#include <utility>

#include <rte_ip.h>

#include "dprouter/pipeline.hpp"
#include "dprouter/wall_clock.hpp"

namespace dprouter::stage {

enum class OptionsVerdict : uint8_t { ok, malformed, source_routed };

inline constexpr uint8_t kOptEnd = 0;
inline constexpr uint8_t kOptNop = 1;
inline constexpr uint8_t kOptRecordRoute = 7;
inline constexpr uint8_t kOptTimestamp = 68;
inline constexpr uint8_t kOptLsrr = 131;
inline constexpr uint8_t kOptSsrr = 137;
inline constexpr uint32_t kMaxOptionBytes = 40;  // IHL 15

// Internet Timestamp flags (the low 4 bits of the option's fourth octet; the high 4 are the
// overflow counter).
inline constexpr uint8_t kTsOnly = 0;         // timestamps only
inline constexpr uint8_t kTsAndAddress = 1;   // each timestamp preceded by the recording address
inline constexpr uint8_t kTsPrespecified = 3;  // only the named addresses record

namespace detail {

inline constexpr uint32_t kNoFault = UINT32_MAX;

// Octets one entry takes in an Internet Timestamp option with these flags.
constexpr uint32_t timestamp_entry(uint8_t flags) { return flags == kTsOnly ? 4 : 8; }

// The offset, within the option, of the octet that makes this Record Route option unusable, or
// kNoFault. RFC 791: the pointer counts from the option's first octet and is at least 4; when it
// exceeds the length the area is full (fine: nothing is recorded); "if there is some room but not
// enough room for a full address to be inserted, the original datagram is considered to be in
// error". Like Linux, a pointer that is not 4 + 4k is accepted as long as an address fits there.
constexpr uint32_t record_route_fault(const uint8_t* o, uint32_t olen) {
    if (olen < 3) return 1;  // no pointer
    const uint32_t ptr = o[2];
    if (ptr < 4) return 2;
    if (ptr <= olen && ptr + 3 > olen) return 2;
    return kNoFault;
}

// The same for Internet Timestamp (RFC 791): pointer at least 5; an entry (4 octets, or 8 with an
// address) must fit if there is room at all; flags 0, 1 and 3 are the only ones defined; a full
// area bumps the overflow counter, and "if ... the overflow count itself overflows, the original
// datagram is considered to be in error". With prespecified addresses (flags 3) a full area means
// every named router has recorded: nobody missed a slot, so the counter is left alone (as Linux).
constexpr uint32_t timestamp_fault(const uint8_t* o, uint32_t olen) {
    if (olen < 4) return 1;  // no pointer or no flags
    const uint32_t ptr = o[2];
    const uint8_t flags = o[3] & 0x0f;
    if (ptr < 5) return 2;
    if (flags != kTsOnly && flags != kTsAndAddress && flags != kTsPrespecified) return 3;
    if (ptr <= olen) return ptr + timestamp_entry(flags) - 1 > olen ? 2 : kNoFault;
    if (flags != kTsPrespecified && (o[3] >> 4) == 0x0f) return 3;
    return kNoFault;
}

// Walks the options up to EOL, calling f(pointer to the type octet, length) for each but NOP; f
// returns kNoFault to go on, or the offset within its option of an octet at fault. Returns the
// offset in the option area of the first octet at fault (f's, or a length octet that is missing,
// below 2 or past the header), or kNoFault.
template <typename Byte, typename F>
uint32_t walk_options(Byte* opt, uint32_t len, F&& f) {
    uint32_t i = 0;
    while (i < len && opt[i] != kOptEnd) {
        if (opt[i] == kOptNop) {
            ++i;
            continue;
        }
        if (i + 1 >= len) return i;  // no room for the length octet
        const uint32_t olen = opt[i + 1];
        if (olen < 2 || i + olen > len) return i + 1;
        if (const uint32_t fault = f(opt + i, olen); fault != kNoFault) return i + fault;
        i += olen;
    }
    return kNoFault;
}

}  // namespace detail

// `bad_offset` receives the offset from the start of the IP header of the octet at fault. A second
// Record Route or Timestamp option is at fault in its type octet: which one would we fill in?
// (Linux refuses them too.)
inline OptionsVerdict check_options(const rte_ipv4_hdr* ip, uint32_t ihl, uint32_t* bad_offset) {
    bool seen_rr = false;
    bool seen_ts = false;
    bool source_routed = false;
    const uint32_t fault = detail::walk_options(
        reinterpret_cast<const uint8_t*>(ip + 1), ihl - sizeof(rte_ipv4_hdr), [&](const uint8_t* o, uint32_t olen) {
            switch (o[0]) {
            case kOptLsrr:
            case kOptSsrr:
                source_routed = true;
                return 0u;  // stop here
            case kOptRecordRoute:
                if (std::exchange(seen_rr, true)) return 0u;
                return detail::record_route_fault(o, olen);
            case kOptTimestamp:
                if (std::exchange(seen_ts, true)) return 0u;
                return detail::timestamp_fault(o, olen);
            default:
                return detail::kNoFault;
            }
        });
    if (source_routed) return OptionsVerdict::source_routed;
    if (fault == detail::kNoFault) return OptionsVerdict::ok;
    *bad_offset = sizeof(rte_ipv4_hdr) + fault;
    return OptionsVerdict::malformed;
}

// Record Route: the address goes where the pointer says, and the pointer moves on by 4 (RFC 791).
// A full area is left as it is: "the datagram is forwarded without inserting the address".
inline bool record_route(uint8_t* o, uint32_t olen, uint32_t addr_be) {
    const uint32_t ptr = o[2];
    if (detail::record_route_fault(o, olen) != detail::kNoFault || ptr > olen) return false;
    std::memcpy(o + ptr - 1, &addr_be, 4);
    o[2] = static_cast<uint8_t>(ptr + 4);
    return true;
}

// Internet Timestamp (RFC 791): with room, the time (flags 0), the address and the time (flags 1),
// or the time after the next named address when that address is one of ours, any of them (flags
// 3; RFC 1812 5.3.13.6: "It is not necessary that the prespecified address be either the address
// of the interface on which the packet arrived or the address of the interface over which it will
// be sent"). Without room, the overflow counter goes up by one.
inline bool record_timestamp(uint8_t* o, uint32_t olen, uint32_t addr_be, uint32_t time_be, const Tables& t) {
    if (detail::timestamp_fault(o, olen) != detail::kNoFault) return false;
    const uint32_t ptr = o[2];
    const uint8_t flags = o[3] & 0x0f;
    if (ptr > olen) {
        if (flags == kTsPrespecified) return false;
        o[3] = static_cast<uint8_t>(o[3] + 0x10);
        return true;
    }
    uint8_t* slot = o + ptr - 1;
    if (flags == kTsOnly) {
        std::memcpy(slot, &time_be, 4);
    } else {
        if (flags == kTsPrespecified) {
            uint32_t named_be;
            std::memcpy(&named_be, slot, 4);
            if (!t.is_local_source(named_be)) return false;  // not our turn
        } else {
            std::memcpy(slot, &addr_be, 4);
        }
        std::memcpy(slot + 4, &time_be, 4);
    }
    o[2] = static_cast<uint8_t>(ptr + detail::timestamp_entry(flags));
    return true;
}

// The time a timestamp records: milliseconds since midnight UT in network order (RFC 791). One TSC
// read, no system call (wall_clock.hpp); should the TSC rate be unknown, any time with the high
// bit set, which RFC 791 allows when the time is not "with respect to midnight UT".
inline uint32_t timestamp_now_be(const WorkerContext& ctx) {
    if (ctx.tsc_hz == 0) [[unlikely]] return rte_cpu_to_be_32(0x80000000u);
    return rte_cpu_to_be_32(
        ms_since_midnight_ut(worker_tsc(ctx), ctx.tsc_hz, ctx.utc_minus_tsc_ms.load(std::memory_order_relaxed)));
}

// Fills in Record Route and Internet Timestamp in a datagram that check_options accepted and that
// the router sends now, recording `addr_be` (the router's address "as known in the environment into
// which this datagram is being forwarded", RFC 791). Returns whether the header changed; the caller
// owes it a new checksum then.
inline bool stamp_options(const WorkerContext& ctx, const Tables& t, rte_ipv4_hdr* ip, uint32_t addr_be) {
    const uint32_t ihl = (ip->version_ihl & 0x0f) * 4u;
    bool changed = false;
    detail::walk_options(reinterpret_cast<uint8_t*>(ip + 1), ihl - sizeof(rte_ipv4_hdr), [&](uint8_t* o, uint32_t olen) {
        if (o[0] == kOptRecordRoute)
            changed |= record_route(o, olen, addr_be);
        else if (o[0] == kOptTimestamp)
            changed |= record_timestamp(o, olen, addr_be, timestamp_now_be(ctx), t);
        return detail::kNoFault;
    });
    return changed;
}

// The options an echo reply carries (RFC 1122 3.2.2.6: Record Route and Timestamp come back, to be
// updated by us, "without truncation", so the record covers the round trip; source routes are
// refused at input, and nothing else is echoed, as Linux does): copied in order into `out`, padded
// with EOL to a 4-octet boundary. Returns the octets written (at most the options' length).
inline uint32_t echo_options(const rte_ipv4_hdr* ip, uint8_t (&out)[kMaxOptionBytes]) {
    const uint32_t ihl = (ip->version_ihl & 0x0f) * 4u;
    uint32_t n = 0;
    detail::walk_options(reinterpret_cast<const uint8_t*>(ip + 1), ihl - sizeof(rte_ipv4_hdr),
                         [&](const uint8_t* o, uint32_t olen) {
                             if (o[0] == kOptRecordRoute || o[0] == kOptTimestamp) {
                                 std::memcpy(out + n, o, olen);
                                 n += olen;
                             }
                             return detail::kNoFault;
                         });
    while (n % 4 != 0) out[n++] = kOptEnd;
    return n;
}

}  // namespace dprouter::stage
