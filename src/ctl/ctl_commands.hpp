// dprouterctl's two pure halves, unit-tested without a socket: the command line turned into a
// request (docs/control-plane.md "dprouterctl"), and an answer turned into aligned text.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dprouter::ctl {

struct Parsed {
    std::string socket = "/run/dprouter.sock";
    bool json_output = false;
    bool help = false;
    nlohmann::json request;  // {"op": ...}; null when help or on error
    std::string error;       // a usage error: printed with the usage, exit 2
};

// argv without the program name.
Parsed parse_command_line(const std::vector<std::string>& args);

const char* usage();

// The text dprouterctl prints for a successful answer's "result" to request `op`.
std::string format_result(const std::string& op, const nlohmann::json& result);

// `s` with control characters shown as \xNN: a message from the router stays one line.
std::string printable(const std::string& s);

}  // namespace dprouter::ctl
