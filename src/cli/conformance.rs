//! `specula conformance`: runs the harnesses of the `conformance` crate, supplying the host
//! services they need (files, child processes), prints the reports, optionally writes them as
//! scoreboards, and exits 1 when a threshold of the "done when" is missed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use conformance::decode::{self, RandomConfig};
use conformance::oracle::{GnuObjdump, Host, LlvmObjdump, Oracle};

#[derive(clap::Args)]
pub struct ConformanceArgs {
    #[command(subcommand)]
    pub what: Campaign,
}

#[derive(clap::Subcommand)]
pub enum Campaign {
    /// The decoder: random words against binutils' and LLVM's objdump, LLVM's MC corpus, and
    /// (with --sweep) all 2^32 words.
    Decode(DecodeArgs),
    /// Execution: random instructions on random states under `specula run` and qemu-aarch64,
    /// compared bit for bit (registers, flags, FPSR, vectors, memory).
    Random(super::conformance_random::RandomArgs),
    /// Re-runs one case a random campaign saved (its reproducer file) on both sides.
    Replay(super::conformance_random::ReplayArgs),
}

#[derive(clap::Args)]
pub struct DecodeArgs {
    /// How many seeded random words to compare against the objdumps (0 skips this campaign).
    #[arg(long, default_value_t = 1_000_000)]
    pub words: usize,
    /// The seed of the random words.
    #[arg(long, default_value_t = 0x5eed)]
    pub seed: u64,
    /// Also check LLVM's MC corpus, read from this folder (as filled by
    /// conformance/fetch-llvm-mc.sh).
    #[arg(long)]
    pub llvm_mc: Option<PathBuf>,
    /// Also decode every 32-bit word (minutes of CPU).
    #[arg(long)]
    pub sweep: bool,
    /// Write each report into this folder as a scoreboard file.
    #[arg(long)]
    pub scoreboard: Option<PathBuf>,
}

/// The host as the standard library gives it.
struct StdHost {
    scratch: PathBuf,
}

impl Host for StdHost {
    fn run(&self, program: &str, args: &[String]) -> Result<String, String> {
        let out = std::process::Command::new(program)
            .args(args)
            .output()
            .map_err(|e| {
                format!("cannot run {program}: {e} (see README: the oracles are Debian packages)")
            })?;
        if !out.status.success() {
            return Err(format!(
                "{program} failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn write(&self, path: &Path, text: &str) -> Result<(), String> {
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
    }

    fn scratch_dir(&self) -> PathBuf {
        self.scratch.clone()
    }
}

impl Drop for StdHost {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

fn our_text(word: u32) -> Option<String> {
    disasm::disassemble(word)
}

/// The commit the scoreboard was made from, as `git` says (the scoreboard says so, so that
/// progress in it can be tied to a change).
fn commit() -> String {
    std::process::Command::new("git")
        .args(["describe", "--always", "--dirty"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}

fn emit(scoreboard: &Option<PathBuf>, name: &str, report: &str) -> Result<(), String> {
    println!("{report}");
    if let Some(dir) = scoreboard {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let path = dir.join(name);
        let text = format!("# commit {}\n{report}", commit());
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!("specula: wrote {}", path.display());
    }
    Ok(())
}

fn decode_campaigns(args: &DecodeArgs) -> Result<Vec<String>, String> {
    let scratch = std::env::temp_dir().join(format!("specula-conformance-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    let host = StdHost { scratch };
    let mut missed = Vec::new();
    let mut ran = 0;
    if args.words > 0 {
        let oracles: [&dyn Oracle; 2] = [&GnuObjdump, &LlvmObjdump];
        let cfg = RandomConfig {
            words: args.words,
            seed: args.seed,
            batch: 100_000,
        };
        let r = decode::random(&host, &oracles, &our_text, &cfg)?;
        emit(&args.scoreboard, "decode-random.txt", &r.to_string())?;
        ran += r.words;
        if r.agreement_base() == 0 {
            missed.push("random words: no word where both oracles agree".to_string());
        }
        if r.disagreement_rate() >= 0.001 {
            missed.push(format!(
                "random words: disagreement {:.4}% (limit 0.1%)",
                100.0 * r.disagreement_rate()
            ));
        }
    }
    if let Some(dir) = &args.llvm_mc {
        let corpus = conformance::llvm_mc::Corpus::load(dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?;
        let r = decode::llvm_corpus(&host, &GnuObjdump, &corpus, &our_text)?;
        emit(&args.scoreboard, "decode-llvm-mc.txt", &r.to_string())?;
        ran += corpus.entries.len();
        if r.valid == 0 {
            missed.push("LLVM MC corpus: no valid word".to_string());
        }
        if !r.ambiguous.is_empty() {
            missed.push(format!(
                "LLVM MC corpus: {} words are claimed by two encodings",
                r.ambiguous.len()
            ));
        }
        if r.unexplained_validity() > 0 {
            missed.push(format!(
                "LLVM MC corpus: {} words differ in validity for no recorded reason",
                r.unexplained_validity()
            ));
        }
        if r.decoded_rate() < 0.995 {
            missed.push(format!(
                "LLVM MC corpus: {:.3}% of valid words decode (limit 99.5%)",
                100.0 * r.decoded_rate()
            ));
        }
        if r.mnemonic_rate() < 0.97 {
            missed.push(format!(
                "LLVM MC corpus: mnemonics agree on {:.3}% (limit 97%)",
                100.0 * r.mnemonic_rate()
            ));
        }
    }
    if args.sweep {
        let r = decode::sweep();
        emit(&args.scoreboard, "decode-sweep.txt", &r.to_string())?;
        ran += 1;
    }
    if ran == 0 {
        missed.push("nothing ran: give --words N, --llvm-mc DIR or --sweep".to_string());
    }
    Ok(missed)
}

pub fn run(args: ConformanceArgs) -> ExitCode {
    let args = match args.what {
        Campaign::Decode(args) => args,
        Campaign::Random(args) => return super::conformance_random::random(args),
        Campaign::Replay(args) => return super::conformance_random::replay(args),
    };
    match decode_campaigns(&args) {
        Ok(missed) if missed.is_empty() => ExitCode::SUCCESS,
        Ok(missed) => {
            for m in missed {
                eprintln!("specula: conformance: {m}");
            }
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("specula: {e}");
            ExitCode::from(2)
        }
    }
}
