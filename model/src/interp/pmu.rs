//! The Performance Monitors Extension (FEAT_PMUv3 to PMUv3p8, FEAT_HPMN0; Arm ARM D11 and the
//! PMU registers of D24.5): six event counters and the cycle counter, each counted from the
//! instructions the PE retires. One instruction is one cycle here (the guest's clock is one
//! nanosecond per instruction at 1 GHz), so CPU_CYCLES and PMCCNTR_EL0 count instructions, and
//! no cycle is a stall. The time a PE spends waiting (WFI, WFE), which the generic counter
//! does see, is not cycles: a waiting PE's clock is stopped, as in a low-power state.
//!
//! The counters are kept lazily: the values in the register file are as of the last sync, and
//! `per_insn` records which counters every retired instruction (or cycle) increments under the
//! state at that sync. Anything that can change what counts (an MSR, exception entry and
//! return) syncs first, as does every read; so a counter is exact at each instruction an
//! access or a change of level sees, at no cost to the instructions in between. The board
//! ends its slices at the next overflow ([`Cpu::pmu_next_overflow`]), and a PE's run ends
//! after any instruction that changed what counts (`Pmu::changed`), so the overflow interrupt
//! (PMUIRQ, [`Cpu::pmu_irq`]) rises at the instruction that overflows and a frozen counter
//! stops there.
//!
//! With FEAT_EBEP, PMEE (MDCR_EL3, then MDCR_EL2, then PMECR_EL1) may send an overflow to the PMU
//! exception (EC 0x3D, asynchronous, through the synchronous vector) instead of PMUIRQ; PSTATE.PM
//! and PMECR_EL1.KPME mask it at its own level. FEAT_PMUv3p9 adds EL0's per-counter access
//! (PMUSERENR_EL0.UEN with PMUACR_EL1), PMZR_EL0 and PMUSERENR_EL0.TID.

use super::Cpu;
use crate::state::ExceptionLevel as El;
use crate::sysregs::{self as sr, Reg, field as f};

/// PMCR_EL0.N: the event counters this PE has, as QEMU's `max` (counters 6 to 30 do not exist).
pub const COUNTERS: usize = 6;
/// The cycle counter's bit (C) in the SET/CLR registers, and its index here.
pub const CYCLE: usize = 31;

/// Common architectural events (Arm ARM D14.3) this PE counts.
pub mod event {
    pub const SW_INCR: u16 = 0x00;
    pub const INST_RETIRED: u16 = 0x08;
    pub const EXC_TAKEN: u16 = 0x09;
    pub const EXC_RETURN: u16 = 0x0a;
    pub const CPU_CYCLES: u16 = 0x11;
    pub const CHAIN: u16 = 0x1e;
    /// The stall events (required from PMUv3p1 and p4): every cycle here issues and retires
    /// an instruction, so they never count.
    pub const STALL_FRONTEND: u16 = 0x23;
    pub const STALL_BACKEND: u16 = 0x24;
    pub const STALL: u16 = 0x3c;
}

/// PMCEID0_EL0 and PMCEID1_EL0: bit k says event k (and 0x20 + k) is implemented.
const PMCEID0: u64 = 1 << event::SW_INCR
    | 1 << event::INST_RETIRED
    | 1 << event::EXC_TAKEN
    | 1 << event::EXC_RETURN
    | 1 << event::CPU_CYCLES
    | 1 << event::CHAIN;
const PMCEID1: u64 = 1 << (event::STALL_FRONTEND - 0x20)
    | 1 << (event::STALL_BACKEND - 0x20)
    | 1 << (event::STALL - 0x20);

/// The counters' laziness.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pmu {
    /// `retired` when the counters were last brought up to date.
    pub synced: u64,
    /// The counters (bit n; bit 31 the cycle counter) that each retired instruction increments
    /// under the state of the last sync: INST_RETIRED and CPU_CYCLES counters that count there.
    pub per_insn: u32,
    /// A sync found counters counting or overflow flags set: [`Cpu::run`] ends its run after
    /// the instruction, so that the board raises PMUIRQ and ends its next slice at the next
    /// overflow.
    pub changed: bool,
    /// FEAT_EBEP: an overflow asks for the PMU exception and nothing masks it: the step loop
    /// leaves the fast path to take it.
    pub exception_pending: bool,
}

/// Where a counter overflow goes (FEAT_EBEP's PMEE, walked from EL3 down).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Overflow {
    /// PMUIRQ (PMEE = 0b00, and always without FEAT_EBEP).
    Interrupt,
    /// The PMU exception, to this level (PMEE = 0b11).
    Exception(El),
    /// Neither (a reserved PMEE value: CONSTRAINED UNPREDICTABLE, and the model disables both).
    Neither,
}

const fn bit(v: u64, n: u32) -> bool {
    v >> n & 1 != 0
}

const EVCNTR: [Reg; COUNTERS] = [
    sr::PMEVCNTR0_EL0,
    sr::PMEVCNTR1_EL0,
    sr::PMEVCNTR2_EL0,
    sr::PMEVCNTR3_EL0,
    sr::PMEVCNTR4_EL0,
    sr::PMEVCNTR5_EL0,
];

const EVTYPER: [Reg; COUNTERS] = [
    sr::PMEVTYPER0_EL0,
    sr::PMEVTYPER1_EL0,
    sr::PMEVTYPER2_EL0,
    sr::PMEVTYPER3_EL0,
    sr::PMEVTYPER4_EL0,
    sr::PMEVTYPER5_EL0,
];

fn evcntr(n: usize) -> Reg {
    EVCNTR[n]
}

fn evtyper(n: usize) -> Reg {
    EVTYPER[n]
}

/// The counter a PMEVCNTR<n>_EL0 names (CRm[1:0]:op2).
fn evcntr_index(reg: Reg) -> Option<usize> {
    EVCNTR.iter().position(|&r| r == reg)
}

/// The counter a PMEVTYPER<n>_EL0 names.
fn evtyper_index(reg: Reg) -> Option<usize> {
    EVTYPER.iter().position(|&r| r == reg)
}

/// The counter a PMEVCNTR<n>_EL0 or PMEVTYPER<n>_EL0 names.
fn counter_of(reg: Reg) -> Option<usize> {
    evcntr_index(reg).or_else(|| evtyper_index(reg))
}

/// The PMCR_EL0 bits kept as written: E, DP, LP and FZO (X is RAZ/WI: there is no event export
/// bus; P and C are write-only actions; N, LC and the rest are fixed).
fn pmcr_kept() -> u64 {
    f::PMCR_EL0_E.mask() | f::PMCR_EL0_DP.mask() | f::PMCR_EL0_LP.mask() | f::PMCR_EL0_FZO.mask()
}

impl Cpu {
    fn pmu_on(&self) -> bool {
        self.config.system && self.config.system_features.pmuv3
    }

    /// MDCR_EL2.HPMN: the counters below it are EL1's (the first range), the rest EL2's. N
    /// without EL2. HPMN = 0 is allowed with FEAT_HPMN0; above N it behaves as N here (the
    /// architecture's CONSTRAINED UNPREDICTABLE choices include that).
    fn hpmn(&self) -> usize {
        if !self.have_el2() {
            return COUNTERS;
        }
        let h = f::MDCR_EL2_HPMN.get(self.state.sr(sr::MDCR_EL2)) as usize;
        if h == 0 && !self.config.system_features.hpmn0 {
            return COUNTERS;
        }
        h.min(COUNTERS)
    }

    /// The counters software at the current level sees (`GetNumEventCountersAccessible`):
    /// HPMN at EL0 and EL1 while EL2 is enabled, else N.
    fn accessible_counters(&self) -> usize {
        if self.state.pstate.el <= El::EL1 && self.el2_enabled() {
            self.hpmn()
        } else {
            COUNTERS
        }
    }

    /// The SET/CLR registers' bits the current level sees: the accessible counters and C.
    fn accessible_mask(&self) -> u64 {
        (1 << CYCLE) | ((1u64 << self.accessible_counters()) - 1)
    }

    /// Whether counter `n` is in the second range (reserved for EL2 by HPMN).
    fn second_range(&self, n: usize) -> bool {
        n != CYCLE && self.have_el2() && n >= self.hpmn()
    }

    /// `PMUCounterIsEnabled`: PMCR_EL0.E (MDCR_EL2.HPME for the second range) and the
    /// counter's PMCNTENSET_EL0 bit.
    fn counter_enabled(&self, n: usize) -> bool {
        let e = if self.second_range(n) {
            f::MDCR_EL2_HPME.is_set(self.state.sr(sr::MDCR_EL2))
        } else {
            f::PMCR_EL0_E.is_set(self.state.sr(sr::PMCR_EL0))
        };
        e && bit(self.state.sr(sr::PMCNTENSET_EL0), n as u32)
    }

    /// Whether counting Attributable events by counter `n` is prohibited at the current level
    /// (Arm ARM D11.5.3): in Secure state unless MDCR_EL3.SPME (or MPMX below EL3) allows
    /// it; at EL2 by MDCR_EL2.HPMD for the first range.
    fn counting_prohibited(&self, n: usize) -> bool {
        let el = self.state.pstate.el;
        let second = self.second_range(n);
        if self.is_secure() && self.have_el3() {
            let mdcr3 = self.state.sr(sr::MDCR_EL3);
            let spme = f::MDCR_EL3_SPME.is_set(mdcr3);
            let allowed = if f::MDCR_EL3_MPMX.is_set(mdcr3) {
                el != El::EL3 || (self.have_el2() && spme && second)
            } else {
                spme
            };
            if !allowed {
                return true;
            }
        }
        el == El::EL2 && !second && f::MDCR_EL2_HPMD.is_set(self.state.sr(sr::MDCR_EL2))
    }

    /// Whether counter `n` is frozen by an overflow in its range (PMCR_EL0.FZO for the first,
    /// MDCR_EL2.HPMFZO for the second; FEAT_PMUv3p7).
    fn counter_frozen(&self, n: usize) -> bool {
        let ovs = self.state.sr(sr::PMOVSSET_EL0);
        let h = self.hpmn();
        let first = (1u64 << h) - 1;
        if self.second_range(n) {
            let second = ((1u64 << COUNTERS) - 1) & !first;
            f::MDCR_EL2_HPMFZO.is_set(self.state.sr(sr::MDCR_EL2)) && ovs & second != 0
        } else {
            f::PMCR_EL0_FZO.is_set(self.state.sr(sr::PMCR_EL0)) && ovs & first != 0
        }
    }

    /// Whether the filter (PMEVTYPER<n>_EL0, or PMCCFILTR_EL0) excludes the current level
    /// and Security state. The bits a PE without EL3, EL2 or Secure EL2 lacks read as 0.
    fn filtered(&self, n: usize) -> bool {
        let t = if n == CYCLE {
            self.state.sr(sr::PMCCFILTR_EL0)
        } else {
            self.state.sr(evtyper(n))
        };
        let (p, u, nsk, nsu, nsh, m, sh) = (
            bit(t, 31),
            bit(t, 30),
            bit(t, 29),
            bit(t, 28),
            bit(t, 27),
            bit(t, 26),
            bit(t, 24),
        );
        let secure = self.is_secure();
        match self.state.pstate.el {
            El::EL0 => {
                if secure {
                    u
                } else {
                    u != nsu
                }
            }
            El::EL1 => {
                if secure {
                    p
                } else {
                    p != nsk
                }
            }
            El::EL2 => {
                if secure {
                    sh == nsh
                } else {
                    !nsh
                }
            }
            El::EL3 => m != p,
        }
    }

    /// Whether counter `n` counts its event at the current level now: enabled, not
    /// prohibited, not frozen, not filtered out. The cycle counter stops where event
    /// counting is prohibited or frozen only with PMCR_EL0.DP, and also stops in Secure state
    /// with MDCR_EL3.SCCD, at EL2 with MDCR_EL2.HCCD and at EL3 with MDCR_EL3.MCCD.
    fn counts_now(&self, n: usize) -> bool {
        if !self.counter_enabled(n) {
            return false;
        }
        if n == CYCLE {
            let pmcr = self.state.sr(sr::PMCR_EL0);
            let stopped = self.counting_prohibited(n) || self.counter_frozen(n);
            if stopped && f::PMCR_EL0_DP.is_set(pmcr) {
                return false;
            }
            let el = self.state.pstate.el;
            let mdcr3 = self.state.sr(sr::MDCR_EL3);
            if (self.have_el3() && self.is_secure() && f::MDCR_EL3_SCCD.is_set(mdcr3))
                || (el == El::EL2 && f::MDCR_EL2_HCCD.is_set(self.state.sr(sr::MDCR_EL2)))
                || (el == El::EL3 && f::MDCR_EL3_MCCD.is_set(mdcr3))
            {
                return false;
            }
        } else if self.counting_prohibited(n) || self.counter_frozen(n) {
            return false;
        }
        !self.filtered(n)
    }

    /// The event counter `n` counts: evtCount (16 bits with PMUv3p1).
    fn event_of(&self, n: usize) -> u16 {
        (self.state.sr(evtyper(n)) & 0xffff) as u16
    }

    /// Whether counter `n` overflows at bit 63 rather than bit 31: PMCR_EL0.LP for the first
    /// range, MDCR_EL2.HLP for the second (FEAT_PMUv3p5); the cycle counter always (LC is
    /// RES1: no AArch32).
    fn long_counter(&self, n: usize) -> bool {
        // While the PMU exception is enabled, LP, LC and HLP are 1 in effect (FEAT_EBEP).
        if n == CYCLE || matches!(self.overflow_route(), Overflow::Exception(_)) {
            return true;
        }
        if self.second_range(n) {
            f::MDCR_EL2_HLP.is_set(self.state.sr(sr::MDCR_EL2))
        } else {
            f::PMCR_EL0_LP.is_set(self.state.sr(sr::PMCR_EL0))
        }
    }

    fn counter_reg(n: usize) -> Reg {
        if n == CYCLE {
            sr::PMCCNTR_EL0
        } else {
            evcntr(n)
        }
    }

    /// Adds `by` to counter `n`, setting its overflow flag on a carry out of bit 31 (or 63
    /// for a long counter) and passing 32-bit overflows to a CHAIN counter above it.
    fn pmu_add(&mut self, n: usize, by: u64) {
        if by == 0 {
            return;
        }
        let reg = Cpu::counter_reg(n);
        let old = self.state.sr(reg);
        let (new, carry64) = old.overflowing_add(by);
        let wide = self.config.system_features.pmuv3p5 || n == CYCLE;
        let new = if wide { new } else { new & 0xffff_ffff };
        self.state.set_sr(reg, new);
        let low_overflows = ((u128::from(old & 0xffff_ffff) + u128::from(by)) >> 32) as u64;
        let overflowed = if self.long_counter(n) {
            carry64
        } else {
            low_overflows != 0
        };
        if overflowed {
            let ovs = self.state.sr(sr::PMOVSSET_EL0) | 1 << n;
            self.state.set_sr(sr::PMOVSSET_EL0, ovs);
        }
        // CHAIN: an odd counter counts the 32-bit overflows of the even one below it, when
        // that one is not a long counter.
        let odd = n + 1;
        if n != CYCLE
            && n.is_multiple_of(2)
            && odd < COUNTERS
            && !self.long_counter(n)
            && low_overflows != 0
            && self.event_of(odd) == event::CHAIN
            && self.counts_now(odd)
        {
            self.pmu_add(odd, low_overflows);
        }
    }

    /// Brings the counters up to `now` (instructions retired) under the state of the last
    /// sync, then records what counts from here on.
    pub(super) fn pmu_sync_at(&mut self, now: u64) {
        if !self.pmu_on() {
            return;
        }
        // An ERET accounts for itself before it retires: a sync in between sees nothing new.
        let delta = now.saturating_sub(self.pmu.synced);
        self.pmu.synced = self.pmu.synced.max(now);
        let mut mask = self.pmu.per_insn;
        while mask != 0 {
            let n = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            self.pmu_add(n, delta);
        }
        let mut per_insn = 0;
        for n in (0..COUNTERS).chain([CYCLE]) {
            let counts_insns =
                n == CYCLE || matches!(self.event_of(n), event::INST_RETIRED | event::CPU_CYCLES);
            if counts_insns && self.counts_now(n) {
                per_insn |= 1 << n;
            }
        }
        self.pmu.per_insn = per_insn;
        if per_insn != 0 || self.state.sr(sr::PMOVSSET_EL0) != 0 {
            self.pmu.changed = true;
        }
        self.pmu.exception_pending =
            self.config.system_features.ebep && self.pmu_exception_due().is_some();
    }

    /// [`Cpu::pmu_sync_at`] the instructions retired so far.
    pub fn pmu_sync(&mut self) {
        self.pmu_sync_at(self.retired);
    }

    /// An event that is not an instruction retiring (EXC_TAKEN, EXC_RETURN, SW_INCR's
    /// increments), after the counters catch up to `now`: each counter in `counters` counting
    /// `event` here now counts it once.
    fn pmu_event_at(&mut self, now: u64, event: u16, counters: u64) {
        if !self.pmu_on() {
            return;
        }
        self.pmu_sync_at(now);
        for n in 0..COUNTERS {
            if bit(counters, n as u32) && self.event_of(n) == event && self.counts_now(n) {
                self.pmu_add(n, 1);
            }
        }
    }

    /// Exception entry (before the PE changes level): EXC_TAKEN, counted at the level the
    /// exception is taken from.
    pub(super) fn pmu_exception_taken(&mut self) {
        self.pmu_event_at(self.retired, event::EXC_TAKEN, u64::MAX);
    }

    /// ERET (before the PE changes level): the ERET itself counts where it executes, then
    /// EXC_RETURN.
    pub(super) fn pmu_exception_return(&mut self) {
        self.pmu_event_at(self.retired + 1, event::EXC_RETURN, u64::MAX);
    }

    /// PMUIRQ (`CheckForPMUOverflow`): an overflow flag set with its interrupt enabled, and
    /// its range enabled (PMCR_EL0.E; MDCR_EL2.HPME for the second range). Level-sensitive:
    /// it stays up until software clears the flag.
    pub fn pmu_irq(&mut self) -> bool {
        if !self.pmu_on() {
            return false;
        }
        self.pmu_sync();
        self.overflow_route() == Overflow::Interrupt && self.overflow_condition()
    }

    /// `CheckPMUOverflowCondition`: an overflow flag set with its interrupt enabled, and its
    /// range enabled (PMCR_EL0.E; MDCR_EL2.HPME for the second range).
    fn overflow_condition(&self) -> bool {
        let pending = self.state.sr(sr::PMOVSSET_EL0) & self.state.sr(sr::PMINTENSET_EL1);
        if pending == 0 {
            return false;
        }
        let e = f::PMCR_EL0_E.is_set(self.state.sr(sr::PMCR_EL0));
        let hpme = f::MDCR_EL2_HPME.is_set(self.state.sr(sr::MDCR_EL2));
        (0..COUNTERS).chain([CYCLE]).any(|n| {
            let on = if self.second_range(n) { hpme } else { e };
            on && bit(pending, n as u32)
        })
    }

    /// Where an overflow goes (`PMUInterruptEnabled`, `PMUExceptionEnabled`): the first of
    /// MDCR_EL3.PMEE, MDCR_EL2.PMEE (with EL2 enabled) and PMECR_EL1.PMEE that does not
    /// defer (0b01) to the next decides; the exception then goes to that level, or from
    /// PMECR_EL1 to EL1 (EL2 under HCR_EL2.TGE).
    fn overflow_route(&self) -> Overflow {
        if !self.config.system_features.ebep {
            return Overflow::Interrupt;
        }
        let decide = |pmee: u64, target: El| match pmee {
            0b00 => Overflow::Interrupt,
            0b11 => Overflow::Exception(target),
            _ => Overflow::Neither,
        };
        if self.have_el3() {
            let v = f::MDCR_EL3_PMEE.get(self.state.sr(sr::MDCR_EL3));
            if v != 0b01 {
                return decide(v, El::EL3);
            }
        }
        if self.el2_enabled() {
            let v = f::MDCR_EL2_PMEE.get(self.state.sr(sr::MDCR_EL2));
            if v != 0b01 {
                return decide(v, El::EL2);
            }
        }
        let target = if self.el2_enabled() && f::HCR_EL2_TGE.is_set(self.hcr_el2()) {
            El::EL2
        } else {
            El::EL1
        };
        decide(f::PMECR_EL1_PMEE.get(self.state.sr(sr::PMECR_EL1)), target)
    }

    /// The level the PMU exception is taken to now, if it is due and not masked
    /// (`PMUExceptionMasked`): never to a lower level; at EL2 to EL2 only when MDCR_EL2.PMEE
    /// itself asks; at its own level not while PSTATE.PM is set or PMECR_EL1.KPME is clear.
    pub(super) fn pmu_exception_due(&self) -> Option<El> {
        let Overflow::Exception(target) = self.overflow_route() else {
            return None;
        };
        let el = self.state.pstate.el;
        if target < el
            || (el == El::EL2
                && target == El::EL2
                && f::MDCR_EL2_PMEE.get(self.state.sr(sr::MDCR_EL2)) != 0b11)
            || (target == el
                && (self.state.pstate.pm
                    || !f::PMECR_EL1_KPME.is_set(self.state.sr(sr::PMECR_EL1))))
        {
            return None;
        }
        self.overflow_condition().then_some(target)
    }

    /// Takes the PMU exception (`TakeProfilingException`): EC 0x3D, ISS 0 (an asynchronous
    /// PMU exception), through the vector of synchronous exceptions; the preferred return is
    /// the instruction not yet executed; FAR is UNKNOWN (left as it was).
    pub(super) fn take_pmu_exception(&mut self, target: El) {
        let pc = self.state.pc;
        self.take_exception(target, Some((0x3d, 0)), None, pc, 0);
    }

    /// Instructions until the next counter that counts every instruction overflows, so that
    /// the board's slice ends there and PMUIRQ rises on time.
    pub fn pmu_next_overflow(&self) -> Option<u64> {
        let mut mask = self.pmu.per_insn;
        let done = self.retired.saturating_sub(self.pmu.synced);
        let mut next: Option<u64> = None;
        while mask != 0 {
            let n = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            let v = self.state.sr(Cpu::counter_reg(n)).wrapping_add(done);
            let left = if self.long_counter(n) {
                (u64::MAX - v).saturating_add(1)
            } else {
                (1 << 32) - (v & 0xffff_ffff)
            };
            next = Some(next.map_or(left, |x| x.min(left)));
        }
        next
    }

    /// The counter PMXEVTYPER_EL0 and PMXEVCNTR_EL0 reach: PMSELR_EL0.SEL.
    fn selected(&self) -> usize {
        f::PMSELR_EL0_SEL.get(self.state.sr(sr::PMSELR_EL0)) as usize
    }

    /// Where an access to `reg` traps, if it does, in the order of the registers' pseudocode:
    /// EL0's PMUSERENR_EL0 permission (to EL1, or EL2 under HCR_EL2.TGE), MDCR_EL2.TPM and
    /// TPMCR, a counter reserved for EL2 by HPMN (to EL2: what FEAT_FGT requires, and the
    /// model's choice among the CONSTRAINED UNPREDICTABLE behaviours without it), then
    /// MDCR_EL3.TPM. With no trap, PMXEV* selecting a counter past N (SEL >= 6) is UNDEFINED:
    /// `Err`. (PMEVCNTR<n>_EL0 past N are encodings the table lacks: UNDEFINED before any trap.)
    pub(super) fn pmu_trap(&self, reg: Reg, read: bool) -> Result<Option<El>, ()> {
        let el = self.state.pstate.el;
        // The counter the access names, for the HPMN and N checks.
        let mut past_n = false;
        let counter = match reg {
            sr::PMXEVTYPER_EL0 | sr::PMXEVCNTR_EL0 => {
                let sel = self.selected();
                if sel == CYCLE && reg == sr::PMXEVTYPER_EL0 {
                    None
                } else if sel >= COUNTERS {
                    past_n = true;
                    None
                } else {
                    Some(sel)
                }
            }
            _ => counter_of(reg),
        };
        if el == El::EL0 {
            let u = self.state.sr(sr::PMUSERENR_EL0);
            let en = f::PMUSERENR_EL0_EN.is_set(u);
            // PMUv3p9: UEN opens the counters' registers to EL0 whatever EN says (PMUACR_EL1
            // then says which counters), and closes PMCR_EL0; TID traps PMCEID's reads.
            let uen = f::PMUSERENR_EL0_UEN.is_set(u);
            let allowed = match reg {
                sr::PMUSERENR_EL0 => true,
                sr::PMCR_EL0 => en && !uen,
                sr::PMCEID0_EL0 | sr::PMCEID1_EL0 => (en || uen) && !f::PMUSERENR_EL0_TID.is_set(u),
                _ if en || uen => true,
                sr::PMSWINC_EL0 => f::PMUSERENR_EL0_SW.is_set(u),
                sr::PMCCNTR_EL0 => read && f::PMUSERENR_EL0_CR.is_set(u),
                sr::PMXEVCNTR_EL0 => read && f::PMUSERENR_EL0_ER.is_set(u),
                sr::PMSELR_EL0 => f::PMUSERENR_EL0_ER.is_set(u),
                r if evcntr_index(r).is_some() => read && f::PMUSERENR_EL0_ER.is_set(u),
                _ => false,
            };
            if !allowed {
                let tge = f::HCR_EL2_TGE.is_set(self.hcr_el2());
                return Ok(Some(if tge { El::EL2 } else { El::EL1 }));
            }
        }
        // FEAT_FGT2's traps (a 0 traps; all of them while SCR_EL3.FGTEn2 is clear).
        let fgt2 = match reg {
            sr::PMECR_EL1 => Some(0),
            sr::PMUACR_EL1 => Some(4),
            sr::PMZR_EL0 => Some(21),
            _ => None,
        };
        if let Some(b) = fgt2
            && self.config.system_features.fgt2
            && self.el2_enabled()
            && (el == El::EL1 || (el == El::EL0 && !self.in_host(El::EL0)))
        {
            let r = if read {
                sr::HDFGRTR2_EL2
            } else {
                sr::HDFGWTR2_EL2
            };
            let enabled = !self.have_el3() || f::SCR_EL3_FGTEn2.is_set(self.state.sr(sr::SCR_EL3));
            if !enabled || !bit(self.state.sr(r), b) {
                return Ok(Some(El::EL2));
            }
        }
        if el <= El::EL1 && self.el2_enabled() {
            let mdcr2 = self.state.sr(sr::MDCR_EL2);
            if f::MDCR_EL2_TPM.is_set(mdcr2)
                || (reg == sr::PMCR_EL0 && f::MDCR_EL2_TPMCR.is_set(mdcr2))
            {
                return Ok(Some(El::EL2));
            }
            if counter.is_some_and(|n| n >= self.hpmn()) {
                return Ok(Some(El::EL2));
            }
        }
        // MDCR_EL3.EnPM2 (PMUv3p9, EBEP) traps PMECR_EL1 and PMUACR_EL1 to EL3 (not PMZR_EL0).
        let mdcr3 = self.state.sr(sr::MDCR_EL3);
        if el <= El::EL2
            && self.have_el3()
            && matches!(reg, sr::PMECR_EL1 | sr::PMUACR_EL1)
            && !f::MDCR_EL3_EnPM2.is_set(mdcr3)
        {
            return Ok(Some(El::EL3));
        }
        if el <= El::EL2 && self.have_el3() && f::MDCR_EL3_TPM.is_set(mdcr3) {
            return Ok(Some(El::EL3));
        }
        if past_n {
            return Err(());
        }
        Ok(None)
    }

    /// EL0 under PMUSERENR_EL0.UEN (FEAT_PMUv3p9): the counters PMUACR_EL1 opens to it (bit n,
    /// C for the cycle counter), and those it may also write (not read-only by ER or CR).
    fn el0_counter_access(&self) -> Option<(u64, u64)> {
        if self.state.pstate.el != El::EL0 || !self.config.system_features.pmuv3p9 {
            return None;
        }
        let u = self.state.sr(sr::PMUSERENR_EL0);
        if !f::PMUSERENR_EL0_UEN.is_set(u) {
            return None;
        }
        let open = self.state.sr(sr::PMUACR_EL1) & self.accessible_mask();
        let mut writable = open;
        if f::PMUSERENR_EL0_CR.is_set(u) {
            writable &= !(1 << CYCLE);
        }
        if f::PMUSERENR_EL0_ER.is_set(u) {
            writable &= 1 << CYCLE;
        }
        Some((open, writable))
    }

    /// The counter a counter or filter register names: n, or 31 for the cycle counter.
    fn counter_named(&self, reg: Reg) -> Option<usize> {
        match reg {
            sr::PMCCNTR_EL0 | sr::PMCCFILTR_EL0 => Some(CYCLE),
            sr::PMXEVCNTR_EL0 | sr::PMXEVTYPER_EL0 => Some(self.selected()),
            r => counter_of(r),
        }
    }

    /// MRS of a `pmu` register (after its checks and a sync). At EL0 under UEN, a counter
    /// PMUACR_EL1 does not open, its filter and its bits in the SET/CLR registers read as zero.
    pub(super) fn pmu_read(&self, reg: Reg) -> u64 {
        let v = self.pmu_read_register(reg);
        let Some((open, _)) = self.el0_counter_access() else {
            return v;
        };
        match reg {
            sr::PMCNTENSET_EL0 | sr::PMCNTENCLR_EL0 | sr::PMOVSSET_EL0 | sr::PMOVSCLR_EL0 => {
                v & open
            }
            r => match self.counter_named(r) {
                Some(n) if !bit(open, n as u32) => 0,
                _ => v,
            },
        }
    }

    fn pmu_read_register(&self, reg: Reg) -> u64 {
        let s = &self.state;
        let (writable, res1) = self.sysreg_masks[reg.0 as usize];
        let masked = |r: Reg| (s.sr(r) & (writable | res1)) | res1;
        match reg {
            sr::PMCR_EL0 => {
                // N reads as HPMN where EL2 reserves counters; LC is RES1 (no AArch32); IMP
                // and IDCODE are 0 (PMUv3p7).
                let n = self.accessible_counters() as u64;
                (s.sr(reg) & pmcr_kept() & writable) | f::PMCR_EL0_LC.mask() | n << 11
            }
            sr::PMCNTENSET_EL0 | sr::PMCNTENCLR_EL0 => {
                s.sr(sr::PMCNTENSET_EL0) & self.accessible_mask()
            }
            sr::PMINTENSET_EL1 | sr::PMINTENCLR_EL1 => {
                s.sr(sr::PMINTENSET_EL1) & self.accessible_mask()
            }
            sr::PMOVSSET_EL0 | sr::PMOVSCLR_EL0 => s.sr(sr::PMOVSSET_EL0) & self.accessible_mask(),
            sr::PMCEID0_EL0 => PMCEID0,
            sr::PMCEID1_EL0 => PMCEID1,
            // PMMIR_EL1: no STALL_SLOT, no thresholds, no bus figures.
            sr::PMMIR_EL1 => 0,
            sr::PMXEVTYPER_EL0 => match self.selected() {
                CYCLE => self.pmu_read_register(sr::PMCCFILTR_EL0),
                n => self.pmu_read_register(evtyper(n)),
            },
            sr::PMXEVCNTR_EL0 => s.sr(evcntr(self.selected())),
            // PMUACR_EL1's bits of counters the level cannot reach read as zero.
            sr::PMUACR_EL1 => masked(reg) & self.accessible_mask(),
            sr::PMUSERENR_EL0 | sr::PMSELR_EL0 | sr::PMCCFILTR_EL0 | sr::PMECR_EL1 => masked(reg),
            r if evtyper_index(r).is_some() => masked(r),
            // The counters: 64 bits with PMUv3p5, else 32.
            r => s.sr(r),
        }
    }

    /// MSR of a `pmu` register (after its checks): syncs, writes, and records what counts now.
    /// At EL0 under UEN, writes reach only the counters PMUACR_EL1 opens, and not those ER or
    /// CR make read-only; PMSWINC_EL0 without SW only the open ones.
    pub(super) fn pmu_write(&mut self, reg: Reg, v: u64) {
        let v = match self.el0_counter_access() {
            None => v,
            Some((open, writable)) => match reg {
                // A read-only counter's enable and overflow bits are read-only too.
                sr::PMCNTENSET_EL0
                | sr::PMCNTENCLR_EL0
                | sr::PMOVSSET_EL0
                | sr::PMOVSCLR_EL0
                | sr::PMZR_EL0 => v & writable,
                sr::PMSWINC_EL0 => {
                    let sw = f::PMUSERENR_EL0_SW.is_set(self.state.sr(sr::PMUSERENR_EL0));
                    if sw { v } else { v & open }
                }
                r => match self.counter_named(r) {
                    Some(n) if !bit(writable, n as u32) => return,
                    _ => v,
                },
            },
        };
        self.pmu_write_register(reg, v);
    }

    fn pmu_write_register(&mut self, reg: Reg, v: u64) {
        self.pmu_sync();
        let accessible = self.accessible_mask();
        let (writable, res1) = self.sysreg_masks[reg.0 as usize];
        let set = |cpu: &mut Cpu, r: Reg, f: &dyn Fn(u64) -> u64| {
            let old = cpu.state.sr(r);
            cpu.state.set_sr(r, f(old));
        };
        match reg {
            sr::PMCR_EL0 => {
                self.state.set_sr(reg, v & pmcr_kept() & writable);
                if f::PMCR_EL0_C.is_set(v) {
                    self.state.set_sr(sr::PMCCNTR_EL0, 0);
                }
                if f::PMCR_EL0_P.is_set(v) {
                    // EL0 and EL1 reset only their own counters while EL2 reserves the rest.
                    for n in 0..self.accessible_counters() {
                        self.state.set_sr(evcntr(n), 0);
                    }
                }
            }
            sr::PMCNTENSET_EL0 => set(self, sr::PMCNTENSET_EL0, &|o| o | (v & accessible)),
            sr::PMCNTENCLR_EL0 => set(self, sr::PMCNTENSET_EL0, &|o| o & !(v & accessible)),
            sr::PMINTENSET_EL1 => set(self, sr::PMINTENSET_EL1, &|o| o | (v & accessible)),
            sr::PMINTENCLR_EL1 => set(self, sr::PMINTENSET_EL1, &|o| o & !(v & accessible)),
            sr::PMOVSSET_EL0 => set(self, sr::PMOVSSET_EL0, &|o| o | (v & accessible)),
            sr::PMOVSCLR_EL0 => set(self, sr::PMOVSSET_EL0, &|o| o & !(v & accessible)),
            sr::PMSWINC_EL0 => {
                let counters = v & accessible & ((1 << COUNTERS) - 1);
                self.pmu_event_at(self.retired, event::SW_INCR, counters);
            }
            sr::PMXEVTYPER_EL0 => match self.selected() {
                CYCLE => self.pmu_write_register(sr::PMCCFILTR_EL0, v),
                n => self.pmu_write_register(evtyper(n), v),
            },
            sr::PMXEVCNTR_EL0 => self.pmu_write_register(evcntr(self.selected()), v),
            // PMZR_EL0 (PMUv3p9): zeroes the counters whose bits are set.
            sr::PMZR_EL0 => {
                let v = v & accessible;
                if bit(v, CYCLE as u32) {
                    self.state.set_sr(sr::PMCCNTR_EL0, 0);
                }
                for n in 0..COUNTERS {
                    if bit(v, n as u32) {
                        self.state.set_sr(evcntr(n), 0);
                    }
                }
            }
            sr::PMCEID0_EL0 | sr::PMCEID1_EL0 | sr::PMMIR_EL1 => {}
            sr::PMCCNTR_EL0 => self.state.set_sr(reg, v),
            // PMUACR_EL1: the bits of counters this PE lacks are RAZ/WI, the others as written
            // (those EL2 reserves read as zero below it).
            sr::PMUACR_EL1 => {
                let exists = (1 << CYCLE) | ((1u64 << COUNTERS) - 1);
                let kept = self.state.sr(reg) & exists & !accessible;
                self.state.set_sr(reg, (v & accessible) | kept);
            }
            r if evcntr_index(r).is_some() => {
                let v = if self.config.system_features.pmuv3p5 {
                    v
                } else {
                    v & 0xffff_ffff
                };
                self.state.set_sr(r, v);
            }
            r => self.state.set_sr(r, (v & writable) | res1),
        }
        self.pmu_sync();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interp::{Config, SystemFeatures};

    fn pe(el2: bool) -> Cpu {
        let mut c = Config {
            system: true,
            el2,
            el3: true,
            ..Config::default()
        };
        c.system_features = SystemFeatures::from_names(|n| {
            matches!(
                n,
                "FEAT_PMUv3"
                    | "FEAT_PMUv3p1"
                    | "FEAT_PMUv3p4"
                    | "FEAT_PMUv3p5"
                    | "FEAT_PMUv3p7"
                    | "FEAT_PMUv3p8"
                    | "FEAT_HPMN0"
                    | "FEAT_FGT"
            )
        });
        let mut cpu = Cpu::new(c);
        cpu.reset_system(0);
        cpu
    }

    fn retire(cpu: &mut Cpu, n: u64) {
        cpu.retired += n;
    }

    /// Counting from retired instructions: which counters count where, overflow at 32 and
    /// 64 bits, CHAIN, SW_INCR, freeze on overflow, and PMUIRQ.
    #[test]
    fn counters_count_what_their_filters_allow() {
        let mut cpu = pe(true);
        cpu.state.pstate.el = El::EL1;
        // SCR_EL3.NS: Non-secure EL1.
        cpu.state.set_sr(sr::SCR_EL3, 1);
        cpu.system_state_changed();
        // Counter 0: INST_RETIRED everywhere; 1: INST_RETIRED but not at EL1 (P); 2: CPU_CYCLES
        // with 3 chained above it (CHAIN counts the even counter below); 4: SW_INCR.
        cpu.pmu_write(sr::PMEVTYPER0_EL0, u64::from(event::INST_RETIRED));
        cpu.pmu_write(sr::PMEVTYPER1_EL0, 1 << 31 | u64::from(event::INST_RETIRED));
        cpu.pmu_write(sr::PMEVTYPER2_EL0, u64::from(event::CPU_CYCLES));
        cpu.pmu_write(sr::PMEVTYPER3_EL0, u64::from(event::CHAIN));
        cpu.pmu_write(sr::PMEVTYPER4_EL0, u64::from(event::SW_INCR));
        cpu.pmu_write(sr::PMCNTENSET_EL0, 1 << CYCLE | 0b11111);
        cpu.pmu_write(sr::PMCR_EL0, 1);
        retire(&mut cpu, 10);
        cpu.pmu_sync();
        assert_eq!(cpu.pmu_read(sr::PMEVCNTR0_EL0), 10);
        assert_eq!(cpu.pmu_read(sr::PMEVCNTR1_EL0), 0, "P filters EL1 out");
        assert_eq!(cpu.pmu_read(sr::PMCCNTR_EL0), 10);
        // Counter 2 near its 32-bit overflow: the overflow flags it and CHAIN counts it.
        cpu.pmu_write(sr::PMEVCNTR2_EL0, 0xffff_fffe);
        assert_eq!(cpu.pmu_next_overflow(), Some(2));
        retire(&mut cpu, 3);
        cpu.pmu_sync();
        assert_eq!(
            cpu.pmu_read(sr::PMEVCNTR2_EL0),
            0x1_0000_0001,
            "64 bits, 32-bit overflow"
        );
        assert_eq!(cpu.pmu_read(sr::PMEVCNTR3_EL0), 1, "CHAIN");
        assert_eq!(cpu.pmu_read(sr::PMOVSSET_EL0), 1 << 2);
        assert!(!cpu.pmu_irq(), "interrupt not enabled");
        cpu.pmu_write(sr::PMINTENSET_EL1, 1 << 2);
        assert!(cpu.pmu_irq());
        cpu.pmu_write(sr::PMOVSCLR_EL0, 1 << 2);
        assert!(!cpu.pmu_irq());
        // SW_INCR counts only on counters whose event it is.
        cpu.pmu_write(sr::PMSWINC_EL0, 0b10001);
        assert_eq!(cpu.pmu_read(sr::PMEVCNTR4_EL0), 1);
        assert_eq!(cpu.pmu_read(sr::PMEVCNTR0_EL0), 13);
        // EL2 reserves counters 4 and 5: EL1 sees N = 4, and PMCR_EL0.E no longer drives 4.
        cpu.state.set_sr(sr::MDCR_EL2, 4);
        cpu.system_state_changed();
        assert_eq!(cpu.pmu_read(sr::PMCR_EL0) >> 11 & 31, 4);
        assert_eq!(cpu.pmu_read(sr::PMCNTENSET_EL0), 1 << CYCLE | 0b1111);
        cpu.pmu_write(sr::PMSWINC_EL0, 0b10000);
        assert_eq!(cpu.pmu_read(sr::PMEVCNTR4_EL0), 1, "not EL1's to increment");
        assert_eq!(cpu.pmu_trap(sr::PMEVCNTR4_EL0, true), Ok(Some(El::EL2)));
        // Freeze on overflow: counter 0 stops while a first-range flag is set.
        cpu.pmu_write(sr::PMCR_EL0, 1 | 1 << 9);
        cpu.pmu_write(sr::PMOVSSET_EL0, 1 << 1);
        retire(&mut cpu, 5);
        cpu.pmu_sync();
        assert_eq!(cpu.pmu_read(sr::PMEVCNTR0_EL0), 13, "frozen");
        assert_eq!(
            cpu.pmu_read(sr::PMCCNTR_EL0),
            18,
            "the cycle counter only with DP"
        );
        // Long counters (PMCR_EL0.LP) overflow at bit 63 only.
        cpu.pmu_write(sr::PMOVSCLR_EL0, u64::MAX);
        cpu.pmu_write(sr::PMCR_EL0, 1 | 1 << 7);
        cpu.pmu_write(sr::PMEVCNTR0_EL0, 0xffff_ffff);
        retire(&mut cpu, 1);
        cpu.pmu_sync();
        assert_eq!(cpu.pmu_read(sr::PMOVSSET_EL0), 0);
        assert_eq!(cpu.pmu_read(sr::PMEVCNTR0_EL0), 1 << 32);
    }

    /// A run ends after the instruction that starts a counter, so that the board's next slice
    /// ends at the overflow: with freeze on overflow, counter 1 stops with counter 0's
    /// overflow instead of counting to the end of a long slice.
    #[test]
    fn a_run_ends_where_counting_changes() {
        use crate::interp::Stop;
        use crate::memory::{FlatMemory, Perms};
        let mut cpu = pe(false);
        cpu.state.set_sr(sr::SCR_EL3, 1);
        cpu.state.pstate.el = El::EL1;
        cpu.system_state_changed();
        let mut mem = FlatMemory::new();
        mem.map(0, 0x10000, Perms::RWX);
        // MSR PMCR_EL0, X0, then NOPs.
        let mut code = 0xd51b_9c00u32.to_le_bytes().to_vec();
        for _ in 0..4000 {
            code.extend_from_slice(&0xd503_201fu32.to_le_bytes());
        }
        mem.poke(0, &code).unwrap();
        cpu.state.pc = 0;
        cpu.state.set_xr(0, 1 | 1 << 9); // E, FZO
        cpu.pmu_write(sr::PMEVTYPER0_EL0, u64::from(event::INST_RETIRED));
        cpu.pmu_write(sr::PMEVTYPER1_EL0, u64::from(event::INST_RETIRED));
        cpu.pmu_write(sr::PMEVCNTR0_EL0, 0xffff_fff0);
        cpu.pmu_write(sr::PMCNTENSET_EL0, 0b11);
        cpu.pmu.changed = false;
        assert_eq!(cpu.run(&mut mem, 1000), Stop::Budget);
        assert_eq!(cpu.retired, 1, "the run ends after the MSR");
        // The MSR counted (it retired with E set). The board's next slice ends at the
        // overflow, and then counter 1 is frozen.
        let n = cpu.pmu_next_overflow().unwrap();
        assert_eq!(n, 15);
        cpu.run(&mut mem, n);
        cpu.pmu_sync();
        cpu.run(&mut mem, 1000);
        cpu.pmu_sync();
        assert_eq!(cpu.pmu_read(sr::PMOVSSET_EL0), 1);
        assert_eq!(
            cpu.pmu_read(sr::PMEVCNTR1_EL0),
            16,
            "frozen at the overflow"
        );
    }

    /// FEAT_EBEP's routing and masking of the PMU exception, as a table: (MDCR_EL3.PMEE,
    /// MDCR_EL2.PMEE, PMECR_EL1.PMEE, KPME, PSTATE.PM, the current level, HCR_EL2.TGE) and
    /// where the exception goes (None: not taken), with an overflow pending.
    #[test]
    fn the_pmu_exception_goes_where_pmee_says() {
        type Case = (u64, u64, u64, bool, bool, El, bool, Option<El>);
        let cases: &[Case] = &[
            // PMECR_EL1 decides: to EL1, masked there by KPME or PM, never from EL2 or EL3.
            (1, 1, 3, true, false, El::EL1, false, Some(El::EL1)),
            (1, 1, 3, true, false, El::EL0, false, Some(El::EL1)),
            (1, 1, 3, false, false, El::EL1, false, None),
            (1, 1, 3, false, false, El::EL0, false, Some(El::EL1)),
            (1, 1, 3, true, true, El::EL1, false, None),
            (1, 1, 3, true, true, El::EL0, false, Some(El::EL1)),
            (1, 1, 3, true, false, El::EL2, false, None),
            // Under TGE, EL0's goes to EL2 (taken from EL0, not at EL2 itself).
            (1, 1, 3, true, false, El::EL0, true, Some(El::EL2)),
            (1, 1, 3, true, false, El::EL2, true, None),
            // PMUIRQ instead, or a reserved value: no exception.
            (1, 1, 0, true, false, El::EL1, false, None),
            (1, 1, 2, true, false, El::EL1, false, None),
            (1, 1, 1, true, false, El::EL1, false, None),
            // MDCR_EL2 decides: to EL2, also at EL2 itself (KPME and PM permitting).
            (1, 3, 0, true, false, El::EL1, false, Some(El::EL2)),
            (1, 3, 0, true, false, El::EL2, false, Some(El::EL2)),
            (1, 3, 0, true, true, El::EL2, false, None),
            (1, 0, 3, true, false, El::EL1, false, None),
            // MDCR_EL3 decides.
            (3, 0, 0, true, false, El::EL1, false, Some(El::EL3)),
            (3, 0, 0, true, false, El::EL3, false, Some(El::EL3)),
            (3, 0, 0, false, false, El::EL3, false, None),
            (0, 3, 3, true, false, El::EL1, false, None),
        ];
        for &(pmee3, pmee2, pmee1, kpme, pm, el, tge, want) in cases {
            let mut c = Config {
                system: true,
                el2: true,
                el3: true,
                ..Config::default()
            };
            c.system_features = SystemFeatures::from_names(|n| {
                matches!(
                    n,
                    "FEAT_PMUv3" | "FEAT_PMUv3p5" | "FEAT_EBEP" | "FEAT_PMUv3p9"
                )
            });
            let mut cpu = Cpu::new(c);
            cpu.reset_system(0);
            // Non-secure, EL2 using AArch64 (and TGE when asked).
            cpu.state.set_sr(sr::SCR_EL3, 1 | 1 << 10);
            cpu.state
                .set_sr(sr::HCR_EL2, 1 << 31 | if tge { 1 << 27 } else { 0 });
            cpu.state.set_sr(sr::MDCR_EL3, pmee3 << 40);
            cpu.state.set_sr(sr::MDCR_EL2, 6 | pmee2 << 40);
            cpu.state
                .set_sr(sr::PMECR_EL1, pmee1 | if kpme { 4 } else { 0 });
            cpu.state.set_sr(sr::PMCR_EL0, 1);
            cpu.state.set_sr(sr::PMINTENSET_EL1, 1);
            cpu.state.set_sr(sr::PMOVSSET_EL0, 1);
            cpu.state.pstate.el = el;
            cpu.state.pstate.pm = pm;
            let case = (pmee3, pmee2, pmee1, kpme, pm, el, tge);
            assert_eq!(cpu.pmu_exception_due(), want, "{case:?}");
            // PMUIRQ only where the deciding PMEE is 0b00.
            let irq = match (pmee3, pmee2, pmee1) {
                (0, _, _) | (1, 0, _) | (1, 1, 0) => true,
                _ => false,
            };
            assert_eq!(cpu.pmu_irq(), irq, "{case:?}");
        }
    }

    /// EL0's access follows PMUSERENR_EL0; counters past N are UNDEFINED through PMSELR_EL0.
    #[test]
    fn el0_access_follows_pmuserenr() {
        let mut cpu = pe(false);
        cpu.state.set_sr(sr::SCR_EL3, 1);
        cpu.state.pstate.el = El::EL0;
        cpu.system_state_changed();
        assert_eq!(cpu.pmu_trap(sr::PMCR_EL0, true), Ok(Some(El::EL1)));
        assert_eq!(cpu.pmu_trap(sr::PMUSERENR_EL0, true), Ok(None));
        cpu.state.set_sr(sr::PMUSERENR_EL0, 0b0100); // CR
        assert_eq!(cpu.pmu_trap(sr::PMCCNTR_EL0, true), Ok(None));
        assert_eq!(cpu.pmu_trap(sr::PMCCNTR_EL0, false), Ok(Some(El::EL1)));
        cpu.state.set_sr(sr::PMUSERENR_EL0, 0b1000); // ER
        assert_eq!(cpu.pmu_trap(sr::PMEVCNTR2_EL0, true), Ok(None));
        assert_eq!(cpu.pmu_trap(sr::PMSELR_EL0, false), Ok(None));
        assert_eq!(cpu.pmu_trap(sr::PMEVTYPER2_EL0, true), Ok(Some(El::EL1)));
        cpu.state.set_sr(sr::PMUSERENR_EL0, 1);
        cpu.state.set_sr(sr::PMSELR_EL0, 7);
        assert_eq!(cpu.pmu_trap(sr::PMXEVCNTR_EL0, true), Err(()));
        cpu.state.set_sr(sr::PMSELR_EL0, 31);
        assert_eq!(cpu.pmu_trap(sr::PMXEVTYPER_EL0, true), Ok(None));
        // Secure EL1 counts only with MDCR_EL3.SPME.
        cpu.state.set_sr(sr::SCR_EL3, 0);
        cpu.state.pstate.el = El::EL1;
        cpu.pmu_write(sr::PMEVTYPER0_EL0, u64::from(event::INST_RETIRED));
        cpu.pmu_write(sr::PMCNTENSET_EL0, 1);
        cpu.pmu_write(sr::PMCR_EL0, 1);
        assert!(!cpu.counts_now(0));
        cpu.state.set_sr(sr::MDCR_EL3, 1 << 17);
        assert!(cpu.counts_now(0));
    }
}
