/* SPDX-License-Identifier: MIT */
/*
 * Pure planning: what one link should look like (struct desired) and what it looks like now
 * (struct cache_link) give the next requests to send; and what the kernel's answer to one of
 * them means. No I/O, no kernel: unit-testable.
 *
 * Work comes in phases, because the kernel refuses later steps until earlier ones hold:
 *   1. name and up state (a link must be down to be renamed; routes need it up), master
 *   2. addresses (add missing, remove stale ones netd added)
 *   3. routes without a gateway (the on-link routes gateways need), remove stale ones
 *   4. routes through a gateway
 * A call returns the ops of the first phase that is not done; an empty result means the
 * link is as declared.
 */
#pragma once

#include "cache.h"
#include "op.h"

struct desired {
	bool manage_link;  /* false: only remove what netd added (a link being released) */
	const char *name;  /* borrowed; rename to this when non-NULL and different */
	int master;        /* enslave to this ifindex when > 0; 0: no master; < 0: leave as is */
	struct nl_addr addrs[DESIRED_MAX];
	size_t n_addrs;
	struct nl_route routes[DESIRED_MAX];
	size_t n_routes;
};

/* Plan the next phase for link cl against d into ret (emptied first). */
void reconcile_link(const struct desired *d, const struct cache_link *cl, struct op_list *ret);

/*
 * The kernel's answer as the caller must see it: adding what exists and removing what is
 * already gone are done (0); anything else is the error itself.
 */
int reconcile_result(const struct op *op, int error);

/* Refusals of one link replanned in a row before the next one counts as a failure. */
#define RECONCILE_REPLANS_MAX 5

enum reconcile_verdict {
	RECONCILE_DONE,   /* the op holds: fold it in, plan the next phase */
	RECONCILE_REPLAN, /* refused, but the world moved under it: plan again from the cache */
	RECONCILE_FAILED, /* refused for good: the link (and its container) failed */
	_RECONCILE_VERDICT_MAX,
	_RECONCILE_VERDICT_INVALID = -EINVAL,
};

/* What is known about one answer when it arrives. */
struct reconcile_answer {
	const struct op *op; /* borrowed */
	int error;           /* the kernel's: 0 or negative errno */
	/* For -EEXIST on an add: the cache (events are read before ACKs) holds exactly the
	 * object asked for. With NLM_F_EXCL the kernel also says EEXIST when another object
	 * holds the key (a route with another gateway, an address with another prefix). */
	bool exists_as_ours;
	bool cache_stale;  /* a re-dump is pending: the cache cannot tell */
	bool overtaken;    /* a change on the link that none of our requests made, or lost events */
	bool stale_config; /* planned under a config that a reload has since replaced */
	bool master_gone;  /* enslaving to an ifindex that is no longer a bridge */
	unsigned replans;  /* refusals of this link replanned in a row so far */
};

/*
 * Classify an answer. A refusal that the world has since overtaken is no failure, up to
 * RECONCILE_REPLANS_MAX in a row: someone who keeps changing the link does not buy endless
 * retries. *ret_error gets the error that counts (0 for RECONCILE_DONE).
 */
enum reconcile_verdict reconcile_classify(const struct reconcile_answer *a, int *ret_error);

const char *reconcile_verdict_to_string(enum reconcile_verdict v);
