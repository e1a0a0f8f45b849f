//! System register access in system mode: MRS, MSR (register and immediate), and the System
//! instructions (SYS: cache maintenance, address translation, TLB maintenance), driven by the
//! register table generated from `spec/data/sysregs.txt`.
//!
//! Each access goes through the same order of checks as the Arm ARM's per-register pseudocode:
//! the feature (UNDEFINED without it), the lowest Exception level allowed (UNDEFINED below it),
//! then the trap controls the table names (a trap to a higher level, EC 0x18 or 0x07). An
//! encoding the table does not have is UNDEFINED, and its name is recorded for the board's
//! `--log sysreg` option: never silently zero.

use super::exceptions::ec;
use super::{Cpu, Exception, Exec, Insn};
use crate::memory::{AccessKind, Memory};
use crate::state::ExceptionLevel as El;
use crate::sysregs::{self as sr, FineGrainedTrap, Kind, Reg, Trap, field as f};

/// FPSR bits: QC, IDC, IXC, UFC, OFC, DZC, IOC.
const FPSR_MASK: u64 = 0x0800_009f;

/// The ISS of a trapped MRS/MSR (EC 0x18) of the register `packed` (`op0:op1:CRn:CRm:op2`, as
/// in MRS/MSR bits 20:5) with Xt `rt`: Op0, Op2, Op1, CRn, Rt, CRm, Direction (1: read).
pub fn trapped_sysreg_iss(packed: u32, rt: u32, read: bool) -> u32 {
    ((packed >> 14) << 20)
        | ((packed & 7) << 17)
        | (((packed >> 11) & 7) << 14)
        | (((packed >> 7) & 15) << 10)
        | (rt << 5)
        | (((packed >> 3) & 15) << 1)
        | u32::from(read)
}

fn sysreg_iss(i: Insn, read: bool) -> u32 {
    trapped_sysreg_iss(i.bits(20, 5), i.rd(), read)
}

/// The ISS of a trapped SIMD&FP access (EC 0x07) from AArch64: CV=1, COND=0b1110.
const FP_ISS: u32 = 0x1e0_0000;

/// A register's name for logs: the table's, or the generic `S<op0>_<op1>_C<n>_C<m>_<op2>`.
pub fn encoding_name(packed: u32) -> String {
    match sr::lookup(packed) {
        Some(r) => r.name().to_string(),
        None => format!(
            "S{}_{}_C{}_C{}_{}",
            packed >> 14,
            (packed >> 11) & 7,
            (packed >> 7) & 15,
            (packed >> 3) & 15,
            packed & 7
        ),
    }
}

impl Cpu {
    fn sysreg_trap(&self, i: Insn, target: El, read: bool) -> Exception {
        // A trap to EL1 from EL0 goes to EL2 instead under HCR_EL2.TGE.
        let target = if target == El::EL1 && f::HCR_EL2_TGE.is_set(self.hcr_el2()) {
            El::EL2
        } else {
            target
        };
        Exception::Trap {
            pc: i.pc,
            target,
            class: ec::SYSREG,
            iss: sysreg_iss(i, read),
        }
    }

    /// Whether the PE has the feature a register or instruction names (one the model does
    /// not implement: never, so its registers are UNDEFINED).
    pub fn has_feature(&self, name: &str) -> bool {
        self.config.has(name)
    }

    /// `AArch64.CheckFPAdvSIMDEnabled()`: the trap a SIMD&FP instruction or FPCR/FPSR access
    /// takes at the current level, if any (CPACR_EL1.FPEN, CPTR_EL2.TFP, CPTR_EL3.TFP).
    pub(super) fn fp_access_trap(&self) -> Option<El> {
        let el = self.state.pstate.el;
        if el <= El::EL1 && !self.in_host(el) {
            let fpen = f::CPACR_EL1_FPEN.get(self.state.sr(sr::CPACR_EL1));
            let disabled = match fpen {
                0b11 => false,
                0b01 => el == El::EL0,
                _ => true,
            };
            if disabled {
                return Some(if f::HCR_EL2_TGE.is_set(self.hcr_el2()) {
                    El::EL2
                } else {
                    El::EL1
                });
            }
        }
        if el <= El::EL2 && self.el2_enabled() {
            let cptr = self.state.sr(sr::CPTR_EL2);
            let disabled = if self.e2h() {
                // The CPACR_EL1 layout: FPEN 0b01 traps only the host's EL0.
                match f::CPTR_EL2_E2H_FPEN.get(cptr) {
                    0b11 => false,
                    0b01 => el == El::EL0 && f::HCR_EL2_TGE.is_set(self.hcr_el2()),
                    _ => true,
                }
            } else {
                f::CPTR_EL2_TFP.is_set(cptr)
            };
            if disabled {
                return Some(El::EL2);
            }
        }
        if self.have_el3() && f::CPTR_EL3_TFP.is_set(self.state.sr(sr::CPTR_EL3)) {
            return Some(El::EL3);
        }
        None
    }

    /// Recomputes what the interpreter caches from the System registers and PSTATE.EL: the
    /// SIMD&FP trap, checked before each SIMD&FP instruction. Called after every MSR, exception
    /// entry and return in system mode.
    pub fn system_state_changed(&mut self) {
        if self.config.system {
            self.fp_trap = self.fp_access_trap();
            self.update_physical_lines();
            let virtual_lines = f::HCR_EL2_VI.mask() | f::HCR_EL2_VF.mask() | f::HCR_EL2_VSE.mask();
            self.virtual_pending = self.el2_enabled()
                && (self.hcr_el2() & virtual_lines != 0
                    || self.vgic_irq_line
                    || self.vgic_fiq_line);
            let watchpoints = self.update_debug();
            if watchpoints != self.watchpoints {
                self.watchpoints = watchpoints;
                self.watch_pending = true;
            }
            // What the Performance Monitors count from here on.
            self.pmu_sync();
            let t = self.translation_for(self.state.pstate.el, true);
            if t != self.translation {
                self.translation = t;
                self.translation_pending = true;
            }
        }
    }

    /// The translation context of accesses made at `el` (stage 2 included when `stage2` and
    /// it applies): the regime's SCTLR, TCR, TTBRs and MAIR, HCR_EL2's VM, DC and TGE, and
    /// whether PSTATE.PAN restricts EL1's accesses.
    pub fn translation_for(&self, el: El, stage2: bool) -> crate::mmu::Translation {
        use crate::mmu::{Regime, Translation};
        let s = &self.state;
        let sys = self.config.system_features;
        let pa_bits = if sys.lpa { 52 } else { 48 };
        let lva = sys.lva;
        let m = |sctlr: u64| sctlr & 1 != 0;
        let secure = self.is_secure_at(el);
        match el {
            El::EL3 => Translation {
                el,
                regime: Regime::El3,
                stage1: m(s.sr(sr::SCTLR_EL3)),
                sctlr: s.sr(sr::SCTLR_EL3),
                tcr: s.sr(sr::TCR_EL3),
                ttbr0: s.sr(sr::TTBR0_EL3),
                mair: s.sr(sr::MAIR_EL3),
                pa_bits,
                lva,
                lpa2: sys.lpa2,
                hafdbs: sys.hafdbs,
                ttst: sys.ttst,
                bti: self.config.features.bti,
                secure,
                ..Translation::default()
            },
            El::EL2 | El::EL0 if self.in_host(el) => Translation {
                // The EL2&0 regime (FEAT_VHE): two VA ranges, EL0 and EL2 permissions.
                el,
                regime: Regime::El20,
                stage1: m(s.sr(sr::SCTLR_EL2)),
                sctlr: s.sr(sr::SCTLR_EL2),
                tcr: s.sr(sr::TCR_EL2),
                ttbr0: s.sr(sr::TTBR0_EL2),
                ttbr1: s.sr(sr::TTBR1_EL2),
                mair: s.sr(sr::MAIR_EL2),
                pa_bits,
                lva,
                lpa2: sys.lpa2,
                hafdbs: sys.hafdbs,
                ttst: sys.ttst,
                bti: self.config.features.bti,
                secure,
                // PAN restricts EL2 in this regime whatever TGE says (only the entry
                // rule, setting PAN, is the host's).
                pan: el == El::EL2 && s.pstate.pan,
                ..Translation::default()
            },
            El::EL2 => Translation {
                el,
                regime: Regime::El2,
                stage1: m(s.sr(sr::SCTLR_EL2)),
                sctlr: s.sr(sr::SCTLR_EL2),
                tcr: s.sr(sr::TCR_EL2),
                ttbr0: s.sr(sr::TTBR0_EL2),
                mair: s.sr(sr::MAIR_EL2),
                pa_bits,
                lva,
                lpa2: sys.lpa2,
                hafdbs: sys.hafdbs,
                ttst: sys.ttst,
                bti: self.config.features.bti,
                secure,
                ..Translation::default()
            },
            El::EL0 | El::EL1 => {
                let hcr = self.hcr_el2();
                let tge = f::HCR_EL2_TGE.is_set(hcr);
                let dc = f::HCR_EL2_DC.is_set(hcr);
                Translation {
                    el,
                    regime: Regime::El10,
                    stage1: m(s.sr(sr::SCTLR_EL1)) && !tge && !dc,
                    sctlr: s.sr(sr::SCTLR_EL1),
                    tcr: s.sr(sr::TCR_EL1),
                    ttbr0: s.sr(sr::TTBR0_EL1),
                    ttbr1: s.sr(sr::TTBR1_EL1),
                    mair: s.sr(sr::MAIR_EL1),
                    stage2: stage2 && f::HCR_EL2_VM.is_set(hcr) && !tge,
                    vtcr: s.sr(sr::VTCR_EL2),
                    vttbr: s.sr(sr::VTTBR_EL2),
                    vsttbr: s.sr(sr::VSTTBR_EL2),
                    vstcr: s.sr(sr::VSTCR_EL2),
                    default_cacheable: dc,
                    pa_bits,
                    lva,
                    lpa2: sys.lpa2,
                    hafdbs: sys.hafdbs,
                    ttst: sys.ttst,
                    bti: self.config.features.bti,
                    secure,
                    pan: el == El::EL1 && s.pstate.pan,
                    xnx: sys.xnx,
                    fwb: f::HCR_EL2_FWB.is_set(hcr),
                    ..Translation::default()
                }
            }
        }
    }

    /// The trap `t` imposes on this access at the current level, if it does.
    fn trap_target(&self, t: Trap, reg: Reg, read: bool) -> Option<El> {
        let el = self.state.pstate.el;
        let hcr = self.hcr_el2();
        let scr = if self.have_el3() {
            self.state.sr(sr::SCR_EL3)
        } else {
            u64::MAX
        };
        // EL0's timer controls: CNTKCTL_EL1, or in the host CNTHCTL_EL2 (E2H layout, same bits).
        let cntkctl = if self.in_host(El::EL0) {
            self.state.sr(sr::CNTHCTL_EL2)
        } else {
            self.state.sr(sr::CNTKCTL_EL1)
        };
        // EL1's (and a guest EL0's) physical counter and timer enables in CNTHCTL_EL2: bits 0
        // and 1, or 10 and 11 with E2H.
        let (el1pcten, el1pten) = if !self.el2_enabled() {
            (true, true)
        } else {
            let c = self.state.sr(sr::CNTHCTL_EL2);
            if self.e2h() {
                (
                    f::CNTHCTL_EL2_E2H_EL1PCTEN.is_set(c),
                    f::CNTHCTL_EL2_E2H_EL1PTEN.is_set(c),
                )
            } else {
                (
                    f::CNTHCTL_EL2_EL1PCTEN.is_set(c),
                    f::CNTHCTL_EL2_EL1PCEN.is_set(c),
                )
            }
        };
        let sctlr0 = self.sctlr(El::EL0);
        let el1 = el == El::EL1;
        let el0 = el == El::EL0;
        let hcr_bit =
            |field: sr::Field| (el1 || (el0 && field == f::HCR_EL2_TID2)) && field.is_set(hcr);
        let to_el2 = |c: bool| c.then_some(El::EL2);
        match t {
            Trap::TID1 => to_el2(hcr_bit(f::HCR_EL2_TID1)),
            Trap::TID2 => to_el2(hcr_bit(f::HCR_EL2_TID2)),
            Trap::TID4 => to_el2(hcr_bit(f::HCR_EL2_TID4)),
            Trap::TID3 => to_el2(hcr_bit(f::HCR_EL2_TID3)),
            Trap::TACR => to_el2(hcr_bit(f::HCR_EL2_TACR)),
            Trap::TVM => to_el2(!read && hcr_bit(f::HCR_EL2_TVM)),
            Trap::TRVM => to_el2(read && hcr_bit(f::HCR_EL2_TRVM)),
            Trap::APK => {
                if el1 && self.el2_enabled() && !f::HCR_EL2_APK.is_set(hcr) {
                    Some(El::EL2)
                } else if el <= El::EL2 && self.have_el3() && !f::SCR_EL3_APK.is_set(scr) {
                    Some(El::EL3)
                } else {
                    None
                }
            }
            Trap::EL0PCT => (el0 && !f::CNTKCTL_EL1_EL0PCTEN.is_set(cntkctl)).then_some(El::EL1),
            Trap::EL0VCT => (el0 && !f::CNTKCTL_EL1_EL0VCTEN.is_set(cntkctl)).then_some(El::EL1),
            Trap::EL0PT => (el0 && !f::CNTKCTL_EL1_EL0PTEN.is_set(cntkctl)).then_some(El::EL1),
            Trap::EL0VT => (el0 && !f::CNTKCTL_EL1_EL0VTEN.is_set(cntkctl)).then_some(El::EL1),
            Trap::EL1PCT => to_el2(el <= El::EL1 && !f::HCR_EL2_TGE.is_set(hcr) && !el1pcten),
            Trap::EL1PT => to_el2(el <= El::EL1 && !f::HCR_EL2_TGE.is_set(hcr) && !el1pten),
            Trap::UCT => (el0 && !f::SCTLR_EL1_UCT.is_set(sctlr0)).then_some(El::EL1),
            Trap::UMA => (el0 && !f::SCTLR_EL1_UMA.is_set(sctlr0)).then_some(El::EL1),
            Trap::ST => (el1 && self.is_secure() && !f::SCR_EL3_ST.is_set(scr)).then_some(El::EL3),
            Trap::FP => self.fp_access_trap(),
            Trap::TCPAC => {
                if el1
                    && self.el2_enabled()
                    && f::CPTR_EL2_TCPAC.is_set(self.state.sr(sr::CPTR_EL2))
                {
                    Some(El::EL2)
                } else if el <= El::EL2
                    && self.have_el3()
                    && f::CPTR_EL3_TCPAC.is_set(self.state.sr(sr::CPTR_EL3))
                {
                    Some(El::EL3)
                } else {
                    None
                }
            }
            Trap::TLOR => {
                if el1 && self.el2_enabled() && f::HCR_EL2_TLOR.is_set(hcr) {
                    Some(El::EL2)
                } else if el <= El::EL2
                    && !self.is_secure()
                    && self.have_el3()
                    && f::SCR_EL3_TLOR.is_set(scr)
                {
                    Some(El::EL3)
                } else {
                    None
                }
            }
            Trap::TERR => {
                if el1 && f::HCR_EL2_TERR.is_set(hcr) {
                    Some(El::EL2)
                } else if el <= El::EL2 && self.have_el3() && f::SCR_EL3_TERR.is_set(scr) {
                    Some(El::EL3)
                } else {
                    None
                }
            }
            Trap::EA => {
                (el <= El::EL2 && self.have_el3() && f::SCR_EL3_EA.is_set(scr)).then_some(El::EL3)
            }
            // FEAT_ECV: CNTHCTL_EL2.EL1TVT and EL1TVCT (the same bits in both layouts; RES0,
            // so never set, without the feature).
            Trap::EL1TVT | Trap::EL1TVCT => {
                let field = if t == Trap::EL1TVT {
                    f::CNTHCTL_EL2_EL1TVT
                } else {
                    f::CNTHCTL_EL2_EL1TVCT
                };
                let from = el1 || (el0 && !self.in_host(El::EL0));
                to_el2(from && self.el2_enabled() && field.is_set(self.state.sr(sr::CNTHCTL_EL2)))
            }
            // The debug registers: MDCR_EL2's controls (all of them with MDCR_EL2.TDE or
            // HCR_EL2.TGE) trap EL1 and EL0 to EL2, then MDCR_EL3's trap EL0-EL2 to EL3.
            Trap::TDA | Trap::TDOSA | Trap::TDRA | Trap::TDCC => {
                let mdcr2 = self.state.sr(sr::MDCR_EL2);
                let mdcr3 = self.state.sr(sr::MDCR_EL3);
                let all = f::MDCR_EL2_TDE.is_set(mdcr2) || f::HCR_EL2_TGE.is_set(hcr);
                let (el2_fields, el3_fields): (&[sr::Field], &[sr::Field]) = match t {
                    Trap::TDA => (&[f::MDCR_EL2_TDA], &[f::MDCR_EL3_TDA]),
                    Trap::TDOSA => (&[f::MDCR_EL2_TDOSA], &[f::MDCR_EL3_TDOSA]),
                    // MDCR_EL3 has no TDRA: its TDA covers MDRAR_EL1.
                    Trap::TDRA => (&[f::MDCR_EL2_TDRA], &[f::MDCR_EL3_TDA]),
                    _ => (
                        &[f::MDCR_EL2_TDCC, f::MDCR_EL2_TDA],
                        &[f::MDCR_EL3_TDCC, f::MDCR_EL3_TDA],
                    ),
                };
                if el <= El::EL1
                    && self.el2_enabled()
                    && (all || el2_fields.iter().any(|x| x.is_set(mdcr2)))
                {
                    Some(El::EL2)
                } else if el <= El::EL2
                    && self.have_el3()
                    && el3_fields.iter().any(|x| x.is_set(mdcr3))
                {
                    Some(El::EL3)
                } else {
                    None
                }
            }
            // The Performance Monitors' own order of checks (`pmu`); a counter past N is
            // UNDEFINED before any of them (`check_access`).
            Trap::PMU => self.pmu_trap(reg, read).ok().flatten(),
            // SCR_EL3's enables of EL2's registers: clear, EL2's accesses trap to EL3.
            Trap::FGTEN | Trap::ECVEN | Trap::HXEN | Trap::FGTEN2 => {
                let enable = match t {
                    Trap::FGTEN => f::SCR_EL3_FGTEn,
                    Trap::ECVEN => f::SCR_EL3_ECVEn,
                    Trap::FGTEN2 => f::SCR_EL3_FGTEn2,
                    _ => f::SCR_EL3_HXEn,
                };
                (el == El::EL2 && self.have_el3() && !enable.is_set(scr)).then_some(El::EL3)
            }
            // FEAT_SCTLR2, FEAT_TCR2: HCRX_EL2's enable (0 in effect when HCRX_EL2 is not
            // enabled) traps EL1 to EL2, then SCR_EL3's traps EL1 and EL2 to EL3.
            Trap::SCTLR2EN | Trap::TCR2EN => {
                let (hcrx_bit, scr_bit) = if t == Trap::SCTLR2EN {
                    (f::HCRX_EL2_SCTLR2En, f::SCR_EL3_SCTLR2En)
                } else {
                    (f::HCRX_EL2_TCR2En, f::SCR_EL3_TCR2En)
                };
                if el1 && self.el2_enabled() && !hcrx_bit.is_set(self.hcrx_el2()) {
                    Some(El::EL2)
                } else if (el1 || el == El::EL2) && self.have_el3() && !scr_bit.is_set(scr) {
                    Some(El::EL3)
                } else {
                    None
                }
            }
        }
    }

    /// The checks every access makes before touching the register: feature, level, traps.
    fn check_access(&mut self, i: Insn, reg: Reg, read: bool) -> Result<(), Exception> {
        let info = reg.info();
        let el = self.state.pstate.el as u8;
        if info.feature.is_some_and(|feat| !self.has_feature(feat)) {
            return Err(self.unmodelled(i, read));
        }
        let lowest = if read { info.read } else { info.write };
        match lowest {
            Some(l) if el >= l => {}
            _ => return Err(undefined(i)),
        }
        // The _EL12/_EL02 names exist only while HCR_EL2.E2H is set.
        if info.kind == Kind::Alias && !self.e2h() {
            return Err(undefined(i));
        }
        // CNTPS_* are UNDEFINED at EL1 in Non-secure state.
        if matches!(
            reg,
            sr::CNTPS_TVAL_EL1 | sr::CNTPS_CTL_EL1 | sr::CNTPS_CVAL_EL1
        ) && el == 1
            && !self.is_secure()
        {
            return Err(undefined(i));
        }
        // Secure EL2's registers (FEAT_SEL2): UNDEFINED at EL2 in Non-secure state; its
        // timers also at EL3 while SCR_EL3.EEL2 is 0.
        let sel2_timer = matches!(
            reg,
            sr::CNTHPS_TVAL_EL2
                | sr::CNTHPS_CTL_EL2
                | sr::CNTHPS_CVAL_EL2
                | sr::CNTHVS_TVAL_EL2
                | sr::CNTHVS_CTL_EL2
                | sr::CNTHVS_CVAL_EL2
        );
        if sel2_timer || matches!(reg, sr::VSTTBR_EL2 | sr::VSTCR_EL2) {
            let eel2 = f::SCR_EL3_EEL2.is_set(self.state.sr(sr::SCR_EL3));
            if (el == 2 && !self.is_secure()) || (el == 3 && sel2_timer && !eel2) {
                return Err(undefined(i));
            }
        }
        // CNTFRQ_EL0 at EL0: readable when either EL0 counter access is enabled.
        if reg == sr::CNTFRQ_EL0 && el == 0 && read {
            let k = if self.in_host(El::EL0) {
                self.state.sr(sr::CNTHCTL_EL2)
            } else {
                self.state.sr(sr::CNTKCTL_EL1)
            };
            if !f::CNTKCTL_EL1_EL0PCTEN.is_set(k) && !f::CNTKCTL_EL1_EL0VCTEN.is_set(k) {
                return Err(self.sysreg_trap(i, El::EL1, read));
            }
        }
        if reg == sr::SP_EL0 && !self.state.pstate.sp {
            return Err(undefined(i)); // SP_EL0 is the current stack pointer
        }
        // The fine-grained trap (FEAT_FGT) comes after the controls that trap to EL1 or EL2
        // and before those that trap to EL3.
        let fgt = info.fgt.is_some_and(|t| {
            let (r, b) = match (t, read) {
                (FineGrainedTrap::Hfg(b), true) => (sr::HFGRTR_EL2, b),
                (FineGrainedTrap::Hfg(b), false) => (sr::HFGWTR_EL2, b),
                (FineGrainedTrap::Hdfg(b), true) => (sr::HDFGRTR_EL2, b),
                (FineGrainedTrap::Hdfg(b) | FineGrainedTrap::HdfgWrite(b), false) => {
                    (sr::HDFGWTR_EL2, b)
                }
                (FineGrainedTrap::HdfgWrite(_), true) => return false,
            };
            self.fine_grained_trap(r, b, true)
        });
        for &t in info.traps {
            if let Some(target) = self.trap_target(t, reg, read) {
                if target == El::EL3 && fgt {
                    break;
                }
                if t == Trap::FP {
                    return Err(Exception::Trap {
                        pc: i.pc,
                        target,
                        class: ec::FP_ACCESS,
                        iss: FP_ISS,
                    });
                }
                return Err(self.sysreg_trap(i, target, read));
            }
        }
        if fgt {
            return Err(self.sysreg_trap(i, El::EL2, read));
        }
        // PMXEVTYPER_EL0 and PMXEVCNTR_EL0 selecting a counter this PE lacks, after the traps:
        // UNDEFINED, as FEAT_FGT makes it.
        if info.kind == Kind::Pmu && self.pmu_trap(reg, read).is_err() {
            return Err(undefined(i));
        }
        Ok(())
    }

    /// The register an access to `reg` reaches: an alias's register; DISR_EL1 at EL1 is
    /// VDISR_EL2 when HCR_EL2.AMO routes SErrors to EL2; with HCR_EL2.E2H, EL1 names at EL2
    /// (and the EL0 timers in the host's EL0) are the EL2 registers (FEAT_VHE).
    fn redirected(&self, reg: Reg) -> Reg {
        if let Some(target) = sr::alias_of(reg) {
            return target;
        }
        let el = self.state.pstate.el;
        if reg == sr::DISR_EL1 && el == El::EL1 && f::HCR_EL2_AMO.is_set(self.hcr_el2()) {
            return sr::VDISR_EL2;
        }
        if self.in_host(el) {
            // The host's EL0 timer names are EL2's timers, Secure EL2's in Secure state.
            let secure = self.is_secure();
            let timer = match reg {
                sr::CNTP_TVAL_EL0 if secure => Some(sr::CNTHPS_TVAL_EL2),
                sr::CNTP_CTL_EL0 if secure => Some(sr::CNTHPS_CTL_EL2),
                sr::CNTP_CVAL_EL0 if secure => Some(sr::CNTHPS_CVAL_EL2),
                sr::CNTV_TVAL_EL0 if secure => Some(sr::CNTHVS_TVAL_EL2),
                sr::CNTV_CTL_EL0 if secure => Some(sr::CNTHVS_CTL_EL2),
                sr::CNTV_CVAL_EL0 if secure => Some(sr::CNTHVS_CVAL_EL2),
                sr::CNTP_TVAL_EL0 => Some(sr::CNTHP_TVAL_EL2),
                sr::CNTP_CTL_EL0 => Some(sr::CNTHP_CTL_EL2),
                sr::CNTP_CVAL_EL0 => Some(sr::CNTHP_CVAL_EL2),
                sr::CNTV_TVAL_EL0 => Some(sr::CNTHV_TVAL_EL2),
                sr::CNTV_CTL_EL0 => Some(sr::CNTHV_CTL_EL2),
                sr::CNTV_CVAL_EL0 => Some(sr::CNTHV_CVAL_EL2),
                _ => None,
            };
            if let Some(t) = timer {
                return t;
            }
        }
        if el == El::EL2 && self.e2h() {
            return match reg {
                sr::SCTLR_EL1 => sr::SCTLR_EL2,
                sr::CPACR_EL1 => sr::CPTR_EL2,
                sr::TTBR0_EL1 => sr::TTBR0_EL2,
                sr::TTBR1_EL1 => sr::TTBR1_EL2,
                sr::TCR_EL1 => sr::TCR_EL2,
                sr::SPSR_EL1 => sr::SPSR_EL2,
                sr::ELR_EL1 => sr::ELR_EL2,
                sr::AFSR0_EL1 => sr::AFSR0_EL2,
                sr::AFSR1_EL1 => sr::AFSR1_EL2,
                sr::ESR_EL1 => sr::ESR_EL2,
                sr::FAR_EL1 => sr::FAR_EL2,
                sr::MAIR_EL1 => sr::MAIR_EL2,
                sr::AMAIR_EL1 => sr::AMAIR_EL2,
                sr::VBAR_EL1 => sr::VBAR_EL2,
                sr::CONTEXTIDR_EL1 => sr::CONTEXTIDR_EL2,
                sr::CNTKCTL_EL1 => sr::CNTHCTL_EL2,
                r => r,
            };
        }
        reg
    }

    /// The register whose fields and RES1 bits `reg`'s value has now: HCR_EL2.E2H gives
    /// TCR_EL2, CPTR_EL2 and CNTHCTL_EL2 other layouts, and SCTLR_EL2 with TGE also set.
    fn layout(&self, reg: Reg) -> Reg {
        match reg {
            sr::TCR_EL2 if self.e2h() => sr::TCR_EL2_E2H,
            sr::CPTR_EL2 if self.e2h() => sr::CPTR_EL2_E2H,
            sr::CNTHCTL_EL2 if self.e2h() => sr::CNTHCTL_EL2_E2H,
            sr::SCTLR_EL2 if self.in_host(El::EL0) => sr::SCTLR_EL2_E2H,
            r => r,
        }
    }

    /// An encoding the model does not implement: UNDEFINED, and recorded by name.
    fn unmodelled(&mut self, i: Insn, read: bool) -> Exception {
        if self.config.log_unmodelled && self.unmodelled.len() < 4096 {
            self.unmodelled.push((i.pc, i.bits(20, 5), read));
        }
        undefined(i)
    }

    /// The generic counter's physical count, `CNTPCT_EL0`: instructions retired plus the time
    /// the board skipped while every PE waited, in nanoseconds, at CNTFRQ.
    pub fn physical_count(&self) -> u64 {
        let ns = u128::from(self.retired) + u128::from(self.idle_ns);
        (ns * u128::from(self.config.cntfrq_el0) / 1_000_000_000) as u64
    }

    /// CNTVCT_EL0: the physical count less CNTVOFF_EL2 (when EL2 exists).
    pub fn virtual_count(&self) -> u64 {
        let off = if self.have_el2() {
            self.state.sr(sr::CNTVOFF_EL2)
        } else {
            0
        };
        self.physical_count().wrapping_sub(off)
    }

    /// CNTPOFF_EL2 where it applies (FEAT_ECV_POFF): with CNTHCTL_EL2.ECV set, SCR_EL3.ECVEn
    /// too where EL3 exists, EL2 enabled and HCR_EL2.{E2H, TGE} not {1, 1}; otherwise the
    /// offset is treated as zero. It offsets the EL1 physical timer's count, and the physical
    /// count EL1 and EL0 read.
    /// The physical count as EL1 and EL0 see it: less CNTPOFF_EL2 where it applies.
    fn physical_count_el1(&self) -> u64 {
        self.physical_count().wrapping_sub(self.physical_offset())
    }

    fn physical_offset(&self) -> u64 {
        if !self.config.system_features.ecv_poff || !self.el2_enabled() {
            return 0;
        }
        let hcr = self.hcr_el2();
        let host = f::HCR_EL2_E2H.is_set(hcr) && f::HCR_EL2_TGE.is_set(hcr);
        let scr_allows = !self.have_el3() || f::SCR_EL3_ECVEn.is_set(self.state.sr(sr::SCR_EL3));
        if f::CNTHCTL_EL2_ECV.is_set(self.state.sr(sr::CNTHCTL_EL2)) && scr_allows && !host {
            self.state.sr(sr::CNTPOFF_EL2)
        } else {
            0
        }
    }

    /// The timers' `(control, compare)` registers.
    fn timer_regs(t: Timer) -> (Reg, Reg) {
        match t {
            Timer::Physical => (sr::CNTP_CTL, sr::CNTP_CVAL),
            Timer::Virtual => (sr::CNTV_CTL, sr::CNTV_CVAL),
            Timer::Hypervisor => (sr::CNTHP_CTL, sr::CNTHP_CVAL),
            Timer::SecurePhysical => (sr::CNTPS_CTL, sr::CNTPS_CVAL),
            Timer::HypervisorVirtual => (sr::CNTHV_CTL, sr::CNTHV_CVAL),
            Timer::SecureHypervisor => (sr::CNTHPS_CTL, sr::CNTHPS_CVAL),
            Timer::SecureHypervisorVirtual => (sr::CNTHVS_CTL, sr::CNTHVS_CVAL),
        }
    }

    /// The count timer `t` compares with: the physical count, or for the virtual timers
    /// the virtual count (EL2's virtual timer: with a zero offset, as EL2's own CNTVCT_EL0
    /// reads under E2H).
    fn timer_count(&self, t: Timer) -> u64 {
        match t {
            Timer::Virtual => self.virtual_count(),
            Timer::Physical => self.physical_count_el1(),
            _ => self.physical_count(),
        }
    }

    /// Whether timer `t`'s condition is met (CTL.ISTATUS), enabled or not.
    pub fn timer_condition(&self, t: Timer) -> bool {
        let (_, cval) = Cpu::timer_regs(t);
        self.timer_count(t) >= self.state.sr(cval)
    }

    /// Whether timer `t` asserts its interrupt: enabled, not masked, condition met.
    pub fn timer_asserted(&self, t: Timer) -> bool {
        let (ctl, _) = Cpu::timer_regs(t);
        let ctl = self.state.sr(ctl);
        ctl & 1 != 0 && ctl & 2 == 0 && self.timer_condition(t)
    }

    /// Nanoseconds of instructions until the earliest enabled, unmasked timer fires, if any
    /// is still to fire (one whose condition is met already asserts its interrupt now).
    pub fn next_timer_deadline_ns(&self) -> Option<u64> {
        Timer::ALL
            .iter()
            .filter(|&&t| {
                let ctl = self.state.sr(Cpu::timer_regs(t).0);
                ctl & 1 != 0 && ctl & 2 == 0 && !self.timer_condition(t)
            })
            .map(|&t| {
                let (_, cval) = Cpu::timer_regs(t);
                let count = self.timer_count(t);
                self.ticks_to_ns(self.state.sr(cval).saturating_sub(count))
            })
            .min()
    }

    /// The generic timer's event streams that are on: CNTKCTL_EL1's on the virtual count
    /// and, where EL2 exists, CNTHCTL_EL2's on the physical count. Each as `(count now, the
    /// count's bit whose edge is the event, falling edge)`: EVNTI selects bit EVNTI, or
    /// EVNTI + 8 with EVNTIS (FEAT_ECV; RES0 without it); EVNTDIR 1 is the 1-to-0 edge. Both
    /// registers have these fields at the same bits.
    fn event_streams(&self) -> [Option<(u64, u32, bool)>; 2] {
        let stream = |ctl: u64, count: u64| {
            f::CNTKCTL_EL1_EVNTEN.is_set(ctl).then(|| {
                let scaled = f::CNTKCTL_EL1_EVNTIS.is_set(ctl);
                let bit = f::CNTKCTL_EL1_EVNTI.get(ctl) as u32 + if scaled { 8 } else { 0 };
                (count, bit, f::CNTKCTL_EL1_EVNTDIR.is_set(ctl))
            })
        };
        [
            stream(self.state.sr(sr::CNTKCTL_EL1), self.virtual_count()),
            if self.have_el2() {
                stream(self.state.sr(sr::CNTHCTL_EL2), self.physical_count())
            } else {
                None
            },
        ]
    }

    /// Sets the Event Register if an event stream's edge came since the last look.
    pub(super) fn poll_event_streams(&mut self) {
        let now = self.physical_count();
        let elapsed = now.wrapping_sub(self.event_stream_seen);
        self.event_stream_seen = now;
        for (count, bit, falling) in self.event_streams().into_iter().flatten() {
            // Edges at or below `x`: values v <= x with v mod 2^(bit+1) = 2^bit (0 to 1), or
            // = 0 (1 to 0).
            let edges = |x: u64| {
                if falling {
                    x >> (bit + 1)
                } else {
                    x.wrapping_add(1 << bit) >> (bit + 1)
                }
            };
            if elapsed >= 2 << bit || edges(count) != edges(count.wrapping_sub(elapsed)) {
                self.event_register = true;
            }
        }
    }

    /// Nanoseconds until the next event stream edge, if a stream is on.
    fn next_event_stream_ns(&self) -> Option<u64> {
        self.event_streams()
            .into_iter()
            .flatten()
            .map(|(count, bit, falling)| {
                let period = 2u128 << bit;
                let c = u128::from(count);
                let next = if falling {
                    (c / period + 1) * period
                } else {
                    (c + period / 2) / period * period + period / 2
                };
                // At most one period: bit EVNTI (+ 8) is below 24.
                self.ticks_to_ns((next - c) as u64)
            })
            .min()
    }

    /// Nanoseconds until something wakes the waiting PE: a timer deadline, the timeout of the
    /// WFET or WFIT it waits in, or in a WFE or WFET an event stream's edge.
    pub fn next_wake_ns(&self) -> Option<u64> {
        let wfxt = self
            .wfxt_deadline
            .map(|d| self.ticks_to_ns(d.saturating_sub(self.virtual_count_here())));
        let stream = if self.in_wfe {
            self.next_event_stream_ns()
        } else {
            None
        };
        [self.next_timer_deadline_ns(), wfxt, stream]
            .into_iter()
            .flatten()
            .min()
    }

    /// Nanoseconds of guest time until the counter has moved on `ticks` (rounded up).
    fn ticks_to_ns(&self, ticks: u64) -> u64 {
        let freq = u128::from(self.config.cntfrq_el0.max(1));
        ((u128::from(ticks) * 1_000_000_000).div_ceil(freq)).min(u64::MAX as u128) as u64
    }

    /// The timer a CNTx_{TVAL,CTL,CVAL} register belongs to.
    fn timer_of(reg: Reg) -> Timer {
        match reg {
            sr::CNTP_TVAL_EL0 | sr::CNTP_CTL_EL0 | sr::CNTP_CVAL_EL0 => Timer::Physical,
            sr::CNTV_TVAL_EL0 | sr::CNTV_CTL_EL0 | sr::CNTV_CVAL_EL0 => Timer::Virtual,
            sr::CNTHP_TVAL_EL2 | sr::CNTHP_CTL_EL2 | sr::CNTHP_CVAL_EL2 => Timer::Hypervisor,
            sr::CNTHV_TVAL_EL2 | sr::CNTHV_CTL_EL2 | sr::CNTHV_CVAL_EL2 => Timer::HypervisorVirtual,
            sr::CNTHPS_TVAL_EL2 | sr::CNTHPS_CTL_EL2 | sr::CNTHPS_CVAL_EL2 => {
                Timer::SecureHypervisor
            }
            sr::CNTHVS_TVAL_EL2 | sr::CNTHVS_CTL_EL2 | sr::CNTHVS_CVAL_EL2 => {
                Timer::SecureHypervisorVirtual
            }
            _ => Timer::SecurePhysical,
        }
    }

    fn timer_read(&self, reg: Reg) -> u64 {
        match reg {
            sr::CNTFRQ_EL0 => return self.config.cntfrq_el0,
            sr::CNTPCT_EL0 | sr::CNTPCTSS_EL0 if self.state.pstate.el <= El::EL1 => {
                return self.physical_count_el1();
            }
            sr::CNTPCT_EL0 | sr::CNTPCTSS_EL0 => return self.physical_count(),
            sr::CNTVCT_EL0 | sr::CNTVCTSS_EL0 => return self.virtual_count_here(),
            _ => {}
        }
        let t = Cpu::timer_of(reg);
        let (ctl, cval) = Cpu::timer_regs(t);
        let count = self.timer_count(t);
        match reg {
            sr::CNTP_CTL_EL0
            | sr::CNTV_CTL_EL0
            | sr::CNTHP_CTL_EL2
            | sr::CNTPS_CTL_EL1
            | sr::CNTHV_CTL_EL2
            | sr::CNTHPS_CTL_EL2
            | sr::CNTHVS_CTL_EL2 => {
                let c = self.state.sr(ctl);
                c | (u64::from(c & 1 != 0 && self.timer_condition(t)) << 2)
            }
            sr::CNTP_CVAL_EL0
            | sr::CNTV_CVAL_EL0
            | sr::CNTHP_CVAL_EL2
            | sr::CNTPS_CVAL_EL1
            | sr::CNTHV_CVAL_EL2
            | sr::CNTHPS_CVAL_EL2
            | sr::CNTHVS_CVAL_EL2 => self.state.sr(cval),
            // TVAL: the low 32 bits of CVAL - count, sign-extended.
            _ => i64::from(self.state.sr(cval).wrapping_sub(count) as u32 as i32) as u64,
        }
    }

    fn timer_write(&mut self, reg: Reg, v: u64) {
        if reg == sr::CNTFRQ_EL0 {
            self.config.cntfrq_el0 = v & 0xffff_ffff;
            return;
        }
        let t = Cpu::timer_of(reg);
        let (ctl, cval) = Cpu::timer_regs(t);
        let count = self.timer_count(t);
        match reg {
            sr::CNTP_CTL_EL0
            | sr::CNTV_CTL_EL0
            | sr::CNTHP_CTL_EL2
            | sr::CNTPS_CTL_EL1
            | sr::CNTHV_CTL_EL2
            | sr::CNTHPS_CTL_EL2
            | sr::CNTHVS_CTL_EL2 => self.state.set_sr(ctl, v & 3),
            sr::CNTP_CVAL_EL0
            | sr::CNTV_CVAL_EL0
            | sr::CNTHP_CVAL_EL2
            | sr::CNTPS_CVAL_EL1
            | sr::CNTHV_CVAL_EL2
            | sr::CNTHPS_CVAL_EL2
            | sr::CNTHVS_CVAL_EL2 => self.state.set_sr(cval, v),
            _ => self
                .state
                .set_sr(cval, count.wrapping_add(i64::from(v as u32 as i32) as u64)),
        }
    }

    fn id_value(&self, reg: Reg) -> u64 {
        let name = reg.name();
        self.config
            .id_registers
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(0, |(_, v)| *v)
    }

    fn config_value(&self, reg: Reg) -> u64 {
        let c = &self.config;
        let el1_virtual = self.state.pstate.el <= El::EL1 && self.el2_enabled();
        match reg {
            sr::MIDR_EL1 if el1_virtual => self.state.sr(sr::VPIDR_EL2),
            sr::MPIDR_EL1 if el1_virtual => self.state.sr(sr::VMPIDR_EL2),
            sr::MIDR_EL1 => c.midr_el1,
            sr::MPIDR_EL1 => c.mpidr_el1,
            sr::CTR_EL0 => c.ctr_el0,
            sr::DCZID_EL0 => {
                let prohibited = match self.state.pstate.el {
                    El::EL0 => {
                        !f::SCTLR_EL1_DZE.is_set(self.sctlr(El::EL0))
                            || f::HCR_EL2_TDZ.is_set(self.hcr_el2())
                    }
                    El::EL1 => f::HCR_EL2_TDZ.is_set(self.hcr_el2()),
                    _ => false,
                };
                (c.dczid_el0 & 15) | (u64::from(prohibited) << 4)
            }
            // One level of separate 32 KiB instruction and data caches, 64-byte lines (the
            // line size CTR_EL0 reports), as a plausible geometry for set/way loops.
            sr::CLIDR_EL1 => 0b011 | (1 << 24) | (1 << 27),
            sr::CCSIDR_EL1 => {
                // LineSize = log2(64) - 4 = 2; 4 ways; 128 sets.
                (2) | ((4 - 1) << 3) | ((128 - 1) << 13)
            }
            sr::RVBAR_EL3 => c.rvbar,
            // Debug authentication: non-secure and secure invasive and non-invasive debug
            // implemented and enabled.
            sr::DBGAUTHSTATUS_EL1 => {
                if self.have_el3() {
                    0xff
                } else {
                    0x0f
                }
            }
            _ => 0,
        }
    }

    fn state_read(&self, reg: Reg) -> u64 {
        let s = &self.state;
        let p = &s.pstate;
        match reg {
            sr::SP_EL0 => s.sp_el[0],
            sr::SP_EL1 => s.sp_el[1],
            sr::SP_EL2 => s.sp_el[2],
            sr::SPSel => u64::from(p.sp),
            sr::CurrentEL => (p.el as u64) << 2,
            sr::PAN => u64::from(p.pan) << 22,
            sr::ALLINT => u64::from(p.allint) << 13,
            sr::PM => u64::from(p.pm) << 32,
            sr::UAO => u64::from(p.uao) << 23,
            sr::DAIF => p.daif(),
            sr::NZCV => p.nzcv(),
            sr::DIT => u64::from(p.dit) << 24,
            sr::SSBS => u64::from(p.ssbs) << 12,
            sr::FPCR => s.fpcr,
            sr::FPSR => s.fpsr,
            sr::TPIDR_EL0 => s.tpidr_el0,
            sr::TPIDRRO_EL0 => s.tpidrro_el0,
            sr::ISR_EL1 => {
                // At EL1 with a kind routed to EL2, the virtual interrupt shows instead.
                let hcr = self.hcr_el2();
                let virt = p.el == El::EL1 && !f::HCR_EL2_TGE.is_set(hcr);
                let line = |route: sr::Field, v: sr::Field, physical: bool| {
                    if virt && route.is_set(hcr) {
                        v.is_set(hcr)
                    } else {
                        physical
                    }
                };
                (u64::from(line(f::HCR_EL2_FMO, f::HCR_EL2_VF, self.fiq_line)) << 6)
                    | (u64::from(line(f::HCR_EL2_IMO, f::HCR_EL2_VI, self.irq_line)) << 7)
                    | (u64::from(line(f::HCR_EL2_AMO, f::HCR_EL2_VSE, false)) << 8)
            }
            sr::OSLSR_EL1 => s.sr(sr::OSLSR),
            sr::DBGCLAIMSET_EL1 => 0xff,
            sr::DBGCLAIMCLR_EL1 => s.sr(sr::DBGCLAIM),
            sr::APIAKeyLo_EL1 => s.apiakey as u64,
            sr::APIAKeyHi_EL1 => (s.apiakey >> 64) as u64,
            sr::APIBKeyLo_EL1 => s.apibkey as u64,
            sr::APIBKeyHi_EL1 => (s.apibkey >> 64) as u64,
            sr::APDAKeyLo_EL1 => s.apdakey as u64,
            sr::APDAKeyHi_EL1 => (s.apdakey >> 64) as u64,
            sr::APDBKeyLo_EL1 => s.apdbkey as u64,
            sr::APDBKeyHi_EL1 => (s.apdbkey >> 64) as u64,
            sr::APGAKeyLo_EL1 => s.apgakey as u64,
            sr::APGAKeyHi_EL1 => (s.apgakey >> 64) as u64,
            _ => 0,
        }
    }

    fn state_write(&mut self, reg: Reg, v: u64) {
        let fpcr_mask = super::fpcr_mask(&self.config.features);
        let s = &mut self.state;
        let lo = |k: &mut u128| *k = (*k & !(u64::MAX as u128)) | u128::from(v);
        let hi = |k: &mut u128| *k = (*k & u64::MAX as u128) | (u128::from(v) << 64);
        match reg {
            sr::SP_EL0 => s.sp_el[0] = v,
            sr::SP_EL1 => s.sp_el[1] = v,
            sr::SP_EL2 => s.sp_el[2] = v,
            sr::SPSel => s.pstate.sp = v & 1 != 0,
            sr::DAIF => s.pstate.set_daif(v),
            sr::NZCV => s.pstate.set_nzcv((v >> 28) as u8),
            sr::DIT => s.pstate.dit = (v >> 24) & 1 != 0,
            sr::PAN => s.pstate.pan = (v >> 22) & 1 != 0,
            sr::ALLINT => s.pstate.allint = (v >> 13) & 1 != 0,
            sr::PM => s.pstate.pm = (v >> 32) & 1 != 0,
            sr::UAO => s.pstate.uao = (v >> 23) & 1 != 0,
            sr::SSBS => s.pstate.ssbs = (v >> 12) & 1 != 0,
            sr::FPCR => s.fpcr = v & fpcr_mask,
            sr::FPSR => s.fpsr = v & FPSR_MASK,
            sr::TPIDR_EL0 => s.tpidr_el0 = v,
            sr::TPIDRRO_EL0 => s.tpidrro_el0 = v,
            // The OS Lock: OSLAR_EL1.OSLK sets OSLSR_EL1.OSLK.
            sr::OSLAR_EL1 => {
                let o = f::OSLSR_OSLK.set(s.sr(sr::OSLSR), v & 1);
                s.set_sr(sr::OSLSR, o);
            }
            sr::DBGCLAIMSET_EL1 => s.set_sr(sr::DBGCLAIM, (s.sr(sr::DBGCLAIM) | v) & 0xff),
            sr::DBGCLAIMCLR_EL1 => s.set_sr(sr::DBGCLAIM, s.sr(sr::DBGCLAIM) & !v),
            sr::APIAKeyLo_EL1 => lo(&mut s.apiakey),
            sr::APIAKeyHi_EL1 => hi(&mut s.apiakey),
            sr::APIBKeyLo_EL1 => lo(&mut s.apibkey),
            sr::APIBKeyHi_EL1 => hi(&mut s.apibkey),
            sr::APDAKeyLo_EL1 => lo(&mut s.apdakey),
            sr::APDAKeyHi_EL1 => hi(&mut s.apdakey),
            sr::APDBKeyLo_EL1 => lo(&mut s.apdbkey),
            sr::APDBKeyHi_EL1 => hi(&mut s.apdbkey),
            sr::APGAKeyLo_EL1 => lo(&mut s.apgakey),
            sr::APGAKeyHi_EL1 => hi(&mut s.apgakey),
            _ => {}
        }
    }

    /// Reads register `reg` as MRS at the current level would, after the checks.
    pub fn read_sysreg(&self, reg: Reg) -> u64 {
        match reg.info().kind {
            Kind::Plain => {
                let (writable, res1) = self.sysreg_masks[self.layout(reg).0 as usize];
                (self.state.sr(reg) & (writable | res1)) | res1
            }
            Kind::State => self.state_read(reg),
            Kind::Id => self.id_value(reg),
            Kind::Config => self.config_value(reg),
            Kind::Timer => self.timer_read(reg),
            Kind::Pmu => self.pmu_read(reg),
            Kind::Gic | Kind::Alias => 0,
        }
    }

    /// Writes register `reg` as MSR would, after the checks: RES0 bits dropped, RES1 set.
    pub fn write_sysreg(&mut self, reg: Reg, v: u64) {
        let info = reg.info();
        match info.kind {
            Kind::Plain => {
                let (writable, res1) = self.sysreg_masks[self.layout(reg).0 as usize];
                self.state.set_sr(reg, (v & writable) | res1)
            }
            Kind::State => self.state_write(reg, v),
            Kind::Timer => self.timer_write(reg, v),
            Kind::Pmu => self.pmu_write(reg, v),
            Kind::Id | Kind::Config | Kind::Gic | Kind::Alias => {}
        }
    }
}

/// The generic timers a PE has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// EL1 physical timer, CNTP_*_EL0.
    Physical,
    /// Virtual timer, CNTV_*_EL0.
    Virtual,
    /// EL2 physical timer, CNTHP_*_EL2.
    Hypervisor,
    /// Secure physical timer, CNTPS_*_EL1.
    SecurePhysical,
    /// EL2 virtual timer, CNTHV_*_EL2 (FEAT_VHE).
    HypervisorVirtual,
    /// Secure EL2 physical timer, CNTHPS_*_EL2 (FEAT_SEL2).
    SecureHypervisor,
    /// Secure EL2 virtual timer, CNTHVS_*_EL2 (FEAT_SEL2).
    SecureHypervisorVirtual,
}

impl Timer {
    pub const ALL: [Timer; 7] = [
        Timer::Physical,
        Timer::Virtual,
        Timer::Hypervisor,
        Timer::SecurePhysical,
        Timer::HypervisorVirtual,
        Timer::SecureHypervisor,
        Timer::SecureHypervisorVirtual,
    ];
}

fn undefined(i: Insn) -> Exception {
    Exception::Undefined {
        pc: i.pc,
        word: i.word,
        encoding: Some(i.id),
    }
}

/// Whether `packed` is in the reserved ID register space (op0=3, op1=0, CRn=0, CRm=1..7),
/// which reads as zero at EL1 and above.
fn reserved_id_space(packed: u32) -> bool {
    packed >> 7 == 0b11_000_0000 && matches!((packed >> 3) & 15, 1..=7)
}

/// The trap of an access to an IMPLEMENTATION DEFINED encoding (op0 = 1 or 3, CRn 11 or
/// 15), which comes before the UNDEFINED this PE gives them (it implements none): at EL0
/// SCTLR_EL1.TIDCP, or SCTLR_EL2.TIDCP in the host (FEAT_TIDCP1); at EL1 HCR_EL2.TIDCP. Whether
/// HCR_EL2.TIDCP also traps EL0 is IMPLEMENTATION DEFINED: here it does not.
fn impdef_trap(cpu: &Cpu, i: Insn, read: bool) -> Option<Exception> {
    // Bit 19 is op0's low bit: 1 for SYS/SYSL (op0 = 1) and MRS/MSR of op0 = 3.
    if !matches!(i.bits(15, 12), 11 | 15) || !i.bit(19) {
        return None;
    }
    match cpu.state.pstate.el {
        El::EL0 if f::SCTLR_EL1_TIDCP.is_set(cpu.sctlr(El::EL0)) => {
            let target = if cpu.in_host(El::EL0) {
                El::EL2
            } else {
                El::EL1
            };
            Some(cpu.sysreg_trap(i, target, read))
        }
        El::EL1 if f::HCR_EL2_TIDCP.is_set(cpu.hcr_el2()) => {
            Some(cpu.sysreg_trap(i, El::EL2, read))
        }
        _ => None,
    }
}

/// SYSL: only IMPLEMENTATION DEFINED encodings, of which this PE has none, so UNDEFINED after
/// their traps.
pub(super) fn sysl(cpu: &mut Cpu, i: Insn) -> Exec {
    if let Some(e) = impdef_trap(cpu, i, true) {
        return Err(e);
    }
    Err(cpu.unmodelled(i, true))
}

pub(super) fn mrs(cpu: &mut Cpu, i: Insn) -> Exec {
    let packed = i.bits(20, 5);
    // FEAT_IDST: EL0's reads of the ID register space (op0 = 3, op1 = 0, CRn = 0, CRm 0-7)
    // trap to EL1 (EL2 under TGE) with EC 0x18, so the kernel can emulate them.
    if cpu.config.system_features.idst
        && cpu.state.pstate.el == El::EL0
        && packed >> 7 == 0b11_000_0000
        && (packed >> 3) & 15 <= 7
    {
        return Err(cpu.sysreg_trap(i, El::EL1, true));
    }
    let Some(reg) = sr::lookup(packed) else {
        if reserved_id_space(packed) && cpu.state.pstate.el >= El::EL1 {
            if f::HCR_EL2_TID3.is_set(cpu.hcr_el2()) && cpu.state.pstate.el == El::EL1 {
                return Err(cpu.sysreg_trap(i, El::EL2, true));
            }
            cpu.state.set_xr(i.rd(), 0);
            return Ok(());
        }
        if let Some(e) = impdef_trap(cpu, i, true) {
            return Err(e);
        }
        return Err(cpu.unmodelled(i, true));
    };
    cpu.check_access(i, reg, true)?;
    if reg.info().kind == Kind::Gic {
        return Err(board_sysreg(cpu, i, reg, true));
    }
    let reg = cpu.redirected(reg);
    if reg.info().kind == Kind::Pmu {
        cpu.pmu_sync();
    }
    let v = cpu.read_sysreg(reg);
    cpu.state.set_xr(i.rd(), v);
    Ok(())
}

pub(super) fn msr(cpu: &mut Cpu, i: Insn) -> Exec {
    let packed = i.bits(20, 5);
    let Some(reg) = sr::lookup(packed) else {
        if let Some(e) = impdef_trap(cpu, i, false) {
            return Err(e);
        }
        return Err(cpu.unmodelled(i, false));
    };
    cpu.check_access(i, reg, false)?;
    // HCRX_EL2.TALLINT traps EL1's writes of ALLINT (not its reads).
    if reg == sr::ALLINT
        && cpu.state.pstate.el == El::EL1
        && f::HCRX_EL2_TALLINT.is_set(cpu.hcrx_el2())
    {
        return Err(cpu.sysreg_trap(i, El::EL2, false));
    }
    if reg.info().kind == Kind::Gic {
        return Err(board_sysreg(cpu, i, reg, false));
    }
    let reg = cpu.redirected(reg);
    let v = cpu.state.xr(i.rd());
    // The counters catch up under the controls as they were (MDCR_ELx, SCR_EL3, PMEVTYPER).
    cpu.pmu_sync();
    cpu.write_sysreg(reg, v);
    cpu.system_state_changed();
    Ok(())
}

/// A `gic` register: the board's to answer, when it has the GIC CPU interface
/// (ID_AA64PFR0_EL1.GIC); without one the registers do not exist and are UNDEFINED.
fn board_sysreg(cpu: &mut Cpu, i: Insn, reg: Reg, read: bool) -> Exception {
    let has_gic = cpu
        .config
        .id_registers
        .iter()
        .any(|(n, v)| *n == "ID_AA64PFR0_EL1" && (v >> 24) & 15 != 0);
    if !has_gic {
        return cpu.unmodelled(i, read);
    }
    Exception::BoardSysreg {
        pc: i.pc,
        reg,
        rt: i.rd(),
        read,
    }
}

/// MSR (immediate) of the PSTATE fields in system mode: SPSel, DAIFSet, DAIFClr, DIT, SSBS,
/// PAN and UAO (EL1 and above: op1 = 0), ALLINT and PM (op1 = 1).
pub(super) fn msr_imm(cpu: &mut Cpu, i: Insn) -> Exec {
    let (op1, crm, op2) = (i.bits(18, 16), i.bits(11, 8), i.bits(7, 5));
    let el = cpu.state.pstate.el;
    let f_ = cpu.config.features;
    match (op1, op2) {
        (0, 5) if el != El::EL0 => cpu.state.pstate.sp = crm & 1 != 0,
        (3, 6) | (3, 7) => {
            if el == El::EL0 && !f::SCTLR_EL1_UMA.is_set(cpu.sctlr(El::EL0)) {
                // MSR DAIFSet/DAIFClr at EL0 trap as MSR DAIF would; ISS as for op0=0.
                return Err(cpu.sysreg_trap(i, El::EL1, false));
            }
            let bits = u64::from(crm) << 6;
            let daif = cpu.state.pstate.daif();
            cpu.state
                .pstate
                .set_daif(if op2 == 6 { daif | bits } else { daif & !bits });
            // PSTATE.D decides whether debug exceptions are enabled at the debug target.
            let mdscr = cpu.state.sr(sr::MDSCR_EL1);
            if crm & 8 != 0 && (f::MDSCR_EL1_SS.is_set(mdscr) || f::MDSCR_EL1_MDE.is_set(mdscr)) {
                cpu.system_state_changed();
            }
        }
        (3, 2) if f_.dit => cpu.state.pstate.dit = crm & 1 != 0,
        (3, 1) if f_.ssbs => cpu.state.pstate.ssbs = crm & 1 != 0,
        (0, 4) if cpu.config.system_features.pan && el != El::EL0 => {
            cpu.state.pstate.pan = crm & 1 != 0;
            cpu.system_state_changed();
        }
        (0, 3) if cpu.config.system_features.uao && el != El::EL0 => {
            cpu.state.pstate.uao = crm & 1 != 0;
        }
        // MSR ALLINT, #imm (FEAT_NMI): HCRX_EL2.TALLINT traps EL1's setting it, not clearing.
        (1, 0) if cpu.config.system_features.nmi && el != El::EL0 && crm >> 1 == 0 => {
            if crm & 1 != 0 && el == El::EL1 && f::HCRX_EL2_TALLINT.is_set(cpu.hcrx_el2()) {
                return Err(cpu.sysreg_trap(i, El::EL2, false));
            }
            cpu.state.pstate.allint = crm & 1 != 0;
            cpu.system_state_changed();
        }
        // MSR PM, #imm (FEAT_EBEP): CRm = 001x.
        (1, 0) if cpu.config.system_features.ebep && el != El::EL0 && crm >> 1 == 1 => {
            cpu.state.pstate.pm = crm & 1 != 0;
            cpu.system_state_changed();
        }
        _ => return Err(undefined(i)),
    }
    Ok(())
}

/// SYS (op0 = 1): cache maintenance, address translation and TLB maintenance. With no data
/// caches and a decoded-instruction cache that follows stores by itself, cache maintenance
/// does no more than its checks and, by VA, its translation (which may fault); DC ZVA zeroes.
pub(super) fn sys(cpu: &mut Cpu, mem: &mut impl Memory, i: Insn) -> Exec {
    if let Some(e) = impdef_trap(cpu, i, false) {
        return Err(e);
    }
    let op1 = i.bits(18, 16);
    // FEAT_XS: TLBI <op>nXS is TLBI <op> with CRn 9; this PE's TLB keeps no XS attribute, so
    // the two do the same. HFGITR_EL2's trap of a TLBI covers its nXS form unless
    // HCRX_EL2.FGTnXS is set.
    let nxs = i.bits(15, 12) == 9 && cpu.config.system_features.xs;
    let crn = if nxs { 8 } else { i.bits(15, 12) };
    let crm = i.bits(11, 8);
    let op2 = i.bits(7, 5);
    let el = cpu.state.pstate.el;
    // EL0's controls: SCTLR_EL1's, or SCTLR_EL2's in the host (the same bits).
    let sctlr1 = cpu.sctlr(El::EL0);
    let sysf = cpu.config.system_features;
    let trap_sys = |cpu: &Cpu| {
        let t = if f::HCR_EL2_TGE.is_set(cpu.hcr_el2()) {
            El::EL2
        } else {
            El::EL1
        };
        Exception::Trap {
            pc: i.pc,
            target: t,
            class: ec::SYSREG,
            iss: sysreg_iss(i, false),
        }
    };
    // The lowest level each instruction may run at, by op1: EL1 for op1=0, EL2 for 4, EL3 for
    // 6; op1=3 is EL0 under SCTLR_EL1's controls.
    let level_ok = |need: El| el >= need;
    // HCR_EL2's traps of cache maintenance to EL2: from EL1, and from a guest's EL0 (not the
    // host's) for the forms EL0 may use. `fields` are the controls that trap this one.
    // HFGITR_EL2's bit for this instruction (FEAT_FGT) traps it too, after the traps to EL1.
    let hcr = cpu.hcr_el2();
    let guest_el0 = el == El::EL0 && !cpu.in_host(El::EL0);
    let fgt = fgt_instruction_bit(op1, crn, crm, op2)
        .filter(|_| !(nxs && f::HCRX_EL2_FGTnXS.is_set(cpu.hcrx_el2())))
        .is_some_and(|b| cpu.fine_grained_trap(sr::HFGITR_EL2, b, true));
    let to_el2 = |fields: &[sr::Field], el0_too: bool| {
        let from = el == El::EL1 || (el0_too && guest_el0);
        if from && (fgt || fields.iter().any(|f| f.is_set(hcr))) {
            Err(Exception::Trap {
                pc: i.pc,
                target: El::EL2,
                class: ec::SYSREG,
                iss: sysreg_iss(i, false),
            })
        } else {
            Ok(())
        }
    };
    // The translation of a cache maintenance instruction by VA (after its traps): EL0 needs
    // read permission, or write permission for IC IVAU and DC CIVAC under SCTLR_ELx.CMOW;
    // EL1 and EL0 need stage 2 write permission for those two under HCRX_EL2.CMOW (FEAT_CMOW).
    let cmo = |cpu: &Cpu, mem: &mut _, s1_at_el1: Option<AccessKind>, cmow: bool| -> Exec {
        let s1 = if el == El::EL0 {
            let cmow = cmow && f::SCTLR_EL1_CMOW.is_set(sctlr1);
            Some(if cmow {
                AccessKind::Write
            } else {
                AccessKind::Read
            })
        } else {
            s1_at_el1
        };
        let s2_write =
            cmow && el <= El::EL1 && !cpu.in_host(el) && f::HCRX_EL2_CMOW.is_set(cpu.hcrx_el2());
        let va = cpu.state.xr(i.rd());
        Memory::cache_maintenance(mem, va, s1, s2_write).map_err(|f| i.data_abort(f))
    };
    match (op1, crn, crm, op2) {
        // IC IALLUIS (HCR_EL2.TPU, TICAB), IC IALLU (TPU, TOCU)
        (0, 7, 1, 0) if level_ok(El::EL1) => {
            to_el2(&[f::HCR_EL2_TPU, f::HCR_EL2_TICAB], false)?;
            cpu.decode_cache.clear();
            Ok(())
        }
        (0, 7, 5, 0) if level_ok(El::EL1) => {
            to_el2(&[f::HCR_EL2_TPU, f::HCR_EL2_TOCU], false)?;
            cpu.decode_cache.clear();
            Ok(())
        }
        // IC IVAU (TPU, TOCU)
        (3, 7, 5, 1) => {
            if el == El::EL0 && !f::SCTLR_EL1_UCI.is_set(sctlr1) {
                return Err(trap_sys(cpu));
            }
            to_el2(&[f::HCR_EL2_TPU, f::HCR_EL2_TOCU], true)?;
            cmo(cpu, mem, None, true)?;
            let va = cpu.state.xr(i.rd());
            cpu.decode_cache.drop_page(va / crate::memory::PAGE_SIZE);
            Ok(())
        }
        // DC IVAC (EL1; HCR_EL2.TPCP): it may destroy data, so it needs write permission
        // (under stage 2 without write permission it cleans too, and does not fault there).
        (0, 7, 6, 1) if level_ok(El::EL1) => {
            to_el2(&[f::HCR_EL2_TPCP], false)?;
            cmo(cpu, mem, Some(AccessKind::Write), false)
        }
        // DC ISW, DC CSW, DC CISW (EL1; HCR_EL2.TSW)
        (0, 7, 6, 2) | (0, 7, 10, 2) | (0, 7, 14, 2) if level_ok(El::EL1) => {
            to_el2(&[f::HCR_EL2_TSW], false)
        }
        // CFP, DVP and CPP RCTX (FEAT_SPECRES): restrict predictions, of which this PE makes
        // none that one context could train for another; EL0 needs SCTLR_EL1.EnRCTX.
        // COSP RCTX (FEAT_SPECRES2), the same for other-speculation predictions.
        (3, 7, 3, 4 | 5 | 7) | (3, 7, 3, 6) if sysf.specres && (op2 != 6 || sysf.specres2) => {
            if el == El::EL0 && !f::SCTLR_EL1_EnRCTX.is_set(sctlr1) {
                return Err(trap_sys(cpu));
            }
            to_el2(&[], true)
        }
        // DC ZVA
        (3, 7, 4, 1) => {
            let prohibited = match el {
                El::EL0 => !f::SCTLR_EL1_DZE.is_set(sctlr1),
                _ => false,
            };
            if prohibited {
                return Err(trap_sys(cpu));
            }
            if el <= El::EL1 && f::HCR_EL2_TDZ.is_set(cpu.hcr_el2()) {
                return Err(Exception::Trap {
                    pc: i.pc,
                    target: El::EL2,
                    class: ec::SYSREG,
                    iss: sysreg_iss(i, false),
                });
            }
            to_el2(&[], true)?;
            let bytes = 4u64 << (cpu.config.dczid_el0 & 15);
            let address = cpu.state.xr(i.rd()) & !(bytes - 1);
            // One write of the whole block: the MMU checks it as one access, so Device memory
            // (all data memory with stage 1 off) gives the Alignment fault DC ZVA must take.
            let zeros = [0u8; 2048];
            mem.write(address, &zeros[..bytes as usize])
                .map_err(|f| i.data_abort(f))?;
            Ok(())
        }
        // DC CVAC, CIVAC (HCR_EL2.TPCP), CVAU (TPU, TOCU); CVAP, CVADP with their features
        (3, 7, 10 | 14, 1) => {
            if el == El::EL0 && !f::SCTLR_EL1_UCI.is_set(sctlr1) {
                return Err(trap_sys(cpu));
            }
            to_el2(&[f::HCR_EL2_TPCP], true)?;
            cmo(cpu, mem, None, crm == 14)
        }
        (3, 7, 11, 1) => {
            if el == El::EL0 && !f::SCTLR_EL1_UCI.is_set(sctlr1) {
                return Err(trap_sys(cpu));
            }
            to_el2(&[f::HCR_EL2_TPU, f::HCR_EL2_TOCU], true)?;
            cmo(cpu, mem, None, false)
        }
        (3, 7, 12 | 13, 1)
            if (crm == 12 && cpu.config.features.dpb)
                || (crm == 13 && cpu.config.features.dpb2) =>
        {
            if el == El::EL0 && !f::SCTLR_EL1_UCI.is_set(sctlr1) {
                return Err(trap_sys(cpu));
            }
            to_el2(&[f::HCR_EL2_TPCP], true)?;
            cmo(cpu, mem, None, false)
        }
        // AT S1E1R/W, S1E0R/W (EL1); S1E2R/W, S12E1R/W, S12E0R/W (EL2); S1E3R/W (EL3). With
        // every stage of translation off the result is the flat mapping: PA = VA.
        (0, 7, 8, 0..=3) if level_ok(El::EL1) => {
            to_el2(&[], false)?;
            at(cpu, mem, i, op1, op2, false)
        }
        (4, 7, 8, 0 | 1 | 4..=7) if level_ok(El::EL2) => at(cpu, mem, i, op1, op2, false),
        (6, 7, 8, 0 | 1) if level_ok(El::EL3) => at(cpu, mem, i, op1, op2, false),
        // AT S1E1RP, S1E1WP (FEAT_PAN2): as S1E1R/W, but PSTATE.PAN applies.
        (0, 7, 9, 0 | 1) if level_ok(El::EL1) && cpu.config.system_features.pan2 => {
            to_el2(&[], false)?;
            at(cpu, mem, i, op1, op2, true)
        }
        // TLBI: the Armv8.0 forms, at their levels. The TLB forgets everything (more than
        // any one form asks, which is allowed), and so do the decoded instructions, which are
        // keyed by virtual address.
        (0, 8, 3 | 7, 0 | 1 | 2 | 3 | 5 | 7) if level_ok(El::EL1) => {
            to_el2(&[], false)?;
            tlbi_el1(cpu, mem, i, crm)
        }
        // FEAT_TLBIOS: the Outer Shareable forms (CRm 1); FEAT_TLBIRANGE: by range, Inner
        // Shareable (CRm 2), Outer Shareable (5) and local (6). The TTL and range operands
        // only narrow what must go; this TLB drops everything.
        (0, 8, 1, 0 | 1 | 2 | 3 | 5 | 7) if level_ok(El::EL1) && sysf.tlbios => {
            to_el2(&[], false)?;
            tlbi_el1(cpu, mem, i, crm)
        }
        (0, 8, 2 | 6, 1 | 3 | 5 | 7) if level_ok(El::EL1) && sysf.tlbirange => {
            to_el2(&[], false)?;
            tlbi_el1(cpu, mem, i, crm)
        }
        (0, 8, 5, 1 | 3 | 5 | 7) if level_ok(El::EL1) && sysf.tlbirange && sysf.tlbios => {
            to_el2(&[], false)?;
            tlbi_el1(cpu, mem, i, crm)
        }
        (4, 8, 1, 0 | 1 | 4 | 5 | 6) | (4, 8, 4, 0 | 4) if level_ok(El::EL2) && sysf.tlbios => {
            tlbi(cpu, mem)
        }
        (4, 8, 0, 2 | 6) | (4, 8, 4, 2 | 6) | (4, 8, 2 | 6, 1 | 5)
            if level_ok(El::EL2) && sysf.tlbirange =>
        {
            tlbi(cpu, mem)
        }
        (4, 8, 4, 3 | 7) | (4, 8, 5, 1 | 5)
            if level_ok(El::EL2) && sysf.tlbirange && sysf.tlbios =>
        {
            tlbi(cpu, mem)
        }
        (6, 8, 1, 0 | 1 | 5) if level_ok(El::EL3) && sysf.tlbios => tlbi(cpu, mem),
        (6, 8, 2 | 6, 1 | 5) if level_ok(El::EL3) && sysf.tlbirange => tlbi(cpu, mem),
        (6, 8, 5, 1 | 5) if level_ok(El::EL3) && sysf.tlbirange && sysf.tlbios => tlbi(cpu, mem),
        (4, 8, 0 | 4, 1 | 5) | (4, 8, 3 | 7, 0 | 1 | 4 | 5 | 6) if level_ok(El::EL2) => {
            tlbi(cpu, mem)
        }
        (6, 8, 3 | 7, 0 | 1 | 5) if level_ok(El::EL3) => tlbi(cpu, mem),
        _ => Err(undefined(i)),
    }
}

/// HFGITR_EL2's bit for a SYS instruction (op1, CRn, CRm, op2), FEAT_FGT: the EL1 TLBIs,
/// the EL1 ATs, the cache maintenance instructions and the prediction restrictions.
fn fgt_instruction_bit(op1: u32, crn: u32, crm: u32, op2: u32) -> Option<u8> {
    // The TLBI forms by op2: VMALLE1, VAE1, ASIDE1, VAAE1, VALE1, VAALE1; the range forms
    // RVAE1, RVAAE1, RVALE1, RVAALE1.
    let tlbi = |base: u8| match op2 {
        0..=3 => Some(base + op2 as u8),
        5 => Some(base + 4),
        7 => Some(base + 5),
        _ => None,
    };
    let range = |base: u8| matches!(op2, 1 | 3 | 5 | 7).then(|| base + (op2 as u8 >> 1));
    match (op1, crn, crm, op2) {
        (0, 8, 7, _) => tlbi(42),
        (0, 8, 3, _) => tlbi(28),
        (0, 8, 1, _) => tlbi(18),
        (0, 8, 6, _) => range(38),
        (0, 8, 2, _) => range(34),
        (0, 8, 5, _) => range(24),
        (0, 7, 8, 0..=3) => Some(12 + op2 as u8),
        (0, 7, 9, 0 | 1) => Some(16 + op2 as u8),
        (0, 7, 1, 0) => Some(0),   // IC IALLUIS
        (0, 7, 5, 0) => Some(1),   // IC IALLU
        (3, 7, 5, 1) => Some(2),   // IC IVAU
        (0, 7, 6, 1) => Some(3),   // DC IVAC
        (0, 7, 6, 2) => Some(4),   // DC ISW
        (0, 7, 10, 2) => Some(5),  // DC CSW
        (0, 7, 14, 2) => Some(6),  // DC CISW
        (3, 7, 11, 1) => Some(7),  // DC CVAU
        (3, 7, 12, 1) => Some(8),  // DC CVAP
        (3, 7, 13, 1) => Some(9),  // DC CVADP
        (3, 7, 14, 1) => Some(10), // DC CIVAC
        (3, 7, 4, 1) => Some(11),  // DC ZVA
        (3, 7, 10, 1) => Some(54), // DC CVAC
        (3, 7, 3, 4) => Some(48),  // CFP RCTX
        (3, 7, 3, 5) => Some(49),  // DVP RCTX
        (3, 7, 3, 7) => Some(50),  // CPP RCTX
        (3, 7, 3, 6) => Some(60),  // COSP RCTX (FEAT_SPECRES2)
        _ => None,
    }
}

/// An EL1 TLBI (op1 = 0): trapped to EL2 from EL1 by HCR_EL2.TTLB, and (FEAT_EVT) the Inner
/// Shareable forms (CRm 3 and 2) by TTLBIS, the Outer Shareable ones (CRm 1 and 5) by TTLBOS.
fn tlbi_el1(cpu: &mut Cpu, mem: &mut impl Memory, i: Insn, crm: u32) -> Exec {
    let hcr = cpu.hcr_el2();
    let domain = match crm {
        2 | 3 => f::HCR_EL2_TTLBIS.is_set(hcr),
        1 | 5 => f::HCR_EL2_TTLBOS.is_set(hcr),
        _ => false,
    };
    if cpu.state.pstate.el == El::EL1 && (f::HCR_EL2_TTLB.is_set(hcr) || domain) {
        return Err(Exception::Trap {
            pc: i.pc,
            target: El::EL2,
            class: ec::SYSREG,
            iss: sysreg_iss(i, false),
        });
    }
    tlbi(cpu, mem)
}

fn tlbi(cpu: &mut Cpu, mem: &mut impl Memory) -> Exec {
    mem.tlb_invalidate();
    cpu.decode_cache.clear();
    Ok(())
}

/// AT: translates Xt for the level and stages the instruction names and writes PAR_EL1: the
/// output address with its attributes (ATTR, SH, F=0), or the fault (FST, PTW, S, F=1). Only
/// the `pan` forms (S1E1RP, S1E1WP) are subject to PSTATE.PAN.
fn at(cpu: &mut Cpu, mem: &mut impl Memory, i: Insn, op1: u32, op2: u32, pan: bool) -> Exec {
    let va = cpu.state.xr(i.rd());
    let write = op2 & 1 != 0;
    let (el, stage2) = match (op1, op2) {
        // AT S1E1* at EL2 in the host translate in the EL2&0 regime.
        (0, 0 | 1) if cpu.in_host(El::EL0) && cpu.state.pstate.el == El::EL2 => (El::EL2, false),
        (0, 0 | 1) => (El::EL1, false),
        (0, _) => (El::EL0, false),
        (4, 0 | 1) => (El::EL2, false),
        (4, 4 | 5) => (El::EL1, true),
        (4, _) => (El::EL0, true),
        _ => (El::EL3, false),
    };
    let mut ctx = cpu.translation_for(el, stage2);
    ctx.pan =
        pan && (el == El::EL1 || ctx.regime == crate::mmu::Regime::El20) && cpu.state.pstate.pan;
    let access = if write {
        crate::memory::AccessKind::Write
    } else {
        crate::memory::AccessKind::Read
    };
    let par = match mem.translate_at(&ctx, va, access) {
        Ok(o) => {
            let ns = u64::from(!ctx.secure || o.ns) << 9;
            (u64::from(o.attr) << 56) | (o.pa & 0x000f_ffff_ffff_f000) | ns | (u64::from(o.sh) << 7)
        }
        Err(fault) => {
            let fst = u64::from(super::exceptions::fault_status(fault.kind, fault.level));
            let (s, ptw) = match fault.stage2 {
                Some((_, s1ptw)) => (1u64, u64::from(s1ptw)),
                None => (0, 0),
            };
            1 | (fst << 1) | (ptw << 8) | (s << 9) | (1 << 11)
        }
    };
    cpu.state.set_sr(sr::PAR_EL1, par);
    Ok(())
}

impl Cpu {
    /// HVC: UNDEFINED at EL0, without EL2, when SCR_EL3.HCE is 0 (with EL3), when HCR_EL2.HCD
    /// is 1 (without EL3), or at EL1 in a Security state without EL2 (Secure, unless
    /// SCR_EL3.EEL2).
    pub(super) fn hvc(&mut self, i: Insn) -> Exec {
        let el = self.state.pstate.el;
        let enabled = if self.have_el3() {
            f::SCR_EL3_HCE.is_set(self.state.sr(sr::SCR_EL3))
        } else {
            !f::HCR_EL2_HCD.is_set(self.state.sr(sr::HCR_EL2))
        };
        if el == El::EL0 || !self.have_el2() || !enabled || (el == El::EL1 && !self.el2_enabled()) {
            return Err(undefined(i));
        }
        Err(Exception::HypervisorCall {
            pc: i.pc,
            imm: i.bits(20, 5) as u16,
        })
    }

    /// SMC: UNDEFINED at EL0; trapped to EL2 from EL1 by HCR_EL2.TSC; UNDEFINED without EL3
    /// or when SCR_EL3.SMD is 1.
    pub(super) fn smc(&mut self, i: Insn) -> Exec {
        let el = self.state.pstate.el;
        if el == El::EL0 {
            return Err(undefined(i));
        }
        if el == El::EL1 && f::HCR_EL2_TSC.is_set(self.hcr_el2()) {
            return Err(Exception::Trap {
                pc: i.pc,
                target: El::EL2,
                class: ec::SMC,
                iss: i.bits(20, 5),
            });
        }
        if !self.have_el3() || f::SCR_EL3_SMD.is_set(self.state.sr(sr::SCR_EL3)) {
            return Err(undefined(i));
        }
        Err(Exception::SecureMonitorCall {
            pc: i.pc,
            imm: i.bits(20, 5) as u16,
        })
    }

    /// WFI, WFE and (FEAT_WFxT) WFIT, WFET with the timeout in register `timeout`. One that
    /// completes at once does nothing and is not trapped (the traps catch only an instruction
    /// that "would otherwise have caused the PE to enter a low-power state"): a WFI or WFIT
    /// with an interrupt pending, whether or not PSTATE masks it; a WFE or WFET with the Event
    /// Register set (which it clears); a WFIT or WFET whose timeout has passed. Otherwise it
    /// is trapped by SCTLR_EL1.nTWI/nTWE at EL0, HCR_EL2.TWI/TWE at EL0-1 outside the host,
    /// SCR_EL3.TWI/TWE below EL3; a WFE or WFET that is not trapped ends at a pending
    /// interrupt; or the PE waits, which the board decides how to model.
    pub(super) fn wait(&mut self, i: Insn, wfe: bool, timeout: Option<u32>) -> Exec {
        let el = self.state.pstate.el;
        self.wfxt_deadline = timeout.map(|t| self.state.xr(t));
        let interrupt = self.irq_line || self.fiq_line || self.virtual_wakeup();
        if wfe {
            self.poll_event_streams();
            if self.event_register {
                self.event_register = false;
                self.wfxt_deadline = None;
                return Ok(());
            }
        }
        if (!wfe && interrupt) || self.wait_timed_out() {
            self.wfxt_deadline = None;
            return Ok(());
        }
        // CV=1, COND=0b1110; TI: 00 WFI, 01 WFE, 10 WFIT, 11 WFET; with a timeout, RV (bit 2)
        // says RN (bits 9:5) holds its register.
        let timed = match timeout {
            Some(t) => 0b10 | 1 << 2 | t << 5,
            None => 0,
        };
        let iss = u32::from(wfe) | timed | (0b1_1110 << 20);
        let trap = |target| Exception::Trap {
            pc: i.pc,
            target,
            class: ec::WFX,
            iss,
        };
        let sctlr1 = self.sctlr(El::EL0);
        let n_tw = if wfe {
            f::SCTLR_EL1_nTWE
        } else {
            f::SCTLR_EL1_nTWI
        };
        let hcr_tw = if wfe { f::HCR_EL2_TWE } else { f::HCR_EL2_TWI };
        let scr_tw = if wfe { f::SCR_EL3_TWE } else { f::SCR_EL3_TWI };
        let target = if el == El::EL0 && !n_tw.is_set(sctlr1) {
            Some(if f::HCR_EL2_TGE.is_set(self.hcr_el2()) {
                El::EL2
            } else {
                El::EL1
            })
        } else if el <= El::EL1 && !self.in_host(el) && hcr_tw.is_set(self.hcr_el2()) {
            Some(El::EL2)
        } else if el <= El::EL2 && self.have_el3() && scr_tw.is_set(self.state.sr(sr::SCR_EL3)) {
            Some(El::EL3)
        } else {
            None
        };
        if let Some(t) = target {
            self.wfxt_deadline = None;
            return Err(trap(t));
        }
        if interrupt {
            self.wfxt_deadline = None;
            return Ok(());
        }
        self.in_wfe = wfe;
        Err(Exception::WaitForInterrupt { pc: i.pc })
    }

    /// The virtual count as CNTVCT_EL0 reads at the current level (no offset at EL2 under
    /// E2H or in the host's EL0; at EL3 CNTVOFF_EL2 applies).
    fn virtual_count_here(&self) -> u64 {
        if self.in_host(self.state.pstate.el) {
            self.physical_count()
        } else {
            self.virtual_count()
        }
    }

    /// Whether the WFET or WFIT the PE waits in has reached its timeout (FEAT_WFxT).
    pub fn wait_timed_out(&self) -> bool {
        self.wfxt_deadline
            .is_some_and(|d| self.virtual_count_here() >= d)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Config, Cpu};
    use crate::sysregs as sr;

    /// The event stream's next edge and the Event Register, as a table: (CNTKCTL_EL1.EVNTI,
    /// EVNTDIR, count now, ticks to the next edge, count later, whether an edge came
    /// between). One tick is one nanosecond here.
    #[test]
    fn event_stream_edges() {
        for (evnti, falling, now, next, later, edge) in [
            // Bit 4: 0 to 1 at 16, 48, 80, ...; 1 to 0 at 32, 64, ...
            (4, false, 0, 16, 15, false),
            (4, false, 0, 16, 16, true),
            (4, false, 16, 32, 47, false),
            (4, false, 17, 31, 48, true),
            (4, true, 0, 32, 31, false),
            (4, true, 31, 1, 32, true),
            (4, true, 32, 32, 63, false),
            // Bit 0: 0 to 1 at every odd count; bit 2: 1 to 0 at multiples of 8.
            (0, false, 5, 2, 7, true),
            (2, true, 8, 8, 15, false),
        ] {
            let mut cpu = Cpu::new(Config {
                system: true,
                cntfrq_el0: 1_000_000_000,
                ..Config::default()
            });
            cpu.write_sysreg(
                sr::CNTKCTL_EL1,
                1 << 2 | u64::from(falling) << 3 | evnti << 4,
            );
            cpu.retired = now;
            cpu.poll_event_streams();
            cpu.event_register = false;
            assert_eq!(
                cpu.next_event_stream_ns(),
                Some(next),
                "EVNTI {evnti} at {now}"
            );
            cpu.retired = later;
            cpu.poll_event_streams();
            assert_eq!(cpu.event_register, edge, "EVNTI {evnti}, {now} to {later}");
        }
    }
}
