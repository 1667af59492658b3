// Incremental checksum update (include/dprouter/checksum.hpp) against a full RFC 1071 recompute
// done by the test helper's own loop.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include <rte_byteorder.h>
#include <rte_ip.h>

#include "dprouter/checksum.hpp"
#include "packet_builder.hpp"

namespace dprtest {
namespace {

using dprouter::csum_update16;
using dprouter::csum_update32;
using dprouter::ipv4_decrement_ttl;
using dprouter::ipv4_header20_checksum_ok;

// An IPv4 header (with options up to the full 60 bytes) in suitably aligned storage.
struct Header {
    alignas(8) uint8_t b[60]{};
    size_t len = 20;

    rte_ipv4_hdr* ip() { return reinterpret_cast<rte_ipv4_hdr*>(b); }
    uint16_t stored_checksum() const { return static_cast<uint16_t>(b[10] << 8 | b[11]); }
    void set_checksum(uint16_t c) {
        b[10] = static_cast<uint8_t>(c >> 8);
        b[11] = static_cast<uint8_t>(c);
    }
    void set_id(uint16_t id) {
        b[4] = static_cast<uint8_t>(id >> 8);
        b[5] = static_cast<uint8_t>(id);
    }
    // Canonical checksum of the header as it stands (checksum field taken as zero).
    uint16_t recompute() const {
        uint8_t copy[60];
        std::memcpy(copy, b, len);
        copy[10] = copy[11] = 0;
        return internet_checksum(copy, len);
    }
    bool verifies() const { return ones_sum(b, len) == 0xffff; }
    void fix_checksum() { set_checksum(recompute()); }
};

Header random_header(std::mt19937& rng) {
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_int_distribution<int> words(0, 10);
    Header h;
    h.len = 20 + 4 * static_cast<size_t>(words(rng));
    for (size_t i = 0; i < h.len; ++i) h.b[i] = static_cast<uint8_t>(byte(rng));
    h.b[0] = static_cast<uint8_t>(0x40 | h.len / 4);
    h.fix_checksum();
    return h;
}

// One's-complement difference a - b, folded.
uint16_t ones_sub(uint16_t a, uint16_t b) {
    uint32_t s = uint32_t{a} + static_cast<uint16_t>(~b);
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    return static_cast<uint16_t>(s);
}

// Chooses the ID so that the one's-complement sum of every word but the checksum becomes `target`
// (0xffff gives a canonical checksum of 0x0000).
void steer_sum_via_id(Header& h, uint16_t target) {
    h.set_id(0);
    h.set_checksum(0);
    const uint16_t rest = ones_sum(h.b, h.len);
    h.set_id(ones_sub(target, rest));
    h.fix_checksum();
}

// RFC 1624 section 4: m = 0x5555 becomes 0x3285, the other header words sum to 0xCD7A, so HC is
// 0xDD2F and the new checksum is 0x0000 (RFC 1141's formula wrongly gives 0xFFFF).
TEST(Checksum, Rfc1624WorkedExample) {
    const uint16_t hc = rte_cpu_to_be_16(0xDD2F);
    EXPECT_EQ(rte_be_to_cpu_16(csum_update16(hc, rte_cpu_to_be_16(0x5555), rte_cpu_to_be_16(0x3285))), 0x0000);
    // The premise, checked with the independent implementation: a buffer of {0xCD7A, m}.
    const uint8_t before[] = {0xCD, 0x7A, 0x55, 0x55};
    const uint8_t after[] = {0xCD, 0x7A, 0x32, 0x85};
    EXPECT_EQ(internet_checksum(before, sizeof before), 0xDD2F);
    EXPECT_EQ(internet_checksum(after, sizeof after), 0x0000);
}

TEST(Checksum, Update16MatchesFullRecompute) {
    std::mt19937 rng(1624);
    std::uniform_int_distribution<int> word16(0, 0xffff);
    for (int iter = 0; iter < 20000; ++iter) {
        Header h = random_header(rng);
        // Any 16-bit word except the checksum itself.
        size_t word = std::uniform_int_distribution<size_t>(0, h.len / 2 - 2)(rng);
        if (word >= 5) ++word;
        uint16_t old_be, new_be;
        std::memcpy(&old_be, h.b + 2 * word, 2);
        const uint16_t v = static_cast<uint16_t>(iter % 7 == 0 ? rte_be_to_cpu_16(old_be) : word16(rng));
        new_be = rte_cpu_to_be_16(v);
        std::memcpy(h.b + 2 * word, &new_be, 2);
        uint16_t hc_be;
        std::memcpy(&hc_be, h.b + 10, 2);
        const uint16_t updated = rte_be_to_cpu_16(csum_update16(hc_be, old_be, new_be));
        ASSERT_EQ(updated, h.recompute()) << "iteration " << iter << " word " << word;
        h.set_checksum(updated);
        ASSERT_TRUE(h.verifies());
    }
}

TEST(Checksum, Update32MatchesFullRecomputeForAddresses) {
    std::mt19937 rng(791);
    std::uniform_int_distribution<uint32_t> word32;
    for (int iter = 0; iter < 20000; ++iter) {
        Header h = random_header(rng);
        const size_t off = iter % 2 ? 12 : 16;  // source or destination
        uint32_t old_be, new_be;
        std::memcpy(&old_be, h.b + off, 4);
        new_be = rte_cpu_to_be_32(word32(rng));
        std::memcpy(h.b + off, &new_be, 4);
        uint16_t hc_be;
        std::memcpy(&hc_be, h.b + 10, 2);
        const uint16_t updated = rte_be_to_cpu_16(csum_update32(hc_be, old_be, new_be));
        ASSERT_EQ(updated, h.recompute()) << "iteration " << iter;
    }
}

// Only the TTL byte and the checksum may change, and the checksum must be exactly the recomputed one.
void check_decrement(Header h, const char* what) {
    const Header before = h;
    ipv4_decrement_ttl(h.ip());
    ASSERT_EQ(h.b[8], static_cast<uint8_t>(before.b[8] - 1)) << what;
    for (size_t i = 0; i < h.len; ++i) {
        if (i != 8 && i != 10 && i != 11) {
            ASSERT_EQ(h.b[i], before.b[i]) << what << ": byte " << i << " changed";
        }
    }
    ASSERT_EQ(h.stored_checksum(), h.recompute())
        << what << ": TTL " << int{before.b[8]} << " checksum before 0x" << std::hex << before.stored_checksum();
    ASSERT_TRUE(h.verifies()) << what;
}

TEST(Checksum, DecrementTtlEveryTtlOnRandomHeaders) {
    std::mt19937 rng(1812);
    for (int iter = 0; iter < 300; ++iter) {
        Header h = random_header(rng);
        for (int ttl = 2; ttl <= 255; ++ttl) {
            h.b[8] = static_cast<uint8_t>(ttl);
            h.fix_checksum();
            check_decrement(h, "random header");
            if (HasFatalFailure()) return;
        }
    }
}

// Every possible checksum value before the decrement (the ID walks all 65536 values), for a few TTLs.
TEST(Checksum, DecrementTtlEveryIdValue) {
    std::mt19937 rng(4);
    Header h = random_header(rng);
    h.len = 20;
    h.b[0] = 0x45;
    for (int ttl : {2, 3, 64, 128, 255}) {
        h.b[8] = static_cast<uint8_t>(ttl);
        for (uint32_t id = 0; id <= 0xffff; ++id) {
            h.set_id(static_cast<uint16_t>(id));
            h.fix_checksum();
            check_decrement(h, "ID sweep");
            if (HasFatalFailure()) return;
        }
    }
}

// The checksum becomes 0x0000 after the decrement: must be 0x0000, never 0xFFFF.
TEST(Checksum, DecrementTtlToChecksumZero) {
    std::mt19937 rng(1141);
    for (int iter = 0; iter < 20; ++iter) {
        Header h = random_header(rng);
        for (int ttl = 2; ttl <= 255; ++ttl) {
            h.b[8] = static_cast<uint8_t>(ttl - 1);
            steer_sum_via_id(h, 0xffff);  // with TTL-1 the other words sum to -0: checksum 0x0000
            h.b[8] = static_cast<uint8_t>(ttl);
            h.fix_checksum();
            Header after = h;
            ipv4_decrement_ttl(after.ip());
            ASSERT_EQ(after.stored_checksum(), 0x0000) << "TTL " << ttl;
            check_decrement(h, "checksum 0x0000 after");
            if (HasFatalFailure()) return;
        }
    }
}

// The checksum is 0x0000 before the decrement.
TEST(Checksum, DecrementTtlFromChecksumZero) {
    std::mt19937 rng(1071);
    for (int iter = 0; iter < 20; ++iter) {
        Header h = random_header(rng);
        for (int ttl = 2; ttl <= 255; ++ttl) {
            h.b[8] = static_cast<uint8_t>(ttl);
            steer_sum_via_id(h, 0xffff);
            ASSERT_EQ(h.stored_checksum(), 0x0000);
            check_decrement(h, "checksum 0x0000 before");
            if (HasFatalFailure()) return;
        }
    }
}

// A sender may write 0xFFFF (the other zero) where the canonical checksum is 0x0000: the header
// still verifies, and the decrement must produce the canonical new value.
TEST(Checksum, DecrementTtlFromChecksumFFFF) {
    std::mt19937 rng(2);
    for (int iter = 0; iter < 20; ++iter) {
        Header h = random_header(rng);
        for (int ttl = 2; ttl <= 255; ++ttl) {
            h.b[8] = static_cast<uint8_t>(ttl);
            steer_sum_via_id(h, 0xffff);
            h.set_checksum(0xffff);
            ASSERT_TRUE(h.verifies());
            check_decrement(h, "checksum 0xFFFF before");
            if (HasFatalFailure()) return;
        }
    }
}

// The checksum field would be 0xFFFF after the decrement only through the RFC 1141 mistake.
TEST(Checksum, DecrementTtlNeverProducesFFFF) {
    std::mt19937 rng(3);
    for (int iter = 0; iter < 2000; ++iter) {
        Header h = random_header(rng);
        const int ttl = 2 + iter % 254;
        h.b[8] = static_cast<uint8_t>(ttl);
        // Aim the post-decrement sum at every neighbourhood of -0 / +0.
        steer_sum_via_id(h, static_cast<uint16_t>(0xffff - (iter % 3) * 0x0100));
        ipv4_decrement_ttl(h.ip());
        ASSERT_NE(h.stored_checksum(), 0xffff) << "TTL " << ttl;
        ASSERT_TRUE(h.verifies());
    }
}

// An echo request of identifier 0, sequence 0 and no data becomes a reply of all zeros, whose only
// valid checksum is 0xFFFF (a receiver sums the message to -0; zeros and a 0x0000 checksum sum to
// +0, which Linux's icmp_rcv and tshark reject). Eqn. 3 alone gives 0x0000 here.
TEST(Checksum, UpdateToAllZeroDataGivesFFFF) {
    uint8_t msg[8] = {0x08, 0, 0, 0, 0, 0, 0, 0};  // echo request, checksum at 2..3
    const uint16_t hc = internet_checksum(msg, sizeof msg);
    ASSERT_EQ(hc, 0xf7ff);
    msg[0] = 0x00;  // echo reply
    const uint16_t old_be = rte_cpu_to_be_16(0x0800), new_be = rte_cpu_to_be_16(0x0000);
    EXPECT_EQ(rte_be_to_cpu_16(csum_update16(rte_cpu_to_be_16(hc), old_be, new_be)), 0x0000) << "eqn. 3's blind spot";
    const uint16_t fixed = dprouter::csum_update16_any_data(rte_cpu_to_be_16(hc), old_be, new_be, msg, sizeof msg, 2);
    EXPECT_EQ(rte_be_to_cpu_16(fixed), 0xffff);
    EXPECT_EQ(internet_checksum(msg, sizeof msg), 0xffff) << "the full RFC 1071 computation agrees";
    std::memcpy(msg + 2, &fixed, 2);
    EXPECT_EQ(ones_sum(msg, sizeof msg), 0xffff) << "and the receiver's check passes";
}

// Data that is not all zeros but sums to -0 keeps eqn. 3's 0x0000, the only checksum that verifies.
TEST(Checksum, UpdateToNonZeroDataSummingToMinusZeroKeeps0000) {
    uint8_t msg[8] = {0x08, 0, 0, 0, 0xff, 0xff, 0, 0};  // identifier 0xFFFF
    const uint16_t hc = internet_checksum(msg, sizeof msg);
    msg[0] = 0x00;
    const uint16_t old_be = rte_cpu_to_be_16(0x0800), new_be = rte_cpu_to_be_16(0x0000);
    const uint16_t fixed = dprouter::csum_update16_any_data(rte_cpu_to_be_16(hc), old_be, new_be, msg, sizeof msg, 2);
    EXPECT_EQ(rte_be_to_cpu_16(fixed), 0x0000);
    std::memcpy(msg + 2, &fixed, 2);
    EXPECT_EQ(ones_sum(msg, sizeof msg), 0xffff);
}

// Everywhere else csum_update16_any_data is csum_update16.
TEST(Checksum, UpdateAnyDataMatchesFullRecompute) {
    std::mt19937 rng(792);
    std::uniform_int_distribution<int> byte(0, 255);
    for (int iter = 0; iter < 20000; ++iter) {
        uint8_t msg[12];
        for (uint8_t& b : msg) b = static_cast<uint8_t>(iter % 5 == 0 ? 0 : byte(rng));
        msg[0] = 0x08;
        msg[2] = msg[3] = 0;
        const uint16_t hc = internet_checksum(msg, sizeof msg);
        msg[0] = 0x00;
        const uint16_t got = rte_be_to_cpu_16(dprouter::csum_update16_any_data(
            rte_cpu_to_be_16(hc), rte_cpu_to_be_16(0x0800), rte_cpu_to_be_16(0), msg, sizeof msg, 2));
        ASSERT_EQ(got, internet_checksum(msg, sizeof msg)) << "iteration " << iter;
    }
}

TEST(Checksum, FoldCarriesTwice) {
    EXPECT_EQ(dprouter::csum_fold(0x0001ffff), 0x0001);
    EXPECT_EQ(dprouter::csum_fold(0xffffffff), 0xffff);
    EXPECT_EQ(dprouter::csum_fold(0), 0);
    EXPECT_EQ(dprouter::csum_fold(0x1234), 0x1234);
}

// The fast 20-byte verifier agrees with a 16-bit-word sum on valid headers, on every single-bit
// corruption of them, and on headers steered to a stored checksum of 0x0000 and 0xFFFF, at odd
// addresses too (IP headers sit at offset 14 in a frame).
TEST(Checksum, Header20VerifierMatchesWordSum) {
    std::mt19937 rng(1071);
    std::uniform_int_distribution<int> byte(0, 255);
    for (int round = 0; round < 2000; ++round) {
        Header h;
        for (size_t i = 0; i < 20; ++i) h.b[i] = static_cast<uint8_t>(byte(rng));
        h.b[0] = 0x45;
        if (round % 3 == 1) steer_sum_via_id(h, 0xffff);  // stored checksum 0x0000
        else h.fix_checksum();
        alignas(8) uint8_t shifted[24];
        std::memcpy(shifted + 2, h.b, 20);
        ASSERT_TRUE(ipv4_header20_checksum_ok(shifted + 2)) << "round " << round;
        const int bit = round % 160;
        shifted[2 + bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
        std::memcpy(h.b, shifted + 2, 20);
        ASSERT_EQ(ipv4_header20_checksum_ok(shifted + 2), h.verifies()) << "round " << round << " bit " << bit;
    }
}

}  // namespace
}  // namespace dprtest
