/* SPDX-License-Identifier: MIT */
/*
 * The container's PID 1 before exec: joins the network namespace, builds the mounts, pivots,
 * sets hostname, session, personality and capabilities, closes inherited fds, then waits for
 * the parent's go and execs. Failures travel to the parent over a CLOEXEC pipe as a
 * struct child_msg (the step, the errno, what it was about); its end-of-file without a message
 * after go means the exec happened.
 */
#pragma once

#include <stdint.h>

#include "spawn.h"

enum child_step {
	CHILD_READY, /* not a failure: set up, waiting for go */
	CHILD_PARENT_GONE,
	CHILD_NETNS,
	CHILD_LOOPBACK,
	CHILD_PROPAGATION,
	CHILD_MOUNT,
	CHILD_HOSTNAME,
	CHILD_PIVOT,
	CHILD_NOTIFY,
	CHILD_SESSION,
	CHILD_PERSONALITY,
	CHILD_CAPS,
	CHILD_EXEC,
	_CHILD_STEP_MAX,
};

const char *child_step_to_string(enum child_step s);

struct child_msg {
	int32_t step;  /* enum child_step */
	int32_t error; /* negative errno */
	char what[224];
};

struct child_fds {
	int netns;  /* borrowed: the container's network namespace, -1 to share the host's */
	int report; /* borrowed: write end of the report pipe (CLOEXEC) */
	int go;	    /* borrowed: read end of the go pipe; one byte means exec, EOF means die */
	int notify; /* borrowed: datagram socket to bind at SPAWN_NOTIFY_PATH, or -1 */
	int guard;  /* borrowed: the guard's pipe, closed at once, or -1 */
};

_Noreturn void child_run(const struct spawn_cfg *cfg, const struct child_fds *fds);
