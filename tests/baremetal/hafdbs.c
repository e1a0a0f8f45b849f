// Hardware management of the Access flag and dirty state (FEAT_HAFDBS) at EL3: with
// TCR_EL3.HA an access to a page whose Access flag is clear sets it instead of faulting; with
// HD a store to a read-only page whose DBM bit is set makes it writable (clears AP[2]); a page
// without DBM still faults; with HA clear the Access flag fault comes back. Then EL1 under a
// stage 2: TCR_EL1.HA's update of a stage 1 descriptor is a write to its table, so a table
// page stage 2 maps read-only gives a stage 2 Permission fault on the walk (S1PTW), unless
// VTCR_EL2.HD and the stage 2 DBM bit let hardware make that page writable.
#include "pt.h"

static u64 l1[512] __attribute__((aligned(4096)));
static u64 l2[512] __attribute__((aligned(4096)));
static u64 l3[512] __attribute__((aligned(4096)));
static char data[4 * 4096] __attribute__((aligned(4096)));
// EL1&0's stage 1 (its level 3 table reached at IPA TABLE_IPA) and stage 2.
static u64 e1_l1[512] __attribute__((aligned(4096)));
static u64 e1_l2[512] __attribute__((aligned(4096)));
static u64 e1_l3[512] __attribute__((aligned(4096)));
static u64 s2_l1[512] __attribute__((aligned(4096)));
static u64 s2_l2[512] __attribute__((aligned(4096)));
static u64 s2_l3[512] __attribute__((aligned(4096)));
#define TABLE_IPA 0x80000000ul
#define S2_RO (1ul << 6)
#define S2_RW (3ul << 6)
#define S2_NORMAL (0xful << 2)

static u64 el1_loads(u64 arg) {
    TRY_VA("EL1 load, AF 1 (walk reads only)", "mov x0, %[a]\n ldr x1, [x0]", TV + 4096);
    TRY_VA("EL1 load, AF 0, HA 1, table RO at stage 2", "mov x0, %[a]\n ldr x1, [x0]", TV);
    return arg;
}

static u64 el1_load_again(u64 arg) {
    TRY_VA("EL1 load, AF 0, HA 1, table DBM at stage 2", "mov x0, %[a]\n ldr x1, [x0]", TV);
    return arg;
}

static u64 show_hpfar(u64 arg) {
    show("HPFAR_EL2 FIPA", ((read_sysreg(hpfar_el2) >> 4) & 0xffffffffffful) << 12);
    return arg;
}

static u64 stage2_on(u64 vtcr_hd) {
    // 39-bit IPAs from level 1 (T0SZ 25, SL0 1), 4K, Inner Shareable WB, PS 40 bits.
    write_sysreg(vtcr_el2, (1ul << 31) | (2ul << 16) | (3ul << 12) | (1ul << 10) | (1ul << 8) |
                               (1ul << 6) | 25 | vtcr_hd);
    write_sysreg(vttbr_el2, (u64)s2_l1);
    write_sysreg(hcr_el2, (1ul << 31) | 1);
    __asm__ volatile("dsb sy; tlbi alle1; dsb sy; isb" ::: "memory");
    return vtcr_hd;
}

static void el1_under_stage2(void) {
    // Stage 2: IPA = PA for the first 2 GiB (the UART as Device), and TABLE_IPA the stage 1
    // level 3 table's frame, read-only.
    s2_l1[0] = 0 | S2_RW | AF | XN | BLOCK;
    s2_l1[1] = RAM | S2_RW | S2_NORMAL | ISH | AF | BLOCK;
    s2_l1[2] = (u64)s2_l2 | TABLE;
    s2_l2[0] = (u64)s2_l3 | TABLE;
    s2_l3[0] = (u64)e1_l3 | S2_RO | S2_NORMAL | ISH | AF | XN | PAGE;
    // Stage 1: RAM, the UART, and TV (AF 0) and TV+4K (AF 1) through the table at TABLE_IPA.
    e1_l1[0] = 0 | DEVICE | AF | XN | PXN | BLOCK;
    e1_l1[1] = RAM | NORMAL | ISH | AF | BLOCK;
    e1_l1[2] = (u64)e1_l2 | TABLE;
    e1_l2[0] = TABLE_IPA | TABLE;
    e1_l3[0] = (u64)data | NORMAL | ISH | XN | PXN | PAGE;
    e1_l3[1] = ((u64)data + 4096) | NORMAL | ISH | AF | XN | PXN | PAGE;
    write_sysreg(mair_el1, 0x00fful);
    // TCR_EL1: HA (bit 39), IPS 40 bits, EPD1, TG0 4K, Inner Shareable WB, T0SZ 25.
    write_sysreg(tcr_el1, (1ul << 39) | (2ul << 32) | (1ul << 23) | (3ul << 12) | (1ul << 10) |
                              (1ul << 8) | 25);
    write_sysreg(ttbr0_el1, (u64)e1_l1);
    run_at(2, stage2_on, 0);
    write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) | 1 | (1 << 2) | (1 << 12));
    run_at(1, el1_loads, 0);
    run_at(2, show_hpfar, 0);
    puts_("stage 1 descriptor AF after the fault: ");
    put_dec((e1_l3[0] >> 10) & 1);
    puts_("\n");
    // VTCR_EL2.HA and HD (bits 21, 22) with DBM on the table page: hardware makes it writable
    // (S2AP[1]) and the Access flag update goes through.
    s2_l3[0] |= DBM;
    run_at(2, stage2_on, (1ul << 21) | (1ul << 22));
    run_at(1, el1_load_again, 0);
    puts_("stage 1 descriptor AF: ");
    put_dec((e1_l3[0] >> 10) & 1);
    puts_(", stage 2 S2AP: ");
    put_dec((s2_l3[0] >> 6) & 3);
    puts_("\n");
    write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) & ~1ul);
    write_sysreg(hcr_el2, 1ul << 31);
}

static void show_desc(const char *name, int n) {
    puts_(name);
    puts_(": AF ");
    put_dec((l3[n] >> 10) & 1);
    puts_(" AP[2] ");
    put_dec((l3[n] >> 7) & 1);
    puts_("\n");
}

static void tlbi(void) { __asm__ volatile("dsb sy; tlbi alle3; dsb sy; isb" ::: "memory"); }

int main(void) {
    puts_("hafdbs\n");
    puts_("ID_AA64MMFR1_EL1.HAFDBS: ");
    put_dec(read_sysreg(id_aa64mmfr1_el1) & 0xf);
    puts_("\n");
    // 39-bit VAs from level 1: Device below RAM, RAM, and four test pages.
    l1[0] = 0 | DEVICE | AF | XN | BLOCK;
    l1[1] = RAM | NORMAL | ISH | AF | BLOCK;
    l1[2] = (u64)l2 | TABLE;
    l2[0] = (u64)l3 | TABLE;
    l3[0] = (u64)data | NORMAL | ISH | PAGE;                       // no AF
    l3[1] = ((u64)data + 4096) | NORMAL | ISH | AF | AP_RO | DBM | PAGE;
    l3[2] = ((u64)data + 8192) | NORMAL | ISH | AF | AP_RO | PAGE;  // no DBM
    l3[3] = ((u64)data + 12288) | NORMAL | ISH | PAGE;              // no AF, for HA = 0
    write_sysreg(mair_el3, 0x00fful);
    // TCR_EL3: RES1 31 and 23, HD (22), HA (21), PS 40 bits, TG0 4K, ISH WB, T0SZ 25.
    u64 tcr = (1ul << 31) | (1ul << 23) | (2ul << 16) | (3ul << 12) | (1ul << 10) | (1ul << 8) | 25;
    write_sysreg(tcr_el3, tcr | (1ul << 22) | (1ul << 21));
    write_sysreg(ttbr0_el3, (u64)l1);
    tlbi();
    write_sysreg(sctlr_el3, read_sysreg(sctlr_el3) | 1 | (1 << 2) | (1 << 12));
    TRY_VA("EL3 load, AF 0, HA 1", "mov x0, %[a]\n ldr x1, [x0]", TV);
    show_desc("page 0 after the load", 0);
    TRY_VA("EL3 load from the DBM page", "mov x0, %[a]\n ldr x1, [x0]", TV + 4096);
    show_desc("page 1 after a load", 1);
    TRY_VA("EL3 store to the DBM page, HD 1", "mov x0, %[a]\n str x1, [x0]", TV + 4096);
    show_desc("page 1 after the store", 1);
    TRY_VA("EL3 store to a read-only page without DBM", "mov x0, %[a]\n str x1, [x0]",
           TV + 8192);
    write_sysreg(tcr_el3, tcr);
    tlbi();
    TRY_VA("EL3 load, AF 0, HA 0", "mov x0, %[a]\n ldr x1, [x0]", TV + 12288);
    show_desc("page 3", 3);
    write_sysreg(sctlr_el3, read_sysreg(sctlr_el3) & ~1ul);
    tlbi();
    el1_under_stage2();
    puts_("done\n");
    return 0;
}
