#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vnic_failover over real PCI functions: the VM's three virtio-net NICs with
# MSI-X (tools/testing/vm.sh), on one QEMU hub:
#
#   ns H: vnic0 (192.0.2.1) -- members A (pnic0, priority 10), B (pnic1)
#   ns P: C (pnic2, 192.0.2.2)
#
# Fails the active member three ways: link down inside the guest, link off in
# QEMU (outside the guest, as a pulled cable), and PCI hot-remove inside the
# guest under traffic. For each: the right backup takes over, traffic resumes,
# a gratuitous ARP reaches the peer, and the switch event and counters give
# the reason. A VLAN on the vNIC keeps working across a switch, since the
# members carry its VLAN filter (virtio-net filters VLANs in QEMU). A flaps
# 100 times from QEMU, which must not make the vNIC switch more often than
# its hold-down and damping allow. With ARP probing, A's path dies while its
# link stays up (QEMU holds its frames): A fails as probe-failed; with both
# paths dead, the one that comes back is found by the members' own probes;
# IPv6 probes (neighbour solicitations) do the same over the NICs. On a switch, the new member's interrupts take the old member's CPUs.

source "$(dirname "$0")/../pvio_lib.sh"
source "$(dirname "$0")/vnic_lib.sh"

MOD=vnic_failover
ko=$(pvio_module_path vnic_failover/$MOD)
pvio=$PVIO_ROOT/tools/target/debug/pvio
H=vpci-h-$$
P=vpci-p-$$
tmp=$(mktemp -d)

cleanup() {
	[ -n "${traffic:-}" ] && kill "$traffic" 2>/dev/null
	ip netns del "$H" 2>/dev/null
	ip netns del "$P" 2>/dev/null
	# Hot-removed functions come back, so later users find all three.
	echo 1 >/sys/bus/pci/rescan
	rmmod $MOD 2>/dev/null
	rm -rf "$tmp"
}

failovers() { hx cat /sys/class/net/vnic0/vnic_failover/failovers; }
pings() { ip netns exec "$P" ping -q -c "$1" -i 0.1 -W 1 192.0.2.1 >/dev/null 2>&1; }

# Runs a command that must make vnic0 switch from member $1 to member $2 for
# reason $3; checks the switch event, a gratuitous ARP seen by the peer, and
# traffic afterwards. The event goes to $tmp/event.
switches() { # from to reason command...
	local from=$1 to=$2 reason=$3 monitor dump ok=0
	shift 3
	hx "$pvio" vnic monitor --count 1 --json >"$tmp/event" 2>"$tmp/monitor.err" &
	monitor=$!
	# Gratuitous: sender and target address are both the vNIC's (192.0.2.1).
	ip netns exec "$P" timeout 60 tcpdump -l -n -i "$C" -c 1 \
		'arp and arp[14:4] = 0xc0000201 and arp[24:4] = 0xc0000201' \
		>"$tmp/garp" 2>"$tmp/tcpdump.err" &
	dump=$!
	slowwait 30 grep -q monitoring "$tmp/monitor.err" &&
		slowwait 30 grep -q "listening on" "$tmp/tcpdump.err" || ok=1
	"$@" || { echo "# failed: $*"; ok=1; }
	slowwait 30 grep -q . "$tmp/event" || { echo "# no switch event"; ok=1; }
	wait "$dump" || { echo "# no gratuitous ARP"; ok=1; }
	kill "$monitor" 2>/dev/null
	wait "$monitor" 2>/dev/null
	jq -e --arg from "$from" --arg to "$to" --arg reason "$reason" \
		'.active == ($to | tonumber) and .previous == ($from | tonumber) and
		 .last_reason == $reason and .last_switch_duration_ns > 0' "$tmp/event" >/dev/null ||
		{ echo "# event: $(cat "$tmp/event")"; ok=1; }
	pings 3 || { echo "# no traffic after the switch"; ok=1; }
	return $ok
}

ktap_print_header
[ "$(id -u)" -eq 0 ] || ktap_skip_all "needs root"
[ "$(id -u)" -eq 0 ] || exit "$KSFT_SKIP"
A=$(pvio_test_nic 1) B=$(pvio_test_nic 2) C=$(pvio_test_nic 3)
if [ -z "$A" ] || [ -z "$B" ] || [ -z "$C" ]; then
	ktap_skip_all "no test adapters (virtio-net 52:54:00:5e:00:0N): run in tools/testing/vm.sh"
	exit "$KSFT_SKIP"
fi
ktap_set_plan 13
[ -f "$ko" ] || ktap_exit_fail_msg "$ko is not built: run make modules"
[ -x "$pvio" ] || ktap_exit_fail_msg "$pvio is not built: cargo build in tools/"
pvio_qmp_open || ktap_exit_fail_msg "no QEMU monitor on virtio port org.pvio.qmp"
trap cleanup EXIT
pci_a=$(pvio_pci_function "$A") && pci_b=$(pvio_pci_function "$B") ||
	ktap_exit_fail_msg "$A or $B is not a PCI function"

ip netns add "$H" && ip netns add "$P" && ip link set "$A" netns "$H" &&
	ip link set "$B" netns "$H" && ip link set "$C" netns "$P" &&
	ip -n "$P" link set "$C" up && ip -n "$P" addr add 192.0.2.2/24 dev "$C" &&
	insmod "$ko" && h link add vnic0 type vnic_failover && h link set vnic0 up &&
	h addr add 192.0.2.1/24 dev vnic0 && h link set "$A" master vnic0 &&
	h link set "$B" master vnic0 && pv vnic member "$A" --priority 10 &&
	pv vnic set vnic0 --up-delay 100 --hold-down 300 ||
	ktap_exit_fail_msg "cannot build the topology"

# 1. The members are PCI functions driven through MSI-X vectors.
msix=$(ls "$pci_a/msi_irqs" 2>/dev/null | wc -l)
[ "$msix" -ge 2 ] && slowwait 30 active_is "$A" && pings 3 ||
	{ echo "# $A ($pci_a): $msix MSI-X vectors"; false; }
pvio_result $? "virtio-net members: traffic through the preferred PCI function, $msix MSI-X vectors"

# 2-3. Link down inside the guest, and back up: failback after the up-delay.
switches "$(ifindex "$A")" "$(ifindex "$B")" link-down h link set "$A" down &&
	vnic_is "\$m[\"$A\"].state == \"down\""
pvio_result $? "link down: $B takes over, gratuitous ARP, switch event, traffic"
switches "$(ifindex "$B")" "$(ifindex "$A")" failback h link set "$A" up
pvio_result $? "link up: $A fails back after its up-delay"

# 4-5. Link off in QEMU: the device model reports the loss, not the guest.
switches "$(ifindex "$A")" "$(ifindex "$B")" link-down pvio_qmp_set_link pnic0 false &&
	[ "$(hx cat "/sys/class/net/$A/carrier")" = 0 ]
pvio_result $? "QEMU link off (outside the guest): $B takes over, gratuitous ARP, event, traffic"
switches "$(ifindex "$B")" "$(ifindex "$A")" failback pvio_qmp_set_link pnic0 true
pvio_result $? "QEMU link on: $A fails back"

# 6. VLANs: virtio-net filters them in the device model, so a VLAN on the vNIC
# works only if each member carries the vNIC's VLAN filter, the backup too.
vlan_pings() { ip netns exec "$P" ping -q -c 3 -i 0.1 -W 1 198.51.100.1 >/dev/null 2>&1; }
ip -n "$P" link add link "$C" name "$C.100" type vlan id 100 &&
	ip -n "$P" link set "$C.100" up && ip -n "$P" addr add 198.51.100.2/24 dev "$C.100" &&
	h link add link vnic0 name vnic0.100 type vlan id 100 && h link set vnic0.100 up &&
	h addr add 198.51.100.1/24 dev vnic0.100 && vlan_pings &&
	pvio_qmp_set_link pnic0 false && slowwait 30 active_is "$B" && vlan_pings
pvio_result $? "VLAN 100 on the vNIC: through $A, and through $B after a failover (filters synced)"
pvio_qmp_set_link pnic0 true
slowwait 30 active_is "$A"

# 7. A flaps 100 times from QEMU, each transition 20 ms after the last. Being
# preferred, A may take over again only when it has been up for its up-delay,
# doubled for each recent flap, and the hold-down after the last switch has
# passed: over a burst shorter than the hold-down that allows two switches,
# leaving A and failing back once it settles.
pv vnic set vnic0 --hold-down 10000
before=$(failovers)
mkfifo "$tmp/never" && exec 9<>"$tmp/never"
flapped=0
start=$(date +%s%N)
for i in $(seq 100); do
	pvio_qmp_set_link pnic0 false || break
	read -t 0.02 -u 9 _
	pvio_qmp_set_link pnic0 true || break
	read -t 0.02 -u 9 _
	flapped=$((flapped + 1))
done
burst=$((($(date +%s%N) - start) / 1000000))
echo "# $flapped flaps in $burst ms"
slowwait 40 active_is "$A" && pings 3
settled=$?
after=$(failovers)
allowed=$((2 * (1 + burst / 10000)))
[ $settled -eq 0 ] && [ "$flapped" -eq 100 ] && [ $((after - before)) -le $allowed ] ||
	{ echo "# $((after - before)) switches"; pv vnic show vnic0 | sed 's/^/# /'; false; }
pvio_result $? "100 link flaps from QEMU: $((after - before)) switches (policy allows $allowed), then $A is back"
pv vnic set vnic0 --hold-down 300

# 8. PCI hot-remove of the active function while the peer pings the vNIC:
# only what was in flight is lost.
ip netns exec "$P" ping -q -c 300 -i 0.01 -W 1 192.0.2.1 >"$tmp/ping" 2>&1 &
traffic=$!
ia=$(ifindex "$A")
switches "$ia" "$(ifindex "$B")" removed sh -c "sleep 1; echo 1 > $pci_a/remove" &&
	vnic_is "(.members | length) == 1"
removed=$?
wait "$traffic"
traffic=
received=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$tmp/ping")
sed 's/^/# /' "$tmp/ping" | tail -n 2
[ $removed -eq 0 ] && [ "${received:-0}" -ge 280 ]
pvio_result $? "PCI hot-remove under traffic: $B takes over, ${received:-0} of 300 pings answered"

# 9. The function comes back on a rescan and rejoins as a warm standby; being
# preferred, it takes over again.
echo 1 >/sys/bus/pci/rescan
nic_back() { [ -n "$(pvio_test_nic 1)" ]; }
slowwait 30 nic_back
udevadm settle -t 10 2>/dev/null
A=$(pvio_test_nic 1)
[ -n "$A" ] && ip link set "$A" netns "$H" && h link set "$A" master vnic0 &&
	pv vnic member "$A" --priority 10 && slowwait 30 active_is "$A" && pings 3 && vlan_pings
pvio_result $? "rescan: the function rejoins with the vNIC's VLANs and fails back"

# 10. ARP probing over virtio-net: A's path dies with its link up (QEMU holds
# every frame of its hub port). Only probes can tell; B takes over, and A,
# preferred, fails back once it hears B's probes answered again.
probe_failed() { vnic_is "(\$m[\"$1\"].failure // \"\") == \"probe-failed\""; }
not_failed() { vnic_is "(\$m[\"$1\"].failure // \"\") == \"\""; }
# The answers to a probe are counted a quarter interval after it: the interval
# must be well above 4 round trips, which through QEMU under the debug kernel
# reach 20 ms (50 ms made the members flap in one run out of three).
pv vnic set vnic0 --probe-target 192.0.2.2 --probe-interval 200 && sleep 1 &&
	not_failed "$A" && not_failed "$B" &&
	switches "$(ifindex "$A")" "$(ifindex "$B")" probe-failed pvio_qmp_block 0 &&
	[ "$(hx cat "/sys/class/net/$A/carrier")" = 1 ] &&
	switches "$(ifindex "$B")" "$(ifindex "$A")" failback pvio_qmp_unblock 0 ||
	{ pv vnic show vnic0 | sed 's/^/# /'; false; }
pvio_result $? "ARP probes: $A's path dies with its link up, $B takes over as probe-failed; $A fails back"

# 11. Both paths dead: both fail, the last one stays active (degraded). The
# other one's path comes back: its own probes, sent in turn from its
# permanent address (which its unicast filter in QEMU must pass), find it.
pvio_qmp_block 0 && pvio_qmp_block 1 && slowwait 30 probe_failed "$A" &&
	slowwait 30 probe_failed "$B" && survivor=$(hx cat /sys/class/net/vnic0/vnic_failover/active) &&
	if [ "$survivor" = "$A" ]; then back=$B n=1; else back=$A n=0; fi &&
	pvio_qmp_unblock $n && slowwait 30 active_is "$back" && pings 3 &&
	pvio_qmp_unblock $((1 - n)) && slowwait 30 not_failed "$survivor" ||
	{ pv vnic show vnic0 | sed 's/^/# /'; false; }
pvio_result $? "every path dead: ${survivor:-?} stays active, degraded; ${back:-?} is found by its own probes and takes over"

# 12. Interrupt migration: on a switch, each MSI-X vector of the new member
# takes the CPUs of the old member's vector with the same index (virtio-net
# does not let the kernel manage them). A's vectors are put on CPU 1, B's are
# on both CPUs (virtio-net's default with two): once A goes down, B's are on
# CPU 1. Idle lines move only when they next fire, so what counts is the
# affinity /proc shows, a pending move's target. The switch is told to the
# netdevice notifier chain as a bond tells a port's change
# (NETDEV_CHANGELOWERSTATE), which rtnetlink passes on as a message about B,
# whose own state does not change.
pin() { # pci-function cpu-list
	local irq
	for irq in $(ls "$1/msi_irqs"); do echo "$2" >"/proc/irq/$irq/smp_affinity_list" || return 1; done
}
on_cpus() { # pci-function cpu-list: every vector is on exactly these CPUs
	local irq
	for irq in $(ls "$1/msi_irqs"); do
		[ "$(cat "/proc/irq/$irq/smp_affinity_list")" = "$2" ] || return 1
	done
}
irq_moves() { hx cat /sys/class/net/vnic0/vnic_failover/irq_moves; }
vectors_b=$(ls "$pci_b/msi_irqs" | wc -l)
mark=$(pvio_kmsg_mark)
pv vnic set vnic0 --probe-target 0.0.0.0 && slowwait 30 active_is "$A" &&
	pin "$pci_a" 1 && on_cpus "$pci_b" 0-1 && moves=$(irq_moves) &&
	{ h monitor link >"$tmp/events" 2>&1 & } && monitor=$! && sleep 1 &&
	h link set "$A" down && slowwait 30 active_is "$B" && on_cpus "$pci_b" 1 &&
	[ $(($(irq_moves) - moves)) -eq "$vectors_b" ] &&
	pvio_kmsg_has "$mark" "vnic0: $vectors_b of $vectors_b interrupts of $B moved to the CPUs of $A" &&
	slowwait 10 grep -q "^[0-9]*: $B: .* master vnic0 " "$tmp/events" ||
	{ for irq in $(ls "$pci_a/msi_irqs" "$pci_b/msi_irqs" | grep -v :); do
		echo "# irq $irq: $(cat "/proc/irq/$irq/smp_affinity_list")"; done
	  echo "# irq_moves $(irq_moves)"; sed 's/^/# /' "$tmp/events"; false; }
pvio_result $? "interrupt migration: $B's $vectors_b MSI-X vectors take the CPUs of $A's; the chain hears of the switch"
kill "$monitor" 2>/dev/null
h link set "$A" up

# 13. IPv6 probing over virtio-net: the solicitations go out through the NIC's
# transmit path and C's stack answers them; both members' multicast filters
# (which QEMU applies) hold the target's solicited-node group. A's path dies:
# B takes over as probe-failed, and A fails back once its path returns.
probe_replies() { hx cat /sys/class/net/vnic0/vnic_failover/probe_replies; }
ip -n "$P" addr add 2001:db8::2/64 dev "$C" nodad && h addr add 2001:db8::1/64 dev vnic0 nodad &&
	slowwait 30 active_is "$A" && replies=$(probe_replies) &&
	pv vnic set vnic0 --probe-target 2001:db8::2 --probe-interval 200 && sleep 2 &&
	not_failed "$A" && not_failed "$B" && [ "$(probe_replies)" -ge $((replies + 5)) ] &&
	h maddr show dev "$A" | grep -q "33:33:ff:00:00:02" &&
	h maddr show dev "$B" | grep -q "33:33:ff:00:00:02" &&
	switches "$(ifindex "$A")" "$(ifindex "$B")" probe-failed pvio_qmp_block 0 &&
	switches "$(ifindex "$B")" "$(ifindex "$A")" failback pvio_qmp_unblock 0 &&
	pv vnic set vnic0 --probe-target :: ||
	{ pv vnic show vnic0 | sed 's/^/# /'; false; }
pvio_result $? "IPv6 probes: solicitations through virtio-net are answered; $A's path dies, $B takes over as probe-failed; $A fails back"

h link del vnic0 && rmmod $MOD
ktap_finished
