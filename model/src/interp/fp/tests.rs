//! Table-driven tests of scalar floating point at the boundaries the Arm ARM's FPRound and
//! FPProcessNaNs define: each row is one instruction (from `aarch64-linux-gnu-as`), FPCR, the
//! operands in V1, V2, V3 (V1's value is also in X1), the result, and FPSR afterwards.
//! `machines/tests/programs/fp.c` checks the same instructions on random operands against
//! qemu-aarch64.

use crate::interp::{Config, Cpu, Exception, Features, Stop};
use crate::memory::{FlatMemory, Perms};
use crate::state::State;

const CODE: u64 = 0x1000;

// FPCR settings.
const RN: u64 = 0;
const RP: u64 = 1 << 22;
const RM: u64 = 2 << 22;
const RZ: u64 = 3 << 22;
const RN_FZ: u64 = 1 << 24;
const RN_FZ16: u64 = 1 << 19;
const RN_DN: u64 = 1 << 25;
const AHP: u64 = 1 << 26;

// FPSR cumulative flags.
const IOC: u64 = 1;
const DZC: u64 = 2;
const UFC: u64 = 8;
const IXC: u64 = 0x10;
const IDC: u64 = 0x80;
const OFC_IXC: u64 = 4 | IXC;
const UFC_IXC: u64 = UFC | IXC;

// Doubles.
const ONE: u64 = 0x3ff0_0000_0000_0000;
const TWO: u64 = 0x4000_0000_0000_0000;
const MAXD: u64 = 0x7fef_ffff_ffff_ffff;
const INFD: u64 = 0x7ff0_0000_0000_0000;
const DNAND: u64 = 0x7ff8_0000_0000_0000;

/// What the instruction writes besides FPSR.
#[derive(Clone, Copy, Debug)]
enum Out {
    /// V0, zero-extended.
    V(u64),
    /// X0.
    X(u64),
    /// PSTATE.NZCV.
    Nzcv(u8),
    /// X0 and NZCV (FJCVTZS).
    XNzcv(u64, u8),
}
use Out::{Nzcv as NZCV, V, X, XNzcv as X_NZCV};

/// Runs `word` with FPCR `fpcr`, V1..V3 = `ops`, X1 = `ops[0]` and V0 all ones, and checks the
/// final state is the initial one with `out` written, FPSR = `fpsr` and PC moved on.
fn check(asm: &str, word: u32, fpcr: u64, ops: [u64; 3], out: Out, fpsr: u64, why: &str) {
    let mut mem = FlatMemory::new();
    mem.map(CODE, 0x1000, Perms::RX);
    mem.poke(CODE, &word.to_le_bytes()).unwrap();
    let mut cpu = Cpu::new(Config::default());
    let mut s = State::default();
    s.pc = CODE;
    s.fpcr = fpcr;
    s.v[0] = u128::MAX;
    s.x[0] = u64::MAX;
    for (k, &op) in ops.iter().enumerate() {
        s.v[k + 1] = u128::from(op);
    }
    s.x[1] = ops[0];
    cpu.state = s.clone();
    let stop = cpu.run(&mut mem, 1);
    assert_eq!(stop, Stop::Budget, "{asm} ({why})");
    let mut want = s;
    want.pc = CODE + 4;
    want.fpsr = fpsr;
    match out {
        V(x) => want.v[0] = u128::from(x),
        X(x) => want.x[0] = x,
        NZCV(n) => want.pstate.set_nzcv(n),
        X_NZCV(x, n) => {
            want.x[0] = x;
            want.pstate.set_nzcv(n);
        }
    }
    assert_eq!(cpu.state, want, "{asm} ({why})");
}

#[test]
#[rustfmt::skip]
fn scalar_floating_point_at_the_boundaries() {
    let cases: &[(&str, u32, u64, [u64; 3], Out, u64, &str)] = &[
        ("fadd d0, d1, d2", 0x1e622820, RN, [ONE, 0x3ca0000000000000, 0], V(ONE), IXC, "1 + 2^-53 ties to even"),
        ("fadd d0, d1, d2", 0x1e622820, RP, [ONE, 0x3ca0000000000000, 0], V(0x3ff0000000000001), IXC, "1 + 2^-53 rounds up towards +inf"),
        ("fadd d0, d1, d2", 0x1e622820, RM, [0xbff0000000000000, 0xbca0000000000000, 0], V(0xbff0000000000001), IXC, "-1 - 2^-53 rounds down towards -inf"),
        ("fsub d0, d1, d2", 0x1e623820, RN, [ONE, ONE, 0], V(0), 0, "x - x is +0"),
        ("fsub d0, d1, d2", 0x1e623820, RM, [ONE, ONE, 0], V(0x8000000000000000), 0, "x - x is -0 rounding towards -inf"),
        ("fadd d0, d1, d2", 0x1e622820, RN, [0x8000000000000000, 0x8000000000000000, 0], V(0x8000000000000000), 0, "-0 + -0 is -0"),
        ("fmul d0, d1, d2", 0x1e620820, RN, [0x3fefffffffffffff, 0x0010000000000000, 0], V(0x0010000000000000), UFC_IXC, "tiny before rounding, rounds up to the smallest normal: UFC"),
        ("fmul d0, d1, d2", 0x1e620820, RZ, [0x3fefffffffffffff, 0x0010000000000000, 0], V(0x000fffffffffffff), UFC_IXC, "the same product truncated: largest denormal"),
        ("fmul s0, s1, s2", 0x1e220820, RN, [0x3f7fffff, 0x00800000, 0], V(0x00800000), UFC_IXC, "single: tiny before rounding, rounds to the smallest normal"),
        ("fmul d0, d1, d2", 0x1e620820, RN, [0x0170000000000000, 0x3c30000000000000, 0], V(0x0000000000004000), 0, "an exact denormal result raises nothing"),
        ("fmul d0, d1, d2", 0x1e620820, RN, [0x0010000000000001, 0x3fe0000000000000, 0], V(0x0008000000000000), UFC_IXC, "denormal result rounded to even"),
        ("fmul d0, d1, d2", 0x1e620820, RN, [MAXD, TWO, 0], V(INFD), OFC_IXC, "overflow to infinity, round to nearest"),
        ("fmul d0, d1, d2", 0x1e620820, RZ, [MAXD, TWO, 0], V(MAXD), OFC_IXC, "overflow to the largest finite, round towards zero"),
        ("fmul d0, d1, d2", 0x1e620820, RP, [0xffefffffffffffff, TWO, 0], V(0xffefffffffffffff), OFC_IXC, "negative overflow towards +inf: largest finite"),
        ("fmul d0, d1, d2", 0x1e620820, RM, [0xffefffffffffffff, TWO, 0], V(0xfff0000000000000), OFC_IXC, "negative overflow towards -inf: -inf"),
        ("fadd d0, d1, d2", 0x1e622820, RN, [MAXD, 0x7c90000000000000, 0], V(INFD), OFC_IXC, "MAX + half an ulp ties to even, which overflows"),
        ("fadd d0, d1, d2", 0x1e622820, RN, [MAXD, 0x7c8fffffffffffff, 0], V(MAXD), IXC, "MAX + less than half an ulp stays finite"),
        ("fadd d0, d1, d2", 0x1e622820, RN_FZ, [0x0000000000000001, 0, 0], V(0), IDC, "FZ flushes a denormal input: IDC"),
        ("fmul d0, d1, d2", 0x1e620820, RN_FZ, [0x0010000000000000, 0x3fe0000000000000, 0], V(0), UFC, "FZ flushes a tiny result before rounding: UFC, no IXC"),
        ("fmul d0, d1, d2", 0x1e620820, RN_FZ, [0x8010000000000000, 0x3fe0000000000000, 0], V(0x8000000000000000), UFC, "FZ keeps the sign"),
        ("fmul d0, d1, d2", 0x1e620820, RN_FZ, [0x3fefffffffffffff, 0x0010000000000000, 0], V(0), UFC, "FZ flushes a result that would round up to the smallest normal"),
        ("fadd h0, h1, h2", 0x1ee22820, RN_FZ16, [0x0001, 0, 0], V(0), 0, "FZ16 flushes half inputs without IDC"),
        ("fadd h0, h1, h2", 0x1ee22820, RN_FZ, [0x0001, 0, 0], V(0x0001), 0, "FZ does not apply to half precision"),
        ("fmul h0, h1, h2", 0x1ee20820, RN, [0x7bff, 0x4000, 0], V(0x7c00), OFC_IXC, "half overflow"),
        ("fadd h0, h1, h2", 0x1ee22820, RN, [0x3c00, 0x1000, 0], V(0x3c00), IXC, "half: 1 + 2^-11 ties to even"),
        ("fadd d0, d1, d2", 0x1e622820, RN, [0x7ff8000000000001, ONE, 0], V(0x7ff8000000000001), 0, "a quiet NaN propagates"),
        ("fadd d0, d1, d2", 0x1e622820, RN_DN, [0x7ff8000000000001, ONE, 0], V(DNAND), 0, "DN: default NaN"),
        ("fadd d0, d1, d2", 0x1e622820, RN, [0x7ff8000000000001, 0x7ff0000000000002, 0], V(0x7ff8000000000002), IOC, "a signalling NaN wins over an earlier quiet one, quietened"),
        ("fadd d0, d1, d2", 0x1e622820, RN, [0x7ff8000000000001, 0x7ff8000000000002, 0], V(0x7ff8000000000001), 0, "two quiet NaNs: the first"),
        ("fadd d0, d1, d2", 0x1e622820, RN, [0xfff0000000000001, 0x7ff0000000000002, 0], V(0xfff8000000000001), IOC, "two signalling NaNs: the first, sign kept"),
        ("fadd d0, d1, d2", 0x1e622820, RN_DN, [0x7ff0000000000001, ONE, 0], V(DNAND), IOC, "DN with a signalling NaN still raises IOC"),
        ("fadd d0, d1, d2", 0x1e622820, RN, [INFD, 0xfff0000000000000, 0], V(DNAND), IOC, "inf - inf is invalid"),
        ("fmadd d0, d1, d2, d3", 0x1f420c20, RN, [0x7ff8000000000001, 0x7ff8000000000002, 0x7ff8000000000003], V(0x7ff8000000000003), 0, "FMADD: the addend's NaN first"),
        ("fmadd d0, d1, d2, d3", 0x1f420c20, RN, [0x7ff8000000000001, 0x7ff0000000000002, 0x7ff8000000000003], V(0x7ff8000000000002), IOC, "FMADD: a signalling multiplicand beats a quiet addend"),
        ("fmadd d0, d1, d2, d3", 0x1f420c20, RN, [INFD, 0, 0x7ff8000000000003], V(DNAND), IOC, "FMADD: inf * 0 with a quiet NaN addend is the default NaN"),
        ("fmadd d0, d1, d2, d3", 0x1f420c20, RN, [0x3ff0000000400000, 0x3ff0000000400000, 0xbff0000000000000], V(0x3e20000000200000), 0, "FMADD rounds once: (1 + 2^-30)^2 - 1 is exact"),
        ("fmsub d0, d1, d2, d3", 0x1f428c20, RN, [TWO, 0x4008000000000000, ONE], V(0xc014000000000000), 0, "FMSUB: 1 - 2*3"),
        ("fnmadd d0, d1, d2, d3", 0x1f620c20, RN, [TWO, 0x4008000000000000, ONE], V(0xc01c000000000000), 0, "FNMADD: -1 - 2*3"),
        ("fnmsub d0, d1, d2, d3", 0x1f628c20, RN, [TWO, 0x4008000000000000, ONE], V(0x4014000000000000), 0, "FNMSUB: -1 + 2*3"),
        ("fnmadd d0, d1, d2, d3", 0x1f620c20, RN, [ONE, ONE, 0xbff0000000000000], V(0), 0, "FNMADD: 1 - 1*1 is an exact zero, +0 in RN"),
        ("fnmul d0, d1, d2", 0x1e628820, RN, [INFD, 0, 0], V(0xfff8000000000000), IOC, "FNMUL negates the default NaN too"),
        ("fdiv d0, d1, d2", 0x1e621820, RN, [ONE, 0x8000000000000000, 0], V(0xfff0000000000000), DZC, "1 / -0 is -inf: DZC"),
        ("fdiv d0, d1, d2", 0x1e621820, RN, [0, 0, 0], V(DNAND), IOC, "0 / 0 is invalid"),
        ("fdiv d0, d1, d2", 0x1e621820, RN, [ONE, 0x4008000000000000, 0], V(0x3fd5555555555555), IXC, "1 / 3"),
        ("fdiv s0, s1, s2", 0x1e221820, RZ, [0x3f800000, 0x40400000, 0], V(0x3eaaaaaa), IXC, "single 1 / 3 towards zero"),
        ("fsqrt d0, d1", 0x1e61c020, RN, [TWO, 0, 0], V(0x3ff6a09e667f3bcd), IXC, "sqrt(2)"),
        ("fsqrt d0, d1", 0x1e61c020, RN, [0x4010000000000000, 0, 0], V(TWO), 0, "sqrt(4) is exact"),
        ("fsqrt d0, d1", 0x1e61c020, RN, [0xbff0000000000000, 0, 0], V(DNAND), IOC, "sqrt(-1) is invalid"),
        ("fsqrt d0, d1", 0x1e61c020, RN, [0x8000000000000000, 0, 0], V(0x8000000000000000), 0, "sqrt(-0) is -0"),
        ("fsqrt d0, d1", 0x1e61c020, RN, [0x0000000000000001, 0, 0], V(0x1e60000000000000), 0, "sqrt of the smallest denormal, 2^-537"),
        ("fmax d0, d1, d2", 0x1e624820, RN, [0x8000000000000000, 0, 0], V(0), 0, "FMAX(-0, +0) is +0"),
        ("fmax d0, d1, d2", 0x1e624820, RN, [0, 0x8000000000000000, 0], V(0), 0, "FMAX(+0, -0) is +0"),
        ("fmin d0, d1, d2", 0x1e625820, RN, [0, 0x8000000000000000, 0], V(0x8000000000000000), 0, "FMIN(+0, -0) is -0"),
        ("fmaxnm d0, d1, d2", 0x1e626820, RN, [0x8000000000000000, 0, 0], V(0), 0, "FMAXNM(-0, +0) is +0"),
        ("fminnm d0, d1, d2", 0x1e627820, RN, [0, 0x8000000000000000, 0], V(0x8000000000000000), 0, "FMINNM(+0, -0) is -0"),
        ("fmax d0, d1, d2", 0x1e624820, RN, [0x7ff8000000000001, ONE, 0], V(0x7ff8000000000001), 0, "FMAX propagates a quiet NaN"),
        ("fmaxnm d0, d1, d2", 0x1e626820, RN, [0x7ff8000000000001, ONE, 0], V(ONE), 0, "FMAXNM: a number beats a quiet NaN"),
        ("fminnm d0, d1, d2", 0x1e627820, RN, [ONE, 0x7ff8000000000001, 0], V(ONE), 0, "FMINNM: a number beats a quiet NaN"),
        ("fmaxnm d0, d1, d2", 0x1e626820, RN, [0x7ff0000000000001, ONE, 0], V(0x7ff8000000000001), IOC, "FMAXNM: a signalling NaN still propagates"),
        ("fmax d0, d1, d2", 0x1e624820, RN_FZ, [0x0000000000000003, 0x0000000000000002, 0], V(0), IDC, "FMAX flushes denormal inputs under FZ"),
        ("fmin d0, d1, d2", 0x1e625820, RN, [0x0000000000000003, 0x0000000000000002, 0], V(0x0000000000000002), 0, "FMIN of denormals is exact"),
        ("fabs d0, d1", 0x1e60c020, RN, [0xfff0000000000001, 0, 0], V(0x7ff0000000000001), 0, "FABS of a signalling NaN: no exception"),
        ("fneg s0, s1", 0x1e214020, RN, [0x7fc00000, 0, 0], V(0xffc00000), 0, "FNEG flips a NaN's sign"),
        ("fcvtzs w0, d1", 0x1e780020, RN, [0x41e0000000000000, 0, 0], X(0x7fffffff), IOC, "2^31 saturates"),
        ("fcvtzs w0, d1", 0x1e780020, RN, [0xc1e0000000000000, 0, 0], X(0x80000000), 0, "-2^31 fits"),
        ("fcvtzs w0, d1", 0x1e780020, RN, [0xc1e0000000100000, 0, 0], X(0x80000000), IXC, "-2^31 - 0.5 truncates into range"),
        ("fcvtzs x0, d1", 0x9e780020, RN, [0xfff0000000000000, 0, 0], X(0x8000000000000000), IOC, "-inf saturates"),
        ("fcvtzs x0, d1", 0x9e780020, RN, [0x7ff8000000000000, 0, 0], X(0), IOC, "NaN converts to 0"),
        ("fcvtzu w0, d1", 0x1e790020, RN, [0xbff0000000000000, 0, 0], X(0), IOC, "-1 to unsigned saturates"),
        ("fcvtzu w0, d1", 0x1e790020, RN, [0xbfe0000000000000, 0, 0], X(0), IXC, "-0.5 to unsigned truncates to 0"),
        ("fcvtzu x0, d1", 0x9e790020, RN, [0x43f0000000000000, 0, 0], X(0xffffffffffffffff), IOC, "2^64 saturates"),
        ("fcvtns x0, d1", 0x9e600020, RN, [0x4004000000000000, 0, 0], X(2), IXC, "2.5 ties to even"),
        ("fcvtas x0, d1", 0x9e640020, RN, [0x4004000000000000, 0, 0], X(3), IXC, "2.5 ties away"),
        ("fcvtms x0, d1", 0x9e700020, RN, [0xbfe0000000000000, 0, 0], X(0xffffffffffffffff), IXC, "-0.5 towards -inf"),
        ("fcvtps w0, s1", 0x1e280020, RN, [0x3f000000, 0, 0], X(1), IXC, "0.5 towards +inf"),
        ("fcvtzs w0, h1", 0x1ef80020, RN, [0xfbff, 0, 0], X(0xffff0020), 0, "half -65504"),
        ("fcvtzs w0, d1, #1", 0x1e58fc20, RN, [0x3ffc000000000000, 0, 0], X(3), IXC, "fixed point: 1.75 with one fraction bit"),
        ("fcvtzu x0, s1, #64", 0x9e190020, RN, [0x3f000000, 0, 0], X(0x8000000000000000), 0, "fixed point: 0.5 with 64 fraction bits"),
        ("scvtf d0, x1", 0x9e620020, RN, [0x0020000000000001, 0, 0], V(0x4340000000000000), IXC, "2^53 + 1 ties to even"),
        ("scvtf d0, x1", 0x9e620020, RP, [0x0020000000000001, 0, 0], V(0x4340000000000001), IXC, "2^53 + 1 towards +inf"),
        ("ucvtf s0, w1", 0x1e230020, RN, [0xffffffff, 0, 0], V(0x4f800000), IXC, "2^32 - 1 rounds up"),
        ("scvtf s0, w1", 0x1e220020, RN, [0xffffffff, 0, 0], V(0xbf800000), 0, "-1"),
        ("scvtf d0, w1, #1", 0x1e42fc20, RN, [3, 0, 0], V(0x3ff8000000000000), 0, "fixed point: 3 / 2"),
        ("ucvtf h0, x1", 0x9ee30020, RN, [0xffffffffffffffff, 0, 0], V(0x7c00), OFC_IXC, "2^64 - 1 overflows half"),
        ("scvtf h0, x1, #64", 0x9ec20020, RN_FZ16, [1, 0, 0], V(0), UFC, "2^-64 flushed under FZ16"),
        ("frintx d0, d1", 0x1e674020, RN, [0x4004000000000000, 0, 0], V(TWO), IXC, "FRINTX 2.5: inexact"),
        ("frinti d0, d1", 0x1e67c020, RP, [0x4004000000000000, 0, 0], V(0x4008000000000000), 0, "FRINTI 2.5 towards +inf: no IXC"),
        ("frinta d0, d1", 0x1e664020, RN, [0xc004000000000000, 0, 0], V(0xc008000000000000), 0, "FRINTA -2.5 ties away"),
        ("frintm d0, d1", 0x1e654020, RN, [0x3fe0000000000000, 0, 0], V(0), 0, "FRINTM 0.5 is +0"),
        ("frintp d0, d1", 0x1e64c020, RN, [0xbfe0000000000000, 0, 0], V(0x8000000000000000), 0, "FRINTP -0.5 is -0"),
        ("frintn s0, s1", 0x1e244020, RN, [0x7f800001, 0, 0], V(0x7fc00001), IOC, "FRINTN quietens a signalling NaN"),
        ("frint32z d0, d1", 0x1e684020, RN, [0x41e0000000000000, 0, 0], V(0xc1e0000000000000), IOC, "FRINT32Z 2^31 overflows to -2^31"),
        ("frint32x d0, d1", 0x1e68c020, RN, [0xc1e0000000100000, 0, 0], V(0xc1e0000000000000), IXC, "FRINT32X -2^31 - 0.5 ties to even, into range"),
        ("frint64z s0, s1", 0x1e294020, RN, [0xff800000, 0, 0], V(0xdf000000), IOC, "FRINT64Z -inf is -2^63"),
        ("frint64x d0, d1", 0x1e69c020, RN, [0x43dfffffffffffff, 0, 0], V(0x43dfffffffffffff), 0, "FRINT64X: the largest double below 2^63 fits"),
        ("fcvt s0, d1", 0x1e624020, RN, [0x7ff4000000000000, 0, 0], V(0x7fe00000), IOC, "FCVT quietens a signalling NaN, keeping the top of the payload"),
        ("fcvt s0, d1", 0x1e624020, RN, [MAXD, 0, 0], V(0x7f800000), OFC_IXC, "FCVT overflow"),
        ("fcvt s0, d1", 0x1e624020, RN, [0x3690000000000000, 0, 0], V(0), UFC_IXC, "FCVT 2^-150 ties to even: +0, tiny and inexact"),
        ("fcvt s0, d1", 0x1e624020, RN, [0x3698000000000000, 0, 0], V(0x00000001), UFC_IXC, "FCVT 1.5 * 2^-150 rounds up to the smallest denormal"),
        ("fcvt d0, s1", 0x1e22c020, RN_FZ, [0x00000001, 0, 0], V(0), IDC, "FCVT flushes a single denormal input under FZ"),
        ("fcvt d0, h1", 0x1ee2c020, RN_FZ16, [0x0001, 0, 0], V(0x3e70000000000000), 0, "FCVT ignores FZ16: 2^-24"),
        ("fcvt h0, s1", 0x1e23c020, RN_FZ16, [0x33800000, 0, 0], V(0x0001), 0, "FCVT ignores FZ16 on half outputs"),
        ("fcvt h0, s1", 0x1e23c020, AHP, [0x47800000, 0, 0], V(0x7c00), 0, "AHP: 65536 is a number"),
        ("fcvt h0, s1", 0x1e23c020, AHP, [0x7f800000, 0, 0], V(0x7fff), IOC, "AHP: infinity is invalid, the largest magnitude"),
        ("fcvt s0, h1", 0x1ee24020, AHP, [0x7fff, 0, 0], V(0x47ffe000), 0, "AHP: 0x7fff is 131008"),
        ("fcvt h0, d1", 0x1e63c020, RN, [0x7ff8000000000001, 0, 0], V(0x7e00), 0, "FCVT narrows a NaN payload from the top"),
        ("fcmp d1, d2", 0x1e622020, RN, [ONE, 0x7ff8000000000000, 0], NZCV(0b0011), 0, "FCMP unordered, quiet: no IOC"),
        ("fcmpe d1, d2", 0x1e622030, RN, [ONE, 0x7ff8000000000000, 0], NZCV(0b0011), IOC, "FCMPE unordered: IOC"),
        ("fcmp d1, d2", 0x1e622020, RN, [ONE, 0x7ff0000000000001, 0], NZCV(0b0011), IOC, "FCMP with a signalling NaN: IOC"),
        ("fcmp d1, #0.0", 0x1e602028, RN, [0x8000000000000000, 0, 0], NZCV(0b0110), 0, "-0 equals +0"),
        ("fcmp s1, s2", 0x1e222020, RN, [0xbf800000, 0x3f800000, 0], NZCV(0b1000), 0, "less than"),
        ("fcmp h1, h2", 0x1ee22020, RN, [0x3c00, 0xbc00, 0], NZCV(0b0010), 0, "greater than"),
        ("fcmp d1, d2", 0x1e622020, RN_FZ, [0x0000000000000001, 0, 0], NZCV(0b0110), IDC, "FZ: a denormal compares equal to zero"),
        ("fccmp d1, d2, #5, eq", 0x1e620425, RN, [ONE, TWO, 0], NZCV(0b0101), 0, "FCCMP with a false condition takes #nzcv"),
        ("fccmpe d1, d2, #5, ne", 0x1e621435, RN, [ONE, 0x7ff8000000000000, 0], NZCV(0b0011), IOC, "FCCMPE with a true condition compares"),
        ("fcsel d0, d1, d2, eq", 0x1e620c20, RN, [ONE, TWO, 0], V(TWO), 0, "FCSEL: Z clear selects the second"),
        ("fmov d0, #-1.25", 0x1e7e9000, RN, [0, 0, 0], V(0xbff4000000000000), 0, "FMOV immediate, double"),
        ("fmov h0, #31.0", 0x1ee7f000, RN, [0, 0, 0], V(0x4fc0), 0, "FMOV immediate, half"),
        ("fmov s0, #0.125", 0x1e281000, RN, [0, 0, 0], V(0x3e000000), 0, "FMOV immediate, single"),
        ("fmov h0, w1", 0x1ee70020, RN, [0x12345678, 0, 0], V(0x5678), 0, "FMOV from a general register to half"),
        ("fmov w0, h1", 0x1ee60020, RN, [0xabcd, 0, 0], X(0xabcd), 0, "FMOV from half to a general register"),
        ("fjcvtzs w0, d1", 0x1e7e0020, RN, [ONE, 0, 0], X_NZCV(1, 0b0100), 0, "FJCVTZS exact: Z set"),
        ("fjcvtzs w0, d1", 0x1e7e0020, RN, [0x41f0000000500000, 0, 0], X_NZCV(5, 0), IOC, "FJCVTZS 2^32 + 5 wraps modulo 2^32: IOC"),
        ("fjcvtzs w0, d1", 0x1e7e0020, RN, [0xbff8000000000000, 0, 0], X_NZCV(0xffffffff, 0), IXC, "FJCVTZS -1.5 truncates"),
        ("fjcvtzs w0, d1", 0x1e7e0020, RN, [0x8000000000000000, 0, 0], X_NZCV(0, 0), 0, "FJCVTZS -0: Z clear"),
        ("fjcvtzs w0, d1", 0x1e7e0020, RN_FZ, [0x0000000000000003, 0, 0], X_NZCV(0, 0), IDC, "FJCVTZS of a flushed positive denormal: Z clear (the Arm ARM; qemu sets it)"),
    ];
    for &(asm, word, fpcr, ops, out, fpsr, why) in cases {
        check(asm, word, fpcr, ops, out, fpsr, why);
    }
    assert_eq!(cases.len(), 126);
}

/// Without FEAT_FP16, FEAT_FRINTTS and FEAT_JSCVT their instructions are UNDEFINED; FCVT to and
/// from half precision is FEAT_FP and stays.
#[test]
fn half_precision_frintts_and_jscvt_follow_the_configuration() {
    let cases: &[(&str, u32, bool)] = &[
        ("fadd h0, h1, h2", 0x1ee22820, false),
        ("fmov w0, h1", 0x1ee60020, false),
        ("fmov h0, w1", 0x1ee70020, false),
        ("fcmp h1, h2", 0x1ee22020, false),
        ("scvtf h0, w1", 0x1ee20020, false),
        ("frint32z d0, d1", 0x1e684020, false),
        ("fjcvtzs w0, d1", 0x1e7e0020, false),
        ("fcvt h0, s1", 0x1e23c020, true),
        ("fcvt d0, h1", 0x1ee2c020, true),
        ("fadd d0, d1, d2", 0x1e622820, true),
    ];
    for &(asm, word, defined) in cases {
        let mut mem = FlatMemory::new();
        mem.map(CODE, 0x1000, Perms::RX);
        mem.poke(CODE, &word.to_le_bytes()).unwrap();
        let mut cpu = Cpu::new(Config {
            features: Features {
                fp16: false,
                frintts: false,
                jscvt: false,
                ..Features::ALL
            },
            ..Config::default()
        });
        cpu.state.pc = CODE;
        let stop = cpu.run(&mut mem, 1);
        let undefined = matches!(stop, Stop::Exception(Exception::Undefined { .. }));
        assert_eq!(undefined, !defined, "{asm}: {stop:?}");
    }
}
