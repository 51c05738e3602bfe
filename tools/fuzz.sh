#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Fuzzes the project's no_std codecs on the host with cargo-fuzz (libFuzzer):
# the VKE message parser and the registration payload (tools/vke-proto/fuzz,
# targets "parse" and "registration"). Installs
# cargo-fuzz from crates.io if missing. The rustup toolchain is stable:
# RUSTC_BOOTSTRAP lets it take the sanitizer flags cargo-fuzz passes.
#
#   tools/fuzz.sh                 # 60 s per target
#   FUZZ_SECONDS=600 tools/fuzz.sh
set -euo pipefail
. "$(dirname "$0")/build/env.sh"

seconds=${FUZZ_SECONDS:-60}
cargo=$(pvio_cargo)
bin=$(dirname "$cargo")
if ! PATH="$bin:$PATH" "$cargo" fuzz --version >/dev/null 2>&1; then
	pvio_log "installing cargo-fuzz"
	"$cargo" install --locked cargo-fuzz
fi
cd "$PVIO_ROOT/tools/vke-proto/fuzz"
for target in parse registration; do
	pvio_log "fuzzing $target for $seconds s"
	PATH="$bin:$PATH" RUSTC_BOOTSTRAP=1 "$cargo" fuzz run "$target" -- \
		-max_total_time="$seconds" -max_len=70000
done
