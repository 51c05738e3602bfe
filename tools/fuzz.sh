#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Fuzzes the project's no_std codecs on the host with cargo-fuzz (libFuzzer):
# the VKE message parser and the registration payload (tools/vke-proto/fuzz,
# targets "parse" and "registration"), and irq_balancer's CPU and IRQ lists
# (tools/irq-policy/fuzz, target "lists"). Installs
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
fuzz() { # crate target max-len
	pvio_log "fuzzing $1 $2 for $seconds s"
	(cd "$PVIO_ROOT/tools/$1/fuzz" &&
		PATH="$bin:$PATH" RUSTC_BOOTSTRAP=1 "$cargo" fuzz run "$2" -- \
			-max_total_time="$seconds" -max_len="$3")
}
fuzz vke-proto parse 70000
fuzz vke-proto registration 70000
fuzz irq-policy lists 4096
