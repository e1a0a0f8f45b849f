//! The VMSAv8-64 address translation (Arm ARM D8, "The AArch64 Virtual Memory System
//! Architecture"): stage 1 of the EL1&0, EL2 and EL3 regimes and stage 2 of EL1&0, with the
//! 4K, 16K and 64K granules and 48-bit and 52-bit addresses; permissions (AP, UXN/PXN/XN, the
//! hierarchical APTable/XNTable/PXNTable controls, WXN, the implicit PXN of EL0-writable
//! memory, stage 2's S2AP and XN); the Access flag; faults with their levels; memory types
//! (Device memory is alignment checked); and a TLB.
//!
//! [`Mmu`] is a [`Memory`] over physical memory: the PE hands it the translation context
//! ([`Translation`]) whenever a System register or PSTATE.EL change alters it, and TLB
//! maintenance reaches it through [`Memory::tlb_invalidate`].
//!
//! The TLB caches successful translations only (never faults), per 4 KiB page of the current
//! context, and is emptied by any TLBI and any context change: invalidating more than a TLBI
//! names is allowed, so every TLBI form is correct, if not minimal. Also: PAN (FEAT_PAN), the
//! EL2&0 regime (FEAT_VHE), 52-bit addresses with the 64K granule (FEAT_LPA, FEAT_LVA) and
//! stage 2's XN[1:0] (FEAT_XNX), and the hardware Access flag and dirty state (FEAT_HAFDBS,
//! both stages; a stage 1 descriptor update under stage 2 is not checked for stage 2 write
//! permission), guarded pages (FEAT_BTI, stage 1's GP bit), EL0's access to a TTBR half
//! refused by TCR_ELx.E0PDx (FEAT_E0PD), TxSZ up to 48 or 47 (FEAT_TTST), stage 2 forcing
//! the memory type (FEAT_S2FWB, HCR_EL2.FWB), and Secure EL1&0 under a Secure stage 2
//! (FEAT_SEL2: stage 1's NSTable and NS choose the Secure or Non-secure IPA space, VSTTBR_EL2
//! and VSTCR_EL2 translate the Secure one). There is one physical memory: a Secure and a
//! Non-secure physical address with the same number are the same location, so the output
//! space (NS, VTCR_EL2.NSW/NSA, VSTCR_EL2.SW/SA) is decoded but not kept. 52-bit addresses
//! with the 4K and 16K granules (FEAT_LPA2: TCR_ELx.DS, VTCR_EL2.DS and SL2; walks from level
//! -1 with 4K; output address bits 51:48 in descriptor bits 9:8 and 49:48; shareability from
//! the TCR). Not yet: the contiguous hint's TLB effects (it is a hint: ignoring it is
//! allowed).

use std::collections::HashMap;

use crate::interp::debug::{WATCHPOINTS, Watchpoint};
use crate::memory::{AccessKind, Fault, FaultKind, Memory, PAGE_SIZE};
use crate::state::ExceptionLevel as El;

/// The translation regime of the current Exception level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Regime {
    /// EL1&0: two VA ranges (TTBR0/TTBR1), two privilege levels, optional stage 2.
    #[default]
    El10,
    El2,
    /// EL2&0 (FEAT_VHE, HCR_EL2.E2H): like EL1&0 with EL2 as the privileged level; no
    /// stage 2.
    El20,
    El3,
}

/// Everything a translation depends on, as the PE's registers say it at this moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Translation {
    /// The level accesses are made at (EL0 for unprivileged ones).
    pub el: El,
    pub regime: Regime,
    /// Stage 1 enabled (SCTLR_ELx.M, and not disabled by HCR_EL2.TGE or DC).
    pub stage1: bool,
    pub sctlr: u64,
    pub tcr: u64,
    pub ttbr0: u64,
    pub ttbr1: u64,
    pub mair: u64,
    /// Stage 2 enabled (HCR_EL2.VM, EL1&0 regime, EL2 enabled).
    pub stage2: bool,
    pub vtcr: u64,
    pub vttbr: u64,
    /// HCR_EL2.DC: stage 1 off, data Normal Write-Back rather than Device.
    pub default_cacheable: bool,
    /// The implemented physical address size in bits (ID_AA64MMFR0_EL1.PARange): 52 with
    /// FEAT_LPA, for the 64K granule.
    pub pa_bits: u32,
    /// FEAT_LVA: 52-bit virtual addresses with the 64K granule (TxSZ down to 12).
    pub lva: bool,
    /// FEAT_LPA2: with TCR_ELx.DS (VTCR_EL2.DS at stage 2), 52-bit input and output addresses
    /// with the 4K and 16K granules too.
    pub lpa2: bool,
    /// PSTATE.PAN for a privileged access in EL1&0 or EL2&0: data accesses to memory EL0 can
    /// reach are Permission faults (FEAT_PAN).
    pub pan: bool,
    /// FEAT_XNX: stage 2's XN[1:0] tells EL1 and EL0 execution apart.
    pub xnx: bool,
    /// FEAT_HAFDBS: stage 1's TCR_ELx.HA and HD are honoured (hardware Access flag and dirty
    /// state).
    pub hafdbs: bool,
    /// HCR_EL2.FWB (FEAT_S2FWB): stage 2's MemAttr gives the combined memory type.
    pub fwb: bool,
    /// FEAT_TTST: TxSZ up to 48 with 4K, 47 with 16K and 64K (else 39).
    pub ttst: bool,
    /// FEAT_BTI: stage 1's GP bit (50) makes a page guarded.
    pub bti: bool,
    /// The regime is Secure: stage 1's NSTable and NS bits choose the output (or, under
    /// stage 2, the IPA) space.
    pub secure: bool,
    /// Secure EL1&0's stage 2 for the Secure IPA space (FEAT_SEL2): VSTTBR_EL2, and
    /// VSTCR_EL2 (its T0SZ, SL0 and TG0; the other fields are VTCR_EL2's).
    pub vsttbr: u64,
    pub vstcr: u64,
}

/// What a successful translation gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Output {
    pub pa: u64,
    /// The MAIR attribute byte (0x00 for Device-nGnRnE).
    pub attr: u8,
    /// Shareability, SH[1:0].
    pub sh: u8,
    pub device: bool,
    /// A guarded page (FEAT_BTI, stage 1's GP bit).
    pub guarded: bool,
    /// The output is in the Non-secure space (always, from a Non-secure regime).
    pub ns: bool,
}

/// Permissions a leaf grants at the level of the access.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Perms {
    read: bool,
    write: bool,
    exec: bool,
}

impl Perms {
    fn allows(self, access: AccessKind) -> bool {
        match access {
            AccessKind::Read => self.read,
            AccessKind::Write => self.write,
            AccessKind::Fetch => self.exec,
        }
    }
}

const TLB_ENTRIES: usize = 1024;

#[derive(Clone, Copy)]
struct TlbEntry {
    vpn: u64,
    ppn: u64,
    perms: Perms,
    device: bool,
    guarded: bool,
    /// The output is in the Non-secure physical address space.
    ns: bool,
}

const TLB_EMPTY: TlbEntry = TlbEntry {
    vpn: u64::MAX,
    ppn: 0,
    perms: Perms {
        read: false,
        write: false,
        exec: false,
    },
    device: false,
    guarded: false,
    ns: false,
};

/// A granule: log2 of its size.
fn granule_bits(tg: u64, ttbr1: bool) -> Option<u32> {
    if ttbr1 {
        match tg {
            0b01 => Some(14),
            0b10 => Some(12),
            0b11 => Some(16),
            _ => None,
        }
    } else {
        match tg {
            0b00 => Some(12),
            0b01 => Some(16),
            0b10 => Some(14),
            _ => None,
        }
    }
}

/// PS/IPS encodings to bits.
fn pa_size(ps: u64) -> u32 {
    match ps & 7 {
        0 => 32,
        1 => 36,
        2 => 40,
        3 => 42,
        4 => 44,
        5 => 48,
        _ => 52,
    }
}

/// The output address size a regime's PS/IPS field gives with granule `g`: at most the
/// implemented size, and 52 bits only with the 64K granule (FEAT_LPA) or with DS (`ds`,
/// FEAT_LPA2, the 4K and 16K granules).
fn oa_size(ps: u64, pa_bits: u32, g: u32, ds: bool) -> u32 {
    let bits = pa_size(ps).min(pa_bits);
    if bits == 52 && g != 16 && !ds {
        48
    } else {
        bits
    }
}

/// How a descriptor holds its output address: bits 47:12; or, where the PE implements
/// 52-bit physical addresses and the granule is 64K, bits 51:48 in descriptor bits 15:12
/// (`Lpa64K`); or with DS (FEAT_LPA2) bits 49:48 in place and 51:50 in descriptor bits 9:8,
/// where the shareability field was.
#[derive(Clone, Copy, PartialEq, Eq)]
enum OaFormat {
    Base,
    Lpa64K,
    Ds,
}

impl OaFormat {
    fn of(pa_bits: u32, g: u32, ds: bool) -> OaFormat {
        if ds {
            OaFormat::Ds
        } else if pa_bits == 52 && g == 16 {
            OaFormat::Lpa64K
        } else {
            OaFormat::Base
        }
    }
}

/// A descriptor's output address (table or leaf), in format `f`, whatever the regime's PS:
/// an address beyond PS is then an Address size fault (`AArch64.LeafBase` and
/// `AArch64.NextTableBase` go by the implemented size).
fn output_address(desc: u64, f: OaFormat) -> u64 {
    let low = desc & 0x0000_ffff_ffff_f000;
    match f {
        OaFormat::Base => low,
        OaFormat::Lpa64K => (low & !0xf000) | (bits(desc, 15, 12) << 48),
        OaFormat::Ds => (desc & 0x0003_ffff_ffff_f000) | (bits(desc, 9, 8) << 50),
    }
}

/// A TTBR's table base, aligned to `align` bits: BADDR[47:1], and with a 52-bit output (or
/// DS) BADDR[51:48] from TTBR[5:2] (the table then being at least 64-byte aligned).
fn ttbr_base(ttbr: u64, oa_bits: u32, ds: bool, align: u32) -> u64 {
    let base = ttbr & 0x0000_ffff_ffff_fffe;
    if oa_bits == 52 || ds {
        ((base & !0x3f) | (bits(ttbr, 5, 2) << 48)) & !((1u64 << align.max(6)) - 1)
    } else {
        base & !((1u64 << align) - 1)
    }
}

fn bits(v: u64, hi: u32, lo: u32) -> u64 {
    (v >> lo) & ((1u64 << (hi - lo + 1)) - 1)
}

/// Whether a valid non-table descriptor is a leaf the granule allows at `level`: a page (bit
/// 1 set) at level 3; a block at level 2, at level 1 with 4K (with 64K where the PE has
/// 52-bit physical addresses), and with DS at level 0 with 4K and level 1 with 16K
/// (`AArch64.BlockDescSupported`). Anything else, level -1 included, is a Translation fault.
fn leaf_allowed(desc: u64, g: u32, level: i32, ds: bool, pa_bits: u32) -> bool {
    match (g, level) {
        (_, 3) => desc & 2 != 0,
        (12, 1) | (_, 2) => true,
        (12, 0) | (14, 1) => ds,
        (16, 1) => pa_bits == 52,
        _ => false,
    }
}

/// Whether memory is Device after stage 2, from stage 1's type and stage 2's MemAttr[3:0].
/// Without FWB the stronger type wins: Device if either stage says so (MemAttr[3:2] = 00 at
/// stage 2). With HCR_EL2.FWB, stage 2 decides: MemAttr[2] = 0 is Device, 0b111 keeps stage
/// 1's type, and the other values are Normal (0b101 Non-cacheable, 0b110 Write-Back; 0b100 is
/// reserved and taken as Non-cacheable), even over a stage 1 Device mapping.
fn combined_device(fwb: bool, s1_device: bool, memattr: u8) -> bool {
    if fwb {
        match memattr & 0b111 {
            m if m & 0b100 == 0 => true,
            0b111 => s1_device,
            _ => false,
        }
    } else {
        s1_device || memattr & 0b1100 == 0
    }
}

/// The largest TxSZ: 39 (a 25-bit range), or with FEAT_TTST 48 for 4K and 47 for 16K and 64K
/// (a single table of as few as 2 entries).
fn max_tsz(ttst: bool, g: u32) -> u64 {
    match (ttst, g) {
        (false, _) => 39,
        (true, 12) => 48,
        (true, _) => 47,
    }
}

/// A fault being built during a walk.
fn fault(va: u64, access: AccessKind, kind: FaultKind, level: i32) -> Fault {
    Fault {
        level: level as i8,
        ..Fault::new(va, access, kind)
    }
}

/// One PE's part of the MMU (several PEs share the physical memory, each with its own
/// context and TLB): parked while another PE runs ([`Mmu::swap_context`]).
pub struct MmuContext {
    ctx: Translation,
    tlb: Box<[TlbEntry; TLB_ENTRIES]>,
    watched: HashMap<u64, Vec<u64>>,
    /// The TLBI and code-change counts this PE has caught up with.
    tlbi_seen: u64,
    code_seen: u64,
}

impl Default for MmuContext {
    fn default() -> MmuContext {
        MmuContext {
            ctx: Translation {
                pa_bits: 48,
                ..Translation::default()
            },
            tlb: Box::new([TLB_EMPTY; TLB_ENTRIES]),
            watched: HashMap::new(),
            tlbi_seen: 0,
            code_seen: 0,
        }
    }
}

/// The MMU in front of physical memory `M`.
pub struct Mmu<M> {
    pub phys: M,
    ctx: Translation,
    tlb: Box<[TlbEntry; TLB_ENTRIES]>,
    /// Physical page -> the virtual pages the PE fetched code from through it.
    watched: HashMap<u64, Vec<u64>>,
    /// TLB maintenance and code changes so far, by any PE: a PE coming back from being
    /// parked flushes what it missed (TLBI broadcasts to every PE: over-invalidation is
    /// allowed).
    tlbi_epoch: u64,
    code_epoch: u64,
    tlbi_seen: u64,
    code_seen: u64,
    /// LDTR/STTR at EL1: translate with EL0's permissions, bypassing the TLB.
    unprivileged: bool,
    /// The physical address space `phys` was last told of ([`Memory::set_pa_space`]).
    pa_ns: bool,
    /// Translating for a permission check only (cache maintenance): a write's hardware
    /// dirty-state update is not made, though the write counts as allowed.
    check_only: bool,
    /// The watchpoints that can match data accesses at the PE's level (self-hosted debug),
    /// and whether any can: apart from the translation context, so that arming them (or
    /// PSTATE.D changing what they match) costs no TLB flush.
    watchpoints: [Watchpoint; WATCHPOINTS],
    watching: bool,
}

impl<M: Memory> Mmu<M> {
    pub fn new(phys: M) -> Mmu<M> {
        Mmu {
            phys,
            ctx: Translation {
                pa_bits: 48,
                ..Translation::default()
            },
            tlb: Box::new([TLB_EMPTY; TLB_ENTRIES]),
            watched: HashMap::new(),
            unprivileged: false,
            pa_ns: false,
            check_only: false,
            watchpoints: [Watchpoint::default(); WATCHPOINTS],
            watching: false,
            tlbi_epoch: 0,
            code_epoch: 0,
            tlbi_seen: 0,
            code_seen: 0,
        }
    }

    /// Parks the live PE's context in `other` and makes `other`'s live. Returns whether the
    /// incoming PE missed TLB maintenance or a code change while parked: its TLB is then
    /// emptied here, and its decoded instructions must be dropped by the caller.
    pub fn swap_context(&mut self, other: &mut MmuContext) -> bool {
        std::mem::swap(&mut self.ctx, &mut other.ctx);
        std::mem::swap(&mut self.tlb, &mut other.tlb);
        std::mem::swap(&mut self.watched, &mut other.watched);
        std::mem::swap(&mut self.tlbi_seen, &mut other.tlbi_seen);
        std::mem::swap(&mut self.code_seen, &mut other.code_seen);
        let missed = self.tlbi_seen != self.tlbi_epoch || self.code_seen != self.code_epoch;
        if self.tlbi_seen != self.tlbi_epoch {
            self.flush();
        }
        if missed {
            self.watched.clear();
        }
        self.tlbi_seen = self.tlbi_epoch;
        self.code_seen = self.code_epoch;
        missed
    }

    pub fn context(&self) -> &Translation {
        &self.ctx
    }

    fn flush(&mut self) {
        *self.tlb = [TLB_EMPTY; TLB_ENTRIES];
    }

    /// Translates `va` for `access` in the current context, through the TLB.
    #[inline]
    fn translate(&mut self, va: u64, access: AccessKind) -> Result<(u64, bool), Fault> {
        if self.unprivileged {
            let ctx = Translation {
                el: El::EL0,
                ..self.ctx
            };
            let (o, _) = self.translate_with(&ctx, va, access)?;
            self.check_pa_space(&o, va, access)?;
            self.note_pa_space(o.ns);
            return Ok((o.pa, o.device));
        }
        let vpn = va >> 12;
        let e = &self.tlb[vpn as usize % TLB_ENTRIES];
        if e.vpn == vpn && e.perms.allows(access) {
            let (pa, device, ns) = ((e.ppn << 12) | (va & 0xfff), e.device, e.ns);
            self.note_pa_space(ns);
            return Ok((pa, device));
        }
        let ctx = self.ctx;
        let (out, perms) = self.translate_with(&ctx, va, access)?;
        self.check_pa_space(&out, va, access)?;
        self.tlb[vpn as usize % TLB_ENTRIES] = TlbEntry {
            vpn,
            ppn: out.pa >> 12,
            perms,
            device: out.device,
            guarded: out.guarded,
            ns: out.ns,
        };
        self.note_pa_space(out.ns);
        Ok((out.pa, out.device))
    }

    /// Tells physical memory which address space the next access is in, when that changes:
    /// a device may answer the two differently (the GIC's Secure and Non-secure views).
    #[inline(always)]
    fn note_pa_space(&mut self, ns: bool) {
        if ns != self.pa_ns {
            self.pa_ns = ns;
            self.phys.set_pa_space(ns);
        }
    }

    /// A watchpoint that matches a data access of `size` bytes at `va`: after the access's
    /// translation and alignment faults, before it happens. The fault's address is FAR_ELx's.
    #[inline]
    fn check_watchpoints(&self, va: u64, size: usize, write: bool) -> Result<(), Fault> {
        if !self.watching {
            return Ok(());
        }
        self.watchpoint_hit(va, size, write)
    }

    #[inline(never)]
    fn watchpoint_hit(&self, va: u64, size: usize, write: bool) -> Result<(), Fault> {
        let access = if write {
            AccessKind::Write
        } else {
            AccessKind::Read
        };
        for (n, w) in self.watchpoints.iter().enumerate() {
            if let Some(far) = w.hit(va, size, write, self.unprivileged) {
                return Err(Fault {
                    watchpoint: Some(n as u8),
                    ..Fault::new(far, access, FaultKind::Watchpoint)
                });
            }
        }
        Ok(())
    }

    /// A Non-secure access to an address only the Secure physical address space has reaches
    /// nothing: a synchronous External abort.
    #[inline]
    fn check_pa_space(&self, out: &Output, va: u64, access: AccessKind) -> Result<(), Fault> {
        if out.ns && self.phys.secure_only(out.pa) {
            return Err(Fault::new(va, access, FaultKind::External));
        }
        Ok(())
    }

    /// Address translation as AT does it: for `ctx` (which may be another level's), with no
    /// TLB; the output's attributes for PAR_EL1.
    pub fn address_translate(
        &mut self,
        ctx: &Translation,
        va: u64,
        access: AccessKind,
    ) -> Result<Output, Fault> {
        self.translate_with(ctx, va, access).map(|(o, _)| o)
    }

    /// The full translation of `va` under `ctx`: stage 1 then stage 2, with permissions for
    /// `ctx.el`.
    fn translate_with(
        &mut self,
        ctx: &Translation,
        va: u64,
        access: AccessKind,
    ) -> Result<(Output, Perms), Fault> {
        let (s1, perms1) = if ctx.stage1 {
            self.stage1(ctx, va, access)?
        } else {
            // Stage 1 off: the flat mapping. Data is Device-nGnRnE (Normal with HCR_EL2.DC),
            // instruction fetches Normal; an address beyond the PA size is an Address size
            // fault at level 0.
            if va >> ctx.pa_bits.min(52) != 0 {
                return Err(fault(va, access, FaultKind::AddressSize, 0));
            }
            let device = access != AccessKind::Fetch && !ctx.default_cacheable;
            let attr = if device { 0x00 } else { 0xff };
            let all = Perms {
                read: true,
                write: true,
                exec: true,
            };
            (
                Output {
                    pa: va,
                    attr,
                    sh: 0b10,
                    device,
                    guarded: false,
                    ns: !ctx.secure,
                },
                all,
            )
        };
        if !ctx.stage2 {
            return Ok((s1, perms1));
        }
        let (s2, perms2) = self.stage2(ctx, s1.pa, !s1.ns, va, access, None)?;
        let device = combined_device(ctx.fwb, s1.device, s2.attr);
        let perms = Perms {
            read: perms1.read && perms2.read,
            write: perms1.write && perms2.write,
            exec: perms1.exec && perms2.exec,
        };
        Ok((
            Output {
                pa: s2.pa,
                attr: s1.attr,
                sh: s1.sh,
                device,
                guarded: s1.guarded,
                ns: s2.ns,
            },
            perms,
        ))
    }

    /// Reads a stage 1 translation table descriptor at physical (or, under stage 2,
    /// intermediate) address `addr`, for the walk of `va`; `ns`: the table is in the
    /// Non-secure space (an NSTable above it, or a Non-secure regime).
    fn read_descriptor(
        &mut self,
        ctx: &Translation,
        addr: u64,
        ns: bool,
        va: u64,
        access: AccessKind,
        level: i32,
    ) -> Result<(u64, u64), Fault> {
        let (pa, pa_ns) = if ctx.stage2 {
            // Stage 1's table walk goes through stage 2 (S1PTW), as a read.
            let (o, _) = self.stage2(ctx, addr, !ns, va, access, Some(false))?;
            (o.pa, o.ns)
        } else {
            (addr, ns)
        };
        if pa_ns && self.phys.secure_only(pa) {
            return Err(fault(va, access, FaultKind::ExternalOnWalk, level));
        }
        let mut b = [0u8; 8];
        self.phys
            .read(pa, &mut b, AccessKind::Read)
            .map_err(|_| fault(va, access, FaultKind::ExternalOnWalk, level))?;
        Ok((u64::from_le_bytes(b), pa))
    }

    /// Stage 1 of `ctx`'s regime.
    fn stage1(
        &mut self,
        ctx: &Translation,
        va: u64,
        access: AccessKind,
    ) -> Result<(Output, Perms), Fault> {
        let two_ranges = matches!(ctx.regime, Regime::El10 | Regime::El20);
        let tcr = ctx.tcr;
        let upper = two_ranges && (va >> 55) & 1 != 0;
        // Top byte ignore: TBI0/TBI1 (EL1&0), TBI (EL2, EL3).
        let tbi = if two_ranges {
            if upper {
                bits(tcr, 38, 38)
            } else {
                bits(tcr, 37, 37)
            }
        } else {
            bits(tcr, 20, 20)
        } != 0;
        let (tsz, tg, epd, ttbr) = if upper {
            (
                bits(tcr, 21, 16),
                bits(tcr, 31, 30),
                bits(tcr, 23, 23),
                ctx.ttbr1,
            )
        } else {
            (
                bits(tcr, 5, 0),
                bits(tcr, 15, 14),
                if two_ranges { bits(tcr, 7, 7) } else { 0 },
                ctx.ttbr0,
            )
        };
        let ps = if two_ranges {
            bits(tcr, 34, 32)
        } else {
            bits(tcr, 18, 16)
        };
        // TCR_ELx.DS (FEAT_LPA2): bit 59 of the two-range TCRs, bit 32 of TCR_EL2 and TCR_EL3;
        // it applies to the 4K and 16K granules.
        let ds_bit = if two_ranges { 59 } else { 32 };
        let ds_set = ctx.lpa2 && bits(tcr, ds_bit, ds_bit) != 0;
        let Some(g) = granule_bits(tg, upper) else {
            // A reserved granule encoding is treated as one of the implemented sizes
            // (CONSTRAINED UNPREDICTABLE): 4K.
            let oa_bits = oa_size(ps, ctx.pa_bits, 12, ds_set);
            return self.walk1(ctx, va, access, 12, 16, ttbr, oa_bits, two_ranges, ds_set);
        };
        let ds = ds_set && g != 16;
        let oa_bits = oa_size(ps, ctx.pa_bits, g, ds);
        // T0SZ/T1SZ outside 16..=39 (12 with FEAT_LVA and 64K or DS; up to 48 or 47 with
        // FEAT_TTST) is CONSTRAINED UNPREDICTABLE: clamp, as a PE may.
        let min_tsz = if ctx.lva && (g == 16 || ds) { 12 } else { 16 };
        let tsz = tsz.clamp(min_tsz, max_tsz(ctx.ttst, g)) as u32;
        let inputsize = 64 - tsz;
        // The VA must be within the range the TTBR covers.
        let top = if tbi { 55 } else { 63 };
        let high = bits(va, top, inputsize);
        let ok = if upper {
            high == (1u64 << (top - inputsize + 1)) - 1
        } else {
            high == 0
        };
        // FEAT_E0PD: TCR_ELx.E0PD0/E0PD1 (bits 55, 56; RES0 without the feature) fault every
        // EL0 access to that range as a level 0 Translation fault.
        let e0pd =
            two_ranges && ctx.el == El::EL0 && bits(tcr, 55 + upper as u32, 55 + upper as u32) != 0;
        if !ok || epd != 0 || e0pd {
            return Err(fault(va, access, FaultKind::Translation, 0));
        }
        self.walk1(ctx, va, access, g, tsz, ttbr, oa_bits, two_ranges, ds)
    }

    #[allow(clippy::too_many_arguments)]
    fn walk1(
        &mut self,
        ctx: &Translation,
        va: u64,
        access: AccessKind,
        g: u32,
        tsz: u32,
        ttbr: u64,
        oa_bits: u32,
        two_ranges: bool,
        ds: bool,
    ) -> Result<(Output, Perms), Fault> {
        let inputsize = 64 - tsz;
        let stride = g - 3;
        // The start level: -1 for 4K with more than 48 bits (DS), down from 3.
        let start = 3 - ((inputsize - 1 - g) / stride) as i32;
        let mut level = start;
        // BADDR: bits 47:1, aligned to the table size at the start level; with a 52-bit
        // output (or DS), bits 51:48 are TTBR[5:2].
        let index_bits = inputsize - (g + stride * (3 - start) as u32);
        let table_align = (index_bits + 3).max(6);
        let mut table = ttbr_base(ttbr, oa_bits, ds, table_align);
        let oa_format = OaFormat::of(ctx.pa_bits, g, ds);
        if table >> oa_bits != 0 {
            return Err(fault(va, access, FaultKind::AddressSize, level));
        }
        // Hierarchical controls accumulated from table descriptors.
        let hpd = if two_ranges {
            let upper = (va >> 55) & 1 != 0;
            bits(
                ctx.tcr,
                if upper { 42 } else { 41 },
                if upper { 42 } else { 41 },
            ) != 0
        } else {
            bits(ctx.tcr, 24, 24) != 0
        };
        let (mut ap_no_el0, mut ap_ro, mut pxn_t, mut xn_t) = (false, false, false, false);
        // In a Secure regime, NSTable (bit 63) moves the rest of the walk to the Non-secure
        // space, and a leaf's NS (bit 5) its output; both are ignored from Non-secure state.
        let mut ns = !ctx.secure;
        loop {
            let shift = g + stride * (3 - level) as u32;
            let width = if level == start { index_bits } else { stride };
            let index = (va >> shift) & ((1u64 << width) - 1);
            let (desc, desc_pa) =
                self.read_descriptor(ctx, table + index * 8, ns, va, access, level)?;
            if desc & 1 == 0 {
                return Err(fault(va, access, FaultKind::Translation, level));
            }
            let is_table = desc & 2 != 0 && level < 3;
            if is_table {
                let next = output_address(desc, oa_format) & !((1u64 << g) - 1);
                if next >> oa_bits != 0 {
                    return Err(fault(va, access, FaultKind::AddressSize, level));
                }
                ns |= desc & (1 << 63) != 0;
                if !hpd {
                    ap_no_el0 |= desc & (1 << 61) != 0;
                    ap_ro |= desc & (1 << 62) != 0;
                    pxn_t |= desc & (1 << 59) != 0;
                    xn_t |= desc & (1 << 60) != 0;
                }
                table = next;
                level += 1;
                continue;
            }
            if !leaf_allowed(desc, g, level, ds, ctx.pa_bits) {
                return Err(fault(va, access, FaultKind::Translation, level));
            }
            let oa = output_address(desc, oa_format) & !((1u64 << shift) - 1);
            if oa >> oa_bits != 0 {
                return Err(fault(va, access, FaultKind::AddressSize, level));
            }
            // FEAT_HAFDBS: TCR_ELx.HA sets the Access flag instead of faulting; HD with the
            // descriptor's DBM bit (51) makes a write to a read-only page clear AP[2] (mark
            // it dirty) instead of faulting. Only once the access is otherwise permitted.
            let (ha, hd) = if ctx.hafdbs {
                let (ha_bit, hd_bit) = if two_ranges { (39, 40) } else { (21, 22) };
                let ha = bits(ctx.tcr, ha_bit, ha_bit) != 0;
                (ha, ha && bits(ctx.tcr, hd_bit, hd_bit) != 0)
            } else {
                (false, false)
            };
            if desc & (1 << 10) == 0 && !ha {
                return Err(fault(va, access, FaultKind::AccessFlag, level));
            }
            let attr_index = bits(desc, 4, 2) as u32;
            let attr = (ctx.mair >> (8 * attr_index)) as u8;
            let device = attr & 0xf0 == 0;
            // With DS the descriptor's bits 9:8 are address bits, and the shareability is
            // TCR_ELx.SH0 or SH1's.
            let sh = if !ds {
                bits(desc, 9, 8)
            } else if two_ranges && (va >> 55) & 1 != 0 {
                bits(ctx.tcr, 29, 28)
            } else {
                bits(ctx.tcr, 13, 12)
            } as u8;
            let dirty_write = hd
                && desc & (1 << 51) != 0
                && access == AccessKind::Write
                && desc & (1 << 7) != 0
                && !ap_ro;
            let ap = bits(desc, 7, 6) & if dirty_write { 0b01 } else { 0b11 };
            let pxn = desc & (1 << 53) != 0;
            let uxn = desc & (1 << 54) != 0;
            let wxn = ctx.sctlr & (1 << 19) != 0;
            let perms = if two_ranges {
                let el0 = ctx.el == El::EL0;
                // AP[2:1]: 00 EL1 RW; 01 EL1 and EL0 RW; 10 EL1 RO; 11 EL1 and EL0 RO.
                let el0_access = ap & 1 != 0 && !ap_no_el0;
                let ro = ap & 2 != 0 || ap_ro;
                let el0_write = el0_access && !ro;
                let read = if el0 { el0_access } else { true };
                let write = if el0 { el0_write } else { !ro };
                let exec = if el0 {
                    !uxn && !xn_t
                } else {
                    // Memory EL0 can write is never executable at EL1.
                    !pxn && !pxn_t && !el0_write
                };
                let exec = exec && !(wxn && write);
                // PAN: privileged data accesses to memory EL0 can reach fault; with
                // SCTLR_ELx.EPAN (FEAT_PAN3; RES0 without it), memory EL0 can execute too.
                let epan = ctx.sctlr & (1 << 57) != 0 && !uxn && !xn_t;
                let (read, write) = if ctx.pan && !el0 && (el0_access || epan) {
                    (false, false)
                } else {
                    (read, write)
                };
                Perms { read, write, exec }
            } else {
                let ro = ap & 2 != 0 || ap_ro;
                let write = !ro;
                let exec = !uxn && !xn_t && !(wxn && write);
                Perms {
                    read: true,
                    write,
                    exec,
                }
            };
            if !perms.allows(access) {
                return Err(fault(va, access, FaultKind::Permission, level));
            }
            let dirty_write = dirty_write && !self.check_only;
            let updated = (desc | 1 << 10) & if dirty_write { !(1u64 << 7) } else { !0 };
            if updated != desc && ctx.stage2 {
                // The update is a write to the table: stage 2 must allow it (a Permission
                // fault on the walk otherwise), and may mark that page dirty in turn.
                self.stage2(ctx, table + index * 8, !ns, va, access, Some(true))?;
            }
            if updated != desc {
                // The descriptor write is atomic with respect to other walks: one 64-bit store.
                self.phys
                    .write_le(desc_pa, 8, updated)
                    .map_err(|_| fault(va, access, FaultKind::ExternalOnWalk, level))?;
            }
            let pa = oa | (va & ((1u64 << shift) - 1));
            return Ok((
                Output {
                    pa,
                    attr,
                    sh,
                    device,
                    guarded: ctx.bti && desc & (1 << 50) != 0,
                    ns: ns || desc & (1 << 5) != 0,
                },
                perms,
            ));
        }
    }

    /// Stage 2 of EL1&0: IPA `ipa` to PA. `s1ptw`: this is stage 1's walk, reading a
    /// descriptor (`Some(false)`) or writing one back with a hardware update of its Access
    /// flag or dirty state (`Some(true)`, FEAT_HAFDBS), which needs stage 2 write permission. `secure_ipa`:
    /// the IPA is in the Secure IPA space, only from a Secure regime, translated by VSTTBR_EL2
    /// and VSTCR_EL2 (FEAT_SEL2).
    fn stage2(
        &mut self,
        ctx: &Translation,
        ipa: u64,
        secure_ipa: bool,
        va: u64,
        access: AccessKind,
        s1ptw: Option<bool>,
    ) -> Result<(Output, Perms), Fault> {
        let secure_ipa = secure_ipa && ctx.secure;
        let s2fault = |kind, level: i32| Fault {
            level: level as i8,
            stage2: Some((ipa, s1ptw.is_some())),
            ipa_ns: ctx.secure && !secure_ipa,
            ..Fault::new(va, access, kind)
        };
        // VSTCR_EL2 holds T0SZ, SL0, TG0 and SL2 for the Secure IPA space.
        const VSTCR_FIELDS: u64 = 0x2_0000_c0ff;
        let (vtcr, vttbr) = if secure_ipa {
            (
                (ctx.vtcr & !VSTCR_FIELDS) | (ctx.vstcr & VSTCR_FIELDS),
                ctx.vsttbr,
            )
        } else {
            (ctx.vtcr, ctx.vttbr)
        };
        // The PA spaces of the walk and of the output: Non-secure from a Non-secure regime.
        // In a Secure one, the Secure IPA space's walk is in VSTCR_EL2.SW's space (bit 29) and
        // its output Non-secure if SW or SA (bit 30) is set; the Non-secure IPA space's walk
        // is in VTCR_EL2.NSW's (bit 29) and its output Secure only while VSTCR_EL2.SW and SA
        // and VTCR_EL2.NSW and NSA (bit 30) are all 0.
        let bit = |r: u64, n: u32| r >> n & 1 != 0;
        let (sw, sa) = (bit(ctx.vstcr, 29), bit(ctx.vstcr, 30));
        let (walk_ns, out_ns) = if !ctx.secure {
            (true, true)
        } else if secure_ipa {
            (sw, sw || sa)
        } else {
            let (nsw, nsa) = (bit(ctx.vtcr, 29), bit(ctx.vtcr, 30));
            (nsw, sw || sa || nsw || nsa)
        };
        let sl0 = bits(vtcr, 7, 6);
        let g = match bits(vtcr, 15, 14) {
            0b01 => 16,
            0b10 => 14,
            _ => 12,
        };
        // VTCR_EL2.DS (bit 32, FEAT_LPA2) for 4K and 16K; SL2 (bit 33) with 4K.
        let ds = ctx.lpa2 && g != 16 && bits(vtcr, 32, 32) != 0;
        let sl2 = ds && g == 12 && bits(vtcr, 33, 33) != 0;
        let tsz = bits(vtcr, 5, 0).clamp(16, max_tsz(ctx.ttst, g)) as u32;
        let oa_bits = oa_size(bits(vtcr, 18, 16), ctx.pa_bits, g, ds);
        let tsz = if (g == 16 || ds) && oa_bits == 52 {
            bits(vtcr, 5, 0).clamp(12, max_tsz(ctx.ttst, g)) as u32
        } else {
            tsz
        };
        let inputsize = 64 - tsz;
        if ipa >> inputsize != 0 {
            return Err(s2fault(FaultKind::Translation, 0));
        }
        let stride = g - 3;
        let start: i32 = match (g, sl2, sl0) {
            (12, true, 0) if ctx.pa_bits == 52 => -1,
            (12, false, 0) => 2,
            (12, false, 1) => 1,
            (12, false, 2) => 0,
            (12, _, _) => return Err(s2fault(FaultKind::Translation, 0)),
            (14, _, 3) if ds && ctx.pa_bits == 52 => 0,
            (_, _, 0) => 3,
            (_, _, 1) => 2,
            (_, _, 2) => 1,
            _ => return Err(s2fault(FaultKind::Translation, 0)),
        };
        // The start level must leave between 1 and 16 concatenated tables' worth of bits.
        let below = g + stride * (3 - start) as u32;
        if inputsize < below || inputsize - below > stride + 4 {
            return Err(s2fault(FaultKind::Translation, start));
        }
        let index_bits = inputsize - below;
        let table_align = (index_bits + 3).max(6);
        let mut table = ttbr_base(vttbr, oa_bits, ds, table_align);
        let oa_format = OaFormat::of(ctx.pa_bits, g, ds);
        let mut level = start;
        loop {
            let shift = g + stride * (3 - level) as u32;
            let width = if level == start { index_bits } else { stride };
            let index = (ipa >> shift) & ((1u64 << width) - 1);
            if walk_ns && self.phys.secure_only(table + index * 8) {
                return Err(s2fault(FaultKind::ExternalOnWalk, level));
            }
            let mut b = [0u8; 8];
            self.phys
                .read(table + index * 8, &mut b, AccessKind::Read)
                .map_err(|_| s2fault(FaultKind::ExternalOnWalk, level))?;
            let desc = u64::from_le_bytes(b);
            if desc & 1 == 0 {
                return Err(s2fault(FaultKind::Translation, level));
            }
            if desc & 2 != 0 && level < 3 {
                let next = output_address(desc, oa_format) & !((1u64 << g) - 1);
                if next >> oa_bits != 0 {
                    return Err(s2fault(FaultKind::AddressSize, level));
                }
                table = next;
                level += 1;
                continue;
            }
            if !leaf_allowed(desc, g, level, ds, ctx.pa_bits) {
                return Err(s2fault(FaultKind::Translation, level));
            }
            let oa = output_address(desc, oa_format) & !((1u64 << shift) - 1);
            if oa >> oa_bits != 0 {
                return Err(s2fault(FaultKind::AddressSize, level));
            }
            // FEAT_HAFDBS at stage 2: VTCR_EL2.HA and HD, with DBM setting S2AP[1].
            let ha = ctx.hafdbs && bits(vtcr, 21, 21) != 0;
            let hd = ha && bits(vtcr, 22, 22) != 0;
            if desc & (1 << 10) == 0 && !ha {
                return Err(s2fault(FaultKind::AccessFlag, level));
            }
            let needed = match s1ptw {
                Some(false) => AccessKind::Read,
                Some(true) => AccessKind::Write,
                None => access,
            };
            let dirty_write =
                hd && desc & (1 << 51) != 0 && needed == AccessKind::Write && desc & (1 << 7) == 0;
            // S2AP[1:0] (bits 7:6): bit 0 read, bit 1 write. XN[1:0] (bits 54:53): with
            // FEAT_XNX 0b01 is execute-never at EL1 only and 0b11 at EL0 only; without it
            // only XN[1] counts.
            let s2ap = bits(desc, 7, 6) | if dirty_write { 0b10 } else { 0 };
            let xn = bits(desc, 54, 53);
            let el0 = ctx.el == El::EL0;
            let exec = match (ctx.xnx, xn) {
                (true, 0b01) => el0,
                (true, 0b11) => !el0,
                (_, xn) => xn & 0b10 == 0,
            };
            let perms = Perms {
                read: s2ap & 1 != 0,
                write: s2ap & 2 != 0,
                exec,
            };
            // A stage 1 walk reads, and needs stage 2 read permission; its hardware updates
            // need write permission.
            if !perms.allows(needed) {
                return Err(s2fault(FaultKind::Permission, level));
            }
            let dirty_write = dirty_write && !self.check_only;
            let updated = (desc | 1 << 10) | if dirty_write { 1 << 7 } else { 0 };
            if updated != desc {
                self.phys
                    .write_le(table + index * 8, 8, updated)
                    .map_err(|_| s2fault(FaultKind::ExternalOnWalk, level))?;
            }
            let memattr = bits(desc, 5, 2) as u8;
            let pa = oa | (ipa & ((1u64 << shift) - 1));
            return Ok((
                Output {
                    pa,
                    attr: memattr,
                    sh: if ds {
                        bits(vtcr, 13, 12)
                    } else {
                        bits(desc, 9, 8)
                    } as u8,
                    device: combined_device(ctx.fwb, false, memattr),
                    guarded: false,
                    ns: out_ns,
                },
                perms,
            ));
        }
    }

    /// The alignment check that depends on the memory type and SCTLR_ELx.A: an unaligned data
    /// access to Device memory, or any unaligned one with A set.
    #[inline]
    fn check_alignment(&self, va: u64, len: usize, device: bool) -> bool {
        let strict = device || self.ctx.sctlr & 2 != 0;
        !(strict && len > 1 && len.is_power_of_two() && va & (len as u64 - 1) != 0)
    }

    /// Splits `[va, va+len)` at page boundaries: the first piece's length.
    #[inline]
    fn first_piece(va: u64, len: usize) -> usize {
        let room = (PAGE_SIZE - (va & (PAGE_SIZE - 1))) as usize;
        len.min(room)
    }
}

impl<M: Memory> Memory for Mmu<M> {
    fn read(&mut self, va: u64, buf: &mut [u8], access: AccessKind) -> Result<(), Fault> {
        let mut done = 0;
        while done < buf.len() {
            let a = va.wrapping_add(done as u64);
            let n = Self::first_piece(a, buf.len() - done);
            let (pa, device) = self.translate(a, access)?;
            if access != AccessKind::Fetch && done == 0 {
                if !self.check_alignment(va, buf.len(), device) {
                    return Err(Fault::new(va, access, FaultKind::Alignment));
                }
                self.check_watchpoints(va, buf.len(), false)?;
            }
            self.phys
                .read(pa, &mut buf[done..done + n], access)
                .map_err(|f| Fault { va: a, ..f })?;
            done += n;
        }
        Ok(())
    }

    fn write(&mut self, va: u64, buf: &[u8]) -> Result<(), Fault> {
        let mut done = 0;
        while done < buf.len() {
            let a = va.wrapping_add(done as u64);
            let n = Self::first_piece(a, buf.len() - done);
            let (pa, device) = self.translate(a, AccessKind::Write)?;
            if done == 0 {
                if !self.check_alignment(va, buf.len(), device) {
                    return Err(Fault::new(va, AccessKind::Write, FaultKind::Alignment));
                }
                self.check_watchpoints(va, buf.len(), true)?;
            }
            self.phys
                .write(pa, &buf[done..done + n])
                .map_err(|f| Fault { va: a, ..f })?;
            done += n;
        }
        Ok(())
    }

    #[inline]
    fn read_le(&mut self, va: u64, size: usize) -> Result<u64, Fault> {
        if (va & (PAGE_SIZE - 1)) as usize + size <= PAGE_SIZE as usize {
            let (pa, device) = self.translate(va, AccessKind::Read)?;
            if !self.check_alignment(va, size, device) {
                return Err(Fault::new(va, AccessKind::Read, FaultKind::Alignment));
            }
            self.check_watchpoints(va, size, false)?;
            return self.phys.read_le(pa, size).map_err(|f| Fault { va, ..f });
        }
        let mut buf = [0u8; 8];
        self.read(va, &mut buf[..size], AccessKind::Read)?;
        Ok(u64::from_le_bytes(buf))
    }

    #[inline]
    fn write_le(&mut self, va: u64, size: usize, value: u64) -> Result<(), Fault> {
        if (va & (PAGE_SIZE - 1)) as usize + size <= PAGE_SIZE as usize {
            let (pa, device) = self.translate(va, AccessKind::Write)?;
            if !self.check_alignment(va, size, device) {
                return Err(Fault::new(va, AccessKind::Write, FaultKind::Alignment));
            }
            self.check_watchpoints(va, size, true)?;
            return self
                .phys
                .write_le(pa, size, value)
                .map_err(|f| Fault { va, ..f });
        }
        self.write(va, &value.to_le_bytes()[..size])
    }

    fn watch_code(&mut self, va: u64) -> Result<(), Fault> {
        let (pa, _) = self.translate(va, AccessKind::Fetch)?;
        self.phys.watch_code(pa).map_err(|f| Fault { va, ..f })?;
        self.watched
            .entry(pa / PAGE_SIZE)
            .or_default()
            .push(va / PAGE_SIZE);
        Ok(())
    }

    fn code_changed(&self) -> bool {
        self.phys.code_changed()
    }

    fn board_event(&self) -> bool {
        self.phys.board_event()
    }

    fn drain_code_changes(&mut self, f: &mut dyn FnMut(u64)) {
        let watched = &mut self.watched;
        let mut changed = 0;
        self.phys.drain_code_changes(&mut |ppn| {
            changed += 1;
            for vpn in watched.remove(&ppn).unwrap_or_default() {
                f(vpn);
            }
        });
        if changed > 0 {
            self.code_epoch += 1;
            self.code_seen = self.code_epoch;
        }
    }

    fn is_guarded(&mut self, va: u64) -> bool {
        if !self.ctx.bti || !self.ctx.stage1 {
            return false;
        }
        let vpn = va >> 12;
        let e = &self.tlb[vpn as usize % TLB_ENTRIES];
        if e.vpn == vpn && e.perms.exec {
            return e.guarded;
        }
        // Only asked about code just fetched (or about to be): a fault here means no page.
        let ctx = self.ctx;
        self.translate_with(&ctx, va, AccessKind::Fetch)
            .is_ok_and(|(o, _)| o.guarded)
    }

    fn set_translation(&mut self, t: &Translation) {
        if *t != self.ctx {
            self.ctx = *t;
            self.flush();
            self.watched.clear();
        }
    }

    fn tlb_invalidate(&mut self) {
        self.flush();
        self.tlbi_epoch += 1;
        self.tlbi_seen = self.tlbi_epoch;
    }

    fn set_unprivileged(&mut self, on: bool) {
        self.unprivileged = on;
    }

    fn set_watchpoints(&mut self, w: &[Watchpoint; WATCHPOINTS]) {
        self.watchpoints = *w;
        self.watching = w.iter().any(|w| w.privileged || w.unprivileged);
    }

    /// Cache maintenance by VA (Arm ARM D7.5.9, "Effects of instructions that operate by
    /// VA"): every fault a translation can give except Permission faults, which only what
    /// `s1` and `s2_write` ask for raise. PSTATE.PAN does not apply. No TLB fill.
    fn cache_maintenance(
        &mut self,
        va: u64,
        s1: Option<AccessKind>,
        s2_write: bool,
    ) -> Result<(), Fault> {
        // A translation the TLB holds cannot fault but on permissions.
        let vpn = va >> 12;
        if s1.is_none() && !s2_write && self.tlb[vpn as usize % TLB_ENTRIES].vpn == vpn {
            return Ok(());
        }
        let ctx = Translation {
            pan: false,
            ..self.ctx
        };
        // Stage 2's Permission faults on stage 1's walk (S1PTW) are always reported. Every
        // fault reported is the instruction's (ISS.CM).
        let cm = |f: Fault| Fault {
            cache_maintenance: true,
            ..f
        };
        let wanted = |f: &Fault, write: bool| {
            f.kind != FaultKind::Permission
                || match f.stage2 {
                    Some((_, s1ptw)) => s1ptw || s2_write,
                    None => s1.is_some_and(|a| !write || a == AccessKind::Write),
                }
        };
        if let Err(f) = self.translate_with(&ctx, va, AccessKind::Read) {
            if wanted(&f, false) {
                return Err(cm(f));
            }
        }
        if s1 == Some(AccessKind::Write) || s2_write {
            // A permission check: a writable-clean page (DBM) passes and stays clean.
            self.check_only = true;
            let r = self.translate_with(&ctx, va, AccessKind::Write);
            self.check_only = false;
            if let Err(f) = r
                && wanted(&f, true)
            {
                return Err(cm(f));
            }
        }
        Ok(())
    }

    fn translate_at(
        &mut self,
        t: &Translation,
        va: u64,
        access: AccessKind,
    ) -> Result<Output, Fault> {
        self.address_translate(t, va, access)
    }
}

#[cfg(test)]
mod tests {
    use super::{combined_device, max_tsz};

    /// The memory type after stage 2, as a table: (FWB, stage 1 Device, stage 2 MemAttr,
    /// Device after both stages).
    #[test]
    fn stage2_memory_type() {
        for (fwb, s1_device, memattr, device) in [
            // Without FWB the stronger type wins.
            (false, false, 0b1111, false),
            (false, true, 0b1111, true),
            (false, false, 0b0001, true),
            (false, false, 0b0100, false),
            // With FWB stage 2 decides: Device, Normal over a Device stage 1, or stage 1's.
            (true, false, 0b0001, true),
            (true, false, 0b1011, true),
            (true, true, 0b0110, false),
            (true, true, 0b0101, false),
            (true, true, 0b0111, true),
            (true, false, 0b0111, false),
        ] {
            assert_eq!(
                combined_device(fwb, s1_device, memattr),
                device,
                "FWB {fwb}, stage 1 Device {s1_device}, MemAttr {memattr:#06b}"
            );
        }
    }

    /// A descriptor's output address in each format: bits 47:12; 51:48 in bits 15:12 (64K
    /// with FEAT_LPA); 49:48 in place and 51:50 in bits 9:8 (DS, FEAT_LPA2).
    #[test]
    fn output_address_formats() {
        use super::{OaFormat, output_address};
        let desc = 0x0003_1234_5678_0000 | 0xa << 12 | 0b10 << 8 | 0x403;
        for (format, oa) in [
            (OaFormat::Base, 0x0000_1234_5678_a000),
            (OaFormat::Lpa64K, 0x000a_1234_5678_0000),
            (OaFormat::Ds, 0x000b_1234_5678_a000),
        ] {
            assert_eq!(output_address(desc, format), oa);
        }
    }

    /// Where blocks may be, by granule and level, with and without DS (and with 52-bit
    /// physical addresses for 64K's level 1).
    #[test]
    fn block_levels() {
        use super::leaf_allowed;
        let block = 0b01;
        for (g, level, ds, pa_bits, ok) in [
            (12, -1, true, 52, false),
            (12, 0, false, 48, false),
            (12, 0, true, 52, true),
            (12, 1, false, 48, true),
            (14, 0, true, 52, false),
            (14, 1, false, 48, false),
            (14, 1, true, 52, true),
            (16, 1, false, 48, false),
            (16, 1, false, 52, true),
            (16, 2, false, 48, true),
            (12, 3, false, 48, false), // level 3 wants a page (bit 1 set)
        ] {
            assert_eq!(
                leaf_allowed(block, g, level, ds, pa_bits),
                ok,
                "granule 2^{g}, level {level}, DS {ds}, {pa_bits}-bit PA"
            );
        }
    }

    /// FEAT_TTST lets TxSZ reach 48 (4K) or 47 (16K, 64K); without it 39 is the largest.
    #[test]
    fn largest_txsz() {
        for (ttst, g, max) in [
            (false, 12, 39),
            (false, 16, 39),
            (true, 12, 48),
            (true, 14, 47),
            (true, 16, 47),
        ] {
            assert_eq!(max_tsz(ttst, g), max, "TTST {ttst}, granule 2^{g}");
        }
    }
}
