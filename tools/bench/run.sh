#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: builds the non-debug kernel flavour (only here: tests use the
# debug one) and the modules against it, then boots it once and runs every
# benchmark tools/bench/<name>/bench.sh in the VM. Each benchmark measures its
# anchor (bonding, net_failover, TIPC, irqbalance) in the same run and prints
# ratios against it. Output goes to results/bench-<date>/.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tools/build/env.sh

mapfile -t benches < <(find tools/bench -mindepth 2 -maxdepth 2 -name bench.sh | LC_ALL=C sort)
if [ ${#benches[@]} -eq 0 ]; then
	echo "pvio: no benchmarks yet: they land with vnic_failover, irq_balancer and vke"
	exit 0
fi

tools/build/setup.sh
# The stream generator and receiver the benchmarks run in the VM.
(cd tools && "$(pvio_cargo)" build --release --quiet)
tools/build/kernel.sh bench
tools/build/modules.sh bench
out=$PVIO_ROOT/results/bench-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
cmd=
for b in "${benches[@]}"; do
	# The guest does not inherit our environment: pass the benchmarks' knobs.
	cmd+="FAILOVER=${FAILOVER:-1} REPEAT=${REPEAT:-3} FWD_REPEAT=${FWD_REPEAT:-7} "
	cmd+="PCI=${PCI:-1} FWD=${FWD:-1} PROBE=${PROBE:-1} IRQ=${IRQ:-1} VKE=${VKE:-1} "
	cmd+="${VKE_COUNT:+VKE_COUNT=$VKE_COUNT }${VKE_BCAST_COUNT:+VKE_BCAST_COUNT=$VKE_BCAST_COUNT }"
	cmd+="${IRQ_RUN:+IRQ_RUN=$IRQ_RUN }${IRQ_RATE:+IRQ_RATE=$IRQ_RATE }"
	cmd+="${HEALTH_INTERVAL:+HEALTH_INTERVAL=$HEALTH_INTERVAL }"
	cmd+="${PROBE_INTERVAL:+PROBE_INTERVAL=$PROBE_INTERVAL }"
	cmd+="$b $out/$(basename "$(dirname "$b")"); "
done
# The net_failover anchor over PCI functions (tools/bench/vnic_failover/pci.sh),
# on a hub of its own: a virtio-net standby offering VIRTIO_NET_F_STANDBY, an
# e1000e primary with the same MAC, and a virtio-net peer.
nf=
# net_failover takes as primary only a netdev whose parent is a PCI function,
# which virtio-net's is not: the primary is an e1000e.
for d in nfsby:01:virtio-net-pci nfpri:01:e1000e nfpeer:02:virtio-net-pci; do
	IFS=: read -r id mac model <<<"$d"
	nf+=" -netdev hubport,id=hub-$id,hubid=1"
	nf+=" -device $model,netdev=hub-$id,id=$id,mac=52:54:00:5e:01:$mac"
	if [ "$id" = nfsby ]; then nf+=",failover=on"; fi
done
status=0
tools/testing/vm.sh --flavour bench --cpus 4 --nics 4 --rwdir "$out" --qemu-opts "${nf# }" --exec "$cmd" | tee "$out/console.log" || status=$?
# Leave the modules built for the test kernel, which make vm and make check use.
tools/build/modules.sh test
exit $status
