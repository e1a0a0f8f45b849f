//! `specula conformance random` and `replay` against qemu-aarch64, small: a few hundred cases
//! of the data-processing groups must all pass, the summary line must be there, and a saved
//! reproducer must replay. Skips without qemu-aarch64 (fails under `CI=true`).

use std::path::PathBuf;
use std::process::Command;

fn have_qemu() -> bool {
    Command::new("qemu-aarch64")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn a_small_campaign_passes_and_a_case_replays() {
    if !have_qemu() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("qemu-aarch64 not found: install qemu-user");
        }
        eprintln!("SKIPPED: qemu-aarch64 not found");
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("random");
    let out = Command::new(env!("CARGO_BIN_EXE_specula"))
        .args([
            "conformance",
            "random",
            "--seed",
            "9",
            "--count",
            "300",
            "--group",
            "dpreg/add",
        ])
        .arg("--differences")
        .arg(root.join("conformance/random-differences.txt"))
        .arg("--failures")
        .arg(&dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last = text.lines().last().unwrap_or_default();
    assert!(last.starts_with("300 passed, 0 failed"), "{last}");
    // A reproducer written by hand, in the format the campaign saves: ADD X0, X1, #1.
    std::fs::create_dir_all(&dir).unwrap();
    let case = dir.join("add.case");
    let mut image = vec![0u8; 784];
    image[8..16].copy_from_slice(&41u64.to_le_bytes());
    let hex: String = image.iter().map(|b| format!("{b:02x}")).collect();
    std::fs::write(
        &case,
        format!("encoding ADD_64_addsub_imm\nword 0x91000420\nimage {hex}\n"),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_specula"))
        .args(["conformance", "replay"])
        .arg(&case)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("pass"), "{text}");
}
