//! `specula conformance random` and `specula conformance replay`: the execution campaign of
//! `conformance::random`, with the two executors it compares (this binary's `run` and
//! qemu-aarch64) supplied over child processes.

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicU64, Ordering};

use conformance::random::{self, Case, Executor, Outcome, RunOutput, Tally};

#[derive(clap::Args)]
pub struct RandomArgs {
    /// The campaign's seed: the same seed draws the same cases.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// How many cases (each one instruction on one random state).
    #[arg(long, default_value_t = 20_000)]
    pub count: usize,
    /// Only encodings whose Arm group path starts with this (e.g. `simd_dp/asimdsame`).
    #[arg(long)]
    pub group: Option<String>,
    /// Only this encoding id (e.g. `ADD_64_addsub_imm`).
    #[arg(long)]
    pub encoding: Option<String>,
    /// Cases per test program.
    #[arg(long, default_value_t = 400)]
    pub chunk: usize,
    /// qemu-aarch64's CPU: `max` without what we do not model at EL0 (SVE, SME).
    #[arg(long, default_value = "max,sve=off,sme=off")]
    pub qemu_cpu: String,
    /// The list of known differences (`ENCODING reason`), counted as skipped.
    #[arg(long, default_value = "conformance/random-differences.txt")]
    pub differences: PathBuf,
    /// Where to save each failing case as a reproducer file.
    #[arg(long, default_value = "work/conformance-random")]
    pub failures: PathBuf,
    /// Write the per-group table here.
    #[arg(long)]
    pub scoreboard: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct ReplayArgs {
    /// A reproducer file that `specula conformance random` saved.
    pub file: PathBuf,
    #[arg(long, default_value = "max,sve=off,sme=off")]
    pub qemu_cpu: String,
}

/// A fresh file name for a test program.
fn scratch_file(tag: &str) -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!("specula-random-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    dir.join(format!("{tag}-{}", N.fetch_add(1, Ordering::Relaxed)))
}

fn run_program(mut cmd: Command, elf: &[u8], tag: &str) -> Result<RunOutput, String> {
    let path = scratch_file(tag);
    std::fs::write(&path, elf).map_err(|e| format!("{}: {e}", path.display()))?;
    // qemu-user, like execve, runs only files marked executable.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let o = cmd
        .arg(&path)
        .output()
        .map_err(|e| format!("{cmd:?}: {e}"))?;
    // SPECULA_KEEP_PROGRAMS=1 keeps them, to run by hand.
    if std::env::var("SPECULA_KEEP_PROGRAMS").is_err() {
        let _ = std::fs::remove_file(&path);
    }
    Ok(RunOutput {
        stdout: o.stdout,
        signal: o.status.signal(),
        status: o.status.code(),
    })
}

/// This binary's `specula run`.
struct Specula;

impl Executor for Specula {
    fn name(&self) -> String {
        "specula".into()
    }

    fn run(&self, elf: &[u8]) -> Result<RunOutput, String> {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let mut cmd = Command::new(exe);
        cmd.arg("run");
        let mut out = run_program(cmd, elf, "specula")?;
        // `specula run` reports a killing signal as 128 + its number.
        if let Some(code) = out.status
            && (129..=128 + 64).contains(&code)
        {
            out.signal = Some(code - 128);
            out.status = None;
        }
        Ok(out)
    }
}

struct Qemu {
    cpu: String,
}

impl Executor for Qemu {
    fn name(&self) -> String {
        format!("qemu-aarch64 -cpu {}", self.cpu)
    }

    fn run(&self, elf: &[u8]) -> Result<RunOutput, String> {
        let mut cmd = Command::new("qemu-aarch64");
        cmd.args(["-cpu", &self.cpu]);
        run_program(cmd, elf, "qemu")
    }
}

fn has_qemu() -> bool {
    Command::new("qemu-aarch64")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

pub fn random(args: RandomArgs) -> ExitCode {
    match campaign(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("specula: conformance random: {e}");
            ExitCode::from(2)
        }
    }
}

fn campaign(args: &RandomArgs) -> Result<bool, String> {
    if !has_qemu() {
        return Err("qemu-aarch64 is not installed (apt-get install qemu-user)".into());
    }
    let (spec, resolved) = super::cpu::resolve_for_run("max")?;
    let ids = random::candidates(
        &|f| resolved.has(f),
        args.group.as_deref(),
        args.encoding.as_deref(),
    );
    if ids.is_empty() {
        return Err("no implemented encoding matches --group/--encoding".into());
    }
    let cases = random::generate(&ids, args.seed, args.count);
    let differences = match std::fs::read_to_string(&args.differences) {
        Ok(text) => random::parse_differences(&text),
        Err(e) => return Err(format!("{}: {e}", args.differences.display())),
    };
    // What the architecture leaves to the implementation is classified, not run.
    let reason = |c: &Case| random::skip_reason(c.id).or_else(|| random::case_skip_reason(c));
    let (skipped, run): (Vec<&Case>, Vec<&Case>) = cases.iter().partition(|c| reason(c).is_some());
    let run: Vec<Case> = run.into_iter().cloned().collect();
    let qemu = Qemu {
        cpu: args.qemu_cpu.clone(),
    };
    let started = std::time::Instant::now();
    let outcomes = random::run_parallel(&run, &Specula, &qemu, args.chunk)?;
    let seconds = started.elapsed().as_secs_f64();
    let mut tally = Tally::default();
    for c in &skipped {
        tally.add(c.id, &Outcome::Skip(reason(c).unwrap_or_default().into()));
    }
    let mut failures = Vec::new();
    for (case, outcome) in run.iter().zip(&outcomes) {
        let outcome = match outcome {
            Outcome::Fail(why) => match differences.get(case.id.name()) {
                Some(reason) => Outcome::Skip(format!("known difference: {reason}")),
                None => {
                    failures.push((case, why.clone()));
                    outcome.clone()
                }
            },
            o => o.clone(),
        };
        tally.add(case.id, &outcome);
    }
    let _ = std::fs::create_dir_all(&args.failures);
    for (case, why) in &failures {
        let path = args
            .failures
            .join(format!("{}-{:08x}.case", case.id.name(), case.word));
        let _ = std::fs::write(&path, random::reproducer(case, why));
    }
    let [passed, failed, skip] = tally.totals();
    let table = tally.table();
    print!("{table}");
    let mut by_encoding: Vec<_> = tally
        .by_encoding
        .iter()
        .filter(|(_, [_, f, _])| *f > 0)
        .collect();
    by_encoding.sort_by(|a, b| b.1[1].cmp(&a.1[1]));
    for (name, [p, f, _]) in by_encoding.iter().take(40) {
        let example = failures
            .iter()
            .find(|(c, _)| c.id.name() == name.as_str())
            .map(|(c, why)| format!("{:#010x}: {why}", c.word))
            .unwrap_or_default();
        println!("FAIL {name}: {f} of {} ({example})", p + f);
    }
    if !failures.is_empty() {
        println!(
            "reproducers: {} (specula conformance replay FILE)",
            args.failures.display()
        );
    }
    println!(
        "cpu {spec}; {} encodings; seed {}; {:.1} s",
        ids.len(),
        args.seed,
        seconds
    );
    println!("{passed} passed, {failed} failed, {skip} skipped");
    if let Some(path) = &args.scoreboard {
        let text = format!(
            "# specula conformance random --seed {} --count {}: one instruction on a random\n\
             # state, specula run against qemu-aarch64 -cpu {} ({spec}).\n\
             {table}total: {passed} passed, {failed} failed, {skip} skipped\n",
            args.seed, args.count, args.qemu_cpu
        );
        write_file(path, &text)?;
    }
    if passed == 0 {
        return Err("no case ran".into());
    }
    Ok(failed == 0)
}

fn write_file(path: &Path, text: &str) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

pub fn replay(args: ReplayArgs) -> ExitCode {
    let text = match std::fs::read_to_string(&args.file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("specula: {}: {e}", args.file.display());
            return ExitCode::from(2);
        }
    };
    let case = match random::parse_reproducer(&text) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("specula: {}: {e}", args.file.display());
            return ExitCode::from(2);
        }
    };
    let qemu = Qemu { cpu: args.qemu_cpu };
    let text = disasm::disassemble(case.word).unwrap_or_default();
    println!("{:#010x} {} ({text})", case.word, case.id.name());
    match random::run_cases(std::slice::from_ref(&case), &Specula, &qemu) {
        Ok(outcomes) => match &outcomes[0] {
            Outcome::Pass => {
                println!("pass");
                ExitCode::SUCCESS
            }
            Outcome::Fail(why) => {
                println!("fail: {why}");
                ExitCode::from(1)
            }
            Outcome::Skip(why) => {
                println!("skip: {why}");
                ExitCode::SUCCESS
            }
        },
        Err(e) => {
            eprintln!("specula: {e}");
            ExitCode::from(2)
        }
    }
}
