/* SPDX-License-Identifier: MIT */
/* Value parsers of the config file: bools, time spans, addresses, port forwards, names. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <strings.h>

#include "conf-internal.h"

int conf_parse_bool(const char *s)
{
	static const char *const yes[] = { "1", "yes", "true", "on" };
	static const char *const no[] = { "0", "no", "false", "off" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	}
	return -EINVAL;
}

int conf_parse_masquerade(const char *s)
{
	int r;

	if (strcasecmp(s, "ipv4") == 0)
		return CONF_MASQ_IPV4;
	if (strcasecmp(s, "ipv6") == 0)
		return CONF_MASQ_IPV6;
	r = conf_parse_bool(s);
	if (r < 0)
		return r;
	return r ? CONF_MASQ_AUTO : 0;
}

static const struct {
	const char *suffix;
	uint64_t usec;
} time_units[] = {
	{ "us", 1 },
	{ "usec", 1 },
	{ "ms", 1000 },
	{ "msec", 1000 },
	{ "s", CONF_USEC_PER_SEC },
	{ "sec", CONF_USEC_PER_SEC },
	{ "second", CONF_USEC_PER_SEC },
	{ "seconds", CONF_USEC_PER_SEC },
	{ "m", 60 * CONF_USEC_PER_SEC },
	{ "min", 60 * CONF_USEC_PER_SEC },
	{ "minute", 60 * CONF_USEC_PER_SEC },
	{ "minutes", 60 * CONF_USEC_PER_SEC },
	{ "h", 3600 * CONF_USEC_PER_SEC },
	{ "hr", 3600 * CONF_USEC_PER_SEC },
	{ "hour", 3600 * CONF_USEC_PER_SEC },
	{ "hours", 3600 * CONF_USEC_PER_SEC },
	{ "d", 86400 * CONF_USEC_PER_SEC },
	{ "day", 86400 * CONF_USEC_PER_SEC },
	{ "days", 86400 * CONF_USEC_PER_SEC },
	{ "w", 604800 * CONF_USEC_PER_SEC },
	{ "week", 604800 * CONF_USEC_PER_SEC },
	{ "weeks", 604800 * CONF_USEC_PER_SEC },
};

/* Multiplier of the unit word at *p (letters only; none means seconds); advances *p. */
static int time_unit(const char **p, uint64_t *ret)
{
	const char *s = *p;
	size_t n = 0;

	while (isalpha((unsigned char)s[n]))
		n++;
	if (n == 0) {
		*ret = CONF_USEC_PER_SEC;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(time_units); i++)
		if (strlen(time_units[i].suffix) == n && strncmp(s, time_units[i].suffix, n) == 0) {
			*p = s + n;
			*ret = time_units[i].usec;
			return 0;
		}
	return -EINVAL;
}

int conf_parse_timespan(const char *s, uint64_t *ret)
{
	uint64_t total = 0;

	if (strcmp(s, "infinity") == 0) {
		*ret = CONF_USEC_INFINITY;
		return 0;
	}
	while (isspace((unsigned char)*s))
		s++;
	if (!*s)
		return -EINVAL;

	while (*s) {
		uint64_t n = 0, unit;
		int r;

		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		for (; isdigit((unsigned char)*s); s++) {
			if (n > (UINT64_MAX - 9) / 10)
				return -ERANGE;
			n = n * 10 + (uint64_t)(*s - '0');
		}
		while (isspace((unsigned char)*s))
			s++;
		r = time_unit(&s, &unit);
		if (r < 0)
			return r;
		if (n > (UINT64_MAX - 1 - total) / unit)
			return -ERANGE;
		total += n * unit;
		while (isspace((unsigned char)*s))
			s++;
	}
	*ret = total;
	return 0;
}

/* Decimal 0..max without sign, leading '+' or trailing garbage. */
static int parse_uint(const char *s, size_t len, unsigned max, unsigned *ret)
{
	unsigned v = 0;

	if (len == 0 || len > 10)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
		if (v > max)
			return -ERANGE;
	}
	*ret = v;
	return 0;
}

int conf_parse_addr(const char *s, int family, bool allow_prefix, struct conf_addr *ret)
{
	struct conf_addr a = { .family = family };
	unsigned max = family == AF_INET ? 32 : 128, prefix = max;
	char buf[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t len = slash ? (size_t)(slash - s) : strlen(s);
	int r;

	if (len >= sizeof(buf) || (slash && !allow_prefix))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(family, buf, &a.addr) != 1)
		return -EINVAL;
	if (slash) {
		r = parse_uint(slash + 1, strlen(slash + 1), max, &prefix);
		if (r < 0)
			return -ERANGE;
	}
	a.prefixlen = (uint8_t)prefix;
	*ret = a;
	return 0;
}

bool conf_addr_in_prefix(const struct conf_addr *addr, const struct conf_addr *net)
{
	unsigned bits = net->prefixlen, bytes = bits / 8;
	uint8_t mask;

	if (addr->family != net->family || addr->family == 0)
		return false;
	if (memcmp(addr->addr.bytes, net->addr.bytes, bytes) != 0)
		return false;
	if (bits % 8 == 0)
		return true;
	mask = (uint8_t)(0xff << (8 - bits % 8));
	return (addr->addr.bytes[bytes] & mask) == (net->addr.bytes[bytes] & mask);
}

/* "PORT" or "PORT-END" in s[0..len). */
static int parse_port_range(const char *s, size_t len, uint16_t *start, uint16_t *end,
			    char *err, size_t errlen)
{
	const char *dash = memchr(s, '-', len);
	size_t l1 = dash ? (size_t)(dash - s) : len;
	unsigned a, b;

	if (parse_uint(s, l1, 99999, &a) < 0 ||
	    (dash && parse_uint(dash + 1, len - l1 - 1, 99999, &b) < 0)) {
		snprintf(err, errlen, "invalid port \"%.*s\"", (int)len, s);
		return -EINVAL;
	}
	if (!dash)
		b = a;
	if (a == 0 || b == 0) {
		snprintf(err, errlen, "port 0 is not allowed");
		return -EINVAL;
	}
	if (a > 65535 || b > 65535) {
		snprintf(err, errlen, "port %u is out of range (1-65535)", a > 65535 ? a : b);
		return -EINVAL;
	}
	if (b < a) {
		snprintf(err, errlen, "end port %u is below start port %u", b, a);
		return -EINVAL;
	}
	*start = (uint16_t)a;
	*end = (uint16_t)b;
	return 0;
}

/* "[V6]:" or "V4:" at the front of *p, if there is an address there; advances *p. */
static int parse_forward_addr(const char **p, struct conf_addr *ret, char *err, size_t errlen)
{
	const char *s = *p, *close, *colon;
	char buf[INET6_ADDRSTRLEN + 2];
	int family = AF_INET;
	size_t len;

	if (*s == '[') {
		close = strchr(s, ']');
		if (!close || close[1] != ':') {
			snprintf(err, errlen, "malformed IPv6 address, expected \"[ADDR]:PORT\"");
			return -EINVAL;
		}
		s++;
		len = (size_t)(close - s);
		family = AF_INET6;
		*p = close + 2;
	} else {
		/* An IPv4 address is the only field that may contain a dot. */
		colon = strchr(s, ':');
		if (!colon || !memchr(s, '.', (size_t)(colon - s)))
			return 0;
		len = (size_t)(colon - s);
		*p = colon + 1;
	}
	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (conf_parse_addr(buf, family, false, ret) < 0) {
		snprintf(err, errlen, "invalid %s address \"%s\"", family == AF_INET ? "IPv4" : "IPv6",
			 buf);
		return -EINVAL;
	}
	return 0;
}

int conf_parse_forward(const char *s, struct conf_forward *ret, char *err, size_t errlen)
{
	struct conf_forward f = { .protocol = IPPROTO_TCP };
	const char *colon;
	size_t len;
	int r;

	if (strncmp(s, "tcp:", 4) == 0) {
		s += 4;
	} else if (strncmp(s, "udp:", 4) == 0) {
		f.protocol = IPPROTO_UDP;
		s += 4;
	}
	r = parse_forward_addr(&s, &f.host_addr, err, errlen);
	if (r < 0)
		return r;

	colon = strchr(s, ':');
	len = colon ? (size_t)(colon - s) : strlen(s);
	r = parse_port_range(s, len, &f.host_port, &f.host_port_end, err, errlen);
	if (r < 0)
		return r;
	if (!colon) {
		f.container_port = f.host_port;
		f.container_port_end = f.host_port_end;
	} else {
		r = parse_port_range(colon + 1, strlen(colon + 1), &f.container_port,
				     &f.container_port_end, err, errlen);
		if (r < 0)
			return r;
	}
	if (f.container_port_end - f.container_port != f.host_port_end - f.host_port) {
		snprintf(err, errlen, "container port range %u-%u differs in length from host port range %u-%u",
			 f.container_port, f.container_port_end, f.host_port, f.host_port_end);
		return -EINVAL;
	}
	*ret = f;
	return 0;
}

bool conf_container_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 64 || s[0] == '.' || s[0] == '-')
		return false;
	/* ASCII only, whatever the locale: the name ends up in paths and link names. */
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if (!(ch >= 'a' && ch <= 'z') && !(ch >= 'A' && ch <= 'Z') &&
		    !(ch >= '0' && ch <= '9') && ch != '.' && ch != '_' && ch != '-')
			return false;
	}
	return true;
}
