#!/usr/bin/env bash
# Debian 12's cloud kernel for arm64 (an uncompressed arm64 Image), busybox-static, U-Boot
# (u-boot-qemu's qemu_arm64) and EDK2 (qemu-efi-aarch64's QEMU_EFI.fd), for booting the virt
# board: work/linux/{Image,busybox,u-boot.bin,QEMU_EFI.fd}. The packages are
# downloaded with apt-get (arm64 must be a foreign architecture: run once as root) and unpacked
# with dpkg-deb -x.
set -euo pipefail
cd "$(dirname "$0")/.."
out=work/linux
if [ -f "$out/Image" ] && [ -x "$out/busybox" ] && [ -f "$out/u-boot.bin" ] && [ -f "$out/QEMU_EFI.fd" ]; then
  exit 0
fi
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  if [ "$(id -u)" = 0 ]; then
    dpkg --add-architecture arm64
    apt-get update -qq
  else
    echo "fetch-linux: arm64 is not a foreign architecture; run once as root" >&2
    exit 2
  fi
fi
mkdir -p "$out/debs"
cd "$out/debs"
# The metapackage names the current versioned kernel package.
kernel=$(apt-cache depends linux-image-cloud-arm64:arm64 2>/dev/null | awk '/Depends: linux-image-/{print $2; exit}')
if [ -z "$kernel" ]; then
  apt-get update -qq
  kernel=$(apt-cache depends linux-image-cloud-arm64:arm64 | awk '/Depends: linux-image-/{print $2; exit}')
fi
pkgs=("$kernel" busybox-static:arm64 u-boot-qemu qemu-efi-aarch64)
apt-get download -qq "${pkgs[@]}" 2>/dev/null ||
  { apt-get update -qq && apt-get download -qq "${pkgs[@]}"; }
rm -rf x && mkdir x
for d in ./*.deb; do dpkg-deb -x "$d" x; done
cp x/boot/vmlinuz-* ../Image
cp x/bin/busybox ../busybox
cp x/usr/lib/u-boot/qemu_arm64/u-boot.bin ../u-boot.bin
cp x/usr/share/qemu-efi-aarch64/QEMU_EFI.fd ../QEMU_EFI.fd
echo "fetch-linux: $(basename x/boot/vmlinuz-*), busybox, U-Boot and EDK2 in $out"
