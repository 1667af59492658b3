// Test helpers; see packet_builder.hpp.
#include "packet_builder.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <stdexcept>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "dprouter/rings.hpp"
#include "dprouter/route_lookup.hpp"

namespace dprtest {

using namespace dprouter;

uint32_t to_be(uint32_t host) { return rte_cpu_to_be_32(host); }

rte_ether_addr to_ether(const Mac& m) {
    rte_ether_addr e{};
    std::copy(m.begin(), m.end(), e.addr_bytes);
    return e;
}

Mac from_ether(const rte_ether_addr& e) {
    Mac m{};
    std::copy(e.addr_bytes, e.addr_bytes + 6, m.begin());
    return m;
}

MacAddr to_mac_addr(const Mac& m) {
    MacAddr a;
    std::copy(m.begin(), m.end(), a.bytes.begin());
    return a;
}

// ---------------------------------------------------------------------------------------------

Config lab_config() {
    Config cfg;
    cfg.file = "unit-test";
    cfg.dpdk.workers = 1;

    InterfaceConfig lan;
    lan.name = "lan";
    lan.device = "net_null0";
    lan.addresses.push_back({{lab::kLanAddr, 24}, {}});
    lan.mtu = 1500;
    lan.has_mac = true;
    lan.mac = to_mac_addr(lab::kLanMac);
    cfg.interfaces.push_back(lan);

    InterfaceConfig wan;
    wan.name = "wan";
    wan.device = "net_null1";
    wan.addresses.push_back({{lab::kWanAddr, 24}, {}});
    wan.mtu = 1500;
    wan.has_mac = true;
    wan.mac = to_mac_addr(lab::kWanMac);
    cfg.interfaces.push_back(wan);

    RouteConfig via;
    via.prefix = {lab::kRemoteNet, 16};
    via.action = RouteAction::forward;
    via.has_via = true;
    via.via = lab::kGatewayAddr;
    cfg.routes.push_back(via);
    for (auto [net, action] : {std::pair{lab::kUnreachableNet, RouteAction::unreachable},
                               std::pair{lab::kBlackholeNet, RouteAction::blackhole},
                               std::pair{lab::kProhibitNet, RouteAction::prohibit}}) {
        RouteConfig r;
        r.prefix = {net, 16};
        r.action = action;
        cfg.routes.push_back(r);
    }
    return cfg;
}

InterfaceConfig& interface_named(Config& cfg, const std::string& name) {
    for (auto& i : cfg.interfaces)
        if (i.name == name) return i;
    throw std::out_of_range("no interface " + name);
}

// ---------------------------------------------------------------------------------------------

void put16(Bytes& b, size_t off, uint16_t v) {
    b.at(off) = static_cast<uint8_t>(v >> 8);
    b.at(off + 1) = static_cast<uint8_t>(v);
}

void put32(Bytes& b, size_t off, uint32_t v) {
    put16(b, off, static_cast<uint16_t>(v >> 16));
    put16(b, off + 2, static_cast<uint16_t>(v));
}

uint16_t get16(const Bytes& b, size_t off) { return static_cast<uint16_t>(b.at(off) << 8 | b.at(off + 1)); }

uint32_t get32(const Bytes& b, size_t off) { return uint32_t{get16(b, off)} << 16 | get16(b, off + 2); }

void put_mac(Bytes& b, size_t off, const Mac& m) {
    for (size_t i = 0; i < 6; ++i) b.at(off + i) = m[i];
}

Mac get_mac(const Bytes& b, size_t off) {
    Mac m{};
    for (size_t i = 0; i < 6; ++i) m[i] = b.at(off + i);
    return m;
}

Bytes pattern(size_t n, uint8_t seed) {
    Bytes b(n);
    for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + i);
    return b;
}

Bytes concat(const Bytes& a, const Bytes& b) {
    Bytes r = a;
    r.insert(r.end(), b.begin(), b.end());
    return r;
}

std::string hex(const Bytes& b) {
    std::string s;
    char buf[40];
    for (size_t i = 0; i < b.size(); ++i) {
        if (i % 16 == 0) {
            std::snprintf(buf, sizeof buf, "%s%04zx ", i ? "\n" : "", i);
            s += buf;
        }
        std::snprintf(buf, sizeof buf, " %02x", b[i]);
        s += buf;
    }
    return s;
}

std::optional<IcmpView> icmp_view(const Bytes& f) {
    if (f.size() < kEthHdrLen + 20 || get16(f, 12) != kEtherIpv4 || f[kEthHdrLen] >> 4 != 4) return std::nullopt;
    const size_t ihl = (f[kEthHdrLen] & 0x0f) * 4u;
    if (f[kEthHdrLen + 9] != kProtoIcmp || f.size() < kEthHdrLen + ihl + 8) return std::nullopt;
    const size_t icmp = kEthHdrLen + ihl;
    const size_t end = std::min<size_t>(f.size(), kEthHdrLen + get16(f, kEthHdrLen + 2));
    IcmpView v{get32(f, kEthHdrLen + 12), get32(f, kEthHdrLen + 16), f[icmp], f[icmp + 1], get32(f, icmp + 4), {}};
    if (end > icmp + 8) v.body.assign(f.begin() + static_cast<std::ptrdiff_t>(icmp + 8), f.begin() + static_cast<std::ptrdiff_t>(end));
    return v;
}

::testing::AssertionResult same_bytes(const Bytes& actual, const Bytes& expected) {
    if (actual == expected) return ::testing::AssertionSuccess();
    auto r = ::testing::AssertionFailure();
    r << "frames differ: actual " << actual.size() << " bytes, expected " << expected.size() << " bytes";
    const size_t n = std::min(actual.size(), expected.size());
    for (size_t i = 0; i < n; ++i)
        if (actual[i] != expected[i]) {
            char buf[128];
            std::snprintf(buf, sizeof buf, "; first difference at offset %zu: 0x%02x, expected 0x%02x", i, actual[i],
                          expected[i]);
            r << buf;
            break;
        }
    r << "\nactual:\n" << hex(actual) << "\nexpected:\n" << hex(expected);
    return r;
}

// ---------------------------------------------------------------------------------------------

uint16_t ones_sum(const uint8_t* data, size_t len, uint32_t acc) {
    uint64_t sum = acc;
    size_t i = 0;
    for (; i + 1 < len; i += 2) sum += uint32_t{data[i]} << 8 | data[i + 1];
    if (i < len) sum += uint32_t{data[i]} << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(sum);
}

uint16_t internet_checksum(const uint8_t* data, size_t len, uint32_t acc) {
    return static_cast<uint16_t>(~ones_sum(data, len, acc));
}

bool ipv4_header_checksum_ok(const Bytes& b, size_t off) {
    if (b.size() < off + 20) return false;
    const size_t ihl = (b[off] & 0x0f) * 4u;
    if (ihl < 20 || b.size() < off + ihl) return false;
    return ones_sum(b.data() + off, ihl) == 0xffff;
}

// ---------------------------------------------------------------------------------------------

Bytes ipv4_datagram(const Ipv4Fields& f, const Bytes& payload) {
    if (f.ihl < 0 && f.options.size() % 4 != 0) throw std::invalid_argument("IPv4 options must fill 32-bit words");
    const size_t hlen = 20 + f.options.size();
    Bytes b(hlen + payload.size());
    const int ihl = f.ihl >= 0 ? f.ihl : static_cast<int>(hlen / 4);
    b[0] = static_cast<uint8_t>(f.version << 4 | (ihl & 0x0f));
    b[1] = f.tos;
    put16(b, 2, static_cast<uint16_t>(f.total_length >= 0 ? f.total_length : static_cast<int>(b.size())));
    put16(b, 4, f.id);
    put16(b, 6, f.frag);
    b[8] = f.ttl;
    b[9] = f.protocol;
    put16(b, 10, 0);
    put32(b, 12, f.src);
    put32(b, 16, f.dst);
    std::copy(f.options.begin(), f.options.end(), b.begin() + 20);
    put16(b, 10, f.checksum >= 0 ? static_cast<uint16_t>(f.checksum) : internet_checksum(b.data(), hlen));
    std::copy(payload.begin(), payload.end(), b.begin() + static_cast<std::ptrdiff_t>(hlen));
    return b;
}

Bytes icmp_message(uint8_t type, uint8_t code, uint32_t rest, const Bytes& body) {
    Bytes b(8 + body.size());
    b[0] = type;
    b[1] = code;
    put32(b, 4, rest);
    std::copy(body.begin(), body.end(), b.begin() + 8);
    put16(b, 2, internet_checksum(b));
    return b;
}

Bytes icmp_echo(uint8_t type, uint16_t ident, uint16_t seq, const Bytes& data) {
    return icmp_message(type, 0, uint32_t{ident} << 16 | seq, data);
}

namespace {
// Sum of the TCP/UDP pseudo header.
uint32_t pseudo_header_sum(uint32_t src, uint32_t dst, uint8_t proto, size_t len) {
    Bytes p(12);
    put32(p, 0, src);
    put32(p, 4, dst);
    p[8] = 0;
    p[9] = proto;
    put16(p, 10, static_cast<uint16_t>(len));
    return ones_sum(p.data(), p.size());
}
}  // namespace

Bytes udp_segment(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, const Bytes& payload) {
    Bytes b(8 + payload.size());
    put16(b, 0, sport);
    put16(b, 2, dport);
    put16(b, 4, static_cast<uint16_t>(b.size()));
    std::copy(payload.begin(), payload.end(), b.begin() + 8);
    uint16_t c = internet_checksum(b.data(), b.size(), pseudo_header_sum(src, dst, kProtoUdp, b.size()));
    put16(b, 6, c == 0 ? 0xffff : c);  // RFC 768: a computed zero is sent as all ones
    return b;
}

Bytes tcp_segment(uint32_t src, uint32_t dst, const TcpFields& t, const Bytes& payload) {
    Bytes b(20 + payload.size());
    put16(b, 0, t.sport);
    put16(b, 2, t.dport);
    put32(b, 4, t.seq);
    put32(b, 8, t.ack);
    b[12] = 5 << 4;
    b[13] = t.flags;
    put16(b, 14, t.window);
    std::copy(payload.begin(), payload.end(), b.begin() + 20);
    put16(b, 16, internet_checksum(b.data(), b.size(), pseudo_header_sum(src, dst, kProtoTcp, b.size())));
    return b;
}

Bytes ethernet_frame(const Mac& dst, const Mac& src, uint16_t ether_type, const Bytes& payload, size_t min_len) {
    Bytes b(kEthHdrLen + payload.size());
    put_mac(b, 0, dst);
    put_mac(b, 6, src);
    put16(b, 12, ether_type);
    std::copy(payload.begin(), payload.end(), b.begin() + kEthHdrLen);
    if (b.size() < min_len) b.resize(min_len, 0);
    return b;
}

Bytes ipv4_frame(const Mac& dst, const Mac& src, const Ipv4Fields& ip, const Bytes& l4, size_t min_len) {
    return ethernet_frame(dst, src, kEtherIpv4, ipv4_datagram(ip, l4), min_len);
}

Bytes arp_body(uint16_t op, const Mac& sha, uint32_t spa, const Mac& tha, uint32_t tpa) {
    Bytes b(28);
    put16(b, 0, 1);       // Ethernet
    put16(b, 2, 0x0800);  // IPv4
    b[4] = 6;
    b[5] = 4;
    put16(b, 6, op);
    put_mac(b, 8, sha);
    put32(b, 14, spa);
    put_mac(b, 18, tha);
    put32(b, 24, tpa);
    return b;
}

Bytes arp_frame(const Mac& eth_dst, const Mac& eth_src, uint16_t op, const Mac& sha, uint32_t spa, const Mac& tha,
                uint32_t tpa) {
    return ethernet_frame(eth_dst, eth_src, kEtherArp, arp_body(op, sha, spa, tha, tpa), kEthMinFrame);
}

// ---------------------------------------------------------------------------------------------

rte_mbuf* make_mbuf(rte_mempool* pool, const Bytes& bytes, size_t seg_size) {
    rte_mbuf* head = nullptr;
    size_t off = 0;
    do {
        rte_mbuf* seg = rte_pktmbuf_alloc(pool);
        if (seg == nullptr) {
            rte_pktmbuf_free(head);
            return nullptr;
        }
        const size_t room = rte_pktmbuf_tailroom(seg);
        if (seg_size == 0 && bytes.size() > room) {
            rte_pktmbuf_free(seg);
            throw std::invalid_argument("frame does not fit one mbuf; give a segment size");
        }
        const size_t n = std::min({seg_size == 0 ? room : seg_size, room, bytes.size() - off});
        char* dst = rte_pktmbuf_append(seg, static_cast<uint16_t>(n));
        if (n != 0) std::memcpy(dst, bytes.data() + off, n);
        if (head == nullptr) {
            head = seg;
        } else if (rte_pktmbuf_chain(head, seg) != 0) {
            rte_pktmbuf_free(seg);
            rte_pktmbuf_free(head);
            return nullptr;
        }
        off += n;
    } while (off < bytes.size());
    return head;
}

Bytes mbuf_bytes(const rte_mbuf* m) {
    Bytes b;
    b.reserve(rte_pktmbuf_pkt_len(m));
    for (const rte_mbuf* s = m; s != nullptr; s = s->next) {
        const auto* p = rte_pktmbuf_mtod(s, const uint8_t*);
        b.insert(b.end(), p, p + rte_pktmbuf_data_len(s));
    }
    return b;
}

// ---------------------------------------------------------------------------------------------

namespace {

std::atomic<unsigned> g_seq{0};

std::string unique_name(const char* kind) { return std::string("ut") + kind + std::to_string(g_seq.fetch_add(1)); }

rte_ring* make_ring(const std::string& name, unsigned size, unsigned esize) {
    return make_spsc_ring(name, size, esize, SOCKET_ID_ANY);
}

}  // namespace

RouterHarness::RouterHarness(const Config& cfg, const HarnessOptions& opt) : cfg_(cfg), opt_(opt) {
    try {
        build();
    } catch (...) {
        shutdown();
        rte_mempool_free(indirect_pool_);
        rte_mempool_free(pool_);
        throw;
    }
}

void RouterHarness::build() {
    const std::string pool_name = unique_name("pool");
    pool_ = rte_pktmbuf_pool_create(pool_name.c_str(), opt_.pool_size, 0, 0, opt_.data_room, SOCKET_ID_ANY);
    if (pool_ == nullptr) throw std::runtime_error("cannot create mempool: " + std::string(rte_strerror(rte_errno)));
    pool_start_avail_ = rte_mempool_avail_count(pool_);
    const std::string ipool_name = unique_name("ipool");
    indirect_pool_ = rte_pktmbuf_pool_create(ipool_name.c_str(), opt_.pool_size, 0, 0, 0, SOCKET_ID_ANY);
    if (indirect_pool_ == nullptr)
        throw std::runtime_error("cannot create indirect mempool: " + std::string(rte_strerror(rte_errno)));
    indirect_start_avail_ = rte_mempool_avail_count(indirect_pool_);

    std::vector<rte_ether_addr> macs;
    for (size_t i = 0; i < cfg_.interfaces.size(); ++i) {
        port_of_.push_back(static_cast<uint16_t>(i));
        Mac m{};
        std::copy(cfg_.interfaces[i].mac.bytes.begin(), cfg_.interfaces[i].mac.bytes.end(), m.begin());
        macs.push_back(to_ether(m));
    }
    if (!opt_.tx_multi_seg.empty() && opt_.tx_multi_seg.size() != cfg_.interfaces.size())
        throw std::invalid_argument("tx_multi_seg needs one flag per interface");
    if (opt_.live_fib) {
        qsbr_ = static_cast<rte_rcu_qsbr*>(rte_zmalloc("h_qsbr", rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE));
        rte_rcu_qsbr_init(qsbr_, 1);
        live_fib_ = std::make_unique<LiveFib>(
            cfg_, LivePorts{port_of_.data(), macs.data(), opt_.tx_multi_seg.empty() ? nullptr : opt_.tx_multi_seg.data()},
            qsbr_, published_, live_fib_limits(cfg_));
        if (const std::string err = live_fib_->replace_origin(RouteOrigin::config, config_routes(cfg_)); !err.empty())
            throw std::runtime_error(err);
        live_fib_->commit();
        live_fib_->settle();
        tables_ = live_fib_->tables();
    } else {
        tables_ = build_tables(cfg_, port_of_.data(), macs.data(), 1000000 + g_seq.fetch_add(1),
                               opt_.tx_multi_seg.empty() ? nullptr : opt_.tx_multi_seg.data());
    }

    counters_ = new WorkerCounters();
    control_counters_ = new WorkerCounters();
    ctx_ = new WorkerContext();
    ctx_->counters = counters_;
    ctx_->pool = pool_;
    ctx_->indirect_pool = indirect_pool_;
    ctx_->n_workers = 1;
    ctx_->tsc_hz = kTscHz;
    ctx_->fake_tsc = kTscHz;  // one second in; the rate limiter's clock stands still unless a test moves it
    ctx_->hold_ring = make_ring(unique_name("hold"), opt_.ring_size, sizeof(void*));
    ctx_->learn_ring = make_ring(unique_name("learn"), opt_.ring_size, sizeof(LearnMessage));
    ctx_->learn6_ring = make_ring(unique_name("learn6"), opt_.ring_size, sizeof(LearnMessage6));
    ctx_->inject_ring = make_ring(unique_name("inj"), opt_.ring_size, sizeof(void*));

    const std::string hash_name = unique_name("nb");
    neighbors_ = std::make_unique<NeighborTable>(hash_name.c_str(), opt_.neighbor_capacity, nullptr);
    ctx_->neighbors = neighbors_.get();
    neighbors6_ = std::make_unique<NeighborTable6>(unique_name("nb6").c_str(), opt_.neighbor_capacity, nullptr);
    ctx_->neighbors6 = neighbors6_.get();
    resolver_ = std::make_unique<ArpResolver>(*neighbors_, pool_);
    resolver_->count_into(control_counters_);

    for (const auto& n : cfg_.neighbors)
        for (size_t i = 0; i < cfg_.interfaces.size(); ++i)
            if (cfg_.interfaces[i].name == n.interface) {
                Mac m{};
                std::copy(n.mac.bytes.begin(), n.mac.bytes.end(), m.begin());
                statics_.push_back({to_be(n.address), port_of_[i], to_ether(m)});
            }
    std::vector<rte_mbuf*> released;  // nothing is held yet
    resolver_->attach(tables_, statics_, 0, released);

    nd_resolver_ = std::make_unique<Nd6Resolver>(*neighbors6_, pool_);
    nd_resolver_->count_into(control_counters_);
    for (const auto& n : cfg_.neighbors6)
        for (size_t i = 0; i < cfg_.interfaces.size(); ++i)
            if (cfg_.interfaces[i].name == n.interface) {
                Mac m{};
                std::copy(n.mac.bytes.begin(), n.mac.bytes.end(), m.begin());
                statics6_.push_back({n.address.bytes, port_of_[i], to_ether(m)});
            }
    nd_resolver_->attach(tables_, statics6_, 0, released);
}

RouterHarness::~RouterHarness() {
    shutdown();
    rte_mempool_free(indirect_pool_);
    rte_mempool_free(pool_);
}

unsigned RouterHarness::shutdown() {
    if (shut_) return mbufs_in_use();
    shut_ = true;
    if (ctx_ != nullptr) {
        take_emitted();
        free_ring_mbufs(ctx_->hold_ring);
        free_ring_mbufs(ctx_->inject_ring);
    }
    resolver_.reset();  // frees the packets it holds
    nd_resolver_.reset();
    if (ctx_ != nullptr) {
        rte_ring_free(ctx_->hold_ring);
        rte_ring_free(ctx_->learn_ring);
        rte_ring_free(ctx_->learn6_ring);
        rte_ring_free(ctx_->inject_ring);
    }
    neighbors_.reset();
    neighbors6_.reset();
    if (live_fib_) {
        live_fib_.reset();  // its copies, tables_ among them
        rte_free(qsbr_);
        qsbr_ = nullptr;
    } else {
        free_tables(tables_);
    }
    tables_ = nullptr;
    delete ctx_;
    ctx_ = nullptr;
    delete counters_;
    counters_ = nullptr;
    delete control_counters_;
    control_counters_ = nullptr;
    return mbufs_in_use();
}

unsigned RouterHarness::mbufs_in_use() const {
    unsigned n = 0;
    if (pool_ != nullptr) n += pool_start_avail_ - rte_mempool_avail_count(pool_);
    if (indirect_pool_ != nullptr) n += indirect_start_avail_ - rte_mempool_avail_count(indirect_pool_);
    return n;
}

void RouterHarness::advance_tsc_ms(uint64_t ms) { ctx_->fake_tsc += ms * (kTscHz / 1000); }

void RouterHarness::receive(uint16_t port, const Bytes& frame, size_t seg_size) {
    if (seg_size == 0) {
        receive_burst(port, {frame});
        return;
    }
    rte_mbuf* m = make_mbuf(pool_, frame, seg_size);
    if (m == nullptr) throw std::runtime_error("mempool exhausted");
    receive_mbufs(port, &m, 1);
}

void RouterHarness::receive_burst(uint16_t port, const std::vector<Bytes>& frames) {
    std::vector<rte_mbuf*> pkts;
    for (const Bytes& f : frames) {
        rte_mbuf* m = make_mbuf(pool_, f);
        if (m == nullptr) throw std::runtime_error("mempool exhausted");
        pkts.push_back(m);
    }
    for (size_t i = 0; i < pkts.size(); i += kRxBurst)
        receive_mbufs(port, pkts.data() + i, static_cast<uint16_t>(std::min<size_t>(kRxBurst, pkts.size() - i)));
}

void RouterHarness::receive_mbufs(uint16_t port, rte_mbuf** pkts, uint16_t n) {
    for (uint16_t i = 0; i < n; ++i) pkts[i]->port = port;
    pipeline_run(*ctx_, *tables_, pkts, n, port);
}

void RouterHarness::transmit() const {
    if (ctx_ == nullptr) return;
    for (uint16_t p = 0; p < kMaxPorts; ++p) {
        const uint16_t n = ctx_->out.count[p];
        if (n == transmitted_[p]) continue;
        tx_account(*ctx_, p, transmitted_[p], n, n);
        transmitted_[p] = n;
    }
}

void RouterHarness::transmit_refusing(uint16_t port, uint16_t accepted) {
    const uint16_t first = transmitted_[port];
    const uint16_t n = ctx_->out.count[port];
    const uint16_t accepted_end = static_cast<uint16_t>(std::min<unsigned>(first + accepted, n));
    tx_account(*ctx_, port, first, accepted_end, n);
    ctx_->out.count[port] = accepted_end;
    transmitted_[port] = accepted_end;
}

std::vector<Emitted> RouterHarness::take_emitted() {
    transmit();
    std::vector<Emitted> v;
    for (uint16_t p = 0; p < kMaxPorts; ++p) {
        transmitted_[p] = 0;
        for (uint16_t i = 0; i < ctx_->out.count[p]; ++i) {
            rte_mbuf* m = ctx_->out.pkts[p][i];
            v.push_back({p, m->port, m->nb_segs, mbuf_bytes(m)});
            rte_pktmbuf_free(m);
        }
        ctx_->out.count[p] = 0;
    }
    return v;
}

std::vector<rte_mbuf*> RouterHarness::take_held_mbufs() {
    std::vector<rte_mbuf*> v;
    void* m;
    while (rte_ring_sc_dequeue(ctx_->hold_ring, &m) == 0) v.push_back(static_cast<rte_mbuf*>(m));
    return v;
}

std::vector<Held> RouterHarness::take_held() {
    std::vector<Held> v;
    for (rte_mbuf* m : take_held_mbufs()) {
        v.push_back({held_next_hop(m), m->port, mbuf_bytes(m), held_counts(m)});
        rte_pktmbuf_free(m);
    }
    return v;
}

std::vector<LearnMessage> RouterHarness::take_learned() {
    std::vector<LearnMessage> v;
    LearnMessage msg;
    while (rte_ring_sc_dequeue_elem(ctx_->learn_ring, &msg, sizeof msg) == 0) v.push_back(msg);
    return v;
}

size_t RouterHarness::held_in_ring() const { return rte_ring_count(ctx_->hold_ring); }
size_t RouterHarness::learned_in_ring() const { return rte_ring_count(ctx_->learn_ring); }

std::vector<Emitted> RouterHarness::run_resolver_output(std::vector<rte_mbuf*>& out) {
    // As the router does: the control thread enqueues, the worker moves them to its TX batch.
    inject(out);
    return take_emitted();
}

std::vector<Emitted> RouterHarness::control(uint64_t now_ms) {
    std::vector<rte_mbuf*> out;
    for (const LearnMessage& msg : take_learned()) resolver_->on_learn(msg, now_ms, out);
    for (const LearnMessage6& msg : take_learned6()) nd_resolver_->on_learn(msg, now_ms, out);
    for (rte_mbuf* m : take_held_mbufs()) {
        if (held_is_ipv6(m))
            nd_resolver_->on_held(m, now_ms, out);
        else
            resolver_->on_held(m, now_ms, out);
    }
    resolver_->on_timer(now_ms, out);
    nd_resolver_->on_timer(now_ms, out);
    return run_resolver_output(out);
}

std::vector<Emitted> RouterHarness::timer(uint64_t now_ms) {
    std::vector<rte_mbuf*> out;
    resolver_->on_timer(now_ms, out);
    nd_resolver_->on_timer(now_ms, out);
    return run_resolver_output(out);
}

void RouterHarness::set_static_neighbors(const std::vector<ArpResolver::Static>& statics, uint64_t now_ms) {
    statics_ = statics;
    std::vector<rte_mbuf*> released;
    resolver_->attach(tables_, statics_, now_ms, released);
    inject(released);
}

void RouterHarness::inject(std::vector<rte_mbuf*>& frames) {
    // Released frames go through the inject ring into ctx.out, where take_emitted() finds them.
    const unsigned n = rte_ring_sp_enqueue_burst(ctx_->inject_ring, reinterpret_cast<void**>(frames.data()),
                                                 static_cast<unsigned>(frames.size()), nullptr);
    if (n != frames.size()) throw std::runtime_error("inject ring full");
    frames.clear();
    while (rte_ring_count(ctx_->inject_ring) != 0) pipeline_take_injected(*ctx_, *tables_);
}

void RouterHarness::add_static_neighbor(uint32_t addr_host, uint16_t port, const Mac& mac, uint64_t now_ms) {
    std::vector<ArpResolver::Static> s = statics_;
    s.push_back({to_be(addr_host), port, to_ether(mac)});
    set_static_neighbors(s, now_ms);
}

bool RouterHarness::add_static_live(uint32_t addr_host, uint16_t port, const Mac& mac, uint64_t now_ms) {
    std::vector<rte_mbuf*> released;
    const bool ok = resolver_->add_static({to_be(addr_host), port, to_ether(mac)}, now_ms, released);
    inject(released);
    return ok;
}

// --- IPv6 Neighbor Discovery (v6-nd)

std::vector<LearnMessage6> RouterHarness::take_learned6() {
    std::vector<LearnMessage6> v;
    LearnMessage6 msg;
    while (rte_ring_sc_dequeue_elem(ctx_->learn6_ring, &msg, sizeof msg) == 0) v.push_back(msg);
    return v;
}

size_t RouterHarness::learned6_in_ring() const { return rte_ring_count(ctx_->learn6_ring); }

void RouterHarness::set_static_neighbors6(const std::vector<Nd6Resolver::Static>& statics, uint64_t now_ms) {
    statics6_ = statics;
    std::vector<rte_mbuf*> released;
    nd_resolver_->attach(tables_, statics6_, now_ms, released);
    inject(released);
}

std::optional<PackedNeighbor> RouterHarness::neighbor6(const std::array<uint8_t, 16>& addr, uint16_t port) const {
    PackedNeighbor p;
    if (!neighbors6_->lookup(addr.data(), port, &p)) return std::nullopt;
    return p;
}

std::optional<Neighbor6Info> RouterHarness::nd_entry(const std::array<uint8_t, 16>& addr, uint16_t port) const {
    for (const Neighbor6Info& n : nd_resolver_->snapshot())
        if (n.addr == addr && n.port == port) return n;
    return std::nullopt;
}

uint64_t RouterHarness::total_dropped() const {
    transmit();
    uint64_t n = 0;
    for (uint64_t d : counters_->drops) n += d;
    return n;
}

std::string RouterHarness::drops_summary() const {
    transmit();
    std::ostringstream s;
    for (size_t i = 0; i < counters_->drops.size(); ++i)
        if (counters_->drops[i] != 0) s << (s.tellp() > 0 ? " " : "") << kDropNames[i] << "=" << counters_->drops[i];
    return s.str().empty() ? "(no drops)" : s.str();
}

std::optional<PackedNeighbor> RouterHarness::neighbor(uint32_t addr_host, uint16_t port) const {
    PackedNeighbor p;
    if (!neighbors_->lookup(to_be(addr_host), port, &p)) return std::nullopt;
    return p;
}

const NextHop* RouterHarness::route(uint32_t dst_host) const {
    return route_lookup(*tables_, dst_host);
}

std::optional<NeighborInfo> RouterHarness::resolver_entry(uint32_t addr_host, uint16_t port) const {
    for (const NeighborInfo& n : resolver_->snapshot())
        if (n.addr_be == to_be(addr_host) && n.port == port) return n;
    return std::nullopt;
}

// ---------------------------------------------------------------------------------------------

void RouterTest::SetUp() { harness_ = std::make_unique<RouterHarness>(make_config()); }

void RouterTest::TearDown() { finish(); }

void RouterTest::rebuild(const Config& cfg, const HarnessOptions& opt) {
    finish();
    harness_ = std::make_unique<RouterHarness>(cfg, opt);
}

void RouterTest::finish() {
    if (!harness_) return;
    const unsigned leaked = harness_->shutdown();
    EXPECT_EQ(leaked, 0u) << "mbufs neither sent, queued nor freed (leaked by the code under test)";
    harness_.reset();
}

void RouterTest::add_lab_neighbors() {
    h().set_static_neighbors({{to_be(lab::kH1Addr), lab::kLanPort, to_ether(lab::kH1Mac)},
                              {to_be(lab::kH2Addr), lab::kWanPort, to_ether(lab::kH2Mac)},
                              {to_be(lab::kGatewayAddr), lab::kWanPort, to_ether(lab::kGatewayMac)}});
}

// ---------------------------------------------------------------------------------------------
// IPv6

Addr6 ip6(const char* text) {
    const auto a = parse_ipv6(text);
    if (!a) throw std::invalid_argument(std::string("not an IPv6 address: ") + text);
    return a->bytes;
}

Mac multicast_mac6(const Addr6& g) { return {0x33, 0x33, g[12], g[13], g[14], g[15]}; }

Addr6 solicited_node6(const Addr6& a) {
    Addr6 g = ip6("ff02::1:ff00:0");
    g[13] = a[13];
    g[14] = a[14];
    g[15] = a[15];
    return g;
}

Bytes ipv6_packet(const Ipv6Fields& f, const Bytes& payload) {
    Bytes b(40 + payload.size());
    put32(b, 0, 6u << 28 | uint32_t{f.tclass} << 20 | (f.flow & 0xfffff));
    put16(b, 4, static_cast<uint16_t>(f.payload_length >= 0 ? f.payload_length : static_cast<int>(payload.size())));
    b[6] = f.next_header;
    b[7] = f.hop_limit;
    std::copy(f.src.begin(), f.src.end(), b.begin() + 8);
    std::copy(f.dst.begin(), f.dst.end(), b.begin() + 24);
    std::copy(payload.begin(), payload.end(), b.begin() + 40);
    return b;
}

Bytes ipv6_frame(const Mac& dst, const Mac& src, const Ipv6Fields& ip, const Bytes& payload, size_t min_len) {
    return ethernet_frame(dst, src, kEtherIpv6, ipv6_packet(ip, payload), min_len);
}

uint32_t pseudo_header_sum6(const Addr6& src, const Addr6& dst, uint8_t next_header, size_t len) {
    Bytes p(40);
    std::copy(src.begin(), src.end(), p.begin());
    std::copy(dst.begin(), dst.end(), p.begin() + 16);
    put32(p, 32, static_cast<uint32_t>(len));
    p[39] = next_header;
    return ones_sum(p.data(), p.size());
}

Bytes icmp6_message(const Addr6& src, const Addr6& dst, uint8_t type, uint8_t code, uint32_t rest, const Bytes& body) {
    Bytes b(8 + body.size());
    b[0] = type;
    b[1] = code;
    put32(b, 4, rest);
    std::copy(body.begin(), body.end(), b.begin() + 8);
    put16(b, 2, internet_checksum(b.data(), b.size(), pseudo_header_sum6(src, dst, kNh6Icmp, b.size())));
    return b;
}

Bytes icmp6_echo(const Addr6& src, const Addr6& dst, uint8_t type, uint16_t ident, uint16_t seq, const Bytes& data) {
    return icmp6_message(src, dst, type, 0, uint32_t{ident} << 16 | seq, data);
}

Bytes udp6_segment(const Addr6& src, const Addr6& dst, uint16_t sport, uint16_t dport, const Bytes& payload) {
    Bytes b(8 + payload.size());
    put16(b, 0, sport);
    put16(b, 2, dport);
    put16(b, 4, static_cast<uint16_t>(b.size()));
    std::copy(payload.begin(), payload.end(), b.begin() + 8);
    const uint16_t c = internet_checksum(b.data(), b.size(), pseudo_header_sum6(src, dst, kProtoUdp, b.size()));
    put16(b, 6, c == 0 ? 0xffff : c);  // RFC 8200 8.1 / RFC 768: a computed zero goes as all ones
    return b;
}

Bytes tcp6_segment(const Addr6& src, const Addr6& dst, const TcpFields& t, const Bytes& payload, const Bytes& options) {
    if (options.size() % 4 != 0) throw std::invalid_argument("TCP options must fill 32-bit words");
    const size_t hlen = 20 + options.size();
    Bytes b(hlen + payload.size());
    put16(b, 0, t.sport);
    put16(b, 2, t.dport);
    put32(b, 4, t.seq);
    put32(b, 8, t.ack);
    b[12] = static_cast<uint8_t>(hlen / 4 << 4);
    b[13] = t.flags;
    put16(b, 14, t.window);
    std::copy(options.begin(), options.end(), b.begin() + 20);
    std::copy(payload.begin(), payload.end(), b.begin() + static_cast<std::ptrdiff_t>(hlen));
    put16(b, 16, internet_checksum(b.data(), b.size(), pseudo_header_sum6(src, dst, kProtoTcp, b.size())));
    return b;
}

Bytes ext_header(uint8_t next_header, const Bytes& body) {
    if ((2 + body.size()) % 8 != 0) throw std::invalid_argument("extension headers are multiples of 8 bytes");
    Bytes b(2 + body.size());
    b[0] = next_header;
    b[1] = static_cast<uint8_t>(b.size() / 8 - 1);
    std::copy(body.begin(), body.end(), b.begin() + 2);
    return b;
}

namespace {
Addr6 addr6_at(const Bytes& b, size_t off) {
    Addr6 a{};
    for (size_t i = 0; i < 16; ++i) a[i] = b.at(off + i);
    return a;
}
}  // namespace

bool l4_checksum_ok6(const Bytes& f) {
    if (f.size() < kEthHdrLen + 40 || get16(f, 12) != kEtherIpv6) return false;
    const size_t len = get16(f, kEthHdrLen + 4);
    if (f.size() < kEthHdrLen + 40 + len) return false;
    const uint32_t acc = pseudo_header_sum6(addr6_at(f, kEthHdrLen + 8), addr6_at(f, kEthHdrLen + 24), f[kEthHdrLen + 6], len);
    return ones_sum(f.data() + kEthHdrLen + 40, len, acc) == 0xffff;
}

std::optional<Icmp6View> icmp6_view(const Bytes& f) {
    if (f.size() < kEthHdrLen + 48 || get16(f, 12) != kEtherIpv6 || f[kEthHdrLen] >> 4 != 6) return std::nullopt;
    if (f[kEthHdrLen + 6] != kNh6Icmp) return std::nullopt;
    const size_t ip = kEthHdrLen;
    const size_t icmp = ip + 40;
    const size_t end = std::min<size_t>(f.size(), icmp + get16(f, ip + 4));
    Icmp6View v{addr6_at(f, ip + 8), addr6_at(f, ip + 24), static_cast<uint8_t>(get16(f, ip) >> 4 & 0xff), f[ip + 7],
                f[icmp], f[icmp + 1], get32(f, icmp + 4), {}, l4_checksum_ok6(f)};
    if (end > icmp + 8) v.body.assign(f.begin() + static_cast<std::ptrdiff_t>(icmp + 8), f.begin() + static_cast<std::ptrdiff_t>(end));
    return v;
}

Config lab6_config() {
    Config cfg = lab_config();
    interface_named(cfg, "lan").addresses6.push_back({*parse_prefix6("2001:db8:1::1/64"), {}});
    interface_named(cfg, "wan").addresses6.push_back({*parse_prefix6("2001:db8:2::1/64"), {}});
    const auto route = [&](const char* prefix, RouteAction action, const char* via, const char* ifname) {
        Route6Config r;
        r.prefix = *parse_prefix6(prefix);
        r.action = action;
        if (via != nullptr) {
            r.has_via = true;
            r.via = *parse_ipv6(via);
        }
        if (ifname != nullptr) r.interface = ifname;
        cfg.routes6.push_back(r);
    };
    route("2001:db8:99::/48", RouteAction::forward, "2001:db8:2::fe", nullptr);
    route("2001:db8:98::/48", RouteAction::forward, "fe80::fe", "wan");
    route("2001:db8:66::/48", RouteAction::unreachable, nullptr, nullptr);
    route("2001:db8:67::/48", RouteAction::blackhole, nullptr, nullptr);
    route("2001:db8:68::/48", RouteAction::prohibit, nullptr, nullptr);
    return cfg;
}

void set_neighbor6(RouterHarness& h, const Addr6& addr, uint16_t port, const Mac& mac) {
    if (!h.neighbors6().set(addr.data(), port, PackedNeighbor::make(to_ether(mac), NeighborState::reachable)))
        throw std::runtime_error("neighbour table full");
}

void set_gateway6_l2(RouterHarness& h, const Addr6& dst, const Mac& mac) {
    const NextHop6* nh = route6_lookup(h.tables(), dst.data());
    if (nh == nullptr || !nh->has_gateway()) throw std::invalid_argument("no gateway route to that destination");
    // The control thread's one writer role, played by the test.
    const_cast<NextHop6*>(nh)->l2.store(PackedNeighbor::make(to_ether(mac), NeighborState::reachable).word);
}

}  // namespace dprtest
