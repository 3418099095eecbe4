/* SPDX-License-Identifier: MIT */
/* Pipelined requests: batching, sequence numbers, ACK matching, overtaking by events. */
#include <assert.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include "request.h"

bool request_can_queue(const struct request_queue *q, size_t n)
{
	return q->n_inflight + n <= REQUEST_INFLIGHT_MAX;
}

size_t request_unsent(const struct request_queue *q)
{
	return q->n_inflight - q->sendcount;
}

void request_truncate(struct request_queue *q, size_t from)
{
	/* Only whole tails go, and every unsent request is in the tail: the batch goes too. */
	assert(from <= request_unsent(q));
	q->n_inflight = from;
	q->sendcount = 0;
	q->sendlen = 0;
}

int request_flush(struct request_queue *q, struct nl_sock *sock)
{
	int r;

	if (!q->sendlen)
		return 0;
	r = nl_send(sock, q->sendbuf, q->sendlen);
	q->sendlen = 0;
	if (r >= 0)
		q->sendcount = 0;
	return r;
}

int request_queue_add(struct request_queue *q, struct nl_sock *sock, const struct op *op,
		      unsigned tag)
{
	char buf[NLMSG_BUF_SIZE];
	struct nlmsghdr *nlh;
	int r;

	if (!request_can_queue(q, 1))
		return -EBUSY;
	nlh = apply_build(op, buf);
	if (q->sendlen + NLMSG_ALIGN(nlh->nlmsg_len) > sizeof(q->sendbuf)) {
		r = request_flush(q, sock);
		if (r < 0)
			return r;
	}
	nlh->nlmsg_seq = nl_next_seq(sock);
	memcpy(q->sendbuf + q->sendlen, nlh, nlh->nlmsg_len);
	q->sendlen += NLMSG_ALIGN(nlh->nlmsg_len);
	q->sendcount++;
	q->inflight[q->n_inflight++] = (struct request){
		.seq = nlh->nlmsg_seq,
		.op = *op,
		.tag = tag,
	};
	return 0;
}

/* ACKs come back in request order, so the match is nearly always the oldest entry. */
int request_take(struct request_queue *q, uint32_t seq, struct request *ret)
{
	size_t sent = q->n_inflight - q->sendcount;

	for (size_t i = 0; i < sent; i++) {
		if (q->inflight[i].seq != seq)
			continue;
		*ret = q->inflight[i];
		memmove(q->inflight + i, q->inflight + i + 1,
			(q->n_inflight - i - 1) * sizeof(q->inflight[0]));
		q->n_inflight--;
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
	bool kernels = (a && a->protocol >= IFAPROT_KERNEL_LO && a->protocol <= IFAPROT_KERNEL_LL) ||
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
