//! Dynamically linked programs from a Debian 12 arm64 sysroot (`machines/fetch-sysroot.sh`
//! unpacks it into `work/sysroot`): python3.11, xz, sqlite3, lua5.4 and gawk, each run by
//! `specula run -L SYSROOT` and by `qemu-aarch64 -L SYSROOT` in scratch directories of their
//! own, stdout and exit status compared byte for byte. `machines/scoreboards/sysroot.txt`
//! records which pass.
//!
//! These are heavy (millions to billions of instructions), so they run the optimised binary
//! that `SPECULA_RELEASE_BIN` names (`.ci/test` builds it first and sets it), never the debug
//! one `cargo test` builds. Without it, or without the sysroot or qemu, the test skips with a
//! message, except under `CI=true`, where it fails: CI must not pass by testing nothing.

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One program run: its name on the scoreboard, the sysroot path of the program, its
/// arguments, and what its stdin holds.
struct Case {
    name: &'static str,
    program: &'static str,
    args: &'static [&'static str],
    stdin: Input,
}

enum Input {
    Empty,
    Text(&'static str),
    /// `machines::workloads::xz_corpus`'s fixed 4 MiB.
    Corpus,
}

const PYTHON: &str = "/usr/bin/python3.11";

const CASES: &[Case] = &[
    Case {
        name: "python3.11 -c arithmetic and strings",
        program: PYTHON,
        args: &[
            "-c",
            "import sys; print(sum(i * i for i in range(100000)), 2 ** 200, 'abc'.upper()[::-1], sys.version_info[:2])",
        ],
        stdin: Input::Empty,
    },
    Case {
        name: "python3.11 -c floats and math",
        program: PYTHON,
        args: &[
            "-c",
            "import math; xs = [math.sin(i / 7) * math.exp(-i / 50) for i in range(2000)]; print(repr(sum(xs)), math.sqrt(2), 1e308 * 10, float('nan') != float('nan'), round(2.675, 2), f'{math.pi:.15e}')",
        ],
        stdin: Input::Empty,
    },
    Case {
        name: "python3.11 -c json, hashlib, re, zlib",
        program: PYTHON,
        args: &[
            "-c",
            "import json, hashlib, re, zlib; d = {'k': [1, 2.5, None, 'x' * 3]}; s = json.dumps(d, sort_keys=True); print(s, hashlib.sha256(s.encode()).hexdigest(), re.findall(r'[a-z]+', 'Hello big World'), zlib.crc32(b'specula'), len(zlib.compress(s.encode() * 100)))",
        ],
        stdin: Input::Empty,
    },
    Case {
        name: "python3.11 reads a script from stdin",
        program: PYTHON,
        args: &["-"],
        stdin: Input::Text(
            "import collections\nc = collections.Counter('the quick brown fox jumps over the lazy dog')\nprint(sorted(c.items())[:5])\nprint(sorted(range(20), key=lambda x: (x % 3, -x)))\n",
        ),
    },
    Case {
        name: "xz -6 of 4 MiB",
        program: "/usr/bin/xz",
        args: &["-6", "-c"],
        stdin: Input::Corpus,
    },
    Case {
        name: "xz --version",
        program: "/usr/bin/xz",
        args: &["--version"],
        stdin: Input::Empty,
    },
    Case {
        name: "sqlite3 :memory: script",
        program: "/usr/bin/sqlite3",
        args: &[":memory:"],
        stdin: Input::Text(
            "create table t(a integer, b text, c real);\n\
             with recursive n(i) as (select 1 union all select i + 1 from n where i < 1000)\n\
             insert into t select i, printf('row%04d', i), i / 7.0 from n;\n\
             select count(*), sum(a), min(b), max(b), round(avg(c), 6) from t;\n\
             select b from t where a % 97 = 0 order by a desc;\n\
             select group_concat(a, ',') from (select a from t order by c desc limit 5);\n",
        ),
    },
    Case {
        name: "lua5.4 -e",
        program: "/usr/bin/lua5.4",
        args: &[
            "-e",
            "local t = {} for i = 1, 10000 do t[i] = i * i end local s = 0 for _, v in ipairs(t) do s = s + v end print(s, #t, string.format('%.10f', math.sqrt(2)), 7 // 2, 7 / 2, math.maxinteger) local w = {} for x in ('the quick brown fox'):gmatch('%a+') do w[#w + 1] = x:upper() end print(table.concat(w, '-'))",
        ],
        stdin: Input::Empty,
    },
    Case {
        name: "gawk BEGIN arithmetic and strings",
        program: "/usr/bin/gawk",
        args: &[
            "BEGIN { for (i = 1; i <= 1000; i++) s += i * i; printf \"%d %.6f %s %d\\n\", s, atan2(1, 1) * 4, toupper(substr(\"specula\", 2, 4)), length(sprintf(\"%050d\", 7)) }",
        ],
        stdin: Input::Empty,
    },
    Case {
        name: "gawk fields from stdin",
        program: "/usr/bin/gawk",
        args: &[
            "-F:",
            // Sorted inside gawk: `| "sort"` would start the host's /bin/sh, an x86 program
            // that neither emulator can be asked to run.
            "{ n[$2] += $3 } END { PROCINFO[\"sorted_in\"] = \"@ind_str_asc\"; for (k in n) print k, n[k] }",
        ],
        stdin: Input::Text("a:x:1\nb:y:2\nc:x:3\nd:z:4\ne:y:5\n"),
    },
];

fn status(o: &Output) -> i32 {
    o.status
        .code()
        .or(o.status.signal().map(|s| 128 + s))
        .unwrap_or(-1)
}

fn run(dir: &Path, runner: &[&str], sysroot: &Path, case: &Case, stdin: &Path) -> Output {
    let mut cmd = Command::new(runner[0]);
    cmd.args(&runner[1..])
        .arg("-L")
        .arg(sysroot)
        .arg(sysroot.join(&case.program[1..]))
        .args(case.args)
        .current_dir(dir)
        .env("LC_ALL", "C")
        .stdin(Stdio::from(std::fs::File::open(stdin).unwrap()));
    cmd.output()
        .unwrap_or_else(|e| panic!("running {}: {e}", runner[0]))
}

#[test]
fn sysroot_programs_match_qemu() {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let skip = |what: &str| {
        if ci {
            panic!("{what}");
        }
        eprintln!("SKIPPED: {what}");
    };
    let sysroot = root().join("work/sysroot");
    if !sysroot.join("usr/bin/python3.11").exists() {
        return skip("work/sysroot missing: run machines/fetch-sysroot.sh (.ci/test does)");
    }
    let Ok(specula) = std::env::var("SPECULA_RELEASE_BIN") else {
        return skip(
            "SPECULA_RELEASE_BIN unset: build with `cargo build --release` and set it to \
             target/release/specula (.ci/test does)",
        );
    };
    if Command::new("qemu-aarch64")
        .arg("--version")
        .output()
        .is_err()
    {
        return skip("qemu-aarch64 missing: install qemu-user (.ci/test does)");
    }
    let scratch = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sysroot");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).unwrap();
    let mut board = Vec::new();
    let mut failed = Vec::new();
    for (n, case) in CASES.iter().enumerate() {
        let dir = scratch.join(format!("case{n}"));
        let (s_dir, q_dir) = (dir.join("specula"), dir.join("qemu"));
        std::fs::create_dir_all(&s_dir).unwrap();
        std::fs::create_dir_all(&q_dir).unwrap();
        let stdin = dir.join("stdin");
        match case.stdin {
            Input::Empty => std::fs::write(&stdin, b"").unwrap(),
            Input::Text(t) => std::fs::write(&stdin, t).unwrap(),
            Input::Corpus => std::fs::write(&stdin, machines::workloads::xz_corpus()).unwrap(),
        }
        let s = run(&s_dir, &[&specula, "run"], &sysroot, case, &stdin);
        let q = run(
            &q_dir,
            &["qemu-aarch64", "-cpu", "max"],
            &sysroot,
            case,
            &stdin,
        );
        let same = s.stdout == q.stdout && status(&s) == status(&q);
        board.push(format!(
            "{} {}",
            if same { "pass" } else { "FAIL" },
            case.name
        ));
        if !same {
            failed.push(format!(
                "{}: status {} (qemu {}), {} stdout bytes (qemu {}), stderr {:?}",
                case.name,
                status(&s),
                status(&q),
                s.stdout.len(),
                q.stdout.len(),
                String::from_utf8_lossy(&s.stderr)
                    .lines()
                    .take(5)
                    .collect::<Vec<_>>()
            ));
        } else if q.stdout.is_empty() {
            failed.push(format!("{}: no output from either", case.name));
        }
    }
    let passed = CASES.len() - failed.len();
    let text = format!(
        "# Dynamic programs from a Debian 12 arm64 sysroot under `specula run -L`, stdout and\n\
         # exit status compared with qemu-aarch64 -L (tests/it/sysroot.rs writes this file).\n\
         sysroot: {passed} passed, {} failed\n{}\n",
        failed.len(),
        board.join("\n")
    );
    std::fs::write(root().join("machines/scoreboards/sysroot.txt"), text).unwrap();
    eprintln!("sysroot programs: {passed} passed, {} failed", failed.len());
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
