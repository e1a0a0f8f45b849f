// The Performance Monitors (FEAT_PMUv3): PMCR_EL0 and the ID of the PMU, SW_INCR counting and
// its filters (P at EL1, Secure state without MDCR_EL3.SPME), a 32-bit overflow with its flag
// and PMUIRQ (PPI 7, INTID 23) taken at EL1, instructions retired counted exactly, EL0's
// access under PMUSERENR_EL0, MDCR_EL2.TPM, TPMCR and HPMN, and MDCR_EL3.TPM. What Armv9.4
// adds to the PMU (PMUv3p9, FEAT_EBEP) is in ebep.c, which QEMU 10 cannot check.
#include "lib.h"

#define GICD 0x08000000ul
#define GICR 0x080a0000ul
#define SGI_BASE (GICR + 0x10000)
#define PMUIRQ 23

static void w32(u64 a, u32 v) { *(volatile u32 *)a = v; }
static u32 r32(u64 a) { return *(volatile u32 *)a; }
static void w8(u64 a, u8 v) { *(volatile unsigned char *)a = v; }

static volatile u64 irqs;
static volatile u64 irq_intid;

static void hook(u64 el, u64 offset) {
    (void)el;
    (void)offset;
    u64 intid = read_sysreg(S3_0_C12_C12_0); // ICC_IAR1_EL1
    irq_intid = intid;
    irqs++;
    // Quiet the source (clear the overflow flag) before the end of interrupt.
    write_sysreg(pmovsclr_el0, ~0ul);
    write_sysreg(S3_0_C12_C12_1, intid); // ICC_EOIR1_EL1
}

static u64 set_mdcr_el2(u64 v) {
    write_sysreg(mdcr_el2, v);
    return 0;
}

static u64 el0_accesses(u64 arg) {
    TRY("  EL0 mrs pmccntr_el0", "mrs x0, pmccntr_el0");
    TRY("  EL0 msr pmccntr_el0", "msr pmccntr_el0, xzr");
    TRY("  EL0 mrs pmevcntr0_el0", "mrs x0, pmevcntr0_el0");
    TRY("  EL0 msr pmswinc_el0", "msr pmswinc_el0, xzr");
    TRY("  EL0 mrs pmcr_el0", "mrs x0, pmcr_el0");
    TRY("  EL0 mrs pmuserenr_el0", "mrs x0, pmuserenr_el0");
    TRY("  EL0 msr pmuserenr_el0", "msr pmuserenr_el0, xzr");
    TRY("  EL0 mrs pmintenset_el1", "mrs x0, pmintenset_el1");
    return arg;
}

static u64 el1_accesses(u64 arg) {
    TRY("  EL1 mrs pmcr_el0", "mrs x0, pmcr_el0");
    TRY("  EL1 mrs pmccntr_el0", "mrs x0, pmccntr_el0");
    TRY("  EL1 msr pmselr_el0", "msr pmselr_el0, xzr");
    TRY("  EL1 mrs pmevcntr1_el0", "mrs x0, pmevcntr1_el0");
    return arg;
}

static u64 read_pmcntenset(u64 arg) {
    (void)arg;
    return read_sysreg(pmcntenset_el0);
}

static u64 read_pmcr_n(u64 arg) {
    (void)arg;
    return (read_sysreg(pmcr_el0) >> 11) & 31;
}

static u64 el2_accesses(u64 arg) {
    TRY("  EL2 mrs pmcr_el0", "mrs x0, pmcr_el0");
    return arg;
}

// SW_INCR on counter 0 at EL1 (Non-secure), with and without PMEVTYPER0_EL0.P.
static u64 sw_incr_at_el1(u64 arg) {
    write_sysreg(pmevcntr0_el0, 0);
    write_sysreg(pmevtyper0_el0, arg ? (1ul << 31) : 0);
    write_sysreg(pmswinc_el0, 1);
    write_sysreg(pmswinc_el0, 1);
    write_sysreg(pmswinc_el0, 1);
    return read_sysreg(pmevcntr0_el0);
}

// The overflow interrupt at EL1: counter 0 at 0xffffffff, one SW_INCR.
static u64 overflow_at_el1(u64 arg) {
    (void)arg;
    write_sysreg(S3_0_C12_C12_5, 7);  // ICC_SRE_EL1
    write_sysreg(S3_0_C4_C6_0, 0xff); // ICC_PMR_EL1
    write_sysreg(S3_0_C12_C12_7, 1);  // ICC_IGRPEN1_EL1
    write_sysreg(pmevtyper0_el0, 0);
    write_sysreg(pmevcntr0_el0, 0xfffffffful);
    write_sysreg(pmintenset_el1, 1);
    __asm__ volatile("msr daifset, #2");
    write_sysreg(pmswinc_el0, 1);
    show("  PMOVSSET_EL0 after the overflow", read_sysreg(pmovsset_el0));
    show("  PMEVCNTR0_EL0 after the overflow", read_sysreg(pmevcntr0_el0));
    irqs = 0;
    __asm__ volatile("msr daifclr, #2; isb; nop; nop");
    __asm__ volatile("msr daifset, #2");
    show("  IRQs taken", irqs);
    show("  INTID", irq_intid);
    show("  PMOVSSET_EL0 after the handler", read_sysreg(pmovsset_el0));
    write_sysreg(pmintenclr_el1, ~0ul);
    return 0;
}

// INST_RETIRED on counter 1 over a straight run of 100 NOPs at EL1.
static u64 count_at_el1(u64 arg) {
    (void)arg;
    u64 before, after;
    write_sysreg(pmevtyper1_el0, 0x08);
    __asm__ volatile("mrs %0, pmevcntr1_el0\n"
                     ".rept 100\nnop\n.endr\n"
                     "mrs %1, pmevcntr1_el0"
                     : "=r"(before), "=r"(after));
    return after - before;
}

int main(void) {
    puts_("pmu\n");
    irq_hook = hook;
    u64 dfr0 = read_sysreg(id_aa64dfr0_el1);
    show("ID_AA64DFR0_EL1.PMUVer", (dfr0 >> 8) & 15);
    u64 pmcr = read_sysreg(pmcr_el0);
    show("PMCR_EL0.N", (pmcr >> 11) & 31);
    show("PMCR_EL0", pmcr);
    show("PMCEID0_EL0", read_sysreg(pmceid0_el0));
    show("PMCEID1_EL0", read_sysreg(pmceid1_el0));
    show("MDCR_EL2.HPMN at reset", read_sysreg(mdcr_el2) & 31);

    // The GIC: affinity routing, group 1 Non-secure, PPI 7 enabled at priority 0x80.
    w32(GICD, 0x32);
    w32(GICR + 0x14, r32(GICR + 0x14) & ~2u);
    while (r32(GICR + 0x14) & 4) {
    }
    write_sysreg(S3_6_C12_C12_5, 0xf); // ICC_SRE_EL3
    write_sysreg(S3_4_C12_C9_5, 0xf);  // ICC_SRE_EL2
    w32(SGI_BASE + 0x080, r32(SGI_BASE + 0x080) | (1u << PMUIRQ));
    w8(SGI_BASE + 0x400 + PMUIRQ, 0x80);
    w32(SGI_BASE + 0x100, 1u << PMUIRQ);

    // Counters 0 and 1 and the cycle counter on.
    write_sysreg(pmcntenset_el0, (1ul << 31) | 3);
    write_sysreg(pmcr_el0, 1);
    show("PMCNTENSET_EL0", read_sysreg(pmcntenset_el0));
    show("SW_INCR x3 at EL1", run_at(1, sw_incr_at_el1, 0));
    show("SW_INCR x3 at EL1 with P", run_at(1, sw_incr_at_el1, 1));
    // Secure EL3: counting is prohibited unless MDCR_EL3.SPME allows it.
    write_sysreg(pmevtyper0_el0, 0);
    write_sysreg(pmevcntr0_el0, 0);
    write_sysreg(pmswinc_el0, 1);
    show("SW_INCR at EL3 without SPME", read_sysreg(pmevcntr0_el0));
    write_sysreg(mdcr_el3, 1ul << 17);
    write_sysreg(pmswinc_el0, 1);
    show("SW_INCR at EL3 with SPME", read_sysreg(pmevcntr0_el0));
    write_sysreg(mdcr_el3, 0);
    u64 c0 = read_sysreg(pmccntr_el0);
    for (int i = 0; i < 100; i++)
        __asm__ volatile("nop");
    show("PMCCNTR_EL0 advances at EL3 without SPME", read_sysreg(pmccntr_el0) > c0);

    puts_("overflow:\n");
    run_at(1, overflow_at_el1, 0);
    show("INST_RETIRED over 100 NOPs at EL1", run_at(1, count_at_el1, 0));

    puts_("PMUSERENR_EL0 = 0:\n");
    run_at(0, el0_accesses, 0);
    puts_("PMUSERENR_EL0 = CR|ER|SW:\n");
    write_sysreg(pmuserenr_el0, 0xe);
    run_at(0, el0_accesses, 0);
    puts_("PMUSERENR_EL0 = EN:\n");
    write_sysreg(pmuserenr_el0, 1);
    run_at(0, el0_accesses, 0);
    write_sysreg(pmuserenr_el0, 0);

    puts_("MDCR_EL2.TPM:\n");
    run_at(2, set_mdcr_el2, 6 | (1ul << 6));
    run_at(1, el1_accesses, 0);
    puts_("MDCR_EL2.TPMCR:\n");
    run_at(2, set_mdcr_el2, 6 | (1ul << 5));
    run_at(1, el1_accesses, 0);
    puts_("MDCR_EL3.TPM:\n");
    run_at(2, set_mdcr_el2, 6);
    write_sysreg(mdcr_el3, 1ul << 6);
    run_at(1, el1_accesses, 0);
    run_at(2, el2_accesses, 0);
    write_sysreg(mdcr_el3, 0);
    puts_("MDCR_EL2.HPMN = 1:\n");
    run_at(2, set_mdcr_el2, 1);
    TRY("  EL3 mrs pmevcntr1_el0", "mrs x0, pmevcntr1_el0");
    run_at(1, el1_accesses, 0);
    show("  PMCNTENSET_EL0 at EL3", read_sysreg(pmcntenset_el0));
    show("  PMCNTENSET_EL0 at EL1", run_at(1, read_pmcntenset, 0));
    show("  PMCR_EL0.N at EL1", run_at(1, read_pmcr_n, 0));
    run_at(2, set_mdcr_el2, 6);
    write_sysreg(pmselr_el0, 7);
    TRY("PMSELR_EL0 = 7: mrs pmxevcntr_el0", "mrs x0, pmxevcntr_el0");
    write_sysreg(pmselr_el0, 0);
    write_sysreg(pmcr_el0, 0);
    return 0;
}
