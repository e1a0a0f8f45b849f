//! A Linux initramfs: a cpio archive in the "newc" format (the kernel's
//! Documentation/driver-api/early-userspace/buffer-format.rst), written here so that building
//! one needs neither `cpio` nor root (device nodes are just headers).

/// What an entry is.
pub enum Entry {
    Dir,
    File {
        data: Vec<u8>,
        mode: u32,
    },
    /// A character device, (major, minor).
    CharDev(u32, u32),
    Symlink(String),
}

/// The archive of `entries`, `(path without leading /, entry)`, in order.
pub fn cpio(entries: &[(&str, Entry)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut ino = 1000u32;
    let mut put = |out: &mut Vec<u8>, name: &str, mode: u32, data: &[u8], rdev: (u32, u32)| {
        ino += 1;
        let fields = [
            ino,
            mode,
            0,
            0,
            1,
            0,
            data.len() as u32,
            0,
            0,
            rdev.0,
            rdev.1,
            name.len() as u32 + 1,
            0,
        ];
        out.extend_from_slice(b"070701");
        for v in fields {
            out.extend_from_slice(format!("{v:08x}").as_bytes());
        }
        out.extend_from_slice(name.as_bytes());
        out.push(0);
        while out.len() % 4 != 0 {
            out.push(0);
        }
        out.extend_from_slice(data);
        while out.len() % 4 != 0 {
            out.push(0);
        }
    };
    for (name, e) in entries {
        match e {
            Entry::Dir => put(&mut out, name, 0o040755, &[], (0, 0)),
            Entry::File { data, mode } => put(&mut out, name, 0o100000 | mode, data, (0, 0)),
            Entry::CharDev(ma, mi) => put(&mut out, name, 0o020600, &[], (*ma, *mi)),
            Entry::Symlink(target) => put(&mut out, name, 0o120777, target.as_bytes(), (0, 0)),
        }
    }
    put(&mut out, "TRAILER!!!", 0, &[], (0, 0));
    out
}

/// An initramfs around a static busybox: /bin/busybox, /dev/console, /proc, /sys, and `init`
/// (a script run by busybox's sh) as /init.
pub fn busybox(busybox: Vec<u8>, init: &str) -> Vec<u8> {
    busybox_with(busybox, init, Vec::new())
}

/// [`busybox`] with more programs in /bin: `(name, static executable)`.
pub fn busybox_with(busybox: Vec<u8>, init: &str, programs: Vec<(&str, Vec<u8>)>) -> Vec<u8> {
    let script = format!("#!/bin/busybox sh\n{init}");
    let names: Vec<String> = programs.iter().map(|(n, _)| format!("bin/{n}")).collect();
    let mut entries = vec![
        ("bin", Entry::Dir),
        ("dev", Entry::Dir),
        ("proc", Entry::Dir),
        ("sys", Entry::Dir),
        ("dev/console", Entry::CharDev(5, 1)),
        (
            "bin/busybox",
            Entry::File {
                data: busybox,
                mode: 0o755,
            },
        ),
        ("bin/sh", Entry::Symlink("busybox".into())),
        (
            "init",
            Entry::File {
                data: script.into_bytes(),
                mode: 0o755,
            },
        ),
    ];
    for (name, (_, data)) in names.iter().zip(programs) {
        entries.push((name.as_str(), Entry::File { data, mode: 0o755 }));
    }
    cpio(&entries)
}

#[cfg(test)]
mod tests {
    /// Headers are 110 bytes of "070701" and hex fields; names and data are padded to 4.
    #[test]
    fn newc_layout() {
        let a = super::cpio(&[(
            "init",
            super::Entry::File {
                data: b"hi".to_vec(),
                mode: 0o755,
            },
        )]);
        assert_eq!(&a[..6], b"070701");
        // mode field (the second) of a regular executable file
        assert_eq!(&a[14..22], b"000081ed");
        // filesize
        assert_eq!(&a[54..62], b"00000002");
        let name_end = 110 + 5;
        let data_at = (name_end + 3) & !3;
        assert_eq!(&a[data_at..data_at + 2], b"hi");
        assert!(a.windows(10).any(|w| w == b"TRAILER!!!"));
        assert_eq!(a.len() % 4, 0);
    }
}
