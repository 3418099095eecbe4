/* SPDX-License-Identifier: MIT */
/*
 * JSON output: the string escaper and a small streaming writer. Everything netdctl prints as
 * JSON goes through json_write_string(), so a state file holding odd bytes (an ERROR= text
 * with control characters, quotes or broken UTF-8) still yields a document jq can read.
 */
#include <assert.h>
#include <inttypes.h>

#include "json.h"
#include "utf8.h"

void json_write_string(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', f);
	while (*s) {
		unsigned c = *s;
		size_t n;

		switch (c) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\b':
			fputs("\\b", f);
			break;
		case '\f':
			fputs("\\f", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (c < 0x20 || c == 0x7f) {
				fprintf(f, "\\u%04x", c);
			} else if (c < 0x80) {
				fputc((int)c, f);
			} else if ((n = utf8_char_len((const char *)s)) > 0) {
				fwrite(s, 1, n, f);
				s += n;
				continue;
			} else {
				fputs("\\ufffd", f);
			}
		}
		s++;
	}
	fputc('"', f);
}

void json_init(struct json *j, FILE *f, bool pretty)
{
	*j = (struct json){ .f = f, .pretty = pretty };
}

static void indent(struct json *j, unsigned depth)
{
	if (!j->pretty)
		return;
	fputc('\n', j->f);
	for (unsigned i = 0; i < depth; i++)
		fputs("  ", j->f);
}

/* Before any value or key: the comma and (pretty) line break its position needs. */
static void separate(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->count[j->depth]++ > 0)
		fputc(',', j->f);
	if (j->depth > 0)
		indent(j, j->depth);
}

void json_key(struct json *j, const char *key)
{
	separate(j);
	json_write_string(j->f, key);
	fputs(j->pretty ? ": " : ":", j->f);
	j->after_key = true;
}

void json_string(struct json *j, const char *s)
{
	separate(j);
	if (s)
		json_write_string(j->f, s);
	else
		fputs("null", j->f);
}

void json_uint(struct json *j, uint64_t v)
{
	separate(j);
	fprintf(j->f, "%" PRIu64, v);
}

void json_bool(struct json *j, bool b)
{
	separate(j);
	fputs(b ? "true" : "false", j->f);
}

void json_null(struct json *j)
{
	separate(j);
	fputs("null", j->f);
}

static void begin(struct json *j, char c)
{
	separate(j);
	assert(j->depth < JSON_DEPTH_MAX);
	fputc(c, j->f);
	j->count[++j->depth] = 0;
}

static void end(struct json *j, char c)
{
	assert(j->depth > 0 && !j->after_key);
	if (j->count[j->depth--] > 0)
		indent(j, j->depth);
	fputc(c, j->f);
}

void json_begin_object(struct json *j)
{
	begin(j, '{');
}

void json_end_object(struct json *j)
{
	end(j, '}');
}

void json_begin_array(struct json *j)
{
	begin(j, '[');
}

void json_end_array(struct json *j)
{
	end(j, ']');
}

void json_finish(struct json *j)
{
	fputc('\n', j->f);
}
