// expect-exit: 0
// build: glibc
// qemu-differs: qemu-aarch64 writes no ESR record and gives SIGILL si_code ILL_ILLOPN
// signals.c, printing what Linux gives and qemu-user does not (see the notes there): the ESR
// record's value for each fault and SIGILL's si_code ILL_ILLOPC.
#define REQUIRE_ESR 1
#include "signals.c"
