// The mbuf pools' NUMA socket: where most ports are, the main lcore's when no port knows, and any
// socket when the chosen one has no memory (docs/deployment.md "NUMA").
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "dprouter/numa_placement.hpp"

namespace dprouter {
namespace {

TEST(NumaPlacement, PoolGoesWhereMostPortsAre) {
    const std::vector<PortSocket> ports{{"lan", 1}, {"wan", 1}, {"mgmt", 0}};
    EXPECT_EQ(mbuf_pool_socket(ports, 0), 1);
}

TEST(NumaPlacement, ATieGoesToTheLowestSocket) {
    const std::vector<PortSocket> ports{{"lan", 1}, {"wan", 0}};
    EXPECT_EQ(mbuf_pool_socket(ports, 1), 0);
}

TEST(NumaPlacement, PortsThatDoNotKnowTheirSocketLeaveItToTheMainLcore) {
    const std::vector<PortSocket> vdevs{{"lan", SOCKET_ID_ANY}, {"wan", SOCKET_ID_ANY}};
    EXPECT_EQ(mbuf_pool_socket(vdevs, 3), 3);
    const std::vector<PortSocket> mixed{{"tap", SOCKET_ID_ANY}, {"nic", 1}};
    EXPECT_EQ(mbuf_pool_socket(mixed, 0), 1);
    EXPECT_EQ(mbuf_pool_socket({}, 2), 2);
}

TEST(NumaPlacement, WarnsAboutAPortOnAnotherSocket) {
    const std::vector<PortSocket> ports{{"lan", 1}, {"wan", 1}, {"mgmt", 0}, {"tap", SOCKET_ID_ANY}};
    const std::vector<std::string> w = numa_placement_warnings(ports, {}, 1);
    ASSERT_EQ(w.size(), 1u);
    EXPECT_EQ(w[0], "interface 'mgmt' is on NUMA socket 0 but the mbuf pool on socket 1 (where most ports are): "
                    "its packets cross the inter-socket link");
}

TEST(NumaPlacement, WarnsAboutAWorkerOnAnotherSocket) {
    // The unit tests' EAL has lcore 0 only; its socket is the machine's first.
    const unsigned lcore = rte_get_main_lcore();
    const int here = static_cast<int>(rte_lcore_to_socket_id(lcore));
    const std::vector<PortSocket> ports{{"lan", here + 1}};
    const std::vector<unsigned> workers{lcore};
    EXPECT_TRUE(numa_placement_warnings(ports, workers, here + 1).size() == 1);
    EXPECT_EQ(numa_placement_warnings(ports, workers, here + 1)[0],
              "worker lcore " + std::to_string(lcore) + " is on NUMA socket " + std::to_string(here) +
                  ", the ports and mbuf pool on socket " + std::to_string(here + 1) +
                  ": give the workers cores of socket " + std::to_string(here + 1) + " (EAL -l)");
    const std::vector<PortSocket> local{{"lan", here}};
    EXPECT_TRUE(numa_placement_warnings(local, workers, here).empty());
    EXPECT_TRUE(numa_placement_warnings({}, workers, SOCKET_ID_ANY).empty());
}

TEST(NumaPlacement, PoolOnTheRequestedSocket) {
    const int here = static_cast<int>(rte_socket_id());
    rte_mempool* mp = create_pktmbuf_pool_near("numa_t_here", 1023, 0, 2048, here);
    ASSERT_NE(mp, nullptr);
    EXPECT_EQ(mp->socket_id, here);
    rte_mempool_free(mp);
}

TEST(NumaPlacement, ASocketWithoutMemoryFallsBackToAnySocket) {
    // No hugepages in the unit tests: all memory is on the main lcore's socket, none on socket 5.
    const int empty = static_cast<int>(rte_socket_id()) + 5;
    ASSERT_EQ(rte_pktmbuf_pool_create("numa_t_direct", 1023, 0, 0, 2048, empty), nullptr);
    rte_mempool* mp = create_pktmbuf_pool_near("numa_t_empty", 1023, 0, 2048, empty);
    ASSERT_NE(mp, nullptr);
    EXPECT_EQ(mp->socket_id, SOCKET_ID_ANY);
    rte_mempool_free(mp);
}

}  // namespace
}  // namespace dprouter
