//! The emulated kernel's answers about who the process is and what it has used: the set*id
//! and get*id families beyond the plain getters, getgroups/setgroups, prctl's naming and
//! dumpable options, getrusage and times. The process runs as UID/GID 1000 with no
//! supplementary groups and cannot change that (it has no privilege), as an unprivileged
//! Linux process could not.

use super::{Board, Errno, Host};
use model::memory::{AccessKind, Memory};

const EPERM: Errno = 1;
const EFAULT: Errno = 14;
const EINVAL: Errno = 22;

const PR_GET_DUMPABLE: u64 = 3;
const PR_SET_DUMPABLE: u64 = 4;
const PR_SET_NAME: u64 = 15;
const PR_GET_NAME: u64 = 16;

impl Board {
    /// setuid/setgid (`id`) and setresuid/setresgid (`ids`, -1 keeps one): only to the ID the
    /// process already has.
    pub(super) fn set_ids(&mut self, ids: &[u64], current: u64) -> Result<u64, Errno> {
        let keep = u64::from(u32::MAX);
        if ids.iter().all(|&id| id & keep == keep || id == current) {
            Ok(0)
        } else {
            Err(EPERM)
        }
    }

    /// getresuid/getresgid: real, effective and saved are the same.
    pub(super) fn get_res_ids(&mut self, a: [u64; 6], id: u64) -> Result<u64, Errno> {
        for &p in &a[..3] {
            self.mem
                .write(p, &(id as u32).to_le_bytes())
                .map_err(|_| EFAULT)?;
        }
        Ok(0)
    }

    /// getgroups(size, list): no supplementary groups.
    pub(super) fn getgroups(&mut self) -> Result<u64, Errno> {
        Ok(0)
    }

    /// prctl(option, arg2, ...): the thread's name and the dumpable flag; other options are
    /// EINVAL, as for an option the kernel does not know.
    pub(super) fn prctl(&mut self, host: &mut dyn Host, a: [u64; 6]) -> Result<u64, Errno> {
        const PR_PAC_RESET_KEYS: u64 = 54;
        match a[0] {
            // PR_PAC_RESET_KEYS: fresh random keys for those in the mask (0: all five).
            PR_PAC_RESET_KEYS if self.cpu.config.features.pauth => {
                let mask = if a[1] == 0 { 0x1f } else { a[1] };
                if mask & !0x1f != 0 || a[2..5].iter().any(|&x| x != 0) {
                    return Err(EINVAL);
                }
                let s = &mut self.cpu.state;
                for (bit, key) in [
                    &mut s.apiakey,
                    &mut s.apibkey,
                    &mut s.apdakey,
                    &mut s.apdbkey,
                    &mut s.apgakey,
                ]
                .into_iter()
                .enumerate()
                {
                    if mask & (1 << bit) != 0 {
                        let mut k = [0u8; 16];
                        host.random(&mut k);
                        *key = u128::from_le_bytes(k);
                    }
                }
                Ok(0)
            }
            PR_GET_DUMPABLE => Ok(u64::from(self.dumpable)),
            PR_SET_DUMPABLE if a[1] <= 1 => {
                self.dumpable = a[1] == 1;
                Ok(0)
            }
            PR_SET_NAME => {
                let mut name = [0u8; 16];
                for (i, b) in name.iter_mut().take(15).enumerate() {
                    let mut c = [0u8];
                    self.mem
                        .read(a[1] + i as u64, &mut c, AccessKind::Read)
                        .map_err(|_| EFAULT)?;
                    if c[0] == 0 {
                        break;
                    }
                    *b = c[0];
                }
                self.comm = name;
                Ok(0)
            }
            PR_GET_NAME => {
                let name = self.comm;
                self.mem.write(a[1], &name).map_err(|_| EFAULT)?;
                Ok(0)
            }
            _ => Err(EINVAL),
        }
    }

    /// getrusage(who, usage): user time from the instructions retired (one per nanosecond,
    /// as CNTVCT_EL0 counts), everything else zero.
    pub(super) fn getrusage(&mut self, who: u64, usage: u64) -> Result<u64, Errno> {
        const RUSAGE_CHILDREN: u64 = u64::MAX; // -1
        if who > 1 && who != RUSAGE_CHILDREN {
            return Err(EINVAL);
        }
        let mut b = [0u8; 144];
        if who != RUSAGE_CHILDREN {
            let ns = self.cpu.retired;
            b[0..8].copy_from_slice(&(ns / 1_000_000_000).to_le_bytes());
            b[8..16].copy_from_slice(&((ns % 1_000_000_000) / 1000).to_le_bytes());
        }
        self.mem.write(usage, &b).map_err(|_| EFAULT)?;
        Ok(0)
    }

    /// times(buf): user time in clock ticks (100 Hz) from the instructions retired; returns
    /// the same count as the elapsed time.
    pub(super) fn times(&mut self, buf: u64) -> Result<u64, Errno> {
        let ticks = self.cpu.retired / 10_000_000;
        if buf != 0 {
            let mut b = [0u8; 32];
            b[0..8].copy_from_slice(&ticks.to_le_bytes());
            self.mem.write(buf, &b).map_err(|_| EFAULT)?;
        }
        Ok(ticks)
    }
}
