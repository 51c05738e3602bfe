#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vnic_failover over veth, in the shape of the bonding selftests:
#
#   ns H: vnic0 (192.0.2.1) -- members ha, hb, hc
#   ns P: br0 (192.0.2.2)   -- pa, pb, pc  (veth peers of ha, hb, hc)
#
# A member fails when its peer goes down (carrier loss), when it goes down,
# and when it is deleted. After each failure the test checks that pings pass
# again, that the expected member took over, and that the peer's bridge
# learned the vNIC's MAC on the new port from the gratuitous ARP alone.

source "$(dirname "$0")/../pvio_lib.sh"
source "$(dirname "$0")/topology.sh"

MOD=vnic_failover
ko=$(pvio_module_path vnic_failover/$MOD)
H=vnic-h-$$
P=vnic-p-$$

cleanup() {
	ip netns del "$H" 2>/dev/null
	ip netns del "$P" 2>/dev/null
	rmmod $MOD 2>/dev/null
}
trap cleanup EXIT

h() { ip -n "$H" "$@"; }
p() { ip -n "$P" "$@"; }
field() { # ns dev jq-expression
	ip -n "$1" -j -s -d link show "$2" | jq -r ".[0]$3"
}
tx_packets() { # device: 0 for a device that is gone
	local n
	n=$(field "$H" "$1" .stats64.tx.packets 2>/dev/null)
	echo "${n:-0}"
}
pings() { # count: succeeds when every ping is answered
	ip netns exec "$H" ping -q -c "$1" -i 0.1 -W 1 192.0.2.2 >/dev/null 2>&1
}
# The member the vNIC uses: the one whose transmit counter moves under ping.
active_member() {
	local m before after
	declare -A before
	for m in ha hb hc; do before[$m]=$(tx_packets $m); done
	pings 5 || return 1
	for m in ha hb hc; do
		after=$(tx_packets $m)
		[ $((after - ${before[$m]})) -ge 5 ] && echo $m
	done
}
# Succeeds when P's bridge has the vNIC MAC on port $1 (learned from the vNIC's
# own frames, which after a switch are the gratuitous ARP and NA).
learned_on() {
	bridge -n "$P" -j fdb show br br0 |
		jq -e --arg mac "$vmac" --arg port "$1" \
			'any(.[]; .mac == $mac and .ifname == $port)' >/dev/null
}
# Forgets where the vNIC's MAC was learned (a flush would also drop the
# bridge's own local entries).
flush_fdb() {
	local port
	for port in pa pb pc; do bridge -n "$P" fdb del "$vmac" dev $port master 2>/dev/null; done
	! learned_on pa && ! learned_on pb && ! learned_on pc
}

ktap_print_header
[ "$(id -u)" -eq 0 ] || ktap_skip_all "needs root"
[ "$(id -u)" -eq 0 ] || exit "$KSFT_SKIP"
ktap_set_plan 19
[ -f "$ko" ] || ktap_exit_fail_msg "$ko is not built: run make modules"

vnic_topology

insmod "$ko" && h link add vnic0 type vnic_failover && h link set vnic0 up &&
	h addr add 192.0.2.1/24 dev vnic0 &&
	[ "$(ip netns exec "$H" cat /sys/class/net/vnic0/carrier)" = 0 ]
pvio_result $? "a vNIC without members has no carrier"
vmac=$(field "$H" vnic0 .address)

h link set ha master vnic0 && h link set hb master vnic0 && h link set hc master vnic0 &&
	[ "$(field "$H" ha .master)" = vnic0 ] && [ "$(field "$H" hc .master)" = vnic0 ] &&
	[ "$(field "$H" hb .address)" = "$vmac" ] &&
	[ "$(ip netns exec "$H" cat /sys/class/net/vnic0/carrier)" = 1 ]
pvio_result $? "members join with ip link set master, take the vNIC's MAC, and bring carrier"

[ "$(active_member)" = ha ]
pvio_result $? "traffic flows through the first member"

# 1. Carrier loss: the peer of the active member goes down.
flush_fdb
mark=$(pvio_kmsg_mark)
p link set pa down
slowwait 5 learned_on pb && pvio_kmsg_has "$mark" "vnic0: active member hb \(link down"
pvio_result $? "carrier loss: hb takes over and the peer learns the vNIC on pb from the gratuitous ARP"

[ "$(active_member)" = hb ]
pvio_result $? "carrier loss: traffic flows through hb"

# 2. Administrative down of the active member. ha is back: with equal
# priorities there is no failback, but once ha has been up for the up-delay
# (200 ms) it is the best eligible member (it joined first).
p link set pa up
slowwait 5 bash -c "[ \"\$(ip netns exec $H cat /sys/class/net/ha/carrier 2>/dev/null)\" = 1 ]"
sleep 0.5
stayed=$(active_member)
flush_fdb
h link set hb down
slowwait 5 learned_on pa && [ "$(active_member)" = ha ] && [ "$stayed" = hb ]
pvio_result $? "no failback between equal priorities; on member down the best member (ha) takes over"

# 3. The active member disappears.
mark=$(pvio_kmsg_mark)
flush_fdb
h link del ha
slowwait 5 learned_on pc && [ "$(active_member)" = hc ] &&
	pvio_kmsg_has "$mark" "vnic0: active member hc \(removed"
pvio_result $? "unregister: hc takes over when the active member is deleted"

# 4. No usable member: carrier goes; it comes back with a member.
p link set pc down
slowwait 5 bash -c "[ \"\$(ip netns exec $H cat /sys/class/net/vnic0/carrier)\" = 0 ]"
no_carrier=$?
h link set hb up
slowwait 5 bash -c "[ \"\$(ip netns exec $H cat /sys/class/net/vnic0/carrier)\" = 1 ]" &&
	[ $no_carrier -eq 0 ] && [ "$(active_member)" = hb ]
pvio_result $? "with no usable member the vNIC loses carrier, and regains it with the next one"

# 5. A new vNIC address reaches every member at once, as the MTU does: a
# backup left with the old one would take over deaf to the new address (udev
# gives a new device its persistent MAC this way, after members may have
# joined).
members_have_mac() { # mac
	ip -n "$H" -j link show master vnic0 |
		jq -e --arg mac "$1" 'length >= 2 and all(.[]; .address == $mac)' >/dev/null
}
h link set vnic0 address 02:00:00:00:0a:01 && vmac=02:00:00:00:0a:01 &&
	members_have_mac "$vmac" && ip -n "$P" neigh flush all && pings 3
pvio_result $? "a new vNIC address reaches every member"

# 6. MTU follows the vNIC; leaving restores the member.
h link set vnic0 mtu 1400 && [ "$(field "$H" hb .mtu)" = 1400 ] && [ "$(field "$H" hc .mtu)" = 1400 ]
mtu_ok=$?
hc_mac_before=$(ip netns exec "$H" cat /sys/class/net/hc/address)
h link set hc nomaster && [ "$(field "$H" hc .master)" = null ] &&
	[ "$(field "$H" hc .mtu)" = 1500 ] && [ "$(field "$H" hc .address)" != "$vmac" ] &&
	[ $mtu_ok -eq 0 ] && [ "$hc_mac_before" = "$vmac" ]
pvio_result $? "the MTU reaches every member, and nomaster gives a member back its MTU and MAC"

# 7. What cannot be a member is refused with a reason.
refused() { # device expected-message
	local err
	err=$(h link set "$1" master vnic0 2>&1) && return 1
	[[ "$err" == *"$2"* ]] || { echo "# $1: $err"; return 1; }
}
ip netns exec "$H" ip tuntap add tun0 mode tun &&
	refused lo "loopback" && refused vnic0 "own port" && refused tun0 "Ethernet" &&
	h link add vnic9 type vnic_failover && refused vnic9 "member of a vNIC" && h link del vnic9
pvio_result $? "loopback, the vNIC itself, another vNIC and a non-Ethernet device are refused with a reason"

# 8. ip link moves a port between masters: the first vNIC releases it (and
# gives its MTU back) before the second takes it; deleting a vNIC releases
# its members.
h link add vnic1 type vnic_failover && h link set vnic1 mtu 1300 && h link set hc master vnic1 &&
	[ "$(field "$H" hc .mtu)" = 1300 ] && h link set hc master vnic0 &&
	[ "$(field "$H" hc .master)" = vnic0 ] && [ "$(field "$H" hc .mtu)" = 1400 ] &&
	h link set hc master vnic1 && h link del vnic1 && [ "$(field "$H" hc .master)" = null ] &&
	[ "$(field "$H" hc .mtu)" = 1500 ]
pvio_result $? "a member moves between vNICs, and deleting a vNIC releases its members"

# 9. Warm standby of addresses: the vNIC's multicast and unicast addresses
# reach every member, a joining member gets them, a leaving one loses them.
has_mc() { h maddr show dev "$1" | grep -q 01:00:5e:01:02:03; }
has_uc() { bridge -n "$H" fdb show dev "$1" | grep -q "02:00:00:00:aa:01 self permanent"; }
h maddr add 01:00:5e:01:02:03 dev vnic0 &&
	bridge -n "$H" fdb add 02:00:00:00:aa:01 dev vnic0 self permanent &&
	has_mc hb && has_uc hb && h link set hc master vnic0 && has_mc hc && has_uc hc &&
	h link set hc nomaster && ! has_mc hc && ! has_uc hc && has_mc hb &&
	h maddr del 01:00:5e:01:02:03 dev vnic0 && ! has_mc hb
pvio_result $? "unicast and multicast addresses reach every member, and leave with a member"

# 10. Promiscuous and all-multicast modes of the vNIC (a capture on it) reach
# every member, a joining one too, and leave with a member; the members' other
# users (here hb's own promisc, and the unicast address from 8 on a device
# without a unicast filter) keep theirs.
count() { field "$H" "$1" ".$2"; }
p0=$(count hb promiscuity) a0=$(count hb allmulti)
h link set hb promisc on && h link set vnic0 promisc on && h link set vnic0 allmulticast on &&
	[ "$(count hb promiscuity)" = $((p0 + 2)) ] && [ "$(count hb allmulti)" = $((a0 + 1)) ] &&
	h link set hc master vnic0 && [ "$(count hc promiscuity)" -ge 1 ] &&
	[ "$(count hc allmulti)" = 1 ] && h link set hc nomaster &&
	[ "$(count hc promiscuity)" = 0 ] && [ "$(count hc allmulti)" = 0 ] &&
	h link set vnic0 promisc off && h link set vnic0 allmulticast off &&
	[ "$(count hb promiscuity)" = $((p0 + 1)) ] && [ "$(count hb allmulti)" = "$a0" ] &&
	h link set hb promisc off && [ "$(count hb promiscuity)" = "$p0" ] ||
	{ h -d link show | grep -E "^[0-9]|promiscuity" | sed 's/^/# /'; false; }
pvio_result $? "promiscuous and all-multicast modes reach every member, and leave with a member"

# 11. A member that keeps its link but drops what it sends (its peer takes
# no frame longer than 500 bytes) fails its health check within a second:
# the vNIC moves to the next member, which passes the traffic, and retries the
# first one after the hold-down (a standby, it then passes its checks).
sys=/sys/class/net/vnic0/vnic_failover
sysfs() { ip netns exec "$H" cat "$sys/$1"; }
health_failed() { [ "$(sysfs last_reason)" = tx-errors ] && [ "$(sysfs active)" = hc ]; }
hc_up() { [ "$(h -j link show hc | jq -r '.[0].operstate')" = UP ]; }
hb_state() {
	ip netns exec "$H" "$PVIO_ROOT/tools/target/debug/pvio" vnic show vnic0 --json |
		jq -r '.[0].members[] | select(.name == "hb") | .state'
}
hb_retried() { [ "$(hb_state)" != failed ]; }
tx_dropped() { h -s -j link show "$1" | jq '.[0].stats64.tx.dropped'; }
vnic_drops0=$(tx_dropped vnic0) hb_drops0=$(tx_dropped hb) hc_drops0=$(tx_dropped hc)
p link set pc up && h link set hc master vnic0 && [ "$(sysfs active)" = hb ] &&
	slowwait 10 hc_up && p link set pb mtu 500 &&
	{ ip netns exec "$H" ping -q -c 30 -i 0.05 -s 1000 192.0.2.2 >/dev/null 2>&1; :; } &&
	slowwait 10 health_failed &&
	ip netns exec "$H" ping -q -c 3 -i 0.1 -W 1 -s 1000 192.0.2.2 >/dev/null &&
	pvio_kmsg_has "$mark" "vnic0: member hb failed: tx errors" &&
	p link set pb mtu 1500 && slowwait 10 hb_retried ||
	{ echo "# active $(sysfs active), last reason $(sysfs last_reason), hb $(hb_state)"; false; }
pvio_result $? "a member that drops what it sends fails its health check, traffic moves on, it is retried"

# 12. The vNIC's counters include what its members failed to send (bonding
# and net_failover fold their ports' counters too), and keep it when the
# member leaves: 64-bit, never going backwards.
vnic_drops1=$(tx_dropped vnic0) hb_drops1=$(tx_dropped hb) hc_drops1=$(tx_dropped hc)
h link set hb nomaster && vnic_drops2=$(tx_dropped vnic0) && h link set hb master vnic0 &&
	echo "# tx dropped: vnic0 $vnic_drops0 -> $vnic_drops1 -> $vnic_drops2 (hb left), hb $hb_drops0 -> $hb_drops1, hc $hc_drops0 -> $hc_drops1" &&
	[ $((hb_drops1 - hb_drops0)) -ge 8 ] &&
	[ $((vnic_drops1 - vnic_drops0)) -eq $((hb_drops1 - hb_drops0 + hc_drops1 - hc_drops0)) ] &&
	[ "$vnic_drops2" -ge "$vnic_drops1" ]
pvio_result $? "a member's transmit drops count in the vNIC's statistics, and stay when it leaves"

# 13. Multiqueue: a vNIC has 16 transmit queues, and picks among them the
# queue its active member would pick, so queue n of the vNIC feeds queue n of
# the member. With an mq qdisc on both, 32 UDP flows must show the same
# per-queue counts on each (from after both qdiscs exist), over more than one
# queue and none above the member's 4. IPv6 is off on the member, whose own
# MLD reports would count on it alone.
queue_counts() { # dev: packets per transmit queue, in queue order (mq classes 1:1, ...)
	tc -n "$H" -s class show dev "$1" |
		awk '/^ Sent / { printf "%s%s", sep, $4; sep = " " } END { print "" }'
}
# Reads both devices' counts (vq_now, mq_now) with no frame in flight between
# the readings: mq0 must read the same before and after qa.
counts_pair() {
	local i again
	for i in $(seq 20); do
		vq_now=$(queue_counts mq0) mq_now=$(queue_counts qa) again=$(queue_counts mq0)
		[ "$vq_now" = "$again" ] && return 0
		sleep 0.1
	done
	return 1
}
# Packets per queue between two readings (a frame sent between the two
# qdiscs' creation went through one of them only).
queue_delta() { # before after
	paste -d' ' <(echo "$2" | tr ' ' '\n') <(echo "$1" | tr ' ' '\n') |
		awk '{ printf "%s%d", sep, $1 - $2; sep = " " } END { print "" }'
}
h link add mq0 type vnic_failover &&
	[ "$(ip netns exec "$H" sh -c 'ls -d /sys/class/net/mq0/queues/tx-* | wc -l')" = 16 ] &&
	h link add qa numtxqueues 4 numrxqueues 4 type veth peer name qpa netns "$P" \
		numtxqueues 4 numrxqueues 4 &&
	ip netns exec "$H" sysctl -qw net.ipv6.conf.qa.disable_ipv6=1 &&
	h link set qa master mq0 && h link set mq0 txqueuelen 1000 && h link set mq0 up &&
	h addr add 198.51.100.1/24 dev mq0 && p link set qpa up &&
	p addr add 198.51.100.2/24 dev qpa &&
	tc -n "$H" qdisc add dev mq0 root handle 1: mq && tc -n "$H" qdisc add dev qa root handle 1: mq &&
	ip netns exec "$H" ping -q -c 1 -W 2 198.51.100.2 >/dev/null &&
	counts_pair && vq0=$vq_now mq0=$mq_now &&
	ip netns exec "$H" bash -c 'for i in $(seq 32); do
		echo x >/dev/udp/198.51.100.2/$((9000 + i)); done' &&
	counts_pair && vq=$(queue_delta "$vq0" "$vq_now") && mq=$(queue_delta "$mq0" "$mq_now") &&
	echo "# per queue: mq0 $vq; qa $mq" &&
	[ "$vq" = "$mq 0 0 0 0 0 0 0 0 0 0 0 0" ] &&
	[ "$(echo "$mq" | tr ' ' '\n' | grep -cv '^0$')" -ge 2 ]
pvio_result $? "multiqueue: 16 transmit queues, and queue n of the vNIC feeds queue n of the active member"
h link del mq0 2>/dev/null

# 14. A VLAN on the vNIC inherits its offloads (vlan_features): without them
# its traffic would be checksummed and segmented in software before it even
# reached the vNIC. Traffic passes through it to the peer's VLAN (a subnet of
# its own: 198.51.100.0/24 is still on qpa; and frames that fit the members'
# MTU, still 1400 from 6, while the peers have 1500).
offload_on() { # dev feature
	ip netns exec "$H" ethtool -k "$1" | grep -q "^$2: on"
}
p link add link br0 name br0.100 type vlan id 100 && p link set br0.100 up &&
	p addr add 203.0.113.2/24 dev br0.100 &&
	h link add link vnic0 name vnic0.100 type vlan id 100 && h link set vnic0.100 up &&
	h addr add 203.0.113.1/24 dev vnic0.100 &&
	offload_on vnic0.100 tx-checksumming && offload_on vnic0.100 scatter-gather &&
	offload_on vnic0.100 tcp-segmentation-offload &&
	ip netns exec "$H" ping -q -c 3 -i 0.1 -W 1 -s 1000 203.0.113.2 >/dev/null ||
	{ ip netns exec "$H" ethtool -k vnic0.100 | grep -E "^(tx-checksumming|scatter-gather|tcp-segmentation-offload):" | sed 's/^/# /'; false; }
pvio_result $? "a VLAN on the vNIC inherits its offloads, and passes traffic"
h link del vnic0.100

# 15. Unloading while traffic flows.
ip netns exec "$H" ping -q -f -w 3 192.0.2.2 >/dev/null 2>&1 &
pinger=$!
sleep 1
rmmod $MOD
rc=$?
wait $pinger
[ $rc -eq 0 ] && ! h link show vnic0 >/dev/null 2>&1 && [ "$(field "$H" hb .master)" = null ] &&
	[ "$(field "$H" hb .address)" != "$vmac" ]
pvio_result $? "rmmod under traffic deletes the vNIC and gives members back"

ktap_finished
