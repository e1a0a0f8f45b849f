// The Armv8.8 features of v9.3's `max`: BC.cond (HBC); the memory copy and set instructions
// (MOPS) at EL1 with the MMU on and at EL0, stage by stage: the registers each stage leaves
// (Option A), forward and backward copies, overlapping ones, SET, the MOPS exception for
// registers in Option B's format and for an epilogue given a page, a fault part way (the
// registers left to restart), the unprivileged forms, SCTLR_EL1.MSCEn, HCRX_EL2.MSCEn and
// MCE2; TIDCP1 (SCTLR_EL1.TIDCP at EL0) and HCR_EL2.TIDCP at EL1; NMI's PSTATE.ALLINT (MRS, MSR
// and MSR #imm, HCRX_EL2.TALLINT, SPSR bit 13 and ERET); the faults of cache maintenance by
// VA at EL1 (CM set; DC IVAC needing write permission).
#include "pt.h"

__asm__(".arch armv8.8-a+mops");

#define SCR_BASE ((1ul << 0) | (1ul << 8) | (1ul << 10) | 0x30ul)
#define SCR_HXEN (1ul << 38)
#define HCR_RW (1ul << 31)
#define HCR_TIDCP (1ul << 20)
#define HCRX_TALLINT (1ul << 6)
#define HCRX_MCE2 (1ul << 10)
#define HCRX_MSCEN (1ul << 11)
#define SCTLR_MSCEN (1ul << 33)
#define SCTLR_TIDCP (1ul << 63)

static u64 l1[512] __attribute__((aligned(4096)));
static u64 l2_ram[512] __attribute__((aligned(4096)));
static u64 l2_tv[512] __attribute__((aligned(4096)));
static u64 l3_tv[512] __attribute__((aligned(4096)));
static u64 l2_dev[512] __attribute__((aligned(4096)));
static char data[2 * 4096] __attribute__((aligned(4096)));
static unsigned char buf[4 * 4096] __attribute__((aligned(4096)));

static void fill_pattern(void) {
    for (u64 i = 0; i < sizeof buf; i++)
        buf[i] = (unsigned char)(i * 7 + 3);
}

static void show_sum(const char *name) {
    u64 sum = 0;
    for (u64 i = 0; i < sizeof buf; i++)
        sum = sum * 31 + buf[i];
    show(name, sum);
}

// Prints the three registers, addresses as offsets from `base`, and NZCV.
static void show_regs(u64 d, u64 s, u64 n, u64 nzcv, u64 base, int s_is_addr) {
    show("  Xd-base", d - base);
    show("  Xs", s_is_addr ? s - base : s);
    show("  Xn", n);
    show("  NZCV", nzcv >> 28);
}

// Runs `insns` with X0 = D, X1 = S, X2 = N and NZCV = FLAGS, and prints what it took and the
// registers after.
#define MOPS(name, insns, D, S, N, FLAGS, base, s_is_addr)                                   \
    do {                                                                                   \
        u64 d_ = (D), s_ = (S), n_ = (N), f_ = (FLAGS), nz_, at_, b_ = mark();              \
        __asm__ volatile("mov x0, %[d]\n mov x1, %[s]\n mov x2, %[n]\n msr nzcv, %[f]\n"     \
                         " adr %[at], 1f\n1: " insns "\n mrs %[nz], nzcv\n"                \
                         " mov %[d], x0\n mov %[s], x1\n mov %[n], x2"                      \
                         : [d] "+r"(d_), [s] "+r"(s_), [n] "+r"(n_), [nz] "=&r"(nz_),       \
                           [at] "=&r"(at_)                                                 \
                         : [f] "r"(f_)                                                     \
                         : "memory", "cc", "x0", "x1", "x2", "x30");                       \
        report_at(name, b_, at_);                                                          \
        show_regs(d_, s_, n_, nz_, base, s_is_addr);                                       \
    } while (0)

#define CPYF3 "cpyfp [x0]!, [x1]!, x2!\n cpyfm [x0]!, [x1]!, x2!\n cpyfe [x0]!, [x1]!, x2!"
#define CPY3 "cpyp [x0]!, [x1]!, x2!\n cpym [x0]!, [x1]!, x2!\n cpye [x0]!, [x1]!, x2!"
#define SET3 "setp [x0]!, x2!, x1\n setm [x0]!, x2!, x1\n sete [x0]!, x2!, x1"

static u64 mops_el1(u64 arg) {
    u64 b = (u64)buf;
    fill_pattern();
    MOPS("cpyfp", "cpyfp [x0]!, [x1]!, x2!", b + 0x100, b + 0x2f00, 0x2345 - 0x1000, 0, b, 1);
    MOPS("cpyfp; cpyfm", "cpyfp [x0]!, [x1]!, x2!\n cpyfm [x0]!, [x1]!, x2!", b + 0x100,
         b + 0x1f00, 0x2345, 0, b, 1);
    MOPS("cpyf, all three", CPYF3, b + 0x10, b + 0x1f03, 0x2345, 0, b, 1);
    show_sum("sum after cpyf");
    MOPS("cpyf, 0 bytes", CPYF3, b, b + 0x1000, 0, 0, b, 1);
    MOPS("cpyf, 5 bytes", CPYF3, b + 0x3ffe, b + 0x7, 5, 0, b, 1);
    show_sum("sum after cpyf 5");
    // Overlapping: the source below the destination goes backward.
    fill_pattern();
    MOPS("cpyp backward", "cpyp [x0]!, [x1]!, x2!", b + 0x180, b + 0x100, 0x2345, 0, b, 1);
    MOPS("cpyp; cpym backward", "cpyp [x0]!, [x1]!, x2!\n cpym [x0]!, [x1]!, x2!", b + 0x180,
         b + 0x100, 0x2345, 0, b, 1);
    fill_pattern();
    MOPS("cpy backward, all three", CPY3, b + 0x180, b + 0x100, 0x2345, 0, b, 1);
    show_sum("sum after cpy backward");
    fill_pattern();
    MOPS("cpy forward overlapping", CPY3, b + 0x100, b + 0x181, 0x2345, 0, b, 1);
    show_sum("sum after cpy forward");
    // SET.
    fill_pattern();
    MOPS("setp", "setp [x0]!, x2!, x1", b + 0x123, 0xab, 0x2345, 0, b, 0);
    MOPS("setp; setm", "setp [x0]!, x2!, x1\n setm [x0]!, x2!, x1", b + 0x123, 0xab, 0x2345, 0,
         b, 0);
    MOPS("set, all three", SET3, b + 0x123, 0x1cd, 0x2345, 0, b, 0);
    show_sum("sum after set");
    MOPS("set xzr", "setp [x0]!, x2!, xzr\n setm [x0]!, x2!, xzr\n sete [x0]!, x2!, xzr",
         b + 0x3000, 0, 0x40, 0, b, 0);
    show_sum("sum after set xzr");
    // The MOPS exception: registers in Option B's format (C set), an epilogue given a page.
    MOPS("cpyfm, C set", "cpyfm [x0]!, [x1]!, x2!", b + 0x1000, b + 0x2000, -16ul, 0x20000000,
         b, 1);
    MOPS("cpyfm, C set, nothing left", "cpyfm [x0]!, [x1]!, x2!", b + 0x1000, b + 0x2000, 0,
         0x20000000, b, 1);
    MOPS("cpyfe, a page left", "cpyfe [x0]!, [x1]!, x2!", b + 0x2000, b + 0x3000, -0x1000ul, 0,
         b, 1);
    MOPS("sete, C set", "sete [x0]!, x2!, x1", b + 0x1000, 0, -16ul, 0x20000000, b, 0);
    MOPS("setm, a page left", "setm [x0]!, x2!, x1", b + 0x2000, 0, -0x1001ul, 0, b, 0);
    MOPS("sete, a page left", "sete [x0]!, x2!, x1", b + 0x2000, 0, -0x1001ul, 0, b, 0);
    // Register choices the architecture leaves CONSTRAINED UNPREDICTABLE.
    MOPS("cpyfp x0, x0, x2", ".inst 0x19000440", b, b, 16, 0, b, 1);
    MOPS("cpyfp x0, x1, xzr", ".inst 0x190107e0 | 0", b, b + 0x100, 16, 0, b, 1);
    // A fault part way: TV + 8K is unmapped, so the epilogue faults at its first byte there.
    fill_pattern();
    MOPS("cpyf into an unmapped page", CPYF3, TV + 0x1f00, b, 0x200, 0, TV, 0);
    show("  FAR-TV", last.far - TV);
    MOPS("setp into an unmapped page", "setp [x0]!, x2!, x1", TV + 0x2000, 0, 0x10, 0, TV, 0);
    show("  FAR-TV", last.far - TV);
    // Unprivileged writes: TV + 4K is EL1's only, TV EL0's too.
    MOPS("cpyfpwt to an EL1 page", "cpyfpwt [x0]!, [x1]!, x2!", TV + 0x1000, b, 0x10, 0, TV, 0);
    MOPS("cpyfpwt to an EL0 page", "cpyfpwt [x0]!, [x1]!, x2!", TV, b, 0x10, 0, TV, 0);
    MOPS("cpyfprt from an EL1 page", "cpyfprt [x0]!, [x1]!, x2!", b, TV + 0x1000, 0x10, 0, b, 0);
    MOPS("setpt on an EL1 page", "setpt [x0]!, x2!, x1", TV + 0x1000, 0, 0x10, 0, TV, 0);
    return arg;
}

static u64 mops_el1_short(u64 arg) {
    u64 b = (u64)buf;
    MOPS("EL1 cpyfp", "cpyfp [x0]!, [x1]!, x2!", b, b + 0x1000, 0x10, 0, b, 1);
    MOPS("EL1 cpyfm, C set", "cpyfm [x0]!, [x1]!, x2!", b, b + 0x1000, -16ul, 0x20000000, b, 1);
    return arg;
}

static u64 mops_el0(u64 arg) {
    u64 t = (u64)buf;
    MOPS("EL0 cpyf", CPYF3, t + 0x100, t + 0x800, 0x123, 0, t, 1);
    MOPS("EL0 set", SET3, t + 0x10, 0x5a, 0x33, 0, t, 0);
    MOPS("EL0 cpyfm, C set", "cpyfm [x0]!, [x1]!, x2!", t, t + 0x100, -16ul, 0x20000000, t, 1);
    return arg;
}

// Cache maintenance by VA translates its address (CMOW's controls are about which permission
// it needs): unmapped TV + 8K faults with CM set; DC IVAC needs write permission (TV + 12K is
// read-only), the others none at EL1.
static u64 cmo_el1(u64 arg) {
    TRY_VA("dc civac, unmapped", "dc civac, %[a]", TV + 0x2000);
    TRY_VA("dc cvac, unmapped", "dc cvac, %[a]", TV + 0x2008);
    TRY_VA("dc cvau, unmapped", "dc cvau, %[a]", TV + 0x2010);
    TRY_VA("dc cvap, unmapped", "dc cvap, %[a]", TV + 0x2018);
    TRY_VA("dc ivac, unmapped", "dc ivac, %[a]", TV + 0x2020);
    TRY_VA("ic ivau, unmapped", "ic ivau, %[a]", TV + 0x2028);
    TRY_VA("dc civac, read-only", "dc civac, %[a]", TV + 0x3000);
    TRY_VA("dc ivac, read-only", "dc ivac, %[a]", TV + 0x3040);
    TRY_VA("dc ivac, EL1 page", "dc ivac, %[a]", TV + 0x1000);
    TRY_VA("dc zva, read-only", "dc zva, %[a]", TV + 0x3000);
    return arg;
}

static u64 bc_cond(u64 arg) {
    u64 r;
    __asm__ volatile("mov %0, #0\n cmp %0, #0\n bc.ne 1f\n add %0, %0, #1\n"
                     "1: bc.eq 2f\n add %0, %0, #2\n2:"
                     : "=&r"(r) : : "cc");
    show("bc.ne not taken, bc.eq taken", r);
    return arg;
}

static u64 tidcp_el0(u64 arg) {
    TRY("EL0 mrs s3_0_c11_c0_0", "mrs x0, s3_0_c11_c0_0");
    TRY("EL0 msr s3_3_c15_c2_1", "msr s3_3_c15_c2_1, x0");
    TRY("EL0 sys #3, c15, c0, #0", "sys #3, c15, c0, #0, x0");
    TRY("EL0 sysl x0, #3, c11, c1, #2", "sysl x0, #3, c11, c1, #2");
    TRY("EL0 mrs s3_0_c10_c0_0", "mrs x0, s3_0_c10_c0_0");
    return arg;
}

static u64 tidcp_el1(u64 arg) {
    TRY("EL1 mrs s3_0_c11_c0_0", "mrs x0, s3_0_c11_c0_0");
    TRY("EL1 sys #0, c15, c0, #0", "sys #0, c15, c0, #0, x0");
    return arg;
}

#define MRS_ALLINT_X0 ".inst 0xd5384300"
#define MSR_ALLINT_X0 ".inst 0xd5184300"
#define MSR_ALLINT_1 ".inst 0xd501411f"
#define MSR_ALLINT_0 ".inst 0xd501401f"

static u64 read_allint(void) {
    register u64 x0 __asm__("x0");
    __asm__ volatile(MRS_ALLINT_X0 : "=r"(x0));
    return x0;
}

static u64 allint_el1(u64 arg) {
    show("EL1 ALLINT", read_allint());
    __asm__ volatile(MSR_ALLINT_1);
    show("EL1 ALLINT after msr allint, #1", read_allint());
    // An exception saves ALLINT in SPSR bit 13 and ERET restores it.
    TRY("EL1 brk with ALLINT set", "brk #1");
    show("  SPSR.ALLINT", (last.spsr >> 13) & 1);
    show("EL1 ALLINT after the return", read_allint());
    __asm__ volatile(MSR_ALLINT_0);
    show("EL1 ALLINT after msr allint, #0", read_allint());
    __asm__ volatile("mov x0, #0x2000\n" MSR_ALLINT_X0 ::: "x0");
    show("EL1 ALLINT after msr allint, x0", read_allint());
    __asm__ volatile("mov x0, #0\n" MSR_ALLINT_X0 ::: "x0");
    return arg;
}

static u64 allint_el1_trapped(u64 arg) {
    TRY("EL1 msr allint, #1, TALLINT", MSR_ALLINT_1);
    TRY("EL1 msr allint, #0, TALLINT", MSR_ALLINT_0);
    TRY("EL1 msr allint, x0, TALLINT", "mov x0, #0\n" MSR_ALLINT_X0);
    TRY("EL1 mrs allint, TALLINT", MRS_ALLINT_X0);
    return arg;
}

static u64 allint_el0(u64 arg) {
    TRY("EL0 mrs allint", MRS_ALLINT_X0);
    TRY("EL0 msr allint, #1", MSR_ALLINT_1);
    return arg;
}

static u64 hcrx_write(u64 v) {
    write_sysreg(hcrx_el2, v);
    return v;
}

int main(void) {
    puts_("v88\n");
    u64 isar2 = read_sysreg(id_aa64isar2_el1);
    u64 mmfr1 = read_sysreg(id_aa64mmfr1_el1);
    show("ID_AA64ISAR2_EL1.MOPS", (isar2 >> 16) & 15);
    show("ID_AA64ISAR2_EL1.BC", (isar2 >> 20) & 15);
    show("ID_AA64ISAR2_EL1.RPRES", (isar2 >> 4) & 15);
    show("ID_AA64MMFR1_EL1.ETS", (mmfr1 >> 36) & 15);
    show("ID_AA64MMFR1_EL1.TIDCP1", (mmfr1 >> 52) & 15);
    show("ID_AA64MMFR1_EL1.CMOW", (mmfr1 >> 56) & 15);
    show("ID_AA64PFR1_EL1.NMI", (read_sysreg(id_aa64pfr1_el1) >> 36) & 15);
    show("ID_AA64DFR0_EL1.DebugVer", read_sysreg(id_aa64dfr0_el1) & 15);
    bc_cond(0);

    // EL1&0 with the MMU on (4K granule, 39-bit VAs). TV + 8K stays unmapped.
    test_tables(l1, l2_ram, l2_dev, l2_tv, l3_tv, data);
    write_sysreg(mair_el1, 0x00fful);
    write_sysreg(tcr_el1, (2ul << 32) | (1ul << 23) | (3ul << 12) | (1ul << 10) | (1ul << 8) | 25);
    write_sysreg(ttbr0_el1, (u64)l1);
    __asm__ volatile("dsb sy; tlbi alle1; dsb sy; isb" ::: "memory");
    u64 sctlr = read_sysreg(sctlr_el1) | 1 | (1 << 2) | (1 << 12);
    write_sysreg(sctlr_el1, sctlr);

    l3_tv[3] = (u64)data | NORMAL | ISH | AF | AP_RO | XN | PXN | PAGE;
    __asm__ volatile("dsb sy; tlbi vmalle1; dsb sy; isb" ::: "memory");
    run_at(1, cmo_el1, 0);
    l3_tv[3] = 0;
    __asm__ volatile("dsb sy; tlbi vmalle1; dsb sy; isb" ::: "memory");

    // MOPS at EL1 is UNDEFINED while HCRX_EL2.MSCEn is 0 in effect (SCR_EL3.HXEn 0 makes it so).
    run_at(1, mops_el1_short, 0);
    write_sysreg(scr_el3, SCR_BASE | SCR_HXEN);
    run_at(1, mops_el1_short, 0);
    run_at(2, hcrx_write, HCRX_MSCEN);
    run_at(1, mops_el1, 0);
    // HCRX_EL2.MCE2 sends EL1's MOPS exceptions to EL2.
    run_at(2, hcrx_write, HCRX_MSCEN | HCRX_MCE2);
    run_at(1, mops_el1_short, 0);
    run_at(2, hcrx_write, HCRX_MSCEN);
    // The rest runs with the MMU off: the tables keep RAM from EL0.
    sctlr &= ~1ul;
    write_sysreg(sctlr_el1, sctlr);
    // EL0: SCTLR_EL1.MSCEn.
    run_at(0, mops_el0, 0);
    write_sysreg(sctlr_el1, sctlr | SCTLR_MSCEN);
    run_at(0, mops_el0, 0);
    write_sysreg(sctlr_el1, sctlr);

    // TIDCP1 at EL0, HCR_EL2.TIDCP at EL1 (and, IMPLEMENTATION DEFINED, EL0).
    run_at(0, tidcp_el0, 0);
    write_sysreg(sctlr_el1, sctlr | SCTLR_TIDCP);
    run_at(0, tidcp_el0, 0);
    write_sysreg(sctlr_el1, sctlr);
    run_at(1, tidcp_el1, 0);
    write_sysreg(hcr_el2, HCR_RW | HCR_TIDCP);
    run_at(1, tidcp_el1, 0);
    write_sysreg(hcr_el2, HCR_RW);

    // NMI's ALLINT.
    run_at(1, allint_el1, 0);
    run_at(2, hcrx_write, HCRX_MSCEN | HCRX_TALLINT);
    run_at(1, allint_el1_trapped, 0);
    run_at(2, hcrx_write, 0);
    run_at(0, allint_el0, 0);
    write_sysreg(scr_el3, SCR_BASE);
    puts_("done\n");
    return 0;
}
