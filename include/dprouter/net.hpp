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

// An IPv6 address as its 16 bytes in network order (the order rte_fib6 and the wire use).
struct Ipv6 {
    std::array<uint8_t, 16> bytes{};
    friend bool operator==(const Ipv6&, const Ipv6&) = default;
    friend auto operator<=>(const Ipv6&, const Ipv6&) = default;
    bool is_unspecified() const { return bytes == std::array<uint8_t, 16>{}; }
    bool is_loopback() const {
        std::array<uint8_t, 16> one{};
        one[15] = 1;
        return bytes == one;
    }
    bool is_multicast() const { return bytes[0] == 0xff; }
    bool is_link_local() const { return bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80; }  // fe80::/10
    // RFC 4291 2.5.5.2: ::ffff:0:0/96 never appears as an interface address.
    bool is_v4_mapped() const {
        for (int i = 0; i < 10; ++i)
            if (bytes[i] != 0) return false;
        return bytes[10] == 0xff && bytes[11] == 0xff;
    }
};

struct Ipv6Prefix {
    Ipv6 addr;
    uint8_t len = 0;  // 0..128

    // The address with every bit past `len` cleared.
    Ipv6 network() const {
        Ipv6 n = addr;
        for (unsigned i = 0; i < 16; ++i) {
            const unsigned bit = i * 8;
            if (bit >= len) n.bytes[i] = 0;
            else if (bit + 8 > len) n.bytes[i] &= static_cast<uint8_t>(0xff << (8 - (len - bit)));
        }
        return n;
    }
    bool contains(const Ipv6& a) const { return Ipv6Prefix{a, len}.network() == network(); }
    friend bool operator==(const Ipv6Prefix&, const Ipv6Prefix&) = default;
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

// RFC 4291 2.2 text forms ("2001:db8::1", "::ffff:10.0.0.1"); no zone index ("%eth0"), no brackets.
std::optional<Ipv6> parse_ipv6(std::string_view s);
// "ADDR/N" with N in 0..128. Host bits may be set; callers decide whether that is an error.
std::optional<Ipv6Prefix> parse_prefix6(std::string_view s);
// The link-local address fe80::/64 with the modified EUI-64 interface identifier of `mac`
// (RFC 4291 appendix A, RFC 4862 5.3): every interface has one.
Ipv6 link_local_from_mac(const MacAddr& mac);
// The solicited-node multicast group of `a` (RFC 4291 2.7.1): ff02::1:ffXX:XXXX.
Ipv6 solicited_node(const Ipv6& a);

std::string format_ipv4(Ipv4 a);
std::string format_prefix(const Ipv4Prefix& p);
std::string format_mac(const MacAddr& m);
// RFC 5952 canonical text (lower case, longest zero run compressed).
std::string format_ipv6(const Ipv6& a);
std::string format_prefix6(const Ipv6Prefix& p);

}  // namespace dprouter
