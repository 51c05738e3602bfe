// SPDX-License-Identifier: GPL-2.0

#include <linux/etherdevice.h>

void rust_helper_eth_hw_addr_random(struct net_device *dev)
{
	eth_hw_addr_random(dev);
}

bool rust_helper_is_valid_ether_addr(const u8 *addr)
{
	return is_valid_ether_addr(addr);
}

void rust_helper_eth_random_addr(u8 *addr)
{
	eth_random_addr(addr);
}
