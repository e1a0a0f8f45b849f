//! Generates the A64 decoder and the System register table from spec data into
//! `OUT_DIR/decoder.rs` and `OUT_DIR/sysregs.rs`.
//!
//! Set `SPECULA_DUMP_GENERATED=DIR` to also copy the output into DIR for reading.

fn main() {
    for input in codegen::decoder::INPUTS.split(", ") {
        println!("cargo:rerun-if-changed=../{input}");
    }
    println!("cargo:rerun-if-changed=../{}", codegen::sysregs::INPUTS);
    println!("cargo:rerun-if-env-changed=SPECULA_DUMP_GENERATED");
    let encodings = spec::encodings::all();
    let overlay = spec::overlay::load(&encodings).unwrap_or_else(|e| panic!("spec overlay: {e}"));
    let text = codegen::decoder::generate(&encodings, &overlay).unwrap_or_else(|e| panic!("{e}"));
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").unwrap()).join("decoder.rs");
    std::fs::write(&out, &text).unwrap();
    let sysregs =
        codegen::sysregs::generate(&spec::sysregs::all()).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(out.with_file_name("sysregs.rs"), &sysregs).unwrap();
    if let Some(dir) = std::env::var_os("SPECULA_DUMP_GENERATED") {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(std::path::Path::new(&dir).join("decoder.rs"), &text).unwrap();
        std::fs::write(std::path::Path::new(&dir).join("sysregs.rs"), &sysregs).unwrap();
    }
}
