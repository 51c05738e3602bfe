// SPDX-License-Identifier: GPL-2.0

#include <linux/skbuff.h>

void rust_helper_kfree_skb(struct sk_buff *skb)
{
	kfree_skb(skb);
}
