//! The memory interface: every access the PE makes goes through [`Memory`], which translates a
//! virtual address and then accesses it, and reports a fault as a value. [`FlatMemory`] is the
//! user-mode implementation: a sparse map of 4 KiB pages with read/write/execute permissions and
//! no translation tables (later issues add the MMU behind the same trait).

use std::collections::HashMap;

pub const PAGE_SIZE: u64 = 4096;

/// Why the PE is accessing memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessKind {
    /// Instruction fetch.
    Fetch,
    Read,
    Write,
}

/// Why a translation or an access failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// No mapping for the address.
    Translation,
    /// Mapped, but the permissions forbid this access.
    Permission,
    /// The access breaks an alignment requirement.
    Alignment,
    /// The physical address has nothing behind it, or the device refused the access: a
    /// synchronous External abort.
    External,
    /// The translation table entry's Access flag is 0 (no hardware update: FEAT_HAFDBS is not
    /// implemented).
    AccessFlag,
    /// An address (input, table or output) beyond the configured or implemented size.
    AddressSize,
    /// A synchronous External abort on a translation table walk.
    ExternalOnWalk,
    /// Not a fault but a watchpoint that matched (self-hosted debug): the PE takes a
    /// Watchpoint exception instead of a Data Abort.
    Watchpoint,
}

/// A memory fault, as a value: the faulting virtual address and what was attempted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    pub va: u64,
    pub access: AccessKind,
    pub kind: FaultKind,
    /// The translation table level the fault is reported at (0 when no walk was involved; -1
    /// with FEAT_LPA2's 52-bit 4K regimes).
    pub level: i8,
    /// A fault at stage 2 of the EL1&0 regime: the intermediate physical address, and whether
    /// it happened on stage 1's own table walk (S1PTW).
    pub stage2: Option<(u64, bool)>,
    /// A stage 2 fault from Secure state on a Non-secure IPA (HPFAR_EL2.NS, FEAT_SEL2).
    pub ipa_ns: bool,
    /// The fault of a cache maintenance instruction's translation
    /// ([`Memory::cache_maintenance`]): ISS.CM, with WnR 1.
    pub cache_maintenance: bool,
    /// A watchpoint's number (`FaultKind::Watchpoint`), for ISS.WPT.
    pub watchpoint: Option<u8>,
}

impl Fault {
    pub const fn new(va: u64, access: AccessKind, kind: FaultKind) -> Fault {
        Fault {
            va,
            access,
            kind,
            level: 0,
            stage2: None,
            ipa_ns: false,
            cache_maintenance: false,
            watchpoint: None,
        }
    }
}

/// Page permissions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Perms {
    pub read: bool,
    pub write: bool,
    pub execute: bool,
}

impl Perms {
    pub const NONE: Perms = Perms {
        read: false,
        write: false,
        execute: false,
    };
    pub const RW: Perms = Perms {
        read: true,
        write: true,
        execute: false,
    };
    pub const RX: Perms = Perms {
        read: true,
        write: false,
        execute: true,
    };
    pub const RWX: Perms = Perms {
        read: true,
        write: true,
        execute: true,
    };

    fn allows(self, access: AccessKind) -> bool {
        match access {
            AccessKind::Fetch => self.execute,
            AccessKind::Read => self.read,
            AccessKind::Write => self.write,
        }
    }
}

/// Translate-then-access memory as the PE sees it. Implementations never panic on a guest
/// address: anything the guest may not do is a [`Fault`].
pub trait Memory {
    /// Reads `buf.len()` bytes starting at virtual address `va`.
    fn read(&mut self, va: u64, buf: &mut [u8], access: AccessKind) -> Result<(), Fault>;
    /// Writes `buf` starting at virtual address `va`.
    fn write(&mut self, va: u64, buf: &[u8]) -> Result<(), Fault>;

    /// Reads `size` (1, 2, 4 or 8) bytes at `va` as a little-endian value: the loads' common
    /// case, which an implementation may make faster than [`Memory::read`].
    #[inline]
    fn read_le(&mut self, va: u64, size: usize) -> Result<u64, Fault> {
        let mut buf = [0u8; 8];
        self.read(va, &mut buf[..size.min(8)], AccessKind::Read)?;
        Ok(u64::from_le_bytes(buf))
    }

    /// Writes the low `size` (1, 2, 4 or 8) bytes of `value` at `va`, little-endian.
    #[inline]
    fn write_le(&mut self, va: u64, size: usize, value: u64) -> Result<(), Fault> {
        self.write(va, &value.to_le_bytes()[..size.min(8)])
    }

    /// Checks that the page holding `va` may be fetched from, and starts watching it for the
    /// PE's decoded-instruction cache: from now on a write to the page (by any path: guest
    /// store, syscall, loader), unmapping it, remapping it or changing its permissions reports
    /// its page number through [`Memory::drain_code_changes`] and stops the watch.
    fn watch_code(&mut self, va: u64) -> Result<(), Fault>;
    /// Whether a watched page has changed since the last drain. Cheap: the PE asks every step.
    fn code_changed(&self) -> bool;
    /// Hands each changed watched page's number (`va / PAGE_SIZE`) to `f`, and forgets them.
    fn drain_code_changes(&mut self, f: &mut dyn FnMut(u64));
    /// Whether a device asked its board to act before the next instruction (a write that
    /// drives a power-off or reset line). A memory that reports one also reports
    /// [`Memory::code_changed`], so the PE's fast path stops without a check of its own;
    /// [`crate::interp::Cpu::run`] then ends its run early for the board to look.
    fn board_event(&self) -> bool {
        false
    }
    /// Whether the page holding `va` is a guarded page (FEAT_BTI's GP bit); unmapped is not.
    /// Asked only after an indirect branch.
    fn is_guarded(&mut self, va: u64) -> bool {
        let _ = va;
        false
    }
    /// The PE's translation context changed (system mode: a System register write, an
    /// exception entry or return). Memory without an MMU ignores it.
    fn set_translation(&mut self, t: &crate::mmu::Translation) {
        let _ = t;
    }
    /// TLB maintenance (every TLBI form): forget cached translations.
    fn tlb_invalidate(&mut self) {}
    /// Whether physical address `pa` exists only in the Secure physical address space, so
    /// that a Non-secure access to it reaches nothing (a synchronous External abort, as a
    /// decode error). Memory with a single address space has no such addresses.
    fn secure_only(&self, pa: u64) -> bool {
        let _ = pa;
        false
    }
    /// The accesses that follow are to the Non-secure (`ns`) or the Secure physical address
    /// space: the MMU says so when it changes. Memory whose devices answer both alike ignores
    /// it.
    fn set_pa_space(&mut self, ns: bool) {
        let _ = ns;
    }
    /// While on, accesses are checked with EL0's permissions (LDTR, STTR at EL1). Memory
    /// without an MMU has no permissions by level and ignores it.
    fn set_unprivileged(&mut self, on: bool) {
        let _ = on;
    }
    /// The watchpoints that apply at the PE's level now (self-hosted debug), which data
    /// accesses check after their translation. Memory without an MMU has none.
    fn set_watchpoints(
        &mut self,
        w: &[crate::interp::debug::Watchpoint; crate::interp::debug::WATCHPOINTS],
    ) {
        let _ = w;
    }
    /// The translation a cache maintenance instruction by VA makes (DC CVAC, IC IVAU, ...):
    /// its faults, with no access. `s1` is the stage 1 permission it needs, if any (EL0's
    /// read permission; write permission for DC IVAC and under CMOW); `s2_write` whether it
    /// needs stage 2 write permission (HCRX_EL2.CMOW). Memory without an MMU never faults
    /// here (as qemu-user, which does not check these addresses either).
    fn cache_maintenance(
        &mut self,
        va: u64,
        s1: Option<AccessKind>,
        s2_write: bool,
    ) -> Result<(), Fault> {
        let _ = (va, s1, s2_write);
        Ok(())
    }
    /// Translates `va` for AT under context `t`. Memory without an MMU is the flat mapping.
    fn translate_at(
        &mut self,
        t: &crate::mmu::Translation,
        va: u64,
        access: AccessKind,
    ) -> Result<crate::mmu::Output, Fault> {
        let _ = (t, access);
        Ok(crate::mmu::Output {
            pa: va,
            attr: 0,
            sh: 0b10,
            device: true,
            guarded: false,
            ns: true,
        })
    }
}

struct Page {
    data: Box<[u8; PAGE_SIZE as usize]>,
    perms: Perms,
    /// The PE holds decoded instructions from this page ([`Memory::watch_code`]).
    code: bool,
    /// A guarded page (FEAT_BTI's GP bit): indirect branches into it must land on a pad.
    guarded: bool,
}

/// Entries in each of [`FlatMemory`]'s direct-mapped lookup caches: 16 MiB of pages, so that
/// programs working over large buffers (xz's dictionary) rarely fall back to the page index.
const TLB_ENTRIES: usize = 4096;

/// A page number and the host address of its bytes (an address, not a pointer, so that
/// `FlatMemory` stays `Send`); `vpn == u64::MAX` is empty.
#[derive(Clone, Copy)]
struct HostPage {
    vpn: u64,
    bytes: usize,
}

const NO_PAGE: HostPage = HostPage {
    vpn: u64::MAX,
    bytes: 0,
};

/// A flat, sparse user-mode address space. Virtual address = physical address.
pub struct FlatMemory {
    index: HashMap<u64, usize>,
    pages: Vec<Page>,
    free: Vec<usize>,
    /// Direct-mapped lookup cache of `(page number, slot)` indexed by the page number's low
    /// bits, cleared on unmap. `u64::MAX` marks an empty entry (no page number is that large).
    tlb: Box<[(u64, usize); TLB_ENTRIES]>,
    /// Direct-mapped caches of the host address of each page's bytes, by page number, for the
    /// pages that may be read (`read_tlb`) and written without reporting (`write_tlb`: not
    /// watched as code). An entry is dropped whenever its page is unmapped, remapped, changes
    /// permissions or starts being watched. The bytes never move: each page is its own box.
    read_tlb: Box<[HostPage; TLB_ENTRIES]>,
    write_tlb: Box<[HostPage; TLB_ENTRIES]>,
    /// Watched code pages that changed, for [`Memory::drain_code_changes`].
    code_changes: Vec<u64>,
}

impl Default for FlatMemory {
    fn default() -> FlatMemory {
        FlatMemory {
            index: HashMap::new(),
            pages: Vec::new(),
            free: Vec::new(),
            tlb: Box::new([(u64::MAX, 0); TLB_ENTRIES]),
            read_tlb: Box::new([NO_PAGE; TLB_ENTRIES]),
            write_tlb: Box::new([NO_PAGE; TLB_ENTRIES]),
            code_changes: Vec::new(),
        }
    }
}

impl FlatMemory {
    pub fn new() -> FlatMemory {
        FlatMemory::default()
    }

    /// Maps zeroed pages over `[addr, addr + len)` (rounded out to pages) with `perms`. Pages
    /// already mapped are zeroed and take the new permissions.
    pub fn map(&mut self, addr: u64, len: u64, perms: Perms) {
        for vpn in page_range(addr, len) {
            match self.index.get(&vpn) {
                Some(&slot) => {
                    self.code_changed_at(slot, vpn);
                    self.forget_host_page(vpn);
                    let p = &mut self.pages[slot];
                    p.data.fill(0);
                    p.perms = perms;
                    p.guarded = false;
                }
                None => {
                    let page = Page {
                        data: Box::new([0; PAGE_SIZE as usize]),
                        perms,
                        code: false,
                        guarded: false,
                    };
                    let slot = match self.free.pop() {
                        Some(s) => {
                            self.pages[s] = page;
                            s
                        }
                        None => {
                            self.pages.push(page);
                            self.pages.len() - 1
                        }
                    };
                    self.index.insert(vpn, slot);
                }
            }
        }
    }

    /// Unmaps every page overlapping `[addr, addr + len)`.
    pub fn unmap(&mut self, addr: u64, len: u64) {
        let pages = page_range(addr, len);
        let few = pages.end - pages.start <= 256;
        for vpn in pages {
            if let Some(slot) = self.index.remove(&vpn) {
                self.code_changed_at(slot, vpn);
                self.free.push(slot);
            }
            if few {
                self.forget_host_page(vpn);
                let e = &mut self.tlb[vpn as usize % TLB_ENTRIES];
                if e.0 == vpn {
                    *e = (u64::MAX, 0);
                }
            }
        }
        if !few {
            *self.tlb = [(u64::MAX, 0); TLB_ENTRIES];
            *self.read_tlb = [NO_PAGE; TLB_ENTRIES];
            *self.write_tlb = [NO_PAGE; TLB_ENTRIES];
        }
    }

    /// Drops `vpn` from the host-address caches.
    #[inline]
    fn forget_host_page(&mut self, vpn: u64) {
        for tlb in [&mut self.read_tlb, &mut self.write_tlb] {
            let e = &mut tlb[vpn as usize % TLB_ENTRIES];
            if e.vpn == vpn {
                *e = NO_PAGE;
            }
        }
    }

    /// Changes the permissions of mapped pages in the range; false if any page is unmapped.
    pub fn protect(&mut self, addr: u64, len: u64, perms: Perms) -> bool {
        let mut all = true;
        for vpn in page_range(addr, len) {
            match self.index.get(&vpn) {
                Some(&slot) => {
                    self.code_changed_at(slot, vpn);
                    self.forget_host_page(vpn);
                    self.pages[slot].perms = perms;
                }
                None => all = false,
            }
        }
        all
    }

    /// Sets or clears the guarded-page bit (FEAT_BTI) of the mapped pages overlapping the
    /// range, as Linux does for PROT_BTI; false if any page is unmapped. `map` clears it.
    pub fn set_guarded(&mut self, addr: u64, len: u64, guarded: bool) -> bool {
        let mut all = true;
        for vpn in page_range(addr, len) {
            match self.index.get(&vpn) {
                Some(&slot) => self.pages[slot].guarded = guarded,
                None => all = false,
            }
        }
        all
    }

    /// The permissions of the page holding `va`, if it is mapped.
    pub fn perms(&self, va: u64) -> Option<Perms> {
        let slot = *self.index.get(&(va / PAGE_SIZE))?;
        Some(self.pages[slot].perms)
    }

    /// Whether any page overlapping the range is mapped.
    pub fn is_mapped(&self, addr: u64, len: u64) -> bool {
        page_range(addr, len).any(|vpn| self.index.contains_key(&vpn))
    }

    /// Writes bytes ignoring permissions (for loaders).
    pub fn poke(&mut self, va: u64, buf: &[u8]) -> Result<(), Fault> {
        self.access(va, buf.len(), AccessKind::Write, true, |page, off, i, n| {
            page[off..off + n].copy_from_slice(&buf[i..i + n])
        })
    }

    /// Reads bytes ignoring permissions (for boards and debuggers).
    pub fn peek(&mut self, va: u64, buf: &mut [u8]) -> Result<(), Fault> {
        let len = buf.len();
        self.access(va, len, AccessKind::Read, true, |page, off, i, n| {
            buf[i..i + n].copy_from_slice(&page[off..off + n])
        })
    }

    /// Reports a change to the page in `slot` if the PE holds decodes from it.
    #[inline]
    fn code_changed_at(&mut self, slot: usize, vpn: u64) {
        let page = &mut self.pages[slot];
        if page.code {
            page.code = false;
            self.code_changes.push(vpn);
        }
    }

    #[inline]
    fn slot(&mut self, vpn: u64) -> Option<usize> {
        let e = &mut self.tlb[vpn as usize % TLB_ENTRIES];
        if e.0 == vpn {
            return Some(e.1);
        }
        let s = *self.index.get(&vpn)?;
        *e = (vpn, s);
        Some(s)
    }

    #[inline]
    fn access(
        &mut self,
        va: u64,
        len: usize,
        access: AccessKind,
        ignore_perms: bool,
        mut f: impl FnMut(&mut [u8; PAGE_SIZE as usize], usize, usize, usize),
    ) -> Result<(), Fault> {
        let mut done = 0usize;
        while done < len {
            let a = va.wrapping_add(done as u64);
            let fault = |kind| Fault::new(a, access, kind);
            let slot = self
                .slot(a / PAGE_SIZE)
                .ok_or(fault(FaultKind::Translation))?;
            let page = &mut self.pages[slot];
            if !ignore_perms && !page.perms.allows(access) {
                return Err(fault(FaultKind::Permission));
            }
            if access == AccessKind::Write && page.code {
                page.code = false;
                self.code_changes.push(a / PAGE_SIZE);
            }
            let off = (a % PAGE_SIZE) as usize;
            let n = (PAGE_SIZE as usize - off).min(len - done);
            f(&mut page.data, off, done, n);
            done += n;
        }
        Ok(())
    }
}

/// Copies `src` to `dst` (of equal length), with fixed-size copies for the sizes loads and
/// stores use instead of a call to `memcpy`.
#[inline(always)]
fn copy_small(dst: &mut [u8], src: &[u8]) {
    match dst.len() {
        1 => dst[0] = src[0],
        2 => dst[..2].copy_from_slice(&src[..2]),
        4 => dst[..4].copy_from_slice(&src[..4]),
        8 => dst[..8].copy_from_slice(&src[..8]),
        16 => dst[..16].copy_from_slice(&src[..16]),
        _ => dst.copy_from_slice(src),
    }
}

impl FlatMemory {
    /// `read_le` off the fast path: fills the cache entry when the page may be read.
    #[cold]
    #[inline(never)]
    fn read_le_slow(&mut self, va: u64, size: usize) -> Result<u64, Fault> {
        let mut buf = [0u8; 8];
        self.read(va, &mut buf[..size.min(8)], AccessKind::Read)?;
        let vpn = va / PAGE_SIZE;
        if let Some(slot) = self.slot(vpn) {
            let page = &mut self.pages[slot];
            if page.perms.read {
                let bytes = page.data.as_mut_ptr() as usize;
                self.read_tlb[vpn as usize % TLB_ENTRIES] = HostPage { vpn, bytes };
            }
        }
        Ok(u64::from_le_bytes(buf))
    }

    /// `write_le` off the fast path: fills the cache entry when the page may be written and is
    /// not watched as code.
    #[cold]
    #[inline(never)]
    fn write_le_slow(&mut self, va: u64, size: usize, value: u64) -> Result<(), Fault> {
        self.write(va, &value.to_le_bytes()[..size.min(8)])?;
        let vpn = va / PAGE_SIZE;
        if let Some(slot) = self.slot(vpn) {
            let page = &mut self.pages[slot];
            if page.perms.write && !page.code {
                let bytes = page.data.as_mut_ptr() as usize;
                self.write_tlb[vpn as usize % TLB_ENTRIES] = HostPage { vpn, bytes };
            }
        }
        Ok(())
    }

    /// The page holding `va` if `access` is allowed; a write to a watched code page is
    /// reported.
    #[inline(always)]
    fn page_for(&mut self, va: u64, access: AccessKind) -> Result<&mut Page, Fault> {
        let fault = |kind| Fault::new(va, access, kind);
        let slot = self
            .slot(va / PAGE_SIZE)
            .ok_or(fault(FaultKind::Translation))?;
        let page = &self.pages[slot];
        if !page.perms.allows(access) {
            return Err(fault(FaultKind::Permission));
        }
        if access == AccessKind::Write && page.code {
            self.pages[slot].code = false;
            self.code_changes.push(va / PAGE_SIZE);
        }
        Ok(&mut self.pages[slot])
    }
}

impl Memory for FlatMemory {
    #[inline]
    fn read(&mut self, va: u64, buf: &mut [u8], access: AccessKind) -> Result<(), Fault> {
        let len = buf.len();
        let off = (va % PAGE_SIZE) as usize;
        if off + len <= PAGE_SIZE as usize {
            let page = self.page_for(va, access)?;
            copy_small(buf, &page.data[off..off + len]);
            return Ok(());
        }
        self.access(va, len, access, false, |page, off, i, n| {
            buf[i..i + n].copy_from_slice(&page[off..off + n])
        })
    }

    #[inline]
    fn write(&mut self, va: u64, buf: &[u8]) -> Result<(), Fault> {
        let len = buf.len();
        let off = (va % PAGE_SIZE) as usize;
        if off + len <= PAGE_SIZE as usize {
            let page = self.page_for(va, AccessKind::Write)?;
            copy_small(&mut page.data[off..off + len], buf);
            return Ok(());
        }
        self.access(
            va,
            buf.len(),
            AccessKind::Write,
            false,
            |page, off, i, n| page[off..off + n].copy_from_slice(&buf[i..i + n]),
        )
    }

    #[inline(always)]
    fn read_le(&mut self, va: u64, size: usize) -> Result<u64, Fault> {
        let vpn = va / PAGE_SIZE;
        let off = (va % PAGE_SIZE) as usize;
        let e = self.read_tlb[vpn as usize % TLB_ENTRIES];
        if e.vpn == vpn && off + size <= PAGE_SIZE as usize {
            // SAFETY: `e.bytes` is the address of the live page `vpn`'s PAGE_SIZE bytes (entries
            // are dropped before a page goes away), and off + size stays inside them.
            let p = (e.bytes + off) as *const u8;
            return Ok(unsafe {
                match size {
                    1 => u64::from(*p),
                    2 => u64::from(u16::from_le(p.cast::<u16>().read_unaligned())),
                    4 => u64::from(u32::from_le(p.cast::<u32>().read_unaligned())),
                    _ => u64::from_le(p.cast::<u64>().read_unaligned()),
                }
            });
        }
        self.read_le_slow(va, size)
    }

    #[inline(always)]
    fn write_le(&mut self, va: u64, size: usize, value: u64) -> Result<(), Fault> {
        let vpn = va / PAGE_SIZE;
        let off = (va % PAGE_SIZE) as usize;
        let e = self.write_tlb[vpn as usize % TLB_ENTRIES];
        if e.vpn == vpn && off + size <= PAGE_SIZE as usize {
            // SAFETY: as in `read_le`; the page is writable and not watched as code.
            let p = (e.bytes + off) as *mut u8;
            unsafe {
                match size {
                    1 => *p = value as u8,
                    2 => p.cast::<u16>().write_unaligned((value as u16).to_le()),
                    4 => p.cast::<u32>().write_unaligned((value as u32).to_le()),
                    _ => p.cast::<u64>().write_unaligned(value.to_le()),
                }
            }
            return Ok(());
        }
        self.write_le_slow(va, size, value)
    }

    fn watch_code(&mut self, va: u64) -> Result<(), Fault> {
        let fault = |kind| Fault::new(va, AccessKind::Fetch, kind);
        let slot = self
            .slot(va / PAGE_SIZE)
            .ok_or(fault(FaultKind::Translation))?;
        let page = &mut self.pages[slot];
        if !page.perms.execute {
            return Err(fault(FaultKind::Permission));
        }
        page.code = true;
        // Writes to the page must now be seen, so they leave the fast path.
        self.forget_host_page(va / PAGE_SIZE);
        Ok(())
    }

    #[inline]
    fn code_changed(&self) -> bool {
        !self.code_changes.is_empty()
    }

    fn drain_code_changes(&mut self, f: &mut dyn FnMut(u64)) {
        for vpn in self.code_changes.drain(..) {
            f(vpn);
        }
    }

    fn is_guarded(&mut self, va: u64) -> bool {
        self.slot(va / PAGE_SIZE)
            .is_some_and(|slot| self.pages[slot].guarded)
    }
}

fn page_range(addr: u64, len: u64) -> std::ops::Range<u64> {
    if len == 0 {
        return 0..0;
    }
    let first = addr / PAGE_SIZE;
    let last = addr.saturating_add(len - 1) / PAGE_SIZE;
    first..last + 1
}

/// One data access an instruction made, as a trace shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Access {
    pub write: bool,
    pub va: u64,
    /// 1 to 16 bytes, little-endian in the low bytes.
    pub size: usize,
    pub value: u128,
}

/// A [`Memory`] that passes everything to another and records each successful data read and
/// write (not fetches), for tracing: wrapped around the board's memory for one step when
/// `--trace` is on, so the untraced path pays nothing.
pub struct Recording<'a, M: Memory> {
    inner: &'a mut M,
    pub accesses: Vec<Access>,
    /// False for a dry run: writes are recorded but not made (a debugger asking which
    /// addresses an instruction would touch before it runs).
    commit: bool,
}

impl<'a, M: Memory> Recording<'a, M> {
    pub fn new(inner: &'a mut M) -> Recording<'a, M> {
        Recording {
            inner,
            accesses: Vec::new(),
            commit: true,
        }
    }

    /// A recording that makes no writes: reads see memory as it was before the instruction.
    pub fn dry(inner: &'a mut M) -> Recording<'a, M> {
        Recording {
            inner,
            accesses: Vec::new(),
            commit: false,
        }
    }

    fn record(&mut self, write: bool, va: u64, bytes: &[u8]) {
        // Accesses wider than 16 bytes (none today) are recorded in 16-byte pieces.
        for (k, chunk) in bytes.chunks(16).enumerate() {
            let mut b = [0u8; 16];
            b[..chunk.len()].copy_from_slice(chunk);
            self.accesses.push(Access {
                write,
                va: va.wrapping_add(16 * k as u64),
                size: chunk.len(),
                value: u128::from_le_bytes(b),
            });
        }
    }
}

impl<M: Memory> Memory for Recording<'_, M> {
    fn read(&mut self, va: u64, buf: &mut [u8], access: AccessKind) -> Result<(), Fault> {
        self.inner.read(va, buf, access)?;
        if access != AccessKind::Fetch {
            self.record(false, va, buf);
        }
        Ok(())
    }

    fn write(&mut self, va: u64, buf: &[u8]) -> Result<(), Fault> {
        if self.commit {
            self.inner.write(va, buf)?;
        }
        self.record(true, va, buf);
        Ok(())
    }

    fn read_le(&mut self, va: u64, size: usize) -> Result<u64, Fault> {
        let v = self.inner.read_le(va, size)?;
        self.record(false, va, &v.to_le_bytes()[..size.min(8)]);
        Ok(v)
    }

    fn write_le(&mut self, va: u64, size: usize, value: u64) -> Result<(), Fault> {
        if self.commit {
            self.inner.write_le(va, size, value)?;
        }
        self.record(true, va, &value.to_le_bytes()[..size.min(8)]);
        Ok(())
    }

    fn watch_code(&mut self, va: u64) -> Result<(), Fault> {
        self.inner.watch_code(va)
    }

    fn code_changed(&self) -> bool {
        self.inner.code_changed()
    }

    fn board_event(&self) -> bool {
        self.inner.board_event()
    }

    fn drain_code_changes(&mut self, f: &mut dyn FnMut(u64)) {
        self.inner.drain_code_changes(f)
    }

    fn set_translation(&mut self, t: &crate::mmu::Translation) {
        self.inner.set_translation(t)
    }

    fn tlb_invalidate(&mut self) {
        self.inner.tlb_invalidate()
    }

    fn set_unprivileged(&mut self, on: bool) {
        self.inner.set_unprivileged(on)
    }

    fn set_pa_space(&mut self, ns: bool) {
        self.inner.set_pa_space(ns)
    }

    fn translate_at(
        &mut self,
        t: &crate::mmu::Translation,
        va: u64,
        access: AccessKind,
    ) -> Result<crate::mmu::Output, Fault> {
        self.inner.translate_at(t, va, access)
    }

    fn is_guarded(&mut self, va: u64) -> bool {
        self.inner.is_guarded(va)
    }

    fn cache_maintenance(
        &mut self,
        va: u64,
        s1: Option<AccessKind>,
        s2_write: bool,
    ) -> Result<(), Fault> {
        self.inner.cache_maintenance(va, s1, s2_write)
    }

    fn set_watchpoints(
        &mut self,
        w: &[crate::interp::debug::Watchpoint; crate::interp::debug::WATCHPOINTS],
    ) {
        self.inner.set_watchpoints(w)
    }
}
