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

bool RouteBatch::remove(RouteSink& sink, const Route& key) {
    if (!sink.remove(key)) return false;
    pending_ = true;
    ++changes_;
    return true;
}

bool RouteBatch::publish(RouteSink& sink) {
    if (!pending_) return false;
    sink.commit();
    pending_ = false;
    ++publications_;
    return true;
}

}  // namespace dprouter
