/* SPDX-License-Identifier: MIT */
/*
 * The pipelined request queue of one rtnetlink session: ops turned into requests, batched into
 * one datagram per flush, remembered until their ACK comes back (matched by sequence number),
 * and marked as the kernel's events overtake them.
 */
#pragma once

#include "apply.h"
#include "nl.h"

/* Requests in flight per session: their ACKs must fit the request socket's buffer. */
#define REQUEST_INFLIGHT_MAX 256
#define REQUEST_SENDBUF 32768

struct request {
	uint32_t seq;
	struct op op;
	/* An event about the op's object arrived after it was sent: the cache is already at
	 * least as new as the op, so its ACK must not overwrite it. */
	bool seen;
	/* A change on the op's link that no request of ours explains arrived after it was sent
	 * (or events were lost): a refusal may be the world moving under us, not a fault. */
	bool overtaken;
	unsigned tag; /* the caller's (the config generation it was planned under) */
};

struct request_queue {
	struct request inflight[REQUEST_INFLIGHT_MAX];
	size_t n_inflight;
	char sendbuf[REQUEST_SENDBUF]; /* batched requests not yet sent */
	size_t sendlen;
	size_t sendcount; /* how many of the in-flight entries sendbuf holds (the newest) */
};

/* Whether n more requests fit in the pipeline. */
bool request_can_queue(const struct request_queue *q, size_t n);

/*
 * Queue op as a request on sock (sent by request_flush(), or earlier when the batch is full).
 * Returns 0, -EBUSY when the pipeline is full, or the error of an early flush (see there).
 */
int request_queue_add(struct request_queue *q, struct nl_sock *sock, const struct op *op,
		      unsigned tag) _must_check_;

/*
 * Send what is batched. Returns 0, or -errno when the send failed: the requests it held stay
 * at the end of the in-flight list, from index request_unsent(q), for the caller to drop
 * with request_truncate() after accounting for them.
 */
int request_flush(struct request_queue *q, struct nl_sock *sock) _must_check_;
size_t request_unsent(const struct request_queue *q);

/* Forget in-flight entries from index from on (they will never be answered); from must be at
 * most request_unsent(q), so every unsent one goes. */
void request_truncate(struct request_queue *q, size_t from);

/* Take the request answered by seq out of the queue into *ret. Returns 0 or -ENOENT. */
int request_take(struct request_queue *q, uint32_t seq, struct request *ret);

/*
 * An event arrived about (ifindex, object: a NULL for links' own events); removed: it reports
 * a deletion. Requests it answers are seen; if none of ours asked for it and the kernel did
 * not make it itself (its prefix and link-local routes, link-local addresses: echoes of what
 * we did), every request on that link is overtaken.
 */
void request_saw(struct request_queue *q, int ifindex, const struct nl_addr *a,
		 const struct nl_route *r, bool removed);

/* A full re-dump was kept: the kernel handled every request in flight before answering it. */
void request_saw_all(struct request_queue *q);
