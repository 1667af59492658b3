#include "control/kernel_route_table.hpp"

#include <algorithm>
#include <cstring>
#include <tuple>

#include <arpa/inet.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include "dprouter/log.hpp"

namespace dprouter {

bool same_route(const Route& a, const Route& b) {
    return a.same_key(b) && a.action == b.action && a.via == b.via && a.protocol == b.protocol && a.metric == b.metric;
}

KernelRouteTable::KernelRouteTable(std::vector<std::string> mirror_names) : mirror_names_(std::move(mirror_names)) {}

KernelRouteTable::Effect KernelRouteTable::apply(const nl::Decoded& d, RouteSink* sink) {
    if (const auto* r = std::get_if<nl::KernelRoute>(&d)) return apply_route(*r, sink);
    if (const auto* n = std::get_if<nl::KernelNexthop>(&d)) return apply_nexthop(*n, sink);
    if (const auto* l = std::get_if<nl::KernelLink>(&d)) return apply_link(*l);
    return Effect::none;
}

int KernelRouteTable::mirror_of(uint32_t ifindex) const {
    const auto it = links_.find(ifindex);
    if (it == links_.end()) return -1;
    for (std::size_t i = 0; i < mirror_names_.size(); ++i)
        if (mirror_names_[i] == it->second.name) return static_cast<int>(i);
    return -1;
}

void KernelRouteTable::index_route(const RouteKey& k, uint32_t nh_id, bool add) {
    if (nh_id == 0) return;
    if (add) {
        users_[nh_id].insert(k);
        return;
    }
    const auto it = users_.find(nh_id);
    if (it == users_.end()) return;
    it->second.erase(k);
    if (it->second.empty()) users_.erase(it);
}

void KernelRouteTable::erase_route(std::map<RouteKey, Held>::iterator it) {
    index_route(it->first, it->second.nh_id, false);
    if (auto b = behind_.find(it->first); b != behind_.end()) {
        it->second = std::move(b->second.front());
        b->second.pop_front();
        if (b->second.empty()) behind_.erase(b);
        index_route(it->first, it->second.nh_id, true);
        return;
    }
    routes_.erase(it);
}

void KernelRouteTable::drop_behind_using(uint32_t id) {
    for (auto b = behind_.begin(); b != behind_.end();) {
        std::erase_if(b->second, [&](const Held& h) { return h.nh_id == id; });
        b = b->second.empty() ? behind_.erase(b) : std::next(b);
    }
}

std::size_t KernelRouteTable::routes_behind() const {
    std::size_t n = 0;
    for (const auto& [k, q] : behind_) n += q.size();
    return n;
}

// Whether two entries of one key are the same route (the kernel refuses a second one; a delete
// notification carries the deleted entry whole). Paths compare by interface and gateway: their
// flags follow the link state.
bool KernelRouteTable::same_entry(const Held& a, const Held& b) {
    if (a.kind != b.kind || a.protocol != b.protocol || a.nh_id != b.nh_id || a.paths.size() != b.paths.size())
        return false;
    for (std::size_t i = 0; i < a.paths.size(); ++i)
        if (a.paths[i].oif != b.paths[i].oif || a.paths[i].gateway_family != b.paths[i].gateway_family ||
            a.paths[i].gateway != b.paths[i].gateway)
            return false;
    return true;
}

bool KernelRouteTable::add_paths(const std::vector<nl::Path>& paths, uint8_t family, Route& out) const {
    for (const nl::Path& p : paths) {
        if (p.flags & RTNH_F_DEAD) continue;
        if (p.gateway_family != 0 && p.gateway_family != family) continue;  // RFC 5549: not for this FIB
        const int port = mirror_of(p.oif);
        if (port < 0) continue;  // not through a mirror interface: the dataplane cannot send there
        RouteVia v;
        v.interface = port;
        if (p.gateway_family == AF_INET) {
            uint32_t be;
            std::memcpy(&be, p.gateway.data(), 4);
            v.gateway4 = ntohl(be);
        } else if (p.gateway_family == AF_INET6) {
            v.gateway6.bytes = p.gateway;
        }
        if (std::find(out.via.begin(), out.via.end(), v) != out.via.end()) continue;
        if (out.via.size() >= kMaxEcmpPaths) return true;  // the first kMaxEcmpPaths, in kernel order
        // (the FIB takes at most that many)
        out.via.push_back(v);
    }
    return true;
}

std::optional<Route> KernelRouteTable::translate(const RouteKey& k, const Held& h) const {
    Route r;
    r.ipv6 = k.prefix.family == AF_INET6;
    if (r.ipv6) {
        r.prefix6.addr.bytes = k.prefix.dst;
        r.prefix6.len = k.prefix.len;
    } else {
        uint32_t be;
        std::memcpy(&be, k.prefix.dst.data(), 4);
        r.prefix4.addr = ntohl(be);
        r.prefix4.len = k.prefix.len;
    }
    r.origin = RouteOrigin::kernel;
    r.protocol = h.protocol;
    r.metric = k.priority;
    switch (h.kind) {
    case nl::RouteKind::blackhole: r.action = RouteAction::blackhole; return r;
    case nl::RouteKind::unreachable: r.action = RouteAction::unreachable; return r;
    case nl::RouteKind::prohibit: r.action = RouteAction::prohibit; return r;
    case nl::RouteKind::unicast: break;
    }
    r.action = RouteAction::forward;
    if (h.nh_id != 0) {
        const auto it = nexthops_.find(h.nh_id);
        if (it == nexthops_.end()) return std::nullopt;  // the kernel refuses unknown ids; not held (yet)
        const nl::KernelNexthop& nh = it->second;
        if (nh.blackhole) {
            r.action = RouteAction::blackhole;
            return r;
        }
        if (nh.group.empty()) {
            if (!nh.dead) add_paths({nh.path}, k.prefix.family, r);
        } else {
            // Members in group order; weights are not kept (the dataplane spreads evenly).
            for (const nl::GroupMember& m : nh.group) {
                const auto mit = nexthops_.find(m.id);
                if (mit == nexthops_.end() || mit->second.dead || mit->second.blackhole || !mit->second.group.empty())
                    continue;
                add_paths({mit->second.path}, k.prefix.family, r);
            }
        }
    } else {
        add_paths(h.paths, k.prefix.family, r);
    }
    if (r.via.empty()) return std::nullopt;
    // One order for one set of paths, whatever order the kernel lists them in (IPv6 siblings come
    // in insertion order): the same set hashes flows the same way, and a reordering is no change.
    std::sort(r.via.begin(), r.via.end(), [](const RouteVia& a, const RouteVia& b) {
        return std::tie(a.interface, a.gateway4, a.gateway6) < std::tie(b.interface, b.gateway4, b.gateway6);
    });
    return r;
}

std::optional<Route> KernelRouteTable::best(const PrefixKey& p) const {
    for (auto it = routes_.lower_bound(RouteKey{p, 0}); it != routes_.end() && it->first.prefix == p; ++it)
        if (auto r = translate(it->first, it->second)) return r;
    return std::nullopt;
}

void KernelRouteTable::emit(const std::optional<Route>& before, const std::optional<Route>& after, RouteSink& sink) {
    if (!after) {
        if (before) sink.remove(*before);
        return;
    }
    if (before && same_route(*before, *after)) return;
    const std::string why = sink.upsert(*after);
    if (!why.empty()) {
        // The old version must not stay in the FIB either: the kernel no longer forwards that way.
        sink.remove(*after);
        ++sink_refusals_;
        last_refusal_ = why;
        DPR_LOG(WARNING, "kernel route %s/%u not imported: %s\n",
                after->ipv6 ? format_ipv6(after->prefix6.addr).c_str() : format_ipv4(after->prefix4.addr).c_str(),
                after->ipv6 ? after->prefix6.len : after->prefix4.len, why.c_str());
    }
}

KernelRouteTable::Effect KernelRouteTable::apply_route(const nl::KernelRoute& r, RouteSink* sink) {
    const RouteKey key{{r.family, r.dst, r.dst_len}, r.priority};
    std::optional<Route> before;
    if (sink) before = best(key.prefix);
    auto it = routes_.find(key);
    if (!r.del) {
        Held entry{r.protocol, r.kind, r.nh_id, r.paths};
        if (it != routes_.end() && r.family == AF_INET && !(r.nlmsg_flags & (NLM_F_REPLACE | NLM_F_EXCL))) {
            // IPv4 keeps several entries per key (prefix, metric) in order. The kernel's flags say
            // where this one went (fib_table_insert): NLM_F_APPEND last (`ip route append`), a
            // dump lists them in order (NLM_F_MULTI), NLM_F_CREATE alone first (`ip route prepend`).
            // It never holds the same entry twice: one held already (a notification replayed
            // after a dump that listed it) changes nothing.
            auto b = behind_.find(key);
            if (same_entry(it->second, entry) ||
                (b != behind_.end() && std::any_of(b->second.begin(), b->second.end(),
                                                   [&](const Held& h) { return same_entry(h, entry); })))
                return Effect::none;
            if (r.nlmsg_flags & (NLM_F_APPEND | NLM_F_MULTI)) {
                behind_[key].push_back(std::move(entry));
                if (sink) emit(before, best(key.prefix), *sink);
                return Effect::none;
            }
            if (r.nlmsg_flags & NLM_F_CREATE) {
                index_route(key, it->second.nh_id, false);
                behind_[key].push_front(std::move(it->second));
                it->second = std::move(entry);
                index_route(key, it->second.nh_id, true);
                if (sink) emit(before, best(key.prefix), *sink);
                return Effect::none;
            }
        }
        if (it != routes_.end()) {
            index_route(key, it->second.nh_id, false);
        } else {
            it = routes_.emplace(key, Held{}).first;
        }
        it->second = std::move(entry);
        index_route(key, r.nh_id, true);
    } else if (it != routes_.end()) {
        const Held gone{r.protocol, r.kind, r.nh_id, r.paths};
        if (auto b = behind_.find(key); r.family == AF_INET && b != behind_.end() && !same_entry(it->second, gone)) {
            // Not the first entry of its key: one behind it went, the FIB keeps the first.
            const auto q = std::find_if(b->second.begin(), b->second.end(), [&](const Held& h) { return same_entry(h, gone); });
            if (q == b->second.end()) return Effect::resync;  // none matches: our copy is wrong
            b->second.erase(q);
            if (b->second.empty()) behind_.erase(b);
            return Effect::none;
        }
        auto& held = it->second.paths;
        const bool subset = r.family == AF_INET6 && it->second.nh_id == 0 && !r.paths.empty() &&
                            r.paths.size() < held.size() &&
                            std::all_of(r.paths.begin(), r.paths.end(), [&](const nl::Path& p) {
                                return std::any_of(held.begin(), held.end(), [&](const nl::Path& q) {
                                    return q.oif == p.oif && q.gateway_family == p.gateway_family &&
                                           q.gateway == p.gateway;
                                });
                            });
        if (subset) {
            // IPv6 keeps ECMP routes as siblings: deleting one path (`ip -6 route del P via G`)
            // announces only that path, the others stay.
            std::erase_if(held, [&](const nl::Path& q) {
                return std::any_of(r.paths.begin(), r.paths.end(), [&](const nl::Path& p) {
                    return q.oif == p.oif && q.gateway_family == p.gateway_family && q.gateway == p.gateway;
                });
            });
        } else {
            erase_route(it);
        }
    }
    if (sink) emit(before, best(key.prefix), *sink);
    return Effect::none;
}

KernelRouteTable::Effect KernelRouteTable::apply_nexthop(const nl::KernelNexthop& n, RouteSink* sink) {
    // The prefixes whose routes name this object, directly or through a group that holds it.
    std::set<PrefixKey> affected;
    auto collect_users = [&](uint32_t id) {
        const auto it = users_.find(id);
        if (it == users_.end()) return;
        for (const RouteKey& k : it->second) affected.insert(k.prefix);
    };
    std::vector<uint32_t> groups_holding;
    for (const auto& [id, nh] : nexthops_)
        for (const nl::GroupMember& m : nh.group)
            if (m.id == n.id) {
                groups_holding.push_back(id);
                break;
            }
    collect_users(n.id);
    for (uint32_t g : groups_holding) collect_users(g);

    std::vector<std::pair<PrefixKey, std::optional<Route>>> before;
    if (sink)
        for (const PrefixKey& p : affected) before.emplace_back(p, best(p));

    if (!n.del) {
        nexthops_[n.id] = n;
    } else {
        // The kernel deletes the routes that use a deleted object, and takes it out of its groups
        // (a group left empty goes too, with its routes), without a message for each.
        auto drop_users = [&](uint32_t id) {
            const auto it = users_.find(id);
            if (it == users_.end()) return;
            const std::set<RouteKey> keys = it->second;
            for (const RouteKey& k : keys)
                if (auto rit = routes_.find(k); rit != routes_.end()) erase_route(rit);
        };
        nexthops_.erase(n.id);
        drop_behind_using(n.id);
        drop_users(n.id);
        for (uint32_t g : groups_holding) {
            auto& members = nexthops_[g].group;
            std::erase_if(members, [&](const nl::GroupMember& m) { return m.id == n.id; });
            if (members.empty()) {
                nexthops_.erase(g);
                drop_behind_using(g);
                drop_users(g);
            }
        }
    }
    if (sink)
        for (const auto& [p, b] : before) emit(b, best(p), *sink);
    return Effect::none;
}

KernelRouteTable::Effect KernelRouteTable::apply_link(const nl::KernelLink& l) {
    const int before = mirror_of(l.index);
    const auto it = links_.find(l.index);
    if (l.del) {
        if (it == links_.end()) return Effect::none;
        links_.erase(it);
        return Effect::resync;
    }
    const bool was_up = it != links_.end() && (it->second.flags & IFF_UP);
    Link& link = links_[l.index];
    if (!l.name.empty()) link.name = l.name;
    link.flags = l.flags;
    if (was_up && !(l.flags & IFF_UP)) return Effect::resync;
    return mirror_of(l.index) != before ? Effect::recompute_all : Effect::none;
}

std::vector<Route> KernelRouteTable::imported() const {
    std::vector<Route> out;
    for (auto it = routes_.begin(); it != routes_.end();) {
        const PrefixKey p = it->first.prefix;
        std::optional<Route> chosen;
        for (; it != routes_.end() && it->first.prefix == p; ++it)
            if (!chosen) chosen = translate(it->first, it->second);
        if (chosen) out.push_back(std::move(*chosen));
    }
    return out;
}

}  // namespace dprouter
