#include "dprouter/nd_resolver.hpp"

#include <functional>
#include <string_view>
#include <unordered_set>

#include "dprouter/held_packets.hpp"
#include "dprouter/nd_message.hpp"

namespace dprouter {
namespace {

// What the workers see of each state (nd_resolver.hpp).
NeighborState published_state(Nd6State s) {
    switch (s) {
    case Nd6State::incomplete: return NeighborState::incomplete;
    case Nd6State::failed: return NeighborState::failed;
    case Nd6State::reachable:
    case Nd6State::stale:
    case Nd6State::delay:
    case Nd6State::probe: return NeighborState::reachable;
    }
    return NeighborState::incomplete;
}

bool same_mac(const rte_ether_addr& a, const rte_ether_addr& b) { return rte_is_same_ether_addr(&a, &b); }

}  // namespace

const char* nd6_state_name(Nd6State s) {
    switch (s) {
    case Nd6State::incomplete: return "incomplete";
    case Nd6State::reachable: return "reachable";
    case Nd6State::stale: return "stale";
    case Nd6State::delay: return "delay";
    case Nd6State::probe: return "probe";
    case Nd6State::failed: return "failed";
    }
    return "?";
}

size_t Nd6Resolver::KeyHash::operator()(const Key& k) const {
    const std::string_view bytes(reinterpret_cast<const char*>(k.addr.data()), k.addr.size());
    return std::hash<std::string_view>{}(bytes) ^ (size_t{k.port} * 0x9e3779b97f4a7c15ull);
}

Nd6Resolver::~Nd6Resolver() {
    for (auto& [k, e] : entries_) held::free_all(e.held);
}

void Nd6Resolver::publish(const Entry& e) {
    const PackedNeighbor p = PackedNeighbor::make(e.mac, published_state(e.state));
    table_.set(e.key.addr.data(), e.key.port, p);
    if (tables_ == nullptr) return;
    for (uint32_t i = 0; i < tables_->n_nexthops6; ++i) {
        NextHop6& nh = tables_->nexthops6[i];
        if (nh.action == NextHopAction::forward && nh.port == e.key.port &&
            std::memcmp(nh.gateway, e.key.addr.data(), 16) == 0)
            nh.l2.store(p.word, std::memory_order_release);
    }
}

void Nd6Resolver::fill(NextHop6& nh) const {
    Key k{};
    std::memcpy(k.addr.data(), nh.gateway, 16);
    k.port = nh.port;
    auto it = entries_.find(k);
    const uint64_t word = it == entries_.end() ? 0 : PackedNeighbor::make(it->second.mac, published_state(it->second.state)).word;
    nh.l2.store(word, std::memory_order_release);
}

void Nd6Resolver::unpublish(const Entry& e) {
    table_.remove(e.key.addr.data(), e.key.port);
    if (tables_ == nullptr) return;
    for (uint32_t i = 0; i < tables_->n_nexthops6; ++i) {
        NextHop6& nh = tables_->nexthops6[i];
        if (nh.action == NextHopAction::forward && nh.port == e.key.port &&
            std::memcmp(nh.gateway, e.key.addr.data(), 16) == 0)
            nh.l2.store(0, std::memory_order_release);
    }
}

// Enters state `s` with its timer (RFC 4861 7.3.2, 10). The caller publishes.
void Nd6Resolver::set_state(Entry& e, Nd6State s, uint64_t now_ms) {
    e.state = s;
    e.probes = 0;
    switch (s) {
    case Nd6State::incomplete:
    case Nd6State::probe: e.next_ms = now_ms + kArpRetryMs; break;
    case Nd6State::reachable: e.next_ms = now_ms + kNd6ReachableMs; break;
    case Nd6State::stale: e.next_ms = now_ms; break;  // workers report no use: straight on to DELAY
    case Nd6State::delay: e.next_ms = now_ms + kNd6DelayMs; break;
    case Nd6State::failed: e.next_ms = now_ms + kNeighborFailedMs; break;
    }
}

// A link-layer address for the entry, in state `s`; packets waiting for it go.
void Nd6Resolver::learn_mac(Entry& e, const rte_ether_addr& mac, Nd6State s, uint64_t now_ms,
                            std::vector<rte_mbuf*>& out) {
    if (published_state(e.state) != NeighborState::reachable) ++stats_.resolved;
    const bool changed = published_state(e.state) != published_state(s) || !same_mac(e.mac, mac);
    e.mac = mac;
    set_state(e, s, now_ms);
    if (changed) publish(e);
    release(e, out);
}

Nd6Resolver::Entry* Nd6Resolver::find_or_create(const Key& k) {
    auto it = entries_.find(k);
    if (it != entries_.end()) return &it->second;
    if (entries_.size() >= kNeighborEntriesMax) return nullptr;  // full until entries age out
    Entry& e = entries_[k];
    e.key = k;
    return &e;
}

void Nd6Resolver::attach(Tables* tables, const std::vector<Static>& statics, uint64_t now_ms,
                         std::vector<rte_mbuf*>& out) {
    tables_ = tables;
    std::unordered_set<Key, KeyHash> static_keys;
    for (const auto& s : statics) static_keys.insert({s.addr, s.port});
    for (auto it = entries_.begin(); it != entries_.end();) {
        Entry& e = it->second;
        if (e.key.port >= kMaxPorts || !tables->ifaces[e.key.port].ipv6) {  // the port lost IPv6
            const size_t n = held::free_all(e.held, counters_);
            stats_.failed_dropped += n;
            held_total_ -= n;
            unpublish(e);
            it = entries_.erase(it);
            continue;
        }
        if (e.is_static && !static_keys.contains(e.key)) {
            // No longer configured: keep the MAC, which is the best knowledge there is, and let the
            // probes confirm or remove it (as ArpResolver does).
            e.is_static = false;
            set_state(e, Nd6State::stale, now_ms);
        }
        ++it;
    }
    for (const auto& s : statics) {
        Entry* e = find_or_create({s.addr, s.port});
        if (e == nullptr) continue;
        e->is_static = true;
        learn_mac(*e, s.mac, Nd6State::reachable, now_ms, out);
    }
    for (auto& [k, e] : entries_) publish(e);
}

bool Nd6Resolver::add_static(const Static& s, uint64_t now_ms, std::vector<rte_mbuf*>& out) {
    Entry* e = find_or_create({s.addr, s.port});
    if (e == nullptr) return false;
    e->is_static = true;
    learn_mac(*e, s.mac, Nd6State::reachable, now_ms, out);  // publishes a change, releases the held
    return true;
}

bool Nd6Resolver::remove_static(const std::array<uint8_t, 16>& addr, uint16_t port) {
    auto it = entries_.find({addr, port});
    if (it == entries_.end() || !it->second.is_static) return false;
    const size_t n = held::free_all(it->second.held, counters_);
    stats_.failed_dropped += n;
    held_total_ -= n;
    unpublish(it->second);
    entries_.erase(it);
    return true;
}

void Nd6Resolver::on_held(rte_mbuf* m, uint64_t now_ms, std::vector<rte_mbuf*>& out) {
    Key k{};
    std::memcpy(k.addr.data(), held_next_hop6(m), 16);
    k.port = m->port;
    const bool fresh = !entries_.contains(k);
    Entry* e = find_or_create(k);
    if (e == nullptr) {
        ++stats_.hold_dropped;
        held::lose(m, counters_, Drop::hold_queue_full);
        return;
    }
    if (fresh) {
        // RFC 4861 7.2.2: INCOMPLETE, and the first multicast solicitation at once.
        set_state(*e, Nd6State::incomplete, now_ms);
        publish(*e);  // workers now see "incomplete" and keep handing packets here
        retry(*e, false, now_ms, out);
    }
    switch (published_state(e->state)) {
    case NeighborState::reachable:  // resolved while the packet was in the ring
        e->held.push_back(m);
        ++held_total_;
        release(*e, out);
        return;
    case NeighborState::failed:
        ++stats_.failed_dropped;
        held::refuse(m, out, counters_);
        return;
    case NeighborState::incomplete:
        break;
    }
    // 7.2.2: a bounded queue per address; the oldest are kept (they started the resolution).
    if (e->held.size() >= kHoldPerNextHop || held_total_ >= kHold6Total) {
        ++stats_.hold_dropped;
        held::lose(m, counters_, Drop::hold_queue_full);
        return;
    }
    e->held.push_back(m);
    ++held_total_;
}

void Nd6Resolver::on_learn(const LearnMessage6& msg, uint64_t now_ms, std::vector<rte_mbuf*>& out) {
    Key k{};
    std::memcpy(k.addr.data(), msg.addr, 16);
    k.port = msg.port;
    const bool has_mac = !rte_is_zero_ether_addr(&msg.mac);
    if (!msg.is_advert) {
        // 7.2.3: an NS's source link-layer option creates or updates the entry; a new or changed
        // address is STALE (unconfirmed); an entry still being resolved takes it and sends.
        if (!has_mac) return;
        Entry* e = find_or_create(k);
        if (e == nullptr || e->is_static) return;
        if (published_state(e->state) != NeighborState::reachable || !same_mac(e->mac, msg.mac))
            learn_mac(*e, msg.mac, Nd6State::stale, now_ms, out);
        return;
    }
    // 7.2.5: advertisements update existing entries only.
    auto it = entries_.find(k);
    if (it == entries_.end() || it->second.is_static) return;
    Entry& e = it->second;
    const bool solicited = (msg.flags & nd::kFlagSolicited) != 0;
    const bool override = (msg.flags & nd::kFlagOverride) != 0;
    if (published_state(e.state) != NeighborState::reachable) {
        // INCOMPLETE (or FAILED: a late answer is still an answer). Without the target's address
        // there is nothing to use; with it, REACHABLE if solicited, else STALE.
        if (!has_mac) return;
        learn_mac(e, msg.mac, solicited ? Nd6State::reachable : Nd6State::stale, now_ms, out);
        return;
    }
    const bool differs = has_mac && !same_mac(e.mac, msg.mac);
    if (!override && differs) {
        // An address that does not override ours: only doubt about the one we have.
        if (e.state == Nd6State::reachable) {
            set_state(e, Nd6State::stale, now_ms);
        }
        return;
    }
    if (solicited)
        learn_mac(e, differs ? msg.mac : e.mac, Nd6State::reachable, now_ms, out);
    else if (differs)
        learn_mac(e, msg.mac, Nd6State::stale, now_ms, out);
    // Unsolicited, same address: no change of state (7.2.5).
}

void Nd6Resolver::release(Entry& e, std::vector<rte_mbuf*>& out) {
    if (tables_ == nullptr) return;
    const size_t n = held::release(e.held, e.mac, tables_->ifaces[e.key.port].mac, e.key.port, out);
    stats_.released += n;
    held_total_ -= n;
}

// Transit packets go back to a worker, which owes their senders address unreachable.
void Nd6Resolver::refuse_held(Entry& e, std::vector<rte_mbuf*>& out) {
    stats_.failed_dropped += e.held.size();
    held_total_ -= e.held.size();
    for (rte_mbuf* m : e.held) held::refuse(m, out, counters_);
    e.held.clear();
}

// Another solicitation of the current round (INCOMPLETE or PROBE), unless it has had kArpRetries.
bool Nd6Resolver::retry(Entry& e, bool unicast, uint64_t now_ms, std::vector<rte_mbuf*>& out) {
    if (e.probes >= kArpRetries) return false;
    ++e.probes;
    e.next_ms = now_ms + kArpRetryMs;
    solicit(e, unicast, out);
    return true;
}

void Nd6Resolver::on_timer(uint64_t now_ms, std::vector<rte_mbuf*>& out) {
    // Returns true for an entry to remove.
    auto step = [&](Entry& e) {
        if (e.is_static || now_ms < e.next_ms) return false;
        switch (e.state) {
        case Nd6State::incomplete:
            if (retry(e, false, now_ms, out)) return false;
            // 7.2.2: no answer to MAX_MULTICAST_SOLICIT solicitations: address unreachable.
            ++stats_.failed;
            refuse_held(e, out);
            set_state(e, Nd6State::failed, now_ms);
            publish(e);
            return false;
        case Nd6State::failed:
            return true;  // forgotten: the next packet starts a fresh resolution
        case Nd6State::reachable:  // 7.3.3: ReachableTime passed without confirmation
        case Nd6State::stale:
            set_state(e, Nd6State::delay, now_ms);
            return false;
        case Nd6State::delay:  // no upper-layer confirmation: probe the known address by unicast
            set_state(e, Nd6State::probe, now_ms);
            retry(e, true, now_ms, out);
            return false;
        case Nd6State::probe:
            if (retry(e, true, now_ms, out)) return false;
            ++stats_.expired;  // 7.3.3: MAX_UNICAST_SOLICIT unanswered: the entry is deleted
            return true;
        }
        return false;
    };
    for (auto it = entries_.begin(); it != entries_.end();) {
        if (step(it->second)) {
            unpublish(it->second);
            it = entries_.erase(it);
        } else {
            ++it;
        }
    }
}

// RFC 4861 7.2.2 / 4.3: a solicitation from the port's link-local address, hop limit 255, with our
// source link-layer option; to the target's solicited-node group (33:33:ff:xx:xx:xx) while
// resolving, to the target itself when probing a known address.
void Nd6Resolver::solicit(const Entry& e, bool unicast, std::vector<rte_mbuf*>& out) {
    if (tables_ == nullptr) return;
    const InterfaceEntry& ifc = tables_->ifaces[e.key.port];
    if (!ifc.ipv6) return;
    uint8_t dst[16];
    rte_ether_addr eth_dst;
    if (unicast) {
        std::memcpy(dst, e.key.addr.data(), 16);
        eth_dst = e.mac;
    } else {
        nd::solicited_node_of(e.key.addr.data(), dst);
        eth_dst = nd::multicast_mac(dst);
    }
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    if (m == nullptr) return;
    constexpr uint32_t kPayload = nd::kNsNaLength + nd::kLinkAddrOptLength;
    auto* frame = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, nd::kEnvelope + kPayload));
    if (frame == nullptr) {
        rte_pktmbuf_free(m);
        return;
    }
    uint8_t* msg = nd::write_envelope(frame, eth_dst, ifc.mac, ifc.link_local(), dst, kPayload);
    std::memset(msg, 0, kPayload);
    msg[0] = nd::kNeighborSolicitation;
    std::memcpy(msg + 8, e.key.addr.data(), 16);
    nd::write_link_addr_option(msg + nd::kNsNaLength, nd::kOptSourceLinkAddr, ifc.mac);
    nd::icmp6_set_checksum(ifc.link_local(), dst, msg, kPayload);
    m->port = e.key.port;
    out.push_back(m);
    ++stats_.solicitations_sent;
}

std::vector<Neighbor6Info> Nd6Resolver::snapshot() const {
    std::vector<Neighbor6Info> v;
    v.reserve(entries_.size());
    for (const auto& [k, e] : entries_) v.push_back({k.addr, k.port, e.mac, e.state, e.is_static, e.held.size()});
    return v;
}

}  // namespace dprouter
