//! The emulated kernel's scheduling and waiting syscalls for a single-threaded process on one
//! PE: futex, nanosleep, clock_nanosleep, sched_yield, sched_getaffinity and sysinfo.
//!
//! With one thread there is never another waiter or waker, so a futex wait can only end by
//! its value differing (EAGAIN), its timeout (ETIMEDOUT), or a signal killing the process, as
//! on Linux; wakes find nobody. The futex word operations (FUTEX_WAKE_OP, the PI lock word)
//! still act on guest memory, because the program goes on to read them.

use super::{Board, Clock, Errno, Host};
use model::memory::{AccessKind, Memory};

const EPERM: Errno = 1;
const EAGAIN: Errno = 11;
const EFAULT: Errno = 14;
const EINVAL: Errno = 22;
const EDEADLK: Errno = 35;
const ENOSYS: Errno = 38;
const ETIMEDOUT: Errno = 110;

const FUTEX_WAIT: u64 = 0;
const FUTEX_WAKE: u64 = 1;
const FUTEX_REQUEUE: u64 = 3;
const FUTEX_CMP_REQUEUE: u64 = 4;
const FUTEX_WAKE_OP: u64 = 5;
const FUTEX_LOCK_PI: u64 = 6;
const FUTEX_UNLOCK_PI: u64 = 7;
const FUTEX_TRYLOCK_PI: u64 = 8;
const FUTEX_WAIT_BITSET: u64 = 9;
const FUTEX_WAKE_BITSET: u64 = 10;
const FUTEX_LOCK_PI2: u64 = 13;
/// FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME: they change nothing with one thread, except
/// which clock an absolute FUTEX_WAIT_BITSET timeout reads.
const FUTEX_CLOCK_REALTIME: u64 = 256;
const FUTEX_TID_MASK: u32 = 0x3fff_ffff;

const TIMER_ABSTIME: u64 = 1;

/// How long to wait: none given (forever), or this many nanoseconds from now.
type Wait = Option<u128>;

impl Board {
    fn read_u32(&mut self, addr: u64) -> Result<u32, Errno> {
        let mut b = [0u8; 4];
        self.mem
            .read(addr, &mut b, AccessKind::Read)
            .map_err(|_| EFAULT)?;
        Ok(u32::from_le_bytes(b))
    }

    fn write_u32(&mut self, addr: u64, v: u32) -> Result<(), Errno> {
        self.mem.write(addr, &v.to_le_bytes()).map_err(|_| EFAULT)
    }

    /// A `struct timespec` at `addr` in nanoseconds; EINVAL when tv_nsec is out of range or
    /// tv_sec negative, as Linux checks.
    fn timespec_ns(&mut self, addr: u64) -> Result<u128, Errno> {
        let mut b = [0u8; 16];
        self.mem
            .read(addr, &mut b, AccessKind::Read)
            .map_err(|_| EFAULT)?;
        let sec = i64::from_le_bytes(b[..8].try_into().unwrap_or_default());
        let nsec = i64::from_le_bytes(b[8..].try_into().unwrap_or_default());
        if sec < 0 || !(0..1_000_000_000).contains(&nsec) {
            return Err(EINVAL);
        }
        Ok(sec as u128 * 1_000_000_000 + nsec as u128)
    }

    fn now_ns(host: &mut dyn Host, clock: Clock) -> u128 {
        let (s, ns) = host.now(clock);
        u128::from(s) * 1_000_000_000 + u128::from(ns)
    }

    /// Sleeps `wait`; a wait with no end lasts until a signal kills the process.
    fn sleep(host: &mut dyn Host, wait: Wait) {
        match wait {
            Some(ns) => host.sleep(ns),
            None => loop {
                host.sleep(u128::from(u64::MAX));
            },
        }
    }

    /// futex(uaddr, op, val, timeout_or_val2, uaddr2, val3).
    pub(super) fn futex(&mut self, host: &mut dyn Host, a: [u64; 6]) -> Result<u64, Errno> {
        let (uaddr, op, val, timeout, uaddr2, val3) = (a[0], a[1], a[2] as u32, a[3], a[4], a[5]);
        let cmd = op & 0x7f;
        if uaddr % 4 != 0 {
            return Err(EINVAL);
        }
        match cmd {
            FUTEX_WAIT | FUTEX_WAIT_BITSET => {
                if cmd == FUTEX_WAIT_BITSET && val3 as u32 == 0 {
                    return Err(EINVAL);
                }
                if self.read_u32(uaddr)? != val {
                    return Err(EAGAIN);
                }
                let wait = if timeout == 0 {
                    None
                } else if cmd == FUTEX_WAIT {
                    Some(self.timespec_ns(timeout)?)
                } else {
                    // FUTEX_WAIT_BITSET's timeout is absolute.
                    let clock = if op & FUTEX_CLOCK_REALTIME != 0 {
                        Clock::Realtime
                    } else {
                        Clock::Monotonic
                    };
                    let end = self.timespec_ns(timeout)?;
                    Some(end.saturating_sub(Self::now_ns(host, clock)))
                };
                Self::sleep(host, wait);
                Err(ETIMEDOUT)
            }
            FUTEX_WAKE | FUTEX_WAKE_BITSET => {
                if cmd == FUTEX_WAKE_BITSET && val3 as u32 == 0 {
                    return Err(EINVAL);
                }
                Ok(0)
            }
            FUTEX_REQUEUE => Ok(0),
            FUTEX_CMP_REQUEUE => {
                if self.read_u32(uaddr)? != val3 as u32 {
                    return Err(EAGAIN);
                }
                Ok(0)
            }
            FUTEX_WAKE_OP => {
                let val3 = val3 as u32;
                let shift = val3 & (8 << 28) != 0;
                let (opcode, cmp) = ((val3 >> 28) & 7, (val3 >> 24) & 15);
                // oparg and cmparg are 12-bit signed fields.
                let mut oparg = ((val3 << 8) as i32 >> 20) as u32;
                let cmparg = ((val3 << 20) as i32 >> 20) as u32;
                if shift {
                    if oparg > 31 {
                        return Err(EINVAL);
                    }
                    oparg = 1 << oparg;
                }
                let old = self.read_u32(uaddr2)?;
                let new = match opcode {
                    0 => oparg,
                    1 => old.wrapping_add(oparg),
                    2 => old | oparg,
                    3 => old & !oparg,
                    4 => old ^ oparg,
                    _ => return Err(ENOSYS),
                };
                if cmp > 5 {
                    return Err(ENOSYS);
                }
                let _ = cmparg; // whether to wake uaddr2's waiters: there are none
                self.write_u32(uaddr2, new)?;
                Ok(0)
            }
            FUTEX_LOCK_PI | FUTEX_LOCK_PI2 | FUTEX_TRYLOCK_PI => {
                let word = self.read_u32(uaddr)?;
                let tid = self.pid;
                if word & FUTEX_TID_MASK == 0 {
                    self.write_u32(uaddr, tid | (word & !FUTEX_TID_MASK))?;
                    return Ok(0);
                }
                if word & FUTEX_TID_MASK == tid {
                    return Err(EDEADLK);
                }
                // Owned by a thread that does not exist here: a lock would wait forever.
                if cmd == FUTEX_TRYLOCK_PI {
                    return Err(EAGAIN);
                }
                let wait = if timeout == 0 {
                    None
                } else {
                    let end = self.timespec_ns(timeout)?;
                    Some(end.saturating_sub(Self::now_ns(host, Clock::Realtime)))
                };
                Self::sleep(host, wait);
                Err(ETIMEDOUT)
            }
            FUTEX_UNLOCK_PI => {
                let word = self.read_u32(uaddr)?;
                if word & FUTEX_TID_MASK != self.pid {
                    return Err(EPERM);
                }
                self.write_u32(uaddr, 0)?;
                Ok(0)
            }
            _ => Err(ENOSYS),
        }
    }

    /// nanosleep(req, rem): the whole interval (no signal interrupts it here).
    pub(super) fn nanosleep(&mut self, host: &mut dyn Host, req: u64) -> Result<u64, Errno> {
        let ns = self.timespec_ns(req)?;
        host.sleep(ns);
        Ok(0)
    }

    /// clock_nanosleep(clock, flags, req, rem) for CLOCK_REALTIME (0), CLOCK_MONOTONIC (1) and
    /// CLOCK_BOOTTIME (7), relative or TIMER_ABSTIME.
    pub(super) fn clock_nanosleep(
        &mut self,
        host: &mut dyn Host,
        a: [u64; 6],
    ) -> Result<u64, Errno> {
        let clock = match a[0] {
            0 => Clock::Realtime,
            1 | 7 => Clock::Monotonic,
            _ => return Err(EINVAL),
        };
        let ns = self.timespec_ns(a[2])?;
        let ns = if a[1] & TIMER_ABSTIME != 0 {
            ns.saturating_sub(Self::now_ns(host, clock))
        } else {
            ns
        };
        host.sleep(ns);
        Ok(0)
    }

    /// sched_getaffinity(pid, len, mask): the one PE, CPU 0.
    pub(super) fn sched_getaffinity(&mut self, len: u64, mask: u64) -> Result<u64, Errno> {
        if len < 8 || len % 8 != 0 {
            return Err(EINVAL);
        }
        self.mem
            .write(mask, &1u64.to_le_bytes())
            .map_err(|_| EFAULT)?;
        Ok(8)
    }

    /// sysinfo(info): uptime from the monotonic clock, one process, and a fixed 4 GiB of RAM
    /// (half free) so programs sizing caches from it behave the same on every host.
    pub(super) fn sysinfo(&mut self, host: &mut dyn Host, info: u64) -> Result<u64, Errno> {
        const RAM: u64 = 4 << 30;
        let (uptime, _) = host.now(Clock::Monotonic);
        let mut b = [0u8; 112];
        b[0..8].copy_from_slice(&uptime.to_le_bytes());
        // loads[3] stay zero; then totalram, freeram, sharedram, bufferram, totalswap,
        // freeswap, procs (u16), pad, totalhigh, freehigh, mem_unit (u32).
        b[32..40].copy_from_slice(&RAM.to_le_bytes());
        b[40..48].copy_from_slice(&(RAM / 2).to_le_bytes());
        b[80..82].copy_from_slice(&1u16.to_le_bytes());
        b[104..108].copy_from_slice(&1u32.to_le_bytes());
        self.mem.write(info, &b).map_err(|_| EFAULT)?;
        Ok(0)
    }
}
