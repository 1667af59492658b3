#include "dprouter/router.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <thread>

#include <rte_cycles.h>
#include <rte_random.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "control/capture_manager.hpp"
#include "control/control_server.hpp"
#include "control/kernel_routes.hpp"
#include "control/link_watch.hpp"
#include "control/router_control.hpp"
#include "control/mirror.hpp"
#include "dprouter/config_check.hpp"
#include "dprouter/idle_backoff.hpp"
#include "dprouter/listen_address.hpp"
#include "dprouter/metrics.hpp"
#include "dprouter/log.hpp"
#include "dprouter/numa_placement.hpp"
#include "dprouter/ports.hpp"
#include "dprouter/rings.hpp"
#include "dprouter/startup_phases.hpp"
#include "dprouter/wall_clock.hpp"

namespace dprouter {
namespace {

constexpr unsigned kHoldRingSize = 2048;
constexpr unsigned kLearnRingSize = 1024;
constexpr unsigned kInjectRingSize = 4096;
constexpr unsigned kPuntRingSize = 1024;  // per worker; a full ring drops (punt_queue_full)
constexpr unsigned kCaptureRingSize = 1024;  // per worker; a full ring drops (capture_dropped)
constexpr uint64_t kMirrorWatchPeriodMs = 1000;
constexpr uint64_t kTimerPeriodMs = 50;
constexpr uint64_t kTelemetryPeriodMs = 200;
// The longest idle pause of the control thread with dpdk.idle: sleep; well below kTimerPeriodMs.
constexpr unsigned kControlIdleMaxMs = 16;

uint64_t now_ms() {
    using namespace std::chrono;
    return static_cast<uint64_t>(duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
}

rte_ring* make_ring(const std::string& name, unsigned size, unsigned esize) {
    return make_spsc_ring(name, size, esize, static_cast<int>(rte_socket_id()));
}

// The only settings a reload cannot change without restarting: EAL, workers (their count and idle
// behaviour) and the port list.
std::string restart_only_change(const Config& a, const Config& b) {
    if (a.dpdk.eal_args != b.dpdk.eal_args) return "dpdk.eal_args";
    if (a.dpdk.workers != b.dpdk.workers) return "dpdk.workers";
    // The workers read these once, when they start.
    if (a.dpdk.idle != b.dpdk.idle) return "dpdk.idle";
    if (a.dpdk.idle_max_us != b.dpdk.idle_max_us) return "dpdk.idle_max_us";
    if (a.control_plane.mirror != b.control_plane.mirror) return "control_plane.mirror";
    if (a.metrics.listen != b.metrics.listen) return "metrics.listen";
    // The live FIB is sized once, at start (live_fib_limits).
    if (a.control_plane.max_routes != b.control_plane.max_routes) return "control_plane.max_routes";
    if (a.control_plane.max_routes6 != b.control_plane.max_routes6) return "control_plane.max_routes6";
    if (a.interfaces.size() != b.interfaces.size()) return "the number of interfaces";
    for (size_t i = 0; i < a.interfaces.size(); ++i) {
        if (a.interfaces[i].name != b.interfaces[i].name) return "interface names or their order";
        if (a.interfaces[i].device != b.interfaces[i].device) return "interfaces[" + std::to_string(i) + "].device";
        if (a.interfaces[i].has_mac != b.interfaces[i].has_mac || a.interfaces[i].mac != b.interfaces[i].mac)
            return "interfaces[" + std::to_string(i) + "].mac";
        // The queues are set up once, when the port starts.
        if (a.interfaces[i].rx_descriptors != b.interfaces[i].rx_descriptors)
            return "interfaces[" + std::to_string(i) + "].rx_descriptors";
        if (a.interfaces[i].tx_descriptors != b.interfaces[i].tx_descriptors)
            return "interfaces[" + std::to_string(i) + "].tx_descriptors";
    }
    return {};
}

}  // namespace

Router::Router(Config cfg) : cfg_(std::move(cfg)) {
    try {
        setup();
    } catch (...) {
        teardown();
        throw;
    }
}

Router::~Router() { teardown(); }

void Router::setup() {
    StartupPhases phases;
    workers_ = cfg_.dpdk.workers;
    unsigned lcore;
    RTE_LCORE_FOREACH_WORKER(lcore) {
        if (worker_lcores_.size() < workers_) worker_lcores_.push_back(lcore);
    }
    if (worker_lcores_.size() < workers_)
        throw std::runtime_error("dpdk.workers is " + std::to_string(workers_) + " but EAL has only " +
                                 std::to_string(worker_lcores_.size()) +
                                 " worker lcores; give EAL more cores (e.g. -l 0-" + std::to_string(workers_) + ")");
    if (workers_ > kMaxWorkers) throw std::runtime_error("at most " + std::to_string(kMaxWorkers) + " workers");

    // One mbuf size for everything: large enough for the biggest MTU in a single segment.
    unsigned max_mtu = 1500;
    for (const auto& ic : cfg_.interfaces) max_mtu = std::max(max_mtu, ic.mtu);
    const unsigned frame = max_mtu + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN + 8;  // + a VLAN tag's worth
    const uint16_t data_room = static_cast<uint16_t>(RTE_PKTMBUF_HEADROOM + std::max<unsigned>(frame, 2048));
    const unsigned n_ports = static_cast<unsigned>(cfg_.interfaces.size());
    // dpdk.mbufs can only add: a port that keeps mbufs of its own (net_pcap's infinite_rx holds
    // its whole capture) needs more than the queues and rings account for.
    const unsigned n_mbufs = std::max<unsigned>(
        {16383, workers_ * (descriptor_mbufs(cfg_) + n_ports * TxBatch::kCapacity) + kHoldTotal + kHold6Total + 2 * kInjectRingSize +
             workers_ * kPuntRingSize + (cfg_.control_plane.mirror ? n_ports * Mirror::kMbufsPerTap : 0),
         cfg_.dpdk.mbufs});
    // The pools go on the NICs' NUMA socket (numa_placement.hpp); probing a port twice is harmless.
    std::vector<PortSocket> port_sockets;
    for (const auto& ic : cfg_.interfaces) port_sockets.push_back({ic.name, rte_eth_dev_socket_id(probe_port(ic.device))});
    const int pool_socket = mbuf_pool_socket(port_sockets, static_cast<int>(rte_socket_id()));
    for (const std::string& w : numa_placement_warnings(port_sockets, worker_lcores_, pool_socket))
        DPR_LOG(WARNING, "%s\n", w.c_str());
    pool_ = create_pktmbuf_pool_near("dpr_mbufs", n_mbufs, 256, data_room, pool_socket);
    if (pool_ == nullptr) throw std::runtime_error(std::string("cannot create mbuf pool: ") + rte_strerror(rte_errno));
    DPR_LOG(INFO, "mbuf pools on NUMA socket %d\n", pool_->socket_id);
    // Fragments reference the original payload through indirect mbufs, which carry no data room.
    indirect_pool_ = create_pktmbuf_pool_near("dpr_indirect", n_mbufs, 256, 0, pool_socket);
    if (indirect_pool_ == nullptr)
        throw std::runtime_error(std::string("cannot create indirect mbuf pool: ") + rte_strerror(rte_errno));
    phases.mark("mbuf pools");

    for (const auto& ic : cfg_.interfaces) {
        const uint16_t port = probe_port(ic.device);
        if (port >= kMaxPorts)
            throw std::runtime_error("interface '" + ic.name + "': port id " + std::to_string(port) + " beyond " +
                                     std::to_string(kMaxPorts - 1));
        if (std::find(port_of_.begin(), port_of_.end(), port) != port_of_.end())
            throw std::runtime_error("interface '" + ic.name + "': device is already used by another interface");
        port_of_.push_back(port);
        const PortInfo info = setup_port(port, ic, workers_, pool_);
        port_mac_.push_back(info.mac);
        port_multi_seg_.push_back(info.tx_multi_seg ? 1 : 0);
        started_ports_.push_back(port);
        char mac[RTE_ETHER_ADDR_FMT_SIZE];
        rte_ether_format_addr(mac, sizeof mac, &port_mac_.back());
        DPR_LOG(INFO, "interface %s: port %u, %s, mtu %u\n", ic.name.c_str(), port, mac, ic.mtu);
    }
    phases.mark("ports");

    const size_t qsbr_size = rte_rcu_qsbr_get_memsize(workers_);
    qsbr_ = static_cast<rte_rcu_qsbr*>(rte_zmalloc("dpr_qsbr", qsbr_size, RTE_CACHE_LINE_SIZE));
    if (qsbr_ == nullptr || rte_rcu_qsbr_init(qsbr_, workers_) != 0) throw std::runtime_error("cannot set up RCU");
    neighbors_ = std::make_unique<NeighborTable>("dpr_neigh", kNeighborCapacity, qsbr_);
    resolver_ = std::make_unique<ArpResolver>(*neighbors_, pool_);
    neighbors6_ = std::make_unique<NeighborTable6>("dpr_neigh6", kNeighborCapacity, qsbr_);
    nd_resolver_ = std::make_unique<Nd6Resolver>(*neighbors6_, pool_);

    // One block per worker, then the control thread's: the held packets it gives up on and the
    // frames it cannot hand to a worker count there (docs/architecture.md, "Counters").
    counter_blocks_ = workers_ + 1;
    counters_ = static_cast<WorkerCounters*>(
        rte_zmalloc("dpr_counters", sizeof(WorkerCounters) * counter_blocks_, RTE_CACHE_LINE_SIZE));
    if (counters_ == nullptr) throw std::runtime_error("out of memory for counters");
    for (unsigned w = 0; w < counter_blocks_; ++w) new (&counters_[w]) WorkerCounters();
    resolver_->count_into(&counters_[workers_]);
    nd_resolver_->count_into(&counters_[workers_]);

    for (unsigned w = 0; w < workers_; ++w) {
        void* mem = rte_zmalloc_socket("dpr_worker", sizeof(WorkerContext), RTE_CACHE_LINE_SIZE,
                                       static_cast<int>(rte_lcore_to_socket_id(worker_lcores_[w])));
        if (mem == nullptr) throw std::runtime_error("out of memory for worker state");
        auto* ctx = new (mem) WorkerContext();
        contexts_.push_back(ctx);
        ctx->worker_id = w;
        ctx->counters = &counters_[w];
        ctx->neighbors = neighbors_.get();
        ctx->neighbors6 = neighbors6_.get();
        ctx->pool = pool_;
        ctx->indirect_pool = indirect_pool_;
        ctx->n_workers = workers_;
        ctx->tsc_hz = rte_get_tsc_hz();
        ctx->utc_minus_tsc_ms.store(utc_minus_tsc_ms(rte_rdtsc(), ctx->tsc_hz), std::memory_order_relaxed);
        ctx->limiter.dest_seed = static_cast<uint32_t>(rte_rand());
        const std::string suffix = std::to_string(w);
        ctx->hold_ring = make_ring("dpr_hold" + suffix, kHoldRingSize, sizeof(void*));
        ctx->learn_ring = make_ring("dpr_learn" + suffix, kLearnRingSize, sizeof(LearnMessage));
        ctx->learn6_ring = make_ring("dpr_learn6_" + suffix, kLearnRingSize, sizeof(LearnMessage6));
        ctx->inject_ring = make_ring("dpr_inject" + suffix, kInjectRingSize, sizeof(void*));
        if (cfg_.control_plane.mirror) ctx->punt_ring = make_ring("dpr_punt" + suffix, kPuntRingSize, sizeof(void*));
        ctx->capture.ring = make_ring("dpr_capture" + suffix, kCaptureRingSize, sizeof(void*));
        ctx->capture.copy_cycles = std::max<uint64_t>(1, rte_get_tsc_hz() / kCaptureCopiesPerSecond);
    }
    {
        std::vector<std::string> names(kMaxPorts);
        for (size_t i = 0; i < cfg_.interfaces.size(); ++i) names[port_of_[i]] = cfg_.interfaces[i].name;
        capture_ = std::make_unique<CaptureManager>(contexts_, std::move(names), frame);
    }

    phases.mark("rings");
    const uint64_t build_start = now_ms();
    // The live FIB holds the connected routes from the start, the configured ones as origin
    // config; it publishes into tables_ (docs/architecture.md "Live FIB").
    const LiveFibLimits fib_limits = live_fib_limits(cfg_);
    if (const std::string err = check_live_fib_memory(cfg_, fib_limits, eal_memory_available()); !err.empty())
        throw std::runtime_error(err);
    live_fib_ = std::make_unique<LiveFib>(cfg_, LivePorts{port_of_.data(), port_mac_.data(), port_multi_seg_.data()},
                                          qsbr_, tables_, fib_limits);
    phases.mark("FIB created");
    live_fib_->on_new_next_hop4 = [this](NextHop& nh) { resolver_->fill(nh); };
    live_fib_->on_new_next_hop6 = [this](NextHop6& nh) { nd_resolver_->fill(nh); };
    if (const std::string err = live_fib_->replace_origin(RouteOrigin::config, config_routes(cfg_)); !err.empty())
        throw std::runtime_error(err);
    live_fib_->commit();
    phases.mark("routes");
    // No settle(): the workers start on the published copy while the control loop fills the
    // other one a chunk at a time (LiveFib::maintain); a change arriving meanwhile finishes that
    // first. Halves the table work before forwarding (docs/benchmarking.md "Large tables").
    ++generation_;
    Tables* t = live_fib_->tables();
    // Big tables take a few seconds (docs/benchmarking.md "Large tables").
    DPR_LOG(INFO,
            "tables built in %lu ms: %u prefixes, %u next hops, %u tbl8 groups, %s route lookup; "
            "IPv6: %u prefixes, %u next hops, %u tbl8 groups, %s route lookup\n",
            static_cast<unsigned long>(now_ms() - build_start), t->n_routes, t->n_nexthops, t->n_tbl8, t->fib_lookup,
            t->n_routes6, t->n_nexthops6, t->n_tbl8_6, t->fib6_lookup);
    std::vector<rte_mbuf*> released;  // nothing can be held before the first tables exist
    resolver_->attach(t, statics_for(cfg_), now_ms(), released);
    nd_resolver_->attach(t, statics6_for(cfg_), now_ms(), released);
    if (cfg_.control_plane.mirror) mirror_ = std::make_unique<Mirror>(cfg_, port_of_, *t, pool_);
    DPR_LOG(INFO, "start-up, tables: %s\n", phases.text().c_str());

    telemetry_.counters = counters_;
    telemetry_.workers = workers_;
    telemetry_.blocks = counter_blocks_;
    for (size_t i = 0; i < cfg_.interfaces.size(); ++i) telemetry_.ports.emplace_back(cfg_.interfaces[i].name, port_of_[i]);
    telemetry_register(&telemetry_);
    telemetry_xstats_register(&telemetry_);
    link_watch_ = std::make_unique<LinkWatch>(telemetry_.ports);
    if (!cfg_.metrics.listen.empty()) {
        std::string why;
        metrics_ = std::make_unique<MetricsServer>(parse_listen_address(cfg_.metrics.listen, why).value(), telemetry_);
        DPR_LOG(INFO, "metrics: http://%s/metrics\n", cfg_.metrics.listen.c_str());
    }
    start_control();
    if (cfg_.control_plane.import_routes) {
        // Kernel routes on the mirror interfaces (named after ours) go to the live FIB as origin kernel.
        std::vector<std::string> names;
        for (const auto& ic : cfg_.interfaces) names.push_back(ic.name);
        importer_ = std::make_unique<KernelRouteImporter>(std::move(names), *live_fib_);
    }
}

std::vector<ArpResolver::Static> Router::statics_for(const Config& cfg) const {
    std::vector<ArpResolver::Static> v;
    for (const auto& n : cfg.neighbors)
        for (size_t i = 0; i < cfg.interfaces.size(); ++i)
            if (cfg.interfaces[i].name == n.interface) {
                ArpResolver::Static s{rte_cpu_to_be_32(n.address), port_of_[i], {}};
                std::copy(n.mac.bytes.begin(), n.mac.bytes.end(), s.mac.addr_bytes);
                v.push_back(s);
            }
    if (control_) v.insert(v.end(), control_->cli_statics().begin(), control_->cli_statics().end());
    return v;
}

std::vector<Nd6Resolver::Static> Router::statics6_for(const Config& cfg) const {
    std::vector<Nd6Resolver::Static> v;
    for (const auto& n : cfg.neighbors6)
        for (size_t i = 0; i < cfg.interfaces.size(); ++i)
            if (cfg.interfaces[i].name == n.interface) {
                Nd6Resolver::Static s{n.address.bytes, port_of_[i], {}};
                std::copy(n.mac.bytes.begin(), n.mac.bytes.end(), s.mac.addr_bytes);
                v.push_back(s);
            }
    if (control_) v.insert(v.end(), control_->cli_statics6().begin(), control_->cli_statics6().end());
    return v;
}

void Router::run(const std::atomic<bool>& stop, std::atomic<bool>& reload_requested) {
    setups_.resize(workers_);
    const Tables* t = tables_.load();
    for (unsigned w = 0; w < workers_; ++w) {
        WorkerSetup& s = setups_[w];
        s.ctx = contexts_[w];
        s.queue = static_cast<uint16_t>(w);
        for (uint16_t p : port_of_) s.ports[s.n_ports++] = p;
        s.tables = &tables_;
        s.qsbr = qsbr_;
        s.stop = &workers_stop_;
        s.sleep_when_idle = cfg_.dpdk.idle == IdleMode::sleep;
        s.idle_max_us = cfg_.dpdk.idle_max_us;
        if (rte_eal_remote_launch(worker_main, &s, worker_lcores_[w]) != 0)
            throw std::runtime_error("cannot launch worker on lcore " + std::to_string(worker_lcores_[w]));
    }
    DPR_LOG(INFO, "forwarding: %zu interfaces, %u workers, %u routes and addresses, %u next hops\n", port_of_.size(),
            workers_, t->n_routes, t->n_nexthops);

    // Idle: sleep rather than spin, the control lcore is shared with the OS. 1 ms at a time; with
    // dpdk.idle: sleep the pause doubles up to kControlIdleMaxMs while nothing happens (a lab of many
    // routers on few CPUs: 1000 wake-ups a second cost each router about 1 % of a CPU on a VM).
    IdleBackoff idle(1, cfg_.dpdk.idle == IdleMode::sleep ? kControlIdleMaxMs : 1);
    while (!stop.load(std::memory_order_relaxed)) {
        bool busy = false;
        control_iteration(now_ms(), busy);
        if (reload_requested.exchange(false)) reload(stop);
        if (busy)
            idle.busy();
        else
            std::this_thread::sleep_for(std::chrono::milliseconds(idle.next()));
    }
    workers_stop_.store(true);
    rte_eal_mp_wait_lcore();
    refresh_telemetry();
}

void Router::control_iteration(uint64_t now, bool& busy) {
    std::vector<rte_mbuf*> out;
    // What the workers learnt first, then what they hold: a worker that reported a neighbour (say,
    // from the solicitation a host sent before its echo request) and then held a packet for it finds
    // the entry made, instead of a needless request or solicitation going out.
    for (WorkerContext* ctx : contexts_) {
        LearnMessage msgs[kRxBurst];
        unsigned n = rte_ring_sc_dequeue_burst_elem(ctx->learn_ring, msgs, sizeof(LearnMessage), kRxBurst, nullptr);
        for (unsigned i = 0; i < n; ++i) resolver_->on_learn(msgs[i], now, out);
        busy |= n != 0;
        LearnMessage6 msgs6[kRxBurst];
        n = rte_ring_sc_dequeue_burst_elem(ctx->learn6_ring, msgs6, sizeof(LearnMessage6), kRxBurst, nullptr);
        for (unsigned i = 0; i < n; ++i) nd_resolver_->on_learn(msgs6[i], now, out);
        busy |= n != 0;
    }
    for (WorkerContext* ctx : contexts_) {
        void* held[kRxBurst];
        const unsigned n = rte_ring_sc_dequeue_burst(ctx->hold_ring, held, kRxBurst, nullptr);
        for (unsigned i = 0; i < n; ++i) {
            auto* m = static_cast<rte_mbuf*>(held[i]);
            if (held_is_ipv6(m))
                nd_resolver_->on_held(m, now, out);
            else
                resolver_->on_held(m, now, out);
        }
        busy |= n != 0;
    }
    if (now >= next_timer_ms_) {
        resolver_->on_timer(now, out);
        nd_resolver_->on_timer(now, out);
        next_timer_ms_ = now + kTimerPeriodMs;
        // Keeps the workers' timestamps (RFC 791) on the system clock despite TSC drift and steps.
        const int64_t utc_offset = utc_minus_tsc_ms(rte_rdtsc(), rte_get_tsc_hz());
        for (WorkerContext* ctx : contexts_) ctx->utc_minus_tsc_ms.store(utc_offset, std::memory_order_relaxed);
        reclaim(false);
        if (live_fib_) live_fib_->maintain();
    }
    // The second FIB copy after a big batch (start-up): a chunk per iteration, without sleeping.
    if (live_fib_ && live_fib_->replaying()) busy |= live_fib_->maintain();
    if (capture_) busy |= capture_->poll(now);  // before the control socket sends what it wrote
    poll_control(now, busy);
    if (importer_) busy |= importer_->poll();
    if (mirror_) {
        // Punted frames to the kernel, and what the kernel sends to the ports (through worker 0).
        busy |= mirror_->to_kernel(contexts_);
        busy |= mirror_->from_kernel(out);
        if (now >= next_mirror_watch_ms_) {
            mirror_->watch_forwarding();
            next_mirror_watch_ms_ = now + kMirrorWatchPeriodMs;
        }
    }
    if (link_watch_)
        for (const LinkChange& c : link_watch_->poll(now)) {
            if (c.initial) DPR_LOG(INFO, "%s\n", describe(c).c_str());
            else DPR_LOG(NOTICE, "%s\n", describe(c).c_str());
        }
    if (now >= next_telemetry_ms_) {
        refresh_telemetry();
        next_telemetry_ms_ = now + kTelemetryPeriodMs;
    }
    inject(out);
}

void Router::inject(std::vector<rte_mbuf*>& frames) {
    if (frames.empty()) return;
    // Worker 0 transmits on the control thread's behalf: it owns a TX queue on every port.
    const unsigned n = rte_ring_sp_enqueue_burst(contexts_[0]->inject_ring, reinterpret_cast<void**>(frames.data()),
                                                 static_cast<unsigned>(frames.size()), nullptr);
    if (n < frames.size()) {
        control_ring_overflow_ += frames.size() - n;
        // A released or refused packet that stands for a received one is that packet's drop.
        WorkerCounters& c = counters_[workers_];
        for (size_t i = n; i < frames.size(); ++i) {
            const uint16_t port = frames[i]->port;
            const bool counts = port == kInjectHostUnreachable ? held_counts(frames[i]) : (port & kInjectCounted) != 0;
            if (counts)
                c.drop(Drop::control_ring_full);
            else
                c.event(Event::own_frames_dropped);
        }
        rte_pktmbuf_free_bulk(frames.data() + n, static_cast<unsigned>(frames.size() - n));
    }
    frames.clear();
}

void Router::publish(Tables* fresh) {
    Tables* old = tables_.exchange(fresh, std::memory_order_acq_rel);
    // Readers that loaded `old` are done with it once each has passed a quiescent state after now.
    pending_.push_back({old, rte_rcu_qsbr_start(qsbr_)});
}

void Router::reclaim(bool wait) {
    for (auto it = pending_.begin(); it != pending_.end();) {
        if (rte_rcu_qsbr_check(qsbr_, it->token, wait) == 1) {
            free_tables(it->tables);
            it = pending_.erase(it);
        } else {
            ++it;
        }
    }
}

void Router::reload(const std::atomic<bool>& stop) {
    DPR_LOG(INFO, "SIGHUP: reloading %s\n", cfg_.file.c_str());
    // Checked first in a child with bounded time and memory: a file that would make the parser
    // loop or swell must not take the router with it. SIGTERM meanwhile abandons the reload.
    const CheckOutcome checked = check_config_bounded(cfg_.file, &stop);
    if (checked.status == CheckOutcome::stopped) {
        DPR_LOG(INFO, "reload abandoned: stopping\n");
        return;
    }
    for (const auto& line : checked.lines) DPR_LOG(ERR, "%s\n", line.c_str());
    if (checked.status != CheckOutcome::valid) {
        DPR_LOG(ERR, "reload rejected; the running configuration is unchanged\n");
        return;
    }
    ConfigResult r = load_config_file(cfg_.file);
    if (!r.ok()) {
        for (const auto& line : error_lines(r.errors)) DPR_LOG(ERR, "%s\n", line.c_str());
        DPR_LOG(ERR, "reload rejected; the running configuration is unchanged\n");
        return;
    }
    if (const std::string what = restart_only_change(cfg_, r.config); !what.empty()) {
        DPR_LOG(ERR, "reload rejected: changing %s needs a restart; the running configuration is unchanged\n",
                what.c_str());
        return;
    }
    // Interfaces and connected routes, then the file's routes; kernel and cli routes stay.
    try {
        live_fib_->reconfigure(r.config);
    } catch (const std::exception& e) {
        DPR_LOG(ERR, "reload rejected: %s; the running configuration is unchanged\n", e.what());
        return;
    }
    ++generation_;
    if (const std::string err = live_fib_->replace_origin(RouteOrigin::config, config_routes(r.config)); !err.empty())
        DPR_LOG(ERR, "reload: %s; the previous file routes stay\n", err.c_str());  // a full FIB
    for (size_t i = 0; i < r.config.interfaces.size(); ++i)
        if (r.config.interfaces[i].mtu != cfg_.interfaces[i].mtu) apply_port_mtu(port_of_[i], r.config.interfaces[i].mtu);
    live_fib_->commit();
    live_fib_->settle();  // both copies carry the new interfaces before the resolvers look at them
    Tables* fresh = live_fib_->tables();
    std::vector<rte_mbuf*> released;
    resolver_->attach(fresh, statics_for(r.config), now_ms(), released);
    nd_resolver_->attach(fresh, statics6_for(r.config), now_ms(), released);
    inject(released);
    if (mirror_) {
        try {
            mirror_->apply(r.config, *fresh);
        } catch (const std::exception& e) {
            DPR_LOG(ERR, "reload: mirror interfaces not updated: %s\n", e.what());
        }
    }
    cfg_ = std::move(r.config);
    DPR_LOG(INFO, "configuration reloaded (generation %lu, %u routes and addresses, %u IPv6)\n",
            static_cast<unsigned long>(generation_), fresh->n_routes, fresh->n_routes6);
}

void Router::refresh_telemetry() {
    if (!resolver_) return;
    std::lock_guard lock(telemetry_.mutex);
    telemetry_.resolver = resolver_->stats();
    if (const Tables* t = tables_.load()) {
        telemetry_.routes = t->n_routes;
        telemetry_.routes6 = t->n_routes6;
    }
    telemetry_.neighbors = resolver_->snapshot();
    if (nd_resolver_) {
        telemetry_.nd = nd_resolver_->stats();
        telemetry_.neighbors6 = nd_resolver_->snapshot();
    }
    if (importer_) telemetry_.import = importer_->figures(live_fib_->stats().held_kernel);
}

void Router::teardown() {
    metrics_.reset();  // its threads read the counters and ports below
    link_watch_.reset();
    stop_control();
    capture_.reset();  // after the control clients (their captures); before the rings and workers' state
    telemetry_detach();
    telemetry_xstats_detach();
    for (uint16_t p : started_ports_) stop_port(p);
    started_ports_.clear();
    for (WorkerContext* ctx : contexts_) {
        free_ring_mbufs(ctx->hold_ring);
        free_ring_mbufs(ctx->inject_ring);
        if (ctx->punt_ring != nullptr) {
            free_ring_mbufs(ctx->punt_ring);
            rte_ring_free(ctx->punt_ring);
        }
        for (uint16_t p = 0; p < kMaxPorts; ++p) rte_pktmbuf_free_bulk(ctx->out.pkts[p], ctx->out.count[p]);
        rte_ring_free(ctx->hold_ring);
        rte_ring_free(ctx->learn_ring);
        rte_ring_free(ctx->learn6_ring);
        rte_ring_free(ctx->inject_ring);
        rte_ring_free(ctx->capture.ring);
        ctx->~WorkerContext();
        rte_free(ctx);
    }
    contexts_.clear();
    mirror_.reset();
    resolver_.reset();
    nd_resolver_.reset();
    for (auto& p : pending_) free_tables(p.tables);
    pending_.clear();
    importer_.reset();  // holds a reference to live_fib_
    live_fib_.reset();  // unpublishes its copies
    free_tables(tables_.exchange(nullptr));
    neighbors_.reset();
    neighbors6_.reset();
    rte_free(counters_);
    counters_ = nullptr;
    rte_free(qsbr_);
    qsbr_ = nullptr;
    rte_mempool_free(pool_);
    pool_ = nullptr;
    rte_mempool_free(indirect_pool_);
    indirect_pool_ = nullptr;
}

void Router::print_counters(std::FILE* out) const {
    if (counters_ == nullptr) return;
    const WorkerCounters sum = sum_counters(counters_, counter_blocks_);
    std::fprintf(out, "dprouter counters:\n");
    for (size_t i = 0; i < cfg_.interfaces.size(); ++i) {
        const PortCounters& pc = sum.ports[port_of_[i]];
        std::fprintf(out, "  interface %-12s rx %lu tx %lu tx_dropped %lu\n", cfg_.interfaces[i].name.c_str(),
                     static_cast<unsigned long>(pc.rx), static_cast<unsigned long>(pc.tx),
                     static_cast<unsigned long>(pc.tx_dropped));
    }
    for (size_t i = 0; i < kEventNames.size(); ++i)
        std::fprintf(out, "  %-30s %lu\n", std::string(kEventNames[i]).c_str(), static_cast<unsigned long>(sum.events[i]));
    for (size_t i = 0; i < kDropNames.size(); ++i)
        if (sum.drops[i] != 0)
            std::fprintf(out, "  drop %-25s %lu\n", std::string(kDropNames[i]).c_str(), static_cast<unsigned long>(sum.drops[i]));
    for (size_t i = 0; i < kIcmpKinds.size(); ++i)
        if (sum.icmp_sent[i] != 0 || sum.icmp_suppressed[i] != 0)
            std::fprintf(out, "  icmp %-25s sent %lu suppressed %lu\n", std::string(kIcmpKinds[i].name).c_str(),
                         static_cast<unsigned long>(sum.icmp_sent[i]), static_cast<unsigned long>(sum.icmp_suppressed[i]));
    for (size_t i = 0; i < kIcmpSuppressNames.size(); ++i)
        if (sum.icmp_suppressed_why[i] != 0)
            std::fprintf(out, "  icmp suppressed: %-20s %lu\n", std::string(kIcmpSuppressNames[i]).c_str(),
                         static_cast<unsigned long>(sum.icmp_suppressed_why[i]));
    const ResolverStats& rs = resolver_->stats();
    std::fprintf(out, "  arp requests_sent %lu resolved %lu failed %lu released %lu hold_dropped %lu failed_dropped %lu\n",
                 static_cast<unsigned long>(rs.requests_sent), static_cast<unsigned long>(rs.resolved),
                 static_cast<unsigned long>(rs.failed), static_cast<unsigned long>(rs.released),
                 static_cast<unsigned long>(rs.hold_dropped), static_cast<unsigned long>(rs.failed_dropped));
    if (nd_resolver_) {
        const Nd6Stats& ns = nd_resolver_->stats();
        std::fprintf(out,
                     "  nd solicitations_sent %lu resolved %lu failed %lu released %lu hold_dropped %lu failed_dropped %lu "
                     "expired %lu\n",
                     static_cast<unsigned long>(ns.solicitations_sent), static_cast<unsigned long>(ns.resolved),
                     static_cast<unsigned long>(ns.failed), static_cast<unsigned long>(ns.released),
                     static_cast<unsigned long>(ns.hold_dropped), static_cast<unsigned long>(ns.failed_dropped),
                     static_cast<unsigned long>(ns.expired));
    }
    if (mirror_) {
        const MirrorStats& ms = mirror_->stats();
        std::fprintf(out,
                     "  mirror to_kernel %lu to_kernel_dropped %lu from_kernel %lu from_kernel_filtered %lu "
                     "from_kernel_too_big %lu\n",
                     static_cast<unsigned long>(ms.to_kernel), static_cast<unsigned long>(ms.to_kernel_dropped),
                     static_cast<unsigned long>(ms.from_kernel), static_cast<unsigned long>(ms.from_kernel_filtered),
                     static_cast<unsigned long>(ms.from_kernel_too_big));
    }
    if (control_ring_overflow_ != 0)
        std::fprintf(out, "  control inject overflow %lu\n", static_cast<unsigned long>(control_ring_overflow_));
}

}  // namespace dprouter
