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

# Reports one KTAP result from the status of the last command, followed by
# the time since the previous result, so a slow machine shows where it spent
# the suite's timeout.
PVIO_RESULT_AT=${EPOCHREALTIME/./}
pvio_result() {
	local status=$1 description=$2 now=${EPOCHREALTIME/./}
	if [ "$status" -eq 0 ]; then
		ktap_test_pass "$description"
	else
		ktap_test_fail "$description"
	fi
	ktap_print_msg "took $(((now - PVIO_RESULT_AT) / 1000)) ms"
	PVIO_RESULT_AT=$now
}

# The VM's test adapters (tools/testing/vm.sh): virtio-net PCI functions with
# MSI-X on one QEMU hub, found by their permanent MAC 52:54:00:5e:00:0N.
PVIO_TEST_NIC_MAC=52:54:00:5e:00

# Prints the name of test adapter N (1-3) in the current namespace, by its
# permanent address, which survives enslavement to a device that changes the
# current one.
pvio_test_nic() {
	ip -j link show | jq -r --arg mac "$PVIO_TEST_NIC_MAC:0$1" \
		'.[] | select((.permaddr // .address) == $mac) | .ifname' | head -n 1
}

# Prints the PCI function (sysfs directory) behind a network device.
pvio_pci_function() {
	local dev
	dev=$(readlink -f "/sys/class/net/$1/device") || return 1
	# virtio-net hangs off a virtio device whose parent is the PCI function.
	while [ "$dev" != /sys/devices ] && [ -n "$dev" ]; do
		[ "$(readlink -f "$dev/subsystem")" = /sys/bus/pci ] && { echo "$dev"; return 0; }
		dev=${dev%/*}
	done
	return 1
}

# Prints the network devices (one per line, this namespace) of the PCI function
# QEMU created with device id $1 (-device ...,id=ID), found through QMP's
# query-pci: names change on every hot-remove and rescan, QEMU ids do not.
pvio_qdev_netdevs() {
	local slot fn path
	read -r slot fn < <(pvio_qmp '{"execute": "query-pci"}' | jq -r --arg id "$1" \
		'.return[].devices[] | select(.qdev_id == $id) | "\(.slot) \(.function)"')
	[ -n "$slot" ] || return 1
	path=$(printf '/sys/bus/pci/devices/0000:00:%02x.%x' "$slot" "$fn")
	[ -d "$path" ] || return 1
	# net/NAME for a NIC driven from its PCI function, virtioN/net/NAME for virtio.
	find "$path/" -maxdepth 3 -mindepth 2 -path '*/net/*' ! -path '*/net/*/*' -printf '%f\n'
}

# Opens the QEMU monitor (QMP) that vm.sh gives the guest on the virtio serial
# port org.pvio.qmp, as file descriptor 7. Commands sent there act outside the
# guest: `set_link` changes a NIC's link as a cable would.
pvio_qmp_open() {
	local port line
	port=$(grep -lx org.pvio.qmp /sys/class/virtio-ports/*/name 2>/dev/null) || return 1
	port=${port%/name}
	exec 7<>"/dev/${port##*/}" || return 1
	# The greeting comes once per VM: an earlier user may have read it.
	read -t 2 -r line <&7
	pvio_qmp '{"execute": "qmp_capabilities"}' >/dev/null 2>&1
	pvio_qmp '{"execute": "query-status"}' >/dev/null
}

# Sends one QMP command and prints its reply; skips the asynchronous events
# that may come first. Fails on an error reply or no reply within 10 s.
pvio_qmp() {
	local line
	echo "$1" >&7 || return 1
	while read -t 10 -r line <&7; do
		case $line in
		*'"return"'*) echo "$line"; return 0 ;;
		*'"error"'*) echo "qmp: $line" >&2; return 1 ;;
		esac
	done
	echo "qmp: no reply to $1" >&2
	return 1
}

# Sets a test adapter's link (by QEMU device id, e.g. pnic0) up or down.
pvio_qmp_set_link() { # id true|false
	pvio_qmp "{\"execute\": \"set_link\", \"arguments\": {\"name\": \"$1\", \"up\": $2}}" >/dev/null
}

# Makes test adapter N's path dead while its link stays up, as a blocked
# switch port would: a QEMU filter-buffer on its hub port (hubN) holds every
# frame in both directions for 1000 s. pvio_qmp_unblock drops the filter and
# what it held.
pvio_qmp_block() { # N
	pvio_qmp "{\"execute\": \"object-add\", \"arguments\": {\"qom-type\": \"filter-buffer\", \"id\": \"pvio-block$1\", \"netdev\": \"hub$1\", \"interval\": 1000000000}}" >/dev/null
}
pvio_qmp_unblock() { # N
	pvio_qmp "{\"execute\": \"object-del\", \"arguments\": {\"id\": \"pvio-block$1\"}}" >/dev/null
}
