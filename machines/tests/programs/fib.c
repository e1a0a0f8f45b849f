// expect-exit: 0
#include "sys.h"
__attribute__((noinline)) static u64 fib(u64 n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
int main(int argc, char **argv) {
    for (u64 i = 0; i <= 24; i += 4) { put_u64(fib(i)); puts_("\n"); }
    return 0;
}
