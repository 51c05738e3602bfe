#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The README's test command (`make check`). From a bare machine of the
# supported kind it installs what is missing, builds what is stale (test
# kernel, modules, host crates), runs the host unit tests, boots the test
# kernel under TCG and runs every selftest suite, the Rust KUnit doctests and
# the harness self-test there (a suite that needs another machine, per its
# vm.conf, in a boot of its own). Everything is kept in results/<run>/.
# The last line is "N passed, N failed, N skipped"; the exit status is non-zero
# on any failure.
set -uo pipefail
. "$(dirname "$0")/../build/env.sh"
cd "$PVIO_ROOT" || exit 1

run=$(date +%Y%m%d-%H%M%S)
results=$PVIO_ROOT/results/$run
mkdir -p "$results"
ln -sfn "$run" "$PVIO_ROOT/results/latest"
passed=0 failed=0 skipped=0
start=$(date +%s)

note() {
	printf '[%5ss] %s\n' "$(($(date +%s) - start))" "$*" | tee -a "$results/check.log"
}

summary() {
	note "results in $results"
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
	exit
}

# Runs one build step; a failure is counted and shown with its log's tail.
step() { # name command...
	local name=$1
	shift
	note "$name"
	if ! "$@" >"$results/$name.log" 2>&1; then
		failed=$((failed + 1))
		tail -n 40 "$results/$name.log"
		note "FAIL $name (log: $results/$name.log)"
		return 1
	fi
}

# Adds a KTAP report's results to the totals (see tools/ktap); a missing or
# unreadable report counts as a failure.
add_ktap() { # file
	local report p f s
	if ! report=$("$ktap_summary" "$1"); then
		failed=$((failed + 1))
		note "FAIL no readable report $1"
		return
	fi
	sed '$d' <<<"$report" | tee -a "$results/check.log"
	read -r p f s < <(tail -n 1 <<<"$report")
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

step setup tools/build/setup.sh || summary
step kernel tools/build/kernel.sh test || summary
step modules tools/build/modules.sh test || summary

cargo=$(pvio_cargo)
step host-build "$cargo" build --manifest-path tools/Cargo.toml --workspace --all-targets || summary
ktap_summary=$PVIO_ROOT/tools/target/debug/ktap-summary

# Host unit tests: cargo prints one "test result:" line per test binary.
note "host: cargo test"
"$cargo" test --manifest-path tools/Cargo.toml --workspace >"$results/host-tests.log" 2>&1
host_rc=$?
grep -E '^test .* \.\.\. (FAILED|ignored)' "$results/host-tests.log"
read -r p f s < <(awk '/^test result:/ { p += $4; f += $6; s += $8 } END { print p + 0, f + 0, s + 0 }' \
	"$results/host-tests.log")
passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
note "host: $p passed, $f failed, $s ignored"
if [ "$host_rc" -ne 0 ] && [ "$f" -eq 0 ]; then
	failed=$((failed + 1))
	tail -n 30 "$results/host-tests.log"
fi

note "host: lint"
tools/testing/lint.sh "$results/lint.ktap" >/dev/null
add_ktap "$results/lint.ktap"

# The VM: the project's suites, then the harness self-test suite last, so its
# deliberate reports cannot touch the project's results. A suite whose
# directory has a `vm.conf` ("cpus=N nics=N": irq_balancer wants 4 NICs)
# gets a boot of its own with that machine, after the shared one.
suites= own=
for d in tools/testing/selftests/*/; do
	d=${d%/}
	d=${d##*/}
	[ -f "tools/testing/selftests/$d/Makefile" ] && [ "$d" != harness ] || continue
	if [ -f "tools/testing/selftests/$d/vm.conf" ]; then own+=" $d"; else suites+=" $d"; fi
done
suites=${suites# } own=${own# }
# A guest that hangs (a kernel deadlock) must not hang the run: the tests
# inside have their own timeouts, this bounds each boot. The bound is what is
# left of the run's budget (CI allows 90 minutes; 88 leaves time to report),
# so a slow machine gets all of it: the VM took 34 minutes on the development
# machine under load, and more than 40 on a CI machine.
budget=${PVIO_CHECK_BUDGET:-5280}
vm_timeout() {
	local t=${PVIO_VM_TIMEOUT:-$((budget - ($(date +%s) - start) - 60))}
	[ "$t" -ge 600 ] || t=600
	echo "$t"
}
note "vm: booting the test kernel; suites: $suites"
mkdir -p "$results/vm" "$results/harness"
t=$(vm_timeout)
note "vm: at most ${t}s"
timeout -k 30 "$t" tools/testing/vm.sh --rwdir "$results" \
	--exec "tools/testing/vm/ksft-run.sh $results/vm $suites;
		tools/testing/vm/ksft-run.sh --no-boot-checks $results/harness harness" \
	2>&1 | tee "$results/vm-console.log"
note "vm: done"
add_ktap "$results/vm/ktap.txt"
for d in $own; do
	cpus=2 nics=3
	# shellcheck disable=SC1090
	. "tools/testing/selftests/$d/vm.conf"
	t=$(vm_timeout)
	note "vm: booting the test kernel for $d ($cpus vCPUs, $nics NICs, at most ${t}s)"
	mkdir -p "$results/vm-$d"
	timeout -k 30 "$t" tools/testing/vm.sh --cpus "$cpus" --nics "$nics" --rwdir "$results" \
		--exec "tools/testing/vm/ksft-run.sh --no-boot-checks $results/vm-$d $d" \
		2>&1 | tee "$results/vm-$d-console.log"
	note "vm: $d done"
	add_ktap "$results/vm-$d/ktap.txt"
done
tools/testing/harness-check.sh "$results/harness/ktap.txt" "$results/harness-check.ktap" >/dev/null
add_ktap "$results/harness-check.ktap"

summary
