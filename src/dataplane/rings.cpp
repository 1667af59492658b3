#include "dprouter/rings.hpp"

#include <stdexcept>

#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_ring_elem.h>

namespace dprouter {

rte_ring* make_spsc_ring(const std::string& name, unsigned size, unsigned esize, int socket) {
    rte_ring* r = rte_ring_create_elem(name.c_str(), esize, size, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (r == nullptr) throw std::runtime_error("cannot create ring " + name + ": " + rte_strerror(rte_errno));
    return r;
}

void free_ring_mbufs(rte_ring* r) {
    if (r == nullptr) return;
    void* m;
    while (rte_ring_dequeue(r, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
}

}  // namespace dprouter
