// expect-exit: 0
// build: glibc
// cflags: -march=armv8.6-a+bf16
// FEAT_BF16 against qemu-aarch64, bitwise with FPSR: BFCVT and BFCVTN/BFCVTN2 under each
// rounding mode and FZ/DN, and BFDOT, BFMLALB/T and BFMMLA (vector and by element) on lanes
// drawn from the boundaries (zeros, denormals, extremes, infinities, NaNs) and at random.
#include <arm_neon.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint64_t state = 0x2545f4914f6cdd1dull;
static uint64_t next(void) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

static const uint32_t special[] = {
    0x00000000, 0x80000000, 0x00000001, 0x807fffff, 0x00800000, 0x80800000, 0x3f800000,
    0xbf800000, 0x7f7fffff, 0xff7fffff, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc12345,
    0x7f800001, 0xff812345, 0x3f808000, 0x3f818000, 0x3f80c000, 0x7f7f8000, 0x00018000,
    0x4b7fffff, 0x3effffff, 0x7f000000, 0x00400000, 0x01000000};
#define NSPECIAL (sizeof special / sizeof special[0])

static uint32_t pick32(void) {
    uint64_t r = next();
    return (r & 3) == 0 ? special[(r >> 8) % NSPECIAL] : (uint32_t)(r >> 32);
}
static uint16_t pick16(void) {
    uint64_t r = next();
    return (r & 3) == 0 ? (uint16_t)(special[(r >> 8) % NSPECIAL] >> 16) : (uint16_t)(r >> 40);
}

static uint64_t get_fpsr(void) { uint64_t v; __asm__ volatile("mrs %0, fpsr" : "=r"(v)); return v; }
static void set_fpsr(uint64_t v) { __asm__ volatile("msr fpsr, %0" ::"r"(v)); }
static void set_fpcr(uint64_t v) { __asm__ volatile("msr fpcr, %0" ::"r"(v)); }

static uint64_t hash;
static void mix(const void *p, int n) {
    const uint8_t *b = p;
    for (int k = 0; k < n; k++) hash = (hash ^ b[k]) * 0x100000001b3ull;
}
static void done(const char *name) { printf("%-16s %016llx\n", name, (unsigned long long)hash); }

static float32x4_t rnd_f32x4(void) {
    uint32_t w[4] = {pick32(), pick32(), pick32(), pick32()};
    float32x4_t v;
    memcpy(&v, w, 16);
    return v;
}
static bfloat16x8_t rnd_bf16x8(void) {
    uint16_t w[8];
    for (int k = 0; k < 8; k++) w[k] = pick16();
    bfloat16x8_t v;
    memcpy(&v, w, 16);
    return v;
}

int main(void) {
    /* BFCVT on every special value, each FPCR mode (RMode x FZ x DN), with FPSR. */
    static const uint64_t fpcrs[] = {0, 1 << 22, 2 << 22, 3 << 22, 1 << 24, 1 << 25, (1 << 24) | (1 << 25) | (2 << 22)};
    for (unsigned m = 0; m < sizeof fpcrs / sizeof fpcrs[0]; m++) {
        set_fpcr(fpcrs[m]);
        printf("fpcr %08llx:", (unsigned long long)fpcrs[m]);
        for (unsigned k = 0; k < NSPECIAL; k++) {
            float f;
            memcpy(&f, &special[k], 4);
            set_fpsr(0);
            bfloat16_t r = vcvth_bf16_f32(f);
            uint16_t bits;
            memcpy(&bits, &r, 2);
            printf(" %04x/%02llx", bits, (unsigned long long)get_fpsr());
        }
        printf("\n");
        hash = 0xcbf29ce484222325ull;
        for (int it = 0; it < 200; it++) {
            set_fpsr(0);
            float32x4_t a = rnd_f32x4(), b = rnd_f32x4();
            bfloat16x8_t r = vcvtq_high_bf16_f32(vcvtq_low_bf16_f32(a), b);
            uint64_t fpsr = get_fpsr();
            mix(&r, 16);
            mix(&fpsr, 8);
        }
        done("  bfcvtn/2");
        hash = 0xcbf29ce484222325ull;
        for (int it = 0; it < 200; it++) {
            set_fpsr(0);
            float32x4_t acc = rnd_f32x4();
            bfloat16x8_t x = rnd_bf16x8(), y = rnd_bf16x8();
            float32x4_t r1 = vbfmlalbq_f32(acc, x, y), r2 = vbfmlaltq_f32(acc, x, y);
            float32x4_t r3 = vbfmlalbq_laneq_f32(acc, x, y, 5), r4 = vbfmlaltq_lane_f32(acc, x, vget_low_bf16(y), 2);
            uint64_t fpsr = get_fpsr();
            mix(&r1, 16); mix(&r2, 16); mix(&r3, 16); mix(&r4, 16);
            mix(&fpsr, 8);
        }
        done("  bfmlalb/t");
        hash = 0xcbf29ce484222325ull;
        for (int it = 0; it < 300; it++) {
            set_fpsr(0);
            float32x4_t acc = rnd_f32x4();
            bfloat16x8_t x = rnd_bf16x8(), y = rnd_bf16x8();
            float32x4_t r1 = vbfdotq_f32(acc, x, y);
            float32x2_t r2 = vbfdot_f32(vget_low_f32(acc), vget_low_bf16(x), vget_high_bf16(y));
            float32x4_t r3 = vbfdotq_laneq_f32(acc, x, y, 3);
            float32x4_t r4 = vbfmmlaq_f32(acc, x, y);
            uint64_t fpsr = get_fpsr();
            mix(&r1, 16); mix(&r2, 8); mix(&r3, 16); mix(&r4, 16);
            mix(&fpsr, 8);
        }
        done("  bfdot/bfmmla");
    }
    set_fpcr(0);
    return 0;
}
