// Compile-time sizes shared by the control path and the dataplane.
#pragma once

#include <cstdint>

namespace dprouter {

inline constexpr uint16_t kMaxPorts = 16;            // interfaces the router can drive
inline constexpr unsigned kMaxWorkers = 64;          // poll-mode worker lcores
inline constexpr uint16_t kRxBurst = 32;             // packets per rx_burst
inline constexpr unsigned kMaxAddrsPerInterface = 8; // addresses kept per interface in the fast table
inline constexpr unsigned kHoldPerNextHop = 64;      // packets held while one next hop resolves
inline constexpr unsigned kHoldTotal = 1024;         // packets held across all next hops
inline constexpr unsigned kArpRetries = 3;           // requests before a next hop is declared failed
inline constexpr uint64_t kArpRetryMs = 1000;        // gap between requests
inline constexpr uint64_t kNeighborReachableMs = 60000;  // confirmed entries are re-probed after this
inline constexpr uint64_t kNeighborFailedMs = 5000;  // a failed next hop is retried after this
inline constexpr uint32_t kNeighborCapacity = 65536; // slots in the neighbour hash
inline constexpr uint32_t kNeighborEntriesMax = kNeighborCapacity / 2;  // entries kept: cuckoo headroom
inline constexpr uint8_t kIcmpTtl = 64;              // TTL of packets the router originates

}  // namespace dprouter
