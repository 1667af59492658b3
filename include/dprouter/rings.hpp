// The single-producer/single-consumer rings between a worker and the control thread.
#pragma once

#include <string>

#include <rte_ring.h>

namespace dprouter {

// An SP/SC ring of `size` elements of `esize` bytes; throws std::runtime_error on failure.
rte_ring* make_spsc_ring(const std::string& name, unsigned size, unsigned esize, int socket);

// Frees every mbuf still queued in a ring of mbuf pointers (null is fine).
void free_ring_mbufs(rte_ring* r);

}  // namespace dprouter
