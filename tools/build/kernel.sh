#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Builds the patched kernel of one flavour ("test" or "bench") in the cache.
#
# The build directory is kept per source version and flavour; make's own
# dependency tracking handles config and rust/ changes incrementally. A stamp
# of everything that feeds the build skips make entirely when nothing changed.
set -euo pipefail
. "$(dirname "$0")/env.sh"

flavour=${1:-test}
[ -f "$PVIO_ROOT/tools/build/configs/$flavour.config" ] || pvio_die "unknown kernel flavour '$flavour'"
obj=$(pvio_kbuild_dir "$flavour")
mkdir -p "$obj"
read -r -a kargs <<<"$(pvio_kmake_args)"

"$PVIO_ROOT/tools/build/apply-overlay.sh"

fragment=$(cat "$PVIO_ROOT/tools/build/configs/base.config" \
	"$PVIO_ROOT/tools/build/configs/$flavour.config")

stamp=$( {
	echo "$PVIO_KERNEL_VERSION $flavour"
	echo "$fragment"
	cd "$PVIO_ROOT" && find rust -type f | LC_ALL=C sort | xargs sha256sum
} | sha256sum | cut -d' ' -f1)

if [ -f "$obj/arch/x86/boot/bzImage" ] && [ "$(cat "$obj/.pvio-stamp" 2>/dev/null)" = "$stamp" ]; then
	pvio_log "kernel ($flavour) is up to date"
	exit 0
fi

# Checks that every line of the fragment survived Kconfig's dependency
# resolution; a silently dropped option would make tests meaningless.
verify_config() {
	local line sym bad=0
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*)
			grep -qxF -- "$line" "$obj/.config" || {
				pvio_log "config: wanted '$line', got '$(grep -E "^(# )?${line%%=*}[= ]" "$obj/.config" || echo absent)'"
				bad=1
			}
			;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }
			sym=${sym%% *}
			if grep -q "^$sym=" "$obj/.config"; then
				pvio_log "config: wanted '$line', got '$(grep "^$sym=" "$obj/.config")'"
				bad=1
			fi
			;;
		esac
	done <<<"$fragment"
	[ "$bad" -eq 0 ] || pvio_die "the $flavour config fragment did not apply (see above)"
}

if ! cmp -s <(echo "$fragment") "$obj/pvio.config" || [ ! -f "$obj/.config" ]; then
	echo "$fragment" >"$obj/pvio.config"
	pvio_log "configuring $flavour kernel"
	make -s -C "$PVIO_KSRC" O="$obj" "${kargs[@]}" \
		KCONFIG_ALLCONFIG="$obj/pvio.config" allnoconfig
fi
verify_config

pvio_log "building $flavour kernel in $obj"
start=$(date +%s)
# Our rust/ code must build without warnings, like the modules.
make -s -C "$PVIO_KSRC" O="$obj" "${kargs[@]}" KRUSTFLAGS=-Dwarnings -j"$(($(nproc) + 1))"
pvio_log "kernel ($flavour) built in $(($(date +%s) - start)) s"
echo "$stamp" >"$obj/.pvio-stamp"
