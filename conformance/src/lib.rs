//! Conformance corpora and harnesses: external test suites (today LLVM's AArch64 MC tests) read
//! into plain data that the decoder and the disassembler are checked against.
//!
//! API Boundary: this crate reads files (the corpus cache that `fetch-llvm-mc.sh` fills), and
//! only through functions that take the folder as an argument; its parsers take text, so they
//! are tested on inline inputs without the cache.

pub mod decode;
pub mod differences;
pub mod llvm_mc;
pub mod oracle;
pub mod random;
pub mod tarmac;
