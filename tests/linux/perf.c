// Counts with Linux's perf events on the guest's PMU (FEAT_PMUv3, through the kernel's
// armv8_pmuv3 driver): the instructions and cycles a fixed loop takes at EL0, and the
// overflow interrupts of a sampled counter, delivered as SIGIO. tests/it/linux.rs runs it.
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static int open_counter(uint64_t config, uint64_t period) {
    struct perf_event_attr a;
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.type = PERF_TYPE_HARDWARE;
    a.config = config;
    a.disabled = 1;
    a.exclude_kernel = 1;
    a.exclude_hv = 1;
    a.sample_period = period;
    a.wakeup_events = 1;
    return (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
}

// 4 instructions an iteration: 1,000,000 iterations are 4,000,000 instructions.
static void loop(void) {
    uint64_t n = 1000000;
    __asm__ volatile("1: add x9, x9, #1\n"
                     "   eor x10, x10, x9\n"
                     "   subs %0, %0, #1\n"
                     "   b.ne 1b\n"
                     : "+r"(n)
                     :
                     : "x9", "x10", "cc");
}

static volatile int sigios;
static void on_sigio(int sig) {
    (void)sig;
    sigios++;
}

static long count(uint64_t config) {
    int fd = open_counter(config, 0);
    if (fd < 0) {
        perror("perf_event_open");
        return -1;
    }
    ioctl(fd, PERF_EVENT_IOC_RESET, 0);
    ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
    loop();
    ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
    long long v = -1;
    if (read(fd, &v, sizeof v) != sizeof v)
        v = -1;
    close(fd);
    return (long)v;
}

int main(void) {
    long insns = count(PERF_COUNT_HW_INSTRUCTIONS);
    long cycles = count(PERF_COUNT_HW_CPU_CYCLES);
    // The loop's 4,000,000 and the few instructions of the ioctl wrappers around it.
    printf("perf: instructions %s (%ld)\n",
           insns >= 4000000 && insns < 4000000 + 1000 ? "ok" : "WRONG", insns);
    printf("perf: cycles %s\n",
           insns > 0 && cycles >= insns && cycles < insns + 1000 ? "ok" : "WRONG");

    // Sampling: an overflow every 100,000 instructions, each a PMU interrupt that the kernel
    // turns into SIGIO.
    signal(SIGIO, on_sigio);
    int fd = open_counter(PERF_COUNT_HW_INSTRUCTIONS, 100000);
    if (fd < 0) {
        perror("perf_event_open");
        return 1;
    }
    fcntl(fd, F_SETFL, O_ASYNC);
    fcntl(fd, F_SETSIG, SIGIO);
    fcntl(fd, F_SETOWN, getpid());
    ioctl(fd, PERF_EVENT_IOC_RESET, 0);
    ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
    loop();
    ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
    close(fd);
    // 4,000,000 instructions are 40 periods; the kernel's throttling may drop some.
    printf("perf: overflow signals %s (%d)\n", sigios >= 30 && sigios <= 41 ? "ok" : "WRONG",
           sigios);
    return 0;
}
