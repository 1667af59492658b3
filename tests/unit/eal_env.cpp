// GoogleTest entry point: brings up the EAL once, in memory, with no PCI bus and no hugepages,
// so the pipeline tests run as any user on any machine.
#include <gtest/gtest.h>

#include <rte_eal.h>
#include <rte_lcore.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char** argv) {
    testing::InitGoogleTest(&argc, argv);
    const char* eal_args[] = {"unit_tests", "--no-pci", "--no-huge", "--in-memory", "-m", "256",
                              "--no-telemetry", "-l", "0", "--log-level", "lib.eal:warning"};
    std::vector<char*> args;
    for (const char* a : eal_args) args.push_back(const_cast<char*>(a));
    if (rte_eal_init(static_cast<int>(args.size()), args.data()) < 0) {
        std::fprintf(stderr, "unit_tests: EAL init failed\n");
        return EXIT_FAILURE;
    }
    int rc = RUN_ALL_TESTS();
    rte_eal_cleanup();
    return rc;
}
