/* SPDX-License-Identifier: MIT */
/*
 * Namespaces and processes: the network namespace bound at /run/netns/NAME (iproute2's
 * layout), the clone of the container's PID 1, and the guard process that undoes the host
 * side when spawn is killed with SIGKILL. All return 0 or a negative errno.
 */
#pragma once

#include <sys/types.h>

#include "util.h"

/*
 * Create a network namespace and bind it at path (its directory made a shared mount point of
 * itself, as `ip netns add` does, so the binding reaches every mount namespace). -EEXIST when
 * path exists. On success *ret_fd is an fd of the namespace.
 */
int ns_net_create(const char *path, int *ret_fd) _must_check_;

/* Unmount and remove path; a path already gone is success. */
int ns_net_remove(const char *path);

/*
 * Clone into new mount, PID, UTS, IPC namespaces. Returns 0 in the child; in the parent the
 * child's pid (> 0) with *ret_pidfd set; -errno.
 */
pid_t ns_clone(int *ret_pidfd);

/* Bits of what the guard has to undo. */
#define NS_GUARD_NETNS 1u
#define NS_GUARD_LINKS 2u

/*
 * Fork the guard: it waits on a pipe whose write end is returned in *ret_fd. Each byte the
 * caller writes adds bits (NS_GUARD_*); a 0 byte says everything was undone. When the pipe
 * closes (the caller exited or was killed) without that 0 byte, the guard calls undo(bits)
 * in its own process and exits. The guard ignores SIGTERM, SIGINT and SIGHUP.
 */
int ns_guard_start(void (*undo)(unsigned bits), int *ret_fd) _must_check_;
/* Write one byte to the guard; errors are ignored (a dead guard has nothing to undo). */
void ns_guard_note(int fd, unsigned bits);
