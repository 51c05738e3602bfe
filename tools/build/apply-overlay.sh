#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Applies the repository's rust/ onto the cached kernel tree's rust/.
#
# Only files whose content differs are written, so make rebuilds only what a
# change touches. The pristine version of every kernel file we replace is kept
# in $PVIO_KORIG (new files are recorded as such), so a file dropped from
# rust/ is restored, and `make patches` can diff against pristine 6.12.117.
set -euo pipefail
. "$(dirname "$0")/env.sh"

[ -f "$PVIO_KSRC/Makefile" ] || pvio_die "no kernel tree at $PVIO_KSRC: run tools/build/setup.sh"

manifest=$PVIO_KORIG/.overlay-files
base_sums=$PVIO_ROOT/tools/build/overlay-base.sha256

# Checks that a pristine kernel file is the one our whole-file copy was made
# from; a newer 6.12.y may have changed it.
check_base() { # path-under-tree pristine-file
	local want got
	want=$(awk -v f="$1" '$2 == f { print $1 }' "$base_sums")
	[ -n "$want" ] || pvio_die "rust/ replaces kernel file $1, which tools/build/overlay-base.sha256 does not list"
	got=$(sha256sum <"$2" | cut -d' ' -f1)
	[ "$got" = "$want" ] ||
		pvio_die "kernel $PVIO_KERNEL_VERSION changed $1 since our copy was made from $PVIO_KERNEL_TESTED: rebase our $1 on it and update tools/build/overlay-base.sha256"
}
mkdir -p "$PVIO_KORIG"
touch "$manifest"

mapfile -t files < <(cd "$PVIO_ROOT" && find rust -type f ! -name '*~' ! -name '.*' | LC_ALL=C sort)

# First check and back up every pristine file, so a refusal leaves the tree
# untouched; then write what differs.
for f in "${files[@]}"; do
	orig=$PVIO_KORIG/$f
	[ -e "$orig" ] || [ -e "$orig.new" ] || [ ! -e "$PVIO_KSRC/$f" ] ||
		check_base "$f" "$PVIO_KSRC/$f"
done
for f in "${files[@]}"; do
	dst=$PVIO_KSRC/$f
	orig=$PVIO_KORIG/$f
	if [ ! -e "$orig" ] && [ ! -e "$orig.new" ]; then
		mkdir -p "$(dirname "$orig")"
		if [ -e "$dst" ]; then cp -p "$dst" "$orig"; else touch "$orig.new"; fi
	fi
	if ! cmp -s "$PVIO_ROOT/$f" "$dst"; then
		mkdir -p "$(dirname "$dst")"
		cp "$PVIO_ROOT/$f" "$dst"
		pvio_log "overlay: $f"
	fi
done

# Restore what an earlier overlay changed but rust/ no longer carries. (Not a
# `printf | grep -q` pipeline: under pipefail, grep quitting at the first match
# can fail printf with SIGPIPE, and a carried file would be taken for a dropped
# one.)
declare -A carried
for f in "${files[@]}"; do carried[$f]=1; done
while read -r f; do
	[ -n "$f" ] || continue
	[ -n "${carried[$f]:-}" ] && continue
	if [ -e "$PVIO_KORIG/$f.new" ]; then
		rm -f "$PVIO_KSRC/$f" "$PVIO_KORIG/$f.new"
	else
		cp "$PVIO_KORIG/$f" "$PVIO_KSRC/$f"
		rm -f "$PVIO_KORIG/$f"
	fi
	pvio_log "overlay: restored $f"
done <"$manifest"

printf '%s\n' "${files[@]}" >"$manifest"
