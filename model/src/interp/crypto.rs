//! SIMD&FP: the cryptographic extensions (AES, SHA1, SHA256, SHA512, SHA3, SM3, SM4, PMULL of
//! 64-bit elements) and the integer dot and matrix products (DotProd, I8MM) and RDM.

use super::{Cpu, Exec, Insn};

pub(super) fn execute(_cpu: &mut Cpu, _i: Insn) -> Option<Exec> {
    None
}
