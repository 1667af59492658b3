// GoogleTest entry point: brings up the EAL once with no PCI bus, no hugepages and no shared
// configuration files, so the pipeline tests run on any machine without a NIC. (DPDK 22.11 refuses
// --in-memory together with --no-huge, so --no-shconf and a per-process prefix play its part.)
#include <gtest/gtest.h>

#include <rte_eal.h>
#include <rte_lcore.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include <unistd.h>
#include <vector>

#include "dprouter/simd_policy.hpp"

int main(int argc, char** argv) {
    testing::InitGoogleTest(&argc, argv);
    const std::string prefix = "dprouter-unit-" + std::to_string(getpid());
    std::vector<std::string> eal_args{"unit_tests", "--no-pci",       "--no-huge", "-m", "512",
                                      "--no-shconf", "--no-telemetry", "-l",        "0",  "--file-prefix",
                                      prefix,       "--log-level",    "lib.eal:warning"};
    std::vector<char*> args;
    for (auto& a : eal_args) args.push_back(a.data());
    if (rte_eal_init(static_cast<int>(args.size()), args.data()) < 0) {
        std::fprintf(stderr, "unit_tests: EAL init failed\n");
        return EXIT_FAILURE;
    }
    // The router's SIMD policy, as main.cpp applies it: the tables the tests build choose their
    // lookups as the router's would (test_fib_lookups.cpp forces each one in turn).
    dprouter::apply_simd_policy();
    int rc = RUN_ALL_TESTS();
    rte_eal_cleanup();
    return rc;
}
