// The debug registers' trap controls: MDCR_EL2.TDA, TDOSA and TDRA (and TDE, which implies
// them) trapping EL1's accesses to EL2; MDCR_EL3.TDA and TDOSA trapping EL1's and EL2's to EL3
// (after MDCR_EL2's at EL1); MDCR_EL2.TDCC and MDCR_EL3.TDCC (FEAT_FGT) for the Debug
// Communications Channel registers.
#include "lib.h"

#define TDE (1ul << 8)
#define TDA (1ul << 9)
#define TDOSA (1ul << 10)
#define TDRA (1ul << 11)
#define TDCC (1ul << 27)

static u64 set_mdcr_el2(u64 v) {
    write_sysreg(mdcr_el2, v);
    return 0;
}

static u64 accesses(u64 arg) {
    const char *el = running_el == 2 ? "EL2" : "EL1";
    puts_(el);
    puts_(":\n");
    TRY("  mrs mdscr_el1", "mrs x0, mdscr_el1");
    TRY("  msr dbgbvr0_el1", "msr dbgbvr0_el1, xzr");
    TRY("  mrs dbgclaimset_el1", "mrs x0, dbgclaimset_el1");
    TRY("  mrs oslsr_el1", "mrs x0, oslsr_el1");
    TRY("  msr oslar_el1", "msr oslar_el1, xzr");
    TRY("  mrs dbgprcr_el1", "mrs x0, dbgprcr_el1");
    TRY("  mrs mdrar_el1", "mrs x0, mdrar_el1");
    TRY("  mrs mdccsr_el0", "mrs x0, mdccsr_el0");
    TRY("  mrs mdccint_el1", "mrs x0, mdccint_el1");
    return arg;
}

static void with_mdcr(const char *name, u64 mdcr2, u64 mdcr3) {
    puts_(name);
    puts_("\n");
    run_at(2, set_mdcr_el2, mdcr2);
    write_sysreg(mdcr_el3, mdcr3);
    run_at(1, accesses, 0);
    if (mdcr3)
        run_at(2, accesses, 0);
}

int main(void) {
    puts_("debug\n");
    with_mdcr("none", 0, 0);
    with_mdcr("MDCR_EL2.TDA", TDA, 0);
    with_mdcr("MDCR_EL2.TDOSA", TDOSA, 0);
    with_mdcr("MDCR_EL2.TDRA", TDRA, 0);
    with_mdcr("MDCR_EL2.TDE", TDE, 0);
    with_mdcr("MDCR_EL3.TDA", 0, TDA);
    with_mdcr("MDCR_EL3.TDOSA, MDCR_EL2.TDOSA", TDOSA, TDOSA);
    with_mdcr("MDCR_EL2.TDCC", TDCC, 0);
    with_mdcr("MDCR_EL3.TDCC", 0, TDCC);
    write_sysreg(mdcr_el3, 0);
    run_at(2, set_mdcr_el2, 0);
    return 0;
}
