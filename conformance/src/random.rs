//! Random instruction streams, run on two executors and compared bit for bit (like risu):
//! `specula conformance random`.
//!
//! **Cases.** Each case is one instruction of one encoding, its fields random (seeded), and
//! a random initial state: X0–X30, SP, NZCV, FPCR and V0–V31. Only the encodings of the
//! groups this harness can contain are drawn (data processing, SIMD&FP, loads and stores),
//! and only those the configured CPU has and the interpreter implements. Memory operands are
//! pointed into a scratch buffer: a load or store takes SP as its base (which the harness
//! points into the buffer), its unsigned immediate is kept small, and the register that can
//! serve as an offset (bits 20:16) holds a small value.
//!
//! **The test program** is an ELF written here, with no assembler: per case, code that loads
//! the state from the case's image, runs the instruction, stores X0–X30, SP, NZCV, FPSR and
//! V0–V31 and a hash of the scratch buffer (`RECORD` bytes), writes them to stdout, and
//! refills the buffer. Many cases share one program. When an instruction faults, the
//! process dies with a signal: the cases before it are compared, the faulting one passes if
//! both executors died of the same signal, and a new program resumes after it.
//!
//! **Classes.** Pass, fail, or skip with a reason: known differences (`differences.txt`,
//! each with its reason and the rule that allows it) and what the architecture leaves to the
//! implementation (PAC values under per-process keys) are skipped, never silently passed.

use std::collections::BTreeMap;

use model::decode::{EncodingId, decode};
use model::interp::{Probe, probe};

/// Bytes each case writes: X0–X30, SP, NZCV, FPSR (8 each), V0–V31 (16 each), scratch hash.
pub const RECORD: usize = 31 * 8 + 3 * 8 + 32 * 16 + 8;
/// Bytes of a case's initial state: X0–X30, SP, NZCV, FPCR, V0–V31.
pub const IMAGE: usize = 31 * 8 + 3 * 8 + 32 * 16;
const IMG_SP: usize = 248;
const IMG_NZCV: usize = 256;
const IMG_FPCR: usize = 264;
const IMG_V: usize = 272;

const CODE: u64 = 0x40_0000;
/// The cases' images.
const DATA: u64 = 0x1000_0000;
/// The record being written, and the scratch buffer (16 KiB, SP starts 2 KiB in): fixed
/// addresses, whatever the program holds.
const OUT: u64 = 0x0800_0000;
const SCRATCH: u64 = 0x0800_1000;
const SCRATCH_WORDS: u64 = 2048;
const SP_OFFSET: u64 = 2048;

/// One case: an instruction and the state it starts from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    pub id: EncodingId,
    pub word: u32,
    pub image: Vec<u8>,
}

/// What became of a case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Fail(String),
    Skip(String),
}

/// The result of running a program on one executor.
#[derive(Clone, Debug, Default)]
pub struct RunOutput {
    pub stdout: Vec<u8>,
    /// The signal that killed it, if one did.
    pub signal: Option<i32>,
    /// Its exit status, if it exited.
    pub status: Option<i32>,
}

/// Something that runs an AArch64 Linux program: `specula run`, or qemu-aarch64. The command
/// line supplies them (this crate starts no processes itself).
pub trait Executor: Sync {
    fn name(&self) -> String;
    /// Runs the ELF image `elf`.
    fn run(&self, elf: &[u8]) -> Result<RunOutput, String>;
}

/// Deterministic xorshift64*, so a seed names a campaign.
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// The groups whose instructions a block can hold: data processing, SIMD&FP, loads and
/// stores, barriers, PSTATE writes, and the direct branches (aimed two instructions on, over a
/// marker instruction, so that taken and not taken differ).
const GROUPS: &[&str] = &[
    "dpimm/",
    "dpreg/",
    "simd_dp/",
    "ldst/",
    "control/barriers",
    "control/pstate",
    "control/hints",
    "control/systemmove",
    "control/exception",
    "control/branch_imm",
    "control/branch_reg",
    "control/compbranch",
    "control/condbranch",
    "control/testbranch",
];

/// Encodings of those groups never drawn: SVC would make random system calls.
const NOT_DRAWN: &[&str] = &["SVC_EX_exception"];

/// Whether `id` is a direct branch, which the harness follows with a marker instruction.
fn is_branch(id: EncodingId) -> bool {
    let g = id.info().group;
    [
        "control/branch_imm",
        "control/branch_reg",
        "control/compbranch",
        "control/condbranch",
        "control/testbranch",
    ]
    .iter()
    .any(|b| g.starts_with(b))
}

/// The size of the test program's ELF and program headers: its code starts here.
const ELF_HEADERS: u64 = 64 + 3 * 56;

/// `add x29, x29, #1`: the instruction a taken branch skips.
const MARKER: u32 = 0x9100_07bd;

/// Why an encoding is drawn but not compared, if it is.
pub fn skip_reason(id: EncodingId) -> Option<&'static str> {
    let info = id.info();
    if info.features.iter().any(|t| t.contains(&"FEAT_PAuth")) {
        return Some("PAC values depend on per-process random keys (IMPLEMENTATION DEFINED)");
    }
    None
}

/// Why this particular case is not compared, if it is not: words whose result the
/// architecture leaves CONSTRAINED UNPREDICTABLE.
pub fn case_skip_reason(case: &Case) -> Option<&'static str> {
    let info = case.id.info();
    let w = case.word;
    let (t, t2, s, n) = (w & 31, (w >> 10) & 31, (w >> 16) & 31, (w >> 5) & 31);
    let load = (w >> 22) & 1 == 1;
    let pair = ["ldst/ldstpair_", "ldst/ldstnapair_offs", "ldst/ldstexclp"]
        .iter()
        .any(|g| info.group.starts_with(g));
    if pair && load && t == t2 {
        return Some("a load pair into one register is CONSTRAINED UNPREDICTABLE (Arm ARM K1.2)");
    }
    let store_exclusive = ["ldst/ldstexclr", "ldst/ldstexclp"]
        .iter()
        .any(|g| info.group.starts_with(g))
        && !load;
    if info.group.starts_with("control/systemmove") && (w >> 21) & 1 == 1 {
        // MRS: (op1, CRn, CRm, op2).
        let (op1, crn, crm, op2) = ((w >> 16) & 7, (w >> 12) & 15, (w >> 8) & 15, (w >> 5) & 7);
        let varies = match (op1, crn) {
            (3, 14) => Some("the counters and timers read the time"),
            (0, 0) => {
                Some("the ID registers describe each implementation (and Linux sanitises them)")
            }
            (3, 0) if op2 == 1 || op2 == 7 => {
                Some("CTR_EL0 and DCZID_EL0 are IMPLEMENTATION DEFINED")
            }
            (3, 2) if crm == 4 => Some("RNDR and RNDRRS are random"),
            (3, 13) => Some("the harness itself keeps a value in TPIDR_EL0"),
            _ => None,
        };
        if varies.is_some() {
            return varies;
        }
    }
    if store_exclusive && (s == t || (pair && s == t2) || (s == n && n != 31)) {
        return Some(
            "a store-exclusive whose status register is a data or base register is CONSTRAINED \
             UNPREDICTABLE (Arm ARM K1.2)",
        );
    }
    None
}

/// The encodings a campaign draws from: the harness's groups, the configured CPU's features
/// (`has`), implemented by the interpreter, narrowed by `group` (a prefix of Arm's group
/// path) and `encoding` (an id).
pub fn candidates(
    has: &dyn Fn(&str) -> bool,
    group: Option<&str>,
    encoding: Option<&str>,
) -> Vec<EncodingId> {
    let mut rng = Rng::new(0xc0ffee);
    let mut out = Vec::new();
    for &id in EncodingId::ALL.iter() {
        let info = id.info();
        if !GROUPS.iter().any(|g| info.group.starts_with(g)) {
            continue;
        }
        if group.is_some_and(|g| !info.group.starts_with(g)) {
            continue;
        }
        if encoding.is_some_and(|e| e != info.name) || NOT_DRAWN.contains(&info.name) {
            continue;
        }
        if !info.features.is_empty() && !info.features.iter().any(|t| t.iter().all(|f| has(f))) {
            continue;
        }
        let implemented = info.group.starts_with("control/systemmove")
            || (0..64).any(|_| {
                let w = info.opcode | (rng.next() as u32 & !info.mask);
                decode(w) == Some(id) && matches!(probe(w), Probe::Implemented(_))
            });
        if implemented {
            out.push(id);
        }
    }
    out
}

/// A random word of encoding `id`, with its memory operands constrained to the scratch buffer.
fn word_for(id: EncodingId, rng: &mut Rng) -> Option<u32> {
    let info = id.info();
    for _ in 0..200 {
        let mut w = info.opcode | (rng.next() as u32 & !info.mask);
        if info.group.starts_with("ldst/") {
            // Base register SP (Rn = 31), except the PC-relative literal loads.
            if !info.group.starts_with("ldst/loadlit") {
                w |= 31 << 5;
            }
            // Unsigned offsets below 256 units.
            if info.group.starts_with("ldst/ldst_pos") {
                w &= !(0xf << 18);
            }
        }
        // Branches go two instructions on: over the marker, to the rest of the block.
        let g = info.group;
        // System register moves: most random registers are UNDEFINED at EL0, so half the
        // cases name one EL0 may use: NZCV, DAIF, FPCR, FPSR, DIT, SSBS, TPIDR_EL0.
        if g.starts_with("control/systemmove") && rng.next() % 2 == 0 {
            const EL0: &[(u32, u32, u32, u32)] = &[
                (3, 4, 2, 0),
                (3, 4, 2, 1),
                (3, 4, 4, 0),
                (3, 4, 4, 1),
                (3, 4, 2, 5),
                (3, 4, 2, 6),
                (3, 13, 0, 2),
            ];
            let (op1, crn, crm, op2) = EL0[(rng.next() % EL0.len() as u64) as usize];
            w = (w & !(0x7fff << 5))
                | (1 << 19)
                | (op1 << 16)
                | (crn << 12)
                | (crm << 8)
                | (op2 << 5);
        }
        if g.starts_with("control/branch_imm") {
            w = (w & !0x03ff_ffff) | 2;
        } else if g.starts_with("control/compbranch") || g.starts_with("control/condbranch") {
            w = (w & !(0x7ffff << 5)) | (2 << 5);
        } else if g.starts_with("control/testbranch") {
            w = (w & !(0x3fff << 5)) | (2 << 5);
        }
        if decode(w) == Some(id) && matches!(probe(w), Probe::Implemented(_)) {
            return Some(w);
        }
    }
    None
}

/// Floating-point values worth meeting more often than chance gives.
const SPECIAL_64: &[u64] = &[
    0,
    0x8000_0000_0000_0000,
    0x3ff0_0000_0000_0000,
    0x7ff0_0000_0000_0000,
    0x7ff8_0000_0000_0000,
    0x7ff4_0000_0000_0000,
    0x0000_0000_0000_0001,
    0x000f_ffff_ffff_ffff,
    0x7fef_ffff_ffff_ffff,
    0x3f80_0000_7f80_0000,
    0x7fc0_0000_0040_0000,
    0x0000_0001_8000_0000,
    0x3c00_7c00_7e00_0001,
    0xffff_ffff_ffff_ffff,
    0x0000_0000_7fff_ffff,
    0x8000_0000_0000_0001,
];

fn random_u64(rng: &mut Rng) -> u64 {
    match rng.next() % 8 {
        0 | 1 => SPECIAL_64[(rng.next() % SPECIAL_64.len() as u64) as usize],
        2 => rng.next() % 256,
        _ => rng.next(),
    }
}

/// A case of encoding `id`: its word and a random starting state.
pub fn make_case(id: EncodingId, rng: &mut Rng) -> Option<Case> {
    let word = word_for(id, rng)?;
    let mut image = vec![0u8; IMAGE];
    for r in 0..31 {
        image[8 * r..8 * r + 8].copy_from_slice(&random_u64(rng).to_le_bytes());
    }
    if id.info().group.starts_with("ldst/") {
        // The register an offset or a post-index amount may come from: small and aligned.
        let m = ((word >> 16) & 31) as usize;
        if m < 31 {
            let v = rng.next() & 0xff0;
            image[8 * m..8 * m + 8].copy_from_slice(&v.to_le_bytes());
        }
    }
    let sp = SCRATCH + SP_OFFSET;
    image[IMG_SP..IMG_SP + 8].copy_from_slice(&sp.to_le_bytes());
    image[IMG_NZCV..IMG_NZCV + 8].copy_from_slice(&((rng.next() & 15) << 28).to_le_bytes());
    // FPCR: AHP, DN, FZ, RMode and FZ16 (the controls every v8.2 PE has).
    let fpcr = rng.next() & ((1 << 26) | (1 << 25) | (1 << 24) | (3 << 22) | (1 << 19));
    image[IMG_FPCR..IMG_FPCR + 8].copy_from_slice(&fpcr.to_le_bytes());
    for v in 0..32 {
        let (lo, hi) = (random_u64(rng), random_u64(rng));
        let at = IMG_V + 16 * v;
        image[at..at + 8].copy_from_slice(&lo.to_le_bytes());
        image[at + 8..at + 16].copy_from_slice(&hi.to_le_bytes());
    }
    Some(Case { id, word, image })
}

/// `count` cases drawn round-robin over `encodings`, from `seed`.
pub fn generate(encodings: &[EncodingId], seed: u64, count: usize) -> Vec<Case> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(count);
    if encodings.is_empty() {
        return out;
    }
    let mut k = 0usize;
    let mut misses = 0usize;
    while out.len() < count && misses < count + 1000 {
        let id = encodings[k % encodings.len()];
        k += 1;
        match make_case(id, &mut rng) {
            Some(c) => out.push(c),
            None => misses += 1,
        }
    }
    out
}

// ---- The test program ----

/// A few A64 encodings, for the harness's own code.
mod a64 {
    pub fn movz(rd: u32, imm: u32, hw: u32) -> u32 {
        0xd280_0000 | (hw << 21) | ((imm & 0xffff) << 5) | rd
    }
    pub fn movk(rd: u32, imm: u32, hw: u32) -> u32 {
        0xf280_0000 | (hw << 21) | ((imm & 0xffff) << 5) | rd
    }
    /// `rd = value`, in four instructions.
    pub fn mov64(rd: u32, value: u64) -> [u32; 4] {
        [
            movz(rd, value as u32, 0),
            movk(rd, (value >> 16) as u32, 1),
            movk(rd, (value >> 32) as u32, 2),
            movk(rd, (value >> 48) as u32, 3),
        ]
    }
    pub fn ldr_x(rt: u32, rn: u32, off: u32) -> u32 {
        0xf940_0000 | ((off / 8) << 10) | (rn << 5) | rt
    }
    pub fn str_x(rt: u32, rn: u32, off: u32) -> u32 {
        0xf900_0000 | ((off / 8) << 10) | (rn << 5) | rt
    }
    pub fn ldp_x(rt: u32, rt2: u32, rn: u32, off: u32) -> u32 {
        0xa940_0000 | (((off / 8) & 0x7f) << 15) | (rt2 << 10) | (rn << 5) | rt
    }
    pub fn stp_x(rt: u32, rt2: u32, rn: u32, off: u32) -> u32 {
        0xa900_0000 | (((off / 8) & 0x7f) << 15) | (rt2 << 10) | (rn << 5) | rt
    }
    pub fn ldp_q(rt: u32, rt2: u32, rn: u32, off: u32) -> u32 {
        0xad40_0000 | (((off / 16) & 0x7f) << 15) | (rt2 << 10) | (rn << 5) | rt
    }
    pub fn stp_q(rt: u32, rt2: u32, rn: u32, off: u32) -> u32 {
        0xad00_0000 | (((off / 16) & 0x7f) << 15) | (rt2 << 10) | (rn << 5) | rt
    }
    /// `ldr xt, [xn], #8`
    pub fn ldr_x_post8(rt: u32, rn: u32) -> u32 {
        0xf840_8400 | (rn << 5) | rt
    }
    /// `str xt, [xn], #8`
    pub fn str_x_post8(rt: u32, rn: u32) -> u32 {
        0xf800_8400 | (rn << 5) | rt
    }
    pub fn msr_nzcv(rt: u32) -> u32 {
        0xd51b_4200 | rt
    }
    pub fn mrs_nzcv(rt: u32) -> u32 {
        0xd53b_4200 | rt
    }
    pub fn msr_fpcr(rt: u32) -> u32 {
        0xd51b_4400 | rt
    }
    pub fn msr_fpsr(rt: u32) -> u32 {
        0xd51b_4420 | rt
    }
    pub fn mrs_fpsr(rt: u32) -> u32 {
        0xd53b_4420 | rt
    }
    pub fn msr_tpidr(rt: u32) -> u32 {
        0xd51b_d040 | rt
    }
    pub fn mrs_tpidr(rt: u32) -> u32 {
        0xd53b_d040 | rt
    }
    /// `mov sp, xn`
    pub fn mov_to_sp(rn: u32) -> u32 {
        0x9100_001f | (rn << 5)
    }
    /// `mov xd, sp`
    pub fn mov_from_sp(rd: u32) -> u32 {
        0x9100_03e0 | rd
    }
    pub fn eor(rd: u32, rn: u32, rm: u32) -> u32 {
        0xca00_0000 | (rm << 16) | (rn << 5) | rd
    }
    pub fn add(rd: u32, rn: u32, rm: u32) -> u32 {
        0x8b00_0000 | (rm << 16) | (rn << 5) | rd
    }
    pub fn mul(rd: u32, rn: u32, rm: u32) -> u32 {
        0x9b00_7c00 | (rm << 16) | (rn << 5) | rd
    }
    pub fn subs_1(rd: u32) -> u32 {
        0xf100_0400 | (rd << 5) | rd
    }
    /// `b.ne` back by `insns` instructions.
    pub fn bne_back(insns: u32) -> u32 {
        0x5400_0001 | (((insns.wrapping_neg()) & 0x7ffff) << 5)
    }
    pub const SVC0: u32 = 0xd400_0001;
}

/// Code that fills the scratch buffer with a pattern (the same before every case).
fn fill_scratch(code: &mut Vec<u32>, scratch: u64) {
    use a64::*;
    code.extend(mov64(1, scratch));
    code.extend(mov64(2, SCRATCH_WORDS));
    code.extend(mov64(4, 0x0123_4567_89ab_cdef));
    code.extend(mov64(6, 0x9e37_79b9_7f4a_7c15));
    code.push(str_x_post8(4, 1));
    code.push(add(4, 4, 6));
    code.push(subs_1(2));
    code.push(bne_back(3));
}

/// The test program for `cases`: an ELF executable that runs each case and writes its record.
pub fn program(cases: &[Case]) -> Vec<u8> {
    use a64::*;
    let (out, scratch) = (OUT, SCRATCH);
    let mut images: Vec<u8> = cases.iter().flat_map(|c| c.image.iter().copied()).collect();
    let mut code: Vec<u32> = Vec::new();
    fill_scratch(&mut code, scratch);
    for (k, case) in cases.iter().enumerate() {
        let image = DATA + (k * IMAGE) as u64;
        // Load the state: V, FPCR, FPSR (cleared), NZCV, SP, then X1-X30 and X0 last.
        code.extend(mov64(0, image));
        for v in (0..32).step_by(2) {
            code.push(ldp_q(v, v + 1, 0, (IMG_V + 16 * v as usize) as u32));
        }
        code.push(ldr_x(1, 0, IMG_FPCR as u32));
        code.push(msr_fpcr(1));
        code.push(msr_fpsr(31));
        code.push(ldr_x(1, 0, IMG_NZCV as u32));
        code.push(msr_nzcv(1));
        code.push(ldr_x(1, 0, IMG_SP as u32));
        code.push(mov_to_sp(1));
        for r in (1..31).step_by(2) {
            code.push(ldp_x(r, r + 1, 0, 8 * r));
        }
        code.push(ldr_x(0, 0, 0));
        // The instruction (and, after a branch, the marker it may skip). An indirect branch
        // gets its target register pointed past the marker.
        let here = CODE + ELF_HEADERS + 4 * code.len() as u64;
        let n = ((case.word >> 5) & 31) as usize;
        if case.id.info().group.starts_with("control/branch_reg") && n < 31 {
            let at = k * IMAGE + 8 * n;
            images[at..at + 8].copy_from_slice(&(here + 8).to_le_bytes());
        }
        code.push(case.word);
        if is_branch(case.id) {
            code.push(MARKER);
        }
        // Store the state: X0 through TPIDR_EL0 to free a register for the address.
        code.push(msr_tpidr(0));
        code.extend(mov64(0, out));
        for r in (1..31).step_by(2) {
            code.push(stp_x(r, r + 1, 0, 8 * r));
        }
        code.push(mrs_tpidr(1));
        code.push(str_x(1, 0, 0));
        code.push(mov_from_sp(1));
        code.push(str_x(1, 0, IMG_SP as u32));
        code.push(mrs_nzcv(1));
        code.push(str_x(1, 0, IMG_NZCV as u32));
        code.push(mrs_fpsr(1));
        code.push(str_x(1, 0, IMG_FPCR as u32));
        for v in (0..32).step_by(2) {
            code.push(stp_q(v, v + 1, 0, (IMG_V + 16 * v as usize) as u32));
        }
        // Hash the scratch buffer (FNV-style over 64-bit words).
        code.extend(mov64(1, scratch));
        code.extend(mov64(2, SCRATCH_WORDS));
        code.extend(mov64(3, 0xcbf2_9ce4_8422_2325));
        code.extend(mov64(5, 0x0000_0100_0000_01b3));
        code.push(ldr_x_post8(4, 1));
        code.push(eor(3, 3, 4));
        code.push(mul(3, 3, 5));
        code.push(subs_1(2));
        code.push(bne_back(4));
        code.extend(mov64(1, out));
        code.push(str_x(3, 1, IMAGE as u32));
        // write(1, out, RECORD)
        code.extend(mov64(8, 64));
        code.extend(mov64(0, 1));
        code.extend(mov64(2, RECORD as u64));
        code.push(SVC0);
        fill_scratch(&mut code, scratch);
    }
    // exit_group(0)
    code.extend(mov64(8, 94));
    code.extend(mov64(0, 0));
    code.push(SVC0);
    elf(&code, &images)
}

/// A static ELF64 AArch64 executable: `code` (RX) at CODE, entered at its start; `data`
/// (R) at DATA; and zeroed RW pages at OUT for the record and the scratch buffer.
fn elf(code: &[u32], data: &[u8]) -> Vec<u8> {
    const HEADERS: u64 = ELF_HEADERS;
    let code: Vec<u8> = code.iter().flat_map(|w| w.to_le_bytes()).collect();
    let code_end = HEADERS + code.len() as u64;
    let data_off = code_end.next_multiple_of(4096);
    let bss = SCRATCH + 8 * SCRATCH_WORDS - OUT;
    let mut f = Vec::new();
    f.extend_from_slice(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0");
    f.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    f.extend_from_slice(&183u16.to_le_bytes()); // EM_AARCH64
    f.extend_from_slice(&1u32.to_le_bytes());
    f.extend_from_slice(&(CODE + HEADERS).to_le_bytes()); // e_entry
    f.extend_from_slice(&64u64.to_le_bytes()); // e_phoff
    f.extend_from_slice(&0u64.to_le_bytes());
    f.extend_from_slice(&0u32.to_le_bytes());
    for v in [64u16, 56, 3, 64, 0, 0] {
        f.extend_from_slice(&v.to_le_bytes());
    }
    // (flags, offset, address, file size, memory size) of each PT_LOAD, in address order as
    // the ELF specification asks (qemu-user refuses others).
    for (flags, offset, addr, filesz, memsz) in [
        (5u32, 0, CODE, code_end, code_end),
        (6, 0, OUT, 0, bss),
        (
            4,
            data_off,
            DATA,
            data.len() as u64,
            data.len().max(1) as u64,
        ),
    ] {
        f.extend_from_slice(&1u32.to_le_bytes());
        f.extend_from_slice(&flags.to_le_bytes());
        for v in [offset, addr, addr, filesz, memsz, 0x1000] {
            f.extend_from_slice(&v.to_le_bytes());
        }
    }
    f.extend_from_slice(&code);
    f.resize(data_off as usize, 0);
    f.extend_from_slice(data);
    f
}

// ---- Running and comparing ----

/// What differs between two records, register by register.
pub fn describe_difference(a: &[u8], b: &[u8]) -> String {
    let mut parts = Vec::new();
    let q = |r: &[u8], at: usize| u64::from_le_bytes(r[at..at + 8].try_into().unwrap());
    for x in 0..31 {
        if q(a, 8 * x) != q(b, 8 * x) {
            parts.push(format!("X{x} {:#x} vs {:#x}", q(a, 8 * x), q(b, 8 * x)));
        }
    }
    for (name, at) in [("SP", IMG_SP), ("NZCV", IMG_NZCV), ("FPSR", IMG_FPCR)] {
        if q(a, at) != q(b, at) {
            parts.push(format!("{name} {:#x} vs {:#x}", q(a, at), q(b, at)));
        }
    }
    for v in 0..32 {
        let at = IMG_V + 16 * v;
        if a[at..at + 16] != b[at..at + 16] {
            let h = |r: &[u8]| u128::from_le_bytes(r[at..at + 16].try_into().unwrap());
            parts.push(format!("V{v} {:#034x} vs {:#034x}", h(a), h(b)));
        }
    }
    if q(a, IMAGE) != q(b, IMAGE) {
        parts.push("memory (scratch buffer) differs".to_string());
    }
    parts.join(", ")
}

fn records(out: &RunOutput) -> Vec<&[u8]> {
    out.stdout.chunks_exact(RECORD).collect()
}

/// Runs `cases` on both executors and classifies each (without the known-difference list).
pub fn run_cases(
    cases: &[Case],
    ours: &dyn Executor,
    theirs: &dyn Executor,
) -> Result<Vec<Outcome>, String> {
    let mut outcomes = Vec::with_capacity(cases.len());
    let mut start = 0;
    while start < cases.len() {
        let elf = program(&cases[start..]);
        let a = ours.run(&elf)?;
        let b = theirs.run(&elf)?;
        let (ra, rb) = (records(&a), records(&b));
        let n = ra.len().min(rb.len()).min(cases.len() - start);
        for k in 0..n {
            outcomes.push(if ra[k] == rb[k] {
                Outcome::Pass
            } else {
                Outcome::Fail(describe_difference(ra[k], rb[k]))
            });
        }
        if n == cases.len() - start {
            for (side, out) in [(ours.name(), &a), (theirs.name(), &b)] {
                if out.status != Some(0) {
                    return Err(format!("{side} ended with {out:?} after its last case"));
                }
            }
            break;
        }
        // Case start + n stopped one executor or both.
        let died = |out: &RunOutput, got: usize| got == n && out.status != Some(0);
        let outcome = match (died(&a, ra.len()), died(&b, rb.len())) {
            (true, true) if a.signal == b.signal && a.signal.is_some() => Outcome::Pass,
            (true, true) => Outcome::Fail(format!(
                "{} ended with signal {:?} status {:?}, {} with signal {:?} status {:?}",
                ours.name(),
                a.signal,
                a.status,
                theirs.name(),
                b.signal,
                b.status
            )),
            (true, false) => Outcome::Fail(format!(
                "{} died (signal {:?}), {} ran on",
                ours.name(),
                a.signal,
                theirs.name()
            )),
            _ => Outcome::Fail(format!(
                "{} died (signal {:?}), {} ran on",
                theirs.name(),
                b.signal,
                ours.name()
            )),
        };
        outcomes.push(outcome);
        start += n + 1;
    }
    Ok(outcomes)
}

/// The known differences: `ENCODING reason...` lines (`#` comments).
pub fn parse_differences(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let (id, why) = l.split_once(char::is_whitespace)?;
            Some((id.to_string(), why.trim().to_string()))
        })
        .collect()
}

/// Counts by group and by encoding.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    pub by_group: BTreeMap<String, [usize; 3]>,
    pub by_encoding: BTreeMap<String, [usize; 3]>,
}

impl Tally {
    pub fn add(&mut self, id: EncodingId, outcome: &Outcome) {
        let k = match outcome {
            Outcome::Pass => 0,
            Outcome::Fail(_) => 1,
            Outcome::Skip(_) => 2,
        };
        self.by_group
            .entry(id.info().group.to_string())
            .or_default()[k] += 1;
        self.by_encoding.entry(id.name().to_string()).or_default()[k] += 1;
    }

    pub fn totals(&self) -> [usize; 3] {
        self.by_group
            .values()
            .fold([0; 3], |a, b| [a[0] + b[0], a[1] + b[1], a[2] + b[2]])
    }

    /// The per-group table.
    pub fn table(&self) -> String {
        let mut s = format!(
            "{:<34} {:>8} {:>8} {:>8}\n",
            "group", "passed", "failed", "skipped"
        );
        for (g, [p, f, k]) in &self.by_group {
            s += &format!("{g:<34} {p:>8} {f:>8} {k:>8}\n");
        }
        s
    }
}

// ---- Reproducers ----

/// A case as a small text file `specula conformance replay` reads.
pub fn reproducer(case: &Case, detail: &str) -> String {
    let hex: String = case.image.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "# specula conformance random: one case (specula conformance replay FILE)\n\
         # {detail}\nencoding {}\nword {:#010x}\nimage {hex}\n",
        case.id.name(),
        case.word
    )
}

pub fn parse_reproducer(text: &str) -> Result<Case, String> {
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
            .map(str::trim)
            .ok_or(format!("no `{name}` line"))
    };
    let word = field("word")?;
    let word = u32::from_str_radix(word.trim_start_matches("0x"), 16)
        .map_err(|_| format!("bad word {word}"))?;
    let id = decode(word).ok_or(format!("{word:#010x} decodes to no encoding"))?;
    if id.name() != field("encoding")? {
        return Err(format!("{word:#010x} is {id}, not {}", field("encoding")?));
    }
    let hex = field("image")?;
    if hex.len() != 2 * IMAGE {
        return Err(format!(
            "the image has {} hex digits, not {}",
            hex.len(),
            2 * IMAGE
        ));
    }
    let image = (0..IMAGE)
        .map(|k| u8::from_str_radix(&hex[2 * k..2 * k + 2], 16))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|_| "the image is not hex".to_string())?;
    Ok(Case { id, word, image })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reproducers_round_trip() {
        let ids = candidates(&|_| true, Some("dpimm/addsub_imm"), None);
        assert!(!ids.is_empty());
        let case = make_case(ids[0], &mut Rng::new(7)).unwrap();
        let text = reproducer(&case, "X0 1 vs 2");
        assert_eq!(parse_reproducer(&text), Ok(case));
    }

    #[test]
    fn memory_operands_use_sp_and_small_offsets() {
        let ids = candidates(&|_| true, Some("ldst/ldst_pos"), None);
        assert!(ids.len() > 10, "{ids:?}");
        let mut rng = Rng::new(3);
        for id in ids {
            let c = make_case(id, &mut rng).unwrap();
            assert_eq!((c.word >> 5) & 31, 31, "{id}");
            assert_eq!((c.word >> 18) & 15, 0, "{id}");
        }
    }

    #[test]
    fn candidates_cover_the_harness_groups_only() {
        let ids = candidates(&|_| true, None, None);
        assert!(ids.len() > 1000, "{}", ids.len());
        assert!(
            ids.iter()
                .all(|id| GROUPS.iter().any(|g| id.info().group.starts_with(g)))
        );
    }
}

/// Runs `cases` in chunks of `chunk` cases, in parallel, in order of the cases.
pub fn run_parallel(
    cases: &[Case],
    ours: &dyn Executor,
    theirs: &dyn Executor,
    chunk: usize,
) -> Result<Vec<Outcome>, String> {
    use rayon::prelude::*;
    let parts: Vec<Result<Vec<Outcome>, String>> = cases
        .par_chunks(chunk.max(1))
        .map(|c| run_cases(c, ours, theirs))
        .collect();
    let mut out = Vec::with_capacity(cases.len());
    for p in parts {
        out.extend(p?);
    }
    Ok(out)
}
