/* SPDX-License-Identifier: MIT */
/* ops -> requests; ACKs -> cache. */
#include <linux/rtnetlink.h>

#include "apply.h"

uint16_t apply_request_type(const struct op *op)
{
	static const uint16_t types[_OP_TYPE_MAX] = {
		[OP_LINK_SET] = RTM_NEWLINK,  [OP_ADDR_ADD] = RTM_NEWADDR,
		[OP_ADDR_DEL] = RTM_DELADDR,  [OP_ROUTE_ADD] = RTM_NEWROUTE,
		[OP_ROUTE_DEL] = RTM_DELROUTE,
	};

	return types[op->type];
}

struct nlmsghdr *apply_build(const struct op *op, void *buf)
{
	switch (op->type) {
	case OP_LINK_SET:
		return nlmsg_put_link_set(buf, op->ifindex, op->link.name[0] ? op->link.name : NULL,
					  op->link.flags, op->link.change, op->link.master);
	case OP_ADDR_ADD:
		return nlmsg_put_addr(buf, RTM_NEWADDR, &op->addr);
	case OP_ADDR_DEL:
		return nlmsg_put_addr(buf, RTM_DELADDR, &op->addr);
	case OP_ROUTE_ADD:
		return nlmsg_put_route(buf, RTM_NEWROUTE, &op->route);
	default:
		return nlmsg_put_route(buf, RTM_DELROUTE, &op->route);
	}
}

static void apply_link(struct nl_link *l, const struct op *op)
{
	if (op->link.name[0])
		(void)snprintf(l->name, sizeof(l->name), "%s", op->link.name);
	l->flags = (l->flags & ~op->link.change) | (op->link.flags & op->link.change);
	if (op->link.master >= 0)
		l->master = op->link.master;
}

int apply_to_cache(struct cache_link *cl, const struct op *op)
{
	int r = 0;

	switch (op->type) {
	case OP_LINK_SET:
		apply_link(&cl->link, op);
		break;
	case OP_ADDR_ADD:
		r = cache_link_addr_add(cl, &op->addr);
		break;
	case OP_ADDR_DEL:
		r = cache_link_addr_del(cl, &op->addr);
		break;
	case OP_ROUTE_ADD:
		r = cache_link_route_add(cl, &op->route);
		break;
	default:
		r = cache_link_route_del(cl, &op->route);
		break;
	}
	return r < 0 ? r : 0;
}

int apply_answer(struct cache_link *cl, const struct op *op, int error)
{
	/* An EEXIST is no proof that the object is the one asked for: the events tell. */
	if (error == -EEXIST || reconcile_result(op, error) < 0)
		return 0;
	return apply_to_cache(cl, op);
}
