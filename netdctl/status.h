/* SPDX-License-Identifier: MIT */
/*
 * `netdctl status`: the container table, the per-container detail and the JSON document,
 * rendered from the state directory. No global state and no clock reads inside: the caller
 * passes the streams, the current time and whether netd holds the directory's lock, so the
 * whole output can be checked without a kernel or a running netd.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum status_json {
	STATUS_JSON_OFF,
	STATUS_JSON_SHORT,
	STATUS_JSON_PRETTY,
};

struct status_opts {
	const char *state_dir; /* borrowed: lifetime of the call */
	enum status_json json;
	bool legend; /* header and summary lines of the table */
	bool color;  /* ANSI colours for the state (only when out is a terminal) */
	bool utf8;   /* the terminal takes UTF-8: a "●" before each detail block, else "*" */
	uint64_t now_usec; /* CLOCK_REALTIME, for "5min ago" */
	int netd_running;  /* state_dir_locked(): 1, 0, or -errno when it cannot tell */
};

/*
 * Without names: every container of the state directory, one line each (or all in the JSON
 * document). With names: a detail block per name, in the order given. Normal output goes to
 * out; notices ("netd is not running"), unknown names and unreadable files go to err.
 * Returns the exit status: 0, or 1 when a container shown is failed, a name has no state
 * file, a file or the directory cannot be read, or memory ran out.
 */
int status_run(const struct status_opts *o, char *const *names, size_t n_names, FILE *out,
	       FILE *err);
