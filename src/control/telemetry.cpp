#include "dprouter/telemetry.hpp"

#include <rte_mempool.h>
#include <rte_telemetry.h>

namespace dprouter {
namespace {

TelemetrySource* g_source = nullptr;

rte_tel_data* new_dict() {
    rte_tel_data* d = rte_tel_data_alloc();
    if (d != nullptr) rte_tel_data_start_dict(d);
    return d;
}

// The figures both resolvers keep (ResolverStats, Nd6Stats), under the names telemetry shows.
template <class Stats>
rte_tel_data* resolver_dict(const char* sent_name, uint64_t sent, const Stats& st) {
    rte_tel_data* d = new_dict();
    rte_tel_data_add_dict_u64(d, sent_name, sent);
    rte_tel_data_add_dict_u64(d, "resolved", st.resolved);
    rte_tel_data_add_dict_u64(d, "failed", st.failed);
    rte_tel_data_add_dict_u64(d, "released", st.released);
    rte_tel_data_add_dict_u64(d, "hold_dropped", st.hold_dropped);
    rte_tel_data_add_dict_u64(d, "failed_dropped", st.failed_dropped);
    rte_tel_data_add_dict_u64(d, "expired", st.expired);
    return d;
}

int stats_cmd(const char*, const char*, rte_tel_data* out) {
    if (g_source == nullptr) return -1;
    const WorkerCounters sum = sum_counters(g_source->counters, g_source->blocks);
    rte_tel_data_start_dict(out);

    rte_tel_data* ports = new_dict();
    for (const auto& [name, port] : g_source->ports) {
        rte_tel_data* p = new_dict();
        rte_tel_data_add_dict_u64(p, "port_id", port);
        rte_tel_data_add_dict_u64(p, "rx", sum.ports[port].rx);
        rte_tel_data_add_dict_u64(p, "tx", sum.ports[port].tx);
        rte_tel_data_add_dict_u64(p, "tx_dropped", sum.ports[port].tx_dropped);
        rte_tel_data_add_dict_container(ports, name.c_str(), p, 0);
    }
    rte_tel_data_add_dict_container(out, "ports", ports, 0);

    rte_tel_data* events = new_dict();
    for (size_t i = 0; i < kEventNames.size(); ++i)
        rte_tel_data_add_dict_u64(events, std::string(kEventNames[i]).c_str(), sum.events[i]);
    rte_tel_data_add_dict_container(out, "events", events, 0);

    rte_tel_data* drops = new_dict();
    for (size_t i = 0; i < kDropNames.size(); ++i)
        rte_tel_data_add_dict_u64(drops, std::string(kDropNames[i]).c_str(), sum.drops[i]);
    rte_tel_data_add_dict_container(out, "drops", drops, 0);

    rte_tel_data* sent = new_dict();
    rte_tel_data* suppressed = new_dict();
    for (size_t i = 0; i < kIcmpKinds.size(); ++i) {
        const std::string name(kIcmpKinds[i].name);
        rte_tel_data_add_dict_u64(sent, name.c_str(), sum.icmp_sent[i]);
        rte_tel_data_add_dict_u64(suppressed, name.c_str(), sum.icmp_suppressed[i]);
    }
    rte_tel_data* why = new_dict();
    for (size_t i = 0; i < kIcmpSuppressNames.size(); ++i)
        rte_tel_data_add_dict_u64(why, std::string(kIcmpSuppressNames[i]).c_str(), sum.icmp_suppressed_why[i]);
    rte_tel_data_add_dict_container(out, "icmp_sent", sent, 0);
    rte_tel_data_add_dict_container(out, "icmp_suppressed", suppressed, 0);
    rte_tel_data_add_dict_container(out, "icmp_suppressed_reason", why, 0);

    ResolverStats rs;
    Nd6Stats ns;
    {
        std::lock_guard lock(g_source->mutex);
        rs = g_source->resolver;
        ns = g_source->nd;
    }
    rte_tel_data_add_dict_container(out, "arp", resolver_dict("requests_sent", rs.requests_sent, rs), 0);
    rte_tel_data_add_dict_container(out, "nd", resolver_dict("solicitations_sent", ns.solicitations_sent, ns), 0);
    ImportFigures im;
    {
        std::lock_guard lock(g_source->mutex);
        im = g_source->import;
    }
    if (im.enabled) {
        rte_tel_data* d = new_dict();
        for (const auto& [name, v] : import_figure_list(im)) rte_tel_data_add_dict_u64(d, name, v);
        rte_tel_data_add_dict_container(out, "import", d, 0);
    }
    return 0;
}

// One dictionary per worker (keys "0", "1", ...): what it received and what became of it, so that
// the spread of flows over workers and each one's accounting can be read (a worker's sum alone:
// packets it held and the control thread later sent or dropped count in the control block).
int workers_cmd(const char*, const char*, rte_tel_data* out) {
    if (g_source == nullptr) return -1;
    rte_tel_data_start_dict(out);
    for (unsigned w = 0; w < g_source->workers; ++w) {
        const WorkerCounters c = sum_counters(g_source->counters + w, 1);
        uint64_t rx = 0, tx = 0, dropped = 0;
        for (const PortCounters& p : c.ports) {
            rx += p.rx;
            tx += p.tx;
        }
        for (uint64_t d : c.drops) dropped += d;
        rte_tel_data* d = new_dict();
        rte_tel_data_add_dict_u64(d, "rx", rx);
        rte_tel_data_add_dict_u64(d, "tx", tx);
        rte_tel_data_add_dict_u64(d, "forwarded", c.counted(Event::forwarded));
        rte_tel_data_add_dict_u64(d, "dropped", dropped);
        rte_tel_data_add_dict_u64(d, "local_delivered", c.counted(Event::local_delivered));
        rte_tel_data_add_dict_u64(d, "punted", c.counted(Event::punted));
        rte_tel_data_add_dict_u64(d, "time_exceeded_sent", c.sent(IcmpKind::time_exceeded));
        rte_tel_data_add_dict_container(out, std::to_string(w).c_str(), d, 0);
    }
    return 0;
}

const char* state_name(NeighborState s) {
    switch (s) {
    case NeighborState::incomplete: return "incomplete";
    case NeighborState::reachable: return "reachable";
    case NeighborState::failed: return "failed";
    }
    return "?";
}

int neighbors_cmd(const char*, const char*, rte_tel_data* out) {
    if (g_source == nullptr) return -1;
    std::vector<NeighborInfo> list;
    std::vector<Neighbor6Info> list6;
    {
        std::lock_guard lock(g_source->mutex);
        list = g_source->neighbors;
        list6 = g_source->neighbors6;
    }
    // One string per entry: telemetry dictionary keys may only hold [A-Za-z0-9_/] (an address as key
    // is refused, and the reply came back empty), strings in an array may hold anything printable.
    rte_tel_data_start_array(out, RTE_TEL_STRING_VAL);
    size_t shown = 0;
    auto add = [&](const std::string& addr, const rte_ether_addr& mac, const char* state, bool is_static,
                   uint16_t port, size_t held) {
        if (++shown > RTE_TEL_MAX_ARRAY_ENTRIES) return;
        char mac_text[RTE_ETHER_ADDR_FMT_SIZE];
        rte_ether_format_addr(mac_text, sizeof mac_text, &mac);
        std::string iface = std::to_string(port);
        for (const auto& [name, p] : g_source->ports)
            if (p == port) iface = name;
        const std::string entry = addr + " " + mac_text + " " + state + (is_static ? " static" : "") + " dev " + iface +
                                  " held " + std::to_string(held);
        rte_tel_data_add_array_string(out, entry.c_str());
    };
    for (const auto& n : list)
        add(format_ipv4(rte_be_to_cpu_32(n.addr_be)), n.mac, state_name(n.state), n.is_static, n.port, n.held);
    for (const auto& n : list6)
        add(format_ipv6(Ipv6{n.addr}), n.mac, nd6_state_name(n.state), n.is_static, n.port, n.held);
    return 0;
}

// Every mempool of the process: its size and how many of its objects are out right now (objects in the
// per-lcore caches count as available). Once traffic stops, in_use must come back to where it was
// when the router went idle after start; a pool that stays above that has leaked.
int mempools_cmd(const char*, const char*, rte_tel_data* out) {
    rte_tel_data_start_dict(out);
    rte_mempool_walk(
        [](rte_mempool* mp, void* arg) {
            rte_tel_data* p = new_dict();
            if (p == nullptr) return;
            rte_tel_data_add_dict_u64(p, "size", mp->size);
            rte_tel_data_add_dict_u64(p, "available", rte_mempool_avail_count(mp));
            rte_tel_data_add_dict_u64(p, "in_use", rte_mempool_in_use_count(mp));
            rte_tel_data_add_dict_container(static_cast<rte_tel_data*>(arg), mp->name, p, 0);
        },
        out);
    return 0;
}

}  // namespace

std::vector<std::pair<const char*, uint64_t>> import_figure_list(const ImportFigures& f) {
    return {{"synchronised", static_cast<uint64_t>(f.synchronised)},
            {"routes_imported", f.routes_imported},
            {"routes_refused", f.routes_refused},
            {"kernel_routes", f.kernel_routes},
            {"notifications", f.notifications},
            {"resyncs", f.resyncs},
            {"overruns", f.overruns},
            {"malformed", f.malformed},
            {"held_overflows", f.held_overflows}};
}

void telemetry_detach() { g_source = nullptr; }

void telemetry_register(TelemetrySource* source) {
    g_source = source;
    rte_telemetry_register_cmd("/dprouter/stats", stats_cmd,
                               "Router counters: per port, per drop reason, per event, ARP, ND. No parameters.");
    rte_telemetry_register_cmd("/dprouter/neighbors", neighbors_cmd, "Neighbour tables, IPv4 then IPv6. No parameters.");
    rte_telemetry_register_cmd("/dprouter/workers", workers_cmd,
                               "Per worker: rx, tx, forwarded, dropped, local_delivered, punted. No parameters.");
    rte_telemetry_register_cmd("/dprouter/mempools", mempools_cmd,
                               "Every mempool: size, available, in_use (caches count as available). No parameters.");
}

}  // namespace dprouter
