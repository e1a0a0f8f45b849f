// Hardware management of the Access flag and dirty state (FEAT_HAFDBS) at EL3: with
// TCR_EL3.HA an access to a page whose Access flag is clear sets it instead of faulting; with
// HD a store to a read-only page whose DBM bit is set makes it writable (clears AP[2]); a page
// without DBM still faults; with HA clear the Access flag fault comes back.
#include "pt.h"

static u64 l1[512] __attribute__((aligned(4096)));
static u64 l2[512] __attribute__((aligned(4096)));
static u64 l3[512] __attribute__((aligned(4096)));
static char data[4 * 4096] __attribute__((aligned(4096)));

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
    puts_("done\n");
    return 0;
}
