//! The reference interpreter of the A64 instruction set. Today: the generated decoder.
//!
//! Architecture Invariant: `model` does no I/O. Host files, sockets and stdin reach the boards
//! through interfaces the command line supplies.

pub mod decode;
