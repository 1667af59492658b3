// Address, prefix and MAC value types shared by the control path and the tests.
// Addresses are kept in host byte order; the dataplane converts at the edge.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dprouter {

using Ipv4 = uint32_t;  // host byte order

struct Ipv4Prefix {
    Ipv4 addr = 0;
    uint8_t len = 0;

    // Network mask for this prefix length, host order.
    static constexpr Ipv4 mask_of(uint8_t len) { return len == 0 ? 0 : ~Ipv4{0} << (32 - len); }
    constexpr Ipv4 mask() const { return mask_of(len); }
    constexpr Ipv4 network() const { return addr & mask(); }
    constexpr Ipv4 broadcast() const { return network() | ~mask(); }
    constexpr bool contains(Ipv4 a) const { return (a & mask()) == network(); }
    friend bool operator==(const Ipv4Prefix&, const Ipv4Prefix&) = default;
};

struct MacAddr {
    std::array<uint8_t, 6> bytes{};
    friend bool operator==(const MacAddr&, const MacAddr&) = default;
    bool is_multicast() const { return bytes[0] & 1; }
    bool is_zero() const { return bytes == std::array<uint8_t, 6>{}; }
};

// Strict dotted-quad: four decimal octets 0..255, no leading '+', no extra text.
std::optional<Ipv4> parse_ipv4(std::string_view s);
// "A.B.C.D/N" with N in 0..32. Host bits may be set; callers decide whether that is an error.
std::optional<Ipv4Prefix> parse_prefix(std::string_view s);
// "aa:bb:cc:dd:ee:ff" (hex, either case).
std::optional<MacAddr> parse_mac(std::string_view s);

std::string format_ipv4(Ipv4 a);
std::string format_prefix(const Ipv4Prefix& p);
std::string format_mac(const MacAddr& m);

}  // namespace dprouter
