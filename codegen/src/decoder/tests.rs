use spec::overlay::{parse_constraints, parse_features, resolve};

/// A handful of encodings from the real dataset, enough to exercise switches, shared arms,
/// leaves with several candidates and exclusions.
const FIXTURE: &str = "\
ADD_32_addsub_shift	dpreg/addsub_shift	0b000000	ff200000	00000000	shift:22:2 Rm:16:5 imm6:10:6 Rn:5:5 Rd:0:5
ADD_64_addsub_shift	dpreg/addsub_shift	8b000000	ff200000	00000000	shift:22:2 Rm:16:5 imm6:10:6 Rn:5:5 Rd:0:5
SUB_32_addsub_shift	dpreg/addsub_shift	4b000000	ff200000	00000000	shift:22:2 Rm:16:5 imm6:10:6 Rn:5:5 Rd:0:5
LDADD_32_memop	ldst/memop	b8200000	ffe0fc00	00000000	Rs:16:5 Rn:5:5 Rt:0:5
LDADD_64_memop	ldst/memop	f8200000	ffe0fc00	00000000	Rs:16:5 Rn:5:5 Rt:0:5
HINT_HM_hints	control/hints	d503201f	fffff01f	00000000	CRm:8:4 op2:5:3
NOP_HI_hints	control/hints	d503201f	ffffffff	00000000	
YIELD_HI_hints	control/hints	d503203f	ffffffff	00000000	
ADDG_64_addsub_immtags	dpimm/addsub_immtags	91800000	ffc0c000	0000c000	uimm6:16:6 uimm4:10:4 Xn:5:5 Xd:0:5
";

const CONSTRAINTS: &str = "\
undefined dpreg/addsub_shift when shift == 11
undefined ADD_32_addsub_shift when imm6<5> == 1
undefined HINT_HM_hints when encoding NOP_HI_hints
undefined HINT_HM_hints when encoding YIELD_HI_hints
";

const FEATURES: &str = "\
feature dpreg FEAT_AA64
feature control FEAT_AA64
feature dpimm/addsub_immtags FEAT_MTE
feature ldst/memop FEAT_LSE
";

fn generate(tsv: &str, constraints: &str) -> Result<String, String> {
    let encodings = spec::encodings::parse(tsv)?;
    let (features, placeholders) = parse_features(FEATURES)?;
    let overlay = resolve(
        &encodings,
        &features,
        placeholders,
        &parse_constraints(constraints)?,
    )?;
    super::generate(&encodings, &overlay)
}

#[test]
fn fixture_decoder() {
    insta::assert_snapshot!(generate(FIXTURE, CONSTRAINTS).unwrap());
}

#[test]
fn output_is_deterministic() {
    assert_eq!(
        generate(FIXTURE, CONSTRAINTS),
        generate(FIXTURE, CONSTRAINTS)
    );
}

#[test]
fn ambiguity_is_an_error_naming_the_words() {
    let err = generate(FIXTURE, "").unwrap_err();
    assert!(
        err.contains("d503201f is claimed by HINT_HM_hints, NOP_HI_hints"),
        "{err}"
    );
}
