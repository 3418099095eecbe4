/* SPDX-License-Identifier: MIT */
/* Pipelined requests: batching, sequence numbers, ACK matching, overtaking by events. */
#include <assert.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>

#include "request.h"

/*
 * One buffer for the datagrams of every session: a flush builds and sends them before it
 * returns, and netd has one thread. A buffer per session would cost each idle container
 * namespace its size.
 */
static char sendbuf[REQUEST_SENDBUF];
/* So that every datagram holds at least one request. */
_Static_assert(NLMSG_BUF_SIZE <= REQUEST_SENDBUF, "a request must fit a datagram");

/* The entries are only needed while something is in flight. */
static void release_if_empty(struct request_queue *q)
{
	if (q->n_inflight)
		return;
	free(q->inflight);
	q->inflight = NULL;
	q->n_alloc = 0;
}

void request_queue_done(struct request_queue *q)
{
	q->n_inflight = 0;
	q->unsent = 0;
	release_if_empty(q);
}

bool request_can_queue(const struct request_queue *q, size_t n)
{
	return q->n_inflight + n <= REQUEST_INFLIGHT_MAX;
}

size_t request_unsent(const struct request_queue *q)
{
	return q->n_inflight - q->unsent;
}

void request_truncate(struct request_queue *q, size_t from)
{
	/* Only whole tails go, and every unsent request is in the tail: they all go. */
	assert(from <= request_unsent(q));
	q->n_inflight = from;
	q->unsent = 0;
	release_if_empty(q);
}

/* Build the requests from index first on into sendbuf, as many as fit. Returns the length. */
static size_t build(const struct request_queue *q, size_t first, size_t *ret_count)
{
	char buf[NLMSG_BUF_SIZE];
	size_t len = 0, i;

	for (i = first; i < q->n_inflight; i++) {
		struct nlmsghdr *nlh = apply_build(&q->inflight[i].op, buf);

		if (len + NLMSG_ALIGN(nlh->nlmsg_len) > sizeof(sendbuf))
			break;
		nlh->nlmsg_seq = q->inflight[i].seq;
		memcpy(sendbuf + len, nlh, nlh->nlmsg_len);
		len += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	*ret_count = i - first;
	return len;
}

int request_flush(struct request_queue *q, struct nl_sock *sock)
{
	while (q->unsent) {
		size_t count, len = build(q, request_unsent(q), &count);
		int r = nl_send(sock, sendbuf, len);

		if (r < 0)
			return r;
		q->unsent -= count;
	}
	return 0;
}

/* Room for one more entry, grown by doubling up to the pipeline's cap. */
static int reserve(struct request_queue *q)
{
	size_t want = q->n_alloc ? 2 * q->n_alloc : 16;
	struct request *a;

	if (q->n_inflight < q->n_alloc)
		return 0;
	if (want > REQUEST_INFLIGHT_MAX)
		want = REQUEST_INFLIGHT_MAX;
	a = reallocarray(q->inflight, want, sizeof(*a));
	if (!a)
		return -ENOMEM;
	q->inflight = a;
	q->n_alloc = want;
	return 0;
}

int request_queue_add(struct request_queue *q, struct nl_sock *sock, const struct op *op,
		      unsigned tag)
{
	int r;

	if (!request_can_queue(q, 1))
		return -EBUSY;
	r = reserve(q);
	if (r < 0)
		return r;
	q->inflight[q->n_inflight++] = (struct request){
		.seq = nl_next_seq(sock),
		.op = *op,
		.tag = tag,
	};
	q->unsent++;
	return 0;
}

/* ACKs come back in request order, so the match is nearly always the oldest entry. */
int request_take(struct request_queue *q, uint32_t seq, struct request *ret)
{
	size_t sent = request_unsent(q);

	for (size_t i = 0; i < sent; i++) {
		if (q->inflight[i].seq != seq)
			continue;
		*ret = q->inflight[i];
		memmove(q->inflight + i, q->inflight + i + 1,
			(q->n_inflight - i - 1) * sizeof(q->inflight[0]));
		q->n_inflight--;
		release_if_empty(q);
		return 0;
	}
	return -ENOENT;
}

/* Kinds of op an event about (ifindex, object) answers: link ops, or address/route ops. */
static bool op_matches(const struct op *op, int ifindex, const struct nl_addr *a,
		       const struct nl_route *r)
{
	if (op->ifindex != ifindex)
		return false;
	switch (op->type) {
	case OP_LINK_SET:
		return !a && !r;
	case OP_ADDR_ADD:
	case OP_ADDR_DEL:
		return a && cache_addr_equal(&op->addr, a);
	default:
		return r && cache_route_equal(&op->route, r);
	}
}

static bool op_removes(const struct op *op)
{
	return op->type == OP_ADDR_DEL || op->type == OP_ROUTE_DEL;
}

void request_saw(struct request_queue *q, int ifindex, const struct nl_addr *a,
		 const struct nl_route *r, bool removed)
{
	bool kernels =
	    (a && a->protocol >= IFAPROT_KERNEL_LO && a->protocol <= IFAPROT_KERNEL_LL) ||
	    (r && r->protocol == RTPROT_KERNEL);
	bool echo = false;

	for (size_t i = 0; i < q->n_inflight; i++) {
		struct request *in = &q->inflight[i];

		if (!op_matches(&in->op, ifindex, a, r))
			continue;
		in->seen = true;
		echo |= op_removes(&in->op) == removed;
	}
	if (echo || kernels)
		return;
	for (size_t i = 0; i < q->n_inflight; i++)
		if (q->inflight[i].op.ifindex == ifindex)
			q->inflight[i].overtaken = true;
}

void request_saw_all(struct request_queue *q)
{
	for (size_t i = 0; i < q->n_inflight; i++) {
		q->inflight[i].seen = true;
		q->inflight[i].overtaken = true;
	}
}
