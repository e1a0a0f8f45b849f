#!/usr/bin/env bash
# Debian 12's cloud kernel for arm64 (an uncompressed arm64 Image) and busybox-static, for the
# Linux boot on the virt board: work/linux/Image and work/linux/busybox. The packages are
# downloaded with apt-get (arm64 must be a foreign architecture: run once as root) and unpacked
# with dpkg-deb -x.
set -euo pipefail
cd "$(dirname "$0")/.."
out=work/linux
if [ -f "$out/Image" ] && [ -x "$out/busybox" ]; then
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
apt-get download -qq "$kernel" busybox-static:arm64 2>/dev/null ||
  { apt-get update -qq && apt-get download -qq "$kernel" busybox-static:arm64; }
rm -rf x && mkdir x
for d in ./*.deb; do dpkg-deb -x "$d" x; done
cp x/boot/vmlinuz-* ../Image
cp x/bin/busybox ../busybox
echo "fetch-linux: $(basename x/boot/vmlinuz-*) and busybox in $out"
