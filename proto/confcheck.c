/* SPDX-License-Identifier: MIT */
/*
 * The checks of conf_finish() that span sections: address modes, gateways, forward targets
 * and clashes, unique container addresses and link names; plus defaults and derived names.
 * Every problem is recorded with conf_error() against the line of the section (or, for a
 * forward, of its ForwardPort=) and checking goes on.
 */
#include <arpa/inet.h>
#include <stdio.h>

#include "conf-internal.h"
#include "ifname.h"

static int check_veth_mode(struct conf *c, unsigned line, const struct conf_veth *v)
{
	int r = 0;

	/* A bridged link gets its addresses from the bridge side; netd would have no link to
	 * put HostAddress on. */
	if (v->host_bridge && v->host_addr4.family)
		r = conf_error(c, line, "HostBridge= cannot be combined with HostAddress=");
	if (r >= 0 && v->host_bridge && v->host_addr6.family)
		r = conf_error(c, line, "HostBridge= cannot be combined with HostAddress6=");
	return r;
}

static int check_gateway(struct conf *c, const struct conf_container *cont,
			 const struct conf_addr *gw, const struct conf_addr *local, const char *sfx)
{
	char a[INET6_ADDRSTRLEN + 4], b[INET6_ADDRSTRLEN + 4];

	if (!gw->family)
		return 0;
	/* In host-address mode the default route goes via HostAddress; a gateway only makes
	 * sense behind a bridge. */
	if (!cont->veth.host_bridge)
		return conf_error(c, cont->line, "Gateway%s= needs HostBridge=", sfx);
	if (!local->family)
		return conf_error(c, cont->line, "Gateway%s= needs LocalAddress%s=", sfx, sfx);
	if (!conf_addr_in_prefix(gw, local)) {
		(void)inet_ntop(gw->family, &gw->addr, a, sizeof(a));
		return conf_error(c, cont->line, "Gateway%s %s is outside of LocalAddress%s %s", sfx,
				  a, sfx, conf_addr_to_string(local, b, sizeof(b)));
	}
	return 0;
}

/*
 * Where a forward goes: a HOSTADDR of one family is DNATed to the LocalAddress of that family;
 * an unqualified forward is DNATed to LocalAddress if set and to LocalAddress6 if set, so it
 * needs at least one of them.
 */
static int check_forward_target(struct conf *c, const struct conf_container *cont,
				const struct conf_forward *f)
{
	const struct conf_veth *v = &cont->veth;

	if (f->host_addr.family == AF_INET && !v->local_addr4.family)
		return conf_error(c, f->line, "ForwardPort needs LocalAddress in [Container %s]",
				  cont->name);
	if (f->host_addr.family == AF_INET6 && !v->local_addr6.family)
		return conf_error(c, f->line, "ForwardPort needs LocalAddress6 in [Container %s]",
				  cont->name);
	if (!f->host_addr.family && !v->local_addr4.family && !v->local_addr6.family)
		return conf_error(c, f->line,
				  "ForwardPort needs LocalAddress or LocalAddress6 in [Container %s]",
				  cont->name);
	return 0;
}

/* Two forwards take the same packets when protocol, some port and the address agree;
 * an unqualified forward matches every host address. */
static bool forwards_clash(const struct conf_forward *a, const struct conf_forward *b)
{
	if (a->protocol != b->protocol)
		return false;
	if (a->host_port > b->host_port_end || b->host_port > a->host_port_end)
		return false;
	if (!a->host_addr.family || !b->host_addr.family)
		return true;
	return a->host_addr.family == b->host_addr.family &&
	       memcmp(&a->host_addr.addr, &b->host_addr.addr, sizeof(a->host_addr.addr)) == 0;
}

/* Compare forward fi of container ci with every forward before it in file order. */
static int check_forward_unique(struct conf *c, size_t ci, size_t fi)
{
	const struct conf_forward *f = &c->containers[ci].forwards[fi];

	for (size_t i = 0; i <= ci; i++) {
		const struct conf_container *o = &c->containers[i];
		size_t n = i == ci ? fi : o->n_forwards;

		for (size_t j = 0; j < n; j++) {
			const struct conf_forward *g = &o->forwards[j];

			if (!forwards_clash(f, g))
				continue;
			return conf_error(c, f->line,
					  "host port %s/%u is already forwarded by container \"%s\" (line %u)",
					  f->protocol == IPPROTO_UDP ? "udp" : "tcp",
					  f->host_port > g->host_port ? f->host_port : g->host_port,
					  o->name, g->line);
		}
	}
	return 0;
}

static int check_container(struct conf *c, size_t ci)
{
	const struct conf_container *cont = &c->containers[ci];
	int r;

	r = check_veth_mode(c, cont->line, &cont->veth);
	if (r >= 0)
		r = check_gateway(c, cont, &cont->gateway4, &cont->veth.local_addr4, "");
	if (r >= 0)
		r = check_gateway(c, cont, &cont->gateway6, &cont->veth.local_addr6, "6");
	for (size_t i = 0; r >= 0 && i < cont->n_forwards; i++) {
		r = check_forward_target(c, cont, &cont->forwards[i]);
		if (r >= 0)
			r = check_forward_unique(c, ci, i);
	}
	return r;
}

/* A link of the model, for the checks that compare all of them. */
struct link_ref {
	const char *kind; /* "container" or "extra veth" */
	const char *name;
	unsigned line;
	const struct conf_veth *veth;
};

static size_t collect_links(const struct conf *c, struct link_ref *refs)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n_containers; i++)
		refs[n++] = (struct link_ref){ "container", c->containers[i].name,
					       c->containers[i].line, &c->containers[i].veth };
	for (size_t i = 0; i < c->n_extras; i++)
		refs[n++] = (struct link_ref){ "extra veth", c->extras[i].name, c->extras[i].line,
					       &c->extras[i].veth };
	return n;
}

static bool same_host(const struct conf_addr *a, const struct conf_addr *b)
{
	return a->family && a->family == b->family &&
	       memcmp(&a->addr, &b->addr, sizeof(a->addr)) == 0;
}

/* Each container-side address routes to exactly one link; two users would steal traffic. */
static int check_local_unique(struct conf *c, const struct link_ref *refs, size_t i, bool v6)
{
	const struct conf_addr *a = v6 ? &refs[i].veth->local_addr6 : &refs[i].veth->local_addr4;
	char buf[INET6_ADDRSTRLEN];

	for (size_t j = 0; j < i; j++) {
		if (!same_host(a, v6 ? &refs[j].veth->local_addr6 : &refs[j].veth->local_addr4))
			continue;
		(void)inet_ntop(a->family, &a->addr, buf, sizeof(buf));
		return conf_error(c, refs[i].line,
				  "LocalAddress%s %s is already used by %s \"%s\" (line %u)",
				  v6 ? "6" : "", buf, refs[j].kind, refs[j].name, refs[j].line);
	}
	return 0;
}

/* The kernel names (possibly shortened) of host links must differ. */
static int check_ifname_unique(struct conf *c, const struct link_ref *refs, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (strcmp(refs[i].veth->ifname, refs[j].veth->ifname) == 0)
			return conf_error(c, refs[i].line,
					  "link name \"%s\" of %s \"%s\" is already used by %s \"%s\" (line %u)",
					  refs[i].veth->ifname, refs[i].kind, refs[i].name,
					  refs[j].kind, refs[j].name, refs[j].line);
	return 0;
}

static int check_links(struct conf *c)
{
	_cleanup_free_ struct link_ref *refs = NULL;
	size_t n;
	int r = 0;

	refs = calloc(c->n_containers + c->n_extras + 1, sizeof(*refs));
	if (!refs)
		return -ENOMEM;
	n = collect_links(c, refs);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		r = check_local_unique(c, refs, i, false);
		if (r >= 0)
			r = check_local_unique(c, refs, i, true);
		if (r >= 0)
			r = check_ifname_unique(c, refs, i);
	}
	return r;
}

/* Fill ifname (shortened as nspawn does) and altname (the full name, when shortened). */
static int set_link_name(struct conf *c, unsigned line, struct conf_veth *v, const char *full)
{
	int r;

	r = ifname_shorten(full, v->ifname);
	if (r < 0)
		return conf_error(c, line, "interface name \"%s\" is invalid", full);
	free(v->altname);
	v->altname = NULL;
	if (r > 0) {
		v->altname = strdup(full);
		if (!v->altname)
			return -ENOMEM;
	}
	return 0;
}

static int finish_container(struct conf *c, struct conf_container *cont)
{
	char full[IFNAME_ALT_MAX + 1];
	int r;

	if (!cont->directory &&
	    asprintf(&cont->directory, "/var/lib/containers/%s", cont->name) < 0) {
		cont->directory = NULL;
		return -ENOMEM;
	}
	r = ifname_container_host(cont->name, cont->veth.host_bridge, full, sizeof(full));
	if (r < 0)
		return conf_error(c, cont->line, "interface name for container \"%s\" is too long",
				  cont->name);
	return set_link_name(c, cont->line, &cont->veth, full);
}

static struct conf_container *find_container(struct conf *c, const char *name)
{
	for (size_t i = 0; i < c->n_containers; i++)
		if (strcmp(c->containers[i].name, name) == 0)
			return &c->containers[i];
	return NULL;
}

static int finish_extra(struct conf *c, struct conf_extra *e)
{
	struct conf_container *cont;
	struct conf_extra **slot;
	int r;

	r = set_link_name(c, e->line, &e->veth, e->name);
	if (r >= 0)
		r = check_veth_mode(c, e->line, &e->veth);
	if (r < 0)
		return r;
	/* Inside the container host0 becomes eth0 and lo exists: an extra veth keeps its name
	 * on both sides, so it must not take one of those. */
	if (strcmp(e->name, "lo") == 0 || strcmp(e->name, "host0") == 0 ||
	    strcmp(e->name, "eth0") == 0)
		return conf_error(c, e->line, "ExtraVeth \"%s\": name is reserved inside the container",
				  e->name);
	if (!e->container)
		return conf_error(c, e->line, "ExtraVeth needs Container=");
	cont = find_container(c, e->container);
	if (!cont)
		return conf_error(c, e->line, "ExtraVeth \"%s\": container \"%s\" is not declared",
				  e->name, e->container);
	slot = array_push(&cont->extras, &cont->n_extras, sizeof(*slot));
	if (!slot)
		return -ENOMEM;
	*slot = e;
	return 0;
}

int conf_check(struct conf *c)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && i < c->n_containers; i++)
		r = finish_container(c, &c->containers[i]);
	for (size_t i = 0; r >= 0 && i < c->n_extras; i++)
		r = finish_extra(c, &c->extras[i]);
	for (size_t i = 0; r >= 0 && i < c->n_containers; i++)
		r = check_container(c, i);
	if (r >= 0)
		r = check_links(c);
	return r;
}
