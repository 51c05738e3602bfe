#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Exercises samples/rust_netdev_notifier, and through it the netdevice notifier
# abstraction (kernel::net::notifier) and kernel::net::dev::Device: every
# netdevice event driven from user space must reach the handler with the
# device's current name, index, MTU and state, a PRE_UP veto must reach user
# space as EPERM, and unloading must unregister the notifier.

source "$(dirname "$0")/../pvio_lib.sh"

MOD=rust_netdev_notifier
LOG="$MOD: "
ko=$(pvio_module_path samples/$MOD)

cleanup() {
	ip link del ntfy0 2>/dev/null
	ip link del ntfy1 2>/dev/null
	ip link del veto0 2>/dev/null
	rmmod $MOD 2>/dev/null
}
trap cleanup EXIT

ktap_print_header
[ "$(id -u)" -eq 0 ] || ktap_skip_all "needs root"
[ "$(id -u)" -eq 0 ] || exit "$KSFT_SKIP"
ktap_set_plan 10
[ -f "$ko" ] || ktap_exit_fail_msg "$ko is not built: run make modules"

mark=$(pvio_kmsg_mark)
insmod "$ko"
pvio_result $? "module loads"

pvio_kmsg_has "$mark" "${LOG}lo \(ifindex 1, mtu 65536, running true, carrier true\): Register$"
pvio_result $? "registration replays the existing loopback device"

ip link add ntfy0 type dummy
idx=$(cat /sys/class/net/ntfy0/ifindex)
pvio_kmsg_has "$mark" "${LOG}ntfy0 \(ifindex $idx, mtu 1500, running false, carrier [a-z]+\): Register$"
pvio_result $? "a new device is reported with its name, index and MTU"

ip link set ntfy0 up &&
	pvio_kmsg_has "$mark" "${LOG}ntfy0 \(ifindex $idx, mtu 1500, running false, carrier [a-z]+\): PreUp$" &&
	pvio_kmsg_has "$mark" "${LOG}ntfy0 \(ifindex $idx, mtu 1500, running true, carrier [a-z]+\): Up$"
pvio_result $? "bringing it up reports PreUp, then Up with running true"

ip link set ntfy0 mtu 1400 &&
	pvio_kmsg_has "$mark" "${LOG}ntfy0 \(ifindex $idx, mtu 1500, .*\): PreChangeMtu$" &&
	pvio_kmsg_has "$mark" "${LOG}ntfy0 \(ifindex $idx, mtu 1400, .*\): ChangeMtu$"
pvio_result $? "an MTU change reports PreChangeMtu with the old MTU, ChangeMtu with the new"

ip link set ntfy0 down && ip link set ntfy0 name ntfy1 &&
	pvio_kmsg_has "$mark" "${LOG}ntfy1 \(ifindex $idx, .*\): ChangeName$"
pvio_result $? "a rename reports ChangeName with the new name"

ip link add veto0 type dummy
err=$(ip link set veto0 up 2>&1)
rc=$?
[ $rc -ne 0 ] && [[ "$err" == *"Operation not permitted"* ]] &&
	! ip -o link show veto0 | grep -q '[<,]UP[,>]'
pvio_result $? "the PreUp veto refuses veto0 with EPERM (got rc=$rc: $err)"

ip link del ntfy1 &&
	pvio_kmsg_has "$mark" "${LOG}ntfy1 \(ifindex $idx, .*\): Unregister$"
pvio_result $? "deleting a device reports Unregister"

! pvio_kmsg_has "$mark" "${LOG}.*: Other\([0-9]+\)$"
pvio_result $? "every event driven here has a name (no Other(n))"

rmmod $MOD &&
	pvio_kmsg_has "$mark" "${LOG}unloading after [0-9]+ events, 1 vetoes$" &&
	ip link set veto0 up
pvio_result $? "unloading unregisters the notifier: veto0 comes up afterwards"

ktap_finished
