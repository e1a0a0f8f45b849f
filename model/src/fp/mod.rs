//! Exact floating-point arithmetic as the Arm ARM's pseudocode defines it (`shared/functions/
//! float`): `FPUnpack`, `FPRound`, `FPProcessNaNs` and the operations built on them, for half,
//! single and double precision.
//!
//! Every operation works on exact values: an operand is `mant * 2^exp` with an integer
//! mantissa, products and quotients are formed in 128-bit integers, and a result that cannot be
//! held exactly keeps a sticky bit below its last digit. [`Env::round`] is `FPRoundBase` step
//! by step: flush to zero before rounding, tininess detected before rounding (FPCR.AH = 0),
//! every rounding mode, overflow to infinity or to the largest finite number, and the
//! cumulative flags. No host floating point is used anywhere.
//!
//! FEAT_AFP's controls are read from FPCR as they stand (without FEAT_AFP the PE keeps them 0,
//! so the standard behaviour follows): FIZ flushes single and double inputs without Input
//! Denormal; AH = 1 is the alternate handling: FZ no longer flushes inputs, tininess and
//! flushing are decided after rounding with an unbounded exponent (a flushed result is
//! Underflow and Inexact), the default NaN is negative, NaN operands are chosen by position
//! rather than signalling first, FPNeg and FPAbs leave NaNs alone, and FPMax/FPMin return the
//! second operand for NaNs (Invalid) and for zeros of opposite sign.

/// A floating-point format: half, single or double precision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fmt {
    H,
    S,
    D,
    /// BFloat16: single precision's exponent with seven fraction bits. Only rounding
    /// (`FPConvertBF`) uses it.
    BF,
}

impl Fmt {
    /// The width N.
    pub const fn bits(self) -> u32 {
        match self {
            Fmt::H | Fmt::BF => 16,
            Fmt::S => 32,
            Fmt::D => 64,
        }
    }

    /// Exponent bits E.
    const fn e(self) -> u32 {
        match self {
            Fmt::H => 5,
            Fmt::S | Fmt::BF => 8,
            Fmt::D => 11,
        }
    }

    /// Fraction bits F.
    const fn f(self) -> u32 {
        match self {
            Fmt::H => 10,
            Fmt::S => 23,
            Fmt::D => 52,
            Fmt::BF => 7,
        }
    }

    /// The exponent of the smallest normal number.
    const fn min_exp(self) -> i32 {
        2 - (1 << (self.e() - 1))
    }

    const fn bias(self) -> i32 {
        (1 << (self.e() - 1)) - 1
    }

    const fn frac_mask(self) -> u64 {
        (1 << self.f()) - 1
    }

    const fn exp_mask(self) -> u64 {
        (1 << self.e()) - 1
    }

    const fn sign_bit(self) -> u64 {
        1 << (self.bits() - 1)
    }

    /// `Zeros(N)` or `Ones(N)` under the format: a mask of N bits.
    pub const fn mask(self) -> u64 {
        if self.bits() == 64 {
            u64::MAX
        } else {
            (1 << self.bits()) - 1
        }
    }

    /// `FPZero(sign)`.
    pub const fn zero(self, sign: bool) -> u64 {
        if sign { self.sign_bit() } else { 0 }
    }

    /// `FPInfinity(sign)`.
    pub const fn infinity(self, sign: bool) -> u64 {
        self.zero(sign) | (self.exp_mask() << self.f())
    }

    /// `FPMaxNormal(sign)`.
    pub const fn max_normal(self, sign: bool) -> u64 {
        self.zero(sign) | ((self.exp_mask() - 1) << self.f()) | self.frac_mask()
    }

    /// `FPDefaultNaN()` (FPCR.AH = 0: positive sign).
    pub const fn default_nan(self) -> u64 {
        self.infinity(false) | (1 << (self.f() - 1))
    }

    /// `(-1)^sign * 2^e` for a normal `e`.
    const fn pow2(self, sign: bool, e: i32) -> u64 {
        self.zero(sign) | (((e + self.bias()) as u64) << self.f())
    }
}

/// `FPRounding`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rounding {
    TieEven,
    PosInf,
    NegInf,
    Zero,
    TieAway,
    Odd,
}

impl Rounding {
    /// `FPDecodeRounding(rmode)`: FPCR.RMode and the float-to-int rmode field.
    pub const fn decode(rmode: u64) -> Rounding {
        match rmode & 3 {
            0 => Rounding::TieEven,
            1 => Rounding::PosInf,
            2 => Rounding::NegInf,
            _ => Rounding::Zero,
        }
    }
}

/// FPSR cumulative exception bits.
pub mod flags {
    pub const IOC: u32 = 1 << 0;
    pub const DZC: u32 = 1 << 1;
    pub const OFC: u32 = 1 << 2;
    pub const UFC: u32 = 1 << 3;
    pub const IXC: u32 = 1 << 4;
    pub const IDC: u32 = 1 << 7;
}

/// FPCR fields.
pub mod fpcr {
    pub const AHP: u64 = 1 << 26;
    pub const DN: u64 = 1 << 25;
    pub const FZ: u64 = 1 << 24;
    pub const RMODE_SHIFT: u32 = 22;
    pub const FZ16: u64 = 1 << 19;
    /// FEAT_AFP: the alternate handling (AH), flushing inputs to zero (FIZ), and keeping the
    /// other elements of a scalar result (NEP).
    pub const NEP: u64 = 1 << 2;
    pub const AH: u64 = 1 << 1;
    pub const FIZ: u64 = 1 << 0;
}

/// `FPType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FpType {
    Zero,
    Denormal,
    Nonzero,
    Infinity,
    QNaN,
    SNaN,
}

/// The result of `FPUnpack`: the type, the sign and, for finite numbers, the value
/// `mant * 2^exp` exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unpacked {
    pub ty: FpType,
    pub sign: bool,
    pub mant: u64,
    pub exp: i32,
}

impl Unpacked {
    fn is_nan(&self) -> bool {
        matches!(self.ty, FpType::QNaN | FpType::SNaN)
    }

    fn is_zero(&self) -> bool {
        self.ty == FpType::Zero
    }

    fn is_inf(&self) -> bool {
        self.ty == FpType::Infinity
    }
}

/// The FP environment of one operation: FPCR in, FPSR's cumulative flags out (ORed into
/// `flags`; exceptions are never trapped, as in user mode under Linux).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Env {
    pub fpcr: u64,
    pub flags: u32,
}

/// `RecipEstimate(a)` for 9-bit `a` in 256..512: the Arm ARM's reciprocal table.
pub fn recip_estimate_table(a: u32) -> u32 {
    let a = a * 2 + 1;
    let b = (1u32 << 19) / a;
    b.div_ceil(2)
}

/// `RecipSqrtEstimate(a)` for 9-bit `a` in 128..512: the Arm ARM's reciprocal square root
/// table.
pub fn recip_sqrt_estimate_table(a: u32) -> u32 {
    let a = u64::from(if a < 256 {
        a * 2 + 1
    } else {
        (((a >> 1) << 1) + 1) * 2
    });
    let mut b = 512u64;
    while a * (b + 1) * (b + 1) < 1 << 28 {
        b += 1;
    }
    b.div_ceil(2) as u32
}

/// `RecipEstimate(a, TRUE)` for 12-bit `a` in 2048..4096 (FEAT_RPRES): the reciprocal of
/// `(2a + 1) / 2^13` to 12 fraction bits, rounded to nearest. The quotient is never a tie
/// because `2a + 1` is odd, so rounding the 2^26 quotient's last bit away is exact.
pub fn recip_estimate_12(a: u32) -> u32 {
    let a = a * 2 + 1;
    let b = (1u32 << 26) / a;
    b.div_ceil(2)
}

/// `RecipSqrtEstimate(a, TRUE)` for `a` in 1024..4096 (FEAT_RPRES): below 2048 the input is
/// `a / 2^12` (an odd exponent), from 2048 it is `a / 2^12` with its last bit dropped. The
/// result is the least `b` with `a' * b^2 >= 2^39`, halved, as in the 8-bit form.
pub fn recip_sqrt_estimate_12(a: u32) -> u32 {
    let a = u64::from(if a < 2048 {
        a * 2 + 1
    } else {
        (((a >> 1) << 1) + 1) * 2
    });
    let mut b = 8192u64;
    while a * (b + 1) * (b + 1) < 1 << 39 {
        b += 1;
    }
    b.div_ceil(2) as u32
}

/// An exact nonzero magnitude: `mant * 2^exp`, plus something strictly between 0 and `2^exp`
/// when `sticky`.
#[derive(Clone, Copy, Debug)]
struct Real {
    mant: u128,
    exp: i32,
    sticky: bool,
}

/// `BFUnpack(op)`: a single-precision value whose denormals are zeros and whose NaNs are all
/// quiet (BFloat16 arithmetic has no signalling NaNs and no input exceptions).
fn bf_unpack(x: u64) -> Unpacked {
    let mut u = Env::new(0).unpack_base(Fmt::S, x, true, false, false);
    if u.ty == FpType::SNaN {
        u.ty = FpType::QNaN;
    }
    u
}

/// `BFRound(op)`: the nonzero `(-1)^sign * r` to single precision, rounding to odd, flushing
/// results below the normal range to zero, and overflowing to infinity; no exceptions.
fn bf_round(sign: bool, r: Real) -> u64 {
    let mut scratch = Env::new(0);
    let result = scratch.round_base(Fmt::S, sign, r, true, false, Rounding::Odd);
    if scratch.flags & flags::OFC != 0 {
        Fmt::S.infinity(sign)
    } else {
        result
    }
}

fn bitlen(x: u128) -> i32 {
    128 - x.leading_zeros() as i32
}

/// How a discarded part compares with half a unit of the last place.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Rest {
    Zero,
    BelowHalf,
    Half,
    AboveHalf,
}

/// Splits `mant * 2^exp (+ sticky)` at `2^q`: the integer part in units of `2^q` and how the
/// rest compares with half a unit.
fn split(r: Real, q: i32) -> (u128, Rest) {
    let shift = q - r.exp;
    if shift <= 0 {
        debug_assert!(
            !r.sticky,
            "a sticky bit needs guard bits below the last place"
        );
        let s = (-shift) as u32;
        let int = if s >= 128 { 0 } else { r.mant << s };
        return (
            int,
            if r.sticky {
                Rest::BelowHalf
            } else {
                Rest::Zero
            },
        );
    }
    if shift > 128 {
        return (0, Rest::BelowHalf);
    }
    let shift = shift as u32;
    let int = if shift == 128 { 0 } else { r.mant >> shift };
    let rem = if shift == 128 {
        r.mant
    } else {
        r.mant & ((1u128 << shift) - 1)
    };
    let half = 1u128 << (shift - 1);
    let rest = if rem == 0 && !r.sticky {
        Rest::Zero
    } else if rem < half {
        Rest::BelowHalf
    } else if rem == half && !r.sticky {
        Rest::Half
    } else {
        Rest::AboveHalf
    };
    (int, rest)
}

/// Whether rounding `int` (with the rest `rest`) away from zero is what `rounding` asks for,
/// for a value of sign `sign`.
fn rounds_up(rounding: Rounding, sign: bool, int: u128, rest: Rest) -> bool {
    match rounding {
        Rounding::TieEven => rest == Rest::AboveHalf || (rest == Rest::Half && int & 1 == 1),
        Rounding::TieAway => matches!(rest, Rest::Half | Rest::AboveHalf),
        Rounding::PosInf => rest != Rest::Zero && !sign,
        Rounding::NegInf => rest != Rest::Zero && sign,
        Rounding::Zero | Rounding::Odd => false,
    }
}

/// Adds two exact signed values of at most 106 significant bits each: `(sign, magnitude)`,
/// or `None` for an exact zero.
fn add_exact(s1: bool, m1: u128, e1: i32, s2: bool, m2: u128, e2: i32) -> Option<(bool, Real)> {
    if m1 == 0 && m2 == 0 {
        return None;
    }
    if m2 == 0 {
        return Some((
            s1,
            Real {
                mant: m1,
                exp: e1,
                sticky: false,
            },
        ));
    }
    if m1 == 0 {
        return Some((
            s2,
            Real {
                mant: m2,
                exp: e2,
                sticky: false,
            },
        ));
    }
    // Normalise both so the leading one is at bit 125: the low 20 bits are then zero, so
    // alignment shifts of up to 20 are exact, and a longer one leaves at most one bit of
    // cancellation above the jammed sticky bit.
    let norm = |m: u128, e: i32| {
        let s = 126 - bitlen(m);
        (m << s, e - s)
    };
    let (a, ea) = norm(m1, e1);
    let (b, eb) = norm(m2, e2);
    let ((sa, a, ea), (sb, b, eb)) = if ea >= eb {
        ((s1, a, ea), (s2, b, eb))
    } else {
        ((s2, b, eb), (s1, a, ea))
    };
    let d = ea - eb;
    let b = if d == 0 {
        b
    } else if d >= 127 {
        1
    } else {
        let lost = b & ((1u128 << d) - 1) != 0;
        (b >> d) | u128::from(lost)
    };
    if sa == sb {
        Some((
            sa,
            Real {
                mant: a + b,
                exp: ea,
                sticky: false,
            },
        ))
    } else if a > b {
        Some((
            sa,
            Real {
                mant: a - b,
                exp: ea,
                sticky: false,
            },
        ))
    } else if b > a {
        Some((
            sb,
            Real {
                mant: b - a,
                exp: ea,
                sticky: false,
            },
        ))
    } else {
        None
    }
}

/// The integer square root of `x` and whether it was exact.
fn isqrt(x: u128) -> (u128, bool) {
    let mut rem = x;
    let mut root: u128 = 0;
    let mut bit: u128 = 1 << 126;
    while bit > x {
        bit >>= 2;
    }
    while bit != 0 {
        if rem >= root + bit {
            rem -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    (root, rem == 0)
}

impl Env {
    pub fn new(fpcr: u64) -> Env {
        Env { fpcr, flags: 0 }
    }

    /// `FPRoundingMode(fpcr)`.
    pub fn rounding(&self) -> Rounding {
        Rounding::decode(self.fpcr >> fpcr::RMODE_SHIFT)
    }

    fn dn(&self) -> bool {
        self.fpcr & fpcr::DN != 0
    }

    /// FPCR.AH: the alternate floating-point behaviour of FEAT_AFP.
    pub fn ah(&self) -> bool {
        self.fpcr & fpcr::AH != 0
    }

    /// `FPDefaultNaN(fpcr)`: negative under FPCR.AH.
    pub fn default_nan(&self, fmt: Fmt) -> u64 {
        fmt.default_nan() | fmt.zero(self.ah())
    }

    /// Whether FPUnpack flushes a denormal input of `fmt` and signals Input Denormal: FZ16 for
    /// half precision (never signalling), FZ for single and double unless FPCR.AH is 1.
    fn fz_in(&self, fmt: Fmt) -> bool {
        if fmt == Fmt::H {
            self.fpcr & fpcr::FZ16 != 0
        } else {
            self.fpcr & fpcr::FZ != 0 && !self.ah()
        }
    }

    /// Whether FZ (single, double) or FZ16 (half) flushes denormals of `fmt`.
    fn fz(&self, fmt: Fmt) -> bool {
        if fmt == Fmt::H {
            self.fpcr & fpcr::FZ16 != 0
        } else {
            self.fpcr & fpcr::FZ != 0
        }
    }

    fn raise(&mut self, flag: u32) {
        self.flags |= flag;
    }

    /// `FPUnpackBase(fpval, fpcr, fpexc)`; `fz` and `ahp` are the FPCR fields it reads for this
    /// format (FPUnpackCV clears FZ16).
    fn unpack_base(&mut self, fmt: Fmt, x: u64, fz: bool, ahp: bool, fpexc: bool) -> Unpacked {
        let sign = x & fmt.sign_bit() != 0;
        let e = ((x >> fmt.f()) & fmt.exp_mask()) as i32;
        let frac = x & fmt.frac_mask();
        let f = fmt.f() as i32;
        let (ty, mant, exp) = if e == 0 {
            if frac == 0 {
                (FpType::Zero, 0, 0)
            } else if fz {
                // FZ16 flushes half-precision inputs without signalling Input Denormal.
                if fpexc && fmt != Fmt::H {
                    self.raise(flags::IDC);
                }
                (FpType::Zero, 0, 0)
            } else if self.fpcr & fpcr::FIZ != 0 && matches!(fmt, Fmt::S | Fmt::D) {
                // FIZ flushes single and double inputs, silently.
                (FpType::Zero, 0, 0)
            } else {
                (FpType::Denormal, frac, fmt.min_exp() - f)
            }
        } else if e as u64 == fmt.exp_mask() && !(fmt == Fmt::H && ahp) {
            if frac == 0 {
                (FpType::Infinity, 0, 0)
            } else if frac >> (f - 1) & 1 == 1 {
                (FpType::QNaN, 0, 0)
            } else {
                (FpType::SNaN, 0, 0)
            }
        } else {
            (FpType::Nonzero, frac | (1 << f), e - fmt.bias() - f)
        };
        Unpacked {
            ty,
            sign,
            mant,
            exp,
        }
    }

    /// `FPUnpack(fpval, fpcr)`.
    pub fn unpack(&mut self, fmt: Fmt, x: u64) -> Unpacked {
        self.unpack_base(fmt, x, self.fz_in(fmt), false, true)
    }

    /// `FPRoundBase` of the nonzero value `(-1)^sign * r`, with `fz` the flush-to-zero control
    /// for this format and `ahp` the alternative half-precision control.
    fn round_base(
        &mut self,
        fmt: Fmt,
        sign: bool,
        r: Real,
        fz: bool,
        ahp: bool,
        rounding: Rounding,
    ) -> u64 {
        debug_assert!(r.mant != 0);
        let f = fmt.f() as i32;
        let min_exp = fmt.min_exp();
        // The unbiased exponent of the value: 2^exponent <= |value| < 2^(exponent+1).
        let exponent = r.exp + bitlen(r.mant) - 1;
        // Tininess is before rounding, or under FPCR.AH after rounding with an unbounded
        // exponent.
        let alternate = self.ah() && fmt != Fmt::BF;
        let tiny = exponent < min_exp
            && (!alternate || exponent < min_exp - 1 || {
                // Just below the normal range: tiny unless it rounds up to 2^min_exp.
                let (int, rest) = split(r, exponent - f);
                !(rounds_up(rounding, sign, int, rest) && int + 1 == 1 << (f + 1))
            });
        if fz && tiny {
            self.raise(flags::UFC);
            if alternate {
                self.raise(flags::IXC);
            }
            return fmt.zero(sign);
        }
        let mut biased_exp = (exponent - min_exp + 1).max(0);
        // The unit of the last place: 2^(exponent - F), or 2^(min_exp - F) when denormal.
        let q = if biased_exp == 0 {
            min_exp - f
        } else {
            exponent - f
        };
        let (mut int_mant, rest) = split(r, q);
        if rest != Rest::Zero && tiny {
            self.raise(flags::UFC);
        }
        let overflow_to_inf = match rounding {
            Rounding::TieEven | Rounding::TieAway => true,
            Rounding::PosInf => !sign,
            Rounding::NegInf => sign,
            Rounding::Zero | Rounding::Odd => false,
        };
        if rounds_up(rounding, sign, int_mant, rest) {
            int_mant += 1;
            if int_mant == 1 << f {
                biased_exp = 1;
            }
            if int_mant == 1 << (f + 1) {
                biased_exp += 1;
                int_mant >>= 1;
            }
        }
        let mut inexact = rest != Rest::Zero;
        if inexact && rounding == Rounding::Odd {
            int_mant |= 1;
        }
        let e_max = fmt.exp_mask() as i32;
        let result = if !(fmt == Fmt::H && ahp) {
            if biased_exp >= e_max {
                self.raise(flags::OFC);
                inexact = true;
                if overflow_to_inf {
                    fmt.infinity(sign)
                } else {
                    fmt.max_normal(sign)
                }
            } else {
                fmt.zero(sign) | ((biased_exp as u64) << f) | (int_mant as u64 & fmt.frac_mask())
            }
        } else if biased_exp > e_max {
            self.raise(flags::IOC);
            inexact = false;
            fmt.mask() & (fmt.zero(sign) | (fmt.mask() >> 1))
        } else {
            fmt.zero(sign) | ((biased_exp as u64) << f) | (int_mant as u64 & fmt.frac_mask())
        };
        if inexact {
            self.raise(flags::IXC);
        }
        result
    }

    /// `FPRound(op, fpcr, rounding)`: AHP is ignored, FZ or FZ16 applies.
    fn round(&mut self, fmt: Fmt, sign: bool, r: Real, rounding: Rounding) -> u64 {
        self.round_base(fmt, sign, r, self.fz(fmt), false, rounding)
    }

    /// `FPRoundCV`: FZ16 does not apply, AHP does.
    fn round_cv(&mut self, fmt: Fmt, sign: bool, r: Real, rounding: Rounding) -> u64 {
        let fz = fmt != Fmt::H && self.fz(fmt);
        let ahp = self.fpcr & fpcr::AHP != 0;
        self.round_base(fmt, sign, r, fz, ahp, rounding)
    }

    fn round_value(
        &mut self,
        fmt: Fmt,
        sign: bool,
        mant: u128,
        exp: i32,
        rounding: Rounding,
    ) -> u64 {
        self.round(
            fmt,
            sign,
            Real {
                mant,
                exp,
                sticky: false,
            },
            rounding,
        )
    }

    /// `FPProcessNaN(fptype, op, fpcr)`.
    fn process_nan(&mut self, fmt: Fmt, ty: FpType, x: u64) -> u64 {
        let mut result = x;
        if ty == FpType::SNaN {
            result |= 1 << (fmt.f() - 1);
            self.raise(flags::IOC);
        }
        if self.dn() {
            self.default_nan(fmt)
        } else {
            result
        }
    }

    /// `FPProcessNaNs(type1, type2, op1, op2, fpcr)` and `FPProcessNaNs3`: signalling NaNs
    /// before quiet ones, the first operand first. Under FPCR.AH a NaN is chosen by position
    /// alone, the first operand first, or for three (the addend first) the multiplicands
    /// before the addend; any signalling NaN among them is still Invalid.
    fn process_nans(&mut self, fmt: Fmt, ops: &[(Unpacked, u64)]) -> Option<u64> {
        if self.ah() {
            let order: &[usize] = if ops.len() == 3 { &[1, 2, 0] } else { &[0, 1] };
            let &(_, x) = order.iter().map(|&k| &ops[k]).find(|(u, _)| u.is_nan())?;
            if ops.iter().any(|(u, _)| u.ty == FpType::SNaN) {
                self.raise(flags::IOC);
            }
            return Some(self.process_nan(fmt, FpType::QNaN, x | 1 << (fmt.f() - 1)));
        }
        for want in [FpType::SNaN, FpType::QNaN] {
            if let Some(&(u, x)) = ops.iter().find(|(u, _)| u.ty == want) {
                return Some(self.process_nan(fmt, u.ty, x));
            }
        }
        None
    }

    /// `FPProcessDenorms`: under FPCR.AH, an operation that computes with a denormalized
    /// single or double input (one not flushed, and not decided by a NaN) signals Input
    /// Denormal.
    fn process_denorms(&mut self, fmt: Fmt, ops: &[Unpacked]) {
        if self.ah()
            && matches!(fmt, Fmt::S | Fmt::D)
            && ops.iter().any(|u| u.ty == FpType::Denormal)
        {
            self.raise(flags::IDC);
        }
    }

    fn invalid(&mut self, fmt: Fmt) -> u64 {
        self.raise(flags::IOC);
        self.default_nan(fmt)
    }

    /// `FPAdd` (and `FPSub` with `negate_b`).
    fn add_sub(&mut self, fmt: Fmt, a: u64, b: u64, negate_b: bool) -> u64 {
        let ua = self.unpack(fmt, a);
        let ub = self.unpack(fmt, b);
        if let Some(r) = self.process_nans(fmt, &[(ua, a), (ub, b)]) {
            return r;
        }
        let sb = ub.sign ^ negate_b;
        self.process_denorms(fmt, &[ua, ub]);
        let rounding = self.rounding();
        if ua.is_inf() && ub.is_inf() && ua.sign != sb {
            self.invalid(fmt)
        } else if (ua.is_inf() && !ua.sign) || (ub.is_inf() && !sb) {
            fmt.infinity(false)
        } else if (ua.is_inf() && ua.sign) || (ub.is_inf() && sb) {
            fmt.infinity(true)
        } else if ua.is_zero() && ub.is_zero() && ua.sign == sb {
            fmt.zero(ua.sign)
        } else {
            match add_exact(ua.sign, ua.mant.into(), ua.exp, sb, ub.mant.into(), ub.exp) {
                None => fmt.zero(rounding == Rounding::NegInf),
                Some((sign, r)) => self.round(fmt, sign, r, rounding),
            }
        }
    }

    /// `FPAdd(op1, op2, fpcr)`.
    pub fn add(&mut self, fmt: Fmt, a: u64, b: u64) -> u64 {
        self.add_sub(fmt, a, b, false)
    }

    /// `FPSub(op1, op2, fpcr)`.
    pub fn sub(&mut self, fmt: Fmt, a: u64, b: u64) -> u64 {
        self.add_sub(fmt, a, b, true)
    }

    /// `FPMul(op1, op2, fpcr)`.
    pub fn mul(&mut self, fmt: Fmt, a: u64, b: u64) -> u64 {
        let ua = self.unpack(fmt, a);
        let ub = self.unpack(fmt, b);
        if let Some(r) = self.process_nans(fmt, &[(ua, a), (ub, b)]) {
            return r;
        }
        self.process_denorms(fmt, &[ua, ub]);
        let sign = ua.sign ^ ub.sign;
        if (ua.is_inf() && ub.is_zero()) || (ua.is_zero() && ub.is_inf()) {
            self.invalid(fmt)
        } else if ua.is_inf() || ub.is_inf() {
            fmt.infinity(sign)
        } else if ua.is_zero() || ub.is_zero() {
            fmt.zero(sign)
        } else {
            let m = u128::from(ua.mant) * u128::from(ub.mant);
            let rounding = self.rounding();
            self.round_value(fmt, sign, m, ua.exp + ub.exp, rounding)
        }
    }

    /// `FPDiv(op1, op2, fpcr)`.
    pub fn div(&mut self, fmt: Fmt, a: u64, b: u64) -> u64 {
        let ua = self.unpack(fmt, a);
        let ub = self.unpack(fmt, b);
        if let Some(r) = self.process_nans(fmt, &[(ua, a), (ub, b)]) {
            return r;
        }
        if !ub.is_zero() {
            // Division by zero is decided by the divisor alone.
            self.process_denorms(fmt, &[ua, ub]);
        }
        let sign = ua.sign ^ ub.sign;
        if (ua.is_inf() && ub.is_inf()) || (ua.is_zero() && ub.is_zero()) {
            self.invalid(fmt)
        } else if ua.is_inf() || ub.is_zero() {
            if !ua.is_inf() {
                self.raise(flags::DZC);
            }
            fmt.infinity(sign)
        } else if ua.is_zero() || ub.is_inf() {
            fmt.zero(sign)
        } else {
            let k = 127 - bitlen(ua.mant.into());
            let n = u128::from(ua.mant) << k;
            let d = u128::from(ub.mant);
            let r = Real {
                mant: n / d,
                exp: ua.exp - k - ub.exp,
                sticky: n % d != 0,
            };
            let rounding = self.rounding();
            self.round(fmt, sign, r, rounding)
        }
    }

    /// `FPMulAdd(addend, op1, op2, fpcr)`: `addend + op1 * op2` with one rounding.
    pub fn mul_add(&mut self, fmt: Fmt, addend: u64, a: u64, b: u64) -> u64 {
        let uc = self.unpack(fmt, addend);
        let ua = self.unpack(fmt, a);
        let ub = self.unpack(fmt, b);
        let inf_times_zero = (ua.is_inf() && ub.is_zero()) || (ua.is_zero() && ub.is_inf());
        if let Some(r) = self.process_nans(fmt, &[(uc, addend), (ua, a), (ub, b)]) {
            // Under FPCR.AH the quiet NaN addend is the result.
            if uc.ty == FpType::QNaN && inf_times_zero && !self.ah() {
                return self.invalid(fmt);
            }
            return r;
        }
        let sp = ua.sign ^ ub.sign;
        let inf_p = ua.is_inf() || ub.is_inf();
        let zero_p = ua.is_zero() || ub.is_zero();
        if inf_times_zero || (uc.is_inf() && inf_p && uc.sign != sp) {
            return self.invalid(fmt);
        }
        self.process_denorms(fmt, &[uc, ua, ub]);
        if (uc.is_inf() && !uc.sign) || (inf_p && !sp) {
            fmt.infinity(false)
        } else if (uc.is_inf() && uc.sign) || (inf_p && sp) {
            fmt.infinity(true)
        } else if uc.is_zero() && zero_p && uc.sign == sp {
            fmt.zero(uc.sign)
        } else {
            let rounding = self.rounding();
            let pm = u128::from(ua.mant) * u128::from(ub.mant);
            match add_exact(uc.sign, uc.mant.into(), uc.exp, sp, pm, ua.exp + ub.exp) {
                None => fmt.zero(rounding == Rounding::NegInf),
                Some((sign, r)) => self.round(fmt, sign, r, rounding),
            }
        }
    }

    /// `FPMulX(op1, op2, fpcr)`: FPMul, except that infinity times zero is 2.0 with the
    /// product's sign.
    pub fn mul_x(&mut self, fmt: Fmt, a: u64, b: u64) -> u64 {
        let ua = self.unpack(fmt, a);
        let ub = self.unpack(fmt, b);
        if !ua.is_nan()
            && !ub.is_nan()
            && ((ua.is_inf() && ub.is_zero()) || (ua.is_zero() && ub.is_inf()))
        {
            return fmt.pow2(ua.sign ^ ub.sign, 1);
        }
        self.mul(fmt, a, b)
    }

    /// `FPRecipStepFused(op1, op2)`: `2.0 - op1 * op2` with one rounding; infinity times zero
    /// gives 2.0.
    pub fn recip_step(&mut self, fmt: Fmt, a: u64, b: u64) -> u64 {
        self.step_fused(fmt, a, b, 1, 1, 0)
    }

    /// `FPRSqrtStepFused(op1, op2)`: `(3.0 - op1 * op2) / 2` with one rounding; infinity
    /// times zero gives 1.5.
    pub fn rsqrt_step(&mut self, fmt: Fmt, a: u64, b: u64) -> u64 {
        self.step_fused(fmt, a, b, 3, 0, -1)
    }

    /// `(c_mant * 2^c_exp - a * b) * 2^scale`, rounded once, with the step instructions'
    /// special cases: NaNs first (of -a and b), infinity times zero is the constant times
    /// 2^scale, an infinite product gives an infinity.
    fn step_fused(
        &mut self,
        fmt: Fmt,
        a: u64,
        b: u64,
        c_mant: u128,
        c_exp: i32,
        scale: i32,
    ) -> u64 {
        let neg_a = self.neg(fmt, a);
        let ua = self.unpack(fmt, neg_a);
        let ub = self.unpack(fmt, b);
        if let Some(r) = self.process_nans(fmt, &[(ua, neg_a), (ub, b)]) {
            return r;
        }
        let sign = ua.sign ^ ub.sign;
        if (ua.is_inf() && ub.is_zero()) || (ua.is_zero() && ub.is_inf()) {
            return if c_mant == 1 {
                fmt.pow2(false, c_exp + scale)
            } else {
                // 1.5: 2^0 with the top fraction bit set.
                fmt.pow2(false, 0) | (1 << (fmt.f() - 1))
            };
        }
        if ua.is_inf() || ub.is_inf() {
            return fmt.infinity(sign);
        }
        let rounding = self.rounding();
        let (pm, pe) = if ua.is_zero() || ub.is_zero() {
            (0, 0)
        } else {
            (u128::from(ua.mant) * u128::from(ub.mant), ua.exp + ub.exp)
        };
        match add_exact(false, c_mant, c_exp, sign, pm, pe) {
            None => fmt.zero(rounding == Rounding::NegInf),
            Some((sign, mut r)) => {
                r.exp += scale;
                self.round(fmt, sign, r, rounding)
            }
        }
    }

    /// `FPMulAddH(addend, op1, op2, fpcr)` (FEAT_FHM): `addend + op1 * op2` in single precision
    /// from half-precision `op1` and `op2`, with one rounding. NaNs are chosen as
    /// FPProcessNaNs3H does (signalling before quiet, the addend first), a half NaN widened.
    pub fn mul_add_h(&mut self, addend: u64, a: u64, b: u64) -> u64 {
        let uc = self.unpack(Fmt::S, addend);
        let ua = self.unpack(Fmt::H, a);
        let ub = self.unpack(Fmt::H, b);
        let inf_times_zero = (ua.is_inf() && ub.is_zero()) || (ua.is_zero() && ub.is_inf());
        for want in [FpType::SNaN, FpType::QNaN] {
            if uc.ty == want {
                // As in FPMulAdd: a quiet NaN addend with infinity times zero is invalid.
                if want == FpType::QNaN && inf_times_zero {
                    return self.invalid(Fmt::S);
                }
                return self.process_nan(Fmt::S, uc.ty, addend);
            }
            for (u, x) in [(ua, a), (ub, b)] {
                if u.ty == want {
                    // FPConvertNaN: the payload below the quiet bit moves to the top of the
                    // single's fraction, the quiet bit set. (FPUnpack, not FPUnpackCV: AHP
                    // plays no part.)
                    if want == FpType::SNaN {
                        self.raise(flags::IOC);
                    }
                    if self.dn() {
                        return self.default_nan(Fmt::S);
                    }
                    let sign = (x >> 15) & 1;
                    return (sign << 31) | 0x7fc0_0000 | ((x & 0x1ff) << 13);
                }
            }
        }
        // Neither is a NaN: each half is exactly a single (flushed by FZ16 as it unpacked).
        let widen = |u: Unpacked| match u.ty {
            FpType::Zero => Fmt::S.zero(u.sign),
            FpType::Infinity => Fmt::S.infinity(u.sign),
            _ => {
                // mant * 2^exp with mant < 2^11: normal in single.
                let lead = 63 - u.mant.leading_zeros() as i32;
                let e = u.exp + lead;
                let frac = (u.mant << (23 - lead)) & Fmt::S.frac_mask();
                Fmt::S.zero(u.sign) | (((e + Fmt::S.bias()) as u64) << 23) | frac
            }
        };
        let (a32, b32) = (widen(ua), widen(ub));
        self.mul_add(Fmt::S, addend, a32, b32)
    }

    /// `FPRecipEstimate(op, fpcr)`: an 8-bit reciprocal estimate from the Arm ARM's
    /// RecipEstimate table, with its special cases, or a 12-bit one when `increased`
    /// (FEAT_RPRES, single precision under FPCR.AH).
    pub fn recip_estimate(&mut self, fmt: Fmt, a: u64, increased: bool) -> u64 {
        let u = self.unpack(fmt, a);
        let (n, f) = (fmt.bits(), fmt.f());
        match u.ty {
            FpType::SNaN | FpType::QNaN => return self.process_nan(fmt, u.ty, a),
            FpType::Infinity => return fmt.zero(u.sign),
            FpType::Zero => {
                self.raise(flags::DZC);
                return fmt.infinity(u.sign);
            }
            _ => {}
        }
        let biased = ((a >> f) & ((1 << fmt.e()) - 1)) as i32;
        // |value| < 2^-(bias+1): the reciprocal overflows.
        let tiny = biased == 0 && (a & fmt.frac_mask()) >> (f - 2) == 0;
        if tiny {
            let to_inf = match self.rounding() {
                Rounding::TieEven | Rounding::TieAway => true,
                Rounding::PosInf => !u.sign,
                Rounding::NegInf => u.sign,
                _ => false,
            };
            self.raise(flags::OFC | flags::IXC);
            return if to_inf {
                fmt.infinity(u.sign)
            } else {
                fmt.zero(u.sign) | ((((1u64 << fmt.e()) - 2) << f) | fmt.frac_mask())
            };
        }
        // |value| >= 2^(bias-1) under flush-to-zero: the result would be tiny.
        if self.fz(fmt) && biased >= fmt.bias() * 2 - 1 {
            self.raise(flags::UFC);
            return fmt.zero(u.sign);
        }
        let mut exp = biased;
        let mut fraction = a & fmt.frac_mask();
        if exp == 0 {
            if (fraction >> (f - 1)) & 1 == 0 {
                exp = -1;
                fraction = (fraction << 2) & fmt.frac_mask();
            } else {
                fraction = (fraction << 1) & fmt.frac_mask();
            }
        }
        let mut result_exp = 2 * fmt.bias() - 1 - exp;
        let mut fraction = if increased {
            let scaled = (1 << 11) | (fraction >> (f - 11)) as u32;
            (u64::from(recip_estimate_12(scaled)) & 0xfff) << (f - 12)
        } else {
            let scaled = (1 << 8) | (fraction >> (f - 8)) as u32;
            (u64::from(recip_estimate_table(scaled)) & 0xff) << (f - 8)
        };
        if result_exp == 0 {
            fraction = (1 << (f - 1)) | (fraction >> 1);
        } else if result_exp == -1 {
            fraction = (1 << (f - 2)) | (fraction >> 2);
            result_exp = 0;
        }
        let _ = n;
        fmt.zero(u.sign) | ((result_exp as u64) << f) | fraction
    }

    /// `FPRSqrtEstimate(op, fpcr)`: 8-bit, or 12-bit when `increased` (FEAT_RPRES).
    pub fn rsqrt_estimate(&mut self, fmt: Fmt, a: u64, increased: bool) -> u64 {
        let u = self.unpack(fmt, a);
        let f = fmt.f();
        match u.ty {
            FpType::SNaN | FpType::QNaN => return self.process_nan(fmt, u.ty, a),
            FpType::Zero => {
                self.raise(flags::DZC);
                return fmt.infinity(u.sign);
            }
            _ if u.sign => return self.invalid(fmt),
            FpType::Infinity => return fmt.zero(false),
            _ => {}
        }
        let mut exp = ((a >> f) & ((1 << fmt.e()) - 1)) as i32;
        let mut fraction = a & fmt.frac_mask();
        if exp == 0 {
            while (fraction >> (f - 1)) & 1 == 0 {
                fraction = (fraction << 1) & fmt.frac_mask();
                exp -= 1;
            }
            fraction = (fraction << 1) & fmt.frac_mask();
        }
        let result_exp = (3 * fmt.bias() - 1 - exp).div_euclid(2);
        let estimate = if increased {
            let scaled = if exp & 1 == 0 {
                (1 << 11) | (fraction >> (f - 11)) as u32
            } else {
                (1 << 10) | (fraction >> (f - 10)) as u32
            };
            (u64::from(recip_sqrt_estimate_12(scaled)) & 0xfff) << (f - 12)
        } else {
            let scaled = if exp & 1 == 0 {
                (1 << 8) | (fraction >> (f - 8)) as u32
            } else {
                (1 << 7) | (fraction >> (f - 7)) as u32
            };
            (u64::from(recip_sqrt_estimate_table(scaled)) & 0xff) << (f - 8)
        };
        ((result_exp as u64) << f) | estimate
    }

    /// `FPRecpX(op, fpcr)`: the exponent inverted, the fraction cleared.
    pub fn recip_x(&mut self, fmt: Fmt, a: u64) -> u64 {
        let u = self.unpack(fmt, a);
        if u.is_nan() {
            return self.process_nan(fmt, u.ty, a);
        }
        let f = fmt.f();
        let field = (1u64 << fmt.e()) - 1;
        let exp = (a >> f) & field;
        let new = if exp == 0 { field - 1 } else { !exp & field };
        fmt.zero(u.sign) | (new << f)
    }

    /// `FPSqrt(op, fpcr)`.
    pub fn sqrt(&mut self, fmt: Fmt, a: u64) -> u64 {
        let ua = self.unpack(fmt, a);
        if ua.is_nan() {
            return self.process_nan(fmt, ua.ty, a);
        }
        if ua.is_zero() {
            return fmt.zero(ua.sign);
        }
        if ua.is_inf() && !ua.sign {
            return fmt.infinity(false);
        }
        if ua.sign {
            return self.invalid(fmt);
        }
        self.process_denorms(fmt, &[ua]);
        let m = u128::from(ua.mant);
        let mut k = 116 - bitlen(m);
        if (ua.exp - k) % 2 != 0 {
            k += 1;
        }
        let (root, exact) = isqrt(m << k);
        let r = Real {
            mant: root,
            exp: (ua.exp - k) / 2,
            sticky: !exact,
        };
        let rounding = self.rounding();
        self.round(fmt, false, r, rounding)
    }

    /// Whether `a` encodes a NaN of `fmt`.
    fn is_nan_bits(fmt: Fmt, a: u64) -> bool {
        (a >> fmt.f()) & fmt.exp_mask() == fmt.exp_mask() && a & fmt.frac_mask() != 0
    }

    /// `FPNeg(op, fpcr)`: under FPCR.AH a NaN keeps its sign.
    pub fn neg(&self, fmt: Fmt, a: u64) -> u64 {
        if self.ah() && Self::is_nan_bits(fmt, a) {
            return a & fmt.mask();
        }
        (a ^ fmt.sign_bit()) & fmt.mask()
    }

    /// `FPAbs(op, fpcr)`: under FPCR.AH a NaN keeps its sign.
    pub fn abs(&self, fmt: Fmt, a: u64) -> u64 {
        if self.ah() && Self::is_nan_bits(fmt, a) {
            return a & fmt.mask();
        }
        a & !fmt.sign_bit() & fmt.mask()
    }

    /// Compares two finite or infinite unpacked values.
    fn cmp_values(a: &Unpacked, b: &Unpacked) -> core::cmp::Ordering {
        use core::cmp::Ordering::*;
        let key = |u: &Unpacked| -> (i8, i32, u64) {
            // Magnitude key: class (zero < finite < inf), then exponent of the leading one and
            // the mantissa normalised to 64 bits.
            match u.ty {
                FpType::Zero => (0, 0, 0),
                FpType::Infinity => (2, 0, 0),
                _ => {
                    let lz = u.mant.leading_zeros();
                    (1, u.exp + 63 - lz as i32, u.mant << lz)
                }
            }
        };
        let (ka, kb) = (key(a), key(b));
        let mag = ka.cmp(&kb);
        let sa = a.sign && a.ty != FpType::Zero;
        let sb = b.sign && b.ty != FpType::Zero;
        match (sa, sb) {
            (false, false) => mag,
            (true, true) => mag.reverse(),
            (true, false) => {
                if ka.0 == 0 && kb.0 == 0 {
                    Equal
                } else {
                    Less
                }
            }
            (false, true) => Greater,
        }
    }

    /// `FPMax` / `FPMin`; `alternate` is FPCR.AH's handling (FMAX and FMIN, not FMAXNM and
    /// FMINNM): a NaN operand is Invalid and the result is the second operand as it is, and so
    /// is it for two zeros of opposite sign.
    fn max_min(&mut self, fmt: Fmt, a: u64, b: u64, max: bool, alternate: bool) -> u64 {
        let ua = self.unpack(fmt, a);
        let ub = self.unpack(fmt, b);
        if alternate && ua.is_zero() && ub.is_zero() && ua.sign != ub.sign {
            return fmt.zero(ub.sign);
        }
        if alternate && (ua.is_nan() || ub.is_nan()) {
            self.raise(flags::IOC);
            return if ub.is_zero() { fmt.zero(ub.sign) } else { b };
        }
        if let Some(r) = self.process_nans(fmt, &[(ua, a), (ub, b)]) {
            return r;
        }
        self.process_denorms(fmt, &[ua, ub]);
        let ord = Self::cmp_values(&ua, &ub);
        let pick_a = if max { ord.is_gt() } else { ord.is_lt() };
        let u = if pick_a { ua } else { ub };
        if alternate && matches!(u.ty, FpType::Denormal | FpType::Nonzero) {
            // FMAX and FMIN under FPCR.AH: the operand is the result as it is, neither rounded
            // nor flushed.
            return if pick_a { a } else { b } & fmt.mask();
        }
        match u.ty {
            FpType::Infinity => fmt.infinity(u.sign),
            FpType::Zero => {
                let sign = if max {
                    ua.sign && ub.sign
                } else {
                    ua.sign || ub.sign
                };
                fmt.zero(sign)
            }
            _ => {
                let rounding = self.rounding();
                self.round_value(fmt, u.sign, u.mant.into(), u.exp, rounding)
            }
        }
    }

    pub fn max(&mut self, fmt: Fmt, a: u64, b: u64) -> u64 {
        let alternate = self.ah();
        self.max_min(fmt, a, b, true, alternate)
    }

    pub fn min(&mut self, fmt: Fmt, a: u64, b: u64) -> u64 {
        let alternate = self.ah();
        self.max_min(fmt, a, b, false, alternate)
    }

    /// `FPMaxNum` / `FPMinNum`: a single quiet NaN loses to a number.
    fn max_min_num(&mut self, fmt: Fmt, mut a: u64, mut b: u64, max: bool) -> u64 {
        let ta = self.unpack_base(fmt, a, self.fz_in(fmt), false, false).ty;
        let tb = self.unpack_base(fmt, b, self.fz_in(fmt), false, false).ty;
        // -Infinity for max, +Infinity for min; under FPCR.AH only against a number.
        let nan = |t: FpType| matches!(t, FpType::QNaN | FpType::SNaN);
        if !(self.ah() && nan(ta) && nan(tb)) {
            if ta == FpType::QNaN && tb != FpType::QNaN {
                a = fmt.infinity(max);
            } else if ta != FpType::QNaN && tb == FpType::QNaN {
                b = fmt.infinity(max);
            }
        }
        self.max_min(fmt, a, b, max, false)
    }

    pub fn max_num(&mut self, fmt: Fmt, a: u64, b: u64) -> u64 {
        self.max_min_num(fmt, a, b, true)
    }

    pub fn min_num(&mut self, fmt: Fmt, a: u64, b: u64) -> u64 {
        self.max_min_num(fmt, a, b, false)
    }

    /// `FPCompare(op1, op2, signal_nans, fpcr)`: NZCV as a 4-bit value.
    pub fn compare(&mut self, fmt: Fmt, a: u64, b: u64, signal_nans: bool) -> u8 {
        let ua = self.unpack(fmt, a);
        let ub = self.unpack(fmt, b);
        if ua.is_nan() || ub.is_nan() {
            if ua.ty == FpType::SNaN || ub.ty == FpType::SNaN || signal_nans {
                self.raise(flags::IOC);
            }
            return 0b0011;
        }
        self.process_denorms(fmt, &[ua, ub]);
        match Self::cmp_values(&ua, &ub) {
            core::cmp::Ordering::Equal => 0b0110,
            core::cmp::Ordering::Less => 0b1000,
            core::cmp::Ordering::Greater => 0b0010,
        }
    }

    /// `FPConvertBF(op, fpcr)`: single precision to BFloat16 (BFCVT, BFCVTN), rounded by FPCR
    /// to 8 fraction bits less than single, flushed by FZ, with the usual NaN handling and
    /// exceptions; the BFloat16 value is the top half of the rounded single.
    pub fn convert_bf(&mut self, a: u64) -> u64 {
        let u = self.unpack(Fmt::S, a);
        let single = match u.ty {
            FpType::QNaN | FpType::SNaN => self.process_nan(Fmt::S, u.ty, a),
            FpType::Infinity => Fmt::S.infinity(u.sign),
            FpType::Zero => Fmt::S.zero(u.sign),
            FpType::Denormal | FpType::Nonzero => {
                // FPRoundBF: single's exponent range with seven fraction bits.
                let fz = self.fz(Fmt::S);
                let rounding = self.rounding();
                let r = Real {
                    mant: u.mant.into(),
                    exp: u.exp,
                    sticky: false,
                };
                let bf16 = self.round_base(Fmt::BF, u.sign, r, fz, false, rounding);
                bf16 << 16
            }
        };
        single >> 16
    }

    /// `BFMul(op1, op2)` without FEAT_EBF16: BFloat16 operands, a single-precision product
    /// rounded by `BFRound`; FPCR and FPSR play no part.
    pub fn bf_mul(a: u64, b: u64) -> u64 {
        let (ua, ub) = (bf_unpack(a << 16), bf_unpack(b << 16));
        let sign = ua.sign ^ ub.sign;
        if ua.is_nan() || ub.is_nan() {
            Fmt::S.default_nan()
        } else if (ua.is_inf() && ub.is_zero()) || (ua.is_zero() && ub.is_inf()) {
            Fmt::S.default_nan()
        } else if ua.is_inf() || ub.is_inf() {
            Fmt::S.infinity(sign)
        } else if ua.is_zero() || ub.is_zero() {
            Fmt::S.zero(sign)
        } else {
            let m = u128::from(ua.mant) * u128::from(ub.mant);
            bf_round(
                sign,
                Real {
                    mant: m,
                    exp: ua.exp + ub.exp,
                    sticky: false,
                },
            )
        }
    }

    /// `BFAdd(op1, op2)` without FEAT_EBF16: single-precision operands and result, rounded by
    /// `BFRound`; an exact zero sum is +0 (round to odd).
    pub fn bf_add(a: u64, b: u64) -> u64 {
        let (ua, ub) = (bf_unpack(a), bf_unpack(b));
        if ua.is_nan() || ub.is_nan() || (ua.is_inf() && ub.is_inf() && ua.sign != ub.sign) {
            Fmt::S.default_nan()
        } else if (ua.is_inf() && !ua.sign) || (ub.is_inf() && !ub.sign) {
            Fmt::S.infinity(false)
        } else if (ua.is_inf() && ua.sign) || (ub.is_inf() && ub.sign) {
            Fmt::S.infinity(true)
        } else if ua.is_zero() && ub.is_zero() && ua.sign == ub.sign {
            Fmt::S.zero(ua.sign)
        } else {
            match add_exact(
                ua.sign,
                ua.mant.into(),
                ua.exp,
                ub.sign,
                ub.mant.into(),
                ub.exp,
            ) {
                None => Fmt::S.zero(false),
                Some((sign, r)) => bf_round(sign, r),
            }
        }
    }

    /// `BFDotAdd(addend, op1_a, op1_b, op2_a, op2_b)` without FEAT_EBF16:
    /// `addend + (op1_a * op2_a + op1_b * op2_b)`, each step rounded by `BFRound`.
    pub fn bf_dot_add(addend: u64, a1: u64, b1: u64, a2: u64, b2: u64) -> u64 {
        let prod = Env::bf_add(Env::bf_mul(a1, a2), Env::bf_mul(b1, b2));
        Env::bf_add(addend, prod)
    }

    /// `FPConvert(op, fpcr, rounding)` from `from` to `to`.
    pub fn convert(&mut self, from: Fmt, to: Fmt, a: u64, rounding: Rounding) -> u64 {
        let ahp = self.fpcr & fpcr::AHP != 0;
        let fz = from != Fmt::H && self.fz_in(from);
        let u = self.unpack_base(from, a, fz, ahp, true);
        let alt_hp = to == Fmt::H && ahp;
        match u.ty {
            FpType::SNaN | FpType::QNaN => {
                let r = if alt_hp {
                    to.zero(u.sign)
                } else if self.dn() {
                    self.default_nan(to)
                } else {
                    // FPConvertNaN: quieten, keep the sign and the top of the payload.
                    let frac = a & from.frac_mask();
                    let frac = if to.f() >= from.f() {
                        frac << (to.f() - from.f())
                    } else {
                        frac >> (from.f() - to.f())
                    };
                    to.infinity(u.sign) | frac | (1 << (to.f() - 1))
                };
                if u.ty == FpType::SNaN || alt_hp {
                    self.raise(flags::IOC);
                }
                r
            }
            FpType::Infinity => {
                if alt_hp {
                    self.raise(flags::IOC);
                    to.zero(u.sign) | (to.mask() >> 1)
                } else {
                    to.infinity(u.sign)
                }
            }
            FpType::Zero => to.zero(u.sign),
            _ => {
                self.process_denorms(from, &[u]);
                self.round_cv(
                    to,
                    u.sign,
                    Real {
                        mant: u.mant.into(),
                        exp: u.exp,
                        sticky: false,
                    },
                    rounding,
                )
            }
        }
    }

    /// Rounds `(-1)^sign * mant * 2^exp` to an integer magnitude in `rounding`: the magnitude
    /// (saturated at 2^100) and whether it was inexact.
    fn round_to_integer(sign: bool, mant: u64, exp: i32, rounding: Rounding) -> (u128, bool) {
        if mant == 0 {
            return (0, false);
        }
        if exp >= 0 {
            let big = exp + bitlen(mant.into()) > 100;
            return (
                if big {
                    1 << 100
                } else {
                    u128::from(mant) << exp
                },
                false,
            );
        }
        let (int, rest) = split(
            Real {
                mant: mant.into(),
                exp,
                sticky: false,
            },
            0,
        );
        let up = rounds_up(rounding, sign, int, rest);
        (int + u128::from(up), rest != Rest::Zero)
    }

    /// `FPToFixed(op, fbits, unsigned, fpcr, rounding)` to an `m`-bit integer.
    pub fn to_fixed(
        &mut self,
        fmt: Fmt,
        a: u64,
        fbits: u32,
        unsigned: bool,
        m: u32,
        rounding: Rounding,
    ) -> u64 {
        let u = self.unpack(fmt, a);
        let (mag, inexact) = match u.ty {
            FpType::SNaN | FpType::QNaN => {
                self.raise(flags::IOC);
                (0, false)
            }
            FpType::Infinity => (1 << 100, false),
            _ => Self::round_to_integer(u.sign, u.mant, u.exp + fbits as i32, rounding),
        };
        let (min, max): (i128, i128) = if unsigned {
            (0, (1i128 << m) - 1)
        } else {
            (-(1i128 << (m - 1)), (1i128 << (m - 1)) - 1)
        };
        let v = if u.sign { -(mag as i128) } else { mag as i128 };
        let result = if v > max {
            self.raise(flags::IOC);
            max
        } else if v < min {
            self.raise(flags::IOC);
            min
        } else {
            if inexact {
                self.raise(flags::IXC);
            }
            v
        };
        result as u64 & if m == 64 { u64::MAX } else { (1 << m) - 1 }
    }

    /// `FixedToFP(op, fbits, unsigned, fpcr, rounding)` from an `m`-bit integer.
    pub fn fixed_to_fp(
        &mut self,
        fmt: Fmt,
        x: u64,
        m: u32,
        fbits: u32,
        unsigned: bool,
        rounding: Rounding,
    ) -> u64 {
        let x = if m == 64 { x } else { x & ((1 << m) - 1) };
        let negative = !unsigned && x >> (m - 1) & 1 == 1;
        let mag = if negative {
            (x.wrapping_neg()) & if m == 64 { u64::MAX } else { (1 << m) - 1 }
        } else {
            x
        };
        if mag == 0 {
            return fmt.zero(false);
        }
        self.round_value(fmt, negative, mag.into(), -(fbits as i32), rounding)
    }

    /// `FPRoundInt(op, fpcr, rounding, exact)`.
    pub fn round_int(&mut self, fmt: Fmt, a: u64, rounding: Rounding, exact: bool) -> u64 {
        let u = self.unpack(fmt, a);
        match u.ty {
            FpType::SNaN | FpType::QNaN => self.process_nan(fmt, u.ty, a),
            FpType::Infinity => fmt.infinity(u.sign),
            FpType::Zero => fmt.zero(u.sign),
            _ => {
                if u.exp >= 0 {
                    // Already an integer.
                    return self.round_value(fmt, u.sign, u.mant.into(), u.exp, Rounding::Zero);
                }
                let (mag, inexact) = Self::round_to_integer(u.sign, u.mant, u.exp, rounding);
                let r = if mag == 0 {
                    fmt.zero(u.sign)
                } else {
                    self.round_value(fmt, u.sign, mag, 0, Rounding::Zero)
                };
                if inexact && exact {
                    self.raise(flags::IXC);
                }
                r
            }
        }
    }

    /// `FPRoundIntN(op, fpcr, rounding, intsize)` (FRINT32*, FRINT64*).
    pub fn round_int_n(&mut self, fmt: Fmt, a: u64, rounding: Rounding, intsize: u32) -> u64 {
        let u = self.unpack(fmt, a);
        let most_negative = fmt.pow2(true, intsize as i32 - 1);
        match u.ty {
            FpType::SNaN | FpType::QNaN | FpType::Infinity => {
                self.raise(flags::IOC);
                most_negative
            }
            FpType::Zero => fmt.zero(u.sign),
            _ => {
                let (mag, inexact) = Self::round_to_integer(u.sign, u.mant, u.exp, rounding);
                let limit = 1u128 << (intsize - 1);
                if mag > limit || (mag == limit && !u.sign) {
                    self.raise(flags::IOC);
                    return most_negative;
                }
                let r = if mag == 0 {
                    fmt.zero(u.sign)
                } else {
                    self.round_value(fmt, u.sign, mag, 0, Rounding::Zero)
                };
                if inexact {
                    self.raise(flags::IXC);
                }
                r
            }
        }
    }

    /// `FPToFixedJS(op, fpcr)` (FJCVTZS): the 32-bit result and the Z flag. A positive denormal
    /// flushed to zero clears Z, as the pseudocode says (qemu 8 sets it).
    pub fn to_fixed_js(&mut self, a: u64) -> (u32, bool) {
        let fmt = Fmt::D;
        // FPCR.AH = 0: a flushed denormal input signals Input Denormal.
        let u = self.unpack(fmt, a);
        let mut z = true;
        if u.is_nan() {
            self.raise(flags::IOC);
            z = false;
        }
        let (result, overflow, inexact) = match u.ty {
            FpType::Nonzero | FpType::Denormal => {
                let (mag, inexact) = if u.exp >= 32 {
                    (1u128 << 100, false)
                } else if u.exp >= 0 {
                    (u128::from(u.mant) << u.exp, false)
                } else {
                    Self::round_to_integer(u.sign, u.mant, u.exp, Rounding::Zero)
                };
                let low = if u.exp >= 32 { 0 } else { mag as u32 };
                let r = if u.sign { low.wrapping_neg() } else { low };
                let limit = 1u128 << 31;
                (r, mag > limit || (mag == limit && !u.sign), inexact)
            }
            FpType::Infinity => (0, true, false),
            _ => (0, false, false),
        };
        if overflow {
            self.raise(flags::IOC);
            z = false;
        } else if inexact {
            self.raise(flags::IXC);
            z = false;
        } else if u.ty == FpType::Zero && (u.sign || a & fmt.frac_mask() != 0) {
            z = false;
        }
        (result, z)
    }
}

#[cfg(test)]
mod tests {
    use super::{Env, Fmt, fpcr};

    /// FEAT_RPRES's 12-bit single-precision estimates under FPCR.AH, as `(FRSQRTE?, input,
    /// expected)`. The 8-bit row beside FRECPE(1.0) shows the precision changes.
    #[test]
    fn increased_precision_estimates() {
        let cases: &[(bool, u32, u32, bool)] = &[
            (false, 0x3f80_0000, 0x3f7f_f000, true),
            (false, 0x3f80_0000, 0x3f7f_8000, false),
            (false, 0x3fc0_0000, 0x3f2a_a000, true),
            (false, 0x4000_0000, 0x3eff_f000, true),
            (false, 0x4040_0000, 0x3eaa_a000, true),
            (false, 0x3dcc_cccd, 0x4120_0000, true),
            (false, 0xc0e8_0000, 0xbe0d_3800, true),
            (true, 0x3f80_0000, 0x3f7f_f000, true),
            (true, 0x4000_0000, 0x3f34_f800, true),
            (true, 0x4080_0000, 0x3eff_f000, true),
            (true, 0x3f00_0000, 0x3fb4_f800, true),
            (true, 0x4040_0000, 0x3f13_c800, true),
            (true, 0x4120_0000, 0x3ea1_e000, true),
        ];
        for &(rsqrt, input, expected, increased) in cases {
            let mut env = Env::new(fpcr::AH | fpcr::FZ | fpcr::FIZ);
            let r = if rsqrt {
                env.rsqrt_estimate(Fmt::S, u64::from(input), increased)
            } else {
                env.recip_estimate(Fmt::S, u64::from(input), increased)
            };
            assert_eq!(r, u64::from(expected), "rsqrt {rsqrt} of {input:#x}");
        }
    }
}
