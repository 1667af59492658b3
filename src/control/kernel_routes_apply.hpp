// Handing a whole set of kernel routes to a RouteSink when RouteSink::replace_origin refused it
// (it applies all or nothing): route by route, so that the routes the sink can take are installed
// and only the others are left out.
#pragma once

#include <cstdint>
#include <vector>

#include "dprouter/route_store.hpp"

namespace dprouter {

// Makes the sink's `kernel` routes equal `wanted` as far as it accepts them: routes it holds and
// `wanted` lacks are removed, changed and new ones upserted; a route it refuses is removed in its
// older version too (the dataplane must not forward where the kernel no longer does). Unchanged
// routes are not touched. Returns how many it refused. Does not commit.
uint64_t apply_one_by_one(RouteSink& sink, const std::vector<Route>& wanted);

}  // namespace dprouter
