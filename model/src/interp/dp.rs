//! Data processing: the Arm ARM's "Data Processing -- Immediate" (`dpimm/*`) and "Data
//! Processing -- Register" (`dpreg/*`) groups of base integer instructions.

use super::pseudocode::{
    add_with_carry, condition_holds, decode_bit_masks, extend_reg, logical_flags, ones, ror,
    shift_reg,
};
use super::{Cpu, Exec, Insn};
use crate::decode::EncodingId as E;

/// Executes `i` if it belongs to these groups, else `None`.
#[inline(always)]
pub(super) fn execute(cpu: &mut Cpu, i: Insn) -> Option<Exec> {
    let datasize = if i.bit(31) { 64 } else { 32 };
    Some(match i.id {
        E::ADD_32_addsub_imm
        | E::ADD_64_addsub_imm
        | E::ADDS_32S_addsub_imm
        | E::ADDS_64S_addsub_imm
        | E::SUB_32_addsub_imm
        | E::SUB_64_addsub_imm
        | E::SUBS_32S_addsub_imm
        | E::SUBS_64S_addsub_imm => {
            let imm = u64::from(i.bits(21, 10)) << (12 * i.bits(22, 22));
            let op2 = if i.bit(30) { !imm } else { imm };
            let op1 = cpu.state.xsp(i.rn());
            let (result, flags) = add_with_carry(op1, op2, i.bit(30), datasize);
            write_result(cpu, i, result, flags, datasize, i.bit(29), true)
        }
        E::ADD_32_addsub_shift
        | E::ADD_64_addsub_shift
        | E::ADDS_32_addsub_shift
        | E::ADDS_64_addsub_shift
        | E::SUB_32_addsub_shift
        | E::SUB_64_addsub_shift
        | E::SUBS_32_addsub_shift
        | E::SUBS_64_addsub_shift => {
            let shift = i.bits(23, 22);
            let amount = i.bits(15, 10);
            if shift == 3 || (datasize == 32 && amount >= 32) {
                return Some(i.undefined());
            }
            let op2 = shift_reg(cpu.state.xr(i.rm()), shift, amount, datasize);
            let op2 = if i.bit(30) { !op2 } else { op2 };
            let (result, flags) = add_with_carry(cpu.state.xr(i.rn()), op2, i.bit(30), datasize);
            write_result(cpu, i, result, flags, datasize, i.bit(29), false)
        }
        E::ADD_32_addsub_ext
        | E::ADD_64_addsub_ext
        | E::ADDS_32S_addsub_ext
        | E::ADDS_64S_addsub_ext
        | E::SUB_32_addsub_ext
        | E::SUB_64_addsub_ext
        | E::SUBS_32S_addsub_ext
        | E::SUBS_64S_addsub_ext => {
            let shift = i.bits(12, 10);
            if shift > 4 {
                return Some(i.undefined());
            }
            let op2 = extend_reg(cpu.state.xr(i.rm()), i.bits(15, 13), shift, datasize);
            let op2 = if i.bit(30) { !op2 } else { op2 };
            let (result, flags) = add_with_carry(cpu.state.xsp(i.rn()), op2, i.bit(30), datasize);
            write_result(cpu, i, result, flags, datasize, i.bit(29), true)
        }
        E::ADC_32_addsub_carry
        | E::ADC_64_addsub_carry
        | E::ADCS_32_addsub_carry
        | E::ADCS_64_addsub_carry
        | E::SBC_32_addsub_carry
        | E::SBC_64_addsub_carry
        | E::SBCS_32_addsub_carry
        | E::SBCS_64_addsub_carry => {
            let op2 = cpu.state.xr(i.rm());
            let op2 = if i.bit(30) { !op2 } else { op2 };
            let c = cpu.state.pstate.c;
            let (result, flags) = add_with_carry(cpu.state.xr(i.rn()), op2, c, datasize);
            write_result(cpu, i, result, flags, datasize, i.bit(29), false)
        }
        E::AND_32_log_imm
        | E::AND_64_log_imm
        | E::ORR_32_log_imm
        | E::ORR_64_log_imm
        | E::EOR_32_log_imm
        | E::EOR_64_log_imm
        | E::ANDS_32S_log_imm
        | E::ANDS_64S_log_imm => {
            let Some((imm, _)) = decode_bit_masks(
                i.bits(22, 22),
                i.bits(15, 10),
                i.bits(21, 16),
                true,
                datasize,
            ) else {
                return Some(i.undefined());
            };
            let op1 = cpu.state.xr(i.rn());
            let opc = i.bits(30, 29);
            let result = logical(opc, op1, imm) & ones(datasize);
            if opc == 3 {
                cpu.state.pstate.set_nzcv(logical_flags(result, datasize));
                cpu.state.set_xr(i.rd(), result);
            } else {
                cpu.state.set_xsp(i.rd(), result);
            }
            Ok(())
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
            let amount = i.bits(15, 10);
            if datasize == 32 && amount >= 32 {
                return Some(i.undefined());
            }
            let op2 = shift_reg(cpu.state.xr(i.rm()), i.bits(23, 22), amount, datasize);
            let op2 = if i.bit(21) { !op2 } else { op2 };
            let opc = i.bits(30, 29);
            let result = logical(opc, cpu.state.xr(i.rn()), op2) & ones(datasize);
            if opc == 3 {
                cpu.state.pstate.set_nzcv(logical_flags(result, datasize));
            }
            cpu.state.set_xr(i.rd(), result);
            Ok(())
        }
        E::MOVN_32_movewide
        | E::MOVN_64_movewide
        | E::MOVZ_32_movewide
        | E::MOVZ_64_movewide
        | E::MOVK_32_movewide
        | E::MOVK_64_movewide => {
            let hw = i.bits(22, 21);
            if datasize == 32 && hw > 1 {
                return Some(i.undefined());
            }
            let pos = hw * 16;
            let imm = u64::from(i.bits(20, 5));
            let result = match i.bits(30, 29) {
                0 => !(imm << pos),
                2 => imm << pos,
                _ => (cpu.state.xr(i.rd()) & !(0xffff << pos)) | (imm << pos),
            };
            cpu.state.set_xr(i.rd(), result & ones(datasize));
            Ok(())
        }
        E::SBFM_32M_bitfield
        | E::SBFM_64M_bitfield
        | E::BFM_32M_bitfield
        | E::BFM_64M_bitfield
        | E::UBFM_32M_bitfield
        | E::UBFM_64M_bitfield => {
            let n = i.bits(22, 22);
            if (datasize == 64) != (n == 1) {
                return Some(i.undefined());
            }
            let (immr, imms) = (i.bits(21, 16), i.bits(15, 10));
            if datasize == 32 && (immr >= 32 || imms >= 32) {
                return Some(i.undefined());
            }
            let Some((wmask, tmask)) = decode_bit_masks(n, imms, immr, false, datasize) else {
                return Some(i.undefined());
            };
            let opc = i.bits(30, 29);
            let dst = if opc == 1 { cpu.state.xr(i.rd()) } else { 0 };
            let src = cpu.state.xr(i.rn());
            let bot = (dst & !wmask) | (ror(src, immr, datasize) & wmask);
            let top = if opc == 0 {
                // Replicate(src<S>)
                if (src >> imms) & 1 != 0 {
                    ones(datasize)
                } else {
                    0
                }
            } else {
                dst
            };
            let result = (top & !tmask) | (bot & tmask);
            cpu.state.set_xr(i.rd(), result & ones(datasize));
            Ok(())
        }
        E::EXTR_32_extract | E::EXTR_64_extract => {
            let lsb = i.bits(15, 10);
            if (datasize == 64) != i.bit(22) || lsb >= datasize {
                return Some(i.undefined());
            }
            let (hi, lo) = (cpu.state.xr(i.rn()), cpu.state.xr(i.rm()));
            let concat =
                (u128::from(hi & ones(datasize)) << datasize) | u128::from(lo & ones(datasize));
            cpu.state
                .set_xr(i.rd(), (concat >> lsb) as u64 & ones(datasize));
            Ok(())
        }
        E::ADR_only_pcreladdr | E::ADRP_only_pcreladdr => {
            let imm = (i.bits(23, 5) << 2) | i.bits(30, 29);
            let imm = super::pseudocode::sign_extend(u64::from(imm), 21);
            let result = if i.bit(31) {
                (i.pc & !0xfff).wrapping_add(imm << 12)
            } else {
                i.pc.wrapping_add(imm)
            };
            cpu.state.set_xr(i.rd(), result);
            Ok(())
        }
        E::CCMN_32_condcmp_imm
        | E::CCMN_64_condcmp_imm
        | E::CCMP_32_condcmp_imm
        | E::CCMP_64_condcmp_imm
        | E::CCMN_32_condcmp_reg
        | E::CCMN_64_condcmp_reg
        | E::CCMP_32_condcmp_reg
        | E::CCMP_64_condcmp_reg => {
            let cond = i.bits(15, 12);
            if condition_holds(cond, &cpu.state.pstate) {
                let y = if i.bit(11) {
                    u64::from(i.bits(20, 16))
                } else {
                    cpu.state.xr(i.rm())
                };
                let sub = i.bit(30);
                let y = if sub { !y } else { y };
                let (_, flags) = add_with_carry(cpu.state.xr(i.rn()), y, sub, datasize);
                cpu.state.pstate.set_nzcv(flags);
            } else {
                cpu.state.pstate.set_nzcv(i.bits(3, 0) as u8);
            }
            Ok(())
        }
        E::CSEL_32_condsel
        | E::CSEL_64_condsel
        | E::CSINC_32_condsel
        | E::CSINC_64_condsel
        | E::CSINV_32_condsel
        | E::CSINV_64_condsel
        | E::CSNEG_32_condsel
        | E::CSNEG_64_condsel => {
            let result = if condition_holds(i.bits(15, 12), &cpu.state.pstate) {
                cpu.state.xr(i.rn())
            } else {
                let r = cpu.state.xr(i.rm());
                let r = if i.bit(30) { !r } else { r };
                if i.bit(10) { r.wrapping_add(1) } else { r }
            };
            cpu.state.set_xr(i.rd(), result & ones(datasize));
            Ok(())
        }
        E::RBIT_32_dp_1src | E::RBIT_64_dp_1src => {
            let x = cpu.state.xr(i.rn());
            let r = if datasize == 64 {
                x.reverse_bits()
            } else {
                u64::from((x as u32).reverse_bits())
            };
            cpu.state.set_xr(i.rd(), r);
            Ok(())
        }
        E::REV16_32_dp_1src
        | E::REV16_64_dp_1src
        | E::REV32_64_dp_1src
        | E::REV_32_dp_1src
        | E::REV_64_dp_1src => {
            let x = cpu.state.xr(i.rn());
            // opc: 01 REV16, 10 REV32 (REV for 32-bit), 11 REV (64-bit).
            let container = 8u32 << i.bits(11, 10);
            let mut r = 0u64;
            let mut base = 0;
            while base < datasize {
                let c = (x >> base) & ones(container);
                let rev = c.swap_bytes() >> (64 - container);
                r |= rev << base;
                base += container;
            }
            cpu.state.set_xr(i.rd(), r & ones(datasize));
            Ok(())
        }
        // FEAT_CSSC: ABS, CNT, CTZ; SMAX, SMIN, UMAX, UMIN with a register or an 8-bit
        // immediate (signed for SMAX and SMIN).
        E::ABS_32_dp_1src
        | E::ABS_64_dp_1src
        | E::CNT_32_dp_1src
        | E::CNT_64_dp_1src
        | E::CTZ_32_dp_1src
        | E::CTZ_64_dp_1src => {
            if !cpu.config.features.cssc {
                return Some(i.undefined());
            }
            let x = cpu.state.xr(i.rn()) & ones(datasize);
            // opcode (15:10): 000110 CTZ, 000111 CNT, 001000 ABS.
            let r = match i.bits(15, 10) {
                0b000110 => u64::from(if datasize == 64 {
                    x.trailing_zeros()
                } else {
                    (x as u32).trailing_zeros()
                }),
                0b000111 => u64::from(x.count_ones()),
                _ => {
                    let negative = (x >> (datasize - 1)) & 1 != 0;
                    if negative { x.wrapping_neg() } else { x }
                }
            };
            cpu.state.set_xr(i.rd(), r & ones(datasize));
            Ok(())
        }
        E::SMAX_32_dp_2src
        | E::SMAX_64_dp_2src
        | E::SMIN_32_dp_2src
        | E::SMIN_64_dp_2src
        | E::UMAX_32_dp_2src
        | E::UMAX_64_dp_2src
        | E::UMIN_32_dp_2src
        | E::UMIN_64_dp_2src
        | E::SMAX_32_minmax_imm
        | E::SMAX_64_minmax_imm
        | E::SMIN_32_minmax_imm
        | E::SMIN_64_minmax_imm
        | E::UMAX_32U_minmax_imm
        | E::UMAX_64U_minmax_imm
        | E::UMIN_32U_minmax_imm
        | E::UMIN_64U_minmax_imm => {
            if !cpu.config.features.cssc {
                return Some(i.undefined());
            }
            let imm_form = i.id.info().group == "dpimm/minmax_imm";
            // (unsigned, min): opc<1:0> of the immediate form, opcode<1:0> of the register one.
            let op = if imm_form {
                i.bits(19, 18)
            } else {
                i.bits(11, 10)
            };
            let (unsigned, min) = (op & 1 != 0, op & 2 != 0);
            let a = cpu.state.xr(i.rn()) & ones(datasize);
            let b = if imm_form {
                let imm = u64::from(i.bits(17, 10));
                if unsigned {
                    imm
                } else {
                    (imm as i8) as i64 as u64
                }
            } else {
                cpu.state.xr(i.rm())
            } & ones(datasize);
            let sext = |v: u64| ((v << (64 - datasize)) as i64) >> (64 - datasize);
            let a_wins = match (unsigned, min) {
                (true, false) => a >= b,
                (true, true) => a <= b,
                (false, false) => sext(a) >= sext(b),
                (false, true) => sext(a) <= sext(b),
            };
            cpu.state.set_xr(i.rd(), if a_wins { a } else { b });
            Ok(())
        }
        E::CLZ_32_dp_1src | E::CLZ_64_dp_1src => {
            let x = cpu.state.xr(i.rn());
            let r = if datasize == 64 {
                x.leading_zeros()
            } else {
                (x as u32).leading_zeros()
            };
            cpu.state.set_xr(i.rd(), u64::from(r));
            Ok(())
        }
        E::CLS_32_dp_1src | E::CLS_64_dp_1src => {
            let x = cpu.state.xr(i.rn());
            let r = if datasize == 64 {
                (x ^ (x << 1)).leading_zeros().min(63)
            } else {
                let x = x as u32;
                (x ^ (x << 1)).leading_zeros().min(31)
            };
            cpu.state.set_xr(i.rd(), u64::from(r));
            Ok(())
        }
        E::UDIV_32_dp_2src | E::UDIV_64_dp_2src | E::SDIV_32_dp_2src | E::SDIV_64_dp_2src => {
            let (n, m) = (cpu.state.xr(i.rn()), cpu.state.xr(i.rm()));
            let signed = i.bit(10);
            // Division by zero gives zero; the result rounds towards zero.
            let r = match (datasize, signed) {
                (64, false) => n.checked_div(m).unwrap_or(0),
                (64, true) => {
                    if m == 0 {
                        0
                    } else {
                        (n as i64).wrapping_div(m as i64) as u64
                    }
                }
                (_, false) => u64::from((n as u32).checked_div(m as u32).unwrap_or(0)),
                (_, true) => {
                    if m as u32 == 0 {
                        0
                    } else {
                        u64::from((n as i32).wrapping_div(m as i32) as u32)
                    }
                }
            };
            cpu.state.set_xr(i.rd(), r);
            Ok(())
        }
        E::LSLV_32_dp_2src
        | E::LSLV_64_dp_2src
        | E::LSRV_32_dp_2src
        | E::LSRV_64_dp_2src
        | E::ASRV_32_dp_2src
        | E::ASRV_64_dp_2src
        | E::RORV_32_dp_2src
        | E::RORV_64_dp_2src => {
            let amount = (cpu.state.xr(i.rm()) % u64::from(datasize)) as u32;
            let r = shift_reg(cpu.state.xr(i.rn()), i.bits(11, 10), amount, datasize);
            cpu.state.set_xr(i.rd(), r);
            Ok(())
        }
        E::MADD_32A_dp_3src | E::MADD_64A_dp_3src | E::MSUB_32A_dp_3src | E::MSUB_64A_dp_3src => {
            let ra = i.bits(14, 10);
            let prod = cpu.state.xr(i.rn()).wrapping_mul(cpu.state.xr(i.rm()));
            let a = cpu.state.xr(ra);
            let r = if i.bit(15) {
                a.wrapping_sub(prod)
            } else {
                a.wrapping_add(prod)
            };
            cpu.state.set_xr(i.rd(), r & ones(datasize));
            Ok(())
        }
        E::SMADDL_64WA_dp_3src
        | E::SMSUBL_64WA_dp_3src
        | E::UMADDL_64WA_dp_3src
        | E::UMSUBL_64WA_dp_3src => {
            let (n, m) = (cpu.state.xr(i.rn()), cpu.state.xr(i.rm()));
            let prod = if i.bit(23) {
                (n as u32 as u64).wrapping_mul(m as u32 as u64)
            } else {
                (n as i32 as i64).wrapping_mul(m as i32 as i64) as u64
            };
            let a = cpu.state.xr(i.bits(14, 10));
            let r = if i.bit(15) {
                a.wrapping_sub(prod)
            } else {
                a.wrapping_add(prod)
            };
            cpu.state.set_xr(i.rd(), r);
            Ok(())
        }
        E::SMULH_64_dp_3src | E::UMULH_64_dp_3src => {
            let (n, m) = (cpu.state.xr(i.rn()), cpu.state.xr(i.rm()));
            let r = if i.bit(23) {
                ((u128::from(n) * u128::from(m)) >> 64) as u64
            } else {
                ((i128::from(n as i64) * i128::from(m as i64)) >> 64) as u64
            };
            cpu.state.set_xr(i.rd(), r);
            Ok(())
        }
        _ => return None,
    })
}

/// AND, ORR, EOR, ANDS by `opc`.
#[inline(always)]
pub(super) fn logical(opc: u32, a: u64, b: u64) -> u64 {
    match opc {
        1 => a | b,
        2 => a ^ b,
        _ => a & b,
    }
}

/// Writes an add/sub result: flags when `setflags`; Rd is SP-capable when `sp_ok` and no flags.
#[inline(always)]
fn write_result(
    cpu: &mut Cpu,
    i: Insn,
    result: u64,
    flags: u8,
    datasize: u32,
    setflags: bool,
    sp_ok: bool,
) -> Exec {
    let result = result & ones(datasize);
    if setflags {
        cpu.state.pstate.set_nzcv(flags);
        cpu.state.set_xr(i.rd(), result);
    } else if sp_ok {
        cpu.state.set_xsp(i.rd(), result);
    } else {
        cpu.state.set_xr(i.rd(), result);
    }
    Ok(())
}
