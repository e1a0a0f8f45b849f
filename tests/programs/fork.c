// fork, wait4 and waitpid through `specula run`, each child its own emulator: exit statuses,
// a child killed by a signal, getpid in the child, and memory copied, not shared.
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int shared = 1;

static void say(const char *s) { write(1, s, strlen(s)); }

int main(void) {
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

    int n = 0;
    for (int i = 0; i < 3; i++)
        if (fork() == 0) _exit(i + 1);
    int sum = 0;
    while ((p = wait(&st)) > 0) {
        n++;
        sum += WEXITSTATUS(st);
    }
    printf("reaped %d children, statuses sum %d\n", n, sum);
    return 3;
}
