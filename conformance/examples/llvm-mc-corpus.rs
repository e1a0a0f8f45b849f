//! Prints the LLVM MC corpus's counts, and with `--dump` every entry as a tab-separated line
//! (word, `valid`/`invalid`, text, file:line, mattr), for looking at it or feeding other tools.
//!
//! `cargo run -p conformance --example llvm-mc-corpus [-- --dump]`; the corpus folder is
//! `$SPECULA_LLVM_MC` or `work/llvm-mc` (fill it with `conformance/fetch-llvm-mc.sh`).

use conformance::llvm_mc::{Corpus, Expect, cache_dir};
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new("."));
    let dir = cache_dir(root);
    let corpus = match Corpus::load(&dir) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("llvm-mc-corpus: {e}");
            return ExitCode::FAILURE;
        }
    };
    if std::env::args().any(|a| a == "--dump") {
        for e in &corpus.entries {
            let (kind, text) = match &e.expect {
                Expect::Text(t) => ("valid", t.as_str()),
                Expect::Invalid => ("invalid", ""),
            };
            let mattr = e.mattr.as_deref().unwrap_or("");
            println!(
                "{:08x}\t{kind}\t{text}\t{}:{}\t{mattr}",
                e.word, e.file, e.line
            );
        }
    }
    let s = &corpus.stats;
    eprintln!(
        "{} files, {} sightings: {} unique words, {} valid, {} invalid; \
         {} text conflicts, {} validity conflicts, {} check lines unplaced",
        s.files,
        s.sightings,
        corpus.entries.len(),
        corpus.valid(),
        corpus.invalid(),
        s.text_conflicts,
        s.validity_conflicts,
        s.unplaced
    );
    ExitCode::SUCCESS
}
