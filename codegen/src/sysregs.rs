//! Generates the System register table from `spec/data/sysregs.txt`: the `Kind` and `Trap`
//! enums (from `spec::sysregs`' lists, so the data and the model name the same ones), an index
//! constant per register (`SCTLR_EL1: Reg`), the per-register facts (`INFO`), the MRS/MSR
//! encoding lookup as one `match`, and a constant per field (`field::SCTLR_EL1_M`). `Reg`,
//! `Info`, `Field` and `FineGrainedTrap` are defined by the including module
//! (`model::sysregs`).

use proc_macro2::Literal;
use quote::{format_ident, quote};
use spec::sysregs::SysReg;

pub const INPUTS: &str = "spec/data/sysregs.txt";

pub fn generate(regs: &[SysReg]) -> Result<String, String> {
    let count = regs.len();
    let consts = regs.iter().enumerate().map(|(i, r)| {
        let name = format_ident!("{}", r.name);
        let i = Literal::u16_unsuffixed(i as u16);
        let doc = format!(
            " `{}` (op0={}, op1={}, CRn={}, CRm={}, op2={}), sysregs.txt line {}.",
            r.name, r.encoding.0, r.encoding.1, r.encoding.2, r.encoding.3, r.encoding.4, r.line
        );
        quote! { #[doc = #doc] pub const #name: Reg = Reg(#i); }
    });
    let el = |e: Option<u8>| match e {
        Some(e) => {
            let e = Literal::u8_unsuffixed(e);
            quote!(Some(#e))
        }
        None => quote!(None),
    };
    let infos = regs.iter().map(|r| {
        let name = &r.name;
        let packed = Literal::u32_unsuffixed(r.packed());
        let read = el(r.read);
        let write = el(r.write);
        let kind = format_ident!("{}", r.kind.name());
        let feature = match &r.feature {
            Some(f) => quote!(Some(#f)),
            None => quote!(None),
        };
        let hex = |v: u64| Literal::u64_unsuffixed(v);
        let (reset, res1, writable) = (hex(r.reset), hex(r.res1), hex(r.writable()));
        let traps = r.traps.iter().map(|t| format_ident!("{t}"));
        let fgt = match r.fgt {
            None => quote!(None),
            Some(spec::sysregs::FineGrainedTrap::Hfg(b)) => {
                let b = Literal::u8_unsuffixed(b);
                quote!(Some(FineGrainedTrap::Hfg(#b)))
            }
            Some(spec::sysregs::FineGrainedTrap::Hdfg(b)) => {
                let b = Literal::u8_unsuffixed(b);
                quote!(Some(FineGrainedTrap::Hdfg(#b)))
            }
            Some(spec::sysregs::FineGrainedTrap::HdfgWrite(b)) => {
                let b = Literal::u8_unsuffixed(b);
                quote!(Some(FineGrainedTrap::HdfgWrite(#b)))
            }
        };
        let gated = r.gated().into_iter().map(|(feat, mask)| {
            let mask = hex(mask);
            quote!((#feat, #mask))
        });
        quote! {
            Info {
                name: #name,
                packed: #packed,
                read: #read,
                write: #write,
                kind: Kind::#kind,
                feature: #feature,
                reset: #reset,
                res1: #res1,
                writable: #writable,
                gated: &[#(#gated),*],
                traps: &[#(Trap::#traps),*],
                fgt: #fgt,
            }
        }
    });
    let arms = regs.iter().filter(|r| r.accessible()).map(|r| {
        let packed = Literal::u32_unsuffixed(r.packed());
        let name = format_ident!("{}", r.name);
        quote! { #packed => Some(#name), }
    });
    let fields = regs.iter().flat_map(|r| {
        r.fields.iter().map(move |f| {
            let name = format_ident!("{}_{}", r.name, f.name);
            let lsb = Literal::u32_unsuffixed(f.lsb);
            let width = Literal::u32_unsuffixed(f.msb - f.lsb + 1);
            quote! { pub const #name: Field = Field { lsb: #lsb, width: #width }; }
        })
    });
    let aliases = regs
        .iter()
        .filter(|r| r.kind == spec::sysregs::Kind::Alias)
        .map(|r| {
            let target = spec::sysregs::alias_target(&r.name)
                .ok_or_else(|| format!("{}: not an _EL12/_EL02 name", r.name))?;
            let (a, t) = (format_ident!("{}", r.name), format_ident!("{}", target));
            Ok(quote! { #a => Some(#t), })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let kinds = spec::sysregs::Kind::ALL
        .iter()
        .map(|k| format_ident!("{}", k.name()));
    let trap_names = spec::sysregs::TRAPS.iter().map(|t| format_ident!("{t}"));
    let tokens = quote! {
        /// Where a register's value lives (the `KIND` column of sysregs.txt).
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Kind { #(#kinds),* }
        /// The trap controls sysregs.txt names (its header says what each is).
        #[allow(clippy::upper_case_acronyms)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Trap { #(#trap_names),* }
        /// How many registers the table has.
        pub const COUNT: usize = #count;
        #(#consts)*
        /// Each register's facts, by [`Reg`] index.
        pub static INFO: [Info; COUNT] = [#(#infos),*];
        /// The register an MRS/MSR encoding (instruction bits 20:5) names, if the table has it.
        pub fn lookup(packed: u32) -> Option<Reg> {
            match packed {
                #(#arms)*
                _ => None,
            }
        }
        /// The register an `alias` (`SCTLR_EL12`, ...) names.
        pub fn alias_of(r: Reg) -> Option<Reg> {
            match r {
                #(#aliases)*
                _ => None,
            }
        }
        /// The registers' fields, as `REGISTER_FIELD`.
        #[allow(non_upper_case_globals)]
        pub mod field {
            use super::Field;
            #(#fields)*
        }
    };
    let header = format!(
        "// Generated by the `codegen` crate (codegen/src/sysregs.rs) from {INPUTS}.\n\
         // Do not edit by hand: change the data or the generator.\n\
         // {count} registers."
    );
    crate::format_file(&header, tokens)
}

#[cfg(test)]
mod tests {
    /// A two-register fixture: the index constants, the lookup (internal registers, op0=0,
    /// are not in it) and the field constants.
    #[test]
    fn fixture() {
        let regs = spec::sysregs::parse(
            "reg SCR_EL3 3 6 1 1 0 3 3 plain - 0x30 res1=0x30 traps=TLOR\n\
             field SCR_EL3 NS 0\n\
             field SCR_EL3 TLOR 14 FEAT_LOR\n\
             reg CNTP_CTL 0 0 0 0 0 - - plain - 0x0\n",
        )
        .unwrap();
        insta::assert_snapshot!(super::generate(&regs).unwrap());
    }
}
