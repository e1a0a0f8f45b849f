#!/usr/bin/env bash
# QEMU's own user-mode tests under Specula: tests/tcg/multiarch and tests/tcg/aarch64 from
# Debian's qemu 7.2 source package, built with Debian's cross gcc as QEMU's makefiles build
# them (static, -O0 unless the makefile says otherwise), each run under `specula run` and
# compared with its .ref file where it has one, otherwise with qemu-aarch64 -cpu max (stdout
# and exit status). Writes conformance/scoreboards/tcg.txt listing every test as pass, FAIL
# or n/a with the missing feature or syscall that makes it inapplicable, and exits 1 if a
# test that should apply fails.
#
# Usage: conformance/tcg-tests.sh
#   SPECULA_QEMU_TESTS  cache folder (default: <workspace>/work/qemu-tcg, ignored by git)
#   SPECULA_BIN         the specula binary (default: <workspace>/target/release/specula)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEST=${SPECULA_QEMU_TESTS:-$ROOT/work/qemu-tcg}
SPECULA=${SPECULA_BIN:-$ROOT/target/release/specula}
BOARD=$ROOT/conformance/scoreboards/tcg.txt
CC=aarch64-linux-gnu-gcc

log() { printf 'tcg-tests: %s\n' "$*" >&2; }

# Fetch once: the upstream tarball from `apt-get source` (conformance/fetch-llvm-mc.sh sets up
# the deb-src entries), of which only the test folders are kept.
if [ ! -f "$DEST/.fetched" ]; then
    mkdir -p "$DEST/dl"
    (cd "$DEST/dl" && apt-get source --download-only qemu >/dev/null 2>&1) || {
        log "apt-get source qemu failed (run conformance/fetch-llvm-mc.sh first for deb-src)"
        exit 2
    }
    tar -xJf "$DEST"/dl/qemu_*.orig.tar.xz -C "$DEST" --strip-components=1 --wildcards \
        '*/tests/tcg/multiarch/*' '*/tests/tcg/aarch64/*' '*/tests/tcg/arm/fcvt.c'
    basename "$DEST"/dl/qemu_*.dsc .dsc >"$DEST/.fetched"
    rm -rf "$DEST/dl"
fi
T=$DEST/tests/tcg
B=$DEST/build
mkdir -p "$B"

# name | sources (under tests/tcg) | extra flags | .ref (under tests/tcg) | compare | why |
# specula options
# compare: empty for stdout and exit status, `status` for the exit status alone (output that
# depends on random PAC keys). why: `n/a: ...` when the test cannot apply here (it is still run,
# and a pass counts), `known: ...` for a failure we know and have not fixed yet. specula
# options: for a test written for one CPU (pauth-2 checks Armv8.3's Auth error code, which
# FEAT_PAuth2 in `max` replaces with the PACs' XOR; QEMU 7.2's max has no PAuth2; pauth-4 and
# pauth-5 read the pointer a failed AUTIA returns, where FEAT_FPAC in `max` raises SIGILL, so
# they run on v9.0 with PAuth2 and without the optional FPAC).
TESTS=(
"float_convd|multiarch/float_convd.c multiarch/libs/float_helpers.c|-lm|aarch64/float_convd.ref||"
"float_convs|multiarch/float_convs.c multiarch/libs/float_helpers.c|-lm|aarch64/float_convs.ref||"
"float_madds|multiarch/float_madds.c multiarch/libs/float_helpers.c|-lm|aarch64/float_madds.ref||"
"fcvt|arm/fcvt.c|-lm|aarch64/fcvt.ref||"
"sha1|multiarch/sha1.c||||"
"sha512|multiarch/sha512.c||||"
"sha1-vector|multiarch/sha1.c|-O3||||"
"sha512-vector|multiarch/sha512.c|-O3||||"
"sigbus|multiarch/sigbus.c||||"
"signals|multiarch/signals.c|-lpthread|||n/a: threads: clone with CLONE_THREAD is outside the user-mode board of this issue"
"test-mmap|multiarch/test-mmap.c||||"
"testthread|multiarch/testthread.c|-lpthread|||n/a: threads: clone with CLONE_THREAD is outside the user-mode board of this issue"
"threadcount|multiarch/threadcount.c|-lpthread|||n/a: threads: clone with CLONE_THREAD is outside the user-mode board of this issue"
"munmap-pthread|multiarch/munmap-pthread.c|-lpthread|||n/a: threads: clone with CLONE_THREAD is outside the user-mode board of this issue"
"overflow|multiarch/overflow.c||||"
"linux-test|multiarch/linux/linux-test.c||||n/a: needs pselect6, sockets, clone(CLONE_VM) and SysV shm, which the user-mode board does not have"
"linux-madvise|multiarch/linux/linux-madvise.c||||known: MADV_DONTNEED does not re-read a private file mapping from its file (anonymous pages are zeroed)"
"pcalign-a64|aarch64/pcalign-a64.c||||"
"pauth-1|aarch64/pauth-1.c|-march=armv8.3-a||status|"
"pauth-2|aarch64/pauth-2.c|-march=armv8.3-a||||--cpu v8.3"
"pauth-4|aarch64/pauth-4.c|-march=armv8.3-a||status||--cpu v9.0,+FEAT_PAuth2"
"pauth-5|aarch64/pauth-5.c|-march=armv8.3-a||||--cpu v9.0,+FEAT_PAuth2"
"bti-1|aarch64/bti-1.c|-mbranch-protection=standard -nostdlib|||n/a: its SIGILL handler returns with PSTATE M[3:0]=1, which Linux refuses (SIGSEGV, arm64 valid_user_regs) and qemu-user accepts"
"bti-2|aarch64/bti-2.c||||n/a: its SIGILL handler returns with PSTATE M[3:0]=1, which Linux refuses (SIGSEGV, arm64 valid_user_regs) and qemu-user accepts"
"bti-3|aarch64/bti-3.c|-mbranch-protection=standard -nostdlib|||n/a: its SIGILL handler returns with PSTATE M[3:0]=1, which Linux refuses (SIGSEGV, arm64 valid_user_regs) and qemu-user accepts"
"mte-1|aarch64/mte-1.c|-march=armv8.5-a+memtag|||n/a: FEAT_MTE is not implemented"
"mte-2|aarch64/mte-2.c|-march=armv8.5-a+memtag|||n/a: FEAT_MTE is not implemented"
"mte-3|aarch64/mte-3.c|-march=armv8.5-a+memtag|||n/a: FEAT_MTE is not implemented"
"mte-4|aarch64/mte-4.c|-march=armv8.5-a+memtag|||n/a: FEAT_MTE is not implemented"
"mte-5|aarch64/mte-5.c|-march=armv8.5-a+memtag|||n/a: FEAT_MTE is not implemented"
"mte-6|aarch64/mte-6.c|-march=armv8.5-a+memtag|||n/a: FEAT_MTE is not implemented"
"mte-7|aarch64/mte-7.c|-march=armv8.5-a+memtag|||n/a: FEAT_MTE is not implemented"
"sysregs|aarch64/sysregs.c|-march=armv8.1-a+sve|||n/a: its masks are an older kernel's user view; Linux 6.1 also shows ISAR0.TLB, ISAR1.I8MM/BF16/SB/FRINTTS and PFR1.BT, which this CPU has"
"sve-ioctls|aarch64/sve-ioctls.c|-march=armv8.1-a+sve|||n/a: FEAT_SVE is not implemented (nor its prctl/ptrace interface)"
)

passed=0; failed=0; na=0; known=0
lines=()
for t in "${TESTS[@]}"; do
    IFS='|' read -r name srcs flags ref compare why opts <<<"$t"
    args=""
    bin=$B/$name
    opt=-O0
    case " $flags " in *" -O3 "*) opt=-O3 ;; esac
    paths=()
    for s in $srcs; do paths+=("$T/$s"); done
    # shellcheck disable=SC2086
    if ! err=$($CC $opt -g -fno-strict-aliasing -static -I"$T/aarch64" -I"$T/multiarch" \
        "${paths[@]}" -o "$bin" ${flags//-O3/} 2>&1); then
        lines+=("n/a $name: does not build with $($CC -dumpfullversion): $(echo "$err" | grep -m1 error)")
        na=$((na + 1))
        continue
    fi
    # shellcheck disable=SC2086
    ours=$(cd "$B" && timeout 120 "$SPECULA" run $opts "$bin" $args 2>/dev/null; echo "status=$?")
    if [ -n "$ref" ]; then
        want=$(cat "$T/$ref"; echo "status=0")
        against=".ref"
    else
        # shellcheck disable=SC2086
        want=$(cd "$B" && timeout 120 qemu-aarch64 -cpu max "$bin" $args 2>/dev/null; echo "status=$?")
        against="qemu-aarch64"
    fi
    # Addresses the kernel chose (mmap results) differ between any two runs: compare the rest.
    norm() { sed -E 's/0x[0-9a-f]{8,16}/0xADDR/g'; }
    if [ "$compare" = status ]; then
        ours=$(echo "$ours" | grep -o 'status=[0-9]*$')
        want=$(echo "$want" | grep -o 'status=[0-9]*$')
    fi
    if [ "$(echo "$ours" | norm)" == "$(echo "$want" | norm)" ]; then
        lines+=("pass $name")
        passed=$((passed + 1))
    elif [ "${why#n/a: }" != "$why" ]; then
        lines+=("n/a $name: ${why#n/a: }")
        na=$((na + 1))
    elif [ "${why#known: }" != "$why" ]; then
        lines+=("FAIL (known) $name: ${why#known: }")
        known=$((known + 1))
    else
        detail=$( (diff <(echo "$want") <(echo "$ours") || true) | grep '^[<>]' | head -2 | tr '\n' ' ' | cut -c1-200)
        lines+=("FAIL $name: differs from $against: $detail")
        failed=$((failed + 1))
    fi
done

{
    echo "# QEMU 7.2's tests/tcg (multiarch, aarch64) under specula run, against each test's"
    echo "# .ref file or qemu-aarch64 -cpu max (conformance/tcg-tests.sh writes this file)."
    echo "# Source: $(cat "$DEST/.fetched"); compiler: $($CC -dumpfullversion)."
    echo "tcg: $passed passed, $((failed + known)) failed ($known known), $na not applicable"
    printf '%s\n' "${lines[@]}"
} >"$BOARD"
cat "$BOARD"
[ "$failed" -eq 0 ]
