//! Whether the interpreter implements the instruction a word encodes: the word is executed
//! once on a scratch PE with every optional feature on, its registers pointing into a scratch
//! data page so that loads and stores find memory. UNDEFINED from an encoding the decoder
//! knows means the semantics are missing. For coverage reports (`specula coverage`), never on
//! the hot path.

use super::{Config, Cpu, Exception, Features};
use crate::decode::{EncodingId, decode};
use crate::memory::{FlatMemory, Perms};

/// What executing a word once showed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Probe {
    /// No encoding claims the word: UNDEFINED by the architecture.
    Unallocated,
    /// The encoding's semantics ran (or took an exception other than UNDEFINED).
    Implemented(EncodingId),
    /// The decoder knows the encoding, but the interpreter took UNDEFINED for it.
    Missing(EncodingId),
}

const CODE: u64 = 0x10_0000;
const DATA: u64 = 0x20_0000;

/// Executes `word` once and says which of the three it is.
pub fn probe(word: u32) -> Probe {
    let Some(id) = decode(word) else {
        return Probe::Unallocated;
    };
    let mut mem = FlatMemory::new();
    mem.map(CODE, 0x1000, Perms::RX);
    mem.map(DATA, 0x10000, Perms::RW);
    let _ = mem.poke(CODE, &word.to_le_bytes());
    let mut cpu = Cpu::new(Config {
        features: Features::ALL,
        ..Config::default()
    });
    cpu.state.pc = CODE;
    // Base registers in the middle of the data page, index registers small.
    for (i, x) in cpu.state.x.iter_mut().enumerate() {
        *x = DATA + 0x8000 + 8 * i as u64;
    }
    cpu.state.set_sp(DATA + 0x8000);
    match cpu.step(&mut mem) {
        // UDF's semantics are to be UNDEFINED.
        Err(Exception::Undefined { .. }) if id == EncodingId::UDF_only_perm_undef => {
            Probe::Implemented(id)
        }
        Err(Exception::Undefined {
            encoding: Some(_), ..
        }) => Probe::Missing(id),
        _ => Probe::Implemented(id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_tell_the_three_apart() {
        for (word, expected) in [
            (
                0x8b02_0020,
                Probe::Implemented(EncodingId::ADD_64_addsub_shift),
            ),
            (0xf940_0020, Probe::Implemented(EncodingId::LDR_64_ldst_pos)),
            (
                0x0000_0000,
                Probe::Implemented(EncodingId::UDF_only_perm_undef),
            ),
            (0xffff_ffff, Probe::Unallocated),
        ] {
            assert_eq!(probe(word), expected, "{word:#010x}");
        }
    }
}
