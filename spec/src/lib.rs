//! Arm's machine-readable data, loaded and checked, plus our own data where Arm's is not
//! available here: the A64 encodings (from AARCHMRS via `aarchmrs-instructions`), the overlay of
//! what that dataset lacks (features per encoding, decode constraints), and the feature model.
//!
//! Architecture Invariant: nothing here reads files at run time. Every table is committed under
//! `spec/data/` and compiled in, so a fresh clone without Arm's `Features.json` builds and runs.

pub mod encodings;
pub mod features;
pub mod overlay;
pub mod reference;
pub mod sysregs;
