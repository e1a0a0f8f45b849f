//! Atomic memory operations (FEAT_LSE): CAS, CASP, SWP and LD<op> (ST<op> is LD<op> with
//! Rt = XZR), in every size and ordering, with FEAT_LSE2's alignment rules for EL0.
//!
//! One PE, so every access here is single-copy atomic by construction and the acquire/release
//! orderings have nothing to order. The read and the write go through the memory interface
//! separately: a fault on either leaves memory and registers as they were (the write is the
//! only thing that changes memory, and registers are written after it). The write happens even
//! when a CAS comparison fails (it stores the old value back), so a CAS to memory without write
//! permission faults either way, as the architecture's atomic read-modify-write access does.

use super::ldst::{check_sp_alignment, read, write};
use super::{Cpu, Exception, Exec, Insn};
use crate::decode::EncodingId as E;
use crate::memory::{AccessKind, Fault, FaultKind, Memory};

#[inline]
pub(super) fn execute(cpu: &mut Cpu, mem: &mut impl Memory, i: Insn) -> Option<Exec> {
    Some(match i.id {
        E::LDADDAB_32_memop
        | E::LDADDAH_32_memop
        | E::LDADDALB_32_memop
        | E::LDADDALH_32_memop
        | E::LDADDAL_32_memop
        | E::LDADDAL_64_memop
        | E::LDADDA_32_memop
        | E::LDADDA_64_memop
        | E::LDADDB_32_memop
        | E::LDADDH_32_memop
        | E::LDADDLB_32_memop
        | E::LDADDLH_32_memop
        | E::LDADDL_32_memop
        | E::LDADDL_64_memop
        | E::LDADD_32_memop
        | E::LDADD_64_memop
        | E::LDCLRAB_32_memop
        | E::LDCLRAH_32_memop
        | E::LDCLRALB_32_memop
        | E::LDCLRALH_32_memop
        | E::LDCLRAL_32_memop
        | E::LDCLRAL_64_memop
        | E::LDCLRA_32_memop
        | E::LDCLRA_64_memop
        | E::LDCLRB_32_memop
        | E::LDCLRH_32_memop
        | E::LDCLRLB_32_memop
        | E::LDCLRLH_32_memop
        | E::LDCLRL_32_memop
        | E::LDCLRL_64_memop
        | E::LDCLR_32_memop
        | E::LDCLR_64_memop
        | E::LDEORAB_32_memop
        | E::LDEORAH_32_memop
        | E::LDEORALB_32_memop
        | E::LDEORALH_32_memop
        | E::LDEORAL_32_memop
        | E::LDEORAL_64_memop
        | E::LDEORA_32_memop
        | E::LDEORA_64_memop
        | E::LDEORB_32_memop
        | E::LDEORH_32_memop
        | E::LDEORLB_32_memop
        | E::LDEORLH_32_memop
        | E::LDEORL_32_memop
        | E::LDEORL_64_memop
        | E::LDEOR_32_memop
        | E::LDEOR_64_memop
        | E::LDSETAB_32_memop
        | E::LDSETAH_32_memop
        | E::LDSETALB_32_memop
        | E::LDSETALH_32_memop
        | E::LDSETAL_32_memop
        | E::LDSETAL_64_memop
        | E::LDSETA_32_memop
        | E::LDSETA_64_memop
        | E::LDSETB_32_memop
        | E::LDSETH_32_memop
        | E::LDSETLB_32_memop
        | E::LDSETLH_32_memop
        | E::LDSETL_32_memop
        | E::LDSETL_64_memop
        | E::LDSET_32_memop
        | E::LDSET_64_memop
        | E::LDSMAXAB_32_memop
        | E::LDSMAXAH_32_memop
        | E::LDSMAXALB_32_memop
        | E::LDSMAXALH_32_memop
        | E::LDSMAXAL_32_memop
        | E::LDSMAXAL_64_memop
        | E::LDSMAXA_32_memop
        | E::LDSMAXA_64_memop
        | E::LDSMAXB_32_memop
        | E::LDSMAXH_32_memop
        | E::LDSMAXLB_32_memop
        | E::LDSMAXLH_32_memop
        | E::LDSMAXL_32_memop
        | E::LDSMAXL_64_memop
        | E::LDSMAX_32_memop
        | E::LDSMAX_64_memop
        | E::LDSMINAB_32_memop
        | E::LDSMINAH_32_memop
        | E::LDSMINALB_32_memop
        | E::LDSMINALH_32_memop
        | E::LDSMINAL_32_memop
        | E::LDSMINAL_64_memop
        | E::LDSMINA_32_memop
        | E::LDSMINA_64_memop
        | E::LDSMINB_32_memop
        | E::LDSMINH_32_memop
        | E::LDSMINLB_32_memop
        | E::LDSMINLH_32_memop
        | E::LDSMINL_32_memop
        | E::LDSMINL_64_memop
        | E::LDSMIN_32_memop
        | E::LDSMIN_64_memop
        | E::LDUMAXAB_32_memop
        | E::LDUMAXAH_32_memop
        | E::LDUMAXALB_32_memop
        | E::LDUMAXALH_32_memop
        | E::LDUMAXAL_32_memop
        | E::LDUMAXAL_64_memop
        | E::LDUMAXA_32_memop
        | E::LDUMAXA_64_memop
        | E::LDUMAXB_32_memop
        | E::LDUMAXH_32_memop
        | E::LDUMAXLB_32_memop
        | E::LDUMAXLH_32_memop
        | E::LDUMAXL_32_memop
        | E::LDUMAXL_64_memop
        | E::LDUMAX_32_memop
        | E::LDUMAX_64_memop
        | E::LDUMINAB_32_memop
        | E::LDUMINAH_32_memop
        | E::LDUMINALB_32_memop
        | E::LDUMINALH_32_memop
        | E::LDUMINAL_32_memop
        | E::LDUMINAL_64_memop
        | E::LDUMINA_32_memop
        | E::LDUMINA_64_memop
        | E::LDUMINB_32_memop
        | E::LDUMINH_32_memop
        | E::LDUMINLB_32_memop
        | E::LDUMINLH_32_memop
        | E::LDUMINL_32_memop
        | E::LDUMINL_64_memop
        | E::LDUMIN_32_memop
        | E::LDUMIN_64_memop
        | E::SWPAB_32_memop
        | E::SWPAH_32_memop
        | E::SWPALB_32_memop
        | E::SWPALH_32_memop
        | E::SWPAL_32_memop
        | E::SWPAL_64_memop
        | E::SWPA_32_memop
        | E::SWPA_64_memop
        | E::SWPB_32_memop
        | E::SWPH_32_memop
        | E::SWPLB_32_memop
        | E::SWPLH_32_memop
        | E::SWPL_32_memop
        | E::SWPL_64_memop
        | E::SWP_32_memop
        | E::SWP_64_memop
        | E::SWPTAL_32_memop_unpriv
        | E::SWPTAL_64_memop_unpriv
        | E::SWPTA_32_memop_unpriv
        | E::SWPTA_64_memop_unpriv
        | E::SWPTL_32_memop_unpriv
        | E::SWPTL_64_memop_unpriv
        | E::SWPT_32_memop_unpriv
        | E::SWPT_64_memop_unpriv => memop(cpu, mem, i),
        E::CASAB_C32_comswap
        | E::CASAH_C32_comswap
        | E::CASALB_C32_comswap
        | E::CASALH_C32_comswap
        | E::CASAL_C32_comswap
        | E::CASAL_C64_comswap
        | E::CASA_C32_comswap
        | E::CASA_C64_comswap
        | E::CASB_C32_comswap
        | E::CASH_C32_comswap
        | E::CASLB_C32_comswap
        | E::CASLH_C32_comswap
        | E::CASL_C32_comswap
        | E::CASL_C64_comswap
        | E::CAS_C32_comswap
        | E::CAS_C64_comswap => cas(cpu, mem, i),
        E::CASPAL_CP32_comswappr
        | E::CASPAL_CP64_comswappr
        | E::CASPA_CP32_comswappr
        | E::CASPA_CP64_comswappr
        | E::CASPL_CP32_comswappr
        | E::CASPL_CP64_comswappr
        | E::CASP_CP32_comswappr
        | E::CASP_CP64_comswappr
        | E::CASPALT_CP64_comswappr_unpriv
        | E::CASPAT_CP64_comswappr_unpriv
        | E::CASPLT_CP64_comswappr_unpriv
        | E::CASPT_CP64_comswappr_unpriv => casp(cpu, mem, i),
        _ => return None,
    })
}

/// `Ones(bits)` as a mask, for 8..=64 bits.
#[inline]
fn mask(bits: u32) -> u64 {
    u64::MAX >> (64 - bits)
}

/// LDADD, LDCLR, LDEOR, LDSET, LDSMAX, LDSMIN, LDUMAX, LDUMIN and SWP: `size` in 31:30, A in
/// 23 and R in 22 (orderings), Rs, o3 in 15, opc in 14:12, Rn, Rt.
fn memop(cpu: &mut Cpu, mem: &mut impl Memory, i: Insn) -> Exec {
    if !cpu.config.features.lse {
        return i.undefined();
    }
    let bytes = 1usize << i.bits(31, 30);
    let bits = 8 * bytes as u32;
    let m = mask(bits);
    let (s, n, t) = (i.rm(), i.rn(), i.rd());
    let address = atomic_address(cpu, i, n, bytes, AccessKind::Write)?;
    let operand = cpu.state.xr(s) & m;
    let old = read(mem, i, address, bytes)? as u64;
    let signed = |v: u64| ((v << (64 - bits)) as i64) >> (64 - bits);
    let new = if i.bit(15) {
        // SWP
        operand
    } else {
        match i.bits(14, 12) {
            0 => old.wrapping_add(operand) & m,
            1 => old & !operand,
            2 => old ^ operand,
            3 => old | operand,
            4 => {
                if signed(old) > signed(operand) {
                    old
                } else {
                    operand
                }
            }
            5 => {
                if signed(old) > signed(operand) {
                    operand
                } else {
                    old
                }
            }
            6 => old.max(operand),
            _ => old.min(operand),
        }
    };
    write(mem, i, address, bytes, u128::from(new))?;
    store_clears_monitor(cpu, address, bytes);
    cpu.state.set_xr(t, old);
    Ok(())
}

/// CAS{A}{L}{B,H}: `size` in 31:30, L in 22, Rs (compare value, receives the old value), o0 in
/// 15 (release), Rn, Rt (new value).
fn cas(cpu: &mut Cpu, mem: &mut impl Memory, i: Insn) -> Exec {
    if !cpu.config.features.lse {
        return i.undefined();
    }
    let bytes = 1usize << i.bits(31, 30);
    let m = mask(8 * bytes as u32);
    let (s, n, t) = (i.rm(), i.rn(), i.rd());
    let address = atomic_address(cpu, i, n, bytes, AccessKind::Write)?;
    let compare = cpu.state.xr(s) & m;
    let new = cpu.state.xr(t) & m;
    let old = read(mem, i, address, bytes)? as u64;
    let swapped = old == compare;
    write(
        mem,
        i,
        address,
        bytes,
        u128::from(if swapped { new } else { old }),
    )?;
    if swapped {
        store_clears_monitor(cpu, address, bytes);
    }
    cpu.state.set_xr(s, old);
    Ok(())
}

/// CASP{A}{L}: `sz` in 30 (32- or 64-bit registers), L in 22, Rs and Rt even-numbered pairs.
/// An odd register number is CONSTRAINED UNPREDICTABLE; we take the UNDEFINED option.
fn casp(cpu: &mut Cpu, mem: &mut impl Memory, i: Insn) -> Exec {
    if !cpu.config.features.lse {
        return i.undefined();
    }
    let (s, n, t) = (i.rm(), i.rn(), i.rd());
    if s & 1 != 0 || t & 1 != 0 {
        return i.undefined();
    }
    let esize = 4usize << i.bits(30, 30);
    let ebits = 8 * esize as u32;
    let m = u128::from(mask(ebits));
    let pair = |cpu: &Cpu, r: u32| {
        (u128::from(cpu.state.xr(r)) & m) | ((u128::from(cpu.state.xr(r + 1)) & m) << ebits)
    };
    let address = atomic_address(cpu, i, n, 2 * esize, AccessKind::Write)?;
    let compare = pair(cpu, s);
    let new = pair(cpu, t);
    let old = read(mem, i, address, 2 * esize)?;
    let swapped = old == compare;
    write(mem, i, address, 2 * esize, if swapped { new } else { old })?;
    if swapped {
        store_clears_monitor(cpu, address, 2 * esize);
    }
    cpu.state.set_xr(s, (old & m) as u64);
    cpu.state.set_xr(s + 1, (old >> ebits) as u64);
    Ok(())
}

/// Whether an atomic or load-acquire/store-release access is aligned enough: with FEAT_LSE2
/// (and SCTLR_EL1.nAA = 0, as Linux sets it) it must lie in one aligned 16-byte quantity,
/// `AllInAlignedQuantity(address, size, 16)`; without, it must be aligned to its size.
#[inline]
pub(super) fn aligned(lse2: bool, address: u64, bytes: usize) -> bool {
    if lse2 {
        (address & 15) + bytes as u64 <= 16
    } else {
        address & (bytes as u64 - 1) == 0
    }
}

/// The address of an atomic access by base register `n`: SP alignment checked, then the LSE2
/// alignment rule, as the pseudocode checks alignment before translation.
#[inline]
fn atomic_address(
    cpu: &Cpu,
    i: Insn,
    n: u32,
    bytes: usize,
    access: AccessKind,
) -> Result<u64, Exception> {
    check_sp_alignment(cpu, i, n)?;
    let address = cpu.state.xsp(n);
    check_aligned(cpu, i, address, bytes, access)?;
    Ok(address)
}

/// An alignment fault unless the access is [`aligned`].
#[inline]
pub(super) fn check_aligned(
    cpu: &Cpu,
    i: Insn,
    address: u64,
    bytes: usize,
    access: AccessKind,
) -> Result<(), Exception> {
    if aligned(cpu.config.features.lse2, address, bytes) {
        Ok(())
    } else {
        Err(i.data_abort(Fault::new(address, access, FaultKind::Alignment)))
    }
}

/// A store by this PE to the block the local monitor marks: whether it clears the monitor is
/// IMPLEMENTATION DEFINED; this PE clears it when the store overlaps the marked Exclusives
/// reservation granule (CTR_EL0.ERG), so an LDXR/atomic-store/STXR sequence fails its STXR.
#[inline]
pub(super) fn store_clears_monitor(cpu: &mut Cpu, address: u64, bytes: usize) {
    if let Some((marked, _)) = cpu.monitor.marked {
        let granule = 4u64 << ((cpu.config.ctr_el0 >> 20) & 15);
        let block = marked & !(granule - 1);
        let end = address.wrapping_add(bytes as u64 - 1);
        if address < block.wrapping_add(granule) && end >= block {
            cpu.monitor.marked = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::interp::tests::{CODE, DATA, check, run};
    use crate::interp::{Exception, Stop};
    use crate::memory::FaultKind;
    use crate::state::State;

    /// DATA holds byte `i` at DATA + i, so the doubleword at DATA is 0x0706050403020100.
    const D0: u64 = 0x0706_0504_0302_0100;

    #[test]
    fn lse_atomics() {
        let cases: &[(&str, &[u32], fn(&mut State), fn(&mut State))] = &[
            (
                "ldaddal x0, x1, [x2]; ldr x3, [x2]",
                &[0xf8e00041, 0xf9400043],
                |s| {
                    s.x[0] = 1;
                    s.x[2] = DATA
                },
                |s| {
                    s.x[1] = D0;
                    s.x[3] = D0 + 1
                },
            ),
            (
                "ldclrb w0, w1, [x2]; ldrb w3, [x2]",
                &[0x38201041, 0x39400043],
                |s| {
                    s.x[0] = 0x0f;
                    s.x[1] = u64::MAX;
                    s.x[2] = DATA + 0xff
                },
                |s| {
                    s.x[1] = 0xff;
                    s.x[3] = 0xf0
                },
            ),
            (
                "ldeorh w0, w1, [x2]; ldrh w3, [x2]",
                &[0x78202041, 0x79400043],
                |s| {
                    s.x[0] = 0xffff;
                    s.x[2] = DATA + 2
                },
                |s| {
                    s.x[1] = 0x0302;
                    s.x[3] = 0xfcfd
                },
            ),
            (
                "ldsetl w0, w1, [x2]; ldr w3, [x2]",
                &[0xb8603041, 0xb9400043],
                |s| {
                    s.x[0] = 0x8000_0000;
                    s.x[2] = DATA + 4
                },
                |s| {
                    s.x[1] = 0x0706_0504;
                    s.x[3] = 0x8706_0504
                },
            ),
            (
                "ldsmax w0, w1, [x2]; ldr w3, [x2] (negative in memory)",
                &[0xb8204041, 0xb9400043],
                |s| {
                    s.x[0] = 0xffff_ffff;
                    s.x[2] = DATA + 0x80
                },
                |s| {
                    s.x[1] = 0x8382_8180;
                    s.x[3] = 0xffff_ffff
                },
            ),
            (
                "ldsminab w0, w1, [x2]; ldrb w3, [x2]",
                &[0x38a05041, 0x39400043],
                |s| {
                    s.x[0] = 0x80;
                    s.x[2] = DATA + 0x7f
                },
                |s| {
                    s.x[1] = 0x7f;
                    s.x[3] = 0x80
                },
            ),
            (
                "ldumax x0, x1, [x2]; ldr x3, [x2]",
                &[0xf8206041, 0xf9400043],
                |s| {
                    s.x[0] = 0x0800_0000_0000_0000;
                    s.x[2] = DATA
                },
                |s| {
                    s.x[1] = D0;
                    s.x[3] = 0x0800_0000_0000_0000
                },
            ),
            (
                "lduminh w0, w1, [x2]; ldrh w3, [x2] (operand bits above 16 ignored)",
                &[0x78207041, 0x79400043],
                |s| {
                    s.x[0] = 0x1_0005;
                    s.x[2] = DATA + 0x80
                },
                |s| {
                    s.x[1] = 0x8180;
                    s.x[3] = 5
                },
            ),
            (
                "swpal x0, x1, [x2]; ldr x3, [x2]",
                &[0xf8e08041, 0xf9400043],
                |s| {
                    s.x[0] = 0xdead;
                    s.x[2] = DATA
                },
                |s| {
                    s.x[1] = D0;
                    s.x[3] = 0xdead
                },
            ),
            (
                "stadd w0, [x2]; ldr w3, [x2]",
                &[0xb820005f, 0xb9400043],
                |s| {
                    s.x[0] = 0x10;
                    s.x[2] = DATA + 4
                },
                |s| s.x[3] = 0x0706_0514,
            ),
            (
                "ldadd w0, w1, [x2] unaligned inside 16 bytes (LSE2)",
                &[0xb8200041],
                |s| s.x[2] = DATA + 1,
                |s| s.x[1] = 0x0403_0201,
            ),
            (
                "cas x0, x1, [x2]; ldr x3, [x2] (equal: swaps)",
                &[0xc8a07c41, 0xf9400043],
                |s| {
                    s.x[0] = D0;
                    s.x[1] = 42;
                    s.x[2] = DATA
                },
                |s| s.x[3] = 42,
            ),
            (
                "cas x0, x1, [x2]; ldr x3, [x2] (different: no store)",
                &[0xc8a07c41, 0xf9400043],
                |s| {
                    s.x[0] = 1;
                    s.x[1] = 42;
                    s.x[2] = DATA
                },
                |s| {
                    s.x[0] = D0;
                    s.x[3] = D0
                },
            ),
            (
                "casalb w0, w1, [x2]; ldrb w3, [x2] (compares the low byte)",
                &[0x08e0fc41, 0x39400043],
                |s| {
                    s.x[0] = 0x105;
                    s.x[1] = 0x1ab;
                    s.x[2] = DATA + 5
                },
                |s| {
                    s.x[0] = 5;
                    s.x[3] = 0xab
                },
            ),
            (
                "caspal x0, x1, x4, x5, [x2]; ldp x6, x7, [x2]",
                &[0x4860fc44, 0xa9401c46],
                |s| {
                    s.x[0] = D0;
                    s.x[1] = 0x0f0e_0d0c_0b0a_0908;
                    s.x[2] = DATA;
                    s.x[4] = 1;
                    s.x[5] = 2
                },
                |s| {
                    s.x[6] = 1;
                    s.x[7] = 2
                },
            ),
            (
                "casp w0, w1, w4, w5, [x2]; ldr x6, [x2] (different)",
                &[0x08207c44, 0xf9400046],
                |s| s.x[2] = DATA,
                |s| {
                    s.x[0] = 0x0302_0100;
                    s.x[1] = 0x0706_0504;
                    s.x[6] = D0
                },
            ),
            (
                "ldxr x0, [x2]; stadd x1, [x2]; stxr w3, x0, [x2] (the store clears the monitor)",
                &[0xc85f7c40, 0xf821005f, 0xc8037c40],
                |s| s.x[2] = DATA,
                |s| {
                    s.x[0] = D0;
                    s.x[3] = 1
                },
            ),
            (
                "ldxr x0, [x2]; cas x4, x1, [x2]; stxr w3, x0, [x2] (a failed CAS stores nothing)",
                &[0xc85f7c40, 0xc8a47c41, 0xc8037c40],
                |s| s.x[2] = DATA,
                |s| {
                    s.x[0] = D0;
                    s.x[4] = D0;
                    s.x[3] = 0
                },
            ),
        ];
        for (name, words, setup, expect) in cases {
            check(name, words, *setup, *expect);
        }
    }

    #[test]
    fn lse_faults() {
        // ldadd x0, x1, [x2] across a 16-byte boundary: an alignment fault, nothing changed.
        let (cpu, stop) = run(&[0xf8200041], |s| s.x[2] = DATA + 12);
        let Stop::Exception(Exception::DataAbort { fault, .. }) = stop else {
            panic!("{stop:?}")
        };
        assert_eq!((fault.va, fault.kind), (DATA + 12, FaultKind::Alignment));
        assert_eq!((cpu.state.pc, cpu.state.x[1]), (CODE, 0));

        // casp x0, x1, x4, x5, [x2] needs 16-byte alignment for the pair.
        let (_, stop) = run(&[0x48207c44], |s| s.x[2] = DATA + 8);
        assert!(
            matches!(stop, Stop::Exception(Exception::DataAbort { .. })),
            "{stop:?}"
        );

        // A CAS whose comparison fails still needs write permission: code is read-only.
        let (cpu, stop) = run(&[0xc8a07c41], |s| {
            s.x[0] = 1;
            s.x[2] = CODE
        });
        let Stop::Exception(Exception::DataAbort { fault, .. }) = stop else {
            panic!("{stop:?}")
        };
        assert_eq!(fault.kind, FaultKind::Permission);
        assert_eq!(cpu.state.x[0], 1);

        // casp with an odd Rs (x1) is UNDEFINED here.
        let (_, stop) = run(&[0x48217c44], |s| s.x[2] = DATA);
        assert!(
            matches!(stop, Stop::Exception(Exception::Undefined { .. })),
            "{stop:?}"
        );
    }
}
