#include "control/kernel_routes.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include <libmnl/libmnl.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "control/kernel_routes_apply.hpp"
#include "dprouter/log.hpp"

namespace dprouter {
namespace {

// Dumps come in datagrams of up to 32 KiB when the reader offers that much (the kernel sizes
// them by the reader's last buffer); notifications are one message each, far smaller.
constexpr std::size_t kRecvBufferBytes = 64 * 1024;

mnl_socket* open_socket() {
    mnl_socket* s = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (!s) throw std::runtime_error(std::string("netlink socket: ") + std::strerror(errno));
    if (mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0) {
        const int e = errno;
        mnl_socket_close(s);
        throw std::runtime_error(std::string("netlink bind: ") + std::strerror(e));
    }
    return s;
}

// One datagram from the kernel (sender port id 0), or -1 with errno (EAGAIN: nothing waiting,
// ENOBUFS: notifications were lost, EMSGSIZE: a datagram larger than the buffer was cut).
ssize_t receive(mnl_socket* s, unsigned char* buf, std::size_t len) {
    for (;;) {
        sockaddr_nl from{};
        iovec iov{buf, len};
        msghdr msg{};
        msg.msg_name = &from;
        msg.msg_namelen = sizeof from;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        const ssize_t n = recvmsg(mnl_socket_get_fd(s), &msg, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (msg.msg_flags & MSG_TRUNC) {
            errno = EMSGSIZE;
            return -1;
        }
        if (msg.msg_namelen != sizeof from || from.nl_pid != 0) continue;  // not the kernel's: ignore
        return n;
    }
}

bool is_state(const nl::Decoded& d) {
    return std::holds_alternative<nl::KernelRoute>(d) || std::holds_alternative<nl::KernelNexthop>(d) ||
           std::holds_alternative<nl::KernelLink>(d);
}

}  // namespace

KernelRouteImporter::KernelRouteImporter(std::vector<std::string> mirror_names, RouteSink& sink,
                                         int event_buffer_bytes, unsigned poll_time_us)
    : mirror_names_(std::move(mirror_names)), sink_(sink), poll_time_us_(poll_time_us), buf_(kRecvBufferBytes),
      batch_buf_(kEventBatch * kEventSlotBytes), table_(mirror_names_) {
    events_ = open_socket();
    try {
        const int groups[] = {RTNLGRP_LINK, RTNLGRP_NEXTHOP, RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE};
        for (int g : groups)
            if (mnl_socket_setsockopt(events_, NETLINK_ADD_MEMBERSHIP, &g, sizeof g) < 0)
                throw std::runtime_error("netlink group " + std::to_string(g) + ": " + std::strerror(errno));
        // Not NETLINK_NO_ENOBUFS: a lost notification must be known, so that a resync repairs it.
        const int bytes = event_buffer_bytes;
        const int fd = mnl_socket_get_fd(events_);
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) < 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
        start_resync();
    } catch (...) {
        if (dump_) mnl_socket_close(dump_);
        mnl_socket_close(events_);
        throw;
    }
}

KernelRouteImporter::~KernelRouteImporter() {
    if (dump_) mnl_socket_close(dump_);
    if (events_) mnl_socket_close(events_);
}

ImportFigures KernelRouteImporter::figures(uint64_t imported) const {
    ImportFigures f;
    f.enabled = true;
    f.synchronised = synchronised();
    f.routes_imported = imported;
    f.routes_refused = stats_.sink_refusals;
    f.kernel_routes = table_.routes_held() + table_.routes_behind();
    f.notifications = stats_.notifications;
    f.resyncs = stats_.resyncs;
    f.overruns = stats_.overruns;
    f.malformed = stats_.refused;
    f.held_overflows = stats_.held_overflows;
    return f;
}

int KernelRouteImporter::event_fd() const { return mnl_socket_get_fd(events_); }
int KernelRouteImporter::dump_fd() const { return dump_ ? mnl_socket_get_fd(dump_) : -1; }

void KernelRouteImporter::start_resync() {
    // A fresh dump socket: the kernel refuses a second dump on a socket whose first still runs.
    if (dump_) mnl_socket_close(dump_);
    dump_ = nullptr;
    dump_ = open_socket();
    dump_portid_ = mnl_socket_get_portid(dump_);
    dumping_ = true;
    resync_again_ = false;
    next_ = std::make_unique<KernelRouteTable>(mirror_names_);
    held_events_.clear();
    held_overflow_ = false;
    stage_ = Stage::links;
    send_dump_request();
}

void KernelRouteImporter::send_dump_request() {
    unsigned char req[128] = {};
    nlmsghdr* m = mnl_nlmsg_put_header(req);
    m->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    m->nlmsg_seq = ++seq_;
    switch (stage_) {
    case Stage::links: {
        m->nlmsg_type = RTM_GETLINK;
        auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(m, sizeof(ifinfomsg)));
        ifi->ifi_family = AF_UNSPEC;
        break;
    }
    case Stage::nexthops: {
        m->nlmsg_type = RTM_GETNEXTHOP;
        auto* nh = static_cast<nhmsg*>(mnl_nlmsg_put_extra_header(m, sizeof(nhmsg)));
        nh->nh_family = AF_UNSPEC;
        break;
    }
    case Stage::routes4:
    case Stage::routes6: {
        m->nlmsg_type = RTM_GETROUTE;
        auto* rt = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(m, sizeof(rtmsg)));
        rt->rtm_family = stage_ == Stage::routes4 ? AF_INET : AF_INET6;
        break;
    }
    }
    if (mnl_socket_sendto(dump_, m, m->nlmsg_len) < 0)
        throw std::runtime_error(std::string("netlink dump request: ") + std::strerror(errno));
}

void KernelRouteImporter::handle_effect(KernelRouteTable::Effect e, bool& changed) {
    switch (e) {
    case KernelRouteTable::Effect::none: break;
    case KernelRouteTable::Effect::recompute_all:
        if (!sink_.replace_origin(RouteOrigin::kernel, table_.imported()).empty()) {
            resync_again_ = true;  // retried through a full resync below
            if (!dumping_) start_resync();
        }
        changed = true;
        break;
    case KernelRouteTable::Effect::resync:
        if (dumping_) resync_again_ = true;
        else start_resync();
        break;
    }
}

void KernelRouteImporter::drain_events() {
    // After reporting ENOBUFS once, the kernel keeps dropping this socket's notifications, without
    // another error, until its queue has been emptied (netlink's "congested" state). Whatever is
    // queued or dropped until then happened before the dump that follows, so it is read and
    // discarded here; notifications after it are delivered again and held for the dump.
    for (unsigned long n = 0; n < kMaxDrainReads; ++n)
        if (receive(events_, buf_.data(), buf_.size()) < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
}

void KernelRouteImporter::apply_event(nl::Decoded&& d, bool& changed) {
    ++stats_.messages;
    if (std::holds_alternative<nl::Refused>(d)) {
        ++stats_.refused;
        DPR_LOG(DEBUG, "kernel route import: message refused: %s\n", std::get<nl::Refused>(d).reason.c_str());
        return;
    }
    if (!is_state(d)) return;
    ++stats_.notifications;
    if (dumping_) {
        if (held_overflow_) return;  // another dump follows this one
        if (held_events_.size() >= kMaxHeldEvents) {
            held_events_.clear();
            held_overflow_ = true;
            resync_again_ = true;
            ++stats_.held_overflows;
            return;
        }
        held_events_.push_back(std::move(d));
        return;
    }
    handle_effect(table_.apply(d, &sink_), changed);
    changed = true;
}

bool KernelRouteImporter::read_events(unsigned& budget, bool& changed) {
    // Notifications are one message per datagram: up to kEventBatch of them in one recvmmsg
    // (a full-table burst is a million datagrams; one system call each would be most of the cost).
    bool did = false;
    const int fd = mnl_socket_get_fd(events_);
    while (budget > 0) {
        const unsigned want = std::min(budget, kEventBatch);
        for (unsigned i = 0; i < want; ++i) {
            batch_iov_[i] = {batch_buf_.data() + std::size_t{i} * kEventSlotBytes, kEventSlotBytes};
            batch_msgs_[i] = {};
            batch_msgs_[i].msg_hdr.msg_name = &batch_from_[i];
            batch_msgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_nl);
            batch_msgs_[i].msg_hdr.msg_iov = &batch_iov_[i];
            batch_msgs_[i].msg_hdr.msg_iovlen = 1;
        }
        const int n = recvmmsg(fd, batch_msgs_.data(), want, MSG_DONTWAIT, nullptr);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            --budget;
            did = true;
            if (errno == ENOBUFS) {
                overrun("notifications lost (ENOBUFS)");
                continue;
            }
            DPR_LOG(ERR, "kernel route import: %s\n", std::strerror(errno));
            break;
        }
        if (n == 0) break;
        did = true;
        budget -= std::min<unsigned>(budget, static_cast<unsigned>(n));
        for (int i = 0; i < n; ++i) {
            const msghdr& h = batch_msgs_[i].msg_hdr;
            if (h.msg_flags & MSG_TRUNC) {
                // A notification larger than a slot: it is lost, as with ENOBUFS. The datagrams
                // after it in this batch are older than the dump that follows: dropped with it.
                overrun("a notification larger than the buffer");
                break;
            }
            if (h.msg_namelen != sizeof(sockaddr_nl) || batch_from_[i].nl_pid != 0) continue;  // not the kernel's
            const std::size_t rest = nl::decode_buffer(batch_buf_.data() + static_cast<std::size_t>(i) * kEventSlotBytes,
                                                       batch_msgs_[i].msg_len,
                                                       [&](const nlmsghdr&, nl::Decoded&& d) { apply_event(std::move(d), changed); });
            if (rest != 0) ++stats_.refused;
        }
    }
    return did;
}

void KernelRouteImporter::overrun(const char* why) {
    ++stats_.overruns;
    DPR_LOG(WARNING, "kernel route import: %s, resynchronising\n", why);
    drain_events();
    start_resync();
}

bool KernelRouteImporter::read_dump(unsigned& budget, bool& changed) {
    bool did = false;
    while (dumping_ && budget > 0) {
        const ssize_t n = receive(dump_, buf_.data(), buf_.size());
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            --budget;
            DPR_LOG(WARNING, "kernel route import: dump: %s, starting over\n", std::strerror(errno));
            start_resync();
            return true;
        }
        --budget;
        did = true;
        bool restart = false, stage_done = false;
        nl::decode_buffer(buf_.data(), static_cast<std::size_t>(n), [&](const nlmsghdr& h, nl::Decoded&& d) {
            if (restart || stage_done || h.nlmsg_seq != seq_ || h.nlmsg_pid != dump_portid_) return;
            if (h.nlmsg_flags & NLM_F_DUMP_INTR) {
                restart = true;  // the table changed under the dump: it may have missed entries
                return;
            }
            ++stats_.messages;
            if (std::holds_alternative<nl::DumpDone>(d)) {
                stage_done = true;
            } else if (const auto* e = std::get_if<nl::NetlinkError>(&d)) {
                if (e->error == 0) return;  // an acknowledgement: not asked for, nothing to do
                if (stage_ == Stage::nexthops && (e->error == -EINVAL || e->error == -EOPNOTSUPP)) {
                    stage_done = true;  // a kernel without nexthop objects
                } else {
                    DPR_LOG(WARNING, "kernel route import: dump refused: %s\n", std::strerror(-e->error));
                    restart = true;
                }
            } else if (std::holds_alternative<nl::Refused>(d)) {
                ++stats_.refused;
            } else if (is_state(d)) {
                if (next_->apply(d, nullptr) == KernelRouteTable::Effect::resync) resync_again_ = true;
            }
        });
        if (restart) {
            start_resync();
            return true;
        }
        if (stage_done) {
            switch (stage_) {
            case Stage::links: stage_ = Stage::nexthops; break;
            case Stage::nexthops: stage_ = Stage::routes4; break;
            case Stage::routes4: stage_ = Stage::routes6; break;
            case Stage::routes6: finish_resync(); changed = true; return true;
            }
            send_dump_request();
        }
    }
    return did;
}

void KernelRouteImporter::finish_resync() {
    for (const nl::Decoded& d : held_events_)
        if (next_->apply(d, nullptr) == KernelRouteTable::Effect::resync) resync_again_ = true;
    held_events_.clear();
    refusals_before_ += table_.sink_refusals();
    table_ = std::move(*next_);
    next_.reset();
    dumping_ = false;
    ++resyncs_done_;
    ++stats_.resyncs;
    std::vector<Route> all = table_.imported();
    std::string why = sink_.replace_origin(RouteOrigin::kernel, all);
    if (!why.empty()) {
        // One route the FIB cannot take (a full table, a gateway no interface reaches) must not
        // keep the others out: what the sink holds is brought to the set route by route, the
        // ones it refuses are counted (kernel_routes_apply.cpp).
        DPR_LOG(WARNING, "kernel route import: %s; installing routes one by one\n", why.c_str());
        refusals_before_ += apply_one_by_one(sink_, all);
    }
    DPR_LOG(INFO, "kernel route import: %zu routes imported (%zu kernel routes held)\n", all.size(),
            table_.routes_held());
    if (resync_again_) start_resync();
}

bool KernelRouteImporter::poll() {
    bool changed = false, did = false;
    try {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(poll_time_us_);
        for (unsigned reads = 0; reads < kMaxReadsPerPoll;) {
            unsigned budget = kReadsPerStep;
            bool step = false;
            if (dumping_) step |= read_dump(budget, changed);
            step |= read_events(budget, changed);
            did |= step;
            reads += kReadsPerStep - budget;
            // Budget left over: both sockets are empty (or a dump restarted): nothing more to take now.
            if (!step || budget != 0 || std::chrono::steady_clock::now() >= deadline) break;
        }
    } catch (const std::exception& e) {
        // Never out of the control loop: the next poll starts over from a dump.
        DPR_LOG(ERR, "kernel route import: %s; resynchronising\n", e.what());
        try {
            start_resync();
        } catch (const std::exception& e2) {
            DPR_LOG(ERR, "kernel route import: %s\n", e2.what());
            dumping_ = false;
        }
        did = true;
    }
    stats_.sink_refusals = refusals_before_ + table_.sink_refusals();
    if (changed) sink_.commit();
    return did;
}

}  // namespace dprouter
