// Wall time of the start-up's phases, for one INFO line each in the start log (main: check,
// parse, EAL; Router::setup: pools, ports, FIB, routes). Operators see where a large table's
// start goes without a profiler (docs/benchmarking.md "Large tables").
#pragma once

#include <chrono>
#include <string>

namespace dprouter {

class StartupPhases {
public:
    StartupPhases() : last_(Clock::now()), first_(last_) {}

    // Ends the phase running since the last mark (or construction) and names it.
    void mark(const char* name) {
        const auto now = Clock::now();
        append(name, now - last_);
        last_ = now;
    }
    // "check 812 ms, parse 640 ms, ..., total 3127 ms"
    std::string text() const { return text_ + (text_.empty() ? "" : ", ") + "total " + ms(Clock::now() - first_) + " ms"; }

private:
    using Clock = std::chrono::steady_clock;
    static std::string ms(Clock::duration d) {
        return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
    }
    void append(const char* name, Clock::duration d) {
        if (!text_.empty()) text_ += ", ";
        text_ += name;
        text_ += ' ';
        text_ += ms(d);
        text_ += " ms";
    }
    Clock::time_point last_, first_;
    std::string text_;
};

}  // namespace dprouter
