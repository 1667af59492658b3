// Address, prefix and MAC parsing and formatting (src/net/net.cpp).
#include <gtest/gtest.h>

#include "dprouter/net.hpp"

namespace dprouter {
namespace {

TEST(NetIpv4, ParsesDottedQuad) {
    EXPECT_EQ(parse_ipv4("10.1.0.1"), Ipv4{0x0a010001});
    EXPECT_EQ(parse_ipv4("0.0.0.0"), Ipv4{0});
    EXPECT_EQ(parse_ipv4("255.255.255.255"), Ipv4{0xffffffff});
    EXPECT_EQ(parse_ipv4("192.168.100.254"), Ipv4{0xc0a864fe});
}

TEST(NetIpv4, RejectsAnythingButFourDecimalOctets) {
    for (const char* bad : {"", "10", "10.1", "10.1.0", "10.1.0.1.", ".10.1.0.1", "10.1.0.1.5", "10..0.1",
                            "256.0.0.1", "10.1.0.256", "1000.0.0.1", "+1.0.0.1", "-1.0.0.1", "10.1.0.1 ",
                            " 10.1.0.1", "10.1.0.1/24", "0x0a.1.0.1", "a.b.c.d", "10.1.0.1x", "1e1.0.0.1"}) {
        EXPECT_FALSE(parse_ipv4(bad).has_value()) << "'" << bad << "'";
    }
}

// inet_aton reads a leading zero as octal; refusing it keeps "010" from silently meaning 8.
TEST(NetIpv4, RejectsLeadingZeros) {
    EXPECT_FALSE(parse_ipv4("010.1.0.1").has_value());
    EXPECT_FALSE(parse_ipv4("10.01.0.1").has_value());
    EXPECT_FALSE(parse_ipv4("10.1.0.00").has_value());
    EXPECT_TRUE(parse_ipv4("10.0.0.0").has_value());
}

TEST(NetIpv4, FormatsDottedQuad) {
    EXPECT_EQ(format_ipv4(0x0a010001), "10.1.0.1");
    EXPECT_EQ(format_ipv4(0), "0.0.0.0");
    EXPECT_EQ(format_ipv4(0xffffffff), "255.255.255.255");
    for (const char* s : {"1.2.3.4", "192.168.0.255", "100.64.7.9"}) EXPECT_EQ(format_ipv4(*parse_ipv4(s)), s);
}

TEST(NetPrefix, ParsesAddressAndLength) {
    auto p = parse_prefix("10.1.0.0/24");
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->addr, Ipv4{0x0a010000});
    EXPECT_EQ(p->len, 24);
    EXPECT_EQ(parse_prefix("0.0.0.0/0"), (Ipv4Prefix{0, 0}));
    EXPECT_EQ(parse_prefix("10.1.0.1/32"), (Ipv4Prefix{0x0a010001, 32}));
}

// Host bits are the caller's business: an interface address needs them, a route must not have them.
TEST(NetPrefix, KeepsHostBits) {
    auto p = parse_prefix("10.1.0.1/24");
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->addr, Ipv4{0x0a010001});
    EXPECT_EQ(p->network(), Ipv4{0x0a010000});
    EXPECT_EQ(p->broadcast(), Ipv4{0x0a0100ff});
}

TEST(NetPrefix, RejectsMalformed) {
    for (const char* bad : {"", "10.1.0.0", "10.1.0.0/", "10.1.0.0/33", "10.1.0.0/100", "10.1.0.0/-1",
                            "10.1.0.0/+8", "10.1.0.0/08", "10.1.0.0/24/8", "10.1.0/24", "/24", "10.1.0.0 /24",
                            "10.1.0.0/ 24", "10.1.0.0/24 ", "300.1.0.0/8", "10.1.0.0/x"}) {
        EXPECT_FALSE(parse_prefix(bad).has_value()) << "'" << bad << "'";
    }
}

TEST(NetPrefix, MaskNetworkBroadcastContains) {
    EXPECT_EQ(Ipv4Prefix::mask_of(0), Ipv4{0});
    EXPECT_EQ(Ipv4Prefix::mask_of(1), Ipv4{0x80000000});
    EXPECT_EQ(Ipv4Prefix::mask_of(24), Ipv4{0xffffff00});
    EXPECT_EQ(Ipv4Prefix::mask_of(32), Ipv4{0xffffffff});
    auto p = *parse_prefix("10.1.0.1/24");
    EXPECT_TRUE(p.contains(*parse_ipv4("10.1.0.200")));
    EXPECT_FALSE(p.contains(*parse_ipv4("10.1.1.1")));
    EXPECT_TRUE(parse_prefix("0.0.0.0/0")->contains(*parse_ipv4("203.0.113.9")));
}

TEST(NetPrefix, Formats) {
    EXPECT_EQ(format_prefix(Ipv4Prefix{0x0a010001, 24}), "10.1.0.1/24");
    EXPECT_EQ(format_prefix(Ipv4Prefix{0, 0}), "0.0.0.0/0");
    for (const char* s : {"10.66.0.0/16", "192.0.2.1/32", "128.0.0.0/1"}) EXPECT_EQ(format_prefix(*parse_prefix(s)), s);
}

TEST(NetMac, ParsesEitherCase) {
    auto m = parse_mac("02:00:5E:0a:fF:01");
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->bytes, (std::array<uint8_t, 6>{0x02, 0x00, 0x5e, 0x0a, 0xff, 0x01}));
    EXPECT_TRUE(parse_mac("ff:ff:ff:ff:ff:ff").has_value());
}

TEST(NetMac, RejectsMalformed) {
    for (const char* bad : {"", "02:00:00:00:01", "02:00:00:00:01:01:01", "02-00-00-00-01-01", "0200.0000.0101",
                            "020000000101", "2:0:0:0:1:1", "02:00:00:00:01:0g", "02:00:00:00:01:01 ",
                            "02:00:00:00:01:+1", "02::00:00:00:01:01", "02:00:00:00:01:1"}) {
        EXPECT_FALSE(parse_mac(bad).has_value()) << "'" << bad << "'";
    }
}

TEST(NetMac, FormatsLowercase) {
    EXPECT_EQ(format_mac(*parse_mac("02:00:5E:0A:FF:01")), "02:00:5e:0a:ff:01");
    EXPECT_EQ(format_mac(MacAddr{}), "00:00:00:00:00:00");
}

TEST(NetMac, MulticastAndZero) {
    EXPECT_TRUE(parse_mac("01:00:5e:00:00:01")->is_multicast());
    EXPECT_TRUE(parse_mac("ff:ff:ff:ff:ff:ff")->is_multicast());
    EXPECT_FALSE(parse_mac("02:00:00:00:01:01")->is_multicast());
    EXPECT_TRUE(MacAddr{}.is_zero());
    EXPECT_FALSE(parse_mac("00:00:00:00:00:01")->is_zero());
}

TEST(NetIpv6, ParsesAndFormatsCanonically) {
    EXPECT_EQ(format_ipv6(*parse_ipv6("2001:DB8:0:0:0:0:0:1")), "2001:db8::1");
    EXPECT_EQ(format_ipv6(*parse_ipv6("::")), "::");
    EXPECT_EQ(format_ipv6(*parse_ipv6("fe80::1")), "fe80::1");
    const Ipv6 a = *parse_ipv6("2001:db8:1::2");
    EXPECT_EQ(a.bytes[0], 0x20);
    EXPECT_EQ(a.bytes[1], 0x01);
    EXPECT_EQ(a.bytes[5], 0x01);
    EXPECT_EQ(a.bytes[15], 0x02);
    for (const char* bad : {"", "2001:db8::1::2", "fe80::1%eth0", "[::1]", "2001:db8::g", " ::1", "10.0.0.1",
                            "1:2:3:4:5:6:7:8:9"})
        EXPECT_FALSE(parse_ipv6(bad).has_value()) << "'" << bad << "'";
}

TEST(NetIpv6, PrefixesAndClasses) {
    const Ipv6Prefix p = *parse_prefix6("2001:db8:1::1/64");
    EXPECT_EQ(p.len, 64);
    EXPECT_EQ(format_ipv6(p.network()), "2001:db8:1::");
    EXPECT_TRUE(p.contains(*parse_ipv6("2001:db8:1::ffff")));
    EXPECT_FALSE(p.contains(*parse_ipv6("2001:db8:2::1")));
    EXPECT_EQ(format_ipv6(parse_prefix6("2001:db8:ffff::/33")->network()), "2001:db8:8000::");
    EXPECT_FALSE(parse_prefix6("::/129").has_value());
    EXPECT_FALSE(parse_prefix6("::/01").has_value());
    EXPECT_TRUE(parse_ipv6("fe80::1")->is_link_local());
    EXPECT_TRUE(parse_ipv6("febf::1")->is_link_local());
    EXPECT_FALSE(parse_ipv6("fec0::1")->is_link_local());
    EXPECT_TRUE(parse_ipv6("ff02::1")->is_multicast());
    EXPECT_TRUE(parse_ipv6("::1")->is_loopback());
    EXPECT_TRUE(parse_ipv6("::")->is_unspecified());
    EXPECT_TRUE(parse_ipv6("::ffff:10.0.0.1")->is_v4_mapped());
}

// RFC 4291 appendix A: 02:00:00:00:01:01 -> interface identifier 0000:00ff:fe00:0101.
TEST(NetIpv6, LinkLocalAndSolicitedNode) {
    EXPECT_EQ(format_ipv6(link_local_from_mac(*parse_mac("02:00:00:00:01:01"))), "fe80::ff:fe00:101");
    EXPECT_EQ(format_ipv6(link_local_from_mac(*parse_mac("52:54:00:12:34:56"))), "fe80::5054:ff:fe12:3456");
    EXPECT_EQ(format_ipv6(solicited_node(*parse_ipv6("2001:db8::1:2345:6789"))), "ff02::1:ff45:6789");
}

}  // namespace
}  // namespace dprouter
