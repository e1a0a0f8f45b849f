//! Loading a static AArch64 ELF executable: map its PT_LOAD segments, set up the heap (brk)
//! and the stack Linux builds for a new process (argc, argv, envp, auxv and the strings and
//! random bytes they point to), and point the PE at the entry point.

use std::collections::BTreeMap;

use object::LittleEndian as LE;
use object::elf;
use object::read::elf::{FileHeader, ProgramHeader};

use super::{Board, Host, Process};
use model::interp::{Config, Cpu};
use model::memory::{FlatMemory, PAGE_SIZE, Perms};

/// The highest stack address (exclusive) and the stack's size.
pub const STACK_TOP: u64 = 0x0000_7fff_f000_0000;
pub const STACK_SIZE: u64 = 8 << 20;
/// mmap without a hint allocates downwards from here.
pub const MMAP_TOP: u64 = STACK_TOP - STACK_SIZE - (1 << 30);
/// Where a position-independent executable (ET_DYN) is loaded.
pub const PIE_BASE: u64 = 0x0000_5555_5555_0000;

/// Why a file cannot be run. Its Display is one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadError {
    NotElf,
    WrongMachine(String),
    Truncated(String),
    Unsupported(String),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::NotElf => f.write_str("not an ELF file"),
            LoadError::WrongMachine(m) => write!(f, "not an AArch64 executable: {m}"),
            LoadError::Truncated(m) => write!(f, "truncated ELF file: {m}"),
            LoadError::Unsupported(m) => write!(f, "unsupported ELF file: {m}"),
        }
    }
}

const AT_NULL: u64 = 0;
const AT_PHDR: u64 = 3;
const AT_PHENT: u64 = 4;
const AT_PHNUM: u64 = 5;
const AT_PAGESZ: u64 = 6;
const AT_BASE: u64 = 7;
const AT_FLAGS: u64 = 8;
const AT_ENTRY: u64 = 9;
const AT_UID: u64 = 11;
const AT_EUID: u64 = 12;
const AT_GID: u64 = 13;
const AT_EGID: u64 = 14;
const AT_PLATFORM: u64 = 15;
const AT_HWCAP: u64 = 16;
const AT_CLKTCK: u64 = 17;
const AT_SECURE: u64 = 23;
const AT_RANDOM: u64 = 25;
const AT_HWCAP2: u64 = 26;
const AT_EXECFN: u64 = 31;
const AT_MINSIGSTKSZ: u64 = 51;

/// The IDs the process runs as.
pub const UID: u64 = 1000;
pub const GID: u64 = 1000;

pub(super) fn load(
    process: &Process,
    config: Config,
    hwcap: u64,
    host: &mut dyn Host,
) -> Result<Board, LoadError> {
    let data = process.image;
    if data.len() < 4 || &data[..4] != b"\x7fELF" {
        return Err(LoadError::NotElf);
    }
    if data.len() < 6 {
        return Err(LoadError::Truncated("no ELF header".into()));
    }
    if data[4] != elf::ELFCLASS64 || data[5] != elf::ELFDATA2LSB {
        return Err(LoadError::WrongMachine(
            "not a 64-bit little-endian ELF file".into(),
        ));
    }
    let header = elf::FileHeader64::<LE>::parse(data)
        .map_err(|e| LoadError::Truncated(format!("ELF header: {e}")))?;
    let e = LE;
    let machine = header.e_machine(e);
    if machine != elf::EM_AARCH64 {
        return Err(LoadError::WrongMachine(format!("e_machine is {machine}")));
    }
    let bias = match header.e_type(e) {
        elf::ET_EXEC => 0,
        elf::ET_DYN => PIE_BASE,
        t => {
            return Err(LoadError::Unsupported(format!(
                "e_type {t} is not an executable"
            )));
        }
    };
    let phdrs = header
        .program_headers(e, data)
        .map_err(|err| LoadError::Truncated(format!("program headers: {err}")))?;
    if phdrs.iter().any(|p| p.p_type(e) == elf::PT_INTERP) {
        return Err(LoadError::Unsupported(
            "dynamically linked programs (PT_INTERP) are not supported yet".into(),
        ));
    }

    // The union of the permissions every page gets, then the file bytes to copy in.
    let mut pages: BTreeMap<u64, Perms> = BTreeMap::new();
    let mut end = 0u64;
    let mut phdr_addr = None;
    for p in phdrs {
        if p.p_type(e) == elf::PT_PHDR {
            phdr_addr = Some(p.p_vaddr(e).wrapping_add(bias));
        }
        if p.p_type(e) != elf::PT_LOAD {
            continue;
        }
        let (vaddr, memsz, filesz, off) = (
            p.p_vaddr(e).wrapping_add(bias),
            p.p_memsz(e),
            p.p_filesz(e),
            p.p_offset(e),
        );
        if filesz > memsz {
            return Err(LoadError::Unsupported(format!(
                "segment at {vaddr:#x}: filesz > memsz"
            )));
        }
        if filesz > 0
            && off
                .checked_add(filesz)
                .is_none_or(|last| last > data.len() as u64)
        {
            return Err(LoadError::Truncated(format!(
                "segment at {vaddr:#x} needs file bytes {off:#x}..{:#x}, the file has {:#x}",
                off.saturating_add(filesz),
                data.len()
            )));
        }
        let Some(seg_end) = vaddr.checked_add(memsz).filter(|&x| x < MMAP_TOP) else {
            return Err(LoadError::Unsupported(format!(
                "segment at {vaddr:#x} is out of range"
            )));
        };
        let flags = p.p_flags(e);
        let perms = Perms {
            read: flags & elf::PF_R != 0,
            write: flags & elf::PF_W != 0,
            execute: flags & elf::PF_X != 0,
        };
        if memsz > 0 {
            for vpn in vaddr / PAGE_SIZE..=(seg_end - 1) / PAGE_SIZE {
                let p = pages.entry(vpn).or_insert(Perms::NONE);
                p.read |= perms.read;
                p.write |= perms.write;
                p.execute |= perms.execute;
            }
        }
        end = end.max(seg_end);
        if phdr_addr.is_none() && off == 0 {
            phdr_addr = Some(vaddr + header.e_phoff(e));
        }
    }
    if pages.is_empty() {
        return Err(LoadError::Unsupported("no loadable segments".into()));
    }
    let mut mem = FlatMemory::new();
    for (&vpn, &perms) in &pages {
        mem.map(vpn * PAGE_SIZE, PAGE_SIZE, perms);
    }
    // Linux maps the executable segments of a binary marked for BTI as guarded pages.
    if config.features.bti && marked_for_bti(phdrs, data) {
        for (&vpn, perms) in &pages {
            if perms.execute {
                mem.set_guarded(vpn * PAGE_SIZE, PAGE_SIZE, true);
            }
        }
    }
    for p in phdrs
        .iter()
        .filter(|p| p.p_type(e) == elf::PT_LOAD && p.p_filesz(e) > 0)
    {
        let bytes = p
            .data(e, data)
            .map_err(|()| LoadError::Truncated("segment data".into()))?;
        mem.poke(p.p_vaddr(e).wrapping_add(bias), bytes)
            .map_err(|f| LoadError::Unsupported(format!("segment bytes at {:#x}", f.va)))?;
    }

    let entry = header.e_entry(e).wrapping_add(bias);
    let brk = end.div_ceil(PAGE_SIZE) * PAGE_SIZE;
    let mut cpu = Cpu::new(config);
    cpu.state.pc = entry;
    // Fresh random pointer authentication keys, as Linux gives every exec.
    let mut keys = [[0u8; 16]; 5];
    for k in &mut keys {
        host.random(k);
    }
    let s = &mut cpu.state;
    [s.apiakey, s.apibkey, s.apdakey, s.apdbkey, s.apgakey] = keys.map(u128::from_le_bytes);

    mem.map(STACK_TOP - STACK_SIZE, STACK_SIZE, Perms::RW);
    let mut sp = STACK_TOP;
    let mut push = |mem: &mut FlatMemory, bytes: &[u8]| -> u64 {
        sp -= bytes.len() as u64;
        // The stack is mapped and writable: this cannot fault.
        let _ = mem.poke(sp, bytes);
        sp
    };
    let execfn = push(&mut mem, &nul(process.execfn));
    let platform = push(&mut mem, b"aarch64\0");
    let mut random = [0u8; 16];
    host.random(&mut random);
    let random = push(&mut mem, &random);
    let envp: Vec<u64> = process
        .env
        .iter()
        .map(|s| push(&mut mem, &nul(s)))
        .collect();
    let argv: Vec<u64> = process
        .args
        .iter()
        .map(|s| push(&mut mem, &nul(s)))
        .collect();
    let phnum = phdrs.len() as u64;
    let auxv = [
        (AT_PHDR, phdr_addr.unwrap_or(0)),
        (AT_PHENT, 56),
        (AT_PHNUM, phnum),
        (AT_PAGESZ, PAGE_SIZE),
        (AT_BASE, 0),
        (AT_FLAGS, 0),
        (AT_ENTRY, entry),
        (AT_UID, UID),
        (AT_EUID, UID),
        (AT_GID, GID),
        (AT_EGID, GID),
        (AT_PLATFORM, platform),
        (AT_HWCAP, hwcap),
        (AT_CLKTCK, 100),
        (AT_SECURE, 0),
        (AT_RANDOM, random),
        (AT_HWCAP2, 0),
        (AT_EXECFN, execfn),
        (AT_MINSIGSTKSZ, 5120),
        (AT_NULL, 0),
    ];
    let mut words: Vec<u64> = vec![argv.len() as u64];
    words.extend(&argv);
    words.push(0);
    words.extend(&envp);
    words.push(0);
    for (k, v) in auxv {
        words.push(k);
        words.push(v);
    }
    let mut sp = (sp & !15) - 8 * words.len() as u64;
    sp &= !15;
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let _ = mem.poke(sp, &bytes);
    cpu.state.set_sp(sp);

    Ok(Board {
        cpu,
        mem,
        brk_start: brk,
        brk,
        mmap_next: MMAP_TOP,
        logged: Vec::new(),
        pid: 4242,
        signals: Default::default(),
        hwcap,
        exe: super::files::absolute(host, process.execfn),
    })
}

/// Whether the PT_GNU_PROPERTY note holds GNU_PROPERTY_AARCH64_FEATURE_1_AND with the BTI bit,
/// as `-mbranch-protection=bti` (or `standard`) marks a binary. A malformed note is no mark.
fn marked_for_bti(phdrs: &[elf::ProgramHeader64<LE>], data: &[u8]) -> bool {
    let e = LE;
    let Some(bytes) = phdrs
        .iter()
        .find(|p| p.p_type(e) == elf::PT_GNU_PROPERTY)
        .and_then(|p| p.data(e, data).ok())
    else {
        return false;
    };
    let word = |o: usize| {
        bytes
            .get(o..o.wrapping_add(4))
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    // One note: namesz, descsz, type, "GNU\0", then properties of (type, datasz, data
    // padded to 8 bytes).
    if word(0) != Some(4)
        || word(8) != Some(elf::NT_GNU_PROPERTY_TYPE_0)
        || bytes.get(12..16) != Some(b"GNU\0".as_slice())
    {
        return false;
    }
    let end = word(4).map_or(0, |d| (16 + d as usize).min(bytes.len()));
    let mut o = 16;
    while o + 8 <= end {
        let (Some(kind), Some(size)) = (word(o), word(o + 4)) else {
            return false;
        };
        if kind == elf::GNU_PROPERTY_AARCH64_FEATURE_1_AND {
            return word(o + 8).is_some_and(|f| f & elf::GNU_PROPERTY_AARCH64_FEATURE_1_BTI != 0);
        }
        o += 8 + (size as usize).next_multiple_of(8);
    }
    false
}

fn nul(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}
