// The IP options a router fills in: Record Route and Internet Timestamp (RFC 791 3.1, RFC 1812
// 5.3.13.5 and 5.3.13.6) in forwarded datagrams, in echo replies (RFC 1122 3.2.2.6) and across
// fragmentation, and the parameter problems (RFC 1812 5.2.5) for the ones that cannot be filled in.
// Each expected frame is built with packet_builder from the same fields as the datagram sent, with
// the options written out octet by octet as they must leave, so every other byte is compared too.
#include <gtest/gtest.h>

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "dprouter/config.hpp"
#include "dprouter/counters.hpp"
#include "dprouter/icmp.hpp"
#include "dprouter/pipeline.hpp"
#include "dprouter/wall_clock.hpp"
#include "packet_builder.hpp"

namespace dprtest {
namespace {

using dprouter::Config;
using dprouter::Drop;
using dprouter::Event;
using dprouter::IcmpKind;

constexpr uint16_t kErrId = 0x6c01;  // IP ID the worker gives the next datagram it originates
constexpr size_t kMaxQuote = 576 - 20 - 8;

// The worker's clock in these tests: 12:34:56.789 UT. The harness's fake TSC stands at one second.
constexpr uint32_t kNowMs = ((12 * 60 + 34) * 60 + 56) * 1000 + 789;

constexpr uint8_t kRr = 7;
constexpr uint8_t kTs = 68;
constexpr uint8_t kEol = 0;
constexpr uint8_t kNop = 1;

// An address (host order) as the four octets options carry it.
Bytes addr(uint32_t a) { return {uint8_t(a >> 24), uint8_t(a >> 16), uint8_t(a >> 8), uint8_t(a)}; }
Bytes time_octets(uint32_t ms) { return addr(ms); }
Bytes zeros(size_t n) { return Bytes(n, 0); }
// Option octets from pieces.
Bytes opts(std::initializer_list<Bytes> parts) {
    Bytes b;
    for (const Bytes& p : parts) b.insert(b.end(), p.begin(), p.end());
    return b;
}

std::string describe(const std::vector<Emitted>& out) {
    std::ostringstream s;
    s << out.size() << " frame(s):";
    for (const Emitted& e : out) s << " [port " << e.port << ", " << e.bytes.size() << " bytes]";
    return s.str();
}

Ipv4Fields udp_fields(uint32_t src, uint32_t dst, const Bytes& options, uint8_t ttl = 64) {
    Ipv4Fields f;
    f.src = src;
    f.dst = dst;
    f.ttl = ttl;
    f.protocol = kProtoUdp;
    f.id = 0x0bad;
    f.tos = 0x10;
    f.options = options;
    return f;
}
Bytes udp_l4(const Ipv4Fields& f, size_t n = 24) { return udp_segment(f.src, f.dst, 40000, 33434, pattern(n, 0x60)); }

// `f` as it must leave: TTL one less, `options` in place of the ones it came with, the rest (and
// the L4 bytes) unchanged; the header checksum is the builder's own.
Bytes leaving(const Mac& eth_dst, const Mac& eth_src, Ipv4Fields f, const Bytes& options, const Bytes& l4) {
    f.ttl = static_cast<uint8_t>(f.ttl - 1);
    f.options = options;
    return ipv4_frame(eth_dst, eth_src, f, l4);
}

class Options : public RouterTest {
protected:
    void SetUp() override {
        RouterTest::SetUp();
        prepare();
    }
    void prepare() {
        add_lab_neighbors();
        h().ctx().next_ip_id = kErrId;
        set_clock(kNowMs);
    }
    // Makes the worker's UTC read `ms` after midnight (some day in 2024) at the current fake TSC.
    void set_clock(uint32_t ms) {
        const auto tsc_ms = static_cast<int64_t>(dprouter::tsc_to_ms(h().ctx().fake_tsc, h().ctx().tsc_hz));
        h().ctx().utc_minus_tsc_ms = 19800 * dprouter::kMsPerDay + ms - tsc_ms;
    }

    // Receives `frame` on `port`; exactly one frame must leave, on `out_port`.
    Bytes one_out(uint16_t port, const Bytes& frame, uint16_t out_port) {
        h().receive(port, frame);
        const auto out = h().take_emitted();
        EXPECT_EQ(out.size(), 1u) << describe(out) << "; drops: " << h().drops_summary();
        if (out.size() != 1) return {};
        EXPECT_EQ(out[0].port, out_port);
        return out[0].bytes;
    }

    // H1 -> H2 through the router: what leaves by the wan must be `expect_options` in place of `options`.
    void expect_h1_to_h2(const Bytes& options, const Bytes& expect_options) {
        const Ipv4Fields f = udp_fields(lab::kH1Addr, lab::kH2Addr, options);
        const Bytes l4 = udp_l4(f);
        const Bytes out = one_out(lab::kLanPort, ipv4_frame(lab::kLanMac, lab::kH1Mac, f, l4), lab::kWanPort);
        EXPECT_TRUE(same_bytes(out, leaving(lab::kH2Mac, lab::kWanMac, f, expect_options, l4)));
        EXPECT_TRUE(ipv4_header_checksum_ok(out));
        EXPECT_EQ(h().counted(Event::forwarded), 1u);
        EXPECT_EQ(h().total_dropped(), 0u) << h().drops_summary();
    }

    // H1 -> H2 with `options` must be refused with a parameter problem pointing at octet `pointer`
    // of the header, quoting the datagram as it arrived; nothing is forwarded.
    void expect_param_problem(const Bytes& options, uint8_t pointer, uint32_t dst = lab::kH2Addr) {
        const Ipv4Fields f = udp_fields(lab::kH1Addr, dst, options);
        const Bytes dg = ipv4_datagram(f, udp_l4(f));
        const Bytes out = one_out(lab::kLanPort, ethernet_frame(lab::kLanMac, lab::kH1Mac, kEtherIpv4, dg), lab::kLanPort);
        EXPECT_TRUE(same_bytes(out, param_problem_to_h1(pointer, dg)));
        EXPECT_EQ(h().dropped(Drop::ipv4_bad_options), 1u) << h().drops_summary();
        EXPECT_EQ(h().icmp_sent(IcmpKind::param_problem), 1u);
        EXPECT_EQ(h().counted(Event::forwarded), 0u);
    }

    static Bytes icmp_error_to_h1(uint8_t type, uint8_t code, uint32_t rest, const Bytes& offender) {
        const Bytes quote(offender.begin(), offender.begin() + static_cast<std::ptrdiff_t>(std::min(offender.size(), kMaxQuote)));
        Ipv4Fields e;
        e.src = lab::kLanAddr;
        e.dst = lab::kH1Addr;
        e.protocol = kProtoIcmp;
        e.tos = static_cast<uint8_t>(0xc0 | (offender.at(1) & 0x1e));
        e.id = kErrId;
        return ipv4_frame(lab::kH1Mac, lab::kLanMac, e, icmp_message(type, code, rest, quote));
    }
    static Bytes param_problem_to_h1(uint8_t pointer, const Bytes& offender) {
        return icmp_error_to_h1(12, 0, uint32_t{pointer} << 24, offender);
    }
};

// =============================================================================================
// Record Route

TEST_F(Options, RecordRouteGetsTheEgressAddress) {
    // Room for two addresses; H1 has recorded itself already.
    expect_h1_to_h2(opts({{kRr, 11, 8}, addr(lab::kH1Addr), zeros(4), {kEol}}),
                    opts({{kRr, 11, 12}, addr(lab::kH1Addr), addr(lab::kWanAddr), {kEol}}));
}

TEST_F(Options, RecordRouteFirstSlot) {
    expect_h1_to_h2(opts({{kRr, 11, 4}, zeros(8), {kEol}}), opts({{kRr, 11, 8}, addr(lab::kWanAddr), zeros(4), {kEol}}));
}

TEST_F(Options, RecordRouteTowardsTheLanRecordsTheLanAddress) {
    const Ipv4Fields f = udp_fields(lab::kH2Addr, lab::kH1Addr, opts({{kNop, kRr, 7, 4}, zeros(4)}));
    const Bytes l4 = udp_l4(f);
    const Bytes out = one_out(lab::kWanPort, ipv4_frame(lab::kWanMac, lab::kH2Mac, f, l4), lab::kLanPort);
    EXPECT_TRUE(same_bytes(out, leaving(lab::kH1Mac, lab::kLanMac, f, opts({{kNop, kRr, 7, 8}, addr(lab::kLanAddr)}), l4)));
}

TEST_F(Options, RecordRouteViaAGateway) {
    const Ipv4Fields f = udp_fields(lab::kH1Addr, ipv4(10, 99, 1, 2), opts({{kRr, 7, 4}, zeros(4), {kEol}}));
    const Bytes l4 = udp_l4(f);
    const Bytes out = one_out(lab::kLanPort, ipv4_frame(lab::kLanMac, lab::kH1Mac, f, l4), lab::kWanPort);
    EXPECT_TRUE(same_bytes(out, leaving(lab::kGatewayMac, lab::kWanMac, f, opts({{kRr, 7, 8}, addr(lab::kWanAddr), {kEol}}), l4)));
}

// RFC 791: "If the route data area is already full (the pointer exceeds the length) the datagram is
// forwarded without inserting the address into the recorded route."
TEST_F(Options, RecordRouteFullIsForwardedUnchanged) {
    const Bytes full = opts({{kRr, 7, 8}, addr(ipv4(10, 5, 5, 5)), {kEol}});
    expect_h1_to_h2(full, full);
}

TEST_F(Options, RecordRouteFullOfTheMaximumSize) {
    Bytes full = opts({{kRr, 39, 40}});
    for (uint8_t i = 0; i < 9; ++i) full = opts({full, addr(ipv4(10, 0, 0, i))});
    full.push_back(kEol);
    expect_h1_to_h2(full, full);
}

// Like Linux, a pointer that is not 4 + 4k is used as it is, as long as an address fits there.
TEST_F(Options, RecordRouteUnalignedPointerUsedAsIs) {
    expect_h1_to_h2(opts({{kRr, 11, 5}, zeros(8), {kEol}}),
                    opts({{kRr, 11, 9}, {0}, addr(lab::kWanAddr), zeros(3), {kEol}}));
}

TEST_F(Options, RecordRoutePointerBelowFour) {
    expect_param_problem(opts({{kRr, 7, 3}, zeros(4), {kEol}}), 22);
}

TEST_F(Options, RecordRoutePointerZero) {
    expect_param_problem(opts({{kNop, kNop, kNop, kNop, kRr, 7, 0}, zeros(4), {kEol}}), 26);
}

// "If there is some room but not enough room for a full address to be inserted, the original
// datagram is considered to be in error" (RFC 791).
TEST_F(Options, RecordRouteWithRoomForLessThanAnAddress) {
    expect_param_problem(opts({{kRr, 10, 8}, zeros(7), {kEol, kEol}}), 22);
}

TEST_F(Options, RecordRouteWithoutPointer) {
    expect_param_problem({kRr, 2, kEol, kEol}, 21);
}

TEST_F(Options, SecondRecordRoute) {
    expect_param_problem(opts({{kRr, 7, 4}, zeros(4), {kRr, 7, 4}, zeros(4), {kEol, kEol}}), 27);
}

// =============================================================================================
// Internet Timestamp

TEST_F(Options, TimestampOnly) {
    expect_h1_to_h2(opts({{kTs, 12, 5, 0x00}, zeros(8)}),
                    opts({{kTs, 12, 9, 0x00}, time_octets(kNowMs), zeros(4)}));
}

TEST_F(Options, TimestampOnlyAfterAnEarlierOne) {
    expect_h1_to_h2(opts({{kTs, 12, 9, 0x00}, time_octets(1234), zeros(4)}),
                    opts({{kTs, 12, 13, 0x00}, time_octets(1234), time_octets(kNowMs)}));
}

TEST_F(Options, TimestampWithAddress) {
    expect_h1_to_h2(opts({{kTs, 20, 5, 0x01}, zeros(16)}),
                    opts({{kTs, 20, 13, 0x01}, addr(lab::kWanAddr), time_octets(kNowMs), zeros(8)}));
}

TEST_F(Options, TimestampReadsTheClockAsItMoves) {
    h().advance_tsc_ms(2500);
    expect_h1_to_h2(opts({{kTs, 8, 5, 0x00}, zeros(4)}), opts({{kTs, 8, 9, 0x00}, time_octets(kNowMs + 2500)}));
}

TEST_F(Options, TimestampWrapsAtMidnight) {
    set_clock(dprouter::kMsPerDay - 1);
    h().advance_tsc_ms(3);
    expect_h1_to_h2(opts({{kTs, 8, 5, 0x00}, zeros(4)}), opts({{kTs, 8, 9, 0x00}, time_octets(2)}));
}

// RFC 791: "If the time is not available in milliseconds or cannot be provided with respect to
// midnight UT then any time may be inserted as a timestamp provided the high order bit ... is set".
TEST_F(Options, TimestampWithoutAKnownTscRateHasTheHighBitSet) {
    h().ctx().tsc_hz = 0;
    expect_h1_to_h2(opts({{kTs, 8, 5, 0x00}, zeros(4)}), opts({{kTs, 8, 9, 0x00}, time_octets(0x80000000u)}));
}

// RFC 1812 5.3.13.6: with prespecified addresses the router records when the next one is any of
// its addresses, not necessarily the one of either interface the datagram crosses.
TEST_F(Options, TimestampPrespecifiedForOneOfOurAddresses) {
    const uint32_t far = ipv4(10, 2, 0, 2);
    expect_h1_to_h2(opts({{kTs, 20, 5, 0x03}, addr(lab::kLanAddr), zeros(4), addr(far), zeros(4)}),
                    opts({{kTs, 20, 13, 0x03}, addr(lab::kLanAddr), time_octets(kNowMs), addr(far), zeros(4)}));
}

TEST_F(Options, TimestampPrespecifiedForSomeoneElse) {
    const Bytes other = opts({{kTs, 12, 5, 0x03}, addr(ipv4(10, 9, 9, 9)), zeros(4)});
    expect_h1_to_h2(other, other);
}

// RFC 791: full, "the datagram is forwarded without inserting the timestamp, but the overflow count
// is incremented by one".
TEST_F(Options, TimestampFullCountsTheOverflow) {
    expect_h1_to_h2(opts({{kTs, 8, 9, 0x20}, time_octets(7)}), opts({{kTs, 8, 9, 0x30}, time_octets(7)}));
}

TEST_F(Options, TimestampWithAddressFullCountsTheOverflowUpToFifteen) {
    const Bytes entry = opts({addr(ipv4(10, 1, 0, 2)), time_octets(7)});
    expect_h1_to_h2(opts({{kTs, 12, 13, 0xe1}, entry}), opts({{kTs, 12, 13, 0xf1}, entry}));
}

TEST_F(Options, TimestampOverflowOfTheOverflowCounter) {
    expect_param_problem(opts({{kTs, 8, 9, 0xf0}, time_octets(7)}), 23);
}

TEST_F(Options, TimestampPrespecifiedFullIsLeftAlone) {
    const Bytes full = opts({{kTs, 12, 13, 0xf3}, addr(lab::kLanAddr), time_octets(7)});
    expect_h1_to_h2(full, full);
}

TEST_F(Options, TimestampUndefinedFlags) {
    for (uint8_t flags : {0x02, 0x04, 0x0f}) {
        SCOPED_TRACE(int{flags});
        rebuild(make_config());
        prepare();
        expect_param_problem(opts({{kTs, 12, 5, flags}, zeros(8)}), 23);
    }
}

TEST_F(Options, TimestampPointerBelowFive) {
    expect_param_problem(opts({{kTs, 8, 4, 0x00}, zeros(4)}), 22);
}

TEST_F(Options, TimestampWithoutFlags) {
    expect_param_problem({kTs, 3, 5, kEol}, 21);
}

TEST_F(Options, TimestampWithRoomForLessThanAnEntry) {
    // Flags 1 want 8 octets; only 4 are left.
    expect_param_problem(opts({{kTs, 12, 9, 0x01}, zeros(8)}), 22);
}

TEST_F(Options, SecondTimestamp) {
    expect_param_problem(opts({{kTs, 8, 5, 0x00}, zeros(4), {kTs, 8, 5, 0x00}, zeros(4)}), 28);
}

TEST_F(Options, RecordRouteAndTimestampTogetherWithAnUnknownOption) {
    const Bytes unknown{0x9e, 0x04, 0xab, 0xcd};
    expect_h1_to_h2(opts({unknown, {kRr, 7, 4}, zeros(4), {kTs, 12, 5, 0x01}, zeros(8), {kNop}}),
                    opts({unknown, {kRr, 7, 8}, addr(lab::kWanAddr), {kTs, 12, 13, 0x01}, addr(lab::kWanAddr),
                          time_octets(kNowMs), {kNop}}));
}

// A bad option in a datagram to the router is refused the same way.
TEST_F(Options, BadTimestampToTheRouter) {
    expect_param_problem(opts({{kTs, 8, 9, 0xf1}, zeros(4)}), 23, lab::kLanAddr);
}

// =============================================================================================
// Errors quote the datagram as it arrived: options are filled in after the last check.

TEST_F(Options, TimeExceededQuotesTheOptionsAsReceived) {
    const Ipv4Fields f = udp_fields(lab::kH1Addr, lab::kH2Addr, opts({{kRr, 7, 4}, zeros(4), {kTs, 8, 5, 0}, zeros(4), {kEol}}), 1);
    const Bytes dg = ipv4_datagram(f, udp_l4(f));
    const Bytes out = one_out(lab::kLanPort, ethernet_frame(lab::kLanMac, lab::kH1Mac, kEtherIpv4, dg), lab::kLanPort);
    EXPECT_TRUE(same_bytes(out, icmp_error_to_h1(11, 0, 0, dg)));
}

// A host redirect goes back with the datagram as it came; the datagram itself leaves recorded.
TEST_F(Options, RedirectQuotesTheOptionsAsReceivedAndTheDatagramLeavesRecorded) {
    const uint32_t neighbour = ipv4(10, 1, 0, 5);
    const Mac neighbour_mac{0x02, 0x00, 0x00, 0x00, 0x01, 0x05};
    h().add_static_neighbor(neighbour, lab::kLanPort, neighbour_mac);
    const Ipv4Fields f = udp_fields(lab::kH1Addr, neighbour, opts({{kRr, 7, 4}, zeros(4), {kEol}}));
    const Bytes l4 = udp_l4(f);
    const Bytes dg = ipv4_datagram(f, l4);
    h().receive(lab::kLanPort, ethernet_frame(lab::kLanMac, lab::kH1Mac, kEtherIpv4, dg));
    const auto out = h().take_emitted();
    ASSERT_EQ(out.size(), 2u) << describe(out);
    EXPECT_TRUE(same_bytes(out[0].bytes, icmp_error_to_h1(5, 1, neighbour, dg)));
    EXPECT_TRUE(same_bytes(out[1].bytes, leaving(neighbour_mac, lab::kLanMac, f,
                                                 opts({{kRr, 7, 8}, addr(lab::kLanAddr), {kEol}}), l4)));
}

// =============================================================================================
// The address recorded is ours on the next hop's subnet (RFC 791: "as known in the environment
// into which this datagram is being forwarded").

class OptionsTwoWanSubnets : public Options {
protected:
    static constexpr uint32_t kWanAddr2 = ipv4(10, 3, 0, 1);
    static constexpr uint32_t kHost3 = ipv4(10, 3, 0, 9);
    static constexpr Mac kHost3Mac{0x02, 0x00, 0x00, 0x00, 0x03, 0x09};
    Config make_config() override {
        Config cfg = lab_config();
        dprouter::InterfaceAddress a;
        a.prefix = {kWanAddr2, 24};
        interface_named(cfg, "wan").addresses.push_back(a);
        return cfg;
    }
};

TEST_F(OptionsTwoWanSubnets, RecordsTheAddressOnTheNextHopsSubnet) {
    h().add_static_neighbor(kHost3, lab::kWanPort, kHost3Mac);
    const Ipv4Fields f = udp_fields(lab::kH1Addr, kHost3, opts({{kRr, 11, 4}, zeros(8), {kEol}}));
    const Bytes l4 = udp_l4(f);
    const Bytes out = one_out(lab::kLanPort, ipv4_frame(lab::kLanMac, lab::kH1Mac, f, l4), lab::kWanPort);
    EXPECT_TRUE(same_bytes(out, leaving(kHost3Mac, lab::kWanMac, f, opts({{kRr, 11, 8}, addr(kWanAddr2), zeros(4), {kEol}}), l4)));
}

// =============================================================================================
// Echo replies (RFC 1122 3.2.2.6): Record Route and Timestamp come back updated with the pinged
// address, "without truncation"; other options stay behind.

Ipv4Fields echo_fields(uint32_t dst, const Bytes& options) {
    Ipv4Fields f;
    f.src = lab::kH1Addr;
    f.dst = dst;
    f.protocol = kProtoIcmp;
    f.id = 0x5151;
    f.frag = kIpDf;
    f.options = options;
    return f;
}

// The reply to `request`: from `from`, TTL 64, DF clear, TOS and ID as the request, `options`.
Bytes echo_reply_with(const Ipv4Fields& request, uint32_t from, const Bytes& options, const Bytes& data) {
    Ipv4Fields r;
    r.tos = request.tos;
    r.id = request.id;
    r.frag = 0;
    r.ttl = 64;
    r.protocol = kProtoIcmp;
    r.src = from;
    r.dst = request.src;
    r.options = options;
    return ipv4_frame(lab::kH1Mac, lab::kLanMac, r, icmp_echo(kIcmpEchoReply, 0x77, 3, data));
}

class OptionsEcho : public Options {
protected:
    // H1 pings `dst` with `options`; the reply must carry `reply_options`.
    void expect_reply(uint32_t dst, const Bytes& options, const Bytes& reply_options) {
        const Ipv4Fields f = echo_fields(dst, options);
        const Bytes data = pattern(56, 0x20);
        const Bytes out = one_out(lab::kLanPort,
                                  ipv4_frame(lab::kLanMac, lab::kH1Mac, f, icmp_echo(kIcmpEchoRequest, 0x77, 3, data)),
                                  lab::kLanPort);
        EXPECT_TRUE(same_bytes(out, echo_reply_with(f, dst, reply_options, data)));
        EXPECT_TRUE(ipv4_header_checksum_ok(out));
        EXPECT_EQ(h().counted(Event::echo_replies), 1u);
    }
};

TEST_F(OptionsEcho, RecordRouteComesBackWithThePingedAddress) {
    // As `ping -R` sends it: nine slots, the first one H1's own. The NOP is not echoed (nor by Linux).
    Bytes request = opts({{kNop, kRr, 39, 8}, addr(lab::kH1Addr), zeros(32)});
    Bytes reply = opts({{kRr, 39, 12}, addr(lab::kH1Addr), addr(lab::kLanAddr), zeros(28), {kEol}});
    expect_reply(lab::kLanAddr, request, reply);
}

TEST_F(OptionsEcho, RecordRouteToTheFarAddressRecordsThatAddress) {
    expect_reply(lab::kWanAddr, opts({{kRr, 7, 4}, zeros(4), {kEol}}), opts({{kRr, 7, 8}, addr(lab::kWanAddr), {kEol}}));
}

TEST_F(OptionsEcho, TimestampComesBackUpdated) {
    expect_reply(lab::kLanAddr, opts({{kTs, 20, 13, 0x01}, addr(lab::kH1Addr), time_octets(5), zeros(8)}),
                 opts({{kTs, 20, 21, 0x01}, addr(lab::kH1Addr), time_octets(5), addr(lab::kLanAddr), time_octets(kNowMs)}));
}

TEST_F(OptionsEcho, FullOptionsComeBackAsTheyWereWithTheOverflowCounted) {
    const Bytes rr_full = opts({{kRr, 7, 8}, addr(lab::kH1Addr)});
    expect_reply(lab::kLanAddr, opts({rr_full, {kTs, 8, 9, 0x00}, time_octets(5), {kEol}}),
                 opts({rr_full, {kTs, 8, 9, 0x10}, time_octets(5), {kEol}}));
}

// Only Record Route and Timestamp are echoed: the header shrinks by the options left behind, and
// what is kept is packed in order and padded with EOL.
TEST_F(OptionsEcho, OtherOptionsAreLeftBehind) {
    const Bytes unknown{0x9e, 0x04, 0xab, 0xcd};
    expect_reply(lab::kLanAddr,
                 opts({unknown, {kNop, kTs, 8, 5, 0x00}, zeros(4), {kNop, kRr, 7, 4}, zeros(4), {kEol, kEol, kEol}}),
                 opts({{kTs, 8, 9, 0x00}, time_octets(kNowMs), {kRr, 7, 8}, addr(lab::kLanAddr), {kEol}}));
}

TEST_F(OptionsEcho, NoOptionKeptMeansAPlainHeader) {
    expect_reply(lab::kLanAddr, {0x9e, 0x04, 0xab, 0xcd, kNop, kNop, kNop, kEol}, {});
}

// =============================================================================================
// Fragmentation: the options are filled in before the datagram is cut, so the first fragment
// carries them updated; neither has the copy flag (RFC 791), so the later fragments carry none.

class OptionsFragmented : public Options {
protected:
    Config make_config() override {
        Config cfg = lab_config();
        interface_named(cfg, "wan").mtu = 1300;
        return cfg;
    }
    // A piece of `orig` as it must leave by the wan: `options`, flags|offset `frag`, payload[from, from+len).
    static Bytes piece(const Ipv4Fields& orig, const Bytes& options, uint16_t frag, const Bytes& payload, size_t from,
                       size_t len) {
        Ipv4Fields f = orig;
        f.ttl = static_cast<uint8_t>(orig.ttl - 1);
        f.options = options;
        f.frag = frag;
        return ipv4_frame(lab::kH2Mac, lab::kWanMac, f,
                          Bytes(payload.begin() + static_cast<std::ptrdiff_t>(from),
                                payload.begin() + static_cast<std::ptrdiff_t>(from + len)));
    }
    // Returns the segment count of each fragment sent.
    std::vector<uint32_t> expect_fragments(const Bytes& options, const Bytes& first_options) {
        EXPECT_EQ(options.size(), 12u);  // a 32-byte header: 1264 bytes of payload in the first piece
        const Ipv4Fields f = udp_fields(lab::kH1Addr, lab::kH2Addr, options);
        const Bytes payload = udp_l4(f, 1368 - 8);
        h().receive(lab::kLanPort, ipv4_frame(lab::kLanMac, lab::kH1Mac, f, payload));
        const auto out = h().take_emitted();
        EXPECT_EQ(out.size(), 2u) << describe(out) << "; drops: " << h().drops_summary();
        if (out.size() != 2) return {};
        EXPECT_TRUE(same_bytes(out[0].bytes, piece(f, first_options, kIpMf, payload, 0, 1264)));
        EXPECT_TRUE(same_bytes(out[1].bytes, piece(f, {}, 1264 / 8, payload, 1264, 104)));
        EXPECT_EQ(h().counted(Event::fragmented), 1u);
        return {out[0].nb_segs, out[1].nb_segs};
    }
};

TEST_F(OptionsFragmented, FirstFragmentCarriesTheRecordedRouteLaterOnesNone) {
    const auto segs = expect_fragments(opts({{kRr, 11, 4}, zeros(8), {kEol}}), opts({{kRr, 11, 8}, addr(lab::kWanAddr), zeros(4), {kEol}}));
    EXPECT_EQ(segs, (std::vector<uint32_t>{2, 2})) << "a header mbuf chained to the payload";
}

// The same when the egress PMD cannot send chains and the fragments are copies.
TEST_F(OptionsFragmented, ByCopyFirstFragmentCarriesTheRecordedRouteLaterOnesNone) {
    HarnessOptions opt;
    opt.tx_multi_seg = {1, 0};
    rebuild(make_config(), opt);
    prepare();
    const auto segs =
        expect_fragments(opts({{kRr, 11, 4}, zeros(8), {kEol}}), opts({{kRr, 11, 8}, addr(lab::kWanAddr), zeros(4), {kEol}}));
    EXPECT_EQ(segs, (std::vector<uint32_t>{1, 1})) << "copies, not chains";
}

TEST_F(OptionsFragmented, FirstFragmentCarriesTheTimestampLaterOnesNone) {
    expect_fragments(opts({{kTs, 12, 5, 0x01}, zeros(8)}),
                     opts({{kTs, 12, 13, 0x01}, addr(lab::kWanAddr), time_octets(kNowMs)}));
}

// =============================================================================================
// The clock behind the timestamps

TEST(WallClock, TscToMsDoesNotOverflow) {
    constexpr uint64_t hz = 3'000'000'000;
    EXPECT_EQ(dprouter::tsc_to_ms(hz * 2 + hz / 2, hz), 2500u);
    // A year of uptime at 3 GHz: tsc * 1000 would wrap 64 bits.
    constexpr uint64_t year_s = 365ull * 86400;
    EXPECT_EQ(dprouter::tsc_to_ms(year_s * hz + hz / 1000 * 7, hz), year_s * 1000 + 7);
}

TEST(WallClock, MsSinceMidnight) {
    constexpr uint64_t hz = 1000;  // one tick a millisecond
    EXPECT_EQ(dprouter::ms_since_midnight_ut(500, hz, 3 * dprouter::kMsPerDay + 100), 600u);
    EXPECT_EQ(dprouter::ms_since_midnight_ut(500, hz, 2 * dprouter::kMsPerDay - 600), dprouter::kMsPerDay - 100);
    EXPECT_EQ(dprouter::ms_since_midnight_ut(500, hz, -600), dprouter::kMsPerDay - 100);  // offset below the TSC
    EXPECT_EQ(dprouter::ms_since_midnight_ut(0, hz, dprouter::kMsPerDay), 0u);
}

TEST(WallClock, UtcOffsetMatchesTheSystemClock) {
    constexpr uint64_t hz = 1000;
    const int64_t off = dprouter::utc_minus_tsc_ms(5000, hz);
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
    EXPECT_NEAR(static_cast<double>(off + 5000), static_cast<double>(now), 1000.0);
}

}  // namespace
}  // namespace dprtest
