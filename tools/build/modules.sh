#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Builds every module directory of the project (see Kbuild) out of tree
# against the cached kernel of a flavour, warnings as errors.
# usage: modules.sh [test|bench] [clean]
set -euo pipefail
. "$(dirname "$0")/env.sh"

flavour=${1:-test}
obj=$(pvio_kbuild_dir "$flavour")
[ -f "$obj/Module.symvers" ] || pvio_die "kernel ($flavour) not built: run tools/build/kernel.sh $flavour"
read -r -a kargs <<<"$(pvio_kmake_args)"

if [ "${2:-}" = clean ]; then
	exec make -s -C "$obj" M="$PVIO_ROOT" "${kargs[@]}" clean
fi
make -s -C "$obj" M="$PVIO_ROOT" "${kargs[@]}" -j"$(($(nproc) + 1))" \
	KCFLAGS=-Werror KRUSTFLAGS=-Dwarnings modules
