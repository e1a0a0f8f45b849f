// Secure EL2 (FEAT_SEL2): SCR_EL3.EEL2 enabling EL2 in Secure state; the Secure-EL2-only
// registers (VSTTBR_EL2, VSTCR_EL2, the CNTHPS and CNTHVS timers) UNDEFINED at Non-secure EL2
// and, for the timers, at EL3 without EEL2; HVC from Secure EL1; Secure EL1&0's stage 2, which
// translates the Secure IPA space with VSTTBR_EL2/VSTCR_EL2 and the Non-secure one (stage 1
// NS = 1) with VTTBR_EL2/VTCR_EL2, with HPFAR_EL2.NS telling them apart.
#include "pt.h"

__asm__(".arch armv8.5-a");

static u64 l1[512] __attribute__((aligned(4096)));
static u64 l2_ram[512] __attribute__((aligned(4096)));
static u64 l2_tv[512] __attribute__((aligned(4096)));
static u64 l3_tv[512] __attribute__((aligned(4096)));
static u64 l2_dev[512] __attribute__((aligned(4096)));
static char data[2 * 4096] __attribute__((aligned(4096)));
// Stage 2: the Secure IPA space (identity RAM and UART, TV to `data`), the Non-secure one
// (nothing mapped).
static u64 s2l1[512] __attribute__((aligned(4096)));
static u64 s2l2_tv[512] __attribute__((aligned(4096)));
static u64 s2l3_tv[512] __attribute__((aligned(4096)));
static u64 ns2l1[512] __attribute__((aligned(4096)));

#define NS (1ul << 5)
#define S2_RW (3ul << 6)
#define S2_NORMAL (0xful << 2)
#define S2_DEVICE (0x1ul << 2)
#define SCR_NS 1ul
#define SCR_EEL2 (1ul << 18)
#define HCR_RW (1ul << 31)
#define HCR_VM 1ul
// VTCR_EL2/VSTCR_EL2: T0SZ 25 (39-bit IPAs), SL0 1 (start at level 1), TG0 4K; VTCR_EL2's
// PS 40 bits and RES1 bit 31.
#define VTCR ((1ul << 31) | (2ul << 16) | (3ul << 12) | (1ul << 10) | (1ul << 8) | (1ul << 6) | 25)
#define VSTCR ((1ul << 6) | 25)

static u64 ns_el2(u64 arg) {
    TRY("NS EL2 mrs vsttbr_el2", "mrs x0, vsttbr_el2");
    TRY("NS EL2 msr vstcr_el2", "msr vstcr_el2, xzr");
    TRY("NS EL2 mrs cnthps_ctl_el2", "mrs x0, cnthps_ctl_el2");
    TRY("NS EL2 mrs cnthvs_cval_el2", "mrs x0, cnthvs_cval_el2");
    return arg;
}

static u64 s_el2(u64 arg) {
    show("Secure EL2 CurrentEL", read_sysreg(CurrentEL));
    TRY("S EL2 mrs vsttbr_el2", "mrs x0, vsttbr_el2");
    write_sysreg(cnthps_cval_el2, 0x123456789ul);
    write_sysreg(cnthps_ctl_el2, 3);
    show("CNTHPS_CVAL_EL2", read_sysreg(cnthps_cval_el2));
    show("CNTHPS_CTL_EL2", read_sysreg(cnthps_ctl_el2) & 3);
    write_sysreg(cnthps_ctl_el2, 0);
    write_sysreg(cnthvs_cval_el2, 0x42ul);
    show("CNTHVS_CVAL_EL2", read_sysreg(cnthvs_cval_el2));
    write_sysreg(vstcr_el2, ~0ul);
    show("VSTCR_EL2 after writing all ones", read_sysreg(vstcr_el2));
    // Stage 2 for Secure EL1&0.
    write_sysreg(vstcr_el2, VSTCR);
    write_sysreg(vsttbr_el2, (u64)s2l1);
    write_sysreg(vtcr_el2, VTCR);
    write_sysreg(vttbr_el2, (u64)ns2l1);
    __asm__ volatile("dsb sy; tlbi alle1; dsb sy; isb");
    write_sysreg(hcr_el2, HCR_RW | arg);
    return arg;
}

static u64 show_hpfar(u64 arg) {
    u64 h = read_sysreg(hpfar_el2);
    puts_("HPFAR_EL2: NS ");
    put_dec(h >> 63);
    puts_(" FIPA ");
    put_hex(((h >> 4) & 0xffffffffffful) << 12);
    puts_("\n");
    return arg;
}

static u64 s_el1_off(u64 arg) {
    TRY_VA("S EL1 load TV (Secure IPA, mapped)", "mov x0, %[a]\n ldr x1, [x0]", TV);
    puts_("  value ");
    put_hex(*(volatile u64 *)TV);
    puts_("\n");
    TRY_VA("S EL1 load TV+4K (Secure IPA, unmapped)", "mov x0, %[a]\n ldr x1, [x0]", TV + 4096);
    TRY("S EL1 hvc #1", "hvc #1");
    return arg;
}

static u64 s_el1_on(u64 arg) {
    TRY_VA("S EL1 load TV (stage 1 NS 0)", "mov x0, %[a]\n ldr x1, [x0]", TV);
    TRY_VA("S EL1 load TV+4K (stage 1 NS 1)", "mov x0, %[a]\n ldr x1, [x0]", TV + 4096);
    u64 par;
    __asm__ volatile("at s1e1r, %1\n isb\n mrs %0, par_el1" : "=r"(par) : "r"(TV + 4096));
    puts_("  at s1e1r TV+4K: NS ");
    put_dec((par >> 9) & 1);
    puts_("\n");
    return arg;
}

int main(void) {
    puts_("sel2\n");
    puts_("ID_AA64PFR0_EL1.SEL2: ");
    put_dec((read_sysreg(id_aa64pfr0_el1) >> 36) & 15);
    puts_("\n");
    TRY("EL3 mrs cnthps_ctl_el2, EEL2 0", "mrs x0, cnthps_ctl_el2");
    TRY("EL3 mrs vsttbr_el2, EEL2 0", "mrs x0, vsttbr_el2");
    run_at(2, ns_el2, 0);

    *(volatile u64 *)data = 0x5a5a;
    s2l1[0] = 0 | S2_DEVICE | S2_RW | AF | XN | BLOCK;
    s2l1[1] = RAM | S2_NORMAL | S2_RW | ISH | AF | BLOCK;
    s2l1[2] = (u64)s2l2_tv | TABLE;
    s2l2_tv[0] = (u64)s2l3_tv | TABLE;
    s2l3_tv[0] = (u64)data | S2_NORMAL | S2_RW | ISH | AF | PAGE;

    u64 scr = read_sysreg(scr_el3);
    write_sysreg(scr_el3, (scr & ~SCR_NS) | SCR_EEL2);
    TRY("EL3 mrs cnthps_ctl_el2, EEL2 1", "mrs x0, cnthps_ctl_el2");
    run_at(2, s_el2, HCR_VM);
    run_at(1, s_el1_off, 0);
    run_at(2, show_hpfar, 0);

    // Secure EL1's stage 1: TV is the data page (NS 0), TV+4K the next one with NS 1.
    test_tables(l1, l2_ram, l2_dev, l2_tv, l3_tv, data);
    l3_tv[1] |= NS;
    write_sysreg(mair_el1, 0x00fful);
    write_sysreg(tcr_el1, (2ul << 32) | (1ul << 23) | (3ul << 12) | (1ul << 10) | (1ul << 8) | 25);
    write_sysreg(ttbr0_el1, (u64)l1);
    __asm__ volatile("dsb sy; tlbi alle1; dsb sy; isb");
    write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) | 1 | (1 << 2) | (1 << 12));
    run_at(1, s_el1_on, 0);
    run_at(2, show_hpfar, 0);
    write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) & ~1ul);
    run_at(2, s_el2, 0);
    write_sysreg(scr_el3, scr);
    puts_("done\n");
    return 0;
}
