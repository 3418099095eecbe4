/* SPDX-License-Identifier: MIT */
/*
 * A minimal JSON writer for netdctl --json: strings escaped per RFC 8259 (with invalid UTF-8
 * replaced, so the output always parses), unsigned numbers, booleans, null, nested objects and
 * arrays, compact or indented. No dependency beyond stdio.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_DEPTH_MAX 8

struct json {
	FILE *f; /* borrowed: lifetime of the writer */
	bool pretty;
	bool after_key;			    /* a key was written: its value needs no separator */
	unsigned depth;			    /* open objects and arrays */
	unsigned count[JSON_DEPTH_MAX + 1]; /* values written so far at each depth */
};

/*
 * Write s as a quoted JSON string: '"', '\\' and control characters escaped (\n, \t, ... or
 * \u00XX; DEL too, so that no raw control byte reaches a terminal), valid UTF-8 copied as is,
 * and each byte that does not start a valid UTF-8 sequence (stray continuation bytes, overlong
 * forms, surrogates, code points past U+10FFFF, truncated sequences) written as \ufffd.
 */
void json_write_string(FILE *f, const char *s);

/* Start a writer on f. Nothing is written until the first value. */
void json_init(struct json *j, FILE *f, bool pretty);

/*
 * Values. Inside an object each value must follow json_key(). json_string(j, NULL) writes null.
 * Nesting deeper than JSON_DEPTH_MAX is a programmer error (assert).
 */
void json_key(struct json *j, const char *key);
void json_string(struct json *j, const char *s);
void json_uint(struct json *j, uint64_t v);
void json_bool(struct json *j, bool b);
void json_null(struct json *j);
void json_begin_object(struct json *j);
void json_end_object(struct json *j);
void json_begin_array(struct json *j);
void json_end_array(struct json *j);
/* After the top-level value: a final newline. */
void json_finish(struct json *j);
