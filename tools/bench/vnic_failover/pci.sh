# SPDX-License-Identifier: GPL-2.0
#
# Failover over PCI functions, sourced by bench.sh: vnic_failover, bonding
# active-backup (miimon=100) and net_failover, each over two virtio-net
# functions with MSI-X, in the initial namespace, the peer a third function in
# namespace $PCI_P on the same QEMU hub (a repeater: no address learning).
#
#   vnic, bond: m0 over pnic0 (active) and pnic1; peer pnic2 (QEMU hub 0)
#   net_failover: the failover device over nfpri (primary) and its standby
#                 nfsby, which share a MAC; peer nfpeer (QEMU hub 1)
#
# tools/bench/run.sh gives the bench VM the net_failover functions: nfsby
# offers VIRTIO_NET_F_STANDBY (QEMU failover=on), so the guest's virtio-net
# creates the failover device, and nfpri, with the same MAC, becomes its
# primary. The active function fails two ways: its link goes off in QEMU (a
# pulled cable, seen by the guest as a carrier loss) and it is hot-removed
# inside the guest (the way a hypervisor takes a VF back, net_failover's case).

PCI_P=bench-pci-p

# Brings every function back: rescan after a hot-remove, links on.
pci_restore() {
	echo 1 >/sys/bus/pci/rescan
	pvio_qmp_set_link pnic0 true
	pvio_qmp_set_link nfpri true
	slowwait 10 pci_present
}

pci_present() {
	[ -n "$(pvio_test_nic 1)" ] && [ -n "$(pvio_qdev_netdevs nfpri)" ]
}

# Builds one case; sets PCI_DEV (the device with the address), PCI_A (the
# active function's netdev), PCI_ID (its QEMU id) and PCI_C (the peer).
pci_topology() { # vnic|bond|nf
	local b sby
	ip netns del $PCI_P 2>/dev/null
	case $1 in
	vnic | bond)
		PCI_A=$(pvio_test_nic 1) b=$(pvio_test_nic 2) PCI_C=$(pvio_test_nic 3) PCI_ID=pnic0
		PCI_DEV=m0
		ip link set "$PCI_A" down && ip link set "$b" down || return 1
		if [ "$1" = vnic ]; then
			ip link add m0 type vnic_failover || return 1
			[ -z "${HEALTH_INTERVAL:-}" ] ||
				echo "$HEALTH_INTERVAL" >/sys/class/net/m0/vnic_failover/health_check_interval_ms
		else
			ip link add m0 type bond mode active-backup miimon 100 || return 1
		fi
		ip link set "$PCI_A" master m0 && ip link set "$b" master m0 || return 1
		;;
	nf)
		PCI_A=$(pvio_qdev_netdevs nfpri) PCI_C=$(pvio_qdev_netdevs nfpeer) PCI_ID=nfpri
		# The standby's function also holds the failover device when the
		# failover device takes the function as its parent: the standby is the
		# one with a master.
		for sby in $(pvio_qdev_netdevs nfsby); do
			[ -e "/sys/class/net/$sby/master" ] && break
		done
		PCI_DEV=$(basename "$(readlink "/sys/class/net/$sby/master")")
		[ "$(basename "$(readlink "/sys/class/net/$PCI_A/master")")" = "$PCI_DEV" ] ||
			{ echo "bench: net_failover: $PCI_A is not the primary of $PCI_DEV" >&2; return 1; }
		;;
	esac
	ip link set "$PCI_DEV" up && ip addr add 192.0.2.1/24 dev "$PCI_DEV" &&
		ip netns add $PCI_P && ip link set "$PCI_C" netns $PCI_P &&
		ip -n $PCI_P link set "$PCI_C" up && ip -n $PCI_P addr add 192.0.2.2/24 dev "$PCI_C" ||
		return 1
	sleep 1
	ping -q -c 2 -i 0.2 192.0.2.2 >/dev/null
	ip netns exec $PCI_P ping -q -c 2 -i 0.2 192.0.2.1 >/dev/null
}

pci_teardown() { # vnic|bond|nf
	ip -n $PCI_P link set "$PCI_C" netns 1
	ip netns del $PCI_P
	case $1 in
	vnic | bond) ip link del m0 ;;
	nf) ip addr flush dev "$PCI_DEV"; ip link set "$PCI_DEV" down ;;
	esac
	pci_restore
}

# Runs one case REPEAT times per direction; sets W_hp and W_ph (ms) and
# N_hp, N_ph: how many runs never recovered (nothing arrived after the gap).
measure_pci() { # label vnic|bond|nf link|remove
	local label=$1 kind=$2 failure=$3 dir i fail restore rx tx dst
	for dir in hp ph; do
		: >"$out/$label-$dir.jsonl"
		for i in $(seq "$REPEAT"); do
			pci_topology "$kind" || {
				log "$label: cannot build the topology"
				pci_teardown "$kind" 2>/dev/null
				W_hp=nan W_ph=nan
				return 1
			}
			if [ "$failure" = link ]; then
				fail="pvio_qmp_set_link $PCI_ID false" restore=:
			else
				fail="echo 1 >$(pvio_pci_function "$PCI_A")/remove" restore=:
			fi
			if [ $dir = hp ]; then rx=$PCI_P tx=- dst=192.0.2.2; else rx=- tx=$PCI_P dst=192.0.2.1; fi
			stream_run $rx $tx $dst "$fail" "$restore" >>"$out/$label-$dir.jsonl"
			pci_teardown "$kind"
		done
		local w n
		w=$(jq -r .loss_window_ms "$out/$label-$dir.jsonl" | median)
		# A stream that lost its whole second half never recovered.
		n=$(jq -s '[.[] | select(.lost * 2 > .expected)] | length' "$out/$label-$dir.jsonl")
		eval "W_$dir=$w N_$dir=$n"
		log "$label $dir: loss window median ${w} ms (runs: $(jq -r .loss_window_ms "$out/$label-$dir.jsonl" | tr '\n' ' ')ms; lost $(jq -r .lost "$out/$label-$dir.jsonl" | tr '\n' ' ')$([ "$n" = 0 ] || echo "; never recovered: $n of $REPEAT"))"
	done
}

# The PCI section: every case, then ratios per failure kind and direction.
pci_bench() {
	local failure dir v b n
	pvio_qmp_open || { log "pci: no QEMU monitor: skipped"; return 0; }
	[ -n "$(pvio_qdev_netdevs nfsby 2>/dev/null)" ] ||
		{ log "pci: no net_failover functions (run through tools/bench/run.sh): skipped"; return 0; }
	sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	pci_restore || { log "pci: functions missing"; return 1; }
	# net_failover takes as primary only a netdev whose parent is a PCI function
	# ("a direct attached VF"); virtio-net's parent is its virtio device, so a
	# virtio-net primary is refused and the failover device keeps the standby
	# alone. The anchor then needs an emulated NIC driven from its PCI function
	# (e1000e), which the kernel configuration does not have yet.
	local pri nf_refused=
	pri=$(pvio_qdev_netdevs nfpri)
	if [ ! -e "/sys/class/net/$pri/master" ]; then
		nf_refused=1
		log "pci: net_failover refused its primary $pri ($(basename "$(readlink -f "/sys/class/net/$pri/device/driver")") under $(basename "$(readlink -f "/sys/class/net/$pri/device/..")")): a primary must hang off a PCI function; net_failover cases skipped"
	fi
	for failure in link remove; do
		measure_pci pci-vnic-$failure vnic $failure
		eval "PV_${failure}_hp=\$W_hp PV_${failure}_ph=\$W_ph"
		measure_pci pci-bond100-$failure bond $failure
		eval "PB_${failure}_hp=\$W_hp PB_${failure}_ph=\$W_ph"
		if [ -n "$nf_refused" ]; then
			W_hp=nan W_ph=nan
		else
			measure_pci pci-nf-$failure nf $failure
		fi
		eval "PN_${failure}_hp=\$W_hp PN_${failure}_ph=\$W_ph"
		for dir in hp ph; do
			eval "v=\$PV_${failure}_$dir b=\$PB_${failure}_$dir n=\$PN_${failure}_$dir"
			log "ratio pci $failure $dir: vnic/bond(miimon=100) $(ratio "$v" "$b"), vnic/net_failover $([ -n "$nf_refused" ] && echo "skipped" || ratio "$v" "$n")"
		done
	done
}
