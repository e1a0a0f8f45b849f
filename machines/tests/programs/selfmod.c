// expect-exit: 0
// Code written at run time: into an RWX mapping, into an RW mapping made RX with mprotect, and
// by the generated code itself; each time run, rewritten, flushed as real code must (DC CVAU,
// DSB, IC IVAU, DSB, ISB by CTR_EL0's line sizes) and run again. The second results show that
// the decoded-instruction cache saw the rewrite; munmap then mmap at the same place too.
#include "sys.h"

typedef unsigned int u32;

static long syscall6(long nr, long a, long b, long c, long d, long e, long f) {
    register long x8 __asm__("x8") = nr;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    register long x4 __asm__("x4") = e;
    register long x5 __asm__("x5") = f;
    __asm__ volatile("svc #0"
                     : "+r"(x0)
                     : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                     : "memory");
    return x0;
}

#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
#define MAP_PRIVATE 0x02
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20

static u32 *map(void *at, int prot) {
    long flags = MAP_PRIVATE | MAP_ANONYMOUS | (at ? MAP_FIXED : 0);
    long r = syscall6(222, (long)at, 4096, prot, flags, -1, 0);
    if (r < 0 && r > -4096) { puts_("mmap failed\n"); sys_exit(1); }
    return (u32 *)r;
}
static void protect(void *p, int prot) {
    if (syscall6(226, (long)p, 4096, prot, 0, 0, 0)) { puts_("mprotect failed\n"); sys_exit(1); }
}
static void unmap(void *p) { syscall6(215, (long)p, 4096, 0, 0, 0, 0); }

/* What __builtin___clear_cache does: clean the data cache to the point of unification, then
 * invalidate the instruction cache, by the line sizes CTR_EL0 reports. */
static void flush(void *start, u64 len) {
    u64 ctr;
    __asm__ volatile("mrs %0, ctr_el0" : "=r"(ctr));
    u64 dline = 4ul << ((ctr >> 16) & 15), iline = 4ul << (ctr & 15);
    u64 a = (u64)start, end = a + len;
    for (u64 p = a & ~(dline - 1); p < end; p += dline) __asm__ volatile("dc cvau, %0" ::"r"(p) : "memory");
    __asm__ volatile("dsb ish" ::: "memory");
    for (u64 p = a & ~(iline - 1); p < end; p += iline) __asm__ volatile("ic ivau, %0" ::"r"(p) : "memory");
    __asm__ volatile("dsb ish\n isb" ::: "memory");
}

#define MOV_W0(imm) (0x52800000u | ((u32)(imm) << 5)) /* mov w0, #imm */
#define ADD_W0_W0(imm) (0x11000000u | ((u32)(imm) << 10)) /* add w0, w0, #imm */
#define RET 0xd65f03c0u
#define STR_W1_X0 0xb9000001u  /* str w1, [x0] */
#define DC_CVAU_X0 0xd50b7b20u
#define DSB_ISH 0xd5033b9fu
#define IC_IVAU_X0 0xd50b7520u
#define ISB 0xd5033fdfu

typedef int (*fn0)(void);
typedef int (*fn2)(u32 *, u32);

static void show(const char *what, long v) { puts_(what); puts_(": "); put_i64(v); puts_("\n"); }

int main(int argc, char **argv) {
    /* 1. RWX: write, run, rewrite in place, run. */
    u32 *rwx = map(0, PROT_READ | PROT_WRITE | PROT_EXEC);
    rwx[0] = MOV_W0(1); rwx[1] = RET;
    flush(rwx, 8);
    show("rwx first", ((fn0)rwx)());
    rwx[0] = MOV_W0(2);
    flush(rwx, 4);
    show("rwx rewritten", ((fn0)rwx)());

    /* 2. A loop that rewrites one instruction of a hot function each time round. */
    long sum = 0;
    rwx[100] = MOV_W0(0); rwx[101] = ADD_W0_W0(0); rwx[102] = RET;
    for (int i = 0; i < 200; i++) {
        rwx[101] = ADD_W0_W0(i);
        flush(rwx + 101, 4);
        sum += ((fn0)(rwx + 100))();
    }
    show("rwx loop", sum);

    /* 3. Generated code that stores over its own next instructions, then synchronises. */
    u32 *g = rwx + 200;
    g[0] = STR_W1_X0; g[1] = DC_CVAU_X0; g[2] = DSB_ISH; g[3] = IC_IVAU_X0; g[4] = DSB_ISH;
    g[5] = ISB; g[6] = MOV_W0(5); g[7] = RET;
    flush(g, 32);
    show("self store", ((fn2)g)(g + 6, MOV_W0(6)));
    show("self store again", ((fn2)g)(g + 6, MOV_W0(7)));
    show("after", ((fn0)(g + 6))());

    /* 4. RW, then mprotect RX; back to RW to rewrite, RX again. */
    u32 *rw = map(0, PROT_READ | PROT_WRITE);
    rw[0] = MOV_W0(3); rw[1] = RET;
    flush(rw, 8);
    protect(rw, PROT_READ | PROT_EXEC);
    show("rx first", ((fn0)rw)());
    protect(rw, PROT_READ | PROT_WRITE);
    rw[0] = MOV_W0(4);
    flush(rw, 4);
    protect(rw, PROT_READ | PROT_EXEC);
    show("rx rewritten", ((fn0)rw)());

    /* 5. munmap, then a new mapping at the same address with other code. */
    unmap(rw);
    u32 *again = map(rw, PROT_READ | PROT_WRITE | PROT_EXEC);
    again[0] = MOV_W0(9); again[1] = RET;
    flush(again, 8);
    show("remapped", ((fn0)again)());
    return 0;
}
