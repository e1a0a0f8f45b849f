//! The `virt` board: QEMU virt's memory map, so that firmware and bare-metal programs built for
//! it run unchanged. Today it has RAM, the flash banks (read-only), Secure RAM with `secure`,
//! the GICv3, the PL011 UART, Arm semihosting, and PSCI answered by the board when no EL3 firmware is
//! loaded; one PE in system mode, at EL3 with `secure`, EL2 with `virtualization`, EL1 else.
//!
//! The PE sees the bus through the MMU (`model::mmu`). The GICv3 (`devices::gicv3`) takes the
//! generic timer's PPIs and the UART's SPI and drives the PE's IRQ and FIQ lines; WFI moves
//! guest time to the next timer deadline. Not yet (later milestones of the system-level
//! issue): PL031, CFI flash programming, fw_cfg, a generated DTB, arm64 Image boot, SMP.

pub mod bus;
pub mod dtb;
pub mod semihosting;

use model::interp::{Config, Cpu, Exception, Stop};
use model::memory::Perms;
use model::mmu::Mmu;
use model::state::ExceptionLevel as El;
use object::LittleEndian as LE;
use object::elf;
use object::read::elf::{FileHeader, ProgramHeader};

use crate::devices::gicv3::{self, Gicv3};
use crate::devices::pl011::Pl011;
use bus::Bus;
use semihosting::{Outcome, Semihosting};

/// QEMU virt's memory map (hw/arm/virt.c, `base_memmap`), the parts this board has.
pub mod map {
    pub const FLASH: u64 = 0x0000_0000;
    pub const FLASH_SIZE: u64 = 0x0800_0000;
    pub const GIC_DIST: u64 = 0x0800_0000;
    pub const GIC_DIST_SIZE: u64 = 0x1_0000;
    pub const GIC_REDIST: u64 = 0x080a_0000;
    /// One PE's RD and SGI frames.
    pub const GIC_REDIST_SIZE: u64 = 0x2_0000;
    pub const UART: u64 = 0x0900_0000;
    pub const UART_SIZE: u64 = 0x1000;
    pub const RTC: u64 = 0x0901_0000;
    pub const RTC_SIZE: u64 = 0x1000;
    pub const FW_CFG: u64 = 0x0902_0000;
    pub const SECURE_UART: u64 = 0x0904_0000;
    pub const SECURE_GPIO: u64 = 0x090b_0000;
    pub const SECURE_GPIO_SIZE: u64 = 0x1000;
    /// The Secure GPIO's output pins that QEMU's virt wires to power-off and reset.
    pub const GPIO_POWEROFF: u8 = 1 << 0;
    pub const GPIO_RESET: u8 = 1 << 1;
    pub const SECURE_RAM: u64 = 0x0e00_0000;
    pub const SECURE_RAM_SIZE: u64 = 0x0100_0000;
    pub const RAM: u64 = 0x4000_0000;
    /// Interrupt IDs: the generic timer's PPIs, and the UART's SPI (SPI 1).
    pub const PPI_HYP_TIMER: usize = 26;
    pub const PPI_HYP_VIRT_TIMER: usize = 28;
    pub const PPI_VIRT_TIMER: usize = 27;
    pub const PPI_SECURE_TIMER: usize = 29;
    pub const PPI_PHYS_TIMER: usize = 30;
    /// The PMU's overflow interrupt (PMUIRQ), as QEMU's virt wires it.
    pub const PPI_PMU: usize = 23;
    /// Secure EL2's physical and virtual timers (FEAT_SEL2), as QEMU virt wires them; not in
    /// the DTB, whose timer binding has no place for them.
    pub const PPI_SECURE_HYP_TIMER: usize = 20;
    pub const PPI_SECURE_HYP_VIRT_TIMER: usize = 19;
    pub const SPI_UART: usize = 33;
    pub const SPI_RTC: usize = 34;
    pub const SPI_SECURE_GPIO: usize = 32;
    pub const SPI_SECURE_UART: usize = 40;
    /// The RTC's reading at guest time zero: 2026-01-01T00:00:00Z, so runs repeat.
    pub const RTC_EPOCH: u64 = 1_767_225_600;
}

/// The host as the board sees it: the console (stdout and stdin) and semihosting's files.
pub trait Host {
    /// UART and semihosting console output.
    fn console_write(&mut self, bytes: &[u8]);
    /// The Secure UART's output (with `--secure`: TF-A's crash console). Dropped unless the
    /// host shows it, as QEMU's virt drops it without a second `-serial`.
    fn secure_console_write(&mut self, bytes: &[u8]) {
        let _ = bytes;
    }
    /// Console input available now, without blocking (0 when none).
    fn console_read(&mut self, buf: &mut [u8]) -> usize;
    /// Whether more console input may come (stdin is not at end of file).
    fn console_open(&mut self) -> bool;
    /// Semihosting SYS_OPEN: `mode` is the ISO C fopen mode index 0-11 ("r", "rb", "r+", ...,
    /// "a+b"); `:tt` is the console. A handle, or an errno.
    fn semihosting_open(&mut self, path: &str, mode: u32) -> Result<u64, i32>;
    fn semihosting_close(&mut self, handle: u64) -> Result<(), i32>;
    fn semihosting_read(&mut self, handle: u64, buf: &mut [u8]) -> Result<usize, i32>;
    fn semihosting_write(&mut self, handle: u64, buf: &[u8]) -> Result<usize, i32>;
    fn semihosting_seek(&mut self, handle: u64, pos: u64) -> Result<(), i32>;
    fn semihosting_flen(&mut self, handle: u64) -> Result<u64, i32>;
    fn semihosting_istty(&mut self, handle: u64) -> bool;
    /// Seconds since the epoch (SYS_TIME).
    fn unix_time(&mut self) -> u64;
    /// Guest time in nanoseconds (the board sets it before each call it makes).
    fn guest_ns(&mut self) -> u64;
    /// Host time in nanoseconds since the board started (for `wall_clock`).
    fn host_ns(&mut self) -> u64;
    /// A diagnostic line, shown when the user asked for logging.
    fn log(&mut self, line: &str);
}

/// How the board was built.
#[derive(Clone, Debug)]
pub struct VirtConfig {
    pub ram_bytes: u64,
    /// EL3 and Secure RAM (QEMU's `secure=on`).
    pub secure: bool,
    /// EL2 (QEMU's `virtualization=on`).
    pub virtualization: bool,
    pub semihosting: bool,
    /// The PEs' configuration: ID registers and features from the resolved CPU.
    pub cpu: Config,
    /// How many PEs (MPIDR_EL1.Aff0 = 0..smp); the first starts, the others wait for PSCI
    /// CPU_ON.
    pub smp: usize,
    /// Guest time follows the host's clock instead of instructions retired (runs then do not
    /// repeat); waiting PEs sleep instead of jumping time forward.
    pub wall_clock: bool,
}

/// A PE that is not running now: its state, its MMU context, and whether it is on and
/// waiting (WFI/WFE).
struct Parked {
    cpu: Cpu,
    mmu: model::mmu::MmuContext,
}

/// Instructions one PE runs before the next takes its turn, when there are several: long
/// enough that switching costs little, short enough that they see each other's stores and
/// interrupts promptly. Fixed, so that runs repeat.
const QUANTUM: u64 = 4096;

/// Why the board stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exit {
    /// PSCI SYSTEM_OFF.
    PowerOff,
    /// PSCI SYSTEM_RESET (the board does not restart the guest: it ends the run).
    Reset,
    /// Semihosting SYS_EXIT with this status.
    Semihosting(i32),
    /// The PE waits for an interrupt and nothing can send it one.
    WaitsForever { pc: u64 },
    /// The debugger killed the guest.
    Killed,
}

/// Why an image could not be loaded. Its Display is one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadError {
    NotAnImage,
    Truncated(String),
    DoesNotFit { start: u64, end: u64 },
    Unsupported(String),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::NotAnImage => f.write_str("not an AArch64 ELF file or arm64 Image"),
            LoadError::Truncated(m) => write!(f, "truncated ELF file: {m}"),
            LoadError::DoesNotFit { start, end } => write!(
                f,
                "a segment at {start:#x}..{end:#x} is outside the board's memory (RAM at {:#x}, \
                 flash at 0; give more RAM with -m)",
                map::RAM
            ),
            LoadError::Unsupported(m) => f.write_str(m),
        }
    }
}

/// The PC an exception names.
fn e_pc(e: &Exception) -> u64 {
    match *e {
        Exception::SupervisorCall { pc, .. }
        | Exception::Breakpoint { pc, .. }
        | Exception::Halt { pc, .. }
        | Exception::Undefined { pc, .. }
        | Exception::InstructionAbort { pc, .. }
        | Exception::DataAbort { pc, .. }
        | Exception::PcAlignment { pc }
        | Exception::SpAlignment { pc, .. }
        | Exception::HypervisorCall { pc, .. }
        | Exception::SecureMonitorCall { pc, .. }
        | Exception::Trap { pc, .. }
        | Exception::IllegalState { pc }
        | Exception::BoardSysreg { pc, .. }
        | Exception::WaitForInterrupt { pc }
        | Exception::BranchTarget { pc, .. }
        | Exception::Debug { pc, .. }
        | Exception::PacFail { pc, .. } => pc,
    }
}

/// The PSCI conduit the board answers on when no EL3 firmware is loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conduit {
    Hvc,
    Smc,
}

pub struct Virt {
    pub cpu: Cpu,
    pub bus: Mmu<Bus>,
    pub semihosting: Option<Semihosting>,
    /// `None` when EL3 exists (the firmware there answers PSCI itself).
    pub psci: Option<Conduit>,
    /// Index of the UART in `bus.windows`.
    uart: usize,
    /// With `--secure`: the windows of the Secure UART and the Secure GPIO.
    secure_devices: Option<(usize, usize)>,
    pub gic: gicv3::Shared,
    /// Guest time in nanoseconds for the devices that read it (the RTC).
    clock: std::rc::Rc<std::cell::Cell<u64>>,
    /// `--trace`: each instruction, exception and board action.
    pub tracer: Option<Box<dyn crate::trace::Tracer>>,
    /// The PE running now (`cpu`), the others parked, each PE's power and wait state, and
    /// guest time: every PE's counter is brought up to it before it runs.
    active: usize,
    parked: Vec<Option<Parked>>,
    powered: Vec<bool>,
    waiting: Vec<bool>,
    time_ns: u64,
    wall_clock: bool,
}

/// The ID register fields that describe the board rather than the feature model: which
/// Exception levels exist (ID_AA64PFR0_EL1.EL0-EL3: 1 = AArch64 only), the physical address
/// size (ID_AA64MMFR0_EL1.PARange: 48 bits, or 52 where the feature model says FEAT_LPA), the
/// EL2 traps FEAT_EVT adds (ID_AA64MMFR2_EL1.EVT), and the debug architecture (ID_AA64DFR0_EL1: the feature model's debug version, at least
/// Armv8.0's; six breakpoints, two of them context-aware, and four watchpoints, as
/// `model::interp::debug` has).
pub fn board_id_registers(cfg: &mut Config, el2: bool, el3: bool) {
    let set = |cfg: &mut Config, name: &'static str, f: &dyn Fn(u64) -> u64| match cfg
        .id_registers
        .iter_mut()
        .find(|(n, _)| *n == name)
    {
        Some((_, v)) => *v = f(*v),
        None => cfg.id_registers.push((name, f(0))),
    };
    // GIC (27:24) = 1: the GICv3 CPU interface System registers.
    set(cfg, "ID_AA64PFR0_EL1", &|v| {
        (v & !0xf00_ffff)
            | 1
            | (1 << 4)
            | (u64::from(el2) << 8)
            | (u64::from(el3) << 12)
            | (1 << 24)
    });
    set(cfg, "ID_AA64MMFR0_EL1", &|v| {
        (v & !0xf) | if v & 0xf >= 0b0110 { 0b0110 } else { 0b0101 }
    });
    // HAFDBS: with the feature, both the Access flag and dirty state (2), as the MMU does.
    set(cfg, "ID_AA64MMFR1_EL1", &|v| {
        if v & 0xf != 0 { (v & !0xf) | 2 } else { v }
    });
    set(cfg, "ID_AA64DFR0_EL1", &|v| {
        (v & !0xf0f0_f00f) | (v & 0xf).max(6) | (5 << 12) | (3 << 20) | (1 << 28)
    });
    // EVT (59:56): with FEAT_EVT, 2, the PE having all five HCR_EL2 traps (TTLBIS and
    // TTLBOS too; from Armv8.5 with EL2, 1 is not permitted); without EL2, 0, the only
    // permitted value.
    set(cfg, "ID_AA64MMFR2_EL1", &|v| {
        let evt = (v >> 56) & 0xf;
        let evt = if evt == 0 || !el2 { 0 } else { 2 };
        (v & !(0xf << 56)) | evt << 56
    });
}

/// Which CPU interface an ICC_* access at the current level reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum IccView {
    Physical,
    /// ICV_*: EL1 with HCR_EL2.IMO (group 1 registers), FMO (group 0) or either (the common
    /// ones), EL2 enabled and TGE clear.
    Virtual,
    /// Trapped (EC 0x18) to EL2 (ICH_HCR_EL2.TALL1, TALL0, TC; an SGI register under
    /// HCR_EL2.IMO or FMO) or to EL3 (SCR_EL3.IRQ, FIQ).
    Trapped(El),
}

/// The classes of ICC_* register the traps and the virtualisation know.
#[derive(Clone, Copy, PartialEq, Eq)]
enum IccClass {
    Group0,
    Group1,
    /// PMR, RPR, CTLR, DIR.
    Common,
    /// SGI0R, SGI1R, ASGI1R.
    Sgi,
    /// SRE and the EL3 registers: no trap here.
    Other,
}

fn icc_class(name: &str) -> IccClass {
    match name {
        "ICC_IAR1_EL1" | "ICC_NMIAR1_EL1" | "ICC_EOIR1_EL1" | "ICC_HPPIR1_EL1" | "ICC_BPR1_EL1"
        | "ICC_AP1R0_EL1" | "ICC_IGRPEN1_EL1" => IccClass::Group1,
        "ICC_IAR0_EL1" | "ICC_EOIR0_EL1" | "ICC_HPPIR0_EL1" | "ICC_BPR0_EL1" | "ICC_AP0R0_EL1"
        | "ICC_IGRPEN0_EL1" => IccClass::Group0,
        "ICC_PMR_EL1" | "ICC_RPR_EL1" | "ICC_CTLR_EL1" | "ICC_DIR_EL1" => IccClass::Common,
        "ICC_SGI0R_EL1" | "ICC_SGI1R_EL1" | "ICC_ASGI1R_EL1" => IccClass::Sgi,
        _ => IccClass::Other,
    }
}

impl Virt {
    /// The PE's state as the GIC's CPU interface sees an access.
    fn icc_access(&self) -> gicv3::Access {
        use model::sysregs::field as f;
        let cpu = &self.cpu;
        let scr = if cpu.have_el3() {
            cpu.state.sr(model::sysregs::SCR_EL3)
        } else {
            0
        };
        let hcr = cpu.hcr_el2();
        let guest = cpu.state.pstate.el <= El::EL1 && !f::HCR_EL2_TGE.is_set(hcr);
        gicv3::Access {
            el: cpu.state.pstate.el as u8,
            secure: cpu.is_secure(),
            ns_bank: !cpu.have_el3() || f::SCR_EL3_NS.is_set(scr),
            scr_irq: f::SCR_EL3_IRQ.is_set(scr),
            scr_fiq: f::SCR_EL3_FIQ.is_set(scr),
            imo: guest && f::HCR_EL2_IMO.is_set(hcr),
            fmo: guest && f::HCR_EL2_FMO.is_set(hcr),
        }
    }

    /// Where an access to ICC register `name` goes: the ICH_HCR_EL2 traps first, then an
    /// SGI register's trap to EL2, the SCR_EL3 traps (an EL1 access only when EL2 does not
    /// virtualise it), and the virtual interface.
    fn icc_view(&self, name: &str, a: gicv3::Access) -> IccView {
        let class = icc_class(name);
        let el1_ns = a.el == 1 && self.cpu.el2_enabled() && !a.secure;
        let (virt, ich_trap, el3_trap) = match class {
            IccClass::Group1 => (a.imo, 12, a.scr_irq),
            IccClass::Group0 => (a.fmo, 11, a.scr_fiq),
            IccClass::Common | IccClass::Sgi => (a.imo || a.fmo, 10, a.scr_irq && a.scr_fiq),
            IccClass::Other => return IccView::Physical,
        };
        if class != IccClass::Sgi
            && el1_ns
            && self.gic.borrow().read_ich("ICH_HCR_EL2") & (1 << ich_trap) != 0
        {
            return IccView::Trapped(El::EL2);
        }
        if class == IccClass::Sgi && a.el == 1 && virt {
            return IccView::Trapped(El::EL2);
        }
        if el3_trap && (a.el == 2 || (a.el == 1 && !virt)) {
            return IccView::Trapped(El::EL3);
        }
        if a.el == 1 && virt {
            IccView::Virtual
        } else {
            IccView::Physical
        }
    }

    /// Whether the PEs have EL2's virtual timer: EL2 with FEAT_VHE.
    fn hyp_virt_timer(&self) -> bool {
        self.cpu.config.el2 && self.cpu.config.system_features.vhe
    }

    pub fn new(cfg: VirtConfig) -> Virt {
        let mut config = cfg.cpu;
        config.system = true;
        config.el2 = cfg.virtualization;
        config.el3 = cfg.secure;
        board_id_registers(&mut config, cfg.virtualization, cfg.secure);
        let mut bus = Bus::new(map::RAM, cfg.ram_bytes);
        // Two CFI flash banks, erased (all ones) until firmware is loaded into the first.
        bus.add_memory(map::FLASH, map::FLASH_SIZE, Perms::RX);
        bus.memory
            .poke(map::FLASH, &vec![0xff; map::FLASH_SIZE as usize])
            .ok();
        bus.flash = Some(crate::devices::cfi_flash::CfiFlash::new(map::FLASH, 2));
        bus.fw_cfg = Some((
            map::FW_CFG,
            crate::devices::fw_cfg::FwCfg::new(None, None, ""),
        ));
        if cfg.secure {
            bus.add_memory(map::SECURE_RAM, map::SECURE_RAM_SIZE, Perms::RWX);
            bus.mark_secure_only(map::SECURE_RAM, map::SECURE_RAM_SIZE);
            // As QEMU's secure=on: flash bank 0 (the firmware's) is Secure-only.
            bus.mark_secure_only(map::FLASH, map::FLASH_SIZE / 2);
        }
        bus.add_device(map::UART, map::UART_SIZE, Box::new(Pl011::new()));
        let uart = bus.windows.len() - 1;
        // As QEMU's secure=on: a Secure UART and a Secure GPIO whose pins power off and reset.
        let secure_devices = cfg.secure.then(|| {
            bus.add_device(map::SECURE_UART, map::UART_SIZE, Box::new(Pl011::new()));
            bus.mark_secure_only(map::SECURE_UART, map::UART_SIZE);
            bus.add_device(
                map::SECURE_GPIO,
                map::SECURE_GPIO_SIZE,
                Box::new(crate::devices::pl061::Pl061::new()),
            );
            bus.mark_secure_only(map::SECURE_GPIO, map::SECURE_GPIO_SIZE);
            (bus.windows.len() - 2, bus.windows.len() - 1)
        });
        let clock = std::rc::Rc::new(std::cell::Cell::new(0));
        bus.add_device(
            map::RTC,
            map::RTC_SIZE,
            Box::new(crate::devices::pl031::Pl031::new(
                clock.clone(),
                map::RTC_EPOCH,
            )),
        );
        let gic = Gicv3::new();
        bus.add_device(
            map::GIC_DIST,
            map::GIC_DIST_SIZE,
            Box::new(gicv3::Distributor(gic.clone())),
        );
        bus.add_device(
            map::GIC_REDIST,
            map::GIC_REDIST_SIZE * cfg.smp.max(1) as u64,
            Box::new(gicv3::Redistributor(gic.clone())),
        );
        let psci = if cfg.secure {
            None
        } else if cfg.virtualization {
            Some(Conduit::Smc)
        } else {
            Some(Conduit::Hvc)
        };
        let semihosting = cfg.semihosting.then(|| Semihosting {
            heapinfo: [
                map::RAM + cfg.ram_bytes / 2,
                map::RAM + cfg.ram_bytes * 3 / 4,
                map::RAM + cfg.ram_bytes,
                map::RAM + cfg.ram_bytes * 3 / 4,
            ],
            ..Semihosting::default()
        });
        let smp = cfg.smp.max(1);
        gic.borrow_mut().set_cpus(smp, |k| k as u64);
        // GICv3.3's NMIs, for PEs that have FEAT_NMI (as QEMU virt does under TCG).
        gic.borrow_mut().set_nmi(config.system_features.nmi);
        gic.borrow_mut().set_security(cfg.secure);
        let parked = (0..smp)
            .map(|k| {
                (k > 0).then(|| {
                    let mut c = config.clone();
                    c.mpidr_el1 = 0x8000_0000 | k as u64;
                    let mut cpu = Cpu::new(c);
                    cpu.reset_system(0);
                    Parked {
                        cpu,
                        mmu: model::mmu::MmuContext::default(),
                    }
                })
            })
            .collect();
        let mut cpu = Cpu::new(config);
        cpu.reset_system(0);
        Virt {
            cpu,
            bus: Mmu::new(bus),
            semihosting,
            psci,
            uart,
            secure_devices,
            gic,
            clock,
            tracer: None,
            active: 0,
            parked,
            powered: (0..smp).map(|k| k == 0).collect(),
            waiting: vec![false; smp],
            time_ns: 0,
            wall_clock: cfg.wall_clock,
        }
    }

    /// Boots a Linux arm64 Image per the arm64 boot protocol (Documentation/arm64/booting.rst):
    /// the Image at a 2 MiB-aligned address plus its text_offset, the initrd and the generated
    /// DTB in RAM, X0 = the DTB's address, MMU and caches off, at the board's highest level
    /// below EL3 (EL2 with `virtualization`, else EL1), PSCI on HVC (SMC from EL2).
    pub fn load_linux(
        &mut self,
        image: &[u8],
        initrd: Option<&[u8]>,
        cmdline: &str,
        dtb: Option<&[u8]>,
    ) -> Result<u64, LoadError> {
        if image.len() < 64 || &image[0x38..0x3c] != b"ARM\x64" {
            return Err(LoadError::NotAnImage);
        }
        if self.cpu.config.el3 {
            // No EL3 firmware runs: the board stands in for it, as QEMU's virt does with
            // secure=on and -kernel. It answers PSCI on the conduit QEMU picks (SMC with EL2,
            // else HVC) and leaves the GIC as firmware would for a Non-secure kernel.
            self.psci = Some(if self.cpu.config.el2 {
                Conduit::Smc
            } else {
                Conduit::Hvc
            });
            self.gic.borrow_mut().hand_over_to_nonsecure();
        }
        let le = |o: usize| u64::from_le_bytes(image[o..o + 8].try_into().unwrap());
        let text_offset = le(8);
        let image_size = le(16).max(image.len() as u64);
        let ram = self.bus.phys.ram();
        // The DTB at the start of RAM, the kernel at the next 2 MiB boundary, the initrd in the
        // upper half of RAM (as QEMU places it: at most 128 MiB in).
        let dtb_at = ram.0;
        let kernel = ram.0 + (2 << 20) + text_offset;
        let kernel_end = kernel + image_size;
        if kernel_end > ram.1 {
            return Err(LoadError::DoesNotFit {
                start: kernel,
                end: kernel_end,
            });
        }
        if !self.bus.phys.load(kernel, image) {
            return Err(LoadError::DoesNotFit {
                start: kernel,
                end: kernel + image.len() as u64,
            });
        }
        let initrd_at = {
            let half = ram.0 + ((ram.1 - ram.0) / 2).min(128 << 20);
            half.max((kernel_end + (2 << 20) - 1) & !((2 << 20) - 1))
        };
        let initrd_range = match initrd {
            Some(rd) => {
                let end = initrd_at + rd.len() as u64;
                if end > ram.1 || !self.bus.phys.load(initrd_at, rd) {
                    return Err(LoadError::DoesNotFit {
                        start: initrd_at,
                        end,
                    });
                }
                Some((initrd_at, end))
            }
            None => None,
        };
        let method = self.psci_method();
        let generated;
        let blob = match dtb {
            Some(b) => b,
            None => {
                let chosen = dtb::Chosen {
                    bootargs: cmdline,
                    initrd: initrd_range,
                };
                generated = dtb::generate(
                    ram.1 - ram.0,
                    self.smp(),
                    method,
                    self.hyp_virt_timer(),
                    self.cpu.config.el3,
                    self.cpu.config.system_features.pmuv3,
                    &chosen,
                )
                .map_err(|e| LoadError::Unsupported(format!("building the DTB: {e}")))?;
                &generated[..]
            }
        };
        if blob.len() as u64 > 2 << 20 || !self.bus.phys.load(dtb_at, blob) {
            return Err(LoadError::DoesNotFit {
                start: dtb_at,
                end: dtb_at + blob.len() as u64,
            });
        }
        enter_kernel(&mut self.cpu, kernel);
        self.cpu.state.x[0] = dtb_at;
        Ok(kernel)
    }

    /// Loads a bare-metal AArch64 ELF at its physical addresses (PT_LOAD `p_paddr`) and points
    /// the PE at `e_entry`, as QEMU's `-kernel` does for an ELF. Returns the entry point.
    pub fn load_elf(&mut self, image: &[u8]) -> Result<u64, LoadError> {
        let header = elf::FileHeader64::<LE>::parse(image).map_err(|_| LoadError::NotAnImage)?;
        if header.e_machine(LE) != elf::EM_AARCH64 {
            return Err(LoadError::NotAnImage);
        }
        let phdrs = header
            .program_headers(LE, image)
            .map_err(|e| LoadError::Truncated(e.to_string()))?;
        for ph in phdrs {
            if ph.p_type(LE) != elf::PT_LOAD {
                continue;
            }
            let pa = ph.p_paddr(LE);
            let filesz = ph.p_filesz(LE);
            let memsz = ph.p_memsz(LE);
            let data = ph
                .data(LE, image)
                .map_err(|_| LoadError::Truncated(format!("segment at {pa:#x}")))?;
            let end = pa
                .checked_add(memsz.max(filesz))
                .ok_or(LoadError::DoesNotFit {
                    start: pa,
                    end: u64::MAX,
                })?;
            let mut bytes = data.to_vec();
            bytes.resize(memsz.max(filesz) as usize, 0);
            if !self.bus.phys.load(pa, &bytes) {
                return Err(LoadError::DoesNotFit { start: pa, end });
            }
        }
        let entry = header.e_entry(LE);
        self.cpu.reset_system(entry);
        Ok(entry)
    }

    /// Hands the firmware a kernel, initrd and command line through fw_cfg, as QEMU's
    /// `-bios` with `-kernel` does: EDK2 boots them through the kernel's EFI stub.
    pub fn firmware_kernel(&mut self, kernel: Vec<u8>, initrd: Option<Vec<u8>>, cmdline: &str) {
        self.bus.phys.fw_cfg = Some((
            map::FW_CFG,
            crate::devices::fw_cfg::FwCfg::new(Some(kernel), initrd, cmdline),
        ));
    }

    /// Copies raw firmware (`--bios`) into flash bank 0 and starts the PE at 0, with the
    /// generated DTB at the start of RAM, where QEMU puts it for firmware to find.
    pub fn load_flash(&mut self, image: &[u8]) -> Result<(), LoadError> {
        if image.len() as u64 > map::FLASH_SIZE / 2 {
            return Err(LoadError::DoesNotFit {
                start: 0,
                end: image.len() as u64,
            });
        }
        self.bus.phys.load(map::FLASH, image);
        let ram = self.bus.phys.ram();
        let method = self.psci_method();
        let chosen = dtb::Chosen {
            bootargs: "",
            initrd: None,
        };
        let blob = dtb::generate(
            ram.1 - ram.0,
            self.smp(),
            method,
            self.hyp_virt_timer(),
            self.cpu.config.el3,
            self.cpu.config.system_features.pmuv3,
            &chosen,
        )
        .map_err(|e| LoadError::Unsupported(format!("building the DTB: {e}")))?;
        self.bus.phys.load(ram.0, &blob);
        self.cpu.reset_system(map::FLASH);
        // EL3 firmware answers PSCI itself, so every PE leaves reset together, as on QEMU's
        // virt with secure=on: the firmware holds the secondaries until CPU_ON (TF-A's BL1).
        if self.psci.is_none() {
            self.powered.fill(true);
        }
        Ok(())
    }

    /// The DTB's /psci method: the board's conduit, or none when EL3 firmware answers PSCI.
    fn psci_method(&self) -> Option<&'static str> {
        self.psci.map(|c| match c {
            Conduit::Smc => "smc",
            Conduit::Hvc => "hvc",
        })
    }

    /// The Secure GPIO's pins driven high, with `--secure`.
    fn secure_gpio_outputs(&mut self) -> u8 {
        let Some((_, gpio)) = self.secure_devices else {
            return 0;
        };
        self.device::<crate::devices::pl061::Pl061>(gpio)
            .outputs_high()
    }

    /// A device asked the board to act: the Secure GPIO's power-off or reset line went high.
    fn board_event(&mut self) -> Option<Exit> {
        if !self.bus.phys.take_event() {
            return None;
        }
        let high = self.secure_gpio_outputs();
        if high & map::GPIO_POWEROFF != 0 {
            Some(Exit::PowerOff)
        } else if high & map::GPIO_RESET != 0 {
            Some(Exit::Reset)
        } else {
            None
        }
    }

    /// The device the board put in window `window`, as the type it is.
    fn device<T: 'static>(&mut self, window: usize) -> &mut T {
        self.bus.phys.windows[window]
            .device
            .as_any_mut()
            .downcast_mut::<T>()
            .expect("the board knows what it put in its windows")
    }

    pub fn uart(&mut self) -> &mut Pl011 {
        self.device(self.uart)
    }

    /// Steps so far: instructions retired plus exceptions taken, so that a guest caught in a
    /// loop of exceptions (a fault in its own vector) still uses up its budget.
    pub fn steps(&self) -> u64 {
        let parked: u64 = self
            .parked
            .iter()
            .flatten()
            .map(|p| p.cpu.retired + p.cpu.exceptions_taken)
            .sum();
        self.cpu.retired + self.cpu.exceptions_taken + parked
    }

    /// Instructions retired by every PE, and exceptions taken.
    pub fn retired(&self) -> (u64, u64) {
        let (mut r, mut e) = (self.cpu.retired, self.cpu.exceptions_taken);
        for p in self.parked.iter().flatten() {
            r += p.cpu.retired;
            e += p.cpu.exceptions_taken;
        }
        (r, e)
    }

    /// How many PEs the board has.
    pub fn smp(&self) -> usize {
        self.parked.len()
    }

    /// Makes PE `k` the running one.
    fn switch_to(&mut self, k: usize) {
        if k == self.active {
            return;
        }
        let mut p = self.parked[k].take().expect("a parked PE");
        std::mem::swap(&mut self.cpu, &mut p.cpu);
        let missed = self.bus.swap_context(&mut p.mmu);
        if missed {
            self.cpu.decode_cache.clear();
        }
        // A PE that stops running loses its exclusive reservation (a STXR after it fails and
        // is retried, which the architecture allows).
        p.cpu.monitor.marked = None;
        self.parked[self.active] = Some(p);
        self.active = k;
        self.gic.borrow_mut().select_cpu(k);
    }

    /// Brings the running PE's counter up to guest time.
    fn align_time(cpu: &mut Cpu, time_ns: u64) {
        let now = cpu.retired + cpu.idle_ns;
        if now < time_ns {
            cpu.idle_ns += time_ns - now;
        }
    }

    /// The next PE to run after the current one's turn: round robin over the PEs that are on
    /// and not waiting.
    fn next_runnable(&self) -> Option<usize> {
        let n = self.smp();
        (1..=n)
            .map(|d| (self.active + d) % n)
            .find(|&k| self.powered[k] && !self.waiting[k])
    }

    /// Runs up to `budget` steps ([`Virt::steps`]). Returns why the board stopped, or `None`
    /// when the budget ran out first.
    pub fn run(&mut self, host: &mut dyn Host, budget: u64) -> Option<Exit> {
        let start = self.steps();
        loop {
            let done = self.steps() - start;
            if done >= budget {
                return None;
            }
            if self.smp() > 1 {
                match self.next_runnable() {
                    Some(k) => self.switch_to(k),
                    None => {
                        if !self.powered.iter().any(|&p| p) {
                            return Some(Exit::PowerOff);
                        }
                        if let Some(exit) = self.all_wait(host) {
                            return Some(exit);
                        }
                        continue;
                    }
                }
            }
            if self.wall_clock {
                self.time_ns = self.time_ns.max(host.host_ns());
            }
            Virt::align_time(&mut self.cpu, self.time_ns);
            // Slices short enough that console input and output stay interactive, and that end
            // at the next timer deadline (one instruction is one nanosecond of guest time), so
            // a timer interrupt is raised at the instruction it is due.
            let quantum = if self.smp() > 1 { QUANTUM } else { 1 << 14 };
            let mut slice = (budget - done).min(quantum);
            if let Some(ns) = self.cpu.next_timer_deadline_ns() {
                slice = slice.min(ns.max(1));
            }
            // And at the next PMU counter overflow, for its interrupt.
            if let Some(n) = self.cpu.pmu_next_overflow() {
                slice = slice.min(n.max(1));
            }
            let stop = match self.tracer.as_deref_mut() {
                None => self.cpu.run(&mut self.bus, slice),
                Some(t) => crate::trace::run_traced(
                    &mut self.cpu,
                    &mut self.bus,
                    slice,
                    t,
                    &mut |m, pc| {
                        let mut b = [0u8; 4];
                        model::memory::Memory::read(m, pc, &mut b, model::memory::AccessKind::Fetch)
                            .ok()
                            .map(|()| u32::from_le_bytes(b))
                    },
                ),
            };
            self.time_ns = self.time_ns.max(self.cpu.retired + self.cpu.idle_ns);
            self.flush_uart(host);
            self.update_interrupts();
            if !self.cpu.unmodelled.is_empty() {
                for (pc, packed, read) in std::mem::take(&mut self.cpu.unmodelled) {
                    let name = model::interp::sysreg::encoding_name(packed);
                    let what = if read { "MRS" } else { "MSR" };
                    host.log(&format!(
                        "sysreg: {what} {name} at {pc:#x}: not modelled, UNDEFINED"
                    ));
                }
            }
            if let Some(exit) = self.board_event() {
                return Some(exit);
            }
            match stop {
                Stop::Budget => {
                    if self.uart().wants_input() {
                        let mut buf = [0u8; 64];
                        let n = host.console_read(&mut buf);
                        if n > 0 {
                            self.uart().receive(&buf[..n]);
                        }
                    }
                }
                Stop::Exception(e) => {
                    let before = self.tracer.is_some().then(|| self.cpu.state.clone());
                    let (count, pc, taken) =
                        (self.cpu.retired, e_pc(&e), self.cpu.exceptions_taken);
                    let exit = self.exception(host, e);
                    if let (Some(before), Some(t)) = (before, self.tracer.as_deref_mut()) {
                        if self.cpu.exceptions_taken != taken {
                            let s = &self.cpu.state;
                            t.taken(count, pc, s.pc & 0x7ff, s.pstate.el as u8);
                        } else if before != self.cpu.state {
                            t.kernel(self.cpu.retired, &before, &self.cpu.state);
                        }
                    }
                    if let Some(exit) = exit {
                        self.flush_uart(host);
                        return Some(exit);
                    }
                }
            }
        }
    }

    /// Drives the GIC's inputs (the timers' PPIs, the UART's SPI) and the PE's IRQ and FIQ
    /// lines from the GIC.
    pub fn update_interrupts(&mut self) {
        use model::interp::sysreg::Timer;
        self.time_ns = self.time_ns.max(self.cpu.retired + self.cpu.idle_ns);
        self.clock.set(self.time_ns);
        let uart = self.uart().interrupt_line();
        let line = |base| {
            self.bus
                .phys
                .windows
                .iter()
                .any(|w| w.base == base && w.device.interrupt())
        };
        let (rtc, secure_uart, secure_gpio) = (
            line(map::RTC),
            line(map::SECURE_UART),
            line(map::SECURE_GPIO),
        );
        let time_ns = self.time_ns;
        let mut g = self.gic.borrow_mut();
        g.set_line(map::SPI_UART, uart);
        g.set_line(map::SPI_RTC, rtc);
        g.set_line(map::SPI_SECURE_UART, secure_uart);
        g.set_line(map::SPI_SECURE_GPIO, secure_gpio);
        let active = self.active;
        for k in 0..self.parked.len() {
            let cpu = match self.parked[k].as_mut() {
                Some(p) => &mut p.cpu,
                None => &mut self.cpu,
            };
            Virt::align_time(cpu, time_ns);
            g.select_cpu(k);
            // Each timer's PPI, as the board's device tree numbers them.
            for (ppi, timer) in [
                (map::PPI_PHYS_TIMER, Timer::Physical),
                (map::PPI_VIRT_TIMER, Timer::Virtual),
                (map::PPI_HYP_TIMER, Timer::Hypervisor),
                (map::PPI_HYP_VIRT_TIMER, Timer::HypervisorVirtual),
                (map::PPI_SECURE_TIMER, Timer::SecurePhysical),
                (map::PPI_SECURE_HYP_TIMER, Timer::SecureHypervisor),
                (
                    map::PPI_SECURE_HYP_VIRT_TIMER,
                    Timer::SecureHypervisorVirtual,
                ),
            ] {
                g.set_line(ppi, cpu.timer_asserted(timer));
            }
            g.set_line(map::PPI_PMU, cpu.pmu_irq());
            let maintenance = g.vcpu().maintenance();
            g.set_line(crate::devices::gicv3::PPI_MAINTENANCE, maintenance);
            let (virq, vfiq) = g.vcpu().signals();
            cpu.set_virtual_lines(virq, vfiq);
            let signal = g.signal();
            cpu.set_physical_interrupt(signal);
            cpu.irq_superpriority = signal.is_some() && g.superpriority();
            if signal.is_some() || virq || vfiq || cpu.wait_timed_out() {
                self.waiting[k] = false;
            }
        }
        g.select_cpu(active);
    }

    /// Every PE waits for `ns`: guest time jumps forward, or with the wall clock the host
    /// sleeps (at most 10 ms at a time, so console input stays prompt).
    fn skip_time(&mut self, host: &mut dyn Host, ns: u64) {
        if self.wall_clock {
            std::thread::sleep(std::time::Duration::from_nanos(ns.min(10_000_000)));
            self.time_ns = self.time_ns.max(host.host_ns());
        } else {
            self.time_ns += ns;
        }
        Virt::align_time(&mut self.cpu, self.time_ns);
        self.update_interrupts();
    }

    /// With every PE waiting and no timer to wake one, console input still may, when the
    /// guest enabled the UART's receive interrupt. `Some(true)`: input arrived; `Some(false)`:
    /// none yet, but stdin is open (the caller waits again); `None`: nothing can come.
    fn wait_for_console(&mut self, host: &mut dyn Host) -> Option<bool> {
        if !self.uart().rx_interrupt_enabled() {
            return None;
        }
        let mut buf = [0u8; 64];
        let n = host.console_read(&mut buf);
        if n > 0 {
            self.uart().receive(&buf[..n]);
            self.update_interrupts();
            return Some(true);
        }
        if host.console_open() {
            std::thread::sleep(std::time::Duration::from_millis(5));
            return Some(false);
        }
        None
    }

    /// Every PE that is on waits: guest time jumps to the earliest timer deadline of any of
    /// them, whose interrupt then wakes one. With no deadline and no console input to wait
    /// for, nothing can wake them.
    fn all_wait(&mut self, host: &mut dyn Host) -> Option<Exit> {
        let pc = self.cpu.state.pc;
        let deadline = (0..self.parked.len())
            .filter(|&k| self.powered[k])
            .filter_map(|k| match &self.parked[k] {
                Some(p) => p.cpu.next_wake_ns(),
                None => self.cpu.next_wake_ns(),
            })
            // A timer whose condition is already met, but whose interrupt the GIC does not
            // deliver, wakes nobody.
            .filter(|&ns| ns > 0)
            .min();
        if let Some(ns) = deadline {
            self.skip_time(host, ns.max(1));
            return None;
        }
        if self.wait_for_console(host).is_some() {
            return None;
        }
        Some(Exit::WaitsForever { pc })
    }

    fn flush_uart(&mut self, host: &mut dyn Host) {
        let out = std::mem::take(&mut self.uart().output);
        if !out.is_empty() {
            host.console_write(&out);
        }
        if let Some((secure_uart, _)) = self.secure_devices {
            let out = std::mem::take(&mut self.device::<Pl011>(secure_uart).output);
            if !out.is_empty() {
                host.secure_console_write(&out);
            }
        }
    }

    /// An exception an instruction raised: semihosting and PSCI are the board's, WFI waits,
    /// the rest the PE takes.
    fn exception(&mut self, host: &mut dyn Host, e: Exception) -> Option<Exit> {
        use model::decode::EncodingId as E;
        match e {
            // Semihosting from EL1 and above only, as QEMU without `userspace=on`: it would
            // give unprivileged code the host's files.
            Exception::Halt {
                imm: semihosting::HLT_IMM,
                ..
            } if self.semihosting.is_some() && self.cpu.state.pstate.el != El::EL0 => {
                let op = self.cpu.state.x[0] & 0xffff_ffff;
                let param = self.cpu.state.x[1];
                let sh = self.semihosting.as_mut().unwrap();
                match sh.call(host, &mut self.bus, op, param) {
                    Outcome::Return(v) => self.cpu.state.x[0] = v,
                    Outcome::BadBlock => self.cpu.state.x[0] = u64::MAX,
                    Outcome::Exit(status) => return Some(Exit::Semihosting(status)),
                }
                self.cpu.completed_by_board();
                None
            }
            // PSCI on the board's conduit: with no EL2 (HVC) or no EL3 (SMC) the instruction
            // is UNDEFINED to the architecture, and the board answers in its place, as QEMU's
            // built-in PSCI does.
            Exception::Undefined {
                encoding: Some(id),
                word,
                ..
            } if (self.psci == Some(Conduit::Hvc) && id == E::HVC_EX_exception
                || self.psci == Some(Conduit::Smc) && id == E::SMC_EX_exception)
                && (word >> 5) & 0xffff == 0
                && self.cpu.state.pstate.el != El::EL0 =>
            {
                self.cpu.state.pc = self.cpu.state.pc.wrapping_add(4);
                self.cpu.retired += 1;
                self.cpu.completed_by_board();
                self.psci_call()
            }
            // With EL3 but no firmware, the board is EL3's PSCI (SMC #0 on the SMC conduit).
            // The SMC has completed (PC after it, retired, stepped): only its effect is left.
            Exception::SecureMonitorCall { imm: 0, .. } if self.psci == Some(Conduit::Smc) => {
                self.psci_call()
            }
            Exception::BoardSysreg { reg, rt, read, pc } => {
                let name = reg.name();
                let access = self.icc_access();
                let view = self.icc_view(name, access);
                if let IccView::Trapped(target) = view {
                    // A trapped MRS/MSR (EC 0x18).
                    let iss =
                        model::interp::sysreg::trapped_sysreg_iss(reg.info().packed, rt, read);
                    self.cpu.take(Exception::Trap {
                        pc,
                        target,
                        class: model::interp::exceptions::ec::SYSREG,
                        iss,
                    });
                    return None;
                }
                let mut g = self.gic.borrow_mut();
                let el = self.cpu.state.pstate.el;
                g.set_pe_nmi(model::sysregs::field::SCTLR_EL1_NMI.is_set(self.cpu.sctlr(el)));
                let x = self.cpu.state.xr(rt);
                let value = match (name.starts_with("ICH_"), view, read) {
                    (true, _, true) => g.read_ich(name),
                    (true, _, false) => {
                        g.write_ich(name, x);
                        0
                    }
                    (_, IccView::Virtual, true) => g.read_icv(name, access),
                    (_, IccView::Virtual, false) => {
                        g.write_icv(name, x, access);
                        0
                    }
                    (_, _, true) => g.read_icc(name, access),
                    (_, _, false) => {
                        g.write_icc(name, x, access);
                        0
                    }
                };
                drop(g);
                self.cpu.complete_board_sysreg(rt, read, value);
                self.update_interrupts();
                None
            }
            Exception::WaitForInterrupt { pc } => {
                self.update_interrupts();
                if self.cpu.irq_line || self.cpu.fiq_line {
                    return None;
                }
                if self.smp() > 1 {
                    // WFE may end for reasons of the implementation's own: here, the others'
                    // turn (they may be about to release what it waits for). A WFI waits for
                    // an interrupt; the board moves time on when every PE waits.
                    // (The scheduler moves to the next PE after every stop.) The PE says which
                    // wait it is in: WFE and WFET (FEAT_WFxT) are such waits.
                    if !self.cpu.in_wfe {
                        self.waiting[self.active] = true;
                    }
                    return None;
                }
                // The only PE waits: guest time jumps to the next timer deadline, whose
                // interrupt then wakes it (or in a WFE, to the event stream's next edge).
                // With neither and no console input to wait for, nothing can wake it.
                if let Some(ns) = self.cpu.next_wake_ns() {
                    self.skip_time(host, ns.max(1));
                    return None;
                }
                match self.wait_for_console(host) {
                    Some(true) => return None,
                    // Re-run the WFI: the PE still waits.
                    Some(false) => {
                        self.cpu.state.pc = pc;
                        return None;
                    }
                    None => {}
                }
                Some(Exit::WaitsForever { pc })
            }
            e => {
                self.cpu.take(e);
                None
            }
        }
    }

    /// A PSCI call (Arm DEN 0022, PSCI 1.1) in X0-X3; the result in X0.
    fn psci_call(&mut self) -> Option<Exit> {
        const NOT_SUPPORTED: u64 = -1i64 as u64;
        const INVALID_PARAMETERS: u64 = -2i64 as u64;
        const ALREADY_ON: u64 = -4i64 as u64;
        let x = self.cpu.state.x;
        let fid = x[0] & 0xffff_ffff;
        // PEs are MPIDR Aff0 = 0..smp.
        let target = x[1] & 0xff_00ff_ffff;
        let pe = (target < self.smp() as u64).then_some(target as usize);
        let r = match fid {
            0x8400_0000 => 0x0001_0001, // PSCI_VERSION: 1.1
            0x8400_0002 => {
                // CPU_OFF: the caller stops; with none left on, the system is off.
                self.powered[self.active] = false;
                if !self.powered.iter().any(|&p| p) {
                    return Some(Exit::PowerOff);
                }
                return None;
            }
            0x8400_0003 | 0xc400_0003 => match pe {
                // CPU_ON(target, entry, context): the PE starts at entry, at the level the
                // boot PE started at, with the MMU off and X0 = context.
                Some(k) if self.powered[k] => ALREADY_ON,
                Some(k) => {
                    let p = self.parked[k].as_mut().expect("an off PE is parked");
                    enter_kernel(&mut p.cpu, x[2]);
                    p.cpu.state.x[0] = x[3];
                    p.cpu.decode_cache.clear();
                    p.mmu = model::mmu::MmuContext::default();
                    self.powered[k] = true;
                    self.waiting[k] = false;
                    0
                }
                None => INVALID_PARAMETERS,
            },
            0x8400_0004 | 0xc400_0004 => match pe {
                // AFFINITY_INFO: 0 ON, 1 OFF.
                Some(k) => u64::from(!self.powered[k]),
                None => INVALID_PARAMETERS,
            },
            0x8400_0006 => 2, // MIGRATE_INFO_TYPE: no Trusted OS
            0x8400_0008 => return Some(Exit::PowerOff),
            0x8400_0009 => return Some(Exit::Reset),
            0x8400_000a => match x[1] & 0xffff_ffff {
                0x8400_0000 | 0x8400_0002 | 0x8400_0003 | 0xc400_0003 | 0x8400_0004
                | 0xc400_0004 | 0x8400_0006 | 0x8400_0008 | 0x8400_0009 | 0x8400_000a => 0,
                _ => NOT_SUPPORTED,
            },
            _ => NOT_SUPPORTED,
        };
        self.cpu.state.x[0] = r;
        None
    }
}

/// Resets `cpu` to start a kernel at `entry` per the arm64 boot protocol: at the highest level
/// below EL3 (EL2, else EL1, with SP_ELx and DAIF masked). With EL3 and no firmware to run
/// there, the board leaves EL3 as firmware would: lower levels Non-secure, and every SCR_EL3
/// enable this PE has set (pointer authentication keys, FGT, HCRX, ECV, TCR2, SCTLR2), so
/// that EL3 traps nothing the kernel uses.
fn enter_kernel(cpu: &mut Cpu, entry: u64) {
    use model::sysregs::{self as sr, field as f};
    cpu.reset_system(entry);
    if !cpu.config.el3 {
        return;
    }
    let mut scr = cpu.read_sysreg(sr::SCR_EL3) | f::SCR_EL3_NS.mask();
    for enable in [
        f::SCR_EL3_API,
        f::SCR_EL3_APK,
        f::SCR_EL3_FGTEn,
        f::SCR_EL3_FGTEn2,
        f::SCR_EL3_HXEn,
        f::SCR_EL3_ECVEn,
        f::SCR_EL3_TCR2En,
        f::SCR_EL3_SCTLR2En,
    ] {
        scr |= enable.mask();
    }
    if cpu.config.el2 {
        scr |= f::SCR_EL3_HCE.mask();
    }
    cpu.write_sysreg(sr::SCR_EL3, scr);
    cpu.state.pstate.el = if cpu.config.el2 { El::EL2 } else { El::EL1 };
    cpu.system_state_changed();
}
