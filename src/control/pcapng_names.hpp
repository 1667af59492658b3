// DPDK 22.11's rte_pcapng names each interface block after the kernel interface of the port
// (af_xdp, af_packet: the veth) or "dpdk:N"; it has no call to name them (rte_pcapng_add_interface
// came with 23.11). This rewrites the if_name option of the interface blocks in a pcapng header as
// the router's configuration names the ports, so tshark shows "lan" and "wan".
#pragma once

#include <string>
#include <vector>

namespace dprouter {

// `header`: a section header block and interface description blocks, in host byte order, as
// rte_pcapng_fdopen writes them. `names[i]`: the name of the i-th interface block (empty: keep
// the one it has). Returns the header with those names; unchanged if it is not what was expected.
std::string rename_pcapng_interfaces(const std::string& header, const std::vector<std::string>& names);

}  // namespace dprouter
