//! Exceptions in system mode, after the Arm ARM's `AArch64.TakeException` and
//! `AArch64.ExceptionReturn` (D1.3, "Exceptions"; D1.4, "Exception return"): routing of each
//! synchronous exception to its target Exception level, the syndrome (ESR_ELx) the target sees,
//! the vector it enters, and ERET with its illegal-return rules.
//!
//! In user mode (`Config::system` off) none of this runs: exceptions go back to the board,
//! which plays the kernel. In system mode the board still sees each exception first (it may be
//! semihosting or a firmware call it answers itself) and hands the rest to [`Cpu::take`].

use super::{Cpu, Exception};
use crate::memory::{AccessKind, FaultKind};
use crate::state::ExceptionLevel as El;
use crate::sysregs::{self as sr, Reg, field as f};

/// The exception classes (ESR_ELx.EC) this model raises.
pub mod ec {
    pub const UNKNOWN: u32 = 0x00;
    pub const WFX: u32 = 0x01;
    pub const FP_ACCESS: u32 = 0x07;
    pub const PAC_TRAP: u32 = 0x09;
    pub const BTI: u32 = 0x0d;
    pub const PAC_FAIL: u32 = 0x1c;
    pub const ILLEGAL_STATE: u32 = 0x0e;
    pub const SVC: u32 = 0x15;
    pub const HVC: u32 = 0x16;
    pub const SMC: u32 = 0x17;
    pub const SYSREG: u32 = 0x18;
    pub const ERET: u32 = 0x1a;
    pub const INSN_ABORT_LOWER: u32 = 0x20;
    pub const INSN_ABORT_SAME: u32 = 0x21;
    pub const PC_ALIGN: u32 = 0x22;
    pub const DATA_ABORT_LOWER: u32 = 0x24;
    pub const DATA_ABORT_SAME: u32 = 0x25;
    pub const SP_ALIGN: u32 = 0x26;
    pub const SERROR: u32 = 0x2f;
    pub const BRK: u32 = 0x3c;
}

/// Which asynchronous exception, for the vector offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interrupt {
    Irq,
    Fiq,
    SError,
    /// The virtual interrupts EL2 asserts through HCR_EL2.VI, VF and VSE, taken to EL1.
    VirtualIrq,
    VirtualFiq,
    VirtualSError,
}

/// The group of a physical interrupt the GIC's CPU interface signals (GICv3, IHI 0069,
/// 4.6.2 "Interrupt assignment to IRQ and FIQ signals"): the PE's current Exception level and
/// Security state decide whether it arrives as an IRQ or a FIQ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InterruptGroup {
    /// Group 0: always a FIQ.
    Group0,
    /// Group 1 of a GIC with one Security state (GICD_CTLR.DS = 1): always an IRQ.
    Group1,
    /// Secure Group 1: an IRQ in Secure EL0-EL2, a FIQ at EL3 or in Non-secure state.
    Group1Secure,
    /// Non-secure Group 1: an IRQ in Non-secure state, a FIQ at EL3 or in Secure state.
    Group1NonSecure,
}

const SPSR: [Reg; 4] = [sr::SPSR_EL1, sr::SPSR_EL1, sr::SPSR_EL2, sr::SPSR_EL3];
const ELR: [Reg; 4] = [sr::ELR_EL1, sr::ELR_EL1, sr::ELR_EL2, sr::ELR_EL3];
const ESR: [Reg; 4] = [sr::ESR_EL1, sr::ESR_EL1, sr::ESR_EL2, sr::ESR_EL3];
const FAR: [Reg; 4] = [sr::FAR_EL1, sr::FAR_EL1, sr::FAR_EL2, sr::FAR_EL3];
const VBAR: [Reg; 4] = [sr::VBAR_EL1, sr::VBAR_EL1, sr::VBAR_EL2, sr::VBAR_EL3];

/// SPSR_ELx for `el` (1..=3).
pub fn spsr_reg(el: El) -> Reg {
    SPSR[el as usize]
}
/// ELR_ELx for `el` (1..=3).
pub fn elr_reg(el: El) -> Reg {
    ELR[el as usize]
}

impl Cpu {
    /// `HaveEL(EL2)`, `HaveEL(EL3)`.
    #[inline]
    pub fn have_el2(&self) -> bool {
        self.config.el2
    }
    #[inline]
    pub fn have_el3(&self) -> bool {
        self.config.el3
    }

    /// `IsSecure()` below EL3: SCR_EL3.NS is 0. Without EL3 the PE is Non-secure (as on QEMU
    /// virt without `secure=on`); EL3 itself is always Secure.
    pub fn is_secure(&self) -> bool {
        self.is_secure_at(self.state.pstate.el)
    }

    /// `IsSecure()` as it would be at `el` (the Security state of `el`'s regime).
    pub fn is_secure_at(&self, el: El) -> bool {
        self.have_el3() && (el == El::EL3 || !f::SCR_EL3_NS.is_set(self.state.sr(sr::SCR_EL3)))
    }

    /// `EL2Enabled()`: EL2 is implemented and the PE is in a Security state that has it:
    /// Non-secure, or Secure with SCR_EL3.EEL2 (FEAT_SEL2; the field is RES0 without it).
    pub fn el2_enabled(&self) -> bool {
        let scr = self.state.sr(sr::SCR_EL3);
        self.have_el2()
            && (!self.have_el3() || f::SCR_EL3_NS.is_set(scr) || f::SCR_EL3_EEL2.is_set(scr))
    }

    /// `ELIsInHost(el)` (FEAT_VHE): EL2, or EL0 under HCR_EL2.TGE, with HCR_EL2.E2H set; the
    /// EL2&0 translation regime and EL2's registers govern them.
    #[inline]
    pub fn in_host(&self, el: El) -> bool {
        let hcr = self.hcr_el2();
        f::HCR_EL2_E2H.is_set(hcr)
            && (el == El::EL2 || (el == El::EL0 && f::HCR_EL2_TGE.is_set(hcr)))
    }

    /// HCR_EL2.E2H as it applies.
    #[inline]
    pub fn e2h(&self) -> bool {
        f::HCR_EL2_E2H.is_set(self.hcr_el2())
    }

    /// HCR_EL2 as it applies: zero when EL2 is not enabled.
    #[inline]
    pub fn hcr_el2(&self) -> u64 {
        if self.el2_enabled() {
            self.state.sr(sr::HCR_EL2)
        } else {
            0
        }
    }

    /// HCRX_EL2's effective value (FEAT_HCX): 0 with EL2 disabled, and while SCR_EL3.HXEn is
    /// 0 where EL3 exists.
    pub fn hcrx_el2(&self) -> u64 {
        let on = self.config.system_features.hcx
            && self.el2_enabled()
            && (!self.have_el3() || f::SCR_EL3_HXEn.is_set(self.state.sr(sr::SCR_EL3)));
        if on { self.state.sr(sr::HCRX_EL2) } else { 0 }
    }

    /// Whether bit `bit` of the fine-grained trap register `reg` (FEAT_FGT: HFGRTR_EL2,
    /// HFGWTR_EL2, HFGITR_EL2, HDFGRTR_EL2, HDFGWTR_EL2) traps the current instruction to EL2:
    /// at EL1, or at EL0 outside the host when `el0_too`, with EL2 enabled and, where EL3
    /// exists, SCR_EL3.FGTEn set.
    pub(super) fn fine_grained_trap(&self, reg: Reg, bit: u8, el0_too: bool) -> bool {
        if !self.config.system_features.fgt || !self.el2_enabled() {
            return false;
        }
        let el = self.state.pstate.el;
        let from = el == El::EL1 || (el0_too && el == El::EL0 && !self.in_host(El::EL0));
        from && (!self.have_el3() || f::SCR_EL3_FGTEn.is_set(self.state.sr(sr::SCR_EL3)))
            && self.state.sr(reg) >> bit & 1 != 0
    }

    /// The Exception level a synchronous exception from the current level goes to by default:
    /// the current level, EL1 from EL0, or EL2 from EL0 when HCR_EL2.TGE is set.
    fn default_target(&self) -> El {
        match self.state.pstate.el {
            El::EL0 if f::HCR_EL2_TGE.is_set(self.hcr_el2()) => El::EL2,
            El::EL0 => El::EL1,
            el => el,
        }
    }

    /// Takes exception `e` (which an instruction returned and the board did not handle) the
    /// way the architecture does: route it, fill in its syndrome, enter the vector.
    pub fn take(&mut self, e: Exception) {
        let el = self.state.pstate.el;
        let pc_next = self.state.pc;
        // (target, EC, ISS, FAR, preferred return address)
        let (target, class, iss, far, ret) = match e {
            Exception::SupervisorCall { imm, .. } => (
                self.default_target(),
                ec::SVC,
                u32::from(imm),
                None,
                pc_next,
            ),
            Exception::HypervisorCall { imm, .. } => {
                let t = if el == El::EL3 { El::EL3 } else { El::EL2 };
                (t, ec::HVC, u32::from(imm), None, pc_next)
            }
            Exception::SecureMonitorCall { imm, .. } => {
                (El::EL3, ec::SMC, u32::from(imm), None, pc_next)
            }
            Exception::Breakpoint { pc, imm } => {
                let mdcr_tde =
                    self.el2_enabled() && f::MDCR_EL2_TDE.is_set(self.state.sr(sr::MDCR_EL2));
                let t = match el {
                    El::EL0 | El::EL1 if mdcr_tde => El::EL2,
                    _ => self.default_target(),
                };
                (t, ec::BRK, u32::from(imm), None, pc)
            }
            // HLT with halting debug disabled, and everything UNDEFINED.
            Exception::Halt { pc, .. } | Exception::Undefined { pc, .. } => {
                (self.default_target(), ec::UNKNOWN, 0, None, pc)
            }
            Exception::InstructionAbort { pc, fault } => {
                let t = self.abort_target(&fault);
                let class = if t == el {
                    ec::INSN_ABORT_SAME
                } else {
                    ec::INSN_ABORT_LOWER
                };
                let iss = fault_status(fault.kind, fault.level) | s1ptw_bit(&fault);
                (t, class, iss, Some(fault.va), pc)
            }
            Exception::DataAbort { pc, fault, .. } if fault.kind == FaultKind::Watchpoint => {
                // A Watchpoint exception: to the debug target, FAR the watched address.
                let t = self.debug_target();
                let class = if t == el {
                    super::debug::ec::WATCHPOINT_SAME
                } else {
                    super::debug::ec::WATCHPOINT_LOWER
                };
                let wnr = u32::from(fault.access == AccessKind::Write) << 6;
                // FEAT_Debugv8p9: the watchpoint's number in WPT, and WPTV set, always
                // (FEAT_Debugv8p2 made it optional; before it they are RES0).
                let wpt = match fault.watchpoint {
                    Some(n) if self.config.system_features.debugv8p9 => {
                        u32::from(n) << 18 | 1 << 17
                    }
                    _ => 0,
                };
                (
                    t,
                    class,
                    wpt | wnr | super::debug::DEBUG_FSC,
                    Some(fault.va),
                    pc,
                )
            }
            Exception::Debug { pc, event } => {
                let (t, class, iss) = self.debug_syndrome(event);
                // FAR_ELx is UNKNOWN after a Breakpoint exception: this PE writes 0 (as
                // QEMU does), so no address leaks; software step leaves it alone.
                let far = (event == super::debug::DebugEvent::Breakpoint).then_some(0);
                (t, class, iss, far, pc)
            }
            Exception::DataAbort {
                pc,
                word,
                encoding,
                fault,
            } => {
                let t = self.abort_target(&fault);
                let class = if t == el {
                    ec::DATA_ABORT_SAME
                } else {
                    ec::DATA_ABORT_LOWER
                };
                // The instruction syndrome (ISV and ISS[23:14]) is valid only for stage 2
                // faults reported to EL2, not on stage 1's walk: the ones a hypervisor emulates
                // (ESR_ELx, ISS encoding for a Data Abort: ISV).
                // A cache maintenance instruction (not DC ZVA, which is a store) reports CM,
                // with WnR 1 and no instruction syndrome.
                let insn = if fault.cache_maintenance {
                    1 << 8 | 1 << 6
                } else if fault.stage2.is_some_and(|(_, w)| !w) {
                    data_abort_iss(word, encoding, fault.access)
                } else {
                    u32::from(fault.access == AccessKind::Write) << 6
                };
                let iss = insn | fault_status(fault.kind, fault.level) | s1ptw_bit(&fault);
                (t, class, iss, Some(fault.va), pc)
            }
            Exception::PcAlignment { pc } => (self.default_target(), ec::PC_ALIGN, 0, Some(pc), pc),
            Exception::SpAlignment { pc, .. } => (self.default_target(), ec::SP_ALIGN, 0, None, pc),
            Exception::BranchTarget { pc, btype } => {
                (self.default_target(), ec::BTI, u32::from(btype), None, pc)
            }
            Exception::PacFail { pc, data, key_b } => {
                let iss = u32::from(data) << 1 | u32::from(key_b);
                (self.default_target(), ec::PAC_FAIL, iss, None, pc)
            }
            Exception::IllegalState { pc } => {
                (self.default_target(), ec::ILLEGAL_STATE, 0, None, pc)
            }
            Exception::Trap {
                pc,
                target,
                class,
                iss,
            } => (target, class, iss, None, pc),
            // WFI/WFE that the board chose not to wait on: nothing to take; carry on after it.
            Exception::WaitForInterrupt { .. } => return,
            // The board answers these; one that reaches here has no board device: UNDEFINED.
            Exception::BoardSysreg { pc, .. } => (self.default_target(), ec::UNKNOWN, 0, None, pc),
        };
        // FEAT_DoubleFault: with SCR_EL3.EASE, synchronous External aborts taken to EL3 enter
        // the SError vector.
        let external = matches!(
            e,
            Exception::DataAbort { fault, .. } | Exception::InstructionAbort { fault, .. }
                if matches!(fault.kind, FaultKind::External | FaultKind::ExternalOnWalk)
        );
        let offset = if external
            && target == El::EL3
            && f::SCR_EL3_EASE.is_set(self.state.sr(sr::SCR_EL3))
        {
            0x180
        } else {
            0
        };
        self.take_exception(target, Some((class, iss)), far, ret, offset);
    }

    /// Data and instruction aborts: stage 2 faults go to EL2 (with HPFAR_EL2 set to the
    /// IPA's page); synchronous External aborts to EL3 when SCR_EL3.EA is set; the rest to the
    /// default target.
    fn abort_target(&mut self, fault: &crate::memory::Fault) -> El {
        if let Some((ipa, _)) = fault.stage2 {
            let ns = u64::from(fault.ipa_ns) << 63;
            self.state.set_sr(
                sr::HPFAR_EL2,
                ((ipa >> 12) << 4 & 0x0000_0fff_ffff_fff0) | ns,
            );
            return El::EL2;
        }
        let kind = fault.kind;
        if matches!(kind, FaultKind::External | FaultKind::ExternalOnWalk)
            && self.have_el3()
            && f::SCR_EL3_EA.is_set(self.state.sr(sr::SCR_EL3))
        {
            return El::EL3;
        }
        self.default_target()
    }

    /// `AArch64.TakeException(target, exception, preferred_exception_return, vect_offset)`.
    /// `syndrome` is `(EC, ISS)` for synchronous exceptions (asynchronous ones leave ESR alone);
    /// `far` is written when the exception reports an address.
    pub fn take_exception(
        &mut self,
        target: El,
        syndrome: Option<(u32, u32)>,
        far: Option<u64>,
        preferred_return: u64,
        type_offset: u64,
    ) {
        // An exception ends any WFET or WFIT the PE waited in.
        self.wfxt_deadline = None;
        self.pmu_exception_taken();
        let from = self.state.pstate.el;
        let base = if target as u8 > from as u8 {
            0x400 // from a lower EL, using AArch64
        } else if self.state.pstate.sp {
            0x200
        } else {
            0
        };
        let spsr = self.state.pstate.spsr();
        let t = target as usize;
        self.state.set_sr(SPSR[t], spsr);
        self.state.set_sr(ELR[t], preferred_return);
        if let Some((class, iss)) = syndrome {
            // IL is 1 for every synchronous exception from A64: the 32-bit instructions, and the
            // exceptions the Arm ARM lists with IL 1 whatever the instruction (EC 0x00, aborts,
            // PC and SP alignment, Illegal Execution state).
            let esr = (u64::from(class) << 26) | (1 << 25) | u64::from(iss & 0x1ff_ffff);
            self.state.set_sr(ESR[t], esr);
        }
        if let Some(va) = far {
            self.state.set_sr(FAR[t], va);
        }
        let sctlr = self.sctlr(target);
        let p = &mut self.state.pstate;
        p.el = target;
        p.sp = true;
        p.d = true;
        p.a = true;
        p.i = true;
        p.f = true;
        p.ss = false;
        p.il = false;
        p.btype = 0;
        p.uao = false;
        // FEAT_PAN: entry to EL1 (or to EL2 in the host, E2H and TGE set) sets PAN unless
        // SCTLR_ELx.SPAN asks to leave it as it was.
        let host = target == El::EL2 && self.in_host(El::EL0);
        let p = &mut self.state.pstate;
        if self.config.system_features.pan && (target == El::EL1 || host) && sctlr & (1 << 23) == 0
        {
            p.pan = true;
        }
        if self.config.features.ssbs {
            p.ssbs = (sctlr >> 44) & 1 != 0;
        }
        // FEAT_NMI: entry masks every interrupt unless SCTLR_ELx.SPINTMASK leaves that to
        // PSTATE.SP, whether or not SCTLR_ELx.NMI is set.
        if self.config.system_features.nmi {
            p.allint = !f::SCTLR_EL1_SPINTMASK.is_set(sctlr);
        }
        // FEAT_EBEP: every exception entry masks the PMU exception at the new level.
        if self.config.system_features.ebep {
            p.pm = true;
        }
        self.monitor.marked = None;
        self.debug.stepped = None;
        let vbar = self.state.sr(VBAR[t]);
        self.state.pc = (vbar & !0x7ff).wrapping_add(base + type_offset);
        self.exceptions_taken += 1;
        self.system_state_changed();
    }

    /// The physical interrupt the PE takes now, if any: FIQ before IRQ, each routed to EL3 by
    /// SCR_EL3.FIQ/IRQ, to EL2 by HCR_EL2.FMO/IMO or TGE, else to EL1; never to a level below
    /// the current one; masked by PSTATE.F/I only when taken to the current level, or to EL1
    /// from EL0 (Arm ARM D1.3.6, "Asynchronous exception masking").
    pub fn interrupt_target(&self) -> Option<(El, Interrupt)> {
        let el = self.state.pstate.el;
        let scr = if self.have_el3() {
            self.state.sr(sr::SCR_EL3)
        } else {
            0
        };
        let hcr = self.hcr_el2();
        let tge = f::HCR_EL2_TGE.is_set(hcr);
        let lines = [
            (
                self.fiq_line,
                Interrupt::Fiq,
                f::SCR_EL3_FIQ,
                f::HCR_EL2_FMO,
                self.state.pstate.f,
            ),
            (
                self.irq_line,
                Interrupt::Irq,
                f::SCR_EL3_IRQ,
                f::HCR_EL2_IMO,
                self.state.pstate.i,
            ),
        ];
        for (line, kind, scr_bit, hcr_bit, masked) in lines {
            if !line {
                continue;
            }
            let target = if self.have_el3() && scr_bit.is_set(scr) {
                El::EL3
            } else if self.el2_enabled() && (hcr_bit.is_set(hcr) || tge) {
                El::EL2
            } else {
                El::EL1
            };
            if target < el {
                continue;
            }
            let maskable = target == el || (target == El::EL1 && el == El::EL0);
            // FEAT_NMI: an IRQ with superpriority ignores PSTATE.I when its target's
            // SCTLR_ELx.NMI is set (ALLINT, below, still masks it).
            let superpriority = kind == Interrupt::Irq
                && self.irq_superpriority
                && self.config.system_features.nmi
                && f::SCTLR_EL1_NMI.is_set(self.sctlr(target));
            if (maskable && masked && !superpriority) || self.all_int_masked(target) {
                continue;
            }
            return Some((target, kind));
        }
        self.virtual_interrupt().map(|kind| (El::EL1, kind))
    }

    /// FEAT_NMI's `AllIntMask` for an interrupt taken to `target`: at that level, with
    /// SCTLR_ELx.NMI set, PSTATE.ALLINT masks every IRQ and FIQ (those with Superpriority
    /// too), and so does SCTLR_ELx.SPINTMASK while the PE uses SP_ELx.
    fn all_int_masked(&self, target: El) -> bool {
        if !self.config.system_features.nmi || target != self.state.pstate.el {
            return false;
        }
        let sctlr = self.sctlr(target);
        f::SCTLR_EL1_NMI.is_set(sctlr)
            && (self.state.pstate.allint
                || (f::SCTLR_EL1_SPINTMASK.is_set(sctlr) && self.state.pstate.sp))
    }

    /// The virtual interrupts, FIQ first: `(asserted and routed to EL2, PSTATE mask, kind)`.
    /// HCR_EL2.VF and VI's interrupts have Superpriority with HCRX_EL2.VFNMI and VINMI
    /// (FEAT_NMI) under SCTLR_EL1.NMI: PSTATE.F and I do not mask them, only `AllIntMask`.
    /// Each is asserted by HCR_EL2.VF/VI/VSE or the GIC's virtual CPU interface, and routed
    /// by HCR_EL2.FMO/IMO/AMO.
    fn virtual_lines(&self) -> [(bool, bool, Interrupt); 3] {
        let hcr = self.hcr_el2();
        let hcrx = self.hcrx_el2();
        let nmi = f::SCTLR_EL1_NMI.is_set(self.state.sr(sr::SCTLR_EL1));
        let all_int = self.all_int_masked(El::EL1);
        let p = &self.state.pstate;
        let line = |v: bool, route: sr::Field| v && route.is_set(hcr);
        // Superpriority comes with HCR_EL2's line; when the GIC's is also up, the interrupt
        // taken is the same.
        let mask = |masked: bool, vx: sr::Field, vnmi: sr::Field| {
            let superpriority = nmi && vx.is_set(hcr) && vnmi.is_set(hcrx);
            all_int || (masked && !superpriority)
        };
        [
            (
                line(
                    f::HCR_EL2_VF.is_set(hcr) || self.vgic_fiq_line,
                    f::HCR_EL2_FMO,
                ),
                mask(p.f, f::HCR_EL2_VF, f::HCRX_EL2_VFNMI),
                Interrupt::VirtualFiq,
            ),
            (
                line(
                    f::HCR_EL2_VI.is_set(hcr) || self.vgic_irq_line,
                    f::HCR_EL2_IMO,
                ),
                mask(p.i, f::HCR_EL2_VI, f::HCRX_EL2_VINMI),
                Interrupt::VirtualIrq,
            ),
            (
                line(f::HCR_EL2_VSE.is_set(hcr), f::HCR_EL2_AMO),
                p.a,
                Interrupt::VirtualSError,
            ),
        ]
    }

    /// Whether virtual interrupts reach the PE now: at EL1 and EL0, EL2 enabled, TGE clear.
    fn virtual_interrupts_apply(&self) -> bool {
        self.virtual_pending
            && self.state.pstate.el <= El::EL1
            && !f::HCR_EL2_TGE.is_set(self.hcr_el2())
    }

    /// The virtual interrupt the PE takes now, if any, masked by PSTATE.F, I and A (Arm ARM
    /// D1.3.7, "Virtual interrupts").
    fn virtual_interrupt(&self) -> Option<Interrupt> {
        if !self.virtual_interrupts_apply() {
            return None;
        }
        self.virtual_lines()
            .into_iter()
            .find(|&(asserted, masked, _)| asserted && !masked)
            .map(|l| l.2)
    }

    /// The GIC's CPU interface signals an interrupt of `group` (or none).
    pub fn set_physical_interrupt(&mut self, group: Option<InterruptGroup>) {
        self.gic_signal = group;
        self.update_physical_lines();
    }

    /// IRQ or FIQ: the signalled interrupt's group against the PE's current state.
    pub(super) fn update_physical_lines(&mut self) {
        let own_state =
            |secure: bool| self.state.pstate.el != El::EL3 && self.is_secure() == secure;
        let irq = match self.gic_signal {
            None => {
                (self.irq_line, self.fiq_line) = (false, false);
                return;
            }
            Some(InterruptGroup::Group0) => false,
            Some(InterruptGroup::Group1) => true,
            Some(InterruptGroup::Group1Secure) => own_state(true),
            Some(InterruptGroup::Group1NonSecure) => own_state(false),
        };
        (self.irq_line, self.fiq_line) = (irq, !irq);
    }

    /// Drives the virtual interrupt lines of the GIC's virtual CPU interface.
    pub fn set_virtual_lines(&mut self, irq: bool, fiq: bool) {
        if (irq, fiq) != (self.vgic_irq_line, self.vgic_fiq_line) {
            self.vgic_irq_line = irq;
            self.vgic_fiq_line = fiq;
            self.system_state_changed();
        }
    }

    /// Whether a virtual interrupt is asserted and routed, masked or not: a WFI at EL1 or EL0
    /// wakes for it.
    pub(super) fn virtual_wakeup(&self) -> bool {
        self.virtual_interrupts_apply() && self.virtual_lines().iter().any(|l| l.0)
    }

    /// ESB (FEAT_RAS): no physical SError is ever pending here, so only the virtual one
    /// matters: pending and masked at EL1 or EL0, it is deferred into VDISR_EL2 (A set, with
    /// VSESR_EL2's syndrome) and HCR_EL2.VSE cleared (`AArch64.vESBOperation`).
    pub(super) fn error_synchronization_barrier(&mut self) {
        let hcr = self.hcr_el2();
        if self.state.pstate.el <= El::EL1
            && !f::HCR_EL2_TGE.is_set(hcr)
            && f::HCR_EL2_AMO.is_set(hcr)
            && f::HCR_EL2_VSE.is_set(hcr)
            && self.state.pstate.a
        {
            let syndrome = self.state.sr(sr::VSESR_EL2) & 0x1ff_ffff;
            self.state.set_sr(sr::VDISR_EL2, (1 << 31) | syndrome);
            self.state.set_sr(sr::HCR_EL2, hcr & !f::HCR_EL2_VSE.mask());
            self.system_state_changed();
        }
    }

    /// Takes an asynchronous exception to `target`, returning to the current PC.
    pub fn take_interrupt(&mut self, target: El, kind: Interrupt) {
        let offset = match kind {
            Interrupt::Irq | Interrupt::VirtualIrq => 0x80,
            Interrupt::Fiq | Interrupt::VirtualFiq => 0x100,
            Interrupt::SError | Interrupt::VirtualSError => 0x180,
        };
        let pc = self.state.pc;
        // A virtual SError reports VSESR_EL2's syndrome with RAS (an IMPLEMENTATION DEFINED
        // one, zero here, without), and is no longer pending once taken.
        let syndrome = (kind == Interrupt::VirtualSError).then(|| {
            let iss = if self.config.system_features.ras {
                self.state.sr(sr::VSESR_EL2) as u32 & 0x1ff_ffff
            } else {
                0
            };
            let hcr = self.state.sr(sr::HCR_EL2);
            self.state.set_sr(sr::HCR_EL2, hcr & !f::HCR_EL2_VSE.mask());
            (ec::SERROR, iss)
        });
        self.take_exception(target, syndrome, None, pc, offset);
    }

    /// SCTLR_ELx of `el`'s translation regime (EL0 uses SCTLR_EL1's value, or SCTLR_EL2's in
    /// the host).
    pub fn sctlr(&self, el: El) -> u64 {
        match el {
            El::EL0 if self.in_host(El::EL0) => self.state.sr(sr::SCTLR_EL2),
            El::EL0 | El::EL1 => self.state.sr(sr::SCTLR_EL1),
            El::EL2 => self.state.sr(sr::SCTLR_EL2),
            El::EL3 => self.state.sr(sr::SCTLR_EL3),
        }
    }

    /// ERET: `AArch64.ExceptionReturn(ELR_ELx, SPSR_ELx)`. An illegal return (to a higher or
    /// unimplemented level, to AArch32, to EL1 under TGE, ...) sets PSTATE.IL and keeps the
    /// current level, so the next instruction takes an Illegal Execution state exception.
    /// ERET, ERETAA and ERETAB (FEAT_PAuth: ELR_ELx authenticated with key IA or IB and
    /// the current SP): UNDEFINED at EL0, trapped from EL1 by HFGITR_EL2.ERET (FEAT_FGT, EC
    /// 0x1A: ISS bit 1 for the authenticating forms, bit 0 for key B).
    pub(super) fn eret(&mut self, i: super::Insn) -> super::Exec {
        use crate::decode::EncodingId as E;
        let (auth, key_b) = match i.id {
            E::ERETAA_64E_branch_reg => (true, false),
            E::ERETAB_64E_branch_reg => (true, true),
            _ => (false, false),
        };
        if self.state.pstate.el == El::EL0 || (auth && !self.config.features.pauth) {
            return i.undefined();
        }
        if self.fine_grained_trap(sr::HFGITR_EL2, 51, false) {
            return Err(Exception::Trap {
                pc: i.pc,
                target: El::EL2,
                class: ec::ERET,
                iss: u32::from(auth) << 1 | u32::from(key_b),
            });
        }
        let mut elr = self.state.sr(ELR[self.state.pstate.el as usize]);
        if auth {
            elr = super::pauth::authenticate_instruction(self, i, key_b, elr, self.state.sp())?;
        }
        self.pmu_exception_return();
        self.exception_return_to(elr);
        self.system_state_changed();
        Ok(())
    }

    /// `AArch64.ExceptionReturn(new_pc, SPSR_ELx)`.
    fn exception_return_to(&mut self, elr: u64) {
        let el = self.state.pstate.el;
        let spsr = self.state.sr(SPSR[el as usize]);
        self.monitor.marked = None;
        self.debug.stepped = None;
        let illegal = self.illegal_return(spsr);
        let dest = if illegal {
            el
        } else {
            El::from_bits(spsr >> 2)
        };
        let ss = self.exception_return_ss(spsr, dest);
        let cur_sp = self.state.pstate.sp;
        self.restore_pstate(spsr);
        let p = &mut self.state.pstate;
        if illegal {
            p.el = el;
            p.sp = cur_sp;
            p.il = true;
        }
        p.ss = ss;
        self.state.pc = elr;
    }

    fn restore_pstate(&mut self, spsr: u64) {
        let feats = self.config.features;
        let sys = self.config.system_features;
        self.state.pstate.set_from_spsr(spsr);
        let p = &mut self.state.pstate;
        // Fields of features this PE does not have are RES0 in SPSR and stay 0 in PSTATE.
        p.pan &= sys.pan;
        p.uao &= sys.uao;
        p.allint &= sys.nmi;
        p.pm &= sys.ebep;
        p.tco = false;
        if !feats.dit {
            p.dit = false;
        }
        if !feats.ssbs {
            p.ssbs = false;
        }
        if !feats.bti {
            p.btype = 0;
        }
        // The caller sets PSTATE.SS (`DebugExceptionReturnSS`).
        p.ss = false;
    }

    /// `IllegalExceptionReturn(spsr)`.
    fn illegal_return(&self, spsr: u64) -> bool {
        let el = self.state.pstate.el as u8;
        let m = spsr & 0x1f;
        if m & 0x10 != 0 {
            return true; // AArch32: not implemented at any level
        }
        let target = ((m >> 2) & 3) as u8;
        if m & 2 != 0 || (target == 0 && m & 1 != 0) {
            return true; // reserved M[3:0] values
        }
        if target > el {
            return true;
        }
        if (target == 2 && !self.have_el2()) || (target == 3 && !self.have_el3()) {
            return true;
        }
        if target == 2 && !self.el2_enabled() {
            return true; // Secure EL2 without SCR_EL3.EEL2
        }
        if target == 1 && el == 2 && f::HCR_EL2_TGE.is_set(self.hcr_el2()) {
            return true;
        }
        false
    }
}

/// ISS[5:0], the fault status code (DFSC/IFSC), for a fault reported at `level` (-1 to 3).
pub fn fault_status(kind: FaultKind, level: i8) -> u32 {
    if level < 0 {
        // Level -1 (FEAT_LPA2): walks start there, and tables are all it holds.
        return match kind {
            FaultKind::AddressSize => 0x29,
            FaultKind::ExternalOnWalk => 0x13,
            _ => 0x2b,
        };
    }
    let l = (level & 3) as u32;
    match kind {
        FaultKind::AddressSize => l,
        FaultKind::Translation => 0x04 | l,
        FaultKind::AccessFlag => 0x08 | l,
        FaultKind::Permission => 0x0c | l,
        FaultKind::External => 0x10,
        FaultKind::ExternalOnWalk => 0x14 | l,
        FaultKind::Alignment => 0x21,
        FaultKind::Watchpoint => super::debug::DEBUG_FSC,
    }
}

/// ISS bit 7, S1PTW: a stage 2 fault on stage 1's translation table walk.
fn s1ptw_bit(fault: &crate::memory::Fault) -> u32 {
    u32::from(fault.stage2.is_some_and(|(_, w)| w)) << 7
}

/// The instruction-specific part of a data abort's ISS: ISV with SAS, SSE, SRT, SF and AR for
/// the single general-purpose register loads and stores that have a valid syndrome (not
/// writeback, pair, SIMD&FP, atomic or exclusive forms), and WnR.
fn data_abort_iss(word: u32, id: crate::decode::EncodingId, access: AccessKind) -> u32 {
    let wnr = u32::from(access == AccessKind::Write) << 6;
    let group = id.info().group;
    let single = matches!(
        group,
        "ldst/ldst_pos" | "ldst/ldst_unscaled" | "ldst/ldst_regoff"
    ) || (group == "ldst/ldstord" && (word >> 21) & 1 == 0);
    let simd = (word >> 26) & 1 != 0;
    if !single || simd {
        return wnr;
    }
    let size = word >> 30;
    let opc = (word >> 22) & 3;
    let (sse, sf) = match (group, opc) {
        // Ordered accesses, stores and unsigned loads: SF from the register width.
        ("ldst/ldstord", _) | (_, 0 | 1) => (false, size == 3),
        (_, 2) => (true, true), // signed load to X (or PRFM, size 3)
        _ => (true, false),     // signed load to W
    };
    let ar = group == "ldst/ldstord";
    (1 << 24)
        | (size << 22)
        | (u32::from(sse) << 21)
        | ((word & 31) << 16)
        | (u32::from(sf) << 15)
        | (u32::from(ar) << 14)
        | wnr
}

#[cfg(test)]
mod tests {
    //! Routing and syndromes, table-driven through one `check`: one instruction at a level,
    //! the exception it takes, and where it lands. The bare-metal tests (tests/baremetal/)
    //! cover the same ground against QEMU; these are the cases QEMU gets wrong or cannot show.

    use super::*;
    use crate::interp::{Config, Cpu, Stop};
    use crate::memory::{FlatMemory, Perms};
    use crate::sysregs::{self as sr};

    const CODE: u64 = 0x4000_0000;

    struct Case {
        name: &'static str,
        word: u32,
        el: El,
        /// (register, value) set before the instruction.
        regs: &'static [(Reg, u64)],
        spsr: u64,
        /// Expected: the level it lands at, EC, ISS; or None for no exception.
        want: Option<(El, u32, u32)>,
    }

    fn check(c: &Case) {
        let mut mem = FlatMemory::new();
        mem.map(CODE, 0x10000, Perms::RWX);
        mem.poke(CODE, &c.word.to_le_bytes()).unwrap();
        let config = Config {
            system: true,
            el2: true,
            el3: true,
            ..Config::default()
        };
        let mut cpu = Cpu::new(config);
        cpu.reset_system(CODE);
        cpu.state.pstate.el = c.el;
        for &(r, v) in c.regs {
            cpu.write_sysreg(r, v);
        }
        cpu.state.set_sr(
            spsr_reg(if c.el == El::EL0 { El::EL1 } else { c.el }),
            c.spsr,
        );
        cpu.state.set_sr(
            elr_reg(if c.el == El::EL0 { El::EL1 } else { c.el }),
            CODE + 0x100,
        );
        for r in [sr::VBAR_EL1, sr::VBAR_EL2, sr::VBAR_EL3] {
            cpu.state.set_sr(r, CODE + 0x8000);
        }
        cpu.system_state_changed();
        let taken = match cpu.run(&mut mem, 1) {
            Stop::Exception(e) => {
                cpu.take(e);
                true
            }
            Stop::Budget => false,
        };
        match c.want {
            None => assert!(!taken, "{}: took an exception", c.name),
            Some((el, class, iss)) => {
                assert!(taken, "{}: no exception", c.name);
                assert_eq!(cpu.state.pstate.el, el, "{}: target", c.name);
                let esr = cpu.state.sr(ESR[el as usize]);
                assert_eq!((esr >> 26) as u32, class, "{}: EC", c.name);
                assert_eq!(esr as u32 & 0x1ff_ffff, iss, "{}: ISS", c.name);
            }
        }
    }

    const NS_HCE: u64 = 0x430 | 1 | (1 << 8);

    #[test]
    fn routing_and_syndromes() {
        let cases = [
            // AArch64.CallHypervisor: at EL3, HVC is taken to EL3 (QEMU 7.2 takes it to EL2).
            Case {
                name: "hvc #1 at EL3",
                word: 0xd400_0022,
                el: El::EL3,
                regs: &[(sr::SCR_EL3, NS_HCE)],
                spsr: 0,
                want: Some((El::EL3, ec::HVC, 1)),
            },
            Case {
                name: "hvc at EL3, HCE=0",
                word: 0xd400_0022,
                el: El::EL3,
                regs: &[(sr::SCR_EL3, 0x431)],
                spsr: 0,
                want: Some((El::EL3, ec::UNKNOWN, 0)),
            },
            Case {
                name: "hvc at secure EL1",
                word: 0xd400_0022,
                el: El::EL1,
                regs: &[(sr::SCR_EL3, 0x430 | (1 << 8))],
                spsr: 0,
                want: Some((El::EL1, ec::UNKNOWN, 0)),
            },
            Case {
                name: "smc #5 at EL1 with TSC",
                word: 0xd400_00a3,
                el: El::EL1,
                regs: &[(sr::SCR_EL3, NS_HCE), (sr::HCR_EL2, (1 << 31) | (1 << 19))],
                spsr: 0,
                want: Some((El::EL2, ec::SMC, 5)),
            },
            Case {
                name: "smc with SMD",
                word: 0xd400_0003,
                el: El::EL2,
                regs: &[(sr::SCR_EL3, NS_HCE | (1 << 7))],
                spsr: 0,
                want: Some((El::EL2, ec::UNKNOWN, 0)),
            },
            Case {
                name: "svc at EL0 with TGE",
                word: 0xd400_0021,
                el: El::EL0,
                regs: &[(sr::SCR_EL3, NS_HCE), (sr::HCR_EL2, (1 << 31) | (1 << 27))],
                spsr: 0,
                want: Some((El::EL2, ec::SVC, 1)),
            },
            // ERET to EL2 in Secure state (no FEAT_SEL2): illegal, so the next instruction
            // (at ELR) takes an Illegal Execution state exception at EL3.
            Case {
                name: "eret to secure EL2",
                word: 0xd69f_03e0,
                el: El::EL3,
                regs: &[(sr::SCR_EL3, 0x430)],
                spsr: 0x3c9,
                want: None,
            },
            Case {
                name: "mrs x0, scr_el3 at EL2",
                word: 0xd53e_1100,
                el: El::EL2,
                regs: &[(sr::SCR_EL3, NS_HCE)],
                spsr: 0,
                want: Some((El::EL2, ec::UNKNOWN, 0)),
            },
            Case {
                name: "mrs x1, id_aa64pfr0_el1 with TID3",
                word: 0xd538_0401,
                el: El::EL1,
                regs: &[(sr::SCR_EL3, NS_HCE), (sr::HCR_EL2, (1 << 31) | (1 << 18))],
                spsr: 0,
                want: Some((El::EL2, ec::SYSREG, 0x30_0029)),
            },
            Case {
                name: "msr daifset at EL0, UMA=0",
                word: 0xd503_41df,
                el: El::EL0,
                regs: &[(sr::SCR_EL3, NS_HCE)],
                spsr: 0,
                want: Some((El::EL1, ec::SYSREG, 0xc_d3e2)),
            },
        ];
        for c in &cases {
            check(c);
        }
    }

    /// An illegal ERET sets PSTATE.IL and keeps the level; the next instruction then takes
    /// EC 0x0E at that level. Each reason for illegality, by SPSR.M.
    #[test]
    fn illegal_returns() {
        for (name, el, m, hcr) in [
            ("to secure EL2", El::EL3, 0b1001u64, 1u64 << 31),
            ("to AArch32", El::EL2, 0b1_0000, 1 << 31),
            ("to a higher level", El::EL1, 0b1001, 1 << 31),
            ("to EL1 under TGE", El::EL2, 0b0101, (1 << 31) | (1 << 27)),
            ("to EL0 with SP_EL1", El::EL1, 0b0001, 1 << 31),
        ] {
            let mut mem = FlatMemory::new();
            mem.map(CODE, 0x10000, Perms::RWX);
            mem.poke(CODE, &0xd69f_03e0u32.to_le_bytes()).unwrap();
            let config = Config {
                system: true,
                el2: true,
                el3: true,
                ..Config::default()
            };
            let mut cpu = Cpu::new(config);
            cpu.reset_system(CODE);
            cpu.state.pstate.el = el;
            let scr = if name == "to secure EL2" {
                0x431 & !1
            } else {
                NS_HCE
            };
            cpu.write_sysreg(sr::SCR_EL3, scr);
            cpu.write_sysreg(sr::HCR_EL2, hcr);
            cpu.state.set_sr(spsr_reg(el), 0x3c0 | m);
            cpu.state.set_sr(elr_reg(el), CODE + 0x100);
            cpu.system_state_changed();
            assert_eq!(cpu.run(&mut mem, 1), Stop::Budget, "{name}");
            assert!(cpu.state.pstate.il, "{name}: IL");
            assert_eq!(cpu.state.pstate.el, el, "{name}: level kept");
            assert_eq!(cpu.state.pc, CODE + 0x100, "{name}: PC from ELR");
            let Stop::Exception(e) = cpu.run(&mut mem, 1) else {
                panic!("{name}")
            };
            assert_eq!(e, Exception::IllegalState { pc: CODE + 0x100 }, "{name}");
        }
    }
}
