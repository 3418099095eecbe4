/* SPDX-License-Identifier: MIT */
/*
 * spawn's side after the clone: wait for the child to be set up and for netd to report the
 * network configured, let the child exec, then forward signals and sd_notify messages and
 * turn the child's end into spawn's exit status.
 */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "spawn.h"

struct parent {
	const struct spawn_cfg *cfg; /* borrowed */
	pid_t pid;
	int pidfd;  /* owned */
	int report; /* owned: read end of the child's report pipe */
	int go;	    /* owned: write end of the go pipe */
	int notify; /* owned: the container's notify socket, or -1 */
	int sigfd;  /* owned: signalfd for SIGTERM, SIGINT, SIGHUP */
	/* owned: the inotify instance of the wait for netd, its watch removed, or -1; closed
	 * after supervision, not at the exec (parent_start()) */
	int state_watch;
	/* CLOCK_REALTIME_COARSE before the links were created: an older state file is stale. */
	struct timespec links_since;
};

/*
 * Run the start: child set up, network configured (when cfg->wait_netd), exec. On failure
 * prints why and returns a negative errno (the child is killed and reaped). Sets
 * p->state_watch either way.
 */
int parent_start(struct parent *p);

/* Supervise the running container. Returns spawn's exit status. */
int parent_supervise(struct parent *p);

/* Exit status for a child that ended with waitid() code and status (CLD_*). */
int parent_exit_status(int code, int status);
