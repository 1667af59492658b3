// rtnetlink requests (libmnl) that give a mirror interface the port's identity: MAC, MTU, link
// state, addresses of both families, and no IPv6 address the kernel would invent by itself.
// Control thread only; every request waits for the kernel's acknowledgement and throws
// std::runtime_error with the kernel's reason when it is refused.
#pragma once

#include <cstdint>
#include <string>

#include <rte_ether.h>

struct mnl_socket;
struct nlmsghdr;

namespace dprouter {

class LinkProgrammer {
public:
    LinkProgrammer();
    ~LinkProgrammer();
    LinkProgrammer(const LinkProgrammer&) = delete;
    LinkProgrammer& operator=(const LinkProgrammer&) = delete;

    // RTM_NEWLINK on an existing link: MAC and MTU.
    void set_mac_mtu(unsigned ifindex, const rte_ether_addr& mac, unsigned mtu);
    // Administrative state (IFF_UP).
    void set_up(unsigned ifindex, bool up);
    // IFLA_INET6_ADDR_GEN_MODE none: no link-local address derived by the kernel when the link comes
    // up; the mirror gets the port's own (configured, or EUI-64 of the port's MAC) instead.
    void disable_addr_gen(unsigned ifindex);
    // RTM_NEWADDR, replacing an equal address; IPv6 ones without DAD (the dataplane owns them).
    void add_address4(unsigned ifindex, uint32_t addr_be, unsigned prefix_len);
    void add_address6(unsigned ifindex, const uint8_t* addr, unsigned prefix_len);
    // RTM_DELADDR; an address already gone is not an error.
    void del_address(unsigned ifindex, bool v6, const uint8_t* addr, unsigned prefix_len);

private:
    void request(nlmsghdr* nlh, const std::string& what, int tolerated_errno = 0);

    mnl_socket* nl_ = nullptr;
    unsigned portid_ = 0;
    uint32_t seq_ = 0;
};

}  // namespace dprouter
