//! The AArch64 System registers the model knows, as our own data (`spec/data/sysregs.txt`,
//! written from the Arm ARM): encoding, who may read and write, where the value lives, the
//! feature it needs, reset value, fields (whose complement is RES0), RES1 bits and the trap
//! controls that apply. The grammar is in the file's header.

use std::collections::BTreeMap;

pub const SYSREGS_TXT: &str = include_str!("../data/sysregs.txt");

/// The trap controls the model implements; `traps=` may only name these.
pub const TRAPS: &[&str] = &[
    "TID1", "TID2", "TID3", "TID4", "TACR", "TVM", "TRVM", "APK", "EL0PCT", "EL0VCT", "EL0PT",
    "EL0VT", "EL1PCT", "EL1PT", "UCT", "UMA", "ST", "FP", "TCPAC", "TLOR", "TERR", "EA", "FGTEN",
    "ECVEN", "HXEN", "EL1TVT", "EL1TVCT", "TDA", "TDOSA", "TDRA", "TDCC", "FGTEN2", "SCTLR2EN",
    "TCR2EN", "PMU",
];

/// A fine-grained trap (FEAT_FGT) of a register's EL1 and EL0 accesses: the bit of
/// HFGRTR_EL2/HFGWTR_EL2 (`fgt=`) or of HDFGRTR_EL2/HDFGWTR_EL2 (`dfgt=`) that traps reads /
/// writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FineGrainedTrap {
    Hfg(u8),
    Hdfg(u8),
    /// Writes only (`dfgtw=`): a bit of HDFGWTR_EL2 whose HDFGRTR_EL2 bit is RES0
    /// (PMCR_EL0's reads cannot be trapped finely).
    HdfgWrite(u8),
}

/// Where a register's value lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Plain,
    State,
    Id,
    Config,
    Timer,
    Gic,
    Alias,
    Pmu,
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::Plain,
        Kind::State,
        Kind::Id,
        Kind::Config,
        Kind::Timer,
        Kind::Gic,
        Kind::Alias,
        Kind::Pmu,
    ];

    fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "plain" => Kind::Plain,
            "state" => Kind::State,
            "id" => Kind::Id,
            "config" => Kind::Config,
            "timer" => Kind::Timer,
            "gic" => Kind::Gic,
            "alias" => Kind::Alias,
            "pmu" => Kind::Pmu,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Plain => "Plain",
            Kind::State => "State",
            Kind::Id => "Id",
            Kind::Config => "Config",
            Kind::Timer => "Timer",
            Kind::Gic => "Gic",
            Kind::Alias => "Alias",
            Kind::Pmu => "Pmu",
        }
    }
}

/// One field of a register: `msb:lsb`, present only with `feature` when it names one (without
/// it the bits are RES0, or RES1 where the register's `res1=` lists them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub msb: u32,
    pub lsb: u32,
    pub feature: Option<String>,
}

impl Field {
    pub fn mask(&self) -> u64 {
        let width = self.msb - self.lsb + 1;
        (if width == 64 {
            u64::MAX
        } else {
            (1u64 << width) - 1
        }) << self.lsb
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SysReg {
    pub name: String,
    /// `(op0, op1, CRn, CRm, op2)`.
    pub encoding: (u32, u32, u32, u32, u32),
    /// Lowest EL that may read / write; `None`: never.
    pub read: Option<u8>,
    pub write: Option<u8>,
    pub kind: Kind,
    pub feature: Option<String>,
    pub reset: u64,
    pub res1: u64,
    pub traps: Vec<String>,
    pub fgt: Option<FineGrainedTrap>,
    pub fields: Vec<Field>,
    /// Line in `sysregs.txt`.
    pub line: usize,
}

impl SysReg {
    /// The encoding packed as in MRS/MSR bits 20:5: `op0:op1:CRn:CRm:op2`, with op0's two
    /// bits at 15:14.
    pub fn packed(&self) -> u32 {
        let (op0, op1, crn, crm, op2) = self.encoding;
        (op0 << 14) | (op1 << 11) | (crn << 7) | (crm << 3) | op2
    }

    /// The bits a write keeps on a PE with none of the fields' features: the union of the
    /// fields that need no feature when there are fields, else all 64.
    pub fn writable(&self) -> u64 {
        if self.fields.is_empty() {
            !self.res1
        } else {
            self.fields
                .iter()
                .filter(|f| f.feature.is_none())
                .fold(0, |m, f| m | f.mask())
                & !self.res1
        }
    }

    /// The fields that need a feature: `(feature, mask)`, each writable (and no longer RES1)
    /// on a PE that has the feature.
    pub fn gated(&self) -> Vec<(&str, u64)> {
        self.fields
            .iter()
            .filter_map(|f| f.feature.as_deref().map(|feat| (feat, f.mask())))
            .collect()
    }

    /// Whether MRS/MSR can name it (op0 is 2 or 3); the others are the model's internal state.
    pub fn accessible(&self) -> bool {
        self.encoding.0 >= 2
    }
}

fn el(s: &str, line: usize) -> Result<Option<u8>, String> {
    match s {
        "-" => Ok(None),
        "0" | "1" | "2" | "3" => Ok(Some(s.parse().unwrap())),
        _ => Err(format!(
            "sysregs.txt:{line}: `{s}` is not an Exception level or -"
        )),
    }
}

fn hex(s: &str, line: usize) -> Result<u64, String> {
    u64::from_str_radix(s.trim_start_matches("0x"), 16)
        .map_err(|_| format!("sysregs.txt:{line}: `{s}` is not a hex number"))
}

fn small(s: &str, max: u32, line: usize) -> Result<u32, String> {
    s.parse::<u32>()
        .ok()
        .filter(|&v| v <= max)
        .ok_or_else(|| format!("sysregs.txt:{line}: `{s}` is not 0..={max}"))
}

/// Parses `sysregs.txt` and checks it: known kinds and traps, unique names and encodings,
/// fields inside 64 bits that do not overlap each other or the RES1 bits, reset values that
/// respect RES0 and RES1.
pub fn parse(text: &str) -> Result<Vec<SysReg>, String> {
    let mut regs: Vec<SysReg> = Vec::new();
    let mut by_name: BTreeMap<String, usize> = BTreeMap::new();
    for (n, raw) in text.lines().enumerate() {
        let line = n + 1;
        let body = raw.split('#').next().unwrap().trim();
        if body.is_empty() {
            continue;
        }
        let w: Vec<&str> = body.split_whitespace().collect();
        match w[0] {
            "reg" => {
                if w.len() < 12 {
                    return Err(format!(
                        "sysregs.txt:{line}: a reg line has 11 columns or more"
                    ));
                }
                let mut traps = Vec::new();
                let mut res1 = 0;
                let mut fgt = None;
                for extra in &w[12..] {
                    if let Some(t) = extra.strip_prefix("traps=") {
                        for t in t.split(',') {
                            if !TRAPS.contains(&t) {
                                return Err(format!("sysregs.txt:{line}: unknown trap `{t}`"));
                            }
                            traps.push(t.to_string());
                        }
                    } else if let Some(v) = extra.strip_prefix("res1=") {
                        res1 = hex(v, line)?;
                    } else if let Some(v) = extra.strip_prefix("fgt=") {
                        fgt = Some(FineGrainedTrap::Hfg(small(v, 63, line)? as u8));
                    } else if let Some(v) = extra.strip_prefix("dfgt=") {
                        fgt = Some(FineGrainedTrap::Hdfg(small(v, 63, line)? as u8));
                    } else if let Some(v) = extra.strip_prefix("dfgtw=") {
                        fgt = Some(FineGrainedTrap::HdfgWrite(small(v, 63, line)? as u8));
                    } else {
                        return Err(format!("sysregs.txt:{line}: unknown column `{extra}`"));
                    }
                }
                let reg = SysReg {
                    name: w[1].to_string(),
                    encoding: (
                        small(w[2], 3, line)?,
                        small(w[3], 7, line)?,
                        small(w[4], 15, line)?,
                        small(w[5], 15, line)?,
                        small(w[6], 7, line)?,
                    ),
                    read: el(w[7], line)?,
                    write: el(w[8], line)?,
                    kind: Kind::parse(w[9])
                        .ok_or_else(|| format!("sysregs.txt:{line}: unknown kind `{}`", w[9]))?,
                    feature: (w[10] != "-").then(|| w[10].to_string()),
                    reset: hex(w[11], line)?,
                    res1,
                    traps,
                    fgt,
                    fields: Vec::new(),
                    line,
                };
                if by_name.insert(reg.name.clone(), regs.len()).is_some() {
                    return Err(format!("sysregs.txt:{line}: {} listed twice", reg.name));
                }
                regs.push(reg);
            }
            "field" => {
                if w.len() != 4 && w.len() != 5 {
                    return Err(format!(
                        "sysregs.txt:{line}: field REG NAME msb:lsb [FEATURE]"
                    ));
                }
                let &i = by_name
                    .get(w[1])
                    .ok_or_else(|| format!("sysregs.txt:{line}: no register {}", w[1]))?;
                let (msb, lsb) = match w[3].split_once(':') {
                    Some((m, l)) => (small(m, 63, line)?, small(l, 63, line)?),
                    None => {
                        let b = small(w[3], 63, line)?;
                        (b, b)
                    }
                };
                if msb < lsb {
                    return Err(format!("sysregs.txt:{line}: msb below lsb"));
                }
                regs[i].fields.push(Field {
                    name: w[2].to_string(),
                    msb,
                    lsb,
                    feature: w.get(4).map(|f| f.to_string()),
                });
            }
            other => return Err(format!("sysregs.txt:{line}: unknown line kind `{other}`")),
        }
    }
    check(&regs)?;
    Ok(regs)
}

/// The register an `alias` names: `X_EL12` is `X_EL1`, `X_EL02` is `X_EL0`.
pub fn alias_target(name: &str) -> Option<String> {
    name.strip_suffix("_EL12")
        .map(|b| format!("{b}_EL1"))
        .or_else(|| name.strip_suffix("_EL02").map(|b| format!("{b}_EL0")))
}

fn check(regs: &[SysReg]) -> Result<(), String> {
    let mut encodings = BTreeMap::new();
    for r in regs.iter().filter(|r| r.kind == Kind::Alias) {
        let target = alias_target(&r.name);
        if !target
            .as_ref()
            .is_some_and(|t| regs.iter().any(|o| &o.name == t && o.kind != Kind::Alias))
        {
            return Err(format!(
                "sysregs.txt:{}: alias {} names no register (want {:?})",
                r.line, r.name, target
            ));
        }
    }
    // A fine-grained trap names a field at its bit of HFGRTR_EL2 if the register can be read
    // and of HFGWTR_EL2 if it can be written (HDFGRTR_EL2, HDFGWTR_EL2 for `dfgt=`).
    let has_bit = |reg: &str, bit: u8| {
        regs.iter().find(|o| o.name == reg).is_some_and(|o| {
            o.fields
                .iter()
                .any(|f| f.lsb == bit as u32 && f.msb == bit as u32)
        })
    };
    for r in regs {
        let (read, write, bit) = match r.fgt {
            None => continue,
            Some(FineGrainedTrap::Hfg(b)) => (Some("HFGRTR_EL2"), "HFGWTR_EL2", b),
            Some(FineGrainedTrap::Hdfg(b)) => (Some("HDFGRTR_EL2"), "HDFGWTR_EL2", b),
            Some(FineGrainedTrap::HdfgWrite(b)) => (None, "HDFGWTR_EL2", b),
        };
        if r.read.is_some() && read.is_some_and(|read| !has_bit(read, bit))
            || r.write.is_some() && !has_bit(write, bit)
        {
            return Err(format!(
                "sysregs.txt:{}: {}: no fine-grained trap field at bit {bit}",
                r.line, r.name
            ));
        }
    }
    for r in regs {
        if let Some(other) = encodings.insert(r.packed(), &r.name) {
            return Err(format!(
                "sysregs.txt:{}: {} has {other}'s encoding",
                r.line, r.name
            ));
        }
        let mut seen = 0u64;
        let mut names = std::collections::BTreeSet::new();
        for f in &r.fields {
            if seen & f.mask() != 0 {
                return Err(format!(
                    "sysregs.txt:{}: {}.{} overlaps",
                    r.line, r.name, f.name
                ));
            }
            if !names.insert(&f.name) {
                return Err(format!(
                    "sysregs.txt:{}: {}.{} twice",
                    r.line, r.name, f.name
                ));
            }
            seen |= f.mask();
        }
        // A field may cover RES1 bits only if it needs a feature: the bits are RES1 without it.
        let always = r
            .fields
            .iter()
            .filter(|f| f.feature.is_none())
            .fold(0, |m, f| m | f.mask());
        if always & r.res1 != 0 {
            return Err(format!(
                "sysregs.txt:{}: {}: a field covers RES1 bits",
                r.line, r.name
            ));
        }
        if let Some(f) = r.fields.iter().find(|f| {
            f.feature
                .as_deref()
                .is_some_and(|feat| !feat.starts_with("FEAT_"))
        }) {
            return Err(format!(
                "sysregs.txt:{}: {}.{}: a field's feature is a FEAT_ name",
                r.line, r.name, f.name
            ));
        }
        let gated = r.gated().iter().fold(0, |m, g| m | g.1);
        let res0 = !(r.writable() | gated | r.res1);
        if r.kind == Kind::Plain && (r.reset & res0 != 0 || r.reset & r.res1 != r.res1) {
            return Err(format!(
                "sysregs.txt:{}: {}: reset {:#x} breaks RES0/RES1",
                r.line, r.name, r.reset
            ));
        }
    }
    Ok(())
}

/// Every register, in file order (checked: the file is compiled in, so this cannot fail at
/// run time once the tests pass).
pub fn all() -> Vec<SysReg> {
    parse(SYSREGS_TXT).unwrap_or_else(|e| panic!("{e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_table_is_consistent() {
        let regs = parse(SYSREGS_TXT).unwrap();
        assert!(regs.len() > 150);
        // Spot checks against the Arm ARM.
        let get = |n: &str| regs.iter().find(|r| r.name == n).unwrap();
        assert_eq!(get("SCTLR_EL1").packed(), 0xc080);
        assert_eq!(get("VBAR_EL1").writable(), !0x7ff);
        assert_eq!(get("CurrentEL").write, None);
        // SCTLR_EL1.SPAN: RES1 without FEAT_PAN, a field with it.
        let sctlr = get("SCTLR_EL1");
        assert_eq!(sctlr.res1 & (1 << 23), 1 << 23);
        assert_eq!(sctlr.writable() & (1 << 23), 0);
        assert!(sctlr.gated().contains(&("FEAT_PAN", 1 << 23)));
    }

    /// Each rule of the checker, on a table that breaks it.
    #[test]
    fn bad_tables_are_refused() {
        let cases = [
            (
                "reg A 3 0 1 0 0 1 1 plain - 0x0\nreg B 3 0 1 0 0 1 1 plain - 0x0",
                "encoding",
            ),
            (
                "reg A 3 0 1 0 0 1 1 plain - 0x0\nreg A 3 0 1 0 1 1 1 plain - 0x0",
                "twice",
            ),
            (
                "reg A 3 0 1 0 0 1 1 plain - 0x0\nfield A X 3:0\nfield A Y 2",
                "overlaps",
            ),
            ("reg A 3 0 1 0 0 1 1 plain - 0x0 traps=NOPE", "unknown trap"),
            ("reg A 3 0 1 0 0 1 1 weird - 0x0", "unknown kind"),
            (
                "reg HFGRTR_EL2 3 4 1 1 4 2 2 plain - 0x0\nfield HFGRTR_EL2 X 3\n\
                 reg A 3 0 1 0 0 1 - plain - 0x0 fgt=2",
                "no fine-grained trap field",
            ),
            ("reg A_EL12 3 0 1 0 0 2 2 alias - 0x0", "names no register"),
            ("reg A 3 0 1 0 0 1 1 plain - 0x10\nfield A X 3:0", "RES0"),
            ("reg A 3 0 1 0 0 1 1 plain - 0x0 res1=0x1", "RES0/RES1"),
            ("field A X 1", "no register"),
            (
                "reg A 3 0 1 0 0 1 1 plain - 0x1 res1=0x1\nfield A X 0",
                "covers RES1",
            ),
            (
                "reg A 3 0 1 0 0 1 1 plain - 0x0\nfield A X 0 PAN",
                "FEAT_ name",
            ),
            ("reg A 4 0 1 0 0 1 1 plain - 0x0", "not 0..=3"),
            (
                "reg A 3 0 1 0 0 1 1 plain - 0x0\nfield A X 64",
                "not 0..=63",
            ),
        ];
        for (text, why) in cases {
            let e = parse(text).unwrap_err();
            assert!(e.contains(why), "{text:?}: {e}");
        }
    }
}
