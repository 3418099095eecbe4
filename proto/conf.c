/* SPDX-License-Identifier: MIT */
/*
 * The config parser: unit-file syntax, a table of keys, the checks that span sections.
 *
 * Syntax (systemd unit files, minus line continuations and quoting, which no key needs):
 * leading/trailing whitespace is ignored, lines starting with '#' or ';' are comments,
 * "[Kind NAME]" opens a section, "Key = Value" assigns. Keys are case-sensitive.
 *
 * Assignments: a later scalar assignment overrides an earlier one; an empty one restores the
 * default. List keys (Interface, MACVLAN, Bind, BindReadOnly, TemporaryFileSystem, Capability,
 * ForwardPort) take space-separated items and accumulate; DeviceAllow takes one "NODE [rwm]"
 * entry per assignment; an empty assignment empties the list.
 *
 * Defaults: PrivateNetwork, Ephemeral, EnableTun, Masquerade no; addresses, gateways and HostBridge unset;
 * lists empty; Directory /var/lib/containers/NAME; TimeoutStartSec 60 s; ForwardPort protocol
 * tcp, any host address, container ports = host ports.
 *
 * The keys of a section whose header is in error (unknown kind, bad or duplicate name) are
 * skipped: the header error says it all, and reporting each key too would only add noise.
 * Containers without PrivateNetwork=yes are validated like all others.
 *
 * [Netd] holds the daemon-wide keys and may appear once, without a name. Its
 * ImportNixOSContainers= is acted on by conf_finish() (confnixos.c), once the last assignment
 * of it is known.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <sys/types.h>

#include "conf.h"
#include "conf-internal.h"
#include "ifname.h"

enum {
	SECTION_NONE,
	SECTION_CONTAINER,
	SECTION_EXTRA,
	SECTION_NETD,
	SECTION_SKIP, /* header was in error: ignore its keys */
};

#define DEFAULT_TIMEOUT_USEC (60 * CONF_USEC_PER_SEC)

struct key_def;
/* Parse value into field (inside obj, the section's object). Returns 0 or -ENOMEM; value errors
 * are recorded. An empty value resets the field to its default. */
typedef int (*key_parser)(struct conf *c, unsigned line, const struct key_def *k,
			  const char *value, void *obj, void *field);
/* Check one list item; returns 1 when good, 0 when rejected (recorded), -ENOMEM. */
typedef int (*item_check)(struct conf *c, unsigned line, const char *key, const char *item);

struct key_def {
	const char *name;
	key_parser parse;
	ssize_t off_container, off_extra; /* -1: the key does not exist in that section */
	ssize_t off_netd;                 /* into struct conf; -1: not a [Netd] key */
	int family;                       /* address keys */
	bool prefix;                      /* address keys: a prefix length is allowed */
	item_check check;                 /* list keys */
};

static char *strip(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* ---- value parsers, one per type ---- */

static int parse_bool_key(struct conf *c, unsigned line, const struct key_def *k,
			  const char *value, void *obj, void *field)
{
	int r = *value ? conf_parse_bool(value) : 0;

	if (r < 0)
		return conf_error(c, line, "invalid boolean \"%s\" for %s", value, k->name);
	*(bool *)field = r;
	return 0;
}

static int parse_timespan_key(struct conf *c, unsigned line, const struct key_def *k,
			      const char *value, void *obj, void *field)
{
	uint64_t usec = DEFAULT_TIMEOUT_USEC;

	if (*value && conf_parse_timespan(value, &usec) < 0)
		return conf_error(c, line, "invalid time span \"%s\" for %s", value, k->name);
	*(uint64_t *)field = usec;
	return 0;
}

static int parse_addr_key(struct conf *c, unsigned line, const struct key_def *k,
			  const char *value, void *obj, void *field)
{
	struct conf_addr a = {};
	int r = 0;

	if (*value)
		r = conf_parse_addr(value, k->family, k->prefix, &a);
	if (r == -ERANGE)
		return conf_error(c, line, "invalid prefix length in \"%s\" for %s", value, k->name);
	if (r < 0)
		return conf_error(c, line, "invalid %s address \"%s\" for %s",
				  k->family == AF_INET ? "IPv4" : "IPv6", value, k->name);
	*(struct conf_addr *)field = a;
	return 0;
}

static int set_string(char **field, const char *value)
{
	char *copy = NULL;

	if (*value) {
		copy = strdup(value);
		if (!copy)
			return -ENOMEM;
	}
	free(*field);
	*field = copy;
	return 0;
}

/* Interface names of links that exist on the host or are created with exactly that name. */
static int check_ifname(struct conf *c, unsigned line, const char *key, const char *item)
{
	int r = 0;

	if (ifname_valid(item, false))
		return 1;
	if (ifname_valid(item, true))
		r = conf_error(c, line, "interface name \"%s\" is too long (max 15 bytes)", item);
	else
		r = conf_error(c, line, "interface name \"%s\" is invalid", item);
	return r < 0 ? r : 0;
}

static bool is_abs_path(const char *s, size_t len)
{
	return len > 0 && s[0] == '/';
}

/* Bind, BindReadOnly: "SRC[:DST]", both absolute. */
static int check_bind(struct conf *c, unsigned line, const char *key, const char *item)
{
	const char *colon = strchr(item, ':');
	size_t l1 = colon ? (size_t)(colon - item) : strlen(item);
	int r;

	if (is_abs_path(item, l1) && (!colon || is_abs_path(colon + 1, strlen(colon + 1))))
		return 1;
	r = conf_error(c, line, "invalid %s \"%s\", expected absolute SRC[:DST]", key, item);
	return r < 0 ? r : 0;
}

/* TemporaryFileSystem: "PATH[:OPTIONS]". */
static int check_tmpfs(struct conf *c, unsigned line, const char *key, const char *item)
{
	const char *colon = strchr(item, ':');
	int r;

	if (is_abs_path(item, colon ? (size_t)(colon - item) : strlen(item)))
		return 1;
	r = conf_error(c, line, "invalid %s \"%s\", expected absolute PATH[:OPTIONS]", key, item);
	return r < 0 ? r : 0;
}

/* Capability: CAP_NAME; whether the kernel knows the name is spawn's business. */
static int check_capability(struct conf *c, unsigned line, const char *key, const char *item)
{
	bool ok = strncasecmp(item, "CAP_", 4) == 0 && item[4];
	int r;

	for (const char *p = item; ok && *p; p++)
		ok = isalnum((unsigned char)*p) || *p == '_';
	if (ok)
		return 1;
	r = conf_error(c, line, "invalid capability \"%s\"", item);
	return r < 0 ? r : 0;
}

static int parse_ifname_key(struct conf *c, unsigned line, const struct key_def *k,
			    const char *value, void *obj, void *field)
{
	int r;

	if (*value) {
		r = check_ifname(c, line, k->name, value);
		if (r <= 0)
			return r;
	}
	return set_string(field, value);
}

static int parse_path_key(struct conf *c, unsigned line, const struct key_def *k,
			  const char *value, void *obj, void *field)
{
	if (*value && !is_abs_path(value, strlen(value)))
		return conf_error(c, line, "%s \"%s\" is not an absolute path", k->name, value);
	return set_string(field, value);
}

static int parse_container_name_key(struct conf *c, unsigned line, const struct key_def *k,
				    const char *value, void *obj, void *field)
{
	if (*value && !conf_container_name_valid(value))
		return conf_error(c, line, "invalid container name \"%s\"", value);
	return set_string(field, value);
}

/* Split value on whitespace; call fn for each item. */
static int foreach_word(const char *value, int (*fn)(void *userdata, const char *word),
			void *userdata)
{
	_cleanup_free_ char *copy = strdup(value);
	char *save = NULL;
	int r;

	if (!copy)
		return -ENOMEM;
	for (char *w = strtok_r(copy, " \t\r\n\v\f", &save); w;
	     w = strtok_r(NULL, " \t\r\n\v\f", &save)) {
		r = fn(userdata, w);
		if (r < 0)
			return r;
	}
	return 0;
}

struct list_ctx {
	struct conf *c;
	unsigned line;
	const struct key_def *k;
	char ***list;
};

static int list_add_word(void *userdata, const char *word)
{
	struct list_ctx *ctx = userdata;
	int r;

	r = ctx->k->check(ctx->c, ctx->line, ctx->k->name, word);
	if (r <= 0)
		return r;
	return strv_extend(ctx->list, word);
}

static int parse_list_key(struct conf *c, unsigned line, const struct key_def *k,
			  const char *value, void *obj, void *field)
{
	struct list_ctx ctx = { c, line, k, field };

	if (!*value) {
		*ctx.list = strv_free(*ctx.list);
		return 0;
	}
	return foreach_word(value, list_add_word, &ctx);
}

/* DeviceAllow: one "NODE [r][w][m]" entry, stored with single spaces. */
static int parse_device_key(struct conf *c, unsigned line, const struct key_def *k,
			    const char *value, void *obj, void *field)
{
	char node[256], access[8] = "", extra[2];
	_cleanup_free_ char *entry = NULL;
	int n;

	if (!*value) {
		*(char ***)field = strv_free(*(char ***)field);
		return 0;
	}
	n = sscanf(value, "%255s %7s %1s", node, access, extra);
	if (n < 1 || n > 2 || strlen(node) >= sizeof(node) - 1 ||
	    (node[0] != '/' && strncmp(node, "char-", 5) != 0 &&
	     strncmp(node, "block-", 6) != 0) ||
	    strspn(access, "rwm") != strlen(access) || strlen(access) > 3)
		return conf_error(c, line, "invalid DeviceAllow \"%s\", expected \"NODE [r][w][m]\"",
				  value);
	if (asprintf(&entry, "%s%s%s", node, *access ? " " : "", access) < 0)
		return -ENOMEM;
	return strv_extend(field, entry);
}

struct forward_ctx {
	struct conf *c;
	unsigned line;
	const struct key_def *k;
	struct conf_container *cont;
};

static int forward_add_word(void *userdata, const char *word)
{
	struct forward_ctx *ctx = userdata;
	struct conf_forward f, *slot;
	char err[160];

	if (conf_parse_forward(word, &f, err, sizeof(err)) < 0)
		return conf_error(ctx->c, ctx->line, "%s \"%s\": %s", ctx->k->name, word, err);
	slot = array_push(&ctx->cont->forwards, &ctx->cont->n_forwards, sizeof(*slot));
	if (!slot)
		return -ENOMEM;
	*slot = f;
	slot->line = ctx->line;
	return 0;
}

static int parse_forward_key(struct conf *c, unsigned line, const struct key_def *k,
			     const char *value, void *obj, void *field)
{
	struct forward_ctx ctx = { c, line, k, obj };

	if (!*value) {
		free(ctx.cont->forwards);
		ctx.cont->forwards = NULL;
		ctx.cont->n_forwards = 0;
		return 0;
	}
	return foreach_word(value, forward_add_word, &ctx);
}

static int parse_masquerade_key(struct conf *c, unsigned line, const struct key_def *k,
				const char *value, void *obj, void *field)
{
	struct conf_container *cont = obj;
	int m = *value ? conf_parse_masquerade(value) : 0;

	if (m < 0)
		return conf_error(c, line,
				  "invalid Masquerade \"%s\", expected yes, ipv4, ipv6 or no", value);
	cont->masquerade4 = m & CONF_MASQ_IPV4;
	cont->masquerade6 = m & CONF_MASQ_IPV6;
	cont->masquerade_auto = m & CONF_MASQ_AUTO;
	cont->masquerade_line = line;
	return 0;
}

/* Masquerade= names source addresses: it needs the LocalAddress of each family it asks for.
 * Checked here rather than in confcheck.c: it concerns one section only. */
static int check_masquerade(struct conf *c, struct conf_container *cont)
{
	bool has4 = cont->veth.local_addr4.family, has6 = cont->veth.local_addr6.family;

	if (cont->masquerade_auto) {
		cont->masquerade4 = has4;
		cont->masquerade6 = has6;
		if (!has4 && !has6)
			return conf_error(c, cont->masquerade_line,
					  "Masquerade needs LocalAddress or LocalAddress6 in [Container %s]",
					  cont->name);
		return 0;
	}
	if (cont->masquerade4 && !has4)
		return conf_error(c, cont->masquerade_line,
				  "Masquerade=ipv4 needs LocalAddress in [Container %s]", cont->name);
	if (cont->masquerade6 && !has6)
		return conf_error(c, cont->masquerade_line,
				  "Masquerade=ipv6 needs LocalAddress6 in [Container %s]", cont->name);
	return 0;
}

/* ---- the key table ---- */

#define CO(field) offsetof(struct conf_container, field)
#define EO(field) offsetof(struct conf_extra, field)
#define NO ((ssize_t)-1)

#define KEY(n, fn, oc, oe, ...) \
	{ .name = n, .parse = fn, .off_container = oc, .off_extra = oe, .off_netd = NO, \
	  __VA_ARGS__ }
#define NETD_KEY(n, fn, field) \
	{ .name = n, .parse = fn, .off_container = NO, .off_extra = NO, \
	  .off_netd = offsetof(struct conf, field) }

/* ImportNixOSContainers=: an absolute path; where it was set names it in the import's errors. */
static int parse_import_key(struct conf *c, unsigned line, const struct key_def *k,
			    const char *value, void *obj, void *field)
{
	size_t n = c->n_errors;
	int r;

	r = parse_path_key(c, line, k, value, obj, field);
	if (r >= 0 && c->n_errors == n)
		c->import_nixos_line = line;
	return r;
}

static const struct key_def keys[] = {
	KEY("PrivateNetwork", parse_bool_key, CO(private_network), NO),
	KEY("HostAddress", parse_addr_key, CO(veth.host_addr4), EO(veth.host_addr4),
	    .family = AF_INET, .prefix = true),
	KEY("HostAddress6", parse_addr_key, CO(veth.host_addr6), EO(veth.host_addr6),
	    .family = AF_INET6, .prefix = true),
	KEY("LocalAddress", parse_addr_key, CO(veth.local_addr4), EO(veth.local_addr4),
	    .family = AF_INET, .prefix = true),
	KEY("LocalAddress6", parse_addr_key, CO(veth.local_addr6), EO(veth.local_addr6),
	    .family = AF_INET6, .prefix = true),
	KEY("HostBridge", parse_ifname_key, CO(veth.host_bridge), EO(veth.host_bridge)),
	KEY("Gateway", parse_addr_key, CO(gateway4), NO, .family = AF_INET),
	KEY("Gateway6", parse_addr_key, CO(gateway6), NO, .family = AF_INET6),
	KEY("ForwardPort", parse_forward_key, CO(forwards), NO),
	KEY("Masquerade", parse_masquerade_key, CO(masquerade4), NO),
	KEY("Interface", parse_list_key, CO(interfaces), NO, .check = check_ifname),
	KEY("MACVLAN", parse_list_key, CO(macvlans), NO, .check = check_ifname),
	KEY("Directory", parse_path_key, CO(directory), NO),
	KEY("Ephemeral", parse_bool_key, CO(ephemeral), NO),
	KEY("Bind", parse_list_key, CO(binds), NO, .check = check_bind),
	KEY("BindReadOnly", parse_list_key, CO(binds_ro), NO, .check = check_bind),
	KEY("TemporaryFileSystem", parse_list_key, CO(tmpfs), NO, .check = check_tmpfs),
	KEY("Capability", parse_list_key, CO(capabilities), NO, .check = check_capability),
	KEY("DeviceAllow", parse_device_key, CO(device_allow), NO),
	KEY("EnableTun", parse_bool_key, CO(enable_tun), NO),
	KEY("TimeoutStartSec", parse_timespan_key, CO(timeout_start_usec), NO),
	KEY("Container", parse_container_name_key, NO, EO(container)),
	NETD_KEY("ImportNixOSContainers", parse_import_key, import_nixos_dir),
};

/* ---- lines ---- */

static const char *section_kind_name(int kind)
{
	return kind == SECTION_CONTAINER ? "Container" : "ExtraVeth";
}

static int find_section(const struct conf *c, int kind, const char *name, unsigned *ret_line)
{
	size_t i;

	if (kind == SECTION_CONTAINER && conf_names_get(c->container_names, name, &i))
		*ret_line = c->containers[i].line;
	else if (kind == SECTION_EXTRA && conf_names_get(c->extra_names, name, &i))
		*ret_line = c->extras[i].line;
	else
		return 0;
	return 1;
}

/* Returns 1 when name is acceptable for a section of this kind, 0 when rejected. */
static int check_section_name(struct conf *c, unsigned line, int kind, const char *name)
{
	_cleanup_free_ char *where = NULL;
	unsigned first;
	int r;

	if (kind == SECTION_CONTAINER && !conf_container_name_valid(name))
		r = conf_error(c, line, "invalid container name \"%s\"", name);
	else if (kind == SECTION_EXTRA && strlen(name) > IFNAME_ALT_MAX)
		r = conf_error(c, line, "interface name \"%s\" is too long (max %d bytes)", name,
			       IFNAME_ALT_MAX);
	else if (kind == SECTION_EXTRA && !ifname_valid(name, true))
		r = conf_error(c, line, "interface name \"%s\" is invalid", name);
	else if (find_section(c, kind, name, &first)) {
		where = conf_where(c, line, first);
		r = where ? conf_error(c, line, "duplicate section [%s %s], first defined at %s",
				       section_kind_name(kind), name, where)
			  : -ENOMEM;
	} else
		return 1;
	return r < 0 ? r : 0;
}

static int open_section(struct conf *c, unsigned line, int kind, const char *name)
{
	_cleanup_free_ char *copy = strdup(name);
	struct conf_container *cont;
	struct conf_extra *extra;
	int r;

	if (!copy)
		return -ENOMEM;
	if (kind == SECTION_CONTAINER) {
		cont = conf_array_push(&c->containers, &c->n_containers, sizeof(*cont));
		if (!cont)
			return -ENOMEM;
		cont->name = TAKE_PTR(copy);
		cont->line = line;
		cont->timeout_start_usec = DEFAULT_TIMEOUT_USEC;
		c->section_index = c->n_containers - 1;
		r = conf_names_add(&c->container_names, cont->name, c->section_index);
	} else {
		extra = conf_array_push(&c->extras, &c->n_extras, sizeof(*extra));
		if (!extra)
			return -ENOMEM;
		extra->name = TAKE_PTR(copy);
		extra->line = line;
		c->section_index = c->n_extras - 1;
		r = conf_names_add(&c->extra_names, extra->name, c->section_index);
	}
	if (r < 0)
		return r;
	c->section_kind = kind;
	return 0;
}

int conf_open_container(struct conf *c, unsigned line, const char *name)
{
	int r;

	c->section_kind = SECTION_SKIP;
	r = check_section_name(c, line, SECTION_CONTAINER, name);
	if (r <= 0)
		return r;
	r = open_section(c, line, SECTION_CONTAINER, name);
	return r < 0 ? r : 1;
}

/* [Netd]: once, without a name. */
static int open_netd(struct conf *c, unsigned line, const char *name)
{
	if (*name)
		return conf_error(c, line, "section [Netd] takes no name");
	if (c->netd_line)
		return conf_error(c, line, "duplicate section [Netd], first defined at line %u",
				  c->netd_line);
	c->netd_line = line;
	c->section_kind = SECTION_NETD;
	return 0;
}

static int parse_section(struct conf *c, unsigned line, char *s)
{
	char *end = strchr(s, ']'), *kind, *name;
	int k, r;

	c->section_kind = SECTION_SKIP;
	if (!end)
		return conf_error(c, line, "invalid section header \"%s\"", s);
	if (end[1])
		return conf_error(c, line, "unexpected text after section header \"%s\"", s);
	*end = '\0';
	kind = strip(s + 1);
	name = kind + strcspn(kind, " \t");
	if (*name)
		*name++ = '\0';
	name = strip(name);

	if (strcmp(kind, "Container") == 0)
		k = SECTION_CONTAINER;
	else if (strcmp(kind, "ExtraVeth") == 0)
		k = SECTION_EXTRA;
	else if (strcmp(kind, "Netd") == 0)
		return open_netd(c, line, name);
	else
		return conf_error(c, line, "unknown section \"[%s%s%s]\"", kind, *name ? " " : "",
				  name);
	if (!*name)
		return conf_error(c, line, "section [%s] needs a name", kind);
	r = check_section_name(c, line, k, name);
	if (r <= 0)
		return r;
	return open_section(c, line, k, name);
}

static const struct key_def *find_key(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

int conf_assign(struct conf *c, unsigned line, const char *key, const char *value,
		const char *label)
{
	const struct key_def *k = find_key(key);
	const char *sname = NULL;
	struct key_def named;
	ssize_t off;
	void *obj;

	switch (c->section_kind) {
	case SECTION_NONE:
		return conf_error(c, line, "key outside of any section");
	case SECTION_SKIP:
		return 0;
	case SECTION_NETD:
		if (!k || k->off_netd < 0)
			return conf_error(c, line, "unknown key \"%s\" in [Netd]", key);
		obj = c;
		off = k->off_netd;
		break;
	case SECTION_CONTAINER:
		obj = &c->containers[c->section_index];
		sname = c->containers[c->section_index].name;
		off = k ? k->off_container : NO;
		break;
	default:
		obj = &c->extras[c->section_index];
		sname = c->extras[c->section_index].name;
		off = k ? k->off_extra : NO;
		break;
	}
	if (off < 0)
		return conf_error(c, line, "unknown key \"%s\" in [%s %s]", key,
				  section_kind_name(c->section_kind), sname);
	if (label) {
		named = *k;
		named.name = label;
		k = &named;
	}
	return k->parse(c, line, k, value, obj, (char *)obj + off);
}

static int parse_assignment(struct conf *c, unsigned line, char *s)
{
	char *eq = strchr(s, '='), *key, *value;

	if (!eq)
		return conf_error(c, line, "missing '=' in line");
	*eq = '\0';
	key = strip(s);
	value = strip(eq + 1);
	if (!*key)
		return conf_error(c, line, "missing key before '='");
	return conf_assign(c, line, key, value, NULL);
}

int conf_parse_line(struct conf *c, unsigned lineno, const char *line)
{
	_cleanup_free_ char *copy = strdup(line);
	char *s;

	if (!copy)
		return -ENOMEM;
	if (lineno > c->n_lines)
		c->n_lines = lineno;
	s = strip(copy);
	if (!*s || *s == '#' || *s == ';')
		return 0;
	if (*s == '[')
		return parse_section(c, lineno, s);
	return parse_assignment(c, lineno, s);
}

int conf_finish(struct conf *c)
{
	int r;

	if (c->finished)
		return c->n_errors > 0 ? -EINVAL : 0;
	c->section_kind = SECTION_NONE;
	r = c->import_nixos_dir ? conf_import_nixos(c) : 0;
	c->section_kind = SECTION_NONE;
	if (r >= 0)
		r = conf_check(c);
	for (size_t i = 0; r >= 0 && i < c->n_containers; i++)
		r = check_masquerade(c, &c->containers[i]);
	if (r >= 0)
		r = conf_sort_errors(c);
	if (r < 0)
		return r;
	c->finished = true;
	return c->n_errors > 0 ? -EINVAL : 0;
}

/* ---- lifecycle ---- */

int conf_new(const char *path, struct conf **ret)
{
	struct conf *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->path = strdup(path ? path : "<string>");
	if (!c->path) {
		free(c);
		return -ENOMEM;
	}
	*ret = c;
	return 0;
}

static void veth_done(struct conf_veth *v)
{
	free(v->host_bridge);
	free(v->altname);
}

static void container_done(struct conf_container *cont)
{
	free(cont->name);
	veth_done(&cont->veth);
	free(cont->forwards);
	free(cont->extras);
	strv_free(cont->interfaces);
	strv_free(cont->macvlans);
	free(cont->directory);
	strv_free(cont->binds);
	strv_free(cont->binds_ro);
	strv_free(cont->tmpfs);
	strv_free(cont->capabilities);
	strv_free(cont->device_allow);
}

struct conf *conf_free(struct conf *c)
{
	if (!c)
		return NULL;
	for (size_t i = 0; i < c->n_containers; i++)
		container_done(&c->containers[i]);
	free(c->containers);
	for (size_t i = 0; i < c->n_extras; i++) {
		free(c->extras[i].name);
		free(c->extras[i].container);
		veth_done(&c->extras[i].veth);
	}
	free(c->extras);
	conf_names_free(c->container_names);
	conf_names_free(c->extra_names);
	for (size_t i = 0; i < c->n_errors; i++)
		free(c->errors[i]);
	free(c->errors);
	free(c->error_lines);
	for (size_t i = 0; i < c->n_sources; i++)
		free(c->sources[i].path);
	free(c->sources);
	free(c->import_nixos_dir);
	free(c->path);
	free(c);
	return NULL;
}

static int parse_lines(struct conf *c, const char *text)
{
	_cleanup_free_ char *copy = strdup(text);
	unsigned lineno = 1;
	char *s, *nl;
	int r;

	if (!copy)
		return -ENOMEM;
	for (s = copy; *s; s = nl + 1, lineno++) {
		nl = strchr(s, '\n');
		if (nl)
			*nl = '\0';
		r = conf_parse_line(c, lineno, s);
		if (r < 0 || !nl)
			return r;
	}
	return 0;
}

int conf_parse_string(const char *path, const char *text, struct conf **ret)
{
	struct conf *c;
	int r;

	r = conf_new(path, &c);
	if (r < 0)
		return r;
	r = parse_lines(c, text);
	if (r >= 0)
		r = conf_finish(c);
	if (r < 0 && r != -EINVAL) {
		conf_free(c);
		return r;
	}
	*ret = c;
	return r;
}

static int read_file(const char *path, char **ret)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	_cleanup_free_ char *buf = NULL;
	size_t size = 0;
	ssize_t n;

	if (!f)
		return -errno;
	/* getdelim with '\0' reads the whole file, unless it holds a NUL, which a text config
	 * cannot; the rest is then ignored and shows up as errors or missing keys. */
	n = getdelim(&buf, &size, '\0', f);
	if (n < 0) {
		if (ferror(f))
			return -EIO;
		free(buf);
		buf = strdup("");
		if (!buf)
			return -ENOMEM;
	}
	*ret = TAKE_PTR(buf);
	return 0;
}

int conf_load(const char *path, struct conf **ret)
{
	_cleanup_free_ char *text = NULL;
	int r;

	r = read_file(path, &text);
	if (r < 0)
		return r;
	return conf_parse_string(path, text, ret);
}

const struct conf_container *conf_find_container(const struct conf *c, const char *name)
{
	size_t i;

	return conf_names_get(c->container_names, name, &i) ? &c->containers[i] : NULL;
}

int conf_container_directory(const struct conf_container *cc, char **ret)
{
	char *dir;

	if (cc->directory)
		dir = strdup(cc->directory);
	else if (asprintf(&dir, "/var/lib/containers/%s", cc->name) < 0)
		dir = NULL;
	if (!dir)
		return -ENOMEM;
	*ret = dir;
	return 0;
}

bool conf_addr_equal(const struct conf_addr *a, const struct conf_addr *b)
{
	size_t len = a->family == AF_INET ? 4 : a->family == AF_INET6 ? 16 : 0;

	return a->family == b->family && a->prefixlen == b->prefixlen &&
	       memcmp(a->addr.bytes, b->addr.bytes, len) == 0;
}

const char *conf_addr_to_string(const struct conf_addr *a, char *buf, size_t len)
{
	char tmp[INET6_ADDRSTRLEN];

	if (!a->family || !inet_ntop(a->family, &a->addr, tmp, sizeof(tmp)))
		snprintf(buf, len, "(none)");
	else
		snprintf(buf, len, "%s/%u", tmp, a->prefixlen);
	return buf;
}
