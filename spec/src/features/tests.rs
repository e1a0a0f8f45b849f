use std::collections::{BTreeMap, BTreeSet};

use super::expr::{self, Env, Names};
use super::model::{self, Model};
use super::*;

/// Resolves `spec` and checks the outcome against `expect`, a list of words:
/// `ok` or `Kind: text` (the error kind and a piece of its message); then `+FEAT_X` / `-FEAT_X`
/// (in / not in the result) and `REG.FIELD=N` / `REG.FIELD>=N` (derived field values).
fn check(spec: &str, expect: &str) {
    let got = resolve_str(spec);
    if let Some((kind, text)) = expect.split_once(": ") {
        match got {
            Err(e) => {
                assert_eq!(format!("{:?}", e.kind), kind, "{spec}: {e}");
                assert!(
                    e.to_string().contains(text),
                    "{spec}: `{e}` does not mention `{text}`"
                );
                assert!(
                    !e.to_string().contains('\n'),
                    "{spec}: error is not one line"
                );
            }
            Ok(_) => panic!("{spec}: resolved, expected {kind}"),
        }
        return;
    }
    let r = match got {
        Ok(r) => r,
        Err(e) => panic!("{spec}: {e}"),
    };
    for word in expect.split_whitespace() {
        if word == "ok" {
        } else if let Some(f) = word.strip_prefix('+') {
            assert!(r.has(f), "{spec}: {f} missing");
        } else if let Some(f) = word.strip_prefix('-') {
            assert!(!r.has(f), "{spec}: {f} present");
        } else if let Some((field, n)) = word.split_once(">=") {
            let (reg, field) = field.split_once('.').unwrap_or_default();
            let v = r
                .id_field(reg, field)
                .unwrap_or_else(|| panic!("{spec}: no field {word}"));
            assert!(
                v >= n.parse().unwrap_or(u64::MAX),
                "{spec}: {reg}.{field} is {v}, want {word}"
            );
        } else if let Some((field, n)) = word.split_once('=') {
            let (reg, field) = field.split_once('.').unwrap_or_default();
            let v = r
                .id_field(reg, field)
                .unwrap_or_else(|| panic!("{spec}: no field {word}"));
            assert_eq!(Some(v), n.parse().ok(), "{spec}: {reg}.{field}");
        } else {
            panic!("bad expectation word {word}");
        }
    }
}

#[test]
fn resolves_specs() {
    let cases = [
        // Versions alone.
        (
            "v8.0",
            "ok +FEAT_FP +FEAT_AdvSIMD +FEAT_AA64EL3 +FEAT_Secure +FEAT_TGran64K -FEAT_PAuth -FEAT_PACQARMA5 -FEAT_LSE",
        ),
        (
            "v8.1",
            "ok +FEAT_LSE +FEAT_VHE ID_AA64ISAR0_EL1.Atomic=2 ID_AA64MMFR1_EL1.VH=1",
        ),
        (
            "v8.3",
            "ok +FEAT_PAuth +FEAT_PACQARMA5 ID_AA64ISAR1_EL1.APA=1 ID_AA64ISAR1_EL1.GPA=1 ID_AA64ISAR1_EL1.API=0",
        ),
        (
            "v8.4",
            "ok +FEAT_LSE2 +FEAT_SEL2 +FEAT_RASv1p1 ID_AA64PFR0_EL1.RAS=2 ID_AA64PFR1_EL1.RAS_frac=0",
        ),
        ("v8.6", "ok +FEAT_PAuth2 ID_AA64ISAR1_EL1.APA>=3"),
        (
            "v9.0",
            "ok +FEAT_LSE2 +FEAT_FP16 +FEAT_FHM -FEAT_SVE -FEAT_RME -FEAT_AA32EL0 ID_AA64PFR0_EL1.FP=1",
        ),
        ("v9.6", "ok +FEAT_CMPBR +FEAT_LSUI ID_AA64ISAR2_EL1.CSSC=2"),
        // The examples.
        (
            "v9.0,+FEAT_RME",
            "NeedsVersion: FEAT_RME requires v9Ap1 (v9.1)",
        ),
        (
            "v9.1,+FEAT_RME,+FEAT_RNG",
            "ok +FEAT_RME +FEAT_RNG ID_AA64PFR0_EL1.RME=1 ID_AA64ISAR0_EL1.RNDR=1",
        ),
        // LSE2 is tied to ID_AA64MMFR2_EL1.AT.
        ("v8.2", "ok -FEAT_LSE2 ID_AA64MMFR2_EL1.AT=0"),
        ("v8.2,+FEAT_LSE2", "ok +FEAT_LSE2 ID_AA64MMFR2_EL1.AT>=1"),
        // What a feature forces comes with it; a version never does.
        (
            "v8.2,+FEAT_SVE",
            "ok +FEAT_SVE +FEAT_FCMA +FEAT_FP16 ID_AA64PFR0_EL1.SVE=1",
        ),
        (
            "v8.0,+FEAT_SVE",
            "NeedsVersion: v8Ap2 (v8.2), newer than the spec's v8.0",
        ),
        ("v9.0,+FEAT_MEC", "NeedsVersion: v9Ap2"),
        // A version error comes before the open choice FEAT_RME leaves.
        ("v9.0,+FEAT_RME,+FEAT_LSE128", "NeedsVersion: v9Ap"),
        // Features tied together only through a register field.
        (
            "v9.4,+FEAT_HDBSS",
            "ok +FEAT_HAFT ID_AA64MMFR1_EL1.HAFDBS=4",
        ),
        ("v8.0,+FEAT_ETS3", "ok +FEAT_ETS2 ID_AA64MMFR1_EL1.ETS=3"),
        (
            "v8.3,+FEAT_DoubleFault",
            "ok +FEAT_RASv1p1 ID_AA64PFR0_EL1.RAS=2",
        ),
        // Choices nothing decides.
        ("v9.1,+FEAT_RME", "OpenChoice: FEAT_RNG, FEAT_RNG_TRAP"),
        // A choice that a later constraint settles is no choice (FEAT_PMULL --> FEAT_AES).
        (
            "v8.0,+FEAT_Crypto,+FEAT_PMULL",
            "ok +FEAT_AES +FEAT_PMULL +FEAT_Crypto",
        ),
        ("v8.0,+FEAT_Crypto", "OpenChoice: FEAT_AES"),
        (
            "v8.3,-FEAT_PACQARMA5",
            "OpenChoice: FEAT_PACIMP, FEAT_PACQARMA3",
        ),
        (
            "v8.3,-FEAT_PACQARMA5,+FEAT_PACQARMA3",
            "ok +FEAT_PACQARMA3 -FEAT_PACQARMA5 ID_AA64ISAR2_EL1.APA3=1 ID_AA64ISAR1_EL1.APA=0",
        ),
        ("v8.3,+FEAT_PACQARMA3", "Conflict: FEAT_PACQARMA"),
        // Removing.
        (
            "v8.1,-FEAT_LSE",
            "Removed: FEAT_LSE, which the spec removes",
        ),
        ("v9.0,-FEAT_FP", "Removed: FEAT_FP"),
        (
            "v9.0,-FEAT_AdvSIMD,-FEAT_FP",
            "ok -FEAT_FP -FEAT_AdvSIMD -FEAT_FP16 ID_AA64PFR0_EL1.FP=15 ID_AA64PFR0_EL1.AdvSIMD=15",
        ),
        ("v9.0,-FEAT_SVE", "ok -FEAT_SVE"),
        // Spelling.
        ("v9.0,+FEAT_NOPE", "UnknownName: FEAT_NOPE is not a feature"),
        ("v9.0,+v9Ap1", "UnknownName: is an architecture version"),
        (
            "v9.7",
            "Syntax: `v9.7` is not an architecture version (v8.0..v8.9 or v9.0..v9.6)",
        ),
        ("9.0", "Syntax: not an architecture version"),
        (
            "v9.0,FEAT_SVE",
            "Syntax: should be +FEAT_NAME or -FEAT_NAME",
        ),
        ("v9.0,+FEAT_SVE,-FEAT_SVE", "Syntax: both added and removed"),
        (" v9.0 , +FEAT_RNG ", "ok +FEAT_RNG"),
    ];
    for (spec, expect) in cases {
        check(spec, expect);
    }
}

/// Every FEAT_ name added alone to the newest version either resolves, or fails for a reason
/// the rules allow; never because the field solver found no values, which would mean our
/// layouts or solver disagree with Arm's constraints.
#[test]
fn every_feature_alone_resolves_or_fails_cleanly() {
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    for f in known_features() {
        let kind = match resolve_str(&format!("v9.6,+{f}")) {
            Ok(r) => {
                assert!(r.has(f), "{f} not in its own resolution");
                "ok".to_string()
            }
            Err(e) => {
                assert_ne!(e.kind, ErrorKind::Registers, "v9.6,+{f}: {e}");
                format!("{:?}", e.kind)
            }
        };
        *outcomes.entry(kind).or_default() += 1;
    }
    eprintln!("v9.6,+FEAT_X for every X: {outcomes:?}");
    assert!(
        outcomes.get("ok").copied().unwrap_or(0) > 200,
        "{outcomes:?}"
    );
}

#[test]
fn snapshot_v9_0() {
    let r = resolve_str("v9.0").unwrap_or_else(|e| panic!("{e}"));
    let mut text = String::new();
    for f in r.features() {
        text.push_str(f);
        text.push('\n');
    }
    for (name, value) in r.id_registers() {
        text.push_str(&format!("{name} = {value:#018x}\n"));
    }
    for u in r.unevaluated() {
        text.push_str(&format!("not evaluated: {}: {}\n", u.owner, u.constraint));
    }
    insta::assert_snapshot!(text);
}

#[test]
fn knows_the_feature_names() {
    assert_eq!(known_features().count(), 344);
    let names: Vec<&str> = known_features().collect();
    assert!(names.windows(2).all(|w| w[0] < w[1]), "not in byte order");
    assert!(is_known_feature("FEAT_LSE2"));
    assert!(!is_known_feature("v9Ap0"));
    assert!(!is_known_feature("FEAT_NOPE"));
    let versions: Vec<String> = Version::all().iter().map(|v| v.to_string()).collect();
    assert_eq!(versions.first().map(String::as_str), Some("v8.0"));
    assert_eq!(versions.last().map(String::as_str), Some("v9.6"));
    assert_eq!(versions.len(), 17);
}

fn model() -> Model {
    Model::parse(model::FEATURES_TXT, model::ID_REGISTERS_TXT).unwrap_or_else(|e| panic!("{e}"))
}

/// Parsing fails naming any field without a layout; beyond that, no layout is unused.
#[test]
fn every_mentioned_field_has_a_layout() {
    let m = model();
    let mut used = BTreeSet::new();
    for c in &m.constraints {
        used.extend(c.fields.iter().copied());
    }
    let unused: Vec<String> = (0..m.layouts.len())
        .filter(|f| !used.contains(f))
        .map(|f| format!("{}.{}", m.layouts[f].register, m.layouts[f].field))
        .collect();
    assert!(unused.is_empty(), "layouts no constraint uses: {unused:?}");
    assert_eq!(m.layouts.len(), 257);
    // Names the constraints use without defining; a new one needs a look.
    assert_eq!(m.undefined.iter().collect::<Vec<_>>(), ["FEAT_RASSA"]);
}

#[test]
fn fields_of_a_register_do_not_overlap() {
    let m = model();
    for (reg, fields) in &m.registers {
        let mut seen = 0u64;
        for &f in fields {
            let l = &m.layouts[f];
            assert_eq!(
                seen & l.mask(),
                0,
                "{reg}.{} overlaps another field",
                l.field
            );
            seen |= l.mask();
        }
    }
}

/// The parser and printer agree with the generator: each constraint prints back as its line.
#[test]
fn constraints_print_as_written() {
    let m = model();
    let lines: Vec<&str> = model::FEATURES_TXT
        .lines()
        .filter_map(|l| l.strip_prefix("    "))
        .collect();
    assert_eq!(lines.len(), m.constraints.len());
    for (line, c) in lines.iter().zip(&m.constraints) {
        assert_eq!(&m.render(&c.expr), line);
    }
}

/// Evaluates `text` with FEAT_A on, FEAT_B off, ID_AA64MMFR2_EL1.AT = 1, CTR_EL0.L1Ip = 0b10,
/// ID_AA64PFR0_EL1.FP = 0b1111 and everything else unknown.
fn check_eval(text: &str, expect: Option<bool>) {
    let m = Model::parse(
        &format!(
            "{}parameter FEAT_A\nparameter FEAT_B\n",
            model::FEATURES_TXT
        ),
        model::ID_REGISTERS_TXT,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let e = expr::parse(text, &m).unwrap_or_else(|e| panic!("{text}: {e}"));
    let mut params = vec![false; m.params.len()];
    let Some(a) = m.param("FEAT_A") else {
        panic!("no FEAT_A")
    };
    params[a] = true;
    let mut fields = vec![None; m.layouts.len()];
    for (reg, field, v) in [
        ("ID_AA64MMFR2_EL1", "AT", 1),
        ("CTR_EL0", "L1Ip", 0b10),
        ("ID_AA64PFR0_EL1", "FP", 0xf),
    ] {
        fields[m.field(reg, field).unwrap_or(0)] = Some(v);
    }
    let env = Env {
        params: &params,
        fields: &fields,
        names: &m,
    };
    assert_eq!(expr::truth(&e, &env), expect, "{text}");
}

#[test]
fn evaluates_each_construct() {
    let cases = [
        ("FEAT_A --> FEAT_B", Some(false)),
        ("FEAT_B --> FEAT_A", Some(true)),
        ("FEAT_A <-> !FEAT_B", Some(true)),
        ("FEAT_A && (FEAT_B || FEAT_A)", Some(true)),
        ("UInt(ID_AA64MMFR2_EL1.AT) >= 1", Some(true)),
        ("UInt(ID_AA64MMFR2_EL1.AT) < 1", Some(false)),
        ("UInt(ID_AA64MMFR2_EL1.AT) == 1", Some(true)),
        ("SInt(ID_AA64PFR0_EL1.FP) >= 0", Some(false)),
        ("UInt(ID_AA64PFR0_EL1.FP) == 15", Some(true)),
        ("CTR_EL0.L1Ip IN {'10', '11'}", Some(true)),
        ("CTR_EL0.L1Ip IN {'0x', '11'}", Some(false)),
        ("CTR_EL0.L1Ip IN {'1x'}", Some(true)),
        // Unknown fields and outside registers stay unknown unless the rest decides.
        ("UInt(ID_AA64ISAR0_EL1.AES) >= 1", None),
        ("FEAT_A --> (UInt(PMU.PMDEVID.PCSample) >= 1)", None),
        ("FEAT_B --> (UInt(PMU.PMDEVID.PCSample) >= 1)", Some(true)),
        ("FEAT_A <-> (SInt(ext:EDPFR.FP) >= 0)", None),
        ("FEAT_B && (UInt(ext:EDPFR.FP) >= 0)", Some(false)),
        ("FEAT_A || (UInt(AArch32:ID_PFR0.RAS) >= 3)", Some(true)),
        ("FEAT_RASSA", None),
    ];
    for (text, expect) in cases {
        check_eval(text, expect);
    }
}
