//! `specula run` as scripts see it: exit statuses, the `specula:` fault line, refusal of bad
//! files before any guest code runs, `--max-insns` and `--stats`. The programs are tiny ELF
//! files built here from instruction words, so no cross compiler is needed.

use std::process::{Command, Output};

const BASE: u64 = 0x40_0000;
/// Size of the ELF header plus one program header: the code starts here.
const CODE_OFFSET: u64 = 64 + 56;

/// A static ELF64 AArch64 executable whose one RX segment holds `words` at its entry point.
fn tiny_elf(words: &[u32]) -> Vec<u8> {
    let code: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let size = CODE_OFFSET + code.len() as u64;
    let mut f = Vec::new();
    f.extend_from_slice(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0");
    f.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    f.extend_from_slice(&183u16.to_le_bytes()); // EM_AARCH64
    f.extend_from_slice(&1u32.to_le_bytes());
    f.extend_from_slice(&(BASE + CODE_OFFSET).to_le_bytes()); // e_entry
    f.extend_from_slice(&64u64.to_le_bytes()); // e_phoff
    f.extend_from_slice(&0u64.to_le_bytes()); // e_shoff
    f.extend_from_slice(&0u32.to_le_bytes()); // e_flags
    for v in [64u16, 56, 1, 64, 0, 0] {
        f.extend_from_slice(&v.to_le_bytes()); // ehsize, phentsize, phnum, shentsize, shnum, shstrndx
    }
    f.extend_from_slice(&1u32.to_le_bytes()); // PT_LOAD
    f.extend_from_slice(&5u32.to_le_bytes()); // PF_R | PF_X
    for v in [0, BASE, BASE, size, size, 0x1000] {
        f.extend_from_slice(&v.to_le_bytes()); // offset, vaddr, paddr, filesz, memsz, align
    }
    f.extend_from_slice(&code);
    f
}

/// Runs `specula run ARGS... FILE` on `image` written to a temporary file.
fn run(name: &str, image: &[u8], args: &[&str]) -> Output {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("run");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, image).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_specula"));
    cmd.arg("run").args(args).arg(&path);
    cmd.output()
        .unwrap_or_else(|e| panic!("running specula: {e}"))
}

/// Checks the exit status and that stderr is exactly the given lines' prefixes.
fn check(name: &str, image: &[u8], args: &[&str], code: i32, stderr_prefixes: &[&str]) {
    let out = run(name, image, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{name}: stderr {stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), stderr_prefixes.len(), "{name}: {stderr}");
    for (line, prefix) in lines.iter().zip(stderr_prefixes) {
        assert!(
            line.starts_with(prefix),
            "{name}: `{line}` does not start with `{prefix}`"
        );
    }
}

const EXIT_7: &[u32] = &[0xd28000e0, 0xd2800ba8, 0xd4000001]; // mov x0, #7; mov x8, #93; svc #0

#[test]
fn exit_status_is_the_guests() {
    check("exit7", &tiny_elf(EXIT_7), &[], 7, &[]);
}

#[test]
fn faults_end_the_run_like_linux() {
    let pc = BASE + CODE_OFFSET;
    // udf #0
    check(
        "udf",
        &tiny_elf(&[0]),
        &[],
        128 + 4,
        &[&format!(
            "specula: SIGILL at pc {pc:#x}: 00000000 (UDF_only_perm_undef): UNDEFINED"
        )],
    );
    // ldr x0, [x1] with x1 = 0
    check(
        "segv",
        &tiny_elf(&[0xf9400020]),
        &[],
        128 + 11,
        &[&format!(
            "specula: SIGSEGV at pc {pc:#x}: f9400020 (LDR_64_ldst_pos): read of unmapped address 0x0"
        )],
    );
}

#[test]
fn max_insns_stops_with_124_and_stats_counts() {
    // b .
    check(
        "spin",
        &tiny_elf(&[0x14000000]),
        &["--max-insns", "1000", "--stats"],
        124,
        &["instructions: 1000", "MIPS: "],
    );
}

#[test]
fn bad_files_are_refused_with_status_2() {
    let good = tiny_elf(EXIT_7);
    check("text", b"#!/bin/sh\necho hi\n", &[], 2, &["specula: "]);
    let mut x86 = good.clone();
    x86[18] = 62; // EM_X86_64
    check("x86", &x86, &[], 2, &["specula: "]);
    let out = run("x86", &x86, &[]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an AArch64 executable"));
    check("truncated", &good[..good.len() - 4], &[], 2, &["specula: "]);
    check("header-only", &good[..40], &[], 2, &["specula: "]);
    check("missing", &[], &[], 2, &["specula: "]);
}
