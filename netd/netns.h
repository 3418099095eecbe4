/* SPDX-License-Identifier: MIT */
/*
 * One network namespace as netd sees it: an event socket (multicast, kernel changes), a
 * request socket (our pipelined writes and their ACKs), a dump socket (blocking, for full
 * reads), the observed cache, and the requests in flight.
 */
#pragma once

#include <systemd/sd-event.h>

#include "apply.h"
#include "nl.h"

struct manager;

/* Requests in flight per namespace: their ACKs must fit the request socket's buffer. */
#define NETNS_INFLIGHT_MAX 256
#define NETNS_SENDBUF 32768

struct inflight {
	uint32_t seq;
	struct op op;
	/* An event about the op's object arrived after it was sent: the cache is already at
	 * least as new as the op, so its ACK must not overwrite it. */
	bool seen;
	/* A change on the op's link that no request of ours explains arrived after it was sent
	 * (or events were lost): a refusal may be the world moving under us, not a fault. */
	bool overtaken;
	unsigned generation; /* of the config it was planned under */
};

struct netns {
	char *name;          /* owned: container name; NULL for the host namespace */
	int nsid;            /* the id the host namespace gives this one (containers only) */
	dev_t dev;           /* nsfs identity of the namespace, to tell it from a newer one */
	ino_t ino;           /* under the same /run/netns name (containers only) */
	struct manager *m;   /* borrowed: the manager owns every netns */
	struct nl_sock *ev;  /* owned */
	struct nl_sock *req; /* owned */
	struct nl_sock *dump; /* owned */
	sd_event_source *ev_src, *req_src; /* owned */
	struct cache cache;
	struct cache *cur; /* borrowed: &cache, or the cache a dump is filling */
	bool resync; /* the event socket overflowed: re-dump before trusting the cache */
	struct inflight inflight[NETNS_INFLIGHT_MAX];
	size_t n_inflight;
	char sendbuf[NETNS_SENDBUF]; /* batched requests not yet sent */
	size_t sendlen;
	size_t sendcount; /* how many of the in-flight entries sendbuf holds */
};

/*
 * Open the sockets inside the namespace open at fd (-1: the caller's own), register them with
 * the manager's event loop and dump the namespace into the cache. host_fd is the manager's
 * own namespace, returned to afterwards. Returns 0 or -errno.
 */
int netns_new(struct manager *m, const char *name, int fd, int host_fd, int rcvbuf,
	      struct netns **ret) _must_check_;
struct netns *netns_free(struct netns *ns);

/*
 * Ask the kernel for one link again and handle the answer as an event: for changes the kernel
 * does not announce (a veth's peer moving to another namespace). A link that is gone is no
 * error. Returns 0 or -errno.
 */
int netns_refresh_link(struct netns *ns, int ifindex) _must_check_;

/* The id ns gives the namespace open at fd (NETNSA_NSID_NOT_ASSIGNED: none). 0 or -errno. */
int netns_nsid_of(struct netns *ns, int fd, int *ret) _must_check_;

/* Read everything queued on the event socket into the cache. Returns 0 or -errno. */
int netns_read_events(struct netns *ns) _must_check_;

/*
 * Full re-dump into a fresh cache (retrying torn dumps); per-link in-flight counts and
 * release marks carry over. Returns 0 or -errno (old cache kept).
 */
int netns_resync(struct netns *ns) _must_check_;

/* "host" or the container's name, for logs. */
const char *netns_label(const struct netns *ns);

/* Whether n more requests fit in the pipeline. */
bool netns_can_send(const struct netns *ns, size_t n);
/* Queue op as a request (sent by netns_flush). Returns 0 or -errno. */
int netns_queue(struct netns *ns, const struct op *op) _must_check_;
int netns_flush(struct netns *ns) _must_check_;
