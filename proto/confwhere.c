/* SPDX-License-Identifier: MIT */
/*
 * Where the model's lines are and the errors that point at them. A line number covers the
 * main file and then every imported file in turn (conf_source_add()), so the model keeps one
 * unsigned per section or assignment and only an error's text says which file it is in.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>

#include "conf-internal.h"

const char *conf_line_file(const struct conf *c, unsigned line, unsigned *ret_line)
{
	size_t lo = 0, hi = c->n_sources;

	/* The last source whose lines start below line; none: the main file. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->sources[mid].base < line)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (ret_line)
		*ret_line = lo ? line - c->sources[lo - 1].base : line;
	return lo ? c->sources[lo - 1].path : c->path;
}

char *conf_where(const struct conf *c, unsigned at, unsigned line)
{
	const char *path;
	unsigned l;
	char *s;
	int r;

	path = conf_line_file(c, line, &l);
	if (path == conf_line_file(c, at, NULL))
		r = asprintf(&s, "line %u", l);
	else
		r = asprintf(&s, "%s:%u", path, l);
	return r < 0 ? NULL : s;
}

int conf_error(struct conf *c, unsigned line, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	char *full, **slot;
	size_t n = c->n_errors;
	const char *path;
	unsigned *at, l;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	path = conf_line_file(c, line, &l);
	if (asprintf(&full, "%s:%u: %s", path, l, msg) < 0)
		return -ENOMEM;
	/* Both arrays are n_errors long; error_lines grows first, so a failure of the second
	 * push leaves only an unused slot behind. */
	at = conf_array_push(&c->error_lines, &n, sizeof(*at));
	slot = at ? conf_array_push(&c->errors, &c->n_errors, sizeof(*slot)) : NULL;
	if (!slot) {
		free(full);
		return -ENOMEM;
	}
	*at = line;
	*slot = full;
	return 0;
}

int conf_source_add(struct conf *c, const char *path, unsigned *ret_base)
{
	struct conf_source *src;
	char *copy;

	if (c->n_lines == UINT_MAX)
		return -EOVERFLOW;
	copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	src = conf_array_push(&c->sources, &c->n_sources, sizeof(*src));
	if (!src) {
		free(copy);
		return -ENOMEM;
	}
	*src = (struct conf_source){ copy, c->n_lines };
	*ret_base = c->n_lines;
	return 0;
}

void conf_source_end(struct conf *c, unsigned n_lines)
{
	unsigned base = c->sources[c->n_sources - 1].base;

	if (n_lines == 0)
		n_lines = 1;
	c->n_lines = n_lines > UINT_MAX - base ? UINT_MAX : base + n_lines;
}

struct error_ref {
	unsigned line;
	size_t pos;
	char *text; /* borrowed from c->errors */
};

static int cmp_error_ref(const void *a, const void *b)
{
	const struct error_ref *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return (x->pos > y->pos) - (x->pos < y->pos);
}

/* The checks of conf_finish() run per topic, not per line; report in file order (the main file,
 * then each imported file), keeping the order of the errors of one line (qsort is not stable,
 * hence the position). */
int conf_sort_errors(struct conf *c)
{
	_cleanup_free_ struct error_ref *refs = NULL;

	if (c->n_errors < 2)
		return 0;
	refs = malloc(c->n_errors * sizeof(*refs));
	if (!refs)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_errors; i++)
		refs[i] = (struct error_ref){ c->error_lines[i], i, c->errors[i] };
	qsort(refs, c->n_errors, sizeof(*refs), cmp_error_ref);
	for (size_t i = 0; i < c->n_errors; i++) {
		c->errors[i] = refs[i].text;
		c->error_lines[i] = refs[i].line;
	}
	return 0;
}
