/* SPDX-License-Identifier: MIT */
/*
 * Which namespace /run/netns/NAME is, and whether it is the container's: netd configures the
 * container side only through that name, and only when the host link's veth peer lives in the
 * namespace mounted there (the namespace ids agree), or a stale or unrelated name would have
 * it configure links that are not ours. Blocking I/O: run from the engine's pass only.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "rtnl.h"

#define NSATTACH_DIR "/run/netns"

struct nsattach_id {
	int nsid;  /* the id the host gives it */
	dev_t dev; /* nsfs identity of what is mounted there */
	ino_t ino;
};

/*
 * Open NSATTACH_DIR/name when it is the namespace whose id (as host sees it) is peer_nsid.
 * Returns an O_CLOEXEC fd (the caller's) with *ret_id filled; -ENOENT when the name does
 * not exist, -EMEDIUMTYPE when no namespace is mounted on it, -EXDEV when it is another
 * namespace, or -errno.
 */
int nsattach_open(struct rtnl *host, const char *name, int peer_nsid,
		  struct nsattach_id *ret_id) _must_check_;

/* Whether NSATTACH_DIR/name exists at all. */
bool nsattach_exists(const char *name);

/* Whether NSATTACH_DIR/name still names the namespace id was taken from (not a newer one). */
bool nsattach_still_named(const char *name, const struct nsattach_id *id);
