//! Fixed inputs for the workloads that benchmarks and tests run on the boards, so a benchmark
//! and a test of the same program see the same bytes.

/// 4 MiB of mixed text and noise for `xz -6`, so the compressor has work of both kinds.
pub fn xz_corpus() -> Vec<u8> {
    const SIZE: usize = 4 << 20;
    let mut out = Vec::with_capacity(SIZE + 16);
    let mut x = 0x5eed_u64;
    let words = [
        "architecture ",
        "reference ",
        "model ",
        "exception ",
        "level ",
        "translation ",
        "granule ",
    ];
    while out.len() < SIZE {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if x % 5 == 0 {
            out.extend_from_slice(&x.to_le_bytes());
        } else {
            out.extend_from_slice(words[(x % words.len() as u64) as usize].as_bytes());
        }
    }
    out.truncate(SIZE);
    out
}

#[cfg(test)]
mod tests {
    /// The corpus is a fixed input: its size and a checksum of it never change.
    #[test]
    fn xz_corpus_is_fixed() {
        let c = super::xz_corpus();
        assert_eq!(c.len(), 4 << 20);
        let sum = c.iter().fold(0u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        assert_eq!(sum, 0xacdb_fec1_7b07_2f1b, "checksum {sum:#x}");
    }
}
