//! The Linux user-mode board: one AArch64 process on an emulated Linux kernel. `loader` maps
//! the ELF program and builds the initial stack; `syscalls` answers SVCs. Exceptions the
//! process does not handle end it the way Linux would, with a signal.

mod creds;
mod files;
mod idregs;
mod loader;
mod process;
mod sched;
mod signal;
mod syscalls;

pub use crate::trace::{Step, Tracer};
pub use files::{AT_FDCWD, At, Fcntl, Files, OpenFlags, PollFd, StatFs};
pub use loader::{LoadError, hwcaps};
pub use process::Forked;
pub use signal::SIGTRAMP;

use model::decode::decode;
use model::interp::{Config, Cpu, Exception, Stop};
use model::memory::{AccessKind, FaultKind, FlatMemory};

/// A Linux errno value (positive).
pub type Errno = i32;

/// Which clock `clock_gettime` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    Realtime,
    Monotonic,
}

/// What the board needs to know of a host file for `fstat`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FileStat {
    pub dev: u64,
    pub ino: u64,
    pub mode: u32,
    pub nlink: u32,
    pub uid: u32,
    pub gid: u32,
    pub rdev: u64,
    pub size: i64,
    pub blksize: i32,
    pub blocks: i64,
    /// (seconds, nanoseconds) since the epoch.
    pub atime: (i64, u32),
    pub mtime: (i64, u32),
    pub ctime: (i64, u32),
}

/// What the host does with a signal sent to the process from outside (another process, the
/// terminal), following the guest's disposition of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disposition {
    /// The host's default action (which for most signals ends the process).
    Default,
    Ignore,
    /// Caught and reported through [`Host::take_signals`], interrupting a blocking host call
    /// (which then fails with EINTR).
    Catch,
}

/// The host, as the board sees it: the command line implements it over the real files and
/// clocks, tests over buffers. File descriptors are the guest's. `Files` is the file system.
pub trait Host: Files {
    fn read(&mut self, fd: i32, buf: &mut [u8]) -> Result<usize, Errno>;
    fn write(&mut self, fd: i32, buf: &[u8]) -> Result<usize, Errno>;
    fn fstat(&mut self, fd: i32) -> Result<FileStat, Errno>;
    /// Whether `fd` is a terminal (TCGETS succeeds).
    fn is_terminal(&mut self, fd: i32) -> bool;
    /// `(seconds, nanoseconds)`.
    fn now(&mut self, clock: Clock) -> (u64, u32);
    /// Fills `buf` with random bytes (AT_RANDOM, getrandom).
    fn random(&mut self, buf: &mut [u8]);
    /// Sleeps `nanos` nanoseconds of host time (nanosleep, a futex wait with a timeout). The
    /// default does not sleep: time is the host's business.
    fn sleep(&mut self, nanos: u128) {
        let _ = nanos;
    }
    /// The process ID the guest has, and its parent's. Processes see each other's IDs (kill,
    /// wait4), so a host that forks gives real ones; the default is a fixed pair, so runs on
    /// a host of buffers repeat.
    fn pid(&mut self) -> u32 {
        4242
    }
    fn ppid(&mut self) -> u32 {
        1
    }
    /// The guest changed its disposition of `sig`, one a process can receive from outside
    /// (never SIGKILL, SIGSTOP or the signals faults raise). The default ignores the change.
    fn signal_disposition(&mut self, sig: i32, d: Disposition) {
        let _ = (sig, d);
    }
    /// The signals caught since the last call, bit `sig - 1`. The default catches none.
    fn take_signals(&mut self) -> u64 {
        0
    }
    /// A diagnostic line from the board (unimplemented syscalls), shown only when the user
    /// asked for logging.
    fn log(&mut self, line: &str);
    /// Forks the host process, so the child is its own emulator (fork, vfork). The default
    /// cannot: ENOSYS.
    fn fork(&mut self) -> Result<Forked, Errno> {
        Err(38)
    }
    /// wait4(pid, options): the child's pid (0 under WNOHANG when none has changed) and its
    /// raw wait status. The default has no children: ECHILD.
    fn wait4(&mut self, _pid: i32, _options: i32) -> Result<(i32, i32), Errno> {
        Err(10)
    }
    /// execve replaced the process image: close the close-on-exec descriptors.
    fn exec(&mut self) {}
    /// kill(pid, sig) of another process (a forked child). The default knows none: ESRCH.
    fn kill(&mut self, _pid: i32, _sig: i32) -> Result<(), Errno> {
        Err(3)
    }
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exit {
    /// exit or exit_group with this status (0..=255).
    Status(i32),
    /// Killed by a signal; `reason` is one line for the user when the board raised it.
    Signal { signal: i32, reason: Option<String> },
    /// The instruction budget ran out.
    Budget,
}

impl Exit {
    /// The shell's exit status for this outcome: the status, 128+signal, or 124.
    pub fn code(&self) -> i32 {
        match self {
            Exit::Status(s) => *s,
            Exit::Signal { signal, .. } => 128 + signal,
            Exit::Budget => 124,
        }
    }
}

pub const SIGILL: i32 = 4;
pub const SIGTRAP: i32 = 5;
pub const SIGABRT: i32 = 6;
pub const SIGBUS: i32 = 7;
pub const SIGKILL: i32 = 9;
pub const SIGSEGV: i32 = 11;

/// The process: its PE, address space and kernel-side state.
pub struct Board {
    pub cpu: Cpu,
    pub mem: FlatMemory,
    /// Start and current end of the heap.
    brk_start: u64,
    brk: u64,
    /// mmap without a hint allocates downwards from here.
    mmap_next: u64,
    /// Syscall numbers already logged as unimplemented.
    logged: Vec<u64>,
    /// The PID and TID we report.
    pid: u32,
    /// What readlink("/proc/self/exe") answers.
    exe: String,
    /// Handlers, masks, pending signals and the alternate stack.
    signals: signal::Signals,
    /// The syscall that failed with EINTR, to restart (x0 as it was) if the signal that
    /// interrupted it is ignored or its handler asks for SA_RESTART.
    restart: Option<u64>,
    /// The mask rt_sigsuspend replaced while it waits, for the handler's frame to save.
    suspended_mask: Option<u64>,
    /// prctl's PR_SET_NAME name (NUL-padded) and PR_SET_DUMPABLE flag.
    comm: [u8; 16],
    dumpable: bool,
    /// `--trace`: when set, the board steps the PE one instruction at a time and reports
    /// each step here (`trace.rs`).
    pub tracer: Option<Box<dyn Tracer>>,
    /// Page numbers holding a private file mapping (`madvise` leaves them alone).
    file_pages: std::collections::HashSet<u64>,
}

/// What a program is started with.
pub struct Process<'a> {
    /// The ELF file's bytes.
    pub image: &'a [u8],
    /// argv, argv[0] first.
    pub args: &'a [String],
    pub env: &'a [String],
    /// AT_EXECFN: the path the program was started by.
    pub execfn: &'a str,
}

impl Board {
    /// Loads `process` on a PE with `config`. Refuses bad ELF files before any code runs.
    pub fn load(
        process: &Process,
        config: Config,
        host: &mut dyn Host,
    ) -> Result<Board, LoadError> {
        loader::load(process, config, host)
    }

    /// Runs until the process exits, is killed, or has retired `max_insns` instructions.
    pub fn run(&mut self, host: &mut dyn Host, max_insns: Option<u64>) -> Exit {
        let end = max_insns.map(|m| self.cpu.retired.saturating_add(m));
        loop {
            // Slices of at most SLICE instructions, so signals from outside arrive promptly.
            let budget = match end {
                Some(end) if self.cpu.retired >= end => return Exit::Budget,
                Some(end) => (end - self.cpu.retired).min(SLICE),
                None => SLICE,
            };
            if let Some(exit) = self.run_slice(host, budget) {
                return exit;
            }
        }
    }

    /// Runs at most `budget` instructions, stopping early at the first exception, which the
    /// emulated kernel then handles (a syscall, a signal); pending signals are delivered at
    /// the end. `Some` when the process has ended. A debugger steps with a budget of 1.
    pub fn run_slice(&mut self, host: &mut dyn Host, budget: u64) -> Option<Exit> {
        let stop = match self.tracer.as_deref_mut() {
            None => self.cpu.run(&mut self.mem, budget),
            Some(t) => {
                crate::trace::run_traced(&mut self.cpu, &mut self.mem, budget, t, &mut |m, pc| {
                    let mut buf = [0u8; 4];
                    m.peek(pc, &mut buf).ok().map(|()| u32::from_le_bytes(buf))
                })
            }
        };
        let before = self.tracer.is_some().then(|| self.cpu.state.clone());
        let exit = match stop {
            Stop::Budget => self.deliver_pending(host),
            Stop::Exception(Exception::SupervisorCall { .. }) => {
                // Exception entry and return clear the local monitor.
                self.cpu.monitor.marked = None;
                match self.syscall(host) {
                    Some(exit) => Some(exit),
                    None => self.deliver_pending(host),
                }
            }
            Stop::Exception(e) => self.fault(e),
        };
        // What the emulated kernel did to the registers, for the trace.
        if let (Some(before), Some(t)) = (before, self.tracer.as_deref_mut())
            && before != self.cpu.state
        {
            t.kernel(self.cpu.retired, &before, &self.cpu.state);
        }
        exit
    }

    /// The signal Linux sends for an exception the process cannot handle (no signal handlers
    /// yet), with the `specula:` line describing it.
    fn fatal(&mut self, e: Exception) -> Exit {
        let describe = |mem: &mut FlatMemory, pc: u64| {
            let mut buf = [0u8; 4];
            match mem.peek(pc, &mut buf) {
                Ok(()) => {
                    let word = u32::from_le_bytes(buf);
                    match decode(word) {
                        Some(id) => format!("{word:08x} ({id})"),
                        None => format!("{word:08x} (unallocated)"),
                    }
                }
                Err(_) => "(no instruction)".to_string(),
            }
        };
        let (signal, pc, what) = match e {
            Exception::Undefined { pc, .. } => (SIGILL, pc, "UNDEFINED instruction".to_string()),
            Exception::HypervisorCall { pc, .. }
            | Exception::SecureMonitorCall { pc, .. }
            | Exception::Trap { pc, .. }
            | Exception::IllegalState { pc }
            | Exception::BoardSysreg { pc, .. }
            | Exception::Debug { pc, .. }
            | Exception::WaitForInterrupt { pc } => {
                (SIGILL, pc, format!("system-mode exception {e:?}"))
            }
            Exception::Breakpoint { pc, imm } => (SIGTRAP, pc, format!("BRK #{imm:#x}")),
            Exception::Halt { pc, imm } => (SIGILL, pc, format!("HLT #{imm:#x} with no debugger")),
            Exception::InstructionAbort { pc, fault } => {
                let why = match fault.kind {
                    FaultKind::Translation => "unmapped",
                    _ => "non-executable",
                };
                (
                    SIGSEGV,
                    pc,
                    format!("instruction fetch from {why} address {:#x}", fault.va),
                )
            }
            Exception::DataAbort { pc, fault, .. } => {
                let access = if fault.access == AccessKind::Write {
                    "write to"
                } else {
                    "read of"
                };
                let (signal, why) = match fault.kind {
                    FaultKind::Translation => (SIGSEGV, "unmapped"),
                    FaultKind::Permission => (SIGSEGV, "protected"),
                    FaultKind::Alignment => (SIGBUS, "misaligned"),
                    FaultKind::External | FaultKind::ExternalOnWalk => (SIGBUS, "nonexistent"),
                    FaultKind::AccessFlag | FaultKind::AddressSize => (SIGSEGV, "unmapped"),
                    FaultKind::Watchpoint => (SIGTRAP, "watched"),
                };
                (
                    signal,
                    pc,
                    format!("{access} {why} address {:#x}", fault.va),
                )
            }
            Exception::PcAlignment { pc } => (SIGBUS, pc, "misaligned PC".to_string()),
            Exception::SpAlignment { pc, .. } => (SIGBUS, pc, "misaligned SP".to_string()),
            Exception::BranchTarget { pc, btype } => (
                SIGILL,
                pc,
                format!("branch target exception: BTYPE {btype:02b} into a guarded page"),
            ),
            Exception::PacFail { pc, data, key_b } => (
                SIGILL,
                pc,
                format!(
                    "pointer authentication failed (FEAT_FPAC) with the {} {} key",
                    if data { "data" } else { "instruction" },
                    if key_b { "B" } else { "A" }
                ),
            ),
            Exception::SupervisorCall { pc, .. } => (SIGSYS, pc, "SVC".to_string()),
        };
        let name = signal_name(signal);
        let insn = describe(&mut self.mem, pc);
        let reason = format!("specula: {name} at pc {pc:#x}: {insn}: {what}");
        Exit::Signal {
            signal,
            reason: Some(reason),
        }
    }
}

const SIGSYS: i32 = 31;

/// Instructions between two looks for signals from outside (about 10 ms).
const SLICE: u64 = 1 << 20;

pub fn signal_name(signal: i32) -> &'static str {
    match signal {
        SIGILL => "SIGILL",
        SIGTRAP => "SIGTRAP",
        SIGABRT => "SIGABRT",
        SIGBUS => "SIGBUS",
        SIGKILL => "SIGKILL",
        SIGSEGV => "SIGSEGV",
        SIGSYS => "SIGSYS",
        _ => "signal",
    }
}

/// Features whose behaviour is visible only at EL1 or above (translation, virtualization,
/// RAS, debug, ...), or which EL0 cannot reach under Linux (SPECRES's RCTX instructions need
/// SCTLR_EL1.EnRCTX, which Linux leaves clear). On this board the emulated kernel provides
/// them, so a CPU spec may include them although the interpreter has no EL1.
pub const KERNEL_PROVIDED: &[&str] = &[
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
    "FEAT_HPDS",
    "FEAT_Debugv8p1",
    "FEAT_Debugv8p2",
    "FEAT_Debugv8p4",
    "FEAT_PAN",
    "FEAT_PAN2",
    "FEAT_VHE",
    "FEAT_RAS",
    "FEAT_RASv1p1",
    "FEAT_RASSAv1p1",
    "FEAT_UAO",
    "FEAT_XNX",
    "FEAT_TTCNP",
    "FEAT_ASMv8p2",
    "FEAT_BBM",
    "FEAT_DoubleFault",
    "FEAT_IDST",
    "FEAT_S2FWB",
    "FEAT_SEL2",
    "FEAT_TLBIOS",
    "FEAT_TLBIRANGE",
    "FEAT_TTL",
    "FEAT_TTST",
    "FEAT_CSV2",
    "FEAT_CSV3",
    "FEAT_E0PD",
    "FEAT_EVT",
    "FEAT_GTG",
    "FEAT_SPECRES",
];
