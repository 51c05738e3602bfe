// SPDX-License-Identifier: GPL-2.0

#include <linux/skbuff.h>

void rust_helper_kfree_skb(struct sk_buff *skb)
{
	kfree_skb(skb);
}

#ifndef CONFIG_TRACEPOINTS
/* Out of line only with tracepoints; an inline otherwise. */
void rust_helper_consume_skb(struct sk_buff *skb)
{
	consume_skb(skb);
}
#endif

struct sk_buff *rust_helper_skb_share_check(struct sk_buff *skb, gfp_t pri)
{
	return skb_share_check(skb, pri);
}
