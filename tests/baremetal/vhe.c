// The Virtualization Host Extensions (FEAT_VHE): with HCR_EL2.E2H set, EL1 register names
// at EL2 reach the EL2 registers (CONTEXTIDR, MAIR, CPACR as CPTR_EL2 in its E2H layout, the
// EL0 timers as EL2's), the _EL12/_EL02 names reach the EL1 ones (UNDEFINED without E2H), the
// virtual count has no offset at EL2; the EL2&0 regime (TTBR1_EL2, PAN at EL2, LDTR made
// unprivileged only under TGE); and the host's EL0 (E2H and TGE): SCTLR_EL2's EL0 controls,
// CNTHCTL_EL2's, CPTR_EL2.FPEN, exceptions to EL2.
#include "pt.h"

__asm__(".arch armv8.3-a");

#define HCR_RW (1ul << 31)
#define HCR_TGE (1ul << 27)
#define HCR_E2H (1ul << 34)

static u64 l1[512] __attribute__((aligned(4096)));
static u64 l1_hi[512] __attribute__((aligned(4096)));
static u64 l2_ram[512] __attribute__((aligned(4096)));
static u64 l2_tv[512] __attribute__((aligned(4096)));
static u64 l3_tv[512] __attribute__((aligned(4096)));
static u64 l2_dev[512] __attribute__((aligned(4096)));
static char data[2 * 4096] __attribute__((aligned(4096)));

// Whether two counter readings a moment apart are within 2^31 of each other, either way.
static u64 close(u64 a, u64 b) { return a - b + (1ul << 31) < (1ul << 32); }

static u64 el2_no_e2h(u64 arg) {
    write_sysreg(contextidr_el1, 0x11);
    write_sysreg(mair_el1, 0x33);
    write_sysreg(cntv_cval_el0, 7);
    write_sysreg(cntvoff_el2, 1ul << 40);
    TRY("EL2 mrs sctlr_el12, E2H 0", "mrs x0, sctlr_el12");
    TRY("EL2 mrs cntv_ctl_el02, E2H 0", "mrs x0, cntv_ctl_el02");
    u64 p = read_sysreg(cntpct_el0);
    show("E2H 0: CNTVCT close to CNTPCT - 2^40", close(read_sysreg(cntvct_el0), p - (1ul << 40)));
    return arg;
}

static u64 el2_e2h(u64 arg) {
    write_sysreg(hcr_el2, HCR_RW | HCR_E2H);
    write_sysreg(contextidr_el1, 0x22);
    write_sysreg(mair_el1, 0x44);
    show("contextidr_el2 after msr contextidr_el1", read_sysreg(contextidr_el2));
    show("contextidr_el12", read_sysreg(contextidr_el12));
    show("mair_el2 after msr mair_el1", read_sysreg(mair_el2));
    show("mair_el12", read_sysreg(mair_el12));
    write_sysreg(cntv_cval_el0, 1000);
    show("cnthv_cval_el2 after msr cntv_cval_el0", read_sysreg(cnthv_cval_el2));
    show("cntv_cval_el02", read_sysreg(cntv_cval_el02));
    u64 p = read_sysreg(cntpct_el0);
    show("E2H 1: CNTVCT close to CNTPCT", close(read_sysreg(cntvct_el0), p));
    // CPACR_EL1 is CPTR_EL2 in the CPACR layout: FPEN 0b00 traps EL2's own SIMD&FP.
    write_sysreg(cpacr_el1, 0);
    show("cptr_el2 after msr cpacr_el1, 0", read_sysreg(cptr_el2));
    TRY("EL2 fmov, CPTR_EL2.FPEN 00", "fmov d0, xzr");
    write_sysreg(cpacr_el1, 3ul << 20);
    show("cptr_el2 after FPEN 11", read_sysreg(cptr_el2));
    TRY("EL2 fmov, CPTR_EL2.FPEN 11", "fmov d0, xzr");
    write_sysreg(cpacr_el1, 1ul << 20);
    TRY("EL2 fmov, CPTR_EL2.FPEN 01", "fmov d0, xzr");
    // The EL2&0 regime through the EL1 names: TTBR1_EL2's range maps RAM too.
    write_sysreg(mair_el1, 0x00fful);
    // TCR (EL1 layout): IPS 40 bits, TG1 4K, T1SZ 25, TG0 4K, T0SZ 25, Inner Shareable WB.
    write_sysreg(tcr_el1, (2ul << 32) | (2ul << 30) | (3ul << 28) | (1ul << 26) | (1ul << 24) |
                              (25ul << 16) | (3ul << 12) | (1ul << 10) | (1ul << 8) | 25);
    write_sysreg(ttbr0_el1, (u64)l1);
    write_sysreg(ttbr1_el1, (u64)l1_hi);
    __asm__ volatile("dsb sy; tlbi alle2; dsb sy; isb" ::: "memory");
    show("ttbr1_el2 after msr ttbr1_el1", read_sysreg(ttbr1_el2) == (u64)l1_hi);
    write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) | 1 | (1 << 2) | (1 << 12));
    *(volatile u64 *)data = 0x2020;
    show("EL2 read through TTBR1_EL2", *(volatile u64 *)(0xffffffffc0000000ul + ((u64)data - RAM)));
    TRY_VA("EL2 load EL0 page, PAN 0", "mov x0, %[a]\n ldr x1, [x0]", TV);
    __asm__ volatile("msr pan, #1\n isb");
    TRY_VA("EL2 load EL0 page, PAN 1", "mov x0, %[a]\n ldr x1, [x0]", TV);
    TRY_VA("EL2 ldtr EL0 page, PAN 1, TGE 0", "mov x0, %[a]\n ldtr x1, [x0]", TV);
    u64 par;
    __asm__ volatile("at s1e2r, %1\n isb\n mrs %0, par_el1" : "=r"(par) : "r"(TV + 8));
    show("at s1e2r EL0 page", par & 1 ? par & 0x3ff : (par & 0xfffffffff000ul) - (u64)data);
    write_sysreg(hcr_el2, HCR_RW | HCR_E2H | HCR_TGE);
    TRY_VA("EL2 ldtr EL0 page, PAN 1, TGE 1", "mov x0, %[a]\n ldtr x1, [x0]", TV);
    TRY_VA("EL2 ldtr EL2 page, TGE 1", "mov x0, %[a]\n ldtr x1, [x0]", TV + 4096);
    __asm__ volatile("msr pan, #0\n isb");
    write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) & ~1ul);
    __asm__ volatile("dsb sy; tlbi alle2; dsb sy; isb" ::: "memory");
    return arg;
}

// ---- The host's EL0: E2H and TGE set, EL2&0 stage 1 off --------------------------------

static u64 host_el0(u64 arg) {
    TRY("EL0 mrs cntvct_el0", "mrs x0, cntvct_el0");
    u64 p = read_sysreg(cntpct_el0);
    show("host EL0: CNTVCT close to CNTPCT", close(read_sysreg(cntvct_el0), p));
    TRY("EL0 mrs cntp_ctl_el0, CNTHCTL_EL2.EL0PTEN 0", "mrs x0, cntp_ctl_el0");
    TRY("EL0 mrs ctr_el0, SCTLR_EL2.UCT 0", "mrs x0, ctr_el0");
    TRY("EL0 wfi, SCTLR_EL2.nTWI 0", "wfi");
    TRY("EL0 fmov, CPTR_EL2.FPEN 01", "fmov d0, xzr");
    TRY("EL0 svc", "svc #1");
    return arg;
}

static u64 host_el0_allowed(u64 arg) {
    TRY("EL0 mrs ctr_el0, SCTLR_EL2.UCT 1", "mrs x0, ctr_el0");
    TRY("EL0 mrs cntv_ctl_el0, CNTHCTL_EL2.EL0VTEN 1", "mrs x0, cntv_ctl_el0");
    TRY("EL0 fmov, CPTR_EL2.FPEN 11", "fmov d0, xzr");
    return arg;
}

static u64 el2_host_setup(u64 arg) {
    write_sysreg(hcr_el2, HCR_RW | HCR_E2H | HCR_TGE);
    // CNTHCTL_EL2 in its E2H layout: EL0PCTEN, EL0VCTEN; EL0PTEN, EL0VTEN as `arg` says.
    write_sysreg(cnthctl_el2, 3 | (arg ? (3ul << 8) : 0));
    // SCTLR_EL2's EL0 controls: UCT (15) and nTWI (16) per `arg`; FPEN 01 or 11.
    u64 s = read_sysreg(sctlr_el2) & ~((1ul << 15) | (1ul << 16));
    write_sysreg(sctlr_el2, s | (arg ? (1ul << 15) | (1ul << 16) : 0));
    write_sysreg(cpacr_el1, (arg ? 3ul : 1ul) << 20);
    show("host sctlr_el2.UCT", (read_sysreg(sctlr_el2) >> 15) & 1);
    return arg;
}

static u64 el2_restore(u64 arg) {
    write_sysreg(hcr_el2, HCR_RW);
    write_sysreg(cptr_el2, 0x33ff);
    write_sysreg(cnthctl_el2, 3);
    show("cptr_el2, E2H 0", read_sysreg(cptr_el2));
    return arg;
}

int main(void) {
    puts_("vhe\n");
    puts_("ID_AA64MMFR1_EL1.VH: ");
    put_dec((read_sysreg(id_aa64mmfr1_el1) >> 8) & 0xf);
    puts_("\n");
    // EL2&0 tables: RAM and the UART for EL2; TV readable and writable at EL0, TV+4K for EL2;
    // TTBR1_EL2's top 1 GiB is RAM again.
    test_tables(l1, l2_ram, l2_dev, l2_tv, l3_tv, data);
    l1_hi[511] = (u64)l2_ram | TABLE;
    run_at(2, el2_no_e2h, 0);
    run_at(2, el2_e2h, 0);
    run_at(2, el2_host_setup, 0);
    run_at(0, host_el0, 0);
    run_at(2, el2_host_setup, 1);
    run_at(0, host_el0_allowed, 0);
    run_at(2, el2_restore, 0);
    puts_("done\n");
    return 0;
}
