#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The README's main command (`make demo`): sets up and builds what is stale,
# then boots the VM and shows the modules at work (tools/testing/vm/demo-guest.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
tools/build/setup.sh
tools/build/kernel.sh test
tools/build/modules.sh test
# The project's CLI, which the demo uses to show the vNIC's state.
. tools/build/env.sh
"$(pvio_cargo)" build --quiet --manifest-path tools/Cargo.toml -p pvio
echo "pvio: booting the VM (TCG: about a minute)..." >&2
tools/testing/vm.sh --exec tools/testing/vm/demo-guest.sh
