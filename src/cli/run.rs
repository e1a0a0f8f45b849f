//! `specula run`: runs an AArch64 Linux program, static or dynamic (`-L DIR` names the guest's
//! sysroot), on the Linux user-mode board, with the CPU `--cpu` resolves (`cpu.rs`).
//!
//! Exit status: the guest's; 128+signal when a signal kills it (with one `specula:` line on
//! stderr naming the PC, the encoding and the reason when the board raised it); 124 when
//! `--max-insns` stops it; 2 with a `specula:` line, before any guest code runs, for a file
//! that cannot be run. `--stats` adds `instructions: N` and `MIPS: X` lines to stderr.
//! This module is the board's `Host`: the guest's stdin, stdout and stderr are ours.

use std::fs::File;
use std::io::{IsTerminal, Read, Write};
use std::mem::ManuallyDrop;
use std::os::fd::FromRawFd;
use std::os::unix::fs::MetadataExt;
use std::process::ExitCode;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use std::sync::atomic::{AtomicU64, Ordering};

use machines::linux_user::{
    Board, Clock, Disposition, Errno, Exit, FileStat, Forked, Host, Process,
};
use model::interp::{Config, Features};

#[derive(clap::Args)]
pub struct RunArgs {
    /// Stop after N instructions (exit status 124).
    #[arg(long, value_name = "N")]
    pub max_insns: Option<u64>,
    /// Print `instructions: N` and `MIPS: X` to stderr at exit.
    #[arg(long)]
    pub stats: bool,
    /// Log what the board does not implement (syscalls answered -ENOSYS) to stderr, once each.
    #[arg(long)]
    pub log_unimp: bool,
    /// The CPU: `max` (every implemented feature on the newest version they allow) or a spec
    /// such as `v9.0` or `v8.2,+FEAT_LSE2` (see `specula features`).
    #[arg(long, value_name = "SPEC", default_value = "max")]
    pub cpu: String,
    /// Print the resolved CPU spec and its HWCAPs to stderr before running.
    #[arg(long)]
    pub show_cpu: bool,
    /// The guest's root for its ELF interpreter and absolute paths, tried before the host's
    /// (like qemu-user's -L): a sysroot of AArch64 libraries.
    #[arg(short = 'L', value_name = "DIR")]
    pub sysroot: Option<std::path::PathBuf>,
    /// Write an instruction trace in Arm's Tarmac text format to FILE: each instruction, its
    /// memory accesses and the registers it changed, and the exceptions taken.
    #[arg(long, value_name = "FILE")]
    pub trace: Option<std::path::PathBuf>,
    /// Wait for GDB (`target remote :PORT`) on 127.0.0.1:PORT before the first instruction.
    #[arg(long, value_name = "PORT")]
    pub gdb: Option<u16>,
    /// The AArch64 ELF program (a host path).
    pub program: String,
    /// Its arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

pub fn run(args: RunArgs) -> ExitCode {
    let image = match std::fs::read(&args.program) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("specula: {}: {e}", args.program);
            return ExitCode::from(2);
        }
    };
    let (spec, resolved) = match super::cpu::resolve_for_run(&args.cpu) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("specula: {e}");
            return ExitCode::from(2);
        }
    };
    let config = Config {
        id_registers: resolved.id_registers().to_vec(),
        features: Features::from_names(|f| resolved.has(f)),
        ..Config::default()
    };
    if args.show_cpu {
        let (hwcap, hwcap2) = machines::linux_user::hwcaps(&config.features);
        eprintln!("cpu: {spec}");
        eprintln!("AT_HWCAP: {hwcap:#x}, AT_HWCAP2: {hwcap2:#x}");
    }
    let sysroot = match &args.sysroot {
        Some(dir) if !dir.is_dir() => {
            eprintln!("specula: -L {}: not a directory", dir.display());
            return ExitCode::from(2);
        }
        Some(dir) => Some(dir.as_os_str().as_encoded_bytes().to_vec()),
        None => None,
    };
    let mut argv = vec![args.program.clone()];
    argv.extend(args.args.iter().cloned());
    let env: Vec<String> = std::env::vars().map(|(k, v)| format!("{k}={v}")).collect();
    let process = Process {
        image: &image,
        args: &argv,
        env: &env,
        execfn: &args.program,
    };
    let mut host = StdHost {
        start: Instant::now(),
        log: args.log_unimp,
        forked: false,
        sysroot,
    };
    let mut board = match Board::load(&process, config, &mut host) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("specula: {}: {e}", args.program);
            return ExitCode::from(2);
        }
    };
    // Programs such as xz close their stderr before exiting, so `--stats` keeps its own copy
    // (close-on-exec, far above the fds guests use).
    // SAFETY: fcntl on our own stderr; a returned fd >= 0 is ours to own.
    let stats_out = args.stats.then(|| unsafe {
        let fd = libc::fcntl(2, libc::F_DUPFD_CLOEXEC, 900);
        (fd >= 0).then(|| File::from_raw_fd(fd))
    });
    if let Some(path) = &args.trace {
        match File::create(path) {
            Ok(f) => {
                let out = std::io::BufWriter::new(f);
                board.tracer = Some(Box::new(super::tarmac::TarmacWriter::new(out)));
            }
            Err(e) => {
                eprintln!("specula: --trace {}: {e}", path.display());
                return ExitCode::from(2);
            }
        }
    }
    let started = Instant::now();
    let exit = match args.gdb {
        None => board.run(&mut host, args.max_insns),
        Some(port) => match super::gdb::serve(
            port,
            &mut super::gdb::UserDebug {
                board: &mut board,
                host: &mut host,
            },
        ) {
            Ok(Some(exit)) => exit,
            Ok(None) => board.run(&mut host, None),
            Err(e) => {
                eprintln!("specula: {e}");
                return ExitCode::from(2);
            }
        },
    };
    // Flush the trace before anything else can end the process.
    board.tracer = None;
    let seconds = started.elapsed().as_secs_f64();
    let _ = std::io::stdout().flush();
    if let Exit::Signal {
        reason: Some(reason),
        ..
    } = &exit
    {
        eprintln!("{reason}");
    }
    if let (Exit::Signal { signal, .. }, true) = (&exit, host.forked) {
        // A forked child killed by a signal dies of it, so its parent's wait4 sees that.
        // SAFETY: plain libc calls on our own process.
        unsafe {
            libc::signal(*signal, libc::SIG_DFL);
            libc::raise(*signal);
        }
    }
    if let Some(out) = stats_out {
        let n = board.cpu.retired;
        let text = format!(
            "instructions: {n}\nMIPS: {:.1}\n",
            n as f64 / seconds.max(1e-9) / 1e6
        );
        match out {
            Some(mut f) => {
                let _ = f.write_all(text.as_bytes());
            }
            None => eprint!("{text}"),
        }
    }
    ExitCode::from(exit.code().clamp(0, 255) as u8)
}

/// Signals caught for the guest since the board last asked, bit `sig - 1`: the one piece of
/// state a signal handler may touch.
static CAUGHT: AtomicU64 = AtomicU64::new(0);

extern "C" fn on_signal(sig: libc::c_int) {
    if (1..=64).contains(&sig) {
        CAUGHT.fetch_or(1 << (sig - 1), Ordering::Relaxed);
    }
}

pub(super) struct StdHost {
    start: Instant,
    log: bool,
    /// Whether this process is a guest fork's child.
    forked: bool,
    /// `-L DIR`: absolute guest paths are tried under it first (`run_files.rs`).
    pub(super) sysroot: Option<Vec<u8>>,
}

fn errno(e: std::io::Error) -> Errno {
    e.raw_os_error().unwrap_or(5) // EIO
}

/// A host fd (the guest's fd of the same number, `run_files.rs`) borrowed as a File, never
/// closed by us.
fn borrowed(fd: i32) -> Result<ManuallyDrop<File>, Errno> {
    if fd < 0 {
        return Err(9); // EBADF
    }
    // SAFETY: ManuallyDrop never closes the fd; a closed one fails with EBADF.
    Ok(ManuallyDrop::new(unsafe { File::from_raw_fd(fd) }))
}

impl Host for StdHost {
    fn read(&mut self, fd: i32, buf: &mut [u8]) -> Result<usize, Errno> {
        borrowed(fd)?.read(buf).map_err(errno)
    }

    fn write(&mut self, fd: i32, buf: &[u8]) -> Result<usize, Errno> {
        let mut f = borrowed(fd)?;
        f.write_all(buf).map_err(errno)?;
        Ok(buf.len())
    }

    fn fstat(&mut self, fd: i32) -> Result<FileStat, Errno> {
        let m = borrowed(fd)?.metadata().map_err(errno)?;
        Ok(FileStat {
            dev: m.dev(),
            ino: m.ino(),
            mode: m.mode(),
            nlink: m.nlink() as u32,
            uid: m.uid(),
            gid: m.gid(),
            rdev: m.rdev(),
            size: m.size() as i64,
            blksize: m.blksize() as i32,
            blocks: m.blocks() as i64,
            atime: (m.atime(), m.atime_nsec() as u32),
            mtime: (m.mtime(), m.mtime_nsec() as u32),
            ctime: (m.ctime(), m.ctime_nsec() as u32),
        })
    }

    fn is_terminal(&mut self, fd: i32) -> bool {
        borrowed(fd).is_ok_and(|f| f.is_terminal())
    }

    fn now(&mut self, clock: Clock) -> (u64, u32) {
        let d = match clock {
            Clock::Realtime => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default(),
            Clock::Monotonic => self.start.elapsed(),
        };
        (d.as_secs(), d.subsec_nanos())
    }

    fn random(&mut self, buf: &mut [u8]) {
        if File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(buf))
            .is_err()
        {
            // No entropy source: fall back on the clock, which is still not a constant.
            let t = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos();
            for (i, b) in buf.iter_mut().enumerate() {
                *b = (t >> ((i % 16) * 8)) as u8 ^ i as u8;
            }
        }
    }

    fn pid(&mut self) -> u32 {
        std::process::id()
    }

    fn ppid(&mut self) -> u32 {
        // SAFETY: getppid has no preconditions.
        unsafe { libc::getppid() as u32 }
    }

    fn signal_disposition(&mut self, sig: i32, d: Disposition) {
        let handler = match d {
            Disposition::Default => libc::SIG_DFL,
            Disposition::Ignore => libc::SIG_IGN,
            Disposition::Catch => on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t,
        };
        // SAFETY: installs a handler that only does an atomic OR; no SA_RESTART, so a host
        // call the signal interrupts returns EINTR and the board can deliver the signal.
        unsafe {
            let mut act: libc::sigaction = std::mem::zeroed();
            act.sa_sigaction = handler;
            libc::sigemptyset(&mut act.sa_mask);
            libc::sigaction(sig, &act, std::ptr::null_mut());
        }
    }

    fn take_signals(&mut self) -> u64 {
        CAUGHT.swap(0, Ordering::Relaxed)
    }

    fn sleep(&mut self, nanos: u128) {
        std::thread::sleep(std::time::Duration::from_nanos(
            u64::try_from(nanos).unwrap_or(u64::MAX),
        ));
    }

    fn log(&mut self, line: &str) {
        if self.log {
            eprintln!("{line}");
        }
    }
    fn fork(&mut self) -> Result<Forked, Errno> {
        let _ = std::io::stdout().flush();
        // SAFETY: we are single-threaded; the child goes on running this same emulator.
        match unsafe { libc::fork() } {
            -1 => Err(errno(std::io::Error::last_os_error())),
            0 => {
                self.forked = true;
                Ok(Forked::Child {
                    pid: std::process::id(),
                })
            }
            child => Ok(Forked::Parent {
                child: child as u32,
            }),
        }
    }
    fn exec(&mut self) {
        // Guest fds are ours (run_files.rs): close those marked close-on-exec.
        let Ok(dir) = std::fs::read_dir("/proc/self/fd") else {
            return;
        };
        let fds: Vec<i32> = dir
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .collect();
        for fd in fds {
            // SAFETY: fcntl and close on descriptors of our own; the listing's is gone.
            unsafe {
                let flags = libc::fcntl(fd, libc::F_GETFD);
                if flags >= 0 && flags & libc::FD_CLOEXEC != 0 {
                    libc::close(fd);
                }
            }
        }
    }
    fn kill(&mut self, pid: i32, sig: i32) -> Result<(), Errno> {
        // SAFETY: kill has no memory effects on us.
        if unsafe { libc::kill(pid, sig) } < 0 {
            Err(errno(std::io::Error::last_os_error()))
        } else {
            Ok(())
        }
    }
    fn wait4(&mut self, pid: i32, options: i32) -> Result<(i32, i32), Errno> {
        let mut status = 0;
        // SAFETY: wait4 writes only `status`; we pass no rusage.
        let got = unsafe { libc::wait4(pid, &mut status, options, std::ptr::null_mut()) };
        if got < 0 {
            Err(errno(std::io::Error::last_os_error()))
        } else {
            Ok((got, status))
        }
    }
}
