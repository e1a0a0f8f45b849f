//! The `specula` command line as scripts see it: exact output formats and exit codes. Only the
//! `features` and `decode` commands.

use std::process::{Command, Output};

fn specula(args: &[&str]) -> Output {
    match Command::new(env!("CARGO_BIN_EXE_specula"))
        .args(args)
        .output()
    {
        Ok(out) => out,
        Err(e) => panic!("running specula: {e}"),
    }
}

/// Runs `specula features` with `args` and checks the exit code and a few lines of output:
/// `expect` lines must each appear in stdout (exit 0) or be the whole of stderr (exit 2).
fn check(args: &[&str], code: i32, expect: &[&str]) {
    let mut all = vec!["features"];
    all.extend_from_slice(args);
    let out = specula(&all);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{args:?}: stderr {stderr}");
    if code == 0 {
        let lines: Vec<&str> = stdout.lines().collect();
        for line in expect {
            assert!(
                lines.contains(line),
                "{args:?}: no line `{line}` in\n{stdout}"
            );
        }
    } else {
        assert!(stdout.is_empty(), "{args:?}: stdout on failure: {stdout}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        for text in expect {
            assert!(
                stderr.starts_with("specula: ") && stderr.contains(text),
                "{args:?}: {stderr}"
            );
        }
    }
}

#[test]
fn features_command() {
    check(&["--cpu", "v9.0"], 0, &["FEAT_LSE2", "FEAT_PAuth"]);
    check(&["--cpu", "v9.0,+FEAT_RME"], 2, &["v9Ap1"]);
    check(
        &["--cpu", "v9.1,+FEAT_RME,+FEAT_RNG", "--id-regs"],
        0,
        &["FEAT_RME", "ID_AA64MMFR2_EL1 = 0x1101011110000011"],
    );
    check(&["--cpu", "v9.0,+FEAT_NOPE"], 2, &["FEAT_NOPE"]);
    check(&["--cpu", "v9.9"], 2, &["v9.9"]);
}

/// Feature names only, one a line, in byte order; the ID register lines follow.
#[test]
fn features_output_format() {
    let out = specula(&["features", "--cpu", "v8.4", "--id-regs"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let (feats, regs): (Vec<&str>, Vec<&str>) = text.lines().partition(|l| l.starts_with("FEAT_"));
    assert!(feats.len() > 20, "{text}");
    assert!(
        feats.windows(2).all(|w| w[0] < w[1]),
        "not in byte order: {feats:?}"
    );
    assert!(!regs.is_empty());
    for line in &regs {
        let Some((name, value)) = line.split_once(" = 0x") else {
            panic!("bad line {line}")
        };
        assert!(!name.is_empty() && value.len() == 16, "bad line {line}");
        assert!(
            value
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
            "{line}"
        );
    }
    assert!(text.ends_with('\n') && text.lines().count() == feats.len() + regs.len());
    assert!(text.lines().position(|l| !l.starts_with("FEAT_")) == Some(feats.len()));
}

fn specula_stdin(args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_specula"))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("running specula");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// `specula decode` prints `<word>\t<id>\t<text>` per word; `expect` gives the first two fields.
fn check_decode(out: Output, expect: &[(&str, &str)]) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), expect.len(), "{stdout}");
    for (line, (word, id)) in lines.iter().zip(expect) {
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(fields.len(), 3, "{line:?}");
        assert_eq!((fields[0], fields[1]), (*word, *id), "{line:?}");
    }
}

#[test]
fn decode_command() {
    let expect = [
        ("d503201f", "NOP_HI_hints"),
        ("f8200020", "LDADD_64_memop"),
        ("ffffffff", "UNDEFINED"),
    ];
    check_decode(
        specula(&["decode", "d503201f", "0xF8200020", "ffffffff"]),
        &expect,
    );
    check_decode(
        specula_stdin(&["decode", "-"], "d503201f\n\n0xf8200020\n  ffffffff  \n"),
        &expect,
    );
    check_decode(
        specula_stdin(&["decode", "--file", "-"], "d503201f\nf8200020\nffffffff\n"),
        &expect,
    );
    let file = std::env::temp_dir().join(format!("specula-cli-test-{}.txt", std::process::id()));
    std::fs::write(&file, "d503201f\nf8200020\n\nffffffff\n").unwrap();
    check_decode(
        specula(&["decode", "--file", file.to_str().unwrap()]),
        &expect,
    );
    std::fs::remove_file(&file).unwrap();
}

#[test]
fn decode_refuses_what_is_not_a_word() {
    for bad in ["1f2003", "1f 20 03 d5", "0xd503201f0", "nop", "0x"] {
        let out = specula(&["decode", "d503201f", bad]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(out.stdout.is_empty(), "{bad}: output before the error");
        assert!(
            stderr.starts_with("specula: ") && stderr.contains(bad),
            "{bad}: {stderr}"
        );
    }
}
