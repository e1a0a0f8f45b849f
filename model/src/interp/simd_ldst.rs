//! SIMD&FP: Advanced SIMD structure loads and stores (LD1-LD4/ST1-ST4 multiple structures,
//! single structure, replicate, post-indexed).

use super::{Cpu, Exec, Insn};
use crate::memory::Memory;

pub(super) fn execute(_cpu: &mut Cpu, _mem: &mut impl Memory, _i: Insn) -> Option<Exec> {
    None
}
