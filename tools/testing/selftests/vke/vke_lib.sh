# SPDX-License-Identifier: GPL-2.0
#
# Helpers of the vke selftests: a cluster of N nodes, each a network
# namespace whose TIPC runs over a veth on one bridge, and the checks of
# cluster_check.py reported as KTAP results.

source "$(dirname "${BASH_SOURCE[0]}")/../pvio_lib.sh"

VKE_MOD=vke
VKE_KO=$(pvio_module_path vke/vke)
VKE_SPEC=$PVIO_ROOT/Documentation/netlink/specs/vke.yaml
VKE_YNL=$PVIO_KSRC/tools/net/ynl
VKE_CHECK=$(dirname "${BASH_SOURCE[0]}")/cluster_check.py
VKE_TAG=v$$
VKE_BRIDGE=vkebr$$
VKE_NODES=()

# Skips the whole test when something it needs is missing.
vke_require() {
	ktap_print_header
	if [ "$(id -u)" -ne 0 ]; then
		ktap_skip_all "needs root"
		exit "$KSFT_SKIP"
	fi
	if ! command -v tipc >/dev/null; then
		ktap_skip_all "no tipc command (iproute2)"
		exit "$KSFT_SKIP"
	fi
	if ! python3 -c 'import socket, yaml; socket.AF_TIPC' 2>/dev/null; then
		ktap_skip_all "python3 lacks AF_TIPC or yaml"
		exit "$KSFT_SKIP"
	fi
}

vke_cleanup() {
	local ns
	for ns in "${VKE_NODES[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	ip link del "$VKE_BRIDGE" 2>/dev/null
	rmmod $VKE_MOD 2>/dev/null
}

# The links a node has up to other nodes.
vke_links_up() { # netns
	ip netns exec "$1" tipc link list | grep -v broadcast-link | grep -c ': up'
}

# Builds a cluster of N nodes named ${VKE_TAG}n0.. on a bridge in the
# initial namespace, optionally with a qdisc on each node's veth; waits until
# each node has a link up to every other one. VKE_NODE_SETUP, if set, names a
# function run with each node's namespace and index before TIPC starts there.
vke_cluster() { # N [qdisc args...]
	local n=$1 i ns
	shift
	ip link add "$VKE_BRIDGE" type bridge && ip link set "$VKE_BRIDGE" up || return 1
	for i in $(seq 0 $((n - 1))); do
		vke_add_node || return 1
		ns=${VKE_NODES[-1]}
		if [ $# -gt 0 ]; then
			tc -n "$ns" qdisc add dev eth0 root "$@" || return 1
		fi
		if [ -n "${VKE_NODE_SETUP:-}" ]; then
			"$VKE_NODE_SETUP" "$ns" "$i" || return 1
		fi
		ip netns exec "$ns" tipc bearer enable media eth device eth0 || return 1
	done
	[ -n "${VKE_NODE_SETUP:-}" ] || slowwait 60 vke_links_are $((n - 1))
}

# Adds a node (a namespace with a veth on the bridge, TIPC not started yet) as
# the last of VKE_NODES.
vke_add_node() {
	local i=${#VKE_NODES[@]}
	local ns=${VKE_TAG}n$i
	VKE_NODES+=("$ns")
	ip netns add "$ns" &&
		ip link add "${VKE_TAG}p$i" type veth peer name eth0 netns "$ns" &&
		ip link set "${VKE_TAG}p$i" master "$VKE_BRIDGE" up &&
		ip -n "$ns" link set eth0 up
}

# Succeeds when every node has N links up.
vke_links_are() { # N
	local ns
	for ns in "${VKE_NODES[@]}"; do
		[ "$(vke_links_up "$ns")" -eq "$1" ] || return 1
	done
}

# Loads the module and builds a cluster of N nodes (vke_cluster N ARGS...),
# each step a subtest, the second described by DESC; with VKE_READY set, the
# cluster must also meet that predicate within 60 s. Sets VKE_MARK for
# vke_unload.
vke_start() { # N DESC [qdisc args...]
	local n=$1 desc=$2 r
	shift 2
	[ -f "$VKE_KO" ] || ktap_exit_fail_msg "$VKE_KO is not built: run make modules"
	VKE_MARK=$(pvio_kmsg_mark)
	insmod "$VKE_KO"
	pvio_result $? "the module loads"
	vke_cluster "$n" "$@" && { [ -z "${VKE_READY:-}" ] || slowwait 60 "$VKE_READY"; }
	r=$?
	[ $r -eq 0 ] || vke_show_links
	pvio_result $r "$desc"
}

# Prints each node's TIPC links, for a failure's diagnosis.
vke_show_links() {
	local ns
	for ns in "${VKE_NODES[@]}"; do
		ip netns exec "$ns" tipc link list | sed "s/^/# $ns: /"
	done
}

# Deletes the cluster's namespaces, then unloads the module: succeeds when no
# kernel report appeared since MARK.
vke_unload() { # mark
	local ns
	for ns in "${VKE_NODES[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	VKE_NODES=()
	rmmod $VKE_MOD && ! pvio_kmsg_has "$1" "$PVIO_KERNEL_REPORTS"
}

# Runs a scenario of cluster_check.py on the cluster; its output in FILE.
vke_scenario() { # scenario file
	python3 "$VKE_CHECK" "$VKE_YNL" "$VKE_SPEC" "$1" "${VKE_NODES[@]}" >"$2" 2>&1
}

# Reports check NAME of a scenario's output as a KTAP result.
vke_report() { # file name description
	grep -q "^ok $2\$" "$1"
	local r=$?
	[ $r -eq 0 ] || grep "^fail $2:" "$1" | sed 's/^/# /'
	pvio_result $r "$3"
}
