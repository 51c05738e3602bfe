#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Two vke nodes over links that lose, reorder and duplicate frames (netem on
# both veths): TIPC's links repair what the wire does, so each of 200
# requests is answered exactly once, with no duplicate or stray response.
# The nodes send through the group (vke direct off): between namespaces of one
# kernel, TIPC hands messages between direct sockets over without the link.

source "$(dirname "$0")/vke_lib.sh"

trap vke_cleanup EXIT
vke_require
ktap_set_plan 5
vke_start 2 "two nodes linked by TIPC over veths with 10% loss, 5% duplication and reordering" \
	netem delay 2ms 1ms loss 10% duplicate 5% reorder 25% 50%

out=$(mktemp)
vke_scenario netem "$out"
grep -v '^ok ' "$out" | sed 's/^/# /'
vke_report "$out" netem-exactly-once "200 requests through the group over the lossy links: each answered exactly once, no duplicate"
# The links did lose and duplicate: TIPC retransmitted and dropped duplicates.
repaired=$(ip netns exec "${VKE_NODES[0]}" tipc link stat show |
	grep -oE '(retrans|dups):[0-9]+' | awk -F: '{ n += $2 } END { print n + 0 }')
echo "# TIPC link repairs (retransmissions and duplicates) seen by node 0: $repaired"
[ "$repaired" -gt 0 ]
pvio_result $? "the links were lossy indeed: TIPC repaired $repaired frames"
rm -f "$out"

vke_unload "$VKE_MARK"
pvio_result $? "the module unloads without a kernel report"
ktap_finished
