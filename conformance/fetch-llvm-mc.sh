#!/usr/bin/env bash
# Fetches LLVM's AArch64 MC test files (the assembler and disassembler tests) from Debian's
# llvm-toolchain-19 source package, for the corpus that `conformance::llvm_mc` parses.
#
# Why Debian's source package: it is reachable through an ordinary package client, it is
# pinned by the distribution (so the corpus does not move under us), and it is signed.
#
# Usage: conformance/fetch-llvm-mc.sh
#   SPECULA_LLVM_MC  cache folder (default: <workspace>/work/llvm-mc, ignored by git)
#
# Idempotent: a finished fetch leaves a stamp file naming the source version, and a second run
# with that stamp present does nothing. Needs root (or sudo) only when the machine has no
# deb-src entry yet, to add one and refresh apt's lists. Non-interactive, for CI.
set -euo pipefail

PACKAGE=llvm-toolchain-19
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEST=${SPECULA_LLVM_MC:-$ROOT/work/llvm-mc}
STAMP=$DEST/.fetched
# The two test folders we need, as they sit inside the upstream tarball (below its top folder).
WANTED=('*/llvm/test/MC/AArch64/*' '*/llvm/test/MC/Disassembler/AArch64/*')

log() { printf 'fetch-llvm-mc: %s\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}

if [ -f "$STAMP" ] && [ -d "$DEST/llvm/test/MC/AArch64" ] && [ -d "$DEST/llvm/test/MC/Disassembler/AArch64" ]; then
    log "already fetched ($(cat "$STAMP")) in $DEST"
    exit 0
fi

# `apt-get source` needs deb-src entries. Rather than naming a mirror here, derive them from the
# machine's own Debian 12 ("bookworm") binary entries, in either the deb822 (.sources) or the
# one-line (.list) format.
need_deb_src() {
    ! apt-cache showsrc "$PACKAGE" 2>/dev/null | grep -q "^Package: $PACKAGE\$"
}

add_deb_src() {
    local out=/etc/apt/sources.list.d/specula-deb-src.sources
    local tmp
    tmp=$(mktemp)
    # deb822 stanzas whose Suites name bookworm itself, re-emitted with Types: deb-src.
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] && [ "$f" != "$out" ] || continue
        awk '
            function flush() {
                if (stanza != "" && is_deb && bookworm) print "Types: deb-src\n" stanza
                stanza = ""; is_deb = 0; bookworm = 0
            }
            /^[[:space:]]*$/ { flush(); next }
            /^#/ { next }
            /^Types:/ { if ($0 ~ /[[:space:]]deb([[:space:]]|$)/) is_deb = 1; next }
            /^Suites:/ { if ($0 ~ /[[:space:]]bookworm([[:space:]]|$)/) bookworm = 1 }
            { stanza = stanza $0 "\n" }
            END { flush() }
        ' "$f" >>"$tmp"
    done
    # One-line entries: "deb [opts] URI bookworm components".
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        awk '$1 == "deb" {
            i = 2; opts = ""
            if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) { opts = opts " " $i; i++ }; opts = opts " " $i; i++ }
            if ($(i + 1) != "bookworm") next
            comps = ""; for (j = i + 2; j <= NF; j++) comps = comps " " $j
            signed = ""; if (match(opts, /signed-by=[^] ]+/)) signed = "Signed-By: " substr(opts, RSTART + 10, RLENGTH - 10) "\n"
            printf "Types: deb-src\nURIs: %s\nSuites: bookworm\nComponents:%s\n%s\n", $i, comps, signed
        }' "$f" >>"$tmp"
    done
    if ! grep -q '^URIs:' "$tmp"; then
        rm -f "$tmp"
        log "no Debian bookworm entry in /etc/apt to derive a deb-src entry from"
        exit 1
    fi
    log "adding deb-src entries in $out"
    as_root install -m 0644 "$tmp" "$out"
    rm -f "$tmp"
    as_root apt-get update -qq
}

if need_deb_src; then
    add_deb_src
    if need_deb_src; then
        log "apt still knows no source package $PACKAGE"
        exit 1
    fi
fi

mkdir -p "$DEST"
DOWNLOAD=$DEST/download
rm -rf "$DOWNLOAD"
mkdir -p "$DOWNLOAD"
log "downloading the $PACKAGE source package"
# --download-only: no dpkg-source, no build dependencies; apt checks the files' hashes against
# the signed index. _apt cannot write to folders root made, which apt only warns about.
(cd "$DOWNLOAD" && apt-get source --download-only -qq "$PACKAGE" 2>&1 | grep -v 'unsandboxed as root' >&2 || true)
ORIG=$(find "$DOWNLOAD" -maxdepth 1 -name "${PACKAGE}_*.orig.tar.*" ! -name '*.asc' | head -n 1)
if [ -z "$ORIG" ]; then
    log "apt-get source downloaded no ${PACKAGE}_*.orig.tar.* into $DOWNLOAD"
    exit 1
fi
DSC=$(find "$DOWNLOAD" -maxdepth 1 -name "${PACKAGE}_*.dsc" | head -n 1)
VERSION=$(basename "${DSC:-$ORIG}" .dsc)
log "extracting the AArch64 MC tests from $(basename "$ORIG") ($VERSION)"
# Extract next to the destination first, then swap it in, so that an interrupted run never
# leaves a half-filled folder that looks finished.
STAGE=$DEST/stage
rm -rf "$STAGE"
mkdir -p "$STAGE"
tar -xf "$ORIG" -C "$STAGE" --strip-components=1 --wildcards "${WANTED[@]}"
for d in AArch64 Disassembler/AArch64; do
    if [ -z "$(ls -A "$STAGE/llvm/test/MC/$d" 2>/dev/null)" ]; then
        log "the tarball had no files under llvm/test/MC/$d"
        exit 1
    fi
done
rm -rf "$DEST/llvm"
mv "$STAGE/llvm" "$DEST/llvm"
rm -rf "$STAGE"
# The tarball is ~100 MB and apt-get source can fetch it again, so do not keep it.
rm -rf "$DOWNLOAD"
echo "$VERSION" >"$STAMP"
log "done: $(find "$DEST/llvm" -type f | wc -l) files in $DEST/llvm/test/MC"
