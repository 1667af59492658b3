// The neighbour (ARP) table the workers consult for destinations on connected subnets.
// An rte_hash in lock-free read/write-concurrency mode: the control thread is the only writer, the
// workers read without locks, and deleted slots are reclaimed through the same RCU QSBR variable the
// tables use. The value stored per key is a PackedNeighbor word, so an update is one atomic store.
#pragma once

#include <cstdint>
#include <cstring>

#include <rte_hash.h>
#include <rte_rcu_qsbr.h>

#include "dprouter/tables.hpp"

namespace dprouter {

struct NeighborKey {
    uint32_t addr_be;
    uint16_t port;
    uint16_t zero = 0;  // keeps the key's padding deterministic for hashing
};
static_assert(sizeof(NeighborKey) == 8);

class NeighborTable {
public:
    // `qsbr` may be null (unit tests without concurrent readers).
    NeighborTable(const char* name, uint32_t capacity, rte_rcu_qsbr* qsbr);
    ~NeighborTable();
    NeighborTable(const NeighborTable&) = delete;
    NeighborTable& operator=(const NeighborTable&) = delete;

    // Worker side: lock-free. Returns false when there is no entry.
    bool lookup(uint32_t addr_be, uint16_t port, PackedNeighbor* out) const {
        const NeighborKey key{addr_be, port};
        void* data = nullptr;
        if (rte_hash_lookup_data(hash_, &key, &data) < 0) return false;
        out->word = reinterpret_cast<uintptr_t>(data);
        return true;
    }

    // Control side only.
    bool set(uint32_t addr_be, uint16_t port, PackedNeighbor value);
    void remove(uint32_t addr_be, uint16_t port);

private:
    rte_hash* hash_ = nullptr;
    bool has_rcu_ = false;
};

// The IPv6 neighbour cache (RFC 4861 5.1) the workers read, same design: key = address and port.
struct Neighbor6Key {
    uint8_t addr[16];
    uint16_t port;
    uint16_t zero = 0;
};
static_assert(sizeof(Neighbor6Key) == 20);

class NeighborTable6 {
public:
    NeighborTable6(const char* name, uint32_t capacity, rte_rcu_qsbr* qsbr);
    ~NeighborTable6();
    NeighborTable6(const NeighborTable6&) = delete;
    NeighborTable6& operator=(const NeighborTable6&) = delete;

    bool lookup(const uint8_t* addr, uint16_t port, PackedNeighbor* out) const {
        Neighbor6Key key{};
        std::memcpy(key.addr, addr, 16);
        key.port = port;
        void* data = nullptr;
        if (rte_hash_lookup_data(hash_, &key, &data) < 0) return false;
        out->word = reinterpret_cast<uintptr_t>(data);
        return true;
    }

    bool set(const uint8_t* addr, uint16_t port, PackedNeighbor value);
    void remove(const uint8_t* addr, uint16_t port);

private:
    rte_hash* hash_ = nullptr;
    bool has_rcu_ = false;
};

}  // namespace dprouter
