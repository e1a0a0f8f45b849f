//! SIMD&FP: Advanced SIMD structure loads and stores, every form: LD1-LD4/ST1-ST4 of
//! multiple structures (element de-interleaving, LD1/ST1 of one to four registers), of a
//! single structure to one lane, LD1R-LD4R (load and replicate), each with post-index by
//! immediate or register. Register numbers wrap modulo 32.
//!
//! A load writes its registers only after every access succeeded, so a fault leaves them
//! as they were (the Arm ARM allows them to be UNKNOWN); a store may have written the
//! elements before the faulting one, as the architecture allows.

use super::simd::{elem, mask, set_elem};
use super::{Cpu, Exception, Exec, Insn};
use crate::decode::EncodingId as E;
use crate::memory::Memory;

/// The structure load/store encodings share bits 31 and 29:24: 0 _ 001100 for multiple
/// structures and 0 _ 001101 for single structures.
fn is_structure(i: Insn) -> Option<bool> {
    match i.word & 0xbf00_0000 {
        0x0c00_0000 => Some(false),
        0x0d00_0000 => Some(true),
        _ => None,
    }
}

pub(super) fn execute(cpu: &mut Cpu, mem: &mut impl Memory, i: Insn) -> Option<Exec> {
    // FEAT_LRCPC3's LDAP1/STL1 live in the single-structure space; they are not offered.
    if matches!(i.id, E::LDAP1_asisdlso_D1 | E::STL1_asisdlso_D1) {
        return None;
    }
    let single = is_structure(i)?;
    Some(if single {
        single_structure(cpu, mem, i)
    } else {
        multiple_structures(cpu, mem, i)
    })
}

/// The base address (checking SP alignment when the base is SP), and the post-index
/// writeback with `bytes` as the immediate amount.
fn base(cpu: &Cpu, i: Insn) -> Result<u64, Exception> {
    let n = i.rn();
    if n == 31 && cpu.state.sp() & 15 != 0 {
        return Err(Exception::SpAlignment {
            pc: i.pc,
            word: i.word,
            encoding: i.id,
        });
    }
    Ok(cpu.state.xsp(n))
}

fn writeback(cpu: &mut Cpu, i: Insn, address: u64, bytes: u64) {
    if i.bit(23) {
        let m = i.rm();
        let offset = if m == 31 { bytes } else { cpu.state.xr(m) };
        cpu.state.set_xsp(i.rn(), address.wrapping_add(offset));
    }
}

fn multiple_structures(cpu: &mut Cpu, mem: &mut impl Memory, i: Insn) -> Exec {
    let (rpt, selem) = match i.bits(15, 12) {
        0b0000 => (1, 4),
        0b0010 => (4, 1),
        0b0100 => (1, 3),
        0b0110 => (3, 1),
        0b0111 => (1, 1),
        0b1000 => (1, 2),
        0b1010 => (2, 1),
        _ => return i.undefined(),
    };
    let size = i.bits(11, 10);
    let q = i.bit(30);
    if size == 3 && !q && selem != 1 {
        return i.undefined();
    }
    let load = i.bit(22);
    let t = i.rd();
    let (esize, datasize) = (8u32 << size, if q { 128u32 } else { 64 });
    let ebytes = u64::from(esize / 8);
    let elements = datasize / esize;
    let address = base(cpu, i)?;
    let mut regs = [0u128; 4];
    for (k, r) in regs.iter_mut().enumerate() {
        *r = cpu.state.v[((t as usize) + k) % 32];
    }
    let count = rpt * selem;
    let mut offs = 0u64;
    for r in 0..rpt {
        for e in 0..elements {
            for s in 0..selem {
                let k = r + s;
                let a = address.wrapping_add(offs);
                if load {
                    let x = super::ldst::read(mem, i, a, ebytes as usize)?;
                    set_elem(&mut regs[k], e, esize, x as u64);
                } else {
                    let x = elem(regs[k], e, esize);
                    super::ldst::write(mem, i, a, ebytes as usize, u128::from(x))?;
                }
                offs += ebytes;
            }
        }
    }
    if load {
        for (k, r) in regs.iter().enumerate().take(count) {
            cpu.state.v[((t as usize) + k) % 32] = if q { *r } else { *r & u128::from(u64::MAX) };
        }
    }
    writeback(cpu, i, address, offs);
    Ok(())
}

fn single_structure(cpu: &mut Cpu, mem: &mut impl Memory, i: Insn) -> Exec {
    let opcode = i.bits(15, 13);
    let (s_bit, size) = (i.bits(12, 12), i.bits(11, 10));
    let q = i.bit(30);
    let load = i.bit(22);
    let selem = ((opcode & 1) << 1 | i.bits(21, 21)) as usize + 1;
    let replicate = opcode >> 1 == 3;
    let (scale, index) = match opcode >> 1 {
        0 => (0, (u32::from(q) << 3) | (s_bit << 2) | size),
        1 if size & 1 == 0 => (1, (u32::from(q) << 2) | (s_bit << 1) | (size >> 1)),
        2 if size == 0 => (2, (u32::from(q) << 1) | s_bit),
        2 if size == 1 && s_bit == 0 => (3, u32::from(q)),
        3 if load && s_bit == 0 => (size, 0),
        _ => return i.undefined(),
    };
    let esize = 8u32 << scale;
    let ebytes = u64::from(esize / 8);
    let datasize = if q { 128 } else { 64 };
    let t = i.rd();
    let address = base(cpu, i)?;
    let mut regs = [0u128; 4];
    for (k, r) in regs.iter_mut().enumerate() {
        *r = cpu.state.v[((t as usize) + k) % 32];
    }
    let mut offs = 0u64;
    for reg in regs.iter_mut().take(selem) {
        let a = address.wrapping_add(offs);
        if replicate {
            let x = super::ldst::read(mem, i, a, ebytes as usize)? as u64 & mask(esize);
            let mut v = 0u128;
            for e in 0..datasize / esize {
                set_elem(&mut v, e, esize, x);
            }
            *reg = v;
        } else if load {
            let x = super::ldst::read(mem, i, a, ebytes as usize)?;
            set_elem(reg, index, esize, x as u64);
        } else {
            let x = elem(*reg, index, esize);
            super::ldst::write(mem, i, a, ebytes as usize, u128::from(x))?;
        }
        offs += ebytes;
    }
    if load {
        for (k, r) in regs.iter().enumerate().take(selem) {
            // A lane load keeps the rest of the register; a replicate fills datasize bits.
            cpu.state.v[((t as usize) + k) % 32] = *r;
        }
    }
    writeback(cpu, i, address, offs);
    Ok(())
}
