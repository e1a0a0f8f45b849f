//! Scalar floating point (FEAT_FP; FEAT_FP16, FEAT_FRINTTS and FEAT_JSCVT when configured): the
//! Arm ARM's "Data Processing -- Scalar Floating-Point and Advanced SIMD" encodings named
//! `float*`, over the exact arithmetic in [`crate::fp`]. Each instruction reads FPCR and ORs the
//! exceptions it raises into FPSR's cumulative flags.

#[cfg(test)]
mod tests;

use super::pseudocode::condition_holds;
use super::{Cpu, Exec, Insn};
use crate::decode::EncodingId as E;
use crate::fp::{Env, Fmt, Rounding};

/// The format named by `ftype` (bits 23:22): 00 single, 01 double, 11 half.
fn ftype(i: Insn) -> Option<Fmt> {
    match i.bits(23, 22) {
        0 => Some(Fmt::S),
        1 => Some(Fmt::D),
        3 => Some(Fmt::H),
        _ => None,
    }
}

/// The data format of an arithmetic encoding, or UNDEFINED for a half-precision form on a PE
/// without FEAT_FP16.
fn data_fmt(cpu: &Cpu, i: Insn) -> Result<Fmt, Exec> {
    match ftype(i) {
        Some(Fmt::H) if !cpu.config.features.fp16 => Err(i.undefined()),
        Some(fmt) => Ok(fmt),
        None => Err(i.undefined()),
    }
}

/// `data_fmt`, returning from the group's `execute` when UNDEFINED.
macro_rules! fmt_or_undefined {
    ($cpu:expr, $i:expr) => {
        match data_fmt($cpu, $i) {
            Ok(fmt) => fmt,
            Err(e) => return Some(e),
        }
    };
}

/// `V[n]` read as an element of `fmt`.
fn vreg(cpu: &Cpu, n: u32, fmt: Fmt) -> u64 {
    cpu.state.v[n as usize] as u64 & fmt.mask()
}

/// Writes `V[d]` with a scalar: the rest of the register is zeroed.
fn set_vreg(cpu: &mut Cpu, d: u32, x: u64, fmt: Fmt) {
    cpu.state.v[d as usize] = u128::from(x & fmt.mask());
}

/// Writes `V[d]` with the scalar result of an arithmetic instruction: the rest of the
/// register is zeroed, or under FPCR.NEP (FEAT_AFP) taken from `V[from]`, the register the
/// instruction names for it: the first of two sources, the addend of three, and for one source
/// (or a general register) the destination itself.
pub(super) fn set_vreg_merging(cpu: &mut Cpu, d: u32, x: u64, fmt: Fmt, from: u32) {
    let keep = if cpu.state.fpcr & crate::fp::fpcr::NEP != 0 {
        cpu.state.v[from as usize] & !u128::from(fmt.mask())
    } else {
        0
    };
    cpu.state.v[d as usize] = keep | u128::from(x & fmt.mask());
}

/// `VFPExpandImm(imm8)`.
pub(super) fn vfp_expand_imm(fmt: Fmt, imm8: u32) -> u64 {
    let (e, f) = match fmt {
        Fmt::H => (5, 10),
        Fmt::S => (8, 23),
        Fmt::D => (11, 52),
        Fmt::BF => (8, 7),
    };
    let imm8 = u64::from(imm8);
    let sign = imm8 >> 7;
    let b6 = (imm8 >> 6) & 1;
    // exp = NOT(imm8<6>) : Replicate(imm8<6>, E-3) : imm8<5:4>
    let exp = ((b6 ^ 1) << (e - 1))
        | (if b6 == 1 {
            ((1 << (e - 3)) - 1) << 2
        } else {
            0
        })
        | ((imm8 >> 4) & 3);
    let frac = (imm8 & 15) << (f - 4);
    (sign << (e + f)) | (exp << f) | frac
}

/// Runs `op` in the FP environment of FPCR and accumulates its flags into FPSR.
fn with_env<T>(cpu: &mut Cpu, op: impl FnOnce(&mut Env) -> T) -> T {
    let mut env = Env::new(cpu.state.fpcr);
    let r = op(&mut env);
    cpu.state.fpsr |= u64::from(env.flags);
    r
}

pub(super) fn execute(cpu: &mut Cpu, i: Insn) -> Option<Exec> {
    let (d, n, m) = (i.rd(), i.rn(), i.rm());
    Some(match i.id {
        E::FADD_H_floatdp2
        | E::FADD_S_floatdp2
        | E::FADD_D_floatdp2
        | E::FSUB_H_floatdp2
        | E::FSUB_S_floatdp2
        | E::FSUB_D_floatdp2
        | E::FMUL_H_floatdp2
        | E::FMUL_S_floatdp2
        | E::FMUL_D_floatdp2
        | E::FNMUL_H_floatdp2
        | E::FNMUL_S_floatdp2
        | E::FNMUL_D_floatdp2
        | E::FDIV_H_floatdp2
        | E::FDIV_S_floatdp2
        | E::FDIV_D_floatdp2
        | E::FMAX_H_floatdp2
        | E::FMAX_S_floatdp2
        | E::FMAX_D_floatdp2
        | E::FMIN_H_floatdp2
        | E::FMIN_S_floatdp2
        | E::FMIN_D_floatdp2
        | E::FMAXNM_H_floatdp2
        | E::FMAXNM_S_floatdp2
        | E::FMAXNM_D_floatdp2
        | E::FMINNM_H_floatdp2
        | E::FMINNM_S_floatdp2
        | E::FMINNM_D_floatdp2 => {
            let fmt = fmt_or_undefined!(cpu, i);
            let (a, b) = (vreg(cpu, n, fmt), vreg(cpu, m, fmt));
            let r = with_env(cpu, |env| match i.bits(15, 12) {
                0b0000 => env.mul(fmt, a, b),
                0b0001 => env.div(fmt, a, b),
                0b0010 => env.add(fmt, a, b),
                0b0011 => env.sub(fmt, a, b),
                0b0100 => env.max(fmt, a, b),
                0b0101 => env.min(fmt, a, b),
                0b0110 => env.max_num(fmt, a, b),
                0b0111 => env.min_num(fmt, a, b),
                _ => {
                    let p = env.mul(fmt, a, b);
                    env.neg(fmt, p)
                }
            });
            set_vreg_merging(cpu, d, r, fmt, n);
            Ok(())
        }
        E::FMADD_H_floatdp3
        | E::FMADD_S_floatdp3
        | E::FMADD_D_floatdp3
        | E::FMSUB_H_floatdp3
        | E::FMSUB_S_floatdp3
        | E::FMSUB_D_floatdp3
        | E::FNMADD_H_floatdp3
        | E::FNMADD_S_floatdp3
        | E::FNMADD_D_floatdp3
        | E::FNMSUB_H_floatdp3
        | E::FNMSUB_S_floatdp3
        | E::FNMSUB_D_floatdp3 => {
            let fmt = fmt_or_undefined!(cpu, i);
            let (o1, o0) = (i.bit(21), i.bit(15));
            let ra = i.bits(14, 10);
            let mut addend = vreg(cpu, ra, fmt);
            let mut a = vreg(cpu, n, fmt);
            let b = vreg(cpu, m, fmt);
            let r = with_env(cpu, |env| {
                if o1 {
                    addend = env.neg(fmt, addend);
                }
                if o0 != o1 {
                    a = env.neg(fmt, a);
                }
                env.mul_add(fmt, addend, a, b)
            });
            set_vreg_merging(cpu, d, r, fmt, ra);
            Ok(())
        }
        E::FMOV_H_floatdp1
        | E::FMOV_S_floatdp1
        | E::FMOV_D_floatdp1
        | E::FABS_H_floatdp1
        | E::FABS_S_floatdp1
        | E::FABS_D_floatdp1
        | E::FNEG_H_floatdp1
        | E::FNEG_S_floatdp1
        | E::FNEG_D_floatdp1
        | E::FSQRT_H_floatdp1
        | E::FSQRT_S_floatdp1
        | E::FSQRT_D_floatdp1
        | E::FRINTN_H_floatdp1
        | E::FRINTN_S_floatdp1
        | E::FRINTN_D_floatdp1
        | E::FRINTP_H_floatdp1
        | E::FRINTP_S_floatdp1
        | E::FRINTP_D_floatdp1
        | E::FRINTM_H_floatdp1
        | E::FRINTM_S_floatdp1
        | E::FRINTM_D_floatdp1
        | E::FRINTZ_H_floatdp1
        | E::FRINTZ_S_floatdp1
        | E::FRINTZ_D_floatdp1
        | E::FRINTA_H_floatdp1
        | E::FRINTA_S_floatdp1
        | E::FRINTA_D_floatdp1
        | E::FRINTX_H_floatdp1
        | E::FRINTX_S_floatdp1
        | E::FRINTX_D_floatdp1
        | E::FRINTI_H_floatdp1
        | E::FRINTI_S_floatdp1
        | E::FRINTI_D_floatdp1
        | E::FRINT32Z_S_floatdp1
        | E::FRINT32Z_D_floatdp1
        | E::FRINT32X_S_floatdp1
        | E::FRINT32X_D_floatdp1
        | E::FRINT64Z_S_floatdp1
        | E::FRINT64Z_D_floatdp1
        | E::FRINT64X_S_floatdp1
        | E::FRINT64X_D_floatdp1 => {
            let fmt = fmt_or_undefined!(cpu, i);
            if i.bits(20, 17) == 0b0100 && !cpu.config.features.frintts {
                return Some(i.undefined());
            }
            let a = vreg(cpu, n, fmt);
            let r = with_env(cpu, |env| {
                let current = env.rounding();
                match i.bits(20, 15) {
                    0b000000 => a,
                    0b000001 => env.abs(fmt, a),
                    0b000010 => env.neg(fmt, a),
                    0b000011 => env.sqrt(fmt, a),
                    0b001000 => env.round_int(fmt, a, Rounding::TieEven, false),
                    0b001001 => env.round_int(fmt, a, Rounding::PosInf, false),
                    0b001010 => env.round_int(fmt, a, Rounding::NegInf, false),
                    0b001011 => env.round_int(fmt, a, Rounding::Zero, false),
                    0b001100 => env.round_int(fmt, a, Rounding::TieAway, false),
                    0b001110 => env.round_int(fmt, a, current, true),
                    0b001111 => env.round_int(fmt, a, current, false),
                    0b010000 => env.round_int_n(fmt, a, Rounding::Zero, 32),
                    0b010001 => env.round_int_n(fmt, a, current, 32),
                    0b010010 => env.round_int_n(fmt, a, Rounding::Zero, 64),
                    _ => env.round_int_n(fmt, a, current, 64),
                }
            });
            // FMOV (register) is a move, not arithmetic: NEP leaves it alone. The others have
            // one source and keep the destination's other bits.
            if i.bits(20, 15) == 0 {
                set_vreg(cpu, d, r, fmt);
            } else {
                set_vreg_merging(cpu, d, r, fmt, d);
            }
            Ok(())
        }
        E::FCVT_SH_floatdp1
        | E::FCVT_DH_floatdp1
        | E::FCVT_HS_floatdp1
        | E::FCVT_DS_floatdp1
        | E::FCVT_HD_floatdp1
        | E::FCVT_SD_floatdp1 => {
            let from = ftype(i)?;
            let to = match i.bits(16, 15) {
                0 => Fmt::S,
                1 => Fmt::D,
                _ => Fmt::H,
            };
            let a = vreg(cpu, n, from);
            let r = with_env(cpu, |env| {
                let rounding = env.rounding();
                env.convert(from, to, a, rounding)
            });
            set_vreg_merging(cpu, d, r, to, d);
            Ok(())
        }
        E::FCMP_H_floatcmp
        | E::FCMP_S_floatcmp
        | E::FCMP_D_floatcmp
        | E::FCMP_HZ_floatcmp
        | E::FCMP_SZ_floatcmp
        | E::FCMP_DZ_floatcmp
        | E::FCMPE_H_floatcmp
        | E::FCMPE_S_floatcmp
        | E::FCMPE_D_floatcmp
        | E::FCMPE_HZ_floatcmp
        | E::FCMPE_SZ_floatcmp
        | E::FCMPE_DZ_floatcmp => {
            let fmt = fmt_or_undefined!(cpu, i);
            let a = vreg(cpu, n, fmt);
            let b = if i.bit(3) { 0 } else { vreg(cpu, m, fmt) };
            let nzcv = with_env(cpu, |env| env.compare(fmt, a, b, i.bit(4)));
            cpu.state.pstate.set_nzcv(nzcv);
            Ok(())
        }
        E::FCCMP_H_floatccmp
        | E::FCCMP_S_floatccmp
        | E::FCCMP_D_floatccmp
        | E::FCCMPE_H_floatccmp
        | E::FCCMPE_S_floatccmp
        | E::FCCMPE_D_floatccmp => {
            let fmt = fmt_or_undefined!(cpu, i);
            let nzcv = if condition_holds(i.bits(15, 12), &cpu.state.pstate) {
                let (a, b) = (vreg(cpu, n, fmt), vreg(cpu, m, fmt));
                with_env(cpu, |env| env.compare(fmt, a, b, i.bit(4)))
            } else {
                i.bits(3, 0) as u8
            };
            cpu.state.pstate.set_nzcv(nzcv);
            Ok(())
        }
        E::FCSEL_H_floatsel | E::FCSEL_S_floatsel | E::FCSEL_D_floatsel => {
            let fmt = fmt_or_undefined!(cpu, i);
            let src = if condition_holds(i.bits(15, 12), &cpu.state.pstate) {
                n
            } else {
                m
            };
            let r = vreg(cpu, src, fmt);
            set_vreg(cpu, d, r, fmt);
            Ok(())
        }
        E::FMOV_H_floatimm | E::FMOV_S_floatimm | E::FMOV_D_floatimm => {
            let fmt = fmt_or_undefined!(cpu, i);
            set_vreg(cpu, d, vfp_expand_imm(fmt, i.bits(20, 13)), fmt);
            Ok(())
        }
        E::FMOV_32H_float2int | E::FMOV_64H_float2int => {
            let fmt = fmt_or_undefined!(cpu, i);
            cpu.state.set_xr(d, vreg(cpu, n, fmt));
            Ok(())
        }
        E::FMOV_H32_float2int | E::FMOV_H64_float2int => {
            let fmt = fmt_or_undefined!(cpu, i);
            let x = cpu.state.xr(n);
            set_vreg(cpu, d, x, fmt);
            Ok(())
        }
        E::FJCVTZS_32D_float2int => {
            if !cpu.config.features.jscvt {
                return Some(i.undefined());
            }
            let a = vreg(cpu, n, Fmt::D);
            let (r, z) = with_env(cpu, |env| env.to_fixed_js(a));
            cpu.state.set_xr(d, u64::from(r));
            cpu.state.pstate.set_nzcv(if z { 0b0100 } else { 0 });
            Ok(())
        }
        E::SCVTF_H32_float2int
        | E::SCVTF_H64_float2int
        | E::SCVTF_S32_float2int
        | E::SCVTF_S64_float2int
        | E::SCVTF_D32_float2int
        | E::SCVTF_D64_float2int
        | E::UCVTF_H32_float2int
        | E::UCVTF_H64_float2int
        | E::UCVTF_S32_float2int
        | E::UCVTF_S64_float2int
        | E::UCVTF_D32_float2int
        | E::UCVTF_D64_float2int => int_to_fp(cpu, i, 0)?,
        E::SCVTF_H32_float2fix
        | E::SCVTF_H64_float2fix
        | E::SCVTF_S32_float2fix
        | E::SCVTF_S64_float2fix
        | E::SCVTF_D32_float2fix
        | E::SCVTF_D64_float2fix
        | E::UCVTF_H32_float2fix
        | E::UCVTF_H64_float2fix
        | E::UCVTF_S32_float2fix
        | E::UCVTF_S64_float2fix
        | E::UCVTF_D32_float2fix
        | E::UCVTF_D64_float2fix => {
            let scale = i.bits(15, 10);
            if !i.bit(31) && scale < 32 {
                return Some(i.undefined());
            }
            int_to_fp(cpu, i, 64 - scale)?
        }
        E::FCVTNS_32H_float2int
        | E::FCVTNS_64H_float2int
        | E::FCVTNS_32S_float2int
        | E::FCVTNS_64S_float2int
        | E::FCVTNS_32D_float2int
        | E::FCVTNS_64D_float2int
        | E::FCVTNU_32H_float2int
        | E::FCVTNU_64H_float2int
        | E::FCVTNU_32S_float2int
        | E::FCVTNU_64S_float2int
        | E::FCVTNU_32D_float2int
        | E::FCVTNU_64D_float2int
        | E::FCVTPS_32H_float2int
        | E::FCVTPS_64H_float2int
        | E::FCVTPS_32S_float2int
        | E::FCVTPS_64S_float2int
        | E::FCVTPS_32D_float2int
        | E::FCVTPS_64D_float2int
        | E::FCVTPU_32H_float2int
        | E::FCVTPU_64H_float2int
        | E::FCVTPU_32S_float2int
        | E::FCVTPU_64S_float2int
        | E::FCVTPU_32D_float2int
        | E::FCVTPU_64D_float2int
        | E::FCVTMS_32H_float2int
        | E::FCVTMS_64H_float2int
        | E::FCVTMS_32S_float2int
        | E::FCVTMS_64S_float2int
        | E::FCVTMS_32D_float2int
        | E::FCVTMS_64D_float2int
        | E::FCVTMU_32H_float2int
        | E::FCVTMU_64H_float2int
        | E::FCVTMU_32S_float2int
        | E::FCVTMU_64S_float2int
        | E::FCVTMU_32D_float2int
        | E::FCVTMU_64D_float2int
        | E::FCVTZS_32H_float2int
        | E::FCVTZS_64H_float2int
        | E::FCVTZS_32S_float2int
        | E::FCVTZS_64S_float2int
        | E::FCVTZS_32D_float2int
        | E::FCVTZS_64D_float2int
        | E::FCVTZU_32H_float2int
        | E::FCVTZU_64H_float2int
        | E::FCVTZU_32S_float2int
        | E::FCVTZU_64S_float2int
        | E::FCVTZU_32D_float2int
        | E::FCVTZU_64D_float2int
        | E::FCVTAS_32H_float2int
        | E::FCVTAS_64H_float2int
        | E::FCVTAS_32S_float2int
        | E::FCVTAS_64S_float2int
        | E::FCVTAS_32D_float2int
        | E::FCVTAS_64D_float2int
        | E::FCVTAU_32H_float2int
        | E::FCVTAU_64H_float2int
        | E::FCVTAU_32S_float2int
        | E::FCVTAU_64S_float2int
        | E::FCVTAU_32D_float2int
        | E::FCVTAU_64D_float2int => {
            // opcode<2:1> = 10 is FCVTA*: ties away; otherwise rmode names the rounding.
            let rounding = if i.bit(18) {
                Rounding::TieAway
            } else {
                Rounding::decode(u64::from(i.bits(20, 19)))
            };
            fp_to_int(cpu, i, 0, rounding)?
        }
        E::FCVTZS_32H_float2fix
        | E::FCVTZS_64H_float2fix
        | E::FCVTZS_32S_float2fix
        | E::FCVTZS_64S_float2fix
        | E::FCVTZS_32D_float2fix
        | E::FCVTZS_64D_float2fix
        | E::FCVTZU_32H_float2fix
        | E::FCVTZU_64H_float2fix
        | E::FCVTZU_32S_float2fix
        | E::FCVTZU_64S_float2fix
        | E::FCVTZU_32D_float2fix
        | E::FCVTZU_64D_float2fix => {
            let scale = i.bits(15, 10);
            if !i.bit(31) && scale < 32 {
                return Some(i.undefined());
            }
            fp_to_int(cpu, i, 64 - scale, Rounding::Zero)?
        }
        _ => return None,
    })
}

/// SCVTF/UCVTF (scalar, integer or fixed-point): bit 16 clear is signed.
fn int_to_fp(cpu: &mut Cpu, i: Insn, fbits: u32) -> Option<Exec> {
    let fmt = fmt_or_undefined!(cpu, i);
    let intsize = if i.bit(31) { 64 } else { 32 };
    let unsigned = i.bit(16);
    let x = cpu.state.xr(i.rn());
    let r = with_env(cpu, |env| {
        let rounding = env.rounding();
        env.fixed_to_fp(fmt, x, intsize, fbits, unsigned, rounding)
    });
    // From a general register: NEP keeps the rest of the destination.
    set_vreg_merging(cpu, i.rd(), r, fmt, i.rd());
    Some(Ok(()))
}

/// FCVT<r>S/U (scalar, integer or fixed-point): bit 16 set is unsigned.
fn fp_to_int(cpu: &mut Cpu, i: Insn, fbits: u32, rounding: Rounding) -> Option<Exec> {
    let fmt = fmt_or_undefined!(cpu, i);
    let intsize = if i.bit(31) { 64 } else { 32 };
    let unsigned = i.bit(16);
    let a = vreg(cpu, i.rn(), fmt);
    let r = with_env(cpu, |env| {
        env.to_fixed(fmt, a, fbits, unsigned, intsize, rounding)
    });
    cpu.state.set_xr(i.rd(), r);
    Some(Ok(()))
}
