// kernel_protocol_name (declared in route_store.hpp): rtm_protocol values as `ip route` names them
// with iproute2's rt_protos table and FRR's additions (Debian's frr installs
// /etc/iproute2/rt_protos.d/frr.conf: FRR's own daemons use 186..198, its staticd 196).
#include "dprouter/route_store.hpp"

namespace dprouter {

std::string kernel_protocol_name(uint8_t protocol) {
    switch (protocol) {
    case 0: return "unspec";
    case 1: return "redirect";
    case 2: return "kernel";
    case 3: return "boot";
    case 4: return "static";
    case 8: return "gated";
    case 9: return "ra";
    case 10: return "mrt";
    case 11: return "zebra";
    case 12: return "bird";
    case 13: return "dnrouted";
    case 14: return "xorp";
    case 15: return "ntk";
    case 16: return "dhcp";
    case 17: return "mrouted";
    case 18: return "keepalived";
    case 42: return "babel";
    case 99: return "openr";
    case 186: return "bgp";
    case 187: return "isis";
    case 188: return "ospf";
    case 189: return "rip";
    case 190: return "ripng";
    case 191: return "nhrp";
    case 192: return "eigrp";
    case 193: return "ldp";
    case 194: return "sharp";
    case 195: return "pbr";
    case 196: return "static";  // FRR's staticd
    case 197: return "openfabric";
    case 198: return "srte";
    default: return std::to_string(protocol);
    }
}

}  // namespace dprouter
