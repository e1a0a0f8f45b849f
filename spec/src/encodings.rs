//! The 4,431 A64 encodings of Arm AARCHMRS 2026-09, as `cargo xtask import-encodings` wrote them
//! into `spec/data/encodings.tsv`.

/// One A64 encoding: an instruction form in Arm's decode tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoding {
    /// Arm's encoding id, e.g. `LDADD_32_memop`.
    pub id: String,
    /// Path in Arm's decode tree, e.g. `ldst/memop`.
    pub group: String,
    /// Fixed bits, under `mask`.
    pub opcode: u32,
    /// Bits the encoding fixes, including the should-be bits.
    pub mask: u32,
    /// Bits that are should-be-one/zero: the value in `opcode` is what they should be, but
    /// (CONSTRAINED UNPREDICTABLE) the word still decodes as this encoding when they differ.
    pub should_be: u32,
    /// Operand fields, most significant first.
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub lsb: u32,
    pub width: u32,
}

impl Field {
    pub fn mask(&self) -> u32 {
        (((1u64 << self.width) - 1) as u32) << self.lsb
    }
}

impl Encoding {
    /// The bits a word must match to decode as this encoding (should-be bits excluded).
    pub fn decode_mask(&self) -> u32 {
        self.mask & !self.should_be
    }

    /// Whether `word` has this encoding's fixed bits (ignoring decode constraints).
    pub fn matches(&self, word: u32) -> bool {
        (word ^ self.opcode) & self.decode_mask() == 0
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The top-level group (`ldst`, `sve`, ...).
    pub fn top_group(&self) -> &str {
        self.group.split('/').next().unwrap_or(&self.group)
    }
}

/// The committed data file, compiled in.
pub const ENCODINGS_TSV: &str = include_str!("../data/encodings.tsv");

/// Parses the committed encodings, in file order (by group path, then id).
pub fn all() -> Vec<Encoding> {
    parse(ENCODINGS_TSV).expect("spec/data/encodings.tsv is malformed")
}

/// Parses the `encodings.tsv` format: `id group opcode mask should_be fields`, tab-separated,
/// hex words, fields as `name:lsb:width` separated by spaces; `#` starts a comment line.
pub fn parse(text: &str) -> Result<Vec<Encoding>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let err = |what: &str| format!("encodings line {}: {what}: {line}", n + 1);
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() != 6 {
            return Err(err("expected 6 tab-separated columns"));
        }
        let hex = |s: &str| u32::from_str_radix(s, 16).map_err(|_| err("bad hex word"));
        let mut fields = Vec::new();
        for f in cols[5].split_whitespace() {
            let parts: Vec<&str> = f.split(':').collect();
            let [name, lsb, width] = parts[..] else {
                return Err(err("bad field"));
            };
            let num = |s: &str| s.parse::<u32>().map_err(|_| err("bad field number"));
            let (lsb, width) = (num(lsb)?, num(width)?);
            if width == 0 || lsb + width > 32 {
                return Err(err("field outside the word"));
            }
            fields.push(Field {
                name: name.to_string(),
                lsb,
                width,
            });
        }
        out.push(Encoding {
            id: cols[0].to_string(),
            group: cols[1].to_string(),
            opcode: hex(cols[2])?,
            mask: hex(cols[3])?,
            should_be: hex(cols[4])?,
            fields,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn loads_every_encoding_once() {
        let all = super::all();
        assert_eq!(all.len(), 4431);
        let mut ids: Vec<&str> = all.iter().map(|e| e.id.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 4431);
        for e in &all {
            assert_eq!(
                e.opcode & !e.mask,
                0,
                "{}: opcode bits outside the mask",
                e.id
            );
            assert_eq!(
                e.should_be & !e.mask,
                0,
                "{}: should-be bits outside the mask",
                e.id
            );
            for f in &e.fields {
                assert_eq!(
                    f.mask() & e.decode_mask(),
                    0,
                    "{}: field {} overlaps fixed bits",
                    e.id,
                    f.name
                );
            }
        }
    }
}
