//! SIMD&FP: the Advanced SIMD and floating-point instructions. Today: none, so every such
//! encoding is UNDEFINED; the loads and stores of SIMD&FP registers are in `ldst`.

use super::{Cpu, Exec, Insn};
use crate::memory::Memory;

pub(super) fn execute(_cpu: &mut Cpu, _mem: &mut impl Memory, _i: Insn) -> Option<Exec> {
    None
}
