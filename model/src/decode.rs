//! A64 decode: instruction word to Arm encoding id. The decision tree is generated at build
//! time (`model/build.rs`, `codegen::decoder`) from Arm's encodings and our overlay.

mod generated {
    use super::EncodingInfo;
    include!(concat!(env!("OUT_DIR"), "/decoder.rs"));
}

pub use generated::{ENCODING_COUNT, ENCODINGS, EncodingId, decode};

/// What the data says of one encoding.
#[derive(Debug)]
pub struct EncodingInfo {
    /// Arm's encoding id, e.g. `LDADD_32_memop`.
    pub name: &'static str,
    /// Path in Arm's decode tree, e.g. `ldst/memop`.
    pub group: &'static str,
    pub opcode: u32,
    pub mask: u32,
    /// Should-be-one/zero bits: their expected values are in `opcode`.
    pub should_be: u32,
    /// The features the encoding needs: any one of the terms, each a set that must all be on.
    pub features: &'static [&'static [&'static str]],
}

impl EncodingId {
    pub fn info(self) -> &'static EncodingInfo {
        &ENCODINGS[self as usize]
    }

    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// Whether `word` breaks this encoding's should-be-one/zero bits. The architecture makes
    /// such a word CONSTRAINED UNPREDICTABLE; we decode it as the instruction and report this.
    pub fn violates_should_be(self, word: u32) -> bool {
        let i = self.info();
        (word ^ i.opcode) & i.should_be != 0
    }
}

impl std::fmt::Display for EncodingId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests;
