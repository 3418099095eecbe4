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
#include "netns.h"
#include "state.h"

/* One end of one declared veth pair. */
struct endpoint {
	struct container *ct;         /* borrowed: owner */
	const struct conf_veth *veth; /* borrowed: from the current conf generation */
	const char *name_inside;      /* borrowed: name the container side must carry, or NULL */
	bool inside;                  /* the container-side end */
	bool main;                    /* the container's main veth (else an extra veth) */
	int ifindex;                  /* bound link in its namespace, 0 when none */
	char *error;                  /* owned: why configuring it failed, NULL when it did not */
};

struct container {
	struct manager *m;                 /* borrowed */
	const struct conf_container *conf; /* borrowed: from the current conf generation */
	struct netns *ns;  /* owned: the container's namespace while its links exist and it is managed */
	bool unmanaged;    /* its host link exists but /run/netns/NAME does not */
	struct endpoint *eps; /* owned: pairs (host, inside): the main veth first, then extras */
	size_t n_eps;
	char *state_text;  /* owned: the state file's current content, NULL when there is none */
	enum state_kind state; /* meaningful while state_text != NULL */
	bool dirty;        /* recompute its state */
};

/* A link name netd claims, pointing at the host-side endpoint it belongs to. */
struct claim {
	const char *name; /* borrowed from conf */
	struct endpoint *ep; /* borrowed */
};

struct manager {
	sd_event *event;  /* owned */
	struct conf *conf; /* owned: current generation */
	char *conf_path;  /* owned */
	char *state_dir;  /* owned */
	int host_fd;      /* owned: netd's own network namespace */
	int rcvbuf;       /* event socket receive buffer, 0 for the default */
	struct netns *host; /* owned */
	struct container *containers; /* owned array, parallel to conf->containers */
	size_t n_containers;
	struct claim *claims; /* owned array sorted by name */
	size_t n_claims;
	struct netns **orphans; /* owned: namespaces of containers a reload dropped, until cleaned */
	size_t n_orphans;
	sd_event_source *pass; /* owned: deferred reconcile pass */
	sd_event_source *reload_src; /* owned: deferred reload (coalesces SIGHUP bursts) */
	bool starting, reloading;
	uint64_t writes;
	unsigned reloads, rejected;
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

/* Called by netns.c as the kernel reports changes. */
void manager_link_changed(struct manager *m, struct netns *ns, struct cache_link *cl, bool is_new);
void manager_link_removed(struct manager *m, struct netns *ns, int ifindex);
void manager_mark_dirty(struct manager *m, struct cache_link *cl);
void manager_request_resync(struct manager *m, struct netns *ns);
/* seen: events about the op's object arrived since it was sent (the cache is current). */
void manager_op_done(struct manager *m, struct netns *ns, const struct op *op, bool seen,
		     const struct nl_err *err);

/* Pure helper for the reconcile pass and its tests: what ep's link should look like.
 * bridge_ifindex is HostBridge's ifindex (0 when it does not exist). */
void endpoint_desired(const struct endpoint *ep, int ifindex, int bridge_ifindex,
		      struct desired *ret);
