#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every module of the project loads, shows up in sysfs, and unloads cleanly.
# The harness fails the test on any kernel report (KASAN, lockdep, WARN, leak)
# raised meanwhile.

source "$(dirname "$0")/../pvio_lib.sh"

MODULES=(vke/vke vnic_failover/vnic_failover irq_balancer/irq_balancer
	samples/rust_netdev_notifier samples/rust_netdev_dummy)

ktap_print_header
ktap_set_plan ${#MODULES[@]}

for m in "${MODULES[@]}"; do
	name=$(basename "$m")
	ko=$(pvio_module_path "$m")
	if [ ! -f "$ko" ]; then
		ktap_test_fail "$name: $ko is not built"
		continue
	fi
	insmod "$ko" && [ -d "/sys/module/$name" ] &&
		rmmod "$name" && [ ! -d "/sys/module/$name" ]
	pvio_result $? "$name loads and unloads"
done

ktap_finished
