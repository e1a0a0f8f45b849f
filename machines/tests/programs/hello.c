// expect-exit: 0
#include "sys.h"
int main(int argc, char **argv) {
    puts_("Hello, world!\n");
    return 0;
}
