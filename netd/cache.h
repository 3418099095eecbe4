/* SPDX-License-Identifier: MIT */
/*
 * What the kernel holds in one network namespace, as far as netd cares: links (by ifindex),
 * and per link its addresses and its main-table unicast routes. Fed by dumps and events,
 * and by our own requests once the kernel ACKed them. Observed state only: what netd makes
 * of a link (claim, progress, failure) is its link record (link.h).
 */
#pragma once

#include "nlmsg.h"

struct cache_link {
	struct nl_link link;    /* owned altnames */
	struct nl_addr *addrs;  /* owned array */
	size_t n_addrs;
	struct nl_route *routes; /* owned array */
	size_t n_routes;
};

struct cache {
	struct cache_link **links; /* owned, sorted by ifindex */
	size_t n_links;
};

void cache_done(struct cache *c);

/* Borrowed pointer or NULL. */
struct cache_link *cache_get(const struct cache *c, int ifindex);
struct cache_link *cache_find_name(const struct cache *c, const char *name);
/* The bridge called name, or NULL. Borrowed. */
struct cache_link *cache_find_bridge(const struct cache *c, const char *name);

/*
 * Insert or update a link from l (altnames are moved out of l). Returns the entry, or NULL on
 * ENOMEM.
 */
struct cache_link *cache_link_update(struct cache *c, struct nl_link *l);
void cache_link_remove(struct cache *c, int ifindex);

/* Same address (family, bytes, prefix length) / same route key (family, table, dst, gateway). */
bool cache_addr_equal(const struct nl_addr *a, const struct nl_addr *b);
bool cache_route_equal(const struct nl_route *a, const struct nl_route *b);

bool cache_link_has_addr(const struct cache_link *cl, const struct nl_addr *a);
bool cache_link_has_route(const struct cache_link *cl, const struct nl_route *r);

/* Set semantics (an address already there takes the new flags); return 1 when the cache
 * changed, 0 when not, -ENOMEM. */
int cache_link_addr_add(struct cache_link *cl, const struct nl_addr *a);
int cache_link_addr_del(struct cache_link *cl, const struct nl_addr *a);
int cache_link_route_add(struct cache_link *cl, const struct nl_route *r);
int cache_link_route_del(struct cache_link *cl, const struct nl_route *r);

/* Whether netd keeps a route in the cache at all: main table, unicast, single oif. */
bool cache_route_relevant(const struct nl_route *r);
