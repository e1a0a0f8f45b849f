// expect-exit: 0
// cflags: -march=armv8.5-a+crc -mbranch-protection=standard
// FlagM and FlagM2 on every NZCV value (CFINV, XAFLAG, AXFLAG, RMIF, SETF8, SETF16), SB, and
// the PSTATE fields EL0 may write (DIT, SSBS) through MSR immediate and register forms.
#include "sys.h"

#define FLAGS_OP(insn, nzcv, in)                                                         \
    ({                                                                                   \
        u64 out_;                                                                        \
        __asm__ volatile("msr nzcv, %1\n\t" insn "\n\tmrs %0, nzcv"                      \
                         : "=r"(out_) : "r"((u64)(nzcv) << 28), "r"((u64)(in)) : "cc");  \
        out_ >> 28;                                                                      \
    })

int main(int argc, char **argv) {
    static const u64 inputs[] = {0, 0x80, 0x100, 0x7f, 0xff, 0x8000, 0x18000, 0xffff,
                                 0x10000, 0x12345678, 0xfffffffffffffff5ull};
    char out[17 * 2 + 1];
    for (int f = 0; f < 16; f++) {
        u64 r[8];
        r[0] = FLAGS_OP("cfinv", f, 0);
        r[1] = FLAGS_OP("xaflag", f, 0);
        r[2] = FLAGS_OP("axflag", f, 0);
        r[3] = FLAGS_OP("rmif %2, #3, #5", f, 0x50 ^ (f << 3));
        r[4] = FLAGS_OP("rmif %2, #63, #15", f, f * 0x1111);
        r[5] = FLAGS_OP("rmif %2, #0, #10", f, 0xf - f);
        r[6] = FLAGS_OP("setf8 %w2", f, inputs[f % 11]);
        r[7] = FLAGS_OP("setf16 %w2", f, inputs[(f + 3) % 11]);
        for (int k = 0; k < 8; k++) out[k] = "0123456789abcdef"[r[k]];
        out[8] = '\n';
        out[9] = 0;
        puts_(out);
    }
    for (int k = 0; k < 11; k++) {
        u64 a = FLAGS_OP("setf8 %w2", 0, inputs[k]), b = FLAGS_OP("setf16 %w2", 15, inputs[k]);
        out[0] = "0123456789abcdef"[a];
        out[1] = "0123456789abcdef"[b];
        out[2] = ' ';
        out[3] = 0;
        puts_(out);
    }
    puts_("\n");
    u64 dit, ssbs;
    __asm__ volatile("sb\n\tmsr dit, #1\n\tmrs %0, dit" : "=r"(dit));
    puts_("dit ");
    put_hex(dit);
    __asm__ volatile("msr dit, %1\n\tmrs %0, dit" : "=r"(dit) : "r"(0ul));
    puts_(" ");
    put_hex(dit);
    __asm__ volatile("msr ssbs, #0\n\tmrs %0, ssbs" : "=r"(ssbs));
    puts_("\nssbs ");
    put_hex(ssbs);
    __asm__ volatile("msr ssbs, %1\n\tmrs %0, ssbs" : "=r"(ssbs) : "r"(1ul << 12));
    puts_(" ");
    put_hex(ssbs);
    puts_("\n");
    return 0;
}
