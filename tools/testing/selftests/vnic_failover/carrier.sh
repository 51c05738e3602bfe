#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A member's carrier loss, while linkwatch holds it back. Linkwatch reports a
# carrier change to the notifier at once only for LAG ports and stacked
# devices (veth); for a NIC or a VF it waits until a second has passed since
# its previous run. The vNIC must not wait with it: it reads its members'
# carrier at each tick, and the data path kicks the timer as soon as it finds
# the active member without carrier.
#
# Members are dummy devices (no iflink, so not urgent for linkwatch; their
# carrier is set through sysfs). Another dummy, d0, makes linkwatch run just
# before the active member loses carrier, so that loss waits about a second
# in linkwatch. Linkwatch sets a device's operstate before it notifies, so a
# switch seen while the old member's operstate is not yet "down" came before
# the notifier. The timing loop runs in one shell, on builtins only: a process
# takes a few hundred milliseconds to start under TCG.

source "$(dirname "$0")/../pvio_lib.sh"
source "$(dirname "$0")/vnic_lib.sh"

MOD=vnic_failover
ko=$(pvio_module_path vnic_failover/$MOD)
pvio=$PVIO_ROOT/tools/target/debug/pvio
H=vcar-h-$$
sys=/sys/class/net/vnic0/vnic_failover

cleanup() {
	ip netns del "$H" 2>/dev/null
	rmmod $MOD 2>/dev/null
}
trap cleanup EXIT

# Makes linkwatch run (d0's carrier toggles, waited for through its
# operstate), drops $1's carrier and, without a process start, waits up to 5 s
# for vnic0 to make $2 active, optionally writing a datagram through vnic0
# each round ($3 = send). Prints "<ms to the switch> <$1's operstate then>".
race() { # member new-active [send]
	hx bash -c '
		set -u
		c=/sys/class/net
		echo 0 >$c/d0/carrier
		until read -r s <$c/d0/operstate && [ "$s" = down ]; do :; done
		echo 1 >$c/d0/carrier
		start=${EPOCHREALTIME/./}
		echo 0 >$c/'"$1"'/carrier
		while :; do
			[ "'"${3:-}"'" = send ] && { echo x >/dev/udp/192.0.2.9/9; } 2>/dev/null
			read -r active <'"$sys"'/active
			read -r op <$c/'"$1"'/operstate
			now=${EPOCHREALTIME/./}
			[ "$active" = '"$2"' ] && break
			[ $((now - start)) -gt 5000000 ] && break
		done
		echo $(((now - start) / 1000)) "$op"'
}

vnic_suite_start 3

ip netns add "$H" && h link add d0 type dummy && h link add d1 type dummy &&
	h link add d2 type dummy && h link set d0 up && insmod "$ko" &&
	h link add vnic0 type vnic_failover && h link set vnic0 up &&
	h addr add 192.0.2.1/24 dev vnic0 && h link set d1 master vnic0 &&
	h link set d2 master vnic0 && pv vnic member d1 --priority 10 &&
	pv vnic set vnic0 --up-delay 0 --hold-down 0 && slowwait 10 active_is d1 ||
	ktap_exit_fail_msg "cannot set up vnic0 over dummies"

failovers() { pv vnic show vnic0 --json | jq '.[0].failovers'; }
f0=$(failovers)

# 1. With health checks on (every 100 ms, the default), the tick finds the
# lost carrier: the switch comes before linkwatch reports it.
out=$(race d1 d2)
read -r ms op <<<"$out"
echo "# switched after ${ms:-?} ms, d1's operstate then: ${op:-?}"
[ "${op:-down}" != down ] && [ "$(hx cat $sys/active)" = d2 ] &&
	vnic_is '.last_reason == "link-down"'
pvio_result $? "carrier loss held back by linkwatch: the vNIC's tick switches first"

# The carrier returns: d1, preferred, fails back (up-delay 0).
hx sh -c 'echo 1 > /sys/class/net/d1/carrier' && slowwait 10 active_is d1 ||
	ktap_exit_fail_msg "d1 did not fail back"

# 2. With health checks off, nothing ticks: the first datagram the vNIC sends
# finds the active member without carrier (it goes out of the standby) and
# kicks the timer, which switches.
pv vnic set vnic0 --health-interval 0 && sleep 2 && out=$(race d1 d2 send)
read -r ms op <<<"$out"
echo "# switched after ${ms:-?} ms, d1's operstate then: ${op:-?}"
[ "${op:-down}" != down ] && [ "$(hx cat $sys/active)" = d2 ] &&
	vnic_is '.last_reason == "link-down"'
pvio_result $? "with no tick, the first transmit after the loss kicks the switch ahead of linkwatch"

# 3. The notification linkwatch sends later changes nothing: one switch each
# loss, and the failback between them.
sleep 2 && f=$(failovers) && [ $((f - f0)) -eq 3 ] && vnic_is '.last_reason == "link-down"' &&
	hx sh -c 'echo 1 > /sys/class/net/d1/carrier' && slowwait 10 active_is d1 &&
	h link del vnic0 && rmmod $MOD
pvio_result $? "linkwatch's late notifications make no further switch; the module unloads"

ktap_finished
