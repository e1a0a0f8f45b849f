//! Processes under `specula run`: `tests/programs/fork.c` forks and vforks children (each its
//! own emulator, forked through the run command's `Host`), execs itself and reaps them with
//! wait4; its stdout and exit status must match `qemu-aarch64`'s, without the exec part
//! (`NO_EXEC=1`), which qemu-user can run only with binfmt_misc set up on the host. Skips without the cross compiler (fails under
//! `CI=true`) and compares with qemu only when it is installed. `tests/programs/outside_signals.c`
//! checks signals that other processes send.

use std::path::Path;
use std::process::Command;

const CC: &str = "aarch64-linux-gnu-gcc";

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn fork_and_wait4_match_qemu() {
    if !have(CC) {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{CC} not found: install gcc-aarch64-linux-gnu");
        }
        eprintln!("SKIPPED: {CC} not found");
        return;
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/programs/fork.c");
    let bin = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fork");
    let o = Command::new(CC)
        .args(["-O2", "-static", "-o"])
        .arg(&bin)
        .arg(&src)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let specula = |no_exec: bool| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_specula"));
        cmd.arg("run").arg(&bin).env_remove("NO_EXEC");
        if no_exec {
            cmd.env("NO_EXEC", "1");
        }
        cmd.output().unwrap()
    };
    let ours = specula(false);
    let expected = "child: own pid\n\
                    parent: exited 1 status 42, shared still 1\n\
                    parent: signalled 1 signal 11\n\
                    kill of a spinning child: 0\n\
                    parent: signalled 1 signal 9\n\
                    reaped 3 children, statuses sum 6\n\
                    parent read 14 bytes from its child: through a pipe\n\
                    exec'd: from-fork x, FOO=bar, env count 1\n\
                    fork+execve child: status 5\n\
                    exec'd: from-vfork -, FOO=bar, env count 1\n\
                    vfork+execve child: status 5\n\
                    exec'd: inherited fd open, close-on-exec fd closed\n\
                    fdcheck child: status 6\n\
                    execve of a missing file: -1 No such file or directory\n";
    assert_eq!(String::from_utf8_lossy(&ours.stdout), expected);
    assert_eq!(ours.status.code(), Some(3));
    if have("qemu-aarch64") {
        let ours = specula(true);
        let q = Command::new("qemu-aarch64")
            .arg(&bin)
            .env("NO_EXEC", "1")
            .output()
            .unwrap();
        assert_eq!(q.stdout, ours.stdout, "qemu-aarch64's stdout differs");
        assert_eq!(q.status.code(), ours.status.code());
    }
}

/// `tests/programs/outside_signals.c`: signals sent by other processes reach the guest's
/// handlers (SIGCHLD ending a sigsuspend, SIGUSR1 interrupting a blocking read, restarted
/// with SA_RESTART), ignored ones change nothing, and a default SIGTERM ends the process.
#[test]
fn signals_from_outside_match_qemu() {
    if !have(CC) {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{CC} not found: install gcc-aarch64-linux-gnu");
        }
        eprintln!("SKIPPED: {CC} not found");
        return;
    }
    use std::os::unix::process::ExitStatusExt;
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/programs/outside_signals.c");
    let bin = Path::new(env!("CARGO_TARGET_TMPDIR")).join("outside_signals");
    let o = Command::new(CC)
        .args(["-O2", "-static", "-o"])
        .arg(&bin)
        .arg(&src)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let ours = Command::new(env!("CARGO_BIN_EXE_specula"))
        .arg("run")
        .arg(&bin)
        .output()
        .unwrap();
    let expected = "SIGCHLD ended sigsuspend: 1, child status 3\n\
                    SA_RESTART: handler ran 1, first read completed, then got x\n\
                    no SA_RESTART: handler ran 1, first read Interrupted system call, then got x\n\
                    ignored SIGUSR2: read 1 x\n";
    assert_eq!(String::from_utf8_lossy(&ours.stdout), expected);
    assert_eq!(ours.status.signal(), Some(15), "{:?}", ours.status);
    if have("qemu-aarch64") {
        let q = Command::new("qemu-aarch64").arg(&bin).output().unwrap();
        assert_eq!(q.stdout, ours.stdout, "qemu-aarch64's stdout differs");
        assert_eq!(q.status.signal(), ours.status.signal());
    }
}
