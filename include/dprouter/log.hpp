// Logging through DPDK's rte_log, under the "dprouter" log type, so `--log-level` and EAL's own
// log options act on the router's messages the same way. Control path only.
#pragma once

#include <optional>
#include <string_view>

#include <rte_log.h>

namespace dprouter {

extern int g_logtype;

// "emergency".."debug" (syslog names as DPDK uses them) or 1..8.
std::optional<uint32_t> parse_log_level(std::string_view name);
void set_log_level(uint32_t level);

}  // namespace dprouter

#define DPR_LOG(level, ...) rte_log(RTE_LOG_##level, ::dprouter::g_logtype, "dprouter: " __VA_ARGS__)
