/* SPDX-License-Identifier: MIT */
/*
 * The pure planner, no kernel: desired + observed link give the expected ops, phase by phase;
 * folding ACKed ops into the cache converges; endpoint_desired() for DESIGN.md's host-address
 * and bridge modes; how apply_result() treats the kernel's answers.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>

#include "apply.h"
#include "conf.h"
#include "container.h"
#include "desired.h"
#include "reconcile.h"

#define IFX 7 /* the ifindex of the link under test */
#define MAX_ITEMS 8

/* ---- building blocks ------------------------------------------------------------------ */

static int family_of(const char *text)
{
	return strchr(text, ':') ? AF_INET6 : AF_INET;
}

/* "10.0.0.1/32" -> address, prefix length. */
static void parse_prefix(const char *text, union in_addr_union *ret, uint8_t *ret_len)
{
	char buf[INET6_ADDRSTRLEN + 4];
	char *slash;

	snprintf(buf, sizeof(buf), "%s", text);
	slash = strchr(buf, '/');
	cr_assert_not_null(slash, "test prefix %s without length", text);
	*slash = '\0';
	memset(ret, 0, sizeof(*ret));
	cr_assert_eq(inet_pton(family_of(buf), buf, ret), 1, "bad test address %s", text);
	*ret_len = (uint8_t)atoi(slash + 1);
}

static struct nl_addr mk_addr(const char *prefix, uint8_t protocol)
{
	struct nl_addr a = { .family = (uint8_t)family_of(prefix), .ifindex = IFX,
			     .protocol = protocol };

	parse_prefix(prefix, &a.addr, &a.prefixlen);
	return a;
}

/* "10.0.0.2/32" (on-link) or "default via 10.0.0.1". */
static struct nl_route mk_route(const char *spec, uint8_t protocol)
{
	struct nl_route r = { .family = (uint8_t)family_of(spec), .protocol = protocol,
			      .type = RTN_UNICAST, .table = RT_TABLE_MAIN, .oif = IFX };

	if (strncmp(spec, "default via ", 12) == 0) {
		cr_assert_eq(inet_pton(r.family, spec + 12, &r.gateway), 1, "%s", spec);
		r.has_gateway = true;
		r.scope = RT_SCOPE_UNIVERSE;
	} else {
		parse_prefix(spec, &r.dst, &r.dst_len);
		r.scope = RT_SCOPE_LINK;
	}
	return r;
}

static const char *addr_str(int family, const union in_addr_union *a, char *buf)
{
	return inet_ntop(family, a, buf, INET6_ADDRSTRLEN);
}

static void route_key(const struct nl_route *r, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (r->has_gateway && r->dst_len == 0)
		snprintf(buf, len, "default via %s", addr_str(r->family, &r->gateway, a));
	else
		snprintf(buf, len, "%s/%u", addr_str(r->family, &r->dst, a), r->dst_len);
}

static const char *link_state(const struct op *op)
{
	if (!(op->link.change & IFF_UP))
		return "keep";
	return op->link.flags & IFF_UP ? "up" : "down";
}

/* An op as "TYPE key": the fields that say what it does, not how it is encoded. */
static void op_key(const struct op *op, char *buf, size_t len)
{
	static const char *const names[] = {
		[OP_LINK_SET] = "LINK_SET",   [OP_ADDR_ADD] = "ADDR_ADD",
		[OP_ADDR_DEL] = "ADDR_DEL",   [OP_ROUTE_ADD] = "ROUTE_ADD",
		[OP_ROUTE_DEL] = "ROUTE_DEL",
	};
	char a[INET6_ADDRSTRLEN], k[64] = "";

	switch (op->type) {
	case OP_LINK_SET:
		if (op->link.master >= 0)
			snprintf(k, sizeof(k), " master=%d", op->link.master);
		snprintf(buf, len, "LINK_SET%s%s %s%s", op->link.name[0] ? " name=" : "",
			 op->link.name, link_state(op), k);
		break;
	case OP_ADDR_ADD:
	case OP_ADDR_DEL:
		snprintf(buf, len, "%s %s/%u", names[op->type],
			 addr_str(op->addr.family, &op->addr.addr, a), op->addr.prefixlen);
		break;
	case OP_ROUTE_ADD:
	case OP_ROUTE_DEL:
		route_key(&op->route, k, sizeof(k));
		snprintf(buf, len, "%s %s", names[op->type], k);
		break;
	default:
		snprintf(buf, len, "op %d", op->type);
	}
}

/* ---- reconcile tables ----------------------------------------------------------------- */

enum want_kind { HOST, INSIDE, BRIDGE_PORT, RELEASE, RELEASE_PORT };

/* The web container of DESIGN.md on link IFX, written out by hand (not via endpoint_desired). */
static void desired_for(enum want_kind kind, struct desired *d)
{
	memset(d, 0, sizeof(*d));
	d->manage_link = kind != RELEASE && kind != RELEASE_PORT;
	d->master = -1;
	switch (kind) {
	case HOST:
		d->addrs[d->n_addrs++] = mk_addr("10.0.0.1/32", NETD_PROTO);
		d->addrs[d->n_addrs++] = mk_addr("fd00::1/128", NETD_PROTO);
		d->routes[d->n_routes++] = mk_route("10.0.0.2/32", NETD_PROTO);
		d->routes[d->n_routes++] = mk_route("fd00::2/128", NETD_PROTO);
		break;
	case INSIDE:
		d->name = "eth0";
		d->addrs[d->n_addrs++] = mk_addr("10.0.0.2/32", NETD_PROTO);
		d->routes[d->n_routes++] = mk_route("10.0.0.1/32", NETD_PROTO);
		d->routes[d->n_routes++] = mk_route("default via 10.0.0.1", NETD_PROTO);
		break;
	case BRIDGE_PORT:
		d->master = 5;
		break;
	case RELEASE:
		break;
	case RELEASE_PORT:
		d->master = 0; /* still in the bridge its declaration named */
		break;
	}
}

struct item {
	const char *text; /* address prefix or route spec; NULL ends the list */
	uint8_t protocol;
};

static const struct reconcile_case {
	const char *name;
	enum want_kind kind;
	const char *ifname;
	unsigned flags;
	int master;
	struct item addrs[MAX_ITEMS], routes[MAX_ITEMS];
	const char *want[MAX_ITEMS]; /* op keys of the first plan, in any order */
	unsigned rounds;             /* plans with ops until the plan is empty */
} reconcile_cases[] = {
	{ "link down: only set up first", HOST, "ve-web", 0, 0, {}, {},
	  { "LINK_SET up" }, 3 },
	{ "rename host0 when down: name and up at once", INSIDE, "host0", 0, 0, {}, {},
	  { "LINK_SET name=eth0 up" }, 4 },
	{ "rename when up: set down first", INSIDE, "host0", IFF_UP, 0, {}, {},
	  { "LINK_SET down" }, 5 },
	{ "master missing", BRIDGE_PORT, "vb-db", IFF_UP, 0, {}, {},
	  { "LINK_SET up master=5" }, 1 },
	{ "wrong master", BRIDGE_PORT, "vb-db", IFF_UP, 9, {}, {}, { "LINK_SET up master=5" }, 1 },
	{ "master missing and down", BRIDGE_PORT, "vb-db", 0, 0, {}, {},
	  { "LINK_SET up master=5" }, 1 },
	{ "bridge port converged", BRIDGE_PORT, "vb-db", IFF_UP, 5, {}, {}, {}, 0 },
	{ "addresses missing: only addresses", HOST, "ve-web", IFF_UP, 0, {}, {},
	  { "ADDR_ADD 10.0.0.1/32", "ADDR_ADD fd00::1/128" }, 2 },
	{ "one address missing: no routes yet", HOST, "ve-web", IFF_UP, 0,
	  { { "10.0.0.1/32", NETD_PROTO } }, {}, { "ADDR_ADD fd00::1/128" }, 2 },
	{ "stale netd address removed", HOST, "ve-web", IFF_UP, 0,
	  { { "10.0.0.1/32", NETD_PROTO }, { "fd00::1/128", NETD_PROTO },
	    { "10.0.0.9/32", NETD_PROTO } },
	  { { "10.0.0.2/32", NETD_PROTO }, { "fd00::2/128", NETD_PROTO } },
	  { "ADDR_DEL 10.0.0.9/32" }, 1 },
	{ "admin's and kernel's addresses kept", HOST, "ve-web", IFF_UP, 0,
	  { { "10.0.0.1/32", NETD_PROTO }, { "fd00::1/128", NETD_PROTO },
	    { "192.0.2.1/24", IFAPROT_UNSPEC }, { "fe80::1/64", IFAPROT_KERNEL_LL } },
	  {}, { "ROUTE_ADD 10.0.0.2/32", "ROUTE_ADD fd00::2/128" }, 1 },
	{ "address already there by the admin counts", HOST, "ve-web", IFF_UP, 0,
	  { { "10.0.0.1/32", IFAPROT_UNSPEC }, { "fd00::1/128", IFAPROT_UNSPEC } },
	  { { "10.0.0.2/32", NETD_PROTO }, { "fd00::2/128", NETD_PROTO } }, {}, 0 },
	{ "on-link routes before gateway routes", INSIDE, "eth0", IFF_UP, 0,
	  { { "10.0.0.2/32", NETD_PROTO } }, {}, { "ROUTE_ADD 10.0.0.1/32" }, 2 },
	{ "gateway route once on-link route is there", INSIDE, "eth0", IFF_UP, 0,
	  { { "10.0.0.2/32", NETD_PROTO } }, { { "10.0.0.1/32", NETD_PROTO } },
	  { "ROUTE_ADD default via 10.0.0.1" }, 1 },
	{ "stale netd route removed", INSIDE, "eth0", IFF_UP, 0,
	  { { "10.0.0.2/32", NETD_PROTO } },
	  { { "10.0.0.1/32", NETD_PROTO }, { "default via 10.0.0.1", NETD_PROTO },
	    { "10.0.0.9/32", NETD_PROTO } },
	  { "ROUTE_DEL 10.0.0.9/32" }, 1 },
	{ "stale netd gateway route removed", INSIDE, "eth0", IFF_UP, 0,
	  { { "10.0.0.2/32", NETD_PROTO } },
	  { { "10.0.0.1/32", NETD_PROTO }, { "default via 10.0.0.1", NETD_PROTO },
	    { "default via 10.0.0.254", NETD_PROTO } },
	  { "ROUTE_DEL default via 10.0.0.254" }, 1 },
	{ "converged host side: no writes", HOST, "ve-web", IFF_UP | IFF_RUNNING, 0,
	  { { "10.0.0.1/32", NETD_PROTO }, { "fd00::1/128", NETD_PROTO },
	    { "fe80::1/64", IFAPROT_KERNEL_LL } },
	  { { "10.0.0.2/32", NETD_PROTO }, { "fd00::2/128", NETD_PROTO },
	    { "fe80::/64", RTPROT_KERNEL } },
	  {}, 0 },
	{ "converged inside, admin's route kept", INSIDE, "eth0", IFF_UP, 0,
	  { { "10.0.0.2/32", NETD_PROTO } },
	  { { "10.0.0.1/32", NETD_PROTO }, { "default via 10.0.0.1", NETD_PROTO },
	    { "198.51.100.0/24", RTPROT_BOOT } },
	  {}, 0 },
	{ "release: only netd's address first, link untouched", RELEASE, "ve-old", 0, 3,
	  { { "10.0.0.1/32", NETD_PROTO }, { "192.0.2.1/24", IFAPROT_UNSPEC } },
	  { { "10.0.0.2/32", NETD_PROTO }, { "198.51.100.0/24", RTPROT_BOOT } },
	  { "ADDR_DEL 10.0.0.1/32" }, 2 },
	{ "release: netd's routes", RELEASE, "ve-old", IFF_UP, 0,
	  { { "192.0.2.1/24", IFAPROT_UNSPEC } },
	  { { "10.0.0.2/32", NETD_PROTO }, { "default via 10.0.0.1", NETD_PROTO },
	    { "198.51.100.0/24", RTPROT_BOOT } },
	  { "ROUTE_DEL 10.0.0.2/32", "ROUTE_DEL default via 10.0.0.1" }, 1 },
	{ "release: the port leaves the declared bridge, and only that", RELEASE_PORT, "vb-old",
	  IFF_UP, 5, {}, {}, { "LINK_SET keep master=0" }, 1 },
	{ "release: the port leaves the bridge even when down", RELEASE_PORT, "vb-old", 0, 5,
	  { { "10.0.0.1/32", NETD_PROTO } }, {}, { "LINK_SET keep master=0" }, 2 },
	{ "release: nothing of netd's left", RELEASE, "ve-old", 0, 0,
	  { { "192.0.2.1/24", IFAPROT_UNSPEC } }, { { "198.51.100.0/24", RTPROT_BOOT } }, {}, 0 },
};

static void cache_link_init(struct cache_link *cl, const struct reconcile_case *c)
{
	memset(cl, 0, sizeof(*cl));
	cl->link.ifindex = IFX;
	snprintf(cl->link.name, sizeof(cl->link.name), "%s", c->ifname);
	cl->link.flags = c->flags;
	cl->link.master = c->master;
	for (const struct item *i = c->addrs; i->text; i++) {
		struct nl_addr a = mk_addr(i->text, i->protocol);

		cr_assert_eq(cache_link_addr_add(cl, &a), 1, "case %s: %s", c->name, i->text);
	}
	for (const struct item *i = c->routes; i->text; i++) {
		struct nl_route r = mk_route(i->text, i->protocol);

		cr_assert_eq(cache_link_route_add(cl, &r), 1, "case %s: %s", c->name, i->text);
	}
}

static void cache_link_clear(struct cache_link *cl)
{
	nl_link_done(&cl->link);
	free(cl->addrs);
	free(cl->routes);
}

/* The ops of one plan as the expected set: same count, each expected key exactly once. */
static void expect_ops(const struct op_list *ops, const char *const *want, const char *name)
{
	size_t n_want = 0;
	bool used[OPS_MAX] = {};

	while (n_want < MAX_ITEMS && want[n_want])
		n_want++;
	cr_expect_eq(ops->n, n_want, "case %s: %zu ops, expected %zu", name, ops->n, n_want);
	for (size_t i = 0; i < ops->n; i++) {
		char key[128];
		bool found = false;

		op_key(&ops->ops[i], key, sizeof(key));
		for (size_t j = 0; j < n_want && !found; j++)
			if (!used[j] && strcmp(key, want[j]) == 0)
				found = used[j] = true;
		cr_expect(found, "case %s: unexpected op \"%s\"", name, key);
		cr_expect_eq(ops->ops[i].ifindex, IFX, "case %s: %s: ifindex", name, key);
	}
}

Test(reconcile, first_plan)
{
	for (size_t i = 0; i < ARRAY_SIZE(reconcile_cases); i++) {
		const struct reconcile_case *c = &reconcile_cases[i];
		struct cache_link cl;
		struct desired d;
		struct op_list ops;

		desired_for(c->kind, &d);
		cache_link_init(&cl, c);
		memset(&ops, 0x5a, sizeof(ops));
		reconcile_link(&d, &cl, &ops);
		expect_ops(&ops, c->want, c->name);
		/* What gets added carries netd's mark, so a later plan may remove it again. */
		for (size_t j = 0; j < ops.n; j++) {
			if (ops.ops[j].type == OP_ADDR_ADD)
				cr_expect_eq(ops.ops[j].addr.protocol, NETD_PROTO, "case %s",
					     c->name);
			if (ops.ops[j].type == OP_ROUTE_ADD) {
				cr_expect_eq(ops.ops[j].route.protocol, NETD_PROTO, "case %s",
					     c->name);
				cr_expect_eq(ops.ops[j].route.oif, IFX, "case %s", c->name);
			}
		}
		cache_link_clear(&cl);
	}
}

static bool has_addr(const struct nl_addr *list, size_t n, const struct nl_addr *a)
{
	for (size_t i = 0; i < n; i++)
		if (cache_addr_equal(&list[i], a))
			return true;
	return false;
}

static bool has_route(const struct nl_route *list, size_t n, const struct nl_route *r)
{
	for (size_t i = 0; i < n; i++)
		if (cache_route_equal(&list[i], r))
			return true;
	return false;
}

static bool foreign_addr(const struct reconcile_case *c, const struct nl_addr *a)
{
	for (const struct item *it = c->addrs; it->text; it++) {
		struct nl_addr f = mk_addr(it->text, it->protocol);

		if (it->protocol != NETD_PROTO && cache_addr_equal(&f, a))
			return true;
	}
	return false;
}

static bool foreign_route(const struct reconcile_case *c, const struct nl_route *r)
{
	for (const struct item *it = c->routes; it->text; it++) {
		struct nl_route f = mk_route(it->text, it->protocol);

		if (it->protocol != NETD_PROTO && cache_route_equal(&f, r))
			return true;
	}
	return false;
}

/* After convergence: everything desired is there, everyone else's is still there, and
 * nothing else is. */
static void expect_final_objects(const struct cache_link *cl, const struct desired *d,
				 const struct reconcile_case *c)
{
	char key[64];

	for (size_t j = 0; j < d->n_addrs; j++)
		cr_expect(has_addr(cl->addrs, cl->n_addrs, &d->addrs[j]),
			  "case %s: desired address %zu missing", c->name, j);
	for (size_t j = 0; j < d->n_routes; j++) {
		route_key(&d->routes[j], key, sizeof(key));
		cr_expect(has_route(cl->routes, cl->n_routes, &d->routes[j]),
			  "case %s: desired route %s missing", c->name, key);
	}
	for (const struct item *it = c->addrs; it->text; it++) {
		struct nl_addr a = mk_addr(it->text, it->protocol);

		if (it->protocol != NETD_PROTO)
			cr_expect(has_addr(cl->addrs, cl->n_addrs, &a), "case %s: %s removed",
				  c->name, it->text);
	}
	for (const struct item *it = c->routes; it->text; it++) {
		struct nl_route r = mk_route(it->text, it->protocol);

		if (it->protocol != NETD_PROTO)
			cr_expect(has_route(cl->routes, cl->n_routes, &r), "case %s: %s removed",
				  c->name, it->text);
	}
	for (size_t j = 0; j < cl->n_addrs; j++)
		cr_expect(has_addr(d->addrs, d->n_addrs, &cl->addrs[j]) ||
				  foreign_addr(c, &cl->addrs[j]),
			  "case %s: stale address %zu left", c->name, j);
	for (size_t j = 0; j < cl->n_routes; j++) {
		route_key(&cl->routes[j], key, sizeof(key));
		cr_expect(has_route(d->routes, d->n_routes, &cl->routes[j]) ||
				  foreign_route(c, &cl->routes[j]),
			  "case %s: stale route %s left", c->name, key);
	}
}

/*
 * The ACK loop without a kernel: plan, fold every op into the cache as its ACK would, plan
 * again. Each case converges to an empty plan in exactly its number of rounds, and the final
 * state is what the desired state says (while foreign objects and, on release, the link's
 * flags are untouched).
 */
Test(reconcile, converges)
{
	for (size_t i = 0; i < ARRAY_SIZE(reconcile_cases); i++) {
		const struct reconcile_case *c = &reconcile_cases[i];
		struct cache_link cl;
		struct desired d;
		struct op_list ops;
		unsigned rounds = 0;

		desired_for(c->kind, &d);
		cache_link_init(&cl, c);
		for (;;) {
			reconcile_link(&d, &cl, &ops);
			if (ops.n == 0 || rounds == 8)
				break;
			rounds++;
			for (size_t j = 0; j < ops.n; j++) {
				const struct op *op = &ops.ops[j];

				cr_expect(d.manage_link || op->type != OP_LINK_SET ||
						  (!op->link.change && !op->link.name[0]),
					  "case %s: released link renamed or set up/down", c->name);
				cr_assert_eq(apply_to_cache(&cl, &ops.ops[j]), 0, "case %s",
					     c->name);
			}
		}
		cr_expect_eq(rounds, c->rounds, "case %s: %u rounds", c->name, rounds);
		cr_expect_leq(rounds, 5, "case %s", c->name);
		if (d.manage_link) {
			cr_expect(cl.link.flags & IFF_UP, "case %s: not up", c->name);
			cr_expect_str_eq(cl.link.name, d.name ? d.name : c->ifname, "case %s",
					 c->name);
		} else {
			cr_expect_eq(cl.link.flags, c->flags, "case %s: flags touched", c->name);
		}
		cr_expect_eq(cl.link.master, d.master >= 0 ? d.master : c->master,
			     "case %s: master", c->name);
		expect_final_objects(&cl, &d, c);
		cache_link_clear(&cl);
	}
}

/* ---- endpoint_desired ----------------------------------------------------------------- */

static const char *const endpoint_conf =
	"[Container web]\n"
	"PrivateNetwork=yes\n"
	"HostAddress=10.0.0.1\n"
	"LocalAddress=10.0.0.2\n"
	"HostAddress6=fd00::1\n"
	"LocalAddress6=fd00::2\n"
	"\n"
	"[Container six]\n"
	"PrivateNetwork=yes\n"
	"HostAddress6=fd01::1\n"
	"LocalAddress6=fd01::2/64\n"
	"\n"
	"[Container db]\n"
	"PrivateNetwork=yes\n"
	"HostBridge=br0\n"
	"LocalAddress=192.168.100.11/24\n"
	"Gateway=192.168.100.1\n"
	"LocalAddress6=fd42::11/64\n"
	"Gateway6=fd42::1\n"
	"\n"
	"[ExtraVeth web-mgmt]\n"
	"Container=web\n"
	"HostAddress=10.99.0.1\n"
	"LocalAddress=10.99.0.2\n"
	"\n"
	"[ExtraVeth db-backup]\n"
	"Container=db\n"
	"HostBridge=br1\n"
	"LocalAddress=10.98.0.2/24\n";

static void expect_set(char got[][80], size_t n_got, const char *const *want, const char *what,
		       const char *name)
{
	size_t n_want = 0;
	bool used[MAX_ITEMS] = {};

	while (n_want < MAX_ITEMS && want[n_want])
		n_want++;
	cr_expect_eq(n_got, n_want, "case %s: %zu %s, expected %zu", name, n_got, what, n_want);
	for (size_t i = 0; i < n_got; i++) {
		bool found = false;

		for (size_t j = 0; j < n_want && !found; j++)
			if (!used[j] && strcmp(got[i], want[j]) == 0)
				found = used[j] = true;
		cr_expect(found, "case %s: unexpected %s \"%s\"", name, what, got[i]);
	}
}

Test(reconcile, desired_for_endpoints)
{
	static const struct {
		const char *name, *container;
		size_t ep;
		int ifindex, bridge;
		const char *want_name;
		int want_master;
		const char *addrs[MAX_ITEMS], *routes[MAX_ITEMS];
	} cases[] = {
		{ "host side, host-address mode", "web", 0, 7, 0, NULL, -1,
		  { "10.0.0.1/32", "fd00::1/128" },
		  { "10.0.0.2/32 scope link", "fd00::2/128 scope link" } },
		{ "inside, host-address mode", "web", 1, 2, 0, "eth0", -1,
		  { "10.0.0.2/32", "fd00::2/128" },
		  { "10.0.0.1/32 scope link", "fd00::1/128 scope link", "default via 10.0.0.1",
		    "default via fd00::1" } },
		{ "host side, v6 only", "six", 0, 7, 0, NULL, -1, { "fd01::1/128" },
		  { "fd01::2/128 scope link" } },
		{ "inside, v6 only with a prefix", "six", 1, 2, 0, "eth0", -1, { "fd01::2/64" },
		  { "fd01::1/128 scope link", "default via fd01::1" } },
		{ "bridge mode host side", "db", 0, 8, 5, NULL, 5, {}, {} },
		{ "bridge mode host side, bridge not there", "db", 0, 8, 0, NULL, -1, {}, {} },
		{ "bridge mode inside", "db", 1, 3, 5, "eth0", -1,
		  { "192.168.100.11/24", "fd42::11/64" },
		  { "default via 192.168.100.1", "default via fd42::1" } },
		{ "extra veth host side", "web", 2, 9, 0, NULL, -1, { "10.99.0.1/32" },
		  { "10.99.0.2/32 scope link" } },
		{ "extra veth inside: no default route", "web", 3, 4, 0, "web-mgmt", -1,
		  { "10.99.0.2/32" }, { "10.99.0.1/32 scope link" } },
		{ "bridged extra veth host side", "db", 2, 10, 6, NULL, 6, {}, {} },
		{ "bridged extra veth inside: no gateway", "db", 3, 5, 6, "db-backup", -1,
		  { "10.98.0.2/24" }, {} },
	};
	struct conf *conf = NULL;
	int r = conf_parse_string("t.conf", endpoint_conf, &conf);

	for (size_t i = 0; r != 0 && conf && i < conf->n_errors; i++)
		cr_log_error("%s", conf->errors[i]);
	cr_assert_eq(r, 0);
	/* the runtime objects exactly as netd builds them for a conf generation */
	struct container *cts = NULL;
	cr_assert_eq(container_table_new(conf, &cts), 0);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct conf_container *cc = conf_find_container(conf, cases[i].container);
		char addrs[DESIRED_MAX][80], routes[DESIRED_MAX][80], a[INET6_ADDRSTRLEN];
		const struct container *ct;
		struct desired d;

		cr_assert_not_null(cc, "case %s", cases[i].name);
		ct = &cts[cc - conf->containers];
		cr_assert_lt(cases[i].ep, ct->n_eps, "case %s", cases[i].name);
		struct desired_bridge mem = {};
		struct desired_input in = { .ep = &ct->eps[cases[i].ep],
					    .ifindex = cases[i].ifindex,
					    .bridge_ifindex = cases[i].bridge };

		memset(&d, 0x5a, sizeof(d));
		desired_for_link(&in, &mem, &d);

		cr_expect(d.manage_link, "case %s", cases[i].name);
		cr_expect(streq_ptr(d.name, cases[i].want_name), "case %s: name %s", cases[i].name,
			  strna(d.name));
		cr_expect_eq(d.master, cases[i].want_master, "case %s: master", cases[i].name);
		cr_assert_leq(d.n_addrs, DESIRED_MAX, "case %s", cases[i].name);
		cr_assert_leq(d.n_routes, DESIRED_MAX, "case %s", cases[i].name);
		for (size_t j = 0; j < d.n_addrs; j++) {
			const struct nl_addr *ad = &d.addrs[j];

			snprintf(addrs[j], sizeof(addrs[j]), "%s/%u",
				 addr_str(ad->family, &ad->addr, a), ad->prefixlen);
			cr_expect_eq(ad->ifindex, cases[i].ifindex, "case %s: %s", cases[i].name,
				     addrs[j]);
			cr_expect_eq(ad->protocol, NETD_PROTO, "case %s: %s", cases[i].name,
				     addrs[j]);
		}
		for (size_t j = 0; j < d.n_routes; j++) {
			const struct nl_route *rt = &d.routes[j];
			char key[64];

			route_key(rt, key, sizeof(key));
			snprintf(routes[j], sizeof(routes[j]), "%s%s", key,
				 rt->scope == RT_SCOPE_LINK ? " scope link" : "");
			cr_expect_eq(rt->oif, cases[i].ifindex, "case %s: %s", cases[i].name, key);
			cr_expect_eq(rt->protocol, NETD_PROTO, "case %s: %s", cases[i].name, key);
			cr_expect_eq(rt->table, RT_TABLE_MAIN, "case %s: %s", cases[i].name, key);
			cr_expect_eq(rt->type, RTN_UNICAST, "case %s: %s", cases[i].name, key);
			cr_expect(rt->scope == RT_SCOPE_LINK || rt->scope == RT_SCOPE_UNIVERSE,
				  "case %s: %s: scope %u", cases[i].name, key, rt->scope);
			/* Both kinds must be kept in the cache, or netd re-adds them forever. */
			cr_expect(cache_route_relevant(rt), "case %s: %s", cases[i].name, key);
		}
		expect_set(addrs, d.n_addrs, cases[i].addrs, "addresses", cases[i].name);
		expect_set(routes, d.n_routes, cases[i].routes, "routes", cases[i].name);
	}
	container_table_free(cts, conf->n_containers);
	conf_free(conf);
}

/* ---- apply ---------------------------------------------------------------------------- */

Test(reconcile, result)
{
	static const struct {
		const char *name;
		enum op_type type;
		int error, want;
	} cases[] = {
		{ "address add ok", OP_ADDR_ADD, 0, 0 },
		{ "address add exists", OP_ADDR_ADD, -EEXIST, 0 },
		{ "address add invalid", OP_ADDR_ADD, -EINVAL, -EINVAL },
		{ "address add no device", OP_ADDR_ADD, -ENODEV, -ENODEV },
		{ "route add exists", OP_ROUTE_ADD, -EEXIST, 0 },
		{ "route add unreachable", OP_ROUTE_ADD, -ENETUNREACH, -ENETUNREACH },
		{ "route add link down", OP_ROUTE_ADD, -ENETDOWN, -ENETDOWN },
		{ "address delete gone (v6)", OP_ADDR_DEL, -ENOENT, 0 },
		{ "address delete gone (v4)", OP_ADDR_DEL, -EADDRNOTAVAIL, 0 },
		{ "address delete not permitted", OP_ADDR_DEL, -EPERM, -EPERM },
		{ "address delete exists?", OP_ADDR_DEL, -EEXIST, -EEXIST },
		{ "route delete gone", OP_ROUTE_DEL, -ESRCH, 0 },
		{ "route delete gone (ENOENT)", OP_ROUTE_DEL, -ENOENT, 0 },
		{ "route delete invalid", OP_ROUTE_DEL, -EINVAL, -EINVAL },
		{ "link set ok", OP_LINK_SET, 0, 0 },
		{ "link set name taken", OP_LINK_SET, -EEXIST, -EEXIST },
		{ "link set busy", OP_LINK_SET, -EBUSY, -EBUSY },
		{ "link set gone", OP_LINK_SET, -ENODEV, -ENODEV },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct op op = { .type = cases[i].type, .ifindex = IFX };

		cr_expect_eq(reconcile_result(&op, cases[i].error), cases[i].want, "case %s",
			     cases[i].name);
	}
}

/* The request each op becomes: right type and flags, and the payload the parsers read back. */
Test(reconcile, apply_build)
{
	struct op ops[] = {
		{ .type = OP_ADDR_ADD, .ifindex = IFX, .addr = mk_addr("fd00::1/128", NETD_PROTO) },
		{ .type = OP_ADDR_DEL, .ifindex = IFX, .addr = mk_addr("10.0.0.9/32", NETD_PROTO) },
		{ .type = OP_ROUTE_ADD, .ifindex = IFX,
		  .route = mk_route("default via 10.0.0.1", NETD_PROTO) },
		{ .type = OP_ROUTE_DEL, .ifindex = IFX,
		  .route = mk_route("10.0.0.2/32", NETD_PROTO) },
		{ .type = OP_LINK_SET, .ifindex = IFX,
		  .link = { .name = "eth0", .flags = IFF_UP, .change = IFF_UP, .master = -1 } },
	};
	static const uint16_t want_type[] = { RTM_NEWADDR, RTM_DELADDR, RTM_NEWROUTE, RTM_DELROUTE,
					      RTM_NEWLINK };
	static const uint16_t want_flags[] = {
		NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
		NLM_F_REQUEST | NLM_F_ACK,
		NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
		NLM_F_REQUEST | NLM_F_ACK,
		NLM_F_REQUEST | NLM_F_ACK,
	};

	for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
		_Alignas(8) char buf[NLMSG_BUF_SIZE];
		struct nlmsghdr *nlh = apply_build(&ops[i], buf);
		char key[128];
		struct nl_addr a;
		struct nl_route r;
		struct nl_link l;

		op_key(&ops[i], key, sizeof(key));
		cr_expect_eq(nlh->nlmsg_type, want_type[i], "case %s", key);
		cr_expect_eq(nlh->nlmsg_flags, want_flags[i], "case %s: flags %#x", key,
			     nlh->nlmsg_flags);
		switch (ops[i].type) {
		case OP_ADDR_ADD:
		case OP_ADDR_DEL:
			cr_assert_eq(nlmsg_parse_addr(nlh, &a), 0, "case %s", key);
			cr_expect(cache_addr_equal(&a, &ops[i].addr), "case %s", key);
			cr_expect_eq(a.ifindex, IFX, "case %s", key);
			break;
		case OP_ROUTE_ADD:
		case OP_ROUTE_DEL:
			cr_assert_eq(nlmsg_parse_route(nlh, &r), 0, "case %s", key);
			cr_expect(cache_route_equal(&r, &ops[i].route), "case %s", key);
			cr_expect_eq(r.oif, IFX, "case %s", key);
			cr_expect_eq(r.protocol, NETD_PROTO, "case %s", key);
			break;
		default:
			cr_assert_eq(nlmsg_parse_link(nlh, &l), 0, "case %s", key);
			cr_expect_str_eq(l.name, "eth0", "case %s", key);
			cr_expect_eq(l.flags, IFF_UP, "case %s", key);
			cr_expect_eq(l.master, 0, "case %s: no IFLA_MASTER", key);
			nl_link_done(&l);
			break;
		}
	}
}

Test(reconcile, op_describe)
{
	struct op ops[] = {
		{ .type = OP_ADDR_ADD, .addr = mk_addr("10.0.0.1/32", NETD_PROTO) },
		{ .type = OP_ADDR_DEL, .addr = mk_addr("fd00::1/128", NETD_PROTO) },
		{ .type = OP_ROUTE_ADD, .route = mk_route("default via 10.0.0.1", NETD_PROTO) },
		{ .type = OP_ROUTE_DEL, .route = mk_route("fd00::2/128", NETD_PROTO) },
		{ .type = OP_LINK_SET, .link = { .name = "eth0", .flags = IFF_UP, .change = IFF_UP,
						 .master = -1 } },
		{ .type = OP_LINK_SET, .link = { .flags = 0, .change = IFF_UP, .master = -1 } },
		{ .type = OP_LINK_SET, .link = { .flags = IFF_UP, .change = IFF_UP, .master = 5 } },
	};
	static const char *const want[] = {
		"add address 10.0.0.1/32",
		"remove address fd00::1/128",
		"add route 0.0.0.0/0 via 10.0.0.1",
		"remove route fd00::2/128",
		"set link name eth0 up",
		"set link down",
		"set link up master",
	};

	for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
		char buf[128];

		cr_expect_str_eq(op_describe(&ops[i], buf, sizeof(buf)), want[i], "case %zu", i);
	}
	cr_expect_str_eq(op_type_to_string(OP_ROUTE_DEL), "remove route");
	cr_expect_null(op_type_to_string(_OP_TYPE_MAX));
	cr_expect_null(op_type_to_string(_OP_TYPE_INVALID));
}

/* ---- bridge membership across plans (desired_for_link's memory) ------------------------- */

Test(reconcile, bridge_release_policy)
{
	static const char *const conf_text = "[Container db]\n"
					     "PrivateNetwork=yes\n"
					     "HostBridge=br0\n"
					     "LocalAddress=192.168.100.11/24\n"
					     "[Container other]\n"
					     "PrivateNetwork=yes\n"
					     "HostBridge=br1\n";
	static const struct {
		const char *name;
		const char *container; /* NULL: the link is being released */
		int bridge_ifindex;    /* ifindex of the declared bridge, 0 when missing */
		int master;            /* the link's current master */
		int mem_ifindex;       /* memory before: bridge netd put it in */
		const char *mem_name;
		int want_master;       /* -1: leave as it is */
		int want_mem;
	} cases[] = {
		{ "declared bridge exists: enslave, remember it", "db", 5, 0, 0, "", 5, 5 },
		{ "already in it", "db", 5, 5, 5, "br0", 5, 5 },
		{ "declared bridge missing, never enslaved: wait", "db", 0, 0, 0, "", -1, 0 },
		{ "released while in the bridge netd put it in: leave it", NULL, 0, 5, 5, "br0", 0, 5 },
		{ "released, moved to another bridge by someone: leave that alone", NULL, 0, 6, 5,
		  "br0", -1, 0 },
		{ "released, never enslaved by netd", NULL, 0, 5, 0, "", -1, 0 },
		{ "HostBridge changed to a bridge not there yet: leave the old one", "other", 0, 5, 5,
		  "br0", 0, 5 },
		{ "HostBridge changed to an existing bridge: move", "other", 6, 5, 5, "br0", 6, 6 },
		{ "declared bridge renamed away (missing), still in it: keep the port", "db", 0, 5, 5,
		  "br0", -1, 5 },
	};
	struct conf *conf = NULL;
	struct container *cts = NULL;

	cr_assert_eq(conf_parse_string("t.conf", conf_text, &conf), 0);
	cr_assert_eq(container_table_new(conf, &cts), 0);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct conf_container *cc =
			cases[i].container ? conf_find_container(conf, cases[i].container) : NULL;
		struct desired_bridge mem = { .ifindex = cases[i].mem_ifindex };
		struct desired_input in = {
			.ep = cc ? &cts[cc - conf->containers].eps[0] : NULL,
			.ifindex = 9,
			.master = cases[i].master,
			.bridge_ifindex = cases[i].bridge_ifindex,
		};
		struct desired d;

		snprintf(mem.name, sizeof(mem.name), "%s", cases[i].mem_name);
		desired_for_link(&in, &mem, &d);
		cr_expect_eq(d.master, cases[i].want_master, "case \"%s\": master %d, want %d",
			     cases[i].name, d.master, cases[i].want_master);
		cr_expect_eq(mem.ifindex, cases[i].want_mem, "case \"%s\": memory %d, want %d",
			     cases[i].name, mem.ifindex, cases[i].want_mem);
		cr_expect_eq(d.manage_link, cc != NULL, "case \"%s\": manage_link", cases[i].name);
	}
	container_table_free(cts, conf->n_containers);
	conf_free(conf);
}

/* ---- what an answer means (reconcile_classify) ----------------------------------------- */

Test(reconcile, classify_answers)
{
	static const struct {
		const char *name;
		enum op_type type;
		int error;
		bool ours, stale_cache, overtaken, stale_config, master_gone;
		unsigned replans;
		enum reconcile_verdict want;
		int want_error;
	} cases[] = {
		{ "ACK", OP_ADDR_ADD, 0, true, false, false, false, false, 0, RECONCILE_DONE, 0 },
		{ "EEXIST of our own address", OP_ADDR_ADD, -EEXIST, true, false, false, false, false,
		  0, RECONCILE_DONE, 0 },
		{ "EEXIST of another object with that key", OP_ROUTE_ADD, -EEXIST, false, false,
		  false, false, false, 0, RECONCILE_FAILED, -EEXIST },
		{ "EEXIST while the cache awaits a re-dump", OP_ROUTE_ADD, -EEXIST, false, true, false,
		  false, false, 0, RECONCILE_DONE, 0 },
		{ "EEXIST of another object, link changed meanwhile", OP_ADDR_ADD, -EEXIST, false,
		  false, true, false, false, 0, RECONCILE_REPLAN, -EEXIST },
		{ "removing what is gone", OP_ADDR_DEL, -EADDRNOTAVAIL, true, false, false, false,
		  false, 0, RECONCILE_DONE, 0 },
		{ "route removal of a gone route", OP_ROUTE_DEL, -ESRCH, true, false, false, false,
		  false, 0, RECONCILE_DONE, 0 },
		{ "refusal, nothing changed: failure", OP_ROUTE_ADD, -ENETUNREACH, true, false, false,
		  false, false, 0, RECONCILE_FAILED, -ENETUNREACH },
		{ "refusal after a foreign change: replan", OP_ROUTE_ADD, -ENETUNREACH, true, false,
		  true, false, false, 0, RECONCILE_REPLAN, -ENETUNREACH },
		{ "refusal after a foreign change, cap reached: failure", OP_ROUTE_ADD, -ENETUNREACH,
		  true, false, true, false, false, RECONCILE_REPLANS_MAX, RECONCILE_FAILED,
		  -ENETUNREACH },
		{ "refusal under a replaced config: replan", OP_ADDR_ADD, -EINVAL, true, false, false,
		  true, false, 0, RECONCILE_REPLAN, -EINVAL },
		{ "enslaving to a bridge that went: replan", OP_LINK_SET, -EINVAL, true, false, false,
		  false, true, 1, RECONCILE_REPLAN, -EINVAL },
		{ "link set refused for good", OP_LINK_SET, -EBUSY, true, false, false, false, false,
		  0, RECONCILE_FAILED, -EBUSY },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct op op = { .type = cases[i].type, .ifindex = 3 };
		struct reconcile_answer a = {
			.op = &op,
			.error = cases[i].error,
			.exists_as_ours = cases[i].ours,
			.cache_stale = cases[i].stale_cache,
			.overtaken = cases[i].overtaken,
			.stale_config = cases[i].stale_config,
			.master_gone = cases[i].master_gone,
			.replans = cases[i].replans,
		};
		int r = 1;
		enum reconcile_verdict v = reconcile_classify(&a, &r);

		cr_expect_eq(v, cases[i].want, "case \"%s\": %s, want %s", cases[i].name,
			     reconcile_verdict_to_string(v),
			     reconcile_verdict_to_string(cases[i].want));
		cr_expect_eq(r, cases[i].want_error, "case \"%s\": error %d", cases[i].name, r);
	}
	cr_expect_null(reconcile_verdict_to_string(_RECONCILE_VERDICT_MAX));
}
