// The Armv8.1-8.3 EL1 features: PAN (PSTATE.PAN and its Permission faults, LDTR and AT
// S1E1R unaffected), UAO (LDTR/STTR made privileged), PAN2 (AT S1E1RP/WP), RAS (no error
// records; a virtual SError deferred by ESB into VDISR_EL2, then taken with VSESR_EL2's
// syndrome), and pointer authentication at EL1 (SCTLR_EL1.EnIA, the architected QARMA5
// PAC of a known key, AUT failure codes, HCR_EL2.API and SCR_EL3.API traps).
#include "pt.h"

// The instructions and registers these tests name need a newer assembler target.
__asm__(".arch armv8.3-a+ras");

static u64 l1[512] __attribute__((aligned(4096)));
static u64 l2_ram[512] __attribute__((aligned(4096)));
static u64 l2_tv[512] __attribute__((aligned(4096)));
static u64 l3_tv[512] __attribute__((aligned(4096)));
static u64 l2_dev[512] __attribute__((aligned(4096)));
static char data[2 * 4096] __attribute__((aligned(4096)));

static void print_par(const char *name, u64 par) {
    puts_(name);
    puts_(": PAR ");
    put_hex(par & 1 ? par & 0x3ff : par & 0xff0ffffffffff001ul);
    puts_("\n");
}

static u64 pan_el1(u64 arg) {
    u64 par;
    TRY_VA("EL1 load EL0 page, PAN 0", "mov x0, %[a]\n ldr x1, [x0]", TV);
    __asm__ volatile("msr pan, #1\n isb");
    puts_("PAN after msr pan, #1: ");
    put_hex(read_sysreg(pan));
    puts_("\n");
    TRY_VA("EL1 load EL0 page, PAN 1", "mov x0, %[a]\n ldr x1, [x0]", TV);
    TRY_VA("EL1 store EL0 page, PAN 1", "mov x0, %[a]\n str x1, [x0]", TV);
    TRY_VA("EL1 ldtr EL0 page, PAN 1", "mov x0, %[a]\n ldtr x1, [x0]", TV);
    TRY_VA("EL1 load EL1 page, PAN 1", "mov x0, %[a]\n ldr x1, [x0]", TV + 4096);
    TRY_VA("EL1 ldtr EL1 page", "mov x0, %[a]\n ldtr x1, [x0]", TV + 4096);
    __asm__ volatile("at s1e1r, %1\n isb\n mrs %0, par_el1" : "=r"(par) : "r"(TV));
    print_par("at s1e1r EL0 page, PAN 1", par - (u64)data);
    __asm__ volatile("at s1e1rp, %1\n isb\n mrs %0, par_el1" : "=r"(par) : "r"(TV));
    print_par("at s1e1rp EL0 page, PAN 1", par);
    __asm__ volatile("at s1e1wp, %1\n isb\n mrs %0, par_el1" : "=r"(par) : "r"(TV + 4096));
    print_par("at s1e1wp EL1 page, PAN 1", par - (u64)data - 4096);
    // UAO: LDTR is an ordinary EL1 access, so PAN applies to it and EL1-only pages work.
    __asm__ volatile("msr uao, #1\n isb");
    TRY_VA("EL1 ldtr EL1 page, UAO 1", "mov x0, %[a]\n ldtr x1, [x0]", TV + 4096);
    TRY_VA("EL1 ldtr EL0 page, UAO 1 PAN 1", "mov x0, %[a]\n ldtr x1, [x0]", TV);
    __asm__ volatile("msr uao, #0\n msr pan, #0\n isb");
    TRY_VA("EL1 load EL0 page, PAN 0 again", "mov x0, %[a]\n ldr x1, [x0]", TV);
    puts_("PAN, UAO via MSR: ");
    write_sysreg(pan, 1ul << 22);
    put_hex(read_sysreg(pan));
    puts_(" ");
    write_sysreg(uao, 1ul << 23);
    put_hex(read_sysreg(uao));
    write_sysreg(pan, 0);
    write_sysreg(uao, 0);
    puts_("\n");
    return arg;
}

// ---- RAS ---------------------------------------------------------------------------------

static u64 ras_el2_arm(u64 arg) {
    // AMO routes SErrors to EL2; VSE asserts a virtual SError with VSESR_EL2's syndrome.
    write_sysreg(vsesr_el2, 0x1234ul);
    write_sysreg(hcr_el2, (1ul << 31) | (1ul << 5) | (1ul << 8) | (1ul << 41) | (1ul << 40));
    return arg;
}

static u64 ras_el2_report(u64 arg) {
    puts_("VDISR_EL2: ");
    put_hex(read_sysreg(vdisr_el2));
    puts_(" HCR_EL2.VSE: ");
    put_dec((read_sysreg(hcr_el2) >> 8) & 1);
    puts_("\n");
    write_sysreg(vdisr_el2, 0);
    return arg;
}

static u64 ras_el1(u64 arg) {
    puts_("ERRIDR_EL1: ");
    put_hex(read_sysreg(erridr_el1));
    puts_(" DISR_EL1: ");
    put_hex(read_sysreg(disr_el1));
    puts_("\n");
    // PSTATE.A is set (run_at masks DAIF): ESB defers the virtual SError.
    TRY("EL1 esb with a masked virtual SError", "esb");
    puts_("DISR_EL1 (VDISR_EL2 under AMO): ");
    put_hex(read_sysreg(disr_el1));
    puts_("\n");
    return arg;
}

static u64 ras_el1_unmask(u64 arg) {
    TRY("EL1 unmask a virtual SError", "msr daifclr, #4\n nop\n nop");
    return arg;
}

// ---- Pointer authentication ----------------------------------------------------------------

static u64 pac_el1(u64 arg) {
    u64 ptr = 0x0000000040123450ul, mod = 0x1122334455667788ul, r;
    write_sysreg(apiakeylo_el1, 0x0123456789abcdeful);
    write_sysreg(apiakeyhi_el1, 0xfedcba9876543210ul);
    __asm__ volatile("mov x0, %1\n pacia x0, %2\n mov %0, x0" : "=r"(r) : "r"(ptr), "r"(mod) : "x0");
    puts_("pacia, EnIA 0: ");
    put_hex(r);
    puts_("\n");
    write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) | (1ul << 31));
    __asm__ volatile("mov x0, %1\n pacia x0, %2\n mov %0, x0" : "=r"(r) : "r"(ptr), "r"(mod) : "x0");
    puts_("pacia, EnIA 1: ");
    put_hex(r);
    puts_("\n");
    u64 a;
    __asm__ volatile("mov x0, %1\n autia x0, %2\n mov %0, x0" : "=r"(a) : "r"(r), "r"(mod) : "x0");
    puts_("autia, right modifier: ");
    put_hex(a);
    puts_("\n");
    // With FEAT_FPAC the AUTIA below faults (the handler resumes after it), so x0 keeps r.
    __asm__ volatile("mov x0, %1\n autia x0, %2\n mov %0, x0" : "=r"(a) : "r"(r), "r"(mod + 1) : "x0");
    puts_("autia, wrong modifier: ");
    put_hex(a);
    puts_("\n");
    u64 kernel = 0xffff800012345678ul;
    __asm__ volatile("mov x0, %1\n pacia x0, %2\n mov %0, x0" : "=r"(r) : "r"(kernel), "r"(mod) : "x0");
    puts_("pacia, upper half: ");
    put_hex(r);
    puts_("\n");
    __asm__ volatile("mov x0, %1\n xpaci x0\n mov %0, x0" : "=r"(a) : "r"(r) : "x0");
    puts_("xpaci: ");
    put_hex(a);
    puts_("\n");
    __asm__ volatile("mov x0, %1\n pacga x0, x0, %2\n mov %0, x0" : "=r"(r) : "r"(ptr), "r"(mod) : "x0");
    puts_("pacga (key 0): ");
    put_hex(r);
    puts_("\n");
    // FEAT_FPAC: a failed AUT* is a PAC Fail exception (EC 0x1C, ISS bit 1 the data key, bit 0
    // key B) rather than a poisoned pointer; FEAT_FPACCOMBINE extends that to the forms that
    // branch or load with the result (here LDRAA, a data key A load).
    __asm__ volatile("mov x0, %1\n pacia x0, %2\n mov %0, x0" : "=r"(r) : "r"(ptr), "r"(mod) : "x0");
    TRY_VA("EL1 autiza of a PACIA pointer", "mov x0, %[a]\n autiza x0", r);
    write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) | (1ul << 30) | (1ul << 27));
    TRY_VA("EL1 autizb of a PACIA pointer", "mov x0, %[a]\n autizb x0", r);
    TRY_VA("EL1 ldraa of an unsigned pointer", "mov x0, %[a]\n ldraa x1, [x0]", ptr);
    write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) & ~((1ul << 30) | (1ul << 27)));
    return arg;
}

static u64 pac_el1_trapped(u64 arg) {
    TRY("EL1 pacia with HCR_EL2.API 0", "pacia x0, x1");
    TRY("EL1 xpaci with HCR_EL2.API 0", "xpaci x0");
    write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) & ~(1ul << 31));
    TRY("EL1 pacia, EnIA 0, API 0", "pacia x0, x1");
    return arg;
}

static u64 set_hcr(u64 v) {
    write_sysreg(hcr_el2, v);
    return v;
}

int main(void) {
    puts_("pan\n");
    // EL1&0: 4K granule, 39-bit VAs from level 1: RAM and the UART for EL1, and two test
    // pages: TV readable and writable at EL0 (so PAN covers it), TV+4K for EL1 only.
    test_tables(l1, l2_ram, l2_dev, l2_tv, l3_tv, data);
    write_sysreg(mair_el1, 0x00fful);
    write_sysreg(tcr_el1, (2ul << 32) | (1ul << 23) | (3ul << 12) | (1ul << 10) | (1ul << 8) | 25);
    write_sysreg(ttbr0_el1, (u64)l1);
    __asm__ volatile("dsb sy; tlbi alle1; dsb sy; isb" ::: "memory");
    // SPAN = 1 (bit 23): exception entry leaves PAN alone. M, C, I.
    write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) | 1 | (1 << 2) | (1 << 12) | (1ul << 23));
    run_at(1, pan_el1, 0);

    run_at(2, ras_el2_arm, 0);
    run_at(1, ras_el1, 0);
    run_at(2, ras_el2_report, 0);
    run_at(2, ras_el2_arm, 0);
    run_at(1, ras_el1_unmask, 0);
    run_at(2, ras_el2_report, 0);

    // PAuth: HCR_EL2.API/APK and SCR_EL3.API/APK let EL1 use it; then HCR_EL2.API traps.
    write_sysreg(scr_el3, read_sysreg(scr_el3) | (1ul << 16) | (1ul << 17));
    run_at(2, set_hcr, (1ul << 31) | (1ul << 40) | (1ul << 41));
    run_at(1, pac_el1, 0);
    run_at(2, set_hcr, (1ul << 31) | (1ul << 40));
    run_at(1, pac_el1_trapped, 0);
    run_at(2, set_hcr, 1ul << 31);
    write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) & ~1ul);
    puts_("done\n");
    return 0;
}
