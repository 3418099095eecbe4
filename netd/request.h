/* SPDX-License-Identifier: MIT */
/*
 * The pipelined request queue of one rtnetlink session: ops turned into requests, sent
 * together by a flush, remembered until their ACK comes back (matched by sequence number),
 * and marked as the kernel's events overtake them.
 */
#pragma once

#include "apply.h"
#include "nl.h"

/* Requests in flight per session: their ACKs must fit the request socket's buffer. */
#define REQUEST_INFLIGHT_MAX 256
/* Largest datagram a flush sends; a longer batch goes out in several. */
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

/*
 * Zero-initialised it is empty. The entries are allocated while anything is in flight and
 * freed when nothing is: most sessions (one per container namespace) are idle most of the time.
 */
struct request_queue {
	struct request *inflight; /* owned: n_inflight entries, room for n_alloc; NULL when empty */
	size_t n_inflight, n_alloc;
	size_t unsent; /* how many of the in-flight entries are queued but not sent (the newest) */
};

/* Free the entries (they will never be answered); the queue is empty after. */
void request_queue_done(struct request_queue *q);

/* Whether n more requests fit in the pipeline. */
bool request_can_queue(const struct request_queue *q, size_t n);

/*
 * Queue op as a request on sock (its sequence number is taken now; request_flush() sends it).
 * Returns 0, -EBUSY when the pipeline is full, or -ENOMEM; the queue is unchanged on failure.
 */
int request_queue_add(struct request_queue *q, struct nl_sock *sock, const struct op *op,
		      unsigned tag) _must_check_;

/*
 * Send what is queued, in as few datagrams as REQUEST_SENDBUF allows. Returns 0, or -errno
 * when a send failed: the requests not sent stay at the end of the in-flight list, from index
 * request_unsent(q), for the caller to drop with request_truncate() after accounting for them.
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
