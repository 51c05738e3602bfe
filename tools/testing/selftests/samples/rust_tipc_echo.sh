#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Exercises samples/rust_tipc_echo, and through it per-namespace state
# (kernel::net::pernet), kernel sockets (kernel::net::socket) and TIPC groups
# (kernel::net::tipc): a kernel socket per namespace joins group "pvio" and
# answers what members send it. A user-space member (tipc_group.py) must see
# the kernel members join and leave, and get one answer per member to a
# broadcast, a unicast and an anycast, on one node and across two nodes (two
# namespaces whose TIPC runs over a veth pair); a namespace's member goes with
# the namespace, every one with the module, without a splat or a leak.

source "$(dirname "$0")/../pvio_lib.sh"

MOD=rust_tipc_echo
LOG="$MOD: "
ko=$(pvio_module_path samples/$MOD)
group=$(dirname "$0")/tipc_group.py
GROUP=0x7076696f
nsa=tipca-$$
nsb=tipcb-$$
tmp=$(mktemp -d)

cleanup() {
	ip netns del "$nsa" 2>/dev/null
	ip netns del "$nsb" 2>/dev/null
	rmmod $MOD 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

member() { python3 "$group" --group "$GROUP" "$@"; }
# The answers of a run's output: lines with data.
answers() { grep -c '"data"' "$1"; }

ktap_print_header
[ "$(id -u)" -eq 0 ] || ktap_skip_all "needs root"
[ "$(id -u)" -eq 0 ] || exit "$KSFT_SKIP"
command -v tipc >/dev/null || { ktap_skip_all "no tipc command (iproute2)"; exit "$KSFT_SKIP"; }
python3 -c 'import socket; socket.AF_TIPC' 2>/dev/null ||
	{ ktap_skip_all "python3 has no AF_TIPC"; exit "$KSFT_SKIP"; }
ktap_set_plan 9
[ -f "$ko" ] || ktap_exit_fail_msg "$ko is not built: run make modules"

mark=$(pvio_kmsg_mark)
insmod "$ko" && pvio_kmsg_has "$mark" "${LOG}joined group 0x7076696f in every namespace$"
pvio_result $? "the module loads; the initial namespace's socket joins the group"

# 1. One node: the kernel member is seen joining, and answers each way.
member --mode unicast --message hello >"$tmp/uni" &&
	grep -q '"member": "up"' "$tmp/uni" && [ "$(answers "$tmp/uni")" -eq 1 ] &&
	grep -q '"data": "echo hello"' "$tmp/uni"
r=$?
[ $r -eq 0 ] || sed 's/^/# /' "$tmp/uni"
pvio_result $r "one node: the kernel member joins; a unicast gets 'echo hello' back from it"

member --mode broadcast --message all >"$tmp/bc" && [ "$(answers "$tmp/bc")" -eq 1 ] &&
	grep -q '"data": "echo all"' "$tmp/bc" &&
	member --mode anycast --message any >"$tmp/any" && grep -q '"data": "echo any"' "$tmp/any"
r=$?
[ $r -eq 0 ] || sed 's/^/# /' "$tmp/bc" "$tmp/any"
pvio_result $r "one node: a group broadcast and an anycast to instance 1 are answered once"

# 2. A message of TIPC's largest size reaches the kernel member whole (its
# answer carries the first bytes, cut to 128).
member --mode unicast --size 66000 >"$tmp/big" && [ "$(answers "$tmp/big")" -eq 1 ] &&
	grep -q '"len": 128, "data": "echo xxxx' "$tmp/big"
r=$?
[ $r -eq 0 ] || sed 's/^/# /' "$tmp/big"
pvio_result $r "a 66000-byte message (TIPC's largest) is received whole and answered"

# 3. Two nodes: namespaces A and B, each with its own kernel member, linked by
# TIPC over a veth pair. A member in A sees both kernel members and gets an
# answer from each node.
ip netns add "$nsa" && ip netns add "$nsb" &&
	ip link add tipca type veth peer name tipcb &&
	ip link set tipca netns "$nsa" && ip link set tipcb netns "$nsb" &&
	ip -n "$nsa" link set tipca up && ip -n "$nsb" link set tipcb up &&
	ip netns exec "$nsa" tipc bearer enable media eth device tipca &&
	ip netns exec "$nsb" tipc bearer enable media eth device tipcb &&
	slowwait 20 sh -c "ip netns exec $nsa tipc link list | grep -q ': up'"
r=$?
[ $r -eq 0 ] || ip netns exec "$nsa" tipc link list | sed 's/^/# /'
pvio_result $r "two namespaces, each with a kernel member, linked by TIPC over a veth pair"

ip netns exec "$nsa" python3 "$group" --group "$GROUP" --members 2 --mode broadcast \
	--message both >"$tmp/two" && [ "$(answers "$tmp/two")" -eq 2 ] &&
	[ "$(grep '"data": "echo both"' "$tmp/two" | jq -s 'map(.node) | unique | length')" -eq 2 ]
r=$?
[ $r -eq 0 ] || sed 's/^/# /' "$tmp/two"
pvio_result $r "two nodes: a broadcast is answered once by each node's kernel member"

# Each kernel member counts the other one and this user-space member (once
# the previous user-space member's leave has reached it).
counted() {
	ip netns exec "$nsa" python3 "$group" --group "$GROUP" --members 2 --mode unicast \
		--message 'members?' >"$tmp/count" &&
		[ "$(grep -c '"data": "members 2"' "$tmp/count")" -eq 2 ]
}
slowwait 15 counted
r=$?
[ $r -eq 0 ] || sed 's/^/# /' "$tmp/count"
pvio_result $r "each kernel member saw the other and the user-space member join (members 2)"

# 4. Deleting namespace B takes its member away: A's kernel member sees it
# leave, and a broadcast from A is answered by A's kernel member alone.
alone() {
	ip netns exec "$nsa" python3 "$group" --group "$GROUP" --members 1 --mode broadcast \
		--message alone --answers 1 --linger 2 >"$tmp/alone"
}
mark=$(pvio_kmsg_mark)
ip netns del "$nsb" &&
	slowwait 30 pvio_kmsg_has "$mark" "${LOG}member down: node [0-9a-f]+ port [0-9]+ instance 1$" &&
	slowwait 15 alone
r=$?
[ $r -eq 0 ] || sed 's/^/# /' "$tmp/alone"
pvio_result $r "deleting namespace B releases its member; A's member sees it leave"

# 5. Unloading releases every namespace's socket: a user-space member, in A or
# in the initial namespace, waits for a member in vain.
none_left() { # ip-netns-exec-prefix...
	! "$@" python3 "$group" --group "$GROUP" --members 1 --mode none --timeout 3 \
		>"$tmp/gone" && grep -q '"error": "members", "seen": 0' "$tmp/gone"
}
mark=$(pvio_kmsg_mark)
rmmod $MOD && none_left ip netns exec "$nsa" && none_left env &&
	! pvio_kmsg_has "$mark" "$PVIO_KERNEL_REPORTS"
pvio_result $? "the module unloads: no kernel member is left in any namespace"
