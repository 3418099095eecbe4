/* SPDX-License-Identifier: MIT */
/* Capability sets of the container's init: names, the default bounding set, dropping. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "util.h"

/* The set systemd-nspawn keeps by default (without CAP_NET_ADMIN; see caps_for()). */
extern const uint64_t caps_default;

/* "CAP_SYS_TIME" or "sys_time" (any case) -> number. Returns it, or -EINVAL. */
int caps_from_name(const char *name) _must_check_;

/*
 * The bounding set for a container: the default set, plus each of names (NULL-terminated,
 * may be NULL), plus CAP_NET_ADMIN with a private network (as systemd-nspawn) or /dev/net/tun.
 * Returns 0, or -EINVAL with *ret_bad pointing at the unknown name.
 */
int caps_for(char *const *names, bool private_network, bool tun, uint64_t *ret,
	     const char **ret_bad) _must_check_;

/*
 * Reduce the bounding set of the calling process to keep, and empty its inheritable and
 * ambient sets (CAP_SETPCAP needed). Returns 0 or -errno.
 */
int caps_apply(uint64_t keep) _must_check_;
