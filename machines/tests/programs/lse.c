// expect-exit: 0
// cflags: -march=armv8.5-a+crc -mbranch-protection=standard
// LSE atomics in every size through the compiler's __atomic builtins, the min/max and pair
// forms through inline assembly, RCpc loads, and CRC32/CRC32C over a check string.
#include "sys.h"
#include <arm_acle.h>

static unsigned char b8;
static unsigned short h16;
static unsigned int w32;
static u64 x64;
static u64 pair[2] __attribute__((aligned(16)));

#define LDOP(op, sz, reg, ptr, val)                                                    \
    ({                                                                                 \
        u64 old_;                                                                      \
        __asm__ volatile(op " %" reg "1, %" reg "0, [%2]"                              \
                         : "=&r"(old_) : "r"(val), "r"(ptr) : "memory");                 \
        old_;                                                                          \
    })

static void line(const char *name, u64 v) {
    puts_(name);
    puts_(" ");
    put_hex(v);
    puts_("\n");
}

int main(int argc, char **argv) {
    u64 sum = 0;
    for (int i = 0; i < 100; i++) {
        sum += __atomic_fetch_add(&b8, 3, __ATOMIC_SEQ_CST);
        sum += __atomic_fetch_sub(&h16, 7, __ATOMIC_ACQUIRE);
        sum += __atomic_fetch_xor(&w32, 0x9e3779b9u * i, __ATOMIC_RELEASE);
        sum += __atomic_fetch_or(&x64, 1ull << (i % 64), __ATOMIC_RELAXED);
        sum += __atomic_fetch_and(&w32, ~(1u << (i % 32)), __ATOMIC_ACQ_REL);
        sum += __atomic_exchange_n(&h16, (unsigned short)(i * 1234), __ATOMIC_SEQ_CST);
        unsigned int expect = w32;
        if (__atomic_compare_exchange_n(&w32, &expect, expect + i, 0, __ATOMIC_SEQ_CST,
                                        __ATOMIC_RELAXED))
            sum += 1;
        unsigned char e8 = 1;
        if (!__atomic_compare_exchange_n(&b8, &e8, 0, 0, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
            sum += e8;
    }
    line("sum", sum);
    line("b8", b8);
    line("h16", h16);
    line("w32", w32);
    line("x64", x64);

    x64 = 0xfffffffffffffff0ull;
    line("ldsmax", LDOP("ldsmax", 64, "x", &x64, (u64)5));
    line("ldumin", LDOP("lduminal", 64, "x", &x64, (u64)7));
    line("after", x64);
    w32 = 0x80000000u;
    line("ldsminl", LDOP("ldsminl", 32, "w", &w32, (u64)1));
    line("ldumaxa", LDOP("ldumaxa", 32, "w", &w32, (u64)0x7fffffff));
    line("after", w32);
    b8 = 0x80;
    line("ldsmaxb", LDOP("ldsmaxb", 8, "w", &b8, (u64)0x7f));
    h16 = 0x8000;
    line("ldsminh", LDOP("ldsminh", 16, "w", &h16, (u64)0x7fff));
    line("after", b8 | (u64)h16 << 16);

    pair[0] = 11;
    pair[1] = 22;
    register u64 s0 __asm__("x4") = 11, s1 __asm__("x5") = 22;
    register u64 t0 __asm__("x6") = 33, t1 __asm__("x7") = 44;
    __asm__ volatile("caspal x4, x5, x6, x7, [%2]"
                     : "+r"(s0), "+r"(s1) : "r"(pair), "r"(t0), "r"(t1) : "memory");
    line("casp old", s0 + (s1 << 32));
    line("casp new", pair[0] + (pair[1] << 32));

    u64 v;
    __asm__ volatile("ldapr %0, [%1]" : "=r"(v) : "r"(&pair[1]) : "memory");
    line("ldapr", v);
    __asm__ volatile("stlur %1, [%2, #-8]\n\tldapur %0, [%2, #-8]"
                     : "=r"(v) : "r"((u64)0x1234), "r"(&pair[1]) : "memory");
    line("ldapur", v);

    const char *msg = "123456789";
    unsigned int c = ~0u, cc = ~0u;
    for (int i = 0; i < 9; i++) {
        c = __crc32b(c, msg[i]);
        cc = __crc32cb(cc, msg[i]);
    }
    line("crc32", ~c);
    line("crc32c", ~cc);
    u64 q = 0x0123456789abcdefull;
    line("crc32d", __crc32d(__crc32w(__crc32h(0, 0xbeef), 0xdeadbeef), q));
    line("crc32cd", __crc32cd(__crc32cw(__crc32ch(0, 0xbeef), 0xdeadbeef), q));
    return 0;
}
