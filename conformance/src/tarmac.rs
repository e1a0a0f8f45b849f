//! A parser for the Tarmac trace lines Arm's tools write in the "IT" style (Fast Models and
//! the traces `specula run --trace` writes), after the grammar Arm's tarmac-trace-utilities
//! accept: an optional timestamp with its unit (`7 clk`, `1000 ps`, `271ns`) and CPU name
//! (`cpu0`), then one record:
//!
//! - `IT (n) <address> <encoding> <isa> <mode> : <disassembly>`, or `IS` for an instruction
//!   whose condition failed; the address may carry its physical address (`va:pa`) and the
//!   encoding may be `--------` when it could not be fetched;
//! - `R <register> <value>`, the value in hex, possibly split by spaces, `_` or `:`;
//! - `MR<n>`/`MW<n> <address> <value>` (reads and writes of n bytes), the value possibly
//!   `(ABORTED)`;
//! - `E <address> <number> <event>` or `E <event> ...`, exceptions and other events.
//!
//! Comparing traces (ours against silicon's, or against another model's) starts here.

use std::fmt;

/// One parsed line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// The timestamp and its unit, when the line has one.
    pub time: Option<(u64, String)>,
    pub cpu: Option<String>,
    pub record: Record,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    Instruction {
        /// False for `IS`: the condition failed.
        executed: bool,
        count: u64,
        address: u64,
        /// `None` when the encoding is shown as `--------`.
        encoding: Option<u32>,
        /// `O` (A64), `A` (A32) or `T` (T32).
        isa: char,
        mode: String,
        text: String,
    },
    Register {
        name: String,
        /// The value's hex digits with separators removed (as wide as the trace shows it).
        hex: String,
    },
    Memory {
        write: bool,
        size: u32,
        address: u64,
        /// `None` for an aborted access.
        value: Option<u128>,
    },
    Event {
        address: Option<u64>,
        number: Option<u64>,
        name: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub line: String,
    pub why: &'static str,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {:?}", self.why, self.line)
    }
}

const UNITS: &[&str] = &["ps", "ns", "us", "ms", "s", "clk", "cs", "tic", "cyc"];

fn hex(s: &str) -> Option<u64> {
    u64::from_str_radix(s, 16).ok()
}

/// An address token: `va` or `va:pa` (the physical part may carry `_NS`/`_S` and more).
fn address(s: &str) -> Option<u64> {
    hex(s.split(':').next()?)
}

/// Parses one line of an IT-style Tarmac trace.
pub fn parse_line(line: &str) -> Result<Line, ParseError> {
    let err = |why| ParseError {
        line: line.to_string(),
        why,
    };
    let mut tokens: Vec<&str> = line.split_whitespace().collect();
    let mut time = None;
    // `7 clk`, or `271ns` in one token.
    if let Some(first) = tokens.first() {
        if let Ok(t) = first.parse::<u64>() {
            let unit = tokens
                .get(1)
                .filter(|u| UNITS.contains(u))
                .ok_or(err("a timestamp without a unit"))?;
            time = Some((t, unit.to_string()));
            tokens.drain(..2);
        } else if let Some(split) = first.find(|c: char| !c.is_ascii_digit())
            && split > 0
            && UNITS.contains(&&first[split..])
        {
            time = Some((
                first[..split].parse().map_err(|_| err("bad timestamp"))?,
                first[split..].to_string(),
            ));
            tokens.remove(0);
        }
    }
    let mut cpu = None;
    if let Some(t) = tokens.first()
        && t.starts_with("cpu")
        && t[3..].chars().all(|c| c.is_ascii_digit())
        && t.len() > 3
    {
        cpu = Some(t.to_string());
        tokens.remove(0);
    }
    let Some(&kind) = tokens.first() else {
        return Err(err("an empty record"));
    };
    let record = match kind {
        "IT" | "IS" => {
            let count = tokens
                .get(1)
                .and_then(|c| c.strip_prefix('(')?.strip_suffix(')')?.parse().ok())
                .ok_or(err("an instruction without its (count)"))?;
            let address = tokens
                .get(2)
                .and_then(|a| address(a))
                .ok_or(err("a bad instruction address"))?;
            let encoding = match tokens.get(3) {
                Some(e) if e.chars().all(|c| c == '-') => None,
                Some(e) => Some(u32::from_str_radix(e, 16).map_err(|_| err("a bad encoding"))?),
                None => return Err(err("an instruction without its encoding")),
            };
            let isa = tokens
                .get(4)
                .filter(|s| matches!(**s, "O" | "A" | "T"))
                .and_then(|s| s.chars().next())
                .ok_or(err(
                    "an instruction without its instruction set (O, A or T)",
                ))?;
            let mode = tokens
                .get(5)
                .ok_or(err("an instruction without its mode"))?
                .to_string();
            if tokens.get(6) != Some(&":") {
                return Err(err("an instruction without ':' before its text"));
            }
            // The text after " : ", as written (its spacing is the tool's).
            let text = line
                .split_once(" : ")
                .map(|(_, t)| t.trim().to_string())
                .unwrap_or_default();
            Record::Instruction {
                executed: kind == "IT",
                count,
                address,
                encoding,
                isa,
                mode,
                text,
            }
        }
        "R" => {
            let name = tokens
                .get(1)
                .ok_or(err("a register update without a name"))?
                .to_string();
            let hex: String = tokens[2..]
                .iter()
                .flat_map(|t| t.chars())
                .filter(|c| !matches!(c, '_' | ':'))
                .collect();
            if hex.is_empty() || !hex.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
                return Err(err("a register update without a hex value"));
            }
            Record::Register { name, hex }
        }
        k if (k.starts_with("MR") || k.starts_with("MW")) && k.len() > 2 => {
            let size: u32 = k[2..]
                .parse()
                .map_err(|_| err("a memory access without its size"))?;
            let address = tokens
                .get(1)
                .and_then(|a| address(a))
                .ok_or(err("a bad memory address"))?;
            let value = match tokens.get(2) {
                Some(&"(ABORTED)") => None,
                Some(_) => {
                    let digits: String = tokens[2..].concat().replace('_', "");
                    Some(u128::from_str_radix(&digits, 16).map_err(|_| err("a bad memory value"))?)
                }
                None => return Err(err("a memory access without its value")),
            };
            Record::Memory {
                write: k.starts_with("MW"),
                size,
                address,
                value,
            }
        }
        "E" => match (
            tokens.get(1).and_then(|a| hex(a)),
            tokens.get(2).and_then(|n| hex(n)),
        ) {
            (Some(address), Some(number)) if tokens.len() >= 4 => Record::Event {
                address: Some(address),
                number: Some(number),
                name: tokens[3].to_string(),
            },
            _ => Record::Event {
                address: None,
                number: None,
                name: tokens
                    .get(1)
                    .ok_or(err("an event without a name"))?
                    .to_string(),
            },
        },
        _ => return Err(err("not an IT-style Tarmac record")),
    };
    Ok(Line { time, cpu, record })
}

/// Parses every non-blank line of `text`.
pub fn parse(text: &str) -> Result<Vec<Line>, ParseError> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(parse_line)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(n: u64, unit: &str) -> Option<(u64, String)> {
        Some((n, unit.to_string()))
    }

    fn check(line: &str, want: Line) {
        assert_eq!(parse_line(line), Ok(want), "{line}");
    }

    #[test]
    fn records_of_the_grammar() {
        let reg = |name: &str, hex: &str| Record::Register {
            name: name.into(),
            hex: hex.into(),
        };
        let cases: Vec<(&str, Option<(u64, String)>, Option<&str>, Record)> = vec![
            (
                "12 clk IT (12) 0000000000400080 d2800020 O EL0t_n : mov x0, #1",
                t(12, "clk"),
                None,
                Record::Instruction {
                    executed: true,
                    count: 12,
                    address: 0x400080,
                    encoding: Some(0xd2800020),
                    isa: 'O',
                    mode: "EL0t_n".into(),
                    text: "mov x0, #1".into(),
                },
            ),
            (
                "900 ps IS (9) 00008010 54000041 O EL3h_s : B.NE     {pc}+8 ; 0x8018",
                t(900, "ps"),
                None,
                Record::Instruction {
                    executed: false,
                    count: 9,
                    address: 0x8010,
                    encoding: Some(0x54000041),
                    isa: 'O',
                    mode: "EL3h_s".into(),
                    text: "B.NE     {pc}+8 ; 0x8018".into(),
                },
            ),
            (
                "5 clk IT (5) 00001000:000000001000_NS 0000bf00 T thread_n : NOP",
                t(5, "clk"),
                None,
                Record::Instruction {
                    executed: true,
                    count: 5,
                    address: 0x1000,
                    encoding: Some(0xbf00),
                    isa: 'T',
                    mode: "thread_n".into(),
                    text: "NOP".into(),
                },
            ),
            (
                "3 tic IT (3) 0000aaaa00001000 -------- O EL0t_n : ",
                t(3, "tic"),
                None,
                Record::Instruction {
                    executed: true,
                    count: 3,
                    address: 0xaaaa00001000,
                    encoding: None,
                    isa: 'O',
                    mode: "EL0t_n".into(),
                    text: String::new(),
                },
            ),
            (
                "7 clk R X3 00000000000000FF",
                t(7, "clk"),
                None,
                reg("X3", "00000000000000FF"),
            ),
            (
                "R SP_EL0 00000000 7ffff000",
                None,
                None,
                reg("SP_EL0", "000000007ffff000"),
            ),
            (
                "271ns R r13 20001fff",
                t(271, "ns"),
                None,
                reg("r13", "20001fff"),
            ),
            (
                "8 clk cpu1 R q2 0123456789abcdef_fedcba9876543210",
                t(8, "clk"),
                Some("cpu1"),
                reg("q2", "0123456789abcdeffedcba9876543210"),
            ),
            (
                "R FPCR 00000000:03000000",
                None,
                None,
                reg("FPCR", "0000000003000000"),
            ),
            (
                "4 clk MR8 0000000000410008 00000000_00400120",
                t(4, "clk"),
                None,
                Record::Memory {
                    write: false,
                    size: 8,
                    address: 0x410008,
                    value: Some(0x400120),
                },
            ),
            (
                "4 clk MW1 00000000fffff000:0000fffff000 7f",
                t(4, "clk"),
                None,
                Record::Memory {
                    write: true,
                    size: 1,
                    address: 0xfffff000,
                    value: Some(0x7f),
                },
            ),
            (
                "60 clk MR4 dfdfdfcf (ABORTED)",
                t(60, "clk"),
                None,
                Record::Memory {
                    write: false,
                    size: 4,
                    address: 0xdfdfdfcf,
                    value: None,
                },
            ),
            (
                "2 clk E 0000000000400100 00000400 CoreEvent_LOWER_EL_AARCH64_SYNC_SupervisorCall",
                t(2, "clk"),
                None,
                Record::Event {
                    address: Some(0x400100),
                    number: Some(0x400),
                    name: "CoreEvent_LOWER_EL_AARCH64_SYNC_SupervisorCall".into(),
                },
            ),
            (
                "0 clk cpu0 E DebugEvent_HaltingDebugState 00000000",
                t(0, "clk"),
                Some("cpu0"),
                Record::Event {
                    address: None,
                    number: None,
                    name: "DebugEvent_HaltingDebugState".into(),
                },
            ),
        ];
        for (line, time, cpu, record) in cases {
            check(
                line,
                Line {
                    time,
                    cpu: cpu.map(String::from),
                    record,
                },
            );
        }
    }

    #[test]
    fn malformed_lines_are_refused() {
        for line in [
            "",
            "12 IT (1) 1000 d503201f O EL0t_n : nop",
            "IT 1 1000 d503201f O EL0t_n : nop",
            "IT (1) xyz d503201f O EL0t_n : nop",
            "IT (1) 1000 d503201f Q EL0t_n : nop",
            "IT (1) 1000 d503201f O EL0t_n nop",
            "R X0",
            "R X0 zz",
            "MR 1000 00",
            "MRx 1000 00",
            "MW4 1000",
            "LD 00001000 ........",
            "hello",
        ] {
            assert!(parse_line(line).is_err(), "{line:?} parsed");
        }
    }
}
