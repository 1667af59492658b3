// How long a thread with nothing to do sleeps (dpdk.idle: sleep): the first pause is `first`, each
// further one twice the last, up to `max`; busy() (a packet, a message) starts over at `first`.
// The unit is the caller's: microseconds for the workers, milliseconds for the control thread.
#pragma once

#include <algorithm>

namespace dprouter {

class IdleBackoff {
public:
    IdleBackoff(unsigned first, unsigned max) : first_(std::min(first, max)), max_(max) {}
    void busy() { last_ = 0; }
    // The pause the next idle iteration takes.
    unsigned next() {
        last_ = last_ == 0 ? first_ : std::min(last_ * 2, max_);
        return last_;
    }

private:
    unsigned first_;
    unsigned max_;
    unsigned last_ = 0;
};

}  // namespace dprouter
