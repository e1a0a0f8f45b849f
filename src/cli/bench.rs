//! `specula bench`: benchmarks that print figures. Speed is measured here, never in tests.

use std::hint::black_box;
use std::process::ExitCode;
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
    for w in start..start.wrapping_add(n as u32) {
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
    }
    ExitCode::SUCCESS
}
