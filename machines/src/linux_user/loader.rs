//! Loading an AArch64 ELF executable, static or dynamic: map its PT_LOAD segments and those of
//! its ELF interpreter (PT_INTERP, read through the host's files, where `-L` applies), set up the heap (brk)
//! and the stack Linux builds for a new process (argc, argv, envp, auxv and the strings and
//! random bytes they point to), and point the PE at the entry point.

use std::collections::BTreeMap;

use object::LittleEndian as LE;
use object::elf;
use object::read::elf::{FileHeader, ProgramHeader};

use super::{AT_FDCWD, At, Board, Host, OpenFlags, Process};
use model::interp::{Config, Cpu, Features};
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
    /// The ELF interpreter (PT_INTERP) could not be read: its path and the errno.
    Interpreter(String, i32),
    /// The ELF interpreter is not one we can load: its path and why.
    BadInterpreter(String, String),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::NotElf => f.write_str("not an ELF file"),
            LoadError::WrongMachine(m) => write!(f, "not an AArch64 executable: {m}"),
            LoadError::Truncated(m) => write!(f, "truncated ELF file: {m}"),
            LoadError::Unsupported(m) => write!(f, "unsupported ELF file: {m}"),
            LoadError::Interpreter(path, errno) => write!(
                f,
                "cannot read the ELF interpreter {path} (errno {errno}); \
                 a dynamically linked program needs its sysroot: -L DIR"
            ),
            LoadError::BadInterpreter(path, why) => write!(f, "ELF interpreter {path}: {why}"),
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

/// What mapping one ELF image left behind.
struct Image {
    entry: u64,
    /// Where the program headers are in guest memory (AT_PHDR), and how many (AT_PHNUM).
    phdr: u64,
    phnum: u64,
    /// The first address past the highest segment.
    end: u64,
}

/// Checks that `data` is an AArch64 ELF executable or shared object and returns its header.
fn parse(data: &[u8]) -> Result<&elf::FileHeader64<LE>, LoadError> {
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
    let machine = header.e_machine(LE);
    if machine != elf::EM_AARCH64 {
        return Err(LoadError::WrongMachine(format!("e_machine is {machine}")));
    }
    Ok(header)
}

/// The lowest and highest (exclusive) addresses of `data`'s PT_LOAD segments before
/// relocation, checked against the file.
fn extent(data: &[u8], header: &elf::FileHeader64<LE>) -> Result<(u64, u64), LoadError> {
    let e = LE;
    let phdrs = header
        .program_headers(e, data)
        .map_err(|err| LoadError::Truncated(format!("program headers: {err}")))?;
    let mut lo = u64::MAX;
    let mut hi = 0u64;
    for p in phdrs.iter().filter(|p| p.p_type(e) == elf::PT_LOAD) {
        let (vaddr, memsz, filesz, off) =
            (p.p_vaddr(e), p.p_memsz(e), p.p_filesz(e), p.p_offset(e));
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
        if memsz > 0 {
            lo = lo.min(vaddr);
            hi = hi.max(seg_end);
        }
    }
    if hi == 0 {
        return Err(LoadError::Unsupported("no loadable segments".into()));
    }
    Ok((lo, hi))
}

/// Maps `data`'s PT_LOAD segments at `bias` into `mem` (checked by `extent` first) and copies
/// their file bytes in. Executable segments of a binary marked for BTI become guarded pages
/// when `bti` is on, as Linux maps them.
fn map_image(
    mem: &mut FlatMemory,
    data: &[u8],
    header: &elf::FileHeader64<LE>,
    bias: u64,
    bti: bool,
) -> Result<Image, LoadError> {
    let e = LE;
    let phdrs = header
        .program_headers(e, data)
        .map_err(|err| LoadError::Truncated(format!("program headers: {err}")))?;
    // The union of the permissions every page gets, then the file bytes to copy in.
    let mut pages: BTreeMap<u64, Perms> = BTreeMap::new();
    let mut end = 0u64;
    let mut phdr_addr = None;
    for p in phdrs {
        if p.p_type(e) == elf::PT_PHDR {
            phdr_addr = Some(p.p_vaddr(e).wrapping_add(bias));
        }
        if p.p_type(e) != elf::PT_LOAD || p.p_memsz(e) == 0 {
            continue;
        }
        let vaddr = p.p_vaddr(e).wrapping_add(bias);
        let seg_end = vaddr.wrapping_add(p.p_memsz(e));
        let flags = p.p_flags(e);
        let perms = Perms {
            read: flags & elf::PF_R != 0,
            write: flags & elf::PF_W != 0,
            execute: flags & elf::PF_X != 0,
        };
        for vpn in vaddr / PAGE_SIZE..=(seg_end - 1) / PAGE_SIZE {
            let p = pages.entry(vpn).or_insert(Perms::NONE);
            p.read |= perms.read;
            p.write |= perms.write;
            p.execute |= perms.execute;
        }
        end = end.max(seg_end);
        let off = p.p_offset(e);
        let phoff = header.e_phoff(e);
        if phdr_addr.is_none() && off <= phoff && phoff < off.saturating_add(p.p_filesz(e)) {
            phdr_addr = Some(vaddr + (phoff - off));
        }
    }
    for (&vpn, &perms) in &pages {
        mem.map(vpn * PAGE_SIZE, PAGE_SIZE, perms);
    }
    if bti && marked_for_bti(phdrs, data) {
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
    Ok(Image {
        entry: header.e_entry(e).wrapping_add(bias),
        phdr: phdr_addr.unwrap_or(0),
        phnum: phdrs.len() as u64,
        end,
    })
}

/// The path in PT_INTERP, if the program names an ELF interpreter (the dynamic linker).
fn interpreter(data: &[u8], header: &elf::FileHeader64<LE>) -> Result<Option<Vec<u8>>, LoadError> {
    let e = LE;
    let phdrs = header
        .program_headers(e, data)
        .map_err(|err| LoadError::Truncated(format!("program headers: {err}")))?;
    let Some(p) = phdrs.iter().find(|p| p.p_type(e) == elf::PT_INTERP) else {
        return Ok(None);
    };
    let bytes = p
        .data(e, data)
        .map_err(|()| LoadError::Truncated("PT_INTERP".into()))?;
    let path = bytes.split(|&b| b == 0).next().unwrap_or_default();
    if path.is_empty() {
        return Err(LoadError::Unsupported("empty PT_INTERP".into()));
    }
    Ok(Some(path.to_vec()))
}

/// Reads the ELF interpreter `path` through the host's file system (where `-L` applies).
fn read_interpreter(host: &mut dyn Host, path: &[u8]) -> Result<Vec<u8>, LoadError> {
    let shown = String::from_utf8_lossy(path).into_owned();
    let at = At {
        dirfd: AT_FDCWD,
        path,
    };
    let fd = host
        .openat(at, OpenFlags::default(), 0)
        .map_err(|errno| LoadError::Interpreter(shown.clone(), errno))?;
    let image = super::process::read_all(host, fd);
    let _ = host.close(fd);
    image.map_err(|errno| LoadError::Interpreter(shown, errno))
}

pub(super) fn load(
    process: &Process,
    config: Config,
    host: &mut dyn Host,
) -> Result<Board, LoadError> {
    let data = process.image;
    let header = parse(data)?;
    let e = LE;
    let (lo, hi) = extent(data, header)?;
    let bias = match header.e_type(e) {
        elf::ET_EXEC => 0,
        elf::ET_DYN => PIE_BASE - lo.min(PIE_BASE),
        t => {
            return Err(LoadError::Unsupported(format!(
                "e_type {t} is not an executable"
            )));
        }
    };
    if hi.wrapping_add(bias) >= MMAP_TOP - (1 << 32) {
        return Err(LoadError::Unsupported(format!(
            "segments up to {:#x} do not fit below the mmap area",
            hi.wrapping_add(bias)
        )));
    }
    // The interpreter is read and checked before anything is mapped, so a missing or bad one
    // is refused like a bad program.
    let interp = match interpreter(data, header)? {
        Some(path) => {
            let bytes = read_interpreter(host, &path)?;
            let shown = String::from_utf8_lossy(&path).into_owned();
            let wrap = |err: LoadError| LoadError::BadInterpreter(shown.clone(), err.to_string());
            let h = parse(&bytes).map_err(wrap)?;
            if h.e_type(e) != elf::ET_DYN {
                return Err(wrap(LoadError::Unsupported("not a shared object".into())));
            }
            let span = extent(&bytes, h).map_err(wrap)?;
            Some((bytes, span))
        }
        None => None,
    };

    let mut mem = FlatMemory::new();
    let bti = config.features.bti;
    let image = map_image(&mut mem, data, header, bias, bti)?;
    // Linux maps the interpreter like an mmap without a hint, just below the mmap base.
    let mut mmap_next = MMAP_TOP;
    let mut entry = image.entry;
    let mut interp_base = 0;
    if let Some((bytes, (lo, hi))) = &interp {
        let size = (hi - lo).div_ceil(PAGE_SIZE) * PAGE_SIZE;
        let base = (MMAP_TOP - size) & !(PAGE_SIZE - 1);
        let lo_page = lo & !(PAGE_SIZE - 1);
        let bias = base.wrapping_sub(lo_page);
        // parse and extent succeeded on these bytes above.
        let h = parse(bytes)?;
        let mapped = map_image(&mut mem, bytes, h, bias, bti)?;
        entry = mapped.entry;
        interp_base = base;
        mmap_next = base;
    }

    let brk = image.end.div_ceil(PAGE_SIZE) * PAGE_SIZE;
    let mut cpu = Cpu::new(config);
    // MRS of an ID register at EL0 reads what the kernel shows (`idregs.rs`).
    cpu.config.id_registers = super::idregs::linux_view(&cpu.config.id_registers);
    cpu.state.pc = entry;
    // Fresh random pointer authentication keys, as Linux gives every exec.
    let mut keys = [[0u8; 16]; 5];
    for k in &mut keys {
        host.random(k);
    }
    let s = &mut cpu.state;
    [s.apiakey, s.apibkey, s.apdakey, s.apdbkey, s.apgakey] = keys.map(u128::from_le_bytes);
    let (hwcap, hwcap2) = hwcaps(&cpu.config.features);

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
    let auxv = [
        (AT_PHDR, image.phdr),
        (AT_PHENT, 56),
        (AT_PHNUM, image.phnum),
        (AT_PAGESZ, PAGE_SIZE),
        (AT_BASE, interp_base),
        (AT_FLAGS, 0),
        (AT_ENTRY, image.entry),
        (AT_UID, UID),
        (AT_EUID, UID),
        (AT_GID, GID),
        (AT_EGID, GID),
        (AT_PLATFORM, platform),
        (AT_HWCAP, hwcap),
        (AT_CLKTCK, 100),
        (AT_SECURE, 0),
        (AT_RANDOM, random),
        (AT_HWCAP2, hwcap2),
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
        mmap_next,
        logged: Vec::new(),
        pid: host.pid(),
        signals: Default::default(),
        restart: None,
        suspended_mask: None,
        comm: comm(process.execfn),
        dumpable: true,
        exe: super::files::absolute(host, process.execfn),
        tracer: None,
        file_pages: Default::default(),
    })
}

/// AT_HWCAP and AT_HWCAP2 as Linux computes them for a PE with `f` (its `HWCAP_*` and
/// `HWCAP2_*` bits, arch/arm64 uapi), so the C library picks routines the PE can run.
pub fn hwcaps(f: &Features) -> (u64, u64) {
    let caps = [
        (true, 0),       // FP
        (true, 1),       // ASIMD
        (f.aes, 3),      // AES
        (f.pmull, 4),    // PMULL
        (f.sha1, 5),     // SHA1
        (f.sha256, 6),   // SHA2
        (f.crc32, 7),    // CRC32
        (f.lse, 8),      // ATOMICS
        (f.fp16, 9),     // FPHP
        (f.fp16, 10),    // ASIMDHP
        (true, 11),      // CPUID: the kernel emulates MRS of the ID registers
        (f.rdm, 12),     // ASIMDRDM
        (f.jscvt, 13),   // JSCVT
        (f.fcma, 14),    // FCMA
        (f.lrcpc, 15),   // LRCPC
        (f.dpb, 16),     // DCPOP
        (f.sha3, 17),    // SHA3
        (f.sm3, 18),     // SM3
        (f.sm4, 19),     // SM4
        (f.dotprod, 20), // ASIMDDP
        (f.sha512, 21),  // SHA512
        (f.fhm, 23),     // ASIMDFHM
        (f.dit, 24),     // DIT
        (f.lse2, 25),    // USCAT
        (f.lrcpc2, 26),  // ILRCPC
        (f.flagm, 27),   // FLAGM
        (f.ssbs, 28),    // SSBS
        (f.sb, 29),      // SB
        (f.pauth, 30),   // PACA
        (f.pauth, 31),   // PACG
    ];
    let caps2 = [
        (f.dpb2, 0),    // DCPODP
        (f.flagm2, 7),  // FLAGM2
        (f.frintts, 8), // FRINT
        (f.i8mm, 13),   // I8MM
        (f.bf16, 14),   // BF16
        (f.bti, 17),    // BTI
    ];
    let bits = |list: &[(bool, u32)]| {
        list.iter()
            .filter(|(on, _)| *on)
            .fold(0u64, |acc, (_, bit)| acc | 1 << bit)
    };
    (bits(&caps), bits(&caps2))
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

/// The name a new process image has: its file name's first 15 bytes (`/proc/self/comm`).
fn comm(execfn: &str) -> [u8; 16] {
    let base = execfn.rsplit('/').next().unwrap_or_default().as_bytes();
    let mut name = [0u8; 16];
    for (d, s) in name.iter_mut().zip(base.iter().take(15)) {
        *d = *s;
    }
    name
}

fn nul(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}
