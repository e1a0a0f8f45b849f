// 52-bit addresses with the 4K and 16K granules (FEAT_LPA2, TCR_ELx.DS and VTCR_EL2.DS): at
// EL3 with 4K and T0SZ = 12 the walk starts at level -1; output addresses carry bits 51:50 in
// descriptor bits 9:8 and 49:48 in place (shareability comes from TCR_EL3.SH0); a 512 GiB
// block at level 0; a block descriptor at level -1 is a Translation fault at level -1; under
// PS = 48 bits a high output address is an Address size fault. 16K with DS starts at level 0
// and has 64 GiB blocks at level 1. At EL1, a stage 2 with VTCR_EL2.DS and SL2 (start level
// -1) translates an IPA above 2^48, and HPFAR_EL2 reports one that faults. Only AT looks at
// addresses beyond RAM.
#include "pt.h"

__asm__(".arch armv8.6-a");

// An output address above 2^48 (no memory there: AT only), and 512 GiB / 64 GiB aligned ones.
#define HIGH_PA 0x000f123400000000ul
#define HIGH_BLOCK_PA 0x000b000000000000ul
// Virtual addresses above 2^48, usable with T0SZ = 12.
#define HIGH_VA 0x000a000000000000ul
#define BLOCK_VA 0x0006000000000000ul
#define BAD_VA 0x000c000000000000ul
#define DS (1ul << 32)

static char pool[24 * 16384] __attribute__((aligned(16384)));
static u64 pool_next;
static char data[2 * 16384] __attribute__((aligned(16384)));

// A table walk with granule 2^g for `tsz`-bit regimes, starting at level `start`.
struct pt {
    int g, start, tsz;
    u64 *root;
};

static u64 *alloc_table(struct pt *p) {
    u64 *t = (u64 *)(pool + pool_next);
    pool_next += 1ul << p->g;
    for (u64 i = 0; i < (1ul << p->g) / 8; i++)
        t[i] = 0;
    return t;
}

// The output address field with DS: bits 49:12 in place, 51:50 in bits 9:8.
static u64 oa_field(u64 pa) { return (pa & 0x0003fffffffff000ul) | ((pa >> 50) & 3) << 8; }
static u64 next_table(u64 desc) {
    return (desc & 0x0003fffffffff000ul) | ((desc >> 8) & 3) << 50;
}

static int shift_of(struct pt *p, int level) { return p->g + (p->g - 3) * (3 - level); }
static u64 index_of(struct pt *p, u64 va, int level) {
    int shift = shift_of(p, level);
    u64 mask = level == p->start ? (1ul << (64 - p->tsz - shift)) - 1 : (1ul << (p->g - 3)) - 1;
    return (va >> shift) & mask;
}

static u64 *table_for(struct pt *p, u64 va, int level) {
    u64 *t = p->root;
    for (int l = p->start; l < level; l++) {
        u64 i = index_of(p, va, l);
        if (!(t[i] & VALID))
            t[i] = oa_field((u64)alloc_table(p)) | TABLE;
        t = (u64 *)next_table(t[i]);
    }
    return t;
}

static void map(struct pt *p, u64 va, u64 pa, u64 size, u64 attrs, int level) {
    u64 step = 1ul << shift_of(p, level);
    for (u64 off = 0; off < size; off += step) {
        u64 *t = table_for(p, va + off, level);
        t[index_of(p, va + off, level)] = oa_field(pa + off) | attrs | (level == 3 ? PAGE : BLOCK);
    }
}

static void print_par(const char *name, u64 par) {
    puts_(name);
    puts_(": PAR ");
    // F, FST, PTW, S; or the PA (bits 51:12) with ATTR (SH, bits 8:7, from TCR_ELx).
    put_hex(par & 1 ? par & 0x3ff : par & 0xff0ffffffffff181ul);
    puts_("\n");
}

static u64 at_s1e3r(u64 va) {
    u64 par;
    __asm__ volatile("at s1e3r, %1\n isb\n mrs %0, par_el1" : "=r"(par) : "r"(va));
    return par;
}

static void el3_regime(int g, int ps) {
    pool_next = 0;
    struct pt p = {g, g == 12 ? -1 : 0, 12, 0};
    p.root = alloc_table(&p);
    u64 page = 1ul << g;
    if (g == 12) {
        map(&p, RAM, RAM, 1ul << 30, NORMAL | AF, 1);
        map(&p, UART & ~0x1ffffful, UART & ~0x1ffffful, 1ul << 21, DEVICE | AF | XN, 2);
        map(&p, BLOCK_VA, HIGH_BLOCK_PA, 1ul << 39, NORMAL | AF, 0);
    } else {
        map(&p, RAM, RAM, 1ul << 30, NORMAL | AF, 2);
        map(&p, UART & ~0x1fffffful, UART & ~0x1fffffful, 1ul << 25, DEVICE | AF | XN, 2);
        map(&p, BLOCK_VA, HIGH_BLOCK_PA, 1ul << 36, NORMAL | AF, 1);
    }
    map(&p, TV, (u64)data, page, NORMAL | AF, 3);
    map(&p, TV + page, HIGH_PA, page, NORMAL | AF, 3);
    map(&p, HIGH_VA, (u64)data, page, NORMAL | AF, 3);
    // A block descriptor at the start level: at level -1 (4K) nothing but tables.
    p.root[index_of(&p, BAD_VA, p.start)] = oa_field(HIGH_BLOCK_PA) | NORMAL | AF | BLOCK;
    write_sysreg(mair_el3, 0x00fful);
    // TCR_EL3: DS, RES1 31 and 23, PS, TG0, Inner Shareable (SH0 = 3), write-back, T0SZ 12.
    write_sysreg(tcr_el3, DS | (1ul << 31) | (1ul << 23) | ((u64)ps << 16) |
                              ((g == 12 ? 0ul : 2ul) << 14) | (3ul << 12) | (1ul << 10) |
                              (1ul << 8) | 12);
    write_sysreg(ttbr0_el3, (u64)p.root);
    __asm__ volatile("dsb sy; tlbi alle3; dsb sy; isb" ::: "memory");
    write_sysreg(sctlr_el3, read_sysreg(sctlr_el3) | 1 | (1 << 2) | (1 << 12));
    puts_(g == 12 ? "EL3, 4K" : "EL3, 16K");
    puts_(", DS, PS ");
    put_dec(ps == 6 ? 52 : 48);
    puts_(", T0SZ 12\n");
    *(volatile u64 *)data = 0x5252;
    puts_("read through TV: ");
    put_hex(*(volatile u64 *)TV);
    puts_("\n");
    puts_("read through HIGH_VA: ");
    put_hex(*(volatile u64 *)(HIGH_VA + 8) + *(volatile u64 *)HIGH_VA);
    puts_("\n");
    print_par("at s1e3r TV+8", at_s1e3r(TV + 8) - (u64)data);
    print_par("at s1e3r high-PA page", at_s1e3r(TV + page + 16));
    print_par("at s1e3r in the large block", at_s1e3r(BLOCK_VA + 0x123456789ul));
    print_par("at s1e3r under the start-level block", at_s1e3r(BAD_VA + 0x1000));
    TRY_VA("EL3 load HIGH_VA+page (unmapped)", "mov x0, %[a]\n ldr x1, [x0]", HIGH_VA + page);
    write_sysreg(sctlr_el3, read_sysreg(sctlr_el3) & ~1ul);
    __asm__ volatile("dsb sy; tlbi alle3; dsb sy; isb" ::: "memory");
}

// ---- EL1 under a 52-bit 4K stage 2 from level -1 (stage 1 off: IPA = VA) -----------------

static struct pt s2;

static u64 stage2_on(u64 arg) {
    // VTCR_EL2: SL2, DS, RES1 31, PS = 52, TG0 = 4K, Inner Shareable WB, SL0 = 0, T0SZ 12.
    write_sysreg(vtcr_el2, (1ul << 33) | DS | (1ul << 31) | (6ul << 16) | (3ul << 12) |
                               (1ul << 10) | (1ul << 8) | 12);
    write_sysreg(vttbr_el2, (u64)s2.root);
    write_sysreg(hcr_el2, (1ul << 31) | 1);
    __asm__ volatile("dsb sy; tlbi alle1; dsb sy; isb" ::: "memory");
    return arg;
}

static u64 el2_report(u64 arg) {
    puts_("HPFAR_EL2: ");
    put_hex(read_sysreg(hpfar_el2));
    puts_("\n");
    write_sysreg(hcr_el2, 1ul << 31);
    return arg;
}

static u64 el1_high_ipa(u64 arg) {
    puts_("EL1 read at IPA HIGH_VA: ");
    put_hex(*(volatile u64 *)HIGH_VA);
    puts_("\n");
    TRY_VA("EL1 load, IPA above 2^48 unmapped", "mov x0, %[a]\n ldr x1, [x0]",
           HIGH_VA + 0x20000);
    return arg;
}

static void el1_stage2(void) {
    pool_next = 0;
    s2.g = 12;
    s2.start = -1;
    s2.tsz = 12;
    s2.root = alloc_table(&s2);
    // S2AP RW, Normal write-back; Device for the UART's 2 MiB.
    u64 s2n = (3ul << 6) | (0xful << 2) | AF;
    map(&s2, RAM, RAM, 1ul << 30, s2n, 1);
    map(&s2, UART & ~0x1ffffful, UART & ~0x1ffffful, 1ul << 21, (3ul << 6) | AF, 2);
    map(&s2, HIGH_VA, (u64)data, 4096, s2n, 3);
    *(volatile u64 *)data = 0x5151;
    run_at(2, stage2_on, 0);
    run_at(1, el1_high_ipa, 0);
    run_at(2, el2_report, 0);
}

int main(void) {
    puts_("lpa2\n");
    u64 mmfr0 = read_sysreg(id_aa64mmfr0_el1);
    puts_("ID_AA64MMFR0_EL1 TGran4, TGran16, TGran4_2, TGran16_2: ");
    put_dec(mmfr0 >> 28 & 15);
    puts_(" ");
    put_dec(mmfr0 >> 20 & 15);
    puts_(" ");
    put_dec(mmfr0 >> 40 & 15);
    puts_(" ");
    put_dec(mmfr0 >> 32 & 15);
    puts_("\n");
    el3_regime(12, 6);
    el3_regime(12, 5);
    el3_regime(14, 6);
    el1_stage2();
    return 0;
}
