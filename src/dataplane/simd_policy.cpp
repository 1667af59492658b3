// See include/dprouter/simd_policy.hpp.
// DPDK 22.11's rte_vect.h lacks the extern "C" its siblings have; included first, so that no
// other header brings it in without.
extern "C" {
#include <rte_vect.h>
}

#include "dprouter/simd_policy.hpp"

#include <cerrno>

#include <rte_cpuflags.h>
#include <rte_log.h>

#include "dprouter/log.hpp"

namespace dprouter {

bool cpu_has_fib_avx512() {
#if defined(RTE_ARCH_X86)
    return rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX512F) > 0 && rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX512DQ) > 0 &&
           rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX512BW) > 0;
#else
    return false;
#endif
}

SimdPolicy apply_simd_policy() {
    SimdPolicy p;
    p.cpu_avx512 = cpu_has_fib_avx512();
    p.bitwidth = rte_vect_get_max_simd_bitwidth();
    if (!p.cpu_avx512) {
        DPR_LOG(INFO, "max SIMD bitwidth %u (the CPU lacks AVX-512 F/DQ/BW)\n", unsigned{p.bitwidth});
        return p;
    }
    if (p.bitwidth >= RTE_VECT_SIMD_512) {
        DPR_LOG(INFO, "max SIMD bitwidth %u\n", unsigned{p.bitwidth});
        return p;
    }
    // rte_vect_set_max_simd_bitwidth refuses with -EPERM when --force-max-simd-bitwidth was given
    // (DPDK 22.11, eal_common_options.c), and logs a NOTICE of its own without a line end; EAL's
    // level is lowered around the call so that only our line says what happened.
    const int eal_level = rte_log_get_level(RTE_LOGTYPE_EAL);
    if (eal_level > static_cast<int>(RTE_LOG_WARNING)) rte_log_set_level(RTE_LOGTYPE_EAL, RTE_LOG_WARNING);
    const int rc = rte_vect_set_max_simd_bitwidth(RTE_VECT_SIMD_512);
    if (eal_level > static_cast<int>(RTE_LOG_WARNING)) rte_log_set_level(RTE_LOGTYPE_EAL, static_cast<uint32_t>(eal_level));
    if (rc == 0) {
        p.raised = true;
        p.bitwidth = rte_vect_get_max_simd_bitwidth();
        DPR_LOG(INFO, "max SIMD bitwidth raised to %u: the CPU has AVX-512, the FIBs use their AVX-512 lookups "
                      "(--force-max-simd-bitwidth=256 in dpdk.eal_args keeps DPDK's 256)\n",
                unsigned{p.bitwidth});
    } else {
        p.forced = rc == -EPERM;
        DPR_LOG(INFO, "max SIMD bitwidth %u, as --force-max-simd-bitwidth says (the CPU has AVX-512)\n",
                unsigned{p.bitwidth});
    }
    return p;
}

}  // namespace dprouter
