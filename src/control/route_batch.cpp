#include "control/route_batch.hpp"

namespace dprouter {

std::string RouteBatch::add(RouteSink& sink, const Route& r) {
    std::string why = sink.upsert(r);
    if (why.empty()) {
        pending_ = true;
        ++changes_;
    }
    return why;
}

RouteRemoval RouteBatch::remove(RouteSink& sink, const Route& key) {
    RouteRemoval r = sink.remove(key);
    if (!r) return r;
    pending_ = true;
    ++changes_;
    return r;
}

bool RouteBatch::publish(RouteSink& sink) {
    if (!pending_) return false;
    sink.commit();
    pending_ = false;
    ++publications_;
    return true;
}

}  // namespace dprouter
