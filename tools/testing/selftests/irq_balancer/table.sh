#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# irq_balancer's logical interrupt table over the VM's virtio-net PCI functions
# (tools/testing/vm.sh): the irq-balancer family, read with the kernel's YNL
# library from the YAML spec, lists the MSI-X vectors of a NIC's function with
# the lines, handler names, CPUs and counts that /proc shows, under a ping; a
# line moved through /proc shows its new CPUs; a veth has no vectors; bad
# requests are refused with an extack; the module unloads.

source "$(dirname "$0")/../pvio_lib.sh"

MOD=irq_balancer
ko=$(pvio_module_path irq_balancer/$MOD)
spec=$PVIO_ROOT/Documentation/netlink/specs/irq_balancer.yaml
tmp=$(mktemp -d)

cleanup() {
	ip link set "$nic" down 2>/dev/null
	ip link set "$peer" down 2>/dev/null
	ip link del ib-veth0 2>/dev/null
	rmmod $MOD 2>/dev/null
	rm -rf "$tmp"
}

ktap_print_header
[ "$(id -u)" -eq 0 ] || ktap_skip_all "needs root"
[ "$(id -u)" -eq 0 ] || exit "$KSFT_SKIP"
nic=$(pvio_test_nic 1) peer=$(pvio_test_nic 3)
if [ -z "$nic" ] || [ -z "$peer" ]; then
	ktap_skip_all "no test adapters (virtio-net 52:54:00:5e:00:0N): run in tools/testing/vm.sh"
	exit "$KSFT_SKIP"
fi
ktap_set_plan 5
[ -f "$ko" ] || ktap_exit_fail_msg "$ko is not built: run make modules"
trap cleanup EXIT
function=$(pvio_pci_function "$nic") || ktap_exit_fail_msg "$nic is not a PCI function"

# Traffic, so the NIC's queue lines have counts: $nic pings all IPv6 nodes on
# the hub, $peer answers.
insmod "$ko" && ip link add ib-veth0 type veth peer name ib-veth1 &&
	ip link set "$nic" up && ip link set "$peer" up &&
	slowwait 10 ping -6 -q -c 3 -i 0.2 -W 1 -I "$nic" ff02::1 >/dev/null 2>&1
pvio_result $? "the module loads; a veth pair beside the NIC $nic, which pings $peer"

python3 "$(dirname "$0")/table_check.py" "$PVIO_KSRC/tools/net/ynl" "$spec" \
	"$(cat "/sys/class/net/$nic/ifindex")" "$function" \
	"$(cat /sys/class/net/ib-veth0/ifindex)" >"$tmp/check" 2>&1
sed 's/^/# /' "$tmp/check"
ok() { grep -q "^ok $1\$" "$tmp/check"; }

ok lines && ok indices && ok handlers && ok cpus && ok unmanaged && ok counts
pvio_result $? "vector-get: $nic's vectors by index, with the lines, handlers, CPUs and counts /proc shows"
ok moved
pvio_result $? "a line moved through /proc shows its new CPUs"
ok veth && ok missing-ifindex && ok no-device
pvio_result $? "a veth has no vectors; a missing or unknown ifindex is refused with an extack"

ip link del ib-veth0 && rmmod $MOD
pvio_result $? "the module unloads"
ktap_finished
