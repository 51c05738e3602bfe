#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The control plane of vnic_failover: the vnic-failover generic netlink
# family, driven by the project's CLI (tools/pvio) and by the kernel's own
# YNL library from the YAML specification, and the sysfs attributes:
#
#   ns H: vnic0 (192.0.2.1) -- members ha, hb    vnic1 -- member hc
#   ns P: br0 (192.0.2.2)   -- pa, pb            pc
#   ns O: vnic2 (another namespace, must stay invisible from H)
#
# Covers state dumps, priorities with timer-driven failback, administrative
# failure, failback policies, switch events, refusals with extack messages,
# permissions, namespaces, sysfs reads and writes, and deleting a vNIC with
# its timer armed.

source "$(dirname "$0")/../pvio_lib.sh"
source "$(dirname "$0")/vnic_lib.sh"
source "$(dirname "$0")/topology.sh"

MOD=vnic_failover
ko=$(pvio_module_path vnic_failover/$MOD)
pvio=$PVIO_ROOT/tools/target/debug/pvio
spec=$PVIO_ROOT/Documentation/netlink/specs/vnic_failover.yaml
H=vnl-h-$$
P=vnl-p-$$
O=vnl-o-$$
tmp=$(mktemp -d)

cleanup() {
	[ -n "${monitor:-}" ] && kill "$monitor" 2>/dev/null
	ip netns del "$H" 2>/dev/null
	ip netns del "$P" 2>/dev/null
	ip netns del "$O" 2>/dev/null
	rmmod $MOD 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

p() { ip -n "$P" "$@"; }
pings() { hx ping -q -c "$1" -i 0.1 -W 1 192.0.2.2 >/dev/null 2>&1; }

vnic_suite_start 18

vnic_topology
ip netns add "$O" || ktap_exit_fail_msg "cannot build the topology"
insmod "$ko" && h link add vnic0 type vnic_failover && h link set vnic0 up &&
	h addr add 192.0.2.1/24 dev vnic0 && h link set ha master vnic0 && h link set hb master vnic0 &&
	h link add vnic1 type vnic_failover && h link set hc master vnic1 &&
	ip -n "$O" link add vnic2 type vnic_failover || ktap_exit_fail_msg "cannot create the vNICs"

# 1. State of one vNIC.
vnic_is ".name == \"vnic0\" and .ifindex == $(ifindex vnic0) and .active == \$m.ha.ifindex and
	.standby == \$m.hb.ifindex and \$m.ha.state == \"active\" and \$m.hb.state == \"standby\" and
	.failback == \"always\" and .up_delay_ms == 200 and .hold_down_ms == 1000 and
	.last_reason == \"activated\" and .failovers == 0"
pvio_result $? "dev-get: active and standby members, states, policy and last reason"

# 2. A dump lists the vNICs of the caller's namespace only, in index order.
[ "$(pv vnic show --json | jq -c '[.[].name]')" = '["vnic0","vnic1"]' ] &&
	[ "$(ip netns exec "$O" "$pvio" vnic show --json | jq -c '[.[].name]')" = '["vnic2"]' ]
pvio_result $? "dev-get dump: every vNIC of the namespace, none of another"

# 3. A higher priority takes over once its up-delay and the hold-down have
# passed, with no other event: the vNIC's timer does it.
pv vnic set vnic0 --up-delay 100 --hold-down 300 && pv vnic member hb --priority 10 &&
	slowwait 30 vnic_is '.active == $m.hb.ifindex and .last_reason == "failback" and .failovers == 1' &&
	pings 3
pvio_result $? "member-set priority: failback to the preferred member, driven by the timer"

# 4. Switch events: subscribe, fail the active member's link.
hx "$pvio" vnic monitor --count 1 --json >"$tmp/events" 2>"$tmp/monitor.err" &
monitor=$!
slowwait 30 grep -q monitoring "$tmp/monitor.err"
p link set pb down
slowwait 30 grep -q . "$tmp/events"
jq -e --argjson a "$(ifindex ha)" --argjson b "$(ifindex hb)" \
	'.name == "vnic0" and .active == $a and .previous == $b and
	 .last_reason == "link-down" and .failovers == 2 and .last_switch_duration_ns > 0' \
	"$tmp/events" >/dev/null
pvio_result $? "switch-ntf: the monitor group gets the switch, its reason and duration"
wait "$monitor" 2>/dev/null
monitor=
p link set pb up
slowwait 30 active_is hb

# 5. Administrative failure moves traffic at once and holds the member out.
pv vnic member hb --fail &&
	vnic_is '.active == $m.ha.ifindex and $m.hb.state == "failed" and $m.hb.failure == "admin" and
		$m.hb.admin_failed and .last_reason == "admin"' &&
	pings 3 && sleep 1 && active_is ha
pvio_result $? "member-set admin-failed: the vNIC switches away at once and stays away"

# 6. Taking the failure back: the preferred member returns after its up-delay.
pv vnic member hb --unfail &&
	slowwait 30 vnic_is '.active == $m.hb.ifindex and .last_reason == "failback" and ($m.hb.admin_failed | not)' 
pvio_result $? "member-set admin-failed 0: the member serves its up-delay, then fails back"

# 7. failback never keeps the current member.
pv vnic set vnic0 --failback never && pv vnic member hb --fail && active_is ha &&
	pv vnic member hb --unfail && sleep 1.5 && vnic_is '.active == $m.ha.ifindex and .failback == "never"' 
pvio_result $? "dev-set failback never: a recovered preferred member does not take over"

# 8. sysfs shows what netlink shows (one value per file).
sys=/sys/class/net/vnic0/vnic_failover
got=$(hx sh -c "cd $sys && echo \$(cat active) \$(cat standby) \$(cat members) \$(cat failback) \
	\$(cat up_delay_ms) \$(cat hold_down_ms) \$(cat last_reason) \$(cat failovers)")
want=$(pv vnic show vnic0 --json | jq -r '.[0] | (.members | map({(.ifindex | tostring): .name}) | add) as $n |
	[$n[.active | tostring], $n[.standby | tostring], ([.members[].name] | join(" ")), .failback,
	 .up_delay_ms, .hold_down_ms, .last_reason, .failovers] | map(tostring) | join(" ")')
[ "$got" = "$want" ] && [ "$(echo "$got" | cut -d' ' -f1-5)" = "ha hb ha hb never" ] ||
	{ echo "# sysfs: $got, netlink: $want"; false; }
pvio_result $? "sysfs: active, standby, members, policy and switch figures match dev-get"

# 9. sysfs writes: applied at once, refused with EINVAL/ERANGE, root only.
out=$(hx sh -c "echo better > $sys/failback && echo 250 > $sys/up_delay_ms &&
	! echo sometimes > $sys/failback 2>/dev/null && ! echo 700000 > $sys/hold_down_ms 2>/dev/null &&
	! echo -5 > $sys/up_delay_ms 2>/dev/null &&
	! setpriv --reuid=nobody --regid=nogroup --clear-groups sh -c 'echo never > $sys/failback' 2>/dev/null &&
	! echo 1 > $sys/active 2>/dev/null && cat $sys/failback $sys/up_delay_ms $sys/hold_down_ms" | xargs)
[ "$out" = "better 250 300" ] && vnic_is '.failback == "better" and .up_delay_ms == 250' ||
	{ echo "# sysfs after writes: $out"; false; }
pvio_result $? "sysfs: failback and delays are writable; bad values, read-only files and non-root are refused"

# 10. Bad requests get an errno and a reason, not a splat.
refused_with "not a vnic_failover device" pv vnic show lo &&
	refused_with "not a member of a vNIC" pv vnic member lo --priority 1 &&
	refused_with "at most 600000 ms" pv vnic set vnic0 --up-delay 700000
pvio_result $? "refusals: not a vNIC, not a member, delays out of range, with extack messages"

# 11. Changes need CAP_NET_ADMIN; reading does not.
refused_with "Operation not permitted" hx setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$pvio" vnic set vnic0 --up-delay 100 &&
	hx setpriv --reuid=nobody --regid=nogroup --clear-groups "$pvio" vnic show vnic0 >/dev/null
pvio_result $? "dev-set and member-set need CAP_NET_ADMIN; dev-get does not"

# 12-13. The kernel's YNL library drives the family from the YAML spec, and
# the core's policy refuses what the spec does not allow.
hx python3 "$(dirname "$0")/ynl_check.py" "$PVIO_KSRC/tools/net/ynl" "$spec" \
	"$(ifindex vnic0)" "$(ifindex ha)" >"$tmp/ynl" 2>&1
sed 's/^/# /' "$tmp/ynl"
grep -q "^ok dev-get" "$tmp/ynl" && grep -q "^ok dump" "$tmp/ynl" && grep -q "^ok missing-ifindex" "$tmp/ynl"
pvio_result $? "ynl: dev-get and its dump per the YAML spec; a missing ifindex is named in the extack"
grep -q "^ok failback-range" "$tmp/ynl" && grep -q "^ok admin-failed-range" "$tmp/ynl" &&
	grep -q "^ok reject-reply-attr" "$tmp/ynl" && grep -q "^ok reject-probes-sent" "$tmp/ynl" &&
	grep -q "^ok probe-target$" "$tmp/ynl" && grep -q "^ok probe-target-multicast" "$tmp/ynl" &&
	grep -q "^ok probe-off" "$tmp/ynl" && grep -q "^ok probe-target6$" "$tmp/ynl" &&
	grep -q "^ok probe-target6-length" "$tmp/ynl" && grep -q "^ok probe-target6-multicast" "$tmp/ynl" &&
	grep -q "^ok two-probe-targets" "$tmp/ynl" && grep -q "^ok probe-target6-off" "$tmp/ynl"
pvio_result $? "policy: out-of-range failback, admin-failed and probe targets (IPv4, IPv6 of the wrong length, both at once), and reply-only attributes, are refused; probe targets read as addresses"
grep -q "^ok info-data" "$tmp/ynl" && grep -q "^ok info-slave-data" "$tmp/ynl"
pvio_result $? "rtnetlink: IFLA_INFO_DATA and IFLA_INFO_SLAVE_DATA, decoded by YNL's rt_link.yaml with the kind added, agree with dev-get"

# 14. Peer notification: 3 gratuitous ARPs 200 ms apart after a switch.
name_of_active() {
	pv vnic show vnic0 --json |
		jq -r '.[0] | (.members | map({(.ifindex | tostring): .name}) | add)[.active | tostring]'
}
pv vnic set vnic0 --notify-count 3 --notify-interval 200 &&
	vnic_is '.notify_peers_count == 3 and .notify_peers_interval_ms == 200' &&
	[ "$(hx cat $sys/notify_peers_count $sys/notify_peers_interval_ms | xargs)" = "3 200" ]
set_ok=$?
act=$(name_of_active)
# Gratuitous: sender and target address are both the vNIC's (192.0.2.1).
ip netns exec "$P" timeout 60 tcpdump -l -n -tt -i br0 -c 3 \
	'arp and arp[14:4] = 0xc0000201 and arp[24:4] = 0xc0000201' >"$tmp/garp" 2>"$tmp/tcpdump.err" &
dump=$!
slowwait 30 grep -q "listening on" "$tmp/tcpdump.err"
pv vnic member "$act" --fail
wait $dump
span=$(awk 'NR == 1 { first = $1 } { last = $1 } END { if (NR == 3) printf "%d", (last - first) * 1000 }' "$tmp/garp")
[ $set_ok -eq 0 ] && [ -n "$span" ] && [ "$span" -ge 350 ] && [ "$span" -lt 5000 ] ||
	{ echo "# gratuitous ARPs over ${span:-?} ms:"; sed 's/^/# /' "$tmp/garp"; false; }
pvio_result $? "notify-peers count 3, interval 200 ms: three gratuitous ARPs, 200 ms apart"
pv vnic member "$act" --unfail

# 15. ethtool: driver, the active member's link settings (veth: 10000Mb/s,
# full duplex), unknown ones without a member, and switch statistics that
# agree with netlink.
hx ethtool -S vnic0 >"$tmp/ethtool-S" 2>&1
stat() { awk -v k="$1:" '$1 == k { print $2 }' "$tmp/ethtool-S"; }
netlink_failovers=$(pv vnic show vnic0 --json | jq '.[0].failovers')
by_reason=0
for r in activated link_down removed tx_timeout tx_errors probe_failed admin failback; do
	by_reason=$((by_reason + $(stat "switches_$r")))
done
hx ethtool -i vnic0 | grep -qx "driver: vnic_failover" &&
	hx ethtool vnic0 | grep -q "Speed: 10000Mb/s" && hx ethtool vnic0 | grep -q "Duplex: Full" &&
	hx ethtool vnic0 | grep -q "Link detected: yes" &&
	ip netns exec "$O" ethtool vnic2 | grep -q "Speed: Unknown" &&
	[ "$(stat failovers)" = "$netlink_failovers" ] && [ "$(stat members)" = 2 ] &&
	[ "$(stat switches_admin)" -ge 2 ] && [ "$(stat switches_link_down)" -ge 1 ] &&
	[ "$(stat switches_failback)" -ge 2 ] && [ "$by_reason" -ge "$netlink_failovers" ] &&
	[ "$(stat peer_notifications)" -ge "$netlink_failovers" ] &&
	[ "$(stat max_switch_duration_ns)" -ge "$(stat last_switch_duration_ns)" ] ||
	{ sed 's/^/# /' "$tmp/ethtool-S"; echo "# netlink failovers $netlink_failovers"; false; }
pvio_result $? "ethtool: driver, the active member's speed, switch statistics equal to netlink's"

# 16. The health-check interval: default 100 ms, set through netlink and
# sysfs, 0 turns the checks off, values between 1 and 9 or above 10000 are
# refused with a reason.
[ "$(hx cat $sys/health_check_interval_ms)" = 100 ] &&
	vnic_is '.health_check_interval_ms == 100' &&
	pv vnic set vnic0 --health-interval 50 && [ "$(hx cat $sys/health_check_interval_ms)" = 50 ] &&
	hx sh -c "echo 0 > $sys/health_check_interval_ms" && vnic_is '.health_check_interval_ms == 0' &&
	! hx sh -c "echo 5 > $sys/health_check_interval_ms" 2>/dev/null &&
	refused_with "0 (off) or 10 to 10000 ms" pv vnic set vnic0 --health-interval 5 &&
	refused_with "0 (off) or 10 to 10000 ms" pv vnic set vnic0 --health-interval 20000 &&
	pv vnic set vnic0 --health-interval 100 && vnic_is '.health_check_interval_ms == 100'
pvio_result $? "health-check-interval: netlink and sysfs, 0 for off, out-of-range values refused"

# 17. Deleting a vNIC whose timer is armed, then unloading.
pv vnic set vnic0 --failback always --up-delay 5000 && pv vnic member hb --fail &&
	pv vnic member hb --unfail && h link del vnic0 && sleep 0.2 && rmmod $MOD &&
	! h link show vnic1 >/dev/null 2>&1
pvio_result $? "a vNIC with a pending failback is deleted, and the module unloads"

ktap_finished
