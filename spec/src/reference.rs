//! A slow, obviously-correct decoder over the encodings and the overlay: it checks every
//! encoding that could match. It is the oracle for the generated decision tree and the tool the
//! tests use to find words that two encodings claim.

use crate::encodings::Encoding;
use crate::overlay::{EncodingOverlay, Overlay, decodes_as};

/// Encodings bucketed by the word's top `BUCKET_BITS` bits, so a lookup checks a few dozen
/// encodings rather than all of them.
pub struct ReferenceDecoder<'a> {
    encodings: &'a [Encoding],
    overlay: &'a [EncodingOverlay],
    buckets: Vec<Vec<u16>>,
}

const BUCKET_BITS: u32 = 12;
const BUCKET_SHIFT: u32 = 32 - BUCKET_BITS;

impl<'a> ReferenceDecoder<'a> {
    pub fn new(encodings: &'a [Encoding], overlay: &'a Overlay) -> Self {
        let mut buckets = vec![Vec::new(); 1 << BUCKET_BITS];
        for (b, bucket) in buckets.iter_mut().enumerate() {
            let top = (b as u32) << BUCKET_SHIFT;
            for (i, e) in encodings.iter().enumerate() {
                let m = e.decode_mask() & (!0u32 << BUCKET_SHIFT);
                if (top ^ e.opcode) & m == 0 {
                    bucket.push(i as u16);
                }
            }
        }
        ReferenceDecoder {
            encodings,
            overlay: &overlay.per_encoding,
            buckets,
        }
    }

    /// Indices of every encoding that claims `word` once the overlay's constraints apply.
    pub fn decode_all(&self, word: u32) -> impl Iterator<Item = usize> + '_ {
        self.buckets[(word >> BUCKET_SHIFT) as usize]
            .iter()
            .map(|&i| i as usize)
            .filter(move |&i| decodes_as(&self.encodings[i], &self.overlay[i], word))
    }

    /// The one encoding that claims `word`, `None` for unallocated. Ambiguity is the caller's
    /// concern: the tests check there is none.
    pub fn decode(&self, word: u32) -> Option<usize> {
        self.decode_all(word).next()
    }
}

impl ReferenceDecoder<'_> {
    /// The words two or more encodings claim, each with their ids joined by `, `.
    pub fn ambiguous(&self, words: impl IntoIterator<Item = u32>) -> Vec<(u32, String)> {
        let mut out = Vec::new();
        for w in words {
            let ids: Vec<&str> = self
                .decode_all(w)
                .map(|i| self.encodings[i].id.as_str())
                .collect();
            if ids.len() > 1 {
                out.push((w, ids.join(", ")));
            }
        }
        out
    }
}

/// For every pair of encodings whose fixed bits are compatible, the two words made of both
/// patterns with the free bits all zero and all one: where an overlap the constraints do not
/// resolve shows up first.
pub fn overlap_words(encodings: &[Encoding]) -> Vec<u32> {
    let mut words = Vec::new();
    for (i, a) in encodings.iter().enumerate() {
        for b in &encodings[i + 1..] {
            if (a.opcode ^ b.opcode) & a.decode_mask() & b.decode_mask() == 0 {
                let fixed = (a.opcode & a.decode_mask()) | (b.opcode & b.decode_mask());
                let free = !(a.decode_mask() | b.decode_mask());
                words.extend([fixed, fixed | free]);
            }
        }
    }
    words
}

/// A small, fast, seeded generator (SplitMix64) for reproducible random words.
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }
}
