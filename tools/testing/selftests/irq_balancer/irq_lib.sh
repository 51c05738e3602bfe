# SPDX-License-Identifier: GPL-2.0
#
# The load irq_balancer is tested and benchmarked under (sourced by balance.sh
# and tools/bench/irq_balancer/bench.sh): four of the VM's virtio-net PCI
# functions (tools/testing/vm.sh --nics 4), one per namespace, in two pairs
# exchanging UDP both ways on QEMU's hub:
#
#   ns 1: N1 (10.77.0.1)  <-->  ns 2: N2 (10.77.0.2)
#   ns 3: N3 (10.77.1.1)  <-->  ns 4: N4 (10.77.1.2)
#
# Each NIC has one queue pair, whose receive and transmit lines a balancer
# should keep together: four groups of equal load, which four CPUs can share
# evenly. The caller sets udp (the udp-seq binary), tmp (a scratch directory)
# and RATE (datagrams per second each way), and sources pvio_lib.sh first.

irq_ns=() irq_nic=() irq_fn=()
for i in 1 2 3 4; do irq_ns[i]=ib$i-$$; done
irq_ncpu=$(nproc)

# The address of NIC i: pairs (1, 2) and (3, 4) share a subnet.
irq_addr() { echo "10.77.$((($1 - 1) / 2)).$((($1 - 1) % 2 + 1))"; }
irq_peer_of() { echo $(($1 % 2 == 1 ? $1 + 1 : $1 - 1)); }
in_ns() { local i=$1; shift; ip netns exec "${irq_ns[i]}" "$@"; }

# Finds the four NICs and their PCI functions; fails naming what is missing.
irq_find_nics() {
	local i
	for i in 1 2 3 4; do
		irq_nic[i]=$(pvio_test_nic $i)
		[ -n "${irq_nic[i]}" ] || { echo "no test adapter $i: run in tools/testing/vm.sh --nics 4"; return 1; }
		irq_fn[i]=$(pvio_pci_function "${irq_nic[i]}") ||
			{ echo "${irq_nic[i]} is not a PCI function"; return 1; }
	done
}

# The MSI-X lines of the four functions.
irq_lines() { local i; for i in 1 2 3 4; do ls "${irq_fn[i]}/msi_irqs" 2>/dev/null; done; }

# Sets every line to the CPU list $1.
irq_pin_all() {
	local irq
	for irq in $(irq_lines); do echo "$1" >"/proc/irq/$irq/smp_affinity_list" || return 1; done
}

# The CPUs the lines are set to, one list per line, sorted.
irq_cpus_of_lines() {
	local irq
	for irq in $(irq_lines); do cat "/proc/irq/$irq/smp_affinity_list"; done | sort -u
}

# Moves each NIC into its namespace, addresses it and waits for both pairs.
irq_setup_namespaces() {
	local i
	for i in 1 2 3 4; do
		ip netns add "${irq_ns[i]}" && ip link set "${irq_nic[i]}" netns "${irq_ns[i]}" &&
			in_ns $i ip addr add "$(irq_addr $i)/24" dev "${irq_nic[i]}" &&
			in_ns $i ip link set "${irq_nic[i]}" up || return 1
	done
	slowwait 10 in_ns 1 ping -q -c 1 -W 1 "$(irq_addr 2)" >/dev/null 2>&1 &&
		slowwait 10 in_ns 3 ping -q -c 1 -W 1 "$(irq_addr 4)" >/dev/null 2>&1
}

# Starts the streams, for $1 seconds.
irq_start_traffic() {
	local i
	for i in 1 2 3 4; do
		in_ns $i "$udp" send --to "$(irq_addr "$(irq_peer_of $i)"):9" --rate "$RATE" \
			--seconds "$1" >/dev/null 2>&1 &
	done
}

# Ends every process in the namespaces: a namespace, and the NIC in it, lives
# on while one runs, and later tests need the NICs back.
irq_stop_traffic() {
	local pids i
	pids=$(for i in 1 2 3 4; do ip netns pids "${irq_ns[i]}" 2>/dev/null; done)
	[ -z "$pids" ] || kill $pids 2>/dev/null
}

# Gives the NICs back to the initial namespace, every line every CPU.
irq_teardown() {
	local i
	irq_stop_traffic
	for i in 1 2 3 4; do ip netns del "${irq_ns[i]}" 2>/dev/null; done
	irq_pin_all "0-$((irq_ncpu - 1))" 2>/dev/null
}

# Device interrupt counts per CPU now (the numbered rows of /proc/interrupts).
irq_snapshot() { grep -E '^ *[0-9]+:' /proc/interrupts >"$1"; }

# The imbalance between two snapshots: prints "max/mean x 100" of the per-CPU
# interrupt rate over every device line (what a balancer evens out, lines it
# does not manage included), then the same over the four functions' lines.
irq_imbalance() { # before after
	awk -v n="$irq_ncpu" -v managed=" $(irq_lines | tr '\n' ' ')" '
		NR == FNR { for (c = 0; c < n; c++) was[$1, c] = $(c + 2); next }
		{ irq = $1; sub(":", "", irq)
		  for (c = 0; c < n; c++) {
			d = $(c + 2) - was[$1, c]; all[c] += d
			if (index(managed, " " irq " ")) ours[c] += d } }
		function pct(v,   c, t, m) { for (c = 0; c < n; c++) { t += v[c]; if (v[c] > m) m = v[c] }
			return t == 0 ? 0 : int(m * n * 100 / t) }
		END { print pct(all), pct(ours) }' "$1" "$2"
}
