// Route changes of the control socket, published together (docs/control-plane.md "Coalesced
// commits"). Each `route add|del` request changes the route sink at once (so a change the FIB
// cannot take is refused with its own reason, and a `show routes` behind it in the same round
// sees it), but the commit that makes the changes visible to the workers waits for the end of the
// control server's round: ControlServer::set_before_answers calls publish() once, after the last
// request of the round is answered and before any answer is written. An "ok" still means "in the
// dataplane", and a client that pipelines a hundred changes costs the workers one copy swap
// instead of a hundred.
#pragma once

#include <cstdint>
#include <string>

#include "dprouter/route_store.hpp"

namespace dprouter {

class RouteBatch {
public:
    // RouteSink::upsert without the commit: "" when applied, else the sink's reason.
    std::string add(RouteSink& sink, const Route& r);
    // RouteSink::remove without the commit: false when the sink held no such route (or, with the
    // reason, could not change).
    RouteRemoval remove(RouteSink& sink, const Route& key);
    // Commits once when anything changed since the last call; true when it did.
    bool publish(RouteSink& sink);

    uint64_t changes() const { return changes_; }            // applied since start
    uint64_t publications() const { return publications_; }  // commits publish() made

private:
    bool pending_ = false;
    uint64_t changes_ = 0;
    uint64_t publications_ = 0;
};

}  // namespace dprouter
