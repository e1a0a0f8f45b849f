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
    reference
        .ambiguous(words)
        .into_iter()
        .map(|(w, ids)| format!("{w:08x}: {ids}"))
        .collect()
}

#[test]
fn no_random_word_matches_two_encodings() {
    let mut rng = SplitMix64(0x5eec_u64);
    let n = 1_000_000;
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
    let words = crate::reference::overlap_words(&encodings::all());
    let bad = ambiguous(words.into_iter());
    assert!(
        bad.is_empty(),
        "{} ambiguous words:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

/// Every FEAT_ name in features.txt is a Features.json parameter or a declared placeholder,
/// and no placeholder shadows a Features.json parameter.
#[test]
fn feature_names_are_known_or_placeholders() {
    let (rules, placeholders) = parse_features(FEATURES_TXT).unwrap();
    let shadowing: Vec<&String> = placeholders
        .iter()
        .filter(|p| crate::features::is_known_feature(p))
        .collect();
    assert!(
        shadowing.is_empty(),
        "placeholders that Features.json already defines: {shadowing:?}"
    );
    let mut unknown: Vec<String> = Vec::new();
    for r in &rules {
        for name in r.expr.iter().flatten() {
            if !crate::features::is_known_feature(name) && !placeholders.contains(name) {
                unknown.push(format!("line {}: {name}", r.line));
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "feature names neither in Features.json nor placeholders:\n{}",
        unknown.join("\n")
    );
    let used: std::collections::BTreeSet<&String> =
        rules.iter().flat_map(|r| r.expr.iter().flatten()).collect();
    let unused: Vec<&String> = placeholders.iter().filter(|p| !used.contains(p)).collect();
    assert!(unused.is_empty(), "placeholders no rule uses: {unused:?}");
}

/// The feature expression the overlay resolves for one encoding, written back as
/// `FEAT_A && FEAT_B || FEAT_C`.
fn check(id: &str, expect: &str) {
    static LOADED: std::sync::OnceLock<(Vec<encodings::Encoding>, Overlay)> =
        std::sync::OnceLock::new();
    let (all, overlay) = LOADED.get_or_init(|| {
        let all = encodings::all();
        let overlay = load(&all).unwrap();
        (all, overlay)
    });
    let i = all
        .iter()
        .position(|e| e.id == id)
        .unwrap_or_else(|| panic!("no encoding {id}"));
    let got = overlay.per_encoding[i]
        .features
        .iter()
        .map(|t| t.join(" && "))
        .collect::<Vec<_>>()
        .join(" || ");
    assert_eq!(got, expect, "{id}");
}

#[test]
fn feature_spot_checks() {
    for (id, expect) in [
        // base A64, scalar FP, AdvSIMD
        ("ADD_32_addsub_imm", "FEAT_AA64"),
        ("MRS_RS_systemmove", "FEAT_AA64"),
        ("CSDB_HI_hints", "FEAT_AA64"),
        ("FADD_S_floatdp2", "FEAT_FP"),
        ("LDR_Q_ldst_pos", "FEAT_FP"),
        ("LD1_asisdlse_R1_1v", "FEAT_AdvSIMD"),
        ("ADD_asimdsame_only", "FEAT_AdvSIMD"),
        ("FADD_H_floatdp2", "FEAT_FP16"),
        ("FADD_asimdsamefp16_only", "FEAT_FP16"),
        // atomics and ordered loads/stores
        ("LDADD_32_memop", "FEAT_LSE"),
        ("CAS_C32_comswap", "FEAT_LSE"),
        ("CASP_CP32_comswappr", "FEAT_LSE"),
        ("LDCLRP_128_memop_128", "FEAT_LSE128"),
        ("LDAPR_32L_memop", "FEAT_LRCPC"),
        ("LDAPUR_32_ldapstl_unscaled", "FEAT_LRCPC2"),
        ("LDIAPP_64L_ldiappstilp", "FEAT_LRCPC3"),
        ("LDLAR_LR64_ldstord", "FEAT_LOR"),
        ("LD64B_64L_memop", "FEAT_LS64"),
        ("ST64BV0_64_memop", "FEAT_LS64_ACCDATA"),
        ("RCWCAS_C64_rcwcomswap", "FEAT_THE"),
        ("RCWCASP_C64_rcwcomswappr", "FEAT_D128 && FEAT_THE"),
        ("CPYFP_CPY_memcms", "FEAT_MOPS"),
        ("SETGP_SET_memcms", "FEAT_MOPS && FEAT_MTE2"),
        ("RPRFM_R_ldst_regoff", "FEAT_RPRFM"),
        // data processing
        ("CRC32B_32C_dp_2src", "FEAT_CRC32"),
        ("ABS_64_dp_1src", "FEAT_CSSC"),
        ("SMAX_32_minmax_imm", "FEAT_CSSC"),
        ("PACIA_64P_dp_1src", "FEAT_PAuth"),
        ("PACIASPPC_64LR_dp_1src", "FEAT_PAuth_LR"),
        ("IRG_64I_dp_2src", "FEAT_MTE"),
        ("LDGM_64bulk_ldsttags", "FEAT_MTE2"),
        ("ADDPT_64_addsub_pt", "FEAT_CPA"),
        ("RMIF_only_rmif", "FEAT_FlagM"),
        // control
        ("RETAA_64E_branch_reg", "FEAT_PAuth"),
        ("BRAA_64P_branch_reg", "FEAT_PAuth"),
        ("BTI_HB_hints", "FEAT_BTI"),
        ("ESB_HI_hints", "FEAT_RAS"),
        ("PSB_HC_hints", "FEAT_SPE"),
        ("TSB_HC_hints", "FEAT_TRF"),
        ("SB_only_barriers", "FEAT_SB"),
        ("CFINV_M_pstate", "FEAT_FlagM"),
        ("XAFLAG_M_pstate", "FEAT_FlagM2"),
        ("WFET_only_systeminstrswithreg", "FEAT_WFxT"),
        ("SYSP_CR_syspairinstrs", "FEAT_SYSINSTR128"),
        ("MRRS_RS_systemmovepr", "FEAT_SYSREG128"),
        ("CBEQ_64_imm", "FEAT_CMPBR"),
        ("TSTART_BR_systemresult", "FEAT_TME"),
        ("SHUH_HI_hints", "FEAT_CMH"),
        // Advanced SIMD extensions and crypto
        ("FRINT32Z_S_floatdp1", "FEAT_FRINTTS"),
        ("FJCVTZS_32D_float2int", "FEAT_JSCVT"),
        ("FCMLA_asimdsame2_C", "FEAT_FCMA"),
        ("SDOT_asimdsame2_D", "FEAT_DotProd"),
        ("FMLAL_asimdsame_F", "FEAT_FHM"),
        ("SQRDMLAH_asimdsame2_only", "FEAT_RDM"),
        ("AESE_B_cryptoaes", "FEAT_AES"),
        ("SHA1C_QSV_cryptosha3", "FEAT_SHA1"),
        ("SHA256H_QQV_cryptosha3", "FEAT_SHA256"),
        ("SHA512H_QQV_cryptosha512_3", "FEAT_SHA512"),
        ("EOR3_VVV16_crypto4", "FEAT_SHA3"),
        ("SM3SS1_VVV4_crypto4", "FEAT_SM3"),
        ("SM4E_VV4_cryptosha512_2", "FEAT_SM4"),
        ("BFDOT_asimdsame2_D", "FEAT_BF16"),
        ("SMMLA_asimdsame2_G", "FEAT_I8MM"),
        ("FAMAX_asimdsame_only", "FEAT_FAMINMAX"),
        ("LUTI2_asimdtbl_L5", "FEAT_LUT"),
        ("FDOT_asimdsame2_DD", "FEAT_FP8DOT4"),
        // SVE
        ("add_z_zz_", "FEAT_SVE || FEAT_SME"),
        ("ld1b_z_p_bz_s_x32_unscaled", "FEAT_SVE"),
        ("sqdmulh_z_zz_", "FEAT_SVE2 || FEAT_SME"),
        ("histcnt_z_p_zz_", "FEAT_SVE2"),
        ("sclamp_z_zz_", "FEAT_SVE2p1 || FEAT_SME"),
        ("compact_z_p_z_", "FEAT_SVE || FEAT_SME2p2"),
        ("fexpa_z_z_", "FEAT_SVE || FEAT_SSVE_FEXPA"),
        ("aese_z_zz_", "FEAT_SVE_AES"),
        ("rax1_z_zz_", "FEAT_SVE_SHA3"),
        ("bext_z_zz_", "FEAT_SVE_BitPerm"),
        ("bfclamp_z_zz_", "FEAT_SVE_B16B16"),
        ("fmmla_z_zzz_s", "FEAT_F32MM"),
        ("bfmmla_z_zzz_", "FEAT_SVE && FEAT_BF16"),
        (
            "bfdot_z_zzz_",
            "FEAT_SVE && FEAT_BF16 || FEAT_SME && FEAT_BF16",
        ),
        (
            "f1cvt_z_z8_b2h",
            "FEAT_SVE2 && FEAT_FP8 || FEAT_SME2 && FEAT_FP8",
        ),
        ("fmmla_z32_zz8z8_", "FEAT_SVE2 && FEAT_F8F32MM"),
        (
            "luti2_z_zz_8",
            "FEAT_SVE2 && FEAT_LUT || FEAT_SME2 && FEAT_LUT",
        ),
        // SME
        ("fmopa_za_pp_zz_32", "FEAT_SME"),
        ("fmopa_za_pp_zz_64", "FEAT_SME_F64F64"),
        ("bfclamp_mz_zz_2", "FEAT_SME2 && FEAT_SVE_B16B16"),
    ] {
        check(id, expect);
    }
}
