//! The board's `Files` over the host's file system, for `specula run`: a guest file descriptor
//! is the host one of the same number (as under qemu-user), so the guest's stdin, stdout and
//! stderr are ours and what it opens stays open until it closes it or exits. The guest's O_
//! flags arrive decoded (`OpenFlags`) and are re-encoded with the host's values. Under `-L DIR`
//! absolute paths are looked up in DIR first (`StdHost::guest_path`).

use std::ffi::CString;
use std::io::Error;

use machines::linux_user::{At, Errno, Fcntl, FileStat, Files, OpenFlags, PollFd, StatFs};

use super::run::StdHost;

fn last() -> Errno {
    Error::last_os_error().raw_os_error().unwrap_or(5)
}

fn check(r: libc::c_int) -> Result<(), Errno> {
    if r < 0 { Err(last()) } else { Ok(()) }
}

fn cpath(p: &[u8]) -> Result<CString, Errno> {
    CString::new(p).map_err(|_| 22) // EINVAL
}

fn stat_of(st: &libc::stat) -> FileStat {
    FileStat {
        dev: st.st_dev,
        ino: st.st_ino,
        mode: st.st_mode,
        nlink: st.st_nlink as u32,
        uid: st.st_uid,
        gid: st.st_gid,
        rdev: st.st_rdev,
        size: st.st_size,
        blksize: st.st_blksize as i32,
        blocks: st.st_blocks,
        atime: (st.st_atime, st.st_atime_nsec as u32),
        mtime: (st.st_mtime, st.st_mtime_nsec as u32),
        ctime: (st.st_ctime, st.st_ctime_nsec as u32),
    }
}

impl StdHost {
    /// The host path for the guest's `path`: under `-L DIR`, an absolute path that exists
    /// there (the link itself, not its target) is taken from DIR, anything else from the
    /// host, as qemu-user does. Relative paths are the host's.
    fn guest_path(&self, path: &[u8]) -> Result<CString, Errno> {
        if let Some(root) = &self.sysroot
            && path.first() == Some(&b'/')
        {
            let mut inside = root.clone();
            inside.extend_from_slice(path);
            let c = cpath(&inside)?;
            // SAFETY: st is written by the call before anything reads it.
            let mut st: libc::stat = unsafe { std::mem::zeroed() };
            if unsafe { libc::lstat(c.as_ptr(), &mut st) } == 0 {
                return Ok(c);
            }
        }
        cpath(path)
    }
}

impl Files for StdHost {
    fn openat(&mut self, at: At, f: OpenFlags, mode: u32) -> Result<i32, Errno> {
        let mut flags = match f.access {
            0 => libc::O_RDONLY,
            1 => libc::O_WRONLY,
            2 => libc::O_RDWR,
            _ => return Err(22),
        };
        for (on, bit) in [
            (f.create, libc::O_CREAT),
            (f.exclusive, libc::O_EXCL),
            (f.truncate, libc::O_TRUNC),
            (f.append, libc::O_APPEND),
            (f.directory, libc::O_DIRECTORY),
            (f.nofollow, libc::O_NOFOLLOW),
            (f.nonblock, libc::O_NONBLOCK),
            (f.cloexec, libc::O_CLOEXEC),
            (f.noctty, libc::O_NOCTTY),
            (f.dsync, libc::O_DSYNC),
            (f.sync, libc::O_SYNC),
            (f.path, libc::O_PATH),
            (f.noatime, libc::O_NOATIME),
        ] {
            if on {
                flags |= bit;
            }
        }
        let p = self.guest_path(at.path)?;
        // SAFETY: a valid C string; the fd is the guest's from here on.
        let fd = unsafe { libc::openat(at.dirfd, p.as_ptr(), flags, mode as libc::c_uint) };
        if fd < 0 { Err(last()) } else { Ok(fd) }
    }

    fn close(&mut self, fd: i32) -> Result<(), Errno> {
        // SAFETY: closing a guest fd; the CLI holds no fds of its own during the run.
        check(unsafe { libc::close(fd) })
    }

    fn pread(&mut self, fd: i32, buf: &mut [u8], offset: u64) -> Result<usize, Errno> {
        // SAFETY: buf is valid for buf.len() bytes.
        let n = unsafe { libc::pread(fd, buf.as_mut_ptr().cast(), buf.len(), offset as i64) };
        if n < 0 { Err(last()) } else { Ok(n as usize) }
    }

    fn lseek(&mut self, fd: i32, offset: i64, whence: u32) -> Result<u64, Errno> {
        // SAFETY: no memory is passed.
        let r = unsafe { libc::lseek(fd, offset, whence as i32) };
        if r < 0 { Err(last()) } else { Ok(r as u64) }
    }

    fn stat(&mut self, at: At, follow: bool) -> Result<FileStat, Errno> {
        let p = self.guest_path(at.path)?;
        let flags = if follow { 0 } else { libc::AT_SYMLINK_NOFOLLOW };
        // SAFETY: st is written by the call before it is read.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        check(unsafe { libc::fstatat(at.dirfd, p.as_ptr(), &mut st, flags) })?;
        Ok(stat_of(&st))
    }

    fn getdents64(&mut self, fd: i32, buf: &mut [u8]) -> Result<usize, Errno> {
        // SAFETY: buf is valid for buf.len() bytes; linux_dirent64 is the same on every arch.
        let n = unsafe {
            libc::syscall(
                libc::SYS_getdents64,
                fd,
                buf.as_mut_ptr(),
                buf.len() as libc::c_uint,
            )
        };
        if n < 0 { Err(last()) } else { Ok(n as usize) }
    }

    fn readlink(&mut self, at: At) -> Result<Vec<u8>, Errno> {
        let p = self.guest_path(at.path)?;
        let mut buf = vec![0u8; 4096];
        // SAFETY: buf is valid for its length.
        let n =
            unsafe { libc::readlinkat(at.dirfd, p.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 {
            return Err(last());
        }
        buf.truncate(n as usize);
        Ok(buf)
    }

    fn access(&mut self, at: At, mode: u32) -> Result<(), Errno> {
        let p = self.guest_path(at.path)?;
        // SAFETY: a valid C string.
        check(unsafe { libc::faccessat(at.dirfd, p.as_ptr(), mode as i32, 0) })
    }

    fn fcntl(&mut self, fd: i32, cmd: Fcntl) -> Result<u64, Errno> {
        // SAFETY: none of these commands take a pointer.
        let r = unsafe {
            match cmd {
                Fcntl::Dup { min, cloexec } => libc::fcntl(
                    fd,
                    if cloexec {
                        libc::F_DUPFD_CLOEXEC
                    } else {
                        libc::F_DUPFD
                    },
                    min,
                ),
                Fcntl::GetFd => libc::fcntl(fd, libc::F_GETFD),
                Fcntl::SetFd { cloexec } => libc::fcntl(
                    fd,
                    libc::F_SETFD,
                    if cloexec { libc::FD_CLOEXEC } else { 0 },
                ),
                Fcntl::GetFl => {
                    let r = libc::fcntl(fd, libc::F_GETFL);
                    if r < 0 {
                        r
                    } else {
                        // Access mode, O_APPEND and O_NONBLOCK: the same values on AArch64.
                        r & (libc::O_ACCMODE | libc::O_APPEND | libc::O_NONBLOCK)
                    }
                }
                Fcntl::SetFl { append, nonblock } => {
                    let mut fl = 0;
                    if append {
                        fl |= libc::O_APPEND;
                    }
                    if nonblock {
                        fl |= libc::O_NONBLOCK;
                    }
                    libc::fcntl(fd, libc::F_SETFL, fl)
                }
            }
        };
        if r < 0 { Err(last()) } else { Ok(r as u64) }
    }

    fn dup3(&mut self, old: i32, new: i32, cloexec: bool) -> Result<i32, Errno> {
        // SAFETY: no memory is passed.
        let r = unsafe {
            if new < 0 {
                libc::dup(old)
            } else {
                libc::dup3(old, new, if cloexec { libc::O_CLOEXEC } else { 0 })
            }
        };
        if r < 0 { Err(last()) } else { Ok(r) }
    }

    fn pipe2(&mut self, cloexec: bool, nonblock: bool) -> Result<[i32; 2], Errno> {
        let mut fds = [0i32; 2];
        let mut flags = 0;
        if cloexec {
            flags |= libc::O_CLOEXEC;
        }
        if nonblock {
            flags |= libc::O_NONBLOCK;
        }
        // SAFETY: fds holds two ints.
        check(unsafe { libc::pipe2(fds.as_mut_ptr(), flags) })?;
        Ok(fds)
    }

    fn getcwd(&mut self) -> Result<Vec<u8>, Errno> {
        use std::os::unix::ffi::OsStringExt;
        std::env::current_dir()
            .map(|p| p.into_os_string().into_vec())
            .map_err(|e| e.raw_os_error().unwrap_or(2))
    }

    fn chdir(&mut self, path: &[u8]) -> Result<(), Errno> {
        let p = cpath(path)?;
        // SAFETY: a valid C string.
        check(unsafe { libc::chdir(p.as_ptr()) })
    }

    fn fchdir(&mut self, fd: i32) -> Result<(), Errno> {
        // SAFETY: no memory is passed.
        check(unsafe { libc::fchdir(fd) })
    }

    fn unlink(&mut self, at: At, dir: bool) -> Result<(), Errno> {
        let p = self.guest_path(at.path)?;
        let flags = if dir { libc::AT_REMOVEDIR } else { 0 };
        // SAFETY: a valid C string.
        check(unsafe { libc::unlinkat(at.dirfd, p.as_ptr(), flags) })
    }

    fn mkdir(&mut self, at: At, mode: u32) -> Result<(), Errno> {
        let p = self.guest_path(at.path)?;
        // SAFETY: a valid C string.
        check(unsafe { libc::mkdirat(at.dirfd, p.as_ptr(), mode) })
    }

    fn symlink(&mut self, target: &[u8], at: At) -> Result<(), Errno> {
        let (t, p) = (cpath(target)?, self.guest_path(at.path)?);
        // SAFETY: valid C strings.
        check(unsafe { libc::symlinkat(t.as_ptr(), at.dirfd, p.as_ptr()) })
    }

    fn link(&mut self, from: At, to: At) -> Result<(), Errno> {
        let (f, t) = (self.guest_path(from.path)?, self.guest_path(to.path)?);
        // SAFETY: valid C strings.
        check(unsafe { libc::linkat(from.dirfd, f.as_ptr(), to.dirfd, t.as_ptr(), 0) })
    }

    fn rename(&mut self, from: At, to: At) -> Result<(), Errno> {
        let (f, t) = (self.guest_path(from.path)?, self.guest_path(to.path)?);
        // SAFETY: valid C strings.
        check(unsafe { libc::renameat(from.dirfd, f.as_ptr(), to.dirfd, t.as_ptr()) })
    }

    fn fchmod(&mut self, fd: i32, mode: u32) -> Result<(), Errno> {
        // SAFETY: no memory is passed.
        check(unsafe { libc::fchmod(fd, mode) })
    }

    fn chmod(&mut self, at: At, mode: u32) -> Result<(), Errno> {
        let p = self.guest_path(at.path)?;
        // SAFETY: a valid C string.
        check(unsafe { libc::fchmodat(at.dirfd, p.as_ptr(), mode, 0) })
    }

    fn fchown(&mut self, fd: i32, uid: u32, gid: u32) -> Result<(), Errno> {
        // SAFETY: no memory is passed.
        check(unsafe { libc::fchown(fd, uid, gid) })
    }

    fn chown(&mut self, at: At, uid: u32, gid: u32, follow: bool) -> Result<(), Errno> {
        let p = self.guest_path(at.path)?;
        let flags = if follow { 0 } else { libc::AT_SYMLINK_NOFOLLOW };
        // SAFETY: a valid C string.
        check(unsafe { libc::fchownat(at.dirfd, p.as_ptr(), uid, gid, flags) })
    }

    fn utimens(
        &mut self,
        at: At,
        times: Option<[(i64, i64); 2]>,
        follow: bool,
    ) -> Result<(), Errno> {
        let ts = times.map(|t| {
            t.map(|(s, ns)| libc::timespec {
                tv_sec: s,
                tv_nsec: ns,
            })
        });
        let tp = ts.as_ref().map_or(std::ptr::null(), |t| t.as_ptr());
        if at.path.is_empty() {
            // SAFETY: tp is null or two timespecs.
            return check(unsafe { libc::futimens(at.dirfd, tp) });
        }
        let p = self.guest_path(at.path)?;
        let flags = if follow { 0 } else { libc::AT_SYMLINK_NOFOLLOW };
        // SAFETY: a valid C string; tp is null or two timespecs.
        check(unsafe { libc::utimensat(at.dirfd, p.as_ptr(), tp, flags) })
    }

    fn ftruncate(&mut self, fd: i32, len: u64) -> Result<(), Errno> {
        // SAFETY: no memory is passed.
        check(unsafe { libc::ftruncate(fd, len as i64) })
    }

    fn poll(&mut self, fds: &mut [PollFd], timeout_ms: Option<u64>) -> Result<usize, Errno> {
        let mut host: Vec<libc::pollfd> = fds
            .iter()
            .map(|p| libc::pollfd {
                fd: p.fd,
                events: p.events,
                revents: 0,
            })
            .collect();
        let ms = timeout_ms.map_or(-1, |m| m.min(i32::MAX as u64) as i32);
        // SAFETY: host holds host.len() pollfds. POLL* bits are the same on AArch64.
        let n = unsafe { libc::poll(host.as_mut_ptr(), host.len() as libc::nfds_t, ms) };
        if n < 0 {
            return Err(last());
        }
        for (p, h) in fds.iter_mut().zip(&host) {
            p.revents = h.revents;
        }
        Ok(n as usize)
    }

    fn pwrite(&mut self, fd: i32, buf: &[u8], offset: u64) -> Result<usize, Errno> {
        // SAFETY: buf is valid for buf.len() bytes.
        let n = unsafe { libc::pwrite(fd, buf.as_ptr().cast(), buf.len(), offset as i64) };
        if n < 0 { Err(last()) } else { Ok(n as usize) }
    }

    fn fsync(&mut self, fd: i32, data_only: bool) -> Result<(), Errno> {
        // SAFETY: no memory is passed.
        check(unsafe {
            if data_only {
                libc::fdatasync(fd)
            } else {
                libc::fsync(fd)
            }
        })
    }

    fn sync(&mut self) {
        // SAFETY: no arguments.
        unsafe { libc::sync() }
    }

    fn umask(&mut self, mask: u32) -> u32 {
        // SAFETY: no memory is passed.
        unsafe { libc::umask(mask) }
    }

    fn statfs(&mut self, at: At) -> Result<StatFs, Errno> {
        // SAFETY: st is written by the call before it is read.
        let mut st: libc::statfs = unsafe { std::mem::zeroed() };
        if at.path.is_empty() {
            check(unsafe { libc::fstatfs(at.dirfd, &mut st) })?;
        } else {
            let p = self.guest_path(at.path)?;
            check(unsafe { libc::statfs(p.as_ptr(), &mut st) })?;
        }
        // SAFETY: fsid is two ints in every Linux ABI.
        let fsid: [i32; 2] = unsafe { std::mem::transmute(st.f_fsid) };
        Ok(StatFs {
            fs_type: st.f_type as i64,
            bsize: st.f_bsize as i64,
            blocks: st.f_blocks,
            bfree: st.f_bfree,
            bavail: st.f_bavail,
            files: st.f_files,
            ffree: st.f_ffree,
            fsid,
            namelen: st.f_namelen as i64,
            frsize: st.f_frsize as i64,
            flags: 0, // f_flags: not in the libc crate's struct statfs
        })
    }
}
