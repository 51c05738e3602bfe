# SPDX-License-Identifier: GPL-2.0
#
# Helpers of the vnic_failover suites, sourced by a test that has set $H (the
# vNIC's namespace) and $pvio (the project's CLI). The vNIC is vnic0.

h() { ip -n "$H" "$@"; }
hx() { ip netns exec "$H" "$@"; }
pv() { hx "$pvio" "$@"; }
ifindex() { hx cat "/sys/class/net/$1/ifindex"; }

# Succeeds when vnic0's state satisfies a jq condition, in which $m maps member
# names to members. Processes start slowly under TCG: one pvio, one jq.
vnic_is() {
	pv vnic show vnic0 --json |
		jq -e ".[0] | (.members | map({(.name): .}) | add) as \$m | $1" >/dev/null
}

# Succeeds when member $1 is vnic0's active member.
active_is() { vnic_is ".active == \$m[\"$1\"].ifindex"; }
