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
    std::string output;      // capture: -w FILE ("-": standard output)
    std::string error;       // a usage error: printed with the usage, exit 2
};

// argv without the program name.
Parsed parse_command_line(const std::vector<std::string>& args);

const char* usage();

// The text dprouterctl prints for a successful answer's "result" to request `op`.
std::string format_result(const std::string& op, const nlohmann::json& result);

// `s` with control characters shown as \xNN: a message from the router stays one line.
std::string printable(const std::string& s);

// Follows a pcapng stream block by block as it arrives in pieces, counting packets and reading
// the interface statistics block a capture ends with (pcapng draft 4.6: isb_ifrecv, isb_ifdrop).
class PcapngTally {
public:
    void feed(const char* data, std::size_t n);
    uint64_t packets() const { return packets_; }  // enhanced packet blocks
    bool complete() const { return stats_seen_; }  // the statistics block arrived: a whole capture
    uint64_t dropped() const { return dropped_; }  // isb_ifdrop of that block (0 when absent)
    bool malformed() const { return malformed_; }

private:
    std::string block_;     // the current block's bytes so far (header, or a statistics block)
    uint64_t skip_ = 0;     // bytes of the current block still to pass over
    uint64_t packets_ = 0;
    uint64_t dropped_ = 0;
    bool stats_seen_ = false;
    bool malformed_ = false;
};

}  // namespace dprouter::ctl
