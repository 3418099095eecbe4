/* SPDX-License-Identifier: MIT */
/*
 * Internals of the config parser, shared by conf.c (syntax, key table, lifecycle),
 * confcheck.c (checks across sections), confvalue.c (value parsers, string lists),
 * confwhere.c (lines, files, errors) and confnixos.c (the NixOS module's container files).
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

/* Record "FILE:LINE: message" in c->errors (line as in the model: conf_line_file() finds the
 * file). Returns 0 or -ENOMEM. */
int conf_error(struct conf *c, unsigned line, const char *fmt, ...) _printf_(3, 4)
	_must_check_;

/* Put c->errors in file order (conf_finish()). Returns 0 or -ENOMEM. */
int conf_sort_errors(struct conf *c) _must_check_;

/* Fill defaults and derived link names, run every check across sections (conf_finish()).
 * Returns 0 (problems are recorded) or -ENOMEM. */
int conf_check(struct conf *c) _must_check_;

/* How an error at line `at` refers to `line`: "line N" in the same file, else "FILE:N".
 * Returns a string the caller frees, or NULL on ENOMEM. */
char *conf_where(const struct conf *c, unsigned at, unsigned line);

/* An imported file: its lines are base + 1, base + 2, ... */
struct conf_source {
	char *path; /* owned */
	unsigned base;
};

/*
 * Number the lines of one more file after all lines in use: its line N is *ret_base + N.
 * Call conf_source_end() with its last line once it is parsed. Returns 0, -ENOMEM, or
 * -EOVERFLOW when the lines in use leave no room (nothing is added then).
 */
int conf_source_add(struct conf *c, const char *path, unsigned *ret_base) _must_check_;
/* The file added last ends at its line n_lines (an empty file still takes line 1). */
void conf_source_end(struct conf *c, unsigned n_lines);

/*
 * Open [Container name] at line, as its header would: the name is validated and must not be
 * taken. Returns 1 when it is open (conf_assign() now sets its keys), 0 when rejected
 * (recorded; the section is skipped), -ENOMEM.
 */
int conf_open_container(struct conf *c, unsigned line, const char *name) _must_check_;

/*
 * "key=value" in the open section, as conf_parse_line() does it, with the value already
 * stripped. label, when not NULL, names the key in value errors instead of key (an imported
 * file's own name for it). Returns 0 or -ENOMEM; problems are recorded.
 */
int conf_assign(struct conf *c, unsigned line, const char *key, const char *value,
		const char *label) _must_check_;

/*
 * The NixOS module's files (confnixos.c). conf_import_nixos() reads every *.conf of
 * c->import_nixos_dir; conf_import_nixos_text() parses one file's text as [Container name],
 * its lines numbered as a new source called path. Both return 0 or -ENOMEM; problems are
 * recorded.
 */
int conf_import_nixos(struct conf *c) _must_check_;
int conf_import_nixos_text(struct conf *c, const char *path, const char *name,
			   const char *text) _must_check_;

/*
 * One line of an environment file, split in place at its first '=': returns 1 with *ret_key
 * and *ret_value (pointers into line: the key stripped of whitespace, the value of leading
 * whitespace and still quoted), 0 for a blank or comment ('#', ';') line, -EINVAL when there
 * is no '='.
 * conf_env_unquote() then turns the value into what systemd's EnvironmentFile= makes of it:
 * unquoted text, "double-quoted" text (\" \\ \` \$ escaped) and 'single-quoted' text, in any
 * sequence; a backslash outside quotes escapes the next character; trailing unquoted whitespace
 * is dropped. Returns 0, or -EINVAL with a reason in *ret_err (a static string; the value is
 * then partly rewritten).
 */
int conf_env_split(char *line, char **ret_key, char **ret_value);
int conf_env_unquote(char *value, const char **ret_err);
