//! The GICv3 interrupt controller (Arm IHI 0069): a distributor, one redistributor, and the
//! CPU interface that the PE's ICC_* System registers reach (through the board). SGIs, PPIs and
//! SPIs; groups 0 and 1, priorities with the binary point's preemption, the running priority,
//! EOImode, level and edge triggering. One Security state (GICD_CTLR.DS = 1, as QEMU virt's
//! GIC without `secure=on`): group 0 signals FIQ and group 1 IRQ. Several PEs, each with its
//! redistributor. The virtual CPU interface ([`Vcpu`]): four list registers, ICH_HCR_EL2,
//! ICH_VMCR_EL2, the active priorities, the maintenance interrupt (PPI 25), and the ICV_*
//! view EL1 gets of the ICC_* registers under HCR_EL2.IMO/FMO (the board decides when).
//! NMIs (GICv3.3, with a PE that has FEAT_NMI): GICD_INMIR and GICR_INMIR0 make Group 1
//! interrupts NMIs, which have superpriority (priority 0x00, not masked by PMR, preempting
//! every active interrupt but another NMI), are acknowledged by ICC_NMIAR1_EL1 (ICC_IAR1_EL1
//! reads 1022 for one while SCTLR_ELx.NMI is set) and show in ICC_RPR_EL1 and ICC_AP1R0_EL1's
//! bit 63. Not yet: LPIs and the ITS, two Security states, virtual NMIs, the ICH_HCR_EL2 trap
//! controls other than TALL0, TALL1 and TC (applied by the board).
//!
//! The memory-mapped frames are [`Distributor`] and [`Redistributor`], views of one shared
//! [`Gicv3`].

use std::cell::RefCell;
use std::rc::Rc;

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
}

#[derive(Debug)]
pub struct Gicv3 {
    /// Every INTID; the SGIs and PPIs (`..32`) are the live PE's.
    irqs: Vec<Irq>,
    /// GICD_CTLR: EnableGrp0 (0), EnableGrp1 (1), ARE (4, RAO), DS (6, RAO).
    ctlr: u32,
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
    bpr0: u8,
    bpr1: u8,
    igrpen0: bool,
    igrpen1: bool,
    /// ICC_CTLR_EL1.EOImode and CBPR.
    eoimode: bool,
    cbpr: bool,
    /// Active priorities, innermost last: (priority, INTID).
    running: Vec<(u8, u16)>,
    /// The PE's affinity (MPIDR_EL1's Aff fields) for GICR_TYPER and SGI targets.
    affinity: u64,
    vcpu: Vcpu,
}

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
            ctlr: (1 << 4) | (1 << 6),
            cpu: PerCpu {
                waker: 0b110,
                pmr: 0,
                bpr0: 2,
                bpr1: 3,
                igrpen0: false,
                igrpen1: false,
                eoimode: false,
                cbpr: false,
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

    /// Whether INTID `i` is an NMI: its INMIR bit, in Group 1, on a GIC that has NMIs.
    fn is_nmi(&self, i: usize) -> bool {
        self.nmi && self.irqs[i].nmi && self.irqs[i].group1
    }

    /// Whether an NMI is active (the running priority is an NMI's).
    fn nmi_active(&self) -> bool {
        self.cpu
            .running
            .iter()
            .any(|&(_, i)| self.is_nmi(i as usize))
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
        self.cpu.running.last().map_or(0xff, |&(p, _)| p)
    }

    /// The group priority of `p` for preemption (ICC_BPRn).
    fn group_priority(&self, p: u8, group1: bool) -> u8 {
        let bpr = if group1 && !self.cpu.cbpr {
            self.cpu.bpr1.saturating_sub(1)
        } else {
            self.cpu.bpr0
        };
        p & !((2u16 << bpr) - 1) as u8
    }

    /// The highest-priority interrupt that is pending, inactive, enabled in its group at the
    /// distributor and the CPU interface, of `group1` (or either), above PMR and able to
    /// preempt the running priority. An NMI has superpriority: priority 0x00, PMR does not
    /// mask it, it preempts anything but another NMI, and it wins a tie.
    fn highest(&self, group: Option<bool>) -> Option<usize> {
        let mut best: Option<(u8, bool, usize)> = None;
        for i in 0..INTIDS {
            let irq = &self.irqs[i];
            if !irq.enabled || irq.active || !self.is_pending(i) || !self.routed_here(i) {
                continue;
            }
            if group.is_some_and(|g| g != irq.group1) {
                continue;
            }
            let (dist_on, cpu_on) = if irq.group1 {
                (self.ctlr & 2 != 0, self.cpu.igrpen1)
            } else {
                (self.ctlr & 1 != 0, self.cpu.igrpen0)
            };
            if !dist_on || !cpu_on {
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
                if self.group_priority(irq.priority, irq.group1)
                    >= self.group_priority(self.running_priority(), irq.group1)
                    && !self.cpu.running.is_empty()
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
        self.highest(None).is_some_and(|i| self.is_nmi(i))
    }

    /// The (IRQ, FIQ) lines into the PE: group 1 signals IRQ, group 0 FIQ.
    pub fn signals(&self) -> (bool, bool) {
        match self.highest(None) {
            Some(i) if self.irqs[i].group1 => (true, false),
            Some(_) => (false, true),
            None => (false, false),
        }
    }

    /// ICC_IAR0_EL1, ICC_IAR1_EL1: an NMI is ICC_NMIAR1_EL1's to acknowledge while
    /// SCTLR_ELx.NMI is set (1022), an ordinary interrupt's otherwise.
    fn acknowledge(&mut self, group1: bool) -> u64 {
        let Some(i) = self.highest(Some(group1)) else {
            return SPURIOUS;
        };
        if self.is_nmi(i) && self.pe_nmi {
            return NMI_PENDING;
        }
        self.activate(i)
    }

    /// ICC_NMIAR1_EL1: the highest-priority pending interrupt if it is an NMI.
    fn acknowledge_nmi(&mut self) -> u64 {
        match self.highest(Some(true)) {
            Some(i) if self.is_nmi(i) => self.activate(i),
            _ => SPURIOUS,
        }
    }

    fn activate(&mut self, i: usize) -> u64 {
        let nmi = self.is_nmi(i);
        let irq = &mut self.irqs[i];
        irq.active = true;
        irq.pending = false;
        let p = if nmi { 0 } else { irq.priority };
        self.cpu.running.push((p, i as u16));
        i as u64
    }

    fn end_of_interrupt(&mut self, intid: u64) {
        // Priority drop: the innermost active priority.
        if let Some(pos) = self
            .cpu
            .running
            .iter()
            .rposition(|&(_, i)| u64::from(i) == intid)
        {
            self.cpu.running.remove(pos);
        }
        if !self.cpu.eoimode {
            self.deactivate(intid);
        }
    }

    fn deactivate(&mut self, intid: u64) {
        if let Some(irq) = self.irqs.get_mut(intid as usize) {
            irq.active = false;
        }
    }

    /// The active priorities bitmap (ICC_AP0R0/AP1R0): one bit per group priority, 32 levels.
    fn active_priorities(&self, group1: bool) -> u64 {
        self.cpu
            .running
            .iter()
            .filter(|&&(_, i)| self.irqs[i as usize].group1 == group1)
            .fold(0, |m, &(p, i)| {
                if self.is_nmi(i as usize) {
                    m | NMI_BIT
                } else {
                    m | 1 << (p >> 3)
                }
            })
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
    pub fn read_icv(&mut self, name: &str) -> u64 {
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
            _ => self.read_icc(name),
        }
    }

    /// A write of a CPU interface register through its virtual view (ICV_*).
    pub fn write_icv(&mut self, name: &str, x: u64) {
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
                    _ => self.write_icc(name, x),
                }
                None
            }
        };
        if let Some(p) = physical {
            self.deactivate(p);
        }
    }

    /// A read of CPU interface register `name` (ICC_*).
    pub fn read_icc(&mut self, name: &str) -> u64 {
        match name {
            "ICC_PMR_EL1" => u64::from(self.cpu.pmr),
            "ICC_IAR0_EL1" => self.acknowledge(false),
            "ICC_IAR1_EL1" => self.acknowledge(true),
            "ICC_NMIAR1_EL1" => self.acknowledge_nmi(),
            "ICC_HPPIR0_EL1" => self.highest(Some(false)).map_or(SPURIOUS, |i| i as u64),
            "ICC_HPPIR1_EL1" => self.highest(Some(true)).map_or(SPURIOUS, |i| i as u64),
            "ICC_BPR0_EL1" => u64::from(self.cpu.bpr0),
            "ICC_BPR1_EL1" => u64::from(self.cpu.bpr1),
            "ICC_AP0R0_EL1" => self.active_priorities(false),
            "ICC_AP1R0_EL1" => self.active_priorities(true),
            "ICC_RPR_EL1" => {
                u64::from(self.running_priority()) | if self.nmi_active() { NMI_BIT } else { 0 }
            }
            // PRIbits = 4 (5 bits), IDbits = 0 (16), A3V = 1, EOImode, CBPR.
            "ICC_CTLR_EL1" => {
                (4 << 8) | (1 << 15) | (u64::from(self.cpu.eoimode) << 1) | u64::from(self.cpu.cbpr)
            }
            "ICC_CTLR_EL3" => (4 << 8) | (1 << 15) | (u64::from(self.cpu.eoimode) << 4),
            // SRE is RAO/WI (no legacy interface); DFB, DIB RAO; Enable (EL2, EL3) RAO.
            "ICC_SRE_EL1" => 0b111,
            "ICC_SRE_EL2" | "ICC_SRE_EL3" => 0b1111,
            "ICC_IGRPEN0_EL1" => u64::from(self.cpu.igrpen0),
            "ICC_IGRPEN1_EL1" => u64::from(self.cpu.igrpen1),
            "ICC_IGRPEN1_EL3" => u64::from(self.cpu.igrpen1) | (u64::from(self.cpu.igrpen1) << 1),
            _ => 0,
        }
    }

    /// A write of CPU interface register `name`.
    pub fn write_icc(&mut self, name: &str, v: u64) {
        match name {
            "ICC_PMR_EL1" => self.cpu.pmr = v as u8 & PRIO_MASK,
            "ICC_EOIR0_EL1" | "ICC_EOIR1_EL1" => self.end_of_interrupt(v & 0xff_ffff),
            "ICC_DIR_EL1" => self.deactivate(v & 0xff_ffff),
            "ICC_BPR0_EL1" => self.cpu.bpr0 = (v & 7).max(2) as u8,
            "ICC_BPR1_EL1" => self.cpu.bpr1 = (v & 7).max(3) as u8,
            "ICC_CTLR_EL1" => {
                self.cpu.eoimode = v & 2 != 0;
                self.cpu.cbpr = v & 1 != 0;
            }
            "ICC_CTLR_EL3" => self.cpu.eoimode = v & (1 << 4) != 0,
            "ICC_IGRPEN0_EL1" => self.cpu.igrpen0 = v & 1 != 0,
            "ICC_IGRPEN1_EL1" => self.cpu.igrpen1 = v & 1 != 0,
            "ICC_IGRPEN1_EL3" => self.cpu.igrpen1 = v & 1 != 0,
            "ICC_SGI0R_EL1" | "ICC_SGI1R_EL1" | "ICC_ASGI1R_EL1" => {
                let intid = ((v >> 24) & 15) as usize;
                let irm = v & (1 << 40) != 0;
                let aff1 = (v >> 16) & 0xff;
                let aff2 = (v >> 32) & 0xff;
                let aff3 = (v >> 48) & 0xff;
                let me = self.cpu.affinity;
                // IRM = 1 is every PE but this one; else the PEs of Aff3.Aff2.Aff1 whose Aff0 is
                // in the target list.
                let targets = |a: u64| {
                    if irm {
                        a != me
                    } else {
                        aff1 == (a >> 8) & 0xff
                            && aff2 == (a >> 16) & 0xff
                            && aff3 == (a >> 32) & 0xff
                            && (v >> (a & 0xf)) & 1 != 0
                    }
                };
                if targets(me) {
                    self.irqs[intid].pending = true;
                }
                for (c, banked) in self.saved.iter_mut().flatten() {
                    if targets(c.affinity) {
                        banked[intid].pending = true;
                    }
                }
            }
            _ => {}
        }
    }

    /// Reads a 32-bit word of one of the per-interrupt bit or byte arrays, as the distributor
    /// (for `base` INTID 32 up) and the redistributor's SGI frame (0-31) lay them out.
    fn read_array(&self, reg: u64, first: usize) -> Option<u32> {
        let bitwise = |f: &dyn Fn(&Irq, usize) -> bool, n: u64| -> u32 {
            (0..32).fold(0, |w, b| {
                let i = first + (n as usize) * 32 + b;
                if i < INTIDS && f(&self.irqs[i], i) {
                    w | 1 << b
                } else {
                    w
                }
            })
        };
        Some(match reg {
            // The set and clear views of each array read the same.
            0x080..=0x0fc => bitwise(&|q, _| q.group1, (reg - 0x080) / 4),
            0x100..=0x1fc => bitwise(&|q, _| q.enabled, (reg - 0x100) % 0x80 / 4),
            0x200..=0x2fc => bitwise(&|_, i| self.is_pending(i), (reg - 0x200) % 0x80 / 4),
            0x300..=0x3fc => bitwise(&|q, _| q.active, (reg - 0x300) % 0x80 / 4),
            0x400..=0x7fc => {
                let base = first + (reg - 0x400) as usize;
                (0..4).fold(0, |w, k| {
                    let i = base + k;
                    if i < INTIDS {
                        w | u32::from(self.irqs[i].priority) << (8 * k)
                    } else {
                        w
                    }
                })
            }
            0xc00..=0xcfc => {
                let base = first + ((reg - 0xc00) as usize) * 16;
                (0..16).fold(0, |w, k| {
                    let i = base + k;
                    if i < INTIDS && self.irqs[i].edge {
                        w | 2 << (2 * k)
                    } else {
                        w
                    }
                })
            }
            0xd00..=0xd7c => bitwise(&|q, _| q.grpmod, (reg - 0xd00) / 4),
            // INMIR: RES0 for Group 0 interrupts, and RAZ/WI without NMIs.
            0xf80..=0xffc if self.nmi => bitwise(&|q, _| q.nmi && q.group1, (reg - 0xf80) / 4),
            0xf80..=0xffc => 0,
            _ => return None,
        })
    }

    fn write_array(&mut self, reg: u64, first: usize, v: u32, size: usize) -> bool {
        let mut each = |n: u64, f: &mut dyn FnMut(&mut Irq, bool)| {
            for b in 0..32 {
                let i = first + (n as usize) * 32 + b;
                if i < INTIDS {
                    f(&mut self.irqs[i], v & (1 << b) != 0);
                }
            }
        };
        match reg {
            0x080..=0x0fc => each((reg - 0x080) / 4, &mut |q, on| q.group1 = on),
            0x100..=0x17c => each((reg - 0x100) / 4, &mut |q, on| q.enabled |= on),
            0x180..=0x1fc => each((reg - 0x180) / 4, &mut |q, on| q.enabled &= !on),
            0x200..=0x27c => each((reg - 0x200) / 4, &mut |q, on| q.pending |= on),
            0x280..=0x2fc => each((reg - 0x280) / 4, &mut |q, on| q.pending &= !on),
            0x300..=0x37c => each((reg - 0x300) / 4, &mut |q, on| q.active |= on),
            0x380..=0x3fc => each((reg - 0x380) / 4, &mut |q, on| q.active &= !on),
            0x400..=0x7fc => {
                let base = first + (reg - 0x400) as usize;
                for k in 0..size {
                    if base + k < INTIDS {
                        self.irqs[base + k].priority = (v >> (8 * k)) as u8 & PRIO_MASK;
                    }
                }
            }
            0xc00..=0xcfc => {
                let base = first + ((reg - 0xc00) as usize) * 16;
                for k in 0..16 {
                    // SGIs stay edge-triggered (their ICFGR field is read-only).
                    if base + k < INTIDS && base + k >= 16 {
                        self.irqs[base + k].edge = v & (2 << (2 * k)) != 0;
                    }
                }
            }
            0xd00..=0xd7c => each((reg - 0xd00) / 4, &mut |q, on| q.grpmod = on),
            0xf80..=0xffc if self.nmi => each((reg - 0xf80) / 4, &mut |q, on| q.nmi = on),
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
        0x080 | 0x100 | 0x180 | 0x200 | 0x280 | 0x300 | 0x380 | 0xd00 | 0xc00 | 0xc04 | 0xf80
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
        let g = self.0.borrow();
        Some(match offset {
            0x0000 => u64::from(g.ctlr),
            // ITLinesNumber, NMI (9), IDbits = 9 (10-bit INTIDs), no security extension.
            0x0004 => (INTIDS as u64 / 32 - 1) | (u64::from(g.nmi) << 9) | (9 << 19),
            0x0008 => 0x0300_043b,
            0x6100..=0x7fd8 if size == 8 || size == 4 => {
                let n = ((offset - 0x6000) / 8) as usize;
                let v = g.irqs.get(n).map_or(0, |q| q.route);
                if offset % 8 == 4 { v >> 32 } else { v }
            }
            PIDR2 => PIDR2_V3,
            // The SGI and PPI words are the redistributor's (RAZ here, with ARE).
            0x0080..=0x0d7c | 0x0f80..=0x0ffc => {
                let word = offset & !3;
                let v = u64::from(g.read_array(word, 0).unwrap_or(0));
                if banked_word(word) {
                    0
                } else {
                    (v >> (8 * (offset & 3))) & mask(size)
                }
            }
            _ => 0,
        })
    }

    fn write(&mut self, offset: u64, size: usize, value: u64) -> bool {
        let mut g = self.0.borrow_mut();
        match offset {
            0x0000 => g.ctlr = (value as u32 & 3) | (1 << 4) | (1 << 6),
            0x6100..=0x7fd8 => {
                let n = ((offset - 0x6000) / 8) as usize;
                if let Some(q) = g.irqs.get_mut(n) {
                    q.route = if size == 8 {
                        value
                    } else if offset % 8 == 4 {
                        (q.route & 0xffff_ffff) | (value << 32)
                    } else {
                        (q.route & !0xffff_ffff) | value
                    };
                }
            }
            0x0080..=0x0d7c | 0x0f80..=0x0ffc => {
                let word = offset & !3;
                if word >= 0x400 && word < 0x800 {
                    // Priority bytes may be written one at a time.
                    let first = (offset - 0x400) as usize;
                    for k in 0..size {
                        if first + k >= 32 && first + k < INTIDS {
                            g.irqs[first + k].priority = (value >> (8 * k)) as u8 & PRIO_MASK;
                        }
                    }
                } else if !banked_word(word) {
                    g.write_array(word, 0, value as u32, 4);
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
        let mut g = self.0.borrow_mut();
        let (cpu, offset) = ((offset / FRAMES) as usize, offset % FRAMES);
        let live = g.current;
        g.select_cpu(cpu);
        let last = cpu + 1 == g.cpus();
        let v = Redistributor::read_frame(&g, offset, size, cpu, last);
        g.select_cpu(live);
        v
    }

    fn write(&mut self, offset: u64, size: usize, value: u64) -> bool {
        let mut g = self.0.borrow_mut();
        let (cpu, offset) = ((offset / FRAMES) as usize, offset % FRAMES);
        let live = g.current;
        g.select_cpu(cpu);
        Redistributor::write_frame(&mut g, offset, size, value);
        g.select_cpu(live);
        true
    }
}

impl Redistributor {
    fn read_frame(g: &Gicv3, offset: u64, size: usize, cpu: usize, last: bool) -> Option<u64> {
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
            0x0014 => u64::from(g.cpu.waker),
            PIDR2 => PIDR2_V3,
            0x1_0080..=0x1_0d7c | 0x1_0f80 => {
                let word = (offset - 0x1_0000) & !3;
                let v = u64::from(g.read_array(word, 0).unwrap_or(0));
                (v >> (8 * (offset & 3))) & mask(size)
            }
            0x1_ffe8 => PIDR2_V3,
            _ => 0,
        })
    }

    fn write_frame(g: &mut Gicv3, offset: u64, size: usize, value: u64) {
        match offset {
            // ProcessorSleep; ChildrenAsleep follows it.
            0x0014 => {
                let sleep = value & 2 != 0;
                g.cpu.waker = if sleep { 0b110 } else { 0 };
            }
            0x1_0400..=0x1_041f => {
                let first = (offset - 0x1_0400) as usize;
                for k in 0..size {
                    if first + k < 32 {
                        g.irqs[first + k].priority = (value >> (8 * k)) as u8 & PRIO_MASK;
                    }
                }
            }
            0x1_0080..=0x1_0d7c | 0x1_0f80 => {
                let word = (offset - 0x1_0000) & !3;
                // Only the first word of each array (INTIDs 0-31) is the redistributor's.
                if banked_word(word) {
                    g.write_array(word, 0, value as u32, 4);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        g.write_icc("ICC_PMR_EL1", 0xff);
        g.write_icc("ICC_IGRPEN1_EL1", 1);
        assert_eq!(g.signals(), (false, false));
        g.set_line(30, true);
        assert_eq!(g.signals(), (true, false));
        assert_eq!(g.read_icc("ICC_IAR1_EL1"), 30);
        assert_eq!(g.read_icc("ICC_RPR_EL1"), 0x80);
        assert_eq!(g.signals(), (false, false), "active: not signalled again");
        g.write_icc("ICC_EOIR1_EL1", 30);
        assert_eq!(g.signals(), (true, false), "still high: pending again");
        g.set_line(30, false);
        assert_eq!(g.signals(), (false, false));
        // PMR masks it.
        g.set_line(30, true);
        g.write_icc("ICC_PMR_EL1", 0x80);
        assert_eq!(g.signals(), (false, false));
        assert_eq!(g.read_icc("ICC_IAR1_EL1"), SPURIOUS);
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
        g.write_icc("ICC_PMR_EL1", 0xff);
        g.write_icc("ICC_IGRPEN1_EL1", 1);
        g.write_icc("ICC_SGI1R_EL1", (3 << 24) | 1);
        assert_eq!(g.read_icc("ICC_IAR1_EL1"), 3);
        g.write_icc("ICC_EOIR1_EL1", 3);
        assert_eq!(g.read_icc("ICC_IAR1_EL1"), SPURIOUS, "edge: consumed");
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
        g.write_icc("ICC_IGRPEN1_EL1", 1);
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
            g.write_icc("ICC_PMR_EL1", pmr);
            for &i in sgis {
                g.write_icc("ICC_SGI1R_EL1", (i << 24) | 1);
            }
            g.set_pe_nmi(pe_nmi);
            if let Some(i) = reg.strip_prefix("EOI ") {
                g.write_icc("ICC_EOIR1_EL1", i.parse().unwrap());
                continue;
            }
            assert_eq!(g.read_icc(reg), want, "step {k}: {reg}");
        }
    }
}
