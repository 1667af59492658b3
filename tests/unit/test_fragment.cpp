// Fragmentation of transit datagrams (RFC 791, RFC 1812 4.2.2.7 and 5.2.6) and the DF-set paths of
// the egress MTU check (RFC 1191 frag needed, and the lab knobs pmtud_blackhole and advertised_mtu),
// through the real pipeline. Expected fragments are built independently with packet_builder.
//
// DPDK 22.11's rte_ipv4_fragment_packet (which the router uses) puts every option in the first
// fragment and only the options with the copy flag in the later ones, followed by EOL padding to a
// 4-byte boundary, with IHL set to match. (Linux keeps the header length and overwrites the
// non-copied options with NOPs instead; both satisfy RFC 791.) The exact-bytes tests below encode
// DPDK's layout; the property checks assert only what the RFCs require.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "dprouter/config.hpp"
#include "dprouter/counters.hpp"
#include "dprouter/icmp.hpp"
#include "dprouter/pipeline.hpp"
#include "packet_builder.hpp"

namespace dprtest {
namespace {

using dprouter::Config;
using dprouter::Drop;
using dprouter::Event;
using dprouter::IcmpKind;

constexpr uint16_t kErrId = 0x5e01;

dprouter::NeighborConfig neighbor(uint32_t addr, const Mac& mac, const char* ifname) {
    dprouter::NeighborConfig n;
    n.address = addr;
    n.mac = to_mac_addr(mac);
    n.interface = ifname;
    return n;
}

// The lab with static neighbours for H1, H2 and the gateway, and the wan MTU given.
Config frag_config(unsigned wan_mtu) {
    Config cfg = lab_config();
    cfg.neighbors.push_back(neighbor(lab::kH1Addr, lab::kH1Mac, "lan"));
    cfg.neighbors.push_back(neighbor(lab::kH2Addr, lab::kH2Mac, "wan"));
    cfg.neighbors.push_back(neighbor(lab::kGatewayAddr, lab::kGatewayMac, "wan"));
    interface_named(cfg, "wan").mtu = wan_mtu;
    return cfg;
}

Ipv4Fields h1_to_h2(uint8_t ttl = 64) {
    Ipv4Fields f;
    f.src = lab::kH1Addr;
    f.dst = lab::kH2Addr;
    f.ttl = ttl;
    f.protocol = kProtoUdp;
    f.id = 0xbeef;
    f.tos = 0x28;
    return f;
}

// An IP payload of `n` bytes: a UDP header (whose checksum is of no concern to a router) and a pattern.
Bytes ip_payload(const Ipv4Fields& f, size_t n) { return udp_segment(f.src, f.dst, 5000, 6000, pattern(n - 8, 0x11)); }

Bytes from_h1(const Bytes& datagram) {
    return ethernet_frame(lab::kLanMac, lab::kH1Mac, kEtherIpv4, datagram, kEthMinFrame);
}

// A fragment as it must leave by the wan towards `eth_dst`: the original's fields with TTL one less,
// `options` in the header, `frag` as flags|offset, and payload[from, from+len).
Bytes fragment(const Ipv4Fields& orig, const Bytes& options, uint16_t frag, const Bytes& payload, size_t from, size_t len,
               const Mac& eth_dst = lab::kH2Mac) {
    Ipv4Fields f = orig;
    f.ttl = static_cast<uint8_t>(orig.ttl - 1);
    f.options = options;
    f.frag = frag;
    f.ihl = -1;
    f.total_length = -1;
    f.checksum = -1;
    const Bytes piece(payload.begin() + static_cast<std::ptrdiff_t>(from),
                      payload.begin() + static_cast<std::ptrdiff_t>(from + len));
    return ipv4_frame(eth_dst, lab::kWanMac, f, piece);
}

std::string describe(const std::vector<Emitted>& out) {
    std::ostringstream s;
    s << out.size() << " frame(s):";
    for (const Emitted& e : out) s << " [port " << e.port << ", " << e.bytes.size() << " bytes]";
    return s.str();
}

// RFC 791 / RFC 1812 properties of the pieces of `datagram` (IP header first): each fits `mtu`, has
// a consistent IHL, total length and checksum, TTL decremented once, the original's identity
// fields, contiguous offsets from the original's base, MF on all but the last (and on the last when
// the original had MF), only copied options after the first, and the payload reassembles.
void check_fragment_properties(const std::vector<Emitted>& out, const Bytes& datagram, size_t mtu) {
    ASSERT_FALSE(out.empty());
    const size_t orig_ihl = (datagram[0] & 0x0f) * 4u;
    const uint16_t orig_frag = get16(datagram, 6);
    const bool orig_mf = (orig_frag & kIpMf) != 0;
    size_t expect_off = (orig_frag & 0x1fff) * 8u;
    Bytes payload;
    for (size_t i = 0; i < out.size(); ++i) {
        SCOPED_TRACE(testing::Message() << "fragment " << i);
        const Bytes& b = out[i].bytes;
        EXPECT_EQ(out[i].port, lab::kWanPort);
        ASSERT_GE(b.size(), kEthHdrLen + 20);
        const Bytes ip(b.begin() + kEthHdrLen, b.end());
        const size_t ihl = (ip[0] & 0x0f) * 4u;
        EXPECT_EQ(ip[0] >> 4, 4);
        ASSERT_GE(ihl, 20u);
        ASSERT_EQ(get16(ip, 2), ip.size()) << "total length = the bytes sent";
        EXPECT_LE(ip.size(), mtu);
        EXPECT_TRUE(ipv4_header_checksum_ok(b));
        EXPECT_EQ(ip[1], datagram[1]) << "TOS";
        EXPECT_EQ(get16(ip, 4), get16(datagram, 4)) << "ID";
        EXPECT_EQ(ip[8], datagram[8] - 1) << "TTL decremented once";
        EXPECT_EQ(ip[9], datagram[9]);
        EXPECT_EQ(get32(ip, 12), get32(datagram, 12));
        EXPECT_EQ(get32(ip, 16), get32(datagram, 16));
        const uint16_t frag = get16(ip, 6);
        EXPECT_EQ(frag & kIpDf, 0);
        EXPECT_EQ((frag & 0x1fff) * 8u, expect_off) << "contiguous offsets";
        const bool last = i + 1 == out.size();
        EXPECT_EQ((frag & kIpMf) != 0, last ? orig_mf : true) << "MF";
        if (!last) {
            EXPECT_EQ((ip.size() - ihl) % 8, 0u) << "payload a multiple of 8 bytes";
        }
        if (i == 0 && (orig_frag & 0x1fff) == 0) {
            EXPECT_EQ(ihl, orig_ihl) << "the first fragment keeps every option";
            EXPECT_TRUE(std::equal(ip.begin() + 20, ip.begin() + static_cast<std::ptrdiff_t>(ihl), datagram.begin() + 20));
        } else {
            // Only options with the copy flag (plus NOP/EOL padding).
            for (size_t o = 20; o < ihl;) {
                const uint8_t type = ip[o];
                if (type == 0 || type == 1) {
                    ++o;
                    continue;
                }
                EXPECT_NE(type & 0x80, 0) << "non-copied option type " << int{type} << " at " << o;
                ASSERT_GE(ip[o + 1], 2);
                o += ip[o + 1];
            }
        }
        payload.insert(payload.end(), ip.begin() + static_cast<std::ptrdiff_t>(ihl), ip.end());
        expect_off += ip.size() - ihl;
    }
    EXPECT_TRUE(same_bytes(payload, Bytes(datagram.begin() + static_cast<std::ptrdiff_t>(orig_ihl), datagram.end())))
        << "reassembled payload";
}

class FragmentTest : public RouterTest {
protected:
    void SetUp() override {
        RouterTest::SetUp();
        use_mtu(1300);
    }
    void use(const Config& cfg) {
        rebuild(cfg);
        h().ctx().next_ip_id = kErrId;
    }
    void use_mtu(unsigned mtu) { use(frag_config(mtu)); }
    uint64_t total_icmp_sent() { return h().counters().icmp_sent_total(); }
    uint64_t total_icmp_suppressed() { return h().counters().icmp_suppressed_total(); }
    std::vector<Emitted> send(const Bytes& datagram) {
        h().receive(lab::kLanPort, from_h1(datagram));
        return h().take_emitted();
    }
    // The same, with the frame in a chain of `seg`-byte segments.
    std::vector<Emitted> send_chained(const Bytes& datagram, size_t seg) {
        rte_mbuf* m = make_mbuf(h().pool(), from_h1(datagram), seg);
        EXPECT_NE(m, nullptr);
        if (m == nullptr) return {};
        EXPECT_GT(m->nb_segs, 1);
        h().receive_mbufs(lab::kLanPort, &m, 1);
        return h().take_emitted();
    }
    // Compares `out` with `expected`, frame by frame.
    static void expect_frames(const std::vector<Emitted>& out, const std::vector<Bytes>& expected) {
        ASSERT_EQ(out.size(), expected.size()) << describe(out);
        for (size_t i = 0; i < out.size(); ++i) {
            EXPECT_EQ(out[i].port, lab::kWanPort) << i;
            EXPECT_TRUE(same_bytes(out[i].bytes, expected[i])) << "fragment " << i;
        }
    }
};

// =============================================================================================
// DF clear: split

TEST_F(FragmentTest, Mtu1300Splits1400ByteDatagramInTwo) {
    const Ipv4Fields f = h1_to_h2();
    const Bytes pl = ip_payload(f, 1380);
    const Bytes dg = ipv4_datagram(f, pl);
    ASSERT_EQ(dg.size(), 1400u);
    const auto out = send(dg);
    // 1300 - 20 = 1280 bytes of payload (a multiple of 8) in the first, 100 in the second at 1280/8 = 160.
    expect_frames(out, {fragment(f, {}, kIpMf | 0, pl, 0, 1280), fragment(f, {}, 160, pl, 1280, 100)});
    check_fragment_properties(out, dg, 1300);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].bytes.size(), kEthHdrLen + 1300);
    EXPECT_EQ(out[1].bytes.size(), kEthHdrLen + 120);
    EXPECT_EQ(h().counted(Event::fragmented), 1u);
    EXPECT_EQ(h().counted(Event::fragments_created), 2u);
    EXPECT_EQ(h().counted(Event::forwarded), 1u);
    EXPECT_EQ(total_icmp_sent(), 0u) << "no ICMP when fragmenting";
    EXPECT_EQ(h().total_dropped(), 0u) << h().drops_summary();
}

TEST_F(FragmentTest, Mtu576SplitsInThree) {
    use_mtu(576);
    const Ipv4Fields f = h1_to_h2(9);
    const Bytes pl = ip_payload(f, 1380);
    const Bytes dg = ipv4_datagram(f, pl);
    const auto out = send(dg);
    // floor8(576 - 20) = 552: 552 + 552 + 276.
    expect_frames(out, {fragment(f, {}, kIpMf | 0, pl, 0, 552), fragment(f, {}, kIpMf | 69, pl, 552, 552),
                        fragment(f, {}, 138, pl, 1104, 276)});
    check_fragment_properties(out, dg, 576);
    EXPECT_EQ(h().counted(Event::fragments_created), 3u);
    EXPECT_EQ(total_icmp_sent(), 0u);
}

TEST_F(FragmentTest, ViaGatewayFragmentsGoToTheGatewaysMac) {
    Ipv4Fields f = h1_to_h2();
    f.dst = ipv4(10, 99, 1, 2);
    const Bytes pl = ip_payload(f, 1380);
    const auto out = send(ipv4_datagram(f, pl));
    expect_frames(out, {fragment(f, {}, kIpMf, pl, 0, 1280, lab::kGatewayMac),
                        fragment(f, {}, 160, pl, 1280, 100, lab::kGatewayMac)});
}

TEST_F(FragmentTest, ExactMtuIsNotFragmented) {
    const Ipv4Fields f = h1_to_h2();
    const Bytes dg = ipv4_datagram(f, ip_payload(f, 1280));
    ASSERT_EQ(dg.size(), 1300u);
    const auto out = send(dg);
    Bytes ip = dg;
    ip[8] = 63;
    put16(ip, 10, 0);
    put16(ip, 10, internet_checksum(ip.data(), 20));
    expect_frames(out, {ethernet_frame(lab::kH2Mac, lab::kWanMac, kEtherIpv4, ip)});
    EXPECT_EQ(h().counted(Event::fragmented), 0u);
    EXPECT_EQ(h().counted(Event::fragments_created), 0u);
}

TEST_F(FragmentTest, OneByteOverTheMtuMakesAnEightByteLastFragment) {
    const Ipv4Fields f = h1_to_h2();
    const Bytes pl = ip_payload(f, 1281);
    const Bytes dg = ipv4_datagram(f, pl);
    const auto out = send(dg);
    expect_frames(out, {fragment(f, {}, kIpMf, pl, 0, 1280), fragment(f, {}, 160, pl, 1280, 1)});
    check_fragment_properties(out, dg, 1300);
}

TEST_F(FragmentTest, PiecesFitEveryMtu) {
    for (unsigned mtu : {68u, 69u, 100u, 576u, 1000u, 1006u, 1299u}) {
        SCOPED_TRACE(testing::Message() << "MTU " << mtu);
        use_mtu(mtu);
        const Ipv4Fields f = h1_to_h2();
        const Bytes dg = ipv4_datagram(f, ip_payload(f, 1437));
        const auto out = send(dg);
        check_fragment_properties(out, dg, mtu);
        const size_t per = (mtu - 20) / 8 * 8;
        EXPECT_EQ(out.size(), (1437 + per - 1) / per);
        EXPECT_EQ(h().counted(Event::fragments_created), out.size());
        EXPECT_EQ(total_icmp_sent(), 0u);
    }
}

TEST_F(FragmentTest, JumboDatagramToMinimumMtu) {
    use_mtu(68);
    const Ipv4Fields f = h1_to_h2();
    const Bytes dg = ipv4_datagram(f, ip_payload(f, 8980));
    rte_mbuf* m = make_mbuf(h().pool(), from_h1(dg), 1024);
    ASSERT_NE(m, nullptr);
    h().receive_mbufs(lab::kLanPort, &m, 1);
    const auto out = h().take_emitted();
    EXPECT_EQ(out.size(), 188u) << "(9000 - 20) / 48, rounded up";
    check_fragment_properties(out, dg, 68);
}

TEST_F(FragmentTest, Ttl1GetsTimeExceededNotFragments) {
    const Ipv4Fields f = h1_to_h2(1);
    const auto out = send(ipv4_datagram(f, ip_payload(f, 1380)));
    ASSERT_EQ(out.size(), 1u) << describe(out);
    EXPECT_EQ(out[0].port, lab::kLanPort);
    EXPECT_EQ(h().counted(Event::fragmented), 0u);
    EXPECT_EQ(h().icmp_sent(IcmpKind::time_exceeded), 1u);
}

// --- options

TEST_F(FragmentTest, CopiedOptionGoesInEveryFragmentOthersOnlyInTheFirst) {
    Ipv4Fields f = h1_to_h2();
    const Bytes router_alert{0x94, 0x04, 0x00, 0x00};                 // copy flag set
    const Bytes record_route{0x07, 0x07, 0x08, 10, 1, 0, 2};          // copy flag clear (full: pointer 8 > 7)
    f.options = concat(concat(router_alert, record_route), Bytes{0x00});  // + EOL: 12 bytes, IHL 8
    const Bytes pl = ip_payload(f, 1368);
    const Bytes dg = ipv4_datagram(f, pl);
    ASSERT_EQ(dg.size(), 1400u);
    const auto out = send(dg);
    // First: 32-byte header + floor8(1300 - 32) = 1264. Later: 24-byte header (router alert only).
    expect_frames(out, {fragment(f, f.options, kIpMf, pl, 0, 1264), fragment(f, router_alert, 158, pl, 1264, 104)});
    check_fragment_properties(out, dg, 1300);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[1].bytes[kEthHdrLen] & 0x0f, 6) << "IHL of the second fragment";
}

TEST_F(FragmentTest, CopiedOptionAfterANonCopiedOne) {
    Ipv4Fields f = h1_to_h2();
    const Bytes not_copied{0x5e, 0x0c, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};  // experimental (RFC 4727), copy flag clear
    const Bytes router_alert{0x94, 0x04, 0x00, 0x00};
    f.options = concat(not_copied, router_alert);  // 16 bytes, IHL 9
    const Bytes pl = ip_payload(f, 1364);
    const Bytes dg = ipv4_datagram(f, pl);
    const auto out = send(dg);
    // floor8(1300 - 36) = 1264.
    expect_frames(out, {fragment(f, f.options, kIpMf, pl, 0, 1264), fragment(f, router_alert, 158, pl, 1264, 100)});
    check_fragment_properties(out, dg, 1300);
}

TEST_F(FragmentTest, OddLengthCopiedOptionIsPaddedToFourBytes) {
    Ipv4Fields f = h1_to_h2();
    const Bytes copied{0x9e, 0x03, 0xaa};  // experimental (RFC 4727), copy flag set, 3 bytes
    const Bytes record_route{0x07, 0x07, 0x08, 10, 1, 0, 2};
    f.options = concat(concat(copied, record_route), Bytes{0x00, 0x00});  // 12 bytes
    const Bytes pl = ip_payload(f, 1368);
    const Bytes dg = ipv4_datagram(f, pl);
    const auto out = send(dg);
    expect_frames(out, {fragment(f, f.options, kIpMf, pl, 0, 1264),
                        fragment(f, Bytes{0x9e, 0x03, 0xaa, 0x00}, 158, pl, 1264, 104)});
    check_fragment_properties(out, dg, 1300);
}

TEST_F(FragmentTest, NoCopiedOptionsLeavesPlainHeadersAfterTheFirst) {
    Ipv4Fields f = h1_to_h2();
    f.options = {0x07, 0x07, 0x08, 10, 1, 0, 2, 0x00};  // record route + EOL
    const Bytes pl = ip_payload(f, 1600 - 28);
    const Bytes dg = ipv4_datagram(f, pl);
    const auto out = send(dg);
    // First: 28 + floor8(1272) = 1272. Then 20-byte headers, still 1272 each (sized for the first header).
    expect_frames(out, {fragment(f, f.options, kIpMf, pl, 0, 1272), fragment(f, {}, 159, pl, 1272, 300)});
    check_fragment_properties(out, dg, 1300);
}

TEST_F(FragmentTest, OptionsWithThreeFragments) {
    use_mtu(576);
    Ipv4Fields f = h1_to_h2();
    const Bytes router_alert{0x94, 0x04, 0x00, 0x00};
    // NOP NOP, record route (full), router alert, EOL padding: 16 bytes, IHL 9.
    f.options = {0x01, 0x01, 0x07, 0x07, 0x08, 1, 2, 3, 4, 0x94, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00};
    const Bytes pl = ip_payload(f, 1200);
    const Bytes dg = ipv4_datagram(f, pl);
    const auto out = send(dg);
    // floor8(576 - 36) = 536 per piece: 536, 536, 128.
    expect_frames(out, {fragment(f, f.options, kIpMf, pl, 0, 536), fragment(f, router_alert, kIpMf | 67, pl, 536, 536),
                        fragment(f, router_alert, 134, pl, 1072, 128)});
    check_fragment_properties(out, dg, 576);
}

// --- re-fragmenting a fragment

TEST_F(FragmentTest, RefragmentingAFragmentWithMfKeepsItsBaseAndMf) {
    Ipv4Fields f = h1_to_h2();
    f.frag = kIpMf | 100;
    const Bytes pl = pattern(1380, 0x33);
    const Bytes dg = ipv4_datagram(f, pl);
    const auto out = send(dg);
    expect_frames(out, {fragment(f, {}, kIpMf | 100, pl, 0, 1280), fragment(f, {}, kIpMf | 260, pl, 1280, 100)});
    check_fragment_properties(out, dg, 1300);
    EXPECT_EQ(total_icmp_sent(), 0u);
}

TEST_F(FragmentTest, RefragmentingTheLastFragmentClearsMfOnlyOnTheLastPiece) {
    Ipv4Fields f = h1_to_h2();
    f.frag = 100;
    const Bytes pl = pattern(1380, 0x33);
    const Bytes dg = ipv4_datagram(f, pl);
    const auto out = send(dg);
    expect_frames(out, {fragment(f, {}, kIpMf | 100, pl, 0, 1280), fragment(f, {}, 260, pl, 1280, 100)});
    check_fragment_properties(out, dg, 1300);
}

TEST_F(FragmentTest, RefragmentingAFirstFragmentKeepsMfOnAll) {
    use_mtu(576);
    Ipv4Fields f = h1_to_h2();
    f.frag = kIpMf;
    const Bytes pl = ip_payload(f, 1000);
    const Bytes dg = ipv4_datagram(f, pl);
    const auto out = send(dg);
    expect_frames(out, {fragment(f, {}, kIpMf, pl, 0, 552), fragment(f, {}, kIpMf | 69, pl, 552, 448)});
}

// --- mbuf shapes and TX modes

TEST_F(FragmentTest, MultiSegmentInputFragmentsCorrectly) {
    const Ipv4Fields f = h1_to_h2();
    const Bytes pl = ip_payload(f, 1380);
    const Bytes dg = ipv4_datagram(f, pl);
    for (size_t seg : {64u, 100u, 333u, 700u}) {
        SCOPED_TRACE(testing::Message() << "segments of " << seg);
        rte_mbuf* m = make_mbuf(h().pool(), from_h1(dg), seg);
        ASSERT_NE(m, nullptr);
        ASSERT_GT(m->nb_segs, 1);
        h().receive_mbufs(lab::kLanPort, &m, 1);
        const auto out = h().take_emitted();
        expect_frames(out, {fragment(f, {}, kIpMf, pl, 0, 1280), fragment(f, {}, 160, pl, 1280, 100)});
        check_fragment_properties(out, dg, 1300);
    }
    EXPECT_EQ(h().counted(Event::fragmented), 4u);
    EXPECT_EQ(h().counted(Event::fragments_created), 8u);
}

TEST_F(FragmentTest, MultiSegmentInputWithOptions) {
    Ipv4Fields f = h1_to_h2();
    const Bytes router_alert{0x94, 0x04, 0x00, 0x00};
    f.options = concat(router_alert, Bytes{0x07, 0x07, 0x08, 10, 1, 0, 2, 0x00});
    const Bytes pl = ip_payload(f, 1368);
    const Bytes dg = ipv4_datagram(f, pl);
    rte_mbuf* m = make_mbuf(h().pool(), from_h1(dg), 128);
    ASSERT_NE(m, nullptr);
    h().receive_mbufs(lab::kLanPort, &m, 1);
    expect_frames(h().take_emitted(),
                  {fragment(f, f.options, kIpMf, pl, 0, 1264), fragment(f, router_alert, 158, pl, 1264, 104)});
}

TEST_F(FragmentTest, FragmentsReferenceTheOriginalWhenThePortSendsChains) {
    const Ipv4Fields f = h1_to_h2();
    const auto out = send(ipv4_datagram(f, ip_payload(f, 1380)));
    ASSERT_EQ(out.size(), 2u);
    for (const Emitted& e : out) EXPECT_GT(e.nb_segs, 1u) << "header mbuf + indirect payload";
}

TEST_F(FragmentTest, ByCopyWhenThePortCannotSendChains) {
    h().tables().ifaces[lab::kWanPort].tx_multi_seg = false;
    const Ipv4Fields f = h1_to_h2();
    const Bytes pl = ip_payload(f, 1380);
    const Bytes dg = ipv4_datagram(f, pl);
    const auto out = send(dg);
    expect_frames(out, {fragment(f, {}, kIpMf, pl, 0, 1280), fragment(f, {}, 160, pl, 1280, 100)});
    for (const Emitted& e : out) EXPECT_EQ(e.nb_segs, 1u);
}

TEST_F(FragmentTest, ByCopyWithOptions) {
    h().tables().ifaces[lab::kWanPort].tx_multi_seg = false;
    Ipv4Fields f = h1_to_h2();
    const Bytes router_alert{0x94, 0x04, 0x00, 0x00};
    f.options = concat(router_alert, Bytes{0x07, 0x07, 0x08, 10, 1, 0, 2, 0x00});
    const Bytes pl = ip_payload(f, 1368);
    expect_frames(send(ipv4_datagram(f, pl)),
                  {fragment(f, f.options, kIpMf, pl, 0, 1264), fragment(f, router_alert, 158, pl, 1264, 104)});
}

// Found by fuzzing: a chained datagram for a port that cannot send chains used to be dropped (after
// being counted forwarded). It is fragmented by reference and each piece copied into one segment.
TEST_F(FragmentTest, ChainedInputByCopyWhenThePortCannotSendChains) {
    h().tables().ifaces[lab::kWanPort].tx_multi_seg = false;
    const Ipv4Fields f = h1_to_h2();
    const Bytes pl = ip_payload(f, 1380);
    const auto out = send_chained(ipv4_datagram(f, pl), 200);
    expect_frames(out, {fragment(f, {}, kIpMf, pl, 0, 1280), fragment(f, {}, 160, pl, 1280, 100)});
    for (const Emitted& e : out) EXPECT_EQ(e.nb_segs, 1u);
    EXPECT_EQ(h().counted(Event::forwarded), 1u);
    EXPECT_EQ(h().total_dropped(), 0u);
}

// More pieces than the 256 the router used to allow: 20000 bytes for a 68-byte MTU make 417.
// RFC 791 says fragment (DF is clear, and every link takes 68 octets); so it does.
TEST_F(FragmentTest, DatagramNeedingMoreThan256FragmentsIsFragmented) {
    use_mtu(68);
    const Ipv4Fields f = h1_to_h2();
    const Bytes dg = ipv4_datagram(f, ip_payload(f, 20000 - 20));
    const auto out = send_chained(dg, 2000);
    EXPECT_EQ(out.size(), 417u) << "(20000 - 20) / 48, rounded up";
    check_fragment_properties(out, dg, 68);
    EXPECT_EQ(h().counted(Event::forwarded), 1u);
    EXPECT_EQ(h().total_dropped(), 0u) << h().drops_summary();
}

// The worst case the router handles: a 65535-byte datagram without options at the minimum MTU.
TEST_F(FragmentTest, LargestDatagramToMinimumMtu) {
    use_mtu(68);
    const Ipv4Fields f = h1_to_h2();
    const Bytes dg = ipv4_datagram(f, ip_payload(f, 65535 - 20));
    const auto out = send_chained(dg, 2000);
    EXPECT_EQ(out.size(), 1365u);
    check_fragment_properties(out, dg, 68);
    EXPECT_EQ(h().counted(Event::forwarded), 1u);
}

// A 60-byte header whose option is copied into every fragment leaves 8 bytes of data per piece at
// MTU 68: 12000 bytes would take 1493 pieces. Refused with its own reason, and not counted
// forwarded (it used to be counted before the attempt).
TEST_F(FragmentTest, TooManyFragmentsIsANamedDropNotForwarded) {
    use_mtu(68);
    Ipv4Fields f = h1_to_h2();
    f.options = concat(Bytes{0x9e, 40}, pattern(38, 0x70));  // copy flag set
    EXPECT_TRUE(send_chained(ipv4_datagram(f, ip_payload(f, 12000 - 60)), 2000).empty());
    EXPECT_EQ(h().dropped(Drop::frag_too_many), 1u) << h().drops_summary();
    EXPECT_EQ(h().total_dropped(), 1u) << h().drops_summary();
    EXPECT_EQ(h().counted(Event::forwarded), 0u);
    EXPECT_EQ(h().counted(Event::fragmented), 0u);
}

// Out of mbufs for the pieces: a drop, not a datagram counted forwarded.
TEST_F(FragmentTest, NoMbufsForFragmentsIsADropNotForwarded) {
    HarnessOptions opt;
    opt.pool_size = 64;
    rebuild(frag_config(68), opt);
    const Ipv4Fields f = h1_to_h2();
    EXPECT_TRUE(send_chained(ipv4_datagram(f, ip_payload(f, 8000)), 2000).empty());
    EXPECT_EQ(h().dropped(Drop::fragmentation_failed), 1u) << h().drops_summary();
    EXPECT_EQ(h().counted(Event::forwarded), 0u);
}

// =============================================================================================
// DF set: frag needed, or the lab knobs

Bytes df_datagram(size_t total, uint8_t ttl = 64) {
    Ipv4Fields f = h1_to_h2(ttl);
    f.frag = kIpDf;
    return ipv4_datagram(f, ip_payload(f, total - 20));
}

// The frag needed H1 must get about `dg`, reporting `mtu`.
Bytes frag_needed(const Bytes& dg, uint16_t mtu) {
    Ipv4Fields f;
    f.src = lab::kLanAddr;
    f.dst = lab::kH1Addr;
    f.ttl = 64;
    f.protocol = kProtoIcmp;
    f.id = kErrId;
    f.tos = static_cast<uint8_t>(0xc0 | (dg[1] & 0x1e));
    const Bytes quote(dg.begin(), dg.begin() + static_cast<std::ptrdiff_t>(std::min<size_t>(dg.size(), 548)));
    return ipv4_frame(lab::kH1Mac, lab::kLanMac, f, icmp_message(3, 4, mtu, quote));
}

using FragmentDf = FragmentTest;

TEST_F(FragmentDf, TooBigWithDfGetsFragNeededWithTheMtu) {
    const Bytes dg = df_datagram(1400);
    const auto out = send(dg);
    ASSERT_EQ(out.size(), 1u) << describe(out);
    EXPECT_EQ(out[0].port, lab::kLanPort);
    EXPECT_TRUE(same_bytes(out[0].bytes, frag_needed(dg, 1300)));
    EXPECT_EQ(h().dropped(Drop::mtu_exceeded), 1u);
    EXPECT_EQ(h().counted(Event::fragmented), 0u);
}

TEST_F(FragmentDf, BlackholeKnobDropsSilently) {
    Config cfg = frag_config(1300);
    interface_named(cfg, "wan").pmtud_blackhole = true;
    use(cfg);
    const auto out = send(df_datagram(1400));
    EXPECT_TRUE(out.empty()) << describe(out);
    EXPECT_EQ(h().dropped(Drop::pmtud_blackhole), 1u);
    EXPECT_EQ(h().dropped(Drop::mtu_exceeded), 0u);
    EXPECT_EQ(total_icmp_sent(), 0u);
    EXPECT_EQ(total_icmp_suppressed(), 0u);
}

TEST_F(FragmentDf, BlackholeKnobLeavesFittingAndDfClearTrafficAlone) {
    Config cfg = frag_config(1300);
    interface_named(cfg, "wan").pmtud_blackhole = true;
    use(cfg);
    EXPECT_EQ(send(df_datagram(1300)).size(), 1u) << "DF and fits";
    const Ipv4Fields f = h1_to_h2();
    EXPECT_EQ(send(ipv4_datagram(f, ip_payload(f, 1380))).size(), 2u) << "DF clear: fragmented";
    EXPECT_EQ(h().dropped(Drop::pmtud_blackhole), 0u);
}

TEST_F(FragmentDf, BlackholeKnobOnTheIngressSideDoesNothing) {
    Config cfg = frag_config(1300);
    interface_named(cfg, "lan").pmtud_blackhole = true;
    use(cfg);
    const Bytes dg = df_datagram(1400);
    const auto out = send(dg);
    ASSERT_EQ(out.size(), 1u) << describe(out);
    EXPECT_TRUE(same_bytes(out[0].bytes, frag_needed(dg, 1300)));
}

class FragmentAdvertisedMtu : public FragmentTest, public testing::WithParamInterface<unsigned> {};

TEST_P(FragmentAdvertisedMtu, ReportedInsteadOfTheRealMtu) {
    Config cfg = frag_config(1300);
    auto& wan = interface_named(cfg, "wan");
    wan.has_advertised_mtu = true;
    wan.advertised_mtu = GetParam();
    use(cfg);
    const Bytes dg = df_datagram(1400);
    const auto out = send(dg);
    ASSERT_EQ(out.size(), 1u) << describe(out);
    EXPECT_TRUE(same_bytes(out[0].bytes, frag_needed(dg, static_cast<uint16_t>(GetParam()))));
    // The real MTU still decides: exactly 1300 with DF passes, DF clear is cut for 1300.
    EXPECT_EQ(send(df_datagram(1300)).size(), 1u);
    const Ipv4Fields f = h1_to_h2();
    const auto frags = send(ipv4_datagram(f, ip_payload(f, 1380)));
    EXPECT_EQ(frags.size(), 2u);
    if (!frags.empty()) {
        EXPECT_EQ(frags[0].bytes.size(), kEthHdrLen + 1300);
    }
}

INSTANTIATE_TEST_SUITE_P(Fragment, FragmentAdvertisedMtu, testing::Values(1000u, 40u, 9000u, 0u));

}  // namespace
}  // namespace dprtest
