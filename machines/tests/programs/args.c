// expect-exit: 3
// run-args: one two
#include "sys.h"
int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) { puts_(argv[i]); puts_("\n"); }
    return argc;
}
