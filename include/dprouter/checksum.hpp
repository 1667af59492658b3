// Internet checksum helpers (RFC 1071) and incremental update (RFC 1624).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include <rte_byteorder.h>
#include <rte_ip.h>

namespace dprouter {

// Folds a 32-bit one's-complement accumulator to 16 bits.
constexpr uint16_t csum_fold(uint32_t sum) {
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(sum);
}

// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), all values in network order as stored in the packet.
// Unlike the older RFC 1141 form this never turns a valid checksum into 0xFFFF/-0 wrongly.
// Its one blind spot is the other way round: when every word of the new data is zero the true
// checksum is 0xFFFF (a receiver's sum over the message must come to -0, and zeros sum to +0), but
// eqn. 3 gives 0x0000, as it does for non-zero data that sums to -0. That cannot happen to an IPv4
// header (its first byte is 0x45..0x4F) or a TCP segment (the pseudo-header holds protocol 6);
// it can to an ICMP message: use csum_update16_any_data there.
inline uint16_t csum_update16(uint16_t hc_be, uint16_t old_be, uint16_t new_be) {
    const uint32_t sum = static_cast<uint16_t>(~rte_be_to_cpu_16(hc_be)) +
                         static_cast<uint16_t>(~rte_be_to_cpu_16(old_be)) +
                         rte_be_to_cpu_16(new_be);
    return rte_cpu_to_be_16(static_cast<uint16_t>(~csum_fold(sum)));
}

// csum_update16 for a checksum over data that may be all zeros (ICMP). `msg` is the message as it
// is now (`len` bytes, m' already written), with its checksum field at `cksum_off`. Eqn. 3 settles
// every case but one, so only its rare 0x0000 result (one update in 65536) looks at the data.
inline uint16_t csum_update16_any_data(uint16_t hc_be, uint16_t old_be, uint16_t new_be, const uint8_t* msg, size_t len,
                                       size_t cksum_off) {
    const uint16_t hc = csum_update16(hc_be, old_be, new_be);
    if (hc != 0) [[likely]] return hc;
    for (size_t i = 0; i < len; ++i)
        if (msg[i] != 0 && i != cksum_off && i != cksum_off + 1) return hc;  // sums to -0: 0x0000 is right
    return 0xffff;                                                           // all zeros
}

// Same for a 32-bit field (an address), as two 16-bit words.
inline uint16_t csum_update32(uint16_t hc_be, uint32_t old_be, uint32_t new_be) {
    hc_be = csum_update16(hc_be, static_cast<uint16_t>(old_be), static_cast<uint16_t>(new_be));
    return csum_update16(hc_be, static_cast<uint16_t>(old_be >> 16), static_cast<uint16_t>(new_be >> 16));
}

// Does a 20-byte IPv4 header (no options) carry a valid checksum? Summing five 32-bit words and
// folding gives the same one's-complement result as ten 16-bit words (RFC 1071 1.2.C), in half the
// additions; the all-ones test does not depend on byte order.
inline bool ipv4_header20_checksum_ok(const void* hdr) {
    const auto* b = static_cast<const uint8_t*>(hdr);
    uint32_t w0, w1, w2, w3, w4;  // five loads straight from the packet, no copy through the stack
    std::memcpy(&w0, b, 4);
    std::memcpy(&w1, b + 4, 4);
    std::memcpy(&w2, b + 8, 4);
    std::memcpy(&w3, b + 12, 4);
    std::memcpy(&w4, b + 16, 4);
    // Folding to 16 bits is reduction modulo 0xFFFF (2^16 = 1 and 2^32 = 1 modulo 0xFFFF), with a
    // non-zero multiple shown as 0xFFFF: so the folded sum is all ones exactly when the plain sum
    // is a non-zero multiple of 0xFFFF. One multiply-based remainder instead of four folds.
    const uint64_t sum = uint64_t{w0} + w1 + w2 + w3 + w4;
    return sum != 0 && sum % 0xffff == 0;
}

// TTL decrement on an IPv4 header (TTL >= 1): the TTL/protocol word drops by 0x0100. RFC 1624
// eqn. 3 with m - m' = 0x0100: HC' = ~(~HC + ~0x0100), which is csum_update16 with the constant
// folded in. The sum is taken on the checksum as stored (network order read natively): one's
// complement sums do not depend on byte order (RFC 1071 2.(B)), so the constant is 0x0100
// byte-swapped, ~0x0001 = 0xFFFE. One fold suffices (0xFFFF + 0xFFFE folds to at most 0xFFFE),
// and like eqn. 3 it yields 0x0000, never 0xFFFF, when the sum is zero.
inline void ipv4_decrement_ttl(rte_ipv4_hdr* ip) {
    static_assert(RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN, "the constant below is 0x0100 as stored");
    --ip->time_to_live;
    uint32_t sum = static_cast<uint16_t>(~ip->hdr_checksum) + 0xfffeu;
    sum = (sum & 0xffff) + (sum >> 16);
    ip->hdr_checksum = static_cast<uint16_t>(~sum);
}

// Undoes ipv4_decrement_ttl, so that an error about a packet we had started to forward quotes the
// header as it arrived.
inline void ipv4_increment_ttl(rte_ipv4_hdr* ip) {
    const uint16_t old_word = rte_cpu_to_be_16(static_cast<uint16_t>(ip->time_to_live << 8));
    ++ip->time_to_live;
    const uint16_t new_word = rte_cpu_to_be_16(static_cast<uint16_t>(ip->time_to_live << 8));
    ip->hdr_checksum = csum_update16(ip->hdr_checksum, old_word, new_word);
}

// One's-complement sum of the upper-layer pseudo-header (RFC 8200 8.1), folded, in the byte
// order rte_raw_cksum uses (so it adds directly to a rte_raw_cksum of the message).
inline uint16_t ipv6_pseudo_sum(const uint8_t* src, const uint8_t* dst, uint32_t len, uint8_t next_header) {
    struct {
        uint8_t src[16];
        uint8_t dst[16];
        rte_be32_t len;
        uint8_t zero[3];
        uint8_t nh;
    } __rte_packed p;
    std::memcpy(p.src, src, 16);
    std::memcpy(p.dst, dst, 16);
    p.len = rte_cpu_to_be_32(len);
    p.zero[0] = p.zero[1] = p.zero[2] = 0;
    p.nh = next_header;
    return rte_raw_cksum(&p, sizeof p);
}

// The checksum to store in an upper-layer header of `len` contiguous bytes at `l4` (its checksum
// field zero) between `src` and `dst`. A result of 0x0000 is stored as such: RFC 4443 2.3 and
// RFC 8200 8.1 define the field as the plain one's complement (only UDP maps 0 to 0xFFFF).
inline uint16_t ipv6_l4_checksum(const uint8_t* src, const uint8_t* dst, const void* l4, uint32_t len,
                                 uint8_t next_header) {
    const uint32_t sum = uint32_t{rte_raw_cksum(l4, len)} + ipv6_pseudo_sum(src, dst, len, next_header);
    return static_cast<uint16_t>(~csum_fold(sum));
}

}  // namespace dprouter
