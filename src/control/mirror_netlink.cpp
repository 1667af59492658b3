#include "control/mirror_netlink.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <vector>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

namespace dprouter {
namespace {

nlmsghdr* start(char* buf, uint16_t type, uint16_t flags, uint32_t seq) {
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    nlh->nlmsg_seq = seq;
    return nlh;
}

ifinfomsg* link_header(nlmsghdr* nlh, unsigned ifindex) {
    auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = static_cast<int>(ifindex);
    return ifi;
}

}  // namespace

LinkProgrammer::LinkProgrammer() {
    nl_ = mnl_socket_open(NETLINK_ROUTE);
    if (nl_ == nullptr) throw std::runtime_error(std::string("netlink socket: ") + std::strerror(errno));
    if (mnl_socket_bind(nl_, 0, MNL_SOCKET_AUTOPID) < 0) {
        const int e = errno;
        mnl_socket_close(nl_);
        nl_ = nullptr;
        throw std::runtime_error(std::string("netlink bind: ") + std::strerror(e));
    }
    portid_ = mnl_socket_get_portid(nl_);
    seq_ = static_cast<uint32_t>(std::time(nullptr));
}

LinkProgrammer::~LinkProgrammer() {
    if (nl_ != nullptr) mnl_socket_close(nl_);
}

void LinkProgrammer::request(nlmsghdr* nlh, const std::string& what, int tolerated_errno) {
    if (mnl_socket_sendto(nl_, nlh, nlh->nlmsg_len) < 0)
        throw std::runtime_error(what + ": netlink send: " + std::strerror(errno));
    std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
    const uint32_t seq = nlh->nlmsg_seq;
    for (;;) {
        const ssize_t n = mnl_socket_recvfrom(nl_, buf.data(), buf.size());
        if (n < 0) throw std::runtime_error(what + ": netlink receive: " + std::strerror(errno));
        // The acknowledgement is an NLMSG_ERROR with error 0; mnl_cb_run turns a non-zero one into
        // -1 with errno set, and returns MNL_CB_STOP (0) at the acknowledgement.
        const int rc = mnl_cb_run(buf.data(), static_cast<size_t>(n), seq, portid_, nullptr, nullptr);
        if (rc < 0 && tolerated_errno != 0 && errno == tolerated_errno) return;
        if (rc < 0) throw std::runtime_error(what + ": " + std::strerror(errno));
        if (rc == MNL_CB_STOP) return;
    }
}

void LinkProgrammer::set_mac_mtu(unsigned ifindex, const rte_ether_addr& mac, unsigned mtu) {
    char buf[MNL_SOCKET_BUFFER_SIZE];
    nlmsghdr* nlh = start(buf, RTM_NEWLINK, 0, ++seq_);
    link_header(nlh, ifindex);
    mnl_attr_put(nlh, IFLA_ADDRESS, RTE_ETHER_ADDR_LEN, mac.addr_bytes);
    mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
    request(nlh, "set MAC and MTU of interface " + std::to_string(ifindex));
}

void LinkProgrammer::set_up(unsigned ifindex, bool up) {
    char buf[MNL_SOCKET_BUFFER_SIZE];
    nlmsghdr* nlh = start(buf, RTM_NEWLINK, 0, ++seq_);
    ifinfomsg* ifi = link_header(nlh, ifindex);
    ifi->ifi_change = IFF_UP;
    ifi->ifi_flags = up ? IFF_UP : 0;
    request(nlh, "set link state of interface " + std::to_string(ifindex));
}

void LinkProgrammer::disable_addr_gen(unsigned ifindex) {
    char buf[MNL_SOCKET_BUFFER_SIZE];
    nlmsghdr* nlh = start(buf, RTM_NEWLINK, 0, ++seq_);
    link_header(nlh, ifindex);
    nlattr* spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
    nlattr* inet6 = mnl_attr_nest_start(nlh, AF_INET6);
    mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
    mnl_attr_nest_end(nlh, inet6);
    mnl_attr_nest_end(nlh, spec);
    request(nlh, "turn off IPv6 address generation on interface " + std::to_string(ifindex));
}

void LinkProgrammer::add_address4(unsigned ifindex, uint32_t addr_be, unsigned prefix_len) {
    char buf[MNL_SOCKET_BUFFER_SIZE];
    nlmsghdr* nlh = start(buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, ++seq_);
    auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
    ifa->ifa_family = AF_INET;
    ifa->ifa_prefixlen = static_cast<uint8_t>(prefix_len);
    ifa->ifa_scope = RT_SCOPE_UNIVERSE;
    ifa->ifa_index = ifindex;
    mnl_attr_put_u32(nlh, IFA_LOCAL, addr_be);
    mnl_attr_put_u32(nlh, IFA_ADDRESS, addr_be);
    if (prefix_len < 31) {  // the subnet's broadcast address, as `ip addr add ... brd +` gives it
        const uint32_t host_mask = prefix_len == 0 ? 0xffffffffu : (uint32_t{1} << (32 - prefix_len)) - 1;
        mnl_attr_put_u32(nlh, IFA_BROADCAST, addr_be | htonl(host_mask));
    }
    request(nlh, "add an IPv4 address to interface " + std::to_string(ifindex));
}

void LinkProgrammer::add_address6(unsigned ifindex, const uint8_t* addr, unsigned prefix_len) {
    char buf[MNL_SOCKET_BUFFER_SIZE];
    nlmsghdr* nlh = start(buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, ++seq_);
    auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
    ifa->ifa_family = AF_INET6;
    ifa->ifa_prefixlen = static_cast<uint8_t>(prefix_len);
    const bool link_local = addr[0] == 0xfe && (addr[1] & 0xc0) == 0x80;
    ifa->ifa_scope = link_local ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
    ifa->ifa_flags = IFA_F_NODAD | IFA_F_PERMANENT;
    ifa->ifa_index = ifindex;
    mnl_attr_put(nlh, IFA_LOCAL, 16, addr);
    mnl_attr_put(nlh, IFA_ADDRESS, 16, addr);
    mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD | IFA_F_PERMANENT);
    request(nlh, "add an IPv6 address to interface " + std::to_string(ifindex));
}

void LinkProgrammer::del_address(unsigned ifindex, bool v6, const uint8_t* addr, unsigned prefix_len) {
    char buf[MNL_SOCKET_BUFFER_SIZE];
    nlmsghdr* nlh = start(buf, RTM_DELADDR, 0, ++seq_);
    auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
    ifa->ifa_family = v6 ? AF_INET6 : AF_INET;
    ifa->ifa_prefixlen = static_cast<uint8_t>(prefix_len);
    ifa->ifa_index = ifindex;
    mnl_attr_put(nlh, IFA_LOCAL, v6 ? 16 : 4, addr);
    mnl_attr_put(nlh, IFA_ADDRESS, v6 ? 16 : 4, addr);
    request(nlh, "remove an address from interface " + std::to_string(ifindex), EADDRNOTAVAIL);
}

}  // namespace dprouter
