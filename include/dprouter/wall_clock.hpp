// Wall-clock time for the workers, which make no system call: the control thread publishes how far
// UTC is ahead of the TSC (both counted in milliseconds) and refreshes it as it goes, so TSC drift
// against the system clock stays bounded; a worker adds it to its own TSC reading. Used for the
// RFC 791 Internet Timestamp option, "milliseconds since midnight UT".
#pragma once

#include <chrono>
#include <cstdint>

namespace dprouter {

inline constexpr int64_t kMsPerDay = 86'400'000;

// TSC cycles as milliseconds, without the overflow of tsc * 1000 (which wraps 64 bits after some
// months of uptime at a few GHz). `hz` must not be 0.
constexpr uint64_t tsc_to_ms(uint64_t tsc, uint64_t hz) { return tsc / hz * 1000 + tsc % hz * 1000 / hz; }

// Control side: UTC in milliseconds since the epoch minus the TSC reading `tsc` in milliseconds.
inline int64_t utc_minus_tsc_ms(uint64_t tsc, uint64_t hz) {
    using namespace std::chrono;
    const auto utc = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
    return static_cast<int64_t>(utc) - static_cast<int64_t>(tsc_to_ms(tsc, hz));
}

// Worker side: milliseconds since midnight UT at TSC reading `tsc`, given the published offset.
constexpr uint32_t ms_since_midnight_ut(uint64_t tsc, uint64_t hz, int64_t utc_minus_tsc) {
    const int64_t ms = static_cast<int64_t>(tsc_to_ms(tsc, hz)) + utc_minus_tsc;
    return static_cast<uint32_t>((ms % kMsPerDay + kMsPerDay) % kMsPerDay);
}

}  // namespace dprouter
