// Which NUMA socket the mbuf pools live on (docs/deployment.md "NUMA").
//
// A NIC writes every received frame into an mbuf by DMA and reads every frame it sends from one, so
// the pool belongs on the NIC's socket: an mbuf on the other socket costs a trip over the
// inter-socket link for the DMA and for the worker's first touch of each header. The RX and TX
// descriptor rings already follow the port (rte_eth_dev_socket_id in setup_port), the worker
// contexts their lcore; before this the pools followed the main lcore, which on a two-socket server
// is often the housekeeping core on socket 0 while the NIC sits on socket 1.
#pragma once

#include <span>
#include <string>
#include <vector>

#include <rte_mempool.h>

namespace dprouter {

struct PortSocket {
    std::string interface;  // the configuration's name, for messages
    int socket;             // rte_eth_dev_socket_id: SOCKET_ID_ANY (-1) when unknown (vdevs, VMs)
};

// The socket for the mbuf pools: the one most ports are on (the lowest on a tie), or `fallback`
// (the main lcore's socket) when no port knows its own.
int mbuf_pool_socket(std::span<const PortSocket> ports, int fallback);

// What the pool's socket cannot fix, one message each (the caller logs them as warnings): ports on
// different sockets share a pool that is remote to some of them; a worker lcore on another socket
// than the pool polls every port across the link.
std::vector<std::string> numa_placement_warnings(std::span<const PortSocket> ports,
                                                 std::span<const unsigned> worker_lcores, int pool_socket);

// rte_pktmbuf_pool_create on `socket`; when that socket has no free hugepage memory (hugepages
// reserved on one node only), on any socket instead, with a warning: a remote pool is slower, no
// pool is no router. nullptr (rte_errno set) only when neither works.
rte_mempool* create_pktmbuf_pool_near(const char* name, unsigned n, unsigned cache, uint16_t data_room, int socket);

}  // namespace dprouter
