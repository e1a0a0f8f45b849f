// The fine-grained traps (FEAT_FGT): SCR_EL3.FGTEn gating EL2's access to HFGRTR_EL2 and
// the others and every trap they make; HFGRTR_EL2 and HFGWTR_EL2 trapping EL1's reads and
// writes of one register each (the other direction and the _EL12 alias untouched), EL0's
// TPIDR_EL0 and CTR_EL0 (behind SCTLR_EL1.UCT's trap to EL1), HDFGRTR_EL2 (MDSCR_EL1), and
// HFGITR_EL2's instructions: TLBI, AT, IC, DC (EL1 and EL0), ERET (EC 0x1A) and SVC at EL1
// (EC 0x15, ELR at the SVC).
#include "lib.h"

__asm__(".arch armv8.6-a");

#define SCR_BASE ((1ul << 0) | (1ul << 8) | (1ul << 10) | 0x30ul)
#define SCR_FGTEN (1ul << 27)
#define SCTLR_EL1_BASE 0x30d00800ul
#define SCTLR_UCT (1ul << 15)
#define SCTLR_UCI (1ul << 26)

static char data[64] __attribute__((aligned(64)));

// At EL2: the fine-grained trap registers themselves.
static u64 regs_el2(u64 arg) {
    TRY("EL2 mrs hfgrtr_el2", "mrs x0, hfgrtr_el2");
    TRY("EL2 msr hfgwtr_el2", "msr hfgwtr_el2, xzr");
    TRY("EL2 mrs hfgitr_el2", "mrs x0, hfgitr_el2");
    TRY("EL2 mrs hdfgrtr_el2", "mrs x0, hdfgrtr_el2");
    TRY("EL2 msr hdfgwtr_el2", "msr hdfgwtr_el2, xzr");
    return arg;
}

// At EL2: sets the traps `arg` selects (0: none) and shows what each register kept.
static u64 arm(u64 arg) {
    write_sysreg(hcr_el2, (1ul << 31) | ((arg & 2) ? (1ul << 34) : 0));
    // ERET (51) alone: EL1's own handlers return with ERET.
    if (arg & 4) {
        write_sysreg(hfgitr_el2, 1ul << 51);
        return 0;
    }
    if (!(arg & 1)) {
        write_sysreg(hfgrtr_el2, 0);
        write_sysreg(hfgwtr_el2, 0);
        write_sysreg(hfgitr_el2, 0);
        write_sysreg(hdfgrtr_el2, 0);
        return 0;
    }
    // Reads: SCTLR_EL1 (29), TPIDR_EL0 (35), CTR_EL0 (14). Writes: TTBR0_EL1 (36).
    write_sysreg(hfgrtr_el2, (1ul << 29) | (1ul << 35) | (1ul << 14));
    write_sysreg(hfgwtr_el2, 1ul << 36);
    // TLBI VMALLE1 (42), SVC_EL1 (53), DC CVAU (7), IC IALLU (1), AT S1E1R (12).
    write_sysreg(hfgitr_el2, (1ul << 42) | (1ul << 53) | (1ul << 7) | (1ul << 1) | (1ul << 12));
    // MDSCR_EL1 (4).
    write_sysreg(hdfgrtr_el2, 1ul << 4);
    return 0;
}

static u64 el1(u64 arg) {
    TRY("EL1 mrs sctlr_el1", "mrs x0, sctlr_el1");
    TRY("EL1 msr sctlr_el1", "ldr x0, =0x30d00800\n msr sctlr_el1, x0");
    TRY("EL1 mrs ttbr0_el1", "mrs x0, ttbr0_el1");
    TRY("EL1 msr ttbr0_el1", "msr ttbr0_el1, xzr");
    TRY("EL1 mrs tpidr_el0", "mrs x0, tpidr_el0");
    TRY("EL1 mrs ctr_el0", "mrs x0, ctr_el0");
    TRY("EL1 mrs mdscr_el1", "mrs x0, mdscr_el1");
    TRY("EL1 mrs tcr_el1", "mrs x0, tcr_el1");
    TRY("EL1 tlbi vmalle1", "tlbi vmalle1");
    TRY("EL1 tlbi vae1", "mov x0, xzr\n tlbi vae1, x0");
    TRY("EL1 ic iallu", "ic iallu");
    TRY("EL1 ic ialluis", "ic ialluis");
    TRY("EL1 at s1e1r", "mov x0, xzr\n at s1e1r, x0");
    TRY("EL1 at s1e1w", "mov x0, xzr\n at s1e1w, x0");
    TRY_VA("EL1 dc cvau", "mov x0, %[a]\n dc cvau, x0", data);
    TRY_VA("EL1 dc cvac", "mov x0, %[a]\n dc cvac, x0", data);
    TRY("EL1 svc", "svc #0x12");
    return arg;
}

static u64 el1_eret(u64 arg) {
    TRY("EL1 eret", "adr x0, 2f\n msr elr_el1, x0\n mov x1, #0x3c5\n msr spsr_el1, x1\n eret\n2:");
    return arg;
}

static u64 el0(u64 arg) {
    TRY("EL0 mrs tpidr_el0", "mrs x0, tpidr_el0");
    TRY("EL0 mrs ctr_el0", "mrs x0, ctr_el0");
    TRY_VA("EL0 dc cvau", "mov x0, %[a]\n dc cvau, x0", data);
    return arg;
}

// At EL2 with HCR_EL2.E2H: the _EL12 alias reaches SCTLR_EL1 with no fine-grained trap
// (they apply to EL1 and EL0 only).
static u64 el2_host(u64 arg) {
    TRY("EL2 mrs sctlr_el12", "mrs x0, sctlr_el12");
    return arg;
}

int main(void) {
    puts_("fgt\n");
    show("ID_AA64MMFR0_EL1.FGT", read_sysreg(id_aa64mmfr0_el1) >> 56 & 15);
    // SCR_EL3.FGTEn 0: EL2's accesses trap to EL3.
    run_at(2, regs_el2, 0);
    write_sysreg(scr_el3, SCR_BASE | SCR_FGTEN);
    run_at(2, regs_el2, 0);
    run_at(2, arm, 1);
    puts_("traps set\n");
    run_at(1, el1, 1);
    run_at(0, el0, 0);
    write_sysreg(sctlr_el1, SCTLR_EL1_BASE | SCTLR_UCT | SCTLR_UCI);
    run_at(0, el0, 0);
    write_sysreg(sctlr_el1, SCTLR_EL1_BASE);
    run_at(2, arm, 4);
    run_at(1, el1_eret, 0);
    run_at(2, arm, 1);
    // The same traps with FGTEn 0: none of them.
    write_sysreg(scr_el3, SCR_BASE);
    puts_("FGTEn 0\n");
    run_at(1, el1, 0);
    write_sysreg(scr_el3, SCR_BASE | SCR_FGTEN);
    run_at(2, arm, 3);
    run_at(2, el2_host, 0);
    run_at(2, arm, 0);
    puts_("cleared\n");
    run_at(1, el1, 0);
    write_sysreg(scr_el3, SCR_BASE);
    return 0;
}
