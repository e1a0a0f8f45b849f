//! Branches: the Arm ARM's "Branches, Exception Generating and System instructions" group, less
//! the system instructions (`system`): B, BL, B.cond, BC.cond, CBZ/CBNZ, TBZ/TBNZ, BR/BLR/RET.

use super::pseudocode::{condition_holds, sign_extend};
use super::{Cpu, Exec, Insn};
use crate::decode::EncodingId as E;
use crate::memory::Memory;

#[inline(always)]
pub(super) fn execute(cpu: &mut Cpu, mem: &mut impl Memory, i: Insn) -> Option<Exec> {
    let s = &mut cpu.state;
    match i.id {
        E::B_only_branch_imm | E::BL_only_branch_imm => {
            let offset = sign_extend(u64::from(i.bits(25, 0)) << 2, 28);
            if i.bit(31) {
                s.x[30] = i.pc.wrapping_add(4);
            }
            s.pc = i.pc.wrapping_add(offset);
        }
        // BC.cond (FEAT_HBC) only hints that the branch behaves consistently.
        E::B_only_condbranch | E::BC_only_condbranch => {
            if i.id == E::BC_only_condbranch && !cpu.config.features.hbc {
                return Some(i.undefined());
            }
            let s = &mut cpu.state;
            if condition_holds(i.bits(3, 0), &s.pstate) {
                s.pc =
                    i.pc.wrapping_add(sign_extend(u64::from(i.bits(23, 5)) << 2, 21));
            }
        }
        E::CBZ_32_compbranch
        | E::CBZ_64_compbranch
        | E::CBNZ_32_compbranch
        | E::CBNZ_64_compbranch => {
            let mut v = s.xr(i.rd());
            if !i.bit(31) {
                v &= 0xffff_ffff;
            }
            if (v == 0) != i.bit(24) {
                s.pc =
                    i.pc.wrapping_add(sign_extend(u64::from(i.bits(23, 5)) << 2, 21));
            }
        }
        E::TBZ_only_testbranch | E::TBNZ_only_testbranch => {
            let bit = (i.bits(31, 31) << 5) | i.bits(23, 19);
            let set = (s.xr(i.rd()) >> bit) & 1 != 0;
            if set == i.bit(24) {
                s.pc =
                    i.pc.wrapping_add(sign_extend(u64::from(i.bits(18, 5)) << 2, 16));
            }
        }
        E::BR_64_branch_reg | E::BLR_64_branch_reg | E::RET_64R_branch_reg => {
            let target = s.xr(i.rn());
            if i.id == E::BLR_64_branch_reg {
                s.x[30] = i.pc.wrapping_add(4);
            }
            // PSTATE.BTYPE for FEAT_BTI; op in bits 22:21.
            super::bti::set_btype_for_branch(&mut s.pstate, mem, i.pc, i.bits(22, 21), i.rn());
            s.pc = target;
        }
        _ => return None,
    }
    Some(Ok(()))
}
