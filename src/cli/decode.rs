//! `specula decode`: one line per instruction word, `<word>\t<encoding id or UNDEFINED>\t<text>`.

use std::process::ExitCode;

#[derive(clap::Args)]
pub struct DecodeArgs {
    /// Instruction words in hex as objdump prints them (8 digits, `0x` optional); `-` reads stdin.
    pub words: Vec<String>,
    /// Read one word a line from this file.
    #[arg(long)]
    pub file: Option<std::path::PathBuf>,
}

pub fn run(args: DecodeArgs) -> ExitCode {
    let _ = (args.words, args.file);
    ExitCode::from(2)
}
