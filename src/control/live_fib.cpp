// The live FIB (include/dprouter/live_fib.hpp; docs/architecture.md "Live FIB").
//
// Three layers. Routes: held per origin by prefix; the winner of a prefix is the first origin in
// kPrecedence whose route resolved. Next hops: two pools (one per family) of slots in arrays both
// FIB copies share, deduplicated by what they say, reference-counted by the routes that resolved
// to them, the FIB entries pointing at them and the multipath slots listing them. FIBs: two copies
// per family; changes go to the standby copy as they are made (so a change that does not fit is
// refused at once), commit() publishes it, and the batch is replayed on the other copy after a
// grace period.
#include "dprouter/live_fib.hpp"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstring>
#include <new>
#include <stdexcept>
#include <thread>
#include <unordered_set>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_fib.h>
#include <rte_fib6.h>
#include <rte_malloc.h>

#include "dprouter/log.hpp"
#include "live_fib_paths.hpp"
#include "route_order.hpp"

namespace dprouter {
namespace {

using live::PathSpec;

constexpr uint32_t kNone = UINT32_MAX;
// Operations replayed per maintain() call: about a millisecond or two of rte_fib_add, so the
// control loop serves the resolvers and the control socket between chunks. A replay longer than
// one chunk (start-up, a big reload or resync) is logged when it completes (scripts/bench-tables.sh
// waits for that line).
constexpr size_t kReplayChunk = 4096;

uint64_t now_ms() {
    using namespace std::chrono;
    return static_cast<uint64_t>(duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
}

// Origin slots: RouteOrigin's values (config 0, kernel 1, cli 2), and the router's own routes.
constexpr unsigned kConnected = 3;
constexpr unsigned kPrecedence[4] = {kConnected, static_cast<unsigned>(RouteOrigin::cli),
                                     static_cast<unsigned>(RouteOrigin::config), static_cast<unsigned>(RouteOrigin::kernel)};

// 16 address bytes and a few more bits, mixed for std::unordered_map.
size_t hash16(const uint8_t* bytes, uint64_t extra) {
    uint64_t a, b;
    std::memcpy(&a, bytes, 8);
    std::memcpy(&b, bytes + 8, 8);
    uint64_t h = (a ^ (b * 0x9e3779b97f4a7c15ull)) + extra;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    return static_cast<size_t>(h ^ (h >> 32));
}

struct PrefixKey {
    uint8_t v6 = 0;
    uint8_t len = 0;
    uint8_t addr[16]{};  // IPv4: the network, host order, in the first four bytes
    friend bool operator==(const PrefixKey& a, const PrefixKey& b) {
        return a.v6 == b.v6 && a.len == b.len && std::memcmp(a.addr, b.addr, 16) == 0;
    }
};
struct PrefixKeyHash {
    size_t operator()(const PrefixKey& k) const { return hash16(k.addr, uint64_t{k.len} << 1 | k.v6); }
};

PrefixKey key4(Ipv4Prefix p) {
    PrefixKey k;
    k.len = p.len;
    const Ipv4 net = p.network();
    std::memcpy(k.addr, &net, 4);
    return k;
}
PrefixKey key6(const Ipv6Prefix& p) {
    PrefixKey k;
    k.v6 = 1;
    k.len = p.len;
    std::memcpy(k.addr, p.network().bytes.data(), 16);
    return k;
}
PrefixKey key_of(const Route& r) { return r.ipv6 ? key6(r.prefix6) : key4(r.prefix4); }

std::string prefix_text(const PrefixKey& k) {
    if (!k.v6) {
        Ipv4 a;
        std::memcpy(&a, k.addr, 4);
        return format_prefix({a, k.len});
    }
    Ipv6Prefix p;
    std::memcpy(p.addr.bytes.data(), k.addr, 16);
    p.len = k.len;
    return format_prefix6(p);
}

bool same_route(const Route& a, const Route& b) {
    return a.action == b.action && a.via == b.via && a.protocol == b.protocol && a.metric == b.metric;
}

enum class SlotState : uint8_t { free, live, dying, queued };

// What a single-path next hop says, as the pools deduplicate it: a fixed-size key, so a lookup
// costs a hash of 20 bytes and no allocation (a million routes look one up each at start-up).
struct PlainKey {
    uint8_t action = 0;
    uint8_t unused = 0;
    uint16_t port = 0;
    uint8_t gateway[16]{};
    friend bool operator==(const PlainKey& a, const PlainKey& b) {
        return a.action == b.action && a.port == b.port && std::memcmp(a.gateway, b.gateway, 16) == 0;
    }
};
struct PlainKeyHash {
    size_t operator()(const PlainKey& k) const { return hash16(k.gateway, uint64_t{k.port} << 8 | k.action); }
};

PlainKey plain_key(const PathSpec& s) {
    PlainKey k;
    k.action = static_cast<uint8_t>(s.action);
    k.port = s.port;
    std::memcpy(k.gateway, s.gateway, 16);
    return k;
}

// One family's next-hop slots.
template <class NH>
struct Pool {
    NH* slots = nullptr;
    uint32_t* groups = nullptr;  // kMaxEcmpPaths members per slot
    uint32_t cap = 0;
    uint32_t high = 0;  // slots ever handed out
    uint32_t in_use = 0;
    std::vector<uint32_t> refs;
    std::vector<SlotState> state;
    std::vector<PlainKey> plain_keys;   // single-path slots
    std::vector<std::string> group_keys;  // multipath slots: their sorted members (ECMP only, rare)
    std::unordered_map<PlainKey, uint32_t, PlainKeyHash> plain_index;
    std::unordered_map<std::string, uint32_t> group_index;
    std::vector<uint32_t> free_list;
    std::vector<uint32_t> dying;  // references dropped to zero since the last commit
};

std::string group_key(const std::vector<uint32_t>& members) {
    std::string k(1 + 4 * members.size(), 'G');
    std::memcpy(k.data() + 1, members.data(), 4 * members.size());
    return k;
}

void fill_slot(NextHop& nh, const PathSpec& s) {
    Ipv4 gw;
    std::memcpy(&gw, s.gateway, 4);
    nh.action = s.action;
    nh.port = s.port;
    nh.gateway_be = rte_cpu_to_be_32(gw);
}
void fill_slot(NextHop6& nh, const PathSpec& s) {
    nh.action = s.action;
    nh.port = s.port;
    std::memcpy(nh.gateway, s.gateway, 16);
}
bool has_gateway(const NextHop& nh) { return nh.gateway_be != 0; }
bool has_gateway(const NextHop6& nh) { return nh.has_gateway(); }

unsigned next_fib_id() {
    static unsigned id = 0;  // control thread only; rte_fib names are process-wide
    return id++;
}

}  // namespace

struct LiveFib::Impl {
    LiveFib& owner;
    std::atomic<Tables*>& published;
    rte_rcu_qsbr* qsbr;
    LivePorts ports;
    LiveFibLimits limits;
    std::unique_ptr<live::Interfaces> ifcs;

    Tables* copy[2] = {nullptr, nullptr};
    rte_fib* fib[2] = {nullptr, nullptr};
    rte_fib6* fib6[2] = {nullptr, nullptr};
    const char* lookup4 = "";
    const char* lookup6 = "";
    unsigned standby = 0;

    Pool<NextHop> p4;
    Pool<NextHop6> p6;
    rte_rcu_qsbr_dq* dq = nullptr;

    std::unordered_map<PrefixKey, std::pair<Route, uint32_t>, PrefixKeyHash> held[4];  // route, resolved slot
    std::unordered_map<PrefixKey, uint32_t, PrefixKeyHash> installed;
    size_t installed4 = 0, installed6 = 0;

    struct Op {
        PrefixKey key;
        uint32_t nh;  // kNone: delete
    };
    std::vector<Op> batch, pending;                // applied to the standby / to replay on the other copy
    size_t replayed = 0;                           // pending[0, replayed) are on the standby already
    bool grace_over = false;                       // the standby's readers are gone: replay may go on
    uint64_t replay_started_ms = 0;
    std::vector<PathSpec> scratch_specs;           // acquire_route's, reused
    std::vector<uint32_t> scratch_members;
    std::unique_ptr<Config> batch_cfg, pending_cfg;  // a reload's new interface state, same
    bool dirty = false;
    bool catchup = false;
    bool create_failed = false;  // maintain() logged that the second copy could not be created
    uint64_t token = 0;
    uint64_t generation = 0;
    uint64_t commits = 0, replays = 0, reclaimed = 0;

    Impl(LiveFib& o, std::atomic<Tables*>& pub) : owner(o), published(pub) {}
    void destroy();  // frees everything; the workers no longer read the copies

    template <bool V6>
    auto& pool() {
        if constexpr (V6) return p6;
        else return p4;
    }

    // --- FIB copies ----------------------------------------------------------------------------

    // Copy c's FIBs. The constructor creates copy 0 only; copy 1 is created by the first replay
    // (ensure_writable), after the workers start: creating one costs about as much as loading a
    // million routes into it (two tbl24 arrays of 64 MiB written with the default next hop, and
    // rte_rib node pools of two nodes per route it may hold). live_fib_bytes() counts both.
    void create_fibs(unsigned c) {
        const std::string name = "dpr_lfib" + std::to_string(next_fib_id());
        rte_fib_conf fc{};
        fc.type = RTE_FIB_DIR24_8;
        fc.default_nh = kNoRouteIndex;
        fc.max_routes = static_cast<int>(limits.routes4);
        fc.dir24_8.nh_sz = RTE_FIB_DIR24_8_4B;
        // A multiple of 64 (table_builder.cpp: DPDK 22.11's tbl8 bitmap overruns otherwise).
        fc.dir24_8.num_tbl8 = RTE_ALIGN_CEIL(limits.tbl8_4, 64u);
        fib[c] = rte_fib_create(name.c_str(), SOCKET_ID_ANY, &fc);
        if (fib[c] == nullptr) throw std::runtime_error("cannot create the live FIB: " + std::string(rte_strerror(rte_errno)));
        if (rte_fib_select_lookup(fib[c], RTE_FIB_LOOKUP_DIR24_8_VECTOR_AVX512) == 0) lookup4 = "AVX-512 vector";
        else if (rte_fib_select_lookup(fib[c], RTE_FIB_LOOKUP_DEFAULT) == 0) lookup4 = "scalar";
        else throw std::runtime_error("no FIB lookup function");

        const std::string name6 = "dpr_lfib6_" + std::to_string(next_fib_id());
        rte_fib6_conf f6{};
        f6.type = RTE_FIB6_TRIE;
        f6.default_nh = kNoRoute6Index;
        f6.max_routes = static_cast<int>(limits.routes6);
        f6.trie.nh_sz = RTE_FIB6_TRIE_4B;
        f6.trie.num_tbl8 = RTE_ALIGN_CEIL(limits.tbl8_6, 64u);
        fib6[c] = rte_fib6_create(name6.c_str(), SOCKET_ID_ANY, &f6);
        if (fib6[c] == nullptr)
            throw std::runtime_error("cannot create the live IPv6 FIB: " + std::string(rte_strerror(rte_errno)));
        if (rte_fib6_select_lookup(fib6[c], RTE_FIB6_LOOKUP_TRIE_VECTOR_AVX512) == 0) lookup6 = "AVX-512 vector";
        else if (rte_fib6_select_lookup(fib6[c], RTE_FIB6_LOOKUP_DEFAULT) == 0) lookup6 = "scalar";
        else throw std::runtime_error("no IPv6 FIB lookup function");
        if (copy[c] != nullptr) wire(copy[c], c);
    }
    // Throws std::runtime_error when the EAL cannot give the memory after all (it was there at
    // start-up); a change then fails as a whole and the replay is tried again later.
    void ensure_fibs(unsigned c) {
        if (fib[c] != nullptr && fib6[c] != nullptr) return;
        if (fib[c] == nullptr) {
            rte_fib6_free(fib6[c]);
            fib6[c] = nullptr;
        }
        try {
            create_fibs(c);
        } catch (...) {
            rte_fib_free(fib[c]);
            rte_fib6_free(fib6[c]);
            fib[c] = nullptr;
            fib6[c] = nullptr;
            throw;
        }
    }

    template <class NH>
    void create_pool(Pool<NH>& p, uint32_t cap, const char* name) {
        p.cap = std::min<uint32_t>(cap, static_cast<uint32_t>(kNoRouteIndex - 1));
        p.slots = static_cast<NH*>(rte_zmalloc(name, sizeof(NH) * p.cap, RTE_CACHE_LINE_SIZE));
        p.groups = static_cast<uint32_t*>(rte_zmalloc(name, sizeof(uint32_t) * kMaxEcmpPaths * p.cap, RTE_CACHE_LINE_SIZE));
        if (p.slots == nullptr || p.groups == nullptr) throw std::runtime_error("out of memory for live next hops");
        p.refs.assign(p.cap, 0);
        p.state.assign(p.cap, SlotState::free);
        p.plain_keys.assign(p.cap, {});
        p.group_keys.assign(p.cap, {});
    }

    // Puts a shell (interface state, build_table_shell) around copy c's FIBs.
    void wire(Tables* t, unsigned c) {
        t->fib = fib[c];
        t->fib6 = fib6[c];
        t->nexthops = p4.slots;
        t->nexthops6 = p6.slots;
        t->groups4 = p4.groups;
        t->groups6 = p6.groups;
        t->fib_shared = true;
        t->n_nexthops = p4.high;
        t->n_nexthops6 = p6.high;
        t->n_tbl8 = RTE_ALIGN_CEIL(limits.tbl8_4, 64u);
        t->n_tbl8_6 = RTE_ALIGN_CEIL(limits.tbl8_6, 64u);
        t->fib_lookup = lookup4;
        t->fib6_lookup = lookup6;
        t->n_routes = static_cast<uint32_t>(installed4);
        t->n_routes6 = static_cast<uint32_t>(installed6);
    }

    void new_shell(unsigned c, const Config& cfg) {
        Tables* s = build_table_shell(cfg, ports.port_of, ports.mac, generation, ports.multi_seg);
        wire(s, c);
        free_tables(copy[c]);  // its shell only (fib_shared); nobody reads it
        copy[c] = s;
    }

    int apply(unsigned c, const PrefixKey& k, uint32_t nh) {
        if (!k.v6) {
            uint32_t ip;
            std::memcpy(&ip, k.addr, 4);
            return nh == kNone ? rte_fib_delete(fib[c], ip, k.len) : rte_fib_add(fib[c], ip, k.len, nh);
        }
        return nh == kNone ? rte_fib6_delete(fib6[c], k.addr, k.len) : rte_fib6_add(fib6[c], k.addr, k.len, nh);
    }

    // The standby copy may be written once the last batch is replayed on it, which needs the
    // grace period that started when the other copy was published. Replays at most `budget`
    // operations (the control loop's share: the first load's million routes go in chunks while
    // the workers already forward on the other copy); true once the standby is complete.
    // A change (upsert, remove, replace_origin, reconfigure) calls it with no limit: it finishes
    // the replay first rather than queueing behind it, because a change must be tried on the copy
    // it goes into (a full FIB refuses it at once, nothing half-done) and the order of operations
    // on one prefix matters; the wait is bounded by one replay of the table.
    bool ensure_writable(bool wait = true, size_t budget = SIZE_MAX) {
        if (!catchup) return true;
        if (!grace_over) {
            // Waiting yields rather than spins (rte_rcu_qsbr_check's own wait): the control thread
            // may share its core with the OS and everything else the router runs.
            while (rte_rcu_qsbr_check(qsbr, token, false) != 1) {
                if (!wait) return false;
                std::this_thread::yield();
            }
            if (pending_cfg) {
                new_shell(standby, *pending_cfg);  // may throw: tried again by the next call
                pending_cfg.reset();
            }
            grace_over = true;
            replay_started_ms = now_ms();
        }
        const unsigned c = standby;
        if (fib[c] == nullptr || fib6[c] == nullptr) {
            const uint64_t t0 = now_ms();
            ensure_fibs(c);
            DPR_LOG(INFO, "live FIB: second copy created in %lu ms\n", static_cast<unsigned long>(now_ms() - t0));
        }
        const size_t end = pending.size() - replayed > budget ? replayed + budget : pending.size();
        for (; replayed < end; ++replayed)
            if (const int rc = apply(c, pending[replayed].key, pending[replayed].nh); rc != 0)  // it fitted the other copy
                DPR_LOG(ERR, "live FIB: replaying %s failed: %s\n", prefix_text(pending[replayed].key).c_str(),
                        rte_strerror(-rc));
        if (replayed < pending.size()) return false;
        if (pending.size() > kReplayChunk)
            DPR_LOG(INFO, "live FIB: second copy complete: %zu changes replayed in %lu ms\n", pending.size(),
                    static_cast<unsigned long>(now_ms() - replay_started_ms));
        std::vector<Op>().swap(pending);  // a first load's batch is large: give its memory back
        replayed = 0;
        grace_over = false;
        catchup = false;
        ++replays;
        return true;
    }

    // ensure_writable for a change: "" or why the standby copy cannot take it (its FIBs could not
    // be created; nothing changed).
    std::string writable() {
        try {
            ensure_writable();
            return {};
        } catch (const std::exception& e) {
            return e.what();
        }
    }

    // --- next hops ----------------------------------------------------------------------------

    template <bool V6>
    void ref(uint32_t s) {
        auto& p = pool<V6>();
        ++p.refs[s];
        p.state[s] = SlotState::live;
    }
    void ref(bool v6, uint32_t s) { v6 ? ref<true>(s) : ref<false>(s); }

    template <bool V6>
    void release(uint32_t s) {
        auto& p = pool<V6>();
        if (--p.refs[s] == 0) {
            p.state[s] = SlotState::dying;
            p.dying.push_back(s);
        }
    }
    void release(bool v6, uint32_t s) { v6 ? release<true>(s) : release<false>(s); }

    template <bool V6>
    uint32_t alloc_slot() {
        auto& p = pool<V6>();
        uint32_t s;
        if (!p.free_list.empty()) {
            s = p.free_list.back();
            p.free_list.pop_back();
        } else if (p.high < p.cap) {
            s = p.high++;
            for (Tables* t : copy)
                if (t != nullptr) (V6 ? t->n_nexthops6 : t->n_nexthops) = p.high;
        } else {
            return kNone;
        }
        ++p.in_use;
        using NH = std::remove_reference_t<decltype(p.slots[0])>;
        new (&p.slots[s]) NH();
        return s;
    }

    template <bool V6>
    uint32_t acquire_plain(const PathSpec& spec) {
        auto& p = pool<V6>();
        const PlainKey k = plain_key(spec);
        if (auto it = p.plain_index.find(k); it != p.plain_index.end()) {
            ref<V6>(it->second);
            return it->second;
        }
        const uint32_t s = alloc_slot<V6>();
        if (s == kNone) return kNone;
        fill_slot(p.slots[s], spec);
        p.refs[s] = 1;
        p.state[s] = SlotState::live;
        p.plain_keys[s] = k;
        p.plain_index.emplace(k, s);
        if (spec.action == NextHopAction::forward && has_gateway(p.slots[s])) {
            if constexpr (V6) {
                if (owner.on_new_next_hop6) owner.on_new_next_hop6(p.slots[s]);
            } else {
                if (owner.on_new_next_hop4) owner.on_new_next_hop4(p.slots[s]);
            }
        }
        return s;
    }

    // `members` sorted, distinct, each held by the caller; the group takes references of its own.
    template <bool V6>
    uint32_t acquire_group(const std::vector<uint32_t>& members) {
        auto& p = pool<V6>();
        std::string k = group_key(members);
        if (auto it = p.group_index.find(k); it != p.group_index.end()) {
            ref<V6>(it->second);
            return it->second;
        }
        const uint32_t s = alloc_slot<V6>();
        if (s == kNone) return kNone;
        for (size_t i = 0; i < members.size(); ++i) {
            p.groups[size_t{s} * kMaxEcmpPaths + i] = members[i];
            ref<V6>(members[i]);
        }
        p.slots[s].action = NextHopAction::multipath;
        p.slots[s].n_paths = static_cast<uint8_t>(members.size());
        p.refs[s] = 1;
        p.state[s] = SlotState::live;
        p.group_keys[s] = k;
        p.group_index.emplace(std::move(k), s);
        return s;
    }

    // The slot a route resolves to, with a reference for the caller; or the reason.
    template <bool V6>
    std::string acquire_route(const Route& r, uint32_t& out) {
        out = kNone;
        // Scratch space kept between calls: no allocation per route (not reentrant; nothing here is).
        std::vector<PathSpec>& specs = scratch_specs;
        if (std::string err = ifcs->resolve(r, specs); !err.empty()) return err;
        if (specs.size() == 1) {  // the common case: one path, no group
            out = acquire_plain<V6>(specs[0]);
            if (out == kNone) return std::string("the ") + (V6 ? "IPv6 " : "") + "next-hop table is full";
            return {};
        }
        std::vector<uint32_t>& members = scratch_members;
        members.clear();
        const auto drop_all = [&] {
            for (uint32_t m : members) release<V6>(m);
        };
        for (const PathSpec& spec : specs) {
            const uint32_t s = acquire_plain<V6>(spec);
            if (s == kNone) {
                drop_all();
                return std::string("the ") + (V6 ? "IPv6 " : "") + "next-hop table is full";
            }
            if (std::find(members.begin(), members.end(), s) != members.end())
                release<V6>(s);  // two paths that mean one next hop
            else
                members.push_back(s);
        }
        if (members.size() == 1) {
            out = members[0];
            return {};
        }
        std::sort(members.begin(), members.end());
        const uint32_t g = acquire_group<V6>(members);
        drop_all();
        if (g == kNone) return std::string("the ") + (V6 ? "IPv6 " : "") + "next-hop table is full";
        out = g;
        return {};
    }
    std::string acquire_route(const Route& r, uint32_t& out) {
        return r.ipv6 ? acquire_route<true>(r, out) : acquire_route<false>(r, out);
    }

    // After a publish: slots nobody references any more go through the defer queue; the grace
    // period starts now, when no FIB copy a reader can still find points at them but the old one.
    template <bool V6>
    bool free_dying() {
        auto& p = pool<V6>();
        bool any = false;
        while (!p.dying.empty()) {
            const uint32_t s = p.dying.back();
            p.dying.pop_back();
            if (p.state[s] != SlotState::dying || p.refs[s] != 0) continue;
            any = true;
            p.state[s] = SlotState::queued;
            if (p.slots[s].action == NextHopAction::multipath) {
                p.group_index.erase(p.group_keys[s]);
                p.group_keys[s].clear();
                for (unsigned i = 0; i < p.slots[s].n_paths; ++i) release<V6>(p.groups[size_t{s} * kMaxEcmpPaths + i]);
            } else {
                p.plain_index.erase(p.plain_keys[s]);
            }
            uint32_t e = (V6 ? 0x80000000u : 0u) | s;
            if (rte_rcu_qsbr_dq_enqueue(dq, &e) != 0)  // sized for every slot: cannot be full
                DPR_LOG(ERR, "live FIB: defer queue refused a next hop: %s\n", rte_strerror(rte_errno));
        }
        return any;
    }

    static void dq_free(void* p, void* e, unsigned n) {
        auto* self = static_cast<Impl*>(p);
        for (unsigned i = 0; i < n; ++i) {
            uint32_t v;
            std::memcpy(&v, static_cast<uint8_t*>(e) + 4 * i, 4);
            const uint32_t s = v & 0x7fffffffu;
            if (v & 0x80000000u) self->put_back(self->p6, s);
            else self->put_back(self->p4, s);
        }
    }
    template <class NH>
    void put_back(Pool<NH>& p, uint32_t s) {
        p.state[s] = SlotState::free;
        p.free_list.push_back(s);
        --p.in_use;
        ++reclaimed;
    }

    void reclaim() { rte_rcu_qsbr_dq_reclaim(dq, UINT_MAX, nullptr, nullptr, nullptr); }

    // --- routes ---------------------------------------------------------------------------------

    uint32_t winner(const PrefixKey& k) const {
        for (unsigned o : kPrecedence) {
            auto it = held[o].find(k);
            if (it != held[o].end() && it->second.second != kNone) return it->second.second;
        }
        return kNone;
    }

    // Makes the standby FIB answer the prefix's winner.
    std::string refresh(const PrefixKey& k) {
        const uint32_t w = winner(k);
        auto it = installed.find(k);
        const uint32_t cur = it == installed.end() ? kNone : it->second;
        if (w == cur) return {};
        if (const int rc = apply(standby, k, w); rc != 0)
            return "cannot " + std::string(w == kNone ? "remove " : "install ") + prefix_text(k) + ": " +
                   (rc == -ENOSPC || rc == -ENOMEM ? std::string("the FIB is full") : std::string(rte_strerror(-rc)));
        batch.push_back({k, w});
        dirty = true;
        size_t& count = k.v6 ? installed6 : installed4;
        if (w != kNone) {
            ref(k.v6, w);
            if (it == installed.end()) {
                installed.emplace(k, w);
                ++count;
            } else {
                it->second = w;
            }
        } else {
            installed.erase(it);
            --count;
        }
        if (cur != kNone) release(k.v6, cur);
        return {};
    }

    std::string upsert(Route r) {
        if (r.ipv6) r.prefix6 = {r.prefix6.network(), r.prefix6.len};
        else r.prefix4 = {r.prefix4.network(), r.prefix4.len};
        uint32_t nh;
        if (std::string err = acquire_route(r, nh); !err.empty()) return err;
        const PrefixKey k = key_of(r);
        auto& map = held[static_cast<unsigned>(r.origin)];
        auto [it, fresh] = map.try_emplace(k);
        std::pair<Route, uint32_t> old = fresh ? std::pair<Route, uint32_t>{Route{}, kNone} : std::move(it->second);
        it->second = {std::move(r), nh};
        if (std::string err = refresh(k); !err.empty()) {
            if (fresh) map.erase(k);
            else map[k] = std::move(old);
            release(k.v6, nh);
            return err;
        }
        if (old.second != kNone) release(k.v6, old.second);
        return {};
    }

    bool remove(const PrefixKey& k, unsigned origin) {
        auto& map = held[origin];
        auto it = map.find(k);
        if (it == map.end()) return false;
        const uint32_t nh = it->second.second;
        map.erase(it);
        if (std::string err = refresh(k); !err.empty()) DPR_LOG(ERR, "live FIB: %s\n", err.c_str());
        if (nh != kNone) release(k.v6, nh);
        return true;
    }

    // Makes `origin` hold exactly `routes`; the first error stops it (the caller restores).
    std::string apply_origin(unsigned origin, const std::vector<Route>& routes) {
        if (held[origin].empty()) return load_origin(origin, routes);
        std::unordered_set<PrefixKey, PrefixKeyHash> keep;
        keep.reserve(routes.size());
        for (const Route& r : routes) keep.insert(key_of(r));
        std::vector<PrefixKey> gone;
        for (const auto& [k, h] : held[origin])
            if (!keep.contains(k)) gone.push_back(k);
        for (const PrefixKey& k : gone) remove(k, origin);
        for (const Route& r : routes) {
            auto it = held[origin].find(key_of(r));
            if (it != held[origin].end() && it->second.second != kNone && same_route(it->second.first, r)) continue;
            Route copy = r;
            copy.origin = static_cast<RouteOrigin>(origin);
            if (std::string err = upsert(std::move(copy)); !err.empty()) return format_route_error(r, err);
        }
        return {};
    }

    // A whole origin into an empty one (start-up, the first kernel dump): nothing to compare or
    // remove, so no key set; the maps are sized once for the routes instead of rehashing a million
    // nodes as they grow. Each route still goes through upsert: one rte_fib_add on the standby,
    // in trie order (route_order.hpp), which the batch keeps for the replay on the other copy.
    std::string load_origin(unsigned origin, const std::vector<Route>& routes) {
        held[origin].reserve(routes.size());
        installed.reserve(installed.size() + routes.size());
        batch.reserve(batch.size() + routes.size());
        for (const uint32_t i : trie_order(routes)) {
            const Route& r = routes[i];
            Route copy = r;
            copy.origin = static_cast<RouteOrigin>(origin);
            if (std::string err = upsert(std::move(copy)); !err.empty()) return format_route_error(r, err);
        }
        return {};
    }

    static std::string format_route_error(const Route& r, const std::string& err) {
        return "route " + (r.ipv6 ? format_prefix6(r.prefix6) : format_prefix(r.prefix4)) + ": " + err;
    }

    void set_connected(const std::vector<live::ConnectedEntry>& entries) {
        std::unordered_map<PrefixKey, PathSpec, PrefixKeyHash> want;
        for (const auto& e : entries) want[e.ipv6 ? key6(e.prefix6) : key4(e.prefix4)] = e.spec;  // later wins
        auto& c = held[kConnected];
        std::vector<PrefixKey> gone;
        for (const auto& [k, h] : c)
            if (!want.contains(k)) gone.push_back(k);
        for (const PrefixKey& k : gone) remove(k, kConnected);
        for (const auto& [k, spec] : want) {
            const uint32_t nh = k.v6 ? acquire_plain<true>(spec) : acquire_plain<false>(spec);
            if (nh == kNone) {
                DPR_LOG(ERR, "live FIB: no next-hop slot for connected %s\n", prefix_text(k).c_str());
                continue;
            }
            auto [it, fresh] = c.try_emplace(k);
            const uint32_t old = fresh ? kNone : it->second.second;
            it->second.second = nh;
            if (std::string err = refresh(k); !err.empty()) DPR_LOG(ERR, "live FIB: %s\n", err.c_str());
            if (old != kNone) release(k.v6, old);
        }
    }

    void reresolve_all() {
        for (unsigned o = 0; o < kConnected; ++o)
            for (auto& [k, h] : held[o]) {
                uint32_t nh = kNone;
                const std::string err = acquire_route(h.first, nh);
                if (nh == h.second) {
                    if (nh != kNone) release(k.v6, nh);
                    continue;
                }
                if (!err.empty())
                    DPR_LOG(WARNING, "live FIB: %s %s no longer resolves: %s\n", route_origin_name(h.first.origin),
                            prefix_text(k).c_str(), err.c_str());
                const uint32_t old = h.second;
                h.second = nh;
                if (std::string e = refresh(k); !e.empty()) DPR_LOG(ERR, "live FIB: %s\n", e.c_str());
                if (old != kNone) release(k.v6, old);
            }
    }
};

LiveFib::LiveFib(const Config& cfg, LivePorts ports, rte_rcu_qsbr* qsbr, std::atomic<Tables*>& published,
                 const LiveFibLimits& limits)
    : impl_(std::make_unique<Impl>(*this, published)) {
    Impl& im = *impl_;
    im.qsbr = qsbr;
    im.ports = ports;
    im.limits = limits;
    try {
        im.create_pool(im.p4, limits.nexthops4, "dpr_lnh4");
        im.create_pool(im.p6, limits.nexthops6, "dpr_lnh6");
        im.create_fibs(0);
        const std::string dq_name = "dpr_ldq" + std::to_string(next_fib_id());
        rte_rcu_qsbr_dq_parameters dp{};
        dp.name = dq_name.c_str();
        dp.flags = RTE_RCU_QSBR_DQ_MT_UNSAFE;  // one writer: the control thread
        dp.size = im.p4.cap + im.p6.cap;        // every slot at once: an enqueue never finds it full
        dp.esize = 4;
        dp.trigger_reclaim_limit = 64;
        dp.max_reclaim_size = dp.size;
        dp.free_fn = &Impl::dq_free;
        dp.p = &im;
        dp.v = qsbr;
        im.dq = rte_rcu_qsbr_dq_create(&dp);
        if (im.dq == nullptr) throw std::runtime_error("cannot create the RCU defer queue: " + std::string(rte_strerror(rte_errno)));
        im.ifcs = std::make_unique<live::Interfaces>(cfg, ports);
        for (unsigned c = 0; c < 2; ++c) im.new_shell(c, cfg);
        im.set_connected(im.ifcs->connected());
    } catch (...) {
        im.destroy();
        throw;
    }
}

LiveFib::~LiveFib() { impl_->destroy(); }

void LiveFib::Impl::destroy() {
    Impl& im = *this;
    // The workers are stopped (or never read these copies): nothing waits.
    for (Tables* t : im.copy) {
        Tables* expected = t;
        im.published.compare_exchange_strong(expected, nullptr);
    }
    // An unfinished replay is dropped, not completed: both copies are freed below.
    im.pending.clear();
    im.catchup = false;
    if (im.dq != nullptr) rte_rcu_qsbr_dq_delete(im.dq);
    im.dq = nullptr;
    for (unsigned c = 0; c < 2; ++c) {
        free_tables(im.copy[c]);
        rte_fib_free(im.fib[c]);
        rte_fib6_free(im.fib6[c]);
        im.copy[c] = nullptr;
        im.fib[c] = nullptr;
        im.fib6[c] = nullptr;
    }
    rte_free(im.p4.slots);
    rte_free(im.p4.groups);
    rte_free(im.p6.slots);
    rte_free(im.p6.groups);
    im.p4.slots = nullptr;
    im.p6.slots = nullptr;
    im.p4.groups = im.p6.groups = nullptr;
}

std::string LiveFib::upsert(const Route& r) {
    Impl& im = *impl_;
    if (static_cast<unsigned>(r.origin) >= kConnected) return "unknown route origin";
    if (r.ipv6 ? r.prefix6.len > 128 : r.prefix4.len > 32) return "bad prefix length";
    if (std::string err = im.writable(); !err.empty()) return err;
    return im.upsert(r);
}

RouteRemoval LiveFib::remove(const Route& key) {
    Impl& im = *impl_;
    if (static_cast<unsigned>(key.origin) >= kConnected) return false;
    if (std::string err = im.writable(); !err.empty()) {
        DPR_LOG(ERR, "live FIB: %s\n", err.c_str());
        return RouteRemoval::failed(std::move(err));
    }
    return im.remove(key_of(key), static_cast<unsigned>(key.origin));
}

std::string LiveFib::replace_origin(RouteOrigin origin, const std::vector<Route>& routes) {
    Impl& im = *impl_;
    const unsigned o = static_cast<unsigned>(origin);
    if (o >= kConnected) return "unknown route origin";
    // Everything is checked first: a bad route changes nothing.
    std::vector<PathSpec> specs;
    for (const Route& r : routes) {
        if (r.ipv6 ? r.prefix6.len > 128 : r.prefix4.len > 32) return Impl::format_route_error(r, "bad prefix length");
        if (std::string err = im.ifcs->resolve(r, specs); !err.empty()) return Impl::format_route_error(r, err);
    }
    if (std::string err = im.writable(); !err.empty()) return err;
    std::vector<Route> before;
    before.reserve(im.held[o].size());
    for (const auto& [k, h] : im.held[o]) before.push_back(h.first);
    if (std::string err = im.apply_origin(o, routes); !err.empty()) {
        // A full FIB or next-hop table: back to what was there, which fitted.
        if (std::string again = im.apply_origin(o, before); !again.empty())
            DPR_LOG(ERR, "live FIB: restoring the %s routes: %s\n", route_origin_name(origin), again.c_str());
        return err;
    }
    return {};
}

void LiveFib::commit() {
    Impl& im = *impl_;
    if (!im.dirty) {
        im.reclaim();
        return;
    }
    Tables* t = im.copy[im.standby];
    t->generation = ++im.generation;
    for (Tables* c : im.copy) {
        c->n_routes = static_cast<uint32_t>(im.installed4);
        c->n_routes6 = static_cast<uint32_t>(im.installed6);
    }
    im.published.store(t, std::memory_order_release);
    // Readers that loaded the other copy are done with it once each has been quiescent after now.
    im.token = rte_rcu_qsbr_start(im.qsbr);
    im.pending = std::move(im.batch);
    im.batch.clear();
    im.pending_cfg = std::move(im.batch_cfg);
    im.catchup = true;
    im.standby ^= 1u;
    im.dirty = false;
    ++im.commits;
    // Freeing a multipath slot releases its members, which may free them in turn.
    for (bool more = true; more;) {
        const bool six = im.free_dying<true>();
        const bool four = im.free_dying<false>();
        more = six || four;
    }
    im.reclaim();
}

std::vector<Route> LiveFib::routes() const {
    std::vector<Route> v;
    for (unsigned o = 0; o < kConnected; ++o)
        for (const auto& [k, h] : impl_->held[o]) v.push_back(h.first);
    return v;
}

void LiveFib::reconfigure(const Config& cfg) {
    Impl& im = *impl_;
    im.ensure_writable();
    auto ifcs = std::make_unique<live::Interfaces>(cfg, im.ports);
    auto next_cfg = std::make_unique<Config>(cfg);
    im.new_shell(im.standby, cfg);  // throws with nothing changed
    im.batch_cfg = std::move(next_cfg);
    im.ifcs = std::move(ifcs);
    im.dirty = true;
    im.set_connected(im.ifcs->connected());
    im.reresolve_all();
}

bool LiveFib::maintain() {
    bool done = false;
    try {
        done = impl_->ensure_writable(false, kReplayChunk);
        impl_->create_failed = false;  // a later failure is logged again
    } catch (const std::exception& e) {  // the second copy's FIBs: tried again next time
        if (!impl_->create_failed) DPR_LOG(ERR, "live FIB: %s\n", e.what());
        impl_->create_failed = true;
    }
    impl_->reclaim();
    return !done;
}

bool LiveFib::replaying() const { return impl_->catchup; }

void LiveFib::settle() {
    Impl& im = *impl_;
    im.ensure_writable(true);
    rte_rcu_qsbr_check(im.qsbr, rte_rcu_qsbr_start(im.qsbr), true);
    im.reclaim();
}

Tables* LiveFib::tables() const { return impl_->copy[0]; }

LiveFib::Stats LiveFib::stats() const {
    const Impl& im = *impl_;
    Stats s;
    s.installed4 = im.installed4;
    s.installed6 = im.installed6;
    for (unsigned o = 0; o < kConnected; ++o) s.held += im.held[o].size();
    s.held_kernel = im.held[static_cast<unsigned>(RouteOrigin::kernel)].size();
    s.nexthops4 = im.p4.in_use;
    s.nexthops6 = im.p6.in_use;
    s.commits = im.commits;
    s.replays = im.replays;
    s.reclaimed = im.reclaimed;
    s.replay_left = im.pending.size() - im.replayed;
    return s;
}

}  // namespace dprouter
