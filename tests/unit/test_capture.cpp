// Live capture (dprouterctl capture): the worker's copy path (capture_copy; the TX hook of
// worker_flush on a real net_null port), the control thread's CaptureManager (the pcapng bytes a
// client receives, --count, one capture per interface, a client gone mid-capture), and the
// interface names written into the pcapng header. Frames are crafted, copies compared byte by byte.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <rte_dev.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_pcapng.h>

#include "control/capture_manager.hpp"
#include "control/pcapng_names.hpp"
#include "dprouter/capture_tap.hpp"
#include "dprouter/rings.hpp"
#include "dprouter/worker.hpp"
#include "packet_builder.hpp"

namespace {

using namespace dprtest;
using dprouter::CaptureTap;
using dprouter::Event;
using dprouter::WorkerCounters;

constexpr uint32_t kEpb = 6, kIdb = 1, kShb = 0x0a0d0d0a, kIsb = 5;

uint32_t host32(const std::string& s, size_t off) {
    uint32_t v;
    std::memcpy(&v, s.data() + off, 4);
    return v;
}
uint16_t host16(const std::string& s, size_t off) {
    uint16_t v;
    std::memcpy(&v, s.data() + off, 2);
    return v;
}

struct Block {
    uint32_t type;
    std::string body;  // between the length and the trailing length
};

// The blocks of a pcapng byte string (host byte order); fails the test on a malformed one.
std::vector<Block> blocks_of(const std::string& s) {
    std::vector<Block> out;
    size_t off = 0;
    while (off < s.size()) {
        EXPECT_GE(s.size() - off, 12u);
        if (s.size() - off < 12) break;
        const uint32_t len = host32(s, off + 4);
        EXPECT_TRUE(len >= 12 && len % 4 == 0 && len <= s.size() - off) << "block at " << off << " length " << len;
        if (!(len >= 12 && len % 4 == 0 && len <= s.size() - off)) break;
        EXPECT_EQ(host32(s, off + len - 4), len) << "trailing length of the block at " << off;
        out.push_back({host32(s, off), s.substr(off + 8, len - 12)});
        off += len;
    }
    return out;
}

std::string string_of(const Bytes& b) { return std::string(b.begin(), b.end()); }

// An Enhanced Packet Block (pcapng draft 4.3): interface, lengths, data, and the epb_flags
// direction bits (1 inbound, 2 outbound).
struct Epb {
    uint32_t interface = 0;
    uint32_t captured = 0;
    uint32_t original = 0;
    Bytes data;
    uint32_t direction = 0;
};

Epb epb_of(const Block& b) {
    Epb e;
    e.interface = host32(b.body, 0);
    e.captured = host32(b.body, 12);
    e.original = host32(b.body, 16);
    e.data.assign(b.body.begin() + 20, b.body.begin() + 20 + e.captured);
    for (size_t off = 20 + (e.captured + 3) / 4 * 4; off + 4 <= b.body.size();) {
        const uint16_t code = host16(b.body, off), len = host16(b.body, off + 2);
        if (code == 0) break;
        if (code == 2 && len == 4) e.direction = host32(b.body, off + 4) & 3;
        off += 4 + (len + 3u) / 4 * 4;
    }
    return e;
}

// The if_name options of the interface blocks, in order.
std::vector<std::string> interface_names(const std::vector<Block>& blocks) {
    std::vector<std::string> names;
    for (const Block& b : blocks) {
        if (b.type != kIdb) continue;
        std::string name = "?";
        for (size_t off = 8; off + 4 <= b.body.size();) {
            const uint16_t code = host16(b.body, off), len = host16(b.body, off + 2);
            if (code == 0) break;
            if (code == 2) name = b.body.substr(off + 4, len);
            off += 4 + (len + 3u) / 4 * 4;
        }
        names.push_back(name);
    }
    return names;
}

Bytes frame_n(int i, size_t payload = 40) {
    Ipv4Fields ip;
    ip.src = lab::kH1Addr;
    ip.dst = lab::kH2Addr;
    ip.protocol = kProtoIcmp;
    ip.ttl = static_cast<uint8_t>(64 - i);
    return ipv4_frame(lab::kH2Mac, lab::kWanMac, ip, icmp_echo(kIcmpEchoRequest, 7, static_cast<uint16_t>(i), pattern(payload)),
                      kEthMinFrame);
}

// Pools and a ring of their own per test (cache 0: available counts are exact), the tap on them.
class CaptureCopy : public ::testing::Test {
protected:
    void SetUp() override { make(63, 4); }
    void make(unsigned copies, unsigned ring_size) {
        frames = rte_pktmbuf_pool_create("cap_frames", 255, 0, 0, 4096, SOCKET_ID_ANY);
        tap.pool = rte_pktmbuf_pool_create("cap_copies", copies, 0, 0, static_cast<uint16_t>(rte_pcapng_mbuf_size(1518)),
                                           SOCKET_ID_ANY);
        tap.ring = dprouter::make_spsc_ring("cap_ring", ring_size, sizeof(void*), SOCKET_ID_ANY);
        ASSERT_NE(frames, nullptr);
        ASSERT_NE(tap.pool, nullptr);
        tap.snaplen.fill(UINT32_MAX);
        copies_total = copies;
    }
    void TearDown() override { release(); }
    void release() {
        dprouter::free_ring_mbufs(tap.ring);
        rte_ring_free(tap.ring);
        tap.ring = nullptr;
        if (tap.pool != nullptr) {
            EXPECT_EQ(rte_mempool_avail_count(tap.pool), copies_total) << "a copy leaked";
        }
        rte_mempool_free(tap.pool);
        tap.pool = nullptr;
        if (frames != nullptr) {
            EXPECT_EQ(rte_mempool_avail_count(frames), 255u) << "a frame leaked";
        }
        rte_mempool_free(frames);
        frames = nullptr;
    }
    std::vector<rte_mbuf*> mbufs(const std::vector<Bytes>& fs) {
        std::vector<rte_mbuf*> v;
        for (const Bytes& f : fs) v.push_back(make_mbuf(frames, f));
        return v;
    }
    // Everything in the ring, as blocks (the copies are freed).
    std::vector<Block> take_ring() {
        std::vector<Block> out;
        void* m;
        while (rte_ring_dequeue(tap.ring, &m) == 0) {
            auto* c = static_cast<rte_mbuf*>(m);
            const std::vector<Block> b = blocks_of(string_of(mbuf_bytes(c)));
            EXPECT_EQ(b.size(), 1u) << "one copy, one Enhanced Packet Block";
            out.insert(out.end(), b.begin(), b.end());
            last_port = c->port;
            rte_pktmbuf_free(c);
        }
        return out;
    }

    rte_mempool* frames = nullptr;
    CaptureTap tap;
    WorkerCounters counters;
    unsigned copies_total = 0;
    uint16_t last_port = 0xffff;
};

TEST_F(CaptureCopy, CopiesAreWholeFramesInPacketBlocksOriginalsUntouched) {
    const std::vector<Bytes> fs{frame_n(0), frame_n(1, 1400), frame_n(2)};
    std::vector<rte_mbuf*> pkts = mbufs(fs);
    dprouter::capture_copy(tap, counters, pkts.data(), 3, 1, 0, dprouter::kCaptureRx, rte_rdtsc());
    const std::vector<Block> blocks = take_ring();
    ASSERT_EQ(blocks.size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(blocks[i].type, kEpb);
        const Epb e = epb_of(blocks[i]);
        EXPECT_TRUE(same_bytes(e.data, fs[i])) << i;
        EXPECT_EQ(e.original, fs[i].size());
        EXPECT_EQ(e.direction, 1u) << "inbound";
        EXPECT_TRUE(same_bytes(mbuf_bytes(pkts[i]), fs[i])) << "the original is as it was";
    }
    EXPECT_EQ(last_port, 1u) << "the copy carries its port (the pcapng interface)";
    EXPECT_EQ(counters.counted(Event::captured), 3u);
    EXPECT_EQ(counters.counted(Event::capture_dropped), 0u);
    rte_pktmbuf_free_bulk(pkts.data(), 3);
}

TEST_F(CaptureCopy, SnapLengthKeepsTheHeadAndTheOriginalLength) {
    tap.snaplen[0] = 64;
    const Bytes f = frame_n(0, 500);
    rte_mbuf* m = make_mbuf(frames, f);
    dprouter::capture_copy(tap, counters, &m, 1, 0, 0, dprouter::kCaptureTx, rte_rdtsc());
    const std::vector<Block> blocks = take_ring();
    ASSERT_EQ(blocks.size(), 1u);
    const Epb e = epb_of(blocks[0]);
    EXPECT_EQ(e.captured, 64u);
    EXPECT_EQ(e.original, f.size());
    EXPECT_TRUE(same_bytes(e.data, Bytes(f.begin(), f.begin() + 64)));
    EXPECT_EQ(e.direction, 2u) << "outbound";
    rte_pktmbuf_free(m);
}

TEST_F(CaptureCopy, FullRingDropsAndCountsTheCopiesNotTheFrames) {
    // A ring of 4 slots holds 3: a burst of 8 loses 5 copies, every frame stays.
    std::vector<Bytes> fs;
    for (int i = 0; i < 8; ++i) fs.push_back(frame_n(i));
    std::vector<rte_mbuf*> pkts = mbufs(fs);
    dprouter::capture_copy(tap, counters, pkts.data(), 8, 2, 0, dprouter::kCaptureRx, rte_rdtsc());
    EXPECT_EQ(counters.counted(Event::captured), 3u);
    EXPECT_EQ(counters.counted(Event::capture_dropped), 5u);
    EXPECT_EQ(tap.dropped[2], 5u);
    EXPECT_EQ(rte_mempool_avail_count(tap.pool), copies_total - 3) << "the lost copies went back to the pool";
    const std::vector<Block> blocks = take_ring();
    ASSERT_EQ(blocks.size(), 3u);
    for (size_t i = 0; i < 3; ++i) EXPECT_TRUE(same_bytes(epb_of(blocks[i]).data, fs[i])) << "the first ones, in order";
    for (size_t i = 0; i < 8; ++i) EXPECT_TRUE(same_bytes(mbuf_bytes(pkts[i]), fs[i]));
    rte_pktmbuf_free_bulk(pkts.data(), 8);
}

TEST_F(CaptureCopy, CopyBudgetSamplesAFloodAndCountsTheRest) {
    // One copy per 1000 TSC cycles: 2 are due at T0 (the ring has room for 3), 1 more 1000 cycles later.
    const uint64_t t0 = 100'000'000;
    tap.copy_cycles = 1000;
    tap.next_copy_tsc = t0 - 2000;
    std::vector<Bytes> fs;
    for (int i = 0; i < 8; ++i) fs.push_back(frame_n(i));
    std::vector<rte_mbuf*> pkts = mbufs(fs);
    dprouter::capture_copy(tap, counters, pkts.data(), 8, 0, 0, dprouter::kCaptureRx, t0);
    EXPECT_EQ(counters.counted(Event::captured), 2u);
    EXPECT_EQ(counters.counted(Event::capture_dropped), 6u);
    EXPECT_EQ(take_ring().size(), 2u);
    dprouter::capture_copy(tap, counters, pkts.data(), 8, 0, 0, dprouter::kCaptureRx, t0 + 1000);
    EXPECT_EQ(counters.counted(Event::captured), 3u);
    EXPECT_EQ(counters.counted(Event::capture_dropped), 13u);
    ASSERT_EQ(take_ring().size(), 1u);
    // Long idle: the budget refills to its burst, no further (the ring of 3 is the limit here).
    dprouter::capture_copy(tap, counters, pkts.data(), 8, 0, 0, dprouter::kCaptureRx, t0 + 10'000'000'000ull);
    EXPECT_EQ(counters.counted(Event::captured), 6u);
    EXPECT_EQ(tap.next_copy_tsc, t0 + 10'000'000'000ull - 1000 * dprouter::kCaptureCopyBurst + 3000);
    take_ring();
    for (size_t i = 0; i < 8; ++i) EXPECT_TRUE(same_bytes(mbuf_bytes(pkts[i]), fs[i]));
    rte_pktmbuf_free_bulk(pkts.data(), 8);
}

TEST_F(CaptureCopy, EmptyPoolDropsAndCounts) {
    release();
    make(2, 64);
    std::vector<Bytes> fs{frame_n(0), frame_n(1), frame_n(2), frame_n(3)};
    std::vector<rte_mbuf*> pkts = mbufs(fs);
    dprouter::capture_copy(tap, counters, pkts.data(), 4, 0, 0, dprouter::kCaptureRx, rte_rdtsc());
    EXPECT_EQ(counters.counted(Event::captured), 2u);
    EXPECT_EQ(counters.counted(Event::capture_dropped), 2u);
    EXPECT_EQ(take_ring().size(), 2u);
    rte_pktmbuf_free_bulk(pkts.data(), 4);
}

// A net_null port, started with one queue: what worker_flush sends it is consumed and freed.
class NullPort {
public:
    explicit NullPort(rte_mempool* pool) {
        if (rte_eal_hotplug_add("vdev", "net_null_capture0", "") != 0) return;
        if (rte_eth_dev_get_port_by_name("net_null_capture0", &port) != 0) return;
        rte_eth_conf conf{};
        if (rte_eth_dev_configure(port, 1, 1, &conf) != 0 || rte_eth_rx_queue_setup(port, 0, 64, SOCKET_ID_ANY, nullptr, pool) != 0 ||
            rte_eth_tx_queue_setup(port, 0, 64, SOCKET_ID_ANY, nullptr) != 0 || rte_eth_dev_start(port) != 0)
            return;
        ok = true;
    }
    ~NullPort() {
        rte_eth_dev_stop(port);
        rte_eth_dev_close(port);
        rte_eal_hotplug_remove("vdev", "net_null_capture0");
    }
    uint16_t port = 0;
    bool ok = false;
};

TEST_F(CaptureCopy, TxHookCopiesWhatTheFlushHandsThePortOnlyWhileOn) {
    NullPort null(frames);
    ASSERT_TRUE(null.ok) << "net_null vdev";
    ASSERT_LT(null.port, dprouter::kMaxPorts);
    auto ctx = std::make_unique<dprouter::WorkerContext>();
    ctx->counters = &counters;
    ctx->capture.ring = tap.ring;
    ctx->capture.pool = tap.pool;
    ctx->capture.snaplen.fill(UINT32_MAX);
    auto queue = [&](int first, int n) {
        for (int i = first; i < first + n; ++i) ctx->out.pkts[null.port][ctx->out.count[null.port]++] = make_mbuf(frames, frame_n(i));
    };
    queue(0, 2);
    dprouter::worker_flush(*ctx, 0);
    EXPECT_EQ(rte_ring_count(tap.ring), 0u) << "no capture: nothing copied";
    ctx->capture.dirs[null.port].store(dprouter::kCaptureRx);
    queue(2, 2);
    dprouter::worker_flush(*ctx, 0);
    EXPECT_EQ(rte_ring_count(tap.ring), 0u) << "an RX capture copies nothing at TX";
    ctx->capture.dirs[null.port].store(dprouter::kCaptureTx);
    queue(4, 3);
    dprouter::worker_flush(*ctx, 0);
    const std::vector<Block> blocks = take_ring();
    ASSERT_EQ(blocks.size(), 3u);
    for (int i = 0; i < 3; ++i) {
        const Epb e = epb_of(blocks[static_cast<size_t>(i)]);
        EXPECT_TRUE(same_bytes(e.data, frame_n(4 + i))) << i;
        EXPECT_EQ(e.direction, 2u);
    }
    EXPECT_EQ(last_port, null.port);
    EXPECT_EQ(counters.ports[null.port].tx, 7u) << "every frame went to the port, captured or not";
    EXPECT_EQ(counters.counted(Event::captured), 3u);
}

// ---- the control thread's side ----

class CaptureControl : public ::testing::Test {
protected:
    void SetUp() override {
        frames = rte_pktmbuf_pool_create("capc_frames", 255, 0, 0, 4096, SOCKET_ID_ANY);
        ASSERT_NE(frames, nullptr);
        null = std::make_unique<NullPort>(frames);
        ASSERT_TRUE(null->ok);
        for (int w = 0; w < 2; ++w) {
            ctxs.push_back(std::make_unique<dprouter::WorkerContext>());
            ctxs.back()->counters = &counters[w];
            ctxs.back()->capture.ring = dprouter::make_spsc_ring("capc_ring" + std::to_string(w), 1024, sizeof(void*), SOCKET_ID_ANY);
        }
        std::vector<std::string> names(dprouter::kMaxPorts);
        names[null->port] = "lan";
        mgr = std::make_unique<dprouter::CaptureManager>(std::vector<dprouter::WorkerContext*>{ctxs[0].get(), ctxs[1].get()},
                                                         names, 1518);
    }
    void TearDown() override {
        mgr.reset();  // drains the rings, frees its pool
        for (auto& c : ctxs) {
            EXPECT_EQ(rte_ring_count(c->capture.ring), 0u);
            rte_ring_free(c->capture.ring);
        }
        null.reset();
        EXPECT_EQ(rte_mempool_avail_count(frames), 255u);
        rte_mempool_free(frames);
    }
    dprouter::CaptureRequest request(uint64_t count = 0) {
        dprouter::CaptureRequest r;
        r.interface = "lan";
        r.count = count;
        return r;
    }
    // What a worker does with a burst of `port` while capturing.
    void worker_sees(int w, std::vector<Bytes> fs, uint8_t dir) {
        dprouter::WorkerContext& c = *ctxs[static_cast<size_t>(w)];
        std::vector<rte_mbuf*> pkts;
        for (const Bytes& f : fs) pkts.push_back(make_mbuf(frames, f));
        if (dprouter::capture_wanted(c.capture, null->port, dir))
            dprouter::capture_copy(c.capture, *c.counters, pkts.data(), static_cast<uint16_t>(pkts.size()), null->port, 0, dir,
                                   rte_rdtsc());
        rte_pktmbuf_free_bulk(pkts.data(), static_cast<unsigned>(pkts.size()));
    }
    // Pumps the stream until it ends (or `max` rounds): the bytes a client would receive.
    std::string pump_all(dprouter::ControlStream& s, bool& ended, int max = 100) {
        std::string out;
        ended = false;
        for (int i = 0; i < max && !ended; ++i) {
            mgr->poll(1000);
            ended = !s.pump(out, 1 << 20, 1000);
        }
        return out;
    }

    rte_mempool* frames = nullptr;
    std::unique_ptr<NullPort> null;
    WorkerCounters counters[2];
    std::vector<std::unique_ptr<dprouter::WorkerContext>> ctxs;
    std::unique_ptr<dprouter::CaptureManager> mgr;
};

TEST_F(CaptureControl, CountedCaptureIsAWholePcapngFileNamedAfterTheConfig) {
    std::string error;
    auto stream = mgr->start(request(4), null->port, 1000, error);
    ASSERT_TRUE(stream) << error;
    for (auto& c : ctxs) EXPECT_EQ(c->capture.dirs[null->port].load(), dprouter::kCaptureRx | dprouter::kCaptureTx);
    worker_sees(0, {frame_n(0), frame_n(1)}, dprouter::kCaptureRx);
    worker_sees(1, {frame_n(2)}, dprouter::kCaptureTx);
    mgr->poll(1000);
    worker_sees(0, {frame_n(3), frame_n(4), frame_n(5)}, dprouter::kCaptureRx);  // two beyond the count
    bool ended = false;
    const std::string file = pump_all(*stream, ended);
    EXPECT_TRUE(ended) << "the capture ends at its count";
    for (auto& c : ctxs) EXPECT_EQ(c->capture.dirs[null->port].load(), 0) << "and the workers stop copying";
    const std::vector<Block> blocks = blocks_of(file);
    ASSERT_GE(blocks.size(), 3u);
    EXPECT_EQ(blocks.front().type, kShb);
    const std::vector<std::string> names = interface_names(blocks);
    EXPECT_EQ(names.size(), rte_eth_dev_count_avail()) << "one interface block per DPDK port";
    EXPECT_EQ(std::count(names.begin(), names.end(), "lan"), 1) << "the port named as in the configuration";
    std::vector<Epb> packets;
    for (const Block& b : blocks)
        if (b.type == kEpb) packets.push_back(epb_of(b));
    ASSERT_EQ(packets.size(), 4u);
    std::vector<uint32_t> dirs;
    for (size_t i = 0; i < 4; ++i) dirs.push_back(packets[i].direction);
    EXPECT_EQ(std::count(dirs.begin(), dirs.end(), 2u), 1) << "one outbound";
    int matched = 0;
    for (const Epb& e : packets) {
        ASSERT_LT(e.interface, names.size());
        EXPECT_EQ(names[e.interface], "lan");
        for (const Bytes& f : {frame_n(0), frame_n(1), frame_n(2), frame_n(3)}) matched += e.data == f;
    }
    EXPECT_EQ(matched, 4) << "the first four frames, byte for byte";
    EXPECT_EQ(blocks.back().type, kIsb) << "ends with the statistics block";
    EXPECT_EQ(mgr->stats().written, 4u);
    stream.reset();
    EXPECT_EQ(mgr->active(), 0u);
}

TEST_F(CaptureControl, OneCapturePerInterfaceAndAClientGoneLeavesNothing) {
    std::string error;
    auto first = mgr->start(request(), null->port, 1000, error);
    ASSERT_TRUE(first) << error;
    auto second = mgr->start(request(), null->port, 1000, error);
    EXPECT_FALSE(second);
    EXPECT_EQ(error, "a capture of interface 'lan' is running already (one at a time per interface)");
    EXPECT_EQ(mgr->stats().refused, 1u);
    worker_sees(0, {frame_n(0), frame_n(1)}, dprouter::kCaptureRx);
    worker_sees(1, {frame_n(2)}, dprouter::kCaptureRx);
    first.reset();  // the client went away mid-capture
    for (auto& c : ctxs) EXPECT_EQ(c->capture.dirs[null->port].load(), 0);
    EXPECT_EQ(mgr->active(), 0u);
    mgr->poll(2000);  // copies still queued are freed, not written anywhere
    for (auto& c : ctxs) EXPECT_EQ(rte_ring_count(c->capture.ring), 0u);
    // The interface can be captured again, and the new capture holds none of the old frames.
    auto again = mgr->start(request(1), null->port, 3000, error);
    ASSERT_TRUE(again) << error;
    worker_sees(1, {frame_n(9)}, dprouter::kCaptureRx);
    bool ended = false;
    const std::string file = pump_all(*again, ended);
    EXPECT_TRUE(ended);
    int packets = 0;
    for (const Block& b : blocks_of(file))
        if (b.type == kEpb) {
            ++packets;
            EXPECT_TRUE(same_bytes(epb_of(b).data, frame_n(9)));
        }
    EXPECT_EQ(packets, 1);
}

TEST_F(CaptureControl, DurationAndClientShutdownEndTheCapture) {
    std::string error;
    dprouter::CaptureRequest r = request();
    r.duration_ms = 500;
    r.tx = false;
    auto timed = mgr->start(r, null->port, 1000, error);
    ASSERT_TRUE(timed) << error;
    EXPECT_EQ(ctxs[0]->capture.dirs[null->port].load(), dprouter::kCaptureRx);
    std::string out;
    mgr->poll(1499);
    EXPECT_TRUE(timed->pump(out, 1 << 20, 1499)) << "before its time";
    mgr->poll(1500);
    while (timed->pump(out, 1 << 20, 1500)) {
    }
    EXPECT_EQ(blocks_of(out).back().type, kIsb);
    timed.reset();
    auto open_ended = mgr->start(request(), null->port, 2000, error);
    ASSERT_TRUE(open_ended);
    worker_sees(0, {frame_n(1)}, dprouter::kCaptureRx);
    open_ended->finish();  // dprouterctl's Ctrl-C
    bool ended = false;
    const std::string file = pump_all(*open_ended, ended);
    EXPECT_TRUE(ended);
    const std::vector<Block> blocks = blocks_of(file);
    EXPECT_EQ(std::count_if(blocks.begin(), blocks.end(), [](const Block& b) { return b.type == kEpb; }), 1);
    EXPECT_EQ(blocks.back().type, kIsb);
}

// ---- interface names ----

std::string block(uint32_t type, const std::string& body) {
    std::string b;
    const uint32_t len = static_cast<uint32_t>(12 + body.size());
    b.append(reinterpret_cast<const char*>(&type), 4);
    b.append(reinterpret_cast<const char*>(&len), 4);
    b += body;
    b.append(reinterpret_cast<const char*>(&len), 4);
    return b;
}

std::string option(uint16_t code, const std::string& v) {
    std::string o;
    const auto len = static_cast<uint16_t>(v.size());
    o.append(reinterpret_cast<const char*>(&code), 2);
    o.append(reinterpret_cast<const char*>(&len), 2);
    o += v;
    o.append((4 - v.size() % 4) % 4, '\0');
    return o;
}

TEST(PcapngNames, InterfaceBlocksTakeTheConfiguredNamesOtherOptionsKept) {
    const std::string fixed("\x01\x00\x00\x00\x00\x00\x00\x00", 8);  // link type 1, snap length 0
    const std::string shb = block(kShb, std::string("\x4d\x3c\x2b\x1a\x01\x00\x00\x00", 8) + std::string(8, '\xff'));
    const std::string idb0 = block(kIdb, fixed + option(9, "\x09") + option(2, "r-h1") + option(6, "MACMAC") + option(0, ""));
    const std::string idb1 = block(kIdb, fixed + option(2, "dpdk:1") + option(0, ""));
    const std::string idb2 = block(kIdb, fixed + option(0, ""));
    const std::string in = shb + idb0 + idb1 + idb2;
    const std::string out = dprouter::rename_pcapng_interfaces(in, {"lan", "", "a-long-name"});
    const std::vector<Block> blocks = blocks_of(out);
    ASSERT_EQ(blocks.size(), 4u);
    EXPECT_EQ(interface_names(blocks), (std::vector<std::string>{"lan", "dpdk:1", "a-long-name"}));
    EXPECT_EQ(blocks[1].body, fixed + option(9, "\x09") + option(2, "lan") + option(6, "MACMAC") + option(0, ""));
    EXPECT_EQ(out.substr(0, shb.size()), shb);
    // Not a header it understands: left as it is.
    EXPECT_EQ(dprouter::rename_pcapng_interfaces(in.substr(0, in.size() - 2), {"lan"}), in.substr(0, in.size() - 2));
    const std::string lying = block(kIdb, fixed + option(2, "x").substr(0, 2) + std::string("\xff\x00", 2) + "abcd");
    EXPECT_EQ(dprouter::rename_pcapng_interfaces(lying, {"lan"}), lying);
}

}  // namespace
