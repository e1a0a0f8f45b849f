/* Signals from outside the process, as `specula run` forwards them from the host: SIGCHLD
 * from a child's exit ending a sigsuspend, SIGUSR1 from a child interrupting a blocking read
 * (restarted with SA_RESTART, EINTR without), an ignored SIGUSR2 that changes nothing, and a
 * SIGTERM with the default action ending the process (exit status 128 + 15 to the shell). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t chld, usr1;
static void on_chld(int s) { (void)s; chld++; }
static void on_usr1(int s) { (void)s; usr1++; }

static void nap(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0) {}
}

/* A child that signals its parent after `delay` ms, then writes one byte to `fd`. */
static pid_t signaller(int sig, long delay, int fd) {
    pid_t p = fork();
    if (p == 0) {
        nap(delay);
        kill(getppid(), sig);
        nap(delay);
        if (write(fd, "x", 1) != 1) _exit(9);
        _exit(0);
    }
    return p;
}

static void read_through(const char *what, int flags) {
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1;
    sa.sa_flags = flags;
    sigaction(SIGUSR1, &sa, NULL);
    int fds[2];
    if (pipe(fds) != 0) return;
    usr1 = 0;
    pid_t p = signaller(SIGUSR1, 300, fds[1]);
    close(fds[1]);
    char c = 0;
    ssize_t n = read(fds[0], &c, 1);
    int err = n < 0 ? errno : 0;
    if (n < 0) n = read(fds[0], &c, 1);
    printf("%s: handler ran %d, first read %s, then got %c\n", what, usr1,
           err ? strerror(err) : "completed", n == 1 ? c : '?');
    close(fds[0]);
    waitpid(p, NULL, 0);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigaction sa = {0};
    sa.sa_handler = on_chld;
    sigaction(SIGCHLD, &sa, NULL);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, &old);
    pid_t p = fork();
    if (p == 0) _exit(3);
    while (!chld) sigsuspend(&old);
    sigprocmask(SIG_SETMASK, &old, NULL);
    int status = 0;
    waitpid(p, &status, 0);
    printf("SIGCHLD ended sigsuspend: %d, child status %d\n", chld, WEXITSTATUS(status));

    read_through("SA_RESTART", SA_RESTART);
    read_through("no SA_RESTART", 0);

    signal(SIGUSR2, SIG_IGN);
    int fds[2];
    if (pipe(fds) != 0) return 1;
    p = signaller(SIGUSR2, 200, fds[1]);
    close(fds[1]);
    char c = 0;
    ssize_t n = read(fds[0], &c, 1);
    printf("ignored SIGUSR2: read %zd %c\n", n, c);
    waitpid(p, NULL, 0);

    p = signaller(SIGTERM, 200, fds[0]);
    for (;;) pause();
}
