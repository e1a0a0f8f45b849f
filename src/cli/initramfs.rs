//! `specula initramfs`: builds a busybox initramfs (a newc cpio archive) for `specula boot`,
//! without `cpio` or root: /bin/busybox, /dev/console, /proc, /sys and an /init script.

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
    let archive = machines::initramfs::busybox(busybox, &args.init);
    if let Err(e) = std::fs::write(&args.output, archive) {
        eprintln!("specula: {}: {e}", args.output.display());
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}
