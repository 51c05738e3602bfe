#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ARP probing of vnic_failover members whose link is up but whose path is
# dead, as bonding's active-backup ARP monitor:
#
#   ns H: vnic0 (192.0.2.1) -- members ha, hb
#   ns P: br0 (192.0.2.2)   -- pa, pb  (veth peers; the probe target is br0)
#
# A path dies without any carrier change: the bridge port of the member's peer
# is disabled (it neither receives nor forwards), as a blocked switch port or
# a dead uplink would be. The vNIC must notice from its probes alone.

source "$(dirname "$0")/../pvio_lib.sh"
source "$(dirname "$0")/vnic_lib.sh"
source "$(dirname "$0")/topology.sh"
source "$(dirname "$0")/probe_lib.sh"

MOD=vnic_failover
ko=$(pvio_module_path vnic_failover/$MOD)
pvio=$PVIO_ROOT/tools/target/debug/pvio
H=vap-h-$$
P=vap-p-$$
sys=/sys/class/net/vnic0/vnic_failover

cleanup() {
	ip netns del "$H" 2>/dev/null
	ip netns del "$P" 2>/dev/null
	rmmod $MOD 2>/dev/null
}
trap cleanup EXIT

pings() { hx ping -q -c "$1" -i 0.1 -W 1 192.0.2.2 >/dev/null 2>&1; }
promiscuity() { h -d -j link show "$1" | jq '.[0].promiscuity'; }

vnic_suite_start 8

vnic_topology
h link del hc
insmod "$ko" && h link add vnic0 type vnic_failover && h link set vnic0 up &&
	h addr add 192.0.2.1/24 dev vnic0 && h link set ha master vnic0 && h link set hb master vnic0 ||
	ktap_exit_fail_msg "cannot set up vnic0"

# 1. Probes out of the active member are answered; nobody fails.
pv vnic set vnic0 --probe-target 192.0.2.2 --probe-interval 50 --probe-missed-max 2 &&
	[ "$(sysfs probe_target)" = 192.0.2.2 ] && [ "$(sysfs probe_interval_ms)" = 50 ] &&
	[ "$(sysfs probe_missed_max)" = 2 ] && sleep 1 &&
	[ "$(sysfs probes_sent)" -ge 5 ] && [ "$(sysfs probe_replies)" -ge 5 ] &&
	active_is ha && failure_is ha "" && failure_is hb "" && pings 3 &&
	[ "$(promiscuity hb)" -ge 1 ] &&
	vnic_is '.probe_target == "192.0.2.2" and .probe_interval_ms == 50 and .probe_missed_max == 2'
r=$?
echo "# probes sent $(sysfs probes_sent), replies $(sysfs probe_replies)"
pvio_result $r "probes from the active member are answered, no member fails; probe addresses are in the members' filters"

# 2. The path behind the active member dies; its carrier stays up.
mark=$(pvio_kmsg_mark)
# How soon is for the benchmark: here the bridge command alone takes about a
# second under TCG.
path pa 0 &&
	slowwait 5 vnic_is "(.active == \$m[\"hb\"].ifindex) and .last_reason == \"probe-failed\"" &&
	failure_is ha probe-failed && [ "$(carrier ha)" = 1 ] && pings 3 &&
	pvio_kmsg_has "$mark" "vnic0: member ha failed: probe failed" &&
	pvio_kmsg_has "$mark" "vnic0: active member hb \(probe failed"
r=$?
[ $r -eq 0 ] || show
pvio_result $r "a dead path behind the active member (carrier up): probe-failed, the backup takes over, traffic flows"

# 3. The path comes back: ha hears hb's probes, which the target answers.
mark=$(pvio_kmsg_mark)
path pa 3 && slowwait 5 failure_is ha "" && active_is hb &&
	pvio_kmsg_has "$mark" "vnic0: member ha answers probes again"
r=$?
[ $r -eq 0 ] || show
pvio_result $r "the path returns: the member recovers on the probes it hears, with no failback between equals"

# 4. A target that never answers fails each member once: the last one stays
# active, degraded (no other can take over), so traffic still flows; nothing
# switches back and forth. The members probe in turn, the backup as itself
# (its own address, random for a veth, and 0.0.0.0), so the bridge keeps the
# vNIC's MAC on the active port. When the target answers again, both recover.
f0=$(failovers)
pv vnic set vnic0 --probe-target 192.0.2.99 &&
	slowwait 5 both_failed && pings 5 && sleep 1 && f1=$(failovers) && [ $((f1 - f0)) -eq 1 ] &&
	[ "$(carrier vnic0)" = 1 ] && degraded=$(sysfs active) && learned_always "p${degraded#h}" &&
	pv vnic set vnic0 --probe-target 192.0.2.2 && slowwait 5 none_failed && pings 3
r=$?
echo "# failovers $f0 -> ${f1:-?} while the target was dead"
[ $r -eq 0 ] || show
pvio_result $r "a dead target fails each member once; the last stays active and passes traffic, nothing thrashes"

# 5. Both paths dead: the last member to fail stays active, degraded. Only the
# other one's path comes back: its own probes, sent in turn, are answered,
# and it takes over.
path pa 0 && path pb 0 &&
	slowwait 5 failure_is ha probe-failed && slowwait 5 failure_is hb probe-failed &&
	survivor=$(sysfs active) && lost=$([ "$survivor" = ha ] && echo hb || echo ha) &&
	path "p${lost#h}" 3 && slowwait 5 active_is "$lost" && failure_is "$survivor" probe-failed &&
	pings 3 && path "p${survivor#h}" 3 && slowwait 5 failure_is "$survivor" ""
r=$?
echo "# degraded active ${survivor:-?}, taken over by ${lost:-?}"
[ $r -eq 0 ] || show
pvio_result $r "with every path dead, members probe in turn as themselves; the one whose path returns takes over"

# 6. Turning probing off revives the members it failed.
path pa 0 && slowwait 5 failure_is ha probe-failed &&
	hx sh -c "echo 0.0.0.0 > $sys/probe_target" && failure_is ha "" &&
	[ "$(sysfs probe_target)" = 0.0.0.0 ] && vnic_is '.probe_target == null' &&
	[ "$(promiscuity ha)" = 0 ] && [ "$(promiscuity hb)" = 0 ] &&
	sent=$(sysfs probes_sent) && sleep 0.3 && [ "$(sysfs probes_sent)" = "$sent" ]
r=$?
path pa 3
[ $r -eq 0 ] || show
pvio_result $r "probing off (0.0.0.0 in sysfs): no more probes, members failed by probing recover, probe addresses leave the filters"

# 7. Bad input, through netlink (extack messages) and sysfs.
refused_with "unicast IPv4 or IPv6 address" pv vnic set vnic0 --probe-target 224.0.0.1 &&
	refused_with "unicast IPv4 or IPv6 address" pv vnic set vnic0 --probe-target 127.0.0.1 &&
	refused_with "unicast IPv4 or IPv6 address" pv vnic set vnic0 --probe-target 255.255.255.255 &&
	refused_with "own addresses" pv vnic set vnic0 --probe-target 192.0.2.1 &&
	sysfs_refuses probe_target 192.0.2.1 &&
	refused_with "10 to 10000 ms" pv vnic set vnic0 --probe-interval 5 &&
	refused_with "10 to 10000 ms" pv vnic set vnic0 --probe-interval 10001 &&
	refused_with "1 to 255 intervals" pv vnic set vnic0 --probe-missed-max 0 &&
	refused_with "1 to 255 intervals" pv vnic set vnic0 --probe-missed-max 256 &&
	sysfs_refuses probe_target 1.2.3 && sysfs_refuses probe_target 300.1.1.1 &&
	sysfs_refuses probe_target 01.2.3.4 && sysfs_refuses probe_target 224.0.0.1 &&
	sysfs_refuses probe_target "" && sysfs_refuses probe_interval_ms 0 &&
	sysfs_refuses probe_interval_ms 20000 && sysfs_refuses probe_missed_max 0 &&
	sysfs_refuses probe_missed_max 256 && sysfs_refuses probes_sent 0 &&
	sysfs_refuses probe_replies 0 && [ "$(sysfs probe_target)" = 0.0.0.0 ]
pvio_result $? "bad targets, intervals and missed-max are refused (netlink with extack, sysfs)"

# 8. Deleting a probing vNIC, then unloading.
pv vnic set vnic0 --probe-target 192.0.2.2 && sleep 0.3 && h link del vnic0 && sleep 0.2 &&
	rmmod $MOD && [ "$(carrier ha)" = 1 ] && ! h link show vnic0 >/dev/null 2>&1
pvio_result $? "a probing vNIC is deleted with its members' paths intact, and the module unloads"

ktap_finished
