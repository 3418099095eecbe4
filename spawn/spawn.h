/* SPDX-License-Identifier: MIT */
/* What spawn's top level decided before creating anything: shared by main, child, parent. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "mount.h"

struct spawn_cfg {
	const char *conf_path;		 /* borrowed: argv */
	const char *state_dir;		 /* borrowed: argv or default */
	const char *name;		 /* borrowed: argv */
	char **argv;			 /* borrowed: argv after "--", or exec_argv below */
	char *exec_argv[2];		 /* [0] owned: the init when no COMMAND was given */
	struct conf *conf;		 /* owned */
	const struct conf_container *ct; /* borrowed: lifetime of conf */
	struct mount_plan *plan;	 /* owned */
	char *directory;		 /* owned: Directory= or its default */
	int root_fd;			 /* owned: O_PATH of directory */
	char netns_path[128];		 /* /run/netns/NAME, "" without a private network */
	bool main_veth;	    /* ve-/vb-NAME is created (addresses or a bridge declared) */
	bool wait_netd;	    /* spawn waits for NAME.state to say configured */
	uint64_t caps;	    /* bounding set of the container */
	bool x86;	    /* 32-bit x86 root on a 64-bit host: PER_LINUX32 */
	bool notify;	    /* NOTIFY_SOCKET was set for spawn */
	bool ready_at_exec; /* READY=1 sent at exec: the container has no notify support */
	bool systemd_init;  /* PID 1 is the root's systemd: SIGTERM reaches it as SIGRTMIN+3 */
	char *term;	    /* owned: $TERM for the container, or NULL */
};

/* Path of the notify socket inside the container. */
#define SPAWN_NOTIFY_PATH "/run/host/notify"
