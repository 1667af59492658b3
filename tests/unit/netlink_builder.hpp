// Crafting rtnetlink messages for the importer's tests, with libmnl as the kernel would lay them out.
#pragma once

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "control/netlink_decode.hpp"

namespace dprouter::test {

inline std::array<uint8_t, 16> addr_bytes(const std::string& s) {
    std::array<uint8_t, 16> a{};
    if (s.find(':') != std::string::npos) inet_pton(AF_INET6, s.c_str(), a.data());
    else inet_pton(AF_INET, s.c_str(), a.data());
    return a;
}

class NlMsg {
public:
    explicit NlMsg(uint16_t type, uint16_t flags = 0) {
        buf_.fill(0);
        nlh_ = mnl_nlmsg_put_header(buf_.data());
        nlh_->nlmsg_type = type;
        nlh_->nlmsg_flags = flags;
    }
    // RTM_NEWROUTE/RTM_DELROUTE header.
    NlMsg& route(uint8_t family, const std::string& dst, uint8_t len, uint8_t protocol = RTPROT_STATIC,
                 uint8_t type = RTN_UNICAST, uint8_t table = RT_TABLE_MAIN) {
        auto* rt = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh_, sizeof(rtmsg)));
        rt->rtm_family = family;
        rt->rtm_dst_len = len;
        rt->rtm_protocol = protocol;
        rt->rtm_type = type;
        rt->rtm_table = table;
        rt->rtm_scope = RT_SCOPE_UNIVERSE;
        if (!dst.empty()) addr(RTA_DST, family, dst);
        return *this;
    }
    NlMsg& nexthop(uint8_t family, uint32_t id) {
        auto* nh = static_cast<nhmsg*>(mnl_nlmsg_put_extra_header(nlh_, sizeof(nhmsg)));
        nh->nh_family = family;
        u32(NHA_ID, id);
        return *this;
    }
    NlMsg& link(int index, const std::string& name, unsigned flags = IFF_UP) {
        auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh_, sizeof(ifinfomsg)));
        ifi->ifi_index = index;
        ifi->ifi_flags = flags;
        if (!name.empty()) mnl_attr_put_strz(nlh_, IFLA_IFNAME, name.c_str());
        return *this;
    }
    NlMsg& u32(uint16_t type, uint32_t v) {
        mnl_attr_put_u32(nlh_, type, v);
        return *this;
    }
    NlMsg& flag(uint16_t type) {
        mnl_attr_put(nlh_, type, 0, nullptr);
        return *this;
    }
    NlMsg& addr(uint16_t type, uint8_t family, const std::string& a) {
        const auto b = addr_bytes(a);
        mnl_attr_put(nlh_, type, family == AF_INET ? 4 : 16, b.data());
        return *this;
    }
    NlMsg& raw(uint16_t type, const void* data, std::size_t len) {
        mnl_attr_put(nlh_, type, len, data);
        return *this;
    }
    NlMsg& group(const std::vector<std::pair<uint32_t, uint8_t>>& members) {
        std::vector<nexthop_grp> g;
        for (auto [id, w] : members) g.push_back(nexthop_grp{id, w, 0, 0});
        return raw(NHA_GROUP, g.data(), g.size() * sizeof(nexthop_grp));
    }
    // RTA_MULTIPATH with one rtnexthop per (gateway, ifindex); gateway "" for none.
    // `hops`: rtnh_hops of each path in turn (the weight minus one; 0 when not given).
    NlMsg& multipath(uint8_t family, const std::vector<std::pair<std::string, int>>& paths, uint8_t flags = 0,
                     const std::vector<uint8_t>& hops = {}) {
        nlattr* nest = mnl_attr_nest_start(nlh_, RTA_MULTIPATH);
        std::size_t i = 0;
        for (const auto& [gw, oif] : paths) {
            auto* nh = static_cast<rtnexthop*>(mnl_nlmsg_put_extra_header(nlh_, sizeof(rtnexthop)));
            nh->rtnh_ifindex = oif;
            nh->rtnh_flags = flags;
            nh->rtnh_hops = i < hops.size() ? hops[i] : 0;
            ++i;
            if (!gw.empty()) addr(RTA_GATEWAY, family, gw);
            nh->rtnh_len = static_cast<unsigned short>(reinterpret_cast<char*>(mnl_nlmsg_get_payload_tail(nlh_)) -
                                                       reinterpret_cast<char*>(nh));
        }
        mnl_attr_nest_end(nlh_, nest);
        return *this;
    }
    nlmsghdr* hdr() { return nlh_; }
    uint32_t len() const { return nlh_->nlmsg_len; }
    unsigned char* data() { return buf_.data(); }
    nl::Decoded decode() const { return nl::decode_message(nlh_, nlh_->nlmsg_len); }
    std::vector<unsigned char> bytes() const { return {buf_.data(), buf_.data() + nlh_->nlmsg_len}; }

private:
    alignas(8) std::array<unsigned char, 8192> buf_;
    nlmsghdr* nlh_;
};

}  // namespace dprouter::test
