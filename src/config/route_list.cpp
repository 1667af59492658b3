#include "route_list.hpp"

#include "families.hpp"

#include <charconv>
#include <cstring>
#include <optional>
#include <utility>

namespace dprouter {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

struct Field {
    std::string_view text;
    int column = 0;  // 1-based
};

// Splits one line (without its '\n') into at most `max` fields; a '#' at the start of a field
// ends the line. Returns the number of fields, or max + 1 if there were more.
std::size_t split(std::string_view line, Field* fields, std::size_t max) {
    std::size_t n = 0;
    std::size_t i = 0;
    while (true) {
        while (i < line.size() && is_blank(line[i])) ++i;
        if (i == line.size() || line[i] == '#') return n;
        const std::size_t start = i;
        while (i < line.size() && !is_blank(line[i])) ++i;
        if (n == max) return max + 1;
        fields[n++] = Field{line.substr(start, i - start), static_cast<int>(start) + 1};
    }
}

std::optional<RouteAction> action_word(std::string_view w) {
    if (w == "blackhole") return RouteAction::blackhole;
    if (w == "unreachable") return RouteAction::unreachable;
    if (w == "prohibit") return RouteAction::prohibit;
    return std::nullopt;
}

// Quotes a field for a message, shortened: a garbage line may be megabytes long.
std::string quoted(std::string_view text) {
    constexpr std::size_t kMax = 64;
    std::string out;
    out.reserve(kMax + 8);
    out += '\'';
    out.append(text.substr(0, kMax));
    if (text.size() > kMax) out += "...";
    out += '\'';
    return out;
}

// The prefix length `len` when it is a plain number above `max` (a leading 0 is no number here).
std::optional<std::string> length_beyond(std::string_view len, unsigned max) {
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(len.data(), len.data() + len.size(), value);
    const bool number = !len.empty() && len[0] != '0' && ec == std::errc() && ptr == len.data() + len.size();
    if (number && value > max) return std::string(len);
    return std::nullopt;
}

}  // namespace

std::string invalid_prefix_message(std::string_view text, std::string_view noun) {
    // Say "out of range" when only the length is wrong: that is the likely typo (/33, /240).
    const std::size_t slash = text.find('/');
    if (slash != std::string_view::npos && parse_ipv4(text.substr(0, slash))) {
        if (auto len = length_beyond(text.substr(slash + 1), 32)) return "prefix length " + *len + " out of range 0..32";
    }
    return "invalid " + std::string(noun) + " " + quoted(text) + " (expected A.B.C.D/N)";
}

std::string invalid_prefix6_message(std::string_view text, std::string_view noun) {
    const std::size_t slash = text.find('/');
    if (slash != std::string_view::npos && parse_ipv6(text.substr(0, slash))) {
        if (auto len = length_beyond(text.substr(slash + 1), 128)) return "prefix length " + *len + " out of range 0..128";
    }
    return "invalid " + std::string(noun) + " " + quoted(text) + " (expected an IPv6 address/N, like 2001:db8::/32)";
}

namespace {

// One line's route (its n fields in f) of the family F, appended to `out` if it is well formed.
template <class F, class ErrorAt>
void add_route(std::vector<typename F::Route>& out, const Field* f, std::size_t n, int line_no, const ErrorAt& error) {
    typename F::Route r;
    r.from_routes_file = true;
    r.pos = SourcePos{line_no, f[0].column};
    r.prefix_pos = r.pos;
    const auto prefix = F::prefix(f[0].text);
    if (!prefix) {
        error(f[0].column, F::bad_prefix(f[0].text));
        return;
    }
    r.prefix = *prefix;
    if (n == 1) {
        error(f[0].column, "route " + std::string(f[0].text) +
                               " needs 'via ADDRESS' or an action (blackhole, unreachable, prohibit)");
        return;
    }
    if (f[1].text == "via") {
        if (n < 3) {
            error(f[1].column, "via needs an address");
            return;
        }
        const auto via = F::address(f[2].text);
        if (!via) {
            error(f[2].column, bad_address_message<F>("via", f[2].text, quoted(f[2].text)));
            return;
        }
        r.has_via = true;
        r.via = *via;
        r.via_pos = SourcePos{line_no, f[2].column};
        if (n > 3) {
            if (f[3].text != "interface") {
                error(f[3].column, "unexpected " + quoted(f[3].text) + " after the route");
                return;
            }
            if (n < 5) {
                error(f[3].column, "interface needs a name");
                return;
            }
            if (n > 5) {
                error(f[5].column, "unexpected " + quoted(f[5].text) + " after the route");
                return;
            }
            r.interface = f[4].text;
            r.interface_pos = SourcePos{line_no, f[4].column};
        }
    } else if (const auto action = action_word(f[1].text)) {
        r.action = *action;
        if (n > 2) {
            error(f[2].column, "unexpected " + quoted(f[2].text) + " after the route");
            return;
        }
    } else {
        error(f[1].column, "unknown word " + quoted(f[1].text) + " (expected via, blackhole, unreachable or prohibit)");
        return;
    }
    out.push_back(std::move(r));
}

}  // namespace

void parse_route_list(std::string_view text, const std::string& file, std::vector<RouteConfig>& out,
                      std::vector<Route6Config>& out6, ErrorSink& errors) {
    int line_no = 0;
    const auto error = [&](int column, std::string message) {
        errors.add(file, SourcePos{line_no, column}, std::move(message));
    };
    while (!text.empty()) {
        ++line_no;
        const void* nl = std::memchr(text.data(), '\n', text.size());
        const std::size_t len = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - text.data()) : text.size();
        const std::string_view line = text.substr(0, len);
        text.remove_prefix(nl ? len + 1 : len);

        // PREFIX via ADDRESS interface NAME is the longest route: five words, a sixth is reported.
        Field f[6];
        const std::size_t n = split(line, f, 6);
        if (n == 0) continue;
        if (is_ipv6_text(f[0].text))
            add_route<Ipv6Family>(out6, f, n, line_no, error);
        else
            add_route<Ipv4Family>(out, f, n, line_no, error);
    }
}

}  // namespace dprouter
