/* SPDX-License-Identifier: MIT */
/*
 * Binding kernel links to declared endpoints: a host link is claimed by its name or altname,
 * the container side is the veth peer of the host link inside /run/netns/NAME. Renames,
 * re-creations, re-dumps and reloads all come down to (re)binding.
 */
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <stdlib.h>

#include "log.h"
#include "manager.h"
#include "pass.h"

static void container_mark(struct container *ct)
{
	ct->dirty = true;
	pass_schedule(ct->m);
}

static struct endpoint *inside_of(struct endpoint *host_ep)
{
	return host_ep + 1;
}

/* Open /run/netns/NAME if it is the namespace the host link's peer lives in. */
static int open_peer_ns(struct container *ct, const struct nl_link *host_link, const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct statfs sfs;
	struct stat st;
	int nsid, r;

	if (fd < 0 || fstat(fd, &st) < 0 || fstatfs(fd, &sfs) < 0)
		return -errno;
	if (sfs.f_type != NSFS_MAGIC)
		return -EMEDIUMTYPE; /* the name exists, no namespace is mounted on it (yet) */
	r = netns_nsid_of(ct->m->host, fd, &nsid);
	if (r < 0)
		return r;
	if (nsid != host_link->link_netnsid)
		return -EXDEV;
	r = netns_new(ct->m, ct->conf->name, fd, ct->m->host_fd, ct->m->rcvbuf, &ct->ns);
	if (r >= 0) {
		ct->ns->nsid = nsid;
		ct->ns->dev = st.st_dev;
		ct->ns->ino = st.st_ino;
	}
	return r;
}

/*
 * The container's side is reached through /run/netns/NAME, and only when that is where the
 * host link's peer lives: the namespace ids must agree, or a stale or unrelated name would
 * have us configure links that are not ours. While the peer is still in our own namespace
 * nothing is decided (it may yet be moved into the container).
 */
static void container_open_ns(struct container *ct, const struct nl_link *host_link)
{
	char path[PATH_MAX];
	int r;

	if (ct->ns || ct->unmanaged)
		return;
	(void)snprintf(path, sizeof(path), "/run/netns/%s", ct->conf->name);
	if (!host_link->has_link_netnsid) {
		/* Without a namespace of its own the peer stays here: host side only. */
		if (access(path, F_OK) < 0)
			ct->unmanaged = true;
		return;
	}
	r = open_peer_ns(ct, host_link, path);
	if (r == ct->ns_error)
		; /* a retry that found what the last attempt found: said already */
	else if (r == -ENOENT)
		log_info("%s: %s does not exist, configuring the host side only", ct->conf->name,
			 path);
	else if (r == -EMEDIUMTYPE)
		log_info("%s: no namespace is mounted on %s, configuring the host side only",
			 ct->conf->name, path);
	else if (r == -EXDEV)
		log_warning("%s: the peer of %s is not in %s, configuring the host side only",
			    ct->conf->name, host_link->name, path);
	else if (r < 0)
		log_warning_errno(r, "%s: cannot use %s, configuring the host side only",
				  ct->conf->name, path);
	if (r < 0)
		ct->unmanaged = true;
	ct->ns_error = r < 0 ? r : 0;
}

/*
 * The veth at the host link's peer index in the verified namespace. The kernel announces a
 * veth's second end before the pair is joined (no IFLA_LINK yet), and nothing follows until
 * the link changes: an unknown peer is accepted, a different one is not.
 */
static bool is_peer_of(const struct cache_link *cl, int host_ifindex)
{
	if (strcmp(cl->link.kind, "veth") != 0)
		return false;
	return cl->link.peer_ifindex == 0 || cl->link.peer_ifindex == host_ifindex;
}

/* Find the container-side link of a bound host endpoint in the container's namespace. */
static void bind_inside(struct endpoint *host_ep, const struct nl_link *host_link)
{
	struct endpoint *in = inside_of(host_ep);
	struct container *ct = host_ep->ct;
	struct cache_link *cl;

	if (!ct->ns || !host_link->has_link_netnsid || host_link->link_netnsid != ct->ns->nsid)
		return;
	in->ifindex = host_link->peer_ifindex;
	cl = cache_get(&ct->ns->cache, in->ifindex);
	if (cl && is_peer_of(cl, host_link->ifindex)) {
		cl->owner = in;
		cl->release = false;
		manager_mark_dirty(ct->m, cl);
	}
}

/* Open the container's namespace if it can be, and bind the inside of every bound pair. */
static void attach_inside(struct container *ct)
{
	for (size_t e = 0; e < ct->n_eps; e += 2) {
		struct cache_link *hl = cache_get(&ct->m->host->cache, ct->eps[e].ifindex);

		if (!hl)
			continue;
		container_open_ns(ct, &hl->link);
		bind_inside(&ct->eps[e], &hl->link);
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
	attach_inside(ct);
	log_debug("%s: claimed %s (ifindex %d)", ct->conf->name, cl->link.name, cl->link.ifindex);
	manager_mark_dirty(ct->m, cl);
}

/* The container stopped (its last host link went): a new start brings a new namespace. */
static void container_forget_ns(struct container *ct)
{
	ct->ns = netns_free(ct->ns);
	ct->unmanaged = false;
	ct->ns_error = 0;
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
	if (!container_has_links(ct))
		container_forget_ns(ct);
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

static void host_link_changed(struct manager *m, struct cache_link *cl, const char *old_name)
{
	struct endpoint *ep = manager_claim_link(m, &cl->link);

	if (strcmp(cl->link.kind, "bridge") == 0) {
		bridge_changed(m, cl->link.name);
		if (old_name && strcmp(old_name, cl->link.name) != 0)
			bridge_changed(m, old_name); /* renamed away from a HostBridge= name */
	}
	if (cl->owner == ep) {
		if (ep)
			attach_inside(ep->ct); /* the peer may have moved into the container */
	} else {
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

static struct endpoint *inside_owner(struct netns *ns, const struct cache_link *cl)
{
	for (size_t i = 0; i < ns->m->n_containers; i++) {
		struct container *ct = &ns->m->containers[i];

		if (ct->ns != ns)
			continue;
		for (size_t e = 1; e < ct->n_eps; e += 2)
			if (ct->eps[e].ifindex == cl->link.ifindex &&
			    is_peer_of(cl, ct->eps[e - 1].ifindex))
				return &ct->eps[e];
	}
	return NULL;
}

void manager_link_changed(struct manager *m, struct netns *ns, struct cache_link *cl,
			  const char *old_name)
{
	if (ns == m->host) {
		host_link_changed(m, cl, old_name);
		return;
	}
	if (!cl->owner)
		cl->owner = inside_owner(ns, cl);
	if (cl->owner || cl->release)
		manager_mark_dirty(m, cl);
}

/*
 * A veth's peer moving to another namespace is announced as the peer's removal only; the host
 * end learns nothing. Ask the kernel about claimed links whose peer that was.
 */
static void refresh_peers_of(struct manager *m, int ifindex)
{
	for (size_t i = 0; i < m->n_containers; i++) {
		struct container *ct = &m->containers[i];

		for (size_t e = 0; e < ct->n_eps; e += 2) {
			struct cache_link *cl = cache_get(&m->host->cache, ct->eps[e].ifindex);
			int r;

			if (!cl || cl->link.has_link_netnsid || cl->link.peer_ifindex != ifindex)
				continue;
			r = netns_refresh_link(m->host, cl->link.ifindex);
			if (r < 0)
				log_warning_errno(r, "%s: cannot read %s again, ignoring",
						  ct->conf->name, cl->link.name);
			return;
		}
	}
}

void manager_link_removed(struct manager *m, struct netns *ns, int ifindex)
{
	struct cache_link *cl = cache_get(&ns->cache, ifindex);

	if (ns == m->host)
		refresh_peers_of(m, ifindex);
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

/* Rebind the links of one container namespace from scratch (after a dump or a reload). */
static void rebind_inside(struct container *ct)
{
	for (size_t i = 0; i < ct->ns->cache.n_links; i++) {
		struct cache_link *cl = ct->ns->cache.links[i];

		/* Owned before a reload and not after it: remove what netd added. */
		cl->release = cl->release || cl->owner;
		cl->owner = NULL;
	}
	attach_inside(ct);
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

static void rebind_host_links(struct manager *m)
{
	struct cache *c = &m->host->cache;

	for (size_t i = 0; i < m->n_containers; i++)
		for (size_t e = 0; e < m->containers[i].n_eps; e++)
			m->containers[i].eps[e].ifindex = 0;
	for (size_t i = 0; i < c->n_links; i++) {
		struct cache_link *cl = c->links[i];
		struct endpoint *ep = manager_claim_link(m, &cl->link);

		cl->release = cl->release || cl->owner;
		cl->owner = NULL;
		if (ep && !ep->ifindex) {
			ep->ifindex = cl->link.ifindex;
			cl->owner = ep;
			cl->release = false;
		}
		cl->dirty = true;
	}
}

/*
 * Bind every host link to the endpoint that claims it, from scratch: after the first dump,
 * a re-dump and a reload. Links that lose their owner in a reload are released (netd removes
 * what it added to them), the container side of a container that lost all its links too.
 */
void manager_rebind(struct manager *m)
{
	rebind_host_links(m);
	for (size_t i = 0; i < m->n_containers; i++) {
		struct container *ct = &m->containers[i];

		if (!container_has_links(ct)) {
			ct->unmanaged = false;
			if (ct->ns)
				(void)manager_orphan_ns(m, TAKE_PTR(ct->ns));
		} else if (ct->ns) {
			manager_rebind_ns(m, ct->ns);
		} else {
			attach_inside(ct);
		}
		ct->dirty = true;
	}
	pass_schedule(m);
}

/* /run/netns/NAME appeared: a container configured host-side only can now be reached. */
void manager_netns_added(struct manager *m, const char *name)
{
	const struct conf_container *cc = conf_find_container(m->conf, name);
	struct container *ct;

	if (!cc)
		return;
	ct = &m->containers[cc - m->conf->containers];
	if (ct->ns || !container_has_links(ct))
		return;
	ct->unmanaged = false;
	attach_inside(ct);
	container_mark(ct);
}

/* Whether /run/netns/NAME still names the namespace ns was opened as (not a newer one). */
static bool still_named(const struct netns *ns)
{
	char path[PATH_MAX];
	struct stat st;

	(void)snprintf(path, sizeof(path), "/run/netns/%s", ns->name);
	return stat(path, &st) == 0 && st.st_dev == ns->dev && st.st_ino == ns->ino;
}

static bool gone(const struct netns *ns, const char *name)
{
	return (!name || streq_ptr(ns->name, name)) && !still_named(ns);
}

/*
 * /run/netns/NAME went away (`ip netns del`, spawn exiting), or now names another namespace:
 * let go of the old one at once. Our sockets in it would keep it, and with it the container's
 * links, alive. name NULL checks every namespace (the inotify queue overflowed).
 */
void manager_netns_removed(struct manager *m, const char *name)
{
	for (size_t i = 0; i < m->n_orphans; i++)
		if (gone(m->orphans[i], name)) {
			netns_free(m->orphans[i]);
			m->orphans[i--] = m->orphans[--m->n_orphans];
		}
	for (size_t i = 0; i < m->n_containers; i++) {
		struct container *ct = &m->containers[i];

		if (!ct->ns || !gone(ct->ns, name))
			continue;
		for (size_t e = 1; e < ct->n_eps; e += 2)
			ct->eps[e].ifindex = 0;
		ct->ns = netns_free(ct->ns);
		ct->unmanaged = true;
		container_mark(ct);
	}
}

/*
 * `ip netns add` creates the name before it bind-mounts the namespace on it, and a name can
 * be mounted over or unmounted in place: inotify sees none of that, the mount table does.
 */
void manager_netns_rescan(struct manager *m)
{
	manager_netns_removed(m, NULL);
	for (size_t i = 0; i < m->n_containers; i++)
		if (!m->containers[i].ns)
			manager_netns_added(m, m->containers[i].conf->name);
}
