#include "control/capture_manager.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include <sys/mman.h>
#include <unistd.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_pcapng.h>
#include <rte_ring.h>

#include "control/pcapng_names.hpp"
#include "dprouter/log.hpp"

namespace dprouter {
namespace {

// Copies in flight at most across every worker ring and capture: a burst of a few milliseconds at
// full rate. When they are all taken, workers count capture_dropped.
constexpr unsigned kPoolSize = 8191;
constexpr unsigned kPoolCache = 64;
// rte_pcapng_write_packets gathers every segment into one writev: keep each call well inside IOV_MAX.
constexpr unsigned kWriteBatch = 32;

uint64_t realtime_ns() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace

// One running capture: its pcapng writer (on a memfd), the bytes not yet handed to the client,
// and when it ends.
class CaptureManager::Session {
public:
    Session(const CaptureRequest& req, uint16_t port, uint64_t now_ms)
        : req_(req), port_(port), deadline_ms_(req.duration_ms != 0 ? now_ms + req.duration_ms : 0) {}
    ~Session() { close_writer(); }
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // The memfd and the file header (section, one interface block per port, named after the
    // configuration where rte_pcapng knows only DPDK's names).
    bool open(const std::vector<std::string>& names, std::string& error) {
        fd_ = memfd_create("dprouter-capture", MFD_CLOEXEC);
        if (fd_ < 0) {
            error = std::string("capture: memfd: ") + std::strerror(errno);
            return false;
        }
        const std::string comment = "dprouter capture of interface " + req_.interface + " (DPDK port " +
                                    std::to_string(port_) + "), " + direction_text();
        writer_ = rte_pcapng_fdopen(fd_, nullptr, nullptr, "dprouter", comment.c_str());
        if (writer_ == nullptr) {
            error = std::string("capture: cannot start pcapng: ") + rte_strerror(rte_errno);
            ::close(fd_);
            fd_ = -1;
            return false;
        }
        harvest();
        // rte_pcapng numbers its interface blocks in RTE_ETH_FOREACH_DEV order.
        std::vector<std::string> by_index;
        uint16_t p;
        RTE_ETH_FOREACH_DEV(p) by_index.push_back(p < names.size() ? names[p] : std::string());
        buffer_ = rename_pcapng_interfaces(buffer_, by_index);
        start_ns_ = realtime_ns();
        return true;
    }

    // Takes `n` copies of this port's frames (and their ownership).
    void take(rte_mbuf** pkts, unsigned n, CaptureStats& stats) {
        unsigned k = n;
        if (ending_) k = 0;
        if (req_.count != 0) k = static_cast<unsigned>(std::min<uint64_t>(k, req_.count - taken_));
        if (k < n) rte_pktmbuf_free_bulk(pkts + k, n - k);  // beyond the count: not wanted, not lost
        if (k == 0) return;
        std::size_t bytes = 0;
        for (unsigned i = 0; i < k; ++i) bytes += rte_pktmbuf_pkt_len(pkts[i]);
        if (pending() + bytes > kBufferLimit) {
            // The client does not keep up: lose these rather than grow.
            rte_pktmbuf_free_bulk(pkts, k);
            dropped_ += k;
            stats.dropped += k;
            return;
        }
        for (unsigned done = 0; done < k;) {
            const unsigned chunk = std::min(kWriteBatch, k - done);
            if (rte_pcapng_write_packets(writer_, pkts + done, static_cast<uint16_t>(chunk)) < 0) {
                // A memfd write fails only without memory.
                dropped_ += chunk;
                stats.dropped += chunk;
            } else {
                taken_ += chunk;
                stats.written += chunk;
            }
            // Debian's 22.11 rte_pcapng_write_packets leaves the mbufs to the caller (its header
            // says otherwise; the library calls no free), as dpdk-dumpcap does.
            rte_pktmbuf_free_bulk(pkts + done, chunk);
            done += chunk;
        }
        harvest();
        if (req_.count != 0 && taken_ >= req_.count) ending_ = true;
    }

    bool due(uint64_t now_ms) const { return deadline_ms_ != 0 && now_ms >= deadline_ms_; }
    // The duration is over or the client asked to stop: what the rings hold now is still taken
    // (the control thread drains them before it closes the file).
    void end_soon() { stop_ = true; }
    bool ending() const { return ending_ || stop_; }
    bool closed() const { return writer_ == nullptr; }

    // The statistics block (pcapng draft 4.6: frames seen, frames lost), then the file is over.
    void close_file(uint64_t worker_dropped) {
        if (writer_ == nullptr) return;
        const uint64_t lost = worker_dropped + dropped_;
        rte_pcapng_write_stats(writer_, port_, nullptr, start_ns_, realtime_ns(), taken_ + lost, lost);
        harvest();
        close_writer();
    }

    // Moves at most `room` bytes of the file to `out`; false once the file is closed and all given.
    bool pump(std::string& out, std::size_t room) {
        const std::size_t n = std::min(room, pending());
        out.append(buffer_, head_, n);
        head_ += n;
        if (head_ == buffer_.size()) {
            buffer_.clear();
            head_ = 0;
        } else if (head_ > buffer_.size() / 2) {
            buffer_.erase(0, head_);
            head_ = 0;
        }
        return !(closed() && pending() == 0);
    }

    uint64_t drop_base = 0;  // the workers' dropped[port] sum when the capture started

private:
    std::size_t pending() const { return buffer_.size() - head_; }
    const char* direction_text() const { return req_.rx && req_.tx ? "rx and tx" : (req_.rx ? "rx" : "tx"); }

    // What rte_pcapng wrote to the memfd moves to buffer_; the memfd starts again empty.
    void harvest() {
        const off_t end = ::lseek(fd_, 0, SEEK_CUR);
        if (end <= 0) return;
        const std::size_t old = buffer_.size();
        buffer_.resize(old + static_cast<std::size_t>(end));
        const ssize_t got = ::pread(fd_, buffer_.data() + old, static_cast<std::size_t>(end), 0);
        buffer_.resize(old + static_cast<std::size_t>(std::max<ssize_t>(got, 0)));
        if (::ftruncate(fd_, 0) != 0 || ::lseek(fd_, 0, SEEK_SET) != 0)
            DPR_LOG(ERR, "capture: cannot reset its memfd: %s\n", std::strerror(errno));
    }

    void close_writer() {
        if (writer_ != nullptr) rte_pcapng_close(writer_);  // closes fd_ too
        else if (fd_ >= 0) ::close(fd_);
        writer_ = nullptr;
        fd_ = -1;
    }

    CaptureRequest req_;
    uint16_t port_;
    uint64_t deadline_ms_;
    int fd_ = -1;
    rte_pcapng_t* writer_ = nullptr;
    std::string buffer_;
    std::size_t head_ = 0;
    uint64_t taken_ = 0;
    uint64_t dropped_ = 0;
    uint64_t start_ns_ = 0;
    bool ending_ = false;  // the count is reached: nothing more is taken
    bool stop_ = false;
};

// What the control server holds for the connection: the capture of one port. Its end (the client
// gone, or the stream over) ends the capture.
class CaptureStream : public ControlStream {
public:
    CaptureStream(CaptureManager& m, uint16_t port) : m_(m), port_(port) {}
    ~CaptureStream() override { m_.end(port_); }
    bool pump(std::string& out, std::size_t room, uint64_t) override {
        auto it = m_.sessions_.find(port_);
        return it != m_.sessions_.end() && it->second->pump(out, room);
    }
    void finish() override {
        if (auto it = m_.sessions_.find(port_); it != m_.sessions_.end()) it->second->end_soon();
    }

private:
    CaptureManager& m_;
    uint16_t port_;
};

CaptureManager::CaptureManager(std::vector<WorkerContext*> contexts, std::vector<std::string> names, unsigned max_frame)
    : contexts_(std::move(contexts)), names_(std::move(names)), max_frame_(max_frame) {}

CaptureManager::~CaptureManager() {
    for (const auto& [port, s] : sessions_) set_dirs(port, 0, 0);
    sessions_.clear();
    // The workers are stopped (or never ran): whatever copies are left go back before the pool does.
    for (WorkerContext* ctx : contexts_) {
        void* left[64];
        unsigned n;
        while (ctx->capture.ring != nullptr &&
               (n = rte_ring_sc_dequeue_burst(ctx->capture.ring, left, 64, nullptr)) != 0)
            rte_pktmbuf_free_bulk(reinterpret_cast<rte_mbuf**>(left), n);
        ctx->capture.pool = nullptr;
    }
    rte_mempool_free(pool_);
}

bool CaptureManager::ensure_pool(std::string& error) {
    if (pool_ != nullptr) return true;
    // Room for a whole frame of the largest MTU in one segment, with the pcapng block around it.
    const uint32_t room = rte_pcapng_mbuf_size(max_frame_);
    const auto data_room = static_cast<uint16_t>(std::min<uint32_t>(room, UINT16_MAX));
    pool_ = rte_pktmbuf_pool_create("dpr_capture", kPoolSize, kPoolCache, 0, data_room, static_cast<int>(rte_socket_id()));
    if (pool_ == nullptr) {
        error = std::string("capture: no memory for its mbufs: ") + rte_strerror(rte_errno);
        return false;
    }
    for (WorkerContext* ctx : contexts_) ctx->capture.pool = pool_;
    return true;
}

void CaptureManager::set_dirs(uint16_t port, uint8_t dirs, uint32_t snaplen) {
    for (WorkerContext* ctx : contexts_) {
        ctx->capture.snaplen[port] = snaplen;
        ctx->capture.dirs[port].store(dirs, std::memory_order_release);
    }
}

std::unique_ptr<ControlStream> CaptureManager::start(const CaptureRequest& req, uint16_t port, uint64_t now_ms,
                                                     std::string& error) {
    if (port >= kMaxPorts) {
        error = "capture: no such port";
        ++stats_.refused;
        return nullptr;
    }
    if (sessions_.count(port) != 0) {
        error = "a capture of interface '" + req.interface + "' is running already (one at a time per interface)";
        ++stats_.refused;
        return nullptr;
    }
    if (!ensure_pool(error)) {
        ++stats_.refused;
        return nullptr;
    }
    auto s = std::make_unique<Session>(req, port, now_ms);
    if (!s->open(names_, error)) {
        ++stats_.refused;
        return nullptr;
    }
    drain();  // copies of an earlier capture of this port still queued go before this one starts
    for (WorkerContext* ctx : contexts_) s->drop_base += ctx->capture.dropped[port];
    sessions_[port] = std::move(s);
    ++stats_.started;
    const uint8_t dirs = static_cast<uint8_t>((req.rx ? kCaptureRx : 0) | (req.tx ? kCaptureTx : 0));
    set_dirs(port, dirs, req.snaplen != 0 ? req.snaplen : UINT32_MAX);
    DPR_LOG(INFO, "capture of %s started\n", req.interface.c_str());
    return std::make_unique<CaptureStream>(*this, port);
}

void CaptureManager::end(uint16_t port) {
    set_dirs(port, 0, 0);
    if (sessions_.erase(port) != 0) DPR_LOG(INFO, "capture of %s ended\n", names_[port].c_str());
}

bool CaptureManager::drain() {
    bool busy = false;
    for (WorkerContext* ctx : contexts_) {
        if (ctx->capture.ring == nullptr) continue;
        rte_mbuf* pkts[kDrainPerWorker];
        const unsigned n =
            rte_ring_sc_dequeue_burst(ctx->capture.ring, reinterpret_cast<void**>(pkts), kDrainPerWorker, nullptr);
        busy |= n != 0;
        // Runs of one port's copies go to that port's capture; without one they are stale.
        for (unsigned i = 0; i < n;) {
            const uint16_t port = pkts[i]->port;
            unsigned j = i + 1;
            while (j < n && pkts[j]->port == port) ++j;
            auto it = sessions_.find(port);
            if (it != sessions_.end())
                it->second->take(pkts + i, j - i, stats_);
            else
                rte_pktmbuf_free_bulk(pkts + i, j - i);
            i = j;
        }
    }
    return busy;
}

bool CaptureManager::poll(uint64_t now_ms) {
    bool busy = drain();
    for (auto& [port, s] : sessions_) {
        if (s->due(now_ms)) s->end_soon();
        if (s->ending() && !s->closed()) {
            set_dirs(port, 0, 0);
            uint64_t lost = 0;
            for (WorkerContext* ctx : contexts_) lost += ctx->capture.dropped[port];
            s->close_file(lost - s->drop_base);
            busy = true;
        }
    }
    return busy;
}

}  // namespace dprouter
