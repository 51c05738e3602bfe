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

# Fails (prints why) unless a command is refused with a message containing $1.
refused_with() { # message command...
	local msg=$1 out
	shift
	out=$("$@" 2>&1) && { echo "# accepted: $*"; return 1; }
	[[ "$out" == *"$msg"* ]] || { echo "# $*: $out"; return 1; }
}

# Starts a suite of $1 tests that needs root, the module ($ko) and the CLI.
vnic_suite_start() { # plan
	ktap_print_header
	[ "$(id -u)" -eq 0 ] || ktap_skip_all "needs root"
	[ "$(id -u)" -eq 0 ] || exit "$KSFT_SKIP"
	ktap_set_plan "$1"
	[ -f "$ko" ] || ktap_exit_fail_msg "$ko is not built: run make modules"
	[ -x "$pvio" ] || ktap_exit_fail_msg "$pvio is not built: cargo build in tools/"
}
