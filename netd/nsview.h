/* SPDX-License-Identifier: MIT */
/*
 * netd's view of one network namespace: the rtnetlink session that observes it, netd's records
 * of the links in it, and which namespace it is (for a container's, the identity it was
 * opened with, so a newer namespace under the same name is told apart).
 */
#pragma once

#include <sys/types.h>

#include "link.h"
#include "nsattach.h"
#include "rtnl.h"

struct container;

struct nsview {
	char *name;            /* owned: the container's name; NULL for the host namespace */
	struct container *ct;  /* borrowed: the container it serves; NULL for the host, orphans */
	struct rtnl *rtnl;     /* owned */
	struct link_table links;
	struct nsattach_id id; /* which namespace it is (containers) */
	void *owner;           /* borrowed: the engine, for the rtnl handlers */
	struct list_node resync_node; /* linked while a re-dump is due */
	struct list_node flush_node;  /* linked while the pass has requests of it to send */
	int sysctl_dir;        /* owned: its /proc/sys/net (sysctl.h), -1 until first needed */
};

/*
 * Observe the namespace open at fd (-1: our own; home_fd: the namespace to return to) with
 * handlers h (their userdata is the view); link records go on the dirty list. A container's
 * namespace (name, fd, its id) is heard through host's event socket where it can be; host
 * must outlive the view. Returns 0 or -errno.
 */
int nsview_new(sd_event *event, const char *name, int fd, const struct nsattach_id *id,
	       struct nsview *host, int home_fd, int rcvbuf, const struct rtnl_handlers *h,
	       void *owner, struct list_node *dirty, struct nsview **ret) _must_check_;
/* Accepts NULL; returns NULL. */
struct nsview *nsview_free(struct nsview *v);

/*
 * net.ipv6.conf.IFNAME.accept_dad=0 in v's namespace (a container's is entered, and left for
 * home_fd). Blocking; never from a handler. Returns 0 or -errno.
 */
int nsview_dad_disable(struct nsview *v, int home_fd, const char *ifname) _must_check_;

/* /proc/sys/net of the host view v (netd's own namespace), opened once: borrowed, or -errno. */
int nsview_host_sysctl_dir(struct nsview *v) _must_check_;

/* "host" or the container's name, for logs. */
const char *nsview_label(const struct nsview *v);
/* The cache entry / link record of ifindex in v, or NULL. Borrowed. */
struct cache_link *nsview_cache_link(const struct nsview *v, int ifindex);
struct link *nsview_link(const struct nsview *v, int ifindex);
/* Whether a release of v's links is still under way (records or requests left). */
bool nsview_busy(const struct nsview *v);
