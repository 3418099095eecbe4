/* SPDX-License-Identifier: MIT */
/* Desired state of a link: DESIGN.md's host-address and bridge modes, and bridge release. */
#include <linux/rtnetlink.h>

#include "desired.h"

static void add_addr(struct desired *d, const struct conf_addr *ca, int ifindex)
{
	struct nl_addr *a;

	if (!ca->family || d->n_addrs >= DESIRED_MAX)
		return;
	a = &d->addrs[d->n_addrs++];
	*a = (struct nl_addr){
		.family = (uint8_t)ca->family,
		.ifindex = ifindex,
		.addr = ca->addr,
		.prefixlen = ca->prefixlen,
		.protocol = NETD_PROTO,
	};
}

/* A route to the peer's address (a host route), or a default route via gw when gw is set. */
static void add_route(struct desired *d, const struct conf_addr *peer, bool via, int ifindex)
{
	struct nl_route *r;

	if (!peer->family || d->n_routes >= DESIRED_MAX)
		return;
	r = &d->routes[d->n_routes++];
	*r = (struct nl_route){
		.family = (uint8_t)peer->family,
		.protocol = NETD_PROTO,
		.type = RTN_UNICAST,
		.table = RT_TABLE_MAIN,
		.oif = ifindex,
	};
	if (via) {
		r->has_gateway = true;
		r->gateway = peer->addr;
		r->scope = RT_SCOPE_UNIVERSE;
	} else {
		r->dst = peer->addr;
		r->dst_len = peer->family == AF_INET ? 32 : 128;
		r->scope = RT_SCOPE_LINK;
	}
}

static void host_side(const struct conf_veth *v, int ifindex, int bridge_ifindex,
		      struct desired *d)
{
	if (v->host_bridge) {
		d->master = bridge_ifindex > 0 ? bridge_ifindex : -1;
		return;
	}
	add_addr(d, &v->host_addr4, ifindex);
	add_addr(d, &v->host_addr6, ifindex);
	add_route(d, &v->local_addr4, false, ifindex);
	add_route(d, &v->local_addr6, false, ifindex);
}

static void inside(const struct endpoint *ep, int ifindex, struct desired *d)
{
	const struct conf_veth *v = ep->veth;
	const struct conf_container *c = ep->cc;

	/* The main veth's container side is eth0; an extra veth has its name on both sides. */
	d->name = ep->main ? "eth0" : v->ifname;
	add_addr(d, &v->local_addr4, ifindex);
	add_addr(d, &v->local_addr6, ifindex);
	if (v->host_bridge) {
		if (ep->main) {
			add_route(d, &c->gateway4, true, ifindex);
			add_route(d, &c->gateway6, true, ifindex);
		}
		return;
	}
	add_route(d, &v->host_addr4, false, ifindex);
	add_route(d, &v->host_addr6, false, ifindex);
	/* Only the main veth carries the default route; extra veths reach their peer only. */
	if (ep->main) {
		add_route(d, &v->host_addr4, true, ifindex);
		add_route(d, &v->host_addr6, true, ifindex);
	}
}

static void endpoint_desired(const struct endpoint *ep, int ifindex, int bridge_ifindex,
			     struct desired *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->manage_link = true;
	ret->master = -1;
	if (ep->inside)
		inside(ep, ifindex, ret);
	else
		host_side(ep->veth, ifindex, bridge_ifindex, ret);
}

/* The bridge name a link's declaration puts it in, or NULL. */
static const char *declared_bridge(const struct endpoint *ep)
{
	return ep && !ep->inside ? ep->veth->host_bridge : NULL;
}

void desired_for_link(const struct desired_input *in, struct desired_bridge *mem,
		      struct desired *ret)
{
	const char *declared = declared_bridge(in->ep);

	*ret = (struct desired){ .master = -1 };
	if (in->ep)
		endpoint_desired(in->ep, in->ifindex, in->bridge_ifindex, ret);
	if (ret->master > 0) {
		mem->ifindex = ret->master;
		(void)snprintf(mem->name, sizeof(mem->name), "%s", declared);
	} else if (mem->ifindex > 0 && in->master == mem->ifindex) {
		if (!streq_ptr(declared, mem->name))
			ret->master = 0;
	} else {
		*mem = (struct desired_bridge){};
	}
}
