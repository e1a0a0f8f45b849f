//! The overlay: what Arm's encoding dataset lacks, as our own data in `spec/data/overlay/`.
//!
//! - `features.txt`: the FEAT_ each encoding needs, by encoding id or by group path prefix.
//! - `constraints.txt`: decode constraints that the dataset leaves out (field != value
//!   conditions of the decode tree, unallocated sub-ranges, and each instruction's decode-time
//!   UNDEFINED rules). Each rule says when a word that has an encoding's fixed bits is *not* that
//!   encoding.
//!
//! The grammar of both files is in their headers; `parse_*` turn them into plain data and
//! `resolve` ties them to the encodings, failing on any name that does not exist.

use std::collections::BTreeMap;

use crate::encodings::Encoding;

pub const FEATURES_TXT: &str = include_str!("../data/overlay/features.txt");
pub const CONSTRAINTS_TXT: &str = include_str!("../data/overlay/constraints.txt");

/// A feature requirement in disjunctive normal form: any one of the terms, each a set of
/// features that must all be present. `[["FEAT_SVE2"], ["FEAT_SME"]]` is SVE2 or SME.
pub type FeatureExpr = Vec<Vec<String>>;

/// One `when` condition over a word: `word & mask == value`, or `!=` when `negate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Term {
    pub mask: u32,
    pub value: u32,
    pub negate: bool,
}

impl Term {
    pub fn holds(&self, word: u32) -> bool {
        ((word & self.mask) == self.value) != self.negate
    }
}

/// A word with the encoding's fixed bits is not that encoding when every term holds.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Exclusion {
    pub terms: Vec<Term>,
    /// The line in `constraints.txt`, so generated code can say where a rule came from.
    pub line: usize,
}

impl Exclusion {
    pub fn holds(&self, word: u32) -> bool {
        self.terms.iter().all(|t| t.holds(word))
    }
}

/// Everything the overlay says about one encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodingOverlay {
    pub features: FeatureExpr,
    pub exclusions: Vec<Exclusion>,
}

/// The overlay resolved against the encodings: one entry per encoding, in the same order.
#[derive(Debug, Clone)]
pub struct Overlay {
    pub per_encoding: Vec<EncodingOverlay>,
    /// Features the overlay names that Features.json (2025-03) does not know: always off.
    pub placeholders: Vec<String>,
}

/// A `features.txt` line: `feature TARGET EXPR` or `placeholder FEAT_X`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureRule {
    pub target: String,
    pub expr: FeatureExpr,
    pub line: usize,
}

/// A `constraints.txt` line: `undefined TARGET when COND`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConstraintRule {
    pub target: String,
    pub condition: Vec<CondTerm>,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CondTerm {
    /// `FIELD == PATTERN`, `FIELD<hi:lo> != PATTERN`, `bits<hi:lo> == PATTERN`.
    Field {
        name: String,
        hi_lo: Option<(u32, u32)>,
        pattern: String,
        negate: bool,
    },
    /// `encoding ID`: the word has that other encoding's fixed bits.
    Encoding(String),
}

pub fn load(encodings: &[Encoding]) -> Result<Overlay, String> {
    let (features, placeholders) = parse_features(FEATURES_TXT)?;
    let constraints = parse_constraints(CONSTRAINTS_TXT)?;
    resolve(encodings, &features, placeholders, &constraints)
}

pub fn resolve(
    encodings: &[Encoding],
    features: &[FeatureRule],
    placeholders: Vec<String>,
    constraints: &[ConstraintRule],
) -> Result<Overlay, String> {
    let by_id: BTreeMap<&str, &Encoding> = encodings.iter().map(|e| (e.id.as_str(), e)).collect();
    let mut used_feature_rules = vec![false; features.len()];
    let mut used_constraints = vec![false; constraints.len()];
    // Rules by target, so each encoding looks up its id and its group's prefixes only.
    let mut feature_by_target: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, r) in features.iter().enumerate() {
        if let Some(old) = feature_by_target.insert(&r.target, i) {
            return Err(format!(
                "features.txt lines {} and {}: two rules for {}",
                features[old].line, r.line, r.target
            ));
        }
    }
    let mut constraints_by_target: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, r) in constraints.iter().enumerate() {
        constraints_by_target.entry(&r.target).or_default().push(i);
    }
    let mut per_encoding = Vec::with_capacity(encodings.len());
    for e in encodings {
        // The targets that cover `e`, most specific first: its id, then its group, then the
        // group's ancestors.
        let mut targets = vec![e.id.as_str()];
        let mut g = e.group.as_str();
        loop {
            targets.push(g);
            match g.rfind('/') {
                Some(k) => g = &g[..k],
                None => break,
            }
        }
        let features = match targets.iter().find_map(|t| feature_by_target.get(t)) {
            Some(&i) => {
                used_feature_rules[i] = true;
                features[i].expr.clone()
            }
            None => Vec::new(),
        };
        let mut rules: Vec<usize> = targets
            .iter()
            .filter_map(|t| constraints_by_target.get(t))
            .flatten()
            .copied()
            .collect();
        rules.sort();
        let mut exclusions = Vec::new();
        for i in rules {
            let r = &constraints[i];
            used_constraints[i] = true;
            let mut terms = Vec::new();
            for t in &r.condition {
                terms.push(
                    compile_term(t, e, &by_id).map_err(|m| {
                        format!("constraints.txt line {}: {} ({})", r.line, m, e.id)
                    })?,
                );
            }
            exclusions.push(Exclusion {
                terms,
                line: r.line,
            });
        }
        per_encoding.push(EncodingOverlay {
            features,
            exclusions,
        });
    }
    if let Some(i) = used_feature_rules.iter().position(|u| !u) {
        return Err(format!(
            "features.txt line {}: {} names no encoding",
            features[i].line, features[i].target
        ));
    }
    if let Some(i) = used_constraints.iter().position(|u| !u) {
        return Err(format!(
            "constraints.txt line {}: {} names no encoding",
            constraints[i].line, constraints[i].target
        ));
    }
    Ok(Overlay {
        per_encoding,
        placeholders,
    })
}

fn compile_term(
    t: &CondTerm,
    e: &Encoding,
    by_id: &BTreeMap<&str, &Encoding>,
) -> Result<Term, String> {
    match t {
        CondTerm::Encoding(id) => {
            let other = by_id
                .get(id.as_str())
                .ok_or_else(|| format!("no encoding {id}"))?;
            Ok(Term {
                mask: other.decode_mask(),
                value: other.opcode & other.decode_mask(),
                negate: false,
            })
        }
        CondTerm::Field {
            name,
            hi_lo,
            pattern,
            negate,
        } => {
            let (field_lsb, field_width) = if name == "bits" {
                (0, 32)
            } else {
                let f = e.field(name).ok_or_else(|| format!("no field {name}"))?;
                (f.lsb, f.width)
            };
            let (lo, width) = match *hi_lo {
                Some((hi, lo)) if hi >= lo && hi < field_width => (field_lsb + lo, hi - lo + 1),
                Some(_) => return Err(format!("bit range out of field {name}")),
                None if name == "bits" => return Err("bits needs a <hi:lo> range".into()),
                None => (field_lsb, field_width),
            };
            if pattern.len() != width as usize {
                return Err(format!("pattern {pattern} is not {width} bits"));
            }
            let (mut mask, mut value) = (0u32, 0u32);
            for (i, c) in pattern.chars().rev().enumerate() {
                let bit = 1u32 << (lo + i as u32);
                match c {
                    '0' => mask |= bit,
                    '1' => {
                        mask |= bit;
                        value |= bit
                    }
                    'x' => {}
                    _ => return Err(format!("pattern {pattern} is not made of 0, 1, x")),
                }
            }
            Ok(Term {
                mask,
                value,
                negate: *negate,
            })
        }
    }
}

fn content_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().filter_map(|(n, l)| {
        let l = l.split('#').next().unwrap().trim();
        (!l.is_empty()).then_some((n + 1, l))
    })
}

/// Parses `features.txt`: `feature TARGET EXPR` where EXPR is `FEAT_A && FEAT_B || FEAT_C`
/// (`&&` binds tighter, no parentheses), and `placeholder FEAT_X`.
pub fn parse_features(text: &str) -> Result<(Vec<FeatureRule>, Vec<String>), String> {
    let mut rules = Vec::new();
    let mut placeholders = Vec::new();
    for (line, l) in content_lines(text) {
        let err = |m: &str| format!("features.txt line {line}: {m}: {l}");
        let mut words = l.split_whitespace();
        match words.next() {
            Some("feature") => {
                let target = words.next().ok_or_else(|| err("no target"))?.to_string();
                let rest: Vec<&str> = words.collect();
                let mut expr: FeatureExpr = vec![Vec::new()];
                let mut expect_name = true;
                for w in rest {
                    match (expect_name, w) {
                        (false, "&&") => expect_name = true,
                        (false, "||") => {
                            expr.push(Vec::new());
                            expect_name = true
                        }
                        (true, name) if name.starts_with("FEAT_") => {
                            expr.last_mut().unwrap().push(name.to_string());
                            expect_name = false
                        }
                        _ => return Err(err("expected FEAT_X joined by && and ||")),
                    }
                }
                if expect_name {
                    return Err(err("incomplete feature expression"));
                }
                rules.push(FeatureRule { target, expr, line });
            }
            Some("placeholder") => {
                let name = words
                    .next()
                    .filter(|n| n.starts_with("FEAT_"))
                    .ok_or_else(|| err("no FEAT_ name"))?;
                placeholders.push(name.to_string());
            }
            _ => return Err(err("expected `feature` or `placeholder`")),
        }
    }
    Ok((rules, placeholders))
}

/// Parses `constraints.txt`: `undefined TARGET when TERM && TERM ...`, each TERM being
/// `FIELD == PATTERN`, `FIELD != PATTERN`, `FIELD<hi:lo> == PATTERN`, `FIELD<b> == PATTERN`,
/// `bits<hi:lo> == PATTERN` (bits of the whole word) or `encoding ID`. PATTERN is binary, `x`
/// for don't care, as wide as the field or range.
pub fn parse_constraints(text: &str) -> Result<Vec<ConstraintRule>, String> {
    let mut rules = Vec::new();
    for (line, l) in content_lines(text) {
        let err = |m: &str| format!("constraints.txt line {line}: {m}: {l}");
        let rest = l
            .strip_prefix("undefined ")
            .ok_or_else(|| err("expected `undefined`"))?;
        let (target, cond) = rest
            .split_once(" when ")
            .ok_or_else(|| err("expected `when`"))?;
        let mut condition = Vec::new();
        for t in cond.split("&&") {
            let t = t.trim();
            if let Some(id) = t.strip_prefix("encoding ") {
                condition.push(CondTerm::Encoding(id.trim().to_string()));
                continue;
            }
            let (lhs, negate, pattern) = if let Some((a, b)) = t.split_once("!=") {
                (a.trim(), true, b.trim())
            } else if let Some((a, b)) = t.split_once("==") {
                (a.trim(), false, b.trim())
            } else {
                return Err(err("expected == or !="));
            };
            let (name, hi_lo) = match lhs.split_once('<') {
                Some((name, range)) => {
                    let range = range.strip_suffix('>').ok_or_else(|| err("unclosed <"))?;
                    let num = |s: &str| s.parse::<u32>().map_err(|_| err("bad bit number"));
                    let (hi, lo) = match range.split_once(':') {
                        Some((h, l)) => (num(h)?, num(l)?),
                        None => (num(range)?, num(range)?),
                    };
                    (name, Some((hi, lo)))
                }
                None => (lhs, None),
            };
            condition.push(CondTerm::Field {
                name: name.to_string(),
                hi_lo,
                pattern: pattern.to_string(),
                negate,
            });
        }
        rules.push(ConstraintRule {
            target: target.trim().to_string(),
            condition,
            line,
        });
    }
    Ok(rules)
}

/// Every word that has `e`'s fixed bits and is not excluded by the overlay decodes as `e`.
pub fn decodes_as(e: &Encoding, o: &EncodingOverlay, word: u32) -> bool {
    e.matches(word) && !o.exclusions.iter().any(|x| x.holds(word))
}

#[cfg(test)]
mod tests;
