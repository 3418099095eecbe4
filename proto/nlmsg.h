/* SPDX-License-Identifier: MIT */
/*
 * rtnetlink messages <-> our structs, for links, addresses and routes. No I/O: builders
 * write into a caller's buffer, parsers copy what they need out of a message, so both can be
 * tested on synthetic buffers. Parsers validate every attribute they read and return
 * -EBADMSG for a malformed message; no nlattr pointer survives the call.
 */
#pragma once

#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "util.h"

/*
 * The caches hold one of these per link, address and route of every namespace netd watches:
 * the fields are ordered so that no padding goes between them.
 */

/* A link as the kernel reports it (RTM_NEWLINK / RTM_DELLINK). */
struct nl_link {
	int ifindex;
	unsigned flags;   /* IFF_* */
	int master;       /* IFLA_MASTER, 0 when none */
	int peer_ifindex; /* IFLA_LINK: a veth's peer, in the peer's namespace; 0 when none */
	int link_netnsid; /* the peer's namespace's id as seen from ours, if has_link_netnsid */
	uint8_t family;   /* AF_UNSPEC; AF_BRIDGE for bridge-port messages */
	uint8_t operstate; /* IF_OPER_*, IF_OPER_UNKNOWN (0) when not reported */
	bool has_link_netnsid; /* the peer lives in another namespace (IFLA_LINK_NETNSID) */
	char name[IFNAMSIZ];
	char kind[16];    /* IFLA_INFO_KIND ("veth", "bridge"), "" when none */
	char **altnames;  /* owned, n_altnames entries */
	size_t n_altnames;
};

struct nl_addr {
	int ifindex;
	uint32_t flags;   /* IFA_FLAGS or ifa_flags */
	union in_addr_union addr; /* IFA_LOCAL (IPv4) or IFA_ADDRESS */
	uint8_t family;
	uint8_t prefixlen;
	uint8_t protocol; /* IFA_PROTO, 0 when unset */
};

struct nl_route {
	uint8_t family;
	uint8_t dst_len;
	uint8_t protocol; /* RTPROT_* */
	uint8_t scope;
	uint8_t type; /* RTN_* */
	bool has_gateway;
	bool onlink; /* RTNH_F_ONLINK */
	uint32_t table;
	int oif;
	uint32_t priority;
	union in_addr_union dst;
	union in_addr_union gateway;
};

/* Free owned fields; the struct may be reused after. */
void nl_link_done(struct nl_link *l);

/*
 * Whether the kernel counts the link as operationally up: IF_OPER_UP, or IF_OPER_UNKNOWN as
 * netif_oper_up() does (a veth whose peer moved namespace may report it).
 */
bool nl_link_oper_up(const struct nl_link *l);

/*
 * Parse a message of the matching type into *ret (overwritten; l->altnames owned by caller on
 * success). Returns 0, or -EBADMSG, -ENOMEM; *ret is untouched on failure.
 */
int nlmsg_parse_link(const struct nlmsghdr *nlh, struct nl_link *ret) _must_check_;
int nlmsg_parse_addr(const struct nlmsghdr *nlh, struct nl_addr *ret) _must_check_;
int nlmsg_parse_route(const struct nlmsghdr *nlh, struct nl_route *ret) _must_check_;

/*
 * Builders. Each writes one message at buf (at least NLMSG_BUF_SIZE bytes) and returns its
 * header; the caller sets nlmsg_seq. Requests carry NLM_F_REQUEST | NLM_F_ACK.
 */
#define NLMSG_BUF_SIZE 1024

/* RTM_GETLINK / RTM_GETADDR / RTM_GETROUTE dump of family (AF_UNSPEC for all). */
struct nlmsghdr *nlmsg_put_dump(void *buf, uint16_t type, uint8_t family);

/* RTM_GETLINK of one link (for nl_get()). */
struct nlmsghdr *nlmsg_put_getlink(void *buf, int ifindex);

/* RTM_GETNSID: the id our namespace gives the namespace open at fd (for nl_get()). */
struct nlmsghdr *nlmsg_put_getnsid(void *buf, int fd);

/* The NETNSA_NSID of an RTM_NEWNSID reply (NETNSA_NSID_NOT_ASSIGNED when it has none).
 * Returns 0 or -EBADMSG. */
int nlmsg_parse_nsid(const struct nlmsghdr *nlh, int *ret) _must_check_;

/*
 * RTM_NEWLINK on an existing link: rename when name is non-NULL, set the IFF_* bits in
 * change to their value in flags, enslave to master when master >= 0 (0 releases).
 */
struct nlmsghdr *nlmsg_put_link_set(void *buf, int ifindex, const char *name, unsigned flags,
				    unsigned change, int master);

/* RTM_NEWADDR (create, exclusive) or RTM_DELADDR for a. IPv6 adds carry IFA_F_NODAD. */
struct nlmsghdr *nlmsg_put_addr(void *buf, uint16_t type, const struct nl_addr *a);

/* RTM_NEWROUTE (create, exclusive) or RTM_DELROUTE for r. */
struct nlmsghdr *nlmsg_put_route(void *buf, uint16_t type, const struct nl_route *r);

/* Bytes of an address of family: 4 for AF_INET, 16 otherwise. */
size_t nlmsg_addr_len(uint8_t family);

/* "10.0.0.1" / "fd00::1"; buf of at least INET6_ADDRSTRLEN. */
const char *nlmsg_addr_to_string(uint8_t family, const union in_addr_union *a, char *buf,
				 size_t len);
