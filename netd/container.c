/* SPDX-License-Identifier: MIT */
/* A container's overall state, derived from its endpoints, and its state file. */
#include <dirent.h>
#include <stdlib.h>

#include "log.h"
#include "manager.h"

struct verdict {
	enum state_kind state;
	const char *error; /* borrowed from an endpoint */
};

static bool link_settled(const struct netns *ns, int ifindex)
{
	const struct cache_link *cl = cache_get(&ns->cache, ifindex);

	return cl && !cl->dirty && !cl->inflight;
}

static bool bridge_joined(const struct manager *m, const struct endpoint *ep)
{
	const struct cache_link *cl, *br;

	if (!ep->veth->host_bridge)
		return true;
	cl = cache_get(&m->host->cache, ep->ifindex);
	br = manager_find_bridge(m, ep->veth->host_bridge);
	return cl && br && cl->link.master == br->link.ifindex;
}

/* One host/inside pair: failed beats pending beats configured. */
static void judge_pair(const struct container *ct, const struct endpoint *ep, struct verdict *v)
{
	const struct endpoint *in = ep + 1;
	bool ok;

	if (ep->error || in->error) {
		v->state = STATE_FAILED;
		v->error = v->error ? v->error : (ep->error ? ep->error : in->error);
		return;
	}
	ok = ep->ifindex && link_settled(ct->m->host, ep->ifindex) && bridge_joined(ct->m, ep);
	if (ok && ct->ns)
		ok = in->ifindex && link_settled(ct->ns, in->ifindex);
	else if (ok && !ct->unmanaged)
		ok = false; /* the container side is not decided yet (peer not moved in) */
	if (!ok && v->state == STATE_CONFIGURED)
		v->state = STATE_PENDING;
}

bool container_has_links(const struct container *ct)
{
	for (size_t i = 0; i < ct->n_eps; i += 2)
		if (ct->eps[i].ifindex)
			return true;
	return false;
}

/* netns must hold PATH_MAX bytes; sf borrows from ct, v and netns. */
static void describe(const struct container *ct, const struct verdict *v, char *netns,
		     struct state_file *sf)
{
	if (ct->unmanaged)
		(void)snprintf(netns, PATH_MAX, "unmanaged");
	else
		(void)snprintf(netns, PATH_MAX, "/run/netns/%s", ct->conf->name);
	*sf = (struct state_file){
		.state = v->state,
		.ifname = (char *)ct->conf->veth.ifname,
		.netns = netns,
		.error = (char *)v->error,
	};
}

static void state_remove(struct container *ct)
{
	int r;

	if (!ct->state_text)
		return;
	r = state_file_remove(ct->m->state_dir, ct->conf->name);
	if (r < 0)
		log_warning_errno(r, "%s: failed to remove state file, ignoring", ct->conf->name);
	free(ct->state_text);
	ct->state_text = NULL;
}

void container_update_state(struct container *ct)
{
	struct verdict v = { .state = STATE_CONFIGURED };
	_cleanup_free_ char *text = NULL;
	char netns[PATH_MAX];
	struct state_file sf;
	int r;

	ct->dirty = false;
	if (!container_has_links(ct) || !ct->conf->private_network) {
		state_remove(ct);
		return;
	}
	for (size_t i = 0; i < ct->n_eps; i += 2)
		judge_pair(ct, &ct->eps[i], &v);
	describe(ct, &v, netns, &sf);
	r = state_file_format(&sf, &text);
	if (r < 0 || streq_ptr(text, ct->state_text))
		return;
	r = state_file_write(ct->m->state_dir, ct->conf->name, &sf);
	if (r < 0) {
		log_warning_errno(r, "%s: failed to write state file, ignoring", ct->conf->name);
		return;
	}
	if (v.state != ct->state || !ct->state_text)
		log_info("%s: %s%s%s", ct->conf->name, state_kind_to_string(v.state),
			 v.error ? ": " : "", v.error ? v.error : "");
	ct->state = v.state;
	free(ct->state_text);
	ct->state_text = TAKE_PTR(text);
}

static bool state_file_wanted(const struct manager *m, const char *name)
{
	const struct conf_container *cc = conf_find_container(m->conf, name);

	if (!cc || !cc->private_network)
		return false;
	return container_has_links(&m->containers[cc - m->conf->containers]);
}

void container_prune_state_dir(struct manager *m)
{
	_cleanup_(closedirp) DIR *d = opendir(m->state_dir);
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
		if (state_file_wanted(m, name))
			continue;
		r = state_file_remove(m->state_dir, name);
		if (r < 0)
			log_warning_errno(r, "Failed to remove stale state file %s, ignoring",
					  de->d_name);
	}
}
