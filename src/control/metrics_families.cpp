// The text a scrape returns, as metric families (docs/metrics.md lists them). Kept apart from the
// server so a unit test can feed crafted counters.
#include <string>
#include <utility>

#include "dprouter/icmp.hpp"
#include "dprouter/metrics.hpp"

namespace dprouter {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

MetricFamily family(std::string name, std::string help, MetricType type) {
    MetricFamily f;
    f.name = std::move(name);
    f.help = std::move(help);
    f.type = type;
    return f;
}

void add(MetricFamily& f, Labels labels, double value) {
    ClientMetric m;
    m.label = std::move(labels);
    if (f.type == MetricType::Counter)
        m.counter.value = value;
    else
        m.gauge.value = value;
    f.metric.push_back(std::move(m));
}

// One counter family over an X-macro name list: a sample per name, labelled `label`.
template <class Names, class Values>
MetricFamily per_name(std::string name, std::string help, const char* label, const Names& names, const Values& values) {
    MetricFamily f = family(std::move(name), std::move(help), MetricType::Counter);
    for (size_t i = 0; i < names.size(); ++i)
        add(f, {{label, std::string(names[i])}}, static_cast<double>(values[i]));
    return f;
}

void add_port_families(const MetricsInput& in, std::vector<MetricFamily>& out) {
    MetricFamily rx = family("dprouter_port_rx_packets_total", "Packets the workers received on the port", MetricType::Counter);
    MetricFamily tx = family("dprouter_port_tx_packets_total", "Packets the port accepted for transmission", MetricType::Counter);
    MetricFamily txd = family("dprouter_port_tx_dropped_total", "Packets the port's TX queue refused", MetricType::Counter);
    MetricFamily rxb = family("dprouter_port_rx_bytes_total", "Bytes the device received (ethdev ibytes)", MetricType::Counter);
    MetricFamily txb = family("dprouter_port_tx_bytes_total", "Bytes the device sent (ethdev obytes)", MetricType::Counter);
    MetricFamily missed = family("dprouter_port_rx_missed_total",
                                 "Packets the device dropped for want of an RX descriptor (ethdev imissed)", MetricType::Counter);
    MetricFamily rxe = family("dprouter_port_rx_errors_total", "Erroneous packets the device received (ethdev ierrors)",
                              MetricType::Counter);
    MetricFamily txe = family("dprouter_port_tx_errors_total", "Packets the device failed to send (ethdev oerrors)",
                              MetricType::Counter);
    MetricFamily nombuf = family("dprouter_port_rx_nombuf_total", "RX mbuf allocation failures (ethdev rx_nombuf)",
                                 MetricType::Counter);
    MetricFamily up = family("dprouter_port_link_up", "1 when the port's link is up", MetricType::Gauge);
    MetricFamily speed = family("dprouter_port_link_speed_mbps", "Link speed in Mbit/s, 0 when unknown", MetricType::Gauge);
    MetricFamily xstats = family("dprouter_port_xstats_total", "The device's extended statistics (rte_eth_xstats), by name",
                                 MetricType::Counter);
    for (const MetricsPort& p : in.ports) {
        const Labels port{{"port", p.name}};
        const PortCounters& c = in.sum.ports[p.id];
        add(rx, port, static_cast<double>(c.rx));
        add(tx, port, static_cast<double>(c.tx));
        add(txd, port, static_cast<double>(c.tx_dropped));
        const PortDeviceStats& d = p.device;
        if (d.have_stats) {
            add(rxb, port, static_cast<double>(d.rx_bytes));
            add(txb, port, static_cast<double>(d.tx_bytes));
            add(missed, port, static_cast<double>(d.rx_missed));
            add(rxe, port, static_cast<double>(d.rx_errors));
            add(txe, port, static_cast<double>(d.tx_errors));
            add(nombuf, port, static_cast<double>(d.rx_nombuf));
        }
        if (d.have_link) {
            add(up, port, d.link_up ? 1 : 0);
            add(speed, port, d.link_speed_mbps);
        }
        for (const auto& [name, value] : d.xstats) add(xstats, {{"port", p.name}, {"name", name}}, static_cast<double>(value));
    }
    for (MetricFamily* f : {&rx, &tx, &txd, &rxb, &txb, &missed, &rxe, &txe, &nombuf, &up, &speed, &xstats})
        out.push_back(std::move(*f));
}

template <class Stats>
void add_resolver(MetricFamily& f, const char* family_name, uint64_t sent, const Stats& s) {
    const std::pair<const char*, uint64_t> figures[] = {
        {"requests_sent", sent}, {"resolved", s.resolved}, {"failed", s.failed}, {"released", s.released},
        {"hold_dropped", s.hold_dropped}, {"failed_dropped", s.failed_dropped}, {"expired", s.expired},
    };
    for (const auto& [stat, value] : figures) add(f, {{"family", family_name}, {"stat", stat}}, static_cast<double>(value));
}

}  // namespace

std::vector<MetricFamily> metric_families(const MetricsInput& in) {
    std::vector<MetricFamily> out;
    add_port_families(in, out);
    out.push_back(per_name("dprouter_drops_total", "Packets dropped, by reason (docs/architecture.md)", "reason", kDropNames,
                           in.sum.drops));
    out.push_back(per_name("dprouter_events_total", "Things that happened to packets that were not dropped", "event",
                           kEventNames, in.sum.events));
    std::vector<std::string_view> kinds;
    for (const auto& k : kIcmpKinds) kinds.push_back(k.name);
    out.push_back(per_name("dprouter_icmp_sent_total", "ICMP and ICMPv6 messages the router originated, by type", "type",
                           kinds, in.sum.icmp_sent));
    out.push_back(per_name("dprouter_icmp_suppressed_total", "ICMP errors the rate limits held back, by type", "type", kinds,
                           in.sum.icmp_suppressed));
    out.push_back(per_name("dprouter_icmp_suppressed_reason_total", "ICMP errors held back, by the limit that did it",
                           "reason", kIcmpSuppressNames, in.sum.icmp_suppressed_why));
    MetricFamily routes = family("dprouter_routes", "Prefixes in the FIB (routes, connected subnets, own addresses)",
                                 MetricType::Gauge);
    add(routes, {{"family", "ipv4"}}, in.routes);
    add(routes, {{"family", "ipv6"}}, in.routes6);
    out.push_back(std::move(routes));
    MetricFamily resolver = family("dprouter_neighbor_resolution_total",
                                   "ARP (ipv4) and Neighbor Discovery (ipv6) resolver figures", MetricType::Counter);
    add_resolver(resolver, "ipv4", in.arp.requests_sent, in.arp);
    add_resolver(resolver, "ipv6", in.nd.solicitations_sent, in.nd);
    out.push_back(std::move(resolver));
    return out;
}

}  // namespace dprouter
