//! The reference interpreter of the A64 instruction set: the generated decoder (`decode`), the
//! architectural state (`state`), the memory interface (`memory`), exact floating-point
//! arithmetic (`fp`) and the interpreter (`interp`).
//!
//! Architecture Invariant: `model` does no I/O. Host files, sockets and stdin reach the boards
//! through interfaces the command line supplies.

pub mod decode;
pub mod fp;
pub mod interp;
pub mod memory;
pub mod mmu;
pub mod state;
pub mod sysregs;
