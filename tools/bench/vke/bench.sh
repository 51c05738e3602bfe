#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vke against the TIPC it rides on, in one VM run, on an eight-node cluster
# (eight namespaces on a bridge, tools/testing/selftests/vke/vke_lib.sh):
#   - rtt: a 64-byte request and its response between two nodes, one after
#     the other: through vke (a daemon on each side, generic netlink, VKE
#     messages, completion) against raw TIPC RDM sockets (the anchor), and
#     against user-space members of a TIPC group, which is what vke's nodes
#     ride on (a second anchor, with the group's flow control);
#   - rate: the same with 16 requests in flight, in exchanges per second;
#   - the vke round trip once more with the two nodes' unicasts in the TIPC
#     group (vke direct off), as they were before the direct sockets: between
#     namespaces of one kernel TIPC hands a message between plain sockets
#     (the anchor's, vke's direct ones) to the peer without the link and the
#     veths, and group messages it does not;
#   - floor: a generic netlink request to vke's family that the core refuses
#     before any handler, and its answer: what a daemon pays at least to hand
#     the node a message and to get one back, whatever the node does. A round
#     trip through vke pays it twice (once per side) on top of TIPC's;
#   - bcast: a 64-byte broadcast answered by each of the seven other nodes,
#     one round after the other: through vke (response requested, completion)
#     against the same pattern in user space over a TIPC communication group
#     (the anchor).
# Each vke figure is measured twice: with daemons that wait in recv (the
# node's work item receives and wakes them), and with daemons that wait in
# the node ("wait": vke's wait operation and send's wait attribute, so that
# the node receives in the daemon's context), on another service.
# Both sides of every figure are plain C sockets (vke_bench.c, built here),
# so the ratios compare kernel paths: an interpreter under TCG costs more per
# message than the kernel does. The vke daemons number their requests and
# send without ACKs, so no reply comes back to either of them. Each figure is measured REPEAT times,
# alternating anchor and vke; the median of the runs' medians is reported.
# Targets (issue 5): rtt ratio <= 1.2, bcast ratio <= 1.0.
#
# usage: bench.sh OUTDIR   (VKE=0 skips it)
set -u
out=${1:?usage: bench.sh OUTDIR}
[ "${VKE:-1}" = 1 ] || exit 0
mkdir -p "$out"
cd "$(dirname "$0")/../../.." || exit 1
. tools/testing/selftests/vke/vke_lib.sh
bench=$out/vke_bench
cc -O2 -Wall -o "$bench" "$PVIO_ROOT/tools/bench/vke/vke_bench.c" || exit 1
REPEAT=${REPEAT:-3}
COUNT=${VKE_COUNT:-1000}
BCAST_COUNT=${VKE_BCAST_COUNT:-200}
log() { echo "bench: $*" | tee -a "$out/summary.txt"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "nan" }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

cleanup() {
	kill $(jobs -p) 2>/dev/null
	wait 2>/dev/null
	vke_cleanup
}
trap cleanup EXIT

# Starts a role of vke_bench in a node in the background; waits for it.
start() { # node-index role args...
	local i=$1 log
	shift
	log=$out/${1}-$i.log
	ip netns exec "${VKE_NODES[$i]}" "$bench" "$@" >"$log" 2>&1 &
	slowwait 20 grep -q ready "$log"
}
# Sets vke's direct sockets on or off in nodes 0 and 1, and waits until each
# sends to the other that way.
direct() { # on|off
	local i want
	want=$([ "$1" = on ] && echo true || echo false)
	for i in 0 1; do
		ip netns exec "${VKE_NODES[$i]}" tools/target/release/pvio vke direct "$1" || exit 1
	done
	for i in 0 1; do
		slowwait 10 sh -c "ip netns exec ${VKE_NODES[$i]} tools/target/release/pvio vke members --json |
			jq -e '[.[] | select(.node == $node1 or .node == $node0)] | all(.direct == $want)' >/dev/null" ||
			{ log "direct $1: the nodes did not follow"; exit 1; }
	done
}
# Runs a client role in node 0; appends its JSON to OUTDIR/NAME.json.
measure() { # name role args...
	local name=$1
	shift
	ip netns exec "${VKE_NODES[0]}" "$bench" "$@" | tee -a "$out/$name.json"
}
# The median over the runs of a figure's FIELD.
figure() { # name field
	jq ".$2" "$out/$1.json" | median
}

insmod "$PVIO_ROOT/vke/vke.ko" || exit 1
vke_cluster 8 || { log "the cluster did not form"; vke_show_links; exit 1; }
# Members TIPC reports are "joining" until their registration admits them.
slowwait 30 sh -c "ip netns exec ${VKE_NODES[0]} tools/target/release/pvio vke members --json | jq -e '[.[] | select(.state == \"up\")] | length == 7' >/dev/null"
node1=$(ip netns exec "${VKE_NODES[1]}" tools/target/release/pvio vke node --json | jq .node)
node0=$(ip netns exec "${VKE_NODES[0]}" tools/target/release/pvio vke node --json | jq .node)

WAIT="--service 43 --wait 1000"
start 1 tipc-echo && start 1 vke-echo && start 1 vke-echo $WAIT || exit 1
for i in $(seq 2 7); do
	start "$i" vke-echo && start "$i" vke-echo $WAIT || exit 1
	start "$i" group-member --instance "$i" || exit 1
done
start 1 group-member --instance 1 || exit 1

for r in $(seq "$REPEAT"); do
	log "run $r of $REPEAT"
	measure tipc-rtt tipc-ping --count "$COUNT"
	measure group-rtt group-ping --count "$COUNT"
	measure vke-rtt vke-ping --to "$node1" --count "$COUNT"
	measure vke-wait-rtt vke-ping --to "$node1" --count "$COUNT" $WAIT
	measure genl-null genl-null --count "$COUNT"
	# The same with the two nodes' unicasts in the group, over the link.
	direct off
	measure vke-group-rtt vke-ping --to "$node1" --count "$COUNT" $WAIT
	direct on
	measure tipc-rate tipc-ping --count "$COUNT" --window 16
	measure group-rate group-ping --count "$COUNT" --window 16
	measure vke-rate vke-ping --to "$node1" --count "$COUNT" --window 16
	measure vke-wait-rate vke-ping --to "$node1" --count "$COUNT" --window 16 $WAIT
	measure group-bcast group-bcast --members 7 --count "$BCAST_COUNT"
	measure vke-bcast vke-bcast --count "$BCAST_COUNT"
	measure vke-wait-bcast vke-bcast --count "$BCAST_COUNT" $WAIT
done

t=$(figure tipc-rtt median_us) v=$(figure vke-rtt median_us)
log "rtt 64 B: raw TIPC median ${t} us (p99 $(figure tipc-rtt p99_us)), vke ${v} us (p99 $(figure vke-rtt p99_us))"
log "ratio vke/tipc rtt: $(ratio "$v" "$t") (target <= 1.2)"
w=$(figure vke-wait-rtt median_us)
log "rtt 64 B, daemons waiting in the node: vke ${w} us (p99 $(figure vke-wait-rtt p99_us))"
log "ratio vke-wait/tipc rtt: $(ratio "$w" "$t") (target <= 1.2)"
u=$(figure vke-group-rtt median_us)
log "rtt 64 B, daemons waiting in the node, unicasts through the group (vke direct off): ${u} us (p99 $(figure vke-group-rtt p99_us)); ratio to raw TIPC $(ratio "$u" "$t"), direct/group $(ratio "$w" "$u")"
g=$(figure group-rtt median_us)
log "rtt 64 B over a TIPC group, member to member: ${g} us (p99 $(figure group-rtt p99_us))"
log "ratio vke/group rtt: $(ratio "$v" "$g"), vke-wait/group rtt: $(ratio "$w" "$g"); group/tipc rtt: $(ratio "$g" "$t")"
n=$(figure genl-null median_us)
log "generic netlink floor: a request refused by the core and its answer ${n} us (p99 $(figure genl-null p99_us)); raw TIPC plus two of them: ratio $(ratio "$((t + 2 * n))" "$t")"
t=$(figure tipc-rate per_s) g=$(figure group-rate per_s) v=$(figure vke-rate per_s) w=$(figure vke-wait-rate per_s)
log "rate, 16 in flight: raw TIPC ${t}/s, TIPC group ${g}/s, vke ${v}/s, vke-wait ${w}/s"
log "ratio vke/tipc rate: $(ratio "$v" "$t"), vke/group rate: $(ratio "$v" "$g"), vke-wait/tipc rate: $(ratio "$w" "$t"), vke-wait/group rate: $(ratio "$w" "$g") (higher is better)"
g=$(figure group-bcast median_us) v=$(figure vke-bcast median_us) w=$(figure vke-wait-bcast median_us)
log "bcast to 7 with all responses: user-space group median ${g} us (p99 $(figure group-bcast p99_us)), vke ${v} us (p99 $(figure vke-bcast p99_us)), vke-wait ${w} us (p99 $(figure vke-wait-bcast p99_us))"
log "ratio vke/group bcast: $(ratio "$v" "$g"), vke-wait/group bcast: $(ratio "$w" "$g") (target <= 1.0)"
stats=$(ip netns exec "${VKE_NODES[0]}" tools/target/release/pvio vke node --json)
log "node 0 after the runs: $(echo "$stats" | jq -c '{pending, stats: (.stats | map({(.[0]): .[1]}) | add | {sent, completed, timeouts, duplicates, unexpected, dropped})}')"
