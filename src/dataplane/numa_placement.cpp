#include "dprouter/numa_placement.hpp"

#include <map>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "dprouter/log.hpp"

namespace dprouter {

int mbuf_pool_socket(std::span<const PortSocket> ports, int fallback) {
    std::map<int, unsigned> count;  // ordered: the lowest socket wins a tie
    for (const auto& p : ports)
        if (p.socket >= 0) ++count[p.socket];
    int best = fallback;
    unsigned most = 0;
    for (const auto& [socket, n] : count)
        if (n > most) {
            best = socket;
            most = n;
        }
    return best;
}

std::vector<std::string> numa_placement_warnings(std::span<const PortSocket> ports,
                                                 std::span<const unsigned> worker_lcores, int pool_socket) {
    std::vector<std::string> out;
    for (const auto& p : ports)
        if (p.socket >= 0 && p.socket != pool_socket)
            out.push_back("interface '" + p.interface + "' is on NUMA socket " + std::to_string(p.socket) +
                          " but the mbuf pool on socket " + std::to_string(pool_socket) +
                          " (where most ports are): its packets cross the inter-socket link");
    if (pool_socket < 0) return out;
    for (const unsigned lcore : worker_lcores) {
        const unsigned s = rte_lcore_to_socket_id(lcore);
        if (s != static_cast<unsigned>(pool_socket))
            out.push_back("worker lcore " + std::to_string(lcore) + " is on NUMA socket " + std::to_string(s) +
                          ", the ports and mbuf pool on socket " + std::to_string(pool_socket) +
                          ": give the workers cores of socket " + std::to_string(pool_socket) + " (EAL -l)");
    }
    return out;
}

rte_mempool* create_pktmbuf_pool_near(const char* name, unsigned n, unsigned cache, uint16_t data_room, int socket) {
    rte_mempool* mp = rte_pktmbuf_pool_create(name, n, cache, 0, data_room, socket);
    if (mp != nullptr || socket == SOCKET_ID_ANY) return mp;
    DPR_LOG(WARNING, "mbuf pool %s: no room on NUMA socket %d (%s; hugepages reserved on that node?): "
            "trying any socket\n", name, socket, rte_strerror(rte_errno));
    return rte_pktmbuf_pool_create(name, n, cache, 0, data_room, SOCKET_ID_ANY);
}

}  // namespace dprouter
