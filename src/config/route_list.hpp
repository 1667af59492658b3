// The route-list file named by `routes_file:` (docs/configuration.md): one route a line,
//     PREFIX via ADDRESS [interface NAME] | PREFIX blackhole | PREFIX unreachable | PREFIX prohibit
// with '#' comments and blank lines, IPv4 and IPv6 mixed (a prefix with ':' is IPv6; a link-local
// IPv6 via needs `interface NAME`). It exists for tables too big for YAML (a full Internet table
// of a million routes): one linear pass over the text, no per-line allocation.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dprouter/config.hpp"
#include "error_sink.hpp"

namespace dprouter {

// Appends the routes of `text` to `out` (IPv4) and `out6` (IPv6), marked from_routes_file;
// problems go to `errors` as FILE:LINE:COLUMN (1-based bytes).
void parse_route_list(std::string_view text, const std::string& file, std::vector<RouteConfig>& out,
                      std::vector<Route6Config>& out6, ErrorSink& errors);

// The message for a prefix that parse_prefix refused; `noun` is "prefix" or "address".
std::string invalid_prefix_message(std::string_view text, std::string_view noun);
// The same for parse_prefix6.
std::string invalid_prefix6_message(std::string_view text, std::string_view noun);

}  // namespace dprouter
