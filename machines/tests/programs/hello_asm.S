// expect-exit: 5
// Hello in assembly, with an exclusive pair, a literal load and a pre-indexed pair store.
    .globl _start
_start:
    stp x29, x30, [sp, #-16]!
    adr x1, msg
    ldr x2, len
    mov x0, #1
    mov x8, #64
    svc #0
    adr x3, word
    ldxr x4, [x3]
    add x4, x4, #1
    stxr w5, x4, [x3]
    ldr x0, [x3]
    sub x0, x0, #37
    mov x8, #93
    svc #0
len: .quad 13
msg: .ascii "Hello, asm!\n\n"
    .data
    .balign 8
word: .quad 41
