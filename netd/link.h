/* SPDX-License-Identifier: MIT */
/*
 * netd's record of a link it claims (or is releasing): which declared endpoint it serves, how
 * far configuring it has got, what is in flight, and what netd did to it that the kernel's
 * state alone does not tell (the bridge it enslaved it to). Kernel state is the cache's.
 *
 * A record exists while the link is claimed, is being released, or has requests in flight;
 * every field is written by the functions below only, the state by link_set_state() alone.
 */
#pragma once

#include <net/if.h>
#include <stdbool.h>

#include "list.h"
#include "util.h"

struct endpoint;
struct nsview;

enum link_state {
	LINK_STATE_UNMANAGED,   /* not claimed, nothing of ours left to remove */
	LINK_STATE_CONFIGURING, /* claimed: a phase is planned or in flight */
	LINK_STATE_CONFIGURED,  /* claimed: as declared, nothing in flight */
	LINK_STATE_FAILED,      /* claimed: the kernel refused a request (error says why) */
	LINK_STATE_RELEASING,   /* no longer declared: removing what netd added */
	_LINK_STATE_MAX,
	_LINK_STATE_INVALID = -EINVAL,
};

/* One per claimed link: its fields are ordered so that no padding goes between them. */
struct link {
	struct nsview *ns;       /* borrowed: the namespace view whose table holds the record */
	struct endpoint *claim;  /* borrowed: the declared endpoint it serves; NULL when none */
	char *error;             /* owned: why it failed; NULL unless LINK_STATE_FAILED */
	int ifindex;
	enum link_state state;
	unsigned inflight;       /* our requests on it not answered yet */
	unsigned replans;        /* refusals replanned in a row (reconcile_classify()) */
	int bridge;              /* ifindex of the declared bridge netd enslaved it to; 0: none */
	bool refresh;            /* ask the kernel about it again before planning */
	/* The log prefix: "CONTAINER: IFNAME" as of the last claim, "ifindex N" before one */
	char container[65];      /* the container it was last claimed for ("" before) */
	char ifname[IFNAMSIZ];   /* its name when it was claimed */
	char bridge_name[IFNAMSIZ]; /* the name the declaration gave that bridge */
	struct list_node dirty_node; /* linked while on the dirty list: plan it in the next pass */
	struct list_node *dirty_list; /* borrowed: the list it goes on (its table's) */
};

/* The records of one namespace, by ifindex, and the dirty list they report to. */
struct link_table {
	struct link **links; /* owned, sorted by ifindex */
	size_t n_links;
	struct list_node *dirty; /* borrowed: the engine's dirty list */
};

const char *link_state_to_string(enum link_state s);

void link_table_init(struct link_table *t, struct list_node *dirty);
/* Free every record (taking them off the dirty list). */
void link_table_done(struct link_table *t);
/* Borrowed pointer or NULL. */
struct link *link_table_get(const struct link_table *t, int ifindex);
/* The record of ifindex, created (unmanaged) when missing. Returns 0 or -ENOMEM. */
int link_table_ensure(struct link_table *t, struct nsview *ns, int ifindex,
		      struct link **ret) _must_check_;
/* Drop the record of ifindex (the link is gone). */
void link_table_remove(struct link_table *t, int ifindex);
/* Drop every record that link_reapable() says can go. */
void link_table_reap(struct link_table *t);

/*
 * Log about l with its journal fields (CONTAINER=, IFNAME=, and NETLINK_ERRNO= when
 * netlink_errno is not 0): "CONTAINER: IFNAME: message". Returns -abs(error).
 */
int link_log(const struct link *l, int level, int error, int netlink_errno, const char *fmt, ...)
	_printf_(5, 6);

/* The only writer of l->state; logs each transition once (debug level). */
void link_set_state(struct link *l, enum link_state s);

/*
 * Claim l for ep (ifname for the log label). Claiming a link for the endpoint it already
 * serves changes nothing (a failed link stays failed); a new claim starts configuring it.
 */
void link_claim(struct link *l, struct endpoint *ep, const char *container, const char *ifname);
/* The link's declaration went (reload, container gone): remove what netd added to it. */
void link_release(struct link *l);
/* The link is no longer ours and nothing is to be removed (renamed away, container stopped). */
void link_disown(struct link *l);

/* The endpoint it serves is about to be freed (reload): the rebind that follows claims the
 * link anew (a failed one is tried again) or releases it. */
void link_forget_claim(struct link *l);

/* The endpoint it serves is replaced by ep, its equal in a new generation (a reload that left
 * the declaration alone): nothing else changes. */
void link_move_claim(struct link *l, struct endpoint *ep);

/* Plan it again in the next pass. */
void link_mark_dirty(struct link *l);
/* Ask the kernel about it again, then plan it. */
void link_mark_refresh(struct link *l);
/* Take l off the dirty list (the pass took it). */
void link_take(struct link *l);

/* One request for it was queued. */
void link_sent(struct link *l);
/* A phase of n_ops requests was queued for it (0: it is as declared). */
void link_planned(struct link *l, size_t n_ops);
/* One of its requests was answered (or lost). */
void link_answered(struct link *l);
/* A refusal was replanned / a request succeeded (resets the replan count). */
void link_replanned(struct link *l);
void link_succeeded(struct link *l);
/* The kernel refused a request for good: l fails with error (copied). Only the first error
 * of a failure is kept. */
void link_fail(struct link *l, const char *error);
/* Remember the declared bridge (ifindex, name) netd enslaved it to; 0 forgets. */
void link_set_bridge(struct link *l, int ifindex, const char *name);

/* Neither claimed nor releasing, nothing in flight: the record can go. */
bool link_reapable(const struct link *l);
/* Claimed, as declared, nothing in flight or planned. */
bool link_is_configured(const struct link *l);
