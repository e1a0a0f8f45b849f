//! Shared functions of the Arm ARM pseudocode, under their names in snake case:
//! `AddWithCarry`, `DecodeBitMasks`, `ConditionHolds`, `ShiftReg`, `ExtendReg`, ...

use crate::state::Pstate;

/// `Ones(datasize)` as a mask on a u64.
#[inline]
pub fn ones(datasize: u32) -> u64 {
    if datasize >= 64 {
        u64::MAX
    } else {
        (1u64 << datasize) - 1
    }
}

/// `AddWithCarry(x, y, carry_in)` on `datasize` (32 or 64) bits: the result and NZCV.
#[inline(always)]
pub fn add_with_carry(x: u64, y: u64, carry: bool, datasize: u32) -> (u64, u8) {
    if datasize == 64 {
        let (s1, c1) = x.overflowing_add(y);
        let (result, c2) = s1.overflowing_add(u64::from(carry));
        let c = c1 || c2;
        let v = ((x ^ result) & (y ^ result)) >> 63 != 0;
        let n = result >> 63 != 0;
        let z = result == 0;
        (result, nzcv(n, z, c, v))
    } else {
        let (x, y) = (x as u32, y as u32);
        let (s1, c1) = x.overflowing_add(y);
        let (result, c2) = s1.overflowing_add(u32::from(carry));
        let c = c1 || c2;
        let v = ((x ^ result) & (y ^ result)) >> 31 != 0;
        let n = result >> 31 != 0;
        let z = result == 0;
        (u64::from(result), nzcv(n, z, c, v))
    }
}

#[inline]
pub fn nzcv(n: bool, z: bool, c: bool, v: bool) -> u8 {
    (u8::from(n) << 3) | (u8::from(z) << 2) | (u8::from(c) << 1) | u8::from(v)
}

/// The NZCV of a logical result (C and V cleared).
#[inline]
pub fn logical_flags(result: u64, datasize: u32) -> u8 {
    nzcv(
        result >> (datasize - 1) & 1 != 0,
        result & ones(datasize) == 0,
        false,
        false,
    )
}

/// `ConditionHolds(cond)`, by table: bit `nzcv` of `CONDITIONS[cond]`.
#[inline(always)]
pub fn condition_holds(cond: u32, p: &Pstate) -> bool {
    let nzcv =
        (u32::from(p.n) << 3) | (u32::from(p.z) << 2) | (u32::from(p.c) << 1) | u32::from(p.v);
    (CONDITIONS[cond as usize & 15] >> nzcv) & 1 != 0
}

/// For each condition, the NZCV values (as bit numbers) for which it holds: the pseudocode's
/// `ConditionHolds`, evaluated once at build time.
const CONDITIONS: [u16; 16] = {
    let mut table = [0u16; 16];
    let mut cond = 0;
    while cond < 16 {
        let mut nzcv = 0;
        while nzcv < 16 {
            let (n, z, c, v) = (nzcv & 8 != 0, nzcv & 4 != 0, nzcv & 2 != 0, nzcv & 1 != 0);
            let result = match cond >> 1 {
                0 => z,
                1 => c,
                2 => n,
                3 => v,
                4 => c && !z,
                5 => n == v,
                6 => n == v && !z,
                _ => true,
            };
            let holds = if cond & 1 == 1 && cond != 0b1111 {
                !result
            } else {
                result
            };
            if holds {
                table[cond] |= 1 << nzcv;
            }
            nzcv += 1;
        }
        cond += 1;
    }
    table
};

/// `HighestSetBit`, -1 for zero.
fn highest_set_bit(x: u32) -> i32 {
    31 - x.leading_zeros() as i32
}

/// `ROR(x, shift)` on `datasize` bits.
#[inline]
pub fn ror(x: u64, shift: u32, datasize: u32) -> u64 {
    if datasize == 64 {
        x.rotate_right(shift)
    } else {
        u64::from((x as u32).rotate_right(shift))
    }
}

/// `Replicate(x<esize-1:0>)` to 64 bits (`esize` a power of two): a multiplication by the
/// pattern with a one at the bottom of each element, which cannot carry between elements.
#[inline]
fn replicate(x: u64, esize: u32) -> u64 {
    let m = ones(esize);
    (x & m).wrapping_mul(u64::MAX / m)
}

/// `DecodeBitMasks(immN, imms, immr, immediate, M)`: `(wmask, tmask)`, or `None` where the
/// pseudocode says UNDEFINED (a reserved value).
#[inline]
pub fn decode_bit_masks(
    imm_n: u32,
    imms: u32,
    immr: u32,
    immediate: bool,
    datasize: u32,
) -> Option<(u64, u64)> {
    let len = highest_set_bit((imm_n << 6) | (!imms & 0x3f));
    if len < 1 {
        return None;
    }
    let len = len as u32;
    let esize = 1u32 << len;
    if esize > datasize {
        return None;
    }
    let levels = esize - 1;
    if immediate && (imms & levels) == levels {
        return None;
    }
    let s = imms & levels;
    let r = immr & levels;
    let diff = s.wrapping_sub(r) & 0x3f;
    let d = diff & levels;
    let welem = ones(s + 1);
    let telem = ones(d + 1);
    let welem = if r == 0 {
        welem
    } else {
        ((welem >> r) | (welem << (esize - r))) & ones(esize)
    };
    let wmask = replicate(welem, esize) & ones(datasize);
    let tmask = replicate(telem, esize) & ones(datasize);
    Some((wmask, tmask))
}

/// `ShiftReg(reg, shift_type, amount)` on `datasize` bits (shift_type: LSL, LSR, ASR, ROR).
#[inline(always)]
pub fn shift_reg(value: u64, shift_type: u32, amount: u32, datasize: u32) -> u64 {
    let amount = amount % datasize;
    let v = value & ones(datasize);
    match shift_type {
        0 => (v << amount) & ones(datasize),
        1 => v >> amount,
        2 => {
            if datasize == 64 {
                ((v as i64) >> amount) as u64
            } else {
                u64::from(((v as u32 as i32) >> amount) as u32)
            }
        }
        _ => ror(v, amount, datasize),
    }
}

/// `ExtendReg(reg, exttype, shift)`: UXTB..SXTX then left shift, on `datasize` bits.
#[inline(always)]
pub fn extend_reg(value: u64, option: u32, shift: u32, datasize: u32) -> u64 {
    let v = match option {
        0 => value & 0xff,
        1 => value & 0xffff,
        2 => value & 0xffff_ffff,
        3 => value,
        4 => value as i8 as i64 as u64,
        5 => value as i16 as i64 as u64,
        6 => value as i32 as i64 as u64,
        _ => value,
    };
    (v << shift) & ones(datasize)
}

/// `SignExtend(x<width-1:0>, 64)`.
#[inline]
pub fn sign_extend(x: u64, width: u32) -> u64 {
    let s = 64 - width;
    (((x << s) as i64) >> s) as u64
}
