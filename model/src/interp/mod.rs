//! The interpreter: fetch, decode, execute, one instruction per [`Cpu::step`]. Semantics are
//! organised by the Arm ARM's instruction groups (`dp`, `branch`, `ldst`, `system`) and follow
//! its pseudocode, with the pseudocode's function names in `pseudocode`.
//!
//! Every encoding the decoder returns that no group implements, and every word the decoder
//! does not claim, takes the architectural UNDEFINED path: [`Exception::Undefined`], returned
//! to the board. Nothing here panics on guest behaviour, and the hot loop does not allocate.

mod atomics;
mod branch;
mod bti;
mod crc;
mod crypto;
pub mod debug;
mod decode_cache;
mod dp;
pub mod exceptions;
mod fastops;
mod flagm;
mod fp;
mod ldst;
mod mops;
mod pauth;
mod pmu;
mod probe;
mod pseudocode;
mod rcpc;
mod simd;
mod simd_fp;
mod simd_int;
mod simd_ldst;
pub mod sysreg;
mod system;
#[cfg(test)]
mod tests;

pub use decode_cache::DecodeCache;
pub use exceptions::InterruptGroup;
pub use probe::{Probe, probe};
pub use pseudocode::{add_with_carry, condition_holds, decode_bit_masks};

use crate::decode::EncodingId;
use crate::memory::{Fault, Memory};
use crate::state::State;

/// What is fixed about the PE when it is built: its identification registers and counters.
/// The board fills it, e.g. from a resolved feature configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// `(name, value)` of the ID registers EL0 may read (Linux emulates the MRS), e.g.
    /// `("ID_AA64ISAR0_EL1", 0x...)`. Registers not listed read as zero.
    pub id_registers: Vec<(&'static str, u64)>,
    pub midr_el1: u64,
    pub ctr_el0: u64,
    pub dczid_el0: u64,
    /// CNTFRQ_EL0, in Hz. CNTVCT_EL0 counts retired instructions scaled to this frequency at an
    /// assumed 1 instruction per nanosecond, so runs are deterministic.
    pub cntfrq_el0: u64,
    /// The optional EL0 features the PE has beyond Armv8.0.
    pub features: Features,
    /// System mode: the PE runs EL0 to its highest level, and exceptions are taken
    /// architecturally ([`Cpu::take`]) rather than emulated by the board for EL0. Off for the
    /// Linux user-mode board.
    pub system: bool,
    /// Whether EL2 and EL3 are implemented (system mode).
    pub el2: bool,
    pub el3: bool,
    /// MPIDR_EL1 (system mode; the user-mode board shows Linux's value).
    pub mpidr_el1: u64,
    /// RVBAR_EL3: where the PE starts at reset.
    pub rvbar: u64,
    /// Record accesses to System registers the model does not have ([`Cpu::unmodelled`]).
    pub log_unmodelled: bool,
    /// The optional features above EL0 the PE has (system mode).
    pub system_features: SystemFeatures,
}

/// The features above EL0 of Armv8.1 and v8.2 that the system model implements, each on or
/// off: off, their registers and fields are RES0 (or RES1, as `sysregs.txt` says) and their
/// instructions UNDEFINED.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SystemFeatures {
    /// FEAT_PAN: PSTATE.PAN, SCTLR_EL1.SPAN; FEAT_PAN2: AT S1E1RP/WP.
    pub pan: bool,
    pub pan2: bool,
    /// FEAT_UAO: PSTATE.UAO makes LDTR/STTR at EL1 privileged.
    pub uao: bool,
    /// FEAT_HPDS: TCR_ELx.HPD disables the hierarchical permissions.
    pub hpds: bool,
    /// FEAT_TTCNP: TTBRx.CnP (a hint to share TLB entries: kept, no other effect here).
    pub ttcnp: bool,
    /// FEAT_RAS: the error record registers (none implemented), ESB, DISR_EL1, virtual SError
    /// syndromes.
    pub ras: bool,
    /// FEAT_LPA: 52-bit physical addresses with the 64K granule; FEAT_LVA: 52-bit virtual
    /// addresses with the 64K granule.
    pub lpa: bool,
    pub lva: bool,
    /// FEAT_XNX: stage 2 XN[1:0], execute-never for EL1 and EL0 separately.
    pub xnx: bool,
    /// FEAT_VMID16: 16-bit VMIDs (VTCR_EL2.VS).
    pub vmid16: bool,
    /// FEAT_TLBIOS, FEAT_TLBIRANGE: the Outer Shareable and range TLBI forms.
    pub tlbios: bool,
    pub tlbirange: bool,
    /// FEAT_IDST: EL0's MRS of the ID register space traps with EC 0x18 (not UNDEFINED).
    pub idst: bool,
    /// FEAT_DoubleFault: SCR_EL3.EASE (External aborts to EL3 take the SError vector) and
    /// NMEA; FEAT_RASv1p1: ERXMISC2/3_EL1.
    pub double_fault: bool,
    pub rasv1p1: bool,
    /// FEAT_HAFDBS: hardware Access flag and dirty state (ID_AA64MMFR1_EL1.HAFDBS = 2).
    pub hafdbs: bool,
    /// FEAT_VHE: HCR_EL2.E2H, the EL2&0 translation regime, EL2's virtual timer, the
    /// redirection of EL1 register names at EL2 and the _EL12/_EL02 aliases.
    pub vhe: bool,
    /// FEAT_S2FWB: HCR_EL2.FWB, stage 2 attributes that override stage 1's.
    pub s2fwb: bool,
    /// FEAT_TTST: TxSZ up to 48 (4K) or 47 (16K, 64K), tables of a few entries.
    pub ttst: bool,
    /// FEAT_E0PD: TCR_ELx.E0PD0/E0PD1 make EL0 accesses to a VA range fault.
    pub e0pd: bool,
    /// FEAT_EVT: HCR_EL2.TID4, TICAB, TOCU, TTLBIS and TTLBOS.
    pub evt: bool,
    /// FEAT_SPECRES: the CFP, DVP and CPP RCTX prediction restriction instructions.
    pub specres: bool,
    /// FEAT_SEL2: Secure EL2 (SCR_EL3.EEL2), Secure stage 2 (VSTTBR_EL2, VSTCR_EL2) and
    /// Secure EL2's timers.
    pub sel2: bool,
    /// FEAT_FGT: the fine-grained traps of HFGRTR_EL2, HFGWTR_EL2, HFGITR_EL2, HDFGRTR_EL2 and
    /// HDFGWTR_EL2 (SCR_EL3.FGTEn).
    pub fgt: bool,
    /// FEAT_ECV: CNTPCTSS_EL0/CNTVCTSS_EL0, CNTHCTL_EL2.EL1TVT/EL1TVCT and the event streams'
    /// EVNTIS scaling.
    pub ecv: bool,
    /// FEAT_ECV_POFF: the physical offset CNTPOFF_EL2 (CNTHCTL_EL2.ECV, SCR_EL3.ECVEn).
    pub ecv_poff: bool,
    /// FEAT_LPA2: 52-bit addresses with the 4K and 16K granules (TCR_ELx.DS, VTCR_EL2.DS).
    pub lpa2: bool,
    /// FEAT_PAN3: SCTLR_ELx.EPAN extends PAN to pages EL0 may execute.
    pub pan3: bool,
    /// FEAT_HCX: HCRX_EL2 (SCR_EL3.HXEn).
    pub hcx: bool,
    /// FEAT_XS: the nXS forms of TLBI and DSB (and HCRX_EL2.FnXS, FGTnXS).
    pub xs: bool,
    /// FEAT_WFxT: WFET and WFIT, WFE and WFI with a timeout on the virtual count.
    pub wfxt: bool,
    /// FEAT_TIDCP1: SCTLR_EL1.TIDCP (SCTLR_EL2.TIDCP in the host) traps EL0's accesses to
    /// the IMPLEMENTATION DEFINED encodings.
    pub tidcp1: bool,
    /// FEAT_CMOW: SCTLR_ELx.CMOW and HCRX_EL2.CMOW: IC IVAU and DC CIVAC need write
    /// permission (EL0's at stage 1; EL1's and EL0's at stage 2).
    pub cmow: bool,
    /// FEAT_SCTLR2: SCTLR2_ELx (every field another feature's: RES0 here), SCR_EL3 and HCRX_EL2's SCTLR2En.
    pub sctlr2: bool,
    /// FEAT_TCR2: TCR2_ELx (RES0 here, as SCTLR2), SCR_EL3 and HCRX_EL2's TCR2En.
    pub tcr2: bool,
    /// FEAT_FGT2: the second fine-grained trap registers and SCR_EL3.FGTEn2; every field is another feature's, so they trap nothing here.
    pub fgt2: bool,
    /// FEAT_RASv2: ERXGSR_EL1 (RAZ: no error records).
    pub rasv2: bool,
    /// FEAT_SPECRES2: COSP RCTX.
    pub specres2: bool,
    /// FEAT_Debugv8p9: MDSELR_EL1 (RAZ/WI: 16 or fewer breakpoints and watchpoints).
    pub debugv8p9: bool,
    /// FEAT_NMI: PSTATE.ALLINT, SCTLR_ELx.NMI and SPINTMASK, and IRQs with superpriority
    /// (`Cpu::irq_superpriority`, from the GIC's NMIs).
    pub nmi: bool,
    /// FEAT_PMUv3: the Performance Monitors (`pmu`), and what PMUv3p1 (16-bit event numbers,
    /// MDCR_EL2.HPMD), p4 (PMMIR_EL1), p5 (64-bit event counters, HLP, HCCD, SCCD), p7 (FZO,
    /// HPMFZO, MPMX, MCCD), p8 (unimplemented events count nothing) and FEAT_HPMN0 (HPMN = 0)
    /// add.
    pub pmuv3: bool,
    pub pmuv3p1: bool,
    pub pmuv3p4: bool,
    pub pmuv3p5: bool,
    pub pmuv3p7: bool,
    pub pmuv3p8: bool,
    pub hpmn0: bool,
    /// FEAT_PMUv3p9: PMUSERENR_EL0.UEN and TID, PMUACR_EL1, PMZR_EL0, MDCR_EL3.EnPM2.
    pub pmuv3p9: bool,
    /// FEAT_EBEP: the PMU exception (EC 0x3D) instead of PMUIRQ where PMEE asks for it,
    /// PSTATE.PM, PMECR_EL1, MDCR_EL2.PMEE and MDCR_EL3.PMEE.
    pub ebep: bool,
}

impl SystemFeatures {
    pub fn from_names(has: impl Fn(&str) -> bool) -> SystemFeatures {
        SystemFeatures {
            pan: has("FEAT_PAN"),
            pan2: has("FEAT_PAN2"),
            uao: has("FEAT_UAO"),
            hpds: has("FEAT_HPDS"),
            ttcnp: has("FEAT_TTCNP"),
            ras: has("FEAT_RAS"),
            lpa: has("FEAT_LPA"),
            lva: has("FEAT_LVA"),
            xnx: has("FEAT_XNX"),
            vmid16: has("FEAT_VMID16"),
            vhe: has("FEAT_VHE"),
            tlbios: has("FEAT_TLBIOS"),
            tlbirange: has("FEAT_TLBIRANGE"),
            idst: has("FEAT_IDST"),
            double_fault: has("FEAT_DoubleFault"),
            rasv1p1: has("FEAT_RASv1p1"),
            hafdbs: has("FEAT_HAFDBS"),
            s2fwb: has("FEAT_S2FWB"),
            ttst: has("FEAT_TTST"),
            e0pd: has("FEAT_E0PD"),
            evt: has("FEAT_EVT"),
            specres: has("FEAT_SPECRES"),
            sel2: has("FEAT_SEL2"),
            fgt: has("FEAT_FGT"),
            ecv: has("FEAT_ECV"),
            ecv_poff: has("FEAT_ECV_POFF"),
            lpa2: has("FEAT_LPA2"),
            pan3: has("FEAT_PAN3"),
            hcx: has("FEAT_HCX"),
            xs: has("FEAT_XS"),
            wfxt: has("FEAT_WFxT"),
            tidcp1: has("FEAT_TIDCP1"),
            cmow: has("FEAT_CMOW"),
            sctlr2: has("FEAT_SCTLR2"),
            tcr2: has("FEAT_TCR2"),
            fgt2: has("FEAT_FGT2"),
            rasv2: has("FEAT_RASv2"),
            specres2: has("FEAT_SPECRES2"),
            debugv8p9: has("FEAT_Debugv8p9"),
            nmi: has("FEAT_NMI"),
            pmuv3: has("FEAT_PMUv3"),
            pmuv3p1: has("FEAT_PMUv3p1"),
            pmuv3p4: has("FEAT_PMUv3p4"),
            pmuv3p5: has("FEAT_PMUv3p5"),
            pmuv3p7: has("FEAT_PMUv3p7"),
            pmuv3p8: has("FEAT_PMUv3p8"),
            hpmn0: has("FEAT_HPMN0"),
            pmuv3p9: has("FEAT_PMUv3p9"),
            ebep: has("FEAT_EBEP"),
        }
    }

    /// Whether the named feature is one of these and on.
    pub fn has(&self, name: &str) -> bool {
        match name {
            "FEAT_PAN" => self.pan,
            "FEAT_PAN2" => self.pan2,
            "FEAT_UAO" => self.uao,
            "FEAT_HPDS" => self.hpds,
            "FEAT_TTCNP" => self.ttcnp,
            "FEAT_RAS" => self.ras,
            "FEAT_LPA" => self.lpa,
            "FEAT_LVA" => self.lva,
            "FEAT_XNX" => self.xnx,
            "FEAT_VMID16" => self.vmid16,
            "FEAT_VHE" => self.vhe,
            "FEAT_TLBIOS" => self.tlbios,
            "FEAT_TLBIRANGE" => self.tlbirange,
            "FEAT_IDST" => self.idst,
            "FEAT_DoubleFault" => self.double_fault,
            "FEAT_RASv1p1" => self.rasv1p1,
            "FEAT_HAFDBS" => self.hafdbs,
            "FEAT_S2FWB" => self.s2fwb,
            "FEAT_TTST" => self.ttst,
            "FEAT_E0PD" => self.e0pd,
            "FEAT_EVT" => self.evt,
            "FEAT_SPECRES" => self.specres,
            "FEAT_SEL2" => self.sel2,
            "FEAT_FGT" => self.fgt,
            "FEAT_ECV" => self.ecv,
            "FEAT_ECV_POFF" => self.ecv_poff,
            "FEAT_LPA2" => self.lpa2,
            "FEAT_PAN3" => self.pan3,
            "FEAT_HCX" => self.hcx,
            "FEAT_XS" => self.xs,
            "FEAT_WFxT" => self.wfxt,
            "FEAT_TIDCP1" => self.tidcp1,
            "FEAT_CMOW" => self.cmow,
            "FEAT_SCTLR2" => self.sctlr2,
            "FEAT_TCR2" => self.tcr2,
            "FEAT_FGT2" => self.fgt2,
            "FEAT_RASv2" => self.rasv2,
            "FEAT_SPECRES2" => self.specres2,
            "FEAT_Debugv8p9" => self.debugv8p9,
            "FEAT_NMI" => self.nmi,
            "FEAT_PMUv3" => self.pmuv3,
            "FEAT_PMUv3p1" => self.pmuv3p1,
            "FEAT_PMUv3p4" => self.pmuv3p4,
            "FEAT_PMUv3p5" => self.pmuv3p5,
            "FEAT_PMUv3p7" => self.pmuv3p7,
            "FEAT_PMUv3p8" => self.pmuv3p8,
            "FEAT_HPMN0" => self.hpmn0,
            "FEAT_PMUv3p9" => self.pmuv3p9,
            "FEAT_EBEP" => self.ebep,
            _ => false,
        }
    }
}

impl Config {
    /// Whether the PE has the feature `name` (Arm's FEAT_ name), as far as the model knows
    /// it: an EL0 feature of [`Features`], a system one of [`SystemFeatures`]. A name the
    /// model does not implement is never had.
    pub fn has(&self, name: &str) -> bool {
        // `FEAT_A|FEAT_B` (a field of sysregs.txt that either feature brings).
        if name.contains('|') {
            return name.split('|').any(|n| self.has(n));
        }
        match name {
            // The Exception levels above EL1, which fields of other registers depend on.
            "FEAT_EL2" | "FEAT_AA64EL2" => self.system && self.el2,
            "FEAT_EL3" | "FEAT_AA64EL3" => self.system && self.el3,
            _ => self.features.has(name) || self.system_features.has(name),
        }
    }
}

/// The EL0-visible features of Armv8.1 to v9.0 this interpreter implements, each on or off.
/// Off, an instruction it adds is UNDEFINED, except the hint-space forms of PAuth, which are
/// NOPs, as on a PE without the feature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Features {
    pub lse: bool,
    /// FEAT_LSE2: atomic and ordered accesses may be unaligned within 16 bytes.
    pub lse2: bool,
    pub lrcpc: bool,
    pub lrcpc2: bool,
    pub crc32: bool,
    pub flagm: bool,
    pub flagm2: bool,
    pub sb: bool,
    pub dit: bool,
    pub ssbs: bool,
    /// FEAT_PAuth with the architected QARMA5 (FEAT_PACQARMA5).
    pub pauth: bool,
    /// FEAT_PAuth2 (EnhancedPAC2): the PAC is XORed into the pointer's upper bits, and a
    /// failed authentication leaves the XOR (no error code).
    pub pauth2: bool,
    /// FEAT_FPAC: a failed AUT* is a PAC Fail exception (EC 0x1C) instead of a corrupted
    /// pointer; FEAT_FPACCOMBINE: the combined forms (BRAA, RETAA, LDRAA, ERETAA, ...) too.
    pub fpac: bool,
    pub fpaccombine: bool,
    pub bti: bool,
    /// FEAT_FP16: half-precision data processing (FCVT to and from half is FEAT_FP).
    pub fp16: bool,
    /// FEAT_FRINTTS: FRINT32Z, FRINT32X, FRINT64Z, FRINT64X.
    pub frintts: bool,
    /// FEAT_JSCVT: FJCVTZS.
    pub jscvt: bool,
    /// FEAT_LOR: LDLAR, STLLR (at EL0, with no LORegions, ordered like LDAR and STLR).
    pub lor: bool,
    /// FEAT_DPB, FEAT_DPB2: DC CVAP, DC CVADP.
    pub dpb: bool,
    pub dpb2: bool,
    /// FEAT_RDM: SQRDMLAH, SQRDMLSH.
    pub rdm: bool,
    /// FEAT_DotProd: SDOT, UDOT.
    pub dotprod: bool,
    /// FEAT_FHM: FMLAL, FMLSL.
    pub fhm: bool,
    /// FEAT_FCMA: FCMLA, FCADD.
    pub fcma: bool,
    /// FEAT_I8MM: SMMLA, UMMLA, USMMLA, USDOT, SUDOT.
    pub i8mm: bool,
    /// FEAT_BF16: BFDOT, BFMMLA, BFMLAL, BFCVT, BFCVTN.
    pub bf16: bool,
    /// FEAT_AFP: FPCR.FIZ, AH and NEP (otherwise RES0).
    pub afp: bool,
    /// FEAT_RPRES: under FPCR.AH, single-precision FRECPE and FRSQRTE give 12-bit estimates.
    pub rpres: bool,
    /// FEAT_HBC: BC.cond.
    pub hbc: bool,
    /// FEAT_MOPS: the CPY* and SET* memory copy and set instructions.
    pub mops: bool,
    /// FEAT_CSSC: ABS, CNT, CTZ, SMAX, SMIN, UMAX, UMIN on general-purpose registers.
    pub cssc: bool,
    /// FEAT_AES: AESE, AESD, AESMC, AESIMC.
    pub aes: bool,
    /// FEAT_PMULL: PMULL and PMULL2 of 64-bit elements.
    pub pmull: bool,
    /// FEAT_SHA1, FEAT_SHA256, FEAT_SHA512, FEAT_SHA3, FEAT_SM3, FEAT_SM4.
    pub sha1: bool,
    pub sha256: bool,
    pub sha512: bool,
    pub sha3: bool,
    pub sm3: bool,
    pub sm4: bool,
}

/// The features visible at EL0 whose behaviour the interpreter implements, by Arm's names. A
/// board offers a configuration only if each of its EL0-visible features is here.
pub const IMPLEMENTED: &[&str] = &[
    "FEAT_AA64",
    "FEAT_AA64EL0",
    "FEAT_EL0",
    "FEAT_FP",
    "FEAT_AdvSIMD",
    "FEAT_CRC32",
    "FEAT_LSE",
    "FEAT_LSE2",
    "FEAT_LRCPC",
    "FEAT_LRCPC2",
    "FEAT_DPB",
    "FEAT_DPB2",
    "FEAT_JSCVT",
    "FEAT_PAuth",
    "FEAT_PACQARMA5",
    "FEAT_PAuth2",
    "FEAT_FPAC",
    "FEAT_FPACCOMBINE",
    "FEAT_DIT",
    "FEAT_FlagM",
    "FEAT_FlagM2",
    "FEAT_BTI",
    "FEAT_FRINTTS",
    "FEAT_SB",
    "FEAT_SSBS",
    "FEAT_FP16",
    "FEAT_RDM",
    "FEAT_DotProd",
    "FEAT_FCMA",
    "FEAT_FHM",
    "FEAT_I8MM",
    "FEAT_BF16",
    "FEAT_AFP",
    "FEAT_RPRES",
    "FEAT_HBC",
    "FEAT_MOPS",
    "FEAT_CSSC",
    // Hints that are NOPs here: CLRBHB (no branch history), CHKFEAT X16 (no FEAT_GCS, so X16
    // comes back unchanged).
    "FEAT_CLRBHB",
    "FEAT_CHK",
    // The cryptographic extension: the umbrella name for AES, PMULL, SHA1 and SHA256 together.
    "FEAT_Crypto",
    "FEAT_AES",
    "FEAT_PMULL",
    "FEAT_SHA1",
    "FEAT_SHA256",
    "FEAT_SHA512",
    "FEAT_SHA3",
    "FEAT_SM3",
    "FEAT_SM4",
    // LDLAR and STLLR, with no LORegions configured (EL0 cannot), order like LDAR and STLR.
    "FEAT_LOR",
];

/// The features above EL0 that the system model (`Config::system`) implements, each with a
/// flag in [`SystemFeatures`].
pub const SYSTEM_IMPLEMENTED: &[&str] = &[
    "FEAT_PAN",
    "FEAT_PAN2",
    "FEAT_UAO",
    "FEAT_HPDS",
    "FEAT_TTCNP",
    "FEAT_RAS",
    "FEAT_LPA",
    "FEAT_LVA",
    "FEAT_XNX",
    "FEAT_VMID16",
    "FEAT_VHE",
    "FEAT_HAFDBS",
    "FEAT_TLBIOS",
    "FEAT_TLBIRANGE",
    "FEAT_IDST",
    "FEAT_DoubleFault",
    "FEAT_RASv1p1",
    "FEAT_S2FWB",
    "FEAT_TTST",
    "FEAT_E0PD",
    "FEAT_EVT",
    "FEAT_SPECRES",
    "FEAT_SEL2",
    "FEAT_FGT",
    "FEAT_ECV",
    "FEAT_ECV_POFF",
    "FEAT_PAN3",
    "FEAT_HCX",
    "FEAT_XS",
    "FEAT_WFxT",
    "FEAT_LPA2",
    "FEAT_TIDCP1",
    "FEAT_CMOW",
    "FEAT_NMI",
    "FEAT_SCTLR2",
    "FEAT_TCR2",
    "FEAT_FGT2",
    "FEAT_RASv2",
    "FEAT_SPECRES2",
    "FEAT_Debugv8p9",
    "FEAT_PMUv3",
    "FEAT_PMUv3p1",
    "FEAT_PMUv3p4",
    "FEAT_PMUv3p5",
    "FEAT_PMUv3p7",
    "FEAT_PMUv3p8",
    "FEAT_HPMN0",
    "FEAT_PMUv3p9",
    "FEAT_EBEP",
];

/// The features above EL0 the system model has with no switch of their own: the Exception
/// levels and Security states (`Config::el2`, `el3`), the translation granules, TLBI's TTL
/// hint (this TLB invalidates everything on any TLBI), break-before-make level 0 (nothing to
/// do), the RAS system architecture's v1.1 record interface (no records), the debug
/// architecture versions (self-hosted debug is `debug`; what v8.1 to v8.8 add beyond it is
/// external debug's, or AArch32's),
/// FEAT_ETS2 (a translation table walk sees every earlier store of the PE: this PE does one
/// thing at a time, never caches a faulting walk, and a TLBI is done when it retires), FEAT_ASMv8p2 (assembler syntax, the BFC alias
/// and others, with no behaviour of its own), FEAT_CSV2 and FEAT_CSV3 (guarantees about
/// speculation, which this PE does not do) and FEAT_GTG (stage 2's granules reported apart
/// in ID_AA64MMFR0_EL1.TGranX_2: both stages have all three).
pub const SYSTEM_ARCHITECTURAL: &[&str] = &[
    "FEAT_AA64EL1",
    "FEAT_AA64EL2",
    "FEAT_AA64EL3",
    "FEAT_EL1",
    "FEAT_EL2",
    "FEAT_EL3",
    "FEAT_Secure",
    "FEAT_IVIPT",
    "FEAT_TGran4K",
    "FEAT_TGran16K",
    "FEAT_TGran64K",
    "FEAT_S2TGran4K",
    "FEAT_S2TGran16K",
    "FEAT_S2TGran64K",
    "FEAT_TTL",
    "FEAT_BBM",
    "FEAT_RASSAv1p1",
    "FEAT_Debugv8p1",
    "FEAT_Debugv8p2",
    "FEAT_Debugv8p4",
    "FEAT_ASMv8p2",
    "FEAT_CSV2",
    "FEAT_CSV3",
    "FEAT_GTG",
    "FEAT_ETS2",
    "FEAT_Debugv8p8",
    "FEAT_ECBHB",
    "FEAT_EDHSR",
    "FEAT_RASSAv2",
];

/// The FPCR bits this PE implements: AHP, DN, FZ, RMode, FZ16, and with FEAT_AFP also NEP, AH
/// and FIZ. No trapped exceptions.
pub fn fpcr_mask(f: &Features) -> u64 {
    0x07c8_0000 | if f.afp { 0b111 } else { 0 }
}

impl Features {
    pub const ALL: Features = Features::with_each(true);
    pub const NONE: Features = Features::with_each(false);

    const fn with_each(on: bool) -> Features {
        Features {
            lse: on,
            lse2: on,
            lrcpc: on,
            lrcpc2: on,
            crc32: on,
            flagm: on,
            flagm2: on,
            sb: on,
            dit: on,
            ssbs: on,
            pauth: on,
            pauth2: on,
            fpac: on,
            fpaccombine: on,
            bti: on,
            fp16: on,
            frintts: on,
            jscvt: on,
            lor: on,
            dpb: on,
            dpb2: on,
            rdm: on,
            dotprod: on,
            fhm: on,
            fcma: on,
            i8mm: on,
            bf16: on,
            afp: on,
            rpres: on,
            hbc: on,
            mops: on,
            cssc: on,
            aes: on,
            pmull: on,
            sha1: on,
            sha256: on,
            sha512: on,
            sha3: on,
            sm3: on,
            sm4: on,
        }
    }

    /// Whether the named feature is one of these and on.
    pub fn has(&self, name: &str) -> bool {
        match name {
            "FEAT_LSE" => self.lse,
            "FEAT_LSE2" => self.lse2,
            "FEAT_LRCPC" => self.lrcpc,
            "FEAT_LRCPC2" => self.lrcpc2,
            "FEAT_CRC32" => self.crc32,
            "FEAT_FlagM" => self.flagm,
            "FEAT_FlagM2" => self.flagm2,
            "FEAT_SB" => self.sb,
            "FEAT_DIT" => self.dit,
            "FEAT_SSBS" => self.ssbs,
            "FEAT_PAuth" | "FEAT_PACQARMA5" => self.pauth,
            "FEAT_PAuth2" => self.pauth2,
            "FEAT_FPAC" => self.fpac,
            "FEAT_FPACCOMBINE" => self.fpaccombine,
            "FEAT_BTI" => self.bti,
            "FEAT_FP16" => self.fp16,
            "FEAT_FRINTTS" => self.frintts,
            "FEAT_JSCVT" => self.jscvt,
            "FEAT_LOR" => self.lor,
            "FEAT_DPB" => self.dpb,
            "FEAT_DPB2" => self.dpb2,
            "FEAT_RDM" => self.rdm,
            "FEAT_DotProd" => self.dotprod,
            "FEAT_FHM" => self.fhm,
            "FEAT_FCMA" => self.fcma,
            "FEAT_I8MM" => self.i8mm,
            "FEAT_BF16" => self.bf16,
            "FEAT_AFP" => self.afp,
            "FEAT_RPRES" => self.rpres,
            "FEAT_HBC" => self.hbc,
            "FEAT_MOPS" => self.mops,
            "FEAT_CSSC" => self.cssc,
            "FEAT_AES" => self.aes,
            "FEAT_PMULL" => self.pmull,
            "FEAT_SHA1" => self.sha1,
            "FEAT_SHA256" => self.sha256,
            "FEAT_SHA512" => self.sha512,
            "FEAT_SHA3" => self.sha3,
            "FEAT_SM3" => self.sm3,
            "FEAT_SM4" => self.sm4,
            _ => false,
        }
    }

    /// The features a configuration has, by Arm's names (`FEAT_LSE`, ...), e.g. from a resolved
    /// CPU spec.
    pub fn from_names(has: impl Fn(&str) -> bool) -> Features {
        Features {
            lse: has("FEAT_LSE"),
            lse2: has("FEAT_LSE2"),
            lrcpc: has("FEAT_LRCPC"),
            lrcpc2: has("FEAT_LRCPC2"),
            crc32: has("FEAT_CRC32"),
            flagm: has("FEAT_FlagM"),
            flagm2: has("FEAT_FlagM2"),
            sb: has("FEAT_SB"),
            dit: has("FEAT_DIT"),
            ssbs: has("FEAT_SSBS"),
            pauth: has("FEAT_PAuth") && has("FEAT_PACQARMA5"),
            pauth2: has("FEAT_PAuth") && has("FEAT_PACQARMA5") && has("FEAT_PAuth2"),
            fpac: has("FEAT_PAuth2") && has("FEAT_FPAC"),
            fpaccombine: has("FEAT_PAuth2") && has("FEAT_FPAC") && has("FEAT_FPACCOMBINE"),
            bti: has("FEAT_BTI"),
            fp16: has("FEAT_FP16"),
            frintts: has("FEAT_FRINTTS"),
            jscvt: has("FEAT_JSCVT"),
            lor: has("FEAT_LOR"),
            dpb: has("FEAT_DPB"),
            dpb2: has("FEAT_DPB2"),
            rdm: has("FEAT_RDM"),
            dotprod: has("FEAT_DotProd"),
            fhm: has("FEAT_FHM"),
            fcma: has("FEAT_FCMA"),
            i8mm: has("FEAT_I8MM"),
            bf16: has("FEAT_BF16"),
            afp: has("FEAT_AFP"),
            rpres: has("FEAT_AFP") && has("FEAT_RPRES"),
            hbc: has("FEAT_HBC"),
            mops: has("FEAT_MOPS"),
            cssc: has("FEAT_CSSC"),
            aes: has("FEAT_AES"),
            pmull: has("FEAT_PMULL"),
            sha1: has("FEAT_SHA1"),
            sha256: has("FEAT_SHA256"),
            sha512: has("FEAT_SHA512"),
            sha3: has("FEAT_SHA3"),
            sm3: has("FEAT_SM3"),
            sm4: has("FEAT_SM4"),
        }
    }
}

impl Default for Config {
    fn default() -> Config {
        Config {
            id_registers: Vec::new(),
            // Implementer 0x00 is reserved by the Arm ARM for software use, which is what a
            // model is; architecture 0xF ("defined by ID registers"). The part number is QEMU
            // `max`'s (MIDR 0x000F0510), so firmware that knows that CPU by its MIDR (TF-A's
            // `qemu_max` CPU operations) runs here unchanged: no Arm Ltd part is claimed.
            midr_el1: 0x000f_0510,
            // DIC=1, IDC=1, CWG=4 (64-byte), ERG=4, DminLine=4, L1Ip=PIPT, IminLine=4.
            ctr_el0: (1 << 29) | (1 << 28) | (4 << 24) | (4 << 20) | (4 << 16) | (3 << 14) | 4,
            // DC ZVA allowed, 64-byte blocks (BS = log2(words) = 4).
            dczid_el0: 4,
            cntfrq_el0: 1_000_000_000,
            features: Features::ALL,
            system: false,
            el2: false,
            el3: false,
            mpidr_el1: 0x8000_0000,
            rvbar: 0,
            log_unmodelled: false,
            system_features: SystemFeatures::default(),
        }
    }
}

/// An exception taken by an instruction, returned to the board. For synchronous faults the PC
/// still addresses the faulting instruction; for SVC, BRK, HLT the `pc` field names the
/// instruction and `State::pc` is already past it (the preferred return address of SVC).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exception {
    /// SVC #imm16: a system call in user mode.
    SupervisorCall { pc: u64, imm: u16 },
    /// BRK #imm16.
    Breakpoint { pc: u64, imm: u16 },
    /// HLT #imm16 (with no external debugger, UNDEFINED in effect; the board decides).
    Halt { pc: u64, imm: u16 },
    /// The instruction is UNDEFINED: unallocated, not implemented, or not enabled.
    Undefined {
        pc: u64,
        word: u32,
        encoding: Option<EncodingId>,
    },
    /// The instruction fetch faulted.
    InstructionAbort { pc: u64, fault: Fault },
    /// A data access faulted.
    DataAbort {
        pc: u64,
        word: u32,
        encoding: EncodingId,
        fault: Fault,
    },
    /// PC or SP alignment fault.
    PcAlignment { pc: u64 },
    SpAlignment {
        pc: u64,
        word: u32,
        encoding: EncodingId,
    },
    /// HVC #imm16 that is not UNDEFINED (system mode). Retired: PC is past it.
    HypervisorCall { pc: u64, imm: u16 },
    /// SMC #imm16 that is not UNDEFINED or trapped (system mode). Retired: PC is past it.
    SecureMonitorCall { pc: u64, imm: u16 },
    /// An access trapped to a higher Exception level by a control (system mode): the target,
    /// the exception class and its ISS.
    Trap {
        pc: u64,
        target: crate::state::ExceptionLevel,
        class: u32,
        iss: u32,
    },
    /// The instruction ran in Illegal Execution state (PSTATE.IL set by an illegal ERET).
    IllegalState { pc: u64 },
    /// An access to a System register the board answers (the GIC CPU interface, kind `gic`),
    /// after its checks passed: not retired, PC at the instruction. The board reads or writes
    /// X[`rt`] and calls [`Cpu::complete_board_sysreg`].
    BoardSysreg {
        pc: u64,
        reg: crate::sysregs::Reg,
        rt: u32,
        read: bool,
    },
    /// WFI or WFE with no event pending (system mode): retired, PC past it. The board waits
    /// for an interrupt, or moves time to the next timer deadline.
    WaitForInterrupt { pc: u64 },
    /// A Branch Target exception (FEAT_BTI): an indirect branch that set PSTATE.BTYPE to
    /// `btype` reached an instruction in a guarded page that is not a compatible landing pad.
    BranchTarget { pc: u64, btype: u8 },
    /// A PAC Fail exception (FEAT_FPAC): an authentication failed; `data` for a data key,
    /// `key_b` for key B (the ISS's DnI and BnA bits).
    PacFail { pc: u64, data: bool, key_b: bool },
    /// A breakpoint or software step exception (self-hosted debug, `debug`), before the
    /// instruction at `pc` executes. Watchpoints are data aborts with
    /// [`crate::memory::FaultKind::Watchpoint`].
    Debug { pc: u64, event: debug::DebugEvent },
}

/// Whether an instruction is a SIMD&FP one for `CheckFPAdvSIMDEnabled`: the SIMD&FP data
/// processing groups, and loads and stores of SIMD&FP registers (the V bit, 26).
fn fp_instruction(id: EncodingId, word: u32) -> bool {
    let g = id.info().group;
    // Bit 26 of the memory copy and set instructions picks CPY or CPYF, SET or SETG.
    g.starts_with("simd_dp/")
        || (g.starts_with("ldst/") && g != "ldst/memcms" && word & (1 << 26) != 0)
}

/// A Load-Exclusive (single register or pair), for software step's ESR_ELx.EX.
fn load_exclusive(id: EncodingId, word: u32) -> bool {
    let g = id.info().group;
    (g == "ldst/ldstexclr" || g == "ldst/ldstexclp") && word & (1 << 22) != 0
}

/// The local exclusive monitor of one PE.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LocalMonitor {
    /// The marked address and size, when in the Exclusive Access state.
    pub marked: Option<(u64, u8)>,
}

/// One PE: its architectural state, configuration and the implementation state the
/// architecture describes but does not name as registers (the local monitor).
#[derive(Clone, Debug)]
pub struct Cpu {
    pub state: State,
    pub config: Config,
    pub monitor: LocalMonitor,
    /// Instructions retired so far.
    pub retired: u64,
    /// Decoded instructions by code page (`decode_cache`).
    pub decode_cache: DecodeCache,
    /// System mode: the trap a SIMD&FP instruction takes now (CPACR_EL1, CPTR_ELx), kept up
    /// to date by [`Cpu::system_state_changed`].
    pub fp_trap: Option<crate::state::ExceptionLevel>,
    /// Nanoseconds the board skipped while the PE waited (WFI), added to the counter.
    pub idle_ns: u64,
    /// The interrupt request lines into the PE: what the board's interrupt controller
    /// signals ([`Cpu::set_physical_interrupt`]) as an IRQ or a FIQ in the PE's current
    /// state, kept up to date by [`Cpu::system_state_changed`].
    pub irq_line: bool,
    pub fiq_line: bool,
    /// The group of the interrupt the GIC's CPU interface signals, if any.
    pub gic_signal: Option<InterruptGroup>,
    /// The IRQ has superpriority (a GICv3.3 NMI, FEAT_NMI): with SCTLR_ELx.NMI set at its
    /// target, PSTATE.I does not mask it.
    pub irq_superpriority: bool,
    /// HCR_EL2 asserts a virtual interrupt (VI, VF or VSE) with EL2 enabled: kept up to date
    /// by [`Cpu::system_state_changed`], so the step loop looks for interrupts.
    pub virtual_pending: bool,
    /// The virtual interrupt lines from the GIC's virtual CPU interface (list registers),
    /// beside HCR_EL2.VI and VF: set by the board through [`Cpu::set_virtual_lines`].
    pub vgic_irq_line: bool,
    pub vgic_fiq_line: bool,
    /// The Event Register (WFE, SEV, SEVL, the timer's event streams).
    pub event_register: bool,
    /// The physical count when the event streams were last looked at (an edge after it
    /// sets the Event Register), and whether the PE waits in a WFE (the event streams wake
    /// it; a WFI waits for an interrupt).
    pub event_stream_seen: u64,
    pub in_wfe: bool,
    /// The timeout of the WFET or WFIT the PE waits in (FEAT_WFxT): the virtual count, as
    /// CNTVCT_EL0 reads at that level, at which the wait ends. Set by the WFET or WFIT that
    /// starts to wait and cleared when it completes at once, traps or an exception is taken;
    /// after a timed-out wait it stays until then, and is read only while the PE waits.
    pub wfxt_deadline: Option<u64>,
    /// Accesses to System registers the model lacks: `(pc, op0:op1:CRn:CRm:op2, read)`, when
    /// `Config::log_unmodelled` is on. The board drains and reports them.
    pub unmodelled: Vec<(u64, u32, bool)>,
    /// Exceptions taken architecturally ([`Cpu::take`], interrupts).
    pub exceptions_taken: u64,
    /// System mode: the translation context the registers describe now, and whether the
    /// memory has yet to be told ([`Memory::set_translation`], before the next fetch).
    pub translation: crate::mmu::Translation,
    pub translation_pending: bool,
    /// Each System register's `(writable, RES1)` bits for this PE's features
    /// ([`crate::sysregs::Info::masks`]), by `Reg` index.
    pub sysreg_masks: Box<[(u64, u64)]>,
    /// What the debug registers arm at the current level (kept up to date by
    /// [`Cpu::system_state_changed`]): whether every instruction needs the reference path
    /// (software step, a context breakpoint), and whether an address breakpoint may match.
    pub debug: debug::DebugState,
    pub debug_armed: bool,
    pub breakpoints_armed: bool,
    /// The watchpoints that apply now, and whether the memory has yet to be told
    /// ([`Memory::set_watchpoints`], before the next instruction).
    pub watchpoints: [debug::Watchpoint; debug::WATCHPOINTS],
    pub watch_pending: bool,
    /// What the Performance Monitors' counters count between syncs (`pmu`).
    pub pmu: pmu::Pmu,
}

/// Why [`Cpu::run`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    Exception(Exception),
    /// The instruction budget ran out, or a device asked the board to act before the next
    /// instruction ([`Memory::board_event`]).
    Budget,
}

/// How many groups [`Cpu::execute_group`] knows.
const GROUPS: u8 = 16;

/// The outcome of executing one instruction: `Ok` or an exception.
pub(crate) type Exec = Result<(), Exception>;

/// The instruction being executed, handed to each group's semantics.
#[derive(Clone, Copy)]
pub(crate) struct Insn {
    pub word: u32,
    pub id: EncodingId,
    pub pc: u64,
}

impl Insn {
    /// `word<hi:lo>`.
    #[inline]
    pub fn bits(&self, hi: u32, lo: u32) -> u32 {
        (self.word >> lo) & ((1u32 << (hi - lo + 1)) - 1)
    }

    #[inline]
    pub fn bit(&self, n: u32) -> bool {
        (self.word >> n) & 1 != 0
    }

    #[inline]
    pub fn rd(&self) -> u32 {
        self.word & 31
    }

    #[inline]
    pub fn rn(&self) -> u32 {
        (self.word >> 5) & 31
    }

    #[inline]
    pub fn rm(&self) -> u32 {
        (self.word >> 16) & 31
    }

    #[inline]
    pub fn undefined(&self) -> Exec {
        Err(Exception::Undefined {
            pc: self.pc,
            word: self.word,
            encoding: Some(self.id),
        })
    }

    #[inline]
    pub fn data_abort(&self, fault: Fault) -> Exception {
        Exception::DataAbort {
            pc: self.pc,
            word: self.word,
            encoding: self.id,
            fault,
        }
    }
}

impl Cpu {
    pub fn new(config: Config) -> Cpu {
        let sysreg_masks = crate::sysregs::INFO
            .iter()
            .map(|info| info.masks(|f| config.has(f)))
            .collect();
        Cpu {
            sysreg_masks,
            state: State::default(),
            config,
            monitor: LocalMonitor::default(),
            retired: 0,
            decode_cache: DecodeCache::default(),
            fp_trap: None,
            idle_ns: 0,
            irq_line: false,
            gic_signal: None,
            irq_superpriority: false,
            fiq_line: false,
            virtual_pending: false,
            vgic_irq_line: false,
            vgic_fiq_line: false,
            event_register: false,
            event_stream_seen: 0,
            in_wfe: false,
            wfxt_deadline: None,
            unmodelled: Vec::new(),
            exceptions_taken: 0,
            translation: crate::mmu::Translation::default(),
            translation_pending: false,
            debug: debug::DebugState::default(),
            debug_armed: false,
            breakpoints_armed: false,
            watchpoints: [debug::Watchpoint::default(); debug::WATCHPOINTS],
            watch_pending: false,
            pmu: pmu::Pmu::default(),
        }
    }

    /// Finishes an [`Exception::BoardSysreg`] access: writes `value` to X[rt] for a read, and
    /// retires the instruction.
    pub fn complete_board_sysreg(&mut self, rt: u32, read: bool, value: u64) {
        if read {
            self.state.set_xr(rt, value);
        }
        self.state.pc = self.state.pc.wrapping_add(4);
        self.retired += 1;
        self.completed_by_board();
    }

    /// The board completed an instruction the PE handed it (semihosting's HLT, a PSCI call,
    /// a `gic` register): software step moves on as after any instruction (`SSAdvance`).
    pub fn completed_by_board(&mut self) {
        let stepping = self.debug.step && self.state.pstate.ss;
        self.step_advance(stepping, false);
    }

    /// Puts the PE in its reset state for system mode: the highest implemented Exception level
    /// with SP_ELx, interrupts masked, System registers at their reset values, PC at `pc`.
    pub fn reset_system(&mut self, pc: u64) {
        use crate::state::ExceptionLevel as El;
        self.state = State::default();
        // Reset values of fields this PE does not have: RES0, or RES1.
        for (v, &(w, r)) in self.state.sys.iter_mut().zip(self.sysreg_masks.iter()) {
            *v = (*v & (w | r)) | r;
        }
        let p = &mut self.state.pstate;
        p.el = if self.config.el3 {
            El::EL3
        } else if self.config.el2 {
            El::EL2
        } else {
            El::EL1
        };
        p.sp = true;
        p.d = true;
        p.a = true;
        p.i = true;
        p.f = true;
        self.state.pc = pc;
        self.state
            .set_sr(crate::sysregs::VPIDR_EL2, self.config.midr_el1);
        self.state
            .set_sr(crate::sysregs::VMPIDR_EL2, self.config.mpidr_el1);
        self.monitor = LocalMonitor::default();
        // The counters start again from here: nothing before the reset counts.
        self.pmu = pmu::Pmu {
            synced: self.retired,
            ..pmu::Pmu::default()
        };
        self.system_state_changed();
    }

    /// Executes instructions until an exception or until `budget` instructions have retired.
    pub fn run(&mut self, mem: &mut impl Memory, budget: u64) -> Stop {
        // Instructions the fast path retires are counted here and published to `retired`
        // before anything else can read it (the reference path reads it for CNTVCT_EL0).
        let start = self.retired;
        let mut done = 0u64;
        while done < budget {
            if self.step_fast(mem) {
                done += 1;
                continue;
            }
            self.retired = start + done;
            if mem.board_event() {
                return Stop::Budget;
            }
            let r = self.step_reference(mem);
            done = self.retired - start;
            if let Err(e) = r {
                return Stop::Exception(e);
            }
            // What the PMU counts, or its interrupt, changed: the board must look again
            // (for PMUIRQ, and for the slice to end at the next overflow).
            if self.pmu.changed {
                self.pmu.changed = false;
                self.retired = start + done;
                return Stop::Budget;
            }
        }
        self.retired = start + done;
        Stop::Budget
    }

    /// The common case of [`Cpu::step`], kept small so it stays in the loop: a cached
    /// instruction with a specialised body (`fastops`), not after an indirect branch (no BTI
    /// check due), with no code changed since the last step. Returns whether it ran the
    /// instruction; if not, nothing has changed and the reference path must run it. Does not
    /// count the instruction: the caller does.
    #[inline(always)]
    fn step_fast(&mut self, mem: &mut impl Memory) -> bool {
        let pc = self.state.pc;
        if mem.code_changed()
            || self.state.pstate.btype != 0
            || self.state.pstate.il
            || self.translation_pending
            || self.irq_line
            || self.fiq_line
            || self.virtual_pending
            || self.debug_armed
            || self.watch_pending
            || self.pmu.exception_pending
            || (self.breakpoints_armed && self.breakpoint_at(pc))
        {
            return false;
        }
        let Some(entry) = self.decode_cache.current(pc) else {
            return false;
        };
        let (fast, word, imm) = (entry.fast, entry.word, entry.imm);
        if fast == fastops::FastOp::None {
            return false;
        }
        self.state.pc = pc.wrapping_add(4);
        if fastops::execute(self, mem, fast, word, imm) {
            return true;
        }
        self.state.pc = pc;
        false
    }

    /// Fetches, decodes and executes one instruction. On success PC has moved on and the
    /// instruction has retired. An SVC, BRK or HLT retires too; a fault or UNDEFINED does not.
    #[inline]
    pub fn step(&mut self, mem: &mut impl Memory) -> Result<(), Exception> {
        if self.step_fast(mem) {
            self.retired += 1;
            return Ok(());
        }
        self.step_reference(mem)
    }

    /// [`Cpu::step`] through the reference semantics.
    #[inline(never)]
    fn step_reference(&mut self, mem: &mut impl Memory) -> Result<(), Exception> {
        let pc = self.state.pc;
        if self.translation_pending {
            // Decoded instructions are keyed by virtual address: a new translation context
            // (or a new level's execute permissions) invalidates them.
            mem.set_translation(&self.translation);
            self.decode_cache.clear();
            self.translation_pending = false;
        }
        if self.watch_pending {
            mem.set_watchpoints(&self.watchpoints);
            self.watch_pending = false;
        }
        // Software step: the exception an instruction just stepped leaves pending comes
        // before any interrupt; one an exception return left pending, after.
        if self.debug_armed
            && self.debug.stepped.is_some()
            && let Some(event) = self.step_pending()
        {
            return Err(Exception::Debug { pc, event });
        }
        if (self.irq_line || self.fiq_line || self.virtual_pending)
            && let Some((target, kind)) = self.interrupt_target()
        {
            self.take_interrupt(target, kind);
            return Ok(());
        }
        // The PMU exception (FEAT_EBEP), asynchronous, after the interrupts (their relative
        // priority is IMPLEMENTATION DEFINED).
        if self.pmu.exception_pending
            && let Some(target) = self.pmu_exception_due()
        {
            self.take_pmu_exception(target);
            return Ok(());
        }
        if self.debug_armed
            && let Some(event) = self.step_pending()
        {
            return Err(Exception::Debug { pc, event });
        }
        if pc & 3 != 0 {
            return Err(Exception::PcAlignment { pc });
        }
        if mem.code_changed() {
            self.decode_cache.sync(mem);
        }
        let entry = *self
            .decode_cache
            .lookup(mem, pc)
            .map_err(|fault| Exception::InstructionAbort { pc, fault })?;
        // Breakpoints: after the fetch's own faults, before Illegal Execution state.
        if (self.debug_armed || self.breakpoints_armed) && self.breakpoint_at(pc) {
            return Err(Exception::Debug {
                pc,
                event: debug::DebugEvent::Breakpoint,
            });
        }
        if self.state.pstate.il {
            return Err(Exception::IllegalState { pc });
        }
        let btype = self.state.pstate.btype;
        let word = entry.word;
        let Some(id) = entry.id else {
            return Err(Exception::Undefined {
                pc,
                word,
                encoding: None,
            });
        };
        // After an indirect branch: the landing-pad check (FEAT_BTI). Every instruction sets
        // BTYPE to zero unless it is an indirect branch, which sets its own.
        if btype != 0 {
            if self.config.features.bti {
                // SCTLR_ELx.BT (BT0 at EL0, BT1 at EL1 and in EL2&0, BT at EL2 and EL3).
                let el = self.state.pstate.el;
                let bit = if el == crate::state::ExceptionLevel::EL0 {
                    35
                } else {
                    36
                };
                let bt = self.sctlr(el) >> bit & 1 != 0;
                bti::check(mem, Insn { word, id, pc }, btype, bt)?;
            }
            self.state.pstate.btype = 0;
        }
        if let Some(target) = self.fp_trap
            && fp_instruction(id, word)
        {
            return Err(Exception::Trap {
                pc,
                target,
                class: exceptions::ec::FP_ACCESS,
                iss: 0x1e0_0000,
            });
        }
        // Branches overwrite this; everything else falls through to the next instruction.
        self.state.pc = pc.wrapping_add(4);
        let stepping = self.debug.step && self.state.pstate.ss;
        let r = self.execute(mem, word, id, pc, entry.group);
        match r {
            Ok(()) => {
                self.retired += 1;
                if stepping {
                    self.step_advance(true, load_exclusive(id, word));
                }
                Ok(())
            }
            Err(
                e @ (Exception::SupervisorCall { .. }
                | Exception::Breakpoint { .. }
                | Exception::Halt { .. }
                | Exception::HypervisorCall { .. }
                | Exception::SecureMonitorCall { .. }
                | Exception::WaitForInterrupt { .. }),
            ) => {
                self.retired += 1;
                // BRK and HLT do not complete: the step stays active-not-pending.
                let completes = !matches!(e, Exception::Breakpoint { .. } | Exception::Halt { .. });
                self.step_advance(stepping && completes, false);
                Err(e)
            }
            Err(e) => {
                self.state.pc = pc;
                self.state.pstate.btype = btype;
                Err(e)
            }
        }
    }

    /// Executes `i` with the group the decode cache learnt for it, or else tries the groups in
    /// order and teaches the cache which one took it.
    #[inline(always)]
    fn execute(
        &mut self,
        mem: &mut impl Memory,
        word: u32,
        id: EncodingId,
        pc: u64,
        group: u8,
    ) -> Exec {
        // The `Insn` is not used after the call, and the result is a fresh `Ok(())`: otherwise
        // the compiler copies them with wide loads that stall on the narrow stores that wrote
        // them (store forwarding fails), which cost a third of the time.
        match self.execute_group(mem, group, Insn { word, id, pc }) {
            Some(Ok(())) => Ok(()),
            Some(Err(e)) => Err(e),
            None => self.execute_slow(mem, word, pc),
        }
    }

    /// Tries each group in turn on the instruction `word` at `pc` (decoding it again is
    /// cheaper than keeping the `Insn`), and teaches the decode cache which group took it.
    #[inline(never)]
    fn execute_slow(&mut self, mem: &mut impl Memory, word: u32, pc: u64) -> Exec {
        let Some(id) = crate::decode::decode(word) else {
            return Err(Exception::Undefined {
                pc,
                word,
                encoding: None,
            });
        };
        let i = Insn { word, id, pc };
        for g in 0..GROUPS {
            if let Some(r) = self.execute_group(mem, g, i) {
                self.decode_cache.learn_group(i.pc, g);
                return r;
            }
        }
        i.undefined()
    }

    /// Group `g`'s semantics for `i`, or `None` when `i` is not its instruction. A group
    /// decides that from the encoding id alone, before any side effect.
    #[inline(always)]
    fn execute_group(&mut self, mem: &mut impl Memory, g: u8, i: Insn) -> Option<Exec> {
        match g {
            0 => dp::execute(self, i),
            1 => branch::execute(self, mem, i),
            2 => ldst::execute(self, mem, i),
            _ => self.execute_other_group(mem, g, i),
        }
    }

    /// The groups other than the base integer ones, out of line so the hot loop stays small.
    /// Each module is a group of its own, so the decode cache sends an instruction straight to
    /// its module.
    #[inline(never)]
    fn execute_other_group(&mut self, mem: &mut impl Memory, g: u8, i: Insn) -> Option<Exec> {
        match g {
            3 => system::execute(self, mem, i),
            4 => simd::execute(self, i),
            5 => simd_ldst::execute(self, mem, i),
            6 => simd_fp::execute(self, i),
            7 => crypto::execute(self, i),
            8 => fp::execute(self, i),
            // The EL0 features v8.x and v9.0 add, one module each.
            9 => atomics::execute(self, mem, i),
            10 => rcpc::execute(self, mem, i),
            11 => crc::execute(self, i),
            12 => flagm::execute(self, i),
            13 => pauth::execute(self, mem, i),
            14 => simd_int::execute(self, i),
            15 => mops::execute(self, mem, i),
            _ => None,
        }
    }
}
