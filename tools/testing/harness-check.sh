#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Checks that the VM runner caught the reports the harness suite provoked
# (selftests/harness): a test that provokes nothing passes, while a WARN, a
# KASAN report and a kmemleak leak each turn into a failure. Writes KTAP.
#
# usage: harness-check.sh HARNESS_KTAP OUTPUT_KTAP
set -uo pipefail

in=$1 out=$2
n=0 fails=0
check() { # description regex
	n=$((n + 1))
	if grep -Eq -- "$2" "$in" 2>/dev/null; then
		echo "ok $n harness: $1"
	else
		fails=$((fails + 1))
		echo "not ok $n harness: $1 # no line /$2/ in $in"
	fi
}

{
	echo "TAP version 13"
	check "a test that provokes nothing passes" '^ok [0-9]+ harness:clean\.sh$'
	check "a WARN from a test-only module fails the test" \
		'^not ok [0-9]+ harness:warn\.sh # kernel report: .*WARNING: '
	check "a KASAN report fails the test" \
		'^not ok [0-9]+ harness:kasan\.sh # kernel report: .*BUG: KASAN: '
	check "a leaked object fails the suite's kmemleak check" \
		'^not ok [0-9]+ harness:kmemleak # [1-9][0-9]* leaked objects'
	echo "1..$n"
} | tee "$out"
