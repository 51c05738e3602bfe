#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The pvio CLI over vke, on three nodes: node and member reports, the
# example daemon (`pvio vke serve`) answering, silent, and echoing a 60000-
# byte payload, a broadcast with its per-node outcome, member events, and a
# refusal with the node's reason.

source "$(dirname "$0")/vke_lib.sh"

pvio=$PVIO_ROOT/tools/target/debug/pvio
tmp=$(mktemp -d)
on() { # node-index command...
	local ns=${VKE_NODES[$1]}
	shift
	ip netns exec "$ns" "$@"
}

cleanup() {
	kill $(jobs -p) 2>/dev/null
	wait 2>/dev/null
	rm -rf "$tmp"
	vke_cleanup
}
trap cleanup EXIT
vke_require
ktap_set_plan 9
[ -x "$pvio" ] || ktap_exit_fail_msg "$pvio is not built"
vke_start 3 "three nodes linked by TIPC"

members_of() { on "$1" "$pvio" vke members --json | jq '[.[] | select(.state == "up")] | length'; }
two_admitted() { [ "$(members_of 0)" -eq 2 ]; }
# A member TIPC reports is "joining" until its Join or Welcome admits it.
slowwait 30 two_admitted
node=$(on 0 "$pvio" vke node --json)
echo "$node" | jq -c '{node, members, max_pending, max_message}' | sed 's/^/# /'
[ "$(echo "$node" | jq '.node != 0 and .members == 2 and .max_pending == 256')" = true ] &&
	[ "$(members_of 0)" -eq 2 ]
pvio_result $? "pvio vke node and members: an address, two members, the caps"

node1=$(on 1 "$pvio" vke node --json | jq .node)
node2=$(on 2 "$pvio" vke node --json | jq .node)

# Starts `pvio vke serve` on a node in the background; waits until it serves.
serve() { # node-index log args...
	local i=$1 log=$2
	shift 2
	on "$i" "$pvio" vke serve "$@" >"$log" 2>"$log.err" &
	slowwait 10 grep -q serving "$log.err"
}

serve 1 "$tmp/s1" --service 5 --reply pong --count 1 &&
	serve 2 "$tmp/s2" --service 5 --silent --count 1 &&
	on 0 "$pvio" vke send --broadcast --service 5 --respond --deadline 1500 \
		--payload ping --json >"$tmp/bc"
r=$?
sed 's/^/# /' "$tmp/bc"
[ $r -eq 0 ] && [ "$(jq --argjson a "$node1" --argjson b "$node2" '
	.expected == 2 and .done.reason == "deadline" and
	(.responses | length) == 1 and .responses[0].text == "pong" and
	.responses[0].from == $a and
	(.done.responders | sort) == ([[$a, "answered"], [$b, "timeout"]] | sort)' "$tmp/bc")" = true ]
pvio_result $? "a broadcast: node 1's daemon answers, node 2's is silent and times out at 1500 ms"

wait
grep -q "request from .*ping" "$tmp/s1" && grep -q "request from .*ping" "$tmp/s2"
pvio_result $? "both daemons printed the request"

serve 1 "$tmp/s3" --service 6 --count 1 --quiet &&
	on 0 "$pvio" vke send --to "$node1" --service 6 --respond --size 60000 --json >"$tmp/big"
r=$?
[ $r -eq 0 ] && [ "$(jq '.responses[0].text | length' "$tmp/big")" -eq 60000 ]
pvio_result $? "a unicast of 60000 bytes is echoed whole by the daemon"

on 0 "$pvio" vke monitor --count 1 --json >"$tmp/mon" 2>"$tmp/mon.err" &
monitor=$!
slowwait 10 grep -q monitoring "$tmp/mon.err" && ip netns del "${VKE_NODES[2]}" &&
	slowwait 30 grep -q . "$tmp/mon"
r=$?
sed 's/^/# /' "$tmp/mon"
kill $monitor 2>/dev/null
[ $r -eq 0 ] && [ "$(jq --argjson b "$node2" '.node == $b and .state == "down"' "$tmp/mon")" = true ]
pvio_result $? "pvio vke monitor prints node 2 leaving when its namespace goes"

! on 0 "$pvio" vke send --to 0x7777 --service 1 2>"$tmp/err" && grep -q "not a member" "$tmp/err"
r=$?
sed 's/^/# /' "$tmp/err"
pvio_result $r "a send to a node that is not a member fails with the node's reason"

vke_unload "$VKE_MARK"
pvio_result $? "the module unloads without a kernel report"
ktap_finished
