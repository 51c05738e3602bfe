#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vnic_failover against bonding active-backup (miimon 100 and 10), in one VM run.
#
#   ns H: vnic0 or bond0 (192.0.2.1) -- ha, hb
#   ns P: br0 (192.0.2.2)            -- pa, pb  (veth peers)
#
# Failover: a sequence-numbered UDP stream at $RATE datagrams/s runs for
# $SECONDS_RUN s; after 2 s the active member's peer (pa) goes down, so ha
# loses carrier. The receiver reports the longest run of lost datagrams and the
# outage (loss window), measured between the send times of the datagrams that
# arrived on either side of the gap. Both directions are measured:
# H->P (the vNIC must move its transmit) and P->H (the peer must learn the
# new port, from the gratuitous ARP). Each case runs $REPEAT times; the median
# is reported.
#
# The same over PCI functions, against net_failover too: see pci.sh.
#
# A dead path with the link up (PROBE=1): the bridge port of the active
# member's peer is disabled, so no carrier changes and only ARP probes can
# tell. The vNIC probing 192.0.2.2 every $PROBE_INTERVAL ms against bonding's
# ARP monitor with the same target, interval and missed count (arp_validate
# all), the loss window measured as above.
#
# Overhead: the highest rate the stream reaches through the vNIC against the
# bare member (ha alone, same addresses).
#
# usage: bench.sh OUTDIR
set -u
out=${1:?usage: bench.sh OUTDIR}
mkdir -p "$out"
cd "$(dirname "$0")/../../.." || exit 1
. tools/build/env.sh
# QMP, the test adapters and slowwait, as the selftests use them.
. tools/testing/selftests/pvio_lib.sh
. tools/bench/vnic_failover/pci.sh
UDPSEQ=$PVIO_ROOT/tools/target/release/udp-seq
KO=$PVIO_ROOT/vnic_failover/vnic_failover.ko
RATE=${RATE:-10000}
SECONDS_RUN=${SECONDS_RUN:-5}
REPEAT=${REPEAT:-3}
# Forwarding samples per setup, taken in interleaved rounds (bare, vnic, bond,
# bare, ...) so that drift of the emulated machine hits every setup alike.
FWD_REPEAT=${FWD_REPEAT:-7}
H=bench-h
P=bench-p
log() { echo "bench: $*" | tee -a "$out/summary.txt"; }

topology() { # master-kind [bond options...]
	ip netns del $H 2>/dev/null; ip netns del $P 2>/dev/null
	ip netns add $H && ip netns add $P
	ip -n $P link add br0 address 02:00:00:00:00:02 type bridge
	ip -n $P link set br0 up
	ip -n $P addr add 192.0.2.2/24 dev br0
	for m in a b; do
		ip -n $H link add h$m type veth peer name p$m netns $P
		ip -n $P link set p$m master br0
		ip -n $P link set p$m up
	done
	case $1 in
	vnic)
		ip -n $H link add m0 type vnic_failover
		# HEALTH_INTERVAL (ms, 0 for none) overrides the health-check default.
		[ -z "${HEALTH_INTERVAL:-}" ] || ip netns exec $H sh -c \
			"echo $HEALTH_INTERVAL >/sys/class/net/m0/vnic_failover/health_check_interval_ms"
		# VNIC_PROBE (an IPv4 address) turns ARP probing on, every PROBE_INTERVAL ms.
		[ -z "${VNIC_PROBE:-}" ] || ip netns exec $H sh -c \
			"cd /sys/class/net/m0/vnic_failover && echo $PROBE_INTERVAL >probe_interval_ms &&
			 echo $VNIC_PROBE >probe_target"
		;;
	bond) shift; ip -n $H link add m0 type bond mode active-backup "$@" ;;
	bare) ip -n $H link set ha up; ip -n $H addr add 192.0.2.1/24 dev ha; return ;;
	esac
	ip -n $H link set ha master m0 && ip -n $H link set hb master m0
	ip -n $H link set m0 up
	ip -n $H addr add 192.0.2.1/24 dev m0
	ip netns exec $H sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	# Let the first member settle and neighbours resolve.
	sleep 1
	ip netns exec $H ping -q -c 2 -i 0.2 192.0.2.2 >/dev/null
	ip netns exec $P ping -q -c 2 -i 0.2 192.0.2.1 >/dev/null
}

# Runs a command in a namespace; "-" is the initial one (the PCI cases).
nsx() { # ns command...
	local ns=$1
	shift
	if [ "$ns" = - ]; then "$@"; else ip netns exec "$ns" "$@"; fi
}

# One failover run; prints the receiver's JSON line. The stream goes from
# namespace tx to rx (address dst); `fail` runs 2 s into it, `restore` after.
stream_run() { # rx tx dst fail restore
	local rx=$1 tx=$2 dst=$3 fail=$4 restore=$5
	nsx "$rx" "$UDPSEQ" recv --bind 0.0.0.0:9000 --rate $RATE --seconds $SECONDS_RUN \
		--idle 1 >"$out/recv.json" &
	local rpid=$!
	sleep 0.3
	nsx "$tx" "$UDPSEQ" send --to "$dst:9000" --rate $RATE --seconds $SECONDS_RUN \
		>"$out/send.json" &
	local spid=$!
	sleep 2
	eval "$fail"
	wait $spid
	wait $rpid
	eval "$restore"
	jq -c --slurpfile s "$out/send.json" '. + {send_rate: $s[0].rate}' "$out/recv.json"
}

# Disables (state 0) or re-enables (3) the bridge port of the peer of m0's
# active member: with ARP monitoring, bonding's first active slave is whichever
# its monitor saw first, not always ha.
active_path() { # state
	if [ "$1" = 0 ]; then
		local active
		active=$(ip netns exec $H cat /sys/class/net/m0/bonding/active_slave 2>/dev/null ||
			ip netns exec $H cat /sys/class/net/m0/vnic_failover/active)
		dead_port=p${active#h}
	fi
	bridge -n $P link set dev "$dead_port" state "$1"
}

# A failover run over the veth topology: the active member's peer goes down
# (carrier loss), or with FAIL=path, its bridge port is disabled (link up).
failover_run() { # direction(hp|ph)
	local fail="ip -n $P link set pa down" restore="ip -n $P link set pa up"
	if [ "${FAIL:-link}" = path ]; then
		fail="active_path 0"
		restore="active_path 3"
	fi
	if [ "$1" = hp ]; then
		stream_run $P $H 192.0.2.2 "$fail" "$restore"
	else
		stream_run $H $P 192.0.2.1 "$fail" "$restore"
	fi
}

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR ? a[int((NR + 1) / 2)] : "nan") }'; }

# Runs a failover case REPEAT times per direction; sets W_hp and W_ph (ms).
measure_failover() { # label kind [bond options...]
	local label=$1 dir i
	shift
	for dir in hp ph; do
		: >"$out/$label-$dir.jsonl"
		for i in $(seq "$REPEAT"); do
			topology "$@"
			failover_run $dir >>"$out/$label-$dir.jsonl"
		done
		local w
		w=$(jq -r .loss_window_ms "$out/$label-$dir.jsonl" | median)
		eval "W_$dir=$w"
		log "$label $dir: loss window median ${w} ms (runs: $(jq -r .loss_window_ms "$out/$label-$dir.jsonl" | tr '\n' ' ')ms; lost $(jq -r .lost "$out/$label-$dir.jsonl" | tr '\n' ' '); sender reached $(jq -r .send_rate "$out/$label-$dir.jsonl" | tr '\n' ' ')/s)"
	done
}

# Forwarding setups stay built for every round (namespaces fwd-h-KIND and
# fwd-p-KIND): rebuilding them per sample left namespaces being dismantled in
# the background, which slowed later samples down and once stalled a run.
fwd_setup() { # kind [bond options...]
	H=fwd-h-$1 P=fwd-p-$1 topology "$@"
}

# The highest rate through a setup: ask for far more than it can carry. A
# sample that does not finish counts as 0.
max_pps() { # kind
	local h=fwd-h-$1 p=fwd-p-$1
	# --foreground: a timeout in its own process group would be stopped (SIGTTOU)
	# when it writes to the console.
	timeout --foreground 20 ip netns exec $p "$UDPSEQ" recv --bind 0.0.0.0:9000 \
		--rate 2000000 --seconds 3 --idle 1 >"$out/pps.json" 2>>"$out/fwd.err" &
	local rpid=$!
	sleep 0.3
	timeout --foreground 20 ip netns exec $h "$UDPSEQ" send --to 192.0.2.2:9000 \
		--rate 2000000 --seconds 3 >/dev/null 2>>"$out/fwd.err"
	wait $rpid
	jq -r '.pps // 0' "$out/pps.json" 2>/dev/null || echo 0
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "nan" }'; }

: >"$out/summary.txt"
[ -x "$UDPSEQ" ] || { log "no $UDPSEQ: build tools first"; exit 1; }
insmod "$KO" || { log "cannot load $KO"; exit 1; }
log "rate $RATE datagrams/s, $SECONDS_RUN s per run, $REPEAT runs per case, $(nproc) vCPUs (TCG)"

# FAILOVER=0 leaves out the failover cases over veth, PCI=0 those over PCI
# functions (pci.sh), FWD=0 forwarding and memory.
if [ "${FAILOVER:-1}" != 0 ]; then
measure_failover vnic vnic
V_hp=$W_hp V_ph=$W_ph
dmesg | grep -o 'active member hb (link down, [0-9]* us)' | grep -o '[0-9]* us' >"$out/switch_us.txt"
switch_us=$(sed 's/ us//' "$out/switch_us.txt" | median)
log "vnic switch duration (event to pointer flip) median ${switch_us} us"
measure_failover bond100 bond miimon 100
B100_hp=$W_hp B100_ph=$W_ph
measure_failover bond10 bond miimon 10
B10_hp=$W_hp B10_ph=$W_ph

for dir in hp ph; do
	eval "v=\$V_$dir b100=\$B100_$dir b10=\$B10_$dir"
	log "ratio $dir: vnic/bond(miimon=100) $(ratio "$v" "$b100"), vnic/bond(miimon=10) $(ratio "$v" "$b10")"
done
fi
if [ "${PROBE:-1}" != 0 ]; then
	PROBE_INTERVAL=${PROBE_INTERVAL:-100}
	FAIL=path VNIC_PROBE=192.0.2.2 measure_failover vnic-probe vnic
	P_hp=$W_hp P_ph=$W_ph
	FAIL=path measure_failover bond-arp bond arp_interval "$PROBE_INTERVAL" \
		arp_ip_target 192.0.2.2 arp_validate all arp_missed_max 2
	for dir in hp ph; do
		eval "v=\$P_$dir b=\$W_$dir"
		log "ratio dead path $dir (probes every $PROBE_INTERVAL ms, 2 missed): vnic/bond(arp) $(ratio "$v" "$b")"
	done
fi
[ "${PCI:-1}" = 0 ] || pci_bench

if [ "${FWD:-1}" != 0 ]; then
	: >"$out/fwd-bare.txt"; : >"$out/fwd-vnic.txt"; : >"$out/fwd-bond.txt"
	fwd_setup bare
	fwd_setup vnic
	fwd_setup bond miimon 100
	for i in $(seq "$FWD_REPEAT"); do
		for kind in bare vnic bond; do
			max_pps $kind >>"$out/fwd-$kind.txt"
		done
	done
	for kind in bare vnic bond; do
		ip netns del fwd-h-$kind; ip netns del fwd-p-$kind
	done
	bare=$(median <"$out/fwd-bare.txt")
	vnic=$(median <"$out/fwd-vnic.txt")
	bond=$(median <"$out/fwd-bond.txt")
	for s in bare vnic bond; do
		log "forwarding samples $s: $(tr '\n' ' ' <"$out/fwd-$s.txt")pps"
	done
	log "forwarding (median of $FWD_REPEAT): bare member $bare pps, vnic $vnic pps, bond $bond pps"
	log "ratio forwarding: vnic/bare $(ratio "$vnic" "$bare"), bond/bare $(ratio "$bond" "$bare"), vnic/bond $(ratio "$vnic" "$bond")"

	# Memory: the module, and the unreclaimable slab one vNIC with a member costs,
	# averaged over 16 of them (one alone is below the noise of the counter). The
	# members exist before the first reading. Earlier namespaces are still being
	# freed in the background, so each reading waits until the counter settles
	# (two readings a second apart within 8 KiB, at most 30 s).
	topology bare
	for i in $(seq 16); do ip -n $H link add mm$i type veth peer name mp$i; done
	slab() {
		local last=0 now i
		for i in $(seq 30); do
			sync
			echo 2 >/proc/sys/vm/drop_caches
			now=$(awk '/^SUnreclaim:/ { print $2 }' /proc/meminfo)
			[ $((now > last ? now - last : last - now)) -lt 8 ] && break
			last=$now
			sleep 1
		done
		echo "$now"
	}
	slab0=$(slab)
	for i in $(seq 16); do
		ip -n $H link add mv$i type vnic_failover && ip -n $H link set mm$i master mv$i
	done
	slab1=$(slab)
	# The anchor: as many active-backup bonds, each with one of the same members.
	for i in $(seq 16); do ip -n $H link del mv$i; done
	slab2=$(slab)
	for i in $(seq 16); do
		ip -n $H link set mm$i down && ip -n $H link add mb$i type bond mode active-backup miimon 100 &&
			ip -n $H link set mm$i master mb$i
	done
	slab3=$(slab)
	vnic_kib=$(((slab1 - slab0) / 16)) bond_kib=$(((slab3 - slab2) / 16))
	log "memory: module $(awk '$1 == "vnic_failover" { print $2 }' /proc/modules) bytes; per device with one member, unreclaimable slab (mean of 16): vnic $vnic_kib KiB, bond $bond_kib KiB, ratio $(ratio "$vnic_kib" "$bond_kib")"

	ip netns del $H; ip netns del $P
fi
rmmod vnic_failover
