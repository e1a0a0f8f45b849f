//! Decoder conformance campaigns: seeded random words against two objdumps, LLVM's MC corpus,
//! and the exhaustive sweep of all 2^32 words. Each returns a report whose `Display` is the
//! committed scoreboard text, so progress shows up as a diff.

use std::collections::BTreeMap;
use std::fmt;

use model::decode::{EncodingId, decode};
use rayon::prelude::*;
use spec::reference::SplitMix64;

use crate::llvm_mc::{Corpus, Expect};
use crate::oracle::{Answer, Host, Oracle};

/// Our disassembly text for a word (the command line passes the `disasm` crate's).
pub type TextFn<'a> = &'a (dyn Fn(u32) -> Option<String> + Sync);

/// The lowercase mnemonic of a line of disassembly: its first token.
pub fn mnemonic(text: &str) -> String {
    text.split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// Our mnemonic: from our disassembly, or else from the encoding id (`LDADD_32_memop` →
/// `ldadd`), which names the instruction but not its preferred alias.
pub fn our_mnemonic(id: EncodingId, word: u32, text: TextFn) -> String {
    match text(word) {
        Some(t) if !t.is_empty() => mnemonic(&t),
        _ => id
            .name()
            .split('_')
            .next()
            .unwrap_or("")
            .to_ascii_lowercase(),
    }
}

/// How one word's decode compares with the oracles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// Both oracles and we agree the word is defined (or undefined).
    Agree,
    /// We decode it to an encoding that neither oracle knows a word of: a feature newer than
    /// both. Not a disagreement. (An encoding newer than one oracle is judged by the other.)
    NewerThanOracle,
    /// The two oracles disagree with each other; we don't count it either way.
    OraclesDisagree,
    /// We decode it, the oracles don't, and the word breaks the encoding's should-be bits: the
    /// architecture makes it CONSTRAINED UNPREDICTABLE, and we decode it as the instruction.
    ShouldBeViolation,
    /// We decode it; both oracles call it undefined.
    WeDefine,
    /// We call it undefined; both oracles decode it.
    WeUndefine,
    /// We define it and the oracles don't, or the reverse, for a reason recorded in
    /// `conformance/decode-differences.txt`.
    Explained,
}

impl Class {
    pub fn label(self) -> &'static str {
        match self {
            Class::Agree => "agree",
            Class::NewerThanOracle => "newer-than-an-oracle",
            Class::OraclesDisagree => "oracles-disagree",
            Class::ShouldBeViolation => "should-be-violation",
            Class::WeDefine => "we-define",
            Class::WeUndefine => "we-undefine",
            Class::Explained => "explained-difference",
        }
    }

    pub fn is_disagreement(self) -> bool {
        matches!(
            self,
            Class::ShouldBeViolation | Class::WeDefine | Class::WeUndefine | Class::Explained
        )
    }

    /// A disagreement that neither the architecture's rules nor the recorded differences
    /// account for.
    pub fn is_unexplained(self) -> bool {
        matches!(self, Class::WeDefine | Class::WeUndefine)
    }
}

pub struct RandomConfig {
    pub words: usize,
    pub seed: u64,
    /// Words per objdump run.
    pub batch: usize,
}

#[derive(Default)]
pub struct RandomReport {
    pub words: usize,
    pub seed: u64,
    pub versions: Vec<(String, String)>,
    pub classes: BTreeMap<Class, u64>,
    /// (our group, or `unallocated`), class → words.
    pub by_group: BTreeMap<String, BTreeMap<Class, u64>>,
    /// Defined words all three agree on: mnemonic equal to LLVM's or GNU's, and not.
    pub mnemonic_agree: u64,
    pub mnemonic_differ: u64,
    /// Words judged by one oracle only (our encoding is newer than the other), and how many of
    /// them disagree: part of the classes above.
    pub one_oracle_words: u64,
    pub one_oracle_disagreements: u64,
    /// Encodings an oracle knows no word of (oracle name → ids).
    pub unknown: BTreeMap<String, Vec<&'static str>>,
    /// Disagreements, a few per class and group, as `word class ours | gnu | llvm` lines.
    pub examples: Vec<String>,
}

impl RandomReport {
    pub fn agreement_base(&self) -> u64 {
        self.classes
            .iter()
            .filter(|(c, _)| **c == Class::Agree || c.is_disagreement())
            .map(|(_, n)| n)
            .sum()
    }

    pub fn disagreements(&self) -> u64 {
        self.classes
            .iter()
            .filter(|(c, _)| c.is_disagreement())
            .map(|(_, n)| n)
            .sum()
    }

    /// Disagreement rate on words where both oracles agree, leaving out newer encodings.
    pub fn disagreement_rate(&self) -> f64 {
        self.disagreements() as f64 / self.agreement_base().max(1) as f64
    }

    pub fn unexplained(&self) -> u64 {
        self.classes
            .iter()
            .filter(|(c, _)| c.is_unexplained())
            .map(|(_, n)| n)
            .sum()
    }
}

/// Runs every oracle over `words` in batches, the oracles side by side.
fn ask(
    host: &dyn Host,
    oracles: &[&dyn Oracle],
    words: &[u32],
    batch: usize,
) -> Result<Vec<Vec<Answer>>, String> {
    oracles
        .par_iter()
        .map(|o| {
            let mut all = Vec::with_capacity(words.len());
            for chunk in words.chunks(batch.max(1)) {
                all.extend(o.disassemble(host, chunk)?);
            }
            Ok(all)
        })
        .collect()
}

/// Finds the encodings (among `ids`) that an oracle rejects on every probe word: words with the
/// encoding's fixed bits and random free bits that we decode as that encoding.
fn unknown_encodings(
    host: &dyn Host,
    oracles: &[&dyn Oracle],
    ids: &[EncodingId],
    seed: u64,
    batch: usize,
) -> Result<Vec<Vec<EncodingId>>, String> {
    const PROBES: usize = 12;
    let mut rng = SplitMix64(seed ^ 0x0bad_cafe);
    let mut probes: Vec<(EncodingId, u32)> = Vec::new();
    for &id in ids {
        let info = id.info();
        let fixed_mask = info.mask & !info.should_be;
        let mut found = 0;
        for _ in 0..PROBES * 8 {
            let w = (rng.next_u32() & !fixed_mask) | (info.opcode & fixed_mask);
            if decode(w) == Some(id) {
                probes.push((id, w));
                found += 1;
                if found == PROBES {
                    break;
                }
            }
        }
    }
    let words: Vec<u32> = probes.iter().map(|p| p.1).collect();
    let answers = ask(host, oracles, &words, batch)?;
    Ok(answers
        .iter()
        .map(|ans| {
            let mut known: BTreeMap<EncodingId, bool> = BTreeMap::new();
            for ((id, _), a) in probes.iter().zip(ans) {
                *known.entry(*id).or_default() |= a.is_some();
            }
            known
                .into_iter()
                .filter(|(_, k)| !k)
                .map(|(id, _)| id)
                .collect()
        })
        .collect())
}

/// Random words against the oracles (`oracles[0]` is GNU's, `oracles[1]` LLVM's in reports).
pub fn random(
    host: &dyn Host,
    oracles: &[&dyn Oracle],
    text: TextFn,
    cfg: &RandomConfig,
) -> Result<RandomReport, String> {
    let mut rng = SplitMix64(cfg.seed);
    let words: Vec<u32> = (0..cfg.words).map(|_| rng.next_u32()).collect();
    let ours: Vec<Option<EncodingId>> = words.par_iter().map(|&w| decode(w)).collect();
    let answers = ask(host, oracles, &words, cfg.batch)?;

    let mut seen: Vec<EncodingId> = ours.iter().flatten().copied().collect();
    seen.sort();
    seen.dedup();
    let unknown = unknown_encodings(host, oracles, &seen, cfg.seed, cfg.batch)?;

    let differences = crate::differences::all();
    let mut r = RandomReport {
        words: cfg.words,
        seed: cfg.seed,
        ..Default::default()
    };
    for (o, unk) in oracles.iter().zip(&unknown) {
        r.versions.push((o.name().to_string(), o.version(host)));
        r.unknown.insert(
            o.name().to_string(),
            unk.iter().map(|id| id.name()).collect(),
        );
    }
    let mut examples_per_key: BTreeMap<(String, Class), usize> = BTreeMap::new();
    for (i, &w) in words.iter().enumerate() {
        let ans: Vec<&Answer> = answers.iter().map(|a| &a[i]).collect();
        let ours = ours[i];
        // Judge by the oracles that know our encoding (all of them for a word we call
        // unallocated): an encoding newer than one oracle is still compared with the other.
        let judges: Vec<usize> = (0..oracles.len())
            .filter(|&k| ours.is_none_or(|id| unknown[k].binary_search(&id).is_err()))
            .collect();
        let defined: Vec<bool> = judges.iter().map(|&k| ans[k].is_some()).collect();
        let class = if judges.is_empty() {
            Class::NewerThanOracle
        } else if defined.iter().any(|&d| d != defined[0]) {
            Class::OraclesDisagree
        } else {
            match (ours, defined[0]) {
                (Some(_), true) | (None, false) => Class::Agree,
                (Some(id), false) if id.violates_should_be(w) => Class::ShouldBeViolation,
                (Some(_), false) => Class::WeDefine,
                (None, true) => Class::WeUndefine,
            }
        };
        let class = if class.is_unexplained()
            && crate::differences::explain(&differences, w, class == Class::WeDefine).is_some()
        {
            Class::Explained
        } else {
            class
        };
        if judges.len() < oracles.len() && class != Class::NewerThanOracle {
            r.one_oracle_words += 1;
            r.one_oracle_disagreements += class.is_disagreement() as u64;
        }
        let group = match ours {
            Some(id) => id.info().group.to_string(),
            None => "unallocated".to_string(),
        };
        *r.classes.entry(class).or_default() += 1;
        *r.by_group
            .entry(group.clone())
            .or_default()
            .entry(class)
            .or_default() += 1;
        if class == Class::Agree
            && let Some(id) = ours
        {
            let m = our_mnemonic(id, w, text);
            if judges
                .iter()
                .any(|&k| ans[k].as_deref().is_some_and(|t| mnemonic(t) == m))
            {
                r.mnemonic_agree += 1;
            } else {
                r.mnemonic_differ += 1;
            }
        }
        if class.is_unexplained() || class == Class::OraclesDisagree {
            let n = examples_per_key.entry((group, class)).or_default();
            if *n < 2 {
                *n += 1;
                let name = ours.map_or("UNDEFINED", |id| id.name());
                let texts: Vec<&str> = ans
                    .iter()
                    .map(|a| a.as_deref().unwrap_or("undefined"))
                    .collect();
                r.examples.push(format!(
                    "{w:08x}\t{}\t{name}\t{}",
                    class.label(),
                    texts.join("\t")
                ));
            }
        }
    }
    r.examples.sort_by(|a, b| {
        (a.contains("\toracles-disagree\t"), a).cmp(&(b.contains("\toracles-disagree\t"), b))
    });
    Ok(r)
}

impl fmt::Display for RandomReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "# Decoder against two objdumps on seeded random words (`specula conformance decode`)."
        )?;
        writeln!(f, "# {} words, seed {:#x}.", self.words, self.seed)?;
        for (name, v) in &self.versions {
            writeln!(f, "# {name}: {v}")?;
        }
        writeln!(f, "\n## Classes")?;
        for (c, n) in &self.classes {
            writeln!(f, "{}\t{n}", c.label())?;
        }
        writeln!(
            f,
            "disagreement (where both oracles agree, newer encodings left out)\t{} of {} = {:.4}%",
            self.disagreements(),
            self.agreement_base(),
            100.0 * self.disagreement_rate()
        )?;
        writeln!(
            f,
            "unexplained disagreement (not should-be, not recorded)\t{}",
            self.unexplained()
        )?;
        let m = self.mnemonic_agree + self.mnemonic_differ;
        writeln!(
            f,
            "mnemonic agrees with GNU or LLVM (defined words all agree on)\t{} of {m} = {:.2}%",
            self.mnemonic_agree,
            100.0 * self.mnemonic_agree as f64 / m.max(1) as f64
        )?;
        writeln!(
            f,
            "\n## Encodings an oracle knows no word of (newer than it)"
        )?;
        for (o, ids) in &self.unknown {
            writeln!(f, "{o}\t{} encodings", ids.len())?;
        }
        writeln!(
            f,
            "words judged by one oracle only (ours newer than the other)\t{}, of which disagree\t{}",
            self.one_oracle_words, self.one_oracle_disagreements
        )?;
        writeln!(f, "\n## By group: words per class")?;
        for (g, classes) in &self.by_group {
            let cells: Vec<String> = classes
                .iter()
                .map(|(c, n)| format!("{}={n}", c.label()))
                .collect();
            writeln!(f, "{g}\t{}", cells.join(" "))?;
        }
        writeln!(
            f,
            "\n## Disagreements, two per group and class: word, class, ours, gnu, llvm"
        )?;
        for e in &self.examples {
            writeln!(f, "{e}")?;
        }
        Ok(())
    }
}

/// LLVM's MC corpus: invalid words must decode UNDEFINED, valid ones to an encoding whose
/// mnemonic agrees with LLVM's (or GNU's, asked for the same words).
#[derive(Default)]
pub struct CorpusReport {
    pub valid: u64,
    pub valid_decoded: u64,
    pub mnemonic_agree: u64,
    pub invalid: u64,
    pub invalid_undefined: u64,
    /// Differences the architecture's rules (should-be bits) or the recorded list explain:
    /// `word reason` lines.
    pub explained: Vec<String>,
    /// Valid words we call UNDEFINED, invalid ones we decode, and mnemonic mismatches.
    pub failures: Vec<String>,
    /// Words that two encodings claim once the overlay's constraints apply (must be none).
    pub ambiguous: Vec<String>,
    /// Mnemonic mismatches by our encoding group.
    pub mismatch_by_group: BTreeMap<String, u64>,
}

impl CorpusReport {
    pub fn decoded_rate(&self) -> f64 {
        self.valid_decoded as f64 / self.valid.max(1) as f64
    }

    /// Invalid words we decode, and valid words we don't, that nothing explains.
    pub fn unexplained_validity(&self) -> usize {
        self.failures
            .iter()
            .filter(|l| !l.contains("\tmnemonic "))
            .count()
    }

    pub fn mnemonic_rate(&self) -> f64 {
        self.mnemonic_agree as f64 / self.valid_decoded.max(1) as f64
    }
}

pub fn llvm_corpus(
    host: &dyn Host,
    gnu: &dyn Oracle,
    corpus: &Corpus,
    text: TextFn,
) -> Result<CorpusReport, String> {
    let differences = crate::differences::all();
    let encodings = spec::encodings::all();
    let overlay = spec::overlay::load(&encodings)?;
    let reference = spec::reference::ReferenceDecoder::new(&encodings, &overlay);
    let words: Vec<u32> = corpus.entries.iter().map(|e| e.word).collect();
    let gnu_answers = ask(host, &[gnu], &words, 50_000)?.pop().unwrap_or_default();
    let mut r = CorpusReport::default();
    for (e, g) in corpus.entries.iter().zip(gnu_answers) {
        let ours = decode(e.word);
        let owners: Vec<&str> = reference
            .decode_all(e.word)
            .map(|i| encodings[i].id.as_str())
            .collect();
        if owners.len() > 1 {
            r.ambiguous
                .push(format!("{:08x}\t{}", e.word, owners.join(", ")));
        }
        match (&e.expect, ours) {
            (Expect::Invalid, None) => {
                r.invalid += 1;
                r.invalid_undefined += 1;
            }
            (Expect::Invalid, Some(id)) => {
                r.invalid += 1;
                let what = format!(
                    "{:08x}\tinvalid in LLVM, we decode {id}\t{}:{}",
                    e.word, e.file, e.line
                );
                if id.violates_should_be(e.word) {
                    r.explained.push(format!(
                        "{what}\tshould-be bits broken: CONSTRAINED UNPREDICTABLE"
                    ));
                } else if let Some(why) = crate::differences::explain(&differences, e.word, true) {
                    r.explained.push(format!("{what}\t{why}"));
                } else {
                    r.failures.push(what);
                }
            }
            (Expect::Text(t), None) => {
                r.valid += 1;
                let what = format!(
                    "{:08x}\tvalid in LLVM ({t}), we say UNDEFINED\t{}:{}",
                    e.word, e.file, e.line
                );
                match crate::differences::explain(&differences, e.word, false) {
                    Some(why) => r.explained.push(format!("{what}\t{why}")),
                    None => r.failures.push(what),
                }
            }
            (Expect::Text(t), Some(id)) => {
                r.valid += 1;
                r.valid_decoded += 1;
                let m = our_mnemonic(id, e.word, text);
                if m == mnemonic(t) || g.as_deref().is_some_and(|g| mnemonic(g) == m) {
                    r.mnemonic_agree += 1;
                } else {
                    *r.mismatch_by_group
                        .entry(id.info().group.to_string())
                        .or_default() += 1;
                    r.failures.push(format!(
                        "{:08x}\tmnemonic {m} ({id}), LLVM: {t}\t{}:{}",
                        e.word, e.file, e.line
                    ));
                }
            }
        }
    }
    Ok(r)
}

impl fmt::Display for CorpusReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "# Decoder against LLVM's MC corpus (llvm-toolchain-19 tests, `specula conformance decode --llvm-mc`)."
        )?;
        writeln!(
            f,
            "valid words decoded to an encoding\t{} of {} = {:.3}%",
            self.valid_decoded,
            self.valid,
            100.0 * self.decoded_rate()
        )?;
        writeln!(
            f,
            "mnemonic agrees with LLVM or GNU\t{} of {} = {:.3}%",
            self.mnemonic_agree,
            self.valid_decoded,
            100.0 * self.mnemonic_rate()
        )?;
        writeln!(
            f,
            "invalid words decoded UNDEFINED\t{} of {}",
            self.invalid_undefined, self.invalid
        )?;
        writeln!(
            f,
            "explained differences (should-be bits, conformance/decode-differences.txt)\t{}",
            self.explained.len()
        )?;
        writeln!(
            f,
            "unexplained differences in validity\t{}",
            self.unexplained_validity()
        )?;
        writeln!(f, "words two encodings claim\t{}", self.ambiguous.len())?;
        for l in &self.ambiguous {
            writeln!(f, "ambiguous\t{l}")?;
        }
        writeln!(f, "\n## Mnemonic mismatches by group")?;
        for (g, n) in &self.mismatch_by_group {
            writeln!(f, "{g}\t{n}")?;
        }
        writeln!(f, "\n## Explained differences")?;
        for l in &self.explained {
            writeln!(f, "{l}")?;
        }
        writeln!(f, "\n## Failures")?;
        for l in &self.failures {
            writeln!(f, "{l}")?;
        }
        Ok(())
    }
}

/// Every 32-bit word through the decoder: defined words per top-level group, and no panic.
pub struct SweepReport {
    /// Defined words by top-level group (`ldst`) and by group path (`ldst/memop`).
    pub defined_by_group: BTreeMap<&'static str, u64>,
    pub defined_by_path: BTreeMap<&'static str, u64>,
    pub undefined: u64,
}

pub fn sweep() -> SweepReport {
    let per_chunk: Vec<(Vec<u64>, u64)> = (0u32..1 << 16)
        .into_par_iter()
        .map(|hi| {
            let mut counts = vec![0u64; model::decode::ENCODING_COUNT];
            let mut undefined = 0;
            for lo in 0..=0xffffu32 {
                match decode(hi << 16 | lo) {
                    Some(id) => counts[id as usize] += 1,
                    None => undefined += 1,
                }
            }
            (counts, undefined)
        })
        .collect();
    let mut by_id = vec![0u64; model::decode::ENCODING_COUNT];
    let mut undefined = 0;
    for (c, u) in per_chunk {
        for (a, b) in by_id.iter_mut().zip(c) {
            *a += b;
        }
        undefined += u;
    }
    let mut defined_by_group = BTreeMap::new();
    let mut defined_by_path = BTreeMap::new();
    for (i, n) in by_id.into_iter().enumerate() {
        let path = EncodingId::ALL[i].info().group;
        let group = path.split('/').next().unwrap_or("");
        *defined_by_group.entry(group).or_default() += n;
        *defined_by_path.entry(path).or_default() += n;
    }
    SweepReport {
        defined_by_group,
        defined_by_path,
        undefined,
    }
}

impl fmt::Display for SweepReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "# Every 32-bit word through the decoder (`specula conformance decode --sweep`)."
        )?;
        let defined: u64 = self.defined_by_group.values().sum();
        writeln!(f, "defined\t{defined}\nundefined\t{}", self.undefined)?;
        for (g, n) in &self.defined_by_group {
            writeln!(f, "{g}\t{n}")?;
        }
        writeln!(f, "\n## Defined words by group path")?;
        for (g, n) in &self.defined_by_path {
            writeln!(f, "{g}\t{n}")?;
        }
        Ok(())
    }
}
