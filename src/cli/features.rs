//! `specula features`: resolves a CPU spec against the architecture's feature model.
//!
//! Output, which scripts read: the resolved FEAT_ names one a line in byte order, then with
//! `--id-regs` one `NAME = 0x<16 hex digits>` line per derived register. A spec that does not
//! resolve exits 2 with `specula: <reason>` on one line of stderr.

use std::io::Write;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct FeaturesArgs {
    /// The CPU spec: an architecture version (`v8.0` .. `v9.6`) followed by `,+FEAT_X` / `,-FEAT_X`.
    #[arg(long)]
    pub cpu: String,
    /// Also print the derived ID register values, `NAME = 0x<16 hex digits>`.
    #[arg(long)]
    pub id_regs: bool,
    /// Also print the constraints not evaluated because they read registers outside the PE,
    /// `unevaluated: <parameter>: <constraint>`.
    #[arg(long)]
    pub unevaluated: bool,
}

pub fn run(args: FeaturesArgs) -> ExitCode {
    let resolved = match spec::features::resolve_str(&args.cpu) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("specula: {e}");
            return ExitCode::from(2);
        }
    };
    let mut out = String::new();
    for f in resolved.features() {
        out.push_str(f);
        out.push('\n');
    }
    if args.id_regs {
        for (name, value) in resolved.id_registers() {
            out.push_str(&format!("{name} = {value:#018x}\n"));
        }
    }
    if args.unevaluated {
        for u in resolved.unevaluated() {
            out.push_str(&format!("unevaluated: {}: {}\n", u.owner, u.constraint));
        }
    }
    // A closed pipe (`| head`) is not an error worth a message.
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    ExitCode::SUCCESS
}
