//! Table-driven tests of the interpreter: (instruction words, initial state) -> expected state,
//! through one `check` function. Words come from `aarch64-linux-gnu-as`; the assembly is the
//! case's name.

use super::{Config, Cpu, Exception, InterruptGroup, Stop};
use crate::memory::{AccessKind, FlatMemory, Perms};
use crate::state::State;

pub(super) const CODE: u64 = 0x1000;
pub(super) const DATA: u64 = 0x10000;
pub(super) const STACK_TOP: u64 = 0x30000;

/// Runs `words` from CODE with the state `setup` makes and DATA holding 0..=255 repeated, and
/// checks the final state is the initial one changed by `expect` with PC past the last word.
pub(super) fn check(name: &str, words: &[u32], setup: fn(&mut State), expect: fn(&mut State)) {
    check_with(Config::default(), name, words, setup, expect)
}

/// [`check`] on a PE configured by `config`.
pub(super) fn check_with(
    config: Config,
    name: &str,
    words: &[u32],
    setup: fn(&mut State),
    expect: fn(&mut State),
) {
    let (cpu, _) = run_with(config, words, setup);
    let mut want = initial(setup);
    expect(&mut want);
    if want.pc == CODE {
        want.pc = CODE + 4 * words.len() as u64;
    }
    assert_eq!(cpu.state, want, "{name}");
}

fn initial(setup: fn(&mut State)) -> State {
    let mut s = State::default();
    s.pc = CODE;
    s.sp_el[0] = STACK_TOP;
    setup(&mut s);
    s
}

fn memory(words: &[u32]) -> FlatMemory {
    let mut mem = FlatMemory::new();
    mem.map(CODE, 0x1000, Perms::RX);
    let code: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    mem.poke(CODE, &code).unwrap();
    mem.map(DATA, 0x1000, Perms::RW);
    let data: Vec<u8> = (0..0x1000).map(|i| i as u8).collect();
    mem.poke(DATA, &data).unwrap();
    mem.map(STACK_TOP - 0x1000, 0x1000, Perms::RW);
    mem
}

pub(super) fn run(words: &[u32], setup: fn(&mut State)) -> (Cpu, Stop) {
    run_with(Config::default(), words, setup)
}

pub(super) fn run_with(config: Config, words: &[u32], setup: fn(&mut State)) -> (Cpu, Stop) {
    let mut mem = memory(words);
    let mut cpu = Cpu::new(config);
    cpu.state = initial(setup);
    let stop = cpu.run(
        &mut mem,
        words.iter().take_while(|&&w| w != 0).count().max(1) as u64,
    );
    (cpu, stop)
}

#[test]
fn data_processing() {
    let cases: &[(&str, &[u32], fn(&mut State), fn(&mut State))] = &[
        (
            "add x0, x1, #3",
            &[0x91000c20],
            |s| s.x[1] = 5,
            |s| s.x[0] = 8,
        ),
        (
            "adds w2, w3, #1 (overflow)",
            &[0x31000462],
            |s| s.x[3] = 0x7fff_ffff,
            |s| {
                s.x[2] = 0x8000_0000;
                s.pstate.set_nzcv(0b1001);
            },
        ),
        (
            "subs x4, x5, x6, lsl #2",
            &[0xeb0608a4],
            |s| {
                s.x[5] = 8;
                s.x[6] = 2
            },
            |s| {
                s.x[4] = 0;
                s.pstate.set_nzcv(0b0110);
            },
        ),
        (
            "cmp x0, x1 (borrow)",
            &[0xeb01001f],
            |s| {
                s.x[0] = 1;
                s.x[1] = 2
            },
            |s| s.pstate.set_nzcv(0b1000),
        ),
        (
            "add x0, sp, w1, uxtw #2",
            &[0x8b214be0],
            |s| s.x[1] = 0xffff_ffff_0000_0001,
            |s| s.x[0] = STACK_TOP + 4,
        ),
        (
            "adc x0, x1, x2",
            &[0x9a020020],
            |s| {
                s.x[1] = 1;
                s.x[2] = 2;
                s.pstate.c = true
            },
            |s| s.x[0] = 4,
        ),
        (
            "and x0, x1, #0xff00",
            &[0x92781c20],
            |s| s.x[1] = 0x1234_5678,
            |s| s.x[0] = 0x5600,
        ),
        (
            "mov w0, #0x55555555",
            &[0x3200f3e0],
            |s| s.x[0] = u64::MAX,
            |s| s.x[0] = 0x5555_5555,
        ),
        (
            "eon x0, x1, x2, ror #4",
            &[0xcae21020],
            |s| {
                s.x[1] = 0xf0;
                s.x[2] = 0xf
            },
            |s| s.x[0] = !(0xf0 ^ 0xf000_0000_0000_0000),
        ),
        (
            "movz; movk",
            &[0xd2a24680, 0xf297dde0],
            |_| {},
            |s| s.x[0] = 0x1234_beef,
        ),
        (
            "mov w0, #0xffffffff",
            &[0x12800000],
            |_| {},
            |s| s.x[0] = 0xffff_ffff,
        ),
        (
            "ubfx x0, x1, #4, #8",
            &[0xd3442c20],
            |s| s.x[1] = 0xabcd,
            |s| s.x[0] = 0xbc,
        ),
        (
            "sbfx x0, x1, #4, #8",
            &[0x93442c20],
            |s| s.x[1] = 0xabcd,
            |s| s.x[0] = 0xffff_ffff_ffff_ffbc,
        ),
        (
            "bfi x0, x1, #8, #4",
            &[0xb3780c20],
            |s| {
                s.x[0] = 0xffff;
                s.x[1] = 0x5
            },
            |s| s.x[0] = 0xf5ff,
        ),
        (
            "extr x0, x1, x2, #8",
            &[0x93c22020],
            |s| {
                s.x[1] = 0xaa;
                s.x[2] = 0x1122
            },
            |s| s.x[0] = 0xaa00_0000_0000_0011,
        ),
        (
            "lsl x0, x1, #3",
            &[0xd37df020],
            |s| s.x[1] = 0x8000_0000_0000_0001,
            |s| s.x[0] = 8,
        ),
        (
            "asr w0, w1, #31",
            &[0x131f7c20],
            |s| s.x[1] = 0x8000_0000,
            |s| s.x[0] = 0xffff_ffff,
        ),
        (
            "csel x0, x1, x2, eq",
            &[0x9a820020],
            |s| {
                s.x[1] = 1;
                s.x[2] = 2
            },
            |s| s.x[0] = 2,
        ),
        (
            "csinc x0, x1, x2, ne",
            &[0x9a821420],
            |s| {
                s.x[1] = 1;
                s.x[2] = 2;
                s.pstate.z = true
            },
            |s| s.x[0] = 3,
        ),
        (
            "ccmp x0, x1, #4, ne (cond false)",
            &[0xfa411004],
            |s| s.pstate.z = true,
            |s| s.pstate.set_nzcv(4),
        ),
        (
            "ccmp x0, x1, #4, ne (cond true)",
            &[0xfa411004],
            |s| {
                s.x[0] = 3;
                s.x[1] = 3
            },
            |s| s.pstate.set_nzcv(0b0110),
        ),
        (
            "rbit w0, w1",
            &[0x5ac00020],
            |s| s.x[1] = 1,
            |s| s.x[0] = 0x8000_0000,
        ),
        (
            "rev x0, x1",
            &[0xdac00c20],
            |s| s.x[1] = 0x0102_0304_0506_0708,
            |s| s.x[0] = 0x0807_0605_0403_0201,
        ),
        (
            "rev16 w0, w1",
            &[0x5ac00420],
            |s| s.x[1] = 0x1122_3344,
            |s| s.x[0] = 0x2211_4433,
        ),
        (
            "clz x0, x1",
            &[0xdac01020],
            |s| s.x[1] = 0x100,
            |s| s.x[0] = 55,
        ),
        (
            "cls w0, w1",
            &[0x5ac01420],
            |s| s.x[1] = 0xffff_00ff,
            |s| s.x[0] = 15,
        ),
        (
            "udiv x0, x1, x2 (by zero)",
            &[0x9ac20820],
            |s| s.x[1] = 7,
            |s| s.x[0] = 0,
        ),
        (
            "sdiv w0, w1, w2",
            &[0x1ac20c20],
            |s| {
                s.x[1] = (-7i32) as u32 as u64;
                s.x[2] = 2
            },
            |s| s.x[0] = (-3i32) as u32 as u64,
        ),
        (
            "sdiv w0, w1, w2 (INT_MIN / -1)",
            &[0x1ac20c20],
            |s| {
                s.x[1] = 0x8000_0000;
                s.x[2] = 0xffff_ffff
            },
            |s| s.x[0] = 0x8000_0000,
        ),
        (
            "madd x0, x1, x2, x3",
            &[0x9b020c20],
            |s| {
                s.x[1] = 3;
                s.x[2] = 4;
                s.x[3] = 5
            },
            |s| s.x[0] = 17,
        ),
        (
            "umulh x0, x1, x2",
            &[0x9bc27c20],
            |s| {
                s.x[1] = u64::MAX;
                s.x[2] = 2
            },
            |s| s.x[0] = 1,
        ),
        (
            "smull x0, w1, w2",
            &[0x9b227c20],
            |s| {
                s.x[1] = 0xffff_ffff;
                s.x[2] = 5
            },
            |s| s.x[0] = (-5i64) as u64,
        ),
        (
            "lsr x0, x1, x2 (amount mod 64)",
            &[0x9ac22420],
            |s| {
                s.x[1] = 0x100;
                s.x[2] = 68
            },
            |s| s.x[0] = 0x10,
        ),
        ("adr x0, .", &[0x10000000], |_| {}, |s| s.x[0] = CODE),
        ("adrp x0, .", &[0x90000000], |_| {}, |s| s.x[0] = CODE),
    ];
    for (name, words, setup, expect) in cases {
        check(name, words, *setup, *expect);
    }
}

#[test]
fn branches() {
    let cases: &[(&str, &[u32], fn(&mut State), fn(&mut State))] = &[
        ("b .+8", &[0x14000002], |_| {}, |s| s.pc = CODE + 8),
        (
            "bl .+8",
            &[0x94000002],
            |_| {},
            |s| {
                s.pc = CODE + 8;
                s.x[30] = CODE + 4
            },
        ),
        (
            "b.ne .+8 (taken)",
            &[0x54000041],
            |_| {},
            |s| s.pc = CODE + 8,
        ),
        (
            "b.ne .+8 (not taken)",
            &[0x54000041],
            |s| s.pstate.z = true,
            |_| {},
        ),
        ("cbz x0, .+8", &[0xb4000040], |_| {}, |s| s.pc = CODE + 8),
        (
            "tbnz x0, #63, .+8",
            &[0xb7f80040],
            |s| s.x[0] = 1 << 63,
            |s| s.pc = CODE + 8,
        ),
        (
            "ret",
            &[0xd65f03c0],
            |s| s.x[30] = 0x4000,
            |s| s.pc = 0x4000,
        ),
    ];
    for (name, words, setup, expect) in cases {
        check(name, words, *setup, *expect);
    }
}

#[test]
fn loads_and_stores() {
    let cases: &[(&str, &[u32], fn(&mut State), fn(&mut State))] = &[
        (
            "ldr x0, [x1, #8]",
            &[0xf9400420],
            |s| s.x[1] = DATA,
            |s| s.x[0] = 0x0f0e_0d0c_0b0a_0908,
        ),
        (
            "ldrsb w0, [x1, #-1]!",
            &[0x38dffc20],
            |s| s.x[1] = DATA + 0x81,
            |s| {
                s.x[0] = 0xffff_ff80;
                s.x[1] = DATA + 0x80;
            },
        ),
        (
            "str x0, [x1], #16; ldr x3, [x1, #-16]",
            &[0xf8010420, 0xf85f0023],
            |s| {
                s.x[0] = 0x1122_3344_5566_7788;
                s.x[1] = DATA;
            },
            |s| {
                s.x[1] = DATA + 16;
                s.x[3] = 0x1122_3344_5566_7788;
            },
        ),
        (
            "ldr w0, [x1, x2, lsl #2]",
            &[0xb8627820],
            |s| {
                s.x[1] = DATA;
                s.x[2] = 1
            },
            |s| s.x[0] = 0x0706_0504,
        ),
        (
            "ldrsw x0, [x1]",
            &[0xb9800020],
            |s| s.x[1] = DATA + 0xfc,
            |s| s.x[0] = 0xffff_ffff_fffe_fdfc,
        ),
        (
            "stp x0, x1, [sp, #-16]!; ldp x2, x3, [sp], #16",
            &[0xa9bf07e0, 0xa8c10fe2],
            |s| {
                s.x[0] = 1;
                s.x[1] = 2;
            },
            |s| {
                s.x[2] = 1;
                s.x[3] = 2;
            },
        ),
        (
            "ldr q0, [x1]",
            &[0x3dc00020],
            |s| {
                s.x[1] = DATA;
                s.v[0] = u128::MAX
            },
            |s| s.v[0] = u128::from_le_bytes(core::array::from_fn(|i| i as u8)),
        ),
        (
            "ldr x0, .+8",
            &[0x58000040, 0, 0x55, 0x66],
            |_| {},
            |s| {
                s.x[0] = 0x66_0000_0055;
                s.pc = CODE + 4
            },
        ),
        (
            "ldxr x0, [x1]; stxr w2, x0, [x1]",
            &[0xc85f7c20, 0xc8027c20],
            |s| {
                s.x[1] = DATA;
                s.x[2] = 9
            },
            |s| {
                s.x[0] = 0x0706_0504_0302_0100;
                s.x[2] = 0;
            },
        ),
        (
            "stxr w2, x0, [x1] without ldxr fails",
            &[0xc8027c20],
            |s| s.x[1] = DATA,
            |s| s.x[2] = 1,
        ),
        (
            "ldar w0, [x1]",
            &[0x88dffc20],
            |s| s.x[1] = DATA + 4,
            |s| s.x[0] = 0x0706_0504,
        ),
    ];
    for (name, words, setup, expect) in cases {
        check(name, words, *setup, *expect);
    }
}

#[test]
fn system() {
    let cases: &[(&str, &[u32], fn(&mut State), fn(&mut State))] = &[
        ("nop", &[0xd503201f], |_| {}, |_| {}),
        (
            "mrs x0, nzcv",
            &[0xd53b4200],
            |s| s.pstate.set_nzcv(0b1010),
            |s| s.x[0] = 0xa000_0000,
        ),
        (
            "msr tpidr_el0, x0",
            &[0xd51bd040],
            |s| s.x[0] = 77,
            |s| s.tpidr_el0 = 77,
        ),
        (
            "dc zva, x0; ldr x1, [x0, #8]",
            &[0xd50b7420, 0xf9400401],
            |s| s.x[0] = DATA + 70,
            |s| s.x[1] = 0,
        ),
    ];
    for (name, words, setup, expect) in cases {
        check(name, words, *setup, *expect);
    }
}

/// Exceptions come back as values with PC at the instruction (faults) or past it (SVC).
#[test]
fn exceptions() {
    let (cpu, stop) = run(&[0xd4000001], |_| {});
    assert_eq!(
        stop,
        Stop::Exception(Exception::SupervisorCall { pc: CODE, imm: 0 })
    );
    assert_eq!(cpu.state.pc, CODE + 4);

    let (cpu, stop) = run(&[0x0000_0000], |_| {});
    assert!(
        matches!(stop, Stop::Exception(Exception::Undefined { pc: CODE, .. })),
        "{stop:?}"
    );
    assert_eq!(cpu.state.pc, CODE);

    // ldr x0, [x1, #8] from an unmapped address.
    let (cpu, stop) = run(&[0xf9400420], |s| s.x[1] = 0x8000_0000);
    let Stop::Exception(Exception::DataAbort { fault, .. }) = stop else {
        panic!("{stop:?}")
    };
    assert_eq!((fault.va, fault.access), (0x8000_0008, AccessKind::Read));
    assert_eq!(cpu.state.pc, CODE);
    assert_eq!(cpu.retired, 0);

    // str to code is a permission fault.
    let (_, stop) = run(&[0xf9000020], |s| s.x[1] = CODE);
    assert!(
        matches!(stop, Stop::Exception(Exception::DataAbort { .. })),
        "{stop:?}"
    );

    // An unimplemented encoding (SVE's add z0.d, z1.d, z2.d) is UNDEFINED with its id.
    let (_, stop) = run(&[0x04e20020], |_| {});
    let Stop::Exception(Exception::Undefined {
        encoding: Some(_), ..
    }) = stop
    else {
        panic!("{stop:?}")
    };
}

#[test]
fn decode_bit_masks_matches_the_pseudocode() {
    use super::decode_bit_masks;
    assert_eq!(
        decode_bit_masks(1, 0b000111, 0, true, 64),
        Some((0xff, 0xff))
    );
    assert_eq!(
        decode_bit_masks(0, 0b111100, 0, true, 32),
        Some((0x5555_5555, 0x5555_5555))
    );
    assert_eq!(decode_bit_masks(0, 0b111111, 0, true, 32), None);
    assert_eq!(decode_bit_masks(1, 0b111111, 0, true, 64), None);
}

/// Every (N, imms, immr) against the pseudocode written out bit by bit (Replicate as a loop).
#[test]
fn decode_bit_masks_agrees_with_a_bitwise_reference_everywhere() {
    use super::decode_bit_masks;
    fn reference(n: u32, imms: u32, immr: u32, immediate: bool, m: u32) -> Option<(u64, u64)> {
        let combined = (n << 6) | (!imms & 0x3f);
        let len = (0..7).rev().find(|b| combined >> b & 1 == 1)?;
        if len < 1 {
            return None;
        }
        let esize = 1u32 << len;
        if esize > m {
            return None;
        }
        let levels = esize - 1;
        if immediate && imms & levels == levels {
            return None;
        }
        let (s, r) = (imms & levels, immr & levels);
        let d = s.wrapping_sub(r) & levels;
        let bit_ones = |k: u32| (0..k).fold(0u64, |a, b| a | 1 << b);
        let (welem, telem) = (bit_ones(s + 1), bit_ones(d + 1));
        let rot = (0..esize).fold(0u64, |a, b| a | ((welem >> ((b + r) % esize)) & 1) << b);
        let rep = |e: u64| (0..m).fold(0u64, |a, b| a | ((e >> (b % esize)) & 1) << b);
        Some((rep(rot), rep(telem)))
    }
    for m in [32, 64] {
        for n in 0..2 {
            for imms in 0..64 {
                for immr in 0..64 {
                    for immediate in [false, true] {
                        assert_eq!(
                            decode_bit_masks(n, imms, immr, immediate, m),
                            reference(n, imms, immr, immediate, m),
                            "N={n} imms={imms:#b} immr={immr:#b} immediate={immediate} M={m}"
                        );
                    }
                }
            }
        }
    }
}

/// Each feature name the boards may resolve maps to its flag both ways: `from_names` turns on
/// exactly the flag `has` reads back, for the EL0 and the system features alike.
#[test]
fn feature_names_round_trip() {
    use super::{Config, Features, IMPLEMENTED, SYSTEM_IMPLEMENTED, SystemFeatures};
    // The EL0 names that are the base architecture (or an umbrella), with no flag, and the
    // hints that are NOPs with or without their feature.
    let base = [
        "FEAT_AA64",
        "FEAT_AA64EL0",
        "FEAT_EL0",
        "FEAT_FP",
        "FEAT_AdvSIMD",
        "FEAT_Crypto",
        "FEAT_CLRBHB",
        "FEAT_CHK",
    ];
    for &name in IMPLEMENTED.iter().chain(SYSTEM_IMPLEMENTED) {
        if base.contains(&name) {
            continue;
        }
        // PAuth comes with its algorithm, and the algorithm with PAuth; PAuth2 needs both,
        // FPAC needs PAuth2, and FPACCOMBINE needs FPAC.
        let chain = [
            "FEAT_PAuth",
            "FEAT_PACQARMA5",
            "FEAT_PAuth2",
            "FEAT_FPAC",
            "FEAT_FPACCOMBINE",
        ];
        let needs = |n: &str| match chain.iter().position(|&c| c == name) {
            Some(i) => chain[..i.max(2)].contains(&n),
            None => false,
        };
        // RPRES changes what FPCR.AH does, so it needs AFP.
        let on = |n: &str| n == name || needs(n) || (name == "FEAT_RPRES" && n == "FEAT_AFP");
        let config = Config {
            features: Features::from_names(on),
            system_features: SystemFeatures::from_names(on),
            ..Config::default()
        };
        assert!(config.has(name), "{name} does not round-trip");
        let other = if name == "FEAT_LSE" {
            "FEAT_PAN"
        } else {
            "FEAT_LSE"
        };
        assert!(!config.has(other), "{name} turns on {other}");
    }
}

/// WFIT and WFET (FEAT_WFxT) on the system model, as a table: (word, timeout in X1, whether
/// the PE waits, nanoseconds until the board should wake it). A timeout already reached
/// completes at once; XZR is timeout 0; one tick of the 1 GHz counter is a nanosecond, and
/// an instruction retired is one too.
#[test]
fn wfxt_timeouts() {
    use super::SystemFeatures;
    const WFIT_X1: u32 = 0xd503_1021;
    const WFET_X1: u32 = 0xd503_1001;
    const WFIT_XZR: u32 = 0xd503_103f;
    for (word, timeout, waits, wake) in [
        (WFIT_X1, 0, false, None),
        (WFET_X1, 0, false, None),
        (WFIT_XZR, u64::MAX, false, None),
        // The waiting instruction has retired: one nanosecond of the thousand has passed.
        (WFIT_X1, 1000, true, Some(999)),
        (WFET_X1, 1000, true, Some(999)),
    ] {
        let config = Config {
            system: true,
            cntfrq_el0: 1_000_000_000,
            system_features: SystemFeatures {
                wfxt: true,
                ..SystemFeatures::default()
            },
            ..Config::default()
        };
        let mut mem = memory(&[word]);
        let mut cpu = Cpu::new(config);
        cpu.state.pc = CODE;
        // EL1: at EL0 SCTLR_EL1.nTWI and nTWE (reset 0) would trap a WFIT that waits.
        cpu.state.pstate.el = crate::state::ExceptionLevel::EL1;
        cpu.state.x[1] = timeout;
        let stop = cpu.run(&mut mem, 1);
        let waited = stop == Stop::Exception(Exception::WaitForInterrupt { pc: CODE });
        assert_eq!(waited, waits, "{word:#x} timeout {timeout}: {stop:?}");
        if waits {
            assert_eq!(cpu.next_wake_ns(), wake, "{word:#x} timeout {timeout}");
            cpu.retired = timeout;
            assert!(cpu.wait_timed_out(), "{word:#x}: the timeout is reached");
        }
    }
    // Without FEAT_WFxT the encodings are UNDEFINED.
    let mut mem = memory(&[WFIT_X1]);
    let mut cpu = Cpu::new(Config {
        system: true,
        ..Config::default()
    });
    cpu.state.pc = CODE;
    let stop = cpu.run(&mut mem, 1);
    assert!(
        matches!(stop, Stop::Exception(Exception::Undefined { .. })),
        "{stop:?}"
    );
}

/// Which waits HCR_EL2.TWI/TWE trap at EL1, as a table: (word, IRQ pending and masked, Event
/// Register set, trapped). A wait that would not enter a low-power state is not trapped: WFI with an
/// interrupt pending (masked or not), WFE with the Event Register set; a pending interrupt
/// does not stop WFE's trap.
#[test]
fn wait_traps_only_what_would_wait() {
    use crate::state::ExceptionLevel as El;
    use crate::sysregs as sr;
    const WFI: u32 = 0xd503_207f;
    const WFE: u32 = 0xd503_205f;
    for (word, irq, event, trapped) in [
        (WFI, false, false, true),
        (WFI, true, false, false),
        (WFE, false, false, true),
        (WFE, true, false, true),
        (WFE, false, true, false),
    ] {
        let mut mem = memory(&[word]);
        let mut cpu = Cpu::new(Config {
            system: true,
            el2: true,
            ..Config::default()
        });
        cpu.state.pc = CODE;
        cpu.state.pstate.el = El::EL1;
        // The IRQ is masked, so that it is not taken before the wait runs.
        cpu.state.pstate.i = true;
        // HCR_EL2: RW, TWI (13), TWE (14).
        cpu.write_sysreg(sr::HCR_EL2, 1 << 31 | 1 << 13 | 1 << 14);
        cpu.set_physical_interrupt(irq.then_some(InterruptGroup::Group1));
        cpu.event_register = event;
        let stop = cpu.run(&mut mem, 1);
        let was_trapped = matches!(
            stop,
            Stop::Exception(Exception::Trap {
                target: El::EL2,
                ..
            })
        );
        assert_eq!(
            was_trapped, trapped,
            "{word:#x} irq {irq} event {event}: {stop:?}"
        );
        if !trapped {
            // It completed: no wait, no exception.
            assert_eq!(stop, Stop::Budget, "{word:#x} irq {irq} event {event}");
        }
        if event {
            assert!(!cpu.event_register, "WFE clears the Event Register");
        }
    }
}

/// FEAT_CSSC, as a table: (instruction, word, X1, X2, X0 after).
#[test]
fn cssc() {
    const M64: u64 = 0x8000_0000_0000_0000;
    let cases: &[(&str, u32, u64, u64, u64)] = &[
        ("abs x0, x1", 0xdac02020, (-5i64) as u64, 0, 5),
        ("abs x0, x1", 0xdac02020, M64, 0, M64),
        (
            "abs w0, w1",
            0x5ac02020,
            0xffff_ffff_8000_0001,
            0,
            0x7fff_ffff,
        ),
        ("abs w0, w1", 0x5ac02020, 0xffff_ffff_0000_0007, 0, 7),
        ("cnt x0, x1", 0xdac01c20, u64::MAX, 0, 64),
        ("cnt w0, w1", 0x5ac01c20, u64::MAX, 0, 32),
        ("ctz x0, x1", 0xdac01820, 0, 0, 64),
        ("ctz x0, x1", 0xdac01820, 0x100, 0, 8),
        ("ctz w0, w1", 0x5ac01820, 0x1_0000_0000, 0, 32),
        ("smax x0, x1, x2", 0x9ac26020, (-1i64) as u64, 1, 1),
        ("smin w0, w1, w2", 0x1ac26820, 0x8000_0000, 1, 0x8000_0000),
        ("umax x0, x1, x2", 0x9ac26420, u64::MAX, 1, u64::MAX),
        ("umin w0, w1, w2", 0x1ac26c20, 0x1_0000_0005, 9, 5),
        (
            "smax x0, x1, #-3",
            0x91c3f420,
            (-7i64) as u64,
            0,
            (-3i64) as u64,
        ),
        ("smin w0, w1, #100", 0x11c99020, 0x7fff_ffff, 0, 100),
        ("umax x0, x1, #200", 0x91c72020, 3, 0, 200),
        ("umin w0, w1, #7", 0x11cc1c20, 0xffff_ffff, 0, 7),
    ];
    for &(name, word, x1, x2, want) in cases {
        let mut mem = memory(&[word]);
        let mut cpu = Cpu::new(Config::default());
        cpu.state = initial(|_| {});
        cpu.state.x[1] = x1;
        cpu.state.x[2] = x2;
        assert_eq!(cpu.run(&mut mem, 1), Stop::Budget, "{name}");
        assert_eq!(cpu.state.x[0], want, "{name} with {x1:#x}, {x2:#x}");
    }
    // Without the feature the encodings are UNDEFINED.
    let mut config = Config::default();
    config.features.cssc = false;
    let (_, stop) = run_with(config, &[0xdac01c20], |_| {});
    assert!(
        matches!(stop, Stop::Exception(Exception::Undefined { .. })),
        "{stop:?}"
    );
}
