/* SPDX-License-Identifier: MIT */
/* Port forwards and masquerade planned as sorted element sets; their difference. No I/O. */
#include <arpa/inet.h>
#include <stdio.h>
#include <sys/socket.h>

#include "forward.h"

static int set_reserve(struct forward_set *s, size_t n)
{
	struct forward_elem *e;
	size_t want;

	if (s->n + n <= s->allocated)
		return 0;
	want = s->allocated ? s->allocated : 16;
	while (want < s->n + n)
		want *= 2;
	e = realloc(s->elems, want * sizeof(*e));
	if (!e)
		return -ENOMEM;
	s->elems = e;
	s->allocated = want;
	return 0;
}

static int set_push(struct forward_set *s, const struct forward_elem *e)
{
	int r = set_reserve(s, 1);

	if (r < 0)
		return r;
	s->elems[s->n++] = *e;
	return 0;
}

int forward_set_new(struct forward_set **ret)
{
	struct forward_set *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

struct forward_set *forward_set_free(struct forward_set *s)
{
	if (!s)
		return NULL;
	free(s->elems);
	free(s);
	return NULL;
}

static int addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

static int cmp_int(long a, long b)
{
	return a < b ? -1 : a > b;
}

int forward_elem_compare_key(const struct forward_elem *a, const struct forward_elem *b)
{
	int r;

	r = cmp_int(a->kind, b->kind);
	if (!r)
		r = cmp_int(a->family, b->family);
	if (!r)
		r = memcmp(a->addr.bytes, b->addr.bytes, sizeof(a->addr.bytes));
	if (!r)
		r = cmp_int(a->protocol, b->protocol);
	if (!r)
		r = cmp_int(a->port, b->port);
	return r;
}

bool forward_elem_equal(const struct forward_elem *a, const struct forward_elem *b)
{
	return forward_elem_compare_key(a, b) == 0 && a->to_port == b->to_port &&
	       memcmp(&a->to_addr, &b->to_addr, sizeof(a->to_addr)) == 0 &&
	       strncmp(a->ifname, b->ifname, sizeof(a->ifname)) == 0;
}

static int qsort_cmp(const void *a, const void *b)
{
	return forward_elem_compare_key(a, b);
}

/* Sort, drop exact duplicates, refuse two values for one key (equal keys are adjacent). */
static int set_normalize(struct forward_set *s)
{
	size_t w = 0;

	if (s->n == 0)
		return 0;
	qsort(s->elems, s->n, sizeof(*s->elems), qsort_cmp);
	for (size_t i = 1; i < s->n; i++) {
		if (forward_elem_compare_key(&s->elems[w], &s->elems[i]) != 0)
			s->elems[++w] = s->elems[i];
		else if (!forward_elem_equal(&s->elems[w], &s->elems[i]))
			return -EEXIST;
	}
	s->n = w + 1;
	return 0;
}

/* Every port of f's range towards one LocalAddress. */
static int add_forward(struct forward_set *s, const struct conf_forward *f,
		       const struct conf_addr *to)
{
	unsigned n = (unsigned)f->host_port_end - f->host_port + 1;
	int r = set_reserve(s, n);

	if (r < 0)
		return r;
	for (unsigned i = 0; i < n; i++) {
		struct forward_elem e = {
			.kind = f->host_addr.family ? FORWARD_DNAT_ADDR : FORWARD_DNAT,
			.family = (uint8_t)to->family,
			.protocol = (uint8_t)f->protocol,
			.port = (uint16_t)(f->host_port + i),
			.to_port = (uint16_t)(f->container_port + i),
		};

		if (f->host_addr.family)
			memcpy(e.addr.bytes, f->host_addr.addr.bytes, addr_len(to->family));
		memcpy(e.to_addr.bytes, to->addr.bytes, addr_len(to->family));
		s->elems[s->n++] = e;
	}
	return 0;
}

static int add_address(struct forward_set *s, enum forward_kind kind, const struct conf_addr *a,
		       const char *ifname)
{
	struct forward_elem e = { .kind = kind, .family = (uint8_t)a->family };

	memcpy(e.addr.bytes, a->addr.bytes, addr_len(a->family));
	if (ifname)
		(void)snprintf(e.ifname, sizeof(e.ifname), "%s", ifname);
	return set_push(s, &e);
}

static int add_container(struct forward_set *s, const struct conf_container *ct)
{
	const struct conf_veth *v = &ct->veth;
	/* The link the container's packets come in on: its veth, or the bridge it is a port of. */
	const char *own = v->host_bridge ? v->host_bridge : v->ifname;
	int r = 0;

	for (size_t i = 0; r >= 0 && i < ct->n_forwards; i++) {
		const struct conf_forward *f = &ct->forwards[i];

		if (f->host_addr.family != AF_INET6 && v->local_addr4.family)
			r = add_forward(s, f, &v->local_addr4);
		if (r >= 0 && f->host_addr.family != AF_INET && v->local_addr6.family)
			r = add_forward(s, f, &v->local_addr6);
	}
	if (r >= 0 && v->local_addr4.family)
		r = add_address(s, FORWARD_CONTAINER, &v->local_addr4, NULL);
	if (r >= 0 && v->local_addr6.family)
		r = add_address(s, FORWARD_CONTAINER, &v->local_addr6, NULL);
	if (r >= 0 && ct->masquerade4 && v->local_addr4.family)
		r = add_address(s, FORWARD_MASQ, &v->local_addr4, own);
	if (r >= 0 && ct->masquerade6 && v->local_addr6.family)
		r = add_address(s, FORWARD_MASQ, &v->local_addr6, own);
	return r;
}

int forward_set_build(const struct conf *c, forward_active_fn active, void *userdata,
		      struct forward_set **ret)
{
	struct forward_set *s;
	int r;

	r = forward_set_new(&s);
	if (r < 0)
		return r;
	for (size_t i = 0; r >= 0 && i < c->n_containers; i++) {
		const struct conf_container *ct = &c->containers[i];

		if (!ct->private_network || (active && !active(ct, userdata)))
			continue;
		r = add_container(s, ct);
	}
	if (r >= 0)
		r = set_normalize(s);
	if (r < 0) {
		forward_set_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

int forward_diff(const struct forward_set *from, const struct forward_set *to,
		 struct forward_set **ret_del, struct forward_set **ret_add)
{
	struct forward_set *del = NULL, *add = NULL;
	size_t i = 0, j = 0;
	int r;

	r = forward_set_new(&del);
	if (r >= 0)
		r = forward_set_new(&add);
	while (r >= 0 && (i < from->n || j < to->n)) {
		int c = i == from->n ? 1 : j == to->n ? -1 :
			forward_elem_compare_key(&from->elems[i], &to->elems[j]);

		if (c < 0) {
			r = set_push(del, &from->elems[i++]);
		} else if (c > 0) {
			r = set_push(add, &to->elems[j++]);
		} else {
			/* A changed value is a delete and an add of the same key. */
			if (!forward_elem_equal(&from->elems[i], &to->elems[j])) {
				r = set_push(del, &from->elems[i]);
				if (r >= 0)
					r = set_push(add, &to->elems[j]);
			}
			i++;
			j++;
		}
	}
	if (r < 0) {
		forward_set_free(del);
		forward_set_free(add);
		return r;
	}
	r = (int)(del->n + add->n);
	*ret_del = del;
	*ret_add = add;
	return r;
}

size_t forward_set_count(const struct forward_set *s, enum forward_kind kind, int family)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n; i++)
		if (s->elems[i].kind == kind && (!family || s->elems[i].family == family))
			n++;
	return n;
}

static bool needs_family(const struct forward_set *s, int family)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->elems[i].family == family && s->elems[i].kind != FORWARD_CONTAINER)
			return true;
	return false;
}

bool forward_set_needs_ipv6(const struct forward_set *s)
{
	return needs_family(s, AF_INET6);
}

bool forward_set_needs_ipv4(const struct forward_set *s)
{
	return needs_family(s, AF_INET);
}

static const char *proto_name(int protocol)
{
	return protocol == IPPROTO_UDP ? "udp" : "tcp";
}

/* "8080" or "8080-8089". */
static void port_range(char *buf, size_t len, unsigned start, unsigned end)
{
	if (start == end)
		(void)snprintf(buf, len, "%u", start);
	else
		(void)snprintf(buf, len, "%u-%u", start, end);
}

int forward_state_text(const struct conf_container *cont, char **ret)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	FILE *f;

	f = open_memstream(&text, &len);
	if (!f)
		return -ENOMEM;
	for (size_t i = 0; i < cont->n_forwards; i++) {
		const struct conf_forward *fw = &cont->forwards[i];
		char a[INET6_ADDRSTRLEN], hp[16], cp[16];

		port_range(hp, sizeof(hp), fw->host_port, fw->host_port_end);
		port_range(cp, sizeof(cp), fw->container_port, fw->container_port_end);
		(void)fprintf(f, "%s%s:", i ? " " : "", proto_name(fw->protocol));
		if (fw->host_addr.family) {
			(void)inet_ntop(fw->host_addr.family, &fw->host_addr.addr, a, sizeof(a));
			(void)fprintf(f, fw->host_addr.family == AF_INET6 ? "[%s]:" : "%s:", a);
		}
		(void)fprintf(f, "%s:%s", hp, cp);
	}
	if (fclose(f) != 0 || !text)
		return -ENOMEM;
	*ret = TAKE_PTR(text);
	return 0;
}

const char *forward_elem_to_string(const struct forward_elem *e, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "", t[INET6_ADDRSTRLEN] = "";
	int fam = e->family == AF_INET ? AF_INET : AF_INET6;
	const char *lb = fam == AF_INET6 ? "[" : "", *rb = fam == AF_INET6 ? "]" : "";

	(void)inet_ntop(fam, &e->addr, a, sizeof(a));
	(void)inet_ntop(fam, &e->to_addr, t, sizeof(t));
	switch (e->kind) {
	case FORWARD_DNAT:
		(void)snprintf(buf, len, "dnat %s %u -> %s%s%s:%u", proto_name(e->protocol), e->port,
			       lb, t, rb, e->to_port);
		break;
	case FORWARD_DNAT_ADDR:
		(void)snprintf(buf, len, "dnat %s %s%s%s:%u -> %s%s%s:%u", proto_name(e->protocol),
			       lb, a, rb, e->port, lb, t, rb, e->to_port);
		break;
	case FORWARD_CONTAINER:
		(void)snprintf(buf, len, "container %s", a);
		break;
	default:
		(void)snprintf(buf, len, "masquerade %s not via %s", a, e->ifname);
		break;
	}
	return buf;
}
