/* Freestanding support for the test programs: raw Linux syscalls, _start, and the few
 * string helpers the compiler may call. Built with -nostdlib -static -mgeneral-regs-only. */
typedef unsigned long u64;
typedef long i64;

static inline long syscall3(long nr, long a, long b, long c) {
    register long x8 __asm__("x8") = nr;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
    return x0;
}

static inline long sys_write(int fd, const void *buf, u64 n) { return syscall3(64, fd, (long)buf, n); }
static inline void sys_exit(int code) { for (;;) syscall3(93, code, 0, 0); }

static u64 strlen_(const char *s) { u64 n = 0; while (s[n]) n++; return n; }
static void puts_(const char *s) { sys_write(1, s, strlen_(s)); }

static void put_u64(u64 v) {
    char buf[24];
    int i = 23;
    buf[i] = 0;
    do { buf[--i] = '0' + v % 10; v /= 10; } while (v);
    puts_(buf + i);
}

static void put_i64(i64 v) {
    if (v < 0) { puts_("-"); put_u64(-(u64)v); } else put_u64(v);
}

static void put_hex(u64 v) {
    char buf[19];
    buf[0] = '0'; buf[1] = 'x';
    for (int i = 0; i < 16; i++) buf[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 15];
    buf[18] = 0;
    puts_(buf);
}

void *memcpy(void *d, const void *s, u64 n) {
    char *dp = d; const char *sp = s;
    while (n--) *dp++ = *sp++;
    return d;
}

void *memset(void *d, int c, u64 n) {
    char *dp = d;
    while (n--) *dp++ = c;
    return d;
}

int main(int argc, char **argv);

__attribute__((used)) void start_c(u64 *sp) {
    int argc = (int)sp[0];
    char **argv = (char **)(sp + 1);
    sys_exit(main(argc, argv));
}

__asm__(".globl _start\n_start:\n mov x0, sp\n bl start_c\n");
