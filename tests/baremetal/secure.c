// The Secure and Non-secure physical address spaces on the `virt` board with --secure: Secure
// RAM (0x0e000000) and flash bank 0 (0x0, the firmware's) exist only in the Secure one, so a
// Non-secure access to them reaches nothing (a synchronous External abort); flash bank 1
// (0x04000000) is in both. Covered: EL3 and Secure EL1 with the MMU off (Secure),
// Non-secure EL1 and EL2 with it off, EL3's stage 1 choosing the space per page (NS, bit 5)
// and per table (NSTable, bit 63: the walk and every leaf below it), AT's PAR_EL1.NS, and a
// stage 1 table in Secure RAM reached through NSTable (an External abort on the walk).
#include "pt.h"

#define SECURE_RAM 0x0e000000ul
#define SCR_BASE ((1ul << 0) | (1ul << 8) | (1ul << 10) | 0x30ul)
#define NS_BIT (1ul << 5)
#define NSTABLE (1ul << 63)

static u64 l1[512] __attribute__((aligned(4096)));
static u64 l2[512] __attribute__((aligned(4096)));
static u64 l3[512] __attribute__((aligned(4096)));
static u64 l2_ns[512] __attribute__((aligned(4096)));
static u64 l3_ns[512] __attribute__((aligned(4096)));

static void print_par(const char *name, u64 par) {
    puts_(name);
    puts_(": PAR ");
    put_hex(par & 1 ? par & 0x3ff : par & 0xff0ffffffffff201ul);
    puts_("\n");
}

static u64 load_secure_ram(u64 arg) {
    TRY_VA(arg ? "Secure EL1 load, MMU off" : "Non-secure EL1 load, MMU off",
           "mov x0, %[a]\n ldr x1, [x0]", SECURE_RAM);
    TRY_VA(arg ? "Secure EL1 store, MMU off" : "Non-secure EL1 store, MMU off",
           "mov x0, %[a]\n str x1, [x0]", SECURE_RAM + 8);
    return arg;
}

static u64 el2_load_secure_ram(u64 arg) {
    TRY_VA("Non-secure EL2 load, MMU off", "mov x0, %[a]\n ldr x1, [x0]", SECURE_RAM);
    TRY_VA("Non-secure EL2 load flash bank 0", "mov x0, %[a]\n ldr x1, [x0]", 0x100);
    TRY_VA("Non-secure EL2 load flash bank 1", "mov x0, %[a]\n ldr x1, [x0]", 0x04000100);
    return arg;
}

static void tlbi(void) { __asm__ volatile("dsb sy; tlbi alle3; dsb sy; isb" ::: "memory"); }

int main(void) {
    puts_("secure\n");
    *(volatile u64 *)SECURE_RAM = 0x5ec;
    TRY_VA("EL3 load, MMU off", "mov x0, %[a]\n ldr x1, [x0]", SECURE_RAM);
    show("  value", *(volatile u64 *)SECURE_RAM);
    TRY_VA("EL3 load flash bank 0", "mov x0, %[a]\n ldr x1, [x0]", 0x100);
    TRY_VA("EL3 load flash bank 1", "mov x0, %[a]\n ldr x1, [x0]", 0x04000100);
    run_at(1, load_secure_ram, 0);
    run_at(2, el2_load_secure_ram, 0);
    write_sysreg(scr_el3, SCR_BASE & ~1ul);
    run_at(1, load_secure_ram, 1);
    write_sysreg(scr_el3, SCR_BASE);

    // EL3's stage 1 (4K, 39-bit VAs): RAM, the UART, and at TV four pages of Secure RAM
    // through l2/l3: NS 0, NS 1, NS 0, NS 1; at TV+1G the same frames through a table with
    // NSTable set (so all Non-secure), and at TV+2G a table in Secure RAM through NSTable.
    l1[0] = 0 | DEVICE | AF | XN | BLOCK;
    l1[1] = RAM | NORMAL | ISH | AF | BLOCK;
    l1[2] = (u64)l2 | TABLE;
    l2[0] = (u64)l3 | TABLE;
    for (u64 i = 0; i < 4; i++)
        l3[i] = (SECURE_RAM + i * 4096) | NORMAL | ISH | AF | XN | PAGE | ((i & 1) ? NS_BIT : 0);
    l1[3] = (u64)l2_ns | TABLE | NSTABLE;
    l2_ns[0] = (u64)l3_ns | TABLE;
    l3_ns[0] = SECURE_RAM | NORMAL | ISH | AF | XN | PAGE;
    l3_ns[1] = RAM | NORMAL | ISH | AF | XN | PAGE;
    // A level 2 table in Secure RAM (its first entry a valid block), reached as Non-secure.
    u64 *secure_l2 = (u64 *)(SECURE_RAM + 0x10000);
    secure_l2[0] = RAM | NORMAL | ISH | AF | XN | BLOCK;
    l1[4] = (u64)secure_l2 | TABLE | NSTABLE;
    l1[5] = (u64)secure_l2 | TABLE;
    write_sysreg(mair_el3, 0x00fful);
    u64 tcr = (1ul << 31) | (1ul << 23) | (2ul << 16) | (3ul << 12) | (1ul << 10) | (1ul << 8) | 25;
    write_sysreg(tcr_el3, tcr);
    write_sysreg(ttbr0_el3, (u64)l1);
    tlbi();
    write_sysreg(sctlr_el3, read_sysreg(sctlr_el3) | 1 | (1 << 2) | (1 << 12));
    TRY_VA("EL3 load, page NS 0", "mov x0, %[a]\n ldr x1, [x0]", TV);
    TRY_VA("EL3 load, page NS 1", "mov x0, %[a]\n ldr x1, [x0]", TV + 4096);
    TRY_VA("EL3 store, page NS 0", "mov x0, %[a]\n str x1, [x0]", TV + 8192);
    TRY_VA("EL3 store, page NS 1", "mov x0, %[a]\n str x1, [x0]", TV + 12288);
    TRY_VA("EL3 load under NSTable, Secure RAM", "mov x0, %[a]\n ldr x1, [x0]",
           TV + (1ul << 30));
    TRY_VA("EL3 load under NSTable, RAM", "mov x0, %[a]\n ldr x1, [x0]", TV + (1ul << 30) + 4096);
    TRY_VA("EL3 load, table in Secure RAM via NSTable", "mov x0, %[a]\n ldr x1, [x0]",
           TV + (2ul << 30));
    TRY_VA("EL3 load, table in Secure RAM", "mov x0, %[a]\n ldr x1, [x0]", TV + (3ul << 30));
    u64 par;
    __asm__ volatile("at s1e3r, %1\n isb\n mrs %0, par_el1" : "=r"(par) : "r"(TV));
    print_par("at s1e3r page NS 0", par);
    __asm__ volatile("at s1e3r, %1\n isb\n mrs %0, par_el1" : "=r"(par) : "r"(TV + 4096));
    print_par("at s1e3r page NS 1", par);
    __asm__ volatile("at s1e3r, %1\n isb\n mrs %0, par_el1" : "=r"(par) : "r"(TV + (1ul << 30)));
    print_par("at s1e3r under NSTable", par);
    write_sysreg(sctlr_el3, read_sysreg(sctlr_el3) & ~1ul);
    tlbi();
    puts_("done\n");
    return 0;
}
