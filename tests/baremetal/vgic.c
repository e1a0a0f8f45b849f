// The GICv3 virtual CPU interface: EL2 fills list registers (ICH_LR<n>_EL2) and enables the
// interface (ICH_HCR_EL2, ICH_VMCR_EL2); EL1 under HCR_EL2.IMO takes the virtual IRQs in
// priority order through ICV_IAR1 (its ICC_IAR1_EL1 accesses), ends them, and EL2 sees the
// list registers' states, ICH_ELRSR_EL2, ICH_MISR_EL2, EOIcount for an EOI with no list
// register (its priority dropped, nothing deactivated), and the TALL1 trap.
#include "lib.h"

__asm__(".arch armv8.3-a");

#define ICC_IAR1 "S3_0_C12_C12_0"
#define ICC_EOIR1 "S3_0_C12_C12_1"

static volatile u64 seen[8];
static volatile u64 nseen;

static void hook(u64 el, u64 offset) {
    u64 intid, rpr;
    __asm__ volatile("mrs %0, " ICC_IAR1 : "=r"(intid));
    __asm__ volatile("mrs %0, S3_0_C12_C11_3" : "=r"(rpr)); // ICC_RPR_EL1
    if (nseen < 8)
        seen[nseen++] = (el << 40) | (offset << 24) | (rpr << 16) | intid;
    // INTID 42's EOI names another INTID, which no list register holds: the priority drops,
    // nothing is deactivated, and ICH_HCR_EL2.EOIcount counts it.
    __asm__ volatile("msr " ICC_EOIR1 ", %0" : : "r"(intid == 42 ? 77 : intid));
}

static u64 lr(u64 vintid, u64 prio) {
    // State pending (01), Group 1, priority.
    return (1ul << 62) | (1ul << 60) | (prio << 48) | vintid;
}

static u64 el2_fill(u64 arg) {
    puts_("ICH_VTR_EL2.ListRegs, PRIbits: ");
    u64 vtr = read_sysreg(S3_4_C12_C11_1);
    put_dec(vtr & 31);
    puts_(" ");
    put_dec(vtr >> 29);
    puts_("\n");
    write_sysreg(S3_4_C12_C12_0, lr(40, 0xa0)); // ICH_LR0_EL2
    write_sysreg(S3_4_C12_C12_1, lr(41, 0x80)); // ICH_LR1_EL2
    write_sysreg(S3_4_C12_C12_2, lr(42, 0xc0) | (1ul << 41)); // EOI maintenance asked
    write_sysreg(S3_4_C12_C12_3, 0);
    // ICH_VMCR_EL2: VPMR 0xf0, VENG1; ICH_HCR_EL2: En, NPIE (no pending: maintenance).
    write_sysreg(S3_4_C12_C11_7, (0xf0ul << 24) | 2);
    write_sysreg(S3_4_C12_C11_0, 1 | arg);
    write_sysreg(hcr_el2, (1ul << 31) | (1ul << 4)); // RW, IMO
    puts_("ICH_ELRSR_EL2 before: ");
    put_hex(read_sysreg(S3_4_C12_C11_5));
    puts_(" ICH_MISR_EL2: ");
    put_hex(read_sysreg(S3_4_C12_C11_2));
    puts_("\n");
    return 0;
}

static u64 el2_report(u64 arg) {
    for (int n = 0; n < 3; n++) {
        u64 v;
        if (n == 0) v = read_sysreg(S3_4_C12_C12_0);
        else if (n == 1) v = read_sysreg(S3_4_C12_C12_1);
        else v = read_sysreg(S3_4_C12_C12_2);
        puts_("LR");
        put_dec(n);
        puts_(" state ");
        put_dec(v >> 62);
        puts_("\n");
    }
    u64 hcr = read_sysreg(S3_4_C12_C11_0);
    puts_("ICH_ELRSR_EL2: ");
    put_hex(read_sysreg(S3_4_C12_C11_5));
    puts_(" ICH_EISR_EL2: ");
    put_hex(read_sysreg(S3_4_C12_C11_3));
    puts_(" ICH_MISR_EL2: ");
    put_hex(read_sysreg(S3_4_C12_C11_2));
    puts_(" EOIcount: ");
    put_dec(hcr >> 27);
    puts_("\n");
    write_sysreg(S3_4_C12_C11_0, 0);
    write_sysreg(hcr_el2, 1ul << 31);
    return arg;
}

static u64 el1_take(u64 arg) {
    __asm__ volatile("msr daifclr, #2\n isb\n nop\n nop");
    __asm__ volatile("msr daifset, #2");
    puts_("virtual IRQs taken:");
    for (u64 i = 0; i < nseen; i++) {
        puts_(" INTID ");
        put_dec(seen[i] & 0xffff);
        puts_(" (EL");
        put_dec(seen[i] >> 40);
        puts_(" vector ");
        put_hex((seen[i] >> 24) & 0xffff);
        puts_(" RPR ");
        put_hex((seen[i] >> 16) & 0xff);
        puts_(")");
    }
    puts_("\n");
    nseen = 0;
    u64 none;
    __asm__ volatile("mrs %0, " ICC_IAR1 : "=r"(none));
    puts_("ICV_IAR1 with nothing pending: ");
    put_dec(none);
    puts_("\n");
    return arg;
}

static u64 el1_trapped(u64 arg) {
    TRY("EL1 mrs icc_iar1_el1 with TALL1", "mrs x0, S3_0_C12_C12_0");
    TRY("EL1 mrs icc_pmr_el1 with TALL1", "mrs x0, S3_0_C4_C6_0");
    return arg;
}

int main(void) {
    puts_("vgic\n");
    irq_hook = hook;
    write_sysreg(S3_6_C12_C12_5, 0xf); // ICC_SRE_EL3
    run_at(2, el2_fill, 0);
    run_at(1, el1_take, 0);
    run_at(2, el2_report, 0);
    run_at(2, el2_fill, 1ul << 12); // TALL1
    run_at(1, el1_trapped, 0);
    run_at(2, el2_report, 0);
    puts_("done\n");
    return 0;
}
