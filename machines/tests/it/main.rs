//! The Linux user-mode board running real programs: every `tests/programs/*.c` and `*.S` is
//! built at test time with Debian's `aarch64-linux-gnu-gcc`, run on the board, and its stdout
//! and exit status checked against `tests/programs/expected/NAME.stdout` and the source's
//! `// expect-exit: N` line (128 + the signal when one kills it), and against `qemu-aarch64`
//! when it is installed. Freestanding programs use `sys.h`; `// build: glibc` ones link
//! glibc statically.
//!
//! Programs marked `// host: files` need a real file system, so the `specula` crate's
//! `tests/it/guest_files.rs` runs them through `specula run` instead.
//!
//! Without the cross compiler the test skips with a message, except under `CI=true`, where it
//! fails: CI must not pass by testing nothing.

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use machines::linux_user::{Board, Clock, Errno, Exit, FileStat, Files, Host, Process};
use model::interp::Config;

const CC: &str = "aarch64-linux-gnu-gcc";

/// A host of buffers: no input, captured output, fixed clock and entropy.
#[derive(Default)]
struct BufferHost {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    /// Nanoseconds slept: the clocks stand still except across sleeps, so runs repeat.
    slept: u128,
}

/// No file system: every file syscall is ENOSYS.
impl Files for BufferHost {}

impl Host for BufferHost {
    fn read(&mut self, _fd: i32, _buf: &mut [u8]) -> Result<usize, Errno> {
        Ok(0)
    }
    fn write(&mut self, fd: i32, buf: &[u8]) -> Result<usize, Errno> {
        match fd {
            1 => self.stdout.extend_from_slice(buf),
            2 => self.stderr.extend_from_slice(buf),
            _ => return Err(9),
        }
        Ok(buf.len())
    }
    fn fstat(&mut self, fd: i32) -> Result<FileStat, Errno> {
        if (0..=2).contains(&fd) {
            // A pipe.
            Ok(FileStat {
                mode: 0o010600,
                nlink: 1,
                blksize: 4096,
                ..FileStat::default()
            })
        } else {
            Err(9)
        }
    }
    fn is_terminal(&mut self, _fd: i32) -> bool {
        false
    }
    fn now(&mut self, _clock: Clock) -> (u64, u32) {
        let ns = 1_700_000_000 * 1_000_000_000 + self.slept;
        ((ns / 1_000_000_000) as u64, (ns % 1_000_000_000) as u32)
    }
    fn sleep(&mut self, nanos: u128) {
        self.slept = self.slept.saturating_add(nanos.min(1 << 64));
    }
    fn random(&mut self, buf: &mut [u8]) {
        for (i, b) in buf.iter_mut().enumerate() {
            *b = i as u8 ^ 0x5a;
        }
    }
    fn log(&mut self, line: &str) {
        eprintln!("{line}");
    }
}

fn programs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/programs")
}

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A line `// KEY: VALUE` in the source.
fn directive<'a>(source: &'a str, key: &str) -> Option<&'a str> {
    source
        .lines()
        .find_map(|l| l.strip_prefix("// ")?.strip_prefix(key)?.strip_prefix(": "))
}

/// Builds freestanding (`-nostdlib`, general registers only) unless the source says
/// `// build: glibc`, then as a glibc `-static` program; `// cflags: ...` adds options
/// (e.g. `-march=armv8.5-a+crc -mbranch-protection=standard`); `opt` is the optimisation level.
fn build(src: &Path, glibc: bool, cflags: Option<&str>, opt: &str, out: &Path) {
    let mut cmd = Command::new(CC);
    cmd.args(cflags.unwrap_or_default().split_whitespace());
    if glibc {
        cmd.args([opt, "-static", "-o"]).arg(out).arg(src);
    } else {
        cmd.args(["-static", "-nostdlib", "-o"]).arg(out).arg(src);
    }
    if !glibc && src.extension().is_some_and(|e| e == "c") {
        cmd.args([
            opt,
            "-ffreestanding",
            "-mgeneral-regs-only",
            "-fno-tree-loop-distribute-patterns",
        ]);
    }
    let o = cmd.output().unwrap_or_else(|e| panic!("running {CC}: {e}"));
    assert!(
        o.status.success(),
        "{}: {}",
        src.display(),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn run_board(binary: &Path, args: &[String]) -> (Exit, BufferHost) {
    let image = std::fs::read(binary).unwrap();
    let mut argv = vec![binary.display().to_string()];
    argv.extend(args.iter().cloned());
    let env = vec!["PATH=/usr/bin".to_string()];
    let execfn = argv[0].clone();
    let process = Process {
        image: &image,
        args: &argv,
        env: &env,
        execfn: &execfn,
    };
    let mut host = BufferHost::default();
    let mut board = Board::load(&process, Config::default(), &mut host)
        .unwrap_or_else(|e| panic!("{}: {e}", binary.display()));
    let exit = board.run(&mut host, Some(1_000_000_000));
    (exit, host)
}

#[test]
fn programs_match_expected_output_and_qemu() {
    if !have(CC) {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{CC} not found: install gcc-aarch64-linux-gnu (.ci/test does)");
        }
        eprintln!("SKIPPED: {CC} not found (install gcc-aarch64-linux-gnu)");
        return;
    }
    let qemu = have("qemu-aarch64");
    let out_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("programs");
    std::fs::create_dir_all(&out_dir).unwrap();
    let mut sources: Vec<PathBuf> = std::fs::read_dir(programs_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "c" || e == "S"))
        .collect();
    sources.sort();
    let (mut passed, mut failed) = (0, Vec::new());
    let mut board_lines = Vec::new();
    for src in &sources {
        let name = src.file_stem().unwrap().to_str().unwrap();
        let text = std::fs::read_to_string(src).unwrap();
        if directive(&text, "host") == Some("files") {
            continue; // needs a real file system: the `specula` crate's tests run it
        }
        let status: i32 = directive(&text, "expect-exit")
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name}: no `// expect-exit: N` line"));
        let args: Vec<String> = directive(&text, "run-args")
            .map(|a| a.split_whitespace().map(String::from).collect())
            .unwrap_or_default();
        let expected = std::fs::read(programs_dir().join(format!("expected/{name}.stdout")))
            .unwrap_or_else(|e| panic!("{name}: expected/{name}.stdout: {e}"));
        // Every program at -O0 and at -O2: the same output either way.
        for opt in ["-O0", "-O2"] {
            let binary = out_dir.join(format!("{name}{opt}"));
            build(
                src,
                directive(&text, "build") == Some("glibc"),
                directive(&text, "cflags"),
                opt,
                &binary,
            );
            let (exit, host) = run_board(&binary, &args);
            let mut problems = Vec::new();
            // The shell's status: 128 + the signal when one kills the program.
            if exit == Exit::Budget || exit.code() != status {
                problems.push(format!("exit {exit:?}, expected status {status}"));
            }
            if host.stdout != expected {
                problems.push(format!(
                    "stdout {:?}",
                    String::from_utf8_lossy(&host.stdout)
                ));
            }
            // `// qemu-differs: WHY` skips the comparison where qemu-user and Linux disagree.
            if qemu && directive(&text, "qemu-differs").is_none() {
                let o = Command::new("qemu-aarch64")
                    .arg(&binary)
                    .args(&args)
                    .output()
                    .unwrap();
                let qemu_status = o.status.code().or(o.status.signal().map(|s| 128 + s));
                if o.stdout != host.stdout || qemu_status != Some(exit.code()) {
                    problems.push(format!(
                        "qemu-aarch64 differs: status {:?}, stdout {:?}",
                        qemu_status,
                        String::from_utf8_lossy(&o.stdout)
                    ));
                }
            }
            if problems.is_empty() {
                passed += 1;
                board_lines.push(format!("pass {name} {opt}"));
            } else {
                failed.push(format!("{name} {opt}: {}", problems.join("; ")));
                board_lines.push(format!("FAIL {name} {opt}"));
            }
        }
    }
    eprintln!(
        "programs: {passed} passed, {} failed (qemu-aarch64 {})",
        failed.len(),
        if qemu { "compared" } else { "not installed" }
    );
    // The scoreboard, when qemu-aarch64 took part (a run without it proves less).
    if qemu {
        let text = format!(
            "# Our C test programs (machines/tests/programs), each built at -O0 and -O2 with\n\
             # gcc-aarch64-linux-gnu and run on the board: stdout and exit status compared with\n\
             # the expected output and qemu-aarch64 (machines/tests/it/main.rs writes this file).\n\
             programs: {passed} passed, {} failed\n{}\n",
            failed.len(),
            board_lines.join("\n")
        );
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scoreboards/programs.txt");
        std::fs::write(path, text).unwrap();
    }
    assert!(
        passed + failed.len() >= 7,
        "ran {} programs",
        passed + failed.len()
    );
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
