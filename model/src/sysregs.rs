//! The System register table, generated at build time from `spec/data/sysregs.txt`
//! (`codegen::sysregs`): the [`Kind`] and [`Trap`] enums, a [`Reg`] index per register, its
//! facts in [`INFO`], the MRS/MSR encoding lookup, and a [`Field`] constant per field. The values of the `plain` registers
//! live in [`crate::state::State::sys`], indexed by [`Reg`].

/// A System register, as an index into [`INFO`] and the register file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reg(pub u16);

impl Reg {
    pub fn info(self) -> &'static Info {
        &INFO[self.0 as usize]
    }

    pub fn name(self) -> &'static str {
        self.info().name
    }
}

/// One register's facts.
#[derive(Debug)]
pub struct Info {
    pub name: &'static str,
    /// `op0:op1:CRn:CRm:op2` as in MRS/MSR bits 20:5.
    pub packed: u32,
    /// Lowest EL that may read / write, `None` for never.
    pub read: Option<u8>,
    pub write: Option<u8>,
    pub kind: Kind,
    pub feature: Option<&'static str>,
    pub reset: u64,
    pub res1: u64,
    /// The bits a write keeps (the fields, or all 64), RES1 excluded, on a PE with none of
    /// the optional features its fields need.
    pub writable: u64,
    /// The fields that need a feature, `(FEAT_ name, mask)`: writable, and not RES1, on a PE
    /// with that feature ([`Info::masks`]).
    pub gated: &'static [(&'static str, u64)],
    pub traps: &'static [Trap],
    /// The fine-grained trap of EL1's and EL0's accesses (FEAT_FGT), if one covers it.
    pub fgt: Option<FineGrainedTrap>,
}

/// A bit of HFGRTR_EL2/HFGWTR_EL2 (`Hfg`) or HDFGRTR_EL2/HDFGWTR_EL2 (`Hdfg`) that traps a
/// register's reads / writes (`fgt=` and `dfgt=` in sysregs.txt).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FineGrainedTrap {
    Hfg(u8),
    Hdfg(u8),
    /// A bit of HDFGWTR_EL2 only: reads are not trapped finely (`dfgtw=`).
    HdfgWrite(u8),
}

impl Info {
    /// `(writable, res1)` on a PE that has the features `has` says it has.
    pub fn masks(&self, has: impl Fn(&str) -> bool) -> (u64, u64) {
        self.gated
            .iter()
            .filter(|(f, _)| has(f))
            .fold((self.writable, self.res1), |(w, r), &(_, m)| {
                (w | m, r & !m)
            })
    }
}

/// A field: `width` bits from `lsb`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    pub lsb: u32,
    pub width: u32,
}

impl Field {
    #[inline]
    pub const fn mask(self) -> u64 {
        (if self.width == 64 {
            u64::MAX
        } else {
            (1u64 << self.width) - 1
        }) << self.lsb
    }

    #[inline]
    pub const fn get(self, value: u64) -> u64 {
        (value & self.mask()) >> self.lsb
    }

    #[inline]
    pub const fn is_set(self, value: u64) -> bool {
        value & self.mask() != 0
    }

    #[inline]
    pub const fn set(self, value: u64, field: u64) -> u64 {
        (value & !self.mask()) | ((field << self.lsb) & self.mask())
    }
}

#[allow(non_upper_case_globals)]
mod generated {
    use super::{Field, FineGrainedTrap, Info, Reg};
    include!(concat!(env!("OUT_DIR"), "/sysregs.rs"));
}

pub use generated::*;

/// The reset values of every register, in [`Reg`] order.
pub fn reset_values() -> [u64; COUNT] {
    let mut v = [0; COUNT];
    for (i, info) in INFO.iter().enumerate() {
        v[i] = info.reset;
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_table_matches_the_data() {
        let data = spec::sysregs::all();
        assert_eq!(data.len(), COUNT);
        for (i, r) in data.iter().enumerate() {
            let info = Reg(i as u16).info();
            assert_eq!(info.name, r.name);
            if r.accessible() {
                assert_eq!(lookup(r.packed()), Some(Reg(i as u16)), "{}", r.name);
            }
        }
        assert_eq!(lookup(0xc080), Some(SCTLR_EL1));
        assert_eq!(field::SCTLR_EL1_M, Field { lsb: 0, width: 1 });
        assert_eq!(field::ESR_EL1_EC.get(0x5600_0000), 0x15);
    }
}
