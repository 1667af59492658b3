// Checking a configuration file with bounded time and memory.
//
// The parse runs in a forked child under RLIMIT_AS and RLIMIT_CPU and a wall-clock deadline, so
// a file that makes yaml-cpp (or anything else) loop or swell costs one child, never the router:
// the parent only waits, reads at most a few kilobytes of error lines, and kills the child when
// a limit is hit. The child touches no DPDK state and leaves with _exit. Parsing is
// deterministic, so once the child found the file valid the caller parses it again in-process.
#pragma once

#include <atomic>
#include <cstddef>
#include <string>
#include <vector>

namespace dprouter {

struct CheckLimits {
    std::size_t memory_bytes;  // address space the child may add to what it inherited
    unsigned cpu_seconds;
    unsigned wall_seconds;
};

// The limits for a YAML file of `file_bytes` (docs/configuration.md "Limits of the configuration").
CheckLimits check_limits_for(std::size_t file_bytes);

struct CheckOutcome {
    enum Status { valid, invalid, stopped } status = invalid;
    std::vector<std::string> lines;  // "FILE:LINE:COL: error: ..." lines, as --check prints them
};

// Parses and validates `path` in a bounded child. `stop` (may be null) is polled while waiting:
// when it becomes true the child is killed and the outcome is `stopped`. `limits` (tests) replaces
// check_limits_for(size of the file).
CheckOutcome check_config_bounded(const std::string& path, const std::atomic<bool>* stop = nullptr,
                                  const CheckLimits* limits = nullptr);

}  // namespace dprouter
