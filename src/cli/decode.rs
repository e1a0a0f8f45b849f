//! `specula decode`: one line per instruction word, `<word>\t<encoding id or UNDEFINED>\t<text>`.
//!
//! Every token is checked before anything is printed, so a bad token gives exit 2 and no
//! partial output.

use std::io::{BufRead, Write};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct DecodeArgs {
    /// Instruction words in hex as objdump prints them (8 digits, `0x` optional); `-` reads stdin.
    #[arg(allow_hyphen_values = true)]
    pub words: Vec<String>,
    /// Read one word a line from this file (`-` for stdin); blank lines are skipped.
    #[arg(long)]
    pub file: Option<std::path::PathBuf>,
}

/// Parses one token: exactly 8 hex digits, optionally after `0x`.
pub fn parse_word(token: &str) -> Option<u32> {
    let digits = token
        .strip_prefix("0x")
        .or_else(|| token.strip_prefix("0X"))
        .unwrap_or(token);
    if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(digits, 16).ok()
}

fn read_lines(reader: impl BufRead, tokens: &mut Vec<String>) -> std::io::Result<()> {
    for line in reader.lines() {
        let line = line?;
        let t = line.trim();
        if !t.is_empty() {
            tokens.push(t.to_string());
        }
    }
    Ok(())
}

fn collect_tokens(args: &DecodeArgs) -> Result<Vec<String>, String> {
    let mut tokens = Vec::new();
    let stdin = |tokens: &mut Vec<String>| {
        read_lines(std::io::stdin().lock(), tokens).map_err(|e| format!("reading stdin: {e}"))
    };
    for w in &args.words {
        if w == "-" {
            stdin(&mut tokens)?;
        } else {
            tokens.push(w.clone());
        }
    }
    if let Some(path) = &args.file {
        if path.as_os_str() == "-" {
            stdin(&mut tokens)?;
        } else {
            let f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
            read_lines(std::io::BufReader::new(f), &mut tokens)
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    if args.words.is_empty() && args.file.is_none() {
        return Err("no words given (pass WORDs, `-` for stdin, or --file F)".into());
    }
    Ok(tokens)
}

/// The line `specula decode` prints for one word.
pub fn decode_line(word: u32) -> String {
    let id = model::decode::decode(word);
    let name = id.map_or("UNDEFINED", |id| id.name());
    // Text only for words we decode: the disassembler's own idea of validity is not ours.
    let text = if id.is_some() {
        disasm::disassemble(word).unwrap_or_default()
    } else {
        String::new()
    };
    format!("{word:08x}\t{name}\t{text}")
}

pub fn run(args: DecodeArgs) -> ExitCode {
    let tokens = match collect_tokens(&args) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("specula: {e}");
            return ExitCode::from(2);
        }
    };
    let mut words = Vec::with_capacity(tokens.len());
    for t in &tokens {
        match parse_word(t) {
            Some(w) => words.push(w),
            None => {
                eprintln!(
                    "specula: `{t}` is not an instruction word (8 hex digits, `0x` optional)"
                );
                return ExitCode::from(2);
            }
        }
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for w in words {
        if writeln!(out, "{}", decode_line(w)).is_err() {
            // The reader went away (e.g. `| head`): not an error of ours.
            return ExitCode::SUCCESS;
        }
    }
    let _ = out.flush();
    ExitCode::SUCCESS
}
