/* SPDX-License-Identifier: MIT */
/* The kernel writes netd plans: one link change, address or route per op, and their names. */
#pragma once

#include "nlmsg.h"

/* rtm_protocol and IFA_PROTO value that marks routes and addresses netd created. */
#define NETD_PROTO 211

/* Cap on what one link can ask for: addresses and routes of both families. */
#define DESIRED_MAX 8

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

/* "add address", ...; NULL for an invalid type. */
const char *op_type_to_string(enum op_type t);

/* Describe an op for logs: "add address 10.0.0.1/32". Returns buf. */
const char *op_describe(const struct op *op, char *buf, size_t len);

/* Append a zeroed op of type on ifindex; NULL when the list is full. */
struct op *op_push(struct op_list *l, enum op_type type, int ifindex);
