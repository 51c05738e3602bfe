# SPDX-License-Identifier: GPL-2.0
#
# Helpers of the probing suites (arp_probe.sh, ndp_probe.sh), sourced after
# vnic_lib.sh and topology.sh by a test that has set $H, $P (the namespaces
# of vnic_topology) and $sys (vnic0's sysfs directory).

sysfs() { hx cat "$sys/$1"; }
# Disables (0) or re-enables (3, forwarding) the bridge port of a member's peer.
path() { # peer-port state
	bridge -n "$P" link set dev "$1" state "$2"
}
carrier() { hx cat /sys/class/net/"$1"/carrier; }
# Succeeds when member $1 is failed for $2 ("probe-failed"), or not failed at all ("").
failure_is() { # member failure
	vnic_is "(\$m[\"$1\"].failure // \"\") == \"$2\""
}
show() { echo "# $(pv vnic show vnic0 | tr '\n' ' ')"; }
# Succeeds when writing $2 to sysfs file $1 is refused and leaves it unchanged.
sysfs_refuses() { # file value
	local before
	before=$(sysfs "$1")
	! hx sh -c "echo '$2' > $sys/$1" 2>/dev/null && [ "$(sysfs "$1")" = "$before" ] ||
		{ echo "# $1 took '$2'"; false; }
}
both_failed() { failure_is ha probe-failed && failure_is hb probe-failed; }
none_failed() { failure_is ha "" && failure_is hb ""; }
# Succeeds when P's bridge has the vNIC's MAC on port $1 (read now: udev may
# have given vnic0 its persistent address after creation).
learned_on() {
	local vmac
	vmac=$(h -j link show vnic0 | jq -r '.[0].address')
	bridge -n "$P" -j fdb show br br0 |
		jq -e --arg mac "$vmac" --arg port "$1" \
			'any(.[]; .mac == $mac and .ifname == $port)' >/dev/null
}
# learned_on, sampled over a second: the members take turns probing.
learned_always() {
	local i
	for i in 1 2 3 4 5; do learned_on "$1" || return 1; sleep 0.2; done
}
failovers() { pv vnic show vnic0 --json | jq '.[0].failovers'; }
