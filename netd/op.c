/* SPDX-License-Identifier: MIT */
/* Op names and descriptions. */
#include <arpa/inet.h>
#include <stdio.h>

#include "op.h"

static const char *const op_type_table[_OP_TYPE_MAX] = {
	[OP_LINK_SET] = "set link",
	[OP_ADDR_ADD] = "add address",
	[OP_ADDR_DEL] = "remove address",
	[OP_ROUTE_ADD] = "add route",
	[OP_ROUTE_DEL] = "remove route",
};

const char *op_type_to_string(enum op_type t)
{
	if (t < 0 || t >= _OP_TYPE_MAX)
		return NULL;
	return op_type_table[t];
}

struct op *op_push(struct op_list *l, enum op_type type, int ifindex)
{
	struct op *op;

	if (l->n >= OPS_MAX)
		return NULL;
	op = &l->ops[l->n++];
	memset(op, 0, sizeof(*op));
	op->type = type;
	op->ifindex = ifindex;
	return op;
}

const char *op_describe(const struct op *op, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN], g[INET6_ADDRSTRLEN];

	switch (op->type) {
	case OP_LINK_SET:
		(void)snprintf(buf, len, "set link%s%s%s%s", op->link.name[0] ? " name " : "",
			       op->link.name,
			       !op->link.change		   ? ""
			       : (op->link.flags & IFF_UP) ? " up"
							   : " down",
			       op->link.master > 0 ? " master" : op->link.master == 0 ? " nomaster" : "");
		break;
	case OP_ADDR_ADD:
	case OP_ADDR_DEL:
		(void)snprintf(buf, len, "%s %s/%u", op_type_to_string(op->type),
			       nlmsg_addr_to_string(op->addr.family, &op->addr.addr, a, sizeof(a)),
			       op->addr.prefixlen);
		break;
	default:
		(void)snprintf(buf, len, "%s %s/%u%s%s", op_type_to_string(op->type),
			       nlmsg_addr_to_string(op->route.family, &op->route.dst, a, sizeof(a)),
			       op->route.dst_len, op->route.has_gateway ? " via " : "",
			       op->route.has_gateway ? nlmsg_addr_to_string(op->route.family,
									   &op->route.gateway, g,
									   sizeof(g))
						     : "");
		break;
	}
	return buf;
}
