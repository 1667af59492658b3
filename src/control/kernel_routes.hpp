// Route import from the kernel (`control_plane.import_routes: true`): listens to rtnetlink and
// keeps the `kernel` routes of a RouteSink equal to what the kernel's main table holds on mirror
// interfaces (KernelRouteTable says exactly what is imported).
//
// Two NETLINK_ROUTE sockets, both non-blocking: one subscribed to RTNLGRP_LINK, RTNLGRP_NEXTHOP,
// RTNLGRP_IPV4_ROUTE and RTNLGRP_IPV6_ROUTE, one for dumps. At start, and whenever notifications
// were lost (ENOBUFS: the kernel dropped some because the socket buffer was full) or the kernel
// may have flushed routes without saying so (a link went down or away), it dumps links, nexthop
// objects, IPv4 and IPv6 routes, builds a fresh table from them, applies the notifications that
// arrived meanwhile (after an overrun, once the socket has been emptied: until then the kernel
// drops notifications without saying so again), and hands the result over with RouteSink::replace_origin(kernel, ...): the FIB
// is never left with routes the kernel no longer has. Every poll() does a bounded amount of work
// and commits what it changed.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <linux/netlink.h>
#include <sys/socket.h>

#include "control/kernel_route_table.hpp"
#include "control/netlink_decode.hpp"
#include "dprouter/route_store.hpp"
#include "dprouter/telemetry.hpp"

struct mnl_socket;

namespace dprouter {

class KernelRouteImporter {
public:
    struct Stats {
        uint64_t messages = 0;      // decoded notifications and dump messages
        uint64_t notifications = 0; // of which notifications (route, nexthop and link changes)
        uint64_t refused = 0;       // malformed messages (nl::Refused), none of them used
        uint64_t resyncs = 0;       // full dumps completed (the first one included)
        uint64_t overruns = 0;      // ENOBUFS on the notification socket
        uint64_t sink_refusals = 0; // routes the sink refused (KernelRouteTable::sink_refusals)
        uint64_t held_overflows = 0; // dumps whose held notifications passed kMaxHeldEvents
    };

    // `mirror_names`: Config::interfaces[i].name, by index i. Opens and subscribes the sockets
    // and sends the first dump request; throws std::runtime_error when netlink is unavailable.
    // `event_buffer_bytes`: the notification socket's buffer (tests make it small to provoke ENOBUFS);
    // `poll_time_us`: poll()'s time bound (tests lift it to see a burst taken by one poll).
    KernelRouteImporter(std::vector<std::string> mirror_names, RouteSink& sink,
                        int event_buffer_bytes = kEventBufferBytes, unsigned poll_time_us = kPollTimeUs);
    ~KernelRouteImporter();
    KernelRouteImporter(const KernelRouteImporter&) = delete;
    KernelRouteImporter& operator=(const KernelRouteImporter&) = delete;

    // Reads what is waiting, kReadsPerStep datagrams at a time over both sockets, until both are
    // empty, kMaxReadsPerPoll datagrams or kPollTimeUs have gone by; applies it and commits once.
    // Returns true when it did something (the control loop then does not sleep).
    bool poll();

    // The notification socket and the dump socket, for a poll()/epoll() of the control loop.
    int event_fd() const;
    int dump_fd() const;

    bool synchronised() const { return !dumping_ && resyncs_done_ > 0; }
    // For telemetry and dprouterctl; `imported`: the kernel routes the sink holds now.
    ImportFigures figures(uint64_t imported) const;
    const Stats& stats() const { return stats_; }
    std::size_t routes_held() const { return table_.routes_held(); }

    // One commit per poll, so a poll takes what a burst offers: a full-table burst of 64 routes a
    // commit (as before) cost the workers a copy swap and the control thread a grace period every
    // 64 routes, and left the importer seconds behind the kernel (docs/control-plane.md "In the
    // control loop"). The time bound keeps the control loop's other work (resolvers, control
    // socket) waiting at most that long, and is the most a change waits for its commit.
    static constexpr unsigned kReadsPerStep = 64;
    static constexpr unsigned kMaxReadsPerPoll = 16384;
    static constexpr unsigned kPollTimeUs = 5000;
    // Notifications read per recvmmsg, and the room for each (a route with 16 paths takes some
    // 400 bytes, a link a few KiB; a larger one is treated as lost: resync).
    static constexpr unsigned kEventBatch = 64;
    static constexpr std::size_t kEventSlotBytes = 16 * 1024;
    // Kernel socket buffer of the notification socket (SO_RCVBUFFORCE as root, else SO_RCVBUF up
    // to net.core.rmem_max): a BGP full-table burst fills small buffers at once.
    static constexpr int kEventBufferBytes = 32 << 20;
    // Reads that empty the notification socket after an overrun (a full 32 MiB buffer holds about
    // 50,000 route notifications); past this the kernel is outrunning the reader for good.
    static constexpr unsigned long kMaxDrainReads = 1000000;
    // Notifications held while a dump runs (a few hundred bytes each). Past this the held ones are
    // dropped and another dump follows the current one: memory stays bounded however fast the
    // kernel's table changes during a dump of a full table.
    static constexpr std::size_t kMaxHeldEvents = 262144;

private:
    enum class Stage : uint8_t { links, nexthops, routes4, routes6 };

    void start_resync();
    void drain_events();
    void send_dump_request();
    bool read_events(unsigned& budget, bool& changed);
    void apply_event(nl::Decoded&& d, bool& changed);
    void overrun(const char* why);  // notifications were lost: drain, then resynchronise
    bool read_dump(unsigned& budget, bool& changed);
    void finish_resync();
    void handle_effect(KernelRouteTable::Effect e, bool& changed);

    std::vector<std::string> mirror_names_;
    RouteSink& sink_;
    unsigned poll_time_us_;
    mnl_socket* events_ = nullptr;
    mnl_socket* dump_ = nullptr;
    std::vector<unsigned char> buf_;
    std::vector<unsigned char> batch_buf_;  // kEventBatch slots of kEventSlotBytes
    std::array<mmsghdr, kEventBatch> batch_msgs_{};
    std::array<iovec, kEventBatch> batch_iov_{};
    std::array<sockaddr_nl, kEventBatch> batch_from_{};
    KernelRouteTable table_;
    std::unique_ptr<KernelRouteTable> next_;    // being built from a dump
    std::deque<nl::Decoded> held_events_;       // notifications that arrived during the dump
    bool dumping_ = false;
    bool resync_again_ = false;
    bool held_overflow_ = false;  // held_events_ were dropped: this dump is stale, dump again
    Stage stage_ = Stage::links;
    uint32_t seq_ = 0;
    uint32_t dump_portid_ = 0;
    uint64_t resyncs_done_ = 0;
    uint64_t refusals_before_ = 0;  // sink refusals counted by tables replaced since
    Stats stats_;
};

}  // namespace dprouter
