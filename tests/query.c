/* SPDX-License-Identifier: MIT */
/*
 * Kernel-state queries for the kernel suites (see harness.h): shell conditions built on
 * `ip -j` + jq, formatted into a small static ring.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

const char *q_nsopt(const char *ns)
{
	static char buf[4][80];
	static unsigned k;
	char *b = buf[k++ % 4];

	if (!ns || !*ns)
		return "";
	snprintf(b, sizeof(buf[0]), "-n %s", ns);
	return b;
}

static char *qbuf(void)
{
	static char ring[16][4096];
	static unsigned k;

	return ring[k++ % 16];
}

/* Format into the ring. Queries are `out=$(ip ...) && printf %s "$out" | jq -e ...` so that
 * an ip failure (no such device) makes the condition false rather than jq on empty input. */
#define Q(...)                                                  \
	({                                                      \
		char *_b_ = qbuf();                             \
		snprintf(_b_, 4096, __VA_ARGS__);               \
		(const char *)_b_;                              \
	})

const char *q_addr(const char *ns, const char *dev, const char *addr)
{
	char a[64];
	const char *slash = strchr(addr, '/');
	int plen = slash ? atoi(slash + 1) : (strchr(addr, ':') ? 128 : 32);

	snprintf(a, sizeof(a), "%.*s", slash ? (int)(slash - addr) : (int)strlen(addr), addr);
	return Q("out=$(ip %s -j addr show dev %s) && printf '%%s' \"$out\" | jq -e --arg a %s "
		 "--argjson p %d 'any(.[].addr_info[]?; .local==$a and .prefixlen==$p)' >/dev/null",
		 q_nsopt(ns), dev, a, plen);
}

const char *q_noaddr(const char *ns, const char *dev, const char *addr)
{
	char a[64];
	const char *slash = strchr(addr, '/');

	snprintf(a, sizeof(a), "%.*s", slash ? (int)(slash - addr) : (int)strlen(addr), addr);
	return Q("out=$(ip %s -j addr show dev %s) && printf '%%s' \"$out\" | jq -e --arg a %s "
		 "'all(.[].addr_info[]?; .local!=$a)' >/dev/null",
		 q_nsopt(ns), dev, a);
}

static const char *family(const char *dst, const char *gw)
{
	return strchr(dst, ':') || (gw && strchr(gw, ':')) ? "-6" : "-4";
}

const char *q_route(const char *ns, const char *dst, const char *dev, const char *gw)
{
	return Q("out=$(ip %s -j %s route show table main) && printf '%%s' \"$out\" | jq -e "
		 "--arg d %s --arg dev %s --arg gw '%s' "
		 "'any(.[]; .dst==$d and .dev==$dev and (.gateway // \"\")==$gw)' >/dev/null",
		 q_nsopt(ns), family(dst, gw), dst, dev, gw ? gw : "");
}

const char *q_noroute(const char *ns, const char *dst, const char *dev)
{
	return Q("out=$(ip %s -j %s route show table main) && printf '%%s' \"$out\" | jq -e "
		 "--arg d %s --arg dev %s 'all(.[]; .dst!=$d or .dev!=$dev)' >/dev/null",
		 q_nsopt(ns), family(dst, NULL), dst, dev);
}

const char *q_up(const char *ns, const char *dev)
{
	return Q("out=$(ip %s -j link show dev %s) && printf '%%s' \"$out\" | jq -e "
		 "'any(.[0].flags[]; .==\"UP\")' >/dev/null",
		 q_nsopt(ns), dev);
}

const char *q_settled(const char *ns, const char *dev)
{
	return Q("out=$(ip %s -j addr show dev %s) && printf '%%s' \"$out\" | jq -e "
		 "'.[0].operstate==\"UP\" and "
		 "any(.[0].addr_info[]; .family==\"inet6\" and .scope==\"link\") and "
		 "all(.[0].addr_info[]; .tentative != true)' >/dev/null",
		 q_nsopt(ns), dev);
}

const char *q_master(const char *dev, const char *master)
{
	return Q("out=$(ip -j link show dev %s) && printf '%%s' \"$out\" | jq -e --arg m %s "
		 "'.[0].master==$m' >/dev/null",
		 dev, master);
}

const char *q_nomaster(const char *dev)
{
	return Q("out=$(ip -j link show dev %s) && printf '%%s' \"$out\" | jq -e "
		 "'.[0].master==null' >/dev/null",
		 dev);
}

const char *q_link(const char *ns, const char *dev)
{
	return Q("ip %s link show dev %s >/dev/null 2>&1", q_nsopt(ns), dev);
}

const char *q_ct(const char *name, const char *h4, const char *l4, const char *h6, const char *l6)
{
	char b[4096], ve[32];
	int n = 0;

	/* built in a local buffer: the parts come from the same ring as the result */
	snprintf(ve, sizeof(ve), "ve-%s", name);
	n += snprintf(b + n, sizeof(b) - n, "%s && %s && %s", q_up(NULL, ve), q_link(name, "eth0"),
		      q_up(name, "eth0"));
	if (h4)
		n += snprintf(b + n, sizeof(b) - n, " && %s && %s && %s && %s && %s",
			      q_addr(NULL, ve, h4), q_route(NULL, l4, ve, NULL),
			      q_addr(name, "eth0", l4), q_route(name, h4, "eth0", NULL),
			      q_route(name, "default", "eth0", h4));
	if (h6)
		n += snprintf(b + n, sizeof(b) - n, " && %s && %s && %s && %s && %s",
			      q_addr(NULL, ve, h6), q_route(NULL, l6, ve, NULL),
			      q_addr(name, "eth0", l6), q_route(name, h6, "eth0", NULL),
			      q_route(name, "default", "eth0", h6));
	cr_assert(n < (int)sizeof(b), "query too long");
	return strcpy(qbuf(), b);
}
