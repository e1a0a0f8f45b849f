//! Self-hosted debug (Arm ARM D2, "AArch64 Self-hosted Debug"): when debug exceptions are
//! enabled (`AArch64.GenerateDebugExceptionsFrom`) and where they go (`DebugTarget`), the
//! software step state machine (`SSAdvance`, `DebugExceptionReturnSS`), breakpoints
//! (`AArch64.BreakpointMatch`, `AArch64.StateMatch`) and watchpoints
//! (`AArch64.WatchpointMatch`).
//!
//! The PE works out what the debug registers mean whenever its state changes
//! ([`Cpu::system_state_changed`]), so the step loop only compares the PC, and the MMU only
//! the addresses of data accesses ([`Watchpoint::hit`]), against what can match at the current
//! level. With nothing armed the loop's fast path runs as before.
//!
//! This PE has six breakpoints (4 and 5 context-aware) and four watchpoints
//! (ID_AA64DFR0_EL1.BRPs, WRPs, CTX_CMPs), as QEMU's `max` does. No halting debug,
//! no vector catch (AArch32 only), no address mismatch (FEAT_BWE).

use super::Cpu;
use crate::state::ExceptionLevel as El;
use crate::sysregs::{self as sr, Reg, field as f};

pub const BREAKPOINTS: usize = 6;
pub const WATCHPOINTS: usize = 4;
/// Breakpoints from this number up are context-aware.
const FIRST_CONTEXT_AWARE: usize = 4;

const DBGBCR: [Reg; BREAKPOINTS] = [
    sr::DBGBCR0_EL1,
    sr::DBGBCR1_EL1,
    sr::DBGBCR2_EL1,
    sr::DBGBCR3_EL1,
    sr::DBGBCR4_EL1,
    sr::DBGBCR5_EL1,
];
const DBGBVR: [Reg; BREAKPOINTS] = [
    sr::DBGBVR0_EL1,
    sr::DBGBVR1_EL1,
    sr::DBGBVR2_EL1,
    sr::DBGBVR3_EL1,
    sr::DBGBVR4_EL1,
    sr::DBGBVR5_EL1,
];
const DBGWCR: [Reg; WATCHPOINTS] = [
    sr::DBGWCR0_EL1,
    sr::DBGWCR1_EL1,
    sr::DBGWCR2_EL1,
    sr::DBGWCR3_EL1,
];
const DBGWVR: [Reg; WATCHPOINTS] = [
    sr::DBGWVR0_EL1,
    sr::DBGWVR1_EL1,
    sr::DBGWVR2_EL1,
    sr::DBGWVR3_EL1,
];

/// Address bits a breakpoint or watchpoint compares (`AArch64.VAMax()`: 52-bit VAs); the
/// registers' bits above are a sign extension, and a tag in the top byte is not compared.
const VA_BITS: u64 = (1 << 53) - 1;

/// The exception classes of the debug exceptions taken from AArch64.
pub mod ec {
    pub const BREAKPOINT_LOWER: u32 = 0x30;
    pub const BREAKPOINT_SAME: u32 = 0x31;
    pub const SOFTWARE_STEP_LOWER: u32 = 0x32;
    pub const SOFTWARE_STEP_SAME: u32 = 0x33;
    pub const WATCHPOINT_LOWER: u32 = 0x34;
    pub const WATCHPOINT_SAME: u32 = 0x35;
}
/// The fault status code of every debug exception.
pub const DEBUG_FSC: u32 = 0x22;

/// A debug event an instruction raised (watchpoints come from the MMU, as a fault).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DebugEvent {
    /// A breakpoint matched the instruction at `pc` (before it executed).
    Breakpoint,
    /// Software step, active-pending: `isv` when an instruction was stepped (not when an
    /// exception return left the step pending), `ex` when it was a Load-Exclusive.
    SoftwareStep { isv: bool, ex: bool },
}

/// One watchpoint as it applies at the current level, for the MMU: the bytes it watches
/// (`bas` selects bytes of the 8 from `base` when `len` is 8; a MASK watchpoint watches all
/// `len` bytes), and which accesses it matches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Watchpoint {
    pub base: u64,
    pub len: u64,
    pub bas: u8,
    pub load: bool,
    pub store: bool,
    /// It matches accesses made at the current level, and unprivileged ones (as EL0).
    pub privileged: bool,
    pub unprivileged: bool,
}

impl Watchpoint {
    /// Whether an access of `size` bytes at `va` hits it; the address to report in FAR_ELx
    /// if so: the first watched byte the access touches.
    #[inline]
    pub fn hit(&self, va: u64, size: usize, write: bool, unprivileged: bool) -> Option<u64> {
        let applies = if unprivileged {
            self.unprivileged
        } else {
            self.privileged
        };
        if !applies || !(if write { self.store } else { self.load }) {
            return None;
        }
        let lo = va & VA_BITS;
        let hi = lo + size as u64;
        let (wlo, whi) = (self.base, self.base + self.len);
        if hi <= wlo || lo >= whi {
            return None;
        }
        let first = lo.max(wlo);
        if self.len != 8 {
            return Some((va & !VA_BITS) | first);
        }
        // Which of the eight bytes the access covers.
        let (s, e) = (first - wlo, hi.min(whi) - wlo);
        let covered = ((1u16 << e) - 1) as u8 & !(((1u16 << s) - 1) as u8);
        let hits = covered & self.bas;
        (hits != 0).then(|| (va & !VA_BITS) | (wlo + u64::from(hits.trailing_zeros())))
    }
}

/// What the debug registers arm at the current level, worked out by [`Cpu::update_debug`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DebugState {
    /// Software step is active (MDSCR_EL1.SS, debug exceptions enabled here).
    pub step: bool,
    /// The instruction addresses that break, and whether a context breakpoint matches (so
    /// every instruction does).
    pub breakpoints: [Option<u64>; BREAKPOINTS],
    pub context_break: bool,
    /// The last instruction stepped (`Some(was a Load-Exclusive)`), since software step went
    /// active-pending; `None` after an exception or an exception return.
    pub stepped: Option<bool>,
}

impl DebugState {
    /// Whether the step loop must take each instruction through the reference path:
    /// software step, or a context breakpoint that breaks on every instruction.
    pub fn armed(&self) -> bool {
        self.step || self.context_break
    }

    /// Whether an address breakpoint may match: the fast path compares the PC with them.
    pub fn breakpoints_armed(&self) -> bool {
        self.breakpoints.iter().any(Option::is_some)
    }
}

impl Cpu {
    /// `DebugTargetFrom(secure)`: EL2 when MDCR_EL2.TDE or HCR_EL2.TGE routes debug
    /// exceptions there (EL2 existing in that Security state), else EL1.
    pub(super) fn debug_target_from(&self, secure: bool) -> El {
        let s = &self.state;
        let el2_here = self.have_el2() && (!secure || f::SCR_EL3_EEL2.is_set(s.sr(sr::SCR_EL3)));
        if el2_here
            && (f::HCR_EL2_TGE.is_set(s.sr(sr::HCR_EL2))
                || f::MDCR_EL2_TDE.is_set(s.sr(sr::MDCR_EL2)))
        {
            El::EL2
        } else {
            El::EL1
        }
    }

    /// `DebugTarget()` for the current Security state.
    pub(super) fn debug_target(&self) -> El {
        self.debug_target_from(self.is_secure())
    }

    /// `AArch64.GenerateDebugExceptionsFrom(from, secure, mask)`: not while the OS Lock or
    /// the OS Double Lock is locked; never from EL3 or from above the debug target; at the
    /// target only with MDSCR_EL1.KDE and PSTATE.D (`mask`) clear; in Secure state only when
    /// MDCR_EL3.SDD allows.
    pub(super) fn debug_exceptions_from(&self, from: El, secure: bool, mask: bool) -> bool {
        let s = &self.state;
        let double_lock = f::OSDLR_EL1_DLK.is_set(s.sr(sr::OSDLR_EL1))
            && !f::DBGPRCR_EL1_CORENPDRQ.is_set(s.sr(sr::DBGPRCR_EL1));
        if f::OSLSR_OSLK.is_set(s.sr(sr::OSLSR)) || double_lock {
            return false;
        }
        if self.have_el3() && secure && f::MDCR_EL3_SDD.is_set(s.sr(sr::MDCR_EL3)) {
            return false;
        }
        let target = self.debug_target_from(secure);
        if from == target {
            f::MDSCR_EL1_KDE.is_set(s.sr(sr::MDSCR_EL1)) && !mask
        } else {
            target > from
        }
    }

    /// `AArch64.GenerateDebugExceptions()`: at the current level.
    fn debug_exceptions_here(&self) -> bool {
        let el = self.state.pstate.el;
        self.debug_exceptions_from(el, self.is_secure_at(el), self.state.pstate.d)
    }

    /// Works out what the debug registers arm now (after any change of level, PSTATE.D or a
    /// System register): software step, the breakpoints, and the watchpoints the MMU checks
    /// (returned, for the caller to hand the memory through `Memory::set_watchpoints`).
    pub(super) fn update_debug(&mut self) -> [Watchpoint; WATCHPOINTS] {
        let s = &self.state;
        let mdscr = s.sr(sr::MDSCR_EL1);
        let enabled = self.debug_exceptions_here();
        let mde = enabled && f::MDSCR_EL1_MDE.is_set(mdscr);
        let el = self.state.pstate.el;
        let step = enabled && f::MDSCR_EL1_SS.is_set(mdscr);
        let mut d = DebugState {
            step,
            // Software step going active again (PSTATE.D cleared, the OS Lock unlocked, ...)
            // did not step the instruction before: `SoftwareStep_DidNotStep()`.
            stepped: if step && !self.debug.step {
                None
            } else {
                self.debug.stepped
            },
            ..DebugState::default()
        };
        if mde {
            for n in 0..BREAKPOINTS {
                let bcr = s.sr(DBGBCR[n]);
                if bcr & 1 == 0 || !self.state_match(bcr, el) {
                    continue;
                }
                let bt = (bcr >> 20) & 15;
                let bvr = s.sr(DBGBVR[n]);
                match bt {
                    // Unlinked address match, and address match linked to a context one.
                    0b0000 => d.breakpoints[n] = Some(bvr & VA_BITS & !3),
                    0b0001 => {
                        if self.linked_context_match(bcr) {
                            d.breakpoints[n] = Some(bvr & VA_BITS & !3);
                        }
                    }
                    // Unlinked context matches: every instruction in the context breaks.
                    _ if bt & 1 == 0 && n >= FIRST_CONTEXT_AWARE => {
                        d.context_break |= self.context_match(n, bt);
                    }
                    // Linked context types only take part through a link; the reserved
                    // ones (address mismatch, types a breakpoint that is not context-aware
                    // lacks) are CONSTRAINED UNPREDICTABLE: this PE disables them.
                    _ => {}
                }
            }
        }
        let mut watch = [Watchpoint::default(); WATCHPOINTS];
        if mde {
            for (n, w) in watch.iter_mut().enumerate() {
                let wcr = s.sr(DBGWCR[n]);
                let linked = (wcr >> 20) & 1 != 0;
                if wcr & 1 == 0 || (linked && !self.linked_context_match(wcr)) {
                    continue;
                }
                let wvr = s.sr(DBGWVR[n]) & VA_BITS;
                let mask = (wcr >> 24) & 31;
                let bas = ((wcr >> 5) & 0xff) as u8;
                let (base, len, bas) = if mask >= 3 {
                    // MASK (3..=31): the low `mask` address bits are not compared. With a
                    // BAS other than all ones it is CONSTRAINED UNPREDICTABLE: this PE
                    // watches the whole range.
                    (wvr & !((1 << mask) - 1), 1 << mask, 0xff)
                } else if wvr & 4 != 0 {
                    // A word-aligned address: BAS[3:0] select its bytes.
                    (wvr & !3, 8, bas & 0xf)
                } else {
                    (wvr & !7, 8, bas)
                };
                let lsc = (wcr >> 3) & 3;
                *w = Watchpoint {
                    base,
                    len,
                    bas,
                    load: lsc & 1 != 0,
                    store: lsc & 2 != 0,
                    privileged: self.state_match(wcr, el),
                    unprivileged: self.state_match(wcr, El::EL0),
                };
                if !(w.privileged || w.unprivileged) || !(w.load || w.store) || w.bas == 0 {
                    *w = Watchpoint::default();
                }
            }
        }
        self.debug = d;
        self.debug_armed = d.armed();
        self.breakpoints_armed = d.breakpoints_armed();
        watch
    }

    /// `AArch64.StateMatch` without the link: the control register's SSC, HMC and PMC (PAC)
    /// fields against an access made at `el` in the current Security state.
    fn state_match(&self, cr: u64, el: El) -> bool {
        let pxc = (cr >> 1) & 3;
        let hmc = (cr >> 13) & 1 != 0;
        let ssc = (cr >> 14) & 3;
        let el3_match = self.have_el3() && hmc && ssc & 1 == 0;
        let el2_match = self.have_el2() && ((hmc && (ssc << 2 | pxc) != 0b1000) || ssc == 0b11);
        let priv_match = match el {
            El::EL3 => el3_match,
            El::EL2 => el2_match,
            El::EL1 => pxc & 1 != 0,
            El::EL0 => pxc & 2 != 0,
        };
        let secure = self.is_secure_at(self.state.pstate.el);
        let security_match = match ssc {
            0b00 => true,
            0b01 => !secure,
            0b10 => secure,
            _ => hmc || secure,
        };
        priv_match && security_match
    }

    /// A linked breakpoint or watchpoint: the context breakpoint its LBN names matches now
    /// (`AArch64.BreakpointValueMatch` with `linked_to`), being enabled, context-aware and of
    /// a linked context type.
    fn linked_context_match(&self, cr: u64) -> bool {
        let lbn = ((cr >> 16) & 15) as usize;
        if lbn >= BREAKPOINTS || lbn < FIRST_CONTEXT_AWARE {
            return false;
        }
        let bcr = self.state.sr(DBGBCR[lbn]);
        let bt = (bcr >> 20) & 15;
        bcr & 1 != 0 && bt & 1 != 0 && bt & 0b1010 != 0 && self.context_match(lbn, bt)
    }

    /// The context comparison of breakpoint `n` of type `bt` (bit 0, linked, aside):
    /// CONTEXTIDR_EL1 (`001x`; CONTEXTIDR_EL2 in the host), the VMID (`10xx`), CONTEXTIDR_EL1
    /// outside the host (`101x`, `x11x`), CONTEXTIDR_EL2 (`11xx`).
    fn context_match(&self, n: usize, bt: u64) -> bool {
        let s = &self.state;
        let bvr = s.sr(DBGBVR[n]);
        let el = s.pstate.el;
        let el10 = el <= El::EL1 && !self.in_host(el);
        let cid1 = s.sr(sr::CONTEXTIDR_EL1) & 0xffff_ffff;
        let cid2 = s.sr(sr::CONTEXTIDR_EL2) & 0xffff_ffff;
        let vhe = self.config.system_features.vhe;
        let el2 = self.have_el2();
        let t = bt & !1;
        // Types a breakpoint without EL2 (or without VHE, for CONTEXTIDR_EL2) lacks are
        // CONSTRAINED UNPREDICTABLE: disabled.
        if (t & 0b1000 != 0 && !el2) || ((t == 0b0110 || t & 0b1100 == 0b1100) && !vhe) {
            return false;
        }
        let low = bvr & 0xffff_ffff;
        let high = bvr >> 32;
        let bvr_match = match t {
            0b0010 => {
                if self.in_host(el) {
                    cid2 == low
                } else {
                    el <= El::EL1 && cid1 == low
                }
            }
            0b1010 | 0b0110 | 0b1110 => el10 && cid1 == low,
            _ => true,
        };
        let bxvr_match = match t {
            0b1000 | 0b1010 => {
                let vmid = (s.sr(sr::VTTBR_EL2) >> 48) & 0xffff;
                let vmid16 = f::VTCR_EL2_VS.is_set(s.sr(sr::VTCR_EL2));
                let (vmid, want) = if vmid16 {
                    (vmid, high & 0xffff)
                } else {
                    (vmid & 0xff, high & 0xff)
                };
                el10 && self.el2_enabled() && vmid == want
            }
            0b1100 | 0b1110 => el != El::EL3 && self.el2_enabled() && cid2 == high,
            _ => true,
        };
        matches!(t, 0b0010 | 0b0110 | 0b1000 | 0b1010 | 0b1100 | 0b1110) && bvr_match && bxvr_match
    }

    /// The breakpoint exception the instruction at `pc` takes before it executes, if any.
    #[inline]
    pub(super) fn breakpoint_at(&self, pc: u64) -> bool {
        let d = &self.debug;
        d.context_break || d.breakpoints.iter().any(|&b| b == Some(pc & VA_BITS))
    }

    /// `DebugExceptionReturnSS(spsr)`: the PSTATE.SS an exception return to `dest` sets:
    /// SPSR.SS, when software step is enabled (MDSCR_EL1.SS) and debug exceptions are enabled
    /// at the destination but not here; else 0.
    pub(super) fn exception_return_ss(&self, spsr: u64, dest: El) -> bool {
        if spsr >> 21 & 1 == 0 || !f::MDSCR_EL1_SS.is_set(self.state.sr(sr::MDSCR_EL1)) {
            return false;
        }
        !self.debug_exceptions_here()
            && self.debug_exceptions_from(dest, self.is_secure_at(dest), spsr >> 9 & 1 != 0)
    }

    /// `SSAdvance()` after an instruction completes while software step is active-not-pending
    /// (`stepping`, as it was before the instruction): the step goes active-pending.
    #[inline]
    pub(super) fn step_advance(&mut self, stepping: bool, load_exclusive: bool) {
        if stepping {
            self.state.pstate.ss = false;
            self.debug.stepped = Some(load_exclusive);
        }
    }

    /// The software step exception now due, if the step is active-pending.
    #[inline]
    pub(super) fn step_pending(&self) -> Option<DebugEvent> {
        let d = &self.debug;
        (d.step && !self.state.pstate.ss).then_some(DebugEvent::SoftwareStep {
            isv: d.stepped.is_some(),
            ex: d.stepped == Some(true),
        })
    }

    /// Routes and encodes a debug event (taken from the current level): `(target, EC, ISS)`.
    pub(super) fn debug_syndrome(&self, event: DebugEvent) -> (El, u32, u32) {
        let target = self.debug_target();
        let same = target == self.state.pstate.el;
        match event {
            DebugEvent::Breakpoint => {
                let class = if same {
                    ec::BREAKPOINT_SAME
                } else {
                    ec::BREAKPOINT_LOWER
                };
                (target, class, DEBUG_FSC)
            }
            DebugEvent::SoftwareStep { isv, ex } => {
                let class = if same {
                    ec::SOFTWARE_STEP_SAME
                } else {
                    ec::SOFTWARE_STEP_LOWER
                };
                let iss = u32::from(isv) << 24 | u32::from(isv && ex) << 6 | DEBUG_FSC;
                (target, class, iss)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Watchpoint;

    /// `(watchpoint base, len, BAS, access address, size, FAR if it hits)`, for a store
    /// watchpoint at the current level.
    const HITS: &[(u64, u64, u8, u64, usize, Option<u64>)] = &[
        (0x1000, 8, 0xff, 0x1000, 8, Some(0x1000)),
        (0x1000, 8, 0xff, 0x0ff8, 8, None),
        (0x1000, 8, 0xff, 0x0ff8, 16, Some(0x1000)),
        (0x1000, 8, 0xff, 0x1008, 1, None),
        (0x1000, 8, 0x0c, 0x1001, 1, None),
        (0x1000, 8, 0x0c, 0x1000, 8, Some(0x1002)),
        (0x1000, 8, 0x0c, 0x1003, 2, Some(0x1003)),
        (0x1000, 8, 0x80, 0x1007, 1, Some(0x1007)),
        (0x1000, 8, 0x01, 0x0fff, 2, Some(0x1000)),
        (0x2000, 4096, 0xff, 0x2808, 8, Some(0x2808)),
        (0x2000, 4096, 0xff, 0x1ff8, 16, Some(0x2000)),
        (0x2000, 4096, 0xff, 0x3000, 8, None),
        // A tag in the top byte is not compared, and stays in FAR.
        (
            0x1000,
            8,
            0xff,
            0x5600_0000_0000_1004,
            4,
            Some(0x5600_0000_0000_1004),
        ),
    ];

    #[test]
    fn watchpoint_hits() {
        for &(base, len, bas, va, size, want) in HITS {
            let w = Watchpoint {
                base,
                len,
                bas,
                load: false,
                store: true,
                privileged: true,
                unprivileged: false,
            };
            assert_eq!(
                w.hit(va, size, true, false),
                want,
                "{base:#x}+{len} {bas:#x} at {va:#x}/{size}"
            );
            assert_eq!(
                w.hit(va, size, false, false),
                None,
                "a load of a store watchpoint"
            );
            assert_eq!(w.hit(va, size, true, true), None, "an unprivileged store");
        }
    }
}
