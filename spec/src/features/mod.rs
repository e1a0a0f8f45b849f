//! The CPU feature model: which FEAT_ names exist, what a CPU spec such as `v9.1,+FEAT_RME,
//! +FEAT_RNG` resolves to under Arm's constraints (AARCHMRS Features.json, 2025-03), and the ID
//! register values those features imply.
//!
//! Resolution, in order:
//! - `vX.Y` starts from the architecture version and everything it makes mandatory, plus what
//!   every CPU we model has: FEAT_FP, FEAT_AdvSIMD, AArch64 at all four Exception levels with
//!   Secure state (FEAT_AA64EL0..3, FEAT_Secure), all three translation granules, and
//!   FEAT_PACQARMA5 where the version requires pointer authentication;
//! - `+FEAT_X` adds X; `-FEAT_X` drops X from that starting set;
//! - the closure adds whatever the constraints force (see `closure`). It never adds a version:
//!   needing a newer one than the spec names is an error naming it, reported before any other.
//!   A removed feature the closure still forces, or a choice nothing decides, is an error too;
//! - every other optional feature is off;
//! - the register fields the constraints tie to features are solved (see `fields`).
//!
//! Constraints on registers outside the PE (`PMU.…`, `ext:EDPFR.…`, AArch32 views) are never
//! taken as true: when their value decides them they are listed in [`Resolved::unevaluated`].
//!
//! This resolves against the architecture alone, not against what the model implements.

mod closure;
mod expr;
mod fields;
mod model;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use model::Model;

/// Features every resolved CPU starts with, whatever its version.
const BASE: [&str; 11] = [
    "FEAT_FP",
    "FEAT_AdvSIMD",
    "FEAT_AA64EL0",
    "FEAT_AA64EL1",
    "FEAT_AA64EL2",
    "FEAT_AA64EL3",
    "FEAT_Secure",
    "FEAT_TGran4K",
    "FEAT_TGran16K",
    "FEAT_TGran64K",
    // Stands for "no PAuth algorithm chosen" until a version makes FEAT_PAuth mandatory: see
    // `starting_set`.
    "FEAT_PACQARMA5",
];

/// An architecture version a spec can name: `v8.0`..`v8.9`, `v9.0`..`v9.6`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub major: u8,
    pub minor: u8,
}

impl Version {
    /// Every version Features.json knows, oldest first within each major version.
    pub fn all() -> Vec<Version> {
        let mut out: Vec<Version> = model()
            .params
            .iter()
            .filter_map(|p| Version::from_param(p))
            .collect();
        out.sort();
        out
    }

    /// Arm's parameter name: `v9Ap1`.
    pub fn param_name(self) -> String {
        format!("v{}Ap{}", self.major, self.minor)
    }

    fn from_param(name: &str) -> Option<Version> {
        let (major, minor) = name.strip_prefix('v')?.split_once("Ap")?;
        Some(Version {
            major: major.parse().ok()?,
            minor: minor.parse().ok()?,
        })
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}.{}", self.major, self.minor)
    }
}

/// A CPU spec: an architecture version, then features added (`+FEAT_X`) and removed (`-FEAT_X`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpuSpec {
    pub version: Version,
    pub add: Vec<String>,
    pub remove: Vec<String>,
}

impl CpuSpec {
    /// Parses `v9.1,+FEAT_RME,-FEAT_SVE`. Every name must be a FEAT_ name of Features.json.
    pub fn parse(text: &str) -> Result<CpuSpec, ResolveError> {
        let mut parts = text.split(',').map(str::trim);
        let first = parts.next().unwrap_or("");
        let version = parse_version(first).ok_or_else(|| {
            let all = Version::all();
            let range = |m: u8| {
                let v: Vec<_> = all.iter().filter(|v| v.major == m).collect();
                match (v.first(), v.last()) {
                    (Some(a), Some(b)) => format!("{a}..{b}"),
                    _ => String::new(),
                }
            };
            ResolveError::new(
                ErrorKind::Syntax,
                format!(
                    "`{first}` is not an architecture version ({} or {})",
                    range(8),
                    range(9)
                ),
            )
        })?;
        let mut spec = CpuSpec {
            version,
            add: Vec::new(),
            remove: Vec::new(),
        };
        for part in parts {
            let (list, name) = if let Some(name) = part.strip_prefix('+') {
                (&mut spec.add, name)
            } else if let Some(name) = part.strip_prefix('-') {
                (&mut spec.remove, name)
            } else {
                return Err(ResolveError::new(
                    ErrorKind::Syntax,
                    format!("`{part}` should be +FEAT_NAME or -FEAT_NAME"),
                ));
            };
            if !is_known_feature(name) {
                let what = if model().params.iter().any(|p| p == name) {
                    "is an architecture version: name it first, as vX.Y"
                } else {
                    "is not a feature of Arm's feature model (Features.json)"
                };
                return Err(ResolveError::new(
                    ErrorKind::UnknownName,
                    format!("{name} {what}"),
                ));
            }
            list.push(name.to_string());
        }
        if let Some(both) = spec.add.iter().find(|a| spec.remove.contains(a)) {
            return Err(ResolveError::new(
                ErrorKind::Syntax,
                format!("{both} is both added and removed"),
            ));
        }
        Ok(spec)
    }
}

impl FromStr for CpuSpec {
    type Err = ResolveError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CpuSpec::parse(s)
    }
}

fn parse_version(text: &str) -> Option<Version> {
    let (major, minor) = text.strip_prefix('v')?.split_once('.')?;
    if minor.len() != 1 {
        return None;
    }
    let v = Version {
        major: major.parse().ok()?,
        minor: minor.parse().ok()?,
    };
    model().params.contains(&v.param_name()).then_some(v)
}

/// What a spec resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    features: BTreeSet<&'static str>,
    id_registers: Vec<(&'static str, u64)>,
    unevaluated: Vec<Unevaluated>,
}

/// A constraint that reads a register outside the PE and so was not evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unevaluated {
    /// The parameter Arm lists it under, or `(global)`.
    pub owner: &'static str,
    /// The constraint as in `spec/data/features.txt`.
    pub constraint: String,
}

impl Resolved {
    /// The FEAT_ names implemented, in byte order (architecture versions are not listed).
    pub fn features(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.features.iter().copied()
    }

    pub fn has(&self, feature: &str) -> bool {
        self.features.contains(feature)
    }

    /// Every register the constraints read fields of, by name, with the derived value. Only the
    /// fields the constraints tie to features are set; the rest read as zero.
    pub fn id_registers(&self) -> &[(&'static str, u64)] {
        &self.id_registers
    }

    pub fn id_register(&self, name: &str) -> Option<u64> {
        self.id_registers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
    }

    /// The derived value of one field, `None` if we have no layout for it.
    pub fn id_field(&self, register: &str, field: &str) -> Option<u64> {
        let m = model();
        let l = m
            .layouts
            .iter()
            .find(|l| l.register == register && l.field == field)?;
        Some((self.id_register(register)? & l.mask()) >> l.lsb)
    }

    /// Constraints whose truth depends on registers outside the PE, in features.txt order.
    pub fn unevaluated(&self) -> &[Unevaluated] {
        &self.unevaluated
    }
}

/// Why a spec does not resolve. Its Display is one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveError {
    pub kind: ErrorKind,
    message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The spec is not `vX.Y` followed by `,+FEAT_X` / `,-FEAT_X`.
    Syntax,
    /// A name that is not a FEAT_ name of Features.json.
    UnknownName,
    /// A feature needs a newer architecture version than the spec names.
    NeedsVersion,
    /// A feature the spec removes is still forced.
    Removed,
    /// The constraints leave a choice between features that nothing in the spec decides.
    OpenChoice,
    /// Features the spec asks for exclude each other.
    Conflict,
    /// No ID register values satisfy the constraints (or the compiled-in tables are broken).
    Registers,
}

impl ResolveError {
    fn new(kind: ErrorKind, message: String) -> Self {
        ResolveError { kind, message }
    }
}

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ResolveError {}

/// Every FEAT_ name in Features.json, in byte order.
pub fn known_features() -> impl Iterator<Item = &'static str> {
    model()
        .params
        .iter()
        .map(String::as_str)
        .filter(|p| p.starts_with("FEAT_"))
}

/// Whether `name` is a FEAT_ name of Features.json.
pub fn is_known_feature(name: &str) -> bool {
    name.starts_with("FEAT_") && model().params.iter().any(|p| p == name)
}

/// Parses and resolves a spec in one step.
pub fn resolve_str(spec: &str) -> Result<Resolved, ResolveError> {
    resolve(&CpuSpec::parse(spec)?)
}

/// Resolves a spec against the architecture's constraints.
pub fn resolve(spec: &CpuSpec) -> Result<Resolved, ResolveError> {
    let m = model();
    let id = |name: &str| {
        m.params.iter().position(|p| p == name).ok_or_else(|| {
            ResolveError::new(
                ErrorKind::UnknownName,
                format!("{name} is not in Features.json"),
            )
        })
    };
    let (start, fixed_off) = starting_set(m, spec, &id)?;
    let version = spec.version.to_string();
    let close = |extra: &Ids| -> Result<Vec<bool>, ResolveError> {
        let start: Ids = start.union(extra).copied().collect();
        let mut closure = closure::Closure::new(m, &start, &fixed_off, version.clone());
        closure.run()?;
        Ok(closure.on)
    };

    // Fields can tie features together where no constraint on the features alone does
    // (FEAT_HDBSS needs ID_AA64MMFR1_EL1.HAFDBS >= 4, which also says FEAT_HAFT). When a group
    // of fields has no solution, the one feature whose addition gives it one is forced too;
    // several such features are an open choice.
    let mut extra = Ids::new();
    let (on, values) = loop {
        let on = close(&extra)?;
        let unsat = match fields::solve(m, &on) {
            Ok(values) => break (on, values),
            Err(unsat) => unsat,
        };
        let mut fixes = Vec::new();
        for &p in &unsat.params {
            if on[p] || fixed_off.contains(&p) || closure::is_version(&m.params[p]) {
                continue;
            }
            let mut trial = extra.clone();
            trial.insert(p);
            if let Ok(on) = close(&trial)
                && fields::solve(m, &on).map_or_else(|u| u.fields != unsat.fields, |_| true)
            {
                fixes.push(p);
            }
        }
        match fixes[..] {
            [p] => {
                extra.insert(p);
            }
            [] => return Err(ResolveError::new(ErrorKind::Registers, unsat.message)),
            _ => {
                let names: Vec<&str> = fixes.iter().map(|&p| m.params[p].as_str()).collect();
                return Err(ResolveError::new(
                    ErrorKind::OpenChoice,
                    format!(
                        "{}: it needs one of {}, and the spec does not say which",
                        unsat.message,
                        names.join(", ")
                    ),
                ));
            }
        }
    };

    let known: Vec<Option<u64>> = values.iter().map(|&v| Some(v)).collect();
    let env = expr::Env {
        params: &on,
        fields: &known,
        names: m,
    };
    let mut unevaluated = Vec::new();
    for c in &m.constraints {
        match expr::truth(&c.expr, &env) {
            Some(true) => {}
            Some(false) => {
                return Err(ResolveError::new(
                    ErrorKind::Registers,
                    format!("derived ID registers break `{}`", m.render(&c.expr)),
                ));
            }
            None => unevaluated.push(Unevaluated {
                owner: c.owner.map_or("(global)", |p| m.params[p].as_str()),
                constraint: m.render(&c.expr),
            }),
        }
    }

    let features = (0..on.len())
        .filter(|&p| on[p] && m.params[p].starts_with("FEAT_"))
        .map(|p| m.params[p].as_str())
        .collect();
    let id_registers = m
        .registers
        .iter()
        .map(|(name, fields)| {
            let value = fields
                .iter()
                .fold(0u64, |acc, &f| acc | values[f] << m.layouts[f].lsb);
            (name.as_str(), value)
        })
        .collect();
    Ok(Resolved {
        features,
        id_registers,
        unevaluated,
    })
}

type Ids = BTreeSet<usize>;

/// The parameters the closure starts from, and those it may never add.
fn starting_set(
    m: &Model,
    spec: &CpuSpec,
    id: &dyn Fn(&str) -> Result<usize, ResolveError>,
) -> Result<(Ids, Ids), ResolveError> {
    // The spec's version and the versions it includes, by the version-only constraints
    // (`v9Ap1 --> (v9Ap0 && v8Ap6)`).
    let mut versions = Ids::from([id(&spec.version.param_name())?]);
    loop {
        let before = versions.len();
        for c in &m.constraints {
            if let expr::Expr::Bin(expr::BinOp::Implies, l, r) = &c.expr
                && let expr::Expr::Param(v) = &**l
                && versions.contains(v)
            {
                expr::walk(r, &mut |node| {
                    if let expr::Expr::Param(p) = node
                        && closure::is_version(&m.params[*p])
                    {
                        versions.insert(*p);
                    }
                });
            }
        }
        if versions.len() == before {
            break;
        }
    }
    let mut fixed_off: Ids = (0..m.params.len())
        .filter(|p| closure::is_version(&m.params[*p]) && !versions.contains(p))
        .collect();

    let pauth = id("FEAT_PAuth")?;
    let pauth_required = m.constraints.iter().any(|c| {
        matches!(&c.expr, expr::Expr::Bin(expr::BinOp::Implies, l, r)
            if matches!((&**l, &**r), (expr::Expr::Param(v), expr::Expr::Param(p)) if versions.contains(v) && *p == pauth))
    });
    let mut start = versions;
    for name in BASE {
        if name != "FEAT_PACQARMA5" || pauth_required {
            start.insert(id(name)?);
        }
    }
    for name in &spec.add {
        start.insert(id(name)?);
    }
    for name in &spec.remove {
        let p = id(name)?;
        start.remove(&p);
        fixed_off.insert(p);
    }
    Ok((start, fixed_off))
}

/// The model, parsed once from the compiled-in tables.
fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        // The tables are compiled in and a test parses them, so a failure here is a build
        // defect, not bad input; an empty model then makes every spec fail to resolve.
        Model::parse(model::FEATURES_TXT, model::ID_REGISTERS_TXT)
            .unwrap_or_else(|_| Model::empty())
    })
}
