//! The feature model as loaded from the two compiled-in tables: Arm's parameters and constraints
//! (`features.txt`, derived from Features.json) and our register layouts (`id-registers.txt`).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::expr::{self, Expr, FieldId, Names, ParamId};

pub(crate) const FEATURES_TXT: &str = include_str!("../../data/features.txt");
pub(crate) const ID_REGISTERS_TXT: &str = include_str!("../../data/id-registers.txt");

/// Where a field sits in its register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Layout {
    pub register: String,
    pub field: String,
    pub lsb: u32,
    pub width: u32,
    /// Signed ID fields use negative values (0b1111) for "not implemented".
    pub signed: bool,
}

impl Layout {
    pub fn mask(&self) -> u64 {
        (u64::MAX >> (64 - self.width)) << self.lsb
    }
}

#[derive(Debug)]
pub(crate) struct Constraint {
    /// The parameter Arm lists it under; `None` for the global constraints.
    pub owner: Option<ParamId>,
    pub expr: Expr,
    /// The derived fields it reads, sorted.
    pub fields: Vec<FieldId>,
}

#[derive(Debug)]
pub(crate) struct Model {
    pub params: Vec<String>,
    by_name: HashMap<String, ParamId>,
    pub layouts: Vec<Layout>,
    by_field: HashMap<(String, String), FieldId>,
    pub constraints: Vec<Constraint>,
    /// Register names in byte order, with their fields.
    pub registers: BTreeMap<String, Vec<FieldId>>,
    /// Names the constraints use that are not parameters.
    pub undefined: BTreeSet<String>,
}

impl Names for Model {
    fn param(&self, name: &str) -> Option<ParamId> {
        self.by_name.get(name).copied()
    }
    fn field(&self, reg: &str, field: &str) -> Option<FieldId> {
        self.by_field
            .get(&(reg.to_string(), field.to_string()))
            .copied()
    }
    fn param_name(&self, id: ParamId) -> &str {
        self.params.get(id).map_or("?", String::as_str)
    }
    fn field_name(&self, id: FieldId) -> (&str, &str) {
        self.layouts
            .get(id)
            .map_or(("?", "?"), |l| (l.register.as_str(), l.field.as_str()))
    }
    fn field_width(&self, id: FieldId) -> u32 {
        self.layouts.get(id).map_or(0, |l| l.width)
    }
}

impl Model {
    /// A model with nothing in it, in which every spec fails to resolve.
    pub fn empty() -> Model {
        Model {
            params: Vec::new(),
            by_name: HashMap::new(),
            layouts: Vec::new(),
            by_field: HashMap::new(),
            constraints: Vec::new(),
            registers: BTreeMap::new(),
            undefined: BTreeSet::new(),
        }
    }

    pub fn parse(features: &str, id_registers: &str) -> Result<Model, String> {
        let layouts = parse_layouts(id_registers)?;
        let mut by_field = HashMap::new();
        let mut registers: BTreeMap<String, Vec<FieldId>> = BTreeMap::new();
        for (i, l) in layouts.iter().enumerate() {
            if by_field
                .insert((l.register.clone(), l.field.clone()), i)
                .is_some()
            {
                return Err(format!(
                    "id-registers: {}.{} is listed twice",
                    l.register, l.field
                ));
            }
            registers.entry(l.register.clone()).or_default().push(i);
        }

        // First the names, so that a constraint may mention a parameter defined further down.
        let mut params = Vec::new();
        let mut by_name = HashMap::new();
        for line in features.lines() {
            if let Some(name) = line.strip_prefix("parameter ") {
                if by_name.insert(name.to_string(), params.len()).is_some() {
                    return Err(format!("features: parameter {name} is defined twice"));
                }
                params.push(name.to_string());
            }
        }
        let mut model = Model {
            params,
            by_name,
            layouts,
            by_field,
            constraints: Vec::new(),
            registers,
            undefined: BTreeSet::new(),
        };

        let mut owner: Option<Option<ParamId>> = None;
        let mut missing = BTreeSet::new();
        for (n, line) in features.lines().enumerate() {
            let err = |e: String| format!("features.txt line {}: {e}", n + 1);
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            } else if line == "global" {
                owner = Some(None);
            } else if let Some(name) = line.strip_prefix("parameter ") {
                owner = Some(model.param(name));
            } else if let Some(text) = line.strip_prefix("    ") {
                let Some(owner) = owner else {
                    return Err(err("constraint outside a block".into()));
                };
                let e = match expr::parse(text, &model) {
                    Ok(e) => e,
                    Err(e) if e.starts_with("no layout for ") => {
                        missing.insert(e.trim_start_matches("no layout for ").to_string());
                        continue;
                    }
                    Err(e) => return Err(err(e)),
                };
                expr::check_condition(&e, &model).map_err(err)?;
                let mut fields = BTreeSet::new();
                expr::walk(&e, &mut |node| match node {
                    Expr::Field(f) => {
                        fields.insert(*f);
                    }
                    Expr::Outside(name) if !name.contains(['.', ':']) => {
                        model.undefined.insert(name.clone());
                    }
                    _ => {}
                });
                let fields = fields.into_iter().collect();
                model.constraints.push(Constraint {
                    owner,
                    expr: e,
                    fields,
                });
            } else {
                return Err(err(format!("unexpected line: {line}")));
            }
        }
        if !missing.is_empty() {
            let list: Vec<_> = missing.into_iter().collect();
            return Err(format!("fields without a layout: {}", list.join(", ")));
        }
        Ok(model)
    }

    pub fn render(&self, e: &Expr) -> String {
        expr::render(e, self)
    }

    pub fn owner_name(&self, c: &Constraint) -> &str {
        c.owner.map_or("(global)", |p| self.param_name(p))
    }
}

/// Parses `id-registers.txt`: `REGISTER FIELD msb[:lsb] signed|unsigned` a line.
pub(crate) fn parse_layouts(text: &str) -> Result<Vec<Layout>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let err = |what: &str| format!("id-registers.txt line {}: {what}: {line}", n + 1);
        let cols: Vec<&str> = line.split_whitespace().collect();
        let [register, field, bits, sign] = cols[..] else {
            return Err(err("expected 4 columns"));
        };
        let num = |s: &str| s.parse::<u32>().map_err(|_| err("bad bit number"));
        let (msb, lsb) = match bits.split_once(':') {
            Some((m, l)) => (num(m)?, num(l)?),
            None => (num(bits)?, num(bits)?),
        };
        if msb > 63 || lsb > msb {
            return Err(err("bits out of order or beyond 63"));
        }
        let signed = match sign {
            "signed" => true,
            "unsigned" => false,
            _ => return Err(err("signedness is `signed` or `unsigned`")),
        };
        out.push(Layout {
            register: register.to_string(),
            field: field.to_string(),
            lsb,
            width: msb - lsb + 1,
            signed,
        });
    }
    Ok(out)
}
