//! SIMD&FP: Advanced SIMD integer groups, whole, after the Arm ARM's encoding groups: three
//! registers of different widths (`asimddiff`: long, wide and narrowing-high arithmetic,
//! multiply-accumulate long, saturating doubling multiplies, PMULL), shift by immediate
//! (`asimdshf`, `asisdshf`: every integer shift, rounding, accumulating, inserting, narrowing,
//! saturating and lengthening form), and the shifts by register of the three-same group
//! (`SSHL`, `USHL`, `SRSHL`, `URSHL`, `SQSHL`, `UQSHL`, `SQRSHL`, `UQRSHL`), vector and scalar.
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
        | E::SQDMULL_asimddiff_L => Some(long(cpu, i)),
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
        _ => None,
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
        E::SQDMLAL_asimddiff_L | E::SQDMLSL_asimddiff_L | E::SQDMULL_asimddiff_L
    );
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
    let op1 = if wide { vn } else { vpart(vn, upper) };
    let op2 = vpart(vm, upper);
    let mut r = 0u128;
    let mut saturated = false;
    for e in 0..64 / esize {
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
                    E::SQDMLAL_asimddiff_L => sat(acc + product, 2 * esize, false),
                    E::SQDMLSL_asimddiff_L => sat(acc - product, 2 * esize, false),
                    _ => (product as u64 & mask(2 * esize), false),
                };
                saturated |= s1 || s2;
                i128::from(x)
            }
        };
        set_elem(&mut r, e, 2 * esize, x as u64);
    }
    set_qc(cpu, saturated);
    v_result(cpu, i.rd(), r, 128)
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
