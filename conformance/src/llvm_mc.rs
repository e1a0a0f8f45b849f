//! The LLVM MC corpus: AArch64 instruction words with the text LLVM prints for them, or the mark
//! that LLVM's disassembler rejects them, read out of LLVM's own MC regression tests
//! (`llvm/test/MC/AArch64` and `llvm/test/MC/Disassembler/AArch64`, fetched by
//! `conformance/fetch-llvm-mc.sh`). It is a conformance oracle for our decoder (invalid words must
//! decode UNDEFINED, the others to an encoding whose mnemonic agrees) and for disassembly text.
//!
//! The tests are written for FileCheck, not for us, so reading them means redoing a little of
//! what `lit` and FileCheck do:
//! - RUN lines say which prefixes check which output, under which `-mattr`. A `FileCheck` that
//!   reads a temporary file belongs to the `llvm-mc` run before it.
//! - Assembler tests (`.s`) put the word on the check line: `CHECK: <text> // encoding: [..]`,
//!   or split over `CHECK-INST: <text>` and `CHECK-ENCODING: [..]`.
//! - Disassembler tests list input words and, separately, the lines FileCheck expects in order.
//!   Words are tied to expectations by the echoed bytes of a warning, by `[[@LINE-N]]`, by a shown
//!   encoding, or else by position: all of a run's checks against all of its unplaced inputs, or
//!   block by block where that count does not agree. Warnings (stderr) and text (stdout) are two
//!   streams whose relative order in the file proves nothing, so a block that mixes them without
//!   anchors is not placed by position.
//! - An "invalid" from a run that turns features off (`-mattr=-x`, or fewer features or an older
//!   version than another run of the same file) says "needs a feature", not "unallocated", and is
//!   dropped. Text from runs printing another syntax (Apple's, markup, hex immediates) is dropped.
//!
//! Files are read in the order given (disassembler tests first: they are the disassembler's own
//! output). Per word the best sighting is kept: text from a full-feature run, then text from a
//! reduced run, then "invalid"; the first among equals. A word seen with two different texts, or
//! both valid and invalid, counts as a conflict.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

#[cfg(test)]
mod tests;

/// The environment variable naming the cache folder of `fetch-llvm-mc.sh`.
pub const ENV_VAR: &str = "SPECULA_LLVM_MC";

/// The test folders under the cache folder, in the order their files are read.
pub const TEST_DIRS: [&str; 2] = ["llvm/test/MC/Disassembler/AArch64", "llvm/test/MC/AArch64"];

/// What LLVM says about one word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// The disassembly text, with runs of whitespace made one space (as FileCheck compares).
    Text(String),
    /// LLVM's disassembler reports `invalid instruction encoding`.
    Invalid,
}

/// One word of the corpus and where its expectation comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub word: u32,
    pub expect: Expect,
    /// The test file, relative to the cache folder's test directories (e.g.
    /// `Disassembler/AArch64/armv8.1a-rdma.txt`), or as given to [`parse_file`].
    pub file: String,
    /// The 1-based line of the check that gave the expectation.
    pub line: usize,
    /// The `-mattr` of the run that produced it, comma-joined when given more than once.
    pub mattr: Option<String>,
}

/// Counts about a parse, so that a harness can tell when it is testing less than it thinks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Files parsed.
    pub files: usize,
    /// Sightings of a word with an expectation, before deduplication.
    pub sightings: usize,
    /// Words seen with two or more different texts.
    pub text_conflicts: usize,
    /// Words seen both as valid and as invalid.
    pub validity_conflicts: usize,
    /// Check lines that no run could tie to an input word.
    pub unplaced: usize,
}

/// The deduplicated corpus, sorted by word.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Corpus {
    pub entries: Vec<Entry>,
    pub stats: Stats,
}

/// What one file yields before deduplication.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileParse {
    pub sightings: Vec<Sighting>,
    /// Check lines that no run could tie to an input word.
    pub unplaced: usize,
}

/// One expectation for one word, with how much to trust it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sighting {
    pub entry: Entry,
    pub rank: Rank,
}

/// How much a sighting is trusted: lower wins when one word is seen more than once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rank {
    /// Text from a run with every feature the file's runs turn on.
    FullText,
    /// Text from a run with fewer features (LLVM may print a generic alias, e.g. `hint #22`).
    ReducedText,
    /// `invalid instruction encoding` from a run with every feature the file turns on.
    Invalid,
}

impl Corpus {
    /// Parses `(file name, contents)` pairs, in the order given, and keeps the best sighting of
    /// each word.
    pub fn from_files<I, N, T>(files: I) -> Corpus
    where
        I: IntoIterator<Item = (N, T)>,
        N: AsRef<str>,
        T: AsRef<str>,
    {
        let mut stats = Stats::default();
        let mut best: BTreeMap<u32, Sighting> = BTreeMap::new();
        let mut texts: HashMap<u32, BTreeSet<String>> = HashMap::new();
        let mut invalid: BTreeSet<u32> = BTreeSet::new();
        for (name, text) in files {
            let parse = parse_file(name.as_ref(), text.as_ref());
            stats.files += 1;
            stats.unplaced += parse.unplaced;
            for s in parse.sightings {
                stats.sightings += 1;
                match &s.entry.expect {
                    Expect::Text(t) => {
                        texts
                            .entry(s.entry.word)
                            .or_default()
                            .insert(t.to_lowercase());
                    }
                    Expect::Invalid => {
                        invalid.insert(s.entry.word);
                    }
                }
                match best.get(&s.entry.word) {
                    Some(old) if old.rank <= s.rank => {}
                    _ => {
                        best.insert(s.entry.word, s);
                    }
                }
            }
        }
        stats.text_conflicts = texts.values().filter(|t| t.len() > 1).count();
        stats.validity_conflicts = invalid.iter().filter(|w| texts.contains_key(w)).count();
        Corpus {
            entries: best.into_values().map(|s| s.entry).collect(),
            stats,
        }
    }

    /// Reads every `.s` and `.txt` test below `dir`'s two test folders ([`TEST_DIRS`]).
    pub fn load(dir: &Path) -> std::io::Result<Corpus> {
        let mut files = Vec::new();
        for sub in TEST_DIRS {
            let root = dir.join(sub);
            let mut paths = Vec::new();
            collect_tests(&root, &mut paths)?;
            paths.sort();
            for p in paths {
                let text = String::from_utf8_lossy(&std::fs::read(&p)?).into_owned();
                let base = dir.join("llvm/test/MC");
                let name = p.strip_prefix(&base).unwrap_or(&p).display().to_string();
                files.push((name, text));
            }
        }
        if files.is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!(
                    "no LLVM MC tests under {}: run conformance/fetch-llvm-mc.sh",
                    dir.display()
                ),
            ));
        }
        Ok(Corpus::from_files(files))
    }

    /// The entry for `word`, if the corpus has one.
    pub fn get(&self, word: u32) -> Option<&Entry> {
        self.entries
            .binary_search_by_key(&word, |e| e.word)
            .ok()
            .map(|i| &self.entries[i])
    }

    /// How many words have text.
    pub fn valid(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| matches!(e.expect, Expect::Text(_)))
            .count()
    }

    /// How many words LLVM rejects.
    pub fn invalid(&self) -> usize {
        self.entries.len() - self.valid()
    }
}

/// The cache folder: `$SPECULA_LLVM_MC`, else `work/llvm-mc` under `workspace_root`.
pub fn cache_dir(workspace_root: &Path) -> PathBuf {
    match std::env::var_os(ENV_VAR) {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => workspace_root.join("work/llvm-mc"),
    }
}

/// The mnemonic of an LLVM text: its first token, lowercased. Condition suffixes stay
/// (`b.eq`), as do SME/SVE qualifiers written into the mnemonic by LLVM.
pub fn mnemonic(text: &str) -> String {
    text.split_whitespace().next().unwrap_or("").to_lowercase()
}

/// Runs of whitespace made one space, ends trimmed: the form FileCheck compares by default.
pub fn squash_spaces(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn collect_tests(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in rd {
        let path = entry?.path();
        if path.is_dir() {
            collect_tests(&path, out)?;
        } else if matches!(path.extension().and_then(|e| e.to_str()), Some("s" | "txt")) {
            out.push(path);
        }
    }
    Ok(())
}

/// Parses one test file. `name` is only recorded in the entries.
pub fn parse_file(name: &str, text: &str) -> FileParse {
    let lines: Vec<&str> = text.lines().collect();
    let runs = merge_runs(parse_runs(&lines));
    let prefixes: BTreeSet<&str> = runs
        .iter()
        .flat_map(|r| r.prefixes.iter().map(String::as_str))
        .collect();
    let checks = parse_checks(&lines, &prefixes);
    let disassembler = runs.iter().any(|r| r.disassemble);
    if disassembler {
        parse_disassembler(name, &lines, &runs, &checks)
    } else {
        parse_assembler(name, &lines, &runs, &checks)
    }
}

// ---------------------------------------------------------------------------------------------
// RUN lines

/// One tool invocation (`llvm-mc`, perhaps piped into `llvm-objdump`) and what checks its output.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Run {
    line: usize,
    /// FileCheck prefixes over this run's stdout and stderr.
    prefixes: BTreeSet<String>,
    /// `-mattr` values of the tool that decodes (objdump if piped into it), comma-joined.
    mattr: Vec<String>,
    mcpu: Option<String>,
    /// `llvm-mc` disassembles the input (rather than assembling it).
    disassemble: bool,
    /// How far the text it prints is LLVM's default syntax.
    syntax: Syntax,
    /// Words given on the command line (`echo "0x.. .." | llvm-mc`), instead of the file's.
    echo_words: Vec<u32>,
    /// Turns a feature off, or has fewer features than another run of the file.
    reduced: bool,
}

fn comment_body(line: &str) -> Option<&str> {
    let t = line.trim_start();
    ["//", "#", ";"]
        .iter()
        .find_map(|m| t.strip_prefix(m))
        .map(str::trim)
}

fn parse_runs(lines: &[&str]) -> Vec<Run> {
    // Join `\` continuations first.
    let mut commands: Vec<(usize, String)> = Vec::new();
    let mut open = false;
    for (i, line) in lines.iter().enumerate() {
        let Some(body) = comment_body(line).and_then(|b| b.strip_prefix("RUN:")) else {
            open = false;
            continue;
        };
        let body = body.trim();
        let (body, cont) = match body.strip_suffix('\\') {
            Some(b) => (b, true),
            None => (body, false),
        };
        match commands.last_mut() {
            Some((_, cmd)) if open => {
                cmd.push(' ');
                cmd.push_str(body);
            }
            _ => commands.push((i + 1, body.to_string())),
        }
        open = cont;
    }

    let mut runs: Vec<Run> = Vec::new();
    for (line, cmd) in commands {
        let tokens = tokenize(&cmd);
        let has = |t: &str| {
            tokens
                .iter()
                .any(|x| x == t || x.ends_with(&format!("/{t}")))
        };
        let prefixes = check_prefixes(&tokens);
        if !has("llvm-mc") && !has("llvm-objdump") {
            // A FileCheck over a file an earlier run wrote (`2> %t`).
            if let Some(last) = runs.last_mut() {
                last.prefixes.extend(prefixes);
            }
            continue;
        }
        runs.push(parse_tool_run(line, &tokens, prefixes));
    }
    mark_reduced(&mut runs);
    runs
}

fn tokenize(cmd: &str) -> Vec<String> {
    // Quotes only matter for `echo "0x.. 0x.."`; keep a quoted string as one token.
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    for c in cmd.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c.is_whitespace() || c == '|' => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                if c == '|' {
                    out.push("|".to_string());
                }
            }
            None => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// `--check-prefix=X`, `-check-prefixes=A,B`, `--check-prefix X`; `CHECK` when FileCheck has
/// none.
fn check_prefixes(tokens: &[String]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut filecheck = false;
    let mut i = 0;
    while i < tokens.len() {
        let t = tokens[i].as_str();
        if t == "|" {
            if filecheck && out.is_empty() {
                out.insert("CHECK".to_string());
            }
            filecheck = false;
        }
        if t == "FileCheck" || t.ends_with("/FileCheck") {
            filecheck = true;
        }
        let flag = t.trim_start_matches('-');
        if t.starts_with('-') && (flag.starts_with("check-prefix")) {
            let value = match flag.split_once('=') {
                Some((_, v)) => Some(v.to_string()),
                None => {
                    i += 1;
                    tokens.get(i).cloned()
                }
            };
            for p in value.iter().flat_map(|v| v.split(',')) {
                if !p.is_empty() {
                    out.insert(p.to_string());
                }
            }
        }
        i += 1;
    }
    if filecheck && out.is_empty() {
        out.insert("CHECK".to_string());
    }
    out
}

fn parse_tool_run(line: usize, tokens: &[String], prefixes: BTreeSet<String>) -> Run {
    /// One `llvm-mc` or `llvm-objdump` in the pipeline.
    #[derive(Default)]
    struct Tool {
        objdump: bool,
        disassemble: bool,
        mattr: Vec<String>,
        mcpu: Option<String>,
    }
    let mut tools: Vec<Tool> = Vec::new();
    let mut in_tool = false;
    let mut run = Run {
        line,
        prefixes,
        ..Run::default()
    };
    let mut unusable = false;
    let mut variant: Option<String> = None;
    let mut apple = false;
    let mut objdump_hex = false;
    let mut i = 0;
    while i < tokens.len() {
        let t = tokens[i].as_str();
        if t == "echo"
            && let Some(words) = tokens.get(i + 1).and_then(|s| words_of(s))
        {
            run.echo_words = words;
        }
        if t == "|" {
            in_tool = false;
        }
        for (name, objdump) in [("llvm-mc", false), ("llvm-objdump", true)] {
            if t == name || t.ends_with(&format!("/{name}")) {
                in_tool = true;
                // llvm-objdump prints immediates in hex unless told not to.
                objdump_hex |= objdump;
                tools.push(Tool {
                    objdump,
                    ..Tool::default()
                });
            }
        }
        let (flag, inline) = match t.split_once('=') {
            Some((f, v)) => (f, Some(v.to_string())),
            None => (t, None),
        };
        let value = |i: &mut usize| -> Option<String> {
            inline.clone().or_else(|| {
                *i += 1;
                tokens.get(*i).cloned()
            })
        };
        let tool = match tools.last_mut() {
            Some(tool) if in_tool && t.starts_with('-') => tool,
            _ => {
                i += 1;
                continue;
            }
        };
        match flag.trim_start_matches('-') {
            "mattr" => tool.mattr.extend(value(&mut i)),
            "mcpu" => tool.mcpu = value(&mut i),
            "triple" | "mtriple" => {
                let v = value(&mut i).unwrap_or_default();
                apple |= ["apple", "darwin", "ios", "macos"]
                    .iter()
                    .any(|a| v.contains(a));
            }
            "disassemble" | "d" => tool.disassemble = true,
            "mdis" | "cdis" => {
                tool.disassemble = true;
                unusable = true;
            }
            "output-asm-variant" => variant = value(&mut i),
            "print-imm-hex" => {
                let hex = inline.as_deref() != Some("false");
                if tool.objdump {
                    objdump_hex = hex;
                } else if hex {
                    unusable = true;
                }
            }
            "no-print-imm-hex" => objdump_hex = false,
            "M" | "disassembler-options" => unusable = true,
            _ => {}
        }
        i += 1;
    }
    // Darwin targets print Apple's syntax unless told otherwise, as does variant 1.
    let apple = match variant.as_deref() {
        Some("1") => true,
        Some("0") => false,
        _ => apple,
    };
    run.syntax = if unusable || objdump_hex {
        Syntax::Unusable
    } else if apple {
        Syntax::Apple
    } else {
        Syntax::Generic
    };
    // The file's own bytes are disassembled only by the first tool (later ones read a pipe).
    run.disassemble =
        !run.echo_words.is_empty() || tools.first().is_some_and(|t| t.disassemble && !t.objdump);
    // Features: the decoder's (the last tool), else the assembler's.
    let decoder = tools
        .iter()
        .rev()
        .find(|t| !t.mattr.is_empty() || t.mcpu.is_some());
    let last = tools.last();
    let pick = match (last, decoder) {
        (Some(l), _) if !l.mattr.is_empty() || l.mcpu.is_some() => Some(l),
        (_, d) => d,
    };
    if let Some(t) = pick {
        run.mattr = t.mattr.clone();
        run.mcpu = t.mcpu.clone();
    }
    run
}

/// Runs with the same prefixes and inputs check the same lines: keep one, trusting its text if
/// any of them prints the default syntax. If any of them is reduced, so is the merged run: a
/// run that turns a feature off and checks the same lines as another says that the other lacks
/// the feature too (`-mattr=+v8.5a` and `-mattr=-mte` both check `NOMTE`).
fn merge_runs(runs: Vec<Run>) -> Vec<Run> {
    let mut out: Vec<Run> = Vec::new();
    for r in runs {
        if r.prefixes.is_empty() {
            continue;
        }
        let same = out.iter_mut().find(|o| {
            o.prefixes == r.prefixes
                && o.echo_words == r.echo_words
                && o.disassemble == r.disassemble
        });
        match same {
            Some(o) => {
                o.syntax = o.syntax.max(r.syntax);
                o.reduced |= r.reduced;
            }
            None => out.push(r),
        }
    }
    out
}

/// How far a run prints LLVM's default syntax; more is better when runs are merged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
enum Syntax {
    /// Markup, hex immediates, disassembler options: not the text we compare with.
    Unusable,
    /// Apple's syntax (Darwin targets): the same as the default except for vector instructions,
    /// which put the arrangement on the mnemonic (`abs.8b v0, v0`).
    Apple,
    #[default]
    Generic,
}

impl Syntax {
    fn accepts(self, text: &str) -> bool {
        match self {
            Syntax::Unusable => false,
            Syntax::Generic => true,
            Syntax::Apple => {
                let m = mnemonic(text);
                let dotted = m.contains('.') && !m.starts_with("b.");
                // A vector register without its arrangement (`v0`, not `v0.8b`).
                let bare_vector = text
                    .split(|c: char| !c.is_ascii_alphanumeric() && c != '.')
                    .any(|t| {
                        t.strip_prefix(['v', 'V'])
                            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
                    });
                !dotted && !bare_vector
            }
        }
    }
}

/// The architecture version a feature names (`v8.5a` -> 805, `v9.2a` -> 807: v9.N has v8.(N+5)).
fn version(f: &str) -> Option<u32> {
    let rest = f.strip_prefix('v')?.strip_suffix('a')?;
    let (major, minor) = rest.split_once('.').unwrap_or((rest, "0"));
    let (major, minor): (u32, u32) = (major.parse().ok()?, minor.parse().ok()?);
    match major {
        8 => Some(800 + minor),
        9 => Some(805 + minor),
        _ => None,
    }
}

fn features(run: &Run) -> (BTreeSet<String>, bool) {
    let mut plus = BTreeSet::new();
    let mut minus = false;
    for f in run.mattr.iter().flat_map(|m| m.split(',')) {
        let f = f.trim();
        if let Some(off) = f.strip_prefix('-') {
            minus |= !off.is_empty();
        } else {
            let on = f.trim_start_matches('+');
            if !on.is_empty() {
                plus.insert(on.to_string());
            }
        }
    }
    if let Some(cpu) = &run.mcpu {
        plus.insert(format!("cpu={cpu}"));
    }
    (plus, minus)
}

fn mark_reduced(runs: &mut [Run]) {
    let sets: Vec<(BTreeSet<String>, bool)> = runs.iter().map(features).collect();
    for (i, run) in runs.iter_mut().enumerate() {
        let (mine, minus) = &sets[i];
        let covered_by = |other: &BTreeSet<String>| {
            other != mine
                && mine.iter().all(|f| {
                    other.contains(f)
                        || version(f).is_some_and(|v| {
                            other.iter().filter_map(|o| version(o)).any(|ov| ov > v)
                        })
                })
        };
        run.reduced = *minus || sets.iter().any(|(other, _)| covered_by(other));
    }
}

// ---------------------------------------------------------------------------------------------
// Check lines

#[derive(Clone, Debug, PartialEq, Eq)]
struct Check {
    /// 0-based line index.
    line: usize,
    prefix: String,
    kind: CheckKind,
    body: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CheckKind {
    Plain,
    Next,
    Same,
    /// `-NOT`, `-LABEL`, `-DAG`, `-EMPTY`, `-COUNT-n`: not one output line in order.
    Other,
}

fn parse_checks(lines: &[&str], prefixes: &BTreeSet<&str>) -> Vec<Check> {
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(body) = comment_body(line) else {
            continue;
        };
        let Some((head, rest)) = body.split_once(':') else {
            continue;
        };
        let head = head.trim();
        if head.is_empty()
            || !head
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            continue;
        }
        let found = prefixes.iter().find_map(|p| {
            let suffix = head.strip_prefix(p)?;
            let kind = match suffix {
                "" => CheckKind::Plain,
                "-NEXT" => CheckKind::Next,
                "-SAME" => CheckKind::Same,
                "-NOT" | "-LABEL" | "-DAG" | "-EMPTY" => CheckKind::Other,
                s if s.starts_with("-COUNT-") => CheckKind::Other,
                _ => return None,
            };
            Some((p, kind))
        });
        if let Some((p, kind)) = found {
            out.push(Check {
                line: i,
                prefix: p.to_string(),
                kind,
                body: rest.trim().to_string(),
            });
        }
    }
    out
}

/// Bytes `0x..` separated by spaces, commas or brackets, in groups of four little-endian bytes.
fn words_of(s: &str) -> Option<Vec<u32>> {
    let mut bytes = Vec::new();
    for tok in s.split(|c: char| c.is_whitespace() || c == ',' || c == '[' || c == ']') {
        if tok.is_empty() {
            continue;
        }
        let hex = tok.strip_prefix("0x").or_else(|| tok.strip_prefix("0X"))?;
        if hex.is_empty() || hex.len() > 2 {
            return None;
        }
        bytes.push(u8::from_str_radix(hex, 16).ok()?);
    }
    if bytes.is_empty() || bytes.len() % 4 != 0 {
        return None;
    }
    Some(
        bytes
            .chunks(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
    )
}

/// The word in `encoding: [0x..,0x..,0x..,0x..]`, and the text before it.
fn encoding_of(body: &str) -> Option<(u32, &str)> {
    let at = body.find("encoding:")?;
    let rest = &body[at + "encoding:".len()..];
    let open = rest.find('[')?;
    let close = rest.find(']')?;
    let words = words_of(rest.get(open..=close)?)?;
    let [word] = words[..] else { return None };
    let text = body[..at].trim_end();
    let text = ["//", ";", "#", "@"]
        .iter()
        .find_map(|m| text.strip_suffix(m))
        .unwrap_or(text)
        .trim();
    Some((word, text))
}

/// The instruction text a check body spells, if it is one we can compare with: not a
/// diagnostic, not an echo of bytes, and no FileCheck pattern other than a choice between
/// spellings that differ only in case (`{{mdscr_el1|MDSCR_EL1}}`, resolved to the first).
fn literal_text(body: &str) -> Option<String> {
    let mut text = String::new();
    let mut rest = body;
    while let Some(open) = rest.find("{{") {
        let close = open + rest[open..].find("}}")?;
        let mut alternatives = rest[open + 2..close].split('|');
        let first = alternatives.next().unwrap_or("");
        let plain = |a: &str| a.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !plain(first) || !alternatives.all(|a| plain(a) && a.eq_ignore_ascii_case(first)) {
            return None;
        }
        text.push_str(&rest[..open]);
        text.push_str(first);
        rest = &rest[close + 2..];
    }
    text.push_str(rest);
    usable_text(&text).then(|| squash_spaces(&text))
}

fn usable_text(body: &str) -> bool {
    let starts_like_mnemonic = body.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    // `CHECK: sp, x3, x7, lsl #4` passes FileCheck (a substring) but names no mnemonic.
    let first = body.split_whitespace().next().unwrap_or("");
    starts_like_mnemonic
        && !first.ends_with(',')
        && !body.contains("{{")
        && !body.contains("[[")
        && !body.contains("error:")
        && !body.contains("warning:")
        && !body.contains("<unknown>")
        && !body.contains("instruction requires")
}

fn is_invalid_warning(body: &str) -> bool {
    body.contains("invalid instruction encoding")
}

fn is_soft_warning(body: &str) -> bool {
    body.contains("potentially undefined instruction encoding")
}

/// `[[@LINE-2]]` in a check on 0-based line `at` -> the 0-based line it names.
fn at_line(body: &str, at: usize) -> Option<usize> {
    let start = body.find("[[@LINE")? + "[[@LINE".len();
    let end = start + body[start..].find("]]")?;
    let off = &body[start..end];
    if off.is_empty() {
        return Some(at);
    }
    let n: i64 = off.trim_start_matches('+').parse().ok()?;
    usize::try_from(at as i64 + n).ok()
}

// ---------------------------------------------------------------------------------------------
// Assembler tests

fn parse_assembler(name: &str, lines: &[&str], runs: &[Run], checks: &[Check]) -> FileParse {
    let mut out = FileParse::default();
    // The last instruction text seen, for `CHECK-ENCODING: [..]` lines that follow it before
    // the next source line.
    let mut pending: Option<&Check> = None;
    for c in checks {
        let source_between = |p: &Check| {
            lines
                .get(p.line + 1..c.line)
                .unwrap_or(&[])
                .iter()
                .any(|l| !l.trim().is_empty() && comment_body(l).is_none())
        };
        if pending.is_some_and(source_between) {
            pending = None;
        }
        if c.kind == CheckKind::Other {
            continue;
        }
        let (word, text, text_check) = match encoding_of(&c.body) {
            Some((w, t)) if !t.is_empty() => (w, t.to_string(), c),
            Some((w, _)) => match pending {
                Some(p) => (w, p.body.clone(), p),
                None => continue,
            },
            None => {
                if let Some(words) = words_of(&c.body) {
                    // `CHECK-ENCODING: [..]` without `encoding:`.
                    match (pending, &words[..]) {
                        (Some(p), [w]) => (*w, p.body.clone(), p),
                        _ => continue,
                    }
                } else {
                    if literal_text(&c.body).is_some() && c.kind != CheckKind::Same {
                        pending = Some(c);
                    }
                    continue;
                }
            }
        };
        pending = None;
        let Some(text) = literal_text(&text) else {
            continue;
        };
        // The run that printed both the text and the encoding.
        let run = runs.iter().find(|r| {
            r.prefixes.contains(&c.prefix)
                && r.prefixes.contains(&text_check.prefix)
                && r.syntax.accepts(&text)
        });
        let Some(run) = run else { continue };
        let reduced = runs
            .iter()
            .filter(|r| r.prefixes.contains(&c.prefix) && r.prefixes.contains(&text_check.prefix))
            .all(|r| r.reduced);
        out.sightings.push(Sighting {
            entry: Entry {
                word,
                expect: Expect::Text(text),
                file: name.to_string(),
                line: text_check.line + 1,
                mattr: mattr_of(run),
            },
            rank: if reduced {
                Rank::ReducedText
            } else {
                Rank::FullText
            },
        });
    }
    out
}

fn mattr_of(run: &Run) -> Option<String> {
    if run.mattr.is_empty() {
        None
    } else {
        Some(run.mattr.join(","))
    }
}

// ---------------------------------------------------------------------------------------------
// Disassembler tests

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Input {
    line: usize,
    word: u32,
    /// Its block under each way of cutting the file into blocks ([`blocks`]).
    block: [usize; 2],
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Event {
    /// 0-based line of the check.
    line: usize,
    block: [usize; 2],
    /// `None` for "invalid"; `Some(None)` for text we cannot use but which takes an output line.
    text: Option<Option<String>>,
    anchor: Option<Anchor>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Anchor {
    Word(u32),
    Line(usize),
}

fn parse_disassembler(name: &str, lines: &[&str], runs: &[Run], checks: &[Check]) -> FileParse {
    let mut inputs = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if comment_body(line).is_some() {
            continue;
        }
        let code = line.split(['#', ';']).next().unwrap_or("");
        let code = code.split("//").next().unwrap_or("");
        if let Some(words) = words_of(code) {
            inputs.extend(words.into_iter().map(|word| Input {
                line: i,
                word,
                block: [0; 2],
            }));
        }
    }
    let check_lines: BTreeSet<usize> = checks
        .iter()
        .filter(|c| c.kind != CheckKind::Other)
        .map(|c| c.line)
        .collect();
    let block_of = blocks(lines, &inputs, &check_lines);
    for input in &mut inputs {
        input.block = block_of[input.line];
    }

    let mut out = FileParse::default();
    // Check lines that would give an expectation in some run, and those some run placed.
    let mut seen: BTreeSet<usize> = BTreeSet::new();
    let mut placed: BTreeSet<usize> = BTreeSet::new();
    for run in runs.iter().filter(|r| r.disassemble) {
        let events = events_of(run, checks, &block_of);
        seen.extend(
            events
                .iter()
                .filter(|e| match &e.text {
                    None => !run.reduced,
                    Some(None) => false,
                    Some(Some(t)) => run.syntax.accepts(t),
                })
                .map(|e| e.line),
        );
        let run_inputs: Vec<Input> = if run.echo_words.is_empty() {
            inputs.clone()
        } else {
            run.echo_words
                .iter()
                .map(|&word| Input {
                    line: run.line,
                    word,
                    block: [0; 2],
                })
                .collect()
        };
        for (ev, word) in place(&events, &run_inputs) {
            placed.insert(ev.line);
            let (expect, rank) = match &ev.text {
                None if run.reduced => continue,
                None => (Expect::Invalid, Rank::Invalid),
                Some(None) => continue,
                Some(Some(t)) if !run.syntax.accepts(t) => continue,
                Some(Some(t)) => (
                    Expect::Text(t.clone()),
                    if run.reduced {
                        Rank::ReducedText
                    } else {
                        Rank::FullText
                    },
                ),
            };
            out.sightings.push(Sighting {
                entry: Entry {
                    word,
                    expect,
                    file: name.to_string(),
                    line: ev.line + 1,
                    mattr: mattr_of(run),
                },
                rank,
            });
        }
    }
    out.unplaced = seen.difference(&placed).count();
    out
}

/// Numbers each line's block, in two ways of cutting the file, tried in turn: (0) a block is a
/// stretch of inputs with the checks written next to them, checks after or before the inputs as
/// the file begins; (1) a block is a paragraph between blank lines.
fn blocks(lines: &[&str], inputs: &[Input], check_lines: &BTreeSet<usize>) -> Vec<[usize; 2]> {
    let input_lines: BTreeSet<usize> = inputs.iter().map(|i| i.line).collect();
    let first_input = input_lines.first().copied().unwrap_or(usize::MAX);
    let first_check = check_lines.first().copied().unwrap_or(usize::MAX);
    let checks_after = first_input < first_check;
    let mut out = vec![[0; 2]; lines.len()];
    let (mut block, mut paragraph) = (0, 0);
    let mut last_was_input: Option<bool> = None;
    let mut blank = false;
    for (line, slot) in out.iter_mut().enumerate() {
        let is_input = input_lines.contains(&line);
        let is_check = check_lines.contains(&line);
        if is_input || is_check {
            // A new block starts where the second kind of line ends and the first begins again,
            // and where a blank line splits lines of one kind: a stray input after one (its
            // check written elsewhere) must not complete the count of the block before.
            let starts = if checks_after { is_input } else { is_check };
            let alternates = starts && last_was_input == Some(!is_input);
            let split = blank && last_was_input == Some(is_input);
            if alternates || split {
                block += 1;
            }
            last_was_input = Some(is_input);
            blank = false;
        }
        if lines[line].trim().is_empty() {
            paragraph += 1;
            blank = true;
        }
        *slot = [block, paragraph];
    }
    out
}

fn events_of(run: &Run, checks: &[Check], block_of: &[[usize; 2]]) -> Vec<Event> {
    let mut events: Vec<Event> = Vec::new();
    // After a warning, the next check of the same run may echo its bytes.
    let mut echo_for: Option<usize> = None; // index into events; usize::MAX for a soft warning
    for c in checks.iter().filter(|c| run.prefixes.contains(&c.prefix)) {
        let block = block_of.get(c.line).copied().unwrap_or([0; 2]);
        if c.kind == CheckKind::Other {
            continue;
        }
        if is_soft_warning(&c.body) {
            echo_for = Some(usize::MAX);
            continue;
        }
        if is_invalid_warning(&c.body) {
            let anchor = at_line(&c.body, c.line).map(Anchor::Line);
            events.push(Event {
                line: c.line,
                block,
                text: None,
                anchor,
            });
            echo_for = anchor.is_none().then(|| events.len() - 1);
            continue;
        }
        if let Some(words) = words_of(&c.body) {
            if let (Some(i), [w]) = (echo_for.take(), &words[..])
                && let Some(ev) = events.get_mut(i)
            {
                ev.anchor = Some(Anchor::Word(*w));
            }
            continue;
        }
        echo_for = None;
        if c.kind == CheckKind::Same {
            if let Some(Event {
                text: Some(Some(t)),
                ..
            }) = events.last_mut()
            {
                t.push(' ');
                t.push_str(&c.body);
            }
            continue;
        }
        if c.body.contains("error:")
            || c.body.contains("warning:")
            || c.body.starts_with('^')
            || c.body.starts_with('.')
        {
            continue;
        }
        let (anchor, text) = match encoding_of(&c.body) {
            Some((w, t)) => (Some(Anchor::Word(w)), t),
            None => (None, c.body.as_str()),
        };
        let text = literal_text(text);
        events.push(Event {
            line: c.line,
            block,
            text: Some(text),
            anchor,
        });
    }
    events
}

/// Ties events to input words: anchors first, then by position over the whole run, then block
/// by block (two ways of cutting blocks, in turn).
fn place<'e>(events: &'e [Event], inputs: &[Input]) -> Vec<(&'e Event, u32)> {
    let mut out: Vec<(&Event, u32)> = Vec::new();
    let mut taken = vec![false; inputs.len()];
    let mut loose: Vec<&Event> = Vec::new();
    for ev in events {
        match ev.anchor {
            Some(Anchor::Line(l)) => {
                // A line with no input on it leaves the event unplaced.
                if let Some(k) = inputs.iter().position(|i| i.line == l) {
                    taken[k] = true;
                    out.push((ev, inputs[k].word));
                }
            }
            Some(Anchor::Word(w)) => {
                if let Some(k) = (0..inputs.len()).find(|&k| !taken[k] && inputs[k].word == w) {
                    taken[k] = true;
                }
                out.push((ev, w));
            }
            None => loose.push(ev),
        }
    }

    // Zip a set of loose events with the free inputs among `candidates`, if that is unambiguous.
    fn zip<'e>(
        evs: &[&'e Event],
        candidates: &[usize],
        taken: &mut [bool],
        inputs: &[Input],
        out: &mut Vec<(&'e Event, u32)>,
    ) -> bool {
        let free: Vec<usize> = candidates.iter().copied().filter(|&k| !taken[k]).collect();
        let valid = evs.iter().filter(|e| e.text.is_some()).count();
        let one_stream = valid == 0 || valid == evs.len();
        if evs.is_empty() || free.len() != evs.len() || !one_stream {
            return false;
        }
        for (ev, k) in evs.iter().zip(free) {
            taken[k] = true;
            out.push((ev, inputs[k].word));
        }
        true
    }

    let all: Vec<usize> = (0..inputs.len()).collect();
    if zip(&loose, &all, &mut taken, inputs, &mut out) {
        return out;
    }
    let mut left: Vec<&Event> = loose;
    for cut in 0..2 {
        let mut by_block: BTreeMap<usize, Vec<&Event>> = BTreeMap::new();
        for ev in std::mem::take(&mut left) {
            by_block.entry(ev.block[cut]).or_default().push(ev);
        }
        for (block, evs) in by_block {
            let candidates: Vec<usize> = all
                .iter()
                .copied()
                .filter(|&k| inputs[k].block[cut] == block)
                .collect();
            if !zip(&evs, &candidates, &mut taken, inputs, &mut out) {
                left.extend(evs);
            }
        }
        left.sort_by_key(|e| e.line);
    }
    // What is left stays unplaced: zipping the rest of a run whose counts agree only by chance
    // (a block one input short here, one check short there) would pair wrong words.
    out
}
