#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Writes the rust/ overlay as a `git format-patch` series against pristine
# 6.12.117, following tools/build/patches.series. The series applies with
# `git am` on a 6.12.117 tree (Debian's linux-source-6.12 tarball).
#
# usage: make-patches.sh OUTPUT_DIR
set -euo pipefail
. "$(dirname "$0")/env.sh"

out=$(realpath -m "${1:-patches}")
series=$PVIO_ROOT/tools/build/patches.series
"$PVIO_ROOT/tools/build/apply-overlay.sh" # records pristine copies in $PVIO_KORIG

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git -C "$work" init -q
export GIT_AUTHOR_NAME=${GIT_AUTHOR_NAME:-pvio developers}
export GIT_AUTHOR_EMAIL=${GIT_AUTHOR_EMAIL:-pvio@invalid}
export GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL

# The base: pristine versions of the kernel files the overlay replaces.
mapfile -t overlay < <(cd "$PVIO_ROOT" && find rust -type f | LC_ALL=C sort)
for f in "${overlay[@]}"; do
	if [ -f "$PVIO_KORIG/$f" ]; then
		mkdir -p "$work/$(dirname "$f")"
		cp "$PVIO_KORIG/$f" "$work/$f"
	fi
done
git -C "$work" add -A
git -C "$work" commit -q --allow-empty -m "Linux $PVIO_KERNEL_VERSION (pristine files touched by the series)"
base=$(git -C "$work" rev-parse HEAD)

# One commit per block of the series file.
covered=()
while IFS= read -r -d $'\x1e' block; do
	subject=$(sed -n 's/^Subject: //p' <<<"$block")
	files=$(sed -n 's/^Files: //p' <<<"$block")
	body=$(awk 'seen { print } /^$/ && !seen { seen = 1 }' <<<"$block")
	[ -n "$subject" ] && [ -n "$files" ] || continue
	for f in $files; do
		[ -f "$PVIO_ROOT/$f" ] || pvio_die "patches.series names $f, which rust/ lacks"
		mkdir -p "$work/$(dirname "$f")"
		cp "$PVIO_ROOT/$f" "$work/$f"
		git -C "$work" add "$f"
		covered+=("$f")
	done
	git -C "$work" commit -q -m "$subject" -m "$body"
done < <(grep -v '^#' "$series" | awk 'BEGIN { RS = "\n---\n"; ORS = "\x1e" } { print }')

for f in "${overlay[@]}"; do
	printf '%s\n' "${covered[@]}" | grep -qxF "$f" || pvio_die "rust/ file $f is in no patch of $series"
done

rm -rf "$out"
git -C "$work" format-patch -q --cover-letter -o "$out" "$base"
ls "$out"
