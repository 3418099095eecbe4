/* SPDX-License-Identifier: MIT */
/*
 * The engine: netd's runtime state for one config generation (the host's namespace view, the
 * containers and their namespace views, namespaces being let go) and the deferred pass that
 * moves it toward the declaration. Kernel events only update caches and mark work (dirty
 * links, containers to look at, namespaces to re-dump); the pass, run once the loop has read
 * what is queued, does the work: re-dumps, opening namespaces, planning and queueing requests,
 * verdicts and state files. Nothing that blocks runs inside event dispatch.
 */
#pragma once

#include <systemd/sd-event.h>

#include "claim.h"
#include "conf.h"
#include "container.h"
#include "nft.h"
#include "nsview.h"

struct engine {
	sd_event *event;        /* owned reference */
	const struct conf *conf; /* borrowed: the generation in force (the manager's) */
	char *state_dir;        /* owned */
	int home_fd;            /* owned: netd's own network namespace */
	int rcvbuf;             /* event socket receive buffer, 0 for the default */
	struct nsview *host;    /* owned */
	struct container *containers; /* owned array, parallel to conf->containers */
	size_t n_containers;
	struct claims claims;   /* its index owned; containers and host borrowed from here */
	struct nsview **orphans; /* owned: namespaces no container claims, until released */
	size_t n_orphans;
	struct list_node dirty;  /* link records to plan */
	struct list_node work;   /* containers to attach or judge */
	struct list_node resync; /* namespace views whose events were lost */
	sd_event_source *pass;   /* owned: the deferred pass */
	sd_event_source *retry;  /* owned: timer retrying a failed re-dump */
	sd_event_source *hosts_timer; /* owned: the coalesced rewrite of STATE_DIR/hosts */
	unsigned generation;     /* of the config in force: bumped by every reload */
	uint64_t writes;         /* kernel write requests queued since start */
	struct container_counts counts;
	struct nft *nft;         /* owned: netd's nftables table */
	bool forwards_dirty;     /* the forwards of some container must go in or out */
	char *forward_error;     /* owned: why installing the forwards failed; NULL when not */
	void (*on_pass)(void *userdata); /* called after every pass */
	void *userdata;
};

/*
 * An engine for conf (borrowed; see engine_set_conf()), writing state files to state_dir.
 * on_pass(userdata) runs after every pass. Returns 0 or -errno.
 */
int engine_new(sd_event *event, const struct conf *conf, const char *state_dir, int rcvbuf,
	       void (*on_pass)(void *userdata), void *userdata, struct engine **ret) _must_check_;
/* Accepts NULL; returns NULL. Kernel state is left as it is. */
struct engine *engine_free(struct engine *e);

/* Open and dump the host namespace, bind its links, schedule the first pass. 0 or -errno. */
int engine_start(struct engine *e) _must_check_;

/* Bind every link anew (after a reload swapped the containers) and run a pass. */
void engine_rebind(struct engine *e);

/* STATE_DIR/hosts must be rewritten (soon, coalesced with other changes). */
void engine_hosts_changed(struct engine *e);

/* Run a pass soon (once the loop has read what is queued). */
void engine_schedule(struct engine *e);

/* Whether work is still under way: requests in flight, re-dumps due, links waiting. */
bool engine_busy(const struct engine *e);

/* /run/netns/name (NULL: any name) may have appeared, gone or changed. */
void engine_netns_changed(struct engine *e, const char *name);

/*
 * Hand v (taken over) to the orphans: links netd configured in it are released (what netd
 * added is removed), then the view is let go. Returns 0 or -ENOMEM (v freed).
 */
int engine_orphan(struct engine *e, struct nsview *v);
/* The orphan called name, taken back (a container declared again), or NULL. */
struct nsview *engine_adopt_orphan(struct engine *e, const char *name);

/* The rtnl handlers every namespace view of the engine uses. */
extern const struct rtnl_handlers engine_rtnl_handlers;
