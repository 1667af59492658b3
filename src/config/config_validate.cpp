// Semantic checks: relations between values that the parser, looking at one value at a time,
// cannot see. Each error points at the offending value, falling back to its item when the value
// has no position (configs built in code).
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "dprouter/config.hpp"

namespace dprouter {

namespace {

SourcePos or_item(SourcePos value, SourcePos item) { return value.line > 0 ? value : item; }

std::string first_at(SourcePos pos) { return " (first defined at line " + std::to_string(pos.line) + ")"; }

// Subnets of length 1..30 reserve their all-zeros and all-ones host; /31 (RFC 3021) and /32 don't.
bool has_reserved_hosts(const Ipv4Prefix& p) { return p.len >= 1 && p.len <= 30; }

bool overlaps(const Ipv4Prefix& a, const Ipv4Prefix& b) {
    return ((a.addr ^ b.addr) & Ipv4Prefix::mask_of(std::min(a.len, b.len))) == 0;
}

std::string network_of(const Ipv4Prefix& p) {
    return format_prefix(Ipv4Prefix{p.network(), p.len});
}

// 0.0.0.0/8 ("this network"), 127.0.0.0/8 (loopback), 224.0.0.0/4 (multicast) and
// 240.0.0.0/4 (reserved, includes limited broadcast) can never be an interface address.
bool is_unicast_host(Ipv4 a) {
    uint8_t first = static_cast<uint8_t>(a >> 24);
    return first != 0 && first != 127 && first < 224;
}

bool valid_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

class Validator {
public:
    explicit Validator(const Config& c) : c_(c) {}

    std::vector<ConfigError> run() {
        check_interfaces();
        check_addresses();
        check_routes();
        check_neighbors();
        std::stable_sort(errors_.begin(), errors_.end(), [](const ConfigError& a, const ConfigError& b) {
            return std::pair(a.pos.line, a.pos.column) < std::pair(b.pos.line, b.pos.column);
        });
        return std::move(errors_);
    }

private:
    void error(SourcePos pos, std::string message) {
        errors_.push_back(ConfigError{c_.file, pos, std::move(message)});
    }

    // The interface address owning `a` exactly, if any.
    const InterfaceAddress* own_address(Ipv4 a) const {
        for (const auto& ifc : c_.interfaces)
            for (const auto& addr : ifc.addresses)
                if (addr.prefix.addr == a) return &addr;
        return nullptr;
    }

    // Checks that `a`, used as a next hop or neighbour (`what`), is a host on `subnets`:
    // not ours, inside one of them, and not a subnet's network or broadcast address.
    // Returns false when it found a problem (already reported).
    bool check_on_link(const std::string& what, Ipv4 a, SourcePos pos,
                       const std::vector<const InterfaceAddress*>& subnets,
                       const std::string& not_found) {
        const std::string text = what + ' ' + format_ipv4(a);
        if (own_address(a)) {
            error(pos, text + " is one of our own addresses");
            return false;
        }
        for (const InterfaceAddress* s : subnets) {
            const Ipv4Prefix& p = s->prefix;
            if (p.len == 0 || !p.contains(a)) continue;
            if (has_reserved_hosts(p) && a == p.network()) {
                error(pos, text + " is the network address of " + network_of(p));
                return false;
            }
            if (has_reserved_hosts(p) && a == p.broadcast()) {
                error(pos, text + " is the broadcast address of " + network_of(p));
                return false;
            }
            return true;
        }
        error(pos, text + not_found);
        return false;
    }

    void check_mac(const std::string& what, const MacAddr& mac, SourcePos pos) {
        if (mac.is_multicast()) error(pos, what + " MAC " + format_mac(mac) + " is a multicast address");
        else if (mac.is_zero()) error(pos, what + " MAC " + format_mac(mac) + " is all zeros");
    }

    void check_interfaces() {
        for (std::size_t i = 0; i < c_.interfaces.size(); ++i) {
            const InterfaceConfig& ifc = c_.interfaces[i];
            SourcePos name_pos = or_item(ifc.name_pos, ifc.pos);
            SourcePos device_pos = or_item(ifc.device_pos, ifc.pos);
            check_name(ifc.name, name_pos);
            if (ifc.device.empty()) error(device_pos, "interface device must not be empty");
            if (ifc.mtu < config_limits::min_mtu || ifc.mtu > config_limits::max_mtu) {
                error(or_item(ifc.mtu_pos, ifc.pos),
                      "mtu " + std::to_string(ifc.mtu) + " out of range " +
                          std::to_string(config_limits::min_mtu) + ".." + std::to_string(config_limits::max_mtu));
            }
            if (ifc.has_mac) check_mac("interface", ifc.mac, or_item(ifc.mac_pos, ifc.pos));
            if (ifc.addresses.empty()) error(ifc.pos, "interface needs at least one address");

            // Later duplicates are the errors: the first definition is the one the user meant.
            for (std::size_t j = 0; j < i; ++j) {
                const InterfaceConfig& prev = c_.interfaces[j];
                if (!ifc.name.empty() && prev.name == ifc.name) {
                    error(name_pos, "duplicate interface name '" + ifc.name + "'" +
                                        first_at(or_item(prev.name_pos, prev.pos)));
                    break;
                }
            }
            for (std::size_t j = 0; j < i; ++j) {
                const InterfaceConfig& prev = c_.interfaces[j];
                if (!ifc.device.empty() && prev.device == ifc.device) {
                    error(device_pos, "duplicate interface device '" + ifc.device + "'" +
                                          first_at(or_item(prev.device_pos, prev.pos)));
                    break;
                }
            }
        }
    }

    void check_name(const std::string& name, SourcePos pos) {
        if (name.empty() || !std::all_of(name.begin(), name.end(), valid_name_char)) {
            error(pos, "invalid interface name '" + name + "' (use a-z, 0-9, '_' and '-')");
        } else if (name.size() > config_limits::max_interface_name) {
            error(pos, "interface name '" + name + "' is longer than " +
                           std::to_string(config_limits::max_interface_name) + " characters");
        }
    }

    struct SeenAddress {
        const InterfaceConfig* ifc;
        const InterfaceAddress* addr;
    };

    void check_addresses() {
        std::vector<SeenAddress> seen;
        for (const auto& ifc : c_.interfaces) {
            for (const auto& addr : ifc.addresses) {
                if (check_address(addr)) check_address_conflicts(ifc, addr, seen);
                seen.push_back(SeenAddress{&ifc, &addr});
            }
        }
    }

    // The address on its own: a usable unicast host address on a real subnet.
    bool check_address(const InterfaceAddress& a) {
        const Ipv4Prefix& p = a.prefix;
        const std::string text = "address " + format_prefix(p);
        if (p.len == 0) {
            error(a.pos, text + " has prefix length 0, which no interface can use");
        } else if (!is_unicast_host(p.addr)) {
            error(a.pos, text + " is not a unicast host address");
        } else if (has_reserved_hosts(p) && p.addr == p.network()) {
            error(a.pos, text + " is the network address");
        } else if (has_reserved_hosts(p) && p.addr == p.broadcast()) {
            error(a.pos, text + " is the broadcast address");
        } else {
            return true;
        }
        return false;
    }

    // Against the addresses before it: the same IP anywhere, or a connected subnet that
    // overlaps another interface's (the router could not tell which port a host is behind).
    void check_address_conflicts(const InterfaceConfig& ifc, const InterfaceAddress& a,
                                 const std::vector<SeenAddress>& seen) {
        for (const SeenAddress& s : seen) {
            if (s.addr->prefix.addr == a.prefix.addr) {
                error(a.pos, "duplicate address " + format_ipv4(a.prefix.addr) + first_at(s.addr->pos));
                return;
            }
        }
        for (const SeenAddress& s : seen) {
            if (s.ifc != &ifc && s.addr->prefix.len > 0 && overlaps(s.addr->prefix, a.prefix)) {
                error(a.pos, "address " + format_prefix(a.prefix) + " overlaps " +
                                 format_prefix(s.addr->prefix) + " on interface '" + s.ifc->name + "'");
                return;
            }
        }
    }

    std::vector<const InterfaceAddress*> all_subnets() const {
        std::vector<const InterfaceAddress*> out;
        for (const auto& ifc : c_.interfaces)
            for (const auto& addr : ifc.addresses) out.push_back(&addr);
        return out;
    }

    void check_routes() {
        const auto subnets = all_subnets();
        for (std::size_t i = 0; i < c_.routes.size(); ++i) {
            const RouteConfig& r = c_.routes[i];
            SourcePos prefix_pos = or_item(r.prefix_pos, r.pos);
            SourcePos via_pos = or_item(r.via_pos, r.pos);
            const std::string prefix = format_prefix(r.prefix);
            if (r.prefix.len > 32) {
                error(prefix_pos, "prefix length " + std::to_string(r.prefix.len) + " out of range 0..32");
                continue;
            }
            if (r.prefix.addr != r.prefix.network()) error(prefix_pos, "prefix " + prefix + " has host bits set");
            for (std::size_t j = 0; j < i; ++j) {
                const RouteConfig& prev = c_.routes[j];
                if (prev.prefix.len == r.prefix.len && prev.prefix.network() == r.prefix.network()) {
                    error(prefix_pos, "duplicate route prefix " + network_of(r.prefix) +
                                          first_at(or_item(prev.prefix_pos, prev.pos)));
                    break;
                }
            }
            if (r.action == RouteAction::forward && !r.has_via) {
                error(r.pos, "route " + prefix + " has action forward but no via");
            } else if (r.action != RouteAction::forward && r.has_via) {
                error(via_pos, "route " + prefix + " with action " + action_name(r.action) +
                                   " must not have a via");
            } else if (r.has_via) {
                check_on_link("via", r.via, via_pos, subnets,
                              " is not reachable through any connected network");
            }
        }
    }

    static std::string action_name(RouteAction a) {
        switch (a) {
        case RouteAction::forward: return "forward";
        case RouteAction::blackhole: return "blackhole";
        case RouteAction::unreachable: return "unreachable";
        case RouteAction::prohibit: return "prohibit";
        }
        return "unknown";
    }

    void check_neighbors() {
        for (std::size_t i = 0; i < c_.neighbors.size(); ++i) {
            const NeighborConfig& n = c_.neighbors[i];
            SourcePos address_pos = or_item(n.address_pos, n.pos);
            check_mac("neighbor", n.mac, or_item(n.mac_pos, n.pos));

            auto ifc = std::find_if(c_.interfaces.begin(), c_.interfaces.end(),
                                    [&](const InterfaceConfig& x) { return x.name == n.interface; });
            if (ifc == c_.interfaces.end()) {
                error(or_item(n.interface_pos, n.pos), "neighbor interface '" + n.interface + "' is not defined");
                continue;
            }
            std::vector<const InterfaceAddress*> subnets;
            for (const auto& addr : ifc->addresses) subnets.push_back(&addr);
            if (!check_on_link("neighbor", n.address, address_pos, subnets,
                               " is not on a connected network of interface '" + n.interface + "'"))
                continue;

            for (std::size_t j = 0; j < i; ++j) {
                const NeighborConfig& prev = c_.neighbors[j];
                if (prev.address == n.address && prev.interface == n.interface) {
                    error(address_pos, "duplicate neighbor " + format_ipv4(n.address) + " on interface '" +
                                           n.interface + "'" + first_at(or_item(prev.address_pos, prev.pos)));
                    break;
                }
            }
        }
    }

    const Config& c_;
    std::vector<ConfigError> errors_;
};

}  // namespace

std::vector<ConfigError> validate_config(const Config& config) { return Validator(config).run(); }

}  // namespace dprouter
