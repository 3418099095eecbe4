/* SPDX-License-Identifier: MIT */
/* The observed-state cache of one namespace: a sorted link table with per-link addresses and
 * routes. */
#include <linux/rtnetlink.h>
#include <stdlib.h>

#include "cache.h"
#include "keyed.h"

static void cache_link_free(struct cache_link *cl)
{
	if (!cl)
		return;
	nl_link_done(&cl->link);
	free(cl->addrs);
	free(cl->routes);
	free(cl);
}

void cache_done(struct cache *c)
{
	for (size_t i = 0; i < c->n_links; i++)
		cache_link_free(c->links[i]);
	free(c->links);
	c->links = NULL;
	c->n_links = 0;
}

#define KEY offsetof(struct cache_link, link.ifindex)

struct cache_link *cache_get(const struct cache *c, int ifindex)
{
	return keyed_get((void *const *)c->links, c->n_links, KEY, ifindex);
}

struct cache_link *cache_find_name(const struct cache *c, const char *name)
{
	for (size_t i = 0; i < c->n_links; i++)
		if (strcmp(c->links[i]->link.name, name) == 0)
			return c->links[i];
	return NULL;
}

struct cache_link *cache_find_bridge(const struct cache *c, const char *name)
{
	struct cache_link *br = cache_find_name(c, name);

	return br && strcmp(br->link.kind, "bridge") == 0 ? br : NULL;
}

struct cache_link *cache_link_update(struct cache *c, struct nl_link *l)
{
	size_t i = keyed_pos((void *const *)c->links, c->n_links, KEY, l->ifindex);
	struct cache_link *cl = i < c->n_links ? c->links[i] : NULL;

	if (!cl || cl->link.ifindex != l->ifindex) {
		cl = calloc(1, sizeof(*cl));
		if (!cl)
			return NULL;
		if (keyed_insert((void ***)&c->links, &c->n_links, i, cl) < 0) {
			free(cl);
			return NULL;
		}
	}
	nl_link_done(&cl->link);
	cl->link = *l;
	l->altnames = NULL;
	l->n_altnames = 0;
	return cl;
}

void cache_link_remove(struct cache *c, int ifindex)
{
	size_t i = keyed_pos((void *const *)c->links, c->n_links, KEY, ifindex);

	if (i < c->n_links && c->links[i]->link.ifindex == ifindex)
		cache_link_free(keyed_remove_at((void **)c->links, &c->n_links, i));
}

bool cache_addr_equal(const struct nl_addr *a, const struct nl_addr *b)
{
	size_t len = nlmsg_addr_len(a->family);

	return a->family == b->family && a->prefixlen == b->prefixlen &&
	       memcmp(&a->addr, &b->addr, len) == 0;
}

bool cache_route_equal(const struct nl_route *a, const struct nl_route *b)
{
	size_t len = nlmsg_addr_len(a->family);

	if (a->family != b->family || a->dst_len != b->dst_len || a->table != b->table ||
	    a->has_gateway != b->has_gateway)
		return false;
	if (memcmp(&a->dst, &b->dst, len) != 0)
		return false;
	return !a->has_gateway || memcmp(&a->gateway, &b->gateway, len) == 0;
}

bool cache_link_has_addr(const struct cache_link *cl, const struct nl_addr *a)
{
	for (size_t i = 0; i < cl->n_addrs; i++)
		if (cache_addr_equal(&cl->addrs[i], a))
			return true;
	return false;
}

bool cache_link_has_route(const struct cache_link *cl, const struct nl_route *r)
{
	for (size_t i = 0; i < cl->n_routes; i++)
		if (cache_route_equal(&cl->routes[i], r))
			return true;
	return false;
}

bool cache_route_relevant(const struct nl_route *r)
{
	return r->table == RT_TABLE_MAIN && r->type == RTN_UNICAST && r->oif > 0;
}

int cache_link_addr_add(struct cache_link *cl, const struct nl_addr *a)
{
	for (size_t i = 0; i < cl->n_addrs; i++)
		if (cache_addr_equal(&cl->addrs[i], a)) {
			/* DAD finishing changes only the flags: that is news too. */
			bool changed = cl->addrs[i].flags != a->flags ||
				       cl->addrs[i].protocol != a->protocol;

			cl->addrs[i] = *a;
			return changed;
		}
	struct nl_addr *p = array_push(&cl->addrs, &cl->n_addrs, sizeof(*a));
	if (!p)
		return -ENOMEM;
	*p = *a;
	return 1;
}

int cache_link_addr_del(struct cache_link *cl, const struct nl_addr *a)
{
	for (size_t i = 0; i < cl->n_addrs; i++)
		if (cache_addr_equal(&cl->addrs[i], a)) {
			cl->addrs[i] = cl->addrs[--cl->n_addrs];
			return 1;
		}
	return 0;
}

int cache_link_route_add(struct cache_link *cl, const struct nl_route *r)
{
	for (size_t i = 0; i < cl->n_routes; i++)
		if (cache_route_equal(&cl->routes[i], r)) {
			cl->routes[i] = *r;
			return 0;
		}
	struct nl_route *p = array_push(&cl->routes, &cl->n_routes, sizeof(*r));
	if (!p)
		return -ENOMEM;
	*p = *r;
	return 1;
}

int cache_link_route_del(struct cache_link *cl, const struct nl_route *r)
{
	for (size_t i = 0; i < cl->n_routes; i++)
		if (cache_route_equal(&cl->routes[i], r)) {
			cl->routes[i] = cl->routes[--cl->n_routes];
			return 1;
		}
	return 0;
}
