// fork, vfork, execve, wait4 and waitpid through `specula run`, each child its own emulator:
// exit statuses, a child killed by a signal, getpid in the child, memory copied, not shared,
// and this program exec'ing itself with new arguments and environment.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static int shared = 1;

static void say(const char *s) { write(1, s, strlen(s)); }

int main(int argc, char **argv) {
    if (argc > 3 && strcmp(argv[1], "fdcheck") == 0) {
        int fd = atoi(argv[2]), cloexec_fd = atoi(argv[3]);
        printf("exec'd: inherited fd %s, close-on-exec fd %s\n",
               fcntl(fd, F_GETFD) >= 0 ? "open" : "closed",
               fcntl(cloexec_fd, F_GETFD) >= 0 ? "open" : "closed");
        return 6;
    }
    if (argc > 1) {
        const char *foo = getenv("FOO");
        printf("exec'd: %s %s, FOO=%s, env count %d\n", argv[1], argc > 2 ? argv[2] : "-",
               foo ? foo : "(unset)", environ[0] && environ[1] ? 2 : environ[0] ? 1 : 0);
        return 5;
    }
    pid_t parent = getpid();
    pid_t p = fork();
    if (p < 0) {
        perror("fork");
        return 1;
    }
    if (p == 0) {
        shared = 99;
        say(getpid() != parent ? "child: own pid\n" : "child: parent's pid\n");
        _exit(42);
    }
    int st = 0;
    if (waitpid(p, &st, 0) != p) perror("waitpid");
    printf("parent: exited %d status %d, shared still %d\n", WIFEXITED(st), WEXITSTATUS(st),
           shared);
    fflush(stdout);

    p = fork();
    if (p == 0) {
        *(volatile int *)0 = 1;
        _exit(0);
    }
    waitpid(p, &st, 0);
    printf("parent: signalled %d signal %d\n", WIFSIGNALED(st), WTERMSIG(st));
    fflush(stdout);

    p = fork();
    if (p == 0)
        for (;;) shared++;
    printf("kill of a spinning child: %d\n", kill(p, SIGKILL));
    waitpid(p, &st, 0);
    printf("parent: signalled %d signal %d\n", WIFSIGNALED(st), WTERMSIG(st));

    int n = 0;
    for (int i = 0; i < 3; i++)
        if (fork() == 0) _exit(i + 1);
    int sum = 0;
    while ((p = wait(&st)) > 0) {
        n++;
        sum += WEXITSTATUS(st);
    }
    printf("reaped %d children, statuses sum %d\n", n, sum);
    fflush(stdout);

    int fds[2];
    if (pipe(fds) != 0) perror("pipe");
    p = fork();
    if (p == 0) {
        close(fds[0]);
        write(fds[1], "through a pipe", 14);
        _exit(0);
    }
    close(fds[1]);
    char msg[32] = {0};
    int got = 0, k;
    while ((k = read(fds[0], msg + got, sizeof msg - 1 - got)) > 0) got += k;
    close(fds[0]);
    waitpid(p, &st, 0);
    printf("parent read %d bytes from its child: %s\n", got, msg);
    fflush(stdout);

    char *av[] = {argv[0], "from-fork", "x", NULL};
    char *ev[] = {"FOO=bar", NULL};
    // qemu-user hands an execve'd aarch64 file to the host kernel, which runs it only when
    // binfmt_misc knows qemu; the test compares with qemu with this part left out.
    int no_exec = getenv("NO_EXEC") != NULL;
    if (!no_exec) {
        p = fork();
        if (p == 0) {
            execve(argv[0], av, ev);
            _exit(127);
        }
        waitpid(p, &st, 0);
        printf("fork+execve child: status %d\n", WEXITSTATUS(st));
        fflush(stdout);

        char *av2[] = {argv[0], "from-vfork", NULL};
        p = vfork();
        if (p == 0) {
            execve(argv[0], av2, ev);
            _exit(127);
        }
        waitpid(p, &st, 0);
        printf("vfork+execve child: status %d\n", WEXITSTATUS(st));
        fflush(stdout);

        int keep[2], drop[2];
        pipe(keep);
        pipe2(drop, O_CLOEXEC);
        char a1[16], a2[16];
        snprintf(a1, sizeof a1, "%d", keep[0]);
        snprintf(a2, sizeof a2, "%d", drop[0]);
        char *av3[] = {argv[0], "fdcheck", a1, a2, NULL};
        p = fork();
        if (p == 0) {
            execve(argv[0], av3, ev);
            _exit(127);
        }
        waitpid(p, &st, 0);
        printf("fdcheck child: status %d\n", WEXITSTATUS(st));
    }

    int r = execve("/nonexistent/program", av, ev);
    printf("execve of a missing file: %d %s\n", r, strerror(errno));
    return 3;
}
