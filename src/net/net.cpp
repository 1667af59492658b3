// Text forms of IPv4 addresses, prefixes and MAC addresses.
//
// The parsers are deliberately strict: a configuration typo must be reported, not silently turned
// into some other address (inet_aton would read "10.1" as 10.0.0.1 and "010" as octal 8).
#include "dprouter/net.hpp"

#include <cstdio>

#include <arpa/inet.h>

namespace dprouter {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Decimal number without sign or leading zeros ("0" itself is fine), at most max_digits long.
std::optional<unsigned> parse_decimal(std::string_view s, std::size_t max_digits) {
    if (s.empty() || s.size() > max_digits) return std::nullopt;
    if (s.size() > 1 && s[0] == '0') return std::nullopt;
    unsigned v = 0;
    for (char c : s) {
        if (!is_digit(c)) return std::nullopt;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    return v;
}

std::optional<uint8_t> parse_hex_byte(std::string_view s) {
    if (s.size() != 2) return std::nullopt;
    unsigned v = 0;
    for (char c : s) {
        v <<= 4;
        if (is_digit(c)) {
            v |= static_cast<unsigned>(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            v |= static_cast<unsigned>(c - 'a' + 10);
        } else if (c >= 'A' && c <= 'F') {
            v |= static_cast<unsigned>(c - 'A' + 10);
        } else {
            return std::nullopt;
        }
    }
    return static_cast<uint8_t>(v);
}

}  // namespace

std::optional<Ipv4> parse_ipv4(std::string_view s) {
    Ipv4 addr = 0;
    for (int i = 0; i < 4; ++i) {
        // Every octet but the last ends at a dot; the last one ends the string.
        std::size_t end = (i < 3) ? s.find('.') : s.size();
        if (end == std::string_view::npos) return std::nullopt;
        auto octet = parse_decimal(s.substr(0, end), 3);
        if (!octet || *octet > 255) return std::nullopt;
        addr = (addr << 8) | *octet;
        s.remove_prefix(i < 3 ? end + 1 : end);
    }
    return addr;
}

std::optional<Ipv4Prefix> parse_prefix(std::string_view s) {
    std::size_t slash = s.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    auto addr = parse_ipv4(s.substr(0, slash));
    auto len = parse_decimal(s.substr(slash + 1), 2);
    if (!addr || !len || *len > 32) return std::nullopt;
    return Ipv4Prefix{*addr, static_cast<uint8_t>(*len)};
}

std::optional<MacAddr> parse_mac(std::string_view s) {
    // Six two-digit groups and five colons: exactly 17 characters.
    if (s.size() != 17) return std::nullopt;
    MacAddr mac;
    for (std::size_t i = 0; i < 6; ++i) {
        if (i > 0 && s[i * 3 - 1] != ':') return std::nullopt;
        auto byte = parse_hex_byte(s.substr(i * 3, 2));
        if (!byte) return std::nullopt;
        mac.bytes[i] = *byte;
    }
    return mac;
}

std::string format_ipv4(Ipv4 a) {
    return std::to_string(a >> 24) + '.' + std::to_string((a >> 16) & 0xff) + '.' +
           std::to_string((a >> 8) & 0xff) + '.' + std::to_string(a & 0xff);
}

std::string format_prefix(const Ipv4Prefix& p) {
    return format_ipv4(p.addr) + '/' + std::to_string(p.len);
}

std::string format_mac(const MacAddr& m) {
    char buf[18];
    std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m.bytes[0], m.bytes[1],
                  m.bytes[2], m.bytes[3], m.bytes[4], m.bytes[5]);
    return buf;
}

std::optional<Ipv6> parse_ipv6(std::string_view s) {
    // inet_pton accepts exactly the RFC 4291 2.2 forms and nothing else (no zone, no brackets, no
    // leading or trailing text); it wants a terminated string.
    if (s.empty() || s.size() > 45) return std::nullopt;
    char buf[46];
    s.copy(buf, s.size());
    buf[s.size()] = '\0';
    Ipv6 a;
    if (inet_pton(AF_INET6, buf, a.bytes.data()) != 1) return std::nullopt;
    return a;
}

std::optional<Ipv6Prefix> parse_prefix6(std::string_view s) {
    std::size_t slash = s.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    auto addr = parse_ipv6(s.substr(0, slash));
    auto len = parse_decimal(s.substr(slash + 1), 3);
    if (!addr || !len || *len > 128) return std::nullopt;
    return Ipv6Prefix{*addr, static_cast<uint8_t>(*len)};
}

Ipv6 link_local_from_mac(const MacAddr& mac) {
    Ipv6 a;
    a.bytes[0] = 0xfe;
    a.bytes[1] = 0x80;
    // Modified EUI-64: the MAC split by ff:fe, universal/local bit inverted.
    a.bytes[8] = static_cast<uint8_t>(mac.bytes[0] ^ 0x02);
    a.bytes[9] = mac.bytes[1];
    a.bytes[10] = mac.bytes[2];
    a.bytes[11] = 0xff;
    a.bytes[12] = 0xfe;
    a.bytes[13] = mac.bytes[3];
    a.bytes[14] = mac.bytes[4];
    a.bytes[15] = mac.bytes[5];
    return a;
}

Ipv6 solicited_node(const Ipv6& a) {
    Ipv6 g;
    g.bytes[0] = 0xff;
    g.bytes[1] = 0x02;
    g.bytes[11] = 0x01;
    g.bytes[12] = 0xff;
    g.bytes[13] = a.bytes[13];
    g.bytes[14] = a.bytes[14];
    g.bytes[15] = a.bytes[15];
    return g;
}

std::string format_ipv6(const Ipv6& a) {
    char buf[INET6_ADDRSTRLEN];
    if (inet_ntop(AF_INET6, a.bytes.data(), buf, sizeof buf) == nullptr) return "?";
    return buf;
}

std::string format_prefix6(const Ipv6Prefix& p) { return format_ipv6(p.addr) + '/' + std::to_string(p.len); }

}  // namespace dprouter
