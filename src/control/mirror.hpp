// Kernel mirror interfaces (control_plane.mirror, docs/control-plane.md): one net_tap port per
// router port, named after the interface, with the port's MAC, MTU and addresses, in the router's
// network namespace. The control thread moves what the workers punt into the taps, and what the
// kernel sends out of a tap to worker 0's inject ring, which transmits it on the port.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "control/mirror_netlink.hpp"
#include "dprouter/config.hpp"
#include "dprouter/limits.hpp"
#include "dprouter/pipeline.hpp"
#include "dprouter/tables.hpp"

namespace dprouter {

struct MirrorStats {
    uint64_t to_kernel = 0;             // punted frames written to a mirror
    uint64_t to_kernel_dropped = 0;     // refused by the tap (the kernel's queue is full)
    uint64_t from_kernel = 0;           // frames the kernel sent, handed to the port
    uint64_t from_kernel_filtered = 0;  // its ARP replies and solicited advertisements: the dataplane's job
    uint64_t from_kernel_too_big = 0;   // beyond the port's MTU (someone changed the mirror's MTU by hand)
};

// The frames the kernel may send through the port: everything but its answers to the ARP requests
// and neighbour solicitations it got copies of (the dataplane has answered them already), and
// frames too short to be Ethernet.
bool mirror_frame_may_leave(const rte_mbuf* m);

// Whether `name` can name a Linux interface (IFNAMSIZ, no '/', ':', ',', '=' or blanks).
bool mirror_name_ok(const std::string& name);

class Mirror {
public:
    // Creates and programs one mirror per configured interface; `port_of` maps config interface
    // index to DPDK port, `t` gives the addresses as the dataplane owns them (link-local included).
    // Refuses (std::runtime_error) when the namespace forwards (net.ipv4.ip_forward or
    // net.ipv6.conf.all.forwarding is 1), or a name is taken or unusable.
    // The taps receive into `pool` (the ports' pool: frames from the kernel then leave by a port as
    // any of the router's own do; kMbufsPerTap of it stay with each tap's receive ring).
    Mirror(const Config& cfg, const std::vector<uint16_t>& port_of, const Tables& t, rte_mempool* pool);
    ~Mirror();
    Mirror(const Mirror&) = delete;
    Mirror& operator=(const Mirror&) = delete;

    // Punted frames from every worker's ring into the mirrors, at most kPerWorker per worker.
    // Returns whether it moved anything.
    bool to_kernel(const std::vector<WorkerContext*>& workers);
    // What the kernel sent, at most kPerTap frames per mirror, appended to `out` with m->port the
    // data port. Returns whether it read anything.
    bool from_kernel(std::vector<rte_mbuf*>& out);
    // Reload: MTU and addresses follow the configuration (addresses no longer configured are removed
    // from the mirror too).
    void apply(const Config& cfg, const Tables& t);
    // Once a second or so: warns when the namespace started forwarding, and keeps the mirrors'
    // own IPv4 forwarding off (a write to net.ipv4.ip_forward turns it on for every interface).
    void watch_forwarding();

    const MirrorStats& stats() const { return stats_; }

    static constexpr unsigned kPerWorker = 256;
    static constexpr unsigned kPerTap = 64;
    static constexpr uint16_t kMbufsPerTap = 1024;

private:
    struct Address {
        bool v6;
        uint8_t bytes[16];  // network order; IPv4 in the first 4
        uint8_t plen;
        bool operator==(const Address& o) const {
            return v6 == o.v6 && plen == o.plen && std::memcmp(bytes, o.bytes, v6 ? 16 : 4) == 0;
        }
    };
    struct Tap {
        std::string name;
        uint16_t port = 0;       // the tap's DPDK port
        uint16_t data_port = 0;  // the router port it mirrors
        unsigned ifindex = 0;
        unsigned mtu = 1500;     // the port's: the longest IP packet the kernel may send through it
        bool ipv6 = false;
        bool started = false;
        std::vector<Address> programmed;  // what program_addresses put on it
    };

    void create(const InterfaceConfig& ic, uint16_t data_port, const InterfaceEntry& e, unsigned index);
    void release();
    static std::vector<Address> addresses_of(const Tap& tap, const InterfaceEntry& e);
    void program_addresses(Tap& tap, const InterfaceEntry& e);
    void set_sysctls(const Tap& tap);

    std::vector<Tap> taps_;
    uint16_t tap_of_[kMaxPorts];  // data port -> index in taps_, kNoTap when none
    static constexpr uint16_t kNoTap = 0xffff;
    rte_mempool* pool_ = nullptr;
    LinkProgrammer nl_;
    MirrorStats stats_;
    bool warned_forwarding_ = false;
};

}  // namespace dprouter
