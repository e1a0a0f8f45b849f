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

/// A seeded SplitMix64 stream, so every run decodes the same words.
fn random_words(n: usize, seed: u64) -> Vec<u32> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            ((z ^ (z >> 31)) >> 32) as u32
        })
        .collect()
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
