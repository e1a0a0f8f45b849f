//! The GICv3 interrupt controller (Arm IHI 0069): a distributor, one redistributor, and the
//! CPU interface that the PE's ICC_* System registers reach (through the board). SGIs, PPIs and
//! SPIs; priorities with the binary point's preemption, the running priority, EOImode, level
//! and edge triggering. Several PEs, each with its redistributor.
//!
//! Security: on a board with EL3 the GIC has two Security states (GICD_CTLR.DS resets to 0,
//! as QEMU virt's with `secure=on`), so interrupts are Group 0, Secure Group 1 or Non-secure
//! Group 1 (IGROUPR with IGRPMODR), each with its enables, and the CPU interface has a Secure
//! and a Non-secure copy of ICC_CTLR_EL1, ICC_BPR1_EL1, ICC_IGRPEN1_EL1 and ICC_AP1R0_EL1. A
//! Non-secure memory access ([`Device::read_in`]) sees the Non-secure view: the Secure
//! interrupts' fields are RAZ/WI (GICD_NSACR and GICR_NSACR may open some), priorities are
//! shifted into the lower half, GICD_CTLR shows only its Non-secure bits, IGROUPR, IGRPMODR,
//! NSACR and GICR_WAKER are RAZ/WI. The PE decides whether what the CPU interface signals is
//! an IRQ or a FIQ from the group and its own state (`model::interp::InterruptGroup`).
//! Without EL3, or once Secure software sets DS, one Security state: Group 0 and Group 1.
//!
//! The virtual CPU interface ([`Vcpu`]): four list registers, ICH_HCR_EL2, ICH_VMCR_EL2, the
//! active priorities, the maintenance interrupt (PPI 25), and the ICV_* view EL1 gets of the
//! ICC_* registers under HCR_EL2.IMO/FMO (the board decides when).
//! NMIs (GICv3.3, with a PE that has FEAT_NMI): GICD_INMIR and GICR_INMIR0 make Group 1
//! interrupts NMIs, which have superpriority (priority 0x00, not masked by PMR, preempting
//! every active interrupt but another NMI), are acknowledged by ICC_NMIAR1_EL1 (ICC_IAR1_EL1
//! reads 1022 for one while SCTLR_ELx.NMI is set) and show in ICC_RPR_EL1 and ICC_AP1R0_EL1's
//! bit 63. Not yet: LPIs and the ITS, virtual NMIs, the ICH_HCR_EL2 trap controls other than
//! TALL0, TALL1 and TC (applied by the board).
//!
//! The memory-mapped frames are [`Distributor`] and [`Redistributor`], views of one shared
//! [`Gicv3`].

use std::cell::RefCell;
use std::rc::Rc;

use model::interp::InterruptGroup;

use super::Device;

/// SPIs the distributor has (GICD_TYPER.ITLinesNumber = 8: INTIDs up to 287).
pub const SPIS: usize = 256;
pub const INTIDS: usize = 32 + SPIS;
/// What ICC_IAR reads when nothing is pending.
pub const SPURIOUS: u64 = 1023;
/// What ICC_IAR1_EL1 reads when the highest-priority pending interrupt is an NMI that
/// ICC_NMIAR1_EL1 must acknowledge.
pub const NMI_PENDING: u64 = 1022;
/// ICC_RPR_EL1.NMI and ICC_AP1R0_EL1.NMI: an NMI is active.
const NMI_BIT: u64 = 1 << 63;
/// Implemented priority bits: 5 (bits 7:3).
const PRIO_MASK: u8 = 0xf8;

/// The special INTIDs ICC_IAR0_EL1 and ICC_HPPIR0_EL1 give EL3 when the highest-priority
/// pending interrupt is a Secure (1020) or Non-secure (1021) Group 1 one.
pub const SECURE_GROUP1_PENDING: u64 = 1020;
pub const NON_SECURE_GROUP1_PENDING: u64 = 1021;
/// ICC_RPR_EL1.NSNMI: a Secure read's view of an active Non-secure NMI.
const NSNMI_BIT: u64 = 1 << 62;

/// An interrupt's group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    G0 = 0,
    /// Secure Group 1 (only with two Security states).
    G1S = 1,
    /// Non-secure Group 1, or Group 1 with one Security state.
    G1NS = 2,
}

/// Who accesses the CPU interface: the PE's state at the MRS or MSR (the board fills it in).
#[derive(Clone, Copy, Debug)]
pub struct Access {
    /// PSTATE.EL (0-3).
    pub el: u8,
    /// IsSecure(): Secure state, EL3 included.
    pub secure: bool,
    /// The Non-secure copy of a banked register: SCR_EL3.NS, at EL3 too (or no EL3).
    pub ns_bank: bool,
    /// SCR_EL3.IRQ and FIQ (false without EL3).
    pub scr_irq: bool,
    pub scr_fiq: bool,
    /// HCR_EL2.IMO and FMO as they apply in the current Security state.
    pub imo: bool,
    pub fmo: bool,
}

impl Access {
    /// A Non-secure EL1 access with no EL3 or EL2 controls set: the unit tests' default.
    pub const NON_SECURE_EL1: Access = Access {
        el: 1,
        secure: false,
        ns_bank: true,
        scr_irq: false,
        scr_fiq: false,
        imo: false,
        fmo: false,
    };
    /// An access at EL3 (SCR_EL3.NS clear).
    pub const EL3: Access = Access {
        el: 3,
        secure: true,
        ns_bank: false,
        scr_irq: false,
        scr_fiq: false,
        imo: false,
        fmo: false,
    };
}

impl Irq {
    /// The group: IGROUPR, and with two Security states (`ds` clear) IGRPMODR, whose setting
    /// with IGROUPR set is reserved and taken as Non-secure Group 1.
    fn group(&self, ds: bool) -> Group {
        match (self.group1, self.grpmod && !ds) {
            (true, _) => Group::G1NS,
            (false, true) => Group::G1S,
            (false, false) => Group::G0,
        }
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct Irq {
    enabled: bool,
    pending: bool,
    active: bool,
    /// The input line (level-sensitive interrupts are pending while it is high).
    line: bool,
    edge: bool,
    group1: bool,
    grpmod: bool,
    /// GICD_INMIR / GICR_INMIR0 (an NMI only while in Group 1).
    nmi: bool,
    priority: u8,
    route: u64,
    /// GICD_NSACR / GICR_NSACR's NS_access field: what Non-secure accesses may do to this
    /// interrupt while it is Secure.
    ns_access: u8,
}

#[derive(Debug)]
pub struct Gicv3 {
    /// Every INTID; the SGIs and PPIs (`..32`) are the live PE's.
    irqs: Vec<Irq>,
    /// GICD_CTLR as the Secure view lays it out: EnableGrp0 (0), EnableGrp1NS (1),
    /// EnableGrp1S (2), ARE_S (4) and ARE_NS (5) RAO, DS (6). With one Security state:
    /// EnableGrp0, EnableGrp1, ARE (4) and DS (6) RAO.
    ctlr: u32,
    /// The GIC has two Security states (the board has EL3); GICD_CTLR.DS may still disable
    /// them.
    security: bool,
    /// The live PE's CPU interface and redistributor state.
    cpu: PerCpu,
    /// Several PEs: `irqs[..32]` and `cpu` are PE `current`'s; the others' are kept here,
    /// with their SGIs and PPIs, until [`Gicv3::select_cpu`] brings them in.
    current: usize,
    saved: Vec<Option<(PerCpu, Vec<Irq>)>>,
    /// GICD_TYPER.NMI: the PEs have FEAT_NMI ([`Gicv3::set_nmi`]).
    nmi: bool,
    /// SCTLR_ELx.NMI at the level of the ICC_IAR1_EL1 read being answered
    /// ([`Gicv3::set_pe_nmi`]).
    pe_nmi: bool,
}

/// One PE's CPU interface and redistributor state.
#[derive(Debug, Clone)]
struct PerCpu {
    waker: u32,
    pmr: u8,
    /// ICC_BPR0_EL1, the Secure and the Non-secure ICC_BPR1_EL1, by [`Group`].
    bpr: [u8; 3],
    /// ICC_IGRPEN0_EL1 and the two ICC_IGRPEN1_EL1, by [`Group`].
    igrpen: [bool; 3],
    /// ICC_CTLR_EL1.EOImode and CBPR, Secure copy first; ICC_CTLR_EL3.EOImode_EL3.
    eoimode: [bool; 2],
    cbpr: [bool; 2],
    eoimode_el3: bool,
    /// Active priorities, innermost last: (priority, INTID, group when acknowledged).
    running: Vec<(u8, u16, Group)>,
    /// The PE's affinity (MPIDR_EL1's Aff fields) for GICR_TYPER and SGI targets.
    affinity: u64,
    vcpu: Vcpu,
}

/// ICC_CTLR_EL1's and ICC_CTLR_EL3's read-only fields: PRIbits = 4 (5 bits), IDbits = 0
/// (16), A3V = 1.
const ICC_CTLR_ID_FIELDS: u64 = (4 << 8) | (1 << 15);

/// The minimum binary points: 5 priority bits make 2 for Group 0 and Secure Group 1, one more
/// for Non-secure Group 1.
const MIN_BPR: [u8; 3] = [2, 2, 3];

/// The list registers the virtual CPU interface has (ICH_VTR_EL2.ListRegs + 1).
pub const LIST_REGS: usize = 4;
/// The maintenance interrupt's PPI (QEMU virt's).
pub const PPI_MAINTENANCE: usize = 25;

/// One PE's virtual CPU interface (GICv3's ICH_* registers, and the state behind ICV_*).
#[derive(Debug, Clone, Default)]
pub struct Vcpu {
    /// ICH_HCR_EL2: En, UIE, LRENPIE, NPIE, VGrp0EIE, VGrp0DIE, VGrp1EIE, VGrp1DIE, TC,
    /// TALL0, TALL1, EOIcount.
    hcr: u64,
    /// ICH_VMCR_EL2: VENG0, VENG1, VCBPR, VEOIM, VBPR1, VBPR0, VPMR (VFIQEn RES1).
    vmcr: u64,
    /// ICH_AP0R0_EL2, ICH_AP1R0_EL2: one bit per active group priority (32 levels).
    ap: [u64; 2],
    /// ICH_LR<n>_EL2: vINTID 31:0, pINTID 44:32 (EOI in bit 41 without HW), Priority 55:48,
    /// Group 60, HW 61, State 63:62.
    lr: [u64; LIST_REGS],
}

const HCR_MASK: u64 = 0xf800_1cff;
const VMCR_MASK: u64 = 0xfffc_0213;
/// ICH_VTR_EL2: ListRegs = 3, A3V, IDbits = 0 (16 bits), PREbits = PRIbits = 4 (5 bits).
pub const ICH_VTR: u64 = (LIST_REGS as u64 - 1) | (1 << 21) | (4 << 26) | (4 << 29);

/// The list register `ICH_LR<n>_EL2` names, if it is one this interface has.
fn lr_index(name: &str) -> Option<usize> {
    let n = name.strip_prefix("ICH_LR")?.strip_suffix("_EL2")?;
    n.parse::<usize>().ok().filter(|&n| n < LIST_REGS)
}

fn lr_state(lr: u64) -> u64 {
    lr >> 62
}
fn lr_group1(lr: u64) -> bool {
    lr & (1 << 60) != 0
}
fn lr_priority(lr: u64) -> u8 {
    (lr >> 48) as u8 & PRIO_MASK
}
fn lr_vintid(lr: u64) -> u64 {
    lr & 0xffff
}

impl Vcpu {
    fn enabled(&self) -> bool {
        self.hcr & 1 != 0
    }

    fn vpmr(&self) -> u8 {
        (self.vmcr >> 24) as u8 & PRIO_MASK
    }

    fn group_enabled(&self, group1: bool) -> bool {
        self.vmcr & if group1 { 2 } else { 1 } != 0
    }

    /// The group priority of `p` under VBPR0/VBPR1 (VCBPR: VBPR0 for both).
    fn group_priority(&self, p: u8, group1: bool) -> u8 {
        let vbpr0 = ((self.vmcr >> 21) & 7) as u8;
        let vbpr1 = ((self.vmcr >> 18) & 7) as u8;
        let bpr = if group1 && self.vmcr & (1 << 4) == 0 {
            vbpr1.saturating_sub(1)
        } else {
            vbpr0
        };
        p & !((2u16 << bpr) - 1) as u8
    }

    /// The virtual running priority: the lowest active priority bit of either group.
    fn running_priority(&self) -> u8 {
        let bits = self.ap[0] | self.ap[1];
        if bits == 0 {
            0xff
        } else {
            (bits.trailing_zeros() as u8) << 3
        }
    }

    /// The list register of the highest-priority pending virtual interrupt that can be
    /// signalled: its group enabled, above VPMR, able to preempt the running priority.
    fn highest(&self, group: Option<bool>) -> Option<usize> {
        let running = self.running_priority();
        let mut best: Option<(u8, usize)> = None;
        for (n, &lr) in self.lr.iter().enumerate() {
            if lr_state(lr) != 0b01 {
                continue;
            }
            let g1 = lr_group1(lr);
            if group.is_some_and(|g| g != g1) || !self.group_enabled(g1) {
                continue;
            }
            let p = lr_priority(lr);
            if p >= self.vpmr() || (running != 0xff && self.group_priority(p, g1) >= running) {
                continue;
            }
            if best.is_none_or(|(bp, _)| p < bp) {
                best = Some((p, n));
            }
        }
        best.map(|(_, n)| n)
    }

    /// ICH_MISR_EL2: the maintenance conditions that hold.
    fn misr(&self) -> u64 {
        let h = self.hcr;
        let valid = self.lr.iter().filter(|&&l| lr_state(l) != 0).count();
        let pending = self.lr.iter().any(|&l| lr_state(l) & 1 != 0);
        let bit = |c: bool, n: u32| u64::from(c) << n;
        bit(self.eisr() != 0, 0)
            | bit(h & 2 != 0 && valid <= 1, 1)
            | bit(h & 4 != 0 && h >> 27 != 0, 2)
            | bit(h & 8 != 0 && !pending, 3)
            | bit(h & 0x10 != 0 && self.vmcr & 1 != 0, 4)
            | bit(h & 0x20 != 0 && self.vmcr & 1 == 0, 5)
            | bit(h & 0x40 != 0 && self.vmcr & 2 != 0, 6)
            | bit(h & 0x80 != 0 && self.vmcr & 2 == 0, 7)
    }

    /// ICH_EISR_EL2: invalid software list registers asking for an EOI maintenance interrupt.
    fn eisr(&self) -> u64 {
        self.lr.iter().enumerate().fold(0, |m, (n, &l)| {
            let eoi = lr_state(l) == 0 && l & (1 << 61) == 0 && l & (1 << 41) != 0;
            m | u64::from(eoi) << n
        })
    }

    /// ICH_ELRSR_EL2: the list registers free for use.
    fn elrsr(&self) -> u64 {
        self.lr.iter().enumerate().fold(0, |m, (n, &l)| {
            let empty = lr_state(l) == 0 && (l & (1 << 61) != 0 || l & (1 << 41) == 0);
            m | u64::from(empty) << n
        })
    }

    /// Whether the maintenance interrupt is asserted.
    pub fn maintenance(&self) -> bool {
        self.enabled() && self.misr() != 0
    }

    /// The virtual (IRQ, FIQ) lines: group 1 signals vIRQ, group 0 vFIQ.
    pub fn signals(&self) -> (bool, bool) {
        if !self.enabled() {
            return (false, false);
        }
        match self.highest(None) {
            Some(n) if lr_group1(self.lr[n]) => (true, false),
            Some(_) => (false, true),
            None => (false, false),
        }
    }

    fn acknowledge(&mut self, group1: bool) -> u64 {
        let Some(n) = self.highest(Some(group1)).filter(|_| self.enabled()) else {
            return SPURIOUS;
        };
        let lr = self.lr[n];
        // Pending becomes active; the group priority becomes active.
        self.lr[n] = (lr & !(3 << 62)) | (0b10 << 62);
        let gp = self.group_priority(lr_priority(lr), group1);
        self.ap[usize::from(group1)] |= 1 << (gp >> 3);
        lr_vintid(lr)
    }

    /// Deactivates `intid`'s list register; with HW, the physical interrupt it names too
    /// (returned for the distributor). No list register: EOIcount counts it.
    fn deactivate(&mut self, intid: u64) -> Option<u64> {
        let found = self
            .lr
            .iter()
            .position(|&l| lr_state(l) & 2 != 0 && lr_vintid(l) == intid);
        match found {
            Some(n) => {
                let lr = self.lr[n];
                self.lr[n] = lr & !(2 << 62);
                (lr & (1 << 61) != 0).then_some((lr >> 32) & 0x1fff)
            }
            None => {
                if intid < 1020 {
                    let count = ((self.hcr >> 27) + 1) & 0x1f;
                    self.hcr = (self.hcr & 0x07ff_ffff) | (count << 27);
                }
                None
            }
        }
    }

    fn end_of_interrupt(&mut self, intid: u64, group1: bool) -> Option<u64> {
        let g = usize::from(group1);
        if self.ap[g] == 0 {
            // No active priority to drop: the write is ignored.
            return None;
        }
        self.ap[g] &= self.ap[g] - 1; // the lowest set bit: the highest priority
        if self.vmcr & (1 << 9) == 0 {
            self.deactivate(intid)
        } else {
            None
        }
    }
}

pub type Shared = Rc<RefCell<Gicv3>>;

impl Default for Gicv3 {
    fn default() -> Gicv3 {
        let mut irqs = vec![Irq::default(); INTIDS];
        for (i, irq) in irqs.iter_mut().enumerate() {
            // SGIs are edge-triggered; PPIs and SPIs reset to level-sensitive.
            irq.edge = i < 16;
        }
        Gicv3 {
            irqs,
            ctlr: CTLR_ARE | CTLR_DS,
            security: false,
            cpu: PerCpu {
                waker: 0b110,
                pmr: 0,
                bpr: MIN_BPR,
                igrpen: [false; 3],
                eoimode: [false; 2],
                cbpr: [false; 2],
                eoimode_el3: false,
                running: Vec::new(),
                affinity: 0,
                vcpu: Vcpu::default(),
            },
            current: 0,
            saved: vec![None],
            nmi: false,
            pe_nmi: false,
        }
    }
}

/// GICD_CTLR's bits (the Secure view's positions).
const CTLR_EN_G0: u32 = 1;
const CTLR_EN_G1NS: u32 = 1 << 1;
const CTLR_EN_G1S: u32 = 1 << 2;
/// ARE_S and ARE_NS (ARE with one Security state at bit 4): affinity routing is always on.
const CTLR_ARE: u32 = 1 << 4;
const CTLR_ARE_NS: u32 = 1 << 5;
const CTLR_DS: u32 = 1 << 6;

impl Gicv3 {
    pub fn new() -> Shared {
        Rc::new(RefCell::new(Gicv3::default()))
    }

    /// Gives the GIC `n` PEs with the affinities `aff(k)` (MPIDR_EL1's Aff fields), each
    /// starting from the reset state.
    pub fn set_cpus(&mut self, n: usize, aff: impl Fn(usize) -> u64) {
        let (cpu, banked) = (self.cpu.clone(), self.irqs[..32].to_vec());
        self.saved = (0..n)
            .map(|k| {
                Some((
                    PerCpu {
                        affinity: aff(k),
                        ..cpu.clone()
                    },
                    banked.clone(),
                ))
            })
            .collect();
        self.current = usize::MAX;
        self.select_cpu(0);
    }

    pub fn cpus(&self) -> usize {
        self.saved.len()
    }

    /// Makes PE `k`'s banked state the live one: what the CPU interface registers, the
    /// redistributor frame and the signals then see.
    pub fn select_cpu(&mut self, k: usize) {
        if k == self.current || k >= self.saved.len() {
            return;
        }
        let (cpu, banked) = self.saved[k]
            .take()
            .expect("each PE's state is saved while another is live");
        let outgoing = (
            std::mem::replace(&mut self.cpu, cpu),
            self.irqs[..32].to_vec(),
        );
        self.irqs[..32].copy_from_slice(&banked);
        if self.current < self.saved.len() {
            self.saved[self.current] = Some(outgoing);
        }
        self.current = k;
    }

    /// Whether SPI `i` is routed to the live PE (GICD_IROUTER: its affinity, or with IRM any
    /// PE, which this GIC makes PE 0).
    fn routed_here(&self, i: usize) -> bool {
        if i < 32 || self.saved.len() <= 1 {
            return true;
        }
        let r = self.irqs[i].route;
        if r & (1 << 31) != 0 {
            return self.current == 0;
        }
        let aff = (r & 0xff_ffff) | ((r >> 32) & 0xff) << 32;
        aff == self.cpu.affinity & 0xff_00ff_ffff
    }

    /// Gives the distributor NMIs (GICv3.3: GICD_TYPER.NMI, the INMIR registers), for PEs
    /// with FEAT_NMI.
    pub fn set_nmi(&mut self, on: bool) {
        self.nmi = on;
    }

    /// SCTLR_ELx.NMI of the level about to read a CPU interface register: with it set,
    /// ICC_IAR1_EL1 leaves an NMI to ICC_NMIAR1_EL1.
    pub fn set_pe_nmi(&mut self, on: bool) {
        self.pe_nmi = on;
    }

    /// Gives the GIC two Security states (a board with EL3): GICD_CTLR.DS resets to 0.
    pub fn set_security(&mut self, on: bool) {
        self.security = on;
        self.ctlr = if on {
            CTLR_ARE | CTLR_ARE_NS
        } else {
            CTLR_ARE | CTLR_DS
        };
    }

    /// The GIC as Secure firmware leaves it for a kernel started directly in Non-secure
    /// state (as QEMU's virt with `secure=on` and `-kernel`): every interrupt in Non-secure
    /// Group 1 and every redistributor awake.
    pub fn hand_over_to_nonsecure(&mut self) {
        let live = self.current;
        for k in 0..self.cpus().max(1) {
            self.select_cpu(k);
            self.cpu.waker = 0;
            for irq in self.irqs.iter_mut() {
                irq.group1 = true;
                irq.grpmod = false;
            }
        }
        self.select_cpu(live);
    }

    /// One Security state: no EL3, or GICD_CTLR.DS set.
    fn ds(&self) -> bool {
        self.ctlr & CTLR_DS != 0
    }

    /// INTID `i`'s group ([`Irq::group`]).
    fn group(&self, i: usize) -> Group {
        self.irqs[i].group(self.ds())
    }

    /// Whether INTID `i` is Secure: Group 0 or Secure Group 1 with two Security states.
    fn is_secure_irq(&self, i: usize) -> bool {
        !self.ds() && self.group(i) != Group::G1NS
    }

    /// Whether the distributor has `g` enabled.
    fn dist_enabled(&self, g: Group) -> bool {
        self.ctlr
            & match g {
                Group::G0 => CTLR_EN_G0,
                Group::G1NS => CTLR_EN_G1NS,
                Group::G1S => CTLR_EN_G1S,
            }
            != 0
    }

    /// Whether INTID `i` is an NMI: its INMIR bit, in Group 1, on a GIC that has NMIs.
    fn is_nmi(&self, i: usize) -> bool {
        self.nmi && self.irqs[i].nmi && self.group(i) != Group::G0
    }

    /// Whether an NMI is active (the running priority is an NMI's).
    fn nmi_active(&self) -> bool {
        self.cpu
            .running
            .iter()
            .any(|&(_, i, _)| self.is_nmi(i as usize))
    }

    /// Drives the input line of a PPI or SPI (timers, devices).
    pub fn set_line(&mut self, intid: usize, high: bool) {
        if let Some(irq) = self.irqs.get_mut(intid) {
            if irq.edge && high && !irq.line {
                irq.pending = true;
            }
            irq.line = high;
        }
    }

    fn is_pending(&self, i: usize) -> bool {
        let irq = &self.irqs[i];
        irq.pending || (!irq.edge && irq.line)
    }

    fn running_priority(&self) -> u8 {
        self.cpu.running.last().map_or(0xff, |&(p, _, _)| p)
    }

    /// The group priority of `p` for preemption (GroupBits): Group 0's binary point, Secure
    /// Group 1's, or Non-secure Group 1's less one; a CBPR makes a Group 1 use Group 0's.
    fn group_priority(&self, p: u8, g: Group) -> u8 {
        let common = match g {
            Group::G0 => true,
            Group::G1S => self.cpu.cbpr[0],
            Group::G1NS => self.cpu.cbpr[1],
        };
        let bpr = if common {
            self.cpu.bpr[0]
        } else if g == Group::G1NS {
            self.cpu.bpr[2] - 1
        } else {
            self.cpu.bpr[1]
        };
        p & !((2u16 << bpr) - 1) as u8
    }

    /// The highest-priority pending interrupt the CPU interface signals: pending, inactive,
    /// enabled, its group enabled at the distributor and the CPU interface, above PMR and
    /// able to preempt the running priority. An NMI has superpriority: priority 0x00, PMR
    /// does not mask it, it preempts anything but another NMI, and it wins a tie.
    fn highest(&self) -> Option<usize> {
        let mut best: Option<(u8, bool, usize)> = None;
        for i in 0..INTIDS {
            let irq = &self.irqs[i];
            if !irq.enabled || irq.active || !self.is_pending(i) || !self.routed_here(i) {
                continue;
            }
            let g = self.group(i);
            if !self.dist_enabled(g) || !self.cpu.igrpen[g as usize] {
                continue;
            }
            let nmi = self.is_nmi(i);
            if nmi {
                if self.nmi_active() {
                    continue;
                }
            } else {
                if irq.priority >= self.cpu.pmr {
                    continue;
                }
                if !self.cpu.running.is_empty()
                    && self.group_priority(irq.priority, g)
                        >= self.group_priority(self.running_priority(), g)
                {
                    continue;
                }
            }
            let p = if nmi { 0 } else { irq.priority };
            if best.is_none_or(|(bp, bnmi, _)| p < bp || (p == bp && nmi && !bnmi)) {
                best = Some((p, nmi, i));
            }
        }
        best.map(|(_, _, i)| i)
    }

    /// Whether the IRQ the PE sees has superpriority: the interrupt signalled is an NMI.
    pub fn superpriority(&self) -> bool {
        self.highest().is_some_and(|i| self.is_nmi(i))
    }

    /// The group of the interrupt signalled to the PE, which makes it an IRQ or a FIQ there.
    pub fn signal(&self) -> Option<InterruptGroup> {
        let i = self.highest()?;
        Some(match self.group(i) {
            Group::G0 => InterruptGroup::Group0,
            Group::G1NS if self.ds() => InterruptGroup::Group1,
            Group::G1NS => InterruptGroup::Group1NonSecure,
            Group::G1S => InterruptGroup::Group1Secure,
        })
    }

    /// ICC_HPPIR0_EL1 (CheckGroup0ForSpecialIdentifiers): a Group 0 interrupt; at EL3, 1020
    /// or 1021 for a Group 1 one; nothing Secure to Non-secure state.
    fn hppir0(&self, a: Access) -> (u64, Option<usize>) {
        let Some(i) = self.highest() else {
            return (SPURIOUS, None);
        };
        let g = self.group(i);
        if (g != Group::G0 && a.el != 3) || (self.is_secure_irq(i) && !a.secure) {
            return (SPURIOUS, None);
        }
        match g {
            Group::G0 => (i as u64, Some(i)),
            Group::G1S => (SECURE_GROUP1_PENDING, None),
            Group::G1NS => (NON_SECURE_GROUP1_PENDING, None),
        }
    }

    /// ICC_HPPIR1_EL1 (CheckGroup1ForSpecialIdentifiers): a Group 1 interrupt of the current
    /// Security state (EL3 sees both).
    fn hppir1(&self, a: Access) -> Option<usize> {
        let i = self.highest()?;
        let visible = match self.group(i) {
            Group::G0 => false,
            Group::G1S => a.secure,
            Group::G1NS => self.ds() || !a.secure || a.el == 3,
        };
        visible.then_some(i)
    }

    /// ICC_IAR1_EL1: an NMI is ICC_NMIAR1_EL1's to acknowledge while SCTLR_ELx.NMI is set
    /// (1022), an ordinary interrupt's otherwise.
    fn acknowledge1(&mut self, a: Access) -> u64 {
        match self.hppir1(a) {
            None => SPURIOUS,
            Some(i) if self.is_nmi(i) && self.pe_nmi => NMI_PENDING,
            Some(i) => self.activate(i),
        }
    }

    /// ICC_NMIAR1_EL1: the highest-priority pending interrupt if it is an NMI.
    fn acknowledge_nmi(&mut self, a: Access) -> u64 {
        match self.hppir1(a) {
            Some(i) if self.is_nmi(i) => self.activate(i),
            _ => SPURIOUS,
        }
    }

    fn activate(&mut self, i: usize) -> u64 {
        let nmi = self.is_nmi(i);
        let g = self.group(i);
        let irq = &mut self.irqs[i];
        irq.active = true;
        irq.pending = false;
        let p = if nmi { 0 } else { irq.priority };
        self.cpu.running.push((p, i as u16, g));
        i as u64
    }

    /// Whether priority drop and deactivation are split for the current state (EOImode).
    fn eoi_split(&self, a: Access) -> bool {
        if a.el == 3 {
            self.cpu.eoimode_el3
        } else {
            self.cpu.eoimode[usize::from(!a.secure)]
        }
    }

    /// ICC_EOIR0_EL1 and ICC_EOIR1_EL1: the priority drop of the highest active priority,
    /// when its group is the register's and the current state may end it; then, without
    /// EOImode, the deactivation of `intid`.
    fn end_of_interrupt(&mut self, intid: u64, group1: bool, a: Access) {
        if intid >= INTIDS as u64 {
            return;
        }
        let Some(&(_, _, g)) = self.cpu.running.last() else {
            return;
        };
        let allowed = match g {
            Group::G0 => !group1 && (self.ds() || a.secure),
            Group::G1S => group1 && a.secure,
            Group::G1NS => group1 && (a.el == 3 || !a.secure || self.ds()),
        };
        if !allowed {
            return;
        }
        self.cpu.running.pop();
        if !self.eoi_split(a) {
            self.deactivate(intid);
        }
    }

    /// ICC_DIR_EL1: only with EOImode, and only for an interrupt the current state may
    /// deactivate (the checks of the DIR write's pseudocode, by where each group is routed).
    fn write_dir(&mut self, intid: u64, a: Access) {
        let i = intid as usize;
        if i >= INTIDS || !self.eoi_split(a) {
            return;
        }
        let (single, grp0, secure) = (self.ds(), self.group(i) == Group::G0, self.is_secure_irq(i));
        let allowed = match a.el {
            3 => true,
            2 => (single && grp0 && !a.scr_fiq) || (!secure && !grp0 && !a.scr_irq),
            _ if !a.secure => {
                (single && grp0 && !a.scr_fiq && !a.fmo)
                    || (!secure && !grp0 && !a.scr_irq && !a.imo)
            }
            _ => (grp0 && !a.scr_fiq) || (!grp0 && (!secure || !single) && !a.scr_irq),
        };
        if allowed {
            self.deactivate(intid);
        }
    }

    fn deactivate(&mut self, intid: u64) {
        if let Some(irq) = self.irqs.get_mut(intid as usize) {
            irq.active = false;
        }
    }

    /// The active priorities bitmap (ICC_AP0R0/AP1R0): one bit per group priority, 32 levels.
    fn active_priorities(&self, g: Group) -> u64 {
        self.cpu
            .running
            .iter()
            .filter(|&&(_, _, rg)| rg == g)
            .fold(0, |m, &(p, i, _)| {
                if self.is_nmi(i as usize) {
                    m | NMI_BIT
                } else {
                    m | 1 << (p >> 3)
                }
            })
    }

    /// The Non-secure view of PMR and RPR applies: two Security states, a Non-secure access,
    /// and Group 0 taken to EL3 (SCR_EL3.FIQ).
    fn ns_priority_view(&self, a: Access) -> bool {
        !self.ds() && !a.secure && a.scr_fiq
    }

    /// PMR or RPR value `p` as access `a` reads it: in the Non-secure view, a Secure priority
    /// (the lower half) reads 0 and a Non-secure one shifted left by one; 0xff stays idle.
    fn priority_as_seen(&self, p: u8, a: Access) -> u8 {
        if !self.ns_priority_view(a) || p == 0xff {
            p
        } else if p & 0x80 == 0 {
            0
        } else {
            p << 1
        }
    }

    /// ICC_BPR1_EL1's copy for the current state: the Secure or the Non-secure one, or
    /// Group 0's under the copy's CBPR below EL3 (for Non-secure, a read of it plus one).
    fn bpr1_target(&self, a: Access) -> (usize, bool) {
        if a.ns_bank {
            if a.el < 3 && self.cpu.cbpr[1] {
                (0, true)
            } else {
                (2, false)
            }
        } else if a.el < 3 && self.cpu.cbpr[0] {
            (0, false)
        } else {
            (1, false)
        }
    }

    /// Generates SGI `intid` of group `g` for the PEs `targets` selects (by affinity), as
    /// GICR_IGROUPR0, GICR_IGRPMODR0 and, from Non-secure state, GICR_NSACR let each accept
    /// it: a Secure Group 1 request may be taken by a Group 0 SGI; otherwise the groups must
    /// match.
    fn generate_sgi(&mut self, intid: usize, g: Group, ns: bool, targets: impl Fn(u64) -> bool) {
        let ds = self.ds();
        // With one Security state, a Secure Group 1 request is for Group 0.
        let g = if ds && g == Group::G1S { Group::G0 } else { g };
        let accepts = |banked: &[Irq]| {
            let irq = &banked[intid];
            let target = irq.group(ds);
            let g = if g == Group::G1S && target == Group::G0 {
                Group::G0
            } else {
                g
            };
            if g != target {
                return false;
            }
            // A Non-secure write may raise a Secure SGI only as GICR_NSACR lets it.
            !ns || ds
                || match target {
                    Group::G0 => irq.ns_access >= 1,
                    Group::G1S => irq.ns_access >= 2,
                    Group::G1NS => true,
                }
        };
        if targets(self.cpu.affinity) && accepts(&self.irqs[..32]) {
            self.irqs[intid].pending = true;
        }
        for (c, banked) in self.saved.iter_mut().flatten() {
            if targets(c.affinity) && accepts(banked) {
                banked[intid].pending = true;
            }
        }
    }

    /// The live PE's virtual CPU interface.
    pub fn vcpu(&self) -> &Vcpu {
        &self.cpu.vcpu
    }

    /// A read of an ICH_* register.
    pub fn read_ich(&self, name: &str) -> u64 {
        let v = &self.cpu.vcpu;
        match name {
            "ICH_HCR_EL2" => v.hcr,
            "ICH_VTR_EL2" => ICH_VTR,
            "ICH_VMCR_EL2" => v.vmcr | (1 << 3),
            "ICH_MISR_EL2" => v.misr(),
            "ICH_EISR_EL2" => v.eisr(),
            "ICH_ELRSR_EL2" => v.elrsr(),
            "ICH_AP0R0_EL2" => v.ap[0],
            "ICH_AP1R0_EL2" => v.ap[1],
            _ => lr_index(name).map_or(0, |n| v.lr[n]),
        }
    }

    /// A write of an ICH_* register.
    pub fn write_ich(&mut self, name: &str, x: u64) {
        let v = &mut self.cpu.vcpu;
        match name {
            "ICH_HCR_EL2" => v.hcr = x & HCR_MASK,
            "ICH_VMCR_EL2" => {
                // VBPR0 at least 2, VBPR1 at least 3, as the physical ones.
                let vbpr0 = ((x >> 21) & 7).max(2);
                let vbpr1 = ((x >> 18) & 7).max(3);
                // VPMR keeps the implemented priority bits.
                v.vmcr = (x & VMCR_MASK & !(0x3f << 18) & !(0x7 << 24)) | vbpr0 << 21 | vbpr1 << 18;
            }
            "ICH_AP0R0_EL2" => v.ap[0] = x & 0xffff_ffff,
            "ICH_AP1R0_EL2" => v.ap[1] = x & 0xffff_ffff,
            _ => {
                if let Some(n) = lr_index(name) {
                    // vINTID is 16 bits (IDbits); priority has 5 bits.
                    v.lr[n] = x & 0xf0ff_1fff_0000_ffff & !(0x07 << 48);
                }
            }
        }
    }

    /// A read of a CPU interface register through its virtual view (ICV_*), as EL1 sees it
    /// under HCR_EL2.IMO/FMO.
    pub fn read_icv(&mut self, name: &str, a: Access) -> u64 {
        let v = &mut self.cpu.vcpu;
        match name {
            "ICC_PMR_EL1" => u64::from(v.vpmr()),
            "ICC_IAR0_EL1" => v.acknowledge(false),
            "ICC_IAR1_EL1" => v.acknowledge(true),
            // No virtual interrupt has Superpriority (the list registers' NMI bit is RES0).
            "ICC_NMIAR1_EL1" => SPURIOUS,
            "ICC_HPPIR0_EL1" => v
                .highest(Some(false))
                .map_or(SPURIOUS, |n| lr_vintid(v.lr[n])),
            "ICC_HPPIR1_EL1" => v
                .highest(Some(true))
                .map_or(SPURIOUS, |n| lr_vintid(v.lr[n])),
            "ICC_BPR0_EL1" => (v.vmcr >> 21) & 7,
            "ICC_BPR1_EL1" => {
                if v.vmcr & (1 << 4) != 0 {
                    (((v.vmcr >> 21) & 7) + 1).min(7)
                } else {
                    (v.vmcr >> 18) & 7
                }
            }
            "ICC_AP0R0_EL1" => v.ap[0],
            "ICC_AP1R0_EL1" => v.ap[1],
            "ICC_RPR_EL1" => u64::from(v.running_priority()),
            "ICC_CTLR_EL1" => {
                (4 << 8) | (1 << 15) | (((v.vmcr >> 9) & 1) << 1) | ((v.vmcr >> 4) & 1)
            }
            "ICC_IGRPEN0_EL1" => v.vmcr & 1,
            "ICC_IGRPEN1_EL1" => (v.vmcr >> 1) & 1,
            _ => self.read_icc(name, a),
        }
    }

    /// A write of a CPU interface register through its virtual view (ICV_*).
    pub fn write_icv(&mut self, name: &str, x: u64, a: Access) {
        let v = &mut self.cpu.vcpu;
        // The ends of virtual interrupts: a HW list register's physical interrupt is
        // deactivated with it.
        let physical = match name {
            "ICC_EOIR0_EL1" => v.end_of_interrupt(x & 0xff_ffff, false),
            "ICC_EOIR1_EL1" => v.end_of_interrupt(x & 0xff_ffff, true),
            "ICC_DIR_EL1" => v.deactivate(x & 0xff_ffff),
            _ => {
                match name {
                    "ICC_PMR_EL1" => {
                        v.vmcr = (v.vmcr & !(0xff << 24)) | (x & u64::from(PRIO_MASK)) << 24
                    }
                    "ICC_BPR0_EL1" => v.vmcr = (v.vmcr & !(7 << 21)) | (x & 7).max(2) << 21,
                    "ICC_BPR1_EL1" if v.vmcr & (1 << 4) == 0 => {
                        v.vmcr = (v.vmcr & !(7 << 18)) | (x & 7).max(3) << 18
                    }
                    // With VCBPR, ICV_BPR1 is VBPR0's view and ignores writes.
                    "ICC_BPR1_EL1" => {}
                    "ICC_AP0R0_EL1" => v.ap[0] = x & 0xffff_ffff,
                    "ICC_AP1R0_EL1" => v.ap[1] = x & 0xffff_ffff,
                    "ICC_CTLR_EL1" => {
                        v.vmcr = (v.vmcr & !((1 << 9) | (1 << 4))) | (x & 2) << 8 | (x & 1) << 4
                    }
                    "ICC_IGRPEN0_EL1" => v.vmcr = (v.vmcr & !1) | (x & 1),
                    "ICC_IGRPEN1_EL1" => v.vmcr = (v.vmcr & !2) | (x & 1) << 1,
                    _ => self.write_icc(name, x, a),
                }
                None
            }
        };
        if let Some(p) = physical {
            self.deactivate(p);
        }
    }

    /// A read of CPU interface register `name` (ICC_*) by an access of state `a`.
    pub fn read_icc(&mut self, name: &str, a: Access) -> u64 {
        let bank1 = if a.ns_bank { Group::G1NS } else { Group::G1S };
        let copy = usize::from(a.ns_bank);
        match name {
            "ICC_PMR_EL1" => u64::from(self.priority_as_seen(self.cpu.pmr, a)),
            "ICC_IAR0_EL1" => match self.hppir0(a) {
                (_, Some(i)) => self.activate(i),
                (id, None) => id,
            },
            "ICC_IAR1_EL1" => self.acknowledge1(a),
            "ICC_NMIAR1_EL1" => self.acknowledge_nmi(a),
            "ICC_HPPIR0_EL1" => self.hppir0(a).0,
            "ICC_HPPIR1_EL1" => self.hppir1(a).map_or(SPURIOUS, |i| i as u64),
            "ICC_BPR0_EL1" => u64::from(self.cpu.bpr[0]),
            "ICC_BPR1_EL1" => match self.bpr1_target(a) {
                (0, true) => u64::from(self.cpu.bpr[0] + 1).min(7),
                (n, _) => u64::from(self.cpu.bpr[n]),
            },
            "ICC_AP0R0_EL1" => self.active_priorities(Group::G0),
            "ICC_AP1R0_EL1" => self.active_priorities(bank1),
            "ICC_RPR_EL1" => {
                let mut v = u64::from(self.priority_as_seen(self.running_priority(), a));
                let nmi_of = |g: Group| {
                    self.cpu
                        .running
                        .iter()
                        .any(|&(_, i, rg)| rg == g && self.is_nmi(i as usize))
                };
                // A Secure read tells Secure (NMI) and Non-secure (NSNMI) NMIs apart.
                if a.secure && !self.ds() {
                    v |= if nmi_of(Group::G1S) { NMI_BIT } else { 0 }
                        | if nmi_of(Group::G1NS) { NSNMI_BIT } else { 0 };
                } else if self.nmi_active() {
                    v |= NMI_BIT;
                }
                v
            }
            "ICC_CTLR_EL1" => {
                ICC_CTLR_ID_FIELDS
                    | (u64::from(self.cpu.eoimode[copy]) << 1)
                    | u64::from(self.cpu.cbpr[copy])
            }
            // nDS (17) is 0: security can be disabled.
            "ICC_CTLR_EL3" => {
                let c = &self.cpu;
                ICC_CTLR_ID_FIELDS
                    | u64::from(c.cbpr[0])
                    | u64::from(c.cbpr[1]) << 1
                    | u64::from(c.eoimode_el3) << 2
                    | u64::from(c.eoimode[0]) << 3
                    | u64::from(c.eoimode[1]) << 4
            }
            // SRE is RAO/WI (no legacy interface); DFB, DIB RAO; Enable (EL2, EL3) RAO.
            "ICC_SRE_EL1" => 0b111,
            "ICC_SRE_EL2" | "ICC_SRE_EL3" => 0b1111,
            "ICC_IGRPEN0_EL1" => u64::from(self.cpu.igrpen[0]),
            "ICC_IGRPEN1_EL1" => u64::from(self.cpu.igrpen[bank1 as usize]),
            "ICC_IGRPEN1_EL3" => u64::from(self.cpu.igrpen[2]) | u64::from(self.cpu.igrpen[1]) << 1,
            _ => 0,
        }
    }

    /// A write of CPU interface register `name` by an access of state `a`.
    pub fn write_icc(&mut self, name: &str, v: u64, a: Access) {
        let bank1 = if a.ns_bank { Group::G1NS } else { Group::G1S };
        let copy = usize::from(a.ns_bank);
        match name {
            "ICC_PMR_EL1" => {
                if self.ns_priority_view(a) {
                    // Non-secure state cannot move a PMR that masks Secure priorities.
                    if self.cpu.pmr & 0x80 != 0 {
                        self.cpu.pmr = ((v as u8) >> 1 | 0x80) & PRIO_MASK;
                    }
                } else {
                    self.cpu.pmr = v as u8 & PRIO_MASK;
                }
            }
            "ICC_EOIR0_EL1" => self.end_of_interrupt(v & 0xff_ffff, false, a),
            "ICC_EOIR1_EL1" => self.end_of_interrupt(v & 0xff_ffff, true, a),
            "ICC_DIR_EL1" => self.write_dir(v & 0xff_ffff, a),
            "ICC_BPR0_EL1" => self.cpu.bpr[0] = (v as u8 & 7).max(MIN_BPR[0]),
            "ICC_BPR1_EL1" => match self.bpr1_target(a) {
                // Under the Non-secure CBPR, writes are ignored.
                (0, true) => {}
                (n, _) => self.cpu.bpr[n] = (v as u8 & 7).max(MIN_BPR[n]),
            },
            "ICC_CTLR_EL1" => {
                self.cpu.eoimode[copy] = v & 2 != 0;
                // With two Security states CBPR is EL3's to set (ICC_CTLR_EL3).
                if self.ds() {
                    self.cpu.cbpr[copy] = v & 1 != 0;
                }
            }
            "ICC_CTLR_EL3" => {
                let c = &mut self.cpu;
                c.cbpr = [v & 1 != 0, v & 2 != 0];
                c.eoimode_el3 = v & 4 != 0;
                c.eoimode = [v & 8 != 0, v & 0x10 != 0];
            }
            "ICC_IGRPEN0_EL1" => self.cpu.igrpen[0] = v & 1 != 0,
            "ICC_IGRPEN1_EL1" => self.cpu.igrpen[bank1 as usize] = v & 1 != 0,
            "ICC_IGRPEN1_EL3" => {
                self.cpu.igrpen[2] = v & 1 != 0;
                self.cpu.igrpen[1] = v & 2 != 0;
            }
            "ICC_SGI0R_EL1" | "ICC_SGI1R_EL1" | "ICC_ASGI1R_EL1" => {
                let intid = ((v >> 24) & 15) as usize;
                let irm = v & (1 << 40) != 0;
                let aff1 = (v >> 16) & 0xff;
                let aff2 = (v >> 32) & 0xff;
                let aff3 = (v >> 48) & 0xff;
                let me = self.cpu.affinity;
                // SGI0R: Group 0; SGI1R: Group 1 of the current Security state; ASGI1R: of
                // the other one.
                let own = if a.secure { Group::G1S } else { Group::G1NS };
                let other = if a.secure { Group::G1NS } else { Group::G1S };
                let g = match name {
                    "ICC_SGI0R_EL1" => Group::G0,
                    "ICC_SGI1R_EL1" => own,
                    _ => other,
                };
                // IRM = 1 is every PE but this one; else the PEs of Aff3.Aff2.Aff1 whose Aff0 is
                // in the target list.
                self.generate_sgi(intid, g, !a.secure, |t: u64| {
                    if irm {
                        t != me
                    } else {
                        aff1 == (t >> 8) & 0xff
                            && aff2 == (t >> 16) & 0xff
                            && aff3 == (t >> 32) & 0xff
                            && (v >> (t & 0xf)) & 1 != 0
                    }
                });
            }
            _ => {}
        }
    }

    /// Whether a Non-secure (`ns`) access may touch INTID `i`'s field: always with one
    /// Security state or for a Non-secure interrupt; for a Secure one only where its NS_access
    /// (GICD_NSACR, GICR_NSACR) is at least `need` (0: never).
    fn may_access(&self, i: usize, ns: bool, need: u8) -> bool {
        !ns || self.ds() || !self.is_secure_irq(i) || (need > 0 && self.irqs[i].ns_access >= need)
    }

    /// A priority byte as an access sees it: the Non-secure view of a Non-secure interrupt's
    /// priority is shifted left by one; a Secure interrupt's is RAZ.
    fn read_priority(&self, i: usize, ns: bool) -> u8 {
        if !self.may_access(i, ns, 0) {
            0
        } else if ns && !self.ds() {
            self.irqs[i].priority << 1
        } else {
            self.irqs[i].priority
        }
    }

    fn write_priority(&mut self, i: usize, v: u8, ns: bool) {
        if !self.may_access(i, ns, 0) {
            return;
        }
        // A Non-secure write lands in the lower half of the priority range.
        let v = if ns && !self.ds() { v >> 1 | 0x80 } else { v };
        self.irqs[i].priority = v & PRIO_MASK;
    }

    /// Reads a 32-bit word of one of the per-interrupt bit or byte arrays, as the distributor
    /// (for INTID 32 up) and the redistributor's SGI frame (0-31) lay them out, for an access
    /// from the Non-secure (`ns`) or Secure physical address space.
    fn read_array(&self, reg: u64, ns: bool) -> Option<u32> {
        let secure_only = ns && !self.ds();
        let bitwise = |f: &dyn Fn(&Irq, usize) -> bool, n: u64, need: u8| -> u32 {
            (0..32).fold(0, |w, b| {
                let i = (n as usize) * 32 + b;
                if i < INTIDS && self.may_access(i, ns, need) && f(&self.irqs[i], i) {
                    w | 1 << b
                } else {
                    w
                }
            })
        };
        Some(match reg {
            // IGROUPR, IGRPMODR and NSACR are RAZ/WI to Non-secure accesses.
            0x080..=0x0fc if secure_only => 0,
            0x080..=0x0fc => bitwise(&|q, _| q.group1, (reg - 0x080) / 4, 0),
            // The set and clear views of each array read the same.
            0x100..=0x1fc => bitwise(&|q, _| q.enabled, (reg - 0x100) % 0x80 / 4, 0),
            0x200..=0x27c => bitwise(&|_, i| self.is_pending(i), (reg - 0x200) / 4, 1),
            0x280..=0x2fc => bitwise(&|_, i| self.is_pending(i), (reg - 0x280) / 4, 2),
            0x300..=0x3fc => bitwise(&|q, _| q.active, (reg - 0x300) % 0x80 / 4, 2),
            0x400..=0x7fc => {
                let base = (reg - 0x400) as usize;
                (0..4).fold(0, |w, k| {
                    let i = base + k;
                    if i < INTIDS {
                        w | u32::from(self.read_priority(i, ns)) << (8 * k)
                    } else {
                        w
                    }
                })
            }
            0xc00..=0xcfc => {
                let base = ((reg - 0xc00) as usize) * 16;
                (0..16).fold(0, |w, k| {
                    let i = base + k;
                    if i < INTIDS && self.irqs[i].edge && self.may_access(i, ns, 0) {
                        w | 2 << (2 * k)
                    } else {
                        w
                    }
                })
            }
            // IGRPMODR: RAZ/WI with one Security state.
            0xd00..=0xd7c if secure_only || self.ds() => 0,
            0xd00..=0xd7c => bitwise(&|q, _| q.grpmod, (reg - 0xd00) / 4, 0),
            0xe00..=0xefc if secure_only || self.ds() => 0,
            0xe00..=0xefc => {
                let base = ((reg - 0xe00) as usize) * 16;
                (0..16).fold(0, |w, k| {
                    let i = base + k;
                    if i < INTIDS {
                        w | u32::from(self.irqs[i].ns_access) << (2 * k)
                    } else {
                        w
                    }
                })
            }
            // INMIR: RES0 for Group 0 interrupts, and RAZ/WI without NMIs.
            0xf80..=0xffc if self.nmi => bitwise(
                &|q, i| q.nmi && self.group(i) != Group::G0,
                (reg - 0xf80) / 4,
                0,
            ),
            0xf80..=0xffc => 0,
            _ => return None,
        })
    }

    fn write_array(&mut self, reg: u64, v: u32, ns: bool) -> bool {
        let secure_only = ns && !self.ds();
        let ds = self.ds();
        let each = |g: &mut Gicv3, n: u64, need: u8, f: &dyn Fn(&mut Irq, bool)| {
            for b in 0..32 {
                let i = (n as usize) * 32 + b;
                if i < INTIDS && g.may_access(i, ns, need) {
                    f(&mut g.irqs[i], v & (1 << b) != 0);
                }
            }
        };
        match reg {
            0x080..=0x0fc if secure_only => {}
            0x080..=0x0fc => each(self, (reg - 0x080) / 4, 0, &|q, on| q.group1 = on),
            0x100..=0x17c => each(self, (reg - 0x100) / 4, 0, &|q, on| q.enabled |= on),
            0x180..=0x1fc => each(self, (reg - 0x180) / 4, 0, &|q, on| q.enabled &= !on),
            0x200..=0x27c => each(self, (reg - 0x200) / 4, 1, &|q, on| q.pending |= on),
            0x280..=0x2fc => each(self, (reg - 0x280) / 4, 2, &|q, on| q.pending &= !on),
            0x300..=0x37c => each(self, (reg - 0x300) / 4, 0, &|q, on| q.active |= on),
            0x380..=0x3fc => each(self, (reg - 0x380) / 4, 0, &|q, on| q.active &= !on),
            0x400..=0x7fc => {
                let base = (reg - 0x400) as usize;
                for k in 0..4 {
                    if base + k < INTIDS {
                        self.write_priority(base + k, (v >> (8 * k)) as u8, ns);
                    }
                }
            }
            0xc00..=0xcfc => {
                let base = ((reg - 0xc00) as usize) * 16;
                for k in 0..16 {
                    let i = base + k;
                    // SGIs stay edge-triggered (their ICFGR field is read-only).
                    if i < INTIDS && i >= 16 && self.may_access(i, ns, 0) {
                        self.irqs[i].edge = v & (2 << (2 * k)) != 0;
                    }
                }
            }
            0xd00..=0xd7c if secure_only || ds => {}
            0xd00..=0xd7c => each(self, (reg - 0xd00) / 4, 0, &|q, on| q.grpmod = on),
            0xe00..=0xefc if secure_only || ds => {}
            0xe00..=0xefc => {
                let base = ((reg - 0xe00) as usize) * 16;
                for k in 0..16 {
                    if base + k < INTIDS {
                        self.irqs[base + k].ns_access = ((v >> (2 * k)) & 3) as u8;
                    }
                }
            }
            0xf80..=0xffc if self.nmi => each(self, (reg - 0xf80) / 4, 0, &|q, on| q.nmi = on),
            0xf80..=0xffc => {}
            _ => return false,
        }
        true
    }
}

/// Whether `word` of the per-interrupt arrays covers INTIDs 0-31 (the SGIs and PPIs): the
/// redistributor's, and RAZ/WI in the distributor with affinity routing.
fn banked_word(word: u64) -> bool {
    matches!(
        word,
        0x080
            | 0x100
            | 0x180
            | 0x200
            | 0x280
            | 0x300
            | 0x380
            | 0xd00
            | 0xc00
            | 0xc04
            | 0xe00
            | 0xe04
            | 0xf80
    ) || (0x400..0x420).contains(&word)
}

/// GICD: the distributor frame (64 KiB).
pub struct Distributor(pub Shared);
/// GICR: the redistributor's RD and SGI frames (2 x 64 KiB).
pub struct Redistributor(pub Shared);

const PIDR2: u64 = 0xffe8;
/// GICv3 (PIDR2.ArchRev = 3).
const PIDR2_V3: u64 = 0x3b;

impl Device for Distributor {
    fn as_any_mut(&mut self) -> &mut dyn std::any::Any {
        self
    }

    fn read(&mut self, offset: u64, size: usize) -> Option<u64> {
        self.read_in(offset, size, false)
    }

    fn write(&mut self, offset: u64, size: usize, value: u64) -> bool {
        self.write_in(offset, size, value, false)
    }

    /// A write can pend, enable, regroup or reprioritise an interrupt, so the PE's IRQ and FIQ
    /// lines are recomputed before its next instruction (else a handler that cleared its
    /// interrupt's pending state would see the stale line and take a spurious one).
    fn board_event(&mut self) -> bool {
        true
    }

    fn read_in(&mut self, offset: u64, size: usize, ns: bool) -> Option<u64> {
        let g = self.0.borrow();
        let ns_view = ns && !g.ds();
        Some(match offset {
            // The Non-secure view: EnableGrp1A (1, EnableGrp1NS) and ARE_NS (4).
            0x0000 if ns_view => u64::from(g.ctlr & CTLR_EN_G1NS) | u64::from(CTLR_ARE),
            0x0000 => u64::from(g.ctlr),
            // ITLinesNumber, SecurityExtn (10, while DS is 0), NMI (9), IDbits = 9 (10-bit
            // INTIDs).
            0x0004 => {
                (INTIDS as u64 / 32 - 1)
                    | (u64::from(g.nmi) << 9)
                    | (u64::from(!g.ds()) << 10)
                    | (9 << 19)
            }
            0x0008 => 0x0300_043b,
            0x6100..=0x7fd8 if size == 8 || size == 4 => {
                let n = ((offset - 0x6000) / 8) as usize;
                // A Secure SPI's route is RAZ/WI to Non-secure accesses without NS_access 3.
                let v = if n < INTIDS && g.may_access(n, ns, 3) {
                    g.irqs[n].route
                } else {
                    0
                };
                if offset % 8 == 4 { v >> 32 } else { v }
            }
            PIDR2 => PIDR2_V3,
            // The SGI and PPI words are the redistributor's (RAZ here, with ARE).
            0x0080..=0x0efc | 0x0f80..=0x0ffc => {
                let word = offset & !3;
                let v = u64::from(g.read_array(word, ns).unwrap_or(0));
                if banked_word(word) {
                    0
                } else {
                    (v >> (8 * (offset & 3))) & mask(size)
                }
            }
            _ => 0,
        })
    }

    fn write_in(&mut self, offset: u64, size: usize, value: u64, ns: bool) -> bool {
        let mut g = self.0.borrow_mut();
        match offset {
            0x0000 if !g.security || g.ds() => {
                g.ctlr = (value as u32 & (CTLR_EN_G0 | CTLR_EN_G1NS)) | CTLR_ARE | CTLR_DS
            }
            // Non-secure: only EnableGrp1A (EnableGrp1NS).
            0x0000 if ns => g.ctlr = (g.ctlr & !CTLR_EN_G1NS) | (value as u32 & CTLR_EN_G1NS),
            0x0000 => {
                let v = value as u32;
                g.ctlr = (v & (CTLR_EN_G0 | CTLR_EN_G1NS | CTLR_EN_G1S | CTLR_DS))
                    | CTLR_ARE
                    | CTLR_ARE_NS;
                if v & CTLR_DS != 0 {
                    // Setting DS (until reset) leaves one Security state: EnableGrp1S and
                    // ARE_NS become RES0.
                    g.ctlr &= !(CTLR_EN_G1S | CTLR_ARE_NS);
                }
            }
            0x6100..=0x7fd8 => {
                let n = ((offset - 0x6000) / 8) as usize;
                if n < INTIDS && g.may_access(n, ns, 3) {
                    let q = &mut g.irqs[n];
                    q.route = if size == 8 {
                        value
                    } else if offset % 8 == 4 {
                        (q.route & 0xffff_ffff) | (value << 32)
                    } else {
                        (q.route & !0xffff_ffff) | value
                    };
                }
            }
            0x0080..=0x0efc | 0x0f80..=0x0ffc => {
                let word = offset & !3;
                if (0x400..0x800).contains(&word) {
                    // Priority bytes may be written one at a time.
                    let first = (offset - 0x400) as usize;
                    for k in 0..size {
                        if first + k >= 32 && first + k < INTIDS {
                            g.write_priority(first + k, (value >> (8 * k)) as u8, ns);
                        }
                    }
                } else if !banked_word(word) {
                    g.write_array(word, value as u32, ns);
                }
            }
            _ => {}
        }
        true
    }
}

fn mask(size: usize) -> u64 {
    if size >= 8 {
        u64::MAX
    } else {
        (1u64 << (8 * size)) - 1
    }
}

/// One PE's RD and SGI frames.
const FRAMES: u64 = 0x2_0000;

impl Device for Redistributor {
    fn as_any_mut(&mut self) -> &mut dyn std::any::Any {
        self
    }

    fn read(&mut self, offset: u64, size: usize) -> Option<u64> {
        self.read_in(offset, size, false)
    }

    fn write(&mut self, offset: u64, size: usize, value: u64) -> bool {
        self.write_in(offset, size, value, false)
    }

    /// As the distributor's: the lines are recomputed after every write.
    fn board_event(&mut self) -> bool {
        true
    }

    fn read_in(&mut self, offset: u64, size: usize, ns: bool) -> Option<u64> {
        let mut g = self.0.borrow_mut();
        let (cpu, offset) = ((offset / FRAMES) as usize, offset % FRAMES);
        let live = g.current;
        g.select_cpu(cpu);
        let last = cpu + 1 == g.cpus();
        let v = Redistributor::read_frame(&g, offset, size, cpu, last, ns);
        g.select_cpu(live);
        v
    }

    fn write_in(&mut self, offset: u64, size: usize, value: u64, ns: bool) -> bool {
        let mut g = self.0.borrow_mut();
        let (cpu, offset) = ((offset / FRAMES) as usize, offset % FRAMES);
        let live = g.current;
        g.select_cpu(cpu);
        Redistributor::write_frame(&mut g, offset, size, value, ns);
        g.select_cpu(live);
        true
    }
}

impl Redistributor {
    fn read_frame(
        g: &Gicv3,
        offset: u64,
        size: usize,
        cpu: usize,
        last: bool,
        ns: bool,
    ) -> Option<u64> {
        Some(match offset {
            0x0000 => 0,
            0x0004 => 0x0300_043b,
            // GICR_TYPER: affinity, processor number, Last.
            0x0008 => {
                let aff = g.cpu.affinity;
                let v = (((aff >> 32) & 0xff) << 56
                    | ((aff >> 16) & 0xff) << 48
                    | ((aff >> 8) & 0xff) << 40
                    | (aff & 0xff) << 32)
                    | ((cpu as u64) << 8)
                    | (u64::from(last) << 4);
                if size == 4 { v & 0xffff_ffff } else { v }
            }
            0x000c => {
                let aff = g.cpu.affinity;
                ((aff >> 32) & 0xff) << 24
                    | ((aff >> 16) & 0xff) << 16
                    | ((aff >> 8) & 0xff) << 8
                    | (aff & 0xff)
            }
            // GICR_WAKER is RAZ/WI to Non-secure accesses with two Security states.
            0x0014 if ns && !g.ds() => 0,
            0x0014 => u64::from(g.cpu.waker),
            PIDR2 => PIDR2_V3,
            0x1_0080..=0x1_0d7c | 0x1_0e00 | 0x1_0f80 => {
                let word = (offset - 0x1_0000) & !3;
                let v = u64::from(g.read_array(word, ns).unwrap_or(0));
                (v >> (8 * (offset & 3))) & mask(size)
            }
            0x1_ffe8 => PIDR2_V3,
            _ => 0,
        })
    }

    fn write_frame(g: &mut Gicv3, offset: u64, size: usize, value: u64, ns: bool) {
        match offset {
            0x0014 if ns && !g.ds() => {}
            // ProcessorSleep; ChildrenAsleep follows it.
            0x0014 => {
                let sleep = value & 2 != 0;
                g.cpu.waker = if sleep { 0b110 } else { 0 };
            }
            0x1_0400..=0x1_041f => {
                let first = (offset - 0x1_0400) as usize;
                for k in 0..size {
                    if first + k < 32 {
                        g.write_priority(first + k, (value >> (8 * k)) as u8, ns);
                    }
                }
            }
            0x1_0080..=0x1_0d7c | 0x1_0e00 | 0x1_0f80 => {
                let word = (offset - 0x1_0000) & !3;
                // Only the first word of each array (INTIDs 0-31) is the redistributor's.
                if banked_word(word) {
                    g.write_array(word, value as u32, ns);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NS: Access = Access::NON_SECURE_EL1;

    /// A PPI through the redistributor and CPU interface: enable, priority, PMR, acknowledge,
    /// priority drop and deactivation, and a level line held high staying pending.
    #[test]
    fn ppi_lifecycle() {
        let gic = Gicv3::new();
        let mut d = Distributor(gic.clone());
        let mut r = Redistributor(gic.clone());
        d.write(0, 4, 2); // EnableGrp1
        r.write(0x1_0080, 4, 1 << 30); // group 1
        r.write(0x1_0400 + 30, 1, 0x80);
        r.write(0x1_0100, 4, 1 << 30); // enable
        let mut g = gic.borrow_mut();
        g.write_icc("ICC_PMR_EL1", 0xff, NS);
        g.write_icc("ICC_IGRPEN1_EL1", 1, NS);
        assert_eq!(g.signal(), None);
        g.set_line(30, true);
        assert_eq!(g.signal(), Some(InterruptGroup::Group1));
        assert_eq!(g.read_icc("ICC_IAR1_EL1", NS), 30);
        assert_eq!(g.read_icc("ICC_RPR_EL1", NS), 0x80);
        assert_eq!(g.signal(), None, "active: not signalled again");
        g.write_icc("ICC_EOIR1_EL1", 30, NS);
        assert_eq!(
            g.signal(),
            Some(InterruptGroup::Group1),
            "still high: pending again"
        );
        g.set_line(30, false);
        assert_eq!(g.signal(), None);
        // PMR masks it.
        g.set_line(30, true);
        g.write_icc("ICC_PMR_EL1", 0x80, NS);
        assert_eq!(g.signal(), None);
        assert_eq!(g.read_icc("ICC_IAR1_EL1", NS), SPURIOUS);
    }

    #[test]
    fn sgi_to_self() {
        let gic = Gicv3::new();
        let mut d = Distributor(gic.clone());
        let mut r = Redistributor(gic.clone());
        d.write(0, 4, 2);
        r.write(0x1_0080, 4, 1 << 3);
        r.write(0x1_0100, 4, 1 << 3);
        let mut g = gic.borrow_mut();
        g.write_icc("ICC_PMR_EL1", 0xff, NS);
        g.write_icc("ICC_IGRPEN1_EL1", 1, NS);
        g.write_icc("ICC_SGI1R_EL1", (3 << 24) | 1, NS);
        assert_eq!(g.read_icc("ICC_IAR1_EL1", NS), 3);
        g.write_icc("ICC_EOIR1_EL1", 3, NS);
        assert_eq!(g.read_icc("ICC_IAR1_EL1", NS), SPURIOUS, "edge: consumed");
    }

    /// NMIs' superpriority, as a table of steps on SGI 1 (an NMI, priority 0xa0) and SGI 2
    /// (ordinary, priority 0x40), both Group 1: `(ICC_PMR_EL1, SGIs to raise, SCTLR_ELx.NMI,
    /// register to read, value it reads)`. PMR does not mask an NMI; an NMI wins over a
    /// higher-priority ordinary interrupt and preempts an active one, but not another NMI.
    #[test]
    fn nmi_superpriority() {
        let gic = Gicv3::new();
        gic.borrow_mut().set_nmi(true);
        let mut d = Distributor(gic.clone());
        let mut r = Redistributor(gic.clone());
        d.write(0, 4, 2);
        r.write(0x1_0080, 4, 0b110);
        r.write(0x1_0400 + 1, 1, 0xa0);
        r.write(0x1_0400 + 2, 1, 0x40);
        r.write(0x1_0100, 4, 0b110);
        r.write(0x1_0f80, 4, 0b10);
        assert_eq!(r.read(0x1_0f80, 4), Some(0b10));
        assert_eq!(
            d.read(4, 4).map(|t| (t >> 9) & 1),
            Some(1),
            "GICD_TYPER.NMI"
        );
        let mut g = gic.borrow_mut();
        g.write_icc("ICC_IGRPEN1_EL1", 1, NS);
        let steps: &[(u64, &[u64], bool, &str, u64)] = &[
            // PMR 0 masks everything but the NMI.
            (0x00, &[1, 2], true, "ICC_HPPIR1_EL1", 1),
            (0x00, &[], true, "ICC_IAR1_EL1", NMI_PENDING),
            (0x00, &[], true, "ICC_NMIAR1_EL1", 1),
            (0x00, &[], true, "ICC_RPR_EL1", NMI_BIT),
            (0x00, &[], true, "ICC_AP1R0_EL1", NMI_BIT),
            // Nothing preempts the active NMI, not even another.
            (0xff, &[1], true, "ICC_NMIAR1_EL1", SPURIOUS),
            (0xff, &[], true, "ICC_IAR1_EL1", SPURIOUS),
            (0xff, &[], true, "EOI 1", 0),
            // The second NMI (pending) beats SGI 2's better priority.
            (0xff, &[], true, "ICC_HPPIR1_EL1", 1),
            (0xff, &[], false, "ICC_IAR1_EL1", 1),
            (0xff, &[], true, "EOI 1", 0),
            // An ordinary interrupt active: an NMI still preempts it.
            (0xff, &[], true, "ICC_IAR1_EL1", 2),
            (0xff, &[], true, "ICC_RPR_EL1", 0x40),
            (0xff, &[1], true, "ICC_NMIAR1_EL1", 1),
            (0xff, &[], true, "ICC_AP1R0_EL1", NMI_BIT | 1 << (0x40 >> 3)),
            (0xff, &[], true, "EOI 1", 0),
            (0xff, &[], true, "EOI 2", 0),
            (0xff, &[], true, "ICC_RPR_EL1", 0xff),
        ];
        for (k, &(pmr, sgis, pe_nmi, reg, want)) in steps.iter().enumerate() {
            g.write_icc("ICC_PMR_EL1", pmr, NS);
            for &i in sgis {
                g.write_icc("ICC_SGI1R_EL1", (i << 24) | 1, NS);
            }
            g.set_pe_nmi(pe_nmi);
            if let Some(i) = reg.strip_prefix("EOI ") {
                g.write_icc("ICC_EOIR1_EL1", i.parse().unwrap(), NS);
                continue;
            }
            assert_eq!(g.read_icc(reg, NS), want, "step {k}: {reg}");
        }
    }
}
