//! `import-encodings`: reads the A64 encodings out of the sources of the pinned
//! `aarchmrs-instructions` crate and writes `spec/data/encodings.tsv`.
//!
//! The crate is a module of constants per encoding, with no table or iterator, so we parse its
//! sources with `syn` rather than link it. The module tree follows Arm's decode tree, which gives
//! each encoding its group path (`ldst/memop`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const CRATE_NAME: &str = "aarchmrs-instructions";
pub const CRATE_VERSION: &str = "0.5.0-2026-09";

/// One A64 encoding as the dataset gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoding {
    pub id: String,
    pub group: String,
    pub opcode: u32,
    pub mask: u32,
    pub should_be: u32,
    /// (name, lsb, width), most significant first.
    pub fields: Vec<(String, u32, u32)>,
}

pub fn run(check: bool) -> Result<(), String> {
    let src = crate_source_dir()?;
    let encodings = read_encodings(&src.join("src/A64"))?;
    let text = render(&encodings);
    let out = crate::workspace_root().join("spec/data/encodings.tsv");
    crate::write_or_check(&out, &text, check)
}

/// Finds the pinned crate's unpacked sources through `cargo metadata`.
pub fn crate_source_dir() -> Result<PathBuf, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--manifest-path"])
        .arg(crate::workspace_root().join("Cargo.toml"))
        .output()
        .map_err(|e| format!("cargo metadata: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let json = String::from_utf8_lossy(&out.stdout);
    // Every package's "manifest_path" is a JSON string; find ours without a JSON dependency.
    let needle = format!("{CRATE_NAME}-{CRATE_VERSION}/Cargo.toml\"");
    let end = json
        .find(&needle)
        .ok_or_else(|| format!("{CRATE_NAME} {CRATE_VERSION} is not in cargo metadata"))?;
    let start = json[..end].rfind('"').unwrap() + 1;
    let manifest = json[start..end + needle.len() - 1].replace("\\\\", "\\");
    Ok(Path::new(&manifest).parent().unwrap().to_path_buf())
}

pub fn read_encodings(a64: &Path) -> Result<Vec<Encoding>, String> {
    let mut files = Vec::new();
    collect_rs_files(a64, &mut files)?;
    let mut out = Vec::new();
    for file in files {
        let rel = file.strip_prefix(a64).unwrap().with_extension("");
        let group = rel.to_string_lossy().replace('\\', "/");
        let text =
            std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let ast = syn::parse_file(&text).map_err(|e| format!("{}: {e}", file.display()))?;
        collect_items(&ast.items, &group, &mut out)?;
    }
    out.sort_by(|a, b| (&a.group, &a.id).cmp(&(&b.group, &b.id)));
    Ok(out)
}

fn collect_rs_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() {
            collect_rs_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(())
}

fn collect_items(items: &[syn::Item], group: &str, out: &mut Vec<Encoding>) -> Result<(), String> {
    for item in items {
        let syn::Item::Mod(m) = item else { continue };
        let Some((_, inner)) = &m.content else {
            continue;
        };
        let consts = module_consts(inner);
        if consts.contains_key("OPCODE_MASK") {
            out.push(encoding_from_consts(&m.ident.to_string(), group, &consts)?);
        } else {
            collect_items(inner, &format!("{group}/{}", m.ident), out)?;
        }
    }
    Ok(())
}

#[derive(Debug)]
enum ConstValue {
    Int(u32),
    Str(String),
}

fn module_consts(items: &[syn::Item]) -> BTreeMap<String, ConstValue> {
    let mut map = BTreeMap::new();
    for item in items {
        let syn::Item::Const(c) = item else { continue };
        let syn::Expr::Lit(lit) = &*c.expr else {
            continue;
        };
        let value = match &lit.lit {
            syn::Lit::Int(i) => match i.base10_parse::<u32>() {
                Ok(v) => ConstValue::Int(v),
                Err(_) => continue,
            },
            syn::Lit::Str(s) => ConstValue::Str(s.value()),
            _ => continue,
        };
        map.insert(c.ident.to_string(), value);
    }
    map
}

fn encoding_from_consts(
    module: &str,
    group: &str,
    consts: &BTreeMap<String, ConstValue>,
) -> Result<Encoding, String> {
    let int = |k: &str| match consts.get(k) {
        Some(ConstValue::Int(v)) => Ok(*v),
        _ => Err(format!("{group}/{module}: no integer constant {k}")),
    };
    let id = match consts.get("NAME") {
        Some(ConstValue::Str(s)) => s.clone(),
        _ => return Err(format!("{group}/{module}: no NAME")),
    };
    if id != module {
        return Err(format!("{group}/{module}: NAME is {id}"));
    }
    let mut fields = Vec::new();
    for (k, _) in consts.iter() {
        if let Some(name) = k
            .strip_prefix("FIELD_")
            .and_then(|k| k.strip_suffix("_OFFSET"))
        {
            let lsb = int(k)?;
            let width = int(&format!("FIELD_{name}_WIDTH"))?;
            fields.push((name.to_string(), lsb, width));
        }
    }
    fields.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(Encoding {
        id,
        group: group.to_string(),
        opcode: int("OPCODE")?,
        mask: int("OPCODE_MASK")?,
        should_be: int("SHOULD_BE_MASK")?,
        fields,
    })
}

pub fn render(encodings: &[Encoding]) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "# Generated by `cargo xtask import-encodings` from the crates.io crate {CRATE_NAME} \
         {CRATE_VERSION}\n# (Arm AARCHMRS 2026-09, BSD-3-Clause: see spec/data/NOTICE-ARM). \
         Do not edit by hand.\n# {} A64 encodings.\n",
        encodings.len()
    ));
    s.push_str("# id\tgroup\topcode\tmask\tshould_be\tfields (name:lsb:width)\n");
    for e in encodings {
        let fields: Vec<String> = e
            .fields
            .iter()
            .map(|(n, l, w)| format!("{n}:{l}:{w}"))
            .collect();
        s.push_str(&format!(
            "{}\t{}\t{:08x}\t{:08x}\t{:08x}\t{}\n",
            e.id,
            e.group,
            e.opcode,
            e.mask,
            e.should_be,
            fields.join(" ")
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    /// The committed `spec/data/encodings.tsv` must be exactly what the pinned crate gives.
    #[test]
    fn committed_encodings_are_fresh() {
        super::run(true).unwrap();
    }

    #[test]
    fn imports_every_encoding_with_its_group() {
        let src = super::crate_source_dir().unwrap();
        let encs = super::read_encodings(&src.join("src/A64")).unwrap();
        assert_eq!(encs.len(), 4431);
        let ldadd = encs.iter().find(|e| e.id == "LDADD_32_memop").unwrap();
        assert_eq!(ldadd.group, "ldst/memop");
        assert_eq!((ldadd.opcode, ldadd.mask), (0xb8200000, 0xffe0fc00));
    }
}
