//! `--cpu SPEC` for the boards: a spec resolved by the feature model (`spec::features`), then
//! checked against what the interpreter implements (`model::interp::IMPLEMENTED`) and what the
//! Linux user-mode board's emulated kernel provides (`KERNEL_PROVIDED`). `max` is the highest
//! architecture version that passes, plus every implemented optional feature the feature
//! model allows beside it, like `qemu-aarch64 -cpu max`.

use machines::linux_user::KERNEL_PROVIDED;
use model::interp::{IMPLEMENTED, SYSTEM_ARCHITECTURAL, SYSTEM_IMPLEMENTED};
use spec::features::{Resolved, Version, resolve_str};

/// What a board offers beyond the EL0 features the interpreter implements: the user-mode
/// board's emulated kernel, or the system model's Exception levels.
#[derive(Clone, Copy)]
enum Board {
    User,
    System,
}

impl Board {
    fn provides(self, f: &str) -> bool {
        match self {
            Board::User => KERNEL_PROVIDED.contains(&f),
            Board::System => SYSTEM_IMPLEMENTED.contains(&f) || SYSTEM_ARCHITECTURAL.contains(&f),
        }
    }
}

/// The first feature of `r` that the board cannot offer, if any.
fn unimplemented_on(r: &Resolved, board: Board) -> Option<&'static str> {
    r.features()
        .find(|f| !IMPLEMENTED.contains(f) && !board.provides(f))
}

fn unimplemented(r: &Resolved) -> Option<&'static str> {
    unimplemented_on(r, Board::User)
}

/// Resolves `spec` for the `virt` board: `max` is the newest version the system model
/// implements in full, with every implemented optional feature; EL3 (and Secure state) only
/// with `secure`, EL2 only with `virtualization`, as on QEMU virt.
pub fn resolve_for_boot(
    spec: &str,
    secure: bool,
    virtualization: bool,
) -> Result<(String, Resolved), String> {
    let mut removals = String::new();
    if !secure {
        removals.push_str(",-FEAT_AA64EL3,-FEAT_EL3,-FEAT_Secure");
    }
    if !virtualization {
        removals.push_str(",-FEAT_AA64EL2,-FEAT_EL2");
    }
    if spec == "max" {
        return max_on(Board::System, &removals);
    }
    let full = format!("{spec}{removals}");
    let r = resolve_str(&full).map_err(|e| e.to_string())?;
    match unimplemented_on(&r, Board::System) {
        Some(f) => Err(format!(
            "--cpu {spec}: {f} is not implemented by the system model yet (see `specula \
             features --cpu {spec}`; remove it with ,-{f} or pick an older version)"
        )),
        None => Ok((full, r)),
    }
}

/// Resolves `spec` (`max`, or a spec such as `v9.0,+FEAT_SSBS`) into a configuration the
/// user-mode board can run, or says why not in one line.
pub fn resolve_for_run(spec: &str) -> Result<(String, Resolved), String> {
    if spec == "max" {
        return max();
    }
    let r = resolve_str(spec).map_err(|e| e.to_string())?;
    match unimplemented(&r) {
        Some(f) => Err(format!(
            "--cpu {spec}: {f} is not implemented by the interpreter (see `specula features \
             --cpu {spec}`; remove it with ,-{f} or pick an older version)"
        )),
        None => Ok((spec.to_string(), r)),
    }
}

fn max() -> Result<(String, Resolved), String> {
    max_on(Board::User, "")
}

fn max_on(board: Board, removals: &str) -> Result<(String, Resolved), String> {
    let unimplemented = |r: &Resolved| unimplemented_on(r, board);
    let mut versions = Version::all();
    versions.reverse();
    let base = versions
        .iter()
        .map(|v| format!("{v}{removals}"))
        .find(|v| resolve_str(v).is_ok_and(|r| unimplemented(&r).is_none()))
        .ok_or("no architecture version has only implemented features")?;
    let mut spec = base;
    let mut r = resolve_str(&spec).map_err(|e| e.to_string())?;
    // One at a time, then the rest together, then in pairs: some features only come in
    // company (FEAT_Crypto's constraints want FEAT_AES with FEAT_PMULL or FEAT_SHA256, …).
    let try_add = |names: &[&str], spec: &mut String, r: &mut Resolved| {
        let wider = names.iter().fold(spec.clone(), |s, f| format!("{s},+{f}"));
        if let Ok(w) = resolve_str(&wider)
            && unimplemented(&w).is_none()
        {
            *spec = wider;
            *r = w;
        }
    };
    // The optional features to try: the interpreter's, and on the system board its own.
    let system: &[&str] = match board {
        Board::User => &[],
        Board::System => SYSTEM_IMPLEMENTED,
    };
    let architectural: &[&str] = match board {
        Board::User => &[],
        Board::System => SYSTEM_ARCHITECTURAL,
    };
    let candidates: Vec<&str> = IMPLEMENTED
        .iter()
        .chain(system)
        .chain(architectural)
        .copied()
        .collect();
    for &f in &candidates {
        if !r.has(f) {
            try_add(&[f], &mut spec, &mut r);
        }
    }
    let rest: Vec<&str> = candidates.iter().copied().filter(|f| !r.has(f)).collect();
    if !rest.is_empty() {
        try_add(&rest, &mut spec, &mut r);
    }
    for &a in &candidates {
        for &b in &candidates {
            if a < b && !r.has(a) && !r.has(b) {
                try_add(&[a, b], &mut spec, &mut r);
            }
        }
    }
    Ok((spec, r))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The system board's `max` is the newest version whose features the system model has
    /// (Armv9.4, which is Armv8.9 with FP16, FHM and FlagM2: PAN, RAS, UAO, PAuth2 at every
    /// level, TLBI by range, BTI, E0PD, FGT, ECV, PAN3, XS, WFxT, HCX, AFP, MOPS, HBC, NMI,
    /// TIDCP1, CMOW, CSSC, SCTLR2, TCR2, FGT2, RASv2, SPECRES2 and Debugv8p9), with the PMU
    /// (PMUv3p9 and, Armv9.3 asking for it with a PMUv3p9, FEAT_EBEP), with the
    /// optional features (52-bit addresses with every granule) included, and has EL2 and EL3
    /// only when asked (both: Secure EL2 too).
    #[test]
    fn boot_max_follows_the_system_model() {
        let (spec, r) = resolve_for_boot("max", false, false).unwrap();
        assert!(spec.starts_with("v9.4"), "{spec}");
        for f in [
            "FEAT_LSE",
            "FEAT_PAN",
            "FEAT_RAS",
            "FEAT_PAuth",
            "FEAT_LPA",
            "FEAT_LVA",
            "FEAT_TLBIRANGE",
            "FEAT_BTI",
            "FEAT_E0PD",
            "FEAT_PAuth2",
            "FEAT_ECV",
            "FEAT_LPA2",
            "FEAT_PAN3",
            "FEAT_XS",
            "FEAT_WFxT",
            "FEAT_AFP",
            "FEAT_RPRES",
            "FEAT_MOPS",
            "FEAT_HBC",
            "FEAT_NMI",
            "FEAT_TIDCP1",
            "FEAT_CMOW",
            "FEAT_CSSC",
            "FEAT_SCTLR2",
            "FEAT_TCR2",
            "FEAT_SPECRES2",
            "FEAT_CLRBHB",
            "FEAT_Debugv8p9",
            "FEAT_PMUv3",
            "FEAT_PMUv3p9",
            "FEAT_EBEP",
        ] {
            assert!(r.has(f), "{spec}: {f}");
        }
        assert!(!r.has("FEAT_EL2") && !r.has("FEAT_EL3"), "{spec}");
        let (spec, r) = resolve_for_boot("max", false, true).unwrap();
        assert!(r.has("FEAT_EL2") && r.has("FEAT_S2FWB") && r.has("FEAT_EVT"));
        assert!(r.has("FEAT_FGT") && r.has("FEAT_HCX"), "{spec}");
        // With EL2 and a PMU, Armv8.8 asks for HPMN = 0 (FEAT_HPMN0).
        assert!(r.has("FEAT_HPMN0"), "{spec}");
        assert!(spec.starts_with("v9.4"), "{spec}");
        let (spec, r) = resolve_for_boot("max", true, true).unwrap();
        assert!(r.has("FEAT_EL2") && r.has("FEAT_EL3") && r.has("FEAT_VHE"));
        assert!(r.has("FEAT_SEL2") && r.has("FEAT_BTI"), "{spec}");
        assert!(spec.starts_with("v9.4"), "{spec}");
        assert!(r.has("FEAT_FGT2") && r.has("FEAT_RASv2"), "{spec}");
        let e = resolve_for_boot("v9.5", false, false).unwrap_err();
        assert!(e.contains("not implemented by the system model"), "{e}");
    }

    /// `max` offers every feature it has, optional ones included.
    #[test]
    fn max_is_offered() {
        let (spec, r) = resolve_for_run("max").unwrap();
        assert!(r.has("FEAT_LSE") && r.has("FEAT_SSBS"), "{spec}");
        assert_eq!(unimplemented(&r), None);
    }

    #[test]
    fn refused_specs_name_the_feature() {
        let e = resolve_for_run("v8.2,+FEAT_SVE").unwrap_err();
        assert!(e.contains("is not implemented by the interpreter"), "{e}");
        assert!(resolve_for_run("v8.0").is_ok());
        assert!(resolve_for_run("v9.9").is_err());
    }
}
