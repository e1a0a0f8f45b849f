//! Chooses the ID register field values that the constraints tie to the resolved features.
//!
//! With every parameter known, each constraint that reads fields is a condition on those fields
//! alone. Fields that share a constraint are solved together (`ID_AA64PFR0_EL1.RAS` with
//! `ID_AA64PFR1_EL1.RAS_frac`); each group by a small branch-and-bound search. Several values
//! usually satisfy a group, so the search prefers, in order: `_frac` fields at zero (a
//! refinement of a main field is the unusual encoding, as with `RAS == 1 && RAS_frac == 1` for
//! FEAT_RASv1p1 where `RAS == 2` says the same), fewer fields set, and smaller values, a signed
//! field counting by magnitude so that "not implemented" is `0b1111` rather than `0b1000`.

use std::collections::{BTreeMap, BTreeSet};

use super::expr::{self, BinOp, Env, Expr, FieldId, ParamId};
use super::model::Model;

/// A group of fields that no values satisfy.
#[derive(Debug)]
pub(crate) struct Unsat {
    pub fields: Vec<FieldId>,
    /// Every parameter the group's constraints mention: adding one of them may be the repair.
    pub params: BTreeSet<ParamId>,
    pub message: String,
}

/// The solved value of every field with a layout, or the first group that no values satisfy.
pub(crate) fn solve(model: &Model, params: &[bool]) -> Result<Vec<u64>, Unsat> {
    let n = model.layouts.len();
    let relevant: Vec<usize> = (0..model.constraints.len())
        .filter(|&c| !model.constraints[c].fields.is_empty())
        .collect();

    // Group fields that appear in one constraint.
    let mut group: Vec<usize> = (0..n).collect();
    fn find(g: &mut [usize], x: usize) -> usize {
        let mut r = x;
        while g[r] != r {
            r = g[r];
        }
        g[x] = r;
        r
    }
    for &c in &relevant {
        let fields = &model.constraints[c].fields;
        for w in fields.windows(2) {
            let (a, b) = (find(&mut group, w[0]), find(&mut group, w[1]));
            group[a] = b;
        }
    }
    let mut groups: BTreeMap<usize, Vec<FieldId>> = BTreeMap::new();
    for f in 0..n {
        let root = find(&mut group, f);
        groups.entry(root).or_default().push(f);
    }
    let mut by_field: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &c in &relevant {
        for &f in &model.constraints[c].fields {
            by_field[f].push(c);
        }
    }

    let mut values = vec![None; n];
    for fields in groups.values() {
        let candidates: Vec<Vec<Candidate>> = fields
            .iter()
            .map(|&f| candidates(model, params, f, &by_field[f]))
            .collect();
        let mut search = Search {
            model,
            params,
            fields,
            candidates: &candidates,
            by_field: &by_field,
            values: &mut values,
            best: None,
        };
        search.go(0, Cost::default());
        let Some((_, best)) = search.best else {
            let names: Vec<String> = fields
                .iter()
                .map(|&f| format!("{}.{}", model.layouts[f].register, model.layouts[f].field))
                .collect();
            let mut owners = BTreeSet::new();
            let mut mentioned = BTreeSet::new();
            for &f in fields {
                for &c in &by_field[f] {
                    owners.insert(model.owner_name(&model.constraints[c]).to_string());
                    expr::walk(&model.constraints[c].expr, &mut |node| {
                        if let Expr::Param(p) = node {
                            mentioned.insert(*p);
                        }
                    });
                }
            }
            let owners: Vec<String> = owners.into_iter().collect();
            return Err(Unsat {
                fields: fields.clone(),
                params: mentioned,
                message: format!(
                    "no value of {} satisfies the constraints of {}",
                    names.join(", "),
                    owners.join(", ")
                ),
            });
        };
        for (&f, v) in fields.iter().zip(best) {
            values[f] = Some(v);
        }
    }
    Ok(values.into_iter().map(|v| v.unwrap_or(0)).collect())
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
struct Cost {
    frac: u64,
    set: u64,
    magnitude: u64,
}

impl Cost {
    fn add(self, o: Cost) -> Cost {
        Cost {
            frac: self.frac + o.frac,
            set: self.set + o.set,
            magnitude: self.magnitude + o.magnitude,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Candidate {
    value: u64,
    cost: Cost,
}

/// One value of each class of values the constraints cannot tell apart, the cheapest of its
/// class, cheapest first.
fn candidates(model: &Model, params: &[bool], f: FieldId, constraints: &[usize]) -> Vec<Candidate> {
    let layout = &model.layouts[f];
    let mut atoms: Vec<&Expr> = Vec::new();
    let mut shared = false;
    for &c in constraints {
        expr::walk(&model.constraints[c].expr, &mut |node| {
            if let Expr::Bin(op, _, _) = node
                && !matches!(op, BinOp::Implies | BinOp::Iff | BinOp::And | BinOp::Or)
            {
                let (mut mine, mut other) = (false, false);
                expr::walk(node, &mut |n| match n {
                    Expr::Field(g) if *g == f => mine = true,
                    Expr::Field(_) => other = true,
                    _ => {}
                });
                if mine {
                    atoms.push(node);
                    shared |= other;
                }
            }
        });
    }
    let count = 1u64 << layout.width.min(12);
    let mut fields = vec![None; model.layouts.len()];
    let mut classes: BTreeMap<(Option<u64>, Vec<Option<bool>>), Candidate> = BTreeMap::new();
    for value in 0..count {
        fields[f] = Some(value);
        let env = Env {
            params,
            fields: &fields,
            names: model,
        };
        // A comparison between two fields would make classes depend on the other field: then
        // every value is its own class.
        // A comparison between two fields would make the classes depend on the other field:
        // then every value is its own class.
        let key = (
            shared.then_some(value),
            atoms
                .iter()
                .map(|a| expr::truth(a, &env))
                .collect::<Vec<_>>(),
        );
        let cand = Candidate {
            value,
            cost: cost(model, f, value),
        };
        classes
            .entry(key)
            .and_modify(|c| {
                if cand.cost < c.cost {
                    *c = cand;
                }
            })
            .or_insert(cand);
    }
    let mut out: Vec<Candidate> = classes.into_values().collect();
    out.sort_by_key(|c| (c.cost, c.value));
    out
}

fn cost(model: &Model, f: FieldId, value: u64) -> Cost {
    let layout = &model.layouts[f];
    let magnitude = if layout.signed {
        expr::sign_extend(value, layout.width).unsigned_abs()
    } else {
        value
    };
    let set = u64::from(value != 0);
    if layout.field.ends_with("_frac") {
        Cost {
            frac: magnitude,
            set,
            magnitude,
        }
    } else {
        Cost {
            frac: 0,
            set,
            magnitude,
        }
    }
}

struct Search<'a> {
    model: &'a Model,
    params: &'a [bool],
    fields: &'a [FieldId],
    candidates: &'a [Vec<Candidate>],
    by_field: &'a [Vec<usize>],
    values: &'a mut Vec<Option<u64>>,
    best: Option<(Cost, Vec<u64>)>,
}

impl Search<'_> {
    fn go(&mut self, i: usize, cost: Cost) {
        let rest = self.candidates[i..]
            .iter()
            .filter_map(|c| c.first())
            .fold(Cost::default(), |acc, c| acc.add(c.cost));
        if self
            .best
            .as_ref()
            .is_some_and(|(b, _)| cost.add(rest) >= *b)
        {
            return;
        }
        if i == self.fields.len() {
            let chosen = self
                .fields
                .iter()
                .map(|&f| self.values[f].unwrap_or(0))
                .collect();
            self.best = Some((cost, chosen));
            return;
        }
        let f = self.fields[i];
        for cand in &self.candidates[i] {
            self.values[f] = Some(cand.value);
            if self.consistent(f) {
                self.go(i + 1, cost.add(cand.cost));
            }
        }
        self.values[f] = None;
    }

    /// No constraint on `f` is already false with the fields chosen so far.
    fn consistent(&self, f: FieldId) -> bool {
        let env = Env {
            params: self.params,
            fields: self.values,
            names: self.model,
        };
        self.by_field[f]
            .iter()
            .all(|&c| expr::truth(&self.model.constraints[c].expr, &env) != Some(false))
    }
}
