#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The cluster key is TIPC's: nodes 0 and 1 share a key (AEAD, gcm(aes)),
# node 2 has none. The keyed nodes form the cluster; node 2 gets no link, is
# no member of it, cannot reach it, and is not expected to answer it.

source "$(dirname "$0")/vke_lib.sh"

KEY=this_is_a_key16_salt

# Keys need a node identity, set before TIPC starts.
keyed() { # netns index
	ip netns exec "$1" tipc node set identity "vke$2" || return 1
	[ "$2" -ge 2 ] || ip netns exec "$1" tipc node set key "$KEY"
}

trap vke_cleanup EXIT
vke_require
ktap_set_plan 6
keyed_links() {
	[ "$(vke_links_up "${VKE_NODES[0]}")" -eq 1 ] && [ "$(vke_links_up "${VKE_NODES[1]}")" -eq 1 ]
}
VKE_NODE_SETUP=keyed VKE_READY=keyed_links \
	vke_start 3 "three nodes on a bridge, two with a cluster key: the keyed two link"

out=$(mktemp)
vke_scenario keyed "$out"
grep -v '^ok ' "$out" | sed 's/^/# /'
[ "$(vke_links_up "${VKE_NODES[2]}")" -eq 0 ]
r=$?
[ $r -eq 0 ] || vke_show_links
pvio_result $r "the node without the key has no link"
vke_report "$out" keyed-members "the keyed nodes see each other only; the other sees no member"
vke_report "$out" keyed-broadcast "a broadcast expects and gets the keyed peer's response alone; the outsider cannot send to them"
rm -f "$out"

vke_unload "$VKE_MARK"
pvio_result $? "the module unloads without a kernel report"
ktap_finished
