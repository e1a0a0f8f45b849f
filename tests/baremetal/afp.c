// FEAT_AFP's FPCR controls against the standard behaviour, instruction by instruction: FIZ
// (inputs flushed without Input Denormal), AH (FZ no longer flushing inputs, tininess and
// flushing after rounding, the negative default NaN, NaNs chosen by position, FNEG/FABS and
// the negating forms leaving NaNs alone, FMAX/FMIN returning the second operand, the quiet
// reciprocal estimates and steps) and NEP (a scalar result's other bits from a source
// register). Each line is one instruction on one set of inputs: the result, V0's upper half
// where NEP matters, and FPSR.
#include "lib.h"

__asm__(".arch armv8.6-a+fp16+bf16");

#define FIZ 1ul
#define AH 2ul
#define NEP 4ul
#define FZ (1ul << 24)
#define DN (1ul << 25)
#define RP (1ul << 22) // RMode towards +infinity
#define FZ16 (1ul << 19)

struct out {
    u64 lo, hi, fpsr;
};

// V1..V3 hold a, b, c in their low 64 bits and a pattern above; V0 starts with its own.
#define STUB(fn, insn)                                                                    \
    static void fn(u64 a, u64 b, u64 c, u64 fpcr, struct out *o) {                        \
        u64 lo, hi, s;                                                                    \
        __asm__ volatile("mov x9, #0x5555555555555555\n dup v0.2d, x9\n"                  \
                         "fmov d1, %[a]\n mov x9, #0x1111111111111111\n ins v1.d[1], x9\n" \
                         "fmov d2, %[b]\n mov x9, #0x2222222222222222\n ins v2.d[1], x9\n" \
                         "fmov d3, %[c]\n mov x9, #0x3333333333333333\n ins v3.d[1], x9\n" \
                         "msr fpcr, %[f]\n msr fpsr, xzr\n" insn "\n"                      \
                         "mrs %[s], fpsr\n msr fpcr, xzr\n fmov %[lo], d0\n mov %[hi], v0.d[1]" \
                         : [lo] "=&r"(lo), [hi] "=&r"(hi), [s] "=&r"(s)                    \
                         : [a] "r"(a), [b] "r"(b), [c] "r"(c), [f] "r"(fpcr)              \
                         : "x9", "v0", "v1", "v2", "v3", "memory");                        \
        o->lo = lo;                                                                       \
        o->hi = hi;                                                                       \
        o->fpsr = s;                                                                      \
    }

STUB(fadd_d, "fadd d0, d1, d2")
STUB(fmul_d, "fmul d0, d1, d2")
STUB(fnmul_d, "fnmul d0, d1, d2")
STUB(fdiv_d, "fdiv d0, d1, d2")
STUB(fmax_d, "fmax d0, d1, d2")
STUB(fmin_d, "fmin d0, d1, d2")
STUB(fmaxnm_d, "fmaxnm d0, d1, d2")
STUB(fmadd_d, "fmadd d0, d1, d2, d3")
STUB(fmsub_d, "fmsub d0, d1, d2, d3")
STUB(fnmadd_d, "fnmadd d0, d1, d2, d3")
STUB(fneg_d, "fneg d0, d1")
STUB(fabs_d, "fabs d0, d1")
STUB(fsqrt_d, "fsqrt d0, d1")
STUB(frecpe_d, "frecpe d0, d1")
STUB(frsqrte_d, "frsqrte d0, d1")
STUB(frecpx_d, "frecpx d0, d1")
STUB(frecps_d, "frecps d0, d1, d2")
STUB(frsqrts_d, "frsqrts d0, d1, d2")
STUB(fabd_d, "fabd d0, d1, d2")
STUB(fcvt_sd, "fcvt s0, d1")
STUB(fadd_s, "fadd s0, s1, s2")
STUB(fmul_s, "fmul s0, s1, s2")
STUB(fmax_s, "fmax s0, s1, s2")
STUB(fmadd_s, "fmadd s0, s1, s2, s3")
STUB(fsqrt_s, "fsqrt s0, s1")
STUB(frecpe_s, "frecpe s0, s1")
STUB(fmulx_s, "fmulx s0, s1, s2")
STUB(fmul_elem_s, "fmul s0, s1, v2.s[0]")
STUB(fmla_elem_s, "mov v0.16b, v3.16b\n fmla s0, s1, v2.s[0]")
STUB(fcvtxn_s, "fcvtxn s0, d1")
STUB(scvtf_gpr_s, "mov x9, #3\n scvtf s0, x9")
STUB(scvtf_simd_s, "scvtf s0, s1")
STUB(fcvtzs_simd_s, "fcvtzs s0, s1")
STUB(fcmeq_s, "fcmeq s0, s1, s2")
STUB(fmov_s, "fmov s0, s1")
STUB(fadd_h, "fadd h0, h1, h2")
STUB(fmul_h, "fmul h0, h1, h2")
STUB(fmls_v2d, "mov v0.16b, v3.16b\n fmls v0.2d, v1.2d, v2.2d")
STUB(fmaxp_v2d, "mov v1.d[1], v2.d[0]\n fmaxp d0, v1.2d")
STUB(fminv_v4s, "mov v1.s[1], v2.s[0]\n mov v1.s[2], v3.s[0]\n mov v1.s[3], v2.s[0]\n fminv s0, v1.4s")
STUB(fneg_v2d, "mov v1.d[1], v2.d[0]\n fneg v0.2d, v1.2d")
STUB(bfcvt_h, "bfcvt h0, s1")

typedef void (*stub)(u64, u64, u64, u64, struct out *);

static void line(const char *name, u64 fpcr, u64 a, u64 b, u64 c, stub fn, int inputs) {
    struct out o;
    fn(a, b, c, fpcr, &o);
    puts_(name);
    puts_(" fpcr ");
    put_hex(fpcr);
    puts_(" |");
    u64 in[3] = {a, b, c};
    for (int k = 0; k < inputs; k++) {
        puts_(" ");
        put_hex(in[k]);
    }
    puts_(" -> ");
    put_hex(o.lo);
    puts_(" hi ");
    put_hex(o.hi);
    puts_(" fpsr ");
    put_hex(o.fpsr);
    puts_("\n");
}

// Doubles that exercise the corners.
static const u64 dvals[] = {
    0x0000000000000000ul, // +0
    0x8000000000000000ul, // -0
    0x0000000000000001ul, // smallest denormal
    0x800fffffffffffffu,  // largest negative denormal
    0x0010000000000001ul, // just above the smallest normal
    0x3feffffffffffffeul, // 1 - 2^-52
    0x3ff0000000000000ul, // 1.0
    0xbff8000000000000ul, // -1.5
    0x7fefffffffffffffu,  // largest normal
    0x7ff0000000000000ul, // +inf
    0xfff0000000000000ul, // -inf
    0x7ff8000000000011ul, // qNaN
    0xfff8000000000022ul, // -qNaN
    0x7ff0000000000033ul, // sNaN
    0xfff0000000000044ul, // -sNaN
};
#define ND (sizeof(dvals) / sizeof(dvals[0]))

// Singles (the upper half of the 64-bit input is a pattern a scalar form ignores).
static const u64 svals[] = {
    0x9999999900000000ul, 0x9999999980000000ul, 0x9999999900000001ul, 0x99999999807ffffful,
    0x9999999900800001ul, 0x999999993f7ffffeul, 0x999999993f800000ul, 0x99999999bfc00000ul,
    0x999999997f7ffffful, 0x999999997f800000ul, 0x999999997fc00011ul, 0x99999999ff800022ul,
    0x999999997f800033ul,
};
#define NS (sizeof(svals) / sizeof(svals[0]))

static const u64 modes[] = {0, FIZ, FZ, FIZ | FZ, AH, AH | FZ, AH | FIZ, AH | DN, AH | NEP};
#define NM (sizeof(modes) / sizeof(modes[0]))

struct op {
    const char *name;
    stub fn;
    int inputs;
    int single;
};

static const struct op pairs[] = {
    {"fadd.d", fadd_d, 2, 0},   {"fmul.d", fmul_d, 2, 0}, {"fnmul.d", fnmul_d, 2, 0},
    {"fdiv.d", fdiv_d, 2, 0},   {"fmax.d", fmax_d, 2, 0}, {"fmin.d", fmin_d, 2, 0},
    {"fmaxnm.d", fmaxnm_d, 2, 0}, {"frecps.d", frecps_d, 2, 0}, {"frsqrts.d", frsqrts_d, 2, 0},
    {"fabd.d", fabd_d, 2, 0},   {"fadd.s", fadd_s, 2, 1}, {"fmul.s", fmul_s, 2, 1},
    {"fmax.s", fmax_s, 2, 1},   {"fmulx.s", fmulx_s, 2, 1},
};

static const struct op singles[] = {
    {"fneg.d", fneg_d, 1, 0},     {"fabs.d", fabs_d, 1, 0},       {"fsqrt.d", fsqrt_d, 1, 0},
    {"frecpe.d", frecpe_d, 1, 0}, {"frsqrte.d", frsqrte_d, 1, 0}, {"frecpx.d", frecpx_d, 1, 0},
    {"fcvt.sd", fcvt_sd, 1, 0},   {"fcvtxn.s", fcvtxn_s, 1, 0},   {"fsqrt.s", fsqrt_s, 1, 1},
    {"frecpe.s", frecpe_s, 1, 1}, {"scvtf.s", scvtf_simd_s, 1, 1}, {"fcvtzs.s", fcvtzs_simd_s, 1, 1},
    {"fmov.s", fmov_s, 1, 1},     {"bfcvt.h", bfcvt_h, 1, 1},     {"fneg.2d", fneg_v2d, 2, 0},
};

int main(void) {
    show("ID_AA64MMFR1_EL1.AFP", (read_sysreg(id_aa64mmfr1_el1) >> 44) & 0xf);
    // The FPCR bits stick: FIZ, AH and NEP are implemented.
    __asm__ volatile("msr fpcr, %0" : : "r"(FIZ | AH | NEP | FZ));
    show("FPCR", read_sysreg(fpcr));
    __asm__ volatile("msr fpcr, xzr");

    for (unsigned p = 0; p < sizeof(pairs) / sizeof(pairs[0]); p++) {
        const struct op *op = &pairs[p];
        const u64 *vals = op->single ? svals : dvals;
        unsigned n = op->single ? NS : ND;
        // Against each value: zero, the denormals, the near-normal, a NaN of each kind.
        static const unsigned ys[] = {0, 2, 3, 4, 5, 11, 12};
        static const u64 pair_modes[] = {FIZ | FZ, AH, AH | FZ};
        for (unsigned m = 0; m < 3; m++)
            for (unsigned x = 0; x < n; x++)
                for (unsigned k = 0; k < 7; k++)
                    line(op->name, pair_modes[m], vals[x], vals[ys[k]], 0, op->fn, 2);
    }
    for (unsigned p = 0; p < sizeof(singles) / sizeof(singles[0]); p++) {
        const struct op *op = &singles[p];
        const u64 *vals = op->single ? svals : dvals;
        unsigned n = op->single ? NS : ND;
        for (unsigned m = 0; m < NM; m++)
            for (unsigned x = 0; x < n; x++)
                line(op->name, modes[m] | (m == 1 ? RP : 0), vals[x], vals[(x + 3) % n], 0,
                     op->fn, op->inputs);
    }
    // Three operands: each NaN position against the others, and infinity times zero.
    static const u64 t[][3] = {
        {0x7ff8000000000011ul, 0x7ff8000000000022ul, 0x7ff8000000000033ul},
        {0x7ff0000000000011ul, 0x7ff8000000000022ul, 0x7ff8000000000033ul},
        {0x7ff8000000000011ul, 0x7ff0000000000022ul, 0x7ff8000000000033ul},
        {0x7ff8000000000011ul, 0x7ff8000000000022ul, 0x7ff0000000000033ul},
        {0x3ff0000000000000ul, 0x7ff8000000000022ul, 0x7ff8000000000033ul},
        {0x7ff8000000000011ul, 0x3ff0000000000000ul, 0x7ff8000000000033ul},
        {0x7ff8000000000011ul, 0x7ff8000000000022ul, 0x3ff0000000000000ul},
        {0x3ff0000000000000ul, 0x3ff0000000000000ul, 0xfff0000000000033ul},
        {0x7ff0000000000000ul, 0x0000000000000000ul, 0x7ff8000000000033ul},
        {0x0000000000000001ul, 0x3ff0000000000000ul, 0x0000000000000001ul},
        {0x3feffffffffffffeul, 0x0010000000000001ul, 0x8000000000000000ul},
    };
    static const struct op threes[] = {
        {"fmadd.d", fmadd_d, 3, 0}, {"fmsub.d", fmsub_d, 3, 0}, {"fnmadd.d", fnmadd_d, 3, 0},
        {"fmls.2d", fmls_v2d, 3, 0}, {"fmaxp.d", fmaxp_v2d, 2, 0},
    };
    for (unsigned p = 0; p < sizeof(threes) / sizeof(threes[0]); p++)
        for (unsigned m = 0; m < NM; m++)
            for (unsigned k = 0; k < sizeof(t) / sizeof(t[0]); k++)
                line(threes[p].name, modes[m], t[k][0], t[k][1], t[k][2], threes[p].fn,
                     threes[p].inputs);
    // Singles with three operands, NEP's sources, half precision under FZ16.
    for (unsigned m = 0; m < NM; m++) {
        for (unsigned x = 0; x < NS; x++) {
            line("fmadd.s", modes[m], svals[x], svals[(x + 5) % NS], svals[(x + 7) % NS], fmadd_s, 3);
            line("fmul.elem.s", modes[m], svals[x], svals[(x + 5) % NS], 0, fmul_elem_s, 2);
            line("fmla.elem.s", modes[m], svals[x], svals[(x + 5) % NS], svals[(x + 1) % NS],
                 fmla_elem_s, 3);
            line("fminv.4s", modes[m], svals[x], svals[(x + 5) % NS], svals[(x + 2) % NS],
                 fminv_v4s, 3);
            line("fcmeq.s", modes[m], svals[x], svals[(x + 5) % NS], 0, fcmeq_s, 2);
        }
        line("scvtf.gpr.s", modes[m], 0, 0, 0, scvtf_gpr_s, 0);
    }
    static const u64 hvals[] = {0x0001, 0x8200, 0x0400, 0x3c00, 0x7bff, 0x7e01, 0x7c02, 0x03ff};
    for (unsigned m = 0; m < NM; m++)
        for (unsigned x = 0; x < 8; x++)
            for (unsigned y = 0; y < 8; y++) {
                line("fadd.h", modes[m] | FZ16, hvals[x], hvals[y], 0, fadd_h, 2);
                line("fmul.h", modes[m] | FZ16, hvals[x], hvals[y], 0, fmul_h, 2);
            }
    puts_("done\n");
    return 0;
}
