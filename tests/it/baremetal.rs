//! The bare-metal tests (tests/baremetal/README.md): each program under `specula boot virt`
//! against its expected output, and against QEMU 10's `qemu-system-aarch64` where it is
//! present (`machines/fetch-qemu.sh` unpacks Debian 12's backport into work/qemu10), with
//! every difference named in `qemu-differences.txt`. Debian 12's own QEMU 7.2 is not the
//! oracle here: it lacks most of the Armv8.5 to v8.7 system features the tests check. Without
//! the cross compiler or the oracle the test skips that part with a message, except under
//! `CI=true`, where it fails.

use std::path::{Path, PathBuf};
use std::process::Command;

const CC: &str = "aarch64-linux-gnu-gcc";

/// QEMU 10's qemu-system-aarch64 and its data folder (for `-L`), when fetched.
fn qemu10() -> Option<(PathBuf, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("work/qemu10");
    let bin = root.join("usr/bin/qemu-system-aarch64");
    bin.is_file().then(|| (bin, root.join("usr/share/qemu")))
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/baremetal")
}

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// The tests: every `.c` file but the library.
fn tests() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".c").map(str::to_string))
        .filter(|n| n != "lib")
        .collect();
    v.sort();
    v
}

fn build(name: &str) -> PathBuf {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("baremetal");
    std::fs::create_dir_all(&out).unwrap();
    let elf = out.join(format!("{name}.elf"));
    let d = dir();
    let status = Command::new(CC)
        .args([
            "-O2",
            "-ffreestanding",
            "-nostdlib",
            "-mgeneral-regs-only",
            "-mstrict-align",
            "-fno-stack-protector",
            "-fno-pie",
            "-no-pie",
            "-static",
            "-Wall",
            "-Werror",
            "-Wl,--no-warn-rwx-segments",
        ])
        .arg("-T")
        .arg(d.join("link.ld"))
        .arg("-o")
        .arg(&elf)
        .arg(d.join("start.S"))
        .arg(d.join("lib.c"))
        .arg(d.join(format!("{name}.c")))
        .status()
        .unwrap();
    assert!(status.success(), "{name}: the cross compiler failed");
    elf
}

/// The specula binary: the optimised one when the test command built it.
fn specula() -> PathBuf {
    std::env::var_os("SPECULA_RELEASE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_specula")))
}

fn run_specula(elf: &Path) -> (Option<i32>, String) {
    run_specula_with(elf, &[])
}

fn run_specula_with(elf: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(specula())
        .args([
            "boot",
            "virt",
            "--secure",
            "--virtualization",
            "--semihosting",
        ])
        .args(extra)
        .args(["--max-insns", "50000000", "--kernel"])
        .arg(elf)
        .output()
        .unwrap();
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.code(), text)
}

fn run_qemu(qemu: &(PathBuf, PathBuf), elf: &Path) -> (Option<i32>, String) {
    let out = Command::new("timeout")
        .arg("60")
        .arg(&qemu.0)
        .arg("-L")
        .arg(&qemu.1)
        // QARMA5, the architected algorithm, rather than QEMU's IMPLEMENTATION DEFINED one,
        // so that PACs can be compared.
        .args([
            "-M",
            "virt,secure=on,virtualization=on,gic-version=3",
            "-cpu",
            "max,pauth-qarma5=on",
        ])
        // No display and no audio: the unpacked copy has neither module (and must not load
        // the installed 7.2's).
        .args([
            "-semihosting",
            "-display",
            "none",
            "-audio",
            "none",
            "-monitor",
            "none",
            "-serial",
            "none",
            "-kernel",
        ])
        .arg(elf)
        .output()
        .unwrap();
    // QEMU writes the semihosting console to stderr.
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.code(), text)
}

/// The tests of features QEMU 10 does not have, so that it cannot be their oracle: only their
/// expected output (written from the Arm ARM) checks them. `(test, why)`.
const NO_QEMU_ORACLE: &[(&str, &str)] = &[
    (
        "v89",
        "QEMU 10.0 has none of Armv8.9's features: CSSC, CLRBHB, SPECRES2, SCTLR2, TCR2, FGT2 \
         and RASv2 are all UNDEFINED or absent there",
    ),
    (
        "ebep",
        "QEMU 10.0 has neither FEAT_EBEP nor FEAT_PMUv3p9: PSTATE.PM, PMECR_EL1, PMUACR_EL1 and \
         PMZR_EL0 are UNDEFINED there and its PMU is PMUv3p5",
    ),
];

/// `(test, line prefix)` pairs from qemu-differences.txt.
fn differences() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(dir().join("qemu-differences.txt")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (test, rest) = l.split_once(": ").expect("TEST: PREFIX: reason");
            let (prefix, reason) = rest.split_once(": ").expect("TEST: PREFIX: reason");
            assert!(reason.len() > 20, "{l}: give the reason");
            (test.to_string(), prefix.to_string())
        })
        .collect()
}

/// Every line matches QEMU's, or differs where qemu-differences.txt says so; every listed
/// difference still happens (a fixed one must leave the list).
fn check_against_qemu(name: &str, ours: &str, qemu: &str, listed: &[(String, String)]) {
    let ours: Vec<&str> = ours.lines().collect();
    let theirs: Vec<&str> = qemu.lines().collect();
    assert_eq!(
        ours.len(),
        theirs.len(),
        "{name}: line counts differ\nspecula:\n{}\nqemu:\n{}",
        ours.join("\n"),
        theirs.join("\n")
    );
    let mut used = Vec::new();
    for (a, b) in ours.iter().zip(&theirs) {
        if a == b {
            continue;
        }
        let hit = listed
            .iter()
            .position(|(t, p)| t == name && a.starts_with(p.as_str()));
        assert!(
            hit.is_some(),
            "{name}: specula `{a}` but qemu `{b}`, not in qemu-differences.txt"
        );
        used.push(hit.unwrap());
    }
    for (i, (t, p)) in listed.iter().enumerate() {
        if t == name {
            assert!(
                used.contains(&i),
                "{name}: `{p}` no longer differs: drop it from the list"
            );
        }
    }
}

#[test]
fn baremetal_programs() {
    if !have(CC) {
        assert!(
            !ci(),
            "{CC} is missing: CI must not pass by testing nothing"
        );
        eprintln!("skipping the bare-metal tests: {CC} is not installed");
        return;
    }
    let qemu = qemu10();
    if qemu.is_none() {
        assert!(
            !ci(),
            "work/qemu10 is missing under CI (machines/fetch-qemu.sh)"
        );
        eprintln!("no work/qemu10 (machines/fetch-qemu.sh): checking expected output only");
    }
    let listed = differences();
    let names = tests();
    assert!(!names.is_empty());
    for name in &names {
        let elf = build(name);
        let (status, ours) = run_specula(&elf);
        let expected = std::fs::read_to_string(dir().join(format!("expected/{name}.txt")))
            .unwrap_or_else(|_| panic!("{name}: no expected/{name}.txt"));
        assert_eq!(
            ours, expected,
            "{name}: output differs from expected/{name}.txt"
        );
        assert_eq!(status, Some(0), "{name}: exit status");
        // With the host's clock the timer interrupts come in the same order.
        if name == "interrupts" {
            let (status, wall) = run_specula_with(&elf, &["--clock", "wall"]);
            assert_eq!(
                (status, wall.as_str()),
                (Some(0), expected.as_str()),
                "--clock wall"
            );
        }
        if let Some(q) = &qemu
            && !NO_QEMU_ORACLE.iter().any(|(t, _)| t == name)
        {
            let (qstatus, qemu) = run_qemu(q, &elf);
            assert_eq!(qstatus, Some(0), "{name}: qemu's exit status\n{qemu}");
            check_against_qemu(name, &ours, &qemu, &listed);
        }
    }
}
