//! Guest programs that use the host's files, run by `specula run` (whose `Host` is the real file
//! system) in a scratch directory of their own, beside `qemu-aarch64` in another:
//! - `machines/tests/programs/*.c` marked `// host: files` (the board's own harness, with a host
//!   of buffers, leaves them to us), checked against `expected/NAME.stdout` and qemu;
//! - Debian's `busybox-static:arm64` applets and `sh -c` pipelines, stdout and exit status compared byte for byte with
//!   qemu running the same binary; `machines/scoreboards/busybox.txt` records which pass.
//!
//! Missing tools skip with a message saying how to get them, except under `CI=true`, where the
//! test fails: CI must not pass by testing nothing.

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const CC: &str = "aarch64-linux-gnu-gcc";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Skips (returns false) with `how`, or fails under CI.
fn require(ok: bool, what: &str, how: &str) -> bool {
    if !ok {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{what} not found: {how}");
        }
        eprintln!("SKIPPED: {what} not found ({how})");
    }
    ok
}

/// A fresh empty directory under the test's scratch space.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("guest-files")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The shell's status: 128 + the signal when one killed it.
fn status(o: &Output) -> i32 {
    o.status
        .code()
        .or(o.status.signal().map(|s| 128 + s))
        .unwrap_or(-1)
}

fn run_in(dir: &Path, specula: bool, program: &Path, args: &[&str]) -> Output {
    run_with_stdin(dir, specula, program, args, None)
}

fn run_with_stdin(
    dir: &Path,
    specula: bool,
    program: &Path,
    args: &[&str],
    stdin: Option<&str>,
) -> Output {
    let mut cmd = if specula {
        let mut c = Command::new(env!("CARGO_BIN_EXE_specula"));
        c.arg("run");
        c
    } else {
        Command::new("qemu-aarch64")
    };
    cmd.arg(program)
        .args(args)
        .current_dir(dir)
        .stdin(match stdin {
            Some(file) => Stdio::from(std::fs::File::open(dir.join(file)).unwrap()),
            None => Stdio::null(),
        })
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", program.display()))
}

#[test]
fn file_programs_match_expected_output_and_qemu() {
    let hint = "install gcc-aarch64-linux-gnu and qemu-user (.ci/test does)";
    if !require(have(CC) && have("qemu-aarch64"), CC, hint) {
        return;
    }
    let programs = root().join("machines/tests/programs");
    let mut sources: Vec<PathBuf> = std::fs::read_dir(&programs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "c"))
        .filter(|p| {
            std::fs::read_to_string(p).is_ok_and(|t| t.lines().any(|l| l == "// host: files"))
        })
        .collect();
    sources.sort();
    let mut failed = Vec::new();
    for src in &sources {
        let name = src.file_stem().unwrap().to_str().unwrap();
        let dir = scratch(name);
        let binary = dir.join(name);
        let o = Command::new(CC)
            .args(["-O2", "-static", "-o"])
            .arg(&binary)
            .arg(src)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let expected = std::fs::read(programs.join(format!("expected/{name}.stdout"))).unwrap();
        let (s_dir, q_dir) = (dir.join("specula"), dir.join("qemu"));
        std::fs::create_dir_all(&s_dir).unwrap();
        std::fs::create_dir_all(&q_dir).unwrap();
        let s = run_in(&s_dir, true, &binary, &[]);
        let q = run_in(&q_dir, false, &binary, &[]);
        if s.stdout != expected || s.stdout != q.stdout || status(&s) != status(&q) {
            failed.push(format!(
                "{name}: status {} (qemu {}), stdout {:?}, stderr {:?}",
                status(&s),
                status(&q),
                String::from_utf8_lossy(&s.stdout),
                String::from_utf8_lossy(&s.stderr)
            ));
        }
    }
    eprintln!(
        "file programs: {} passed, {} failed",
        sources.len() - failed.len(),
        failed.len()
    );
    assert!(!sources.is_empty(), "no `// host: files` programs ran");
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

/// One busybox run: the applet and its arguments, the file its stdout is also saved to (in
/// the same side's directory) for later cases to read, and the file its stdin comes from.
struct Case {
    name: &'static str,
    args: &'static [&'static str],
    save: Option<&'static str>,
    stdin: Option<&'static str>,
}

const fn case(name: &'static str, args: &'static [&'static str]) -> Case {
    Case {
        name,
        args,
        save: None,
        stdin: None,
    }
}

/// A case whose stdin is the file `stdin` of its side's directory.
const fn with_stdin(
    name: &'static str,
    args: &'static [&'static str],
    stdin: &'static str,
) -> Case {
    Case {
        name,
        args,
        save: None,
        stdin: Some(stdin),
    }
}

const INPUT: &str = "pear\napple\npear\nfig\nbanana\napple\napple\nkiwi 3\n";

/// Applets, then shell pipelines (fork), in order: later cases read what earlier ones wrote.
const CASES: &[Case] = &[
    case("echo", &["echo", "hello,", "busybox"]),
    case("cat", &["cat", "in.txt"]),
    case("sort", &["sort", "in.txt"]),
    case("sort -r -u", &["sort", "-r", "-u", "in.txt"]),
    case("uniq", &["uniq", "-c", "in.txt"]),
    case("wc", &["wc", "in.txt"]),
    case("sha256sum", &["sha256sum", "in.txt"]),
    case("md5sum", &["md5sum", "in.txt"]),
    Case {
        name: "gzip -c",
        args: &["gzip", "-c", "in.txt"],
        save: Some("in.txt.gz"),
        stdin: None,
    },
    case("gzip -dc", &["gzip", "-dc", "in.txt.gz"]),
    Case {
        name: "bzip2 -c",
        args: &["bzip2", "-c", "in.txt"],
        save: Some("in.txt.bz2"),
        stdin: None,
    },
    case("bzip2 -dc", &["bzip2", "-dc", "in.txt.bz2"]),
    case("sha1sum", &["sha1sum", "in.txt"]),
    case("sha512sum", &["sha512sum", "in.txt"]),
    case("sha3sum", &["sha3sum", "in.txt"]),
    case("cksum", &["cksum", "in.txt"]),
    case("base64", &["base64", "in.txt"]),
    case("od", &["od", "-c", "in.txt"]),
    case("hexdump", &["hexdump", "-C", "in.txt"]),
    case("xxd", &["xxd", "in.txt"]),
    case("grep", &["grep", "-n", "apple", "in.txt"]),
    case("grep -c -v", &["grep", "-c", "-v", "pear", "in.txt"]),
    case("nl", &["nl", "in.txt"]),
    case("rev", &["rev", "in.txt"]),
    case("fold", &["fold", "-w", "3", "in.txt"]),
    case("tac", &["tac", "in.txt"]),
    case("sort -n -k", &["sort", "-n", "-k", "2", "in.txt"]),
    case("comm", &["comm", "in.txt", "in.txt"]),
    case("strings", &["strings", "in.txt"]),
    case("factor", &["factor", "360", "1001"]),
    case("dirname", &["dirname", "/a/b/c"]),
    case("date -u", &["date", "-u", "-d", "@86400"]),
    case("uname -m", &["uname", "-m"]),
    case("mkdir -p", &["mkdir", "-p", "sub/deep/er"]),
    case(
        "touch -d",
        &[
            "touch",
            "-d",
            "2020-01-02 03:04:05",
            "sub/deep/er/f",
            "in.txt",
            // `stat` and `tar -tv` below print the directories' mtimes: fixed here, not the
            // wall-clock second in which each emulator happened to run `mkdir -p`.
            "sub/deep/er",
            "sub/deep",
            "sub",
        ],
    ),
    case(
        "stat -c",
        &["stat", "-c", "%s %a %Y %F %n", "in.txt", "sub"],
    ),
    case("ls -ln", &["ls", "-ln", "--full-time", "sub/deep/er"]),
    case("stat -f", &["stat", "-f", "-c", "%t %s %l", "."]),
    case(
        "dd conv=fsync",
        &["dd", "if=in.txt", "of=fsynced", "conv=fsync"],
    ),
    case("sync", &["sync"]),
    case("find", &["find", "sub", "-name", "f"]),
    case("find -type d", &["find", "sub", "-type", "d"]),
    case("du -a", &["du", "-a", "sub"]),
    case("cp", &["cp", "in.txt", "copy.txt"]),
    case("cmp", &["cmp", "in.txt", "copy.txt"]),
    case("mv", &["mv", "copy.txt", "moved.txt"]),
    case(
        "dd",
        &["dd", "if=moved.txt", "of=dd.out", "bs=4", "count=3"],
    ),
    case("cat dd", &["cat", "dd.out"]),
    case("diff", &["diff", "in.txt", "dd.out"]),
    case("ln -s", &["ln", "-s", "in.txt", "link"]),
    case("readlink", &["readlink", "link"]),
    case("rm", &["rm", "moved.txt", "dd.out", "link"]),
    case("rmdir -p", &["rmdir", "-p", "sub/deep/er/x"]),
    case("tar -cf", &["tar", "-cf", "t.tar", "in.txt", "sub"]),
    case("tar -tvf", &["tar", "-tvf", "t.tar"]),
    case("tar -xOf", &["tar", "-xOf", "t.tar", "in.txt"]),
    with_stdin("tee", &["tee", "tee.out"], "in.txt"),
    case("cat tee", &["cat", "tee.out"]),
    with_stdin("wc -l stdin", &["wc", "-l"], "in.txt"),
    with_stdin("tr stdin", &["tr", "a-z", "A-Z"], "in.txt"),
    case(
        "sh pipeline",
        &[
            "sh",
            "-c",
            "cat in.txt | sort | uniq -c | sort -rn | head -n 2",
        ],
    ),
    case(
        "sh pipeline awk",
        &[
            "sh",
            "-c",
            "seq 100 | awk '{ s += $1 } END { print s }' | tr 0-9 a-j",
        ],
    ),
    case(
        "sh gzip pipeline",
        &["sh", "-c", "gzip -c < in.txt | gzip -dc | sha256sum"],
    ),
    case(
        "sh command substitution",
        &[
            "sh",
            "-c",
            "n=$(wc -l < in.txt); echo \"lines: $n\"; for f in $(seq 3); do echo $f; done",
        ],
    ),
    case(
        "sh read loop",
        &[
            "sh",
            "-c",
            "while read a b; do echo \"<$a>\"; done < in.txt | sort -u",
        ],
    ),
    case(
        "sh -c builtins",
        &[
            "sh",
            "-c",
            "x=4; echo $((x * 5)); test -f in.txt && echo yes; exit 3",
        ],
    ),
    case(
        "awk BEGIN",
        &[
            "awk",
            "BEGIN { s = 0; for (i = 1; i <= 10; i++) s += i * i; printf \"%d %s\\n\", s, substr(\"busybox\", 2, 3) }",
        ],
    ),
    case(
        "awk file",
        &[
            "awk",
            "{ n[$1]++ } END { print n[\"apple\"], NR }",
            "in.txt",
        ],
    ),
    case("sed", &["sed", "-e", "s/p/P/g", "-e", "/fig/d", "in.txt"]),
    case("basename", &["basename", "/usr/lib/libc.so.6", ".6"]),
    case("expr", &["expr", "6", "*", "7"]),
    case("expr false", &["expr", "1", "=", "2"]),
    case("seq", &["seq", "2", "3", "20"]),
    case("printf", &["printf", "%s=%05d %x\\n", "a", "42", "255"]),
    case("head", &["head", "-n", "3", "in.txt"]),
    case("tail", &["tail", "-n", "2", "in.txt"]),
    case("cut", &["cut", "-c", "1-3", "in.txt"]),
    case("ls", &["ls", "-1"]),
    case("cat missing", &["cat", "missing.txt"]),
    case("true", &["true"]),
    case("false", &["false"]),
];

#[test]
fn busybox_applets_match_qemu() {
    let busybox = std::env::var_os("SPECULA_BUSYBOX")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("work/busybox/bin/busybox"));
    let how = "as root: dpkg --add-architecture arm64 && apt-get update && cd work && \
               apt-get download busybox-static:arm64 && dpkg-deb -x busybox-static_*.deb busybox \
               (.ci/test does), or set SPECULA_BUSYBOX";
    if !require(busybox.exists(), &busybox.display().to_string(), how)
        || !require(have("qemu-aarch64"), "qemu-aarch64", "install qemu-user")
    {
        return;
    }
    let dir = scratch("busybox");
    let sides = [dir.join("specula"), dir.join("qemu")];
    for side in &sides {
        std::fs::create_dir_all(side).unwrap();
        std::fs::write(side.join("in.txt"), INPUT).unwrap();
    }
    let mut board = String::new();
    let mut failed = Vec::new();
    for c in CASES {
        let [s, q] = [true, false].map(|specula| {
            let side = &sides[usize::from(!specula)];
            let o = run_with_stdin(side, specula, &busybox, c.args, c.stdin);
            if let Some(file) = c.save {
                std::fs::write(side.join(file), &o.stdout).unwrap();
            }
            o
        });
        let pass = s.stdout == q.stdout && status(&s) == status(&q);
        board.push_str(&format!(
            "{} {}\n",
            if pass { "pass" } else { "FAIL" },
            c.name
        ));
        if !pass {
            failed.push(format!(
                "{}: status {} (qemu {}), stdout {:?} (qemu {:?}), stderr {:?}",
                c.name,
                status(&s),
                status(&q),
                String::from_utf8_lossy(&s.stdout),
                String::from_utf8_lossy(&q.stdout),
                String::from_utf8_lossy(&s.stderr)
            ));
        }
    }
    let summary = format!(
        "busybox: {} passed, {} failed",
        CASES.len() - failed.len(),
        failed.len()
    );
    eprintln!("{summary}");
    let text = format!(
        "# Debian busybox-static:arm64 applets under `specula run`, stdout and exit status\n\
         # compared with qemu-aarch64 (tests/it/guest_files.rs writes this file).\n\
         {summary}\n{board}"
    );
    let path = root().join("machines/scoreboards/busybox.txt");
    if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
