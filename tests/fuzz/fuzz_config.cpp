// libFuzzer target: arbitrary bytes as a configuration file, through the parser and validator that
// `dprouter --check` runs (docs/fuzzing.md). Besides crashes, hangs and sanitizer reports, a
// finding is a refusal without an error, or an error that is not one `FILE:LINE:COL: error:` line.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "dprouter/config.hpp"

namespace {

constexpr const char* kFile = "fuzz.yaml";

[[noreturn]] void finding(const std::string& what, const std::string& text) {
    std::fprintf(stderr, "fuzz_config: %s\n--- input ---\n%s\n", what.c_str(), text.c_str());
    std::abort();
}

bool is_digits(const std::string& s, size_t from, size_t to) {
    if (from >= to) return false;
    for (size_t i = from; i < to; ++i)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

// "FILE:LINE:COL: error: MESSAGE", with no line break anywhere; FILE is the YAML file or the
// routes_file it names (whose lines are checked with their own positions).
bool well_formed(const std::string& line, const std::string& routes_file) {
    if (line.find('\n') != std::string::npos) return false;
    std::string head = std::string(kFile) + ":";
    if (line.rfind(head, 0) != 0) {
        head = routes_file + ":";
        if (routes_file.empty() || line.rfind(head, 0) != 0) return false;
    }
    const size_t c1 = line.find(':', head.size());
    if (c1 == std::string::npos || !is_digits(line, head.size(), c1)) return false;
    const size_t c2 = line.find(':', c1 + 1);
    if (c2 == std::string::npos || !is_digits(line, c1 + 1, c2)) return false;
    return line.compare(c2, 9, ": error: ") == 0 && line.size() > c2 + 9;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    const dprouter::ConfigResult r = dprouter::parse_config_text(text, kFile);
    for (const dprouter::ConfigError& e : r.errors) {
        const std::string line = e.to_string();
        if (!well_formed(line, r.config.routes_file)) finding("malformed error line: " + line, text);
    }
    if (r.ok() && r.config.interfaces.empty()) finding("accepted a configuration without interfaces", text);
    return 0;
}
