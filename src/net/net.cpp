// Text forms of IPv4 addresses, prefixes and MAC addresses.
//
// The parsers are deliberately strict: a configuration typo must be reported, not silently turned
// into some other address (inet_aton would read "10.1" as 10.0.0.1 and "010" as octal 8).
#include "dprouter/net.hpp"

#include <cstdio>

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

}  // namespace dprouter
