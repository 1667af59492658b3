// Semantic checks of the IPv6 half of the configuration: interface addresses, `routes` with IPv6
// prefixes (Config::routes6) and IPv6 `neighbors`. Same rules of reporting as the IPv4 checks
// (config_validate.cpp): each error points at the offending value.
//
// Linear in routes and neighbours (hash maps; each distinct via is checked once), and otherwise
// bounded by the dataplane's limits (16 interfaces of 8 addresses per family).
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "dprouter/config.hpp"
#include "error_sink.hpp"
#include "validate_common.hpp"

namespace dprouter::validate {

namespace {

// RFC 8200 5: IPv6 needs a link MTU of 1280; the table builder runs IPv6 only on such interfaces.
bool runs_ipv6(const InterfaceConfig& ic) { return ic.mtu >= config_limits::min_mtu_ipv6; }

// RFC 4291 2.5.6: a link-local unicast address is fe80::/64 (54 zero bits after the ten of fe80::/10).
bool in_link_local_64(const Ipv6& a) {
    return a.bytes[0] == 0xfe && a.bytes[1] == 0x80 &&
           std::all_of(a.bytes.begin() + 2, a.bytes.begin() + 8, [](uint8_t b) { return b == 0; });
}

// Addresses that are never an interface's, a next hop or a neighbour (RFC 4291 2.5.2, 2.5.3, 2.7,
// 2.5.5.2).
std::optional<std::string> special_problem(const std::string& text, const Ipv6& a) {
    if (a.is_unspecified()) return text + " is the unspecified address";
    if (a.is_loopback()) return text + " is the loopback address";
    if (a.is_multicast()) return text + " is a multicast address";
    if (a.is_v4_mapped()) return text + " is an IPv4-mapped address";
    return std::nullopt;
}

bool overlaps(const Ipv6Prefix& a, const Ipv6Prefix& b) {
    return Ipv6Prefix{a.addr, std::min(a.len, b.len)}.contains(b.addr);
}

// An address and a small number (prefix length, interface index) as one hash key.
struct Key6 {
    Ipv6 addr;
    int n = 0;
    friend bool operator==(const Key6&, const Key6&) = default;
};

// splitmix64's finalizer: every input bit reaches every output bit, so prefixes that differ only
// in a few middle bits (2001:db8:N::/48) still spread over the buckets.
uint64_t mix64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

struct Key6Hash {
    std::size_t operator()(const Key6& k) const {
        uint64_t a, b;
        std::memcpy(&a, k.addr.bytes.data(), 8);
        std::memcpy(&b, k.addr.bytes.data() + 8, 8);
        return static_cast<std::size_t>(mix64(a ^ mix64(b ^ static_cast<uint64_t>(k.n))));
    }
};

class Validator6 {
public:
    Validator6(const Config& c, ErrorSink& errors) : c_(c), errors_(errors), names_(interface_indices(c)) {}

    void run() {
        check_addresses();
        check_routes();
        check_neighbors();
    }

private:
    // What the route and neighbour checks need of one interface.
    struct Ifc6 {
        bool runs = false;
        std::vector<const InterfaceAddress6*> globals;  // within the limits, link-local excluded
        std::optional<Ipv6> link_local;  // listed, or derived from a configured `mac`; unknown otherwise
    };

    // Where a problem about a route's via belongs: on the via, or on its `interface:`.
    struct ViaProblem {
        std::string message;
        bool at_interface = false;
    };

    void error(SourcePos pos, std::string message) { errors_.add(c_.file, pos, std::move(message)); }

    void check_addresses() {
        struct Seen {
            std::size_t ifc;
            const InterfaceAddress6* addr;
        };
        std::vector<Seen> seen;  // at most 16 x 8: pairwise is fine
        const std::size_t n = std::min(c_.interfaces.size(), config_limits::max_interfaces);
        ifcs_.resize(n);
        for (std::size_t i = 0; i < n; ++i) {
            const InterfaceConfig& ifc = c_.interfaces[i];
            Ifc6& info = ifcs_[i];
            info.runs = runs_ipv6(ifc);
            // Below 68 the IPv4 range check has said it already.
            if (!ifc.addresses6.empty() && !info.runs && ifc.mtu >= config_limits::min_mtu)
                error(or_item(ifc.mtu_pos, ifc.pos),
                      "interface '" + ifc.name + "' has IPv6 addresses but mtu " + std::to_string(ifc.mtu) +
                          " is below " + std::to_string(config_limits::min_mtu_ipv6) +
                          ", the IPv6 minimum link MTU (RFC 8200 5)");
            const InterfaceAddress6* listed_ll = nullptr;
            std::size_t globals = 0;
            for (const InterfaceAddress6& a : ifc.addresses6) {
                const std::string text = "address " + format_prefix6(a.prefix);
                if (a.prefix.len == 0) {
                    error(a.pos, text + " has prefix length 0, which no interface can use");
                } else if (auto problem = special_problem(text, a.prefix.addr)) {
                    error(a.pos, *problem);
                } else if (a.prefix.addr.is_link_local()) {
                    if (!in_link_local_64(a.prefix.addr) || a.prefix.len != 64) {
                        error(a.pos, "link-local " + text + " must be in fe80::/64 with prefix length 64 (RFC 4291 2.5.6)");
                    } else if (listed_ll) {
                        error(a.pos, "interface '" + ifc.name + "' has more than one link-local address" +
                                         first_at(listed_ll->pos));
                    } else {
                        listed_ll = &a;
                    }
                } else if (++globals > config_limits::max_addresses) {
                    if (globals == config_limits::max_addresses + 1)
                        error(a.pos, "interface '" + ifc.name + "' has more than " +
                                         std::to_string(config_limits::max_addresses) +
                                         " IPv6 addresses besides its link-local one (the dataplane keeps at most that many)");
                } else if (a.prefix.len <= 126 && a.prefix.addr == a.prefix.network()) {
                    // RFC 4291 2.6.1 (RFC 6164 exempts /127 and /128).
                    error(a.pos, text + " is the Subnet-Router anycast address of its prefix");
                } else {
                    check_conflicts(i, a, seen);
                    seen.push_back(Seen{i, &a});
                    info.globals.push_back(&a);
                }
            }
            if (listed_ll) info.link_local = listed_ll->prefix.addr;
            else if (ifc.has_mac) info.link_local = link_local_from_mac(ifc.mac);
        }
    }

    // Against the global addresses before it: the same address anywhere, or a prefix that overlaps
    // another interface's (the router could not tell which port a host is behind). Link-local
    // addresses are exempt: fe80::/64 is on every link, and fe80::1 on each is common practice.
    template <class Seen>
    void check_conflicts(std::size_t ifc, const InterfaceAddress6& a, const std::vector<Seen>& seen) {
        for (const Seen& s : seen)
            if (s.addr->prefix.addr == a.prefix.addr) {
                error(a.pos, "duplicate address " + format_ipv6(a.prefix.addr) + first_at(s.addr->pos));
                return;
            }
        for (const Seen& s : seen)
            if (s.ifc != ifc && overlaps(s.addr->prefix, a.prefix)) {
                error(a.pos, "address " + format_prefix6(a.prefix) + " overlaps " + format_prefix6(s.addr->prefix) +
                                 " on interface '" + c_.interfaces[s.ifc].name + "'");
                return;
            }
    }

    bool is_own_global(const Ipv6& a) const {
        for (const Ifc6& info : ifcs_)
            for (const InterfaceAddress6* g : info.globals)
                if (g->prefix.addr == a) return true;
        return false;
    }

    // The interface whose connected (global) prefix holds `a`, longest first; -1 if none.
    int interface_holding(const Ipv6& a) const {
        int best = -1;
        int best_len = -1;
        for (std::size_t i = 0; i < ifcs_.size(); ++i) {
            if (!ifcs_[i].runs) continue;
            for (const InterfaceAddress6* g : ifcs_[i].globals)
                if (g->prefix.contains(a) && g->prefix.len > best_len) {
                    best = static_cast<int>(i);
                    best_len = g->prefix.len;
                }
        }
        return best;
    }

    std::string not_ipv6(int ifc) const {
        const InterfaceConfig& ic = c_.interfaces[ifc];
        return "interface '" + ic.name + "' does not run IPv6 (mtu " + std::to_string(ic.mtu) + " is below " +
               std::to_string(config_limits::min_mtu_ipv6) + ")";
    }

    // `named`: the index of the route's `interface:`, -1 when it has none.
    std::optional<ViaProblem> via_problem(const Ipv6& via, int named) const {
        const std::string text = "via " + format_ipv6(via);
        if (auto problem = special_problem(text, via)) return ViaProblem{*problem};
        if (named >= static_cast<int>(ifcs_.size())) return std::nullopt;  // beyond the limits: reported already
        if (named >= 0 && !ifcs_[named].runs) return ViaProblem{not_ipv6(named), true};
        if (via.is_link_local()) {
            // fe80::/64 is on every link: the address alone cannot say which (RFC 4007 6).
            if (named < 0) return ViaProblem{text + " is link-local: the route needs 'interface'"};
            if (ifcs_[named].link_local == via) return ViaProblem{text + " is one of our own addresses"};
            return std::nullopt;
        }
        if (is_own_global(via)) return ViaProblem{text + " is one of our own addresses"};
        const int holder = interface_holding(via);
        if (holder < 0) return ViaProblem{text + " is not reachable through any connected IPv6 network"};
        if (named >= 0 && holder != named)
            return ViaProblem{text + " is on interface '" + c_.interfaces[holder].name + "', not '" +
                                  c_.interfaces[named].name + "'",
                              true};
        return std::nullopt;
    }

    void check_routes() {
        std::unordered_map<Key6, const Route6Config*, Key6Hash> first;  // (network, length) -> first route
        std::unordered_map<Key6, std::optional<ViaProblem>, Key6Hash> via_memo;  // (via, interface) -> problem
        first.reserve(c_.routes6.size());
        for (const Route6Config& r : c_.routes6) {
            const std::string& file = r.from_routes_file ? c_.routes_file : c_.file;
            const SourcePos prefix_pos = or_item(r.prefix_pos, r.pos);
            const SourcePos interface_pos = or_item(r.interface_pos, r.pos);
            if (r.prefix.len > 128) {
                errors_.add(file, prefix_pos, "prefix length " + std::to_string(r.prefix.len) + " out of range 0..128");
                continue;
            }
            const Ipv6Prefix net{r.prefix.network(), r.prefix.len};
            if (r.prefix.addr != net.addr)
                errors_.add(file, prefix_pos, "prefix " + format_prefix6(r.prefix) + " has host bits set");
            if (auto [it, fresh] = first.try_emplace(Key6{net.addr, net.len}, &r); !fresh) {
                const Route6Config& prev = *it->second;
                const SourcePos at = or_item(prev.prefix_pos, prev.pos);
                errors_.add(file, prefix_pos,
                            "duplicate route prefix " + format_prefix6(net) +
                                (prev.from_routes_file == r.from_routes_file
                                     ? first_at(at)
                                     : " (first defined at " + (prev.from_routes_file ? c_.routes_file : c_.file) +
                                           ":" + std::to_string(at.line) + ")"));
            }
            if (r.action != RouteAction::forward) {
                const std::string head = "route " + format_prefix6(r.prefix) + " with action " + action_name(r.action);
                if (r.has_via) errors_.add(file, or_item(r.via_pos, r.pos), head + " must not have a via");
                if (!r.interface.empty()) errors_.add(file, interface_pos, head + " must not have an interface");
                continue;
            }
            if (!r.has_via) {
                errors_.add(file, r.pos, "route " + format_prefix6(r.prefix) + " has action forward but no via");
                continue;
            }
            int named = -1;
            if (!r.interface.empty()) {
                auto it = names_.find(r.interface);
                if (it == names_.end()) {
                    errors_.add(file, interface_pos, "route interface '" + r.interface + "' is not defined");
                    continue;
                }
                named = it->second;
            }
            auto [it, fresh] = via_memo.try_emplace(Key6{r.via, named});
            if (fresh) it->second = via_problem(r.via, named);
            if (const auto& p = it->second)
                errors_.add(file, p->at_interface ? interface_pos : or_item(r.via_pos, r.pos), p->message);
            // ECMP: every further gateway is checked like the first (a link-local one needs `interface`).
            for (size_t i = 0; i < r.more_via.size(); ++i) {
                auto [m, new_via] = via_memo.try_emplace(Key6{r.more_via[i], named});
                if (new_via) m->second = via_problem(r.more_via[i], named);
                if (const auto& p = m->second)
                    errors_.add(file, p->at_interface ? interface_pos : or_item(r.more_via_pos[i], r.pos), p->message);
            }
        }
    }

    void check_neighbors() {
        std::unordered_map<Key6, const Neighbor6Config*, Key6Hash> first;  // (address, interface) -> first
        for (const Neighbor6Config& n : c_.neighbors6) {
            const SourcePos address_pos = or_item(n.address_pos, n.pos);
            const SourcePos interface_pos = or_item(n.interface_pos, n.pos);
            if (auto problem = mac_problem("neighbor", n.mac)) error(or_item(n.mac_pos, n.pos), *problem);
            const std::string text = "neighbor " + format_ipv6(n.address);
            if (auto problem = special_problem(text, n.address)) {
                error(address_pos, *problem);
                continue;
            }
            auto named = names_.find(n.interface);
            if (named == names_.end()) {
                error(interface_pos, "neighbor interface '" + n.interface + "' is not defined");
                continue;
            }
            const int i = named->second;
            if (i >= static_cast<int>(ifcs_.size())) continue;  // beyond the limits: reported already
            if (!ifcs_[i].runs) {
                error(interface_pos, not_ipv6(i));
                continue;
            }
            // A link-local neighbour is on-link wherever it is (RFC 4861 2.1); any other must be on
            // one of the interface's prefixes.
            const bool own = n.address.is_link_local() ? ifcs_[i].link_local == n.address : is_own_global(n.address);
            if (own) {
                error(address_pos, text + " is one of our own addresses");
                continue;
            }
            if (!n.address.is_link_local() &&
                std::none_of(ifcs_[i].globals.begin(), ifcs_[i].globals.end(),
                             [&](const InterfaceAddress6* g) { return g->prefix.contains(n.address); })) {
                error(address_pos, text + " is not on a connected IPv6 network of interface '" + n.interface + "'");
                continue;
            }
            if (auto [it, fresh] = first.try_emplace(Key6{n.address, i}, &n); !fresh) {
                const Neighbor6Config& prev = *it->second;
                error(address_pos, "duplicate " + text + " on interface '" + n.interface + "'" +
                                       first_at(or_item(prev.address_pos, prev.pos)));
            }
        }
    }

    const Config& c_;
    ErrorSink& errors_;
    std::unordered_map<std::string, int> names_;
    std::vector<Ifc6> ifcs_;  // one per interface within the limits
};

}  // namespace

void check_ipv6(const Config& c, ErrorSink& errors) { Validator6(c, errors).run(); }

}  // namespace dprouter::validate
