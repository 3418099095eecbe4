/* SPDX-License-Identifier: MIT */
/* Per-namespace sockets, cache maintenance from events and dumps, request pipelining. */
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <stdlib.h>

#include "log.h"
#include "manager.h"
#include "netns.h"

static const unsigned event_groups[] = {
	RTNLGRP_LINK,	    RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR,
	RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE,
};

#define RECVBUF_SIZE (1 << 16)

static bool dumping(const struct netns *ns)
{
	return ns->cur != &ns->cache;
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

/* Kinds of op an event about (ifindex, object) answers: link ops, or address/route ops. */
static bool op_matches(const struct op *op, int ifindex, const struct nl_addr *a,
		       const struct nl_route *r)
{
	if (op->ifindex != ifindex)
		return false;
	switch (op->type) {
	case OP_LINK_SET:
		return !a && !r;
	case OP_ADDR_ADD:
	case OP_ADDR_DEL:
		return a && addr_equal(&op->addr, a);
	default:
		return r && route_equal(&op->route, r);
	}
}

static bool op_removes(const struct op *op)
{
	return op->type == OP_ADDR_DEL || op->type == OP_ROUTE_DEL;
}

/*
 * An event arrived about (ifindex, object); removed: it reports a deletion. Ops it answers
 * are seen; if none of ours asked for it and the kernel did not make it itself (its prefix
 * and link-local routes, link-local addresses: echoes of what we did), someone else changed
 * the link under the others.
 */
static void inflight_saw(struct netns *ns, int ifindex, const struct nl_addr *a,
			 const struct nl_route *r, bool removed)
{
	bool kernels = (a && a->protocol >= IFAPROT_KERNEL_LO && a->protocol <= IFAPROT_KERNEL_LL) ||
		       (r && r->protocol == RTPROT_KERNEL);
	bool echo = false;

	/* A dump may yet be thrown away (torn); netns_resync() marks all once one is kept. */
	if (dumping(ns))
		return;
	for (size_t i = 0; i < ns->n_inflight; i++) {
		struct inflight *in = &ns->inflight[i];

		if (!op_matches(&in->op, ifindex, a, r))
			continue;
		in->seen = true;
		echo |= op_removes(&in->op) == removed;
	}
	if (echo || kernels)
		return;
	for (size_t i = 0; i < ns->n_inflight; i++)
		if (ns->inflight[i].op.ifindex == ifindex)
			ns->inflight[i].overtaken = true;
}

static int on_link(struct netns *ns, const struct nlmsghdr *nlh)
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
		if (!dumping(ns))
			manager_link_removed(ns->m, ns, l.ifindex);
		cache_link_remove(ns->cur, l.ifindex);
		nl_link_done(&l);
		return 0;
	}
	inflight_saw(ns, l.ifindex, NULL, NULL, false);
	cl = cache_get(ns->cur, l.ifindex);
	if (cl)
		memcpy(old_name, cl->link.name, sizeof(old_name));
	cl = cache_link_update(ns->cur, &l);
	nl_link_done(&l);
	if (!cl)
		return -ENOMEM;
	if (!(cl->link.flags & IFF_UP))
		purge_routes(cl, AF_UNSPEC);
	if (!dumping(ns))
		manager_link_changed(ns->m, ns, cl, old_name[0] ? old_name : NULL);
	return 0;
}

static void mark_dirty(struct netns *ns, struct cache_link *cl, int changed)
{
	if (changed > 0 && !dumping(ns) && (cl->owner || cl->release))
		manager_mark_dirty(ns->m, cl);
}

static int on_addr(struct netns *ns, const struct nlmsghdr *nlh)
{
	struct nl_addr a;
	struct cache_link *cl;
	int r;

	r = nlmsg_parse_addr(nlh, &a);
	if (r < 0)
		return r;
	inflight_saw(ns, a.ifindex, &a, NULL, nlh->nlmsg_type == RTM_DELADDR);
	cl = cache_get(ns->cur, a.ifindex);
	if (!cl)
		return 0;
	if (nlh->nlmsg_type == RTM_NEWADDR) {
		r = cache_link_addr_add(cl, &a);
	} else {
		r = cache_link_addr_del(cl, &a);
		if (r > 0 && a.family == AF_INET && !has_ipv4_addr(cl))
			purge_routes(cl, AF_INET);
	}
	mark_dirty(ns, cl, r);
	return r < 0 ? r : 0;
}

static int on_route(struct netns *ns, const struct nlmsghdr *nlh)
{
	struct nl_route rt;
	struct cache_link *cl;
	int r;

	r = nlmsg_parse_route(nlh, &rt);
	if (r < 0)
		return r;
	if (!cache_route_relevant(&rt))
		return 0;
	inflight_saw(ns, rt.oif, NULL, &rt, nlh->nlmsg_type == RTM_DELROUTE);
	cl = cache_get(ns->cur, rt.oif);
	if (!cl)
		return 0;
	if (nlh->nlmsg_type == RTM_NEWROUTE)
		r = cache_link_route_add(cl, &rt);
	else
		r = cache_link_route_del(cl, &rt);
	mark_dirty(ns, cl, r);
	return r < 0 ? r : 0;
}

static int on_message(const struct nlmsghdr *nlh, void *userdata)
{
	struct netns *ns = userdata;
	int r = 0;

	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
		r = on_link(ns, nlh);
		break;
	case RTM_NEWADDR:
	case RTM_DELADDR:
		r = on_addr(ns, nlh);
		break;
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		r = on_route(ns, nlh);
		break;
	}
	/* One malformed message must not cost us the rest of the datagram. */
	if (r == -EBADMSG) {
		log_debug("netlink: ignoring malformed %s", nl_type_to_string(nlh->nlmsg_type));
		r = 0;
	}
	return r;
}

static int dispatch(char *buf, ssize_t n, struct netns *ns)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int left = (int)n, r;

	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		r = on_message(nlh, ns);
		if (r < 0)
			return r;
	}
	return 0;
}

int netns_read_events(struct netns *ns)
{
	_cleanup_free_ char *buf = malloc(RECVBUF_SIZE);
	int r;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n = nl_recv(ns->ev, buf, RECVBUF_SIZE);

		if (n == -EAGAIN)
			return 0;
		if (n == -ENOBUFS) {
			/* Events were lost: whatever we read now is only a tail; re-dump. */
			manager_request_resync(ns->m, ns);
			continue;
		}
		if (n < 0)
			return (int)n;
		if (ns->resync)
			continue; /* the re-dump supersedes these */
		r = dispatch(buf, n, ns);
		if (r < 0)
			return r;
	}
}

static int dump_one(struct netns *ns, struct cache *c, uint16_t type)
{
	char req[NLMSG_BUF_SIZE];
	int r;

	/* The handlers fill ns->cur; the manager rebinds once the whole dump is in. */
	ns->cur = c;
	r = nl_dump(ns->dump, nlmsg_put_dump(req, type, AF_UNSPEC), on_message, ns);
	ns->cur = &ns->cache;
	return r;
}

static int dump_all(struct netns *ns, struct cache *ret)
{
	static const uint16_t types[] = { RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE };
	struct cache c = {};
	int r = 0;

	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		r = dump_one(ns, &c, types[i]);
		if (r < 0)
			break;
	}
	if (r < 0) {
		cache_done(&c);
		return r;
	}
	*ret = c;
	return 0;
}

static void carry_over(struct cache *to, const struct cache *from)
{
	for (size_t i = 0; i < to->n_links; i++) {
		struct cache_link *n = to->links[i], *o = cache_get(from, n->link.ifindex);

		if (!o)
			continue;
		n->inflight = o->inflight;
		n->release = o->release;
		n->bridge = o->bridge;
		memcpy(n->bridge_name, o->bridge_name, sizeof(n->bridge_name));
	}
}

int netns_resync(struct netns *ns)
{
	struct cache c;
	int r = -EINTR;

	/* A dump that raced with changes is flagged DUMP_INTR: never reconcile against it. */
	for (int tries = 0; tries < 20 && r == -EINTR; tries++)
		r = dump_all(ns, &c);
	if (r < 0)
		return r;
	carry_over(&c, &ns->cache);
	cache_done(&ns->cache);
	ns->cache = c;
	ns->resync = false;
	/* The kernel handled every request in flight before it answered the dump. */
	for (size_t i = 0; i < ns->n_inflight; i++) {
		ns->inflight[i].seen = true;
		ns->inflight[i].overtaken = true;
	}
	return 0;
}

/* Keep the reply: handling it may itself talk on the same socket (nsid queries). */
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

int netns_refresh_link(struct netns *ns, int ifindex)
{
	_cleanup_free_ struct nlmsghdr *reply = NULL;
	char req[NLMSG_BUF_SIZE];
	int r = nl_get(ns->dump, nlmsg_put_getlink(req, ifindex), refresh_cb, &reply);

	if (r == -ENODEV)
		return 0;
	if (r < 0)
		return r;
	return reply ? on_message(reply, ns) : 0;
}

static int nsid_cb(const struct nlmsghdr *nlh, void *userdata)
{
	return nlmsg_parse_nsid(nlh, userdata);
}

int netns_nsid_of(struct netns *ns, int fd, int *ret)
{
	char req[NLMSG_BUF_SIZE];
	int nsid = -1, r;

	r = nl_get(ns->dump, nlmsg_put_getnsid(req, fd), nsid_cb, &nsid);
	if (r < 0)
		return r;
	*ret = nsid;
	return 0;
}

const char *netns_label(const struct netns *ns)
{
	return ns->name ? ns->name : "host";
}

bool netns_can_send(const struct netns *ns, size_t n)
{
	return ns->n_inflight + n <= NETNS_INFLIGHT_MAX;
}

/* Requests that will never be answered: forget them and let their links be planned again. */
static void inflight_drop(struct netns *ns, size_t from)
{
	for (size_t i = from; i < ns->n_inflight; i++) {
		struct cache_link *cl = cache_get(&ns->cache, ns->inflight[i].op.ifindex);

		if (!cl)
			continue;
		if (cl->inflight)
			cl->inflight--;
		manager_mark_dirty(ns->m, cl);
	}
	ns->n_inflight = from;
}

int netns_flush(struct netns *ns)
{
	int r;

	if (!ns->sendlen)
		return 0;
	r = nl_send(ns->req, ns->sendbuf, ns->sendlen);
	if (r < 0)
		inflight_drop(ns, ns->n_inflight - ns->sendcount);
	ns->sendlen = 0;
	ns->sendcount = 0;
	return r;
}

int netns_queue(struct netns *ns, const struct op *op)
{
	char buf[NLMSG_BUF_SIZE];
	struct nlmsghdr *nlh;
	struct cache_link *cl;
	int r;

	if (!netns_can_send(ns, 1))
		return -EBUSY;
	nlh = apply_build(op, buf);
	if (ns->sendlen + nlh->nlmsg_len > sizeof(ns->sendbuf)) {
		r = netns_flush(ns);
		if (r < 0)
			return r;
	}
	nlh->nlmsg_seq = nl_next_seq(ns->req);
	memcpy(ns->sendbuf + ns->sendlen, nlh, nlh->nlmsg_len);
	ns->sendlen += NLMSG_ALIGN(nlh->nlmsg_len);
	ns->sendcount++;
	ns->inflight[ns->n_inflight++] = (struct inflight){
		.seq = nlh->nlmsg_seq,
		.op = *op,
		.generation = ns->m->generation,
	};
	cl = cache_get(&ns->cache, op->ifindex);
	if (cl)
		cl->inflight++;
	return 0;
}

/* ACKs come back in request order, so the match is nearly always the oldest entry. */
static int inflight_take(struct netns *ns, uint32_t seq, struct inflight *ret)
{
	for (size_t i = 0; i < ns->n_inflight; i++) {
		if (ns->inflight[i].seq != seq)
			continue;
		*ret = ns->inflight[i];
		memmove(ns->inflight + i, ns->inflight + i + 1,
			(ns->n_inflight - i - 1) * sizeof(ns->inflight[0]));
		ns->n_inflight--;
		return 0;
	}
	return -ENOENT;
}

static void on_ack(struct netns *ns, const struct nlmsghdr *nlh)
{
	struct nl_err err = {};
	struct inflight in;
	int r;

	/* Only replies to our own port and to a request we still wait for count. */
	if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_pid != ns->req->portid)
		return;
	if (inflight_take(ns, nlh->nlmsg_seq, &in) < 0) {
		log_debug("netlink: reply with unknown sequence number %u, ignoring", nlh->nlmsg_seq);
		return;
	}
	r = nl_parse_error(nlh, nlh->nlmsg_len, &err);
	if (r == -EBADMSG && err.error == 0)
		err.error = r;
	manager_op_done(ns->m, ns, &in, &err);
}

static int read_acks(struct netns *ns)
{
	_cleanup_free_ char *buf = malloc(RECVBUF_SIZE);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n = nl_recv(ns->req, buf, RECVBUF_SIZE);
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		int left = (int)n;

		if (n == -EAGAIN)
			return 0;
		if (n < 0) {
			/* ACKs were lost (or unreadable): what was in flight is unknown now. */
			inflight_drop(ns, 0);
			manager_request_resync(ns->m, ns);
			return (int)n;
		}
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left))
			on_ack(ns, nlh);
	}
}

/* Read the queued events; if that fails the cache cannot be trusted: re-dump. */
static void read_events_or_resync(struct netns *ns)
{
	int r = netns_read_events(ns);

	if (r < 0) {
		log_warning_errno(r, "%s: failed to read netlink events, re-reading the kernel state",
				  netns_label(ns));
		manager_request_resync(ns->m, ns);
	}
}

static int on_event_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	read_events_or_resync(userdata);
	return 0;
}

static int on_req_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct netns *ns = userdata;
	int r;

	/*
	 * The kernel queues its notifications before the ACK of the request that caused them:
	 * reading events first means the cache already holds what an ACK confirms.
	 */
	read_events_or_resync(ns);
	r = read_acks(ns);
	if (r < 0)
		log_warning_errno(r, "%s: failed to read netlink replies, re-reading the kernel state",
				  netns_label(ns));
	return 0;
}

static int netns_open_sockets(struct netns *ns, int rcvbuf)
{
	int r;

	r = nl_open(event_groups, ARRAY_SIZE(event_groups), rcvbuf, true, &ns->ev);
	if (r < 0)
		return r;
	/* Room for the ACKs of a full pipeline, with extack text. */
	r = nl_open(NULL, 0, 1 << 20, true, &ns->req);
	if (r < 0)
		return r;
	return nl_open(NULL, 0, 1 << 20, false, &ns->dump);
}

/* Sockets belong to the namespace they were created in, whatever we join later. */
static int netns_open_in(struct netns *ns, int fd, int host_fd, int rcvbuf)
{
	int r;

	if (fd < 0)
		return netns_open_sockets(ns, rcvbuf);
	if (setns(fd, CLONE_NEWNET) < 0)
		return -errno;
	r = netns_open_sockets(ns, rcvbuf);
	if (setns(host_fd, CLONE_NEWNET) < 0)
		abort(); /* continuing in the container's namespace would misconfigure the host */
	return r;
}

int netns_new(struct manager *m, const char *name, int fd, int host_fd, int rcvbuf,
	      struct netns **ret)
{
	struct netns *ns;
	int r;

	ns = calloc(1, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	ns->m = m;
	ns->cur = &ns->cache;
	if (name && !(ns->name = strdup(name))) {
		netns_free(ns);
		return -ENOMEM;
	}
	r = netns_open_in(ns, fd, host_fd, rcvbuf);
	if (r >= 0)
		r = sd_event_add_io(manager_event(m), &ns->ev_src, nl_fd(ns->ev), EPOLLIN,
				    on_event_io, ns);
	if (r >= 0)
		r = sd_event_add_io(manager_event(m), &ns->req_src, nl_fd(ns->req), EPOLLIN,
				    on_req_io, ns);
	/* Subscribed before dumping: a change during the dump is seen either way. */
	if (r >= 0)
		r = netns_resync(ns);
	if (r < 0) {
		netns_free(ns);
		return r;
	}
	*ret = ns;
	return 0;
}

struct netns *netns_free(struct netns *ns)
{
	if (!ns)
		return NULL;
	sd_event_source_disable_unref(ns->ev_src);
	sd_event_source_disable_unref(ns->req_src);
	nl_close(ns->ev);
	nl_close(ns->req);
	nl_close(ns->dump);
	cache_done(&ns->cache);
	free(ns->name);
	free(ns);
	return NULL;
}
