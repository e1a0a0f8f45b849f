//! `specula boot virt`: runs a bare-metal ELF (or raw firmware in flash) on the `virt` board,
//! with the PE in system mode. This module is the board's host: the UART and the semihosting
//! console are our stdout, their input our stdin, and semihosting's files are host files.
//!
//! Exit status: 0 after PSCI SYSTEM_OFF (or SYSTEM_RESET, which ends the run); semihosting
//! SYS_EXIT's status; 124 when `--max-insns` or `--timeout` stops the guest, or when it waits
//! for an interrupt that nothing can send; 1 when gdb killed it; 2 with a `specula:` line for bad input (an image that is not one, or does not
//! fit).

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{IsTerminal, Read, Seek, SeekFrom, Write};
use std::process::ExitCode;
use std::sync::mpsc::{Receiver, TryRecvError, channel};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use machines::virt::{Exit, Host, Virt, VirtConfig};
use model::interp::{Config, Features, SystemFeatures};

#[derive(clap::Args)]
pub struct BootArgs {
    /// The board. Only `virt` (QEMU virt's memory map) exists.
    #[arg(value_parser = ["virt"])]
    pub board: String,
    /// A Linux arm64 Image (booted per the arm64 boot protocol with a generated DTB), or a
    /// bare-metal AArch64 ELF, loaded at its physical addresses and entered at e_entry in the
    /// highest Exception level the board has.
    #[arg(long, value_name = "FILE")]
    pub kernel: Option<std::path::PathBuf>,
    /// Raw firmware for flash bank 0, entered at address 0.
    #[arg(long, value_name = "FILE")]
    pub bios: Option<std::path::PathBuf>,
    /// An initrd (initramfs) for a Linux kernel given as --kernel.
    #[arg(long, value_name = "FILE")]
    pub initrd: Option<std::path::PathBuf>,
    /// The kernel command line.
    #[arg(long, value_name = "S")]
    pub append: Option<String>,
    /// A device tree blob to pass instead of the generated one.
    #[arg(long, value_name = "FILE")]
    pub dtb: Option<std::path::PathBuf>,
    /// RAM in MiB, at 0x40000000.
    #[arg(short = 'm', value_name = "MB", default_value_t = 128)]
    pub memory_mb: u64,
    /// Number of PEs (1-8), interleaved deterministically; the first starts, the others wait
    /// for PSCI CPU_ON.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub smp: u32,
    /// The CPU: `max` or a spec (see `specula features`), within what the system model has.
    #[arg(long, value_name = "SPEC", default_value = "max")]
    pub cpu: String,
    /// EL3 and Secure state, like QEMU's `-M virt,secure=on`.
    #[arg(long)]
    pub secure: bool,
    /// EL2, like QEMU's `-M virt,virtualization=on`.
    #[arg(long)]
    pub virtualization: bool,
    /// Arm semihosting (HLT #0xF000): console, host files, exit. Off by default, as in QEMU.
    #[arg(long)]
    pub semihosting: bool,
    /// Semihosting's command line (SYS_GET_CMDLINE).
    #[arg(long, value_name = "S", default_value = "")]
    pub semihosting_cmdline: String,
    /// Stop after N instructions (exit status 124); each exception taken counts as one, so a
    /// guest looping on a fault stops too.
    #[arg(long, value_name = "N")]
    pub max_insns: Option<u64>,
    /// Stop after this many seconds of host time (exit status 124).
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,
    /// What to log on stderr: `sysreg` names each access to a System register the model does
    /// not have (which is UNDEFINED), `semihosting` the calls it does not implement.
    #[arg(long, value_name = "WHAT", value_delimiter = ',')]
    pub log: Vec<String>,
    /// Write an instruction trace in Arm's Tarmac text format to FILE: each instruction (with
    /// its Exception level), its memory accesses, the registers it changed, and each exception
    /// taken with its vector.
    #[arg(long, value_name = "FILE")]
    pub trace: Option<std::path::PathBuf>,
    /// Wait for GDB (`target remote :PORT`) on 127.0.0.1:PORT before the first instruction;
    /// addresses are virtual, as the running PE translates them.
    #[arg(long, value_name = "PORT")]
    pub gdb: Option<u16>,
    /// Guest time: `instructions` (the default: one nanosecond per instruction, plus the time
    /// skipped while every PE waits, so runs repeat) or `wall` (the host's clock).
    #[arg(long, value_name = "CLOCK", default_value = "instructions",
          value_parser = ["instructions", "wall"])]
    pub clock: String,
    /// Print the resolved CPU spec to stderr before running.
    #[arg(long)]
    pub show_cpu: bool,
    /// Print `instructions: N`, `exceptions: N` and `MIPS: X` to stderr at exit.
    #[arg(long)]
    pub stats: bool,
}

fn fail(msg: &str) -> ExitCode {
    eprintln!("specula: {msg}");
    ExitCode::from(2)
}

pub fn run(args: BootArgs) -> ExitCode {
    if args.smp == 0 || args.smp > 8 {
        return fail("--smp: give 1 to 8 PEs");
    }
    if args.memory_mb == 0 || args.memory_mb > 64 * 1024 {
        return fail("-m: give between 1 and 65536 MiB");
    }
    let (spec, resolved) =
        match super::cpu::resolve_for_boot(&args.cpu, args.secure, args.virtualization) {
            Ok(r) => r,
            Err(e) => return fail(&e),
        };
    if args.show_cpu {
        eprintln!("cpu: {spec}");
    }
    let config = Config {
        id_registers: resolved.id_registers().to_vec(),
        features: Features::from_names(|f| resolved.has(f)),
        system_features: SystemFeatures::from_names(|f| resolved.has(f)),
        // QEMU virt's generic timer frequency (62.5 MHz) before QEMU 9.0.
        cntfrq_el0: 62_500_000,
        log_unmodelled: args.log.iter().any(|l| l == "sysreg"),
        ..Config::default()
    };
    let mut board = Virt::new(VirtConfig {
        ram_bytes: args.memory_mb << 20,
        secure: args.secure,
        virtualization: args.virtualization,
        semihosting: args.semihosting,
        cpu: config,
        smp: args.smp as usize,
        wall_clock: args.clock == "wall",
    });
    if let Some(sh) = board.semihosting.as_mut() {
        sh.cmdline = args.semihosting_cmdline.clone();
    }
    match (&args.kernel, &args.bios) {
        (Some(k), None) => {
            let image = match std::fs::read(k) {
                Ok(b) => b,
                Err(e) => return fail(&format!("{}: {e}", k.display())),
            };
            let is_linux = image.len() >= 64 && &image[0x38..0x3c] == b"ARM\x64";
            if is_linux {
                let read = |p: &Option<std::path::PathBuf>| -> Result<Option<Vec<u8>>, String> {
                    p.as_ref()
                        .map(|p| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display())))
                        .transpose()
                };
                let (initrd, dtb) = match (read(&args.initrd), read(&args.dtb)) {
                    (Ok(i), Ok(d)) => (i, d),
                    (Err(e), _) | (_, Err(e)) => return fail(&e),
                };
                let cmdline = args.append.clone().unwrap_or_default();
                if let Err(e) =
                    board.load_linux(&image, initrd.as_deref(), &cmdline, dtb.as_deref())
                {
                    return fail(&format!("{}: {e}", k.display()));
                }
            } else {
                if args.initrd.is_some() || args.append.is_some() || args.dtb.is_some() {
                    return fail(
                        "--initrd, --append and --dtb are for a Linux kernel (an arm64 \
                                 Image), not an ELF",
                    );
                }
                if let Err(e) = board.load_elf(&image) {
                    return fail(&format!("{}: {e}", k.display()));
                }
            }
        }
        (None, Some(b)) => {
            let image = match std::fs::read(b) {
                Ok(b) => b,
                Err(e) => return fail(&format!("{}: {e}", b.display())),
            };
            if let Err(e) = board.load_flash(&image) {
                return fail(&format!("{}: {e}", b.display()));
            }
        }
        (Some(k), Some(b)) => {
            // Firmware boots the kernel: the kernel, initrd and command line go to fw_cfg.
            let (kernel, bios) = match (std::fs::read(k), std::fs::read(b)) {
                (Ok(k), Ok(b)) => (k, b),
                (Err(e), _) => return fail(&format!("{}: {e}", k.display())),
                (_, Err(e)) => return fail(&format!("{}: {e}", b.display())),
            };
            let initrd = match args.initrd.as_ref().map(std::fs::read).transpose() {
                Ok(i) => i,
                Err(e) => return fail(&format!("--initrd: {e}")),
            };
            if let Err(e) = board.load_flash(&bios) {
                return fail(&format!("{}: {e}", b.display()));
            }
            board.firmware_kernel(kernel, initrd, args.append.as_deref().unwrap_or(""));
        }
        (None, None) => return fail("give --kernel FILE (a bare-metal ELF) or --bios FILE"),
    }
    if let Some(path) = &args.trace {
        match File::create(path) {
            Ok(f) => {
                let out = std::io::BufWriter::new(f);
                board.tracer = Some(Box::new(super::tarmac::TarmacWriter::new(out)));
            }
            Err(e) => return fail(&format!("--trace {}: {e}", path.display())),
        }
    }
    let mut host = BootHost::new(args.log.iter().any(|l| l == "semihosting" || l == "sysreg"));
    let started = Instant::now();
    let deadline = args
        .timeout
        .map(|s| started + Duration::from_secs_f64(s.max(0.0)));
    let limit = args.max_insns.unwrap_or(u64::MAX);
    let mut debugged = None;
    if let Some(port) = args.gdb {
        let mut target = super::gdb::VirtDebug {
            board: &mut board,
            host: &mut host,
        };
        match super::gdb::serve(port, &mut target) {
            Ok(e) => debugged = e,
            Err(e) => return fail(&e),
        }
    }
    let exit = if debugged.is_some() {
        debugged
    } else {
        loop {
            let done = board.steps();
            if done >= limit {
                break None;
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                break None;
            }
            host.guest_ns = board.cpu.retired + board.cpu.idle_ns;
            if let Some(exit) = board.run(&mut host, (limit - done).min(1 << 22)) {
                break Some(exit);
            }
        }
    };
    let _ = std::io::stdout().flush();
    if let Some(t) = board.tracer.as_deref_mut() {
        t.flush();
    }
    if args.stats {
        let secs = started.elapsed().as_secs_f64();
        let (retired, exceptions) = board.retired();
        eprintln!("instructions: {retired}");
        eprintln!("exceptions: {exceptions}");
        eprintln!("MIPS: {:.1}", retired as f64 / secs.max(1e-9) / 1e6);
    }
    match exit {
        Some(Exit::PowerOff) => ExitCode::SUCCESS,
        Some(Exit::Reset) => {
            eprintln!("specula: the guest asked for a system reset; ending the run");
            ExitCode::SUCCESS
        }
        Some(Exit::Semihosting(status)) => ExitCode::from(status as u8),
        Some(Exit::WaitsForever { pc }) => {
            eprintln!(
                "specula: every PE waits (WFI/WFE at {pc:#x}) with no timer armed, no interrupt \
                 pending and no console input to wait for: nothing can wake them"
            );
            ExitCode::from(124)
        }
        Some(Exit::Killed) => {
            eprintln!("specula: killed by gdb");
            ExitCode::from(1)
        }
        None => {
            let why = if board.steps() >= limit {
                "--max-insns"
            } else {
                "--timeout"
            };
            eprintln!(
                "specula: {why} stopped the guest after {} instructions at pc {:#x} (EL{})",
                board.retired().0,
                board.cpu.state.pc,
                board.cpu.state.pstate.el as u8
            );
            ExitCode::from(124)
        }
    }
}

/// Semihosting handles for the console (`:tt`).
const TT_IN: u64 = 1;
const TT_OUT: u64 = 2;
const TT_ERR: u64 = 3;

struct BootHost {
    files: HashMap<u64, File>,
    next: u64,
    stdin: Option<Receiver<Vec<u8>>>,
    stdin_closed: bool,
    log: bool,
    guest_ns: u64,
    started: Instant,
}

impl BootHost {
    fn new(log: bool) -> BootHost {
        BootHost {
            files: HashMap::new(),
            next: 4,
            stdin: None,
            stdin_closed: false,
            log,
            guest_ns: 0,
            started: Instant::now(),
        }
    }

    /// Stdin is read on its own thread, so the board can poll it without blocking.
    fn stdin(&mut self) -> &Receiver<Vec<u8>> {
        self.stdin.get_or_insert_with(|| {
            let (tx, rx) = channel();
            std::thread::spawn(move || {
                let mut buf = [0u8; 256];
                let mut stdin = std::io::stdin();
                loop {
                    match stdin.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            if tx.send(buf[..n].to_vec()).is_err() {
                                break;
                            }
                        }
                    }
                }
            });
            rx
        })
    }
}

fn errno(e: &std::io::Error) -> i32 {
    e.raw_os_error().unwrap_or(5)
}

impl Host for BootHost {
    fn console_write(&mut self, bytes: &[u8]) {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(bytes);
        let _ = out.flush();
    }

    /// The Secure UART (TF-A's crash console) goes to stderr, apart from the guest's console.
    fn secure_console_write(&mut self, bytes: &[u8]) {
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(bytes);
        let _ = err.flush();
    }

    fn console_read(&mut self, buf: &mut [u8]) -> usize {
        if self.stdin_closed {
            return 0;
        }
        match self.stdin().try_recv() {
            Ok(bytes) => {
                let n = bytes.len().min(buf.len());
                buf[..n].copy_from_slice(&bytes[..n]);
                n
            }
            Err(TryRecvError::Empty) => 0,
            Err(TryRecvError::Disconnected) => {
                self.stdin_closed = true;
                0
            }
        }
    }

    fn console_open(&mut self) -> bool {
        !self.stdin_closed
    }

    fn semihosting_open(&mut self, path: &str, mode: u32) -> Result<u64, i32> {
        if path == ":tt" {
            return Ok(match mode {
                0..=3 => TT_IN,
                4..=7 => TT_OUT,
                _ => TT_ERR,
            });
        }
        let mut o = OpenOptions::new();
        match mode / 2 {
            0 => o.read(true),
            1 => o.read(true).write(true),
            2 => o.write(true).create(true).truncate(true),
            3 => o.read(true).write(true).create(true).truncate(true),
            4 => o.append(true).create(true),
            _ => o.read(true).append(true).create(true),
        };
        let f = o.open(path).map_err(|e| errno(&e))?;
        let h = self.next;
        self.next += 1;
        self.files.insert(h, f);
        Ok(h)
    }

    fn semihosting_close(&mut self, handle: u64) -> Result<(), i32> {
        if matches!(handle, TT_IN | TT_OUT | TT_ERR) {
            return Ok(());
        }
        self.files.remove(&handle).map(|_| ()).ok_or(9)
    }

    fn semihosting_read(&mut self, handle: u64, buf: &mut [u8]) -> Result<usize, i32> {
        if handle == TT_IN || handle == 0 {
            return std::io::stdin().read(buf).map_err(|e| errno(&e));
        }
        let f = self.files.get_mut(&handle).ok_or(9)?;
        f.read(buf).map_err(|e| errno(&e))
    }

    fn semihosting_write(&mut self, handle: u64, buf: &[u8]) -> Result<usize, i32> {
        match handle {
            TT_OUT => {
                self.console_write(buf);
                Ok(buf.len())
            }
            TT_ERR => {
                let _ = std::io::stderr().write_all(buf);
                Ok(buf.len())
            }
            _ => {
                let f = self.files.get_mut(&handle).ok_or(9)?;
                f.write_all(buf).map_err(|e| errno(&e))?;
                Ok(buf.len())
            }
        }
    }

    fn semihosting_seek(&mut self, handle: u64, pos: u64) -> Result<(), i32> {
        let f = self.files.get_mut(&handle).ok_or(9)?;
        f.seek(SeekFrom::Start(pos))
            .map(|_| ())
            .map_err(|e| errno(&e))
    }

    fn semihosting_flen(&mut self, handle: u64) -> Result<u64, i32> {
        let f = self.files.get_mut(&handle).ok_or(9)?;
        f.metadata().map(|m| m.len()).map_err(|e| errno(&e))
    }

    fn semihosting_istty(&mut self, handle: u64) -> bool {
        match handle {
            TT_IN => std::io::stdin().is_terminal(),
            TT_OUT => std::io::stdout().is_terminal(),
            TT_ERR => std::io::stderr().is_terminal(),
            _ => false,
        }
    }

    fn unix_time(&mut self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }

    fn guest_ns(&mut self) -> u64 {
        self.guest_ns
    }

    fn host_ns(&mut self) -> u64 {
        self.started.elapsed().as_nanos() as u64
    }

    fn log(&mut self, line: &str) {
        if self.log {
            eprintln!("specula: {line}");
        }
    }
}
