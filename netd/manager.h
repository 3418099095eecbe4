/* SPDX-License-Identifier: MIT */
/*
 * The manager owns the loaded configuration, the namespaces netd watches, the per-container
 * runtime state (which links are bound to which declared endpoint) and the reconcile pass
 * that turns dirty links into requests. Events only update caches and mark links dirty; the
 * pass runs from a deferred event source once the loop has read what is queued.
 */
#pragma once

#include <systemd/sd-event.h>

#include "conf.h"
#include "container.h"
#include "netns.h"

/* A link name netd claims, pointing at the host-side endpoint it belongs to. */
struct claim {
	const char *name; /* borrowed from conf */
	struct endpoint *ep; /* borrowed */
};

struct manager {
	sd_event *event;  /* owned */
	struct conf *conf; /* owned: current generation */
	char *state_dir;  /* owned */
	int host_fd;      /* owned: netd's own network namespace */
	int rcvbuf;       /* event socket receive buffer, 0 for the default */
	struct netns *host; /* owned */
	struct container *containers; /* owned array, parallel to conf->containers */
	size_t n_containers;
	struct claim *claims; /* owned array sorted by name */
	size_t n_claims;
	struct netns **orphans; /* owned: namespaces no container claims any more, until cleaned */
	size_t n_orphans;
	sd_event_source *pass; /* owned: deferred reconcile pass */
	sd_event_source *reload_src; /* owned: deferred reload (coalesces SIGHUP bursts) */
	sd_event_source *nswatch;    /* owned: inotify on /run/netns (and /run until it exists) */
	sd_event_source *retry;      /* owned: timer retrying a failed re-dump */
	bool starting, reloading;
	uint64_t writes;
	unsigned reloads, rejected;
	unsigned generation; /* of the config in force: bumped by every accepted reload */
	char *status; /* owned: last STATUS= sent */
};

/* Create the manager around an already loaded conf (taken over). Returns 0 or -errno. */
int manager_new(sd_event *event, struct conf *conf, const char *state_dir, int rcvbuf,
		struct manager **ret) _must_check_;
struct manager *manager_free(struct manager *m);

/* Open the host namespace, dump it, bind links and schedule the first pass. */
int manager_start(struct manager *m) _must_check_;

/* Schedule a reload of conf->path (SIGHUP). */
void manager_request_reload(struct manager *m);

sd_event *manager_event(struct manager *m);

/* Called by netns.c as the kernel reports changes; old_name is the link's previous name when
 * it was cached before (so a rename is visible), NULL for a new link. */
void manager_link_changed(struct manager *m, struct netns *ns, struct cache_link *cl,
			  const char *old_name);
void manager_link_removed(struct manager *m, struct netns *ns, int ifindex);
void manager_mark_dirty(struct manager *m, struct cache_link *cl);
void manager_request_resync(struct manager *m, struct netns *ns);
/* The kernel answered the request in (an ACK or an error). */
void manager_op_done(struct manager *m, struct netns *ns, const struct inflight *in,
		     const struct nl_err *err);

/* Runtime objects for a conf generation, and the claim index over them. */
int manager_containers_new(struct manager *m, const struct conf *conf, struct container **ret);
void manager_containers_free(struct container *cts, size_t n);
/* The claim index over cts' host-side endpoints, sorted by name, into *ret (owned). */
int manager_claims_build(struct container *cts, size_t n_cts, struct claim **ret,
			 size_t *ret_n);

/* Bind all links from scratch: after the first dump, a re-dump, or a reload. */
void manager_rebind(struct manager *m);
void manager_rebind_ns(struct manager *m, struct netns *ns);

/*
 * Hand ns (taken over) to the orphans: links netd configured in it are released (what netd
 * added is removed), then the namespace is let go. Returns 0 or -ENOMEM (ns freed).
 */
int manager_orphan_ns(struct manager *m, struct netns *ns);

/* The host-side endpoint that claims link l (by name or altname; veths only), or NULL. */
struct endpoint *manager_claim_link(const struct manager *m, const struct nl_link *l);

/* /run/netns/NAME appeared or went (nswatch.c). */
void manager_netns_added(struct manager *m, const char *name);
void manager_netns_removed(struct manager *m, const char *name);
/* Names or mounts under /run/netns may have changed unseen: check every container. */
void manager_netns_rescan(struct manager *m);

/* The bridge called name in the host namespace, or NULL. Borrowed. */
struct cache_link *manager_find_bridge(const struct manager *m, const char *name);
