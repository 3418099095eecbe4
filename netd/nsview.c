/* SPDX-License-Identifier: MIT */
/* A namespace as netd sees it: session, link records, identity. */
#include <assert.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>

#include "nsview.h"
#include "sysctl.h"

int nsview_new(sd_event *event, const char *name, int fd, const struct nsattach_id *id,
	       struct nsview *host, int home_fd, int rcvbuf, const struct rtnl_handlers *h,
	       void *owner, struct list_node *dirty, struct nsview **ret)
{
	struct nsview *v = calloc(1, sizeof(*v));
	int r;

	if (!v)
		return -ENOMEM;
	v->owner = owner;
	v->sysctl_dir = -1;
	link_table_init(&v->links, dirty);
	list_init(&v->resync_node);
	list_init(&v->flush_node);
	if (name && !(v->name = strdup(name))) {
		nsview_free(v);
		return -ENOMEM;
	}
	if (id)
		v->id = *id;
	if (host)
		r = rtnl_new_carried(event, host->rtnl, v->id.nsid, fd, home_fd, rcvbuf, h, v,
				     &v->rtnl);
	else
		r = rtnl_new(event, fd, home_fd, rcvbuf, h, v, &v->rtnl);
	if (r < 0) {
		nsview_free(v);
		return r;
	}
	*ret = v;
	return 0;
}

struct nsview *nsview_free(struct nsview *v)
{
	if (!v)
		return NULL;
	list_del(&v->resync_node);
	list_del(&v->flush_node);
	safe_close(v->sysctl_dir);
	link_table_done(&v->links);
	rtnl_free(v->rtnl);
	free(v->name);
	free(v);
	return NULL;
}

static int sysctl_dir(struct nsview *v)
{
	if (v->sysctl_dir < 0)
		v->sysctl_dir = sysctl_dir_open();
	return v->sysctl_dir;
}

int nsview_host_sysctl_dir(struct nsview *v)
{
	assert(!v->name);
	return sysctl_dir(v);
}

/*
 * /proc/sys/net resolves to the namespace of whoever opens it, and what is under it is found
 * only from inside: enter the namespace for every write. The way in is the session's own socket
 * (SIOCGSKNS), not a kept descriptor of /run/netns/NAME, which would keep that mount busy
 * (umount fails with EBUSY while a file on it is open).
 */
int nsview_dad_disable(struct nsview *v, int home_fd, const char *ifname)
{
	_cleanup_close_ int ns = -1;
	int r;

	if (!v->name)
		return sysctl_dad_disable(sysctl_dir(v), ifname);
	ns = rtnl_netns_fd(v->rtnl);
	if (ns < 0)
		return ns;
	if (setns(ns, CLONE_NEWNET) < 0)
		return -errno;
	r = sysctl_dir(v);
	if (r >= 0)
		r = sysctl_dad_disable(r, ifname);
	if (setns(home_fd, CLONE_NEWNET) < 0)
		abort(); /* going on in the container's namespace would misconfigure the host */
	return r;
}

const char *nsview_label(const struct nsview *v)
{
	return v->name ? v->name : "host";
}

struct cache_link *nsview_cache_link(const struct nsview *v, int ifindex)
{
	return ifindex > 0 ? cache_get(rtnl_cache(v->rtnl), ifindex) : NULL;
}

struct link *nsview_link(const struct nsview *v, int ifindex)
{
	return ifindex > 0 ? link_table_get(&v->links, ifindex) : NULL;
}

bool nsview_busy(const struct nsview *v)
{
	return v->links.n_links > 0 || rtnl_inflight(v->rtnl) > 0;
}
