// SPDX-License-Identifier: GPL-2.0

#include <linux/if_vlan.h>
#include <linux/skbuff.h>
#include <net/sch_generic.h>

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

/*
 * A master device that forwards to a port keeps the buffer's queue mapping from
 * before its own queue choice here, as bonding and net_failover do, so the
 * port chooses its queue from what the buffer carried.
 */
u16 rust_helper_skb_port_queue_mapping(struct sk_buff *skb)
{
	return qdisc_skb_cb(skb)->slave_dev_queue_mapping;
}

void rust_helper_skb_set_port_queue_mapping(struct sk_buff *skb, u16 queue)
{
	qdisc_skb_cb(skb)->slave_dev_queue_mapping = queue;
}

bool rust_helper_skb_vlan_tag_present(const struct sk_buff *skb)
{
	return skb_vlan_tag_present(skb);
}

void rust_helper_skb_set_network_header(struct sk_buff *skb, const int offset)
{
	skb_set_network_header(skb, offset);
}

bool rust_helper_skb_queue_empty_lockless(const struct sk_buff_head *list)
{
	return skb_queue_empty_lockless(list);
}
