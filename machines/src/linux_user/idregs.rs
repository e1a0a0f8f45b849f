//! The ID registers as a Linux 6.1 process reads them. EL0's MRS of an ID register traps, and
//! the kernel answers with its sanitised view (arch/arm64/kernel/cpufeature.c): the fields it
//! marks visible keep the PE's value, every hidden field reads as its "safe" value, and
//! registers it does not know in the emulated space read as zero. So a program sees, through
//! MRS, the same features its HWCAPs name.

/// `(register, visible fields mask, value of the hidden fields)`.
const VIEW: &[(&str, u64, u64)] = &[
    // RNDR, TLB, TS, FHM, DP, SM4, SM3, SHA3, RDM, Atomic, CRC32, SHA2, SHA1, AES (not TME).
    ("ID_AA64ISAR0_EL1", 0xffff_ffff_f0ff_fff0, 0),
    // I8MM, DGH, BF16, SPECRES, SB, FRINTTS, GPI, GPA, LRCPC, FCMA, JSCVT, API, APA, DPB.
    ("ID_AA64ISAR1_EL1", 0x00ff_ffff_ffff_ffff, 0),
    // BC, MOPS, APA3, GPA3, RPRES.
    ("ID_AA64ISAR2_EL1", 0x0000_0000_00ff_fff0, 0),
    // DIT, SVE, AdvSIMD, FP; EL1 and EL0 read as "AArch64 only" (1), EL3/EL2/RAS/GIC/... as 0.
    (
        "ID_AA64PFR0_EL1",
        0x000f_000f_00ff_0000,
        0x0000_0000_0000_0011,
    ),
    // SME, MTE, SSBS, BT.
    ("ID_AA64PFR1_EL1", 0x0000_0000_0f00_0fff, 0),
    // Hidden: TGran4 and TGran64 read as "not implemented" (0xf), the rest as 0.
    ("ID_AA64MMFR0_EL1", 0, 0x0000_0000_ff00_0000),
    // AFP.
    ("ID_AA64MMFR1_EL1", 0x0000_f000_0000_0000, 0),
    ("ID_AA64MMFR2_EL1", 0, 0),
    // Hidden: DebugVer reads as Armv8.0 debug (6).
    ("ID_AA64DFR0_EL1", 0, 0x6),
    ("ID_AA64DFR1_EL1", 0, 0),
    // Visible when SVE or SME are (their own registers describe them).
    ("ID_AA64ZFR0_EL1", u64::MAX, 0),
    ("ID_AA64SMFR0_EL1", u64::MAX, 0),
];

/// The user view of `id_registers` (name, value): each known register sanitised, others dropped
/// (they read as zero).
pub fn linux_view(id_registers: &[(&'static str, u64)]) -> Vec<(&'static str, u64)> {
    VIEW.iter()
        .map(|&(name, visible, hidden)| {
            let value = id_registers
                .iter()
                .find(|(n, _)| *n == name)
                .map_or(0, |(_, v)| *v);
            (name, (value & visible) | hidden)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_fields_read_as_their_safe_values() {
        let raw = [
            ("ID_AA64PFR0_EL1", 0x1101_0010_2011_1111),
            ("ID_AA64DFR0_EL1", 0x0000_00f0_0000_0009),
            ("ID_AA64MMFR0_EL1", 0x0000_0000_0010_1125),
            ("ID_AA64PFR1_EL1", 0x0000_0000_0000_0021),
        ];
        let view = linux_view(&raw);
        let get = |n: &str| view.iter().find(|(x, _)| *x == n).unwrap().1;
        // DIT, AdvSIMD and FP kept; CSV2/CSV3, SEL2, RAS, EL3/EL2 hidden; EL1/EL0 = 1.
        assert_eq!(get("ID_AA64PFR0_EL1"), 0x0001_0000_0011_0011);
        assert_eq!(get("ID_AA64DFR0_EL1"), 0x6);
        assert_eq!(get("ID_AA64MMFR0_EL1"), 0xff00_0000);
        assert_eq!(get("ID_AA64PFR1_EL1"), 0x21);
        assert_eq!(get("ID_AA64MMFR2_EL1"), 0);
    }
}
