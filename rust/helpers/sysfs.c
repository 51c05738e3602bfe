// SPDX-License-Identifier: GPL-2.0

#include <linux/sched/signal.h>
#include <linux/sysfs.h>

void rust_helper_sysfs_attr_init(struct attribute *attr)
{
	sysfs_attr_init(attr);
}

int rust_helper_restart_syscall(void)
{
	return restart_syscall();
}
