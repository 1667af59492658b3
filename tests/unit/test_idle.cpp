// dpdk.idle / dpdk.idle_max_us: parsing, their errors, and the back-off an idle worker follows.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dprouter/config.hpp"
#include "dprouter/idle_backoff.hpp"

namespace dprouter {
namespace {

const char* const kInterfaces = R"(interfaces:
  - name: lan
    device: "net_null0"
    addresses: ["10.1.0.1/24"]
    mtu: 1500
)";

ConfigResult parse_dpdk(const std::string& dpdk_lines) {
    return parse_config_text("dpdk:\n  eal_args: [\"--no-pci\"]\n" + dpdk_lines + kInterfaces, "t.yaml");
}

std::vector<std::string> errors_of(const ConfigResult& r) {
    std::vector<std::string> out;
    for (const auto& e : r.errors) out.push_back(e.to_string());
    return out;
}

TEST(IdleConfig, DefaultsArePollAnd100us) {
    const ConfigResult r = parse_dpdk("");
    ASSERT_TRUE(r.errors.empty()) << errors_of(r)[0];
    EXPECT_EQ(r.config.dpdk.idle, IdleMode::poll);
    EXPECT_EQ(r.config.dpdk.idle_max_us, 100u);
}

TEST(IdleConfig, SleepWithItsLongestBackoff) {
    const ConfigResult r = parse_dpdk("  idle: sleep\n  idle_max_us: 250\n");
    ASSERT_TRUE(r.errors.empty()) << errors_of(r)[0];
    EXPECT_EQ(r.config.dpdk.idle, IdleMode::sleep);
    EXPECT_EQ(r.config.dpdk.idle_max_us, 250u);
    const ConfigResult p = parse_dpdk("  idle: poll\n");
    ASSERT_TRUE(p.errors.empty());
    EXPECT_EQ(p.config.dpdk.idle, IdleMode::poll);
}

TEST(IdleConfig, BadValuesAreRefusedWithTheirPosition) {
    EXPECT_EQ(errors_of(parse_dpdk("  idle: nap\n")),
              std::vector<std::string>{"t.yaml:3:9: error: idle must be 'poll' or 'sleep', not 'nap'"});
    EXPECT_EQ(errors_of(parse_dpdk("  idle: sleep\n  idle_max_us: 0\n")),
              std::vector<std::string>{"t.yaml:4:16: error: idle_max_us 0 out of range 1..100000"});
    EXPECT_EQ(errors_of(parse_dpdk("  idle: sleep\n  idle_max_us: 100001\n")),
              std::vector<std::string>{"t.yaml:4:16: error: idle_max_us 100001 out of range 1..100000"});
    EXPECT_FALSE(parse_dpdk("  idle: sleep\n  idle_max_us: fast\n").errors.empty());
    EXPECT_FALSE(parse_dpdk("  idle: [sleep]\n").errors.empty());
}

TEST(IdleBackoff, DoublesFrom1usUpToTheMaximumAndRestartsAtTheFirstPacket) {
    IdleBackoff b(1, 100);
    std::vector<unsigned> got;
    for (int i = 0; i < 9; ++i) got.push_back(b.next());
    EXPECT_EQ(got, (std::vector<unsigned>{1, 2, 4, 8, 16, 32, 64, 100, 100}));
    b.busy();
    EXPECT_EQ(b.next(), 1u) << "a packet brings the worker back to full polling: the next sleep is 1 us again";
    IdleBackoff one(1, 1);
    EXPECT_EQ(one.next(), 1u);
    EXPECT_EQ(one.next(), 1u);
    IdleBackoff big(1, 100000);
    unsigned last = 0;
    for (int i = 0; i < 40; ++i) last = big.next();
    EXPECT_EQ(last, 100000u) << "no overflow at the largest maximum";
    IdleBackoff ms(1, 16);  // the control thread's, in milliseconds
    std::vector<unsigned> ctl;
    for (int i = 0; i < 6; ++i) ctl.push_back(ms.next());
    EXPECT_EQ(ctl, (std::vector<unsigned>{1, 2, 4, 8, 16, 16}));
    IdleBackoff flat(1, 1);  // dpdk.idle: poll keeps the control thread's 1 ms
    EXPECT_EQ(flat.next() + flat.next() + flat.next(), 3u);
}

}  // namespace
}  // namespace dprouter
