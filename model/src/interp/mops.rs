//! FEAT_MOPS: the memory copy (CPYP/CPYM/CPYE, forward-only CPYFP/CPYFM/CPYFE, with their
//! unprivileged and non-temporal variants) and memory set (SETP/SETM/SETE) instructions.
//!
//! The Arm ARM leaves two choices to the implementation, and this PE makes QEMU's, so the
//! registers match `qemu-aarch64 -cpu max` instruction by instruction:
//! - the register format is Option A: after the prologue Xd and Xs point past the end of a
//!   forward copy (at the start of a backward one) and Xn counts the bytes left, negative
//!   going forward; NZCV is 0000;
//! - how much each stage does: the prologue goes up to the first page boundary of either
//!   buffer, the main stage until less than a page is left, the epilogue the rest (given a
//!   page or more, it takes the MOPS exception).
//!
//! A fault leaves the registers in the format of the instruction that took it, with the
//! bytes before the faulting one done, so the same instruction restarts: the prologue's input
//! format for the prologue (and NZCV as it was), Option A's for the others.

use super::{Cpu, Exception, Exec, Insn};
use crate::memory::{AccessKind, Fault, Memory};
use crate::state::ExceptionLevel as El;
use crate::sysregs::{self as sr, field as f};

/// The step size: QEMU's target page, which the stages' amounts are measured in.
const PAGE: u64 = 4096;
/// `ArchMaxMOPSBlockSize` (CPYFP, SETP) and `ArchMaxMOPSCPYSize` (CPYP).
const MAX_BLOCK: u64 = (1 << 63) - 1;
const MAX_CPY: u64 = (1 << 55) - 1;
/// The exception class of a Memory Copy and Memory Set exception.
const EC_MOPS: u32 = 0x27;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    Prologue,
    Main,
    Epilogue,
}

/// One decoded CPY* or SET* instruction.
#[derive(Clone, Copy)]
struct Op {
    set: bool,
    /// CPYF*: forward only.
    forward_only: bool,
    stage: Stage,
    /// The options field (op2, bits 15:12), for the syndrome.
    options: u32,
    read_unpriv: bool,
    write_unpriv: bool,
    d: u32,
    s: u32,
    n: u32,
}

pub(super) fn execute(cpu: &mut Cpu, mem: &mut impl Memory, i: Insn) -> Option<Exec> {
    if i.id.info().group != "ldst/memcms" {
        return None;
    }
    Some(run(cpu, mem, i))
}

fn decode(i: Insn) -> Option<Op> {
    let w = i.word;
    let set = (w >> 22) & 3 == 3;
    let options = (w >> 12) & 15;
    let (d, s, n) = (w & 31, (w >> 16) & 31, (w >> 5) & 31);
    if w >> 30 != 0 {
        return None;
    }
    let op = if set {
        // SETG* needs FEAT_MTE, which this PE does not have.
        if (w >> 26) & 1 != 0 {
            return None;
        }
        let stage = match options >> 2 {
            0 => Stage::Prologue,
            1 => Stage::Main,
            2 => Stage::Epilogue,
            _ => return None,
        };
        let unpriv = options & 1 != 0;
        Op {
            set,
            forward_only: true,
            stage,
            options,
            read_unpriv: unpriv,
            write_unpriv: unpriv,
            d,
            s,
            n,
        }
    } else {
        let stage = match (w >> 22) & 3 {
            0 => Stage::Prologue,
            1 => Stage::Main,
            _ => Stage::Epilogue,
        };
        Op {
            set,
            forward_only: (w >> 26) & 1 == 0,
            stage,
            options,
            read_unpriv: options & 2 != 0,
            write_unpriv: options & 1 != 0,
            d,
            s,
            n,
        }
    };
    // CONSTRAINED UNPREDICTABLE register choices: this PE takes UNDEFINED, as QEMU does. A
    // SET may take its data from XZR.
    let clash = d == s || d == n || s == n || d == 31 || n == 31 || (!set && s == 31);
    (!clash).then_some(op)
}

fn run(cpu: &mut Cpu, mem: &mut impl Memory, i: Insn) -> Exec {
    if !cpu.config.features.mops {
        return i.undefined();
    }
    let Some(op) = decode(i) else {
        return i.undefined();
    };
    if !mops_enabled(cpu) {
        return i.undefined();
    }
    let as_el0 = |on: bool| {
        let el = cpu.state.pstate.el;
        on && cpu.config.system
            && (el == El::EL1 || (el == El::EL2 && cpu.in_host(El::EL0)))
            && !cpu.state.pstate.uao
    };
    let access = Access {
        read_el0: as_el0(op.read_unpriv),
        write_el0: as_el0(op.write_unpriv),
    };
    if op.set {
        set(cpu, mem, i, op, access)
    } else {
        copy(cpu, mem, i, op, access)
    }
}

/// `CheckMOPSEnabled()`: HCRX_EL2.MSCEn for EL1 and EL0 outside the host (1 in effect when EL2
/// is not enabled), and SCTLR_EL1.MSCEn (SCTLR_EL2.MSCEn in the host) for EL0. The user-mode
/// board's kernel enables them, as Linux does since it supports FEAT_MOPS.
fn mops_enabled(cpu: &Cpu) -> bool {
    if !cpu.config.system {
        return true;
    }
    let el = cpu.state.pstate.el;
    if el <= El::EL1
        && !cpu.in_host(El::EL0)
        && cpu.el2_enabled()
        && !f::HCRX_EL2_MSCEn.is_set(cpu.hcrx_el2())
    {
        return false;
    }
    if el == El::EL0 {
        let sctlr = if cpu.in_host(El::EL0) {
            cpu.state.sr(sr::SCTLR_EL2)
        } else {
            cpu.state.sr(sr::SCTLR_EL1)
        };
        return f::SCTLR_EL1_MSCEn.is_set(sctlr);
    }
    true
}

/// The privilege of the reads and the writes: as at EL0 for the unprivileged variants.
#[derive(Clone, Copy)]
struct Access {
    read_el0: bool,
    write_el0: bool,
}

/// The Memory Copy and Memory Set exception (EC 0x27) from a main or epilogue stage, for
/// registers in the wrong format (`wrong_option`: NZCV says Option B) or parameters this PE
/// will not take in that stage.
fn mops_exception(cpu: &Cpu, i: Insn, op: Op, wrong_option: bool) -> Exception {
    let el = cpu.state.pstate.el;
    let target = match el {
        El::EL2 | El::EL3 => el,
        El::EL0 if f::HCR_EL2_TGE.is_set(cpu.hcr_el2()) => El::EL2,
        El::EL1 if f::HCRX_EL2_MCE2.is_set(cpu.hcrx_el2()) => El::EL2,
        _ => El::EL1,
    };
    let options = if op.set { op.options & 3 } else { op.options };
    let b = |v: bool, n: u32| u32::from(v) << n;
    let iss = b(op.set, 24)
        | (options << 19)
        | b(op.stage == Stage::Epilogue, 18)
        | b(wrong_option, 17)
        | (1 << 16) // OptionA
        | (op.d << 10)
        | (op.s << 5)
        | op.n;
    Exception::Trap {
        pc: i.pc,
        target,
        class: EC_MOPS,
        iss,
    }
}

/// Bytes from `a` to the next page boundary (1..=PAGE).
fn to_boundary(a: u64) -> u64 {
    PAGE - (a & (PAGE - 1))
}

fn copy(cpu: &mut Cpu, mem: &mut impl Memory, i: Insn, op: Op, acc: Access) -> Exec {
    let (d, s) = (cpu.state.xr(op.d), cpu.state.xr(op.s));
    let x = cpu.state.xr(op.n);
    if op.stage == Stage::Prologue {
        let n = x.min(if op.forward_only { MAX_BLOCK } else { MAX_CPY });
        // The direction from address bits 55:0: backward only when the source starts below
        // the destination and overlaps it; otherwise (the choice is the implementation's
        // where they do not overlap) forward.
        let m56 = (1u64 << 56) - 1;
        let backward = !op.forward_only
            && s & m56 < d & m56
            && u128::from(s & m56) + u128::from(n) > u128::from(d & m56);
        if backward {
            let top = |a: u64| (a.wrapping_add(n).wrapping_sub(1) & (PAGE - 1)) + 1;
            let stage = n.min(top(d)).min(top(s));
            if let Err((done, fault)) = copy_backward(mem, d, s, n, stage, acc) {
                cpu.state.set_xr(op.n, n - done);
                return Err(i.data_abort(fault));
            }
            cpu.state.set_xr(op.n, n - stage);
        } else {
            let stage = n.min(to_boundary(d)).min(to_boundary(s));
            if let Err((done, fault)) = copy_forward(mem, d, s, stage, acc) {
                cpu.state.set_xr(op.d, d.wrapping_add(done));
                cpu.state.set_xr(op.s, s.wrapping_add(done));
                cpu.state.set_xr(op.n, n - done);
                return Err(i.data_abort(fault));
            }
            cpu.state.set_xr(op.d, d.wrapping_add(n));
            cpu.state.set_xr(op.s, s.wrapping_add(n));
            cpu.state.set_xr(op.n, (n - stage).wrapping_neg());
        }
        let p = &mut cpu.state.pstate;
        (p.n, p.z, p.c, p.v) = (false, false, false, false);
        return Ok(());
    }
    if x == 0 {
        return Ok(());
    }
    if cpu.state.pstate.c {
        return Err(mops_exception(cpu, i, op, true));
    }
    let forward = op.forward_only || x >> 63 != 0;
    // A forward copy in Option A counts up from a negative Xn; CPYF* given a positive one
    // (which no prologue leaves) has ill-formed parameters.
    if forward && x >> 63 == 0 {
        return Err(mops_exception(cpu, i, op, false));
    }
    let rem = if forward { x.wrapping_neg() } else { x };
    let todo = match op.stage {
        // The main stage leaves less than a page; the epilogue must be given that.
        Stage::Main => rem - rem.min(PAGE - 1).min(last_piece(forward, d, s, rem)),
        _ if rem >= PAGE => return Err(mops_exception(cpu, i, op, false)),
        _ => rem,
    };
    let result = if forward {
        copy_forward(mem, d.wrapping_sub(rem), s.wrapping_sub(rem), todo, acc)
    } else {
        copy_backward(mem, d, s, rem, todo, acc)
    };
    let done = match result {
        Ok(()) => todo,
        Err((done, _)) => done,
    };
    let left = rem - done;
    cpu.state
        .set_xr(op.n, if forward { left.wrapping_neg() } else { left });
    result.map_err(|(_, fault)| i.data_abort(fault))
}

/// What the main stage of a copy leaves for the epilogue, of `rem` bytes: it copies in steps
/// that end at a page boundary of either buffer, and stops once less than a page is left.
/// Forward, the end of the copy (Xd, Xs in Option A) decides it; backward, its start.
fn last_piece(forward: bool, d: u64, s: u64, rem: u64) -> u64 {
    if rem < PAGE {
        return rem;
    }
    if forward {
        (d & (PAGE - 1)).max(s & (PAGE - 1))
    } else {
        (d.wrapping_neg() & (PAGE - 1)).max(s.wrapping_neg() & (PAGE - 1))
    }
}

fn set(cpu: &mut Cpu, mem: &mut impl Memory, i: Insn, op: Op, acc: Access) -> Exec {
    let d = cpu.state.xr(op.d);
    let x = cpu.state.xr(op.n);
    let byte = cpu.state.xr(op.s) as u8;
    if op.stage == Stage::Prologue {
        let n = x.min(MAX_BLOCK);
        let stage = n.min(to_boundary(d));
        if let Err((done, fault)) = fill(mem, d, byte, stage, acc) {
            cpu.state.set_xr(op.d, d.wrapping_add(done));
            cpu.state.set_xr(op.n, n - done);
            return Err(i.data_abort(fault));
        }
        cpu.state.set_xr(op.d, d.wrapping_add(n));
        cpu.state.set_xr(op.n, (n - stage).wrapping_neg());
        let p = &mut cpu.state.pstate;
        (p.n, p.z, p.c, p.v) = (false, false, false, false);
        return Ok(());
    }
    if x == 0 {
        return Ok(());
    }
    if cpu.state.pstate.c {
        return Err(mops_exception(cpu, i, op, true));
    }
    if x >> 63 == 0 {
        return Err(mops_exception(cpu, i, op, false));
    }
    let rem = x.wrapping_neg();
    let todo = match op.stage {
        // The main stage sets whole pages' worth and leaves the rest.
        Stage::Main => rem & !(PAGE - 1),
        _ if rem >= PAGE => return Err(mops_exception(cpu, i, op, false)),
        _ => rem,
    };
    let result = fill(mem, d.wrapping_sub(rem), byte, todo, acc);
    let done = match result {
        Ok(()) => todo,
        Err((done, _)) => done,
    };
    cpu.state.set_xr(op.n, (rem - done).wrapping_neg());
    result.map_err(|(_, fault)| i.data_abort(fault))
}

/// A step's worth of bytes at most: up to a page boundary of both buffers.
type Step = [u8; PAGE as usize];

fn read(mem: &mut impl Memory, va: u64, buf: &mut [u8], el0: bool) -> Result<(), Fault> {
    if el0 {
        mem.set_unprivileged(true);
    }
    let r = mem.read(va, buf, AccessKind::Read);
    if el0 {
        mem.set_unprivileged(false);
    }
    r
}

fn write(mem: &mut impl Memory, va: u64, buf: &[u8], el0: bool) -> Result<(), Fault> {
    if el0 {
        mem.set_unprivileged(true);
    }
    let r = mem.write(va, buf);
    if el0 {
        mem.set_unprivileged(false);
    }
    r
}

/// Copies `len` bytes from `s` to `d` upwards in page-bounded steps; on a fault, how many
/// bytes were copied before the faulting one.
fn copy_forward(
    mem: &mut impl Memory,
    d: u64,
    s: u64,
    len: u64,
    acc: Access,
) -> Result<(), (u64, Fault)> {
    let mut buf: Step = [0; PAGE as usize];
    let mut done = 0;
    while done < len {
        let (dd, ss) = (d.wrapping_add(done), s.wrapping_add(done));
        let step = (len - done).min(to_boundary(dd)).min(to_boundary(ss)) as usize;
        copy_step(mem, dd, ss, &mut buf[..step], acc, false).map_err(|(k, f)| (done + k, f))?;
        done += step as u64;
    }
    Ok(())
}

/// Copies the top `len` of the `rem` bytes at `s` to `d`, downwards in page-bounded steps;
/// on a fault, how many bytes (from the top) were copied before the faulting one.
fn copy_backward(
    mem: &mut impl Memory,
    d: u64,
    s: u64,
    rem: u64,
    len: u64,
    acc: Access,
) -> Result<(), (u64, Fault)> {
    let mut buf: Step = [0; PAGE as usize];
    let mut done = 0;
    while done < len {
        let left = rem - done;
        let last = |a: u64| (a.wrapping_add(left).wrapping_sub(1) & (PAGE - 1)) + 1;
        let step = (len - done).min(last(d)).min(last(s));
        let at = left - step;
        copy_step(
            mem,
            d.wrapping_add(at),
            s.wrapping_add(at),
            &mut buf[..step as usize],
            acc,
            true,
        )
        .map_err(|(k, f)| (done + k, f))?;
        done += step;
    }
    Ok(())
}

/// One step, within a page of each buffer: read it all, then write it all. When that faults
/// (or the memory is a device, which takes only single accesses), it goes again a byte at a
/// time, upwards or from the top, so the fault is at the first byte not copied.
fn copy_step(
    mem: &mut impl Memory,
    d: u64,
    s: u64,
    buf: &mut [u8],
    acc: Access,
    downwards: bool,
) -> Result<(), (u64, Fault)> {
    if read(mem, s, buf, acc.read_el0).is_ok() && write(mem, d, buf, acc.write_el0).is_ok() {
        return Ok(());
    }
    let len = buf.len() as u64;
    for k in 0..len {
        let off = if downwards { len - 1 - k } else { k };
        let mut b = [0u8];
        read(mem, s.wrapping_add(off), &mut b, acc.read_el0).map_err(|f| (k, f))?;
        write(mem, d.wrapping_add(off), &b, acc.write_el0).map_err(|f| (k, f))?;
    }
    Ok(())
}

/// Sets `len` bytes at `d` to `byte` in page-bounded steps; on a fault, how many were set.
fn fill(
    mem: &mut impl Memory,
    d: u64,
    byte: u8,
    len: u64,
    acc: Access,
) -> Result<(), (u64, Fault)> {
    let buf: Step = [byte; PAGE as usize];
    let mut done = 0;
    while done < len {
        let dd = d.wrapping_add(done);
        let step = (len - done).min(to_boundary(dd));
        if write(mem, dd, &buf[..step as usize], acc.write_el0).is_err() {
            for k in 0..step {
                write(mem, dd.wrapping_add(k), &[byte], acc.write_el0)
                    .map_err(|f| (done + k, f))?;
            }
        }
        done += step;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! The stages' register results, as a table through one `check`: QEMU's worked example
    //! and the closed forms of what each stage leaves, on flat memory.

    use super::*;
    use crate::interp::{Config, Cpu, Stop};
    use crate::memory::{FlatMemory, Perms};

    const CODE: u64 = 0x1_0000;

    /// Runs `words` from CODE with X0..X2 = `regs` and returns X0..X2 and NZCV after, or the
    /// exception's class and ISS.
    fn check(words: &[u32], regs: [u64; 3], flags_c: bool) -> Result<[u64; 3], (u32, u32)> {
        let mut mem = FlatMemory::new();
        mem.map(CODE, 0x1000, Perms::RX);
        mem.map(0x1000_0000, 0x10_0000, Perms::RW);
        mem.map(0x2000_0000, 0x10_0000, Perms::RW);
        for (k, w) in words.iter().enumerate() {
            mem.poke(CODE + 4 * k as u64, &w.to_le_bytes()).unwrap();
        }
        let mut cpu = Cpu::new(Config::default());
        cpu.state.pc = CODE;
        cpu.state.pstate.c = flags_c;
        for (r, v) in regs.iter().enumerate() {
            cpu.state.set_xr(r as u32, *v);
        }
        match cpu.run(&mut mem, words.len() as u64) {
            Stop::Budget => Ok([cpu.state.xr(0), cpu.state.xr(1), cpu.state.xr(2)]),
            Stop::Exception(Exception::Trap { class, iss, .. }) => Err((class, iss)),
            Stop::Exception(e) => panic!("{e:?}"),
        }
    }

    const CPYFP: u32 = 0x1901_0440; // cpyfp [x0]!, [x1]!, x2!
    const CPYFM: u32 = 0x1941_0440;
    const CPYFE: u32 = 0x1981_0440;
    const CPYP: u32 = 0x1d01_0440;
    const CPYM: u32 = 0x1d41_0440;
    const SETP: u32 = 0x19c1_0402; // setp [x2]!, x0!, x1
    const SETM: u32 = 0x19c1_4402;

    #[test]
    fn stages() {
        let neg = |v: u64| v.wrapping_neg();
        let cases: &[(&[u32], [u64; 3], bool, Result<[u64; 3], (u32, u32)>)] = &[
            // Forward: the prologue to the first page boundary, the main stage until the
            // larger of the two end offsets is left.
            (
                &[CPYFP],
                [0x1000_0100, 0x2000_0f00, 0x2345],
                false,
                Ok([0x1000_2445, 0x2000_3245, neg(0x2245)]),
            ),
            (
                &[CPYFP, CPYFM],
                [0x1000_0100, 0x2000_0f00, 0x2345],
                false,
                Ok([0x1000_2445, 0x2000_3245, neg(0x445)]),
            ),
            (
                &[CPYFP, CPYFM, CPYFE],
                [0x1000_0100, 0x2000_0f00, 0x2345],
                false,
                Ok([0x1000_2445, 0x2000_3245, 0]),
            ),
            // Backward (the source below and overlapping the destination): Xd, Xs stay.
            (
                &[CPYP],
                [0x1000_0100, 0x1000_0000, 0x2345],
                false,
                Ok([0x1000_0100, 0x1000_0000, 0x2000]),
            ),
            (
                &[CPYP, CPYM],
                [0x1000_0100, 0x1000_0000, 0x2345],
                false,
                Ok([0x1000_0100, 0x1000_0000, 0xf00]),
            ),
            // The registers in Option B's format: the MOPS exception, WrongOption.
            (
                &[CPYFM],
                [0x1000_0000, 0x2000_0000, neg(16)],
                true,
                Err((0x27, 0x03_0022)),
            ),
            // An epilogue given a page or more.
            (
                &[CPYFE],
                [0x1000_2000, 0x2000_2000, neg(0x1000)],
                false,
                Err((0x27, 0x05_0022)),
            ),
            // Nothing left: M and E do nothing, whatever the flags say.
            (
                &[CPYFM],
                [0x1000_0000, 0x2000_0000, 0],
                true,
                Ok([0x1000_0000, 0x2000_0000, 0]),
            ),
            // SET: P to the page boundary, M whole pages.
            (
                &[SETP, SETM],
                [0x2345, 0xab, 0x1000_0100],
                false,
                Ok([neg(0x445), 0xab, 0x1000_2445]),
            ),
        ];
        for (k, (words, regs, c, want)) in cases.iter().enumerate() {
            assert_eq!(check(words, *regs, *c), *want, "case {k}");
        }
    }
}
