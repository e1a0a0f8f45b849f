//! Boards and devices: the machines the model runs in. The Linux user-mode board
//! (`linux_user`) loads an AArch64 ELF program and plays the Linux kernel's part for it: the
//! initial stack, memory regions and system calls. The `virt` board is a system: QEMU virt's
//! memory map, its devices (`devices`), semihosting and PSCI, with the PE in system mode.
//!
//! API Boundary: host I/O (files, the terminal, clocks, entropy) enters through the `Host`
//! trait that the command line implements; the boards themselves do no I/O.

pub mod devices;
pub mod initramfs;
pub mod linux_user;
pub mod trace;
pub mod virt;
pub mod workloads;
