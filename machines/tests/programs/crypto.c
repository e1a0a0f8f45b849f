// expect-exit: 0
// build: glibc
// cflags: -march=armv8.2-a+crypto+sha3+sm4
// The cryptographic extensions (AES, SHA1, SHA256, SHA512, SHA3, SM3, SM4 and 64-bit PMULL):
// known answers from the standards (SHA-1, SHA-256 and SHA-512 of "abc" computed with the
// SHA instructions), then every instruction on 64 pseudo-random inputs, each printed as a
// hash of its results so that any differing bit shows.
#include <arm_neon.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint64_t state = 0x9e3779b97f4a7c15ull;
static uint64_t next(void) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}
static uint8x16_t rnd(void) {
    uint64x2_t v = {next(), next()};
    return vreinterpretq_u8_u64(v);
}
#define U32(x) vreinterpretq_u32_u8(x)
#define U64(x) vreinterpretq_u64_u8(x)

static uint64_t hash;
static void mix(uint8x16_t v) {
    uint8_t b[16];
    vst1q_u8(b, v);
    for (int k = 0; k < 16; k++) hash = (hash ^ b[k]) * 0x100000001b3ull;
}
#define CASE(name, expr)                                              \
    do {                                                              \
        hash = 0xcbf29ce484222325ull;                                 \
        for (int it = 0; it < 64; it++) {                             \
            uint8x16_t a = rnd(), b = rnd(), c = rnd();               \
            (void)a; (void)b; (void)c;                                \
            mix(expr);                                                \
        }                                                             \
        printf("%-12s %016llx\n", name, (unsigned long long)hash);    \
    } while (0)

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

/* One padded block of "abc", as big-endian 32-bit words. */
static void abc_block(uint32_t w[16]) {
    memset(w, 0, 64);
    w[0] = 0x61626380;
    w[15] = 24;
}

static void sha256_abc(void) {
    uint32_t w[16];
    abc_block(w);
    uint32x4_t m[4];
    for (int k = 0; k < 4; k++) m[k] = vld1q_u32(w + 4 * k);
    uint32x4_t abcd = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a};
    uint32x4_t efgh = {0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    uint32x4_t a0 = abcd, e0 = efgh;
    for (int r = 0; r < 16; r++) {
        uint32x4_t wk = vaddq_u32(m[r % 4], vld1q_u32(K256 + 4 * r));
        uint32x4_t t = abcd;
        abcd = vsha256hq_u32(abcd, efgh, wk);
        efgh = vsha256h2q_u32(efgh, t, wk);
        if (r < 12) m[r % 4] = vsha256su1q_u32(vsha256su0q_u32(m[r % 4], m[(r + 1) % 4]), m[(r + 2) % 4], m[(r + 3) % 4]);
    }
    abcd = vaddq_u32(abcd, a0);
    efgh = vaddq_u32(efgh, e0);
    uint32_t out[8];
    vst1q_u32(out, abcd);
    vst1q_u32(out + 4, efgh);
    printf("sha256(abc)  ");
    for (int k = 0; k < 8; k++) printf("%08x", out[k]);
    printf("\n");
}

static void sha1_abc(void) {
    uint32_t w[16];
    abc_block(w);
    uint32x4_t m[4];
    for (int k = 0; k < 4; k++) m[k] = vld1q_u32(w + 4 * k);
    uint32x4_t abcd = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
    uint32_t e = 0xc3d2e1f0;
    uint32x4_t a0 = abcd;
    uint32_t e0 = e;
    static const uint32_t K[4] = {0x5a827999, 0x6ed9eba1, 0x8f1bbcdc, 0xca62c1d6};
    for (int r = 0; r < 20; r++) {
        uint32x4_t wk = vaddq_u32(m[r % 4], vdupq_n_u32(K[r / 5]));
        uint32_t e_next = vsha1h_u32(vgetq_lane_u32(abcd, 0));
        if (r < 5) abcd = vsha1cq_u32(abcd, e, wk);
        else if (r < 10 || r >= 15) abcd = vsha1pq_u32(abcd, e, wk);
        else abcd = vsha1mq_u32(abcd, e, wk);
        e = e_next;
        if (r < 16) m[r % 4] = vsha1su1q_u32(vsha1su0q_u32(m[r % 4], m[(r + 1) % 4], m[(r + 2) % 4]), m[(r + 3) % 4]);
    }
    abcd = vaddq_u32(abcd, a0);
    e += e0;
    uint32_t out[4];
    vst1q_u32(out, abcd);
    printf("sha1(abc)    %08x%08x%08x%08x%08x\n", out[0], out[1], out[2], out[3], e);
}

static const uint64_t K512[80] = {
    0x428a2f98d728ae22ull, 0x7137449123ef65cdull, 0xb5c0fbcfec4d3b2full, 0xe9b5dba58189dbbcull,
    0x3956c25bf348b538ull, 0x59f111f1b605d019ull, 0x923f82a4af194f9bull, 0xab1c5ed5da6d8118ull,
    0xd807aa98a3030242ull, 0x12835b0145706fbeull, 0x243185be4ee4b28cull, 0x550c7dc3d5ffb4e2ull,
    0x72be5d74f27b896full, 0x80deb1fe3b1696b1ull, 0x9bdc06a725c71235ull, 0xc19bf174cf692694ull,
    0xe49b69c19ef14ad2ull, 0xefbe4786384f25e3ull, 0x0fc19dc68b8cd5b5ull, 0x240ca1cc77ac9c65ull,
    0x2de92c6f592b0275ull, 0x4a7484aa6ea6e483ull, 0x5cb0a9dcbd41fbd4ull, 0x76f988da831153b5ull,
    0x983e5152ee66dfabull, 0xa831c66d2db43210ull, 0xb00327c898fb213full, 0xbf597fc7beef0ee4ull,
    0xc6e00bf33da88fc2ull, 0xd5a79147930aa725ull, 0x06ca6351e003826full, 0x142929670a0e6e70ull,
    0x27b70a8546d22ffcull, 0x2e1b21385c26c926ull, 0x4d2c6dfc5ac42aedull, 0x53380d139d95b3dfull,
    0x650a73548baf63deull, 0x766a0abb3c77b2a8ull, 0x81c2c92e47edaee6ull, 0x92722c851482353bull,
    0xa2bfe8a14cf10364ull, 0xa81a664bbc423001ull, 0xc24b8b70d0f89791ull, 0xc76c51a30654be30ull,
    0xd192e819d6ef5218ull, 0xd69906245565a910ull, 0xf40e35855771202aull, 0x106aa07032bbd1b8ull,
    0x19a4c116b8d2d0c8ull, 0x1e376c085141ab53ull, 0x2748774cdf8eeb99ull, 0x34b0bcb5e19b48a8ull,
    0x391c0cb3c5c95a63ull, 0x4ed8aa4ae3418acbull, 0x5b9cca4f7763e373ull, 0x682e6ff3d6b2b8a3ull,
    0x748f82ee5defb2fcull, 0x78a5636f43172f60ull, 0x84c87814a1f0ab72ull, 0x8cc702081a6439ecull,
    0x90befffa23631e28ull, 0xa4506cebde82bde9ull, 0xbef9a3f7b2c67915ull, 0xc67178f2e372532bull,
    0xca273eceea26619cull, 0xd186b8c721c0c207ull, 0xeada7dd6cde0eb1eull, 0xf57d4f7fee6ed178ull,
    0x06f067aa72176fbaull, 0x0a637dc5a2c898a6ull, 0x113f9804bef90daeull, 0x1b710b35131c471bull,
    0x28db77f523047d84ull, 0x32caab7b40c72493ull, 0x3c9ebe0a15c9bebcull, 0x431d67c49c100d4cull,
    0x4cc5d4becb3e42b6ull, 0x597f299cfc657e2aull, 0x5fcb6fab3ad6faecull, 0x6c44198c4a475817ull};

/* SHA-512 of "abc" with SHA512H/H2/SU0/SU1, following the Arm ARM's usage of the state as
 * four pairs (ab, cd, ef, gh). */
static void sha512_abc(void) {
    uint64_t w[16] = {0x6162638000000000ull};
    w[15] = 24;
    uint64x2_t s[8];
    for (int k = 0; k < 8; k++) s[k] = vld1q_u64(w + 2 * k);
    uint64x2_t ab = {0x6a09e667f3bcc908ull, 0xbb67ae8584caa73bull};
    uint64x2_t cd = {0x3c6ef372fe94f82bull, 0xa54ff53a5f1d36f1ull};
    uint64x2_t ef = {0x510e527fade682d1ull, 0x9b05688c2b3e6c1full};
    uint64x2_t gh = {0x1f83d9abfb41bd6bull, 0x5be0cd19137e2179ull};
    uint64x2_t h0[4] = {ab, cd, ef, gh};
    for (int r = 0; r < 40; r++) {
        int k = r % 8;
        uint64x2_t wk = vaddq_u64(s[k], vld1q_u64(K512 + 2 * r));
        /* Two rounds: the state pairs rotate as the message schedule does. */
        uint64x2_t sum = vaddq_u64(vextq_u64(wk, wk, 1), gh);
        uint64x2_t t = vsha512hq_u64(sum, vextq_u64(ef, gh, 1), vextq_u64(cd, ef, 1));
        gh = vsha512h2q_u64(t, cd, ab);
        cd = vaddq_u64(cd, t);
        /* rotate: (ab, cd, ef, gh) <- (gh, ab, cd, ef) */
        uint64x2_t old_ab = ab, old_ef = ef;
        ab = gh;
        ef = cd;
        gh = old_ef;
        cd = old_ab;
        if (r < 32) s[k] = vsha512su1q_u64(vsha512su0q_u64(s[k], s[(k + 1) % 8]), s[(k + 7) % 8], vextq_u64(s[(k + 4) % 8], s[(k + 5) % 8], 1));
    }
    uint64x2_t out[4] = {vaddq_u64(ab, h0[0]), vaddq_u64(cd, h0[1]), vaddq_u64(ef, h0[2]), vaddq_u64(gh, h0[3])};
    printf("sha512(abc)  ");
    for (int k = 0; k < 4; k++) printf("%016llx%016llx", (unsigned long long)vgetq_lane_u64(out[k], 0), (unsigned long long)vgetq_lane_u64(out[k], 1));
    printf("\n");
}

int main(void) {
    sha1_abc();
    sha256_abc();
    sha512_abc();
    CASE("aese", vaeseq_u8(a, b));
    CASE("aesd", vaesdq_u8(a, b));
    CASE("aesmc", vaesmcq_u8(a));
    CASE("aesimc", vaesimcq_u8(a));
    CASE("sha1c", vreinterpretq_u8_u32(vsha1cq_u32(U32(a), (uint32_t)next(), U32(b))));
    CASE("sha1p", vreinterpretq_u8_u32(vsha1pq_u32(U32(a), (uint32_t)next(), U32(b))));
    CASE("sha1m", vreinterpretq_u8_u32(vsha1mq_u32(U32(a), (uint32_t)next(), U32(b))));
    CASE("sha1h", vreinterpretq_u8_u32(vdupq_n_u32(vsha1h_u32((uint32_t)next()))));
    CASE("sha1su0", vreinterpretq_u8_u32(vsha1su0q_u32(U32(a), U32(b), U32(c))));
    CASE("sha1su1", vreinterpretq_u8_u32(vsha1su1q_u32(U32(a), U32(b))));
    CASE("sha256h", vreinterpretq_u8_u32(vsha256hq_u32(U32(a), U32(b), U32(c))));
    CASE("sha256h2", vreinterpretq_u8_u32(vsha256h2q_u32(U32(a), U32(b), U32(c))));
    CASE("sha256su0", vreinterpretq_u8_u32(vsha256su0q_u32(U32(a), U32(b))));
    CASE("sha256su1", vreinterpretq_u8_u32(vsha256su1q_u32(U32(a), U32(b), U32(c))));
    CASE("sha512h", vreinterpretq_u8_u64(vsha512hq_u64(U64(a), U64(b), U64(c))));
    CASE("sha512h2", vreinterpretq_u8_u64(vsha512h2q_u64(U64(a), U64(b), U64(c))));
    CASE("sha512su0", vreinterpretq_u8_u64(vsha512su0q_u64(U64(a), U64(b))));
    CASE("sha512su1", vreinterpretq_u8_u64(vsha512su1q_u64(U64(a), U64(b), U64(c))));
    CASE("eor3", veor3q_u8(a, b, c));
    CASE("bcax", vbcaxq_u8(a, b, c));
    CASE("rax1", vreinterpretq_u8_u64(vrax1q_u64(U64(a), U64(b))));
    CASE("xar/0", vreinterpretq_u8_u64(vxarq_u64(U64(a), U64(b), 0)));
    CASE("xar/1", vreinterpretq_u8_u64(vxarq_u64(U64(a), U64(b), 1)));
    CASE("xar/37", vreinterpretq_u8_u64(vxarq_u64(U64(a), U64(b), 37)));
    CASE("xar/63", vreinterpretq_u8_u64(vxarq_u64(U64(a), U64(b), 63)));
    CASE("sm3ss1", vreinterpretq_u8_u32(vsm3ss1q_u32(U32(a), U32(b), U32(c))));
    CASE("sm3tt1a/0", vreinterpretq_u8_u32(vsm3tt1aq_u32(U32(a), U32(b), U32(c), 0)));
    CASE("sm3tt1a/3", vreinterpretq_u8_u32(vsm3tt1aq_u32(U32(a), U32(b), U32(c), 3)));
    CASE("sm3tt1b/1", vreinterpretq_u8_u32(vsm3tt1bq_u32(U32(a), U32(b), U32(c), 1)));
    CASE("sm3tt2a/2", vreinterpretq_u8_u32(vsm3tt2aq_u32(U32(a), U32(b), U32(c), 2)));
    CASE("sm3tt2b/3", vreinterpretq_u8_u32(vsm3tt2bq_u32(U32(a), U32(b), U32(c), 3)));
    CASE("sm3partw1", vreinterpretq_u8_u32(vsm3partw1q_u32(U32(a), U32(b), U32(c))));
    CASE("sm3partw2", vreinterpretq_u8_u32(vsm3partw2q_u32(U32(a), U32(b), U32(c))));
    CASE("sm4e", vreinterpretq_u8_u32(vsm4eq_u32(U32(a), U32(b))));
    CASE("sm4ekey", vreinterpretq_u8_u32(vsm4ekeyq_u32(U32(a), U32(b))));
    CASE("pmull.1q", vreinterpretq_u8_p128(vmull_p64(vgetq_lane_u64(U64(a), 0), vgetq_lane_u64(U64(b), 1))));
    CASE("pmull2.1q", vreinterpretq_u8_p128(vmull_high_p64(vreinterpretq_p64_u8(a), vreinterpretq_p64_u8(b))));
    return 0;
}
