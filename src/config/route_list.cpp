#include "route_list.hpp"

#include <charconv>
#include <cstring>
#include <optional>

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

}  // namespace

std::string invalid_prefix_message(std::string_view text, std::string_view noun) {
    // Say "out of range" when only the length is wrong: that is the likely typo (/33, /240).
    const std::size_t slash = text.find('/');
    if (slash != std::string_view::npos && parse_ipv4(text.substr(0, slash))) {
        const std::string_view len = text.substr(slash + 1);
        unsigned value = 0;
        auto [ptr, ec] = std::from_chars(len.data(), len.data() + len.size(), value);
        const bool number = !len.empty() && len[0] != '0' && ec == std::errc() && ptr == len.data() + len.size();
        if (number && value > 32) return "prefix length " + std::string(len) + " out of range 0..32";
    }
    return "invalid " + std::string(noun) + " " + quoted(text) + " (expected A.B.C.D/N)";
}

void parse_route_list(std::string_view text, const std::string& file, std::vector<RouteConfig>& out,
                      ErrorSink& errors) {
    int line_no = 0;
    while (!text.empty()) {
        ++line_no;
        const void* nl = std::memchr(text.data(), '\n', text.size());
        const std::size_t len = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - text.data()) : text.size();
        const std::string_view line = text.substr(0, len);
        text.remove_prefix(nl ? len + 1 : len);

        Field f[3];
        const std::size_t n = split(line, f, 3);
        if (n == 0) continue;
        auto error = [&](int column, std::string message) {
            errors.add(file, SourcePos{line_no, column}, std::move(message));
        };

        RouteConfig r;
        r.from_routes_file = true;
        r.pos = SourcePos{line_no, f[0].column};
        r.prefix_pos = r.pos;
        const auto prefix = parse_prefix(f[0].text);
        if (!prefix) {
            error(f[0].column, invalid_prefix_message(f[0].text, "prefix"));
            continue;
        }
        r.prefix = *prefix;
        if (n == 1) {
            error(f[0].column, "route " + std::string(f[0].text) +
                                   " needs 'via ADDRESS' or an action (blackhole, unreachable, prohibit)");
            continue;
        }
        if (f[1].text == "via") {
            if (n < 3) {
                error(f[1].column, "via needs an address");
                continue;
            }
            const auto via = parse_ipv4(f[2].text);
            if (!via) {
                error(f[2].column, "invalid IPv4 address " + quoted(f[2].text));
                continue;
            }
            r.has_via = true;
            r.via = *via;
            r.via_pos = SourcePos{line_no, f[2].column};
            if (n > 3) {
                Field extra[4];
                split(line, extra, 4);
                error(extra[3].column, "unexpected " + quoted(extra[3].text) + " after the route");
                continue;
            }
        } else if (const auto action = action_word(f[1].text)) {
            r.action = *action;
            if (n > 2) {
                error(f[2].column, "unexpected " + quoted(f[2].text) + " after the route");
                continue;
            }
        } else {
            error(f[1].column, "unknown word " + quoted(f[1].text) +
                                   " (expected via, blackhole, unreachable or prohibit)");
            continue;
        }
        out.push_back(r);
    }
}

}  // namespace dprouter
