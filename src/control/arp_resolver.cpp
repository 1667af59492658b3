#include "dprouter/arp_resolver.hpp"

#include "dprouter/held_packets.hpp"

#include <cstring>
#include <unordered_set>

#include <rte_arp.h>
#include <rte_byteorder.h>

namespace dprouter {

ArpResolver::~ArpResolver() {
    for (auto& [k, e] : entries_) held::free_all(e.held);
}

void ArpResolver::publish(const Entry& e) {
    const PackedNeighbor p = PackedNeighbor::make(e.mac, e.state);
    table_.set(e.addr_be, e.port, p);
    if (tables_ == nullptr) return;
    for (uint32_t i = 0; i < tables_->n_nexthops; ++i) {
        NextHop& nh = tables_->nexthops[i];
        if (nh.action == NextHopAction::forward && nh.gateway_be == e.addr_be && nh.port == e.port)
            nh.l2.store(p.word, std::memory_order_release);
    }
}

void ArpResolver::fill(NextHop& nh) const {
    auto it = entries_.find(key(nh.gateway_be, nh.port));
    const uint64_t word = it == entries_.end() ? 0 : PackedNeighbor::make(it->second.mac, it->second.state).word;
    nh.l2.store(word, std::memory_order_release);
}

void ArpResolver::unpublish(const Entry& e) {
    table_.remove(e.addr_be, e.port);
    if (tables_ == nullptr) return;
    for (uint32_t i = 0; i < tables_->n_nexthops; ++i) {
        NextHop& nh = tables_->nexthops[i];
        if (nh.action == NextHopAction::forward && nh.gateway_be == e.addr_be && nh.port == e.port)
            nh.l2.store(0, std::memory_order_release);
    }
}

void ArpResolver::attach(Tables* tables, const std::vector<Static>& statics, uint64_t now_ms,
                         std::vector<rte_mbuf*>& out) {
    tables_ = tables;
    std::unordered_set<uint64_t> static_keys;  // a set, not a scan per entry: both may be large
    for (const auto& s : statics) static_keys.insert(key(s.addr_be, s.port));
    // Entries whose address left every connected subnet go.
    for (auto it = entries_.begin(); it != entries_.end();) {
        Entry& e = it->second;
        if (!tables->on_link(e.port, e.addr_be)) {
            drop_held(e, stats_.failed_dropped);
            unpublish(e);
            it = entries_.erase(it);
            continue;
        }
        if (e.is_static && !static_keys.contains(it->first)) {
            // No longer configured, but the MAC is the best knowledge there is: forgetting it would
            // hold (and past kHoldPerNextHop drop) the traffic to this next hop until a broadcast
            // request is answered. Like a learnt entry whose confirmation is due (RFC 1122 2.3.2.1):
            // keep forwarding, probe the known MAC by unicast now, expire if nobody answers.
            e.is_static = false;
            e.probes = 0;
            e.next_ms = now_ms;
        }
        ++it;
    }
    for (const auto& s : statics) {
        Entry& e = entries_[key(s.addr_be, s.port)];
        e.addr_be = s.addr_be;
        e.port = s.port;
        e.is_static = true;
        make_reachable(e, s.mac, now_ms, out);
    }
    for (auto& [k, e] : entries_) publish(e);
}

bool ArpResolver::add_static(const Static& s, uint64_t now_ms, std::vector<rte_mbuf*>& out) {
    if (entries_.size() >= kNeighborEntriesMax && !entries_.contains(key(s.addr_be, s.port))) return false;
    Entry& e = entries_[key(s.addr_be, s.port)];
    e.addr_be = s.addr_be;
    e.port = s.port;
    e.is_static = true;
    make_reachable(e, s.mac, now_ms, out);  // publishes a changed MAC or state, releases the held packets
    return true;
}

bool ArpResolver::remove_static(uint32_t addr_be, uint16_t port) {
    auto it = entries_.find(key(addr_be, port));
    if (it == entries_.end() || !it->second.is_static) return false;
    drop_held(it->second, stats_.failed_dropped);  // a static entry holds nothing; kept for safety
    unpublish(it->second);
    entries_.erase(it);
    return true;
}

void ArpResolver::on_held(rte_mbuf* m, uint64_t now_ms, std::vector<rte_mbuf*>& out) {
    const uint32_t target = held_next_hop(m);
    const uint16_t port = m->port;
    if (entries_.size() >= kNeighborEntriesMax && !entries_.contains(key(target, port))) {
        ++stats_.hold_dropped;  // table full: nothing more can be resolved until entries age out
        held::lose(m, counters_, Drop::hold_queue_full);
        return;
    }
    auto [it, fresh] = entries_.try_emplace(key(target, port));
    Entry& e = it->second;
    if (fresh) {
        e.addr_be = target;
        e.port = port;
        e.state = NeighborState::incomplete;
        e.probes = 1;
        e.next_ms = now_ms + kArpRetryMs;
        publish(e);  // workers now see "incomplete" and keep queueing here
        send_request(e, false, out);
    }
    switch (e.state) {
    case NeighborState::reachable: {
        // Resolved while the packet was in the ring.
        e.held.push_back(m);
        ++held_total_;
        release(e, out);
        return;
    }
    case NeighborState::failed:
        ++stats_.failed_dropped;
        refuse(m, out);
        return;
    case NeighborState::incomplete:
        break;
    }
    if (e.held.size() >= kHoldPerNextHop || held_total_ >= kHoldTotal) {
        ++stats_.hold_dropped;
        held::lose(m, counters_, Drop::hold_queue_full);
        return;
    }
    e.held.push_back(m);
    ++held_total_;
}

void ArpResolver::on_learn(const LearnMessage& msg, uint64_t now_ms, std::vector<rte_mbuf*>& out) {
    auto it = entries_.find(key(msg.sender_be, msg.port));
    if (it == entries_.end()) {
        if (msg.update_only || entries_.size() >= kNeighborEntriesMax) return;
        // A reply or a request addressed to us (the worker only sends those): worth an entry, since
        // the sender is about to talk to us (RFC 826's merge rule, as Linux applies it).
        it = entries_.try_emplace(key(msg.sender_be, msg.port)).first;
        it->second.addr_be = msg.sender_be;
        it->second.port = msg.port;
    }
    Entry& e = it->second;
    if (e.is_static) return;  // configured entries win over the wire
    // An announcement about a next hop we are still resolving is as good as a reply; one about a
    // failed next hop is not (it is being forgotten anyway).
    if (msg.update_only && e.state == NeighborState::failed) return;
    make_reachable(e, msg.mac, now_ms, out);
}

void ArpResolver::make_reachable(Entry& e, const rte_ether_addr& mac, uint64_t now_ms, std::vector<rte_mbuf*>& out) {
    const bool changed = e.state != NeighborState::reachable || !rte_is_same_ether_addr(&e.mac, &mac);
    if (e.state != NeighborState::reachable) ++stats_.resolved;
    e.mac = mac;
    e.state = NeighborState::reachable;
    e.probes = 0;
    e.next_ms = now_ms + kNeighborReachableMs;
    if (changed) publish(e);
    release(e, out);
}

void ArpResolver::release(Entry& e, std::vector<rte_mbuf*>& out) {
    if (tables_ == nullptr) return;
    const size_t n = held::release(e.held, e.mac, tables_->ifaces[e.port].mac, e.port, out);
    stats_.released += n;
    held_total_ -= n;
}

void ArpResolver::drop_held(Entry& e, uint64_t& counter) {
    const size_t n = held::free_all(e.held, counters_);
    counter += n;
    held_total_ -= n;
}

void ArpResolver::refuse(rte_mbuf* m, std::vector<rte_mbuf*>& out) {
    held::refuse(m, out, counters_);  // transit packets: a worker owes their senders a host unreachable
}

void ArpResolver::on_timer(uint64_t now_ms, std::vector<rte_mbuf*>& out) {
    for (auto it = entries_.begin(); it != entries_.end();) {
        Entry& e = it->second;
        if (e.is_static || now_ms < e.next_ms) {
            ++it;
            continue;
        }
        bool erase = false;
        switch (e.state) {
        case NeighborState::incomplete:
            if (e.probes < kArpRetries) {
                ++e.probes;
                e.next_ms = now_ms + kArpRetryMs;
                send_request(e, false, out);
            } else {
                ++stats_.failed;
                stats_.failed_dropped += e.held.size();
                for (rte_mbuf* m : e.held) refuse(m, out);
                held_total_ -= e.held.size();
                e.held.clear();
                e.state = NeighborState::failed;
                e.next_ms = now_ms + kNeighborFailedMs;
                publish(e);
            }
            break;
        case NeighborState::failed:
            erase = true;  // forget it: the next packet starts a fresh resolution
            break;
        case NeighborState::reachable:
            // Confirmation is due: probe the known MAC by unicast, keep forwarding meanwhile.
            if (e.probes < kArpRetries) {
                ++e.probes;
                e.next_ms = now_ms + kArpRetryMs;
                send_request(e, true, out);
            } else {
                ++stats_.expired;
                erase = true;
            }
            break;
        }
        if (erase) {
            unpublish(e);
            it = entries_.erase(it);
        } else {
            ++it;
        }
    }
}

void ArpResolver::send_request(const Entry& e, bool unicast, std::vector<rte_mbuf*>& out) {
    if (tables_ == nullptr) return;
    const InterfaceEntry& ifc = tables_->ifaces[e.port];
    const uint32_t sender = tables_->source_for(e.port, e.addr_be);  // ours on the target's subnet
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    if (m == nullptr) return;
    // 60 bytes: the minimum Ethernet frame without FCS; the tail is zero padding.
    constexpr uint16_t kFrameLen = RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN;
    auto* data = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, kFrameLen));
    std::memset(data, 0, kFrameLen);
    auto* eth = reinterpret_cast<rte_ether_hdr*>(data);
    auto* arp = reinterpret_cast<rte_arp_hdr*>(eth + 1);
    if (unicast)
        eth->dst_addr = e.mac;
    else
        std::memset(&eth->dst_addr, 0xff, RTE_ETHER_ADDR_LEN);
    eth->src_addr = ifc.mac;
    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
    arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
    arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    arp->arp_hlen = RTE_ETHER_ADDR_LEN;
    arp->arp_plen = 4;
    arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
    arp->arp_data.arp_sha = ifc.mac;
    arp->arp_data.arp_sip = sender;
    arp->arp_data.arp_tip = e.addr_be;  // tha stays zero
    m->port = e.port;
    out.push_back(m);
    ++stats_.requests_sent;
}

std::vector<NeighborInfo> ArpResolver::snapshot() const {
    std::vector<NeighborInfo> v;
    v.reserve(entries_.size());
    for (const auto& [k, e] : entries_) v.push_back({e.addr_be, e.port, e.mac, e.state, e.is_static, e.held.size()});
    return v;
}

}  // namespace dprouter
