/* SPDX-License-Identifier: MIT */
/* Containers and their endpoints from the config; a container's verdict and its state file. */
#include <dirent.h>
#include <linux/if_addr.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <time.h>

#include "container.h"
#include "forward.h"
#include "log.h"
#include "nsview.h"

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
		ep->cc = cc;
		ep->main = i < 2;
		ep->inside = i % 2;
		ep->veth = ep->main ? &cc->veth : &cc->extras[i / 2 - 1]->veth;
	}
	return 0;
}

int container_table_new(const struct conf *conf, struct container **ret)
{
	struct container *cts = calloc(conf->n_containers + 1, sizeof(*cts));
	int r;

	if (!cts)
		return -ENOMEM;
	for (size_t i = 0; i < conf->n_containers; i++) {
		cts[i].conf = &conf->containers[i];
		list_init(&cts[i].work_node);
		r = endpoints_init(&cts[i]);
		if (r < 0) {
			container_table_free(cts, conf->n_containers);
			return r;
		}
	}
	*ret = cts;
	return 0;
}

void container_table_free(struct container *cts, size_t n)
{
	for (size_t i = 0; cts && i < n; i++) {
		struct container *ct = &cts[i];

		list_del(&ct->work_node);
		free(ct->eps);
		nsview_free(ct->ns);
	}
	free(cts);
}

void container_table_set_work(struct container *cts, size_t n, struct list_node *work)
{
	for (size_t i = 0; i < n; i++)
		cts[i].work_list = work;
}

struct container *container_table_find(struct container *cts, const struct conf *conf,
				       const char *name)
{
	const struct conf_container *cc = conf_find_container(conf, name);

	return cc ? &cts[cc - conf->containers] : NULL;
}

static bool veth_equal(const struct conf_veth *a, const struct conf_veth *b)
{
	return streq_ptr(a->host_bridge, b->host_bridge) && strcmp(a->ifname, b->ifname) == 0 &&
	       streq_ptr(a->altname, b->altname) &&
	       conf_addr_equal(&a->host_addr4, &b->host_addr4) &&
	       conf_addr_equal(&a->host_addr6, &b->host_addr6) &&
	       conf_addr_equal(&a->local_addr4, &b->local_addr4) &&
	       conf_addr_equal(&a->local_addr6, &b->local_addr6);
}

bool container_same_links(const struct conf_container *a, const struct conf_container *b)
{
	if (a->private_network != b->private_network || !veth_equal(&a->veth, &b->veth) ||
	    !conf_addr_equal(&a->gateway4, &b->gateway4) ||
	    !conf_addr_equal(&a->gateway6, &b->gateway6) || a->n_extras != b->n_extras)
		return false;
	for (size_t i = 0; i < a->n_extras; i++)
		if (!veth_equal(&a->extras[i]->veth, &b->extras[i]->veth))
			return false;
	return true;
}

static bool forward_equal(const struct conf_forward *a, const struct conf_forward *b)
{
	return a->protocol == b->protocol && conf_addr_equal(&a->host_addr, &b->host_addr) &&
	       a->host_port == b->host_port && a->host_port_end == b->host_port_end &&
	       a->container_port == b->container_port &&
	       a->container_port_end == b->container_port_end;
}

bool container_same_forwards(const struct conf_container *a, const struct conf_container *b)
{
	if (a->n_forwards != b->n_forwards || a->masquerade4 != b->masquerade4 ||
	    a->masquerade6 != b->masquerade6)
		return false;
	for (size_t i = 0; i < a->n_forwards; i++)
		if (!forward_equal(&a->forwards[i], &b->forwards[i]))
			return false;
	return true;
}

bool container_has_links(const struct container *ct)
{
	for (size_t i = 0; i < ct->n_eps; i += 2)
		if (ct->eps[i].ifindex)
			return true;
	return false;
}

struct endpoint *container_inside_of(struct endpoint *host_ep)
{
	return host_ep + 1;
}

void container_mark(struct container *ct, bool attach)
{
	ct->attach |= attach;
	if (ct->work_list && !list_linked(&ct->work_node))
		list_add_tail(ct->work_list, &ct->work_node);
}

void container_take(struct container *ct)
{
	list_del(&ct->work_node);
}

struct verdict {
	enum state_kind state;
	const char *error; /* borrowed from a link record */
};

/*
 * IPv6 on a link needs its link-local address past DAD: neighbour discovery speaks from it.
 * The kernel makes it only once the link is operationally up, and finishes DAD (which netd
 * turns off on these links) from a work queue, each announced by an address event.
 */
static bool link_local_ready(const struct cache_link *cl)
{
	bool found = false;

	for (size_t i = 0; i < cl->n_addrs; i++) {
		const struct nl_addr *a = &cl->addrs[i];

		if (a->family != AF_INET6 || !IN6_IS_ADDR_LINKLOCAL(&a->addr.in6))
			continue;
		if (a->flags & IFA_F_TENTATIVE)
			return false;
		found = true;
	}
	return found;
}

/*
 * One end: its link record configured, and, where netd manages both ends, operationally up as
 * the kernel reports it (linkwatch moves a link there, attaches its qdisc and lets IPv6 start,
 * up to seconds after it was set up), with its link-local address usable when it carries IPv6.
 */
static bool end_ready(const struct nsview *v, int ifindex, bool need_oper_up, bool ipv6)
{
	const struct link *l = nsview_link(v, ifindex);
	const struct cache_link *cl = nsview_cache_link(v, ifindex);

	if (!l || !cl || !link_is_configured(l))
		return false;
	if (!need_oper_up)
		return true;
	return nl_link_oper_up(&cl->link) && (!ipv6 || link_local_ready(cl));
}

static bool bridge_joined(const struct nsview *host, const struct endpoint *ep)
{
	const struct cache_link *cl, *br;

	if (!ep->veth->host_bridge)
		return true;
	cl = nsview_cache_link(host, ep->ifindex);
	br = cache_find_bridge(rtnl_cache(host->rtnl), ep->veth->host_bridge);
	return cl && br && cl->link.master == br->link.ifindex;
}

static const char *end_error(const struct nsview *v, int ifindex)
{
	const struct link *l = v ? nsview_link(v, ifindex) : NULL;

	if (!l || l->state != LINK_STATE_FAILED)
		return NULL;
	return l->error ? l->error : "failed";
}

/* One host/inside pair: failed beats pending beats configured. */
static void judge_pair(const struct container *ct, struct nsview *host, const struct endpoint *ep,
		       struct verdict *v)
{
	const struct endpoint *in = ep + 1;
	const char *err = end_error(host, ep->ifindex);
	bool ok;

	if (!err && ct->ns)
		err = end_error(ct->ns, in->ifindex);
	if (err) {
		v->error = v->state == STATE_FAILED ? v->error : err;
		v->state = STATE_FAILED;
		return;
	}
	ok = end_ready(host, ep->ifindex, ct->ns != NULL, ep->veth->host_addr6.family != 0) &&
	     bridge_joined(host, ep);
	if (ok && ct->ns)
		ok = end_ready(ct->ns, in->ifindex, true, in->veth->local_addr6.family != 0);
	else if (ok && !ct->unmanaged)
		ok = false; /* the container side is not decided yet (peer not moved in) */
	if (!ok && v->state == STATE_CONFIGURED)
		v->state = STATE_PENDING;
}

/* The host link's actual name: a link found by its altname keeps the name it has. */
static const char *host_ifname(const struct container *ct, struct nsview *host)
{
	const struct cache_link *cl = nsview_cache_link(host, ct->eps[0].ifindex);

	return cl ? cl->link.name : ct->conf->veth.ifname;
}

/* netns must hold PATH_MAX bytes; sf borrows from ct, v, netns and extra. */
static void describe(const struct container *ct, struct nsview *host, const struct verdict *v,
		     char *netns, char **extra, struct state_file *sf)
{
	if (ct->unmanaged)
		(void)snprintf(netns, PATH_MAX, "unmanaged");
	else
		(void)snprintf(netns, PATH_MAX, "%s/%s", NSATTACH_DIR, ct->conf->name);
	*sf = (struct state_file){
		.state = v->state,
		.ifname = (char *)host_ifname(ct, host),
		.netns = netns,
		.error = (char *)v->error,
		.extra = extra[0] ? extra : NULL,
	};
}

bool container_has_forwards(const struct container *ct)
{
	const struct conf_container *cc = ct->conf;

	return cc->n_forwards > 0 || cc->masquerade4 || cc->masquerade6;
}

const char *container_forward_link(const struct container *ct, struct nsview *host)
{
	const struct cache_link *cl = nsview_cache_link(host, ct->eps[0].ifindex);

	if (ct->conf->veth.host_bridge)
		return ct->conf->veth.host_bridge;
	return cl ? cl->link.name : NULL;
}

/* "FORWARDS=..." (malloc'ed) when ct declares forwards, else NULL. Returns 0 or -ENOMEM. */
static int forwards_line(const struct container *ct, char **ret)
{
	_cleanup_free_ char *text = NULL;
	int r;

	*ret = NULL;
	if (!ct->conf->n_forwards)
		return 0;
	r = forward_state_text(ct->conf, &text);
	if (r < 0)
		return r;
	return asprintf(ret, "FORWARDS=%s", text) < 0 ? -ENOMEM : 0;
}

static void put_addr(FILE *f, const struct conf_addr *a, bool *first)
{
	char buf[INET6_ADDRSTRLEN + 4];

	if (!a->family)
		return;
	fprintf(f, "%s%s", *first ? "" : " ", conf_addr_to_string(a, buf, sizeof(buf)));
	*first = false;
}

/* "ADDRESSES=..." (malloc'ed): the container side's addresses, main veth first; NULL when
 * none are declared. Returns 0 or -ENOMEM. */
static int addresses_line(const struct container *ct, char **ret)
{
	char *buf = NULL;
	size_t size = 0;
	bool first = true;
	FILE *f = open_memstream(&buf, &size);

	*ret = NULL;
	if (!f)
		return -ENOMEM;
	fputs("ADDRESSES=", f);
	for (size_t i = 1; i < ct->n_eps; i += 2) {
		put_addr(f, &ct->eps[i].veth->local_addr4, &first);
		put_addr(f, &ct->eps[i].veth->local_addr6, &first);
	}
	if (fclose(f) != 0 || !buf) {
		free(buf);
		return -ENOMEM;
	}
	if (first)
		free(buf);
	else
		*ret = buf;
	return 0;
}

static void counts_add(struct container_counts *to, const struct container_counts *c, int sign)
{
	to->configured += (unsigned)(sign * (int)c->configured);
	to->pending += (unsigned)(sign * (int)c->pending);
	to->failed += (unsigned)(sign * (int)c->failed);
	to->unmanaged += (unsigned)(sign * (int)c->unmanaged);
}

void container_count(struct container *ct, struct container_counts *counts)
{
	ct->counted = (struct container_counts){};
	if (ct->has_state)
		ct->counted = (struct container_counts){
			.configured = ct->state == STATE_CONFIGURED,
			.pending = ct->state == STATE_PENDING,
			.failed = ct->state == STATE_FAILED,
			.unmanaged = ct->unmanaged,
		};
	counts_add(counts, &ct->counted, 1);
}

static void uncount(struct container *ct, struct container_counts *counts)
{
	counts_add(counts, &ct->counted, -1);
	ct->counted = (struct container_counts){};
}

void container_remove_state(struct container *ct, const char *state_dir,
			    struct container_counts *counts)
{
	int r;

	uncount(ct, counts);
	if (!ct->has_state)
		return;
	r = state_file_remove(state_dir, ct->conf->name);
	if (r < 0)
		log_warning_errno(r, "%s: failed to remove state file, ignoring", ct->conf->name);
	ct->has_state = false;
}

/* FNV-1a, 64 bits: to tell a state file's next content from its current one. */
static uint64_t text_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325u;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3u;
	return h;
}

static uint64_t now_realtime_usec(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* MESSAGE_ID= of the transitions an admin may want to find or alert on. */
#define MESSAGE_CONFIGURED "dc7d76773dd14a20a29622925bd1f6c6"
#define MESSAGE_FAILED "d2ab7dc84f5146bdbbda5e27bed929b0"

/* One line per change of state kind, with CONTAINER=, IFNAME= and for two of them MESSAGE_ID=. */
static void log_transition(const struct container *ct, struct nsview *host,
			   const struct verdict *v)
{
	struct log_fields f = {
		.container = ct->conf->name,
		.ifname = host_ifname(ct, host),
		.message_id = v->state == STATE_CONFIGURED ? MESSAGE_CONFIGURED
			      : v->state == STATE_FAILED   ? MESSAGE_FAILED
							   : NULL,
	};

	(void)log_fields_internal(v->state == STATE_FAILED ? LOG_WARNING : LOG_INFO, 0, &f,
				  "%s: %s%s%s", ct->conf->name, state_kind_to_string(v->state),
				  v->error ? ": " : "", v->error ? v->error : "");
}

/*
 * A container's table entries (its forwards, masquerade, and the hairpin entry every
 * configured container has) go in once it is configured and stay until its links are gone.
 */
static int set_forwarding(struct container *ct, bool on)
{
	if (ct->forwarding == on)
		return 0;
	ct->forwarding = on;
	if (!on)
		ct->localnet = false;
	return 1;
}

int container_update_state(struct container *ct, struct nsview *host, const char *state_dir,
			   struct container_counts *counts)
{
	struct verdict v = { .state = STATE_CONFIGURED };
	_cleanup_free_ char *text = NULL, *fwd = NULL, *addrs = NULL, *since = NULL;
	char netns[PATH_MAX], *extra[4] = {}, **x = extra;
	struct state_file sf;
	uint64_t since_usec;
	int changed, r;

	if (!container_has_links(ct) || !ct->conf->private_network) {
		container_remove_state(ct, state_dir, counts);
		return set_forwarding(ct, false);
	}
	for (size_t i = 0; i < ct->n_eps; i += 2)
		judge_pair(ct, host, &ct->eps[i], &v);
	changed = v.state == STATE_CONFIGURED ? set_forwarding(ct, true) : 0;
	/* configured promises working forwards: the engine installs them, then judges again. */
	if (changed)
		v.state = STATE_PENDING;
	if (ct->forward_error && v.state != STATE_FAILED) {
		v.state = STATE_FAILED;
		v.error = ct->forward_error;
	}
	/* SINCE= is when the state last changed kind: rewrites within one state keep it. */
	since_usec = v.state == ct->state && ct->has_state ? ct->since_usec : now_realtime_usec();
	r = forwards_line(ct, &fwd);
	if (r >= 0)
		r = addresses_line(ct, &addrs);
	if (r >= 0 && asprintf(&since, "SINCE=%" PRIu64, since_usec) < 0)
		r = -ENOMEM;
	if (r < 0)
		return changed;
	if (addrs)
		*x++ = addrs;
	if (fwd)
		*x++ = fwd;
	*x = since;
	describe(ct, host, &v, netns, extra, &sf);
	r = state_file_format(&sf, &text);
	if (r < 0 || (ct->has_state && text_hash(text) == ct->state_hash))
		return changed;
	r = state_file_write(state_dir, ct->conf->name, &sf);
	if (r < 0) {
		log_warning_errno(r, "%s: failed to write state file, ignoring", ct->conf->name);
		return changed;
	}
	if (v.state != ct->state || !ct->has_state)
		log_transition(ct, host, &v);
	uncount(ct, counts);
	ct->state = v.state;
	ct->since_usec = since_usec;
	ct->has_state = true;
	ct->state_hash = text_hash(text);
	container_count(ct, counts);
	return changed;
}

static bool state_file_wanted(struct container *cts, const struct conf *conf, const char *name)
{
	struct container *ct = container_table_find(cts, conf, name);

	return ct && ct->conf->private_network && container_has_links(ct);
}

void container_prune_state_dir(struct container *cts, const struct conf *conf,
			       const char *state_dir)
{
	_cleanup_(closedirp) DIR *d = opendir(state_dir);
	struct dirent *de;

	if (!d)
		return; /* created on the first write */
	while ((de = readdir(d))) {
		char name[NAME_MAX + 1];
		size_t len = strlen(de->d_name);
		int r;

		if (len <= strlen(".state") || strcmp(de->d_name + len - 6, ".state") != 0)
			continue;
		(void)snprintf(name, sizeof(name), "%.*s", (int)(len - 6), de->d_name);
		if (state_file_wanted(cts, conf, name))
			continue;
		r = state_file_remove(state_dir, name);
		if (r < 0)
			log_warning_errno(r, "Failed to remove stale state file %s, ignoring",
					  de->d_name);
	}
}
