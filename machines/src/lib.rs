//! Boards: the machines the model runs in. Today the Linux user-mode board (`linux_user`),
//! which loads an AArch64 ELF program and plays the Linux kernel's part for it: the initial
//! stack, memory regions and system calls.
//!
//! API Boundary: host I/O (files, the terminal, clocks, entropy) enters through the `Host`
//! trait that the command line implements; the boards themselves do no I/O.

pub mod linux_user;
pub mod workloads;
