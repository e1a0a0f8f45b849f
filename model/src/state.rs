//! The architectural state of one PE, in the Arm ARM's names: general-purpose and SIMD&FP
//! registers, the stack pointers, PC, PSTATE, and the EL0-visible system registers.
//!
//! The System registers whose values are their own (`plain` in `spec/data/sysregs.txt`) are
//! `State::sys`, indexed by `sysregs::Reg`. The layout is `#[repr(C)]` so that a JIT can
//! address fields at stable offsets.

use crate::sysregs;

/// An Exception level, `PSTATE.EL`.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum ExceptionLevel {
    #[default]
    EL0 = 0,
    EL1 = 1,
    EL2 = 2,
    EL3 = 3,
}

impl ExceptionLevel {
    /// The level in the low two bits of `v`.
    pub fn from_bits(v: u64) -> ExceptionLevel {
        match v & 3 {
            0 => ExceptionLevel::EL0,
            1 => ExceptionLevel::EL1,
            2 => ExceptionLevel::EL2,
            _ => ExceptionLevel::EL3,
        }
    }
}

/// PSTATE, one byte per field (AArch64 state only).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Pstate {
    /// Condition flags.
    pub n: bool,
    pub z: bool,
    pub c: bool,
    pub v: bool,
    /// Interrupt masks.
    pub d: bool,
    pub a: bool,
    pub i: bool,
    pub f: bool,
    pub el: ExceptionLevel,
    /// Stack pointer select: false uses SP_EL0, true uses SP_ELx.
    pub sp: bool,
    /// Branch target type (FEAT_BTI), 0..=3.
    pub btype: u8,
    /// Data independent timing (FEAT_DIT).
    pub dit: bool,
    /// Speculative store bypass safe (FEAT_SSBS).
    pub ssbs: bool,
    /// Tag check override (FEAT_MTE).
    pub tco: bool,
    /// Privileged access never (FEAT_PAN) and user access override (FEAT_UAO).
    pub pan: bool,
    pub uao: bool,
    /// Software step and illegal execution state.
    pub ss: bool,
    pub il: bool,
    /// FEAT_NMI: all interrupts masked (with SCTLR_ELx.NMI), Superpriority ones too.
    pub allint: bool,
    /// FEAT_EBEP: the PMU exception masked at its own level (SPSR bit 32).
    pub pm: bool,
}

impl Pstate {
    /// Restores PSTATE from an SPSR value (AArch64 format), as ERET does once the return has
    /// been checked legal. `EL` and `SP` come from M[3:0].
    pub fn set_from_spsr(&mut self, spsr: u64) {
        let b = |n: u32| (spsr >> n) & 1 != 0;
        self.n = b(31);
        self.z = b(30);
        self.c = b(29);
        self.v = b(28);
        self.tco = b(25);
        self.dit = b(24);
        self.uao = b(23);
        self.pan = b(22);
        self.ss = b(21);
        self.il = b(20);
        self.allint = b(13);
        self.pm = b(32);
        self.ssbs = b(12);
        self.btype = ((spsr >> 10) & 3) as u8;
        self.d = b(9);
        self.a = b(8);
        self.i = b(7);
        self.f = b(6);
        self.el = ExceptionLevel::from_bits(spsr >> 2);
        self.sp = b(0);
    }

    /// The DAIF register's view: D, A, I, F in bits 9..6.
    pub fn daif(&self) -> u64 {
        (u64::from(self.d) << 9)
            | (u64::from(self.a) << 8)
            | (u64::from(self.i) << 7)
            | (u64::from(self.f) << 6)
    }

    pub fn set_daif(&mut self, v: u64) {
        self.d = v & (1 << 9) != 0;
        self.a = v & (1 << 8) != 0;
        self.i = v & (1 << 7) != 0;
        self.f = v & (1 << 6) != 0;
    }

    /// PSTATE as an exception saves it in SPSR_ELx (AArch64 format): PM, NZCV, TCO, DIT, UAO,
    /// PAN, SS, IL, ALLINT, SSBS, BTYPE, DAIF, and M[3:0] (EL and SP select). Signal frames and
    /// traces show this value.
    pub fn spsr(&self) -> u64 {
        let b = |v: bool, n: u32| u64::from(v) << n;
        b(self.pm, 32)
            | b(self.n, 31)
            | b(self.z, 30)
            | b(self.c, 29)
            | b(self.v, 28)
            | b(self.tco, 25)
            | b(self.dit, 24)
            | b(self.uao, 23)
            | b(self.pan, 22)
            | b(self.ss, 21)
            | b(self.il, 20)
            | b(self.allint, 13)
            | b(self.ssbs, 12)
            | (u64::from(self.btype) << 10)
            | b(self.d, 9)
            | b(self.a, 8)
            | b(self.i, 7)
            | b(self.f, 6)
            | ((self.el as u64) << 2)
            | u64::from(self.sp)
    }

    /// The NZCV register's view of the flags: N, Z, C, V in bits 31..28.
    pub fn nzcv(&self) -> u64 {
        (u64::from(self.n) << 31)
            | (u64::from(self.z) << 30)
            | (u64::from(self.c) << 29)
            | (u64::from(self.v) << 28)
    }

    /// Sets the flags from a 4-bit value `NZCV` (N in bit 3).
    pub fn set_nzcv(&mut self, nzcv: u8) {
        self.n = nzcv & 8 != 0;
        self.z = nzcv & 4 != 0;
        self.c = nzcv & 2 != 0;
        self.v = nzcv & 1 != 0;
    }
}

/// The architectural registers of one PE.
#[repr(C)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    /// X0–X30. Register number 31 is XZR or SP depending on the instruction, never stored.
    pub x: [u64; 31],
    /// SP_EL0..SP_EL3.
    pub sp_el: [u64; 4],
    pub pc: u64,
    pub pstate: Pstate,
    /// V0–V31, the SIMD&FP registers.
    pub v: [u128; 32],
    pub fpcr: u64,
    pub fpsr: u64,
    pub tpidr_el0: u64,
    pub tpidrro_el0: u64,
    /// The pointer authentication keys (FEAT_PAuth), each `APxxKeyHi_EL1:APxxKeyLo_EL1`. EL1
    /// registers: in user mode the board sets them, as the kernel does at exec.
    pub apiakey: u128,
    pub apibkey: u128,
    pub apdakey: u128,
    pub apdbkey: u128,
    pub apgakey: u128,
    /// The `plain` System registers, by `sysregs::Reg` index.
    pub sys: [u64; sysregs::COUNT],
}

impl Default for State {
    fn default() -> State {
        State {
            x: [0; 31],
            sp_el: [0; 4],
            pc: 0,
            pstate: Pstate::default(),
            v: [0; 32],
            fpcr: 0,
            fpsr: 0,
            tpidr_el0: 0,
            tpidrro_el0: 0,
            apiakey: 0,
            apibkey: 0,
            apdakey: 0,
            apdbkey: 0,
            apgakey: 0,
            sys: sysregs::reset_values(),
        }
    }
}

impl State {
    /// A `plain` System register's value.
    #[inline]
    pub fn sr(&self, r: sysregs::Reg) -> u64 {
        self.sys[r.0 as usize]
    }

    #[inline]
    pub fn set_sr(&mut self, r: sysregs::Reg, v: u64) {
        self.sys[r.0 as usize] = v;
    }

    /// `X[n]` with 31 reading as the zero register.
    #[inline]
    pub fn xr(&self, n: u32) -> u64 {
        if n == 31 { 0 } else { self.x[n as usize] }
    }

    /// Writes `X[n]`; 31 is the zero register and discards the value.
    #[inline]
    pub fn set_xr(&mut self, n: u32, value: u64) {
        if n != 31 {
            self.x[n as usize] = value;
        }
    }

    /// The current stack pointer, `SP[]`: SP_EL0 when PSTATE.SP is 0, else SP_ELx.
    #[inline]
    pub fn sp(&self) -> u64 {
        self.sp_el[self.sp_index()]
    }

    #[inline]
    pub fn set_sp(&mut self, value: u64) {
        let i = self.sp_index();
        self.sp_el[i] = value;
    }

    #[inline]
    fn sp_index(&self) -> usize {
        if self.pstate.sp {
            self.pstate.el as usize
        } else {
            0
        }
    }

    /// `X[n]` with 31 reading as SP.
    #[inline]
    pub fn xsp(&self, n: u32) -> u64 {
        if n == 31 {
            self.sp()
        } else {
            self.x[n as usize]
        }
    }

    /// Writes `X[n]` with 31 meaning SP.
    #[inline]
    pub fn set_xsp(&mut self, n: u32, value: u64) {
        if n == 31 {
            self.set_sp(value)
        } else {
            self.x[n as usize] = value;
        }
    }
}
