// The generic timer and the GICv3: timer interrupts (physical, virtual, EL2's) through their
// PPIs, an SGI to self, the priority mask, PSTATE.I masking, IMASK and ISTATUS, and routing
// to EL1 or (HCR_EL2.IMO) EL2, with the CPU interface's acknowledge and end of interrupt.
#include "lib.h"

#define GICD 0x08000000ul
#define GICR 0x080a0000ul
#define SGI_BASE (GICR + 0x10000)

static void w32(u64 a, u32 v) { *(volatile u32 *)a = v; }
static u32 r32(u64 a) { return *(volatile u32 *)a; }
static void w8(u64 a, u8 v) { *(volatile unsigned char *)a = v; }

static volatile u64 seen[16];
static volatile u64 nseen;

static void hook(u64 el, u64 offset) {
    u64 intid = read_sysreg(S3_0_C12_C12_0); // ICC_IAR1_EL1
    if (nseen < 16)
        seen[nseen++] = (el << 32) | (offset << 16) | intid;
    // Quiet the source before the end of interrupt, as a driver would.
    if (intid == 30) write_sysreg(cntp_ctl_el0, 0);
    if (intid == 27) write_sysreg(cntv_ctl_el0, 0);
    if (intid == 26) write_sysreg(cnthp_ctl_el2, 0);
    write_sysreg(S3_0_C12_C12_1, intid); // ICC_EOIR1_EL1
}

static void show_state(const char *what) {
    puts_(what);
    puts_(":");
    for (u64 i = 0; i < nseen; i++) {
        puts_(" INTID ");
        put_dec(seen[i] & 0xffff);
        puts_(" at EL");
        put_dec(seen[i] >> 32);
        puts_(" vector ");
        put_hex((seen[i] >> 16) & 0xffff);
    }
    if (!nseen) puts_(" none");
    puts_("\n");
    nseen = 0;
}

// Waits (busily, for a bounded time) until `n` interrupts have been seen. Not WFI: a timer's
// interrupt is raised on QEMU's host clock, and a WFI that starts just before it can sleep
// past the end of the run on a loaded machine.
static void wait_for(u64 n) {
    for (long i = 0; i < 20000000 && nseen < n; i++)
        __asm__ volatile("nop");
}

static void enable_ppi_sgi(int intid) {
    w32(SGI_BASE + 0x080, r32(SGI_BASE + 0x080) | (1u << intid)); // group 1
    w8(SGI_BASE + 0x400 + intid, 0x80);
    w32(SGI_BASE + 0x100, 1u << intid);
}

static u64 at_el1(u64 arg) {
    write_sysreg(S3_0_C12_C12_5, 7);    // ICC_SRE_EL1
    write_sysreg(S3_0_C4_C6_0, 0xff);   // ICC_PMR_EL1
    write_sysreg(S3_0_C12_C12_7, 1);    // ICC_IGRPEN1_EL1
    __asm__ volatile("msr daifclr, #2");
    // The physical timer, 2000 ticks from now.
    write_sysreg(cntp_tval_el0, 2000);
    write_sysreg(cntp_ctl_el0, 1);
    wait_for(1);
    show_state("EL1 physical timer");
    // The virtual timer, by CVAL.
    write_sysreg(cntv_cval_el0, read_sysreg(cntvct_el0) + 3000);
    write_sysreg(cntv_ctl_el0, 1);
    wait_for(1);
    show_state("EL1 virtual timer");
    // IMASK: the condition is met (ISTATUS) but no interrupt is raised.
    write_sysreg(cntp_ctl_el0, 3);
    write_sysreg(cntp_tval_el0, 0);
    for (int i = 0; i < 100; i++) __asm__ volatile("nop");
    puts_("CNTP_CTL with IMASK, condition met: ");
    put_hex(read_sysreg(cntp_ctl_el0));
    puts_("\n");
    show_state("EL1 masked timer");
    write_sysreg(cntp_ctl_el0, 0);
    // An SGI to this PE (INTID 5, target list bit 0).
    write_sysreg(S3_0_C12_C11_5, (5ul << 24) | 1);
    __asm__ volatile("isb");
    wait_for(1);
    show_state("EL1 SGI 5");
    // PMR at the interrupt's priority masks it; lowering the mask lets it in.
    write_sysreg(S3_0_C4_C6_0, 0x80);
    write_sysreg(S3_0_C12_C11_5, (6ul << 24) | 1);
    __asm__ volatile("isb");
    for (int i = 0; i < 100; i++) __asm__ volatile("nop");
    show_state("EL1 SGI 6 under PMR 0x80");
    write_sysreg(S3_0_C4_C6_0, 0xff);
    __asm__ volatile("isb");
    wait_for(1);
    show_state("EL1 SGI 6 after PMR 0xff");
    // PSTATE.I masks it; WFI still wakes; unmasking takes it.
    __asm__ volatile("msr daifset, #2");
    write_sysreg(S3_0_C12_C11_5, (7ul << 24) | 1);
    __asm__ volatile("isb; wfi");
    show_state("EL1 SGI 7 with PSTATE.I");
    __asm__ volatile("msr daifclr, #2; isb; nop");
    show_state("EL1 SGI 7 after unmasking");
    __asm__ volatile("msr daifset, #2");
    puts_("ICC_RPR_EL1 idle: ");
    put_hex(read_sysreg(S3_0_C12_C11_3));
    puts_("\n");
    return arg;
}

static u64 at_el2(u64 arg) {
    write_sysreg(S3_4_C12_C9_5, 0xf);   // ICC_SRE_EL2
    write_sysreg(cnthctl_el2, 3);
    write_sysreg(cntvoff_el2, 0);
    if (arg) {
        // IRQs to EL2: the hypervisor timer.
        write_sysreg(hcr_el2, (1ul << 31) | (1 << 4));
        write_sysreg(S3_0_C4_C6_0, 0xff);
        write_sysreg(S3_0_C12_C12_7, 1);
        __asm__ volatile("msr daifclr, #2");
        write_sysreg(cnthp_tval_el2, 1500);
        write_sysreg(cnthp_ctl_el2, 1);
        wait_for(1);
        __asm__ volatile("msr daifset, #2");
        show_state("EL2 hypervisor timer with IMO");
        write_sysreg(hcr_el2, 1ul << 31);
    }
    return arg;
}

int main(void) {
    puts_("interrupts\n");
    irq_hook = hook;
    // Distributor: affinity routing, group 1 (Non-secure) enabled; the redistributor awake.
    w32(GICD, 0x32);
    w32(GICR + 0x14, r32(GICR + 0x14) & ~2u);
    while (r32(GICR + 0x14) & 4) {
    }
    write_sysreg(S3_6_C12_C12_5, 0xf);  // ICC_SRE_EL3
    write_sysreg(S3_6_C12_C12_7, 1);    // ICC_IGRPEN1_EL3: group 1 NS
    enable_ppi_sgi(30);
    enable_ppi_sgi(27);
    enable_ppi_sgi(26);
    enable_ppi_sgi(5);
    enable_ppi_sgi(6);
    enable_ppi_sgi(7);
    puts_("GICD_TYPER.ITLinesNumber >= 2: ");
    put_dec((r32(GICD + 4) & 31) >= 2);
    puts_("\nGICR_TYPER.Last: ");
    put_dec((r32(GICR + 8) >> 4) & 1);
    puts_("\n");
    run_at(2, at_el2, 0);
    run_at(1, at_el1, 0);
    run_at(2, at_el2, 1);
    puts_("done\n");
    return 0;
}
