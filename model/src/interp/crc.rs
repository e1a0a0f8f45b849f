//! CRC32B/H/W/X and CRC32CB/H/W/X (FEAT_CRC32). The pseudocode bit-reverses the accumulator and
//! the data, divides by the polynomial and reverses back; that is the reflected CRC update
//! (no initial or final inversion) with the reflected polynomials CRC-32 0xEDB88320 and CRC-32C
//! (Castagnoli) 0x82F63B78, done here a byte at a time by table.

use super::{Cpu, Exec, Insn};
use crate::decode::EncodingId as E;

const CRC32: [u32; 256] = table(0xedb8_8320);
const CRC32C: [u32; 256] = table(0x82f6_3b78);

const fn table(poly: u32) -> [u32; 256] {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { (c >> 1) ^ poly } else { c >> 1 };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
}

/// One CRC update of `acc` with the low `bytes` bytes of `value`, least significant first.
pub fn crc32(acc: u32, value: u64, bytes: usize, castagnoli: bool) -> u32 {
    let t = if castagnoli { &CRC32C } else { &CRC32 };
    let mut c = acc;
    for k in 0..bytes {
        let b = (value >> (8 * k)) as u8;
        c = (c >> 8) ^ t[((c as u8) ^ b) as usize];
    }
    c
}

#[inline]
pub(super) fn execute(cpu: &mut Cpu, i: Insn) -> Option<Exec> {
    match i.id {
        E::CRC32B_32C_dp_2src
        | E::CRC32H_32C_dp_2src
        | E::CRC32W_32C_dp_2src
        | E::CRC32X_64C_dp_2src
        | E::CRC32CB_32C_dp_2src
        | E::CRC32CH_32C_dp_2src
        | E::CRC32CW_32C_dp_2src
        | E::CRC32CX_64C_dp_2src => {
            if !cpu.config.features.crc32 {
                return Some(i.undefined());
            }
            // sz in 11:10, C in 12.
            let bytes = 1usize << i.bits(11, 10);
            let acc = cpu.state.xr(i.rn()) as u32;
            let value = cpu.state.xr(i.rm());
            let r = crc32(acc, value, bytes, i.bit(12));
            cpu.state.set_xr(i.rd(), u64::from(r));
            Some(Ok(()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::crc32;
    use crate::interp::tests::check;
    use crate::state::State;

    /// "12345678" little-endian, and the check string's last byte "9".
    const S8: u64 = u64::from_le_bytes(*b"12345678");

    #[test]
    fn crc32_check_values() {
        // The catalogue check values of CRC-32 (ISO-HDLC) and CRC-32C (iSCSI) over "123456789":
        // initial value all ones, final inversion.
        let cases: &[(&str, &[u32], fn(&mut State), fn(&mut State))] = &[
            (
                "crc32x w0, w0, x1; crc32b w0, w0, w2; mvn w0, w0",
                &[0x9ac14c00, 0x1ac24000, 0x2a2003e0],
                |s| {
                    s.x[0] = 0xffff_ffff;
                    s.x[1] = S8;
                    s.x[2] = u64::from(b'9') | 0xff00
                },
                |s| s.x[0] = 0xcbf4_3926,
            ),
            (
                "crc32cx w0, w0, x1; crc32cb w0, w0, w2; mvn w0, w0",
                &[0x9ac15c00, 0x1ac25000, 0x2a2003e0],
                |s| {
                    s.x[0] = 0xffff_ffff;
                    s.x[1] = S8;
                    s.x[2] = u64::from(b'9')
                },
                |s| s.x[0] = 0xe306_9283,
            ),
            (
                "crc32w w0, w0, w1; crc32w w0, w0, w3; crc32b w0, w0, w2; mvn w0, w0",
                &[0x1ac14800, 0x1ac34800, 0x1ac24000, 0x2a2003e0],
                |s| {
                    s.x[0] = 0xffff_ffff;
                    s.x[1] = S8;
                    s.x[3] = S8 >> 32;
                    s.x[2] = u64::from(b'9')
                },
                |s| s.x[0] = 0xcbf4_3926,
            ),
            (
                "crc32ch x4 (w1, w3, w4, w5); crc32cb w0, w0, w2; mvn w0, w0",
                &[
                    0x1ac15400, 0x1ac35400, 0x1ac45400, 0x1ac55400, 0x1ac25000, 0x2a2003e0,
                ],
                |s| {
                    s.x[0] = 0xffff_ffff_ffff_ffff;
                    s.x[1] = S8;
                    s.x[3] = S8 >> 16;
                    s.x[4] = S8 >> 32;
                    s.x[5] = S8 >> 48;
                    s.x[2] = u64::from(b'9')
                },
                |s| s.x[0] = 0xe306_9283,
            ),
        ];
        for (name, words, setup, expect) in cases {
            check(name, words, *setup, *expect);
        }
    }

    #[test]
    fn crc32c_known_answers() {
        // RFC 3720 (iSCSI) B.4: 32 bytes of zeros, of ones, incrementing.
        let crc = |data: &[u8]| !data.iter().fold(!0u32, |c, &b| crc32(c, b.into(), 1, true));
        assert_eq!(crc(&[0; 32]), 0x8a91_36aa);
        assert_eq!(crc(&[0xff; 32]), 0x62a8_ab43);
        let inc: Vec<u8> = (0..32).collect();
        assert_eq!(crc(&inc), 0x46dd_794e);
        // CRC-32 of "The quick brown fox jumps over the lazy dog".
        let fox = b"The quick brown fox jumps over the lazy dog";
        let crc32_ = !fox.iter().fold(!0u32, |c, &b| crc32(c, b.into(), 1, false));
        assert_eq!(crc32_, 0x414f_a339);
    }
}
