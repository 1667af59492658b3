// Phase 1 of the IPv4 fast path, eight packets at a time with AVX2 (selected at run time, see
// v4_classify in fast_path_v4.hpp; the build's baseline stays -march=corei7).
//
// The same rules as v4_plain, in the same words, but column-wise: bytes 2..33 of eight frames (the
// Ethernet header from the destination MAC's third byte, and the whole 20-byte IPv4 header) and 16
// bytes of each mbuf (ol_flags .. pkt_len) are loaded as 16-byte rows, packets j and j + 4 side by
// side in one 256-bit register, and transposed 4 x 4 within each 128-bit half, so that each
// 32-bit column holds one field of the eight packets: every test, the header checksum (RFC 1071
// over five columns) and the TTL rewrite word are a few vector instructions for eight packets.
// The first two bytes of the MAC are read per packet. The bytes a test reads are only ever those
// the scalar classify reads: a frame whose first segment is shorter than the headers is read from
// a zeroed stand-in instead, and fails.
#pragma once

#if defined(RTE_ARCH_X86)

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "burst.hpp"
#include "dprouter/tables.hpp"

namespace dprouter::fast {

// The mbuf fields read as one 16-byte row from ol_flags on: column 0 its low half, column 3 pkt_len.
inline constexpr size_t kMbufRow = offsetof(rte_mbuf, ol_flags);
static_assert(offsetof(rte_mbuf, pkt_len) == kMbufRow + 12);
static_assert(RTE_MBUF_F_RX_IP_CKSUM_MASK < (uint64_t{1} << 32));

// A zeroed frame for the lanes past the end of a burst and for frames too short to read (and a
// zeroed "mbuf" row for the former).
alignas(64) inline constexpr uint8_t kV4Blank[64]{};

// The per-packet part of a step of `W` packets from g (k of them real): each frame's start
// (b.data), the row pointers of its mbuf and frame (the zeroed stand-in past the end of the burst
// and for a frame whose first segment is shorter than the headers) and its first two bytes.
// Unrolled, so that the row loads take the pointers from registers.
template <unsigned W>
[[gnu::always_inline]] inline void v4_row_pointers(rte_mbuf* const* pkts, unsigned g, unsigned k, Burst& b,
                                                   const uint8_t** mb, const uint8_t** fp, uint32_t* head01) {
#pragma GCC unroll 16
    for (unsigned j = 0; j < W; ++j) {
        mb[j] = kV4Blank;
        fp[j] = kV4Blank;
        if (k == W || j < k) {
            const rte_mbuf* m = pkts[g + j];
            uint8_t* d = rte_pktmbuf_mtod(m, uint8_t*);
            b.data[g + j] = d;
            mb[j] = reinterpret_cast<const uint8_t*>(m);
            // Headers not all in the first segment: read the stand-in (the lane fails).
            if (rte_pktmbuf_data_len(m) >= RTE_ETHER_HDR_LEN + sizeof(rte_ipv4_hdr)) fp[j] = d;
        }
        uint16_t first2;
        std::memcpy(&first2, fp[j], sizeof first2);
        head01[j] = first2;
    }
}

// Packet j's 16 bytes at base[j] + off in the low half, packet j + 4's in the high half.
[[gnu::target("avx2"), gnu::always_inline]] inline __m256i v4_row_pair(const uint8_t* const* base, size_t off, unsigned j) {
    const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(base[j] + off));
    const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(base[j + 4] + off));
    return _mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1);
}

// The four 32-bit columns of the 16-byte rows at `off` of the eight packets, lane l = packet l.
struct V4Columns {
    __m256i c[4];
};
[[gnu::target("avx2"), gnu::always_inline]] inline V4Columns v4_columns(const uint8_t* const* base, size_t off) {
    const __m256i r0 = v4_row_pair(base, off, 0), r1 = v4_row_pair(base, off, 1);
    const __m256i r2 = v4_row_pair(base, off, 2), r3 = v4_row_pair(base, off, 3);
    const __m256i a0 = _mm256_unpacklo_epi32(r0, r1), a1 = _mm256_unpacklo_epi32(r2, r3);
    const __m256i a2 = _mm256_unpackhi_epi32(r0, r1), a3 = _mm256_unpackhi_epi32(r2, r3);
    return {{_mm256_unpacklo_epi64(a0, a1), _mm256_unpackhi_epi64(a0, a1), _mm256_unpacklo_epi64(a2, a3),
             _mm256_unpackhi_epi64(a2, a3)}};
}

// Lanes whose octet (low byte) may start a forwarded packet's source or destination: 1..126 and
// 128..223, v4_forwardable_first_octet (proved equal to the stages' martian rules there).
[[gnu::target("avx2"), gnu::always_inline]] inline __m256i v4_forwardable_octet8(__m256i x) {
    const __m256i o = _mm256_and_si256(x, _mm256_set1_epi32(0xff));
    const __m256i less1 = _mm256_sub_epi32(o, _mm256_set1_epi32(1));  // 0 wraps to 0xffffffff
    const __m256i in_range = _mm256_cmpeq_epi32(_mm256_min_epu32(less1, _mm256_set1_epi32(222)), less1);
    return _mm256_andnot_si256(_mm256_cmpeq_epi32(o, _mm256_set1_epi32(127)), in_range);
}

[[gnu::target("avx2")]] inline void v4_classify_avx2(const Tables& t, rte_mbuf* const* pkts, Burst& b) {
    const uint8_t* mac = t.ifaces[b.rx_port].mac.addr_bytes;
    uint16_t mac01;
    uint32_t mac25;
    std::memcpy(&mac01, mac, sizeof mac01);
    std::memcpy(&mac25, mac + 2, sizeof mac25);
    const __m256i v_mac01 = _mm256_set1_epi32(mac01);
    const __m256i v_mac25 = _mm256_set1_epi32(static_cast<int>(mac25));
    const __m256i lo16 = _mm256_set1_epi32(0xffff);
    // Bytes 2,3 of each dword swapped into a host-order 16-bit value (the total length), and all
    // four bytes swapped (the destination).
    const __m256i len_shuffle = _mm256_setr_epi8(3, 2, -1, -1, 7, 6, -1, -1, 11, 10, -1, -1, 15, 14, -1, -1, 3, 2, -1, -1,
                                                 7, 6, -1, -1, 11, 10, -1, -1, 15, 14, -1, -1);
    const __m256i bswap32 = _mm256_setr_epi8(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12, 3, 2, 1, 0, 7, 6, 5,
                                             4, 11, 10, 9, 8, 15, 14, 13, 12);
    // Our own addresses' last octets, 256 bits as eight dwords (Tables::is_local_source's filter).
    static_assert(sizeof t.local_filter == 32);
    const __m256i filter = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(t.local_filter));

    uint32_t cand = 0, expired = 0;
    const unsigned n = b.n;
    for (unsigned g = 0; g < n; g += 8) {
        const unsigned k = n - g < 8 ? n - g : 8;
        const uint8_t* mb[8];
        const uint8_t* fp[8];
        alignas(32) uint32_t head01[8];  // bytes 0, 1 of each frame (the rest of the rows start at 2)
        v4_row_pointers<8>(pkts, g, k, b, mb, fp, head01);
        // ol_flags (low half) and pkt_len; frame bytes 2..5 (destination MAC), 10..13 (EtherType
        // in the high half), 14..17 (version/IHL, TOS, total length); 18..21, 22..25 (TTL,
        // protocol, checksum), 26..29 (source), 30..33 (destination).
        const V4Columns mc = v4_columns(mb, kMbufRow);
        const V4Columns lo = v4_columns(fp, 2);
        const V4Columns hi = v4_columns(fp, 18);
        const __m256i h01 = _mm256_load_si256(reinterpret_cast<const __m256i*>(head01));
        // Our unicast MAC (RFC 1812 5.3.4: no link-layer broadcast); EtherType IPv4, version 4, no
        // options.
        __m256i ok = _mm256_and_si256(_mm256_cmpeq_epi32(h01, v_mac01), _mm256_cmpeq_epi32(lo.c[0], v_mac25));
        ok = _mm256_and_si256(ok, _mm256_cmpeq_epi32(_mm256_srli_epi32(lo.c[2], 16), _mm256_set1_epi32(0x0008)));
        ok = _mm256_and_si256(ok, _mm256_cmpeq_epi32(_mm256_and_si256(lo.c[3], _mm256_set1_epi32(0xff)),
                                                     _mm256_set1_epi32(0x45)));
        // Total length exactly what the frame carries.
        const __m256i len = _mm256_shuffle_epi8(lo.c[3], len_shuffle);
        ok = _mm256_and_si256(ok, _mm256_cmpeq_epi32(_mm256_add_epi32(len, _mm256_set1_epi32(RTE_ETHER_HDR_LEN)), mc.c[3]));
        // RFC 1812 5.3.7 martians, multicast, class E, broadcast: first octets.
        ok = _mm256_and_si256(ok, _mm256_and_si256(v4_forwardable_octet8(hi.c[2]), v4_forwardable_octet8(hi.c[3])));
        // RFC 1812 5.2.2 header checksum over the ten 16-bit words (RFC 1071: the sum folded to 16
        // bits is all ones), unless the Rx offload vouches for it; BAD from the offload fails.
        __m256i sum = _mm256_add_epi32(_mm256_and_si256(lo.c[3], lo16), _mm256_srli_epi32(lo.c[3], 16));
        for (const __m256i c : hi.c) sum = _mm256_add_epi32(sum, _mm256_add_epi32(_mm256_and_si256(c, lo16), _mm256_srli_epi32(c, 16)));
        sum = _mm256_add_epi32(_mm256_and_si256(sum, lo16), _mm256_srli_epi32(sum, 16));
        sum = _mm256_add_epi32(_mm256_and_si256(sum, lo16), _mm256_srli_epi32(sum, 16));
        const __m256i cksum_ok = _mm256_cmpeq_epi32(sum, lo16);
        const __m256i ck = _mm256_and_si256(mc.c[0], _mm256_set1_epi32(static_cast<int>(RTE_MBUF_F_RX_IP_CKSUM_MASK)));
        const __m256i good = _mm256_cmpeq_epi32(ck, _mm256_set1_epi32(static_cast<int>(RTE_MBUF_F_RX_IP_CKSUM_GOOD)));
        const __m256i bad = _mm256_cmpeq_epi32(ck, _mm256_set1_epi32(static_cast<int>(RTE_MBUF_F_RX_IP_CKSUM_BAD)));
        ok = _mm256_and_si256(ok, _mm256_or_si256(good, _mm256_andnot_si256(bad, cksum_ok)));
        // Our own address as the source: the filter on its last octet, the exact test where it hits.
        const __m256i last = _mm256_srli_epi32(hi.c[2], 24);
        const __m256i word = _mm256_permutevar8x32_epi32(filter, _mm256_srli_epi32(last, 5));
        const __m256i hit = _mm256_and_si256(_mm256_srlv_epi32(word, _mm256_and_si256(last, _mm256_set1_epi32(31))),
                                             _mm256_set1_epi32(1));
        uint32_t lanes = static_cast<uint32_t>(_mm256_movemask_ps(_mm256_castsi256_ps(ok))) & ((1u << k) - 1);
        uint32_t hits = static_cast<uint32_t>(
                            _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(hit, _mm256_set1_epi32(1))))) &
                        lanes;
        if (hits != 0) [[unlikely]] {
            alignas(32) uint32_t src[8];
            _mm256_store_si256(reinterpret_cast<__m256i*>(src), hi.c[2]);
            for (; hits != 0; hits &= hits - 1) {
                const unsigned j = static_cast<unsigned>(__builtin_ctz(hits));
                if (t.is_local_source(src[j])) lanes &= ~(1u << j);
            }
        }
        // RFC 1812 5.3.1: TTL <= 1 stays a candidate, marked (phase 3 decides).
        const __m256i ttl = _mm256_and_si256(hi.c[1], _mm256_set1_epi32(0xff));
        const uint32_t live = static_cast<uint32_t>(
            _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(ttl, _mm256_set1_epi32(1)))));
        cand |= lanes << g;
        expired |= (lanes & ~live) << g;
        // Keys (0 for non-candidates), lengths, and the TTL word as v4_ttl_word_decremented makes it.
        const __m256i dst = _mm256_and_si256(_mm256_shuffle_epi8(hi.c[3], bswap32), ok);
        _mm256_store_si256(reinterpret_cast<__m256i*>(&b.v4_dst[g]), dst);
        _mm256_store_si256(reinterpret_cast<__m256i*>(&b.v4_len[g]), len);
        __m256i s = _mm256_add_epi32(_mm256_xor_si256(_mm256_srli_epi32(hi.c[1], 16), lo16), _mm256_set1_epi32(0xfffe));
        s = _mm256_add_epi32(_mm256_and_si256(s, lo16), _mm256_srli_epi32(s, 16));
        const __m256i ttl_word = _mm256_or_si256(_mm256_sub_epi32(_mm256_and_si256(hi.c[1], lo16), _mm256_set1_epi32(1)),
                                                 _mm256_slli_epi32(_mm256_andnot_si256(s, lo16), 16));
        _mm256_store_si256(reinterpret_cast<__m256i*>(&b.v4_ttl_word[g]), ttl_word);
    }
    b.v4_cand = cand;
    b.v4_expired = expired;
    b.v4_count = static_cast<uint16_t>(__builtin_popcount(cand));
}

}  // namespace dprouter::fast

#endif  // RTE_ARCH_X86
