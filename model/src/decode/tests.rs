use super::*;
use spec::reference::{ReferenceDecoder, SplitMix64};

/// (word, expected encoding id or "UNDEFINED")
const CASES: &[(u32, &str)] = &[
    (0xd503201f, "NOP_HI_hints"),
    (0xd503203f, "YIELD_HI_hints"),
    (0xd503245f, "BTI_HB_hints"),
    (0xd50320ff, "XPACLRI_HI_hints"),
    (0xd503229f, "CSDB_HI_hints"),
    (0xb8200020, "LDADD_32_memop"),
    (0xf8200020, "LDADD_64_memop"),
    (0x8b020020, "ADD_64_addsub_shift"),
    (0x0b020020, "ADD_32_addsub_shift"),
    (0x91000420, "ADD_64_addsub_imm"),
    (0xd65f03c0, "RET_64R_branch_reg"),
    (0xd65f0bff, "RETAA_64E_branch_reg"),
    (0xd4000001, "SVC_EX_exception"),
    (0x00000000, "UDF_only_perm_undef"),
    (0x4cdf7000, "LD1_asisdlsep_I1_i1"),
    (0x4cc17000, "LD1_asisdlsep_R1_r1"),
    (0x6f00e400, "MOVI_asimdimm_D2_d"),
    (0x4f085400, "SHL_asimdshf_R"),
    (0x04a00000, "add_z_zz_"),
    (0xffffffff, "UNDEFINED"),
];

fn check(word: u32, expect: &str) {
    let got = decode(word).map_or("UNDEFINED", |id| id.name());
    assert_eq!(got, expect, "{word:08x}");
}

#[test]
fn decodes_known_words() {
    for &(w, e) in CASES {
        check(w, e);
    }
}

#[test]
fn names_round_trip() {
    for (i, id) in EncodingId::ALL.iter().enumerate() {
        assert_eq!(*id as usize, i);
    }
    assert_eq!(ENCODING_COUNT, 4431);
}

#[test]
fn should_be_bits_are_reported_not_refused() {
    // ADDG with bits 15:14 (should be zero) set still decodes as ADDG.
    let w = 0x9180_0000 | 0xc000;
    let id = decode(w).unwrap();
    assert_eq!(id.name(), "ADDG_64_addsub_immtags");
    assert!(id.violates_should_be(w));
    assert!(!id.violates_should_be(0x9180_0000));
}

/// The generated tree agrees with the reference decoder on random words.
#[test]
fn tree_matches_reference() {
    let encodings = spec::encodings::all();
    let overlay = spec::overlay::load(&encodings).unwrap();
    let reference = ReferenceDecoder::new(&encodings, &overlay);
    let mut rng = SplitMix64(1);
    // SPECULA_SLOW=1 runs ten times as many.
    let n = if std::env::var_os("SPECULA_SLOW").is_some_and(|v| v == "1") {
        3_000_000
    } else {
        300_000
    };
    let mut defined = 0;
    for _ in 0..n {
        let w = rng.next_u32();
        let want = reference.decode(w);
        let got = decode(w).map(|id| id as usize);
        assert_eq!(got, want, "{w:08x}");
        defined += want.is_some() as usize;
    }
    assert!(
        defined > n / 10,
        "only {defined} of {n} random words decoded"
    );
}
