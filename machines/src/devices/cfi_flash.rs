//! CFI NOR flash with the Intel/Sharp command set (CFI command set 0x0001), as QEMU virt's
//! two 64 MiB banks (`pflash_cfi01`, 32-bit bank width, 256 KiB blocks): read array, read
//! identifier, CFI query, read and clear status, word program, buffered program, block
//! erase, block lock and unlock (accepted; locking is not enforced). Programming only clears
//! bits, erasing sets a block to 0xFF: EDK2 keeps its UEFI variables here.
//!
//! The contents live in the bus's memory (so code runs in place from flash at full speed);
//! the flash's state machine sees every write, and reads only while a bank is not in
//! read-array mode.

use model::memory::FlatMemory;

pub const BANK_SIZE: u64 = 0x0400_0000;
pub const BLOCK_SIZE: u64 = 0x4_0000;
/// The bank width in bytes: commands and data arrive as 32-bit words.
const WIDTH: u64 = 4;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    ReadArray,
    ReadStatus,
    ReadId,
    Query,
    /// 0x40/0x10 seen: the next write is the data.
    Program,
    /// 0x20 seen: the next write must be 0xD0 to erase the block it addresses.
    Erase,
    /// 0xE8 seen: the next write is the word count - 1.
    BufferCount,
    /// Buffered program: words left, the block's base.
    Buffer {
        left: u32,
    },
    /// 0xE8 data written: waiting for 0xD0.
    BufferConfirm,
    /// 0x60 seen: lock, unlock or lock-down follows.
    Lock,
}

#[derive(Debug)]
struct Bank {
    mode: Mode,
    status: u8,
    buffer: Vec<(u64, u32)>,
}

impl Bank {
    fn new() -> Bank {
        Bank {
            mode: Mode::ReadArray,
            status: 0x80,
            buffer: Vec::new(),
        }
    }
}

#[derive(Debug)]
pub struct CfiFlash {
    pub base: u64,
    banks: Vec<Bank>,
}

/// Status register bits: ready, erase error, program error.
const SR_READY: u8 = 0x80;
const SR_ERASE_ERR: u8 = 0x20;
const SR_PROGRAM_ERR: u8 = 0x10;

impl CfiFlash {
    /// Flash of `banks` banks at `base`.
    pub fn new(base: u64, banks: usize) -> CfiFlash {
        CfiFlash {
            base,
            banks: (0..banks).map(|_| Bank::new()).collect(),
        }
    }

    pub fn size(&self) -> u64 {
        BANK_SIZE * self.banks.len() as u64
    }

    pub fn contains(&self, pa: u64) -> bool {
        pa >= self.base && pa - self.base < self.size()
    }

    /// Whether reads of `pa` must come from the flash's state machine (its bank is not in
    /// read-array mode).
    pub fn intercepts_read(&self, pa: u64) -> bool {
        self.contains(pa)
            && self.banks[((pa - self.base) / BANK_SIZE) as usize].mode != Mode::ReadArray
    }

    /// A read while the bank is in a command mode: status, identifier or query data.
    pub fn read(&mut self, pa: u64, size: usize) -> u64 {
        let off = pa - self.base;
        let bank = &self.banks[(off / BANK_SIZE) as usize];
        let word = (off % BLOCK_SIZE) / WIDTH;
        let byte = match bank.mode {
            Mode::ReadId => match word & 0xff {
                0 => 0x89, // Intel
                1 => 0x18, // a device code
                2 => 0,    // block not locked
                _ => 0,
            },
            Mode::Query => query(word),
            _ => bank.status,
        };
        // A 32-bit bank of two x16 devices side by side (QEMU virt's device-width 2): each
        // returns the byte in the low half of its lane.
        let lane = u64::from(byte) | (u64::from(byte) << 16);
        let v = lane | (lane << 32);
        v & if size >= 8 {
            u64::MAX
        } else {
            (1u64 << (8 * size)) - 1
        }
    }

    /// A write to flash: a command or the data a command waits for. Programming and erasing
    /// change `mem`, which holds the contents.
    pub fn write(&mut self, pa: u64, size: usize, value: u64, mem: &mut FlatMemory) {
        let off = pa - self.base;
        let b = (off / BANK_SIZE) as usize;
        let cmd = (value & 0xff) as u8;
        let bank = &mut self.banks[b];
        bank.mode = match bank.mode {
            Mode::Program => {
                program(mem, pa, size, value, &mut bank.status);
                Mode::ReadStatus
            }
            Mode::Erase => {
                if cmd == 0xd0 {
                    let block = pa & !(BLOCK_SIZE - 1);
                    let ff = vec![0xffu8; BLOCK_SIZE as usize];
                    if mem.poke(block, &ff).is_err() {
                        bank.status |= SR_ERASE_ERR;
                    }
                    bank.status |= SR_READY;
                } else {
                    bank.status |= SR_ERASE_ERR | SR_PROGRAM_ERR;
                }
                Mode::ReadStatus
            }
            Mode::BufferCount => {
                bank.buffer.clear();
                Mode::Buffer {
                    left: (value & 0xffff) as u32 + 1,
                }
            }
            Mode::Buffer { left } => {
                bank.buffer.push((pa, value as u32));
                if left <= 1 {
                    Mode::BufferConfirm
                } else {
                    Mode::Buffer { left: left - 1 }
                }
            }
            Mode::BufferConfirm => {
                if cmd == 0xd0 {
                    for (a, v) in std::mem::take(&mut bank.buffer) {
                        program(mem, a, WIDTH as usize, u64::from(v), &mut bank.status);
                    }
                } else {
                    bank.status |= SR_PROGRAM_ERR;
                }
                Mode::ReadStatus
            }
            // Lock (0x01), unlock (0xD0), lock-down (0x2F): accepted, not enforced.
            Mode::Lock => Mode::ReadStatus,
            _ => match cmd {
                0xff => Mode::ReadArray,
                0x90 => Mode::ReadId,
                0x98 => Mode::Query,
                0x70 => Mode::ReadStatus,
                0x50 => {
                    bank.status = SR_READY;
                    Mode::ReadArray
                }
                0x40 | 0x10 => Mode::Program,
                0x20 => Mode::Erase,
                0xe8 => {
                    bank.status = SR_READY; // the buffer is available
                    Mode::BufferCount
                }
                0x60 => Mode::Lock,
                // Anything else returns to reading the array, as a write of data to a bank in
                // read-array mode does on the device.
                _ => Mode::ReadArray,
            },
        };
    }
}

/// Programs `size` bytes of `value` at `pa`: each bit can only go from 1 to 0.
fn program(mem: &mut FlatMemory, pa: u64, size: usize, value: u64, status: &mut u8) {
    let mut old = [0u8; 8];
    if mem.peek(pa, &mut old[..size]).is_err() {
        *status |= SR_PROGRAM_ERR;
        return;
    }
    let new = (u64::from_le_bytes(old) & value).to_le_bytes();
    if mem.poke(pa, &new[..size]).is_err() {
        *status |= SR_PROGRAM_ERR;
    }
    *status |= SR_READY;
}

/// The CFI query table (JEDEC JESD68), by word offset.
fn query(word: u64) -> u8 {
    match word {
        0x10 => b'Q',
        0x11 => b'R',
        0x12 => b'Y',
        0x13 => 0x01, // primary command set: Intel/Sharp
        0x14 => 0x00,
        0x15 => 0x31, // primary extended table at 0x31
        0x16 => 0x00,
        0x1b => 0x45, // Vcc min 4.5 V
        0x1c => 0x55,
        0x1f => 0x07, // typical word program: 128 us
        0x20 => 0x07, // typical buffer program
        0x21 => 0x0a, // typical block erase: 1 s
        0x23 => 0x04,
        0x24 => 0x04,
        0x25 => 0x04,
        0x27 => 0x1a, // device size: 2^26 = 64 MiB
        0x28 => 0x02, // x32 interface... reported as x16/x32
        0x29 => 0x00,
        0x2a => 0x0b, // max buffer write: 2^11 bytes
        0x2b => 0x00,
        0x2c => 0x01, // one erase block region
        0x2d => 0xff, // 256 blocks - 1
        0x2e => 0x00,
        0x2f => 0x00, // block size 256 KiB: 0x400 * 256 bytes
        0x30 => 0x04,
        0x31 => b'P',
        0x32 => b'R',
        0x33 => b'I',
        0x34 => b'1',
        0x35 => b'0',
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::memory::Perms;

    /// Erase sets a block to 0xFF, word and buffered programs only clear bits, and status and
    /// query reads come from the state machine until Read Array.
    #[test]
    fn erase_program_query() {
        let mut mem = FlatMemory::new();
        mem.map(0, 2 * BANK_SIZE, Perms::RX);
        let mut f = CfiFlash::new(0, 2);
        let b1 = BANK_SIZE;
        f.write(b1, 4, 0x20, &mut mem);
        f.write(b1, 4, 0xd0, &mut mem);
        assert!(f.intercepts_read(b1));
        assert_eq!(f.read(b1, 4) & 0xff, 0x80);
        f.write(b1, 4, 0xff, &mut mem);
        assert!(!f.intercepts_read(b1));
        let mut w = [0u8; 4];
        mem.peek(b1 + 8, &mut w).unwrap();
        assert_eq!(w, [0xff; 4]);
        f.write(b1 + 8, 4, 0x40, &mut mem);
        f.write(b1 + 8, 4, 0x1234_5678, &mut mem);
        f.write(b1 + 8, 4, 0x40, &mut mem);
        f.write(b1 + 8, 4, 0xffff_00ff, &mut mem);
        f.write(b1, 4, 0xff, &mut mem);
        mem.peek(b1 + 8, &mut w).unwrap();
        assert_eq!(u32::from_le_bytes(w), 0x1234_0078);
        f.write(b1, 4, 0xe8, &mut mem);
        f.write(b1, 4, 1, &mut mem);
        f.write(b1 + 16, 4, 0xaaaa_aaaa, &mut mem);
        f.write(b1 + 20, 4, 0x5555_5555, &mut mem);
        f.write(b1, 4, 0xd0, &mut mem);
        f.write(b1, 4, 0xff, &mut mem);
        mem.peek(b1 + 16, &mut w).unwrap();
        assert_eq!(u32::from_le_bytes(w), 0xaaaa_aaaa);
        f.write(0, 4, 0x98, &mut mem);
        let q: Vec<u8> = (0x10..0x13).map(|i| f.read(i * 4, 4) as u8).collect();
        assert_eq!(q, b"QRY");
    }
}
