//! The physical address space of the `virt` board: RAM, the flash banks and (with `--secure`)
//! Secure RAM as one sparse page map, and the devices' windows. An address with nothing behind
//! it is a synchronous External abort, as a bus error. The Secure and Non-secure physical
//! address spaces are the same except for Secure RAM and (with EL3, as QEMU's `secure=on`)
//! flash bank 0, which only the Secure one has (the MMU
//! asks `secure_only` with each translation's PA space). The MMU (`model::mmu::Mmu`) sits in
//! front of it and does the alignment checks that depend on the memory type.

use model::memory::{AccessKind, Fault, FaultKind, FlatMemory, Memory, Perms};

use crate::devices::Device;
use crate::devices::cfi_flash::CfiFlash;
use crate::devices::fw_cfg::{self, FwCfg};

/// One device window.
pub struct Window {
    pub base: u64,
    pub size: u64,
    pub device: Box<dyn Device>,
}

pub struct Bus {
    /// RAM, flash and Secure RAM.
    pub memory: FlatMemory,
    /// The flash's command interface; its contents are in `memory`.
    pub flash: Option<CfiFlash>,
    /// fw_cfg and its base: its DMA reaches `memory`, so the bus runs it.
    pub fw_cfg: Option<(u64, FwCfg)>,
    /// Where RAM starts and ends (exclusive): the fast path's range.
    ram: (u64, u64),
    /// The ranges only the Secure physical address space has (`[base, end)`): Secure RAM, and
    /// with EL3 flash bank 0.
    secure_only: Vec<(u64, u64)>,
    pub windows: Vec<Window>,
    /// A device's write asked the board to act ([`Device::board_event`]) and it has not yet.
    event: bool,
    /// The physical address space of the accesses (the MMU's [`Memory::set_pa_space`]).
    ns: bool,
}

impl Bus {
    pub fn new(ram_base: u64, ram_size: u64) -> Bus {
        let mut memory = FlatMemory::new();
        memory.map(ram_base, ram_size, Perms::RWX);
        Bus {
            memory,
            flash: None,
            fw_cfg: None,
            ram: (ram_base, ram_base + ram_size),
            secure_only: Vec::new(),
            windows: Vec::new(),
            event: false,
            ns: false,
        }
    }

    /// Adds memory that is not main RAM (flash, Secure RAM) with `perms`.
    pub fn add_memory(&mut self, base: u64, size: u64, perms: Perms) {
        self.memory.map(base, size, perms);
    }

    /// Makes `[base, base + size)` reachable only by Secure accesses (Secure RAM, and flash
    /// bank 0 with EL3): a Non-secure access there is a decode error, as on QEMU's virt, whose
    /// Non-secure address space has nothing there.
    pub fn mark_secure_only(&mut self, base: u64, size: u64) {
        self.secure_only.push((base, base + size));
    }

    pub fn add_device(&mut self, base: u64, size: u64, device: Box<dyn Device>) {
        self.windows.push(Window { base, size, device });
    }

    /// The device window holding `pa`, with the offset into it.
    fn window(&mut self, pa: u64) -> Option<(&mut Window, u64)> {
        self.windows
            .iter_mut()
            .find(|w| pa >= w.base && pa - w.base < w.size)
            .map(|w| {
                let off = pa - w.base;
                (w, off)
            })
    }

    /// Copies `bytes` into memory at `pa` ignoring permissions (loaders); false if any byte
    /// falls outside RAM, flash or Secure RAM.
    pub fn load(&mut self, pa: u64, bytes: &[u8]) -> bool {
        self.memory.poke(pa, bytes).is_ok()
    }

    /// Reads memory for the board (semihosting arguments, strings); `None` outside memory.
    pub fn peek(&mut self, pa: u64, buf: &mut [u8]) -> Option<()> {
        self.memory.peek(pa, buf).ok()
    }

    pub fn poke(&mut self, pa: u64, buf: &[u8]) -> Option<()> {
        self.memory.poke(pa, buf).ok()
    }

    /// Whether a device asked the board to act since the last call ([`Memory::board_event`]).
    pub fn take_event(&mut self) -> bool {
        std::mem::take(&mut self.event)
    }

    /// RAM's start and end (exclusive).
    pub fn ram(&self) -> (u64, u64) {
        self.ram
    }

    #[inline]
    fn in_ram(&self, pa: u64, len: usize) -> bool {
        pa >= self.ram.0 && pa.wrapping_add(len as u64) <= self.ram.1
    }

    fn device_read(&mut self, pa: u64, buf: &mut [u8], access: AccessKind) -> Result<(), Fault> {
        let fault = |kind| Fault::new(pa, access, kind);
        let size = buf.len();
        if access == AccessKind::Fetch {
            return Err(fault(FaultKind::External));
        }
        if let Some((base, f)) = &mut self.fw_cfg
            && pa >= *base
            && pa - *base < fw_cfg::SIZE
            && matches!(size, 1 | 2 | 4 | 8)
        {
            let v = f.read(pa - *base, size).ok_or(fault(FaultKind::External))?;
            buf.copy_from_slice(&v.to_le_bytes()[..size]);
            return Ok(());
        }
        let ns = self.ns;
        let (w, off) = self.window(pa).ok_or(fault(FaultKind::External))?;
        if !matches!(size, 1 | 2 | 4 | 8) || off + size as u64 > w.size {
            return Err(fault(FaultKind::External));
        }
        let v = w
            .device
            .read_in(off, size, ns)
            .ok_or(fault(FaultKind::External))?;
        buf.copy_from_slice(&v.to_le_bytes()[..size]);
        Ok(())
    }
}

impl Memory for Bus {
    fn set_pa_space(&mut self, ns: bool) {
        self.ns = ns;
    }

    fn secure_only(&self, pa: u64) -> bool {
        self.secure_only.iter().any(|&(b, e)| pa >= b && pa < e)
    }

    fn read(&mut self, va: u64, buf: &mut [u8], access: AccessKind) -> Result<(), Fault> {
        if let Some(f) = &mut self.flash
            && f.intercepts_read(va)
            && access != AccessKind::Fetch
        {
            let n = buf.len().min(8);
            let v = f.read(va, n);
            buf[..n].copy_from_slice(&v.to_le_bytes()[..n]);
            return Ok(());
        }
        match self.memory.read(va, buf, access) {
            Ok(()) => Ok(()),
            Err(_) => self.device_read(va, buf, access),
        }
    }

    fn write(&mut self, va: u64, buf: &[u8]) -> Result<(), Fault> {
        let fault = |kind| Fault::new(va, AccessKind::Write, kind);
        if let Some(f) = &mut self.flash
            && f.contains(va)
        {
            // Writes to flash are commands (and the data of program commands).
            let n = buf.len().min(8);
            let mut b = [0u8; 8];
            b[..n].copy_from_slice(&buf[..n]);
            f.write(va, n, u64::from_le_bytes(b), &mut self.memory);
            return Ok(());
        }
        match self.memory.write(va, buf) {
            Ok(()) => Ok(()),
            // Flash is read-only to plain stores (its command interface is a later device).
            Err(f) if f.kind == FaultKind::Permission => Err(fault(FaultKind::External)),
            Err(_) => {
                let size = buf.len();
                if let Some((base, f)) = &mut self.fw_cfg
                    && va >= *base
                    && va - *base < fw_cfg::SIZE
                    && matches!(size, 1 | 2 | 4 | 8)
                {
                    let mut b = [0u8; 8];
                    b[..size].copy_from_slice(buf);
                    if let Some(desc) = f.write(va - *base, size, u64::from_le_bytes(b)) {
                        f.dma(desc, &mut self.memory);
                    }
                    return Ok(());
                }
                let ns = self.ns;
                let (w, off) = self.window(va).ok_or(fault(FaultKind::External))?;
                if !matches!(size, 1 | 2 | 4 | 8) || off + size as u64 > w.size {
                    return Err(fault(FaultKind::External));
                }
                let mut b = [0u8; 8];
                b[..size].copy_from_slice(buf);
                if w.device.write_in(off, size, u64::from_le_bytes(b), ns) {
                    self.event |= w.device.board_event();
                    Ok(())
                } else {
                    Err(fault(FaultKind::External))
                }
            }
        }
    }

    #[inline]
    fn read_le(&mut self, va: u64, size: usize) -> Result<u64, Fault> {
        if self.in_ram(va, size) {
            return self.memory.read_le(va, size);
        }
        let mut buf = [0u8; 8];
        self.read(va, &mut buf[..size], AccessKind::Read)?;
        Ok(u64::from_le_bytes(buf))
    }

    #[inline]
    fn write_le(&mut self, va: u64, size: usize, value: u64) -> Result<(), Fault> {
        if self.in_ram(va, size) {
            return self.memory.write_le(va, size, value);
        }
        self.write(va, &value.to_le_bytes()[..size])
    }

    fn watch_code(&mut self, va: u64) -> Result<(), Fault> {
        self.memory.watch_code(va).map_err(|f| Fault {
            kind: FaultKind::External,
            ..f
        })
    }

    fn code_changed(&self) -> bool {
        self.memory.code_changed() || self.event
    }

    fn board_event(&self) -> bool {
        self.event
    }

    fn drain_code_changes(&mut self, f: &mut dyn FnMut(u64)) {
        self.memory.drain_code_changes(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::pl011::Pl011;

    #[test]
    fn ram_devices_holes_and_alignment() {
        let mut bus = Bus::new(0x4000_0000, 1 << 20);
        bus.add_device(0x0900_0000, 0x1000, Box::new(Pl011::new()));
        bus.write_le(0x4000_0008, 8, 42).unwrap();
        assert_eq!(bus.read_le(0x4000_0008, 8), Ok(42));
        // FR: TX empty, RX empty.
        assert_eq!(bus.read_le(0x0900_0018, 4), Ok(0x90));
        let hole = bus.read_le(0x2000_0000, 4).unwrap_err();
        assert_eq!(hole.kind, FaultKind::External);
        // Alignment is the MMU's business; devices cannot be fetched from.
        let mut w = [0u8; 4];
        assert!(bus.read(0x4000_0000, &mut w, AccessKind::Fetch).is_ok());
        assert!(bus.read(0x0900_0000, &mut w, AccessKind::Fetch).is_err());
    }
}
