/* SPDX-License-Identifier: MIT */
/* rtnetlink socket handling on libmnl: open, send, sender-checked receive, ACKs, dumps. */
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "nl.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK 12
#endif

static int setsockopt_int(int fd, int level, int name, int value)
{
	if (setsockopt(fd, level, name, &value, sizeof(value)) < 0)
		return -errno;
	return 0;
}

static int nl_set_rcvbuf(int fd, int bytes)
{
	/* FORCE lets root go past net.core.rmem_max; fall back for the unprivileged. */
	if (setsockopt_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, bytes) == 0)
		return 0;
	return setsockopt_int(fd, SOL_SOCKET, SO_RCVBUF, bytes);
}

static int nl_configure(struct nl_sock *nl, const unsigned *groups, size_t n_groups, int rcvbuf)
{
	int fd = mnl_socket_get_fd(nl->mnl);
	int r;

	/* Extended ACKs carry the kernel's reason for a refusal; without them we only get errno. */
	r = setsockopt_int(fd, SOL_NETLINK, NETLINK_EXT_ACK, 1);
	if (r < 0)
		return r;
	/* Strict checking makes the kernel reject malformed dump requests instead of guessing. */
	(void)setsockopt_int(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, 1);
	/* Without CAP_ACK every error echoes our whole request back: ACKs stay small. */
	(void)setsockopt_int(fd, SOL_NETLINK, NETLINK_CAP_ACK, 1);
	if (rcvbuf > 0) {
		r = nl_set_rcvbuf(fd, rcvbuf);
		if (r < 0)
			return r;
	}
	/* bind() replaces the first 32 group bits with its own mask: join groups after it. */
	if (mnl_socket_bind(nl->mnl, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	nl->portid = mnl_socket_get_portid(nl->mnl);
	for (size_t i = 0; i < n_groups; i++) {
		r = setsockopt_int(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, (int)groups[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

int nl_open(const unsigned *groups, size_t n_groups, int rcvbuf, bool nonblock,
	    struct nl_sock **ret)
{
	struct nl_sock *nl;
	int r;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	nl->mnl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0));
	if (!nl->mnl) {
		r = -errno;
		free(nl);
		return r;
	}
	r = nl_configure(nl, groups, n_groups, rcvbuf);
	if (r < 0) {
		nl_close(nl);
		return r;
	}
	*ret = nl;
	return 0;
}

struct nl_sock *nl_close(struct nl_sock *nl)
{
	if (!nl)
		return NULL;
	if (nl->mnl)
		(void)mnl_socket_close(nl->mnl);
	free(nl);
	return NULL;
}

int nl_fd(const struct nl_sock *nl)
{
	return mnl_socket_get_fd(nl->mnl);
}

uint32_t nl_next_seq(struct nl_sock *nl)
{
	if (++nl->seq == 0)
		nl->seq = 1;
	return nl->seq;
}

int nl_send(struct nl_sock *nl, const void *buf, size_t len)
{
	ssize_t n = mnl_socket_sendto(nl->mnl, buf, len);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/* The namespace id a listen-all socket's datagram came with; -1 when none (our own). */
static int datagram_nsid(struct msghdr *msg)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c))
		if (c->cmsg_level == SOL_NETLINK && c->cmsg_type == NETLINK_LISTEN_ALL_NSID &&
		    c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			int nsid;

			memcpy(&nsid, CMSG_DATA(c), sizeof(nsid));
			return nsid;
		}
	return -1;
}

ssize_t nl_recv_nsid(struct nl_sock *nl, void *buf, size_t len, int *ret_nsid)
{
	int fd = mnl_socket_get_fd(nl->mnl);

	for (;;) {
		struct sockaddr_nl from = {};
		struct iovec iov = { .iov_base = buf, .iov_len = len };
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(sizeof(int))];
		} control;
		struct msghdr msg = {
			.msg_name = &from,
			.msg_namelen = sizeof(from),
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = ret_nsid ? control.buf : NULL,
			.msg_controllen = ret_nsid ? sizeof(control.buf) : 0,
		};
		ssize_t n = recvmsg(fd, &msg, 0);

		if (n < 0)
			return -errno;
		if (msg.msg_flags & MSG_TRUNC)
			return -EBADMSG;
		/*
		 * Any local process may unicast to our port id; only the kernel (port 0) speaks
		 * for the network state. libmnl does not check this for us.
		 */
		if (msg.msg_namelen != sizeof(from) || from.nl_family != AF_NETLINK || from.nl_pid != 0) {
			log_debug("netlink: dropped datagram from port %u", from.nl_pid);
			continue;
		}
		if (ret_nsid)
			*ret_nsid = datagram_nsid(&msg);
		return n;
	}
}

ssize_t nl_recv(struct nl_sock *nl, void *buf, size_t len)
{
	return nl_recv_nsid(nl, buf, len, NULL);
}

int nl_listen_all_nsid(struct nl_sock *nl)
{
	int one = 1;

	if (setsockopt(mnl_socket_get_fd(nl->mnl), SOL_NETLINK, NETLINK_LISTEN_ALL_NSID, &one,
		       sizeof(one)) < 0)
		return -errno;
	return 0;
}

static int extack_attr_cb(const struct nlattr *attr, void *data)
{
	struct nl_err *e = data;

	switch (mnl_attr_get_type(attr)) {
	case NLMSGERR_ATTR_MSG:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
			return MNL_CB_ERROR;
		(void)snprintf(e->msg, sizeof(e->msg), "%s", mnl_attr_get_str(attr));
		break;
	case NLMSGERR_ATTR_OFFS:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		e->offset = mnl_attr_get_u32(attr);
		break;
	}
	return MNL_CB_OK;
}

int nl_parse_error(const struct nlmsghdr *nlh, size_t len, struct nl_err *reterr)
{
	struct nl_err e = {};
	const struct nlmsgerr *err;
	size_t hlen;

	if (len < sizeof(*nlh) || nlh->nlmsg_len > len || nlh->nlmsg_type != NLMSG_ERROR ||
	    nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*err))
		return -EBADMSG;
	err = mnl_nlmsg_get_payload(nlh);
	if (err->error > 0 || err->error < -4095)
		return -EBADMSG;
	e.error = err->error;

	/* TLVs follow the error header, and the echoed request unless the kernel capped it. */
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		hlen = sizeof(*err);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			hlen += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
		/* An echoed nlmsg_len below a header wraps hlen round to something small. */
		if (hlen < sizeof(*err) || hlen > nlh->nlmsg_len - NLMSG_HDRLEN)
			return -EBADMSG;
		/* The TLVs start 4-byte aligned; stop at nlmsg_len, not at its aligned end. */
		hlen = MNL_ALIGN(hlen);
		if (hlen < nlh->nlmsg_len - NLMSG_HDRLEN &&
		    mnl_attr_parse_payload((const char *)err + hlen,
					   nlh->nlmsg_len - NLMSG_HDRLEN - hlen, extack_attr_cb,
					   &e) < 0)
			return -EBADMSG;
	}
	if (reterr)
		*reterr = e;
	return e.error;
}

/*
 * Handle one reply message. Returns 1 when the exchange is complete (NLMSG_DONE of a dump,
 * the ACK of a request), 0 to go on, or a negative error. Messages of another sequence
 * number are leftovers of an earlier exchange that was abandoned; they are skipped.
 */
static int dump_message(struct nl_sock *nl, const struct nlmsghdr *nlh, uint32_t seq,
			nl_msg_cb cb, void *userdata, bool *interrupted)
{
	if (nlh->nlmsg_seq != seq || nlh->nlmsg_pid != nl->portid)
		return 0;
	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		*interrupted = true;
	switch (nlh->nlmsg_type) {
	case NLMSG_DONE:
		return 1;
	case NLMSG_ERROR: {
		int r = nl_parse_error(nlh, nlh->nlmsg_len, NULL);

		return r < 0 ? r : 1;
	}
	case NLMSG_NOOP:
		return 0;
	default:
		return cb(nlh, userdata);
	}
}

/* Send req and feed every reply to cb until the exchange completes. */
static int nl_exchange(struct nl_sock *nl, struct nlmsghdr *req, nl_msg_cb cb, void *userdata)
{
	_cleanup_free_ char *buf = NULL;
	const size_t bufsz = 1 << 16;
	bool interrupted = false;
	int r, first_error = 0;

	buf = malloc(bufsz);
	if (!buf)
		return -ENOMEM;
	req->nlmsg_seq = nl_next_seq(nl);
	r = nl_send(nl, req, req->nlmsg_len);
	if (r < 0)
		return r;

	for (;;) {
		ssize_t n = nl_recv(nl, buf, bufsz);
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		int left = (int)n;

		if (n < 0)
			return (int)n;
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			/* A failed callback aborts: read to the end, but call it no more. */
			if (first_error && nlh->nlmsg_type >= NLMSG_MIN_TYPE)
				continue;
			r = dump_message(nl, nlh, req->nlmsg_seq, cb, userdata, &interrupted);
			if (r == 1)
				goto done;
			if (r < 0 && !first_error)
				first_error = r;
			if (r < 0 && nlh->nlmsg_type == NLMSG_ERROR)
				return first_error;
		}
	}
done:
	if (first_error)
		return first_error;
	/* A torn dump must never be reconciled against: the caller redoes it. */
	return interrupted ? -EINTR : 0;
}

int nl_dump(struct nl_sock *nl, struct nlmsghdr *req, nl_msg_cb cb, void *userdata)
{
	req->nlmsg_flags |= NLM_F_REQUEST | NLM_F_DUMP;
	return nl_exchange(nl, req, cb, userdata);
}

int nl_get(struct nl_sock *nl, struct nlmsghdr *req, nl_msg_cb cb, void *userdata)
{
	req->nlmsg_flags = (req->nlmsg_flags & ~NLM_F_DUMP) | NLM_F_REQUEST | NLM_F_ACK;
	return nl_exchange(nl, req, cb, userdata);
}

int nl_talk(struct nl_sock *nl, struct nlmsghdr *req, struct nl_err *reterr)
{
	char buf[8192];
	int r;

	req->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	req->nlmsg_seq = nl_next_seq(nl);
	r = nl_send(nl, req, req->nlmsg_len);
	if (r < 0)
		return r;

	for (;;) {
		ssize_t n = nl_recv(nl, buf, sizeof(buf));
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		int left = (int)n;

		if (n < 0)
			return (int)n;
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			if (nlh->nlmsg_seq != req->nlmsg_seq || nlh->nlmsg_pid != nl->portid)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR)
				return nl_parse_error(nlh, nlh->nlmsg_len, reterr);
		}
	}
}

const char *nl_type_to_string(uint16_t type)
{
	static const char *const names[] = {
		[RTM_NEWLINK] = "RTM_NEWLINK",   [RTM_DELLINK] = "RTM_DELLINK",
		[RTM_GETLINK] = "RTM_GETLINK",   [RTM_SETLINK] = "RTM_SETLINK",
		[RTM_NEWADDR] = "RTM_NEWADDR",   [RTM_DELADDR] = "RTM_DELADDR",
		[RTM_GETADDR] = "RTM_GETADDR",   [RTM_NEWROUTE] = "RTM_NEWROUTE",
		[RTM_DELROUTE] = "RTM_DELROUTE", [RTM_GETROUTE] = "RTM_GETROUTE",
	};

	if (type < ARRAY_SIZE(names) && names[type])
		return names[type];
	return "RTM_?";
}
