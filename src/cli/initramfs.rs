//! `specula initramfs`: builds a busybox initramfs (a newc cpio archive) for `specula boot`,
//! without `cpio` or root: /bin/busybox, /dev/console, /proc, /sys, an /init script, and any
//! other static programs in /bin.

use std::process::ExitCode;

#[derive(clap::Args)]
pub struct InitramfsArgs {
    /// A static AArch64 busybox (Debian's busybox-static: `machines/fetch-linux.sh`).
    #[arg(long, value_name = "FILE")]
    pub busybox: std::path::PathBuf,
    /// The /init script's body (run by busybox sh). The default prints /proc/cpuinfo and
    /// powers off.
    #[arg(long, value_name = "SCRIPT", default_value = DEFAULT_INIT)]
    pub init: String,
    /// Another static program to put in /bin under its file name (repeatable), for the
    /// /init script to run.
    #[arg(long, value_name = "FILE")]
    pub program: Vec<std::path::PathBuf>,
    /// Where to write the archive.
    #[arg(short = 'o', value_name = "FILE")]
    pub output: std::path::PathBuf,
}

pub const DEFAULT_INIT: &str = "/bin/busybox mount -t proc proc /proc\n\
echo \"specula: initramfs reached\"\n\
/bin/busybox cat /proc/cpuinfo\n\
/bin/busybox poweroff -f\n";

pub fn run(args: InitramfsArgs) -> ExitCode {
    let busybox = match std::fs::read(&args.busybox) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("specula: {}: {e}", args.busybox.display());
            return ExitCode::from(2);
        }
    };
    let mut programs = Vec::new();
    for path in &args.program {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.is_empty() || matches!(name, "busybox" | "sh") {
            eprintln!(
                "specula: --program {}: needs a file name other than busybox and sh",
                path.display()
            );
            return ExitCode::from(2);
        }
        match std::fs::read(path) {
            Ok(data) => programs.push((name, data)),
            Err(e) => {
                eprintln!("specula: {}: {e}", path.display());
                return ExitCode::from(2);
            }
        }
    }
    let archive = machines::initramfs::busybox_with(busybox, &args.init, programs);
    if let Err(e) = std::fs::write(&args.output, archive) {
        eprintln!("specula: {}: {e}", args.output.display());
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}
