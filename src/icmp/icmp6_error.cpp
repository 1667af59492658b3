// ICMPv6 errors (icmp6_error.hpp).
//
// FOUNDATION STUB: sends nothing yet; the ICMPv6 work fills it in.
#include "icmp/icmp6_error.hpp"

namespace dprouter {

bool icmp6_send_error(WorkerContext&, const Tables&, const rte_mbuf*, const Icmp6ErrorRequest&) { return false; }

}  // namespace dprouter
