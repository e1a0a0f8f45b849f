//! Arm semihosting (Arm's "Semihosting for AArch32 and AArch64", version 2): a bare-metal
//! program's HLT #0xF000 asks the host to print, read files or exit. W0 is the operation, X1
//! its parameter (usually the address of a block of 64-bit words), X0 the result. On only with
//! `--semihosting`, as in QEMU, because it gives the guest the host's files.

use model::memory::{AccessKind, Memory};

use super::Host;

/// Guest memory as the calling PE sees it: its parameter blocks and strings are virtual
/// addresses, translated by the MMU with the caller's permissions.
type Guest = dyn Memory;

fn peek(bus: &mut Guest, addr: u64, buf: &mut [u8]) -> Option<()> {
    bus.read(addr, buf, AccessKind::Read).ok()
}

fn poke(bus: &mut Guest, addr: u64, buf: &[u8]) -> Option<()> {
    bus.write(addr, buf).ok()
}

/// The HLT immediate that means a semihosting call in A64.
pub const HLT_IMM: u16 = 0xf000;

const SYS_OPEN: u64 = 0x01;
const SYS_CLOSE: u64 = 0x02;
const SYS_WRITEC: u64 = 0x03;
const SYS_WRITE0: u64 = 0x04;
const SYS_WRITE: u64 = 0x05;
const SYS_READ: u64 = 0x06;
const SYS_READC: u64 = 0x07;
const SYS_ISERROR: u64 = 0x08;
const SYS_ISTTY: u64 = 0x09;
const SYS_SEEK: u64 = 0x0a;
const SYS_FLEN: u64 = 0x0c;
const SYS_CLOCK: u64 = 0x10;
const SYS_TIME: u64 = 0x11;
const SYS_ERRNO: u64 = 0x13;
const SYS_GET_CMDLINE: u64 = 0x15;
const SYS_HEAPINFO: u64 = 0x16;
const SYS_EXIT: u64 = 0x18;
const SYS_EXIT_EXTENDED: u64 = 0x20;
const SYS_ELAPSED: u64 = 0x30;
const SYS_TICKFREQ: u64 = 0x31;

/// ADP_Stopped_ApplicationExit: SYS_EXIT's reason for a normal exit with a status.
const APPLICATION_EXIT: u64 = 0x20026;

/// What a call did.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The result for X0.
    Return(u64),
    /// The program exited with this status.
    Exit(i32),
    /// The parameter block could not be read: the call fails with -1 (as for a bad handle).
    BadBlock,
}

/// The semihosting state the board keeps: the last error and the command line.
#[derive(Debug, Default)]
pub struct Semihosting {
    pub errno: i32,
    pub cmdline: String,
    /// RAM limits for SYS_HEAPINFO: heap base and limit, stack base and limit.
    pub heapinfo: [u64; 4],
}

fn word(bus: &mut Guest, addr: u64) -> Option<u64> {
    let mut b = [0u8; 8];
    peek(bus, addr, &mut b)?;
    Some(u64::from_le_bytes(b))
}

fn bytes(bus: &mut Guest, addr: u64, len: u64) -> Option<Vec<u8>> {
    if len > 1 << 30 {
        return None;
    }
    let mut v = vec![0u8; len as usize];
    peek(bus, addr, &mut v)?;
    Some(v)
}

/// A NUL-terminated string, at most 64 KiB.
fn cstring(bus: &mut Guest, addr: u64) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut b = [0u8; 1];
    for i in 0..65536 {
        peek(bus, addr.wrapping_add(i), &mut b)?;
        if b[0] == 0 {
            return Some(out);
        }
        out.push(b[0]);
    }
    Some(out)
}

impl Semihosting {
    /// Performs operation `op` with parameter `param`.
    pub fn call(&mut self, host: &mut dyn Host, bus: &mut Guest, op: u64, param: u64) -> Outcome {
        let fail = |s: &mut Semihosting, errno: i32| {
            s.errno = errno;
            Outcome::Return(u64::MAX)
        };
        let args = |bus: &mut Guest, n: u64| -> Option<Vec<u64>> {
            (0..n)
                .map(|i| word(bus, param.wrapping_add(8 * i)))
                .collect()
        };
        match op {
            SYS_WRITEC => match bytes(bus, param, 1) {
                Some(b) => {
                    host.console_write(&b);
                    Outcome::Return(0)
                }
                None => Outcome::BadBlock,
            },
            SYS_WRITE0 => match cstring(bus, param) {
                Some(s) => {
                    host.console_write(&s);
                    Outcome::Return(0)
                }
                None => Outcome::BadBlock,
            },
            SYS_OPEN => {
                let Some(a) = args(bus, 3) else {
                    return Outcome::BadBlock;
                };
                let Some(name) = bytes(bus, a[0], a[2]) else {
                    return Outcome::BadBlock;
                };
                let name = String::from_utf8_lossy(&name).into_owned();
                if a[1] > 11 {
                    return fail(self, 22); // EINVAL
                }
                match host.semihosting_open(&name, a[1] as u32) {
                    Ok(h) => Outcome::Return(h),
                    Err(e) => fail(self, e),
                }
            }
            SYS_CLOSE => {
                let Some(a) = args(bus, 1) else {
                    return Outcome::BadBlock;
                };
                match host.semihosting_close(a[0]) {
                    Ok(()) => Outcome::Return(0),
                    Err(e) => fail(self, e),
                }
            }
            SYS_WRITE => {
                let Some(a) = args(bus, 3) else {
                    return Outcome::BadBlock;
                };
                let Some(data) = bytes(bus, a[1], a[2]) else {
                    return Outcome::BadBlock;
                };
                match host.semihosting_write(a[0], &data) {
                    // The result is the number of bytes *not* written.
                    Ok(n) => Outcome::Return(a[2] - n as u64),
                    Err(e) => {
                        self.errno = e;
                        Outcome::Return(a[2])
                    }
                }
            }
            SYS_READ => {
                let Some(a) = args(bus, 3) else {
                    return Outcome::BadBlock;
                };
                if a[2] > 1 << 30 {
                    return Outcome::BadBlock;
                }
                let mut buf = vec![0u8; a[2] as usize];
                match host.semihosting_read(a[0], &mut buf) {
                    Ok(n) => {
                        if poke(bus, a[1], &buf[..n]).is_none() {
                            return Outcome::BadBlock;
                        }
                        Outcome::Return(a[2] - n as u64)
                    }
                    Err(e) => {
                        self.errno = e;
                        Outcome::Return(a[2])
                    }
                }
            }
            SYS_READC => {
                let mut b = [0u8; 1];
                match host.semihosting_read(0, &mut b) {
                    Ok(1) => Outcome::Return(u64::from(b[0])),
                    _ => Outcome::Return(u64::MAX),
                }
            }
            SYS_ISERROR => {
                let Some(a) = args(bus, 1) else {
                    return Outcome::BadBlock;
                };
                Outcome::Return(u64::from((a[0] as i64) < 0))
            }
            SYS_ISTTY => {
                let Some(a) = args(bus, 1) else {
                    return Outcome::BadBlock;
                };
                Outcome::Return(u64::from(host.semihosting_istty(a[0])))
            }
            SYS_SEEK => {
                let Some(a) = args(bus, 2) else {
                    return Outcome::BadBlock;
                };
                match host.semihosting_seek(a[0], a[1]) {
                    Ok(()) => Outcome::Return(0),
                    Err(e) => fail(self, e),
                }
            }
            SYS_FLEN => {
                let Some(a) = args(bus, 1) else {
                    return Outcome::BadBlock;
                };
                match host.semihosting_flen(a[0]) {
                    Ok(n) => Outcome::Return(n),
                    Err(e) => fail(self, e),
                }
            }
            // Centiseconds and seconds of guest time (deterministic: from instructions).
            SYS_CLOCK => Outcome::Return(host.guest_ns() / 10_000_000),
            SYS_TIME => Outcome::Return(host.unix_time()),
            SYS_ELAPSED => {
                let ticks = host.guest_ns();
                if poke(bus, param, &ticks.to_le_bytes()).is_none() {
                    return Outcome::BadBlock;
                }
                Outcome::Return(0)
            }
            SYS_TICKFREQ => Outcome::Return(1_000_000_000),
            SYS_ERRNO => Outcome::Return(self.errno as u64),
            SYS_GET_CMDLINE => {
                let Some(a) = args(bus, 2) else {
                    return Outcome::BadBlock;
                };
                let mut s = self.cmdline.clone().into_bytes();
                if s.len() as u64 + 1 > a[1] {
                    return Outcome::Return(u64::MAX);
                }
                s.push(0);
                if poke(bus, a[0], &s).is_none()
                    || poke(bus, param + 8, &((s.len() - 1) as u64).to_le_bytes()).is_none()
                {
                    return Outcome::BadBlock;
                }
                Outcome::Return(0)
            }
            SYS_HEAPINFO => {
                let Some(a) = args(bus, 1) else {
                    return Outcome::BadBlock;
                };
                let block: Vec<u8> = self.heapinfo.iter().flat_map(|w| w.to_le_bytes()).collect();
                if poke(bus, a[0], &block).is_none() {
                    return Outcome::BadBlock;
                }
                Outcome::Return(0)
            }
            SYS_EXIT | SYS_EXIT_EXTENDED => {
                let Some(a) = args(bus, 2) else {
                    return Outcome::BadBlock;
                };
                if a[0] == APPLICATION_EXIT {
                    Outcome::Exit(a[1] as i32)
                } else {
                    // Any other reason (a fault the program reports, say) is a failure.
                    Outcome::Exit(1)
                }
            }
            _ => {
                host.log(&format!(
                    "semihosting: operation {op:#x} is not implemented"
                ));
                fail(self, 38) // ENOSYS
            }
        }
    }
}
