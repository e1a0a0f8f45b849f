//! Turns spec data into Rust at build time. `model/build.rs` calls these generators and writes
//! their output to `OUT_DIR`; nothing generated is committed.
//!
//! Each generator follows Cranelift's `meta` crate: take plain data, verify it, then print one
//! file. Output is deterministic (ordered collections, no paths or times in it) and starts with a
//! header naming its inputs.

pub mod decoder;
pub mod sysregs;

/// Parses generated tokens and prints them formatted, after `header` (a `//` comment block:
/// generated files are `include!`d, where inner `//!` comments are not allowed).
pub fn format_file(header: &str, tokens: proc_macro2::TokenStream) -> Result<String, String> {
    let file: syn::File =
        syn::parse2(tokens).map_err(|e| format!("generated code does not parse: {e}"))?;
    Ok(format!("{header}\n{}", prettyplease::unparse(&file)))
}
