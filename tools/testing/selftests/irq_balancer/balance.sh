#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# irq_balancer balancing the VM's virtio-net PCI functions (tools/testing/vm.sh)
# under traffic between two namespaces on QEMU's hub:
#
#   ns X: A (10.77.0.1)  <-- UDP both ways -->  ns Y: C (10.77.0.2)
#
# Every MSI-X line of A and C starts on CPU 0 (set before they are taken under
# management, so that is their original affinity). The balancer must spread
# them so that no CPU takes more than 1.2 x the mean of the managed lines'
# interrupts, then leave a steady load alone; keep a line a user pinned where
# the user put it; move nothing in dry-run mode (but report); never use a
# banned CPU; and give every line CPU 0 back when an adapter leaves or the
# module unloads. Bad requests are refused with an extack message.

source "$(dirname "$0")/../pvio_lib.sh"

MOD=irq_balancer
ko=$(pvio_module_path irq_balancer/$MOD)
pvio=$PVIO_ROOT/tools/target/debug/pvio
udp=$PVIO_ROOT/tools/target/debug/udp-seq
X=ibx-$$
Y=iby-$$
tmp=$(mktemp -d)
RATE=3000

# Ends every process in the namespaces: a namespace, and the NIC in it, lives
# on while one runs, and later suites need the NICs back.
stop_traffic() {
	local pids
	pids=$(ip netns pids "$X" 2>/dev/null; ip netns pids "$Y" 2>/dev/null)
	[ -z "$pids" ] || kill $pids 2>/dev/null
	traffic=
}

cleanup() {
	stop_traffic
	ip netns del "$X" 2>/dev/null
	ip netns del "$Y" 2>/dev/null
	rmmod $MOD 2>/dev/null
	# Later suites expect the default affinity (every CPU).
	for irq in $(lines); do echo "0-$((ncpu - 1))" >"/proc/irq/$irq/smp_affinity_list"; done 2>/dev/null
	rm -rf "$tmp"
}

ktap_print_header
[ "$(id -u)" -eq 0 ] || ktap_skip_all "needs root"
[ "$(id -u)" -eq 0 ] || exit "$KSFT_SKIP"
A=$(pvio_test_nic 1) C=$(pvio_test_nic 3)
ncpu=$(nproc)
if [ -z "$A" ] || [ -z "$C" ]; then
	ktap_skip_all "no test adapters (virtio-net 52:54:00:5e:00:0N): run in tools/testing/vm.sh"
	exit "$KSFT_SKIP"
fi
if [ "$ncpu" -lt 2 ]; then
	ktap_skip_all "one CPU: nothing to balance"
	exit "$KSFT_SKIP"
fi
ktap_set_plan 8
[ -f "$ko" ] || ktap_exit_fail_msg "$ko is not built: run make modules"
[ -x "$pvio" ] && [ -x "$udp" ] || ktap_exit_fail_msg "pvio or udp-seq is not built: cargo build in tools/"
fn_a=$(pvio_pci_function "$A") && fn_c=$(pvio_pci_function "$C") ||
	ktap_exit_fail_msg "$A or $C is not a PCI function"
trap cleanup EXIT

lines() { { ls "$fn_a/msi_irqs"; ls "$fn_c/msi_irqs"; } 2>/dev/null; }
pin_all() { # cpu-list
	local irq
	for irq in $(lines); do echo "$1" >"/proc/irq/$irq/smp_affinity_list" || return 1; done
}
# The CPUs the lines are set to, one list per line, sorted.
cpus_of_lines() {
	local irq
	for irq in $(lines); do cat "/proc/irq/$irq/smp_affinity_list"; done | sort -u
}
all_on() { [ "$(cpus_of_lines)" = "$1" ]; }
# The lines are on at least two CPUs.
spread() { [ "$(cpus_of_lines | wc -l)" -ge 2 ]; }
x() { ip netns exec "$X" "$@"; }
y() { ip netns exec "$Y" "$@"; }
config() { "$pvio" irq config --json | jq -r ".$1"; }
# The per-CPU interrupt rate over $1 seconds, from /proc/interrupts: prints
# "max/mean x 100" over every device line (what the balancer evens out, the
# lines it does not manage included), then the same over the managed lines.
spread_pct() {
	local irqs
	irqs=$(lines | tr '\n' ' ')
	grep -E '^ *[0-9]+:' /proc/interrupts >"$tmp/before"
	sleep "$1"
	grep -E '^ *[0-9]+:' /proc/interrupts >"$tmp/after"
	awk -v n="$ncpu" -v managed=" $irqs" '
		NR == FNR { for (c = 0; c < n; c++) was[$1, c] = $(c + 2); next }
		{ irq = $1; sub(":", "", irq)
		  for (c = 0; c < n; c++) {
			d = $(c + 2) - was[$1, c]; all[c] += d
			if (index(managed, " " irq " ")) ours[c] += d } }
		function pct(v,   c, t, m) { for (c = 0; c < n; c++) { t += v[c]; if (v[c] > m) m = v[c] }
			return t == 0 ? 0 : int(m * n * 100 / t) }
		END { print pct(all), pct(ours) }' "$tmp/before" "$tmp/after"
}
start_traffic() { # seconds
	x "$udp" send --to 10.77.0.2:9 --rate $RATE --seconds "$1" >/dev/null 2>&1 &
	traffic=$!
	y "$udp" send --to 10.77.0.1:9 --rate $RATE --seconds "$1" >/dev/null 2>&1 &
	traffic="$traffic $!"
}

ip netns add "$X" && ip netns add "$Y" && ip link set "$A" netns "$X" &&
	ip link set "$C" netns "$Y" && x ip addr add 10.77.0.1/24 dev "$A" &&
	y ip addr add 10.77.0.2/24 dev "$C" && x ip link set "$A" up && y ip link set "$C" up &&
	slowwait 10 x ping -q -c 1 -W 1 10.77.0.2 >/dev/null 2>&1 && pin_all 0 ||
	ktap_exit_fail_msg "cannot set up the namespaces"
nlines=$(lines | wc -l)

# 1. Adapters under management, each in its namespace, with their lines.
insmod "$ko" && "$pvio" irq config --interval 100 --min-dwell 300 &&
	x "$pvio" irq add "$A" && y "$pvio" irq add "$C" &&
	x "$pvio" irq show --json >"$tmp/x" && y "$pvio" irq show --json >"$tmp/y" &&
	jq -e --arg a "$A" 'length == 1 and .[0].name == $a and
		all(.[0].lines[]; .hold == "none")' "$tmp/x" >/dev/null &&
	[ $(($(jq '.[0].lines | length' "$tmp/x") + $(jq '.[0].lines | length' "$tmp/y"))) -eq "$nlines" ] &&
	[ "$(config interval_ms)" = 100 ] && [ "$(config min_dwell_ms)" = 300 ]
r=$?
[ $r -eq 0 ] || echo "# $nlines lines; X: $(jq -c . "$tmp/x"); Y: $(jq -c . "$tmp/y")"
pvio_result $r "$A and $C under management: their $nlines MSI-X lines, each adapter seen from its namespace"

# 2. Refusals, with extack messages.
refused() { # message command...
	local msg=$1 out
	shift
	out=$("$@" 2>&1) && { echo "# accepted: $*"; return 1; }
	[[ "$out" == *"$msg"* ]] || { echo "# $*: $out"; return 1; }
}
ip link add ibb-veth0 type veth peer name ibb-veth1 &&
	refused "no MSI or MSI-X vectors" "$pvio" irq add ibb-veth0 &&
	refused "under management already" x "$pvio" irq add "$A" &&
	refused "not under management" "$pvio" irq del ibb-veth0 &&
	refused "10 to 10000 ms" "$pvio" irq config --interval 5 &&
	refused "CPU list" "$pvio" irq config --banned-cpus 3-1 &&
	refused "CPU list" "$pvio" irq config --banned-cpus 256 &&
	refused "below the high one" "$pvio" irq config --high-pct 20 --low-pct 20 &&
	[ "$(config interval_ms)" = 100 ] && [ "$(config banned_cpus)" = "" ] &&
	ip link del ibb-veth0
pvio_result $? "bad requests are refused with an extack: no vectors, twice, not managed, bad interval, CPU list, watermarks"

# 3. A skewed load: every line on CPU 0, traffic both ways. The balancer
# spreads the lines, reporting each decision.
"$pvio" irq monitor --count 1 --json >"$tmp/event" 2>"$tmp/monitor.err" &
monitor=$!
slowwait 10 grep -q monitoring "$tmp/monitor.err"
start_traffic 900
slowwait 20 test -s "$tmp/event" && sleep 1 && read -r pct ours < <(spread_pct 2) &&
	jq -e '.dry_run == false and (.moves | length) > 0 and
		all(.moves[]; .reason == "imbalance" and .done)' "$tmp/event" >/dev/null &&
	[ "$(cpus_of_lines | wc -l)" -ge 2 ] && [ "$pct" -le 120 ]
r=$?
kill $monitor 2>/dev/null
echo "# first decision: $(cat "$tmp/event")"
echo "# max/mean per CPU: ${pct:-?}% over every line, ${ours:-?}% over the managed ones; balancer's imbalance $(config imbalance_pct)%"
pvio_result $r "skewed start (all on CPU 0): spread to max/mean <= 1.2, each decision multicast"

# 4. A steady load makes no moves: 100 intervals of 100 ms.
moves=$(config moves) && sleep 10 && [ "$(config moves)" = "$moves" ]
r=$?
echo "# moves $moves -> $(config moves) over 100 intervals"
pvio_result $r "steady balanced load: no move in 100 intervals"

# 5. A line a user pins stays where the user put it.
irq=$(ls "$fn_c/msi_irqs" | sort -n | sed -n 2p)
cur=$(cat "/proc/irq/$irq/smp_affinity_list")
target=$((cur == 0 ? 1 : 0))
echo "$target" >"/proc/irq/$irq/smp_affinity_list" && sleep 1 &&
	y "$pvio" irq show --json | jq -e --argjson irq "$irq" \
		'any(.[0].lines[]; .irq == $irq and .hold == "pinned")' >/dev/null &&
	sleep 2 && [ "$(cat "/proc/irq/$irq/smp_affinity_list")" = "$target" ]
pvio_result $? "a line pinned by a user (irq $irq to CPU $target) is held and left there"

# 6. Leaving management gives the lines back their original CPU (0); in
# dry-run mode the balancer reports decisions and moves nothing.
others_on_0() { # except-irq
	local i
	for i in $(lines); do
		[ "$i" = "$1" ] || [ "$(cat "/proc/irq/$i/smp_affinity_list")" = 0 ] || return 1
	done
}
x "$pvio" irq del "$A" && y "$pvio" irq del "$C" && others_on_0 "$irq" &&
	[ "$(cat "/proc/irq/$irq/smp_affinity_list")" = "$target" ] && pin_all 0 &&
	"$pvio" irq config --dry-run on && x "$pvio" irq add "$A" && y "$pvio" irq add "$C" &&
	{ "$pvio" irq monitor --count 1 --json >"$tmp/event" 2>"$tmp/monitor.err" & } &&
	slowwait 20 test -s "$tmp/event" &&
	jq -e '.dry_run == true and (.moves | length) > 0 and all(.moves[]; .done | not)' \
		"$tmp/event" >/dev/null && sleep 1 && all_on 0
r=$?
echo "# dry-run decision: $(cat "$tmp/event")"
pvio_result $r "adapter-del restores the original CPUs (the pinned line stays pinned); dry run reports moves and makes none"

# 7. Banned CPUs are never used: lines spread over every CPU leave the ones
# that become banned at once (every CPU but 0 here), and nothing goes back
# until they are unbanned.
last=$((ncpu - 1))
banned=1-$last
[ "$last" -eq 1 ] && banned=1
"$pvio" irq config --dry-run off && slowwait 20 spread &&
	"$pvio" irq config --banned-cpus "$banned" && slowwait 10 all_on 0 &&
	[ "$(config banned_cpus)" = "$banned" ] && sleep 2 && all_on 0 &&
	"$pvio" irq config --banned-cpus "" && slowwait 20 spread
r=$?
echo "# CPUs of the lines: $(cpus_of_lines | tr '\n' ' ')"
pvio_result $r "lines leave CPUs $banned once banned and stay off them; unbanned, they spread again"

# 8. Unloading gives every line its original CPU back.
stop_traffic
rmmod $MOD && all_on 0
r=$?
[ $r -eq 0 ] || for irq in $(lines); do echo "# irq $irq: $(cat "/proc/irq/$irq/smp_affinity_list")"; done
pvio_result $r "the module unloads and every line is back on CPU 0"

ktap_finished
