#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A three-node vke cluster: one daemon per node, driven through the vke
# generic netlink family from its YAML spec. Unicast and broadcast requests
# with responses, a service no one serves, a silent responder that times out,
# late and bad responses, bad messages from a daemon and off the wire, a
# daemon that goes away, and a node that leaves in the middle of a broadcast.
# Registration: member status, the cluster's configuration set on one node
# and in effect on all, a group member that is not a vke node kept out, and
# a node joining late handed the configuration and the members' status. A
# request that TIPC returns undelivered fails its responder at once.

source "$(dirname "$0")/vke_lib.sh"

trap vke_cleanup EXIT
vke_require
ktap_set_plan 54
[ -f "$VKE_KO" ] || ktap_exit_fail_msg "$VKE_KO is not built: run make modules"

mark=$(pvio_kmsg_mark)
insmod "$VKE_KO" && pvio_kmsg_has "$mark" "vke: nodes in every namespace"
pvio_result $? "the module loads, with a node in every namespace"

vke_cluster 3
r=$?
[ $r -eq 0 ] || vke_show_links
pvio_result $r "three namespaces linked by TIPC on a bridge"

out=$(mktemp)
# Without CAP_NET_ADMIN (dropped from the bounding set, so root loses it too).
setpriv --bounding-set -net_admin --inh-caps -net_admin \
	python3 "$VKE_CHECK" "$VKE_YNL" "$VKE_SPEC" unprivileged "${VKE_NODES[@]}" >"$out" 2>&1
grep -v '^ok ' "$out" | sed 's/^/# /'
vke_report "$out" unprivileged-read "without CAP_NET_ADMIN, the node and its members can be read"
vke_report "$out" unprivileged-change "without CAP_NET_ADMIN, bind, send, wait and node-set fail with EPERM"

vke_scenario basic "$out"
grep -v '^ok ' "$out" | sed 's/^/# /'
vke_report "$out" members "each node admits the two others as members, with distinct addresses"
vke_report "$out" member-status "each node knows the services and member count of the others from their registration"
vke_report "$out" config-set "cluster-set on one node: every node takes the configuration (generation 1, its origin)"
vke_report "$out" config-deadline "the configuration's default deadline (900 ms) is in effect on another node"
for c in zero-deadline nothing long-name; do
	vke_report "$out" "config-refuse-$c" "a bad cluster-set is refused ($c), with its reason"
done
vke_report "$out" config-kept "refused cluster-sets leave the configuration as it was"
vke_report "$out" unicast "unicast request: the responder's daemon answers, the requester gets the response and its completion"
vke_report "$out" unicast-direct "once the members welcomed each other, requests and responses go between the nodes' direct sockets, a broadcast member by member"
vke_report "$out" direct-off "direct off on a node: what it sends and gets goes through the group, others' broadcasts too; on again, direct again"
vke_report "$out" unicast-no-response "unicast without a response: delivered once, to the bound daemon, with its source and id"
vke_report "$out" broadcast "broadcast request: every other node answers once; completion lists each as answered"
vke_report "$out" unbound "a request for a service no daemon serves is answered -ENOENT by the node and counted"
vke_report "$out" deadline "a silent responder times out at the deadline (800 ms); the others answered"
vke_report "$out" own-request-id "a daemon numbers its own request (no reply); the same id while pending is refused (EEXIST)"
vke_report "$out" shared-request-id "two daemons of a node number a request alike: each gets its response and completion under its id"
vke_report "$out" mixed-request-ids "a daemon's own request number never clashes with one its node gives it"
vke_report "$out" reused-request-id "a late response to a timed-out request does not complete a later one of the same daemon id"
vke_report "$out" late-response "a response after completion is counted unexpected and dropped"
vke_report "$out" wait-timeout "wait with nothing for the daemon returns after its time (300 ms)"
vke_report "$out" wait-queued "wait returns at once when a message for the daemon is queued already"
vke_report "$out" wait-request "a request reaches a daemon waiting in the node, received in its context"
vke_report "$out" send-wait "send with wait returns with the response and the completion queued"
vke_report "$out" wait-refused "a wait longer than 1000 ms is refused (ERANGE)"
for c in bad-magic bad-version truncated trailing unknown-mandatory broadcast-with-destination \
	response-without-request join-from-daemon not-a-member oversize; do
	vke_report "$out" "refuse-$c" "a daemon's message refused ($c), with its reason in the extack"
done
vke_report "$out" refused-sent-nothing "refused messages send nothing"
vke_report "$out" bind-busy "a second daemon cannot bind a served service (EBUSY)"
vke_report "$out" unbind-not-served "unbinding a service the socket does not serve fails (ENOENT)"
vke_report "$out" refuse-from-peer "malformed, spoofed and misaddressed messages from a group member are refused and counted"
vke_report "$out" stranger-not-admitted "a group member that is not a vke node stays joining: its request and registration are refused, broadcasts do not wait for it"
vke_report "$out" refuse-direct-stranger "a socket that is not a member's named direct socket is refused at the direct socket, a registration there too"
vke_report "$out" daemon-gone "a daemon that closes its socket loses its services and pending requests at once"
vke_report "$out" member-left "a node that leaves mid-broadcast completes it at once, marked left"
vke_report "$out" nothing-pending "no duplicate response, nothing left pending"

# A node that joins later, in a namespace of its own whose bearer the
# scenario enables once the others are configured.
vke_add_node
pvio_result $? "a fourth namespace on the bridge, TIPC not started"
python3 "$VKE_CHECK" "$VKE_YNL" "$VKE_SPEC" late "${VKE_NODES[0]}" "${VKE_NODES[1]}" \
	"${VKE_NODES[-1]}" >"$out" 2>&1
grep -v '^ok ' "$out" | sed 's/^/# /'
vke_report "$out" late-members "the two remaining nodes admit each other"
vke_report "$out" late-join "a node joining later, daemons waiting in every node, gets the configuration and the members' services; all admit it"

# A node whose direct socket takes less than a 1300-byte request: TIPC gives
# a socket the default receive buffer (tipc_rmem) when it is made, and a
# group member a buffer of its own. The sender's copy comes back.
late=${VKE_NODES[-1]}
rmem=$(cat /proc/sys/net/tipc/tipc_rmem)
read -r rmem_min _ rmem_max <<<"$rmem"
echo "$rmem_min 2000 $rmem_max" >/proc/sys/net/tipc/tipc_rmem &&
	vke_add_node
r=$?
echo "$rmem" >/proc/sys/net/tipc/tipc_rmem
[ $r -eq 0 ] && ip netns exec "${VKE_NODES[-1]}" tipc bearer enable media eth device eth0
pvio_result $? "a fifth namespace on the bridge, whose direct socket takes 2000 bytes"
python3 "$VKE_CHECK" "$VKE_YNL" "$VKE_SPEC" unreached "${VKE_NODES[0]}" "${VKE_NODES[1]}" \
	"$late" "${VKE_NODES[-1]}" >"$out" 2>&1
grep -v '^ok ' "$out" | sed 's/^/# /'
vke_report "$out" unreached "a request whose copy comes back undelivered fails that node at once (unsent); a broadcast completes when the others answered"
rm -f "$out"

vke_unload "$mark"
pvio_result $? "the module unloads with the namespaces gone, without a kernel report"
ktap_finished
