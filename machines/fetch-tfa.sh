#!/usr/bin/env bash
# Trusted Firmware-A for QEMU's virt (PLAT=qemu), built from Debian 12's source package
# (arm-trusted-firmware 2.8, whose binary package has no qemu build), with U-Boot
# (work/linux/u-boot.bin, from machines/fetch-linux.sh) as BL33: work/tfa/flash.bin, BL1 at 0
# and the FIP at 256 KiB, as TF-A's docs/plat/qemu.rst lays out QEMU's secure flash.
#
# Build choices: the GICv3 driver (the board's GIC); CTX_INCLUDE_AARCH32_REGS=0, because the PE
# is AArch64-only at every Exception level and TF-A refuses to save AArch32 state it lacks;
# Debian's own flags for binutils 2.40 (--no-warn-rwx-segments) and gcc 12; a fixed build
# message instead of the time and the Debian version instead of the enclosing git description,
# so that every build prints the same banner.
# `apt-get source` needs deb-src entries: conformance/fetch-llvm-mc.sh adds them.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$PWD/work/tfa
if [ -f "$out/flash.bin" ]; then
  exit 0
fi
bl33=$PWD/work/linux/u-boot.bin
if [ ! -f "$bl33" ]; then
  echo "fetch-tfa: $bl33 missing: run machines/fetch-linux.sh first" >&2
  exit 2
fi
mkdir -p "$out/deb"
cd "$out/deb"
if ! ls arm-trusted-firmware_*.dsc >/dev/null 2>&1; then
  apt-get source --download-only -qq arm-trusted-firmware 2>/dev/null ||
    { apt-get update -qq && apt-get source --download-only -qq arm-trusted-firmware; }
fi
rm -rf src
dpkg-source -x arm-trusted-firmware_*.dsc src >/dev/null 2>&1
cd src
make -j"$(nproc)" -s CROSS_COMPILE=aarch64-linux-gnu- CFLAGS=--param=min-pagesize=0 \
  TF_LDFLAGS_aarch64=--no-warn-rwx-segments PLAT=qemu QEMU_USE_GIC_DRIVER=QEMU_GICV3 \
  CTX_INCLUDE_AARCH32_REGS=0 BUILD_MESSAGE_TIMESTAMP='"Debian 12 source"' BUILD_STRING=2.8.0+dfsg-1 BL33="$bl33" all fip >"$out/build.log" 2>&1 ||
  { tail -20 "$out/build.log" >&2; exit 1; }
r=build/qemu/release
rm -f "$out/flash.bin.tmp"
dd if=$r/bl1.bin of="$out/flash.bin.tmp" bs=4096 conv=notrunc status=none
dd if=$r/fip.bin of="$out/flash.bin.tmp" seek=64 bs=4096 conv=notrunc status=none
mv "$out/flash.bin.tmp" "$out/flash.bin"
echo "fetch-tfa: TF-A $(dpkg-parsechangelog -S Version) for PLAT=qemu with U-Boot as BL33 in $out/flash.bin"
