// Error messages: one line each, bounded in number.
#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "dprouter/config.hpp"
#include "error_sink.hpp"

namespace dprouter {

namespace {

// A message quotes values from the file (and yaml-cpp quotes the offending character in some of
// its own): a newline or NUL there must not break the one-line form, so control bytes become \xNN.
void append_escaped(std::string& out, const std::string& text) {
    constexpr char kHex[] = "0123456789abcdef";
    for (char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (c >= 0x20 && c != 0x7f) {
            out += ch;
        } else {
            out += {'\\', 'x', kHex[c >> 4], kHex[c & 0x0f]};
        }
    }
}

}  // namespace

std::string ConfigError::to_string() const {
    std::string out;
    out.reserve(file.size() + message.size() + 32);
    append_escaped(out, file);
    out += ':' + std::to_string(pos.line) + ':' + std::to_string(pos.column) + ": error: ";
    append_escaped(out, message);
    return out;
}

std::vector<std::string> error_lines(const std::vector<ConfigError>& errors) {
    std::vector<std::string> lines;
    lines.reserve(errors.size());
    for (const auto& e : errors) lines.push_back(e.to_string());
    return lines;
}

std::vector<ConfigError> ErrorSink::finish(const std::string& main_file) && {
    std::stable_sort(errors_.begin(), errors_.end(), [&](const ConfigError& a, const ConfigError& b) {
        return std::tuple(a.file != main_file, a.pos.line, a.pos.column) <
               std::tuple(b.file != main_file, b.pos.line, b.pos.column);
    });
    const std::size_t limit = config_limits::max_errors_reported;
    if (errors_.size() + dropped_ > limit) {
        const std::size_t more = errors_.size() + dropped_ - limit;
        ConfigError summary = errors_[std::min(limit, errors_.size() - 1)];
        summary.message = "... and " + std::to_string(more) + " more error" + (more == 1 ? "" : "s");
        errors_.resize(std::min(limit, errors_.size()));
        errors_.push_back(std::move(summary));
    }
    return std::move(errors_);
}

}  // namespace dprouter
