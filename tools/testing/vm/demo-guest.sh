#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The demo shown by `make demo`, run inside the VM: loads each module of the
# project and shows it at work, as a short report. It grows as modules land.

root=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$root" || exit 1
# shellcheck source=../selftests/pvio_lib.sh
. tools/testing/selftests/pvio_lib.sh

section() { printf '\n== %s\n' "$*"; }
run() { # shows a command and its result
	printf '  $ %s\n' "$*"
	local out rc
	out=$("$@" 2>&1)
	rc=$?
	[ -n "$out" ] && sed 's/^/    /' <<<"$out"
	[ $rc -eq 0 ] || printf '    (exit status %d)\n' "$rc"
	return $rc
}
# Kernel log lines of a module since a marker.
klog_since() { # marker module
	pvio_kmsg_since "$1" | sed -n "s/^$2: /    /p"
}

echo "pvio demo on $(uname -r), $(nproc) CPUs (TCG)"

section "samples/rust_netdev_notifier: the netdevice notifier abstraction (rust/kernel/net/notifier.rs)"
echo "  The sample logs every netdevice event with the device's state, and vetoes"
echo "  bringing up interfaces named veto*."
mark=$(pvio_kmsg_mark)
run insmod samples/rust_netdev_notifier.ko
run ip link add demo0 type dummy
run ip link set demo0 up
run ip link set demo0 mtu 1400
run ip link add veto0 type dummy
run ip link set veto0 up && echo "    (unexpected: the veto did not hold)"
run ip link del demo0
run rmmod rust_netdev_notifier
run ip link set veto0 up
run ip link del veto0
echo "  What the sample saw (kernel log):"
klog_since "$mark" rust_netdev_notifier

section "samples/rust_netdev_dummy: a link type in Rust (rust/kernel/net/link.rs)"
echo "  ip link creates devices of the Rust type; they count and free what they transmit."
run insmod samples/rust_netdev_dummy.ko
run ip link add rd0 type rust_dummy
run ip link set rd0 up
run ip addr add 198.51.100.1/24 dev rd0
ping -q -c 5 -i 0.2 -W 1 198.51.100.2 >/dev/null 2>&1
echo "  (5 pings sent through rd0)"
run ip -s link show rd0
run rmmod rust_netdev_dummy
run ip link show rd0

section "vnic_failover: a vNIC over a pool of members, failing over in the notifier path"
echo "  ns demo-h: vnic0 over ha, hb; ns demo-p: a bridge over their veth peers pa, pb."
ip netns add demo-h && ip netns add demo-p
ip -n demo-p link add br0 address 02:00:00:00:00:02 type bridge
ip -n demo-p link set br0 up && ip -n demo-p addr add 192.0.2.2/24 dev br0
for m in a b; do
	ip -n demo-h link add h$m type veth peer name p$m netns demo-p
	ip -n demo-p link set p$m master br0 && ip -n demo-p link set p$m up
done
mark=$(pvio_kmsg_mark)
run insmod vnic_failover/vnic_failover.ko
run ip -n demo-h link add vnic0 type vnic_failover
run ip -n demo-h link set ha master vnic0
run ip -n demo-h link set hb master vnic0
run ip -n demo-h link set vnic0 up
run ip -n demo-h addr add 192.0.2.1/24 dev vnic0
run ip netns exec demo-h ping -q -c 3 -i 0.2 -W 1 192.0.2.2
echo "  The active member's peer goes down: ha loses carrier."
run ip -n demo-p link set pa down
run ip netns exec demo-h ping -q -c 3 -i 0.2 -W 1 192.0.2.2
run bridge -n demo-p fdb show br br0 dynamic
echo "  The vNIC's state through its generic netlink family, and its ethtool statistics:"
run ip netns exec demo-h tools/target/debug/pvio vnic show vnic0
run ip netns exec demo-h ethtool -S vnic0
run ip -n demo-h link set lo master vnic0
run ip -n demo-h link set hb nomaster
run ip -n demo-h -br link
echo "  What the driver logged:"
klog_since "$mark" vnic_failover
ip netns del demo-h; ip netns del demo-p
run rmmod vnic_failover

section "Module skeletons (no features yet): load and unload"
for m in vke/vke irq_balancer/irq_balancer; do
	name=$(basename $m)
	if insmod $m.ko && [ -d /sys/module/$name ] && rmmod $name; then
		echo "  $name: loaded and unloaded"
	else
		echo "  $name: FAILED to load or unload"
	fi
done

section "Kernel health"
if dmesg | grep -Eq -- "$PVIO_KERNEL_REPORTS"; then
	echo "  kernel reports found:"
	dmesg | grep -E -- "$PVIO_KERNEL_REPORTS" | head -5 | sed 's/^/    /'
else
	echo "  no KASAN, lockdep, WARN or Oops report in the kernel log"
fi
