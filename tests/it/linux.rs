//! Linux on the `virt` board: Debian's cloud kernel (`machines/fetch-linux.sh`) with a busybox
//! initramfs that prints /proc/cpuinfo and powers off. Runs the optimised binary (a boot is
//! about 0.9 billion instructions); without the kernel it skips, except under `CI=true`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn work() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("work/linux")
}

fn specula() -> Option<PathBuf> {
    std::env::var_os("SPECULA_RELEASE_BIN").map(PathBuf::from)
}

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Boots with `cpu` and returns (exit status, stdout).
fn boot(bin: &Path, cpu: &str) -> (Option<i32>, String) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("linux");
    std::fs::create_dir_all(&dir).unwrap();
    let initrd = dir.join("initrd.cpio");
    let busybox = std::fs::read(work().join("busybox")).unwrap();
    std::fs::write(&initrd, machines::initramfs::busybox(busybox, specula_init())).unwrap();
    let out = Command::new(bin)
        .args(["boot", "virt", "--cpu", cpu, "--kernel"])
        .arg(work().join("Image"))
        .arg("--initrd")
        .arg(&initrd)
        .args(["--append", "console=ttyAMA0 panic=-1", "--max-insns", "4000000000"])
        .output()
        .unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
}

fn specula_init() -> &'static str {
    "/bin/busybox mount -t proc proc /proc\n\
     echo \"specula: initramfs reached\"\n\
     /bin/busybox cat /proc/cpuinfo\n\
     /bin/busybox poweroff -f\n"
}

/// The kernel reaches the initramfs and powers off through PSCI (exit 0), and the features it
/// reports are the configured CPU's: each `--cpu` gives its own Features line.
#[test]
fn debian_kernel_boots_to_the_initramfs() {
    let Some(bin) = specula() else {
        assert!(!ci(), "the test command sets SPECULA_RELEASE_BIN");
        eprintln!("skipping: set SPECULA_RELEASE_BIN to an optimised specula");
        return;
    };
    if !work().join("Image").exists() {
        assert!(!ci(), "work/linux is missing: the test command runs machines/fetch-linux.sh");
        eprintln!("skipping: run machines/fetch-linux.sh");
        return;
    }
    for (cpu, features) in [
        ("max", "fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics cpuid asimdrdm sb"),
        ("v8.0", "fp asimd evtstrm cpuid"),
        ("v8.0,+FEAT_LSE,+FEAT_CRC32", "fp asimd evtstrm crc32 atomics cpuid"),
    ] {
        let (status, out) = boot(&bin, cpu);
        assert!(out.contains("specula: initramfs reached"), "{cpu}: {out}");
        assert!(out.contains("reboot: Power down"), "{cpu}: {out}");
        assert_eq!(status, Some(0), "{cpu}: {out}");
        let line = out.lines().find(|l| l.starts_with("Features")).unwrap_or("");
        assert_eq!(line.split(':').nth(1).map(str::trim), Some(features), "{cpu}: {line}");
    }
}
