//! `specula bench`: benchmarks that print figures. Speed is measured here, never in tests.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

#[derive(clap::Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub what: BenchWhat,
}

#[derive(clap::Subcommand)]
pub enum BenchWhat {
    /// Decode throughput of the generated decoder, in words per second.
    Decode {
        /// How many words to decode in all.
        #[arg(long, default_value_t = 200_000_000)]
        words: u64,
    },
    /// The interpreter's named workloads, each run by `specula run` and by `qemu-aarch64 -cpu
    /// max` side by side: MIPS and the time ratio.
    Run {
        /// Rounds of the `cpu` workload (about 6.5 M instructions each).
        #[arg(long, default_value_t = 50)]
        rounds: u64,
        /// Runs of each program; the fastest counts.
        #[arg(long, default_value_t = 1)]
        repeat: u32,
    },
    /// Boots Debian's kernel (`machines/fetch-linux.sh`) to a busybox initramfs that powers
    /// off, under `specula boot virt` and `qemu-system-aarch64 -M virt -cpu max`: the time from
    /// start to PSCI SYSTEM_OFF for each, and the interpreter's MIPS during the boot.
    Boot {
        /// Boots of each; the fastest counts.
        #[arg(long, default_value_t = 1)]
        repeat: u32,
    },
}

/// A seeded stream, so every run decodes the same words.
fn random_words(n: usize, seed: u64) -> Vec<u32> {
    let mut rng = spec::reference::SplitMix64(seed);
    (0..n).map(|_| rng.next_u32()).collect()
}

/// Decodes `n` consecutive words from `start`, as the exhaustive sweep does: neighbouring words
/// take the same path through the tree, so the branch predictor learns it.
fn sequential(start: u32, n: u64) -> u64 {
    let mut defined = 0u64;
    for i in 0..n {
        let w = start.wrapping_add(i as u32);
        defined += model::decode::decode(black_box(w)).is_some() as u64;
    }
    defined
}

fn bench_decode(total: u64) {
    // Two inputs: uniformly random words (most of the tree, many unallocated), and a stream of
    // real instructions (words that decode, as an interpreter sees them).
    let random = random_words(1 << 20, 0x5eed);
    let real: Vec<u32> = random
        .iter()
        .copied()
        .filter(|&w| model::decode::decode(w).is_some())
        .collect();
    for (name, words) in [("random words", &random), ("defined words", &real)] {
        let rounds = (total / words.len() as u64).max(1);
        let start = Instant::now();
        let mut defined = 0u64;
        for _ in 0..rounds {
            for &w in words.iter() {
                defined += model::decode::decode(black_box(w)).is_some() as u64;
            }
        }
        let secs = start.elapsed().as_secs_f64();
        let n = rounds * words.len() as u64;
        println!(
            "decode {name}: {n} words in {secs:.2} s = {:.1} M words/s ({:.1}% defined)",
            n as f64 / secs / 1e6,
            100.0 * defined as f64 / n as f64
        );
    }
    let n = total.min(u32::MAX as u64);
    let start = Instant::now();
    let defined = sequential(0x8000_0000, n);
    let secs = start.elapsed().as_secs_f64();
    println!(
        "decode sequential words: {n} words in {secs:.2} s = {:.1} M words/s ({:.1}% defined)",
        n as f64 / secs / 1e6,
        100.0 * defined as f64 / n as f64
    );
    // The same random words on every core, one slice each.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let rounds = (total / random.len() as u64).max(1);
    let start = Instant::now();
    std::thread::scope(|s| {
        for k in 0..threads {
            let slice = &random[k * random.len() / threads..(k + 1) * random.len() / threads];
            s.spawn(move || {
                let mut defined = 0u64;
                for _ in 0..rounds {
                    for &w in slice {
                        defined += model::decode::decode(black_box(w)).is_some() as u64;
                    }
                }
                defined
            });
        }
    });
    let secs = start.elapsed().as_secs_f64();
    let n = rounds * random.len() as u64;
    println!(
        "decode random words on {threads} threads: {n} words in {secs:.2} s = {:.1} M words/s",
        n as f64 / secs / 1e6
    );
}

pub fn run(args: BenchArgs) -> ExitCode {
    if cfg!(debug_assertions) {
        eprintln!(
            "specula: warning: this is a debug build; benchmark a release build (cargo run --release)"
        );
    }
    match args.what {
        BenchWhat::Decode { words } => bench_decode(words),
        BenchWhat::Run { rounds, repeat } => return bench_run(rounds, repeat.max(1)),
        BenchWhat::Boot { repeat } => return bench_boot(repeat.max(1)),
    }
    ExitCode::SUCCESS
}

/// `specula bench boot`.
fn bench_boot(repeat: u32) -> ExitCode {
    let linux = workspace().join("work/linux");
    let (image, busybox) = (linux.join("Image"), linux.join("busybox"));
    let Ok(bb) = std::fs::read(&busybox) else {
        eprintln!(
            "specula: no {}: run machines/fetch-linux.sh",
            busybox.display()
        );
        return ExitCode::from(2);
    };
    let dir = workspace().join("target/bench");
    let _ = std::fs::create_dir_all(&dir);
    let initrd = dir.join("initrd.cpio");
    let init = "echo \"specula: initramfs reached\"\n/bin/busybox poweroff -f\n";
    if std::fs::write(&initrd, machines::initramfs::busybox(bb, init)).is_err() {
        eprintln!("specula: cannot write {}", initrd.display());
        return ExitCode::from(2);
    }
    let me = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("specula"));
    let append = "console=ttyAMA0 panic=-1";
    let mut ours = Command::new(&me);
    ours.args(["boot", "virt", "--stats", "--kernel"])
        .arg(&image)
        .arg("--initrd")
        .arg(&initrd)
        .args(["--append", append, "--max-insns", "10000000000"]);
    let mut qemu = Command::new("qemu-system-aarch64");
    qemu.args([
        "-M",
        "virt",
        "-cpu",
        "max",
        "-m",
        "128",
        "-nographic",
        "-no-reboot",
    ])
    .arg("-kernel")
    .arg(&image)
    .arg("-initrd")
    .arg(&initrd)
    .args(["-append", append]);
    let time = |cmd: &mut Command| -> Option<(f64, String, String)> {
        let mut best: Option<(f64, String, String)> = None;
        for _ in 0..repeat {
            let t = Instant::now();
            let out = cmd.output().ok()?;
            let secs = t.elapsed().as_secs_f64();
            let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
            if !stdout.contains("specula: initramfs reached") {
                eprintln!("specula: the boot did not reach the initramfs:\n{stdout}");
                return None;
            }
            if best.as_ref().is_none_or(|b| secs < b.0) {
                best = Some((
                    secs,
                    stdout,
                    String::from_utf8_lossy(&out.stderr).into_owned(),
                ));
            }
        }
        best
    };
    println!(
        "boot: Linux ({}) to a busybox initramfs and PSCI SYSTEM_OFF",
        image.display()
    );
    let Some((s_secs, _, s_err)) = time(&mut ours) else {
        return ExitCode::FAILURE;
    };
    let insns: f64 = s_err
        .lines()
        .find_map(|l| l.strip_prefix("instructions: "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0);
    println!("  instructions: {insns:.0}");
    println!(
        "  specula boot virt:                    {s_secs:7.2} s  {:7.1} MIPS",
        insns / s_secs / 1e6
    );
    match time(&mut qemu) {
        Some((q_secs, _, _)) => {
            println!("  qemu-system-aarch64 -M virt -cpu max: {q_secs:7.2} s");
            println!("  time ratio specula/qemu: {:.1}x", s_secs / q_secs);
        }
        None => println!("  qemu-system-aarch64: not run (missing, or it did not boot)"),
    }
    ExitCode::SUCCESS
}

const CC: &str = "aarch64-linux-gnu-gcc";

/// The `cpu` workload's source, and where its binary is built.
fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Builds `bench_cpu.c` as the machines tests build freestanding programs, into
/// `target/bench/` unless an up-to-date binary is there.
fn build_cpu_workload() -> Result<PathBuf, String> {
    let programs = workspace().join("machines/tests/programs");
    let src = programs.join("bench_cpu.c");
    let dir = workspace().join("target/bench");
    let out = dir.join("bench_cpu");
    let mtime = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if mtime(&out).is_some()
        && mtime(&out) >= mtime(&src)
        && mtime(&out) >= mtime(&programs.join("sys.h"))
    {
        return Ok(out);
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let o = Command::new(CC)
        .args([
            "-O2",
            "-static",
            "-nostdlib",
            "-ffreestanding",
            "-mgeneral-regs-only",
        ])
        .arg("-fno-tree-loop-distribute-patterns")
        .arg("-o")
        .arg(&out)
        .arg(&src)
        .output()
        .map_err(|e| format!("running {CC}: {e} (install gcc-aarch64-linux-gnu)"))?;
    if !o.status.success() {
        return Err(format!(
            "{CC} {}: {}",
            src.display(),
            String::from_utf8_lossy(&o.stderr)
        ));
    }
    Ok(out)
}

/// One timed run of a program: wall seconds, stdout, and stderr.
fn timed(cmd: &mut Command) -> Result<(f64, Vec<u8>, String), String> {
    let start = Instant::now();
    let o = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    let secs = start.elapsed().as_secs_f64();
    if !o.status.success() {
        return Err(format!("{cmd:?} exited with {}", o.status));
    }
    Ok((
        secs,
        o.stdout,
        String::from_utf8_lossy(&o.stderr).into_owned(),
    ))
}

fn fastest(repeat: u32, mut f: impl FnMut() -> Command) -> Result<(f64, Vec<u8>, String), String> {
    let mut best = timed(&mut f())?;
    for _ in 1..repeat {
        let r = timed(&mut f())?;
        if r.0 < best.0 {
            best = r;
        }
    }
    Ok(best)
}

/// Runs `binary args` on `specula run --stats` (this executable) and on `qemu-aarch64 -cpu
/// max`, both as child processes timed the same way, and prints the figures. qemu counts no
/// instructions: its MIPS are our count over its time (the same binary, arguments and result).
/// With `sysroot`, both run with `-L SYSROOT`; with `stdin`, both read that file.
fn side_by_side(
    name: &str,
    binary: &Path,
    args: &[String],
    sysroot: Option<&Path>,
    stdin: Option<&Path>,
    repeat: u32,
) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let setup = |c: &mut Command| -> Result<(), String> {
        if let Some(dir) = sysroot {
            c.arg("-L").arg(dir);
        }
        c.arg(binary).args(args);
        if let Some(file) = stdin {
            let f = std::fs::File::open(file).map_err(|e| format!("{}: {e}", file.display()))?;
            c.stdin(f);
        }
        Ok(())
    };
    let mut failed = None;
    let (ours, our_out, stats) = fastest(repeat, || {
        let mut c = Command::new(&exe);
        c.args(["run", "--stats"]);
        if let Err(e) = setup(&mut c) {
            failed = Some(e);
        }
        c
    })?;
    if let Some(e) = failed {
        return Err(e);
    }
    let insns: u64 = stats
        .lines()
        .find_map(|l| l.strip_prefix("instructions: ")?.trim().parse().ok())
        .ok_or("specula run --stats printed no instruction count")?;
    println!("workload {name}: {} {}", binary.display(), args.join(" "));
    println!("  instructions: {insns}");
    println!(
        "  specula:               {ours:8.3} s {:9.1} MIPS",
        insns as f64 / ours / 1e6
    );
    match fastest(repeat, || {
        let mut c = Command::new("qemu-aarch64");
        c.args(["-cpu", "max"]);
        let _ = setup(&mut c);
        c
    }) {
        Ok((qemu, qemu_out, _)) => {
            println!(
                "  qemu-aarch64 -cpu max: {qemu:8.3} s {:9.1} MIPS",
                insns as f64 / qemu / 1e6
            );
            println!("  time ratio specula/qemu: {:.1}x", ours / qemu);
            if qemu_out == our_out {
                println!("  output: identical");
            } else {
                let show = |b: &[u8]| {
                    let s = String::from_utf8_lossy(&b[..b.len().min(200)]).into_owned();
                    format!("{} bytes {s:?}", b.len())
                };
                println!(
                    "  output DIFFERS: specula {}, qemu {}",
                    show(&our_out),
                    show(&qemu_out)
                );
            }
        }
        Err(e) => println!("  qemu-aarch64: not run: {e}"),
    }
    Ok(())
}

fn bench_run(rounds: u64, repeat: u32) -> ExitCode {
    let mut ok = true;
    // (a) cpu: our CPU-bound C program (sieve, CRC-32, insertion and heap sort).
    match build_cpu_workload() {
        Ok(binary) => {
            if let Err(e) = side_by_side("cpu", &binary, &[rounds.to_string()], None, None, repeat)
            {
                eprintln!("specula: bench cpu: {e}");
                ok = false;
            }
        }
        Err(e) => {
            eprintln!("specula: bench cpu: {e}");
            ok = false;
        }
    }
    // (b) xz-6: Debian's (dynamically linked) xz compressing a fixed 4 MiB
    // (`machines::workloads::xz_corpus`), from the sysroot `machines/fetch-sysroot.sh` makes.
    let sysroot = workspace().join("work/sysroot");
    let xz = sysroot.join("usr/bin/xz");
    if xz.exists() {
        let input = workspace().join("target/bench/xz-input");
        let written = std::fs::create_dir_all(workspace().join("target/bench"))
            .and_then(|()| std::fs::write(&input, machines::workloads::xz_corpus()));
        let r = written
            .map_err(|e| format!("{}: {e}", input.display()))
            .and_then(|()| {
                let args = ["-6".to_string(), "-c".to_string()];
                side_by_side("xz-6", &xz, &args, Some(&sysroot), Some(&input), repeat)
            });
        if let Err(e) = r {
            eprintln!("specula: bench xz-6: {e}");
            ok = false;
        }
    } else {
        println!(
            "workload xz-6: skipped: no {} (run machines/fetch-sysroot.sh)",
            xz.display()
        );
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
