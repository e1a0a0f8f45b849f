// expect-exit: 0
// build: glibc
// cflags: -march=armv8.5-a+crc -mbranch-protection=standard
// A glibc -static -O2 program built for v8.5 with return-address signing (PACIASP/RETAA) and
// BTI pads: qsort and bsearch call back into signed code, setjmp/longjmp unwind through it,
// and the compiler may pick LSE atomics and CRC instructions.
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static jmp_buf env;

static int cmp(const void *a, const void *b) {
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

__attribute__((noinline)) static long deep(int n) {
    if (n == 0) longjmp(env, 7);
    return deep(n - 1) + n;
}

int main(int argc, char **argv) {
    long v[200];
    for (int i = 0; i < 200; i++) v[i] = (i * 7919L) % 1009 - 500;
    qsort(v, 200, sizeof v[0], cmp);
    long key = v[123];
    long *hit = bsearch(&key, v, 200, sizeof v[0], cmp);
    printf("min %ld max %ld found %td\n", v[0], v[199], hit ? hit - v : -1);
    int r = setjmp(env);
    if (r == 0) {
        deep(50);
        puts("not reached");
    }
    printf("longjmp %d\n", r);
    static _Atomic long counter;
    for (int i = 0; i < 1000; i++) counter += i;
    printf("atomic %ld\n", (long)counter);
    return 0;
}
