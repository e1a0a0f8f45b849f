//! The decoded-instruction cache: per guest code page, each instruction's word, its encoding
//! id and which group executes it, filled on first fetch, so the hot loop neither decodes
//! again nor allocates.
//!
//! **Keying and coherence.** Pages are keyed by virtual page number, which is safe in user mode
//! because the address space is a flat map (VA = PA, one translation regime, no aliases). A page
//! enters the cache through [`Memory::watch_code`], which checks execute permission once; from
//! then on fetches within the page need no permission check. The memory reports every change
//! to a watched page (a store by the guest or a syscall, munmap, mmap over it, mprotect), and
//! [`Cpu::step`](super::Cpu::step) drops those pages before its next fetch. So a store is
//! visible to the very next instruction, which is stronger than the architecture asks
//! (CTR_EL0.DIC = 1 and IDC = 1, which we report, still need an ISB after the store). IC IVAU
//! drops its page too.
//!
//! **With an MMU** (system level, later): key pages by physical address plus what makes a
//! translation different (translation regime, ASID/VMID, or flush on TTBR writes), translate
//! and check execute permission on entering a page (the "current page" below must then also
//! be dropped on TLB maintenance, context-synchronisation after SCTLR/TCR/TTBR writes, and
//! exception entry/return that changes the regime), and let stores be caught by physical page
//! so that writes through an alias invalidate too. IC IALLU/IALLUIS/IVAU would then drop by
//! PA or everything.

use super::fastops::{FastOp, classify};
use crate::decode::{EncodingId, decode};
use crate::memory::{AccessKind, Fault, Memory, PAGE_SIZE};
use std::collections::HashMap;

const INSNS_PER_PAGE: usize = (PAGE_SIZE / 4) as usize;

/// Which group's `execute` runs an instruction, learnt on its first execution.
pub(super) const GROUP_UNKNOWN: u8 = u8::MAX;

/// The group of an entry that holds no decoded word yet.
const GROUP_EMPTY: u8 = u8::MAX - 1;

/// One cached instruction: 16 bytes, so a page's 1024 entries take 16 KiB.
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub(super) struct Entry {
    /// The specialised body's immediate (`fastops`).
    pub imm: u64,
    pub word: u32,
    /// `None`: UNDEFINED (no encoding claims the word).
    pub id: Option<EncodingId>,
    /// Index of the group that executes it, [`GROUP_UNKNOWN`], or `GROUP_EMPTY` when the entry
    /// holds no decoded word.
    pub group: u8,
    /// The specialised body that runs it, if any.
    pub fast: FastOp,
}

const _: () = assert!(std::mem::size_of::<Entry>() == 16);

const EMPTY: Entry = Entry {
    imm: 0,
    word: 0,
    id: None,
    group: GROUP_EMPTY,
    fast: FastOp::None,
};

#[derive(Clone)]
struct CodePage {
    vpn: u64,
    entries: Box<[Entry; INSNS_PER_PAGE]>,
}

/// The cache of one PE.
pub struct DecodeCache {
    index: HashMap<u64, usize>,
    pages: Vec<CodePage>,
    free: Vec<usize>,
    /// The page the PE is executing from: its number and slot. `u64::MAX`: none.
    current_vpn: u64,
    current: usize,
    /// The address of the current page's entries, so the hot lookup is one load: each page's
    /// entries are a box of their own, which neither moving `pages` nor reusing the slot
    /// moves. Meaningful only while `current_vpn` names a page. (An address, not a pointer,
    /// so the cache stays `Send`.)
    current_entries: usize,
    /// `current_vpn * PAGE_SIZE`, or `u64::MAX` (which no aligned PC's page base equals) when
    /// there is no current page: [`DecodeCache::current`] checks page and alignment at once.
    current_base: u64,
}

impl Clone for DecodeCache {
    /// A clone owns new boxes, so it starts with no current page rather than point into ours.
    fn clone(&self) -> DecodeCache {
        DecodeCache {
            index: self.index.clone(),
            pages: self.pages.clone(),
            free: self.free.clone(),
            current_vpn: u64::MAX,
            current: 0,
            current_entries: 0,
            current_base: u64::MAX,
        }
    }
}

impl Default for DecodeCache {
    fn default() -> DecodeCache {
        DecodeCache {
            index: HashMap::new(),
            pages: Vec::new(),
            free: Vec::new(),
            current_vpn: u64::MAX,
            current: 0,
            current_entries: 0,
            current_base: u64::MAX,
        }
    }
}

impl std::fmt::Debug for DecodeCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecodeCache")
            .field("pages", &self.index.len())
            .finish()
    }
}

impl DecodeCache {
    /// The cached entry for the (4-byte aligned) `pc`, fetching and decoding on a miss.
    #[inline(always)]
    pub(super) fn lookup(&mut self, mem: &mut impl Memory, pc: u64) -> Result<&mut Entry, Fault> {
        let vpn = pc / PAGE_SIZE;
        if vpn != self.current_vpn {
            self.enter_page(mem, pc)?;
        }
        debug_assert!(self.current < self.pages.len());
        debug_assert_eq!(
            self.current_entries,
            self.pages[self.current].entries.as_ptr() as usize
        );
        // SAFETY: `current_entries` is the address of the live entries of page `current_vpn`:
        // `enter_page` sets both, the entries are a box that stays put while the slot lives,
        // `pages` never shrinks, and `drop_page` resets `current_vpn` when it frees the current
        // slot. The entry index is reduced modulo the page, and `&mut self` is exclusive.
        let e = unsafe {
            &mut *(self.current_entries as *mut Entry).add((pc / 4) as usize % INSNS_PER_PAGE)
        };
        if e.group == GROUP_EMPTY {
            fill(mem, pc, e)?;
        }
        Ok(e)
    }

    /// The entry for `pc` if `pc` is 4-byte aligned and in the page being executed, filled or
    /// not (an empty entry has no fast form, so the caller takes the reference path, which
    /// fills it).
    #[inline(always)]
    pub(super) fn current(&self, pc: u64) -> Option<&Entry> {
        if pc & !(PAGE_SIZE - 4) != self.current_base {
            return None;
        }
        // SAFETY: as in `lookup`.
        Some(unsafe {
            &*(self.current_entries as *const Entry).add((pc / 4) as usize % INSNS_PER_PAGE)
        })
    }

    #[cold]
    #[inline(never)]
    fn enter_page(&mut self, mem: &mut impl Memory, pc: u64) -> Result<(), Fault> {
        let vpn = pc / PAGE_SIZE;
        let slot = match self.index.get(&vpn) {
            Some(&slot) => slot,
            None => {
                mem.watch_code(pc)?;
                let slot = match self.free.pop() {
                    Some(s) => {
                        let page = &mut self.pages[s];
                        page.vpn = vpn;
                        page.entries.fill(EMPTY);
                        s
                    }
                    None => {
                        self.pages.push(CodePage {
                            vpn,
                            entries: Box::new([EMPTY; INSNS_PER_PAGE]),
                        });
                        self.pages.len() - 1
                    }
                };
                self.index.insert(vpn, slot);
                slot
            }
        };
        self.current_vpn = vpn;
        self.current_base = vpn * PAGE_SIZE;
        self.current = slot;
        self.current_entries = self.pages[slot].entries.as_mut_ptr() as usize;
        Ok(())
    }

    /// Forgets the decodes of page number `vpn`.
    pub(super) fn drop_page(&mut self, vpn: u64) {
        if let Some(slot) = self.index.remove(&vpn) {
            debug_assert_eq!(self.pages[slot].vpn, vpn);
            self.free.push(slot);
        }
        if self.current_vpn == vpn {
            self.current_vpn = u64::MAX;
            self.current_base = u64::MAX;
        }
    }

    /// Applies the changes `mem` reports to watched pages.
    #[cold]
    #[inline(never)]
    pub(super) fn sync(&mut self, mem: &mut impl Memory) {
        mem.drain_code_changes(&mut |vpn| self.drop_page(vpn));
    }

    /// Records that group `g` executes the instruction at `pc`, on the page being executed.
    pub(super) fn learn_group(&mut self, pc: u64, g: u8) {
        if pc / PAGE_SIZE == self.current_vpn {
            // SAFETY: as in `lookup`; going through the same address keeps it the only way
            // the current page's entries are reached between `enter_page`s.
            unsafe {
                (*(self.current_entries as *mut Entry).add((pc / 4) as usize % INSNS_PER_PAGE))
                    .group = g;
            }
        }
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        *self = DecodeCache::default();
    }

    /// How many code pages hold decodes.
    pub fn pages(&self) -> usize {
        self.index.len()
    }
}

#[cold]
#[inline(never)]
fn fill(mem: &mut impl Memory, pc: u64, e: &mut Entry) -> Result<(), Fault> {
    let mut buf = [0u8; 4];
    mem.read(pc, &mut buf, AccessKind::Fetch)?;
    let word = u32::from_le_bytes(buf);
    let id = decode(word);
    let (fast, imm) = match id {
        Some(id) => classify(word, id, pc),
        None => (FastOp::None, 0),
    };
    *e = Entry {
        word,
        id,
        group: GROUP_UNKNOWN,
        fast,
        imm,
    };
    Ok(())
}
