#include "dprouter/log.hpp"

#include <array>
#include <charconv>
#include <utility>

namespace dprouter {

int g_logtype = RTE_LOGTYPE_USER1;

namespace {
// Registered before main() so messages logged before rte_eal_init already carry the level filter.
RTE_INIT(register_logtype) {
    const int t = rte_log_register_type_and_pick_level("dprouter", RTE_LOG_INFO);
    if (t >= 0) g_logtype = t;
}
}  // namespace

std::optional<uint32_t> parse_log_level(std::string_view name) {
    static constexpr std::array<std::pair<std::string_view, uint32_t>, 10> kNames{{
        {"emergency", RTE_LOG_EMERG}, {"alert", RTE_LOG_ALERT}, {"critical", RTE_LOG_CRIT},
        {"error", RTE_LOG_ERR},       {"warning", RTE_LOG_WARNING}, {"notice", RTE_LOG_NOTICE},
        {"info", RTE_LOG_INFO},       {"debug", RTE_LOG_DEBUG}, {"err", RTE_LOG_ERR}, {"warn", RTE_LOG_WARNING},
    }};
    for (const auto& [n, v] : kNames)
        if (n == name) return v;
    uint32_t v = 0;
    auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), v);
    if (ec == std::errc() && p == name.data() + name.size() && v >= RTE_LOG_EMERG && v <= RTE_LOG_DEBUG) return v;
    return std::nullopt;
}

void set_log_level(uint32_t level) { rte_log_set_level(g_logtype, level); }

}  // namespace dprouter
