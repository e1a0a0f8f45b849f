// The generic timer's event streams and FEAT_ECV: WFE after SEVL, WFE woken by CNTKCTL_EL1's
// event stream (rising and falling edges, EVNTIS) and by CNTHCTL_EL2's at EL2; the self-synchronised counter views CNTPCTSS_EL0 and
// CNTVCTSS_EL0 at EL1 and EL0; CNTHCTL_EL2.EL1TVCT and EL1TVT trapping EL1's and EL0's
// virtual count and timer to EL2; the physical offset (FEAT_ECV_POFF): CNTPOFF_EL2 trapped to
// EL3 by SCR_EL3.ECVEn, and applied by CNTHCTL_EL2.ECV to EL1's CNTPCT_EL0 and the EL1 physical
// timer, but not to EL2's or EL3's count.
#include "lib.h"

__asm__(".arch armv8.6-a");

#define EVNTEN (1ul << 2)
#define EVNTIS (1ul << 17)
#define EL1TVT (1ul << 13)
#define EL1TVCT (1ul << 14)
#define ECV (1ul << 12)
#define SCR_ECVEN (1ul << 28)
#define POFF (1ul << 60)

// Two WFEs (the first may find the Event Register set) with an event stream on: they return
// (with nothing else to wake the PE, Specula would wait for ever: exit 124). How soon is
// model/src/interp/sysreg.rs's `event_stream_edges` test; QEMU's WFE does not wait, and its
// counter follows the host's clock, so a time printed here would not repeat.
static void wfe_twice(const char *name) {
    __asm__ volatile("wfe\n wfe" ::: "memory");
    puts_(name);
    puts_(": returned\n");
}

static u64 el1_streams(u64 arg) {
    __asm__ volatile("sevl\n wfe");
    puts_("EL1 sevl; wfe: returned\n");
    // Bit 14 of the virtual count, 0 to 1 edges.
    write_sysreg(cntkctl_el1, EVNTEN | (14ul << 4));
    wfe_twice("EL1 wfe, CNTKCTL_EL1 stream bit 14");
    // 1 to 0 edges.
    write_sysreg(cntkctl_el1, EVNTEN | (1ul << 3) | (14ul << 4));
    wfe_twice("EL1 wfe, stream bit 14 falling");
    // EVNTIS: bit EVNTI + 8.
    write_sysreg(cntkctl_el1, EVNTEN | EVNTIS | (7ul << 4));
    wfe_twice("EL1 wfe, stream EVNTIS bit 15");
    write_sysreg(cntkctl_el1, 0);
    return arg;
}

static u64 el2_stream(u64 arg) {
    write_sysreg(cnthctl_el2, 3 | EVNTEN | (13ul << 4));
    wfe_twice("EL2 wfe, CNTHCTL_EL2 stream bit 13");
    write_sysreg(cnthctl_el2, 3 | arg);
    show("EL2 CNTHCTL_EL2", read_sysreg(cnthctl_el2));
    return arg;
}

static u64 el1_counts(u64 arg) {
    TRY("EL1 mrs cntpctss_el0", "mrs x0, cntpctss_el0");
    TRY("EL1 mrs cntvctss_el0", "mrs x0, cntvctss_el0");
    TRY("EL1 mrs cntvct_el0", "mrs x0, cntvct_el0");
    TRY("EL1 mrs cntpct_el0", "mrs x0, cntpct_el0");
    TRY("EL1 mrs cntv_ctl_el0", "mrs x0, cntv_ctl_el0");
    TRY("EL1 msr cntv_cval_el0", "msr cntv_cval_el0, xzr");
    TRY("EL1 mrs cntp_ctl_el0", "mrs x0, cntp_ctl_el0");
    return arg;
}

static u64 el0_counts(u64 arg) {
    TRY("EL0 mrs cntvctss_el0", "mrs x0, cntvctss_el0");
    TRY("EL0 mrs cntvct_el0", "mrs x0, cntvct_el0");
    TRY("EL0 mrs cntv_ctl_el0", "mrs x0, cntv_ctl_el0");
    return arg;
}

// The top byte of a count: 0 for counts since reset, 0xf0 with the offset 2^60 subtracted
// (the counts here are far below 2^56), so the output does not depend on time.
static void top(const char *name, u64 count) {
    show(name, count >> 56);
}

static u64 el2_poff(u64 arg) {
    TRY_VA("EL2 msr cntpoff_el2", "msr s3_4_c14_c0_6, %[a]", POFF);
    TRY("EL2 mrs cntpoff_el2", "mrs x0, s3_4_c14_c0_6");
    write_sysreg(cnthctl_el2, 3 | arg);
    top("EL2 CNTPCT_EL0 >> 56", read_sysreg(cntpct_el0));
    return arg;
}

static u64 el1_poff(u64 arg) {
    top("EL1 CNTPCT_EL0 >> 56", read_sysreg(cntpct_el0));
    top("EL1 CNTPCTSS_EL0 >> 56", read_sysreg(cntpctss_el0));
    // The EL1 physical timer compares CNTP_CVAL_EL0 with the offset count: 2^62 is ahead of
    // the count since reset but behind the offset one.
    write_sysreg(cntp_cval_el0, 1ul << 62);
    write_sysreg(cntp_ctl_el0, 3);
    show("EL1 CNTP_CTL_EL0 (CVAL 2^62, enabled, masked)", read_sysreg(cntp_ctl_el0));
    write_sysreg(cntp_ctl_el0, 0);
    return arg;
}

int main(void) {
    puts_("ecv\n");
    show("ID_AA64MMFR0_EL1.ECV", read_sysreg(id_aa64mmfr0_el1) >> 60 & 15);
    run_at(1, el1_streams, 0);
    run_at(2, el2_stream, 0);
    run_at(1, el1_counts, 0);
    // EL0's counter and timer accesses enabled in CNTKCTL_EL1 (EL0VCTEN, EL0VTEN).
    write_sysreg(cntkctl_el1, (1ul << 1) | (1ul << 8));
    run_at(0, el0_counts, 0);
    run_at(2, el2_stream, EL1TVCT | EL1TVT);
    puts_("EL1TVCT, EL1TVT\n");
    run_at(1, el1_counts, 0);
    run_at(0, el0_counts, 0);
    run_at(2, el2_stream, 0);
    puts_("CNTPOFF_EL2\n");
    write_sysreg(s3_4_c14_c0_6, POFF);
    run_at(2, el2_poff, 0);
    run_at(1, el1_poff, 0);
    u64 scr = read_sysreg(scr_el3);
    write_sysreg(scr_el3, scr | SCR_ECVEN);
    run_at(2, el2_poff, 0);
    puts_("CNTHCTL_EL2.ECV\n");
    run_at(2, el2_poff, ECV);
    run_at(1, el1_poff, 0);
    top("EL3 CNTPCT_EL0 >> 56", read_sysreg(cntpct_el0));
    write_sysreg(scr_el3, scr);
    puts_("SCR_EL3.ECVEn 0\n");
    run_at(1, el1_poff, 0);
    write_sysreg(scr_el3, scr | SCR_ECVEN);
    run_at(2, el2_poff, 0);
    write_sysreg(scr_el3, scr);
    return 0;
}
