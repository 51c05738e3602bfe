#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Host-side checks of the project's rules, as KTAP: kernel rustfmt style, no
# `unsafe` outside rust/, a SAFETY comment on every unsafe block of rust/, an
# SPDX line in every source file, formatted tools/ crates, and netlink specs
# that validate and agree with the code (spec-check.py).
#
# usage: lint.sh OUTPUT_KTAP
set -uo pipefail
. "$(dirname "$0")/../build/env.sh"
cd "$PVIO_ROOT" || exit 1
out=$1
n=0

result() { # status description [details]
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n lint: $2"
	else
		echo "not ok $n lint: $2 # ${3:-see above}"
	fi
}

{
	echo "TAP version 13"

	# net.rs, sync.rs and lib.rs are left out: rustfmt follows their `mod` lines to files
	# (phy.rs, arc.rs) that only the kernel tree has.
	mapfile -t kernel_rs < <(git ls-files 'rust/*.rs' 'samples/*.rs' 'vke/*.rs' \
		'vnic_failover/*.rs' 'irq_balancer/*.rs' | grep -vE '^rust/kernel/(net|sync|lib)\.rs$')
	bad=$(rustfmt --config-path "$PVIO_KSRC/.rustfmt.toml" --edition 2021 --check \
		"${kernel_rs[@]}" 2>&1 | grep '^Diff in' | sed 's/^Diff in //; s/ at line.*//' | sort -u)
	result "$([ -z "$bad" ]; echo $?)" "kernel Rust code follows the kernel's rustfmt style" "$(echo $bad)"

	bad=$(cd tools && "$(pvio_cargo)" fmt --all --check 2>&1 | grep '^Diff in' | sort -u)
	result "$([ -z "$bad" ]; echo $?)" "tools/ crates are rustfmt-clean" "$(echo $bad | head -c 300)"

	bad=$(git grep -nwE 'unsafe' -- 'vke/*.rs' 'vnic_failover/*.rs' 'irq_balancer/*.rs' \
		'samples/*.rs' | grep -vE "^[^:]+:[0-9]+:[[:space:]]*//")
	result "$([ -z "$bad" ]; echo $?)" "modules hold no unsafe code" "$(echo $bad | head -c 300)"

	# Each `unsafe {` / `unsafe impl` needs "SAFETY:" in the comment lines right above.
	bad=$(for f in $(git ls-files 'rust/*.rs'); do
		awk -v f="$f" '
		/^[[:space:]]*\/\// { if ($0 ~ /SAFETY:/) safety = 1; next }
		/unsafe (\{|impl)/ && !/^[[:space:]]*\/\/\// { if (!safety) print f ":" NR; }
		{ if ($0 !~ /^[[:space:]]*$/) safety = 0 }' "$f"
	done)
	result "$([ -z "$bad" ]; echo $?)" "every unsafe block and impl in rust/ has a SAFETY comment" "$(echo $bad)"

	bad=$(python3 tools/testing/spec-check.py "$PVIO_KSRC" 2>&1)
	result "$([ -z "$bad" ]; echo $?)" "netlink specs follow the kernel's schema, and code uses their numbers" \
		"$(echo $bad | head -c 300)"

	bad=$(git ls-files '*.rs' '*.c' '*.h' '*.sh' '*.py' '*.yaml' 'Makefile' '*/Makefile' 'Kbuild' \
		'*/Kbuild' '*.mk' '*.config' '*.toml' '*.rst' '.ci/run' | while read -r f; do
		head -n 3 "$f" | grep -qE 'SPDX-License-Identifier: .*GPL-2.0' || echo "$f"
	done)
	result "$([ -z "$bad" ]; echo $?)" "every source file has an SPDX line" "$(echo $bad)"

	echo "1..$n"
} | tee "$out"
