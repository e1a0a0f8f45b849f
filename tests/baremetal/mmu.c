// Stage 1 translation at EL3 with each granule (4K, 16K, 64K), in EL2's own regime, then at
// EL1 (and EL0, by AT) under a
// stage 2 of EL2's: identity-mapped RAM, test pages with each permission, translation,
// Access flag, permission and Address size faults with their levels, AT, TLBI after a
// remapping, the hierarchical APTable/XNTable controls, TTBR1 for the upper VA range.
#include "pt.h"

static char pool[40 * 65536] __attribute__((aligned(65536)));
static u64 pool_next;
static char data[4 * 65536] __attribute__((aligned(65536)));

static u64 *alloc_table(int g) {
    u64 size = 1ul << g;
    u64 *t = (u64 *)(pool + pool_next);
    pool_next += size < 4096 ? 4096 : size;
    pool_next = (pool_next + size - 1) & ~(size - 1);
    for (u64 i = 0; i < size / 8; i++)
        t[i] = 0;
    return t;
}

struct pt {
    int g, start, tsz;
    u64 *root;
};

static int start_level(int g, int tsz) {
    int stride = g - 3, inputsize = 64 - tsz;
    return 4 - (inputsize - g + stride - 1) / stride;
}

static void pt_init(struct pt *p, int g, int tsz) {
    p->g = g;
    p->tsz = tsz;
    p->start = start_level(g, tsz);
    p->root = alloc_table(g);
}

// Maps [va, va + size) at `level` (2: blocks, 3: pages) with `attrs`; table descriptors on the
// way get `tattrs` when they are created.
static void map(struct pt *p, u64 va, u64 pa, u64 size, u64 attrs, int level, u64 tattrs) {
    int g = p->g, stride = g - 3;
    u64 step = 1ul << (g + stride * (3 - level));
    for (u64 off = 0; off < size; off += step) {
        u64 *t = p->root;
        for (int l = p->start; l < level; l++) {
            int shift = g + stride * (3 - l);
            u64 mask = l == p->start ? (1ul << (64 - p->tsz - shift)) - 1 : (1ul << stride) - 1;
            u64 i = ((va + off) >> shift) & mask;
            if (!(t[i] & VALID)) {
                u64 *n = alloc_table(g);
                t[i] = (u64)n | TABLE | tattrs;
            }
            t = (u64 *)(t[i] & 0x0000fffffffff000ul & ~((1ul << g) - 1));
        }
        int shift = g + stride * (3 - level);
        u64 mask = level == p->start ? (1ul << (64 - p->tsz - shift)) - 1 : (1ul << stride) - 1;
        t[((va + off) >> shift) & mask] = (pa + off) | attrs | (level == 3 ? PAGE : BLOCK);
    }
}

// The leaf descriptor for va (for changing it).
static u64 *leaf(struct pt *p, u64 va) {
    int g = p->g, stride = g - 3;
    u64 *t = p->root;
    for (int l = p->start;; l++) {
        int shift = g + stride * (3 - l);
        u64 mask = l == p->start ? (1ul << (64 - p->tsz - shift)) - 1 : (1ul << stride) - 1;
        u64 *e = &t[(va >> shift) & mask];
        if (l == 3 || (*e & 3) != TABLE)
            return e;
        t = (u64 *)(*e & 0x0000fffffffff000ul & ~((1ul << g) - 1));
    }
}

static void sync(void) { __asm__ volatile("dsb sy; tlbi alle3; dsb sy; isb" ::: "memory"); }

static void print_par(const char *name, u64 par) {
    puts_(name);
    puts_(": PAR ");
    // F, FST, PTW, S, and the PA with ATTR when F is 0.
    put_hex(par & 1 ? par & 0x3ff : par & 0xff0000fffffff001ul);
    puts_("\n");
}

static volatile u64 sink;

static void el3_granule(int g, int tg0, int blocklevel) {
    pool_next = 0;
    struct pt p;
    pt_init(&p, g, 16); // 48-bit VAs
    puts_("granule ");
    put_dec(1ul << (g - 10));
    puts_("K\n");
    map(&p, RAM, RAM, 1ul << 30, NORMAL | ISH | AF, blocklevel, 0);
    map(&p, UART & ~((1ul << 21) - 1), UART & ~((1ul << 21) - 1), 1ul << 21, DEVICE | AF | XN, 3, 0);
    u64 pg = 1ul << g;
    // Test pages: RW, RO, no AF, XN, and an output address beyond the 40-bit PA size.
    map(&p, TV, (u64)data, pg, NORMAL | ISH | AF, 3, 0);
    map(&p, TV + pg, (u64)data + pg, pg, NORMAL | ISH | AF | AP_RO, 3, 0);
    map(&p, TV + 2 * pg, (u64)data, pg, NORMAL | ISH, 3, 0);
    map(&p, TV + 3 * pg, (u64)data, pg, NORMAL | ISH | AF | XN, 3, 0);
    map(&p, TV + 4 * pg, 1ul << 41, pg, NORMAL | ISH | AF, 3, 0);
    write_sysreg(mair_el3, 0x00fful);
    // TCR_EL3: RES1 bits 31 and 23, PS = 40 bits, TG0, SH0 Inner, WB caches, T0SZ.
    write_sysreg(tcr_el3, (1ul << 31) | (1ul << 23) | (2ul << 16) | ((u64)tg0 << 14) |
                              (3ul << 12) | (1ul << 10) | (1ul << 8) | 16);
    write_sysreg(ttbr0_el3, (u64)p.root);
    sync();
    write_sysreg(sctlr_el3, read_sysreg(sctlr_el3) | 1 | (1 << 2) | (1 << 12));
    *(volatile u64 *)data = 0x1111;
    *(volatile u64 *)(data + pg) = 0x2222;
    puts_("read through TV: ");
    put_hex(*(volatile u64 *)TV);
    puts_("\n");
    TRY_VA("EL3 store to RW page", "mov x0, %[a]\n str x0, [x0]", TV);
    TRY_VA("EL3 load from RO page", "mov x0, %[a]\n ldr x1, [x0]", TV + pg);
    TRY_VA("EL3 store to RO page", "mov x0, %[a]\n str x1, [x0]", TV + pg);
    TRY_VA("EL3 load with AF=0", "mov x0, %[a]\n ldr x1, [x0]", TV + 2 * pg);
    TRY_VA("EL3 load from unmapped", "mov x0, %[a]\n ldr x1, [x0]", TV + 8 * pg);
    TRY_VA("EL3 load beyond 48-bit VA", "mov x0, %[a]\n ldr x1, [x0]", 1ul << 50);
    TRY_VA("EL3 load, OA beyond PS", "mov x0, %[a]\n ldr x1, [x0]", TV + 4 * pg);
    // Branch into the XN page: x30 brings the handler back.
    TRY_VA("EL3 fetch from XN page", "mov x0, %[a]\n adr x30, 9f\n br x0\n9: nop", TV + 3 * pg);
    TRY_VA("EL3 unaligned load from Normal", "mov x0, %[a]\n ldr x1, [x0]", TV + 1);
    u64 par;
    __asm__ volatile("at s1e3r, %1\n isb\n mrs %0, par_el1" : "=r"(par) : "r"(TV + 8));
    print_par("at s1e3r TV+8", par - (u64)data);
    __asm__ volatile("at s1e3w, %1\n isb\n mrs %0, par_el1" : "=r"(par) : "r"(TV + pg));
    print_par("at s1e3w RO page", par);
    __asm__ volatile("at s1e3r, %1\n isb\n mrs %0, par_el1" : "=r"(par) : "r"(TV + 8 * pg));
    print_par("at s1e3r unmapped", par);
    // Remap the RW page to the RO page's frame, with break-before-make and TLBI.
    u64 *e = leaf(&p, TV);
    *e = 0;
    __asm__ volatile("dsb sy; tlbi vae3, %0; dsb sy; isb" : : "r"(TV >> 12) : "memory");
    *e = ((u64)data + pg) | NORMAL | ISH | AF | PAGE;
    __asm__ volatile("dsb sy; tlbi vae3, %0; dsb sy; isb" : : "r"(TV >> 12) : "memory");
    puts_("after remap: ");
    put_hex(*(volatile u64 *)TV);
    puts_("\n");
    write_sysreg(sctlr_el3, read_sysreg(sctlr_el3) & ~1ul);
    sync();
}

// ---- EL2's own stage 1 (the EL2 regime: one VA range, TCR_EL2, TTBR0_EL2) --------------

static struct pt p2;

static u64 at_el2_stage1(u64 arg) {
    write_sysreg(mair_el2, 0x00fful);
    write_sysreg(tcr_el2, (1ul << 31) | (1ul << 23) | (2ul << 16) | (3ul << 12) | (1ul << 10) |
                              (1ul << 8) | 16);
    write_sysreg(ttbr0_el2, (u64)p2.root);
    __asm__ volatile("dsb sy; tlbi alle2; dsb sy; isb" ::: "memory");
    write_sysreg(sctlr_el2, read_sysreg(sctlr_el2) | 1 | (1 << 2) | (1 << 12));
    TRY_VA("EL2 load RW", "mov x0, %[a]\n ldr x1, [x0]", TV);
    TRY_VA("EL2 store to RO page", "mov x0, %[a]\n str x1, [x0]", TV + 4096);
    TRY_VA("EL2 load from unmapped", "mov x0, %[a]\n ldr x1, [x0]", TV + 8 * 4096);
    TRY_VA("EL2 fetch from XN page", "mov x0, %[a]\n adr x30, 9f\n br x0\n9: nop", TV + 2 * 4096);
    u64 par;
    __asm__ volatile("at s1e2r, %1\n isb\n mrs %0, par_el1" : "=r"(par) : "r"(TV + 16));
    print_par("at s1e2r TV+16", par - (u64)data);
    write_sysreg(sctlr_el2, read_sysreg(sctlr_el2) & ~1ul);
    __asm__ volatile("dsb sy; tlbi alle2; dsb sy; isb" ::: "memory");
    return arg;
}

static void el2_stage1(void) {
    pool_next = 0;
    pt_init(&p2, 12, 16);
    map(&p2, RAM, RAM, 1ul << 30, NORMAL | ISH | AF, 2, 0);
    map(&p2, UART & ~((1ul << 21) - 1), UART & ~((1ul << 21) - 1), 1ul << 21, DEVICE | AF | XN, 3, 0);
    map(&p2, TV, (u64)data, 4096, NORMAL | ISH | AF, 3, 0);
    map(&p2, TV + 4096, (u64)data, 4096, NORMAL | ISH | AF | AP_RO, 3, 0);
    map(&p2, TV + 2 * 4096, (u64)data, 4096, NORMAL | ISH | AF | XN, 3, 0);
    puts_("EL2 regime\n");
    run_at(2, at_el2_stage1, 0);
}

// ---- EL1 and EL0 under stage 2 -----------------------------------------------------------

static struct pt s1, s2;

static u64 at_el1(u64 arg) {
    TRY_VA("EL1 load RW", "mov x0, %[a]\n ldr x1, [x0]", TV);
    TRY_VA("EL1 store to stage-2 RO", "mov x0, %[a]\n str x1, [x0]", TV + 4096);
    TRY_VA("EL1 load via stage-2 unmapped IPA", "mov x0, %[a]\n ldr x1, [x0]", TV + 2 * 4096);
    TRY_VA("EL1 load, table in stage-2 hole", "mov x0, %[a]\n ldr x1, [x0]", 0x100000000ul);
    TRY_VA("EL1 load EL0-only page", "mov x0, %[a]\n ldr x1, [x0]", TV + 3 * 4096);
    TRY_VA("EL1 fetch EL0-writable page", "mov x0, %[a]\n adr x30, 9f\n br x0\n9: nop", TV + 3 * 4096);
    TRY_VA("EL1 store under APTable RO", "mov x0, %[a]\n str x1, [x0]", TV + 0x200000);
    TRY_VA("EL1 load TTBR1 page", "mov x0, %[a]\n ldr x1, [x0]", 0xffffffffc0000000ul);
    TRY_VA("EL1 load TTBR1 hole", "mov x0, %[a]\n ldr x1, [x0]", 0xffffffff80000000ul);
    u64 par;
    __asm__ volatile("at s1e1r, %1\n isb\n mrs %0, par_el1" : "=r"(par) : "r"(TV + 8));
    print_par("at s1e1r TV+8", par - (u64)data);
    __asm__ volatile("at s1e1r, %1\n isb\n mrs %0, par_el1" : "=r"(par) : "r"(TV + 9 * 4096));
    print_par("at s1e1r unmapped", par);
    return arg;
}

// EL0's permissions, asked from EL1 with AT S1E0R/S1E0W (running EL0 code would need RAM
// mapped for EL0, which would make it non-executable at EL1).
static void at_e0(const char *name, u64 va, int write) {
    u64 par;
    if (write)
        __asm__ volatile("at s1e0w, %1\n isb\n mrs %0, par_el1" : "=r"(par) : "r"(va));
    else
        __asm__ volatile("at s1e0r, %1\n isb\n mrs %0, par_el1" : "=r"(par) : "r"(va));
    print_par(name, par);
}

static u64 at_el1_for_el0(u64 arg) {
    at_e0("at s1e0r EL1-only page", TV, 0);
    at_e0("at s1e0w EL0 page", TV + 3 * 4096, 1);
    at_e0("at s1e0r under APTable no-EL0", TV + 0x400000, 0);
    at_e0("at s1e0w under APTable RO", TV + 0x200000, 1);
    return arg;
}

static u64 at_el2_setup(u64 arg) {
    // Stage 2: IPA = PA for RAM and the UART, 4K granule, 40-bit IPA starting at level 1;
    // the second test page read-only, the third unmapped.
    write_sysreg(vtcr_el2, (1ul << 31) | (2ul << 16) | (0ul << 14) | (3ul << 12) | (1ul << 10) |
                               (1ul << 8) | (1ul << 6) | 24);
    write_sysreg(vttbr_el2, (u64)s2.root);
    write_sysreg(hcr_el2, (1ul << 31) | 1);
    __asm__ volatile("dsb sy; tlbi alle1; dsb sy; isb" ::: "memory");
    return arg;
}

static void el1_stage2(void) {
    pool_next = 0;
    // Stage 2 starts at level 1 (VTCR_EL2.SL0 = 1) with two concatenated 4K tables for the
    // 40-bit IPA space: an 8K-aligned 8K root.
    pt_init(&s2, 12, 24);
    s2.start = 1;
    alloc_table(12);
    // S2AP RW (3 << 6), MemAttr Normal WB (0xf << 2).
    u64 s2n = (3ul << 6) | (0xful << 2) | ISH | AF;
    map(&s2, RAM, RAM, 1ul << 30, s2n, 2, 0);
    map(&s2, UART & ~((1ul << 21) - 1), UART & ~((1ul << 21) - 1), 1ul << 21, (3ul << 6) | AF, 2, 0);
    // IPA 0xa0000000.. for the stage-1 test pages' frames: RW, RO, and a hole.
    map(&s2, 0xa0000000ul, (u64)data, 4096, s2n, 3, 0);
    map(&s2, 0xa0001000ul, (u64)data + 4096, 4096, (1ul << 6) | (0xful << 2) | ISH | AF, 3, 0);
    map(&s2, 0xa0003000ul, (u64)data, 4096, s2n, 3, 0);
    map(&s2, 0xa0004000ul, (u64)data, 4096, s2n, 3, 0);
    pt_init(&s1, 12, 25); // 39-bit VAs for TTBR0 and TTBR1
    map(&s1, RAM, RAM, 1ul << 30, NORMAL | ISH | AF, 2, 0);
    map(&s1, UART & ~((1ul << 21) - 1), UART & ~((1ul << 21) - 1), 1ul << 21, DEVICE | AF | XN | PXN, 3, 0);
    map(&s1, TV, 0xa0000000ul, 4096, NORMAL | ISH | AF, 3, 0);
    map(&s1, TV + 4096, 0xa0001000ul, 4096, NORMAL | ISH | AF, 3, 0);
    map(&s1, TV + 2 * 4096, 0xa0002000ul, 4096, NORMAL | ISH | AF, 3, 0);
    map(&s1, TV + 3 * 4096, 0xa0003000ul, 4096, NORMAL | ISH | AF | AP_EL0, 3, 0);
    map(&s1, TV + 4 * 4096, 0xa0004000ul, 4096, NORMAL | ISH | AF | AP_EL0 | XN, 3, 0);
    // Hierarchical: a level-2 table marked read-only, another no-EL0.
    map(&s1, TV + 0x200000, 0xa0000000ul, 4096, NORMAL | ISH | AF, 3, APT_RO);
    map(&s1, TV + 0x400000, 0xa0000000ul, 4096, NORMAL | ISH | AF | AP_EL0, 3, APT_NOEL0);
    // A level-1 entry whose table is at an IPA stage 2 does not map.
    s1.root[4] = 0xb0000000ul | TABLE;
    // TTBR1: the top 1 GiB of the 39-bit upper range maps RAM.
    struct pt hi;
    pt_init(&hi, 12, 25);
    map(&hi, 0xffffffffc0000000ul & ((1ul << 39) - 1), RAM, 1ul << 30, NORMAL | ISH | AF, 2, 0);
    write_sysreg(mair_el1, 0x00fful);
    // TCR_EL1: IPS 40 bits, TG1 4K, TG0 4K, both SH Inner WB, T1SZ = T0SZ = 25.
    write_sysreg(tcr_el1, (2ul << 32) | (2ul << 30) | (3ul << 28) | (1ul << 26) | (1ul << 24) |
                              (25ul << 16) | (3ul << 12) | (1ul << 10) | (1ul << 8) | 25);
    write_sysreg(ttbr0_el1, (u64)s1.root);
    write_sysreg(ttbr1_el1, (u64)hi.root);
    run_at(2, at_el2_setup, 0);
    write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) | 1 | (1 << 2) | (1 << 12));
    run_at(1, at_el1, 0);
    run_at(1, at_el1_for_el0, 0);
    write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) & ~1ul);
    write_sysreg(hcr_el2, 1ul << 31);
}

int main(void) {
    puts_("mmu\n");
    el3_granule(12, 0, 2);
    el3_granule(14, 2, 2);
    el3_granule(16, 1, 3);
    el2_stage1();
    el1_stage2();
    puts_("done\n");
    return 0;
}
