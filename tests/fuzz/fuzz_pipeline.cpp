// libFuzzer target: arbitrary frames through the whole forwarding pipeline (docs/fuzzing.md).
//
// Input: byte 0 picks the receiving port (mod the number of ports), byte 1 the segment size of the
// mbuf chains (0: one segment when the frame fits, else chains of whole data rooms; never more than
// kMaxSegments segments), then frames,
// each as a 2-byte big-endian length and that many bytes (the last one takes what is left), up to
// kMaxFrames of them in one burst.
//
// After each input: every frame sent or handed to the control thread must pass the oracles in
// fuzz_oracles.hpp, and, once all of them are freed, every mbuf must be back in its pool. Any
// violation aborts, which libFuzzer reports as a crash with the input that caused it.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "fuzz_oracles.hpp"
#include "packet_builder.hpp"

namespace {

using dprtest::Bytes;

constexpr unsigned kMaxFrames = 32;
constexpr size_t kMaxSegments = 64;
constexpr unsigned kPoolSize = 16383;  // a whole burst of chains, and the fragments of most of it
// Port 3 (small, MTU 576) has a PMD that cannot send chained mbufs (fragments are copied).
const std::vector<uint8_t> kTxMultiSeg{1, 1, 1, 0, 1, 1};
constexpr uint32_t kFailedGateway = dprtest::ipv4(10, 5, 0, 254);  // jumbo's gateway: never answers
constexpr uint16_t kJumboPort = 4;

std::unique_ptr<dprtest::RouterHarness> g_router;
bool g_verbose = false;  // DPR_FUZZ_VERBOSE=1: what each input did (for replaying one by hand)

[[noreturn]] void finding(const char* what, const std::string& detail) {
    std::fprintf(stderr, "fuzz_pipeline: %s: %s\n", what, detail.c_str());
    std::abort();
}

void init_eal(const char* argv0) {
    const std::string prefix = "dprouter-fuzz-" + std::to_string(getpid());
    std::vector<std::string> eal_args{argv0,         "--no-pci",       "--no-huge", "-m", "512",
                                      "--no-shconf", "--no-telemetry", "-l",        "0",  "--file-prefix",
                                      prefix,        "--log-level",    "lib.eal:warning"};
    std::vector<char*> args;
    for (auto& a : eal_args) args.push_back(a.data());
    if (rte_eal_init(static_cast<int>(args.size()), args.data()) < 0) finding("setup", "EAL init failed");
}

// Lets the jumbo port's gateway fail ARP resolution, so that routes through it meet a failed next
// hop (immediate host unreachable) while other unknown hosts stay incomplete (held).
void fail_gateway(dprtest::RouterHarness& h) {
    dprtest::Ipv4Fields ip;
    ip.src = dprtest::ipv4(10, 1, 0, 2);
    ip.dst = dprtest::ipv4(10, 96, 0, 1);
    ip.protocol = dprtest::kProtoUdp;
    const Bytes frame = dprtest::ipv4_frame({0x02, 0, 0, 0, 0x01, 0x01}, {0x02, 0, 0, 0, 0x01, 0x02}, ip,
                                            dprtest::udp_segment(ip.src, ip.dst, 1, 2, {}));
    h.receive(0, frame);
    h.control(0);
    // The control clock stops once it has failed, so it stays failed (kNeighborFailedMs never ends).
    auto failed = [&] {
        const auto e = h.resolver_entry(kFailedGateway, kJumboPort);
        return e && e->state == dprouter::NeighborState::failed;
    };
    for (uint64_t ms = 1000; ms <= 20000 && !failed(); ms += 1000) h.timer(ms);
    h.take_emitted();
    if (!failed()) finding("setup", "gateway 10.5.0.254 did not fail");
    if (h.mbufs_in_use() != 0) finding("setup", "mbufs in use after setup");
    h.counters() = dprouter::WorkerCounters{};
}

// IPv6 on the ports that carry it (MTU >= 1280), as make_seeds.py expects: 2001:db8:P::1/64 for
// port P - 1, routes through a global and a link-local gateway, to the black-hole port, and of
// every action; hosts ::2 and the gateways reachable. Added in code for as long as the YAML of
// the fuzz router has no IPv6 of its own.
void add_ipv6(dprouter::Config& cfg) {
    for (const auto& ifc : cfg.interfaces)
        if (!ifc.addresses6.empty()) return;
    for (size_t i = 0; i < cfg.interfaces.size(); ++i)
        if (cfg.interfaces[i].mtu >= 1280)
            cfg.interfaces[i].addresses6.push_back(
                {*dprouter::parse_prefix6("2001:db8:" + std::to_string(i + 1) + "::1/64"), {}});
    const auto route = [&](const char* prefix, dprouter::RouteAction a, const char* via, const char* ifname) {
        dprouter::Route6Config r;
        r.prefix = *dprouter::parse_prefix6(prefix);
        r.action = a;
        if (via != nullptr) {
            r.has_via = true;
            r.via = *dprouter::parse_ipv6(via);
        }
        if (ifname != nullptr) r.interface = ifname;
        cfg.routes6.push_back(r);
    };
    using dprouter::RouteAction;
    route("2001:db8:99::/48", RouteAction::forward, "2001:db8:2::fe", nullptr);
    route("2001:db8:98::/48", RouteAction::forward, "fe80::fe", "wan");
    route("2001:db8:95::/48", RouteAction::forward, "2001:db8:6::fe", nullptr);
    route("2001:db8:66::/48", RouteAction::unreachable, nullptr, nullptr);
    route("2001:db8:67::/48", RouteAction::blackhole, nullptr, nullptr);
    route("2001:db8:68::/48", RouteAction::prohibit, nullptr, nullptr);
}

void add_ipv6_neighbors(dprtest::RouterHarness& h) {
    const dprouter::Tables& t = h.tables();
    for (uint16_t p = 0; p < t.n_ports; ++p) {
        if (!t.ifaces[p].ipv6) continue;
        const dprtest::Mac mac{0x02, 0, 0, 0, static_cast<uint8_t>(p + 1), 0x02};
        dprtest::set_neighbor6(h, dprtest::ip6(("2001:db8:" + std::to_string(p + 1) + "::2").c_str()), p, mac);
        dprtest::set_neighbor6(h, dprtest::ip6("fe80::2"), p, mac);
    }
    for (const char* dst : {"2001:db8:99::1", "2001:db8:98::1", "2001:db8:95::1"})
        dprtest::set_gateway6_l2(h, dprtest::ip6(dst), {0x02, 0, 0, 0, 0xfe, 0xfe});
}

void check(const dprouter::Tables& t, uint16_t port, const Bytes& frame, const char* where) {
    const std::string p = dprfuzz::frame_problem(t, port, frame);
    if (!p.empty()) finding(where, p + " (port " + std::to_string(port) + ")\n" + dprtest::hex(frame));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
    init_eal(*argc > 0 ? (*argv)[0] : "fuzz_pipeline");
    const std::string file = DPR_SOURCE_DIR "/tests/fuzz/pipeline.yaml";
    dprouter::ConfigResult r = dprouter::load_config_file(file);
    if (!r.ok()) finding("setup", r.errors.front().to_string());
    dprtest::HarnessOptions opt;
    opt.tx_multi_seg = kTxMultiSeg;
    opt.pool_size = kPoolSize;
    add_ipv6(r.config);
    g_router = std::make_unique<dprtest::RouterHarness>(r.config, opt);
    fail_gateway(*g_router);
    add_ipv6_neighbors(*g_router);
    g_verbose = std::getenv("DPR_FUZZ_VERBOSE") != nullptr;
    return 0;
}

namespace {
struct Outcomes {
    uint64_t rx = 0;
    uint64_t settled = 0;  // forwarded + every drop reason + local_delivered + punted
};
Outcomes outcomes(const dprouter::WorkerCounters& c) {
    Outcomes o;
    for (const auto& p : c.ports) o.rx += p.rx;
    for (uint64_t d : c.drops) o.settled += d;
    o.settled += c.counted(dprouter::Event::forwarded) + c.counted(dprouter::Event::local_delivered) +
                 c.counted(dprouter::Event::punted);
    return o;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 2) return 0;
    dprtest::RouterHarness& h = *g_router;
    const dprouter::Tables& t = h.tables();
    const auto port = static_cast<uint16_t>(data[0] % t.n_ports);
    const size_t seg = data[1];
    size_t off = 2;

    rte_mbuf* pkts[kMaxFrames];
    uint16_t n = 0;
    const size_t room = rte_pktmbuf_data_room_size(h.pool()) - RTE_PKTMBUF_HEADROOM;
    while (off < size && n < kMaxFrames) {
        size_t len = size - off;
        if (len >= 2) {
            len = std::min<size_t>(size_t{data[off]} << 8 | data[off + 1], size - off - 2);
            off += 2;
        }
        const Bytes frame(data + off, data + off + len);
        off += len;
        // At most kMaxSegments per frame, so that a burst always fits the pool.
        const size_t seg_size = seg != 0 ? std::max(seg, (len + kMaxSegments - 1) / kMaxSegments) : (len > room ? room : 0);
        rte_mbuf* m = dprtest::make_mbuf(h.pool(), frame, seg_size);
        if (m == nullptr) finding("input", "mempool exhausted while building the burst");
        pkts[n++] = m;
    }
    // Ten seconds between inputs refill every ICMP token bucket: each input sees the same limiter.
    h.advance_tsc_ms(10000);
    const Outcomes before = outcomes(h.counters());
    h.receive_mbufs(port, pkts, n);

    const auto sent = h.take_emitted();
    const auto held = h.take_held();
    // docs/architecture.md, "The identity the counters keep": each frame received counts exactly
    // one outcome (forwarded once the harness's TX took it, a drop reason, local_delivered, punted)
    // or is held (the router's own frames held, such as an error to an unresolved source, aside).
    const Outcomes after = outcomes(h.counters());
    const auto held_received =
        static_cast<uint64_t>(std::count_if(held.begin(), held.end(), [](const dprtest::Held& e) { return e.counts; }));
    if (after.rx - before.rx != n || after.settled - before.settled + held_received != n)
        finding("counters", std::to_string(n) + " frame(s) received, rx counted " + std::to_string(after.rx - before.rx) +
                                ", outcomes counted " + std::to_string(after.settled - before.settled) + " + " +
                                std::to_string(held_received) + " held; drops: " + h.drops_summary());
    if (g_verbose) {
        const dprouter::WorkerCounters& c = h.counters();
        std::fprintf(stderr, "fuzz_pipeline: %u frame(s) in on port %u: %zu sent, %zu held; forwarded=%lu "
                     "icmp_sent=%lu; drops: %s\n", unsigned{n}, unsigned{port}, sent.size(), held.size(),
                     static_cast<unsigned long>(c.counted(dprouter::Event::forwarded)),
                     static_cast<unsigned long>(c.icmp_sent_total()), h.drops_summary().c_str());
        h.counters() = dprouter::WorkerCounters{};
    }
    for (const dprtest::Emitted& e : sent) check(t, e.port, e.bytes, "sent");
    for (const dprtest::Held& e : held) check(t, e.port, e.bytes, "held for ARP");
    h.take_learned();
    if (const unsigned used = h.mbufs_in_use(); used != 0)
        finding("mbuf leak", std::to_string(used) + " mbuf(s) neither sent, queued nor freed");
    return 0;
}
