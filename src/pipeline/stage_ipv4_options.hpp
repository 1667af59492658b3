// IP options at input: well-formedness (RFC 1812 5.2.5 asks for a parameter problem pointing at the
// bad octet) and source routing, which the router refuses like Linux does by default
// (accept_source_route=0): honouring LSRR/SSRR lets a sender steer traffic around filters.
// Every other option, known or not, travels on unchanged (RFC 1812 4.2.2.6).
#pragma once

#include <cstdint>

#include <rte_ip.h>

namespace dprouter::stage {

enum class OptionsVerdict : uint8_t { ok, malformed, source_routed };

inline constexpr uint8_t kOptEnd = 0;
inline constexpr uint8_t kOptNop = 1;
inline constexpr uint8_t kOptLsrr = 131;
inline constexpr uint8_t kOptSsrr = 137;

// `bad_offset` receives the offset from the start of the IP header of the octet at fault.
inline OptionsVerdict check_options(const rte_ipv4_hdr* ip, uint32_t ihl, uint32_t* bad_offset) {
    const auto* opt = reinterpret_cast<const uint8_t*>(ip + 1);
    const uint32_t len = ihl - sizeof(rte_ipv4_hdr);
    uint32_t i = 0;
    while (i < len) {
        const uint8_t type = opt[i];
        if (type == kOptEnd) break;
        if (type == kOptNop) {
            ++i;
            continue;
        }
        if (i + 1 >= len) {  // no room for the length octet
            *bad_offset = sizeof(rte_ipv4_hdr) + i;
            return OptionsVerdict::malformed;
        }
        const uint8_t olen = opt[i + 1];
        if (olen < 2 || i + olen > len) {
            *bad_offset = sizeof(rte_ipv4_hdr) + i + 1;
            return OptionsVerdict::malformed;
        }
        if (type == kOptLsrr || type == kOptSsrr) return OptionsVerdict::source_routed;
        i += olen;
    }
    return OptionsVerdict::ok;
}

}  // namespace dprouter::stage
