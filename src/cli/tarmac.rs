//! `specula run --trace FILE`: the board's instruction trace in Arm's Tarmac text format, as
//! Fast Models write it and Arm's tarmac-trace-utilities read it. Time is the instruction
//! count in `clk` units; each instruction is one line
//!
//! ```text
//! 7 clk IT (7) 0000000000400088 91000421 O EL0t_n : add x1, x1, #1
//! ```
//!
//! (`IS` instead of `IT` for a conditional branch whose condition failed), followed by its
//! memory accesses (`MR8 <address> <hi>_<lo>`, `MW4 <address> <value>`, ...) and then the
//! registers it changed (`R X1 …`, `R SP_EL0 …`, `R cpsr …` for NZCV and the rest of PSTATE in
//! SPSR format, `R q0 …`, `R FPSR …`, `R FPCR …`, `R TPIDR_EL0 …`). An exception is
//! `E <pc> <vector offset> CoreEvent_<kind>`; what the emulated kernel then changes (a
//! syscall's result, a signal frame) follows as `R` lines at the same time.
//! `conformance::tarmac` parses this grammar; the tests hold the writer to it.

use std::io::Write;

use machines::linux_user::{Step, Tracer};
use model::interp::Exception;
use model::memory::Access;
use model::state::State;

pub struct TarmacWriter<W: Write> {
    out: W,
}

impl<W: Write> TarmacWriter<W> {
    pub fn new(out: W) -> TarmacWriter<W> {
        TarmacWriter { out }
    }

    fn line(&mut self, time: u64, text: std::fmt::Arguments<'_>) {
        // A trace that cannot be written (a full disk) must not stop the guest: the error
        // shows as a short file.
        let _ = writeln!(self.out, "{time} clk {text}");
    }

    fn access(&mut self, time: u64, a: &Access) {
        let kind = if a.write { "MW" } else { "MR" };
        // Pieces of 8, 4, 2 and 1 bytes, lowest address first.
        let mut offset = 0usize;
        while offset < a.size {
            let left = a.size - offset;
            let n = [8, 4, 2, 1].into_iter().find(|&n| n <= left).unwrap_or(1);
            let v = (a.value >> (8 * offset)) as u64;
            let va = a.va.wrapping_add(offset as u64);
            let value = match n {
                8 => format!("{:08x}_{:08x}", v >> 32, v & 0xffff_ffff),
                4 => format!("{:08x}", v & 0xffff_ffff),
                2 => format!("{:04x}", v & 0xffff),
                _ => format!("{:02x}", v & 0xff),
            };
            self.line(time, format_args!("{kind}{n} {va:016x} {value}"));
            offset += n;
        }
    }

    /// `R` lines for every register that differs between `before` and `after`.
    fn registers(&mut self, time: u64, before: &State, after: &State) {
        for n in 0..31 {
            if before.x[n] != after.x[n] {
                self.line(time, format_args!("R X{n} {:016X}", after.x[n]));
            }
        }
        for (el, (b, a)) in before.sp_el.iter().zip(&after.sp_el).enumerate() {
            if b != a {
                self.line(time, format_args!("R SP_EL{el} {a:016X}"));
            }
        }
        let (b, a) = (before.pstate.spsr(), after.pstate.spsr());
        if b != a {
            self.line(time, format_args!("R cpsr {a:08x}"));
        }
        for n in 0..32 {
            if before.v[n] != after.v[n] {
                self.line(time, format_args!("R q{n} {:032X}", after.v[n]));
            }
        }
        if before.fpsr != after.fpsr {
            self.line(time, format_args!("R FPSR {:08x}", after.fpsr));
        }
        if before.fpcr != after.fpcr {
            self.line(time, format_args!("R FPCR {:08x}", after.fpcr));
        }
        if before.tpidr_el0 != after.tpidr_el0 {
            self.line(time, format_args!("R TPIDR_EL0 {:016X}", after.tpidr_el0));
        }
    }
}

impl<W: Write> Tracer for TarmacWriter<W> {
    fn instruction(&mut self, s: &Step<'_>) {
        let n = s.count + 1;
        let kind = if s.condition_passed { "IT" } else { "IS" };
        let (word, text) = match s.word {
            Some(w) => (
                format!("{w:08x}"),
                disasm::disassemble(w).unwrap_or_else(|| format!(".inst {w:#010x}")),
            ),
            None => ("--------".to_string(), String::new()),
        };
        // The mode: EL and SP (t: SP_EL0, h: SP_ELx), and _s at EL3 (_n elsewhere: the
        // writer does not follow SCR_EL3.NS below EL3).
        let p = &s.before.pstate;
        let el = p.el as u8;
        let mode = format!(
            "EL{el}{}_{}",
            if p.sp && el != 0 { "h" } else { "t" },
            if el == 3 { "s" } else { "n" }
        );
        self.line(
            n,
            format_args!("{kind} ({n}) {:016x} {word} O {mode} : {text}", s.pc),
        );
        for a in s.accesses {
            self.access(n, a);
        }
        self.registers(n, s.before, s.after);
    }

    fn exception(&mut self, count: u64, pc: u64, e: &Exception) {
        // Every exception EL0 takes is synchronous and goes to EL1 through the vector for a
        // lower EL using AArch64 (offset 0x400).
        let kind = match e {
            Exception::SupervisorCall { .. } => "SupervisorCall",
            Exception::Breakpoint { .. } => "Breakpoint",
            Exception::Halt { .. } => "Halt",
            Exception::Undefined { .. } => "Undefined",
            Exception::InstructionAbort { .. } => "InstructionAbort",
            Exception::DataAbort { .. } => "DataAbort",
            Exception::PcAlignment { .. } => "PCAlignment",
            Exception::SpAlignment { .. } => "SPAlignment",
            Exception::HypervisorCall { .. } => "HypervisorCall",
            Exception::SecureMonitorCall { .. } => "SecureMonitorCall",
            Exception::Trap { .. } => "Trap",
            Exception::IllegalState { .. } => "IllegalState",
            Exception::WaitForInterrupt { .. } => "WaitForInterrupt",
            Exception::BoardSysreg { .. } => "BoardSysreg",
            _ => "Synchronous",
        };
        let time = count + 1;
        self.line(
            time,
            format_args!("E {pc:016x} 00000400 CoreEvent_LOWER_EL_AARCH64_SYNC_{kind}"),
        );
    }

    fn taken(&mut self, count: u64, pc: u64, offset: u64, _target_el: u8) {
        let from = match offset & 0x600 {
            0x000 => "CURRENT_SP0",
            0x200 => "CURRENT_SPx",
            0x400 => "LOWER_EL_AARCH64",
            _ => "LOWER_EL_AARCH32",
        };
        let kind = match offset & 0x180 {
            0x000 => "SYNC",
            0x080 => "IRQ",
            0x100 => "FIQ",
            _ => "SERROR",
        };
        self.line(
            count + 1,
            format_args!("E {pc:016x} {offset:08x} CoreEvent_{from}_{kind}"),
        );
    }

    fn kernel(&mut self, count: u64, before: &State, after: &State) {
        self.registers(count.max(1), before, after);
    }

    fn flush(&mut self) {
        let _ = self.out.flush();
    }
}
