// libFuzzer target: rtnetlink datagrams as the route importer receives them. Every input is
// decoded (nl::decode_buffer) and what decodes is applied to a KernelRouteTable with a recording
// sink. Oracles: no crash, leak or out-of-bounds read (ASan/UBSan); every route handed to the sink
// is well-formed (forward: 1..kMaxEcmpPaths paths, each through a mirror interface; other actions:
// no path); the full set equals what the sink holds (the incremental calls and the recomputed set
// agree), unless the table asked for a resync or recompute.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "control/kernel_route_table.hpp"
#include "control/netlink_decode.hpp"
#include "../tools/recording_route_sink.hpp"

namespace {

void check_route(const dprouter::Route& r) {
    using dprouter::RouteAction;
    if (r.action == RouteAction::forward) {
        if (r.via.empty() || r.via.size() > dprouter::kMaxEcmpPaths) std::abort();
        for (const auto& v : r.via)
            if (v.interface < 0 || v.interface > 1) std::abort();
    } else if (!r.via.empty()) {
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // Datagrams arrive in an aligned buffer: an exact-size heap copy (new[] aligns for any type) keeps
    // the alignment and lets ASan see any read past the end.
    std::unique_ptr<uint8_t[]> copy(new uint8_t[size + (size == 0)]);
    if (size != 0) std::memcpy(copy.get(), data, size);
    dprouter::KernelRouteTable table({"lan", "wan"});
    dprouter::RecordingRouteSink sink;
    bool whole_set_changed = false;
    dprouter::nl::decode_buffer(copy.get(), size, [&](const nlmsghdr&, dprouter::nl::Decoded&& d) {
        if (table.apply(d, &sink) != dprouter::KernelRouteTable::Effect::none) whole_set_changed = true;
    });
    for (const auto& [k, r] : sink.held) check_route(r);
    const auto all = table.imported();
    for (const auto& r : all) check_route(r);
    if (!whole_set_changed) {
        std::vector<std::string> expect;
        for (const auto& r : all) expect.push_back(dprouter::route_line(r));
        std::sort(expect.begin(), expect.end());
        if (expect != sink.lines()) std::abort();
    }
    return 0;
}
