/* SPDX-License-Identifier: MIT */
/* One rtnetlink session: sockets, the cache from events and dumps, requests and their ACKs. */
#include <assert.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include "keyed.h"
#include "log.h"
#include "rtnl.h"

static const unsigned event_groups[] = {
	RTNLGRP_LINK,	    RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR,
	RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE,
};

/*
 * One receive buffer for the events and ACKs of every session: reads never nest, since the
 * handlers they call do no I/O (rtnl.h), and netd has one thread.
 */
static char recvbuf[1 << 16];

struct rtnl {
	struct nl_sock *ev;   /* owned; NULL when the carrier's socket brings our events */
	struct nl_sock *req;  /* owned */
	struct nl_sock *dump; /* owned */
	sd_event_source *ev_src, *req_src; /* owned */
	struct rtnl *carrier;  /* borrowed: the session whose event socket brings ours, or NULL */
	int nsid;              /* carried: the id the carrier's namespace gives ours */
	struct rtnl **carried; /* owned array of borrowed sessions it brings events for, by nsid */
	size_t n_carried;
	struct cache cache;
	struct cache *cur; /* borrowed: &cache, or the cache a dump is filling */
	bool resync;       /* the event socket overflowed: re-dump before trusting the cache */
	bool listens_all;  /* its event socket also brings other namespaces' (carried ones) */
	const struct rtnl_handlers *h; /* borrowed: static tables */
	void *userdata;                /* borrowed: the owner's */
	struct request_queue q;
};

static bool dumping(const struct rtnl *s)
{
	return s->cur != &s->cache;
}

struct cache *rtnl_cache(struct rtnl *s)
{
	return &s->cache;
}

bool rtnl_needs_resync(const struct rtnl *s)
{
	return s->resync;
}

static void need_resync(struct rtnl *s)
{
	bool was = s->resync;

	s->resync = true;
	/* Once due, the owner knows; the re-dump it runs supersedes every later loss too. */
	if (!was)
		s->h->resync_needed(s, s->userdata);
}

/*
 * IPv4 drops the routes through a link that goes down or loses its last IPv4 address without
 * sending RTM_DELROUTE for them, and IPv6 does the same on link down when
 * net.ipv6.route.skip_notify_on_dev_down is set: forget them here so they are put back.
 * family AF_UNSPEC forgets both.
 */
static void purge_routes(struct cache_link *cl, int family)
{
	for (size_t i = cl->n_routes; i-- > 0;)
		if (family == AF_UNSPEC || cl->routes[i].family == family)
			cl->routes[i] = cl->routes[--cl->n_routes];
}

static bool has_ipv4_addr(const struct cache_link *cl)
{
	for (size_t i = 0; i < cl->n_addrs; i++)
		if (cl->addrs[i].family == AF_INET)
			return true;
	return false;
}

static void saw(struct rtnl *s, int ifindex, const struct nl_addr *a, const struct nl_route *r,
		bool removed)
{
	/* A dump may yet be thrown away (torn); rtnl_resync() marks all once one is kept. */
	if (!dumping(s))
		request_saw(&s->q, ifindex, a, r, removed);
}

static int link_removed(struct rtnl *s, int ifindex)
{
	struct cache_link *cl = cache_get(s->cur, ifindex);

	if (cl && !dumping(s))
		s->h->link_removed(s, cl, s->userdata);
	cache_link_remove(s->cur, ifindex);
	return 0;
}

static int on_link(struct rtnl *s, const struct nlmsghdr *nlh)
{
	char old_name[IFNAMSIZ] = "";
	struct nl_link l;
	struct cache_link *cl;
	int r;

	r = nlmsg_parse_link(nlh, &l);
	if (r < 0)
		return r;
	/* AF_BRIDGE messages describe bridge-port state; a DELLINK of them is no link removal. */
	if (l.family == AF_BRIDGE) {
		nl_link_done(&l);
		return 0;
	}
	if (nlh->nlmsg_type == RTM_DELLINK) {
		nl_link_done(&l);
		return link_removed(s, l.ifindex);
	}
	saw(s, l.ifindex, NULL, NULL, false);
	cl = cache_get(s->cur, l.ifindex);
	if (cl)
		memcpy(old_name, cl->link.name, sizeof(old_name));
	cl = cache_link_update(s->cur, &l);
	nl_link_done(&l);
	if (!cl)
		return -ENOMEM;
	if (!(cl->link.flags & IFF_UP))
		purge_routes(cl, AF_UNSPEC);
	if (!dumping(s))
		s->h->link_changed(s, cl, old_name[0] ? old_name : NULL, s->userdata);
	return 0;
}

static void touched(struct rtnl *s, const struct cache_link *cl, int changed)
{
	if (changed > 0 && !dumping(s))
		s->h->link_touched(s, cl->link.ifindex, s->userdata);
}

static int on_addr(struct rtnl *s, const struct nlmsghdr *nlh)
{
	struct nl_addr a;
	struct cache_link *cl;
	int r;

	r = nlmsg_parse_addr(nlh, &a);
	if (r < 0)
		return r;
	saw(s, a.ifindex, &a, NULL, nlh->nlmsg_type == RTM_DELADDR);
	cl = cache_get(s->cur, a.ifindex);
	if (!cl)
		return 0;
	if (nlh->nlmsg_type == RTM_NEWADDR) {
		r = cache_link_addr_add(cl, &a);
	} else {
		r = cache_link_addr_del(cl, &a);
		if (r > 0 && a.family == AF_INET && !has_ipv4_addr(cl))
			purge_routes(cl, AF_INET);
	}
	touched(s, cl, r);
	return r < 0 ? r : 0;
}

static int on_route(struct rtnl *s, const struct nlmsghdr *nlh)
{
	struct nl_route rt;
	struct cache_link *cl;
	int r;

	r = nlmsg_parse_route(nlh, &rt);
	if (r < 0)
		return r;
	if (!cache_route_relevant(&rt))
		return 0;
	saw(s, rt.oif, NULL, &rt, nlh->nlmsg_type == RTM_DELROUTE);
	cl = cache_get(s->cur, rt.oif);
	if (!cl)
		return 0;
	if (nlh->nlmsg_type == RTM_NEWROUTE)
		r = cache_link_route_add(cl, &rt);
	else
		r = cache_link_route_del(cl, &rt);
	touched(s, cl, r);
	return r < 0 ? r : 0;
}

static int on_message(const struct nlmsghdr *nlh, void *userdata)
{
	struct rtnl *s = userdata;
	int r = 0;

	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
		r = on_link(s, nlh);
		break;
	case RTM_NEWADDR:
	case RTM_DELADDR:
		r = on_addr(s, nlh);
		break;
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		r = on_route(s, nlh);
		break;
	}
	/* One malformed message must not cost us the rest of the datagram. */
	if (r == -EBADMSG) {
		log_debug("netlink: ignoring malformed %s", nl_type_to_string(nlh->nlmsg_type));
		r = 0;
	}
	return r;
}

static int dispatch(const char *buf, ssize_t n, struct rtnl *s)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int left = (int)n, r;

	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		r = on_message(nlh, s);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Events were lost on s's socket: every session it brings events for re-dumps. */
static void events_lost(struct rtnl *s)
{
	need_resync(s);
	for (size_t i = 0; i < s->n_carried; i++)
		need_resync(s->carried[i]);
}

/* A datagram about namespace nsid, for the sessions observing it (usually one). */
static void carry(struct rtnl *s, int nsid, const char *buf, ssize_t n)
{
	size_t i =
	    keyed_pos((void *const *)s->carried, s->n_carried, offsetof(struct rtnl, nsid), nsid);

	for (; i < s->n_carried && s->carried[i]->nsid == nsid; i++) {
		struct rtnl *c = s->carried[i];

		if (!c->resync && dispatch(buf, n, c) < 0)
			need_resync(c);
	}
}

/* Read what is queued on s's own event socket (s is no carried session). */
static int read_events(struct rtnl *s)
{
	int r;

	for (;;) {
		int nsid = -1;
		ssize_t n = nl_recv_nsid(s->ev, recvbuf, sizeof(recvbuf), &nsid);

		if (n == -EAGAIN)
			return 0;
		if (n == -ENOBUFS) {
			/* Events were lost: whatever we read now is only a tail; re-dump. */
			events_lost(s);
			continue;
		}
		if (n < 0)
			return (int)n;
		if (nsid >= 0) {
			carry(s, nsid, recvbuf, n);
			continue;
		}
		if (s->resync)
			continue; /* the re-dump supersedes these */
		r = dispatch(recvbuf, n, s);
		if (r < 0)
			return r;
	}
}

/* The session whose socket brings s's events. */
static struct rtnl *events_of(struct rtnl *s)
{
	return s->carrier ? s->carrier : s;
}

/* Read the queued events of s; if that fails the caches cannot be trusted: re-dump. */
static int read_events_or_resync(struct rtnl *s)
{
	struct rtnl *ev = events_of(s);
	int r = read_events(ev);

	if (r < 0) {
		log_warning_errno(r, "netlink: failed to read events, re-reading the kernel state");
		events_lost(ev);
	}
	return r;
}

static int dump_one(struct rtnl *s, struct cache *c, uint16_t type)
{
	char req[NLMSG_BUF_SIZE];
	int r;

	s->cur = c;
	r = nl_dump(s->dump, nlmsg_put_dump(req, type, AF_UNSPEC), on_message, s);
	s->cur = &s->cache;
	return r;
}

static int dump_all(struct rtnl *s, struct cache *ret)
{
	static const uint16_t types[] = { RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE };
	struct cache c = {};
	int r = 0;

	for (size_t i = 0; i < ARRAY_SIZE(types) && r >= 0; i++)
		r = dump_one(s, &c, types[i]);
	if (r < 0) {
		cache_done(&c);
		return r;
	}
	*ret = c;
	return 0;
}

/* A dump that raced with changes is flagged DUMP_INTR: never reconcile against it. */
static int dump_kept(struct rtnl *s)
{
	struct cache c;
	int r = -EINTR;

	for (int tries = 0; tries < 20 && r == -EINTR; tries++)
		r = dump_all(s, &c);
	if (r < 0)
		return r;
	cache_done(&s->cache);
	s->cache = c;
	s->resync = false;
	request_saw_all(&s->q);
	return 0;
}

int rtnl_resync(struct rtnl *s)
{
	int r = s->carrier ? 0 : read_events_or_resync(s);

	return r < 0 ? r : dump_kept(s);
}

/* Keep the reply: handling it runs handlers, which must not see a half-read socket. */
static int refresh_cb(const struct nlmsghdr *nlh, void *userdata)
{
	struct nlmsghdr **copy = userdata;

	if (*copy || nlh->nlmsg_type != RTM_NEWLINK)
		return 0;
	*copy = malloc(nlh->nlmsg_len);
	if (!*copy)
		return -ENOMEM;
	memcpy(*copy, nlh, nlh->nlmsg_len);
	return 0;
}

int rtnl_refresh_link(struct rtnl *s, int ifindex)
{
	_cleanup_free_ struct nlmsghdr *reply = NULL;
	char req[NLMSG_BUF_SIZE];
	int r = nl_get(s->dump, nlmsg_put_getlink(req, ifindex), refresh_cb, &reply);

	if (r == -ENODEV)
		return 0;
	if (r < 0)
		return r;
	return reply ? on_message(reply, s) : 0;
}

static int nsid_cb(const struct nlmsghdr *nlh, void *userdata)
{
	return nlmsg_parse_nsid(nlh, userdata);
}

int rtnl_nsid_of(struct rtnl *s, int fd, int *ret)
{
	char req[NLMSG_BUF_SIZE];
	int nsid = -1, r;

	r = nl_get(s->dump, nlmsg_put_getnsid(req, fd), nsid_cb, &nsid);
	if (r < 0)
		return r;
	*ret = nsid;
	return 0;
}

int rtnl_netns_fd(const struct rtnl *s)
{
	int fd = ioctl(nl_fd(s->dump), SIOCGSKNS);

	return fd < 0 ? -errno : fd;
}

bool rtnl_can_queue(const struct rtnl *s, size_t n)
{
	return request_can_queue(&s->q, n);
}

size_t rtnl_inflight(const struct rtnl *s)
{
	return s->q.n_inflight;
}

/* Requests from index from on will never be answered: report them lost, then forget them. */
static void drop_from(struct rtnl *s, size_t from)
{
	for (size_t i = from; i < s->q.n_inflight; i++)
		s->h->request_done(s, &s->q.inflight[i], NULL, s->userdata);
	request_truncate(&s->q, from);
}

int rtnl_flush(struct rtnl *s)
{
	int r = request_flush(&s->q, s->req);

	if (r < 0)
		drop_from(s, request_unsent(&s->q));
	return r;
}

int rtnl_queue(struct rtnl *s, const struct op *op, unsigned tag)
{
	return request_queue_add(&s->q, s->req, op, tag);
}

static void on_ack(struct rtnl *s, const struct nlmsghdr *nlh)
{
	struct nl_err err = {};
	struct request req;
	struct cache_link *cl;
	int r;

	/* Only replies to our own port and to a request we still wait for count. */
	if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_pid != s->req->portid)
		return;
	if (request_take(&s->q, nlh->nlmsg_seq, &req) < 0) {
		log_debug("netlink: reply with unknown sequence number %u, ignoring", nlh->nlmsg_seq);
		return;
	}
	r = nl_parse_error(nlh, nlh->nlmsg_len, &err);
	if (r == -EBADMSG && err.error == 0)
		err.error = r;
	/* Events were read first: a seen op's object is in the cache as new as it gets. */
	cl = cache_get(&s->cache, req.op.ifindex);
	if (cl && !req.seen && !s->resync && apply_answer(cl, &req.op, err.error) < 0)
		need_resync(s);
	s->h->request_done(s, &req, &err, s->userdata);
}

static int read_acks(struct rtnl *s)
{
	for (;;) {
		ssize_t n = nl_recv(s->req, recvbuf, sizeof(recvbuf));
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)recvbuf;
		int left = (int)n;

		if (n == -EAGAIN)
			return 0;
		if (n < 0) {
			/* ACKs were lost (or unreadable): what was in flight is unknown now. */
			drop_from(s, 0);
			need_resync(s);
			return (int)n;
		}
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left))
			on_ack(s, nlh);
	}
}

static int on_event_io(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
	(void)read_events_or_resync(userdata);
	return 0;
}

static int on_req_io(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
	struct rtnl *s = userdata;
	int r;

	/*
	 * The kernel queues its notifications before the ACK of the request that caused them:
	 * reading events first means the cache already holds what an ACK confirms. A carried
	 * session's events are on its carrier's socket, whose source goes first (see
	 * add_sources()): reading it from here would run the carrier's handlers, which may free s.
	 */
	if (!s->carrier)
		(void)read_events_or_resync(s);
	r = read_acks(s);
	if (r < 0)
		log_warning_errno(r, "netlink: failed to read replies, re-reading the kernel state");
	return 0;
}

static int open_sockets(struct rtnl *s, int rcvbuf)
{
	int r = 0;

	if (!s->carrier)
		r = nl_open(event_groups, ARRAY_SIZE(event_groups), rcvbuf, true, &s->ev);
	if (r < 0)
		return r;
	/* Room for the ACKs of a full pipeline, with extack text. */
	r = nl_open(NULL, 0, 1 << 20, true, &s->req);
	if (r < 0)
		return r;
	return nl_open(NULL, 0, 1 << 20, false, &s->dump);
}

/* Sockets belong to the namespace they were created in, whatever we join later. */
static int open_in(struct rtnl *s, int netns_fd, int home_fd, int rcvbuf)
{
	int r;

	if (netns_fd < 0)
		return open_sockets(s, rcvbuf);
	if (setns(netns_fd, CLONE_NEWNET) < 0)
		return -errno;
	r = open_sockets(s, rcvbuf);
	if (setns(home_fd, CLONE_NEWNET) < 0)
		abort(); /* continuing in the container's namespace would misconfigure the host */
	return r;
}

static int add_carried(struct rtnl *carrier, struct rtnl *s)
{
	size_t pos = keyed_pos((void *const *)carrier->carried, carrier->n_carried,
			       offsetof(struct rtnl, nsid), s->nsid);

	return keyed_insert((void ***)&carrier->carried, &carrier->n_carried, pos, s);
}

static void remove_carried(struct rtnl *carrier, const struct rtnl *s)
{
	size_t i = keyed_pos((void *const *)carrier->carried, carrier->n_carried,
			     offsetof(struct rtnl, nsid), s->nsid);

	for (; i < carrier->n_carried; i++)
		if (carrier->carried[i] == s) {
			(void)keyed_remove_at((void **)carrier->carried, &carrier->n_carried, i);
			return;
		}
}

/*
 * Edge-triggered: sd-event dispatches one source per iteration and asks epoll again in
 * between, so with a thousand namespaces busy at once every level-triggered socket not yet
 * read would be returned again each time (quadratic). Both handlers read until EAGAIN.
 *
 * Events go before ACKs: the kernel has queued a request's notifications by the time its ACK
 * is readable, so when both are, the event source of higher priority is dispatched first.
 */
static int add_sources(struct rtnl *s, sd_event *event)
{
	int r = 0;

	if (s->ev)
		r = sd_event_add_io(event, &s->ev_src, nl_fd(s->ev), EPOLLIN | EPOLLET,
				    on_event_io, s);
	if (r >= 0 && s->ev)
		r = sd_event_source_set_priority(s->ev_src, SD_EVENT_PRIORITY_NORMAL - 1);
	if (r >= 0)
		r = sd_event_add_io(event, &s->req_src, nl_fd(s->req), EPOLLIN | EPOLLET,
				    on_req_io, s);
	return r;
}

/*
 * Our own namespace's session also hears every namespace it has an id for, so that the
 * kernel, which offers each rtnetlink notification to every subscribed socket of every
 * namespace in turn, has one socket to offer it to rather than one per container. Without
 * CAP_NET_BROADCAST each session keeps a socket of its own.
 */
static void listen_all(struct rtnl *s)
{
	int r = nl_listen_all_nsid(s->ev);

	if (r < 0)
		(void)log_internal(LOG_NOTICE, r, "netlink: cannot hear every namespace on one "
				   "socket (CAP_NET_BROADCAST?), opening one in each");
	else
		s->listens_all = true;
}

static int session_new(sd_event *event, int netns_fd, int home_fd, int rcvbuf,
		       struct rtnl *carrier, int nsid, const struct rtnl_handlers *h,
		       void *userdata, struct rtnl **ret)
{
	struct rtnl *s;
	int r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->cur = &s->cache;
	s->h = h;
	s->userdata = userdata;
	s->carrier = carrier;
	s->nsid = nsid;
	r = open_in(s, netns_fd, home_fd, rcvbuf);
	if (r >= 0 && netns_fd < 0)
		listen_all(s);
	if (r >= 0)
		r = add_sources(s, event);
	if (r >= 0 && carrier)
		r = add_carried(carrier, s);
	/* Subscribed before dumping: a change during the dump is seen either way. */
	if (r >= 0)
		r = dump_kept(s);
	if (r < 0) {
		rtnl_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

int rtnl_new(sd_event *event, int netns_fd, int home_fd, int rcvbuf,
	     const struct rtnl_handlers *h, void *userdata, struct rtnl **ret)
{
	return session_new(event, netns_fd, home_fd, rcvbuf, NULL, -1, h, userdata, ret);
}

int rtnl_new_carried(sd_event *event, struct rtnl *carrier, int nsid, int netns_fd,
		     int home_fd, int rcvbuf, const struct rtnl_handlers *h, void *userdata,
		     struct rtnl **ret)
{
	if (!carrier->listens_all || nsid < 0)
		carrier = NULL;
	return session_new(event, netns_fd, home_fd, rcvbuf, carrier, nsid, h, userdata, ret);
}

struct rtnl *rtnl_free(struct rtnl *s)
{
	if (!s)
		return NULL;
	/* Carried sessions go before their carrier (the host's view outlives the others). */
	assert(s->n_carried == 0);
	free(s->carried);
	if (s->carrier)
		remove_carried(s->carrier, s);
	sd_event_source_disable_unref(s->ev_src);
	sd_event_source_disable_unref(s->req_src);
	nl_close(s->ev);
	nl_close(s->req);
	nl_close(s->dump);
	request_queue_done(&s->q);
	cache_done(&s->cache);
	free(s);
	return NULL;
}
