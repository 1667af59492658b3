// Live captures (dprouterctl capture, docs/control-plane.md "Capture"), the control thread's side:
// turns a port's capture on in every worker's CaptureTap, drains the workers' capture rings, writes
// the copies as pcapng with DPDK's rte_pcapng, and hands the bytes to the client's connection as a
// ControlStream. One capture per interface at a time; captures of different interfaces run side by
// side. Control thread only.
//
// rte_pcapng writes to a file descriptor with write(2)/writev(2); the client's connection is
// non-blocking and may take any part of a write, which would cut a block. So each capture writes
// into a memfd of its own, and what lands there is moved to the capture's bounded buffer after
// every batch (the memfd is then emptied). The router never blocks on a client's disk or pipe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <rte_mempool.h>

#include "control/control_commands.hpp"
#include "dprouter/pipeline.hpp"

namespace dprouter {

struct CaptureStats {
    uint64_t started = 0;
    uint64_t refused = 0;
    uint64_t written = 0;   // frames written to pcapng
    uint64_t dropped = 0;   // copies lost in the control thread: a capture's buffer full (a slow client)
};

class CaptureManager {
public:
    // `contexts`: every worker's, to reach their CaptureTap; `names[port]`: the interface name of
    // each DPDK port the router drives (empty for the others); `max_frame`: the largest frame.
    CaptureManager(std::vector<WorkerContext*> contexts, std::vector<std::string> names, unsigned max_frame);
    ~CaptureManager();  // turns every capture off; the rings are the Router's
    CaptureManager(const CaptureManager&) = delete;
    CaptureManager& operator=(const CaptureManager&) = delete;

    // Starts capturing `port`; null with `error` set when refused.
    std::unique_ptr<ControlStream> start(const CaptureRequest& req, uint16_t port, uint64_t now_ms, std::string& error);

    // One round: drains the workers' rings into the captures, ends those whose count or duration
    // is reached. True when it did anything.
    bool poll(uint64_t now_ms);

    const CaptureStats& stats() const { return stats_; }
    std::size_t active() const { return sessions_.size(); }

    // Bytes a capture buffers for its client at most; beyond that its copies are dropped.
    static constexpr std::size_t kBufferLimit = 4u << 20;
    // Copies taken from one worker's ring per poll.
    static constexpr unsigned kDrainPerWorker = 256;

    class Session;  // capture_manager.cpp

private:
    friend class CaptureStream;
    void end(uint16_t port);  // the stream is gone: turn the port off, forget the capture
    void set_dirs(uint16_t port, uint8_t dirs, uint32_t snaplen);
    bool drain();  // the workers' rings into the captures (stale copies freed)
    bool ensure_pool(std::string& error);

    std::vector<WorkerContext*> contexts_;
    std::vector<std::string> names_;
    unsigned max_frame_;
    rte_mempool* pool_ = nullptr;
    std::map<uint16_t, std::unique_ptr<Session>> sessions_;
    CaptureStats stats_;
};

}  // namespace dprouter
