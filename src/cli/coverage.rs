//! `specula coverage FILE...`: which encodings in AArch64 ELF files the interpreter does not
//! implement yet. Every 4-byte word of each executable section is decoded; each distinct
//! word of a known encoding is executed once on a scratch PE (`model::interp::probe`); the
//! report lists the missing encodings, most used first, with how many words of each the
//! files hold. Data in code sections is decoded too, so counts are upper bounds.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::process::ExitCode;

use model::interp::{Probe, probe};
use object::{Object, ObjectSection, SectionKind};

#[derive(clap::Args)]
pub struct CoverageArgs {
    /// AArch64 ELF files (programs, shared libraries).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

pub fn run(args: CoverageArgs) -> ExitCode {
    let mut words: Vec<u32> = Vec::new();
    for path in &args.files {
        let data = match std::fs::read(path) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("specula: {}: {e}", path.display());
                return ExitCode::from(2);
            }
        };
        let file = match object::File::parse(&*data) {
            Ok(f) if f.architecture() == object::Architecture::Aarch64 => f,
            Ok(_) => {
                eprintln!("specula: {}: not an AArch64 file", path.display());
                return ExitCode::from(2);
            }
            Err(e) => {
                eprintln!("specula: {}: {e}", path.display());
                return ExitCode::from(2);
            }
        };
        for s in file.sections().filter(|s| s.kind() == SectionKind::Text) {
            if let Ok(bytes) = s.data() {
                words.extend(
                    bytes
                        .chunks_exact(4)
                        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])),
                );
            }
        }
    }
    let mut missing: BTreeMap<String, (u64, u32)> = BTreeMap::new();
    let (mut known, mut implemented) = (0u64, 0u64);
    let mut seen: HashSet<u32> = HashSet::new();
    let mut verdict: std::collections::HashMap<u32, Probe> = std::collections::HashMap::new();
    for &w in &words {
        let p = *verdict.entry(w).or_insert_with(|| probe(w));
        seen.insert(w);
        match p {
            Probe::Unallocated => {}
            Probe::Implemented(_) => {
                known += 1;
                implemented += 1;
            }
            Probe::Missing(id) => {
                known += 1;
                let e = missing.entry(id.to_string()).or_insert((0, w));
                e.0 += 1;
            }
        }
    }
    let mut rows: Vec<(&String, &(u64, u32))> = missing.iter().collect();
    rows.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(b.0)));
    println!(
        "words: {}, distinct {}, of known encodings {known}, implemented {implemented} ({:.2}%)",
        words.len(),
        seen.len(),
        100.0 * implemented as f64 / known.max(1) as f64
    );
    println!("missing encodings: {}", rows.len());
    for (id, (n, example)) in rows {
        println!("{n:8} {id:40} e.g. {example:08x}");
    }
    ExitCode::SUCCESS
}
