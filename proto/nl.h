/* SPDX-License-Identifier: MIT */
/*
 * rtnetlink sockets on libmnl: open with extended ACKs, strict checking and a chosen receive
 * buffer; receive only what the kernel sent; parse ACKs with their extended-ACK text; run
 * dumps that report NLM_F_DUMP_INTR instead of returning a torn result.
 */
#pragma once

#include <linux/netlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util.h"

/* What the kernel said about a failed request: its code and, when given, the extack text. */
struct nl_err {
	int error;     /* negative errno, 0 for an ACK */
	char msg[256]; /* NLMSGERR_ATTR_MSG, "" when absent */
	uint32_t offset; /* NLMSGERR_ATTR_OFFS, 0 when absent */
};

struct nl_sock {
	struct mnl_socket *mnl; /* owned */
	uint32_t portid;        /* assigned by the kernel at bind */
	uint32_t seq;           /* last sequence number handed out */
};

/*
 * Open a NETLINK_ROUTE socket in the calling thread's network namespace, subscribed to the
 * n_groups RTNLGRP_* values in groups. rcvbuf > 0 sets the receive buffer (SO_RCVBUFFORCE,
 * falling back to SO_RCVBUF). nonblock makes reads return -EAGAIN instead of waiting.
 * Returns 0 or -errno.
 */
int nl_open(const unsigned *groups, size_t n_groups, int rcvbuf, bool nonblock,
	    struct nl_sock **ret) _must_check_;

/* Accepts NULL; returns NULL. */
struct nl_sock *nl_close(struct nl_sock *nl);

int nl_fd(const struct nl_sock *nl);

/* A fresh sequence number, never 0 (0 marks kernel notifications). */
uint32_t nl_next_seq(struct nl_sock *nl);

/* Send len bytes (one or more netlink messages) as one datagram. Returns 0 or -errno. */
int nl_send(struct nl_sock *nl, const void *buf, size_t len) _must_check_;

/*
 * Receive one datagram. Datagrams whose sender is not the kernel (nl_pid != 0: another
 * process unicasting to our port) are dropped and the next one is read. Returns the length,
 * -EAGAIN when nothing is queued (non-blocking sockets), -ENOBUFS when the kernel had to
 * drop messages for us, -EBADMSG for a truncated datagram, or -errno.
 */
ssize_t nl_recv(struct nl_sock *nl, void *buf, size_t len) _must_check_;

/*
 * nl_recv() on a socket listening to all namespaces (nl_listen_all_nsid()): *ret_nsid is the
 * id our namespace gives the one the datagram is about, or -1 for our own.
 */
ssize_t nl_recv_nsid(struct nl_sock *nl, void *buf, size_t len, int *ret_nsid) _must_check_;

/*
 * Also receive the subscribed groups' notifications from every namespace ours has an id for
 * (NETLINK_LISTEN_ALL_NSID). Needs CAP_NET_BROADCAST: -EPERM without it. Returns 0 or -errno.
 */
int nl_listen_all_nsid(struct nl_sock *nl) _must_check_;

/*
 * Decode an NLMSG_ERROR message. Returns its error code (0 for an ACK, negative errno for a
 * failure) or -EBADMSG when the message is malformed; fills *reterr when non-NULL.
 */
int nl_parse_error(const struct nlmsghdr *nlh, size_t len, struct nl_err *reterr) _must_check_;

typedef int (*nl_msg_cb)(const struct nlmsghdr *nlh, void *userdata);

/*
 * Run a dump request (NLM_F_DUMP set here, sequence number assigned here) on a blocking
 * socket and call cb for every reply message; a negative return from cb aborts.
 * Returns 0, -EINTR when the kernel flagged the dump NLM_F_DUMP_INTR (the result is torn:
 * redo it), the error from cb or from the kernel, or -errno.
 */
int nl_dump(struct nl_sock *nl, struct nlmsghdr *req, nl_msg_cb cb, void *userdata) _must_check_;

/*
 * Send a request for one object (RTM_GETLINK of an ifindex, RTM_GETNSID, ...) with NLM_F_ACK
 * on a blocking socket; cb sees the reply. Returns 0, the kernel's negative errno, or the
 * error from cb.
 */
int nl_get(struct nl_sock *nl, struct nlmsghdr *req, nl_msg_cb cb, void *userdata) _must_check_;

/*
 * Send one request with NLM_F_ACK on a blocking socket and wait for its ACK.
 * Returns 0 or the kernel's negative errno (details in *reterr when non-NULL).
 */
int nl_talk(struct nl_sock *nl, struct nlmsghdr *req, struct nl_err *reterr) _must_check_;

/* Human-readable name of a request type ("RTM_NEWADDR"), "RTM_?" when unknown. */
const char *nl_type_to_string(uint16_t type);
