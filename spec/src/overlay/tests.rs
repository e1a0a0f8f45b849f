use super::*;
use crate::encodings;
use crate::reference::{ReferenceDecoder, SplitMix64};

fn check_constraint(text: &str, expect: &str) {
    let got = match parse_constraints(text) {
        Ok(rules) => format!("{rules:?}"),
        Err(e) => format!("error: {e}"),
    };
    assert_eq!(got, expect);
}

#[test]
fn parses_constraints() {
    check_constraint(
        "undefined ADD_32_addsub_shift when shift == 11\n",
        r#"[ConstraintRule { target: "ADD_32_addsub_shift", condition: [Field { name: "shift", hi_lo: None, pattern: "11", negate: false }], line: 1 }]"#,
    );
    check_constraint(
        "# comment\nundefined simd_dp/asimdshf when bits<22:19> == 0000 && imm<5> != 1 # why\n",
        r#"[ConstraintRule { target: "simd_dp/asimdshf", condition: [Field { name: "bits", hi_lo: Some((22, 19)), pattern: "0000", negate: false }, Field { name: "imm", hi_lo: Some((5, 5)), pattern: "1", negate: true }], line: 2 }]"#,
    );
    check_constraint(
        "undefined HINT_HM_hints when encoding NOP_HI_hints\n",
        r#"[ConstraintRule { target: "HINT_HM_hints", condition: [Encoding("NOP_HI_hints")], line: 1 }]"#,
    );
    check_constraint(
        "undefined X shift == 11\n",
        "error: constraints.txt line 1: expected `when`: undefined X shift == 11",
    );
}

#[test]
fn compiles_field_terms_to_word_masks() {
    let all = encodings::all();
    let e = all.iter().find(|e| e.id == "ADD_32_addsub_shift").unwrap();
    let by_id = BTreeMap::new();
    let t = |s: &str| {
        let rule = &parse_constraints(&format!("undefined X when {s}")).unwrap()[0];
        compile_term(&rule.condition[0], e, &by_id)
    };
    assert_eq!(
        t("shift == 11"),
        Ok(Term {
            mask: 0x00c0_0000,
            value: 0x00c0_0000,
            negate: false
        })
    );
    assert_eq!(
        t("imm6<5> == 1"),
        Ok(Term {
            mask: 0x0000_8000,
            value: 0x0000_8000,
            negate: false
        })
    );
    assert_eq!(
        t("bits<31:30> != 1x"),
        Ok(Term {
            mask: 0x8000_0000,
            value: 0x8000_0000,
            negate: true
        })
    );
    assert_eq!(t("shift == 1"), Err("pattern 1 is not 2 bits".to_string()));
    assert_eq!(t("nosuch == 1"), Err("no field nosuch".to_string()));
}

#[test]
fn every_encoding_has_a_feature() {
    let all = encodings::all();
    let overlay = load(&all).unwrap();
    let missing: Vec<&str> = all
        .iter()
        .zip(&overlay.per_encoding)
        .filter(|(_, o)| o.features.is_empty())
        .map(|(e, _)| e.id.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "{} encodings have no feature, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
}

/// Words that two encodings claim, as `word: A, B` lines.
pub(crate) fn ambiguous(words: impl Iterator<Item = u32>) -> Vec<String> {
    let all = encodings::all();
    let overlay = load(&all).unwrap();
    let reference = ReferenceDecoder::new(&all, &overlay);
    let mut out = Vec::new();
    for w in words {
        let ids: Vec<&str> = reference
            .decode_all(w)
            .map(|i| all[i].id.as_str())
            .collect();
        if ids.len() > 1 {
            out.push(format!("{w:08x}: {}", ids.join(", ")));
        }
    }
    out
}

#[test]
fn no_random_word_matches_two_encodings() {
    let mut rng = SplitMix64(0x5eec_u64);
    let n = if cfg!(debug_assertions) {
        200_000
    } else {
        1_000_000
    };
    let bad = ambiguous((0..n).map(|_| rng.next_u32()));
    assert!(
        bad.is_empty(),
        "{} of {n} random words are ambiguous:\n{}",
        bad.len(),
        bad[..bad.len().min(40)].join("\n")
    );
}

/// Every pair of encodings whose fixed bits are compatible: a word built from both patterns
/// (free bits zero, then all ones) must be claimed by at most one of them.
#[test]
fn no_two_encodings_share_a_word() {
    let all = encodings::all();
    let mut words = Vec::new();
    for (i, a) in all.iter().enumerate() {
        for b in &all[i + 1..] {
            if (a.opcode ^ b.opcode) & a.decode_mask() & b.decode_mask() == 0 {
                let fixed = a.opcode | b.opcode;
                let free = !(a.decode_mask() | b.decode_mask());
                words.extend([fixed, fixed | free]);
            }
        }
    }
    let bad = ambiguous(words.into_iter());
    assert!(
        bad.is_empty(),
        "{} ambiguous words:\n{}",
        bad.len(),
        bad.join("\n")
    );
}
