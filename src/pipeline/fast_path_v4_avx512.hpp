// Phase 1 of the IPv4 fast path, sixteen packets at a time with AVX-512 F/BW (selected at run
// time like the AVX2 variant, see v4_classify in fast_path_v4.hpp; the build's baseline stays
// -march=corei7 and only these functions carry the target attribute).
//
// The AVX2 variant's layout, twice as wide: the 16-byte rows of packets j, j + 4, j + 8 and
// j + 12 sit in the four 128-bit lanes of one 512-bit register and are transposed 4 x 4 within
// each lane, so dword d of a column is field f of packet d. The rules, the checksum and the TTL
// word are the AVX2 variant's instruction for instruction; the tests end in 16-bit masks
// (k-registers) instead of movemask, and the keys of the packets that fail are zeroed by a masked
// move. tests/unit/test_fast_path.cpp runs it against the one-packet-at-a-time classify.
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
#include "fast_path_v4_avx2.hpp"

#define DPR_AVX512 gnu::target("avx512f,avx512bw")

// GCC 12's AVX-512 intrinsics start many results from `_mm512_undefined_epi32()`, a self-
// initialised variable that -Wmaybe-uninitialized reports wherever they are inlined (GCC bug
// 105593, fixed in GCC 13); the value is never read.
#if !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace dprouter::fast {

// Packets j, j + 4, j + 8, j + 12: their 16 bytes at base[.] + off in lanes 0..3.
[[DPR_AVX512, gnu::always_inline]] inline __m512i v4_row_quad(const uint8_t* const* base, size_t off, unsigned j) {
    const __m128i r0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(base[j] + off));
    const __m128i r4 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(base[j + 4] + off));
    const __m128i r8 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(base[j + 8] + off));
    const __m128i r12 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(base[j + 12] + off));
    const __m256i lo = _mm256_inserti128_si256(_mm256_castsi128_si256(r0), r4, 1);
    const __m256i hi = _mm256_inserti128_si256(_mm256_castsi128_si256(r8), r12, 1);
    return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

// The four 32-bit columns of the rows at `off` of sixteen packets, dword d = packet d.
struct V4Columns16 {
    __m512i c[4];
};
[[DPR_AVX512, gnu::always_inline]] inline V4Columns16 v4_columns16(const uint8_t* const* base, size_t off) {
    const __m512i r0 = v4_row_quad(base, off, 0), r1 = v4_row_quad(base, off, 1);
    const __m512i r2 = v4_row_quad(base, off, 2), r3 = v4_row_quad(base, off, 3);
    const __m512i a0 = _mm512_unpacklo_epi32(r0, r1), a1 = _mm512_unpacklo_epi32(r2, r3);
    const __m512i a2 = _mm512_unpackhi_epi32(r0, r1), a3 = _mm512_unpackhi_epi32(r2, r3);
    return {{_mm512_unpacklo_epi64(a0, a1), _mm512_unpackhi_epi64(a0, a1), _mm512_unpacklo_epi64(a2, a3),
             _mm512_unpackhi_epi64(a2, a3)}};
}

// Lanes whose low byte may start a forwarded packet's source or destination (1..126, 128..223:
// v4_forwardable_first_octet).
[[DPR_AVX512, gnu::always_inline]] inline __mmask16 v4_forwardable_octet16(__m512i x) {
    const __m512i o = _mm512_and_si512(x, _mm512_set1_epi32(0xff));
    const __mmask16 in_range = _mm512_cmple_epu32_mask(_mm512_sub_epi32(o, _mm512_set1_epi32(1)), _mm512_set1_epi32(222));
    return in_range & _mm512_cmpneq_epi32_mask(o, _mm512_set1_epi32(127));
}

[[DPR_AVX512]] inline void v4_classify_avx512(const Tables& t, rte_mbuf* const* pkts, Burst& b) {
    const uint8_t* mac = t.ifaces[b.rx_port].mac.addr_bytes;
    uint16_t mac01;
    uint32_t mac25;
    std::memcpy(&mac01, mac, sizeof mac01);
    std::memcpy(&mac25, mac + 2, sizeof mac25);
    const __m512i v_mac01 = _mm512_set1_epi32(mac01);
    const __m512i v_mac25 = _mm512_set1_epi32(static_cast<int>(mac25));
    const __m512i lo16 = _mm512_set1_epi32(0xffff);
    // Bytes 2,3 of each dword swapped into a host-order 16-bit value (the total length), and all
    // four bytes swapped (the destination); vpshufb works within each 128-bit lane.
    const __m512i len_shuffle = _mm512_broadcast_i32x4(_mm_setr_epi8(3, 2, -1, -1, 7, 6, -1, -1, 11, 10, -1, -1, 15, 14, -1, -1));
    const __m512i bswap32 = _mm512_broadcast_i32x4(_mm_setr_epi8(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12));
    // Our own addresses' last octets, 256 bits as eight dwords (Tables::is_local_source's filter);
    // the permute indices are < 8, so the upper half of the register is never read.
    static_assert(sizeof t.local_filter == 32);
    const __m512i filter =
        _mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(t.local_filter)));

    uint32_t cand = 0, expired = 0;
    const unsigned n = b.n;
    for (unsigned g = 0; g < n; g += 16) {
        const unsigned k = n - g < 16 ? n - g : 16;
        const uint8_t* mb[16];
        const uint8_t* fp[16];
        alignas(64) uint32_t head01[16];  // bytes 0, 1 of each frame (the rest of the rows start at 2)
        v4_row_pointers<16>(pkts, g, k, b, mb, fp, head01);
        // As in v4_classify_avx2: ol_flags (low half) and pkt_len; frame bytes 2..5, 10..13,
        // 14..17; 18..21, 22..25 (TTL, protocol, checksum), 26..29 (source), 30..33 (destination).
        const V4Columns16 mc = v4_columns16(mb, kMbufRow);
        const V4Columns16 lo = v4_columns16(fp, 2);
        const V4Columns16 hi = v4_columns16(fp, 18);
        const __m512i h01 = _mm512_load_si512(head01);
        // Our unicast MAC (RFC 1812 5.3.4); EtherType IPv4, version 4, no options.
        __mmask16 ok = static_cast<__mmask16>(k == 16 ? 0xffffu : (1u << k) - 1);
        ok = _mm512_mask_cmpeq_epi32_mask(ok, h01, v_mac01);
        ok = _mm512_mask_cmpeq_epi32_mask(ok, lo.c[0], v_mac25);
        ok = _mm512_mask_cmpeq_epi32_mask(ok, _mm512_srli_epi32(lo.c[2], 16), _mm512_set1_epi32(0x0008));
        ok = _mm512_mask_cmpeq_epi32_mask(ok, _mm512_and_si512(lo.c[3], _mm512_set1_epi32(0xff)), _mm512_set1_epi32(0x45));
        // Total length exactly what the frame carries.
        const __m512i len = _mm512_shuffle_epi8(lo.c[3], len_shuffle);
        ok = _mm512_mask_cmpeq_epi32_mask(ok, _mm512_add_epi32(len, _mm512_set1_epi32(RTE_ETHER_HDR_LEN)), mc.c[3]);
        // RFC 1812 5.3.7 martians, multicast, class E, broadcast: first octets.
        ok &= v4_forwardable_octet16(hi.c[2]) & v4_forwardable_octet16(hi.c[3]);
        // RFC 1812 5.2.2 header checksum (RFC 1071), unless the Rx offload vouches for it; BAD fails.
        __m512i sum = _mm512_add_epi32(_mm512_and_si512(lo.c[3], lo16), _mm512_srli_epi32(lo.c[3], 16));
        for (const __m512i c : hi.c)
            sum = _mm512_add_epi32(sum, _mm512_add_epi32(_mm512_and_si512(c, lo16), _mm512_srli_epi32(c, 16)));
        sum = _mm512_add_epi32(_mm512_and_si512(sum, lo16), _mm512_srli_epi32(sum, 16));
        sum = _mm512_add_epi32(_mm512_and_si512(sum, lo16), _mm512_srli_epi32(sum, 16));
        const __mmask16 cksum_ok = _mm512_cmpeq_epi32_mask(sum, lo16);
        const __m512i ck = _mm512_and_si512(mc.c[0], _mm512_set1_epi32(static_cast<int>(RTE_MBUF_F_RX_IP_CKSUM_MASK)));
        const __mmask16 good = _mm512_cmpeq_epi32_mask(ck, _mm512_set1_epi32(static_cast<int>(RTE_MBUF_F_RX_IP_CKSUM_GOOD)));
        const __mmask16 bad = _mm512_cmpeq_epi32_mask(ck, _mm512_set1_epi32(static_cast<int>(RTE_MBUF_F_RX_IP_CKSUM_BAD)));
        ok &= good | (cksum_ok & ~bad);
        // Our own address as the source: the filter on its last octet, the exact test where it hits.
        const __m512i last = _mm512_srli_epi32(hi.c[2], 24);
        const __m512i word = _mm512_permutexvar_epi32(_mm512_srli_epi32(last, 5), filter);
        uint32_t lanes = ok;
        uint32_t hits = _mm512_mask_test_epi32_mask(
            ok, _mm512_srlv_epi32(word, _mm512_and_si512(last, _mm512_set1_epi32(31))), _mm512_set1_epi32(1));
        if (hits != 0) [[unlikely]] {
            alignas(64) uint32_t src[16];
            _mm512_store_si512(src, hi.c[2]);
            for (; hits != 0; hits &= hits - 1) {
                const unsigned j = static_cast<unsigned>(__builtin_ctz(hits));
                if (t.is_local_source(src[j])) lanes &= ~(1u << j);
            }
        }
        // RFC 1812 5.3.1: TTL <= 1 stays a candidate, marked (phase 3 decides).
        const __m512i ttl = _mm512_and_si512(hi.c[1], _mm512_set1_epi32(0xff));
        const uint32_t live = _mm512_cmpgt_epi32_mask(ttl, _mm512_set1_epi32(1));
        cand |= lanes << g;
        expired |= (lanes & ~live) << g;
        // Keys (0 for non-candidates), lengths, and the TTL word as v4_ttl_word_decremented makes it.
        const __m512i key = _mm512_maskz_mov_epi32(static_cast<__mmask16>(lanes), _mm512_shuffle_epi8(hi.c[3], bswap32));
        _mm512_storeu_si512(&b.v4_dst[g], key);
        _mm512_storeu_si512(&b.v4_len[g], len);
        __m512i s = _mm512_add_epi32(_mm512_xor_si512(_mm512_srli_epi32(hi.c[1], 16), lo16), _mm512_set1_epi32(0xfffe));
        s = _mm512_add_epi32(_mm512_and_si512(s, lo16), _mm512_srli_epi32(s, 16));
        const __m512i ttl_word = _mm512_or_si512(_mm512_sub_epi32(_mm512_and_si512(hi.c[1], lo16), _mm512_set1_epi32(1)),
                                                 _mm512_slli_epi32(_mm512_andnot_si512(s, lo16), 16));
        _mm512_storeu_si512(&b.v4_ttl_word[g], ttl_word);
    }
    b.v4_cand = cand;
    b.v4_expired = expired;
    b.v4_count = static_cast<uint16_t>(__builtin_popcount(cand));
}

}  // namespace dprouter::fast

#if !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#undef DPR_AVX512

#endif  // RTE_ARCH_X86
