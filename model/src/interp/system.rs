//! System instructions at EL0 in user mode (system mode's MRS, MSR, SYS, HVC, SMC, ERET, WFI
//! and WFE are in `sysreg` and `exceptions`): hints, barriers, exception generation (SVC/BRK/HLT), MRS/MSR of
//! the EL0-visible registers and of the ID registers Linux emulates for EL0, and DC ZVA.

use super::{Cpu, Exception, Exec, Insn};
use crate::decode::EncodingId as E;
use crate::memory::Memory;

/// FPSR bits: QC, IDC, IXC, UFC, OFC, DZC, IOC.
const FPSR_MASK: u64 = 0x0800_009f;

/// A system register's encoding `(op0, op1, CRn, CRm, op2)` packed as in MRS/MSR bits 20:5.
const fn sysreg(op0: u32, op1: u32, crn: u32, crm: u32, op2: u32) -> u32 {
    (op0 << 14) | (op1 << 11) | (crn << 7) | (crm << 3) | op2
}

const NZCV: u32 = sysreg(3, 3, 4, 2, 0);
const DIT: u32 = sysreg(3, 3, 4, 2, 5);
const SSBS: u32 = sysreg(3, 3, 4, 2, 6);
const FPCR: u32 = sysreg(3, 3, 4, 4, 0);
const FPSR: u32 = sysreg(3, 3, 4, 4, 1);
const TPIDR_EL0: u32 = sysreg(3, 3, 13, 0, 2);
const TPIDRRO_EL0: u32 = sysreg(3, 3, 13, 0, 3);
const CNTFRQ_EL0: u32 = sysreg(3, 3, 14, 0, 0);
const CNTVCT_EL0: u32 = sysreg(3, 3, 14, 0, 2);
const CTR_EL0: u32 = sysreg(3, 3, 0, 0, 1);
const DCZID_EL0: u32 = sysreg(3, 3, 0, 0, 7);
const MIDR_EL1: u32 = sysreg(3, 0, 0, 0, 0);
const MPIDR_EL1: u32 = sysreg(3, 0, 0, 0, 5);

/// The ID registers in the space Linux emulates for EL0 (op0=3, op1=0, CRn=0, CRm=4..7), by
/// `(CRm, op2)`.
const ID_REGISTERS: &[((u32, u32), &str)] = &[
    ((4, 0), "ID_AA64PFR0_EL1"),
    ((4, 1), "ID_AA64PFR1_EL1"),
    ((4, 2), "ID_AA64PFR2_EL1"),
    ((4, 4), "ID_AA64ZFR0_EL1"),
    ((4, 5), "ID_AA64SMFR0_EL1"),
    ((4, 7), "ID_AA64FPFR0_EL1"),
    ((5, 0), "ID_AA64DFR0_EL1"),
    ((5, 1), "ID_AA64DFR1_EL1"),
    ((6, 0), "ID_AA64ISAR0_EL1"),
    ((6, 1), "ID_AA64ISAR1_EL1"),
    ((6, 2), "ID_AA64ISAR2_EL1"),
    ((6, 3), "ID_AA64ISAR3_EL1"),
    ((7, 0), "ID_AA64MMFR0_EL1"),
    ((7, 1), "ID_AA64MMFR1_EL1"),
    ((7, 2), "ID_AA64MMFR2_EL1"),
    ((7, 3), "ID_AA64MMFR3_EL1"),
    ((7, 4), "ID_AA64MMFR4_EL1"),
];

pub(super) fn execute(cpu: &mut Cpu, mem: &mut impl Memory, i: Insn) -> Option<Exec> {
    if cpu.config.system {
        match i.id {
            E::WFI_HI_hints => return Some(cpu.wait(i, false, None)),
            E::WFE_HI_hints => return Some(cpu.wait(i, true, None)),
            E::WFIT_only_systeminstrswithreg if cpu.config.system_features.wfxt => {
                return Some(cpu.wait(i, false, Some(i.rd())));
            }
            E::WFET_only_systeminstrswithreg if cpu.config.system_features.wfxt => {
                return Some(cpu.wait(i, true, Some(i.rd())));
            }
            E::SEV_HI_hints | E::SEVL_HI_hints => {
                // One PE per board loop step: SEV's event reaches this PE too.
                cpu.event_register = true;
                return Some(Ok(()));
            }
            E::ESB_HI_hints if cpu.config.system_features.ras => {
                cpu.error_synchronization_barrier();
                return Some(Ok(()));
            }
            E::HVC_EX_exception => return Some(cpu.hvc(i)),
            E::SMC_EX_exception => return Some(cpu.smc(i)),
            E::ERET_64E_branch_reg | E::ERETAA_64E_branch_reg | E::ERETAB_64E_branch_reg => {
                return Some(cpu.eret(i));
            }
            // HFGITR_EL2.SVC_EL0 and SVC_EL1 (FEAT_FGT) trap SVC to EL2 with its own syndrome;
            // the preferred return is the SVC itself.
            E::SVC_EX_exception => {
                use crate::state::ExceptionLevel as El;
                let el0 = cpu.state.pstate.el == El::EL0;
                let bit = if el0 { 52 } else { 53 };
                if cpu.state.pstate.el <= El::EL1
                    && cpu.fine_grained_trap(crate::sysregs::HFGITR_EL2, bit, el0)
                {
                    return Some(Err(Exception::Trap {
                        pc: i.pc,
                        target: El::EL2,
                        class: super::exceptions::ec::SVC,
                        iss: i.bits(20, 5),
                    }));
                }
            }
            E::MRS_RS_systemmove => return Some(super::sysreg::mrs(cpu, i)),
            E::MSR_SR_systemmove => return Some(super::sysreg::msr(cpu, i)),
            E::SYS_CR_systeminstrs => return Some(super::sysreg::sys(cpu, mem, i)),
            E::SYSL_RC_systeminstrs => return Some(super::sysreg::sysl(cpu, i)),
            _ => {}
        }
    }
    Some(match i.id {
        E::NOP_HI_hints
        | E::YIELD_HI_hints
        | E::WFE_HI_hints
        | E::WFI_HI_hints
        | E::SEV_HI_hints
        | E::SEVL_HI_hints
        | E::HINT_HM_hints
        | E::CSDB_HI_hints
        | E::ESB_HI_hints
        | E::PSB_HC_hints
        | E::TSB_HC_hints
        | E::DGH_HI_hints
        | E::CLRBHB_HI_hints
        | E::GCSB_HD_hints
        | E::CHKFEAT_HF_hints
        | E::STSHH_HI_hints
        | E::SHUH_HI_hints
        | E::STCPH_HI_hints
        | E::SLBND_HI_hints
        | E::SRLS_HI_hints
        // BTI's landing-pad check comes before execution (`bti`): the instruction does nothing.
        // PACM needs FEAT_PAuth_LR, not implemented: a NOP. The PAuth hints are in `pauth`.
        | E::BTI_HB_hints
        | E::PACM_HI_hints => Ok(()),
        // A single PE with no other observers: barriers have no effect to model.
        E::DMB_BO_barriers | E::DSB_BO_barriers | E::ISB_BI_barriers => Ok(()),
        // DSB <option>nXS (FEAT_XS): the same, no access being waited for.
        E::DSB_BOn_barriers if cpu.config.system_features.xs => Ok(()),
        E::CLREX_BN_barriers => {
            cpu.monitor.marked = None;
            Ok(())
        }
        E::SVC_EX_exception => Err(Exception::SupervisorCall { pc: i.pc, imm: i.bits(20, 5) as u16 }),
        E::BRK_EX_exception => Err(Exception::Breakpoint { pc: i.pc, imm: i.bits(20, 5) as u16 }),
        E::HLT_EX_exception => Err(Exception::Halt { pc: i.pc, imm: i.bits(20, 5) as u16 }),
        E::MRS_RS_systemmove => mrs(cpu, i),
        E::MSR_SR_systemmove => msr(cpu, i),
        E::SYS_CR_systeminstrs => sys(cpu, mem, i),
        _ => return None,
    })
}

fn mrs(cpu: &mut Cpu, i: Insn) -> Exec {
    let reg = i.bits(20, 5);
    let s = &cpu.state;
    let c = &cpu.config;
    let value = match reg {
        NZCV => s.pstate.nzcv(),
        DIT if c.features.dit => u64::from(s.pstate.dit) << 24,
        SSBS if c.features.ssbs => u64::from(s.pstate.ssbs) << 12,
        FPCR => s.fpcr,
        FPSR => s.fpsr,
        TPIDR_EL0 => s.tpidr_el0,
        TPIDRRO_EL0 => s.tpidrro_el0,
        CNTFRQ_EL0 => c.cntfrq_el0,
        CNTVCT_EL0 => (u128::from(cpu.retired) * u128::from(c.cntfrq_el0) / 1_000_000_000) as u64,
        CTR_EL0 => c.ctr_el0,
        DCZID_EL0 => c.dczid_el0,
        MIDR_EL1 => c.midr_el1,
        MPIDR_EL1 => 0x8000_0000,
        // The rest of the ID space Linux emulates for EL0 (op0=3, op1=0, CRn=0, CRm=0 or
        // 4..7; the AArch32 registers at CRm=1..3 stay UNDEFINED, as under Linux).
        _ if reg >> 7 == sysreg(3, 0, 0, 0, 0) >> 7 && matches!((reg >> 3) & 15, 0 | 4..=7) => {
            let key = ((reg >> 3) & 15, reg & 7);
            ID_REGISTERS
                .iter()
                .find(|(k, _)| *k == key)
                .and_then(|(_, name)| c.id_registers.iter().find(|(n, _)| n == name))
                .map_or(0, |(_, v)| *v)
        }
        _ => return i.undefined(),
    };
    cpu.state.set_xr(i.rd(), value);
    Ok(())
}

fn msr(cpu: &mut Cpu, i: Insn) -> Exec {
    let v = cpu.state.xr(i.rd());
    let fpcr_mask = super::fpcr_mask(&cpu.config.features);
    let s = &mut cpu.state;
    match i.bits(20, 5) {
        NZCV => s.pstate.set_nzcv((v >> 28) as u8),
        DIT if cpu.config.features.dit => s.pstate.dit = (v >> 24) & 1 != 0,
        SSBS if cpu.config.features.ssbs => s.pstate.ssbs = (v >> 12) & 1 != 0,
        FPCR => s.fpcr = v & fpcr_mask,
        FPSR => s.fpsr = v & FPSR_MASK,
        TPIDR_EL0 => s.tpidr_el0 = v,
        _ => return i.undefined(),
    }
    Ok(())
}

/// SYS: the cache maintenance Linux allows at EL0 (SCTLR_EL1.UCI, DZE set).
fn sys(cpu: &mut Cpu, mem: &mut impl Memory, i: Insn) -> Exec {
    let op1 = i.bits(18, 16);
    let crn = i.bits(15, 12);
    let crm = i.bits(11, 8);
    let op2 = i.bits(7, 5);
    match (op1, crn, crm, op2) {
        // DC ZVA: zero a naturally aligned block of DCZID_EL0.BS words.
        (3, 7, 4, 1) => {
            let bytes = 4u64 << (cpu.config.dczid_el0 & 15);
            let address = cpu.state.xr(i.rd()) & !(bytes - 1);
            let mut done = 0;
            while done < bytes {
                super::ldst::write(mem, i, address.wrapping_add(done), 16, 0)?;
                done += 16;
            }
            Ok(())
        }
        // IC IVAU: the decoded-instruction cache is the only instruction cache we model. It
        // already dropped the page when the store was made; dropping it again is harmless.
        (3, 7, 5, 1) => {
            let va = cpu.state.xr(i.rd());
            cpu.decode_cache.drop_page(va / crate::memory::PAGE_SIZE);
            Ok(())
        }
        // DC CVAU, CVAC, CIVAC, and CVAP and CVADP when their features are there: no data
        // caches to maintain.
        (3, 7, 11, 1) | (3, 7, 10, 1) | (3, 7, 14, 1) => Ok(()),
        (3, 7, 12, 1) if cpu.config.features.dpb => Ok(()),
        (3, 7, 13, 1) if cpu.config.features.dpb2 => Ok(()),
        _ => i.undefined(),
    }
}
