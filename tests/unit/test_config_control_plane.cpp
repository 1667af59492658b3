// The configuration keys of the control-plane and lab issues: `dpdk.idle`, `dpdk.idle_max_us` and
// `control_plane` (../shared/design.md), values, defaults and every error with its position.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dprouter/config.hpp"

namespace dprouter {
namespace {

using Lines = std::vector<std::string>;

const std::string kInterfaces = R"(interfaces:
  - {name: lan, device: "net_null0", addresses: ["10.1.0.1/24"], mtu: 1500}
)";

ConfigResult parse(const std::string& extra) { return parse_config_text(kInterfaces + extra, "t.yaml"); }

Lines errors(const std::string& extra) {
    Lines out;
    for (const auto& e : parse(extra).errors) out.push_back(e.to_string());
    return out;
}

TEST(ConfigControlPlane, DefaultsWhenAbsent) {
    const ConfigResult r = parse("");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.config.dpdk.idle, IdleMode::poll);
    EXPECT_EQ(r.config.dpdk.idle_max_us, 100u);
    EXPECT_FALSE(r.config.control_plane.mirror);
    EXPECT_FALSE(r.config.control_plane.import_routes);
    EXPECT_EQ(r.config.control_plane.socket, "/run/dprouter.sock");
}

TEST(ConfigControlPlane, ValuesReadBack) {
    const ConfigResult r = parse(R"(dpdk: {idle: sleep, idle_max_us: 250}
control_plane: {mirror: true, import_routes: true, socket: /tmp/r1.sock}
)");
    ASSERT_TRUE(r.ok()) << r.errors[0].to_string();
    EXPECT_EQ(r.config.dpdk.idle, IdleMode::sleep);
    EXPECT_EQ(r.config.dpdk.idle_max_us, 250u);
    EXPECT_TRUE(r.config.control_plane.mirror);
    EXPECT_TRUE(r.config.control_plane.import_routes);
    EXPECT_EQ(r.config.control_plane.socket, "/tmp/r1.sock");
}

TEST(ConfigControlPlane, EmptySocketMeansNone) {
    const ConfigResult r = parse("control_plane: {socket: \"\"}\n");
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r.config.control_plane.socket.empty());
}

TEST(ConfigControlPlane, IdleErrors) {
    EXPECT_EQ(errors("dpdk: {idle: nap}\n"), Lines{"t.yaml:3:14: error: idle must be 'poll' or 'sleep', not 'nap'"});
    EXPECT_EQ(errors("dpdk: {idle: sleep, idle_max_us: 0}\n"),
              Lines{"t.yaml:3:34: error: idle_max_us 0 out of range 1..100000"});
    EXPECT_EQ(errors("dpdk: {idle_max_us: 100001}\n"),
              Lines{"t.yaml:3:21: error: idle_max_us 100001 out of range 1..100000"});
}

TEST(ConfigControlPlane, ControlPlaneErrors) {
    EXPECT_EQ(errors("control_plane: {import_routes: true}\n"),
              Lines{"t.yaml:3:32: error: import_routes needs mirror: true (routes are taken from the mirror interfaces)"});
    EXPECT_EQ(errors("control_plane: {socket: run/x.sock}\n"),
              Lines{"t.yaml:3:25: error: socket must be an absolute path"});
    EXPECT_EQ(errors("control_plane: {socket: /" + std::string(107, 'a') + "}\n"),
              Lines{"t.yaml:3:25: error: socket path longer than 107 bytes"});
    EXPECT_EQ(errors("control_plane: {mirror: maybe}\n"), Lines{"t.yaml:3:25: error: mirror must be true or false"});
    EXPECT_EQ(errors("control_plane: {mirrors: true}\n"),
              Lines{"t.yaml:3:17: error: unknown key 'mirrors' in control_plane"});
    EXPECT_EQ(errors("control_plane: [1]\n"), Lines{"t.yaml:3:16: error: control_plane must be a mapping"});
}

TEST(ConfigControlPlane, MaxRoutes) {
    const ConfigResult d = parse("control_plane: {mirror: true, import_routes: true}\n");
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d.config.control_plane.max_routes, 0u);  // 0: the default room (live_fib_limits)
    EXPECT_EQ(d.config.control_plane.max_routes6, 0u);
    const ConfigResult r = parse("control_plane: {mirror: true, import_routes: true, max_routes: 1000000, max_routes6: 200000}\n");
    ASSERT_TRUE(r.ok()) << r.errors[0].to_string();
    EXPECT_EQ(r.config.control_plane.max_routes, 1000000u);
    EXPECT_EQ(r.config.control_plane.max_routes6, 200000u);
    // Also without import_routes: room for dprouterctl's routes.
    EXPECT_TRUE(parse("control_plane: {max_routes: 5}\n").ok());
    EXPECT_EQ(errors("control_plane: {max_routes: 0}\n"),
              Lines{"t.yaml:3:29: error: max_routes 0 out of range 1..16777216"});
    EXPECT_EQ(errors("control_plane: {max_routes: 16777217}\n"),
              Lines{"t.yaml:3:29: error: max_routes 16777217 out of range 1..16777216"});
    EXPECT_EQ(errors("control_plane: {max_routes6: 99999999999999999999}\n"),
              Lines{"t.yaml:3:30: error: max_routes6 99999999999999999999 out of range 1..4194304"});
    EXPECT_EQ(errors("control_plane: {max_routes: 1e6}\n"), Lines{"t.yaml:3:29: error: max_routes must be an integer"});
    EXPECT_EQ(errors("control_plane: {max_routes6: -1}\n"),
              Lines{"t.yaml:3:30: error: max_routes6 -1 out of range 1..4194304"});
}

}  // namespace
}  // namespace dprouter
