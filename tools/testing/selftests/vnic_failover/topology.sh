# SPDX-License-Identifier: GPL-2.0
#
# The topology of the vnic_failover suites, sourced by each test: namespace
# $H holds the members ha, hb, hc (veth), namespace $P their peers pa, pb, pc
# in bridge br0 (192.0.2.2/24). Fails the test if it cannot be built.
#
# br0 has a fixed MAC: by default a bridge takes its lowest port MAC, which
# changes when a port goes, and the vNIC would talk to the old one for a while.

vnic_topology() {
	ip netns add "$H" && ip netns add "$P" &&
		ip -n "$P" link add br0 address 02:00:00:00:00:02 type bridge &&
		ip -n "$P" link set br0 up && ip -n "$P" addr add 192.0.2.2/24 dev br0 ||
		ktap_exit_fail_msg "cannot build the topology"
	local m
	for m in a b c; do
		ip -n "$H" link add h$m type veth peer name p$m netns "$P" &&
			ip -n "$P" link set p$m master br0 && ip -n "$P" link set p$m up ||
			ktap_exit_fail_msg "cannot build the topology"
	done
}
