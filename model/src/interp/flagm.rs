//! Flag manipulation (FEAT_FlagM: CFINV, RMIF, SETF8, SETF16; FEAT_FlagM2: XAFLAG, AXFLAG), the
//! speculation barrier SB (FEAT_SB), and MSR (immediate) of the PSTATE fields EL0 may write:
//! DIT (FEAT_DIT) and SSBS (FEAT_SSBS). The register forms of DIT and SSBS are in `system`.
//! TCO needs FEAT_MTE, which this PE does not implement, so MSR TCO stays UNDEFINED.

use super::{Cpu, Exec, Insn};
use crate::decode::EncodingId as E;

#[inline]
pub(super) fn execute(cpu: &mut Cpu, i: Insn) -> Option<Exec> {
    let f = cpu.config.features;
    let enabled = match i.id {
        E::CFINV_M_pstate | E::RMIF_only_rmif | E::SETF8_only_setf | E::SETF16_only_setf => f.flagm,
        E::XAFLAG_M_pstate | E::AXFLAG_M_pstate => f.flagm2,
        E::SB_only_barriers => f.sb,
        _ => true,
    };
    if !enabled {
        return Some(i.undefined());
    }
    let p = &mut cpu.state.pstate;
    match i.id {
        E::CFINV_M_pstate => p.c = !p.c,
        E::XAFLAG_M_pstate => {
            let (z, c) = (p.z, p.c);
            p.n = !c && !z;
            p.z = z && c;
            p.c = c || z;
            p.v = !c && z;
        }
        E::AXFLAG_M_pstate => {
            let (z, c, v) = (p.z, p.c, p.v);
            p.n = false;
            p.z = z || v;
            p.c = c && !v;
            p.v = false;
        }
        E::RMIF_only_rmif => {
            let tmp = cpu.state.xr(i.rn()).rotate_right(i.bits(20, 15));
            let p = &mut cpu.state.pstate;
            let mask = i.bits(3, 0);
            if mask & 8 != 0 {
                p.n = tmp & 8 != 0;
            }
            if mask & 4 != 0 {
                p.z = tmp & 4 != 0;
            }
            if mask & 2 != 0 {
                p.c = tmp & 2 != 0;
            }
            if mask & 1 != 0 {
                p.v = tmp & 1 != 0;
            }
        }
        E::SETF8_only_setf | E::SETF16_only_setf => {
            // sz in 14: SETF16.
            let msb = if i.bit(14) { 15 } else { 7 };
            let w = cpu.state.xr(i.rn());
            let p = &mut cpu.state.pstate;
            p.n = (w >> msb) & 1 != 0;
            p.z = w & ((2 << msb) - 1) == 0;
            p.v = ((w >> (msb + 1)) ^ (w >> msb)) & 1 != 0;
        }
        // One PE that does not speculate: nothing to restrain.
        E::SB_only_barriers => {}
        E::MSR_SI_pstate if cpu.config.system => return Some(super::sysreg::msr_imm(cpu, i)),
        E::MSR_SI_pstate => {
            let (op1, crm, op2) = (i.bits(18, 16), i.bits(11, 8), i.bits(7, 5));
            match (op1, op2) {
                (3, 2) if f.dit => p.dit = crm & 1 != 0,
                (3, 1) if f.ssbs => p.ssbs = crm & 1 != 0,
                // SPSel, PAN, UAO are UNDEFINED at EL0; DAIFSet/DAIFClr trap with
                // SCTLR_EL1.UMA = 0, as Linux sets it; the rest need features we lack.
                _ => return Some(i.undefined()),
            }
        }
        _ => return None,
    }
    Some(Ok(()))
}

#[cfg(test)]
mod tests {
    use crate::interp::tests::{CODE, check, run};
    use crate::interp::{Exception, Stop};
    use crate::state::State;

    #[test]
    fn flag_manipulation() {
        let cases: &[(&str, &[u32], fn(&mut State), fn(&mut State))] = &[
            ("cfinv", &[0xd500401f], |_| {}, |s| s.pstate.c = true),
            (
                "cfinv; cfinv",
                &[0xd500401f, 0xd500401f],
                |s| s.pstate.set_nzcv(0b1010),
                |_| {},
            ),
            // XAFLAG: the "external" form (Z, C) of a float compare into Arm's NZCV.
            (
                "xaflag (greater: z=0 c=1)",
                &[0xd500403f],
                |s| s.pstate.set_nzcv(0b0010),
                |s| s.pstate.set_nzcv(0b0010),
            ),
            (
                "xaflag (less: z=0 c=0)",
                &[0xd500403f],
                |s| s.pstate.set_nzcv(0b0000),
                |s| s.pstate.set_nzcv(0b1000),
            ),
            (
                "xaflag (equal: z=1 c=1)",
                &[0xd500403f],
                |s| s.pstate.set_nzcv(0b0110),
                |s| s.pstate.set_nzcv(0b0110),
            ),
            (
                "xaflag (unordered: z=1 c=0)",
                &[0xd500403f],
                |s| s.pstate.set_nzcv(0b0100),
                |s| s.pstate.set_nzcv(0b0011),
            ),
            (
                "axflag (unordered: nzcv=0011)",
                &[0xd500405f],
                |s| s.pstate.set_nzcv(0b0011),
                |s| s.pstate.set_nzcv(0b0100),
            ),
            (
                "axflag (less: nzcv=1000)",
                &[0xd500405f],
                |s| s.pstate.set_nzcv(0b1000),
                |s| s.pstate.set_nzcv(0b0000),
            ),
            (
                "rmif x0, #3, #5 (sets Z and V from ROR(x0, 3))",
                &[0xba018405],
                |s| {
                    s.x[0] = 0b0101_000;
                    s.pstate.set_nzcv(0b1010)
                },
                |s| s.pstate.set_nzcv(0b1111),
            ),
            (
                "rmif x0, #3, #5 (clears Z and V, keeps N and C)",
                &[0xba018405],
                |s| s.pstate.set_nzcv(0b0101),
                |s| s.pstate.set_nzcv(0b0000),
            ),
            (
                "setf8 w1 (0x80: N, V = bit8 ^ bit7)",
                &[0x3a00082d],
                |s| {
                    s.x[1] = 0x80;
                    s.pstate.c = true
                },
                |s| s.pstate.set_nzcv(0b1011),
            ),
            (
                "setf8 w1 (0x100: Z, V)",
                &[0x3a00082d],
                |s| s.x[1] = 0x100,
                |s| s.pstate.set_nzcv(0b0101),
            ),
            (
                "setf16 w1 (0x18000: N; bit16 = bit15, so no V)",
                &[0x3a00482d],
                |s| {
                    s.x[1] = 0x1_8000;
                    s.pstate.v = true
                },
                |s| s.pstate.set_nzcv(0b1000),
            ),
            ("sb", &[0xd50330ff], |_| {}, |_| {}),
            (
                "msr dit, #1; mrs x0, dit",
                &[0xd503415f, 0xd53b42a0],
                |_| {},
                |s| {
                    s.pstate.dit = true;
                    s.x[0] = 1 << 24
                },
            ),
            (
                "msr ssbs, #1; mrs x0, ssbs",
                &[0xd503413f, 0xd53b42c0],
                |_| {},
                |s| {
                    s.pstate.ssbs = true;
                    s.x[0] = 1 << 12
                },
            ),
            (
                "msr dit, x1 (bit 24 only); msr ssbs, x1",
                &[0xd51b42a1, 0xd51b42c1],
                |s| {
                    s.x[1] = 0x0100_0000;
                    s.pstate.ssbs = true
                },
                |s| {
                    s.pstate.dit = true;
                    s.pstate.ssbs = false
                },
            ),
        ];
        for (name, words, setup, expect) in cases {
            check(name, words, *setup, *expect);
        }
    }

    #[test]
    fn pstate_fields_el0_may_not_write() {
        // msr spsel, #1 and msr daifset, #2 are UNDEFINED (trapped) at EL0.
        for word in [0xd50041bf, 0xd50342df] {
            let (cpu, stop) = run(&[word], |_| {});
            assert!(
                matches!(stop, Stop::Exception(Exception::Undefined { .. })),
                "{word:#x}: {stop:?}"
            );
            assert_eq!(cpu.state.pc, CODE);
        }
    }
}
