// Test helpers: craft frames byte by byte, move them in and out of mbufs, and run the real pipeline
// and ARP resolver on a router built in code.
//
// Everything that computes a checksum here does so with its own plain RFC 1071 loop, never with
// DPDK's or the router's helpers, so an expected frame built with these functions is an independent
// statement of what must come out of the code under test.
//
//   Frame builders     ethernet_frame, ipv4_datagram, ipv4_frame, icmp_echo, icmp_message,
//                      udp_segment, tcp_segment, arp_frame (all return Bytes)
//   Checksums          ones_sum, internet_checksum, ipv4_header_checksum_ok
//   Byte access        put16/put32/get16/get32 (big-endian), same_bytes (gtest assertion with a diff)
//   mbufs              make_mbuf (optionally chained in segments), mbuf_bytes (follows the chain)
//   A whole router     lab_config() and RouterHarness (tables, rings, neighbour table, resolver)
//   Fixture            RouterTest: a fresh RouterHarness per test, leak check on the mempool at the end
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "dprouter/arp_resolver.hpp"
#include "dprouter/config.hpp"
#include "dprouter/counters.hpp"
#include "dprouter/limits.hpp"
#include "dprouter/live_fib.hpp"
#include "dprouter/nd_resolver.hpp"
#include "dprouter/neighbor_table.hpp"
#include "dprouter/pipeline.hpp"
#include "dprouter/tables.hpp"

namespace dprtest {

using Bytes = std::vector<uint8_t>;
using Mac = std::array<uint8_t, 6>;

// ---------------------------------------------------------------------------------------------
// Addresses and constants

// A host-order IPv4 address from its four octets.
constexpr uint32_t ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    return uint32_t{a} << 24 | uint32_t{b} << 16 | uint32_t{c} << 8 | uint32_t{d};
}
// The same address as it sits in a packet (and in rte_mbuf::hash.usr, NextHop::gateway_be, ...).
uint32_t to_be(uint32_t host);

rte_ether_addr to_ether(const Mac& m);
Mac from_ether(const rte_ether_addr& e);
dprouter::MacAddr to_mac_addr(const Mac& m);

inline constexpr Mac kBroadcastMac{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
inline constexpr Mac kZeroMac{0, 0, 0, 0, 0, 0};

inline constexpr uint16_t kEtherIpv4 = 0x0800;
inline constexpr uint16_t kEtherArp = 0x0806;
inline constexpr uint16_t kEtherIpv6 = 0x86dd;
inline constexpr uint8_t kProtoIcmp = 1;
inline constexpr uint8_t kProtoTcp = 6;
inline constexpr uint8_t kProtoUdp = 17;
inline constexpr uint16_t kIpDf = 0x4000;  // flags word of the fragment field
inline constexpr uint16_t kIpMf = 0x2000;
inline constexpr uint8_t kIcmpEchoReply = 0;
inline constexpr uint8_t kIcmpEchoRequest = 8;
inline constexpr uint16_t kArpRequest = 1;
inline constexpr uint16_t kArpReply = 2;
inline constexpr size_t kEthHdrLen = 14;
inline constexpr size_t kEthMinFrame = 60;  // minimum Ethernet frame without FCS

// The lab topology (config/lab.yaml) plus the hosts the tests talk to.
namespace lab {
inline constexpr uint16_t kLanPort = 0;
inline constexpr uint16_t kWanPort = 1;
inline constexpr Mac kLanMac{0x02, 0x00, 0x00, 0x00, 0x01, 0x01};
inline constexpr Mac kWanMac{0x02, 0x00, 0x00, 0x00, 0x02, 0x01};
inline constexpr uint32_t kLanAddr = ipv4(10, 1, 0, 1);  // router, /24
inline constexpr uint32_t kWanAddr = ipv4(10, 2, 0, 1);  // router, /24
// Hosts: H1 on the lan, H2 and the gateway to 10.99.0.0/16 on the wan.
inline constexpr uint32_t kH1Addr = ipv4(10, 1, 0, 2);
inline constexpr Mac kH1Mac{0x02, 0x00, 0x00, 0x00, 0x01, 0x02};
inline constexpr uint32_t kH2Addr = ipv4(10, 2, 0, 2);
inline constexpr Mac kH2Mac{0x02, 0x00, 0x00, 0x00, 0x02, 0x02};
inline constexpr uint32_t kGatewayAddr = ipv4(10, 2, 0, 254);
inline constexpr Mac kGatewayMac{0x02, 0x00, 0x00, 0x00, 0x02, 0xfe};
inline constexpr uint32_t kRemoteNet = ipv4(10, 99, 0, 0);       // /16 via kGatewayAddr
inline constexpr uint32_t kUnreachableNet = ipv4(10, 66, 0, 0);  // /16 unreachable
inline constexpr uint32_t kBlackholeNet = ipv4(10, 67, 0, 0);    // /16 blackhole
inline constexpr uint32_t kProhibitNet = ipv4(10, 68, 0, 0);     // /16 prohibit
}  // namespace lab

// lan 10.1.0.1/24 (port 0), wan 10.2.0.1/24 (port 1), MTU 1500 both, MACs as in config/lab.yaml;
// routes 10.99.0.0/16 via 10.2.0.254, 10.66.0.0/16 unreachable, 10.67.0.0/16 blackhole,
// 10.68.0.0/16 prohibit. No static neighbours. Interface i is DPDK port i.
dprouter::Config lab_config();
// The interface called `name` in `cfg` (throws std::out_of_range when there is none).
dprouter::InterfaceConfig& interface_named(dprouter::Config& cfg, const std::string& name);

// ---------------------------------------------------------------------------------------------
// Bytes

void put16(Bytes& b, size_t off, uint16_t v);  // big-endian
void put32(Bytes& b, size_t off, uint32_t v);
uint16_t get16(const Bytes& b, size_t off);
uint32_t get32(const Bytes& b, size_t off);
void put_mac(Bytes& b, size_t off, const Mac& m);
Mac get_mac(const Bytes& b, size_t off);
// n bytes 0x00.. counting up from `seed` (wrapping), a payload that shows shifts and truncation.
Bytes pattern(size_t n, uint8_t seed = 0);
Bytes concat(const Bytes& a, const Bytes& b);
std::string hex(const Bytes& b);

// What an Ethernet/IPv4/ICMP frame says, for checking errors and replies the router sent.
struct IcmpView {
    uint32_t src;  // host order
    uint32_t dst;
    uint8_t type;
    uint8_t code;
    uint32_t rest;  // the second word of the ICMP header
    Bytes body;     // after the 8-byte ICMP header (the quote, for errors)
};
std::optional<IcmpView> icmp_view(const Bytes& frame);

// Byte-exact comparison with a readable failure: lengths, first difference, both frames in hex.
::testing::AssertionResult same_bytes(const Bytes& actual, const Bytes& expected);

// ---------------------------------------------------------------------------------------------
// Checksums (RFC 1071), written independently of DPDK and of src/

// One's-complement sum of the data as big-endian 16-bit words (an odd last byte is padded with
// zero), added to `acc`, folded to 16 bits.
uint16_t ones_sum(const uint8_t* data, size_t len, uint32_t acc = 0);
// The value to store in a checksum field: ~ones_sum (host order; write it with put16).
uint16_t internet_checksum(const uint8_t* data, size_t len, uint32_t acc = 0);
inline uint16_t internet_checksum(const Bytes& b) { return internet_checksum(b.data(), b.size()); }
// Does the IPv4 header at `off` (its IHL taken from the packet) sum to 0xFFFF?
bool ipv4_header_checksum_ok(const Bytes& b, size_t off = kEthHdrLen);

// ---------------------------------------------------------------------------------------------
// Frame builders

struct Ipv4Fields {
    uint8_t version = 4;
    int ihl = -1;  // in 32-bit words; -1: 5 + options.size() / 4
    uint8_t tos = 0;
    int total_length = -1;  // -1: header + payload
    uint16_t id = 0x1234;
    uint16_t frag = 0;  // flags | offset in 8-byte units, e.g. kIpDf
    uint8_t ttl = 64;
    uint8_t protocol = kProtoUdp;
    uint32_t src = 0;  // host order
    uint32_t dst = 0;  // host order
    Bytes options;     // raw option bytes; must be a multiple of 4 unless ihl is given
    int checksum = -1; // -1: computed over the header as built; otherwise written as is
};

// IPv4 header (with options) followed by `payload`.
Bytes ipv4_datagram(const Ipv4Fields& f, const Bytes& payload);
// ICMP message: type, code, checksum, the 32-bit "rest of header" word, body. Checksum computed.
Bytes icmp_message(uint8_t type, uint8_t code, uint32_t rest, const Bytes& body);
// Echo request (type 8) or reply (type 0).
Bytes icmp_echo(uint8_t type, uint16_t ident, uint16_t seq, const Bytes& data);
// UDP with the pseudo-header checksum for src/dst (host order).
Bytes udp_segment(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, const Bytes& payload);
struct TcpFields {
    uint16_t sport = 40000;
    uint16_t dport = 80;
    uint32_t seq = 1;
    uint32_t ack = 0;
    uint8_t flags = 0x02;  // SYN
    uint16_t window = 65535;
};
Bytes tcp_segment(uint32_t src, uint32_t dst, const TcpFields& t, const Bytes& payload);
// Ethernet II frame, zero-padded to `min_len` bytes (pass kEthMinFrame for wire-realistic frames).
Bytes ethernet_frame(const Mac& dst, const Mac& src, uint16_t ether_type, const Bytes& payload, size_t min_len = 0);
// Ethernet + IPv4: the common case.
Bytes ipv4_frame(const Mac& dst, const Mac& src, const Ipv4Fields& ip, const Bytes& l4, size_t min_len = 0);
// The 28-byte Ethernet/IPv4 ARP body.
Bytes arp_body(uint16_t op, const Mac& sha, uint32_t spa, const Mac& tha, uint32_t tpa);
// A complete ARP frame padded to 60 bytes.
Bytes arp_frame(const Mac& eth_dst, const Mac& eth_src, uint16_t op, const Mac& sha, uint32_t spa, const Mac& tha,
                uint32_t tpa);

// ---------------------------------------------------------------------------------------------
// mbufs

// Copies `bytes` into a new mbuf from `pool`. seg_size 0: one segment (must fit the data room);
// otherwise a chain of segments of at most seg_size bytes each. Returns nullptr on exhaustion.
rte_mbuf* make_mbuf(rte_mempool* pool, const Bytes& bytes, size_t seg_size = 0);
// The packet's bytes, following the segment chain (pkt_len bytes in all).
Bytes mbuf_bytes(const rte_mbuf* m);

// ---------------------------------------------------------------------------------------------
// A router in a test

struct HarnessOptions {
    unsigned pool_size = 4095;                       // mbufs in the packet pool (and the indirect pool)
    uint16_t data_room = RTE_MBUF_DEFAULT_BUF_SIZE;  // of each packet mbuf, headroom included
    unsigned ring_size = 4096;                       // hold, learn and inject rings (power of two)
    uint32_t neighbor_capacity = dprouter::kNeighborCapacity;
    // Per config interface: does its PMD transmit chained mbufs (fragments by reference)? Empty: all do.
    std::vector<uint8_t> tx_multi_seg;
    // Tables from a LiveFib (as the router has them) instead of build_tables: ECMP routes work.
    bool live_fib = false;
};

// A frame the router sent: from the worker's TX batch or from the resolver.
struct Emitted {
    uint16_t port;       // TX batch index (pipeline) or m->port (resolver)
    uint16_t mbuf_port;  // m->port as the mbuf carried it
    uint32_t nb_segs;
    Bytes bytes;
};

// A packet the worker handed to the control thread to wait for ARP.
struct Held {
    uint32_t next_hop_be;  // rte_mbuf::hash.usr
    uint16_t port;         // rte_mbuf::port, the egress port
    Bytes bytes;
    bool counts = false;   // held_counts: stands for a received packet (not one of the router's own)
};

// One worker and the control side of a router built from `cfg` (interface i = DPDK port i, MAC from
// the config): Tables from build_tables, a WorkerContext with real SP/SC rings, WorkerCounters, a
// NeighborTable without RCU and an ArpResolver attached to the tables with the config's static
// neighbours. Every DPDK object gets a unique name, so harnesses can coexist. Not copyable.
class RouterHarness {
public:
    explicit RouterHarness(const dprouter::Config& cfg, const HarnessOptions& opt = {});
    ~RouterHarness();
    RouterHarness(const RouterHarness&) = delete;
    RouterHarness& operator=(const RouterHarness&) = delete;

    // --- worker side
    // One pipeline_run over copies of `frames` received on `port` (m->port = port). With seg_size,
    // the frame arrives as a chain of segments of at most that many bytes.
    void receive(uint16_t port, const Bytes& frame, size_t seg_size = 0);
    void receive_burst(uint16_t port, const std::vector<Bytes>& frames);
    // Same with ready-made mbufs (ownership passes to the pipeline).
    void receive_mbufs(uint16_t port, rte_mbuf** pkts, uint16_t n);
    // Everything in ctx.out, port by port in queue order; the mbufs are freed.
    std::vector<Emitted> take_emitted();
    // The TX of the harness: the port accepts every frame queued since the last call (what
    // worker_flush counts: forwarded, port tx), the frames stay in ctx.out for take_emitted. The
    // inspection functions below call it first, so counters read as after a flush.
    void transmit() const;
    // A TX queue that takes only the first `accepted` of those frames on `port`: the rest are
    // refused (tx_full, own_frames_dropped) and freed, as worker_flush does with a full queue.
    void transmit_refusing(uint16_t port, uint16_t accepted);
    // Everything in the hold ring, copied out and freed.
    std::vector<Held> take_held();
    // Everything in the hold ring as mbufs, for a test that feeds the resolver itself (caller owns).
    std::vector<rte_mbuf*> take_held_mbufs();
    std::vector<dprouter::LearnMessage> take_learned();
    size_t held_in_ring() const;
    size_t learned_in_ring() const;

    // --- control side (the fake clock is whatever now_ms the test passes)
    // What the control thread does in one pass: every learn message to on_learn, every held packet
    // to on_held (IPv6 ones to the Nd6Resolver), then on_timer; the frames the resolver produced go through the inject ring and
    // pipeline_take_injected into ctx.out, and are returned as take_emitted() would (ctx.out must
    // be empty beforehand, or its frames come back too).
    std::vector<Emitted> control(uint64_t now_ms);
    // Timer only.
    std::vector<Emitted> timer(uint64_t now_ms);
    // Re-attaches the tables with these static neighbours (replacing earlier ones).
    void set_static_neighbors(const std::vector<dprouter::ArpResolver::Static>& statics, uint64_t now_ms = 0);
    void add_static_neighbor(uint32_t addr_host, uint16_t port, const Mac& mac, uint64_t now_ms = 0);
    // dprouterctl's live `neighbor add` (ArpResolver::add_static): released packets go to ctx.out.
    bool add_static_live(uint32_t addr_host, uint16_t port, const Mac& mac, uint64_t now_ms);

    // --- IPv6 Neighbor Discovery (v6-nd): control() and timer() drive the Nd6Resolver too (held
    // packets by family, ctx.learn6_ring), which starts with the config's neighbors6.
    std::vector<dprouter::LearnMessage6> take_learned6();
    size_t learned6_in_ring() const;
    void set_static_neighbors6(const std::vector<dprouter::Nd6Resolver::Static>& statics, uint64_t now_ms = 0);
    std::optional<dprouter::PackedNeighbor> neighbor6(const std::array<uint8_t, 16>& addr, uint16_t port) const;
    std::optional<dprouter::Neighbor6Info> nd_entry(const std::array<uint8_t, 16>& addr, uint16_t port) const;
    dprouter::Nd6Resolver& nd_resolver() { return *nd_resolver_; }

    // --- inspection
    uint64_t dropped(dprouter::Drop d) const {
        transmit();
        return counters_->dropped(d);
    }
    uint64_t counted(dprouter::Event e) const {
        transmit();
        return counters_->counted(e);
    }
    uint64_t total_dropped() const;
    std::string drops_summary() const;  // "no_route=1 ttl_expired=2" (non-zero ones only)
    // The neighbour-table word for addr on port, if there is an entry.
    std::optional<dprouter::PackedNeighbor> neighbor(uint32_t addr_host, uint16_t port) const;
    // The next hop the FIB gives for dst (the default route's if only it matches), else nullptr.
    const dprouter::NextHop* route(uint32_t dst_host) const;
    std::optional<dprouter::NeighborInfo> resolver_entry(uint32_t addr_host, uint16_t port) const;
    // Mbufs missing from the packet pool and the indirect pool (fragments) since construction.
    unsigned mbufs_in_use() const;
    uint64_t icmp_sent(dprouter::IcmpKind k) const { return counters_->sent(k); }

    // The ICMP rate limiter reads ctx.fake_tsc (kTscHz cycles per second), which stands still
    // unless a test moves it: token buckets start full and never refill by themselves.
    static constexpr uint64_t kTscHz = 1000000000;
    void advance_tsc_ms(uint64_t ms);

    // Frees whatever is queued (TX batch, rings), destroys the resolver (which frees what it holds)
    // and returns the mbufs still missing from the pool: anything else is a leak. The harness is
    // unusable afterwards. The destructor calls it if the test did not.
    unsigned shutdown();

    dprouter::WorkerContext& ctx() { return *ctx_; }
    dprouter::Tables& tables() { return *tables_; }
    dprouter::ArpResolver& resolver() { return *resolver_; }
    dprouter::NeighborTable& neighbors() { return *neighbors_; }
    dprouter::NeighborTable6& neighbors6() { return *neighbors6_; }
    dprouter::WorkerCounters& counters() {
        transmit();
        return *counters_;
    }
    // The control thread's block (the router's last): what the resolvers give up on.
    dprouter::WorkerCounters& control_counters() { return *control_counters_; }
    rte_mempool* pool() { return pool_; }
    rte_mempool* indirect_pool() { return indirect_pool_; }
    const dprouter::Config& config() const { return cfg_; }

private:
    void build();
    std::vector<Emitted> run_resolver_output(std::vector<rte_mbuf*>& out);
    // Frames from a resolver through the inject ring and pipeline_take_injected into ctx.out.
    void inject(std::vector<rte_mbuf*>& frames);

    dprouter::Config cfg_;
    HarnessOptions opt_;
    std::vector<uint16_t> port_of_;
    std::vector<dprouter::ArpResolver::Static> statics_;
    std::vector<dprouter::Nd6Resolver::Static> statics6_;
    rte_mempool* pool_ = nullptr;
    rte_mempool* indirect_pool_ = nullptr;
    unsigned pool_start_avail_ = 0;
    unsigned indirect_start_avail_ = 0;
    dprouter::Tables* tables_ = nullptr;
    std::atomic<dprouter::Tables*> published_{nullptr};  // live_fib: what it publishes
    rte_rcu_qsbr* qsbr_ = nullptr;
    std::unique_ptr<dprouter::LiveFib> live_fib_;
    dprouter::WorkerCounters* counters_ = nullptr;
    dprouter::WorkerCounters* control_counters_ = nullptr;
    dprouter::WorkerContext* ctx_ = nullptr;
    mutable uint16_t transmitted_[dprouter::kMaxPorts]{};  // ctx.out entries transmit() has counted
    std::unique_ptr<dprouter::NeighborTable> neighbors_;
    std::unique_ptr<dprouter::NeighborTable6> neighbors6_;
    std::unique_ptr<dprouter::ArpResolver> resolver_;
    std::unique_ptr<dprouter::Nd6Resolver> nd_resolver_;
    bool shut_ = false;
};

// Fixture: a fresh RouterHarness on make_config() (lab_config() unless overridden) per test; at the end of the test everything still
// queued is freed and the mempool must be back to its starting count (no mbuf leaked).
class RouterTest : public ::testing::Test {
protected:
    void SetUp() override;
    void TearDown() override;
    // The configuration SetUp builds the harness from; override to change it for a whole suite.
    virtual dprouter::Config make_config() { return lab_config(); }
    // Replaces the harness (leak-checking the old one) with one built from `cfg`.
    void rebuild(const dprouter::Config& cfg, const HarnessOptions& opt = {});
    RouterHarness& h() { return *harness_; }

    // Static neighbours for H1 (lan), H2 and the gateway (wan), installed through the resolver.
    void add_lab_neighbors();

private:
    void finish();
    std::unique_ptr<RouterHarness> harness_;
};

// ---------------------------------------------------------------------------------------------
// IPv6 (checksums with the same independent RFC 1071 loop)

using Addr6 = std::array<uint8_t, 16>;
// An address from its RFC 4291 text (throws std::invalid_argument on bad text).
Addr6 ip6(const char* text);
// The Ethernet group of an IPv6 multicast address: 33:33 and its low 32 bits (RFC 2464 7).
Mac multicast_mac6(const Addr6& group);
// ff02::1:ffXX:XXXX, the solicited-node group of `a` (RFC 4291 2.7.1), computed here.
Addr6 solicited_node6(const Addr6& a);

inline constexpr uint8_t kNh6HopByHop = 0;
inline constexpr uint8_t kNh6Routing = 43;
inline constexpr uint8_t kNh6Fragment = 44;
inline constexpr uint8_t kNh6Icmp = 58;
inline constexpr uint8_t kNh6None = 59;
inline constexpr uint8_t kNh6DestOpts = 60;
inline constexpr uint8_t kIcmp6EchoRequest = 128;
inline constexpr uint8_t kIcmp6EchoReply = 129;

struct Ipv6Fields {
    uint8_t tclass = 0;
    uint32_t flow = 0;        // 20 bits
    int payload_length = -1;  // -1: the payload's size
    uint8_t next_header = kProtoUdp;
    uint8_t hop_limit = 64;
    Addr6 src{};
    Addr6 dst{};
};
// The 40-byte header followed by `payload` (extension headers included, as the caller built them).
Bytes ipv6_packet(const Ipv6Fields& f, const Bytes& payload);
Bytes ipv6_frame(const Mac& dst, const Mac& src, const Ipv6Fields& ip, const Bytes& payload, size_t min_len = 0);
// One's-complement sum of the upper-layer pseudo-header (RFC 8200 8.1).
uint32_t pseudo_header_sum6(const Addr6& src, const Addr6& dst, uint8_t next_header, size_t len);
// ICMPv6 message with its checksum over the pseudo-header for src/dst.
Bytes icmp6_message(const Addr6& src, const Addr6& dst, uint8_t type, uint8_t code, uint32_t rest, const Bytes& body);
Bytes icmp6_echo(const Addr6& src, const Addr6& dst, uint8_t type, uint16_t ident, uint16_t seq, const Bytes& data);
Bytes udp6_segment(const Addr6& src, const Addr6& dst, uint16_t sport, uint16_t dport, const Bytes& payload);
// TCP with `options` (a multiple of 4 bytes) after the 20-byte header.
Bytes tcp6_segment(const Addr6& src, const Addr6& dst, const TcpFields& t, const Bytes& payload,
                   const Bytes& options = {});
// An extension header: next header, length octet computed from `body` (the bytes after the first
// two; 2 + body.size() must be a multiple of 8), then body.
Bytes ext_header(uint8_t next_header, const Bytes& body);

// What an Ethernet/IPv6 frame with an upper-layer header right after the fixed one says.
struct Icmp6View {
    Addr6 src;
    Addr6 dst;
    uint8_t tclass;
    uint8_t hop_limit;
    uint8_t type;
    uint8_t code;
    uint32_t rest;      // the second word of the ICMPv6 header
    Bytes body;         // after the 8-byte header (the quote, for errors)
    bool checksum_ok;   // verified here over the pseudo-header
};
std::optional<Icmp6View> icmp6_view(const Bytes& frame);
// Does the upper-layer message (next header `nh`, right after the fixed header) of an
// Ethernet/IPv6 frame carry a valid checksum?
bool l4_checksum_ok6(const Bytes& frame);

// The lab with IPv6 (built in code, no YAML): lan 2001:db8:1::1/64, wan 2001:db8:2::1/64, the
// link-local addresses derived from the MACs; routes 2001:db8:99::/48 via 2001:db8:2::fe,
// 2001:db8:98::/48 via fe80::fe on wan, 2001:db8:66::/48 unreachable, :67::/48 blackhole,
// :68::/48 prohibit. Neighbours are the tests' to put in place.
dprouter::Config lab6_config();
namespace lab6 {
inline const Addr6 kLanAddr = ip6("2001:db8:1::1");
inline const Addr6 kWanAddr = ip6("2001:db8:2::1");
inline const Addr6 kLanLinkLocal = ip6("fe80::ff:fe00:101");  // modified EUI-64 of 02:00:00:00:01:01
inline const Addr6 kWanLinkLocal = ip6("fe80::ff:fe00:201");
inline const Addr6 kH1 = ip6("2001:db8:1::2");
inline const Addr6 kH1LinkLocal = ip6("fe80::2");
inline const Addr6 kH2 = ip6("2001:db8:2::2");
inline const Addr6 kGateway = ip6("2001:db8:2::fe");           // kGatewayMac
inline const Addr6 kLinkLocalGateway = ip6("fe80::fe");        // on wan, kGatewayMac too
inline const Addr6 kRemote = ip6("2001:db8:99::9");            // via kGateway
inline const Addr6 kRemoteViaLinkLocal = ip6("2001:db8:98::8");  // via kLinkLocalGateway
inline const Addr6 kUnreachable = ip6("2001:db8:66::1");
inline const Addr6 kBlackhole = ip6("2001:db8:67::1");
inline const Addr6 kProhibit = ip6("2001:db8:68::1");
inline const Addr6 kNoRoute = ip6("2001:db8:dead::1");
inline const Addr6 kAllNodes = ip6("ff02::1");
inline const Addr6 kAllRouters = ip6("ff02::2");
}  // namespace lab6
// Neighbour-cache entry (reachable) for an on-link address, as the ND resolver would make it.
void set_neighbor6(RouterHarness& h, const Addr6& addr, uint16_t port, const Mac& mac);
// The link-layer word of the gateway next hop that `dst` routes through (reachable).
void set_gateway6_l2(RouterHarness& h, const Addr6& dst, const Mac& mac);

}  // namespace dprtest
