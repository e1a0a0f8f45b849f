//! One module per subcommand.

pub mod bench;
pub mod boot;
pub mod conformance;
mod conformance_random;
pub mod coverage;
pub mod cpu;
pub mod decode;
pub mod features;
mod gdb;
pub mod initramfs;
pub mod run;
mod run_files;
pub mod tarmac;
