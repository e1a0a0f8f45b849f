// What the MMU tests share (tests/baremetal/README.md): the board's addresses, the VMSAv8-64
// descriptor bits, and a small EL1&0 / EL2&0 table set (4K granule, 39-bit VAs from level 1).
#pragma once
#include "lib.h"

#define RAM 0x40000000ul
#define UART 0x09000000ul
// Test virtual addresses, outside RAM's identity map.
#define TV 0x80000000ul

// Descriptor bits.
#define VALID 1ul
#define TABLE 3ul
#define PAGE 3ul
#define BLOCK 1ul
#define NORMAL (0ul << 2)
#define DEVICE (1ul << 2)
#define AP_EL0 (1ul << 6)
#define AP_RO (2ul << 6)
#define ISH (3ul << 8)
#define AF (1ul << 10)
#define DBM (1ul << 51)
#define PXN (1ul << 53)
#define XN (1ul << 54)
#define XNT (1ul << 60)
#define APT_NOEL0 (1ul << 61)
#define APT_RO (1ul << 62)

// Tables for a 4K-granule regime with T0SZ = 25 (start level 1): RAM as 2 MiB blocks and the
// UART's 2 MiB for the privileged level, TV readable and writable at EL0 (never executable),
// TV + 4K for the privileged level only; `data` holds the two test pages' frames.
static inline void test_tables(u64 *l1, u64 *l2_ram, u64 *l2_dev, u64 *l2_tv, u64 *l3_tv,
                               char *data) {
    l1[1] = (u64)l2_ram | TABLE;
    for (u64 i = 0; i < 512; i++)
        l2_ram[i] = (RAM + (i << 21)) | NORMAL | ISH | AF | BLOCK;
    l1[0] = (u64)l2_dev | TABLE;
    l2_dev[UART >> 21] = (UART & ~0x1ffffful) | DEVICE | AF | XN | PXN | BLOCK;
    l1[2] = (u64)l2_tv | TABLE;
    l2_tv[0] = (u64)l3_tv | TABLE;
    l3_tv[0] = (u64)data | NORMAL | ISH | AF | AP_EL0 | XN | PXN | PAGE;
    l3_tv[1] = ((u64)data + 4096) | NORMAL | ISH | AF | PAGE;
}
