//! Decoding oracles: other disassemblers asked what a batch of A64 words is.
//!
//! Like wasmtime's `DiffEngine`, each oracle answers for a whole batch, and "can't run" is an
//! error the harness reports, never a silent pass. Host access (writing the batch, running the
//! assembler and objdump) goes through [`Host`], which the command line supplies.

use std::path::{Path, PathBuf};

/// The host services an oracle needs. The command line implements it over `std`; tests use a
/// fake that replays canned output.
pub trait Host: Sync {
    /// Runs `program` with `args` to completion and returns its standard output, or an error
    /// naming the program when it cannot start or exits non-zero.
    fn run(&self, program: &str, args: &[String]) -> Result<String, String>;
    /// Writes a file.
    fn write(&self, path: &Path, text: &str) -> Result<(), String>;
    /// A folder for scratch files, private to this run.
    fn scratch_dir(&self) -> PathBuf;
}

/// What an oracle says of one word: its text, or `None` when it calls the word undefined.
pub type Answer = Option<String>;

pub trait Oracle: Sync {
    /// A short name for reports (`gnu`, `llvm`).
    fn name(&self) -> &str;
    /// The tool and version, for the scoreboard.
    fn version(&self, host: &dyn Host) -> String;
    /// Disassembles `words`, one answer per word, in order.
    fn disassemble(&self, host: &dyn Host, words: &[u32]) -> Result<Vec<Answer>, String>;
}

/// The GNU assembler that turns `.inst` lines into an object both objdumps read (llvm-objdump
/// reads no raw binary).
pub const GNU_AS: &str = "aarch64-linux-gnu-as";
pub const GNU_OBJDUMP: &str = "aarch64-linux-gnu-objdump";
pub const LLVM_OBJDUMP: &str = "llvm-objdump-22";

/// binutils' objdump (Debian `binutils-aarch64-linux-gnu`).
pub struct GnuObjdump;

/// LLVM's objdump with every feature on (Debian `llvm-22`).
pub struct LlvmObjdump;

/// Assembles `words` as `.inst` lines into an object file and returns its path.
fn assemble(host: &dyn Host, tag: &str, words: &[u32]) -> Result<PathBuf, String> {
    let dir = host.scratch_dir();
    let src = dir.join(format!("{tag}.s"));
    let obj = dir.join(format!("{tag}.o"));
    let mut text = String::with_capacity(words.len() * 18 + 8);
    text.push_str(".text\n");
    for w in words {
        text.push_str(&format!(".inst 0x{w:08x}\n"));
    }
    host.write(&src, &text)?;
    host.run(
        GNU_AS,
        &[
            src.display().to_string(),
            "-o".into(),
            obj.display().to_string(),
        ],
    )?;
    Ok(obj)
}

/// Reads objdump's `-d` listing: one answer per instruction line, in address order.
/// `undefined` says whether the text after the word is the tool's "undefined" mark.
pub fn parse_listing(listing: &str, undefined: impl Fn(&str) -> bool) -> Vec<(u32, Answer)> {
    let mut out = Vec::new();
    for line in listing.lines() {
        // `     4:\tf2a74de4 \tmovk\tx4, #0x3a6f, lsl #16` (GNU) or
        // `       4: f2a74de4     \tmovk\tx4, #0x3a6f, lsl #16` (LLVM).
        let Some((addr, rest)) = line.split_once(':') else {
            continue;
        };
        if addr.trim().is_empty() || !addr.trim().bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        let rest = rest.trim_start();
        let Some(hex) = rest.get(..8) else { continue };
        let Ok(word) = u32::from_str_radix(hex, 16) else {
            continue;
        };
        let text = rest[8..].trim();
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        out.push((word, if undefined(&text) { None } else { Some(text) }));
    }
    out
}

fn answers(words: &[u32], parsed: Vec<(u32, Answer)>, tool: &str) -> Result<Vec<Answer>, String> {
    if parsed.len() != words.len() || parsed.iter().zip(words).any(|((w, _), x)| w != x) {
        return Err(format!(
            "{tool}: listing has {} instructions for {} words",
            parsed.len(),
            words.len()
        ));
    }
    Ok(parsed.into_iter().map(|(_, a)| a).collect())
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").trim().to_string()
}

impl Oracle for GnuObjdump {
    fn name(&self) -> &str {
        "gnu"
    }

    fn version(&self, host: &dyn Host) -> String {
        host.run(GNU_OBJDUMP, &["--version".into()])
            .map(|v| first_line(&v))
            .unwrap_or_else(|e| e)
    }

    fn disassemble(&self, host: &dyn Host, words: &[u32]) -> Result<Vec<Answer>, String> {
        let obj = assemble(host, "gnu", words)?;
        let listing = host.run(GNU_OBJDUMP, &["-d".into(), obj.display().to_string()])?;
        // binutils marks what it cannot decode as `.inst 0x... ; undefined`.
        let parsed = parse_listing(&listing, |t| {
            t.starts_with(".inst") || t.contains("undefined")
        });
        answers(words, parsed, GNU_OBJDUMP)
    }
}

impl Oracle for LlvmObjdump {
    fn name(&self) -> &str {
        "llvm"
    }

    fn version(&self, host: &dyn Host) -> String {
        host.run(LLVM_OBJDUMP, &["--version".into()])
            .map(|v| {
                v.lines()
                    .find(|l| l.contains("version"))
                    .unwrap_or("")
                    .trim()
                    .to_string()
            })
            .unwrap_or_else(|e| e)
    }

    fn disassemble(&self, host: &dyn Host, words: &[u32]) -> Result<Vec<Answer>, String> {
        let obj = assemble(host, "llvm", words)?;
        let listing = host.run(
            LLVM_OBJDUMP,
            &[
                "--mattr=+all".into(),
                "-d".into(),
                obj.display().to_string(),
            ],
        )?;
        let parsed = parse_listing(&listing, |t| t.starts_with("<unknown>"));
        answers(words, parsed, LLVM_OBJDUMP)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(listing: &str, expect: &[(u32, Option<&str>)]) {
        let got = parse_listing(listing, |t| {
            t.starts_with(".inst") || t.starts_with("<unknown>")
        });
        let got: Vec<(u32, Option<&str>)> = got.iter().map(|(w, a)| (*w, a.as_deref())).collect();
        assert_eq!(got, expect);
    }

    #[test]
    fn reads_both_listings() {
        check(
            "
w.o:     file format elf64-littleaarch64

Disassembly of section .text:

0000000000000000 <.text>:
       0:\t52e6b438 \t.inst\t0x52e6b438 ; undefined
       4:\tf2a74de4 \tmovk\tx4, #0x3a6f, lsl #16
",
            &[
                (0x52e6b438, None),
                (0xf2a74de4, Some("movk x4, #0x3a6f, lsl #16")),
            ],
        );
        check(
            "
0000000000000000 <.text>:
       0: 52e6b438     \t<unknown>
       4: f2a74de4     \tmovk\tx4, #0x3a6f, lsl #16
",
            &[
                (0x52e6b438, None),
                (0xf2a74de4, Some("movk x4, #0x3a6f, lsl #16")),
            ],
        );
    }
}
