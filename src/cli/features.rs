//! `specula features`: resolves a CPU spec against the architecture's feature model.

use std::process::ExitCode;

#[derive(clap::Args)]
pub struct FeaturesArgs {
    /// The CPU spec: an architecture version (`v8.0` .. `v9.6`) followed by `,+FEAT_X` / `,-FEAT_X`.
    #[arg(long)]
    pub cpu: String,
    /// Also print the derived ID register values, `NAME = 0x<16 hex digits>`.
    #[arg(long)]
    pub id_regs: bool,
}

pub fn run(args: FeaturesArgs) -> ExitCode {
    let _ = (args.cpu, args.id_regs);
    eprintln!("specula: the feature model is not built yet");
    ExitCode::from(2)
}
