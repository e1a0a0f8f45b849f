//! `specula run --gdb PORT` and `specula boot --gdb PORT`: a GDB remote stub (the `gdbstub`
//! crate's protocol, with `gdbstub_arch`'s AArch64 registers) over a board ([`DebugBoard`]:
//! the Linux user-mode board or `virt`). The guest waits for a debugger on 127.0.0.1:PORT
//! before its first instruction. On `virt`, addresses are virtual, translated as the running PE
//! would (its EL and MMU), and the stub follows the PE that is running. GDB can read and write X0–X30,
//! SP, PC, CPSR (NZCV), V0–V31, FPSR and FPCR, read and write memory, single-step, set
//! software breakpoints and read, write and access watchpoints, and continue to the exit.
//!
//! The board runs one instruction at a time while a debugger is attached (`Board::run_slice`
//! with a budget of 1), its syscalls and signals handled between instructions as usual. With
//! watchpoints set, each instruction first runs dry (`model::memory::Recording::dry`) to see
//! what it would access. When GDB detaches, the program runs on at full speed.

use std::net::{TcpListener, TcpStream};

use gdbstub::common::Signal;
use gdbstub::conn::ConnectionExt;
use gdbstub::stub::{DisconnectReason, GdbStub, SingleThreadStopReason, run_blocking};
use gdbstub::target::ext::base::BaseOps;
use gdbstub::target::ext::base::singlethread::{
    SingleThreadBase, SingleThreadResume, SingleThreadResumeOps, SingleThreadSingleStep,
    SingleThreadSingleStepOps,
};
use gdbstub::target::ext::breakpoints::{
    Breakpoints, BreakpointsOps, HwWatchpoint, HwWatchpointOps, SwBreakpoint, SwBreakpointOps,
    WatchKind,
};
use gdbstub::target::{Target, TargetError, TargetResult};
use gdbstub_arch::aarch64::AArch64;
use gdbstub_arch::aarch64::reg::AArch64CoreRegs;
use machines::linux_user::{Board, Exit, Host};
use model::interp::Cpu;
use model::memory::{AccessKind, Memory, Recording};

/// What the stub needs of a board.
pub trait DebugBoard {
    type Exit: Clone;
    type Mem: Memory;
    fn parts(&mut self) -> (&mut Cpu, &mut Self::Mem);
    /// Runs one instruction and whatever the board does after it; `Some` when the guest ended.
    fn step_one(&mut self) -> Option<Self::Exit>;
    /// Reads guest memory for the debugger (ignoring what the guest's permissions would).
    fn peek(&mut self, va: u64, buf: &mut [u8]) -> bool;
    fn poke(&mut self, va: u64, buf: &[u8]) -> bool;
    fn stop_reason(exit: &Self::Exit) -> SingleThreadStopReason<u64>;
    /// How the guest ended when GDB killed it.
    fn killed() -> Self::Exit;
}

/// The Linux user-mode board with its host.
pub struct UserDebug<'a> {
    pub board: &'a mut Board,
    pub host: &'a mut dyn Host,
}

impl DebugBoard for UserDebug<'_> {
    type Exit = Exit;
    type Mem = model::memory::FlatMemory;
    fn parts(&mut self) -> (&mut Cpu, &mut Self::Mem) {
        (&mut self.board.cpu, &mut self.board.mem)
    }
    fn step_one(&mut self) -> Option<Exit> {
        self.board.run_slice(&mut *self.host, 1)
    }
    fn peek(&mut self, va: u64, buf: &mut [u8]) -> bool {
        self.board.mem.peek(va, buf).is_ok()
    }
    fn poke(&mut self, va: u64, buf: &[u8]) -> bool {
        // Like ptrace's POKE: permissions do not apply, and code pages drop their decodes.
        self.board.mem.poke(va, buf).is_ok()
    }
    fn stop_reason(exit: &Exit) -> SingleThreadStopReason<u64> {
        match exit {
            Exit::Status(code) => SingleThreadStopReason::Exited(*code as u8),
            Exit::Signal { signal, .. } => {
                SingleThreadStopReason::Terminated(Signal(*signal as u8))
            }
            Exit::Budget => SingleThreadStopReason::Terminated(Signal::SIGKILL),
        }
    }
    fn killed() -> Exit {
        Exit::Signal {
            signal: 9,
            reason: None,
        }
    }
}

/// The `virt` board with its host.
pub struct VirtDebug<'a> {
    pub board: &'a mut machines::virt::Virt,
    pub host: &'a mut dyn machines::virt::Host,
}

impl DebugBoard for VirtDebug<'_> {
    type Exit = machines::virt::Exit;
    type Mem = model::mmu::Mmu<machines::virt::bus::Bus>;
    fn parts(&mut self) -> (&mut Cpu, &mut Self::Mem) {
        (&mut self.board.cpu, &mut self.board.bus)
    }
    fn step_one(&mut self) -> Option<Self::Exit> {
        self.board.run(&mut *self.host, 1)
    }
    fn peek(&mut self, va: u64, buf: &mut [u8]) -> bool {
        // Byte by byte, so Device memory's alignment rules do not get in the debugger's way.
        (0..buf.len()).all(|i| {
            self.board
                .bus
                .read(
                    va.wrapping_add(i as u64),
                    &mut buf[i..i + 1],
                    AccessKind::Read,
                )
                .is_ok()
        })
    }
    fn poke(&mut self, va: u64, buf: &[u8]) -> bool {
        (0..buf.len()).all(|i| {
            self.board
                .bus
                .write(va.wrapping_add(i as u64), &buf[i..i + 1])
                .is_ok()
        })
    }
    fn stop_reason(exit: &Self::Exit) -> SingleThreadStopReason<u64> {
        use machines::virt::Exit as E;
        match exit {
            E::PowerOff | E::Reset => SingleThreadStopReason::Exited(0),
            E::Semihosting(s) => SingleThreadStopReason::Exited(*s as u8),
            E::WaitsForever { .. } | E::Killed => {
                SingleThreadStopReason::Terminated(Signal::SIGKILL)
            }
        }
    }
    fn killed() -> Self::Exit {
        machines::virt::Exit::Killed
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Step,
    Continue,
}

/// Why the program stopped for the debugger.
enum Stop<X> {
    Breakpoint,
    Watch(WatchKind, u64),
    Ended(X),
}

struct Debuggee<'a, B: DebugBoard> {
    board: &'a mut B,
    breakpoints: Vec<u64>,
    watchpoints: Vec<(u64, u64, WatchKind)>,
    /// Where a watchpoint was last reported (PC, instructions retired), so that resuming
    /// runs that instruction instead of reporting it again.
    watch_reported: Option<(u64, u64)>,
    mode: Mode,
    exit: Option<B::Exit>,
}

impl<B: DebugBoard> Debuggee<'_, B> {
    /// Runs one instruction (and whatever the emulated kernel does after it), or stops before
    /// it when it would touch a watched address: AArch64 watchpoints are taken before the
    /// access, and GDB steps over the instruction itself once it knows.
    fn step_once(&mut self) -> Option<Stop<B::Exit>> {
        if let Some(exit) = &self.exit {
            return Some(Stop::Ended(exit.clone()));
        }
        let here = {
            let cpu = self.board.parts().0;
            (cpu.state.pc, cpu.retired)
        };
        if !self.watchpoints.is_empty()
            && self.watch_reported != Some(here)
            && let Some((kind, addr)) = self.would_hit_watchpoint()
        {
            self.watch_reported = Some(here);
            return Some(Stop::Watch(kind, addr));
        }
        self.watch_reported = None;
        if let Some(exit) = self.board.step_one() {
            self.exit = Some(exit.clone());
            return Some(Stop::Ended(exit));
        }
        if self.breakpoints.contains(&self.board.parts().0.state.pc) {
            return Some(Stop::Breakpoint);
        }
        None
    }

    /// Runs the next instruction dry (no memory written, the PE's state put back) to see its
    /// data accesses, and returns the first that a watchpoint covers.
    fn would_hit_watchpoint(&mut self) -> Option<(WatchKind, u64)> {
        let (cpu, mem) = self.board.parts();
        let (state, monitor, retired) = (cpu.state.clone(), cpu.monitor, cpu.retired);
        let mut dry = Recording::dry(mem);
        let _ = cpu.step(&mut dry);
        let accesses = dry.accesses;
        cpu.state = state;
        cpu.monitor = monitor;
        cpu.retired = retired;
        for a in &accesses {
            for &(addr, len, kind) in &self.watchpoints {
                let overlaps =
                    a.va < addr.wrapping_add(len) && addr < a.va.wrapping_add(a.size as u64);
                let wanted = match kind {
                    WatchKind::Write => a.write,
                    WatchKind::Read => !a.write,
                    WatchKind::ReadWrite => true,
                };
                if overlaps && wanted {
                    let kind = if a.write {
                        WatchKind::Write
                    } else {
                        WatchKind::Read
                    };
                    return Some((kind, a.va.max(addr)));
                }
            }
        }
        None
    }
}

fn stop_reason<B: DebugBoard>(stop: Stop<B::Exit>) -> SingleThreadStopReason<u64> {
    match stop {
        Stop::Breakpoint => SingleThreadStopReason::SwBreak(()),
        Stop::Watch(kind, addr) => SingleThreadStopReason::Watch {
            tid: (),
            kind,
            addr,
        },
        Stop::Ended(exit) => B::stop_reason(&exit),
    }
}

impl<B: DebugBoard> Target for Debuggee<'_, B> {
    type Arch = AArch64;
    type Error = &'static str;

    fn base_ops(&mut self) -> BaseOps<'_, Self::Arch, Self::Error> {
        BaseOps::SingleThread(self)
    }

    fn support_breakpoints(&mut self) -> Option<BreakpointsOps<'_, Self>> {
        Some(self)
    }
}

impl<B: DebugBoard> SingleThreadBase for Debuggee<'_, B> {
    fn read_registers(&mut self, regs: &mut AArch64CoreRegs) -> TargetResult<(), Self> {
        let s = &self.board.parts().0.state;
        regs.x = s.x;
        regs.sp = s.sp();
        regs.pc = s.pc;
        regs.cpsr = s.pstate.spsr() as u32;
        regs.v = s.v;
        regs.fpcr = s.fpcr as u32;
        regs.fpsr = s.fpsr as u32;
        Ok(())
    }

    fn write_registers(&mut self, regs: &AArch64CoreRegs) -> TargetResult<(), Self> {
        let s = &mut self.board.parts().0.state;
        s.x = regs.x;
        s.set_sp(regs.sp);
        s.pc = regs.pc;
        // EL0 may change only the flags of PSTATE.
        s.pstate.set_nzcv((regs.cpsr >> 28) as u8);
        s.v = regs.v;
        s.fpcr = u64::from(regs.fpcr);
        s.fpsr = u64::from(regs.fpsr);
        Ok(())
    }

    fn read_addrs(&mut self, start: u64, data: &mut [u8]) -> TargetResult<usize, Self> {
        if self.board.peek(start, data) {
            return Ok(data.len());
        }
        // Up to the first unmapped byte.
        let mut n = 0;
        while n < data.len()
            && self
                .board
                .peek(start.wrapping_add(n as u64), &mut data[n..n + 1])
        {
            n += 1;
        }
        if n == 0 {
            return Err(TargetError::NonFatal);
        }
        Ok(n)
    }

    fn write_addrs(&mut self, start: u64, data: &[u8]) -> TargetResult<(), Self> {
        if self.board.poke(start, data) {
            Ok(())
        } else {
            Err(TargetError::NonFatal)
        }
    }

    fn support_resume(&mut self) -> Option<SingleThreadResumeOps<'_, Self>> {
        Some(self)
    }
}

impl<B: DebugBoard> SingleThreadResume for Debuggee<'_, B> {
    fn resume(&mut self, _signal: Option<Signal>) -> Result<(), Self::Error> {
        self.mode = Mode::Continue;
        Ok(())
    }

    fn support_single_step(&mut self) -> Option<SingleThreadSingleStepOps<'_, Self>> {
        Some(self)
    }
}

impl<B: DebugBoard> SingleThreadSingleStep for Debuggee<'_, B> {
    fn step(&mut self, _signal: Option<Signal>) -> Result<(), Self::Error> {
        self.mode = Mode::Step;
        Ok(())
    }
}

impl<B: DebugBoard> Breakpoints for Debuggee<'_, B> {
    fn support_sw_breakpoint(&mut self) -> Option<SwBreakpointOps<'_, Self>> {
        Some(self)
    }

    fn support_hw_watchpoint(&mut self) -> Option<HwWatchpointOps<'_, Self>> {
        Some(self)
    }
}

impl<B: DebugBoard> SwBreakpoint for Debuggee<'_, B> {
    fn add_sw_breakpoint(&mut self, addr: u64, _kind: usize) -> TargetResult<bool, Self> {
        self.breakpoints.push(addr);
        Ok(true)
    }

    fn remove_sw_breakpoint(&mut self, addr: u64, _kind: usize) -> TargetResult<bool, Self> {
        match self.breakpoints.iter().position(|&b| b == addr) {
            Some(i) => {
                self.breakpoints.remove(i);
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

impl<B: DebugBoard> HwWatchpoint for Debuggee<'_, B> {
    fn add_hw_watchpoint(
        &mut self,
        addr: u64,
        len: u64,
        kind: WatchKind,
    ) -> TargetResult<bool, Self> {
        self.watchpoints.push((addr, len, kind));
        Ok(true)
    }

    fn remove_hw_watchpoint(
        &mut self,
        addr: u64,
        len: u64,
        kind: WatchKind,
    ) -> TargetResult<bool, Self> {
        match self
            .watchpoints
            .iter()
            .position(|&w| w == (addr, len, kind))
        {
            Some(i) => {
                self.watchpoints.remove(i);
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

struct EventLoop<'a, B>(std::marker::PhantomData<&'a B>);

impl<'a, B: DebugBoard> run_blocking::BlockingEventLoop for EventLoop<'a, B> {
    type Target = Debuggee<'a, B>;
    type Connection = TcpStream;
    type StopReason = SingleThreadStopReason<u64>;

    #[allow(clippy::type_complexity)]
    fn wait_for_stop_reason(
        target: &mut Debuggee<'a, B>,
        conn: &mut TcpStream,
    ) -> Result<
        run_blocking::Event<Self::StopReason>,
        run_blocking::WaitForStopReasonError<&'static str, std::io::Error>,
    > {
        if target.mode == Mode::Step {
            let stop = target.step_once();
            return Ok(run_blocking::Event::TargetStopped(match stop {
                Some(stop) => stop_reason::<B>(stop),
                None => SingleThreadStopReason::DoneStep,
            }));
        }
        let mut n = 0u64;
        loop {
            // Ask the connection now and then whether GDB wants to interrupt.
            if n.is_multiple_of(4096) && conn.peek().map(|b| b.is_some()).unwrap_or(true) {
                let byte = conn
                    .read()
                    .map_err(run_blocking::WaitForStopReasonError::Connection)?;
                return Ok(run_blocking::Event::IncomingData(byte));
            }
            n += 1;
            if let Some(stop) = target.step_once() {
                return Ok(run_blocking::Event::TargetStopped(stop_reason::<B>(stop)));
            }
        }
    }

    fn on_interrupt(
        _target: &mut Debuggee<'a, B>,
    ) -> Result<Option<SingleThreadStopReason<u64>>, &'static str> {
        Ok(Some(SingleThreadStopReason::Signal(Signal::SIGINT)))
    }
}

/// Waits for GDB on 127.0.0.1:`port` and serves it until it detaches or the guest ends.
/// Returns how the guest ended, or `None` when GDB detached with the guest still running (the
/// caller then runs it on at full speed).
pub fn serve<B: DebugBoard>(port: u16, board: &mut B) -> Result<Option<B::Exit>, String> {
    let listener =
        TcpListener::bind(("127.0.0.1", port)).map_err(|e| format!("--gdb {port}: {e}"))?;
    eprintln!("specula: waiting for gdb on 127.0.0.1:{port}");
    let (stream, _) = listener
        .accept()
        .map_err(|e| format!("--gdb {port}: {e}"))?;
    let _ = stream.set_nodelay(true);
    let mut target = Debuggee {
        board,
        breakpoints: Vec::new(),
        watchpoints: Vec::new(),
        watch_reported: None,
        mode: Mode::Continue,
        exit: None,
    };
    let result = GdbStub::new(stream).run_blocking::<EventLoop<'_, B>>(&mut target);
    let exit = target.exit.take();
    match (result, exit) {
        (_, Some(exit)) => Ok(Some(exit)),
        (Ok(DisconnectReason::Kill), None) => Ok(Some(B::killed())),
        (Ok(_), None) => Ok(None),
        (Err(e), None) => Err(format!("gdb: {e}")),
    }
}
