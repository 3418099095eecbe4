/* SPDX-License-Identifier: MIT */
/* Manager lifecycle, the claim index, and binding kernel links to declared endpoints. */
#include <fcntl.h>
#include <stdlib.h>

#include "log.h"
#include "manager.h"
#include "pass.h"

sd_event *manager_event(struct manager *m)
{
	return m->event;
}

static int claim_cmp(const void *a, const void *b)
{
	return strcmp(((const struct claim *)a)->name, ((const struct claim *)b)->name);
}

static struct endpoint *claim_lookup(const struct manager *m, const char *name)
{
	struct claim key = { .name = name }, *c;

	c = bsearch(&key, m->claims, m->n_claims, sizeof(key), claim_cmp);
	return c ? c->ep : NULL;
}

/* The host-side endpoint a link belongs to, by its name or any altname; veths only. */
static struct endpoint *claim_link(const struct manager *m, const struct nl_link *l)
{
	struct endpoint *ep;

	if (strcmp(l->kind, "veth") != 0)
		return NULL;
	ep = claim_lookup(m, l->name);
	for (size_t i = 0; !ep && i < l->n_altnames; i++)
		ep = claim_lookup(m, l->altnames[i]);
	return ep;
}

static int claims_add(struct manager *m, const char *name, struct endpoint *ep)
{
	struct claim *c = array_push(&m->claims, &m->n_claims, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->name = name;
	c->ep = ep;
	return 0;
}

static int endpoints_init(struct container *ct)
{
	const struct conf_container *cc = ct->conf;

	ct->n_eps = 2 * (1 + cc->n_extras);
	ct->eps = calloc(ct->n_eps, sizeof(*ct->eps));
	if (!ct->eps)
		return -ENOMEM;
	for (size_t i = 0; i < ct->n_eps; i++) {
		struct endpoint *ep = &ct->eps[i];

		ep->ct = ct;
		ep->main = i < 2;
		ep->inside = i % 2;
		ep->veth = ep->main ? &cc->veth : &cc->extras[i / 2 - 1]->veth;
		if (ep->inside)
			ep->name_inside = ep->main ? "eth0" : ep->veth->ifname;
	}
	return 0;
}

int manager_claims_build(struct manager *m)
{
	int r = 0;

	for (size_t i = 0; i < m->n_containers && r >= 0; i++) {
		struct container *ct = &m->containers[i];

		if (!ct->conf->private_network)
			continue;
		for (size_t e = 0; e < ct->n_eps && r >= 0; e += 2) {
			r = claims_add(m, ct->eps[e].veth->ifname, &ct->eps[e]);
			if (r >= 0 && ct->eps[e].veth->altname)
				r = claims_add(m, ct->eps[e].veth->altname, &ct->eps[e]);
		}
	}
	if (r >= 0)
		qsort(m->claims, m->n_claims, sizeof(*m->claims), claim_cmp);
	return r;
}

static void container_done(struct container *ct)
{
	for (size_t i = 0; i < ct->n_eps; i++)
		free(ct->eps[i].error);
	free(ct->eps);
	netns_free(ct->ns);
	free(ct->state_text);
	memset(ct, 0, sizeof(*ct));
}

void manager_containers_free(struct container *cts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		container_done(&cts[i]);
	free(cts);
}

/* Runtime objects for conf; containers already running keep their namespace and state file. */
int manager_containers_new(struct manager *m, const struct conf *conf, struct container **ret)
{
	struct container *cts = calloc(conf->n_containers + 1, sizeof(*cts));
	int r;

	if (!cts)
		return -ENOMEM;
	for (size_t i = 0; i < conf->n_containers; i++) {
		cts[i].m = m;
		cts[i].conf = &conf->containers[i];
		r = endpoints_init(&cts[i]);
		if (r < 0) {
			manager_containers_free(cts, conf->n_containers);
			return r;
		}
	}
	*ret = cts;
	return 0;
}

int manager_new(sd_event *event, struct conf *conf, const char *state_dir, int rcvbuf,
		struct manager **ret)
{
	struct manager *m = calloc(1, sizeof(*m));
	int r;

	if (!m)
		return -ENOMEM;
	m->event = sd_event_ref(event);
	m->host_fd = -1;
	m->rcvbuf = rcvbuf;
	m->state_dir = strdup(state_dir);
	if (!m->state_dir) {
		manager_free(m);
		return -ENOMEM;
	}
	m->host_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (m->host_fd < 0) {
		r = -errno;
		manager_free(m);
		return r;
	}
	r = manager_containers_new(m, conf, &m->containers);
	if (r < 0) {
		manager_free(m);
		return r;
	}
	m->n_containers = conf->n_containers;
	m->conf = conf;
	r = manager_claims_build(m);
	if (r < 0) {
		m->conf = NULL; /* the caller keeps what we could not take over */
		manager_free(m);
		return r;
	}
	*ret = m;
	return 0;
}

struct manager *manager_free(struct manager *m)
{
	if (!m)
		return NULL;
	manager_containers_free(m->containers, m->n_containers);
	for (size_t i = 0; i < m->n_orphans; i++)
		netns_free(m->orphans[i]);
	free(m->orphans);
	netns_free(m->host);
	free(m->claims);
	sd_event_source_disable_unref(m->pass);
	sd_event_source_disable_unref(m->reload_src);
	conf_free(m->conf);
	safe_close(m->host_fd);
	free(m->state_dir);
	free(m->status);
	sd_event_unref(m->event);
	free(m);
	return NULL;
}

static void container_mark(struct container *ct)
{
	ct->dirty = true;
	pass_schedule(ct->m);
}

void manager_mark_dirty(struct manager *m, struct cache_link *cl)
{
	cl->dirty = true;
	if (cl->owner)
		cl->owner->ct->dirty = true;
	pass_schedule(m);
}

/*
 * The container's side is managed only through /run/netns/NAME, and only when the host link's
 * peer lives in another namespace: a peer in our own namespace is not the container's.
 */
static void container_open_ns(struct container *ct, const struct nl_link *host_link)
{
	char path[PATH_MAX];
	int r;

	if (ct->ns || ct->unmanaged)
		return;
	(void)snprintf(path, sizeof(path), "/run/netns/%s", ct->conf->name);
	if (!host_link->has_link_netnsid) {
		ct->unmanaged = true;
		return;
	}
	r = netns_new(ct->m, ct->conf->name, path, ct->m->host_fd, ct->m->rcvbuf, &ct->ns);
	if (r == -ENOENT) {
		log_info("%s: %s does not exist, configuring the host side only", ct->conf->name,
			 path);
		ct->unmanaged = true;
	} else if (r < 0) {
		log_warning_errno(r, "%s: cannot watch %s, configuring the host side only",
				  ct->conf->name, path);
		ct->unmanaged = true;
	}
}

static struct endpoint *inside_of(struct endpoint *host_ep)
{
	return host_ep + 1;
}

/* Find the container-side link of a bound host endpoint in the container's namespace. */
static void bind_inside(struct endpoint *host_ep, const struct nl_link *host_link)
{
	struct endpoint *in = inside_of(host_ep);
	struct container *ct = host_ep->ct;
	struct cache_link *cl;

	if (!ct->ns)
		return;
	in->ifindex = host_link->peer_ifindex;
	cl = cache_get(&ct->ns->cache, in->ifindex);
	if (cl) {
		cl->owner = in;
		cl->release = false;
		manager_mark_dirty(ct->m, cl);
	}
}

static void endpoint_clear_error(struct endpoint *ep)
{
	free(ep->error);
	ep->error = NULL;
}

static void bind_link(struct endpoint *ep, struct cache_link *cl)
{
	struct container *ct = ep->ct;

	ep->ifindex = cl->link.ifindex;
	endpoint_clear_error(ep);
	endpoint_clear_error(inside_of(ep));
	cl->owner = ep;
	cl->release = false;
	container_open_ns(ct, &cl->link);
	bind_inside(ep, &cl->link);
	log_debug("%s: claimed %s (ifindex %d)", ct->conf->name, cl->link.name, cl->link.ifindex);
	manager_mark_dirty(ct->m, cl);
}

static bool host_side_bound(const struct container *ct)
{
	for (size_t i = 0; i < ct->n_eps; i += 2)
		if (ct->eps[i].ifindex)
			return true;
	return false;
}

static void unbind(struct endpoint *ep)
{
	struct container *ct = ep->ct;
	struct endpoint *in = inside_of(ep);
	struct cache_link *cl;

	ep->ifindex = 0;
	if (ct->ns && (cl = cache_get(&ct->ns->cache, in->ifindex)) && cl->owner == in)
		cl->owner = NULL;
	in->ifindex = 0;
	if (!host_side_bound(ct)) {
		/* The container is gone: a new start brings a new namespace. */
		ct->ns = netns_free(ct->ns);
		ct->unmanaged = false;
	}
	container_mark(ct);
}

/* A bridge appeared, changed or went: bridged endpoints that name it must look again. */
static void bridge_changed(struct manager *m, const char *name)
{
	for (size_t i = 0; i < m->n_containers; i++) {
		struct container *ct = &m->containers[i];

		for (size_t e = 0; e < ct->n_eps; e += 2) {
			struct endpoint *ep = &ct->eps[e];
			struct cache_link *cl;

			if (!ep->ifindex || !streq_ptr(ep->veth->host_bridge, name))
				continue;
			cl = cache_get(&m->host->cache, ep->ifindex);
			if (cl)
				manager_mark_dirty(m, cl);
		}
	}
}

static void host_link_changed(struct manager *m, struct cache_link *cl)
{
	struct endpoint *ep = claim_link(m, &cl->link);

	if (strcmp(cl->link.kind, "bridge") == 0)
		bridge_changed(m, cl->link.name);
	if (cl->owner != ep) {
		/* Renamed away from a claimed name, or onto one. */
		if (cl->owner)
			unbind(cl->owner);
		cl->owner = NULL;
		if (ep && ep->ifindex && ep->ifindex != cl->link.ifindex) {
			struct cache_link *old = cache_get(&m->host->cache, ep->ifindex);

			if (old)
				old->owner = NULL;
			unbind(ep);
		}
		if (ep)
			bind_link(ep, cl);
	}
	if (cl->owner)
		manager_mark_dirty(m, cl);
}

static struct endpoint *inside_owner(struct netns *ns, int ifindex)
{
	for (size_t i = 0; i < ns->m->n_containers; i++) {
		struct container *ct = &ns->m->containers[i];

		if (ct->ns != ns)
			continue;
		for (size_t e = 1; e < ct->n_eps; e += 2)
			if (ct->eps[e].ifindex == ifindex)
				return &ct->eps[e];
	}
	return NULL;
}

void manager_link_changed(struct manager *m, struct netns *ns, struct cache_link *cl, bool is_new)
{
	if (ns == m->host) {
		host_link_changed(m, cl);
		return;
	}
	if (!cl->owner)
		cl->owner = inside_owner(ns, cl->link.ifindex);
	if (cl->owner || cl->release)
		manager_mark_dirty(m, cl);
}

void manager_link_removed(struct manager *m, struct netns *ns, int ifindex)
{
	struct cache_link *cl = cache_get(&ns->cache, ifindex);

	if (!cl)
		return;
	if (ns == m->host && strcmp(cl->link.kind, "bridge") == 0)
		bridge_changed(m, cl->link.name);
	if (!cl->owner)
		return;
	log_debug("%s: link %s is gone", cl->owner->ct->conf->name, cl->link.name);
	if (ns == m->host) {
		unbind(cl->owner);
	} else {
		cl->owner->ifindex = 0;
		container_mark(cl->owner->ct);
	}
	cl->owner = NULL;
}

void manager_request_resync(struct manager *m, struct netns *ns)
{
	ns->resync = true;
	pass_schedule(m);
}

/* Rebind the links of one container namespace from scratch (after a dump or a reload). */
static void rebind_inside(struct container *ct)
{
	for (size_t i = 0; i < ct->ns->cache.n_links; i++) {
		struct cache_link *cl = ct->ns->cache.links[i];

		/* Owned before a reload and not after it: remove what netd added. */
		cl->release = cl->release || cl->owner;
		cl->owner = NULL;
	}
	for (size_t e = 0; e < ct->n_eps; e += 2) {
		struct cache_link *hl = cache_get(&ct->m->host->cache, ct->eps[e].ifindex);

		if (hl)
			bind_inside(&ct->eps[e], &hl->link);
	}
}

void manager_rebind_ns(struct manager *m, struct netns *ns)
{
	if (ns == m->host) {
		manager_rebind(m);
		return;
	}
	for (size_t i = 0; i < m->n_containers; i++)
		if (m->containers[i].ns == ns)
			rebind_inside(&m->containers[i]);
	for (size_t i = 0; i < ns->cache.n_links; i++)
		manager_mark_dirty(m, ns->cache.links[i]);
}

/*
 * Bind every host link to the endpoint that claims it, from scratch: after the first dump,
 * a re-dump and a reload. Links that lose their owner in a reload are released (netd removes
 * what it added to them).
 */
void manager_rebind(struct manager *m)
{
	struct cache *c = &m->host->cache;

	for (size_t i = 0; i < m->n_containers; i++)
		for (size_t e = 0; e < m->containers[i].n_eps; e++)
			m->containers[i].eps[e].ifindex = 0;
	for (size_t i = 0; i < c->n_links; i++) {
		struct cache_link *cl = c->links[i];
		struct endpoint *ep = claim_link(m, &cl->link);

		cl->release = cl->release || cl->owner;
		cl->owner = NULL;
		if (ep && !ep->ifindex) {
			ep->ifindex = cl->link.ifindex;
			cl->owner = ep;
			cl->release = false;
		}
		cl->dirty = true;
	}
	for (size_t i = 0; i < m->n_containers; i++) {
		struct container *ct = &m->containers[i];

		for (size_t e = 0; e < ct->n_eps; e += 2) {
			struct cache_link *cl = cache_get(c, ct->eps[e].ifindex);

			if (cl)
				container_open_ns(ct, &cl->link);
		}
		if (!host_side_bound(ct)) {
			ct->ns = netns_free(ct->ns);
			ct->unmanaged = false;
		} else if (ct->ns) {
			manager_rebind_ns(m, ct->ns);
		}
		ct->dirty = true;
	}
	pass_schedule(m);
}

static void record_failure(struct cache_link *cl, const struct op *op, const struct nl_err *err,
			   int r)
{
	struct endpoint *ep = cl->owner;
	char desc[128];

	(void)op_describe(op, desc, sizeof(desc));
	if (!ep) {
		log_warning_errno(r, "%s: %s failed%s%s, ignoring", cl->link.name, desc,
				  err->msg[0] ? ": " : "", err->msg);
		return;
	}
	log_warning_errno(r, "%s: %s: %s (%s) failed%s%s", ep->ct->conf->name, cl->link.name, desc,
			  nl_type_to_string(apply_request_type(op)),
			  err->msg[0] ? ": " : "", err->msg);
	if (ep->error)
		return;
	if (asprintf(&ep->error, "%s: %s failed: %s%s%s", cl->link.name, desc, strerror(-r),
		     err->msg[0] ? ": " : "", err->msg) < 0)
		ep->error = NULL;
}

/*
 * A refusal that the world has since overtaken is no failure: enslaving to a bridge that was
 * deleted meanwhile (its ports are released before the bridge itself goes) is replanned.
 */
static bool op_overtaken(const struct manager *m, const struct op *op)
{
	const struct cache_link *br;

	if (op->type != OP_LINK_SET || op->link.master <= 0)
		return false;
	br = cache_get(&m->host->cache, op->link.master);
	return !br || strcmp(br->link.kind, "bridge") != 0;
}

void manager_op_done(struct manager *m, struct netns *ns, const struct op *op, bool seen,
		     const struct nl_err *err)
{
	struct cache_link *cl = cache_get(&ns->cache, op->ifindex);
	int r = apply_result(op, err->error);

	if (!cl)
		return; /* the link went away meanwhile; its removal was handled */
	if (cl->inflight)
		cl->inflight--;
	if (r < 0 && !op_overtaken(m, op))
		record_failure(cl, op, err, r);
	else if (r >= 0 && !seen && apply_to_cache(cl, op) < 0)
		manager_request_resync(m, ns);
	manager_mark_dirty(m, cl);
}

int manager_start(struct manager *m)
{
	int r;

	r = netns_new(m, NULL, NULL, m->host_fd, m->rcvbuf, &m->host);
	if (r < 0)
		return r;
	m->starting = true;
	manager_rebind(m);
	container_prune_state_dir(m);
	return 0;
}
