/* SPDX-License-Identifier: MIT */
/* Manager lifecycle, the claim index over declared links, and what ACKs mean for a link. */
#include <fcntl.h>
#include <stdlib.h>

#include "log.h"
#include "manager.h"
#include "nswatch.h"
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

	if (!m->n_claims)
		return NULL;
	c = bsearch(&key, m->claims, m->n_claims, sizeof(key), claim_cmp);
	return c ? c->ep : NULL;
}

/* The host-side endpoint a link belongs to, by its name or any altname; veths only. */
struct endpoint *manager_claim_link(const struct manager *m, const struct nl_link *l)
{
	struct endpoint *ep;

	if (strcmp(l->kind, "veth") != 0)
		return NULL;
	ep = claim_lookup(m, l->name);
	for (size_t i = 0; !ep && i < l->n_altnames; i++)
		ep = claim_lookup(m, l->altnames[i]);
	return ep;
}

static int claims_add(struct claim **claims, size_t *n, const char *name, struct endpoint *ep)
{
	struct claim *c = array_push(claims, n, sizeof(*c));

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

int manager_claims_build(struct container *cts, size_t n_cts, struct claim **ret,
			 size_t *ret_n)
{
	_cleanup_free_ struct claim *claims = NULL;
	size_t n = 0;
	int r = 0;

	for (size_t i = 0; i < n_cts && r >= 0; i++) {
		struct container *ct = &cts[i];

		if (!ct->conf->private_network)
			continue;
		for (size_t e = 0; e < ct->n_eps && r >= 0; e += 2) {
			r = claims_add(&claims, &n, ct->eps[e].veth->ifname, &ct->eps[e]);
			if (r >= 0 && ct->eps[e].veth->altname)
				r = claims_add(&claims, &n, ct->eps[e].veth->altname, &ct->eps[e]);
		}
	}
	if (r < 0)
		return r;
	if (n > 0) /* qsort() wants an array, even of nothing */
		qsort(claims, n, sizeof(*claims), claim_cmp);
	*ret = TAKE_PTR(claims);
	*ret_n = n;
	return 0;
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
	r = manager_claims_build(m->containers, m->n_containers, &m->claims, &m->n_claims);
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
	sd_event_source_disable_unref(m->nswatch);
	sd_event_source_disable_unref(m->retry);
	conf_free(m->conf);
	safe_close(m->host_fd);
	free(m->state_dir);
	free(m->status);
	sd_event_unref(m->event);
	free(m);
	return NULL;
}

void manager_mark_dirty(struct manager *m, struct cache_link *cl)
{
	cl->dirty = true;
	if (cl->owner)
		cl->owner->ct->dirty = true;
	pass_schedule(m);
}

void manager_request_resync(struct manager *m, struct netns *ns)
{
	ns->resync = true;
	pass_schedule(m);
}

struct cache_link *manager_find_bridge(const struct manager *m, const char *name)
{
	struct cache_link *br = cache_find_name(&m->host->cache, name);

	return br && strcmp(br->link.kind, "bridge") == 0 ? br : NULL;
}

int manager_orphan_ns(struct manager *m, struct netns *ns)
{
	struct netns **o = reallocarray(m->orphans, m->n_orphans + 1, sizeof(*o));

	if (!o) {
		netns_free(ns);
		return -ENOMEM;
	}
	m->orphans = o;
	for (size_t i = 0; i < ns->cache.n_links; i++) {
		struct cache_link *cl = ns->cache.links[i];

		cl->release = cl->release || cl->owner;
		cl->owner = NULL;
		cl->dirty = cl->release;
	}
	m->orphans[m->n_orphans++] = ns;
	pass_schedule(m);
	return 0;
}

static void record_failure(struct netns *ns, struct cache_link *cl, const struct op *op,
			   const struct nl_err *err, int r)
{
	struct endpoint *ep = cl->owner;
	char desc[128];

	(void)op_describe(op, desc, sizeof(desc));
	if (!ep) {
		/* Releasing what we added failed: give up rather than retry forever. */
		cl->release = false;
		log_warning_errno(r, "%s: %s: %s failed%s%s, ignoring", netns_label(ns),
				  cl->link.name, desc, err->msg[0] ? ": " : "", err->msg);
		return;
	}
	log_warning_errno(r, "%s: %s: %s (%s) failed%s%s", ep->ct->conf->name, cl->link.name, desc,
			  nl_type_to_string(apply_request_type(op)), err->msg[0] ? ": " : "",
			  err->msg);
	if (ep->error)
		return;
	if (asprintf(&ep->error, "%s: %s failed: %s%s%s", cl->link.name, desc, strerror(-r),
		     err->msg[0] ? ": " : "", err->msg) < 0)
		ep->error = NULL;
}

/* Refusals of one link replanned in a row before the next one counts as a failure. */
#define REPLANS_MAX 5

/*
 * A refusal that the world has since overtaken is no failure: it is replanned against the
 * cache, which the events have brought up to date. That covers a change on the op's link that
 * none of our requests made (an address flushed under a route that needs it), and enslaving to
 * a bridge that was deleted meanwhile (its ports are released before the bridge itself goes),
 * and an op that a config since replaced asked for. A replanned op that is refused again with
 * nothing new in between is a failure.
 */
static bool op_overtaken(const struct manager *m, const struct inflight *in)
{
	const struct op *op = &in->op;
	const struct cache_link *br;

	if (in->overtaken || in->generation != m->generation)
		return true;
	if (op->type != OP_LINK_SET || op->link.master <= 0)
		return false;
	br = cache_get(&m->host->cache, op->link.master);
	return !br || strcmp(br->link.kind, "bridge") != 0;
}

/*
 * -EEXIST on an add: with NLM_F_EXCL the kernel also says so when another object holds the
 * same key (a route with another gateway, an IPv6 address with another prefix length). The
 * events were read before this ACK, so ours is in the cache if it is really there.
 */
static bool exists_as_ours(const struct cache_link *cl, const struct op *op)
{
	if (op->type == OP_ADDR_ADD)
		return cache_link_has_addr(cl, &op->addr);
	if (op->type == OP_ROUTE_ADD)
		return cache_link_has_route(cl, &op->route);
	return true;
}

void manager_op_done(struct manager *m, struct netns *ns, const struct inflight *in,
		     const struct nl_err *err)
{
	const struct op *op = &in->op;
	struct cache_link *cl = cache_get(&ns->cache, op->ifindex);
	int r = apply_result(op, err->error);

	if (!cl) {
		pass_schedule(m); /* the link went away meanwhile; the pass may now be idle */
		return;
	}
	if (cl->inflight)
		cl->inflight--;
	if (err->error == -EEXIST && !ns->resync && !exists_as_ours(cl, op))
		r = -EEXIST;
	/* Someone who keeps changing the link does not buy a refusal endless retries. */
	if (r < 0 && op_overtaken(m, in) && cl->replans < REPLANS_MAX) {
		cl->replans++;
		log_debug("%s: %s refused (%s) after the link changed, replanning", cl->link.name,
			  op_type_to_string(op->type), strerror(-r));
	} else if (r < 0) {
		record_failure(ns, cl, op, err, r);
	} else {
		cl->replans = 0;
		if (!in->seen && err->error != -EEXIST && apply_to_cache(cl, op) < 0)
			manager_request_resync(m, ns);
	}
	manager_mark_dirty(m, cl);
}

int manager_start(struct manager *m)
{
	int r;

	r = netns_new(m, NULL, -1, m->host_fd, m->rcvbuf, &m->host);
	if (r < 0)
		return r;
	m->starting = true;
	manager_rebind(m);
	container_prune_state_dir(m);
	return nswatch_start(m);
}
