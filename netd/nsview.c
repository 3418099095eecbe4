/* SPDX-License-Identifier: MIT */
/* A namespace as netd sees it: session, link records, identity. */
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>

#include "nsview.h"

int nsview_new(sd_event *event, const char *name, int fd, int home_fd, int rcvbuf,
	       const struct rtnl_handlers *h, void *owner, struct list_node *dirty,
	       struct nsview **ret)
{
	struct nsview *v = calloc(1, sizeof(*v));
	int r;

	if (!v)
		return -ENOMEM;
	v->owner = owner;
	link_table_init(&v->links, dirty);
	list_init(&v->resync_node);
	list_init(&v->flush_node);
	if (name && !(v->name = strdup(name))) {
		nsview_free(v);
		return -ENOMEM;
	}
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
	link_table_done(&v->links);
	rtnl_free(v->rtnl);
	free(v->name);
	free(v);
	return NULL;
}

/*
 * /proc/sys/net resolves to the namespace of whoever opens it: open it from inside. The way in
 * is the session's own socket (SIOCGSKNS), not a kept descriptor of /run/netns/NAME, which
 * would keep that mount busy (umount fails with EBUSY while a file on it is open).
 */
static int open_in(const struct nsview *v, int home_fd, const char *path)
{
	_cleanup_close_ int ns = -1;
	int fd, r = 0;

	if (!v->name) {
		fd = open(path, O_WRONLY | O_CLOEXEC);
		return fd < 0 ? -errno : fd;
	}
	ns = rtnl_netns_fd(v->rtnl);
	if (ns < 0)
		return ns;
	if (setns(ns, CLONE_NEWNET) < 0)
		return -errno;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		r = -errno;
	if (setns(home_fd, CLONE_NEWNET) < 0)
		abort(); /* going on in the container's namespace would misconfigure the host */
	return fd < 0 ? r : fd;
}

int nsview_sysctl_write(const struct nsview *v, int home_fd, const char *path, const char *value)
{
	_cleanup_close_ int fd = open_in(v, home_fd, path);
	size_t len = strlen(value);

	if (fd < 0)
		return fd;
	if (write(fd, value, len) != (ssize_t)len)
		return -errno;
	return 0;
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
