#include "dprouter/listen_address.hpp"

#include <charconv>

#include "dprouter/net.hpp"

namespace dprouter {
namespace {

// "'TEXT' REST", built by appending: GCC 12 reports a false -Wrestrict on "'" + std::string(...).
std::string quoted(std::string_view text, std::string_view rest) {
    std::string s;
    s.reserve(text.size() + rest.size() + 2);
    s.push_back('\'');
    s.append(text);
    s.push_back('\'');
    s.append(rest);
    return s;
}

}  // namespace

std::optional<ListenAddress> parse_listen_address(std::string_view text, std::string& why) {
    ListenAddress a;
    std::string_view host;
    std::string_view port;
    if (!text.empty() && text.front() == '[') {
        const size_t close = text.find(']');
        if (close == std::string_view::npos) {
            why = "missing ']' after the IPv6 address";
            return std::nullopt;
        }
        host = text.substr(1, close - 1);
        if (close + 1 >= text.size() || text[close + 1] != ':') {
            why = "expected ':PORT' after ']'";
            return std::nullopt;
        }
        port = text.substr(close + 2);
        if (!parse_ipv6(host)) {
            why = quoted(host, " is not an IPv6 address");
            return std::nullopt;
        }
        a.ipv6 = true;
    } else {
        const size_t colon = text.rfind(':');
        if (colon == std::string_view::npos) {
            why = "expected ADDR:PORT or [ADDR6]:PORT";
            return std::nullopt;
        }
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (host.find(':') != std::string_view::npos) {
            why = "an IPv6 address goes in brackets: [ADDR6]:PORT";
            return std::nullopt;
        }
        if (!parse_ipv4(host)) {
            why = quoted(host, " is not an IPv4 address (host names are not resolved)");
            return std::nullopt;
        }
    }
    unsigned long v = 0;
    const auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
    const bool too_big = ec == std::errc::result_out_of_range;
    if (port.empty() || (ec != std::errc() && !too_big) || ptr != port.data() + port.size()) {
        why = "port " + quoted(port, " is not a number");
        return std::nullopt;
    }
    if (too_big || v < 1 || v > 65535) {
        why = "port ";
        why.append(port);
        why += " out of range 1..65535";
        return std::nullopt;
    }
    a.host = std::string(host);
    a.port = static_cast<uint16_t>(v);
    return a;
}

}  // namespace dprouter
