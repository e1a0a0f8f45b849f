//! Load-acquire RCpc and store-release with immediate offsets: LDAPR{B,H} (FEAT_LRCPC) and
//! LDAPUR*/STLUR* (FEAT_LRCPC2). On one PE the RCpc and RCsc orderings are the same; what
//! remains is the access itself, single-copy atomic, with FEAT_LSE2's alignment rule for
//! ordered accesses (SCTLR_EL1.nAA = 0: fault unless inside one aligned 16-byte quantity).

use super::atomics::check_aligned;
use super::ldst::check_sp_alignment;
use super::ldst::{read, write};
use super::pseudocode::sign_extend;
use super::{Cpu, Exec, Insn};
use crate::decode::EncodingId as E;
use crate::memory::{AccessKind, Memory};

#[inline]
pub(super) fn execute(cpu: &mut Cpu, mem: &mut impl Memory, i: Insn) -> Option<Exec> {
    Some(match i.id {
        E::LDAPRB_32L_memop | E::LDAPRH_32L_memop | E::LDAPR_32L_memop | E::LDAPR_64L_memop => {
            unscaled(cpu, mem, i, false)
        }
        E::LDAPURB_32_ldapstl_unscaled
        | E::LDAPURH_32_ldapstl_unscaled
        | E::LDAPURSB_32_ldapstl_unscaled
        | E::LDAPURSB_64_ldapstl_unscaled
        | E::LDAPURSH_32_ldapstl_unscaled
        | E::LDAPURSH_64_ldapstl_unscaled
        | E::LDAPURSW_64_ldapstl_unscaled
        | E::LDAPUR_32_ldapstl_unscaled
        | E::LDAPUR_64_ldapstl_unscaled
        | E::STLURB_32_ldapstl_unscaled
        | E::STLURH_32_ldapstl_unscaled
        | E::STLUR_32_ldapstl_unscaled
        | E::STLUR_64_ldapstl_unscaled => unscaled(cpu, mem, i, true),
        _ => return None,
    })
}

/// `size` in 31:30; for LDAPUR/STLUR `opc` in 23:22 (00 store, 01 load, 10 load signed to 64
/// bits, 11 load signed to 32 bits) and `imm9` in 20:12. LDAPR is a load with no offset.
fn unscaled(cpu: &mut Cpu, mem: &mut impl Memory, i: Insn, with_offset: bool) -> Exec {
    let f = cpu.config.features;
    if !(if with_offset { f.lrcpc2 } else { f.lrcpc }) {
        return i.undefined();
    }
    let bytes = 1usize << i.bits(31, 30);
    let (opc, offset) = if with_offset {
        (i.bits(23, 22), sign_extend(u64::from(i.bits(20, 12)), 9))
    } else {
        (1, 0)
    };
    let (n, t) = (i.rn(), i.rd());
    let access = if opc == 0 {
        AccessKind::Write
    } else {
        AccessKind::Read
    };
    check_sp_alignment(cpu, i, n)?;
    let address = cpu.state.xsp(n).wrapping_add(offset);
    check_aligned(cpu, i, address, bytes, access)?;
    match opc {
        0 => write(mem, i, address, bytes, u128::from(cpu.state.xr(t)))?,
        1 => {
            let data = read(mem, i, address, bytes)? as u64;
            cpu.state.set_xr(t, data);
        }
        _ => {
            let data = sign_extend(read(mem, i, address, bytes)? as u64, 8 * bytes as u32);
            cpu.state
                .set_xr(t, if opc == 3 { data & 0xffff_ffff } else { data });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::interp::tests::{CODE, DATA, check, run};
    use crate::interp::{Exception, Stop};
    use crate::memory::FaultKind;
    use crate::state::State;

    #[test]
    fn rcpc() {
        let cases: &[(&str, &[u32], fn(&mut State), fn(&mut State))] = &[
            (
                "ldaprb w0, [x1]",
                &[0x38bfc020],
                |s| {
                    s.x[0] = u64::MAX;
                    s.x[1] = DATA + 0x85
                },
                |s| s.x[0] = 0x85,
            ),
            (
                "ldaprh w0, [x1]",
                &[0x78bfc020],
                |s| s.x[1] = DATA + 0x10,
                |s| s.x[0] = 0x1110,
            ),
            (
                "ldapr w0, [x1] (unaligned inside 16 bytes)",
                &[0xb8bfc020],
                |s| s.x[1] = DATA + 0x21,
                |s| s.x[0] = 0x2423_2221,
            ),
            (
                "ldapr x0, [x1]",
                &[0xf8bfc020],
                |s| s.x[1] = DATA + 8,
                |s| s.x[0] = 0x0f0e_0d0c_0b0a_0908,
            ),
            (
                "ldapur x0, [x1, #-8]",
                &[0xd95f8020],
                |s| s.x[1] = DATA + 0x18,
                |s| s.x[0] = 0x1716_1514_1312_1110,
            ),
            (
                "ldapursb x0, [x1, #1]",
                &[0x19801020],
                |s| s.x[1] = DATA + 0x7f,
                |s| s.x[0] = 0xffff_ffff_ffff_ff80,
            ),
            (
                "ldapursh w0, [x1, #3]",
                &[0x59c03020],
                |s| s.x[1] = DATA + 0x7d,
                |s| s.x[0] = 0xffff_8180,
            ),
            (
                "ldapursw x0, [x1, #255]",
                &[0x998ff020],
                |s| s.x[1] = DATA + 0x81,
                |s| s.x[0] = 0xffff_ffff_8382_8180,
            ),
            (
                "stlurh w0, [x1, #-1]; ldrh w2, [x1, #-1]",
                &[0x591ff020, 0x785ff022],
                |s| {
                    s.x[0] = 0x1_beef;
                    s.x[1] = DATA + 0x11
                },
                |s| s.x[2] = 0xbeef,
            ),
            (
                "stlur x0, [x1, #8]; ldr x2, [x1, #8]",
                &[0xd9008020, 0xf9400422],
                |s| {
                    s.x[0] = 0x1122_3344_5566_7788;
                    s.x[1] = DATA
                },
                |s| s.x[2] = 0x1122_3344_5566_7788,
            ),
            (
                "ldar w0, [x1] (LSE2: unaligned inside 16 bytes)",
                &[0x88dffc20],
                |s| s.x[1] = DATA + 0x2b,
                |s| s.x[0] = 0x2e2d_2c2b,
            ),
            (
                "ldapurb w0, [sp, #-256]",
                &[0x195003e0],
                |s| s.x[0] = 5,
                |s| s.x[0] = 0,
            ),
        ];
        for (name, words, setup, expect) in cases {
            check(name, words, *setup, *expect);
        }
    }

    #[test]
    fn rcpc_alignment() {
        let cases: [(&str, u32, fn(&mut State)); 3] = [
            ("ldapr x0, [x1]", 0xf8bfc020, |s| s.x[1] = DATA + 12),
            ("ldapur x0, [x1, #-8]", 0xd95f8020, |s| s.x[1] = DATA + 0x21),
            ("stlur x0, [x1, #8]", 0xd9008020, |s| s.x[1] = DATA + 1),
        ];
        for (name, word, setup) in cases {
            let (cpu, stop) = run(&[word], setup);
            let Stop::Exception(Exception::DataAbort { fault, .. }) = stop else {
                panic!("{name}: {stop:?}")
            };
            assert_eq!(fault.kind, FaultKind::Alignment, "{name}");
            assert_eq!(cpu.state.pc, CODE, "{name}");
        }
    }
}
