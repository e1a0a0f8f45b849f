//! The `specula` command line: argument parsing and output formatting only. Every subcommand
//! is a thin wrapper over a library crate, so that scripts and tests can use the same code.

mod cli;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "specula",
    version,
    about = "An executable reference model of the Arm A-profile architecture"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decode A64 instruction words: `<word>\t<encoding id or UNDEFINED>\t<disassembly>` per line.
    Decode(cli::decode::DecodeArgs),
    /// Resolve a CPU spec (`v9.0`, `v9.1,+FEAT_RME,-FEAT_SVE`) into its FEAT_ names.
    Features(cli::features::FeaturesArgs),
    /// Conformance campaigns against oracles and suites; exits 1 when a threshold is missed.
    Conformance(cli::conformance::ConformanceArgs),
    /// Benchmarks that print figures (run them on a release build).
    Bench(cli::bench::BenchArgs),
    /// Run an AArch64 Linux program; exits with its status (128+signal, 124 on --max-insns).
    Run(cli::run::RunArgs),
    /// Boot a board in system mode: `specula boot virt --kernel F [--secure] [--semihosting]`.
    Boot(cli::boot::BootArgs),
    /// Build a busybox initramfs for `specula boot virt --initrd`.
    Initramfs(cli::initramfs::InitramfsArgs),
    /// List the encodings in AArch64 ELF files that the interpreter does not implement yet.
    Coverage(cli::coverage::CoverageArgs),
}

fn main() -> ExitCode {
    // Like other Unix tools, end quietly when the reader of stdout goes away (`| head`), rather
    // than panicking in `println!`: Rust ignores SIGPIPE unless told otherwise.
    #[cfg(unix)]
    // SAFETY: called before any other thread exists; only restores the default action.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    match cli.command {
        Command::Decode(args) => cli::decode::run(args),
        Command::Features(args) => cli::features::run(args),
        Command::Bench(args) => cli::bench::run(args),
        Command::Conformance(args) => cli::conformance::run(args),
        Command::Run(args) => cli::run::run(args),
        Command::Coverage(args) => cli::coverage::run(args),
        Command::Boot(args) => cli::boot::run(args),
        Command::Initramfs(args) => cli::initramfs::run(args),
    }
}
