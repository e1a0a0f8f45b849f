//! Signals, as arm64 Linux delivers them: `rt_sigaction`, `rt_sigprocmask`, `sigaltstack`,
//! `rt_sigreturn`, `kill`/`tkill`/`tgkill` to ourselves, and the synchronous faults the PE
//! reports as [`Exception`] values (SIGSEGV, SIGBUS, SIGILL, SIGTRAP).
//!
//! The frame is arch/arm64/kernel/signal.c's `rt_sigframe`: a 128-byte `siginfo`, then the
//! `ucontext` whose `mcontext` holds `fault_address`, X0-X30, SP, PC and PSTATE (SPSR layout),
//! and whose `__reserved` area holds the FPSIMD record, the ESR record (the architectural
//! ESR_EL1 value for the fault) and a null terminator; a frame record (X29, X30) sits just
//! above it. The handler returns to `SA_RESTORER`'s address when given, otherwise to the
//! board's trampoline `mov x8, #139; svc #0` at [`SIGTRAMP`], our stand-in for the vDSO's
//! `__kernel_rt_sigreturn`.

use super::{Board, Disposition, Errno, Exit, Host, SIGBUS, SIGILL, SIGKILL, SIGSEGV, SIGTRAP};
use model::interp::Exception;
use model::memory::{AccessKind, FaultKind, Memory, PAGE_SIZE, Perms};

/// Where the board maps its sigreturn trampoline (one read-execute page above the stack).
pub const SIGTRAMP: u64 = 0x0000_7fff_f800_0000;

const SIGSTOP: usize = 19;
const SA_SIGINFO: u64 = 0x4;
const SA_ONSTACK: u64 = 0x0800_0000;
const SA_RESTART: u64 = 0x1000_0000;
const SA_NODEFER: u64 = 0x4000_0000;
const SA_RESETHAND: u64 = 0x8000_0000;
const SA_RESTORER: u64 = 0x0400_0000;
const SS_ONSTACK: u32 = 1;
const SS_DISABLE: u32 = 2;
const SS_AUTODISARM: u32 = 1 << 31;
const MINSIGSTKSZ: u64 = 5120;

const EINVAL: Errno = 22;
const EFAULT: Errno = 14;
const EPERM: Errno = 1;
const ENOMEM: Errno = 12;
const ESRCH: Errno = 3;

const SI_USER: i32 = 0;
const SI_TKILL: i32 = -6;

const SIGINFO_SIZE: u64 = 128;
const UC_SIGMASK: u64 = 40;
const UC_MCONTEXT: u64 = 176;
const MC_RESERVED: u64 = 288;
const RESERVED_SIZE: u64 = 4096;
/// sizeof(struct rt_sigframe).
const FRAME_SIZE: u64 = SIGINFO_SIZE + UC_MCONTEXT + MC_RESERVED + RESERVED_SIZE;
const FPSIMD_MAGIC: u32 = 0x4650_8001;
const FPSIMD_SIZE: u32 = 528;
const ESR_MAGIC: u32 = 0x4553_5201;
const ESR_SIZE: u32 = 16;

/// One `struct sigaction` as the kernel keeps it.
#[derive(Clone, Copy, Debug, Default)]
struct Action {
    handler: u64,
    flags: u64,
    restorer: u64,
    mask: u64,
}

/// What the siginfo says besides the signal number.
#[derive(Clone, Copy, Debug)]
struct Info {
    code: i32,
    /// si_addr for faults; (si_pid, si_uid) for kills.
    addr: u64,
    sender: Option<(u32, u32)>,
}

/// The process's signal state.
#[derive(Clone, Debug)]
pub struct Signals {
    actions: [Action; 64],
    /// Blocked signals, bit `sig - 1`.
    blocked: u64,
    /// Pending signals sent by kill and their siginfo.
    pending: u64,
    pending_info: [i32; 64],
    /// sigaltstack: sp, size, flags (0 or SS_DISABLE, plus SS_AUTODISARM).
    alt_sp: u64,
    alt_size: u64,
    alt_flags: u32,
    tramp_mapped: bool,
}

impl Default for Signals {
    fn default() -> Signals {
        Signals {
            actions: [Action::default(); 64],
            blocked: 0,
            pending: 0,
            pending_info: [0; 64],
            alt_sp: 0,
            alt_size: 0,
            alt_flags: SS_DISABLE,
            tramp_mapped: false,
        }
    }
}

impl Signals {
    /// Tells the host that the caught signals from outside go back to their default action,
    /// as execve does to every caught signal.
    pub(super) fn uncatch_for_exec(&self, host: &mut dyn Host) {
        for (i, a) in self.actions.iter().enumerate() {
            if a.handler > 1 && from_outside(i + 1) {
                host.signal_disposition(i as i32 + 1, Disposition::Default);
            }
        }
    }

    /// What execve keeps: the mask, pending signals and ignored dispositions.
    pub(super) fn after_exec(self) -> Signals {
        let mut s = Signals {
            blocked: self.blocked,
            pending: self.pending,
            pending_info: self.pending_info,
            ..Signals::default()
        };
        for (new, old) in s.actions.iter_mut().zip(self.actions) {
            if old.handler == 1 {
                new.handler = 1;
            }
        }
        s
    }
}

fn bit(sig: usize) -> u64 {
    1 << (sig - 1)
}

/// The signals another process or the terminal may send, which the host forwards: all but
/// SIGKILL and SIGSTOP (the host acts on them itself) and those a fault raises (SIGILL, SIGTRAP,
/// SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGSYS), which the emulator must keep for itself.
const FROM_OUTSIDE: u64 = !(bit_const(4)
    | bit_const(5)
    | bit_const(6)
    | bit_const(7)
    | bit_const(8)
    | bit_const(9)
    | bit_const(11)
    | bit_const(19)
    | bit_const(31));

const fn bit_const(sig: usize) -> u64 {
    1 << (sig - 1)
}

fn from_outside(sig: usize) -> bool {
    FROM_OUTSIDE & bit(sig) != 0
}

/// The host disposition that matches a guest handler value.
fn disposition(handler: u64) -> Disposition {
    match handler {
        0 => Disposition::Default,
        1 => Disposition::Ignore,
        _ => Disposition::Catch,
    }
}

const UNBLOCKABLE: u64 = (1 << (SIGKILL as usize - 1)) | (1 << (SIGSTOP - 1));

/// Signals whose default action is to do nothing (SIGCHLD, SIGCONT, SIGURG, SIGWINCH; the stop
/// signals too, as we have no job control).
fn default_ignored(sig: usize) -> bool {
    matches!(sig, 17 | 18 | 19 | 20 | 21 | 22 | 23 | 28)
}

/// The signal, siginfo and ESR_EL1 Linux derives from an exception taken from EL0.
fn classify(e: &Exception) -> (i32, Info, u64, u64) {
    const IL: u64 = 1 << 25;
    let fault = |code, addr| Info {
        code,
        addr,
        sender: None,
    };
    // Translation and permission faults are reported at level 3: the board's page map has no
    // tables, so we say what a last-level PTE would.
    let fsc = |k: FaultKind| -> u64 {
        match k {
            FaultKind::Translation => 0b000111,
            FaultKind::Permission => 0b001111,
            FaultKind::Alignment => 0b100001,
            FaultKind::External | FaultKind::ExternalOnWalk => 0b010000,
            FaultKind::AccessFlag => 0b001011,
            FaultKind::AddressSize => 0b000011,
            FaultKind::Watchpoint => 0b100010,
        }
    };
    match *e {
        // The system-mode exceptions never reach a user-mode board; if one did, it would be
        // an instruction the process may not execute.
        Exception::Undefined { pc, .. }
        | Exception::Halt { pc, .. }
        | Exception::HypervisorCall { pc, .. }
        | Exception::SecureMonitorCall { pc, .. }
        | Exception::Trap { pc, .. }
        | Exception::IllegalState { pc }
        | Exception::BoardSysreg { pc, .. }
        | Exception::Debug { pc, .. }
        | Exception::WaitForInterrupt { pc } => {
            (SIGILL, fault(1, pc), 0, IL) // ILL_ILLOPC; EC 0x00
        }
        Exception::Breakpoint { pc, imm } => (
            SIGTRAP,
            fault(1, pc), // TRAP_BRKPT
            0,
            (0x3c << 26) | IL | u64::from(imm),
        ),
        Exception::InstructionAbort { fault: f, .. } => {
            let code = if f.kind == FaultKind::Translation {
                1
            } else {
                2
            };
            let sig = if f.kind == FaultKind::Alignment {
                SIGBUS
            } else {
                SIGSEGV
            };
            (
                sig,
                fault(code, f.va),
                f.va,
                (0x20 << 26) | IL | fsc(f.kind),
            )
        }
        Exception::DataAbort { fault: f, .. } => {
            let (sig, code) = match f.kind {
                FaultKind::Translation => (SIGSEGV, 1), // SEGV_MAPERR
                FaultKind::Permission => (SIGSEGV, 2),  // SEGV_ACCERR
                FaultKind::Alignment => (SIGBUS, 1),    // BUS_ADRALN
                FaultKind::External | FaultKind::ExternalOnWalk => (SIGBUS, 3), // BUS_OBJERR
                FaultKind::AccessFlag | FaultKind::AddressSize => (SIGSEGV, 1),
                FaultKind::Watchpoint => (SIGTRAP, 4), // TRAP_HWBKPT
            };
            let wnr = if f.access == AccessKind::Write {
                1 << 6
            } else {
                0
            };
            (
                sig,
                fault(code, f.va),
                f.va,
                (0x24 << 26) | IL | wnr | fsc(f.kind),
            )
        }
        Exception::PcAlignment { pc } => (SIGBUS, fault(1, pc), pc, (0x22 << 26) | IL),
        Exception::SpAlignment { pc, .. } => (SIGBUS, fault(1, pc), pc, (0x26 << 26) | IL),
        Exception::BranchTarget { pc, btype } => (
            SIGILL,
            fault(8, pc), // ILL_BTCFI
            0,
            (0x0d << 26) | IL | u64::from(btype),
        ),
        // Linux's do_el0_fpac: SIGILL, ILL_ILLOPN, with the PAC Fail syndrome.
        Exception::PacFail { pc, data, key_b } => (
            SIGILL,
            fault(2, pc), // ILL_ILLOPN
            0,
            (0x1c << 26) | IL | u64::from(data) << 1 | u64::from(key_b),
        ),
        Exception::SupervisorCall { pc, imm } => {
            (31, fault(1, pc), 0, (0x15 << 26) | IL | u64::from(imm))
        }
    }
}

impl Board {
    fn sig_put(&mut self, addr: u64, bytes: &[u8]) -> Result<(), Errno> {
        self.mem.write(addr, bytes).map_err(|_| EFAULT)
    }

    fn sig_get<const N: usize>(&mut self, addr: u64) -> Result<[u8; N], Errno> {
        let mut b = [0u8; N];
        self.mem
            .read(addr, &mut b, AccessKind::Read)
            .map_err(|_| EFAULT)?;
        Ok(b)
    }

    fn sig_get64(&mut self, addr: u64) -> Result<u64, Errno> {
        self.sig_get::<8>(addr).map(u64::from_le_bytes)
    }

    fn sig_get32(&mut self, addr: u64) -> Result<u32, Errno> {
        self.sig_get::<4>(addr).map(u32::from_le_bytes)
    }

    /// rt_sigaction(sig, act, oact, sigsetsize). The host learns the new disposition of a
    /// signal that can come from outside.
    pub(super) fn rt_sigaction(
        &mut self,
        host: &mut dyn Host,
        sig: u64,
        act: u64,
        oact: u64,
        size: u64,
    ) -> Result<u64, Errno> {
        if size != 8 || !(1..=64).contains(&sig) {
            return Err(EINVAL);
        }
        let i = sig as usize - 1;
        if act != 0 && bit(sig as usize) & UNBLOCKABLE != 0 {
            return Err(EINVAL);
        }
        let new = if act != 0 {
            Some(Action {
                handler: self.sig_get64(act)?,
                flags: self.sig_get64(act + 8)?,
                restorer: self.sig_get64(act + 16)?,
                mask: self.sig_get64(act + 24)? & !UNBLOCKABLE,
            })
        } else {
            None
        };
        if oact != 0 {
            let o = self.signals.actions[i];
            let mut b = [0u8; 32];
            for (k, v) in [o.handler, o.flags, o.restorer, o.mask]
                .into_iter()
                .enumerate()
            {
                b[k * 8..k * 8 + 8].copy_from_slice(&v.to_le_bytes());
            }
            self.sig_put(oact, &b)?;
        }
        if let Some(a) = new {
            self.signals.actions[i] = a;
            if a.handler == 1 || (a.handler == 0 && default_ignored(i + 1)) {
                self.signals.pending &= !bit(i + 1);
            }
            if from_outside(i + 1) {
                host.signal_disposition(sig as i32, disposition(a.handler));
            }
        }
        Ok(0)
    }

    /// rt_sigsuspend(mask, sigsetsize): waits with `mask` blocked for a signal that runs a
    /// handler or ends the process; the handler's frame restores the mask it replaced.
    pub(super) fn rt_sigsuspend(
        &mut self,
        host: &mut dyn Host,
        mask: u64,
        size: u64,
    ) -> Result<u64, Errno> {
        if size != 8 {
            return Err(EINVAL);
        }
        let wait_mask = self.sig_get64(mask)? & !UNBLOCKABLE;
        let old = self.signals.blocked;
        loop {
            self.signals.pending |= host.take_signals();
            let ready = self.signals.pending & !wait_mask;
            // Signals that would be ignored do not end the wait; Linux discards them.
            let ignored = (0..64)
                .filter(|&i| ready & (1 << i) != 0)
                .filter(|&i| {
                    let h = self.signals.actions[i].handler;
                    h == 1 || (h == 0 && default_ignored(i + 1))
                })
                .fold(0u64, |m, i| m | 1 << i);
            self.signals.pending &= !ignored;
            if ready & !ignored != 0 {
                break;
            }
            host.sleep(1_000_000);
        }
        // Deliver under the suspend mask; the handler's frame saves the old one.
        self.signals.blocked = wait_mask;
        self.suspended_mask = Some(old);
        Err(4) // EINTR
    }

    /// rt_sigprocmask(how, set, oldset, sigsetsize).
    pub(super) fn rt_sigprocmask(
        &mut self,
        how: u64,
        set: u64,
        old: u64,
        size: u64,
    ) -> Result<u64, Errno> {
        if size != 8 {
            return Err(EINVAL);
        }
        let new = if set != 0 {
            Some(self.sig_get64(set)?)
        } else {
            None
        };
        let cur = self.signals.blocked;
        if let Some(s) = new {
            self.signals.blocked = match how {
                0 => cur | s,
                1 => cur & !s,
                2 => s,
                _ => return Err(EINVAL),
            } & !UNBLOCKABLE;
        }
        if old != 0 {
            self.sig_put(old, &cur.to_le_bytes())?;
        }
        Ok(0)
    }

    fn on_altstack(&self, sp: u64) -> bool {
        let s = &self.signals;
        s.alt_flags & SS_DISABLE == 0 && sp.wrapping_sub(s.alt_sp) < s.alt_size
    }

    fn altstack_flags(&self) -> u32 {
        if self.signals.alt_flags & SS_DISABLE != 0 {
            SS_DISABLE
        } else if self.on_altstack(self.cpu.state.sp()) {
            SS_ONSTACK
        } else {
            self.signals.alt_flags & SS_AUTODISARM
        }
    }

    /// sigaltstack(ss, old_ss).
    pub(super) fn sigaltstack(&mut self, ss: u64, old: u64) -> Result<u64, Errno> {
        let new = if ss != 0 {
            Some((
                self.sig_get64(ss)?,
                self.sig_get32(ss + 8)?,
                self.sig_get64(ss + 16)?,
            ))
        } else {
            None
        };
        if old != 0 {
            let mut b = [0u8; 24];
            b[0..8].copy_from_slice(&self.signals.alt_sp.to_le_bytes());
            b[8..12].copy_from_slice(&self.altstack_flags().to_le_bytes());
            b[16..24].copy_from_slice(&self.signals.alt_size.to_le_bytes());
            self.sig_put(old, &b)?;
        }
        if let Some((sp, flags, size)) = new {
            self.set_altstack(sp, flags, size)?;
        }
        Ok(0)
    }

    fn set_altstack(&mut self, sp: u64, flags: u32, size: u64) -> Result<(), Errno> {
        if self.on_altstack(self.cpu.state.sp()) {
            return Err(EPERM);
        }
        let mode = flags & !SS_AUTODISARM;
        if mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK {
            return Err(EINVAL);
        }
        if mode == SS_DISABLE {
            self.signals.alt_sp = 0;
            self.signals.alt_size = 0;
            self.signals.alt_flags = SS_DISABLE;
        } else {
            if size < MINSIGSTKSZ {
                return Err(ENOMEM);
            }
            self.signals.alt_sp = sp;
            self.signals.alt_size = size;
            self.signals.alt_flags = flags & SS_AUTODISARM;
        }
        Ok(())
    }

    /// kill(pid, sig): ourselves, or another process (a forked child) through the host, which
    /// sends it a host signal: its emulator then ends as that signal's default action would.
    pub(super) fn kill_process(
        &mut self,
        host: &mut dyn Host,
        target: i64,
        sig: u64,
    ) -> Result<u64, Errno> {
        if target > 0 && target != i64::from(self.pid) {
            if sig > 64 {
                return Err(EINVAL);
            }
            host.kill(target as i32, sig as i32)?;
            return Ok(0);
        }
        self.kill(target, sig, false)
    }

    /// kill (`thread` false) or tkill/tgkill to `target`: only ourselves exists.
    pub(super) fn kill(&mut self, target: i64, sig: u64, thread: bool) -> Result<u64, Errno> {
        if sig > 64 {
            return Err(EINVAL);
        }
        let me = i64::from(self.pid);
        let ok = if thread {
            target == me
        } else {
            target == me || target == 0 || target == -1
        };
        if !ok {
            return Err(if target <= 0 && thread { EINVAL } else { ESRCH });
        }
        if sig != 0 {
            let i = sig as usize - 1;
            self.signals.pending |= bit(sig as usize);
            self.signals.pending_info[i] = if thread { SI_TKILL } else { SI_USER };
        }
        Ok(0)
    }

    /// Delivers the pending signals that are not blocked, after a syscall. `Some` when one
    /// ends the process.
    pub(super) fn deliver_pending(&mut self, host: &mut dyn Host) -> Option<Exit> {
        self.signals.pending |= host.take_signals() & FROM_OUTSIDE;
        let restart = self.restart.take();
        let exit = self.deliver_ready(restart);
        if let Some(old) = self.suspended_mask.take() {
            self.signals.blocked = old;
        }
        exit
    }

    /// `deliver_pending`'s loop; `restart` is the interrupted syscall's x0, if one was.
    fn deliver_ready(&mut self, mut restart: Option<u64>) -> Option<Exit> {
        loop {
            let ready = self.signals.pending & !self.signals.blocked;
            if ready == 0 {
                // Nothing ran a handler: an interrupted syscall restarts, as on Linux.
                if let Some(x0) = restart {
                    self.cpu.state.x[0] = x0;
                    self.cpu.state.pc = self.cpu.state.pc.wrapping_sub(4);
                }
                return None;
            }
            let sig = ready.trailing_zeros() as usize + 1;
            self.signals.pending &= !bit(sig);
            let info = Info {
                code: self.signals.pending_info[sig - 1],
                addr: 0,
                sender: Some((self.pid, super::loader::UID as u32)),
            };
            let a = self.signals.actions[sig - 1];
            if a.handler == 1 || (a.handler == 0 && default_ignored(sig)) {
                continue;
            }
            if a.handler == 0 {
                return Some(Exit::Signal {
                    signal: sig as i32,
                    reason: None,
                });
            }
            if let Some(x0) = restart.take()
                && a.flags & SA_RESTART != 0
            {
                self.cpu.state.x[0] = x0;
                self.cpu.state.pc = self.cpu.state.pc.wrapping_sub(4);
            }
            let pc = self.cpu.state.pc;
            if self.setup_frame(sig, info, 0, None, pc).is_err() {
                return Some(Exit::Signal {
                    signal: SIGSEGV,
                    reason: Some("specula: could not write a signal frame".into()),
                });
            }
        }
    }

    /// An exception the PE took: delivered to the guest's handler when it has one (Linux
    /// forces the signal: a blocked or ignored one kills the process), else the end.
    pub(super) fn fault(&mut self, e: Exception) -> Option<Exit> {
        let (sig, info, fault_address, esr) = classify(&e);
        let sig_u = sig as usize;
        let a = self.signals.actions[sig_u - 1];
        if a.handler <= 1 || self.signals.blocked & bit(sig_u) != 0 {
            return Some(self.fatal(e));
        }
        let pc = match e {
            Exception::Undefined { pc, .. }
            | Exception::Breakpoint { pc, .. }
            | Exception::Halt { pc, .. }
            | Exception::InstructionAbort { pc, .. }
            | Exception::DataAbort { pc, .. }
            | Exception::PcAlignment { pc }
            | Exception::SpAlignment { pc, .. }
            | Exception::BranchTarget { pc, .. }
            | Exception::PacFail { pc, .. }
            | Exception::Trap { pc, .. }
            | Exception::BoardSysreg { pc, .. }
            | Exception::Debug { pc, .. }
            | Exception::IllegalState { pc } => pc,
            Exception::HypervisorCall { .. }
            | Exception::SecureMonitorCall { .. }
            | Exception::WaitForInterrupt { .. } => self.cpu.state.pc,
            Exception::SupervisorCall { .. } => self.cpu.state.pc,
        };
        self.cpu.monitor.marked = None;
        match self.setup_frame(sig_u, info, fault_address, Some(esr), pc) {
            Ok(()) => None,
            Err(_) => Some(self.fatal(e)),
        }
    }

    fn map_trampoline(&mut self) {
        if !self.signals.tramp_mapped {
            self.mem.map(SIGTRAMP, PAGE_SIZE, Perms::RX);
            // mov x8, #139; svc #0
            let code = [0xd280_1168u32, 0xd400_0001];
            let bytes: Vec<u8> = code.iter().flat_map(|w| w.to_le_bytes()).collect();
            let _ = self.mem.poke(SIGTRAMP, &bytes);
            self.signals.tramp_mapped = true;
        }
    }

    fn spsr(&self) -> u64 {
        self.cpu.state.pstate.spsr()
    }

    /// Builds the rt_sigframe for `sig` and enters its handler with PC `pc` saved.
    fn setup_frame(
        &mut self,
        sig: usize,
        info: Info,
        fault_address: u64,
        esr: Option<u64>,
        pc: u64,
    ) -> Result<(), Errno> {
        let a = self.signals.actions[sig - 1];
        let old_sp = self.cpu.state.sp();
        let mut top = old_sp;
        let uc_stack_flags = self.altstack_flags();
        if a.flags & SA_ONSTACK != 0
            && self.signals.alt_flags & SS_DISABLE == 0
            && !self.on_altstack(old_sp)
        {
            top = self.signals.alt_sp.wrapping_add(self.signals.alt_size);
        }
        let record = (top.wrapping_sub(16)) & !15;
        let frame = (record.wrapping_sub(FRAME_SIZE)) & !15;
        let s = self.cpu.state.clone();
        let mut f = vec![0u8; FRAME_SIZE as usize];
        let mut w = |off: u64, v: &[u8]| f[off as usize..off as usize + v.len()].copy_from_slice(v);
        // siginfo
        w(0, &(sig as i32).to_le_bytes());
        w(8, &info.code.to_le_bytes());
        match info.sender {
            Some((pid, uid)) => {
                w(16, &pid.to_le_bytes());
                w(20, &uid.to_le_bytes());
            }
            None => w(16, &info.addr.to_le_bytes()),
        }
        // ucontext: uc_flags, uc_link, uc_stack, uc_sigmask
        let uc = SIGINFO_SIZE;
        w(uc + 16, &self.signals.alt_sp.to_le_bytes());
        w(uc + 24, &uc_stack_flags.to_le_bytes());
        w(uc + 32, &self.signals.alt_size.to_le_bytes());
        // The mask sigreturn restores: the one rt_sigsuspend replaced, if it was waiting.
        let saved_mask = self.suspended_mask.take().unwrap_or(self.signals.blocked);
        w(uc + UC_SIGMASK, &saved_mask.to_le_bytes());
        // mcontext
        let mc = uc + UC_MCONTEXT;
        w(mc, &fault_address.to_le_bytes());
        for (i, x) in s.x.iter().enumerate() {
            w(mc + 8 + 8 * i as u64, &x.to_le_bytes());
        }
        w(mc + 256, &old_sp.to_le_bytes());
        w(mc + 264, &pc.to_le_bytes());
        w(mc + 272, &self.spsr().to_le_bytes());
        // __reserved: FPSIMD, ESR, end.
        let mut r = mc + MC_RESERVED;
        w(r, &FPSIMD_MAGIC.to_le_bytes());
        w(r + 4, &FPSIMD_SIZE.to_le_bytes());
        w(r + 8, &(s.fpsr as u32).to_le_bytes());
        w(r + 12, &(s.fpcr as u32).to_le_bytes());
        for (i, v) in s.v.iter().enumerate() {
            w(r + 16 + 16 * i as u64, &v.to_le_bytes());
        }
        r += u64::from(FPSIMD_SIZE);
        if let Some(esr) = esr {
            w(r, &ESR_MAGIC.to_le_bytes());
            w(r + 4, &ESR_SIZE.to_le_bytes());
            w(r + 8, &esr.to_le_bytes());
        }
        // The null terminator is already there.
        let mut fr = [0u8; 16];
        fr[..8].copy_from_slice(&s.x[29].to_le_bytes());
        fr[8..].copy_from_slice(&s.x[30].to_le_bytes());
        self.sig_put(record, &fr)?;
        self.sig_put(frame, &f)?;

        let lr = if a.flags & SA_RESTORER != 0 {
            a.restorer
        } else {
            self.map_trampoline();
            SIGTRAMP
        };
        let st = &mut self.cpu.state;
        st.x[0] = sig as u64;
        st.x[1] = frame;
        st.x[2] = frame + uc;
        st.x[29] = record;
        st.x[30] = lr;
        st.set_sp(frame);
        st.pc = a.handler;
        // Linux enters handlers as if by BLR, so a guarded handler must start with a pad.
        st.pstate.btype = if self.cpu.config.features.bti {
            0b10
        } else {
            0
        };
        if uc_stack_flags & SS_AUTODISARM != 0 && top != old_sp {
            self.signals.alt_sp = 0;
            self.signals.alt_size = 0;
            self.signals.alt_flags = SS_DISABLE;
        }
        self.signals.blocked |= a.mask;
        if a.flags & SA_NODEFER == 0 {
            self.signals.blocked |= bit(sig);
        }
        self.signals.blocked &= !UNBLOCKABLE;
        if a.flags & SA_RESETHAND != 0 {
            self.signals.actions[sig - 1] = Action::default();
        }
        let _ = (SA_SIGINFO, SA_RESTART);
        Ok(())
    }

    /// rt_sigreturn: restores the context the handler left in its frame at SP. Returns X0.
    pub(super) fn rt_sigreturn(&mut self) -> Result<u64, Exit> {
        let bad = || Exit::Signal {
            signal: SIGSEGV,
            reason: Some("specula: SIGSEGV: bad signal frame in rt_sigreturn".into()),
        };
        let frame = self.cpu.state.sp();
        if frame & 15 != 0 {
            return Err(bad());
        }
        let mut f = vec![0u8; FRAME_SIZE as usize];
        self.mem
            .read(frame, &mut f, AccessKind::Read)
            .map_err(|_| bad())?;
        let rd64 =
            |off: u64| u64::from_le_bytes(f[off as usize..off as usize + 8].try_into().unwrap());
        let rd32 =
            |off: u64| u32::from_le_bytes(f[off as usize..off as usize + 4].try_into().unwrap());
        let uc = SIGINFO_SIZE;
        let mc = uc + UC_MCONTEXT;
        let pstate = rd64(mc + 272);
        // Linux refuses a PSTATE that is not EL0t AArch64 state.
        if pstate & 0x1f != 0 {
            return Err(bad());
        }
        self.signals.blocked = rd64(uc + UC_SIGMASK) & !UNBLOCKABLE;
        let mut fp = None;
        let mut r = mc + MC_RESERVED;
        let end = r + RESERVED_SIZE;
        while r + 8 <= end {
            let (magic, size) = (rd32(r), u64::from(rd32(r + 4)));
            if magic == 0 {
                break;
            }
            if size < 8 || r + size > end {
                return Err(bad());
            }
            if magic == FPSIMD_MAGIC {
                if size < u64::from(FPSIMD_SIZE) {
                    return Err(bad());
                }
                let mut v = [0u128; 32];
                for (i, x) in v.iter_mut().enumerate() {
                    let o = (r + 16 + 16 * i as u64) as usize;
                    *x = u128::from_le_bytes(f[o..o + 16].try_into().unwrap());
                }
                fp = Some((rd32(r + 8), rd32(r + 12), v));
            }
            r += size;
        }
        let Some((fpsr, fpcr, v)) = fp else {
            return Err(bad());
        };
        let st = &mut self.cpu.state;
        for i in 0..31 {
            st.x[i] = rd64(mc + 8 + 8 * i as u64);
        }
        st.set_sp(rd64(mc + 256));
        st.pc = rd64(mc + 264);
        let p = &mut st.pstate;
        let b = |n: u32| pstate >> n & 1 != 0;
        (p.n, p.z, p.c, p.v) = (b(31), b(30), b(29), b(28));
        (p.tco, p.dit, p.ssbs) = (b(25), b(24), b(12));
        p.btype = (pstate >> 10 & 3) as u8;
        st.fpsr = u64::from(fpsr);
        st.fpcr = u64::from(fpcr) & model::interp::fpcr_mask(&self.cpu.config.features);
        st.v = v;
        self.cpu.monitor.marked = None;
        // uc_stack: restore_altstack, whose errors Linux ignores.
        let (sp, flags, size) = (rd64(uc + 16), rd32(uc + 24), rd64(uc + 32));
        let _ = self.set_altstack(sp, flags, size);
        Ok(self.cpu.state.x[0])
    }
}
