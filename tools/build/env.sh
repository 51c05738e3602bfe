# SPDX-License-Identifier: GPL-2.0
# Common paths and pinned versions for the build scripts. Sourced, not run.

PVIO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PVIO_CACHE=${PVIO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pvio}

# Pins. The kernel must be built by Debian's rustc-web (its core sources are
# what the kernel compiles `core` from); rustup's rustc lacks rust-src and
# produces E0514 mismatches against a tree built by another rustc.
# Debian keeps only the newest linux-source-6.12 in its archive, and security
# updates move it along 6.12.y: the version is whatever is installed (6.12.117
# is the one tested), and the cache is keyed by it.
PVIO_KERNEL_PKG=linux-source-6.12
PVIO_KERNEL_TARBALL=/usr/src/linux-source-6.12.tar.xz
PVIO_KERNEL_TESTED=6.12.117
# Not installed yet on a bare machine (setup.sh installs it): no version, and
# no failure under `set -e -o pipefail`.
PVIO_KERNEL_VERSION=$({ dpkg-query -W -f='${Version}' "$PVIO_KERNEL_PKG" 2>/dev/null || true; } | sed 's/-.*//')
PVIO_KERNEL_VERSION=${PVIO_KERNEL_VERSION:-$PVIO_KERNEL_TESTED}
PVIO_RUSTC=/usr/bin/rustc
PVIO_RUSTDOC=/usr/bin/rustdoc
PVIO_RUSTC_VERSION=1.96
PVIO_BINDGEN_VERSION=0.73.2
PVIO_VNG_VERSION=1.42

PVIO_BINDGEN=$PVIO_CACHE/tools/bin/bindgen
PVIO_VENV=$PVIO_CACHE/venv-vng-$PVIO_VNG_VERSION
PVIO_VNG=$PVIO_VENV/bin/vng
PVIO_KSRC=$PVIO_CACHE/src/linux-$PVIO_KERNEL_VERSION
# Pristine copies of the kernel files that rust/ replaces, for restore and
# `make patches`.
PVIO_KORIG=$PVIO_CACHE/src/linux-$PVIO_KERNEL_VERSION.orig

# Build directory of a kernel flavour ("test" or "bench").
pvio_kbuild_dir() {
	echo "$PVIO_CACHE/build/$PVIO_KERNEL_VERSION-$1"
}

# Arguments for every make invocation against the kernel tree.
pvio_kmake_args() {
	echo LLVM=1 RUSTC="$PVIO_RUSTC" HOSTRUSTC="$PVIO_RUSTC" \
		RUSTDOC="$PVIO_RUSTDOC" BINDGEN="$PVIO_BINDGEN"
}

# rustup's tools (cargo, rustfmt) for tools/ and the lint, found even when
# PATH lacks them; appended, so they never shadow the kernel's rustc.
PATH=$PATH:${CARGO_HOME:-$HOME/.cargo}/bin

# The rustup toolchain for user-space crates in tools/ (crates.io deps).
pvio_cargo() {
	local c
	for c in "${CARGO_HOME:-$HOME/.cargo}/bin/cargo" "$(command -v cargo)"; do
		[ -x "$c" ] && { echo "$c"; return; }
	done
	return 1
}

pvio_die() {
	echo "pvio: error: $*" >&2
	exit 1
}

pvio_log() {
	echo "pvio: $*" >&2
}
