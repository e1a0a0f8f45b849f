// expect-exit: 0
// build: glibc
// cflags: -fno-tree-vectorize
// qemu-differs: qemu-user runs as the host user (root under CI), the board as UID 1000, so setuid(0) differs; and mincore residency of untouched pages is the kernel's choice
// Credentials, prctl names, getrusage and mincore as an unprivileged single-threaded process sees them.
#define _GNU_SOURCE
#include <stdio.h>
#include <unistd.h>
#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <sys/mman.h>
int main(void) {
    uid_t r, e, s;
    printf("setuid self: %d\n", setuid(getuid()));
    printf("setuid 0: %d %s\n", setuid(0), strerror(errno));
    getresuid(&r, &e, &s);
    printf("resuid same: %d\n", r == e && e == s && r == getuid());
    char name[16] = {0};
    prctl(PR_SET_NAME, "specula-test-name-long");
    prctl(PR_GET_NAME, name);
    printf("name: %s\n", name);
    printf("dumpable: %d\n", prctl(PR_GET_DUMPABLE));
    struct rusage u;
    printf("getrusage: %d\n", getrusage(RUSAGE_SELF, &u));
    unsigned char v[4];
    char *p = mmap(0, 8192, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("mincore: %d %d\n", mincore(p, 8192, v), v[0] & 1);
    printf("prctl bogus: %d %s\n", prctl(9999), strerror(errno));
    return 0;
}
