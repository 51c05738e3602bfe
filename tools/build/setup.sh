#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Installs and checks everything the build, the VM and the tests need.
# Idempotent: when all is in place it only checks versions (about a second).
set -euo pipefail
. "$(dirname "$0")/env.sh"

# Debian packages: toolchain, kernel source, VM, and the user-space tools
# the selftests and benchmarks drive (irqbalance: irq_balancer's anchor).
DEB_PACKAGES=(
	"$PVIO_KERNEL_PKG" rustc-web rust-web-src clang lld llvm libclang-dev
	make bison flex bc cpio kmod libelf-dev libssl-dev xz-utils zstd
	python3-venv python3-yaml python3-jsonschema qemu-system-x86 busybox-static
	udev iproute2 iputils-ping ethtool iperf3 tcpdump jq socat netcat-openbsd procps
	irqbalance
)

missing_packages() {
	local p
	for p in "${DEB_PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || echo "$p"
	done
}

install_packages() {
	local missing
	missing=$(missing_packages)
	[ -z "$missing" ] && return
	pvio_log "installing Debian packages:" $missing
	local sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update -q
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q $missing
	missing=$(missing_packages)
	[ -z "$missing" ] || pvio_die "packages still missing after apt-get:" $missing
}

# Fails naming the tool when its version is not the pinned one.
check_version() {
	local name=$1 want=$2 got=$3
	case "$got" in
	*"$want"*) ;;
	*) pvio_die "$name: need version $want, found '${got:-nothing}'" ;;
	esac
}

install_bindgen() {
	if [ -x "$PVIO_BINDGEN" ] &&
		"$PVIO_BINDGEN" --version 2>/dev/null | grep -q " $PVIO_BINDGEN_VERSION\$"; then
		return
	fi
	local cargo
	cargo=$(pvio_cargo) || pvio_die "cargo (rustup) not found: needed to install bindgen-cli"
	pvio_log "installing bindgen-cli $PVIO_BINDGEN_VERSION"
	"$cargo" install --locked --force --root "$PVIO_CACHE/tools" \
		"bindgen-cli@$PVIO_BINDGEN_VERSION"
}

install_vng() {
	if [ -x "$PVIO_VNG" ] && "$PVIO_VNG" --version 2>/dev/null | grep -q "$PVIO_VNG_VERSION"; then
		return
	fi
	pvio_log "installing virtme-ng $PVIO_VNG_VERSION in $PVIO_VENV"
	rm -rf "$PVIO_VENV"
	python3 -m venv "$PVIO_VENV"
	"$PVIO_VENV/bin/pip" install -q "virtme-ng==$PVIO_VNG_VERSION"
}

# Unpacks Debian's kernel tarball once. The tree is ours to overlay; the
# pristine files we replace are kept in $PVIO_KORIG.
unpack_kernel() {
	[ -f "$PVIO_KSRC/Makefile" ] && return
	pvio_log "unpacking $PVIO_KERNEL_TARBALL into $PVIO_KSRC"
	local tmp="$PVIO_KSRC.unpack"
	rm -rf "$tmp" "$PVIO_KORIG"
	mkdir -p "$tmp"
	tar -C "$tmp" -xf "$PVIO_KERNEL_TARBALL"
	mv "$tmp"/linux-source-* "$PVIO_KSRC"
	rmdir "$tmp"
}

check_versions() {
	check_version "$PVIO_RUSTC (Debian rustc-web)" "rustc $PVIO_RUSTC_VERSION" \
		"$("$PVIO_RUSTC" --version 2>/dev/null)"
	[ -d /usr/lib/rustlib/src/rust/library/core ] ||
		pvio_die "rust-web-src: core sources missing under /usr/lib/rustlib/src/rust"
	check_version "$PVIO_KERNEL_PKG" "6.12." \
		"$(dpkg-query -W -f='${Version}' "$PVIO_KERNEL_PKG" 2>/dev/null)"
	[ "$PVIO_KERNEL_VERSION" = "$PVIO_KERNEL_TESTED" ] ||
		pvio_log "note: kernel source is $PVIO_KERNEL_VERSION; the tested one is $PVIO_KERNEL_TESTED"
	check_version "bindgen-cli" "$PVIO_BINDGEN_VERSION" "$("$PVIO_BINDGEN" --version 2>/dev/null)"
	check_version "virtme-ng" "$PVIO_VNG_VERSION" "$("$PVIO_VNG" --version 2>/dev/null)"
	local clang_major
	clang_major=$(clang -dumpversion 2>/dev/null | cut -d. -f1)
	[ "${clang_major:-0}" -ge 14 ] || pvio_die "clang: need >= 14, found '${clang_major:-nothing}'"
	command -v qemu-system-x86_64 >/dev/null || pvio_die "qemu-system-x86_64 not found"
	pvio_cargo >/dev/null || pvio_die "cargo (rustup toolchain) not found for tools/"
}

mkdir -p "$PVIO_CACHE"
install_packages
# The kernel version (and so the cache paths) follows the installed package.
. "$(dirname "$0")/env.sh"
install_bindgen
install_vng
unpack_kernel
check_versions
