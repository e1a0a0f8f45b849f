#!/usr/bin/env bash
# A Debian 12 arm64 sysroot for the dynamic programs the Linux user-mode board is tested with
# (python3.11, xz, sqlite3, lua5.4, gawk), in work/sysroot: `specula run -L work/sysroot ...`
# and `qemu-aarch64 -L work/sysroot ...` run the same files. The packages are downloaded with
# apt-get (arm64 must be a foreign architecture: run once as root, or have them cached) and
# unpacked with dpkg-deb -x, which is what `mmdebstrap --variant=extract` does; mmdebstrap is
# not needed. The package list is the closure of those programs' Depends and Pre-Depends,
# without the ones only maintainer scripts use.
set -euo pipefail
cd "$(dirname "$0")/.."
root=work/sysroot
packages=(
  libc6 gcc-12-base libgcc-s1 libcrypt1 zlib1g liblzma5 libbz2-1.0 libexpat1 libffi8 libuuid1
  libssl3 libnsl2 libtirpc3 libgssapi-krb5-2 libk5crypto3 libkeyutils1 libkrb5-3
  libkrb5support0 libcom-err2 libncursesw6 libtinfo6 libreadline8 libsqlite3-0
  libgmp10 libmpfr6 libsigsegv2
  python3.11-minimal libpython3.11-minimal libpython3.11-stdlib
  xz-utils sqlite3 lua5.4 liblua5.4-0 gawk
)
stamp="$root/.packages"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "${packages[*]}" ]; then
  exit 0
fi
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  if [ "$(id -u)" = 0 ]; then
    dpkg --add-architecture arm64
    apt-get update -qq
  else
    echo "fetch-sysroot: arm64 is not a foreign architecture; run once as root" >&2
    exit 2
  fi
fi
debs=work/sysroot-debs
mkdir -p "$debs"
names=("${packages[@]/%/:arm64}")
(cd "$debs" && { apt-get download -qq "${names[@]}" 2>/dev/null ||
  { apt-get update -qq && apt-get download -qq "${names[@]}"; }; })
rm -rf "$root"
mkdir -p "$root"
for p in "${packages[@]}"; do
  deb=$(ls "$debs/${p}_"*_arm64.deb 2>/dev/null | sort -V | tail -1)
  [ -n "$deb" ] || { echo "fetch-sysroot: $p was not downloaded" >&2; exit 1; }
  dpkg-deb -x "$deb" "$root"
done
echo "${packages[*]}" > "$stamp"
echo "fetch-sysroot: $(du -sh "$root" | cut -f1) in $root"
