#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Neighbour-solicitation probing of an IPv6 target (bonding's ns_ip6_target),
# on the topology of arp_probe.sh:
#
#   ns H: vnic0 (2001:db8::1) -- members ha, hb
#   ns P: br0 (2001:db8::2)   -- pa, pb  (veth peers; the probe target is br0)
#
# A path dies without any carrier change (the bridge port of the member's peer
# is disabled); the vNIC must notice from its solicitations alone. The target
# is a stock Linux stack: that it answers shows the frames are well formed
# (checksum, hop limit, source link-layer option).

source "$(dirname "$0")/../pvio_lib.sh"
source "$(dirname "$0")/vnic_lib.sh"
source "$(dirname "$0")/topology.sh"
source "$(dirname "$0")/probe_lib.sh"

MOD=vnic_failover
ko=$(pvio_module_path vnic_failover/$MOD)
pvio=$PVIO_ROOT/tools/target/debug/pvio
H=vnp-h-$$
P=vnp-p-$$
sys=/sys/class/net/vnic0/vnic_failover
TARGET=2001:db8::2
# The Ethernet group of the target's solicited-node address (ff02::1:ff00:2).
GROUP=33:33:ff:00:00:02

cleanup() {
	ip netns del "$H" 2>/dev/null
	ip netns del "$P" 2>/dev/null
	rmmod $MOD 2>/dev/null
}
trap cleanup EXIT

pings() { hx ping -6 -q -c "$1" -i 0.1 -W 1 $TARGET >/dev/null 2>&1; }
# Succeeds when member $1's multicast filter holds the target's group.
has_group() { h maddr show dev "$1" | grep -q "link  *$GROUP"; }

vnic_suite_start 7

vnic_topology
h link del hc
insmod "$ko" && h link add vnic0 type vnic_failover && h link set vnic0 up &&
	h addr add 2001:db8::1/64 dev vnic0 nodad &&
	ip -n "$P" addr add $TARGET/64 dev br0 nodad &&
	h link set ha master vnic0 && h link set hb master vnic0 ||
	ktap_exit_fail_msg "cannot set up vnic0"

# 1. Solicitations out of the active member are answered by a stock stack;
# every member's filter holds the target's solicited-node group.
pv vnic set vnic0 --probe-target $TARGET --probe-interval 50 --probe-missed-max 2 &&
	[ "$(sysfs probe_target)" = $TARGET ] && sleep 1 &&
	[ "$(sysfs probes_sent)" -ge 5 ] && [ "$(sysfs probe_replies)" -ge 5 ] &&
	active_is ha && none_failed && pings 3 && has_group ha && has_group hb &&
	vnic_is ".probe_target == \"$TARGET\" and .probe_interval_ms == 50" &&
	pv vnic show vnic0 | grep -q "NS probes to $TARGET"
r=$?
echo "# probes sent $(sysfs probes_sent), replies $(sysfs probe_replies)"
pvio_result $r "IPv6 target: solicitations from the active member are answered, no member fails, members join the target's group"

# 2. The path behind the active member dies; its carrier stays up.
mark=$(pvio_kmsg_mark)
path pa 0 &&
	slowwait 5 vnic_is "(.active == \$m[\"hb\"].ifindex) and .last_reason == \"probe-failed\"" &&
	failure_is ha probe-failed && [ "$(carrier ha)" = 1 ] && pings 3 &&
	pvio_kmsg_has "$mark" "vnic0: member ha failed: probe failed"
r=$?
[ $r -eq 0 ] || show
pvio_result $r "a dead path behind the active member (carrier up): probe-failed, the backup takes over, IPv6 traffic flows"

# 3. The path comes back: ha hears hb's solicitations (its group is in ha's
# filter), which the target answers.
mark=$(pvio_kmsg_mark)
path pa 3 && slowwait 5 failure_is ha "" && active_is hb &&
	pvio_kmsg_has "$mark" "vnic0: member ha answers probes again"
r=$?
[ $r -eq 0 ] || show
pvio_result $r "the path returns: the backup recovers on the solicitations it hears"

# 4. A target that never answers fails each member once; the last stays
# active, degraded, and passes traffic; the member probing as itself (its own
# MAC and link-local address) leaves the vNIC's MAC on the active port.
f0=$(failovers)
pv vnic set vnic0 --probe-target 2001:db8::99 &&
	slowwait 5 both_failed && pings 5 && sleep 1 && f1=$(failovers) && [ $((f1 - f0)) -eq 1 ] &&
	degraded=$(sysfs active) && learned_always "p${degraded#h}" &&
	pv vnic set vnic0 --probe-target $TARGET && slowwait 5 none_failed && pings 3
r=$?
echo "# failovers $f0 -> ${f1:-?} while the target was dead"
[ $r -eq 0 ] || show
pvio_result $r "a dead IPv6 target fails each member once; the last stays active and passes traffic"

# 5. From IPv6 to IPv4 and off: the group leaves the filters with the IPv6
# target, members failed by probing recover, probes stop.
ip -n "$P" addr add 192.0.2.2/24 dev br0 2>/dev/null
h addr add 192.0.2.1/24 dev vnic0 &&
	path pa 0 && slowwait 5 failure_is ha probe-failed &&
	pv vnic set vnic0 --probe-target 192.0.2.2 && ! has_group ha && ! has_group hb &&
	[ "$(sysfs probe_target)" = 192.0.2.2 ] && vnic_is '.probe_target == "192.0.2.2"' &&
	hx sh -c "echo $TARGET > $sys/probe_target" && has_group hb &&
	hx sh -c "echo :: > $sys/probe_target" && none_failed && ! has_group hb &&
	[ "$(sysfs probe_target)" = 0.0.0.0 ] && vnic_is '.probe_target == null' &&
	sent=$(sysfs probes_sent) && sleep 0.3 && [ "$(sysfs probes_sent)" = "$sent" ]
r=$?
path pa 3
[ $r -eq 0 ] || show
pvio_result $r "switching target family, and :: in sysfs turns probing off: groups leave the filters, failed members recover"

# 6. Bad IPv6 targets, through netlink (extack messages) and sysfs.
refused_with "unicast IPv4 or IPv6" pv vnic set vnic0 --probe-target ff02::1 &&
	refused_with "unicast IPv4 or IPv6" pv vnic set vnic0 --probe-target ::1 &&
	refused_with "own addresses" pv vnic set vnic0 --probe-target 2001:db8::1 &&
	sysfs_refuses probe_target 2001:db8::1 && sysfs_refuses probe_target ff02::1 &&
	sysfs_refuses probe_target ::1 && sysfs_refuses probe_target 2001:db8::2/64 &&
	sysfs_refuses probe_target ::ffff:192.0.2.2 && sysfs_refuses probe_target 2001:db8:::2 &&
	[ "$(sysfs probe_target)" = 0.0.0.0 ]
pvio_result $? "bad IPv6 targets (multicast, loopback, own, malformed) are refused (netlink with extack, sysfs)"

# 7. Deleting a vNIC probing an IPv6 target takes its group out of the
# members' filters; the module unloads.
pv vnic set vnic0 --probe-target $TARGET && sleep 0.3 && has_group ha && h link del vnic0 &&
	sleep 0.2 && ! has_group ha && ! has_group hb && rmmod $MOD
pvio_result $? "a vNIC probing an IPv6 target is deleted, its members leave the target's group, the module unloads"

ktap_finished
