/* SPDX-License-Identifier: MIT */
/*
 * What netdctl knows about one container: its state file, read and split into the fields it
 * shows. Reading only: netdctl never writes to the state directory.
 */
#pragma once

#include <stdint.h>

#include "state.h"

struct entry {
	char *name;	      /* owned */
	struct state_file sf; /* owned fields */
	char **addresses;     /* owned strv from ADDRESSES= (NULL: none) */
	char **forwards;      /* owned strv from FORWARDS= (NULL: none) */
	uint64_t since_usec;  /* SINCE=; 0 when missing or not a number */
};

struct entry_list {
	struct entry *entries; /* owned array of n */
	size_t n;
};

/* Free what e owns and zero it. */
void entry_done(struct entry *e);
void entry_list_done(struct entry_list *l);

/*
 * Read DIR/NAME.state into *ret. Returns 0, -EINVAL for a name that cannot be a container's
 * (empty, hidden, with a '/'), -ENOENT when there is no such file, -EBADMSG when it is not a
 * state file, or -errno.
 */
int entry_load(const char *dir, const char *name, struct entry *ret) _must_check_;

/*
 * Every DIR/NAME.state, sorted by name (strcmp). A file removed between listing and reading
 * (its container went away) is skipped; one that cannot be read or parsed is reported
 * through on_bad(name, -errno, userdata) and skipped. Returns 0 with *ret filled, or -errno
 * when the directory cannot be listed (or -ENOMEM); *ret is then untouched.
 */
int entry_list_load(const char *dir, void (*on_bad)(const char *name, int error, void *userdata),
		    void *userdata, struct entry_list *ret) _must_check_;

/* The value of the last KEY= line among sf's extra lines, or NULL. Borrowed from sf. */
const char *entry_extra(const struct state_file *sf, const char *key);
