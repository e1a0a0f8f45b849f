#!/usr/bin/env bash
# QEMU 10 from Debian 12's backports (qemu-system-arm, qemu-system-data), unpacked into
# work/qemu10 without being installed, as the oracle for the bare-metal tests
# (tests/it/baremetal.rs). Debian 12's own QEMU is 7.2, which has none of Armv8.5's to v8.7's
# system features (FGT, ECV, EVT, PAuth2, HCX, WFxT, XS, ...) that those tests check.
#
# Why not install it: the installed 7.2 stays the oracle of `specula conformance random` and
# the TCG tests, and an unpacked copy changes nothing else on the machine. apt runs against a
# private sources list, lists and cache under work/qemu10/apt, so the machine's own apt state
# is neither read nor changed. The libraries it needs are bookworm's (qemu-system-arm 7.2
# pulls them in).
#
# Run: work/qemu10/usr/bin/qemu-system-aarch64 -L work/qemu10/usr/share/qemu -display none
# -audio none ... (no display and no audio: the unpacked copy has no UI or audio modules, and
# must not load 7.2's). Idempotent: a finished fetch leaves the binary and a stamp.
set -euo pipefail
cd "$(dirname "$0")/.."
out=work/qemu10
if [ -x "$out/usr/bin/qemu-system-aarch64" ] && [ -f "$out/.fetched" ]; then
  exit 0
fi
apt_dir=$out/apt
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$out/debs"
echo "deb http://deb.debian.org/debian bookworm-backports main" >"$apt_dir/sources.list"
opts=(-o "Dir::Etc::sourcelist=$PWD/$apt_dir/sources.list" -o "Dir::Etc::sourceparts=-"
  -o "Dir::State::Lists=$PWD/$apt_dir/lists" -o "Dir::Cache=$PWD/$apt_dir/cache"
  -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root")
apt-get "${opts[@]}" update -qq
(cd "$out/debs" && apt-get "${opts[@]}" download -qq qemu-system-arm/bookworm-backports \
  qemu-system-data/bookworm-backports)
rm -rf "$out/usr"
for d in "$out"/debs/*.deb; do dpkg-deb -x "$d" "$out"; done
rm -rf "$out/debs" "$apt_dir"
version=$("$out/usr/bin/qemu-system-aarch64" --version | head -n 1)
echo "$version" >"$out/.fetched"
echo "fetch-qemu: $version in $out" >&2
