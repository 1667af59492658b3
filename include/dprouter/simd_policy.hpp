// The widest SIMD the router's libraries may use, decided once after rte_eal_init and before any
// FIB exists (docs/architecture.md, "SIMD width").
//
// DPDK caps its run-time choice of vector code at the EAL's max SIMD bitwidth, 256 bits on x86 by
// default, because on older Intel cores (Skylake-SP, Cascade Lake) 512-bit instructions lower the
// core's clock (AVX-512 frequency licences). rte_fib and rte_fib6 only pick their AVX-512 bulk
// lookups under a 512-bit cap, and on CPUs without that penalty (AMD Zen 4, Intel Ice Lake and
// later) they are the faster lookups. So the router raises the cap to 512 when the CPU has the
// AVX-512 subsets those lookups are built with, unless the user chose a width with EAL's
// --force-max-simd-bitwidth (dpdk.eal_args): that choice always stands.
#pragma once

#include <cstdint>

namespace dprouter {

struct SimdPolicy {
    uint16_t bitwidth = 0;   // the EAL's max SIMD bitwidth after the decision
    bool raised = false;     // the router raised it to 512
    bool forced = false;     // the user set it with --force-max-simd-bitwidth (then it was left alone)
    bool cpu_avx512 = false; // the CPU has AVX-512 F, DQ and BW (what rte_fib's and rte_fib6's lookups use)
};

// Does this CPU have what rte_fib's DIR-24-8 (AVX-512 F, DQ) and rte_fib6's TRIE (F, DQ, BW)
// AVX-512 lookups are compiled for? DPDK 22.11 itself only tests F before choosing them.
bool cpu_has_fib_avx512();

// Call once, after rte_eal_init and before the first rte_fib / rte_fib6 is created (each FIB picks
// its lookup when it is created, the fast path its classify at the first burst). Logs the outcome.
SimdPolicy apply_simd_policy();

}  // namespace dprouter
