// expect-exit: 7
#include "sys.h"
static volatile i64 vals[] = {0, 1, -1, 7, -7, 0x7fffffffffffffff, (i64)0x8000000000000000, 12345678901234, -3};
int main(int argc, char **argv) {
    int n = sizeof vals / sizeof vals[0];
    u64 acc = 0;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
            i64 a = vals[i], b = vals[j];
            u64 ua = a, ub = b;
            acc = acc * 31 + (u64)(a + b);
            acc = acc * 31 + (u64)(a - b);
            acc = acc * 31 + ua * ub;
            if (b != 0 && !(a == (i64)0x8000000000000000 && b == -1)) acc = acc * 31 + (u64)(a / b) + (u64)(a % b);
            if (ub != 0) acc = acc * 31 + ua / ub + ua % ub;
            acc = acc * 31 + (ua << (ub & 63)) + (ua >> (ub & 63)) + (u64)(a >> (ub & 63));
            acc = acc * 31 + (u64)(((unsigned __int128)ua * ub) >> 64);
            acc = acc * 31 + (u64)(((__int128)a * b) >> 64);
            acc = acc * 31 + (a < b) + 2 * (ua < ub) + 4 * (a == b);
            acc = acc * 31 + (u64)__builtin_clzll(ua | 1) + (u64)__builtin_ctzll(ub | 0x100) + (ua & 0xff);
            acc = acc * 31 + __builtin_bswap64(ua) + __builtin_bswap32((unsigned)ub);
            acc = acc * 31 + (u64)(int)a + (u64)(short)b + (u64)(signed char)(a ^ b) + (unsigned)(a * b);
        }
    }
    put_hex(acc); puts_("\n");
    return 7;
}
