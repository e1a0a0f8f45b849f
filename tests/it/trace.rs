//! `specula run --trace FILE`: the Tarmac trace of a small program, built here as an ELF
//! with a code and a data segment at fixed addresses so the trace is the same on every
//! machine, is compared with `tests/it/snapshots/trace.tarmac` (`SPECULA_BLESS=1` rewrites
//! it), and every line must parse under `conformance::tarmac`'s grammar.

use std::path::PathBuf;
use std::process::Command;

const BASE: u64 = 0x40_0000;
const DATA: u64 = 0x41_0000;
const HEADERS: u64 = 64 + 2 * 56;

/// A static ELF64 AArch64 executable: `words` at the entry point (RX), and one zeroed RW
/// page at DATA.
pub(crate) fn elf(words: &[u32]) -> Vec<u8> {
    let code: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let size = HEADERS + code.len() as u64;
    let mut f = Vec::new();
    f.extend_from_slice(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0");
    f.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    f.extend_from_slice(&183u16.to_le_bytes()); // EM_AARCH64
    f.extend_from_slice(&1u32.to_le_bytes());
    f.extend_from_slice(&(BASE + HEADERS).to_le_bytes()); // e_entry
    f.extend_from_slice(&64u64.to_le_bytes()); // e_phoff
    f.extend_from_slice(&0u64.to_le_bytes()); // e_shoff
    f.extend_from_slice(&0u32.to_le_bytes()); // e_flags
    for v in [64u16, 56, 2, 64, 0, 0] {
        f.extend_from_slice(&v.to_le_bytes());
    }
    // PT_LOAD, R+X: the headers and the code.
    f.extend_from_slice(&1u32.to_le_bytes());
    f.extend_from_slice(&5u32.to_le_bytes());
    for v in [0, BASE, BASE, size, size, 0x1000] {
        f.extend_from_slice(&v.to_le_bytes());
    }
    // PT_LOAD, R+W: a page of zeros.
    f.extend_from_slice(&1u32.to_le_bytes());
    f.extend_from_slice(&6u32.to_le_bytes());
    for v in [0, DATA, DATA, 0, 0x1000, 0x1000] {
        f.extend_from_slice(&v.to_le_bytes());
    }
    f.extend_from_slice(&code);
    f
}

pub(crate) const PROGRAM: &[u32] = &[
    0xd28000a0, // mov x0, #5
    0xd2800061, // mov x1, #3
    0xab010002, // adds x2, x0, x1
    0xf100241f, // cmp x0, #9
    0x54000140, // b.eq done (not taken: IS)
    0xd2a00824, // mov x4, #0x410000
    0x58000163, // ldr x3, lit
    0xf9000483, // str x3, [x4, #8]
    0x39402485, // ldrb w5, [x4, #9]
    0xa9810480, // stp x0, x1, [x4, #16]!
    0x9e670060, // fmov d0, x3
    0x1e602801, // fadd d1, d0, d0
    0xd1000400, // loop: sub x0, x0, #1
    0xb5ffffe0, // cbnz x0, loop
    0xd2800000, // done: mov x0, #0
    0xd2800ba8, // mov x8, #93
    0xd4000001, // svc #0
    0x55667788, // lit: .quad 0x1122334455667788
    0x11223344,
];

#[test]
fn trace_matches_its_snapshot_and_the_grammar() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("trace");
    std::fs::create_dir_all(&dir).unwrap();
    let (prog, trace) = (dir.join("prog"), dir.join("prog.tarmac"));
    std::fs::write(&prog, elf(PROGRAM)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_specula"))
        .args(["run", "--trace"])
        .arg(&trace)
        .arg(&prog)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&trace).unwrap();
    let lines = conformance::tarmac::parse(&text).unwrap_or_else(|e| panic!("{e}"));
    // 25 instructions run: the loop's two five times, and the other fifteen once.
    let instructions = lines
        .iter()
        .filter(|l| matches!(l.record, conformance::tarmac::Record::Instruction { .. }))
        .count();
    assert_eq!(instructions, 25, "{text}");
    let snapshot =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it/snapshots/trace.tarmac");
    if std::env::var("SPECULA_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(&snapshot, &text).unwrap();
    }
    let want = std::fs::read_to_string(&snapshot).unwrap_or_default();
    assert_eq!(
        text,
        want,
        "the trace differs from {} (SPECULA_BLESS=1 rewrites it)",
        snapshot.display()
    );
}

#[test]
fn an_unwritable_trace_file_is_refused() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("trace");
    std::fs::create_dir_all(&dir).unwrap();
    let prog = dir.join("prog2");
    std::fs::write(&prog, elf(PROGRAM)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_specula"))
        .args(["run", "--trace", "/nonexistent/dir/t.tarmac"])
        .arg(&prog)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("specula: --trace"));
}

/// `specula boot --trace`: instructions carry their Exception level, and an exception taken
/// in system mode is an `E` line naming its vector; the trace parses with the grammar.
#[test]
fn boot_traces_levels_and_vectors() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("trace");
    std::fs::create_dir_all(&dir).unwrap();
    let (prog, trace) = (dir.join("bare"), dir.join("bare.tarmac"));
    // mov x0, #1; brk #1 (taken at EL1 to VBAR_EL1 + 0x200: erased flash, which is UNDEFINED).
    std::fs::write(&prog, elf(&[0xd280_0020, 0xd420_0020])).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_specula"))
        .args(["boot", "virt", "--max-insns", "5", "--trace"])
        .arg(&trace)
        .arg("--kernel")
        .arg(&prog)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(124),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&trace).unwrap();
    conformance::tarmac::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert!(text.contains("O EL1h_n : mov x0, #1"), "{text}");
    assert!(
        text.contains("00000200 CoreEvent_CURRENT_SPx_SYNC"),
        "{text}"
    );
}
