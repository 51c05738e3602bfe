#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Eight vke nodes on one bridge: every node sees the seven others, and a
# broadcast that asks for responses completes with all seven answered.

source "$(dirname "$0")/vke_lib.sh"

trap vke_cleanup EXIT
vke_require
ktap_set_plan 5
[ -f "$VKE_KO" ] || ktap_exit_fail_msg "$VKE_KO is not built: run make modules"

mark=$(pvio_kmsg_mark)
insmod "$VKE_KO"
pvio_result $? "the module loads"

vke_cluster 8
r=$?
[ $r -eq 0 ] || vke_show_links
pvio_result $r "eight namespaces linked by TIPC on a bridge (28 links)"

out=$(mktemp)
vke_scenario wide "$out"
grep -v '^ok ' "$out" | sed 's/^/# /'
vke_report "$out" members "each node sees the seven others as members"
vke_report "$out" wide-broadcast "a broadcast asking for responses completes with all seven answered"
rm -f "$out"

vke_unload "$mark"
pvio_result $? "the module unloads without a kernel report"
ktap_finished
