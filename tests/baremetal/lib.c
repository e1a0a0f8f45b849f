// See lib.h.
#include "lib.h"

static long semihost(long op, const void *param) {
    register long x0 __asm__("x0") = op;
    register const void *x1 __asm__("x1") = param;
    __asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
    return x0;
}

// Semihosting is for EL1 and above (QEMU refuses it at EL0 unless told otherwise, and so do
// we), so EL0 code prints by asking its EL1 (or, under TGE, EL2) handler: SVC #0xfffe.
volatile u64 running_el = 3;
static volatile u64 in_handler;

void puts_(const char *s) {
    if (running_el == 0 && !in_handler) {
        register const char *x0 __asm__("x0") = s;
        __asm__ volatile("svc #0xfffe" : : "r"(x0) : "memory");
        return;
    }
    semihost(4, s);
}

void put_hex(u64 v) {
    char b[19];
    b[0] = '0';
    b[1] = 'x';
    int n = 2;
    int started = 0;
    for (int i = 60; i >= 0; i -= 4) {
        int d = (v >> i) & 15;
        if (d || started || i == 0) {
            b[n++] = "0123456789abcdef"[d];
            started = 1;
        }
    }
    b[n] = 0;
    puts_(b);
}

void show(const char *name, u64 v) {
    puts_(name);
    puts_(": ");
    put_hex(v);
    puts_("\n");
}

void put_dec(u64 v) {
    char b[21];
    int n = 20;
    b[n] = 0;
    do {
        b[--n] = '0' + v % 10;
        v /= 10;
    } while (v);
    puts_(&b[n]);
}

void exit(int status) {
    static volatile u64 block[2];
    block[0] = 0x20026;
    block[1] = status;
    semihost(0x18, (const void *)block);
    for (;;) {
    }
}

volatile struct record last;
void (*volatile irq_hook)(u64 el, u64 offset);
u64 (*volatile sync_hook)(u64 el, u64 esr, u64 elr);

struct frame {
    u64 x[31];
    u64 pad;
};

void resume_el3(u64 result) __attribute__((noreturn));

static u64 el_now(void) { return (read_sysreg(CurrentEL) >> 2) & 3; }

// Called by the vectors with the saved registers; returns where to resume.
u64 on_exception(struct frame *f, u64 offset) {
    u64 el = el_now();
    u64 esr, elr, far, spsr;
    if (el == 3) {
        esr = read_sysreg(esr_el3); elr = read_sysreg(elr_el3);
        far = read_sysreg(far_el3); spsr = read_sysreg(spsr_el3);
    } else if (el == 2) {
        esr = read_sysreg(esr_el2); elr = read_sysreg(elr_el2);
        far = read_sysreg(far_el2); spsr = read_sysreg(spsr_el2);
    } else {
        esr = read_sysreg(esr_el1); elr = read_sysreg(elr_el1);
        far = read_sysreg(far_el1); spsr = read_sysreg(spsr_el1);
    }
    // IRQ and FIQ: the test's hook answers them; they return to the interrupted instruction.
    if ((offset & 0x180) == 0x080 || (offset & 0x180) == 0x100) {
        in_handler = 1;
        if (irq_hook)
            irq_hook(el, offset);
        in_handler = 0;
        return elr;
    }
    u64 ec = esr >> 26, iss = esr & 0x1ffffff;
    if (ec == 0x15 && iss == 0xfffe) {
        semihost(4, (const char *)f->x[0]);
        return elr;
    }
    // run_at's way home: SMC #0xffff reaches EL3; SVC #0xffff from EL0 is forwarded.
    if (iss == 0xffff && ec == 0x17 && el == 3)
        resume_el3(f->x[0]);
    if (iss == 0xffff && (ec == 0x15 || ec == 0x17) && el != 3) {
        register u64 x0 __asm__("x0") = f->x[0];
        __asm__ volatile("smc #0xffff" : : "r"(x0));
    }
    in_handler = 1;
    last.count++;
    last.el = el;
    last.from = (spsr >> 2) & 3;
    last.offset = offset;
    last.esr = esr;
    last.elr = elr;
    last.far = far;
    last.spsr = spsr;
    if (sync_hook) {
        u64 resume = sync_hook(el, esr, elr);
        if (resume) {
            in_handler = 0;
            return resume;
        }
    }
    // An Illegal Execution state exception: return with PSTATE.IL clear.
    if (ec == 0x0e) {
        spsr &= ~(1ul << 20);
        if (el == 3) write_sysreg(spsr_el3, spsr);
        else if (el == 2) write_sysreg(spsr_el2, spsr);
        else write_sysreg(spsr_el1, spsr);
    }
    in_handler = 0;
    // A PC alignment fault or an instruction abort: ELR is the target the test branched to;
    // it left its way back in x30.
    if (ec == 0x22 || ec == 0x20 || ec == 0x21)
        return f->x[30];
    // SVC, HVC, SMC and WFx traps... : SVC/HVC/SMC return past themselves already, except an
    // SVC from EL1 that HFGITR_EL2.SVC_EL1 traps to EL2 (FEAT_FGT): its ELR is the SVC.
    if (ec == 0x15 && el == 2 && last.from == 1)
        return elr + 4;
    if (ec == 0x15 || ec == 0x16 || (ec == 0x17 && el == 3))
        return elr;
    return elr + 4;
}

u64 mark(void) { return last.count; }

// An address near the instruction under test as `insn+N` (so the expected output does not
// depend on where the compiler put the code), others in hex.
static void put_addr(u64 a, u64 at) {
    if (a >= at && a - at < 0x1000) {
        puts_("insn+");
        put_dec(a - at);
    } else {
        put_hex(a);
    }
}

void report_at(const char *name, u64 before, u64 at) {
    puts_(name);
    puts_(": ");
    if (last.count == before) {
        puts_("no exception\n");
        return;
    }
    puts_("EL");
    put_dec(last.from);
    puts_("->EL");
    put_dec(last.el);
    puts_(" vector ");
    put_hex(last.offset);
    puts_(" EC ");
    put_hex(last.esr >> 26);
    puts_(" IL ");
    put_dec((last.esr >> 25) & 1);
    puts_(" ISS ");
    put_hex(last.esr & 0x1ffffff);
    puts_(" ELR ");
    put_addr(last.elr, at);
    u64 ec = last.esr >> 26;
    if (ec == 0x20 || ec == 0x21 || ec == 0x22 || ec == 0x24 || ec == 0x25) {
        puts_(" FAR ");
        put_addr(last.far, at);
    }
    // NZCV, IL, DAIF, M: the PSTATE fields every implementation of the test's CPU has.
    puts_(" SPSR ");
    put_hex(last.spsr & 0xf01003cf);
    puts_("\n");
}
