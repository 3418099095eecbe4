/* SPDX-License-Identifier: MIT */
/* Pure reconcile: (desired, observed link) -> the next phase of requests. */
#include <linux/rtnetlink.h>
#include <stdio.h>

#include "reconcile.h"

/* A link being released (!manage_link) may only lose its master; its name and up state stay. */
static void plan_link(const struct desired *d, const struct nl_link *l, struct op_list *ret)
{
	bool rename = d->manage_link && d->name && strcmp(d->name, l->name) != 0;
	bool up = !d->manage_link || (l->flags & IFF_UP);
	bool enslave = d->master >= 0 && l->master != d->master;
	struct op *op;

	if (!rename && up && !enslave)
		return;
	op = op_push(ret, OP_LINK_SET, l->ifindex);
	op->link.master = enslave ? d->master : -1;
	if (!d->manage_link)
		return;
	if (rename && up) {
		/* The kernel renames only a link that is down (-EBUSY otherwise). */
		op->link.flags = 0;
		op->link.change = IFF_UP;
		op->link.master = -1;
		return;
	}
	if (rename)
		(void)snprintf(op->link.name, sizeof(op->link.name), "%s", d->name);
	op->link.flags = IFF_UP;
	op->link.change = IFF_UP;
}

/* A full list only defers the rest to the next pass, once these are ACKed. */
static void push_addr(struct op_list *l, enum op_type type, int ifindex, const struct nl_addr *a)
{
	struct op *op = op_push(l, type, ifindex);

	if (op)
		op->addr = *a;
}

static void push_route(struct op_list *l, enum op_type type, int ifindex, const struct nl_route *r)
{
	struct op *op = op_push(l, type, ifindex);

	if (op)
		op->route = *r;
}

static bool addr_desired(const struct desired *d, const struct nl_addr *a)
{
	for (size_t i = 0; i < d->n_addrs; i++)
		if (cache_addr_equal(&d->addrs[i], a))
			return true;
	return false;
}

static void plan_addrs(const struct desired *d, const struct cache_link *cl, struct op_list *ret)
{
	/*
	 * Stale ones first: IPv6 refuses an address it holds with another prefix length, so a
	 * changed prefix must be removed before it is added again. Only what we added goes: an
	 * admin's own addresses on our links are theirs.
	 */
	for (size_t i = 0; i < cl->n_addrs; i++)
		if (cl->addrs[i].protocol == NETD_PROTO && !addr_desired(d, &cl->addrs[i]))
			push_addr(ret, OP_ADDR_DEL, cl->link.ifindex, &cl->addrs[i]);
	for (size_t i = 0; i < d->n_addrs; i++)
		if (!cache_link_has_addr(cl, &d->addrs[i]))
			push_addr(ret, OP_ADDR_ADD, cl->link.ifindex, &d->addrs[i]);
}

static bool route_desired(const struct desired *d, const struct nl_route *r)
{
	for (size_t i = 0; i < d->n_routes; i++)
		if (cache_route_equal(&d->routes[i], r))
			return true;
	return false;
}

static void plan_routes(const struct desired *d, const struct cache_link *cl, bool gateway,
			struct op_list *ret)
{
	/* As with addresses: a stale route may hold the key (destination) of a new one. */
	if (!gateway)
		for (size_t i = 0; i < cl->n_routes; i++)
			if (cl->routes[i].protocol == NETD_PROTO && !route_desired(d, &cl->routes[i]))
				push_route(ret, OP_ROUTE_DEL, cl->link.ifindex, &cl->routes[i]);
	for (size_t i = 0; i < d->n_routes; i++)
		if (d->routes[i].has_gateway == gateway && !cache_link_has_route(cl, &d->routes[i]))
			push_route(ret, OP_ROUTE_ADD, cl->link.ifindex, &d->routes[i]);
}

void reconcile_link(const struct desired *d, const struct cache_link *cl, struct op_list *ret)
{
	ret->n = 0;
	plan_link(d, &cl->link, ret);
	if (ret->n)
		return;
	plan_addrs(d, cl, ret);
	if (ret->n)
		return;
	plan_routes(d, cl, false, ret);
	if (ret->n)
		return;
	plan_routes(d, cl, true, ret);
}

int reconcile_result(const struct op *op, int error)
{
	switch (op->type) {
	case OP_ADDR_ADD:
	case OP_ROUTE_ADD:
		return error == -EEXIST ? 0 : error; /* someone (or an earlier us) added it */
	case OP_ADDR_DEL:
		/* IPv4 answers -EADDRNOTAVAIL for an address that is already gone. */
		return error == -ENOENT || error == -ENODEV || error == -EADDRNOTAVAIL ? 0 : error;
	case OP_ROUTE_DEL:
		return error == -ENOENT || error == -ESRCH || error == -ENODEV ? 0 : error;
	default:
		return error;
	}
}

enum reconcile_verdict reconcile_classify(const struct reconcile_answer *a, int *ret_error)
{
	int r = reconcile_result(a->op, a->error);

	if (a->error == -EEXIST && !a->cache_stale && !a->exists_as_ours)
		r = -EEXIST;
	*ret_error = r;
	if (r >= 0)
		return RECONCILE_DONE;
	if ((a->overtaken || a->stale_config || a->master_gone) &&
	    a->replans < RECONCILE_REPLANS_MAX)
		return RECONCILE_REPLAN;
	return RECONCILE_FAILED;
}

const char *reconcile_verdict_to_string(enum reconcile_verdict v)
{
	static const char *const table[_RECONCILE_VERDICT_MAX] = {
		[RECONCILE_DONE] = "done",
		[RECONCILE_REPLAN] = "replan",
		[RECONCILE_FAILED] = "failed",
	};

	if (v < 0 || v >= _RECONCILE_VERDICT_MAX)
		return NULL;
	return table[v];
}
