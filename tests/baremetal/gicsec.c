// The GICv3's two Security states (GICD_CTLR.DS 0, as on QEMU virt with secure=on): the
// distributor's Secure and Non-secure views, the three interrupt groups (Group 0, Secure
// Group 1, Non-secure Group 1) and whether each is an IRQ or an FIQ at each level and Security
// state, the Non-secure views of priorities and of the priority mask, the CPU interface's
// banked registers, which group an SGI register generates (GICR_NSACR), and SCR_EL3's traps of
// the ICC registers.
#include "lib.h"

#define GICD 0x08000000ul
#define GICR 0x080a0000ul
#define SGI_BASE (GICR + 0x10000)
#define SCR_BASE ((1ul << 0) | (1ul << 8) | (1ul << 10) | 0x30ul)
#define SCR_IRQ (1ul << 1)
#define SCR_FIQ (1ul << 2)

// The SGIs under test: one in each group.
#define G0 1
#define G1S 2
#define G1NS 3

static void w32(u64 a, u32 v) { *(volatile u32 *)a = v; }
static u32 r32(u64 a) { return *(volatile u32 *)a; }
static void w8(u64 a, u8 v) { *(volatile u8 *)a = v; }
static u8 r8(u64 a) { return *(volatile u8 *)a; }

static void show32(const char *name, u32 v) { show(name, v); }

static volatile u64 seen[8];
static volatile u64 nseen;

// An FIQ or IRQ: Group 0 is acknowledged through ICC_IAR0_EL1 and a Group 1 IRQ through
// ICC_IAR1_EL1. An FIQ for a group this level cannot acknowledge (HPPIR0 reads a special
// INTID) is recorded with that INTID and its pending state cleared in the redistributor.
static void hook(u64 el, u64 offset) {
    u64 intid;
    if ((offset & 0x180) == 0x100) {
        intid = read_sysreg(S3_0_C12_C8_2); // ICC_HPPIR0_EL1
        if (intid < 1020) {
            intid = read_sysreg(S3_0_C12_C8_0); // ICC_IAR0_EL1
            write_sysreg(S3_0_C12_C8_1, intid); // ICC_EOIR0_EL1
        } else {
            w32(SGI_BASE + 0x280, (1u << G0) | (1u << G1S) | (1u << G1NS));
        }
    } else {
        intid = read_sysreg(S3_0_C12_C12_0); // ICC_IAR1_EL1
        if (intid < 1020) write_sysreg(S3_0_C12_C12_1, intid);
        else w32(SGI_BASE + 0x280, (1u << G0) | (1u << G1S) | (1u << G1NS));
    }
    if (nseen < 8) seen[nseen++] = (el << 32) | (offset << 16) | intid;
}

static void show_seen(const char *what) {
    puts_(what);
    puts_(":");
    for (u64 i = 0; i < nseen; i++) {
        u64 off = (seen[i] >> 16) & 0xffff;
        puts_((off & 0x180) == 0x100 ? " FIQ" : " IRQ");
        puts_(" at EL");
        put_dec(seen[i] >> 32);
        puts_(" vector ");
        put_hex(off);
        puts_(" INTID ");
        put_dec(seen[i] & 0xffff);
    }
    if (!nseen) puts_(" none");
    puts_("\n");
    nseen = 0;
}

static void wait_for(u64 n) {
    for (long i = 0; i < 2000000 && nseen < n; i++)
        __asm__ volatile("nop");
}

// Runs at a lower level with FIQ and IRQ unmasked until one interrupt is seen.
static u64 take_one(u64 arg) {
    write_sysreg(S3_0_C12_C12_5, 7); // ICC_SRE_EL1 (this Security state's)
    __asm__ volatile("msr daifclr, #3");
    wait_for(1);
    __asm__ volatile("msr daifset, #3");
    return arg;
}

static const char *const group_name[] = {"", "Group 0", "Secure Group 1", "Non-secure Group 1"};

// Pends SGI `n` at EL3 (with FIQ and IRQ masked there) and takes it at `el` with SCR_EL3 `scr`.
static void deliver(const char *where, u64 el, u64 scr, int n) {
    write_sysreg(scr_el3, scr);
    w32(SGI_BASE + 0x200, 1u << n);
    if (el == 3) {
        __asm__ volatile("msr daifclr, #3");
        wait_for(1);
        __asm__ volatile("msr daifset, #3");
    } else {
        run_at(el, take_one, 0);
    }
    write_sysreg(scr_el3, SCR_BASE);
    // Whatever was not taken stays pending: clear it, so the next case starts from nothing.
    w32(SGI_BASE + 0x280, 0xe);
    puts_(where);
    puts_(", ");
    puts_(group_name[n]);
    show_seen("");
}

// --- The Non-secure views, from Non-secure EL1 ---

static u64 ns_views(u64 arg) {
    write_sysreg(S3_0_C12_C12_5, 7);
    show32("NS GICD_CTLR", r32(GICD));
    show32("NS GICD_TYPER.SecurityExtn", (r32(GICD + 4) >> 10) & 1);
    show32("NS GICR_IGROUPR0", r32(SGI_BASE + 0x80));
    show32("NS GICR_IGRPMODR0", r32(SGI_BASE + 0xd00));
    show32("NS GICR_ISENABLER0 & 0xe", r32(SGI_BASE + 0x100) & 0xe);
    show32("NS GICR_IPRIORITYR SGI 1 (Group 0)", r8(SGI_BASE + 0x400 + G0));
    show32("NS GICR_IPRIORITYR SGI 3 (Non-secure Group 1)", r8(SGI_BASE + 0x400 + G1NS));
    // Writes to a Secure interrupt's state are ignored; to a Non-secure one's, the value
    // stored is the Non-secure view's, shifted into the lower half of the range.
    w8(SGI_BASE + 0x400 + G0, 0x60);
    w8(SGI_BASE + 0x400 + G1NS, 0x60);
    w32(SGI_BASE + 0x180, 1u << G1S);   // ICENABLER0
    w32(SGI_BASE + 0x80, 0xffffffff);   // IGROUPR0
    // GICD_CTLR: a Non-secure write reaches EnableGrp1NS (its bit 1) only.
    w32(GICD, 0x10);
    while (r32(GICD) & (1u << 31)) {
    }
    show32("NS GICD_CTLR after writing 0x10", r32(GICD));
    w32(GICD, 0x13);
    while (r32(GICD) & (1u << 31)) {
    }
    show32("NS GICD_CTLR after writing 0x13", r32(GICD));
    return arg;
}

// --- The priority mask's Non-secure view ---

static u64 ns_read_pmr(u64 arg) { return read_sysreg(S3_0_C4_C6_0); }
static u64 ns_write_pmr(u64 arg) {
    write_sysreg(S3_0_C4_C6_0, arg);
    return 0;
}

static void pmr_case(u64 scr, u64 secure, u64 ns_write) {
    write_sysreg(S3_0_C4_C6_0, secure);
    write_sysreg(scr_el3, scr);
    u64 ns = run_at(1, ns_read_pmr, 0);
    run_at(1, ns_write_pmr, ns_write);
    write_sysreg(scr_el3, SCR_BASE);
    puts_((scr & SCR_FIQ) ? "SCR_EL3.FIQ 1" : "SCR_EL3.FIQ 0");
    puts_(", PMR ");
    put_hex(secure);
    puts_(": Non-secure reads ");
    put_hex(ns);
    puts_(", after it writes ");
    put_hex(ns_write);
    puts_(" EL3 reads ");
    put_hex(read_sysreg(S3_0_C4_C6_0));
    puts_("\n");
}

// --- Banked CPU interface registers ---

static u64 lower_banked(u64 arg) {
    write_sysreg(S3_0_C12_C12_5, 7);
    write_sysreg(S3_0_C12_C12_3, 0); // ICC_BPR1_EL1 at its minimum
    write_sysreg(S3_0_C12_C12_4, arg); // ICC_CTLR_EL1.EOImode
    write_sysreg(S3_0_C12_C12_7, 0);   // ICC_IGRPEN1_EL1
    return (read_sysreg(S3_0_C12_C12_3) << 32) | read_sysreg(S3_0_C12_C12_4);
}

static void banked(void) {
    write_sysreg(S3_0_C12_C8_3, 0);   // ICC_BPR0_EL1
    show("EL3 ICC_BPR0_EL1 after writing 0", read_sysreg(S3_0_C12_C8_3));
    write_sysreg(S3_0_C12_C12_3, 7);
    u64 ns = run_at(1, lower_banked, 2);
    show("NS EL1 ICC_BPR1_EL1 after writing 0", ns >> 32);
    show("NS EL1 ICC_CTLR_EL1.{EOImode,CBPR} after writing EOImode", ns & 3);
    // At EL3, SCR_EL3.NS chooses the copy of a banked register: here the Non-secure one.
    show("EL3 ICC_BPR1_EL1 with SCR_EL3.NS 1 after NS EL1 wrote 0", read_sysreg(S3_0_C12_C12_3));
    // The EOImode and CBPR bits of EL3, EL1 Secure and EL1 Non-secure, RM, PMHE.
    show("ICC_CTLR_EL3 & 0x7f", read_sysreg(S3_6_C12_C12_4) & 0x7f);
    show("ICC_CTLR_EL3's read-only fields", read_sysreg(S3_6_C12_C12_4) & ~0x7ful);
    show("ICC_IGRPEN1_EL3", read_sysreg(S3_6_C12_C12_7));
    write_sysreg(scr_el3, SCR_BASE & ~1ul);
    u64 s = run_at(1, lower_banked, 0);
    write_sysreg(scr_el3, SCR_BASE);
    show("S EL1 ICC_BPR1_EL1 after writing 0", s >> 32);
    show("S EL1 ICC_CTLR_EL1.{EOImode,CBPR}", s & 3);
    show("ICC_CTLR_EL3 & 0x7f after Secure EL1 wrote EOImode 0", read_sysreg(S3_6_C12_C12_4) & 0x7f);
    show("ICC_IGRPEN1_EL3 after both wrote 0", read_sysreg(S3_6_C12_C12_7));
    write_sysreg(S3_6_C12_C12_7, 3);
    // The EL3 copy of the Non-secure BPR1: SCR_EL3.NS selects it at EL3.
    write_sysreg(scr_el3, SCR_BASE);
    write_sysreg(S3_0_C12_C12_3, 5);
    write_sysreg(scr_el3, SCR_BASE & ~1ul);
    show("EL3 ICC_BPR1_EL1 with SCR_EL3.NS 0, after writing 5 with NS 1", read_sysreg(S3_0_C12_C12_3));
    write_sysreg(scr_el3, SCR_BASE);
    show("EL3 ICC_BPR1_EL1 with SCR_EL3.NS 1", read_sysreg(S3_0_C12_C12_3));
}

// --- SGI generation ---

static u64 sgi_reg;
static u64 gen_sgis(u64 arg) {
    for (u64 n = 1; n <= 3; n++) {
        u64 v = (n << 24) | 1;
        if (sgi_reg == 0) write_sysreg(S3_0_C12_C11_7, v); // ICC_SGI0R_EL1
        else if (sgi_reg == 1) write_sysreg(S3_0_C12_C11_5, v); // ICC_SGI1R_EL1
        else write_sysreg(S3_0_C12_C11_6, v); // ICC_ASGI1R_EL1
    }
    __asm__ volatile("isb");
    return arg;
}

static const char *const sgi_name[] = {"ICC_SGI0R_EL1", "ICC_SGI1R_EL1", "ICC_ASGI1R_EL1"};

static void gen_case(const char *who, u64 el, u64 scr, u64 reg) {
    sgi_reg = reg;
    write_sysreg(scr_el3, scr);
    if (el == 3) gen_sgis(0);
    else run_at(el, gen_sgis, 0);
    write_sysreg(scr_el3, SCR_BASE);
    puts_(who);
    puts_(" ");
    puts_(sgi_name[reg]);
    puts_(" of SGIs 1-3 pends ");
    put_hex(r32(SGI_BASE + 0x200) & 0xe);
    puts_("\n");
    w32(SGI_BASE + 0x280, 0xe);
}

// --- SCR_EL3's traps ---

static u64 traps(u64 arg) {
    TRY("  mrs icc_iar0_el1", "mrs x0, S3_0_C12_C8_0");
    TRY("  mrs icc_iar1_el1", "mrs x0, S3_0_C12_C12_0");
    TRY("  mrs icc_pmr_el1", "mrs x0, S3_0_C4_C6_0");
    TRY("  mrs icc_ctlr_el1", "mrs x0, S3_0_C12_C12_4");
    TRY("  msr icc_sgi1r_el1", "msr S3_0_C12_C11_5, xzr");
    TRY("  msr icc_sgi0r_el1", "msr S3_0_C12_C11_7, xzr");
    return arg;
}

static void trap_case(const char *what, u64 el, u64 scr) {
    puts_(what);
    puts_("\n");
    write_sysreg(scr_el3, scr);
    run_at(el, traps, 0);
    write_sysreg(scr_el3, SCR_BASE);
}

int main(void) {
    puts_("gicsec\n");
    irq_hook = hook;
    // Affinity routing for both states and all three groups enabled, from EL3 (Secure).
    w32(GICD, 0x37);
    while (r32(GICD) & (1u << 31)) {
    }
    show32("EL3 GICD_CTLR", r32(GICD));
    show32("EL3 GICD_TYPER.SecurityExtn", (r32(GICD + 4) >> 10) & 1);
    w32(GICR + 0x14, r32(GICR + 0x14) & ~2u);
    while (r32(GICR + 0x14) & 4) {
    }
    write_sysreg(S3_6_C12_C12_5, 0xf); // ICC_SRE_EL3
    write_sysreg(S3_4_C12_C9_5, 0xf);  // ICC_SRE_EL2
    write_sysreg(S3_0_C12_C12_5, 7);   // ICC_SRE_EL1 (Secure)
    write_sysreg(S3_0_C4_C6_0, 0xff);  // ICC_PMR_EL1
    write_sysreg(S3_0_C12_C12_6, 1);   // ICC_IGRPEN0_EL1
    write_sysreg(S3_6_C12_C12_7, 3);   // ICC_IGRPEN1_EL3: both Group 1s
    show("EL3 ICC_IGRPEN1_EL3", read_sysreg(S3_6_C12_C12_7));

    // SGI 1 Group 0, SGI 2 Secure Group 1, SGI 3 Non-secure Group 1.
    w32(SGI_BASE + 0x80, 1u << G1NS);
    w32(SGI_BASE + 0xd00, 1u << G1S);
    w8(SGI_BASE + 0x400 + G0, 0x20);
    w8(SGI_BASE + 0x400 + G1S, 0x40);
    w8(SGI_BASE + 0x400 + G1NS, 0xa0);
    w32(SGI_BASE + 0x100, (1u << G0) | (1u << G1S) | (1u << G1NS));
    show32("EL3 GICR_IGROUPR0", r32(SGI_BASE + 0x80));
    show32("EL3 GICR_IGRPMODR0", r32(SGI_BASE + 0xd00));

    run_at(1, ns_views, 0);
    show32("EL3 GICR_IGROUPR0 after NS wrote all ones", r32(SGI_BASE + 0x80));
    show32("EL3 GICR_ISENABLER0 & 0xe after NS cleared SGI 2", r32(SGI_BASE + 0x100) & 0xe);
    show32("EL3 GICR_IPRIORITYR SGI 1 after NS wrote 0x60", r8(SGI_BASE + 0x400 + G0));
    show32("EL3 GICR_IPRIORITYR SGI 3 after NS wrote 0x60", r8(SGI_BASE + 0x400 + G1NS));
    show32("EL3 GICD_CTLR after NS wrote 0x10 and 0x13", r32(GICD));
    w8(SGI_BASE + 0x400 + G1NS, 0xa0);

    // Delivery: which exception each group is, and where it is taken.
    for (int n = 1; n <= 3; n++) deliver("EL3, SCR_EL3.FIQ 1", 3, SCR_BASE | SCR_FIQ, n);
    deliver("EL3, SCR_EL3.FIQ 0 IRQ 0", 3, SCR_BASE, G0);
    for (int n = 1; n <= 3; n++) deliver("NS EL1, SCR_EL3.FIQ 1", 1, SCR_BASE | SCR_FIQ, n);
    for (int n = 1; n <= 3; n++) deliver("S EL1, SCR_EL3.FIQ 0", 1, SCR_BASE & ~1ul, n);
    for (int n = 1; n <= 3; n++) deliver("NS EL2, SCR_EL3.FIQ 1", 2, SCR_BASE | SCR_FIQ, n);
    // ICC_IGRPEN1_EL3 disables Secure Group 1 for every level.
    write_sysreg(S3_6_C12_C12_7, 1);
    deliver("S EL1, Secure Group 1 disabled by ICC_IGRPEN1_EL3", 1, SCR_BASE & ~1ul, G1S);
    write_sysreg(S3_6_C12_C12_7, 3);

    // The priority mask as Non-secure EL1 sees it.
    pmr_case(SCR_BASE | SCR_FIQ, 0xc0, 0x80);
    pmr_case(SCR_BASE | SCR_FIQ, 0x40, 0xff);
    pmr_case(SCR_BASE | SCR_FIQ, 0xf8, 0xf0);
    pmr_case(SCR_BASE, 0xc0, 0x80);
    write_sysreg(S3_0_C4_C6_0, 0xff);

    banked();
    write_sysreg(S3_6_C12_C12_7, 3);

    // Disabled, so that generated SGIs stay pending for ISPENDR0 to show.
    w32(SGI_BASE + 0x180, 0xe);
    for (u64 r = 0; r < 3; r++) gen_case("EL3", 3, SCR_BASE, r);
    for (u64 r = 0; r < 3; r++) gen_case("S EL1", 1, SCR_BASE & ~1ul, r);
    for (u64 r = 0; r < 3; r++) gen_case("NS EL1", 1, SCR_BASE, r);
    // GICR_NSACR: SGI 1's field 0b01 and SGI 2's 0b10 let Non-secure generate them.
    w32(SGI_BASE + 0xe00, (1u << (2 * G0)) | (2u << (2 * G1S)));
    show32("GICR_NSACR", r32(SGI_BASE + 0xe00));
    for (u64 r = 0; r < 3; r++) gen_case("NS EL1 with NSACR", 1, SCR_BASE, r);
    w32(SGI_BASE + 0xe00, 0);

    trap_case("NS EL1, SCR_EL3.FIQ 1", 1, SCR_BASE | SCR_FIQ);
    trap_case("NS EL1, SCR_EL3.IRQ 1", 1, SCR_BASE | SCR_IRQ);
    trap_case("NS EL1, SCR_EL3.IRQ 1 FIQ 1", 1, SCR_BASE | SCR_IRQ | SCR_FIQ);
    trap_case("S EL1, SCR_EL3.FIQ 1", 1, (SCR_BASE & ~1ul) | SCR_FIQ);
    trap_case("NS EL2, SCR_EL3.IRQ 1 FIQ 1", 2, SCR_BASE | SCR_IRQ | SCR_FIQ);
    puts_("done\n");
    return 0;
}
