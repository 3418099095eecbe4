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

/* NULL-terminated string lists. */
size_t conf_strv_length(char *const *l);
char **conf_strv_free(char **l);
/* Append a copy of s. Returns 0 or -ENOMEM (list unchanged). */
int conf_strv_extend(char ***l, const char *s) _must_check_;

/* Record "FILE:LINE: message" in c->errors. Returns 0 or -ENOMEM. */
int conf_error(struct conf *c, unsigned line, const char *fmt, ...) _printf_(3, 4)
	_must_check_;

/* Fill defaults and derived link names, run every check across sections (conf_finish()).
 * Returns 0 (problems are recorded) or -ENOMEM. */
int conf_check(struct conf *c) _must_check_;
