// The Armv8.5 system features at EL1 and EL0: BTI on guarded pages (stage 1's GP bit, BTYPE
// by branch kind, BTI c/j/jc, PACIASP under SCTLR_EL1.BT1, SPSR.BTYPE of the Branch Target
// exception), E0PD (TCR_EL1.E0PD0 faulting EL0's accesses: LDTR and AT S1E0R at EL1, not
// EL1's own), the FEAT_EVT traps to EL2
// (HCR_EL2.TID4, TICAB, TOCU, TTLBIS, TTLBOS) and the prediction restriction instructions of
// FEAT_SPECRES at EL0 (SCTLR_EL1.EnRCTX).
#include "pt.h"

__asm__(".arch armv8.5-a+predres");

static u64 l1[512] __attribute__((aligned(4096)));
static u64 l2_ram[512] __attribute__((aligned(4096)));
static u64 l2_tv[512] __attribute__((aligned(4096)));
static u64 l3_tv[512] __attribute__((aligned(4096)));
static u64 l2_dev[512] __attribute__((aligned(4096)));
static char data[2 * 4096] __attribute__((aligned(4096)));
static u32 code[1024] __attribute__((aligned(4096)));

#define GP (1ul << 50)
// The code page, guarded at TV + 8K and not at TV + 12K.
#define CODE_GP (TV + 0x2000)
#define CODE_NOGP (TV + 0x3000)

// Landing instructions, two words a slot: slot n is at byte 8n.
static const u32 slots[] = {
    0xd503201f, 0xd65f03c0, // 0: nop; ret
    0xd503245f, 0xd65f03c0, // 1: bti c; ret
    0xd503249f, 0xd65f03c0, // 2: bti j; ret
    0xd503245f, 0xd61f0020, // 3: bti c; br x1 (a BR from a guarded page)
    0xd503233f, 0xd65f03c0, // 4: paciasp; ret (PAuth keys off: x30 unchanged)
    0xd50324df, 0xd65f03c0, // 5: bti jc; ret
};

static void sync_code(void) {
    __asm__ volatile("dsb ish; ic iallu; dsb ish; isb" ::: "memory");
}

// Prints the BTYPE the last exception saved in SPSR (bits 11:10).
static void show_btype(void) {
    puts_("  SPSR.BTYPE ");
    put_dec((last.spsr >> 10) & 3);
    puts_("\n");
}

#define BLR(name, va)                                                                      \
    do {                                                                                   \
        TRY_VA(name, "mov x0, %[a]\n add x1, x0, #8\n blr x0", va);                        \
    } while (0)
// BR through x0 (x16 with `16`), returning to the instruction after the `bl`.
#define BR(name, reg, va)                                                                  \
    do {                                                                                   \
        TRY_VA(name, "mov " reg ", %[a]\n bl 3f\n b 4f\n3: br " reg "\n4:", va);           \
    } while (0)

static u64 bti_el1(u64 arg) {
    u64 sctlr = read_sysreg(sctlr_el1);
    BLR("blr to nop, guarded", CODE_GP + 0);
    show_btype();
    BLR("blr to nop, not guarded", CODE_NOGP + 0);
    BLR("blr to bti c", CODE_GP + 8);
    BLR("blr to bti j", CODE_GP + 16);
    show_btype();
    BLR("blr to bti jc", CODE_GP + 40);
    BR("br x0 to nop", "x0", CODE_GP + 0);
    show_btype();
    BR("br x0 to bti j", "x0", CODE_GP + 16);
    BR("br x0 to bti c", "x0", CODE_GP + 8);
    BR("br x16 to bti c", "x16", CODE_GP + 8);
    // BR x1 from the guarded page: BTYPE 11, which BTI c refuses and PACIASP takes only
    // while SCTLR_EL1.BT1 is 0.
    BLR("br from guarded to paciasp, BT1 0", CODE_GP + 24);
    write_sysreg(sctlr_el1, sctlr | (1ul << 36));
    BLR("br from guarded to paciasp, BT1 1", CODE_GP + 24);
    show_btype();
    write_sysreg(sctlr_el1, sctlr);
    TRY_VA("br from guarded to bti c", "mov x0, %[a]\n add x1, x0, #-16\n blr x0",
           CODE_GP + 24);
    show_btype();
    // A RET needs no landing pad.
    TRY_VA("ret to nop", "mov x0, %[a]\n adr x30, 5f\n ret x0\n5:", CODE_GP + 0);
    return arg;
}

// ---- E0PD --------------------------------------------------------------------------------

static u64 e0pd_el1(u64 e0pd) {
    u64 par;
    puts_(e0pd ? "E0PD0 1\n" : "E0PD0 0\n");
    TRY_VA("  EL1 ldtr EL0 page", "mov x0, %[a]\n ldtr x1, [x0]", TV);
    TRY_VA("  EL1 load EL0 page", "mov x0, %[a]\n ldr x1, [x0]", TV);
    __asm__ volatile("at s1e0r, %1\n isb\n mrs %0, par_el1" : "=r"(par) : "r"(TV));
    puts_("  at s1e0r: PAR ");
    put_hex(par & 1 ? par & 0x3ff : (par & 0xfffffffff000ul) - (u64)data);
    puts_("\n");
    return e0pd;
}

// ---- FEAT_EVT ----------------------------------------------------------------------------

static u64 evt_arm(u64 arg) {
    // RW, TID4 (49), TICAB (50), TOCU (52), TTLBIS (54), TTLBOS (55).
    write_sysreg(hcr_el2, (1ul << 31) | arg);
    return 0;
}

static u64 evt_el1(u64 arg) {
    TRY("EL1 mrs clidr_el1, TID4", "mrs x0, clidr_el1");
    TRY("EL1 msr csselr_el1, TID4", "msr csselr_el1, xzr");
    TRY("EL1 ic ialluis, TICAB", "ic ialluis");
    TRY("EL1 ic iallu, TOCU", "ic iallu");
    TRY_VA("EL1 ic ivau, TOCU", "mov x0, %[a]\n ic ivau, x0", data);
    TRY_VA("EL1 dc cvau, TOCU", "mov x0, %[a]\n dc cvau, x0", data);
    TRY_VA("EL1 dc civac, TOCU", "mov x0, %[a]\n dc civac, x0", data);
    TRY("EL1 tlbi vmalle1is, TTLBIS", "tlbi vmalle1is");
    TRY("EL1 tlbi vmalle1os, TTLBOS", "tlbi vmalle1os");
    TRY("EL1 tlbi vmalle1", "tlbi vmalle1");
    return arg;
}

// ---- FEAT_SPECRES ------------------------------------------------------------------------

static u64 rctx_el0(u64 arg) {
    TRY("EL0 cfp rctx", "mov x0, xzr\n cfp rctx, x0");
    TRY("EL0 dvp rctx", "mov x0, xzr\n dvp rctx, x0");
    TRY("EL0 cpp rctx", "mov x0, xzr\n cpp rctx, x0");
    return arg;
}

static u64 rctx_el1(u64 arg) {
    TRY("EL1 cfp rctx", "mov x0, xzr\n cfp rctx, x0");
    return arg;
}

static void id(const char *name, u64 reg, int lsb) {
    puts_(name);
    puts_(": ");
    put_dec((reg >> lsb) & 15);
    puts_("\n");
}

int main(void) {
    puts_("v85\n");
    u64 pfr1 = read_sysreg(id_aa64pfr1_el1);
    u64 mmfr2 = read_sysreg(id_aa64mmfr2_el1);
    u64 isar1 = read_sysreg(id_aa64isar1_el1);
    id("ID_AA64PFR1_EL1.BT", pfr1, 0);
    id("ID_AA64MMFR2_EL1.E0PD", mmfr2, 60);
    id("ID_AA64MMFR2_EL1.EVT", mmfr2, 56);
    id("ID_AA64MMFR2_EL1.FWB", mmfr2, 40);
    id("ID_AA64MMFR2_EL1.ST", mmfr2, 28);
    id("ID_AA64ISAR1_EL1.SPECRES", isar1, 40);

    test_tables(l1, l2_ram, l2_dev, l2_tv, l3_tv, data);
    for (unsigned n = 0; n < sizeof slots / sizeof slots[0]; n++)
        code[n] = slots[n];
    sync_code();
    l3_tv[2] = (u64)code | NORMAL | ISH | AF | GP | PAGE;
    l3_tv[3] = (u64)code | NORMAL | ISH | AF | PAGE;
    write_sysreg(mair_el1, 0x00fful);
    // TCR_EL1: IPS 40 bits, TG0 4K, ISH WB, T0SZ 25; EPD1.
    u64 tcr = (2ul << 32) | (1ul << 23) | (3ul << 12) | (1ul << 10) | (1ul << 8) | 25;
    write_sysreg(tcr_el1, tcr);
    write_sysreg(ttbr0_el1, (u64)l1);
    __asm__ volatile("dsb sy; tlbi vmalle1; dsb sy; isb");
    write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) | 1 | (1 << 2) | (1 << 12));
    run_at(1, bti_el1, 0);

    write_sysreg(tcr_el1, tcr | (1ul << 55));
    __asm__ volatile("dsb sy; tlbi vmalle1; dsb sy; isb");
    run_at(1, e0pd_el1, 1);
    write_sysreg(tcr_el1, tcr);
    __asm__ volatile("dsb sy; tlbi vmalle1; dsb sy; isb");
    run_at(1, e0pd_el1, 0);

    run_at(2, evt_arm, (1ul << 49) | (1ul << 50) | (1ul << 52) | (1ul << 54) | (1ul << 55));
    run_at(1, evt_el1, 0);
    run_at(2, evt_arm, 0);
    run_at(1, evt_el1, 0);

    // EL0 runs from RAM with the MMU off. SCTLR_EL1.UCI (26) lets EL0 reach the cache
    // instructions; EnRCTX (10) is clear, then set.
    u64 sctlr = read_sysreg(sctlr_el1) & ~1ul;
    write_sysreg(sctlr_el1, sctlr | (1ul << 26));
    run_at(0, rctx_el0, 0);
    write_sysreg(sctlr_el1, sctlr | (1ul << 26) | (1ul << 10));
    run_at(0, rctx_el0, 0);
    run_at(1, rctx_el1, 0);
    write_sysreg(sctlr_el1, sctlr);
    puts_("done\n");
    return 0;
}
