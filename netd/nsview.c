/* SPDX-License-Identifier: MIT */
/* A namespace as netd sees it: session, link records, identity. */
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
