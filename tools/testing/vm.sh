#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boots the project's kernel under virtme-ng with TCG (this machine's KVM is
# PVM and cannot run ordinary guests) and a PCI machine (microvm has no PCI,
# and the NIC tests want real MSI-X functions).
#
# usage: vm.sh [--flavour test|bench] [--cpus N] [--nics N] [--memory SIZE]
#              [--rwdir DIR]... [--qemu-opts OPTS] [--exec CMD]
# Without --exec it opens an interactive shell in the repository.
set -euo pipefail
. "$(dirname "$0")/../build/env.sh"

flavour=test cpus=2 nics_wanted=3 memory=1G exec_cmd= qemu_opts=
rwdirs=()
while [ $# -gt 0 ]; do
	case $1 in
	--flavour) flavour=$2; shift ;;
	--cpus) cpus=$2; shift ;;
	--nics) nics_wanted=$2; shift ;;
	--memory) memory=$2; shift ;;
	--rwdir) rwdirs+=(--rwdir "$2"); shift ;;
	--qemu-opts) qemu_opts=$2; shift ;;
	--exec) exec_cmd=$2; shift ;;
	*) pvio_die "vm.sh: unknown argument '$1'" ;;
	esac
	shift
done

obj=$(pvio_kbuild_dir "$flavour")
[ -f "$obj/arch/x86/boot/bzImage" ] || pvio_die "kernel ($flavour) not built: run make kernel"

# The test adapters: virtio-net PCI functions with MSI-X on one QEMU hub (a
# repeater), three unless told (at most nine), MACs 52:54:00:5e:00:01-0N,
# device ids pnic0-(N-1). The guest also
# gets QEMU's monitor (QMP) on the virtio serial port org.pvio.qmp, so a test
# can act outside the guest, e.g. take a NIC's link down as a cable would: a
# socket chardev that connects to the monitor's own listening socket.
rundir=$(mktemp -d /tmp/pvio-vm.XXXXXX)
trap 'rm -rf "$rundir"' EXIT
nics=
[[ "$nics_wanted" =~ ^[1-9]$ ]] || pvio_die "vm.sh: --nics takes 1 to 9"
for n in $(seq 0 $((nics_wanted - 1))); do
	nics+=" -netdev hubport,id=hub$n,hubid=0"
	nics+=" -device virtio-net-pci,netdev=hub$n,id=pnic$n,mac=52:54:00:5e:00:0$((n + 1))"
done
qmp=$rundir/qmp
nics+=" -chardev socket,id=qmp,path=$qmp,server=on,wait=off -mon chardev=qmp,mode=control"
nics+=" -chardev socket,id=qmp-guest,path=$qmp -device virtio-serial-pci,id=pvio-serial"
nics+=" -device virtserialport,bus=pvio-serial.0,chardev=qmp-guest,name=org.pvio.qmp"
qemu_opts="$nics${qemu_opts:+ $qemu_opts}"

# Built-in bonding and dummy drivers would each create a device at boot
# (bond0, dummy0); tests create exactly the devices they need.
# The root is the host's, over 9p, which vng mounts without a cache: every
# exec then reads its binary and libraries from the host again, 0.4 s for
# /bin/true under the debug kernel. A later rootflags= replaces vng's; with
# cache=loose the guest keeps what it read (the host must not change the
# files a running guest uses, which a build during a test run would do anyway).
rootflags=version=9p2000.L,trans=virtio,access=any,msize=524288,cache=loose
args=(--disable-kvm --disable-microvm --force-9p --run "$obj"
	--cpus "$cpus" --memory "$memory" --cwd "$PVIO_ROOT" "${rwdirs[@]}"
	--append "bonding.max_bonds=0 dummy.numdummies=0 rootflags=$rootflags")
# vng takes the options as one argument, which must not look like an option.
args+=("--qemu-opts=$qemu_opts")
[ -n "$exec_cmd" ] && args+=(--exec "$exec_cmd")
# vng runs its helpers (virtme-run) from PATH.
PATH=$PVIO_VENV/bin:$PATH "$PVIO_VNG" "${args[@]}"
