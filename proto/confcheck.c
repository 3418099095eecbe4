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

#define NONE SIZE_MAX

struct span_tree;
struct proto_spans;

/* One forward; an array of them in file order (containers in file order, each one's forwards
 * in order) is what a clash's "earlier" refers to. */
struct fwd_ref {
	const struct conf_forward *f;       /* borrowed: lifetime of the conf */
	const struct conf_container *cont; /* borrowed: its container */
	size_t clash; /* position of the first earlier forward taking the same packets, or NONE */
	bool overlaps; /* its port range overlaps another forward's of its protocol */
	struct span_tree *own;     /* borrowed: the set of its host address, or the unqualified */
	struct proto_spans *proto; /* borrowed: the sets of its protocol */
};

/*
 * Ports of one set of forwards and, per port, the first forward in file order whose range
 * covers it: a segment tree over the ports, combined by min. The ports kept are the start
 * ports of every forward that is marked in it or looked up: when two ranges overlap, the
 * larger of their start ports lies in both, so they always share one of those.
 */
struct span_tree {
	const uint16_t *ports; /* borrowed: sorted, distinct; a slice of fwd_index.ports */
	size_t n;
	size_t *all; /* borrowed: per node, the first forward covering all of its ports */
	size_t *any; /* borrowed: per node, the first forward covering any of its ports */
};

/* Per protocol: every forward, which an unqualified forward clashes with, and the unqualified
 * ones, which every forward clashes with; both over all start ports of the protocol. */
struct proto_spans {
	struct span_tree every, unqualified;
};

/* Leaves lo..hi (inclusive) and the position marked or asked for. */
struct span_op {
	size_t lo, hi, pos;
};

static size_t span_lower(const struct span_tree *t, unsigned port)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->ports[mid] < port)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct span_op span_op(const struct span_tree *t, const struct conf_forward *f,
			      size_t pos)
{
	/* f's start port is one of t's ports, so the range of leaves is never empty. */
	return (struct span_op){ span_lower(t, f->host_port),
				 span_lower(t, f->host_port_end + 1u) - 1, pos };
}

static void span_mark_node(struct span_tree *t, size_t node, size_t l, size_t r,
			   const struct span_op *op)
{
	size_t mid = l + (r - l) / 2;

	if (op->hi < l || r < op->lo)
		return;
	if (op->pos < t->any[node])
		t->any[node] = op->pos;
	if (op->lo <= l && r <= op->hi) {
		if (op->pos < t->all[node])
			t->all[node] = op->pos;
		return;
	}
	span_mark_node(t, 2 * node, l, mid, op);
	span_mark_node(t, 2 * node + 1, mid + 1, r, op);
}

static size_t span_first_node(const struct span_tree *t, size_t node, size_t l, size_t r,
			      const struct span_op *op)
{
	size_t mid = l + (r - l) / 2, first, other;

	if (op->hi < l || r < op->lo)
		return NONE;
	if (op->lo <= l && r <= op->hi)
		return t->any[node];
	/* A mark that covers this whole node covers the part asked about too. */
	first = t->all[node];
	other = span_first_node(t, 2 * node, l, mid, op);
	if (other < first)
		first = other;
	other = span_first_node(t, 2 * node + 1, mid + 1, r, op);
	return other < first ? other : first;
}

static void span_mark(struct span_tree *t, const struct conf_forward *f, size_t pos)
{
	struct span_op op = span_op(t, f, pos);

	span_mark_node(t, 1, 0, t->n - 1, &op);
}

/* The first forward marked in t whose range overlaps f's, or NONE. */
static size_t span_first(const struct span_tree *t, const struct conf_forward *f)
{
	struct span_op op = span_op(t, f, NONE);

	return span_first_node(t, 1, 0, t->n - 1, &op);
}

static int cmp_unsigned(unsigned a, unsigned b)
{
	return (a > b) - (a < b);
}

static int cmp_ptr(const void *a, const void *b)
{
	return (a > b) - (a < b);
}

/* Protocol, host address (all unqualified forwards count as one), start port, position. */
static int cmp_fwd_by_addr(const void *a, const void *b)
{
	const struct fwd_ref *x = *(struct fwd_ref *const *)a, *y = *(struct fwd_ref *const *)b;
	const struct conf_forward *f = x->f, *g = y->f;
	int r;

	r = cmp_unsigned(f->protocol, g->protocol);
	if (!r)
		r = cmp_unsigned(f->host_addr.family, g->host_addr.family);
	if (!r && f->host_addr.family)
		r = memcmp(&f->host_addr.addr, &g->host_addr.addr, sizeof(f->host_addr.addr));
	if (!r)
		r = cmp_unsigned(f->host_port, g->host_port);
	return r ? r : cmp_ptr(x, y);
}

/* Protocol, start port, position. */
static int cmp_fwd_by_port(const void *a, const void *b)
{
	const struct fwd_ref *x = *(struct fwd_ref *const *)a, *y = *(struct fwd_ref *const *)b;
	int r;

	r = cmp_unsigned(x->f->protocol, y->f->protocol);
	if (!r)
		r = cmp_unsigned(x->f->host_port, y->f->host_port);
	return r ? r : cmp_ptr(x, y);
}

static bool same_host_addr(const struct conf_forward *f, const struct conf_forward *g)
{
	return f->protocol == g->protocol && f->host_addr.family == g->host_addr.family &&
	       (!f->host_addr.family ||
		memcmp(&f->host_addr.addr, &g->host_addr.addr, sizeof(f->host_addr.addr)) == 0);
}

/* What the clash search allocates, all freed together. */
struct fwd_index {
	struct fwd_ref **sorted;   /* owned array of borrowed pointers */
	struct span_tree *trees;   /* owned: one per host address and protocol */
	struct proto_spans *protos; /* owned */
	uint16_t *ports;           /* owned: the trees' ports, at most two per forward */
	size_t *nodes;             /* owned: the trees' nodes */
	size_t n_trees, n_protos, n_ports, n_leaves;
};

static void fwd_index_done(struct fwd_index *x)
{
	free(x->sorted);
	free(x->trees);
	free(x->protos);
	free(x->ports);
	free(x->nodes);
}

/* The distinct start ports of sorted[s..e), which is in start port order. */
static void take_ports(struct fwd_index *x, size_t s, size_t e, struct span_tree *t)
{
	uint16_t *ports = x->ports + x->n_ports;

	t->ports = ports;
	t->n = 0;
	for (size_t i = s; i < e; i++)
		if (t->n == 0 || ports[t->n - 1] != x->sorted[i]->f->host_port)
			ports[t->n++] = x->sorted[i]->f->host_port;
	x->n_ports += t->n;
	x->n_leaves += t->n;
}

/*
 * Keep in x->sorted, in (protocol, start port) order, only the forwards whose range overlaps
 * another one of their protocol: the others clash with nothing and nothing clashes with them,
 * and in a valid config that is nearly all of them. Returns how many are kept. Sweeping in
 * start order, a forward overlaps an earlier one exactly when it starts before the furthest
 * end so far, and then it overlaps the forward with that end.
 */
static size_t keep_overlapping(struct fwd_index *x, size_t n)
{
	struct fwd_ref *furthest = NULL;
	size_t kept = 0;

	qsort(x->sorted, n, sizeof(*x->sorted), cmp_fwd_by_port);
	for (size_t i = 0; i < n; i++) {
		struct fwd_ref *ref = x->sorted[i];

		if (furthest && furthest->f->protocol != ref->f->protocol)
			furthest = NULL;
		if (furthest && ref->f->host_port <= furthest->f->host_port_end)
			furthest->overlaps = ref->overlaps = true;
		if (!furthest || ref->f->host_port_end > furthest->f->host_port_end)
			furthest = ref;
	}
	for (size_t i = 0; i < n; i++)
		if (x->sorted[i]->overlaps)
			x->sorted[kept++] = x->sorted[i];
	return kept;
}

/* x->sorted is in (protocol, start port) order. */
static void group_by_protocol(struct fwd_index *x, size_t n)
{
	for (size_t s = 0, e; s < n; s = e) {
		struct proto_spans *p = &x->protos[x->n_protos++];

		for (e = s + 1; e < n && x->sorted[e]->f->protocol == x->sorted[s]->f->protocol; e++)
			;
		take_ports(x, s, e, &p->every);
		p->unqualified = p->every;
		x->n_leaves += p->unqualified.n;
		for (size_t i = s; i < e; i++) {
			x->sorted[i]->proto = p;
			if (!x->sorted[i]->f->host_addr.family)
				x->sorted[i]->own = &p->unqualified;
		}
	}
}

/* One tree per host address and protocol; x->sorted ends up in that order. */
static void group_by_addr(struct fwd_index *x, size_t n)
{
	qsort(x->sorted, n, sizeof(*x->sorted), cmp_fwd_by_addr);
	for (size_t s = 0, e; s < n; s = e) {
		struct span_tree *t = &x->trees[x->n_trees];

		for (e = s + 1; e < n && same_host_addr(x->sorted[s]->f, x->sorted[e]->f); e++)
			;
		if (!x->sorted[s]->f->host_addr.family)
			continue;
		take_ports(x, s, e, t);
		for (size_t i = s; i < e; i++)
			x->sorted[i]->own = t;
		x->n_trees++;
	}
}

/* A segment tree over n leaves numbered from 1 uses fewer than 4n nodes. */
static void give_nodes(struct span_tree *t, size_t **next)
{
	t->all = *next;
	t->any = *next + 4 * t->n;
	*next += 8 * t->n;
}

static int alloc_nodes(struct fwd_index *x)
{
	size_t *next;

	x->nodes = malloc(8 * x->n_leaves * sizeof(*x->nodes));
	if (!x->nodes)
		return -ENOMEM;
	memset(x->nodes, 0xff, 8 * x->n_leaves * sizeof(*x->nodes)); /* NONE */
	next = x->nodes;
	for (size_t i = 0; i < x->n_trees; i++)
		give_nodes(&x->trees[i], &next);
	for (size_t i = 0; i < x->n_protos; i++) {
		give_nodes(&x->protos[i].every, &next);
		give_nodes(&x->protos[i].unqualified, &next);
	}
	return 0;
}

/*
 * Fill refs[].clash. Two forwards take the same packets when protocol, some port and the
 * address agree; an unqualified forward matches every host address. So an unqualified forward
 * is looked up among all earlier forwards of its protocol, an address-bound one among the
 * earlier ones on its address and the earlier unqualified ones. Walking in file order, the
 * trees hold exactly the earlier forwards, and min gives the first of them.
 */
static int find_forward_clashes(struct fwd_ref *refs, size_t n)
{
	_cleanup_(fwd_index_done) struct fwd_index x = {};
	size_t m;
	int r;

	if (n == 0)
		return 0;
	x.sorted = malloc(n * sizeof(*x.sorted));
	if (!x.sorted)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		x.sorted[i] = &refs[i];
	m = keep_overlapping(&x, n);
	if (m == 0)
		return 0;
	x.trees = malloc(m * sizeof(*x.trees));
	x.protos = malloc(m * sizeof(*x.protos));
	x.ports = malloc(2 * m * sizeof(*x.ports));
	if (!x.trees || !x.protos || !x.ports)
		return -ENOMEM;
	group_by_protocol(&x, m);
	group_by_addr(&x, m);
	r = alloc_nodes(&x);
	if (r < 0)
		return r;

	for (size_t i = 0; i < n; i++) {
		struct fwd_ref *ref = &refs[i];
		struct proto_spans *p = ref->proto;
		size_t other;

		if (!ref->overlaps)
			continue;
		if (ref->own == &p->unqualified) {
			ref->clash = span_first(&p->every, ref->f);
		} else {
			ref->clash = span_first(ref->own, ref->f);
			other = span_first(&p->unqualified, ref->f);
			if (other < ref->clash)
				ref->clash = other;
		}
		span_mark(ref->own, ref->f, i);
		span_mark(&p->every, ref->f, i);
	}
	return 0;
}

static int collect_forwards(const struct conf *c, struct fwd_ref **ret, size_t *ret_n)
{
	struct fwd_ref *refs;
	size_t n = 0;

	for (size_t i = 0; i < c->n_containers; i++)
		n += c->containers[i].n_forwards;
	refs = calloc(n + 1, sizeof(*refs));
	if (!refs)
		return -ENOMEM;
	n = 0;
	for (size_t i = 0; i < c->n_containers; i++)
		for (size_t j = 0; j < c->containers[i].n_forwards; j++)
			refs[n++] = (struct fwd_ref){ .f = &c->containers[i].forwards[j],
						      .cont = &c->containers[i],
						      .clash = NONE };
	*ret = refs;
	*ret_n = n;
	return 0;
}

static int report_forward_clash(struct conf *c, const struct fwd_ref *refs,
				const struct fwd_ref *ref)
{
	const struct conf_forward *f = ref->f, *g;
	_cleanup_free_ char *where = NULL;

	if (ref->clash == NONE)
		return 0;
	g = refs[ref->clash].f;
	where = conf_where(c, f->line, g->line);
	if (!where)
		return -ENOMEM;
	return conf_error(c, f->line,
			  "host port %s/%u is already forwarded by container \"%s\" (%s)",
			  f->protocol == IPPROTO_UDP ? "udp" : "tcp",
			  f->host_port > g->host_port ? f->host_port : g->host_port,
			  refs[ref->clash].cont->name, where);
}

/* fwd: the forwards of containers[ci] within refs, in their order. */
static int check_container(struct conf *c, size_t ci, const struct fwd_ref *refs,
			   const struct fwd_ref *fwd)
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
			r = report_forward_clash(c, refs, &fwd[i]);
	}
	return r;
}

static int check_containers(struct conf *c)
{
	_cleanup_free_ struct fwd_ref *refs = NULL;
	size_t n, pos = 0;
	int r;

	r = collect_forwards(c, &refs, &n);
	if (r >= 0)
		r = find_forward_clashes(refs, n);
	for (size_t i = 0; r >= 0 && i < c->n_containers; i++) {
		r = check_container(c, i, refs, refs + pos);
		pos += c->containers[i].n_forwards;
	}
	return r;
}

/* What two links must not share. */
enum {
	SAME_LOCAL4,
	SAME_LOCAL6,
	SAME_IFNAME,
	_SAME_MAX,
};

/* A link of the model, for the checks that compare all of them. */
struct link_ref {
	const char *kind; /* "container" or "extra veth" */
	const char *name;
	unsigned line;
	const struct conf_veth *veth;
	size_t same[_SAME_MAX]; /* the first earlier link sharing it, or NONE */
};

static size_t collect_links(const struct conf *c, struct link_ref *refs)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n_containers; i++)
		refs[n++] = (struct link_ref){ .kind = "container", .name = c->containers[i].name,
					       .line = c->containers[i].line,
					       .veth = &c->containers[i].veth };
	for (size_t i = 0; i < c->n_extras; i++)
		refs[n++] = (struct link_ref){ .kind = "extra veth", .name = c->extras[i].name,
					       .line = c->extras[i].line,
					       .veth = &c->extras[i].veth };
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < _SAME_MAX; k++)
			refs[i].same[k] = NONE;
	return n;
}

/* What two links must not share, as bytes: an address (family, then its 16 bytes) or a
 * zero-padded link name. */
struct link_key {
	uint8_t bytes[1 + sizeof(union in_addr_union)];
	size_t pos;
};
_Static_assert(sizeof(((struct link_key *)0)->bytes) >= IFNAMSIZ, "a link name fits a key");

static int cmp_link_key(const void *a, const void *b)
{
	const struct link_key *x = a, *y = b;
	int r = memcmp(x->bytes, y->bytes, sizeof(x->bytes));

	return r ? r : (x->pos > y->pos) - (x->pos < y->pos);
}

static bool addr_key(const struct conf_addr *a, size_t pos, struct link_key *ret)
{
	if (!a->family)
		return false;
	*ret = (struct link_key){ .pos = pos };
	ret->bytes[0] = (uint8_t)a->family;
	memcpy(ret->bytes + 1, &a->addr, sizeof(a->addr));
	return true;
}

/*
 * For each key after the first of its value, store the position of that first one in
 * refs[].same[which]. Sorted by (value, position), the first of each run is the earliest link
 * in model order (containers, then extra veths), which is the one an error names.
 */
static void mark_same(struct link_ref *refs, struct link_key *keys, size_t n, int which)
{
	size_t head = 0;

	qsort(keys, n, sizeof(*keys), cmp_link_key);
	for (size_t i = 1; i < n; i++) {
		if (memcmp(keys[i].bytes, keys[head].bytes, sizeof(keys[i].bytes)) != 0) {
			head = i;
			continue;
		}
		refs[keys[i].pos].same[which] = keys[head].pos;
	}
}

static void find_same_links(struct link_ref *refs, size_t n, struct link_key *keys)
{
	size_t k;

	k = 0;
	for (size_t i = 0; i < n; i++)
		k += addr_key(&refs[i].veth->local_addr4, i, &keys[k]);
	mark_same(refs, keys, k, SAME_LOCAL4);
	k = 0;
	for (size_t i = 0; i < n; i++)
		k += addr_key(&refs[i].veth->local_addr6, i, &keys[k]);
	mark_same(refs, keys, k, SAME_LOCAL6);
	for (size_t i = 0; i < n; i++) {
		keys[i] = (struct link_key){ .pos = i };
		memcpy(keys[i].bytes, refs[i].veth->ifname, strnlen(refs[i].veth->ifname, IFNAMSIZ));
	}
	mark_same(refs, keys, n, SAME_IFNAME);
}

/* Each container-side address routes to exactly one link; two users would steal traffic. */
static int report_local(struct conf *c, const struct link_ref *refs, size_t i, bool v6)
{
	size_t j = refs[i].same[v6 ? SAME_LOCAL6 : SAME_LOCAL4];
	const struct conf_addr *a = v6 ? &refs[i].veth->local_addr6 : &refs[i].veth->local_addr4;
	_cleanup_free_ char *where = NULL;
	char buf[INET6_ADDRSTRLEN];

	if (j == NONE)
		return 0;
	(void)inet_ntop(a->family, &a->addr, buf, sizeof(buf));
	where = conf_where(c, refs[i].line, refs[j].line);
	if (!where)
		return -ENOMEM;
	return conf_error(c, refs[i].line, "LocalAddress%s %s is already used by %s \"%s\" (%s)",
			  v6 ? "6" : "", buf, refs[j].kind, refs[j].name, where);
}

/* The kernel names (possibly shortened) of host links must differ. */
static int report_ifname(struct conf *c, const struct link_ref *refs, size_t i)
{
	size_t j = refs[i].same[SAME_IFNAME];
	_cleanup_free_ char *where = NULL;

	if (j == NONE)
		return 0;
	where = conf_where(c, refs[i].line, refs[j].line);
	if (!where)
		return -ENOMEM;
	return conf_error(c, refs[i].line,
			  "link name \"%s\" of %s \"%s\" is already used by %s \"%s\" (%s)",
			  refs[i].veth->ifname, refs[i].kind, refs[i].name, refs[j].kind,
			  refs[j].name, where);
}

static int check_links(struct conf *c)
{
	_cleanup_free_ struct link_ref *refs = NULL;
	_cleanup_free_ struct link_key *keys = NULL;
	size_t n;
	int r = 0;

	refs = calloc(c->n_containers + c->n_extras + 1, sizeof(*refs));
	keys = calloc(c->n_containers + c->n_extras + 1, sizeof(*keys));
	if (!refs || !keys)
		return -ENOMEM;
	n = collect_links(c, refs);
	find_same_links(refs, n, keys);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		r = report_local(c, refs, i, false);
		if (r >= 0)
			r = report_local(c, refs, i, true);
		if (r >= 0)
			r = report_ifname(c, refs, i);
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

	r = ifname_container_host(cont->name, cont->veth.host_bridge, full, sizeof(full));
	if (r < 0)
		return conf_error(c, cont->line, "interface name for container \"%s\" is too long",
				  cont->name);
	return set_link_name(c, cont->line, &cont->veth, full);
}

static int finish_extra(struct conf *c, struct conf_extra *e)
{
	struct conf_container *cont;
	struct conf_extra **slot;
	size_t i;
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
	if (!conf_names_get(c->container_names, e->container, &i))
		return conf_error(c, e->line, "ExtraVeth \"%s\": container \"%s\" is not declared",
				  e->name, e->container);
	cont = &c->containers[i];
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
	if (r >= 0)
		r = check_containers(c);
	if (r >= 0)
		r = check_links(c);
	return r;
}
