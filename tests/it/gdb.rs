//! `specula run --gdb PORT` driven by `gdb-multiarch` in batch mode over the fixed-address
//! program of `trace.rs`: connect, read PC, single-step, a write watchpoint, a software
//! breakpoint, X and V registers read and written, memory read and written, CPSR, FPSR and
//! FPCR, and continue to the exit. Skips without gdb-multiarch (fails under `CI=true`).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use super::trace::{PROGRAM, elf};

#[test]
fn gdb_steps_breaks_watches_and_edits_state() {
    if Command::new("gdb-multiarch")
        .arg("--version")
        .output()
        .is_err()
    {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("gdb-multiarch not found: install it (.ci/test does)");
        }
        eprintln!("SKIPPED: gdb-multiarch not found");
        return;
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("gdb");
    std::fs::create_dir_all(&dir).unwrap();
    let prog = dir.join("prog");
    std::fs::write(&prog, elf(PROGRAM)).unwrap();
    // A port of our own: free ones are above 1024, and the test may run beside others.
    let port = 20000 + (std::process::id() % 20000) as u16;
    let mut specula = Command::new(env!("CARGO_BIN_EXE_specula"))
        .args(["run", "--gdb", &port.to_string()])
        .arg(&prog)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The stub says when it listens.
    let mut stderr = BufReader::new(specula.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    assert!(line.contains("waiting for gdb"), "{line}");
    let commands = [
        "set architecture aarch64",
        &format!("target remote 127.0.0.1:{port}"),
        "p/x $pc",
        "stepi",
        "stepi",
        "p $x0",
        "p $x1",
        "watch *(long *)0x410008",
        "continue",
        "p/x $pc",
        "delete",
        "break *0x4000dc",
        "continue",
        "p/x $x3",
        "p/x $v0.d.u[0]",
        "set $x1 = 42",
        "p $x1",
        "set $v2.d.u[0] = 0x99",
        "p/x $v2.d.u[0]",
        "x/2gx 0x410008",
        "set {long}0x410020 = 7",
        "x/1gx 0x410020",
        "p/x $cpsr",
        "set $fpcr = 0x400000",
        "p $fpcr",
        "p $fpsr",
        "continue",
    ];
    let mut gdb = Command::new("gdb-multiarch");
    gdb.args(["-batch", "-nx"]);
    for c in commands {
        gdb.args(["-ex", c]);
    }
    let out = gdb.output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let status = specula.wait().unwrap();
    for want in [
        "$1 = 0x4000b0",
        "$2 = 5",
        "$3 = 3",
        "Hardware watchpoint 1: *(long *)0x410008",
        "New value = 1234605616436508552",
        "$4 = 0x4000d0",
        "Breakpoint 2, 0x00000000004000dc",
        "$5 = 0x1122334455667788",
        "$6 = 0x1122334455667788",
        "$7 = 42",
        "$8 = 0x99",
        "0x410008:\t0x1122334455667788\t0x0000000000000005",
        "0x410020:\t0x0000000000000007",
        "$9 = 0x80000000",
        "$10 = [ RMode=1 ]",
        "exited normally",
    ] {
        assert!(text.contains(want), "gdb output lacks {want:?}:\n{text}");
    }
    assert_eq!(status.code(), Some(0));
}

/// `specula boot --gdb`: the stub over the virt board, at EL1 with the MMU off: registers,
/// single steps, memory through the PE's view, and continue to PSCI SYSTEM_OFF.
#[test]
fn gdb_debugs_a_bare_metal_program_on_virt() {
    if Command::new("gdb-multiarch")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            !std::env::var("CI").is_ok_and(|v| v == "true"),
            "gdb-multiarch not found"
        );
        eprintln!("SKIPPED: gdb-multiarch not found");
        return;
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("gdb");
    std::fs::create_dir_all(&dir).unwrap();
    let prog = dir.join("bare");
    // mov x5, #5; mov x6, #3; x0 = 0x84000008 (SYSTEM_OFF); hvc #0
    std::fs::write(
        &prog,
        elf(&[
            0xd280_00a5,
            0xd280_0066,
            0xd280_0100,
            0xf2b0_8000,
            0xd400_0002,
        ]),
    )
    .unwrap();
    let port = 20000 + ((std::process::id() + 7) % 20000) as u16;
    let mut specula = Command::new(env!("CARGO_BIN_EXE_specula"))
        .args(["boot", "virt", "--gdb", &port.to_string(), "--kernel"])
        .arg(&prog)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(specula.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    assert!(line.contains("waiting for gdb"), "{line}");
    let mut gdb = Command::new("gdb-multiarch");
    gdb.args(["-batch", "-nx"]);
    for c in [
        "set architecture aarch64",
        &format!("target remote 127.0.0.1:{port}"),
        "p/x $pc",
        "stepi",
        "stepi",
        "p $x5",
        "p $x6",
        "p/x $cpsr",
        "x/1wx 0x4000b0",
        "continue",
    ] {
        gdb.args(["-ex", c]);
    }
    let out = gdb.output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let status = specula.wait().unwrap();
    for want in [
        "$1 = 0x4000b0",
        "$2 = 5",
        "$3 = 3",
        "$4 = 0x3c5",
        "0x4000b0:\t0xd28000a5",
        "exited normally",
    ] {
        assert!(text.contains(want), "gdb output lacks {want:?}:\n{text}");
    }
    assert_eq!(status.code(), Some(0));
}
