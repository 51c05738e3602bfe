#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Exercises samples/rust_netdev_dummy, and through it the link-type abstraction
# (kernel::net::link) and SkBuff: devices of the type are created and deleted
# with ip link, get a random locally administered MAC, count every packet
# they transmit in their statistics, and all go away with the module.

source "$(dirname "$0")/../pvio_lib.sh"

MOD=rust_netdev_dummy
ko=$(pvio_module_path samples/$MOD)

cleanup() {
	ip link del rd0 2>/dev/null
	ip link del rd1 2>/dev/null
	rmmod $MOD 2>/dev/null
}
trap cleanup EXIT

tx() { # device field
	ip -s -j link show "$1" | jq ".[0].stats64.tx.$2"
}

ktap_print_header
[ "$(id -u)" -eq 0 ] || ktap_skip_all "needs root"
[ "$(id -u)" -eq 0 ] || exit "$KSFT_SKIP"
ktap_set_plan 8
[ -f "$ko" ] || ktap_exit_fail_msg "$ko is not built: run make modules"

insmod "$ko" && ip link add rd0 type rust_dummy && ip link add rd1 type rust_dummy
pvio_result $? "the module loads and ip link creates two rust_dummy devices"

mac=$(ip -j link show rd0 | jq -r '.[0].address')
first=$((16#${mac:0:2}))
[ $((first & 2)) -eq 2 ] && [ $((first & 1)) -eq 0 ] &&
	[ "$mac" != "$(ip -j link show rd1 | jq -r '.[0].address')" ]
pvio_result $? "each gets its own random, locally administered unicast MAC ($mac)"

ip -d -j link show rd0 | jq -e '.[0].linkinfo.info_kind == "rust_dummy" and
	(.[0].flags | index("NOARP"))' >/dev/null
pvio_result $? "ip -d shows the kind and the NOARP flag"

ip link set rd0 up && ip addr add 198.51.100.1/24 dev rd0 &&
	ping -q -c 5 -i 0.2 -W 1 198.51.100.2 >/dev/null 2>&1
packets=$(tx rd0 packets) bytes=$(tx rd0 bytes)
[ "$packets" -ge 5 ] && [ "$bytes" -ge $((5 * 98)) ]
pvio_result $? "transmitted packets are counted (5 pings: $packets packets, $bytes bytes)"

[ "$(tx rd1 packets)" -eq 0 ]
pvio_result $? "an idle device counts nothing"

err=$(ip link add rd9 address 01:00:5e:00:00:01 type rust_dummy 2>&1)
rc=$?
[ $rc -ne 0 ] && [[ "$err" == *"address must be a unicast Ethernet address"* ]] &&
	! ip link show rd9 >/dev/null 2>&1
pvio_result $? "a multicast address is refused with an extack message (got: $err)"

ip link del rd1 && ! ip link show rd1 >/dev/null 2>&1
pvio_result $? "ip link del removes a device"

rmmod $MOD && ! ip link show rd0 >/dev/null 2>&1 &&
	! ip link add rd2 type rust_dummy 2>/dev/null
pvio_result $? "unloading removes the remaining device and the type"

ktap_finished
