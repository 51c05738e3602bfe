// SPDX-License-Identifier: GPL-2.0

#include <net/netlink.h>
#include <net/sock.h>

int rust_helper_nla_len(const struct nlattr *nla)
{
	return nla_len(nla);
}

void *rust_helper_nla_data(const struct nlattr *nla)
{
	return nla_data(nla);
}

__u32 rust_helper_netlink_sender_queued(const struct sk_buff *skb)
{
	const struct sock *sk = NETLINK_CB(skb).sk;

	return sk ? skb_queue_len_lockless(&sk->sk_receive_queue) : 0;
}
