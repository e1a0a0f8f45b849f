//! Processes: fork-style `clone` (vfork included) and `wait4`. The board forks through
//! [`Host::fork`], so each child is its own emulator in its own host process, with a copy of
//! the parent's memory, registers and signal state; `wait4` is the host's. Threads
//! (`CLONE_THREAD`, or `CLONE_VM` without `CLONE_VFORK`) answer ENOSYS.

use super::{Board, Errno, Host};
use model::memory::Memory;

/// What [`Host::fork`] returns in each of the two processes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forked {
    /// In the parent, with the child's process id.
    Parent { child: u32 },
    /// In the child, with its own process id.
    Child { pid: u32 },
}

const ENOSYS: Errno = 38;
const EFAULT: Errno = 14;

const CLONE_VM: u64 = 0x100;
const CLONE_VFORK: u64 = 0x4000;
const CLONE_THREAD: u64 = 0x1_0000;
const CLONE_SETTLS: u64 = 0x8_0000;
const CLONE_PARENT_SETTID: u64 = 0x10_0000;
const CLONE_CHILD_SETTID: u64 = 0x100_0000;

impl Board {
    /// clone(flags, newsp, parent_tid, tls, child_tid) without threads. A vfork
    /// (`CLONE_VM | CLONE_VFORK`, as glibc's posix_spawn and vfork ask) becomes a fork: the
    /// child gets a copy of the memory, which a vfork child may not tell from the original
    /// as long as it only execs or exits.
    pub(super) fn clone_process(&mut self, host: &mut dyn Host, a: [u64; 6]) -> Result<u64, Errno> {
        let [flags, newsp, ptid, tls, ctid, _] = a;
        if flags & CLONE_THREAD != 0 || (flags & CLONE_VM != 0 && flags & CLONE_VFORK == 0) {
            return Err(ENOSYS);
        }
        match host.fork()? {
            Forked::Parent { child } => {
                if flags & CLONE_PARENT_SETTID != 0 {
                    self.put_tid(ptid, child)?;
                }
                Ok(u64::from(child))
            }
            Forked::Child { pid } => {
                self.pid = pid;
                if newsp != 0 {
                    self.cpu.state.set_sp(newsp);
                }
                if flags & CLONE_SETTLS != 0 {
                    self.cpu.state.tpidr_el0 = tls;
                }
                if flags & CLONE_PARENT_SETTID != 0 {
                    self.put_tid(ptid, pid)?;
                }
                if flags & CLONE_CHILD_SETTID != 0 {
                    self.put_tid(ctid, pid)?;
                }
                Ok(0)
            }
        }
    }

    fn put_tid(&mut self, addr: u64, tid: u32) -> Result<(), Errno> {
        self.mem.write(addr, &tid.to_le_bytes()).map_err(|_| EFAULT)
    }

    /// wait4(pid, wstatus, options, rusage): the host's wait; the rusage is all zero.
    pub(super) fn wait4(&mut self, host: &mut dyn Host, a: [u64; 6]) -> Result<u64, Errno> {
        let [pid, wstatus, options, rusage, _, _] = a;
        let (got, status) = host.wait4(pid as i32, options as i32)?;
        if got != 0 && wstatus != 0 {
            self.mem
                .write(wstatus, &status.to_le_bytes())
                .map_err(|_| EFAULT)?;
        }
        if rusage != 0 {
            self.mem.write(rusage, &[0u8; 144]).map_err(|_| EFAULT)?;
        }
        Ok(got as u32 as u64)
    }
}
