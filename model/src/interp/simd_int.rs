//! SIMD&FP: Advanced SIMD integer groups, whole, after the Arm ARM's encoding groups: three
//! registers of different widths (`asimddiff`: long, wide and narrowing-high arithmetic,
//! multiply-accumulate long, saturating doubling multiplies, PMULL), shift by immediate
//! (`asimdshf`, `asisdshf`: every integer shift, rounding, accumulating, inserting, narrowing,
//! saturating and lengthening form), and the shifts by register of the three-same group
//! (`SSHL`, `USHL`, `SRSHL`, `URSHL`, `SQSHL`, `UQSHL`, `SQRSHL`, `UQRSHL`), vector and scalar;
//! and the rest of the integer three-same, two-register miscellaneous, across-lanes and
//! by-element instructions that `simd.rs` (the string-routine subset) does not have: halving,
//! saturating, min/max, absolute difference, multiply and doubling-multiply-high arithmetic,
//! pairwise long adds, counts, saturating narrows, SHLL, RBIT, URECPE/URSQRTE, SADDLV/SMAXV/
//! SMINV, scalar DUP, TRN1/TRN2 and TBX.
//!
//! Elements are computed in i128, wide enough for every intermediate the pseudocode forms
//! (a 64-bit element shifted or doubled, plus a rounding constant), then saturated or
//! truncated; saturation sets FPSR.QC.

use super::simd::{elem, mask, set_elem, sext, v_result};
use super::{Cpu, Exec, Insn};
use crate::decode::EncodingId as E;

/// FPSR.QC, the cumulative saturation bit.
const QC: u64 = 1 << 27;

/// `SatQ(i, N, unsigned)`: `i` clamped to N bits, and whether it was clamped.
fn sat(i: i128, n: u32, unsigned: bool) -> (u64, bool) {
    let (lo, hi) = if unsigned {
        (0i128, (1i128 << n) - 1)
    } else {
        (-(1i128 << (n - 1)), (1i128 << (n - 1)) - 1)
    };
    let c = i.clamp(lo, hi);
    (c as u64 & mask(n), c != i)
}

/// `Int(x<n-1:0>, unsigned)`.
fn int(x: u64, n: u32, unsigned: bool) -> i128 {
    if unsigned {
        i128::from(x & mask(n))
    } else {
        i128::from(sext(x, n))
    }
}

/// The upper or lower 64 bits of a register (`Vpart[n, part]`).
fn vpart(v: u128, upper: bool) -> u128 {
    if upper {
        v >> 64
    } else {
        v & u128::from(u64::MAX)
    }
}

/// Writes a 64-bit narrowed result to the lower half (clearing the rest) or, for the "2"
/// forms, the upper half (keeping the lower).
fn write_part(cpu: &mut Cpu, d: u32, result: u128, upper: bool) -> Exec {
    let old = cpu.state.v[d as usize];
    let r = if upper {
        (old & u128::from(u64::MAX)) | (result << 64)
    } else {
        result & u128::from(u64::MAX)
    };
    v_result(cpu, d, r, 128)
}

fn set_qc(cpu: &mut Cpu, saturated: bool) {
    if saturated {
        cpu.state.fpsr |= QC;
    }
}

pub(super) fn execute(cpu: &mut Cpu, i: Insn) -> Option<Exec> {
    match i.id {
        E::SADDL_asimddiff_L
        | E::UADDL_asimddiff_L
        | E::SSUBL_asimddiff_L
        | E::USUBL_asimddiff_L
        | E::SADDW_asimddiff_W
        | E::UADDW_asimddiff_W
        | E::SSUBW_asimddiff_W
        | E::USUBW_asimddiff_W
        | E::SABAL_asimddiff_L
        | E::UABAL_asimddiff_L
        | E::SABDL_asimddiff_L
        | E::UABDL_asimddiff_L
        | E::SMLAL_asimddiff_L
        | E::UMLAL_asimddiff_L
        | E::SMLSL_asimddiff_L
        | E::UMLSL_asimddiff_L
        | E::SMULL_asimddiff_L
        | E::UMULL_asimddiff_L
        | E::SQDMLAL_asimddiff_L
        | E::SQDMLSL_asimddiff_L
        | E::SQDMULL_asimddiff_L
        | E::SQDMLAL_asisddiff_only
        | E::SQDMLSL_asisddiff_only
        | E::SQDMULL_asisddiff_only => Some(long(cpu, i)),
        E::ADDHN_asimddiff_N
        | E::RADDHN_asimddiff_N
        | E::SUBHN_asimddiff_N
        | E::RSUBHN_asimddiff_N => Some(narrow_high(cpu, i)),
        E::PMULL_asimddiff_L => Some(pmull(cpu, i)),
        E::SSHR_asimdshf_R
        | E::USHR_asimdshf_R
        | E::SRSHR_asimdshf_R
        | E::URSHR_asimdshf_R
        | E::SSRA_asimdshf_R
        | E::USRA_asimdshf_R
        | E::SRSRA_asimdshf_R
        | E::URSRA_asimdshf_R
        | E::SRI_asimdshf_R
        | E::SHL_asimdshf_R
        | E::SLI_asimdshf_R
        | E::SQSHL_asimdshf_R
        | E::UQSHL_asimdshf_R
        | E::SQSHLU_asimdshf_R
        | E::SSHR_asisdshf_R
        | E::USHR_asisdshf_R
        | E::SRSHR_asisdshf_R
        | E::URSHR_asisdshf_R
        | E::SSRA_asisdshf_R
        | E::USRA_asisdshf_R
        | E::SRSRA_asisdshf_R
        | E::URSRA_asisdshf_R
        | E::SRI_asisdshf_R
        | E::SHL_asisdshf_R
        | E::SLI_asisdshf_R
        | E::SQSHL_asisdshf_R
        | E::UQSHL_asisdshf_R
        | E::SQSHLU_asisdshf_R => Some(shift_imm(cpu, i)),
        E::SHRN_asimdshf_N
        | E::RSHRN_asimdshf_N
        | E::SQSHRN_asimdshf_N
        | E::UQSHRN_asimdshf_N
        | E::SQRSHRN_asimdshf_N
        | E::UQRSHRN_asimdshf_N
        | E::SQSHRUN_asimdshf_N
        | E::SQRSHRUN_asimdshf_N
        | E::SQSHRN_asisdshf_N
        | E::UQSHRN_asisdshf_N
        | E::SQRSHRN_asisdshf_N
        | E::UQRSHRN_asisdshf_N
        | E::SQSHRUN_asisdshf_N
        | E::SQRSHRUN_asisdshf_N => Some(shift_narrow(cpu, i)),
        E::SSHLL_asimdshf_L | E::USHLL_asimdshf_L => Some(shift_long(cpu, i)),
        E::SSHL_asimdsame_only
        | E::USHL_asimdsame_only
        | E::SRSHL_asimdsame_only
        | E::URSHL_asimdsame_only
        | E::SQSHL_asimdsame_only
        | E::UQSHL_asimdsame_only
        | E::SQRSHL_asimdsame_only
        | E::UQRSHL_asimdsame_only
        | E::SSHL_asisdsame_only
        | E::USHL_asisdsame_only
        | E::SRSHL_asisdsame_only
        | E::URSHL_asisdsame_only
        | E::SQSHL_asisdsame_only
        | E::UQSHL_asisdsame_only
        | E::SQRSHL_asisdsame_only
        | E::UQRSHL_asisdsame_only => Some(shift_reg(cpu, i)),
        _ => execute_same_misc(cpu, i),
    }
}

/// The long and wide forms of `asimddiff`: elements of `esize` (the second operand's, and the
/// first's unless wide) give results of `2 * esize`.
fn long(cpu: &mut Cpu, i: Insn) -> Exec {
    let size = i.bits(23, 22);
    let unsigned = i.bit(29);
    let upper = i.bit(30);
    let id = i.id;
    let doubling = matches!(
        id,
        E::SQDMLAL_asimddiff_L
            | E::SQDMLSL_asimddiff_L
            | E::SQDMULL_asimddiff_L
            | E::SQDMLAL_asisddiff_only
            | E::SQDMLSL_asisddiff_only
            | E::SQDMULL_asisddiff_only
    );
    // The scalar forms take element 0 of each operand (and write one wide element).
    let scalar = i.bits(28, 28) == 1;
    if size == 3 || (doubling && size == 0) {
        return i.undefined();
    }
    let esize = 8u32 << size;
    let wide = matches!(
        id,
        E::SADDW_asimddiff_W | E::UADDW_asimddiff_W | E::SSUBW_asimddiff_W | E::USUBW_asimddiff_W
    );
    let (vn, vm, vd) = (
        cpu.state.v[i.rn() as usize],
        cpu.state.v[i.rm() as usize],
        cpu.state.v[i.rd() as usize],
    );
    let (op1, op2) = if scalar {
        (vn, vm)
    } else {
        (if wide { vn } else { vpart(vn, upper) }, vpart(vm, upper))
    };
    let mut r = 0u128;
    let mut saturated = false;
    for e in 0..if scalar { 1 } else { 64 / esize } {
        let a = if wide {
            int(elem(op1, e, 2 * esize), 2 * esize, unsigned)
        } else {
            int(elem(op1, e, esize), esize, unsigned)
        };
        let b = int(elem(op2, e, esize), esize, unsigned);
        let acc = int(elem(vd, e, 2 * esize), 2 * esize, unsigned);
        let x = match id {
            E::SADDL_asimddiff_L
            | E::UADDL_asimddiff_L
            | E::SADDW_asimddiff_W
            | E::UADDW_asimddiff_W => a + b,
            E::SSUBL_asimddiff_L
            | E::USUBL_asimddiff_L
            | E::SSUBW_asimddiff_W
            | E::USUBW_asimddiff_W => a - b,
            E::SABAL_asimddiff_L | E::UABAL_asimddiff_L => acc + (a - b).abs(),
            E::SABDL_asimddiff_L | E::UABDL_asimddiff_L => (a - b).abs(),
            E::SMLAL_asimddiff_L | E::UMLAL_asimddiff_L => acc + a * b,
            E::SMLSL_asimddiff_L | E::UMLSL_asimddiff_L => acc - a * b,
            E::SMULL_asimddiff_L | E::UMULL_asimddiff_L => a * b,
            _ => {
                let (product, s1) = sat(2 * a * b, 2 * esize, false);
                let product = i128::from(sext(product, 2 * esize));
                let (x, s2) = match id {
                    E::SQDMLAL_asimddiff_L | E::SQDMLAL_asisddiff_only => {
                        sat(acc + product, 2 * esize, false)
                    }
                    E::SQDMLSL_asimddiff_L | E::SQDMLSL_asisddiff_only => {
                        sat(acc - product, 2 * esize, false)
                    }
                    _ => (product as u64 & mask(2 * esize), false),
                };
                saturated |= s1 || s2;
                i128::from(x)
            }
        };
        set_elem(&mut r, e, 2 * esize, x as u64);
    }
    set_qc(cpu, saturated);
    v_result(cpu, i.rd(), r, if scalar { 64 } else { 128 })
}

/// ADDHN, RADDHN, SUBHN, RSUBHN: the high halves of sums or differences of `2 * esize`
/// elements, rounded for the R forms, into the lower or (Q = 1) upper half of Vd.
fn narrow_high(cpu: &mut Cpu, i: Insn) -> Exec {
    let size = i.bits(23, 22);
    if size == 3 {
        return i.undefined();
    }
    let esize = 8u32 << size;
    let (vn, vm) = (cpu.state.v[i.rn() as usize], cpu.state.v[i.rm() as usize]);
    let sub = matches!(i.id, E::SUBHN_asimddiff_N | E::RSUBHN_asimddiff_N);
    let round = if i.bit(29) { 1u128 << (esize - 1) } else { 0 };
    let mut r = 0u128;
    for e in 0..64 / esize {
        let (a, b) = (
            u128::from(elem(vn, e, 2 * esize)),
            u128::from(elem(vm, e, 2 * esize)),
        );
        let s = if sub {
            a.wrapping_sub(b)
        } else {
            a.wrapping_add(b)
        };
        set_elem(&mut r, e, esize, (s.wrapping_add(round) >> esize) as u64);
    }
    write_part(cpu, i.rd(), r, i.bit(30))
}

/// PMULL, PMULL2: polynomial (carry-less) multiplication of 8-bit elements into 16, or
/// (FEAT_PMULL) of one 64-bit element into 128.
fn pmull(cpu: &mut Cpu, i: Insn) -> Exec {
    let size = i.bits(23, 22);
    let upper = i.bit(30);
    let (vn, vm) = (
        vpart(cpu.state.v[i.rn() as usize], upper),
        vpart(cpu.state.v[i.rm() as usize], upper),
    );
    let clmul = |a: u128, b: u128, bits: u32| {
        (0..bits)
            .filter(|k| b >> k & 1 == 1)
            .fold(0u128, |acc, k| acc ^ (a << k))
    };
    match size {
        0 => {
            let mut r = 0u128;
            for e in 0..8 {
                let p = clmul(u128::from(elem(vn, e, 8)), u128::from(elem(vm, e, 8)), 8);
                set_elem(&mut r, e, 16, p as u64);
            }
            v_result(cpu, i.rd(), r, 128)
        }
        3 if cpu.config.features.pmull => {
            let p = clmul(vn, vm, 64);
            v_result(cpu, i.rd(), p, 128)
        }
        _ => i.undefined(),
    }
}

/// Element size and the two shift amounts of the shift-by-immediate group from immh:immb:
/// `(esize, right, left)` with right = 2 * esize - immh:immb and left = immh:immb - esize.
fn shift_amounts(i: Insn) -> Option<(u32, u32, u32)> {
    let immh = i.bits(22, 19);
    if immh == 0 {
        return None;
    }
    let esize = 8u32 << (31 - immh.leading_zeros());
    let imm = (immh << 3) | i.bits(18, 16);
    Some((esize, 2 * esize - imm, imm - esize))
}

/// The same-width shifts by immediate, vector and scalar.
fn shift_imm(cpu: &mut Cpu, i: Insn) -> Exec {
    let Some((esize, right, left)) = shift_amounts(i) else {
        return i.undefined();
    };
    let scalar = i.bits(28, 28) == 1;
    let id = i.id;
    let saturating_left = matches!(
        id,
        E::SQSHL_asimdshf_R
            | E::UQSHL_asimdshf_R
            | E::SQSHLU_asimdshf_R
            | E::SQSHL_asisdshf_R
            | E::UQSHL_asisdshf_R
            | E::SQSHLU_asisdshf_R
    );
    // Scalar forms other than the saturating left shifts exist only for 64-bit elements;
    // vector forms of 64-bit elements need Q = 1.
    if (scalar && esize != 64 && !saturating_left) || (!scalar && esize == 64 && !i.bit(30)) {
        return i.undefined();
    }
    let datasize = if scalar {
        esize
    } else if i.bit(30) {
        128
    } else {
        64
    };
    let (vn, vd) = (cpu.state.v[i.rn() as usize], cpu.state.v[i.rd() as usize]);
    let mut r = 0u128;
    let mut saturated = false;
    for e in 0..datasize / esize {
        let x = elem(vn, e, esize);
        let old = elem(vd, e, esize);
        let signed = int(x, esize, false);
        let unsigned = int(x, esize, true);
        // Right shifts of `right` (1..=esize), rounded when asked.
        let shr = |v: i128, round: bool| {
            let rc = if round { 1i128 << (right - 1) } else { 0 };
            (v + rc) >> right
        };
        let y: u64 = match id {
            E::SSHR_asimdshf_R | E::SSHR_asisdshf_R => shr(signed, false) as u64,
            E::USHR_asimdshf_R | E::USHR_asisdshf_R => shr(unsigned, false) as u64,
            E::SRSHR_asimdshf_R | E::SRSHR_asisdshf_R => shr(signed, true) as u64,
            E::URSHR_asimdshf_R | E::URSHR_asisdshf_R => shr(unsigned, true) as u64,
            E::SSRA_asimdshf_R | E::SSRA_asisdshf_R => old.wrapping_add(shr(signed, false) as u64),
            E::USRA_asimdshf_R | E::USRA_asisdshf_R => {
                old.wrapping_add(shr(unsigned, false) as u64)
            }
            E::SRSRA_asimdshf_R | E::SRSRA_asisdshf_R => old.wrapping_add(shr(signed, true) as u64),
            E::URSRA_asimdshf_R | E::URSRA_asisdshf_R => {
                old.wrapping_add(shr(unsigned, true) as u64)
            }
            E::SRI_asimdshf_R | E::SRI_asisdshf_R => {
                let m = (u128::from(mask(esize)) >> right) as u64;
                (old & !m) | ((unsigned >> right) as u64 & m)
            }
            E::SHL_asimdshf_R | E::SHL_asisdshf_R => x << left,
            E::SLI_asimdshf_R | E::SLI_asisdshf_R => {
                let m = mask(esize) << left;
                (old & !m) | ((x << left) & m)
            }
            E::SQSHL_asimdshf_R | E::SQSHL_asisdshf_R => {
                let (v, s) = sat(signed << left, esize, false);
                saturated |= s;
                v
            }
            E::UQSHL_asimdshf_R | E::UQSHL_asisdshf_R => {
                let (v, s) = sat(unsigned << left, esize, true);
                saturated |= s;
                v
            }
            _ => {
                // SQSHLU: a signed element saturated to unsigned.
                let (v, s) = sat(signed << left, esize, true);
                saturated |= s;
                v
            }
        };
        set_elem(&mut r, e, esize, y);
    }
    set_qc(cpu, saturated);
    v_result(cpu, i.rd(), r, if scalar { 64 } else { datasize })
}

/// The narrowing shifts right: `2 * esize` elements shifted, rounded when asked, truncated
/// or saturated to `esize`, into the lower or upper half of Vd (vector) or a scalar.
fn shift_narrow(cpu: &mut Cpu, i: Insn) -> Exec {
    let Some((esize, right, _)) = shift_amounts(i) else {
        return i.undefined();
    };
    if esize == 64 {
        return i.undefined();
    }
    let scalar = i.bits(28, 28) == 1;
    let id = i.id;
    let round = matches!(
        id,
        E::RSHRN_asimdshf_N
            | E::SQRSHRN_asimdshf_N
            | E::UQRSHRN_asimdshf_N
            | E::SQRSHRUN_asimdshf_N
            | E::SQRSHRN_asisdshf_N
            | E::UQRSHRN_asisdshf_N
            | E::SQRSHRUN_asisdshf_N
    );
    // (source signed, result unsigned, saturating)
    let (src_unsigned, dst_unsigned, saturating) = match id {
        E::SHRN_asimdshf_N | E::RSHRN_asimdshf_N => (true, true, false),
        E::SQSHRN_asimdshf_N
        | E::SQRSHRN_asimdshf_N
        | E::SQSHRN_asisdshf_N
        | E::SQRSHRN_asisdshf_N => (false, false, true),
        E::UQSHRN_asimdshf_N
        | E::UQRSHRN_asimdshf_N
        | E::UQSHRN_asisdshf_N
        | E::UQRSHRN_asisdshf_N => (true, true, true),
        _ => (false, true, true), // SQSHRUN, SQRSHRUN
    };
    let vn = cpu.state.v[i.rn() as usize];
    let elements = if scalar { 1 } else { 64 / esize };
    let mut r = 0u128;
    let mut saturated = false;
    for e in 0..elements {
        let x = int(elem(vn, e, 2 * esize), 2 * esize, src_unsigned);
        let rc = if round { 1i128 << (right - 1) } else { 0 };
        let shifted = (x + rc) >> right;
        let y = if saturating {
            let (v, s) = sat(shifted, esize, dst_unsigned);
            saturated |= s;
            v
        } else {
            shifted as u64 & mask(esize)
        };
        set_elem(&mut r, e, esize, y);
    }
    set_qc(cpu, saturated);
    if scalar {
        v_result(cpu, i.rd(), r, 64)
    } else {
        write_part(cpu, i.rd(), r, i.bit(30))
    }
}

/// SSHLL, USHLL (and their SXTL, UXTL aliases): the lower or upper half's elements extended
/// to `2 * esize` and shifted left.
fn shift_long(cpu: &mut Cpu, i: Insn) -> Exec {
    let Some((esize, _, left)) = shift_amounts(i) else {
        return i.undefined();
    };
    if esize == 64 {
        return i.undefined();
    }
    let unsigned = i.id == E::USHLL_asimdshf_L;
    let vn = vpart(cpu.state.v[i.rn() as usize], i.bit(30));
    let mut r = 0u128;
    for e in 0..64 / esize {
        let x = int(elem(vn, e, esize), esize, unsigned) << left;
        set_elem(&mut r, e, 2 * esize, x as u64);
    }
    v_result(cpu, i.rd(), r, 128)
}

/// The shifts by a signed register amount (the low byte of each element of Vm): left for
/// positive, right for negative, rounding and saturating as the name says.
fn shift_reg(cpu: &mut Cpu, i: Insn) -> Exec {
    let size = i.bits(23, 22);
    let scalar = i.bits(28, 28) == 1;
    let id = i.id;
    let (unsigned, round, saturating) = match id {
        E::SSHL_asimdsame_only | E::SSHL_asisdsame_only => (false, false, false),
        E::USHL_asimdsame_only | E::USHL_asisdsame_only => (true, false, false),
        E::SRSHL_asimdsame_only | E::SRSHL_asisdsame_only => (false, true, false),
        E::URSHL_asimdsame_only | E::URSHL_asisdsame_only => (true, true, false),
        E::SQSHL_asimdsame_only | E::SQSHL_asisdsame_only => (false, false, true),
        E::UQSHL_asimdsame_only | E::UQSHL_asisdsame_only => (true, false, true),
        E::SQRSHL_asimdsame_only | E::SQRSHL_asisdsame_only => (false, true, true),
        _ => (true, true, true),
    };
    // Without saturation, scalar forms exist for 64-bit elements only; vector 64-bit
    // elements need Q = 1.
    if (scalar && !saturating && size != 3) || (!scalar && size == 3 && !i.bit(30)) {
        return i.undefined();
    }
    let esize = 8u32 << size;
    let datasize = if scalar {
        esize
    } else if i.bit(30) {
        128
    } else {
        64
    };
    let (vn, vm) = (cpu.state.v[i.rn() as usize], cpu.state.v[i.rm() as usize]);
    let mut r = 0u128;
    let mut saturated = false;
    for e in 0..datasize / esize {
        let x = int(elem(vn, e, esize), esize, unsigned);
        let shift = i32::from(elem(vm, e, esize) as u8 as i8);
        let y = if shift >= 0 {
            if x == 0 {
                0
            } else if shift >= esize as i32 {
                // Every bit leaves the element: zero when truncated, and out of range with
                // x's sign when saturated.
                x.signum() << (esize + 1)
            } else {
                x << shift
            }
        } else {
            // Right shifts past esize + 1 give what esize + 1 gives (0, or -1 unrounded).
            let s = (-shift).min(esize as i32 + 1) as u32;
            let rc = if round { 1i128 << (s - 1) } else { 0 };
            (x + rc) >> s
        };
        let v = if saturating {
            let (v, s) = sat(y, esize, unsigned);
            saturated |= s;
            v
        } else {
            y as u64 & mask(esize)
        };
        set_elem(&mut r, e, esize, v);
    }
    set_qc(cpu, saturated);
    v_result(cpu, i.rd(), r, if scalar { 64 } else { datasize })
}

/// Saturating arithmetic, halving, min/max and so on: the three-same instructions `simd.rs`
/// lacks, the two-register miscellaneous ones, across lanes, by element, scalar DUP, TRN and
/// TBX.
fn execute_same_misc(cpu: &mut Cpu, i: Insn) -> Option<Exec> {
    Some(match i.id {
        E::SHADD_asimdsame_only
        | E::UHADD_asimdsame_only
        | E::SRHADD_asimdsame_only
        | E::URHADD_asimdsame_only
        | E::SHSUB_asimdsame_only
        | E::UHSUB_asimdsame_only
        | E::SMAX_asimdsame_only
        | E::SMIN_asimdsame_only
        | E::UMAX_asimdsame_only
        | E::UMIN_asimdsame_only
        | E::SABD_asimdsame_only
        | E::UABD_asimdsame_only
        | E::SABA_asimdsame_only
        | E::UABA_asimdsame_only
        | E::MUL_asimdsame_only
        | E::MLA_asimdsame_only
        | E::MLS_asimdsame_only
        | E::PMUL_asimdsame_only
        | E::SQADD_asimdsame_only
        | E::UQADD_asimdsame_only
        | E::SQSUB_asimdsame_only
        | E::UQSUB_asimdsame_only
        | E::SQDMULH_asimdsame_only
        | E::SQRDMULH_asimdsame_only
        | E::SQADD_asisdsame_only
        | E::UQADD_asisdsame_only
        | E::SQSUB_asisdsame_only
        | E::UQSUB_asisdsame_only
        | E::SQDMULH_asisdsame_only
        | E::SQRDMULH_asisdsame_only
        | E::ADD_asisdsame_only
        | E::SUB_asisdsame_only
        | E::CMEQ_asisdsame_only
        | E::CMGE_asisdsame_only
        | E::CMGT_asisdsame_only
        | E::CMHI_asisdsame_only
        | E::CMHS_asisdsame_only
        | E::CMTST_asisdsame_only => same(cpu, i),
        E::SMAXP_asimdsame_only | E::SMINP_asimdsame_only => pairwise(cpu, i),
        E::REV16_asimdmisc_R
        | E::REV32_asimdmisc_R
        | E::CLS_asimdmisc_R
        | E::CLZ_asimdmisc_R
        | E::RBIT_asimdmisc_R
        | E::ABS_asimdmisc_R
        | E::NEG_asimdmisc_R
        | E::SQABS_asimdmisc_R
        | E::SQNEG_asimdmisc_R
        | E::SUQADD_asimdmisc_R
        | E::USQADD_asimdmisc_R
        | E::CMLE_asimdmisc_Z
        | E::CMLT_asimdmisc_Z
        | E::ABS_asisdmisc_R
        | E::NEG_asisdmisc_R
        | E::SQABS_asisdmisc_R
        | E::SQNEG_asisdmisc_R
        | E::SUQADD_asisdmisc_R
        | E::USQADD_asisdmisc_R
        | E::CMEQ_asisdmisc_Z
        | E::CMGE_asisdmisc_Z
        | E::CMGT_asisdmisc_Z
        | E::CMLE_asisdmisc_Z
        | E::CMLT_asisdmisc_Z
        | E::URECPE_asimdmisc_R
        | E::URSQRTE_asimdmisc_R => misc(cpu, i),
        E::SADDLP_asimdmisc_P
        | E::UADDLP_asimdmisc_P
        | E::SADALP_asimdmisc_P
        | E::UADALP_asimdmisc_P => add_pairs_long(cpu, i),
        E::SQXTN_asimdmisc_N
        | E::UQXTN_asimdmisc_N
        | E::SQXTUN_asimdmisc_N
        | E::SQXTN_asisdmisc_N
        | E::UQXTN_asisdmisc_N
        | E::SQXTUN_asisdmisc_N => saturating_narrow(cpu, i),
        E::SHLL_asimdmisc_S => shll(cpu, i),
        E::SADDLV_asimdall_only | E::SMAXV_asimdall_only | E::SMINV_asimdall_only => across(cpu, i),
        E::MUL_asimdelem_R
        | E::MLA_asimdelem_R
        | E::MLS_asimdelem_R
        | E::SQDMULH_asimdelem_R
        | E::SQRDMULH_asimdelem_R
        | E::SQDMULH_asisdelem_R
        | E::SQRDMULH_asisdelem_R => by_element(cpu, i),
        E::SMULL_asimdelem_L
        | E::UMULL_asimdelem_L
        | E::SMLAL_asimdelem_L
        | E::UMLAL_asimdelem_L
        | E::SMLSL_asimdelem_L
        | E::UMLSL_asimdelem_L
        | E::SQDMULL_asimdelem_L
        | E::SQDMLAL_asimdelem_L
        | E::SQDMLSL_asimdelem_L
        | E::SQDMULL_asisdelem_L
        | E::SQDMLAL_asisdelem_L
        | E::SQDMLSL_asisdelem_L => by_element_long(cpu, i),
        E::DUP_asisdone_only => {
            let imm5 = i.bits(20, 16);
            if imm5 & 0xf == 0 {
                return Some(i.undefined());
            }
            let size = imm5.trailing_zeros();
            let esize = 8 << size;
            let x = elem(cpu.state.v[i.rn() as usize], imm5 >> (size + 1), esize);
            v_result(cpu, i.rd(), u128::from(x), 64)
        }
        E::TRN1_asimdperm_only | E::TRN2_asimdperm_only => {
            let size = i.bits(23, 22);
            if size == 3 && !i.bit(30) {
                return Some(i.undefined());
            }
            let esize = 8u32 << size;
            let datasize = if i.bit(30) { 128 } else { 64 };
            let part = u32::from(i.id == E::TRN2_asimdperm_only);
            let (vn, vm) = (cpu.state.v[i.rn() as usize], cpu.state.v[i.rm() as usize]);
            let mut r = 0u128;
            for p in 0..datasize / esize / 2 {
                set_elem(&mut r, 2 * p, esize, elem(vn, 2 * p + part, esize));
                set_elem(&mut r, 2 * p + 1, esize, elem(vm, 2 * p + part, esize));
            }
            v_result(cpu, i.rd(), r, datasize)
        }
        E::TBX_asimdtbl_L1_1
        | E::TBX_asimdtbl_L2_2
        | E::TBX_asimdtbl_L3_3
        | E::TBX_asimdtbl_L4_4 => {
            let regs = i.bits(14, 13) + 1;
            let datasize = if i.bit(30) { 128 } else { 64 };
            let (n, vm) = (i.rn(), cpu.state.v[i.rm() as usize]);
            // Indexes out of the table keep Vd's byte.
            let mut r = cpu.state.v[i.rd() as usize];
            for b in 0..datasize / 8 {
                let idx = elem(vm, b, 8) as u32;
                if idx < 16 * regs {
                    let t = cpu.state.v[((n + idx / 16) % 32) as usize];
                    set_elem(&mut r, b, 8, elem(t, idx % 16, 8));
                }
            }
            v_result(cpu, i.rd(), r, datasize)
        }
        E::SQRDMLAH_asimdsame2_only
        | E::SQRDMLSH_asimdsame2_only
        | E::SQRDMLAH_asisdsame2_only
        | E::SQRDMLSH_asisdsame2_only
        | E::SQRDMLAH_asimdelem_R
        | E::SQRDMLSH_asimdelem_R
        | E::SQRDMLAH_asisdelem_R
        | E::SQRDMLSH_asisdelem_R => rdm(cpu, i),
        E::SDOT_asimdsame2_D
        | E::UDOT_asimdsame2_D
        | E::USDOT_asimdsame2_D
        | E::SDOT_asimdelem_D
        | E::UDOT_asimdelem_D
        | E::USDOT_asimdelem_D
        | E::SUDOT_asimdelem_D => dot(cpu, i),
        E::SMMLA_asimdsame2_G | E::UMMLA_asimdsame2_G | E::USMMLA_asimdsame2_G => mmla(cpu, i),
        _ => return None,
    })
}

/// SQRDMLAH, SQRDMLSH (FEAT_RDM), vector, scalar and by element: the accumulator shifted up
/// by esize, plus or minus the doubled product, rounded, the high half saturated.
fn rdm(cpu: &mut Cpu, i: Insn) -> Exec {
    if !cpu.config.features.rdm {
        return i.undefined();
    }
    let by_element = matches!(
        i.id,
        E::SQRDMLAH_asimdelem_R
            | E::SQRDMLSH_asimdelem_R
            | E::SQRDMLAH_asisdelem_R
            | E::SQRDMLSH_asisdelem_R
    );
    let subtract = matches!(
        i.id,
        E::SQRDMLSH_asimdsame2_only
            | E::SQRDMLSH_asisdsame2_only
            | E::SQRDMLSH_asimdelem_R
            | E::SQRDMLSH_asisdelem_R
    );
    let (esize, index, rm) = if by_element {
        match element_operand(i) {
            Some(x) => x,
            None => return i.undefined(),
        }
    } else {
        match i.bits(23, 22) {
            1 => (16, 0, i.rm()),
            2 => (32, 0, i.rm()),
            _ => return i.undefined(),
        }
    };
    let scalar = i.bits(28, 28) == 1;
    let datasize = if scalar {
        esize
    } else if i.bit(30) {
        128
    } else {
        64
    };
    let (vn, vm, vd) = (
        cpu.state.v[i.rn() as usize],
        cpu.state.v[rm as usize],
        cpu.state.v[i.rd() as usize],
    );
    let mut r = 0u128;
    let mut saturated = false;
    for e in 0..datasize / esize {
        let a = int(elem(vn, e, esize), esize, false);
        let b = int(
            elem(vm, if by_element { index } else { e }, esize),
            esize,
            false,
        );
        let acc = int(elem(vd, e, esize), esize, false) << esize;
        let product = 2 * a * b;
        let sum = if subtract {
            acc - product
        } else {
            acc + product
        };
        let (v, s) = sat((sum + (1i128 << (esize - 1))) >> esize, esize, false);
        saturated |= s;
        set_elem(&mut r, e, esize, v);
    }
    set_qc(cpu, saturated);
    v_result(cpu, i.rd(), r, if scalar { 64 } else { datasize })
}

/// SDOT, UDOT (FEAT_DotProd) and USDOT, SUDOT (FEAT_I8MM), vector and by element: each 32-bit
/// element of Vd gains the dot product of four bytes of Vn and four of Vm.
fn dot(cpu: &mut Cpu, i: Insn) -> Exec {
    let id = i.id;
    let (n_unsigned, m_unsigned, feature) = match id {
        E::SDOT_asimdsame2_D | E::SDOT_asimdelem_D => (false, false, cpu.config.features.dotprod),
        E::UDOT_asimdsame2_D | E::UDOT_asimdelem_D => (true, true, cpu.config.features.dotprod),
        E::USDOT_asimdsame2_D | E::USDOT_asimdelem_D => (true, false, cpu.config.features.i8mm),
        _ => (false, true, cpu.config.features.i8mm), // SUDOT
    };
    let sized = matches!(
        id,
        E::SDOT_asimdsame2_D | E::UDOT_asimdsame2_D | E::SDOT_asimdelem_D | E::UDOT_asimdelem_D
    );
    if !feature || (sized && i.bits(23, 22) != 2) {
        return i.undefined();
    }
    let by_element = matches!(
        id,
        E::SDOT_asimdelem_D | E::UDOT_asimdelem_D | E::USDOT_asimdelem_D | E::SUDOT_asimdelem_D
    );
    let (index, rm) = if by_element {
        ((i.bits(11, 11) << 1) | i.bits(21, 21), i.bits(20, 16))
    } else {
        (0, i.rm())
    };
    let datasize = if i.bit(30) { 128 } else { 64 };
    let (vn, vm, vd) = (
        cpu.state.v[i.rn() as usize],
        cpu.state.v[rm as usize],
        cpu.state.v[i.rd() as usize],
    );
    let mut r = 0u128;
    for e in 0..datasize / 32 {
        let me = if by_element { index } else { e };
        let sum: i128 = (0..4)
            .map(|k| {
                int(elem(vn, 4 * e + k, 8), 8, n_unsigned)
                    * int(elem(vm, 4 * me + k, 8), 8, m_unsigned)
            })
            .sum();
        set_elem(&mut r, e, 32, elem(vd, e, 32).wrapping_add(sum as u64));
    }
    v_result(cpu, i.rd(), r, datasize)
}

/// SMMLA, UMMLA, USMMLA (FEAT_I8MM): Vd, a 2x2 matrix of 32-bit sums, gains the product of the
/// 2x8 byte matrix Vn and the transpose of the 2x8 byte matrix Vm.
fn mmla(cpu: &mut Cpu, i: Insn) -> Exec {
    if !cpu.config.features.i8mm {
        return i.undefined();
    }
    let (n_unsigned, m_unsigned) = match i.id {
        E::SMMLA_asimdsame2_G => (false, false),
        E::UMMLA_asimdsame2_G => (true, true),
        _ => (true, false),
    };
    let (vn, vm, vd) = (
        cpu.state.v[i.rn() as usize],
        cpu.state.v[i.rm() as usize],
        cpu.state.v[i.rd() as usize],
    );
    let mut r = 0u128;
    for row in 0..2 {
        for col in 0..2 {
            let sum: i128 = (0..8)
                .map(|k| {
                    int(elem(vn, 8 * row + k, 8), 8, n_unsigned)
                        * int(elem(vm, 8 * col + k, 8), 8, m_unsigned)
                })
                .sum();
            let e = 2 * row + col;
            set_elem(&mut r, e, 32, elem(vd, e, 32).wrapping_add(sum as u64));
        }
    }
    v_result(cpu, i.rd(), r, 128)
}

/// Vector datasize from Q, and whether (`size`, Q, scalar) is a reserved combination for an
/// instruction whose scalar form exists only for `scalar_sizes`, and whose vector form lacks
/// `size` 3 when `no_64` (else needs Q = 1 for it).
fn shape(i: Insn, scalar_sizes: &[u32], no_64: bool) -> Option<(u32, u32, bool)> {
    let size = i.bits(23, 22);
    let scalar = i.bits(28, 28) == 1;
    let esize = 8u32 << size;
    if scalar {
        return scalar_sizes.contains(&size).then_some((esize, esize, true));
    }
    if size == 3 && (no_64 || !i.bit(30)) {
        return None;
    }
    Some((esize, if i.bit(30) { 128 } else { 64 }, false))
}

fn same(cpu: &mut Cpu, i: Insn) -> Exec {
    let id = i.id;
    let (scalar_sizes, no_64): (&[u32], bool) = match id {
        E::SQADD_asimdsame_only
        | E::UQADD_asimdsame_only
        | E::SQSUB_asimdsame_only
        | E::UQSUB_asimdsame_only
        | E::SQADD_asisdsame_only
        | E::UQADD_asisdsame_only
        | E::SQSUB_asisdsame_only
        | E::UQSUB_asisdsame_only => (&[0, 1, 2, 3], false),
        E::SQDMULH_asimdsame_only
        | E::SQRDMULH_asimdsame_only
        | E::SQDMULH_asisdsame_only
        | E::SQRDMULH_asisdsame_only => (&[1, 2], true),
        E::ADD_asisdsame_only
        | E::SUB_asisdsame_only
        | E::CMEQ_asisdsame_only
        | E::CMGE_asisdsame_only
        | E::CMGT_asisdsame_only
        | E::CMHI_asisdsame_only
        | E::CMHS_asisdsame_only
        | E::CMTST_asisdsame_only => (&[3], false),
        _ => (&[], true),
    };
    let Some((esize, datasize, scalar)) = shape(i, scalar_sizes, no_64) else {
        return i.undefined();
    };
    let size = i.bits(23, 22);
    if (matches!(id, E::SQDMULH_asimdsame_only | E::SQRDMULH_asimdsame_only) && size == 0)
        || (id == E::PMUL_asimdsame_only && size != 0)
    {
        return i.undefined();
    }
    let (vn, vm, vd) = (
        cpu.state.v[i.rn() as usize],
        cpu.state.v[i.rm() as usize],
        cpu.state.v[i.rd() as usize],
    );
    let ones = mask(esize);
    let t = |c: bool| if c { ones } else { 0 };
    let mut r = 0u128;
    let mut saturated = false;
    for e in 0..datasize / esize {
        let (xa, xb, xd) = (elem(vn, e, esize), elem(vm, e, esize), elem(vd, e, esize));
        let (sa, sb) = (int(xa, esize, false), int(xb, esize, false));
        let (ua, ub) = (int(xa, esize, true), int(xb, esize, true));
        let mut satq = |v: i128, unsigned: bool| {
            let (x, s) = sat(v, esize, unsigned);
            saturated |= s;
            x
        };
        let y: u64 = match id {
            E::SHADD_asimdsame_only => ((sa + sb) >> 1) as u64,
            E::UHADD_asimdsame_only => ((ua + ub) >> 1) as u64,
            E::SRHADD_asimdsame_only => ((sa + sb + 1) >> 1) as u64,
            E::URHADD_asimdsame_only => ((ua + ub + 1) >> 1) as u64,
            E::SHSUB_asimdsame_only => ((sa - sb) >> 1) as u64,
            E::UHSUB_asimdsame_only => ((ua - ub) >> 1) as u64,
            E::SMAX_asimdsame_only => sa.max(sb) as u64,
            E::SMIN_asimdsame_only => sa.min(sb) as u64,
            E::UMAX_asimdsame_only => ua.max(ub) as u64,
            E::UMIN_asimdsame_only => ua.min(ub) as u64,
            E::SABD_asimdsame_only => (sa - sb).unsigned_abs() as u64,
            E::UABD_asimdsame_only => (ua - ub).unsigned_abs() as u64,
            E::SABA_asimdsame_only => xd.wrapping_add((sa - sb).unsigned_abs() as u64),
            E::UABA_asimdsame_only => xd.wrapping_add((ua - ub).unsigned_abs() as u64),
            E::MUL_asimdsame_only => xa.wrapping_mul(xb),
            E::MLA_asimdsame_only => xd.wrapping_add(xa.wrapping_mul(xb)),
            E::MLS_asimdsame_only => xd.wrapping_sub(xa.wrapping_mul(xb)),
            E::PMUL_asimdsame_only => (0..8)
                .filter(|k| xb >> k & 1 == 1)
                .fold(0u64, |acc, k| acc ^ (xa << k)),
            E::SQADD_asimdsame_only | E::SQADD_asisdsame_only => satq(sa + sb, false),
            E::UQADD_asimdsame_only | E::UQADD_asisdsame_only => satq(ua + ub, true),
            E::SQSUB_asimdsame_only | E::SQSUB_asisdsame_only => satq(sa - sb, false),
            E::UQSUB_asimdsame_only | E::UQSUB_asisdsame_only => satq(ua - ub, true),
            E::SQDMULH_asimdsame_only | E::SQDMULH_asisdsame_only => {
                satq((2 * sa * sb) >> esize, false)
            }
            E::SQRDMULH_asimdsame_only | E::SQRDMULH_asisdsame_only => {
                satq((2 * sa * sb + (1i128 << (esize - 1))) >> esize, false)
            }
            E::ADD_asisdsame_only => xa.wrapping_add(xb),
            E::SUB_asisdsame_only => xa.wrapping_sub(xb),
            E::CMEQ_asisdsame_only => t(xa == xb),
            E::CMGE_asisdsame_only => t(sa >= sb),
            E::CMGT_asisdsame_only => t(sa > sb),
            E::CMHI_asisdsame_only => t(ua > ub),
            E::CMHS_asisdsame_only => t(ua >= ub),
            _ => t(xa & xb != 0), // CMTST
        };
        set_elem(&mut r, e, esize, y);
    }
    set_qc(cpu, saturated);
    v_result(cpu, i.rd(), r, if scalar { 64 } else { datasize })
}

/// SMAXP, SMINP: pairs from the concatenation Vm:Vn.
fn pairwise(cpu: &mut Cpu, i: Insn) -> Exec {
    let Some((esize, datasize, _)) = shape(i, &[], true) else {
        return i.undefined();
    };
    let (vn, vm) = (cpu.state.v[i.rn() as usize], cpu.state.v[i.rm() as usize]);
    let elements = datasize / esize;
    let mut r = 0u128;
    for e in 0..elements {
        let src = if e < elements / 2 { vn } else { vm };
        let k = (e % (elements / 2)) * 2;
        let (a, b) = (
            int(elem(src, k, esize), esize, false),
            int(elem(src, k + 1, esize), esize, false),
        );
        let y = if i.id == E::SMAXP_asimdsame_only {
            a.max(b)
        } else {
            a.min(b)
        };
        set_elem(&mut r, e, esize, y as u64);
    }
    v_result(cpu, i.rd(), r, datasize)
}

/// `UnsignedRecipEstimate`'s and `UnsignedRSqrtEstimate`'s tables, computed as the Arm ARM's
/// `RecipEstimate` and `RecipSqrtEstimate` define them (9-bit in, 9-bit out).
fn recip_estimate(a: u32) -> u32 {
    let a = a * 2 + 1;
    let b = (1u32 << 19) / a;
    b.div_ceil(2)
}

fn recip_sqrt_estimate(a: u32) -> u32 {
    // 0.25 <= a < 0.5, or 0.5 <= a < 1 with its last bit dropped, scaled as the pseudocode
    // does before the search for the largest b with a * (b + 1)^2 < 2^28.
    let a = u64::from(if a < 256 {
        a * 2 + 1
    } else {
        (((a >> 1) << 1) + 1) * 2
    });
    let mut b = 512u64;
    while a * (b + 1) * (b + 1) < 1 << 28 {
        b += 1;
    }
    b.div_ceil(2) as u32
}

fn misc(cpu: &mut Cpu, i: Insn) -> Exec {
    let id = i.id;
    let (scalar_sizes, no_64): (&[u32], bool) = match id {
        E::REV16_asimdmisc_R
        | E::REV32_asimdmisc_R
        | E::CLS_asimdmisc_R
        | E::CLZ_asimdmisc_R
        | E::RBIT_asimdmisc_R
        | E::URECPE_asimdmisc_R
        | E::URSQRTE_asimdmisc_R => (&[], true),
        E::SQABS_asimdmisc_R
        | E::SQNEG_asimdmisc_R
        | E::SUQADD_asimdmisc_R
        | E::USQADD_asimdmisc_R
        | E::SQABS_asisdmisc_R
        | E::SQNEG_asisdmisc_R
        | E::SUQADD_asisdmisc_R
        | E::USQADD_asisdmisc_R => (&[0, 1, 2, 3], false),
        _ => (&[3], false), // ABS, NEG, CMxx #0
    };
    let Some((esize, datasize, scalar)) = shape(i, scalar_sizes, no_64) else {
        return i.undefined();
    };
    // RBIT's bits 23:22 are fixed (01): its elements are bytes.
    let esize = if id == E::RBIT_asimdmisc_R { 8 } else { esize };
    let size = i.bits(23, 22);
    let reserved = match id {
        E::REV16_asimdmisc_R => size != 0,
        E::REV32_asimdmisc_R => size > 1,
        E::URECPE_asimdmisc_R | E::URSQRTE_asimdmisc_R => size != 2,
        _ => false,
    };
    if reserved {
        return i.undefined();
    }
    let (vn, vd) = (cpu.state.v[i.rn() as usize], cpu.state.v[i.rd() as usize]);
    let ones = mask(esize);
    let t = |c: bool| if c { ones } else { 0 };
    let mut r = 0u128;
    let mut saturated = false;
    let elements = datasize / esize;
    for e in 0..elements {
        let x = elem(vn, e, esize);
        let s = int(x, esize, false);
        let mut satq = |v: i128, unsigned: bool| {
            let (y, q) = sat(v, esize, unsigned);
            saturated |= q;
            y
        };
        let (target, y) = match id {
            E::REV16_asimdmisc_R | E::REV32_asimdmisc_R => {
                // Reverse the elements within each 16- or 32-bit container.
                let per = if id == E::REV16_asimdmisc_R {
                    2
                } else {
                    4 >> size
                };
                (e - e % per + (per - 1 - e % per), x)
            }
            E::CLS_asimdmisc_R => {
                let v = if s < 0 { !x & ones } else { x };
                (
                    e,
                    u64::from((v << (64 - esize)).leading_zeros().min(esize)) - 1,
                )
            }
            E::CLZ_asimdmisc_R => (e, u64::from((x << (64 - esize)).leading_zeros().min(esize))),
            E::RBIT_asimdmisc_R => (e, u64::from((x as u8).reverse_bits())),
            E::ABS_asimdmisc_R | E::ABS_asisdmisc_R => (e, s.unsigned_abs() as u64),
            E::NEG_asimdmisc_R | E::NEG_asisdmisc_R => (e, x.wrapping_neg()),
            E::SQABS_asimdmisc_R | E::SQABS_asisdmisc_R => (e, satq(s.abs(), false)),
            E::SQNEG_asimdmisc_R | E::SQNEG_asisdmisc_R => (e, satq(-s, false)),
            E::SUQADD_asimdmisc_R | E::SUQADD_asisdmisc_R => {
                let acc = int(elem(vd, e, esize), esize, false);
                (e, satq(acc + int(x, esize, true), false))
            }
            E::USQADD_asimdmisc_R | E::USQADD_asisdmisc_R => {
                let acc = int(elem(vd, e, esize), esize, true);
                (e, satq(acc + s, true))
            }
            E::CMLE_asimdmisc_Z | E::CMLE_asisdmisc_Z => (e, t(s <= 0)),
            E::CMLT_asimdmisc_Z | E::CMLT_asisdmisc_Z => (e, t(s < 0)),
            E::CMEQ_asisdmisc_Z => (e, t(s == 0)),
            E::CMGE_asisdmisc_Z => (e, t(s >= 0)),
            E::CMGT_asisdmisc_Z => (e, t(s > 0)),
            E::URECPE_asimdmisc_R => {
                if x >> 31 == 0 {
                    (e, 0xffff_ffff)
                } else {
                    (e, u64::from(recip_estimate((x >> 23) as u32 & 0x1ff)) << 23)
                }
            }
            _ => {
                // URSQRTE
                if x >> 30 == 0 {
                    (e, 0xffff_ffff)
                } else {
                    (
                        e,
                        u64::from(recip_sqrt_estimate((x >> 23) as u32 & 0x1ff)) << 23,
                    )
                }
            }
        };
        set_elem(&mut r, target, esize, y);
    }
    set_qc(cpu, saturated);
    v_result(cpu, i.rd(), r, if scalar { 64 } else { datasize })
}

/// SADDLP, UADDLP and the accumulating SADALP, UADALP: adjacent pairs summed into elements
/// twice as wide.
fn add_pairs_long(cpu: &mut Cpu, i: Insn) -> Exec {
    let Some((esize, datasize, _)) = shape(i, &[], true) else {
        return i.undefined();
    };
    let unsigned = i.bit(29);
    let acc = matches!(i.id, E::SADALP_asimdmisc_P | E::UADALP_asimdmisc_P);
    let (vn, vd) = (cpu.state.v[i.rn() as usize], cpu.state.v[i.rd() as usize]);
    let mut r = 0u128;
    for e in 0..datasize / (2 * esize) {
        let sum = int(elem(vn, 2 * e, esize), esize, unsigned)
            + int(elem(vn, 2 * e + 1, esize), esize, unsigned);
        let y = if acc {
            (sum as u64).wrapping_add(elem(vd, e, 2 * esize))
        } else {
            sum as u64
        };
        set_elem(&mut r, e, 2 * esize, y);
    }
    v_result(cpu, i.rd(), r, datasize)
}

/// SQXTN, UQXTN, SQXTUN: `2 * esize` elements saturated to `esize`.
fn saturating_narrow(cpu: &mut Cpu, i: Insn) -> Exec {
    let size = i.bits(23, 22);
    if size == 3 {
        return i.undefined();
    }
    let esize = 8u32 << size;
    let scalar = i.bits(28, 28) == 1;
    let (src_unsigned, dst_unsigned) = match i.id {
        E::SQXTN_asimdmisc_N | E::SQXTN_asisdmisc_N => (false, false),
        E::UQXTN_asimdmisc_N | E::UQXTN_asisdmisc_N => (true, true),
        _ => (false, true),
    };
    let vn = cpu.state.v[i.rn() as usize];
    let mut r = 0u128;
    let mut saturated = false;
    for e in 0..if scalar { 1 } else { 64 / esize } {
        let (y, s) = sat(
            int(elem(vn, e, 2 * esize), 2 * esize, src_unsigned),
            esize,
            dst_unsigned,
        );
        saturated |= s;
        set_elem(&mut r, e, esize, y);
    }
    set_qc(cpu, saturated);
    if scalar {
        v_result(cpu, i.rd(), r, 64)
    } else {
        write_part(cpu, i.rd(), r, i.bit(30))
    }
}

/// SHLL, SHLL2: the lower or upper half's elements widened and shifted left by their size.
fn shll(cpu: &mut Cpu, i: Insn) -> Exec {
    let size = i.bits(23, 22);
    if size == 3 {
        return i.undefined();
    }
    let esize = 8u32 << size;
    let vn = vpart(cpu.state.v[i.rn() as usize], i.bit(30));
    let mut r = 0u128;
    for e in 0..64 / esize {
        set_elem(&mut r, e, 2 * esize, elem(vn, e, esize) << esize);
    }
    v_result(cpu, i.rd(), r, 128)
}

/// SADDLV, SMAXV, SMINV.
fn across(cpu: &mut Cpu, i: Insn) -> Exec {
    let size = i.bits(23, 22);
    if size == 3 || (size == 2 && !i.bit(30)) {
        return i.undefined();
    }
    let esize = 8u32 << size;
    let datasize = if i.bit(30) { 128 } else { 64 };
    let vn = cpu.state.v[i.rn() as usize];
    let xs = (0..datasize / esize).map(|e| int(elem(vn, e, esize), esize, false));
    let (y, width) = match i.id {
        E::SADDLV_asimdall_only => (xs.sum::<i128>(), 2 * esize),
        E::SMAXV_asimdall_only => (xs.max().unwrap_or(0), esize),
        _ => (xs.min().unwrap_or(0), esize),
    };
    v_result(cpu, i.rd(), u128::from(y as u64 & mask(width)), 64)
}

/// The element index and Vm of a by-element instruction: 16-bit elements take H:L:M and
/// V0-V15, 32-bit ones H:L and M:Rm. Other sizes are reserved.
fn element_operand(i: Insn) -> Option<(u32, u32, u32)> {
    let (h, l, m) = (i.bits(11, 11), i.bits(21, 21), i.bits(20, 20));
    match i.bits(23, 22) {
        1 => Some((16, (h << 2) | (l << 1) | m, i.bits(19, 16))),
        2 => Some((32, (h << 1) | l, i.bits(20, 16))),
        _ => None,
    }
}

/// MUL, MLA, MLS, SQDMULH, SQRDMULH by element, vector and scalar.
fn by_element(cpu: &mut Cpu, i: Insn) -> Exec {
    let Some((esize, index, rm)) = element_operand(i) else {
        return i.undefined();
    };
    let scalar = i.bits(28, 28) == 1;
    let datasize = if scalar {
        esize
    } else if i.bit(30) {
        128
    } else {
        64
    };
    let (vn, vd) = (cpu.state.v[i.rn() as usize], cpu.state.v[i.rd() as usize]);
    let xb = elem(cpu.state.v[rm as usize], index, esize);
    let sb = int(xb, esize, false);
    let mut r = 0u128;
    let mut saturated = false;
    for e in 0..datasize / esize {
        let (xa, xd) = (elem(vn, e, esize), elem(vd, e, esize));
        let sa = int(xa, esize, false);
        let y = match i.id {
            E::MUL_asimdelem_R => xa.wrapping_mul(xb),
            E::MLA_asimdelem_R => xd.wrapping_add(xa.wrapping_mul(xb)),
            E::MLS_asimdelem_R => xd.wrapping_sub(xa.wrapping_mul(xb)),
            E::SQDMULH_asimdelem_R | E::SQDMULH_asisdelem_R => {
                let (v, s) = sat((2 * sa * sb) >> esize, esize, false);
                saturated |= s;
                v
            }
            _ => {
                let (v, s) = sat(
                    (2 * sa * sb + (1i128 << (esize - 1))) >> esize,
                    esize,
                    false,
                );
                saturated |= s;
                v
            }
        };
        set_elem(&mut r, e, esize, y);
    }
    set_qc(cpu, saturated);
    v_result(cpu, i.rd(), r, if scalar { 64 } else { datasize })
}

/// The long multiplies by element: SMULL, UMULL, SMLAL, UMLAL, SMLSL, UMLSL and the
/// saturating doubling SQDMULL, SQDMLAL, SQDMLSL (vector and scalar).
fn by_element_long(cpu: &mut Cpu, i: Insn) -> Exec {
    let Some((esize, index, rm)) = element_operand(i) else {
        return i.undefined();
    };
    let scalar = i.bits(28, 28) == 1;
    let unsigned = matches!(
        i.id,
        E::UMULL_asimdelem_L | E::UMLAL_asimdelem_L | E::UMLSL_asimdelem_L
    );
    let vn = if scalar {
        cpu.state.v[i.rn() as usize]
    } else {
        vpart(cpu.state.v[i.rn() as usize], i.bit(30))
    };
    let vd = cpu.state.v[i.rd() as usize];
    let b = int(
        elem(cpu.state.v[rm as usize], index, esize),
        esize,
        unsigned,
    );
    let mut r = 0u128;
    let mut saturated = false;
    for e in 0..if scalar { 1 } else { 64 / esize } {
        let a = int(elem(vn, e, esize), esize, unsigned);
        let acc = int(elem(vd, e, 2 * esize), 2 * esize, unsigned);
        let y = match i.id {
            E::SMULL_asimdelem_L | E::UMULL_asimdelem_L => (a * b) as u64,
            E::SMLAL_asimdelem_L | E::UMLAL_asimdelem_L => (acc + a * b) as u64,
            E::SMLSL_asimdelem_L | E::UMLSL_asimdelem_L => (acc - a * b) as u64,
            id => {
                let (p, s1) = sat(2 * a * b, 2 * esize, false);
                let p = i128::from(sext(p, 2 * esize));
                let (v, s2) = match id {
                    E::SQDMLAL_asimdelem_L | E::SQDMLAL_asisdelem_L => {
                        sat(acc + p, 2 * esize, false)
                    }
                    E::SQDMLSL_asimdelem_L | E::SQDMLSL_asisdelem_L => {
                        sat(acc - p, 2 * esize, false)
                    }
                    _ => (p as u64 & mask(2 * esize), false),
                };
                saturated |= s1 || s2;
                v
            }
        };
        set_elem(&mut r, e, 2 * esize, y);
    }
    set_qc(cpu, saturated);
    v_result(cpu, i.rd(), r, if scalar { 64 } else { 128 })
}
