// FEAT_NMI with the GICv3.3's NMIs: an SGI made an NMI (GICR_INMIR0) is taken at EL1 with
// PSTATE.I set while SCTLR_EL1.NMI is set, ICC_IAR1_EL1 reads 1022 for it and ICC_NMIAR1_EL1
// acknowledges it (ICC_RPR_EL1 and ICC_AP1R0_EL1 showing an active NMI until its end of
// interrupt); PSTATE.ALLINT masks it; with SCTLR_EL1.NMI clear it is an ordinary IRQ that
// PSTATE.I masks and ICC_IAR1_EL1 acknowledges; an ordinary SGI meanwhile reads 1023 from
// ICC_NMIAR1_EL1.
#include "lib.h"

__asm__(".arch armv8.8-a");

#define GICD 0x08000000ul
#define GICR 0x080a0000ul
#define SGI_BASE (GICR + 0x10000)
#define SCTLR_NMI (1ul << 61)
#define MSR_ALLINT_1 ".inst 0xd501411f"
#define MSR_ALLINT_0 ".inst 0xd501401f"

static void w32(u64 a, u32 v) { *(volatile u32 *)a = v; }
static u32 r32(u64 a) { return *(volatile u32 *)a; }
static void w8(u64 a, u8 v) { *(volatile unsigned char *)a = v; }

// What the IRQ handler saw, one line each.
static volatile u64 taken;

static void hook(u64 el, u64 offset) {
    taken++;
    u64 iar = read_sysreg(S3_0_C12_C12_0); // ICC_IAR1_EL1
    u64 intid = iar;
    puts_("  IRQ at EL");
    put_dec(el);
    puts_(" vector ");
    put_hex(offset);
    puts_(": ICC_IAR1_EL1 ");
    put_dec(iar);
    if (iar == 1022) {
        intid = read_sysreg(S3_0_C12_C9_5); // ICC_NMIAR1_EL1
        puts_(", ICC_NMIAR1_EL1 ");
        put_dec(intid);
    }
    puts_(", ICC_AP1R0_EL1.NMI ");
    put_dec(read_sysreg(S3_0_C12_C9_0) >> 63);
    puts_("\n");
    write_sysreg(S3_0_C12_C12_1, intid); // ICC_EOIR1_EL1
    puts_("  after EOI: ICC_AP1R0_EL1 ");
    put_hex(read_sysreg(S3_0_C12_C9_0));
    puts_("\n");
}

static void sgi(int intid) {
    // ICC_SGI1R_EL1: INTID, target list Aff0 = 0 (this PE).
    write_sysreg(S3_0_C12_C11_5, ((u64)intid << 24) | 1);
    __asm__ volatile("isb");
}

static void settle(void) {
    for (int i = 0; i < 1000; i++)
        __asm__ volatile("nop");
}

static void report(const char *what, u64 before) {
    puts_(what);
    puts_(": ");
    put_dec(taken - before);
    puts_(" taken\n");
}

static u64 at_el1(u64 arg) {
    write_sysreg(S3_0_C12_C12_5, 7);  // ICC_SRE_EL1
    write_sysreg(S3_0_C4_C6_0, 0xff); // ICC_PMR_EL1
    write_sysreg(S3_0_C12_C12_7, 1);  // ICC_IGRPEN1_EL1
    u64 sctlr = read_sysreg(sctlr_el1);

    // SCTLR_EL1.NMI set: the NMI is taken although PSTATE.I is set.
    write_sysreg(sctlr_el1, sctlr | SCTLR_NMI);
    u64 b = taken;
    sgi(1);
    settle();
    report("NMI, I set, SCTLR_EL1.NMI set", b);

    // PSTATE.ALLINT masks it, until MSR ALLINT, #0.
    b = taken;
    __asm__ volatile(MSR_ALLINT_1);
    sgi(1);
    settle();
    report("NMI, ALLINT set", b);
    puts_("  ICC_HPPIR1_EL1: ");
    put_dec(read_sysreg(S3_0_C12_C12_2));
    puts_("\n");
    __asm__ volatile(MSR_ALLINT_0 "\n isb");
    settle();
    report("NMI, ALLINT cleared", b);

    // An ordinary SGI: ICC_NMIAR1_EL1 has nothing to acknowledge.
    sgi(2);
    settle();
    puts_("ordinary SGI pending, I set: ICC_NMIAR1_EL1 ");
    put_dec(read_sysreg(S3_0_C12_C9_5));
    puts_(", ICC_HPPIR1_EL1 ");
    put_dec(read_sysreg(S3_0_C12_C12_2));
    puts_("\n");
    b = taken;
    __asm__ volatile("msr daifclr, #2\n isb");
    settle();
    __asm__ volatile("msr daifset, #2");
    report("ordinary SGI, I cleared", b);

    // SCTLR_EL1.NMI clear: the NMI is an IRQ like any other.
    write_sysreg(sctlr_el1, sctlr);
    b = taken;
    sgi(1);
    settle();
    report("NMI, I set, SCTLR_EL1.NMI clear", b);
    __asm__ volatile("msr daifclr, #2\n isb");
    settle();
    __asm__ volatile("msr daifset, #2");
    report("NMI, I cleared, SCTLR_EL1.NMI clear", b);
    return arg;
}

int main(void) {
    puts_("nmi\n");
    irq_hook = hook;
    show("ID_AA64PFR1_EL1.NMI", (read_sysreg(id_aa64pfr1_el1) >> 36) & 15);
    show("GICD_TYPER.NMI", (r32(GICD + 4) >> 9) & 1);
    // Distributor: affinity routing, group 1 (Non-secure) enabled; the redistributor awake.
    w32(GICD, 0x32);
    w32(GICR + 0x14, r32(GICR + 0x14) & ~2u);
    while (r32(GICR + 0x14) & 4) {
    }
    write_sysreg(S3_6_C12_C12_5, 0xf); // ICC_SRE_EL3
    write_sysreg(S3_6_C12_C12_7, 1);   // ICC_IGRPEN1_EL3: group 1 NS
    // SGIs 1 and 2 in group 1, priority 0x80, enabled; SGI 1 an NMI; SGI 3 left in group 0
    // (its INMIR bit is RES0).
    w32(SGI_BASE + 0x080, r32(SGI_BASE + 0x080) | 6);
    w8(SGI_BASE + 0x400 + 1, 0x80);
    w8(SGI_BASE + 0x400 + 2, 0x80);
    w32(SGI_BASE + 0x100, 6);
    w32(SGI_BASE + 0xf80, 2 | 8);
    show("GICR_INMIR0 after writing SGIs 1 and 3", r32(SGI_BASE + 0xf80));
    run_at(1, at_el1, 0);
    puts_("done\n");
    return 0;
}
