// Start-up and exception vectors for the bare-metal tests (tests/baremetal/README.md).
// Entered at EL3 (the board and QEMU are given EL3 and EL2), with the MMU off.

    .section .text.start, "ax"
    .global _start
_start:
    // PSTATE.NZCV is UNKNOWN at reset: start from a known value.
    msr     nzcv, xzr
    ldr     x0, =stack_el3
    mov     sp, x0
    adr     x0, vectors
    msr     vbar_el3, x0
    msr     vbar_el2, x0
    msr     vbar_el1, x0
    // SIMD&FP untrapped at EL3 and EL2; CPACR_EL1 is each test's business.
    msr     cptr_el3, xzr
    mov     x0, #0x33ff
    msr     cptr_el2, x0
    // Known SCTLRs (the reset values are UNKNOWN): MMU, caches and alignment checks off.
    ldr     x0, =0x30c50830
    msr     sctlr_el3, x0
    msr     sctlr_el2, x0
    ldr     x0, =0x30d00800
    msr     sctlr_el1, x0
    // Lower levels Non-secure, AArch64, HVC enabled; EL1 AArch64.
    mov     x0, #(1 << 0) | (1 << 8) | (1 << 10)
    orr     x0, x0, #0x30
    msr     scr_el3, x0
    mov     x0, #(1 << 31)
    msr     hcr_el2, x0
    isb
    bl      main
    bl      exit

// run_at(el, fn, arg): calls fn(arg) at EL `el` (0-2, with SP_ELx; EL0 with SP_EL0) by ERET
// from EL3, and comes back when fn returns: fn's return goes through `lower_done`, which asks
// EL3 to resume (SVC from EL0 is forwarded by the EL1 handler). Returns fn's result.
    .global run_at
run_at:
    stp     x29, x30, [sp, #-96]!
    stp     x19, x20, [sp, #16]
    stp     x21, x22, [sp, #32]
    stp     x23, x24, [sp, #48]
    stp     x25, x26, [sp, #64]
    stp     x27, x28, [sp, #80]
    adr     x9, saved_sp
    mov     x10, sp
    str     x10, [x9]
    ldr     x9, =running_el
    str     x0, [x9]
    ldr     x9, =stack_el2
    msr     sp_el2, x9
    ldr     x9, =stack_el1
    msr     sp_el1, x9
    ldr     x9, =stack_el0
    msr     sp_el0, x9
    // SPSR: DAIF masked, M = ELxh (EL0t for 0).
    lsl     x9, x0, #2
    cbz     x0, 1f
    orr     x9, x9, #1
1:  orr     x9, x9, #0x3c0
    msr     spsr_el3, x9
    adr     x9, lower_entry
    msr     elr_el3, x9
    mov     x19, x1
    mov     x0, x2
    eret
lower_entry:
    blr     x19
    // Back to EL3 with the result in x0: SVC from EL0, SMC from EL1 and EL2.
    mrs     x9, CurrentEL
    cbz     x9, 2f
    smc     #0xffff
2:  svc     #0xffff

// Called by the EL3 handler for SMC #0xffff: unwinds to run_at's caller with x0.
    .global resume_el3
resume_el3:
    ldr     x9, =running_el
    mov     x10, #3
    str     x10, [x9]
    adr     x9, saved_sp
    ldr     x10, [x9]
    mov     sp, x10
    ldp     x19, x20, [sp, #16]
    ldp     x21, x22, [sp, #32]
    ldp     x23, x24, [sp, #48]
    ldp     x25, x26, [sp, #64]
    ldp     x27, x28, [sp, #80]
    ldp     x29, x30, [sp], #96
    ret

// The vector table: each entry saves x0-x30 and calls on_exception(frame, offset), which
// returns the address to resume at (ELR_ELx is written from it).
    .macro  entry offset
    .balign 0x80
    sub     sp, sp, #272
    stp     x0, x1, [sp, #0]
    mov     x1, #\offset
    b       common
    .endm

    .balign 0x800
    .global vectors
vectors:
    entry 0x000
    entry 0x080
    entry 0x100
    entry 0x180
    entry 0x200
    entry 0x280
    entry 0x300
    entry 0x380
    entry 0x400
    entry 0x480
    entry 0x500
    entry 0x580
    entry 0x600
    entry 0x680
    entry 0x700
    entry 0x780

common:
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x19, [sp, #144]
    stp     x20, x21, [sp, #160]
    stp     x22, x23, [sp, #176]
    stp     x24, x25, [sp, #192]
    stp     x26, x27, [sp, #208]
    stp     x28, x29, [sp, #224]
    str     x30, [sp, #240]
    mov     x0, sp
    bl      on_exception
    // x0: where to resume (0: resume_el3 was chosen and never returns here).
    mrs     x9, CurrentEL
    cmp     x9, #0xc
    b.eq    3f
    cmp     x9, #0x8
    b.eq    4f
    msr     elr_el1, x0
    b       5f
3:  msr     elr_el3, x0
    b       5f
4:  msr     elr_el2, x0
5:  ldp     x0, x1, [sp, #0]
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x19, [sp, #144]
    ldp     x20, x21, [sp, #160]
    ldp     x22, x23, [sp, #176]
    ldp     x24, x25, [sp, #192]
    ldp     x26, x27, [sp, #208]
    ldp     x28, x29, [sp, #224]
    ldr     x30, [sp, #240]
    add     sp, sp, #272
    eret

    .section .bss
    .balign 16
saved_sp: .quad 0
    .balign 16
    .skip 16384
stack_el0:
    .skip 16384
stack_el1:
    .skip 16384
stack_el2:
    .skip 16384
stack_el3:
