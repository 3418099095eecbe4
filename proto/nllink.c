/* SPDX-License-Identifier: MIT */
/* Builders for the links spawn creates (veth, macvlan, move, delete, altname). */
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>

#include "nllink.h"

static struct nlmsghdr *put_link_header(void *buf, uint16_t type, uint16_t flags, int ifindex)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	memset(buf, 0, NLMSG_BUF_SIZE);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	return nlh;
}

static void put_names(struct nlmsghdr *nlh, const struct nllink_name *n)
{
	struct nlattr *props;

	mnl_attr_put_strz(nlh, IFLA_IFNAME, n->name);
	if (!n->altname)
		return;
	props = mnl_attr_nest_start(nlh, IFLA_PROP_LIST | NLA_F_NESTED);
	mnl_attr_put_strz(nlh, IFLA_ALT_IFNAME, n->altname);
	mnl_attr_nest_end(nlh, props);
}

struct nlmsghdr *nllink_put_veth(void *buf, const struct nllink_name *host,
				 const struct nllink_name *peer, int peer_netns_fd)
{
	struct nlmsghdr *nlh = put_link_header(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
	struct nlattr *linkinfo, *data, *peerattr;
	struct ifinfomsg *pifi;

	put_names(nlh, host);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	peerattr = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	/* The peer is a whole ifinfomsg followed by its own attributes. */
	pifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*pifi));
	pifi->ifi_family = AF_UNSPEC;
	put_names(nlh, peer);
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)peer_netns_fd);
	mnl_attr_nest_end(nlh, peerattr);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, linkinfo);
	return nlh;
}

struct nlmsghdr *nllink_put_macvlan(void *buf, const struct nllink_name *name, int link_ifindex,
				    int netns_fd)
{
	struct nlmsghdr *nlh = put_link_header(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
	struct nlattr *linkinfo, *data;

	put_names(nlh, name);
	mnl_attr_put_u32(nlh, IFLA_LINK, (uint32_t)link_ifindex);
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)netns_fd);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "macvlan");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	mnl_attr_put_u32(nlh, IFLA_MACVLAN_MODE, MACVLAN_MODE_BRIDGE);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, linkinfo);
	return nlh;
}

struct nlmsghdr *nllink_put_move(void *buf, int ifindex, int netns_fd)
{
	struct nlmsghdr *nlh = put_link_header(buf, RTM_NEWLINK, 0, ifindex);

	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)netns_fd);
	return nlh;
}

struct nlmsghdr *nllink_put_del(void *buf, const char *name)
{
	struct nlmsghdr *nlh = put_link_header(buf, RTM_DELLINK, 0, 0);

	mnl_attr_put_strz(nlh, strlen(name) < IFNAMSIZ ? IFLA_IFNAME : IFLA_ALT_IFNAME, name);
	return nlh;
}

struct nlmsghdr *nllink_put_altname(void *buf, const char *name, const char *altname)
{
	struct nlmsghdr *nlh = put_link_header(buf, RTM_NEWLINKPROP, NLM_F_CREATE | NLM_F_EXCL, 0);
	struct nlattr *props;

	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	props = mnl_attr_nest_start(nlh, IFLA_PROP_LIST | NLA_F_NESTED);
	mnl_attr_put_strz(nlh, IFLA_ALT_IFNAME, altname);
	mnl_attr_nest_end(nlh, props);
	return nlh;
}
