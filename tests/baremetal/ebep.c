// What Armv9.4 adds to the PMU: FEAT_EBEP (PSTATE.PM in SPSR bit 32 and set on every exception
// entry, MSR PM, the PMU exception, EC 0x3D through the synchronous vector, chosen by PMEE in
// MDCR_EL3, MDCR_EL2 and PMECR_EL1, masked by PSTATE.PM and PMECR_EL1.KPME at its own level,
// 64-bit overflow while it is enabled) and FEAT_PMUv3p9 (EL0's per-counter access with
// PMUSERENR_EL0.UEN and PMUACR_EL1, PMUSERENR_EL0.TID, PMZR_EL0, MDCR_EL3.EnPM2, the FGT2
// traps of PMUACR_EL1, PMECR_EL1 and PMZR_EL0). QEMU 10 has neither: NO_QEMU_ORACLE in tests/it/baremetal.rs.
#include "lib.h"

#define MSR_PM_1 ".inst 0xd501431f\n"
#define MSR_PM_0 ".inst 0xd501421f\n"
#define PMEE(v) ((u64)(v) << 40)
#define ENPM2 (1ul << 7)

static volatile u64 pm_in_handler;

// The PMU exception: clear the overflow, resume at ELR (the instruction not yet executed).
static u64 hook(u64 el, u64 esr, u64 elr) {
    (void)el;
    if ((esr >> 26) == 0x3d) {
        pm_in_handler = read_sysreg(S3_0_C4_C3_1) >> 32;
        write_sysreg(pmovsclr_el0, ~0ul);
        return elr;
    }
    return 0;
}

static u64 set_mdcr_el2(u64 v) {
    write_sysreg(mdcr_el2, v);
    return 0;
}

static u64 set_fgt2(u64 v) {
    write_sysreg(S3_4_C3_C1_0, v);
    write_sysreg(S3_4_C3_C1_1, v);
    return 0;
}

// Counter 0 counts SW_INCR from its last value: one increment overflows it.
static void arm_counter0(void) {
    write_sysreg(pmevtyper0_el0, 0);
    write_sysreg(pmevcntr0_el0, ~0ul);
    write_sysreg(pmintenset_el1, 1);
    write_sysreg(pmcntenset_el0, 1);
    write_sysreg(pmcr_el0, 1);
}

static u64 overflow_at_el1(u64 arg) {
    write_sysreg(S3_0_C9_C14_5, arg);
    arm_counter0();
    pm_in_handler = 2;
    TRY_VA("  SW_INCR overflow", "msr pmswinc_el0, %[a]\nnop", 1);
    show("  PSTATE.PM in the handler", pm_in_handler);
    show("  PMEVCNTR0_EL0", read_sysreg(pmevcntr0_el0));
    show("  PMOVSSET_EL0", read_sysreg(pmovsset_el0));
    write_sysreg(pmovsclr_el0, ~0ul);
    return 0;
}

// While the PMU exception is enabled the counters are 64-bit (PMCR_EL0.LP is 1 in effect).
static u64 long_at_el1(u64 arg) {
    write_sysreg(S3_0_C9_C14_5, arg);
    arm_counter0();
    write_sysreg(pmevcntr0_el0, 0xfffffffful);
    TRY_VA("  SW_INCR from 0xffffffff", "msr pmswinc_el0, %[a]\nnop", 1);
    show("  PMEVCNTR0_EL0", read_sysreg(pmevcntr0_el0));
    show("  PMOVSSET_EL0", read_sysreg(pmovsset_el0));
    write_sysreg(pmovsclr_el0, ~0ul);
    return 0;
}

static u64 masked_by_pm(u64 arg) {
    (void)arg;
    write_sysreg(S3_0_C9_C14_5, 4 | 3);
    arm_counter0();
    TRY_VA("  SW_INCR overflow with PSTATE.PM", MSR_PM_1 "msr pmswinc_el0, %[a]\nnop", 1);
    show("  PMOVSSET_EL0", read_sysreg(pmovsset_el0));
    TRY("  MSR PM, #0", MSR_PM_0 "nop");
    show("  PMOVSSET_EL0 after", read_sysreg(pmovsset_el0));
    return 0;
}

static u64 pm_at_el1(u64 arg) {
    (void)arg;
    show("  PM at EL1", read_sysreg(S3_0_C4_C3_1));
    TRY("  MSR PM, #1; BRK", MSR_PM_1 "brk #1");
    show("  SPSR_EL1.PM", (last.spsr >> 32) & 1);
    show("  PM after the return", read_sysreg(S3_0_C4_C3_1));
    __asm__ volatile(MSR_PM_0);
    TRY("  BRK with PM clear", "brk #1");
    show("  SPSR_EL1.PM", (last.spsr >> 32) & 1);
    return 0;
}

static u64 el0_uen(u64 arg) {
    (void)arg;
    TRY("  EL0 mrs pmevcntr0_el0", "mrs x0, pmevcntr0_el0");
    TRY("  EL0 mrs pmevcntr1_el0", "mrs x0, pmevcntr1_el0");
    TRY("  EL0 mrs pmcr_el0", "mrs x0, pmcr_el0");
    TRY("  EL0 mrs pmceid0_el0", "mrs x0, pmceid0_el0");
    return 0;
}

static u64 el0_read(u64 which) {
    if (which == 0)
        return read_sysreg(pmevcntr0_el0);
    if (which == 1)
        return read_sysreg(pmevcntr1_el0);
    return read_sysreg(pmcntenset_el0);
}

static u64 el0_write_counter0(u64 v) {
    write_sysreg(pmevcntr0_el0, v);
    return 0;
}

static u64 el0_disable_counter0(u64 arg) {
    (void)arg;
    write_sysreg(pmcntenclr_el0, 1);
    return 0;
}

static u64 el1_pmuacr(u64 arg) {
    (void)arg;
    TRY("  EL1 mrs pmuacr_el1", "mrs x0, " "S3_0_C9_C14_4");
    TRY("  EL1 mrs pmecr_el1", "mrs x0, " "S3_0_C9_C14_5");
    TRY("  EL1 msr pmzr_el0", "msr " "S3_3_C9_C13_4" ", xzr");
    return 0;
}

int main(void) {
    puts_("ebep\n");
    sync_hook = hook;
    u64 dfr0 = read_sysreg(id_aa64dfr0_el1);
    u64 dfr1 = read_sysreg(id_aa64dfr1_el1);
    show("ID_AA64DFR0_EL1.PMUVer", (dfr0 >> 8) & 15);
    show("ID_AA64DFR1_EL1.EBEP", (dfr1 >> 48) & 15);

    // EL1 reaches PMECR_EL1 and PMUACR_EL1 only with FEAT_FGT2's traps off (SCR_EL3.FGTEn2
    // and the n-bits of HDFGRTR2_EL2, HDFGWTR2_EL2 set).
    write_sysreg(scr_el3, read_sysreg(scr_el3) | (1ul << 59));
    run_at(2, set_fgt2, (1ul << 21) | (1 << 4) | 1);
    puts_("PSTATE.PM:\n");
    show("  PM at EL3", read_sysreg(S3_0_C4_C3_1));
    run_at(1, pm_at_el1, 0);

    // PMEE: MDCR_EL3 and MDCR_EL2 defer (0b01) to PMECR_EL1; EnPM2 lets EL1 reach PMECR_EL1.
    write_sysreg(mdcr_el3, PMEE(1) | ENPM2);
    run_at(2, set_mdcr_el2, 6 | PMEE(1));
    puts_("PMECR_EL1.PMEE = 0b11, KPME = 1 (the exception at EL1):\n");
    run_at(1, overflow_at_el1, 4 | 3);
    puts_("PMECR_EL1.PMEE = 0b11, KPME = 0 (masked at EL1):\n");
    run_at(1, overflow_at_el1, 3);
    puts_("PMECR_EL1.PMEE = 0b00 (PMUIRQ, 32-bit overflow):\n");
    run_at(1, overflow_at_el1, 4);
    puts_("PMECR_EL1.PMEE = 0b11: 64-bit overflow; 0b00: 32-bit:\n");
    run_at(1, long_at_el1, 4 | 3);
    run_at(1, long_at_el1, 4);
    puts_("PSTATE.PM masks it; MSR PM, #0 lets it in:\n");
    run_at(1, masked_by_pm, 0);
    puts_("MDCR_EL2.PMEE = 0b11 (the exception to EL2 from EL1):\n");
    run_at(2, set_mdcr_el2, 6 | PMEE(3));
    run_at(1, overflow_at_el1, 0);
    puts_("MDCR_EL3.PMEE = 0b11 (the exception to EL3 from EL1):\n");
    run_at(2, set_mdcr_el2, 6 | PMEE(1));
    write_sysreg(mdcr_el3, PMEE(3) | ENPM2);
    run_at(1, overflow_at_el1, 0);
    write_sysreg(mdcr_el3, PMEE(1) | ENPM2);

    puts_("PMUv3p9, UEN with PMUACR_EL1 = counter 0:\n");
    write_sysreg(pmcr_el0, 1);
    write_sysreg(pmevcntr0_el0, 5);
    write_sysreg(pmevcntr1_el0, 7);
    write_sysreg(pmcntenset_el0, 3);
    write_sysreg(S3_0_C9_C14_4, 1);
    write_sysreg(pmuserenr_el0, 1 << 4);
    run_at(0, el0_uen, 0);
    show("  EL0 PMEVCNTR0_EL0", run_at(0, el0_read, 0));
    show("  EL0 PMEVCNTR1_EL0 (closed)", run_at(0, el0_read, 1));
    show("  EL0 PMCNTENSET_EL0", run_at(0, el0_read, 2));
    run_at(0, el0_write_counter0, 9);
    show("  PMEVCNTR0_EL0 after EL0 wrote 9", read_sysreg(pmevcntr0_el0));
    write_sysreg(pmuserenr_el0, (1 << 4) | (1 << 3));
    run_at(0, el0_write_counter0, 11);
    show("  PMEVCNTR0_EL0 after EL0 wrote 11 under ER", read_sysreg(pmevcntr0_el0));
    run_at(0, el0_disable_counter0, 0);
    show("  PMCNTENSET_EL0 after EL0 cleared counter 0's enable under ER", read_sysreg(pmcntenset_el0));
    puts_("PMUSERENR_EL0.TID with EN:\n");
    write_sysreg(pmuserenr_el0, 1 | (1 << 6));
    run_at(0, el0_uen, 0);
    write_sysreg(pmuserenr_el0, 0);
    puts_("PMZR_EL0 at EL3, counter 0 and C:\n");
    write_sysreg(S3_3_C9_C13_4, (1ul << 31) | 1);
    show("  PMEVCNTR0_EL0", read_sysreg(pmevcntr0_el0));
    show("  PMEVCNTR1_EL0", read_sysreg(pmevcntr1_el0));

    puts_("EL1's PMUACR_EL1, PMECR_EL1, PMZR_EL0 with SCR_EL3.FGTEn2 clear:\n");
    write_sysreg(scr_el3, read_sysreg(scr_el3) & ~(1ul << 59));
    run_at(1, el1_pmuacr, 0);
    puts_("with SCR_EL3.FGTEn2 and the FGT2 bits set, MDCR_EL3.EnPM2 clear:\n");
    write_sysreg(scr_el3, read_sysreg(scr_el3) | (1ul << 59));
    write_sysreg(mdcr_el3, PMEE(1));
    run_at(1, el1_pmuacr, 0);
    puts_("and EnPM2 set:\n");
    write_sysreg(mdcr_el3, PMEE(1) | ENPM2);
    run_at(1, el1_pmuacr, 0);
    write_sysreg(pmcr_el0, 0);
    return 0;
}
