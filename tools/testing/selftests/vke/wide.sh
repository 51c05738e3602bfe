#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Eight vke nodes on one bridge: every node sees the seven others, and a
# broadcast that asks for responses completes with all seven answered.

source "$(dirname "$0")/vke_lib.sh"

trap vke_cleanup EXIT
vke_require
ktap_set_plan 5
vke_start 8 "eight namespaces linked by TIPC on a bridge (28 links)"

out=$(mktemp)
vke_scenario wide "$out"
grep -v '^ok ' "$out" | sed 's/^/# /'
vke_report "$out" members "each node sees the seven others as members"
vke_report "$out" wide-broadcast "a broadcast asking for responses completes with all seven answered"
rm -f "$out"

vke_unload "$VKE_MARK"
pvio_result $? "the module unloads without a kernel report"
ktap_finished
