#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs selftest suites inside the guest and writes a KTAP report.
#
# usage: ksft-run.sh [--no-boot-checks] RESULTS_DIR SUITE...
#
# Each test runs with its suite's timeout (from `settings`, 45 s if none, as in
# the kernel's runner). A test fails on a non-zero exit, on a timeout, or when
# the kernel log shows a KASAN, lockdep, kmemleak, BUG, WARN or Oops report
# while it ran; each suite ends with a kmemleak scan that is a test of its own.
# Unless told otherwise, the boot log and the Rust KUnit doctests
# (rust_doctests_kernel) are checked first. RESULTS_DIR gets ktap.txt, dmesg.txt, and per test its output and the
# kernel log of its run.

set -u
root=$(cd "$(dirname "$0")/../../.." && pwd)
selftests=$root/tools/testing/selftests
boot_checks=yes
[ "$1" = --no-boot-checks ] && { boot_checks=no; shift; }
out=$1
shift
ktap=$out/ktap.txt
kmsg=$out/dmesg.txt
mkdir -p "$out"
: >"$ktap"

# The kernel reports that fail the test during which they appear.
# shellcheck source=../selftests/pvio_lib.sh
. "$selftests/pvio_lib.sh"

testno=0
report() { # result name [directive]
	testno=$((testno + 1))
	echo "$1 $testno $2${3:+ # $3}" | tee -a "$ktap"
}

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug

# The whole kernel log of the run, followed as it grows.
dmesg --follow >"$kmsg" &
follower=$!
trap 'kill $follower 2>/dev/null' EXIT

# Waits until the follower has written a marker line.
kmsg_sync() {
	local i
	for i in $(seq 100); do
		grep -qF "$1" "$kmsg" && return 0
		sleep 0.1
	done
	return 1
}

# Prints the kernel log lines between two markers.
kmsg_between() {
	sed -n "/$1\$/,/$2\$/p" "$kmsg"
}

# Checks a kernel log excerpt for reports; prints the first one.
splat_in() {
	grep -Em1 -- "$PVIO_KERNEL_REPORTS" "$1"
}

echo "TAP version 13" >"$ktap"

# 1. The boot itself must be clean.
dmesg --notime >"$out/boot.dmesg"
if [ "$boot_checks" = no ]; then
	:
elif s=$(splat_in "$out/boot.dmesg"); then
	report "not ok" "boot: kernel log clean" "kernel report: $s"
else
	report "ok" "boot: kernel log clean"
fi

# 2. Rust doctests of the kernel crate, run by KUnit at boot. Those of the files
# that rust/ adds are reported one by one, the upstream ones as one test.
kunit_doctests() {
	local ours
	ours=$(cd "$root/rust/kernel" && find . -name '*.rs' | sed 's|^\./||; s|[/.]|_|g')
	awk -v ours="$ours" '
	BEGIN { n = split(ours, a, "\n"); for (i = 1; i <= n; i++) mine[a[i]] = 1 }
	match($0, /^ *(not )?ok [0-9]+ rust_doctest_kernel_[a-z0-9_]+/) {
		line = substr($0, RSTART, RLENGTH); sub(/^ */, "", line)
		res = (line ~ /^not /) ? "not ok" : "ok"
		name = line; sub(/^(not )?ok [0-9]+ /, "", name)
		file = name; sub(/^rust_doctest_kernel_/, "", file); sub(/_[0-9]+$/, "", file)
		if (file in mine) print res "\t" name
		else { up++; if (res != "ok") upf++ }
	}
	END { print "upstream\t" up + 0 "\t" upf + 0 }' "$out/boot.dmesg"
}
if [ "$boot_checks" = yes ]; then
	while IFS=$'\t' read -r result name failures; do
		if [ "$result" != upstream ]; then
			report "$result" "kunit: $name"
		elif [ "$name" -eq 0 ]; then
			report "not ok" "kunit: rust_doctests_kernel" "no KUnit doctest results in the boot log"
		elif [ "$failures" -eq 0 ]; then
			report "ok" "kunit: $name upstream kernel crate doctests"
		else
			report "not ok" "kunit: $name upstream kernel crate doctests" "$failures failed"
		fi
	done < <(kunit_doctests)
fi

# kmemleak reports after boot are not the tests' doing.
kmemleak=/sys/kernel/debug/kmemleak
[ -e $kmemleak ] && echo clear 2>/dev/null >$kmemleak

run_test() { # suite test
	local suite=$1 test=$2 timeout=45 rc result directive=
	local dir=$selftests/$suite log=$out/$suite/$test
	mkdir -p "$out/$suite"
	[ -f "$dir/settings" ] && timeout=$(sed -n 's/^timeout=//p' "$dir/settings")
	local begin="ksft-run: begin $suite:$test" end="ksft-run: end $suite:$test"
	echo "$begin" >/dev/kmsg
	(cd "$dir" && timeout -k 10 "$timeout" "./$test") >"$log.log" 2>&1
	rc=$?
	echo "$end" >/dev/kmsg
	kmsg_sync "$end" || echo "ksft-run: kernel log follower lagging" >>"$log.log"
	kmsg_between "$begin" "$end" >"$log.dmesg"
	sed 's/^/# /' "$log.log"
	result=ok
	case $rc in
	0)
		# A test whose every subtest skipped has skipped, not passed.
		grep -q '^# Totals: pass:0 .*skip:[1-9]' "$log.log" && directive="SKIP all subtests skipped"
		;;
	4) directive="SKIP $(grep -m1 -E '^1\.\.0 # SKIP|SKIP' "$log.log" | sed 's/.*SKIP *//')" ;;
	124 | 137) result="not ok" directive="timeout after ${timeout}s" ;;
	*) result="not ok" directive="exit code $rc" ;;
	esac
	if s=$(splat_in "$log.dmesg"); then
		result="not ok" directive="kernel report: $s"
	fi
	report "$result" "$suite:$test" "$directive"
}

# A leak shows up in kmemleak once the object is 5 s old and a scan ran. It
# takes two scans: SLUB leaves free-list pointers in new objects, so leaked
# objects form a chain that a single stale pointer to its head (on a stack)
# hides from the first scan. A disabled kmemleak (it turns itself off on
# internal errors) refuses the scan, which fails the check rather than
# passing it silently.
kmemleak_check() { # suite
	local report=$out/$1/kmemleak.txt
	mkdir -p "$out/$1"
	if [ ! -e $kmemleak ]; then
		report ok "$1:kmemleak" "SKIP kernel built without kmemleak"
		return
	fi
	sleep 6
	if ! { echo scan >$kmemleak && echo scan >$kmemleak; } 2>/dev/null; then
		report "not ok" "$1:kmemleak" "kmemleak is disabled: $(dmesg | grep -m1 'kmemleak:.*disabled')"
		return
	fi
	cat $kmemleak >"$report"
	if [ -s "$report" ]; then
		sed 's/^/# /' "$report" | head -40
		report "not ok" "$1:kmemleak" "$(grep -c 'unreferenced object' "$report") leaked objects"
	else
		report ok "$1:kmemleak"
	fi
	echo clear >$kmemleak
}

for suite in "$@"; do
	tests=$(make -s -C "$selftests/$suite" emit_tests 2>&1) || {
		report "not ok" "$suite" "cannot list tests: $tests"
		continue
	}
	for t in $tests; do
		run_test "$suite" "${t#*:}"
	done
	kmemleak_check "$suite"
done

echo "1..$testno" >>"$ktap"
sync
