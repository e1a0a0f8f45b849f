// expect-exit: 3
// build: glibc
// A glibc -static -O2 program: startup (IRELATIVE relocs, TLS, auxv), stdio, string routines.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    printf("Hello, %s! argc=%d\n", "glibc", argc);
    char buf[200], copy[200];
    memset(buf, 'x', sizeof buf);
    buf[150] = 0;
    memcpy(copy, buf, sizeof buf);
    printf("strlen=%zu strcmp=%d strchr=%td\n", strlen(buf), strcmp(buf, copy),
           strchr(buf + 3, 0) - buf);
    char *heap = malloc(100000);
    snprintf(heap, 100000, "%d %x %s %lu", -42, 0xbeef, "str", 1234567890123ul);
    puts(heap);
    free(heap);
    return 3;
}
