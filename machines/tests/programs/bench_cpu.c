// expect-exit: 0
// run-args: 1
// The CPU-bound workload of `specula bench run`: a sieve of Eratosthenes, a table-driven
// CRC-32, an insertion sort and a heap sort over LCG data, repeated ROUNDS times (argv[1];
// the test runs 1 round, the benchmark many). Prints one checksum line per round count.
#include "sys.h"

#define SIEVE_N 200000
#define SORT_N 4000
#define CRC_N 65536

static unsigned char composite[SIEVE_N];
static unsigned int crc_table[256];
static unsigned char crc_buf[CRC_N];
static unsigned int sort_a[SORT_N], sort_b[SORT_N];

static u64 sieve(void) {
    for (u64 i = 0; i < SIEVE_N; i++) composite[i] = 0;
    u64 count = 0;
    for (u64 i = 2; i < SIEVE_N; i++) {
        if (composite[i]) continue;
        count++;
        for (u64 j = i * i; j < SIEVE_N; j += i) composite[j] = 1;
    }
    return count;
}

static void crc_init(void) {
    for (unsigned int n = 0; n < 256; n++) {
        unsigned int c = n;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
}

static unsigned int crc32(const unsigned char *p, u64 n) {
    unsigned int c = 0xffffffffu;
    for (u64 i = 0; i < n; i++) c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

static void insertion_sort(unsigned int *a, u64 n) {
    for (u64 i = 1; i < n; i++) {
        unsigned int v = a[i];
        u64 j = i;
        while (j > 0 && a[j - 1] > v) { a[j] = a[j - 1]; j--; }
        a[j] = v;
    }
}

static void sift_down(unsigned int *a, u64 root, u64 n) {
    for (;;) {
        u64 child = 2 * root + 1;
        if (child >= n) return;
        if (child + 1 < n && a[child] < a[child + 1]) child++;
        if (a[root] >= a[child]) return;
        unsigned int t = a[root]; a[root] = a[child]; a[child] = t;
        root = child;
    }
}

static void heap_sort(unsigned int *a, u64 n) {
    for (u64 i = n / 2; i-- > 0;) sift_down(a, i, n);
    for (u64 end = n; end-- > 1;) {
        unsigned int t = a[0]; a[0] = a[end]; a[end] = t;
        sift_down(a, 0, end);
    }
}

static u64 parse(const char *s) {
    u64 v = 0;
    while (*s >= '0' && *s <= '9') v = v * 10 + (u64)(*s++ - '0');
    return v;
}

int main(int argc, char **argv) {
    u64 rounds = argc > 1 ? parse(argv[1]) : 1;
    u64 x = 0x5eed, sum = 0;
    crc_init();
    for (u64 r = 0; r < rounds; r++) {
        sum = sum * 31 + sieve();
        for (u64 i = 0; i < CRC_N; i++) {
            x = x * 6364136223846793005ul + 1442695040888963407ul;
            crc_buf[i] = (unsigned char)(x >> 56);
        }
        sum = sum * 31 + crc32(crc_buf, CRC_N);
        for (u64 i = 0; i < SORT_N; i++) {
            x = x * 6364136223846793005ul + 1442695040888963407ul;
            sort_a[i] = sort_b[i] = (unsigned int)(x >> 32);
        }
        insertion_sort(sort_a, SORT_N / 4);
        heap_sort(sort_b, SORT_N);
        for (u64 i = 0; i + 1 < SORT_N / 4; i++)
            if (sort_a[i] > sort_a[i + 1]) return 1;
        for (u64 i = 0; i + 1 < SORT_N; i++)
            if (sort_b[i] > sort_b[i + 1]) return 2;
        sum = sum * 31 + sort_a[SORT_N / 8] + sort_b[SORT_N / 2];
    }
    put_u64(rounds); puts_(" rounds: "); put_hex(sum); puts_("\n");
    return 0;
}
