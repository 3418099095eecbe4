/* SPDX-License-Identifier: MIT */
/* Link records: their table, their state machine, and every write to their fields. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "keyed.h"
#include "link.h"
#include "log.h"

static const char *const link_state_table[_LINK_STATE_MAX] = {
	[LINK_STATE_UNMANAGED] = "unmanaged",	[LINK_STATE_CONFIGURING] = "configuring",
	[LINK_STATE_CONFIGURED] = "configured", [LINK_STATE_FAILED] = "failed",
	[LINK_STATE_RELEASING] = "releasing",
};

const char *link_state_to_string(enum link_state s)
{
	if (s < 0 || s >= _LINK_STATE_MAX)
		return NULL;
	return link_state_table[s];
}

void link_table_init(struct link_table *t, struct list_node *dirty)
{
	*t = (struct link_table){ .dirty = dirty };
}

static struct link *link_free(struct link *l)
{
	if (!l)
		return NULL;
	list_del(&l->dirty_node);
	free(l->error);
	free(l);
	return NULL;
}

void link_table_done(struct link_table *t)
{
	for (size_t i = 0; i < t->n_links; i++)
		link_free(t->links[i]);
	free(t->links);
	t->links = NULL;
	t->n_links = 0;
}

#define KEY offsetof(struct link, ifindex)

struct link *link_table_get(const struct link_table *t, int ifindex)
{
	return keyed_get((void *const *)t->links, t->n_links, KEY, ifindex);
}

int link_table_ensure(struct link_table *t, struct nsview *ns, int ifindex, struct link **ret)
{
	size_t i = keyed_pos((void *const *)t->links, t->n_links, KEY, ifindex);
	struct link *l;

	if (i < t->n_links && t->links[i]->ifindex == ifindex) {
		*ret = t->links[i];
		return 0;
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	if (keyed_insert((void ***)&t->links, &t->n_links, i, l) < 0) {
		free(l);
		return -ENOMEM;
	}
	l->ns = ns;
	l->ifindex = ifindex;
	l->dirty_list = t->dirty;
	list_init(&l->dirty_node);
	*ret = l;
	return 0;
}

void link_table_remove(struct link_table *t, int ifindex)
{
	size_t i = keyed_pos((void *const *)t->links, t->n_links, KEY, ifindex);

	if (i < t->n_links && t->links[i]->ifindex == ifindex)
		link_free(keyed_remove_at((void **)t->links, &t->n_links, i));
}

void link_table_reap(struct link_table *t)
{
	size_t j = 0;

	for (size_t i = 0; i < t->n_links; i++) {
		struct link *l = t->links[i];

		if (link_reapable(l))
			link_free(l);
		else
			t->links[j++] = l;
	}
	t->n_links = j;
}

int link_log(const struct link *l, int level, int error, int netlink_errno, const char *fmt, ...)
{
	struct log_fields f = {
		.container = l->container,
		.ifname = l->ifname,
		.netlink_errno = netlink_errno,
	};
	char msg[1024];
	va_list ap;

	if (level > log_get_max_level())
		return -abs(error);
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Before its first claim a link is known by its index only. */
	if (!l->container[0])
		return log_fields_internal(level, error, &f, "ifindex %d: %s", l->ifindex, msg);
	return log_fields_internal(level, error, &f, "%s: %s: %s", l->container, l->ifname, msg);
}

void link_set_state(struct link *l, enum link_state s)
{
	if (l->state == s)
		return;
	(void)link_log(l, LOG_DEBUG, 0, 0, "%s -> %s", link_state_to_string(l->state),
		       link_state_to_string(s));
	if (s != LINK_STATE_FAILED) {
		free(l->error);
		l->error = NULL;
	}
	l->state = s;
}

void link_claim(struct link *l, struct endpoint *ep, const char *container, const char *ifname)
{
	if (l->claim == ep && l->state != LINK_STATE_RELEASING && l->state != LINK_STATE_UNMANAGED)
		return;
	l->claim = ep;
	(void)snprintf(l->container, sizeof(l->container), "%s", container);
	(void)snprintf(l->ifname, sizeof(l->ifname), "%s", ifname);
	l->replans = 0;
	link_set_state(l, LINK_STATE_CONFIGURING);
	link_mark_dirty(l);
}

void link_release(struct link *l)
{
	l->claim = NULL;
	if (l->state == LINK_STATE_UNMANAGED)
		return;
	link_set_state(l, LINK_STATE_RELEASING);
	link_mark_dirty(l);
}

void link_disown(struct link *l)
{
	l->claim = NULL;
	link_set_state(l, LINK_STATE_UNMANAGED);
}

void link_mark_dirty(struct link *l)
{
	if (!list_linked(&l->dirty_node))
		list_add_tail(l->dirty_list, &l->dirty_node);
}

void link_mark_refresh(struct link *l)
{
	l->refresh = true;
	link_mark_dirty(l);
}

void link_take(struct link *l)
{
	list_del(&l->dirty_node);
	l->refresh = false;
}

void link_sent(struct link *l)
{
	l->inflight++;
}

void link_planned(struct link *l, size_t n_ops)
{
	if (n_ops > 0) {
		if (l->state == LINK_STATE_CONFIGURED)
			link_set_state(l, LINK_STATE_CONFIGURING);
		return;
	}
	if (l->state == LINK_STATE_CONFIGURING)
		link_set_state(l, LINK_STATE_CONFIGURED);
	else if (l->state == LINK_STATE_RELEASING)
		link_set_state(l, LINK_STATE_UNMANAGED);
}

void link_answered(struct link *l)
{
	if (l->inflight)
		l->inflight--;
	link_mark_dirty(l);
}

void link_replanned(struct link *l)
{
	l->replans++;
}

void link_succeeded(struct link *l)
{
	l->replans = 0;
}

void link_fail(struct link *l, const char *error)
{
	char *copy;

	/* Releasing what we added failed: give up rather than retry forever. */
	if (l->state == LINK_STATE_RELEASING || !l->claim) {
		link_set_state(l, LINK_STATE_UNMANAGED);
		return;
	}
	if (l->state == LINK_STATE_FAILED)
		return;
	copy = strdup(error);
	link_set_state(l, LINK_STATE_FAILED);
	l->error = copy; /* NULL on ENOMEM: still failed, without the text */
}

void link_set_bridge(struct link *l, int ifindex, const char *name)
{
	l->bridge = ifindex;
	(void)snprintf(l->bridge_name, sizeof(l->bridge_name), "%s", ifindex ? name : "");
}

bool link_reapable(const struct link *l)
{
	return l->state == LINK_STATE_UNMANAGED && !l->inflight;
}

bool link_is_configured(const struct link *l)
{
	return l->state == LINK_STATE_CONFIGURED && !l->inflight && !list_linked(&l->dirty_node);
}

void link_forget_claim(struct link *l)
{
	l->claim = NULL;
}

void link_move_claim(struct link *l, struct endpoint *ep)
{
	l->claim = ep;
}
