/* SPDX-License-Identifier: MIT */
/*
 * RTM_NEWLINK / RTM_DELLINK / RTM_NEWLINKPROP builders for the links spawn creates: veth pairs
 * whose peer is created directly in another network namespace, macvlans, moving a link into a
 * namespace. No I/O: each writes one request at buf (at least NLMSG_BUF_SIZE bytes, see
 * nlmsg.h) and returns its header; nl_talk() assigns the sequence number.
 */
#pragma once

#include <linux/netlink.h>
#include <stdint.h>

#include "nlmsg.h"

/* One end of a link to create: its kernel name and, when shortened, the full name. */
struct nllink_name {
	const char *name;    /* borrowed; at most 15 bytes */
	const char *altname; /* borrowed; NULL when the name was not shortened */
};

/*
 * Create a veth pair: host end in the namespace of the socket, peer end created directly in
 * the namespace open at peer_netns_fd. The altnames travel in the same request
 * (IFLA_PROP_LIST), so the link is announced under both names from its first RTM_NEWLINK.
 */
struct nlmsghdr *nllink_put_veth(void *buf, const struct nllink_name *host,
				 const struct nllink_name *peer, int peer_netns_fd);

/* Create a bridge-mode macvlan on link_ifindex, created directly in the namespace at netns_fd. */
struct nlmsghdr *nllink_put_macvlan(void *buf, const struct nllink_name *name, int link_ifindex,
				    int netns_fd);

/* Move link ifindex into the namespace open at netns_fd. */
struct nlmsghdr *nllink_put_move(void *buf, int ifindex, int netns_fd);

/* Delete a link by its (kernel or alternative) name. */
struct nlmsghdr *nllink_put_del(void *buf, const char *name);

/* Add altname to the link named name (RTM_NEWLINKPROP). */
struct nlmsghdr *nllink_put_altname(void *buf, const char *name, const char *altname);
