# SPDX-License-Identifier: GPL-2.0
#
# Helpers shared by the project's selftests; sourced by each test script.
# Brings in the kernel's own ktap_helpers.sh and net/lib.sh from the cached
# 6.12 tree, so tests print KTAP the way in-tree selftests do.

PVIO_SELFTESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../../build/env.sh
. "$PVIO_SELFTESTS/../../build/env.sh"
KSFT_KERNEL=$PVIO_KSRC/tools/testing/selftests
# shellcheck disable=SC1091
. "$KSFT_KERNEL/kselftest/ktap_helpers.sh"
# shellcheck disable=SC1091
. "$KSFT_KERNEL/net/lib.sh"

# Kernel log lines that mean a test broke the kernel: KASAN, lockdep, WARN,
# BUG, Oops, kmemleak, list corruption, hung tasks (extended regex).
PVIO_KERNEL_REPORTS='BUG: |WARNING: |Oops|kernel BUG at|general protection fault|UBSAN:|Kernel panic|unreferenced object|list_(add|del) corruption|INFO: task .* blocked|possible (recursive|circular) locking|inconsistent lock state|sleeping function called from invalid context'

# Path of a module built by `make modules`, e.g. samples/rust_netdev_notifier.
pvio_module_path() {
	echo "$PVIO_ROOT/$1.ko"
}

# Writes a unique marker into the kernel log and prints it; see pvio_kmsg_since.
pvio_kmsg_mark() {
	local mark="pvio-mark-$$-$RANDOM-$(date +%s%N)"
	echo "$mark" >/dev/kmsg
	echo "$mark"
}

# Prints the kernel log after a marker, without timestamps.
pvio_kmsg_since() {
	dmesg --notime | sed -n "/$1/,\$p"
}

# Succeeds when a kernel log line after the marker matches the extended regex.
pvio_kmsg_has() {
	pvio_kmsg_since "$1" | grep -Eq -- "$2"
}

# Reports one KTAP result from the status of the last command.
pvio_result() {
	local status=$1 description=$2
	if [ "$status" -eq 0 ]; then
		ktap_test_pass "$description"
	else
		ktap_test_fail "$description"
	fi
}
