// expect-exit: 0
// cflags: -march=armv8.5-a+crc -mbranch-protection=standard
// Pointer authentication and BTI: every non-leaf function here signs and authenticates its
// return address (PACIASP, RETAA), indirect calls land on BTI pads in guarded pages, and the
// PAC*/AUT*/XPAC*/PACGA/LDRAA instructions round-trip pointers under the random keys the
// kernel gives the process. Nothing printed depends on the keys.
#include "sys.h"

static u64 pacia(u64 p, u64 m) { __asm__("pacia %0, %1" : "+r"(p) : "r"(m)); return p; }
static u64 autia(u64 p, u64 m) { __asm__("autia %0, %1" : "+r"(p) : "r"(m)); return p; }
static u64 pacib(u64 p, u64 m) { __asm__("pacib %0, %1" : "+r"(p) : "r"(m)); return p; }
static u64 autib(u64 p, u64 m) { __asm__("autib %0, %1" : "+r"(p) : "r"(m)); return p; }
static u64 pacda(u64 p, u64 m) { __asm__("pacda %0, %1" : "+r"(p) : "r"(m)); return p; }
static u64 autda(u64 p, u64 m) { __asm__("autda %0, %1" : "+r"(p) : "r"(m)); return p; }
static u64 pacdb(u64 p, u64 m) { __asm__("pacdb %0, %1" : "+r"(p) : "r"(m)); return p; }
static u64 autdb(u64 p, u64 m) { __asm__("autdb %0, %1" : "+r"(p) : "r"(m)); return p; }
static u64 xpaci(u64 p) { __asm__("xpaci %0" : "+r"(p)); return p; }
static u64 xpacd(u64 p) { __asm__("xpacd %0" : "+r"(p)); return p; }
static u64 pacga(u64 a, u64 b) { u64 r; __asm__("pacga %0, %1, %2" : "=r"(r) : "r"(a), "r"(b)); return r; }

static void check(const char *what, int ok, u64 *failures) {
    puts_(what);
    puts_(ok ? " ok\n" : " FAILED\n");
    if (!ok) ++*failures;
}

__attribute__((noinline)) static u64 fib(u64 n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
__attribute__((noinline)) static u64 twice(u64 x) { return 2 * x; }
__attribute__((noinline)) static u64 square(u64 x) { return x * x; }

static u64 data_word = 0x1122334455667788ull;

int main(int argc, char **argv) {
    u64 failures = 0;
    u64 p = (u64)&data_word, f = (u64)&fib, sp;
    __asm__("mov %0, sp" : "=r"(sp));
    check("autia(pacia)", autia(pacia(f, sp), sp) == f, &failures);
    check("autib(pacib)", autib(pacib(f, 42), 42) == f, &failures);
    check("autda(pacda)", autda(pacda(p, 7), 7) == p, &failures);
    check("autdb(pacdb)", autdb(pacdb(p, 0), 0) == p, &failures);
    check("xpaci(pacia)", xpaci(pacia(f, 1)) == f, &failures);
    check("xpacd(pacdb)", xpacd(pacdb(p, 1)) == p, &failures);
    check("pac keeps low bits", (pacia(f, 3) & 0xffffffffffffull) == f, &failures);
    check("pacga low half zero", (pacga(f, 5) & 0xffffffffull) == 0, &failures);
    check("pacga deterministic", pacga(f, 5) == pacga(f, 5), &failures);

    u64 v, q = pacda(p, 0);
    __asm__ volatile("ldraa %0, [%1]" : "=r"(v) : "r"(q) : "memory");
    check("ldraa", v == data_word, &failures);
    u64 q8 = pacdb(p - 8, 0);
    __asm__ volatile("ldrab %0, [%1, #8]!" : "=r"(v), "+r"(q8) : : "memory");
    check("ldrab pre-index", v == data_word && q8 == p, &failures);

    u64 (*volatile fns[3])(u64) = {fib, twice, square};
    u64 sum = 0;
    for (int i = 0; i < 30; i++) sum += fns[i % 3](i % 20);
    puts_("calls ");
    put_u64(sum);
    puts_("\n");

    u64 target = (u64)&twice, r;
    register u64 x17 __asm__("x17") = pacia(target, 99);
    register u64 x16 __asm__("x16") = 99;
    __asm__ volatile("mov x0, #21\n\tblraa x17, x16\n\tmov %0, x0"
                     : "=r"(r), "+r"(x17), "+r"(x16)
                     : : "x0", "x1", "x2", "x30", "memory");
    check("blraa", r == 42, &failures);
    return failures;
}
