// The Armv8.7 system features that v9.1's `max` offers: PAN3 (SCTLR_EL1.EPAN: with PSTATE.PAN,
// privileged data accesses to pages EL0 may execute fault too, AT S1E1RP included), HCX
// (HCRX_EL2, trapped to EL3 without SCR_EL3.HXEn, UNDEFINED at EL1), XS (TLBI nXS and DSB nXS;
// HFGITR_EL2's TLBI trap of the nXS form unless HCRX_EL2.FGTnXS), and WFxT (WFIT and WFET with
// a past and a near timeout; their traps' syndromes, with the register in ISS.RN).
#include "pt.h"

// binutils 2.40 knows DSB nXS and WFxT but not the TLBI nXS names: those are SYS with CRn 9.
__asm__(".arch armv8.7-a");

#define SCR_BASE ((1ul << 0) | (1ul << 8) | (1ul << 10) | 0x30ul)
#define SCR_FGTEN (1ul << 27)
#define SCR_HXEN (1ul << 38)
#define HCR_RW (1ul << 31)
#define HCR_TWI (1ul << 13)
#define HCR_TWE (1ul << 14)
#define EPAN (1ul << 57)

static u64 l1[512] __attribute__((aligned(4096)));
static u64 l2_ram[512] __attribute__((aligned(4096)));
static u64 l2_tv[512] __attribute__((aligned(4096)));
static u64 l3_tv[512] __attribute__((aligned(4096)));
static u64 l2_dev[512] __attribute__((aligned(4096)));
static char data[3 * 4096] __attribute__((aligned(4096)));

static void print_par(const char *name, u64 par) {
    puts_(name);
    puts_(": PAR ");
    put_hex(par & 1 ? par & 0x3ff : (par & 0xff0ffffffffff001ul) - (u64)data);
    puts_("\n");
}

// TV+8K: no EL0 data access (AP 00) but EL0-executable (UXN 0, PXN 1).
static u64 pan3_el1(u64 arg) {
    u64 par;
    __asm__ volatile("msr pan, #1\n isb");
    TRY_VA("EL1 load EL0-exec page, PAN 1, EPAN 0", "mov x0, %[a]\n ldr x1, [x0]", TV + 8192);
    write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) | EPAN);
    show("SCTLR_EL1.EPAN", (read_sysreg(sctlr_el1) >> 57) & 1);
    TRY_VA("EL1 load EL0-exec page, PAN 1, EPAN 1", "mov x0, %[a]\n ldr x1, [x0]", TV + 8192);
    TRY_VA("EL1 store EL0-exec page, PAN 1, EPAN 1", "mov x0, %[a]\n str x1, [x0]", TV + 8192);
    TRY_VA("EL1 load EL1 page, PAN 1, EPAN 1", "mov x0, %[a]\n ldr x1, [x0]", TV + 4096);
    TRY_VA("EL1 ldtr EL0-exec page, EPAN 1", "mov x0, %[a]\n ldtr x1, [x0]", TV + 8192);
    __asm__ volatile("at s1e1rp, %1\n isb\n mrs %0, par_el1" : "=r"(par) : "r"(TV + 8192));
    print_par("at s1e1rp EL0-exec page, EPAN 1", par);
    __asm__ volatile("at s1e1r, %1\n isb\n mrs %0, par_el1" : "=r"(par) : "r"(TV + 8192));
    print_par("at s1e1r EL0-exec page, EPAN 1", par);
    __asm__ volatile("msr pan, #0\n isb");
    TRY_VA("EL1 load EL0-exec page, PAN 0, EPAN 1", "mov x0, %[a]\n ldr x1, [x0]", TV + 8192);
    write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) & ~EPAN);
    return arg;
}

static u64 hcx_el2(u64 arg) {
    TRY("EL2 mrs hcrx_el2", "mrs x0, hcrx_el2");
    TRY("EL2 msr hcrx_el2", "msr hcrx_el2, xzr");
    return arg;
}

static u64 hcrx_write(u64 v) {
    write_sysreg(hcrx_el2, v);
    show("HCRX_EL2", read_sysreg(hcrx_el2));
    return v;
}

static u64 xs_el1(u64 arg) {
    TRY("EL1 mrs hcrx_el2", "mrs x0, hcrx_el2");
    TRY("EL1 tlbi vmalle1nxs", "sys #0, c9, c7, #0");
    TRY("EL1 tlbi vmalle1isnxs", "sys #0, c9, c3, #0");
    TRY("EL1 dsb synxs", "dsb synxs");
    TRY("EL1 dsb ishnxs", "dsb ishnxs");
    return arg;
}

static u64 xs_el0(u64 arg) {
    TRY("EL0 dsb nshnxs", "dsb nshnxs");
    TRY("EL0 tlbi vmalle1nxs", "sys #0, c9, c7, #0");
    return arg;
}

static u64 xs_el2(u64 arg) {
    TRY("EL2 tlbi alle2nxs", "sys #4, c9, c7, #0");
    TRY("EL2 tlbi vmalls12e1nxs", "sys #4, c9, c7, #6");
    return arg;
}

static u64 wfxt_el1(u64 arg) {
    TRY("EL1 wfit, timeout 0", "mov x1, #0\n wfit x1");
    TRY("EL1 wfet, timeout 0", "mov x1, #0\n wfet x1");
    TRY("EL1 wfit xzr", "wfit xzr");
    // 640 ticks of the 62.5 MHz counter: about 10 us.
    TRY("EL1 wfit, near timeout", "mrs x1, cntvct_el0\n add x1, x1, #640\n wfit x1");
    TRY("EL1 wfet, near timeout", "mrs x2, cntvct_el0\n add x2, x2, #640\n wfet x2");
    return arg;
}

// A wait that completes at once (its timeout passed, or for WFET the Event Register set) is
// not trapped: the traps catch only what would enter a low-power state.
static u64 wfxt_el1_trapped(u64 arg) {
    TRY("EL1 wfit, timeout 0, TWI", "mov x1, #0\n wfit x1");
    TRY("EL1 wfit x2, far timeout, TWI", "mov x2, #-1\n wfit x2");
    TRY("EL1 wfet, event set, TWE", "sevl\n mov x1, #-1\n wfet x1");
    TRY("EL1 wfet x1, far timeout, TWE", "mov x1, #-1\n wfet x1");
    TRY("EL1 wfi, TWI", "wfi");
    return arg;
}

static u64 wfxt_el0(u64 arg) {
    TRY("EL0 wfit, timeout 0, nTWI 0", "mov x2, #0\n wfit x2");
    TRY("EL0 wfit x2, far timeout, nTWI 0", "mov x2, #-1\n wfit x2");
    TRY("EL0 wfet x1, far timeout, nTWE 0", "mov x1, #-1\n wfet x1");
    return arg;
}

int main(void) {
    puts_("v87\n");
    u64 mmfr1 = read_sysreg(id_aa64mmfr1_el1);
    show("ID_AA64MMFR1_EL1.PAN", (mmfr1 >> 20) & 15);
    show("ID_AA64MMFR1_EL1.HCX", (mmfr1 >> 40) & 15);
    show("ID_AA64ISAR1_EL1.XS", (read_sysreg(id_aa64isar1_el1) >> 56) & 15);
    show("ID_AA64ISAR2_EL1.WFxT", read_sysreg(id_aa64isar2_el1) & 15);

    // PAN3 in EL1&0 (4K granule, 39-bit VAs). RAM is made EL0-execute-never for it, or
    // EPAN would fault EL1's own accesses to its stack and data.
    test_tables(l1, l2_ram, l2_dev, l2_tv, l3_tv, data);
    for (u64 i = 0; i < 512; i++)
        l2_ram[i] |= XN;
    l3_tv[2] = ((u64)data + 8192) | NORMAL | ISH | AF | PXN | PAGE;
    write_sysreg(mair_el1, 0x00fful);
    write_sysreg(tcr_el1, (2ul << 32) | (1ul << 23) | (3ul << 12) | (1ul << 10) | (1ul << 8) | 25);
    write_sysreg(ttbr0_el1, (u64)l1);
    __asm__ volatile("dsb sy; tlbi alle1; dsb sy; isb" ::: "memory");
    // SPAN = 1 (bit 23): exception entry leaves PAN alone. M, C, I.
    write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) | 1 | (1 << 2) | (1 << 12) | (1ul << 23));
    run_at(1, pan3_el1, 0);
    write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) & ~1ul);

    // HCX: SCR_EL3.HXEn gates EL2's access; EL3 reaches HCRX_EL2 either way.
    write_sysreg(scr_el3, SCR_BASE);
    run_at(2, hcx_el2, 0);
    write_sysreg(scr_el3, SCR_BASE | SCR_HXEN);
    run_at(2, hcx_el2, 0);
    run_at(2, hcrx_write, 0x18);
    run_at(2, hcrx_write, 0);

    // XS: the nXS forms run; HFGITR_EL2.TLBIVMALLE1 (bit 42) traps the nXS form too unless
    // HCRX_EL2.FGTnXS (bit 4).
    run_at(1, xs_el1, 0);
    run_at(0, xs_el0, 0);
    run_at(2, xs_el2, 0);
    write_sysreg(scr_el3, SCR_BASE | SCR_HXEN | SCR_FGTEN);
    write_sysreg(hfgitr_el2, 1ul << 42);
    run_at(1, xs_el1, 0);
    run_at(2, hcrx_write, 1ul << 4);
    run_at(1, xs_el1, 0);
    run_at(2, hcrx_write, 0);
    write_sysreg(hfgitr_el2, 0);
    write_sysreg(scr_el3, SCR_BASE);

    // WFxT: timeouts already past, near, and the traps (HCR_EL2.TWI/TWE to EL2, SCTLR_EL1.nTWI
    // and nTWE clear to EL1).
    run_at(1, wfxt_el1, 0);
    write_sysreg(hcr_el2, HCR_RW | HCR_TWI | HCR_TWE);
    run_at(1, wfxt_el1_trapped, 0);
    write_sysreg(hcr_el2, HCR_RW);
    u64 sctlr = read_sysreg(sctlr_el1);
    write_sysreg(sctlr_el1, sctlr & ~((1ul << 16) | (1ul << 18)));
    run_at(0, wfxt_el0, 0);
    write_sysreg(sctlr_el1, sctlr);
    puts_("done\n");
    return 0;
}
