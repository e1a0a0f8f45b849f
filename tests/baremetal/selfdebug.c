// Self-hosted debug: the OS Lock, MDSCR_EL1.MDE and KDE, PSTATE.D and MDCR_EL2.TDE deciding
// whether debug exceptions happen and where they go; breakpoints (address match at EL1, EL0
// and EL2, the PMC/HMC/SSC state match, Secure state and MDCR_EL3.SDD, address match linked
// to a context-aware breakpoint on CONTEXTIDR_EL1); software step at EL0 and EL1 (ISV, EX
// after a Load-Exclusive, an SVC stepped, the step pending after an exception return);
// watchpoints (LSC, BAS, MASK, an unprivileged store, DC ZVA, the FAR each reports).
#include "lib.h"

__asm__(".arch armv8.1-a");

#define SCR_NS (1ul << 0)
#define SCR_BASE ((1ul << 8) | (1ul << 10) | 0x30ul)
#define MDSCR_SS (1ul << 0)
#define MDSCR_KDE (1ul << 13)
#define MDSCR_MDE (1ul << 15)
#define MDCR_TDE (1ul << 8)
#define MDCR3_SDD (1ul << 16)

// DBGBCR: E, PMC (2:1), BAS (8:5) all ones, HMC (13), SSC (15:14), LBN (19:16), BT (23:20).
#define BCR(pmc, hmc, ssc, bt, lbn)                                                          \
    (1ul | ((u64)(pmc) << 1) | (0xful << 5) | ((u64)(hmc) << 13) | ((u64)(ssc) << 14) |     \
     ((u64)(lbn) << 16) | ((u64)(bt) << 20))
// DBGWCR: E, PAC (2:1), LSC (4:3), BAS (12:5), MASK (28:24).
#define WCR(pac, lsc, bas, mask)                                                             \
    (1ul | ((u64)(pac) << 1) | ((u64)(lsc) << 3) | ((u64)(bas) << 5) | ((u64)(mask) << 24))

extern char bp_code[], bp_insn[], step_code[], step_el1_code[];
__asm__(".text\n .balign 4\n .global bp_code, bp_insn, step_code, step_el1_code\n"
        "bp_code: nop\n"
        "bp_insn: add x0, x0, #1\n"
        " nop\n"
        " ret\n"
        // x0: a doubleword to load exclusively.
        "step_code: mov x1, x0\n"
        " ldxr x2, [x1]\n"
        " add x2, x2, #1\n"
        " clrex\n"
        " svc #0\n"
        " nop\n"
        " mov x0, #0\n"
        " ret\n"
        "step_el1_code: msr daifclr, #8\n"
        " nop\n"
        " ldaxr x2, [x0]\n"
        " clrex\n"
        " nop\n"
        " msr daifset, #8\n"
        // Inactive here; active again (pending, nothing stepped: ISV 0) after the DAIFClr.
        " nop\n"
        " msr daifclr, #8\n"
        " nop\n"
        " msr daifset, #8\n"
        " mov x0, #0\n"
        " ret\n");

static u64 wvar[2] __attribute__((aligned(16)));
static u8 wpage[2 * 4096] __attribute__((aligned(4096)));
static u64 word __attribute__((aligned(8)));

// Software step: each step exception the hook sees, up to `step_limit`, after which it stops
// stepping (MDSCR_EL1.SS = 0); until then it steps the next instruction (SPSR.SS = 1).
static volatile u64 steps, step_limit;
static volatile u64 step_elr[16], step_esr[16], step_el[16];

static u64 step_hook(u64 el, u64 esr, u64 elr) {
    u64 ec = esr >> 26;
    if (ec != 0x32 && ec != 0x33)
        return 0;
    u64 n = steps;
    if (n < 16) {
        step_elr[n] = elr;
        step_esr[n] = esr;
        step_el[n] = el;
    }
    steps = n + 1;
    if (n + 1 >= step_limit) {
        write_sysreg(mdscr_el1, read_sysreg(mdscr_el1) & ~MDSCR_SS);
    } else if (el == 2) {
        write_sysreg(spsr_el2, read_sysreg(spsr_el2) | (1ul << 21));
    } else {
        write_sysreg(spsr_el1, read_sysreg(spsr_el1) | (1ul << 21));
    }
    return elr;
}

static void put_code_addr(u64 a) {
    static const struct {
        const char *name;
        char *at;
    } labels[] = {{"step_code", step_code}, {"step_el1_code", step_el1_code}};
    for (unsigned i = 0; i < sizeof labels / sizeof labels[0]; i++) {
        u64 base = (u64)labels[i].at;
        if (a >= base && a - base < 96) {
            puts_(labels[i].name);
            puts_("+");
            put_dec(a - base);
            return;
        }
    }
    puts_("elsewhere");
}

// One line: the count, then each step exception's level, EC, ISS and return address.
static void show_steps(const char *name) {
    puts_(name);
    puts_(": ");
    put_dec(steps);
    puts_(" steps");
    for (u64 i = 0; i < steps && i < 16; i++) {
        puts_(i ? ", EL" : ": EL");
        put_dec(step_el[i]);
        puts_(" EC ");
        put_hex(step_esr[i] >> 26);
        puts_(" ISS ");
        put_hex(step_esr[i] & 0x1ffffff);
        puts_(" at ");
        put_code_addr(step_elr[i]);
    }
    puts_("\n");
}

static void run_steps(const char *name, u64 el, u64 (*fn)(u64), u64 arg, u64 limit) {
    steps = 0;
    step_limit = limit;
    sync_hook = step_hook;
    write_sysreg(mdscr_el1, read_sysreg(mdscr_el1) | MDSCR_SS);
    run_at(el, fn, arg);
    write_sysreg(mdscr_el1, read_sysreg(mdscr_el1) & ~MDSCR_SS);
    sync_hook = 0;
    show_steps(name);
}

// The case being run: each result line starts with it.
static const char *volatile section;

static u64 bp_el1(u64 arg) {
    puts_(section);
    TRY(", D set", "bl bp_code");
    __asm__ volatile("msr daifclr, #8");
    puts_(section);
    TRY(", D clear", "bl bp_code");
    __asm__ volatile("msr daifset, #8");
    return arg;
}

static u64 bp_el0(u64 arg) {
    puts_(section);
    TRY(", EL0", "bl bp_code");
    return arg;
}

static u64 bp_el2(u64 arg) {
    __asm__ volatile("msr daifclr, #8");
    puts_(section);
    TRY(", EL2", "bl bp_code");
    __asm__ volatile("msr daifset, #8");
    return arg;
}

static void bp(const char *name, u64 bcr) {
    write_sysreg(dbgbvr0_el1, (u64)bp_insn);
    write_sysreg(dbgbcr0_el1, bcr);
    section = name;
    run_at(1, bp_el1, 0);
    run_at(0, bp_el0, 0);
    write_sysreg(dbgbcr0_el1, 0);
}

static u64 watch_el1(u64 arg) {
    u64 w = (u64)wvar, p = (u64)wpage;
    __asm__ volatile("msr daifclr, #8");
    puts_(section);
    TRY_VA(", str x", "str xzr, [%[a]]", w);
    show("    FAR-wvar", last.far - w);
    puts_(section);
    TRY_VA(", ldr x", "ldr x0, [%[a]]", w);
    show("    FAR-wvar", last.far - w);
    puts_(section);
    TRY_VA(", strb +1", "strb wzr, [%[a], #1]", w);
    show("    FAR-wvar", last.far - w);
    puts_(section);
    TRY_VA(", ldrh +2", "ldrh w0, [%[a], #2]", w);
    show("    FAR-wvar", last.far - w);
    puts_(section);
    TRY_VA(", stp from -8", "stp xzr, xzr, [%[a], #-8]", w);
    show("    FAR-wvar", last.far - w);
    puts_(section);
    TRY_VA(", str +8", "str xzr, [%[a], #8]", w);
    show("    FAR-wvar", last.far - w);
    puts_(section);
    TRY_VA(", sttr", "sttr xzr, [%[a]]", w);
    show("    FAR-wvar", last.far - w);
    puts_(section);
    TRY_VA(", ldxr", "ldxr x0, [%[a]]", w);
    show("    FAR-wvar", last.far - w);
    puts_(section);
    TRY_VA(", ldadd", "ldadd xzr, x0, [%[a]]", w);
    show("    FAR-wvar", last.far - w);
    puts_(section);
    TRY_VA(", page str +0x808", "str xzr, [%[a], #0x808]", p);
    show("    FAR-wpage", last.far - p);
    puts_(section);
    TRY_VA(", page stp from +0xff8", "add x0, %[a], #0xff8\n stp xzr, xzr, [x0]", p);
    show("    FAR-wpage", last.far - p);
    puts_(section);
    TRY_VA(", page dc zva +0x40", "add x0, %[a], #0x40\n dc zva, x0", p);
    show("    FAR-wpage", last.far - p);
    puts_(section);
    TRY_VA(", page ldr +0x1000", "ldr x0, [%[a], #0x1000]", p);
    show("    FAR-wpage", last.far - p);
    __asm__ volatile("msr daifset, #8");
    return arg;
}

static void watch(const char *name, u64 n, u64 wvr, u64 wcr) {
    if (n == 0) {
        write_sysreg(dbgwvr0_el1, wvr);
        write_sysreg(dbgwcr0_el1, wcr);
    } else {
        write_sysreg(dbgwvr3_el1, wvr);
        write_sysreg(dbgwcr3_el1, wcr);
    }
    section = name;
    last.far = 0;
    run_at(1, watch_el1, 0);
    write_sysreg(dbgwcr0_el1, 0);
    write_sysreg(dbgwcr3_el1, 0);
}

int main(void) {
    puts_("selfdebug\n");
    u64 dfr0 = read_sysreg(id_aa64dfr0_el1);
    show("ID_AA64DFR0_EL1.DebugVer", dfr0 & 15);
    show("ID_AA64DFR0_EL1.BRPs", (dfr0 >> 12) & 15);
    show("ID_AA64DFR0_EL1.WRPs", (dfr0 >> 20) & 15);
    show("ID_AA64DFR0_EL1.CTX_CMPs", (dfr0 >> 28) & 15);
    show("OSLSR_EL1 at reset", read_sysreg(oslsr_el1));
    write_sysreg(scr_el3, SCR_BASE | SCR_NS);

    // Breakpoints. The OS Lock is locked at reset: nothing happens until OSLAR_EL1 unlocks.
    write_sysreg(mdscr_el1, MDSCR_MDE | MDSCR_KDE);
    bp("bp, OS Lock locked", BCR(3, 0, 0, 0, 0));
    write_sysreg(oslar_el1, 0);
    show("OSLSR_EL1 unlocked", read_sysreg(oslsr_el1));
    bp("bp EL1 and EL0", BCR(3, 0, 0, 0, 0));
    bp("bp EL1 only", BCR(1, 0, 0, 0, 0));
    bp("bp EL0 only", BCR(2, 0, 0, 0, 0));
    bp("bp Secure only", BCR(3, 0, 2, 0, 0));
    write_sysreg(mdscr_el1, MDSCR_MDE);
    bp("bp, KDE clear", BCR(3, 0, 0, 0, 0));
    write_sysreg(mdscr_el1, MDSCR_KDE);
    bp("bp, MDE clear", BCR(3, 0, 0, 0, 0));
    write_sysreg(mdscr_el1, MDSCR_MDE | MDSCR_KDE);
    // MDCR_EL2.TDE: EL1 and EL0's debug exceptions go to EL2, whatever KDE and D.
    write_sysreg(mdcr_el2, MDCR_TDE);
    bp("bp, TDE", BCR(3, 0, 0, 0, 0));
    // EL2: HMC with SSC 01 (Non-secure), PMC 00.
    write_sysreg(dbgbvr0_el1, (u64)bp_insn);
    write_sysreg(dbgbcr0_el1, BCR(0, 1, 1, 0, 0));
    section = "bp EL2 (HMC, SSC 01)";
    run_at(2, bp_el2, 0);
    run_at(1, bp_el1, 0);
    write_sysreg(dbgbcr0_el1, BCR(3, 0, 0, 0, 0));
    section = "bp EL1 and EL0 at EL2";
    run_at(2, bp_el2, 0);
    write_sysreg(dbgbcr0_el1, 0);
    write_sysreg(mdcr_el2, 0);

    // Linked: address match on breakpoint 0 linked to breakpoint 4's CONTEXTIDR_EL1 match.
    write_sysreg(dbgbvr4_el1, 0x1234);
    write_sysreg(dbgbcr4_el1, BCR(3, 0, 0, 3, 0));
    write_sysreg(contextidr_el1, 0x1234);
    bp("bp linked, CONTEXTIDR_EL1 matches", BCR(3, 0, 0, 1, 4));
    write_sysreg(contextidr_el1, 0x1235);
    bp("bp linked, CONTEXTIDR_EL1 differs", BCR(3, 0, 0, 1, 4));
    write_sysreg(dbgbcr4_el1, 0);
    write_sysreg(contextidr_el1, 0);

    // Secure EL1 and EL0 (SCR_EL3.NS clear): SSC picks the Security state; MDCR_EL3.SDD
    // disables debug exceptions in Secure state.
    write_sysreg(scr_el3, SCR_BASE);
    bp("Secure: bp both states", BCR(3, 0, 0, 0, 0));
    bp("Secure: bp Non-secure only", BCR(3, 0, 1, 0, 0));
    bp("Secure: bp Secure only", BCR(3, 0, 2, 0, 0));
    write_sysreg(mdcr_el3, MDCR3_SDD);
    bp("Secure: bp, SDD", BCR(3, 0, 0, 0, 0));
    write_sysreg(mdcr_el3, 0);
    write_sysreg(scr_el3, SCR_BASE | SCR_NS);

    // Software step.
    write_sysreg(mdscr_el1, 0);
    run_steps("step EL0, KDE clear", 0, (u64(*)(u64))step_code, (u64)&word, 12);
    run_steps("step EL1, KDE clear", 1, (u64(*)(u64))step_el1_code, (u64)&word, 12);
    write_sysreg(mdscr_el1, MDSCR_KDE);
    run_steps("step EL1, KDE set", 1, (u64(*)(u64))step_el1_code, (u64)&word, 12);
    write_sysreg(mdscr_el1, 0);
    write_sysreg(mdcr_el2, MDCR_TDE);
    run_steps("step EL1, TDE", 1, (u64(*)(u64))step_el1_code, (u64)&word, 4);
    write_sysreg(mdcr_el2, 0);
    write_sysreg(oslar_el1, 1);
    run_steps("step EL0, OS Lock locked", 0, (u64(*)(u64))step_code, (u64)&word, 12);
    write_sysreg(oslar_el1, 0);

    // Watchpoints, at EL1 with D clear.
    write_sysreg(mdscr_el1, MDSCR_MDE | MDSCR_KDE);
    watch("wp stores, all 8 bytes", 0, (u64)wvar, WCR(1, 2, 0xff, 0));
    watch("wp loads and stores, bytes 2-3", 0, (u64)wvar, WCR(1, 3, 0x0c, 0));
    watch("wp loads, the word at +4 (wp 3)", 3, (u64)wvar + 4, WCR(1, 1, 0x1, 0));
    watch("wp stores, EL0 only", 0, (u64)wvar, WCR(2, 2, 0xff, 0));
    watch("wp stores, MASK 12", 0, (u64)wpage, WCR(3, 2, 0xff, 12));
    write_sysreg(mdcr_el2, MDCR_TDE);
    watch("wp stores, TDE", 0, (u64)wvar, WCR(3, 2, 0xff, 0));
    write_sysreg(mdcr_el2, 0);
    write_sysreg(mdscr_el1, 0);
    puts_("done\n");
    return 0;
}
