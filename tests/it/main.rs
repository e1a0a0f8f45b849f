//! The `specula` command line as scripts and users see it: one integration-test binary, a
//! module per area.

mod baremetal;
mod cli;
mod conformance_random;
mod gdb;
mod guest_files;
mod linux;
mod process;
mod run;
mod sysroot;
mod trace;
