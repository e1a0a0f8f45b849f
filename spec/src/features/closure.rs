//! The closure of a starting set of parameters under Arm's constraints: whatever a constraint
//! forces is added until nothing more is forced; nothing is ever taken away.
//!
//! A constraint that fails on the parameters alone is repaired by the additions that would make
//! it hold. One way is taken; none is an error (a version the spec does not name, a feature the
//! spec removed, two features that exclude each other); several is an open choice, also an
//! error, because picking for the user would make up a CPU nobody asked for. Constraints that
//! read register fields wait for the field solver: a field can always be chosen later.

use std::collections::BTreeSet;

use super::expr::{self, BinOp, Env, Expr, ParamId};
use super::model::{Constraint, Model};
use super::{ErrorKind, ResolveError};

/// More ways than this to satisfy one constraint is treated as an open choice without listing
/// them all; no constraint in the 2025-03 model comes near it.
const MAX_WAYS: usize = 64;

type Way = BTreeSet<ParamId>;

pub(crate) struct Closure<'m> {
    model: &'m Model,
    /// The closure so far, indexed by parameter.
    pub on: Vec<bool>,
    /// Parameters that must stay off: versions the spec does not name, features it removes.
    fixed_off: Vec<bool>,
    /// The constraint that added a parameter, for messages.
    why: Vec<Option<usize>>,
    /// For a parameter, the version its own `P --> vXApY` constraint requires, if any.
    needs_version: Vec<Option<ParamId>>,
    /// How to name the spec's version in messages (`v9.0`).
    spec_version: String,
    no_fields: Vec<Option<u64>>,
}

impl<'m> Closure<'m> {
    pub fn new(
        model: &'m Model,
        start: &BTreeSet<ParamId>,
        fixed_off: &BTreeSet<ParamId>,
        spec_version: String,
    ) -> Self {
        let n = model.params.len();
        let mut needs_version = vec![None; n];
        for c in &model.constraints {
            if let Expr::Bin(BinOp::Implies, l, r) = &c.expr
                && let (Expr::Param(p), Expr::Param(v)) = (&**l, &**r)
                && is_version(&model.params[*v])
            {
                needs_version[*p] = Some(*v);
            }
        }
        Closure {
            model,
            on: (0..n).map(|p| start.contains(&p)).collect(),
            fixed_off: (0..n).map(|p| fixed_off.contains(&p)).collect(),
            why: vec![None; n],
            needs_version,
            spec_version,
            no_fields: vec![None; model.layouts.len()],
        }
    }

    /// Adds what the constraints force until nothing changes. A version the spec lacks is
    /// reported before any other error, as the most useful thing to fix first.
    pub fn run(&mut self) -> Result<(), ResolveError> {
        let mut first_error: Option<ResolveError> = None;
        let mut version_error: Option<ResolveError> = None;
        let mut failed = vec![false; self.model.constraints.len()];
        loop {
            let mut changed = false;
            for (ci, c) in self.model.constraints.iter().enumerate() {
                if failed[ci] || self.truth(&c.expr) != Some(false) {
                    continue;
                }
                match self.repair(c) {
                    Ok(way) => {
                        for p in way {
                            self.on[p] = true;
                            self.why[p] = Some(ci);
                        }
                        changed = true;
                    }
                    // A constraint later in the file may settle the choice (`FEAT_PMULL -->
                    // FEAT_AES` after `FEAT_Crypto --> FEAT_AES || FEAT_SHA1`): decide it
                    // once nothing else changes.
                    Err(e) if e.kind == ErrorKind::OpenChoice => {}
                    Err(e) => {
                        failed[ci] = true;
                        if e.kind == ErrorKind::NeedsVersion {
                            version_error.get_or_insert(e);
                        } else {
                            first_error.get_or_insert(e);
                        }
                    }
                }
            }
            if !changed {
                break;
            }
        }
        for (ci, c) in self.model.constraints.iter().enumerate() {
            if !failed[ci] && self.truth(&c.expr) == Some(false) {
                if let Err(e) = self.repair(c) {
                    first_error.get_or_insert(e);
                }
            }
        }
        if let Some(e) = version_error.or(first_error) {
            return Err(e);
        }
        // A constraint with a negation on its left (`!FEAT_RME && FEAT_EL3 --> FEAT_Secure`)
        // can be broken by a later addition; check everything once more on the final set.
        for c in &self.model.constraints {
            if self.truth(&c.expr) == Some(false) {
                return Err(self.error(ErrorKind::Conflict, c, "does not hold".into()));
            }
        }
        Ok(())
    }

    fn truth(&self, e: &Expr) -> Option<bool> {
        expr::truth(
            e,
            &Env {
                params: &self.on,
                fields: &self.no_fields,
                names: self.model,
            },
        )
    }

    /// The one way to make a failing constraint hold, or why there is not exactly one.
    fn repair(&self, c: &Constraint) -> Result<Way, ResolveError> {
        let ways = self.ways(&c.expr, true);
        let (viable, blocked): (Vec<Way>, Vec<Way>) = ways
            .into_iter()
            .partition(|w| w.iter().all(|&p| self.allowed(p)));
        match viable.len() {
            1 => return Ok(viable.into_iter().next().unwrap_or_default()),
            0 => {}
            _ => {
                let list: Vec<String> = viable.iter().map(|w| self.names(w, "+")).collect();
                return Err(self.error(
                    ErrorKind::OpenChoice,
                    c,
                    format!(
                        "needs one of {}, and the spec does not say which",
                        list.join(", ")
                    ),
                ));
            }
        }
        // Nothing viable: say what blocks it, a missing version first.
        let atoms: BTreeSet<ParamId> = blocked.iter().flatten().copied().collect();
        let version = atoms.iter().find_map(|&p| {
            if is_version(&self.model.params[p]) && self.fixed_off[p] {
                Some(p)
            } else {
                self.needs_version[p].filter(|&v| self.fixed_off[v])
            }
        });
        if let Some(v) = version {
            let name = &self.model.params[v];
            let mut why = format!(
                "requires {name} ({}), newer than the spec's {}",
                version_spelling(name),
                self.spec_version
            );
            if !atoms.contains(&v) {
                let needing: Vec<&str> = atoms
                    .iter()
                    .filter(|&&p| self.needs_version[p] == Some(v))
                    .map(|&p| self.model.params[p].as_str())
                    .collect();
                why = format!("needs {}, which {why}", needing.join(" or "));
            }
            return Err(self.error(ErrorKind::NeedsVersion, c, why));
        }
        if let Some(&removed) = atoms.iter().find(|&&p| self.fixed_off[p]) {
            return Err(self.error(
                ErrorKind::Removed,
                c,
                format!(
                    "requires {}, which the spec removes",
                    self.model.params[removed]
                ),
            ));
        }
        Err(self.error(ErrorKind::Conflict, c, "cannot hold".into()))
    }

    fn allowed(&self, p: ParamId) -> bool {
        !self.fixed_off[p] && self.needs_version[p].is_none_or(|v| !self.fixed_off[v])
    }

    /// The minimal sets of parameters whose addition makes `e` evaluate to `want`. An operand
    /// that reads register fields counts as satisfiable: the fields are chosen afterwards.
    fn ways(&self, e: &Expr, want: bool) -> Vec<Way> {
        match self.truth(e) {
            Some(b) if b == want => return vec![Way::new()],
            None if !mentions_param(e) => return vec![Way::new()],
            _ => {}
        }
        match e {
            Expr::Param(p) if want => vec![Way::from([*p])],
            Expr::Not(a) => self.ways(a, !want),
            Expr::Bin(op @ (BinOp::And | BinOp::Or), l, r) => {
                let (l, r) = (self.ways(l, want), self.ways(r, want));
                // `a && b` holds if both do; it fails if either does. Dually for `||`.
                if (*op == BinOp::And) == want {
                    product(&l, &r)
                } else {
                    union(l, r)
                }
            }
            Expr::Bin(BinOp::Implies, l, r) => {
                if want {
                    // The right-hand side is what the constraint asks for; making the left false
                    // is only the way out when the right cannot hold (`v8Ap4 && !FEAT_FHM -->
                    // !FEAT_FP16` with FEAT_FP16 on adds FEAT_FHM).
                    let forced = self.ways(r, true);
                    if forced.is_empty() {
                        self.ways(l, false)
                    } else {
                        forced
                    }
                } else {
                    product(&self.ways(l, true), &self.ways(r, false))
                }
            }
            Expr::Bin(BinOp::Iff, l, r) => {
                let same = product(&self.ways(l, true), &self.ways(r, want));
                let other = product(&self.ways(l, false), &self.ways(r, !want));
                union(same, other)
            }
            _ => Vec::new(),
        }
    }

    fn names(&self, way: &Way, sep: &str) -> String {
        let names: Vec<&str> = way.iter().map(|&p| self.model.params[p].as_str()).collect();
        names.join(sep)
    }

    /// An error about constraint `c`, naming the features that set it off.
    fn error(&self, kind: ErrorKind, c: &Constraint, what: String) -> ResolveError {
        let mut on_feats = BTreeSet::new();
        let mut on_versions = BTreeSet::new();
        // In `A --> B` the parameters of A are the ones that ask for B.
        let asking = match &c.expr {
            Expr::Bin(BinOp::Implies, l, _) => &**l,
            e => e,
        };
        expr::walk(asking, &mut |node| {
            if let Expr::Param(p) = node
                && self.on[*p]
            {
                if is_version(&self.model.params[*p]) {
                    on_versions.insert(*p);
                } else {
                    on_feats.insert(*p);
                }
            }
        });
        let subject = if !on_feats.is_empty() {
            let mut s = self.names(&on_feats, " and ");
            let first = on_feats.iter().next().copied();
            if on_feats.len() == 1
                && let Some(ci) = first.and_then(|p| self.why[p])
            {
                s.push_str(&format!(
                    " (needed by {})",
                    self.model.owner_name(&self.model.constraints[ci])
                ));
            }
            s
        } else if let Some(&v) = on_versions.iter().max() {
            version_spelling(&self.model.params[v])
        } else {
            self.model.owner_name(c).to_string()
        };
        let message = format!(
            "{subject} {what} (constraint `{}`)",
            self.model.render(&c.expr)
        );
        ResolveError { kind, message }
    }
}

fn mentions_param(e: &Expr) -> bool {
    let mut found = false;
    expr::walk(e, &mut |node| found |= matches!(node, Expr::Param(_)));
    found
}

pub(crate) fn is_version(name: &str) -> bool {
    name.starts_with('v') && name.contains("Ap")
}

/// `v9Ap1` as a spec spells it: `v9.1`.
pub(crate) fn version_spelling(name: &str) -> String {
    name.replacen("Ap", ".", 1)
}

fn union(mut a: Vec<Way>, b: Vec<Way>) -> Vec<Way> {
    a.extend(b);
    minimize(a)
}

fn product(a: &[Way], b: &[Way]) -> Vec<Way> {
    let mut out = Vec::new();
    for x in a {
        for y in b {
            out.push(x.union(y).copied().collect());
            if out.len() > MAX_WAYS * MAX_WAYS {
                break;
            }
        }
    }
    minimize(out)
}

/// Drops duplicate ways and any way that adds more than another one does.
fn minimize(mut ways: Vec<Way>) -> Vec<Way> {
    ways.sort_by_key(|w| w.len());
    let mut out: Vec<Way> = Vec::new();
    for w in ways {
        if !out.iter().any(|o| o.is_subset(&w)) {
            out.push(w);
        }
    }
    out.truncate(MAX_WAYS);
    out
}
