//! Pre-decoded forms of the base instructions most programs are made of (add, compare,
//! move, logical, bitfield, conditional select, multiply, the direct branches, RET, and
//! general-register loads and stores with immediate, register and pair addressing).
//!
//! Why: the reference semantics (`dp.rs`, `branch.rs`, `ldst.rs`) decode their fields on every
//! execution and share one body between every size and flag variant. Here the decode cache
//! remembers, next to each word, which of a few dozen specialised bodies runs it and the
//! immediate it needs already worked out (a bit mask, a branch target, a scaled offset), so the
//! hot loop makes one dispatch and little arithmetic.
//!
//! These bodies are a second implementation of semantics that already exist, so they are held
//! to them: `classify` only picks forms whose every case is covered here (anything UNDEFINED,
//! CONSTRAINED UNPREDICTABLE or feature-dependent stays on the reference path), a body that
//! meets anything unusual (a memory fault, a misaligned SP) gives up before changing any state
//! and the reference path runs the instruction instead, and the tests below run every form
//! against the reference semantics on random words and states and compare the whole state.

use super::dp::logical;
use super::pseudocode::{
    add_with_carry, condition_holds, decode_bit_masks, extend_reg, logical_flags, ones, ror,
    shift_reg, sign_extend,
};
use super::{Cpu, Insn};
use crate::decode::EncodingId as E;
use crate::memory::Memory;

/// Which specialised body runs an instruction; `None` (0): the reference semantics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub(super) enum FastOp {
    None = 0,
    /// ADD/SUB (immediate), no flags: `Rd|SP = Rn|SP + imm` (SUB: imm negated).
    AddImm,
    AddImmW,
    /// ADDS/SUBS (immediate): `imm` is the second operand (inverted for SUBS), bit 30 the carry.
    AddsImm,
    AddsImmW,
    /// ADD/SUB/ADDS/SUBS (shifted register).
    AddReg,
    AddRegW,
    /// AND/ORR/EOR/ANDS (immediate): `imm` is the decoded bit mask.
    LogImm,
    LogImmW,
    /// AND/BIC/ORR/ORN/EOR/EON/ANDS/BICS (shifted register).
    LogReg,
    LogRegW,
    /// `Rd = imm`: MOVZ, MOVN, ADR, ADRP (the address is known once the PC is).
    MovImm,
    /// MOVK: `imm` is the shifted 16 bits.
    Movk,
    MovkW,
    /// UBFM: `imm` is wmask AND tmask.
    Ubfm,
    UbfmW,
    /// SBFM (32-bit): `imm` is wmask AND tmask in the low half, tmask in the high half.
    SbfmW,
    /// SBFM (64-bit) with imms = 63 (ASR) or immr = 0 (SXTB/SXTH/SXTW and friends).
    Asr,
    Sxt,
    /// CSEL/CSINC/CSINV/CSNEG.
    Csel,
    CselW,
    /// MADD/MSUB.
    Madd,
    MaddW,
    /// Branches: `imm` is the target.
    B,
    Bl,
    BCond,
    Cbz,
    Tbz,
    Ret,
    /// LDR/LDRB/LDRH/LDUR* zero-extending, unsigned or unscaled offset: `imm` is the offset.
    Ld,
    /// LDRS*: sign-extending, unsigned or unscaled offset.
    LdS,
    St,
    /// Pre- and post-indexed, zero-extending loads and stores: `imm` is the offset.
    LdPre,
    LdPost,
    StPre,
    StPost,
    /// Register offset, zero-extending loads and stores.
    LdReg,
    StReg,
    /// LDP/STP of general registers: `imm` is the scaled offset; bits 24:23 the mode.
    Ldp,
    Stp,
}

/// The specialised body for `word` (encoding `id`) at `pc`, and its pre-computed immediate.
pub(super) fn classify(word: u32, id: E, pc: u64) -> (FastOp, u64) {
    use FastOp as F;
    let i = Insn { word, id, pc };
    let sf = i.bit(31);
    let w = |wide: F, narrow: F| if sf { wide } else { narrow };
    let (d, n) = (i.rd(), i.rn());
    match id {
        E::ADD_32_addsub_imm
        | E::ADD_64_addsub_imm
        | E::SUB_32_addsub_imm
        | E::SUB_64_addsub_imm => {
            let imm = u64::from(i.bits(21, 10)) << (12 * i.bits(22, 22));
            let imm = if i.bit(30) { imm.wrapping_neg() } else { imm };
            (w(F::AddImm, F::AddImmW), imm)
        }
        E::ADDS_32S_addsub_imm
        | E::ADDS_64S_addsub_imm
        | E::SUBS_32S_addsub_imm
        | E::SUBS_64S_addsub_imm => {
            let imm = u64::from(i.bits(21, 10)) << (12 * i.bits(22, 22));
            let imm = if i.bit(30) { !imm } else { imm };
            (w(F::AddsImm, F::AddsImmW), imm)
        }
        E::ADD_32_addsub_shift
        | E::ADD_64_addsub_shift
        | E::ADDS_32_addsub_shift
        | E::ADDS_64_addsub_shift
        | E::SUB_32_addsub_shift
        | E::SUB_64_addsub_shift
        | E::SUBS_32_addsub_shift
        | E::SUBS_64_addsub_shift => {
            if i.bits(23, 22) == 3 || (!sf && i.bit(15)) {
                return (F::None, 0);
            }
            (w(F::AddReg, F::AddRegW), 0)
        }
        E::AND_32_log_imm
        | E::AND_64_log_imm
        | E::ORR_32_log_imm
        | E::ORR_64_log_imm
        | E::EOR_32_log_imm
        | E::EOR_64_log_imm
        | E::ANDS_32S_log_imm
        | E::ANDS_64S_log_imm => {
            let datasize = if sf { 64 } else { 32 };
            match decode_bit_masks(
                i.bits(22, 22),
                i.bits(15, 10),
                i.bits(21, 16),
                true,
                datasize,
            ) {
                Some((imm, _)) => (w(F::LogImm, F::LogImmW), imm),
                None => (F::None, 0),
            }
        }
        E::AND_32_log_shift
        | E::AND_64_log_shift
        | E::BIC_32_log_shift
        | E::BIC_64_log_shift
        | E::ORR_32_log_shift
        | E::ORR_64_log_shift
        | E::ORN_32_log_shift
        | E::ORN_64_log_shift
        | E::EOR_32_log_shift
        | E::EOR_64_log_shift
        | E::EON_32_log_shift
        | E::EON_64_log_shift
        | E::ANDS_32_log_shift
        | E::ANDS_64_log_shift
        | E::BICS_32_log_shift
        | E::BICS_64_log_shift => {
            if !sf && i.bit(15) {
                return (F::None, 0);
            }
            (w(F::LogReg, F::LogRegW), 0)
        }
        E::MOVN_32_movewide
        | E::MOVN_64_movewide
        | E::MOVZ_32_movewide
        | E::MOVZ_64_movewide
        | E::MOVK_32_movewide
        | E::MOVK_64_movewide => {
            let hw = i.bits(22, 21);
            if !sf && hw > 1 {
                return (F::None, 0);
            }
            let imm = u64::from(i.bits(20, 5)) << (hw * 16);
            let datasize = if sf { 64 } else { 32 };
            match i.bits(30, 29) {
                0 => (F::MovImm, !imm & ones(datasize)),
                2 => (F::MovImm, imm),
                _ => (w(F::Movk, F::MovkW), imm),
            }
        }
        E::ADR_only_pcreladdr | E::ADRP_only_pcreladdr => {
            let imm = sign_extend(u64::from((i.bits(23, 5) << 2) | i.bits(30, 29)), 21);
            let result = if i.bit(31) {
                (pc & !0xfff).wrapping_add(imm << 12)
            } else {
                pc.wrapping_add(imm)
            };
            (F::MovImm, result)
        }
        E::UBFM_32M_bitfield
        | E::UBFM_64M_bitfield
        | E::SBFM_32M_bitfield
        | E::SBFM_64M_bitfield => {
            let (bit_n, immr, imms) = (i.bits(22, 22), i.bits(21, 16), i.bits(15, 10));
            let datasize = if sf { 64 } else { 32 };
            if sf != (bit_n == 1) || (!sf && (immr >= 32 || imms >= 32)) {
                return (F::None, 0);
            }
            let Some((wmask, tmask)) = decode_bit_masks(bit_n, imms, immr, false, datasize) else {
                return (F::None, 0);
            };
            match (i.bit(30), sf) {
                (true, _) => (w(F::Ubfm, F::UbfmW), wmask & tmask),
                (false, false) => (F::SbfmW, (wmask & tmask) | (tmask << 32)),
                (false, true) if imms == 63 => (F::Asr, 0),
                (false, true) if immr == 0 => (F::Sxt, 0),
                (false, true) => (F::None, 0),
            }
        }
        E::CSEL_32_condsel
        | E::CSEL_64_condsel
        | E::CSINC_32_condsel
        | E::CSINC_64_condsel
        | E::CSINV_32_condsel
        | E::CSINV_64_condsel
        | E::CSNEG_32_condsel
        | E::CSNEG_64_condsel => (w(F::Csel, F::CselW), 0),
        E::MADD_32A_dp_3src | E::MADD_64A_dp_3src | E::MSUB_32A_dp_3src | E::MSUB_64A_dp_3src => {
            (w(F::Madd, F::MaddW), 0)
        }
        E::B_only_branch_imm | E::BL_only_branch_imm => {
            let target = pc.wrapping_add(sign_extend(u64::from(i.bits(25, 0)) << 2, 28));
            (if sf { F::Bl } else { F::B }, target)
        }
        E::B_only_condbranch => (
            F::BCond,
            pc.wrapping_add(sign_extend(u64::from(i.bits(23, 5)) << 2, 21)),
        ),
        E::CBZ_32_compbranch
        | E::CBZ_64_compbranch
        | E::CBNZ_32_compbranch
        | E::CBNZ_64_compbranch => (
            F::Cbz,
            pc.wrapping_add(sign_extend(u64::from(i.bits(23, 5)) << 2, 21)),
        ),
        E::TBZ_only_testbranch | E::TBNZ_only_testbranch => (
            F::Tbz,
            pc.wrapping_add(sign_extend(u64::from(i.bits(18, 5)) << 2, 16)),
        ),
        E::RET_64R_branch_reg => (F::Ret, 0),
        _ => classify_ldst(i, d, n),
    }
}

fn classify_ldst(i: Insn, t: u32, n: u32) -> (FastOp, u64) {
    use FastOp as F;
    let size = i.bits(31, 30);
    let load = i.bit(22);
    // Writeback into the register being transferred is CONSTRAINED UNPREDICTABLE: the
    // reference path decides it.
    let wback_clash = t == n && n != 31;
    let simm9 = sign_extend(u64::from(i.bits(20, 12)), 9);
    match i.id {
        E::LDRB_32_ldst_pos
        | E::LDRH_32_ldst_pos
        | E::LDR_32_ldst_pos
        | E::LDR_64_ldst_pos
        | E::STRB_32_ldst_pos
        | E::STRH_32_ldst_pos
        | E::STR_32_ldst_pos
        | E::STR_64_ldst_pos => {
            let offset = u64::from(i.bits(21, 10)) << size;
            (if load { F::Ld } else { F::St }, offset)
        }
        E::LDRSB_32_ldst_pos
        | E::LDRSB_64_ldst_pos
        | E::LDRSH_32_ldst_pos
        | E::LDRSH_64_ldst_pos
        | E::LDRSW_64_ldst_pos => (F::LdS, u64::from(i.bits(21, 10)) << size),
        E::LDURB_32_ldst_unscaled
        | E::LDURH_32_ldst_unscaled
        | E::LDUR_32_ldst_unscaled
        | E::LDUR_64_ldst_unscaled
        | E::STURB_32_ldst_unscaled
        | E::STURH_32_ldst_unscaled
        | E::STUR_32_ldst_unscaled
        | E::STUR_64_ldst_unscaled => (if load { F::Ld } else { F::St }, simm9),
        E::LDURSB_32_ldst_unscaled
        | E::LDURSB_64_ldst_unscaled
        | E::LDURSH_32_ldst_unscaled
        | E::LDURSH_64_ldst_unscaled
        | E::LDURSW_64_ldst_unscaled => (F::LdS, simm9),
        E::LDRB_32_ldst_immpre
        | E::LDRH_32_ldst_immpre
        | E::LDR_32_ldst_immpre
        | E::LDR_64_ldst_immpre
        | E::STRB_32_ldst_immpre
        | E::STRH_32_ldst_immpre
        | E::STR_32_ldst_immpre
        | E::STR_64_ldst_immpre
            if !wback_clash =>
        {
            (if load { F::LdPre } else { F::StPre }, simm9)
        }
        E::LDRB_32_ldst_immpost
        | E::LDRH_32_ldst_immpost
        | E::LDR_32_ldst_immpost
        | E::LDR_64_ldst_immpost
        | E::STRB_32_ldst_immpost
        | E::STRH_32_ldst_immpost
        | E::STR_32_ldst_immpost
        | E::STR_64_ldst_immpost
            if !wback_clash =>
        {
            (if load { F::LdPost } else { F::StPost }, simm9)
        }
        E::LDRB_32BL_ldst_regoff
        | E::LDRB_32B_ldst_regoff
        | E::LDRH_32_ldst_regoff
        | E::LDR_32_ldst_regoff
        | E::LDR_64_ldst_regoff
        | E::STRB_32BL_ldst_regoff
        | E::STRB_32B_ldst_regoff
        | E::STRH_32_ldst_regoff
        | E::STR_32_ldst_regoff
        | E::STR_64_ldst_regoff => {
            if i.bits(15, 13) & 2 == 0 {
                return (F::None, 0);
            }
            (if load { F::LdReg } else { F::StReg }, 0)
        }
        E::LDP_32_ldstpair_off
        | E::LDP_64_ldstpair_off
        | E::LDP_32_ldstpair_pre
        | E::LDP_64_ldstpair_pre
        | E::LDP_32_ldstpair_post
        | E::LDP_64_ldstpair_post
        | E::STP_32_ldstpair_off
        | E::STP_64_ldstpair_off
        | E::STP_32_ldstpair_pre
        | E::STP_64_ldstpair_pre
        | E::STP_32_ldstpair_post
        | E::STP_64_ldstpair_post => {
            let t2 = i.bits(14, 10);
            let wback = i.bits(24, 23) != 2;
            // Loading one register twice, and writeback into a transferred register, are
            // CONSTRAINED UNPREDICTABLE.
            if (load && t == t2) || (wback && n != 31 && (t == n || t2 == n)) {
                return (F::None, 0);
            }
            let scale = 2 + (i.bits(31, 31));
            let offset = sign_extend(u64::from(i.bits(21, 15)), 7) << scale;
            (if load { F::Ldp } else { F::Stp }, offset)
        }
        _ => (F::None, 0),
    }
}

/// Runs `op` for `word` at `pc` (whose PC the caller has already advanced past it). Returns
/// false, having changed nothing, when the reference path must run the instruction instead.
#[inline(always)]
pub(super) fn execute(
    cpu: &mut Cpu,
    mem: &mut impl Memory,
    op: FastOp,
    word: u32,
    imm: u64,
) -> bool {
    use FastOp as F;
    let bit = |n: u32| (word >> n) & 1 != 0;
    // Fields are taken where they are used, so forms that do not need them do not pay.
    let d = || word & 31;
    let n = || (word >> 5) & 31;
    let m = || (word >> 16) & 31;
    let s = &mut cpu.state;
    match op {
        F::None => return false,
        F::AddImm => {
            let r = s.xsp(n()).wrapping_add(imm);
            s.set_xsp(d(), r);
        }
        F::AddImmW => {
            let r = s.xsp(n()).wrapping_add(imm) & 0xffff_ffff;
            s.set_xsp(d(), r);
        }
        F::AddsImm => {
            let (r, flags) = add_with_carry(s.xsp(n()), imm, bit(30), 64);
            s.pstate.set_nzcv(flags);
            s.set_xr(d(), r);
        }
        F::AddsImmW => {
            let (r, flags) = add_with_carry(s.xsp(n()), imm, bit(30), 32);
            s.pstate.set_nzcv(flags);
            s.set_xr(d(), r & 0xffff_ffff);
        }
        F::AddReg => add_reg(cpu, word, 64),
        F::AddRegW => add_reg(cpu, word, 32),
        F::LogImm => log_imm(cpu, word, imm, 64),
        F::LogImmW => log_imm(cpu, word, imm, 32),
        F::LogReg => log_reg(cpu, word, 64),
        F::LogRegW => log_reg(cpu, word, 32),
        F::MovImm => s.set_xr(d(), imm),
        F::Movk => {
            let pos = ((word >> 21) & 3) * 16;
            let r = (s.xr(d()) & !(0xffff << pos)) | imm;
            s.set_xr(d(), r);
        }
        F::MovkW => {
            let pos = ((word >> 21) & 3) * 16;
            let r = ((s.xr(d()) & !(0xffff << pos)) | imm) & 0xffff_ffff;
            s.set_xr(d(), r);
        }
        F::Ubfm => {
            let r = ror(s.xr(n()), (word >> 16) & 63, 64) & imm;
            s.set_xr(d(), r);
        }
        F::UbfmW => {
            let r = ror(s.xr(n()), (word >> 16) & 31, 32) & imm;
            s.set_xr(d(), r);
        }
        F::SbfmW => {
            let src = s.xr(n());
            let (imms, immr) = ((word >> 10) & 31, (word >> 16) & 31);
            let top = if (src >> imms) & 1 != 0 {
                0xffff_ffff
            } else {
                0
            };
            let tmask = imm >> 32;
            let r = (top & !tmask) | (ror(src, immr, 32) & imm & 0xffff_ffff);
            s.set_xr(d(), r & 0xffff_ffff);
        }
        F::Asr => {
            let r = ((s.xr(n()) as i64) >> ((word >> 16) & 63)) as u64;
            s.set_xr(d(), r);
        }
        F::Sxt => {
            let r = sign_extend(s.xr(n()), ((word >> 10) & 63) + 1);
            s.set_xr(d(), r);
        }
        F::Csel | F::CselW => {
            let r = if condition_holds((word >> 12) & 15, &s.pstate) {
                s.xr(n())
            } else {
                let r = s.xr(m());
                let r = if bit(30) { !r } else { r };
                if bit(10) { r.wrapping_add(1) } else { r }
            };
            s.set_xr(d(), if op == F::CselW { r & 0xffff_ffff } else { r });
        }
        F::Madd | F::MaddW => {
            let prod = s.xr(n()).wrapping_mul(s.xr(m()));
            let a = s.xr((word >> 10) & 31);
            let r = if bit(15) {
                a.wrapping_sub(prod)
            } else {
                a.wrapping_add(prod)
            };
            s.set_xr(d(), if op == F::MaddW { r & 0xffff_ffff } else { r });
        }
        F::B => s.pc = imm,
        F::Bl => {
            s.x[30] = s.pc;
            s.pc = imm;
        }
        F::BCond => {
            if condition_holds(word & 15, &s.pstate) {
                s.pc = imm;
            }
        }
        F::Cbz => {
            let v = s.xr(d());
            let v = if bit(31) { v } else { v & 0xffff_ffff };
            if (v == 0) != bit(24) {
                s.pc = imm;
            }
        }
        F::Tbz => {
            let b = (((word >> 31) & 1) << 5) | ((word >> 19) & 31);
            if ((s.xr(d()) >> b) & 1 != 0) == bit(24) {
                s.pc = imm;
            }
        }
        F::Ret => {
            // A misaligned target: the reference path branches, and the next fetch faults.
            let target = s.xr(n());
            if target & 3 != 0 {
                return false;
            }
            s.pc = target;
        }
        F::Ld
        | F::LdS
        | F::St
        | F::LdPre
        | F::LdPost
        | F::StPre
        | F::StPost
        | F::LdReg
        | F::StReg => return single(cpu, mem, op, word, imm),
        F::Ldp | F::Stp => return pair(cpu, mem, op == F::Ldp, word, imm),
    }
    true
}

#[inline(always)]
fn add_reg(cpu: &mut Cpu, word: u32, datasize: u32) {
    let s = &mut cpu.state;
    let (d, n, m) = (word & 31, (word >> 5) & 31, (word >> 16) & 31);
    let sub = (word >> 30) & 1 != 0;
    let op2 = shift_reg(s.xr(m), (word >> 22) & 3, (word >> 10) & 63, datasize);
    let op2 = if sub { !op2 } else { op2 };
    let (r, flags) = add_with_carry(s.xr(n), op2, sub, datasize);
    if (word >> 29) & 1 != 0 {
        s.pstate.set_nzcv(flags);
    }
    s.set_xr(d, r & ones(datasize));
}

#[inline(always)]
fn log_imm(cpu: &mut Cpu, word: u32, imm: u64, datasize: u32) {
    let s = &mut cpu.state;
    let (d, n) = (word & 31, (word >> 5) & 31);
    let opc = (word >> 29) & 3;
    let result = logical(opc, s.xr(n), imm) & ones(datasize);
    if opc == 3 {
        s.pstate.set_nzcv(logical_flags(result, datasize));
        s.set_xr(d, result);
    } else {
        s.set_xsp(d, result);
    }
}

#[inline(always)]
fn log_reg(cpu: &mut Cpu, word: u32, datasize: u32) {
    let s = &mut cpu.state;
    let (d, n, m) = (word & 31, (word >> 5) & 31, (word >> 16) & 31);
    let op2 = shift_reg(s.xr(m), (word >> 22) & 3, (word >> 10) & 63, datasize);
    let op2 = if (word >> 21) & 1 != 0 { !op2 } else { op2 };
    let opc = (word >> 29) & 3;
    let result = logical(opc, s.xr(n), op2) & ones(datasize);
    if opc == 3 {
        s.pstate.set_nzcv(logical_flags(result, datasize));
    }
    s.set_xr(d, result);
}

/// Single general-register loads and stores. Bits 31:30 are log2 of the size.
#[inline(always)]
fn single(cpu: &mut Cpu, mem: &mut impl Memory, op: FastOp, word: u32, imm: u64) -> bool {
    use FastOp as F;
    let s = &mut cpu.state;
    let (t, n) = (word & 31, (word >> 5) & 31);
    if n == 31 && s.sp() & 15 != 0 {
        return false;
    }
    let size = (word >> 30) & 3;
    let bytes = 1usize << size;
    let base = s.xsp(n);
    let address = match op {
        F::LdPost | F::StPost => base,
        F::LdReg | F::StReg => {
            let shift = if (word >> 12) & 1 != 0 { size } else { 0 };
            base.wrapping_add(extend_reg(
                s.xr((word >> 16) & 31),
                (word >> 13) & 7,
                shift,
                64,
            ))
        }
        _ => base.wrapping_add(imm),
    };
    match op {
        F::Ld | F::LdPre | F::LdPost | F::LdReg => {
            let Ok(data) = mem.read_le(address, bytes) else {
                return false;
            };
            s.set_xr(t, data);
        }
        F::LdS => {
            let Ok(data) = mem.read_le(address, bytes) else {
                return false;
            };
            let data = sign_extend(data, 8 << size);
            // opc<0> = 1: a 32-bit destination.
            let data = if (word >> 22) & 1 != 0 {
                data & 0xffff_ffff
            } else {
                data
            };
            s.set_xr(t, data);
        }
        _ => {
            if mem.write_le(address, bytes, s.xr(t)).is_err() {
                return false;
            }
        }
    }
    if matches!(op, F::LdPre | F::LdPost | F::StPre | F::StPost) {
        s.set_xsp(n, base.wrapping_add(imm));
    }
    true
}

/// LDP/STP of general registers: bits 24:23 are 01 post-index, 11 pre-index, 10 offset.
#[inline(always)]
fn pair(cpu: &mut Cpu, mem: &mut impl Memory, load: bool, word: u32, imm: u64) -> bool {
    let s = &mut cpu.state;
    let (t, n, t2) = (word & 31, (word >> 5) & 31, (word >> 10) & 31);
    if n == 31 && s.sp() & 15 != 0 {
        return false;
    }
    let bytes = 4usize << (word >> 31);
    let mode = (word >> 23) & 3;
    let base = s.xsp(n);
    let address = if mode == 1 {
        base
    } else {
        base.wrapping_add(imm)
    };
    let a2 = address.wrapping_add(bytes as u64);
    if load {
        let (Ok(d1), Ok(d2)) = (mem.read_le(address, bytes), mem.read_le(a2, bytes)) else {
            return false;
        };
        s.set_xr(t, d1);
        s.set_xr(t2, d2);
    } else {
        // A fault on the second half after the first was written is harmless: the reference
        // path writes the same first half again before it faults.
        if mem.write_le(address, bytes, s.xr(t)).is_err()
            || mem.write_le(a2, bytes, s.xr(t2)).is_err()
        {
            return false;
        }
    }
    if mode != 2 {
        s.set_xsp(n, base.wrapping_add(imm));
    }
    true
}

#[cfg(test)]
mod tests {
    //! Every fast form against the reference semantics: random words of each encoding the
    //! classifier takes, random registers and flags, memory around the base register, and a
    //! comparison of the whole state and the memory afterwards.

    use super::*;
    use crate::decode::{ENCODINGS, decode};
    use crate::interp::{Config, Cpu, Exec};
    use crate::memory::{FlatMemory, Perms};

    const DATA: u64 = 0x10_0000;
    const DATA_LEN: u64 = 0x4000;

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            // xorshift64*
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
    }

    fn memory() -> FlatMemory {
        let mut mem = FlatMemory::new();
        mem.map(DATA, DATA_LEN, Perms::RW);
        let bytes: Vec<u8> = (0..DATA_LEN).map(|i| (i * 7 + 3) as u8).collect();
        mem.poke(DATA, &bytes).unwrap();
        mem
    }

    fn snapshot(mem: &mut FlatMemory) -> Vec<u8> {
        let mut buf = vec![0u8; DATA_LEN as usize];
        mem.peek(DATA, &mut buf).unwrap();
        buf
    }

    /// One case: the reference path and the fast path from the same start. Returns whether the
    /// fast path ran it.
    fn check(word: u32, rng: &mut Rng) -> bool {
        let Some(id) = decode(word) else { return false };
        let pc = 0x40_0000 + (rng.next() & 0xfff) * 4;
        let (op, imm) = classify(word, id, pc);
        if op == FastOp::None {
            return false;
        }
        let mut cpu = Cpu::new(Config::default());
        for r in 0..31 {
            // Mostly addresses inside DATA so loads and stores land; sometimes anything.
            cpu.state.x[r] = match rng.next() % 4 {
                0 => rng.next(),
                1 => rng.next() % 64,
                _ => DATA + 0x1000 + (rng.next() % 0x2000),
            };
        }
        cpu.state.sp_el[0] =
            DATA + 0x2000 + (rng.next() % 0x100) * 16 + (rng.next() % 8 == 0) as u64 * 4;
        cpu.state.pstate.set_nzcv((rng.next() & 15) as u8);
        cpu.state.pc = pc + 4;
        let mut reference = cpu.clone();
        let original = cpu.state.clone();
        let mut mem_ref = memory();
        let mut mem_fast = memory();
        let fast_done = execute(&mut cpu, &mut mem_fast, op, word, imm);
        let r: Option<Exec> = Some(reference.execute_slow(&mut mem_ref, word, pc));
        let r = r.expect("the reference path takes every word the classifier takes");
        if !fast_done {
            // Gave up (a fault, a misaligned SP or branch target): no register changed. Only
            // the cases it ran count towards coverage.
            assert_eq!(
                cpu.state, original,
                "{word:#010x} ({id}): gave up after a change"
            );
            return false;
        }
        assert!(
            r.is_ok(),
            "{word:#010x} ({id}): reference faulted, fast path ran: {r:?}"
        );
        assert_eq!(cpu.state, reference.state, "{word:#010x} ({id})");
        assert!(
            snapshot(&mut mem_fast) == snapshot(&mut mem_ref),
            "{word:#010x} ({id}): memory differs"
        );
        true
    }

    #[test]
    fn fast_forms_agree_with_the_reference_semantics() {
        let mut rng = Rng(0x5eed_1234_abcd_0001);
        let mut by_op = std::collections::HashMap::<FastOp, u32>::new();
        // The encodings the classifier takes words of; then round after round over them, until
        // each form has run 200 times (some, such as ASR, are a narrow slice of their words).
        let fast_encodings: Vec<_> = ENCODINGS
            .iter()
            .filter(|info| {
                (0..64).any(|_| {
                    let word = info.opcode | (rng.next() as u32 & !info.mask);
                    decode(word).is_some_and(|id| classify(word, id, 0).0 != FastOp::None)
                })
            })
            .collect();
        for _round in 0..100_000 {
            for info in &fast_encodings {
                let word = info.opcode | (rng.next() as u32 & !info.mask);
                let Some(id) = decode(word) else { continue };
                let (op, _) = classify(word, id, 0);
                if op != FastOp::None
                    && by_op.get(&op).copied().unwrap_or(0) < 200
                    && check(word, &mut rng)
                {
                    *by_op.entry(op).or_default() += 1;
                }
            }
            if by_op.len() == 39 && by_op.values().all(|&n| n >= 200) {
                break;
            }
        }
        // Every form was exercised, many times.
        for op in [
            FastOp::AddImm,
            FastOp::AddImmW,
            FastOp::AddsImm,
            FastOp::AddsImmW,
            FastOp::AddReg,
            FastOp::AddRegW,
            FastOp::LogImm,
            FastOp::LogImmW,
            FastOp::LogReg,
            FastOp::LogRegW,
            FastOp::MovImm,
            FastOp::Movk,
            FastOp::MovkW,
            FastOp::Ubfm,
            FastOp::UbfmW,
            FastOp::SbfmW,
            FastOp::Asr,
            FastOp::Sxt,
            FastOp::Csel,
            FastOp::CselW,
            FastOp::Madd,
            FastOp::MaddW,
            FastOp::B,
            FastOp::Bl,
            FastOp::BCond,
            FastOp::Cbz,
            FastOp::Tbz,
            FastOp::Ret,
            FastOp::Ld,
            FastOp::LdS,
            FastOp::St,
            FastOp::LdPre,
            FastOp::LdPost,
            FastOp::StPre,
            FastOp::StPost,
            FastOp::LdReg,
            FastOp::StReg,
            FastOp::Ldp,
            FastOp::Stp,
        ] {
            let n = by_op.get(&op).copied().unwrap_or(0);
            assert!(n >= 200, "{op:?} exercised {n} times");
        }
    }
}
