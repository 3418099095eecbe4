/* SPDX-License-Identifier: MIT */
/*
 * Internals of the config parser, shared by conf.c (syntax, key table, lifecycle),
 * confcheck.c (checks across sections) and confvalue.c (value parsers, string lists).
 * Not for netd or spawn; tests may use it. Value parsers are pure: they record no errors,
 * return 0 or a negative errno and set *ret only on success.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "strv.h"

#define CONF_USEC_PER_SEC UINT64_C(1000000)
#define CONF_USEC_INFINITY UINT64_MAX

/* 1/yes/true/on and 0/no/false/off, case-insensitive. Returns 1, 0 or -EINVAL. */
int conf_parse_bool(const char *s);

/* Masquerade= values: bit 0 IPv4, bit 1 IPv6 (explicit "ipv4"/"ipv6"), bit 2 "every family
 * with a LocalAddress" (a true bool). A false bool is 0. Returns the mask or -EINVAL. */
#define CONF_MASQ_IPV4 1
#define CONF_MASQ_IPV6 2
#define CONF_MASQ_AUTO 4
int conf_parse_masquerade(const char *s);

/*
 * systemd time span: one or more "NUMBER[UNIT]" parts, optionally separated by spaces
 * ("2min 30s", "1h30min"); a bare number is seconds; "infinity" is CONF_USEC_INFINITY.
 * Units: us usec, ms msec, s sec second(s), m min minute(s), h hr hour(s), d day(s),
 * w week(s). Integers only. Returns 0, -EINVAL (syntax), -ERANGE (overflow).
 */
int conf_parse_timespan(const char *s, uint64_t *ret) _must_check_;

/*
 * "ADDR[/PREFIX]" of the given family. With allow_prefix=false only "ADDR". Without a prefix
 * the full length (32 or 128) is used. Returns 0, -EINVAL for a bad address (or a prefix when
 * none is allowed), -ERANGE for a bad prefix length.
 */
int conf_parse_addr(const char *s, int family, bool allow_prefix,
		    struct conf_addr *ret) _must_check_;

/* Does addr lie inside net/net->prefixlen (same family)? */
bool conf_addr_in_prefix(const struct conf_addr *addr, const struct conf_addr *net);

/*
 * One ForwardPort= entry, "[tcp|udp:][HOSTADDR:]HOSTPORT[-END][:CONTAINERPORT[-END]]".
 * On -EINVAL a reason ("port 0 is not allowed", ...) is written to err. ret->line is 0.
 */
int conf_parse_forward(const char *s, struct conf_forward *ret, char *err,
		       size_t errlen) _must_check_;

/* Machine-name style: 1..64 bytes of [A-Za-z0-9._-], not starting with '.' or '-'. */
bool conf_container_name_valid(const char *s);

/*
 * Section name -> index into c->containers or c->extras (confnames.c). Names are borrowed and
 * must outlive the map; adding a name again replaces its index. conf_names_add() allocates
 * *m on first use and returns 0 or -ENOMEM (map unchanged). conf_names_get() accepts a NULL
 * map or name, returns whether the name is there and sets *ret only then.
 */
int conf_names_add(struct conf_names **m, const char *name, size_t index) _must_check_;
bool conf_names_get(const struct conf_names *m, const char *name, size_t *ret);
/* Accepts NULL; returns NULL. */
struct conf_names *conf_names_free(struct conf_names *m);

/*
 * array_push() for the arrays that grow to tens of thousands of elements (containers, extra
 * veths, errors): the allocation doubles each time n reaches a power of two, so N pushes copy
 * O(N) bytes, where growing by one element copies the whole array whenever realloc cannot
 * extend it in place (every time under ASan). Only for arrays grown by this function alone.
 * Returns the new zeroed element, or NULL on ENOMEM (array unchanged).
 */
static inline void *conf_array_push(void *array, size_t *n, size_t sz)
{
	void **a = array;
	char *p = *a;

	if ((*n & (*n - 1)) == 0) {
		p = realloc(*a, (*n ? 2 * *n : 1) * sz);
		if (!p)
			return NULL;
		*a = p;
	}
	memset(p + *n * sz, 0, sz);
	return p + (*n)++ * sz;
}

/* Record "FILE:LINE: message" in c->errors. Returns 0 or -ENOMEM. */
int conf_error(struct conf *c, unsigned line, const char *fmt, ...) _printf_(3, 4)
	_must_check_;

/* Fill defaults and derived link names, run every check across sections (conf_finish()).
 * Returns 0 (problems are recorded) or -ENOMEM. */
int conf_check(struct conf *c) _must_check_;
