//! `specula run` as scripts see it: exit statuses, the `specula:` fault line, refusal of bad
//! files before any guest code runs, `--max-insns` and `--stats`, dynamic programs under `-L`,
//! `--cpu`. The programs are tiny ELF
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

/// An ELF64 AArch64 file of type `e_type` whose RX segment holds `words` at its entry point,
/// with a PT_INTERP naming `interp` when given.
fn elf_with_interp(e_type: u16, words: &[u32], interp: Option<&str>) -> Vec<u8> {
    let phnum: u64 = if interp.is_some() { 2 } else { 1 };
    let code_offset = 64 + 56 * phnum;
    let code: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let interp_offset = code_offset + code.len() as u64;
    let interp_bytes: Vec<u8> = interp
        .map(|p| p.bytes().chain([0]).collect())
        .unwrap_or_default();
    let size = interp_offset + interp_bytes.len() as u64;
    let base = if e_type == 3 { 0 } else { BASE };
    let mut f = Vec::new();
    f.extend_from_slice(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0");
    f.extend_from_slice(&e_type.to_le_bytes());
    f.extend_from_slice(&183u16.to_le_bytes()); // EM_AARCH64
    f.extend_from_slice(&1u32.to_le_bytes());
    f.extend_from_slice(&(base + code_offset).to_le_bytes()); // e_entry
    f.extend_from_slice(&64u64.to_le_bytes()); // e_phoff
    f.extend_from_slice(&0u64.to_le_bytes()); // e_shoff
    f.extend_from_slice(&0u32.to_le_bytes()); // e_flags
    for v in [64u16, 56, phnum as u16, 64, 0, 0] {
        f.extend_from_slice(&v.to_le_bytes());
    }
    f.extend_from_slice(&1u32.to_le_bytes()); // PT_LOAD
    f.extend_from_slice(&5u32.to_le_bytes()); // PF_R | PF_X
    for v in [0, base, base, size, size, 0x1000] {
        f.extend_from_slice(&v.to_le_bytes());
    }
    if interp.is_some() {
        f.extend_from_slice(&3u32.to_le_bytes()); // PT_INTERP
        f.extend_from_slice(&4u32.to_le_bytes()); // PF_R
        let len = interp_bytes.len() as u64;
        for v in [interp_offset, base + interp_offset, 0, len, len, 1] {
            f.extend_from_slice(&v.to_le_bytes());
        }
    }
    f.extend_from_slice(&code);
    f.extend_from_slice(&interp_bytes);
    f
}

/// A dynamic program starts in its ELF interpreter, found under `-L DIR` (which wins over the
/// host's root); without it the run is refused before any code runs.
#[test]
fn dynamic_programs_start_in_their_interpreter_under_l() {
    let exit_42: &[u32] = &[0xd2800540, 0xd2800ba8, 0xd4000001]; // mov x0, #42; mov x8, #93; svc #0
    let program = elf_with_interp(2, EXIT_7, Some("/lib/ld-specula-test.so.1"));
    let sysroot = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("run-sysroot");
    std::fs::create_dir_all(sysroot.join("lib")).unwrap();
    let ld = sysroot.join("lib/ld-specula-test.so.1");
    std::fs::write(&ld, elf_with_interp(3, exit_42, None)).unwrap();
    let l = sysroot.to_str().unwrap();
    check("dyn", &program, &["-L", l], 42, &[]);
    check("dyn-no-l", &program, &[], 2, &["specula: "]);
    let out = run("dyn-no-l", &program, &[]);
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("cannot read the ELF interpreter /lib/ld-specula-test.so.1"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // An interpreter that is not an ELF file is refused too.
    std::fs::write(&ld, b"#!/bin/sh\n").unwrap();
    let out = run("dyn-bad-ld", &program, &["-L", l]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("ELF interpreter /lib/ld-specula-test.so.1: not an ELF file"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    check(
        "dyn-bad-l",
        &program,
        &["-L", "/nonexistent-sysroot"],
        2,
        &["specula: -L"],
    );
}

/// `--cpu` accepts specs whose features are all implemented and refuses others by name.
#[test]
fn cpu_specs_are_checked_against_what_is_implemented() {
    let image = tiny_elf(EXIT_7);
    check("cpu-v8.0", &image, &["--cpu", "v8.0"], 7, &[]);
    check(
        "cpu-sve",
        &image,
        &["--cpu", "v8.2,+FEAT_SVE"],
        2,
        &["specula: --cpu v8.2,+FEAT_SVE: FEAT_"],
    );
    check("cpu-bad", &image, &["--cpu", "v7.0"], 2, &["specula: "]);
    let out = run(
        "cpu-show",
        &image,
        &["--cpu", "v8.0,+FEAT_LSE", "--show-cpu"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("cpu: v8.0,+FEAT_LSE\nAT_HWCAP: 0x"),
        "{stderr}"
    );
    // HWCAP_ATOMICS (bit 8) follows FEAT_LSE.
    let hwcap = |s: &str| {
        let hex = s
            .split("AT_HWCAP: 0x")
            .nth(1)
            .unwrap()
            .split(',')
            .next()
            .unwrap();
        u64::from_str_radix(hex, 16).unwrap()
    };
    assert_ne!(hwcap(&stderr) & (1 << 8), 0, "{stderr}");
    let out = run("cpu-show-8", &image, &["--cpu", "v8.0", "--show-cpu"]);
    assert_eq!(hwcap(&String::from_utf8_lossy(&out.stderr)) & (1 << 8), 0);
}
