// ICMP rate limiting (RFC 1812 4.3.2.8): the integer token bucket driven by a fake TSC, the per-worker
// share of the router-wide limits, and the per-worker limiter (per-destination slots, global bucket,
// frag-needed bucket) as icmp_rate_limit applies it.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include <rte_byteorder.h>
#include <rte_hash_crc.h>

#include "dprouter/icmp.hpp"
#include "dprouter/pipeline.hpp"
#include "dprouter/tables.hpp"
#include "icmp/icmp_error.hpp"
#include "packet_builder.hpp"

namespace {

using dprouter::BucketLimits;
using dprouter::IcmpKind;
using dprouter::IcmpLimiter;
using dprouter::IcmpSuppress;
using dprouter::TokenBucket;

constexpr uint64_t kHz = 1'000'000'000;  // 1 cycle = 1 ns
constexpr uint64_t kMs = kHz / 1000;
constexpr uint64_t kStart = 5 * kHz;  // any non-zero instant

// Limits for `rate` tokens per second and `burst` tokens, both given in thousandths.
constexpr BucketLimits limits_milli(uint64_t rate_milli, uint64_t burst_milli) { return {rate_milli, burst_milli}; }
constexpr BucketLimits limits(uint64_t rate, uint64_t burst) { return {rate * 1000, burst * 1000}; }

// Takes tokens at `now` until refused (at most `cap` tries); returns how many were granted.
unsigned drain(TokenBucket& b, uint64_t now, BucketLimits lim, unsigned cap = 100000) {
    unsigned n = 0;
    while (n < cap && b.take(now, kHz, lim)) ++n;
    return n;
}

// ---------------------------------------------------------------------------------------------
// TokenBucket

TEST(RateLimitBucket, StartsFullAtBurst) {
    TokenBucket b;
    EXPECT_EQ(drain(b, kStart, limits(10, 10)), 10u);
    EXPECT_FALSE(b.take(kStart, kHz, limits(10, 10)));
}

TEST(RateLimitBucket, StartsFullEvenWhenFirstUsedLate) {
    TokenBucket b;  // a bucket first touched after hours holds a burst, not more
    EXPECT_EQ(drain(b, 7200 * kHz, limits(10, 3)), 3u);
}

TEST(RateLimitBucket, RefillsOneTokenPerTenthOfASecondAtTenPerSecond) {
    const BucketLimits lim = limits(10, 10);
    TokenBucket b;
    ASSERT_EQ(drain(b, kStart, lim), 10u);
    EXPECT_FALSE(b.take(kStart + 99 * kMs, kHz, lim)) << "99 ms at 10/s is 0.99 of a token";
    EXPECT_TRUE(b.take(kStart + 100 * kMs, kHz, lim)) << "100 ms at 10/s is exactly one token";
    EXPECT_FALSE(b.take(kStart + 100 * kMs, kHz, lim)) << "and only one";
}

TEST(RateLimitBucket, ExactlyOneTokenAfterHundredMsFromEmpty) {
    const BucketLimits lim = limits(10, 10);
    TokenBucket b;
    ASSERT_EQ(drain(b, kStart, lim), 10u);
    EXPECT_EQ(drain(b, kStart + 100 * kMs, lim), 1u);
}

TEST(RateLimitBucket, NoTokenAfterNinetyNineMsFromEmpty) {
    const BucketLimits lim = limits(10, 10);
    TokenBucket b;
    ASSERT_EQ(drain(b, kStart, lim), 10u);
    EXPECT_EQ(drain(b, kStart + 99 * kMs, lim), 0u);
}

TEST(RateLimitBucket, FractionsOfTokensAccumulateAcrossCalls) {
    const BucketLimits lim = limits(10, 10);
    TokenBucket b;
    ASSERT_EQ(drain(b, kStart, lim), 10u);
    // Ten calls 10 ms apart: 0.1 token each; the tenth completes one token.
    for (int i = 1; i < 10; ++i) EXPECT_FALSE(b.take(kStart + static_cast<uint64_t>(i) * 10 * kMs, kHz, lim)) << i;
    EXPECT_TRUE(b.take(kStart + 100 * kMs, kHz, lim));
}

TEST(RateLimitBucket, SteadyRateOverOneSecond) {
    const BucketLimits lim = limits(10, 10);
    TokenBucket b;
    ASSERT_EQ(drain(b, kStart, lim), 10u);
    unsigned granted = 0;
    for (uint64_t t = 1; t <= 1000; ++t) granted += drain(b, kStart + t * kMs, lim);
    EXPECT_EQ(granted, 10u) << "one second at 10/s";
}

TEST(RateLimitBucket, NeverExceedsBurstAfterLongIdle) {
    const BucketLimits lim = limits(10, 4);
    TokenBucket b;
    ASSERT_EQ(drain(b, kStart, lim), 4u);
    EXPECT_EQ(drain(b, kStart + 3600 * kHz, lim), 4u) << "an hour of idle refills to the burst, no further";
    EXPECT_EQ(drain(b, kStart + 3600 * kHz + 400 * kMs, lim), 4u);
}

TEST(RateLimitBucket, PartialUseThenIdleCapsAtBurst) {
    const BucketLimits lim = limits(10, 5);
    TokenBucket b;
    ASSERT_TRUE(b.take(kStart, kHz, lim));  // 4 left
    EXPECT_EQ(drain(b, kStart + 10 * kHz, lim), 5u);
}

TEST(RateLimitBucket, HugeIdleWithHighRateDoesNotOverflow) {
    const BucketLimits lim = limits(1000, 50);
    TokenBucket b;
    ASSERT_EQ(drain(b, kStart, lim), 50u);
    EXPECT_EQ(drain(b, kStart + 1'000'000 * kHz, lim), 50u) << "a million seconds idle";
}

TEST(RateLimitBucket, RateZeroBurstZeroNeverAllows) {
    const BucketLimits lim = limits(0, 0);
    TokenBucket b;
    EXPECT_FALSE(b.take(kStart, kHz, lim));
    EXPECT_FALSE(b.take(kStart + 3600 * kHz, kHz, lim));
    EXPECT_FALSE(b.take(kStart + 7200 * kHz, kHz, lim));
}

TEST(RateLimitBucket, RateZeroWithBurstGivesTheBurstOnce) {
    const BucketLimits lim = limits(0, 2);
    TokenBucket b;
    EXPECT_EQ(drain(b, kStart, lim), 2u);
    EXPECT_EQ(drain(b, kStart + 3600 * kHz, lim), 0u) << "rate 0 never refills";
}

TEST(RateLimitBucket, HalfATokenPerSecond) {
    const BucketLimits lim = limits_milli(500, 1000);  // 0.5/s, burst 1
    TokenBucket b;
    ASSERT_TRUE(b.take(kStart, kHz, lim));
    EXPECT_FALSE(b.take(kStart + 1999 * kMs, kHz, lim));
    EXPECT_TRUE(b.take(kStart + 2000 * kMs, kHz, lim));
    EXPECT_FALSE(b.take(kStart + 2000 * kMs, kHz, lim));
    EXPECT_FALSE(b.take(kStart + 3999 * kMs, kHz, lim));
    EXPECT_TRUE(b.take(kStart + 4000 * kMs, kHz, lim));
}

TEST(RateLimitBucket, FractionalBurstBelowOneTokenNeverAllows) {
    TokenBucket b;
    EXPECT_FALSE(b.take(kStart, kHz, limits_milli(1000, 999)));
    EXPECT_FALSE(b.take(kStart + 10 * kHz, kHz, limits_milli(1000, 999)));
}

TEST(RateLimitBucket, FractionalBurstKeepsTheFraction) {
    const BucketLimits lim = limits_milli(1000, 2500);  // 1/s, burst 2.5
    TokenBucket b;
    EXPECT_EQ(drain(b, kStart, lim), 2u);
    EXPECT_TRUE(b.take(kStart + 500 * kMs, kHz, lim)) << "0.5 left + 0.5 refilled";
}

TEST(RateLimitBucket, ClockGoingBackwardsGrantsNothingExtra) {
    const BucketLimits lim = limits(10, 2);
    TokenBucket b;
    ASSERT_EQ(drain(b, kStart, lim), 2u);
    EXPECT_FALSE(b.take(kStart - kHz, kHz, lim));
    EXPECT_FALSE(b.take(kStart - kHz + 50 * kMs, kHz, lim));
}

TEST(RateLimitBucket, OtherTscFrequency) {
    constexpr uint64_t hz = 2'400'000'000;  // a 2.4 GHz TSC
    const BucketLimits lim = limits(10, 1);
    TokenBucket b;
    ASSERT_TRUE(b.take(1, hz, lim));
    EXPECT_FALSE(b.take(1 + hz / 10 - 1, hz, lim));
    EXPECT_TRUE(b.take(1 + hz / 10, hz, lim));
}

// A configuration reload that lowers the burst must not leave a worker with more than the new burst,
// here with rate 0 (the bucket never refills, so it is never clamped on refill either).
TEST(RateLimitBucket, LoweredBurstIsHonouredWithRateZero) {
    TokenBucket b;
    ASSERT_TRUE(b.take(kStart, kHz, limits(0, 10)));  // 9 left under the old limits
    EXPECT_EQ(drain(b, kStart + kHz, limits(0, 2)), 2u) << "at most the new burst";
}

TEST(RateLimitBucket, LoweredBurstIsHonouredWithRate) {
    TokenBucket b;
    ASSERT_TRUE(b.take(kStart, kHz, limits(10, 10)));
    EXPECT_EQ(drain(b, kStart + kHz, limits(10, 2)), 2u);
}

// icmp.rate_limit.*.burst has no upper bound in the config; burst_milli * tsc_hz must not wrap.
// 10 million tokens on a 3 GHz TSC is 1e10 * 3e9 = 3e19 > 2^64.
TEST(RateLimitBucket, LargeBurstOnFastTscDoesNotWrap) {
    constexpr uint64_t hz = 3'000'000'000;
    constexpr unsigned kBurst = 10'000'000;
    const BucketLimits lim = limits(1000, kBurst);
    TokenBucket b;
    unsigned n = 0;
    while (n < kBurst + 1 && b.take(1, hz, lim)) ++n;
    EXPECT_EQ(n, kBurst) << "the bucket's capacity overflowed uint64_t";
}

// ---------------------------------------------------------------------------------------------
// share(): each worker gets 1/workers of the router-wide limits

TEST(RateLimitShare, OneWorkerKeepsTheLimits) {
    const BucketLimits s = dprouter::share(limits(10, 10), 1);
    EXPECT_EQ(s.rate_milli, 10000u);
    EXPECT_EQ(s.burst_milli, 10000u);
    const BucketLimits z = dprouter::share(limits(10, 10), 0);
    EXPECT_EQ(z.rate_milli, 10000u);
    EXPECT_EQ(z.burst_milli, 10000u);
}

TEST(RateLimitShare, DividesRateAndBurst) {
    const BucketLimits s = dprouter::share(limits(1000, 50), 4);
    EXPECT_EQ(s.rate_milli, 250000u);
    EXPECT_EQ(s.burst_milli, 12500u);
    const BucketLimits t = dprouter::share(limits(10, 10), 4);
    EXPECT_EQ(t.rate_milli, 2500u);
    EXPECT_EQ(t.burst_milli, 2500u);
}

TEST(RateLimitShare, AtLeastOneTokenOfBurstEach) {
    const BucketLimits s = dprouter::share(limits(10, 1), 4);
    EXPECT_EQ(s.rate_milli, 2500u);
    EXPECT_EQ(s.burst_milli, 1000u);
    const BucketLimits t = dprouter::share(limits(10, 10), 64);
    EXPECT_EQ(t.burst_milli, 1000u);
}

TEST(RateLimitShare, ZeroStaysZero) {
    const BucketLimits s = dprouter::share(limits(0, 0), 8);
    EXPECT_EQ(s.rate_milli, 0u);
    EXPECT_EQ(s.burst_milli, 0u);
    TokenBucket b;
    EXPECT_FALSE(b.take(kStart, kHz, s));
}

TEST(RateLimitShare, SharedBucketBehaves) {
    // 4 workers, 10/s burst 10 router-wide: each worker 2.5/s with 2.5 tokens.
    const BucketLimits s = dprouter::share(limits(10, 10), 4);
    TokenBucket b;
    EXPECT_EQ(drain(b, kStart, s), 2u);
    EXPECT_FALSE(b.take(kStart + 199 * kMs, kHz, s)) << "0.5 + 0.4975";
    EXPECT_TRUE(b.take(kStart + 200 * kMs, kHz, s)) << "0.5 + 0.5";
}

// ---------------------------------------------------------------------------------------------
// The per-worker limiter as icmp_rate_limit applies it

class RateLimitLimiter : public ::testing::Test {
protected:
    void SetUp() override {
        ctx_ = std::make_unique<dprouter::WorkerContext>();
        ctx_->tsc_hz = kHz;
        ctx_->fake_tsc = kStart;
        ctx_->n_workers = 1;
        tables_ = std::make_unique<dprouter::Tables>();
        tables_->icmp_limits = {limits(1000, 50), limits(10, 10), limits(1000, 100)};
    }
    std::optional<IcmpSuppress> limit(IcmpKind k, uint32_t dst_host) {
        return dprouter::icmp_rate_limit(*ctx_, *tables_, k, dprtest::to_be(dst_host));
    }
    static unsigned slot_of(uint32_t dst_host) {
        return rte_hash_crc_4byte(dprtest::to_be(dst_host), 0) % IcmpLimiter::kDestSlots;
    }
    // Destinations 10.50.x.y whose slots are all distinct.
    static std::vector<uint32_t> distinct_slot_hosts(size_t n) {
        std::vector<uint32_t> v;
        std::vector<bool> used(IcmpLimiter::kDestSlots);
        for (uint32_t i = 1; v.size() < n; ++i) {
            const uint32_t a = dprtest::ipv4(10, 50, 0, 0) + i;
            if (used[slot_of(a)]) continue;
            used[slot_of(a)] = true;
            v.push_back(a);
        }
        return v;
    }
    std::unique_ptr<dprouter::WorkerContext> ctx_;
    std::unique_ptr<dprouter::Tables> tables_;
};

TEST_F(RateLimitLimiter, PerDestinationBurstThenRefused) {
    const uint32_t h = dprtest::ipv4(10, 1, 0, 2);
    for (int i = 0; i < 10; ++i) EXPECT_EQ(limit(IcmpKind::time_exceeded, h), std::nullopt) << i;
    EXPECT_EQ(limit(IcmpKind::time_exceeded, h), IcmpSuppress::rate_destination);
    EXPECT_EQ(limit(IcmpKind::net_unreachable, h), IcmpSuppress::rate_destination) << "one bucket for every kind";
    EXPECT_EQ(limit(IcmpKind::tcp_reset, h), IcmpSuppress::rate_destination);
    EXPECT_EQ(limit(IcmpKind::time_exceeded, dprtest::ipv4(10, 1, 0, 3)), std::nullopt) << "another host has its own";
}

TEST_F(RateLimitLimiter, PerDestinationRefillsAtItsRate) {
    const uint32_t h = dprtest::ipv4(10, 1, 0, 2);
    for (int i = 0; i < 10; ++i) ASSERT_EQ(limit(IcmpKind::time_exceeded, h), std::nullopt);
    ctx_->fake_tsc += 100 * kMs;
    EXPECT_EQ(limit(IcmpKind::time_exceeded, h), std::nullopt);
    EXPECT_EQ(limit(IcmpKind::time_exceeded, h), IcmpSuppress::rate_destination);
}

TEST_F(RateLimitLimiter, GlobalBucketCapsAllDestinations) {
    const auto hosts = distinct_slot_hosts(6);
    unsigned granted = 0;
    unsigned global_refusals = 0;
    for (uint32_t h : hosts)
        for (int i = 0; i < 10; ++i) {
            const auto r = limit(IcmpKind::host_unreachable, h);
            if (!r) ++granted;
            else if (*r == IcmpSuppress::rate_global) ++global_refusals;
        }
    EXPECT_EQ(granted, 50u);
    EXPECT_EQ(global_refusals, 10u);
}

// Both budgets spent: the global bucket is asked first and names the refusal; the destination's
// bucket is not touched, so it loses nothing and refuses again as soon as the global one refills.
// The vector path's cheap refusal (icmp_rate_refusal) gives the same answer at every step.
TEST_F(RateLimitLimiter, BothBudgetsSpentCountsTheGlobalOneAndTakesNothing) {
    const auto hosts = distinct_slot_hosts(6);
    for (size_t h = 0; h < 5; ++h)
        for (int i = 0; i < 10; ++i) ASSERT_EQ(limit(IcmpKind::time_exceeded, hosts[h]), std::nullopt) << h << " " << i;
    const uint32_t spent = hosts[0];  // its 10 tokens went, with the global 50
    const uint32_t fresh = hosts[5];  // never asked: a full bucket
    auto refusal = [&](uint32_t h) { return dprouter::icmp_rate_refusal(*ctx_, *tables_, dprtest::to_be(h)); };
    for (uint32_t h : {spent, fresh}) {
        EXPECT_EQ(refusal(h), IcmpSuppress::rate_global) << h;
        EXPECT_EQ(limit(IcmpKind::time_exceeded, h), IcmpSuppress::rate_global) << h;
    }
    // 1 ms later the global bucket holds one token; `spent` has 0.01 of one, `fresh` all ten.
    ctx_->fake_tsc += kMs;
    EXPECT_EQ(refusal(spent), IcmpSuppress::rate_destination);
    EXPECT_EQ(limit(IcmpKind::time_exceeded, spent), IcmpSuppress::rate_destination);
    EXPECT_EQ(refusal(fresh), std::nullopt) << "both have a token: only the full check may say";
    EXPECT_EQ(limit(IcmpKind::time_exceeded, fresh), std::nullopt);
    EXPECT_EQ(limit(IcmpKind::time_exceeded, fresh), IcmpSuppress::rate_global);
    EXPECT_EQ(refusal(fresh), IcmpSuppress::rate_global);
    // `fresh` gave one token in all: nine are left for the next nine global tokens.
    for (int i = 0; i < 9; ++i) {
        ctx_->fake_tsc += kMs;
        EXPECT_EQ(limit(IcmpKind::time_exceeded, fresh), std::nullopt) << i;
    }
    ctx_->fake_tsc += kMs;
    EXPECT_EQ(limit(IcmpKind::time_exceeded, fresh), IcmpSuppress::rate_destination);
}

TEST_F(RateLimitLimiter, FragNeededHasItsOwnBucketAndSkipsPerDestination) {
    const uint32_t h = dprtest::ipv4(10, 1, 0, 2);
    for (int i = 0; i < 10; ++i) ASSERT_EQ(limit(IcmpKind::time_exceeded, h), std::nullopt);
    ASSERT_EQ(limit(IcmpKind::time_exceeded, h), IcmpSuppress::rate_destination);
    for (int i = 0; i < 100; ++i) EXPECT_EQ(limit(IcmpKind::frag_needed, h), std::nullopt) << i;
    EXPECT_EQ(limit(IcmpKind::frag_needed, h), IcmpSuppress::rate_frag_needed);
}

TEST_F(RateLimitLimiter, FragNeededFloodLeavesOtherErrorsAlone) {
    const uint32_t h = dprtest::ipv4(10, 1, 0, 2);
    for (int i = 0; i < 100; ++i) ASSERT_EQ(limit(IcmpKind::frag_needed, h), std::nullopt);
    ASSERT_EQ(limit(IcmpKind::frag_needed, h), IcmpSuppress::rate_frag_needed);
    EXPECT_EQ(limit(IcmpKind::time_exceeded, h), std::nullopt);
}

TEST_F(RateLimitLimiter, WorkersShareTheLimits) {
    ctx_->n_workers = 2;  // per destination: 5/s, burst 5 on this worker
    const uint32_t h = dprtest::ipv4(10, 1, 0, 2);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(limit(IcmpKind::time_exceeded, h), std::nullopt) << i;
    EXPECT_EQ(limit(IcmpKind::time_exceeded, h), IcmpSuppress::rate_destination);
}

TEST_F(RateLimitLimiter, CollidingDestinationsShareOneBucket) {
    const uint32_t a = dprtest::ipv4(10, 1, 0, 2);
    uint32_t b = 0;
    for (uint32_t i = 1; i < 1u << 20 && b == 0; ++i)
        if (dprtest::ipv4(10, 200, 0, 0) + i != a && slot_of(dprtest::ipv4(10, 200, 0, 0) + i) == slot_of(a))
            b = dprtest::ipv4(10, 200, 0, 0) + i;
    ASSERT_NE(b, 0u) << "no colliding destination found";

    for (int i = 0; i < 10; ++i) ASSERT_EQ(limit(IcmpKind::time_exceeded, a), std::nullopt);
    ASSERT_EQ(limit(IcmpKind::time_exceeded, a), IcmpSuppress::rate_destination);
    // b shares a's spent bucket: alternating colliders cannot get a fresh burst each time.
    EXPECT_EQ(limit(IcmpKind::time_exceeded, b), IcmpSuppress::rate_destination);
    for (int i = 0; i < 20; ++i)
        EXPECT_EQ(limit(IcmpKind::time_exceeded, i % 2 ? a : b), IcmpSuppress::rate_destination) << i;
}

TEST_F(RateLimitLimiter, ZeroLimitsSendNothing) {
    tables_->icmp_limits = {limits(0, 0), limits(0, 0), limits(0, 0)};
    EXPECT_EQ(limit(IcmpKind::time_exceeded, dprtest::ipv4(10, 1, 0, 2)), IcmpSuppress::rate_destination);
    EXPECT_EQ(limit(IcmpKind::frag_needed, dprtest::ipv4(10, 1, 0, 2)), IcmpSuppress::rate_frag_needed);
}

TEST_F(RateLimitLimiter, GlobalZeroRefusesAfterPerDestinationAllows) {
    tables_->icmp_limits.global = limits(0, 0);
    EXPECT_EQ(limit(IcmpKind::time_exceeded, dprtest::ipv4(10, 1, 0, 2)), IcmpSuppress::rate_global);
    EXPECT_EQ(limit(IcmpKind::frag_needed, dprtest::ipv4(10, 1, 0, 2)), std::nullopt) << "frag needed skips global";
}

// docs/benchmarking.md, finding 3: 1024 sources start a TTL-1 flood at once, each sending a packet
// every 10 ms, all 1024 within the first millisecond of each round. Their per-destination buckets
// drain and refill in step; when a destination's token was spent even though the global bucket
// refused, every 100 ms 1024 tokens met a global bucket holding at most its burst (50): 500 errors
// a second against 1000 configured. A destination's token now goes only with a global one.
// Returns the errors granted in `seconds` over `workers` limiters, sources spread over them as RSS
// would (by parity); checks the per-destination limit on the way.
unsigned synchronized_flood(std::vector<dprouter::WorkerContext*> workers, const dprouter::Tables& t,
                            const std::vector<uint32_t>& hosts, unsigned seconds) {
    std::vector<unsigned> per_host(hosts.size());
    unsigned granted = 0;
    const uint64_t start = workers[0]->fake_tsc;
    for (unsigned round = 0; round < seconds * 100; ++round) {
        for (size_t i = 0; i < hosts.size(); ++i) {
            dprouter::WorkerContext& ctx = *workers[i % workers.size()];
            ctx.fake_tsc = start + round * 10 * kMs + i * 1000;  // 1 us apart
            if (!dprouter::icmp_rate_limit(ctx, t, IcmpKind::time_exceeded, dprtest::to_be(hosts[i]))) {
                ++granted;
                ++per_host[i];
            }
        }
    }
    for (size_t i = 0; i < hosts.size(); ++i) EXPECT_LE(per_host[i], 10u * seconds + 10u) << "host " << i;
    return granted;
}

TEST_F(RateLimitLimiter, SynchronizedFloodFromManySourcesReachesTheGlobalRate) {
    const auto hosts = distinct_slot_hosts(1024);
    const unsigned granted = synchronized_flood({ctx_.get()}, *tables_, hosts, 10);
    // 10 s at 1000/s and the burst of 50; within 3 % below.
    EXPECT_GE(granted, 9700u);
    EXPECT_LE(granted, 10050u);
}

// With 2 workers each enforces half the rate and burst: router-wide, the flood still gets the
// configured rate and never more.
TEST_F(RateLimitLimiter, SynchronizedFloodOverTwoWorkersGetsTheRouterWideRate) {
    auto second = std::make_unique<dprouter::WorkerContext>();
    second->tsc_hz = kHz;
    second->fake_tsc = kStart;
    ctx_->n_workers = second->n_workers = 2;
    const auto hosts = distinct_slot_hosts(1024);
    const unsigned granted = synchronized_flood({ctx_.get(), second.get()}, *tables_, hosts, 10);
    EXPECT_GE(granted, 9700u);
    EXPECT_LE(granted, 10050u);
}

}  // namespace
