// expect-exit: 42
// A CPU-bound loop (also the --stats workload): an LCG and a checksum.
#include "sys.h"
int main(int argc, char **argv) {
    u64 x = 1, sum = 0;
    for (u64 i = 0; i < 3000000; i++) {
        x = x * 6364136223846793005ul + 1442695040888963407ul;
        sum += (x >> 33) ^ (sum << 1);
    }
    put_hex(sum); puts_("\n");
    return 42;
}
