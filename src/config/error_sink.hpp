// Collects configuration errors with a bound: a hostile file (thousands of unknown keys, a
// million bad routes) must not turn into gigabytes of messages. The first max_stored errors are
// kept, the rest only counted; finish() sorts them by position and keeps
// config_limits::max_errors_reported, followed by one "... and N more errors" line.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "dprouter/config.hpp"

namespace dprouter {

class ErrorSink {
public:
    static constexpr std::size_t max_stored = 10000;

    void add(ConfigError e) {
        if (errors_.size() < max_stored)
            errors_.push_back(std::move(e));
        else
            ++dropped_;
    }
    void add(const std::string& file, SourcePos pos, std::string message) {
        add(ConfigError{file, pos, std::move(message)});
    }
    bool empty() const { return errors_.empty(); }

    // Errors of `main_file` sort before those of other files (the route list it names).
    std::vector<ConfigError> finish(const std::string& main_file) &&;

private:
    std::vector<ConfigError> errors_;
    std::size_t dropped_ = 0;
};

}  // namespace dprouter
