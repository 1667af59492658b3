// The TLV-encoded options of the Hop-by-Hop and Destination Options headers (RFC 8200 4.2):
// what the router does with each, and with the ones it does not know (the two high-order bits
// of the option type). Shared by the input stage (Hop-by-Hop, transit and local) and local
// delivery (Destination Options).
#pragma once

#include <cstdint>

#include "dprouter/counters.hpp"
#include "dprouter/icmp.hpp"

namespace dprouter::stage {

inline constexpr uint8_t kOptPad1 = 0;
inline constexpr uint8_t kOptPadN = 1;
inline constexpr uint8_t kOptRouterAlert = 5;  // RFC 2711, Hop-by-Hop only
inline constexpr uint8_t kOptJumbo = 0xc2;     // RFC 2675, Hop-by-Hop only

struct OptionsVerdict6 {
    enum Action : uint8_t { accept, drop, refuse } action = accept;  // refuse: drop with an error
    Drop reason = Drop::ipv6_bad_option;
    IcmpKind kind = IcmpKind::icmp6_param_header;
    uint32_t pointer = 0;  // Parameter Problem pointer: octets from the start of the IPv6 header
    bool jumbo = false;    // a well-formed Jumbo Payload option (RFC 2675) was seen
};

// Checks the options of one header: `h` holds all `len` bytes of it (next header and length
// octets first), `h_off` is its offset from the start of the IPv6 header. `dst_multicast` is the
// destination class (action 11 spares multicast destinations the error); `payload_len` is the
// IPv6 header's field (RFC 2675 3: a Jumbo option requires it to be zero).
inline OptionsVerdict6 check_options6(const uint8_t* h, uint32_t len, uint32_t h_off, bool hop_by_hop,
                                      bool dst_multicast, uint32_t payload_len) {
    OptionsVerdict6 v;
    const auto malformed = [&](uint32_t at) {
        // RFC 4443 3.4: a field the node cannot process: Parameter Problem code 0 pointing at it.
        v.action = OptionsVerdict6::refuse;
        v.reason = Drop::ipv6_bad_extension_header;
        v.kind = IcmpKind::icmp6_param_header;
        v.pointer = h_off + at;
        return v;
    };
    for (uint32_t i = 2; i < len;) {
        const uint8_t type = h[i];
        if (type == kOptPad1) {
            ++i;
            continue;
        }
        if (i + 1 >= len) return malformed(i);  // no room for the length octet
        const uint32_t opt_len = h[i + 1];
        if (i + 2 + opt_len > len) return malformed(i + 1);  // runs past the header
        if (type == kOptPadN) {
            // RFC 8200 4.2 pads with zeros, but a receiver only skips them.
        } else if (hop_by_hop && type == kOptRouterAlert) {
            // RFC 2711: the router would look closer at the packet; nothing on this router listens
            // for an alert (no MLD, RSVP), so the packet goes on as any other.
            if (opt_len != 2) return malformed(i + 1);
        } else if (hop_by_hop && type == kOptJumbo) {
            if (opt_len != 4) return malformed(i + 1);
            if (payload_len != 0) return malformed(i);  // RFC 2675 3: pointer at the option type
            const uint32_t jumbo_len = uint32_t{h[i + 2]} << 24 | uint32_t{h[i + 3]} << 16 | uint32_t{h[i + 4]} << 8 | h[i + 5];
            if (jumbo_len < 65536) return malformed(i + 2);  // RFC 2675 3: pointer at the length
            v.jumbo = true;
        } else {
            // RFC 8200 4.2: the action for an unrecognized option is in its two high-order bits.
            switch (type >> 6) {
            case 0:  // skip over this option
                break;
            case 1:  // discard the packet
                v.action = OptionsVerdict6::drop;
                v.reason = Drop::ipv6_bad_option;
                return v;
            case 2:  // discard and send Parameter Problem code 2, whatever the destination
            case 3:  // the same, only if the destination is not multicast
                v.action = (type >> 6) == 3 && dst_multicast ? OptionsVerdict6::drop : OptionsVerdict6::refuse;
                v.reason = Drop::ipv6_bad_option;
                v.kind = IcmpKind::icmp6_param_option;
                v.pointer = h_off + i;
                return v;
            }
        }
        i += 2 + opt_len;
    }
    return v;
}

}  // namespace dprouter::stage
