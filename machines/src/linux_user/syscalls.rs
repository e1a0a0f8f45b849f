//! The Linux system calls the board answers, by their AArch64 (generic table) numbers. Guest
//! memory is read and written through the same `Memory` path as the PE's own accesses, so a
//! bad pointer is EFAULT, never a host crash. Any other syscall returns -ENOSYS and is logged
//! once through `Host::log`.

use super::loader::{GID, STACK_SIZE, UID};
use super::{Board, Clock, Errno, Exit, FileStat, Host};
use model::memory::{AccessKind, Memory, PAGE_SIZE, Perms};

const ENOMEM: Errno = 12;
const EFAULT: Errno = 14;
const EEXIST: Errno = 17;
const ENODEV: Errno = 19;
const EINVAL: Errno = 22;
const ENOTTY: Errno = 25;
const ENOSYS: Errno = 38;

const MAP_FIXED: u64 = 0x10;
const MAP_ANONYMOUS: u64 = 0x20;
const MAP_FIXED_NOREPLACE: u64 = 0x10_0000;

/// Largest single read or write we pass to the host at once.
const IO_CHUNK: u64 = 1 << 20;

type SysResult = Result<u64, Errno>;

/// A syscall's outcome: a value for X0, or the end of the process.
enum Outcome {
    Return(SysResult),
    Exit(Exit),
}

impl Board {
    /// Answers the SVC the PE just took. `None` to continue, `Some` when the process ended.
    pub(super) fn syscall(&mut self, host: &mut dyn Host) -> Option<Exit> {
        let s = &self.cpu.state;
        let nr = s.x[8];
        let a = [s.x[0], s.x[1], s.x[2], s.x[3], s.x[4], s.x[5]];
        let r = match self.dispatch(host, nr, a) {
            Outcome::Exit(exit) => return Some(exit),
            Outcome::Return(r) => r,
        };
        // A host call a caught signal interrupted: Linux restarts it after the signal unless
        // a handler without SA_RESTART runs. Sleeps, waits for signals and the polls report
        // EINTR whatever the handler asks.
        const EINTR: Errno = 4;
        let restartable = !matches!(nr, 73 | 101 | 115 | 133);
        if r == Err(EINTR) && restartable {
            self.restart = Some(a[0]);
        }
        self.cpu.state.x[0] = match r {
            Ok(v) => v,
            Err(errno) => (-i64::from(errno)) as u64,
        };
        None
    }

    fn dispatch(&mut self, host: &mut dyn Host, nr: u64, a: [u64; 6]) -> Outcome {
        use Outcome::Return as R;
        if let Some(r) = self.file_syscall(host, nr, a) {
            return R(r);
        }
        match nr {
            29 => R(self.ioctl(host, a[0] as i32, a[1], a[2])),
            63 => R(self.read(host, a[0] as i32, a[1], a[2])),
            64 => R(self.write(host, a[0] as i32, a[1], a[2])),
            65 => R(self.readv(host, a[0] as i32, a[1], a[2])),
            66 => R(self.writev(host, a[0] as i32, a[1], a[2])),
            93 | 94 => Outcome::Exit(Exit::Status((a[0] & 0xff) as i32)),
            96 => R(Ok(u64::from(self.pid))),
            98 => R(self.futex(host, a)),
            101 => R(self.nanosleep(host, a[0])),
            115 => R(self.clock_nanosleep(host, a)),
            123 => R(self.sched_getaffinity(a[1], a[2])),
            124 => R(Ok(0)), // sched_yield: the only thread
            99 => R(Ok(0)),
            113 => R(self.clock_gettime(host, a[0], a[1])),
            129 => R(self.kill_process(host, a[0] as i64, a[1])),
            130 => R(self.kill(a[0] as i64, a[1], true)),
            131 => R(self.kill(a[1] as i64, a[2], true)),
            132 => R(self.sigaltstack(a[0], a[1])),
            133 => R(self.rt_sigsuspend(host, a[0], a[1])),
            134 => R(self.rt_sigaction(host, a[0], a[1], a[2], a[3])),
            135 => R(self.rt_sigprocmask(a[0], a[1], a[2], a[3])),
            139 => match self.rt_sigreturn() {
                Ok(x0) => R(Ok(x0)),
                Err(exit) => Outcome::Exit(exit),
            },
            144 => R(self.set_ids(&a[..1], GID)), // setgid
            146 => R(self.set_ids(&a[..1], UID)), // setuid
            147 => R(self.set_ids(&a[..3], UID)), // setresuid
            148 => R(self.get_res_ids(a, UID)),
            149 => R(self.set_ids(&a[..3], GID)), // setresgid
            150 => R(self.get_res_ids(a, GID)),
            153 => R(self.times(a[0])),
            158 => R(self.getgroups()),
            159 => R(Err(1)), // setgroups: EPERM without privilege
            160 => R(self.uname(a[0])),
            165 => R(self.getrusage(a[0], a[1])),
            167 => R(self.prctl(host, a)),
            169 => R(self.gettimeofday(host, a[0])),
            172 | 178 => R(Ok(u64::from(self.pid))),
            179 => R(self.sysinfo(host, a[0])),
            173 => R(Ok(u64::from(host.ppid()))),
            174 | 175 => R(Ok(UID)),
            176 | 177 => R(Ok(GID)),
            214 => R(Ok(self.brk(a[0]))),
            220 => R(self.clone_process(host, a)),
            221 => R(self.execve(host, a)),
            215 => R(self.munmap(a[0], a[1])),
            216 => R(self.mremap(a)),
            222 => R(self.mmap_file(host, a)),
            226 => R(self.mprotect(a[0], a[1], a[2])),
            232 => R(self.mincore(a[0], a[1], a[2])),
            233 => R(self.madvise(a[0], a[1], a[2])),
            260 => R(self.wait4(host, a)),
            261 => R(self.prlimit64(a[1], a[3])),
            278 => R(self.getrandom(host, a[0], a[1])),
            293 => R(Err(ENOSYS)), // rseq
            _ => {
                if !self.logged.contains(&nr) {
                    self.logged.push(nr);
                    host.log(&format!(
                        "specula: unimplemented syscall {nr} (returns -ENOSYS)"
                    ));
                }
                R(Err(ENOSYS))
            }
        }
    }

    fn guest_read(&mut self, addr: u64, len: u64) -> Result<Vec<u8>, Errno> {
        let mut buf = vec![0u8; len as usize];
        self.mem
            .read(addr, &mut buf, AccessKind::Read)
            .map_err(|_| EFAULT)?;
        Ok(buf)
    }

    fn guest_write(&mut self, addr: u64, bytes: &[u8]) -> Result<(), Errno> {
        self.mem.write(addr, bytes).map_err(|_| EFAULT)
    }

    pub(super) fn cstring(&mut self, addr: u64) -> Result<Vec<u8>, Errno> {
        let mut out = Vec::new();
        loop {
            let mut b = [0u8];
            self.mem
                .read(addr + out.len() as u64, &mut b, AccessKind::Read)
                .map_err(|_| EFAULT)?;
            if b[0] == 0 || out.len() > 4096 {
                return Ok(out);
            }
            out.push(b[0]);
        }
    }

    fn read(&mut self, host: &mut dyn Host, fd: i32, buf: u64, count: u64) -> SysResult {
        let mut data = vec![0u8; count.min(IO_CHUNK) as usize];
        let n = host.read(fd, &mut data)?;
        self.guest_write(buf, &data[..n])?;
        Ok(n as u64)
    }

    fn write(&mut self, host: &mut dyn Host, fd: i32, buf: u64, count: u64) -> SysResult {
        let data = self.guest_read(buf, count.min(IO_CHUNK))?;
        Ok(host.write(fd, &data)? as u64)
    }

    fn iovecs(&mut self, iov: u64, cnt: u64) -> Result<Vec<(u64, u64)>, Errno> {
        if cnt > 1024 {
            return Err(EINVAL);
        }
        let raw = self.guest_read(iov, cnt * 16)?;
        Ok(raw
            .chunks(16)
            .map(|c| {
                let w = |i: usize| u64::from_le_bytes(c[i..i + 8].try_into().unwrap_or_default());
                (w(0), w(8))
            })
            .collect())
    }

    fn writev(&mut self, host: &mut dyn Host, fd: i32, iov: u64, cnt: u64) -> SysResult {
        let mut data = Vec::new();
        for (base, len) in self.iovecs(iov, cnt)? {
            data.extend(self.guest_read(base, len.min(IO_CHUNK))?);
        }
        if data.is_empty() {
            return Ok(0);
        }
        Ok(host.write(fd, &data)? as u64)
    }

    fn readv(&mut self, host: &mut dyn Host, fd: i32, iov: u64, cnt: u64) -> SysResult {
        let mut total = 0;
        for (base, len) in self.iovecs(iov, cnt)? {
            if len == 0 {
                continue;
            }
            let n = self.read(host, fd, base, len)?;
            total += n;
            if n < len {
                break;
            }
        }
        Ok(total)
    }

    fn ioctl(&mut self, host: &mut dyn Host, fd: i32, request: u64, arg: u64) -> SysResult {
        const TCGETS: u64 = 0x5401;
        const TIOCGWINSZ: u64 = 0x5413;
        match request {
            TCGETS if host.is_terminal(fd) => {
                // struct termios: c_iflag, c_oflag, c_cflag, c_lflag, c_line, c_cc[19].
                let mut t = [0u8; 36];
                t[0..4].copy_from_slice(&0x500u32.to_le_bytes()); // ICRNL | IXON
                t[4..8].copy_from_slice(&0x5u32.to_le_bytes()); // OPOST | ONLCR
                t[8..12].copy_from_slice(&0xbfu32.to_le_bytes()); // CS8 | CREAD | B38400
                t[12..16].copy_from_slice(&0x8a3bu32.to_le_bytes()); // ISIG ICANON ECHO ...
                self.guest_write(arg, &t)?;
                Ok(0)
            }
            TIOCGWINSZ if host.is_terminal(fd) => {
                let ws: [u16; 4] = [24, 80, 0, 0];
                let b: Vec<u8> = ws.iter().flat_map(|w| w.to_le_bytes()).collect();
                self.guest_write(arg, &b)?;
                Ok(0)
            }
            _ => Err(ENOTTY),
        }
    }

    fn clock_gettime(&mut self, host: &mut dyn Host, clock: u64, tp: u64) -> SysResult {
        // CLOCK_REALTIME and its coarse variant; the rest count from an arbitrary start.
        let c = if clock == 0 || clock == 5 {
            Clock::Realtime
        } else {
            Clock::Monotonic
        };
        let (s, ns) = host.now(c);
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&s.to_le_bytes());
        b[8..].copy_from_slice(&u64::from(ns).to_le_bytes());
        self.guest_write(tp, &b)?;
        Ok(0)
    }

    fn gettimeofday(&mut self, host: &mut dyn Host, tv: u64) -> SysResult {
        let (s, ns) = host.now(Clock::Realtime);
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&s.to_le_bytes());
        b[8..].copy_from_slice(&u64::from(ns / 1000).to_le_bytes());
        if tv != 0 {
            self.guest_write(tv, &b)?;
        }
        Ok(0)
    }

    fn uname(&mut self, buf: u64) -> SysResult {
        let fields = [
            "Linux",
            "specula",
            "6.1.0",
            "#1 SMP specula",
            "aarch64",
            "(none)",
        ];
        let mut b = vec![0u8; 65 * 6];
        for (i, f) in fields.iter().enumerate() {
            b[i * 65..i * 65 + f.len()].copy_from_slice(f.as_bytes());
        }
        self.guest_write(buf, &b)?;
        Ok(0)
    }

    fn brk(&mut self, addr: u64) -> u64 {
        let old_top = self.brk.div_ceil(PAGE_SIZE) * PAGE_SIZE;
        if addr < self.brk_start || addr > self.brk_start + (1 << 32) {
            return self.brk;
        }
        let new_top = addr.div_ceil(PAGE_SIZE) * PAGE_SIZE;
        if new_top > old_top {
            if self.mem.is_mapped(old_top, new_top - old_top) {
                return self.brk;
            }
            self.mem.map(old_top, new_top - old_top, Perms::RW);
        } else if new_top < old_top {
            self.mem.unmap(new_top, old_top - new_top);
        }
        self.brk = addr;
        addr
    }

    pub(super) fn mmap(&mut self, addr: u64, len: u64, prot: u64, flags: u64) -> SysResult {
        // Linux: a zero length is invalid; one larger than the address space cannot fit.
        if len == 0 {
            return Err(EINVAL);
        }
        if len > 1 << 40 {
            return Err(ENOMEM);
        }
        if flags & MAP_ANONYMOUS == 0 {
            return Err(ENODEV); // no guest files yet
        }
        let len = len.div_ceil(PAGE_SIZE) * PAGE_SIZE;
        let fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) != 0;
        let start = if fixed {
            if addr % PAGE_SIZE != 0 {
                return Err(EINVAL);
            }
            if flags & MAP_FIXED_NOREPLACE != 0 && self.mem.is_mapped(addr, len) {
                return Err(EEXIST);
            }
            addr
        } else {
            let Some(start) = self.mmap_next.checked_sub(len) else {
                return Err(ENOMEM);
            };
            if start < self.brk_start + (1 << 32) {
                return Err(ENOMEM);
            }
            self.mmap_next = start;
            start
        };
        self.mem.map(start, len, perms(prot));
        self.forget_file_pages(start, len);
        let bti = self.cpu.config.features.bti;
        self.mem
            .set_guarded(start, len, bti && prot & PROT_BTI != 0);
        Ok(start)
    }

    /// mremap(old, old_size, new_size, flags, new_address): shrink in place, grow in place
    /// when the pages after are free, or move (MREMAP_MAYMOVE, MREMAP_FIXED) by copying; the
    /// pages keep their permissions.
    fn mremap(&mut self, a: [u64; 6]) -> SysResult {
        const MREMAP_MAYMOVE: u64 = 1;
        const MREMAP_FIXED: u64 = 2;
        let (old, flags, target) = (a[0], a[3], a[4]);
        if old % PAGE_SIZE != 0 || a[2] == 0 || flags & !(MREMAP_MAYMOVE | MREMAP_FIXED) != 0 {
            return Err(EINVAL);
        }
        if flags & MREMAP_FIXED != 0 && (flags & MREMAP_MAYMOVE == 0 || target % PAGE_SIZE != 0) {
            return Err(EINVAL);
        }
        let old_len = a[1].div_ceil(PAGE_SIZE) * PAGE_SIZE;
        let new_len = a[2].div_ceil(PAGE_SIZE) * PAGE_SIZE;
        if new_len > 1 << 40 {
            return Err(ENOMEM);
        }
        let Some(perms) = self.mem.perms(old) else {
            return Err(EFAULT);
        };
        if old_len > 0 && !self.mem.is_mapped(old.saturating_add(old_len - 1), 1) {
            return Err(EFAULT);
        }
        if flags & MREMAP_FIXED == 0 {
            if new_len <= old_len {
                self.mem.unmap(old + new_len, old_len - new_len);
                return Ok(old);
            }
            let (tail, more) = (old + old_len, new_len - old_len);
            if !self.mem.is_mapped(tail, more) && tail.saturating_add(more) <= self.mmap_top() {
                self.mem.map(tail, more, perms);
                return Ok(old);
            }
            if flags & MREMAP_MAYMOVE == 0 {
                return Err(ENOMEM);
            }
        }
        let new = if flags & MREMAP_FIXED != 0 {
            self.mem.unmap(target, new_len);
            target
        } else {
            let Some(start) = self.mmap_next.checked_sub(new_len) else {
                return Err(ENOMEM);
            };
            if start < self.brk_start + (1 << 32) {
                return Err(ENOMEM);
            }
            self.mmap_next = start;
            start
        };
        self.mem.map(new, new_len, Perms::RW);
        let mut buf = vec![0u8; old_len.min(new_len) as usize];
        let _ = self.mem.peek(old, &mut buf);
        let _ = self.mem.poke(new, &buf);
        self.mem.protect(new, new_len, perms);
        self.mem.unmap(old, old_len);
        Ok(new)
    }

    /// The top of the region mmap hands out (the stack's guard gap starts above it).
    fn mmap_top(&self) -> u64 {
        super::loader::MMAP_TOP
    }

    /// mincore(addr, len, vec): every mapped page is resident; an unmapped one is ENOMEM.
    fn mincore(&mut self, addr: u64, len: u64, vec: u64) -> SysResult {
        if addr % PAGE_SIZE != 0 {
            return Err(EINVAL);
        }
        let pages = len.div_ceil(PAGE_SIZE);
        if pages > 1 << 28 {
            return Err(ENOMEM);
        }
        if (0..pages).any(|p| !self.mem.is_mapped(addr + p * PAGE_SIZE, 1)) {
            return Err(ENOMEM);
        }
        self.guest_write(vec, &vec![1u8; pages as usize])?;
        Ok(0)
    }

    fn munmap(&mut self, addr: u64, len: u64) -> SysResult {
        if addr % PAGE_SIZE != 0 || len == 0 {
            return Err(EINVAL);
        }
        self.mem.unmap(addr, len);
        self.forget_file_pages(addr, len);
        Ok(0)
    }

    /// Pages that hold a private file mapping's contents, which MADV_DONTNEED must not zero.
    pub(super) fn forget_file_pages(&mut self, addr: u64, len: u64) {
        let (first, last) = (
            addr / PAGE_SIZE,
            addr.saturating_add(len).div_ceil(PAGE_SIZE),
        );
        self.file_pages.retain(|p| *p < first || *p >= last);
    }

    /// madvise: advice only, except MADV_DONTNEED, after which a private anonymous page reads
    /// as zeros (a private file page keeps its contents here, where Linux would read the file
    /// again: the difference shows only if the guest wrote to it).
    fn madvise(&mut self, addr: u64, len: u64, advice: u64) -> SysResult {
        const MADV_DONTNEED: u64 = 4;
        if addr % PAGE_SIZE != 0 {
            return Err(EINVAL);
        }
        if advice != MADV_DONTNEED {
            return Ok(0);
        }
        let len = len.div_ceil(PAGE_SIZE) * PAGE_SIZE;
        if !self.mem.is_mapped(addr, len) {
            return Err(ENOMEM);
        }
        let zeros = [0u8; PAGE_SIZE as usize];
        for page in (addr..addr + len).step_by(PAGE_SIZE as usize) {
            if !self.file_pages.contains(&(page / PAGE_SIZE)) {
                let _ = self.mem.poke(page, &zeros);
            }
        }
        Ok(0)
    }

    fn mprotect(&mut self, addr: u64, len: u64, prot: u64) -> SysResult {
        if addr % PAGE_SIZE != 0 {
            return Err(EINVAL);
        }
        if self.mem.protect(addr, len, perms(prot)) {
            let bti = self.cpu.config.features.bti;
            self.mem.set_guarded(addr, len, bti && prot & PROT_BTI != 0);
            Ok(0)
        } else {
            Err(ENOMEM)
        }
    }

    fn prlimit64(&mut self, resource: u64, old: u64) -> SysResult {
        if old != 0 {
            const RLIMIT_STACK: u64 = 3;
            let (cur, max) = if resource == RLIMIT_STACK {
                (STACK_SIZE, u64::MAX)
            } else {
                (u64::MAX, u64::MAX)
            };
            let mut b = [0u8; 16];
            b[..8].copy_from_slice(&cur.to_le_bytes());
            b[8..].copy_from_slice(&max.to_le_bytes());
            self.guest_write(old, &b)?;
        }
        Ok(0)
    }

    fn getrandom(&mut self, host: &mut dyn Host, buf: u64, len: u64) -> SysResult {
        let mut data = vec![0u8; len.min(IO_CHUNK) as usize];
        host.random(&mut data);
        self.guest_write(buf, &data)?;
        Ok(data.len() as u64)
    }
}

/// PROT_BTI: the pages are guarded (FEAT_BTI), as the dynamic loader asks for marked objects.
const PROT_BTI: u64 = 0x10;

fn perms(prot: u64) -> Perms {
    Perms {
        read: prot & 1 != 0,
        write: prot & 2 != 0,
        execute: prot & 4 != 0,
    }
}

/// `struct stat` of the AArch64 (asm-generic) ABI, 128 bytes.
pub(super) fn stat_bytes(st: &FileStat) -> [u8; 128] {
    let mut b = [0u8; 128];
    b[0..8].copy_from_slice(&st.dev.to_le_bytes());
    b[8..16].copy_from_slice(&st.ino.to_le_bytes());
    b[16..20].copy_from_slice(&st.mode.to_le_bytes());
    b[20..24].copy_from_slice(&st.nlink.to_le_bytes());
    b[24..28].copy_from_slice(&st.uid.to_le_bytes());
    b[28..32].copy_from_slice(&st.gid.to_le_bytes());
    b[32..40].copy_from_slice(&st.rdev.to_le_bytes());
    b[48..56].copy_from_slice(&st.size.to_le_bytes());
    b[56..60].copy_from_slice(&st.blksize.to_le_bytes());
    b[64..72].copy_from_slice(&st.blocks.to_le_bytes());
    for (i, (s, ns)) in [st.atime, st.mtime, st.ctime].into_iter().enumerate() {
        b[72 + i * 16..80 + i * 16].copy_from_slice(&s.to_le_bytes());
        b[80 + i * 16..88 + i * 16].copy_from_slice(&u64::from(ns).to_le_bytes());
    }
    b
}
