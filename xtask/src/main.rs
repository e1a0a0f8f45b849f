//! Project automation (`cargo xtask ...`): tools that derive our committed data files from
//! upstream sources. Each tool has a `--check` mode that fails when the committed copy is stale,
//! and a test runs that check.

mod encodings;
mod features;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <import-encodings|derive-features> [--check]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let check = args.iter().any(|a| a == "--check");
    let result = match args.first().map(String::as_str) {
        Some("import-encodings") => encodings::run(check),
        Some("derive-features") => features::run(check),
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (the parent of this crate's folder).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Writes `text` to `path`, or with `check` fails if the file differs from it.
pub fn write_or_check(path: &Path, text: &str, check: bool) -> Result<(), String> {
    let rel = path
        .strip_prefix(workspace_root())
        .unwrap_or(path)
        .display();
    if check {
        let old = std::fs::read_to_string(path).map_err(|e| format!("{rel}: {e}"))?;
        if old != text {
            return Err(format!(
                "{rel} is stale: run `cargo xtask {}` and commit the result",
                std::env::args().nth(1).unwrap_or_default()
            ));
        }
        eprintln!("{rel} is up to date");
    } else {
        std::fs::write(path, text).map_err(|e| format!("{rel}: {e}"))?;
        eprintln!("wrote {rel}");
    }
    Ok(())
}
