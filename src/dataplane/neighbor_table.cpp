#include "dprouter/neighbor_table.hpp"

#include <cstring>
#include <stdexcept>
#include <string>

#include <rte_errno.h>
#include <rte_hash_crc.h>

namespace dprouter {

namespace {

// Both tables: lock-free readers, one writer, deleted slots reclaimed through RCU when given.
rte_hash* create_hash(const char* name, uint32_t capacity, uint32_t key_len, rte_rcu_qsbr* qsbr, bool* has_rcu) {
    rte_hash_parameters params{};
    params.name = name;
    params.entries = capacity;
    params.key_len = key_len;
    params.hash_func = rte_hash_crc;
    params.socket_id = SOCKET_ID_ANY;
    // Lock-free readers; one writer (the control thread) so no writer lock is needed either.
    params.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF;
    rte_hash* hash = rte_hash_create(&params);
    if (hash == nullptr)
        throw std::runtime_error(std::string("cannot create neighbour table: ") + rte_strerror(rte_errno));
    *has_rcu = false;
    if (qsbr != nullptr) {
        rte_hash_rcu_config rcu{};
        rcu.v = qsbr;
        rcu.mode = RTE_HASH_QSBR_MODE_DQ;  // deleted slots go on a defer queue, reclaimed on later writes
        if (rte_hash_rcu_qsbr_add(hash, &rcu) != 0) {
            rte_hash_free(hash);
            throw std::runtime_error(std::string("cannot attach RCU to neighbour table: ") +
                                     rte_strerror(rte_errno));
        }
        *has_rcu = true;
    }
    return hash;
}

}  // namespace

NeighborTable::NeighborTable(const char* name, uint32_t capacity, rte_rcu_qsbr* qsbr)
    : hash_(create_hash(name, capacity, sizeof(NeighborKey), qsbr, &has_rcu_)) {}

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

NeighborTable6::NeighborTable6(const char* name, uint32_t capacity, rte_rcu_qsbr* qsbr)
    : hash_(create_hash(name, capacity, sizeof(Neighbor6Key), qsbr, &has_rcu_)) {}

NeighborTable6::~NeighborTable6() { rte_hash_free(hash_); }

bool NeighborTable6::set(const uint8_t* addr, uint16_t port, PackedNeighbor value) {
    Neighbor6Key key{};
    std::memcpy(key.addr, addr, 16);
    key.port = port;
    return rte_hash_add_key_data(hash_, &key, reinterpret_cast<void*>(static_cast<uintptr_t>(value.word))) == 0;
}

void NeighborTable6::remove(const uint8_t* addr, uint16_t port) {
    Neighbor6Key key{};
    std::memcpy(key.addr, addr, 16);
    key.port = port;
    const int32_t pos = rte_hash_del_key(hash_, &key);
    if (pos >= 0 && !has_rcu_) rte_hash_free_key_with_position(hash_, pos);
}

}  // namespace dprouter
