/* SPDX-License-Identifier: MIT */
/*
 * One rtnetlink session in one network namespace: an event socket (multicast, kernel
 * changes; or the host session's, which hears every namespace), a request socket (pipelined writes
 * and their ACKs), a dump socket (blocking, for full reads), the observed cache they feed, and the
 * requests in flight. It knows nothing of containers or claims: what it sees goes up through the
 * handler table given at creation.
 */
#pragma once

#include <systemd/sd-event.h>

#include "cache.h"
#include "request.h"

struct rtnl;

/*
 * Called from the event loop while events and ACKs are read; they must not do I/O on the
 * session (it is in the middle of a read) and must not free it. userdata is rtnl_new()'s.
 */
struct rtnl_handlers {
	/* A link appeared or changed; old_name is its name before the change, NULL when new. */
	void (*link_changed)(struct rtnl *s, struct cache_link *cl, const char *old_name,
			     void *userdata);
	/* A link is about to leave the cache (deleted, or moved to another namespace). */
	void (*link_removed)(struct rtnl *s, const struct cache_link *cl, void *userdata);
	/* An address or route of link ifindex came or went. */
	void (*link_touched)(struct rtnl *s, int ifindex, void *userdata);
	/*
	 * The kernel answered req (error 0 or negative errno, details in *err); err is NULL
	 * when the request was lost (never sent, or its ACK was lost).
	 */
	void (*request_done)(struct rtnl *s, const struct request *req, const struct nl_err *err,
			     void *userdata);
	/* Events were lost: the owner must call rtnl_resync() (outside of dispatch). */
	void (*resync_needed)(struct rtnl *s, void *userdata);
};

/*
 * Open the sockets inside the namespace open at netns_fd (-1: the caller's own; home_fd is
 * the namespace to return to), register them with event and dump the namespace into the
 * cache. No handler is called for what the dump finds. Returns 0 or -errno. A session of the
 * caller's own namespace also hears the others it has ids for, for rtnl_new_carried().
 */
int rtnl_new(sd_event *event, int netns_fd, int home_fd, int rcvbuf, const struct rtnl_handlers *h,
	     void *userdata, struct rtnl **ret) _must_check_;
/*
 * A session for the namespace open at netns_fd whose events come through carrier's event socket,
 * which hears every namespace its own gives an id to: nsid is the one it gives this namespace.
 * Where carrier cannot hear other namespaces (no CAP_NET_BROADCAST), or nsid is -1, the session
 * opens an event socket of its own. carrier must outlive it. Otherwise as rtnl_new().
 */
int rtnl_new_carried(sd_event *event, struct rtnl *carrier, int nsid, int netns_fd, int home_fd,
		     int rcvbuf, const struct rtnl_handlers *h, void *userdata,
		     struct rtnl **ret) _must_check_;
/* Accepts NULL; returns NULL. Requests in flight are forgotten without a handler call. */
struct rtnl *rtnl_free(struct rtnl *s);

/* The observed state. Borrowed; replaced wholesale by rtnl_resync(). */
struct cache *rtnl_cache(struct rtnl *s);

/* Whether events were lost and rtnl_resync() has not succeeded since. */
bool rtnl_needs_resync(const struct rtnl *s);

/*
 * Read what is queued on its own event socket (a carried session's events keep coming through
 * its carrier's source: those older than the dump only replay history up to now), then re-dump
 * into a fresh cache (retrying torn dumps). Requests in flight are marked seen and overtaken.
 * Returns 0, or -errno with the old cache kept and the resync still needed.
 */
int rtnl_resync(struct rtnl *s) _must_check_;

/*
 * Ask the kernel for one link again and handle the answer as an event (handlers run): for
 * changes the kernel does not announce (a veth's peer moving to another namespace). A link
 * that is gone is no error. Blocking; never from a handler. Returns 0 or -errno.
 */
int rtnl_refresh_link(struct rtnl *s, int ifindex) _must_check_;

/* The id this namespace gives the namespace open at fd (NETNSA_NSID_NOT_ASSIGNED: none).
 * Blocking; never from a handler. Returns 0 or -errno. */
int rtnl_nsid_of(struct rtnl *s, int fd, int *ret) _must_check_;

/* A descriptor of the session's network namespace (O_CLOEXEC, the caller's), or -errno. */
int rtnl_netns_fd(const struct rtnl *s) _must_check_;

/* Whether n more requests fit in the pipeline; how many are in flight. */
bool rtnl_can_queue(const struct rtnl *s, size_t n);
size_t rtnl_inflight(const struct rtnl *s);

/*
 * Queue op (tag travels with it to request_done); rtnl_flush() sends it. Returns 0, -EBUSY
 * when the pipeline is full, or -ENOMEM.
 */
int rtnl_queue(struct rtnl *s, const struct op *op, unsigned tag) _must_check_;
/* Send what is queued. On failure the unsent requests are reported lost. Returns 0 or -errno. */
int rtnl_flush(struct rtnl *s) _must_check_;
