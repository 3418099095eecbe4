/* SPDX-License-Identifier: MIT */
/* Binding kernel links to declared endpoints; the claim index. */
#include <stdlib.h>

#include "claim.h"
#include "log.h"

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct claim_entry *)a)->name, ((const struct claim_entry *)b)->name);
}

static int index_add(struct claims *c, const char *name, struct endpoint *ep)
{
	struct claim_entry *e = array_push(&c->index, &c->n_index, sizeof(*e));

	if (!e)
		return -ENOMEM;
	*e = (struct claim_entry){ .name = name, .ep = ep };
	return 0;
}

int claim_index_build(struct container *cts, size_t n, struct claims *ret)
{
	struct claims c = { .containers = cts, .n_containers = n };
	int r = 0;

	for (size_t i = 0; i < n && r >= 0; i++) {
		struct container *ct = &cts[i];

		if (!ct->conf->private_network)
			continue;
		for (size_t e = 0; e < ct->n_eps && r >= 0; e += 2) {
			r = index_add(&c, ct->eps[e].veth->ifname, &ct->eps[e]);
			if (r >= 0 && ct->eps[e].veth->altname)
				r = index_add(&c, ct->eps[e].veth->altname, &ct->eps[e]);
		}
	}
	if (r < 0) {
		free(c.index);
		return r;
	}
	if (c.n_index > 0) /* qsort() wants an array, even of nothing */
		qsort(c.index, c.n_index, sizeof(*c.index), entry_cmp);
	*ret = c;
	return 0;
}

void claim_index_done(struct claims *c)
{
	free(c->index);
	c->index = NULL;
	c->n_index = 0;
}

static struct endpoint *index_get(const struct claims *c, const char *name)
{
	struct claim_entry key = { .name = name }, *e;

	if (!c->n_index)
		return NULL;
	e = bsearch(&key, c->index, c->n_index, sizeof(key), entry_cmp);
	return e ? e->ep : NULL;
}

struct endpoint *claim_lookup(const struct claims *c, const struct nl_link *l)
{
	struct endpoint *ep;

	if (strcmp(l->kind, "veth") != 0)
		return NULL;
	ep = index_get(c, l->name);
	for (size_t i = 0; !ep && i < l->n_altnames; i++)
		ep = index_get(c, l->altnames[i]);
	return ep;
}

/* Claim the link ifindex of view v for ep (record created when missing). */
static int claim(struct nsview *v, int ifindex, const char *ifname, struct endpoint *ep)
{
	struct link *l;
	int r = link_table_ensure(&v->links, v, ifindex, &l);

	if (r < 0)
		return r;
	link_claim(l, ep, ep->cc->name, ifname);
	return 0;
}

/*
 * The veth at the host link's peer index in the container's view. The kernel announces a
 * veth's second end before the pair is joined (no IFLA_LINK yet), and nothing follows until
 * the link changes: an unknown peer is accepted, a different one is not.
 */
static bool is_peer_of(const struct cache_link *cl, int host_ifindex)
{
	if (strcmp(cl->link.kind, "veth") != 0)
		return false;
	return cl->link.peer_ifindex == 0 || cl->link.peer_ifindex == host_ifindex;
}

/* ct's view went, or was never there: its side of every pair is unknown. */
void claim_detach_inside(struct container *ct)
{
	for (size_t e = 1; e < ct->n_eps; e += 2)
		ct->eps[e].ifindex = 0;
}

/* Bind the container side of the pair of host endpoint ep, whose host link is hl. */
static int bind_inside(struct container *ct, struct endpoint *ep, const struct cache_link *hl)
{
	struct endpoint *in = container_inside_of(ep);
	const struct nl_link *h = &hl->link;
	const struct cache_link *cl;

	in->ifindex = 0;
	if (!h->has_link_netnsid || h->link_netnsid != ct->ns->id.nsid)
		return 0;
	in->ifindex = h->peer_ifindex;
	cl = nsview_cache_link(ct->ns, in->ifindex);
	if (!cl || !is_peer_of(cl, h->ifindex))
		return 0;
	return claim(ct->ns, in->ifindex, cl->link.name, in);
}

/* A record whose endpoint does not point back at it any more is released. */
static bool still_bound(const struct link *l)
{
	return l->claim && l->claim->ifindex == l->ifindex;
}

int claim_rebind_inside(struct claims *c, struct container *ct)
{
	struct link_table *t;
	int r = 0;

	if (!ct->ns)
		return 0;
	for (size_t e = 0; e < ct->n_eps && r >= 0; e += 2) {
		const struct cache_link *hl = nsview_cache_link(c->host, ct->eps[e].ifindex);

		if (hl)
			r = bind_inside(ct, &ct->eps[e], hl);
		else
			container_inside_of(&ct->eps[e])->ifindex = 0;
	}
	t = &ct->ns->links;
	for (size_t i = 0; i < t->n_links; i++) {
		struct link *l = t->links[i];

		if (!still_bound(l))
			link_release(l);
	}
	container_mark(ct, false);
	return r;
}

/* The container stopped (its last host link went): a new start brings a new namespace. */
static void forget_ns(struct container *ct)
{
	ct->ns = nsview_free(ct->ns);
	claim_detach_inside(ct);
	ct->unmanaged = false;
	ct->ns_error = 0;
}

static void disown(struct link *l)
{
	link_disown(l);
	if (link_reapable(l))
		link_table_remove(&l->ns->links, l->ifindex);
}

/* Host endpoint ep loses its link; the container side of the pair goes with it. */
static void unbind(struct claims *c, struct endpoint *ep)
{
	struct container *ct = ep->ct;
	struct endpoint *in = container_inside_of(ep);
	struct link *l;

	if ((l = nsview_link(c->host, ep->ifindex)) && l->claim == ep)
		disown(l);
	ep->ifindex = 0;
	if (ct->ns && (l = nsview_link(ct->ns, in->ifindex)) && l->claim == in)
		disown(l);
	in->ifindex = 0;
	if (!container_has_links(ct))
		forget_ns(ct);
	container_mark(ct, false);
}

static int bind_host(struct claims *c, struct endpoint *ep, const struct cache_link *cl)
{
	int r;

	ep->ifindex = cl->link.ifindex;
	r = claim(c->host, cl->link.ifindex, cl->link.name, ep);
	log_debug("%s: claimed %s (ifindex %d)", ep->cc->name, cl->link.name, cl->link.ifindex);
	/* The container side is found by the pass, which may have to open the namespace. */
	container_mark(ep->ct, true);
	return r;
}

/* A bridge appeared, changed or went: bridged endpoints that name it must look again. */
static void bridge_changed(struct claims *c, const char *name)
{
	for (size_t i = 0; i < c->n_containers; i++) {
		struct container *ct = &c->containers[i];

		for (size_t e = 0; e < ct->n_eps; e += 2) {
			struct endpoint *ep = &ct->eps[e];
			struct link *l;

			if (ep->ifindex && streq_ptr(ep->veth->host_bridge, name) &&
			    (l = nsview_link(c->host, ep->ifindex)))
				link_mark_dirty(l);
		}
	}
}

int claim_host_changed(struct claims *c, struct cache_link *cl, const char *old_name)
{
	struct endpoint *ep = claim_lookup(c, &cl->link);
	struct link *l = nsview_link(c->host, cl->link.ifindex);
	struct endpoint *cur = l ? l->claim : NULL;

	if (strcmp(cl->link.kind, "bridge") == 0) {
		bridge_changed(c, cl->link.name);
		if (old_name && strcmp(old_name, cl->link.name) != 0)
			bridge_changed(c, old_name); /* renamed away from a HostBridge= name */
	}
	if (cur == ep) {
		if (!ep) {
			if (l)
				link_mark_dirty(l); /* being released */
			return 0;
		}
		container_mark(ep->ct, true); /* the peer may have moved into the container */
		link_mark_dirty(l);
		return 0;
	}
	/* Renamed away from a claimed name, or onto one. */
	if (cur)
		unbind(c, cur);
	if (!ep)
		return 0;
	if (ep->ifindex && ep->ifindex != cl->link.ifindex)
		unbind(c, ep);
	return bind_host(c, ep, cl);
}

/*
 * A veth's peer moving to another namespace is announced as the peer's removal only; the host
 * end learns nothing. The claimed link whose peer that was is asked about again. The kernel
 * announced the second end of a pair before the pair was joined, so the peer's own record of
 * its peer may be empty: then the claimed links say whose peer it was.
 */
static void refresh_if_peer(struct claims *c, struct link *l, const struct cache_link *gone)
{
	const struct cache_link *cl = l ? nsview_cache_link(c->host, l->ifindex) : NULL;

	if (l && l->claim && cl && !cl->link.has_link_netnsid &&
	    cl->link.peer_ifindex == gone->link.ifindex)
		link_mark_refresh(l);
}

static void refresh_peer_of(struct claims *c, const struct cache_link *gone)
{
	struct link_table *t = &c->host->links;

	if (gone->link.peer_ifindex) {
		refresh_if_peer(c, nsview_link(c->host, gone->link.peer_ifindex), gone);
		return;
	}
	for (size_t i = 0; i < t->n_links; i++)
		refresh_if_peer(c, t->links[i], gone);
}

void claim_host_removed(struct claims *c, const struct cache_link *cl)
{
	struct link *l = nsview_link(c->host, cl->link.ifindex);

	if (strcmp(cl->link.kind, "bridge") == 0)
		bridge_changed(c, cl->link.name);
	if (!cl->link.has_link_netnsid)
		refresh_peer_of(c, cl);
	if (!l)
		return;
	if (l->claim) {
		log_debug("%s: link %s is gone", l->claim->cc->name, cl->link.name);
		unbind(c, l->claim);
	}
	link_table_remove(&c->host->links, cl->link.ifindex);
}

int claim_inside_changed(struct container *ct, const struct cache_link *cl)
{
	struct link *l = nsview_link(ct->ns, cl->link.ifindex);

	if (l && l->claim) {
		link_mark_dirty(l);
		return 0;
	}
	for (size_t e = 1; e < ct->n_eps; e += 2)
		if (ct->eps[e].ifindex == cl->link.ifindex &&
		    is_peer_of(cl, ct->eps[e - 1].ifindex))
			return claim(ct->ns, cl->link.ifindex, cl->link.name, &ct->eps[e]);
	if (l)
		link_mark_dirty(l);
	return 0;
}

void claim_inside_removed(struct container *ct, const struct cache_link *cl)
{
	struct link *l = nsview_link(ct->ns, cl->link.ifindex);

	if (!l)
		return;
	if (l->claim) {
		log_debug("%s: link %s is gone", ct->conf->name, cl->link.name);
		l->claim->ifindex = 0;
		container_mark(ct, false);
	}
	link_table_remove(&ct->ns->links, cl->link.ifindex);
}

/* Records of links that are gone (a re-dump found them missing) go with their bindings. */
static void drop_vanished(struct claims *c)
{
	struct link_table *t = &c->host->links;

	for (size_t i = t->n_links; i-- > 0;) {
		struct link *l = t->links[i];

		if (nsview_cache_link(c->host, l->ifindex))
			continue;
		if (l->claim)
			unbind(c, l->claim);
		link_table_remove(t, l->ifindex);
	}
}

/* One host link, bound anew: its endpoint now (ep, or none), against the one it served. */
static int rebind_one(struct claims *c, const struct cache_link *cl, struct endpoint *ep)
{
	struct link *l = nsview_link(c->host, cl->link.ifindex);
	struct endpoint *cur = l ? l->claim : NULL;

	if (cur && cur == ep)
		return 0; /* unchanged: a re-dump, or a reload that left it alone */
	if (cur) {
		/* Its name went to another declaration (or none) while events were lost. */
		link_release(l);
		unbind(c, cur);
	} else if (l && l->state != LINK_STATE_UNMANAGED && !ep) {
		link_release(l); /* its declaration went in a reload */
	}
	if (!ep || (ep->ifindex && ep->ifindex != cl->link.ifindex))
		return 0; /* not claimed, or its endpoint is bound to an earlier link */
	return bind_host(c, ep, cl);
}

int claim_rebind_host(struct claims *c)
{
	struct cache *cache = rtnl_cache(c->host->rtnl);
	int r = 0;

	drop_vanished(c);
	for (size_t i = 0; i < cache->n_links && r >= 0; i++)
		r = rebind_one(c, cache->links[i], claim_lookup(c, &cache->links[i]->link));
	return r;
}

void claim_release_all(struct nsview *ns)
{
	for (size_t i = 0; i < ns->links.n_links; i++)
		link_release(ns->links.links[i]);
}

void claim_forget_all(struct nsview *ns)
{
	for (size_t i = 0; i < ns->links.n_links; i++)
		link_forget_claim(ns->links.links[i]);
}

void claim_carry(struct nsview *host, struct container *old, struct container *ct)
{
	for (size_t i = 0; i < old->n_eps && i < ct->n_eps; i++) {
		struct endpoint *ep = &old->eps[i];
		struct nsview *v = ep->inside ? old->ns : host;
		struct link *l = v ? nsview_link(v, ep->ifindex) : NULL;

		ct->eps[i].ifindex = ep->ifindex;
		if (l && l->claim == ep)
			link_move_claim(l, &ct->eps[i]);
	}
}

void claim_forget_host(struct nsview *host, struct container *old)
{
	for (size_t i = 0; i < old->n_eps; i += 2) {
		struct link *l = nsview_link(host, old->eps[i].ifindex);

		if (l && l->claim == &old->eps[i])
			link_forget_claim(l);
	}
}
