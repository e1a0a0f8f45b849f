//! SIMD&FP: Advanced SIMD floating point, vector and scalar: three-same arithmetic, compares
//! and pairwise operations, two-register miscellaneous (abs, neg, sqrt, rounding, conversions
//! to and from integers, compares with zero, estimates, FCVTL/FCVTN/FCVTXN), scalar pairs,
//! across lanes, by element, the fixed-point conversions of the shift-by-immediate group, and
//! FMOV (vector, half). Half-precision forms need FEAT_FP16. Every lane goes through the exact
//! core in `crate::fp` with the instruction's FPCR, and the lanes' flags accumulate in FPSR.
//!
//! FHM (FMLAL/FMLSL, widening half to single) and FCMA (FCMLA/FCADD, complex arithmetic) are
//! here too. Not here yet: BF16.

use super::simd::{elem, set_elem, v_result};
use super::{Cpu, Exec, Insn};
use crate::decode::EncodingId as E;
use crate::fp::{Env, Fmt, Rounding, fpcr};

/// The lanes an instruction works on: format, element size, total bits, scalar or vector.
#[derive(Clone, Copy)]
struct Lanes {
    fmt: Fmt,
    esize: u32,
    datasize: u32,
    scalar: bool,
}

fn fmt_of(esize: u32) -> Fmt {
    match esize {
        16 => Fmt::H,
        32 => Fmt::S,
        _ => Fmt::D,
    }
}

/// Half precision when `half`, else single or double by `sz` (bit 22); scalar forms by bit 28.
/// Vector doubles need Q = 1. None: reserved, or half precision without FEAT_FP16.
fn lanes(cpu: &Cpu, i: Insn, half: bool) -> Option<Lanes> {
    let scalar = i.bit(28);
    let esize = if half {
        if !cpu.config.features.fp16 {
            return None;
        }
        16
    } else if i.bit(22) {
        64
    } else {
        32
    };
    let datasize = if scalar {
        esize
    } else if i.bit(30) {
        128
    } else {
        if esize == 64 {
            return None;
        }
        64
    };
    Some(Lanes {
        fmt: fmt_of(esize),
        esize,
        datasize,
        scalar,
    })
}

fn write(cpu: &mut Cpu, i: Insn, l: Lanes, r: u128) -> Exec {
    v_result(cpu, i.rd(), r, if l.scalar { 64 } else { l.datasize })
}

/// Runs `f` in the FP environment of FPCR and ORs its flags into FPSR.
fn with_env<T>(cpu: &mut Cpu, f: impl FnOnce(&mut Env) -> T) -> T {
    let mut env = Env::new(cpu.state.fpcr);
    let r = f(&mut env);
    cpu.state.fpsr |= u64::from(env.flags);
    r
}

/// `with_env` for the instructions that FPCR.AH makes quiet (the reciprocal and reciprocal
/// square root estimates and steps, FRECPX, and the BFloat16 conversions and BFMLAL): under
/// AH they flush denormal inputs and outputs (FIZ and FZ as 1), round to nearest even, and
/// raise no exceptions into FPSR.
fn with_env_quiet_under_ah<T>(cpu: &mut Cpu, f: impl FnOnce(&mut Env) -> T) -> T {
    let fpcr = cpu.state.fpcr;
    if fpcr & fpcr::AH == 0 {
        return with_env(cpu, f);
    }
    let rmode = 3 << fpcr::RMODE_SHIFT;
    let mut env = Env::new((fpcr | fpcr::FIZ | fpcr::FZ) & !rmode);
    f(&mut env)
}

/// Writes the result of a scalar form (`l.scalar`) or a vector: a scalar's other bits are
/// zeroed, or under FPCR.NEP taken from `V[from]`.
fn write_merging(cpu: &mut Cpu, i: Insn, l: Lanes, r: u128, from: u32) -> Exec {
    if l.scalar {
        super::fp::set_vreg_merging(cpu, i.rd(), r as u64, l.fmt, from);
        Ok(())
    } else {
        write(cpu, i, l, r)
    }
}

/// The three-same operations.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op2 {
    Add,
    Sub,
    Mul,
    Div,
    MulX,
    Max,
    Min,
    MaxNm,
    MinNm,
    Abd,
    Mla,
    Mls,
    CmEq,
    CmGe,
    CmGt,
    AcGe,
    AcGt,
    RecpS,
    RsqrtS,
}

fn op2(env: &mut Env, fmt: Fmt, op: Op2, a: u64, b: u64, d: u64) -> u64 {
    let ones = if fmt.bits() == 64 {
        u64::MAX
    } else {
        (1 << fmt.bits()) - 1
    };
    let t = |c: bool| if c { ones } else { 0 };
    match op {
        Op2::Add => env.add(fmt, a, b),
        Op2::Sub => env.sub(fmt, a, b),
        Op2::Mul => env.mul(fmt, a, b),
        Op2::Div => env.div(fmt, a, b),
        Op2::MulX => env.mul_x(fmt, a, b),
        Op2::Max => env.max(fmt, a, b),
        Op2::Min => env.min(fmt, a, b),
        Op2::MaxNm => env.max_num(fmt, a, b),
        Op2::MinNm => env.min_num(fmt, a, b),
        Op2::Abd => {
            let diff = env.sub(fmt, a, b);
            env.abs(fmt, diff)
        }
        Op2::Mla => env.mul_add(fmt, d, a, b),
        Op2::Mls => {
            let a = env.neg(fmt, a);
            env.mul_add(fmt, d, a, b)
        }
        // FPCompareEQ is quiet; GE and GT signal on any NaN.
        Op2::CmEq => t(env.compare(fmt, a, b, false) == 0b0110),
        Op2::CmGe => t(matches!(env.compare(fmt, a, b, true), 0b0110 | 0b0010)),
        Op2::CmGt => t(env.compare(fmt, a, b, true) == 0b0010),
        Op2::AcGe => {
            let (a, b) = (env.abs(fmt, a), env.abs(fmt, b));
            t(matches!(env.compare(fmt, a, b, true), 0b0110 | 0b0010))
        }
        Op2::AcGt => {
            let (a, b) = (env.abs(fmt, a), env.abs(fmt, b));
            t(env.compare(fmt, a, b, true) == 0b0010)
        }
        Op2::RecpS => env.recip_step(fmt, a, b),
        Op2::RsqrtS => env.rsqrt_step(fmt, a, b),
    }
}

/// The two-register miscellaneous operations.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op1 {
    Abs,
    Neg,
    Sqrt,
    /// FRINT<r> (`None`: FPCR's mode), exact (FRINTX).
    RoundInt(Option<Rounding>, bool),
    /// FRINT32/64 Z or X: width, rounding (`None`: FPCR's mode).
    RoundIntN(u32, Option<Rounding>),
    /// FCVT<r>S / FCVT<r>U: rounding, unsigned.
    ToInt(Rounding, bool),
    /// SCVTF / UCVTF: unsigned.
    FromInt(bool),
    /// Compare with zero: 0 EQ, 1 GE, 2 GT, 3 LE, 4 LT.
    CmZero(u8),
    /// FRECPE and FRSQRTE: with 12-bit single-precision estimates (FEAT_RPRES under
    /// FPCR.AH) when true.
    RecpE(bool),
    RsqrtE(bool),
    RecpX,
}

fn op1(env: &mut Env, fmt: Fmt, op: Op1, a: u64) -> u64 {
    let n = fmt.bits();
    let ones = if n == 64 { u64::MAX } else { (1 << n) - 1 };
    let t = |c: bool| if c { ones } else { 0 };
    let fpcr_rounding = env.rounding();
    match op {
        // FABS and FNEG (vector) change the sign bit of NaNs too, under FPCR.AH as well (as in
        // QEMU 10; the scalar forms are FPAbs and FPNeg).
        Op1::Abs => a & !fmt.zero(true) & fmt.mask(),
        Op1::Neg => (a ^ fmt.zero(true)) & fmt.mask(),
        Op1::Sqrt => env.sqrt(fmt, a),
        Op1::RoundInt(r, exact) => env.round_int(fmt, a, r.unwrap_or(fpcr_rounding), exact),
        Op1::RoundIntN(w, r) => env.round_int_n(fmt, a, r.unwrap_or(fpcr_rounding), w),
        Op1::ToInt(r, unsigned) => env.to_fixed(fmt, a, 0, unsigned, n, r),
        Op1::FromInt(unsigned) => env.fixed_to_fp(fmt, a, n, 0, unsigned, fpcr_rounding),
        Op1::CmZero(k) => {
            let zero = fmt.zero(false);
            // EQ is quiet; the ordered compares signal on any NaN.
            match k {
                0 => t(env.compare(fmt, a, zero, false) == 0b0110),
                1 => t(matches!(env.compare(fmt, a, zero, true), 0b0110 | 0b0010)),
                2 => t(env.compare(fmt, a, zero, true) == 0b0010),
                3 => t(matches!(env.compare(fmt, a, zero, true), 0b0110 | 0b1000)),
                _ => t(env.compare(fmt, a, zero, true) == 0b1000),
            }
        }
        Op1::RecpE(increased) => env.recip_estimate(fmt, a, increased && fmt == Fmt::S),
        Op1::RsqrtE(increased) => env.rsqrt_estimate(fmt, a, increased && fmt == Fmt::S),
        Op1::RecpX => env.recip_x(fmt, a),
    }
}

fn three_same(id: E) -> Option<(Op2, bool, bool)> {
    // (operation, half precision, pairwise)
    use Op2::*;
    Some(match id {
        E::FADD_asimdsame_only => (Add, false, false),
        E::FSUB_asimdsame_only => (Sub, false, false),
        E::FMUL_asimdsame_only => (Mul, false, false),
        E::FDIV_asimdsame_only => (Div, false, false),
        E::FMULX_asimdsame_only | E::FMULX_asisdsame_only => (MulX, false, false),
        E::FMAX_asimdsame_only => (Max, false, false),
        E::FMIN_asimdsame_only => (Min, false, false),
        E::FMAXNM_asimdsame_only => (MaxNm, false, false),
        E::FMINNM_asimdsame_only => (MinNm, false, false),
        E::FABD_asimdsame_only | E::FABD_asisdsame_only => (Abd, false, false),
        E::FMLA_asimdsame_only => (Mla, false, false),
        E::FMLS_asimdsame_only => (Mls, false, false),
        E::FCMEQ_asimdsame_only | E::FCMEQ_asisdsame_only => (CmEq, false, false),
        E::FCMGE_asimdsame_only | E::FCMGE_asisdsame_only => (CmGe, false, false),
        E::FCMGT_asimdsame_only | E::FCMGT_asisdsame_only => (CmGt, false, false),
        E::FACGE_asimdsame_only | E::FACGE_asisdsame_only => (AcGe, false, false),
        E::FACGT_asimdsame_only | E::FACGT_asisdsame_only => (AcGt, false, false),
        E::FRECPS_asimdsame_only | E::FRECPS_asisdsame_only => (RecpS, false, false),
        E::FRSQRTS_asimdsame_only | E::FRSQRTS_asisdsame_only => (RsqrtS, false, false),
        E::FADDP_asimdsame_only => (Add, false, true),
        E::FMAXP_asimdsame_only => (Max, false, true),
        E::FMINP_asimdsame_only => (Min, false, true),
        E::FMAXNMP_asimdsame_only => (MaxNm, false, true),
        E::FMINNMP_asimdsame_only => (MinNm, false, true),
        E::FADD_asimdsamefp16_only => (Add, true, false),
        E::FSUB_asimdsamefp16_only => (Sub, true, false),
        E::FMUL_asimdsamefp16_only => (Mul, true, false),
        E::FDIV_asimdsamefp16_only => (Div, true, false),
        E::FMULX_asimdsamefp16_only | E::FMULX_asisdsamefp16_only => (MulX, true, false),
        E::FMAX_asimdsamefp16_only => (Max, true, false),
        E::FMIN_asimdsamefp16_only => (Min, true, false),
        E::FMAXNM_asimdsamefp16_only => (MaxNm, true, false),
        E::FMINNM_asimdsamefp16_only => (MinNm, true, false),
        E::FABD_asimdsamefp16_only | E::FABD_asisdsamefp16_only => (Abd, true, false),
        E::FMLA_asimdsamefp16_only => (Mla, true, false),
        E::FMLS_asimdsamefp16_only => (Mls, true, false),
        E::FCMEQ_asimdsamefp16_only | E::FCMEQ_asisdsamefp16_only => (CmEq, true, false),
        E::FCMGE_asimdsamefp16_only | E::FCMGE_asisdsamefp16_only => (CmGe, true, false),
        E::FCMGT_asimdsamefp16_only | E::FCMGT_asisdsamefp16_only => (CmGt, true, false),
        E::FACGE_asimdsamefp16_only | E::FACGE_asisdsamefp16_only => (AcGe, true, false),
        E::FACGT_asimdsamefp16_only | E::FACGT_asisdsamefp16_only => (AcGt, true, false),
        E::FRECPS_asimdsamefp16_only | E::FRECPS_asisdsamefp16_only => (RecpS, true, false),
        E::FRSQRTS_asimdsamefp16_only | E::FRSQRTS_asisdsamefp16_only => (RsqrtS, true, false),
        E::FADDP_asimdsamefp16_only => (Add, true, true),
        E::FMAXP_asimdsamefp16_only => (Max, true, true),
        E::FMINP_asimdsamefp16_only => (Min, true, true),
        E::FMAXNMP_asimdsamefp16_only => (MaxNm, true, true),
        E::FMINNMP_asimdsamefp16_only => (MinNm, true, true),
        _ => return None,
    })
}

fn misc(id: E) -> Option<(Op1, bool)> {
    use Op1::*;
    use Rounding::*;
    Some(match id {
        E::FABS_asimdmisc_R => (Abs, false),
        E::FNEG_asimdmisc_R => (Neg, false),
        E::FSQRT_asimdmisc_R => (Sqrt, false),
        E::FRINTN_asimdmisc_R => (RoundInt(Some(TieEven), false), false),
        E::FRINTA_asimdmisc_R => (RoundInt(Some(TieAway), false), false),
        E::FRINTP_asimdmisc_R => (RoundInt(Some(PosInf), false), false),
        E::FRINTM_asimdmisc_R => (RoundInt(Some(NegInf), false), false),
        E::FRINTZ_asimdmisc_R => (RoundInt(Some(Zero), false), false),
        E::FRINTX_asimdmisc_R => (RoundInt(None, true), false),
        E::FRINTI_asimdmisc_R => (RoundInt(None, false), false),
        E::FRINT32Z_asimdmisc_R => (RoundIntN(32, Some(Zero)), false),
        E::FRINT32X_asimdmisc_R => (RoundIntN(32, None), false),
        E::FRINT64Z_asimdmisc_R => (RoundIntN(64, Some(Zero)), false),
        E::FRINT64X_asimdmisc_R => (RoundIntN(64, None), false),
        E::FCVTNS_asimdmisc_R | E::FCVTNS_asisdmisc_R => (ToInt(TieEven, false), false),
        E::FCVTNU_asimdmisc_R | E::FCVTNU_asisdmisc_R => (ToInt(TieEven, true), false),
        E::FCVTAS_asimdmisc_R | E::FCVTAS_asisdmisc_R => (ToInt(TieAway, false), false),
        E::FCVTAU_asimdmisc_R | E::FCVTAU_asisdmisc_R => (ToInt(TieAway, true), false),
        E::FCVTPS_asimdmisc_R | E::FCVTPS_asisdmisc_R => (ToInt(PosInf, false), false),
        E::FCVTPU_asimdmisc_R | E::FCVTPU_asisdmisc_R => (ToInt(PosInf, true), false),
        E::FCVTMS_asimdmisc_R | E::FCVTMS_asisdmisc_R => (ToInt(NegInf, false), false),
        E::FCVTMU_asimdmisc_R | E::FCVTMU_asisdmisc_R => (ToInt(NegInf, true), false),
        E::FCVTZS_asimdmisc_R | E::FCVTZS_asisdmisc_R => (ToInt(Zero, false), false),
        E::FCVTZU_asimdmisc_R | E::FCVTZU_asisdmisc_R => (ToInt(Zero, true), false),
        E::SCVTF_asimdmisc_R | E::SCVTF_asisdmisc_R => (FromInt(false), false),
        E::UCVTF_asimdmisc_R | E::UCVTF_asisdmisc_R => (FromInt(true), false),
        E::FCMEQ_asimdmisc_FZ | E::FCMEQ_asisdmisc_FZ => (CmZero(0), false),
        E::FCMGE_asimdmisc_FZ | E::FCMGE_asisdmisc_FZ => (CmZero(1), false),
        E::FCMGT_asimdmisc_FZ | E::FCMGT_asisdmisc_FZ => (CmZero(2), false),
        E::FCMLE_asimdmisc_FZ | E::FCMLE_asisdmisc_FZ => (CmZero(3), false),
        E::FCMLT_asimdmisc_FZ | E::FCMLT_asisdmisc_FZ => (CmZero(4), false),
        E::FRECPE_asimdmisc_R | E::FRECPE_asisdmisc_R => (RecpE(false), false),
        E::FRSQRTE_asimdmisc_R | E::FRSQRTE_asisdmisc_R => (RsqrtE(false), false),
        E::FRECPX_asisdmisc_R => (RecpX, false),
        E::FABS_asimdmiscfp16_R => (Abs, true),
        E::FNEG_asimdmiscfp16_R => (Neg, true),
        E::FSQRT_asimdmiscfp16_R => (Sqrt, true),
        E::FRINTN_asimdmiscfp16_R => (RoundInt(Some(TieEven), false), true),
        E::FRINTA_asimdmiscfp16_R => (RoundInt(Some(TieAway), false), true),
        E::FRINTP_asimdmiscfp16_R => (RoundInt(Some(PosInf), false), true),
        E::FRINTM_asimdmiscfp16_R => (RoundInt(Some(NegInf), false), true),
        E::FRINTZ_asimdmiscfp16_R => (RoundInt(Some(Zero), false), true),
        E::FRINTX_asimdmiscfp16_R => (RoundInt(None, true), true),
        E::FRINTI_asimdmiscfp16_R => (RoundInt(None, false), true),
        E::FCVTNS_asimdmiscfp16_R | E::FCVTNS_asisdmiscfp16_R => (ToInt(TieEven, false), true),
        E::FCVTNU_asimdmiscfp16_R | E::FCVTNU_asisdmiscfp16_R => (ToInt(TieEven, true), true),
        E::FCVTAS_asimdmiscfp16_R | E::FCVTAS_asisdmiscfp16_R => (ToInt(TieAway, false), true),
        E::FCVTAU_asimdmiscfp16_R | E::FCVTAU_asisdmiscfp16_R => (ToInt(TieAway, true), true),
        E::FCVTPS_asimdmiscfp16_R | E::FCVTPS_asisdmiscfp16_R => (ToInt(PosInf, false), true),
        E::FCVTPU_asimdmiscfp16_R | E::FCVTPU_asisdmiscfp16_R => (ToInt(PosInf, true), true),
        E::FCVTMS_asimdmiscfp16_R | E::FCVTMS_asisdmiscfp16_R => (ToInt(NegInf, false), true),
        E::FCVTMU_asimdmiscfp16_R | E::FCVTMU_asisdmiscfp16_R => (ToInt(NegInf, true), true),
        E::FCVTZS_asimdmiscfp16_R | E::FCVTZS_asisdmiscfp16_R => (ToInt(Zero, false), true),
        E::FCVTZU_asimdmiscfp16_R | E::FCVTZU_asisdmiscfp16_R => (ToInt(Zero, true), true),
        E::SCVTF_asimdmiscfp16_R | E::SCVTF_asisdmiscfp16_R => (FromInt(false), true),
        E::UCVTF_asimdmiscfp16_R | E::UCVTF_asisdmiscfp16_R => (FromInt(true), true),
        E::FCMEQ_asimdmiscfp16_FZ | E::FCMEQ_asisdmiscfp16_FZ => (CmZero(0), true),
        E::FCMGE_asimdmiscfp16_FZ | E::FCMGE_asisdmiscfp16_FZ => (CmZero(1), true),
        E::FCMGT_asimdmiscfp16_FZ | E::FCMGT_asisdmiscfp16_FZ => (CmZero(2), true),
        E::FCMLE_asimdmiscfp16_FZ | E::FCMLE_asisdmiscfp16_FZ => (CmZero(3), true),
        E::FCMLT_asimdmiscfp16_FZ | E::FCMLT_asisdmiscfp16_FZ => (CmZero(4), true),
        E::FRECPE_asimdmiscfp16_R | E::FRECPE_asisdmiscfp16_R => (RecpE(false), true),
        E::FRSQRTE_asimdmiscfp16_R | E::FRSQRTE_asisdmiscfp16_R => (RsqrtE(false), true),
        E::FRECPX_asisdmiscfp16_R => (RecpX, true),
        _ => return None,
    })
}

pub(super) fn execute(cpu: &mut Cpu, i: Insn) -> Option<Exec> {
    if let Some((op, half, pairwise)) = three_same(i.id) {
        return Some(same(cpu, i, op, half, pairwise));
    }
    if let Some((op, half)) = misc(i.id) {
        return Some(unary(cpu, i, op, half));
    }
    Some(match i.id {
        E::BFCVT_BS_floatdp1
        | E::BFCVTN_asimdmisc_4S
        | E::BFDOT_asimdsame2_D
        | E::BFDOT_asimdelem_E
        | E::BFMLAL_asimdsame2_F_
        | E::BFMLAL_asimdelem_F
        | E::BFMMLA_asimdsame2_E => bf16(cpu, i),
        E::FADDP_asisdpair_only_H
        | E::FMAXP_asisdpair_only_H
        | E::FMINP_asisdpair_only_H
        | E::FMAXNMP_asisdpair_only_H
        | E::FMINNMP_asisdpair_only_H
        | E::FADDP_asisdpair_only_SD
        | E::FMAXP_asisdpair_only_SD
        | E::FMINP_asisdpair_only_SD
        | E::FMAXNMP_asisdpair_only_SD
        | E::FMINNMP_asisdpair_only_SD => scalar_pair(cpu, i),
        E::FMAXV_asimdall_only_H
        | E::FMINV_asimdall_only_H
        | E::FMAXNMV_asimdall_only_H
        | E::FMINNMV_asimdall_only_H
        | E::FMAXV_asimdall_only_SD
        | E::FMINV_asimdall_only_SD
        | E::FMAXNMV_asimdall_only_SD
        | E::FMINNMV_asimdall_only_SD => across(cpu, i),
        E::FMUL_asimdelem_RH_H
        | E::FMULX_asimdelem_RH_H
        | E::FMLA_asimdelem_RH_H
        | E::FMLS_asimdelem_RH_H
        | E::FMUL_asisdelem_RH_H
        | E::FMULX_asisdelem_RH_H
        | E::FMLA_asisdelem_RH_H
        | E::FMLS_asisdelem_RH_H
        | E::FMUL_asimdelem_R_SD
        | E::FMULX_asimdelem_R_SD
        | E::FMLA_asimdelem_R_SD
        | E::FMLS_asimdelem_R_SD
        | E::FMUL_asisdelem_R_SD
        | E::FMULX_asisdelem_R_SD
        | E::FMLA_asisdelem_R_SD
        | E::FMLS_asisdelem_R_SD => by_element(cpu, i),
        E::SCVTF_asimdshf_C
        | E::UCVTF_asimdshf_C
        | E::FCVTZS_asimdshf_C
        | E::FCVTZU_asimdshf_C
        | E::SCVTF_asisdshf_C
        | E::UCVTF_asisdshf_C
        | E::FCVTZS_asisdshf_C
        | E::FCVTZU_asisdshf_C => fixed_point(cpu, i),
        E::FCVTL_asimdmisc_L => fcvtl(cpu, i),
        E::FCVTN_asimdmisc_N | E::FCVTXN_asimdmisc_N | E::FCVTXN_asisdmisc_N => fcvtn(cpu, i),
        E::FMOV_asimdimm_H_h => {
            if !cpu.config.features.fp16 {
                return Some(i.undefined());
            }
            let imm8 = (i.bits(18, 16) << 5) | i.bits(9, 5);
            let h = super::fp::vfp_expand_imm(Fmt::H, imm8);
            let r = (0..8).fold(0u128, |acc, k| acc | (u128::from(h) << (16 * k)));
            v_result(cpu, i.rd(), r, if i.bit(30) { 128 } else { 64 })
        }
        E::FCADD_asimdsame2_C => fcadd(cpu, i),
        E::FCMLA_asimdsame2_C | E::FCMLA_advsimd_elt => fcmla(cpu, i),
        E::FMLAL_asimdsame_F
        | E::FMLAL2_asimdsame_F
        | E::FMLSL_asimdsame_F
        | E::FMLSL2_asimdsame_F
        | E::FMLAL_asimdelem_LH
        | E::FMLAL2_asimdelem_LH
        | E::FMLSL_asimdelem_LH
        | E::FMLSL2_asimdelem_LH => fmlal(cpu, i),
        _ => return None,
    })
}

/// The element size of a complex-number instruction (FCMA): size 01 half (FEAT_FP16), 10
/// single, 11 double (Q = 1 only).
fn complex_esize(cpu: &Cpu, i: Insn) -> Option<u32> {
    if !cpu.config.features.fcma {
        return None;
    }
    match i.bits(23, 22) {
        1 if cpu.config.features.fp16 => Some(16),
        2 => Some(32),
        3 if i.bit(30) => Some(64),
        _ => None,
    }
}

/// FCADD: complex add with the second operand rotated by 90 (rot = 0) or 270 degrees.
fn fcadd(cpu: &mut Cpu, i: Insn) -> Exec {
    let Some(esize) = complex_esize(cpu, i) else {
        return i.undefined();
    };
    let fmt = fmt_of(esize);
    let datasize = if i.bit(30) { 128 } else { 64 };
    let rot270 = i.bit(12);
    let (vn, vm) = (cpu.state.v[i.rn() as usize], cpu.state.v[i.rm() as usize]);
    let r = with_env(cpu, |env| {
        let mut r = 0u128;
        for e in 0..datasize / esize / 2 {
            let (re, im) = (elem(vm, 2 * e, esize), elem(vm, 2 * e + 1, esize));
            let (e1, e3) = if rot270 {
                (im, env.neg(fmt, re))
            } else {
                (env.neg(fmt, im), re)
            };
            let lo = env.add(fmt, elem(vn, 2 * e, esize), e1);
            let hi = env.add(fmt, elem(vn, 2 * e + 1, esize), e3);
            set_elem(&mut r, 2 * e, esize, lo);
            set_elem(&mut r, 2 * e + 1, esize, hi);
        }
        r
    });
    v_result(cpu, i.rd(), r, datasize)
}

/// FCMLA, vector and by element: one half of a complex multiply-accumulate, by rotation.
fn fcmla(cpu: &mut Cpu, i: Insn) -> Exec {
    let Some(esize) = complex_esize(cpu, i) else {
        return i.undefined();
    };
    let fmt = fmt_of(esize);
    let datasize = if i.bit(30) { 128 } else { 64 };
    let by_element = i.id == E::FCMLA_advsimd_elt;
    let (rot, index, rm) = if by_element {
        let (h, l) = (i.bits(11, 11), i.bits(21, 21));
        let index = match esize {
            16 if h == 1 && !i.bit(30) => return i.undefined(),
            16 => (h << 1) | l,
            32 if l == 1 || !i.bit(30) => return i.undefined(),
            32 => h,
            _ => return i.undefined(),
        };
        (i.bits(14, 13), Some(index), i.bits(20, 16))
    } else {
        (i.bits(12, 11), None, i.rm())
    };
    let (vn, vm, vd) = (
        cpu.state.v[i.rn() as usize],
        cpu.state.v[rm as usize],
        cpu.state.v[i.rd() as usize],
    );
    let r = with_env(cpu, |env| {
        let fpneg = *env;
        let neg = |x| fpneg.neg(fmt, x);
        let mut r = 0u128;
        for e in 0..datasize / esize / 2 {
            // By element, every lane pair takes the same pair of Vm.
            let pair = index.unwrap_or(e);
            let (m_re, m_im) = (elem(vm, 2 * pair, esize), elem(vm, 2 * pair + 1, esize));
            let (n_re, n_im) = (elem(vn, 2 * e, esize), elem(vn, 2 * e + 1, esize));
            let (e1, e2, e3, e4) = match rot {
                0 => (m_re, n_re, m_im, n_re),
                1 => (neg(m_im), n_im, m_re, n_im),
                2 => (neg(m_re), n_re, neg(m_im), n_re),
                _ => (m_im, n_im, neg(m_re), n_im),
            };
            let lo = env.mul_add(fmt, elem(vd, 2 * e, esize), e2, e1);
            let hi = env.mul_add(fmt, elem(vd, 2 * e + 1, esize), e4, e3);
            set_elem(&mut r, 2 * e, esize, lo);
            set_elem(&mut r, 2 * e + 1, esize, hi);
        }
        r
    });
    v_result(cpu, i.rd(), r, datasize)
}

/// FMLAL, FMLAL2, FMLSL, FMLSL2 (FEAT_FHM), vector and by element: single-precision lanes gain
/// the product of the lower (or, for the 2 forms, upper) half-precision lanes, one rounding.
fn fmlal(cpu: &mut Cpu, i: Insn) -> Exec {
    if !cpu.config.features.fhm || !cpu.config.features.fp16 {
        return i.undefined();
    }
    let id = i.id;
    let upper = matches!(
        id,
        E::FMLAL2_asimdsame_F
            | E::FMLSL2_asimdsame_F
            | E::FMLAL2_asimdelem_LH
            | E::FMLSL2_asimdelem_LH
    );
    let subtract = matches!(
        id,
        E::FMLSL_asimdsame_F
            | E::FMLSL2_asimdsame_F
            | E::FMLSL_asimdelem_LH
            | E::FMLSL2_asimdelem_LH
    );
    let by_element = matches!(
        id,
        E::FMLAL_asimdelem_LH
            | E::FMLAL2_asimdelem_LH
            | E::FMLSL_asimdelem_LH
            | E::FMLSL2_asimdelem_LH
    );
    let datasize = if i.bit(30) { 128 } else { 64 };
    let elements = datasize / 32;
    let (index, rm) = if by_element {
        let index = (i.bits(11, 11) << 2) | (i.bits(21, 21) << 1) | i.bits(20, 20);
        (Some(index), i.bits(19, 16))
    } else {
        (None, i.rm())
    };
    let (vn, vm, vd) = (
        cpu.state.v[i.rn() as usize],
        cpu.state.v[rm as usize],
        cpu.state.v[i.rd() as usize],
    );
    // The source lanes: the lower or upper datasize/2 bits.
    let base = if upper { elements } else { 0 };
    let r = with_env(cpu, |env| {
        let mut r = 0u128;
        for e in 0..elements {
            let a = elem(vn, base + e, 16);
            let a = if subtract { env.neg(Fmt::H, a) } else { a };
            let b = match index {
                Some(x) => elem(vm, x, 16),
                None => elem(vm, base + e, 16),
            };
            set_elem(&mut r, e, 32, env.mul_add_h(elem(vd, e, 32), a, b));
        }
        r
    });
    v_result(cpu, i.rd(), r, datasize)
}

fn same(cpu: &mut Cpu, i: Insn, op: Op2, half: bool, pairwise: bool) -> Exec {
    let Some(l) = lanes(cpu, i, half) else {
        return i.undefined();
    };
    let (vn, vm, vd) = (
        cpu.state.v[i.rn() as usize],
        cpu.state.v[i.rm() as usize],
        cpu.state.v[i.rd() as usize],
    );
    let elements = l.datasize / l.esize;
    let quiet = matches!(op, Op2::RecpS | Op2::RsqrtS);
    let run = |env: &mut Env| {
        let mut r = 0u128;
        for e in 0..elements {
            let (a, b) = if pairwise {
                // Pairs from the concatenation Vm:Vn.
                let src = if e < elements / 2 { vn } else { vm };
                let k = (e % (elements / 2)) * 2;
                (elem(src, k, l.esize), elem(src, k + 1, l.esize))
            } else {
                (elem(vn, e, l.esize), elem(vm, e, l.esize))
            };
            let y = op2(env, l.fmt, op, a, b, elem(vd, e, l.esize));
            set_elem(&mut r, e, l.esize, y);
        }
        r
    };
    let r = if quiet {
        with_env_quiet_under_ah(cpu, run)
    } else {
        with_env(cpu, run)
    };
    let compare = matches!(
        op,
        Op2::CmEq | Op2::CmGe | Op2::CmGt | Op2::AcGe | Op2::AcGt
    );
    // A compare keeps Vm's other bits, as QEMU 10 does (FEAT_AFP's ASL is not available here).
    let from = if compare { i.rm() } else { i.rn() };
    write_merging(cpu, i, l, r, from)
}

fn unary(cpu: &mut Cpu, i: Insn, op: Op1, half: bool) -> Exec {
    let needs = match op {
        Op1::RoundIntN(..) => cpu.config.features.frintts,
        _ => true,
    };
    let Some(l) = lanes(cpu, i, half).filter(|_| needs) else {
        return i.undefined();
    };
    let increased = cpu.config.features.rpres && cpu.state.fpcr & fpcr::AH != 0;
    let op = match op {
        Op1::RecpE(_) => Op1::RecpE(increased),
        Op1::RsqrtE(_) => Op1::RsqrtE(increased),
        op => op,
    };
    let vn = cpu.state.v[i.rn() as usize];
    let run = |env: &mut Env| {
        let mut r = 0u128;
        for e in 0..l.datasize / l.esize {
            set_elem(
                &mut r,
                e,
                l.esize,
                op1(env, l.fmt, op, elem(vn, e, l.esize)),
            );
        }
        r
    };
    let r = if matches!(op, Op1::RecpE(_) | Op1::RsqrtE(_) | Op1::RecpX) {
        with_env_quiet_under_ah(cpu, run)
    } else {
        with_env(cpu, run)
    };
    // One source: NEP keeps the destination's other bits.
    write_merging(cpu, i, l, r, i.rd())
}

fn pair_op(id: E) -> Op2 {
    match id {
        E::FADDP_asisdpair_only_H | E::FADDP_asisdpair_only_SD => Op2::Add,
        E::FMAXP_asisdpair_only_H | E::FMAXP_asisdpair_only_SD => Op2::Max,
        E::FMINP_asisdpair_only_H | E::FMINP_asisdpair_only_SD => Op2::Min,
        E::FMAXNMP_asisdpair_only_H | E::FMAXNMP_asisdpair_only_SD => Op2::MaxNm,
        E::FMAXV_asimdall_only_H | E::FMAXV_asimdall_only_SD => Op2::Max,
        E::FMINV_asimdall_only_H | E::FMINV_asimdall_only_SD => Op2::Min,
        E::FMAXNMV_asimdall_only_H | E::FMAXNMV_asimdall_only_SD => Op2::MaxNm,
        _ => Op2::MinNm,
    }
}

/// FADDP, FMAXP, ... (scalar): the two elements of Vn.
fn scalar_pair(cpu: &mut Cpu, i: Insn) -> Exec {
    let half = matches!(
        i.id,
        E::FADDP_asisdpair_only_H
            | E::FMAXP_asisdpair_only_H
            | E::FMINP_asisdpair_only_H
            | E::FMAXNMP_asisdpair_only_H
            | E::FMINNMP_asisdpair_only_H
    );
    let esize = if half {
        if !cpu.config.features.fp16 {
            return i.undefined();
        }
        16
    } else if i.bit(22) {
        64
    } else {
        32
    };
    let fmt = fmt_of(esize);
    let vn = cpu.state.v[i.rn() as usize];
    let op = pair_op(i.id);
    let r = with_env(cpu, |env| {
        op2(env, fmt, op, elem(vn, 0, esize), elem(vn, 1, esize), 0)
    });
    v_result(cpu, i.rd(), u128::from(r), 64)
}

/// `Reduce(op, input, esize)`: halves combined recursively, lower half first.
fn reduce(env: &mut Env, fmt: Fmt, op: Op2, v: u128, first: u32, count: u32, esize: u32) -> u64 {
    if count == 1 {
        return elem(v, first, esize);
    }
    let half = count / 2;
    let lo = reduce(env, fmt, op, v, first, half, esize);
    let hi = reduce(env, fmt, op, v, first + half, half, esize);
    op2(env, fmt, op, lo, hi, 0)
}

/// FMAXV, FMINV, FMAXNMV, FMINNMV: singles need Q = 1 (doubles are reserved); halves take 4 or
/// 8 lanes.
fn across(cpu: &mut Cpu, i: Insn) -> Exec {
    let half = matches!(
        i.id,
        E::FMAXV_asimdall_only_H
            | E::FMINV_asimdall_only_H
            | E::FMAXNMV_asimdall_only_H
            | E::FMINNMV_asimdall_only_H
    );
    let esize = if half {
        if !cpu.config.features.fp16 {
            return i.undefined();
        }
        16
    } else {
        if i.bit(22) || !i.bit(30) {
            return i.undefined();
        }
        32
    };
    let datasize = if i.bit(30) { 128 } else { 64 };
    let fmt = fmt_of(esize);
    let vn = cpu.state.v[i.rn() as usize];
    let op = pair_op(i.id);
    let r = with_env(cpu, |env| {
        reduce(env, fmt, op, vn, 0, datasize / esize, esize)
    });
    v_result(cpu, i.rd(), u128::from(r), 64)
}

/// FMUL, FMULX, FMLA, FMLS by element.
fn by_element(cpu: &mut Cpu, i: Insn) -> Exec {
    let half = matches!(
        i.id,
        E::FMUL_asimdelem_RH_H
            | E::FMULX_asimdelem_RH_H
            | E::FMLA_asimdelem_RH_H
            | E::FMLS_asimdelem_RH_H
            | E::FMUL_asisdelem_RH_H
            | E::FMULX_asisdelem_RH_H
            | E::FMLA_asisdelem_RH_H
            | E::FMLS_asisdelem_RH_H
    );
    let Some(l) = lanes(cpu, i, half) else {
        return i.undefined();
    };
    let (h, lo, m) = (i.bits(11, 11), i.bits(21, 21), i.bits(20, 20));
    let (index, rm) = match l.esize {
        16 => ((h << 2) | (lo << 1) | m, i.bits(19, 16)),
        32 => ((h << 1) | lo, i.bits(20, 16)),
        _ => {
            if lo == 1 {
                return i.undefined();
            }
            (h, i.bits(20, 16))
        }
    };
    let op = match i.id {
        E::FMUL_asimdelem_RH_H
        | E::FMUL_asisdelem_RH_H
        | E::FMUL_asimdelem_R_SD
        | E::FMUL_asisdelem_R_SD => Op2::Mul,
        E::FMULX_asimdelem_RH_H
        | E::FMULX_asisdelem_RH_H
        | E::FMULX_asimdelem_R_SD
        | E::FMULX_asisdelem_R_SD => Op2::MulX,
        E::FMLA_asimdelem_RH_H
        | E::FMLA_asisdelem_RH_H
        | E::FMLA_asimdelem_R_SD
        | E::FMLA_asisdelem_R_SD => Op2::Mla,
        _ => Op2::Mls,
    };
    let (vn, vd) = (cpu.state.v[i.rn() as usize], cpu.state.v[i.rd() as usize]);
    let b = elem(cpu.state.v[rm as usize], index, l.esize);
    let r = with_env(cpu, |env| {
        let mut r = 0u128;
        for e in 0..l.datasize / l.esize {
            let y = op2(
                env,
                l.fmt,
                op,
                elem(vn, e, l.esize),
                b,
                elem(vd, e, l.esize),
            );
            set_elem(&mut r, e, l.esize, y);
        }
        r
    });
    let accumulates = matches!(
        i.id,
        E::FMLA_asisdelem_RH_H
            | E::FMLS_asisdelem_RH_H
            | E::FMLA_asisdelem_R_SD
            | E::FMLS_asisdelem_R_SD
    );
    // The accumulator is the destination: NEP keeps the rest of it.
    let from = if accumulates { i.rd() } else { i.rn() };
    write_merging(cpu, i, l, r, from)
}

/// SCVTF, UCVTF, FCVTZS, FCVTZU with `fbits` fraction bits (shift-by-immediate encodings):
/// immh = 001x half (FEAT_FP16), 01xx single, 1xxx double.
fn fixed_point(cpu: &mut Cpu, i: Insn) -> Exec {
    let immh = i.bits(22, 19);
    let esize = match immh {
        0b0010 | 0b0011 if cpu.config.features.fp16 => 16,
        0b0100..=0b0111 => 32,
        0b1000..=0b1111 => 64,
        _ => return i.undefined(),
    };
    let scalar = i.bit(28);
    if !scalar && esize == 64 && !i.bit(30) {
        return i.undefined();
    }
    let fbits = 2 * esize - ((immh << 3) | i.bits(18, 16));
    let l = Lanes {
        fmt: fmt_of(esize),
        esize,
        datasize: if scalar {
            esize
        } else if i.bit(30) {
            128
        } else {
            64
        },
        scalar,
    };
    let vn = cpu.state.v[i.rn() as usize];
    let id = i.id;
    let r = with_env(cpu, |env| {
        let rounding = env.rounding();
        let mut r = 0u128;
        for e in 0..l.datasize / esize {
            let x = elem(vn, e, esize);
            let y = match id {
                E::SCVTF_asimdshf_C | E::SCVTF_asisdshf_C => {
                    env.fixed_to_fp(l.fmt, x, esize, fbits, false, rounding)
                }
                E::UCVTF_asimdshf_C | E::UCVTF_asisdshf_C => {
                    env.fixed_to_fp(l.fmt, x, esize, fbits, true, rounding)
                }
                E::FCVTZS_asimdshf_C | E::FCVTZS_asisdshf_C => {
                    env.to_fixed(l.fmt, x, fbits, false, esize, Rounding::Zero)
                }
                _ => env.to_fixed(l.fmt, x, fbits, true, esize, Rounding::Zero),
            };
            set_elem(&mut r, e, esize, y);
        }
        r
    });
    write_merging(cpu, i, l, r, i.rd())
}

/// FCVTL, FCVTL2: half to single (sz = 0) or single to double, from the lower or upper half.
fn fcvtl(cpu: &mut Cpu, i: Insn) -> Exec {
    let (from, to, esize) = if i.bit(22) {
        (Fmt::S, Fmt::D, 32)
    } else {
        (Fmt::H, Fmt::S, 16)
    };
    let v = cpu.state.v[i.rn() as usize];
    let src = if i.bit(30) { v >> 64 } else { v };
    let r = with_env(cpu, |env| {
        let rounding = env.rounding();
        let mut r = 0u128;
        for e in 0..64 / esize {
            let y = env.convert(from, to, elem(src, e, esize), rounding);
            set_elem(&mut r, e, 2 * esize, y);
        }
        r
    });
    v_result(cpu, i.rd(), r, 128)
}

/// FCVTN, FCVTN2 (single to half, double to single, FPCR rounding) and FCVTXN, FCVTXN2 (double
/// to single, rounding to odd), into the lower or upper half; scalar FCVTXN.
fn fcvtn(cpu: &mut Cpu, i: Insn) -> Exec {
    let odd = i.id != E::FCVTN_asimdmisc_N;
    if odd && !i.bit(22) {
        return i.undefined();
    }
    let (from, to, esize) = if i.bit(22) {
        (Fmt::D, Fmt::S, 32)
    } else {
        (Fmt::S, Fmt::H, 16)
    };
    let scalar = i.bit(28);
    let vn = cpu.state.v[i.rn() as usize];
    let r = with_env(cpu, |env| {
        let rounding = if odd { Rounding::Odd } else { env.rounding() };
        let mut r = 0u128;
        for e in 0..if scalar { 1 } else { 64 / esize } {
            let y = env.convert(from, to, elem(vn, e, 2 * esize), rounding);
            set_elem(&mut r, e, esize, y);
        }
        r
    });
    if scalar {
        super::fp::set_vreg_merging(cpu, i.rd(), r as u64, to, i.rd());
        return Ok(());
    }
    let old = cpu.state.v[i.rd() as usize];
    let r = if i.bit(30) {
        (old & u128::from(u64::MAX)) | (r << 64)
    } else {
        r
    };
    v_result(cpu, i.rd(), r, 128)
}

/// FEAT_BF16: BFCVT and BFCVTN/BFCVTN2 (single to BFloat16, rounded by FPCR), BFMLALB/BFMLALT
/// (a fused multiply-add of widened even or odd lanes, by FPCR), and BFDOT and BFMMLA, whose
/// products and sums follow the BFloat16 computation behaviours of `Env::bf_dot_add` (round to
/// odd, denormals flushed, default NaN, FPSR untouched) since FEAT_EBF16 is not offered.
fn bf16(cpu: &mut Cpu, i: Insn) -> Exec {
    if !cpu.config.features.bf16 {
        return i.undefined();
    }
    let (d, n) = (i.rd(), i.rn());
    let (vn, vd) = (cpu.state.v[n as usize], cpu.state.v[d as usize]);
    let h = |v: u128, k: u32| ((v >> (16 * k)) & 0xffff) as u64;
    let w = |v: u128, k: u32| ((v >> (32 * k)) & 0xffff_ffff) as u64;
    let from_words = |words: &[u64]| {
        words
            .iter()
            .enumerate()
            .fold(0u128, |acc, (k, &x)| acc | (u128::from(x) << (32 * k)))
    };
    let datasize = if i.bit(30) { 128 } else { 64 };
    match i.id {
        E::BFCVT_BS_floatdp1 => {
            let r = with_env_quiet_under_ah(cpu, |env| env.convert_bf(w(vn, 0)));
            super::fp::set_vreg_merging(cpu, d, r, Fmt::H, d);
            Ok(())
        }
        E::BFCVTN_asimdmisc_4S => {
            let r = with_env_quiet_under_ah(cpu, |env| {
                (0..4).fold(0u128, |acc, e| {
                    acc | (u128::from(env.convert_bf(w(vn, e))) << (16 * e))
                })
            });
            if i.bit(30) {
                // BFCVTN2: the upper half, keeping the lower.
                cpu.state.v[d as usize] = (vd & u128::from(u64::MAX)) | (r << 64);
                Ok(())
            } else {
                v_result(cpu, d, r, 64)
            }
        }
        E::BFDOT_asimdsame2_D | E::BFDOT_asimdelem_E => {
            let (vm, index) = if i.id == E::BFDOT_asimdelem_E {
                (
                    cpu.state.v[i.rm() as usize],
                    Some((i.bits(11, 11) << 1) | i.bits(21, 21)),
                )
            } else {
                (cpu.state.v[i.rm() as usize], None)
            };
            let words: Vec<u64> = (0..datasize / 32)
                .map(|e| {
                    let pair = index.unwrap_or(e);
                    Env::bf_dot_add(
                        w(vd, e),
                        h(vn, 2 * e),
                        h(vn, 2 * e + 1),
                        h(vm, 2 * pair),
                        h(vm, 2 * pair + 1),
                    )
                })
                .collect();
            v_result(cpu, d, from_words(&words), datasize)
        }
        E::BFMLAL_asimdsame2_F_ | E::BFMLAL_asimdelem_F => {
            let sel = i.bits(30, 30);
            let (vm, index) = if i.id == E::BFMLAL_asimdelem_F {
                let index = (i.bits(11, 11) << 2) | (i.bits(21, 21) << 1) | i.bits(20, 20);
                (cpu.state.v[i.bits(19, 16) as usize], Some(index))
            } else {
                (cpu.state.v[i.rm() as usize], None)
            };
            let words: Vec<u64> = with_env_quiet_under_ah(cpu, |env| {
                (0..4)
                    .map(|e| {
                        let a = h(vn, 2 * e + sel) << 16;
                        let b = h(vm, index.unwrap_or(2 * e + sel)) << 16;
                        env.mul_add(Fmt::S, w(vd, e), a, b)
                    })
                    .collect()
            });
            v_result(cpu, d, from_words(&words), 128)
        }
        _ => {
            // BFMMLA: Vd (2x2, single) += Vn (2x4, BFloat16) * transpose(Vm (2x4)).
            let vm = cpu.state.v[i.rm() as usize];
            let mut words = [0u64; 4];
            for r in 0..2u32 {
                for c in 0..2u32 {
                    let mut sum = w(vd, 2 * r + c);
                    for k in 0..2u32 {
                        sum = Env::bf_dot_add(
                            sum,
                            h(vn, 4 * r + 2 * k),
                            h(vn, 4 * r + 2 * k + 1),
                            h(vm, 4 * c + 2 * k),
                            h(vm, 4 * c + 2 * k + 1),
                        );
                    }
                    words[(2 * r + c) as usize] = sum;
                }
            }
            v_result(cpu, d, from_words(&words), 128)
        }
    }
}
