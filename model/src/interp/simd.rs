//! SIMD&FP: the Advanced SIMD integer instructions that C libraries' string and memory routines
//! use (logical, add/sub and compares of the three-same group, NOT, CNT, REV64, XTN, pairwise
//! and across-lanes reductions, permutes, EXT, TBL, modified immediates, element moves) and
//! FMOV between general and SIMD&FP registers, with the lane helpers the other SIMD&FP modules
//! share. The rest of AdvSIMD integer is `simd_int`, floating point `simd_fp`, structure loads
//! and stores `simd_ldst`.

use super::{Cpu, Exec, Insn};
use crate::decode::EncodingId as E;

/// `Elem[vector, e, esize]`.
#[inline]
pub(super) fn elem(v: u128, e: u32, esize: u32) -> u64 {
    ((v >> (e * esize)) as u64) & mask(esize)
}

#[inline]
pub(super) fn set_elem(v: &mut u128, e: u32, esize: u32, x: u64) {
    let m = u128::from(mask(esize)) << (e * esize);
    *v = (*v & !m) | ((u128::from(x & mask(esize))) << (e * esize));
}

#[inline]
pub(super) fn mask(esize: u32) -> u64 {
    if esize >= 64 {
        u64::MAX
    } else {
        (1u64 << esize) - 1
    }
}

#[inline]
pub(super) fn sext(x: u64, esize: u32) -> i64 {
    let s = 64 - esize;
    ((x << s) as i64) >> s
}

/// Writes `V[d]` for a `datasize`-bit result: the rest of the register is zeroed.
#[inline]
pub(super) fn set_v(cpu: &mut Cpu, d: u32, value: u128, datasize: u32) {
    cpu.state.v[d as usize] = if datasize == 64 {
        value & u128::from(u64::MAX)
    } else {
        value
    };
}

/// `AdvSIMDExpandImm(op, cmode, imm8)`.
pub(super) fn adv_simd_expand_imm(op: bool, cmode: u32, imm8: u64) -> u64 {
    let rep32 = |x: u64| x | (x << 32);
    let rep16 = |x: u64| x | (x << 16) | (x << 32) | (x << 48);
    match cmode >> 1 {
        0 => rep32(imm8),
        1 => rep32(imm8 << 8),
        2 => rep32(imm8 << 16),
        3 => rep32(imm8 << 24),
        4 => rep16(imm8),
        5 => rep16(imm8 << 8),
        6 if cmode & 1 == 0 => rep32((imm8 << 8) | 0xff),
        6 => rep32((imm8 << 16) | 0xffff),
        _ if cmode & 1 == 0 && !op => imm8 * 0x0101_0101_0101_0101,
        _ if cmode & 1 == 0 => (0..8).fold(0, |acc, i| {
            if imm8 >> i & 1 != 0 {
                acc | 0xff << (8 * i)
            } else {
                acc
            }
        }),
        _ if !op => {
            // FMOV (vector, immediate), single precision.
            let a = (imm8 >> 7) & 1;
            let b = (imm8 >> 6) & 1;
            let bits = (a << 31)
                | ((b ^ 1) << 30)
                | (if b == 1 { 0x1f << 25 } else { 0 })
                | ((imm8 & 0x3f) << 19);
            rep32(bits)
        }
        _ => {
            let a = (imm8 >> 7) & 1;
            let b = (imm8 >> 6) & 1;
            (a << 63)
                | ((b ^ 1) << 62)
                | (if b == 1 { 0xff << 54 } else { 0 })
                | ((imm8 & 0x3f) << 48)
        }
    }
}

pub(super) fn execute(cpu: &mut Cpu, i: Insn) -> Option<Exec> {
    let q = i.bit(30);
    let datasize = if q { 128 } else { 64 };
    let esize = 8u32 << i.bits(23, 22);
    let elements = datasize / esize;
    let (d, n, m) = (i.rd(), i.rn(), i.rm());
    let vn = cpu.state.v[n as usize];
    let vm = cpu.state.v[m as usize];
    let vd = cpu.state.v[d as usize];
    Some(match i.id {
        E::AND_asimdsame_only => v_result(cpu, d, vn & vm, datasize),
        E::BIC_asimdsame_only => v_result(cpu, d, vn & !vm, datasize),
        E::ORR_asimdsame_only => v_result(cpu, d, vn | vm, datasize),
        E::ORN_asimdsame_only => v_result(cpu, d, vn | !vm, datasize),
        E::EOR_asimdsame_only => v_result(cpu, d, vn ^ vm, datasize),
        E::BSL_asimdsame_only => v_result(cpu, d, (vd & vn) | (!vd & vm), datasize),
        E::BIT_asimdsame_only => v_result(cpu, d, (vm & vn) | (!vm & vd), datasize),
        E::BIF_asimdsame_only => v_result(cpu, d, (!vm & vn) | (vm & vd), datasize),
        E::NOT_asimdmisc_R => v_result(cpu, d, !vn, datasize),
        E::ADD_asimdsame_only
        | E::SUB_asimdsame_only
        | E::CMEQ_asimdsame_only
        | E::CMTST_asimdsame_only
        | E::CMHS_asimdsame_only
        | E::CMHI_asimdsame_only
        | E::CMGE_asimdsame_only
        | E::CMGT_asimdsame_only => {
            if esize == 64 && !q {
                return Some(i.undefined());
            }
            let ones = mask(esize);
            let t = |c: bool| if c { ones } else { 0 };
            let mut r = 0u128;
            for e in 0..elements {
                let (a, b) = (elem(vn, e, esize), elem(vm, e, esize));
                let x = match i.id {
                    E::ADD_asimdsame_only => a.wrapping_add(b),
                    E::SUB_asimdsame_only => a.wrapping_sub(b),
                    E::CMEQ_asimdsame_only => t(a == b),
                    E::CMTST_asimdsame_only => t(a & b != 0),
                    E::CMHS_asimdsame_only => t(a >= b),
                    E::CMHI_asimdsame_only => t(a > b),
                    E::CMGE_asimdsame_only => t(sext(a, esize) >= sext(b, esize)),
                    _ => t(sext(a, esize) > sext(b, esize)),
                };
                set_elem(&mut r, e, esize, x);
            }
            v_result(cpu, d, r, datasize)
        }
        E::CMEQ_asimdmisc_Z | E::CMGE_asimdmisc_Z | E::CMGT_asimdmisc_Z => {
            if esize == 64 && !q {
                return Some(i.undefined());
            }
            let mut r = 0u128;
            for e in 0..elements {
                let a = sext(elem(vn, e, esize), esize);
                let c = match i.id {
                    E::CMEQ_asimdmisc_Z => a == 0,
                    E::CMGE_asimdmisc_Z => a >= 0,
                    _ => a > 0,
                };
                set_elem(&mut r, e, esize, if c { u64::MAX } else { 0 });
            }
            v_result(cpu, d, r, datasize)
        }
        E::UMAXP_asimdsame_only | E::UMINP_asimdsame_only | E::ADDP_asimdsame_only => {
            if esize == 64 && (!q || i.id != E::ADDP_asimdsame_only) {
                return Some(i.undefined());
            }
            // Pairs from the concatenation Vm:Vn.
            let mut r = 0u128;
            for e in 0..elements {
                let src = if e < elements / 2 { vn } else { vm };
                let k = (e % (elements / 2)) * 2;
                let (a, b) = (elem(src, k, esize), elem(src, k + 1, esize));
                let x = match i.id {
                    E::UMAXP_asimdsame_only => a.max(b),
                    E::UMINP_asimdsame_only => a.min(b),
                    _ => a.wrapping_add(b),
                };
                set_elem(&mut r, e, esize, x);
            }
            v_result(cpu, d, r, datasize)
        }
        E::ADDP_asisdpair_only => {
            let r = elem(vn, 0, 64).wrapping_add(elem(vn, 1, 64));
            v_result(cpu, d, u128::from(r), 64)
        }
        E::ADDV_asimdall_only
        | E::UMAXV_asimdall_only
        | E::UMINV_asimdall_only
        | E::UADDLV_asimdall_only => {
            if esize == 64 || (esize == 32 && !q) {
                return Some(i.undefined());
            }
            let mut acc = elem(vn, 0, esize);
            for e in 1..elements {
                let x = elem(vn, e, esize);
                acc = match i.id {
                    E::UMAXV_asimdall_only => acc.max(x),
                    E::UMINV_asimdall_only => acc.min(x),
                    _ => acc.wrapping_add(x),
                };
            }
            let out = if i.id == E::UADDLV_asimdall_only {
                2 * esize
            } else {
                esize
            };
            v_result(cpu, d, u128::from(acc & mask(out)), 64)
        }
        E::CNT_asimdmisc_R => {
            if esize != 8 {
                return Some(i.undefined());
            }
            let mut r = 0u128;
            for e in 0..elements {
                set_elem(&mut r, e, 8, u64::from(elem(vn, e, 8).count_ones()));
            }
            v_result(cpu, d, r, datasize)
        }
        E::REV64_asimdmisc_R => {
            if esize == 64 {
                return Some(i.undefined());
            }
            let per = 64 / esize;
            let mut r = 0u128;
            for e in 0..elements {
                let base = e - e % per;
                set_elem(
                    &mut r,
                    base + (per - 1 - e % per),
                    esize,
                    elem(vn, e, esize),
                );
            }
            v_result(cpu, d, r, datasize)
        }
        E::XTN_asimdmisc_N => {
            // Narrow: Vn has 2*esize elements; Q=1 writes the upper half (XTN2).
            if esize == 64 {
                return Some(i.undefined());
            }
            let count = 64 / esize;
            let mut half = 0u128;
            for e in 0..count {
                set_elem(&mut half, e, esize, elem(vn, e, 2 * esize));
            }
            let r = if q {
                (vd & u128::from(u64::MAX)) | (half << 64)
            } else {
                half
            };
            v_result(cpu, d, r, 128)
        }
        E::EXT_asimdext_only => {
            let pos = i.bits(14, 11);
            if !q && pos >= 8 {
                return Some(i.undefined());
            }
            let bytes = datasize / 8;
            let mut r = 0u128;
            for b in 0..bytes {
                let k = b + pos;
                let x = if k < bytes {
                    elem(vn, k, 8)
                } else {
                    elem(vm, k - bytes, 8)
                };
                set_elem(&mut r, b, 8, x);
            }
            v_result(cpu, d, r, datasize)
        }
        E::UZP1_asimdperm_only
        | E::UZP2_asimdperm_only
        | E::ZIP1_asimdperm_only
        | E::ZIP2_asimdperm_only => {
            if esize == 64 && !q {
                return Some(i.undefined());
            }
            let mut r = 0u128;
            let half = elements / 2;
            for e in 0..elements {
                let x = match i.id {
                    E::UZP1_asimdperm_only | E::UZP2_asimdperm_only => {
                        let k = 2 * e + u32::from(i.id == E::UZP2_asimdperm_only);
                        if k < elements {
                            elem(vn, k, esize)
                        } else {
                            elem(vm, k - elements, esize)
                        }
                    }
                    _ => {
                        let base = if i.id == E::ZIP2_asimdperm_only {
                            half
                        } else {
                            0
                        };
                        let src = if e % 2 == 0 { vn } else { vm };
                        elem(src, base + e / 2, esize)
                    }
                };
                set_elem(&mut r, e, esize, x);
            }
            v_result(cpu, d, r, datasize)
        }
        E::TBL_asimdtbl_L1_1
        | E::TBL_asimdtbl_L2_2
        | E::TBL_asimdtbl_L3_3
        | E::TBL_asimdtbl_L4_4 => {
            let regs = i.bits(14, 13) + 1;
            let mut r = 0u128;
            for b in 0..datasize / 8 {
                let idx = elem(vm, b, 8) as u32;
                if idx < 16 * regs {
                    let t = cpu.state.v[((n + idx / 16) % 32) as usize];
                    set_elem(&mut r, b, 8, elem(t, idx % 16, 8));
                }
            }
            v_result(cpu, d, r, datasize)
        }
        E::DUP_asimdins_DR_r | E::DUP_asimdins_DV_v => {
            let imm5 = i.bits(20, 16);
            // 64-bit elements (imm5 = x1000) need Q = 1.
            if imm5 & 0xf == 0 || (imm5 & 0xf == 8 && !q) {
                return Some(i.undefined());
            }
            let size = imm5.trailing_zeros();
            let esize = 8 << size;
            let x = if i.id == E::DUP_asimdins_DR_r {
                cpu.state.xr(n) & mask(esize)
            } else {
                elem(vn, imm5 >> (size + 1), esize)
            };
            let mut r = 0u128;
            for e in 0..datasize / esize {
                set_elem(&mut r, e, esize, x);
            }
            v_result(cpu, d, r, datasize)
        }
        E::UMOV_asimdins_W_w
        | E::UMOV_asimdins_X_x
        | E::SMOV_asimdins_W_w
        | E::SMOV_asimdins_X_x => {
            let imm5 = i.bits(20, 16);
            let size = imm5.trailing_zeros();
            if size > 3 {
                return Some(i.undefined());
            }
            let esize = 8 << size;
            let x = elem(vn, imm5 >> (size + 1), esize);
            let x = match i.id {
                E::SMOV_asimdins_W_w => sext(x, esize) as u64 & 0xffff_ffff,
                E::SMOV_asimdins_X_x => sext(x, esize) as u64,
                _ => x,
            };
            cpu.state.set_xr(d, x);
            Ok(())
        }
        E::INS_asimdins_IR_r | E::INS_asimdins_IV_v => {
            let imm5 = i.bits(20, 16);
            let size = imm5.trailing_zeros();
            if size > 3 {
                return Some(i.undefined());
            }
            let esize = 8 << size;
            let x = if i.id == E::INS_asimdins_IR_r {
                cpu.state.xr(n)
            } else {
                elem(vn, i.bits(14, 11) >> size, esize)
            };
            let mut r = vd;
            set_elem(&mut r, imm5 >> (size + 1), esize, x);
            v_result(cpu, d, r, 128)
        }
        E::MOVI_asimdimm_D2_d
        | E::MOVI_asimdimm_D_ds
        | E::MOVI_asimdimm_L_hl
        | E::MOVI_asimdimm_L_sl
        | E::MOVI_asimdimm_M_sm
        | E::MOVI_asimdimm_N_b
        | E::MVNI_asimdimm_L_hl
        | E::MVNI_asimdimm_L_sl
        | E::MVNI_asimdimm_M_sm
        | E::ORR_asimdimm_L_hl
        | E::ORR_asimdimm_L_sl
        | E::BIC_asimdimm_L_hl
        | E::BIC_asimdimm_L_sl
        | E::FMOV_asimdimm_S_s
        | E::FMOV_asimdimm_D2_d => {
            let imm8 = u64::from((i.bits(18, 16) << 5) | i.bits(9, 5));
            let imm = adv_simd_expand_imm(i.bit(29), i.bits(15, 12), imm8);
            let imm = u128::from(imm) | (u128::from(imm) << 64);
            let r = match i.id {
                E::MVNI_asimdimm_L_hl | E::MVNI_asimdimm_L_sl | E::MVNI_asimdimm_M_sm => !imm,
                E::ORR_asimdimm_L_hl | E::ORR_asimdimm_L_sl => vd | imm,
                E::BIC_asimdimm_L_hl | E::BIC_asimdimm_L_sl => vd & !imm,
                _ => imm,
            };
            let datasize = if i.id == E::MOVI_asimdimm_D_ds {
                64
            } else {
                datasize
            };
            v_result(cpu, d, r, datasize)
        }
        E::FMOV_32S_float2int => {
            cpu.state.set_xr(d, vn as u32 as u64);
            Ok(())
        }
        E::FMOV_64D_float2int => {
            cpu.state.set_xr(d, vn as u64);
            Ok(())
        }
        E::FMOV_64VX_float2int => {
            cpu.state.set_xr(d, (vn >> 64) as u64);
            Ok(())
        }
        E::FMOV_S32_float2int => v_result(cpu, d, u128::from(cpu.state.xr(n) as u32), 128),
        E::FMOV_D64_float2int => v_result(cpu, d, u128::from(cpu.state.xr(n)), 128),
        E::FMOV_V64I_float2int => {
            let r = (vd & u128::from(u64::MAX)) | (u128::from(cpu.state.xr(n)) << 64);
            v_result(cpu, d, r, 128)
        }
        _ => return None,
    })
}

#[inline]
pub(super) fn v_result(cpu: &mut Cpu, d: u32, value: u128, datasize: u32) -> Exec {
    set_v(cpu, d, value, datasize);
    Ok(())
}
