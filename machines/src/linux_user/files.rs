//! File system calls: the board decodes the guest's arguments (AArch64 Linux values) and asks
//! the host through `Files`, whose file descriptors are the guest's. The board keeps no table
//! of its own: the host decides how a guest fd maps to one of its own.

use super::{Board, Errno, FileStat, Host};
use model::memory::{AccessKind, Memory, PAGE_SIZE};

const EPERM: Errno = 1;
const ENOENT: Errno = 2;
const EBADF: Errno = 9;
const EFAULT: Errno = 14;
const EINVAL: Errno = 22;
const ERANGE: Errno = 34;
const ENOSYS: Errno = 38;

/// The guest's `AT_FDCWD`.
pub const AT_FDCWD: i32 = -100;

/// How `openat` opens a file (the guest's O_ flags, decoded).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpenFlags {
    /// O_RDONLY (0), O_WRONLY (1) or O_RDWR (2).
    pub access: u8,
    pub create: bool,
    pub exclusive: bool,
    pub truncate: bool,
    pub append: bool,
    pub directory: bool,
    pub nofollow: bool,
    pub nonblock: bool,
    pub cloexec: bool,
    pub noctty: bool,
    /// O_SYNC (which includes O_DSYNC's bit) or O_DSYNC alone.
    pub sync: bool,
    pub dsync: bool,
    /// O_PATH: a descriptor for the path only.
    pub path: bool,
    pub noatime: bool,
}

/// A path argument: relative paths are resolved against `dirfd` (the guest's `AT_FDCWD` for
/// the working directory).
#[derive(Clone, Copy, Debug)]
pub struct At<'a> {
    pub dirfd: i32,
    pub path: &'a [u8],
}

/// File descriptor flags and status flags, as `fcntl` reads and sets them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fcntl {
    /// F_DUPFD / F_DUPFD_CLOEXEC: the lowest free fd at or above `min`.
    Dup {
        min: i32,
        cloexec: bool,
    },
    GetFd,
    SetFd {
        cloexec: bool,
    },
    /// The access mode and O_APPEND/O_NONBLOCK, as AArch64 O_ values.
    GetFl,
    SetFl {
        append: bool,
        nonblock: bool,
    },
}

/// The host's file system and file descriptors. Every method defaults to ENOSYS, so a host
/// with no files (a test of buffers) implements none of them.
#[allow(unused_variables)]
pub trait Files {
    fn openat(&mut self, at: At, flags: OpenFlags, mode: u32) -> Result<i32, Errno> {
        Err(ENOSYS)
    }
    fn close(&mut self, fd: i32) -> Result<(), Errno> {
        Err(EBADF)
    }
    fn pread(&mut self, fd: i32, buf: &mut [u8], offset: u64) -> Result<usize, Errno> {
        Err(ENOSYS)
    }
    /// `whence`: SEEK_SET (0), SEEK_CUR (1), SEEK_END (2).
    fn lseek(&mut self, fd: i32, offset: i64, whence: u32) -> Result<u64, Errno> {
        Err(ENOSYS)
    }
    /// `stat` of a (non-empty) path; `follow` is false for AT_SYMLINK_NOFOLLOW.
    fn stat(&mut self, at: At, follow: bool) -> Result<FileStat, Errno> {
        Err(ENOSYS)
    }
    /// Fills `buf` with `struct linux_dirent64` records; 0 at the end.
    fn getdents64(&mut self, fd: i32, buf: &mut [u8]) -> Result<usize, Errno> {
        Err(ENOSYS)
    }
    fn readlink(&mut self, at: At) -> Result<Vec<u8>, Errno> {
        Err(ENOSYS)
    }
    /// `mode`: F_OK (0) or a mask of R_OK (4), W_OK (2), X_OK (1).
    fn access(&mut self, at: At, mode: u32) -> Result<(), Errno> {
        Err(ENOSYS)
    }
    fn fcntl(&mut self, fd: i32, cmd: Fcntl) -> Result<u64, Errno> {
        Err(ENOSYS)
    }
    fn dup3(&mut self, old: i32, new: i32, cloexec: bool) -> Result<i32, Errno> {
        Err(ENOSYS)
    }
    /// `[read end, write end]`.
    fn pipe2(&mut self, cloexec: bool, nonblock: bool) -> Result<[i32; 2], Errno> {
        Err(ENOSYS)
    }
    fn getcwd(&mut self) -> Result<Vec<u8>, Errno> {
        Err(ENOSYS)
    }
    fn chdir(&mut self, path: &[u8]) -> Result<(), Errno> {
        Err(ENOSYS)
    }
    fn fchdir(&mut self, fd: i32) -> Result<(), Errno> {
        Err(ENOSYS)
    }
    /// `dir`: AT_REMOVEDIR (rmdir rather than unlink).
    fn unlink(&mut self, at: At, dir: bool) -> Result<(), Errno> {
        Err(ENOSYS)
    }
    fn mkdir(&mut self, at: At, mode: u32) -> Result<(), Errno> {
        Err(ENOSYS)
    }
    /// A symbolic link at `at` whose content is `target`.
    fn symlink(&mut self, target: &[u8], at: At) -> Result<(), Errno> {
        Err(ENOSYS)
    }
    fn link(&mut self, from: At, to: At) -> Result<(), Errno> {
        Err(ENOSYS)
    }
    fn rename(&mut self, from: At, to: At) -> Result<(), Errno> {
        Err(ENOSYS)
    }
    fn fchmod(&mut self, fd: i32, mode: u32) -> Result<(), Errno> {
        Err(ENOSYS)
    }
    fn chmod(&mut self, at: At, mode: u32) -> Result<(), Errno> {
        Err(ENOSYS)
    }
    /// `u32::MAX` leaves an id unchanged.
    fn fchown(&mut self, fd: i32, uid: u32, gid: u32) -> Result<(), Errno> {
        Err(ENOSYS)
    }
    fn chown(&mut self, at: At, uid: u32, gid: u32, follow: bool) -> Result<(), Errno> {
        Err(ENOSYS)
    }
    /// `times`: (atime, mtime) as (seconds, nanoseconds) with the kernel's UTIME_NOW and
    /// UTIME_OMIT nanosecond values; `None` for now. A `None` path is the fd itself.
    fn utimens(
        &mut self,
        at: At,
        times: Option<[(i64, i64); 2]>,
        follow: bool,
    ) -> Result<(), Errno> {
        Err(ENOSYS)
    }
    fn ftruncate(&mut self, fd: i32, len: u64) -> Result<(), Errno> {
        Err(ENOSYS)
    }
    fn pwrite(&mut self, fd: i32, buf: &[u8], offset: u64) -> Result<usize, Errno> {
        Err(ENOSYS)
    }
    /// fsync, or fdatasync when `data_only`.
    fn fsync(&mut self, fd: i32, data_only: bool) -> Result<(), Errno> {
        Err(ENOSYS)
    }
    fn sync(&mut self) {}
    /// Sets the file mode creation mask; the previous one.
    fn umask(&mut self, mask: u32) -> u32 {
        0o022
    }
    /// statfs of a path, or fstatfs of the fd when the path is empty.
    fn statfs(&mut self, at: At) -> Result<StatFs, Errno> {
        Err(ENOSYS)
    }
    /// Waits until one of `fds` is ready or `timeout_ms` passes (`None`: no timeout), and
    /// fills each `revents`; the count of ready fds.
    fn poll(&mut self, fds: &mut [PollFd], timeout_ms: Option<u64>) -> Result<usize, Errno> {
        Err(ENOSYS)
    }
}

/// `struct statfs` of the 64-bit ABI.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatFs {
    pub fs_type: i64,
    pub bsize: i64,
    pub blocks: u64,
    pub bfree: u64,
    pub bavail: u64,
    pub files: u64,
    pub ffree: u64,
    pub fsid: [i32; 2],
    pub namelen: i64,
    pub frsize: i64,
    pub flags: i64,
}

/// `struct pollfd`: the events are the generic Linux POLL* bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PollFd {
    pub fd: i32,
    pub events: i16,
    pub revents: i16,
}

const PROC_SELF_EXE: &[u8] = b"/proc/self/exe";
const AT_SYMLINK_NOFOLLOW: u64 = 0x100;
const AT_REMOVEDIR: u64 = 0x200;
const AT_EMPTY_PATH: u64 = 0x1000;

/// `O_` flags of the AArch64 ABI.
fn open_flags(f: u64) -> OpenFlags {
    OpenFlags {
        access: (f & 3) as u8,
        create: f & 0o100 != 0,
        exclusive: f & 0o200 != 0,
        truncate: f & 0o1000 != 0,
        append: f & 0o2000 != 0,
        nonblock: f & 0o4000 != 0,
        directory: f & 0o40000 != 0,
        nofollow: f & 0o100000 != 0,
        cloexec: f & 0o2000000 != 0,
        noctty: f & 0o400 != 0,
        dsync: f & 0o10000 != 0,
        sync: f & 0o4010000 == 0o4010000,
        path: f & 0o10000000 != 0,
        noatime: f & 0o1000000 != 0,
    }
}

/// Largest single read or write passed to the host at once.
const IO_CHUNK: u64 = 1 << 20;

impl Board {
    /// Answers a file syscall, or `None` when `nr` is not one.
    pub(super) fn file_syscall(
        &mut self,
        host: &mut dyn Host,
        nr: u64,
        a: [u64; 6],
    ) -> Option<Result<u64, Errno>> {
        let fd = a[0] as i32;
        Some(match nr {
            17 => self.getcwd(host, a[0], a[1]),
            23 => host.dup3(fd, -1, false).map(|n| n as u64), // dup
            24 => {
                if a[0] == a[1] {
                    Err(EINVAL)
                } else {
                    host.dup3(fd, a[1] as i32, a[2] & 0o2000000 != 0)
                        .map(|n| n as u64)
                }
            }
            25 => self.fcntl(host, fd, a[1], a[2]),
            34 => self
                .at(a[0], a[1])
                .and_then(|p| host.mkdir(at(a[0], &p), a[2] as u32).map(|()| 0)),
            35 => self.at(a[0], a[1]).and_then(|p| {
                host.unlink(at(a[0], &p), a[2] & AT_REMOVEDIR != 0)
                    .map(|()| 0)
            }),
            36 => self.cstring(a[0]).and_then(|target| {
                let p = self.at(a[1], a[2])?;
                host.symlink(&target, at(a[1], &p)).map(|()| 0)
            }),
            37 => self.at(a[0], a[1]).and_then(|from| {
                let to = self.at(a[2], a[3])?;
                host.link(at(a[0], &from), at(a[2], &to)).map(|()| 0)
            }),
            38 | 276 => {
                // renameat, renameat2 (flags must be 0)
                if nr == 276 && a[4] != 0 {
                    Err(EINVAL)
                } else {
                    self.at(a[0], a[1]).and_then(|from| {
                        let to = self.at(a[2], a[3])?;
                        host.rename(at(a[0], &from), at(a[2], &to)).map(|()| 0)
                    })
                }
            }
            43 => self.at(AT_FDCWD as u64, a[0]).and_then(|p| {
                let st = host.statfs(at(AT_FDCWD as u64, &p))?;
                self.put_bytes(a[1], &statfs_bytes(&st))
            }),
            44 => host
                .statfs(at(a[0], b""))
                .and_then(|st| self.put_bytes(a[1], &statfs_bytes(&st))),
            45 => self.at(AT_FDCWD as u64, a[0]).and_then(|p| {
                // truncate(path, length): as open for writing, ftruncate, close.
                let flags = OpenFlags {
                    access: 1,
                    cloexec: true,
                    ..OpenFlags::default()
                };
                let fd = host.openat(at(AT_FDCWD as u64, &p), flags, 0)?;
                let r = host.ftruncate(fd, a[1]);
                let _ = host.close(fd);
                r.map(|()| 0)
            }),
            46 => host.ftruncate(fd, a[1]).map(|()| 0),
            48 | 439 => self.at(a[0], a[1]).and_then(|p| {
                // faccessat, faccessat2
                host.access(at(a[0], &p), a[2] as u32).map(|()| 0)
            }),
            49 => self.cstring(a[0]).and_then(|p| host.chdir(&p).map(|()| 0)),
            50 => host.fchdir(fd).map(|()| 0),
            52 => host.fchmod(fd, a[1] as u32).map(|()| 0),
            53 => self
                .at(a[0], a[1])
                .and_then(|p| host.chmod(at(a[0], &p), a[2] as u32).map(|()| 0)),
            54 => self.at(a[0], a[1]).and_then(|p| {
                let follow = a[4] & AT_SYMLINK_NOFOLLOW == 0;
                host.chown(at(a[0], &p), a[2] as u32, a[3] as u32, follow)
                    .map(|()| 0)
            }),
            55 => host.fchown(fd, a[1] as u32, a[2] as u32).map(|()| 0),
            56 => self.at(a[0], a[1]).and_then(|p| {
                host.openat(at(a[0], &p), open_flags(a[2]), a[3] as u32)
                    .map(|n| n as u64)
            }),
            57 => host.close(fd).map(|()| 0),
            59 => self.pipe2(host, a[0], a[1]),
            61 => self.getdents64(host, fd, a[1], a[2]),
            62 => host.lseek(fd, a[1] as i64, a[2] as u32),
            67 => self.pread(host, fd, a[1], a[2], a[3]),
            68 => self.pwrite(host, fd, a[1], a[2], a[3]),
            71 => self.sendfile(host, fd, a[1] as i32, a[2], a[3]),
            73 => self.ppoll(host, a[0], a[1], a[2]),
            81 => {
                host.sync();
                Ok(0)
            }
            82 | 83 => host.fsync(fd, nr == 83).map(|()| 0),
            166 => Ok(u64::from(host.umask(a[0] as u32 & 0o777))),
            78 => self.readlinkat(host, a[0], a[1], a[2], a[3]),
            79 => self.newfstatat(host, a[0], a[1], a[2], a[3]),
            80 => host
                .fstat(fd)
                .and_then(|st| self.put_bytes(a[1], &super::syscalls::stat_bytes(&st))),
            88 => self.utimensat(host, a),
            291 => self.statx(host, a),
            _ => return None,
        })
    }

    /// A path argument; an empty path is ENOENT (callers that allow it check first).
    /// `/proc/self/exe` names the guest program, not the host's (us).
    fn at(&mut self, _dirfd: u64, path: u64) -> Result<Vec<u8>, Errno> {
        let p = self.cstring(path)?;
        if p.is_empty() {
            return Err(ENOENT);
        }
        if p == PROC_SELF_EXE {
            return Ok(self.exe.clone().into_bytes());
        }
        Ok(p)
    }

    fn put_bytes(&mut self, addr: u64, bytes: &[u8]) -> Result<u64, Errno> {
        self.mem.write(addr, bytes).map_err(|_| EFAULT)?;
        Ok(0)
    }

    fn getcwd(&mut self, host: &mut dyn Host, buf: u64, size: u64) -> Result<u64, Errno> {
        let mut cwd = host.getcwd()?;
        cwd.push(0);
        if cwd.len() as u64 > size {
            return Err(ERANGE);
        }
        self.put_bytes(buf, &cwd)?;
        Ok(cwd.len() as u64)
    }

    fn fcntl(&mut self, host: &mut dyn Host, fd: i32, cmd: u64, arg: u64) -> Result<u64, Errno> {
        const FD_CLOEXEC: u64 = 1;
        let c = match cmd {
            0 => Fcntl::Dup {
                min: arg as i32,
                cloexec: false,
            },
            1030 => Fcntl::Dup {
                min: arg as i32,
                cloexec: true,
            },
            1 => Fcntl::GetFd,
            2 => Fcntl::SetFd {
                cloexec: arg & FD_CLOEXEC != 0,
            },
            3 => Fcntl::GetFl,
            4 => Fcntl::SetFl {
                append: arg & 0o2000 != 0,
                nonblock: arg & 0o4000 != 0,
            },
            _ => return Err(EINVAL),
        };
        host.fcntl(fd, c)
    }

    fn pipe2(&mut self, host: &mut dyn Host, fds: u64, flags: u64) -> Result<u64, Errno> {
        let [r, w] = host.pipe2(flags & 0o2000000 != 0, flags & 0o4000 != 0)?;
        let mut b = [0u8; 8];
        b[..4].copy_from_slice(&r.to_le_bytes());
        b[4..].copy_from_slice(&w.to_le_bytes());
        if let Err(e) = self.put_bytes(fds, &b) {
            let _ = host.close(r);
            let _ = host.close(w);
            return Err(e);
        }
        Ok(0)
    }

    fn getdents64(&mut self, host: &mut dyn Host, fd: i32, buf: u64, n: u64) -> Result<u64, Errno> {
        let mut data = vec![0u8; n.min(IO_CHUNK) as usize];
        let got = host.getdents64(fd, &mut data)?;
        self.put_bytes(buf, &data[..got])?;
        Ok(got as u64)
    }

    fn pread(
        &mut self,
        host: &mut dyn Host,
        fd: i32,
        buf: u64,
        n: u64,
        off: u64,
    ) -> Result<u64, Errno> {
        if (off as i64) < 0 {
            return Err(EINVAL);
        }
        let mut data = vec![0u8; n.min(IO_CHUNK) as usize];
        let got = host.pread(fd, &mut data, off)?;
        self.put_bytes(buf, &data[..got])?;
        Ok(got as u64)
    }

    fn pwrite(
        &mut self,
        host: &mut dyn Host,
        fd: i32,
        buf: u64,
        n: u64,
        off: u64,
    ) -> Result<u64, Errno> {
        if (off as i64) < 0 {
            return Err(EINVAL);
        }
        let mut data = vec![0u8; n.min(IO_CHUNK) as usize];
        self.mem
            .read(buf, &mut data, AccessKind::Read)
            .map_err(|_| EFAULT)?;
        Ok(host.pwrite(fd, &data, off)? as u64)
    }

    /// sendfile: up to `count` bytes from `in_fd` (at `*offset` when given, which then
    /// advances) written to `out`, in one host read and write.
    fn sendfile(
        &mut self,
        host: &mut dyn Host,
        out: i32,
        in_fd: i32,
        offset: u64,
        count: u64,
    ) -> Result<u64, Errno> {
        let mut data = vec![0u8; count.min(IO_CHUNK) as usize];
        let got = if offset != 0 {
            let mut b = [0u8; 8];
            self.mem
                .read(offset, &mut b, AccessKind::Read)
                .map_err(|_| EFAULT)?;
            let off = u64::from_le_bytes(b);
            let got = host.pread(in_fd, &mut data, off)?;
            self.put_bytes(offset, &(off + got as u64).to_le_bytes())?;
            got
        } else {
            host.read(in_fd, &mut data)?
        };
        if got == 0 {
            return Ok(0);
        }
        Ok(host.write(out, &data[..got])? as u64)
    }

    /// ppoll; the signal mask argument is not applied (no signal arrives while we wait).
    fn ppoll(&mut self, host: &mut dyn Host, fds: u64, n: u64, timeout: u64) -> Result<u64, Errno> {
        if n > 1024 {
            return Err(EINVAL);
        }
        let mut raw = vec![0u8; n as usize * 8];
        // No fds (pause() is ppoll(NULL, 0, NULL, NULL)): nothing to read, whatever `fds` is.
        if n > 0 {
            self.mem
                .read(fds, &mut raw, AccessKind::Read)
                .map_err(|_| EFAULT)?;
        }
        let mut polls: Vec<PollFd> = raw
            .chunks(8)
            .map(|c| PollFd {
                fd: i32::from_le_bytes([c[0], c[1], c[2], c[3]]),
                events: i16::from_le_bytes([c[4], c[5]]),
                revents: 0,
            })
            .collect();
        let ms = if timeout == 0 {
            None
        } else {
            let mut b = [0u8; 16];
            self.mem
                .read(timeout, &mut b, AccessKind::Read)
                .map_err(|_| EFAULT)?;
            let s = i64::from_le_bytes(b[..8].try_into().unwrap_or_default());
            let ns = i64::from_le_bytes(b[8..].try_into().unwrap_or_default());
            if s < 0 || !(0..1_000_000_000).contains(&ns) {
                return Err(EINVAL);
            }
            Some(s as u64 * 1000 + (ns as u64).div_ceil(1_000_000))
        };
        let ready = host.poll(&mut polls, ms)?;
        for (c, p) in raw.chunks_mut(8).zip(&polls) {
            c[6..8].copy_from_slice(&p.revents.to_le_bytes());
        }
        if n > 0 {
            self.put_bytes(fds, &raw)?;
        }
        Ok(ready as u64)
    }

    fn readlinkat(
        &mut self,
        host: &mut dyn Host,
        dirfd: u64,
        path: u64,
        buf: u64,
        size: u64,
    ) -> Result<u64, Errno> {
        let p = self.cstring(path)?;
        if p.is_empty() {
            return Err(ENOENT);
        }
        if size as i64 <= 0 {
            return Err(EINVAL);
        }
        let target = if p == PROC_SELF_EXE {
            self.exe.clone().into_bytes()
        } else {
            host.readlink(at(dirfd, &p))?
        };
        let n = target.len().min(size as usize);
        self.put_bytes(buf, &target[..n])?;
        Ok(n as u64)
    }

    /// The `stat` a path-and-flags pair names: AT_EMPTY_PATH with "" is the fd itself.
    fn stat_at(
        &mut self,
        host: &mut dyn Host,
        dirfd: u64,
        path: u64,
        flags: u64,
    ) -> Result<FileStat, Errno> {
        let p = self.cstring(path)?;
        if p.is_empty() {
            return if flags & AT_EMPTY_PATH != 0 {
                host.fstat(dirfd as i32)
            } else {
                Err(ENOENT)
            };
        }
        let p = if p == PROC_SELF_EXE {
            self.exe.clone().into_bytes()
        } else {
            p
        };
        host.stat(at(dirfd, &p), flags & AT_SYMLINK_NOFOLLOW == 0)
    }

    fn newfstatat(
        &mut self,
        host: &mut dyn Host,
        dirfd: u64,
        path: u64,
        buf: u64,
        flags: u64,
    ) -> Result<u64, Errno> {
        let st = self.stat_at(host, dirfd, path, flags)?;
        self.put_bytes(buf, &super::syscalls::stat_bytes(&st))
    }

    fn statx(&mut self, host: &mut dyn Host, a: [u64; 6]) -> Result<u64, Errno> {
        let st = self.stat_at(host, a[0], a[1], a[2])?;
        // struct statx, 256 bytes; STATX_BASIC_STATS.
        let mut b = [0u8; 256];
        b[0..4].copy_from_slice(&0x7ffu32.to_le_bytes());
        b[4..8].copy_from_slice(&(st.blksize as u32).to_le_bytes());
        b[16..20].copy_from_slice(&st.nlink.to_le_bytes());
        b[20..24].copy_from_slice(&st.uid.to_le_bytes());
        b[24..28].copy_from_slice(&st.gid.to_le_bytes());
        b[28..30].copy_from_slice(&(st.mode as u16).to_le_bytes());
        b[32..40].copy_from_slice(&st.ino.to_le_bytes());
        b[40..48].copy_from_slice(&(st.size as u64).to_le_bytes());
        b[48..56].copy_from_slice(&(st.blocks as u64).to_le_bytes());
        let ts = |b: &mut [u8; 256], at: usize, (s, ns): (i64, u32)| {
            b[at..at + 8].copy_from_slice(&s.to_le_bytes());
            b[at + 8..at + 12].copy_from_slice(&ns.to_le_bytes());
        };
        ts(&mut b, 64, st.atime);
        ts(&mut b, 96, st.ctime);
        ts(&mut b, 112, st.mtime);
        let (major, minor) = dev_split(st.rdev);
        b[128..132].copy_from_slice(&major.to_le_bytes());
        b[132..136].copy_from_slice(&minor.to_le_bytes());
        let (major, minor) = dev_split(st.dev);
        b[136..140].copy_from_slice(&major.to_le_bytes());
        b[140..144].copy_from_slice(&minor.to_le_bytes());
        self.put_bytes(a[4], &b)
    }

    fn utimensat(&mut self, host: &mut dyn Host, a: [u64; 6]) -> Result<u64, Errno> {
        let path = if a[1] == 0 {
            Vec::new()
        } else {
            self.at(a[0], a[1])?
        };
        let times = if a[2] == 0 {
            None
        } else {
            let mut b = [0u8; 32];
            self.mem
                .read(a[2], &mut b, AccessKind::Read)
                .map_err(|_| EFAULT)?;
            let w = |i: usize| i64::from_le_bytes(b[i..i + 8].try_into().unwrap_or_default());
            Some([(w(0), w(8)), (w(16), w(24))])
        };
        host.utimens(at(a[0], &path), times, a[3] & AT_SYMLINK_NOFOLLOW == 0)
            .map(|()| 0)
    }

    /// mmap of a file, MAP_PRIVATE: an anonymous mapping filled from the file.
    pub(super) fn mmap_file(&mut self, host: &mut dyn Host, a: [u64; 6]) -> Result<u64, Errno> {
        const MAP_ANONYMOUS: u64 = 0x20;
        const MAP_SHARED: u64 = 0x1;
        if a[3] & MAP_ANONYMOUS != 0 {
            return self.mmap(a[0], a[1], a[2], a[3]);
        }
        let (fd, offset) = (a[4] as i32, a[5]);
        if offset % PAGE_SIZE != 0 {
            return Err(EINVAL);
        }
        if a[3] & MAP_SHARED != 0 && a[2] & 2 != 0 {
            // A shared writable mapping would have to write back: not modelled.
            return Err(EPERM);
        }
        host.fstat(fd)?;
        let start = self.mmap(a[0], a[1], a[2], a[3] | MAP_ANONYMOUS)?;
        let pages = a[1].div_ceil(PAGE_SIZE);
        self.file_pages
            .extend((0..pages).map(|k| start / PAGE_SIZE + k));
        let mut done = 0u64;
        while done < a[1] {
            let mut chunk = vec![0u8; (a[1] - done).min(IO_CHUNK) as usize];
            let got = match host.pread(fd, &mut chunk, offset + done) {
                Ok(n) => n,
                Err(e) => {
                    self.mem.unmap(start, a[1].div_ceil(PAGE_SIZE) * PAGE_SIZE);
                    return Err(e);
                }
            };
            if got == 0 {
                break;
            }
            let _ = self.mem.poke(start + done, &chunk[..got]);
            done += got as u64;
        }
        Ok(start)
    }
}

fn at(dirfd: u64, path: &[u8]) -> At<'_> {
    At {
        dirfd: dirfd as i32,
        path,
    }
}

fn statfs_bytes(st: &StatFs) -> [u8; 120] {
    let mut b = [0u8; 120];
    let words = [
        st.fs_type as u64,
        st.bsize as u64,
        st.blocks,
        st.bfree,
        st.bavail,
        st.files,
        st.ffree,
        (st.fsid[0] as u32 as u64) | ((st.fsid[1] as u32 as u64) << 32),
        st.namelen as u64,
        st.frsize as u64,
        st.flags as u64,
    ];
    for (i, w) in words.iter().enumerate() {
        b[i * 8..i * 8 + 8].copy_from_slice(&w.to_le_bytes());
    }
    b
}

/// Linux's `dev_t` as (major, minor).
fn dev_split(d: u64) -> (u32, u32) {
    (
        (((d >> 32) & !0xfff) | ((d >> 8) & 0xfff)) as u32,
        (((d >> 12) & !0xff) | (d & 0xff)) as u32,
    )
}

/// What `/proc/self/exe` names: `path` made absolute against the host's working directory at
/// load time, with `.` and `..` resolved by name (as qemu-user's realpath does, symlinks aside).
pub(super) fn absolute(host: &mut dyn Host, path: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    if !path.starts_with('/') {
        let Ok(cwd) = host.getcwd() else {
            return path.to_string();
        };
        let cwd = String::from_utf8_lossy(&cwd).into_owned();
        parts.extend(cwd.split('/').filter(|s| !s.is_empty()).map(String::from));
    }
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c.to_string()),
        }
    }
    format!("/{}", parts.join("/"))
}
