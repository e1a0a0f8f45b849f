//! Pointer authentication (FEAT_PAuth) with the architected algorithm, QARMA5 (FEAT_PACQARMA5):
//! PAC*, AUT*, XPAC*, PACGA, the hint-space forms (PACIASP, AUTIASP, ..., XPACLRI), the
//! authenticating branches (BRAA, BLRAA, RETAA, ... and their Z forms) and LDRAA/LDRAB.
//!
//! FEAT_PAuth as Armv8.3 defines it (AddPAC replaces the pointer's extension bits by the PAC,
//! and a failed Auth returns the pointer with an error code in two of its top bits, so that its
//! use faults later), or with FEAT_PAuth2 (the PAC is XORed into those bits and out again, so a
//! wrong PAC leaves them scrambled). With FEAT_FPAC a failed AUT* takes a PAC Fail exception
//! (EC 0x1C) at once, and with FEAT_FPACCOMBINE so do the forms that branch or load with the
//! authenticated pointer; without them the failure shows only when the pointer is used.
//!
//! In user mode the translation regime is the one Linux sets for EL0: 48-bit virtual addresses
//! in both halves (TxSZ = 16), TBI0 = 1 for data and instructions (TBID0 = 0), TBI1 = 0, and
//! every key enabled (SCTLR_EL1.EnIA, EnIB, EnDA, EnDB = 1). In system mode those come from the
//! current translation regime's registers ([`PacField::of`]), a disabled key makes PAC and AUT
//! leave the pointer alone, and HCR_EL2.API and SCR_EL3.API trap the instructions (EC 0x09).
//! The keys live in [`State`](crate::state::State) (the APxxKey{Hi,Lo}_EL1 registers); in user
//! mode the board sets them, as the kernel does at exec.

use super::ldst::read;
use super::{Cpu, Exception, Exec, Insn};
use crate::decode::EncodingId as E;
use crate::memory::Memory;

/// QARMA's round constants and reflection constant, as in ComputePAC().
const RC: [u64; 5] = [
    0x0000_0000_0000_0000,
    0x1319_8a2e_0370_7344,
    0xa409_3822_299f_31d0,
    0x082e_fa98_ec4e_6c89,
    0x4528_21e6_38d0_1377,
];
const ALPHA: u64 = 0xc0ac_29b7_c97c_50dd;

/// PACSub: QARMA's S-box sigma-2, nibble by nibble.
const SUB: [u8; 16] = [
    0xb, 0x6, 0x8, 0xf, 0xc, 0x0, 0x9, 0xe, 0x3, 0x7, 0x4, 0x5, 0xd, 0x2, 0x1, 0xa,
];
const INV_SUB: [u8; 16] = invert(SUB);

/// PACCellShuffle: output nibble `j` is input nibble `CELL_SHUFFLE[j]`.
const CELL_SHUFFLE: [u8; 16] = [13, 6, 11, 0, 7, 12, 1, 10, 8, 3, 14, 5, 2, 9, 4, 15];
const CELL_INV_SHUFFLE: [u8; 16] = invert(CELL_SHUFFLE);

/// TweakShuffle: output nibble `j` is input nibble `TWEAK_SHUFFLE[j]`, passed through
/// TweakCellRot when bit `j` of `TWEAK_ROT` is set.
const TWEAK_SHUFFLE: [u8; 16] = [4, 5, 6, 7, 11, 2, 3, 8, 12, 13, 14, 15, 0, 1, 10, 9];
const TWEAK_ROT: u16 =
    (1 << 2) | (1 << 4) | (1 << 7) | (1 << 11) | (1 << 12) | (1 << 14) | (1 << 15);

const fn invert(p: [u8; 16]) -> [u8; 16] {
    let mut q = [0u8; 16];
    let mut i = 0;
    while i < 16 {
        q[p[i] as usize] = i as u8;
        i += 1;
    }
    q
}

#[inline]
fn nibble(x: u64, i: usize) -> u64 {
    (x >> (4 * i)) & 0xf
}

fn sub(x: u64, table: &[u8; 16]) -> u64 {
    (0..16).fold(0, |o, i| {
        o | u64::from(table[nibble(x, i) as usize]) << (4 * i)
    })
}

fn permute(x: u64, from: &[u8; 16]) -> u64 {
    (0..16).fold(0, |o, j| o | nibble(x, from[j] as usize) << (4 * j))
}

/// RotCell: rotate a 4-bit cell left by `n`.
#[inline]
fn rot_cell(c: u64, n: u32) -> u64 {
    ((c << n) | (c >> (4 - n))) & 0xf
}

/// PACMult: QARMA's MixColumns with the involutory matrix circ(0, rho, rho^2, rho).
fn mult(x: u64) -> u64 {
    let mut o = 0;
    for i in 0..4 {
        let (c0, c4, c8, c12) = (
            nibble(x, i),
            nibble(x, i + 4),
            nibble(x, i + 8),
            nibble(x, i + 12),
        );
        let t0 = rot_cell(c8, 1) ^ rot_cell(c4, 2) ^ rot_cell(c0, 1);
        let t1 = rot_cell(c12, 1) ^ rot_cell(c4, 1) ^ rot_cell(c0, 2);
        let t2 = rot_cell(c12, 2) ^ rot_cell(c8, 1) ^ rot_cell(c0, 1);
        let t3 = rot_cell(c12, 1) ^ rot_cell(c8, 2) ^ rot_cell(c4, 1);
        o |= t3 << (4 * i) | t2 << (4 * (i + 4)) | t1 << (4 * (i + 8)) | t0 << (4 * (i + 12));
    }
    o
}

/// TweakCellRot: QARMA's tweak LFSR on one cell, (b3 b2 b1 b0) -> (b0^b1 b3 b2 b1).
#[inline]
fn tweak_cell_rot(c: u64) -> u64 {
    (c >> 1) | (((c ^ (c >> 1)) & 1) << 3)
}

#[inline]
fn tweak_cell_inv_rot(c: u64) -> u64 {
    ((c << 1) & 0xe) | (((c >> 3) ^ c) & 1)
}

fn tweak_shuffle(x: u64) -> u64 {
    (0..16).fold(0, |o, j| {
        let c = nibble(x, TWEAK_SHUFFLE[j] as usize);
        let c = if TWEAK_ROT >> j & 1 != 0 {
            tweak_cell_rot(c)
        } else {
            c
        };
        o | c << (4 * j)
    })
}

fn tweak_inv_shuffle(x: u64) -> u64 {
    (0..16).fold(0, |o, j| {
        let c = nibble(x, j);
        let c = if TWEAK_ROT >> j & 1 != 0 {
            tweak_cell_inv_rot(c)
        } else {
            c
        };
        o | c << (4 * TWEAK_SHUFFLE[j] as usize)
    })
}

/// ComputePAC(data, modifier, key0, key1) with QARMA5: five forward rounds, the reflector and
/// five backward rounds. `key0` is the key's high half (APxxKeyHi_EL1), `key1` the low.
pub fn compute_pac(data: u64, modifier: u64, key0: u64, key1: u64) -> u64 {
    let modk0 = (key0 << 63) | ((key0 >> 1) ^ (key0 >> 63));
    let mut runningmod = modifier;
    let mut w = data ^ key0;
    for (i, rc) in RC.iter().enumerate() {
        w ^= key1 ^ runningmod ^ rc;
        if i > 0 {
            w = mult(permute(w, &CELL_SHUFFLE));
        }
        w = sub(w, &SUB);
        runningmod = tweak_shuffle(runningmod);
    }
    w ^= modk0 ^ runningmod;
    w = sub(mult(permute(w, &CELL_SHUFFLE)), &SUB);
    w = mult(permute(w, &CELL_SHUFFLE));
    w ^= key1;
    w = permute(w, &CELL_INV_SHUFFLE);
    w = permute(mult(sub(w, &INV_SUB)), &CELL_INV_SHUFFLE);
    w ^= key0 ^ runningmod;
    for i in 0..5 {
        w = sub(w, &INV_SUB);
        if i < 4 {
            w = permute(mult(w), &CELL_INV_SHUFFLE);
        }
        runningmod = tweak_inv_shuffle(runningmod);
        w ^= RC[4 - i] ^ key1 ^ runningmod ^ ALPHA;
    }
    w ^ modk0
}

/// Where a pointer's PAC goes: whether its top byte is ignored (EffectiveTBI), the bit that
/// says which half of the address space it is in (`selbit`), and CalculateBottomPACBit().
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PacField {
    pub tbi: bool,
    pub selbit: u64,
    pub bottom: u32,
}

impl PacField {
    /// EL0 under Linux: TBI0 for the lower half (bit 55 clear), none above; TxSZ = 16.
    pub fn linux(ptr: u64) -> PacField {
        PacField {
            tbi: ptr >> 55 & 1 == 0,
            selbit: ptr >> 55 & 1,
            bottom: 48,
        }
    }

    /// The field for `ptr` in the current translation regime (system mode): the regime's
    /// TCR gives TBI (TBID for instruction addresses) and TxSZ. `add`: for AddPAC, whose
    /// `selbit` (and so TxSZ) may come from bit 63 when neither range ignores the top byte;
    /// Auth and Strip always take the range from bit 55.
    pub fn of(cpu: &Cpu, ptr: u64, data: bool, add: bool) -> PacField {
        use crate::state::ExceptionLevel as El;
        use crate::sysregs::{self as sr};
        if !cpu.config.system {
            return PacField::linux(ptr);
        }
        let bit = |v: u64, n: u32| (v >> n) & 1 != 0;
        let b55 = ptr >> 55 & 1;
        let b63 = ptr >> 63;
        let el = cpu.state.pstate.el;
        let (tcr, two_ranges) = match el {
            // The EL2&0 regime: TCR_EL2 in TCR_EL1's layout.
            El::EL0 | El::EL2 if cpu.in_host(el) => (cpu.state.sr(sr::TCR_EL2), true),
            El::EL0 | El::EL1 => (cpu.state.sr(sr::TCR_EL1), true),
            El::EL2 => (cpu.state.sr(sr::TCR_EL2), false),
            El::EL3 => (cpu.state.sr(sr::TCR_EL3), false),
        };
        let (tbi, selbit, tsz, tg) = if two_ranges {
            // TBI0/1 in 37/38, TBID0/1 in 51/52, T0SZ 5:0, T1SZ 21:16, TG0 15:14, TG1 31:30.
            let eff = |half: u32| bit(tcr, 37 + half) && (data || !bit(tcr, 51 + half));
            let tbi = eff(b55 as u32);
            let any = eff(0) || eff(1);
            let selbit = if any { b55 } else { b63 };
            let range = if add { selbit } else { b55 };
            let (tsz, tg) = if range == 1 {
                (
                    (tcr >> 16) & 63,
                    match (tcr >> 30) & 3 {
                        0b11 => 16,
                        0b01 => 14,
                        _ => 12,
                    },
                )
            } else {
                (
                    tcr & 63,
                    match (tcr >> 14) & 3 {
                        0b01 => 16,
                        0b10 => 14,
                        _ => 12,
                    },
                )
            };
            (tbi, selbit, tsz, tg)
        } else {
            // TBI 20, TBID 29.
            let tbi = bit(tcr, 20) && (data || !bit(tcr, 29));
            let tg = match (tcr >> 14) & 3 {
                0b01 => 16,
                0b10 => 14,
                _ => 12,
            };
            (tbi, if tbi { b55 } else { b63 }, tcr & 63, tg)
        };
        // TxSZ beyond its limits is CONSTRAINED UNPREDICTABLE: the limit is used.
        let min = if cpu.config.system_features.lva && tg == 16 {
            12
        } else {
            16
        };
        let tsz = (tsz as u32).clamp(min, 39);
        PacField {
            tbi,
            selbit,
            bottom: 64 - tsz,
        }
    }

    fn top(self) -> u32 {
        if self.tbi { 55 } else { 63 }
    }
}

/// `Ones(hi - lo + 1) << lo`.
#[inline]
fn field(hi: u32, lo: u32) -> u64 {
    (u64::MAX >> (63 - hi + lo)) << lo
}

/// The pointer with its PAC field (and, without TBI, its top byte) replaced by copies of
/// `ext` (bit 55 for Auth() and Strip()): their `original_ptr`.
fn original_ptr(f: PacField, ptr: u64, ext: u64) -> u64 {
    let mask = field(f.top(), f.bottom);
    if ext != 0 { ptr | mask } else { ptr & !mask }
}

/// The keys, by instruction: IA, IB, DA, DB.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Key {
    IA,
    IB,
    DA,
    DB,
}

fn key(cpu: &Cpu, k: Key) -> u128 {
    let s = &cpu.state;
    match k {
        Key::IA => s.apiakey,
        Key::IB => s.apibkey,
        Key::DA => s.apdakey,
        Key::DB => s.apdbkey,
    }
}

/// ComputePAC with a 128-bit key `Hi:Lo`.
/// ComputePAC is a pure function and costly in software (a QARMA5 encryption); kernels built
/// with pointer authentication compute the same PAC twice per call (PACIASP, then AUTIASP on
/// the same LR and SP), so recent results are remembered, per thread, and only an exact match
/// of data, modifier and key is reused.
fn pac(data: u64, modifier: u64, key: u128) -> u64 {
    const ENTRIES: usize = 1024;
    type Memo = [(u64, u64, u128, u64); ENTRIES];
    thread_local! {
        static MEMO: std::cell::RefCell<Box<Memo>> =
            std::cell::RefCell::new(Box::new([(0, 0, 0, compute_pac(0, 0, 0, 0)); ENTRIES]));
    }
    let slot = ((data ^ modifier.rotate_left(29)).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 54)
        as usize
        % ENTRIES;
    MEMO.with(|m| {
        let mut m = m.borrow_mut();
        let e = &mut m[slot];
        if e.0 == data && e.1 == modifier && e.2 == key {
            return e.3;
        }
        let r = compute_pac(data, modifier, (key >> 64) as u64, key as u64);
        *e = (data, modifier, key, r);
        r
    })
}

#[cfg(test)]
/// AddPAC(): insert a PAC into `ptr` (EL0 under Linux).
pub fn add_pac(ptr: u64, modifier: u64, key: u128) -> u64 {
    add_pac_in(PacField::linux(ptr), ptr, modifier, key, false)
}

/// AddPAC() with the field `f` of the current regime; `pauth2`: FEAT_PAuth2's form, which
/// XORs the PAC into the pointer.
pub fn add_pac_in(f: PacField, ptr: u64, modifier: u64, key: u128, pauth2: bool) -> u64 {
    let (top_bit, bottom) = (f.top(), f.bottom);
    let ext_ptr = original_ptr(f, ptr, f.selbit);
    let mut pac = pac(ext_ptr, modifier, key);
    if pauth2 {
        let high = if f.tbi { 0 } else { field(63, 56) };
        let low = ptr & field(bottom - 1, 0);
        let xored = (ptr ^ pac) & (field(54, bottom) | high);
        return (ptr & field(63, 56) & !high) | f.selbit << 55 | xored | low;
    }
    // A pointer whose extension bits are not all equal gets a corrupted PAC.
    let ext = ptr & field(top_bit, bottom);
    if ext != 0 && ext != field(top_bit, bottom) {
        pac ^= 1 << (top_bit - 1);
    }
    let low = ptr & field(bottom - 1, 0);
    let high = if f.tbi {
        ptr & field(63, 56)
    } else {
        pac & field(63, 56)
    };
    high | f.selbit << 55 | (pac & field(54, bottom)) | low
}

#[cfg(test)]
/// Auth(): check `ptr`'s PAC. On success the original pointer; on failure (FEAT_FPAC not
/// implemented) the original pointer with error code `keynumber:NOT(keynumber)` in bits 54:53
/// (with TBI) or 62:61 (EL0 under Linux).
pub fn auth(ptr: u64, modifier: u64, key: u128, keynumber: u64) -> u64 {
    auth_in(PacField::linux(ptr), ptr, modifier, key, keynumber, false)
}

/// Auth() with the field `f` of the current regime. With FEAT_PAuth2 (`pauth2`) there is no
/// comparison: the PAC is XORed out again, which restores the extension bits when it is right
/// and leaves a non-canonical pointer, in all likelihood, when it is not.
pub fn auth_in(
    f: PacField,
    ptr: u64,
    modifier: u64,
    key: u128,
    keynumber: u64,
    pauth2: bool,
) -> u64 {
    let original = original_ptr(f, ptr, ptr >> 55 & 1);
    let pac = pac(original, modifier, key);
    let checked = if f.tbi {
        field(54, f.bottom)
    } else {
        field(54, f.bottom) | field(63, 56)
    };
    if pauth2 {
        return ptr ^ (pac & checked);
    }
    if (pac ^ ptr) & checked == 0 {
        original
    } else {
        let error_code = keynumber << 1 | (keynumber ^ 1);
        let at = if f.tbi { 53 } else { 61 };
        (original & !(3 << at)) | error_code << at
    }
}

#[cfg(test)]
/// Strip(): remove the PAC (EL0 under Linux).
pub fn strip(ptr: u64) -> u64 {
    strip_in(PacField::linux(ptr), ptr)
}

pub fn strip_in(f: PacField, ptr: u64) -> u64 {
    original_ptr(f, ptr, ptr >> 55 & 1)
}

/// Whether key `k` is enabled at the current level (SCTLR_ELx.EnIA, EnIB, EnDA, EnDB of the
/// regime; always in user mode, where Linux enables them).
fn enabled(cpu: &Cpu, k: Key) -> bool {
    if !cpu.config.system {
        return true;
    }
    let sctlr = cpu.sctlr(cpu.state.pstate.el);
    let bit = match k {
        Key::IA => 31,
        Key::IB => 30,
        Key::DA => 27,
        Key::DB => 13,
    };
    (sctlr >> bit) & 1 != 0
}

/// The trap a PAuth instruction takes at the current level: HCR_EL2.API clear traps EL1 and
/// a guest's EL0 to EL2, SCR_EL3.API clear traps EL0-EL2 to EL3 (EC 0x09, `TrapPACUse`).
fn pac_trap(cpu: &Cpu, i: Insn) -> Result<(), Exception> {
    use crate::state::ExceptionLevel as El;
    use crate::sysregs::{self as sr, field as fl};
    if !cpu.config.system {
        return Ok(());
    }
    let el = cpu.state.pstate.el;
    // Not the host's EL0 (E2H and TGE): EL2 is its kernel, not a hypervisor over it.
    let target = if el <= El::EL1
        && !cpu.in_host(el)
        && cpu.el2_enabled()
        && !fl::HCR_EL2_API.is_set(cpu.hcr_el2())
    {
        Some(El::EL2)
    } else if el <= El::EL2 && cpu.have_el3() && !fl::SCR_EL3_API.is_set(cpu.state.sr(sr::SCR_EL3))
    {
        Some(El::EL3)
    } else {
        None
    };
    match target {
        Some(target) => Err(Exception::Trap {
            pc: i.pc,
            target,
            class: super::exceptions::ec::PAC_TRAP,
            iss: 0,
        }),
        None => Ok(()),
    }
}

fn is_data(k: Key) -> bool {
    matches!(k, Key::DA | Key::DB)
}

fn add(cpu: &Cpu, i: Insn, k: Key, ptr: u64, modifier: u64) -> Result<u64, Exception> {
    if !enabled(cpu, k) {
        return Ok(ptr);
    }
    pac_trap(cpu, i)?;
    let f = PacField::of(cpu, ptr, is_data(k), true);
    Ok(add_pac_in(
        f,
        ptr,
        modifier,
        key(cpu, k),
        cpu.config.features.pauth2,
    ))
}

/// Whether a FEAT_PAuth2 Auth() result failed: its PAC field (bits 54 down to the field's
/// bottom, and 63:56 without TBI) is not all copies of bit 55, as a pointer whose PAC was
/// XORed out by the right one is. FEAT_FPAC makes that a PAC Fail exception.
pub fn pac_check_fails(f: PacField, result: u64) -> bool {
    let checked = if f.tbi {
        field(54, f.bottom)
    } else {
        field(54, f.bottom) | field(63, 56)
    };
    let extension = if result >> 55 & 1 != 0 { checked } else { 0 };
    result & checked != extension
}

/// AUT* with key `k`: `combined` for the forms that branch or load with the result (BRAA,
/// RETAA, LDRAA, ERETAA, ...), which fault on failure only with FEAT_FPACCOMBINE.
fn aut(
    cpu: &Cpu,
    i: Insn,
    k: Key,
    ptr: u64,
    modifier: u64,
    combined: bool,
) -> Result<u64, Exception> {
    if !enabled(cpu, k) {
        return Ok(ptr);
    }
    pac_trap(cpu, i)?;
    let keynumber = u64::from(matches!(k, Key::IB | Key::DB));
    let f = PacField::of(cpu, ptr, is_data(k), false);
    let features = &cpu.config.features;
    let result = auth_in(f, ptr, modifier, key(cpu, k), keynumber, features.pauth2);
    let faults = if combined {
        features.fpaccombine
    } else {
        features.fpac
    };
    if faults && pac_check_fails(f, result) {
        return Err(Exception::PacFail {
            pc: i.pc,
            data: is_data(k),
            key_b: keynumber == 1,
        });
    }
    Ok(result)
}

/// AUTIA/AUTIB of `ptr` with `modifier`, for ERETAA and ERETAB.
pub(super) fn authenticate_instruction(
    cpu: &Cpu,
    i: Insn,
    key_b: bool,
    ptr: u64,
    modifier: u64,
) -> Result<u64, Exception> {
    aut(
        cpu,
        i,
        if key_b { Key::IB } else { Key::IA },
        ptr,
        modifier,
        true,
    )
}

#[inline]
pub(super) fn execute(cpu: &mut Cpu, mem: &mut impl Memory, i: Insn) -> Option<Exec> {
    if !cpu.config.features.pauth {
        // Without FEAT_PAuth the hint-space forms are NOPs; the rest is left UNDEFINED.
        return match i.id {
            E::PACIA1716_HI_hints
            | E::PACIB1716_HI_hints
            | E::AUTIA1716_HI_hints
            | E::AUTIB1716_HI_hints
            | E::PACIASP_HI_hints
            | E::PACIBSP_HI_hints
            | E::AUTIASP_HI_hints
            | E::AUTIBSP_HI_hints
            | E::PACIAZ_HI_hints
            | E::PACIBZ_HI_hints
            | E::AUTIAZ_HI_hints
            | E::AUTIBZ_HI_hints
            | E::XPACLRI_HI_hints => Some(Ok(())),
            _ => None,
        };
    }
    let (d, n) = (i.rd(), i.rn());
    Some(match i.id {
        // Data processing (1 source): opcode<2> AUT, opcode<1> data key, opcode<0> B key;
        // the Z forms (Rn = 31 and opcode<3>) use a zero modifier.
        E::PACIA_64P_dp_1src
        | E::PACIB_64P_dp_1src
        | E::PACDA_64P_dp_1src
        | E::PACDB_64P_dp_1src
        | E::AUTIA_64P_dp_1src
        | E::AUTIB_64P_dp_1src
        | E::AUTDA_64P_dp_1src
        | E::AUTDB_64P_dp_1src
        | E::PACIZA_64Z_dp_1src
        | E::PACIZB_64Z_dp_1src
        | E::PACDZA_64Z_dp_1src
        | E::PACDZB_64Z_dp_1src
        | E::AUTIZA_64Z_dp_1src
        | E::AUTIZB_64Z_dp_1src
        | E::AUTDZA_64Z_dp_1src
        | E::AUTDZB_64Z_dp_1src => {
            let k = [Key::IA, Key::IB, Key::DA, Key::DB][i.bits(11, 10) as usize];
            let modifier = if i.bit(13) { 0 } else { cpu.state.xsp(n) };
            let ptr = cpu.state.xr(d);
            let r = if i.bit(12) {
                aut(cpu, i, k, ptr, modifier, false)
            } else {
                add(cpu, i, k, ptr, modifier)
            };
            r.map(|r| cpu.state.set_xr(d, r))
        }
        E::XPACI_64Z_dp_1src | E::XPACD_64Z_dp_1src => {
            let ptr = cpu.state.xr(d);
            let f = PacField::of(cpu, ptr, i.id == E::XPACD_64Z_dp_1src, false);
            cpu.state.set_xr(d, strip_in(f, ptr));
            Ok(())
        }
        E::PACGA_64P_dp_2src => {
            if let Err(e) = pac_trap(cpu, i) {
                return Some(Err(e));
            }
            let r = pac(cpu.state.xr(n), cpu.state.xsp(i.rm()), cpu.state.apgakey);
            cpu.state.set_xr(d, r & field(63, 32));
            Ok(())
        }
        // The hint-space forms: on X17 with modifier X16, on X30 with SP or zero.
        E::PACIA1716_HI_hints
        | E::PACIB1716_HI_hints
        | E::AUTIA1716_HI_hints
        | E::AUTIB1716_HI_hints => hint(cpu, i, 17, cpu.state.x[16]),
        E::PACIASP_HI_hints | E::PACIBSP_HI_hints | E::AUTIASP_HI_hints | E::AUTIBSP_HI_hints => {
            hint(cpu, i, 30, cpu.state.sp())
        }
        E::PACIAZ_HI_hints | E::PACIBZ_HI_hints | E::AUTIAZ_HI_hints | E::AUTIBZ_HI_hints => {
            hint(cpu, i, 30, 0)
        }
        E::XPACLRI_HI_hints => {
            let ptr = cpu.state.x[30];
            cpu.state.x[30] = strip_in(PacField::of(cpu, ptr, false, false), ptr);
            Ok(())
        }
        // BRAA, BRAB, BLRAA, BLRAB (Rm|SP modifier) and their Z forms; RETAA, RETAB. M in bit
        // 10 selects key B.
        E::BRAA_64P_branch_reg
        | E::BRAB_64P_branch_reg
        | E::BLRAA_64P_branch_reg
        | E::BLRAB_64P_branch_reg
        | E::BRAAZ_64_branch_reg
        | E::BRABZ_64_branch_reg
        | E::BLRAAZ_64_branch_reg
        | E::BLRABZ_64_branch_reg
        | E::RETAA_64E_branch_reg
        | E::RETAB_64E_branch_reg => {
            let k = if i.bit(10) { Key::IB } else { Key::IA };
            let ret = matches!(i.id, E::RETAA_64E_branch_reg | E::RETAB_64E_branch_reg);
            let (target, modifier) = if ret {
                (cpu.state.x[30], cpu.state.sp())
            } else if i.bit(24) {
                (cpu.state.xr(n), cpu.state.xsp(i.rd()))
            } else {
                (cpu.state.xr(n), 0)
            };
            let target = match aut(cpu, i, k, target, modifier, true) {
                Ok(t) => t,
                Err(e) => return Some(Err(e)),
            };
            // op in 22:21: 00 BR, 01 BLR, 10 RET.
            let op = i.bits(22, 21);
            if op == 1 {
                cpu.state.x[30] = i.pc.wrapping_add(4);
            }
            super::bti::set_btype_for_branch(&mut cpu.state.pstate, mem, i.pc, op, n);
            cpu.state.pc = target;
            Ok(())
        }
        E::LDRAA_64_ldst_pac
        | E::LDRAA_64W_ldst_pac
        | E::LDRAB_64_ldst_pac
        | E::LDRAB_64W_ldst_pac => ldra(cpu, mem, i),
        _ => return None,
    })
}

/// The hint-space PAC/AUT: op2<2> (bit 7) is AUT, op2<1> (bit 6) key B.
fn hint(cpu: &mut Cpu, i: Insn, reg: usize, modifier: u64) -> Exec {
    let k = if i.bit(6) { Key::IB } else { Key::IA };
    let ptr = cpu.state.x[reg];
    cpu.state.x[reg] = if i.bit(7) {
        aut(cpu, i, k, ptr, modifier, false)?
    } else {
        add(cpu, i, k, ptr, modifier)?
    };
    Ok(())
}

/// LDRAA/LDRAB: authenticate the base with a data key and modifier zero, add the scaled
/// offset S:imm9 << 3, load 64 bits, write back when W (bit 11) is set.
fn ldra(cpu: &mut Cpu, mem: &mut impl Memory, i: Insn) -> Exec {
    let (n, t) = (i.rn(), i.rd());
    let k = if i.bit(23) { Key::DB } else { Key::DA };
    let wback = i.bit(11);
    let offset = super::pseudocode::sign_extend(
        (u64::from(i.bits(22, 22)) << 9 | u64::from(i.bits(20, 12))) << 3,
        13,
    );
    if n == 31 && cpu.state.sp() & 15 != 0 {
        return Err(Exception::SpAlignment {
            pc: i.pc,
            word: i.word,
            encoding: i.id,
        });
    }
    let base = aut(cpu, i, k, cpu.state.xsp(n), 0, true)?;
    let address = base.wrapping_add(offset);
    let data = read(mem, i, address, 8)? as u64;
    if wback {
        cpu.state.set_xsp(n, address);
    }
    cpu.state.set_xr(t, data);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{add_pac, auth, compute_pac, strip};
    use crate::interp::tests::{CODE, DATA, STACK_TOP, check, check_with, run, run_with};
    use crate::interp::{Config, Exception, Features, Stop};
    use crate::state::State;

    /// The QARMA-64 test vector of Avanzi's paper (ToSC 2017(1), appendix), for sigma-2 and
    /// r = 5: Arm's QARMA5 is that cipher with w0 the key's high half and k0 the low.
    const P: u64 = 0xfb62_3599_da6e_8127;
    const T: u64 = 0x477d_469d_ec0b_8762;
    const W0: u64 = 0x84be_85ce_9804_e94b;
    const K0: u64 = 0xec28_02d4_e0a4_88e9;
    const KEY: u128 = (W0 as u128) << 64 | K0 as u128;

    #[test]
    fn qarma5_matches_the_published_vector() {
        assert_eq!(compute_pac(P, T, W0, K0), 0xc003_b939_99b3_3765);
    }

    #[test]
    fn add_auth_strip() {
        let ptr = 0x0000_aaaa_1234_5678;
        let signed = add_pac(ptr, T, KEY);
        // The PAC occupies bits 54:48 (TBI: the top byte is kept) and nothing else changes.
        assert_eq!(signed & !(0x7f << 48), ptr);
        assert_eq!(
            signed >> 48 & 0x7f,
            compute_pac(ptr, T, W0, K0) >> 48 & 0x7f
        );
        assert_eq!(auth(signed, T, KEY, 0), ptr);
        assert_eq!(strip(signed), ptr);
        // Wrong modifier, key A: error code 01 in bits 54:53; key B: 10.
        assert_eq!(auth(signed, T ^ 1, KEY, 0), ptr | 1 << 53);
        assert_eq!(auth(signed, T ^ 1, KEY, 1), ptr | 2 << 53);
        // A tagged pointer keeps its tag.
        let tagged = ptr | 0x5a << 56;
        assert_eq!(auth(add_pac(tagged, T, KEY), T, KEY, 0), tagged);
        // A pointer with bad extension bits gets a PAC that cannot authenticate.
        let bad = ptr | 1 << 50;
        assert_eq!(auth(add_pac(bad, T, KEY), T, KEY, 0), ptr | 1 << 53);
        // Upper half (bit 55 set, no TBI): PAC in 63:56 and 54:48, bit 55 kept.
        let kernel = 0xffff_0000_0000_1000;
        let signed = add_pac(kernel, T, KEY);
        assert_eq!(
            signed & 0x0000_ffff_ffff_ffff,
            kernel & 0x0000_ffff_ffff_ffff
        );
        assert_eq!(signed >> 55 & 1, 1);
        assert_eq!(auth(signed, T, KEY, 0), kernel);
        assert_eq!(auth(signed, 0, KEY, 1), kernel & !(3 << 61) | 2 << 61);
    }

    /// FEAT_PAuth2, as a table of pointers (EL0 under Linux: TBI below, none above): the PAC
    /// is XORed into the extension bits, authentication XORs it out again, and a wrong
    /// modifier leaves the PAC of the wrong modifier XORed with the right one in them.
    #[test]
    fn pauth2_xors_the_pac() {
        use super::{PacField, add_pac_in, auth_in, pac};
        for ptr in [
            0x0000_aaaa_1234_5678u64,
            0x5a00_aaaa_1234_5678,
            0xffff_0000_0000_1000,
            0x0004_aaaa_1234_5678, // bad extension bits: no longer corrupts the PAC
        ] {
            let f = PacField::linux(ptr);
            let checked = if f.tbi {
                0x007f_0000_0000_0000
            } else {
                0xff7f_0000_0000_0000
            };
            let original = ptr & !checked | if ptr >> 55 & 1 != 0 { checked } else { 0 };
            let p = pac(original, T, KEY);
            let signed = add_pac_in(f, ptr, T, KEY, true);
            assert_eq!(signed, ptr ^ (p & checked), "{ptr:#x}");
            assert_eq!(auth_in(f, signed, T, KEY, 0, true), ptr, "{ptr:#x}");
            let wrong = pac(original, T ^ 1, KEY);
            assert_eq!(
                auth_in(f, signed, T ^ 1, KEY, 1, true),
                ptr ^ ((p ^ wrong) & checked),
                "{ptr:#x}"
            );
        }
        // A canonical lower-half pointer signs the same with or without PAuth2.
        let ptr = 0x0000_aaaa_1234_5678;
        assert_eq!(
            add_pac_in(PacField::linux(ptr), ptr, T, KEY, true),
            add_pac(ptr, T, KEY)
        );
    }

    fn keys(s: &mut State) {
        s.apiakey = KEY;
        s.apibkey = KEY.rotate_left(1);
        s.apdakey = KEY.rotate_left(2);
        s.apdbkey = KEY.rotate_left(3);
        s.apgakey = KEY;
    }

    #[test]
    fn pauth_instructions() {
        let cases: &[(&str, &[u32], fn(&mut State), fn(&mut State))] = &[
            (
                "pacga x0, x1, x2 (the QEMU test of the published vector)",
                &[0x9ac23020],
                |s| {
                    keys(s);
                    s.x[1] = P;
                    s.x[2] = T
                },
                |s| s.x[0] = 0xc003_b939_0000_0000,
            ),
            (
                "pacia x0, x1; autia x0, x1",
                &[0xdac10020, 0xdac11020],
                |s| {
                    keys(s);
                    s.x[0] = 0x4000_1234;
                    s.x[1] = T
                },
                |_| {},
            ),
            (
                "pacdb x0, sp; autdb x0, sp",
                &[0xdac10fe0, 0xdac11fe0],
                |s| {
                    keys(s);
                    s.x[0] = 0x4000_1234
                },
                |_| {},
            ),
            (
                "paciza x0; xpaci x0",
                &[0xdac123e0, 0xdac143e0],
                |s| {
                    keys(s);
                    s.x[0] = 0x4000_1234
                },
                |_| {},
            ),
            (
                "pacdza x0; autdza x0",
                &[0xdac12be0, 0xdac13be0],
                |s| {
                    keys(s);
                    s.x[0] = 0x4000_1234
                },
                |_| {},
            ),
            (
                "paciasp; autiasp",
                &[0xd503233f, 0xd50323bf],
                |s| {
                    keys(s);
                    s.x[30] = 0x4000_1234
                },
                |_| {},
            ),
            (
                "pacib1716; autib1716",
                &[0xd503215f, 0xd50321df],
                |s| {
                    keys(s);
                    s.x[16] = T;
                    s.x[17] = 0x4000_1234
                },
                |_| {},
            ),
            (
                "paciaz; xpaclri",
                &[0xd503231f, 0xd50320ff],
                |s| {
                    keys(s);
                    s.x[30] = 0x4000_1234
                },
                |_| {},
            ),
        ];
        for (name, words, setup, expect) in cases {
            check(name, words, *setup, *expect);
        }
    }

    /// FEAT_PAuth2 without FEAT_FPAC (v9.1): a failed authentication XORs the wrong PAC in.
    #[test]
    fn pauth2_failures_without_fpac() {
        let config = || Config {
            features: Features {
                fpac: false,
                fpaccombine: false,
                ..Features::ALL
            },
            ..Config::default()
        };
        let cases: &[(&str, &[u32], fn(&mut State), fn(&mut State))] = &[
            (
                "pacia x0, x1; autib x0, x1 (wrong key, FEAT_PAuth2: key B's PAC XORed in)",
                &[0xdac10020, 0xdac11420],
                |s| {
                    keys(s);
                    s.x[0] = 0x4000_1234;
                    s.x[1] = T
                },
                |s| {
                    let signed = super::add_pac(0x4000_1234, T, s.apiakey);
                    let f = super::PacField::linux(signed);
                    s.x[0] = super::auth_in(f, signed, T, s.apibkey, 1, true);
                    assert_ne!(s.x[0] >> 48, 0);
                },
            ),
            (
                "paciasp; autibsp (wrong key, PAuth2)",
                &[0xd503233f, 0xd50323ff],
                |s| {
                    keys(s);
                    s.x[30] = 0x4000_1234
                },
                |s| {
                    let sp = s.sp_el[0];
                    let signed = super::add_pac(0x4000_1234, sp, s.apiakey);
                    let f = super::PacField::linux(signed);
                    s.x[30] = super::auth_in(f, signed, sp, s.apibkey, 1, true);
                    assert_ne!(s.x[30] >> 48, 0);
                },
            ),
            (
                "braa x1, x2 on an unsigned pointer: the target gets the PAC XORed in (PAuth2)",
                &[0xd71f0822],
                |s| {
                    keys(s);
                    s.x[1] = CODE + 0x40;
                    s.x[2] = T
                },
                |s| {
                    s.x[1] = CODE + 0x40;
                    s.pc = super::add_pac(CODE + 0x40, T, s.apiakey);
                    assert_ne!(s.pc, CODE + 0x40);
                    s.pstate.btype = 0b01
                },
            ),
        ];
        for (name, words, setup, expect) in cases {
            check_with(config(), name, words, *setup, *expect);
        }
    }

    /// FEAT_FPAC: a failed AUT* is a PAC Fail exception at the instruction, ISS bit 1 for a
    /// data key and bit 0 for key B; FEAT_FPACCOMBINE: the combined forms too.
    #[test]
    fn fpac_failures() {
        let cases: &[(&str, &[u32], fn(&mut State), bool, bool)] = &[
            (
                "pacia x0, x1; autib x0, x1",
                &[0xdac10020, 0xdac11420],
                |s| {
                    keys(s);
                    s.x[0] = 0x4000_1234;
                    s.x[1] = T
                },
                false,
                true,
            ),
            (
                "paciasp; autibsp",
                &[0xd503233f, 0xd50323ff],
                |s| {
                    keys(s);
                    s.x[30] = 0x4000_1234
                },
                false,
                true,
            ),
            (
                "autdza x0 of an unsigned pointer",
                &[0xdac13be0],
                |s| {
                    keys(s);
                    s.x[0] = 0x4000_1234
                },
                true,
                false,
            ),
            (
                "braa x1, x2 on an unsigned pointer (FPACCOMBINE)",
                &[0xd71f0822],
                |s| {
                    keys(s);
                    s.x[1] = CODE + 0x40;
                    s.x[2] = T
                },
                false,
                false,
            ),
            (
                "ldrab x0, [x1] on an unsigned pointer (FPACCOMBINE)",
                &[0xf8a00420],
                |s| {
                    keys(s);
                    s.x[1] = DATA
                },
                true,
                true,
            ),
        ];
        for &(name, words, setup, data, key_b) in cases {
            let (_, stop) = run(words, setup);
            let pc = CODE + 4 * (words.len() as u64 - 1);
            assert_eq!(
                stop,
                Stop::Exception(Exception::PacFail { pc, data, key_b }),
                "{name}"
            );
        }
        // Without FPACCOMBINE the combined forms do not fault: BRAA branches to the poisoned
        // target, which this PE (FEAT_PAuth2) reaches as an unmapped address.
        let config = Config {
            features: Features {
                fpaccombine: false,
                ..Features::ALL
            },
            ..Config::default()
        };
        let (cpu, _) = run_with(config, &[0xd71f0822], |s| {
            keys(s);
            s.x[1] = CODE + 0x40;
            s.x[2] = T
        });
        assert_ne!(cpu.state.pc, CODE);
    }

    #[test]
    fn authenticated_branches_and_loads() {
        let cases: &[(&str, &[u32], fn(&mut State), fn(&mut State))] = &[
            (
                "pacia x1, x2; braa x1, x2 (BR outside a guarded page: BTYPE 01)",
                &[0xdac10041, 0xd71f0822],
                |s| {
                    keys(s);
                    s.x[1] = CODE + 0x40;
                    s.x[2] = T
                },
                |s| {
                    s.x[1] = super::add_pac(CODE + 0x40, T, s.apiakey);
                    s.pc = CODE + 0x40;
                    s.pstate.btype = 0b01
                },
            ),
            (
                "pacib x1, x2; brab x1, x2",
                &[0xdac10441, 0xd71f0c22],
                |s| {
                    keys(s);
                    s.x[1] = CODE + 0x40;
                    s.x[2] = T
                },
                |s| {
                    s.x[1] = super::add_pac(CODE + 0x40, T, s.apibkey);
                    s.pc = CODE + 0x40;
                    s.pstate.btype = 0b01
                },
            ),
            (
                "paciasp; retaa",
                &[0xd503233f, 0xd65f0bff],
                |s| {
                    keys(s);
                    s.x[30] = CODE + 0x100
                },
                |s| {
                    s.x[30] = super::add_pac(CODE + 0x100, STACK_TOP, s.apiakey);
                    s.pc = CODE + 0x100
                },
            ),
            (
                "paciza x1; blraaz x1 (BLR: BTYPE 10)",
                &[0xdac123e1, 0xd63f083f],
                |s| {
                    keys(s);
                    s.x[1] = CODE + 0x80
                },
                |s| {
                    s.x[1] = super::add_pac(CODE + 0x80, 0, s.apiakey);
                    s.x[30] = CODE + 8;
                    s.pc = CODE + 0x80;
                    s.pstate.btype = 0b10
                },
            ),
            (
                "pacdza x1; ldraa x0, [x1, #8]!",
                &[0xdac12be1, 0xf8201c20],
                |s| {
                    keys(s);
                    s.x[1] = DATA
                },
                |s| {
                    s.x[0] = 0x0706_0504_0302_0100 + 0x0808_0808_0808_0808;
                    s.x[1] = DATA + 8
                },
            ),
            (
                "pacdzb x1; ldrab x0, [x1, #-4096]",
                &[0xdac12fe1, 0xf8e00420],
                |s| {
                    keys(s);
                    s.x[1] = DATA + 0x1000
                },
                |s| {
                    s.x[0] = 0x0706_0504_0302_0100;
                    s.x[1] = super::add_pac(DATA + 0x1000, 0, s.apdbkey)
                },
            ),
        ];
        for (name, words, setup, expect) in cases {
            check(name, words, *setup, *expect);
        }
    }
}
