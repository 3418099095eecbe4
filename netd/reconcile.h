/* SPDX-License-Identifier: MIT */
/*
 * Pure planning: what one link should look like (struct desired) and what it looks like now
 * (struct cache_link) give the next requests to send. No I/O, no kernel: unit-testable.
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

/* rtm_protocol and IFA_PROTO value that marks routes and addresses netd created. */
#define NETD_PROTO 211

/* Cap on what one link can ask for: addresses and routes of both families. */
#define DESIRED_MAX 8

struct desired {
	bool manage_link;  /* false: only remove what netd added (a link being released) */
	const char *name;  /* borrowed; rename to this when non-NULL and different */
	int master;        /* enslave to this ifindex when > 0; 0: no master; < 0: leave as is */
	struct nl_addr addrs[DESIRED_MAX];
	size_t n_addrs;
	struct nl_route routes[DESIRED_MAX];
	size_t n_routes;
};

enum op_type {
	OP_LINK_SET, /* name (optional), flags/change, master */
	OP_ADDR_ADD,
	OP_ADDR_DEL,
	OP_ROUTE_ADD,
	OP_ROUTE_DEL,
	_OP_TYPE_MAX,
	_OP_TYPE_INVALID = -EINVAL,
};

struct op {
	enum op_type type;
	int ifindex;
	union {
		struct {
			char name[IFNAMSIZ]; /* "" keeps the name */
			unsigned flags, change;
			int master; /* -1 keeps it */
		} link;
		struct nl_addr addr;
		struct nl_route route;
	};
};

#define OPS_MAX (2 * DESIRED_MAX + 2)

struct op_list {
	struct op ops[OPS_MAX];
	size_t n;
};

const char *op_type_to_string(enum op_type t);

/* Plan the next phase for link cl against d into ret (emptied first). */
void reconcile_link(const struct desired *d, const struct cache_link *cl, struct op_list *ret);

/* Describe an op for logs: "add address 10.0.0.1/32". */
const char *op_describe(const struct op *op, char *buf, size_t len);
