// expect-exit: 132
// cflags: -march=armv8.5-a -mbranch-protection=standard
// BTI: the binary is marked, so its code is in guarded pages; an indirect call to an
// instruction that is not a landing pad takes a Branch Target exception: SIGILL.
#include "sys.h"

__asm__(".text\n.globl not_a_pad\n.type not_a_pad, %function\nnot_a_pad:\n"
        " mov x0, #7\n ret\n");
u64 not_a_pad(void);

int main(int argc, char **argv) {
    u64 (*volatile f)(void) = not_a_pad;
    puts_("before\n");
    u64 r = f();
    puts_("after ");
    put_u64(r);
    puts_("\n");
    return 0;
}
