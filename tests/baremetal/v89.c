// The Armv8.9 features of v9.4's `max`: the ID fields; CSSC's instructions; CLRBHB and
// CHKFEAT X16 (no GCS: X16 unchanged); COSP RCTX (FEAT_SPECRES2) with SCTLR_EL1.EnRCTX at EL0
// and HFGITR_EL2.COSPRCTX; SCTLR2_EL1 and TCR2_EL1 (all RES0 here) and their enables,
// HCRX_EL2.SCTLR2En/TCR2En to EL2 and SCR_EL3.SCTLR2En/TCR2En to EL3; the FGT2 registers
// behind SCR_EL3.FGTEn2; ERXGSR_EL1 (RASv2, no error records) and MDSELR_EL1 (Debugv8p9).
#include "lib.h"

__asm__(".arch armv8.7-a");

#define SCR_BASE ((1ul << 0) | (1ul << 8) | (1ul << 10) | 0x30ul)
#define SCR_FGTEN (1ul << 27)
#define SCR_HXEN (1ul << 38)
#define SCR_TCR2EN (1ul << 43)
#define SCR_SCTLR2EN (1ul << 44)
#define SCR_FGTEN2 (1ul << 59)
#define HCRX_TCR2EN (1ul << 14)
#define HCRX_SCTLR2EN (1ul << 15)
#define SCTLR_ENRCTX (1ul << 10)

#define SCTLR2_EL1 "s3_0_c1_c0_3"
#define TCR2_EL1 "s3_0_c2_c0_3"
#define SCTLR2_EL2 "s3_4_c1_c0_3"
#define TCR2_EL2 "s3_4_c2_c0_3"
#define ERXGSR_EL1 "s3_0_c5_c3_2"
#define MDSELR_EL1 "s2_0_c0_c4_2"

// Runs one instruction on X1 (and X2) and prints X0.
#define ONE(name, word, a, b)                                                               \
    do {                                                                                   \
        u64 r_;                                                                            \
        __asm__ volatile("mov x1, %1\n mov x2, %2\n .inst " #word "\n mov %0, x0"          \
                         : "=r"(r_) : "r"((u64)(a)), "r"((u64)(b)) : "x0", "x1", "x2");   \
        show(name, r_);                                                                    \
    } while (0)

static u64 cssc(u64 arg) {
    ONE("abs x0, x1 (-5)", 0xdac02020, -5l, 0);
    ONE("cnt w0, w1", 0x5ac01c20, 0xffff00ff00ul, 0);
    ONE("ctz x0, x1", 0xdac01820, 0x1000ul, 0);
    ONE("ctz w0, w1 (0)", 0x5ac01820, 0x100000000ul, 0);
    ONE("smax x0, x1, x2", 0x9ac26020, -1l, 1);
    ONE("umin w0, w1, w2", 0x1ac26c20, 0x100000005ul, 9);
    ONE("smax x0, x1, #-3", 0x91c3f420, -7l, 0);
    ONE("umax x0, x1, #200", 0x91c72020, 3, 0);
    u64 x16;
    __asm__ volatile("mov x16, #1\n hint #40\n mov %0, x16" : "=r"(x16) : : "x16");
    show("chkfeat x16 (x16 = 1)", x16);
    TRY("clrbhb", "hint #22");
    return arg;
}

static u64 cosp(u64 arg) {
    TRY("cosp rctx", "mov x0, #0\n sys #3, c7, c3, #6, x0");
    return arg;
}

static u64 el1_regs(u64 arg) {
    TRY("EL1 mrs sctlr2_el1", "mrs x0, " SCTLR2_EL1);
    TRY("EL1 mrs tcr2_el1", "mrs x0, " TCR2_EL1);
    return arg;
}

static u64 el1_write_read(u64 arg) {
    u64 v = ~0ul;
    __asm__ volatile("msr " SCTLR2_EL1 ", %0\n isb\n mrs %0, " SCTLR2_EL1 : "+r"(v));
    show("EL1 sctlr2_el1 after all ones", v);
    v = ~0ul;
    __asm__ volatile("msr " TCR2_EL1 ", %0\n isb\n mrs %0, " TCR2_EL1 : "+r"(v));
    show("EL1 tcr2_el1 after all ones", v);
    TRY("EL1 mrs erxgsr_el1", "mrs x0, " ERXGSR_EL1);
    u64 g;
    __asm__ volatile("mrs %0, " ERXGSR_EL1 : "=r"(g));
    show("EL1 erxgsr_el1", g);
    v = ~0ul;
    __asm__ volatile("msr " MDSELR_EL1 ", %0\n isb\n mrs %0, " MDSELR_EL1 : "+r"(v));
    show("EL1 mdselr_el1 after all ones", v);
    return arg;
}

static u64 el2_regs(u64 arg) {
    TRY("EL2 mrs sctlr2_el2", "mrs x0, " SCTLR2_EL2);
    TRY("EL2 mrs tcr2_el2", "mrs x0, " TCR2_EL2);
    TRY("EL2 mrs hfgrtr2_el2", "mrs x0, s3_4_c3_c1_2");
    TRY("EL2 mrs hdfgrtr2_el2", "mrs x0, s3_4_c3_c1_0");
    TRY("EL2 mrs hfgitr2_el2", "mrs x0, s3_4_c3_c1_7");
    return arg;
}

static u64 el2_write_read(u64 arg) {
    u64 v = ~0ul;
    __asm__ volatile("msr s3_4_c3_c1_2, %0\n isb\n mrs %0, s3_4_c3_c1_2" : "+r"(v));
    show("EL2 hfgrtr2_el2 after all ones", v);
    v = ~0ul;
    __asm__ volatile("msr s3_4_c3_c1_7, %0\n isb\n mrs %0, s3_4_c3_c1_7" : "+r"(v));
    show("EL2 hfgitr2_el2 after all ones", v);
    __asm__ volatile("msr s3_4_c3_c1_2, xzr\n msr s3_4_c3_c1_7, xzr\n isb");
    v = ~0ul;
    __asm__ volatile("msr " SCTLR2_EL2 ", %0\n isb\n mrs %0, " SCTLR2_EL2 : "+r"(v));
    show("EL2 sctlr2_el2 after all ones", v);
    return arg;
}

static u64 hcrx_write(u64 v) {
    write_sysreg(hcrx_el2, v);
    return v;
}

int main(void) {
    puts_("v89\n");
    u64 isar1 = read_sysreg(id_aa64isar1_el1), isar2 = read_sysreg(id_aa64isar2_el1);
    u64 mmfr3;
    __asm__ volatile("mrs %0, s3_0_c0_c7_3" : "=r"(mmfr3));
    show("ID_AA64ISAR2_EL1.CSSC", (isar2 >> 52) & 15);
    show("ID_AA64ISAR2_EL1.CLRBHB", (isar2 >> 28) & 15);
    show("ID_AA64ISAR1_EL1.SPECRES", (isar1 >> 40) & 15);
    show("ID_AA64MMFR3_EL1.TCRX", mmfr3 & 15);
    show("ID_AA64MMFR3_EL1.SCTLRX", (mmfr3 >> 4) & 15);
    show("ID_AA64MMFR0_EL1.FGT", (read_sysreg(id_aa64mmfr0_el1) >> 56) & 15);
    show("ID_AA64PFR0_EL1.RAS", (read_sysreg(id_aa64pfr0_el1) >> 28) & 15);
    show("ID_AA64DFR0_EL1.DebugVer", read_sysreg(id_aa64dfr0_el1) & 15);
    run_at(1, cssc, 0);

    // COSP RCTX: EL0 needs SCTLR_EL1.EnRCTX; HFGITR_EL2.COSPRCTX (bit 60) traps EL1 and EL0.
    run_at(1, cosp, 0);
    run_at(0, cosp, 0);
    u64 sctlr = read_sysreg(sctlr_el1);
    write_sysreg(sctlr_el1, sctlr | SCTLR_ENRCTX);
    run_at(0, cosp, 0);
    write_sysreg(scr_el3, SCR_BASE | SCR_FGTEN);
    write_sysreg(hfgitr_el2, 1ul << 60);
    run_at(1, cosp, 0);
    run_at(0, cosp, 0);
    write_sysreg(hfgitr_el2, 0);
    write_sysreg(sctlr_el1, sctlr);

    // SCTLR2 and TCR2: SCR_EL3's enables, then HCRX_EL2's (HCRX_EL2 itself behind HXEn).
    write_sysreg(scr_el3, SCR_BASE);
    run_at(1, el1_regs, 0);
    run_at(2, el2_regs, 0);
    write_sysreg(scr_el3, SCR_BASE | SCR_SCTLR2EN | SCR_TCR2EN);
    run_at(1, el1_regs, 0);
    write_sysreg(scr_el3, SCR_BASE | SCR_SCTLR2EN | SCR_TCR2EN | SCR_HXEN);
    run_at(1, el1_regs, 0);
    run_at(2, hcrx_write, HCRX_SCTLR2EN | HCRX_TCR2EN);
    run_at(1, el1_regs, 0);
    run_at(1, el1_write_read, 0);
    // HCRX_EL2's enables set, SCR_EL3's clear: EL1's accesses go to EL3.
    write_sysreg(scr_el3, SCR_BASE | SCR_HXEN);
    run_at(1, el1_regs, 0);
    write_sysreg(scr_el3, SCR_BASE | SCR_SCTLR2EN | SCR_TCR2EN | SCR_HXEN);
    run_at(2, hcrx_write, 0);
    // FGT2's registers: SCR_EL3.FGTEn2.
    run_at(2, el2_regs, 0);
    write_sysreg(scr_el3, SCR_BASE | SCR_SCTLR2EN | SCR_TCR2EN | SCR_HXEN | SCR_FGTEN2);
    run_at(2, el2_regs, 0);
    run_at(2, el2_write_read, 0);
    write_sysreg(scr_el3, SCR_BASE);
    puts_("done\n");
    return 0;
}
