//! Processes: fork-style `clone` (vfork included) and `wait4`. The board forks through
//! [`Host::fork`], so each child is its own emulator in its own host process, with a copy of
//! the parent's memory, registers and signal state; `wait4` is the host's. Threads
//! (`CLONE_THREAD`, or `CLONE_VM` without `CLONE_VFORK`) answer ENOSYS.

use super::{AT_FDCWD, At, Board, Errno, Host, LoadError, OpenFlags, Process};
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
        // The child inherits the trace's unwritten buffer; write it first so it appears once.
        if let Some(t) = self.tracer.as_deref_mut() {
            t.flush();
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

const ENOEXEC: Errno = 8;
const E2BIG: Errno = 7;
const X_OK: u32 = 1;

impl Board {
    /// A NULL-terminated array of C strings in guest memory (argv, envp).
    fn string_array(&mut self, addr: u64) -> Result<Vec<String>, Errno> {
        let mut out = Vec::new();
        if addr == 0 {
            return Ok(out);
        }
        loop {
            let mut p = [0u8; 8];
            self.mem
                .read(
                    addr + 8 * out.len() as u64,
                    &mut p,
                    model::memory::AccessKind::Read,
                )
                .map_err(|_| EFAULT)?;
            let p = u64::from_le_bytes(p);
            if p == 0 {
                return Ok(out);
            }
            if out.len() >= 1 << 16 {
                return Err(E2BIG);
            }
            out.push(String::from_utf8_lossy(&self.cstring(p)?).into_owned());
        }
    }

    /// execve(path, argv, envp) of a static program: the host's file is read through
    /// `Files`, loaded on a fresh PE with this one's configuration, and replaces this process
    /// image. The pid, the signal mask and pending signals carry over; caught signals go back
    /// to their default action (ignored ones stay ignored) and the alternate stack is gone,
    /// as in Linux. A file the loader refuses is ENOEXEC, before the point of no return.
    pub(super) fn execve(&mut self, host: &mut dyn Host, a: [u64; 6]) -> Result<u64, Errno> {
        let path = self.cstring(a[0])?;
        let args = self.string_array(a[1])?;
        let env = self.string_array(a[2])?;
        let path = if path == b"/proc/self/exe" {
            self.exe.clone().into_bytes()
        } else {
            path
        };
        let at = At {
            dirfd: AT_FDCWD,
            path: &path,
        };
        host.access(at, X_OK)?;
        let fd = host.openat(at, OpenFlags::default(), 0)?;
        let image = read_all(host, fd);
        let _ = host.close(fd);
        let image = image?;
        let execfn = String::from_utf8_lossy(&path).into_owned();
        let process = Process {
            image: &image,
            args: &args,
            env: &env,
            execfn: &execfn,
        };
        let mut new =
            Board::load(&process, self.cpu.config.clone(), host).map_err(|e| match e {
                LoadError::Interpreter(_, errno) => errno,
                _ => ENOEXEC,
            })?;
        new.pid = self.pid;
        new.cpu.retired = self.cpu.retired;
        self.signals.uncatch_for_exec(host);
        new.signals = std::mem::take(&mut self.signals).after_exec();
        new.logged = std::mem::take(&mut self.logged);
        new.tracer = self.tracer.take();
        *self = new;
        host.exec();
        Ok(0)
    }
}

pub(super) fn read_all(host: &mut dyn Host, fd: i32) -> Result<Vec<u8>, Errno> {
    let mut image = Vec::new();
    let mut chunk = vec![0u8; 1 << 20];
    loop {
        let n = host.pread(fd, &mut chunk, image.len() as u64)?;
        if n == 0 {
            return Ok(image);
        }
        image.extend_from_slice(&chunk[..n]);
    }
}
