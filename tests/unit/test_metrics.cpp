// issue 11's metrics endpoint and port settings: `metrics.listen` and the descriptor keys (values and
// every error with its position), the scrape text built from crafted per-worker counters, a real
// exposer answering HTTP on the loopback (and refusing a port in use), device statistics and xstats
// of a real ethdev (net_null), the descriptor limits a device imposes, and link changes for the log.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <prometheus/text_serializer.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "control/link_watch.hpp"
#include "dprouter/config.hpp"
#include "dprouter/listen_address.hpp"
#include "dprouter/metrics.hpp"
#include "dprouter/ports.hpp"
#include "dprouter/telemetry.hpp"

namespace dprouter {
namespace {

const std::string kInterfaces = R"(interfaces:
  - {name: lan, device: "net_null0", addresses: ["10.1.0.1/24"], mtu: 1500}
)";

// A file and the one error it must give, FILE:LINE:COL included.
struct BadFile {
    std::string yaml;
    std::string error;
};

void expect_one_error(const BadFile& c) {
    const ConfigResult r = parse_config_text(c.yaml, "t.yaml");
    ASSERT_EQ(r.errors.size(), 1u) << c.yaml;
    EXPECT_EQ(r.errors[0].to_string(), c.error) << c.yaml;
}

// ---- configuration -------------------------------------------------------------------------------

TEST(MetricsConfig, ListenReadBack) {
    ConfigResult r = parse_config_text(kInterfaces + "metrics: {listen: \"127.0.0.1:9111\"}\n", "t.yaml");
    ASSERT_TRUE(r.ok()) << r.errors[0].to_string();
    EXPECT_EQ(r.config.metrics.listen, "127.0.0.1:9111");
    r = parse_config_text(kInterfaces + "metrics:\n  listen: \"[::1]:9111\"\n", "t.yaml");
    ASSERT_TRUE(r.ok()) << r.errors[0].to_string();
    EXPECT_EQ(r.config.metrics.listen, "[::1]:9111");
    r = parse_config_text(kInterfaces, "t.yaml");
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r.config.metrics.listen.empty());
}

TEST(MetricsConfig, ListenErrors) {
    const BadFile cases[] = {
        {kInterfaces + "metrics: {listen: \"127.0.0.1\"}\n",
         "t.yaml:3:19: error: listen '127.0.0.1': expected ADDR:PORT or [ADDR6]:PORT"},
        {kInterfaces + "metrics: {listen: \"127.0.0.1:0\"}\n",
         "t.yaml:3:19: error: listen '127.0.0.1:0': port 0 out of range 1..65535"},
        {kInterfaces + "metrics: {listen: \"127.0.0.1:65536\"}\n",
         "t.yaml:3:19: error: listen '127.0.0.1:65536': port 65536 out of range 1..65535"},
        {kInterfaces + "metrics: {listen: \"localhost:9111\"}\n",
         "t.yaml:3:19: error: listen 'localhost:9111': 'localhost' is not an IPv4 address (host names are not resolved)"},
        {kInterfaces + "metrics: {listen: \"::1:9111\"}\n",
         "t.yaml:3:19: error: listen '::1:9111': an IPv6 address goes in brackets: [ADDR6]:PORT"},
        {kInterfaces + "metrics: {listen: \"[::1]9111\"}\n",
         "t.yaml:3:19: error: listen '[::1]9111': expected ':PORT' after ']'"},
        {kInterfaces + "metrics: {listen: \"[::1:9111\"}\n",
         "t.yaml:3:19: error: listen '[::1:9111': missing ']' after the IPv6 address"},
        {kInterfaces + "metrics: {listen: \"[10.0.0.1]:80\"}\n",
         "t.yaml:3:19: error: listen '[10.0.0.1]:80': '10.0.0.1' is not an IPv6 address"},
        {kInterfaces + "metrics: {listen: \"1.2.3.4:9x\"}\n",
         "t.yaml:3:19: error: listen '1.2.3.4:9x': port '9x' is not a number"},
        {kInterfaces + "metrics: {listen: [1]}\n", "t.yaml:3:19: error: listen must be a string"},
        {kInterfaces + "metrics: {port: 9111}\n", "t.yaml:3:11: error: unknown key 'port' in metrics"},
        {kInterfaces + "metrics: 9111\n", "t.yaml:3:10: error: metrics must be a mapping"},
    };
    for (const BadFile& c : cases) expect_one_error(c);
}

TEST(MetricsConfig, ListenAddressParts) {
    std::string why;
    auto a = parse_listen_address("[2001:db8::1]:443", why);
    ASSERT_TRUE(a) << why;
    EXPECT_TRUE(a->ipv6);
    EXPECT_EQ(a->host, "2001:db8::1");
    EXPECT_EQ(a->port, 443);
    a = parse_listen_address("0.0.0.0:9111", why);
    ASSERT_TRUE(a) << why;
    EXPECT_FALSE(a->ipv6);
    EXPECT_EQ(a->host, "0.0.0.0");
    EXPECT_EQ(a->port, 9111);
    EXPECT_FALSE(parse_listen_address("", why));
    EXPECT_FALSE(parse_listen_address(":9111", why));
    EXPECT_FALSE(parse_listen_address("1.2.3.4:-1", why));
    EXPECT_FALSE(parse_listen_address("1.2.3.4:99999999999999999999", why));
    EXPECT_EQ(why, "port 99999999999999999999 out of range 1..65535");
}

TEST(PortSettingsConfig, DescriptorsReadBack) {
    const ConfigResult r = parse_config_text(R"(interfaces:
  - {name: lan, device: "net_null0", addresses: ["10.1.0.1/24"], rx_descriptors: 4096, tx_descriptors: 512}
  - {name: wan, device: "net_null1", addresses: ["10.2.0.1/24"]}
)", "t.yaml");
    ASSERT_TRUE(r.ok()) << r.errors[0].to_string();
    EXPECT_EQ(r.config.interfaces[0].rx_descriptors, 4096u);
    EXPECT_EQ(r.config.interfaces[0].tx_descriptors, 512u);
    EXPECT_EQ(r.config.interfaces[1].rx_descriptors, 0u);  // the router's default
    EXPECT_EQ(r.config.interfaces[1].tx_descriptors, 0u);
    // Both interfaces' rings: 4096 + 512, then 1024 + 1024 for the defaults.
    EXPECT_EQ(descriptor_mbufs(r.config), 4096u + 512u + 2048u);
}

TEST(PortSettingsConfig, DescriptorErrors) {
    auto iface = [](const std::string& keys) {
        return "interfaces:\n  - {name: lan, device: \"net_null0\", addresses: [\"10.1.0.1/24\"], " + keys + "}\n";
    };
    const BadFile cases[] = {
        {iface("rx_descriptors: 1000"), "t.yaml:2:82: error: rx_descriptors 1000 is not a power of two"},
        {iface("tx_descriptors: 32"), "t.yaml:2:82: error: tx_descriptors 32 out of range 64..32768"},
        {iface("tx_descriptors: 65536"), "t.yaml:2:82: error: tx_descriptors 65536 out of range 64..32768"},
        {iface("rx_descriptors: \"1024\""), "t.yaml:2:82: error: rx_descriptors must be an integer"},
        {iface("rx_descriptors: -64"), "t.yaml:2:82: error: rx_descriptors -64 out of range 64..32768"},
    };
    for (const BadFile& c : cases) expect_one_error(c);
}

TEST(PortSettings, DeviceLimitsRefuseWhatDoesNotFit) {
    InterfaceConfig ic;
    ic.name = "lan";
    rte_eth_desc_lim lim{};
    lim.nb_min = 64;
    lim.nb_max = 4096;
    lim.nb_align = 32;
    EXPECT_EQ(checked_ring_size(ic, "rx_descriptors", 0, lim), 1024);  // default, adjusted later
    EXPECT_EQ(checked_ring_size(ic, "rx_descriptors", 2048, lim), 2048);
    try {
        checked_ring_size(ic, "rx_descriptors", 8192, lim);
        FAIL() << "8192 descriptors accepted by a device that takes 4096";
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "interface 'lan': rx_descriptors 8192 is outside what the device takes: 64..4096, a multiple of 32");
    }
    lim.nb_min = 128;
    EXPECT_THROW(checked_ring_size(ic, "tx_descriptors", 64, lim), std::runtime_error);
}

// ---- scrape text ---------------------------------------------------------------------------------

std::string serialize(const std::vector<prometheus::MetricFamily>& families) {
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, families);
    return out.str();
}

// Every sample line "name{labels} value" of the text, value by the line's name-and-labels part.
std::map<std::string, double> samples(const std::string& text) {
    std::map<std::string, double> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        const size_t sp = line.rfind(' ');
        out[line.substr(0, sp)] = std::strtod(line.c_str() + sp + 1, nullptr);
    }
    return out;
}

// Two workers' counters, as the workers would have written them.
std::unique_ptr<WorkerCounters[]> crafted_counters() {
    auto c = std::make_unique<WorkerCounters[]>(2);
    c[0].event(Event::forwarded, 40);
    c[1].event(Event::forwarded, 2);
    c[0].drop(Drop::no_route);
    c[1].drop(Drop::no_route);
    c[1].drop(Drop::ipv4_bad_checksum);
    c[0].ports[3].rx = 50;
    c[1].ports[3].rx = 7;
    c[0].ports[5].tx = 42;
    c[1].ports[5].tx_dropped = 4;
    c[1].icmp_sent_one(IcmpKind::time_exceeded);
    c[0].icmp_suppressed_one(IcmpKind::time_exceeded, IcmpSuppress::rate_destination);
    return c;
}

TEST(MetricsText, CountersSummedOverWorkersWithLabels) {
    const auto c = crafted_counters();
    MetricsInput in;
    in.sum = sum_counters(c.get(), 2);
    in.ports.push_back({"lan", 3, {}});
    in.ports.push_back({"wan", 5, {}});
    in.ports[1].device.have_stats = true;
    in.ports[1].device.rx_bytes = 123456;
    in.ports[1].device.rx_missed = 9;
    in.ports[1].device.have_link = true;
    in.ports[1].device.link_up = true;
    in.ports[1].device.link_speed_mbps = 10000;
    in.ports[1].device.xstats = {{"rx_good_packets", 11}, {"rx_q0_errors", 1}};
    in.routes = 12;
    in.routes6 = 4;
    in.arp.requests_sent = 3;
    in.nd.solicitations_sent = 5;
    const std::string text = serialize(metric_families(in));
    const auto s = samples(text);
    auto at = [&](const std::string& key) {
        auto it = s.find(key);
        EXPECT_NE(it, s.end()) << key << " missing from:\n" << text;
        return it == s.end() ? -1.0 : it->second;
    };
    EXPECT_EQ(at("dprouter_events_total{event=\"forwarded\"}"), 42);
    EXPECT_EQ(at("dprouter_events_total{event=\"punted\"}"), 0);
    EXPECT_EQ(at("dprouter_drops_total{reason=\"no_route\"}"), 2);
    EXPECT_EQ(at("dprouter_drops_total{reason=\"ipv4_bad_checksum\"}"), 1);
    EXPECT_EQ(at("dprouter_drops_total{reason=\"tx_full\"}"), 0);
    EXPECT_EQ(at("dprouter_port_rx_packets_total{port=\"lan\"}"), 57);
    EXPECT_EQ(at("dprouter_port_tx_packets_total{port=\"wan\"}"), 42);
    EXPECT_EQ(at("dprouter_port_tx_dropped_total{port=\"wan\"}"), 4);
    EXPECT_EQ(at("dprouter_port_rx_bytes_total{port=\"wan\"}"), 123456);
    EXPECT_EQ(at("dprouter_port_rx_missed_total{port=\"wan\"}"), 9);
    EXPECT_EQ(at("dprouter_port_link_up{port=\"wan\"}"), 1);
    EXPECT_EQ(at("dprouter_port_link_speed_mbps{port=\"wan\"}"), 10000);
    EXPECT_EQ(at("dprouter_port_xstats_total{port=\"wan\",name=\"rx_good_packets\"}"), 11);
    EXPECT_EQ(at("dprouter_port_xstats_total{port=\"wan\",name=\"rx_q0_errors\"}"), 1);
    EXPECT_EQ(at("dprouter_icmp_sent_total{type=\"time_exceeded\"}"), 1);
    EXPECT_EQ(at("dprouter_icmp_suppressed_total{type=\"time_exceeded\"}"), 1);
    EXPECT_EQ(at("dprouter_icmp_suppressed_reason_total{reason=\"rate_destination\"}"), 1);
    EXPECT_EQ(at("dprouter_routes{family=\"ipv4\"}"), 12);
    EXPECT_EQ(at("dprouter_routes{family=\"ipv6\"}"), 4);
    EXPECT_EQ(at("dprouter_neighbor_resolution_total{family=\"ipv4\",stat=\"requests_sent\"}"), 3);
    EXPECT_EQ(at("dprouter_neighbor_resolution_total{family=\"ipv6\",stat=\"requests_sent\"}"), 5);
    // A port without device statistics shows only what the workers count.
    EXPECT_EQ(s.count("dprouter_port_rx_bytes_total{port=\"lan\"}"), 0u);
    EXPECT_EQ(s.count("dprouter_port_link_up{port=\"lan\"}"), 0u);
    // Every family has a TYPE line and every name the project's prefix; counters end in _total.
    std::istringstream lines(text);
    std::string line;
    size_t types = 0;
    while (std::getline(lines, line)) {
        if (line.rfind("# TYPE ", 0) == 0) {
            ++types;
            std::istringstream w(line.substr(7));
            std::string name, type;
            w >> name >> type;
            EXPECT_EQ(name.rfind("dprouter_", 0), 0u) << line;
            if (type == "counter") {
                EXPECT_EQ(name.substr(name.size() - 6), "_total") << line;
            }
        }
    }
    EXPECT_EQ(types, metric_families(in).size());
    // One sample per drop reason, per event: the lists are complete.
    size_t drops = 0, events = 0;
    for (const auto& [key, v] : s) {
        drops += key.rfind("dprouter_drops_total{", 0) == 0;
        events += key.rfind("dprouter_events_total{", 0) == 0;
    }
    EXPECT_EQ(drops, kDropNames.size());
    EXPECT_EQ(events, kEventNames.size());
}

// ---- a real exposer ------------------------------------------------------------------------------

// A free loopback port: bound with port 0, the kernel's choice read back, the socket closed.
uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

int connect_to(uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// One request on a connected socket, the whole answer (the server closes: no keep-alive).
std::string exchange(int fd, const std::string& request) {
    ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<size_t>(n));
    ::close(fd);
    return out;
}

std::string http(uint16_t port, const std::string& request) {
    const int fd = connect_to(port);
    return fd < 0 ? "connect failed" : exchange(fd, request);
}

struct ExposedCounters {
    std::unique_ptr<WorkerCounters[]> counters = crafted_counters();
    TelemetrySource src;
    ExposedCounters() {
        src.counters = counters.get();
        src.workers = 2;
        src.blocks = 2;  // the crafted blocks: two workers, no control-thread block
        src.ports = {{"lan", 3}, {"wan", 5}};  // no such ethdev ports: no device statistics
    }
};

TEST(MetricsServer, ServesTheCountersOverHttp) {
    ExposedCounters ec;
    const uint16_t port = free_port();
    std::string why;
    MetricsServer server(*parse_listen_address("127.0.0.1:" + std::to_string(port), why), ec.src);
    // A client that connects and says nothing, and one that sends garbage, first.
    const int silent = connect_to(port);
    ASSERT_GE(silent, 0);
    const std::string garbage = http(port, std::string("\x01\x02 not http at all\r\n\r\n"));
    EXPECT_EQ(garbage.find("dprouter_"), std::string::npos);
    std::string reply = http(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0u) << reply.substr(0, 200);
    EXPECT_NE(reply.find("\ndprouter_events_total{event=\"forwarded\"} 42\n"), std::string::npos) << reply;
    EXPECT_NE(reply.find("\ndprouter_drops_total{reason=\"no_route\"} 2\n"), std::string::npos);
    EXPECT_NE(reply.find("\ndprouter_port_rx_packets_total{port=\"lan\"} 57\n"), std::string::npos);
    // Read at scrape time: a worker counting more shows at the next scrape.
    ec.counters[1].event(Event::forwarded, 8);
    reply = http(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_NE(reply.find("\ndprouter_events_total{event=\"forwarded\"} 50\n"), std::string::npos) << reply;
    // Only /metrics.
    EXPECT_EQ(http(port, "GET /other HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").rfind("HTTP/1.1 404", 0), 0u);
    ::close(silent);
}

TEST(MetricsServer, PortInUseIsAClearError) {
    ExposedCounters ec;
    const uint16_t port = free_port();
    std::string why;
    const ListenAddress at = *parse_listen_address("127.0.0.1:" + std::to_string(port), why);
    MetricsServer first(at, ec.src);
    try {
        MetricsServer second(at, ec.src);
        FAIL() << "a second server listened on the same port";
    } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()), "metrics.listen 127.0.0.1:" + std::to_string(port) + ": cannot listen: Address already in use");
    }
    try {
        MetricsServer elsewhere(*parse_listen_address("192.0.2.1:9111", why), ec.src);
        FAIL() << "listened on an address the machine does not have";
    } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()), "metrics.listen 192.0.2.1:9111: cannot listen: Cannot assign requested address");
    }
}

// civetweb listens on IPv6 only when built with it (Debian 12's is not): then the scrape works on
// [::1], else the start fails and says why.
TEST(MetricsServer, Ipv6LoopbackServedOrRefusedClearly) {
    ExposedCounters ec;
    const uint16_t port = free_port();
    std::string why;
    std::unique_ptr<MetricsServer> server;
    try {
        server = std::make_unique<MetricsServer>(*parse_listen_address("[::1]:" + std::to_string(port), why), ec.src);
    } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()), "metrics.listen [::1]:" + std::to_string(port) +
                                             ": cannot listen: this civetweb library was built without IPv6; use an "
                                             "IPv4 address");
        return;
    }
    const int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    a.sin6_addr = in6addr_loopback;
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    const std::string out = exchange(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_NE(out.find("dprouter_events_total{event=\"forwarded\"} 42"), std::string::npos) << out.substr(0, 300);
}

// ---- a real ethdev: descriptors, device statistics, xstats, link ---------------------------------

TEST(PortSettings, NullPortTakesDescriptorsAndShowsXstats) {
    rte_mempool* pool = rte_pktmbuf_pool_create("mt_pool", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    ASSERT_NE(pool, nullptr);
    const uint16_t port = probe_port("net_null_mt0");
    InterfaceConfig ic;
    ic.name = "nul";
    ic.rx_descriptors = 512;
    ic.tx_descriptors = 256;
    setup_port(port, ic, 1, pool);
    rte_eth_rxq_info rxq{};
    rte_eth_txq_info txq{};
    if (rte_eth_rx_queue_info_get(port, 0, &rxq) == 0) {
        EXPECT_EQ(rxq.nb_desc, 512);
    }
    if (rte_eth_tx_queue_info_get(port, 0, &txq) == 0) {
        EXPECT_EQ(txq.nb_desc, 256);
    }
    // net_null hands out packets on every poll: the device counts them.
    rte_mbuf* burst[32];
    const uint16_t got = rte_eth_rx_burst(port, 0, burst, 32);
    EXPECT_GT(got, 0);
    rte_pktmbuf_free_bulk(burst, got);
    const PortDeviceStats s = read_port_device_stats(port, true);
    EXPECT_TRUE(s.have_stats);
    EXPECT_EQ(s.rx_packets, got);
    EXPECT_TRUE(s.have_link);
    EXPECT_TRUE(s.link_up);
    bool good = false;
    for (const auto& [name, value] : s.xstats)
        if (name == "rx_good_packets") good = value == got;
    EXPECT_TRUE(good) << "rx_good_packets missing or wrong among " << s.xstats.size() << " xstats";

    // The link as LinkWatch sees it: up at start; down once the port stops.
    LinkWatch watch({{"nul", port}}, {}, false);
    auto changes = watch.poll(0);
    ASSERT_EQ(changes.size(), 1u);
    EXPECT_TRUE(changes[0].initial);
    EXPECT_TRUE(changes[0].state.up);
    EXPECT_EQ(watch.poll(1).size(), 0u);  // within the period: not read again
    rte_eth_dev_stop(port);
    changes = watch.poll(LinkWatch::kPollPeriodMs);
    ASSERT_EQ(changes.size(), 1u);
    EXPECT_FALSE(changes[0].initial);
    EXPECT_FALSE(changes[0].state.up);
    EXPECT_EQ(describe(changes[0]), "interface nul: link down");
    rte_eth_dev_close(port);
    rte_mempool_free(pool);
}

TEST(LinkWatch, ReportsChangesOnceWithSpeed) {
    LinkState link{true, 10000, true};
    LinkWatch watch({{"lan", 7}}, [&](uint16_t port, LinkState& out) {
        EXPECT_EQ(port, 7);
        out = link;
        return true;
    }, false);
    auto c = watch.poll(100);
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(describe(c[0]), "interface lan: link up, 10000 Mbps full-duplex");
    EXPECT_TRUE(watch.poll(100 + LinkWatch::kPollPeriodMs).empty());  // unchanged: nothing to log
    link = {false, 0, false};
    c = watch.poll(100 + 2 * LinkWatch::kPollPeriodMs);
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(describe(c[0]), "interface lan: link down");
    link = {true, 1000, false};
    c = watch.poll(100 + 3 * LinkWatch::kPollPeriodMs);
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(describe(c[0]), "interface lan: link up, 1000 Mbps half-duplex");
}

}  // namespace
}  // namespace dprouter
