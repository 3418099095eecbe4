/* SPDX-License-Identifier: MIT */
/*
 * The link half of the pass: each dirty link record gets its next phase planned (desired
 * state, then the pure reconcile) and queued on its view's session; one datagram per view.
 */
#include <stdio.h>

#include "container.h"
#include "desired.h"
#include "log.h"
#include "queue.h"

/* Requests go out in one datagram per view and pass (or per full batch). */
static void want_flush(struct list_node *flush, struct nsview *v)
{
	if (!list_linked(&v->flush_node))
		list_add_tail(flush, &v->flush_node);
}

static void flush_all(struct list_node *flush)
{
	struct list_node *n;

	while ((n = list_pop(flush))) {
		struct nsview *v = container_of(n, struct nsview, flush_node);
		int r = rtnl_flush(v->rtnl);

		if (r < 0)
			log_warning_errno(r, "%s: failed to send requests, retrying",
					  nsview_label(v));
	}
}

static bool brings_up(const struct op_list *ops, const struct cache_link *cl)
{
	for (size_t i = 0; i < ops->n; i++)
		if (ops->ops[i].type == OP_LINK_SET && (ops->ops[i].link.change & IFF_UP) &&
		    (ops->ops[i].link.flags & IFF_UP) && !(cl->link.flags & IFF_UP))
			return true;
	return false;
}

/*
 * A link netd brings up for IPv6 skips duplicate address detection of its link-local address,
 * as it does for the declared addresses (nodad): while that address is tentative the kernel
 * cannot resolve neighbours on the link, and DAD takes a second, or many on a busy host (one
 * work queue for every namespace). On a point-to-point veth nobody else can hold the address.
 */
static void skip_dad(const struct queue_ctx *q, struct link *l, const struct cache_link *cl)
{
	const struct conf_veth *v = l->claim ? l->claim->veth : NULL;
	int r;

	if (!v || (!v->host_addr6.family && !v->local_addr6.family))
		return;
	r = nsview_dad_disable(l->ns, q->home_fd, cl->link.name);
	if (r < 0)
		(void)link_log(l, LOG_WARNING, r, 0, "cannot turn off DAD of its link-local address, "
			       "ignoring");
}

/* Plan the next phase of l and queue it. Returns false when it must wait for room. */
static bool plan_link(const struct queue_ctx *q, struct link *l, struct list_node *flush)
{
	struct nsview *v = l->ns;
	const struct cache_link *cl = nsview_cache_link(v, l->ifindex);
	struct desired_bridge mem = { .ifindex = l->bridge };
	struct desired_input in;
	struct desired d;
	struct op_list ops;
	char buf[128];

	if (!cl || l->inflight || l->state == LINK_STATE_FAILED ||
	    l->state == LINK_STATE_UNMANAGED)
		return true; /* gone, answered later, failed (until re-created or reloaded), idle */
	in = (struct desired_input){ .ep = l->claim, .ifindex = l->ifindex,
				     .master = cl->link.master };
	if (l->claim && !l->claim->inside && l->claim->veth->host_bridge) {
		const struct cache_link *br =
			cache_find_bridge(rtnl_cache(q->host->rtnl), l->claim->veth->host_bridge);

		in.bridge_ifindex = br ? br->link.ifindex : 0;
	}
	memcpy(mem.name, l->bridge_name, sizeof(mem.name));
	desired_for_link(&in, &mem, &d);
	link_set_bridge(l, mem.ifindex, mem.name);
	reconcile_link(&d, cl, &ops);
	if (!rtnl_can_queue(v->rtnl, ops.n))
		return false; /* the ACKs of what is in flight make room and run us again */
	if (brings_up(&ops, cl))
		skip_dad(q, l, cl);
	for (size_t i = 0; i < ops.n; i++) {
		int r;

		if (log_get_max_level() >= LOG_DEBUG)
			(void)link_log(l, LOG_DEBUG, 0, 0, "%s",
				       op_describe(&ops.ops[i], buf, sizeof(buf)));
		r = rtnl_queue(v->rtnl, &ops.ops[i], q->generation);
		if (r < 0) {
			(void)link_log(l, LOG_WARNING, r, 0, "failed to queue a request, retrying");
			return false;
		}
		link_sent(l);
		(*q->writes)++;
		want_flush(flush, v);
	}
	link_planned(l, ops.n);
	if (l->claim)
		container_mark(l->claim->ct, false);
	if (link_reapable(l))
		link_table_remove(&v->links, l->ifindex);
	return true;
}

/* Ask the kernel about l again (handlers run and may free it). Returns l, or NULL when gone. */
static struct link *refresh(struct link *l)
{
	struct nsview *v = l->ns;
	int ifindex = l->ifindex, r;

	l->refresh = false;
	r = rtnl_refresh_link(v->rtnl, ifindex);
	if (r < 0)
		(void)link_log(l, LOG_WARNING, r, 0, "cannot read the link again, ignoring");
	l = nsview_link(v, ifindex);
	if (l)
		link_take(l);
	return l;
}

void queue_dirty(struct list_node *dirty, const struct queue_ctx *q)
{
	struct list_node later = LIST_HEAD_INIT(later), flush = LIST_HEAD_INIT(flush), *n;

	/* One at a time off the list head: planning may free records (and views) on the way. */
	while ((n = list_pop(dirty))) {
		struct link *l = container_of(n, struct link, dirty_node);

		if (rtnl_needs_resync(l->ns->rtnl))
			continue; /* the re-dump marks every record of the view again */
		if (l->refresh && !(l = refresh(l)))
			continue;
		if (!plan_link(q, l, &flush))
			list_add_tail(&later, &l->dirty_node);
	}
	flush_all(&flush);
	/* Links that wait for room go back without a pass of their own: ACKs bring one. */
	while ((n = list_pop(&later)))
		list_add_tail(dirty, n);
}

