//! Branch Target Identification (FEAT_BTI): indirect branches set PSTATE.BTYPE, and the
//! instruction they reach, when it lies in a guarded page ([`Memory::is_guarded`]), must be a
//! landing pad compatible with it, or it takes a Branch Target exception.
//!
//! `Cpu::step` checks before executing an instruction while BTYPE is not zero and clears BTYPE
//! (every instruction but the indirect branches sets it to zero); the indirect branches set it
//! with [`set_btype_for_branch`], where a BR whose own page is not guarded sets 01, not 11.

use super::{Exception, Insn};
use crate::decode::EncodingId as E;
use crate::memory::Memory;
use crate::state::Pstate;

/// Sets BTypeNext of an indirect branch at `pc`, `op` as in bits 22:21 of the branch-register
/// group (00 BR, 01 BLR, 10 RET) and `n` its target register. A BR through a register other
/// than X16 and X17 sets 11 from a guarded page and 01 from any other.
#[inline]
pub(super) fn set_btype_for_branch(
    pstate: &mut Pstate,
    mem: &mut impl Memory,
    pc: u64,
    op: u32,
    n: u32,
) {
    pstate.btype = match op {
        0 if n == 16 || n == 17 => 0b01,
        0 if mem.is_guarded(pc) => 0b11,
        0 => 0b01,
        1 => 0b10,
        _ => 0b00,
    };
}

/// Whether `i` may be executed with `btype` (not zero): not in a guarded page, or a landing
/// pad compatible with it. PACIASP and PACIBSP act as BTI c, and also accept BTYPE 11 unless
/// `bt`, the current level's SCTLR_ELx.BT (BT0 at EL0; Linux leaves it 0 for user space); BRK
/// and HLT are compatible with every BTYPE.
#[inline(never)]
pub(super) fn check(mem: &mut impl Memory, i: Insn, btype: u8, bt: bool) -> Result<(), Exception> {
    let ok = match i.id {
        // BTI with targets in op2 (bits 7:6): 00 none, 01 c, 10 j, 11 jc.
        E::BTI_HB_hints => match i.bits(7, 6) {
            0b00 => false,
            0b01 => btype != 0b11,
            0b10 => btype != 0b10,
            _ => true,
        },
        E::PACIASP_HI_hints | E::PACIBSP_HI_hints => btype != 0b11 || !bt,
        E::BRK_EX_exception | E::HLT_EX_exception => true,
        _ => false,
    };
    if ok || !mem.is_guarded(i.pc) {
        return Ok(());
    }
    Err(Exception::BranchTarget { pc: i.pc, btype })
}

#[cfg(test)]
mod tests {
    use crate::interp::{Config, Cpu, Exception, Features, Stop};
    use crate::memory::{FlatMemory, Perms};
    use crate::state::State;

    const CODE: u64 = 0x1000;
    const BR_X1: u32 = 0xd61f0020;
    const BR_X16: u32 = 0xd61f0200;
    const BLR_X1: u32 = 0xd63f0020;
    const RET: u32 = 0xd65f03c0;
    const NOP: u32 = 0xd503201f;
    const BTI: u32 = 0xd503241f;
    const BTI_C: u32 = 0xd503245f;
    const BTI_J: u32 = 0xd503249f;
    const BTI_JC: u32 = 0xd50324df;
    const PACIASP: u32 = 0xd503233f;

    /// Runs the branch at CODE to the landing instruction at CODE + 8, two steps, with the
    /// code page guarded or not. X1, X16 and X30 all point at the landing instruction.
    fn land(branch: u32, target: u32, guarded: bool) -> (Cpu, Stop) {
        let mut mem = FlatMemory::new();
        mem.map(CODE, 0x1000, Perms::RX);
        let code: Vec<u8> = [branch, NOP, target, NOP]
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect();
        mem.poke(CODE, &code).unwrap();
        assert!(mem.set_guarded(CODE, 0x1000, guarded));
        let mut cpu = Cpu::new(Config::default());
        let s: &mut State = &mut cpu.state;
        s.pc = CODE;
        s.x[1] = CODE + 8;
        s.x[16] = CODE + 8;
        s.x[30] = CODE + 8;
        let stop = cpu.run(&mut mem, 2);
        (cpu, stop)
    }

    #[test]
    fn landing_pads_in_guarded_pages() {
        // (branch, landing instruction, compatible)
        let cases = [
            ("br x1 -> bti c", BR_X1, BTI_C, false),
            ("br x1 -> bti j", BR_X1, BTI_J, true),
            ("br x1 -> bti jc", BR_X1, BTI_JC, true),
            ("br x1 -> bti", BR_X1, BTI, false),
            ("br x1 -> nop", BR_X1, NOP, false),
            ("br x1 -> paciasp (SCTLR_EL1.BT0 = 0)", BR_X1, PACIASP, true),
            ("br x16 -> bti c", BR_X16, BTI_C, true),
            ("br x16 -> bti j", BR_X16, BTI_J, true),
            ("br x16 -> nop", BR_X16, NOP, false),
            ("blr x1 -> bti c", BLR_X1, BTI_C, true),
            ("blr x1 -> bti j", BLR_X1, BTI_J, false),
            ("blr x1 -> paciasp", BLR_X1, PACIASP, true),
            ("blr x1 -> nop", BLR_X1, NOP, false),
            ("ret -> nop", RET, NOP, true),
            ("br x1 -> brk #0", BR_X1, 0xd4200000, true),
        ];
        for (name, branch, target, compatible) in cases {
            let (cpu, stop) = land(branch, target, true);
            if compatible {
                assert!(
                    matches!(
                        stop,
                        Stop::Budget | Stop::Exception(Exception::Breakpoint { .. })
                    ),
                    "{name}: {stop:?}"
                );
                assert_eq!(cpu.state.pstate.btype, 0, "{name}");
            } else {
                assert_eq!(
                    stop,
                    Stop::Exception(Exception::BranchTarget {
                        pc: CODE + 8,
                        btype: cpu.state.pstate.btype
                    }),
                    "{name}"
                );
                assert_eq!(cpu.state.pc, CODE + 8, "{name}");
                assert_ne!(cpu.state.pstate.btype, 0, "{name}");
            }
            // Outside guarded pages nothing is checked.
            let (_, stop) = land(branch, target, false);
            assert!(
                matches!(
                    stop,
                    Stop::Budget | Stop::Exception(Exception::Breakpoint { .. })
                ),
                "{name} unguarded: {stop:?}"
            );
        }
    }

    #[test]
    fn btype_of_each_branch() {
        // (branch, guarded, BTYPE after it)
        let cases = [
            (BR_X1, true, 0b11),
            (BR_X1, false, 0b01),
            (BR_X16, true, 0b01),
            (BLR_X1, true, 0b10),
            (BLR_X1, false, 0b10),
            (RET, true, 0b00),
        ];
        for (branch, guarded, btype) in cases {
            let mut mem = FlatMemory::new();
            mem.map(CODE, 0x1000, Perms::RX);
            mem.poke(CODE, &branch.to_le_bytes()).unwrap();
            mem.set_guarded(CODE, 0x1000, guarded);
            let mut cpu = Cpu::new(Config::default());
            cpu.state.pc = CODE;
            cpu.state.x[1] = CODE + 8;
            cpu.state.x[16] = CODE + 8;
            cpu.state.x[30] = CODE + 8;
            assert_eq!(cpu.run(&mut mem, 1), Stop::Budget);
            assert_eq!(
                cpu.state.pstate.btype, btype,
                "{branch:#x} guarded={guarded}"
            );
        }
    }

    /// With the features off (an Armv8.0 PE), their instructions are UNDEFINED, the PAuth
    /// hints are NOPs, ordered accesses must be aligned, and guarded pages are not checked.
    #[test]
    fn features_off() {
        let config = Config {
            features: Features::NONE,
            ..Config::default()
        };
        let undefined = [
            ("ldadd x0, x1, [x2]", 0xf8200041),
            ("cas x0, x1, [x2]", 0xc8a07c41),
            ("ldapr x0, [x1]", 0xf8bfc020),
            ("ldapur x0, [x1, #-8]", 0xd95f8020),
            ("crc32b w0, w0, w2", 0x1ac24000),
            ("cfinv", 0xd500401f),
            ("xaflag", 0xd500403f),
            ("sb", 0xd50330ff),
            ("msr dit, #1", 0xd503415f),
            ("mrs x0, dit", 0xd53b42a0),
            ("msr ssbs, x1", 0xd51b42c1),
            ("pacia x0, x1", 0xdac10020),
            ("pacga x0, x1, x2", 0x9ac23020),
            ("retaa", 0xd65f0bff),
            ("braa x1, x2", 0xd71f0822),
            ("ldraa x0, [x1, #8]!", 0xf8201c20),
        ];
        let data = 0x10000;
        for (name, word) in undefined {
            let (cpu, stop) = run_config(&[word], config.clone(), false, data);
            assert!(
                matches!(stop, Stop::Exception(Exception::Undefined { .. })),
                "{name}: {stop:?}"
            );
            assert_eq!(cpu.state.pc, CODE, "{name}");
        }
        // paciasp; autiasp; xpaclri: NOPs.
        let (cpu, stop) = run_config(
            &[PACIASP, 0xd50323bf, 0xd50320ff],
            config.clone(),
            false,
            data,
        );
        assert_eq!(stop, Stop::Budget);
        assert_eq!((cpu.state.pc, cpu.state.x[30]), (CODE + 12, CODE + 8));
        // ldar w0, [x1] inside 16 bytes but not aligned: a fault without FEAT_LSE2.
        let (_, stop) = run_config(&[0x88dffc20], config.clone(), false, data + 2);
        assert!(
            matches!(stop, Stop::Exception(Exception::DataAbort { .. })),
            "{stop:?}"
        );
        // br x1 to a NOP in a guarded page: no check without FEAT_BTI.
        let (_, stop) = run_config(&[BR_X1, NOP, NOP, NOP], config, true, CODE + 4);
        assert_eq!(stop, Stop::Budget);
    }

    /// Runs `words` at CODE for as many steps as words, X1 = `x1`, X2 = data, X30 = CODE + 8.
    fn run_config(words: &[u32], config: Config, guarded: bool, x1: u64) -> (Cpu, Stop) {
        let mut mem = FlatMemory::new();
        mem.map(CODE, 0x1000, Perms::RX);
        mem.map(0x10000, 0x1000, Perms::RW);
        let code: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        mem.poke(CODE, &code).unwrap();
        mem.set_guarded(CODE, 0x1000, guarded);
        let mut cpu = Cpu::new(config);
        cpu.state.pc = CODE;
        cpu.state.x[1] = x1;
        cpu.state.x[2] = 0x10000;
        cpu.state.x[30] = CODE + 8;
        let stop = cpu.run(&mut mem, words.len() as u64);
        (cpu, stop)
    }

    /// `v9.0` asks for these features; SSBS, PAuth2, FPAC, I8MM, BF16 and the cryptographic
    /// extensions are optional there, and the later versions' (AFP, HBC, MOPS, CSSC, ...) out.
    #[test]
    fn v9_0_resolves_to_implemented_features() {
        let v9 = spec::features::resolve_str("v9.0").unwrap();
        let f = Features::from_names(|name| v9.has(name));
        assert_eq!(
            f,
            Features {
                ssbs: false,
                pauth2: false,
                fpac: false,
                fpaccombine: false,
                i8mm: false,
                bf16: false,
                afp: false,
                rpres: false,
                hbc: false,
                mops: false,
                cssc: false,
                aes: false,
                pmull: false,
                sha1: false,
                sha256: false,
                sha512: false,
                sha3: false,
                sm3: false,
                sm4: false,
                ..Features::ALL
            }
        );
        let v8 = spec::features::resolve_str("v8.0").unwrap();
        assert_eq!(Features::from_names(|name| v8.has(name)), Features::NONE);
    }
}
