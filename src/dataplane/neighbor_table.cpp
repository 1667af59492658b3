#include "dprouter/neighbor_table.hpp"

#include <stdexcept>
#include <string>

#include <rte_errno.h>
#include <rte_hash_crc.h>

namespace dprouter {

NeighborTable::NeighborTable(const char* name, uint32_t capacity, rte_rcu_qsbr* qsbr) {
    rte_hash_parameters params{};
    params.name = name;
    params.entries = capacity;
    params.key_len = sizeof(NeighborKey);
    params.hash_func = rte_hash_crc;
    params.socket_id = SOCKET_ID_ANY;
    // Lock-free readers; one writer (the control thread) so no writer lock is needed either.
    params.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF;
    hash_ = rte_hash_create(&params);
    if (hash_ == nullptr)
        throw std::runtime_error(std::string("cannot create neighbour table: ") + rte_strerror(rte_errno));
    if (qsbr != nullptr) {
        rte_hash_rcu_config rcu{};
        rcu.v = qsbr;
        rcu.mode = RTE_HASH_QSBR_MODE_DQ;  // deleted slots go on a defer queue, reclaimed on later writes
        if (rte_hash_rcu_qsbr_add(hash_, &rcu) != 0) {
            rte_hash_free(hash_);
            throw std::runtime_error(std::string("cannot attach RCU to neighbour table: ") +
                                     rte_strerror(rte_errno));
        }
        has_rcu_ = true;
    }
}

NeighborTable::~NeighborTable() { rte_hash_free(hash_); }

bool NeighborTable::set(uint32_t addr_be, uint16_t port, PackedNeighbor value) {
    const NeighborKey key{addr_be, port};
    // For an existing key rte_hash replaces the data word with an atomic store, which is what lets
    // a worker see either the old or the new MAC, never a mix.
    return rte_hash_add_key_data(hash_, &key, reinterpret_cast<void*>(static_cast<uintptr_t>(value.word))) == 0;
}

void NeighborTable::remove(uint32_t addr_be, uint16_t port) {
    const NeighborKey key{addr_be, port};
    const int32_t pos = rte_hash_del_key(hash_, &key);
    // With RCU attached the slot is reclaimed after a grace period; without it there are no
    // concurrent readers (unit tests), so it can be freed at once.
    if (pos >= 0 && !has_rcu_) rte_hash_free_key_with_position(hash_, pos);
}

}  // namespace dprouter
