//! QEMU's firmware configuration device (fw_cfg), memory-mapped as on QEMU virt: a selector,
//! a data register, and the DMA interface, serving the items firmware reads to boot a kernel
//! (kernel, initrd, command line) and the file directory. EDK2's QEMU platform uses it to load
//! the kernel it boots through the EFI stub. Facts from QEMU's documentation of the interface
//! (docs/specs/fw_cfg.rst): register offsets 0 (data), 8 (selector, big-endian), 16 (DMA
//! address, big-endian); the DMA descriptor's layout and control bits.
//!
//! DMA reaches guest memory, so the bus runs it ([`FwCfg::dma`] takes the memory).

use model::memory::FlatMemory;

pub const SIZE: u64 = 0x18;

const SIGNATURE: u16 = 0x0000;
const ID: u16 = 0x0001;
const KERNEL_SIZE: u16 = 0x0008;
const INITRD_SIZE: u16 = 0x000b;
const KERNEL_DATA: u16 = 0x0011;
const INITRD_DATA: u16 = 0x0012;
const CMDLINE_SIZE: u16 = 0x0014;
const CMDLINE_DATA: u16 = 0x0015;
const FILE_DIR: u16 = 0x0019;
/// The first selector of a named file.
const FILE_FIRST: u16 = 0x0020;

const DMA_ERROR: u32 = 0x01;
const DMA_READ: u32 = 0x02;
const DMA_SKIP: u32 = 0x04;
const DMA_SELECT: u32 = 0x08;
const DMA_WRITE: u32 = 0x10;

#[derive(Debug, Default)]
pub struct FwCfg {
    items: std::collections::BTreeMap<u16, Vec<u8>>,
    /// Named files: (name, selector).
    files: Vec<(String, u16)>,
    selector: u16,
    offset: usize,
    dma_high: u64,
}

impl FwCfg {
    /// The device with what a direct kernel boot through firmware needs.
    pub fn new(kernel: Option<Vec<u8>>, initrd: Option<Vec<u8>>, cmdline: &str) -> FwCfg {
        let mut f = FwCfg::default();
        f.items.insert(SIGNATURE, b"QEMU".to_vec());
        // Traditional interface and DMA.
        f.items.insert(ID, 3u32.to_le_bytes().to_vec());
        let le32 = |n: usize| (n as u32).to_le_bytes().to_vec();
        if let Some(k) = kernel {
            f.items.insert(KERNEL_SIZE, le32(k.len()));
            f.items.insert(KERNEL_DATA, k);
        }
        if let Some(rd) = initrd {
            f.items.insert(INITRD_SIZE, le32(rd.len()));
            f.items.insert(INITRD_DATA, rd);
        }
        let mut cmd = cmdline.as_bytes().to_vec();
        cmd.push(0);
        f.items.insert(CMDLINE_SIZE, le32(cmd.len()));
        f.items.insert(CMDLINE_DATA, cmd);
        f.rebuild_dir();
        f
    }

    /// Adds a named file (`etc/...`), listed in the file directory.
    pub fn add_file(&mut self, name: &str, data: Vec<u8>) {
        let sel = FILE_FIRST + self.files.len() as u16;
        self.files.push((name.to_string(), sel));
        self.items.insert(sel, data);
        self.rebuild_dir();
    }

    fn rebuild_dir(&mut self) {
        let mut dir = (self.files.len() as u32).to_be_bytes().to_vec();
        for (name, sel) in &self.files {
            let size = self.items.get(sel).map_or(0, Vec::len) as u32;
            dir.extend_from_slice(&size.to_be_bytes());
            dir.extend_from_slice(&sel.to_be_bytes());
            dir.extend_from_slice(&[0, 0]);
            let mut n = [0u8; 56];
            let b = name.as_bytes();
            n[..b.len().min(55)].copy_from_slice(&b[..b.len().min(55)]);
            dir.extend_from_slice(&n);
        }
        self.items.insert(FILE_DIR, dir);
    }

    fn select(&mut self, key: u16) {
        self.selector = key;
        self.offset = 0;
    }

    fn next_bytes(&mut self, n: usize) -> Vec<u8> {
        let item = self
            .items
            .get(&self.selector)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let out: Vec<u8> = (0..n)
            .map(|i| item.get(self.offset + i).copied().unwrap_or(0))
            .collect();
        self.offset += n;
        out
    }

    /// A register read at `offset` into the device.
    pub fn read(&mut self, offset: u64, size: usize) -> Option<u64> {
        match offset {
            // The data register: bytes in item order, whatever the access width.
            0..=7 => {
                let b = self.next_bytes(size);
                let mut v = [0u8; 8];
                v[..size].copy_from_slice(&b);
                Some(u64::from_le_bytes(v))
            }
            8 | 9 => Some(u64::from(self.selector.swap_bytes())),
            // The DMA address register reads as the signature "QEMU CFG".
            16..=23 => {
                let sig = 0x5145_4d55_2043_4647u64.to_be_bytes();
                let at = (offset - 16) as usize;
                let mut v = [0u8; 8];
                for i in 0..size.min(8 - at) {
                    v[i] = sig[at + i];
                }
                Some(u64::from_le_bytes(v))
            }
            _ => None,
        }
    }

    /// A register write. Returns the guest address of a DMA descriptor when the write starts
    /// a transfer: the bus then calls [`FwCfg::dma`].
    pub fn write(&mut self, offset: u64, size: usize, value: u64) -> Option<u64> {
        let be = |v: u64, size: usize| match size {
            2 => u64::from((v as u16).swap_bytes()),
            4 => u64::from((v as u32).swap_bytes()),
            8 => v.swap_bytes(),
            _ => v,
        };
        match (offset, size) {
            (8, 2) => self.select(be(value, 2) as u16),
            (16, 8) => return Some(be(value, 8)),
            (16, 4) => self.dma_high = be(value, 4) << 32,
            (20, 4) => return Some(self.dma_high | be(value, 4)),
            _ => {}
        }
        None
    }

    /// Runs the DMA transfer described at guest physical address `desc`.
    pub fn dma(&mut self, desc: u64, mem: &mut FlatMemory) {
        let mut d = [0u8; 16];
        if mem.peek(desc, &mut d).is_err() {
            return;
        }
        let control = u32::from_be_bytes(d[0..4].try_into().unwrap());
        let length = u32::from_be_bytes(d[4..8].try_into().unwrap()) as usize;
        let address = u64::from_be_bytes(d[8..16].try_into().unwrap());
        if control & DMA_SELECT != 0 {
            self.select((control >> 16) as u16);
        }
        let mut status = 0u32;
        if control & DMA_READ != 0 {
            let bytes = self.next_bytes(length);
            if mem.poke(address, &bytes).is_err() {
                status = DMA_ERROR;
            }
        } else if control & DMA_SKIP != 0 {
            self.offset += length;
        } else if control & DMA_WRITE != 0 {
            // The items here are read-only: a write is skipped, as QEMU does for them.
            self.offset += length;
        }
        let _ = mem.poke(desc, &status.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::memory::Perms;

    #[test]
    fn registers_and_dma() {
        let mut f = FwCfg::new(Some(b"KERNEL".to_vec()), None, "console=ttyAMA0");
        f.write(8, 2, u64::from(SIGNATURE.swap_bytes()));
        assert_eq!(f.read(0, 4), Some(u64::from(u32::from_le_bytes(*b"QEMU"))));
        assert_eq!(f.read(16, 8).map(|v| v.to_le_bytes()), Some(*b"QEMU CFG"));
        let mut mem = FlatMemory::new();
        mem.map(0x1000, 0x1000, Perms::RW);
        // Select KERNEL_DATA and read 6 bytes to 0x1100.
        let control = (u32::from(KERNEL_DATA) << 16) | DMA_SELECT | DMA_READ;
        let mut desc = control.to_be_bytes().to_vec();
        desc.extend_from_slice(&6u32.to_be_bytes());
        desc.extend_from_slice(&0x1100u64.to_be_bytes());
        mem.poke(0x1000, &desc).unwrap();
        let at = f.write(16, 8, 0x1000u64.swap_bytes()).unwrap();
        f.dma(at, &mut mem);
        let mut got = [0u8; 6];
        mem.peek(0x1100, &mut got).unwrap();
        assert_eq!(&got, b"KERNEL");
        let mut status = [0u8; 4];
        mem.peek(0x1000, &mut status).unwrap();
        assert_eq!(status, [0; 4]);
    }
}
