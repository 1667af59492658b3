// "ADDR:PORT" and "[ADDR6]:PORT" as `metrics.listen` takes them: literal addresses only (no host
// names: the router must not depend on a resolver to start), port 1..65535.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dprouter {

struct ListenAddress {
    std::string host;  // the address without brackets: "127.0.0.1", "::1"
    bool ipv6 = false;
    uint16_t port = 0;
};

// The address, or nothing with the reason in `why` ("port 0 out of range 1..65535").
std::optional<ListenAddress> parse_listen_address(std::string_view text, std::string& why);

}  // namespace dprouter
