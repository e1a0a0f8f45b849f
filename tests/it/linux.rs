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
    boot_smp(bin, cpu, 1, &[])
}

/// Writes the busybox initramfs (`specula_init`) to `name` in the tests' directory (each test
/// its own file, as they run at once).
fn busybox_initrd(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("linux");
    std::fs::create_dir_all(&dir).unwrap();
    let initrd = dir.join(name);
    let busybox = std::fs::read(work().join("busybox")).unwrap();
    std::fs::write(
        &initrd,
        machines::initramfs::busybox(busybox, specula_init()),
    )
    .unwrap();
    initrd
}

fn boot_smp(bin: &Path, cpu: &str, smp: u32, extra: &[&str]) -> (Option<i32>, String) {
    let initrd = busybox_initrd("initrd.cpio");
    let out = Command::new(bin)
        .args([
            "boot",
            "virt",
            "--cpu",
            cpu,
            "--smp",
            &smp.to_string(),
            "--kernel",
        ])
        .arg(work().join("Image"))
        .arg("--initrd")
        .arg(&initrd)
        .args([
            "--append",
            "console=ttyAMA0 panic=-1",
            "--max-insns",
            "4000000000",
        ])
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
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
        assert!(
            !ci(),
            "work/linux is missing: the test command runs machines/fetch-linux.sh"
        );
        eprintln!("skipping: run machines/fetch-linux.sh");
        return;
    }
    for (cpu, features) in [
        (
            "max",
            "fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm \
             jscvt fcma lrcpc dcpop sha3 sm3 sm4 asimddp sha512 asimdfhm dit uscat ilrcpc \
             flagm sb paca pacg dcpodp flagm2 frint i8mm bf16 bti ecv afp rpres wfxt",
        ),
        ("v8.0", "fp asimd evtstrm cpuid"),
        // Armv8.2 without the optional features: the kernel uses PAN, RAS and CnP.
        (
            "v8.2",
            "fp asimd evtstrm crc32 atomics cpuid asimdrdm dcpop",
        ),
        (
            "v8.0,+FEAT_LSE,+FEAT_CRC32",
            "fp asimd evtstrm crc32 atomics cpuid",
        ),
    ] {
        let (status, out) = boot(&bin, cpu);
        assert!(out.contains("specula: initramfs reached"), "{cpu}: {out}");
        assert!(out.contains("reboot: Power down"), "{cpu}: {out}");
        assert_eq!(status, Some(0), "{cpu}: {out}");
        let line = out
            .lines()
            .find(|l| l.starts_with("Features"))
            .unwrap_or("");
        assert_eq!(
            line.split(':').nth(1).map(str::trim),
            Some(features),
            "{cpu}: {line}"
        );
    }
}

/// Runs `specula boot virt ARGS` with `input` on stdin; returns (status, stdout).
fn boot_with(bin: &Path, args: &[&str], input: &[u8]) -> (Option<i32>, String) {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new(bin)
        .args(["boot", "virt"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input).unwrap();
    // Keep stdin open (not at end of file) until the guest is done, as a terminal would.
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Boots Debian's kernel with `initrd` and the tests' command line, after `first` (firmware
/// and board options), with no console input.
fn boot_kernel(
    bin: &Path,
    first: &[&str],
    initrd: &Path,
    max_insns: &str,
) -> (Option<i32>, String) {
    let image = work().join("Image");
    let mut args = first.to_vec();
    args.extend([
        "--kernel",
        image.to_str().unwrap(),
        "--initrd",
        initrd.to_str().unwrap(),
        "--append",
        "console=ttyAMA0 panic=-1",
        "--max-insns",
        max_insns,
    ]);
    boot_with(bin, &args, b"")
}

fn firmware(name: &str) -> Option<(PathBuf, PathBuf)> {
    let bin = specula()?;
    let fw = work().join(name);
    if !fw.exists() {
        assert!(
            !ci(),
            "work/linux/{name} is missing: the test command runs machines/fetch-linux.sh"
        );
        return None;
    }
    Some((bin, fw))
}

/// Two PEs: the second starts through PSCI CPU_ON, both show in /proc/cpuinfo, and the
/// system powers off.
#[test]
fn debian_kernel_boots_on_two_pes() {
    let Some(bin) = specula() else { return };
    if !work().join("Image").exists() {
        assert!(!ci(), "work/linux is missing");
        return;
    }
    let (status, out) = boot_smp(&bin, "max", 2, &[]);
    assert!(out.contains("smp: Brought up 1 node, 2 CPUs"), "{out}");
    assert!(out.contains("processor\t: 1"), "{out}");
    assert!(out.contains("reboot: Power down"), "{out}");
    assert_eq!(status, Some(0), "{out}");
}

/// The kernel at EL2 (`--virtualization`): Linux runs in VHE mode (HCR_EL2.E2H, the EL2&0
/// regime, EL2's virtual timer), KVM initialises against the GIC's virtual CPU interface, and
/// the system powers off through the board's PSCI (over SMC, the kernel being at EL2).
#[test]
fn debian_kernel_boots_at_el2_with_vhe() {
    let Some(bin) = specula() else { return };
    if !work().join("Image").exists() {
        assert!(!ci(), "work/linux is missing");
        return;
    }
    let (status, out) = boot_smp(&bin, "max", 1, &["--virtualization"]);
    assert!(out.contains("CPU: All CPU(s) started at EL2"), "{out}");
    assert!(
        out.contains("kvm [1]: VHE mode initialized successfully"),
        "{out}"
    );
    assert!(out.contains("specula: initramfs reached"), "{out}");
    assert!(out.contains("reboot: Power down"), "{out}");
    assert_eq!(status, Some(0), "{out}");
}

/// With EL3 and no firmware (`--secure` without `--bios`, as QEMU's `secure=on` with
/// `-kernel`), the board leaves EL3 as firmware would: both PEs start in Non-secure EL2, the
/// GIC's interrupts are in Non-secure Group 1, and the board answers PSCI's SMCs (CPU_ON,
/// SYSTEM_OFF).
#[test]
fn debian_kernel_boots_with_el3_and_no_firmware() {
    let Some(bin) = specula() else { return };
    if !work().join("Image").exists() {
        assert!(!ci(), "work/linux is missing");
        return;
    }
    let (status, out) = boot_smp(&bin, "max", 2, &["--secure", "--virtualization"]);
    for s in [
        "psci: PSCIv1.1 detected in firmware.",
        "smp: Brought up 1 node, 2 CPUs",
        "CPU: All CPU(s) started at EL2",
        "specula: initramfs reached",
        "processor\t: 1",
        "reboot: Power down",
    ] {
        assert!(out.contains(s), "{s}\n{out}");
    }
    assert_eq!(status, Some(0), "{out}");
}

/// U-Boot from flash reaches its prompt; a key stops autoboot and `version` runs.
#[test]
fn u_boot_reaches_its_prompt() {
    let Some((bin, fw)) = firmware("u-boot.bin") else {
        return;
    };
    let fw = fw.to_str().unwrap();
    let (status, out) = boot_with(
        &bin,
        &["--bios", fw, "--max-insns", "600000000"],
        b"x\nversion\n",
    );
    assert!(out.contains("Hit any key to stop autoboot"), "{out}");
    assert!(
        out.contains("=> version\r\nU-Boot 2023.01") || out.contains("=> version\nU-Boot 2023.01"),
        "{out}"
    );
    assert_eq!(status, Some(124), "stopped by --max-insns at the prompt");
}

/// EDK2 from flash (with its variable store in the second bank) boots the kernel it gets
/// through fw_cfg, by the kernel's EFI stub, to the initramfs and PSCI SYSTEM_OFF.
#[test]
fn edk2_boots_the_kernel_through_fw_cfg() {
    let Some((bin, fw)) = firmware("QEMU_EFI.fd") else {
        return;
    };
    if !work().join("Image").exists() {
        return;
    }
    let initrd = busybox_initrd("initrd-edk2.cpio");
    let bios = ["--bios", fw.to_str().unwrap()];
    let (status, out) = boot_kernel(&bin, &bios, &initrd, "4000000000");
    assert!(out.contains("EFI stub: Booting Linux Kernel"), "{out}");
    assert!(out.contains("specula: initramfs reached"), "{out}");
    assert_eq!(status, Some(0), "{out}");
}

/// EDK2 alone reaches the UEFI shell (after its five-second startup.nsh countdown, which it
/// busy-waits: five billion instructions of guest time). Under SPECULA_SLOW=1 only.
#[test]
fn edk2_reaches_the_uefi_shell() {
    if std::env::var("SPECULA_SLOW").ok().as_deref() != Some("1") {
        return;
    }
    let Some((bin, fw)) = firmware("QEMU_EFI.fd") else {
        return;
    };
    let (status, out) = boot_with(
        &bin,
        &["--bios", fw.to_str().unwrap(), "--max-insns", "7000000000"],
        b"",
    );
    assert!(out.contains("UEFI Interactive Shell"), "{out}");
    assert!(out.contains("Shell>"), "{out}");
    assert_eq!(status, Some(124));
}

/// Trusted Firmware-A (machines/fetch-tfa.sh: BL1 and a FIP with BL2, BL31 and U-Boot in the
/// Secure flash) boots from EL3 on two PEs: BL1 holds the second PE, BL31 answers PSCI, U-Boot
/// loads the kernel and initrd from fw_cfg and boots them at EL2, the kernel brings up the
/// second PE through BL31's CPU_ON and finds the PMU, and SYSTEM_OFF reaches the board
/// through TF-A's Secure GPIO. TF-A needs the PMU (it programs PMCR_EL0), which `max` has.
#[test]
fn tf_a_boots_u_boot_and_the_kernel_on_two_pes() {
    let Some(bin) = specula() else { return };
    let flash = Path::new(env!("CARGO_MANIFEST_DIR")).join("work/tfa/flash.bin");
    if !flash.exists() || !work().join("Image").exists() {
        assert!(
            !ci(),
            "work/tfa/flash.bin is missing: the test command runs machines/fetch-tfa.sh"
        );
        return;
    }
    let initrd = busybox_initrd("initrd-tfa.cpio");
    let board = [
        "--secure",
        "--virtualization",
        "--smp",
        "2",
        "-m",
        "1024",
        "--bios",
        flash.to_str().unwrap(),
    ];
    let (status, out) = boot_kernel(&bin, &board, &initrd, "8000000000");
    for s in [
        "NOTICE:  BL1: Booting BL2",
        "NOTICE:  BL1: Booting BL31",
        "U-Boot 2023.01",
        "Starting kernel ...",
        "psci: PSCIv1.1 detected in firmware.",
        "CPU: All CPU(s) started at EL2",
        "smp: Brought up 1 node, 2 CPUs",
        "hw perfevents: enabled with armv8_pmuv3 PMU driver, 7 counters available",
        "specula: initramfs reached",
        "processor\t: 1",
        "reboot: Power down",
        "QEMU System Power off: with GPIO.",
    ] {
        assert!(out.contains(s), "{s}\n{out}");
    }
    assert_eq!(status, Some(0), "{out}");
}

/// Linux's perf events on the PMU: tests/linux/perf.c (Debian's cross gcc, static) counts the
/// instructions and cycles of a 4,000,000-instruction loop at EL0 through the kernel's
/// armv8_pmuv3 driver, and samples it every 100,000 instructions, each overflow a PMUIRQ
/// (PPI 7) that the kernel turns into a SIGIO.
#[test]
fn perf_counts_instructions_and_overflows_on_the_pmu() {
    let Some(bin) = specula() else { return };
    const CC: &str = "aarch64-linux-gnu-gcc";
    let have_cc = Command::new(CC).arg("--version").output().is_ok();
    if !have_cc || !work().join("Image").exists() {
        assert!(!ci(), "{CC} or work/linux is missing");
        return;
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("linux");
    std::fs::create_dir_all(&dir).unwrap();
    let exe = dir.join("perf-test");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/linux/perf.c");
    let cc = Command::new(CC)
        .args(["-O2", "-static", "-Wall", "-Werror", "-o"])
        .arg(&exe)
        .arg(&src)
        .output()
        .unwrap();
    assert!(
        cc.status.success(),
        "{}",
        String::from_utf8_lossy(&cc.stderr)
    );
    // The initramfs by `specula initramfs --program`, as a user would build it.
    let initrd = dir.join("initrd-perf.cpio");
    let init = "/bin/busybox mount -t proc proc /proc\n\
                /bin/perf-test\n\
                /bin/busybox poweroff -f\n";
    let made = Command::new(&bin)
        .args(["initramfs", "--busybox"])
        .arg(work().join("busybox"))
        .arg("--program")
        .arg(&exe)
        .args(["--init", init, "-o"])
        .arg(&initrd)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let (status, out) = boot_kernel(&bin, &[], &initrd, "4000000000");
    for s in [
        "hw perfevents: enabled with armv8_pmuv3 PMU driver, 7 counters available",
        "perf: instructions ok",
        "perf: cycles ok",
        "perf: overflow signals ok",
    ] {
        assert!(out.contains(s), "{s}\n{out}");
    }
    for line in out.lines().filter(|l| l.starts_with("perf:")) {
        eprintln!("{line}");
    }
    assert_eq!(status, Some(0), "{out}");
}
