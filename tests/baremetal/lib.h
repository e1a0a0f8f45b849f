// The bare-metal tests' library: semihosting output and exit, and a record of each exception
// the vectors in start.S took (tests/baremetal/README.md).
#pragma once
typedef unsigned long u64;
typedef unsigned int u32;
typedef unsigned char u8;

void puts_(const char *s);
void put_hex(u64 v);
void put_dec(u64 v);
// Prints `name: 0x<v>` and a newline.
void show(const char *name, u64 v);
void exit(int status);

// What the last exception was, as the handler saw it.
struct record {
    u64 count;
    u64 el;       // the level that took it
    u64 from;     // the level it came from (SPSR.M[3:2])
    u64 offset;   // the vector offset
    u64 esr, elr, far, spsr;
};
extern volatile struct record last;
// Called for each IRQ or FIQ with the level taking it and the vector offset.
extern void (*volatile irq_hook)(u64 el, u64 offset);
// Called for each other exception the handler records (after `last`), with the level taking
// it: returns where to resume, or 0 for the handler's default.
extern u64 (*volatile sync_hook)(u64 el, u64 esr, u64 elr);

u64 run_at(u64 el, u64 (*fn)(u64), u64 arg);
// The level run_at is running code at (3 outside it).
extern volatile u64 running_el;
// Prints `name: ` then the exception since `before` (or "no exception"), with ELR relative to
// `at`, the address of the instruction under test.
void report_at(const char *name, u64 before, u64 at);

// The exception count now, to pass to report_at.
u64 mark(void);

// Runs the instruction(s) `text` (the first is the one under test) and reports what it took.
#define TRY(name, text)                                                                    \
    do {                                                                                   \
        u64 b_ = mark(), at_;                                                              \
        __asm__ volatile("adr %0, 1f\n1: " text : "=&r"(at_) : : "memory", "x0", "x1", "x2", "x30"); \
        report_at(name, b_, at_);                                                          \
    } while (0)
// The same with one input, `%[a]` in `text`.
#define TRY_VA(name, text, va)                                                             \
    do {                                                                                   \
        u64 b_ = mark(), at_;                                                              \
        __asm__ volatile("adr %[at_], 1f\n1: " text                                        \
                         : [at_] "=&r"(at_) : [a] "r"((u64)(va))                           \
                         : "memory", "x0", "x1", "x2", "x30");                             \
        report_at(name, b_, at_);                                                          \
    } while (0)
#define read_sysreg(r) ({ u64 v_; __asm__ volatile("mrs %0, " #r : "=r"(v_)); v_; })
#define write_sysreg(r, v) __asm__ volatile("msr " #r ", %0; isb" : : "r"((u64)(v)))
