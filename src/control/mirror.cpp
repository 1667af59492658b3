#include "control/mirror.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include <net/if.h>

#include <rte_arp.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_lcore.h>

#include "dprouter/log.hpp"

namespace dprouter {
namespace {

constexpr uint16_t kTapDesc = Mirror::kMbufsPerTap;
constexpr uint8_t kIcmp6NeighborAdvert = 136;
constexpr uint8_t kNaFlagSolicited = 0x40;

std::string read_sysctl(const std::string& path) {
    std::ifstream f(path);
    std::string v;
    if (!(f >> v)) return {};
    return v;
}

// /proc/sys/net is the network namespace of the process that opens it: the router's.
void write_sysctl(const std::string& path, const std::string& value) {
    std::ofstream f(path);
    f << value << '\n';
    f.flush();
    if (!f) throw std::runtime_error("mirror: cannot write " + value + " to " + path);
}

// Forwarding in the router's namespace, by sysctl name, or empty when it is off.
std::string forwarding_on() {
    if (read_sysctl("/proc/sys/net/ipv4/ip_forward") == "1") return "net.ipv4.ip_forward";
    if (read_sysctl("/proc/sys/net/ipv6/conf/all/forwarding") == "1") return "net.ipv6.conf.all.forwarding";
    return {};
}

std::string mac_text(const rte_ether_addr& mac) {
    char s[RTE_ETHER_ADDR_FMT_SIZE];
    rte_ether_format_addr(s, sizeof s, &mac);
    return s;
}

}  // namespace

bool mirror_name_ok(const std::string& name) {
    if (name.empty() || name.size() >= IFNAMSIZ || name == "." || name == "..") return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
               c == '.';
    });
}

bool mirror_frame_may_leave(const rte_mbuf* m) {
    if (rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN) return false;
    const auto* eth = rte_pktmbuf_mtod(m, const rte_ether_hdr*);
    if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP)) {
        // The kernel answers the copies of requests it gets; the dataplane already has.
        if (rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN + sizeof(rte_arp_hdr)) return false;
        const auto* arp = reinterpret_cast<const rte_arp_hdr*>(eth + 1);
        return arp->arp_opcode != RTE_BE16(RTE_ARP_OP_REPLY);
    }
    if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV6)) {
        // Likewise its solicited Neighbor Advertisements (RFC 4861 7.2.4). The kernel sends them with
        // no extension header; its unsolicited ones (S clear) may go.
        constexpr uint32_t kIcmpOff = RTE_ETHER_HDR_LEN + sizeof(rte_ipv6_hdr);
        if (rte_pktmbuf_data_len(m) < kIcmpOff + 5) return true;
        const auto* ip = reinterpret_cast<const rte_ipv6_hdr*>(eth + 1);
        const auto* icmp = rte_pktmbuf_mtod_offset(m, const uint8_t*, kIcmpOff);
        if (ip->proto == IPPROTO_ICMPV6 && icmp[0] == kIcmp6NeighborAdvert && (icmp[4] & kNaFlagSolicited) != 0)
            return false;
    }
    return true;
}

Mirror::Mirror(const Config& cfg, const std::vector<uint16_t>& port_of, const Tables& t, rte_mempool* pool)
    : pool_(pool) {
    std::fill(std::begin(tap_of_), std::end(tap_of_), kNoTap);
    // The kernel in this namespace never forwards: transit traffic is the dataplane's alone.
    if (const std::string on = forwarding_on(); !on.empty())
        throw std::runtime_error("control_plane.mirror: " + on +
                                 " is 1 in the router's network namespace; the kernel would forward beside the "
                                 "dataplane. Set it to 0 (sysctl -w " + on + "=0) and start again");
    try {
        for (size_t i = 0; i < cfg.interfaces.size(); ++i)
            create(cfg.interfaces[i], port_of[i], t.ifaces[port_of[i]], static_cast<unsigned>(i));
    } catch (...) {
        release();
        throw;
    }
}

Mirror::~Mirror() { release(); }

void Mirror::release() {
    for (Tap& tap : taps_) {
        if (tap.started) rte_eth_dev_stop(tap.port);
        rte_eth_dev_close(tap.port);  // the tap interface goes with its file descriptor
    }
    taps_.clear();
}

void Mirror::create(const InterfaceConfig& ic, uint16_t data_port, const InterfaceEntry& e, unsigned index) {
    if (!mirror_name_ok(ic.name))
        throw std::runtime_error("control_plane.mirror: interface name '" + ic.name +
                                 "' cannot name a Linux interface (1-15 letters, digits, '_', '-', '.')");
    if (if_nametoindex(ic.name.c_str()) != 0)
        throw std::runtime_error("control_plane.mirror: an interface named '" + ic.name +
                                 "' already exists in the router's network namespace");
    const std::string dev = "net_tap_mirror" + std::to_string(index);
    const std::string args = dev + ",iface=" + ic.name + ",mac=" + mac_text(e.mac);
    int rc = rte_dev_probe(args.c_str());
    if (rc < 0) throw std::runtime_error("mirror '" + ic.name + "': net_tap probe failed: " + rte_strerror(-rc));
    Tap tap;
    tap.name = ic.name;
    tap.data_port = data_port;
    tap.ipv6 = e.ipv6;
    tap.mtu = ic.mtu;
    if (rte_eth_dev_get_port_by_name(dev.c_str(), &tap.port) != 0)
        throw std::runtime_error("mirror '" + ic.name + "': no port after probe");
    taps_.push_back(tap);  // from here the destructor closes it
    Tap& t = taps_.back();
    t.ifindex = if_nametoindex(ic.name.c_str());
    if (t.ifindex == 0) throw std::runtime_error("mirror '" + ic.name + "': not found after creation");

    // Before the link comes up: no address of the kernel's own making, and the sysctls.
    try {
        nl_.disable_addr_gen(t.ifindex);
    } catch (const std::exception& ex) {
        if (t.ipv6) throw;
        DPR_LOG(NOTICE, "mirror '%s': %s\n", ic.name.c_str(), ex.what());
    }
    set_sysctls(t);

    rte_eth_conf conf{};
    rc = rte_eth_dev_configure(t.port, 1, 1, &conf);
    if (rc != 0) throw std::runtime_error("mirror '" + ic.name + "': configure: " + rte_strerror(-rc));
    const int socket = rte_eth_dev_socket_id(t.port);
    rc = rte_eth_rx_queue_setup(t.port, 0, kTapDesc, socket, nullptr, pool_);
    if (rc == 0) rc = rte_eth_tx_queue_setup(t.port, 0, kTapDesc, socket, nullptr);
    if (rc != 0) throw std::runtime_error("mirror '" + ic.name + "': queue setup: " + rte_strerror(-rc));
    rc = rte_eth_dev_start(t.port);
    if (rc != 0) throw std::runtime_error("mirror '" + ic.name + "': start: " + rte_strerror(-rc));
    t.started = true;

    nl_.set_mac_mtu(t.ifindex, e.mac, ic.mtu);
    nl_.set_up(t.ifindex, true);
    program_addresses(t, e);
    tap_of_[data_port] = static_cast<uint16_t>(taps_.size() - 1);
    DPR_LOG(INFO, "mirror %s: ifindex %u, %s, mtu %u, %u IPv4 and %u IPv6 addresses\n", ic.name.c_str(), t.ifindex,
            mac_text(e.mac).c_str(), ic.mtu, e.n_addrs, t.ipv6 ? e.n_addrs6 : 0u);
}

void Mirror::set_sysctls(const Tap& tap) {
    const std::string v4 = "/proc/sys/net/ipv4/conf/" + tap.name + "/";
    // The kernel never forwards what reaches it through a mirror (checked per arrival interface).
    write_sysctl(v4 + "forwarding", "0");
    // Its routing is the daemons' (and the dataplane redirects hosts itself).
    write_sysctl(v4 + "accept_redirects", "0");
    write_sysctl(v4 + "send_redirects", "0");
    // Punted packets may come from anywhere the dataplane routes: no reverse-path filter.
    write_sysctl(v4 + "rp_filter", "0");
    // Its own ARP requests name an address of the mirror they leave by (RFC 826 as the port does).
    write_sysctl(v4 + "arp_announce", "2");
    const std::string v6 = "/proc/sys/net/ipv6/conf/" + tap.name + "/";
    if (!tap.ipv6) {
        // RFC 8200 5: no IPv6 on a link below 1280 bytes; the kernel would refuse it anyway.
        if (read_sysctl(v6 + "disable_ipv6").empty()) return;  // IPv6 absent from this kernel
        write_sysctl(v6 + "disable_ipv6", "1");
        return;
    }
    write_sysctl(v6 + "forwarding", "0");
    write_sysctl(v6 + "accept_ra", "0");           // no router advertisements, so no SLAAC or default route
    write_sysctl(v6 + "autoconf", "0");
    write_sysctl(v6 + "router_solicitations", "0");
    write_sysctl(v6 + "accept_redirects", "0");
    write_sysctl(v6 + "accept_dad", "0");          // the addresses are the dataplane's, unique by configuration
    write_sysctl(v6 + "dad_transmits", "0");
    write_sysctl(v6 + "use_tempaddr", "0");
    write_sysctl(v6 + "disable_ipv6", "0");        // the namespace's default may have it off
}

std::vector<Mirror::Address> Mirror::addresses_of(const Tap& tap, const InterfaceEntry& e) {
    std::vector<Address> v;
    for (unsigned i = 0; i < e.n_addrs; ++i) {
        Address a{false, {}, static_cast<uint8_t>(std::popcount(e.mask_be[i]))};
        std::memcpy(a.bytes, &e.addr_be[i], 4);
        v.push_back(a);
    }
    if (tap.ipv6)
        for (unsigned i = 0; i < e.n_addrs6; ++i) {
            Address a{true, {}, e.plen6[i]};
            std::memcpy(a.bytes, e.addr6[i], 16);
            v.push_back(a);
        }
    return v;
}

// The mirror's addresses become the port's: the ones the router put there before and no longer
// configured go (addresses an operator added by hand stay), the configured ones are (re)placed.
void Mirror::program_addresses(Tap& tap, const InterfaceEntry& e) {
    std::vector<Address> want = addresses_of(tap, e);
    for (const Address& a : tap.programmed)
        if (std::find(want.begin(), want.end(), a) == want.end()) nl_.del_address(tap.ifindex, a.v6, a.bytes, a.plen);
    for (const Address& a : want) {
        if (a.v6)
            nl_.add_address6(tap.ifindex, a.bytes, a.plen);
        else {
            uint32_t be;
            std::memcpy(&be, a.bytes, 4);
            nl_.add_address4(tap.ifindex, be, a.plen);
        }
    }
    tap.programmed = std::move(want);
}

void Mirror::apply(const Config& cfg, const Tables& t) {
    for (Tap& tap : taps_) {
        const InterfaceEntry& e = t.ifaces[tap.data_port];
        for (const auto& ic : cfg.interfaces)
            if (ic.name == tap.name) {
                nl_.set_mac_mtu(tap.ifindex, e.mac, ic.mtu);
                tap.mtu = ic.mtu;
            }
        program_addresses(tap, e);
    }
}

bool Mirror::to_kernel(const std::vector<WorkerContext*>& workers) {
    bool moved = false;
    for (WorkerContext* ctx : workers) {
        rte_mbuf* pkts[kPerWorker];
        const unsigned n =
            rte_ring_sc_dequeue_burst(ctx->punt_ring, reinterpret_cast<void**>(pkts), kPerWorker, nullptr);
        moved |= n != 0;
        // Runs of frames for the same mirror go to it in one burst.
        for (unsigned i = 0; i < n;) {
            const uint16_t data_port = pkts[i]->port;
            unsigned j = i + 1;
            while (j < n && pkts[j]->port == data_port) ++j;
            const uint16_t k = static_cast<uint16_t>(j - i);
            const uint16_t tap = data_port < kMaxPorts ? tap_of_[data_port] : kNoTap;
            const uint16_t sent = tap == kNoTap ? 0 : rte_eth_tx_burst(taps_[tap].port, 0, pkts + i, k);
            stats_.to_kernel += sent;
            if (sent < k) {
                stats_.to_kernel_dropped += k - sent;
                rte_pktmbuf_free_bulk(pkts + i + sent, k - sent);
            }
            i = j;
        }
    }
    return moved;
}

bool Mirror::from_kernel(std::vector<rte_mbuf*>& out) {
    bool read = false;
    for (const Tap& tap : taps_) {
        rte_mbuf* pkts[kPerTap];
        const uint16_t n = rte_eth_rx_burst(tap.port, 0, pkts, kPerTap);
        read |= n != 0;
        for (uint16_t i = 0; i < n; ++i) {
            rte_mbuf* m = pkts[i];
            if (!mirror_frame_may_leave(m)) {
                ++stats_.from_kernel_filtered;
                rte_pktmbuf_free(m);
                continue;
            }
            if (rte_pktmbuf_pkt_len(m) > tap.mtu + RTE_ETHER_HDR_LEN) {  // the port would refuse or cut it
                ++stats_.from_kernel_too_big;
                rte_pktmbuf_free(m);
                continue;
            }
            m->port = tap.data_port;
            m->ol_flags = 0;
            out.push_back(m);
            ++stats_.from_kernel;
        }
    }
    return read;
}

void Mirror::watch_forwarding() {
    const std::string on = forwarding_on();
    if (on.empty()) {
        warned_forwarding_ = false;
        return;
    }
    if (!warned_forwarding_)
        DPR_LOG(ERR,
                "control_plane.mirror: %s was set to 1 in the router's network namespace; the mirrors keep "
                "forwarding off, set it back to 0\n",
                on.c_str());
    warned_forwarding_ = true;
    for (const Tap& tap : taps_) {
        try {
            write_sysctl("/proc/sys/net/ipv4/conf/" + tap.name + "/forwarding", "0");
            if (tap.ipv6) write_sysctl("/proc/sys/net/ipv6/conf/" + tap.name + "/forwarding", "0");
        } catch (const std::exception& ex) {
            DPR_LOG(ERR, "%s\n", ex.what());
        }
    }
}

}  // namespace dprouter
