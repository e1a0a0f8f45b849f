//! Loads and stores: the Arm ARM's "Loads and Stores" group for general-purpose and SIMD&FP
//! registers: single registers with every addressing mode (unsigned offset, pre/post-index,
//! unscaled, register offset, literal), pairs, exclusives with the local monitor, and
//! load-acquire/store-release.

use super::pseudocode::{extend_reg, sign_extend};
use super::{Cpu, Exception, Exec, Insn};
use crate::decode::EncodingId as E;
use crate::memory::{AccessKind, Fault, FaultKind, Memory};

/// How a single-register access finds its address.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// `[Xn|SP, #imm12 << scale]`
    UnsignedOffset,
    /// `[Xn|SP, #simm9]!`
    PreIndex,
    /// `[Xn|SP], #simm9`
    PostIndex,
    /// `[Xn|SP, #simm9]`
    Unscaled,
    /// `[Xn|SP, Rm{, extend {#amount}}]`
    Register,
}

#[inline(always)]
pub(super) fn execute(cpu: &mut Cpu, mem: &mut impl Memory, i: Insn) -> Option<Exec> {
    match i.id {
        E::LDTRB_32_ldst_unpriv
        | E::LDTRH_32_ldst_unpriv
        | E::LDTRSB_32_ldst_unpriv
        | E::LDTRSB_64_ldst_unpriv
        | E::LDTRSH_32_ldst_unpriv
        | E::LDTRSH_64_ldst_unpriv
        | E::LDTRSW_64_ldst_unpriv
        | E::LDTR_32_ldst_unpriv
        | E::LDTR_64_ldst_unpriv
        | E::STTRB_32_ldst_unpriv
        | E::STTRH_32_ldst_unpriv
        | E::STTR_32_ldst_unpriv
        | E::STTR_64_ldst_unpriv => Some(unprivileged(cpu, mem, i)),
        E::LDRB_32_ldst_pos
        | E::LDRH_32_ldst_pos
        | E::LDRSB_32_ldst_pos
        | E::LDRSB_64_ldst_pos
        | E::LDRSH_32_ldst_pos
        | E::LDRSH_64_ldst_pos
        | E::LDRSW_64_ldst_pos
        | E::LDR_32_ldst_pos
        | E::LDR_64_ldst_pos
        | E::LDR_B_ldst_pos
        | E::LDR_D_ldst_pos
        | E::LDR_H_ldst_pos
        | E::LDR_Q_ldst_pos
        | E::LDR_S_ldst_pos
        | E::PRFM_P_ldst_pos
        | E::STRB_32_ldst_pos
        | E::STRH_32_ldst_pos
        | E::STR_32_ldst_pos
        | E::STR_64_ldst_pos
        | E::STR_B_ldst_pos
        | E::STR_D_ldst_pos
        | E::STR_H_ldst_pos
        | E::STR_Q_ldst_pos
        | E::STR_S_ldst_pos => Some(single(cpu, mem, i, Mode::UnsignedOffset)),
        E::LDRB_32_ldst_immpre
        | E::LDRH_32_ldst_immpre
        | E::LDRSB_32_ldst_immpre
        | E::LDRSB_64_ldst_immpre
        | E::LDRSH_32_ldst_immpre
        | E::LDRSH_64_ldst_immpre
        | E::LDRSW_64_ldst_immpre
        | E::LDR_32_ldst_immpre
        | E::LDR_64_ldst_immpre
        | E::LDR_B_ldst_immpre
        | E::LDR_D_ldst_immpre
        | E::LDR_H_ldst_immpre
        | E::LDR_Q_ldst_immpre
        | E::LDR_S_ldst_immpre
        | E::STRB_32_ldst_immpre
        | E::STRH_32_ldst_immpre
        | E::STR_32_ldst_immpre
        | E::STR_64_ldst_immpre
        | E::STR_B_ldst_immpre
        | E::STR_D_ldst_immpre
        | E::STR_H_ldst_immpre
        | E::STR_Q_ldst_immpre
        | E::STR_S_ldst_immpre => Some(single(cpu, mem, i, Mode::PreIndex)),
        E::LDRB_32_ldst_immpost
        | E::LDRH_32_ldst_immpost
        | E::LDRSB_32_ldst_immpost
        | E::LDRSB_64_ldst_immpost
        | E::LDRSH_32_ldst_immpost
        | E::LDRSH_64_ldst_immpost
        | E::LDRSW_64_ldst_immpost
        | E::LDR_32_ldst_immpost
        | E::LDR_64_ldst_immpost
        | E::LDR_B_ldst_immpost
        | E::LDR_D_ldst_immpost
        | E::LDR_H_ldst_immpost
        | E::LDR_Q_ldst_immpost
        | E::LDR_S_ldst_immpost
        | E::STRB_32_ldst_immpost
        | E::STRH_32_ldst_immpost
        | E::STR_32_ldst_immpost
        | E::STR_64_ldst_immpost
        | E::STR_B_ldst_immpost
        | E::STR_D_ldst_immpost
        | E::STR_H_ldst_immpost
        | E::STR_Q_ldst_immpost
        | E::STR_S_ldst_immpost => Some(single(cpu, mem, i, Mode::PostIndex)),
        E::LDURB_32_ldst_unscaled
        | E::LDURH_32_ldst_unscaled
        | E::LDURSB_32_ldst_unscaled
        | E::LDURSB_64_ldst_unscaled
        | E::LDURSH_32_ldst_unscaled
        | E::LDURSH_64_ldst_unscaled
        | E::LDURSW_64_ldst_unscaled
        | E::LDUR_32_ldst_unscaled
        | E::LDUR_64_ldst_unscaled
        | E::LDUR_B_ldst_unscaled
        | E::LDUR_D_ldst_unscaled
        | E::LDUR_H_ldst_unscaled
        | E::LDUR_Q_ldst_unscaled
        | E::LDUR_S_ldst_unscaled
        | E::PRFUM_P_ldst_unscaled
        | E::STURB_32_ldst_unscaled
        | E::STURH_32_ldst_unscaled
        | E::STUR_32_ldst_unscaled
        | E::STUR_64_ldst_unscaled
        | E::STUR_B_ldst_unscaled
        | E::STUR_D_ldst_unscaled
        | E::STUR_H_ldst_unscaled
        | E::STUR_Q_ldst_unscaled
        | E::STUR_S_ldst_unscaled => Some(single(cpu, mem, i, Mode::Unscaled)),
        E::LDRB_32BL_ldst_regoff
        | E::LDRB_32B_ldst_regoff
        | E::LDRH_32_ldst_regoff
        | E::LDRSB_32BL_ldst_regoff
        | E::LDRSB_32B_ldst_regoff
        | E::LDRSB_64BL_ldst_regoff
        | E::LDRSB_64B_ldst_regoff
        | E::LDRSH_32_ldst_regoff
        | E::LDRSH_64_ldst_regoff
        | E::LDRSW_64_ldst_regoff
        | E::LDR_32_ldst_regoff
        | E::LDR_64_ldst_regoff
        | E::LDR_BL_ldst_regoff
        | E::LDR_B_ldst_regoff
        | E::LDR_D_ldst_regoff
        | E::LDR_H_ldst_regoff
        | E::LDR_Q_ldst_regoff
        | E::LDR_S_ldst_regoff
        | E::PRFM_P_ldst_regoff
        | E::STRB_32BL_ldst_regoff
        | E::STRB_32B_ldst_regoff
        | E::STRH_32_ldst_regoff
        | E::STR_32_ldst_regoff
        | E::STR_64_ldst_regoff
        | E::STR_BL_ldst_regoff
        | E::STR_B_ldst_regoff
        | E::STR_D_ldst_regoff
        | E::STR_H_ldst_regoff
        | E::STR_Q_ldst_regoff
        | E::STR_S_ldst_regoff => Some(single(cpu, mem, i, Mode::Register)),
        E::LDR_32_loadlit
        | E::LDR_64_loadlit
        | E::LDRSW_64_loadlit
        | E::LDR_S_loadlit
        | E::LDR_D_loadlit
        | E::LDR_Q_loadlit
        | E::PRFM_P_loadlit => Some(load_literal(cpu, mem, i)),
        E::LDP_32_ldstpair_off
        | E::LDP_64_ldstpair_off
        | E::LDP_S_ldstpair_off
        | E::LDP_D_ldstpair_off
        | E::LDP_Q_ldstpair_off
        | E::LDPSW_64_ldstpair_off
        | E::STP_32_ldstpair_off
        | E::STP_64_ldstpair_off
        | E::STP_S_ldstpair_off
        | E::STP_D_ldstpair_off
        | E::STP_Q_ldstpair_off
        | E::LDNP_32_ldstnapair_offs
        | E::LDNP_64_ldstnapair_offs
        | E::LDNP_S_ldstnapair_offs
        | E::LDNP_D_ldstnapair_offs
        | E::LDNP_Q_ldstnapair_offs
        | E::STNP_32_ldstnapair_offs
        | E::STNP_64_ldstnapair_offs
        | E::STNP_S_ldstnapair_offs
        | E::STNP_D_ldstnapair_offs
        | E::STNP_Q_ldstnapair_offs => Some(pair(cpu, mem, i, false, false)),
        E::LDP_32_ldstpair_pre
        | E::LDP_64_ldstpair_pre
        | E::LDP_S_ldstpair_pre
        | E::LDP_D_ldstpair_pre
        | E::LDP_Q_ldstpair_pre
        | E::LDPSW_64_ldstpair_pre
        | E::STP_32_ldstpair_pre
        | E::STP_64_ldstpair_pre
        | E::STP_S_ldstpair_pre
        | E::STP_D_ldstpair_pre
        | E::STP_Q_ldstpair_pre => Some(pair(cpu, mem, i, true, false)),
        E::LDP_32_ldstpair_post
        | E::LDP_64_ldstpair_post
        | E::LDP_S_ldstpair_post
        | E::LDP_D_ldstpair_post
        | E::LDP_Q_ldstpair_post
        | E::LDPSW_64_ldstpair_post
        | E::STP_32_ldstpair_post
        | E::STP_64_ldstpair_post
        | E::STP_S_ldstpair_post
        | E::STP_D_ldstpair_post
        | E::STP_Q_ldstpair_post => Some(pair(cpu, mem, i, true, true)),
        E::LDAXRB_LR32_ldstexclr
        | E::LDAXRH_LR32_ldstexclr
        | E::LDAXR_LR32_ldstexclr
        | E::LDAXR_LR64_ldstexclr
        | E::LDXRB_LR32_ldstexclr
        | E::LDXRH_LR32_ldstexclr
        | E::LDXR_LR32_ldstexclr
        | E::LDXR_LR64_ldstexclr
        | E::STLXRB_SR32_ldstexclr
        | E::STLXRH_SR32_ldstexclr
        | E::STLXR_SR32_ldstexclr
        | E::STLXR_SR64_ldstexclr
        | E::STXRB_SR32_ldstexclr
        | E::STXRH_SR32_ldstexclr
        | E::STXR_SR32_ldstexclr
        | E::STXR_SR64_ldstexclr => Some(exclusive(cpu, mem, i, false)),
        E::LDAXP_LP32_ldstexclp
        | E::LDAXP_LP64_ldstexclp
        | E::LDXP_LP32_ldstexclp
        | E::LDXP_LP64_ldstexclp
        | E::STLXP_SP32_ldstexclp
        | E::STLXP_SP64_ldstexclp
        | E::STXP_SP32_ldstexclp
        | E::STXP_SP64_ldstexclp => Some(exclusive(cpu, mem, i, true)),
        E::LDARB_LR32_ldstord
        | E::LDARH_LR32_ldstord
        | E::LDAR_LR32_ldstord
        | E::LDAR_LR64_ldstord
        | E::STLRB_SL32_ldstord
        | E::STLRH_SL32_ldstord
        | E::STLR_SL32_ldstord
        | E::STLR_SL64_ldstord => Some(ordered(cpu, mem, i)),
        E::LDLARB_LR32_ldstord
        | E::LDLARH_LR32_ldstord
        | E::LDLAR_LR32_ldstord
        | E::LDLAR_LR64_ldstord
        | E::STLLRB_SL32_ldstord
        | E::STLLRH_SL32_ldstord
        | E::STLLR_SL32_ldstord
        | E::STLLR_SL64_ldstord => {
            if !cpu.config.features.lor {
                return Some(i.undefined());
            }
            Some(ordered(cpu, mem, i))
        }
        _ => None,
    }
}

/// What a single-register access moves: from `size`, `V` and `opc`.
#[derive(Clone, Copy)]
enum Op {
    Store,
    /// Load zero-extending into a register of `regsize` bits.
    Load,
    /// Load sign-extending into a register of `regsize` bits.
    LoadSigned {
        regsize: u32,
    },
    Prefetch,
}

/// Inlined into each addressing mode's arm, so `mode` is a constant there.
#[inline(always)]
/// LDTR, STTR and their sizes: `[Xn|SP, #simm9]`, made with EL0's permissions when executed
/// at EL1 (or at EL2 in the host: E2H and TGE set) with PSTATE.UAO clear (FEAT_UAO: set, they are ordinary privileged accesses, PAN
/// included); elsewhere an ordinary access.
fn unprivileged(cpu: &mut Cpu, mem: &mut impl Memory, i: Insn) -> Exec {
    use crate::state::ExceptionLevel as El;
    let el = cpu.state.pstate.el;
    let as_el0 = cpu.config.system
        && (el == El::EL1 || (el == El::EL2 && cpu.in_host(El::EL0)))
        && !cpu.state.pstate.uao;
    if as_el0 {
        mem.set_unprivileged(true);
    }
    let r = single(cpu, mem, i, Mode::Unscaled);
    if as_el0 {
        mem.set_unprivileged(false);
    }
    r
}

fn single(cpu: &mut Cpu, mem: &mut impl Memory, i: Insn, mode: Mode) -> Exec {
    let size = i.bits(31, 30);
    let opc = i.bits(23, 22);
    let simd = i.bit(26);
    // scale = log2(bytes)
    let (scale, op) = if simd {
        let scale = ((opc >> 1) << 2) | size;
        (scale, if opc & 1 == 1 { Op::Load } else { Op::Store })
    } else {
        let op = match opc {
            0 => Op::Store,
            1 => Op::Load,
            _ if size == 3 => Op::Prefetch,
            _ => Op::LoadSigned {
                regsize: if opc & 1 == 1 { 32 } else { 64 },
            },
        };
        (size, op)
    };
    let n = i.rn();
    let (offset, wback, post) = match mode {
        Mode::UnsignedOffset => (u64::from(i.bits(21, 10)) << scale, false, false),
        Mode::PreIndex => (sign_extend(u64::from(i.bits(20, 12)), 9), true, false),
        Mode::PostIndex => (sign_extend(u64::from(i.bits(20, 12)), 9), true, true),
        Mode::Unscaled => (sign_extend(u64::from(i.bits(20, 12)), 9), false, false),
        Mode::Register => {
            let option = i.bits(15, 13);
            if option & 2 == 0 {
                return i.undefined();
            }
            let shift = if i.bit(12) { scale } else { 0 };
            (
                extend_reg(cpu.state.xr(i.rm()), option, shift, 64),
                false,
                false,
            )
        }
    };
    if let Op::Prefetch = op {
        return Ok(());
    }
    check_sp_alignment(cpu, i, n)?;
    let base = cpu.state.xsp(n);
    let address = if post {
        base
    } else {
        base.wrapping_add(offset)
    };
    let bytes = 1usize << scale;
    let t = i.rd();
    match op {
        Op::Store => {
            let data = if simd {
                cpu.state.v[t as usize]
            } else {
                u128::from(cpu.state.xr(t))
            };
            write(mem, i, address, bytes, data)?;
        }
        Op::Load => {
            let data = read(mem, i, address, bytes)?;
            if simd {
                cpu.state.v[t as usize] = data;
            } else {
                cpu.state.set_xr(t, data as u64);
            }
        }
        Op::LoadSigned { regsize } => {
            let data = sign_extend(read(mem, i, address, bytes)? as u64, 8 << scale);
            let data = if regsize == 32 {
                data & 0xffff_ffff
            } else {
                data
            };
            cpu.state.set_xr(t, data);
        }
        Op::Prefetch => {}
    }
    if wback {
        cpu.state.set_xsp(n, base.wrapping_add(offset));
    }
    Ok(())
}

fn load_literal(cpu: &mut Cpu, mem: &mut impl Memory, i: Insn) -> Exec {
    let address =
        i.pc.wrapping_add(sign_extend(u64::from(i.bits(23, 5)) << 2, 21));
    let opc = i.bits(31, 30);
    let t = i.rd();
    if i.bit(26) {
        let bytes = 4usize << opc;
        cpu.state.v[t as usize] = read(mem, i, address, bytes)?;
        return Ok(());
    }
    match opc {
        0 => cpu.state.set_xr(t, read(mem, i, address, 4)? as u64),
        1 => cpu.state.set_xr(t, read(mem, i, address, 8)? as u64),
        2 => cpu
            .state
            .set_xr(t, sign_extend(read(mem, i, address, 4)? as u64, 32)),
        _ => {} // PRFM (literal)
    }
    Ok(())
}

fn pair(cpu: &mut Cpu, mem: &mut impl Memory, i: Insn, wback: bool, post: bool) -> Exec {
    let opc = i.bits(31, 30);
    let simd = i.bit(26);
    let load = i.bit(22);
    let signed = !simd && opc == 1;
    let scale = if simd { 2 + opc } else { 2 + (opc >> 1) };
    let bytes = 1usize << scale;
    let offset = sign_extend(u64::from(i.bits(21, 15)), 7) << scale;
    let (n, t, t2) = (i.rn(), i.rd(), i.bits(14, 10));
    check_sp_alignment(cpu, i, n)?;
    let base = cpu.state.xsp(n);
    let address = if post {
        base
    } else {
        base.wrapping_add(offset)
    };
    let a2 = address.wrapping_add(bytes as u64);
    if load {
        // Both reads complete before either register is written, so a fault leaves no trace.
        let d1 = read(mem, i, address, bytes)?;
        let d2 = read(mem, i, a2, bytes)?;
        if simd {
            cpu.state.v[t as usize] = d1;
            cpu.state.v[t2 as usize] = d2;
        } else if signed {
            cpu.state.set_xr(t, sign_extend(d1 as u64, 32));
            cpu.state.set_xr(t2, sign_extend(d2 as u64, 32));
        } else {
            cpu.state.set_xr(t, d1 as u64);
            cpu.state.set_xr(t2, d2 as u64);
        }
    } else {
        let (d1, d2) = if simd {
            (cpu.state.v[t as usize], cpu.state.v[t2 as usize])
        } else {
            (u128::from(cpu.state.xr(t)), u128::from(cpu.state.xr(t2)))
        };
        write(mem, i, address, bytes, d1)?;
        write(mem, i, a2, bytes, d2)?;
    }
    if wback {
        cpu.state.set_xsp(n, base.wrapping_add(offset));
    }
    Ok(())
}

/// LDXR/STXR and their acquire/release and pair forms.
fn exclusive(cpu: &mut Cpu, mem: &mut impl Memory, i: Insn, is_pair: bool) -> Exec {
    let load = i.bit(22);
    let (n, t, t2, s) = (i.rn(), i.rd(), i.bits(14, 10), i.rm());
    // Element size in bytes; a pair moves two elements.
    let esize = if is_pair {
        4usize << i.bits(30, 30)
    } else {
        1usize << i.bits(31, 30)
    };
    let total = if is_pair { esize * 2 } else { esize };
    check_sp_alignment(cpu, i, n)?;
    let address = cpu.state.xsp(n);
    if address % total as u64 != 0 {
        return Err(alignment(
            i,
            address,
            if load {
                AccessKind::Read
            } else {
                AccessKind::Write
            },
        ));
    }
    if load {
        let data = read(mem, i, address, total)?;
        if is_pair {
            let mask = if esize == 8 { u64::MAX } else { 0xffff_ffff };
            cpu.state.set_xr(t, data as u64 & mask);
            cpu.state.set_xr(t2, (data >> (esize * 8)) as u64 & mask);
        } else {
            cpu.state.set_xr(t, data as u64);
        }
        cpu.monitor.marked = Some((address, total as u8));
    } else {
        let pass = cpu.monitor.marked == Some((address, total as u8));
        if pass {
            let data = if is_pair {
                let mask = if esize == 8 {
                    u128::from(u64::MAX)
                } else {
                    0xffff_ffff
                };
                (u128::from(cpu.state.xr(t)) & mask)
                    | ((u128::from(cpu.state.xr(t2)) & mask) << (esize * 8))
            } else {
                u128::from(cpu.state.xr(t))
            };
            write(mem, i, address, total, data)?;
        }
        cpu.monitor.marked = None;
        cpu.state.set_xr(s, u64::from(!pass));
    }
    Ok(())
}

/// LDAR/STLR (and LDLAR/STLLR): single-copy atomic, with acquire/release ordering (one PE: no
/// effect).
fn ordered(cpu: &mut Cpu, mem: &mut impl Memory, i: Insn) -> Exec {
    let bytes = 1usize << i.bits(31, 30);
    let n = i.rn();
    check_sp_alignment(cpu, i, n)?;
    let address = cpu.state.xsp(n);
    let load = i.bit(22);
    // Aligned to its size, or with FEAT_LSE2 (SCTLR_EL1.nAA = 0) inside 16 aligned bytes.
    let access = if load {
        AccessKind::Read
    } else {
        AccessKind::Write
    };
    super::atomics::check_aligned(cpu, i, address, bytes, access)?;
    if load {
        let data = read(mem, i, address, bytes)?;
        cpu.state.set_xr(i.rd(), data as u64);
    } else {
        write(mem, i, address, bytes, u128::from(cpu.state.xr(i.rd())))?;
    }
    Ok(())
}

fn alignment(i: Insn, va: u64, access: AccessKind) -> Exception {
    i.data_abort(Fault::new(va, access, FaultKind::Alignment))
}

/// `CheckSPAlignment()` when the base register is SP (SCTLR_ELx.SA0/SA set, as Linux does).
#[inline]
pub(super) fn check_sp_alignment(cpu: &Cpu, i: Insn, n: u32) -> Result<(), Exception> {
    if n == 31 && cpu.state.sp() & 15 != 0 {
        return Err(Exception::SpAlignment {
            pc: i.pc,
            word: i.word,
            encoding: i.id,
        });
    }
    Ok(())
}

/// Reads `bytes` (1..=16) little-endian bytes.
#[inline]
pub(super) fn read(
    mem: &mut impl Memory,
    i: Insn,
    address: u64,
    bytes: usize,
) -> Result<u128, Exception> {
    if bytes <= 8 {
        return mem
            .read_le(address, bytes)
            .map(u128::from)
            .map_err(|f| i.data_abort(f));
    }
    let mut buf = [0u8; 16];
    mem.read(address, &mut buf[..bytes], AccessKind::Read)
        .map_err(|f| i.data_abort(f))?;
    Ok(u128::from_le_bytes(buf))
}

/// Writes the low `bytes` (1..=16) of `data` little-endian.
#[inline]
pub(super) fn write(
    mem: &mut impl Memory,
    i: Insn,
    address: u64,
    bytes: usize,
    data: u128,
) -> Result<(), Exception> {
    if bytes <= 8 {
        return mem
            .write_le(address, bytes, data as u64)
            .map_err(|f| i.data_abort(f));
    }
    let buf = data.to_le_bytes();
    mem.write(address, &buf[..bytes])
        .map_err(|f| i.data_abort(f))
}
