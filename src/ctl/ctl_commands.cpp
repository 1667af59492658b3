#include "ctl/ctl_commands.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <sstream>

namespace dprouter::ctl {
namespace {

using json = nlohmann::json;

// Columns padded to their widest cell, two spaces apart; the last column is not padded.
std::string table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> width(header.size());
    for (std::size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
    for (const auto& r : rows)
        for (std::size_t i = 0; i < r.size() && i < width.size(); ++i) width[i] = std::max(width[i], r[i].size());
    std::string out;
    auto line = [&](const std::vector<std::string>& cells) {
        std::string l;
        for (std::size_t i = 0; i < cells.size(); ++i) {
            l += cells[i];
            if (i + 1 < cells.size()) l.append(width[i] - cells[i].size() + 2, ' ');
        }
        out += l + '\n';
    };
    line(header);
    for (const auto& r : rows) line(r);
    return out;
}

std::string str(const json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return "-";
    if (it->is_string()) return it->get<std::string>().empty() ? "-" : printable(it->get<std::string>());
    if (it->is_boolean()) return it->get<bool>() ? "yes" : "no";
    return it->dump();
}

std::string joined(const json& list, const char* sep) {
    std::string out;
    if (!list.is_array()) return "-";
    for (const auto& v : list) {
        if (!out.empty()) out += sep;
        out += v.is_string() ? printable(v.get<std::string>()) : v.dump();
    }
    return out.empty() ? "-" : out;
}

std::string interfaces_text(const json& r) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& i : r)
        rows.push_back({str(i, "name"), str(i, "port"), str(i, "mac"), str(i, "mtu"), str(i, "link"),
                        str(i, "rx_packets"), str(i, "tx_packets"), str(i, "tx_dropped"), joined(i["addresses"], " ")});
    return table({"NAME", "PORT", "MAC", "MTU", "LINK", "RX", "TX", "TX-DROP", "ADDRESSES"}, rows);
}

std::string routes_text(const json& r) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& rt : r["routes"]) {
        std::string via;
        for (const auto& v : rt["via"])
            if (v.contains("gateway")) via += (via.empty() ? "" : ",") + str(v, "gateway");
        const bool installed = rt.value("installed", false);
        rows.push_back({str(rt, "prefix"), str(rt, "action"), via.empty() ? "-" : via, str(rt, "interface"),
                        str(rt, "origin"), installed ? "installed" : "shadowed"});
    }
    std::string out = table({"PREFIX", "ACTION", "VIA", "INTERFACE", "ORIGIN", "STATE"}, rows);
    if (r.value("truncated", false))
        out += "(first " + std::to_string(rows.size()) + " of " + str(r, "total") + " routes; --limit N, --json)\n";
    return out;
}

std::string neighbors_text(const json& r) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& n : r)
        rows.push_back({str(n, "address"), str(n, "mac"), str(n, "interface"), str(n, "state"), str(n, "type"),
                        str(n, "held")});
    return table({"ADDRESS", "MAC", "INTERFACE", "STATE", "TYPE", "HELD"}, rows);
}

std::string stats_text(const json& r) {
    std::vector<std::vector<std::string>> ports;
    for (const auto& [name, p] : r["ports"].items())
        ports.push_back({printable(name), str(p, "port_id"), str(p, "rx"), str(p, "tx"), str(p, "tx_dropped")});
    std::string out = table({"INTERFACE", "PORT", "RX", "TX", "TX-DROP"}, ports);
    // The other groups are long lists of mostly zeros: the text shows what happened.
    std::vector<std::vector<std::string>> rows;
    for (const auto& [group, counters] : r.items()) {
        if (group == "ports" || !counters.is_object()) continue;
        for (const auto& [name, v] : counters.items())
            if (!v.is_number() || v.get<double>() != 0) rows.push_back({printable(group), printable(name), v.dump()});
    }
    out += '\n' + table({"GROUP", "COUNTER", "VALUE"}, rows);
    out += "(counters at zero are left out; --json shows all)\n";
    return out;
}

}  // namespace

const char* usage() {
    return "Usage: dprouterctl [--socket PATH] [--json] COMMAND\n"
           "Commands:\n"
           "  show interfaces | show routes [--limit N] | show neighbors | show stats\n"
           "  route add PREFIX via ADDR [via ADDR...] [interface NAME]\n"
           "  route add PREFIX blackhole|unreachable|prohibit\n"
           "  route del PREFIX\n"
           "  neighbor add ADDRESS mac MAC interface NAME\n"
           "  neighbor del ADDRESS [interface NAME]\n"
           "  capture INTERFACE [--count N] [--duration S] [--direction rx|tx|both] [--snaplen N] -w FILE\n"
           "      pcapng of what the port receives and sends, to FILE (- : standard output), until N\n"
           "      frames, S seconds, or Ctrl-C\n"
           "Options:\n"
           "  --socket PATH  the router's control socket (default /run/dprouter.sock)\n"
           "  --json         print the router's JSON answer (pretty-printed)\n"
           "Exit status: 0 done, 1 refused by the router, 2 usage error, 3 cannot reach the router.\n";
}

std::string printable(const std::string& s) {
    std::string out;
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        } else {
            out += ch;
        }
    }
    return out;
}

namespace {

bool all_digits(const std::string& s, std::size_t max_len) {
    return !s.empty() && s.size() <= max_len && s.find_first_not_of("0123456789") == std::string::npos;
}

// capture INTERFACE [--count N] [--duration S] [--direction rx|tx|both] [--snaplen N] -w FILE
bool parse_capture(const std::vector<std::string>& words, Parsed& p) {
    json req = {{"op", "capture"}, {"interface", words[1]}};
    for (std::size_t i = 2; i < words.size(); ++i) {
        const std::string& w = words[i];
        const bool known = w == "--count" || w == "--duration" || w == "--direction" || w == "--snaplen" || w == "-w";
        if (!known) {
            p.error = "unexpected '" + printable(w) + "' (expected --count, --duration, --direction, --snaplen or -w)";
            return false;
        }
        if (i + 1 == words.size()) {
            p.error = "'" + w + "' needs a value";
            return false;
        }
        const std::string& v = words[++i];
        if (w == "-w") {
            if (!p.output.empty() || v.empty()) {
                p.error = v.empty() ? "-w needs a file name" : "-w given twice";
                return false;
            }
            p.output = v;
            continue;
        }
        const std::string key = w.substr(2);
        if (req.contains(key)) {
            p.error = "'" + w + "' given twice";
            return false;
        }
        if (w == "--count" || w == "--snaplen") {
            if (!all_digits(v, 12)) {
                p.error = w + " needs a whole number";
                return false;
            }
            req[key] = std::stoull(v);
        } else if (w == "--duration") {
            char* end = nullptr;
            const double secs = std::strtod(v.c_str(), &end);
            if (v.empty() || *end != '\0' || !(secs > 0)) {
                p.error = "--duration needs a number of seconds above 0";
                return false;
            }
            req[key] = secs;
        } else {
            if (v != "rx" && v != "tx" && v != "both") {
                p.error = "--direction is rx, tx or both";
                return false;
            }
            req[key] = v;
        }
    }
    if (p.output.empty()) {
        p.error = "capture needs -w FILE (- for standard output)";
        return false;
    }
    p.request = std::move(req);
    return true;
}

}  // namespace

Parsed parse_command_line(const std::vector<std::string>& args) {
    Parsed p;
    std::vector<std::string> words;
    std::string limit;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--socket" || a == "--limit") {
            if (i + 1 == args.size()) {
                p.error = a + " needs a value";
                return p;
            }
            (a == "--socket" ? p.socket : limit) = args[++i];
        } else if (a.rfind("--socket=", 0) == 0) {
            p.socket = a.substr(9);
        } else if (a == "--json") {
            p.json_output = true;
        } else if (a == "-h" || a == "--help") {
            p.help = true;
            return p;
        } else if (a.size() > 1 && a[0] == '-' && words.size() < 2) {
            p.error = "unknown option '" + printable(a) + "'";
            return p;
        } else {
            words.push_back(a);
        }
    }
    if (p.socket.empty()) {
        p.error = "--socket needs a path";
        return p;
    }
    auto fail = [&](std::string why) {
        p.error = std::move(why);
        p.request = nullptr;
        return p;
    };
    if (words.size() < 2) return fail(words.empty() ? "no command given" : "incomplete command '" + printable(words[0]) + "'");
    if (!limit.empty() && words[0] == "capture") return fail("--limit applies to 'show routes' only");
    if (words[0] == "capture") {
        if (!parse_capture(words, p)) p.request = nullptr;
        return p;
    }
    const std::string op = words[0] + " " + words[1];
    json req = {{"op", op}};
    const std::vector<std::string> rest(words.begin() + 2, words.end());
    if (!limit.empty() && op != "show routes") return fail("--limit applies to 'show routes' only");
    if (words[0] == "show") {
        if (words[1] != "interfaces" && words[1] != "routes" && words[1] != "neighbors" && words[1] != "stats")
            return fail("unknown show command '" + printable(words[1]) + "'");
        if (!rest.empty()) return fail("unexpected '" + printable(rest[0]) + "' after '" + op + "'");
        if (!limit.empty()) {
            if (limit.find_first_not_of("0123456789") != std::string::npos || limit.size() > 9)
                return fail("--limit needs a number");
            req["limit"] = std::stoul(limit);
        }
    } else if (op == "route add") {
        if (rest.empty()) return fail("route add needs a prefix");
        req["prefix"] = rest[0];
        json via = json::array();
        for (std::size_t i = 1; i < rest.size(); ++i) {
            const std::string& w = rest[i];
            if ((w == "via" || w == "interface") && i + 1 == rest.size()) return fail("'" + w + "' needs a value");
            if (w == "via") {
                via.push_back(rest[++i]);
            } else if (w == "interface") {
                if (req.contains("interface")) return fail("'interface' given twice");
                req["interface"] = rest[++i];
            } else if (w == "blackhole" || w == "unreachable" || w == "prohibit") {
                if (req.contains("action")) return fail("more than one action");
                req["action"] = w;
            } else {
                return fail("unexpected '" + printable(w) + "' (expected via, interface or an action)");
            }
        }
        if (!via.empty()) req["via"] = via;
        if (via.empty() && !req.contains("action"))
            return fail("route add needs 'via ADDR' or blackhole|unreachable|prohibit");
    } else if (op == "route del") {
        if (rest.size() != 1) return fail("route del takes one prefix");
        req["prefix"] = rest[0];
    } else if (op == "neighbor add" || op == "neighbor del") {
        if (rest.empty()) return fail(op + " needs an address");
        req["address"] = rest[0];
        for (std::size_t i = 1; i < rest.size(); i += 2) {
            const std::string& w = rest[i];
            const bool known = w == "interface" || (w == "mac" && op == "neighbor add");
            if (!known) return fail("unexpected '" + printable(w) + "'");
            if (i + 1 == rest.size()) return fail("'" + w + "' needs a value");
            if (req.contains(w)) return fail("'" + w + "' given twice");
            req[w] = rest[i + 1];
        }
        if (op == "neighbor add" && (!req.contains("mac") || !req.contains("interface")))
            return fail("neighbor add needs 'mac MAC' and 'interface NAME'");
    } else {
        return fail("unknown command '" + printable(op) + "'");
    }
    p.request = std::move(req);
    return p;
}

void PcapngTally::feed(const char* data, std::size_t n) {
    // Block: type (32 bits), total length (32), body, total length again; host byte order (the
    // router's, which is the reader's on the same machine).
    constexpr uint32_t kPacketBlock = 6, kStatsBlock = 5;
    constexpr uint16_t kOptEnd = 0, kIfDrop = 5;
    while (n != 0 && !malformed_) {
        if (skip_ != 0) {
            const std::size_t k = static_cast<std::size_t>(std::min<uint64_t>(skip_, n));
            skip_ -= k;
            data += k;
            n -= k;
            continue;
        }
        const std::size_t want = block_.size() < 8 ? 8 : 0;
        if (want != 0) {
            const std::size_t k = std::min(n, want - block_.size());
            block_.append(data, k);
            data += k;
            n -= k;
            if (block_.size() < 8) return;
        }
        uint32_t type, len;
        std::memcpy(&type, block_.data(), 4);
        std::memcpy(&len, block_.data() + 4, 4);
        if (len < 12 || len % 4 != 0) {
            malformed_ = true;
            return;
        }
        if (type != kStatsBlock) {
            if (type == kPacketBlock) ++packets_;
            skip_ = len - 8;
            block_.clear();
            continue;
        }
        // The statistics block is kept whole (it is small) to read its options.
        if (len > 4096) {
            malformed_ = true;
            return;
        }
        const std::size_t k = std::min(n, len - block_.size());
        block_.append(data, k);
        data += k;
        n -= k;
        if (block_.size() < len) return;
        // Interface ID (4), timestamp (8), then options up to the trailing length.
        for (std::size_t off = 8 + 12; off + 4 <= len - 4;) {
            uint16_t code, olen;
            std::memcpy(&code, block_.data() + off, 2);
            std::memcpy(&olen, block_.data() + off + 2, 2);
            if (code == kOptEnd) break;
            if (code == kIfDrop && olen == 8 && off + 12 <= len - 4) std::memcpy(&dropped_, block_.data() + off + 4, 8);
            off += 4 + ((olen + 3u) & ~3u);
        }
        stats_seen_ = true;
        block_.clear();
    }
}

std::string format_result(const std::string& op, const json& result) {
    if (op == "show interfaces") return interfaces_text(result);
    if (op == "show routes") return routes_text(result);
    if (op == "show neighbors") return neighbors_text(result);
    if (op == "show stats") return stats_text(result);
    return {};  // mutations: silence is success, as with ip(8)
}

}  // namespace dprouter::ctl
