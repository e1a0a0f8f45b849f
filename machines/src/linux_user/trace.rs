//! Instruction tracing for `specula run --trace`: the board steps the PE one instruction at a
//! time through a recording memory and hands each step to a [`Tracer`], which formats it
//! (Tarmac, in `conformance::tarmac`). With no tracer the board runs `Cpu::run` as usual, so
//! tracing costs one test per slice of instructions when it is off.

use model::decode::{EncodingId, decode};
use model::interp::{Cpu, Exception, Stop, condition_holds};
use model::memory::{Access, FlatMemory, Recording};
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
    /// syscall's result, a signal handler's entry, rt_sigreturn).
    fn kernel(&mut self, count: u64, before: &State, after: &State);
    /// Writes out anything buffered (before the process forks).
    fn flush(&mut self) {}
}

/// Like `Cpu::run`, one step at a time, reporting each to `tracer`.
pub(super) fn run_traced(
    cpu: &mut Cpu,
    mem: &mut FlatMemory,
    budget: u64,
    tracer: &mut dyn Tracer,
) -> Stop {
    for _ in 0..budget {
        let before = cpu.state.clone();
        let count = cpu.retired;
        let pc = before.pc;
        let mut buf = [0u8; 4];
        let word = mem
            .peek(pc, &mut buf)
            .ok()
            .map(|()| u32::from_le_bytes(buf));
        let id = word.and_then(decode);
        let mut recording = Recording::new(mem);
        let r = cpu.step(&mut recording);
        let accesses = recording.accesses;
        let retired = cpu.retired != count;
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
            tracer.exception(count, pc, &e);
            return Stop::Exception(e);
        }
    }
    Stop::Budget
}
