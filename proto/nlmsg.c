/* SPDX-License-Identifier: MIT */
/* Build and parse RTM_*LINK, RTM_*ADDR and RTM_*ROUTE messages. */
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/net_namespace.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>

#include "nlmsg.h"

void nl_link_done(struct nl_link *l)
{
	for (size_t i = 0; i < l->n_altnames; i++)
		free(l->altnames[i]);
	free(l->altnames);
	l->altnames = NULL;
	l->n_altnames = 0;
}

/* RFC 2863 operstates from <linux/if.h>, which cannot be included beside <net/if.h>. */
enum { OPER_UNKNOWN = 0, OPER_UP = 6 };

bool nl_link_oper_up(const struct nl_link *l)
{
	return l->operstate == OPER_UP || l->operstate == OPER_UNKNOWN;
}

/* Copy a NUL-terminated string attribute into a fixed buffer; too long is malformed. */
static int attr_strcpy(const struct nlattr *a, char *dst, size_t len)
{
	if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
		return -EBADMSG;
	if (strlen(mnl_attr_get_str(a)) >= len)
		return -EBADMSG;
	strcpy(dst, mnl_attr_get_str(a));
	return 0;
}

static int attr_u32(const struct nlattr *a, uint32_t *ret)
{
	if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
		return -EBADMSG;
	*ret = mnl_attr_get_u32(a);
	return 0;
}

size_t nlmsg_addr_len(uint8_t family)
{
	return family == AF_INET ? 4 : 16;
}

static int attr_addr(const struct nlattr *a, uint8_t family, union in_addr_union *ret)
{
	size_t len = nlmsg_addr_len(family);

	if (mnl_attr_get_payload_len(a) != len)
		return -EBADMSG;
	memset(ret, 0, sizeof(*ret));
	memcpy(ret, mnl_attr_get_payload(a), len);
	return 0;
}

/* mnl_attr_parse callbacks report failures through this context. */
struct parse_ctx {
	void *out; /* borrowed: the caller's struct being filled */
	int error;
	bool seen_local; /* addresses: IFA_LOCAL was there */
};

/*
 * The attributes after a fixed header of hdrlen bytes (a multiple of 4, already checked to
 * fit). Not mnl_attr_parse(): it walks up to NLMSG_ALIGN(nlmsg_len), so an attribute may run
 * up to 3 bytes past a datagram whose last message has an unaligned length.
 */
static int parse_attrs(const struct nlmsghdr *nlh, size_t hdrlen, mnl_attr_cb_t cb, void *data)
{
	return mnl_attr_parse_payload((const char *)mnl_nlmsg_get_payload(nlh) + hdrlen,
				      nlh->nlmsg_len - NLMSG_HDRLEN - hdrlen, cb, data);
}

static int linkinfo_cb(const struct nlattr *a, void *data)
{
	struct parse_ctx *c = data;
	struct nl_link *l = c->out;

	if (mnl_attr_get_type(a) == IFLA_INFO_KIND)
		c->error = attr_strcpy(a, l->kind, sizeof(l->kind));
	return c->error < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

static int altname_push(struct nl_link *l, const char *name)
{
	char **a = reallocarray(l->altnames, l->n_altnames + 1, sizeof(char *));

	if (!a)
		return -ENOMEM;
	l->altnames = a;
	a[l->n_altnames] = strdup(name);
	if (!a[l->n_altnames])
		return -ENOMEM;
	l->n_altnames++;
	return 0;
}

static int proplist_cb(const struct nlattr *a, void *data)
{
	struct parse_ctx *c = data;

	if (mnl_attr_get_type(a) != IFLA_ALT_IFNAME)
		return MNL_CB_OK;
	if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
		c->error = -EBADMSG;
	else
		c->error = altname_push(c->out, mnl_attr_get_str(a));
	return c->error < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

static int parse_nested(const struct nlattr *a, mnl_attr_cb_t cb, struct parse_ctx *c)
{
	if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
		return -EBADMSG;
	if (mnl_attr_parse_nested(a, cb, c) < 0)
		return c->error < 0 ? c->error : -EBADMSG;
	return 0;
}

static int link_attr(const struct nlattr *a, struct parse_ctx *c)
{
	struct nl_link *l = c->out;
	uint32_t v = 0;
	int r;

	switch (mnl_attr_get_type(a)) {
	case IFLA_IFNAME:
		return attr_strcpy(a, l->name, sizeof(l->name));
	case IFLA_MASTER:
		r = attr_u32(a, &v);
		l->master = (int)v;
		return r;
	case IFLA_LINK:
		r = attr_u32(a, &v);
		l->peer_ifindex = (int)v;
		return r;
	case IFLA_LINK_NETNSID:
		l->has_link_netnsid = true;
		r = attr_u32(a, &v);
		l->link_netnsid = (int)v;
		return r;
	case IFLA_OPERSTATE:
		if (mnl_attr_validate(a, MNL_TYPE_U8) < 0)
			return -EBADMSG;
		l->operstate = mnl_attr_get_u8(a);
		return 0;
	case IFLA_LINKINFO:
		return parse_nested(a, linkinfo_cb, c);
	case IFLA_PROP_LIST:
		return parse_nested(a, proplist_cb, c);
	}
	return 0;
}

static int link_cb(const struct nlattr *a, void *data)
{
	struct parse_ctx *c = data;
	int r = link_attr(a, c);

	if (r < 0)
		c->error = r;
	return r < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

int nlmsg_parse_link(const struct nlmsghdr *nlh, struct nl_link *ret)
{
	struct nl_link l = {};
	struct parse_ctx c = { .out = &l };
	const struct ifinfomsg *ifi;

	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*ifi))
		return -EBADMSG;
	ifi = mnl_nlmsg_get_payload(nlh);
	l.family = ifi->ifi_family;
	l.ifindex = ifi->ifi_index;
	l.flags = ifi->ifi_flags;
	if (parse_attrs(nlh, sizeof(*ifi), link_cb, &c) < 0 || l.ifindex <= 0 || !l.name[0]) {
		nl_link_done(&l);
		return c.error < 0 ? c.error : -EBADMSG;
	}
	*ret = l;
	return 0;
}

static int addr_cb(const struct nlattr *a, void *data)
{
	struct parse_ctx *c = data;
	struct nl_addr *ad = c->out;
	uint32_t v = 0;

	switch (mnl_attr_get_type(a)) {
	case IFA_ADDRESS:
		/*
		 * With a peer, IFA_ADDRESS is the peer's and IFA_LOCAL ours, in both families (IPv6
		 * sends IFA_LOCAL first): IFA_LOCAL wins. IPv4 always sends IFA_LOCAL.
		 */
		if (ad->family == AF_INET6 && !c->seen_local)
			c->error = attr_addr(a, ad->family, &ad->addr);
		break;
	case IFA_LOCAL:
		c->error = attr_addr(a, ad->family, &ad->addr);
		c->seen_local = true;
		break;
	case IFA_FLAGS:
		c->error = attr_u32(a, &v);
		ad->flags = v;
		break;
	case IFA_PROTO:
		if (mnl_attr_validate(a, MNL_TYPE_U8) < 0)
			c->error = -EBADMSG;
		else
			ad->protocol = mnl_attr_get_u8(a);
		break;
	}
	return c->error < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

int nlmsg_parse_addr(const struct nlmsghdr *nlh, struct nl_addr *ret)
{
	struct nl_addr ad = {};
	struct parse_ctx c = { .out = &ad };
	const struct ifaddrmsg *ifa;

	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*ifa))
		return -EBADMSG;
	ifa = mnl_nlmsg_get_payload(nlh);
	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
		return -EBADMSG;
	ad.family = ifa->ifa_family;
	ad.ifindex = (int)ifa->ifa_index;
	ad.prefixlen = ifa->ifa_prefixlen;
	ad.flags = ifa->ifa_flags;
	if (ad.prefixlen > (ad.family == AF_INET ? 32 : 128))
		return -EBADMSG;
	if (parse_attrs(nlh, sizeof(*ifa), addr_cb, &c) < 0)
		return c.error < 0 ? c.error : -EBADMSG;
	*ret = ad;
	return 0;
}

static int route_cb(const struct nlattr *a, void *data)
{
	struct parse_ctx *c = data;
	struct nl_route *r = c->out;
	uint32_t v = 0;

	switch (mnl_attr_get_type(a)) {
	case RTA_DST:
		c->error = attr_addr(a, r->family, &r->dst);
		break;
	case RTA_GATEWAY:
		c->error = attr_addr(a, r->family, &r->gateway);
		r->has_gateway = true;
		break;
	case RTA_OIF:
		c->error = attr_u32(a, &v);
		r->oif = (int)v;
		break;
	case RTA_TABLE:
		c->error = attr_u32(a, &r->table);
		break;
	case RTA_PRIORITY:
		c->error = attr_u32(a, &r->priority);
		break;
	}
	return c->error < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

int nlmsg_parse_route(const struct nlmsghdr *nlh, struct nl_route *ret)
{
	struct nl_route r = {};
	struct parse_ctx c = { .out = &r };
	const struct rtmsg *rtm;

	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*rtm))
		return -EBADMSG;
	rtm = mnl_nlmsg_get_payload(nlh);
	if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6)
		return -EBADMSG;
	if (rtm->rtm_dst_len > (rtm->rtm_family == AF_INET ? 32 : 128))
		return -EBADMSG;
	r.family = rtm->rtm_family;
	r.dst_len = rtm->rtm_dst_len;
	r.protocol = rtm->rtm_protocol;
	r.scope = rtm->rtm_scope;
	r.type = rtm->rtm_type;
	r.table = rtm->rtm_table;
	r.onlink = rtm->rtm_flags & RTNH_F_ONLINK;
	if (parse_attrs(nlh, sizeof(*rtm), route_cb, &c) < 0)
		return c.error < 0 ? c.error : -EBADMSG;
	*ret = r;
	return 0;
}

static struct nlmsghdr *put_header(void *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh;

	memset(buf, 0, NLMSG_BUF_SIZE);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	return nlh;
}

struct nlmsghdr *nlmsg_put_getlink(void *buf, int ifindex)
{
	struct nlmsghdr *nlh = put_header(buf, RTM_GETLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_index = ifindex;
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	return nlh;
}

struct nlmsghdr *nlmsg_put_getnsid(void *buf, int fd)
{
	struct nlmsghdr *nlh = put_header(buf, RTM_GETNSID, 0);
	struct rtgenmsg *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));

	g->rtgen_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, NETNSA_FD, (uint32_t)fd);
	return nlh;
}

static int nsid_cb(const struct nlattr *a, void *data)
{
	struct parse_ctx *c = data;

	if (mnl_attr_get_type(a) != NETNSA_NSID)
		return MNL_CB_OK;
	if (mnl_attr_validate(a, MNL_TYPE_U32) < 0) {
		c->error = -EBADMSG;
		return MNL_CB_ERROR;
	}
	*(int *)c->out = (int)mnl_attr_get_u32(a);
	return MNL_CB_OK;
}

int nlmsg_parse_nsid(const struct nlmsghdr *nlh, int *ret)
{
	int nsid = NETNSA_NSID_NOT_ASSIGNED;
	struct parse_ctx c = { .out = &nsid };

	const size_t hdrlen = NLMSG_ALIGN(sizeof(struct rtgenmsg));

	if (nlh->nlmsg_type != RTM_NEWNSID || nlh->nlmsg_len < NLMSG_HDRLEN + hdrlen)
		return -EBADMSG;
	if (parse_attrs(nlh, hdrlen, nsid_cb, &c) < 0)
		return c.error < 0 ? c.error : -EBADMSG;
	*ret = nsid;
	return 0;
}

struct nlmsghdr *nlmsg_put_dump(void *buf, uint16_t type, uint8_t family)
{
	struct nlmsghdr *nlh = put_header(buf, type, NLM_F_DUMP);

	/* Strict checking wants the header that matches the request type. */
	switch (type) {
	case RTM_GETLINK: {
		struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

		ifi->ifi_family = family;
		/* Ask for the full picture, including altnames and link info. */
		mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
		break;
	}
	case RTM_GETADDR: {
		struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));

		ifa->ifa_family = family;
		break;
	}
	default: {
		struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

		rtm->rtm_family = family;
		break;
	}
	}
	return nlh;
}

struct nlmsghdr *nlmsg_put_link_set(void *buf, int ifindex, const char *name, unsigned flags,
				    unsigned change, int master)
{
	struct nlmsghdr *nlh = put_header(buf, RTM_NEWLINK, NLM_F_ACK);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = flags & change;
	ifi->ifi_change = change;
	if (name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (master >= 0)
		mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)master);
	return nlh;
}

struct nlmsghdr *nlmsg_put_addr(void *buf, uint16_t type, const struct nl_addr *a)
{
	uint16_t flags = NLM_F_ACK | (type == RTM_NEWADDR ? NLM_F_CREATE | NLM_F_EXCL : 0);
	struct nlmsghdr *nlh = put_header(buf, type, flags);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	uint32_t aflags = a->flags;

	ifa->ifa_family = a->family;
	ifa->ifa_prefixlen = a->prefixlen;
	ifa->ifa_index = (uint32_t)a->ifindex;
	if (type == RTM_NEWADDR && a->family == AF_INET6)
		aflags |= IFA_F_NODAD; /* point-to-point veth: nothing else can hold the address */
	ifa->ifa_flags = (uint8_t)aflags;
	mnl_attr_put(nlh, IFA_LOCAL, nlmsg_addr_len(a->family), &a->addr);
	if (a->family == AF_INET6)
		mnl_attr_put(nlh, IFA_ADDRESS, 16, &a->addr);
	if (type == RTM_NEWADDR) {
		mnl_attr_put_u32(nlh, IFA_FLAGS, aflags);
		if (a->protocol)
			mnl_attr_put_u8(nlh, IFA_PROTO, a->protocol);
	}
	return nlh;
}

struct nlmsghdr *nlmsg_put_route(void *buf, uint16_t type, const struct nl_route *r)
{
	uint16_t flags = NLM_F_ACK | (type == RTM_NEWROUTE ? NLM_F_CREATE | NLM_F_EXCL : 0);
	struct nlmsghdr *nlh = put_header(buf, type, flags);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	rtm->rtm_family = r->family;
	rtm->rtm_dst_len = r->dst_len;
	rtm->rtm_table = r->table < 256 ? (uint8_t)r->table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = r->protocol;
	rtm->rtm_scope = r->scope;
	rtm->rtm_type = r->type ? r->type : RTN_UNICAST;
	if (r->onlink)
		rtm->rtm_flags |= RTNH_F_ONLINK;
	if (r->dst_len)
		mnl_attr_put(nlh, RTA_DST, nlmsg_addr_len(r->family), &r->dst);
	if (r->has_gateway)
		mnl_attr_put(nlh, RTA_GATEWAY, nlmsg_addr_len(r->family), &r->gateway);
	if (r->oif)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)r->oif);
	mnl_attr_put_u32(nlh, RTA_TABLE, r->table);
	if (r->priority)
		mnl_attr_put_u32(nlh, RTA_PRIORITY, r->priority);
	return nlh;
}

const char *nlmsg_addr_to_string(uint8_t family, const union in_addr_union *a, char *buf,
				 size_t len)
{
	if (!inet_ntop(family, a, buf, (socklen_t)len))
		(void)snprintf(buf, len, "?");
	return buf;
}
