//! The expression language of Arm's feature constraints, as `cargo xtask derive-features` prints
//! it into `features.txt`: the syntax tree, its parser and printer, and a three-valued evaluator.
//!
//! Evaluation is three-valued because some operands are not known: a register field we have not
//! chosen yet, or a register outside the PE (`PMU.…`, `ext:EDPFR.…`) that we never model. Unknown
//! is never read as true; `FALSE && unknown` is still false and `TRUE || unknown` still true.

use std::fmt::Write;

pub(crate) type ParamId = usize;
pub(crate) type FieldId = usize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Implies,
    Iff,
    And,
    Or,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
}

const OPS: [(&str, BinOp); 11] = [
    ("-->", BinOp::Implies),
    ("<->", BinOp::Iff),
    ("&&", BinOp::And),
    ("||", BinOp::Or),
    ("==", BinOp::Eq),
    ("!=", BinOp::Ne),
    ("<=", BinOp::Le),
    (">=", BinOp::Ge),
    ("<", BinOp::Lt),
    (">", BinOp::Gt),
    ("IN", BinOp::In),
];

impl BinOp {
    fn text(self) -> &'static str {
        OPS.iter()
            .find(|(_, op)| *op == self)
            .map_or("?", |(t, _)| t)
    }
}

/// A bit-string with don't-care bits: `'1x0'`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bits {
    pub value: u64,
    /// The bits that must match; a `x` clears its bit here.
    pub care: u64,
    pub width: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    Bool(bool),
    Int(i64),
    Bits(Bits),
    Param(ParamId),
    /// A field of a register whose layout we have, so whose value we derive.
    Field(FieldId),
    /// A register field outside what we derive (another state, an external interface, another
    /// component), or a name Features.json uses without defining it, kept as written. It always
    /// evaluates to unknown.
    Outside(String),
    UInt(Box<Expr>),
    SInt(Box<Expr>),
    Set(Vec<Expr>),
    Not(Box<Expr>),
    Bin(BinOp, Box<Expr>, Box<Expr>),
}

/// How the parser and printer turn names into ids and back.
pub(crate) trait Names {
    fn param(&self, name: &str) -> Option<ParamId>;
    /// The field `reg.field` of an AArch64 System register, if we have its layout.
    fn field(&self, reg: &str, field: &str) -> Option<FieldId>;
    fn param_name(&self, id: ParamId) -> &str;
    fn field_name(&self, id: FieldId) -> (&str, &str);
    fn field_width(&self, id: FieldId) -> u32;
}

// ---------------------------------------------------------------------------------------------
// Parsing

/// Parses one constraint line. Every nested binary operation must be parenthesized, which is how
/// the generator prints them, so there is no precedence to get wrong.
pub(crate) fn parse(text: &str, names: &dyn Names) -> Result<Expr, String> {
    let mut p = Parser {
        s: text.as_bytes(),
        pos: 0,
        names,
    };
    let e = p.expr()?;
    p.skip_ws();
    if p.pos != p.s.len() {
        return Err(format!("unexpected text at column {}", p.pos + 1));
    }
    Ok(e)
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
    names: &'a dyn Names,
}

impl Parser<'_> {
    fn skip_ws(&mut self) {
        while self.pos < self.s.len() && self.s[self.pos] == b' ' {
            self.pos += 1;
        }
    }

    fn eat(&mut self, tok: &str) -> bool {
        self.skip_ws();
        if self.s[self.pos..].starts_with(tok.as_bytes()) {
            self.pos += tok.len();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, tok: &str) -> Result<(), String> {
        if self.eat(tok) {
            Ok(())
        } else {
            Err(format!("expected `{tok}` at column {}", self.pos + 1))
        }
    }

    fn expr(&mut self) -> Result<Expr, String> {
        let left = self.unary()?;
        self.skip_ws();
        for (tok, op) in OPS {
            if self.eat(tok) {
                let right = self.unary()?;
                return Ok(Expr::Bin(op, Box::new(left), Box::new(right)));
            }
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if self.eat("!") {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.eat("(") {
            let e = self.expr()?;
            self.expect(")")?;
            return Ok(e);
        }
        if self.eat("{") {
            let mut items = Vec::new();
            if !self.eat("}") {
                loop {
                    items.push(self.expr()?);
                    if self.eat("}") {
                        break;
                    }
                    self.expect(",")?;
                }
            }
            return Ok(Expr::Set(items));
        }
        if self.eat("'") {
            return self.bits();
        }
        self.skip_ws();
        let start = self.pos;
        if self.pos < self.s.len() && self.s[self.pos].is_ascii_digit() {
            while self.pos < self.s.len() && self.s[self.pos].is_ascii_digit() {
                self.pos += 1;
            }
            let text = std::str::from_utf8(&self.s[start..self.pos]).unwrap_or("");
            return text
                .parse()
                .map(Expr::Int)
                .map_err(|e| format!("{text}: {e}"));
        }
        let word = self.word()?;
        match word.as_str() {
            "TRUE" => return Ok(Expr::Bool(true)),
            "FALSE" => return Ok(Expr::Bool(false)),
            "UInt" | "SInt" => {
                self.expect("(")?;
                let arg = Box::new(self.expr()?);
                self.expect(")")?;
                return Ok(if word == "UInt" {
                    Expr::UInt(arg)
                } else {
                    Expr::SInt(arg)
                });
            }
            _ => {}
        }
        if word.contains(':') {
            // `ext:REG.FIELD`, `AArch32:REG.FIELD`: another state's view, never derived here.
            return Ok(Expr::Outside(word));
        }
        let parts: Vec<&str> = word.split('.').collect();
        match parts[..] {
            // Features.json mentions a few names it never defines (FEAT_RASSA): nothing says
            // what they are, so they are as unknown as an outside register.
            [name] => Ok(self
                .names
                .param(name)
                .map_or_else(|| Expr::Outside(word.clone()), Expr::Param)),
            [reg, field] => self
                .names
                .field(reg, field)
                .map(Expr::Field)
                .ok_or_else(|| {
                    format!("no layout for {reg}.{field} in spec/data/id-registers.txt")
                }),
            _ => Ok(Expr::Outside(word)),
        }
    }

    fn word(&mut self) -> Result<String, String> {
        let start = self.pos;
        while self.pos < self.s.len()
            && (self.s[self.pos].is_ascii_alphanumeric() || b"_.:".contains(&self.s[self.pos]))
        {
            self.pos += 1;
        }
        if start == self.pos {
            return Err(format!("expected a name at column {}", self.pos + 1));
        }
        Ok(String::from_utf8_lossy(&self.s[start..self.pos]).into_owned())
    }

    fn bits(&mut self) -> Result<Expr, String> {
        let (mut value, mut care, mut width) = (0u64, 0u64, 0u32);
        loop {
            let Some(&c) = self.s.get(self.pos) else {
                return Err("unterminated bit-string".into());
            };
            self.pos += 1;
            let (v, k) = match c {
                b'\'' => break,
                b'0' => (0, 1),
                b'1' => (1, 1),
                b'x' => (0, 0),
                _ => {
                    return Err(format!(
                        "bad character in bit-string at column {}",
                        self.pos
                    ));
                }
            };
            if width == 64 {
                return Err("bit-string wider than 64 bits".into());
            }
            value = value << 1 | v;
            care = care << 1 | k;
            width += 1;
        }
        if width == 0 {
            return Err("empty bit-string".into());
        }
        Ok(Expr::Bits(Bits { value, care, width }))
    }
}

// ---------------------------------------------------------------------------------------------
// Printing

/// Prints an expression the way the generator does, so a constraint reads as in features.txt.
pub(crate) fn render(e: &Expr, names: &dyn Names) -> String {
    let mut s = String::new();
    write_expr(&mut s, e, names, false);
    s
}

fn write_expr(s: &mut String, e: &Expr, names: &dyn Names, nested: bool) {
    match e {
        Expr::Bool(b) => s.push_str(if *b { "TRUE" } else { "FALSE" }),
        Expr::Int(i) => {
            let _ = write!(s, "{i}");
        }
        Expr::Bits(b) => {
            s.push('\'');
            for i in (0..b.width).rev() {
                s.push(match (b.care >> i & 1, b.value >> i & 1) {
                    (0, _) => 'x',
                    (_, 1) => '1',
                    _ => '0',
                });
            }
            s.push('\'');
        }
        Expr::Param(p) => s.push_str(names.param_name(*p)),
        Expr::Field(f) => {
            let (reg, field) = names.field_name(*f);
            let _ = write!(s, "{reg}.{field}");
        }
        Expr::Outside(text) => s.push_str(text),
        Expr::UInt(a) | Expr::SInt(a) => {
            s.push_str(if matches!(e, Expr::UInt(_)) {
                "UInt("
            } else {
                "SInt("
            });
            write_expr(s, a, names, false);
            s.push(')');
        }
        Expr::Set(items) => {
            s.push('{');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                write_expr(s, item, names, true);
            }
            s.push('}');
        }
        Expr::Not(a) => {
            s.push('!');
            write_expr(s, a, names, true);
        }
        Expr::Bin(op, l, r) => {
            if nested {
                s.push('(');
            }
            write_expr(s, l, names, true);
            let _ = write!(s, " {} ", op.text());
            write_expr(s, r, names, true);
            if nested {
                s.push(')');
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Types

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Bool,
    Int,
    Bits(u32),
    /// An outside register: its shape is not ours to know.
    Any,
}

/// Checks that `e` is a well-typed condition, so that evaluation never meets a mismatch it would
/// have to guess about.
pub(crate) fn check_condition(e: &Expr, names: &dyn Names) -> Result<(), String> {
    match ty(e, names)? {
        Ty::Bool | Ty::Any => Ok(()),
        other => Err(format!("a constraint of type {other:?} is not a condition")),
    }
}

fn ty(e: &Expr, names: &dyn Names) -> Result<Ty, String> {
    let want = |e: &Expr, t: Ty| -> Result<(), String> {
        let got = ty(e, names)?;
        if got == t || got == Ty::Any {
            Ok(())
        } else {
            Err(format!("expected {t:?}, found {got:?}"))
        }
    };
    Ok(match e {
        Expr::Bool(_) | Expr::Param(_) => Ty::Bool,
        Expr::Int(_) => Ty::Int,
        Expr::Bits(b) => Ty::Bits(b.width),
        Expr::Field(f) => Ty::Bits(names.field_width(*f)),
        Expr::Outside(_) => Ty::Any,
        Expr::UInt(a) | Expr::SInt(a) => match ty(a, names)? {
            Ty::Bits(_) | Ty::Any => Ty::Int,
            other => return Err(format!("UInt/SInt of {other:?}")),
        },
        Expr::Set(_) => return Err("a set outside IN".into()),
        Expr::Not(a) => {
            want(a, Ty::Bool)?;
            Ty::Bool
        }
        Expr::Bin(op, l, r) => match op {
            BinOp::Implies | BinOp::Iff | BinOp::And | BinOp::Or => {
                want(l, Ty::Bool)?;
                want(r, Ty::Bool)?;
                Ty::Bool
            }
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                want(l, Ty::Int)?;
                want(r, Ty::Int)?;
                Ty::Bool
            }
            BinOp::Eq | BinOp::Ne => {
                let (a, b) = (ty(l, names)?, ty(r, names)?);
                if a != b && a != Ty::Any && b != Ty::Any {
                    return Err(format!("comparing {a:?} with {b:?}"));
                }
                Ty::Bool
            }
            BinOp::In => {
                let a = ty(l, names)?;
                let Expr::Set(items) = &**r else {
                    return Err("IN without a set".into());
                };
                for item in items {
                    let b = ty(item, names)?;
                    if a != b && a != Ty::Any {
                        return Err(format!("{a:?} IN a set holding {b:?}"));
                    }
                }
                Ty::Bool
            }
        },
    })
}

// ---------------------------------------------------------------------------------------------
// Evaluation

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Val {
    Bool(bool),
    Int(i64),
    Bits(u64, u32),
    Unknown,
}

/// What an expression is evaluated against: every parameter is known (the feature model is
/// closed-world), a field may not be chosen yet.
pub(crate) struct Env<'a> {
    pub params: &'a [bool],
    pub fields: &'a [Option<u64>],
    pub names: &'a dyn Names,
}

/// The truth value of a condition: `None` when it depends on something unknown.
pub(crate) fn truth(e: &Expr, env: &Env) -> Option<bool> {
    match eval(e, env) {
        Val::Bool(b) => Some(b),
        _ => None,
    }
}

pub(crate) fn eval(e: &Expr, env: &Env) -> Val {
    match e {
        Expr::Bool(b) => Val::Bool(*b),
        Expr::Int(i) => Val::Int(*i),
        Expr::Bits(b) => Val::Bits(b.value, b.width),
        Expr::Param(p) => env.params.get(*p).map_or(Val::Unknown, |b| Val::Bool(*b)),
        Expr::Field(f) => match env.fields.get(*f).copied().flatten() {
            Some(v) => Val::Bits(v, env.names.field_width(*f)),
            None => Val::Unknown,
        },
        Expr::Outside(_) | Expr::Set(_) => Val::Unknown,
        Expr::UInt(a) => match eval(a, env) {
            Val::Bits(v, _) => i64::try_from(v).map_or(Val::Unknown, Val::Int),
            _ => Val::Unknown,
        },
        Expr::SInt(a) => match eval(a, env) {
            Val::Bits(v, w) => Val::Int(sign_extend(v, w)),
            _ => Val::Unknown,
        },
        Expr::Not(a) => match truth(a, env) {
            Some(b) => Val::Bool(!b),
            None => Val::Unknown,
        },
        Expr::Bin(op, l, r) => eval_bin(*op, l, r, env),
    }
}

fn eval_bin(op: BinOp, l: &Expr, r: &Expr, env: &Env) -> Val {
    let known = |b: Option<bool>| b.map_or(Val::Unknown, Val::Bool);
    match op {
        BinOp::And => match (truth(l, env), truth(r, env)) {
            (Some(false), _) | (_, Some(false)) => Val::Bool(false),
            (Some(true), Some(true)) => Val::Bool(true),
            _ => Val::Unknown,
        },
        BinOp::Or => match (truth(l, env), truth(r, env)) {
            (Some(true), _) | (_, Some(true)) => Val::Bool(true),
            (Some(false), Some(false)) => Val::Bool(false),
            _ => Val::Unknown,
        },
        BinOp::Implies => match (truth(l, env), truth(r, env)) {
            (Some(false), _) | (_, Some(true)) => Val::Bool(true),
            (Some(true), Some(false)) => Val::Bool(false),
            _ => Val::Unknown,
        },
        BinOp::Iff => match (truth(l, env), truth(r, env)) {
            (Some(a), Some(b)) => Val::Bool(a == b),
            _ => Val::Unknown,
        },
        BinOp::Eq | BinOp::Ne => {
            let eq = equal(eval(l, env), r, env);
            known(if op == BinOp::Eq { eq } else { eq.map(|b| !b) })
        }
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => match (eval(l, env), eval(r, env)) {
            (Val::Int(a), Val::Int(b)) => Val::Bool(match op {
                BinOp::Lt => a < b,
                BinOp::Le => a <= b,
                BinOp::Gt => a > b,
                _ => a >= b,
            }),
            _ => Val::Unknown,
        },
        BinOp::In => {
            let Expr::Set(items) = r else {
                return Val::Unknown;
            };
            let lhs = eval(l, env);
            let mut any_unknown = false;
            for item in items {
                match equal(lhs, item, env) {
                    Some(true) => return Val::Bool(true),
                    Some(false) => {}
                    None => any_unknown = true,
                }
            }
            if any_unknown {
                Val::Unknown
            } else {
                Val::Bool(false)
            }
        }
    }
}

/// Equality of a value with an expression; a bit-string pattern matches on its cared bits.
fn equal(a: Val, r: &Expr, env: &Env) -> Option<bool> {
    if let (Val::Bits(v, w), Expr::Bits(p)) = (a, r) {
        return (w == p.width).then_some(v & p.care == p.value & p.care);
    }
    match (a, eval(r, env)) {
        (Val::Int(x), Val::Int(y)) => Some(x == y),
        (Val::Bool(x), Val::Bool(y)) => Some(x == y),
        (Val::Bits(x, w), Val::Bits(y, v)) if w == v => Some(x == y),
        _ => None,
    }
}

pub(crate) fn sign_extend(v: u64, width: u32) -> i64 {
    if width == 0 || width >= 64 {
        return v as i64;
    }
    let shift = 64 - width;
    ((v << shift) as i64) >> shift
}

/// Calls `f` on every node of `e`, outermost first.
pub(crate) fn walk<'a>(e: &'a Expr, f: &mut dyn FnMut(&'a Expr)) {
    f(e);
    match e {
        Expr::UInt(a) | Expr::SInt(a) | Expr::Not(a) => walk(a, f),
        Expr::Set(items) => items.iter().for_each(|i| walk(i, f)),
        Expr::Bin(_, l, r) => {
            walk(l, f);
            walk(r, f);
        }
        _ => {}
    }
}
