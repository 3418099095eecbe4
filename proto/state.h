/* SPDX-License-Identifier: MIT */
/*
 * Per-container state files: STATE_DIR/NAME.state, KEY=VALUE lines, replaced atomically
 * (written to a temporary file in the same directory, fsync'ed, renamed over). netd writes
 * them; spawn, tests and admins read them.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

enum state_kind {
	STATE_PENDING,
	STATE_CONFIGURED,
	STATE_FAILED,
	_STATE_MAX,
	_STATE_INVALID = -EINVAL,
};

const char *state_kind_to_string(enum state_kind s);
enum state_kind state_kind_from_string(const char *s);

struct state_file {
	enum state_kind state;
	char *ifname;  /* owned: host link name */
	char *netns;   /* owned: /run/netns/NAME or "unmanaged" */
	char *error;   /* owned; NULL unless failed */
	char **extra;  /* owned NULL-terminated list of "KEY=VALUE" lines appended verbatim */
};

/* Free the owned fields and zero the struct. */
void state_file_done(struct state_file *s);

/*
 * Render s as text (STATE=, IFNAME=, NETNS=, ERROR= when set, then extra lines).
 * Newlines inside values are replaced with spaces. Returns 0 or -ENOMEM; *ret owned by caller.
 */
int state_file_format(const struct state_file *s, char **ret) _must_check_;

/*
 * Atomically replace DIR/NAME.state with s (directory created if missing, mode 0755;
 * file 0644). Returns 0, or -errno.
 */
int state_file_write(const char *dir, const char *name, const struct state_file *s) _must_check_;

/*
 * Atomically replace DIR/FILE with text (temp file in DIR, fsync, rename; DIR created when
 * missing; mode 0644). A reader that has the old file open keeps reading it whole, and a
 * symlink at DIR/FILE is replaced, never followed. Returns 0 or -errno.
 */
int state_dir_write(const char *dir, const char *file, const char *text) _must_check_;

/* Remove DIR/NAME.state; a missing file is success. Returns 0 or -errno. */
int state_file_remove(const char *dir, const char *name) _must_check_;

/*
 * Parse text / read DIR/NAME.state. Unknown keys are kept in extra. Returns 0, -EBADMSG for a
 * malformed line or a missing/invalid STATE=, -ENOENT when the file does not exist, -errno.
 */
int state_file_parse(const char *text, struct state_file *ret) _must_check_;
int state_file_read(const char *dir, const char *name, struct state_file *ret) _must_check_;

/*
 * netd holds an exclusive flock on DIR/netd.lock (created, with DIR, when missing) for as long
 * as it runs, so that readers can tell whether the state files are being kept up to date, and
 * a second netd on the same directory is refused. Returns the locked fd (O_CLOEXEC; keep it
 * open), -EBUSY when another process holds the lock, or -errno.
 */
int state_dir_lock(const char *dir) _must_check_;
/* Whether a process holds DIR/netd.lock: 1 yes, 0 no (also when there is no lock file), or
 * -errno. */
int state_dir_locked(const char *dir) _must_check_;
