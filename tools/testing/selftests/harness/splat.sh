# SPDX-License-Identifier: GPL-2.0
#
# Loads ksft_splat.ko in the mode named by the calling script, then unloads
# it. The test itself passes; whether the harness notices the kernel report is
# what harness-check.sh verifies.

source "$(dirname "$0")/../pvio_lib.sh"

mode=$(basename "$0" .sh)
ko=$(pvio_module_path tools/testing/selftests/harness/ksft_splat)

ktap_print_header
ktap_set_plan 1
insmod "$ko" mode="$mode" && rmmod ksft_splat
pvio_result $? "ksft_splat mode=$mode loads and unloads"
ktap_finished
