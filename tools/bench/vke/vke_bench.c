// SPDX-License-Identifier: GPL-2.0
/*
 * The two sides of each vke benchmark and of its anchor, written alike in C
 * (plain sockets, no library on either side) so that the ratios measure the
 * kernel paths, not the clients (an interpreter under TCG costs more per
 * message than the kernel does):
 *
 *   tipc-echo / tipc-ping      raw TIPC RDM sockets: the anchor of rtt, rate
 *   group-member / group-ping  the same over a TIPC group, member to member
 *                              (what vke's nodes ride on): a second anchor
 *   vke-echo / vke-ping        the same exchange through vke: a daemon on
 *                              each side, generic netlink, VKE messages, the
 *                              requester waiting for the completion; with
 *                              --wait MS both wait in the node (vke's wait
 *                              operation, and send's wait attribute), which
 *                              then receives in their context
 *   group-member / group-bcast a broadcast answered by every member, in user
 *                              space over a TIPC group: the anchor of bcast
 *   vke-bcast                  the same through vke
 *   genl-null                  a generic netlink request to vke's family that
 *                              the core refuses before any handler (an unknown
 *                              command) and its ACK: the floor of one daemon
 *                              request and one message back, whatever the node
 *                              does
 *
 * Clients print one JSON object: count, median_us, p99_us, per_s.
 * usage: vke_bench ROLE [--count N] [--warmup N] [--window N] [--size N]
 *                       [--to NODE] [--service N] [--members N] [--instance N]
 *                       [--wait MS]
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/tipc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ECHO_SERVICE 0x70766901u
#define BENCH_GROUP 0x70766902u
#define VKE_MAGIC 0x564b454du
#define VKE_HEADER 48
#define VKE_BIND 3
#define VKE_SEND 5
#define VKE_MESSAGE_NTF 6
#define VKE_DONE_NTF 7
#define VKE_WAIT 10
#define VKE_ATTR_MESSAGE 1
#define VKE_ATTR_WAIT 5
#define BUF (1 << 17)

static struct {
	long count, warmup, window, size, service, members, instance;
	uint32_t to, wait;
} opt = { 1000, 50, 1, 64, 42, 7, 1, 0, 0 };

static unsigned char rx[BUF];

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Prints the summary of `n` round trips that took `elapsed` microseconds. */
static void summary(double *rtt, long n, double elapsed)
{
	qsort(rtt, n, sizeof(*rtt), cmp);
	printf("{\"count\": %ld, \"median_us\": %.0f, \"p99_us\": %.0f, \"per_s\": %.1f}\n",
	       n, rtt[(n - 1) * 50 / 100], rtt[(n - 1) * 99 / 100], n / (elapsed / 1e6));
}

static int tipc_socket(void)
{
	int fd = socket(AF_TIPC, SOCK_RDM, 0);

	if (fd < 0)
		die("socket");
	return fd;
}

static void ready(void)
{
	printf("ready\n");
	fflush(stdout);
}

static void tipc_echo(void)
{
	struct sockaddr_tipc me = {
		.family = AF_TIPC, .addrtype = TIPC_SERVICE_RANGE,
		.scope = TIPC_CLUSTER_SCOPE,
		.addr.nameseq = { ECHO_SERVICE, 1, 1 },
	};
	int fd = tipc_socket();

	if (bind(fd, (struct sockaddr *)&me, sizeof(me)))
		die("bind");
	ready();
	for (;;) {
		struct sockaddr_tipc from;
		socklen_t len = sizeof(from);
		ssize_t n = recvfrom(fd, rx, BUF, 0, (struct sockaddr *)&from, &len);

		if (n < 0)
			die("recvfrom");
		sendto(fd, rx, n, 0, (struct sockaddr *)&from, len);
	}
}

/* Runs the window loop of a client: `send(i)` sends exchange i (from 1),
 * `receive()` returns the exchange a read completed, 0 for none. */
static void client(void (*send)(long), long (*receive)(void))
{
	long total = opt.count + opt.warmup, sent = 0, done = 0, inflight = 0;
	double *at = calloc(total + 1, sizeof(double));
	double *rtt = calloc(total, sizeof(double));
	double start = 0;

	while (done < total) {
		while (sent < total && inflight < opt.window) {
			sent++;
			at[sent] = now_us();
			send(sent);
			inflight++;
		}
		long i = receive();

		if (i <= 0 || i > sent || at[i] == 0)
			continue;
		rtt[done++] = now_us() - at[i];
		at[i] = 0;
		inflight--;
		if (done == opt.warmup)
			start = now_us();
	}
	summary(rtt + opt.warmup, opt.count, now_us() - start);
}

/* The ping's socket, and the service type its peer answers on: the echo's
 * (RDM) or the bench group's, whose member of instance 1 echoes. */
static int ping_fd;
static uint32_t ping_type = ECHO_SERVICE;
static unsigned char *payload;

static void tipc_send_one(long i)
{
	struct sockaddr_tipc to = {
		.family = AF_TIPC, .addrtype = TIPC_SERVICE_ADDR,
		.addr.name.name = { ping_type, 1 },
	};

	memcpy(payload, &i, sizeof(i));
	if (sendto(ping_fd, payload, opt.size, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		die("sendto");
}

static long tipc_receive_one(void)
{
	long i;

	if (recv(ping_fd, rx, BUF, 0) < (ssize_t)sizeof(i))
		return 0;
	memcpy(&i, rx, sizeof(i));
	return i;
}

/* Generic netlink. */
static int nl_fd;
static uint16_t family;

static void nl_open(void)
{
	struct sockaddr_nl me = { .nl_family = AF_NETLINK };

	nl_fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC);
	if (nl_fd < 0 || bind(nl_fd, (struct sockaddr *)&me, sizeof(me)))
		die("netlink");
}

/* Appends an attribute at `at`; returns its padded length. */
static size_t put_attr(unsigned char *at, uint16_t type, const void *data, size_t len)
{
	struct nlattr a = { .nla_len = NLA_HDRLEN + len, .nla_type = type };

	memcpy(at, &a, sizeof(a));
	memcpy(at + NLA_HDRLEN, data, len);
	memset(at + NLA_HDRLEN + len, 0, NLA_ALIGN(len) - len);
	return NLA_HDRLEN + NLA_ALIGN(len);
}

/* Builds a generic netlink message of `cmd` to `type` in `buf`; returns the
 * offset of its attributes. */
static size_t nl_start(unsigned char *buf, uint16_t type, uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr h = { .nlmsg_type = type, .nlmsg_flags = NLM_F_REQUEST | flags };
	struct genlmsghdr g = { .cmd = cmd, .version = 1 };

	memcpy(buf, &h, sizeof(h));
	memcpy(buf + NLMSG_HDRLEN, &g, sizeof(g));
	return NLMSG_HDRLEN + GENL_HDRLEN;
}

static void nl_send(unsigned char *buf, size_t len)
{
	((struct nlmsghdr *)buf)->nlmsg_len = len;
	if (send(nl_fd, buf, len, 0) < 0)
		die("netlink send");
}

/* Sends a request and waits for its answer: with `attrs`, a reply (asked
 * without an ACK), whose attributes are then in rx at *attrs; without, the
 * ACK. An error ends the program. */
static void nl_request(unsigned char *buf, size_t len, size_t *attrs)
{
	nl_send(buf, len);
	for (;;) {
		ssize_t n = recv(nl_fd, rx, BUF, 0);

		if (n < 0)
			die("netlink recv");
		for (struct nlmsghdr *h = (void *)rx; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_ERROR) {
				int err = ((struct nlmsgerr *)NLMSG_DATA(h))->error;

				if (err) {
					errno = -err;
					die("netlink request");
				}
				if (!attrs)
					return;
				continue;
			}
			if (attrs) {
				*attrs = (unsigned char *)h - rx + NLMSG_HDRLEN + GENL_HDRLEN;
				return;
			}
		}
	}
}

static void resolve_vke(void)
{
	unsigned char buf[64];
	size_t at = nl_start(buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0), attrs = 0;

	at += put_attr(buf + at, CTRL_ATTR_FAMILY_NAME, "vke", 4);
	nl_request(buf, at, &attrs);
	size_t end = attrs - NLMSG_HDRLEN - GENL_HDRLEN +
		     ((struct nlmsghdr *)(rx + attrs - NLMSG_HDRLEN - GENL_HDRLEN))->nlmsg_len;

	for (struct nlattr *a = (void *)(rx + attrs);
	     (unsigned char *)a + NLA_HDRLEN <= rx + end && a->nla_len >= NLA_HDRLEN;
	     a = (void *)((unsigned char *)a + NLA_ALIGN(a->nla_len))) {
		if (a->nla_type == CTRL_ATTR_FAMILY_ID) {
			memcpy(&family, (unsigned char *)a + NLA_HDRLEN, 2);
			return;
		}
	}
	fprintf(stderr, "vke: family not found\n");
	exit(1);
}

/* A VKE header in `out` (big-endian fields at fixed offsets). */
static void vke_header(unsigned char *out, uint8_t kind, uint32_t service, uint64_t key,
		       uint32_t dest, uint64_t request, uint16_t sublen, uint32_t paylen)
{
	uint32_t v32;
	uint64_t v64;
	uint16_t v16;

	memset(out, 0, VKE_HEADER);
	v32 = htonl(VKE_MAGIC), memcpy(out, &v32, 4);
	out[4] = 1;
	out[5] = kind;
	v32 = htonl(service), memcpy(out + 8, &v32, 4);
	v64 = htobe64(key), memcpy(out + 12, &v64, 8);
	v32 = htonl(dest), memcpy(out + 24, &v32, 4);
	v64 = htobe64(request), memcpy(out + 28, &v64, 8);
	v16 = htons(sublen), memcpy(out + 40, &v16, 2);
	v32 = htonl(paylen), memcpy(out + 44, &v32, 4);
}

/* Waits in the node (vke's `wait`, no ACK) until a message for this socket
 * is queued, or --wait ms passed. */
static void vke_wait(void)
{
	unsigned char buf[64];
	size_t at = nl_start(buf, family, VKE_WAIT, 0);

	at += put_attr(buf + at, VKE_ATTR_WAIT, &opt.wait, 4);
	nl_send(buf, at);
}

/* Reads the next datagram of the netlink socket into rx. With --wait, it
 * waits in the node rather than in recv. */
static ssize_t nl_recv(void)
{
	for (;;) {
		ssize_t n = recv(nl_fd, rx, BUF, opt.wait ? MSG_DONTWAIT : 0);

		if (n >= 0 || errno != EAGAIN || !opt.wait)
			return n;
		vke_wait();
	}
}

/* Appends send's wait attribute, with --wait. */
static size_t put_wait(unsigned char *at)
{
	return opt.wait ? put_attr(at, VKE_ATTR_WAIT, &opt.wait, 4) : 0;
}

static void vke_bind(void)
{
	unsigned char buf[64];
	uint32_t service = opt.service;
	size_t at = nl_start(buf, family, VKE_BIND, NLM_F_ACK);

	at += put_attr(buf + at, 1, &service, 4);
	nl_request(buf, at, NULL);
}

static void vke_echo(void)
{
	static unsigned char out[BUF];

	nl_open();
	resolve_vke();
	vke_bind();
	ready();
	for (;;) {
		ssize_t n = nl_recv();

		if (n < 0)
			die("recv");
		for (struct nlmsghdr *h = (void *)rx; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
			struct genlmsghdr *g = NLMSG_DATA(h);
			struct nlattr *a = (void *)((unsigned char *)g + GENL_HDRLEN);
			unsigned char *m = (unsigned char *)a + NLA_HDRLEN;
			uint32_t service, source, paylen;
			uint64_t key, request;
			uint16_t sublen;
			int respond = 0;

			if (h->nlmsg_type != family || g->cmd != VKE_MESSAGE_NTF)
				continue;
			memcpy(&service, m + 8, 4), memcpy(&key, m + 12, 8);
			memcpy(&source, m + 20, 4), memcpy(&request, m + 28, 8);
			memcpy(&sublen, m + 40, 2), memcpy(&paylen, m + 44, 4);
			sublen = ntohs(sublen), paylen = ntohl(paylen);
			for (unsigned int e = 0; e + 4 <= sublen;) {
				uint16_t type, len;

				memcpy(&type, m + VKE_HEADER + e, 2), memcpy(&len, m + VKE_HEADER + e + 2, 2);
				respond |= ntohs(type) == 0x8002;
				e += 4 + ((ntohs(len) + 3) & ~3u);
			}
			if (!respond)
				continue;
			/* The payload back, without an ACK: no reply comes for a
			 * response. With --wait, the send then waits for the next
			 * request. */
			size_t at = nl_start(out, family, VKE_SEND, 0);
			unsigned char *resp = out + at + NLA_HDRLEN;

			vke_header(resp, 2, ntohl(service), be64toh(key), ntohl(source),
				   be64toh(request), 0, paylen);
			memcpy(resp + VKE_HEADER, m + VKE_HEADER + sublen, paylen);
			at += put_attr(out + at, VKE_ATTR_MESSAGE, resp, VKE_HEADER + paylen);
			at += put_wait(out + at);
			nl_send(out, at);
		}
	}
}

/* An unknown command: the core answers EOPNOTSUPP, no handler runs. */
#define GENL_NULL_CMD 0xff

static void genl_null_send(long i)
{
	unsigned char buf[32];
	size_t at = nl_start(buf, family, GENL_NULL_CMD, NLM_F_ACK);

	((struct nlmsghdr *)buf)->nlmsg_seq = i;
	nl_send(buf, at);
}

static long genl_null_receive(void)
{
	ssize_t n = recv(nl_fd, rx, BUF, 0);
	struct nlmsghdr *h = (void *)rx;

	if (n < (ssize_t)NLMSG_HDRLEN || h->nlmsg_type != NLMSG_ERROR)
		die("genl-null recv");
	if (((struct nlmsgerr *)NLMSG_DATA(h))->error != -EOPNOTSUPP) {
		errno = -((struct nlmsgerr *)NLMSG_DATA(h))->error;
		die("genl-null: not refused as unknown");
	}
	return h->nlmsg_seq;
}

static unsigned char request_msg[BUF];
static size_t request_len, request_id_at;

/* The `send` request of every exchange: only its VKE request id changes. */
static void vke_build(int broadcast)
{
	unsigned char vke[BUF];
	size_t at = nl_start(request_msg, family, VKE_SEND, 0);
	/* Sub-header: broadcast?, response requested, deadline 10 s. */
	unsigned char sub[16];
	size_t sublen = 0;
	uint32_t deadline = htonl(10000);

	if (broadcast) {
		memcpy(sub + sublen, "\x80\x01\x00\x00", 4);
		sublen += 4;
	}
	memcpy(sub + sublen, "\x80\x02\x00\x00", 4);
	memcpy(sub + sublen + 4, "\x00\x03\x00\x04", 4);
	memcpy(sub + sublen + 8, &deadline, 4);
	sublen += 12;
	vke_header(vke, 1, opt.service, 0, broadcast ? 0 : opt.to, 0, sublen, opt.size);
	memcpy(vke + VKE_HEADER, sub, sublen);
	memset(vke + VKE_HEADER + sublen, 'x', opt.size);
	request_id_at = at + NLA_HDRLEN + 28;
	at += put_attr(request_msg + at, VKE_ATTR_MESSAGE, vke, VKE_HEADER + sublen + opt.size);
	/* With --wait, one at a time, the send then waits for the request's
	 * completion; with more in flight, the receive waits in the node. */
	if (opt.window == 1)
		at += put_wait(request_msg + at);
	request_len = at;
}

static void vke_send_one(long i)
{
	uint64_t id = htobe64(i);

	memcpy(request_msg + request_id_at, &id, 8);
	((struct nlmsghdr *)request_msg)->nlmsg_seq = i;
	nl_send(request_msg, request_len);
}

/* The next exchange a `done-ntf` completed (its first attribute is the
 * request id, 4 or 8 bytes); a read may bring several, kept for the next
 * calls. Responses and the rest are skipped; 0 if a read brought none. */
static long vke_receive_one(void)
{
	static long kept[256];
	static int nkept;
	ssize_t n;

	if (nkept)
		return kept[--nkept];
	n = nl_recv();
	if (n < 0)
		die("recv");
	for (struct nlmsghdr *h = (void *)rx; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
		struct genlmsghdr *g = NLMSG_DATA(h);
		struct nlattr *a = (void *)((unsigned char *)g + GENL_HDRLEN);
		uint64_t id = 0;

		if (h->nlmsg_type == NLMSG_ERROR && ((struct nlmsgerr *)g)->error) {
			errno = -((struct nlmsgerr *)g)->error;
			die("send refused");
		}
		if (h->nlmsg_type != family || g->cmd != VKE_DONE_NTF)
			continue;
		memcpy(&id, (unsigned char *)a + NLA_HDRLEN, a->nla_len - NLA_HDRLEN);
		if (nkept < 256)
			kept[nkept++] = id;
	}
	return nkept ? kept[--nkept] : 0;
}

static int join(uint32_t instance)
{
	struct tipc_group_req req = {
		.type = BENCH_GROUP, .instance = instance, .scope = TIPC_CLUSTER_SCOPE,
	};
	int fd = tipc_socket();

	if (setsockopt(fd, SOL_TIPC, TIPC_GROUP_JOIN, &req, sizeof(req)))
		die("join");
	return fd;
}

static void group_member(void)
{
	int fd = join(opt.instance);

	ready();
	for (;;) {
		struct sockaddr_tipc from;
		socklen_t len = sizeof(from);
		ssize_t n = recvfrom(fd, rx, BUF, 0, (struct sockaddr *)&from, &len);

		if (n >= 0)
			sendto(fd, rx, n, 0, (struct sockaddr *)&from, len);
	}
}

static int group_fd;
static long group_round;

static void group_send_one(long i)
{
	group_round = i;
	memcpy(payload, &i, sizeof(i));
	if (send(group_fd, payload, opt.size, 0) < 0)
		die("group send");
}

/* A round (one at a time) is done when every member answered it; a late
 * answer to an earlier one is ignored. */
static long group_receive_one(void)
{
	static long round, got;
	long i;

	if (recv(group_fd, rx, BUF, 0) < (ssize_t)sizeof(i))
		return 0;
	memcpy(&i, rx, sizeof(i));
	if (i != group_round)
		return 0;
	if (i != round)
		round = i, got = 0;
	return ++got == opt.members ? i : 0;
}

static void group_bcast(void)
{
	struct timeval tv = { .tv_sec = 1 };

	group_fd = join(0);
	/* Until every member has joined, a round is not answered by all. */
	setsockopt(group_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (int attempt = 0;; attempt++) {
		long got = 0, i = -1;

		if (attempt == 60) {
			fprintf(stderr, "group: the members never all answered\n");
			exit(1);
		}
		group_send_one(i);
		while (got < opt.members && recv(group_fd, rx, BUF, 0) > 0)
			got++;
		if (got == opt.members)
			break;
	}
	tv.tv_sec = 0;
	setsockopt(group_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	client(group_send_one, group_receive_one);
}

int main(int argc, char **argv)
{
	const char *role = argc > 1 ? argv[1] : "";

	for (int i = 2; i + 1 < argc; i += 2) {
		long v = strtol(argv[i + 1], NULL, 0);

		if (!strcmp(argv[i], "--count"))
			opt.count = v;
		else if (!strcmp(argv[i], "--warmup"))
			opt.warmup = v;
		else if (!strcmp(argv[i], "--window"))
			opt.window = v;
		else if (!strcmp(argv[i], "--size"))
			opt.size = v < 8 ? 8 : v;
		else if (!strcmp(argv[i], "--to"))
			opt.to = v;
		else if (!strcmp(argv[i], "--service"))
			opt.service = v;
		else if (!strcmp(argv[i], "--members"))
			opt.members = v;
		else if (!strcmp(argv[i], "--instance"))
			opt.instance = v;
		else if (!strcmp(argv[i], "--wait"))
			opt.wait = v;
	}
	payload = calloc(1, opt.size < 8 ? 8 : opt.size);
	if (!strcmp(role, "tipc-echo")) {
		tipc_echo();
	} else if (!strcmp(role, "tipc-ping")) {
		ping_fd = tipc_socket();
		client(tipc_send_one, tipc_receive_one);
	} else if (!strcmp(role, "vke-echo")) {
		vke_echo();
	} else if (!strcmp(role, "vke-ping") || !strcmp(role, "vke-bcast")) {
		nl_open();
		resolve_vke();
		vke_build(!strcmp(role, "vke-bcast"));
		client(vke_send_one, vke_receive_one);
	} else if (!strcmp(role, "genl-null")) {
		int one = 1;

		nl_open();
		/* The ACK without a copy of the request, as libraries ask. */
		setsockopt(nl_fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
		resolve_vke();
		client(genl_null_send, genl_null_receive);
	} else if (!strcmp(role, "group-member")) {
		group_member();
	} else if (!strcmp(role, "group-bcast")) {
		group_bcast();
	} else if (!strcmp(role, "group-ping")) {
		ping_fd = join(0);
		ping_type = BENCH_GROUP;
		client(tipc_send_one, tipc_receive_one);
	} else {
		fprintf(stderr, "usage: %s ROLE [options] (see the source)\n", argv[0]);
		return 2;
	}
	return 0;
}
