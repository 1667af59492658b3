// Decoding of rtnetlink messages (routes, nexthop objects, links) into plain structs: pure functions
// over a byte buffer, no socket, so that the unit tests can feed them crafted and hostile messages.
//
// Attribute walking and length checks go through libmnl (mnl_attr_ok, mnl_attr_validate2); a
// message whose attributes overrun it, or whose fixed header or attribute payloads have the wrong
// size, is refused with the reason and nothing of it is used. Understood messages that are not for
// the dataplane (other tables, the kernel's own connected routes, local/broadcast/multicast types,
// cloned entries) are skipped with the reason. Nothing here throws on bad input.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

struct nlmsghdr;

namespace dprouter::nl {

// One way out of a route: inline (RTA_GATEWAY/RTA_VIA + RTA_OIF, or an rtnexthop of RTA_MULTIPATH)
// or from a nexthop object.
struct Path {
    uint8_t gateway_family = 0;  // 0: no gateway; AF_INET / AF_INET6 (RTA_VIA may differ from the route's)
    std::array<uint8_t, 16> gateway{};  // network order; the first 4 bytes for AF_INET
    uint32_t oif = 0;                   // kernel ifindex; 0: none
    uint8_t flags = 0;                  // RTNH_F_* (RTNH_F_DEAD: not usable)
    uint16_t weight = 1;                // rtnh_hops + 1 (`ip route ... nexthop via A weight 3`); 1 for a single path
    friend bool operator==(const Path&, const Path&) = default;
};

enum class RouteKind : uint8_t { unicast, blackhole, unreachable, prohibit };

// RTM_NEWROUTE / RTM_DELROUTE of the main table, of a type the dataplane can hold.
struct KernelRoute {
    bool del = false;
    uint16_t nlmsg_flags = 0;  // NLM_F_REPLACE / NLM_F_APPEND / NLM_F_CREATE as the kernel sent them
    uint8_t family = 0;        // AF_INET or AF_INET6
    std::array<uint8_t, 16> dst{};  // network order, host bits cleared
    uint8_t dst_len = 0;
    uint8_t protocol = 0;  // rtm_protocol
    RouteKind kind = RouteKind::unicast;
    uint32_t priority = 0;  // RTA_PRIORITY (the metric); part of the kernel's key for a route
    uint32_t nh_id = 0;     // RTA_NH_ID; 0: paths are inline
    std::vector<Path> paths;  // inline paths (empty with nh_id, for non-unicast kinds, or none given)
};

// RTM_NEWNEXTHOP / RTM_DELNEXTHOP.
struct GroupMember {
    uint32_t id = 0;
    uint16_t weight = 1;  // nexthop_grp.weight + 1, as `ip nexthop` shows it
    friend bool operator==(const GroupMember&, const GroupMember&) = default;
};

struct KernelNexthop {
    bool del = false;
    uint32_t id = 0;
    uint8_t family = 0;     // nh_family: AF_INET, AF_INET6, AF_UNSPEC (groups, blackholes)
    uint8_t protocol = 0;   // nh_protocol
    bool blackhole = false;
    bool dead = false;      // RTNH_F_DEAD in nh_flags
    Path path;              // gateway and oif of a single nexthop
    std::vector<GroupMember> group;  // non-empty: a group (multipath) of other nexthop ids
};

// RTM_NEWLINK / RTM_DELLINK: the ifindex <-> name map the importer needs.
struct KernelLink {
    bool del = false;
    uint32_t index = 0;
    std::string name;  // empty when the message carried none
    uint32_t flags = 0;  // ifi_flags (IFF_UP, ...)
};

struct Skipped {
    std::string reason;
};
struct Refused {
    std::string reason;
};
struct DumpDone {};
struct NetlinkError {
    int error = 0;  // negative errno, 0 for an acknowledgement
};

using Decoded = std::variant<Skipped, Refused, KernelRoute, KernelNexthop, KernelLink, DumpDone, NetlinkError>;

// Bounds of what one message may carry; more is refused (the kernel itself sends far less).
inline constexpr std::size_t kMaxPathsPerMessage = 512;
inline constexpr std::size_t kMaxGroupMembers = 512;

// Decodes one message of `len` bytes at `msg` (len >= nlmsg_len is checked here; the message may
// be followed by others).
Decoded decode_message(const nlmsghdr* msg, std::size_t len);

// Walks a buffer as received from a netlink socket, calling `fn(const nlmsghdr&, Decoded&&)` for
// each whole message. Returns the number of trailing bytes that did not form a whole message (0
// for a well-formed buffer); the caller treats a non-zero value as a damaged read.
template <typename Fn>
std::size_t decode_buffer(const void* buf, std::size_t len, Fn&& fn);

// Non-template part of decode_buffer: the next whole message at `buf` of `remaining` bytes, or null.
const nlmsghdr* next_message(const void* buf, std::size_t remaining);
std::size_t message_span(const nlmsghdr* m);  // NLMSG_ALIGN(nlmsg_len), at most what is left

template <typename Fn>
std::size_t decode_buffer(const void* buf, std::size_t len, Fn&& fn) {
    const auto* p = static_cast<const unsigned char*>(buf);
    std::size_t left = len;
    while (const nlmsghdr* m = next_message(p, left)) {
        const std::size_t span = message_span(m);
        fn(*m, decode_message(m, left));
        if (span >= left) return 0;
        p += span;
        left -= span;
    }
    return left;
}

// "bgp 10.0.0.0/8 via 10.1.0.2 dev 3 metric 20" and the like, for logs and test messages.
std::string describe(const KernelRoute& r);

}  // namespace dprouter::nl
