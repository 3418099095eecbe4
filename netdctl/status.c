/* SPDX-License-Identifier: MIT */
/*
 * netdctl status: table, detail blocks and JSON from the state directory. Text output escapes
 * control bytes (an interface name may hold any byte but '/', ':' and white space, and an
 * ERROR= text comes from the kernel): nothing read from a file can drive the terminal.
 */
#include <errno.h>
#include <string.h>

#include "entry.h"
#include "json.h"
#include "status.h"
#include "strv.h"
#include "timefmt.h"
#include "utf8.h"

#define ANSI_GREEN  "\x1b[0;1;32m"
#define ANSI_YELLOW "\x1b[0;1;33m"
#define ANSI_RED    "\x1b[0;1;31m"
#define ANSI_RESET  "\x1b[0m"

struct ctx {
	const struct status_opts *o; /* borrowed */
	FILE *out, *err;	     /* borrowed */
	bool noticed;		     /* the "not running" notice is out */
	int status;		     /* exit status so far */
};

enum column { COL_NAME, COL_STATE, COL_LINK, COL_ADDRESSES, COL_FORWARDS, COL_SINCE, _COL_MAX };

static const char *const headers[_COL_MAX] = {
	"NAME", "STATE", "LINK", "ADDRESSES", "FORWARDS", "SINCE",
};

/*
 * Bytes of the character at p (at least 1), and whether it must be escaped: C0 controls and
 * DEL, C1 controls (some terminals take U+009B as CSI), and bytes that are not valid UTF-8.
 */
static size_t next_char(const char *p, bool *escape)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t n = utf8_char_len(p);

	*escape = n == 0 || u[0] < 0x20 || u[0] == 0x7f || (u[0] == 0xc2 && u[1] < 0xa0);
	return n ? n : 1;
}

/* Write s with what next_char() says must be escaped as \xNN per byte. */
static void put_clean(FILE *f, const char *s)
{
	bool esc;

	for (size_t n; *s; s += n) {
		n = next_char(s, &esc);
		for (size_t i = 0; esc && i < n; i++)
			fprintf(f, "\\x%02x", (unsigned char)s[i]);
		if (!esc)
			fwrite(s, 1, n, f);
	}
}

/* Terminal columns put_clean(s) takes (a character is one column; wide ones are rare here). */
static size_t clean_width(const char *s)
{
	size_t w = 0;
	bool esc;

	for (size_t n; *s; s += n) {
		n = next_char(s, &esc);
		w += esc ? 4 * n : 1;
	}
	return w;
}

static const char *state_color(enum state_kind s)
{
	switch (s) {
	case STATE_CONFIGURED:
		return ANSI_GREEN;
	case STATE_PENDING:
		return ANSI_YELLOW;
	default:
		return ANSI_RED;
	}
}

/* The notice goes first on err, once, and only where a person reads it (not with --json). */
static void notice(struct ctx *c)
{
	if (c->noticed || c->o->json != STATUS_JSON_OFF)
		return;
	c->noticed = true;
	if (c->o->netd_running == 0)
		fputs("netd is not running: the state below may be stale\n", c->err);
	else if (c->o->netd_running < 0)
		fprintf(c->err, "Cannot tell whether netd is running: %s\n",
			strerror(-c->o->netd_running));
}

static void report_bad(struct ctx *c, const char *name, int error)
{
	notice(c);
	if (error == -ENOENT)
		fprintf(c->err, "%s: no such container (no %s/%s.state)\n", name, c->o->state_dir,
			name);
	else if (error == -EINVAL)
		fprintf(c->err, "%s: not a container name\n", name);
	else if (error == -EBADMSG)
		fprintf(c->err, "%s: %s/%s.state is not a valid state file\n", name,
			c->o->state_dir, name);
	else
		fprintf(c->err, "%s: cannot read %s/%s.state: %s\n", name, c->o->state_dir, name,
			strerror(-error));
	c->status = 1;
}

static void on_bad(const char *name, int error, void *userdata)
{
	report_bad(userdata, name, error);
}

/* l joined with sep (malloc'ed); "-" for an empty list. NULL on ENOMEM. */
static char *join(char *const *l, const char *sep)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f;

	if (!l || !l[0])
		return strdup("-");
	f = open_memstream(&buf, &size);
	if (!f)
		return NULL;
	for (size_t i = 0; l[i]; i++)
		fprintf(f, "%s%s", i ? sep : "", l[i]);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/*
 * The table's "2026-11-28 07:30:12 (5min ago)", or with detail systemctl's
 * "Sat 2026-11-28 07:30:12 CET; 5min ago"; "-" when unknown. malloc'ed; NULL on ENOMEM.
 */
static char *since_text(const struct entry *e, uint64_t now, bool detail)
{
	char when[64], rel[64], *s;
	int r;

	if (!e->since_usec || !timefmt_local(when, sizeof(when), e->since_usec, detail))
		return strdup("-");
	timefmt_relative(rel, sizeof(rel), now, e->since_usec);
	if (detail)
		r = asprintf(&s, "%s; %s", when, rel);
	else
		r = asprintf(&s, "%s (%s)", when, rel);
	return r < 0 ? NULL : s;
}

/* The table's cells of e (malloc'ed). Returns 0 or -ENOMEM (cells freed by the caller). */
static int row_cells(const struct ctx *c, const struct entry *e, char **cells)
{
	cells[COL_NAME] = strdup(e->name);
	cells[COL_STATE] = strdup(state_kind_to_string(e->sf.state));
	cells[COL_LINK] = strdup(e->sf.ifname ?: "-");
	cells[COL_ADDRESSES] = join(e->addresses, ",");
	cells[COL_FORWARDS] = join(e->forwards, ",");
	cells[COL_SINCE] = since_text(e, c->o->now_usec, false);
	for (size_t i = 0; i < _COL_MAX; i++)
		if (!cells[i])
			return -ENOMEM;
	return 0;
}

static void print_row(const struct ctx *c, char *const *cells, const size_t *width,
		      const char *color)
{
	for (size_t i = 0; i < _COL_MAX; i++) {
		bool colored = color && i == COL_STATE;

		if (colored)
			fputs(color, c->out);
		put_clean(c->out, cells[i]);
		if (colored)
			fputs(ANSI_RESET, c->out);
		/* No padding after the last column: no trailing blanks. */
		if (i + 1 < _COL_MAX)
			fprintf(c->out, "%*s", (int)(width[i] - clean_width(cells[i]) + 2), "");
	}
	fputc('\n', c->out);
}

/* "3 containers: 1 configured, 1 pending, 1 failed"; states without containers are left out. */
static void print_summary(const struct ctx *c, const struct entry_list *l)
{
	static const enum state_kind order[] = { STATE_CONFIGURED, STATE_PENDING, STATE_FAILED };
	size_t count[_STATE_MAX] = {};
	const char *sep = ": ";

	for (size_t i = 0; i < l->n; i++)
		count[l->entries[i].sf.state]++;
	fprintf(c->out, "%zu container%s", l->n, l->n == 1 ? "" : "s");
	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		if (!count[order[i]])
			continue;
		fprintf(c->out, "%s%zu %s", sep, count[order[i]], state_kind_to_string(order[i]));
		sep = ", ";
	}
	fputc('\n', c->out);
}

static int print_table(struct ctx *c, const struct entry_list *l)
{
	size_t width[_COL_MAX] = {}, n_cells = (l->n + 1) * _COL_MAX;
	char **cells = calloc(n_cells, sizeof(char *));
	int r = cells ? 0 : -ENOMEM;

	for (size_t i = 0; r >= 0 && i < _COL_MAX; i++)
		r = (cells[i] = strdup(headers[i])) ? 0 : -ENOMEM;
	for (size_t i = 0; r >= 0 && i < l->n; i++)
		r = row_cells(c, &l->entries[i], cells + (i + 1) * _COL_MAX);
	for (size_t i = 0; r >= 0 && i < n_cells; i++) {
		size_t w = clean_width(cells[i]);

		if (w > width[i % _COL_MAX])
			width[i % _COL_MAX] = w;
	}
	if (r >= 0 && c->o->legend)
		print_row(c, cells, width, NULL);
	for (size_t i = 0; r >= 0 && i < l->n; i++)
		print_row(c, cells + (i + 1) * _COL_MAX, width,
			  c->o->color ? state_color(l->entries[i].sf.state) : NULL);
	if (r >= 0 && c->o->legend)
		print_summary(c, l);
	for (size_t i = 0; cells && i < n_cells; i++)
		free(cells[i]);
	free(cells);
	return r;
}

/* "    Label: value"; lists take one line per element, aligned under the first. */
#define LABEL_WIDTH 11

static void detail_field(const struct ctx *c, const char *label, const char *value)
{
	fprintf(c->out, "%*s%s ", LABEL_WIDTH, label, *label ? ":" : " ");
	put_clean(c->out, value);
	fputc('\n', c->out);
}

static void detail_list(const struct ctx *c, const char *label, char *const *l)
{
	for (size_t i = 0; l && l[i]; i++)
		detail_field(c, i ? "" : label, l[i]);
	if (l && l[0])
		return;
	detail_field(c, label, "-");
}

static int print_detail(const struct ctx *c, const struct entry *e, bool first)
{
	const char *color = c->o->color ? state_color(e->sf.state) : NULL;
	const char *state = state_kind_to_string(e->sf.state);
	_cleanup_free_ char *since = since_text(e, c->o->now_usec, true);

	if (!since)
		return -ENOMEM;
	if (!first)
		fputc('\n', c->out);
	fprintf(c->out, "%s%s%s ", color ?: "", c->o->utf8 ? "\u25cf" : "*",
		color ? ANSI_RESET : "");
	put_clean(c->out, e->name);
	fputc('\n', c->out);
	fprintf(c->out, "%*s: %s%s%s\n", LABEL_WIDTH, "State", color ?: "", state,
		color ? ANSI_RESET : "");
	detail_field(c, "Link", e->sf.ifname ?: "-");
	detail_field(c, "Namespace", e->sf.netns ?: "-");
	detail_list(c, "Addresses", e->addresses);
	detail_list(c, "Forwards", e->forwards);
	detail_field(c, "Since", since);
	if (e->sf.state == STATE_FAILED)
		detail_field(c, "Error", e->sf.error ?: "(none given)");
	return 0;
}

static void json_strv(struct json *j, const char *key, char *const *l)
{
	json_key(j, key);
	json_begin_array(j);
	for (size_t i = 0; l && l[i]; i++)
		json_string(j, l[i]);
	json_end_array(j);
}

static void json_entry(struct json *j, const struct entry *e)
{
	char iso[64];
	bool since = e->since_usec && timefmt_iso8601(iso, sizeof(iso), e->since_usec);

	json_begin_object(j);
	json_key(j, "name");
	json_string(j, e->name);
	json_key(j, "state");
	json_string(j, state_kind_to_string(e->sf.state));
	json_key(j, "link");
	json_string(j, e->sf.ifname);
	json_key(j, "netns");
	json_string(j, e->sf.netns);
	json_strv(j, "addresses", e->addresses);
	json_strv(j, "forwards", e->forwards);
	json_key(j, "since_usec");
	if (since)
		json_uint(j, e->since_usec);
	else
		json_null(j);
	json_key(j, "since");
	json_string(j, since ? iso : NULL);
	json_key(j, "error");
	json_string(j, e->sf.error);
	json_end_object(j);
}

static void print_json(const struct ctx *c, const struct entry_list *l)
{
	struct json j;

	json_init(&j, c->out, c->o->json == STATUS_JSON_PRETTY);
	json_begin_object(&j);
	json_key(&j, "netd_running");
	if (c->o->netd_running < 0)
		json_null(&j);
	else
		json_bool(&j, c->o->netd_running > 0);
	json_key(&j, "state_dir");
	json_string(&j, c->o->state_dir);
	json_key(&j, "containers");
	json_begin_array(&j);
	for (size_t i = 0; i < l->n; i++)
		json_entry(&j, &l->entries[i]);
	json_end_array(&j);
	json_end_object(&j);
	json_finish(&j);
}

/* The named containers, in the order given; unknown ones are reported and left out. */
static int load_named(struct ctx *c, char *const *names, size_t n_names, struct entry_list *ret)
{
	struct entry_list l = {};
	int r = 0;

	for (size_t i = 0; r >= 0 && i < n_names; i++) {
		struct entry e, *slot;

		r = entry_load(c->o->state_dir, names[i], &e);
		if (r < 0 && r != -ENOMEM) {
			report_bad(c, names[i], r);
			r = 0;
			continue;
		}
		if (r < 0)
			break;
		slot = array_push(&l.entries, &l.n, sizeof(*l.entries));
		if (!slot) {
			entry_done(&e);
			r = -ENOMEM;
			break;
		}
		*slot = e;
	}
	if (r < 0) {
		entry_list_done(&l);
		return r;
	}
	*ret = l;
	return 0;
}

/* The directory itself cannot be read: say so, with whether netd runs, instead of the notice. */
static void report_dir(struct ctx *c, int error)
{
	fprintf(c->err, "Cannot read the state directory %s: %s%s\n", c->o->state_dir,
		strerror(-error), c->o->netd_running == 0 ? " (netd is not running)" : "");
	c->noticed = true;
	c->status = 1;
}

static int show(struct ctx *c, const struct entry_list *l, bool detail)
{
	int r = 0;

	if (c->o->json != STATUS_JSON_OFF)
		print_json(c, l);
	else if (detail)
		for (size_t i = 0; r >= 0 && i < l->n; i++)
			r = print_detail(c, &l->entries[i], i == 0);
	else
		r = print_table(c, l);
	for (size_t i = 0; i < l->n; i++)
		if (l->entries[i].sf.state == STATE_FAILED)
			c->status = 1;
	return r;
}

int status_run(const struct status_opts *o, char *const *names, size_t n_names, FILE *out,
	       FILE *err)
{
	struct ctx c = { .o = o, .out = out, .err = err };
	struct entry_list l = {};
	int r;

	if (n_names > 0) {
		notice(&c);
		r = load_named(&c, names, n_names, &l);
	} else {
		r = entry_list_load(o->state_dir, on_bad, &c, &l);
		if (r < 0 && r != -ENOMEM) {
			report_dir(&c, r);
			return c.status;
		}
		notice(&c);
	}
	if (r >= 0)
		r = show(&c, &l, n_names > 0);
	entry_list_done(&l);
	if (fflush(out) != 0 && r >= 0)
		r = -errno;
	if (r < 0) {
		fprintf(err, "netdctl: %s\n", strerror(-r));
		return 1;
	}
	return c.status;
}
