// expect-exit: 0
// Copies and compares buffers of every small size and alignment, on the stack and in .bss.
#include "sys.h"
static unsigned char src[512], dst[512];
int main(int argc, char **argv) {
    unsigned char local[300];
    u64 sum = 0;
    for (int i = 0; i < 512; i++) src[i] = (unsigned char)(i * 7 + 3);
    for (int len = 0; len < 64; len++)
        for (int so = 0; so < 8; so++)
            for (int d = 0; d < 8; d++) {
                memcpy(dst + d, src + so, len);
                for (int k = 0; k < len; k++) sum += dst[d + k] * (k + 1);
            }
    memcpy(local, src + 5, sizeof local);
    for (int k = 0; k < 300; k++) sum = sum * 3 + local[k];
    unsigned short *h = (unsigned short *)(dst + 1);
    unsigned int *w = (unsigned int *)(dst + 2);
    *h = 0xbeef; *w = 0xdeadbeef; sum += *h + *w + dst[1];
    put_u64(sum); puts_("\n");
    return 0;
}
