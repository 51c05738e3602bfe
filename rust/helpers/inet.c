// SPDX-License-Identifier: GPL-2.0

#include <linux/inetdevice.h>

struct in_device *rust_helper___in_dev_get_rcu(const struct net_device *dev)
{
	return __in_dev_get_rcu(dev);
}
