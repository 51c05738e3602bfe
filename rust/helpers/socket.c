// SPDX-License-Identifier: GPL-2.0

#include <linux/net.h>
#include <linux/socket.h>
#include <linux/sockptr.h>
#include <linux/uio.h>
#include <net/netns/generic.h>
#include <net/sock.h>

void *rust_helper_net_generic(const struct net *net, unsigned int id)
{
	return net_generic(net, id);
}

/*
 * Sends one buffer from kernel memory, to @addr if not NULL: kernel_sendmsg()
 * with the msghdr built here, as its layout (a union, bit fields) is C's.
 */
int rust_helper_kernel_sendto(struct socket *sock, const void *addr, int addrlen,
			      const void *buf, size_t len, unsigned int flags)
{
	struct msghdr msg = {
		.msg_name = (void *)addr,
		.msg_namelen = addr ? addrlen : 0,
		.msg_flags = flags,
	};
	struct kvec vec = { .iov_base = (void *)buf, .iov_len = len };

	return kernel_sendmsg(sock, &msg, &vec, 1, len);
}

/*
 * Receives one message into kernel memory: the sender's address into @addr
 * (a sockaddr_storage: TIPC writes two addresses whatever it is told; a
 * protocol that writes one sets msg_namelen, which starts at 0), the
 * data into @buf, ancillary data into @control. On return *@addrlen and
 * *@controllen hold the bytes written there and *@flags the message's flags.
 */
int rust_helper_kernel_recvfrom(struct socket *sock,
				struct __kernel_sockaddr_storage *addr, int *addrlen,
				void *buf, size_t len, void *control,
				size_t *controllen, unsigned int *flags)
{
	struct msghdr msg = {
		.msg_name = addr,
		.msg_control = control,
		.msg_controllen = *controllen,
	};
	struct kvec vec = { .iov_base = buf, .iov_len = len };
	int ret;

	ret = kernel_recvmsg(sock, &msg, &vec, 1, len, *flags);
	/* put_cmsg() advances msg_control and shrinks msg_controllen. */
	*controllen -= msg.msg_controllen;
	*addrlen = msg.msg_namelen;
	*flags = msg.msg_flags;
	return ret;
}

/* Sets a socket option from kernel memory (kernel_setsockopt() is gone). */
int rust_helper_kernel_setsockopt(struct socket *sock, int level, int optname,
				  const void *val, unsigned int len)
{
	sockptr_t opt = KERNEL_SOCKPTR((void *)val);

	if (level == SOL_SOCKET)
		return sock_setsockopt(sock, level, optname, opt, len);
	if (!sock->ops->setsockopt)
		return -EOPNOTSUPP;
	return sock->ops->setsockopt(sock, level, optname, opt, len);
}

void rust_helper_sk_callback_write_lock(struct sock *sk)
{
	write_lock_bh(&sk->sk_callback_lock);
}

void rust_helper_sk_callback_write_unlock(struct sock *sk)
{
	write_unlock_bh(&sk->sk_callback_lock);
}

void rust_helper_sk_callback_read_lock(struct sock *sk)
{
	read_lock_bh(&sk->sk_callback_lock);
}

void rust_helper_sk_callback_read_unlock(struct sock *sk)
{
	read_unlock_bh(&sk->sk_callback_lock);
}

/*
 * The generic slot @id of @net, or NULL if the namespace has none yet: one
 * allocated before the slot's operations were registered has a shorter array
 * until they initialise it.
 */
void *rust_helper_net_generic_or_null(const struct net *net, unsigned int id)
{
	struct net_generic *ng;
	void *ptr = NULL;

	rcu_read_lock();
	ng = rcu_dereference(net->gen);
	if (id < ng->s.len)
		ptr = READ_ONCE(ng->ptr[id]);
	rcu_read_unlock();
	return ptr;
}

struct net *rust_helper_sock_net(const struct sock *sk)
{
	return sock_net(sk);
}
