// 52-bit addresses with the 64K granule (FEAT_LPA, FEAT_LVA): at EL3, output addresses with
// bits 51:48 (descriptor bits 15:12) under PS = 52 bits and as Address size faults under PS =
// 48; 52-bit virtual addresses (T0SZ = 12) starting at level 1; and at EL1 a stage 2 with a
// 52-bit IPA space (VTCR_EL2.PS = 52, T0SZ = 12), with HPFAR_EL2 for a fault above 2^48.
// Only AT looks at addresses beyond RAM: no access reaches a physical address that has no
// memory.
#include "pt.h"

// An output address above 2^48 (no memory there: AT only).
#define HIGH_PA 0x000f123400000000ul
// A virtual address above 2^48, usable with T0SZ = 12.
#define HIGH_VA 0x000a000000000000ul


static char pool[24 * 65536] __attribute__((aligned(65536)));
static u64 pool_next;
static char data[2 * 65536] __attribute__((aligned(65536)));

static u64 *alloc_table(void) {
    u64 *t = (u64 *)(pool + pool_next);
    pool_next += 65536;
    for (u64 i = 0; i < 65536 / 8; i++)
        t[i] = 0;
    return t;
}

// A 64K-granule table walk for `tsz`-bit regimes, starting at level `start`.
struct pt {
    int start, tsz;
    u64 *root;
};

// The output address field of a 64K descriptor: bits 47:16, and 51:48 in bits 15:12.
static u64 oa_field(u64 pa) { return (pa & 0x0000ffffffff0000ul) | ((pa >> 48) & 0xf) << 12; }
static u64 next_table(u64 desc) {
    return (desc & 0x0000ffffffff0000ul) | ((desc >> 12) & 0xf) << 48;
}

static void map(struct pt *p, u64 va, u64 pa, u64 size, u64 attrs, int level) {
    u64 step = 1ul << (16 + 13 * (3 - level));
    for (u64 off = 0; off < size; off += step) {
        u64 *t = p->root;
        for (int l = p->start; l < level; l++) {
            int shift = 16 + 13 * (3 - l);
            u64 mask = l == p->start ? (1ul << (64 - p->tsz - shift)) - 1 : (1ul << 13) - 1;
            u64 i = ((va + off) >> shift) & mask;
            if (!(t[i] & VALID))
                t[i] = oa_field((u64)alloc_table()) | TABLE;
            t = (u64 *)next_table(t[i]);
        }
        int shift = 16 + 13 * (3 - level);
        u64 mask = level == p->start ? (1ul << (64 - p->tsz - shift)) - 1 : (1ul << 13) - 1;
        t[((va + off) >> shift) & mask] = oa_field(pa + off) | attrs | (level == 3 ? PAGE : BLOCK);
    }
}

static void print_par(const char *name, u64 par) {
    puts_(name);
    puts_(": PAR ");
    // F, FST, PTW, S; or the PA (bits 51:12) with ATTR.
    put_hex(par & 1 ? par & 0x3ff : par & 0xff0ffffffffff001ul);
    puts_("\n");
}

static u64 at_s1e3r(u64 va) {
    u64 par;
    __asm__ volatile("at s1e3r, %1\n isb\n mrs %0, par_el1" : "=r"(par) : "r"(va));
    return par;
}

static void el3_regime(int ps, int tsz) {
    pool_next = 0;
    struct pt p = {1, tsz, alloc_table()};
    map(&p, RAM, RAM, 1ul << 30, NORMAL | ISH | AF, 2);
    map(&p, 0, 0, 1ul << 29, DEVICE | AF | XN, 2);
    map(&p, TV, (u64)data, 65536, NORMAL | ISH | AF, 3);
    map(&p, TV + 65536, HIGH_PA, 65536, NORMAL | ISH | AF, 3);
    if (tsz == 12)
        map(&p, HIGH_VA, (u64)data, 65536, NORMAL | ISH | AF, 3);
    write_sysreg(mair_el3, 0x00fful);
    // TCR_EL3: RES1 31 and 23, PS, TG0 = 64K, Inner Shareable, write-back, T0SZ.
    write_sysreg(tcr_el3, (1ul << 31) | (1ul << 23) | ((u64)ps << 16) | (1ul << 14) |
                              (3ul << 12) | (1ul << 10) | (1ul << 8) | (u64)tsz);
    write_sysreg(ttbr0_el3, (u64)p.root);
    __asm__ volatile("dsb sy; tlbi alle3; dsb sy; isb" ::: "memory");
    write_sysreg(sctlr_el3, read_sysreg(sctlr_el3) | 1 | (1 << 2) | (1 << 12));
    puts_("EL3, 64K, PS ");
    put_dec(ps == 6 ? 52 : 48);
    puts_(", T0SZ ");
    put_dec(tsz);
    puts_("\n");
    *(volatile u64 *)data = 0x5252;
    puts_("read through TV: ");
    put_hex(*(volatile u64 *)TV);
    puts_("\n");
    print_par("at s1e3r TV+8", at_s1e3r(TV + 8) - (u64)data);
    print_par("at s1e3r high-PA page", at_s1e3r(TV + 65536 + 16));
    if (tsz == 12) {
        puts_("read through HIGH_VA: ");
        put_hex(*(volatile u64 *)HIGH_VA);
        puts_("\n");
        print_par("at s1e3r HIGH_VA+8", at_s1e3r(HIGH_VA + 8) - (u64)data);
        TRY_VA("EL3 load HIGH_VA+64K (unmapped)", "mov x0, %[a]\n ldr x1, [x0]",
               HIGH_VA + 65536);
    } else {
        TRY_VA("EL3 load HIGH_VA with T0SZ 16", "mov x0, %[a]\n ldr x1, [x0]", HIGH_VA);
    }
    write_sysreg(sctlr_el3, read_sysreg(sctlr_el3) & ~1ul);
    __asm__ volatile("dsb sy; tlbi alle3; dsb sy; isb" ::: "memory");
}

// ---- EL1 under a 52-bit stage 2 (stage 1 off: IPA = VA) ----------------------------------

static struct pt s2;

static u64 at_el2_setup(u64 arg) {
    // VTCR_EL2: RES1 31, PS = 52, TG0 = 64K, Inner Shareable WB, SL0 = 2 (level 1), T0SZ 12.
    write_sysreg(vtcr_el2, (1ul << 31) | (6ul << 16) | (1ul << 14) | (3ul << 12) |
                               (1ul << 10) | (1ul << 8) | (2ul << 6) | 12);
    write_sysreg(vttbr_el2, (u64)s2.root);
    write_sysreg(hcr_el2, (1ul << 31) | 1);
    __asm__ volatile("dsb sy; tlbi alle1; dsb sy; isb" ::: "memory");
    return arg;
}

static u64 el2_report(u64 arg) {
    puts_("HPFAR_EL2: ");
    put_hex(read_sysreg(hpfar_el2));
    puts_("\n");
    return arg;
}

static u64 at_el1(u64 arg) {
    puts_("EL1 read at IPA HIGH_VA: ");
    put_hex(*(volatile u64 *)HIGH_VA);
    puts_("\n");
    TRY_VA("EL1 load, IPA above 2^48 unmapped", "mov x0, %[a]\n ldr x1, [x0]",
           HIGH_VA + 0x20000);
    return arg;
}

static void el1_stage2(void) {
    pool_next = 0;
    s2.start = 1;
    s2.tsz = 12;
    s2.root = alloc_table();
    // S2AP RW, Normal write-back; Device for the low 512 MiB (UART).
    u64 s2n = (3ul << 6) | (0xful << 2) | ISH | AF;
    map(&s2, RAM, RAM, 1ul << 30, s2n, 2);
    map(&s2, 0, 0, 1ul << 29, (3ul << 6) | AF, 2);
    map(&s2, HIGH_VA, (u64)data, 65536, s2n, 3);
    *(volatile u64 *)data = 0x1252;
    run_at(2, at_el2_setup, 0);
    run_at(1, at_el1, 0);
    run_at(2, el2_report, 0);
    write_sysreg(hcr_el2, 1ul << 31);
}

int main(void) {
    puts_("lpa\n");
    puts_("ID_AA64MMFR0_EL1.PARange: ");
    put_dec(read_sysreg(id_aa64mmfr0_el1) & 0xf);
    puts_("\nID_AA64MMFR2_EL1.VARange: ");
    put_dec((read_sysreg(id_aa64mmfr2_el1) >> 16) & 0xf);
    puts_("\n");
    el3_regime(6, 16);
    el3_regime(5, 16);
    el3_regime(6, 12);
    el1_stage2();
    puts_("done\n");
    return 0;
}
