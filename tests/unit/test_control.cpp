// The control socket (ControlServer), the requests behind it (handle_control_request against a fake
// ControlHandler) and dprouterctl's command line and tables: valid requests, every refusal with its
// message, oversized, truncated and garbage input, crowds of clients, clients that vanish or stall.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "control/control_commands.hpp"
#include "control/control_server.hpp"
#include "ctl/ctl_commands.hpp"

namespace dprouter {
namespace {

using json = nlohmann::json;

const char* const kYaml = R"(dpdk:
  eal_args: ["--no-pci"]
interfaces:
  - name: lan
    device: "net_null0"
    addresses: ["10.1.0.1/24", "2001:db8:1::1/64"]
    mac: "02:00:00:00:01:01"
  - name: wan
    device: "net_null1"
    addresses: ["10.2.0.1/24", "2001:db8:2::1/64"]
    mac: "02:00:00:00:02:01"
routes:
  - prefix: 10.66.0.0/16
    action: unreachable
)";

// A stream that hands out its pieces one per pump, then ends; what happened to it is kept in
// `events` (shared: the stream outlives nothing, the test reads after it is gone).
struct StreamEvents {
    std::atomic<int> pumps{0};
    std::atomic<bool> finished{false};
    std::atomic<bool> destroyed{false};
};

class ScriptedStream : public ControlStream {
public:
    explicit ScriptedStream(std::vector<std::string> pieces, std::shared_ptr<StreamEvents> ev = nullptr,
                            bool until_finish = false)
        : pieces_(std::move(pieces)), ev_(ev ? std::move(ev) : std::make_shared<StreamEvents>()),
          until_finish_(until_finish) {}
    ~ScriptedStream() override { ev_->destroyed = true; }
    bool pump(std::string& out, std::size_t room, uint64_t) override {
        ++ev_->pumps;
        if (next_ < pieces_.size() && pieces_[next_].size() <= room) out += pieces_[next_++];
        if (until_finish_ && !ev_->finished) return true;
        return next_ < pieces_.size();
    }
    void finish() override {
        ev_->finished = true;
        pieces_.push_back("trailer");
    }

private:
    std::vector<std::string> pieces_;
    std::size_t next_ = 0;
    std::shared_ptr<StreamEvents> ev_;
    bool until_finish_;
};

// Records what the commands ask of the router; answers with canned state.
class FakeHandler : public ControlHandler {
public:
    FakeHandler() {
        ConfigResult r = parse_config_text(kYaml, "fake.yaml");
        EXPECT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors.front().to_string());
        cfg = std::move(r.config);
    }
    const Config& config() const override { return cfg; }
    std::vector<InterfaceStatus> interfaces() const override {
        InterfaceStatus s;
        s.name = "lan";
        s.port = 0;
        s.mac = *parse_mac("02:00:00:00:01:01");
        s.mtu = 1500;
        s.addresses = {"10.1.0.1/24"};
        s.link_up = true;
        s.rx = 7;
        s.tx = 5;
        return {s};
    }
    std::vector<Route> routes() const override { return held_routes; }
    std::vector<NeighborStatus> neighbors() const override {
        NeighborStatus n;
        n.address = "10.2.0.2";
        n.mac = *parse_mac("02:00:00:00:02:02");
        n.interface = "wan";
        n.state = "reachable";
        return {n};
    }
    json stats() const override { return {{"ports", {{"lan", {{"port_id", 0}, {"rx", 7}}}}}, {"drops", {{"no_route", 3}}}}; }
    std::string add_route(const Route& r) override {
        added.push_back(r);
        return refuse;
    }
    std::string remove_route(const Route& key) override {
        removed.push_back(key);
        return refuse;
    }
    std::string add_neighbor(const NeighborRequest& n) override {
        neighbors_added.push_back(n);
        return refuse;
    }
    std::string remove_neighbor(const NeighborRequest& n) override {
        neighbors_removed.push_back(n);
        return refuse;
    }
    std::unique_ptr<ControlStream> start_capture(const CaptureRequest& c, std::string& error) override {
        captures.push_back(c);
        error = refuse;
        return refuse.empty() ? std::make_unique<ScriptedStream>(std::vector<std::string>{"pcapng"}) : nullptr;
    }

    Config cfg;
    std::vector<Route> held_routes;
    std::string refuse;  // what the mutations answer ("" = done)
    std::vector<Route> added, removed;
    std::vector<NeighborRequest> neighbors_added, neighbors_removed;
    std::vector<CaptureRequest> captures;
};

class ControlCommands : public ::testing::Test {
protected:
    json ask_raw(const std::string& line) {
        const std::string answer = handle_control_request(h, line);
        EXPECT_EQ(answer.find('\n'), std::string::npos) << "an answer is one line";
        json j = json::parse(answer, nullptr, false);
        EXPECT_FALSE(j.is_discarded()) << answer;
        return j;
    }
    json ask(const json& req) { return ask_raw(req.dump()); }
    // The error a request gets; fails the test when it is accepted.
    std::string refused_raw(const std::string& line) {
        const json a = ask_raw(line);
        EXPECT_EQ(a["ok"], false) << line << " -> " << a.dump();
        return a.value("error", "");
    }
    std::string refused(const json& req) { return refused_raw(req.dump()); }
    bool nothing_changed() const {
        return h.added.empty() && h.removed.empty() && h.neighbors_added.empty() && h.neighbors_removed.empty();
    }
    FakeHandler h;
};

json route_add(const std::string& prefix, std::vector<std::string> via, const std::string& ifc = "") {
    json r = {{"op", "route add"}, {"prefix", prefix}, {"via", via}};
    if (!ifc.empty()) r["interface"] = ifc;
    return r;
}

TEST_F(ControlCommands, ShowInterfacesAnswersEveryField) {
    const json a = ask_raw(R"({"op":"show interfaces"})");
    ASSERT_EQ(a["ok"], true);
    const json& i = a["result"][0];
    EXPECT_EQ(i["name"], "lan");
    EXPECT_EQ(i["mac"], "02:00:00:00:01:01");
    EXPECT_EQ(i["mtu"], 1500);
    EXPECT_EQ(i["link"], "up");
    EXPECT_EQ(i["rx_packets"], 7);
    EXPECT_EQ(i["tx_packets"], 5);
    EXPECT_EQ(i["addresses"], json::array({"10.1.0.1/24"}));
}

TEST_F(ControlCommands, ShowRoutesOrdersAndMarksTheInstalledOrigin) {
    Route file;
    file.prefix4 = *parse_prefix("10.9.0.0/16");
    file.via = {RouteVia{*parse_ipv4("10.2.0.9"), {}, -1}};
    Route cli = file;
    cli.origin = RouteOrigin::cli;
    cli.action = RouteAction::blackhole;
    cli.via.clear();
    Route bgp;
    bgp.ipv6 = true;
    bgp.prefix6 = *parse_prefix6("2001:db8:99::/48");
    bgp.origin = RouteOrigin::kernel;
    bgp.protocol = 186;
    bgp.metric = 20;
    bgp.via = {RouteVia{0, *parse_ipv6("fe80::1"), 1}, RouteVia{0, *parse_ipv6("2001:db8:1::9"), -1}};
    h.held_routes = {file, bgp, cli};
    const json a = ask_raw(R"({"op":"show routes"})");
    ASSERT_EQ(a["ok"], true);
    const json& r = a["result"]["routes"];
    // 4 connected subnets, the two 10.9.0.0/16 (cli first: it wins), the IPv6 one.
    ASSERT_EQ(r.size(), 7u) << r.dump();
    EXPECT_EQ(r[0]["prefix"], "10.1.0.0/24");
    EXPECT_EQ(r[0]["origin"], "connected");
    EXPECT_EQ(r[0]["interface"], "lan");
    EXPECT_EQ(r[2]["prefix"], "10.9.0.0/16");
    EXPECT_EQ(r[2]["origin"], "cli");
    EXPECT_EQ(r[2]["action"], "blackhole");
    EXPECT_EQ(r[2]["installed"], true);
    EXPECT_EQ(r[3]["origin"], "file");
    EXPECT_EQ(r[3]["installed"], false);
    EXPECT_EQ(r[3]["via"][0]["gateway"], "10.2.0.9");
    EXPECT_EQ(r[3]["via"][0]["interface"], "wan");  // found through the connected subnet
    EXPECT_EQ(r[6]["prefix"], "2001:db8:99::/48");
    EXPECT_EQ(r[6]["origin"], "bgp");
    EXPECT_EQ(r[6]["metric"], 20);
    EXPECT_EQ(r[6]["via"][0]["gateway"], "fe80::1");
    EXPECT_EQ(r[6]["via"][0]["interface"], "wan");
    EXPECT_EQ(r[6]["via"][1]["interface"], "lan");
    EXPECT_EQ(a["result"]["total"], 7);
    EXPECT_EQ(a["result"]["truncated"], false);

    const json lim = ask_raw(R"({"op":"show routes","limit":2})");
    EXPECT_EQ(lim["result"]["routes"].size(), 2u);
    EXPECT_EQ(lim["result"]["truncated"], true);
}

TEST_F(ControlCommands, ShowNeighborsAndStats) {
    const json n = ask_raw(R"({"op":"show neighbors"})");
    ASSERT_EQ(n["ok"], true);
    EXPECT_EQ(n["result"][0]["address"], "10.2.0.2");
    EXPECT_EQ(n["result"][0]["mac"], "02:00:00:00:02:02");
    EXPECT_EQ(n["result"][0]["type"], "learned");
    EXPECT_EQ(n["result"][0]["family"], "ipv4");
    const json s = ask_raw(R"({"op":"show stats"})");
    EXPECT_EQ(s["result"]["drops"]["no_route"], 3);
}

TEST_F(ControlCommands, RouteAddBuildsTheCliRouteEcmpAndIpv6) {
    ASSERT_EQ(ask(route_add("10.9.0.0/16", {"10.2.0.2", "10.2.0.3"}))["ok"], true);
    ASSERT_EQ(h.added.size(), 1u);
    const Route& r = h.added[0];
    EXPECT_FALSE(r.ipv6);
    EXPECT_EQ(r.origin, RouteOrigin::cli);
    EXPECT_EQ(r.action, RouteAction::forward);
    EXPECT_EQ(r.prefix4, *parse_prefix("10.9.0.0/16"));
    ASSERT_EQ(r.via.size(), 2u);
    EXPECT_EQ(r.via[0], (RouteVia{*parse_ipv4("10.2.0.2"), {}, -1}));
    EXPECT_EQ(r.via[1].gateway4, *parse_ipv4("10.2.0.3"));

    ASSERT_EQ(ask(route_add("2001:db8:77::/48", {"fe80::fe"}, "lan"))["ok"], true);
    ASSERT_EQ(h.added.size(), 2u);
    EXPECT_TRUE(h.added[1].ipv6);
    EXPECT_EQ(h.added[1].via[0].interface, 0);
    EXPECT_EQ(h.added[1].via[0].gateway6, *parse_ipv6("fe80::fe"));

    ASSERT_EQ(ask_raw(R"({"op":"route add","prefix":"10.5.0.0/16","action":"prohibit"})")["ok"], true);
    EXPECT_EQ(h.added[2].action, RouteAction::prohibit);
    EXPECT_TRUE(h.added[2].via.empty());
}

// Each refusal carries the message the YAML validator gives the same route, and nothing reaches
// the router.
TEST_F(ControlCommands, RouteAddRefusalsAreTheValidatorsAndChangeNothing) {
    EXPECT_EQ(refused(route_add("10.9.0.0/16", {"10.9.9.9"})), "via 10.9.9.9 is not reachable through any connected network");
    EXPECT_EQ(refused(route_add("10.9.0.1/16", {"10.2.0.2"})), "prefix 10.9.0.1/16 has host bits set");
    EXPECT_EQ(refused(route_add("10.9.0.0/33", {"10.2.0.2"})), "prefix length 33 out of range 0..32");
    EXPECT_EQ(refused(route_add("10.9.0.0/16", {"10.2.0.1"})), "via 10.2.0.1 is one of our own addresses");
    EXPECT_EQ(refused(route_add("10.9.0.0/16", {"10.2.0.255"})), "via 10.2.0.255 is the broadcast address of 10.2.0.0/24");
    EXPECT_EQ(refused(route_add("10.9.0.0/16", {"2001:db8:2::2"})), "via 2001:db8:2::2 is an IPv6 address but the route is IPv4");
    EXPECT_EQ(refused(route_add("10.9.0.0/16", {"10.2.0.2"}, "lan")), "via 10.2.0.2 is on interface 'wan', not 'lan'");
    EXPECT_EQ(refused(route_add("10.9.0.0/16", {"10.2.0.2"}, "dmz")), "route interface 'dmz' is not defined");
    EXPECT_EQ(refused(route_add("2001:db8:77::/48", {"fe80::fe"})), "via fe80::fe is link-local: the route needs 'interface'");
    EXPECT_EQ(refused(route_add("10.9.0.0/16", {"10.2.0.2", "10.9.9.9"})),
              "via 10.9.9.9 is not reachable through any connected network");  // one bad path refuses all
    EXPECT_EQ(refused(route_add("10.9.0.0/16", {"10.2.0.2", "10.2.0.2"})), "via 10.2.0.2 is listed twice");
    std::vector<std::string> many;
    for (int i = 2; i < 2 + static_cast<int>(kMaxEcmpPaths) + 1; ++i) many.push_back("10.2.0." + std::to_string(i));
    EXPECT_EQ(refused(route_add("10.9.0.0/16", many)), "route 10.9.0.0/16 has 17 paths; at most 16");
    EXPECT_EQ(refused_raw(R"({"op":"route add","prefix":"10.9.0.0/16"})"), "route 10.9.0.0/16 has action forward but no via");
    EXPECT_EQ(refused_raw(R"({"op":"route add","prefix":"10.9.0.0/16","via":["10.2.0.2"],"action":"blackhole"})"),
              "route 10.9.0.0/16 with action blackhole must not have a via");
    EXPECT_EQ(refused_raw(R"({"op":"route add","prefix":"10.9.0.0/16","action":"drop"})"),
              "invalid action 'drop' (expected forward, blackhole, unreachable or prohibit)");
    EXPECT_EQ(refused_raw(R"({"op":"route add","prefix":"ten","via":["10.2.0.2"]})"), "invalid prefix 'ten' (expected A.B.C.D/N)");
    EXPECT_EQ(refused_raw(R"({"op":"route add","via":["10.2.0.2"]})"), "missing field 'prefix'");
    EXPECT_EQ(refused_raw(R"({"op":"route add","prefix":"10.9.0.0/16","via":"10.2.0.2"})"), "field 'via' must be a list of strings");
    EXPECT_EQ(refused_raw(R"({"op":"route add","prefix":"10.9.0.0/16","via":[1]})"), "field 'via' must be a list of strings");
    EXPECT_EQ(refused_raw(R"({"op":"route add","prefix":7})"), "field 'prefix' must be a string");
    EXPECT_EQ(refused_raw(R"({"op":"route add","prefix":"10.9.0.0/16","via":["10.2.0.2"],"metric":1})"),
              "unknown field 'metric' for 'route add'");
    EXPECT_TRUE(nothing_changed());
}

TEST_F(ControlCommands, RouteDelAndTheRoutersRefusal) {
    h.refuse = "routes cannot be changed live in this build";
    EXPECT_EQ(refused(route_add("10.9.0.0/16", {"10.2.0.2"})), "routes cannot be changed live in this build");
    EXPECT_EQ(refused_raw(R"({"op":"route del","prefix":"2001:db8:77::/48"})"), "routes cannot be changed live in this build");
    ASSERT_EQ(h.removed.size(), 1u);
    EXPECT_TRUE(h.removed[0].ipv6);
    EXPECT_EQ(h.removed[0].origin, RouteOrigin::cli);
    EXPECT_EQ(h.removed[0].prefix6, *parse_prefix6("2001:db8:77::/48"));
    h.refuse.clear();
    EXPECT_EQ(ask_raw(R"({"op":"route del","prefix":"10.9.0.0/16"})")["ok"], true);
    EXPECT_EQ(refused_raw(R"({"op":"route del","prefix":"10.9.0.1/16"})"), "prefix 10.9.0.1/16 has host bits set");
    EXPECT_EQ(h.removed.size(), 2u);
}

TEST_F(ControlCommands, NeighborAddDelValidatedLikeTheFile) {
    ASSERT_EQ(ask_raw(R"({"op":"neighbor add","address":"10.2.0.77","mac":"02:00:00:00:77:77","interface":"wan"})")["ok"], true);
    ASSERT_EQ(h.neighbors_added.size(), 1u);
    EXPECT_FALSE(h.neighbors_added[0].ipv6);
    EXPECT_EQ(h.neighbors_added[0].v4.address, *parse_ipv4("10.2.0.77"));
    EXPECT_EQ(h.neighbors_added[0].v4.mac, *parse_mac("02:00:00:00:77:77"));
    EXPECT_EQ(h.neighbors_added[0].v4.interface, "wan");
    ASSERT_EQ(ask_raw(R"({"op":"neighbor add","address":"2001:db8:2::77","mac":"02:00:00:00:77:77","interface":"wan"})")["ok"], true);
    EXPECT_TRUE(h.neighbors_added[1].ipv6);

    auto add = [](const char* addr, const char* mac, const char* ifc) {
        return json{{"op", "neighbor add"}, {"address", addr}, {"mac", mac}, {"interface", ifc}};
    };
    EXPECT_EQ(refused(add("10.2.0.77", "02:00:00:00:77:77", "lan")),
              "neighbor 10.2.0.77 is not on a connected network of interface 'lan'");
    EXPECT_EQ(refused(add("10.2.0.1", "02:00:00:00:77:77", "wan")), "neighbor 10.2.0.1 is one of our own addresses");
    EXPECT_EQ(refused(add("10.2.0.77", "01:00:5e:00:00:01", "wan")), "neighbor MAC 01:00:5e:00:00:01 is a multicast address");
    EXPECT_EQ(refused(add("10.2.0.77", "00:00:00:00:00:00", "wan")), "neighbor MAC 00:00:00:00:00:00 is all zeros");
    EXPECT_EQ(refused(add("10.2.0.77", "zz", "wan")), "invalid MAC address 'zz'");
    EXPECT_EQ(refused(add("10.2.0.777", "02:00:00:00:77:77", "wan")), "invalid IPv4 address '10.2.0.777'");
    EXPECT_EQ(refused(add("10.2.0.77", "02:00:00:00:77:77", "dmz")), "neighbor interface 'dmz' is not defined");
    EXPECT_EQ(refused_raw(R"({"op":"neighbor add","address":"10.2.0.77","interface":"wan"})"), "missing field 'mac'");
    EXPECT_EQ(h.neighbors_added.size(), 2u);

    ASSERT_EQ(ask_raw(R"({"op":"neighbor del","address":"10.2.0.77"})")["ok"], true);
    ASSERT_EQ(h.neighbors_removed.size(), 1u);
    EXPECT_EQ(h.neighbors_removed[0].v4.interface, "");
    h.refuse = "no static neighbor 10.2.0.78 added by dprouterctl";
    EXPECT_EQ(refused_raw(R"({"op":"neighbor del","address":"10.2.0.78","interface":"wan"})"), h.refuse);
}

TEST_F(ControlCommands, GarbageIsAnErrorAnswerNeverAnException) {
    EXPECT_EQ(refused_raw(std::string("")), "malformed request: not JSON");
    EXPECT_EQ(refused_raw(std::string("{\"op\":\"show")), "malformed request: not JSON");
    EXPECT_EQ(refused_raw(std::string("\x00\xff\xfe garbage", 12)), "malformed request: not JSON");
    EXPECT_EQ(refused_raw(std::string("[1,2]")), "a request is a JSON object");
    EXPECT_EQ(refused_raw(std::string("{}")), "a request needs an \"op\" string");
    EXPECT_EQ(refused_raw(std::string(R"({"op":["show"]})")), "a request needs an \"op\" string");
    EXPECT_EQ(refused_raw(std::string(R"({"op":"reboot"})")), "unknown op 'reboot'");
    EXPECT_EQ(refused_raw(std::string(R"({"op":"show interfaces","verbose":true})")), "unknown field 'verbose' for 'show interfaces'");
    EXPECT_EQ(refused_raw(std::string(R"({"op":"show routes","limit":-1})")), "field 'limit' must be a non-negative integer");
    // 64 KiB of nesting: the parser is iterative, nothing overflows.
    EXPECT_EQ(refused_raw(std::string(65535, '[')), "malformed request: not JSON");
    EXPECT_EQ(refused_raw(std::string(30000, '[') + std::string(30000, ']')), "a request is a JSON object");
    // Invalid UTF-8 quoted back in a message still makes a valid JSON answer.
    const json a = ask_raw(std::string("{\"op\":\"bad\xff\xfeop\"}"));
    EXPECT_EQ(a["ok"], false);
    EXPECT_TRUE(nothing_changed());
}

TEST_F(ControlCommands, CaptureOpensAStreamWithTheCheckedRequest) {
    const ControlAnswer a = answer_control_request(
        h, R"({"op":"capture","interface":"wan","count":4,"duration":1.5,"direction":"tx","snaplen":128})");
    ASSERT_TRUE(a.stream) << a.line;
    EXPECT_EQ(json::parse(a.line), json({{"ok", true}, {"stream", "pcapng"}, {"result", {{"interface", "wan"}, {"direction", "tx"}}}}));
    ASSERT_EQ(h.captures.size(), 1u);
    const CaptureRequest& c = h.captures[0];
    EXPECT_EQ(c.interface, "wan");
    EXPECT_EQ(c.count, 4u);
    EXPECT_EQ(c.duration_ms, 1500u);
    EXPECT_FALSE(c.rx);
    EXPECT_TRUE(c.tx);
    EXPECT_EQ(c.snaplen, 128u);
    const ControlAnswer plain = answer_control_request(h, R"({"op":"capture","interface":"lan"})");
    ASSERT_TRUE(plain.stream);
    EXPECT_TRUE(h.captures[1].rx && h.captures[1].tx);
    EXPECT_EQ(h.captures[1].count, 0u);
    EXPECT_EQ(h.captures[1].duration_ms, 0u);
    EXPECT_EQ(h.captures[1].snaplen, 0u);
}

TEST_F(ControlCommands, CaptureRefusalsNameTheProblemAndStartNothing) {
    EXPECT_EQ(refused_raw(R"({"op":"capture"})"), "missing field 'interface'");
    EXPECT_EQ(refused_raw(R"({"op":"capture","interface":"dmz"})"), "no interface named 'dmz'");
    EXPECT_EQ(refused_raw(R"({"op":"capture","interface":"lan","direction":"up"})"),
              "invalid direction 'up' (expected rx, tx or both)");
    EXPECT_EQ(refused_raw(R"({"op":"capture","interface":"lan","count":-4})"),
              "field 'count' must be a non-negative integer");
    EXPECT_EQ(refused_raw(R"({"op":"capture","interface":"lan","duration":0})"),
              "field 'duration' must be a number of seconds above 0 and at most a year");
    EXPECT_EQ(refused_raw(R"({"op":"capture","interface":"lan","duration":"5"})"),
              "field 'duration' must be a number of seconds above 0 and at most a year");
    EXPECT_EQ(refused_raw(R"({"op":"capture","interface":"lan","snaplen":10})"), "snaplen 10 out of range 64..65535");
    EXPECT_EQ(refused_raw(R"({"op":"capture","interface":"lan","file":"/etc/passwd"})"), "unknown field 'file' for 'capture'");
    EXPECT_TRUE(h.captures.empty());
    h.refuse = "a capture of interface 'lan' is running already (one at a time per interface)";
    const ControlAnswer a = answer_control_request(h, R"({"op":"capture","interface":"lan"})");
    EXPECT_FALSE(a.stream);
    EXPECT_EQ(json::parse(a.line).value("error", ""), h.refuse);
    EXPECT_EQ(json::parse(a.line).count("stream"), 0u);
}

// ---- the socket ----

std::string temp_socket_path(const char* tag) {
    return "/tmp/dpr-unit-" + std::to_string(getpid()) + "-" + tag + ".sock";
}

int connect_to(const std::string& path) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    const timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

void send_all(int fd, const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
        const ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
        if (n <= 0) return;
        off += static_cast<size_t>(n);
    }
}

// One line, or "" when the server closed the connection (or nothing came within 5 s).
std::string read_line(int fd) {
    std::string out;
    char c;
    while (::recv(fd, &c, 1, 0) == 1) {
        if (c == '\n') return out;
        out += c;
    }
    return out.empty() ? "" : out + "<unterminated>";
}

bool closed_by_server(int fd) {
    char c;
    return ::recv(fd, &c, 1, 0) == 0;
}

// The server polled on its own thread, as the control loop does; the handler echoes.
class ControlSocket : public ::testing::Test {
protected:
    void start(ControlServerLimits limits = {}, RequestHandler handler = nullptr) {
        path = temp_socket_path(::testing::UnitTest::GetInstance()->current_test_info()->name());
        if (!handler) handler = [](const std::string& line) { return json{{"ok", true}, {"echo", line.size()}}.dump(); };
        server = std::make_unique<ControlServer>(path, handler, limits);
        run_poller();
    }
    void start_streams(StreamingRequestHandler handler, ControlServerLimits limits = {}) {
        path = temp_socket_path(::testing::UnitTest::GetInstance()->current_test_info()->name());
        server = std::make_unique<ControlServer>(path, std::move(handler), limits);
        run_poller();
    }
    void run_poller() {
        poller = std::thread([this] {
            while (!stop) {
                const auto t0 = std::chrono::steady_clock::now();
                server->poll(now_ms());
                const auto took = std::chrono::steady_clock::now() - t0;
                longest_poll = std::max(longest_poll.load(), std::chrono::duration_cast<std::chrono::microseconds>(took).count());
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            }
        });
    }
    void TearDown() override {
        stop = true;
        if (poller.joinable()) poller.join();
        server.reset();
        EXPECT_FALSE(std::filesystem::exists(path)) << "socket file left behind";
    }
    static uint64_t now_ms() {
        return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::steady_clock::now().time_since_epoch())
                                         .count());
    }
    // Waits (up to 2 s) for the server's view to satisfy `pred`.
    template <class Pred>
    bool eventually(Pred pred) {
        for (int i = 0; i < 200; ++i) {
            if (pred()) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return pred();
    }

    std::string path;
    std::unique_ptr<ControlServer> server;
    std::thread poller;
    std::atomic<bool> stop{false};
    std::atomic<long> longest_poll{0};
};

TEST_F(ControlSocket, AnswersEachLineInOrderOnOneConnection) {
    start();
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    const int fd = connect_to(path);
    ASSERT_GE(fd, 0);
    send_all(fd, "a\nbbb\n");  // two requests in one write
    EXPECT_EQ(read_line(fd), R"({"echo":1,"ok":true})");
    EXPECT_EQ(read_line(fd), R"({"echo":3,"ok":true})");
    send_all(fd, "cc");  // a request in pieces
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    send_all(fd, "cc\n");
    EXPECT_EQ(read_line(fd), R"({"echo":4,"ok":true})");
    ::close(fd);
    EXPECT_TRUE(eventually([&] { return server->clients() == 0; }));
    EXPECT_EQ(server->stats().requests, 3u);
}

TEST_F(ControlSocket, OversizedRequestIsRefusedAndClosed) {
    ControlServerLimits l;
    l.max_request = 1024;
    start(l);
    for (const size_t len : {size_t{1024}, size_t{1 << 20}}) {
        const int fd = connect_to(path);
        ASSERT_GE(fd, 0);
        send_all(fd, std::string(len, 'x'));  // never a newline
        const json a = json::parse(read_line(fd), nullptr, false);
        EXPECT_EQ(a.value("error", ""), "request longer than 1024 bytes") << len;
        EXPECT_TRUE(closed_by_server(fd));
        ::close(fd);
    }
    // A request of exactly the limit, newline included, is fine.
    const int fd = connect_to(path);
    send_all(fd, std::string(1023, 'y') + "\n");
    EXPECT_EQ(read_line(fd), R"({"echo":1023,"ok":true})");
    ::close(fd);
    EXPECT_EQ(server->stats().oversized, 2u);
}

TEST_F(ControlSocket, ClientThatLeavesMidRequestIsDroppedQuietly) {
    start();
    for (int i = 0; i < 20; ++i) {
        const int fd = connect_to(path);
        ASSERT_GE(fd, 0);
        send_all(fd, R"({"op":"show inter)");
        ::close(fd);
    }
    EXPECT_TRUE(eventually([&] { return server->clients() == 0 && server->stats().dropped == 20; }))
        << server->clients() << " clients, " << server->stats().dropped << " dropped";
    EXPECT_EQ(server->stats().requests, 0u);
    const int fd = connect_to(path);
    send_all(fd, "ok\n");
    EXPECT_EQ(read_line(fd), R"({"echo":2,"ok":true})");
    ::close(fd);
}

TEST_F(ControlSocket, CrowdBeyondTheLimitIsToldAndClosedOthersServed) {
    ControlServerLimits l;
    l.max_clients = 4;
    start(l);
    std::vector<int> fds;
    for (int i = 0; i < 4; ++i) {
        fds.push_back(connect_to(path));
        ASSERT_GE(fds.back(), 0);
    }
    ASSERT_TRUE(eventually([&] { return server->clients() == 4; }));
    const int extra = connect_to(path);
    ASSERT_GE(extra, 0);
    const json a = json::parse(read_line(extra), nullptr, false);
    EXPECT_EQ(a.value("error", ""), "too many control clients (at most 4); try again");
    EXPECT_TRUE(closed_by_server(extra));
    ::close(extra);
    for (int fd : fds) {
        send_all(fd, "hi\n");
        EXPECT_EQ(read_line(fd), R"({"echo":2,"ok":true})");
        ::close(fd);
    }
    EXPECT_EQ(server->stats().refused_busy, 1u);
}

TEST_F(ControlSocket, IdleAndStalledClientsTimeOut) {
    ControlServerLimits l;
    l.idle_timeout_ms = 200;
    // An answer far bigger than the socket buffers, to a client that never reads it.
    start(l, [](const std::string& line) { return line == "big" ? std::string(4 << 20, 'z') : std::string("{}"); });
    const int idle = connect_to(path);
    const int stalled = connect_to(path);
    send_all(stalled, "big\n");
    ASSERT_TRUE(eventually([&] { return server->stats().requests == 1; }));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the handler has built its answer
    longest_poll = 0;  // from here on the answer is queued: every poll is a non-blocking write attempt
    EXPECT_TRUE(eventually([&] { return server->stats().timed_out == 2; })) << server->stats().timed_out;
    EXPECT_TRUE(closed_by_server(idle));
    ::close(idle);
    ::close(stalled);
    // The poll never waited on the stalled client (a blocking write would have taken until the timeout).
    EXPECT_LT(longest_poll.load(), 20000) << "longest poll " << longest_poll.load() << " us";
}

TEST_F(ControlSocket, GarbageBytesGetAnAnswerThroughTheRealCommands) {
    FakeHandler h;
    start({}, [&h](const std::string& line) { return handle_control_request(h, line); });
    const int fd = connect_to(path);
    std::string garbage;
    for (int i = 0; i < 4096; ++i) garbage += static_cast<char>((i * 131 + 7) % 256 == '\n' ? 0 : (i * 131 + 7) % 256);
    send_all(fd, garbage + "\n");
    EXPECT_EQ(json::parse(read_line(fd), nullptr, false).value("error", ""), "malformed request: not JSON");
    send_all(fd, "{\"op\":\"show neighbors\"}\n");
    EXPECT_EQ(json::parse(read_line(fd), nullptr, false)["ok"], true);
    ::close(fd);
}

// Everything the server sends until it closes (or 5 s pass).
std::string read_to_end(int fd) {
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<size_t>(n));
    return out;
}

TEST_F(ControlSocket, StreamFollowsItsAnswerLineThenTheConnectionCloses) {
    auto ev = std::make_shared<StreamEvents>();
    start_streams([ev](const std::string& line) {
        if (line != "stream") return ControlAnswer{R"({"ok":true})", nullptr};
        return ControlAnswer{R"({"ok":true,"stream":"pcapng"})",
                             std::make_unique<ScriptedStream>(std::vector<std::string>{"one,", std::string(300000, 'b'), ",three"}, ev)};
    });
    const int fd = connect_to(path);
    send_all(fd, "plain\n");
    EXPECT_EQ(read_line(fd), R"({"ok":true})");
    send_all(fd, "stream\n");
    EXPECT_EQ(read_line(fd), R"({"ok":true,"stream":"pcapng"})");
    EXPECT_EQ(read_to_end(fd), "one," + std::string(300000, 'b') + ",three");
    ::close(fd);
    EXPECT_TRUE(eventually([&] { return server->clients() == 0 && ev->destroyed; }));
    EXPECT_EQ(server->stats().streams, 1u);
    EXPECT_FALSE(ev->finished);
}

TEST_F(ControlSocket, ClientShutdownFinishesTheStreamClientGoneEndsIt) {
    auto finished = std::make_shared<StreamEvents>();
    auto vanished = std::make_shared<StreamEvents>();
    start_streams([finished, vanished](const std::string& line) {
        auto ev = line == "a" ? finished : vanished;
        return ControlAnswer{R"({"ok":true,"stream":"pcapng"})",
                             std::make_unique<ScriptedStream>(std::vector<std::string>{"head,"}, ev, true)};
    });
    // A stream with nothing to say is not an idle client: it outlives the idle timeout.
    const int a = connect_to(path);
    send_all(a, "a\n");
    EXPECT_EQ(read_line(a), R"({"ok":true,"stream":"pcapng"})");
    ASSERT_TRUE(eventually([&] { return finished->pumps > 10; }));
    ::shutdown(a, SHUT_WR);  // dprouterctl's Ctrl-C
    EXPECT_EQ(read_to_end(a), "head,trailer");
    EXPECT_TRUE(finished->finished);
    ::close(a);
    const int b = connect_to(path);
    send_all(b, "b\n");
    EXPECT_EQ(read_line(b), R"({"ok":true,"stream":"pcapng"})");
    ::close(b);  // gone mid-stream: the stream is released, nothing waits for it
    EXPECT_TRUE(eventually([&] { return vanished->destroyed.load(); }));
    EXPECT_FALSE(vanished->finished);
    EXPECT_TRUE(eventually([&] { return server->clients() == 0; }));
}

TEST_F(ControlSocket, StaleSocketReplacedLiveOneAndOtherFilesLeftAlone) {
    path = temp_socket_path("stale");
    {
        // A socket file whose process is gone.
        const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
        ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
        ::close(fd);
    }
    ASSERT_TRUE(std::filesystem::exists(path));
    auto first = std::make_unique<ControlServer>(path, [](const std::string&) { return std::string("{}"); });
    // A second router on the same path: refused, the first one's socket untouched.
    try {
        ControlServer second(path, [](const std::string&) { return std::string("{}"); });
        ADD_FAILURE() << "a socket in use was replaced";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("is in use"), std::string::npos) << e.what();
    }
    const int fd = connect_to(path);
    EXPECT_GE(fd, 0) << "the first server's socket was removed";
    ::close(fd);
    first.reset();
    EXPECT_FALSE(std::filesystem::exists(path));

    // Not a socket: never removed.
    { std::ofstream(path) << "precious"; }
    EXPECT_THROW(ControlServer(path, [](const std::string&) { return std::string("{}"); }), std::runtime_error);
    EXPECT_TRUE(std::filesystem::exists(path));
    std::filesystem::remove(path);
}

// ---- dprouterctl's command line and tables ----

TEST(Dprouterctl, CommandLineBecomesTheRequest) {
    using ctl::parse_command_line;
    auto p = parse_command_line({"--socket", "/tmp/x.sock", "show", "routes", "--json"});
    EXPECT_EQ(p.error, "");
    EXPECT_EQ(p.socket, "/tmp/x.sock");
    EXPECT_TRUE(p.json_output);
    EXPECT_EQ(p.request, json({{"op", "show routes"}}));
    EXPECT_EQ(parse_command_line({"show", "interfaces"}).socket, "/run/dprouter.sock");
    EXPECT_EQ(parse_command_line({"route", "add", "10.9.0.0/16", "via", "10.2.0.2", "via", "10.2.0.3", "interface", "wan"}).request,
              json({{"op", "route add"}, {"prefix", "10.9.0.0/16"}, {"via", {"10.2.0.2", "10.2.0.3"}}, {"interface", "wan"}}));
    EXPECT_EQ(parse_command_line({"route", "add", "10.9.0.0/16", "blackhole"}).request,
              json({{"op", "route add"}, {"prefix", "10.9.0.0/16"}, {"action", "blackhole"}}));
    EXPECT_EQ(parse_command_line({"route", "del", "2001:db8::/32"}).request, json({{"op", "route del"}, {"prefix", "2001:db8::/32"}}));
    EXPECT_EQ(parse_command_line({"neighbor", "add", "10.2.0.9", "mac", "02:00:00:00:00:09", "interface", "wan"}).request,
              json({{"op", "neighbor add"}, {"address", "10.2.0.9"}, {"mac", "02:00:00:00:00:09"}, {"interface", "wan"}}));
    EXPECT_EQ(parse_command_line({"show", "routes", "--limit", "10"}).request, json({{"op", "show routes"}, {"limit", 10}}));
    EXPECT_TRUE(parse_command_line({"--help"}).help);

    for (const std::vector<std::string>& bad :
         std::vector<std::vector<std::string>>{{},
                                               {"show"},
                                               {"show", "everything"},
                                               {"show", "routes", "extra"},
                                               {"route", "add"},
                                               {"route", "add", "10.9.0.0/16"},
                                               {"route", "add", "10.9.0.0/16", "via"},
                                               {"route", "add", "10.9.0.0/16", "blackhole", "prohibit"},
                                               {"route", "del"},
                                               {"neighbor", "add", "10.2.0.9", "mac", "02:00:00:00:00:09"},
                                               {"neighbor", "del", "10.2.0.9", "mac", "x"},
                                               {"--socket"},
                                               {"--frobnicate", "show", "routes"},
                                               {"show", "stats", "--limit", "3"},
                                               {"capture", "lan"}}) {
        const auto r = parse_command_line(bad);
        EXPECT_NE(r.error, "") << ::testing::PrintToString(bad);
        EXPECT_TRUE(r.request.is_null()) << ::testing::PrintToString(bad);
    }
}

TEST(Dprouterctl, CaptureCommandLine) {
    using ctl::parse_command_line;
    auto p = parse_command_line({"capture", "lan", "--count", "4", "-w", "/tmp/x.pcapng"});
    EXPECT_EQ(p.error, "");
    EXPECT_EQ(p.request, json({{"op", "capture"}, {"interface", "lan"}, {"count", 4}}));
    EXPECT_EQ(p.output, "/tmp/x.pcapng");
    p = parse_command_line({"--socket", "/tmp/s", "capture", "wan", "-w", "-", "--duration", "2.5", "--direction", "rx",
                            "--snaplen", "96"});
    EXPECT_EQ(p.error, "");
    EXPECT_EQ(p.request,
              json({{"op", "capture"}, {"interface", "wan"}, {"duration", 2.5}, {"direction", "rx"}, {"snaplen", 96}}));
    EXPECT_EQ(p.output, "-");
    for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
             {"capture"},
             {"capture", "lan", "--count", "4"},
             {"capture", "lan", "-w"},
             {"capture", "lan", "-w", "a", "-w", "b"},
             {"capture", "lan", "-w", "a", "--count", "x"},
             {"capture", "lan", "-w", "a", "--count", "1", "--count", "2"},
             {"capture", "lan", "-w", "a", "--duration", "0"},
             {"capture", "lan", "-w", "a", "--duration", "soon"},
             {"capture", "lan", "-w", "a", "--direction", "sideways"},
             {"capture", "lan", "-w", "a", "extra"},
             {"capture", "lan", "-w", "a", "--limit", "3"}}) {
        const auto r = parse_command_line(bad);
        EXPECT_NE(r.error, "") << ::testing::PrintToString(bad);
        EXPECT_TRUE(r.request.is_null()) << ::testing::PrintToString(bad);
    }
}

// A pcapng block of `type` with `body` (padded), as the router writes them (host byte order).
std::string pcapng_block(uint32_t type, const std::string& body) {
    std::string b;
    const uint32_t len = static_cast<uint32_t>(12 + (body.size() + 3) / 4 * 4);
    b.append(reinterpret_cast<const char*>(&type), 4);
    b.append(reinterpret_cast<const char*>(&len), 4);
    b += body;
    b.append((4 - body.size() % 4) % 4, '\0');
    b.append(reinterpret_cast<const char*>(&len), 4);
    return b;
}

TEST(Dprouterctl, PcapngTallyCountsPacketsAndReadsTheDropsInAnyPieces) {
    std::string isb(12, '\0');  // interface id, timestamp
    const uint16_t ifdrop[2] = {5, 8};
    const uint64_t lost = 7;
    isb.append(reinterpret_cast<const char*>(ifdrop), 4);
    isb.append(reinterpret_cast<const char*>(&lost), 8);
    isb.append(4, '\0');  // opt_endofopt
    const std::string stream = pcapng_block(0x0a0d0d0a, std::string(16, 's')) + pcapng_block(1, std::string(8, 'i')) +
                               pcapng_block(6, std::string(61, 'p')) + pcapng_block(6, std::string(1500, 'q')) +
                               pcapng_block(6, std::string(20, 'r')) + pcapng_block(5, isb);
    for (const std::size_t piece : {std::size_t{1}, std::size_t{3}, std::size_t{7}, stream.size()}) {
        ctl::PcapngTally t;
        for (std::size_t off = 0; off < stream.size(); off += piece)
            t.feed(stream.data() + off, std::min(piece, stream.size() - off));
        EXPECT_EQ(t.packets(), 3u) << piece;
        EXPECT_TRUE(t.complete()) << piece;
        EXPECT_EQ(t.dropped(), 7u) << piece;
        EXPECT_FALSE(t.malformed());
    }
    ctl::PcapngTally cut;
    cut.feed(stream.data(), stream.size() - 10);
    EXPECT_FALSE(cut.complete()) << "a capture cut short has no statistics block";
    ctl::PcapngTally bad;
    bad.feed("\x06\0\0\0\x05\0\0\0", 8);
    EXPECT_TRUE(bad.malformed());
}

TEST(Dprouterctl, TablesAreAligned) {
    const json routes = {{"routes",
                          {{{"prefix", "10.1.0.0/24"}, {"action", "forward"}, {"via", json::array()}, {"interface", "lan"},
                            {"origin", "connected"}, {"installed", true}},
                           {{"prefix", "2001:db8:99::/48"}, {"action", "forward"},
                            {"via", {{{"gateway", "fe80::1"}, {"interface", "wan"}}, {{"gateway", "fe80::2"}, {"interface", "wan"}}}},
                            {"interface", "wan"}, {"origin", "bgp"}, {"installed", false}}}},
                         {"total", 5},
                         {"truncated", true}};
    EXPECT_EQ(ctl::format_result("show routes", routes),
              "PREFIX            ACTION   VIA              INTERFACE  ORIGIN     STATE\n"
              "10.1.0.0/24       forward  -                lan        connected  installed\n"
              "2001:db8:99::/48  forward  fe80::1,fe80::2  wan        bgp        shadowed\n"
              "(first 2 of 5 routes; --limit N, --json)\n");
    const json nb = {{{"address", "10.2.0.2"}, {"mac", "02:00:00:00:02:02"}, {"interface", "wan"}, {"state", "reachable"},
                      {"type", "learned"}, {"held", 0}}};
    EXPECT_EQ(ctl::format_result("show neighbors", nb),
              "ADDRESS   MAC                INTERFACE  STATE      TYPE     HELD\n"
              "10.2.0.2  02:00:00:00:02:02  wan        reachable  learned  0\n");
    EXPECT_EQ(ctl::format_result("route add", json::object()), "");
    EXPECT_EQ(ctl::printable("a\nb\x1b"), "a\\x0ab\\x1b");
}

}  // namespace
}  // namespace dprouter

// Coalesced commits (route_batch.hpp, docs/control-plane.md "Coalesced commits"): the route
// changes a client pipelines are applied one by one, each answered on its own, and published by a
// single commit that happens before the first answer is written.
#include "control/route_batch.hpp"

namespace dprouter {
namespace {

// A sink that keeps routes by prefix, refuses one prefix as a full FIB would, and records at each
// commit how many routes it held and whether the client could already read an answer.
class CommitRecordingSink : public RouteSink {
public:
    std::string upsert(const Route& r) override {
        const std::string p = format_prefix(r.prefix4);
        if (p == "10.99.0.0/16") return "the FIB is full";
        held[p] = r;
        return {};
    }
    RouteRemoval remove(const Route& key) override { return held.erase(format_prefix(key.prefix4)) != 0; }
    std::string replace_origin(RouteOrigin, const std::vector<Route>&) override { return "not here"; }
    void commit() override {
        char c;
        const bool answer_readable = client_fd >= 0 && ::recv(client_fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
        commits_seen.push_back({held.size(), answer_readable});
        ++commits;
    }
    std::vector<Route> routes() const override {
        std::vector<Route> v;
        for (const auto& [p, r] : held) v.push_back(r);
        return v;
    }

    std::map<std::string, Route> held;
    int client_fd = -1;
    struct Seen {
        size_t held;
        bool answer_readable;
    };
    std::vector<Seen> commits_seen;
    std::atomic<unsigned> commits{0};
};

// FakeHandler whose route changes go through a RouteBatch into the sink, as RouterControl's do.
class BatchingHandler : public FakeHandler {
public:
    std::string add_route(const Route& r) override { return batch.add(sink, r); }
    std::string remove_route(const Route& key) override { return batch.remove(sink, key) ? "" : "no such route"; }
    std::vector<Route> routes() const override { return sink.routes(); }
    CommitRecordingSink sink;
    RouteBatch batch;
};

TEST_F(ControlSocket, PipelinedRouteChangesArePublishedByOneCommitBeforeAnyAnswer) {
    BatchingHandler h;
    start({}, [&h](const std::string& line) { return handle_control_request(h, line); });
    server->set_before_answers([&h] { h.batch.publish(h.sink); });
    const int fd = connect_to(path);
    ASSERT_GE(fd, 0);
    h.sink.client_fd = fd;
    // 40 adds in one write; the 10th is refused by the FIB, the 20th by validation.
    std::string lines;
    for (int i = 0; i < 40; ++i) {
        json r = {{"op", "route add"}, {"prefix", "10.50." + std::to_string(i) + ".0/24"}, {"via", {"10.2.0.2"}}};
        if (i == 9) r["prefix"] = "10.99.0.0/16";
        if (i == 19) r["via"] = {"10.9.9.9"};
        lines += r.dump() + "\n";
    }
    send_all(fd, lines);
    for (int i = 0; i < 40; ++i) {
        const json a = json::parse(read_line(fd), nullptr, false);
        if (i == 9) {
            EXPECT_EQ(a.value("error", ""), "the FIB is full");
        } else if (i == 19) {
            EXPECT_NE(a.value("error", "").find("10.9.9.9"), std::string::npos) << a.dump();
        } else {
            EXPECT_EQ(a.value("ok", false), true) << i << ": " << a.dump();
        }
    }
    ASSERT_EQ(h.sink.commits.load(), 1u);
    EXPECT_EQ(h.sink.commits_seen[0].held, 38u) << "every good change is in the one commit";
    EXPECT_FALSE(h.sink.commits_seen[0].answer_readable) << "an answer was sent before the commit";
    EXPECT_EQ(h.batch.changes(), 38u);
    EXPECT_EQ(h.batch.publications(), 1u);

    // A delete and a read behind it in the same write: the read sees the delete, one more commit.
    send_all(fd, R"({"op":"route del","prefix":"10.50.0.0/24"})" "\n" R"({"op":"route del","prefix":"10.50.0.0/24"})" "\n"
                 R"({"op":"show routes"})" "\n");
    EXPECT_EQ(json::parse(read_line(fd), nullptr, false).value("ok", false), true);
    EXPECT_EQ(json::parse(read_line(fd), nullptr, false).value("error", ""), "no such route");
    const json shown = json::parse(read_line(fd), nullptr, false);
    std::set<std::string> prefixes;
    for (const json& r : shown["result"]["routes"]) prefixes.insert(r.value("prefix", ""));
    EXPECT_FALSE(prefixes.contains("10.50.0.0/24"));
    EXPECT_TRUE(prefixes.contains("10.50.1.0/24"));
    EXPECT_FALSE(prefixes.contains("10.99.0.0/16"));
    ASSERT_EQ(h.sink.commits.load(), 2u);
    EXPECT_FALSE(h.sink.commits_seen[1].answer_readable);
    // Requests that change nothing commit nothing.
    send_all(fd, R"({"op":"show stats"})" "\n");
    EXPECT_EQ(json::parse(read_line(fd), nullptr, false).value("ok", false), true);
    EXPECT_EQ(h.sink.commits.load(), 2u);
    ::close(fd);
}

TEST_F(ControlSocket, EachRoundAnswersAtMostRequestsPerPollOfAClient) {
    ControlServerLimits l;
    l.requests_per_poll = 8;
    start(l);
    const int fd = connect_to(path);
    ASSERT_GE(fd, 0);
    std::string lines;
    for (int i = 0; i < 100; ++i) lines += "x\n";
    send_all(fd, lines);
    // The answers fit the socket buffer, so the server keeps answering 8 a poll until all are done;
    // each poll answered at most 8: 100 requests took at least 13 rounds.
    ASSERT_TRUE(eventually([&] { return server->stats().requests == 100; }));
    EXPECT_GE(server->stats().rounds, 13u);
    for (int i = 0; i < 100; ++i) ASSERT_EQ(read_line(fd), R"({"echo":1,"ok":true})") << i;
    ::close(fd);
}

}  // namespace
}  // namespace dprouter
