//! Instruction tracing for `specula run --trace` and `specula boot --trace`: a board steps the
//! PE one instruction at a time through a recording memory and hands each step to a
//! [`Tracer`], which formats it (Tarmac, in `src/cli/tarmac.rs`). With no tracer a board runs
//! `Cpu::run` as usual, so tracing costs one test per slice of instructions when it is off.

use model::decode::{EncodingId, decode};
use model::interp::{Cpu, Exception, Stop, condition_holds};
use model::memory::{Access, Memory, Recording};
use model::state::State;

/// One executed instruction and everything it changed.
pub struct Step<'a> {
    /// Instructions retired before this one.
    pub count: u64,
    pub pc: u64,
    /// The instruction word, if it could be fetched.
    pub word: Option<u32>,
    pub id: Option<EncodingId>,
    /// False for a conditional branch whose condition failed (Tarmac's `IS`).
    pub condition_passed: bool,
    pub before: &'a State,
    pub after: &'a State,
    pub accesses: &'a [Access],
}

/// Receives the trace of a run.
pub trait Tracer {
    /// An instruction the PE executed, including one that then took an exception it retires
    /// with (SVC, BRK, HLT).
    fn instruction(&mut self, step: &Step<'_>);
    /// An exception taken at `pc` (after the instruction's line, if it retired).
    fn exception(&mut self, count: u64, pc: u64, e: &Exception);
    /// What the emulated kernel changed in the registers while handling an exception (a
    /// syscall's result, a signal handler's entry, rt_sigreturn), or what a system board
    /// changed (a semihosting or PSCI result).
    fn kernel(&mut self, count: u64, before: &State, after: &State);
    /// System mode: an exception the PE took architecturally from `pc`, entering the vector
    /// at `offset` (0x000-0x780) of the level it went to.
    fn taken(&mut self, count: u64, pc: u64, offset: u64, target_el: u8) {
        let _ = (count, pc, offset, target_el);
    }
    /// Writes out anything buffered (before the process forks).
    fn flush(&mut self) {}
}

/// Like `Cpu::run`, one step at a time, reporting each to `tracer`. `peek` reads the word at
/// a PC without side effects the guest could see.
pub fn run_traced<M: Memory>(
    cpu: &mut Cpu,
    mem: &mut M,
    budget: u64,
    tracer: &mut dyn Tracer,
    peek: &mut dyn FnMut(&mut M, u64) -> Option<u32>,
) -> Stop {
    for _ in 0..budget {
        let before = cpu.state.clone();
        let count = cpu.retired;
        let taken = cpu.exceptions_taken;
        let pc = before.pc;
        let word = peek(mem, pc);
        let id = word.and_then(decode);
        let mut recording = Recording::new(mem);
        let r = cpu.step(&mut recording);
        let accesses = recording.accesses;
        let retired = cpu.retired != count;
        // An interrupt taken before the instruction: no instruction ran.
        if r.is_ok() && !retired && cpu.exceptions_taken != taken {
            tracer.taken(count, pc, cpu.state.pc & 0x7ff, cpu.state.pstate.el as u8);
            continue;
        }
        if retired {
            let condition_passed = match (id, word) {
                (Some(EncodingId::B_only_condbranch), Some(w)) => {
                    condition_holds(w & 15, &before.pstate)
                }
                _ => true,
            };
            tracer.instruction(&Step {
                count,
                pc,
                word,
                id,
                condition_passed,
                before: &before,
                after: &cpu.state,
                accesses: &accesses,
            });
        }
        if let Err(e) = r {
            // In system mode the board reports the exception once it is taken (or answered
            // by the board: semihosting, PSCI), with its vector.
            if !cpu.config.system {
                tracer.exception(count, pc, &e);
            }
            return Stop::Exception(e);
        }
    }
    Stop::Budget
}
