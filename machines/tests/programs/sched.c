// expect-exit: 0
// build: glibc
// cflags: -fno-tree-vectorize
// The waiting and scheduling syscalls a single-threaded process makes: futex (wait on a
// changed word, wait with a timeout, wake, wake-op, the PI lock word), nanosleep,
// clock_nanosleep, sched_yield, sched_getaffinity, sysinfo, and mremap (shrink, grow, move).
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

static long futex(uint32_t *u, int op, uint32_t val, const struct timespec *t, uint32_t *u2, uint32_t val3) {
    return syscall(SYS_futex, u, op, val, t, u2, val3);
}

static void result(const char *what, long r) {
    printf("%s: %ld %s\n", what, r, r < 0 ? strerror(errno) : "");
}

int main(void) {
    uint32_t word = 5, other = 0x10;
    struct timespec short_wait = {0, 1000000};
    result("wait on a changed word", futex(&word, FUTEX_WAIT_PRIVATE, 4, NULL, NULL, 0));
    result("wait with a timeout", futex(&word, FUTEX_WAIT_PRIVATE, 5, &short_wait, NULL, 0));
    result("wake", futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0));
    result("wake-op add", futex(&word, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1, &other,
                                FUTEX_OP(FUTEX_OP_ADD, 3, FUTEX_OP_CMP_GT, 0)));
    printf("other after add: %#x\n", other);
    result("wake-op or shifted", futex(&word, FUTEX_WAKE_OP, 1, (void *)1, &other,
                                       FUTEX_OP(FUTEX_OP_OR | FUTEX_OP_OPARG_SHIFT, 8, FUTEX_OP_CMP_EQ, 0)));
    printf("other after or: %#x\n", other);
    result("cmp-requeue mismatch", futex(&word, FUTEX_CMP_REQUEUE, 1, (void *)1, &other, 99));
    uint32_t lock = 0;
    result("lock-pi free", futex(&lock, FUTEX_LOCK_PI, 0, NULL, NULL, 0));
    printf("lock owner is us: %d\n", (lock & FUTEX_TID_MASK) == (uint32_t)getpid());
    result("lock-pi again", futex(&lock, FUTEX_LOCK_PI, 0, NULL, NULL, 0));
    result("unlock-pi", futex(&lock, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0));
    printf("lock word: %u\n", lock);
    result("unaligned", futex((uint32_t *)((char *)&word + 1), FUTEX_WAKE, 1, NULL, NULL, 0));

    struct timespec before, after, nap = {0, 2000000}, bad = {0, 1000000000};
    clock_gettime(CLOCK_MONOTONIC, &before);
    result("nanosleep", nanosleep(&nap, NULL));
    clock_gettime(CLOCK_MONOTONIC, &after);
    long slept = (after.tv_sec - before.tv_sec) * 1000000000L + (after.tv_nsec - before.tv_nsec);
    printf("slept at least 2 ms: %d\n", slept >= 2000000);
    result("nanosleep bad", nanosleep(&bad, NULL));
    struct timespec until = after;
    until.tv_nsec += 1000000;
    if (until.tv_nsec >= 1000000000) { until.tv_sec++; until.tv_nsec -= 1000000000; }
    errno = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
    printf("clock_nanosleep absolute: %s\n", strerror(errno));
    result("sched_yield", sched_yield());

    cpu_set_t set;
    CPU_ZERO(&set);
    long n = syscall(SYS_sched_getaffinity, 0, sizeof set, &set);
    printf("affinity: %d, cpu0 %d\n", n > 0, CPU_ISSET(0, &set));
    struct sysinfo si;
    result("sysinfo", sysinfo(&si));
    printf("sysinfo: procs %d, ram %d, unit %d\n", si.procs > 0, si.totalram > 0, si.mem_unit > 0);

    size_t page = 4096;
    char *p = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (int i = 0; i < 4 * 4096; i++) p[i] = (char)(i * 13);
    char *q = mremap(p, 4 * page, 2 * page, 0);
    printf("shrink in place: %d\n", q == p);
    q = mremap(p, 2 * page, 64 * page, MREMAP_MAYMOVE);
    long sum = 0;
    for (int i = 0; i < 2 * 4096; i++) sum += q[i] == (char)(i * 13);
    q[64 * 4096 - 1] = 1;
    printf("grown: content kept %ld, new pages zero %d\n", sum, q[2 * 4096] == 0);
    char *r = mremap(q, 64 * page, 128 * page, 0);
    /* In place if the pages after are free, else ENOMEM: which depends on the layout. */
    printf("grow without MAYMOVE: %d\n", r == q || (r == MAP_FAILED && errno == ENOMEM));
    return 0;
}
