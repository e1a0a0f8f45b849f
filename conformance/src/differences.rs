//! The committed list of words where our decoder knowingly differs from an oracle, each with
//! its reason (`conformance/decode-differences.txt`): the Arm ARM decides, and the record says
//! why.

pub const DIFFERENCES_TXT: &str = include_str!("../decode-differences.txt");

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub mask: u32,
    pub value: u32,
    /// Whether this explains words we decode and the oracle doesn't (`we-define`), or the
    /// reverse (`we-undefine`).
    pub we_define: bool,
    pub reason: String,
}

/// Parses the file: `PATTERN<TAB>DIRECTION<TAB>REASON` lines, `#` comments, blank lines.
pub fn parse(text: &str) -> Result<Vec<Difference>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let err = |m: &str| format!("decode-differences.txt line {}: {m}", n + 1);
        let mut cols = line.splitn(3, '\t');
        let (Some(pattern), Some(direction), Some(reason)) =
            (cols.next(), cols.next(), cols.next())
        else {
            return Err(err("expected PATTERN<TAB>DIRECTION<TAB>REASON"));
        };
        let we_define = match direction {
            "we-define" => true,
            "we-undefine" => false,
            _ => return Err(err("DIRECTION is we-define or we-undefine")),
        };
        let bits: String = pattern.chars().filter(|&c| c != '_').collect();
        let (mask, value) = if bits.len() == 8 {
            let w = u32::from_str_radix(&bits, 16).map_err(|_| err("bad hex word"))?;
            (!0, w)
        } else if bits.len() == 32 {
            let (mut mask, mut value) = (0u32, 0u32);
            for (i, c) in bits.chars().enumerate() {
                let bit = 1u32 << (31 - i);
                match c {
                    '0' => mask |= bit,
                    '1' => {
                        mask |= bit;
                        value |= bit;
                    }
                    'x' => {}
                    _ => return Err(err("pattern must be 0, 1 or x")),
                }
            }
            (mask, value)
        } else {
            return Err(err("pattern must be 8 hex digits or 32 bits"));
        };
        if reason.trim().is_empty() {
            return Err(err("no reason"));
        }
        out.push(Difference {
            mask,
            value,
            we_define,
            reason: reason.trim().to_string(),
        });
    }
    Ok(out)
}

/// The committed list.
pub fn all() -> Vec<Difference> {
    parse(DIFFERENCES_TXT).expect("conformance/decode-differences.txt is malformed")
}

/// The reason we differ on `word` (decoding it when `we_define`, calling it undefined
/// otherwise), if the list has one.
pub fn explain(list: &[Difference], word: u32, we_define: bool) -> Option<&str> {
    list.iter()
        .find(|d| word & d.mask == d.value && d.we_define == we_define)
        .map(|d| d.reason.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `expect` for a word we decode (`we_define`) or call undefined.
    fn check(text: &str, word: u32, we_define: bool, expect: Option<&str>) {
        let list = parse(text).unwrap();
        assert_eq!(explain(&list, word, we_define), expect);
    }

    #[test]
    fn patterns_words_and_directions() {
        check(
            "d503307f\twe-undefine\tTCOMMIT\n",
            0xd503307f,
            false,
            Some("TCOMMIT"),
        );
        check("d503307f\twe-undefine\tTCOMMIT\n", 0xd503307f, true, None);
        check("d503307f\twe-undefine\tTCOMMIT\n", 0xd503305f, false, None);
        let mrs = "1101010100_1_00_xxx_xxxx_xxxx_xxx_xxxxx\twe-undefine\tmrs\n";
        check(mrs, 0xd520401f, false, Some("mrs"));
        check(mrs, 0xd538401f, false, None);
        assert!(parse("d503307f\n").is_err());
        assert!(parse("d503307f\tTCOMMIT\n").is_err());
        assert!(parse("d503307f\tsideways\tTCOMMIT\n").is_err());
        assert!(parse("d50330\twe-define\tshort\n").is_err());
    }

    #[test]
    fn committed_list_parses() {
        assert!(all().len() >= 5);
    }
}
