// Synchronous exceptions at each Exception level: which level takes them, their syndromes
// (EC, IL, ISS), preferred return addresses, FAR and the saved PSTATE; the traps of HCR_EL2,
// SCTLR_EL1 and CPACR_EL1; ERET's illegal return.
#include "lib.h"

static u64 at_el3(u64 arg) {
    TRY("EL3 brk #7", "brk #7");
    TRY("EL3 udf", "udf #0");
    TRY("EL3 svc #3", "svc #3");
    TRY("EL3 smc #2", "smc #2");
    TRY("EL3 mrs x0, scr_el3", "mrs x0, scr_el3");
    // A branch to a misaligned address: the PC alignment fault is taken at the target, and
    // the handler comes back through x30.
    TRY("EL3 br to pc+2", "adr x0, 2f\n add x0, x0, #2\n adr x30, 3f\n br x0\n2: nop\n3: nop");
    return arg;
}

static u64 at_el2(u64 arg) {
    TRY("EL2 svc #0x10", "svc #0x10");
    TRY("EL2 hvc #0x11", "hvc #0x11");
    TRY("EL2 smc #0x12", "smc #0x12");
    TRY("EL2 mrs x0, scr_el3", "mrs x0, scr_el3");
    TRY("EL2 msr vbar_el3, x0", "msr vbar_el3, x0");
    TRY("EL2 brk #0x13", "brk #0x13");
    TRY("EL2 mrs x0, hcr_el2", "mrs x0, hcr_el2");
    return arg + 1;
}

static u64 at_el1(u64 arg) {
    TRY("EL1 svc #0x20", "svc #0x20");
    TRY("EL1 hvc #0x21", "hvc #0x21");
    TRY("EL1 smc #0x22", "smc #0x22");
    TRY("EL1 mrs x0, hcr_el2", "mrs x0, hcr_el2");
    TRY("EL1 mrs x1, vbar_el2", "mrs x1, vbar_el2");
    TRY("EL1 msr sctlr_el2, x0", "msr sctlr_el2, x0");
    TRY("EL1 mrs x0, sctlr_el1", "mrs x0, sctlr_el1");
    TRY("EL1 udf", "udf #0x21");
    TRY("EL1 brk #0x23", "brk #0x23");
    TRY("EL1 fmov with CPACR_EL1.FPEN=0", "fmov d0, x1");
    TRY("EL1 mrs fpcr with CPACR_EL1.FPEN=0", "mrs x0, fpcr");
    // ERET to EL2 from EL1 is an illegal return: the next instruction takes the exception.
    TRY("EL1 eret to EL2", "adr x0, 3f\n msr elr_el1, x0\n mov x0, #0x3c9\n msr spsr_el1, x0\n"
        " eret\n3: nop");
    // SP alignment: SCTLR_EL1.SA with SP_EL0 in use (the handler uses the aligned SP_EL1).
    write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) | (1 << 3));
    TRY("EL1 ldr via misaligned SP_EL0",
        "msr spsel, #0\n mov x2, sp\n sub x0, x2, #8\n mov sp, x0\n ldr x1, [sp]\n"
        " mov sp, x2\n msr spsel, #1");
    write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) & ~(1ul << 3));
    TRY("EL1 msr daifclr, #2", "msr daifclr, #2\n msr daifset, #2");
    return arg + 2;
}

static u64 at_el0(u64 arg) {
    TRY("EL0 svc #0x30", "svc #0x30");
    TRY("EL0 hvc #0x31", "hvc #0x31");
    TRY("EL0 smc #0x32", "smc #0x32");
    TRY("EL0 mrs x0, sctlr_el1", "mrs x0, sctlr_el1");
    TRY("EL0 mrs x0, currentel", "mrs x0, CurrentEL");
    TRY("EL0 msr daifset with UMA=0", "msr daifset, #1");
    TRY("EL0 mrs x2, daif with UMA=0", "mrs x2, daif");
    TRY("EL0 mrs x1, ctr_el0 with UCT=0", "mrs x1, ctr_el0");
    TRY("EL0 dc zva with DZE=0", "mov x0, sp\n dc zva, x0");
    TRY("EL0 wfi with nTWI=0", "wfi");
    TRY("EL0 mrs cntvct_el0 with EL0VCTEN=0", "mrs x0, cntvct_el0");
    TRY("EL0 fmov with FPEN=1", "fmov d0, x1");
    TRY("EL0 eret", "eret");
    TRY("EL0 brk #0x33", "brk #0x33");
    TRY("EL0 mrs nzcv", "mrs x0, nzcv");
    return arg + 3;
}

static u64 at_el1_traps(u64 arg) {
    TRY("EL1 mrs id_aa64pfr0_el1 with TID3", "mrs x1, id_aa64pfr0_el1");
    TRY("EL1 mrs id_aa64mmfr0_el1 with TID3", "mrs x2, id_aa64mmfr0_el1");
    TRY("EL1 smc with TSC", "smc #0x40");
    TRY("EL1 wfi with TWI", "wfi");
    TRY("EL1 msr ttbr0_el1 with TVM", "msr ttbr0_el1, x0");
    TRY("EL1 mrs ttbr0_el1 with TVM", "mrs x0, ttbr0_el1");
    TRY("EL1 fmov with CPTR_EL2.TFP", "fmov d0, x1");
    TRY("EL1 brk with MDCR_EL2.TDE", "brk #0x41");
    return arg;
}

static u64 at_el0_tge(u64 arg) {
    TRY("EL0 svc #0x50 with TGE", "svc #0x50");
    TRY("EL0 udf with TGE", "udf #0x51");
    TRY("EL0 brk #0x52 with TGE", "brk #0x52");
    return arg;
}

int main(void) {
    puts_("exceptions\n");
    put_dec(at_el3(10));
    puts_(" from EL3\n");
    put_dec(run_at(2, at_el2, 10));
    puts_(" from EL2\n");
    // FP disabled at EL1 and EL0 (FPEN=0b00, then 0b01 for EL0).
    write_sysreg(cpacr_el1, 0);
    put_dec(run_at(1, at_el1, 10));
    puts_(" from EL1\n");
    write_sysreg(cpacr_el1, 1 << 20);
    write_sysreg(cntkctl_el1, 0);
    put_dec(run_at(0, at_el0, 10));
    puts_(" from EL0\n");

    // Traps to EL2 of EL1's accesses (HCR_EL2) and of EL1's SIMD&FP (CPTR_EL2.TFP).
    write_sysreg(cpacr_el1, 3 << 20);
    write_sysreg(hcr_el2, (1ul << 31) | (1 << 18) | (1 << 19) | (1 << 13) | (1 << 26));
    write_sysreg(cptr_el2, 0x33ff | (1 << 10));
    write_sysreg(mdcr_el2, 1 << 8);
    run_at(1, at_el1_traps, 0);
    write_sysreg(mdcr_el2, 0);
    write_sysreg(cptr_el2, 0x33ff);
    // HCR_EL2.TGE: EL0's exceptions go to EL2.
    write_sysreg(hcr_el2, (1ul << 31) | (1 << 27));
    run_at(0, at_el0_tge, 0);
    write_sysreg(hcr_el2, 1ul << 31);
    puts_("done\n");
    return 0;
}
